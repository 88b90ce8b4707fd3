"""Returns, drawdowns, resampled returns and annualisation.

Inputs are wide price or log-return frames (or single series) indexed by a
``DatetimeIndex`` named ``"Date"`` (US equity sessions), one column per ticker,
NaN where a ticker has no data. Every function is pure and keeps the input's
index unless it resamples.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Literal, TypeVar, cast, overload

import numpy as np
import pandas as pd

from ._typing import DateLike
from ._validation import (
    check_choice,
    check_index,
    check_int,
    check_positive,
    check_prices,
    check_window_length,
    slice_period,
)
from .config import TRADING_DAYS_PER_YEAR
from .errors import ConfigError, ShortSampleWarning

__all__ = [
    "DEFAULT_WEEKLY_RULE",
    "WEEKS_PER_YEAR",
    "CumulativeReturn",
    "MaxDrawdown",
    "ReturnKind",
    "annualized_return",
    "annualized_volatility",
    "cumulative_return",
    "cumulative_returns",
    "drawdown",
    "k_session_log_returns",
    "log_returns",
    "max_drawdown",
    "max_drawdowns",
    "n_day_returns",
    "resample_log_returns",
    "rolling_volatility",
    "simple_returns",
]

#: Weeks per year, for annualising weekly statistics.
WEEKS_PER_YEAR = 52
#: Calendar rule of the weekly robustness view: weeks ending on Friday.
DEFAULT_WEEKLY_RULE = "W-FRI"

ReturnKind = Literal["log", "simple"]

F = TypeVar("F", pd.Series, pd.DataFrame)


def _as_frame(obj: pd.Series | pd.DataFrame) -> pd.DataFrame:
    return obj.to_frame() if isinstance(obj, pd.Series) else obj


def _trim_empty_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Drop leading and trailing rows that are NaN in every column."""
    has_data = frame.notna().any(axis=1).to_numpy()
    if not has_data.any():
        return frame.iloc[0:0]
    first = int(np.argmax(has_data))
    last = len(has_data) - int(np.argmax(has_data[::-1]))
    return frame.iloc[first:last]


def _like(template: F, frame: pd.DataFrame) -> F:
    """Return ``frame`` as a Series if ``template`` is one (single column)."""
    if isinstance(template, pd.Series):
        out = frame.iloc[:, 0]
        out.name = template.name
        return out
    return frame


# ---------------------------------------------------------------------------
# Returns
# ---------------------------------------------------------------------------


def _base_prices(prices: F, periods: int, across_gaps: bool) -> F:
    return prices.ffill().shift(periods) if across_gaps else prices.shift(periods)


def log_returns(prices: F, *, across_gaps: bool = False) -> F:
    """Daily log returns ``ln(P_t / P_{t-1})``.

    Parameters
    ----------
    prices
        Positive prices (Series or wide frame), sorted by date.
    across_gaps
        If True, a return after missing prices is measured from the last valid
        price (it spans the gap); if False (default) it is NaN.

    Returns
    -------
    Series or DataFrame
        Same index and columns as ``prices``; the first row is NaN.

    Raises
    ------
    DataQualityError
        If a price is zero, negative or infinite.

    Notes
    -----
    NaN wherever ``P_t`` or ``P_{t-1}`` is missing (unless ``across_gaps``).
    """
    check_prices(prices)
    return cast(F, np.log(prices / _base_prices(prices, 1, across_gaps)))


def simple_returns(prices: F, *, across_gaps: bool = False) -> F:
    """Daily simple returns ``P_t / P_{t-1} - 1``.

    Parameters
    ----------
    prices
        Positive prices (Series or wide frame), sorted by date.
    across_gaps
        As in :func:`log_returns`.

    Returns
    -------
    Series or DataFrame
        Same index and columns as ``prices``; the first row is NaN.

    Notes
    -----
    NaN wherever ``P_t`` or ``P_{t-1}`` is missing (unless ``across_gaps``).
    """
    check_prices(prices)
    return prices / _base_prices(prices, 1, across_gaps) - 1.0


