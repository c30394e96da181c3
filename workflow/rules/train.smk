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
