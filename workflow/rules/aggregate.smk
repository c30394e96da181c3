localrules:
    aggregate,


rule aggregate:
    """The experiment's tables (results/{experiment}/tables/) from every run's epoch log and
    every series' evaluation."""
    input:
        unpack(aggregate_inputs),
    output:
        **{table: paths.fill(paths.TABLE, table=table) for table in TABLES},
    log:
        paths.log("aggregate"),
    conda:
        "../envs/blth.yaml"
    params:
        spec=aggregate_spec,
    script:
        "../../scripts/aggregate.py"
