"""Yahoo Finance source: the only module that imports yfinance.

:class:`YahooSource` loads daily prices through a :class:`~analysis.cache.RawCache`.
yfinance is treated as an unreliable witness:

* every ``yf.download`` option is passed explicitly, so changed defaults
  between yfinance versions cannot change the data;
* yfinance does not raise on failure: it logs the error through the
  ``"yfinance"`` logger and returns an empty or all-NaN column block for the
  ticker. Each ticker is therefore checked (missing, or no non-NaN ``Close``
  means failed) and the logged reason is captured and classified;
* **the source boundary**: any exception raised inside ``yf.download`` (or by an
  unexpected result layout) becomes a failure of the tickers of that call, named by
  the ticker list, the exception type and its message; it never escapes as a
  traceback, so the ``auto`` chain of :mod:`analysis.sources` continues.

Failures are classified (:func:`classify_reason`):

* ``offline`` - no network: DNS failure ("Could not resolve host"), connection
  refused, network unreachable. Not retried, and no further download is attempted
  in the same call: the source fails fast and the caller falls back. To make that
  fast, the first download of a call asks for one ticker without threads (a probe):
  offline, yfinance's threaded batch takes seconds to fail (6 s for the 25 tickers
  of the universe, measured) while one request fails in milliseconds.
* ``transient`` - rate limits, timeouts, resets, "Yahoo is down": retried for just the
  failed tickers with bounded exponential backoff, within an overall deadline
  (:data:`RETRY_DEADLINE_SECONDS`; ``sleep`` and ``clock`` are injectable).
* ``permanent`` - delisted, no data, and anything unrecognised: not retried.

The cache is refreshed, never spliced:

* a warm cache makes no network call; only the dates the cache cannot answer for
  (:meth:`~analysis.cache.CacheEntry.unreceived`: a later end, an earlier start, gaps)
  are downloaded, with :data:`OVERLAP_ROWS` cached rows on each side;
* the overlapping closes must agree with the cache within :data:`REVISION_RTOL`
  (the last cached bar may be revised). If they do not, Yahoo has re-adjusted the
  history (a split or a dividend): the whole history is downloaded again and replaces
  the cache, and ``meta[ticker]["history_revised"]`` and a
  :class:`~analysis.errors.HistoryRevisedWarning` say so. If that download fails, only
  the cached rows are used. Two price bases are never spliced into one series;
* rows of a session that had not closed at fetch time are dropped before caching
  (equities: NYSE session close; crypto: end of the UTC day);
* a cache that cannot be written (read-only, disk full, locked) is reported once per
  call (:class:`~analysis.errors.CacheWriteWarning` naming the directory) and the
  downloaded data are still returned.
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
from typing import Any, Final, Literal

import numpy as np
import pandas as pd
import yfinance as yf
from tqdm import tqdm
from yfinance.exceptions import YFRateLimitError

from ._validation import as_timestamp, check_int, check_positive
from .cache import CacheEntry, RawCache
from .calendar import last_complete_date
from .errors import CacheError, CacheWriteWarning, ConfigError, DataFetchError, HistoryRevisedWarning
from .schema import RawPanel, normalize_raw_frame, summarise_reasons
from .universe import CRYPTO_SUFFIX, validate_tickers

__all__ = [
    "CRYPTO_SUFFIX",
    "OVERLAP_ROWS",
    "RETRY_DEADLINE_SECONDS",
    "REVISION_RTOL",
    "SOURCE_NAME",
    "FailureKind",
    "YahooSource",
    "classify_reason",
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
#: No retry pause starts later than this many seconds after :meth:`YahooSource.load` began.
RETRY_DEADLINE_SECONDS = 20.0
#: Growth factor of the exponential backoff.
BACKOFF_FACTOR = 2.0
#: A progress bar is shown from this many tickers on (when progress is on).
PROGRESS_MIN_TICKERS = 5
#: Cached rows re-downloaded on each side of the missing dates, to check the price basis.
OVERLAP_ROWS = 5
#: Largest relative difference |new / cached - 1| of a close still taken as the same basis.
#: Re-downloads agree to ~1e-9 (float noise); a dividend re-adjustment moves history by
#: ~1e-4 or more, a split by a factor.
REVISION_RTOL = 1e-6
ONE_DAY = pd.Timedelta(days=1)
DATE_FORMAT = "%Y-%m-%d"

FailureKind = Literal["transient", "offline", "permanent"]
TRANSIENT: Final = "transient"
OFFLINE: Final = "offline"
PERMANENT: Final = "permanent"

# Reason text -> kind. Rate limits first: Yahoo's 429 can surface as "no data".
_RATE_LIMIT_MARKERS = ("ratelimit", "rate limit", "too many requests")
_HTTP_TOO_MANY_REQUESTS = re.compile(r"\b429\b")
_OFFLINE_MARKERS = (
    "could not resolve host",
    "resolve host",
    "dnserror",
    "name or service not known",
    "nodename nor servname",
    "temporary failure in name resolution",
    "getaddrinfo failed",
    "no address associated with hostname",
    "connection refused",
    "couldn't connect to server",
    "could not connect to server",
    "network is unreachable",
    "no route to host",
    "curl: (6)",
    "curl: (7)",
)
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
_TICKER_PREFIX = re.compile(r"^Failed to get ticker '[^']*' reason:\s*")
# Untargeted lines that still explain a failure (offline: the cookie/crumb fetch fails first).
_GENERAL_OFFLINE = re.compile(r"dnserror|resolve host|connection refused|network is unreachable", re.I)


def classify_reason(reason: str) -> FailureKind:
    """Classify a failure reason logged or raised by yfinance.

    Returns
    -------
    {"transient", "offline", "permanent"}
        ``transient``: rate limits (``YFRateLimitError``, "Too Many Requests", HTTP 429),
        timeouts, resets, other connection errors, "Yahoo is down". ``offline``: DNS
        failures ("Could not resolve host", ``DNSError``), connection refused, network
        unreachable. ``permanent``: delisted, no price data (``YFPricesMissingError``),
        missing timezone, and anything unrecognised (unknown failures are not retried).
    """
    text = reason.lower()
    if any(m in text for m in _RATE_LIMIT_MARKERS) or _HTTP_TOO_MANY_REQUESTS.search(text):
        return TRANSIENT
    if any(m in text for m in _OFFLINE_MARKERS):
        return OFFLINE
    if any(m in text for m in _PERMANENT_MARKERS):
        return PERMANENT
    return TRANSIENT if any(m in text for m in _TRANSIENT_MARKERS) else PERMANENT


def is_transient_reason(reason: str) -> bool:
    """True if :func:`classify_reason` says ``transient`` (worth retrying)."""
    return classify_reason(reason) == TRANSIENT


def _classify_exception(exc: BaseException) -> FailureKind:
    if isinstance(exc, YFRateLimitError):
        return TRANSIENT
    if isinstance(exc, ConnectionRefusedError):
        return OFFLINE
    kind = classify_reason(f"{type(exc).__name__}: {exc}")
    if kind == PERMANENT and isinstance(exc, OSError):  # curl_cffi/requests errors, TimeoutError
        return TRANSIENT
    return kind


@dataclass(frozen=True)
class _Failure:
    reason: str
    kind: FailureKind

    @property
    def transient(self) -> bool:
        return self.kind == TRANSIENT


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
    #: Why the whole history is refetched (the cached basis disagrees), if it is.
    revision: dict[str, Any] | None = None

    @property
    def needs_fetch(self) -> bool:
        return self.fetch_start is not None


@dataclass
class _Outcome:
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    failures: dict[str, _Failure] = field(default_factory=dict)


@dataclass
class _Run:
    """State shared by the downloads of one :meth:`YahooSource.load` call."""

    deadline_at: float
    offline: str | None = None
    probed: bool = False
    cache_error: str | None = None
    uncached: list[str] = field(default_factory=list)


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
    """Ticker -> reasons parsed from yfinance's log records, in order, de-duplicated.

    A line naming no ticker but showing that the network is down (yfinance's
    "Cookie/crumb fetch failed (DNSError)") is attached to every ticker.
    """
    wanted = set(tickers)
    found: dict[str, list[str]] = {}
    general: list[str] = []
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
        elif _GENERAL_OFFLINE.search(message) and message not in general:
            general.append(message)
        for sym in symbols:
            if sym in wanted and reason and reason not in found.setdefault(sym, []):
                found[sym].append(reason)
    if general:
        for sym in wanted:
            found.setdefault(sym, []).extend(g for g in general if g not in found[sym])
    return found


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
    deadline
        Seconds after the start of :meth:`load` after which no retry pause starts.
    clock
        Monotonic seconds (injectable for tests, with ``sleep``).
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
        deadline: float = RETRY_DEADLINE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        for label, value in (
            ("backoff_base", backoff_base),
            ("max_backoff", max_backoff),
            ("deadline", deadline),
        ):
            if value < 0:
                raise ConfigError(f"{label} must be >= 0 seconds, got {value}")
        self.cache = cache
        self.max_retries = check_int(max_retries, "max_retries", minimum=0, unit="retries")
        self.backoff_base = float(backoff_base)
        self.max_backoff = float(max_backoff)
        self.timeout = check_positive(timeout, "timeout (seconds)")
        self.deadline = float(deadline)
        self._sleep = sleep
        self._clock = clock
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
            ``fetched_at``, ``from_cache``, the downloaded range, dropped partial
            rows, the cache-write outcome (``cache_written``, ``cache_refused``,
            ``cache_error``), ``corrupt_cache``, ``history_revised`` and
            ``download_error`` (a needed download failed; cached rows were used).

        Raises
        ------
        DataFetchError
            If no ticker has data; names every ticker and reason (and any
            corrupt cache file).
        ConfigError
            On malformed tickers or ``start > end``.
        """
        symbols = validate_tickers(tickers)
        start, end = as_timestamp(start, "start").normalize(), as_timestamp(end, "end").normalize()
        if start > end:
            raise ConfigError(f"start {start:{DATE_FORMAT}} is after end {end:{DATE_FORMAT}}")
        now = _as_utc(pd.Timestamp(self._now()))
        show = self._progress if self._progress is not None else sys.stderr.isatty()
        run = _Run(deadline_at=self._clock() + self.deadline)

        plans = [self._plan(t, start, end, now) for t in symbols]
        downloaded = self._download_plans(plans, run, progress=show)
        revised = [p for p in plans if self._check_basis(p, downloaded.frames.get(p.ticker), start, end)]
        if revised:
            again = self._download_plans(revised, run, progress=show)
            for plan in revised:
                downloaded.frames.pop(plan.ticker, None)
                downloaded.failures.pop(plan.ticker, None)
            downloaded.frames.update(again.frames)
            downloaded.failures.update(again.failures)

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
            frame, reason, info = self._finish(plan, downloaded, start, end, now, run)
            meta[plan.ticker] = info
            if frame is not None:
                frames[plan.ticker] = frame
            else:
                failed[plan.ticker] = reason
        bar.close()
        self._report_cache_error(run)
        self._report_download_errors(frames, meta)

        if not frames:
            details = summarise_reasons(failed)
            raise DataFetchError(
                f"{SOURCE_NAME}: no data for any of {len(failed)} tickers "
                f"({start:{DATE_FORMAT}}..{end:{DATE_FORMAT}}): {details}",
                failed=failed,
            )
        if failed:
            LOGGER.warning(
                "no data from %s for %d ticker(s): %s", SOURCE_NAME, len(failed), summarise_reasons(failed)
            )
        return RawPanel(frames=frames, source=SOURCE_NAME, synthetic=False, meta=meta, failed=failed)

    # -- planning ----------------------------------------------------------------

    def _plan(self, ticker: str, start: pd.Timestamp, end: pd.Timestamp, now: pd.Timestamp) -> _Plan:
        """Decide what to read from the cache and which range to download."""
        plan = _Plan(ticker=ticker, last_complete=last_complete_date(ticker, now))
        try:
            plan.cached, plan.entry = self.cache.read_with_entry(ticker)
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
        # Dates after the last complete session cannot be had yet: don't download for them.
        through = min(end, plan.last_complete)
        need = plan.entry.unreceived(start, through) if start <= through else pd.DatetimeIndex([])
        if len(need) == 0:
            return plan
        plan.fetch_start, plan.fetch_end = _with_overlap(plan.cached, need.min(), need.max())
        return plan

    def _check_basis(
        self, plan: _Plan, fresh: pd.DataFrame | None, start: pd.Timestamp, end: pd.Timestamp
    ) -> bool:
        """True (and the plan switched to the whole history) if ``fresh`` disagrees with the cache."""
        if fresh is None or plan.cached is None or plan.entry is None:
            return False
        revision = _basis_disagreement(plan.cached, fresh)
        if revision is None:
            return False
        full_start = min(start, plan.entry.requested_start)
        full_end = max(end, plan.entry.requested_end)
        revision["refetched_range"] = [f"{full_start:{DATE_FORMAT}}", f"{full_end:{DATE_FORMAT}}"]
        plan.revision = revision
        plan.fetch_start, plan.fetch_end = full_start, full_end
        return True

    # -- downloading -------------------------------------------------------------

    def _download_plans(self, plans: Sequence[_Plan], run: _Run, *, progress: bool) -> _Outcome:
        """One batched download per distinct range; stops at the first sign of no network."""
        groups: dict[tuple[pd.Timestamp, pd.Timestamp], list[str]] = {}
        for plan in plans:
            if plan.fetch_start is not None and plan.fetch_end is not None:
                groups.setdefault((plan.fetch_start, plan.fetch_end), []).append(plan.ticker)
        outcome = _Outcome()
        for (fetch_start, fetch_end), tickers in groups.items():
            batches = [tickers]
            if not run.probed and len(tickers) > 1:  # the probe: one ticker, no threads
                batches = [tickers[:1], tickers[1:]]
            run.probed = True
            for batch in batches:
                if run.offline is not None:
                    failure = _Failure(run.offline, OFFLINE)
                    outcome.failures.update(dict.fromkeys(batch, failure))
                    continue
                got = self._download_with_retry(batch, fetch_start, fetch_end, run, progress=progress)
                outcome.frames.update(got.frames)
                outcome.failures.update(got.failures)
        if run.offline is not None:  # one cause, said the same way for every ticker
            same = _Failure(f"no network, nothing downloaded: {run.offline}", OFFLINE)
            outcome.failures.update({t: same for t, f in outcome.failures.items() if f.kind == OFFLINE})
        return outcome

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
            "threads": len(tickers) > 1,  # one ticker needs no thread pool (and fails fast offline)
            "ignore_tz": True,
            "progress": bool(progress),
            "timeout": self.timeout,
            "session": None,
            "multi_level_index": True,
        }

    def _download_with_retry(
        self, tickers: Sequence[str], start: pd.Timestamp, end: pd.Timestamp, run: _Run, *, progress: bool
    ) -> _Outcome:
        """Download, retrying transient failures of just the failed tickers, within the deadline."""
        outcome = _Outcome()
        pending = list(tickers)
        for attempt in range(self.max_retries + 1):
            got = self._download_once(pending, start, end, progress=progress)
            outcome.frames.update(got.frames)
            retry = [t for t in pending if t in got.failures and got.failures[t].transient]
            for ticker, failure in got.failures.items():
                if not failure.transient:
                    outcome.failures[ticker] = failure
                if failure.kind == OFFLINE and run.offline is None:
                    run.offline = _offline_cause(failure.reason)
            if not retry:
                break
            delay = min(self.backoff_base * BACKOFF_FACTOR**attempt, self.max_backoff)
            stop = ""
            if attempt == self.max_retries:
                stop = f"still failing after {self.max_retries} retries"
            elif self._clock() + delay > run.deadline_at:
                stop = f"gave up after {attempt} retries: the {self.deadline:g} s retry deadline was reached"
            if stop:
                for ticker in retry:
                    outcome.failures[ticker] = _Failure(f"{got.failures[ticker].reason} ({stop})", TRANSIENT)
                break
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
        """One ``yf.download`` call; per-ticker frames and classified failures.

        This is the source boundary: whatever yfinance raises, or whatever unexpected
        shape its result has, becomes a named failure of these tickers.
        """
        kwargs = self._download_kwargs(tickers, start, end, progress=progress)
        call = f"yf.download({', '.join(tickers)}, {start:{DATE_FORMAT}}..{end:{DATE_FORMAT}})"
        with _capture_yfinance_log() as records:
            try:
                with warnings.catch_warnings():
                    # yfinance 1.7 uses pandas' deprecated ``inplace=`` (noise, not a data issue).
                    warnings.filterwarnings(
                        "ignore", message="The inplace keyword", category=DeprecationWarning
                    )
                    data = yf.download(**kwargs)
            except Exception as exc:  # the boundary: named below, never silent, never a traceback
                reason = f"{call} raised {type(exc).__name__}: {exc}"
                kind = _classify_exception(exc)
                return _Outcome(failures={t: _Failure(reason, kind) for t in tickers})
        reasons = _reasons_from_log(records, tickers)
        try:
            return _split_download(data, tickers, start, end, reasons)
        except Exception as exc:  # an unexpected result layout is the source's fault, not ours
            reason = f"{call} returned an unusable result ({type(exc).__name__}: {exc})"
            return _Outcome(failures={t: _Failure(reason, PERMANENT) for t in tickers})

    # -- merging and caching -----------------------------------------------------

    def _finish(
        self,
        plan: _Plan,
        downloaded: _Outcome,
        start: pd.Timestamp,
        end: pd.Timestamp,
        now: pd.Timestamp,
        run: _Run,
    ) -> tuple[pd.DataFrame | None, str, dict[str, Any]]:
        """Merge (or replace, after a revision), drop partial rows, cache; (frame or None, reason, meta)."""
        ticker = plan.ticker
        cache_file = None if plan.entry is None else str(self.cache.directory / plan.entry.file)
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
            "cache_error": None,
            "corrupt_cache": plan.corrupt,
            "history_revised": plan.revision,
            "download_error": None,
            "complete_through": f"{plan.last_complete:{DATE_FORMAT}}",
        }
        merged = plan.cached
        if plan.fetch_start is not None and plan.fetch_end is not None:
            fetch_start, fetch_end = plan.fetch_start, plan.fetch_end
            info["downloaded_range"] = [f"{fetch_start:{DATE_FORMAT}}", f"{fetch_end:{DATE_FORMAT}}"]
            fresh = downloaded.frames.get(ticker)
            if fresh is None:
                failure = downloaded.failures.get(ticker, _Failure("no result from yf.download", PERMANENT))
                reason = failure.reason
                if plan.corrupt:
                    reason += f"; the cache file was corrupt and was not used ({plan.corrupt})"
                if plan.cached is None:
                    return None, reason, info
                info["from_cache"] = True
                info["download_error"] = (
                    f"could not download {fetch_start:{DATE_FORMAT}}..{fetch_end:{DATE_FORMAT}}: {reason}"
                )
                if plan.revision is not None:
                    plan.revision["action"] = "the full refetch failed; only the cached rows are used"
                    self._warn_revision(plan)
                LOGGER.info("%s: using cached data only; %s", ticker, info["download_error"])
            else:
                partial = fresh.index > plan.last_complete
                info["partial_rows_dropped"] = [f"{d:{DATE_FORMAT}}" for d in fresh.index[partial]]
                fresh = fresh.loc[~partial]
                info["fetched_at"] = now.isoformat()
                info["yfinance_version"] = yf.__version__
                if plan.revision is not None:
                    plan.revision["action"] = "the whole history was downloaded again and replaces the cache"
                    self._warn_revision(plan)
                    merged = fresh
                else:
                    merged = _merge(plan.cached, fresh)
                if fresh["Close"].notna().any():
                    self._write(plan, merged, fetch_start, min(fetch_end, plan.last_complete), now, info, run)
        if merged is None or merged.empty:
            return None, f"no complete daily bar up to {plan.last_complete:{DATE_FORMAT}}", info
        window = merged.loc[(merged.index >= start) & (merged.index <= end)]
        if not window["Close"].notna().any():
            reason = f"no Close prices between {start:{DATE_FORMAT}} and {end:{DATE_FORMAT}}"
            error = info["download_error"]
            return None, f"{reason}; {error}" if error else reason, info
        return window, "", info

    def _warn_revision(self, plan: _Plan) -> None:
        r = plan.revision or {}
        warnings.warn(
            f"{plan.ticker}: Yahoo re-adjusted its history (split or dividend): {r.get('disagreeing')} "
            f"of {r.get('compared')} closes shared with the cache differ by up to "
            f"{r.get('max_rel_diff', 0):.3%} "
            f"(first on {r.get('first_date')}); two price bases are never spliced: {r.get('action')} "
            f"({r['refetched_range'][0]}..{r['refetched_range'][1]})",
            HistoryRevisedWarning,
            stacklevel=4,
        )

    def _write(
        self,
        plan: _Plan,
        merged: pd.DataFrame,
        fetch_start: pd.Timestamp,
        fetch_end: pd.Timestamp,
        now: pd.Timestamp,
        info: dict[str, Any],
        run: _Run,
    ) -> None:
        """Store ``merged`` with the union of the cached and the fetched ranges.

        A cache that cannot be written is recorded (``info["cache_error"]``) and reported
        once per call; after the first such failure no further write is attempted.
        """
        if run.cache_error is not None:
            info["cache_error"] = run.cache_error
            run.uncached.append(plan.ticker)
            return
        cover_start, cover_end = fetch_start, fetch_end
        if plan.entry is not None:
            cover_start = min(cover_start, plan.entry.requested_start)
            cover_end = max(cover_end, plan.entry.requested_end)
        try:
            result = self.cache.write(
                plan.ticker,
                merged,
                source=SOURCE_NAME,
                requested_start=cover_start,
                requested_end=cover_end,
                fetched_at=now,
                yfinance_version=yf.__version__,
                extra={"interval": YF_INTERVAL, "auto_adjust": True},
                downloaded=(fetch_start, fetch_end),
                rebase=plan.revision is not None,
            )
        except (OSError, CacheError) as exc:
            run.cache_error = f"{type(exc).__name__}: {exc}"
            info["cache_error"] = run.cache_error
            run.uncached.append(plan.ticker)
            return
        info["cache_written"] = result.written
        info["cache_refused"] = result.reason or None
        if result.written and result.entry is not None:
            info["cache_file"] = str(self.cache.directory / result.entry.file)

    def _report_download_errors(
        self, frames: dict[str, pd.DataFrame], meta: dict[str, dict[str, Any]]
    ) -> None:
        """One warning for the tickers served from the cache because their download failed."""
        errors = {t: str(meta[t]["download_error"]) for t in frames if meta[t].get("download_error")}
        if errors:
            warnings.warn(
                f"live Yahoo download failed for {len(errors)} ticker(s), their cached rows are used: "
                f"{summarise_reasons(errors)}",
                UserWarning,
                stacklevel=3,
            )

    def _report_cache_error(self, run: _Run) -> None:
        if run.cache_error is None:
            return
        warnings.warn(
            f"cannot write the raw cache {self.cache.directory} ({run.cache_error}); "
            f"{len(run.uncached)} downloaded ticker(s) are used but not cached: {', '.join(run.uncached)}. "
            "Free disk space or fix the directory's permissions, or pass --data-dir DIR",
            CacheWriteWarning,
            stacklevel=3,
        )


