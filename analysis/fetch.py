"""Yahoo Finance source: the only module that imports yfinance.

:class:`YahooSource` loads daily prices through a :class:`~analysis.cache.RawCache`.
yfinance is treated as an unreliable witness:

* every ``yf.download`` option is passed explicitly, so changed defaults
  between yfinance versions cannot change the data;
* yfinance does not raise on failure: it logs the error through the
  ``"yfinance"`` logger and returns an empty or all-NaN column block for the
  ticker. Each ticker is therefore checked (missing, or no non-NaN ``Close``
  means failed) and the logged reason is captured and classified as transient
  (rate limit, timeout, network) or permanent (delisted, no data);
* only transient failures are retried, for just the failed tickers, with bounded
  exponential backoff; what succeeded is kept and cached;
* rows of a session that had not closed at fetch time are dropped before
  caching (equities: NYSE session close; crypto: end of the UTC day).
"""

from __future__ import annotations

import ast
import logging
import re
import sys
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import yfinance as yf
from tqdm import tqdm
from yfinance.exceptions import YFException, YFRateLimitError

from . import config
from .cache import CacheEntry, RawCache
from .calendar import exchange_calendar
from .errors import CacheError, ConfigError, DataFetchError
from .schema import RawPanel, normalize_raw_frame
from .universe import validate_tickers

__all__ = [
    "SOURCE_NAME",
    "YahooSource",
    "is_transient_reason",
    "last_complete_date",
]

LOGGER = logging.getLogger(__name__)

#: Name of this source in :class:`~analysis.schema.RawPanel` and the cache manifest.
SOURCE_NAME = "yahoo"
#: Logger through which yfinance reports per-ticker failures.
YF_LOGGER_NAME = "yfinance"
#: Daily bars.
YF_INTERVAL = "1d"
#: Seconds yfinance waits for one HTTP response.
DEFAULT_TIMEOUT_SECONDS = 30.0
#: Upper bound of one backoff pause, in seconds.
DEFAULT_MAX_BACKOFF_SECONDS = 60.0
#: Growth factor of the exponential backoff.
BACKOFF_FACTOR = 2.0
#: A progress bar is shown from this many tickers on (when progress is on).
PROGRESS_MIN_TICKERS = 5
#: Crypto pairs trade every calendar day; their daily bar closes at 24:00 UTC.
CRYPTO_SUFFIX = "-USD"
ONE_DAY = pd.Timedelta(days=1)
DATE_FORMAT = "%Y-%m-%d"

# Reason text -> transient? Rate limits first: Yahoo's 429 can surface as "no data".
_RATE_LIMIT_MARKERS = ("ratelimit", "rate limit", "too many requests")
_HTTP_TOO_MANY_REQUESTS = re.compile(r"\b429\b")
_PERMANENT_MARKERS = (
    "delisted",
    "no price data",
    "no data found",
    "pricesmissing",
    "tzmissing",
    "tickermissing",
    "no timezone",
    "invalidperiod",
    "not found",
)
_TRANSIENT_MARKERS = (
    "timeout",
    "timed out",
    "connection",
    "network",
    "curl",
    "resolve host",
    "temporarily",
    "currently down",
    "ssl",
    "reset by peer",
    "broken pipe",
)
# yfinance's summary line "['A', 'B']: reason" and per-ticker lines "$A: reason".
_LIST_PREFIX = re.compile(r"^\s*(\[[^\]]*\])\s*:\s*(.*)$", re.DOTALL)
_SYMBOL_PREFIX = re.compile(r"^\s*\$?([A-Z0-9^][A-Z0-9^=.\-]*)\s*:\s*(.*)$", re.DOTALL)
# base.py: "Failed to get ticker 'A' reason: ..." (e.g. the timezone lookup hit a network error).
_QUOTED_TICKER = re.compile(r"\bticker '([^']+)'")


def is_transient_reason(reason: str) -> bool:
    """Classify a failure reason logged or raised by yfinance.

    Transient: rate limits (``YFRateLimitError``, "Too Many Requests"),
    timeouts, connection/network/curl errors, "Yahoo is down". Permanent:
    delisted, no price data (``YFPricesMissingError``), missing timezone, and
    anything unrecognised (unknown failures are not retried).
    """
    text = reason.lower()
    if any(m in text for m in _RATE_LIMIT_MARKERS) or _HTTP_TOO_MANY_REQUESTS.search(text):
        return True
    if any(m in text for m in _PERMANENT_MARKERS):
        return False
    return any(m in text for m in _TRANSIENT_MARKERS)


