localrules:
    aggregate,


rule aggregate:
    """Evaluate every run from its saved predictions; write results/{experiment}/tables/."""
    input:
        unpack(run_tables),
    output:
        runs="results/{experiment}/tables/runs.parquet",
        epochs="results/{experiment}/tables/epochs.parquet",
        layers="results/{experiment}/tables/layers.parquet",
        calibration="results/{experiment}/tables/calibration.parquet",
    log:
        "results/{experiment}/logs/aggregate.log",
    conda:
        "../../environment.yml"
    params:
        runs=run_records,
        evaluation=lambda w: EXPERIMENTS[w.experiment]["evaluation"],
        code=CODE["evaluate"],
    script:
        "../../scripts/aggregate.py"
