"""Code fingerprints follow the code a job imports and ignore comments, docstrings, layout."""

import shutil
from pathlib import Path

import pytest

from blth.config import fingerprint

ROOT = Path(__file__).resolve().parents[2]


def clear_caches():
    for cached in (fingerprint.fingerprint, fingerprint.module_fingerprint):
        cached.cache_clear()
    fingerprint._analysis.cache_clear()
    fingerprint._content.cache_clear()


@pytest.fixture
def package(tmp_path, monkeypatch):
    """A throwaway copy of src/blth that the fingerprint reads instead of the real one."""
    copy = tmp_path / "blth"
    shutil.copytree(ROOT / "src" / "blth", copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(fingerprint, "PACKAGE_DIR", copy)
    clear_caches()
    yield copy
    clear_caches()


def names(script: str) -> set[str]:
    return {
        str(p.relative_to(fingerprint.PACKAGE_DIR))
        for p in fingerprint.files(ROOT / "scripts" / script)
        if fingerprint.PACKAGE_DIR in p.parents
    }


def again(script: str) -> str:
    clear_caches()
    return fingerprint.fingerprint(ROOT / "scripts" / script)


def source_again(name: str) -> str:
    clear_caches()
    return fingerprint.module_fingerprint(f"blth.data.sources.{name}")


def test_training_follows_lazy_imports_and_named_files(package):
    found = names("train.py")
    # imported inside functions, through packages, and the C source noise.py names
    expected = {"training/train.py", "bayes/layer.py", "bayes/noise.py", "bayes/noise.c"}
    assert expected | {"models/lenet.py"} <= found
    assert {"__init__.py", "models/__init__.py", "steps/__init__.py"} <= found
    assert not found & {"lottery/prune.py", "report/charts.py", "steps/evaluation.py"}


def test_each_job_sees_only_its_code(package):
    assert "training/train.py" not in names("init_weights.py")  # initialisation never trains
    assert "training/train.py" not in names("evaluate.py")  # nor does evaluation
    assert not any(n.startswith("models/") for n in names("aggregate.py"))
    assert "lottery/prune.py" in names("ticket_mask.py")
    assert "report/charts.py" in names("report_figure.py")


def test_comments_docstrings_and_layout_do_not_count(package):
    before = again("train.py")
    source = package / "training" / "train.py"
    text = source.read_text()
    edited = text.replace(
        '"""Training loop of the paper', '"""Reworded: the training loop of the paper'
    )
    edited = edited.replace(
        "    device = torch.device(device)\n", "    device = torch.device(  device )  # why\n"
    )
    assert edited != text
    source.write_text("# a new comment\n" + edited + "\n\n")
    assert again("train.py") == before


@pytest.mark.parametrize(
    "file", ["training/train.py", "bayes/noise.c", "bayes/layer.py", "steps/training.py"]
)
def test_a_real_edit_changes_the_fingerprint(package, file):
    before = again("train.py")
    path = package / file
    marker = "\nstatic const int blth_edit = 1;\n" if file.endswith(".c") else "\nEDIT = 1\n"
    path.write_text(path.read_text() + marker)
    assert again("train.py") != before


def test_an_edit_elsewhere_does_not(package):
    train, mask = again("train.py"), again("ticket_mask.py")
    path = package / "lottery" / "prune.py"
    path.write_text(path.read_text() + "\nEDIT = 1\n")
    assert again("train.py") == train
    assert again("ticket_mask.py") != mask


def test_relative_imports_are_resolved(tmp_path, monkeypatch):
    pkg = tmp_path / "blth"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("from . import a\n")
    (pkg / "sub" / "a.py").write_text("from .b import f\n")
    (pkg / "sub" / "b.py").write_text("def f():\n    from ..c import g\n")
    (pkg / "c.py").write_text("")
    script = tmp_path / "job.py"
    script.write_text("import blth.sub\n")
    monkeypatch.setattr(fingerprint, "PACKAGE_DIR", pkg)
    fingerprint._analysis.cache_clear()
    found = {str(p.relative_to(pkg)) for p in fingerprint.files(script) if pkg in p.parents}
    assert found == {"__init__.py", "sub/__init__.py", "sub/a.py", "sub/b.py", "c.py"}


def test_where_the_checkout_lies_does_not_count(package, tmp_path):
    """A script whose path sorts before the package and one that sorts after it hash alike
    (CI once failed on a clone under /home, beside a package copy under /tmp)."""
    script = ROOT / "scripts" / "train.py"
    prints = set()
    for folder in ("0-before", "z-after"):  # around tmp_path / "blth"
        copy = tmp_path / folder / "train.py"
        copy.parent.mkdir()
        copy.write_text(script.read_text())
        prints.add(fingerprint.fingerprint(copy))
    assert prints == {fingerprint.fingerprint(script)}


def test_how_a_job_is_executed_is_not_its_code(package, tmp_path):
    """The job-server hand-over (blth.jobserver) neither counts in a script nor is followed:
    adding it, or editing the server, reruns no job."""
    script = ROOT / "scripts" / "train.py"
    body = "\n".join(
        line
        for line in script.read_text().splitlines()
        if "hand_over" not in line  # the script as it was before the job server
    )
    bare = tmp_path / "train.py"
    bare.write_text(body)
    before = fingerprint.fingerprint(script)
    assert fingerprint.fingerprint(bare) == before
    assert not any("jobserver" in str(path) for path in fingerprint.files(script))
    (package / "jobserver" / "server.py").write_text("POLL_S = 1\n")
    assert again("train.py") == before


def test_other_calls_still_count(tmp_path):
    base = "from blth.jobserver import hand_over\n\nhand_over()\nx = 1\n"
    first, second = tmp_path / "a.py", tmp_path / "b.py"
    first.write_text(base)
    second.write_text(base + "print(x)\n")
    assert fingerprint.fingerprint(first) != fingerprint.fingerprint(second)


JOBS = ("train.py", "prepare_data.py", "evaluate.py")


def test_no_job_imports_a_dataset_source(package):
    """Sources are loaded by name (blth.data.sources.get): the prepare_data rule adds its
    dataset's."""
    for script in JOBS:
        found = {n for n in names(script) if n.startswith("data/sources/")}
        assert not found - {"data/sources/__init__.py"}
    found = {
        str(p.relative_to(package)) for p in fingerprint.module_files("blth.data.sources.mnist")
    }
    assert found == {
        "__init__.py",
        "io/__init__.py",
        "io/safefiles.py",
        "data/__init__.py",
        "data/sources/__init__.py",
        "data/sources/_download.py",
        "data/sources/_idx.py",
        "data/sources/mnist.py",
    }


def test_adding_a_dataset_source_changes_no_job(package):
    before = {script: again(script) for script in JOBS}
    (package / "data" / "sources" / "newset.py").write_text(
        "AUGMENT = False\n\n\ndef read(root, **_):\n    return ()\n"
    )
    assert {script: again(script) for script in JOBS} == before


def test_a_source_edit_changes_that_source_only(package):
    train, digits, cifar10 = again("train.py"), source_again("digits"), source_again("cifar10")
    path = package / "data" / "sources" / "cifar10.py"
    path.write_text(path.read_text() + "\nEDIT = 1\n")
    assert source_again("cifar10") != cifar10
    assert source_again("digits") == digits and again("train.py") == train


def test_an_edit_of_the_idx_reader_changes_the_idx_sources(package):
    before = {name: source_again(name) for name in ("fashion_mnist", "mnist", "cifar10")}
    path = package / "data" / "sources" / "_idx.py"
    path.write_text(path.read_text() + "\nEDIT = 1\n")
    after = {name: source_again(name) for name in before}
    assert after["fashion_mnist"] != before["fashion_mnist"]
    assert after["mnist"] != before["mnist"] and after["cifar10"] == before["cifar10"]


def test_an_unknown_module_is_refused(package):
    with pytest.raises(ValueError, match="'blth.data.sources.nothing' is not a module of blth"):
        fingerprint.module_files("blth.data.sources.nothing")
