"""Factor exposure: is a miner a bitcoin bet or an AI-infrastructure bet?

Regressions of a ticker's daily log returns on factor returns (default bitcoin
``BTC-USD`` and the Nasdaq-100 ``^NDX``; optionally an AI factor such as ``SMH``)
with Newey-West (HAC) standard errors, rolling betas, structural-break tests at a
date (e.g. a pivot deal) and Dimson (1979) lead/lag betas for asynchronous closes.

Every function takes a wide frame of daily log returns indexed by a sorted
``DatetimeIndex`` of sessions (columns = tickers, NaN where a ticker has no data).
Rows where the ticker or any factor is NaN are dropped (listwise deletion); the
dates actually used are reported.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
import statsmodels.api as sm
from statsmodels.regression.rolling import RollingOLS

from ._typing import DateLike
from .errors import ConfigError

__all__ = [
    "CONST",
    "DEFAULT_ALPHA",
    "DEFAULT_DIMSON_LAGS",
    "DEFAULT_FACTORS",
    "DEFAULT_MIN_NOBS_FRACTION",
    "DEFAULT_MIN_OBS_SIDE",
    "DEFAULT_ROLLING_WINDOW",
    "MIN_REGRESSION_OBS",
    "BreakTest",
    "DimsonBeta",
    "FactorRegression",
    "break_test",
    "break_tests",
    "dimson_beta",
    "factor_regression",
    "factor_regressions",
    "newey_west_maxlags",
    "rolling_betas",
]


#: Default factors: bitcoin and the Nasdaq-100 (tech).
DEFAULT_FACTORS: tuple[str, ...] = ("BTC-USD", "^NDX")
#: Name of the intercept in every table.
CONST = "const"
#: Default significance level of confidence intervals (95% intervals).
DEFAULT_ALPHA = 0.05
#: Fewest complete observations for a full-sample regression.
MIN_REGRESSION_OBS = 30
#: Default rolling window in sessions (about six months).
DEFAULT_ROLLING_WINDOW = 126
#: Default ``min_nobs`` of rolling betas as a fraction of the window.
DEFAULT_MIN_NOBS_FRACTION = 0.8
#: Default fewest observations on each side of a break date.
DEFAULT_MIN_OBS_SIDE = 30
#: Default number of lags (and leads) of the Dimson beta.
DEFAULT_DIMSON_LAGS = 1

# Newey-West (1994) rule of thumb: floor(4 * (n / 100) ** (2 / 9)).
_NW_SCALE = 4.0
_NW_BASE = 100.0
_NW_EXPONENT = 2.0 / 9.0
# Prefix of the post-break interaction terms in the break regression.
_AFTER_PREFIX = "after:"


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


def _require_tickers(returns: pd.DataFrame, tickers: Iterable[str]) -> None:
    for t in tickers:
        if t not in returns.columns:
            available = ", ".join(str(c) for c in returns.columns)
            raise ConfigError(f"ticker {t!r} not in returns; available: {available}")


def _check_returns(returns: pd.DataFrame) -> None:
    if not isinstance(returns, pd.DataFrame):
        raise ConfigError(f"returns must be a pandas DataFrame, got {type(returns).__name__}")
    if not isinstance(returns.index, pd.DatetimeIndex):
        raise ConfigError(
            f"returns must be indexed by a DatetimeIndex of sessions, got {type(returns.index).__name__}"
        )
    if returns.empty:
        raise ConfigError("returns is empty: pass a frame with at least one session and one ticker")
    if not returns.index.is_monotonic_increasing or returns.index.has_duplicates:
        raise ConfigError("returns index must be sorted ascending without duplicate dates (sort_index())")


def _check_factors(returns: pd.DataFrame, ticker: str, factors: Sequence[str]) -> tuple[str, ...]:
    _check_returns(returns)
    if isinstance(factors, str):
        factors = (factors,)
    fac = tuple(factors)
    if not fac:
        raise ConfigError("factors is empty: pass at least one factor ticker, e.g. ('BTC-USD', '^NDX')")
    if len(set(fac)) != len(fac):
        raise ConfigError(f"factors contains duplicates: {fac}")
    if ticker in fac:
        raise ConfigError(f"ticker {ticker!r} is also a factor {fac}: regress it on other factors")
    _require_tickers(returns, (ticker, *fac))
    return fac


def _timestamp(value: DateLike, name: str) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{name} {value!r} is not a date; use 'YYYY-MM-DD'") from exc
    if pd.isna(ts):
        raise ConfigError(f"{name} is missing (NaT); use 'YYYY-MM-DD'")
    return ts.tz_localize(None) if ts.tz is not None else ts


def _slice_period(frame: pd.DataFrame, start: DateLike | None, end: DateLike | None) -> pd.DataFrame:
    lo = _timestamp(start, "start") if start is not None else None
    hi = _timestamp(end, "end") if end is not None else None
    if lo is not None and hi is not None and lo > hi:
        raise ConfigError(f"start {lo.date()} is after end {hi.date()}: swap them")
    out = frame.loc[lo:hi]
    if out.empty:
        raise ConfigError(
            f"empty period: no sessions between start={start} and end={end}; data cover "
            f"{frame.index[0].date()} to {frame.index[-1].date()}"
        )
    return out


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
    y = data[ticker].astype(np.float64)
    x = sm.add_constant(data.loc[:, list(regressors)].astype(np.float64), has_constant="add")
    return y, x


def _hac_fit(y: pd.Series, x: pd.DataFrame, maxlags: int | None) -> tuple[Any, int]:
    lags = newey_west_maxlags(len(y)) if maxlags is None else maxlags
    if lags < 0:
        raise ConfigError(f"maxlags must be >= 0 (or None for the Newey-West rule), got {maxlags}")
    res = sm.OLS(y, x).fit(cov_type="HAC", cov_kwds={"maxlags": lags, "use_correction": False}, use_t=False)
    return res, lags


def _param_table(res: Any, alpha: float, names: Sequence[str] | None = None) -> pd.DataFrame:
    ci = np.asarray(res.conf_int(alpha))
    table = pd.DataFrame(
        {
            "coef": np.asarray(res.params),
            "se": np.asarray(res.bse),
            "t": np.asarray(res.tvalues),
            "p": np.asarray(res.pvalues),
            "ci_low": ci[:, 0],
            "ci_high": ci[:, 1],
        },
        index=pd.Index(list(names) if names is not None else list(res.params.index), name="param"),
    )
    return table


def _linear_combination(res: Any, weights: np.ndarray, alpha: float) -> dict[str, float]:
    tt = res.t_test(weights.reshape(1, -1))
    ci = np.asarray(tt.conf_int(alpha=alpha)).ravel()
    return {
        "coef": float(np.ravel(tt.effect)[0]),
        "se": float(np.ravel(tt.sd)[0]),
        "t": float(np.ravel(tt.tvalue)[0]),
        "p": float(np.ravel(tt.pvalue)[0]),
        "ci_low": float(ci[0]),
        "ci_high": float(ci[1]),
    }


def _check_alpha(alpha: float) -> None:
    if not 0.0 < alpha < 1.0:
        raise ConfigError(f"alpha must be in (0, 1), e.g. 0.05 for 95% intervals, got {alpha}")


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
        ci_low, ci_high``.
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

    def tidy(self) -> pd.DataFrame:
        """One row per parameter with the ticker and sample information."""
        out = self.table.reset_index()
        out.insert(0, "ticker", self.ticker)
        out["n"] = self.n
        out["r2"] = self.r2
        out["start"] = self.start
        out["end"] = self.end
        out["maxlags"] = self.maxlags
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
        Significance level of the confidence intervals.
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
    frame = _slice_period(returns, start, end)
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
    if on_error not in ("report", "raise"):
        raise ConfigError(f"on_error must be 'report' or 'raise', got {on_error!r}")
    if isinstance(tickers, str):
        tickers = [tickers]
    _check_returns(returns)
    _require_tickers(returns, [*tickers, *factors])
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
        tidy = fit.tidy()
        tidy["reason"] = ""
        rows.append(tidy)
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
    y = returns[ticker].astype(np.float64)
    x = sm.add_constant(returns.loc[:, list(fac)].astype(np.float64), has_constant="add")
    res = RollingOLS(y, x, window=window, min_nobs=min_nobs, missing="drop").fit()
    out = pd.DataFrame(res.params, index=returns.index).loc[:, [CONST, *fac]]
    out["r2"] = np.asarray(res.rsquared, dtype=np.float64)
    nobs = np.asarray(res.nobs, dtype=np.float64)
    out["nobs"] = np.where(out[CONST].notna().to_numpy(), nobs, np.nan)
    out.columns.name = None
    return out


# ----------------------------------------------------------------------------- break test


@dataclass(frozen=True)
class BreakTest:
    """Structural-break test of factor betas at a date.

    Attributes
    ----------
    ticker, factors
        Dependent ticker and factors.
    requested_date, break_date
        Date asked for and the session used (first session on/after it); the
        break session belongs to the *after* regime.
    n_before, n_after
        Complete observations before and from the break session.
    chow_f, chow_df_num, chow_df_denom, chow_p
        Classic (homoskedastic) Chow F test.
    wald_chi2, wald_df, wald_p
        HAC-robust Wald test that all post-break shifts are zero.
    maxlags
        HAC truncation lag.
    before_after
        Index ``param``; columns ``beta_before, se_before, beta_after,
        se_after, diff, diff_se, diff_t, diff_p`` (HAC).
    dates
        Sessions used.
    """

    ticker: str
    factors: tuple[str, ...]
    requested_date: pd.Timestamp
    break_date: pd.Timestamp
    n_before: int
    n_after: int
    chow_f: float
    chow_df_num: int
    chow_df_denom: int
    chow_p: float
    wald_chi2: float
    wald_df: int
    wald_p: float
    maxlags: int
    before_after: pd.DataFrame
    dates: pd.DatetimeIndex = field(repr=False)

    @property
    def rolled(self) -> bool:
        """True when the requested date was not a session."""
        return bool(self.break_date != self.requested_date)

    def summary(self) -> pd.DataFrame:
        """One-row frame: tests and, per factor, beta before/after and the shift's p."""
        row: dict[str, Any] = {
            "ticker": self.ticker,
            "requested_date": self.requested_date,
            "break_date": self.break_date,
            "n_before": self.n_before,
            "n_after": self.n_after,
            "chow_f": self.chow_f,
            "chow_df_num": self.chow_df_num,
            "chow_df_denom": self.chow_df_denom,
            "chow_p": self.chow_p,
            "wald_chi2": self.wald_chi2,
            "wald_df": self.wald_df,
            "wald_p": self.wald_p,
            "maxlags": self.maxlags,
        }
        for f in self.factors:
            ba = self.before_after.loc[f]
            row[f"beta_before[{f}]"] = ba["beta_before"]
            row[f"beta_after[{f}]"] = ba["beta_after"]
            row[f"diff_p[{f}]"] = ba["diff_p"]
        return pd.DataFrame([row])


