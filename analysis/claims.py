"""The article's quantitative claims (December 2025) checked against the data.

A December 2025 news story argued that crypto and tech stocks fell together.
:func:`claims_table` states each of its quantitative claims as a number
(:data:`ARTICLE_BTC_30D`, ...), measures the same quantity from the cleaned
data of this run, and gives a verdict from a stated rule with tolerances from
:class:`ClaimParams`. Nothing is hard-coded: every measured value is computed
from the inputs, using only data dated on or before ``as_of``.

Verdicts are one of :data:`SUPPORTED`, :data:`NOT_SUPPORTED` and
:data:`NOT_MEASURABLE`. A claim whose data are missing (ticker absent, no price
near a window end, event after ``as_of``) is "not measurable with this data"
with the reason in ``note``; it never raises.

Claims (``claim_id``; ``measured_value``):

* ``btc_30d``: BTC 30-calendar-day simple return from ``crypto_daily``.
* ``btc_level``: BTC daily close on ``as_of`` (USD).
* ``cd20_30d``: 30-day return of the CoinDesk 20 *proxy* (:mod:`analysis.crypto_index`) under
  each weighting passed (capped, uncapped, equal: :func:`~analysis.crypto_index.cd20_weightings`);
  supported only if the article's figure lies in their range widened by at most 1pp.
* ``ndx_30d``: Nasdaq-100 return between the last sessions on/before ``as_of - 30d`` and ``as_of``.
* ``ndx_max_drawdown``: Nasdaq-100 max peak-to-trough drawdown of closes in that window.
* ``abtc_drop``: ABTC intraday low on 2025-12-02 vs the previous close (close-to-close
  return when no low is available; the verdict is then "not measurable").
* ``hut_drop``: HUT close-to-close return on 2025-12-02.
* ``iren_soaring``: IREN close-to-close return on the 2025-11-03 deal session.
* ``crypto_tech_together``: correlation of BTC and NDX daily session log returns in the
  NDX window (verdict also needs both 30-day returns negative).

Every measured value carries its ``unit`` (:data:`UNIT_FRACTION` for returns and
drawdowns, :data:`UNIT_USD` for the BTC level, :data:`UNIT_CORRELATION`). The
sensitivity dates are derived from ``as_of`` (:func:`sensitivity_dates`) and
:func:`verdict_stability` says per claim whether its verdict holds across them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Literal, cast

import numpy as np
import pandas as pd

from ._typing import DateLike
from ._validation import as_timestamp, check_index, check_int
from .crypto_index import CryptoIndex
from .errors import ConfigError
from .returns import log_returns, max_drawdown

__all__ = [
    "ARTICLE_ABTC_INTRADAY",
    "ARTICLE_BTC_30D",
    "ARTICLE_BTC_LEVEL",
    "ARTICLE_CD20_30D",
    "ARTICLE_EVENT_DATE",
    "ARTICLE_HUT_DAY",
    "ARTICLE_IREN_DEAL_DATE",
    "ARTICLE_IREN_DEAL_USD",
    "ARTICLE_NDX_30D",
    "ARTICLE_NDX_DRAWDOWN",
    "CD20_MAX_WIDENING",
    "CLAIM_COLUMNS",
    "CLAIM_IDS",
    "DEFAULT_SENSITIVITY_DATES",
    "NOT_MEASURABLE",
    "NOT_SUPPORTED",
    "SENSITIVITY_SESSIONS_AFTER",
    "SENSITIVITY_SESSIONS_BEFORE",
    "SUPPORTED",
    "UNIT_CORRELATION",
    "UNIT_FRACTION",
    "UNIT_USD",
    "VERDICTS",
    "ClaimParams",
    "ClaimsStudy",
    "claims_sensitivity",
    "claims_study",
    "claims_table",
    "sensitivity_dates",
    "verdict_stability",
]

# ---------------------------------------------------------------------------
# The article's figures (as the article states them)
# ---------------------------------------------------------------------------

#: BTC "down more than 17%" over the 30 days to early December 2025.
ARTICLE_BTC_30D = -0.17
#: BTC "trading around $87,058".
ARTICLE_BTC_LEVEL = 87_058.0
#: CoinDesk 20 index "down 19.3%" over the same 30 days.
ARTICLE_CD20_30D = -0.193
#: Nasdaq-100 "down about 1.5%" over the 30 days.
ARTICLE_NDX_30D = -0.015
#: Nasdaq-100 "a drawdown of more than 7%" within the month.
ARTICLE_NDX_DRAWDOWN = -0.07
#: American Bitcoin (ABTC) "down as much as 50%" (intraday) on the event session.
ARTICLE_ABTC_INTRADAY = -0.50
#: Hut 8 (HUT) "down 12%" on the event session.
ARTICLE_HUT_DAY = -0.12
#: Session of the ABTC/HUT falls (ABTC lock-up expiry).
ARTICLE_EVENT_DATE = "2025-12-02"
#: Session of IREN's Microsoft AI-cloud contract announcement.
ARTICLE_IREN_DEAL_DATE = "2025-11-03"
#: Value of IREN's Microsoft contract, USD (text only; not a market quantity).
ARTICLE_IREN_DEAL_USD = 9.7e9

BTC = "BTC-USD"
NDX = "^NDX"
ABTC = "ABTC"
HUT = "HUT"
IREN = "IREN"

#: Units of ``measured_value`` / ``article_value``: a fraction (0.05 = 5%), US dollars, a correlation.
UNIT_FRACTION = "fraction"
UNIT_USD = "USD"
UNIT_CORRELATION = "correlation"

#: The CD20 claim is supported only if the article's figure lies within the range of the proxy's
#: returns under the weightings passed, widened by at most this much (1 percentage point).
CD20_MAX_WIDENING = 0.01

SUPPORTED = "supported"
NOT_SUPPORTED = "not supported"
NOT_MEASURABLE = "not measurable with this data"
VERDICTS: tuple[str, ...] = (SUPPORTED, NOT_SUPPORTED, NOT_MEASURABLE)

#: Columns of :func:`claims_table`, in order.
CLAIM_COLUMNS: tuple[str, ...] = (
    "claim_id",
    "claim",
    "article_value",
    "article_text",
    "measured_value",
    "unit",
    "measured_text",
    "window",
    "data_used",
    "rule",
    "verdict",
    "note",
    "band_lo",
    "band_hi",
)

#: Sensitivity dates: this many sessions before the as-of session ...
SENSITIVITY_SESSIONS_BEFORE = 1
#: ... and this many after it (sessions that exist in the data; the claims look a few days ahead).
SENSITIVITY_SESSIONS_AFTER = 3
#: The sensitivity dates of the article's as-of date 2025-12-02 (kept for older callers; the
#: default is now derived from ``as_of`` by :func:`sensitivity_dates`).
DEFAULT_SENSITIVITY_DATES: tuple[str, ...] = (
    "2025-12-01",
    "2025-12-02",
    "2025-12-03",
    "2025-12-04",
    "2025-12-05",
)

#: Absolute slack on tolerance comparisons, so that a value exactly at a tolerance counts as inside.
_TOLERANCE_SLACK = 1e-12


@dataclass(frozen=True)
class ClaimParams:
    """Windows and tolerances of the verdict rules.

    Tolerances ``*_tol`` are absolute, in return units (``0.03`` = 3
    percentage points), except ``btc_level_rel_tol`` (relative to the level).
    """

    window_days: int = 30
    """Length of the "30 days" window, in calendar days before ``as_of``."""
    btc_level_rel_tol: float = 0.03
    """BTC close within 3% of $87,058."""
    cd20_tol: float = CD20_MAX_WIDENING
    """Widening of the CD20 proxy's range over weightings (at most :data:`CD20_MAX_WIDENING`, 1pp)."""
    ndx_tol: float = 0.01
    """Nasdaq-100 return within 1pp of -1.5%."""
    abtc_tol: float = 0.05
    """ABTC intraday drop within 5pp of -50%."""
    hut_tol: float = 0.02
    """HUT close-to-close return within 2pp of -12%."""
    iren_threshold: float = 0.10
    """IREN "soaring": deal-session close-to-close return above +10%."""
    iren_followup_sessions: int = 5
    """Sessions of the follow-up IREN return (the deal session counts as the first)."""
    min_corr_obs: int = 10
    """Fewest joint daily returns for the crypto-tech correlation."""
    max_stale_days: int = 5
    """A window end may use a close at most this many calendar days before the target date."""

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ConfigError(f"ClaimParams.{f.name} must be a number, got {value!r}")
            if f.type in ("int", int) and not isinstance(value, int):
                raise ConfigError(f"ClaimParams.{f.name} must be an integer, got {value!r}")
            minimum = 0 if f.name == "max_stale_days" else (2 if f.name == "min_corr_obs" else None)
            if minimum is not None:
                if value < minimum:
                    raise ConfigError(f"ClaimParams.{f.name} must be >= {minimum}, got {value!r}")
            elif not (math.isfinite(value) and value > 0):
                raise ConfigError(f"ClaimParams.{f.name} must be a positive number, got {value!r}")
        if self.cd20_tol > CD20_MAX_WIDENING + _TOLERANCE_SLACK:
            raise ConfigError(
                f"ClaimParams.cd20_tol widens the CD20 proxy's range by at most {CD20_MAX_WIDENING:.2f} "
                f"(1 percentage point), got {self.cd20_tol!r}; a wider band could not fail"
            )


