"""One module per kind of workflow step; Snakemake scripts unpack ``snakemake`` and call these."""
