"""Snapshot source: a directory of per-ticker CSV files (e.g. a vendor export).

Accepts the header variants seen in real dumps: ``Date`` or an unnamed first
column, any column case (``date,close``), ``Adj Close`` present or not,
close-only files, and yfinance's three-row CSV header (``Price``/``Ticker``/``Date``).
Files are read in place and never copied.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from .config import DATA_DIR
from .errors import ConfigError, DataFetchError, DataQualityError
from .schema import RawPanel, normalize_raw_frame
from .universe import ticker_to_filename, validate_ticker

__all__ = ["SnapshotSource", "Vintage", "find_ticker_file", "load_vintages", "read_price_csv"]

#: Capture times of known snapshot files, keyed by content hash.
VINTAGES_CSV = DATA_DIR / "snapshot_vintages.csv"
_YF_PSEUDO_HEADER_FIRST_CELLS = ("ticker", "date")


@dataclass(frozen=True)
class Vintage:
    """When a snapshot file was captured (``None`` = unknown) and a provenance note."""

    captured_at: pd.Timestamp | None
    note: str


def load_vintages(path: Path = VINTAGES_CSV) -> dict[str, Vintage]:
    """Read the vintage table: sha256 -> :class:`Vintage` (empty if the file is absent)."""
    if not path.exists():
        return {}
    lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if not ln.startswith("#")]
    out: dict[str, Vintage] = {}
    for i, row in enumerate(csv.DictReader(lines), start=2):
        sha = (row.get("sha256") or "").strip().lower()
        if not sha:
            continue
        when = (row.get("captured_at_utc") or "").strip()
        try:
            ts = pd.Timestamp(when) if when else None
        except ValueError as exc:
            raise ConfigError(f"{path}: bad captured_at_utc {when!r} on data row {i}") from exc
        out[sha] = Vintage(captured_at=ts, note=(row.get("note") or "").strip())
    return out


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def find_ticker_file(directory: Path, ticker: str) -> Path | None:
    """The CSV for ``ticker`` in ``directory`` (``^NDX`` -> ``_NDX.csv`` or ``^NDX.csv``)."""
    t = validate_ticker(ticker)
    for name in (ticker_to_filename(t, ".csv"), f"{t}.csv"):
        p = directory / name
        if p.is_file():
            return p
    return None


def read_price_csv(path: Path, ticker: str) -> tuple[pd.DataFrame, str]:
    """Read one price CSV into the raw-frame contract.

    Returns
    -------
    (frame, header_variant)
        ``header_variant`` describes what was found, e.g. ``"Date,Open,High,Low,Close,Volume"``.

    Raises
    ------
    DataQualityError
        If the file is empty, has no close column or unparseable dates.
    """
    try:
        df = pd.read_csv(path, header=0, index_col=0, dtype=str, keep_default_na=True)
    except pd.errors.EmptyDataError as exc:
        raise DataQualityError(f"{ticker}: snapshot file {path} is empty") from exc
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataQualityError(f"{ticker}: snapshot file {path} is not a readable CSV: {exc}") from exc
    first = str(df.index.name) if df.index.name is not None else ""
    variant = ",".join([first, *map(str, df.columns)])
    # yfinance's CSV dump: "Price,Close,..." then "Ticker,..." and "Date,,,," pseudo-header rows.
    skip = [str(v).strip().lower() in _YF_PSEUDO_HEADER_FIRST_CELLS for v in df.index[:2]]
    if first.lower() == "price" and any(skip):
        df = df.iloc[sum(skip) :]
        variant += " (yfinance 3-row header)"
    if df.empty:
        raise DataQualityError(f"{ticker}: snapshot file {path} has a header but no rows")
    return normalize_raw_frame(df, ticker=ticker, origin=str(path)), variant


class SnapshotSource:
    """Price source reading ``<directory>/<TICKER>.csv`` files in place."""

    name = "snapshot"

    def __init__(self, directory: Path | str, *, vintages_path: Path = VINTAGES_CSV) -> None:
        self.directory = Path(directory).expanduser()
        if not self.directory.is_dir():
            raise ConfigError(
                f"snapshot directory not found: {self.directory} "
                "(pass --snapshot-dir DIR or set MARKET_DATA_DIR)"
            )
        self._vintages = load_vintages(vintages_path)

    def load(self, tickers: list[str], start: pd.Timestamp, end: pd.Timestamp) -> RawPanel:
        """Read each ticker's file and keep rows between ``start`` and ``end`` inclusive.

        Raises
        ------
        DataFetchError
            If no requested ticker could be read (names each ticker and reason).
        """
        frames: dict[str, pd.DataFrame] = {}
        meta: dict[str, dict[str, Any]] = {}
        failed: dict[str, str] = {}
        for ticker in tickers:
            path = find_ticker_file(self.directory, ticker)
            if path is None:
                failed[ticker] = f"no file {ticker_to_filename(ticker, '.csv')} in {self.directory}"
                continue
            try:
                df, variant = read_price_csv(path, ticker)
            except DataQualityError as exc:
                failed[ticker] = str(exc)
                continue
            sha = _sha256(path)
            vintage = self._vintages.get(sha)
            window = df.loc[(df.index >= start) & (df.index <= end)]
            if window.empty:
                failed[ticker] = (
                    f"{path.name} has no rows between {start.date()} and {end.date()} "
                    f"(file covers {df.index.min().date()}..{df.index.max().date()})"
                )
                continue
            frames[ticker] = window
            meta[ticker] = {
                "file": str(path),
                "sha256": sha,
                "header": variant,
                "file_first_date": str(df.index.min().date()),
                "file_last_date": str(df.index.max().date()),
                "captured_at": None
                if vintage is None or vintage.captured_at is None
                else vintage.captured_at.isoformat(),
                "vintage_known": vintage is not None,
                "provenance_note": "" if vintage is None else vintage.note,
            }
        if not frames:
            detail = "; ".join(f"{t}: {why}" for t, why in failed.items())
            raise DataFetchError(
                f"snapshot {self.directory}: no requested ticker could be read ({detail})", failed
            )
        return RawPanel(frames=frames, source=self.name, meta=meta, failed=failed)
