"""Where a job runs: GPU claims (:mod:`.gpus`), the device header and memory
(:mod:`.hardware`), torch.compile (:mod:`.compiling`), logging (:mod:`.logs`) and
TensorBoard (:mod:`.tensorboard`).
"""