def n_day_returns(prices: F, n: int, *, kind: ReturnKind = "log", across_gaps: bool = False) -> F:
    """Overlapping ``n``-session returns ``P_t / P_{t-n}``.

    Parameters
    ----------
    prices
        Positive prices (Series or wide frame), sorted by date.
    n
        Horizon in sessions (>= 1).
    kind
        ``"log"`` for ``ln(P_t / P_{t-n})``, ``"simple"`` for ``P_t / P_{t-n} - 1``.
    across_gaps
        If True, ``P_{t-n}`` is the last valid price at or before row ``t-n``.

    Returns
    -------
    Series or DataFrame
        Same index as ``prices``; the first ``n`` rows are NaN.

    Raises
    ------
    ConfigError
        If ``n < 1``, ``n`` is not shorter than the data, or ``kind`` is unknown.

    Notes
    -----
    Consecutive values overlap by ``n - 1`` sessions, so they are autocorrelated;
    use :func:`k_session_log_returns` for non-overlapping blocks.
    """
    n = check_int(n, "n", minimum=1)
    check_choice(kind, "kind", ("log", "simple"))
    check_prices(prices)
    if n >= len(prices):
        raise ConfigError(f"n ({n}) is longer than the data ({len(prices)} sessions)")
    ratio = prices / _base_prices(prices, n, across_gaps)
    return cast(F, np.log(ratio)) if kind == "log" else ratio - 1.0


@dataclass(frozen=True)
class CumulativeReturn:
    """Buy-and-hold return of one ticker between two observed closes."""

    ticker: str
    start_date: pd.Timestamp
    end_date: pd.Timestamp
    start_price: float
    end_price: float
    simple_return: float
    log_return: float
    n_sessions: int
    """Rows from ``start_date`` to ``end_date`` inclusive."""


def _cumulative(series: pd.Series, ticker: str) -> CumulativeReturn | None:
    valid = series.dropna()
    if valid.empty:
        return None
    first, last = valid.index[0], valid.index[-1]
    p0, p1 = float(valid.iloc[0]), float(valid.iloc[-1])
    n_sessions = int(((series.index >= first) & (series.index <= last)).sum())
    return CumulativeReturn(
        ticker=ticker,
        start_date=pd.Timestamp(first),
        end_date=pd.Timestamp(last),
        start_price=p0,
        end_price=p1,
        simple_return=p1 / p0 - 1.0,
        log_return=math.log(p1 / p0),
        n_sessions=n_sessions,
    )


def cumulative_return(prices: pd.Series, start: DateLike, end: DateLike) -> CumulativeReturn:
    """Return from the first to the last valid close inside ``[start, end]``.

    Parameters
    ----------
    prices
        Positive prices of one ticker, indexed by date.
    start, end
        Inclusive window bounds (e.g. ``"2025-11-03"``).

    Returns
    -------
    CumulativeReturn
        The dates and prices actually used, the simple and log return.

    Raises
    ------
    ConfigError
        If ``start > end`` or there is no valid price inside the window.

    Notes
    -----
    ``R = P_last / P_first - 1`` with ``P_first`` the close of the first session
    in the window that has a price, so the first session's own move is not
    included. With a single valid price ``R = 0`` and a ``ShortSampleWarning``.
    """
    if not isinstance(prices, pd.Series):
        raise ConfigError("prices must be a Series here; use cumulative_returns() for a frame")
    check_prices(prices)
    window, _, _ = slice_period(prices, start, end)
    ticker = str(prices.name) if prices.name is not None else ""
    result = _cumulative(window, ticker)
    if result is None:
        raise ConfigError(
            f"empty period: no valid {ticker or 'price'} between {start} and {end}; "
            "choose a window inside the ticker's history"
        )
    if result.start_date == result.end_date:
        warnings.warn(
            f"{ticker or 'prices'}: one valid price between {start} and {end}; cumulative return set to 0",
            ShortSampleWarning,
            stacklevel=2,
        )
    return result


