"""Factor exposure: is a miner a bitcoin bet or an AI-infrastructure bet?

Regressions of a ticker's daily log returns on factor returns (default bitcoin
``BTC-USD`` and the Nasdaq-100 ``^NDX``; optionally an AI factor such as ``SMH``)
with Newey-West (HAC) standard errors, rolling betas, Dimson (1979) lead/lag betas
for asynchronous closes, and structural-break tests of the *slopes* at a known
date (e.g. a pivot deal) and at an unknown date (Andrews 1993 sup-Wald), with Holm
control over the family of (miner, date) tests and a verdict rule per test.

Every function takes a wide frame of daily log returns indexed by a sorted
``DatetimeIndex`` of sessions (columns = tickers, NaN where a ticker has no data).
Rows where the ticker or any regressor is NaN are dropped (listwise deletion); the
dates actually used are reported.

Bitcoin's daily bar closes at 00:00 UTC, hours after the US close, so news that
moves BTC after 16:00 ET reaches US stocks in the *next* session. The break
regressions therefore include lagged BTC terms by default (``btc_lags=1``); a
factor's beta is then the sum of its contemporaneous and lagged coefficients.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

import numpy as np
import numpy.typing as npt
import pandas as pd

from ._typing import DateLike
from ._validation import (
    as_timestamp,
    check_choice,
    check_index,
    check_int,
    check_open_unit,
    require_columns,
    slice_period,
)
from .errors import ConfigError
from .multiplicity import holm
from .rolling import (
    CONST,
    DEFAULT_MIN_NOBS_FRACTION,
    RollingBetasPanel,
    rolling_betas_panel,
    rolling_correlation_panel,
)

__all__ = [
    "BREAK_METRIC_COLUMNS",
    "CONST",
    "DEFAULT_ALPHA",
    "DEFAULT_BREAK_BTC_LAGS",
    "DEFAULT_BTC",
    "DEFAULT_DIMSON_LAGS",
    "DEFAULT_FACTORS",
    "DEFAULT_MIN_NOBS_FRACTION",
    "DEFAULT_MIN_OBS_SIDE",
    "DEFAULT_N_BOOT",
    "DEFAULT_ROLLING_WINDOW",
    "DEFAULT_SENSITIVITY_MAXLAGS",
    "DEFAULT_TECH",
    "DEFAULT_TRIM",
    "MIN_REGRESSION_OBS",
    "SUP_WALD_METHOD",
    "VERDICT_NOT_TESTABLE",
    "VERDICT_NO_SHIFT",
    "VERDICT_OTHER_SHIFT",
    "VERDICT_TOWARD_TECH",
    "BreakTest",
    "BreakTests",
    "DimsonBeta",
    "FactorRegression",
    "RollingBetasPanel",
    "SupWaldTest",
    "break_schedule",
    "break_test",
    "break_tests",
    "break_verdict",
    "dimson_beta",
    "dimson_betas",
    "factor_regression",
    "factor_regressions",
    "newey_west_maxlags",
    "rolling_betas",
    "rolling_betas_panel",
    "rolling_correlation_panel",
    "sup_wald_test",
]

FloatArray = npt.NDArray[np.float64]
_R = TypeVar("_R")

#: Default bitcoin and tech factors (their roles matter for the verdict rule).
DEFAULT_BTC = "BTC-USD"
DEFAULT_TECH = "^NDX"
#: Default factors: bitcoin and the Nasdaq-100 (tech).
DEFAULT_FACTORS: tuple[str, ...] = (DEFAULT_BTC, DEFAULT_TECH)
#: Default significance level (95% intervals; tests and Holm at 5%).
DEFAULT_ALPHA = 0.05
#: Fewest complete observations for a full-sample regression.
MIN_REGRESSION_OBS = 30
#: Default rolling window in sessions (about six months).
DEFAULT_ROLLING_WINDOW = 126
#: Default fewest observations on each side of a break date.
DEFAULT_MIN_OBS_SIDE = 30
#: Default number of lags (and leads) of the Dimson beta.
DEFAULT_DIMSON_LAGS = 1
#: Default lagged-BTC terms in the break regressions (BTC closes after the US close).
DEFAULT_BREAK_BTC_LAGS = 1
#: Default trimming of the sup-Wald candidate range (Andrews 1993: 15% at each end).
DEFAULT_TRIM = 0.15
#: Default bootstrap replications of the sup-Wald p-value.
DEFAULT_N_BOOT = 399
#: Default seed of the sup-Wald bootstrap (results are reproducible).
DEFAULT_BOOT_SEED = 0
#: HAC truncation lags of the sensitivity table (``None`` = Newey-West rule).
DEFAULT_SENSITIVITY_MAXLAGS: tuple[int | None, ...] = (None, 0, 5, 10, 20)
#: How the sup-Wald p-value is computed (stated in every result).
SUP_WALD_METHOD = (
    "Andrews (1993) sup-Wald of the slope shift (per-regime HC0 covariances, intercept free to "
    "shift); p-value by Hansen's (2000) fixed-regressor wild bootstrap (Rademacher weights)"
)

#: Verdicts of :func:`break_verdict` (``not testable`` is followed by the reason in brackets).
VERDICT_TOWARD_TECH = "shift toward tech"
VERDICT_NO_SHIFT = "no significant shift"
VERDICT_OTHER_SHIFT = "shift, not toward tech"
VERDICT_NOT_TESTABLE = "not testable"

#: Columns of the ``breaks`` metrics record (:meth:`BreakTests.metrics`), in order.
BREAK_METRIC_COLUMNS: tuple[str, ...] = (
    "ticker",
    "break_date",
    "p_slopes",
    "p_slopes_adj",
    "p_intercept",
    "sup_wald_date",
    "p_sup_wald",
    "verdict",
    "robust_to_lags",
)

# Newey-West (1994) rule of thumb: floor(4 * (n / 100) ** (2 / 9)).
_NW_SCALE = 4.0
_NW_BASE = 100.0
_NW_EXPONENT = 2.0 / 9.0
# Prefix of the post-break interaction terms in the break regression.
_AFTER_PREFIX = "after:"
# Bootstrap replications evaluated together (bounds memory to a few tens of MB).
_BOOT_BATCH = 50
_PERIODS = ("before", "after", "shift")


# ----------------------------------------------------------------------------- helpers


def newey_west_maxlags(n: int) -> int:
    """Newey-West rule-of-thumb HAC truncation lag for ``n`` observations.

    Notes
    -----
    ``maxlags = floor(4 * (n / 100) ** (2 / 9))`` (Newey and West 1994), e.g. 5 for
    n = 250 and 7 for n = 1000.
    """
    if n < 1:
        raise ConfigError(f"n must be >= 1 observation to choose HAC lags, got {n}")
    lag: float = _NW_SCALE * (n / _NW_BASE) ** _NW_EXPONENT
    return math.floor(lag)


def _check_returns(returns: pd.DataFrame) -> None:
    if not isinstance(returns, pd.DataFrame):
        raise ConfigError(f"returns must be a pandas DataFrame, got {type(returns).__name__}")
    check_index(returns, "returns")
    if returns.empty:
        raise ConfigError("returns is empty: pass a frame with at least one session and one ticker")


def _check_factors(returns: pd.DataFrame, ticker: str, factors: Sequence[str]) -> tuple[str, ...]:
    _check_returns(returns)
    fac = (factors,) if isinstance(factors, str) else tuple(factors)
    if not fac:
        raise ConfigError("factors is empty: pass at least one factor ticker, e.g. ('BTC-USD', '^NDX')")
    if len(set(fac)) != len(fac):
        raise ConfigError(f"factors contains duplicates: {fac}")
    if ticker in fac:
        raise ConfigError(f"ticker {ticker!r} is also a factor {fac}: regress it on other factors")
    require_columns(returns, (ticker, *fac))
    return fac


def _complete(
    frame: pd.DataFrame, ticker: str, regressors: Sequence[str], min_obs: int, what: str
) -> tuple[pd.Series, pd.DataFrame]:
    data = frame.loc[:, [ticker, *regressors]].dropna(how="any")
    if len(data) < min_obs:
        raise ConfigError(
            f"{ticker} has {len(data)} complete observations with {what} between "
            f"{frame.index[0].date()} and {frame.index[-1].date()}; need >= {min_obs} (min_obs): "
            "widen the period or lower min_obs"
        )
    from statsmodels.tools.tools import add_constant

    y = data[ticker].astype(np.float64)
    x = add_constant(data.loc[:, list(regressors)].astype(np.float64), has_constant="add")
    return y, x


def _hac_fit(y: pd.Series, x: pd.DataFrame, maxlags: int | None) -> tuple[Any, int]:
    lags = newey_west_maxlags(len(y)) if maxlags is None else maxlags
    if isinstance(lags, bool) or not isinstance(lags, int | np.integer) or lags < 0:
        raise ConfigError(f"maxlags must be >= 0 (or None for the Newey-West rule), got {maxlags}")
    from statsmodels.regression.linear_model import OLS

    res = OLS(y, x).fit(cov_type="HAC", cov_kwds={"maxlags": int(lags), "use_correction": False}, use_t=False)
    return res, int(lags)


def _param_table(res: Any, alpha: float) -> pd.DataFrame:
    ci = np.asarray(res.conf_int(alpha))
    return pd.DataFrame(
        {
            "coef": np.asarray(res.params),
            "se": np.asarray(res.bse),
            "t": np.asarray(res.tvalues),
            "p": np.asarray(res.pvalues),
            "ci_low": ci[:, 0],
            "ci_high": ci[:, 1],
        },
        index=pd.Index(list(res.params.index), name="param"),
    )


def _moments(res: Any) -> tuple[FloatArray, FloatArray]:
    """Coefficients and (HAC) covariance of a statsmodels result as arrays."""
    return np.asarray(res.params, dtype=np.float64), np.asarray(res.cov_params(), dtype=np.float64)


def _linear_combination(res: Any, weights: FloatArray, alpha: float) -> dict[str, float]:
    """``w' b`` with its HAC SE, normal z, p and ``1 - alpha`` interval (as ``res.t_test``, cheaper).

    ``res`` is a statsmodels result or its :func:`_moments`.
    """
    b, v = res if isinstance(res, tuple) else _moments(res)
    coef = float(weights @ b)
    se = math.sqrt(float(weights @ v @ weights))
    z = coef / se if se > 0 else math.nan
    from scipy import stats

    q = float(stats.norm.ppf(1.0 - alpha / 2.0))
    return {
        "coef": coef,
        "se": se,
        "t": z,
        "p": float(2.0 * stats.norm.sf(abs(z))),
        "ci_low": coef - q * se,
        "ci_high": coef + q * se,
    }


def _check_alpha(alpha: float) -> float:
    return check_open_unit(alpha, "alpha", example="0.05 for 95% intervals")


def _num(value: Any) -> float:
    """A table cell as ``float`` (pandas types cells as a broad scalar union)."""
    return float(value)


def _shift_label(factor: str, shift: int) -> str:
    if shift == 0:
        return f"{factor}[t]"
    return f"{factor}[t{shift:+d}]"


# ----------------------------------------------------------------------------- regression


@dataclass(frozen=True)
class FactorRegression:
    """A k-factor OLS regression with Newey-West (HAC) standard errors.

    Attributes
    ----------
    ticker, factors
        Dependent ticker and factor tickers.
    table
        Index ``param`` (``const`` then the factors); columns ``coef, se, t, p,
        ci_low, ci_high`` (intervals at the ``alpha`` of the call).
    n, r2, r2_adj, maxlags
        Observations used, R-squared, adjusted R-squared and HAC truncation lag.
    dates
        Sessions used (complete rows only).
    result
        The statsmodels results object (for ``summary()``).
    """

    ticker: str
    factors: tuple[str, ...]
    table: pd.DataFrame
    n: int
    r2: float
    r2_adj: float
    maxlags: int
    dates: pd.DatetimeIndex
    result: Any = field(repr=False, compare=False)

    @property
    def start(self) -> pd.Timestamp:
        """First session used."""
        return self.dates[0]

    @property
    def end(self) -> pd.Timestamp:
        """Last session used."""
        return self.dates[-1]

    @property
    def betas(self) -> pd.Series:
        """Factor coefficients (without the constant)."""
        return self.table.loc[list(self.factors), "coef"]

    def conf_int(self, alpha: float = DEFAULT_ALPHA) -> pd.DataFrame:
        """HAC confidence intervals at level ``1 - alpha``: index ``param``; ``coef, ci_low, ci_high``."""
        _check_alpha(alpha)
        ci = np.asarray(self.result.conf_int(alpha))
        return pd.DataFrame(
            {"coef": self.table["coef"].to_numpy(), "ci_low": ci[:, 0], "ci_high": ci[:, 1]},
            index=self.table.index,
        )

    def summary_frame(self) -> pd.DataFrame:
        """One row per parameter with the ticker and sample information."""
        out = self.table.reset_index()
        out.insert(0, "ticker", str(self.ticker))
        out["n"] = int(self.n)
        out["r2"] = self.r2
        out["start"] = self.start
        out["end"] = self.end
        out["maxlags"] = int(self.maxlags)
        return out


def factor_regression(
    returns: pd.DataFrame,
    ticker: str,
    factors: Sequence[str] = DEFAULT_FACTORS,
    *,
    start: DateLike | None = None,
    end: DateLike | None = None,
    maxlags: int | None = None,
    alpha: float = DEFAULT_ALPHA,
    min_obs: int = MIN_REGRESSION_OBS,
) -> FactorRegression:
    """Regress a ticker's returns on factor returns with HAC standard errors.

    Parameters
    ----------
    returns
        Wide daily log returns (sessions x tickers).
    ticker
        Dependent variable, e.g. ``"IREN"``.
    factors
        Factor columns, e.g. ``("BTC-USD", "^NDX")`` or ``("BTC-USD", "^NDX", "SMH")``.
    start, end
        Optional inclusive sample bounds.
    maxlags
        HAC truncation lag; ``None`` uses :func:`newey_west_maxlags` of the sample size.
    alpha
        Significance level of the confidence intervals in ``table``.
    min_obs
        Fewest complete observations required.

    Returns
    -------
    FactorRegression

    Raises
    ------
    ConfigError
        Unknown ticker or factor, ticker among the factors, empty period, fewer
        than ``min_obs`` complete rows, negative ``maxlags``.

    Notes
    -----
    ``r_t = a + sum_j b_j f_{j,t} + e_t`` by OLS; Newey-West (Bartlett kernel) HAC
    covariance without small-sample correction; t, p and confidence intervals use
    the normal distribution. Rows with a NaN in the ticker or any factor are
    dropped (listwise).
    """
    _check_alpha(alpha)
    fac = _check_factors(returns, ticker, factors)
    min_obs = max(int(min_obs), len(fac) + 2)
    frame, _, _ = slice_period(returns, start, end, "returns")
    y, x = _complete(frame, ticker, fac, min_obs, f"factors {', '.join(fac)}")
    res, lags = _hac_fit(y, x, maxlags)
    return FactorRegression(
        ticker=ticker,
        factors=fac,
        table=_param_table(res, alpha),
        n=int(res.nobs),
        r2=float(res.rsquared),
        r2_adj=float(res.rsquared_adj),
        maxlags=lags,
        dates=pd.DatetimeIndex(y.index),
        result=res,
    )


def factor_regressions(
    returns: pd.DataFrame,
    tickers: Sequence[str],
    factors: Sequence[str] = DEFAULT_FACTORS,
    *,
    start: DateLike | None = None,
    end: DateLike | None = None,
    maxlags: int | None = None,
    alpha: float = DEFAULT_ALPHA,
    min_obs: int = MIN_REGRESSION_OBS,
    on_error: Literal["report", "raise"] = "report",
) -> pd.DataFrame:
    """Run :func:`factor_regression` for many tickers into one tidy table.

    Returns
    -------
    pd.DataFrame
        One row per (ticker, param): ``ticker, param, coef, se, t, p, ci_low,
        ci_high, n, r2, start, end, maxlags, reason``. ``reason`` is empty for
        estimated rows; with ``on_error="report"`` a ticker with too few
        observations gets one row per parameter with NaN numbers and the reason.

    Raises
    ------
    ConfigError
        Unknown tickers always raise; sample-size problems raise only with
        ``on_error="raise"``.
    """
    check_choice(on_error, "on_error", ("report", "raise"))
    if isinstance(tickers, str):
        tickers = [tickers]
    _check_returns(returns)
    require_columns(returns, [*tickers, *factors])
    rows: list[pd.DataFrame] = []
    for t in tickers:
        try:
            fit = factor_regression(
                returns, t, factors, start=start, end=end, maxlags=maxlags, alpha=alpha, min_obs=min_obs
            )
        except ConfigError as exc:
            if on_error == "raise":
                raise
            params = [CONST, *factors]
            failed = pd.DataFrame({"ticker": t, "param": params})
            for col in ("coef", "se", "t", "p", "ci_low", "ci_high", "r2"):
                failed[col] = np.nan
            failed["n"] = 0
            failed["start"] = pd.NaT
            failed["end"] = pd.NaT
            failed["maxlags"] = pd.NA
            failed["reason"] = str(exc)
            rows.append(failed)
            continue
        table = fit.summary_frame()
        table["reason"] = ""
        rows.append(table)
    cols = ["ticker", "param", "coef", "se", "t", "p", "ci_low", "ci_high", "n", "r2"]
    cols += ["start", "end", "maxlags", "reason"]
    return pd.concat([r.loc[:, cols] for r in rows], ignore_index=True)


# ----------------------------------------------------------------------------- rolling


def rolling_betas(
    returns: pd.DataFrame,
    ticker: str,
    factors: Sequence[str] = DEFAULT_FACTORS,
    *,
    window: int = DEFAULT_ROLLING_WINDOW,
    min_nobs: int | None = None,
) -> pd.DataFrame:
    """Rolling OLS betas of a ticker on factors over a window of sessions.

    Parameters
    ----------
    returns
        Wide daily log returns (sessions x tickers).
    ticker, factors
        Dependent ticker and factor tickers.
    window
        Window length in sessions (rows of ``returns``), trailing and including
        the row's own session.
    min_nobs
        Fewest complete observations in a window for an estimate; ``None`` uses
        ``ceil(DEFAULT_MIN_NOBS_FRACTION * window)``.

    Returns
    -------
    pd.DataFrame
        Indexed like ``returns``; columns ``const``, one beta per factor, ``r2``
        and ``nobs`` (complete observations in the window). NaN where the window
        has fewer than ``min_nobs`` complete observations.

    Raises
    ------
    ConfigError
        Unknown tickers, ``window`` longer than the data or too short for the
        number of parameters, ``min_nobs`` outside ``[k + 1, window]``.

    Notes
    -----
    statsmodels ``RollingOLS`` with ``missing="drop"``: NaN rows inside a window
    are dropped, so pre-listing windows (e.g. ABTC before 2025-09-03) are NaN.
    """
    fac = _check_factors(returns, ticker, factors)
    k = len(fac) + 1
    if window > len(returns):
        raise ConfigError(
            f"window={window} sessions is longer than the data ({len(returns)} sessions): "
            "use a shorter window"
        )
    if window < k + 1:
        raise ConfigError(f"window must be >= {k + 1} sessions for {k} parameters, got {window}")
    if min_nobs is None:
        min_nobs = max(k + 1, math.ceil(DEFAULT_MIN_NOBS_FRACTION * window))
    if not k + 1 <= min_nobs <= window:
        raise ConfigError(f"min_nobs must be between {k + 1} and window={window}, got {min_nobs}")
    from statsmodels.regression.rolling import RollingOLS
    from statsmodels.tools.tools import add_constant

    y = returns[ticker].astype(np.float64)
    x = add_constant(returns.loc[:, list(fac)].astype(np.float64), has_constant="add")
    res = RollingOLS(y, x, window=window, min_nobs=min_nobs, missing="drop").fit()
    out = pd.DataFrame(res.params, index=returns.index).loc[:, [CONST, *fac]]
    out["r2"] = np.asarray(res.rsquared, dtype=np.float64)
    nobs = np.asarray(res.nobs, dtype=np.float64)
    out["nobs"] = np.where(out[CONST].notna().to_numpy(), nobs, np.nan)
    out.columns.name = None
    return out


# ----------------------------------------------------------------------------- break design


class _NotTestable(ConfigError):
    """A break test that the data cannot support; ``short`` is the reason for the verdict."""

    def __init__(self, message: str, short: str) -> None:
        super().__init__(message)
        self.short = short


@dataclass(frozen=True)
class _Design:
    """Regression design of the break tests: y, [const, slope terms], terms per factor."""

    y: pd.Series
    x: pd.DataFrame
    factors: tuple[str, ...]
    terms: dict[str, tuple[str, ...]]
    btc_lags: int

    @property
    def slope_terms(self) -> tuple[str, ...]:
        return tuple(t for f in self.factors for t in self.terms[f])


def _break_design(
    returns: pd.DataFrame,
    ticker: str,
    factors: Sequence[str],
    *,
    btc: str,
    btc_lags: int,
    start: DateLike | None,
    end: DateLike | None,
    min_obs: int,
) -> _Design:
    """Build y and [const, factors, lagged BTC] on complete rows of the period.

    Lagged terms are taken on the full frame before slicing (the first session may
    use a lag from before ``start``). A factor's contemporaneous term keeps the
    factor's name; lag j of BTC is ``"BTC-USD[t-j]"``.
    """
    fac = _check_factors(returns, ticker, factors)
    lags = check_int(btc_lags, "btc_lags", minimum=0, unit="lags")
    if lags and btc not in fac:
        raise ConfigError(
            f"btc_lags={lags} needs the bitcoin factor {btc!r} among factors {fac}: add it or pass btc_lags=0"
        )
    cols: dict[str, pd.Series] = {ticker: returns[ticker]}
    terms: dict[str, tuple[str, ...]] = {}
    for f in fac:
        names = [f]
        cols[f] = returns[f]
        if f == btc:
            for j in range(1, lags + 1):
                label = _shift_label(f, -j)
                cols[label] = returns[f].shift(j)
                names.append(label)
        terms[f] = tuple(names)
    frame = pd.DataFrame(cols, index=returns.index)
    frame, _, _ = slice_period(frame, start, end, "returns")
    regressors = [t for f in fac for t in terms[f]]
    what = f"factors {', '.join(fac)}" + (f" and {lags} BTC lag(s)" if lags else "")
    y, x = _complete(frame, ticker, regressors, max(min_obs, 2 * (len(regressors) + 2)), what)
    return _Design(y=y, x=x, factors=fac, terms=terms, btc_lags=lags)


def _break_session(
    design: _Design, break_date: DateLike, min_obs_side: int
) -> tuple[pd.Timestamp, pd.Timestamp, FloatArray]:
    """Requested date, the break session (first used session on/after it) and the after-dummy."""
    requested = as_timestamp(break_date, "break_date").normalize()
    index = pd.DatetimeIndex(design.y.index)
    first, last = index[0], index[-1]
    ticker = str(design.y.name)
    if requested < first or requested > last:
        raise _NotTestable(
            f"break_date {requested.date()} is outside {ticker}'s data ({first.date()} to {last.date()}): "
            "choose a date inside the sample",
            f"{requested.date()} outside the data {first.date()}..{last.date()}",
        )
    session = pd.Timestamp(index[int(index.searchsorted(requested, side="left"))])
    after = np.asarray(index >= session, dtype=np.float64)
    n_after = int(after.sum())
    n_before = len(after) - n_after
    if n_before < min_obs_side or n_after < min_obs_side:
        raise _NotTestable(
            f"break_date {requested.date()} (session {session.date()}) leaves {n_before} observations "
            f"before and {n_after} after for {ticker}; need >= {min_obs_side} on each side "
            "(min_obs_side): choose another date, widen the period or lower min_obs_side",
            f"{n_before} sessions before and {n_after} after {session.date()}; need >= {min_obs_side} each",
        )
    return requested, session, after


def _interact(x: pd.DataFrame, after: FloatArray) -> pd.DataFrame:
    inter = x.mul(after, axis=0)
    inter.columns = [f"{_AFTER_PREFIX}{c}" for c in x.columns]
    return pd.concat([x, inter], axis=1)


def _selector(n_cols: int, positions: Sequence[int]) -> FloatArray:
    r = np.zeros((len(positions), n_cols))
    for i, j in enumerate(positions):
        r[i, j] = 1.0
    return r


def _shift_tests(res: Any, k: int) -> dict[str, float]:
    """HAC Wald of the slope shifts, t test of the intercept shift, joint Wald (all shifts)."""
    n_cols = 2 * k
    slopes = _selector(n_cols, range(k + 1, 2 * k))
    joint = _selector(n_cols, range(k, 2 * k))
    w_slopes = res.wald_test(slopes, use_f=False, scalar=True)
    w_joint = res.wald_test(joint, use_f=False, scalar=True)
    return {
        "wald_slopes": float(np.ravel(w_slopes.statistic)[0]),
        "p_slopes": float(np.ravel(w_slopes.pvalue)[0]),
        "intercept_shift": float(res.params.iloc[k]),
        "intercept_shift_se": float(res.bse.iloc[k]),
        "p_intercept": float(res.pvalues.iloc[k]),
        "wald_joint": float(np.ravel(w_joint.statistic)[0]),
        "p_joint": float(np.ravel(w_joint.pvalue)[0]),
    }


def _factor_weights(design: _Design, param: str, period: str) -> FloatArray:
    """Weights on [x, after:x] of a factor's total beta (or the constant) in a period."""
    names = list(design.x.columns)
    k = len(names)
    members = [CONST] if param == CONST else list(design.terms[param])
    w = np.zeros(2 * k)
    for m in members:
        j = names.index(m)
        if period in ("before", "after"):
            w[j] = 1.0
        if period in ("after", "shift"):
            w[k + j] = 1.0
    return w


