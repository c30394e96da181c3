rule train:
    """One training run (a GPU job). Resumes from its scratch checkpoint after a preemption."""
    input:
        unpack(train_inputs),
    output:
        init="results/{experiment}/runs/{arm}/s{seed}/{chain}/L{level}/{branch}/init.safetensors",
        final="results/{experiment}/runs/{arm}/s{seed}/{chain}/L{level}/{branch}/final.safetensors",
        epochs="results/{experiment}/runs/{arm}/s{seed}/{chain}/L{level}/{branch}/epochs.parquet",
    log:
        "results/{experiment}/logs/train/{arm}/s{seed}/{chain}/L{level}/{branch}.log",
    benchmark:
        "results/{experiment}/benchmarks/train/{arm}/s{seed}/{chain}/L{level}/{branch}.tsv"
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
        "results/{experiment}/rewind/{kind}/s{seed}/e{epoch}.safetensors",
    log:
        "results/{experiment}/logs/rewind_point/{kind}/s{seed}/e{epoch}.log",
    benchmark:
        "results/{experiment}/benchmarks/rewind_point/{kind}/s{seed}/e{epoch}.tsv"
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