@dataclass(frozen=True)
class _Failure:
    reason: str
    transient: bool


@dataclass
class _Plan:
    """What :meth:`YahooSource.load` does for one ticker."""

    ticker: str
    last_complete: pd.Timestamp
    cached: pd.DataFrame | None = None
    entry: CacheEntry | None = None
    corrupt: str | None = None
    fetch_start: pd.Timestamp | None = None
    fetch_end: pd.Timestamp | None = None

    @property
    def needs_fetch(self) -> bool:
        return self.fetch_start is not None


@dataclass
class _Outcome:
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    failures: dict[str, _Failure] = field(default_factory=dict)


class _RecordCollector(logging.Handler):
    """Collects log records emitted while attached."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def _capture_yfinance_log() -> Iterator[list[logging.LogRecord]]:
    """Attach a collector to the ``"yfinance"`` logger for the duration of a call."""
    logger = logging.getLogger(YF_LOGGER_NAME)
    collector = _RecordCollector()
    old_level = logger.level
    lowered = logger.getEffectiveLevel() > logging.ERROR
    if lowered:  # errors must reach the collector even if the user silenced yfinance
        logger.setLevel(logging.ERROR)
    logger.addHandler(collector)
    try:
        yield collector.records
    finally:
        logger.removeHandler(collector)
        if lowered:
            logger.setLevel(old_level)


def _reasons_from_log(records: Sequence[logging.LogRecord], tickers: Sequence[str]) -> dict[str, list[str]]:
    """Ticker -> reasons parsed from yfinance's log records, in order, de-duplicated."""
    wanted = set(tickers)
    found: dict[str, list[str]] = {}
    for record in records:
        message = record.getMessage().strip()
        symbols: list[str] = []
        reason = message
        if match := _LIST_PREFIX.match(message):
            try:
                parsed = ast.literal_eval(match.group(1))
            except (ValueError, SyntaxError):
                parsed = []
            symbols = [str(s).upper() for s in parsed] if isinstance(parsed, list) else []
            reason = match.group(2).strip()
        elif match := _SYMBOL_PREFIX.match(message):
            symbols, reason = [match.group(1).upper()], match.group(2).strip()
        elif match := _QUOTED_TICKER.search(message):
            symbols = [match.group(1).upper()]
        for sym in symbols:
            if sym in wanted and reason and reason not in found.setdefault(sym, []):
                found[sym].append(reason)
    return found


def _is_transient_exception(exc: BaseException) -> bool:
    if isinstance(exc, YFRateLimitError):
        return True
    if isinstance(exc, OSError):  # ConnectionError, TimeoutError, curl_cffi/requests errors
        return True
    return is_transient_reason(f"{type(exc).__name__}: {exc}")


def last_complete_date(ticker: str, now: pd.Timestamp) -> pd.Timestamp:
    """Latest date whose daily bar of ``ticker`` was final at ``now``.

    Parameters
    ----------
    ticker
        Tickers ending in ``-USD`` are crypto (the bar closes at 24:00 UTC);
        others follow the NYSE calendar (``session_close`` of the date).
    now
        Tz-aware time of the fetch.

    Raises
    ------
    ConfigError
        If ``now`` lies outside the exchange calendar's bounds.
    """
    now = _as_utc(now)
    if ticker.endswith(CRYPTO_SUFFIX):
        return now.normalize().tz_localize(None) - ONE_DAY
    cal = exchange_calendar()
    today = now.tz_convert(cal.tz).normalize().tz_localize(None)
    if not cal.first_session <= today <= cal.last_session:
        raise ConfigError(
            f"now={now.isoformat()} is outside the {config.EXCHANGE_CALENDAR} calendar "
            f"({cal.first_session:{DATE_FORMAT}}..{cal.last_session:{DATE_FORMAT}})"
        )
    if cal.is_session(today) and cal.session_close(today) <= now:
        return today
    return today - ONE_DAY