def cumulative_returns(prices: pd.DataFrame, start: DateLike, end: DateLike) -> pd.DataFrame:
    """:func:`cumulative_return` for every column of a wide price frame.

    Parameters
    ----------
    prices
        Wide frame of positive prices, columns = tickers.
    start, end
        Inclusive window bounds.

    Returns
    -------
    pd.DataFrame
        Index ``ticker``; columns ``start_date``, ``end_date``, ``start_price``,
        ``end_price``, ``simple_return``, ``log_return``, ``n_sessions``.

    Notes
    -----
    Tickers with no valid price in the window get a row of NaN/NaT and a
    ``ShortSampleWarning``; the call raises only if the window has no rows.
    """
    if not isinstance(prices, pd.DataFrame):
        raise ConfigError("prices must be a DataFrame here; use cumulative_return() for a Series")
    check_prices(prices)
    window, _, _ = slice_period(prices, start, end)
    rows: dict[str, dict[str, object]] = {}
    missing: list[str] = []
    for col in window.columns:
        res = _cumulative(window[col], str(col))
        if res is None:
            missing.append(str(col))
            rows[str(col)] = {
                "start_date": pd.NaT,
                "end_date": pd.NaT,
                "start_price": np.nan,
                "end_price": np.nan,
                "simple_return": np.nan,
                "log_return": np.nan,
                "n_sessions": 0,
            }
        else:
            rows[str(col)] = {k: v for k, v in vars(res).items() if k != "ticker"}
    if missing:
        warnings.warn(
            f"no valid price between {start} and {end} for: {', '.join(missing)}; their rows are NaN",
            ShortSampleWarning,
            stacklevel=2,
        )
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "ticker"
    return out


# ---------------------------------------------------------------------------
# Drawdowns
# ---------------------------------------------------------------------------


def drawdown(prices: F) -> F:
    """Drawdown from the running peak: ``P_t / max_{s<=t} P_s - 1``.

    Parameters
    ----------
    prices
        Positive prices (Series or wide frame), sorted by date.

    Returns
    -------
    Series or DataFrame
        Same shape and index; values in ``(-1, 0]``.

    Notes
    -----
    The running peak starts at the first valid price of the input (slice the
    input to change it). NaN prices give NaN drawdowns and do not reset the peak.
    """
    check_prices(prices)
    return prices / prices.cummax() - 1.0


@dataclass(frozen=True)
class MaxDrawdown:
    """Largest peak-to-trough decline inside a window."""

    ticker: str
    peak_date: pd.Timestamp
    trough_date: pd.Timestamp
    peak_price: float
    trough_price: float
    drawdown: float
    """``trough_price / peak_price - 1`` (<= 0)."""
    recovery_date: pd.Timestamp | None
    """First date after the trough, inside the window, with price >= peak price."""

    @property
    def recovered(self) -> bool:
        """Whether the price regained the peak inside the window."""
        return self.recovery_date is not None


def _max_drawdown(valid: pd.Series, ticker: str) -> MaxDrawdown:
    values = valid.to_numpy(dtype=np.float64)
    running = np.maximum.accumulate(values)
    dd = values / running - 1.0
    trough = int(np.argmin(dd))
    peak_price = running[trough]
    peak = int(np.flatnonzero(values[: trough + 1] == peak_price)[-1])
    recovery: pd.Timestamp | None = None
    if dd[trough] < 0:
        after = np.flatnonzero(values[trough + 1 :] >= peak_price)
        if after.size:
            recovery = pd.Timestamp(valid.index[trough + 1 + int(after[0])])
    return MaxDrawdown(
        ticker=ticker,
        peak_date=pd.Timestamp(valid.index[peak]),
        trough_date=pd.Timestamp(valid.index[trough]),
        peak_price=float(peak_price),
        trough_price=float(values[trough]),
        drawdown=float(dd[trough]),
        recovery_date=recovery,
    )


