"""Source selection: one entry point over the yahoo, snapshot and synthetic sources.

``auto`` (the default of ``make report``): the cache if it covers the request,
else live Yahoo (fetching only what the cache lacks); if that fails, the cached
data if any, then a snapshot directory if one is configured (``--snapshot-dir``
or ``MARKET_DATA_DIR``), and finally synthetic demo data, only when not
``strict`` and with a loud :class:`~analysis.errors.SyntheticDataWarning`.

Guarantees of :func:`load_raw`
    * **Stale data are said.** For every ticker, ``meta[ticker]`` records ``last_date``
      (its last close) and ``expected_through`` (the last expected date of the request
      that had closed at ``now``: an XNYS session for equities, a calendar day for
      crypto). A ticker ending earlier is *stale*: ``meta[ticker]["stale"]`` names it and
      its last date, and one :class:`~analysis.errors.StaleDataWarning` lists all of them.
    * **Strict is strict.** With ``strict=True`` nothing falls back (no stale cache, no
      snapshot, no synthetic data), a failed ticker raises
      :class:`~analysis.errors.DataFetchError` and a stale ticker raises
      :class:`~analysis.errors.DataQualityError` naming it and its last date; data that
      do not cover the request are never returned.
    * **One honest fallback message.** When live data fail, one warning says why,
      untruncated, with tickers grouped by reason.
    * **No network costs no time.** Offline (DNS failure, connection refused) the yahoo
      source fails fast without retries or sleeps and ``auto`` moves on.

Coverage is checked at the end of the range only: a ticker that starts after ``start``
may simply have listed later (pre-listing rows are the cleaner's business).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Literal, get_args

import pandas as pd

from .calendar import last_complete_date, trading_days
from .config import raw_dir, snapshot_dir_from_env
from .errors import (
    CacheError,
    ConfigError,
    DataFetchError,
    DataQualityError,
    StaleDataWarning,
    SyntheticDataWarning,
)
from .schema import RawPanel, summarise_reasons
from .universe import is_crypto_symbol

__all__ = ["SOURCES", "SourceName", "load_raw", "stale_tickers", "summarise_failures"]

SourceName = Literal["auto", "yahoo", "snapshot", "synthetic"]
SOURCES: tuple[str, ...] = get_args(SourceName)
log = logging.getLogger(__name__)
DATE_FORMAT = "%Y-%m-%d"


def summarise_failures(exc: DataFetchError) -> str:
    """Why a source failed, once and untruncated: tickers grouped by reason."""
    if not exc.failed:
        return str(exc)
    return summarise_reasons(exc.failed)


def _snapshot(directory: Path | None, tickers: list[str], start: pd.Timestamp, end: pd.Timestamp) -> RawPanel:
    from .snapshot import SnapshotSource

    d = directory or snapshot_dir_from_env()
    if d is None:
        raise ConfigError(
            "source 'snapshot' needs --snapshot-dir DIR or the MARKET_DATA_DIR environment variable"
        )
    return SnapshotSource(d).load(tickers, start, end)


def _synthetic(tickers: list[str], start: pd.Timestamp, end: pd.Timestamp, seed: int | None) -> RawPanel:
    from .synthetic import SyntheticConfig, SyntheticSource

    cfg = SyntheticConfig() if seed is None else SyntheticConfig(seed=seed)
    return SyntheticSource(cfg).load(tickers, start, end)


def _from_cache(
    data_dir: Path | None, tickers: list[str], start: pd.Timestamp, end: pd.Timestamp
) -> RawPanel:
    """Whatever the cache holds for the request (may be partial); empty panel if nothing."""
    from .cache import RawCache

    cache = RawCache(raw_dir(data_dir))
    frames: dict[str, pd.DataFrame] = {}
    failed: dict[str, str] = {}
    meta: dict[str, dict[str, object]] = {}
    for t in tickers:
        try:
            df, entry = cache.read_with_entry(t)
        except CacheError as exc:
            failed[t] = str(exc)
            continue
        if df is None or entry is None:
            failed[t] = f"not in the cache {cache.directory}"
            continue
        df = df.loc[(df.index >= start) & (df.index <= end)]
        if df.empty or not df["Close"].notna().any():
            failed[t] = f"the cache {cache.directory} has no rows in {start.date()}..{end.date()}"
            continue
        frames[t] = df
        meta[t] = {
            "source": entry.source,
            "from_cache": True,
            "cache_file": str(cache.directory / entry.file),
            "fetched_at": entry.fetched_at.isoformat(),
            "yfinance_version": entry.yfinance_version,
        }
    return RawPanel(frames=frames, source="cache", failed=failed, meta=dict(meta))


def stale_tickers(
    panel: RawPanel, start: pd.Timestamp, end: pd.Timestamp, now: pd.Timestamp
) -> dict[str, str]:
    """Record each ticker's last date in ``panel.meta``; return ticker -> stale sentence.

    Parameters
    ----------
    panel
        A loaded panel (updated in place: ``meta[t]`` gains ``last_date``,
        ``expected_through`` and ``stale``).
    start, end
        The requested range.
    now
        The time of the request: dates whose bar had not closed are not expected.

    Notes
    -----
    ``expected_through`` is the last XNYS session (equities) or calendar day (crypto)
    in ``[start, min(end, last complete date at now)]``; a ticker whose last non-NaN
    close is earlier is stale. A request entirely in the future expects nothing.
    """
    out: dict[str, str] = {}
    for ticker, frame in panel.frames.items():
        info = panel.meta.setdefault(ticker, {})
        closes = frame["Close"].dropna() if "Close" in frame.columns else pd.Series(dtype=float)
        last = pd.Timestamp(closes.index.max()) if len(closes) else None
        crypto = is_crypto_symbol(ticker)
        through = min(end, last_complete_date(ticker, now))
        expected = trading_days(start, through, crypto=crypto)
        exp_last = pd.Timestamp(expected[-1]) if len(expected) else None
        info["last_date"] = None if last is None else f"{last:{DATE_FORMAT}}"
        info["expected_through"] = None if exp_last is None else f"{exp_last:{DATE_FORMAT}}"
        info["stale"] = None
        if exp_last is None or (last is not None and last >= exp_last):
            continue
        behind = len(trading_days(last + pd.Timedelta(days=1), exp_last, crypto=crypto)) if last else None
        unit = "days" if crypto else "sessions"
        text = (
            f"{ticker}: data end {info['last_date']}, {behind} {unit} before {info['expected_through']} "
            f"(requested through {end:{DATE_FORMAT}}, source {panel.source})"
        )
        info["stale"] = text
        out[ticker] = text
    return out


def load_raw(
    source: str,
    tickers: list[str],
    start: pd.Timestamp,
    end: pd.Timestamp,
    *,
    snapshot_dir: Path | None = None,
    data_dir: Path | None = None,
    strict: bool = False,
    seed: int | None = None,
    progress: bool | None = None,
    now: pd.Timestamp | None = None,
    required_through: pd.Timestamp | None = None,
) -> RawPanel:
    """Load raw frames from the chosen source.

    Parameters
    ----------
    source
        ``auto``, ``yahoo``, ``snapshot`` or ``synthetic``.
    tickers, start, end
        What to load (inclusive range).
    snapshot_dir, data_dir
        Snapshot directory (default ``$MARKET_DATA_DIR``) and data directory
        (the raw cache is ``<data_dir>/raw``).
    strict
        Never fall back (no stale cache, no snapshot, no synthetic data); treat any
        failed or stale ticker as an error.
    seed
        Seed of the synthetic source.
    progress
        Progress bars of the yahoo source (``None``: on a terminal).
    now
        The time of the request (default: the current time); decides which dates
        could be complete. Injectable for tests.
    required_through
        Last date a ticker must reach not to be stale (default ``end``); a study loads a few
        sessions past its as-of date for look-ahead tables but needs data only to the as-of date.

    Returns
    -------
    RawPanel
        With ``meta[ticker]["last_date"]``, ``["expected_through"]`` and ``["stale"]``.

    Raises
    ------
    ConfigError
        Unknown source, missing snapshot directory, bad range.
    DataFetchError
        Nothing could be loaded, or (``strict``) any ticker failed.
    DataQualityError
        ``strict`` and a ticker's data end before the request's last complete date
        (names each ticker and its last date).
    """
    if source not in SOURCES:
        raise ConfigError(f"unknown source {source!r}; choose one of {', '.join(SOURCES)}")
    at = pd.Timestamp.now(tz="UTC") if now is None else _as_utc(pd.Timestamp(now))
    if source == "synthetic":
        panel = _synthetic(tickers, start, end, seed)
    elif source == "snapshot":
        panel = _snapshot(snapshot_dir, tickers, start, end)
    elif source == "yahoo":
        panel = _yahoo(tickers, start, end, data_dir, progress, at)
    else:
        panel = _auto(
            tickers,
            start,
            end,
            snapshot_dir=snapshot_dir,
            data_dir=data_dir,
            strict=strict,
            seed=seed,
            progress=progress,
            now=at,
        )
    if strict and panel.failed:
        detail = "; ".join(f"{t}: {why}" for t, why in panel.failed.items())
        raise DataFetchError(f"--strict: {len(panel.failed)} ticker(s) failed: {detail}", panel.failed)
    through = end if required_through is None else min(end, required_through)
    stale = stale_tickers(panel, start, through, at)
    if stale and strict:
        raise DataQualityError(
            f"--strict: {len(stale)} ticker(s) do not cover the requested range "
            f"{start:{DATE_FORMAT}}..{through:{DATE_FORMAT}}: " + "; ".join(stale.values())
        )
    if stale:
        warnings.warn(
            f"stale data for {len(stale)} ticker(s), used as they are: " + "; ".join(stale.values()),
            StaleDataWarning,
            stacklevel=2,
        )
    if panel.synthetic:
        warnings.warn("SYNTHETIC DEMO DATA: results are not market data", SyntheticDataWarning, stacklevel=2)
    return panel


def _as_utc(ts: pd.Timestamp) -> pd.Timestamp:
    return ts.tz_localize("UTC") if ts.tz is None else ts.tz_convert("UTC")


def _yahoo(
    tickers: list[str],
    start: pd.Timestamp,
    end: pd.Timestamp,
    data_dir: Path | None,
    progress: bool | None,
    now: pd.Timestamp | None = None,
) -> RawPanel:
    from .cache import RawCache
    from .fetch import YahooSource

    clock: Callable[[], pd.Timestamp] | None = None if now is None else (lambda: now)
    return YahooSource(RawCache(raw_dir(data_dir)), progress=progress, now=clock).load(tickers, start, end)


def _auto(
    tickers: list[str],
    start: pd.Timestamp,
    end: pd.Timestamp,
    *,
    snapshot_dir: Path | None,
    data_dir: Path | None,
    strict: bool,
    seed: int | None,
    progress: bool | None,
    now: pd.Timestamp | None = None,
) -> RawPanel:
    try:
        return _yahoo(tickers, start, end, data_dir, progress, now)
    except (DataFetchError, CacheError) as exc:
        if strict:
            raise
        reason = summarise_failures(exc) if isinstance(exc, DataFetchError) else str(exc)
    cached = _from_cache(data_dir, tickers, start, end)
    if cached.frames:
        warnings.warn(
            f"live Yahoo data unavailable ({reason}); using cached data for {', '.join(cached.frames)}",
            UserWarning,
            stacklevel=3,
        )
        return cached
    if snapshot_dir is not None or snapshot_dir_from_env() is not None:
        warnings.warn(
            f"live Yahoo data unavailable and nothing cached ({reason}); using the snapshot directory",
            UserWarning,
            stacklevel=3,
        )
        return _snapshot(snapshot_dir, tickers, start, end)
    warnings.warn(
        f"live Yahoo data unavailable and nothing cached ({reason}); FALLING BACK TO SYNTHETIC DEMO DATA. "
        "Every artefact of this run is labelled synthetic. Use --strict to fail instead.",
        SyntheticDataWarning,
        stacklevel=3,
    )
    return _synthetic(tickers, start, end, seed)
