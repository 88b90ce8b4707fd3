"""Source selection: one entry point over the yahoo, snapshot and synthetic sources.

``auto`` (the default of ``make report``): the cache if it covers the request,
else live Yahoo (fetching only what the cache lacks); if that fails, the cached
data if any, then a snapshot directory if one is configured (``--snapshot-dir``
or ``MARKET_DATA_DIR``), and finally synthetic demo data, only when not
``strict`` and with a loud :class:`~analysis.errors.SyntheticDataWarning`.
"""

from __future__ import annotations

import logging
import re
import warnings
from pathlib import Path
from typing import Literal, get_args

import pandas as pd

from .config import raw_dir, snapshot_dir_from_env
from .errors import CacheError, ConfigError, DataFetchError, SyntheticDataWarning
from .schema import RawPanel

__all__ = ["SOURCES", "SourceName", "load_raw", "parse_date_range"]

SourceName = Literal["auto", "yahoo", "snapshot", "synthetic"]
SOURCES: tuple[str, ...] = get_args(SourceName)
log = logging.getLogger(__name__)
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
#: Longest reason quoted per group of failed tickers in a fallback warning.
MAX_REASON_CHARS = 160


def summarise_failures(exc: DataFetchError) -> str:
    """Short text of a fetch failure: tickers grouped by (truncated) reason."""
    if not exc.failed:
        return str(exc)[:MAX_REASON_CHARS]
    groups: dict[str, list[str]] = {}
    for t, why in exc.failed.items():
        groups.setdefault(why.replace(t, "<ticker>")[:MAX_REASON_CHARS], []).append(t)
    return "; ".join(f"{', '.join(ts)}: {why}" for why, ts in groups.items())


def parse_date_range(start: str | pd.Timestamp, end: str | pd.Timestamp) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Parse and check a date range (inclusive).

    Raises
    ------
    ConfigError
        If a date is malformed or ``start`` is after ``end``.
    """
    out = []
    for label, value in (("start", start), ("end", end)):
        if isinstance(value, str) and not ISO_DATE.fullmatch(value.strip()):
            raise ConfigError(f"{label} date {value!r} is not a date (use YYYY-MM-DD)")
        try:
            out.append(pd.Timestamp(value).normalize())
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"{label} date {value!r} is not a date (use YYYY-MM-DD)") from exc
    s, e = out
    if s > e:
        raise ConfigError(f"start {s.date()} is after end {e.date()}")
    return s, e


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
    for t in tickers:
        try:
            df = cache.read(t)
        except CacheError as exc:
            failed[t] = str(exc)
            continue
        if df is None:
            failed[t] = "not in cache"
            continue
        df = df.loc[(df.index >= start) & (df.index <= end)]
        if df.empty:
            failed[t] = "cache has no rows in the window"
        else:
            frames[t] = df
    return RawPanel(frames=frames, source="cache", failed=failed)


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
) -> RawPanel:
    """Load raw frames from the chosen source.

    Parameters
    ----------
    source
        ``auto``, ``yahoo``, ``snapshot`` or ``synthetic``.
    strict
        Never fall back (no stale cache, no snapshot, no synthetic data) and treat
        any failed ticker as an error.

    Raises
    ------
    ConfigError
        Unknown source, missing snapshot directory, bad range.
    DataFetchError
        Nothing could be loaded, or (``strict``) any ticker failed.
    """
    if source not in SOURCES:
        raise ConfigError(f"unknown source {source!r}; choose one of {', '.join(SOURCES)}")
    if source == "synthetic":
        panel = _synthetic(tickers, start, end, seed)
    elif source == "snapshot":
        panel = _snapshot(snapshot_dir, tickers, start, end)
    elif source == "yahoo":
        panel = _yahoo(tickers, start, end, data_dir, progress)
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
        )
    if strict and panel.failed:
        detail = "; ".join(f"{t}: {why}" for t, why in panel.failed.items())
        raise DataFetchError(f"--strict: {len(panel.failed)} ticker(s) failed: {detail}", panel.failed)
    if panel.synthetic:
        warnings.warn("SYNTHETIC DEMO DATA: results are not market data", SyntheticDataWarning, stacklevel=2)
    return panel


def _yahoo(
    tickers: list[str], start: pd.Timestamp, end: pd.Timestamp, data_dir: Path | None, progress: bool | None
) -> RawPanel:
    from .cache import RawCache
    from .fetch import YahooSource

    return YahooSource(RawCache(raw_dir(data_dir)), progress=progress).load(tickers, start, end)


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
) -> RawPanel:
    try:
        return _yahoo(tickers, start, end, data_dir, progress)
    except DataFetchError as exc:
        if strict:
            raise
        reason = summarise_failures(exc)
    cached = _from_cache(data_dir, tickers, start, end)
    if cached.frames:
        warnings.warn(
            f"live Yahoo fetch failed ({reason}); using cached data for {', '.join(cached.frames)}",
            UserWarning,
            stacklevel=3,
        )
        return cached
    if snapshot_dir is not None or snapshot_dir_from_env() is not None:
        warnings.warn(
            f"live Yahoo fetch failed and no cache exists ({reason}); using the snapshot directory",
            UserWarning,
            stacklevel=3,
        )
        return _snapshot(snapshot_dir, tickers, start, end)
    warnings.warn(
        f"live Yahoo fetch failed and no cache exists ({reason}); FALLING BACK TO SYNTHETIC DEMO DATA. "
        "Every artefact of this run is labelled synthetic. Use --strict to fail instead.",
        SyntheticDataWarning,
        stacklevel=3,
    )
    return _synthetic(tickers, start, end, seed)
