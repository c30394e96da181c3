"""The README's Performance figures follow from the committed H200 measurements
(benchmarks/gpu-h200-20261204/, written by benchmarks/device-run.sh)."""

from __future__ import annotations

import json
import re
import statistics
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RUN = ROOT / "benchmarks" / "gpu-h200-20261204"
README = (ROOT / "README.md").read_text()
PERFORMANCE = README[README.index("## Performance") : README.index("**Local runs start jobs warm")]
NAMES = {"resnet20": "ResNet-20", "vgg11": "VGG-11", "vit_tiny": "ViT-tiny"}


def _lines(name: str) -> list[dict]:
    return [json.loads(line) for line in (RUN / name).read_text().splitlines()]


def _eager_epochs() -> dict[tuple[str, str], dict]:
    rows = [r for r in _lines("epoch-cuda.jsonl") if not r["compile"] and r["status"] == "ok"]
    return {(r["model"], r["sample_strategy"] or "det"): r for r in rows if r["jobs"] == 1}


def test_minutes_per_level_table_is_the_measured_epochs():
    epochs = _eager_epochs()
    for model, name in NAMES.items():
        row = next(ln for ln in PERFORMANCE.splitlines() if ln.startswith(f"| {name} (epoch"))
        cells = [c.strip() for c in row.strip("|").split("|")]
        seconds = re.findall(r"[\d.]+", cells[0].removeprefix(name))
        for kind, cell, epoch_s in zip(("det", "stacked", "per_sample"), cells[1:4], seconds):
            measured = epochs[model, kind]
            assert float(cell) == round(measured["level_min_est"], 1), (model, kind)
            assert abs(float(epoch_s) - measured["epoch_s"]) < 0.051, (model, kind)
        paper = (
            epochs[model, "det"]["paper_min_per_level"],
            epochs[model, "stacked"]["paper_min_per_level"],
        )
        assert cells[4] == f"{paper[0]} / {paper[1]}"


def test_bayesian_over_s_times_det_and_the_torch_blue_comparison():
    epochs = _eager_epochs()
    for model, name in NAMES.items():
        ratio = epochs[model, "stacked"]["epoch_s"] / (10 * epochs[model, "det"]["epoch_s"])
        assert f"{ratio:.2f}× {name}" in PERFORMANCE
    step = {(r["model"], r["impl"]): r["step_ms"] for r in _lines("bench-cuda.jsonl")}
    lenet = step["lenet_300_100", "torch_blue"] / step["lenet_300_100", "blth_stacked"]
    resnet = step["resnet20", "blth_stacked"] / step["resnet20", "torch_blue"]
    assert f"blth {lenet:.2f}× faster" in PERFORMANCE
    assert f"torch_blue {resnet:.2f}× faster" in PERFORMANCE


def test_the_gpu_demo_differs_from_the_cpu_demo_less_than_a_change_of_seed():
    def accuracies(path: Path) -> dict[tuple, float]:
        rows = json.loads(path.read_text())["rows"]
        return {(r["arm"], r["chain"], r["branch"], r["level"]): r["acc_mean"] for r in rows}

    cpu = accuracies(ROOT / "benchmarks" / "demo-cpu.json")
    spreads = []
    for other in (RUN / "demo-cuda.json", ROOT / "benchmarks" / "demo-cpu-seed1.json"):
        theirs = accuracies(other)
        assert theirs.keys() == cpu.keys()
        spreads.append(statistics.fmean(100 * abs(theirs[k] - cpu[k]) for k in cpu))
    assert f"mean \\|Δ\\| {spreads[0]:.2f} pts" in PERFORMANCE
    assert f"on the CPU ({spreads[1]:.2f})" in PERFORMANCE
    assert spreads[0] < spreads[1]
