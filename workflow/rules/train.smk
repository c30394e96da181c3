rule train:
    """One training run (a GPU job). Resumes from its scratch checkpoint after a preemption."""
    input:
        unpack(train_inputs),
    output:
        init=f"{paths.RUN}/init.safetensors",
        final=f"{paths.RUN}/final.safetensors",
        epochs=f"{paths.RUN}/epochs.parquet",
    log:
        paths.log("train", paths.RUN_ID),
    benchmark:
        paths.benchmark("train", paths.RUN_ID)
    conda:
        "../envs/blth.yaml"
    threads: resource("threads")
    resources:
        gpu=resource("gpu"),
        mem_mb=resource("mem_mb", per_attempt=True),
        runtime=resource("runtime"),
    params:
        spec=train_spec,
    script:
        "../../scripts/train.py"


rule rewind_point:
    """Late rewinding: the dense run's first epochs, whose state IMP tickets restart from."""
    input:
        data=data_file,
        start=lambda w: init_file(w.experiment, w.kind, w.seed),
    output:
        paths.REWIND,
    log:
        paths.log("rewind_point", paths.REWIND_ID),
    benchmark:
        paths.benchmark("rewind_point", paths.REWIND_ID)
    conda:
        "../envs/blth.yaml"
    threads: resource("threads")
    resources:
        gpu=resource("gpu"),
        mem_mb=resource("mem_mb", per_attempt=True),
        runtime=resource("runtime"),
    params:
        spec=rewind_spec,
    script:
        "../../scripts/rewind_point.py"
