"""Checked reading and reproducible, atomic writing of the workflow's safetensors files.

Every read raises :class:`DamagedFile` naming the file, what is wrong with it and what to do,
instead of safetensors' bare ``SafetensorError``. Every write gives byte-identical files for
identical content (safetensors 0.8 writes ``__metadata__`` in hash order, issue #584) and
replaces the target only once complete, with the umask's mode (safetensors 0.8 writes through a
0600 temporary file, issue #782). Metadata values are stored as JSON.
"""

from __future__ import annotations

import errno
import json
import os
import zlib
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
from safetensors import SafetensorError, safe_open
from safetensors.numpy import save

_MAX_HEADER = 100_000_000  # safetensors' own limit on the JSON header
# CRC-32 of the data section, in the header's metadata: same-size damage is caught on read (a
# file written before blth 0.5 has none and is read unchecked)
CHECKSUM = "blth.crc32"


def rerun_remedy(path: str | Path) -> str:
    """What to do about a damaged workflow artefact at ``path``: Snakemake does not recompute a
    deleted file that finished jobs downstream no longer need, so the remedy forces it, and
    everything that depends on it, explicitly."""
    return (
        f"Delete it and run `snakemake --cores N --forcerun {path}` with the study's "
        "--configfile: Snakemake recomputes it and everything that depends on it."
    )


class DamagedFile(ValueError):
    """An input file is truncated, garbled or lacks what its reader expects."""


class DiskFull(OSError):
    """A write ran out of space (or quota); the file named was not written."""


def damaged(path: str | Path, problem: str, remedy: str | None = None) -> DamagedFile:
    """The error naming ``path``, what is wrong with it and what to do about it (by default:
    recompute it and what depends on it, :func:`rerun_remedy`)."""
    return DamagedFile(f"{path}: {problem}. {remedy or rerun_remedy(path)}")


def read(
    path: str | Path,
    framework: str = "np",
    tensors: Collection[str] = (),
    metadata: Collection[str] = (),
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(tensors, JSON-decoded metadata) of ``path``, which must hold the named ones."""
    try:
        with safe_open(str(path), framework) as f:
            found = {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118 (not iterable)
            raw = f.metadata() or {}
    except SafetensorError as e:
        raise damaged(path, _diagnose(Path(path), e)) from None
    written = raw.pop(CHECKSUM, None)
    if written is not None and written != str(_data_crc32(Path(path))):
        raise damaged(path, "fails its checksum (its content changed after it was written)")
    missing = sorted(set(tensors) - set(found)) + sorted(set(metadata) - set(raw))
    if missing:
        raise damaged(path, f"lacks {', '.join(missing)}")
    try:
        return found, {k: json.loads(v) for k, v in raw.items()}
    except ValueError:
        raise damaged(path, "has metadata that is not JSON") from None


def _data_crc32(path: Path) -> int:
    """CRC-32 of a safetensors file's data section (everything after its header)."""
    crc = 0
    with path.open("rb") as f:
        f.seek(8 + int.from_bytes(f.read(8), "little"))
        while chunk := f.read(1 << 24):
            crc = zlib.crc32(chunk, crc)
    return crc


def write(
    path: str | Path, tensors: Mapping[str, np.ndarray], metadata: Mapping[str, Any] | None = None
) -> None:
    """Write ``tensors`` and JSON-encoded ``metadata`` to ``path`` atomically and reproducibly."""
    arrays = {k: np.require(v, requirements="C") for k, v in tensors.items()}
    meta = {k: json.dumps(v, sort_keys=True) for k, v in (metadata or {}).items()}
    raw = memoryview(save(arrays, metadata=meta or None))
    n = int.from_bytes(raw[:8], "little")
    # Offsets in the header are relative to the data section, so any key order stays valid;
    # json.dumps escapes to ASCII, so the header's length in characters is its length in bytes.
    fields = json.loads(bytes(raw[8 : 8 + n]))
    fields.setdefault("__metadata__", {})[CHECKSUM] = str(zlib.crc32(raw[8 + n :]))
    header = json.dumps(fields, sort_keys=True, separators=(",", ":"))
    header += " " * (-len(header) % 8)  # keep the data 8-byte aligned, as safetensors does
    with replacing(path) as f:
        f.write(len(header).to_bytes(8, "little"))
        f.write(header.encode())
        f.write(raw[8 + n :])


@contextmanager
def replacing(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """A file object whose content replaces ``path`` only once the block completes; on any
    failure ``path`` is left as it was and no partial file remains. A full disk or quota raises
    :class:`DiskFull` naming ``path``."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")  # same folder: os.replace is atomic
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as f:  # open() honours the umask, unlike tempfile's 0600
            yield f
            f.flush()
            os.fsync(f.fileno())  # a crash after the rename must not leave an empty file
        os.replace(tmp, path)
    except OSError as err:
        if err.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise
        raise DiskFull(
            err.errno,
            f"{path}: no space left on the device (or quota) while writing it; nothing of it "
            f"was kept. Free space where it goes (`df -h {path.parent}`) and run again: "
            "Snakemake resumes with this job",
        ) from err
    finally:
        tmp.unlink(missing_ok=True)


def _diagnose(path: Path, error: SafetensorError) -> str:
    """What is wrong with a file that safetensors refused, in the user's terms."""
    size = path.stat().st_size
    with path.open("rb") as f:
        n = int.from_bytes(f.read(8), "little")
        if size < 8:
            return f"is truncated ({size} bytes, too short for a safetensors header)"
        if n > _MAX_HEADER:
            return "is not a safetensors file (no valid header)"
        if 8 + n > size:
            return f"is truncated ({size} bytes; its header alone needs {8 + n})"
        try:
            header = json.loads(f.read(n))
            end = (
                8
                + n
                + max(
                    (t["data_offsets"][1] for k, t in header.items() if k != "__metadata__"),
                    default=0,
                )
            )
        except (ValueError, TypeError, KeyError, IndexError, AttributeError):
            return "is not a safetensors file (its header is not a safetensors header)"
    if size < end:
        return f"is truncated ({size} of {end} bytes)"
    if size > end:
        return f"is garbled ({size - end} bytes beyond the tensors its header lists)"
    return f"is not a valid safetensors file ({error})"