class YahooSource:
    """Daily prices from Yahoo Finance through a checksummed raw cache.

    Parameters
    ----------
    cache
        Raw download cache.
    max_retries
        Retries of transient failures per group of tickers (0 = no retry).
    backoff_base
        First pause in seconds; pause ``k`` is ``backoff_base * 2**k``, capped
        at ``max_backoff``.
    sleep
        Called with each pause (injectable for tests).
    progress
        Show progress bars (yfinance's download bar and a tqdm bar over
        tickers when there are at least 5). ``None``: only if stderr is a terminal.
    now
        Returns the current time (tz-aware; naive is taken as UTC). Decides
        which rows are partial.
    timeout
        Seconds yfinance waits for one HTTP response.
    max_backoff
        Upper bound of one pause, in seconds.
    """

    name = SOURCE_NAME

    def __init__(
        self,
        cache: RawCache,
        *,
        max_retries: int = 4,
        backoff_base: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
        progress: bool | None = None,
        now: Callable[[], pd.Timestamp] | None = None,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        max_backoff: float = DEFAULT_MAX_BACKOFF_SECONDS,
    ) -> None:
        if max_retries < 0:
            raise ConfigError(f"max_retries must be >= 0, got {max_retries}")
        if backoff_base < 0:
            raise ConfigError(f"backoff_base must be >= 0 seconds, got {backoff_base}")
        if max_backoff < 0:
            raise ConfigError(f"max_backoff must be >= 0 seconds, got {max_backoff}")
        if timeout <= 0:
            raise ConfigError(f"timeout must be > 0 seconds, got {timeout}")
        self.cache = cache
        self.max_retries = int(max_retries)
        self.backoff_base = float(backoff_base)
        self.max_backoff = float(max_backoff)
        self.timeout = float(timeout)
        self._sleep = sleep
        self._progress = progress
        self._now = now or (lambda: pd.Timestamp.now(tz="UTC"))

    # -- public ------------------------------------------------------------------

    def load(self, tickers: list[str], start: pd.Timestamp, end: pd.Timestamp) -> RawPanel:
        """Return raw frames for ``tickers`` between ``start`` and ``end`` (inclusive).

        Parameters
        ----------
        tickers
            Tickers (validated, de-duplicated, order kept).
        start, end
            Inclusive date range.

        Returns
        -------
        RawPanel
            ``source="yahoo"``; ``frames`` sliced to ``[start, end]``; ``failed``
            maps tickers without data to the reason; ``meta[ticker]`` holds
            ``fetched_at``, ``from_cache``, the downloaded range, dropped
            partial rows, cache-write outcome and any corrupt-cache or stale notes.

        Raises
        ------
        DataFetchError
            If no ticker has data; names every ticker and reason (and any
            corrupt cache file).
        ConfigError
            On malformed tickers or ``start > end``.
        """
        symbols = validate_tickers(tickers)
        start, end = _as_date(start, "start"), _as_date(end, "end")
        if start > end:
            raise ConfigError(f"start {start:{DATE_FORMAT}} is after end {end:{DATE_FORMAT}}")
        now = _as_utc(pd.Timestamp(self._now()))
        show = self._progress if self._progress is not None else sys.stderr.isatty()

        plans = [self._plan(t, start, end, now) for t in symbols]
        groups: dict[tuple[pd.Timestamp, pd.Timestamp], list[str]] = {}
        for plan in plans:
            if plan.fetch_start is not None and plan.fetch_end is not None:
                groups.setdefault((plan.fetch_start, plan.fetch_end), []).append(plan.ticker)
        downloaded = _Outcome()
        for (fetch_start, fetch_end), group in groups.items():
            got = self._download_with_retry(group, fetch_start, fetch_end, progress=show)
            downloaded.frames.update(got.frames)
            downloaded.failures.update(got.failures)

        frames: dict[str, pd.DataFrame] = {}
        failed: dict[str, str] = {}
        meta: dict[str, dict[str, Any]] = {}
        bar = tqdm(
            plans,
            desc=f"{SOURCE_NAME}: caching",
            unit="ticker",
            disable=not (show and len(plans) >= PROGRESS_MIN_TICKERS),
        )
        for plan in bar:
            frame, reason, info = self._finish(plan, downloaded, start, end, now)
            meta[plan.ticker] = info
            if frame is not None:
                frames[plan.ticker] = frame
            else:
                failed[plan.ticker] = reason
        bar.close()

        if not frames:
            details = "; ".join(f"{t}: {r}" for t, r in failed.items())
            raise DataFetchError(
                f"{SOURCE_NAME}: no data for any of {len(failed)} tickers "
                f"({start:{DATE_FORMAT}}..{end:{DATE_FORMAT}}): {details}",
                failed=failed,
            )
        for ticker, reason in failed.items():
            LOGGER.warning("%s: no data from %s: %s", ticker, SOURCE_NAME, reason)
        return RawPanel(frames=frames, source=SOURCE_NAME, synthetic=False, meta=meta, failed=failed)

    # -- planning ----------------------------------------------------------------

    def _plan(self, ticker: str, start: pd.Timestamp, end: pd.Timestamp, now: pd.Timestamp) -> _Plan:
        """Decide what to read from the cache and which range to download."""
        plan = _Plan(ticker=ticker, last_complete=last_complete_date(ticker, now))
        try:
            plan.cached = self.cache.read(ticker)
            plan.entry = self.cache.entry(ticker) if plan.cached is not None else None
        except CacheError as exc:
            LOGGER.warning(
                "%s: corrupt cache entry, refetching %s..%s: %s",
                ticker,
                f"{start:{DATE_FORMAT}}",
                f"{end:{DATE_FORMAT}}",
                exc,
            )
            plan.corrupt, plan.cached, plan.entry = str(exc), None, None
        if plan.cached is None or plan.entry is None:
            plan.fetch_start, plan.fetch_end = start, end
            return plan
        cached_start, cached_end = plan.entry.requested_start, plan.entry.requested_end
        need_before = start < cached_start
        # Dates after the last complete session cannot be cached yet: don't download for them.
        need_after = min(end, plan.last_complete) > cached_end
        if need_before and need_after:
            plan.fetch_start, plan.fetch_end = start, end
        elif need_before:
            plan.fetch_start, plan.fetch_end = start, cached_start - ONE_DAY
        elif need_after:
            after = cached_end + ONE_DAY
            if plan.entry.last_date is not None:  # refetch the last cached row: it may be revised
                after = min(after, plan.entry.last_date)
            plan.fetch_start, plan.fetch_end = after, end
        return plan

    # -- downloading -------------------------------------------------------------

    def _download_kwargs(
        self, tickers: Sequence[str], start: pd.Timestamp, end: pd.Timestamp, *, progress: bool
    ) -> dict[str, Any]:
        """Every ``yf.download`` option, explicitly (yfinance's ``end`` is exclusive)."""
        return {
            "tickers": list(tickers),
            "start": start.strftime(DATE_FORMAT),
            "end": (end + ONE_DAY).strftime(DATE_FORMAT),
            "period": None,  # start/end given; None is what yfinance substitutes itself
            "interval": YF_INTERVAL,
            "group_by": "column",
            "auto_adjust": True,
            "back_adjust": False,
            "actions": False,
            "repair": False,
            "keepna": False,
            "prepost": False,
            "rounding": False,
            "threads": True,
            "ignore_tz": True,
            "progress": bool(progress),
            "timeout": self.timeout,
            "session": None,
            "multi_level_index": True,
        }

    def _download_with_retry(
        self, tickers: Sequence[str], start: pd.Timestamp, end: pd.Timestamp, *, progress: bool
    ) -> _Outcome:
        """Download, retrying transient failures of just the failed tickers."""
        outcome = _Outcome()
        pending = list(tickers)
        for attempt in range(self.max_retries + 1):
            got = self._download_once(pending, start, end, progress=progress)
            outcome.frames.update(got.frames)
            retry = [t for t in pending if t in got.failures and got.failures[t].transient]
            for ticker, failure in got.failures.items():
                if not failure.transient:
                    outcome.failures[ticker] = failure
            if not retry:
                break
            if attempt == self.max_retries:
                for ticker in retry:
                    reason = f"{got.failures[ticker].reason} (still failing after {self.max_retries} retries)"
                    outcome.failures[ticker] = _Failure(reason, transient=True)
                break
            delay = min(self.backoff_base * BACKOFF_FACTOR**attempt, self.max_backoff)
            LOGGER.warning(
                "%s: transient failure for %s (%s); retry %d/%d in %.1f s",
                SOURCE_NAME,
                ", ".join(retry),
                got.failures[retry[0]].reason,
                attempt + 1,
                self.max_retries,
                delay,
            )
            self._sleep(delay)
            pending = retry
        return outcome

    def _download_once(
        self, tickers: Sequence[str], start: pd.Timestamp, end: pd.Timestamp, *, progress: bool
    ) -> _Outcome:
        """One ``yf.download`` call; per-ticker frames and classified failures."""
        kwargs = self._download_kwargs(tickers, start, end, progress=progress)
        with _capture_yfinance_log() as records:
            try:
                with warnings.catch_warnings():
                    # yfinance 1.7 uses pandas' deprecated ``inplace=`` (noise, not a data issue).
                    warnings.filterwarnings(
                        "ignore", message="The inplace keyword", category=DeprecationWarning
                    )
                    data = yf.download(**kwargs)
            except (YFException, OSError) as exc:
                reason = f"yf.download raised {exc!r}"
                transient = _is_transient_exception(exc)
                return _Outcome(failures={t: _Failure(reason, transient) for t in tickers})
        reasons = _reasons_from_log(records, tickers)
        return _split_download(data, tickers, start, end, reasons)

    # -- merging and caching -----------------------------------------------------

    def _finish(
        self,
        plan: _Plan,
        downloaded: _Outcome,
        start: pd.Timestamp,
        end: pd.Timestamp,
        now: pd.Timestamp,
    ) -> tuple[pd.DataFrame | None, str, dict[str, Any]]:
        """Merge, drop partial rows, cache; return (frame or None, failure reason, meta)."""
        ticker = plan.ticker
        cache_file = str(self.cache.path_for(ticker))
        info: dict[str, Any] = {
            "source": SOURCE_NAME,
            "yfinance_version": plan.entry.yfinance_version if plan.entry else None,
            "cache_file": cache_file,
            "from_cache": not plan.needs_fetch,
            "fetched_at": plan.entry.fetched_at.isoformat() if plan.entry else None,
            "downloaded_range": None,
            "partial_rows_dropped": [],
            "cache_written": False,
            "cache_refused": None,
            "corrupt_cache": plan.corrupt,
            "stale": None,
            "complete_through": f"{plan.last_complete:{DATE_FORMAT}}",
        }
        merged = plan.cached
        if plan.fetch_start is not None and plan.fetch_end is not None:
            fetch_start, fetch_end = plan.fetch_start, plan.fetch_end
            info["downloaded_range"] = [f"{fetch_start:{DATE_FORMAT}}", f"{fetch_end:{DATE_FORMAT}}"]
            fresh = downloaded.frames.get(ticker)
            if fresh is None:
                failure = downloaded.failures.get(ticker, _Failure("no result from yf.download", False))
                reason = failure.reason
                if plan.corrupt:
                    reason += f"; the cache file {cache_file} was corrupt and was not used ({plan.corrupt})"
                if plan.cached is None:
                    return None, reason, info
                info["from_cache"] = True
                info["stale"] = (
                    f"could not download {fetch_start:{DATE_FORMAT}}..{fetch_end:{DATE_FORMAT}}: {reason}"
                )
                LOGGER.warning("%s: using cached data only; %s", ticker, info["stale"])
            else:
                partial = fresh.index > plan.last_complete
                info["partial_rows_dropped"] = [f"{d:{DATE_FORMAT}}" for d in fresh.index[partial]]
                fresh = fresh.loc[~partial]
                info["fetched_at"] = now.isoformat()
                info["yfinance_version"] = yf.__version__
                merged = _merge(plan.cached, fresh)
                if fresh["Close"].notna().any():
                    self._write(plan, merged, fetch_start, min(fetch_end, plan.last_complete), now, info)
        if merged is None or merged.empty:
            return None, f"no complete daily bar up to {plan.last_complete:{DATE_FORMAT}}", info
        window = merged.loc[(merged.index >= start) & (merged.index <= end)]
        if not window["Close"].notna().any():
            reason = f"no Close prices between {start:{DATE_FORMAT}} and {end:{DATE_FORMAT}}"
            return None, f"{reason}; {info['stale']}" if info["stale"] else reason, info
        return window, "", info

    def _write(
        self,
        plan: _Plan,
        merged: pd.DataFrame,
        fetch_start: pd.Timestamp,
        fetch_end: pd.Timestamp,
        now: pd.Timestamp,
        info: dict[str, Any],
    ) -> None:
        """Store ``merged`` with the union of the cached and the fetched ranges."""
        cover_start, cover_end = fetch_start, fetch_end
        if plan.entry is not None:
            cover_start = min(cover_start, plan.entry.requested_start)
            cover_end = max(cover_end, plan.entry.requested_end)
        result = self.cache.write(
            plan.ticker,
            merged,
            source=SOURCE_NAME,
            requested_start=cover_start,
            requested_end=cover_end,
            fetched_at=now,
            yfinance_version=yf.__version__,
            extra={"interval": YF_INTERVAL, "auto_adjust": True},
        )
        info["cache_written"] = result.written
        info["cache_refused"] = result.reason or None


