rule evaluate:
    """Repeated stochastic test passes of the final weights of one series of runs (every level
    of a chain or branch): accuracy, calibration, selective prediction, sparsity, inference cost
    and, with evaluation.shift, corrupted and out-of-distribution sets; the test predictions are
    kept (blth.io.predictions). Reruns without retraining.
    """
    input:
        data=data_file,
        finals=lambda w: series_files(w, "final.safetensors"),
        masks=lambda w: series_files(w, "mask.safetensors"),
        ood=ood_data_files,
        folder_corruptions=folder_corruption_files,
    output:
        **{table: f"{paths.EVALUATION}/{table}.parquet" for table in EVALUATION_TABLES},
        predictions=f"{paths.EVALUATION}/{PREDICTIONS}",
    log:
        paths.log("evaluate", paths.SERIES_ID),
    conda:
        "../envs/blth.yaml"
    threads: resource("threads")
    resources:
        gpu=resource("gpu"),
        mem_mb=resource("mem_mb", per_attempt=True),
        runtime=resource("runtime"),
    params:
        spec=eval_spec,
    script:
        "../../scripts/evaluate.py"


rule ensemble:
    """One arm's tickets of each level as an ensemble across the experiment's seeds
    (evaluation.ensembles), from the stored predictions of its series: no network runs, no
    training reruns (blth.evaluation.ensembles)."""
    input:
        unpack(ensemble_members),
    output:
        **{table: f"{paths.ENSEMBLE}/{table}.parquet" for table in ENSEMBLE_TABLES},
    log:
        paths.log("ensemble", "{arm}/{chain}"),
    conda:
        "../envs/blth.yaml"
    threads: 1
    resources:
        gpu=0,
    params:
        spec=ensemble_spec,
    script:
        "../../scripts/ensemble.py"