def _offline_cause(reason: str) -> str:
    """The part of a failure reason that says the network is down, without the ticker prefix."""
    for part in reason.split("; "):
        if classify_reason(part) == OFFLINE:
            return _TICKER_PREFIX.sub("", part).strip()
    return reason


def _with_overlap(
    cached: pd.DataFrame, lo: pd.Timestamp, hi: pd.Timestamp
) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Widen ``[lo, hi]`` to include :data:`OVERLAP_ROWS` cached closes on each side."""
    have = pd.DatetimeIndex(cached.index[cached["Close"].notna()])
    left = have[have < lo]
    right = have[have > hi]
    if len(left):
        lo = left[max(0, len(left) - OVERLAP_ROWS)]
    if len(right):
        hi = right[min(len(right), OVERLAP_ROWS) - 1]
    return pd.Timestamp(lo), pd.Timestamp(hi)


def _basis_disagreement(cached: pd.DataFrame, fresh: pd.DataFrame) -> dict[str, Any] | None:
    """How ``fresh`` disagrees with ``cached`` on the closes they share, or ``None`` if it agrees.

    Notes
    -----
    Relative difference ``|fresh / cached - 1|`` against :data:`REVISION_RTOL`. The last
    cached bar may legitimately be revised and is not compared. Without a shared close
    the basis cannot be verified, which counts as a disagreement.
    """
    old = cached["Close"]
    old = old[np.isfinite(old.to_numpy(dtype=float, na_value=np.nan))]
    new = fresh["Close"].dropna()
    if old.empty or new.empty:
        return None
    last = old.index.max()
    common = old.index.intersection(new.index)
    compared = common[common != last]
    if len(compared) == 0:
        if len(common):  # only the revisable last bar is shared
            return None
        return {
            "compared": 0,
            "disagreeing": 0,
            "max_rel_diff": float("nan"),
            "first_date": None,
            "reason": "the download shares no date with the cache, so the price basis cannot be checked",
        }
    a = old.loc[~old.index.duplicated(keep="last")].reindex(compared).to_numpy(dtype=float)
    b = new.loc[~new.index.duplicated(keep="last")].reindex(compared).to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.abs(b / a - 1.0)
    rel = np.where(np.isfinite(rel), rel, np.inf)
    bad = rel > REVISION_RTOL
    if not bad.any():
        return None
    return {
        "compared": len(compared),
        "disagreeing": int(bad.sum()),
        "max_rel_diff": float(rel[bad].max()),
        "first_date": f"{compared[int(np.argmax(bad))]:{DATE_FORMAT}}",
        "reason": f"closes differ from the cache by more than {REVISION_RTOL:g} (relative)",
    }


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
        # A network error explains a later "possibly delisted; no timezone found": the most
        # specific kind wins (offline, then transient, then permanent).
        logged = reasons.get(ticker) or [default]
        kinds = {classify_reason(r) for r in logged}
        kind: FailureKind = OFFLINE if OFFLINE in kinds else TRANSIENT if TRANSIENT in kinds else PERMANENT
        outcome.failures[ticker] = _Failure("; ".join(logged), kind)

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
    """Cached rows (already checked to agree with ``fresh``) plus what ``fresh`` adds.

    The fresh bar replaces the last cached row (it may have been revised) and any
    cached row without a ``Close``; fresh rows on other dates fill gaps and extend.
    """
    if cached is None or cached.empty:
        return fresh
    cached = cached.loc[~cached.index.duplicated(keep="last")]
    fresh = fresh.loc[~fresh.index.duplicated(keep="last")]
    revisable = cached["Close"].isna().to_numpy()
    if not revisable.all():
        revisable = revisable | (cached.index == cached["Close"].dropna().index.max())
    replace = cached.index.isin(fresh.index[fresh["Close"].notna()]) & revisable
    kept = cached.loc[~replace]
    added = fresh.loc[~fresh.index.isin(kept.index)]
    if added.empty:
        return kept
    merged: pd.DataFrame = pd.concat([kept, added]).sort_index(kind="stable")
    return merged


def _as_utc(ts: pd.Timestamp) -> pd.Timestamp:
    return ts.tz_localize("UTC") if ts.tz is None else ts.tz_convert("UTC")
