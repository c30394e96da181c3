"""Code fingerprints: a hash of the code a workflow job runs, blind to comments and layout.

From a job's script, every import of the package is followed (module-level and inside
functions: lazy imports run too), with the ``__init__`` of every package on the way and the
non-Python files a module names by a string literal (``noise.c``). Python files count as
their syntax tree without docstrings, so comments, docstrings and formatting change nothing;
other files count byte for byte. Torch-free: the workflow computes these when it builds the DAG.
A module's fingerprint (:func:`module_fingerprint`) follows the same from that module: for code a
job loads by name, which no import statement reaches (its dataset's source, blth.data.sources).
"""

from __future__ import annotations

import ast
import functools
import hashlib
from pathlib import Path

PACKAGE = "blth"
PACKAGE_DIR = Path(__file__).resolve().parents[1]
# How a job is executed, not what it computes: a script's top-level import from it and calls of
# what it imports (``hand_over()``) are left out, and it is not followed.
EXECUTION_ONLY = f"{PACKAGE}.jobserver"


def _execution_only(name: str) -> bool:
    return name == EXECUTION_ONLY or name.startswith(EXECUTION_ONLY + ".")


def module_file(module: str) -> Path | None:
    """The source file of package module ``module`` (``blth.lottery.masks``), or None."""
    parts = module.split(".")
    if parts[0] != PACKAGE:
        return None
    base = PACKAGE_DIR.joinpath(*parts[1:])
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imports(tree: ast.AST, module: str, is_package: bool) -> set[str]:
    """Package modules imported anywhere in ``tree`` (relative imports resolved)."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: from the package that holds ``module``
                anchor = module.split(".")[: len(module.split(".")) - node.level + is_package]
                base = ".".join(anchor + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {name for name in found if module_file(name) is not None and not _execution_only(name)}


def _parents(module: str) -> list[str]:
    """``blth.lottery.masks`` -> ``blth``, ``blth.lottery``: packages run on import."""
    parts = module.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def _named_files(tree: ast.AST, folder: Path) -> set[Path]:
    """Non-Python files beside the module that it names by a string literal."""
    beside = {p.name for p in folder.iterdir() if p.is_file() and p.suffix not in (".py", ".pyc")}
    return {
        folder / node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in beside
    }


def _without_docstrings(tree: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            node.body = body[1:] or [ast.Pass()]
    return tree


def _without_execution_only(tree: ast.Module) -> ast.Module:
    """``tree`` without its top-level imports from :data:`EXECUTION_ONLY` and calls of them."""
    names = {
        alias.asname or alias.name
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and _execution_only(node.module or "")
        for alias in node.names
    }

    def kept(node: ast.stmt) -> bool:
        if isinstance(node, ast.ImportFrom):
            return not _execution_only(node.module or "")
        call = node.value if isinstance(node, ast.Expr) else None
        return not (
            isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id in names
        )

    tree.body = [node for node in tree.body if kept(node)]
    return tree


def _parse(path: Path) -> ast.AST:
    try:
        return ast.parse(path.read_text(), filename=str(path))
    except SyntaxError as err:
        raise SyntaxError(f"{path}: cannot fingerprint a file that does not parse: {err}") from err


@functools.cache
def _analysis(path: Path, module: str) -> tuple[frozenset[str], frozenset[Path]]:
    """(package modules imported, files named) of one Python file."""
    tree = _parse(path)
    imports = _imports(tree, module, path.name == "__init__.py")
    return frozenset(imports), frozenset(_named_files(tree, path.parent))


def files(script: str | Path) -> list[Path]:
    """Every file whose content decides what ``script`` does: itself, the package modules it
    imports (transitively), their packages' ``__init__`` files and the files they name."""
    return _reached([(Path(script).resolve(), "__main__")])


def module_files(module: str) -> list[Path]:
    """:func:`files` of package module ``module`` (``blth.data.sources.cifar10``), its packages'
    ``__init__`` files included."""
    if module_file(module) is None:
        raise ValueError(f"{module!r} is not a module of {PACKAGE} ({PACKAGE_DIR})")
    chain = (*_parents(module), module)
    return _reached([(path, name) for name in chain if (path := module_file(name)) is not None])


def _reached(todo: list[tuple[Path, str]]) -> list[Path]:
    """The files ``todo`` ((path, module name) pairs) lead to through imports and names."""
    seen: set[Path] = set()
    while todo:
        path, module = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        if path.suffix != ".py":
            continue
        imports, named = _analysis(path, module)
        seen.update(named)
        for name in imports:
            for dependency in (*_parents(name), name):
                found = module_file(dependency)
                if found is not None and found not in seen:
                    todo.append((found, dependency))
    return sorted(seen)


@functools.cache
def _content(path: Path) -> bytes:
    if path.suffix == ".py":
        tree = _parse(path)
        assert isinstance(tree, ast.Module)
        return ast.dump(_without_docstrings(_without_execution_only(tree))).encode()
    return path.read_bytes()


@functools.cache
def fingerprint(script: str | Path) -> str:
    """16 hex digits that change exactly when the code :func:`files` finds changes."""
    script = Path(script).resolve()
    return _digest(files(script), script)


@functools.cache
def module_fingerprint(module: str) -> str:
    """16 hex digits that change exactly when the code :func:`module_files` finds changes."""
    return _digest(module_files(module))


def _digest(paths: list[Path], script: Path | None = None) -> str:
    digest = hashlib.sha256()
    # The script first, then the package in path order: where the checkout lies does not count.
    for path in sorted(paths, key=lambda path: (path != script, path)):
        name = "<script>" if path == script else str(path.relative_to(PACKAGE_DIR))
        digest.update(name.encode() + b"\0" + hashlib.sha256(_content(path)).digest())
    return digest.hexdigest()[:16]
