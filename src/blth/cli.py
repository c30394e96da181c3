"""Command line entry point ``blth``.

blth --version
blth bench [--quick] [--device auto|cpu|cuda] [--models M ...] [--impl I ...]
           [--threads N] [--out FILE]
blth report TABLES [TABLES ...] OUT [--tolerance POINTS]
blth check-config FILE ... [--schema SCHEMA]

torch is imported by the commands when they run, not here, so ``--help`` and ``--version``
answer at once (the choice lists come from the torch-free :mod:`blth.bench_cases`).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
from pathlib import Path

from blth import __version__
from blth.bench_cases import BLTH_VARIANTS, IMPLS, MODELS

# the workflow's config schema, in the checkout blth is installed from (editable install)
SCHEMA = Path(__file__).resolve().parents[2] / "workflow" / "schemas" / "config.schema.yaml"


def _bench(args: argparse.Namespace) -> int:
    import torch

    from blth import bench

    if args.threads:
        torch.set_num_threads(args.threads)
    device = bench.resolve_device(args.device)
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

        bench.run(bench.cases(args.models, args.impl), args.quick, device, out=Tee())
    return 0


def _report(args: argparse.Namespace) -> int:
    from blth.artefacts import OPTIONAL_TABLES
    from blth.report import (
        FIGURES,
        STUDY_FIGURES,
        STUDY_REGISTRY,
        chart_or_placeholder,
        load_tables,
        save,
    )
    from blth.report.study import concat_tables

    try:  # one experiment, or a study of several: tables concatenated, figures faceted per model
        tables = concat_tables([load_tables(folder) for folder in args.tables])
    except ValueError as err:  # a missing folder or a damaged table, named
        print(f"error: {err}", file=sys.stderr)
        return 2
    empty = [name for name, frame in tables.items() if frame.empty]
    missing = [name for name in empty if name not in OPTIONAL_TABLES]
    if missing:
        print(f"error: {' '.join(args.tables)} has no {', '.join(missing)} table", file=sys.stderr)
        return 2
    figures = {figure: chart_or_placeholder for figure in FIGURES}
    if len(args.tables) > 1:  # the cross-experiment figures, where the study has their data
        figures |= {figure: STUDY_REGISTRY.chart_or_placeholder for figure in STUDY_FIGURES}
    for figure, draw in figures.items():
        chart = draw(figure, tables, args.tolerance)
        save(chart, f"{args.out}/{figure}.html", f"{args.out}/{figure}.svg")
        print(f"{args.out}/{figure}.html, .svg")
    return 0


def _check_config(args: argparse.Namespace) -> int:
    import yaml
    from snakemake.utils import update_config

    from blth.config_check import check
    from blth.config_origins import ConfigError, Origins

    schema = Path(args.schema)
    if not schema.is_file():
        print(f"error: no config schema at {schema}; give --schema", file=sys.stderr)
        return 2
    try:
        origins = Origins(args.files, {})
        config: dict = {}
        for file in args.files:  # merged as Snakemake merges --configfile files
            update_config(config, yaml.safe_load(Path(file).read_text(encoding="utf-8")))
        check(config, schema, origins)
    except ConfigError as err:
        print(err, file=sys.stderr)
        return 1
    names = ", ".join(sorted(config["experiments"]))
    print(f"valid: {len(config['experiments'])} experiment(s), {names}")
    return 0


def parser() -> argparse.ArgumentParser:
    """The ``blth`` command line: --version and the subcommands bench, report, check-config."""
    p = argparse.ArgumentParser(prog="blth", description="Bayesian lottery tickets tools")
    p.add_argument("--version", action="version", version=f"blth {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
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
    b.set_defaults(func=_bench)
    r = sub.add_parser(
        "report",
        help="draw every report figure from an experiment's tables, without training",
        description="Every figure of blth.report (HTML and SVG) from the Parquet tables in "
        "TABLES, e.g. docs/results/fashion_mnist/tables, or in several such folders.",
    )
    r.add_argument(
        "tables",
        nargs="+",
        help="an experiment's tables folder, or several (a study: each figure faceted per "
        "model, plus the cross-experiment figures)",
    )
    r.add_argument("out", help="folder the figures are written to")
    r.add_argument(
        "--tolerance", type=float, default=0.5, help="accuracy points below dense that match"
    )
    r.set_defaults(func=_report)
    c = sub.add_parser(
        "check-config",
        help="check config files as the workflow does, before any job",
        description="The workflow's whole config check on FILE ... merged in order, as "
        "`snakemake --configfile FILE ...` merges them: YAML syntax, keys set twice, the schema "
        "and the cross-key checks, every problem at once, each named with its file and line.",
    )
    c.add_argument("files", nargs="+", metavar="FILE")
    c.add_argument(
        "--schema", default=str(SCHEMA), help="the config schema (default: the checkout's)"
    )
    c.set_defaults(func=_check_config)
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the subcommand ``argv`` names (default: sys.argv); its exit status."""
    args = parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