# ----------------------------------------------------------------------------- known-date break


@dataclass(frozen=True)
class BreakTest:
    """Test of a shift in factor betas at a known date (HAC, slopes apart from intercept).

    Attributes
    ----------
    ticker, factors
        Dependent ticker and factors.
    terms
        Slope terms of the regression (factors, then BTC lags such as ``"BTC-USD[t-1]"``).
    btc_lags
        Number of lagged BTC terms.
    requested_date, break_date
        Date asked for and the session used (first session on/after it); the
        break session belongs to the *after* regime.
    n_before, n_after
        Complete observations before and from the break session.
    maxlags
        HAC truncation lag of the headline tests.
    wald_slopes, df_slopes, p_slopes
        HAC Wald test that every slope term is unchanged (the intercept may shift):
        the headline test.
    intercept_shift, intercept_shift_se, p_intercept
        Post-break change of the intercept (daily log return) and its HAC p.
    wald_joint, df_joint, p_joint
        HAC Wald test that nothing shifts (slopes and intercept together).
    chow_f, chow_df_num, chow_df_denom, chow_p
        Classic Chow F test of the same joint hypothesis; it assumes equal error
        variances before and after (and no autocorrelation), so it is reported
        only beside ``p_joint``.
    before_after
        Index ``param`` (``const`` and each factor's total beta, i.e. the sum of its
        terms); columns ``beta_before, se_before, beta_after, se_after, diff,
        diff_se, diff_t, diff_p`` (HAC).
    coefs
        Every coefficient of the break regression (``param``, HAC ``coef, se, t, p``).
    lag_sensitivity
        ``p_slopes`` and ``p_intercept`` under other HAC truncation lags (see
        :func:`break_test`).
    dates, result
        Sessions used and the statsmodels HAC results (for ``summary()``).
    """

    ticker: str
    factors: tuple[str, ...]
    terms: tuple[str, ...]
    btc_lags: int
    requested_date: pd.Timestamp
    break_date: pd.Timestamp
    n_before: int
    n_after: int
    maxlags: int
    wald_slopes: float
    df_slopes: int
    p_slopes: float
    intercept_shift: float
    intercept_shift_se: float
    p_intercept: float
    wald_joint: float
    df_joint: int
    p_joint: float
    chow_f: float
    chow_df_num: int
    chow_df_denom: int
    chow_p: float
    before_after: pd.DataFrame
    coefs: pd.DataFrame
    lag_sensitivity: pd.DataFrame
    dates: pd.DatetimeIndex = field(repr=False)
    result: Any = field(repr=False, compare=False)
    _design: _Design = field(repr=False, compare=False)

    @property
    def rolled(self) -> bool:
        """True when the requested date was not a session."""
        return bool(self.break_date != self.requested_date)

    def change(self, factor: str) -> float:
        """Post-break change of a factor's total beta (``after - before``)."""
        return _num(self.before_after.loc[factor, "diff"])

    def conf_int(self, alpha: float = DEFAULT_ALPHA) -> pd.DataFrame:
        """HAC intervals at level ``1 - alpha`` of the betas before, after and of the shift.

        Returns
        -------
        pd.DataFrame
            One row per (param, period): ``ticker, break_date, param, period,
            coef, se, ci_low, ci_high``; ``param`` is ``const`` or a factor (its
            total beta over the lag terms), ``period`` is ``before``, ``after`` or
            ``shift`` (after minus before). Normal-distribution intervals.
        """
        _check_alpha(alpha)
        rows = []
        moments = _moments(self.result)
        for param in (CONST, *self.factors):
            for period in _PERIODS:
                lc = _linear_combination(moments, _factor_weights(self._design, param, period), alpha)
                rows.append(
                    {
                        "ticker": str(self.ticker),
                        "break_date": self.break_date,
                        "param": param,
                        "period": period,
                        "coef": lc["coef"],
                        "se": lc["se"],
                        "ci_low": lc["ci_low"],
                        "ci_high": lc["ci_high"],
                    }
                )
        return pd.DataFrame(rows)

    def summary_frame(self) -> pd.DataFrame:
        """One row: the tests and each factor's total beta before and after."""
        row: dict[str, Any] = {
            "ticker": str(self.ticker),
            "requested_date": self.requested_date,
            "break_date": self.break_date,
            "n_before": int(self.n_before),
            "n_after": int(self.n_after),
            "btc_lags": int(self.btc_lags),
            "maxlags": int(self.maxlags),
        }
        for f in self.factors:
            row[f"beta_before[{f}]"] = _num(self.before_after.loc[f, "beta_before"])
            row[f"beta_after[{f}]"] = _num(self.before_after.loc[f, "beta_after"])
        row.update(
            {
                "wald_slopes": self.wald_slopes,
                "df_slopes": int(self.df_slopes),
                "p_slopes": self.p_slopes,
                "intercept_shift": self.intercept_shift,
                "p_intercept": self.p_intercept,
                "p_joint": self.p_joint,
                "p_chow_equal_var": self.chow_p,
            }
        )
        return pd.DataFrame([row])