def max_drawdown(
    prices: pd.Series, start: DateLike | None = None, end: DateLike | None = None
) -> MaxDrawdown:
    """Maximum peak-to-trough drawdown of one price series inside ``[start, end]``.

    Parameters
    ----------
    prices
        Positive prices of one ticker, indexed by date.
    start, end
        Optional inclusive window bounds (default: the whole series).

    Returns
    -------
    MaxDrawdown
        Peak and trough dates and prices, the drawdown and the recovery date
        (``None`` if the peak is not regained inside the window).

    Raises
    ------
    ConfigError
        If the window holds no valid price.

    Notes
    -----
    ``MDD = min_t (P_t / max_{s<=t} P_s - 1)`` with the peak taken inside the
    window. The peak date is the last date before the trough at which the price
    stood at that peak; the first trough wins ties. NaN prices are skipped. If the
    price never falls, ``drawdown == 0``, peak = trough = first valid date and
    ``recovery_date`` is None. One valid price emits a ``ShortSampleWarning``.
    """
    if not isinstance(prices, pd.Series):
        raise ConfigError("prices must be a Series here; use max_drawdowns() for a frame")
    check_prices(prices)
    window, _, _ = slice_period(prices, start, end)
    valid = window.dropna()
    ticker = str(prices.name) if prices.name is not None else ""
    if valid.empty:
        raise ConfigError(
            f"empty period: no valid {ticker or 'price'} between {start} and {end}; "
            "choose a window inside the ticker's history"
        )
    if len(valid) < 2:
        warnings.warn(
            f"{ticker or 'prices'}: one valid price in the window; max drawdown is 0",
            ShortSampleWarning,
            stacklevel=2,
        )
    return _max_drawdown(valid, ticker)


def max_drawdowns(
    prices: pd.DataFrame, start: DateLike | None = None, end: DateLike | None = None
) -> pd.DataFrame:
    """:func:`max_drawdown` for every column; tickers without data are skipped.

    Returns
    -------
    pd.DataFrame
        Index ``ticker``; columns ``peak_date``, ``trough_date``, ``peak_price``,
        ``trough_price``, ``drawdown``, ``recovery_date`` (NaT if not recovered).
    """
    if not isinstance(prices, pd.DataFrame):
        raise ConfigError("prices must be a DataFrame here; use max_drawdown() for a Series")
    check_prices(prices)
    window, _, _ = slice_period(prices, start, end)
    rows = {}
    for col in window.columns:
        valid = window[col].dropna()
        if not valid.empty:
            res = _max_drawdown(valid, str(col))
            rows[str(col)] = {k: v for k, v in vars(res).items() if k != "ticker"}
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "ticker"
    if "recovery_date" in out.columns:
        out["recovery_date"] = pd.to_datetime(out["recovery_date"])
    return out


# ---------------------------------------------------------------------------
# Resampled (lower-frequency) log returns
# ---------------------------------------------------------------------------


