"""The raw download cache: immutable, content-addressed Parquet files and one JSON manifest.

Layout of the cache directory (default :func:`analysis.config.raw_dir`)::

    <dir>/manifest.json                 which file is current for each ticker, and its provenance
    <dir>/HUT.3f9a1c0e5b7d2a41.parquet  raw frame of one ticker; the name carries the first 16 hex
    <dir>/_NDX.0c1d....parquet          digits of its SHA-256 (``^NDX``: ``^`` is not portable)
    <dir>/.lock                         inter-process lock of the writers (``filelock``)

The manifest records, per ticker: the source, the yfinance version, when it was fetched
(UTC, ISO 8601), the union of the ranges requested, the dates actually received (the first
and last date with a ``Close`` and every expected date in between that is missing, with
those a second download confirmed missing), the number of rows and the SHA-256 of the file.

Guarantees
    * **Kill-safe.** A write stores the new Parquet file under a new, content-addressed name
      (fsynced temp file + :func:`os.replace`), then switches the manifest atomically, then
      removes unreferenced files. A process killed at any instant leaves either the old or
      the new entry readable, never a manifest naming a file with another checksum; leftover
      files are removed by the next writer.
    * **Serialised writers.** Every write holds the directory lock (:func:`analysis.atomic.
      directory_lock`) for its read-modify-write of the manifest, so concurrent fetches of
      different tickers lose no entries. Readers take no lock: files are immutable once
      named and a reader whose file was just collected re-reads the manifest.
    * **Verified reads.** Every read checks the checksum, the Parquet payload, the raw-frame
      contract and the row count; a corrupt, tampered or missing file raises
      :class:`~analysis.errors.CacheError` naming the ticker and the file.
    * **Never less.** A good cached file is never replaced by an empty frame or by one with
      fewer non-NaN ``Close`` rows over the cached range (unless the caller says the history
      was re-based, ``rebase=True``); such a write is refused (``written=False``).
    * **Honest coverage.** :meth:`CacheEntry.covers` is true only when every expected date
      (XNYS sessions for equities, calendar days for crypto) of the range was received, was
      confirmed missing by a second download, or lies before the ticker's first row inside
      a range that was requested (pre-listing). A download with gaps is refetched later.

Notes
-----
Manifests of version 1 (one ``<TICKER>.parquet`` per ticker, no received-dates record)
are still read; their coverage is unknown (``covers`` is false), so the next fetch of a
ticker refetches its range once and upgrades the entry.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import pandas as pd
import pyarrow as pa
from filelock import Timeout

from . import atomic, config
from ._validation import as_timestamp
from .calendar import trading_days
from .errors import CacheError, ConfigError, DataQualityError
from .schema import normalize_raw_frame
from .universe import is_crypto_symbol, ticker_to_filename, validate_ticker

__all__ = [
    "DIGEST_IN_NAME",
    "LOCK_TIMEOUT_SECONDS",
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
#: Schema version of the manifest written by this module.
MANIFEST_VERSION = 2
#: Manifest versions this module reads (1: one mutable file per ticker).
READABLE_VERSIONS: Final = (1, 2)
#: Suffix of the per-ticker data files.
PARQUET_SUFFIX = ".parquet"
#: Hex digits of the SHA-256 carried in a data file's name.
DIGEST_IN_NAME = 16
#: Prefix of temporary files; they only exist while a write is in progress (or after a kill).
TEMP_PREFIX = atomic.TEMP_PREFIX
#: Parquet engine, pinned so files do not depend on which engine is installed.
PARQUET_ENGINE: Final = "pyarrow"
#: Date format of the manifest's date fields.
DATE_FORMAT = "%Y-%m-%d"
#: Number of hex digits of a checksum shown in error messages.
DIGEST_SHOWN = 12
#: Seconds a writer waits for the directory lock before giving up.
LOCK_TIMEOUT_SECONDS = 60.0
#: Times a reader re-reads the manifest when its file was collected by a concurrent writer.
READ_ATTEMPTS = 10
#: Expected-but-missing dates listed in an error or log line before summarising.
MAX_LISTED_DATES = 10

_REQUIRED_FIELDS = (
    "file",
    "source",
    "fetched_at",
    "requested_start",
    "requested_end",
    "rows",
    "sha256",
)
# Data files this module writes: "<stem>.<16 hex>.parquet" (v2) or "<stem>.parquet" (v1).
_DATA_FILE = re.compile(r"^[A-Z0-9_][A-Z0-9=.\-]*?(\.[0-9a-f]{16})?\.parquet$")


def _dates(values: Iterable[Any] | None, name: str) -> tuple[pd.Timestamp, ...]:
    return tuple(sorted(as_timestamp(v, name).normalize() for v in (values or ())))


def _iso(dates: Iterable[pd.Timestamp]) -> list[str]:
    return [f"{d:{DATE_FORMAT}}" for d in dates]


@dataclass(frozen=True)
class CacheEntry:
    """Manifest record of one cached ticker.

    Attributes
    ----------
    ticker, file
        The ticker and the data file's name (relative to the cache directory).
    source, yfinance_version
        Where the data came from and the yfinance version used (``None`` if unknown).
    fetched_at
        Time of the latest successful fetch, tz-aware UTC.
    requested_start, requested_end
        Union of the inclusive ranges requested (tz-naive dates); dates before
        ``first_date`` inside it were requested and not received (pre-listing).
    rows, first_date, last_date
        Row count and the first/last date with a ``Close`` (``None`` if none).
    sha256
        Hex SHA-256 of the data file.
    missing
        Expected dates between ``first_date`` and ``last_date`` without a ``Close``;
        ``None`` when unknown (a version-1 manifest).
    confirmed_missing
        The subset of ``missing`` that a later download of those dates also lacked
        (e.g. trading halts); these no longer make the cache incomplete.
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
    missing: tuple[pd.Timestamp, ...] | None = ()
    confirmed_missing: tuple[pd.Timestamp, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def crypto(self) -> bool:
        """True when the ticker trades every calendar day."""
        return is_crypto_symbol(self.ticker)

    def unreceived(self, start: pd.Timestamp, end: pd.Timestamp) -> pd.DatetimeIndex:
        """Expected dates in ``[start, end]`` the cache cannot answer for.

        These are: dates before ``requested_start`` (never requested), open gaps
        (``missing`` minus ``confirmed_missing``) and dates after ``last_date``
        (requested and not received, or never requested). With an unknown record
        (version 1) every expected date of the range is returned.

        Notes
        -----
        Expected dates are XNYS sessions for equities and calendar days for crypto.
        """
        s, e = as_timestamp(start, "start").normalize(), as_timestamp(end, "end").normalize()
        expected = trading_days(s, e, crypto=self.crypto)
        if self.missing is None or self.first_date is None or self.last_date is None:
            return expected
        gaps = pd.DatetimeIndex(sorted(set(self.missing) - set(self.confirmed_missing)))
        lacking = (expected < self.requested_start) | (expected > self.last_date) | expected.isin(gaps)
        out = expected[lacking]
        out.name = "Date"
        return out

    def covers(self, start: pd.Timestamp, end: pd.Timestamp) -> bool:
        """True if every expected date of ``[start, end]`` is answered by the cache.

        Answered: received, confirmed missing, or before the first row inside a
        requested range (pre-listing). See :meth:`unreceived`.
        """
        return len(self.unreceived(start, end)) == 0

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
            "missing": None if self.missing is None else _iso(self.missing),
            "confirmed_missing": _iso(self.confirmed_missing),
            "sha256": self.sha256,
            "extra": self.extra,
        }

    @classmethod
    def from_json(cls, ticker: str, raw: Mapping[str, Any], *, origin: Path) -> CacheEntry:
        """Parse a manifest record (version 1 or 2).

        Raises
        ------
        CacheError
            If a field is missing or malformed (names the ticker and ``origin``).
        """
        if not isinstance(raw, Mapping):
            raise CacheError(f"{ticker}: manifest entry in {origin} is not an object")
        missing_fields = [k for k in _REQUIRED_FIELDS if k not in raw]
        if missing_fields:
            raise CacheError(f"{ticker}: manifest entry in {origin} lacks fields {missing_fields}")
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
                requested_start=as_timestamp(raw["requested_start"], "requested_start").normalize(),
                requested_end=as_timestamp(raw["requested_end"], "requested_end").normalize(),
                rows=int(raw["rows"]),
                first_date=None if first is None else as_timestamp(first, "first_date").normalize(),
                last_date=None if last is None else as_timestamp(last, "last_date").normalize(),
                sha256=str(raw["sha256"]),
                missing=None if raw.get("missing") is None else _dates(raw["missing"], "missing"),
                confirmed_missing=_dates(raw.get("confirmed_missing"), "confirmed_missing"),
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
    """Per-ticker Parquet cache with a checksummed JSON manifest (see the module docstring).

    Parameters
    ----------
    directory
        Cache directory; created on the first write. Defaults to
        :func:`analysis.config.raw_dir`.
    lock_timeout
        Seconds a writer waits for another writer of the same directory.
    """

    def __init__(self, directory: Path | None = None, *, lock_timeout: float = LOCK_TIMEOUT_SECONDS) -> None:
        self.directory: Path = Path(directory) if directory is not None else config.raw_dir()
        if lock_timeout < 0:
            raise ConfigError(f"lock_timeout must be >= 0 seconds, got {lock_timeout}")
        self.lock_timeout = float(lock_timeout)

    def __repr__(self) -> str:
        return f"RawCache({str(self.directory)!r})"

    @property
    def manifest_path(self) -> Path:
        """Path of the manifest file."""
        return self.directory / MANIFEST_NAME

    @property
    def lock_path(self) -> Path:
        """Path of the writers' lock file."""
        return self.directory / atomic.LOCK_NAME

    def path_for(self, ticker: str) -> Path | None:
        """Path of the current data file of ``ticker``, or ``None`` if it is not cached.

        Raises
        ------
        CacheError
            If the manifest or the entry is unreadable or malformed.
        """
        entry = self.entry(ticker)
        return None if entry is None else self.directory / entry.file

    def file_name(self, ticker: str, sha256: str) -> str:
        """Name of the data file of ``ticker`` with content digest ``sha256``."""
        stem = ticker_to_filename(ticker, "")
        return f"{stem}.{sha256[:DIGEST_IN_NAME]}{PARQUET_SUFFIX}"

    def tickers(self) -> list[str]:
        """Tickers listed in the manifest, sorted."""
        return sorted(self._load_manifest())

    def entry(self, ticker: str) -> CacheEntry | None:
        """Manifest entry of ``ticker``, or ``None`` if it is not cached.

        Raises
        ------
        CacheError
            If the manifest or the entry is unreadable or malformed, or the entry
            names a file this cache would not have written.
        """
        ticker = validate_ticker(ticker)
        return self._entry_from(self._load_manifest(), ticker)

    def covers(self, ticker: str, start: pd.Timestamp, end: pd.Timestamp) -> bool:
        """True if the cache answers every expected date of ``[start, end]`` for ``ticker``.

        Only the manifest is consulted (see :meth:`CacheEntry.covers`); :meth:`read`
        verifies the file itself.
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
        return self.read_with_entry(ticker)[0]

    def read_with_entry(self, ticker: str) -> tuple[pd.DataFrame | None, CacheEntry | None]:
        """:meth:`read` and the manifest entry the frame was verified against (one snapshot).

        Raises
        ------
        CacheError
            As :meth:`read`.
        """
        ticker = validate_ticker(ticker)
        for attempt in range(READ_ATTEMPTS):
            entry = self.entry(ticker)
            if entry is None:
                return None, None
            path = self.directory / entry.file
            try:
                payload = path.read_bytes()
            except FileNotFoundError as exc:
                # A concurrent writer may have switched the manifest and collected this file.
                if attempt + 1 < READ_ATTEMPTS and self.entry(ticker) != entry:
                    continue
                raise CacheError(
                    f"{entry.ticker}: manifest {self.manifest_path} lists {path} but the file is missing; "
                    "refetch the ticker"
                ) from exc
            except OSError as exc:
                raise CacheError(f"{entry.ticker}: cannot read cache file {path}: {exc}") from exc
            return self._verify(entry, path, payload), entry
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

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
        downloaded: tuple[pd.Timestamp, pd.Timestamp] | None = None,
        rebase: bool = False,
    ) -> WriteResult:
        """Store the raw frame of ``ticker`` and switch the manifest to it, atomically.

        Parameters
        ----------
        ticker
            Ticker (validated).
        df
            Raw frame; coerced with :func:`analysis.schema.normalize_raw_frame`.
        source, yfinance_version, extra
            Provenance recorded in the manifest.
        requested_start, requested_end
            Inclusive range the frame answers for (the union of the ranges requested);
            every row must lie inside it.
        fetched_at
            Time of the fetch; a naive timestamp is taken as UTC.
        downloaded
            The range of the download that produced the new rows. Previously missing
            dates inside it that are still missing become ``confirmed_missing``.
        rebase
            The frame is a complete re-download on a new price basis (the source
            re-adjusted history): it replaces the cached file even if it has fewer rows.

        Returns
        -------
        WriteResult
            ``written=False`` with a reason when the write is refused: ``df`` has
            no non-NaN ``Close``, or (without ``rebase``) fewer non-NaN ``Close`` rows
            than the verified cached file over the cached range. The cached file and
            manifest are then left untouched.

        Raises
        ------
        ConfigError
            If the range is inverted or rows lie outside it.
        DataQualityError
            If ``df`` violates the raw-frame contract beyond repair.
        CacheError
            If another writer holds the directory lock for more than ``lock_timeout``.
        OSError
            If the directory or files cannot be written (read-only, disk full); the
            previous entry stays readable.
        """
        ticker = validate_ticker(ticker)
        start = as_timestamp(requested_start, "requested_start").normalize()
        end = as_timestamp(requested_end, "requested_end").normalize()
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
        payload = atomic.parquet_bytes(frame)
        digest = hashlib.sha256(payload).hexdigest()
        try:
            lock = atomic.directory_lock(self.directory, timeout=self.lock_timeout)
            with lock:
                return self._write_locked(
                    ticker,
                    frame,
                    payload,
                    digest,
                    source=source,
                    start=start,
                    end=end,
                    fetched_at=_as_utc(pd.Timestamp(fetched_at)),
                    yfinance_version=yfinance_version,
                    extra=dict(extra or {}),
                    downloaded=downloaded,
                    rebase=rebase,
                )
        except Timeout as exc:
            raise CacheError(
                f"cache directory {self.directory} is locked by another writer (lock file "
                f"{self.lock_path}) for more than {self.lock_timeout:g} s; {ticker} was not cached"
            ) from exc

    def collect_garbage(self) -> list[Path]:
        """Remove data files no manifest entry names and leftovers of killed writes.

        Takes the directory lock. Only files named like this cache's data files
        (``<TICKER>.<digest>.parquet``, ``<TICKER>.parquet``) and temp files are removed.

        Returns
        -------
        list[Path]
            The files removed.
        """
        if not self.directory.is_dir():
            return []
        try:
            with atomic.directory_lock(self.directory, timeout=self.lock_timeout):
                return self._collect_garbage_locked(self._load_manifest_or_empty())
        except Timeout as exc:
            raise CacheError(f"cache directory {self.directory} is locked by another writer") from exc

    # -- internals ---------------------------------------------------------------

    def _entry_from(self, manifest: Mapping[str, Any], ticker: str) -> CacheEntry | None:
        raw = manifest.get(ticker)
        if raw is None:
            return None
        entry = CacheEntry.from_json(ticker, raw, origin=self.manifest_path)
        allowed = {self.file_name(ticker, entry.sha256), ticker_to_filename(ticker, PARQUET_SUFFIX)}
        if entry.file not in allowed:
            raise CacheError(
                f"{ticker}: manifest {self.manifest_path} names file {entry.file!r}, expected "
                f"{self.file_name(ticker, entry.sha256)!r}; the manifest was edited or corrupted "
                "(refetch the ticker)"
            )
        return entry

    def _verify(self, entry: CacheEntry, path: Path, payload: bytes) -> pd.DataFrame:
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

    def _write_locked(
        self,
        ticker: str,
        frame: pd.DataFrame,
        payload: bytes,
        digest: str,
        *,
        source: str,
        start: pd.Timestamp,
        end: pd.Timestamp,
        fetched_at: pd.Timestamp,
        yfinance_version: str | None,
        extra: dict[str, Any],
        downloaded: tuple[pd.Timestamp, pd.Timestamp] | None,
        rebase: bool,
    ) -> WriteResult:
        """Steps of :meth:`write` under the lock: check, data file, manifest, garbage."""
        manifest = self._load_manifest_or_empty()
        old_entry, old = self._verified_old(manifest, ticker)
        refusal = _refusal(ticker, frame, old_entry, old, rebase=rebase, where=self.directory)
        if refusal:
            LOGGER.warning("%s", refusal)
            return WriteResult(ticker=ticker, written=False, reason=refusal, entry=old_entry)
        name = self.file_name(ticker, digest)
        entry = _new_entry(
            ticker,
            frame,
            name=name,
            digest=digest,
            source=source,
            start=start,
            end=end,
            fetched_at=fetched_at,
            yfinance_version=yfinance_version,
            extra=extra,
            old=None if rebase else old_entry,
            downloaded=downloaded,
        )
        atomic.write_bytes(self.directory / name, payload)  # 1. the new, immutable data file
        manifest[ticker] = entry.to_json()
        self._save_manifest(manifest)  # 2. the switch
        try:  # 3. the old version and leftovers; a failure here loses nothing
            self._collect_garbage_locked(manifest)
        except OSError as exc:
            LOGGER.warning("cache %s: could not remove old files: %s", self.directory, exc)
        return WriteResult(ticker=ticker, written=True, entry=entry)

    def _verified_old(
        self, manifest: Mapping[str, Any], ticker: str
    ) -> tuple[CacheEntry | None, pd.DataFrame | None]:
        """The current entry and its verified frame; (None, None) if absent or unusable."""
        try:
            entry = self._entry_from(manifest, ticker)
            if entry is None:
                return None, None
            path = self.directory / entry.file
            try:
                payload = path.read_bytes()
            except OSError as exc:
                raise CacheError(f"{ticker}: cannot read cache file {path}: {exc}") from exc
            return entry, self._verify(entry, path, payload)
        except CacheError as exc:
            # The cached file is unusable, so there is nothing good to protect.
            LOGGER.warning("%s: replacing an unusable cache entry: %s", ticker, exc)
            return None, None

    def _collect_garbage_locked(self, manifest: Mapping[str, Any]) -> list[Path]:
        referenced = {str(raw.get("file")) for raw in manifest.values() if isinstance(raw, Mapping)}
        removed = atomic.remove_temp_files(
            self.directory, names=lambda name: name == MANIFEST_NAME or bool(_DATA_FILE.fullmatch(name))
        )
        for p in self.directory.glob(f"*{PARQUET_SUFFIX}"):
            if p.name in referenced or not _DATA_FILE.fullmatch(p.name):
                continue
            try:
                p.unlink()
                removed.append(p)
            except FileNotFoundError:
                continue
        return removed

    def _load_manifest_or_empty(self) -> dict[str, Any]:
        try:
            return self._load_manifest()
        except CacheError as exc:
            LOGGER.warning("rebuilding the cache manifest: %s", exc)
            return {}

    def _load_manifest(self) -> dict[str, Any]:
        path = self.manifest_path
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except NotADirectoryError:
            return {}
        except (OSError, UnicodeDecodeError) as exc:
            raise CacheError(f"cannot read cache manifest {path}: {exc}") from exc
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CacheError(f"cache manifest {path} is not valid JSON: {exc}") from exc
        if not isinstance(raw, dict) or not isinstance(raw.get("entries"), dict):
            raise CacheError(f"cache manifest {path} has no 'entries' object")
        if raw.get("version") not in READABLE_VERSIONS:
            raise CacheError(
                f"cache manifest {path} has version {raw.get('version')!r}, expected one of "
                f"{list(READABLE_VERSIONS)} (written by another version of this package?)"
            )
        return dict(raw["entries"])

    def _save_manifest(self, entries: Mapping[str, Any]) -> None:
        doc = {"version": MANIFEST_VERSION, "entries": dict(sorted(entries.items()))}
        text = json.dumps(doc, indent=2, sort_keys=False) + "\n"
        atomic.write_bytes(self.manifest_path, text.encode("utf-8"))


def _refusal(
    ticker: str,
    frame: pd.DataFrame,
    old_entry: CacheEntry | None,
    old: pd.DataFrame | None,
    *,
    rebase: bool,
    where: Path,
) -> str:
    """Reason to refuse writing ``frame`` (empty string if it may be written)."""
    if int(frame["Close"].notna().sum()) == 0:
        return (
            f"{ticker}: refusing to cache an empty frame (no non-NaN Close) in {where}; "
            "the cached file, if any, is kept"
        )
    if old is None or old_entry is None or rebase:
        return ""
    lo, hi = old_entry.requested_start, old_entry.requested_end
    in_old = (old.index >= lo) & (old.index <= hi)
    in_new = (frame.index >= lo) & (frame.index <= hi)
    old_n = int(old.loc[in_old, "Close"].notna().sum())
    new_n = int(frame.loc[in_new, "Close"].notna().sum())
    if new_n < old_n:
        return (
            f"{ticker}: refusing to replace {where / old_entry.file}: the new frame has {new_n} "
            f"non-NaN Close rows over {lo:{DATE_FORMAT}}..{hi:{DATE_FORMAT}}, the cached file has "
            f"{old_n}; the cached file is kept"
        )
    return ""


def _new_entry(
    ticker: str,
    frame: pd.DataFrame,
    *,
    name: str,
    digest: str,
    source: str,
    start: pd.Timestamp,
    end: pd.Timestamp,
    fetched_at: pd.Timestamp,
    yfinance_version: str | None,
    extra: dict[str, Any],
    old: CacheEntry | None,
    downloaded: tuple[pd.Timestamp, pd.Timestamp] | None,
) -> CacheEntry:
    """The manifest entry of ``frame``: received dates, gaps, confirmed gaps."""
    received = pd.DatetimeIndex(frame.index[frame["Close"].notna()])
    first = received.min() if len(received) else None
    last = received.max() if len(received) else None
    crypto = is_crypto_symbol(ticker)
    missing: tuple[pd.Timestamp, ...] = ()
    if first is not None and last is not None:
        expected = trading_days(first, last, crypto=crypto)
        missing = tuple(pd.Timestamp(d) for d in expected[~expected.isin(received)])
    confirmed: set[pd.Timestamp] = set()
    if old is not None:
        confirmed = set(old.confirmed_missing) & set(missing)
        if downloaded is not None and old.missing is not None:
            lo = as_timestamp(downloaded[0], "downloaded start").normalize()
            hi = as_timestamp(downloaded[1], "downloaded end").normalize()
            again = {d for d in old.missing if lo <= d <= hi}
            confirmed |= again & set(missing)
    return CacheEntry(
        ticker=ticker,
        file=name,
        source=source,
        yfinance_version=yfinance_version,
        fetched_at=fetched_at,
        requested_start=start,
        requested_end=end,
        rows=len(frame),
        first_date=first,
        last_date=last,
        sha256=digest,
        missing=missing,
        confirmed_missing=tuple(sorted(confirmed)),
        extra=extra,
    )


def _as_utc(ts: pd.Timestamp) -> pd.Timestamp:
    """Tz-aware UTC timestamp (naive input is taken as UTC)."""
    return ts.tz_localize("UTC") if ts.tz is None else ts.tz_convert("UTC")