def break_test(
    returns: pd.DataFrame,
    ticker: str,
    break_date: DateLike,
    factors: Sequence[str] = DEFAULT_FACTORS,
    *,
    start: DateLike | None = None,
    end: DateLike | None = None,
    min_obs_side: int = DEFAULT_MIN_OBS_SIDE,
    maxlags: int | None = None,
) -> BreakTest:
    """Chow and HAC-Wald tests for a shift in factor betas at ``break_date``.

    Parameters
    ----------
    returns
        Wide daily log returns (sessions x tickers).
    ticker, factors
        Dependent ticker and factors.
    break_date
        Date of the suspected break (e.g. a pivot deal). A non-session date is
        moved to the first session on/after it (reported as ``break_date``).
    start, end
        Optional inclusive sample bounds.
    min_obs_side
        Fewest complete observations required on each side of the break.
    maxlags
        HAC truncation lag; ``None`` uses :func:`newey_west_maxlags`.

    Returns
    -------
    BreakTest

    Raises
    ------
    ConfigError
        Break date outside the data, too few observations on one side (naming
        the date and both counts), unknown tickers, empty period.

    Notes
    -----
    With ``D_t = 1`` from the break session on and ``X`` = [1, factors] (k
    columns), the unrestricted model is ``y = X b + (D X) d + e``.

    * Chow: ``F = ((SSR_r - SSR_u) / k) / (SSR_u / (n - 2k))`` with
      ``(k, n - 2k)`` degrees of freedom, SSR_r from the pooled regression and
      SSR_u = SSR_before + SSR_after (assumes homoskedastic, uncorrelated errors).
    * HAC Wald: ``W = d' [V_HAC(d)]^-1 d ~ chi2(k)`` with the Newey-West
      covariance of the unrestricted regression (robust to the variance change
      at the break and to autocorrelation).
    * Before/after: ``beta_before = b``, ``beta_after = b + d`` (SE from the HAC
      covariance of the linear combination), ``diff = d``.
    """
    fac = _check_factors(returns, ticker, factors)
    k = len(fac) + 1
    if min_obs_side < k + 1:
        raise ConfigError(f"min_obs_side must be >= {k + 1} for {k} parameters per side, got {min_obs_side}")
    frame = _slice_period(returns, start, end)
    requested = _timestamp(break_date, "break_date").normalize()
    first, last = frame.index[0], frame.index[-1]
    if requested < first or requested > last:
        raise ConfigError(
            f"break_date {requested.date()} is outside the data ({first.date()} to {last.date()}): "
            "choose a date inside the sample"
        )
    session = pd.Timestamp(frame.index[int(frame.index.searchsorted(requested, side="left"))])
    y, x = _complete(frame, ticker, fac, 2 * (k + 1), f"factors {', '.join(fac)}")
    after = (y.index >= session).astype(np.float64)
    n_after = int(after.sum())
    n_before = len(y) - n_after
    if n_before < min_obs_side or n_after < min_obs_side:
        raise ConfigError(
            f"break_date {requested.date()} (session {session.date()}) leaves {n_before} observations "
            f"before and {n_after} after for {ticker}; need >= {min_obs_side} on each side "
            "(min_obs_side): choose another date, widen the period or lower min_obs_side"
        )
    names = [CONST, *fac]
    inter = x.mul(after, axis=0)
    inter.columns = [f"{_AFTER_PREFIX}{c}" for c in names]
    z = pd.concat([x, inter], axis=1)

    restricted = sm.OLS(y, x).fit()
    unrestricted = sm.OLS(y, z).fit()
    chow_f, chow_p, chow_df = unrestricted.compare_f_test(restricted)

    hac, lags = _hac_fit(y, z, maxlags)
    r_shift = np.hstack([np.zeros((k, k)), np.eye(k)])
    wald = hac.wald_test(r_shift, use_f=False, scalar=True)

    rows = []
    for j in range(k):
        w_after = np.zeros(2 * k)
        w_after[j] = 1.0
        w_after[k + j] = 1.0
        after_lc = _linear_combination(hac, w_after, DEFAULT_ALPHA)
        rows.append(
            {
                "beta_before": float(hac.params.iloc[j]),
                "se_before": float(hac.bse.iloc[j]),
                "beta_after": after_lc["coef"],
                "se_after": after_lc["se"],
                "diff": float(hac.params.iloc[k + j]),
                "diff_se": float(hac.bse.iloc[k + j]),
                "diff_t": float(hac.tvalues.iloc[k + j]),
                "diff_p": float(hac.pvalues.iloc[k + j]),
            }
        )
    table = pd.DataFrame(rows, index=pd.Index(names, name="param"))
    return BreakTest(
        ticker=ticker,
        factors=fac,
        requested_date=requested,
        break_date=session,
        n_before=n_before,
        n_after=n_after,
        chow_f=float(chow_f),
        chow_df_num=round(chow_df),
        chow_df_denom=round(unrestricted.df_resid),
        chow_p=float(chow_p),
        wald_chi2=float(np.ravel(wald.statistic)[0]),
        wald_df=k,
        wald_p=float(np.ravel(wald.pvalue)[0]),
        maxlags=lags,
        before_after=table,
        dates=pd.DatetimeIndex(y.index),
    )


