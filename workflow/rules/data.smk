localrules:
    prepare_data,


rule prepare_data:
    """Download (or read a local copy of) the dataset once and cache it as uint8 tensors."""
    output:
        paths.DATA,
    log:
        paths.log("prepare_data", "{dataset}"),
    conda:
        "../envs/blth.yaml"
    params:
        spec=data_spec,
    script:
        "../../scripts/prepare_data.py"
