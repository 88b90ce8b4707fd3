"""Atomic file writes: a fsynced temp file in the target's directory, then ``os.replace``.

A reader never sees a half-written file, and a failed write leaves the old file intact.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["TEMP_PREFIX", "fsync_directory", "write_bytes", "write_json", "write_parquet", "write_text"]

#: Prefix of temp files (so a cleaner can recognise leftovers of a crash).
TEMP_PREFIX = ".tmp-"


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
    """Write ``payload`` to ``path`` atomically (creates the parent directory)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{path.name}.", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
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


def write_parquet(df: pd.DataFrame, path: Path) -> None:
    """Write a DataFrame as Parquet atomically."""
    buf = io.BytesIO()
    df.to_parquet(buf)
    write_bytes(path, buf.getvalue())