def resample_log_returns(
    log_returns: F, rule: str = DEFAULT_WEEKLY_RULE, *, require_complete: bool = True
) -> F:
    """Sum daily log returns into calendar periods (default weeks ending Friday).

    Parameters
    ----------
    log_returns
        Daily log returns (Series or wide frame) on a ``DatetimeIndex``.
    rule
        A pandas offset alias, e.g. ``"W-FRI"`` (default) or ``"ME"``.
    require_complete
        If True (default), a period is NaN for a ticker unless every session of
        that period has a return; if False, missing sessions are skipped and a
        period is NaN only when it has none.

    Returns
    -------
    Series or DataFrame
        One row per period that has at least one session, labelled by the period
        end (the Friday for ``"W-FRI"``), index named ``"Date"``.

    Raises
    ------
    ConfigError
        If ``rule`` is not a valid offset alias or the input is not date-indexed.

    Notes
    -----
    ``r_week = sum of daily log returns in the week``. Leading and trailing
    rows that are NaN in every column (e.g. the first row of a return frame)
    are dropped first; interior missing sessions make a period incomplete.
    Weekly sums soften the asynchronous-close problem (BTC's daily bar closes
    at 00:00 UTC, hours after the Nasdaq close): a lagged reaction that spills
    into the next session mostly stays inside the same week.
    """
    try:
        pd.tseries.frequencies.to_offset(rule)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"rule must be a pandas offset alias such as 'W-FRI', got {rule!r}") from exc
    check_index(log_returns, "log_returns")
    frame = _trim_empty_rows(_as_frame(log_returns))
    if frame.empty:
        raise ConfigError("log_returns has no data: every value is NaN")
    grouped = frame.resample(rule)
    sums = grouped.sum(min_count=1)
    sizes = grouped.size()
    if require_complete:
        counts = grouped.count()
        sums = sums.where(counts.eq(sizes, axis=0))
    sums = sums.loc[sizes.to_numpy() > 0]
    sums.index.name = "Date"
    return _like(log_returns, sums)


def k_session_log_returns(log_returns: F, k: int, *, offset: int = 0, require_complete: bool = True) -> F:
    """Sum daily log returns over non-overlapping blocks of ``k`` sessions.

    Parameters
    ----------
    log_returns
        Daily log returns (Series or wide frame), sorted by date.
    k
        Block length in sessions (>= 1; e.g. 2 for two-day returns).
    offset
        Sessions skipped at the start (0 <= offset < k), to check that results
        do not depend on where the blocks start.
    require_complete
        If True (default), a block is NaN for a ticker unless all ``k`` sessions
        have a return; if False, missing sessions are skipped.

    Returns
    -------
    Series or DataFrame
        One row per block, labelled by the block's last session date.

    Raises
    ------
    ConfigError
        If ``k < 1``, ``offset`` is outside ``[0, k)`` or ``k`` exceeds the data.

    Notes
    -----
    ``r_block = sum_{i=1..k} r_{t+i}``. Leading and trailing rows NaN in
    every column are dropped first (interior ones stay, so blocks never span
    more than ``k`` rows); then the ``offset`` leading sessions and a trailing
    incomplete block are dropped.
    """
    k = check_int(k, "k", minimum=1)
    offset = check_int(offset, "offset", minimum=0)
    if offset >= k:
        raise ConfigError(f"offset must be < k ({k}), got {offset}")
    check_index(log_returns, "log_returns")
    frame = _trim_empty_rows(_as_frame(log_returns))
    n_blocks = (len(frame) - offset) // k
    if n_blocks < 1:
        after = f" after offset {offset}" if offset else ""
        raise ConfigError(f"k ({k}) is longer than the data ({len(frame) - offset} sessions{after})")
    stop = offset + n_blocks * k
    values = frame.to_numpy(dtype=np.float64, na_value=np.nan)[offset:stop]
    blocks = values.reshape(n_blocks, k, frame.shape[1])
    if require_complete:
        sums = blocks.sum(axis=1)
    else:
        counts = (~np.isnan(blocks)).sum(axis=1)
        sums = np.where(counts > 0, np.nansum(blocks, axis=1), np.nan)
    index = pd.DatetimeIndex(frame.index[offset:stop][k - 1 :: k], name="Date")
    out = pd.DataFrame(sums, index=index, columns=frame.columns)
    return _like(log_returns, out)


# ---------------------------------------------------------------------------
# Annualisation
# ---------------------------------------------------------------------------