def _split_download(
    data: pd.DataFrame | None,
    tickers: Sequence[str],
    start: pd.Timestamp,
    end: pd.Timestamp,
    reasons: dict[str, list[str]],
) -> _Outcome:
    """Split yfinance's ``(Price, Ticker)`` frame into per-ticker raw frames."""
    outcome = _Outcome()
    span = f"{start:{DATE_FORMAT}}..{end:{DATE_FORMAT}}"

    def fail(ticker: str, default: str) -> None:
        # A network error explains a later "possibly delisted; no timezone found": any
        # transient reason makes the failure transient.
        logged = reasons.get(ticker) or [default]
        transient = any(is_transient_reason(r) for r in logged)
        outcome.failures[ticker] = _Failure("; ".join(logged), transient)

    if data is None or not isinstance(data.columns, pd.MultiIndex):
        if data is not None and not data.empty:
            raise DataFetchError(
                f"{SOURCE_NAME}: yf.download returned columns {list(data.columns)[:6]} without a "
                f"(Price, Ticker) MultiIndex for {list(tickers)} over {span}",
                failed={t: "unexpected column layout" for t in tickers},
            )
        for ticker in tickers:
            fail(ticker, f"yf.download returned an empty frame for {span}")
        return outcome
    names = list(data.columns.names)
    level: int | str = "Ticker" if "Ticker" in names else 1
    present = set(data.columns.get_level_values(level))
    for ticker in tickers:
        if ticker not in present:
            fail(ticker, f"missing from the yf.download result for {span}")
            continue
        block = data.xs(ticker, axis=1, level=level)
        if isinstance(block, pd.Series):  # a single column level left: not yfinance's layout
            block = block.to_frame()
        # Rows only introduced by reindexing to the union of all tickers' dates are all-NaN.
        block = block.dropna(how="all")
        if "Close" not in block.columns or not block["Close"].notna().any():
            fail(ticker, f"yf.download returned no Close prices for {span}")
            continue
        frame = normalize_raw_frame(block, ticker=ticker, origin=f"yf.download {span}")
        frame = frame.loc[(frame.index >= start) & (frame.index <= end)]
        if not frame["Close"].notna().any():
            fail(ticker, f"yf.download returned no Close prices inside {span}")
            continue
        outcome.frames[ticker] = frame
    return outcome


def _merge(cached: pd.DataFrame | None, fresh: pd.DataFrame) -> pd.DataFrame:
    """Keep cached rows and add new dates; the fresh bar replaces only the last cached row."""
    if cached is None or cached.empty:
        return fresh
    last = cached.index.max()
    fresh_last = fresh.loc[fresh.index == last]
    replace_last = bool(fresh_last["Close"].notna().any())
    kept = cached.loc[cached.index != last] if replace_last else cached
    added = fresh.loc[~fresh.index.isin(kept.index)]
    if added.empty:
        return kept
    merged: pd.DataFrame = pd.concat([kept, added]).sort_index(kind="stable")
    return merged


def _as_date(value: pd.Timestamp | str, name: str) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{name} must be a date, got {value!r}") from exc
    if pd.isna(ts):
        raise ConfigError(f"{name} must be a date, got {value!r}")
    if ts.tz is not None:
        ts = ts.tz_localize(None)
    return ts.normalize()


def _as_utc(ts: pd.Timestamp) -> pd.Timestamp:
    return ts.tz_localize("UTC") if ts.tz is None else ts.tz_convert("UTC")