def _lag_sensitivity(y: pd.Series, z: pd.DataFrame, k: int, choices: Sequence[int | None]) -> pd.DataFrame:
    rows = []
    nw = newey_west_maxlags(len(y))
    for choice in choices:
        res, lags = _hac_fit(y, z, choice)
        tests = _shift_tests(res, k)
        rows.append(
            {
                "rule": "Newey-West" if choice is None else "fixed",
                "maxlags": lags,
                "p_slopes": tests["p_slopes"],
                "p_intercept": tests["p_intercept"],
                "p_joint": tests["p_joint"],
            }
        )
    out = pd.DataFrame(rows)
    out.attrs["newey_west_maxlags"] = nw
    return out


def break_test(
    returns: pd.DataFrame,
    ticker: str,
    break_date: DateLike,
    factors: Sequence[str] = DEFAULT_FACTORS,
    *,
    btc_lags: int = DEFAULT_BREAK_BTC_LAGS,
    btc: str = DEFAULT_BTC,
    start: DateLike | None = None,
    end: DateLike | None = None,
    min_obs_side: int = DEFAULT_MIN_OBS_SIDE,
    maxlags: int | None = None,
    sensitivity_maxlags: Sequence[int | None] = DEFAULT_SENSITIVITY_MAXLAGS,
) -> BreakTest:
    """HAC Wald test of a shift in the factor *slopes* at ``break_date``.

    Parameters
    ----------
    returns
        Wide daily log returns (sessions x tickers).
    ticker, factors
        Dependent ticker and factors.
    break_date
        Date of the suspected break (e.g. a pivot deal). A non-session date is
        moved to the first session on/after it (reported as ``break_date``).
    btc_lags, btc
        Lagged terms ``btc[t-1..t-btc_lags]`` added to the regression (Dimson), so
        BTC news after the US close counts towards BTC's beta; 0 for none.
    start, end
        Optional inclusive sample bounds.
    min_obs_side
        Fewest complete observations required on each side of the break.
    maxlags
        HAC truncation lag of the headline tests; ``None`` uses :func:`newey_west_maxlags`.
    sensitivity_maxlags
        HAC lags of the :attr:`BreakTest.lag_sensitivity` table (``None`` = the rule).

    Returns
    -------
    BreakTest

    Raises
    ------
    ConfigError
        Break date outside the data, too few observations on one side (naming
        the date and both counts), unknown tickers, empty period, ``btc_lags``
        without the BTC factor.

    Notes
    -----
    With ``D_t = 1`` from the break session on and ``X = [1, S]`` (S the slope
    terms: factors and BTC lags, m columns), the unrestricted model is
    ``y = X b + (D X) d + e``, fitted by OLS with Newey-West (Bartlett) HAC
    covariance ``V`` (robust to the variance change at the break).

    * Slopes: ``W = d_S' [V(d_S)]^-1 d_S ~ chi2(m)`` - the intercept shift
      ``d_0`` is free, so a drift that changes at the break (e.g. a rally) does
      not count as a beta shift.
    * Intercept: ``z = d_0 / se(d_0)``, normal p.
    * Joint (all of d) HAC Wald, and the classic Chow
      ``F = ((SSR_r - SSR_u) / k) / (SSR_u / (n - 2k))`` with ``(k, n - 2k)``
      degrees of freedom, which assumes equal error variances on both sides.
    * A factor's beta is the sum of its terms (Dimson), before ``sum b``, after
      ``sum (b + d)``; SEs are those of the linear combinations.
    """
    # Sample-size floor here is 2 (k + 1) rows; the per-side floor is min_obs_side.
    design = _break_design(
        returns, ticker, factors, btc=btc, btc_lags=btc_lags, start=start, end=end, min_obs=0
    )
    k = design.x.shape[1]
    min_side = check_int(min_obs_side, "min_obs_side", minimum=k + 1)
    requested, session, after = _break_session(design, break_date, min_side)
    z = _interact(design.x, after)
    y = design.y
    hac, lags = _hac_fit(y, z, maxlags)
    tests = _shift_tests(hac, k)

    from statsmodels.regression.linear_model import OLS

    restricted = OLS(y, design.x).fit()
    unrestricted = OLS(y, z).fit()
    chow_f, chow_p, chow_df = unrestricted.compare_f_test(restricted)

    rows = []
    moments = _moments(hac)
    for param in (CONST, *design.factors):
        lc = {
            p: _linear_combination(moments, _factor_weights(design, param, p), DEFAULT_ALPHA)
            for p in _PERIODS
        }
        rows.append(
            {
                "beta_before": lc["before"]["coef"],
                "se_before": lc["before"]["se"],
                "beta_after": lc["after"]["coef"],
                "se_after": lc["after"]["se"],
                "diff": lc["shift"]["coef"],
                "diff_se": lc["shift"]["se"],
                "diff_t": lc["shift"]["t"],
                "diff_p": lc["shift"]["p"],
            }
        )
    before_after = pd.DataFrame(rows, index=pd.Index([CONST, *design.factors], name="param"))
    coefs = pd.DataFrame(
        {
            "coef": np.asarray(hac.params),
            "se": np.asarray(hac.bse),
            "t": np.asarray(hac.tvalues),
            "p": np.asarray(hac.pvalues),
        },
        index=pd.Index(list(z.columns), name="param"),
    )
    return BreakTest(
        ticker=ticker,
        factors=design.factors,
        terms=design.slope_terms,
        btc_lags=design.btc_lags,
        requested_date=requested,
        break_date=session,
        n_before=len(after) - int(after.sum()),
        n_after=int(after.sum()),
        maxlags=lags,
        df_slopes=k - 1,
        df_joint=k,
        chow_f=float(chow_f),
        chow_df_num=round(chow_df),
        chow_df_denom=round(unrestricted.df_resid),
        chow_p=float(chow_p),
        before_after=before_after,
        coefs=coefs,
        lag_sensitivity=_lag_sensitivity(y, z, k, sensitivity_maxlags),
        dates=pd.DatetimeIndex(y.index),
        result=hac,
        _design=design,
        **tests,
    )


