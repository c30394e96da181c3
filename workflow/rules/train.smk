rule train:
    """One training run (a GPU job), then repeated stochastic test passes of its final weights.

    Resumes from its scratch checkpoint after a preemption.
    """
    input:
        data=data_file,
        start=start_weights,
        mask=lambda w: run_file(w, "mask.safetensors"),
    output:
        init="results/{experiment}/runs/{arm}/s{seed}/{chain}/L{level}/{branch}/init.safetensors",
        final="results/{experiment}/runs/{arm}/s{seed}/{chain}/L{level}/{branch}/final.safetensors",
        epochs="results/{experiment}/runs/{arm}/s{seed}/{chain}/L{level}/{branch}/epochs.parquet",
        predictions="results/{experiment}/runs/{arm}/s{seed}/{chain}/L{level}/{branch}/predictions.parquet",
    log:
        "results/{experiment}/logs/train/{arm}/s{seed}/{chain}/L{level}/{branch}.log",
    benchmark:
        "results/{experiment}/benchmarks/train/{arm}/s{seed}/{chain}/L{level}/{branch}.tsv"
    conda:
        "../../environment.yml"
    threads: resource("threads")
    resources:
        gpu=resource("gpu"),
        mem_mb=resource("mem_mb", per_attempt=True),
        runtime=resource("runtime"),
    params:
        spec=train_spec,
        checkpoint="results/{experiment}/checkpoints/{arm}/s{seed}/{chain}/L{level}/{branch}.pt",
        code=CODE["train"],
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
        "../../environment.yml"
    threads: resource("threads")
    resources:
        gpu=resource("gpu"),
        mem_mb=resource("mem_mb", per_attempt=True),
        runtime=resource("runtime"),
    params:
        spec=rewind_spec,
        checkpoint="results/{experiment}/checkpoints/rewind/{kind}/s{seed}/e{epoch}.pt",
        code=CODE["train"],
    script:
        "../../scripts/rewind_point.py"
