"""Training-step throughput: blth (deterministic / mean-field VI) against torch_blue.

One timed step is a full Adam update (lr 1e-3) on a random batch: zero_grad, forward, loss,
backward, step. Each case reports the median over its timed steps after a warm-up. Cases of one
model and device are interleaved, a block of steps each in turn, so that a slow phase of the
machine hits all of them alike and the ratio Bayesian / (S × deterministic) stays fair.

torch_blue is optional (``pip install blth[bench]``); without it its cases are skipped.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from blth.bench_cases import BLTH_VARIANTS, IMPLS, MODELS
from blth.hparams import BayesHparams, TrainHparams
from blth.train import synchronize

CLASSES = 10
BATCH = 128
SAMPLES = 10
DATA_SIZE = 50_000
TEMPERATURE = 0.1
LR = 1e-3


@dataclass(frozen=True)
class Case:
    model: str
    impl: str
    bayesian: bool

    @property
    def samples(self) -> int:
        return SAMPLES if self.bayesian else 1

    def bayes(self) -> BayesHparams | None:
        """Settings of a Bayesian blth case (None for deterministic or torch_blue)."""
        if not self.bayesian or self.impl not in BLTH_VARIANTS:
            return None
        return BayesHparams(samples=self.samples, **BLTH_VARIANTS[self.impl])


def cases(models: Iterable[str] = MODELS, impls: Iterable[str] = IMPLS) -> list[Case]:
    """Deterministic blth (the reference) plus a Bayesian case per implementation."""
    out = []
    for model in models:
        if model not in MODELS:
            raise ValueError(f"unknown benchmark model {model!r}; choose from {list(MODELS)}")
        out.append(Case(model, "blth", False))
        out.extend(Case(model, impl, True) for impl in impls)
    return out


# (warm-up steps, rounds, timed steps per round); every case of a model gets the same number of
# rounds, so the cases alternate until the end (blocks of about equal wall time).
PLANS = {  # (quick, model, bayesian)
    (True, "lenet_300_100", False): (5, 4, 10),
    (True, "lenet_300_100", True): (2, 4, 5),
    (True, "resnet20", False): (1, 3, 2),
    (True, "resnet20", True): (1, 3, 1),
    (False, "lenet_300_100", False): (20, 10, 40),
    (False, "lenet_300_100", True): (3, 10, 20),
    (False, "resnet20", False): (3, 5, 6),
    (False, "resnet20", True): (2, 5, 2),
}


def schedule(case: Case, quick: bool, steps: int | None = None) -> tuple[int, int, int]:
    """(warm-up steps, rounds, timed steps per round); ``steps`` gives (1, steps, 1)."""
    if steps is not None:
        return 1, steps, 1
    return PLANS[quick, case.model, case.bayesian]


# --------------------------------------------------------------------------- step builders
Step = Callable[[], torch.Tensor]  # one optimiser step; returns the detached loss


def _blth_step(case: Case, device: torch.device, x, y) -> Step:
    from blth.models import build
    from blth.train import loss_terms

    bayes = case.bayes()
    model = build(case.model, MODELS[case.model], CLASSES, bayes, seed=0).to(device)
    model.set_channels_last(TrainHparams().channels_last)  # the training default
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=LR)

    def step() -> torch.Tensor:
        opt.zero_grad(set_to_none=True)
        logits = model(x, samples=case.samples)
        kl = model.kl("closed") if case.bayesian else logits.new_zeros(())
        loss, _ = loss_terms(logits, y, kl, DATA_SIZE, TEMPERATURE, case.bayesian)
        loss.backward()
        opt.step()
        return loss.detach()

    return step


def _torch_blue_resnet20(vi, conv: Callable, linear: Callable) -> nn.Module:
    def bn(c: int) -> nn.Module:  # running stats fail under torch_blue's vmap
        return nn.BatchNorm2d(c, track_running_stats=False)

    class Block(vi.VIModule):
        def __init__(self, cin: int, cout: int, stride: int) -> None:
            super().__init__()
            self.conv1, self.bn1 = conv(cin, cout, 3, stride, 1), bn(cout)
            self.conv2, self.bn2 = conv(cout, cout, 3, 1, 1), bn(cout)
            self.proj = stride != 1 or cin != cout
            if self.proj:
                self.sc_conv, self.sc_bn = conv(cin, cout, 1, stride, 0), bn(cout)

        def forward(self, x):
            out = F.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            return F.relu(out + (self.sc_bn(self.sc_conv(x)) if self.proj else x))  # no in-place

    class ResNet20(vi.VIModule):
        def __init__(self) -> None:
            super().__init__()
            self.conv, self.bn = conv(3, 16, 3, 1, 1), bn(16)
            blocks, cin = [], 16
            for cout, stride in ((16, 1), (32, 2), (64, 2)):
                for i in range(3):
                    blocks.append(Block(cin, cout, stride if i == 0 else 1))
                    cin = cout
            self.blocks = nn.ModuleList(blocks)
            self.fc = linear(64, CLASSES)

        def forward(self, x):
            x = F.relu(self.bn(self.conv(x)))
            for block in self.blocks:
                x = block(x)
            return self.fc(x.mean(dim=(-2, -1)))

    return ResNet20()


def _torch_blue_lenet(vi, linear: Callable) -> nn.Module:
    class LeNet300(vi.VIModule):
        def __init__(self) -> None:
            super().__init__()
            self.fc1, self.fc2, self.fc3 = linear(784, 300), linear(300, 100), linear(100, CLASSES)

        def forward(self, x):
            x = F.relu(self.fc1(x.flatten(start_dim=-3)))
            return self.fc3(F.relu(self.fc2(x)))

    return LeNet300()


def _torch_blue_step(case: Case, device: torch.device, x, y) -> Step:
    from torch_blue import vi
    from torch_blue.vi.distributions import Categorical, MeanFieldNormal

    kw = {
        "prior": MeanFieldNormal(mean=0.0, std=1.0),
        "variational_distribution": MeanFieldNormal(std=0.01),
    }

    def conv(cin, cout, k, stride, padding):
        return vi.VIConv2d(cin, cout, k, stride=stride, padding=padding, bias=False, **kw)

    def linear(fin, fout):
        return vi.VILinear(fin, fout, **kw)

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        if case.model == "resnet20":
            model = _torch_blue_resnet20(vi, conv, linear)
        else:
            model = _torch_blue_lenet(vi, linear)
    model.to(device).train()
    criterion = vi.KullbackLeiblerLoss(Categorical(), dataset_size=DATA_SIZE, heat=TEMPERATURE)
    opt = torch.optim.Adam(model.parameters(), lr=LR)

    def step() -> torch.Tensor:
        opt.zero_grad(set_to_none=True)
        loss = criterion(model(x, samples=case.samples), y)
        loss.backward()
        opt.step()
        return loss.detach()

    return step


def torch_blue_available() -> bool:
    try:
        import torch_blue  # noqa: F401
    except ImportError:
        return False
    return True


# --------------------------------------------------------------------------- driver
def resolve_device(name: str = "auto") -> torch.device:
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    return torch.device(name)


def _run_group(
    group: list[Case], quick: bool, device: torch.device, steps_override: int | None
) -> dict[Case, list[float]]:
    shape = MODELS[group[0].model]
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(BATCH, *shape, generator=gen).to(device)
    y = torch.randint(0, CLASSES, (BATCH,), generator=gen).to(device)
    steps, plans = {}, {}
    for case in group:
        build = _torch_blue_step if case.impl == "torch_blue" else _blth_step
        steps[case] = build(case, device, x, y)
        plans[case] = schedule(case, quick, steps_override)
    for case in group:  # warm-up (allocator, oneDNN primitive caches, lazy inits)
        for _ in range(plans[case][0]):
            steps[case]()
        synchronize(device)
    times: dict[Case, list[float]] = {case: [] for case in group}
    for round_ in range(max(plans[c][1] for c in group)):  # round robin over blocks of steps
        for case in group:
            _, rounds, block = plans[case]
            if round_ >= rounds:
                continue
            for _ in range(block):
                synchronize(device)
                t0 = time.perf_counter()
                loss = steps[case]()
                synchronize(device)
                times[case].append(time.perf_counter() - t0)
            if not torch.isfinite(loss).item():
                raise RuntimeError(f"non-finite loss in benchmark case {case}")
    return times


def run(
    cases: Iterable[Case],
    quick: bool,
    device: torch.device | str = "cpu",
    out=sys.stdout,
    steps: int | None = None,
) -> list[dict]:
    """Time every case; print (to ``out``, if not None) and return one dict per case.

    ``steps`` fixes the number of timed steps of every case (1 warm-up step, blocks of 1).
    """
    device = resolve_device(device) if isinstance(device, str) else device
    todo = list(cases)
    if any(c.impl == "torch_blue" for c in todo) and not torch_blue_available():
        print(
            "note: torch_blue is not installed (pip install 'blth[bench]'); "
            "skipping the torch_blue cases",
            file=sys.stderr,
        )
        todo = [c for c in todo if c.impl != "torch_blue"]
    results = []
    for model in dict.fromkeys(c.model for c in todo):
        group = [c for c in todo if c.model == model]
        times = _run_group(group, quick, device, steps)
        dets = [1e3 * statistics.median(times[c]) for c in group if not c.bayesian]
        det_ms = dets[0] if dets else None
        for case in group:
            step_ms = 1e3 * statistics.median(times[case])
            row = {
                "model": case.model,
                "impl": case.impl,
                "bayesian": case.bayesian,
                "samples": case.samples,
                "batch": BATCH,
                "device": device.type,
                "images_per_s": round(1e3 * BATCH / step_ms, 1),
                "step_ms": round(step_ms, 3),
                "step_ms_min": round(1e3 * min(times[case]), 3),
                "step_ms_max": round(1e3 * max(times[case]), 3),
                "steps": len(times[case]),
                "mode": "quick" if quick else "normal",
                "threads": torch.get_num_threads(),
                "torch": torch.__version__,
            }
            bayes = case.bayes()
            if bayes is not None:
                row["sample_strategy"] = bayes.strategy_on(device.type)
                row["estimator"] = bayes.estimator
                if device.type == "cpu" and bayes.estimator != "local_reparam":
                    row["cpu_noise"] = bayes.cpu_noise
            if case.bayesian:
                ratio = None if det_ms is None else step_ms / (case.samples * det_ms)
                row["ratio_to_det_x_samples"] = None if ratio is None else round(ratio, 3)
            results.append(row)
            if out is not None:
                print(json.dumps(row), file=out, flush=True)
    return results
