"""Miners' quarterly fundamentals, point in time: one interface over three sources.

``load_fundamentals(source, tickers)`` returns a :class:`FundamentalsPanel` whose ``data`` is a
long frame with the columns of :data:`LONG_COLUMNS`::

    ticker, period_end, filed, fiscal_period, metric, value, unit, source_id

Sources (:data:`FUNDAMENTALS_SOURCES`)
    ``sec``
        SEC EDGAR XBRL companyfacts (:mod:`analysis.edgar`): official, exact, with the filing
        date of every fact. Segment revenue (mining vs HPC/AI) is *not* in companyfacts, which
        carries no dimensional facts, so ``revenue_mining`` / ``revenue_hpc`` are never filled
        from it (:data:`SEC_SEGMENT_NOTE`).
    ``yahoo``
        ``yf.Ticker(t).quarterly_balance_sheet`` / ``quarterly_income_stmt`` /
        ``quarterly_cashflow``. Yahoo gives no filing date: ``filed`` is missing, so those rows
        are shown but never joined to prices (:data:`YAHOO_FILED_NOTE`).
    ``snapshot``
        The curated long CSV ``quarterly.csv`` (+ ``sources.csv``) in a directory given by
        ``snapshot_dir`` or ``$FUNDAMENTALS_DATA_DIR``, read in place, never copied.

Network sources keep their raw payloads in ``<data_dir>/raw/fundamentals/<source>/`` with a
``manifest.json`` (sha256, fetch time, record count); writes are atomic and a cached payload is
never replaced by one with fewer records.

Point in time
    Filing dates carry no time of day and many filings and releases come out after the
    16:00 New York close, so a value counts from the first XNYS session *strictly after* its
    ``filed`` date (:func:`known_from`); it is never used on its filing day. Rows without
    ``filed`` are shown in tables but never joined to prices (:func:`as_of_view`,
    :func:`point_in_time`). Fiscal years differ (CleanSpark ends in September, IREN in June):
    periods are identified by their end date; ``fiscal_period`` is a label only.

``fiscal_period`` labels (:func:`fiscal_label`)
    ``FY2025-Q3`` a 3-month flow or a balance-sheet instant at that quarter end;
    ``FY2025-6M`` / ``FY2025-9M`` year-to-date flows; ``FY2025`` a full fiscal-year flow.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import re
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal, get_args

import numpy as np
import pandas as pd

from . import atomic, config
from ._typing import DateLike
from ._validation import as_timestamp, check_choice, check_int
from .calendar import session_grid, sessions
from .errors import CacheError, ConfigError, DataFetchError, DataQualityError
from .universe import load_universe, validate_ticker, validate_tickers

if TYPE_CHECKING:
    from .edgar import EdgarClient

__all__ = [
    "ANNUALISATIONS",
    "CACHE_MANIFEST",
    "COVERAGE_STATUSES",
    "DEFAULT_CACHE_MAX_AGE",
    "DERIVED_METRICS",
    "FLOW_METRICS",
    "FUNDAMENTALS_DATA_ENV",
    "FUNDAMENTALS_SOURCES",
    "ISSUERS",
    "LONG_COLUMNS",
    "METRICS",
    "METRIC_LABELS",
    "MIN_FIRMS_FOR_RANK",
    "PROCESSED_META",
    "PROCESSED_NAME",
    "QUARTERS_PER_YEAR",
    "SEC_SEGMENT_NOTE",
    "SNAPSHOT_FILE",
    "SNAPSHOT_GAP_NOTES",
    "SOURCES_FILE",
    "STOCK_METRICS",
    "YAHOO_FILED_NOTE",
    "YAHOO_ITEMS",
    "CoverageResult",
    "FundamentalsCache",
    "FundamentalsPanel",
    "Issuer",
    "MarketLinkResult",
    "MarketMeasures",
    "as_of_view",
    "availability_sentence",
    "balance_sheet_sentence",
    "coverage",
    "coverage_summary",
    "default_tickers",
    "derive_quarters",
    "derived_metrics",
    "fiscal_label",
    "fundamentals_headline",
    "known_by",
    "known_from",
    "latest_known",
    "latest_values",
    "latest_vintage",
    "load_fundamentals",
    "market_link",
    "market_link_sentence",
    "market_measures",
    "metric_series",
    "normalize_long",
    "parse_yahoo_statements",
    "period_kind",
    "point_in_time",
    "read_fundamentals",
    "read_snapshot",
    "snapshot_dir_from_env",
    "source_note",
    "write_fundamentals",
]

LOGGER = logging.getLogger(__name__)

# ---------------------------------------------------------------------------
# Vocabulary
# ---------------------------------------------------------------------------

FundamentalsSource = Literal["sec", "yahoo", "snapshot"]
FUNDAMENTALS_SOURCES: tuple[str, ...] = get_args(FundamentalsSource)

#: Columns of the long frame, in order.
LONG_COLUMNS: tuple[str, ...] = (
    "ticker",
    "period_end",
    "filed",
    "fiscal_period",
    "metric",
    "value",
    "unit",
    "source_id",
)
#: Balance-sheet metrics: instants at ``period_end``.
STOCK_METRICS: tuple[str, ...] = ("debt_total", "cash", "total_assets")
#: Flow metrics: sums over the period that ends at ``period_end``.
FLOW_METRICS: tuple[str, ...] = (
    "revenue_total",
    "revenue_mining",
    "revenue_hpc",
    "net_income",
    "capex",
)
#: Every metric a source may deliver (the snapshot's vocabulary, see its PROVENANCE.md).
METRICS: tuple[str, ...] = (*STOCK_METRICS, *FLOW_METRICS)
#: Metrics computed by :func:`derived_metrics` (besides the inputs it passes through).
DERIVED_METRICS: tuple[str, ...] = ("revenue_other", "revenue_annualised", "leverage", "hpc_share")
#: Units of the derived metrics.
DERIVED_UNITS: dict[str, str] = {
    "revenue_other": "USD",
    "revenue_annualised": "USD",
    "leverage": "ratio",
    "hpc_share": "fraction",
}

#: Environment variable naming the curated fundamentals directory (``quarterly.csv``).
FUNDAMENTALS_DATA_ENV = "FUNDAMENTALS_DATA_DIR"
SNAPSHOT_FILE = "quarterly.csv"
SOURCES_FILE = "sources.csv"
#: Output of :func:`write_fundamentals` under ``<data_dir>/processed/``.
PROCESSED_NAME = "fundamentals.parquet"
#: Provenance sidecar of the output (source, sha256, failed tickers, notes).
PROCESSED_META = "fundamentals.json"
#: Manifest of a raw payload cache directory.
CACHE_MANIFEST = "manifest.json"
CACHE_MANIFEST_VERSION = 1
#: A cached payload younger than this is used without a network call.
DEFAULT_CACHE_MAX_AGE = pd.Timedelta(days=1)

QUARTERS_PER_YEAR = 4
MONTHS_PER_QUARTER = 3
MONTHS_PER_YEAR = 12
#: A period ending up to this many days into a month counts as ending the previous month
#: (52/53-week fiscal years end on a weekday near the month end).
MONTH_END_GRACE_DAYS = 7
#: Days searched past the last filing date for the next session (covers any holiday run).
NEXT_SESSION_SEARCH_DAYS = 10
#: Fewest firms for which a rank correlation is reported at all.
MIN_FIRMS_FOR_RANK = 4
DATE_DTYPE: Final = "datetime64[ns]"
DERIVED_PREFIX = "derived:"

Annualisation = Literal["run_rate", "ttm"]
ANNUALISATIONS: tuple[str, ...] = get_args(Annualisation)

SEC_SEGMENT_NOTE = (
    "segment revenue (mining vs HPC/AI) is not in SEC companyfacts: the API carries no dimensional "
    "(segment) facts, so it is not guessed"
)
YAHOO_FILED_NOTE = "Yahoo gives no filing date: these rows are shown but never joined to prices"
UNFILED_NOTE = "no filing date: shown, never joined to prices"
DERIVED_NOTE = "derived as a difference of cumulative flows (e.g. Q4 = FY - 9M)"

_FISCAL_PERIOD = re.compile(r"^FY(?P<year>\d{4})(?:-(?:Q(?P<quarter>[1-4])|(?P<months>\d{1,2})M))?$")
_ISO_DATE = r"\d{4}-\d{2}-\d{2}(?:[ T][0-9:.+-]+)?"
_CACHE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,80}$")


@dataclass(frozen=True)
class Issuer:
    """A company of the study as SEC and its fiscal calendar know it.

    Attributes
    ----------
    ticker, name
        Exchange ticker and display name.
    cik
        SEC Central Index Key (``None`` if unknown).
    fiscal_year_end_month
        Month (1-12) in which the fiscal year ends.
    note
        Where the CIK comes from; an SEC ``company_tickers.json`` answer always wins.
    """

    ticker: str
    name: str
    cik: int | None
    fiscal_year_end_month: int = MONTHS_PER_YEAR
    note: str = ""


#: Curated issuer map, used when SEC's ``company_tickers.json`` cannot be read (offline) and for
#: the fiscal-year end month (which companyfacts does not state). CIKs noted "seen" appear in
#: the shared fundamentals PROVENANCE.md/sources.csv or in SEC filing URLs; the rest are from
#: public CIK lists and should be confirmed against ``company_tickers.json``.
ISSUERS: dict[str, Issuer] = {
    i.ticker: i
    for i in (
        Issuer("IREN", "IREN Ltd", 1878848, 6, "fiscal year ends 30 June; IFRS 20-F/6-K filer to FY2024"),
        Issuer("WULF", "TeraWulf Inc.", 1083301, 12, "CIK seen in its exhibit accession numbers"),
        Issuer("HUT", "Hut 8 Corp.", 1964789, 12, "CIK seen in its Q3 2025 10-Q R-page URL"),
        Issuer("ABTC", "American Bitcoin Corp.", 1755953, 12, "former Gryphon/Akerna registrant; confirm"),
        Issuer("CORZ", "Core Scientific, Inc.", 1839341, 12, "CIK of the raw companyfacts file"),
        Issuer("CLSK", "CleanSpark, Inc.", 827876, 9, "fiscal year ends 30 September; CIK in filing URLs"),
        Issuer("BITF", "Bitfarms Ltd.", 1812477, 12, "IFRS 40-F/6-K filer"),
        Issuer("MARA", "MARA Holdings, Inc.", 1507605, 12, "CIK in its 10-Q URLs"),
        Issuer("RIOT", "Riot Platforms, Inc.", 1167419, 12, "CIK seen in its Q3 2025 10-Q URL"),
        Issuer("CIFR", "Cipher Mining Inc.", 1819989, 12, "CIK in its filing accession numbers"),
    )
}

CIFR_NO_SPLIT = "no mining/HPC split: all revenue is bitcoin mining until HPC leases start in 2026"
#: Why a metric is absent or qualified in the curated snapshot, quoted from its PROVENANCE.md.
#: Keys: ``(ticker, metric)`` (``"*"`` = every metric) or ``(ticker, metric, "YYYY-MM-DD")``.
SNAPSHOT_GAP_NOTES: dict[tuple[str, ...], str] = {
    ("RIOT", "revenue_hpc"): "RIOT's 'Data Center Hosting' revenue is bitcoin-miner hosting, not HPC/AI",
    ("RIOT", "debt_total", "2024-03-31"): "no debt line on the face of the balance sheet",
    ("RIOT", "debt_total", "2024-06-30"): "no debt line on the face of the balance sheet",
    ("CIFR", "revenue_mining"): CIFR_NO_SPLIT,
    ("CIFR", "revenue_hpc"): CIFR_NO_SPLIT,
    ("HUT", "debt_total"): "no balance-sheet data in the snapshot",
    ("HUT", "cash"): "no balance-sheet data in the snapshot",
    ("HUT", "total_assets"): "no balance-sheet data in the snapshot",
    ("CORZ", "debt_total"): "no balance-sheet data in the snapshot",
    ("CORZ", "cash"): "no balance-sheet data in the snapshot",
    ("CORZ", "total_assets"): "no balance-sheet data in the snapshot",
    ("ABTC", "debt_total"): "carve-out balance sheet has no borrowing line (left empty, not set to zero)",
    ("ABTC", "revenue_total"): "only the carve-out balance sheet was found; no Q3 2025 figures",
    ("IREN", "debt_total"): "balance-sheet metrics are sparse for IREN (cash only)",
    ("IREN", "total_assets"): "balance-sheet metrics are sparse for IREN (cash only)",
    ("IREN", "revenue_total", "2025-06-30"): "IREN Q4 FY25 (quarter to 2025-06-30) was not found",
    ("WULF", "debt_total", "2025-09-30"): "convertible-notes line only: a lower bound",
    ("BITF", "*"): "nothing found for Bitfarms; omitted from the snapshot",
}


def default_tickers(selection: Sequence[str] | None = None) -> list[str]:
    """The miners of the universe (groups ``ai_miners`` then ``miner_peers``), within ``selection``.

    ``selection`` is the run's ticker selection (``StudyRequest.tickers``); ``None`` keeps all.
    """
    universe = load_universe()
    miners = [*universe.group("ai_miners"), *universe.group("miner_peers")]
    return miners if selection is None else [t for t in miners if t in set(selection)]


def snapshot_dir_from_env() -> Path | None:
    """The directory named by ``FUNDAMENTALS_DATA_DIR``, or ``None`` if unset/empty."""
    value = os.environ.get(FUNDAMENTALS_DATA_ENV, "").strip()
    return Path(value).expanduser() if value else None


# ---------------------------------------------------------------------------
# Period labels
# ---------------------------------------------------------------------------


def _reporting_month(period_end: pd.Timestamp) -> pd.Period:
    """Calendar month a period ends in (an end up to a week into a month counts as the month before)."""
    shifted = pd.Timestamp(period_end) + pd.Timedelta(days=MONTH_END_GRACE_DAYS)
    return shifted.to_period("M") - 1


def fiscal_label(period_end: DateLike, months: int, fiscal_year_end_month: int = MONTHS_PER_YEAR) -> str:
    """Fiscal-period label of a period ending at ``period_end``.

    Parameters
    ----------
    period_end
        Last day of the period (or the balance-sheet date).
    months
        Length of a flow period in months; ``0`` for a balance-sheet instant.
    fiscal_year_end_month
        Month (1-12) in which the company's fiscal year ends (CLSK 9, IREN 6).

    Returns
    -------
    str
        ``FY<year>-Q<n>`` for instants and 3-month flows, ``FY<year>`` for 12-month flows,
        ``FY<year>-<months>M`` otherwise (year-to-date flows).

    Notes
    -----
    The fiscal year is named by the calendar year in which it ends (IREN's year to
    2025-06-30 is FY2025; its quarter to 2025-09-30 is FY2026-Q1).
    """
    check_int(months, "months", minimum=0, unit="months")
    fye = check_int(fiscal_year_end_month, "fiscal_year_end_month", minimum=1, unit="(month number)")
    if fye > MONTHS_PER_YEAR:
        raise ConfigError(f"fiscal_year_end_month must be 1..12, got {fye}")
    month = _reporting_month(as_timestamp(period_end, "period_end"))
    year = month.year if month.month <= fye else month.year + 1
    quarter = ((month.month - fye - 1) % MONTHS_PER_YEAR) // MONTHS_PER_QUARTER + 1
    if months in (0, MONTHS_PER_QUARTER):
        return f"FY{year}-Q{quarter}"
    if months == MONTHS_PER_YEAR:
        return f"FY{year}"
    return f"FY{year}-{months}M"


def period_kind(fiscal_period: str) -> str:
    """``"quarter"`` (``FYyyyy-Qn``), ``"annual"`` (``FYyyyy``) or ``"ytd"`` (``FYyyyy-nM``).

    Raises
    ------
    DataQualityError
        If the label does not follow the convention.
    """
    match = _FISCAL_PERIOD.fullmatch(str(fiscal_period))
    if match is None:
        raise DataQualityError(
            f"fiscal_period {fiscal_period!r} does not follow 'FY2025-Q3', 'FY2025-9M' or 'FY2025'"
        )
    if match.group("quarter"):
        return "quarter"
    return "ytd" if match.group("months") else "annual"


def _period_months(fiscal_period: str) -> int:
    """Length in months of a flow labelled ``fiscal_period`` (quarters: 3)."""
    match = _FISCAL_PERIOD.fullmatch(fiscal_period)
    if match is None:
        raise DataQualityError(f"bad fiscal_period {fiscal_period!r}")
    if match.group("quarter"):
        return MONTHS_PER_QUARTER
    return int(match.group("months")) if match.group("months") else MONTHS_PER_YEAR


# ---------------------------------------------------------------------------
# The long frame
# ---------------------------------------------------------------------------


def _empty_long() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in LONG_COLUMNS})
    return _coerce_dtypes(frame)


def _coerce_dtypes(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.loc[:, list(LONG_COLUMNS)].copy()
    for col in ("ticker", "fiscal_period", "metric", "unit", "source_id"):
        out[col] = out[col].astype(str)
    for col in ("period_end", "filed"):
        out[col] = pd.to_datetime(out[col]).astype(DATE_DTYPE)
    out["value"] = out["value"].astype(np.float64)
    return out


def normalize_long(
    frame: pd.DataFrame, *, origin: str, metrics: Sequence[str] | None = METRICS
) -> pd.DataFrame:
    """Validate and coerce a long frame to the :data:`LONG_COLUMNS` contract.

    Parameters
    ----------
    frame
        Frame with at least the long columns; dates as ISO strings or datetimes, ``filed``
        may be empty.
    origin
        Where the frame came from (used in error messages, e.g. a file path).
    metrics
        Allowed metric names (``None``: any).

    Returns
    -------
    pd.DataFrame
        The long columns only, sorted by ticker, period_end, metric, fiscal_period, filed;
        dates ``datetime64[ns]`` (``filed`` NaT where missing), ``value`` float64.

    Raises
    ------
    DataQualityError
        Missing columns, unparseable dates or values, empty values, unknown metrics,
        malformed fiscal periods or tickers, or a row repeated with the same filing date.
    """
    missing = [c for c in LONG_COLUMNS if c not in frame.columns]
    if missing:
        raise DataQualityError(f"{origin}: missing columns {missing}; expected {list(LONG_COLUMNS)}")
    out = frame.loc[:, list(LONG_COLUMNS)].copy().reset_index(drop=True)
    for col in ("ticker", "fiscal_period", "metric", "unit", "source_id"):
        text = out[col].astype(object).where(out[col].notna(), "").astype(str).str.strip()
        empty = text == ""
        if empty.any():
            raise DataQualityError(f"{origin}: empty {col} on data row {int(np.argmax(empty)) + 1}")
        out[col] = text
    try:
        out["ticker"] = [validate_ticker(t) for t in out["ticker"]]
    except ConfigError as exc:
        raise DataQualityError(f"{origin}: {exc}") from exc
    for col, required in (("period_end", True), ("filed", False)):
        raw = out[col]
        blank = raw.isna() | (raw.astype(str).str.strip() == "")
        if pd.api.types.is_datetime64_any_dtype(raw):
            parsed = pd.to_datetime(raw)
            bad = parsed.isna() & ~blank
        else:  # text must be ISO (YYYY-MM-DD): 03/04/2025 is ambiguous
            text = raw.astype(object).where(~blank, "").astype(str).str.strip()
            iso = text.str.fullmatch(_ISO_DATE)
            parsed = pd.to_datetime(text.where(iso & ~blank, None), errors="coerce", format="ISO8601")
            bad = (parsed.isna() | ~iso) & ~blank
        if required:
            bad = bad | blank
        if bad.any():
            row = int(np.argmax(bad.to_numpy()))
            raise DataQualityError(
                f"{origin}: {col} {raw.iloc[row]!r} on data row {row + 1} is not a date (use YYYY-MM-DD)"
            )
        if getattr(parsed.dt, "tz", None) is not None:
            parsed = parsed.dt.tz_localize(None)
        out[col] = parsed.dt.normalize().astype(DATE_DTYPE)
    values = pd.to_numeric(out["value"], errors="coerce").astype(np.float64)
    bad_value = ~np.isfinite(values.to_numpy())
    if bad_value.any():
        row = int(np.argmax(bad_value))
        raise DataQualityError(
            f"{origin}: value {frame['value'].iloc[row]!r} on data row {row + 1} is not a finite number "
            "(a missing value must be an absent row)"
        )
    out["value"] = values
    if metrics is not None:
        unknown = sorted(set(out["metric"]) - set(metrics))
        if unknown:
            raise DataQualityError(f"{origin}: unknown metrics {unknown}; known: {list(metrics)}")
    for label in out["fiscal_period"].unique():
        try:
            period_kind(label)
        except DataQualityError as exc:
            raise DataQualityError(f"{origin}: {exc}") from exc
    key = ["ticker", "period_end", "fiscal_period", "metric", "filed"]
    dup = out.duplicated(key, keep=False)
    if dup.any():
        first = out.loc[dup].iloc[0]
        raise DataQualityError(
            f"{origin}: {first['ticker']} {first['metric']} {first['fiscal_period']} "
            f"({first['period_end']:%Y-%m-%d}) appears twice with the same filing date; keep one row"
        )
    out = out.sort_values(["ticker", "period_end", "metric", "fiscal_period", "filed"], kind="stable")
    return _coerce_dtypes(out.reset_index(drop=True))


@dataclass(frozen=True)
class FundamentalsPanel:
    """Long fundamentals of several tickers from one source, with provenance.

    Attributes
    ----------
    data
        Long frame (:data:`LONG_COLUMNS`), see :func:`normalize_long`.
    source
        ``sec``, ``yahoo`` or ``snapshot``.
    meta
        Per ticker: where its rows came from (file and sha256, URL, cache use, notes).
    failed
        Requested tickers without any row -> reason.
    sources
        The snapshot's ``sources.csv`` (one row per ``source_id``); ``None`` for other sources.
    notes
        Caveats of the whole source (e.g. :data:`SEC_SEGMENT_NOTE`, :data:`YAHOO_FILED_NOTE`).
    """

    data: pd.DataFrame
    source: str
    meta: dict[str, dict[str, Any]] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    sources: pd.DataFrame | None = None
    notes: tuple[str, ...] = ()

    @property
    def tickers(self) -> list[str]:
        """Tickers with at least one row, in first-seen order."""
        return list(dict.fromkeys(self.data["ticker"]))

    def summary_frame(self) -> pd.DataFrame:
        """One row per ticker and metric: rows, first/last period end, rows without ``filed``."""
        d = self.data
        if d.empty:
            return pd.DataFrame(
                columns=["ticker", "metric", "rows", "first_period", "last_period", "unfiled"]
            )
        grouped = d.groupby(["ticker", "metric"], sort=True)
        out = pd.DataFrame(
            {
                "rows": grouped.size(),
                "first_period": grouped["period_end"].min(),
                "last_period": grouped["period_end"].max(),
                "unfiled": grouped["filed"].agg(lambda s: int(s.isna().sum())),
            }
        ).reset_index()
        out["rows"] = out["rows"].astype(int)
        out["unfiled"] = out["unfiled"].astype(int)
        return out


def _as_frame(data: FundamentalsPanel | pd.DataFrame) -> pd.DataFrame:
    if isinstance(data, FundamentalsPanel):
        return data.data
    if not isinstance(data, pd.DataFrame):
        raise ConfigError(f"expected a FundamentalsPanel or a long DataFrame, got {type(data).__name__}")
    missing = [c for c in LONG_COLUMNS if c not in data.columns]
    if missing:
        raise ConfigError(f"long fundamentals frame lacks columns {missing}")
    return data


# ---------------------------------------------------------------------------
# Raw payload cache
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CachedPayload:
    """A verified cached payload and its manifest record."""

    payload: bytes
    fetched_at: pd.Timestamp
    records: int
    url: str


class FundamentalsCache:
    """Raw payloads (bytes) of one source with a checksummed JSON manifest.

    Parameters
    ----------
    directory
        E.g. ``<data_dir>/raw/fundamentals/sec``; created on the first write.

    Notes
    -----
    Same guarantees as the price cache (:mod:`analysis.cache`): every read verifies the
    sha256; writes are atomic (payload first, then manifest); a payload with fewer records
    than the cached one is refused, so a good cache is never replaced by less.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    @property
    def manifest_path(self) -> Path:
        """Path of the manifest."""
        return self.directory / CACHE_MANIFEST

    def _check_name(self, name: str) -> str:
        if not _CACHE_NAME.fullmatch(name) or ".." in name:
            raise ConfigError(f"bad cache file name {name!r} (letters, digits, '_', '.', '-')")
        return name

    def _manifest(self) -> dict[str, Any]:
        try:
            text = self.manifest_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise CacheError(f"cannot read cache manifest {self.manifest_path}: {exc}") from exc
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CacheError(f"cache manifest {self.manifest_path} is not valid JSON: {exc}") from exc
        if not isinstance(doc, dict) or doc.get("version") != CACHE_MANIFEST_VERSION:
            raise CacheError(
                f"cache manifest {self.manifest_path} has an unknown layout; delete it to refetch"
            )
        entries = doc.get("entries")
        if not isinstance(entries, dict):
            raise CacheError(f"cache manifest {self.manifest_path} has no 'entries' object")
        return entries

    def read(self, name: str) -> CachedPayload | None:
        """The verified payload stored as ``name``, or ``None`` if not cached.

        Raises
        ------
        CacheError
            If the file is missing, its sha256 differs from the manifest or the entry is malformed.
        """
        name = self._check_name(name)
        entry = self._manifest().get(name)
        if entry is None:
            return None
        path = self.directory / name
        try:
            payload = path.read_bytes()
        except OSError as exc:
            raise CacheError(
                f"{path}: listed in {self.manifest_path} but unreadable ({exc}); refetch"
            ) from exc
        try:
            digest, fetched, records, url = (
                str(entry["sha256"]),
                pd.Timestamp(entry["fetched_at"]),
                int(entry["records"]),
                str(entry.get("url", "")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise CacheError(f"{name}: malformed entry in {self.manifest_path}: {exc}") from exc
        actual = hashlib.sha256(payload).hexdigest()
        if actual != digest:
            raise CacheError(
                f"{path}: sha256 {actual[:12]}... does not match the manifest ({digest[:12]}...); "
                "the file was modified or corrupted and is not used (refetch)"
            )
        fetched = fetched.tz_localize("UTC") if fetched.tz is None else fetched.tz_convert("UTC")
        return CachedPayload(payload=payload, fetched_at=fetched, records=records, url=url)

    def write(self, name: str, payload: bytes, *, records: int, fetched_at: pd.Timestamp, url: str) -> bool:
        """Store ``payload`` atomically unless the cached payload has more records.

        Returns
        -------
        bool
            ``False`` when refused (the cached payload is kept).
        """
        name = self._check_name(name)
        try:
            old = self.read(name)
        except CacheError as exc:
            LOGGER.warning("replacing an unusable cache entry: %s", exc)
            old = None
        if old is not None and records < old.records:
            LOGGER.warning(
                "%s: refusing to replace a cached payload of %d records with one of %d",
                self.directory / name,
                old.records,
                records,
            )
            return False
        atomic.write_bytes(self.directory / name, payload)
        try:
            entries = self._manifest()
        except CacheError as exc:
            LOGGER.warning("rebuilding the cache manifest: %s", exc)
            entries = {}
        stamp = pd.Timestamp(fetched_at)
        stamp = stamp.tz_localize("UTC") if stamp.tz is None else stamp.tz_convert("UTC")
        entries[name] = {
            "sha256": hashlib.sha256(payload).hexdigest(),
            "fetched_at": stamp.isoformat(),
            "records": int(records),
            "url": url,
            "bytes": len(payload),
        }
        doc = {"version": CACHE_MANIFEST_VERSION, "entries": dict(sorted(entries.items()))}
        atomic.write_json(self.manifest_path, doc)
        return True


def _cached_fetch(
    cache: FundamentalsCache,
    name: str,
    *,
    url: str,
    fetch: Callable[[], bytes],
    count: Callable[[bytes], int],
    now: pd.Timestamp,
    max_age: pd.Timedelta,
    strict: bool,
) -> tuple[bytes, dict[str, Any]]:
    """A payload from the cache if fresh, else fetched (and cached); stale cache as a fallback.

    Raises
    ------
    DataFetchError
        If the fetch fails and there is no usable cache (or ``strict`` forbids a stale one).
    """
    info: dict[str, Any] = {"url": url, "cache_file": str(cache.directory / name)}
    try:
        cached = cache.read(name)
    except CacheError as exc:
        info["corrupt_cache"] = str(exc)
        cached = None
    if cached is not None and now - cached.fetched_at <= max_age:
        info.update(from_cache=True, fetched_at=cached.fetched_at.isoformat())
        return cached.payload, info
    try:
        payload = fetch()
        records = count(payload)
    except (DataFetchError, DataQualityError) as exc:
        if cached is None or strict:
            raise DataFetchError(f"{url}: {exc}") from exc
        warnings.warn(
            f"{url}: fetch failed ({exc}); using the cached copy from {cached.fetched_at:%Y-%m-%d %H:%M} UTC",
            UserWarning,
            stacklevel=4,
        )
        info.update(
            from_cache=True, stale=True, fetched_at=cached.fetched_at.isoformat(), fetch_error=str(exc)
        )
        return cached.payload, info
    written = cache.write(name, payload, records=records, fetched_at=now, url=url)
    info.update(from_cache=False, fetched_at=now.isoformat(), records=records, cache_written=written)
    return payload, info


# ---------------------------------------------------------------------------
# Sources
# ---------------------------------------------------------------------------


def load_fundamentals(
    source: str,
    tickers: Sequence[str] | None = None,
    *,
    snapshot_dir: Path | str | None = None,
    data_dir: Path | None = None,
    strict: bool = False,
    client: EdgarClient | None = None,
    user_agent: str | None = None,
    ticker_factory: Callable[[str], Any] | None = None,
    now: Callable[[], pd.Timestamp] | None = None,
    max_age: pd.Timedelta = DEFAULT_CACHE_MAX_AGE,
) -> FundamentalsPanel:
    """Quarterly fundamentals of ``tickers`` from one source.

    Parameters
    ----------
    source
        ``sec``, ``yahoo`` or ``snapshot``.
    tickers
        Tickers (default: :func:`default_tickers`, the miners of the universe).
    snapshot_dir
        Directory of ``quarterly.csv`` (``snapshot``; default ``$FUNDAMENTALS_DATA_DIR``).
    data_dir
        Project data directory; raw payloads are cached under ``<data_dir>/raw/fundamentals/``.
    strict
        Any ticker without data is an error, and a stale cache is never used.
    client
        SEC client (``sec``; default an :class:`analysis.edgar.EdgarClient` with ``user_agent``
        or ``$SEC_USER_AGENT``, created only when a request is needed).
    user_agent
        SEC User-Agent with a contact e-mail (used when ``client`` is not given).
    ticker_factory
        ``yahoo``: returns an object with ``quarterly_balance_sheet``, ``quarterly_income_stmt``
        and ``quarterly_cashflow`` (default ``yfinance.Ticker``, imported lazily).
    now
        Current time (UTC) for cache ages.
    max_age
        A cached payload younger than this is used without a request.

    Returns
    -------
    FundamentalsPanel

    Raises
    ------
    ConfigError
        Unknown source, malformed ticker, missing snapshot directory, no SEC User-Agent.
    DataFetchError
        No ticker has data, or (``strict``) any ticker failed.
    DataQualityError
        The snapshot violates its contract.
    """
    check_choice(source, "source", FUNDAMENTALS_SOURCES)
    symbols = validate_tickers(tickers) if tickers is not None else default_tickers()
    clock = now or (lambda: pd.Timestamp.now(tz="UTC"))
    if source == "snapshot":
        panel = _load_snapshot(symbols, snapshot_dir)
    elif source == "sec":
        panel = _load_sec(
            symbols,
            data_dir=data_dir,
            strict=strict,
            client=client,
            user_agent=user_agent,
            now=clock,
            max_age=max_age,
        )
    else:
        panel = _load_yahoo(
            symbols, data_dir=data_dir, strict=strict, factory=ticker_factory, now=clock, max_age=max_age
        )
    if panel.data.empty:
        detail = "; ".join(f"{t}: {why}" for t, why in panel.failed.items())
        raise DataFetchError(f"{source}: no fundamentals for any requested ticker ({detail})", panel.failed)
    if strict and panel.failed:
        detail = "; ".join(f"{t}: {why}" for t, why in panel.failed.items())
        raise DataFetchError(f"--strict: {len(panel.failed)} ticker(s) failed: {detail}", panel.failed)
    for ticker, why in panel.failed.items():
        LOGGER.warning("%s: no fundamentals from %s: %s", ticker, source, why)
    return panel


def _sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_snapshot(directory: Path | str) -> tuple[pd.DataFrame, pd.DataFrame | None, dict[str, Any]]:
    """Read the curated ``quarterly.csv`` (and ``sources.csv`` if present) in place.

    Returns
    -------
    (data, sources, meta)
        The normalised long frame, the sources table (``None`` without ``sources.csv``) and
        file provenance (paths and sha256).

    Raises
    ------
    ConfigError
        If the directory or ``quarterly.csv`` does not exist.
    DataQualityError
        If a file violates the contract, or a ``source_id`` is not in ``sources.csv``.
    """
    root = Path(directory).expanduser()
    if not root.is_dir():
        raise ConfigError(
            f"fundamentals snapshot directory not found: {root} "
            f"(pass --snapshot-dir DIR or set {FUNDAMENTALS_DATA_ENV})"
        )
    path = root / SNAPSHOT_FILE
    if not path.is_file():
        raise ConfigError(f"no {SNAPSHOT_FILE} in {root}; point --snapshot-dir at the curated directory")
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DataQualityError(f"{path} is not a readable CSV: {exc}") from exc
    data = normalize_long(raw, origin=str(path))
    meta: dict[str, Any] = {"file": str(path), "sha256": _sha256_file(path)}
    sources: pd.DataFrame | None = None
    src_path = root / SOURCES_FILE
    if src_path.is_file():
        try:
            sources = pd.read_csv(src_path, dtype=str, keep_default_na=False)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
            raise DataQualityError(f"{src_path} is not a readable CSV: {exc}") from exc
        if "source_id" not in sources.columns:
            raise DataQualityError(f"{src_path} has no source_id column")
        unknown = sorted(set(data["source_id"]) - set(sources["source_id"]))
        if unknown:
            raise DataQualityError(f"{path}: source_id(s) {unknown} are not described in {src_path}")
        meta.update(sources_file=str(src_path), sources_sha256=_sha256_file(src_path))
    else:
        meta["sources_file"] = None
    return data, sources, meta


def _load_snapshot(tickers: list[str], directory: Path | str | None) -> FundamentalsPanel:
    root = Path(directory) if directory is not None else snapshot_dir_from_env()
    if root is None:
        raise ConfigError(
            f"source 'snapshot' needs --snapshot-dir DIR or the {FUNDAMENTALS_DATA_ENV} environment variable"
        )
    data, sources, file_meta = read_snapshot(root)
    keep = data["ticker"].isin(tickers)
    present = set(data.loc[keep, "ticker"])
    failed = {t: f"no rows for {t} in {file_meta['file']}" for t in tickers if t not in present}
    selected = data.loc[keep].reset_index(drop=True)
    meta: dict[str, dict[str, Any]] = {}
    for t in tickers:
        mine = selected["ticker"] == t
        if mine.any():
            meta[t] = {
                **file_meta,
                "rows": int(mine.sum()),
                "unfiled": int((mine & selected["filed"].isna()).sum()),
            }
    return FundamentalsPanel(
        data=selected, source="snapshot", meta=meta, failed=failed, sources=sources, notes=()
    )


def _fye_month(ticker: str) -> int:
    issuer = ISSUERS.get(ticker)
    return issuer.fiscal_year_end_month if issuer else MONTHS_PER_YEAR


def _load_sec(
    tickers: list[str],
    *,
    data_dir: Path | None,
    strict: bool,
    client: EdgarClient | None,
    user_agent: str | None,
    now: Callable[[], pd.Timestamp],
    max_age: pd.Timedelta,
) -> FundamentalsPanel:
    from . import edgar

    holder: list[EdgarClient] = [client] if client is not None else []

    def get_client() -> EdgarClient:
        if not holder:
            holder.append(edgar.EdgarClient(user_agent))
        return holder[0]

    cache = FundamentalsCache(config.raw_dir(data_dir) / "fundamentals" / "sec")
    stamp = _utc(now())
    ciks, cik_meta = _resolve_ciks(tickers, cache, get_client, stamp, strict)
    frames: list[pd.DataFrame] = []
    meta: dict[str, dict[str, Any]] = {}
    failed: dict[str, str] = {}
    for ticker in tickers:
        cik = ciks.get(ticker)
        if cik is None:
            failed[ticker] = f"no CIK known for {ticker} (not in company_tickers.json nor the curated map)"
            continue
        url = edgar.companyfacts_url(cik)
        try:
            payload, info = _cached_fetch(
                cache,
                f"CIK{cik:010d}.json",
                url=url,
                fetch=partial(_companyfacts, get_client, cik),
                count=edgar.count_facts,
                now=stamp,
                max_age=max_age,
                strict=strict,
            )
            issuer = ISSUERS.get(ticker)
            fye = issuer.fiscal_year_end_month if issuer else None  # None: inferred from the 10-K facts
            frame = edgar.parse_companyfacts(payload, ticker=ticker, fiscal_year_end_month=fye)
        except (DataFetchError, DataQualityError) as exc:
            failed[ticker] = str(exc)
            continue
        if frame.empty:
            failed[ticker] = f"companyfacts for CIK {cik} has no mapped USD facts in periodic reports"
            continue
        frames.append(frame.loc[:, list(LONG_COLUMNS)])
        meta[ticker] = {**info, "cik": cik, **cik_meta.get(ticker, {}), "rows": len(frame)}
    data = normalize_long(pd.concat(frames), origin="SEC companyfacts") if frames else _empty_long()
    return FundamentalsPanel(data=data, source="sec", meta=meta, failed=failed, notes=(SEC_SEGMENT_NOTE,))


def _companyfacts(get_client: Callable[[], EdgarClient], cik: int) -> bytes:
    return get_client().companyfacts(cik)


def _resolve_ciks(
    tickers: list[str],
    cache: FundamentalsCache,
    get_client: Callable[[], EdgarClient],
    now: pd.Timestamp,
    strict: bool,
) -> tuple[dict[str, int], dict[str, dict[str, Any]]]:
    """Ticker -> CIK from SEC's company_tickers.json (cached 30 days), else the curated map."""
    from . import edgar

    official: dict[str, int] = {}
    try:
        payload, _ = _cached_fetch(
            cache,
            "company_tickers.json",
            url=edgar.COMPANY_TICKERS_URL,
            fetch=lambda: get_client().company_tickers(),
            count=lambda p: len(edgar.parse_company_tickers(p)),
            now=now,
            max_age=edgar.COMPANY_TICKERS_MAX_AGE,
            strict=strict,
        )
        official = edgar.parse_company_tickers(payload)
    except (DataFetchError, DataQualityError) as exc:
        if strict:
            raise
        LOGGER.warning("SEC ticker map unavailable (%s); using the curated CIK map", exc)
    ciks: dict[str, int] = {}
    meta: dict[str, dict[str, Any]] = {}
    for t in tickers:
        curated = ISSUERS.get(t)
        if t in official:
            ciks[t] = official[t]
            meta[t] = {"cik_source": "company_tickers.json"}
            if curated is not None and curated.cik is not None and curated.cik != official[t]:
                meta[t]["cik_note"] = f"curated CIK {curated.cik} differs; SEC's {official[t]} used"
        elif curated is not None and curated.cik is not None:
            ciks[t] = curated.cik
            meta[t] = {"cik_source": "curated", "cik_note": curated.note}
    return ciks, meta


#: Yahoo line items per metric: (statement, ordered recipes; a recipe's items are summed).
YAHOO_ITEMS: dict[str, tuple[str, tuple[tuple[str, ...], ...]]] = {
    "debt_total": ("balance_sheet", (("Current Debt", "Long Term Debt"), ("Total Debt",))),
    "cash": (
        "balance_sheet",
        (("Cash And Cash Equivalents",), ("Cash Cash Equivalents And Short Term Investments",)),
    ),
    "total_assets": ("balance_sheet", (("Total Assets",),)),
    "revenue_total": ("income_stmt", (("Total Revenue",), ("Operating Revenue",))),
    "net_income": ("income_stmt", (("Net Income",), ("Net Income Common Stockholders",))),
    "capex": ("cashflow", (("Capital Expenditure",),)),
}
#: Yahoo's cash-flow sign convention (outflows negative) -> the snapshot's (capex positive).
YAHOO_SIGN: dict[str, float] = {"capex": -1.0}
#: yfinance attribute of each statement.
YAHOO_STATEMENTS: dict[str, str] = {
    "balance_sheet": "quarterly_balance_sheet",
    "income_stmt": "quarterly_income_stmt",
    "cashflow": "quarterly_cashflow",
}


def parse_yahoo_statements(
    ticker: str,
    statements: Mapping[str, pd.DataFrame],
    *,
    fiscal_year_end_month: int = MONTHS_PER_YEAR,
) -> pd.DataFrame:
    """Long records from yfinance quarterly statements.

    Parameters
    ----------
    ticker
        Ticker of the statements.
    statements
        ``balance_sheet`` / ``income_stmt`` / ``cashflow`` frames of yfinance's shape: line items
        as the index, period-end Timestamps as columns, NaN holes.
    fiscal_year_end_month
        For the ``fiscal_period`` label.

    Returns
    -------
    pd.DataFrame
        Long frame; ``filed`` is NaT (Yahoo gives no filing date); ``source_id`` is
        ``yahoo:<line item>`` (summed items joined by ``+``).

    Notes
    -----
    For each metric and period the first recipe of :data:`YAHOO_ITEMS` whose items are all
    present is used: debt is ``Current Debt + Long Term Debt`` (excluding leases) and only
    falls back to ``Total Debt`` (which includes lease obligations). Income-statement columns
    are 3-month quarters; balance-sheet columns are instants; capex is sign-flipped.
    """
    rows: list[dict[str, Any]] = []
    for metric, (statement, recipes) in YAHOO_ITEMS.items():
        frame = statements.get(statement)
        if frame is None or not isinstance(frame, pd.DataFrame) or frame.empty:
            continue
        table = frame.apply(pd.to_numeric, errors="coerce")
        table.index = [str(i).strip() for i in table.index]
        months = 0 if metric in STOCK_METRICS else MONTHS_PER_QUARTER
        for column in table.columns:
            try:
                end = pd.Timestamp(column).normalize()
            except (TypeError, ValueError) as exc:
                raise DataQualityError(
                    f"{ticker}: yahoo {statement} column {column!r} is not a date"
                ) from exc
            for recipe in recipes:
                if not all(item in table.index for item in recipe):
                    continue
                parts = [table.at[item, column] for item in recipe]
                if any(not np.isfinite(p) for p in parts):
                    continue
                rows.append(
                    {
                        "ticker": ticker,
                        "period_end": end,
                        "filed": pd.NaT,
                        "fiscal_period": fiscal_label(end, months, fiscal_year_end_month),
                        "metric": metric,
                        "value": float(sum(parts)) * YAHOO_SIGN.get(metric, 1.0),
                        "unit": "USD",
                        "source_id": "yahoo:" + "+".join(recipe),
                    }
                )
                break
    if not rows:
        return _empty_long()
    return normalize_long(pd.DataFrame(rows), origin=f"yahoo statements of {ticker}")


def _statements_to_payload(statements: Mapping[str, pd.DataFrame]) -> tuple[bytes, int]:
    doc: dict[str, Any] = {}
    cells = 0
    for name, frame in statements.items():
        table = frame.apply(pd.to_numeric, errors="coerce")
        values = table.to_numpy(dtype=np.float64)
        cells += int(np.isfinite(values).sum())
        doc[name] = {
            "items": [str(i) for i in table.index],
            "periods": [pd.Timestamp(c).strftime("%Y-%m-%d") for c in table.columns],
            "values": [[v if math.isfinite(v) else None for v in row] for row in values.tolist()],
        }
    return json.dumps(doc, sort_keys=True).encode("utf-8"), cells


def _payload_to_statements(payload: bytes) -> dict[str, pd.DataFrame]:
    try:
        doc = json.loads(payload)
        return {
            name: pd.DataFrame(
                np.array(
                    [[np.nan if v is None else float(v) for v in row] for row in part["values"]],
                    dtype=np.float64,
                ).reshape(len(part["items"]), len(part["periods"])),
                index=part["items"],
                columns=pd.DatetimeIndex(part["periods"]),
            )
            for name, part in doc.items()
        }
    except (ValueError, KeyError, TypeError) as exc:
        raise DataQualityError(f"cached yahoo statements are malformed: {exc}") from exc


def _fetch_yahoo(ticker: str, factory: Callable[[str], Any]) -> bytes:
    """Download one ticker's statements; raise DataFetchError when Yahoo returns nothing."""
    from yfinance.exceptions import YFException  # lazy, like the yfinance import itself

    statements: dict[str, pd.DataFrame] = {}
    try:
        handle = factory(ticker)
        for name, attr in YAHOO_STATEMENTS.items():
            frame = getattr(handle, attr)
            if isinstance(frame, pd.DataFrame) and not frame.empty:
                statements[name] = frame
    except (YFException, OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise DataFetchError(f"yahoo statements of {ticker} failed: {type(exc).__name__}: {exc}") from exc
    if not statements:
        raise DataFetchError(f"yahoo returned no quarterly statements for {ticker}")
    payload, cells = _statements_to_payload(statements)
    if cells == 0:
        raise DataFetchError(f"yahoo returned only empty quarterly statements for {ticker}")
    return payload


def _load_yahoo(
    tickers: list[str],
    *,
    data_dir: Path | None,
    strict: bool,
    factory: Callable[[str], Any] | None,
    now: Callable[[], pd.Timestamp],
    max_age: pd.Timedelta,
) -> FundamentalsPanel:
    if factory is None:
        import yfinance as yf  # lazy: ``import analysis`` stays light

        factory = yf.Ticker
    make = factory
    cache = FundamentalsCache(config.raw_dir(data_dir) / "fundamentals" / "yahoo")
    stamp = _utc(now())
    frames: list[pd.DataFrame] = []
    meta: dict[str, dict[str, Any]] = {}
    failed: dict[str, str] = {}
    for ticker in tickers:
        try:
            payload, info = _cached_fetch(
                cache,
                f"{ticker.replace('^', '_')}.json",
                url=f"yfinance:Ticker({ticker!r}).quarterly_*",
                fetch=partial(_fetch_yahoo, ticker, make),
                count=lambda p: _statements_to_payload(_payload_to_statements(p))[1],
                now=stamp,
                max_age=max_age,
                strict=strict,
            )
            frame = parse_yahoo_statements(
                ticker, _payload_to_statements(payload), fiscal_year_end_month=_fye_month(ticker)
            )
        except (DataFetchError, DataQualityError) as exc:
            failed[ticker] = str(exc)
            continue
        if frame.empty:
            failed[ticker] = "yahoo statements hold none of the mapped line items"
            continue
        frames.append(frame)
        meta[ticker] = {**info, "rows": len(frame), "note": YAHOO_FILED_NOTE}
    data = normalize_long(pd.concat(frames), origin="yahoo") if frames else _empty_long()
    return FundamentalsPanel(data=data, source="yahoo", meta=meta, failed=failed, notes=(YAHOO_FILED_NOTE,))


def _utc(ts: pd.Timestamp) -> pd.Timestamp:
    stamp = pd.Timestamp(ts)
    return stamp.tz_localize("UTC") if stamp.tz is None else stamp.tz_convert("UTC")


# ---------------------------------------------------------------------------
# Processed output
# ---------------------------------------------------------------------------


#: Seconds a fundamentals writer waits for another writer of ``processed/``.
FUNDAMENTALS_LOCK_TIMEOUT_S = 60.0


def write_fundamentals(panel: FundamentalsPanel, data_dir: Path | None = None) -> Path:
    """Write ``panel.data`` to ``<data_dir>/processed/fundamentals.parquet`` atomically.

    A provenance sidecar ``fundamentals.json`` (source, tickers, failed tickers, notes, sha256
    of the Parquet file) is written after it.

    Returns
    -------
    Path
        The Parquet file.
    """
    out_dir = config.processed_dir(data_dir)
    path = out_dir / PROCESSED_NAME
    frame = _coerce_dtypes(panel.data).reset_index(drop=True)
    # Writers of processed/ are serialised (the panel's lock); readers check the sidecar's sha256,
    # so a reader between the two writes sees a mismatch (an error), never a mixed pair.
    with atomic.directory_lock(out_dir, timeout=FUNDAMENTALS_LOCK_TIMEOUT_S):
        atomic.write_parquet(frame, path)
        atomic.write_json(
            out_dir / PROCESSED_META,
            {
                "source": panel.source,
                "tickers": panel.tickers,
                "failed": panel.failed,
                "notes": list(panel.notes),
                "rows": len(frame),
                "unfiled_rows": int(frame["filed"].isna().sum()),
                "sha256": _sha256_file(path),
                "meta": panel.meta,
            },
        )
    return path


def read_fundamentals(data_dir: Path | None = None) -> pd.DataFrame:
    """Read ``processed/fundamentals.parquet`` (checked against its sidecar's sha256).

    Raises
    ------
    ConfigError
        If the file does not exist (run ``python -m analysis fundamentals`` first).
    CacheError
        If the file does not match the sha256 recorded when it was written.
    """
    out_dir = config.processed_dir(data_dir)
    path = out_dir / PROCESSED_NAME
    if not path.is_file():
        raise ConfigError(f"{path} not found; run `python -m analysis fundamentals --source snapshot` first")
    side = out_dir / PROCESSED_META
    if side.is_file():
        recorded = json.loads(side.read_text(encoding="utf-8")).get("sha256")
        if recorded and recorded != _sha256_file(path):
            raise CacheError(
                f"{path} does not match the sha256 in {side}; rerun `python -m analysis fundamentals`"
            )
    return normalize_long(pd.read_parquet(path), origin=str(path), metrics=None)


# ---------------------------------------------------------------------------
# Point in time
# ---------------------------------------------------------------------------


def known_from(filed: pd.Series) -> pd.Series:
    """First XNYS session strictly after each filing date (NaT where ``filed`` is NaT).

    Notes
    -----
    Filing dates have no time of day; filings and releases often come after the 16:00 close,
    so a value is never used on its filing day. A filing on Friday counts from Monday; one on
    the eve of a holiday counts from the session after the holiday.

    Raises
    ------
    ConfigError
        If a filing date lies beyond the exchange calendar.
    """
    dates = pd.to_datetime(filed).astype(DATE_DTYPE)
    out = pd.Series(pd.NaT, index=filed.index, dtype=DATE_DTYPE)
    mask = dates.notna()
    if not mask.any():
        return out
    present = dates[mask]
    last = pd.Timestamp(session_grid()[-1])
    last = last.tz_localize(None) if last.tz is not None else last
    if present.max() >= last:
        raise ConfigError(
            f"filing date {present.max():%Y-%m-%d} is beyond the exchange calendar "
            f"(last session {last:%Y-%m-%d})"
        )
    grid = sessions(present.min(), present.max() + pd.Timedelta(days=NEXT_SESSION_SEARCH_DAYS))
    grid_values = grid.to_numpy(dtype=DATE_DTYPE)
    pos = np.searchsorted(grid_values, present.to_numpy(dtype=DATE_DTYPE), side="right")
    out.loc[mask] = grid_values[pos]
    return out


def _with_known(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out["known_from"] = known_from(out["filed"])
    return out


def latest_vintage(data: FundamentalsPanel | pd.DataFrame) -> pd.DataFrame:
    """One row per (ticker, period_end, fiscal_period, metric): the latest filed (dated rows win)."""
    frame = _as_frame(data)
    ordered = frame.sort_values(["filed"], na_position="first", kind="stable")
    key = ["ticker", "period_end", "fiscal_period", "metric"]
    out = ordered.drop_duplicates(key, keep="last")
    return out.sort_values(["ticker", "period_end", "metric", "fiscal_period"], kind="stable").reset_index(
        drop=True
    )


def as_of_view(data: FundamentalsPanel | pd.DataFrame, as_of: DateLike) -> pd.DataFrame:
    """What the market could know at ``as_of``: the latest vintage of each value known by then.

    Parameters
    ----------
    data
        Panel or long frame.
    as_of
        Date; a value is known on ``as_of`` if ``known_from(filed) <= as_of``.

    Returns
    -------
    pd.DataFrame
        Long frame plus ``known_from``; rows without ``filed`` are excluded (never joined).
        A later filing of the same period (a restatement) replaces the earlier value only from
        its own ``known_from`` on.
    """
    ts = as_timestamp(as_of, "as_of").normalize()
    frame = _with_known(_as_frame(data))
    known = frame.loc[frame["known_from"].notna() & (frame["known_from"] <= ts)]
    key = ["ticker", "period_end", "fiscal_period", "metric"]
    out = known.sort_values(["known_from", "filed"], kind="stable").drop_duplicates(key, keep="last")
    return out.sort_values(["ticker", "period_end", "metric", "fiscal_period"], kind="stable").reset_index(
        drop=True
    )


_PIT_COLUMNS = (
    "date",
    "ticker",
    "metric",
    "value",
    "unit",
    "period_end",
    "fiscal_period",
    "filed",
    "known_from",
    "source_id",
)


def point_in_time(
    data: FundamentalsPanel | pd.DataFrame,
    dates: Iterable[DateLike] | pd.DatetimeIndex,
    *,
    metrics: Sequence[str] | None = None,
    kinds: Sequence[str] = ("quarter",),
) -> pd.DataFrame:
    """The latest period of each ticker and metric known at each date.

    Parameters
    ----------
    data
        Panel or long frame (e.g. :func:`derived_metrics` output).
    dates
        Dates to look up (e.g. the sessions of a returns frame).
    metrics
        Metrics to keep (default all).
    kinds
        Period kinds to consider (:func:`period_kind`); default 3-month quarters and instants,
        so that a year-to-date flow never stands in for a quarter.

    Returns
    -------
    pd.DataFrame
        Long: ``date, ticker, metric, value, unit, period_end, fiscal_period, filed,
        known_from, source_id``; a (date, ticker, metric) with nothing known yet is absent.

    Notes
    -----
    "Latest period" is the greatest ``period_end`` among values with ``known_from <= date``;
    a late comparative of an older period never replaces a newer one, while a restatement of
    the same period replaces it from its own ``known_from``. Rows without ``filed`` never appear.
    """
    frame = _with_known(_as_frame(data))
    frame = frame.loc[frame["known_from"].notna()]
    if metrics is not None:
        frame = frame.loc[frame["metric"].isin(list(metrics))]
    kind = frame["fiscal_period"].map(period_kind)
    frame = frame.loc[kind.isin(list(kinds))]
    parsed = pd.DatetimeIndex([as_timestamp(d, "dates") for d in dates]).normalize()
    stamps = pd.DatetimeIndex(parsed.unique().sort_values()).astype(DATE_DTYPE)
    if frame.empty or len(stamps) == 0:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in _PIT_COLUMNS})
    frame = frame.sort_values(["ticker", "metric", "known_from", "period_end"], kind="stable")
    running = frame.groupby(["ticker", "metric"], sort=False)["period_end"].cummax()
    previous = running.groupby([frame["ticker"], frame["metric"]], sort=False).shift()
    best = frame.loc[previous.isna() | (frame["period_end"] >= previous)]
    keys = best[["ticker", "metric"]].drop_duplicates()
    left = keys.merge(pd.DataFrame({"date": stamps}), how="cross").sort_values("date", kind="stable")
    right = best.sort_values("known_from", kind="stable")
    out = pd.merge_asof(
        left, right, left_on="date", right_on="known_from", by=["ticker", "metric"], direction="backward"
    )
    out = out.loc[out["value"].notna(), list(_PIT_COLUMNS)]
    return out.sort_values(["date", "ticker", "metric"], kind="stable").reset_index(drop=True)


def latest_known(
    data: FundamentalsPanel | pd.DataFrame, as_of: DateLike, *, metrics: Sequence[str] | None = None
) -> pd.DataFrame:
    """Per ticker and metric, the latest quarter known at ``as_of`` (:func:`point_in_time` at one date)."""
    out = point_in_time(data, [as_of], metrics=metrics)
    return out.drop(columns="date").reset_index(drop=True)


# ---------------------------------------------------------------------------
# Derived metrics
# ---------------------------------------------------------------------------


def _combine_filed(*filed: pd.Series) -> pd.Series:
    """Latest of several filing dates; NaT if any is NaT (a derived value needs all inputs known)."""
    frame = pd.concat(filed, axis=1)
    out = frame.max(axis=1)
    return out.where(frame.notna().all(axis=1)).astype(DATE_DTYPE)


def _combine_ids(*ids: pd.Series) -> pd.Series:
    frame = pd.concat(ids, axis=1).astype(object).fillna("").astype(str)
    return DERIVED_PREFIX + frame.agg(" ; ".join, axis=1)


def derive_quarters(data: FundamentalsPanel | pd.DataFrame) -> pd.DataFrame:
    """Add 3-month flows derived from cumulative ones: ``Q_k = cum_k - cum_(k-1)``.

    Parameters
    ----------
    data
        Long frame; one vintage per key is expected (see :func:`latest_vintage`).

    Returns
    -------
    pd.DataFrame
        The input plus derived rows (``source_id`` starting ``derived:``) for quarters that
        are not reported themselves.

    Notes
    -----
    Within a fiscal year, ``cum_1`` is Q1, ``cum_2`` the 6-month, ``cum_3`` the 9-month and
    ``cum_4`` the full-year flow; in particular **Q4 = FY - 9M**, the only way a fourth
    quarter exists for filers whose 10-K gives annual flows only. The two cumulative periods
    must end three months apart. A derived row's ``filed`` is the later of its inputs' (NaT if
    either is unknown); its ``period_end`` is that of the later period. Balance-sheet metrics
    are never derived.
    """
    frame = _as_frame(data).loc[:, list(LONG_COLUMNS)]
    flows = frame.loc[frame["metric"].isin(FLOW_METRICS)]
    if flows.empty:
        return frame.reset_index(drop=True)
    parsed = flows["fiscal_period"].str.extract(_FISCAL_PERIOD.pattern)
    months = flows["fiscal_period"].map(_period_months)
    is_q1 = parsed["quarter"] == "1"
    is_cum = parsed["quarter"].isna() & months.isin([6, 9, MONTHS_PER_YEAR])
    cum = flows.loc[is_q1 | is_cum].assign(
        fy=parsed.loc[is_q1 | is_cum, "year"],
        k=(months[is_q1 | is_cum] // MONTHS_PER_QUARTER).where(~is_q1[is_q1 | is_cum], 1),
    )
    key = ["ticker", "metric", "fy", "k"]
    pairs = cum.loc[cum["k"] > 1].merge(cum.assign(k=cum["k"] + 1), on=key, suffixes=("", "_prev"))
    if pairs.empty:
        return frame.reset_index(drop=True)
    gap = [
        (_reporting_month(a) - _reporting_month(b)).n
        for a, b in zip(pairs["period_end"], pairs["period_end_prev"], strict=True)
    ]
    pairs = pairs.loc[np.asarray(gap) == MONTHS_PER_QUARTER]
    labels = "FY" + pairs["fy"].astype(str) + "-Q" + pairs["k"].astype(int).astype(str)
    reported = set(zip(flows["ticker"], flows["metric"], flows["fiscal_period"], strict=True))
    new = [
        (t, m, p) not in reported for t, m, p in zip(pairs["ticker"], pairs["metric"], labels, strict=True)
    ]
    pairs, labels = pairs.loc[new], labels.loc[new]
    derived = pd.DataFrame(
        {
            "ticker": pairs["ticker"],
            "period_end": pairs["period_end"],
            "filed": _combine_filed(pairs["filed"], pairs["filed_prev"]),
            "fiscal_period": labels,
            "metric": pairs["metric"],
            "value": pairs["value"] - pairs["value_prev"],
            "unit": pairs["unit"],
            "source_id": DERIVED_PREFIX
            + pairs["fiscal_period"]
            + " - "
            + pairs["fiscal_period_prev"]
            + " ("
            + pairs["source_id"]
            + " ; "
            + pairs["source_id_prev"]
            + ")",
        }
    )
    out = pd.concat([frame, derived], ignore_index=True) if len(derived) else frame
    out = out.sort_values(["ticker", "period_end", "metric", "fiscal_period"], kind="stable")
    return _coerce_dtypes(out).reset_index(drop=True)


def derived_metrics(
    data: FundamentalsPanel | pd.DataFrame,
    *,
    as_of: DateLike | None = None,
    annualisation: str = "run_rate",
    derive: bool = True,
) -> pd.DataFrame:
    """Per miner and quarter: balance sheet, revenue split, leverage and HPC share.

    Parameters
    ----------
    data
        Panel or long frame.
    as_of
        If given, only values known at ``as_of`` (:func:`as_of_view`) are used; otherwise the
        latest vintage of every value, including rows without ``filed``.
    annualisation
        ``run_rate``: 4 x the quarter's revenue. ``ttm``: the sum of the four quarters ending
        at the period (all four needed).
    derive
        Fill unreported quarters from cumulative flows first (:func:`derive_quarters`).

    Returns
    -------
    pd.DataFrame
        Long frame (:data:`LONG_COLUMNS`) of quarter rows: the inputs ``debt_total``, ``cash``,
        ``total_assets``, ``revenue_total``, ``revenue_mining``, ``revenue_hpc`` and the
        derived :data:`DERIVED_METRICS`.

    Notes
    -----
    * ``leverage = debt_total / revenue_annualised`` (a ratio: years of revenue to cover the
      debt), at the same period end; missing unless both exist and revenue > 0.
    * ``hpc_share = revenue_hpc / revenue_total`` (0-1), only where HPC/AI revenue is reported;
      it is never inferred from ``total - mining``.
    * ``revenue_other = total - mining - hpc`` where all three are reported: hosting for other
      miners and any unreconciled difference between sources.
    * A derived value's ``filed`` is the latest of its inputs' (NaT if any is unknown), so it
      is never known before every input is.
    """
    check_choice(annualisation, "annualisation", ANNUALISATIONS)
    base = as_of_view(data, as_of).loc[:, list(LONG_COLUMNS)] if as_of is not None else latest_vintage(data)
    if derive:
        base = derive_quarters(base)
    inputs = ("debt_total", "cash", "total_assets", "revenue_total", "revenue_mining", "revenue_hpc")
    quarter = base.loc[base["metric"].isin(inputs) & (base["fiscal_period"].map(period_kind) == "quarter")]
    quarter = quarter.drop_duplicates(["ticker", "period_end", "metric"], keep="last")
    if quarter.empty:
        return _empty_long()
    index = ["ticker", "period_end"]
    value = quarter.pivot(index=index, columns="metric", values="value")
    filed = quarter.pivot(index=index, columns="metric", values="filed")
    ids = quarter.pivot(index=index, columns="metric", values="source_id")
    labels = quarter.groupby(index)["fiscal_period"].first()
    for metric in inputs:
        if metric not in value.columns:
            value[metric] = np.nan
            filed[metric] = pd.NaT
            ids[metric] = ""

    out: list[pd.DataFrame] = [quarter.loc[:, list(LONG_COLUMNS)]]

    def emit(metric: str, values: pd.Series, filed_at: pd.Series, source_ids: pd.Series) -> None:
        ok = values.notna() & np.isfinite(values.astype(np.float64))
        if not ok.any():
            return
        frame = pd.DataFrame(
            {
                "value": values[ok].astype(np.float64),
                "filed": filed_at[ok],
                "source_id": source_ids[ok],
                "fiscal_period": labels.reindex(values.index)[ok],
            }
        ).reset_index()
        frame["metric"] = metric
        frame["unit"] = DERIVED_UNITS[metric]
        out.append(frame.loc[:, list(LONG_COLUMNS)])

    rev = value["revenue_total"]
    split = ["revenue_total", "revenue_mining", "revenue_hpc"]
    emit(
        "revenue_other",
        rev - value["revenue_mining"] - value["revenue_hpc"],
        _combine_filed(*(filed[m] for m in split)),
        _combine_ids(*(ids[m] for m in split)),
    )
    if annualisation == "run_rate":
        annual = QUARTERS_PER_YEAR * rev
        annual_filed = filed["revenue_total"].astype(DATE_DTYPE)
        annual_ids = DERIVED_PREFIX + f"{QUARTERS_PER_YEAR} x " + ids["revenue_total"].astype(str)
    else:
        annual, annual_filed, annual_ids = _trailing_year(rev, filed["revenue_total"], ids["revenue_total"])
    emit("revenue_annualised", annual, annual_filed, annual_ids)
    positive = annual.where(annual > 0)
    emit(
        "leverage",
        value["debt_total"] / positive,
        _combine_filed(filed["debt_total"], annual_filed),
        _combine_ids(ids["debt_total"], annual_ids),
    )
    emit(
        "hpc_share",
        value["revenue_hpc"] / rev.where(rev > 0),
        _combine_filed(filed["revenue_hpc"], filed["revenue_total"]),
        _combine_ids(ids["revenue_hpc"], ids["revenue_total"]),
    )
    result = pd.concat(out, ignore_index=True)
    return _coerce_dtypes(result.sort_values(["ticker", "period_end", "metric"], kind="stable")).reset_index(
        drop=True
    )


def _trailing_year(
    rev: pd.Series, filed: pd.Series, ids: pd.Series
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Sum of four consecutive quarters per ticker (NaN unless all four are present).

    ``filed`` of a sum is the latest of the four (NaT if any is unknown).
    """
    totals: list[pd.Series] = []
    stamps: list[pd.Series] = []
    for _, series in rev.groupby(level="ticker"):
        months = pd.PeriodIndex([_reporting_month(d) for d in series.index.get_level_values("period_end")])
        steps = (months.max() - months.min()).n // MONTHS_PER_QUARTER
        grid = pd.PeriodIndex([months.min() + MONTHS_PER_QUARTER * i for i in range(steps + 1)], freq="M")
        values = pd.Series(series.to_numpy(dtype=np.float64), index=months).reindex(grid)
        when = pd.Series(filed.loc[series.index].to_numpy(dtype=DATE_DTYPE), index=months).reindex(grid)
        as_float = pd.Series(when.to_numpy(dtype=DATE_DTYPE).astype(np.int64), index=grid, dtype=np.float64)
        as_float = as_float.where(when.notna())
        total = values.rolling(QUARTERS_PER_YEAR, min_periods=QUARTERS_PER_YEAR).sum()
        latest = as_float.rolling(QUARTERS_PER_YEAR, min_periods=QUARTERS_PER_YEAR).max()
        totals.append(pd.Series(total.reindex(months).to_numpy(), index=series.index))
        latest_ns = latest.reindex(months).to_numpy()
        stamps.append(
            pd.Series(
                pd.to_datetime(np.where(np.isfinite(latest_ns), latest_ns, np.nan), unit="ns"),
                index=series.index,
            ).astype(DATE_DTYPE)
        )
    annual = pd.concat(totals).reindex(rev.index).astype(np.float64)
    annual_filed = pd.concat(stamps).reindex(rev.index).astype(DATE_DTYPE)
    ends = pd.Series(rev.index.get_level_values("period_end"), index=rev.index)
    names = DERIVED_PREFIX + "sum of 4 quarters ending " + ends.dt.strftime("%Y-%m-%d")
    return annual, annual_filed, names.where(annual.notna(), "")


def metric_series(
    data: FundamentalsPanel | pd.DataFrame, metric: str, *, kinds: Sequence[str] = ("quarter",)
) -> pd.DataFrame:
    """One metric over time: ``period_end`` x ticker (latest vintage; for figures).

    Raises
    ------
    ConfigError
        If ``metric`` does not occur in ``data``.
    """
    frame = latest_vintage(data)
    present = sorted(set(frame["metric"]))
    if metric not in present:
        raise ConfigError(f"metric {metric!r} not in the data; available: {', '.join(present)}")
    part = frame.loc[(frame["metric"] == metric) & frame["fiscal_period"].map(period_kind).isin(list(kinds))]
    part = part.drop_duplicates(["ticker", "period_end"], keep="last")
    wide = part.pivot(index="period_end", columns="ticker", values="value").sort_index()
    wide.columns.name = None
    return wide


# ---------------------------------------------------------------------------
# Coverage
# ---------------------------------------------------------------------------

REPORTED = "reported"
DERIVED = "derived"
YTD_ONLY = "ytd_only"
MISSING = "missing"
NOT_REPORTED = "not_reported"
#: Status of each (ticker, metric, quarter) in :func:`coverage`.
COVERAGE_STATUSES: tuple[str, ...] = (REPORTED, DERIVED, YTD_ONLY, MISSING, NOT_REPORTED)

_COVERAGE_COLUMNS = (
    "ticker",
    "metric",
    "period_end",
    "fiscal_period",
    "status",
    "value",
    "filed",
    "joinable",
    "source_id",
    "reason",
)


@dataclass(frozen=True)
class CoverageResult:
    """Every (ticker, metric, quarter) and whether a value exists, with the reason if not.

    Attributes
    ----------
    table
        Long: ``ticker, metric, period_end, fiscal_period, status, value, filed, joinable,
        source_id, reason``; ``status`` in :data:`COVERAGE_STATUSES`; ``joinable`` is True
        only for values with a filing date.
    source
        The panel's source.
    start, end
        First and last quarter end of the grid.
    """

    table: pd.DataFrame
    source: str
    start: pd.Timestamp
    end: pd.Timestamp

    def summary_frame(self) -> pd.DataFrame:
        """Per ticker and metric: quarters per status, joinable values and one reason."""
        t = self.table
        counts = pd.crosstab([t["ticker"], t["metric"]], t["status"])
        for status in COVERAGE_STATUSES:
            if status not in counts.columns:
                counts[status] = 0
        counts = counts.loc[:, list(COVERAGE_STATUSES)].astype(int)
        counts.columns.name = None
        counts["joinable"] = t.groupby(["ticker", "metric"])["joinable"].sum().astype(int)
        counts["quarters"] = counts[list(COVERAGE_STATUSES)].sum(axis=1).astype(int)
        reasons = (
            t.loc[t["reason"] != ""]
            .groupby(["ticker", "metric"])["reason"]
            .agg(lambda s: "; ".join(dict.fromkeys(s)))
        )
        counts["reasons"] = reasons.reindex(counts.index).fillna("")
        return counts.reset_index()

    def matrix(self, status: str = REPORTED) -> pd.DataFrame:
        """Ticker x metric: number of quarters with ``status`` (e.g. for a coverage heatmap)."""
        check_choice(status, "status", COVERAGE_STATUSES)
        summary = self.summary_frame()
        out = summary.pivot(index="ticker", columns="metric", values=status)
        out.columns.name = None
        return out.astype(int)


def _quarter_grid(start: pd.Timestamp, end: pd.Timestamp) -> list[pd.Timestamp]:
    return list(pd.date_range(start, end, freq="QE").normalize())


def _value_note(ticker: str, metric: str, period: pd.Timestamp, source: str) -> str:
    """Caveat on one reported value (snapshot notes keyed by period only)."""
    if source != "snapshot":
        return ""
    return SNAPSHOT_GAP_NOTES.get((ticker, metric, f"{period:%Y-%m-%d}"), "")


def _gap_note(ticker: str, metric: str, period: pd.Timestamp | None, source: str) -> str:
    if source == "sec" and metric in ("revenue_mining", "revenue_hpc"):
        return SEC_SEGMENT_NOTE
    if source != "snapshot":
        return ""
    if period is not None:
        note = SNAPSHOT_GAP_NOTES.get((ticker, metric, f"{period:%Y-%m-%d}"))
        if note:
            return note
    return SNAPSHOT_GAP_NOTES.get((ticker, metric)) or SNAPSHOT_GAP_NOTES.get((ticker, "*"), "")


def coverage(
    panel: FundamentalsPanel,
    *,
    tickers: Sequence[str] | None = None,
    metrics: Sequence[str] = (
        "revenue_total",
        "revenue_mining",
        "revenue_hpc",
        "debt_total",
        "cash",
        "total_assets",
    ),
    start: DateLike | None = None,
    end: DateLike | None = None,
    derive: bool = True,
) -> CoverageResult:
    """Coverage table: every metric x ticker x calendar quarter, with status and reason.

    Parameters
    ----------
    panel
        Fundamentals panel.
    tickers
        Tickers to show (default: the panel's tickers plus its failed ones).
    metrics
        Metrics to show.
    start, end
        Quarter-end grid bounds (default: first and last ``period_end`` of any metric).
    derive
        Count quarters derived from cumulative flows (:func:`derive_quarters`) as ``derived``.

    Returns
    -------
    CoverageResult

    Notes
    -----
    Status rules: ``reported``: a 3-month flow or balance-sheet value ends at the quarter;
    ``derived``: computed as a difference of cumulative flows; ``ytd_only``: only a 6M/9M/FY
    flow ends there; ``missing``: the ticker has the metric in other quarters but not this one;
    ``not_reported``: the ticker has no value of the metric at all. Reasons quote
    :data:`SNAPSHOT_GAP_NOTES` (snapshot), :data:`SEC_SEGMENT_NOTE` (sec) or the failure.
    Fiscal quarters of every miner here end on calendar quarter ends.
    """
    frame = latest_vintage(panel)
    if derive:
        frame = derive_quarters(frame)
    names = validate_tickers(tickers) if tickers is not None else [*panel.tickers, *panel.failed]
    if frame.empty and (start is None or end is None):
        raise ConfigError("the panel has no rows; pass start and end for the coverage grid")
    lo = as_timestamp(start, "start") if start is not None else frame["period_end"].min()
    hi = as_timestamp(end, "end") if end is not None else frame["period_end"].max()
    frame = frame.loc[frame["metric"].isin(list(metrics))]
    if lo > hi:
        raise ConfigError(f"start ({lo:%Y-%m-%d}) is after end ({hi:%Y-%m-%d}); swap them")
    grid = _quarter_grid(lo, hi + pd.Timedelta(days=MONTH_END_GRACE_DAYS))
    frame = frame.assign(
        month=frame["period_end"].map(lambda d: _reporting_month(d).to_timestamp(how="end").normalize()),
        kind=frame["fiscal_period"].map(period_kind),
    )
    rows: list[dict[str, Any]] = []
    for ticker in names:
        mine = frame.loc[frame["ticker"] == ticker]
        for metric in metrics:
            part = mine.loc[mine["metric"] == metric]
            quarters = (
                part.loc[part["kind"] == "quarter"].drop_duplicates("month", keep="last").set_index("month")
            )
            cumul = part.loc[part["kind"] != "quarter"]
            hits = quarters.to_dict("index")
            for q in grid:
                row: dict[str, Any] = {
                    "ticker": ticker,
                    "metric": metric,
                    "period_end": q,
                    "fiscal_period": fiscal_label(q, 0, _fye_month(ticker)),
                    "value": np.nan,
                    "filed": pd.NaT,
                    "joinable": False,
                    "source_id": "",
                    "reason": "",
                }
                if q in hits:
                    hit: dict[Any, Any] = hits[q]
                    source_id = str(hit["source_id"])
                    is_derived = source_id.startswith(DERIVED_PREFIX)
                    filed = hit["filed"]
                    row.update(
                        status=DERIVED if is_derived else REPORTED,
                        value=float(hit["value"]),
                        filed=filed,
                        joinable=bool(pd.notna(filed)),
                        source_id=source_id,
                        fiscal_period=str(hit["fiscal_period"]),
                        reason=DERIVED_NOTE if is_derived else _value_note(ticker, metric, q, panel.source),
                    )
                    if pd.isna(filed):
                        row["reason"] = "; ".join(r for r in (UNFILED_NOTE, row["reason"]) if r)
                elif (cumul["month"] == q).any():
                    labels = ", ".join(sorted(cumul.loc[cumul["month"] == q, "fiscal_period"]))
                    note = _value_note(ticker, metric, q, panel.source)
                    text = f"only cumulative flows end here ({labels})"
                    row.update(status=YTD_ONLY, reason=f"{text}; {note}" if note else text)
                elif ticker in panel.failed:
                    row.update(status=NOT_REPORTED, reason=panel.failed[ticker])
                elif part.empty:
                    row.update(
                        status=NOT_REPORTED,
                        reason=_gap_note(ticker, metric, None, panel.source)
                        or f"no {metric} for {ticker} in source {panel.source}",
                    )
                else:
                    note = _gap_note(ticker, metric, q, panel.source)
                    row.update(
                        status=MISSING,
                        reason=note or f"gap: {metric} exists for {len(quarters)} other quarter(s)",
                    )
                rows.append(row)
    table = pd.DataFrame(rows, columns=list(_COVERAGE_COLUMNS))
    table["value"] = table["value"].astype(np.float64)
    table["filed"] = pd.to_datetime(table["filed"]).astype(DATE_DTYPE)
    table["joinable"] = table["joinable"].astype(bool)
    return CoverageResult(
        table=table, source=panel.source, start=grid[0] if grid else lo, end=grid[-1] if grid else hi
    )


# ---------------------------------------------------------------------------
# Market link
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class MarketLinkResult:
    """Per-miner market measures beside point-in-time fundamentals, described by rank correlation.

    Attributes
    ----------
    table
        Index ticker: the market measures, each fundamental's latest known value and its
        ``<metric>_period_end``.
    correlations
        ``fundamental, measure, rho, n, rho_drop_one_min, rho_drop_one_max``: Spearman rank
        correlation over the firms with both values, and its range when each firm in turn is
        left out (how much one firm moves it).
    as_of
        Date at which the fundamentals were known.
    caveat
        Plain statement of what the numbers can and cannot say.
    """

    table: pd.DataFrame
    correlations: pd.DataFrame
    as_of: pd.Timestamp
    caveat: str

    def summary_frame(self) -> pd.DataFrame:
        """The correlation table (one row per fundamental x measure)."""
        return self.correlations.copy()


def _spearman(x: pd.Series, y: pd.Series) -> float:
    # pandas' Spearman (ranks, then Pearson); NaN for a constant input.
    return float(x.corr(y, method="spearman"))


def market_link(
    measures: pd.DataFrame,
    data: FundamentalsPanel | pd.DataFrame,
    *,
    as_of: DateLike,
    metrics: Sequence[str] = ("hpc_share", "leverage"),
    max_age_days: int | None = None,
) -> MarketLinkResult:
    """Line per-miner market measures up with the latest point-in-time fundamentals.

    Parameters
    ----------
    measures
        Index: tickers; columns: numeric per-miner measures (e.g. a tech-beta shift from
        notebook 03, the 2025-12-02 drawdown).
    data
        Fundamentals panel or long frame; derived metrics are computed from what was known at
        ``as_of`` (:func:`derived_metrics` with ``as_of``).
    as_of
        Date of the market measures.
    metrics
        Fundamentals to line up (derived or input metrics).
    max_age_days
        Ignore fundamentals whose period ended more than this many days before ``as_of``.

    Returns
    -------
    MarketLinkResult

    Notes
    -----
    Descriptive only. With about nine firms a rank correlation has a very wide sampling
    spread, so no test or interval is offered; the leave-one-out range shows how much a
    single firm moves it. A correlation needs at least :data:`MIN_FIRMS_FOR_RANK` firms.
    """
    if not isinstance(measures, pd.DataFrame) or measures.empty:
        raise ConfigError("measures must be a non-empty DataFrame indexed by ticker (columns = measures)")
    ts = as_timestamp(as_of, "as_of").normalize()
    table = measures.copy()
    table.index = pd.Index([validate_ticker(str(t)) for t in table.index], name="ticker")
    numeric = table.select_dtypes(include="number").columns.tolist()
    if not numeric:
        raise ConfigError("measures has no numeric columns")
    if max_age_days is not None:
        check_int(max_age_days, "max_age_days", minimum=1, unit="days")
    raw = _as_frame(data)
    derived = derived_metrics(raw, as_of=ts)
    latest = latest_known(derived, ts, metrics=list(metrics))
    if max_age_days is not None:
        latest = latest.loc[latest["period_end"] >= ts - pd.Timedelta(days=max_age_days)]
    for metric in metrics:
        part = latest.loc[latest["metric"] == metric].set_index("ticker")
        table[metric] = part["value"].reindex(table.index).astype(np.float64)
        table[f"{metric}_period_end"] = part["period_end"].reindex(table.index).astype(DATE_DTYPE)
    rows: list[dict[str, Any]] = []
    for metric in metrics:
        for measure in numeric:
            pair = table[[metric, measure]].astype(np.float64).dropna()
            n = len(pair)
            rho = lo = hi = np.nan
            if n >= MIN_FIRMS_FOR_RANK:
                rho = _spearman(pair[metric], pair[measure])
                drops = [_spearman(pair[metric].drop(t), pair[measure].drop(t)) for t in pair.index]
                finite = [d for d in drops if np.isfinite(d)]
                if finite:
                    lo, hi = min(finite), max(finite)
            rows.append(
                {
                    "fundamental": metric,
                    "measure": str(measure),
                    "rho": rho,
                    "n": int(n),
                    "rho_drop_one_min": lo,
                    "rho_drop_one_max": hi,
                }
            )
    correlations = pd.DataFrame(rows)
    n_max = int(correlations["n"].max()) if len(correlations) else 0
    caveat = (
        f"Descriptive only: Spearman rank correlations over at most {n_max} firms, fundamentals as known "
        f"on {ts:%Y-%m-%d}. With so few firms no test or interval is meaningful and one firm can move "
        f"the sign (see the leave-one-out range); fewer than {MIN_FIRMS_FOR_RANK} firms gives no "
        "correlation. Fundamentals come from sources of uneven quality (see the coverage table)."
    )
    return MarketLinkResult(table=table, correlations=correlations, as_of=ts, caveat=caveat)


# ---------------------------------------------------------------------------
# Presentation (notebook 07)
# ---------------------------------------------------------------------------

#: Readable names of the metrics (tables, figures, prose).
METRIC_LABELS: dict[str, str] = {
    "debt_total": "total debt",
    "cash": "cash",
    "total_assets": "total assets",
    "revenue_total": "revenue",
    "revenue_mining": "mining revenue",
    "revenue_hpc": "HPC/AI revenue",
    "revenue_other": "other revenue",
    "revenue_annualised": "annualised revenue",
    "leverage": "leverage (debt / annualised revenue)",
    "hpc_share": "HPC/AI share of revenue",
    "net_income": "net income",
    "capex": "capex",
}
#: Dollars per million (tables and figures show USD millions).
USD_MILLION = 1e6
#: Percent per fraction (prose).
PERCENT_OF = 100.0
#: Metrics of :func:`latest_values`, in column order.
LATEST_METRICS: tuple[str, ...] = (
    "revenue_total",
    "revenue_mining",
    "revenue_hpc",
    "hpc_share",
    "debt_total",
    "cash",
    "total_assets",
    "leverage",
)
#: Default dates of the market link: the common pivot date of notebook 03 and the drawdown session.
DEFAULT_PIVOT_DATE = "2025-06-02"
DEFAULT_DRAWDOWN_DATE = "2025-12-02"
#: Fewest sessions on each side of the pivot for a beta shift (as notebook 03).
DEFAULT_MIN_OBS_SIDE = 30
#: Characters of the source note before it is wrapped.
SOURCE_NOTE_WIDTH = 150


def _short(metric: str) -> str:
    """Metric name without its parenthesised definition (``leverage``)."""
    return METRIC_LABELS.get(metric, metric).split(" (")[0]


def known_by(panel: FundamentalsPanel, as_of: DateLike) -> FundamentalsPanel:
    """The panel restricted to what a reader at ``as_of`` may see.

    Rows known by ``as_of`` (:func:`known_from` ``<= as_of``) are kept; rows without a filing
    date are kept when their period ended by ``as_of`` (shown, never joined to prices).

    Notes
    -----
    A value filed after ``as_of`` (a later quarter, or a restatement) is dropped, so a report
    for an earlier as-of date never shows it. An unfiled row's publication date is unknown: it
    may have been published after ``as_of`` even though its period ended before.
    """
    ts = as_timestamp(as_of, "as_of").normalize()
    frame = panel.data
    known = known_from(frame["filed"])
    keep = (known.notna() & (known <= ts)) | (frame["filed"].isna() & (frame["period_end"] <= ts))
    return replace(panel, data=frame.loc[keep].reset_index(drop=True))


def _source_files(panel: FundamentalsPanel) -> tuple[str, str]:
    files = {str(m.get("file")) for m in panel.meta.values() if m.get("file")}
    shas = {str(m.get("sha256"))[:12] for m in panel.meta.values() if m.get("sha256")}
    return ", ".join(sorted(files)), ", ".join(sorted(shas))


def availability_sentence(panel: FundamentalsPanel | None, error: str | None = None) -> str:
    """One line saying which fundamentals this run has, or that they are missing and why.

    Parameters
    ----------
    panel, error
        ``FundamentalsData.panel`` and ``.error`` from :func:`analysis.pipeline.open_fundamentals`.
    """
    if panel is None:
        return (
            f"**Fundamentals missing** ({error or 'no source'}): every section of this notebook is skipped."
        )
    d = panel.data
    files, shas = _source_files(panel)
    where = f" ({files}, sha256 {shas}…)" if files else ""
    failed = (
        " No data for " + "; ".join(f"{t} ({why})" for t, why in panel.failed.items()) + "."
        if panel.failed
        else ""
    )
    span = (
        f", quarters ending {d['period_end'].min():%Y-%m-%d} .. {d['period_end'].max():%Y-%m-%d}"
        if len(d)
        else ""
    )
    return (
        f"Fundamentals: source `{panel.source}`{where}: {len(d)} values for {len(panel.tickers)} miners "
        f"({', '.join(panel.tickers)}){span}; {int(d['filed'].isna().sum())} values without a filing date "
        f"are shown but never joined to prices.{failed}"
        + (" " + " ".join(panel.notes) if panel.notes else "")
    )


def source_note(panel: FundamentalsPanel, as_of: DateLike, *, market: str | None = None) -> str:
    """Source note of the fundamentals figures: provider, files and the provenance caveats.

    Parameters
    ----------
    panel
        The fundamentals shown.
    as_of
        Values known by this date.
    market
        The market-data note (``StudyPanel.figure_note``) for figures that also use prices.
    """
    import textwrap

    ts = as_timestamp(as_of, "as_of")
    if panel.source == "snapshot":
        names = sorted({Path(str(m["file"])).name for m in panel.meta.values() if m.get("file")})
        _, shas = _source_files(panel)
        files = f"{', '.join(names) or SNAPSHOT_FILE}" + (f", sha256 {shas}…" if shas else "")
        text = (
            f"Source: curated fundamentals snapshot ({files}); one source per value in "
            f"{SOURCES_FILE}; coverage partial and uneven, see PROVENANCE.md and the coverage table"
        )
    elif panel.source == "sec":
        text = f"Source: SEC EDGAR XBRL companyfacts; {SEC_SEGMENT_NOTE}"
    else:
        text = f"Source: Yahoo Finance quarterly statements via yfinance; {YAHOO_FILED_NOTE}"
    text += f"; values known by {ts:%Y-%m-%d}"
    if market:
        text += f". Market data: {market.removeprefix('Source: ')}"
    return "\n".join(textwrap.wrap(text, SOURCE_NOTE_WIDTH))


def latest_values(quarters: pd.DataFrame, tickers: Sequence[str] | None = None) -> pd.DataFrame:
    """Each miner's latest value of every metric (money in USD millions), with its quarter.

    Parameters
    ----------
    quarters
        Output of :func:`derived_metrics` (long).
    tickers
        Rows to show, in order (default: every ticker of ``quarters``); a ticker without data
        gets a row of NaN and a note.

    Returns
    -------
    pd.DataFrame
        ``ticker, quarter`` (latest period end of any metric), one column per
        :data:`LATEST_METRICS` (money in USD millions, ``leverage`` a ratio, ``hpc_share`` a
        fraction), ``note``: which metrics come from an earlier quarter, and which reported
        metrics are absent (derived ones are absent when an input is).
    """
    frame = _as_frame(quarters)
    names = list(dict.fromkeys(frame["ticker"])) if tickers is None else [str(t) for t in tickers]
    rows = []
    for ticker in names:
        mine = frame.loc[(frame["ticker"] == ticker) & frame["metric"].isin(LATEST_METRICS)]
        row: dict[str, Any] = {"ticker": ticker, "quarter": pd.NaT}
        if mine.empty:
            rows.append({**row, **dict.fromkeys(LATEST_METRICS, np.nan), "note": "no fundamentals"})
            continue
        last = mine.sort_values("period_end", kind="stable").groupby("metric").tail(1).set_index("metric")
        quarter = pd.Timestamp(last["period_end"].max())
        row["quarter"] = quarter
        older: dict[str, list[str]] = {}
        found = last.to_dict("index")
        for metric in LATEST_METRICS:
            if metric not in found:
                row[metric] = np.nan
                continue
            hit = found[metric]
            value = float(hit["value"])
            row[metric] = value / USD_MILLION if str(hit["unit"]) == "USD" else value
            end = pd.Timestamp(hit["period_end"])
            if end < quarter:
                older.setdefault(f"{end:%Y-%m-%d}", []).append(_short(metric))
        absent = [_short(m) for m in LATEST_METRICS if m not in last.index and m not in DERIVED_METRICS]
        notes = [f"{', '.join(v)} from {k}" for k, v in sorted(older.items())]
        if absent:
            notes.append("not reported: " + ", ".join(absent))
        row["note"] = "; ".join(notes)
        rows.append(row)
    out = pd.DataFrame(rows, columns=["ticker", "quarter", *LATEST_METRICS, "note"])
    out["quarter"] = pd.to_datetime(out["quarter"])
    return out


def coverage_summary(result: CoverageResult) -> pd.DataFrame:
    """:meth:`CoverageResult.summary_frame` with a ticker that has no value at all on one row.

    A ticker whose every metric is ``not_reported`` for the same reason (e.g. absent from the
    snapshot) is shown once, with ``metric`` = ``"(every metric)"``, instead of one identical
    row per metric; every other row is kept as is.
    """
    summary = result.summary_frame()
    if summary.empty:
        return summary
    rows = []
    for _, part in summary.groupby("ticker", sort=False):
        empty = bool((part["not_reported"] == part["quarters"]).all())
        if empty and part["reasons"].nunique() == 1 and len(part) > 1:
            row = part.iloc[0].copy()
            row["metric"] = "(every metric)"
            rows.append(row.to_frame().T)
        else:
            rows.append(part)
    out = pd.concat(rows, ignore_index=True)
    for col in (*COVERAGE_STATUSES, "joinable", "quarters"):
        out[col] = out[col].astype(int)
    return out


def balance_sheet_sentence(quarters: pd.DataFrame) -> str:
    """Where HPC/AI revenue is reported, its latest share, and the latest leverage, in one paragraph."""
    latest = latest_values(quarters)
    hpc = latest.loc[latest["hpc_share"].notna()]
    lev = latest.loc[latest["leverage"].notna()]
    no_hpc = latest.loc[latest["hpc_share"].isna(), "ticker"].tolist()
    hpc_text = (
        "HPC/AI revenue is reported separately for "
        + ", ".join(
            f"{r['ticker']} ({PERCENT_OF * float(r['hpc_share']):.0f}% of revenue)"
            for r in hpc.to_dict("records")
        )
        + " in their latest quarter with a split"
        if len(hpc)
        else "No miner reports HPC/AI revenue separately in these data"
    )
    lev_text = (
        "Latest leverage (debt over annualised quarterly revenue): "
        + ", ".join(
            f"{r['ticker']} {float(r['leverage']):.1f}"
            for r in lev.sort_values("leverage").to_dict("records")
        )
        + "."
        if len(lev)
        else "No miner has both debt and revenue for the same quarter, so leverage is not computed."
    )
    return (
        hpc_text
        + (f"; none for {', '.join(no_hpc)}" if no_hpc and len(hpc) else "")
        + ". "
        + lev_text
        + " Missing values are gaps in the source, not zeros (see the coverage table)."
    )


@dataclass(frozen=True)
class MarketMeasures:
    """Per-miner market measures for the market link, computed from the study panel.

    Attributes
    ----------
    table
        Index ``ticker``; ``tech_beta_shift``, ``btc_beta_shift`` (after minus before the pivot,
        two-factor HAC break test), ``shift_p`` (HAC Wald p of any shift), ``day_return``
        (simple return of the drawdown session, fraction) and ``reason`` (why a value is NaN).
    pivot_date, drawdown_date
        Dates used.
    names
        Readable name of each measure column (prose).
    labels, scale
        Axis label with units of each measure column, and the factor a figure multiplies it by
        (``day_return`` is drawn in percent).
    """

    table: pd.DataFrame
    pivot_date: pd.Timestamp
    drawdown_date: pd.Timestamp
    names: dict[str, str]
    labels: dict[str, str]
    scale: dict[str, float]

    @property
    def measures(self) -> pd.DataFrame:
        """The measure columns only (what :func:`market_link` correlates)."""
        return self.table.loc[:, ["tech_beta_shift", "btc_beta_shift", "day_return"]]

    def summary_frame(self) -> pd.DataFrame:
        """The table with ``ticker`` as a column."""
        return self.table.reset_index()


def market_measures(
    returns: pd.DataFrame,
    prices: pd.DataFrame,
    tickers: Sequence[str],
    *,
    pivot_date: DateLike = DEFAULT_PIVOT_DATE,
    drawdown_date: DateLike | None = None,
    btc: str = "BTC-USD",
    tech: str = "^NDX",
    min_obs_side: int = DEFAULT_MIN_OBS_SIDE,
) -> MarketMeasures:
    """Each miner's tech-beta shift at the pivot date and its return on the drawdown session.

    Parameters
    ----------
    returns, prices
        Session log returns and closes up to the as-of date (``StudyPanel.returns_to()`` /
        ``prices_to()``).
    tickers
        Miners (those without returns get NaN and a reason).
    pivot_date
        Break date of the two-factor model (notebook 03's common pivot).
    drawdown_date
        Session whose one-session simple return is measured; ``None`` (default): the last
        session of ``prices`` (the as-of session; 2025-12-02 is the article's sell-off).
    btc, tech
        Factors of the break test.
    min_obs_side
        Fewest sessions on each side of the pivot.

    Returns
    -------
    MarketMeasures

    Notes
    -----
    The single place that calls :func:`analysis.exposure.break_test` for notebook 07 (so a change
    of its API is adapted here). ``tech_beta_shift = beta_after[tech] - beta_before[tech]`` from
    ``r_i = a + b_btc r_btc + b_tech r_tech + shifts after the pivot + e`` with HAC errors;
    a miner with fewer than ``min_obs_side`` sessions on a side gets NaN with the reason.
    ``day_return = P_d / P_prev - 1`` with ``P_prev`` the last close before ``d``; NaN if ``d``
    is not a session with a close (e.g. after the as-of date).
    """
    from .exposure import break_test

    pivot = as_timestamp(pivot_date, "pivot_date").normalize()
    if drawdown_date is None:
        with_data = prices.dropna(how="all")
        if with_data.empty:
            raise ConfigError("prices are empty: no session for the drawdown return")
        day = pd.Timestamp(with_data.index[-1]).normalize()
    else:
        day = as_timestamp(drawdown_date, "drawdown_date").normalize()
    check_int(min_obs_side, "min_obs_side", minimum=2)
    rows = []
    for ticker in dict.fromkeys(validate_tickers(tickers)):
        row: dict[str, Any] = {
            "ticker": ticker,
            "tech_beta_shift": np.nan,
            "btc_beta_shift": np.nan,
            "shift_p": np.nan,
            "day_return": np.nan,
        }
        reasons = []
        if ticker not in returns.columns or not returns[ticker].notna().any():
            reasons.append("no returns in this panel")
        elif btc not in returns.columns or tech not in returns.columns:
            reasons.append(f"beta shift needs {btc} and {tech}")
        else:
            try:
                test = break_test(returns, ticker, pivot, (btc, tech), min_obs_side=min_obs_side)
            except ConfigError as exc:
                reasons.append(f"no beta shift: {exc}")
            else:
                diff = test.before_after["diff"]
                row["tech_beta_shift"] = float(diff[tech])
                row["btc_beta_shift"] = float(diff[btc])
                row["shift_p"] = float(test.p_slopes)
        series = prices[ticker].dropna() if ticker in prices.columns else pd.Series(dtype=np.float64)
        if day in series.index and (series.index < day).any():
            row["day_return"] = float(series.loc[day] / series.loc[series.index < day].iloc[-1] - 1.0)
        else:
            last = f"data end {series.index[-1]:%Y-%m-%d}" if len(series) else "no prices"
            reasons.append(f"no close on {day:%Y-%m-%d} and the session before ({last})")
        row["reason"] = "; ".join(reasons)
        rows.append(row)
    table = pd.DataFrame(rows).set_index("ticker")
    names = {
        "tech_beta_shift": f"{tech} beta shift at {pivot:%Y-%m-%d}",
        "btc_beta_shift": f"{btc} beta shift at {pivot:%Y-%m-%d}",
        "day_return": f"return on {day:%Y-%m-%d}",
        "shift_p": f"p of the slope shift at {pivot:%Y-%m-%d} (HAC Wald, slopes only)",
    }
    labels = {
        "tech_beta_shift": f"{tech} beta shift at {pivot:%Y-%m-%d}\n(after − before, per unit return)",
        "btc_beta_shift": f"{btc} beta shift at {pivot:%Y-%m-%d}\n(after − before, per unit return)",
        "day_return": f"one-session return on {day:%Y-%m-%d} (%)",
    }
    return MarketMeasures(
        table=table,
        pivot_date=pivot,
        drawdown_date=day,
        names=names,
        labels=labels,
        scale={"tech_beta_shift": 1.0, "btc_beta_shift": 1.0, "day_return": PERCENT_OF},
    )


def market_link_sentence(link: MarketLinkResult, measures: MarketMeasures) -> str:
    """The market link's rank correlations in words, one sentence per fundamental, with the caveat."""
    parts = []
    c = link.correlations
    for metric in dict.fromkeys(c["fundamental"]):
        rows = c.loc[c["fundamental"] == metric]
        measured = measures.table.dropna(how="all", subset=list(measures.scale)).index
        have = (
            [t for t in link.table[str(metric)].dropna().index if t in measured]
            if str(metric) in link.table.columns
            else []
        )
        name = METRIC_LABELS.get(str(metric), str(metric))
        if rows["rho"].isna().all():
            parts.append(
                f"{name}: known for {len(have)} firm(s) with market measures ({', '.join(have) or 'none'}), "
                f"fewer than {MIN_FIRMS_FOR_RANK}: no rank correlation"
            )
            continue
        pieces = []
        for r in rows.itertuples():
            what = measures.names.get(str(r.measure), str(r.measure))
            if pd.isna(r.rho):
                pieces.append(f"vs {what}: {r.n} firms, too few")
            else:
                spread = (
                    f" (leave-one-out {r.rho_drop_one_min:+.2f} to {r.rho_drop_one_max:+.2f})"
                    if pd.notna(r.rho_drop_one_min)
                    else ""
                )
                pieces.append(f"vs {what}: rho {r.rho:+.2f} over {r.n} firms{spread}")
        parts.append(f"{name}, Spearman rank correlation " + "; ".join(pieces))
    return ". ".join(parts) + ". " + link.caveat


def fundamentals_headline(
    quarters: pd.DataFrame | None, link: MarketLinkResult | None
) -> list[dict[str, Any]]:
    """Headline numbers of notebook 07 (none when the fundamentals are missing).

    Returns
    -------
    list of dict
        ``name, value, unit, text, note``: miners reporting HPC/AI revenue, the median latest
        leverage, and the rank correlation of HPC share with the tech-beta shift.
    """
    out: list[dict[str, Any]] = []
    if quarters is None:
        return out
    latest = latest_values(quarters)
    n_hpc = int(latest["hpc_share"].notna().sum())
    out.append(
        {
            "name": "Miners reporting HPC/AI revenue",
            "value": float(n_hpc),
            "unit": "firms",
            "text": f"{n_hpc} of {len(latest)}",
            "note": ", ".join(latest.loc[latest["hpc_share"].notna(), "ticker"]) or "none",
        }
    )
    lev = latest["leverage"].dropna()
    if len(lev):
        out.append(
            {
                "name": "Median leverage (debt / annualised revenue), latest quarter",
                "value": float(lev.median()),
                "unit": "ratio",
                "text": f"{float(lev.median()):.2f}",
                "note": f"{len(lev)} miners with debt and revenue for the same quarter",
            }
        )
    if link is not None:
        c = link.correlations
        sel = c.loc[
            (c["fundamental"] == "hpc_share") & (c["measure"] == "tech_beta_shift") & c["rho"].notna()
        ]
        if len(sel):
            r = sel.iloc[0]
            out.append(
                {
                    "name": "Rank correlation: HPC share vs tech-beta shift",
                    "value": float(r["rho"]),
                    "unit": "corr",
                    "text": f"{float(r['rho']):+.2f}",
                    "note": f"Spearman over {int(r['n'])} firms; descriptive only",
                }
            )
    return out
