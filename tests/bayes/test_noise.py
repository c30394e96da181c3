import pytest
import torch

from blth.bayes import noise
from blth.bayes.hparams import BayesHparams
from blth.models.registry import build


def native(n: int, seed: int) -> torch.Tensor:
    out = torch.empty(n)
    noise.fill_native(out, seed)
    return out


def test_native_noise_is_standard_normal():
    z = native(1_000_000, seed=1).double()
    assert abs(z.mean().item()) < 0.004
    assert abs(z.var().item() - 1) < 0.005
    assert abs((z**3).mean().item()) < 0.01  # skewness
    assert abs((z**4).mean().item() - 3) < 0.03  # kurtosis
    assert abs((z.abs() > 3).double().mean().item() - 0.0027) < 0.0003
    ks = (torch.special.ndtr(z.sort().values) - torch.arange(1, z.numel() + 1) / z.numel()).abs()
    assert ks.max().item() < 0.002  # Kolmogorov-Smirnov distance, sqrt(n) * D < 2
    for lag in (1, 2, 4):  # the Box-Muller pairs and neighbouring Philox words
        assert abs(torch.corrcoef(torch.stack([z[:-lag], z[lag:]]))[0, 1].item()) < 0.004


def test_native_noise_depends_only_on_seed_and_position():
    whole = native(10_001, seed=7)
    assert torch.equal(native(5, seed=7), whole[:5])  # a tail shorter than a block
    assert torch.equal(native(4096 + 3, seed=7), whole[: 4096 + 3])
    assert not torch.equal(native(10_001, seed=8), whole)
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        serial = native(10_001, seed=7)
    finally:
        torch.set_num_threads(threads)
    assert torch.equal(serial, whole)


def test_standard_normal_views_one_reproducible_draw():
    shapes = [torch.Size((3, 4)), torch.Size((5,))]
    for cpu_noise in ("native", "torch"):
        a, b = (
            noise.standard_normal(
                shapes, 2, torch.Generator().manual_seed(0), torch.device("cpu"), cpu_noise
            )
            for _ in range(2)
        )
        assert [e.shape for e in a] == [torch.Size((2, 3, 4)), torch.Size((2, 5))]
        assert all(torch.equal(x, y) for x, y in zip(a, b))


def test_bayesian_models_train_with_either_cpu_noise():
    x, y = torch.randn(8, 1, 8, 8), torch.randint(0, 10, (8,))
    for cpu_noise in ("native", "torch"):
        net = build("lenet_300_100", (1, 8, 8), 10, BayesHparams(cpu_noise=cpu_noise), seed=0)
        net.generator = torch.Generator().manual_seed(1)
        logits = net(x, 3)
        torch.nn.functional.cross_entropy(logits.flatten(0, 1), y.repeat(3)).backward()
        assert all(p.grad is not None for p in net.parameters())
    with pytest.raises(ValueError, match="bayes.cpu_noise"):
        BayesHparams(cpu_noise="mt19937")


def test_fill_native_rejects_other_tensors():
    with pytest.raises(ValueError, match="contiguous float32 CPU tensor"):
        noise.fill_native(torch.empty(4, dtype=torch.float64), 0)


def test_a_missing_compiler_names_the_setting_to_change(tmp_path, monkeypatch):
    monkeypatch.setenv("BLTH_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("CC", "no-such-cc")
    noise._library.cache_clear()
    try:
        with pytest.raises(RuntimeError, match="set bayes.cpu_noise: torch") as error:
            native(4, seed=0)
        assert "no-such-cc" in str(error.value)
    finally:
        noise._library.cache_clear()
    assert not list(tmp_path.glob("*.so"))


def test_the_native_library_is_built_into_the_cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("BLTH_CACHE_DIR", str(tmp_path))
    noise._library.cache_clear()
    try:
        before = native(100, seed=3)
        assert len(list(tmp_path.glob("noise-*.so"))) == 1
    finally:
        noise._library.cache_clear()
    assert torch.equal(before, native(100, seed=3))
