"""bf16 autocast, run on the CPU: every sample strategy and estimator against float32.

Jobs autocast on CUDA only (``train.amp``); ``on_cpu`` lets these tests take the same code path
on a CPU. Tolerances: bf16 keeps 8 significant bits (relative rounding 2^-9 per operation), so
the logits of LeNet (3 layers) stay within 2 % of their largest magnitude and ResNet-20's
(21 layers, BatchNorm) within 5 %; the gradients point the same way, cosine similarity
>= 0.995 and >= 0.9. ResNet-20's lowest cosine (about 0.95) comes from BatchNorm's γ and β,
whose gradients are sums with cancellation over bf16 activations.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from blth.bayes.hparams import ESTIMATORS, BayesHparams
from blth.evaluation.inference import amp_active, autocast
from blth.models.registry import build
from blth.training.epoch import loss_terms

CPU = torch.device("cpu")
MODELS = {  # name: (input shape, logits tolerance, gradient cosine)
    "lenet_300_100": ((1, 8, 8), 0.02, 0.995),
    "resnet20": ((3, 8, 8), 0.05, 0.9),
}
VARIANTS = {"det": None} | {
    f"{strategy}-{estimator}": (strategy, estimator)
    for strategy in ("per_sample", "stacked")
    for estimator in ESTIMATORS
}


def step(name: str, variant: tuple[str, str] | None, amp: bool) -> tuple[torch.Tensor, ...]:
    """(logits, flat gradient) of one loss and backward, batch 4, S = 3, fixed noise."""
    shape = MODELS[name][0]
    bayes = None
    if variant is not None:
        strategy, estimator = variant
        bayes = BayesHparams(samples=3, sample_strategy=strategy, estimator=estimator)
    net = build(name, shape, 10, bayes, seed=0).train()
    net.generator = torch.Generator().manual_seed(7)
    x = torch.randn(4, *shape, generator=torch.Generator().manual_seed(1))
    with autocast(CPU, amp, on_cpu=True):
        logits = net(x, 3 if bayes else 1)
    kl = net.kl("closed") if bayes else logits.new_zeros(())
    loss, _ = loss_terms(logits, torch.arange(4), kl, 100, 0.1, bayes is not None)
    loss.backward()
    grads = [p.grad for p in net.parameters()]
    assert all(g is not None and g.dtype == torch.float32 for g in grads)  # parameters stay fp32
    return logits, torch.cat([g.flatten() for g in grads])


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("name", MODELS)
def test_bf16_autocast_matches_float32(name, variant):
    _, logits_tol, min_cosine = MODELS[name]
    ref_logits, ref_grad = step(name, VARIANTS[variant], amp=False)
    logits, grad = step(name, VARIANTS[variant], amp=True)
    assert logits.dtype == torch.bfloat16 and ref_logits.dtype == torch.float32
    assert torch.isfinite(grad).all()
    error = (logits.float() - ref_logits).abs().max() / ref_logits.abs().max()
    assert error <= logits_tol
    assert F.cosine_similarity(grad, ref_grad, dim=0) >= min_cosine


def test_jobs_autocast_on_cuda_only():
    assert not amp_active(CPU, True)  # train.amp: true on a CPU stays float32
    assert amp_active(CPU, True, on_cpu=True)
    assert amp_active(torch.device("cuda"), True)
    assert not amp_active(torch.device("cuda"), False)
    with autocast(CPU, True):
        assert not torch.is_autocast_enabled("cpu")