def break_tests(
    returns: pd.DataFrame,
    tests: Iterable[tuple[str, DateLike]],
    factors: Sequence[str] = DEFAULT_FACTORS,
    *,
    start: DateLike | None = None,
    end: DateLike | None = None,
    min_obs_side: int = DEFAULT_MIN_OBS_SIDE,
    maxlags: int | None = None,
    on_error: Literal["report", "raise"] = "report",
) -> pd.DataFrame:
    """Run :func:`break_test` for (ticker, date) pairs into one table.

    Parameters
    ----------
    tests
        Pairs such as ``[("WULF", "2025-08-14"), ("IREN", "2025-11-03")]``.
    on_error
        ``"report"``: a pair whose date is outside the data or leaves too few
        observations gets a row with NaN statistics and the ``reason``;
        ``"raise"``: re-raise. Unknown tickers always raise.

    Returns
    -------
    pd.DataFrame
        One row per pair: the columns of :meth:`BreakTest.summary` plus ``reason``.
    """
    if on_error not in ("report", "raise"):
        raise ConfigError(f"on_error must be 'report' or 'raise', got {on_error!r}")
    pairs = list(tests)
    if not pairs:
        raise ConfigError("tests is empty: pass (ticker, date) pairs")
    _check_returns(returns)
    _require_tickers(returns, [*(t for t, _ in pairs), *factors])
    rows: list[pd.DataFrame] = []
    for ticker, when in pairs:
        try:
            res = break_test(
                returns,
                ticker,
                when,
                factors,
                start=start,
                end=end,
                min_obs_side=min_obs_side,
                maxlags=maxlags,
            )
        except ConfigError as exc:
            if on_error == "raise":
                raise
            rows.append(
                pd.DataFrame(
                    [{"ticker": ticker, "requested_date": _timestamp(when, "break_date"), "reason": str(exc)}]
                )
            )
            continue
        summary = res.summary()
        summary["reason"] = ""
        rows.append(summary)
    out = pd.concat(rows, ignore_index=True)
    cols = [c for c in out.columns if c != "reason"] + ["reason"]
    return out.loc[:, cols]


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


def _shift_label(factor: str, shift: int) -> str:
    if shift == 0:
        return f"{factor}[t]"
    return f"{factor}[t{shift:+d}]"


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
    frame = _slice_period(shifted, start, end)
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
