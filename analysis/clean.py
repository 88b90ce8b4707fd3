"""Cleaning: raw per-ticker frames -> an aligned, documented price panel.

Steps per ticker (each finding is recorded in the quality report, and the
recoverable ones are also raised as :class:`~analysis.errors.DataQualityWarning`
subclasses):

1. choose the close column (``Adj Close`` if present, else ``Close``);
2. remove duplicated dates (keep the last), missing and non-positive closes;
3. drop rows before the ticker's ``first_date`` (pre-listing history of another
   company) and, for equities, rows dated on non-sessions;
4. drop partial-day rows (the bar had not closed when the data were captured);
5. repair basis mix-ups and unadjusted splits (a one-day price ratio near an
   integer or 1/integer factor after removing the day's cross-sectional median
   move), exclude isolated spikes that revert, and report other large moves;
6. align to US equity sessions (XNYS): equities on their sessions, crypto sampled
   at each session's date so that weekend and holiday returns compound into the
   next session (never dropped, never forward-filled); keep the raw 7-day
   crypto series for crypto-only statistics.

The jump logic is hand-written because no maintained library detects unadjusted
splits in a price series without corporate-action data.

Guarantees
    * Non-finite prices (``inf``, ``-inf``) are excluded like non-positive ones, with
      the ticker and the dates named in a warning and the quality report.
    * ``prices``, ``lows`` and ``highs`` are on one (repaired) price basis; ``returns``
      are the log differences of ``prices``.
    * **The published panel is one unit** (:func:`write_outputs`): its files are written
      to a new directory ``<data_dir>/processed/panel-<UTC time>-<random>/`` and then
      ``processed/CURRENT.json`` (the directory's name and each file's SHA-256) is
      switched atomically. Writers are serialised by a lock file in ``processed/``;
      under it, older panels (all but the current and the previous one, which a reader
      may still be reading) and leftovers of killed writes are removed.
      :func:`read_processed` reads the directory ``CURRENT.json`` names and verifies
      every checksum, so a reader never mixes two runs (never synthetic prices under a
      Yahoo label); a missing, half-written or modified panel raises
      :class:`~analysis.errors.DataQualityError` naming the directory and the fix.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import logging
import re
import secrets
import shutil
import sys
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd
from filelock import Timeout

from . import __version__, atomic
from .calendar import sessions as xnys_sessions
from .calendar import unclosed_rows
from .config import processed_dir
from .errors import (
    ConfigError,
    DataQualityError,
    DataQualityWarning,
    ExcludedRangeWarning,
    PreListingWarning,
    SplitRepairedWarning,
)
from .schema import RawPanel
from .universe import Universe, load_universe

__all__ = [
    "CURRENT_NAME",
    "PANEL_FILES",
    "CleanConfig",
    "CleanResult",
    "TickerQuality",
    "clean_panel",
    "quality_findings_markdown",
    "quality_record",
    "quality_sentence",
    "quality_summary",
    "quality_table",
    "read_processed",
    "render_quality_markdown",
    "write_outputs",
]

#: Largest split factor considered (1:50 reverse splits happen in small caps).
MAX_SPLIT_FACTOR = 50
#: Tolerance in log points between a residual jump and log(k) for a "clean" factor.
SPLIT_LOG_TOLERANCE = 0.03
#: A split-like jump must exceed this log move (|log 1.8|) before it is tested.
SPLIT_MIN_LOG_MOVE = float(np.log(1.8))
#: A leg of a spike/round trip must exceed this log move (|log 1.5|).
SPIKE_LOG_MOVE = float(np.log(1.5))
#: Longest run of rows on another basis / level treated as one mix-up or spike.
MAX_EPISODE_ROWS = 5
#: A basis mix-up's entry and exit factors must cancel to within this log move.
BASIS_CANCEL_TOLERANCE = float(np.log(1.25))
#: Non-reverting one-day moves above this (|log 1.4|) are reported (and kept).
LARGE_MOVE_LOG = float(np.log(1.4))
#: A same-day median peer move this large (|log 1.25|) "matches" a jump: not a split.
MATCHING_MARKET_MOVE = float(np.log(1.25))
#: Minimum number of other tickers with a return that day to use their median move.
MIN_PEERS_FOR_MARKET_MOVE = 3
#: Runs of unchanged closes at least this long count as stale days.
STALE_RUN_MIN = 2
#: How many dates to list in the report per finding before summarising.
MAX_LISTED_DATES = 20

LOGGER = logging.getLogger(__name__)

#: Pointer to the published panel inside ``processed/``.
CURRENT_NAME = "CURRENT.json"
#: Format version of :data:`CURRENT_NAME`.
PANEL_FORMAT_VERSION = 1
#: Key -> file name of the files of one published panel.
PANEL_FILES: Final[dict[str, str]] = {
    "prices": "prices.parquet",
    "returns": "returns.parquet",
    "crypto_daily": "crypto_daily.parquet",
    "lows": "lows.parquet",
    "highs": "highs.parquet",
    "quality_json": "quality.json",
    "quality_md": "quality.md",
}
#: Files an older version wrote loose into ``processed/`` (removed when a panel is published).
LEGACY_FILES: Final = (
    "prices.parquet",
    "returns.parquet",
    "crypto_daily.parquet",
    "lows.parquet",
    "quality.json",
    "quality.md",
)
#: Prefix and pattern of a published panel's directory name.
PANEL_PREFIX = "panel-"
_PANEL_DIR = re.compile(r"^panel-\d{8}T\d{12}Z-[0-9a-f]{8}$")
#: Seconds a writer waits for another writer of the same ``processed/`` directory.
PANEL_LOCK_TIMEOUT_SECONDS = 60.0
#: Times a reader re-reads the pointer when a concurrent writer removed the panel it named.
PANEL_READ_ATTEMPTS = 10


@dataclass(frozen=True)
class CleanConfig:
    """Parameters of the cleaning pipeline (defaults are the documented constants)."""

    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None
    split_log_tolerance: float = SPLIT_LOG_TOLERANCE
    spike_log_move: float = SPIKE_LOG_MOVE
    large_move_log: float = LARGE_MOVE_LOG
    max_episode_rows: int = MAX_EPISODE_ROWS


@dataclass
class TickerQuality:
    """Everything the cleaner found and did for one ticker."""

    ticker: str
    name: str
    kind: str
    column_used: str = "Close"
    rows_raw: int = 0
    rows_clean: int = 0
    first_date: str | None = None
    last_date: str | None = None
    duplicates: list[str] = field(default_factory=list)
    nan_closes: int = 0
    nonpositive_rejected: list[str] = field(default_factory=list)
    nonfinite_rejected: list[str] = field(default_factory=list)
    prelisting_dropped: int = 0
    prelisting_range: list[str] | None = None
    prelisting_reason: str = ""
    off_calendar_dropped: list[str] = field(default_factory=list)
    partial_rows_dropped: list[str] = field(default_factory=list)
    last_row_unverified: str | None = None
    splits_repaired: list[dict[str, Any]] = field(default_factory=list)
    basis_repaired: list[dict[str, Any]] = field(default_factory=list)
    ranges_excluded: list[dict[str, Any]] = field(default_factory=list)
    large_moves_kept: list[dict[str, Any]] = field(default_factory=list)
    missing_sessions: int = 0
    missing_session_dates: list[str] = field(default_factory=list)
    longest_gap_sessions: int = 0
    stale_days: int = 0
    flat_ohlc_rows: int = 0
    nan_in_panel: int = 0
    coverage_note: str = ""
    source_meta: dict[str, Any] = field(default_factory=dict)

    def issues(self) -> list[str]:
        """One readable line per finding (empty when the ticker is clean)."""
        out: list[str] = []
        if self.prelisting_dropped:
            a, b = self.prelisting_range or ("?", "?")
            out.append(
                f"dropped {self.prelisting_dropped} pre-listing rows {a}..{b} ({self.prelisting_reason})"
            )
        if self.duplicates:
            out.append(f"{len(self.duplicates)} duplicated dates (kept last): {_short(self.duplicates)}")
        if self.nonfinite_rejected:
            out.append(
                f"rejected {len(self.nonfinite_rejected)} non-finite prices (inf/-inf): "
                f"{_short(self.nonfinite_rejected)}"
            )
        if self.nonpositive_rejected:
            out.append(
                f"rejected {len(self.nonpositive_rejected)} non-positive prices: "
                f"{_short(self.nonpositive_rejected)}"
            )
        if self.nan_closes:
            out.append(f"{self.nan_closes} rows with a missing close")
        if self.off_calendar_dropped:
            out.append(
                f"dropped {len(self.off_calendar_dropped)} rows dated on non-sessions: "
                f"{_short(self.off_calendar_dropped)}"
            )
        if self.partial_rows_dropped:
            out.append(
                f"dropped partial-day rows (captured before the close): {_short(self.partial_rows_dropped)}"
            )
        if self.last_row_unverified:
            out.append(f"last row {self.last_row_unverified} unverified (capture time unknown); kept")
        for s in self.splits_repaired:
            out.append(
                f"unadjusted split repaired on {s['date']}: factor {s['factor']:g} "
                f"(observed ratio {s['observed_ratio']:.4g}); earlier prices rescaled"
            )
        for basis in self.basis_repaired:
            out.append(
                f"basis mix-up repaired {basis['start']}..{basis['end']}: rows divided by {basis['factor']:g}"
            )
        for rng in self.ranges_excluded:
            out.append(f"excluded {rng['start']}..{rng['end']}: {rng['reason']}")
        for m in self.large_moves_kept:
            out.append(
                f"large move kept on {m['date']}: ratio {m['ratio']:.3f} (no reversal, not split-like)"
            )
        if self.missing_sessions:
            out.append(
                f"{self.missing_sessions} missing sessions (longest gap {self.longest_gap_sessions}): "
                f"{_short(self.missing_session_dates)}"
            )
        if self.stale_days:
            out.append(f"{self.stale_days} stale days (close unchanged from the previous row)")
        if self.flat_ohlc_rows:
            out.append(f"{self.flat_ohlc_rows} rows with Open=High=Low=Close (close-only history)")
        if self.coverage_note:
            out.append(self.coverage_note)
        out.extend(self._source_issues())
        return out

    def _source_issues(self) -> list[str]:
        """What the source reported: stale data, a re-adjusted history, a failed download or cache write."""
        meta = self.source_meta
        out: list[str] = []
        if meta.get("stale"):
            out.append(f"stale: {meta['stale']}")
        revised = meta.get("history_revised")
        if isinstance(revised, dict):
            out.append(
                f"the source re-adjusted its history (first differing close {revised.get('first_date')}): "
                f"{revised.get('action', 'whole history refetched')}"
            )
        if meta.get("download_error"):
            out.append(f"cached rows used: {meta['download_error']}")
        if meta.get("cache_error"):
            out.append(f"not cached: {meta['cache_error']}")
        return out


@dataclass
class CleanResult:
    """Cleaned panel: session-aligned prices and log returns, raw crypto, quality.

    ``lows`` and ``highs`` hold intraday lows and highs on the same sessions, on the same
    (repaired) price basis as ``prices``; tickers whose source has no Low (High) column
    are absent.
    """

    prices: pd.DataFrame
    returns: pd.DataFrame
    crypto_daily: pd.DataFrame
    quality: dict[str, TickerQuality]
    summary: dict[str, Any]
    lows: pd.DataFrame = field(default_factory=pd.DataFrame)
    highs: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def synthetic(self) -> bool:
        """True when the panel is synthetic demo data."""
        return bool(self.summary.get("synthetic", False))

    def quality_dict(self) -> dict[str, Any]:
        """JSON-serialisable quality report."""
        return {
            "summary": self.summary,
            "tickers": {t: {**q.__dict__, "issues": q.issues()} for t, q in self.quality.items()},
        }


def _short(dates: list[str]) -> str:
    if len(dates) <= MAX_LISTED_DATES:
        return ", ".join(dates)
    return ", ".join(dates[:MAX_LISTED_DATES]) + f", ... ({len(dates) - MAX_LISTED_DATES} more)"


def _d(ts: pd.Timestamp) -> str:
    return str(pd.Timestamp(ts).date())


def _warn(category: type[Warning], message: str) -> None:
    """Warn, attributed to the first caller outside this module (e.g. ``clean_panel``'s caller)."""
    level = 2
    frame = sys._getframe(1)
    while frame is not None and frame.f_globals.get("__name__") == __name__:
        frame = frame.f_back  # type: ignore[assignment]
        level += 1
    warnings.warn(message, category, stacklevel=level)


# --------------------------------------------------------------------------- per-ticker basics


def _basic_series(
    ticker: str, raw: pd.DataFrame, q: TickerQuality, universe: Universe, meta: dict[str, Any]
) -> pd.Series:
    """Steps 1-4: close column, duplicates, NaN, non-finite, non-positive, pre-listing, calendar, partial."""
    q.rows_raw = len(raw)
    col = "Adj Close" if "Adj Close" in raw.columns and raw["Adj Close"].notna().any() else "Close"
    if col not in raw.columns:
        raise DataQualityError(f"{ticker}: raw frame has no Close column (columns: {list(raw.columns)})")
    q.column_used = col
    df = raw
    dup = df.index.duplicated(keep="last")
    if dup.any():
        q.duplicates = sorted({_d(x) for x in df.index[dup]})
        df = df.loc[~dup]
        _warn(
            DataQualityWarning,
            f"{ticker}: {int(dup.sum())} duplicated dates removed (kept the last row): "
            f"{_short(q.duplicates)}",
        )
    if {"Open", "High", "Low"}.issubset(df.columns):
        flat = (df["Open"] == df["Close"]) & (df["High"] == df["Close"]) & (df["Low"] == df["Close"])
        q.flat_ohlc_rows = int(flat.sum())
    close = df[col].astype(float)
    q.nan_closes = int(close.isna().sum())
    close = close.dropna()
    nonfinite = ~np.isfinite(close.to_numpy())
    if nonfinite.any():
        q.nonfinite_rejected = [_d(x) for x in close.index[nonfinite]]
        close = close.loc[~nonfinite]
        _warn(
            DataQualityWarning,
            f"{ticker}: rejected {int(nonfinite.sum())} non-finite prices (inf/-inf): "
            f"{_short(q.nonfinite_rejected)}",
        )
    bad = close <= 0
    if bad.any():
        q.nonpositive_rejected = [_d(x) for x in close.index[bad]]
        close = close.loc[~bad]
        _warn(
            DataQualityWarning,
            f"{ticker}: rejected {int(bad.sum())} non-positive prices: {_short(q.nonpositive_rejected)}",
        )
    first = universe.first_date(ticker)
    if first is not None:
        pre = close.index < first
        if pre.any():
            inst = universe.instruments.get(ticker)
            q.prelisting_dropped = int(pre.sum())
            q.prelisting_range = [_d(close.index[pre].min()), _d(close.index[pre].max())]
            q.prelisting_reason = f"rows before {first.date()} belong to another company" + (
                f": {inst.note}" if inst and inst.note else ""
            )
            close = close.loc[~pre]
            _warn(
                PreListingWarning,
                f"{ticker}: dropped {q.prelisting_dropped} pre-listing rows "
                f"{q.prelisting_range[0]}..{q.prelisting_range[1]} ({q.prelisting_reason})",
            )
    crypto = universe.is_crypto(ticker)
    if not crypto and len(close):
        valid = xnys_sessions(close.index.min(), close.index.max())
        off = ~close.index.isin(valid)
        if off.any():
            q.off_calendar_dropped = [_d(x) for x in close.index[off]]
            close = close.loc[~off]
            _warn(
                DataQualityWarning,
                f"{ticker}: dropped {int(off.sum())} rows dated on non-sessions: "
                f"{_short(q.off_calendar_dropped)}",
            )
    captured = meta.get("captured_at")
    if captured and len(close):
        partial = unclosed_rows(pd.DatetimeIndex(close.index), pd.Timestamp(captured), crypto=crypto)
        if len(partial):
            q.partial_rows_dropped = [_d(x) for x in partial]
            close = close.drop(partial)
            _warn(
                DataQualityWarning,
                f"{ticker}: dropped partial-day rows {', '.join(q.partial_rows_dropped)} "
                f"(captured at {captured}, before the bar closed)",
            )
    elif meta.get("vintage_known") and not captured and len(close):
        if _d(close.index.max()) == meta.get("file_last_date"):
            q.last_row_unverified = _d(close.index.max())
    return close


# --------------------------------------------------------------------------- jumps


def _split_factor(x: float, tol: float) -> int | None:
    """Integer k >= 2 with |abs(x) - log k| <= tol, or None (x is a log move)."""
    ax = abs(x)
    if ax < SPLIT_MIN_LOG_MOVE:
        return None
    k = round(float(np.exp(ax)))
    if 2 <= k <= MAX_SPLIT_FACTOR and abs(ax - np.log(k)) <= tol:
        return int(k)
    return None


def _split_like(raw_move: float, resid_move: float, market_move: float, tol: float) -> int | None:
    """Factor k if the day's jump looks like a split: the raw or market-adjusted log move is
    within ``tol`` of log k, and the market itself did not move by a comparable amount."""
    if abs(market_move) >= MATCHING_MARKET_MOVE:
        return None
    k = _split_factor(raw_move, tol)
    return k if k is not None else _split_factor(resid_move, tol)


def _repair_jumps(
    ticker: str, close: pd.Series, market: pd.Series, q: TickerQuality, cfg: CleanConfig
) -> pd.Series:
    """Step 5: basis mix-ups first, then spikes, then unadjusted splits; large moves reported.

    Detection works on log prices; the repair is applied as a multiplicative factor so that
    untouched rows keep their exact input values.
    """
    logp = pd.Series(np.log(close.to_numpy(dtype=float)), index=close.index)
    for _ in range(len(logp)):
        if not _fix_one_split_like(ticker, logp, market, q, cfg, basis_only=True):
            break
    logp = _exclude_spikes(ticker, logp, market, q, cfg)
    for _ in range(len(logp)):
        if not _fix_one_split_like(ticker, logp, market, q, cfg, basis_only=False):
            break
    r = logp.diff()
    big = r[(r - market.reindex(r.index).fillna(0.0)).abs() >= cfg.large_move_log]
    for date, v in big.items():
        q.large_moves_kept.append({"date": _d(pd.Timestamp(str(date))), "ratio": float(np.exp(v))})
    adjustment = (logp - np.log(close.astype(float))).round(12)
    out: pd.Series = close.astype(float) * np.exp(adjustment)
    return out.dropna()


def _fix_one_split_like(
    ticker: str, logp: pd.Series, market: pd.Series, q: TickerQuality, cfg: CleanConfig, *, basis_only: bool
) -> bool:
    """Repair the first split-like jump in ``logp`` (in place); False when there is none.

    With ``basis_only`` only jumps reverted within ``max_episode_rows`` rows by an opposite
    jump of about the same size (a basis mix-up) are repaired; otherwise a non-reverting
    split-like jump rescales all earlier prices to the later basis.
    """
    valid = logp.dropna()
    r = valid.diff()
    m = market.reindex(r.index).fillna(0.0).to_numpy()
    vals = r.to_numpy()
    resid = vals - m
    n = len(vals)
    for t in np.flatnonzero(np.abs(np.nan_to_num(vals)) >= SPLIT_MIN_LOG_MOVE):
        k = _split_like(vals[t], resid[t], m[t], cfg.split_log_tolerance)
        if k is None:
            continue
        sign = float(np.sign(vals[t]))
        exit_at = None
        for j in range(1, cfg.max_episode_rows + 1):
            if t + j >= n:
                break
            if np.sign(vals[t + j]) == -sign and abs(vals[t + j]) >= cfg.spike_log_move:
                if abs(vals[t] + vals[t + j]) <= BASIS_CANCEL_TOLERANCE:
                    exit_at = t + j
                break
        date = r.index[int(t)]
        if exit_at is not None:
            seg = r.index[t:exit_at]
            logp.loc[seg] -= sign * np.log(k)
            q.basis_repaired.append(
                {
                    "start": _d(seg[0]),
                    "end": _d(seg[-1]),
                    "factor": float(k) ** sign,
                    "observed_ratio": float(np.exp(vals[t])),
                }
            )
            _warn(
                SplitRepairedWarning,
                f"{ticker}: rows {_d(seg[0])}..{_d(seg[-1])} were on another price "
                f"basis (factor {k}); rescaled to the surrounding rows",
            )
            return True
        if basis_only:
            continue
        logp.loc[logp.index < date] += sign * np.log(k)
        q.splits_repaired.append(
            {"date": _d(date), "factor": float(k) ** sign, "observed_ratio": float(np.exp(vals[t]))}
        )
        _warn(
            SplitRepairedWarning,
            f"{ticker}: unadjusted split-like jump on {_d(date)} "
            f"(ratio {np.exp(vals[t]):.4g} ~ {k}{'' if sign > 0 else ' inverse'}); "
            "earlier prices rescaled to the later basis",
        )
        return True
    return False


def _exclude_spikes(
    ticker: str, logp: pd.Series, market: pd.Series, q: TickerQuality, cfg: CleanConfig
) -> pd.Series:
    """Set to NaN runs of up to ``max_episode_rows`` rows that jump away and straight back."""
    x = logp.dropna()
    mk = market.reindex(x.index).fillna(0.0).to_numpy()
    v = x.to_numpy()
    n = len(v)
    drop = np.zeros(n, dtype=bool)
    t = 1
    while t < n - 1:
        entry = v[t] - v[t - 1] - mk[t]
        hit = None
        if abs(entry) >= cfg.spike_log_move:
            for j in range(0, cfg.max_episode_rows):
                e = t + j
                if e + 1 >= n:
                    break
                exit_move = v[e] - v[e + 1] + mk[e + 1]  # level of the run relative to the next row
                inner = np.abs(np.diff(v[t : e + 1])) if e > t else np.array([0.0])
                if (
                    np.sign(exit_move) == np.sign(entry)
                    and abs(exit_move) >= cfg.spike_log_move
                    and inner.max(initial=0.0) < min(abs(entry), abs(exit_move))
                ):
                    hit = e
                    break
        if hit is None:
            t += 1
            continue
        drop[t : hit + 1] = True
        a, b = _d(x.index[t]), _d(x.index[hit])
        reason = (
            f"spike: moved {np.exp(entry) - 1:+.0%} then back {np.exp(-(v[hit] - v[hit + 1])) - 1:+.0%}"
            " with no matching market move"
        )
        q.ranges_excluded.append({"start": a, "end": b, "reason": reason, "rows": int(hit - t + 1)})
        _warn(ExcludedRangeWarning, f"{ticker}: excluded {a}..{b} ({reason})")
        t = hit + 1
    out = x.copy()
    out[drop] = np.nan
    return out


# --------------------------------------------------------------------------- panel


def _equity_moves(series: dict[str, pd.Series], equity: list[str]) -> pd.DataFrame:
    """Daily log moves of the equity tickers, one column each (on the union of their dates)."""
    return pd.DataFrame({t: np.log(series[t]).diff() for t in equity if t in series})


def _market_move(moves: pd.DataFrame, exclude: str) -> pd.Series:
    """Median same-day log move across the other equity tickers (needs MIN_PEERS_FOR_MARKET_MOVE).

    Dates with fewer peers give 0.0, as do dates missing from the result (callers reindex
    with ``fillna(0.0)``), so computing ``moves`` once for all tickers changes nothing.
    """
    if moves.empty:
        return pd.Series(dtype=float)
    r = moves.drop(columns=[exclude], errors="ignore")
    med = r.median(axis=1, skipna=True)
    med[r.notna().sum(axis=1) < MIN_PEERS_FOR_MARKET_MOVE] = 0.0
    return med


def _intraday_series(frame: pd.DataFrame, column: str, column_used: str) -> pd.Series | None:
    """Intraday ``Low`` or ``High`` on the close column's basis (scaled by Adj Close / Close), or None.

    Non-finite and non-positive values are missing.
    """
    if column not in frame.columns or frame[column].isna().all():
        return None
    f = frame.loc[~frame.index.duplicated(keep="last")]
    values = f[column].astype(float)
    if column_used == "Adj Close" and "Close" in f.columns:
        values = values * (f["Adj Close"] / f["Close"])
    return values.where(np.isfinite(values) & (values > 0))


def _low_series(frame: pd.DataFrame, column_used: str) -> pd.Series | None:
    """Intraday lows on the close column's basis, or None (see :func:`_intraday_series`)."""
    return _intraday_series(frame, "Low", column_used)


def _stale_days(close: pd.Series) -> int:
    same = close.diff() == 0
    return int(same.sum())


# --------------------------------------------------------------------------- clean_panel steps


@dataclass
class _Repaired:
    """Per-ticker series after steps 1-5 (before alignment)."""

    cleaned: dict[str, pd.Series]
    lows: dict[str, pd.Series]
    highs: dict[str, pd.Series]


def _check_window(cfg: CleanConfig) -> None:
    if cfg.start is not None and cfg.end is not None and cfg.start > cfg.end:
        raise ConfigError(f"start {cfg.start.date()} is after end {cfg.end.date()}")


def _basics(
    raw: RawPanel, cfg: CleanConfig, uni: Universe
) -> tuple[dict[str, TickerQuality], dict[str, pd.Series]]:
    """Steps 1-4 for every ticker, inside the configured window."""
    quality: dict[str, TickerQuality] = {}
    basic: dict[str, pd.Series] = {}
    for ticker, frame in raw.frames.items():
        q = TickerQuality(
            ticker=ticker,
            name=uni.name(ticker),
            kind="crypto" if uni.is_crypto(ticker) else "equity",
            source_meta=dict(raw.meta.get(ticker, {})),
        )
        if ticker not in uni.instruments:
            q.coverage_note = "not in the study universe (classified by ticker suffix)"
        s = frame if cfg.start is None else frame.loc[frame.index >= cfg.start]
        s = s if cfg.end is None else s.loc[s.index <= cfg.end]
        basic[ticker] = _basic_series(ticker, s, q, uni, raw.meta.get(ticker, {}))
        quality[ticker] = q
    return quality, basic


def _repair_all(
    raw: RawPanel,
    basic: dict[str, pd.Series],
    quality: dict[str, TickerQuality],
    cfg: CleanConfig,
    uni: Universe,
) -> _Repaired:
    """Step 5 for every ticker, and the intraday lows/highs carried to the repaired basis."""
    equity = [t for t in basic if not uni.is_crypto(t) and len(basic[t])]
    moves = _equity_moves(basic, equity)  # once, not once per ticker (each a 20-column union)
    out = _Repaired(cleaned={}, lows={}, highs={})
    for ticker, close in basic.items():
        q = quality[ticker]
        if len(close) < 2:
            out.cleaned[ticker] = close
            continue
        # Crypto has no session-based peer move; equities use the median of the other equities.
        market_t = pd.Series(dtype=float) if uni.is_crypto(ticker) else _market_move(moves, ticker)
        cleaned = _repair_jumps(ticker, close, market_t, q, cfg)
        out.cleaned[ticker] = cleaned
        factor = cleaned / close.reindex(cleaned.index)
        for column, store in (("Low", out.lows), ("High", out.highs)):
            series = _intraday_series(raw.frames[ticker], column, q.column_used)
            if series is not None:
                store[ticker] = (series.reindex(cleaned.index) * factor).dropna()
        q.stale_days = _stale_days(cleaned) if not uni.is_crypto(ticker) else 0
    return out


def _panel_span(
    cleaned: dict[str, pd.Series], cfg: CleanConfig
) -> tuple[pd.Timestamp, pd.Timestamp, pd.DatetimeIndex]:
    """First and last date of the panel and its XNYS sessions."""
    nonempty = {t: s for t, s in cleaned.items() if len(s)}
    if not nonempty:
        raise DataQualityError("no ticker has valid prices after cleaning; see the quality report for why")
    lo = cfg.start or min(s.index.min() for s in nonempty.values())
    hi = cfg.end or max(s.index.max() for s in nonempty.values())
    data_hi = max(s.index.max() for s in nonempty.values())
    last = min(hi, data_hi)
    sess = xnys_sessions(lo, last)
    if len(sess) == 0:
        raise ConfigError(
            f"no US equity session between {pd.Timestamp(lo).date()} and {pd.Timestamp(hi).date()}"
        )
    return pd.Timestamp(lo), pd.Timestamp(last), sess


def _align(
    rep: _Repaired, lo: pd.Timestamp, last: pd.Timestamp, sess: pd.DatetimeIndex, uni: Universe
) -> dict[str, pd.DataFrame]:
    """Step 6: prices, returns, lows, highs on the sessions; the raw 7-day crypto series."""
    prices = pd.DataFrame(index=sess, columns=list(rep.cleaned), dtype=float)
    for t, series in rep.cleaned.items():
        prices[t] = series.reindex(sess)
    prices.index.name = "Date"
    log_prices = pd.DataFrame(np.log(prices.to_numpy()), index=prices.index, columns=prices.columns)
    returns = log_prices.diff().iloc[1:]
    lows = pd.DataFrame({t: s.reindex(sess) for t, s in rep.lows.items()}, index=sess)
    highs = pd.DataFrame({t: s.reindex(sess) for t, s in rep.highs.items()}, index=sess)
    crypto_cols = [t for t in rep.cleaned if uni.is_crypto(t)]
    if crypto_cols:
        days = pd.date_range(lo, last, freq="D", name="Date")
        crypto_daily = pd.DataFrame({t: rep.cleaned[t].reindex(days) for t in crypto_cols}, index=days)
    else:
        crypto_daily = pd.DataFrame(index=pd.DatetimeIndex([], name="Date"))
    return {"prices": prices, "returns": returns, "lows": lows, "highs": highs, "crypto_daily": crypto_daily}


def _append_note(q: TickerQuality, note: str) -> None:
    q.coverage_note = f"{q.coverage_note}; {note}" if q.coverage_note else note


def _record_coverage(
    cleaned: dict[str, pd.Series],
    quality: dict[str, TickerQuality],
    prices: pd.DataFrame,
    sess: pd.DatetimeIndex,
    cfg: CleanConfig,
    uni: Universe,
) -> None:
    """Rows, first/last date, missing sessions (or days), gaps and coverage notes per ticker."""
    for t, series in cleaned.items():
        q = quality[t]
        q.rows_clean = int(series.notna().sum())
        q.nan_in_panel = int(prices[t].isna().sum())
        valid = series.dropna()
        if not len(valid):
            q.coverage_note = "no valid prices in the window"
            continue
        q.first_date, q.last_date = _d(valid.index.min()), _d(valid.index.max())
        own = (
            pd.date_range(valid.index.min(), valid.index.max(), freq="D")
            if uni.is_crypto(t)
            else xnys_sessions(valid.index.min(), valid.index.max())
        )
        miss = own.difference(pd.DatetimeIndex(valid.index))
        q.missing_sessions = len(miss)
        q.missing_session_dates = [_d(x) for x in miss]
        if len(miss):
            pos = own.get_indexer(miss)
            runs = np.split(pos, np.where(np.diff(pos) != 1)[0] + 1)
            q.longest_gap_sessions = max(len(r) for r in runs)
        if cfg.start is not None and valid.index.min() > sess[0] and not q.prelisting_dropped:
            _append_note(q, f"coverage starts {q.first_date}, after the study start {sess[0].date()}")
        if valid.index.max() < sess[-1]:
            _append_note(q, f"coverage ends {q.last_date}, before the panel end {sess[-1].date()}")


def _summary(raw: RawPanel, cfg: CleanConfig, tickers: list[str], sess: pd.DatetimeIndex) -> dict[str, Any]:
    return {
        "source": raw.source,
        "synthetic": raw.synthetic,
        "calendar": "XNYS (exchange_calendars)",
        "start": _d(sess[0]),
        "end": _d(sess[-1]),
        "sessions": len(sess),
        "tickers": tickers,
        "failed_tickers": dict(raw.failed),
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "package_version": __version__,
        "parameters": {
            "split_log_tolerance": cfg.split_log_tolerance,
            "spike_log_move": cfg.spike_log_move,
            "large_move_log": cfg.large_move_log,
            "max_episode_rows": cfg.max_episode_rows,
        },
    }


def clean_panel(
    raw: RawPanel, *, config: CleanConfig | None = None, universe: Universe | None = None
) -> CleanResult:
    """Clean a raw panel into session-aligned prices and log returns.

    Parameters
    ----------
    raw
        Output of a source (snapshot, yahoo, synthetic).
    config
        Window and jump-detection parameters; the window defaults to the data's span.
    universe
        Study universe (first dates, crypto vs equity); loaded from the TOML by default.

    Returns
    -------
    CleanResult

    Raises
    ------
    ConfigError
        If start is after end or the window contains no session.
    DataQualityError
        If no ticker has any valid price left after cleaning.
    """
    cfg = config or CleanConfig()
    uni = universe or load_universe()
    _check_window(cfg)
    quality, basic = _basics(raw, cfg, uni)
    rep = _repair_all(raw, basic, quality, cfg, uni)
    lo, last, sess = _panel_span(rep.cleaned, cfg)
    frames = _align(rep, lo, last, sess, uni)
    _record_coverage(rep.cleaned, quality, frames["prices"], sess, cfg, uni)
    return CleanResult(
        prices=frames["prices"],
        returns=frames["returns"],
        crypto_daily=frames["crypto_daily"],
        quality=quality,
        summary=_summary(raw, cfg, list(rep.cleaned), sess),
        lows=frames["lows"],
        highs=frames["highs"],
    )


# --------------------------------------------------------------------------- outputs


def quality_table(result: CleanResult) -> pd.DataFrame:
    """One row per ticker: coverage and counts of every finding (the report's summary table)."""
    rows = []
    for t, q in result.quality.items():
        rows.append(
            {
                "ticker": t,
                "name": q.name,
                "first": q.first_date,
                "last": q.last_date,
                "rows": q.rows_clean,
                "missing sessions": q.missing_sessions,
                "duplicates": len(q.duplicates),
                "pre-listing dropped": q.prelisting_dropped,
                "splits/basis repaired": len(q.splits_repaired) + len(q.basis_repaired),
                "ranges excluded": len(q.ranges_excluded),
                "partial rows": len(q.partial_rows_dropped),
                "large moves kept": len(q.large_moves_kept),
                "stale days": q.stale_days,
                "NaN in panel": q.nan_in_panel,
            }
        )
    return pd.DataFrame(rows).set_index("ticker")


def quality_summary(result: CleanResult) -> dict[str, Any]:
    """Counts of what the cleaner found and did, over every ticker of the panel."""
    q = result.quality.values()
    start = result.summary["start"]
    return {
        "tickers": len(result.quality),
        "sessions": int(result.summary["sessions"]),
        "tickers_with_findings": sum(1 for x in q if x.issues()),
        "prelisting_rows_dropped": sum(x.prelisting_dropped for x in q),
        "splits_or_basis_repaired": sum(len(x.splits_repaired) + len(x.basis_repaired) for x in q),
        "ranges_excluded": sum(len(x.ranges_excluded) for x in q),
        "partial_rows_dropped": sum(len(x.partial_rows_dropped) for x in q),
        "duplicates_removed": sum(len(x.duplicates) for x in q),
        "nonfinite_rejected": sum(len(x.nonfinite_rejected) for x in q),
        "late_starters": [t for t, x in result.quality.items() if x.first_date and x.first_date > start],
    }


def quality_record(result: CleanResult) -> dict[str, Any]:
    """Notebook 01's results: headline counts, the summary and the per-ticker quality table."""
    s = quality_summary(result)
    headline = [
        {"name": "Tickers in the panel", "value": s["tickers"], "unit": "tickers", "text": str(s["tickers"])},
        {
            "name": "Sessions in the panel",
            "value": s["sessions"],
            "unit": "sessions",
            "text": str(s["sessions"]),
        },
        {
            "name": "Tickers with data-quality findings",
            "value": s["tickers_with_findings"],
            "unit": "tickers",
            "text": str(s["tickers_with_findings"]),
            "note": "see the data-quality report",
        },
    ]
    return {"headline": headline, "summary": s, "quality": quality_table(result).reset_index()}


def quality_findings_markdown(result: CleanResult) -> str:
    """One bullet per ticker with findings (what the cleaner found and did)."""
    lines = [
        f"- **{t}** ({q.name}): " + "; ".join(q.issues()) for t, q in result.quality.items() if q.issues()
    ]
    return "\n".join(lines) or "No findings: every ticker is clean."


def quality_sentence(result: CleanResult) -> str:
    """The data-quality summary in one paragraph, computed from :func:`quality_summary`."""
    s = quality_summary(result)
    text = (
        f"The panel holds **{s['tickers']} tickers** over **{s['sessions']} sessions** "
        f"({result.summary['start']} .. {result.summary['end']}). {s['tickers_with_findings']} tickers have "
        f"at least one finding: {s['prelisting_rows_dropped']} pre-listing rows dropped, "
        f"{s['splits_or_basis_repaired']} split/basis problems repaired, {s['ranges_excluded']} implausible "
        f"ranges excluded, {s['partial_rows_dropped']} partial-day rows and {s['nonfinite_rejected']} "
        f"non-finite prices dropped, {s['duplicates_removed']} duplicated dates removed."
    )
    if s["late_starters"]:
        text += (
            " Tickers starting after the window start (shorter samples downstream): "
            + ", ".join(s["late_starters"])
            + "."
        )
    return text


def render_quality_markdown(result: CleanResult) -> str:
    """A readable data-quality report (Markdown)."""
    s = result.summary
    lines = ["# Data quality report", ""]
    if s.get("synthetic"):
        lines += ["> **SYNTHETIC DEMO DATA** - not market data; numbers illustrate the method only.", ""]
    lines += [
        f"- Source: `{s['source']}`; calendar: {s['calendar']}",
        f"- Panel: {s['start']} .. {s['end']} ({s['sessions']} sessions), {len(s['tickers'])} tickers",
        f"- Generated: {s['generated_at']} (analysis {s['package_version']})",
    ]
    if s.get("failed_tickers"):
        lines.append("- Failed tickers: " + "; ".join(f"`{t}`: {w}" for t, w in s["failed_tickers"].items()))
    table = quality_table(result).reset_index()
    lines += ["", "| " + " | ".join(table.columns) + " |", "|" + "---|" * len(table.columns)]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in table.itertuples(index=False)]
    lines += ["", "## Findings by ticker", ""]
    for t, q in result.quality.items():
        issues = q.issues()
        lines.append(f"### {t} ({q.name})")
        lines += [f"- {i}" for i in issues] if issues else ["- no issues found"]
        if q.source_meta.get("file"):
            lines.append(
                f"- file: `{Path(str(q.source_meta['file'])).name}` (header `{q.source_meta.get('header')}`, "
                f"close column `{q.column_used}`)"
            )
        lines.append("")
    return "\n".join(lines)