@overload
def annualized_volatility(returns: pd.Series, *, periods_per_year: float = ..., ddof: int = ...) -> float: ...
@overload
def annualized_volatility(
    returns: pd.DataFrame, *, periods_per_year: float = ..., ddof: int = ...
) -> pd.Series: ...
def annualized_volatility(
    returns: pd.Series | pd.DataFrame,
    *,
    periods_per_year: float = TRADING_DAYS_PER_YEAR,
    ddof: int = 1,
) -> float | pd.Series:
    """Annualised volatility ``std(r) * sqrt(periods_per_year)``.

    Parameters
    ----------
    returns
        Per-period returns (daily by default).
    periods_per_year
        252 (:data:`~analysis.config.TRADING_DAYS_PER_YEAR`) for daily sessions,
        :data:`WEEKS_PER_YEAR` for weekly sums.
    ddof
        Delta degrees of freedom of the standard deviation.

    Returns
    -------
    float or pd.Series
        A float for a Series, one value per column for a frame.

    Notes
    -----
    NaNs are skipped; NaN with fewer than ``ddof + 1`` observations.
    """
    ppy = check_positive(periods_per_year, "periods_per_year")
    ddof = check_int(ddof, "ddof", minimum=0, unit="degrees of freedom")
    if isinstance(returns, pd.Series):
        return float(returns.std(ddof=ddof)) * math.sqrt(ppy)
    return returns.std(ddof=ddof) * math.sqrt(ppy)


@overload
def annualized_return(
    log_returns: pd.Series, *, periods_per_year: float = ..., kind: ReturnKind = ...
) -> float: ...
@overload
def annualized_return(
    log_returns: pd.DataFrame, *, periods_per_year: float = ..., kind: ReturnKind = ...
) -> pd.Series: ...
def annualized_return(
    log_returns: pd.Series | pd.DataFrame,
    *,
    periods_per_year: float = TRADING_DAYS_PER_YEAR,
    kind: ReturnKind = "log",
) -> float | pd.Series:
    """Annualised mean return from per-period log returns.

    Parameters
    ----------
    log_returns
        Per-period log returns (daily by default).
    periods_per_year
        Periods per year (252 for sessions).
    kind
        ``"log"``: ``mean(r) * periods_per_year``; ``"simple"`` (compound annual
        growth rate): ``exp(mean(r) * periods_per_year) - 1``.

    Returns
    -------
    float or pd.Series
        A float for a Series, one value per column for a frame.

    Notes
    -----
    NaNs are skipped; NaN if a column has no observation.
    """
    ppy = check_positive(periods_per_year, "periods_per_year")
    check_choice(kind, "kind", ("log", "simple"))
    if isinstance(log_returns, pd.Series):
        mean = float(log_returns.mean()) * ppy
        return math.expm1(mean) if kind == "simple" else mean
    means = log_returns.mean() * ppy
    return means.transform(np.expm1) if kind == "simple" else means


def rolling_volatility(
    log_returns: F,
    window: int,
    *,
    min_periods: int | None = None,
    periods_per_year: float = TRADING_DAYS_PER_YEAR,
    annualize: bool = True,
) -> F:
    """Rolling realised volatility over ``window`` sessions.

    Parameters
    ----------
    log_returns
        Daily log returns (Series or wide frame).
    window
        Window length in sessions (>= 2).
    min_periods
        Minimum non-NaN returns in a window (default ``window``).
    periods_per_year
        Scaling when ``annualize`` is True.
    annualize
        Multiply by ``sqrt(periods_per_year)`` (default True).

    Returns
    -------
    Series or DataFrame
        Same index; NaN until ``min_periods`` returns are available.

    Raises
    ------
    ConfigError
        If ``window < 2``, ``window`` exceeds the data, or ``min_periods`` is
        outside ``[2, window]``.

    Notes
    -----
    ``sigma_t = std(r_{t-window+1..t}, ddof=1) * sqrt(periods_per_year)``.
    """
    window = check_int(window, "window", minimum=2)
    check_window_length(window, len(log_returns))
    mp = window if min_periods is None else check_int(min_periods, "min_periods", minimum=2)
    if mp > window:
        raise ConfigError(f"min_periods ({mp}) must be <= window ({window})")
    scale = math.sqrt(check_positive(periods_per_year, "periods_per_year")) if annualize else 1.0
    return log_returns.rolling(window, min_periods=mp).std() * scale
