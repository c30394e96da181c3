"""Where each key of the workflow's config was set, and the error that names it.

A problem reads ``<where>: <key path>: <value, and what was expected>``. ``<where>`` is the
config file and line of the key (of its closest enclosing key where a default applies), or
``--config``. The files are read here too, as YAML nodes: a syntax error names file, line and
column, and a key set twice (which Snakemake's reader lets the last win) is an error. Snakemake
reads ``--configfile`` files before the workflow starts and reports their YAML syntax errors
without a location; ``blth check-config FILE`` names it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

KeyPath = tuple[str | int, ...]  # ints index lists
Problem = tuple[KeyPath, str]


class ConfigError(ValueError):
    """The problems of a config, a line each."""


def dotted(path: KeyPath) -> str:
    """``experiments.demo.arms[1]``."""
    return "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in path).lstrip(".")


def _error(lines: Sequence[str]) -> ConfigError:
    count = "1 problem" if len(lines) == 1 else f"{len(lines)} problems"
    return ConfigError(f"the config has {count} (no job has started):\n" + "\n".join(lines))


class Origins:
    """Where each key path of the config was set: ``file:line``, or ``--config``; reading
    ``files`` raises :class:`ConfigError` for a YAML syntax error or a key set twice."""

    def __init__(self, files: Sequence[str | os.PathLike], overrides: Mapping) -> None:
        self.places: dict[KeyPath, str] = {}
        twice = [line for file in files for line in self._read(Path(file))]
        if twice:
            raise _error(twice)
        self.places.update((path, "--config") for path in _key_paths(overrides, ()))

    def of(self, path: KeyPath) -> str:
        """Where ``path``, or where a default applies its closest enclosing key, was set."""
        while path and path not in self.places:
            path = path[:-1]
        return self.places.get(path, "config")

    def check(self, problems: Iterable[Problem]) -> None:
        """Raise :class:`ConfigError` for ``problems``, each a line naming where it was set."""
        lines = [
            f"{self.of(path)}: {dotted(path) + ': ' if path else ''}{text}"
            for path, text in problems
        ]
        if lines:
            raise _error(lines)

    def _read(self, file: Path) -> list[str]:
        name = _shown(file)
        if not file.is_file():
            what = "is a folder" if file.is_dir() else "does not exist"
            raise _error([f"{name}: {what}; expected a YAML file of settings"])
        text = file.read_text(encoding="utf-8")
        self.places[()] = name
        try:
            root = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.YAMLError as err:
            if _is_json(text):  # Snakemake reads JSON first; JSON may hold what YAML refuses
                return []
            raise _error([_syntax_error(name, err)]) from None
        if not isinstance(root, yaml.MappingNode):
            found = "is empty" if root is None else f"holds a {_kind(root)}"
            raise _error([f"{name}: {found}; expected settings, key: value (e.g. experiments:)"])
        return list(_walk(root, (), name, self.places))


def _shown(file: Path) -> str:
    """``file`` relative to the working directory where inside it (as the user typed it)."""
    try:
        return str(file.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(file)


def _kind(node: yaml.Node) -> str:
    return "list" if isinstance(node, yaml.SequenceNode) else f"single value ({node.value!r})"


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _syntax_error(name: str, err: yaml.YAMLError) -> str:
    mark = getattr(err, "problem_mark", None)
    if mark is None:
        return f"{name}: not valid YAML: {err}"
    context = [err.context] if err.context else []
    if err.context_mark:
        context.append(f"from line {err.context_mark.line + 1}")
    detail = f" ({' '.join(context)})" if context else ""
    return f"{name}:{mark.line + 1}:{mark.column + 1}: not valid YAML: {err.problem}{detail}"


def _walk(node: yaml.Node | None, path: KeyPath, name: str, places: dict) -> Iterator[str]:
    """Record the line of every key and list item under ``node``; yield a problem per key set
    twice."""
    if isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            places[(*path, i)] = f"{name}:{item.start_mark.line + 1}"
            yield from _walk(item, (*path, i), name, places)
    if not isinstance(node, yaml.MappingNode):
        return
    lines: dict[str, int] = {}
    for key_node, value in node.value:
        key, line = str(key_node.value), key_node.start_mark.line + 1
        if key in lines:
            yield (
                f"{name}:{line}: {dotted((*path, key))} is set twice (also on line "
                f"{lines[key]}); only the last would count: keep one"
            )
        lines[key] = line
        places[(*path, key)] = f"{name}:{line}"
        yield from _walk(value, (*path, key), name, places)


def _key_paths(tree: Any, path: KeyPath) -> Iterator[KeyPath]:
    if isinstance(tree, Mapping):
        for key, value in tree.items():
            yield (*path, str(key))
            yield from _key_paths(value, (*path, str(key)))
