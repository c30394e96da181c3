localrules:
    aggregate,


rule aggregate:
    """The experiment's tables (results/{experiment}/tables/) from every run's epoch log and
    every series' evaluation."""
    input:
        unpack(aggregate_inputs),
    output:
        **{table: f"results/{{experiment}}/tables/{table}.parquet" for table in TABLES},
    log:
        "results/{experiment}/logs/aggregate.log",
    conda:
        "../envs/blth.yaml"
    params:
        spec=aggregate_spec,
    script:
        "../../scripts/aggregate.py"