def _panel_payloads(result: CleanResult) -> dict[str, bytes]:
    """The bytes of every file of the panel, keyed as :data:`PANEL_FILES`."""
    quality_json = json.dumps(result.quality_dict(), indent=2, default=str)
    return {
        "prices": atomic.parquet_bytes(result.prices),
        "returns": atomic.parquet_bytes(result.returns),
        "crypto_daily": atomic.parquet_bytes(result.crypto_daily),
        "lows": atomic.parquet_bytes(result.lows),
        "highs": atomic.parquet_bytes(result.highs),
        "quality_json": quality_json.encode("utf-8"),
        "quality_md": render_quality_markdown(result).encode("utf-8"),
    }


def _new_panel_name() -> str:
    return f"{PANEL_PREFIX}{datetime.now(UTC):%Y%m%dT%H%M%S%f}Z-{secrets.token_hex(4)}"


def write_outputs(result: CleanResult, data_dir: Path | None = None) -> dict[str, Path]:
    """Publish the cleaned panel as one unit under ``<data_dir>/processed/``.

    Parameters
    ----------
    result
        The cleaned panel.
    data_dir
        Parent of ``processed/`` (default :data:`analysis.config.DATA_DIR`).

    Returns
    -------
    dict[str, Path]
        The paths written, keyed as :data:`PANEL_FILES` (inside the new panel directory).

    Raises
    ------
    DataQualityError
        If another writer holds the lock for more than the lock timeout.
    OSError
        If the directory cannot be written (read-only, disk full); the message names
        the directory, the partial panel is removed and the previous panel stays current.

    Notes
    -----
    Steps, under the lock ``processed/.lock``: write every file into a new directory
    ``panel-<UTC time>-<random>/``; switch ``CURRENT.json`` (directory name, SHA-256 and
    size of each file, source label) atomically; remove panels other than the current and
    the previous one, leftovers of killed writes and the loose files of older versions.
    """
    out = processed_dir(None if data_dir is None else Path(data_dir))
    payloads = _panel_payloads(result)
    try:
        lock = atomic.directory_lock(out, timeout=PANEL_LOCK_TIMEOUT_SECONDS)
        with lock:
            return _publish_locked(out, payloads, result)
    except Timeout as exc:
        raise DataQualityError(
            f"another process is writing the cleaned panel in {out} (lock {out / atomic.LOCK_NAME}) for more "
            f"than {PANEL_LOCK_TIMEOUT_SECONDS:g} s; try again when it has finished"
        ) from exc


