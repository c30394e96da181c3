# The mask steps and the transplant are numpy-only and take seconds: on a cluster they run on
# the submit host instead of waiting in the queue, hundreds of times per study (a grouped rule is
# never local, so under workflow/profiles/slurm-grouped they run inside the group job).
localrules:
    transplant_init,
    ticket_mask,
    branch_mask,


# What those three need, the largest paper model (Bayesian VGG-11, 74 MB of weights) included;
# runtime in minutes, for a profile that sends them to a cluster after all.
MASK_MEM_MB = 2000
MASK_RUNTIME = 5


rule init_weights:
    """Initial weights of the deterministic or Bayesian network for one seed."""
    input:
        data=data_file,
    output:
        paths.INIT,
    log:
        paths.log("init_weights", "{kind}/s{init_seed}"),
    conda:
        "../envs/blth.yaml"
    params:
        spec=init_spec,
    script:
        "../../scripts/init_weights.py"


rule transplant_init:
    """Bayesian start whose μ is the deterministic w₀, or its late rewind point (paper
    section 8)."""
    input:
        det=lambda w: rewound_init(w, DET),
        bnn=lambda w: init_file(w.experiment, BNN, w.seed),
    output:
        paths.TRANSPLANT_INIT,
    log:
        paths.log("transplant_init", "s{seed}"),
    conda:
        "../envs/blth.yaml"
    resources:
        mem_mb=MASK_MEM_MB,
        runtime=MASK_RUNTIME,
    params:
        spec=transplant_spec,
    script:
        "../../scripts/transplant_init.py"


rule ticket_mask:
    """Level 0: dense. Level k: global pruning of level k-1's final weights."""
    input:
        unpack(ticket_mask_inputs),
    output:
        paths.fill(f"{paths.RUN}/mask.safetensors", branch=MAIN),
    log:
        paths.log("ticket_mask", "{arm}/s{seed}/{chain}/L{level}"),
    conda:
        "../envs/blth.yaml"
    resources:
        mem_mb=MASK_MEM_MB,
        runtime=MASK_RUNTIME,
    params:
        spec=mask_spec,
    script:
        "../../scripts/ticket_mask.py"


rule branch_mask:
    """The mask of a branch run: a shuffle of the ticket's mask, or the mask itself."""
    input:
        lambda w: run_file(w, "mask.safetensors", branch=MAIN),
    output:
        f"{paths.RUN}/mask.safetensors",
    log:
        paths.log("branch_mask", paths.RUN_ID),
    wildcard_constraints:
        branch="|".join(BRANCHES),
    conda:
        "../envs/blth.yaml"
    resources:
        mem_mb=MASK_MEM_MB,
        runtime=MASK_RUNTIME,
    params:
        spec=branch_spec,
    script:
        "../../scripts/branch_mask.py"