# ----------------------------------------------------------------------------- unknown-date break


class _RegimeWald:
    """Slope-shift Wald statistics at every candidate break, for many y sharing one X.

    Parameters
    ----------
    x
        (n, p) regressors, column 0 the constant.
    taus
        Candidate breaks: index of the first *after* observation (1 <= tau < n).

    Notes
    -----
    Per regime r: ``b_r = A_r^-1 c_r`` and the HC0 covariance
    ``V_r = A_r^-1 [sum e_t^2 x_t x_t'] A_r^-1`` with ``e_t = y_t - x_t' b_r``; the
    meat is expanded into prefix sums of ``y^2 xx'``, ``y x_k xx'`` and
    ``x_k x_l xx'`` (upper triangles only), so every candidate costs O(p^4)
    instead of a regression. ``W = (b_1 - b_2)_S' [V_1 + V_2]_S^-1 (b_1 - b_2)_S``
    over the slopes S equals the HC0 Wald test of the slope interactions in
    ``y = X b + (D X) d``. Hand-written because statsmodels would refit once per
    candidate and bootstrap draw (hundreds of thousands of fits).
    """

    def __init__(self, x: FloatArray, taus: npt.NDArray[np.intp]) -> None:
        n, p = x.shape
        self.x, self.taus, self.p = x, taus, p
        # consecutive candidates (the usual trimmed range): prefix sums are read as a view
        self.window = slice(int(taus[0]) - 1, int(taus[-1])) if np.all(np.diff(taus) == 1) else None
        self.iu = np.triu_indices(p)
        self.xxv = x[:, self.iu[0]] * x[:, self.iu[1]]
        xx_cum = np.cumsum(np.einsum("ti,tj->tij", x, x), axis=0)
        a1 = xx_cum[taus - 1]
        self.inv = (np.linalg.inv(a1), np.linalg.inv(xx_cum[n - 1] - a1))
        x4_cum = np.cumsum(np.einsum("tk,tl,tq->tklq", x, x, self.xxv), axis=0)
        x4_1 = x4_cum[taus - 1]
        self.x4 = (x4_1, x4_cum[n - 1] - x4_1)
        self.xyv = x[:, :, None] * self.xxv[:, None, :]
        # Slope block of A^-1 M A^-1 as a linear map of the meat's upper triangle M_v, per regime:
        # [A^-1 M A^-1]_ij = sum_v M_v (a_ik a_lj + [k != l] a_il a_kj), v = (k, l) = (row, col), i, j in S.
        row, col = self.iu
        s = np.arange(1, p)
        self.maps = np.concatenate(
            [
                (
                    inv[:, s[:, None], row[None, :]][:, :, None, :]
                    * inv[:, col[None, :], s[:, None]][:, None, :, :]
                    + (row != col)
                    * inv[:, s[:, None], col[None, :]][:, :, None, :]
                    * inv[:, row[None, :], s[:, None]][:, None, :, :]
                )
                .reshape(len(taus), len(s) ** 2, len(row))
                .transpose(0, 2, 1)
                for inv in self.inv
            ],
            axis=1,
        )  # (n_tau, 2V, |S|^2)

    def _split(self, cum: FloatArray) -> tuple[FloatArray, FloatArray]:
        before = cum[:, self.window] if self.window is not None else cum[:, self.taus - 1]
        return before, cum[:, -1][:, None] - before

    def _prefix(self, terms: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Before/after sums of ``terms`` (m, n, ...) at every candidate (cumulated in place)."""
        return self._split(np.cumsum(terms, axis=1, out=terms))

    def squares(self, y2: FloatArray) -> tuple[FloatArray, FloatArray]:
        """The ``sum y^2 xx'`` term for squared dependent variables ``y2`` (m, n)."""
        return self._prefix(y2[:, :, None] * self.xxv[None])

    def stats(self, ys: FloatArray, squares: tuple[FloatArray, FloatArray] | None = None) -> FloatArray:
        """(m, n) dependent variables -> (m, len(taus)) Wald statistics.

        ``squares`` is :meth:`squares` of ``ys**2`` when it is known in advance: every wild
        bootstrap draw ``e * eta`` with Rademacher ``eta`` has the same squares ``e**2``.
        """
        p = self.p
        c = self._prefix(ys[:, :, None] * self.x[None])
        yy = squares if squares is not None else self.squares(ys**2)
        yx = self._prefix(ys[:, :, None, None] * self.xyv[None])
        betas, meats = [], []
        m, n_tau = ys.shape[0], len(self.taus)
        for r in range(2):
            beta = (self.inv[r][None] @ c[r][..., None])[..., 0]
            outer = (beta[..., :, None] * beta[..., None, :]).reshape(m, n_tau, p * p)
            quad = np.matmul(outer.transpose(1, 0, 2), self.x4[r].reshape(n_tau, p * p, -1))
            meat_v = yy[r] - 2.0 * (beta[..., None, :] @ yx[r])[..., 0, :] + quad.transpose(1, 0, 2)
            betas.append(beta)
            meats.append(meat_v.transpose(1, 0, 2))
        k = p - 1
        # V_1 + V_2 over the slopes, both regimes in one batched product (n_tau, m, k^2)
        cov = np.matmul(np.concatenate(meats, axis=2), self.maps).transpose(1, 0, 2).reshape(m, n_tau, k, k)
        delta = (betas[0] - betas[1])[:, :, 1:]
        return _inverse_quadratic_form(cov, delta)


#: Below this ``|det| / prod(diag)`` a small covariance matrix counts as ill-conditioned and its
#: quadratic form goes through LU (``np.linalg.solve``) instead of the adjugate.
ADJUGATE_MIN_RELATIVE_DET = 1e-8


def _inverse_quadratic_form(cov: FloatArray, delta: FloatArray) -> FloatArray:
    """``delta' cov^-1 delta`` over leading axes, for (..., k, k) covariances and (..., k) vectors.

    For k <= 3 the adjugate formula is used (hand-written: numpy's batched ``solve`` of
    millions of 2x2/3x3 systems costs about 3x more, the bulk of a sup-Wald bootstrap); rows
    whose matrix is ill-conditioned (relative determinant below :data:`ADJUGATE_MIN_RELATIVE_DET`)
    and larger k use ``np.linalg.solve``.
    """
    k = delta.shape[-1]
    if k > 3:
        solved = np.linalg.solve(cov, delta[..., None])[..., 0]
        out: FloatArray = np.einsum("...i,...i->...", delta, solved)
        return out
    if k == 1:
        det = cov[..., 0, 0]
        num = delta[..., 0] ** 2
    elif k == 2:
        a, b, d = cov[..., 0, 0], cov[..., 0, 1], cov[..., 1, 1]
        x, y = delta[..., 0], delta[..., 1]
        det = a * d - b * b
        num = d * x * x - 2.0 * b * x * y + a * y * y
    else:
        a, b, c = cov[..., 0, 0], cov[..., 0, 1], cov[..., 0, 2]
        d, e, f = cov[..., 1, 1], cov[..., 1, 2], cov[..., 2, 2]
        c00, c01, c02 = d * f - e * e, c * e - b * f, b * e - c * d  # cofactors of the symmetric matrix
        c11, c12, c22 = a * f - c * c, b * c - a * e, a * d - b * b
        det = a * c00 + b * c01 + c * c02
        x, y, z = delta[..., 0], delta[..., 1], delta[..., 2]
        num = c00 * x * x + c11 * y * y + c22 * z * z + 2.0 * (c01 * x * y + c02 * x * z + c12 * y * z)
    scale = np.prod(np.diagonal(cov, axis1=-2, axis2=-1), axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        quad: FloatArray = num / det
        poor = ~(np.abs(det) > ADJUGATE_MIN_RELATIVE_DET * np.abs(scale))
    if poor.any():
        with np.errstate(divide="ignore", invalid="ignore"):
            solved = np.linalg.solve(cov[poor], delta[poor][..., None])[..., 0]
        quad[poor] = np.einsum("...i,...i->...", delta[poor], solved)
    return quad


@dataclass(frozen=True)
class SupWaldTest:
    """Andrews (1993) sup-Wald test of a slope shift at an unknown date.

    Attributes
    ----------
    ticker, factors, terms, btc_lags
        Dependent ticker, factors, slope terms and lagged BTC terms.
    stat, break_date
        Largest Wald statistic over the candidates and the session where it is
        attained (first session of the estimated *after* regime).
    p
        Bootstrap p-value ``(1 + #{W*_b >= stat}) / (n_boot + 1)``.
    n, trim, first_candidate, last_candidate
        Observations, trimming fraction and the candidate range (sessions).
    n_boot, seed, method
        Bootstrap replications, seed, and how the p-value is computed.
    path
        ``W(tau)`` indexed by candidate session (for plotting).

    There is no ``conf_int``: the result is a test statistic and the date that maximises
    it; an interval for the break date (Bai 1997) is not computed, and the betas before and
    after a given date have theirs in :meth:`BreakTest.conf_int`.
    """

    ticker: str
    factors: tuple[str, ...]
    terms: tuple[str, ...]
    btc_lags: int
    stat: float
    break_date: pd.Timestamp
    p: float
    n: int
    trim: float
    first_candidate: pd.Timestamp
    last_candidate: pd.Timestamp
    n_boot: int
    seed: int
    method: str
    path: pd.Series = field(repr=False)

    def covers(self, date: DateLike) -> bool:
        """True if ``date`` lies inside the trimmed candidate range (the test could find it)."""
        return bool(self.first_candidate <= as_timestamp(date, "date") <= self.last_candidate)

    def summary_frame(self) -> pd.DataFrame:
        """One row: ticker, statistic, estimated date, p-value and the settings."""
        return pd.DataFrame(
            [
                {
                    "ticker": str(self.ticker),
                    "sup_wald": self.stat,
                    "sup_wald_date": self.break_date,
                    "p_sup_wald": self.p,
                    "df": len(self.terms),
                    "n": int(self.n),
                    "trim": self.trim,
                    "first_candidate": self.first_candidate,
                    "last_candidate": self.last_candidate,
                    "n_boot": int(self.n_boot),
                    "method": self.method,
                }
            ]
        )


def sup_wald_test(
    returns: pd.DataFrame,
    ticker: str,
    factors: Sequence[str] = DEFAULT_FACTORS,
    *,
    btc_lags: int = DEFAULT_BREAK_BTC_LAGS,
    btc: str = DEFAULT_BTC,
    start: DateLike | None = None,
    end: DateLike | None = None,
    trim: float = DEFAULT_TRIM,
    n_boot: int = DEFAULT_N_BOOT,
    seed: int = DEFAULT_BOOT_SEED,
    min_obs: int = MIN_REGRESSION_OBS,
) -> SupWaldTest:
    """Andrews (1993) sup-Wald test for a slope shift at an unknown date.

    Parameters
    ----------
    returns, ticker, factors, btc_lags, btc, start, end
        As in :func:`break_test`.
    trim
        Fraction of observations excluded at each end of the candidate range
        (Andrews' ``pi_0``; default 0.15).
    n_boot
        Bootstrap replications of the p-value (>= 19).
    seed
        Seed of the bootstrap weights.
    min_obs
        Fewest complete observations of the whole sample.

    Returns
    -------
    SupWaldTest

    Raises
    ------
    ConfigError
        As :func:`break_test`; ``trim`` outside (0, 0.5); a regime with fewer
        observations than parameters.

    Notes
    -----
    ``W(tau)`` is the Wald statistic of ``H0: d_S = 0`` in ``y = X b + (D_tau X) d
    + e`` (slopes S; intercept free to shift) with heteroskedasticity-robust
    per-regime covariances, for every candidate ``tau`` with at least
    ``ceil(trim * n)`` observations on each side; ``sup W`` and its argmax are
    reported. p-value: Hansen's (2000) fixed-regressor bootstrap - ``y*_t = e_t
    eta_t`` with ``e`` the residuals of the no-break regression and ``eta_t`` iid
    Rademacher, ``X`` held fixed - which is valid under heteroskedasticity and
    under changes in the regressors' distribution (e.g. volatility regimes of
    BTC and tech), where Andrews' asymptotic critical values are not. The
    wild bootstrap draws serially uncorrelated errors, so ``W`` uses HC0 (not
    HAC) covariances, matching what the bootstrap validates.
    """
    trim = check_open_unit(trim, "trim", upper=0.5, example="0.15")
    n_boot = check_int(n_boot, "n_boot", minimum=19, unit="replications")
    seed = check_int(seed, "seed", minimum=0, unit="(seed)")
    design = _break_design(
        returns, ticker, factors, btc=btc, btc_lags=btc_lags, start=start, end=end, min_obs=min_obs
    )
    x = design.x.to_numpy(dtype=np.float64)
    y = design.y.to_numpy(dtype=np.float64)
    n, p = x.shape
    lo = max(math.ceil(trim * n), p + 1)
    hi = n - lo
    if hi < lo:
        raise _NotTestable(
            f"{ticker} has {n} observations: too few for trim={trim} with {p} parameters per regime; "
            "widen the period or lower trim",
            f"{n} observations, too few for a sup-Wald test",
        )
    taus = np.arange(lo, hi + 1, dtype=np.intp)
    wald = _RegimeWald(x, taus)
    observed = wald.stats(y[None, :])[0]
    best = int(np.argmax(observed))
    stat = float(observed[best])
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    resid = y - x @ beta
    rng = np.random.default_rng(seed)
    squares = wald.squares(resid[None, :] ** 2)  # (e * eta)^2 = e^2 for every draw
    exceed = 0
    for b0 in range(0, n_boot, _BOOT_BATCH):
        m = min(_BOOT_BATCH, n_boot - b0)
        eta = 2.0 * rng.integers(0, 2, size=(m, n)) - 1.0
        sup_star = wald.stats(resid[None, :] * eta, squares).max(axis=1)
        exceed += int(np.sum(sup_star >= stat))
    dates = pd.DatetimeIndex(design.y.index)
    return SupWaldTest(
        ticker=ticker,
        factors=design.factors,
        terms=design.slope_terms,
        btc_lags=design.btc_lags,
        stat=stat,
        break_date=pd.Timestamp(dates[taus[best]]),
        p=(1 + exceed) / (n_boot + 1),
        n=n,
        trim=trim,
        first_candidate=pd.Timestamp(dates[taus[0]]),
        last_candidate=pd.Timestamp(dates[taus[-1]]),
        n_boot=n_boot,
        seed=seed,
        method=f"{SUP_WALD_METHOD}, B={n_boot}",
        path=pd.Series(observed, index=dates[taus], name="wald"),
    )


# ----------------------------------------------------------------------------- family and verdicts


def break_verdict(
    p_slopes_adj: float,
    btc_change: float,
    tech_change: float,
    *,
    alpha: float = DEFAULT_ALPHA,
    reason: str = "",
) -> str:
    """The verdict rule of a slope-shift test.

    Parameters
    ----------
    p_slopes_adj
        Multiplicity-adjusted p-value of the slopes-only test.
    btc_change, tech_change
        Post-break change of the BTC beta (incl. lag terms) and of the tech beta.
    alpha
        Significance level.
    reason
        Non-empty when the test could not be run.

    Returns
    -------
    str
        ``"not testable (<reason>)"`` if there is a reason or no p-value;
        ``"no significant shift"`` if ``p_slopes_adj >= alpha``; ``"shift toward
        tech"`` if it rejects and the tech beta rose while the BTC beta fell;
        otherwise ``"shift, not toward tech"``.
    """
    _check_alpha(alpha)
    if reason or not math.isfinite(p_slopes_adj):
        return f"{VERDICT_NOT_TESTABLE} ({reason or 'no p-value'})"
    if p_slopes_adj >= alpha:
        return VERDICT_NO_SHIFT
    if tech_change > 0 and btc_change < 0:
        return VERDICT_TOWARD_TECH
    return VERDICT_OTHER_SHIFT


@dataclass(frozen=True)
class BreakTests:
    """A family of slope-shift tests (tickers x dates) with Holm control and verdicts.

    Attributes
    ----------
    pairs
        ``(ticker, requested date)`` in input order.
    tests
        :class:`BreakTest` per pair, ``None`` where not testable.
    reasons
        Short reason per pair (empty when tested).
    sup_wald
        Ticker -> :class:`SupWaldTest` (one per ticker, if requested and possible);
        ``sup_wald_reasons`` holds the reason for the others.
    p_slopes_adj
        Holm-adjusted ``p_slopes`` over the tested pairs (NaN for the others).
    verdicts
        :func:`break_verdict` per pair, on the adjusted p.
    p_slopes_adj_by_lag
        Per pair, Holm-adjusted ``p_slopes`` at each HAC lag choice of its
        :attr:`BreakTest.lag_sensitivity` rows (Holm over the family at each choice;
        empty for untested pairs).
    robust_to_lags
        Per pair: every lag choice of the sensitivity table reaches the headline lag's
        decision (significant after Holm at all of them, or at none; ``None`` where not
        testable).
    btc, tech, alpha
        Factor roles of the verdict rule and its significance level.
    """

    pairs: tuple[tuple[str, pd.Timestamp], ...]
    tests: tuple[BreakTest | None, ...]
    reasons: tuple[str, ...]
    sup_wald: dict[str, SupWaldTest]
    sup_wald_reasons: dict[str, str]
    p_slopes_adj: tuple[float, ...]
    verdicts: tuple[str, ...]
    p_slopes_adj_by_lag: tuple[tuple[float, ...], ...]
    robust_to_lags: tuple[bool | None, ...]
    btc: str
    tech: str
    alpha: float

    def __len__(self) -> int:
        return len(self.pairs)

    def _sup(self, ticker: str) -> tuple[Any, float]:
        sw = self.sup_wald.get(ticker)
        return (sw.break_date, sw.p) if sw is not None else (pd.NaT, math.nan)

    def summary_frame(self) -> pd.DataFrame:
        """One row per (ticker, date): betas, the tests, adjusted p, sup-Wald and verdict."""
        rows = []
        for i, ((ticker, when), bt) in enumerate(zip(self.pairs, self.tests, strict=True)):
            if bt is not None:
                row = bt.summary_frame().iloc[0].to_dict()
            else:
                row = {"ticker": ticker, "requested_date": when, "break_date": pd.NaT}
            sup_date, sup_p = self._sup(ticker)
            sw = self.sup_wald.get(ticker)
            tested = bt.break_date if bt is not None else when
            row.update(
                {
                    "p_slopes_adj": self.p_slopes_adj[i],
                    "sup_wald": sw.stat if sw is not None else math.nan,
                    "sup_wald_date": sup_date,
                    "p_sup_wald": sup_p,
                    "sup_wald_covers_date": sw.covers(tested) if sw is not None else pd.NA,
                    "robust_to_lags": _bool_or_na(self.robust_to_lags[i]),
                    "verdict": self.verdicts[i],
                    "reason": self.reasons[i],
                }
            )
            rows.append(row)
        betas = list(
            dict.fromkeys(
                f"beta_{when}[{f}]"
                for bt in self.tests
                if bt is not None
                for f in bt.factors
                for when in ("before", "after")
            )
        )
        cols = ["ticker", "requested_date", "break_date", "n_before", "n_after", "btc_lags", "maxlags"]
        cols += [*betas, "wald_slopes", "df_slopes", "p_slopes", "p_slopes_adj", "intercept_shift"]
        cols += ["p_intercept", "p_joint", "p_chow_equal_var", "sup_wald", "sup_wald_date", "p_sup_wald"]
        cols += ["sup_wald_covers_date", "robust_to_lags", "verdict", "reason"]
        out = pd.DataFrame(rows).reindex(columns=cols)
        out["robust_to_lags"] = out["robust_to_lags"].astype("boolean")
        for col in ("n_before", "n_after", "btc_lags", "maxlags", "df_slopes"):
            out[col] = out[col].astype("Int64")
        out["ticker"] = out["ticker"].astype(str)
        return out

    def metrics(self) -> pd.DataFrame:
        """The ``breaks`` metrics record: exactly :data:`BREAK_METRIC_COLUMNS`.

        ``break_date`` is the session tested (the requested date where not testable);
        ``robust_to_lags`` (nullable bool) is :attr:`robust_to_lags`.
        """
        rows = []
        for i, ((ticker, when), bt) in enumerate(zip(self.pairs, self.tests, strict=True)):
            sup_date, sup_p = self._sup(ticker)
            rows.append(
                {
                    "ticker": str(ticker),
                    "break_date": bt.break_date if bt is not None else when,
                    "p_slopes": bt.p_slopes if bt is not None else math.nan,
                    "p_slopes_adj": self.p_slopes_adj[i],
                    "p_intercept": bt.p_intercept if bt is not None else math.nan,
                    "sup_wald_date": sup_date,
                    "p_sup_wald": sup_p,
                    "verdict": self.verdicts[i],
                    "robust_to_lags": _bool_or_na(self.robust_to_lags[i]),
                }
            )
        out = pd.DataFrame(rows, columns=list(BREAK_METRIC_COLUMNS))
        out["robust_to_lags"] = out["robust_to_lags"].astype("boolean")
        return out

    def conf_int(self, alpha: float = DEFAULT_ALPHA) -> pd.DataFrame:
        """HAC intervals of the betas before/after/shift of every tested pair (:meth:`BreakTest.conf_int`)."""
        frames = [bt.conf_int(alpha) for bt in self.tests if bt is not None]
        if not frames:
            cols = ["ticker", "break_date", "param", "period", "coef", "se", "ci_low", "ci_high"]
            return pd.DataFrame(columns=cols)
        return pd.concat(frames, ignore_index=True)

    def before_after(self, date: DateLike, alpha: float = DEFAULT_ALPHA) -> pd.DataFrame:
        """Slope intervals before and after ``date`` (no intercept, no shift rows), for the figure."""
        ci = self.conf_int(alpha)
        when = pd.Timestamp(as_timestamp(date, "date")).normalize()
        keep = (
            (pd.to_datetime(ci["break_date"]) == when) & (ci["param"] != "const") & (ci["period"] != "shift")
        )
        return ci.loc[keep].reset_index(drop=True)

    def lag_sensitivity(self) -> pd.DataFrame:
        """``p_slopes``, its Holm-adjusted value and ``p_intercept`` by HAC lag for every tested pair.

        One row per (pair, lag choice); ``p_slopes_adj`` is Holm over the family at that lag choice.
        """
        frames = [
            bt.lag_sensitivity.assign(
                ticker=str(bt.ticker),
                break_date=bt.break_date,
                p_slopes_adj=list(self.p_slopes_adj_by_lag[i]),
            )
            for i, bt in enumerate(self.tests)
            if bt is not None
        ]
        if not frames:
            return pd.DataFrame(
                columns=["ticker", "break_date", "rule", "maxlags", "p_slopes", "p_intercept", "p_slopes_adj"]
            )
        out = pd.concat(frames, ignore_index=True)
        first = ["ticker", "break_date"]
        return out.loc[:, first + [c for c in out.columns if c not in first]]

    def headline(self, date: DateLike | None = None) -> list[dict[str, Any]]:
        """Headline records (readable name, verdict text, note) for the tests at ``date``.

        ``date`` defaults to the first pair's date (the common pivot date of the family).
        """
        if not self.pairs:
            return []
        when = self.pairs[0][1] if date is None else as_timestamp(date, "date")
        out = []
        for i, ((ticker, at), verdict, p_adj) in enumerate(
            zip(self.pairs, self.verdicts, self.p_slopes_adj, strict=True)
        ):
            if at != when:
                continue
            note = f"slopes-only HAC Wald, Holm over {len(self.pairs)} tests"
            if not math.isnan(p_adj):
                note += f"; adjusted p = {p_adj:.3g}"
            if p_adj < self.alpha:
                note += (
                    "; significant at every HAC lag choice"
                    if self.robust_to_lags[i]
                    else "; not robust to the HAC lag choice"
                )
            elif self.robust_to_lags[i] is False:
                note += "; significant at some other HAC lag choice"
            out.append(
                {
                    "name": f"{ticker}: beta shift at {at.date()}",
                    "value": None,
                    "unit": "verdict",
                    "text": verdict,
                    "note": note,
                }
            )
        return out

    def _lag_text(self, i: int) -> str:
        """Whether pair ``i``'s Holm-adjusted significance holds at every HAC lag choice ('' if untested)."""
        bt, adj = self.tests[i], self.p_slopes_adj_by_lag[i]
        if bt is None or not adj:
            return ""
        table = bt.lag_sensitivity
        labels = [
            f"{int(lag)}{' (Newey-West)' if rule == 'Newey-West' else ''}"
            for lag, rule in zip(table["maxlags"], table["rule"], strict=True)
        ]
        below = [lab for lab, p in zip(labels, adj, strict=True) if p < self.alpha]
        above = [lab for lab, p in zip(labels, adj, strict=True) if not p < self.alpha]
        a = f"{self.alpha:g}"
        if self.robust_to_lags[i] and self.p_slopes_adj[i] < self.alpha:
            return (
                f"; significant after Holm at every HAC lag choice (maxlags {', '.join(labels)}; largest "
                f"adjusted p = {max(adj):.3g}): robust to the lag choice"
            )
        if self.p_slopes_adj[i] < self.alpha:
            failing = ", ".join(above)
            return f"; **not robust to the HAC lag choice**: Holm-adjusted p >= {a} at maxlags {failing}"
        if below:
            return f"; Holm-adjusted p < {a} only at maxlags {', '.join(below)}"
        return f"; not significant at any HAC lag choice (maxlags {', '.join(labels)})"

    def sentences(self) -> list[str]:
        """One Markdown bullet per (ticker, date): betas, tests, verdict and its robustness to the HAC lag."""
        lines = []
        for i, ((ticker, when), bt) in enumerate(zip(self.pairs, self.tests, strict=True)):
            sw = self.sup_wald.get(ticker)
            sup = ""
            if sw is not None:
                sup = f"; the unknown-date sup-Wald test peaks at {sw.break_date.date()} "
                sup += f"(bootstrap p = {sw.p:.3g})"
                tested = bt.break_date if bt is not None else pd.Timestamp(when)
                if not sw.covers(tested):
                    sup += (
                        f" - its {sw.trim:.0%}-trimmed candidates ({sw.first_candidate.date()}.."
                        f"{sw.last_candidate.date()}) exclude {tested.date()}"
                    )
            if bt is None:
                lines.append(f"- **{ticker}** at {pd.Timestamp(when).date()}: **{self.verdicts[i]}**{sup}.")
                continue
            betas = ", ".join(
                f"{f} beta{f' (incl. {bt.btc_lags} lag)' if f == self.btc and bt.btc_lags else ''} "
                f"{_num(bt.before_after.loc[f, 'beta_before']):.2f} → "
                f"{_num(bt.before_after.loc[f, 'beta_after']):.2f}"
                for f in bt.factors
            )
            lines.append(
                f"- **{ticker}** at {bt.break_date.date()}: {betas}; slopes-only HAC Wald "
                f"p = {bt.p_slopes:.3g} (Holm-adjusted {self.p_slopes_adj[i]:.3g}), intercept shift "
                f"p = {bt.p_intercept:.3g}{sup}: **{self.verdicts[i]}**{self._lag_text(i)}."
            )
        return lines


def _run_each(
    run: Callable[[str, Any], _R], pairs: Sequence[tuple[str, Any]], on_error: str
) -> tuple[list[_R | None], list[str]]:
    """Run a test per (ticker, date); with ``on_error="report"`` a ConfigError becomes a reason."""
    results: list[_R | None] = []
    reasons: list[str] = []
    for ticker, when in pairs:
        try:
            results.append(run(ticker, when))
            reasons.append("")
        except ConfigError as exc:
            if on_error == "raise":
                raise
            results.append(None)
            reasons.append(exc.short if isinstance(exc, _NotTestable) else str(exc))
    return results, reasons


def _lag_robustness(
    results: Sequence[BreakTest | None], p_adj: Sequence[float], alpha: float
) -> tuple[tuple[tuple[float, ...], ...], tuple[bool | None, ...]]:
    """Holm-adjusted ``p_slopes`` per HAC lag choice and whether significance holds at all of them.

    Row ``j`` of every tested pair's :attr:`BreakTest.lag_sensitivity` is the same lag choice; Holm
    runs over the family at each choice, as for the headline p. A pair is robust when every choice
    reaches the headline's decision: adjusted p below ``alpha`` at all of them for a significant
    shift, at none of them for a non-significant one (a missing p counts as not below).
    """
    n_choices = max((len(r.lag_sensitivity) for r in results if r is not None), default=0)
    by_lag = [
        holm(
            [
                _num(r.lag_sensitivity["p_slopes"].iloc[j])
                if r is not None and j < len(r.lag_sensitivity)
                else math.nan
                for r in results
            ]
        )
        for j in range(n_choices)
    ]
    adjusted: list[tuple[float, ...]] = []
    robust: list[bool | None] = []
    for i, r in enumerate(results):
        if r is None:
            adjusted.append(())
            robust.append(None)
            continue
        mine = tuple(float(by_lag[j][i]) for j in range(len(r.lag_sensitivity)))
        adjusted.append(mine)
        significant = bool(p_adj[i] < alpha)
        robust.append(all(bool(p < alpha) == significant for p in mine))  # a NaN p counts as not below
    return tuple(adjusted), tuple(robust)


def _bool_or_na(value: bool | None) -> Any:
    """``value`` for a nullable-boolean column (``pd.NA`` for ``None``)."""
    return pd.NA if value is None else bool(value)


def _family_verdict(r: BreakTest | None, p_adj: float, reason: str, btc: str, tech: str, alpha: float) -> str:
    if r is None:
        return break_verdict(math.nan, math.nan, math.nan, alpha=alpha, reason=reason)
    if btc not in r.factors or tech not in r.factors:
        why = f"verdict needs {btc} and {tech} among factors"
        return break_verdict(float(p_adj), math.nan, math.nan, alpha=alpha, reason=why)
    return break_verdict(float(p_adj), r.change(btc), r.change(tech), alpha=alpha)


def break_tests(
    returns: pd.DataFrame,
    tests: Iterable[tuple[str, DateLike]],
    factors: Sequence[str] = DEFAULT_FACTORS,
    *,
    btc_lags: int = DEFAULT_BREAK_BTC_LAGS,
    btc: str = DEFAULT_BTC,
    tech: str = DEFAULT_TECH,
    start: DateLike | None = None,
    end: DateLike | None = None,
    min_obs_side: int = DEFAULT_MIN_OBS_SIDE,
    maxlags: int | None = None,
    sensitivity_maxlags: Sequence[int | None] = DEFAULT_SENSITIVITY_MAXLAGS,
    alpha: float = DEFAULT_ALPHA,
    sup_wald: bool = True,
    trim: float = DEFAULT_TRIM,
    n_boot: int = DEFAULT_N_BOOT,
    seed: int = DEFAULT_BOOT_SEED,
    on_error: Literal["report", "raise"] = "report",
) -> BreakTests:
    """Slope-shift tests for (ticker, date) pairs with Holm control and verdicts.

    Parameters
    ----------
    returns, factors, btc_lags, btc, start, end, min_obs_side, maxlags, sensitivity_maxlags
        As in :func:`break_test`.
    tests
        Pairs such as ``[("WULF", "2025-08-14"), ("IREN", "2025-06-02")]``: the
        family over which ``p_slopes`` is Holm-adjusted.
    tech
        The tech factor of the verdict rule (``btc`` is the bitcoin factor).
    alpha
        Significance level of Holm and the verdicts.
    sup_wald, trim, n_boot, seed
        Run :func:`sup_wald_test` once per ticker (estimated break date and its
        bootstrap p) with these settings.
    on_error
        ``"report"``: a pair whose date is outside the data or leaves too few
        observations is kept with the verdict ``not testable (reason)``;
        ``"raise"``: re-raise. Unknown tickers always raise.

    Returns
    -------
    BreakTests

    Notes
    -----
    Holm (``statsmodels.stats.multitest.multipletests(method="holm")``) over the
    pairs that could be tested; verdicts use the adjusted p (:func:`break_verdict`).
    Changes of the BTC beta include its lag terms. Holm is repeated at each HAC lag of
    ``sensitivity_maxlags``; :attr:`BreakTests.robust_to_lags` says whether the adjusted p
    stays below ``alpha`` at all of them (and at the headline lag).
    """
    check_choice(on_error, "on_error", ("report", "raise"))
    _check_alpha(alpha)
    pairs_in = list(tests)
    if not pairs_in:
        raise ConfigError("tests is empty: pass (ticker, date) pairs")
    _check_returns(returns)
    require_columns(returns, [*(t for t, _ in pairs_in), *factors])
    pairs = [(ticker, as_timestamp(when, "break_date").normalize()) for ticker, when in pairs_in]
    opts: dict[str, Any] = {"btc_lags": btc_lags, "btc": btc, "start": start, "end": end}

    def known_date(ticker: str, when: pd.Timestamp) -> BreakTest:
        return break_test(
            returns,
            ticker,
            when,
            factors,
            min_obs_side=min_obs_side,
            maxlags=maxlags,
            sensitivity_maxlags=sensitivity_maxlags,
            **opts,
        )

    def unknown_date(ticker: str) -> SupWaldTest:
        return sup_wald_test(returns, ticker, factors, trim=trim, n_boot=n_boot, seed=seed, **opts)

    results, reasons = _run_each(known_date, pairs, on_error)
    sups: dict[str, SupWaldTest] = {}
    sup_reasons: dict[str, str] = {}
    if sup_wald:
        tickers = list(dict.fromkeys(t for t, _ in pairs))
        fitted, why = _run_each(lambda t, _: unknown_date(t), [(t, pd.NaT) for t in tickers], on_error)
        sups = {t: r for t, r in zip(tickers, fitted, strict=True) if r is not None}
        sup_reasons = {t: w for t, w in zip(tickers, why, strict=True) if w}
    p_adj = holm([r.p_slopes if r is not None else math.nan for r in results])
    verdicts = [
        _family_verdict(r, p, why, btc, tech, alpha)
        for r, p, why in zip(results, p_adj, reasons, strict=True)
    ]
    by_lag, robust = _lag_robustness(results, [float(p) for p in p_adj], alpha)
    return BreakTests(
        pairs=tuple(pairs),
        tests=tuple(results),
        reasons=tuple(reasons),
        sup_wald=sups,
        sup_wald_reasons=sup_reasons,
        p_slopes_adj=tuple(float(p) for p in p_adj),
        verdicts=tuple(verdicts),
        p_slopes_adj_by_lag=by_lag,
        robust_to_lags=robust,
        btc=btc,
        tech=tech,
        alpha=alpha,
    )


# ----------------------------------------------------------------------------- Dimson


@dataclass(frozen=True)
class DimsonBeta:
    """Dimson (1979) lead/lag beta.

    Attributes
    ----------
    ticker, factors, lags, leads
        Dependent ticker, factors and the number of lags/leads of each factor.
    table
        Index ``factor``; columns ``dimson_beta, se, t, p, ci_low, ci_high``
        (sum of the lead/lag coefficients, HAC) and ``plain_beta, plain_se,
        plain_p`` (contemporaneous-only regression on the same sessions).
    coefs
        Every lead/lag coefficient: columns ``factor, shift, coef, se, t, p``
        (``shift = -1`` is ``x_{t-1}``, ``+1`` is ``x_{t+1}``).
    n, r2, maxlags, dates
        Sample size, R-squared of the lead/lag regression, HAC lag, sessions used.
    """

    ticker: str
    factors: tuple[str, ...]
    lags: int
    leads: int
    table: pd.DataFrame
    coefs: pd.DataFrame
    n: int
    r2: float
    maxlags: int
    dates: pd.DatetimeIndex = field(repr=False)
    result: Any = field(repr=False, compare=False)

    def conf_int(self, alpha: float = DEFAULT_ALPHA) -> pd.DataFrame:
        """HAC intervals of the Dimson betas at level ``1 - alpha``.

        Index ``factor``; columns ``coef, ci_low, ci_high``.
        """
        _check_alpha(alpha)
        names = list(self.result.params.index)
        rows = []
        for f in self.factors:
            weights = np.array([1.0 if n.startswith(f"{f}[") else 0.0 for n in names])
            lc = _linear_combination(self.result, weights, alpha)
            rows.append({"coef": lc["coef"], "ci_low": lc["ci_low"], "ci_high": lc["ci_high"]})
        return pd.DataFrame(rows, index=pd.Index(list(self.factors), name="factor"))

    def summary_frame(self) -> pd.DataFrame:
        """One row per factor: ticker, Dimson and plain betas, n, lags, leads."""
        out = self.table.reset_index()
        out.insert(0, "ticker", str(self.ticker))
        out["n"] = int(self.n)
        out["lags"] = int(self.lags)
        out["leads"] = int(self.leads)
        return out


def dimson_beta(
    returns: pd.DataFrame,
    ticker: str,
    factors: Sequence[str] = DEFAULT_FACTORS,
    *,
    lags: int = DEFAULT_DIMSON_LAGS,
    leads: int | None = None,
    start: DateLike | None = None,
    end: DateLike | None = None,
    maxlags: int | None = None,
    alpha: float = DEFAULT_ALPHA,
    min_obs: int = MIN_REGRESSION_OBS,
) -> DimsonBeta:
    """Dimson (1979) beta: sum of coefficients on lagged, current and leading factors.

    Parameters
    ----------
    returns
        Wide daily log returns (sessions x tickers).
    ticker, factors
        Dependent ticker and factors (each gets its own leads and lags).
    lags, leads
        Number of lagged (``x_{t-1..t-L}``) and leading (``x_{t+1..}``)
        sessions; ``leads=None`` uses ``lags``.
    start, end
        Optional inclusive sample bounds (shifts are taken on the full frame
        first, so the first session may use a lag from before ``start``).
    maxlags, alpha, min_obs
        As in :func:`factor_regression`.

    Returns
    -------
    DimsonBeta

    Notes
    -----
    ``y_t = a + sum_j sum_{s=-L..+L} b_{j,s} x_{j,t+s} + e_t``; the Dimson beta of
    factor j is ``sum_s b_{j,s}``, and its HAC SE is that of the linear
    restriction ``R b`` with R a row of ones on factor j's terms (``t_test``).
    It corrects the downward bias of the plain beta when closes are not
    synchronous (bitcoin's daily close is 00:00 UTC, hours after the US close,
    so part of a session's crypto move appears in the next session's return).
    Shifts are in rows of ``returns`` (sessions).
    """
    _check_alpha(alpha)
    fac = _check_factors(returns, ticker, factors)
    if leads is None:
        leads = lags
    if lags < 0 or leads < 0:
        raise ConfigError(f"lags and leads must be >= 0, got lags={lags}, leads={leads}")
    shifts = list(range(-lags, leads + 1))
    cols: dict[str, pd.Series] = {ticker: returns[ticker]}
    labels: list[str] = []
    for f in fac:
        for s in shifts:
            label = _shift_label(f, s)
            cols[label] = returns[f].shift(-s)
            labels.append(label)
    shifted = pd.DataFrame(cols, index=returns.index)
    frame, _, _ = slice_period(shifted, start, end, "returns")
    min_obs = max(int(min_obs), len(labels) + 2)
    y, x = _complete(frame, ticker, labels, min_obs, f"{-lags}..{leads:+d} shifts of {', '.join(fac)}")
    res, lag_hac = _hac_fit(y, x, maxlags)

    coef_rows = []
    for f in fac:
        for s in shifts:
            label = _shift_label(f, s)
            coef_rows.append(
                {
                    "factor": f,
                    "shift": s,
                    "coef": float(res.params[label]),
                    "se": float(res.bse[label]),
                    "t": float(res.tvalues[label]),
                    "p": float(res.pvalues[label]),
                }
            )
    coefs = pd.DataFrame(coef_rows)

    plain_x = x.loc[:, [CONST, *(_shift_label(f, 0) for f in fac)]]
    plain, _ = _hac_fit(y, plain_x, lag_hac)
    names = list(x.columns)
    rows = []
    for f in fac:
        weights = np.array([1.0 if n.startswith(f"{f}[") else 0.0 for n in names])
        lc = _linear_combination(res, weights, alpha)
        label0 = _shift_label(f, 0)
        rows.append(
            {
                "dimson_beta": lc["coef"],
                "se": lc["se"],
                "t": lc["t"],
                "p": lc["p"],
                "ci_low": lc["ci_low"],
                "ci_high": lc["ci_high"],
                "plain_beta": float(plain.params[label0]),
                "plain_se": float(plain.bse[label0]),
                "plain_p": float(plain.pvalues[label0]),
            }
        )
    table = pd.DataFrame(rows, index=pd.Index(list(fac), name="factor"))
    return DimsonBeta(
        ticker=ticker,
        factors=fac,
        lags=lags,
        leads=leads,
        table=table,
        coefs=coefs,
        n=int(res.nobs),
        r2=float(res.rsquared),
        maxlags=lag_hac,
        dates=pd.DatetimeIndex(y.index),
        result=res,
    )


def dimson_betas(
    returns: pd.DataFrame,
    tickers: Sequence[str],
    factors: Sequence[str] = DEFAULT_FACTORS,
    *,
    lags: int = DEFAULT_DIMSON_LAGS,
    alpha: float = DEFAULT_ALPHA,
) -> pd.DataFrame:
    """Dimson and plain betas of several tickers (one row per ticker and factor).

    A ticker with too few observations gets one row with its ``reason`` (not a bare NaN row).
    """
    frames = []
    for t in tickers:
        try:
            frames.append(dimson_beta(returns, t, factors, lags=lags, alpha=alpha).summary_frame())
        except ConfigError as exc:
            frames.append(pd.DataFrame([{"ticker": str(t), "reason": str(exc)}]))
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if "reason" not in out.columns:
        out["reason"] = ""
    out["reason"] = out["reason"].fillna("")
    return out


def break_schedule(
    events: pd.DataFrame,
    tickers: Sequence[str],
    pivot_date: DateLike,
    *,
    kinds: Sequence[str] = ("deal",),
) -> list[tuple[str, pd.Timestamp]]:
    """The (ticker, date) family of break tests: a common pivot date and each ticker's own deals.

    Parameters
    ----------
    events
        The catalogue (:func:`analysis.events.load_events`, with its ``kind`` column).
    tickers
        Tickers to test (the AI-pivot miners with data).
    pivot_date
        The date tested for every ticker.
    kinds
        Event kinds whose dates are tested for the tickers they name.
    """
    pivot = as_timestamp(pivot_date, "pivot_date")
    out = [(str(t), pivot) for t in tickers]
    from .events import event_kinds

    kind = event_kinds(events)
    for when, names, k in zip(
        events["date"].tolist(), events["tickers"].tolist(), kind.tolist(), strict=True
    ):
        if k in kinds:
            out += [(str(t), pd.Timestamp(when)) for t in names if t in tickers]
    return list(dict.fromkeys(out))
