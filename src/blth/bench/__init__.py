"""Benchmarks of blth's training speed.

- The step benchmark (``blth bench``): one full Adam step of blth's networks against
  torch_blue's; its cases (:mod:`.cases`), the contestants (:mod:`.models`,
  :mod:`.torch_blue_nets`), the clock (:mod:`.timer`) and the driver (:mod:`.throughput`),
  whose API is this package's.
- The epoch benchmark (``python -m blth.bench.epoch``, benchmarks/gpu.sh): a training job's
  epochs per model, kind and setting; its plan (:mod:`.epoch_plan`), one case timed
  (:mod:`.epoch_measure`), the driver (:mod:`.epoch`) and several jobs sharing one GPU
  (:mod:`.share`).

torch_blue is optional (``pip install blth[bench]``); without it its cases are skipped.
"""
