"""Each rule's one params entry: its job's spec (blth.config.runspec) with the fingerprint of the code
the rule's script runs (blth.config.fingerprint). docs/reruns.md says what reruns when.
"""


def code(script):
    """Fingerprint of the code a rule's script runs (blth.config.fingerprint): a job reruns when that
    code changes, not when a comment, a docstring or a file's modification time does."""
    return fingerprint.fingerprint(SCRIPTS / f"{script}.py")


def data_code(dataset):
    """prepare_data's code and that of ``dataset``'s source, which the script loads by
    name (blth.data.sources): editing a source reruns its dataset's prepare_data only.
    """
    source = fingerprint.module_fingerprint(sources.module(dataset))
    return f"{code('prepare_data')}+{source}"


def data_spec(w):
    """The experiment's dataset with its options and subset, or an out-of-distribution one
    whole, with no options."""
    own = exp(w)["dataset"] == w.dataset
    source = exp(w) if own else {"dataset": w.dataset, "dataset_options": {}}
    return runspec.data_spec(source, data_code(w.dataset)).params()


def init_spec(w):
    seed = int(w.init_seed)
    return runspec.init_spec(exp(w), w.kind == BNN, seed, code("init_weights")).params()


def transplant_spec(w):
    return runspec.transplant_spec(exp(w), code("transplant_init")).params()


def mask_spec(w):
    level = int(w.level)
    return runspec.mask_spec(
        exp(w), arm(w).criterion, level, code("ticket_mask")
    ).params()


def branch_spec(w):
    seed, level = int(w.seed), int(w.level)
    return runspec.branch_spec(
        exp(w), w.branch, seed, level, code("branch_mask")
    ).params()


def train_spec(w):
    seed, start = int(w.seed), start_epoch(w)
    spec = runspec.train_spec(exp(w), bayesian(w), seed, start, None, code("train"))
    return spec.params()


def rewind_spec(w):
    """The first ``epoch`` epochs of the dense run (same seed and settings: the same state)."""
    seed, stop = int(w.seed), int(w.epoch)
    spec = runspec.train_spec(
        exp(w), w.kind == BNN, seed, 0, stop, code("rewind_point")
    )
    return spec.params()


def eval_spec(w):
    seed, levels = int(w.seed), [int(r.level) for r in series_runs(w)]
    spec = runspec.eval_spec(exp(w), bayesian(w), seed, levels, code("evaluate"))
    return spec.params()


def ensemble_spec(w):
    """The members' seeds (in the order of the inputs) and the calibration bins."""
    e = exp(w)
    bins = [e["evaluation"]["ece_bins"], e["evaluation"]["mace_bins"]]
    return {"seeds": e["seeds"], "bins": bins, "code": code("ensemble")}


def aggregate_spec(w):
    """Every run's identity and folders, and each ensemble's identity (in the order of the
    inputs)."""
    records = run_records(w)
    first = {r["arm"]: r for r in records}
    seeds = ",".join(str(s) for s in exp(w)["seeds"])
    shared = ("experiment", "dataset", "model", "arm", "bayesian", "criterion")
    members = [
        {
            **{k: first[arm][k] for k in shared},
            "chain": chain,
            "branch": MAIN,
            "seeds": seeds,
        }
        for arm, chain in ensembles(w.experiment)
    ]
    return {"runs": records, "ensembles": members, "code": code("aggregate")}


def figure_spec(w):
    return {
        "tolerance": float(config["report"]["match_tolerance"]),
        "code": code("report_figure"),
    }


def study_figure_spec(w):
    """The study_figure job's spec: its code only (no study figure uses the tolerance)."""
    return {"code": code("study_figure")}
