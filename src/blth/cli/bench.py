"""``blth bench``: the Adam-step benchmark (blth.bench); its choice lists come from the
torch-free :mod:`blth.bench.case_names`, so ``--help`` answers without importing torch."""

from __future__ import annotations

import argparse
import contextlib
import io
import sys

from blth.bench.case_names import BLTH_VARIANTS, IMPLS, MODELS


def add(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    b = sub.add_parser(
        "bench",
        help="time one Adam step, deterministic vs Bayesian (blth, torch_blue)",
        description="Median Adam-step time at batch 128 on random data; one JSON line per case.",
    )
    b.add_argument("--quick", action="store_true", help="few steps (about a minute on 2 cores)")
    b.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    b.add_argument("--models", nargs="+", choices=list(MODELS), default=list(MODELS))
    b.add_argument(
        "--impl",
        nargs="+",
        choices=sorted({*IMPLS, *BLTH_VARIANTS}),
        default=list(IMPLS),
        help="Bayesian implementations (the deterministic blth reference always runs); "
        "blth_per_sample / blth_stacked fix bayes.sample_strategy (blth: the device's default); "
        "blth_torch_noise draws the weight noise with torch's generator (bayes.cpu_noise: torch); "
        "blth_local_reparam / blth_flipout use the local reparameterisation / Flipout estimator",
    )
    b.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch default)")
    b.add_argument("--out", help="also write the JSON lines to this file")
    b.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import torch

    from blth.bench.cases import cases
    from blth.bench.throughput import resolve_device, run

    if args.threads:
        torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        print("error: --device cuda but CUDA is not available", file=sys.stderr)
        return 2
    with contextlib.ExitStack() as stack:
        streams = [sys.stdout]
        if args.out:
            streams.append(stack.enter_context(open(args.out, "w")))

        class Tee(io.TextIOBase):  # each JSON line to stdout and to --out as it is measured
            def write(self, s: str) -> int:
                for stream in streams:
                    stream.write(s)
                return len(s)

            def flush(self) -> None:
                for stream in streams:
                    stream.flush()

        run(cases(args.models, args.impl), args.quick, device, out=Tee())
    return 0
