"""Study calendar: US equity sessions from a maintained exchange calendar.

Wraps ``exchange_calendars`` (XNYS) so no module hand-writes holidays. Crypto
trades every calendar day; its daily bar closes at the end of the UTC day.

The "expected dates" of a ticker (:func:`trading_days`) are the XNYS sessions for
equities and every calendar day for crypto; the cache, the fetch layer and the
coverage checks all use this one definition to decide what a download lacks.

Session queries read one sorted grid of sessions (:func:`session_grid`). The report
runner writes it beside the panel (:func:`write_session_file`), and notebook kernels
load it (:func:`load_session_file`) instead of importing and building the calendar.
"""

from __future__ import annotations

import json
import warnings
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .config import EXCHANGE_CALENDAR
from .errors import ConfigError
from .universe import is_crypto_symbol

if TYPE_CHECKING:
    import exchange_calendars as xcals

__all__ = [
    "SESSION_FILE",
    "calendar_bounds",
    "exchange_calendar",
    "is_session",
    "last_complete_date",
    "load_session_file",
    "next_session",
    "row_close_times",
    "session_grid",
    "sessions",
    "trading_days",
    "unclosed_rows",
    "write_session_file",
]

ONE_DAY = pd.Timedelta(days=1)

#: Earliest date the calendar is built from (covers ^GSPC history from 1927).
CALENDAR_FIRST_DATE = "1900-01-01"
#: The calendar reaches this far past today (exchange_calendars' own default horizon).
CALENDAR_YEARS_AHEAD = 1


