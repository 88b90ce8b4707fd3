"""The raw download cache: one Parquet file per ticker and one JSON manifest.

Layout of the cache directory (default :func:`analysis.config.raw_dir`)::

    <dir>/HUT.parquet        raw frame of one ticker (name: ``ticker_to_filename``)
    <dir>/_NDX.parquet       ``^NDX`` (``^`` is not portable in file names)
    <dir>/manifest.json      provenance of every cached file

The manifest records, per ticker: the source, the yfinance version, when it was
fetched (UTC, ISO 8601), the inclusive requested range the file covers (the
union of the ranges successfully fetched), the number of rows, the first and
last dates and the SHA-256 of the Parquet file.

Guarantees
    * Every read verifies the checksum and the Parquet payload; a corrupt,
      tampered or missing file raises :class:`~analysis.errors.CacheError`
      naming the ticker and the file, so a corrupt cache is never used.
    * Writes are atomic: a temporary file in the same directory is written,
      fsynced and moved into place with :func:`os.replace` (Parquet first, then
      the manifest).
    * A good cached file is never replaced by an empty frame or by a frame with
      fewer non-NaN ``Close`` rows over the cached range; such a write is
      refused (:class:`WriteResult` with ``written=False``) and logged.

Notes
-----
The cache assumes a single writer per directory; concurrent writers could lose
manifest updates (a lost update makes a ticker look uncached, never corrupt).
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import pandas as pd
import pyarrow as pa

from . import atomic, config
from .errors import CacheError, ConfigError, DataQualityError
from .schema import normalize_raw_frame
from .universe import ticker_to_filename, validate_ticker

__all__ = [
    "MANIFEST_NAME",
    "MANIFEST_VERSION",
    "PARQUET_SUFFIX",
    "CacheEntry",
    "RawCache",
    "WriteResult",
]

LOGGER = logging.getLogger(__name__)

#: File name of the manifest inside the cache directory.
MANIFEST_NAME = "manifest.json"
#: Schema version of the manifest file.
MANIFEST_VERSION = 1
#: Suffix of the per-ticker data files.
PARQUET_SUFFIX = ".parquet"
#: Prefix of temporary files; they only exist while a write is in progress.
TEMP_PREFIX = atomic.TEMP_PREFIX
#: Parquet engine, pinned so files do not depend on which engine is installed.
PARQUET_ENGINE: Final = "pyarrow"
#: Date format of the manifest's date fields.
DATE_FORMAT = "%Y-%m-%d"
#: Number of hex digits of a checksum shown in error messages.
DIGEST_SHOWN = 12

_REQUIRED_FIELDS = (
    "file",
    "source",
    "fetched_at",
    "requested_start",
    "requested_end",
    "rows",
    "sha256",
)


@dataclass(frozen=True)
class CacheEntry:
    """Manifest record of one cached ticker.

    Attributes
    ----------
    ticker, file
        The ticker and the file name (relative to the cache directory).
    source, yfinance_version
        Where the data came from and the yfinance version used (``None`` if unknown).
    fetched_at
        Time of the latest successful fetch, tz-aware UTC.
    requested_start, requested_end
        Inclusive range the file covers (tz-naive dates).
    rows, first_date, last_date
        Row count and first/last index dates (``None`` for an empty file).
    sha256
        Hex SHA-256 of the Parquet file.
    extra
        Free-form provenance (JSON-serialisable).
    """

    ticker: str
    file: str
    source: str
    yfinance_version: str | None
    fetched_at: pd.Timestamp
    requested_start: pd.Timestamp
    requested_end: pd.Timestamp
    rows: int
    first_date: pd.Timestamp | None
    last_date: pd.Timestamp | None
    sha256: str
    extra: dict[str, Any] = field(default_factory=dict)

    def covers(self, start: pd.Timestamp, end: pd.Timestamp) -> bool:
        """True if ``[start, end]`` lies inside the requested range."""
        return bool(self.requested_start <= _as_date(start) and _as_date(end) <= self.requested_end)

    def to_json(self) -> dict[str, Any]:
        """JSON-serialisable form used in the manifest."""
        return {
            "file": self.file,
            "source": self.source,
            "yfinance_version": self.yfinance_version,
            "fetched_at": self.fetched_at.isoformat(),
            "requested_start": self.requested_start.strftime(DATE_FORMAT),
            "requested_end": self.requested_end.strftime(DATE_FORMAT),
            "rows": self.rows,
            "first_date": None if self.first_date is None else self.first_date.strftime(DATE_FORMAT),
            "last_date": None if self.last_date is None else self.last_date.strftime(DATE_FORMAT),
            "sha256": self.sha256,
            "extra": self.extra,
        }

    @classmethod
    def from_json(cls, ticker: str, raw: Mapping[str, Any], *, origin: Path) -> CacheEntry:
        """Parse a manifest record.

        Raises
        ------
        CacheError
            If a field is missing or malformed (names the ticker and ``origin``).
        """
        if not isinstance(raw, Mapping):
            raise CacheError(f"{ticker}: manifest entry in {origin} is not an object")
        missing = [k for k in _REQUIRED_FIELDS if k not in raw]
        if missing:
            raise CacheError(f"{ticker}: manifest entry in {origin} lacks fields {missing}")
        try:
            first = raw.get("first_date")
            last = raw.get("last_date")
            return cls(
                ticker=ticker,
                file=str(raw["file"]),
                source=str(raw["source"]),
                yfinance_version=(
                    None if raw.get("yfinance_version") is None else str(raw["yfinance_version"])
                ),
                fetched_at=_as_utc(pd.Timestamp(raw["fetched_at"])),
                requested_start=_as_date(pd.Timestamp(raw["requested_start"])),
                requested_end=_as_date(pd.Timestamp(raw["requested_end"])),
                rows=int(raw["rows"]),
                first_date=None if first is None else _as_date(pd.Timestamp(first)),
                last_date=None if last is None else _as_date(pd.Timestamp(last)),
                sha256=str(raw["sha256"]),
                extra=dict(raw.get("extra") or {}),
            )
        except (TypeError, ValueError) as exc:
            raise CacheError(f"{ticker}: malformed manifest entry in {origin}: {exc}") from exc


@dataclass(frozen=True)
class WriteResult:
    """Outcome of :meth:`RawCache.write`.

    Attributes
    ----------
    ticker
        The ticker written (validated, upper case).
    written
        False when the write was refused; the cached file is then unchanged.
    reason
        Why the write was refused (empty when written).
    entry
        The new manifest entry when written, else the existing one (or ``None``).
    """

    ticker: str
    written: bool
    reason: str = ""
    entry: CacheEntry | None = None


class RawCache:
    """Per-ticker Parquet cache with a checksummed JSON manifest.

    Parameters
    ----------
    directory
        Cache directory; created on the first write. Defaults to
        :func:`analysis.config.raw_dir`.
    """

    def __init__(self, directory: Path | None = None) -> None:
        self.directory: Path = Path(directory) if directory is not None else config.raw_dir()

    def __repr__(self) -> str:
        return f"RawCache({str(self.directory)!r})"

    @property
    def manifest_path(self) -> Path:
        """Path of the manifest file."""
        return self.directory / MANIFEST_NAME

    def path_for(self, ticker: str) -> Path:
        """Path of the Parquet file of ``ticker`` (validated; never leaves the directory)."""
        return self.directory / ticker_to_filename(ticker, PARQUET_SUFFIX)

    def tickers(self) -> list[str]:
        """Tickers listed in the manifest, sorted."""
        return sorted(self._load_manifest())

    def entry(self, ticker: str) -> CacheEntry | None:
        """Manifest entry of ``ticker``, or ``None`` if it is not cached.

        Raises
        ------
        CacheError
            If the manifest or the entry is unreadable or malformed.
        """
        ticker = validate_ticker(ticker)
        raw = self._load_manifest().get(ticker)
        if raw is None:
            return None
        entry = CacheEntry.from_json(ticker, raw, origin=self.manifest_path)
        expected = self.path_for(ticker).name
        if entry.file != expected:
            raise CacheError(
                f"{ticker}: manifest {self.manifest_path} names file {entry.file!r}, expected {expected!r}"
            )
        return entry

    def covers(self, ticker: str, start: pd.Timestamp, end: pd.Timestamp) -> bool:
        """True if the manifest's requested range of ``ticker`` covers ``[start, end]``.

        Only the manifest is consulted; :meth:`read` verifies the file itself.
        """
        entry = self.entry(ticker)
        return entry is not None and entry.covers(start, end)

    def read(self, ticker: str) -> pd.DataFrame | None:
        """Read the cached raw frame of ``ticker`` after verifying it.

        Returns
        -------
        pd.DataFrame or None
            The raw frame (see :mod:`analysis.schema`), or ``None`` if the
            ticker has no manifest entry.

        Raises
        ------
        CacheError
            If the file listed in the manifest is missing, its SHA-256 does not
            match the manifest, it is not readable Parquet, it violates the
            raw-frame contract, or its row count differs from the manifest.
        """
        entry = self.entry(ticker)
        if entry is None:
            return None
        path = self.path_for(entry.ticker)
        try:
            payload = path.read_bytes()
        except FileNotFoundError as exc:
            raise CacheError(
                f"{entry.ticker}: manifest {self.manifest_path} lists {path} but the file is missing; "
                "refetch the ticker"
            ) from exc
        except OSError as exc:
            raise CacheError(f"{entry.ticker}: cannot read cache file {path}: {exc}") from exc
        digest = hashlib.sha256(payload).hexdigest()
        if digest != entry.sha256:
            raise CacheError(
                f"{entry.ticker}: checksum mismatch for cache file {path}: manifest sha256 "
                f"{entry.sha256[:DIGEST_SHOWN]}..., file {digest[:DIGEST_SHOWN]}...; the file was "
                "modified or corrupted and will not be used (refetch the ticker)"
            )
        try:
            frame = pd.read_parquet(io.BytesIO(payload), engine=PARQUET_ENGINE)
        except (pa.ArrowException, OSError, ValueError) as exc:
            raise CacheError(f"{entry.ticker}: unreadable Parquet cache file {path}: {exc}") from exc
        try:
            frame = normalize_raw_frame(frame, ticker=entry.ticker, origin=str(path))
        except DataQualityError as exc:
            raise CacheError(
                f"{entry.ticker}: cache file {path} violates the raw-frame contract: {exc}"
            ) from exc
        if len(frame) != entry.rows:
            raise CacheError(
                f"{entry.ticker}: cache file {path} has {len(frame)} rows, manifest says {entry.rows}"
            )
        return frame

    def write(
        self,
        ticker: str,
        df: pd.DataFrame,
        *,
        source: str,
        requested_start: pd.Timestamp,
        requested_end: pd.Timestamp,
        fetched_at: pd.Timestamp,
        yfinance_version: str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> WriteResult:
        """Atomically store the raw frame of ``ticker`` and update the manifest.

        Parameters
        ----------
        ticker
            Ticker (validated).
        df
            Raw frame; coerced with :func:`analysis.schema.normalize_raw_frame`.
        source, yfinance_version, extra
            Provenance recorded in the manifest.
        requested_start, requested_end
            Inclusive range the frame covers (the union of the ranges fetched);
            every row must lie inside it.
        fetched_at
            Time of the fetch; a naive timestamp is taken as UTC.

        Returns
        -------
        WriteResult
            ``written=False`` with a reason when the write is refused: ``df`` has
            no non-NaN ``Close``, or fewer non-NaN ``Close`` rows than the
            verified cached file over the cached requested range. The cached
            file and manifest are then left untouched.

        Raises
        ------
        ConfigError
            If the range is inverted or rows lie outside it.
        DataQualityError
            If ``df`` violates the raw-frame contract beyond repair.
        OSError
            If the directory or files cannot be written (no partial file is left).
        """
        ticker = validate_ticker(ticker)
        start, end = _as_date(requested_start), _as_date(requested_end)
        if start > end:
            raise ConfigError(
                f"{ticker}: requested_start {start:{DATE_FORMAT}} is after requested_end {end:{DATE_FORMAT}}"
            )
        frame = normalize_raw_frame(df, ticker=ticker, origin="the frame passed to RawCache.write")
        outside = frame.index[(frame.index < start) | (frame.index > end)]
        if len(outside):
            raise ConfigError(
                f"{ticker}: {len(outside)} rows lie outside the requested range "
                f"{start:{DATE_FORMAT}}..{end:{DATE_FORMAT}} (first: {outside[0]:{DATE_FORMAT}})"
            )
        path = self.path_for(ticker)

        refusal, old_entry = self._refusal(ticker, frame, path)
        if refusal:
            LOGGER.warning("%s", refusal)
            return WriteResult(ticker=ticker, written=False, reason=refusal, entry=old_entry)

        buffer = io.BytesIO()
        frame.to_parquet(buffer, engine=PARQUET_ENGINE, index=True)
        payload = buffer.getvalue()
        entry = CacheEntry(
            ticker=ticker,
            file=path.name,
            source=source,
            yfinance_version=yfinance_version,
            fetched_at=_as_utc(pd.Timestamp(fetched_at)),
            requested_start=start,
            requested_end=end,
            rows=len(frame),
            first_date=frame.index.min() if len(frame) else None,
            last_date=frame.index.max() if len(frame) else None,
            sha256=hashlib.sha256(payload).hexdigest(),
            extra=dict(extra or {}),
        )
        self.directory.mkdir(parents=True, exist_ok=True)
        atomic.write_bytes(path, payload)
        try:
            manifest = self._load_manifest()
        except CacheError as exc:
            LOGGER.warning("rebuilding the cache manifest: %s", exc)
            manifest = {}
        manifest[ticker] = entry.to_json()
        self._save_manifest(manifest)
        return WriteResult(ticker=ticker, written=True, entry=entry)

    # -- internals ---------------------------------------------------------------

    def _refusal(self, ticker: str, frame: pd.DataFrame, path: Path) -> tuple[str, CacheEntry | None]:
        """Reason to refuse writing ``frame`` (empty string if it may be written)."""
        new_close = int(frame["Close"].notna().sum())
        try:
            old_entry = self.entry(ticker)
            old = self.read(ticker)
        except CacheError as exc:
            # The cached file is unusable, so there is nothing good to protect.
            LOGGER.warning("%s: replacing an unusable cache entry: %s", ticker, exc)
            old_entry, old = None, None
        if new_close == 0:
            return (
                f"{ticker}: refusing to cache an empty frame (no non-NaN Close) in {path}; "
                "the cached file, if any, is kept",
                old_entry,
            )
        if old is None or old_entry is None:
            return "", old_entry
        lo, hi = old_entry.requested_start, old_entry.requested_end
        in_old = (old.index >= lo) & (old.index <= hi)
        in_new = (frame.index >= lo) & (frame.index <= hi)
        old_n = int(old.loc[in_old, "Close"].notna().sum())
        new_n = int(frame.loc[in_new, "Close"].notna().sum())
        if new_n < old_n:
            return (
                f"{ticker}: refusing to replace {path}: the new frame has {new_n} non-NaN Close rows "
                f"over {lo:{DATE_FORMAT}}..{hi:{DATE_FORMAT}}, the cached file has {old_n}; "
                "the cached file is kept",
                old_entry,
            )
        return "", old_entry

    def _load_manifest(self) -> dict[str, Any]:
        path = self.manifest_path
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise CacheError(f"cannot read cache manifest {path}: {exc}") from exc
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CacheError(f"cache manifest {path} is not valid JSON: {exc}") from exc
        if not isinstance(raw, dict) or not isinstance(raw.get("entries"), dict):
            raise CacheError(f"cache manifest {path} has no 'entries' object")
        if raw.get("version") != MANIFEST_VERSION:
            raise CacheError(
                f"cache manifest {path} has version {raw.get('version')!r}, expected {MANIFEST_VERSION}"
            )
        return dict(raw["entries"])

    def _save_manifest(self, entries: Mapping[str, Any]) -> None:
        doc = {"version": MANIFEST_VERSION, "entries": dict(sorted(entries.items()))}
        text = json.dumps(doc, indent=2, sort_keys=False) + "\n"
        atomic.write_bytes(self.manifest_path, text.encode("utf-8"))


def _as_date(ts: pd.Timestamp | str) -> pd.Timestamp:
    """Tz-naive midnight timestamp."""
    out = pd.Timestamp(ts)
    if out.tz is not None:
        out = out.tz_localize(None)
    return out.normalize()


def _as_utc(ts: pd.Timestamp) -> pd.Timestamp:
    """Tz-aware UTC timestamp (naive input is taken as UTC)."""
    return ts.tz_localize("UTC") if ts.tz is None else ts.tz_convert("UTC")