def _publish_locked(out: Path, payloads: dict[str, bytes], result: CleanResult) -> dict[str, Path]:
    previous = _pointer_or_none(out)
    name = _new_panel_name()
    target = out / name
    try:
        target.mkdir()
        for key, file_name in PANEL_FILES.items():
            atomic.write_bytes(target / file_name, payloads[key])
        atomic.fsync_directory(target)
        pointer = {
            "version": PANEL_FORMAT_VERSION,
            "dir": name,
            "written_at": datetime.now(UTC).isoformat(timespec="microseconds"),
            "source": result.summary.get("source"),
            "synthetic": bool(result.summary.get("synthetic", False)),
            "files": {
                key: {
                    "name": PANEL_FILES[key],
                    "sha256": hashlib.sha256(payload).hexdigest(),
                    "bytes": len(payload),
                }
                for key, payload in payloads.items()
            },
        }
        atomic.write_json(out / CURRENT_NAME, pointer)  # the switch
    except OSError as exc:
        shutil.rmtree(target, ignore_errors=True)
        raise OSError(
            exc.errno, f"cannot publish the cleaned panel in {out}: {exc.strerror or exc}", str(target)
        ) from exc
    keep = {name} | ({str(previous["dir"])} if previous else set())
    try:
        _remove_old_panels(out, keep)
    except OSError as exc:  # the new panel is published; a leftover costs only disk space
        LOGGER.warning("could not remove old panels in %s: %s", out, exc)
    return {key: target / file_name for key, file_name in PANEL_FILES.items()}