def calendar_bounds() -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last date the study calendar is built for, without building it.

    A date parameter is checked against these bounds; building the calendar (about half
    a second) is left to the code that needs its sessions.
    """
    today = pd.Timestamp.now(tz="UTC").tz_localize(None).normalize()
    return pd.Timestamp(CALENDAR_FIRST_DATE), today + pd.DateOffset(years=CALENDAR_YEARS_AHEAD)


@lru_cache(maxsize=4)
def exchange_calendar(code: str = EXCHANGE_CALENDAR) -> xcals.ExchangeCalendar:
    """The cached XNYS calendar over :func:`calendar_bounds` (the only place that builds it)."""
    import exchange_calendars as xcals  # lazy: only code that needs sessions pays for it

    first, last = calendar_bounds()
    with warnings.catch_warnings():
        # exchange_calendars 4.13 reads Series.values, deprecated in pandas 3.1 (not our code).
        warnings.filterwarnings("ignore", message="Series.values returning an ndarray")
        return xcals.get_calendar(code, start=first, end=last)


#: File name of the session grid the report runner publishes beside its panel (see
#: :func:`write_session_file`); its kernels read it instead of building the calendar.
SESSION_FILE = "xnys-sessions.json"

_loaded: dict[str, pd.DatetimeIndex] = {}


def _calendar_version() -> str:
    from importlib.metadata import version

    return version("exchange_calendars")


def _grid_header(code: str) -> dict[str, str]:
    first, last = calendar_bounds()
    return {
        "calendar": code,
        "first": str(first.date()),
        "last": str(last.date()),
        "exchange_calendars": _calendar_version(),
    }


def write_session_file(directory: Path, code: str = EXCHANGE_CALENDAR) -> Path:
    """Write the calendar's sessions to ``directory/SESSION_FILE`` (atomically) and return the path.

    The file names the calendar, its bounds and the ``exchange_calendars`` version, so
    :func:`load_session_file` accepts it only for the very calendar this process would build.
    """
    from . import atomic

    grid = session_grid(code)
    days = (grid.to_numpy(dtype="datetime64[D]").astype(np.int64)).tolist()
    payload = {**_grid_header(code), "sessions_days_since_epoch": days}
    path = Path(directory) / SESSION_FILE
    atomic.write_text(path, json.dumps(payload, separators=(",", ":")))
    return path


def load_session_file(path: Path, code: str = EXCHANGE_CALENDAR) -> bool:
    """Use the sessions in ``path`` (from :func:`write_session_file`) for ``code``; True if taken.

    Building the calendar costs about 0.7 s, mostly importing ``exchange_calendars``. A file
    written for other bounds (another day), another calendar or another library version, or
    one that cannot be read, is ignored and the calendar is built when first needed.
    """
    try:
        payload: dict[str, Any] = json.loads(Path(path).read_text(encoding="utf-8"))
        header = {k: payload.get(k) for k in ("calendar", "first", "last", "exchange_calendars")}
        if header != _grid_header(code):
            return False
        days = np.asarray(payload["sessions_days_since_epoch"], dtype=np.int64)
    except (OSError, ValueError, KeyError, TypeError):
        return False
    if days.ndim != 1 or days.size == 0 or (np.diff(days) <= 0).any():
        return False
    grid = pd.DatetimeIndex(days.astype("datetime64[D]").astype("datetime64[ns]"), name="Date")
    _loaded[code] = grid
    return True


def session_grid(code: str = EXCHANGE_CALENDAR) -> pd.DatetimeIndex:
    """Every session of the study calendar over :func:`calendar_bounds` (tz-naive dates)."""
    grid = _loaded.get(code)
    if grid is None:
        grid = pd.DatetimeIndex(exchange_calendar(code).sessions).tz_localize(None)
        grid.name = "Date"
        _loaded[code] = grid
    return grid


def sessions(start: pd.Timestamp | str, end: pd.Timestamp | str) -> pd.DatetimeIndex:
    """XNYS sessions between ``start`` and ``end`` inclusive (tz-naive midnight dates).

    Raises
    ------
    ConfigError
        If ``start`` is after ``end``.
    """
    s, e = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    if s > e:
        raise ConfigError(f"start {s.date()} is after end {e.date()}")
    grid = session_grid()
    lo, hi = grid.searchsorted(s, side="left"), grid.searchsorted(e, side="right")
    out = pd.DatetimeIndex(grid[lo:hi], name="Date")
    return out


def is_session(date: pd.Timestamp | str) -> bool:
    """True if ``date`` is an XNYS session."""
    d = pd.Timestamp(date).normalize()
    grid = session_grid()
    if not grid[0] <= d <= grid[-1]:
        return bool(exchange_calendar().is_session(d))  # out of bounds: the library's own error
    return bool(grid[int(grid.searchsorted(d))] == d)


def next_session(date: pd.Timestamp | str) -> pd.Timestamp:
    """The session on or after ``date``."""
    d = pd.Timestamp(date).normalize()
    grid = session_grid()
    if not grid[0] <= d <= grid[-1]:  # out of bounds: the library's own answer or error
        return pd.Timestamp(exchange_calendar().date_to_session(d, direction="next")).tz_localize(None)
    return pd.Timestamp(grid[int(grid.searchsorted(d))])


def row_close_times(index: pd.DatetimeIndex, *, crypto: bool) -> pd.Series:
    """UTC time at which each dated daily bar is complete.

    Equities: the XNYS session close (early closes included); non-session dates
    map to NaT. Crypto: the end of the UTC day.
    """
    idx = pd.DatetimeIndex(index).normalize()
    if crypto:
        vals = (idx + pd.Timedelta(days=1)).tz_localize("UTC")
        return pd.Series(vals, index=index)
    cal = exchange_calendar()
    closes = cal.schedule["close"]
    result: pd.Series = closes.reindex(idx).set_axis(index)
    return result


def unclosed_rows(index: pd.DatetimeIndex, captured_at: pd.Timestamp, *, crypto: bool) -> pd.DatetimeIndex:
    """Dates whose bar was not complete at ``captured_at`` (partial-day rows).

    Parameters
    ----------
    index
        Dates of a raw frame.
    captured_at
        When the data were downloaded; naive values are taken as UTC.
    crypto
        Whether the ticker trades 24/7 (bar closes at the end of the UTC day).
    """
    ts = pd.Timestamp(captured_at)
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    close = row_close_times(index, crypto=crypto)
    mask = close.notna() & (close > ts)
    return pd.DatetimeIndex(index[mask.to_numpy()])


def trading_days(start: pd.Timestamp | str, end: pd.Timestamp | str, *, crypto: bool) -> pd.DatetimeIndex:
    """Dates on which a daily bar is expected, ``start``..``end`` inclusive.

    Equities: XNYS sessions. Crypto: every calendar day. Empty when ``start > end``
    (unlike :func:`sessions`, which raises: callers ask for possibly empty spans).
    """
    s, e = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    if s > e:
        return pd.DatetimeIndex([], name="Date")
    if crypto:
        return pd.date_range(s, e, freq="D", name="Date")
    return sessions(s, e)


def last_complete_date(ticker: str, now: pd.Timestamp) -> pd.Timestamp:
    """Latest date whose daily bar of ``ticker`` was final at ``now``.

    Parameters
    ----------
    ticker
        Tickers ending in ``-USD`` are crypto (the bar closes at 24:00 UTC);
        others follow the NYSE calendar (``session_close`` of the date).
    now
        Time of the fetch (naive is taken as UTC).

    Raises
    ------
    ConfigError
        If ``now`` lies outside the exchange calendar's bounds.
    """
    ts = pd.Timestamp(now)
    ts = ts.tz_localize("UTC") if ts.tz is None else ts.tz_convert("UTC")
    if is_crypto_symbol(ticker):
        return ts.normalize().tz_localize(None) - ONE_DAY
    cal = exchange_calendar()
    today = ts.tz_convert(cal.tz).normalize().tz_localize(None)
    if not cal.first_session <= today <= cal.last_session:
        raise ConfigError(
            f"now={ts.isoformat()} is outside the {EXCHANGE_CALENDAR} calendar "
            f"({cal.first_session.date()}..{cal.last_session.date()})"
        )
    if cal.is_session(today) and cal.session_close(today) <= ts:
        return today
    return today - ONE_DAY
