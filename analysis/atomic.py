"""Atomic file writes: a fsynced temp file in the target's directory, then ``os.replace``.

Guarantees
    * A reader never sees a half-written file, and a failed or killed write leaves the
      old file intact (at worst a ``.tmp-*`` file is left behind, which the owners of a
      directory remove under their lock: :func:`remove_temp_files`).
    * Written files follow the user's umask (``0o666 & ~umask``), like ``open()`` would
      create them, not the ``0o600`` of :func:`tempfile.mkstemp`, so shared report links
      keep working.
    * :func:`directory_lock` is the one inter-process lock of a directory (a ``filelock``
      file inside it), used by the raw cache and the processed panel to serialise writers.
"""

from __future__ import annotations

import io
import json
import os
import re
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

import pandas as pd
from filelock import FileLock

__all__ = [
    "LOCK_NAME",
    "TEMP_PREFIX",
    "directory_lock",
    "file_mode",
    "fsync_directory",
    "parquet_bytes",
    "remove_temp_files",
    "write_bytes",
    "write_json",
    "write_parquet",
    "write_text",
]

#: Prefix of temp files (so a cleaner can recognise leftovers of a crash).
TEMP_PREFIX = ".tmp-"
#: Name of the lock file inside a directory guarded by :func:`directory_lock`.
LOCK_NAME = ".lock"
#: Permission bits of a new file before the umask is applied (as ``open()`` uses).
DEFAULT_FILE_MODE: Final = 0o666
#: Where Linux exposes the process umask without changing it.
_PROC_STATUS = Path("/proc/self/status")
_UMASK_LINE = re.compile(r"^Umask:\s*([0-7]+)\s*$", re.MULTILINE)
_UMASK_LOCK = threading.Lock()


def _read_umask() -> int:
    """The process umask, read without a window in which it is changed where possible.

    Notes
    -----
    Linux exposes it in ``/proc/self/status``. Elsewhere the only API is ``os.umask``,
    which sets it: the swap is done under a lock and immediately restored.
    """
    try:
        match = _UMASK_LINE.search(_PROC_STATUS.read_text(encoding="ascii"))
    except (OSError, UnicodeDecodeError):
        match = None
    if match:
        return int(match.group(1), 8)
    with _UMASK_LOCK:
        current = os.umask(0o022)
        os.umask(current)
    return current


def file_mode() -> int:
    """Permission bits a new file gets under the current umask (``0o666 & ~umask``)."""
    return DEFAULT_FILE_MODE & ~_read_umask()


def fsync_directory(directory: Path) -> None:
    """Persist a rename on POSIX (directories cannot be opened on Windows)."""
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_bytes(path: Path, payload: bytes) -> None:
    """Write ``payload`` to ``path`` atomically (creates the parent directory).

    Raises
    ------
    OSError
        If the directory or the file cannot be written (read-only, disk full); no
        partial file is left and an existing ``path`` is unchanged.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{path.name}.", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            if hasattr(os, "fchmod"):
                os.fchmod(fh.fileno(), file_mode())
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_directory(path.parent)


def write_text(path: Path, text: str) -> None:
    """Write UTF-8 text atomically."""
    write_bytes(path, text.encode("utf-8"))


def write_json(path: Path, obj: Any) -> None:
    """Write JSON (indented, sorted keys) atomically."""
    write_text(path, json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n")


def parquet_bytes(df: pd.DataFrame) -> bytes:
    """The Parquet serialisation of ``df`` (pyarrow engine, index kept)."""
    buf = io.BytesIO()
    df.to_parquet(buf, engine="pyarrow", index=True)
    return buf.getvalue()


def write_parquet(df: pd.DataFrame, path: Path) -> None:
    """Write a DataFrame as Parquet atomically."""
    write_bytes(path, parquet_bytes(df))


def directory_lock(directory: Path, *, timeout: float) -> FileLock:
    """The inter-process lock of ``directory`` (lock file :data:`LOCK_NAME` inside it).

    The directory is created if needed. Use as a context manager; it raises
    ``filelock.Timeout`` after ``timeout`` seconds. The lock is an OS file lock
    (``flock``), so a killed holder releases it.
    """
    directory.mkdir(parents=True, exist_ok=True)
    return FileLock(directory / LOCK_NAME, timeout=timeout, mode=file_mode())


def remove_temp_files(directory: Path, names: Callable[[str], bool] | None = None) -> list[Path]:
    """Delete leftovers of killed atomic writes in ``directory`` (call under its lock).

    Parameters
    ----------
    directory
        The directory.
    names
        Only temp files whose target file name satisfies ``names`` are removed
        (default: every temp file), so files other writers are writing are spared.
    """
    removed: list[Path] = []
    for p in directory.glob(f"{TEMP_PREFIX}*"):
        target = p.name[len(TEMP_PREFIX) :].rsplit(".", 1)[0]
        if names is not None and not names(target):
            continue
        try:
            if p.is_file():
                p.unlink()
                removed.append(p)
        except FileNotFoundError:
            continue
    return removed