def _remove_old_panels(out: Path, keep: set[str]) -> None:
    """Under the lock: remove panel directories not in ``keep``, temp files and legacy loose files."""
    for p in out.iterdir():
        if p.is_dir() and _PANEL_DIR.fullmatch(p.name) and p.name not in keep:
            shutil.rmtree(p, ignore_errors=True)
    atomic.remove_temp_files(out, names=lambda name: name == CURRENT_NAME)  # others' files are theirs
    for legacy in LEGACY_FILES:
        (out / legacy).unlink(missing_ok=True)


def _pointer_or_none(out: Path) -> dict[str, Any] | None:
    try:
        return _read_pointer(out)
    except DataQualityError:
        return None


def _read_pointer(out: Path) -> dict[str, Any]:
    """The parsed ``CURRENT.json`` of ``out``; DataQualityError naming the fix otherwise."""
    path = out / CURRENT_NAME
    fix = "run `python -m analysis clean` (or the report) to publish a panel"
    try:
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError) as exc:
        legacy = [n for n in LEGACY_FILES if (out / n).exists()]
        why = (
            f"processed data missing: no published panel in {out} ({CURRENT_NAME} not found)"
            if not legacy
            else f"processed data in {out} were written by an older version (loose files "
            f"{', '.join(legacy)}, no {CURRENT_NAME}) and cannot be verified"
        )
        raise DataQualityError(f"{why}; {fix}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise DataQualityError(f"cannot read {path}: {exc}; {fix}") from exc
    try:
        pointer = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataQualityError(f"{path} is not valid JSON ({exc}); {fix}") from exc
    if (
        not isinstance(pointer, dict)
        or pointer.get("version") != PANEL_FORMAT_VERSION
        or not isinstance(pointer.get("dir"), str)
        or not _PANEL_DIR.fullmatch(pointer["dir"])
        or not isinstance(pointer.get("files"), dict)
        or set(pointer["files"]) != set(PANEL_FILES)
    ):
        raise DataQualityError(f"{path} is not a panel pointer of version {PANEL_FORMAT_VERSION}; {fix}")
    return pointer


def _read_panel_files(out: Path, pointer: dict[str, Any]) -> dict[str, bytes]:
    """Every file the pointer names, checksum-verified (FileNotFoundError if one is gone)."""
    directory = out / str(pointer["dir"])
    data: dict[str, bytes] = {}
    for key, file_name in PANEL_FILES.items():
        spec = pointer["files"][key]
        path = directory / file_name
        payload = path.read_bytes()
        if not isinstance(spec, dict) or hashlib.sha256(payload).hexdigest() != spec.get("sha256"):
            raise DataQualityError(
                f"the cleaned panel {directory} is incomplete or was modified: {file_name} does not match "
                f"the checksum in {out / CURRENT_NAME}; run `python -m analysis clean` to publish it again"
            )
        data[key] = payload
    return data


def _quality_from_json(d: dict[str, Any]) -> TickerQuality:
    """A :class:`TickerQuality` from its JSON form (unknown keys of other versions are ignored)."""
    known = {f.name for f in dataclasses.fields(TickerQuality)}
    return TickerQuality(**{k: v for k, v in d.items() if k in known})


def read_processed(data_dir: Path | None = None) -> CleanResult:
    """Load the published panel (prices, returns, crypto, lows, highs, quality) after verifying it.

    Parameters
    ----------
    data_dir
        Parent of ``processed/`` (default :data:`analysis.config.DATA_DIR`).

    Raises
    ------
    DataQualityError
        If no panel is published (run ``python -m analysis clean`` first), the pointer
        is malformed, a file is missing or does not match its checksum, or the pointer's
        source label differs from the panel's own; the message names the directory.
    """
    out = processed_dir(None if data_dir is None else Path(data_dir))
    pointer = _read_pointer(out)
    for attempt in range(PANEL_READ_ATTEMPTS):
        try:
            data = _read_panel_files(out, pointer)
            break
        except (FileNotFoundError, NotADirectoryError) as exc:
            newer = _pointer_or_none(out)
            if attempt + 1 < PANEL_READ_ATTEMPTS and newer is not None and newer != pointer:
                pointer = newer  # a concurrent writer published a newer panel and removed this one
                continue
            raise DataQualityError(
                f"the cleaned panel {out / str(pointer['dir'])} named by {out / CURRENT_NAME} is incomplete "
                f"({exc.filename} is missing); run `python -m analysis clean` to publish it again"
            ) from exc
    else:  # pragma: no cover - the loop breaks or raises
        raise AssertionError("unreachable")
    frames = {
        key: pd.read_parquet(io.BytesIO(data[key]), engine="pyarrow")
        for key in ("prices", "returns", "crypto_daily", "lows", "highs")
    }
    q = json.loads(data["quality_json"].decode("utf-8"))
    summary = q["summary"]
    if summary.get("source") != pointer.get("source") or bool(summary.get("synthetic")) != pointer.get(
        "synthetic"
    ):
        raise DataQualityError(
            f"the cleaned panel {out / str(pointer['dir'])} is labelled {summary.get('source')!r} "
            f"(synthetic={summary.get('synthetic')}) but {out / CURRENT_NAME} says {pointer.get('source')!r} "
            f"(synthetic={pointer.get('synthetic')}); run `python -m analysis clean` to publish it again"
        )
    quality = {
        t: _quality_from_json({k: v for k, v in d.items() if k != "issues"}) for t, d in q["tickers"].items()
    }
    return CleanResult(
        prices=frames["prices"],
        returns=frames["returns"],
        crypto_daily=frames["crypto_daily"],
        quality=quality,
        summary=summary,
        lows=frames["lows"],
        highs=frames["highs"],
    )
