"""``blth check-config``: the workflow's whole config check, on files, before any job."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

# the workflow's config schema, in the checkout blth is installed from (editable install)
SCHEMA = Path(__file__).resolve().parents[3] / "workflow" / "schemas" / "config.schema.yaml"


def add(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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
    c.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import yaml
    from snakemake.utils import update_config

    from blth.config.check import check
    from blth.config.origins import ConfigError, Origins

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