# ---------------------------------------------------------------------------
# Internals
# ---------------------------------------------------------------------------


class _NotMeasurable(Exception):
    """Raised inside a claim measurement; becomes a "not measurable" row."""

    def __init__(self, reason: str, window: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.window = window


@dataclass(frozen=True)
class _Context:
    prices: pd.DataFrame
    crypto: pd.DataFrame
    lows: pd.DataFrame | None
    cd20: dict[str, pd.Series] | None
    cd20_label: str
    as_of: pd.Timestamp
    start: pd.Timestamp
    params: ClaimParams


@dataclass(frozen=True)
class _Measured:
    value: float
    text: str
    window: str
    verdict: str
    note: str = ""
    data_used: str | None = None
    band: tuple[float, float] | None = None
    """The region of the measured value that the rule calls supported (overrides the spec's)."""


#: No band: a claim whose verdict is not a region of its measured value alone (e.g. a rule with
#: conditions on other quantities too, such as ``crypto_tech_together``).
_NO_BAND = (math.nan, math.nan)


@dataclass(frozen=True)
class _Spec:
    claim: str
    article_value: float
    article_text: str
    data_used: str
    rule: Callable[[ClaimParams], str]
    measure: Callable[[_Context], _Measured]
    unit: str = UNIT_FRACTION
    band: Callable[[ClaimParams], tuple[float, float]] = lambda p: _NO_BAND
    """Supported region of the measured value (``-inf``/``inf`` for one-sided rules)."""


def _d(ts: pd.Timestamp) -> str:
    return str(pd.Timestamp(ts).date())


def _pct(x: float, digits: int = 1) -> str:
    return f"{x:+.{digits}%}"


def _pp(x: float) -> str:
    return f"{x * 100:.1f}pp"


def _within(value: float, target: float, tol: float) -> bool:
    return abs(value - target) <= tol + _TOLERANCE_SLACK


def _verdict(ok: bool) -> str:
    return SUPPORTED if ok else NOT_SUPPORTED


def _column(frame: pd.DataFrame | None, ticker: str, frame_name: str) -> pd.Series:
    """One column as float, or ``_NotMeasurable`` naming what is missing."""
    if frame is None:
        raise _NotMeasurable(f"no {frame_name} frame passed")
    if ticker not in frame.columns:
        raise _NotMeasurable(f"{ticker} not in {frame_name}")
    series = frame[ticker].astype(np.float64)
    if not series.notna().any():
        raise _NotMeasurable(f"{ticker} has no data in {frame_name} on or before as_of")
    return series


def _point(series: pd.Series, date: pd.Timestamp, label: str, max_stale: int) -> tuple[pd.Timestamp, float]:
    """Last valid value on or before ``date`` (at most ``max_stale`` calendar days earlier)."""
    valid = series.loc[:date].dropna()
    if valid.empty:
        present = series.index[series.notna().to_numpy()]
        cover = f"; its data start {_d(pd.Timestamp(present[0]))}" if len(present) else ""
        raise _NotMeasurable(f"no {label} on or before {_d(date)} (outside the data range{cover})")
    when = pd.Timestamp(valid.index[-1])
    if (date - when).days > max_stale:
        raise _NotMeasurable(
            f"last {label} on or before {_d(date)} is {_d(when)}, more than {max_stale} days earlier"
        )
    return when, float(valid.iloc[-1])


@dataclass(frozen=True)
class _WindowReturn:
    d0: pd.Timestamp
    p0: float
    d1: pd.Timestamp
    p1: float

    @property
    def simple(self) -> float:
        return self.p1 / self.p0 - 1.0


def _window_return(series: pd.Series, ctx: _Context, label: str) -> _WindowReturn:
    d1, p1 = _point(series, ctx.as_of, label, ctx.params.max_stale_days)
    d0, p0 = _point(series, ctx.start, label, ctx.params.max_stale_days)
    if d0 >= d1:
        raise _NotMeasurable(f"a single {label} between {_d(ctx.start)} and {_d(ctx.as_of)}")
    return _WindowReturn(d0, p0, d1, p1)


def _calendar_window_text(w: _WindowReturn) -> str:
    return f"{_d(w.d0)} .. {_d(w.d1)} ({(w.d1 - w.d0).days} calendar days)"


def _session_window_text(w: _WindowReturn, series: pd.Series, ctx: _Context) -> str:
    n = int(series.loc[w.d0 : w.d1].notna().sum()) - 1
    return (
        f"{_d(w.d0)} .. {_d(w.d1)} (last sessions on/before {_d(ctx.start)} and {_d(ctx.as_of)}; "
        f"{n} session returns)"
    )


def _adjusted_note(w: _WindowReturn, ctx: _Context) -> str:
    moved = []
    if w.d0 != ctx.start:
        moved.append(f"start {_d(ctx.start)} -> {_d(w.d0)}")
    if w.d1 != ctx.as_of:
        moved.append(f"end {_d(ctx.as_of)} -> {_d(w.d1)}")
    return f"used the last close on or before each window end ({', '.join(moved)})" if moved else ""


def _join(*parts: str) -> str:
    return "; ".join(p for p in parts if p)


def _event_day(
    ctx: _Context, ticker: str, date: str
) -> tuple[pd.Series, pd.Timestamp, float, pd.Timestamp, float]:
    """Close on the event session and the previous valid close (both required)."""
    day = pd.Timestamp(date)
    if day > ctx.as_of:
        raise _NotMeasurable(f"event session {date} is after as_of {_d(ctx.as_of)}")
    series = _column(ctx.prices, ticker, "prices")
    if day not in series.index or pd.isna(series.loc[day]):
        raise _NotMeasurable(f"no {ticker} close on {date} (not a session in the data, or missing)")
    prev = series.loc[: day - pd.Timedelta(days=1)].dropna()
    if prev.empty:
        raise _NotMeasurable(f"no {ticker} close before {date} (outside the data range)")
    d_prev = pd.Timestamp(prev.index[-1])
    if (day - d_prev).days > ctx.params.max_stale_days:
        raise _NotMeasurable(
            f"previous {ticker} close is {_d(d_prev)}, "
            f"more than {ctx.params.max_stale_days} days before {date}"
        )
    return series, day, float(series.loc[day]), d_prev, float(prev.iloc[-1])


def _intraday_low(ctx: _Context, ticker: str, day: pd.Timestamp) -> float | None:
    if ctx.lows is None or ticker not in ctx.lows.columns or day not in ctx.lows.index:
        return None
    value = float(ctx.lows[ticker].astype(np.float64).loc[day])
    return value if math.isfinite(value) and value > 0 else None


# ---------------------------------------------------------------------------
# One measurement per claim
# ---------------------------------------------------------------------------


def _btc_30d(ctx: _Context) -> _Measured:
    w = _window_return(_column(ctx.crypto, BTC, "crypto_daily"), ctx, "BTC-USD close")
    r = w.simple
    return _Measured(
        value=r,
        text=f"{_pct(r)} ({w.p0:,.0f} -> {w.p1:,.0f} USD)",
        window=_calendar_window_text(w),
        verdict=_verdict(r < ARTICLE_BTC_30D),
        note=_adjusted_note(w, ctx),
    )


def _btc_level(ctx: _Context) -> _Measured:
    series = _column(ctx.crypto, BTC, "crypto_daily")
    day, price = _point(series, ctx.as_of, "BTC-USD close", ctx.params.max_stale_days)
    rel = price / ARTICLE_BTC_LEVEL - 1.0
    return _Measured(
        value=price,
        text=f"${price:,.0f} ({_pct(rel)} vs ${ARTICLE_BTC_LEVEL:,.0f})",
        window=f"{_d(day)} (daily close)",
        verdict=_verdict(abs(rel) <= ctx.params.btc_level_rel_tol + _TOLERANCE_SLACK),
        note=_join(
            "the article's figure is a quote at its time of writing; this is the daily close (00:00 UTC)",
            f"used {_d(day)}, the last close on or before {_d(ctx.as_of)}" if day != ctx.as_of else "",
        ),
    )


def _cd20_30d(ctx: _Context) -> _Measured:
    if not ctx.cd20:
        raise _NotMeasurable(
            "Yahoo has no CoinDesk 20 series and no proxy could be built (it needs at least two "
            "crypto tickers; callers pass cd20_proxy_level=analysis.crypto_index.cd20_weightings(...))"
        )
    returns: dict[str, float] = {}
    first: _WindowReturn | None = None
    for name, level in ctx.cd20.items():
        series = level.loc[: ctx.as_of].astype(np.float64)
        if not series.notna().any():
            raise _NotMeasurable(f"the CD20 proxy level ({name}) has no value on or before as_of")
        w = _window_return(series, ctx, f"CD20 proxy level ({name})")
        returns[name] = w.simple
        first = first or w
    assert first is not None
    values = list(returns.values())
    lo, hi = min(values), max(values)
    tol = ctx.params.cd20_tol
    inside = lo - tol - _TOLERANCE_SLACK <= ARTICLE_CD20_30D <= hi + tol + _TOLERANCE_SLACK
    each = ", ".join(f"{name} {_pct(r)}" for name, r in returns.items())
    span = f"range {_pct(lo)} .. {_pct(hi)}" if len(values) > 1 else f"one weighting, {_pct(lo)}"
    gap = 0.0 if lo <= ARTICLE_CD20_30D <= hi else min(abs(ARTICLE_CD20_30D - lo), abs(ARTICLE_CD20_30D - hi))
    return _Measured(
        value=values[0],
        text=(
            f"{each} ({span}; the article's {_pct(ARTICLE_CD20_30D)} is "
            + ("inside it)" if gap == 0.0 else f"{_pp(gap)} outside it; allowed {_pp(tol)})")
        ),
        window=_calendar_window_text(first),
        verdict=_verdict(inside),
        band=(lo - tol, hi + tol),
        note=_join(
            f"{ctx.cd20_label}: a PROXY, not the CoinDesk 20 itself; see CryptoIndex.notes; "
            f"measured_value is the {next(iter(returns))} weighting",
            _adjusted_note(first, ctx),
        ),
    )


def _ndx_window(ctx: _Context) -> tuple[pd.Series, _WindowReturn]:
    series = _column(ctx.prices, NDX, "prices")
    return series, _window_return(series, ctx, "^NDX close")


def _ndx_30d(ctx: _Context) -> _Measured:
    series, w = _ndx_window(ctx)
    r = w.simple
    return _Measured(
        value=r,
        text=f"{_pct(r)} ({w.p0:,.2f} -> {w.p1:,.2f})",
        window=_session_window_text(w, series, ctx),
        verdict=_verdict(_within(r, ARTICLE_NDX_30D, ctx.params.ndx_tol)),
    )


def _ndx_max_drawdown(ctx: _Context) -> _Measured:
    series, w = _ndx_window(ctx)
    mdd = max_drawdown(series.rename(NDX), w.d0, w.d1)
    return _Measured(
        value=mdd.drawdown,
        text=(
            f"{_pct(mdd.drawdown)} (peak {_d(mdd.peak_date)} {mdd.peak_price:,.2f} -> "
            f"trough {_d(mdd.trough_date)} {mdd.trough_price:,.2f})"
        ),
        window=_session_window_text(w, series, ctx),
        verdict=_verdict(mdd.drawdown < ARTICLE_NDX_DRAWDOWN),
        note="daily closes; the intraday peak-to-trough move can be larger",
    )


def _abtc_drop(ctx: _Context) -> _Measured:
    _, day, close, d_prev, prev = _event_day(ctx, ABTC, ARTICLE_EVENT_DATE)
    cc = close / prev - 1.0
    window = f"{_d(d_prev)} close .. {_d(day)}"
    low = _intraday_low(ctx, ABTC, day)
    if low is None:
        return _Measured(
            value=cc,
            text=f"close-to-close {_pct(cc)} (intraday low not available)",
            window=window + " close (close to close)",
            verdict=NOT_MEASURABLE,
            note=(
                f"no ABTC intraday low for {_d(day)} in lows: the intraday figure cannot be checked; "
                f"the close-to-close move is reported instead (the low is at or below the close, so the "
                f"intraday drop was at least {-cc:.1%})"
                if cc < 0
                else f"no ABTC intraday low for {_d(day)} in lows; close-to-close move reported instead"
            ),
            data_used="ABTC adjusted close (prices); no intraday low",
        )
    drop = low / prev - 1.0
    return _Measured(
        value=drop,
        text=f"{_pct(drop)} intraday low vs previous close (close-to-close {_pct(cc)})",
        window=window + " low",
        verdict=_verdict(_within(drop, ARTICLE_ABTC_INTRADAY, ctx.params.abtc_tol)),
        note=_join(
            "lows must be on the prices' (adjusted) basis, as analysis.clean provides them",
            "low above the close: check the lows' price basis" if low > close else "",
        ),
    )


def _hut_drop(ctx: _Context) -> _Measured:
    _, day, close, d_prev, prev = _event_day(ctx, HUT, ARTICLE_EVENT_DATE)
    cc = close / prev - 1.0
    low = _intraday_low(ctx, HUT, day)
    return _Measured(
        value=cc,
        text=f"{_pct(cc)} close to close",
        window=f"{_d(d_prev)} .. {_d(day)} (close to close)",
        verdict=_verdict(_within(cc, ARTICLE_HUT_DAY, ctx.params.hut_tol)),
        note=f"intraday low {_pct(low / prev - 1.0)} vs previous close" if low is not None else "",
    )


def _iren_soaring(ctx: _Context) -> _Measured:
    series, day, close, d_prev, prev = _event_day(ctx, IREN, ARTICLE_IREN_DEAL_DATE)
    r = close / prev - 1.0
    k = ctx.params.iren_followup_sessions
    after = series.loc[day : ctx.as_of].dropna()
    if len(after) >= k:
        d_k, p_k = pd.Timestamp(after.index[k - 1]), float(after.iloc[k - 1])
        follow = f"; {_pct(p_k / prev - 1.0)} over {k} sessions to {_d(d_k)}"
        follow_window = f"; {_d(d_prev)} .. {_d(d_k)} ({k} sessions)"
        follow_note = ""
    else:
        follow, follow_window = "", ""
        follow_note = f"only {len(after)} of {k} follow-up sessions on or before as_of"
    return _Measured(
        value=r,
        text=f"{_pct(r)} on {_d(day)} (close to close){follow}",
        window=f"{_d(d_prev)} .. {_d(day)} (deal session, close to close){follow_window}",
        verdict=_verdict(r > ctx.params.iren_threshold),
        note=_join(
            f"article gives no figure for 'soaring' (deal value ${ARTICLE_IREN_DEAL_USD / 1e9:.1f}B); "
            "threshold from ClaimParams.iren_threshold",
            follow_note,
        ),
    )


def _crypto_tech_together(ctx: _Context) -> _Measured:
    btc_w = _window_return(_column(ctx.crypto, BTC, "crypto_daily"), ctx, "BTC-USD close")
    ndx, ndx_w = _ndx_window(ctx)
    btc_sessions = _column(ctx.prices, BTC, "prices")
    pair = pd.DataFrame({BTC: btc_sessions, NDX: ndx}).loc[ndx_w.d0 : ndx_w.d1]
    rets = log_returns(pair).iloc[1:].dropna()
    n = len(rets)
    if n < ctx.params.min_corr_obs:
        raise _NotMeasurable(
            f"only {n} joint daily BTC/NDX session returns in the window (need {ctx.params.min_corr_obs})",
            window=f"{_d(ndx_w.d0)} .. {_d(ndx_w.d1)}",
        )
    corr = float(np.corrcoef(rets[BTC].to_numpy(), rets[NDX].to_numpy())[0, 1])
    if not math.isfinite(corr):
        raise _NotMeasurable("correlation undefined (a return series is constant in the window)")
    ok = btc_w.simple < 0 and ndx_w.simple < 0 and corr > 0
    return _Measured(
        value=corr,
        text=f"BTC {_pct(btc_w.simple)}, NDX {_pct(ndx_w.simple)}, correlation {corr:+.2f} (n={n})",
        window=(
            f"BTC {_calendar_window_text(btc_w)}; NDX and correlation {_d(ndx_w.d0)} .. {_d(ndx_w.d1)} "
            f"({n} session returns)"
        ),
        verdict=_verdict(ok),
        note=(
            "BTC sampled at US session dates (weekend moves compound into the next session); its daily "
            "close (00:00 UTC) is 3-4 hours after the Nasdaq close"
        ),
    )


_SPECS: dict[str, _Spec] = {
    "btc_30d": _Spec(
        claim="Bitcoin fell more than 17% over the 30 days to early December 2025",
        article_value=ARTICLE_BTC_30D,
        article_text="down more than 17% over 30 days",
        data_used="BTC-USD daily close (UTC), crypto_daily",
        rule=lambda p: f"supported if the {p.window_days}-day return < {ARTICLE_BTC_30D:.0%}",
        measure=_btc_30d,
        band=lambda p: (-math.inf, ARTICLE_BTC_30D),
    ),
    "btc_level": _Spec(
        claim="Bitcoin traded around $87,058",
        article_value=ARTICLE_BTC_LEVEL,
        article_text="trading around $87,058",
        data_used="BTC-USD daily close (UTC), crypto_daily",
        rule=lambda p: (
            f"supported if |close / {ARTICLE_BTC_LEVEL:,.0f} - 1| <= {p.btc_level_rel_tol:.0%} on as_of"
        ),
        measure=_btc_level,
        unit=UNIT_USD,
        band=lambda p: (
            ARTICLE_BTC_LEVEL * (1 - p.btc_level_rel_tol),
            ARTICLE_BTC_LEVEL * (1 + p.btc_level_rel_tol),
        ),
    ),
    "cd20_30d": _Spec(
        claim="The CoinDesk 20 index fell 19.3% over the same 30 days",
        article_value=ARTICLE_CD20_30D,
        article_text="down 19.3%",
        data_used="CD20 proxy levels (analysis.crypto_index, from crypto_daily)",
        rule=lambda p: (
            f"supported if {ARTICLE_CD20_30D:.1%} lies within the range of the proxy's {p.window_days}-day "
            f"returns under the weightings passed, widened by {_pp(p.cd20_tol)}"
        ),
        measure=_cd20_30d,
    ),
    "ndx_30d": _Spec(
        claim="The Nasdaq-100 fell about 1.5% over the 30 days",
        article_value=ARTICLE_NDX_30D,
        article_text="down about 1.5%",
        data_used="^NDX session close, prices",
        rule=lambda p: (
            f"supported if |{p.window_days}-day return - ({ARTICLE_NDX_30D:.1%})| <= {_pp(p.ndx_tol)}"
        ),
        measure=_ndx_30d,
        band=lambda p: (ARTICLE_NDX_30D - p.ndx_tol, ARTICLE_NDX_30D + p.ndx_tol),
    ),
    "ndx_max_drawdown": _Spec(
        claim="The Nasdaq-100 had a drawdown of more than 7% within the month",
        article_value=ARTICLE_NDX_DRAWDOWN,
        article_text="a drawdown of more than 7% within the month",
        data_used="^NDX session close, prices",
        rule=lambda p: (
            "supported if the max peak-to-trough drawdown of closes in the window "
            f"< {ARTICLE_NDX_DRAWDOWN:.0%}"
        ),
        measure=_ndx_max_drawdown,
        band=lambda p: (-math.inf, ARTICLE_NDX_DRAWDOWN),
    ),
    "abtc_drop": _Spec(
        claim=f"American Bitcoin (ABTC) fell as much as 50% on {ARTICLE_EVENT_DATE}",
        article_value=ARTICLE_ABTC_INTRADAY,
        article_text="down as much as 50% (intraday)",
        data_used="ABTC intraday low (lows) vs previous adjusted close (prices)",
        rule=lambda p: (
            f"supported if the intraday low vs the previous close is within {_pp(p.abtc_tol)} of "
            f"{ARTICLE_ABTC_INTRADAY:.0%}; not measurable without an intraday low"
        ),
        measure=_abtc_drop,
        band=lambda p: (ARTICLE_ABTC_INTRADAY - p.abtc_tol, ARTICLE_ABTC_INTRADAY + p.abtc_tol),
    ),
    "hut_drop": _Spec(
        claim=f"Hut 8 (HUT) fell 12% on {ARTICLE_EVENT_DATE}",
        article_value=ARTICLE_HUT_DAY,
        article_text="down 12%",
        data_used="HUT adjusted close, prices",
        rule=lambda p: f"supported if |close-to-close return - ({ARTICLE_HUT_DAY:.0%})| <= {_pp(p.hut_tol)}",
        measure=_hut_drop,
        band=lambda p: (ARTICLE_HUT_DAY - p.hut_tol, ARTICLE_HUT_DAY + p.hut_tol),
    ),
    "iren_soaring": _Spec(
        claim=f"IREN soared after its $9.7B Microsoft deal ({ARTICLE_IREN_DEAL_DATE})",
        article_value=float("nan"),
        article_text="soaring after the $9.7B Microsoft deal",
        data_used="IREN adjusted close, prices",
        rule=lambda p: (
            f"supported if the close-to-close return on the deal session > {p.iren_threshold:+.0%}"
        ),
        measure=_iren_soaring,
        band=lambda p: (p.iren_threshold, math.inf),
    ),
    "crypto_tech_together": _Spec(
        claim="Crypto and tech stocks fell together",
        article_value=float("nan"),
        article_text="crypto and tech falling together",
        data_used="BTC-USD (crypto_daily and session-sampled prices) and ^NDX session close",
        rule=lambda p: (
            f"supported if BTC and NDX {p.window_days}-day returns are both < 0 and the correlation of "
            "their daily session log returns over the window is > 0"
        ),
        measure=_crypto_tech_together,
        unit=UNIT_CORRELATION,
        # No band: the verdict also needs both 30-day returns negative, so a correlation inside
        # any band could still be "not supported" (see _NO_BAND).
    ),
}

#: Claim identifiers, in table order.
CLAIM_IDS: tuple[str, ...] = tuple(_SPECS)


# ---------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------


def _check_frame(frame: object, name: str) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise ConfigError(f"{name} must be a DataFrame (columns = tickers), got {type(frame).__name__}")
    check_index(frame, name)
    return frame


#: What :func:`claims_table` accepts as the CD20 proxy: one level, or several weightings by name.
Cd20Level = pd.Series | CryptoIndex
Cd20Input = Cd20Level | Mapping[str, Cd20Level] | None


def _one_level(level: object, name: str) -> tuple[pd.Series, str]:
    if isinstance(level, CryptoIndex):
        return level.level, f"{level.label}, {len(level.constituents)} constituents"
    if not isinstance(level, pd.Series):
        raise ConfigError(
            f"{name} must be a Series or a CryptoIndex (from cd20_proxy / cd20_weightings), "
            f"got {type(level).__name__}"
        )
    check_index(level, name)
    return level, "CD20 proxy level passed by the caller"


def _cd20_series(level: Cd20Input) -> tuple[dict[str, pd.Series] | None, str]:
    if level is None:
        return None, ""
    if isinstance(level, Mapping):
        if not level:
            raise ConfigError("cd20_proxy_level is an empty mapping: pass at least one weighting")
        out: dict[str, pd.Series] = {}
        labels: list[str] = []
        for name, value in level.items():
            out[str(name)], label = _one_level(value, f"cd20_proxy_level[{name!r}]")
            labels.append(f"{name}: {label}")
        return out, "; ".join(labels)
    series, label = _one_level(level, "cd20_proxy_level")
    return {"proxy": series}, label


def _data_range(prices: pd.DataFrame, crypto: pd.DataFrame) -> tuple[pd.Timestamp, pd.Timestamp]:
    spans = [f.index for f in (prices, crypto) if len(f.index)]
    if not spans:
        raise ConfigError("prices and crypto_daily are both empty: nothing to measure")
    return pd.Timestamp(min(s[0] for s in spans)), pd.Timestamp(max(s[-1] for s in spans))


@dataclass(frozen=True)
class _Inputs:
    prices: pd.DataFrame
    crypto: pd.DataFrame
    lows: pd.DataFrame | None
    cd20: dict[str, pd.Series] | None
    cd20_label: str
    first: pd.Timestamp
    last: pd.Timestamp


def _prepare(
    prices: pd.DataFrame,
    crypto_daily: pd.DataFrame,
    lows: pd.DataFrame | None,
    cd20_proxy_level: Cd20Input,
    params: ClaimParams,
) -> _Inputs:
    p = _check_frame(prices, "prices")
    c = _check_frame(crypto_daily, "crypto_daily")
    lo = None if lows is None else _check_frame(lows, "lows")
    if not isinstance(params, ClaimParams):
        raise ConfigError(f"params must be a ClaimParams, got {type(params).__name__}")
    cd20, label = _cd20_series(cd20_proxy_level)
    first, last = _data_range(p, c)
    return _Inputs(p, c, lo, cd20, label, first, last)


def _table(inputs: _Inputs, as_of: pd.Timestamp, params: ClaimParams) -> pd.DataFrame:
    ctx = _Context(
        prices=inputs.prices.loc[:as_of],
        crypto=inputs.crypto.loc[:as_of],
        lows=None if inputs.lows is None else inputs.lows.loc[:as_of],
        cd20=None if inputs.cd20 is None else {k: v.loc[:as_of] for k, v in inputs.cd20.items()},
        cd20_label=inputs.cd20_label,
        as_of=as_of,
        start=as_of - pd.Timedelta(days=params.window_days),
        params=params,
    )
    rows: list[dict[str, object]] = []
    for claim_id, spec in _SPECS.items():
        row: dict[str, object] = {
            "claim_id": claim_id,
            "claim": spec.claim,
            "article_value": spec.article_value,
            "article_text": spec.article_text,
            "data_used": spec.data_used,
            "rule": spec.rule(params),
            "unit": spec.unit,
        }
        try:
            m = spec.measure(ctx)
        except _NotMeasurable as exc:
            row.update(
                band_lo=math.nan,
                band_hi=math.nan,
                measured_value=np.nan,
                measured_text="n/a",
                window=exc.window,
                verdict=NOT_MEASURABLE,
                note=exc.reason,
            )
        else:
            row.update(
                measured_value=m.value,
                measured_text=m.text,
                window=m.window,
                verdict=m.verdict,
                note=m.note,
            )
            if m.data_used is not None:
                row["data_used"] = m.data_used
            row["band_lo"], row["band_hi"] = m.band if m.band is not None else spec.band(params)
        rows.append(row)
    out = pd.DataFrame(rows, columns=list(CLAIM_COLUMNS))
    out["article_value"] = out["article_value"].astype(np.float64)
    for col in ("measured_value", "band_lo", "band_hi"):
        out[col] = out[col].astype(np.float64)
    return out


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------


def claims_table(
    prices: pd.DataFrame,
    crypto_daily: pd.DataFrame,
    *,
    as_of: DateLike,
    lows: pd.DataFrame | None = None,
    cd20_proxy_level: Cd20Input = None,
    params: ClaimParams = ClaimParams(),
) -> pd.DataFrame:
    """One row per quantitative claim of the article, measured from the data.

    Parameters
    ----------
    prices
        Wide adjusted closes on US equity sessions (DatetimeIndex ``"Date"``);
        uses ``^NDX``, ``ABTC``, ``HUT``, ``IREN`` and session-sampled ``BTC-USD``.
    crypto_daily
        Calendar-daily closes of the crypto tickers (uses ``BTC-USD``).
    as_of
        Date of the measurement; only data on or before it are used.
    lows
        Optional wide intraday lows on sessions (for ABTC's intraday drop).
    cd20_proxy_level
        CD20 proxy: a level Series, a :class:`~analysis.crypto_index.CryptoIndex`,
        or a mapping weighting name -> either (e.g.
        :func:`~analysis.crypto_index.cd20_weightings`: capped, uncapped,
        equal). The claim is supported only if the article's -19.3% lies within
        the range of their 30-day returns widened by ``params.cd20_tol`` (at most
        1pp); ``measured_value`` is the first weighting's return. Without it the
        CD20 claim is "not measurable".
    params
        Windows and tolerances of the verdict rules.

    Returns
    -------
    pd.DataFrame
        Columns :data:`CLAIM_COLUMNS`: ``claim_id``, ``claim``, ``article_value``
        (the article's number, NaN where it gives none), ``article_text``,
        ``measured_value``, ``unit`` (of both values: :data:`UNIT_FRACTION`,
        :data:`UNIT_USD` or :data:`UNIT_CORRELATION`), ``measured_text``, ``window`` (dates actually used),
        ``data_used``, ``rule``, ``verdict`` (one of :data:`VERDICTS`), ``note``;
        one row per :data:`CLAIM_IDS`, in that order.

    Raises
    ------
    ConfigError
        If ``as_of`` is not a date or lies outside the span of ``prices`` and
        ``crypto_daily``, or an input is not a date-indexed frame.

    Notes
    -----
    Returns are simple, ``P_end / P_start - 1``. The 30-day window runs from
    ``as_of - window_days`` to ``as_of``: calendar days for crypto, the last
    session (with a close) on or before each end for equities; a window end may
    fall back at most ``max_stale_days`` days. Missing data never raise: the
    claim is "not measurable with this data" with the reason in ``note``.
    """
    inputs = _prepare(prices, crypto_daily, lows, cd20_proxy_level, params)
    t = as_timestamp(as_of, "as_of").normalize()
    if not inputs.first <= t <= inputs.last:
        raise ConfigError(
            f"as_of {_d(t)} is outside the data range {_d(inputs.first)} .. {_d(inputs.last)}; "
            "choose a date inside it or load more data"
        )
    return _table(inputs, t, params)


def sensitivity_dates(
    prices: pd.DataFrame,
    as_of: DateLike,
    *,
    before: int = SENSITIVITY_SESSIONS_BEFORE,
    after: int = SENSITIVITY_SESSIONS_AFTER,
) -> tuple[pd.Timestamp, ...]:
    """As-of dates around ``as_of``: its session and the neighbouring sessions in the data.

    Parameters
    ----------
    prices
        Wide closes on US equity sessions; the rows with any price are the sessions.
    as_of
        The study's as-of date (the last session on or before it is the anchor).
    before, after
        Sessions before and after the anchor (defaults 1 and 3); fewer where the
        data end.

    Returns
    -------
    tuple[pd.Timestamp, ...]
        Sorted session dates, e.g. 2025-12-01 .. 2025-12-05 for ``as_of`` 2025-12-02.

    Raises
    ------
    ConfigError
        If ``as_of`` is not a date or precedes every session.
    """
    frame = _check_frame(prices, "prices")
    b = check_int(before, "before", minimum=0)
    a = check_int(after, "after", minimum=0)
    t = as_timestamp(as_of, "as_of").normalize()
    sessions = pd.DatetimeIndex(frame.index[frame.notna().any(axis=1).to_numpy()])
    pos = int(sessions.searchsorted(t, side="right")) - 1
    if pos < 0:
        cover = f"{_d(sessions[0])} .. {_d(sessions[-1])}" if len(sessions) else "nothing"
        raise ConfigError(f"as_of {_d(t)} precedes every session with a price (data cover {cover})")
    return tuple(pd.Timestamp(d) for d in sessions[max(0, pos - b) : pos + a + 1])


def claims_sensitivity(
    prices: pd.DataFrame,
    crypto_daily: pd.DataFrame,
    *,
    as_of: DateLike | None = None,
    as_of_dates: Sequence[DateLike] | None = None,
    lows: pd.DataFrame | None = None,
    cd20_proxy_level: Cd20Input = None,
    params: ClaimParams = ClaimParams(),
    value: Literal["measured_value", "verdict"] = "measured_value",
) -> pd.DataFrame:
    """How the measured figures (or verdicts) move with the as-of date.

    Parameters
    ----------
    prices, crypto_daily, lows, cd20_proxy_level, params
        As in :func:`claims_table`.
    as_of
        The study's as-of date: the sensitivity dates are
        :func:`sensitivity_dates` of it (its session, one before, three after).
    as_of_dates
        Explicit as-of dates instead (pass ``as_of`` or this).
    value
        ``"measured_value"`` (default, floats) or ``"verdict"`` (strings).

    Returns
    -------
    pd.DataFrame
        Index ``claim_id`` (:data:`CLAIM_IDS`), one column per as-of date
        (DatetimeIndex named ``"as_of"``). Explicit dates outside the data range
        give a column of NaN.

    Raises
    ------
    ConfigError
        If neither (or an empty list of) dates is given, a date is malformed,
        ``value`` is unknown, or an input is invalid.
    """
    if value not in ("measured_value", "verdict"):
        raise ConfigError(f"value must be 'measured_value' or 'verdict', got {value!r}")
    if as_of_dates is None:
        if as_of is None:
            raise ConfigError("pass as_of (the sensitivity dates are derived from it) or as_of_dates")
        dates = list(sensitivity_dates(prices, as_of))
    else:
        dates = [as_timestamp(d, "as_of_dates entry").normalize() for d in as_of_dates]
    if not dates:
        raise ConfigError("as_of_dates is empty: pass at least one date")
    inputs = _prepare(prices, crypto_daily, lows, cd20_proxy_level, params)
    columns: dict[pd.Timestamp, pd.Series] = {}
    for t in dates:
        if inputs.first <= t <= inputs.last:
            table = _table(inputs, t, params)
            columns[t] = table.set_index("claim_id")[value]
        else:
            columns[t] = pd.Series(np.nan, index=pd.Index(CLAIM_IDS), dtype=np.float64)
    out = pd.DataFrame(columns, index=pd.Index(CLAIM_IDS, name="claim_id"))
    out.columns = pd.DatetimeIndex(list(columns), name="as_of")
    if value == "measured_value":
        out = out.astype(np.float64)
    return out


def verdict_stability(verdicts: pd.DataFrame) -> pd.DataFrame:
    """Does each claim's verdict hold across the sensitivity dates?

    Parameters
    ----------
    verdicts
        :func:`claims_sensitivity` with ``value="verdict"`` (claims x dates).

    Returns
    -------
    pd.DataFrame
        Index ``claim_id``; columns ``stable`` (bool: one verdict on every date
        with a value), ``verdict`` (that verdict, or ``"varies"``), ``verdicts``
        (list of str, one per date), ``dates`` (list of ISO dates) and
        ``n_dates`` (int). Dates without a value (outside the data) are left out;
        a claim without any is not stable.
    """
    if not isinstance(verdicts, pd.DataFrame) or verdicts.empty:
        raise ConfigError("verdicts must be the claims_sensitivity(..., value='verdict') table")
    rows: dict[str, dict[str, object]] = {}
    for claim_id, row in verdicts.iterrows():
        present = row.dropna()
        values = [str(v) for v in present.to_numpy()]
        stable = len(values) > 0 and len(set(values)) == 1
        rows[str(claim_id)] = {
            "stable": stable,
            "verdict": values[0] if stable else "varies",
            "verdicts": values,
            "dates": [_d(pd.Timestamp(cast(DateLike, d))) for d in present.index],
            "n_dates": len(values),
        }
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "claim_id"
    out["stable"] = out["stable"].astype(bool)
    out["n_dates"] = out["n_dates"].astype(np.int64)
    return out


# ---------------------------------------------------------------------------
# The claims study of notebook 05
# ---------------------------------------------------------------------------


def _value_text(value: object, unit: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    v = float(cast(float, value))
    if unit == UNIT_FRACTION:
        return _pct(v)
    if unit == UNIT_USD:
        return f"${v:,.0f}"
    return f"{v:+.2f}"


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _short_verdict(verdict: object) -> str:
    return {SUPPORTED: "supported", NOT_SUPPORTED: "not supported", NOT_MEASURABLE: "n/m"}.get(
        str(verdict), str(verdict)
    )


@dataclass(frozen=True)
class ClaimsStudy:
    """The claims table at the as-of date and its sensitivity to the as-of date.

    Attributes
    ----------
    table
        :func:`claims_table` at ``as_of``.
    values, verdicts
        Measured values and verdicts per claim (rows) and sensitivity date (columns).
    stability
        :func:`verdict_stability` of ``verdicts``.
    as_of
        The study's as-of date.
    dates
        The sensitivity dates (derived from ``as_of`` by :func:`sensitivity_dates`).
    """

    table: pd.DataFrame
    values: pd.DataFrame
    verdicts: pd.DataFrame
    stability: pd.DataFrame
    as_of: pd.Timestamp
    dates: tuple[pd.Timestamp, ...]

    @property
    def span(self) -> str:
        """The sensitivity dates as text, e.g. ``"2025-12-01 .. 2025-12-05"``."""
        return f"{_d(self.dates[0])} .. {_d(self.dates[-1])}"

    def claims_frame(self) -> pd.DataFrame:
        """The claims table for reading: claim, article, measured, window, rule, verdict, note."""
        cols = ["claim", "article_text", "measured_text", "window", "rule", "verdict", "note"]
        return self.table.loc[:, cols].rename(
            columns={"article_text": "article", "measured_text": "measured", "rule": "verdict rule"}
        )

    def sensitivity_frame(self) -> pd.DataFrame:
        """One row per claim: the measured value and verdict on each date, and whether it holds."""
        units = self.table.set_index("claim_id")["unit"]
        names = self.table.set_index("claim_id")["claim"]
        rows = []
        for claim_id in self.values.index:
            row: dict[str, object] = {"claim": names[claim_id]}
            for d in self.values.columns:
                v, verdict = self.values.loc[claim_id, d], self.verdicts.loc[claim_id, d]
                row[_d(pd.Timestamp(d))] = (
                    "no data"
                    if pd.isna(verdict)
                    else f"{_value_text(v, str(units[claim_id]))} ({_short_verdict(verdict)})"
                )
            row["verdict holds"] = self.stability_text(str(claim_id))
            rows.append(row)
        return pd.DataFrame(rows)

    def stability_text(self, claim_id: str) -> str:
        """Whether ``claim_id``'s verdict holds across the sensitivity dates, in words."""
        st: dict[str, object] = dict(self.stability.loc[claim_id])
        n = int(cast(int, st["n_dates"]))
        if n == 0:
            return "no sensitivity date in the data"
        if bool(st["stable"]):
            return f"yes: {st['verdict']} on all {n} dates"
        counts = pd.Series(list(cast(list[str], st["verdicts"]))).value_counts()
        return "no: " + ", ".join(f"{v} on {c} of {n}" for v, c in counts.items())

    def counts(self) -> dict[str, int]:
        """Verdict counts at the as-of date, and how many verdicts are stable."""
        vc = self.table["verdict"].value_counts()
        stable = {str(k): bool(v) for k, v in self.stability["stable"].items()}
        return {
            "claims": len(self.table),
            "supported": int(vc.get(SUPPORTED, 0)),
            "not_supported": int(vc.get(NOT_SUPPORTED, 0)),
            "not_measurable": int(vc.get(NOT_MEASURABLE, 0)),
            "stable": int(self.stability["stable"].sum()),
            "supported_and_stable": int(
                sum(
                    bool(stable.get(str(cid), False)) and verdict == SUPPORTED
                    for cid, verdict in zip(self.table["claim_id"], self.table["verdict"], strict=True)
                )
            ),
        }

    def summary_sentence(self, *, synthetic: bool = False) -> str:
        """The notebook's conclusion, computed from the table and the sensitivity dates."""
        c = self.counts()
        varies = [
            str(self.table.set_index("claim_id").loc[cid, "claim"])
            for cid in self.stability.index
            if not bool(self.stability.loc[cid, "stable"])
        ]
        text = (
            f"As of **{_d(self.as_of)}**, {_n(c['supported'], 'claim')} of {c['claims']} "
            f"{'is' if c['supported'] == 1 else 'are'} supported by the data, {c['not_supported']} "
            f"{'is' if c['not_supported'] == 1 else 'are'} not, and {c['not_measurable']} cannot be measured "
            f"with this data. {c['stable']} of {c['claims']} verdicts are the same on every sensitivity date "
            f"({self.span}, {len(self.dates)} sessions); {_n(c['supported_and_stable'], 'claim')} "
            f"{'is' if c['supported_and_stable'] == 1 else 'are'} supported on all of them."
        )
        if varies:
            text += " Verdicts that depend on the date: " + "; ".join(varies) + "."
        if synthetic:
            text += " (Synthetic demo data: these verdicts say nothing about the article.)"
        return text

    def stability_records(self) -> dict[str, dict[str, object]]:
        """Per claim: ``stable``, ``verdict``, ``text`` (for the report's index page)."""
        return {
            str(cid): {
                "stable": bool(self.stability.loc[cid, "stable"]),
                "verdict": str(self.stability.loc[cid, "verdict"]),
                "text": self.stability_text(str(cid)),
                "dates": list(self.stability.loc[cid, "dates"]),
            }
            for cid in self.stability.index
        }

    def headline(self) -> list[dict[str, object]]:
        """Headline records (name, value, unit, text, note) for the report."""
        c = self.counts()
        return [
            {
                "name": "Article claims supported at the as-of date",
                "value": c["supported"],
                "unit": f"claims of {c['claims']}",
                "text": f"{c['supported']} of {c['claims']}",
                "note": f"{c['not_supported']} not supported, {c['not_measurable']} not measurable",
            },
            {
                "name": "Claims supported on every sensitivity date",
                "value": c["supported_and_stable"],
                "unit": f"claims of {c['claims']}",
                "text": f"{c['supported_and_stable']} of {c['claims']}",
                "note": f"as-of dates {self.span} ({len(self.dates)} sessions)",
            },
        ]

    def metrics(self) -> dict[str, object]:
        """The tables for ``results/05-article-claims.json``."""
        values = self.values.copy()
        values.columns = [_d(pd.Timestamp(d)) for d in values.columns]
        verdicts = self.verdicts.copy()
        verdicts.columns = [_d(pd.Timestamp(d)) for d in verdicts.columns]
        return {
            "claims": self.table,
            "sensitivity_dates": [_d(d) for d in self.dates],
            "sensitivity": values.reset_index(),
            "sensitivity_verdicts": verdicts.reset_index(),
            "claims_stability": self.stability_records(),
            "counts": self.counts(),
        }


def claims_study(
    prices: pd.DataFrame,
    crypto_daily: pd.DataFrame,
    *,
    as_of: DateLike,
    lows: pd.DataFrame | None = None,
    cd20_proxy_level: Cd20Input = None,
    params: ClaimParams = ClaimParams(),
) -> ClaimsStudy:
    """The claims table at ``as_of`` and on the sensitivity dates derived from it, computed once.

    Parameters
    ----------
    prices, crypto_daily, as_of, lows, cd20_proxy_level, params
        As in :func:`claims_table`; ``prices`` may extend past ``as_of`` (the sensitivity dates
        look a few sessions ahead; each date's table uses only data on or before that date).

    Returns
    -------
    ClaimsStudy

    Raises
    ------
    ConfigError
        As :func:`claims_table`.
    """
    table = claims_table(
        prices, crypto_daily, as_of=as_of, lows=lows, cd20_proxy_level=cd20_proxy_level, params=params
    )
    t = as_timestamp(as_of, "as_of").normalize()
    dates = sensitivity_dates(prices, t)
    inputs = _prepare(prices, crypto_daily, lows, cd20_proxy_level, params)
    tables = {d: (table if d == t else _table(inputs, d, params)).set_index("claim_id") for d in dates}
    index = pd.Index(CLAIM_IDS, name="claim_id")
    columns = pd.DatetimeIndex(list(tables), name="as_of")
    values = pd.DataFrame({d: tb["measured_value"] for d, tb in tables.items()}, index=index)
    values.columns = columns
    verdicts = pd.DataFrame({d: tb["verdict"] for d, tb in tables.items()}, index=index)
    verdicts.columns = columns
    return ClaimsStudy(
        table=table,
        values=values.astype(np.float64),
        verdicts=verdicts,
        stability=verdict_stability(verdicts),
        as_of=t,
        dates=tuple(dates),
    )
