"""Standard-normal noise ε: for every variational tensor of a model in one draw, or one tensor
(local reparameterisation's activation noise, the source of Flipout's random signs).

A Bayesian LeNet-300-100 step needs 2.7 M normals (S = 10 copies of its weights). torch's CPU
generator (mt19937) is single-threaded and took ≈ 9 ms of them, a third of the step on 2 cores.
``bayes.cpu_noise`` chooses how ε is drawn on a CPU:

- ``native`` (default): ``noise.c``, counter-based Philox4x32-10 + Box-Muller, vectorised and
  spread over torch's OpenMP threads (≈ 3.4 ms). Compiled with the system's C compiler (``$CC``,
  else ``cc``) on first use and cached per source, compiler and CPU under ``$BLTH_CACHE_DIR``
  (default ``~/.cache/blth``). Each value depends only on (seed, position), so a seed gives the
  same noise with any number of threads; each draw's seed comes from the model's generator.
- ``torch``: ``torch.Tensor.normal_`` with the model's generator.

On a GPU torch's own Philox generator draws ε (parallel already); ``cpu_noise`` plays no part.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import math
import os
import platform
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

import torch
from torch import Tensor

SOURCE = Path(__file__).with_name("noise.c")
_SEED_BOUND = (1 << 63) - 1  # torch.randint takes int64 bounds


def standard_normal(
    shapes: Sequence[torch.Size],
    samples: int,
    generator: torch.Generator | None,
    device: torch.device,
    cpu_noise: str = "native",
) -> list[Tensor]:
    """ε ~ N(0, 1) of shape [samples, *shape] for each shape, as views of one float32 buffer."""
    sizes = [samples * math.prod(shape) for shape in shapes]
    flat = normal((sum(sizes),), generator, device, cpu_noise)
    return [
        part.view(samples, *shape) for part, shape in zip(flat.split(sizes), shapes, strict=True)
    ]


def normal(
    shape: Sequence[int],
    generator: torch.Generator | None,
    device: torch.device,
    cpu_noise: str = "native",
) -> Tensor:
    """One float32 tensor of N(0, 1) values (float32 also under autocast: the same draws with
    amp on and off, and the native kernel on a CPU)."""
    out = torch.empty(shape, device=device, dtype=torch.float32)
    if out.device.type == "cpu" and cpu_noise == "native":
        fill_native(out, int(torch.randint(_SEED_BOUND, (1,), generator=generator)))
    else:
        out.normal_(generator=generator)
    return out


def fill_native(out: Tensor, seed: int) -> None:
    """Fill a contiguous float32 CPU tensor with N(0, 1) values from ``noise.c``."""
    if out.device.type != "cpu" or out.dtype != torch.float32 or not out.is_contiguous():
        raise ValueError(
            f"fill_native needs a contiguous float32 CPU tensor, got {out.dtype} on {out.device}"
        )
    _library().blth_fill_normal(out.data_ptr(), out.numel(), seed % _SEED_BOUND)


def cache_dir() -> Path:
    """Where the compiled kernel is kept: $BLTH_CACHE_DIR, else $XDG_CACHE_HOME/blth."""
    default = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "blth"
    return Path(os.environ.get("BLTH_CACHE_DIR", default))


@functools.cache
def _library() -> ctypes.CDLL:
    compiler = os.environ.get("CC", "cc")
    key = hashlib.sha256(
        b"\0".join([SOURCE.read_bytes(), _compiler_identity(compiler), _cpu_identity()])
    ).hexdigest()[:16]
    target = cache_dir() / f"noise-{key}.so"
    if not target.exists():
        _build(compiler, target)
    lib = ctypes.CDLL(str(target))
    lib.blth_fill_normal.argtypes = [ctypes.c_void_p, ctypes.c_int64, ctypes.c_uint64]
    lib.blth_fill_normal.restype = None
    return lib


def _build(compiler: str, target: Path) -> None:
    """Compile, then link without -ffast-math (it would add crtfastmath, which sets
    flush-to-zero for the whole process). Without -march=native or OpenMP if the compiler
    refuses them: the numbers are the same, only slower."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise RuntimeError(
            f"bayes.cpu_noise: 'native' builds its kernel in {target.parent}, which cannot be "
            f"created ({error}); set $BLTH_CACHE_DIR to a writable folder"
        ) from error
    errors = []
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        obj, lib = Path(tmp) / "noise.o", Path(tmp) / "noise.so"
        for march in (["-march=native"], []):
            for threads in (["-fopenmp"], []):
                flags = [*march, *threads, "-fopenmp-simd"]
                compile_ = [compiler, "-O3", "-ffast-math", "-fPIC", *flags, "-c", str(SOURCE)]
                result = _run([*compile_, "-o", str(obj)])
                if result is None:
                    result = _run([compiler, "-shared", *threads, str(obj), "-o", str(lib), "-lm"])
                if result is None:
                    os.replace(lib, target)  # atomic: parallel jobs may build at the same time
                    return
                errors.append(result)
    raise RuntimeError(
        f"bayes.cpu_noise: 'native' compiles {SOURCE} with the C compiler {compiler!r} "
        f"(set $CC to choose another), and every attempt failed; the last said:\n{errors[-1]}\n"
        "Install a C compiler (gcc or clang), or set bayes.cpu_noise: torch"
    )


def _run(command: list[str]) -> str | None:
    """None on success, else the command and what it printed."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError as error:
        return f"{' '.join(command)}: {error}"
    if done.returncode == 0:
        return None
    return f"{' '.join(command)}\n{done.stderr.strip()}"


def _compiler_identity(compiler: str) -> bytes:
    path = shutil.which(compiler)
    if path is None:
        return compiler.encode()
    version = subprocess.run([path, "--version"], capture_output=True, check=False).stdout
    return path.encode() + version


def _cpu_identity() -> bytes:
    """What -march=native depends on: a cluster's nodes may differ, and share a home folder."""
    identity = platform.machine() + platform.processor()
    try:
        info = Path("/proc/cpuinfo").read_text()
    except OSError:
        return identity.encode()
    lines = [ln for ln in info.splitlines() if ln.startswith(("model name", "flags", "Features"))]
    return (identity + "\n".join(sorted(set(lines)))).encode()
