"""Study calendar: US equity sessions from a maintained exchange calendar.

Wraps ``exchange_calendars`` (XNYS) so no module hand-writes holidays. Crypto
trades every calendar day; its daily bar closes at the end of the UTC day.
"""

from __future__ import annotations

import warnings
from functools import lru_cache

import exchange_calendars as xcals
import pandas as pd

from .config import EXCHANGE_CALENDAR
from .errors import ConfigError

__all__ = [
    "exchange_calendar",
    "is_session",
    "next_session",
    "row_close_times",
    "sessions",
    "unclosed_rows",
]

#: Earliest date the calendar is built from (covers ^GSPC history from 1927).
CALENDAR_FIRST_DATE = "1900-01-01"


@lru_cache(maxsize=4)
def exchange_calendar(code: str = EXCHANGE_CALENDAR) -> xcals.ExchangeCalendar:
    """The cached XNYS calendar from 1900 (the only place that builds it)."""
    with warnings.catch_warnings():
        # exchange_calendars 4.13 reads Series.values, deprecated in pandas 3.1 (not our code).
        warnings.filterwarnings("ignore", message="Series.values returning an ndarray")
        return xcals.get_calendar(code, start=CALENDAR_FIRST_DATE)


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
    cal = exchange_calendar()
    s = max(s, cal.first_session)
    e = min(e, cal.last_session)
    if s > e:
        return pd.DatetimeIndex([], name="Date")
    out = pd.DatetimeIndex(cal.sessions_in_range(s, e)).tz_localize(None)
    out.name = "Date"
    return out


def is_session(date: pd.Timestamp | str) -> bool:
    """True if ``date`` is an XNYS session."""
    return bool(exchange_calendar().is_session(pd.Timestamp(date).normalize()))


def next_session(date: pd.Timestamp | str) -> pd.Timestamp:
    """The session on or after ``date``."""
    d = pd.Timestamp(date).normalize()
    return pd.Timestamp(exchange_calendar().date_to_session(d, direction="next")).tz_localize(None)


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
