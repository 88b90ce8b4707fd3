"""Correlation matrices with confidence intervals, rolling/EWMA correlation and
tests of a change in correlation between two periods.

Inputs are wide log-return frames (``DatetimeIndex`` ``"Date"``, columns =
tickers, NaN where a ticker has no data). Correlations use pairwise-complete
observations: each pair uses the sessions on which both tickers have a return.

Two kinds of interval sit side by side: Fisher's z interval (i.i.d. bivariate
normal returns, ``var(atanh r) = 1/(n-3)``) and a stationary block bootstrap
(:mod:`analysis.bootstrap`) that keeps volatility clustering and fat tails.
Where they differ, the bootstrap is the one to believe.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, cast

import numpy as np
import pandas as pd

from ._typing import DateLike, Pair
from ._validation import (
    check_choice,
    check_index,
    check_int,
    check_open_unit,
    check_positive,
    check_window_length,
    require_columns,
    slice_period,
)
from .bootstrap import (
    DEFAULT_BOOTSTRAP_REPS,
    DEFAULT_BOOTSTRAP_SEED,
    MIN_BOOTSTRAP_OBS,
    BootstrapSeed,
    correlation_influence,
    moment_correlation,
    normal_interval,
    normal_pvalue,
    optimal_block,
    resample_counts,
    resample_indices,
    resample_moments,
    rowwise_correlation,
    standard_error,
)
from .errors import ConfigError, ShortSampleWarning
from .multiplicity import holm

__all__ = [
    "DEFAULT_ALPHA",
    "DEFAULT_CONFIDENCE",
    "DEFAULT_PRIOR_SESSIONS",
    "DEFAULT_RECENT_SESSIONS",
    "FIELLER_SPEARMAN_VARIANCE",
    "MIN_FISHER_OBS",
    "PEARSON_FISHER_VARIANCE",
    "PERCENTILE_BOOTSTRAP",
    "SHORT_SAMPLE_OBS",
    "Alternative",
    "CorrMethod",
    "CorrelationChanges",
    "CorrelationDifference",
    "CorrelationMatrix",
    "Interval",
    "PairCorrelations",
    "Period",
    "PeriodSpec",
    "correlation_changes",
    "correlation_difference",
    "correlation_long",
    "correlation_matrix",
    "ewma_correlation",
    "factor_pairs",
    "fisher_variance_factor",
    "fisher_z_interval",
    "fisher_z_test",
    "pair_correlation",
    "pair_correlations",
    "rolling_correlation",
]

#: Fieller, Hartley & Pearson (1957) / Bonett & Wright (2000) variance factor of
#: Fisher's z for Spearman's rho: ``var(z) = 1.06 / (n - 3)``.
FIELLER_SPEARMAN_VARIANCE = 1.06
#: Variance factor of Fisher's z for Pearson's r: ``var(z) = 1 / (n - 3)``.
PEARSON_FISHER_VARIANCE = 1.0
#: Default significance level: intervals are ``1 - alpha`` (95%).
DEFAULT_ALPHA = 0.05
#: Confidence level of the default intervals (``1 - DEFAULT_ALPHA``), kept for older callers.
DEFAULT_CONFIDENCE = 1.0 - DEFAULT_ALPHA
#: Fewest paired observations for a Fisher-z interval or test (``n - 3 >= 1``).
MIN_FISHER_OBS = 4
#: Below this many paired observations results carry a ``ShortSampleWarning``.
SHORT_SAMPLE_OBS = 30

CorrMethod = Literal["pearson", "spearman"]
Alternative = Literal["two-sided", "greater", "less"]
#: A period: an inclusive ``(start, end)`` date pair or a boolean mask on the index.
Period = tuple[DateLike, DateLike] | pd.Series
#: A named period of :func:`pair_correlations`: a :data:`Period`, the last ``k`` rows (int) or
#: all rows (None).
PeriodSpec = Period | int | None
#: Correlation change: the most recent sessions compared ...
DEFAULT_RECENT_SESSIONS = 90
#: ... with this many sessions immediately before them (about one trading year).
DEFAULT_PRIOR_SESSIONS = 250

#: Which interval :meth:`PairCorrelations.conf_int` and friends return.
Interval = Literal["bootstrap", "fisher"]
#: ``interval`` value of percentile intervals of bootstrap draws (e.g. the tail co-exceedance ratio).
PERCENTILE_BOOTSTRAP = "bootstrap percentile"

_METHODS: tuple[str, ...] = ("pearson", "spearman")
_ALTERNATIVES: tuple[str, ...] = ("two-sided", "greater", "less")
_INTERVALS: tuple[str, ...] = ("bootstrap", "fisher")


def fisher_variance_factor(method: CorrMethod) -> float:
    """Numerator of ``var(atanh(rho)) = c / (n - 3)``: 1 (Pearson) or 1.06 (Spearman)."""
    check_choice(method, "method", _METHODS)
    return FIELLER_SPEARMAN_VARIANCE if method == "spearman" else PEARSON_FISHER_VARIANCE


def _resolve_alpha(alpha: float | None) -> float:
    """Significance level ``alpha`` in (0, 1), :data:`DEFAULT_ALPHA` when None.

    Raises
    ------
    ConfigError
        If the value is outside (0, 1).
    """
    return check_open_unit(DEFAULT_ALPHA if alpha is None else alpha, "alpha", example="0.05")


def fisher_z_interval(
    rho: float | np.ndarray,
    n: float | np.ndarray,
    *,
    method: CorrMethod = "pearson",
    alpha: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Fisher-z confidence interval of a correlation.

    Parameters
    ----------
    rho
        Sample correlation(s).
    n
        Paired observations (broadcast against ``rho``).
    method
        ``"pearson"`` or ``"spearman"`` (selects the variance factor).
    alpha
        Significance level in (0, 1); the interval is ``1 - alpha`` (default 0.05).

    Returns
    -------
    (lower, upper)
        Arrays shaped like ``np.broadcast(rho, n)``.

    Notes
    -----
    ``tanh(atanh(rho) -+ z_{1-alpha/2} * sqrt(c_m / (n - 3)))`` with ``c_m = 1``
    (Pearson) or ``1.06`` (Spearman, Bonett & Wright 2000). NaN where
    ``n < 4`` or ``rho`` is NaN; ``rho = +-1`` gives the degenerate ``[rho, rho]``.
    Assumes i.i.d. pairs; see :func:`pair_correlations` for the bootstrap.
    """
    a = _resolve_alpha(alpha)
    factor = fisher_variance_factor(method)
    r = np.asarray(rho, dtype=np.float64)
    nn = np.asarray(n, dtype=np.float64)
    from scipy import stats

    crit = stats.norm.ppf(1.0 - a / 2.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.where(nn >= MIN_FISHER_OBS, np.sqrt(factor / (nn - 3.0)), np.nan)
        z = np.arctanh(np.clip(r, -1.0, 1.0))
        lower = np.tanh(z - crit * se)
        upper = np.tanh(z + crit * se)
    return lower, upper


def _fisher_se(n: float | np.ndarray, method: CorrMethod) -> np.ndarray:
    """Fisher's standard error of ``atanh(r)``: ``sqrt(c_m / (n - 3))``, NaN below 4 observations."""
    nn = np.asarray(n, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(nn >= MIN_FISHER_OBS, np.sqrt(fisher_variance_factor(method) / (nn - 3.0)), np.nan)


def _z_interval(rho: np.ndarray, se: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """``tanh(atanh(rho) -+ z_{1-alpha/2} se)`` elementwise (NaN propagates)."""
    from scipy import stats

    crit = float(stats.norm.ppf(1.0 - alpha / 2.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.arctanh(np.clip(np.asarray(rho, dtype=np.float64), -1.0, 1.0))
        return np.tanh(z - crit * se), np.tanh(z + crit * se)


def _t_pvalue(rho: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Two-sided p-value of H0: rho = 0 from ``t = r sqrt((n-2)/(1-r^2))``."""
    from scipy import stats

    with np.errstate(divide="ignore", invalid="ignore"):
        df = n - 2.0
        t = rho * np.sqrt(df / (1.0 - rho**2))
        p = 2.0 * stats.t.sf(np.abs(t), df)
    p = np.where(np.abs(rho) >= 1.0, 0.0, p)
    return np.where((n > 2) & ~np.isnan(rho), p, np.nan)


@dataclass(frozen=True)
class CorrelationMatrix:
    """Aligned correlation, interval, count and p-value frames (tickers x tickers)."""

    corr: pd.DataFrame
    lower: pd.DataFrame
    upper: pd.DataFrame
    n: pd.DataFrame
    pvalue: pd.DataFrame
    method: CorrMethod
    alpha: float
    """Significance level of :attr:`lower` and :attr:`upper` (the intervals are ``1 - alpha``)."""

    def summary_frame(self, alpha: float | None = None, *, unique_pairs: bool = True) -> pd.DataFrame:
        """Tidy table, one row per pair (see :func:`correlation_long`).

        With ``alpha`` the Fisher interval is recomputed at level ``1 - alpha``;
        default: the level the matrix was built with.
        """
        table = correlation_long(self, unique_pairs=unique_pairs)
        if alpha is not None:
            lo, hi = fisher_z_interval(
                table["corr"].to_numpy(), table["n"].to_numpy(), method=self.method, alpha=alpha
            )
            table["lower"], table["upper"] = lo, hi
        return table

    def conf_int(self, alpha: float = DEFAULT_ALPHA, *, unique_pairs: bool = True) -> pd.DataFrame:
        """Fisher-z intervals at level ``1 - alpha``, one row per pair.

        Columns ``a``, ``b``, ``corr`` (the estimate), ``ci_low``, ``ci_high`` and
        ``interval`` (``"fisher"``).
        """
        table = self.summary_frame(alpha, unique_pairs=unique_pairs)
        return table[["a", "b", "corr"]].assign(
            ci_low=table["lower"], ci_high=table["upper"], interval="fisher"
        )


def correlation_matrix(
    returns: pd.DataFrame,
    *,
    method: CorrMethod = "pearson",
    alpha: float | None = None,
    min_periods: int = MIN_FISHER_OBS,
) -> CorrelationMatrix:
    """Pairwise-complete correlation matrix with Fisher-z intervals and p-values.

    Parameters
    ----------
    returns
        Wide return frame, columns = tickers.
    method
        ``"pearson"`` or ``"spearman"``.
    alpha
        Significance level of the intervals (default 0.05: 95% intervals).
    min_periods
        Pairs with fewer paired observations are NaN (>= 4, default 4).

    Returns
    -------
    CorrelationMatrix
        ``corr``, ``lower``, ``upper``, ``pvalue`` (float) and ``n`` (int)
        frames with the columns of ``returns`` as index and columns.

    Raises
    ------
    ConfigError
        For an unknown ``method``, ``alpha`` outside (0, 1),
        ``min_periods < 4`` or an input that is not a DataFrame.

    Notes
    -----
    Interval: see :func:`fisher_z_interval` (variance ``1/(n-3)`` Pearson,
    ``1.06/(n-3)`` Spearman). p-value: two-sided test of zero correlation with
    ``t = r sqrt((n-2)/(1-r^2))`` on ``n - 2`` df (as ``scipy.stats.pearsonr``
    and ``spearmanr``). ``n`` counts sessions where both tickers have data;
    Spearman ranks are computed on those sessions. A ``ShortSampleWarning``
    lists pairs with ``min_periods <= n < 30``.
    """
    check_choice(method, "method", _METHODS)
    a = _resolve_alpha(alpha)
    mp = check_int(min_periods, "min_periods", minimum=MIN_FISHER_OBS, unit="observations")
    require_columns(returns, [])
    cols = returns.columns
    valid = returns.notna().to_numpy(dtype=np.float64)
    n = valid.T @ valid
    corr = returns.corr(method=method, min_periods=mp).to_numpy(dtype=np.float64)
    corr = np.where(n >= mp, np.clip(corr, -1.0, 1.0), np.nan)
    np.fill_diagonal(corr, np.where(np.diag(n) >= mp, 1.0, np.nan))
    lower, upper = fisher_z_interval(corr, n, method=method, alpha=a)
    pvalue = _t_pvalue(corr, n)
    off_diag = ~np.eye(len(cols), dtype=bool)
    short = np.argwhere(np.triu(off_diag & (n >= mp) & (n < SHORT_SAMPLE_OBS)))
    if short.size:
        pairs = ", ".join(f"{cols[i]}/{cols[j]} (n={int(n[i, j])})" for i, j in short[:10])
        warnings.warn(
            f"correlations on fewer than {SHORT_SAMPLE_OBS} paired sessions: {pairs}",
            ShortSampleWarning,
            stacklevel=2,
        )

    def frame(values: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame(values, index=cols.copy(), columns=cols.copy())

    return CorrelationMatrix(
        corr=frame(corr),
        lower=frame(lower),
        upper=frame(upper),
        n=frame(n.astype(np.int64)),
        pvalue=frame(pvalue),
        method=method,
        alpha=a,
    )


def correlation_long(
    result: CorrelationMatrix, *, unique_pairs: bool = True, include_diagonal: bool = False
) -> pd.DataFrame:
    """Long-form table of a :class:`CorrelationMatrix`.

    Parameters
    ----------
    result
        Output of :func:`correlation_matrix`.
    unique_pairs
        Keep each unordered pair once (upper triangle, column order); if False
        both orders are listed.
    include_diagonal
        Keep the trivial ``a == b`` rows.

    Returns
    -------
    pd.DataFrame
        Columns ``a``, ``b``, ``corr``, ``lower``, ``upper``, ``n``, ``pvalue``,
        ``method``; one row per pair, default integer index.
    """
    cols = list(result.corr.columns)
    k = len(cols)
    ii, jj = np.meshgrid(np.arange(k), np.arange(k), indexing="ij")
    keep = np.ones((k, k), dtype=bool)
    if unique_pairs:
        keep &= jj >= ii
    if not include_diagonal:
        keep &= ii != jj
    i, j = ii[keep], jj[keep]
    return pd.DataFrame(
        {
            "a": [cols[x] for x in i],
            "b": [cols[x] for x in j],
            "corr": result.corr.to_numpy()[i, j],
            "lower": result.lower.to_numpy()[i, j],
            "upper": result.upper.to_numpy()[i, j],
            "n": result.n.to_numpy()[i, j],
            "pvalue": result.pvalue.to_numpy()[i, j],
            "method": result.method,
        }
    )


def _pair(returns: pd.DataFrame, x: str, y: str) -> tuple[pd.Series, pd.Series]:
    """Columns ``x`` and ``y`` masked to sessions where both are present."""
    require_columns(returns, [x, y])
    if x == y:
        raise ConfigError(f"x and y must be different tickers, got {x!r} twice")
    xs, ys = returns[x], returns[y]
    both = xs.notna() & ys.notna()
    return xs.where(both), ys.where(both)


def _corr_values(x: np.ndarray, y: np.ndarray, method: CorrMethod) -> float:
    """Correlation of two complete 1-D arrays (NaN if either is constant)."""
    if len(x) < 2:
        return float("nan")
    if method == "spearman":
        from scipy import stats

        x, y = stats.rankdata(x), stats.rankdata(y)
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan")
    return float(np.clip(np.corrcoef(x, y)[0, 1], -1.0, 1.0))


def pair_correlation(
    returns: pd.DataFrame,
    x: str,
    y: str,
    *,
    method: CorrMethod = "pearson",
    mask: pd.Series | None = None,
) -> tuple[float, int]:
    """Correlation of two tickers on their common sessions (optionally masked).

    Parameters
    ----------
    returns
        Wide return frame.
    x, y
        Tickers (columns of ``returns``).
    method
        ``"pearson"`` or ``"spearman"``.
    mask
        Optional boolean Series on ``returns.index``; only True rows are used
        (NA/missing count as False).

    Returns
    -------
    (rho, n)
        The correlation (NaN if fewer than 2 pairs or a constant series) and
        the number of paired observations.
    """
    check_choice(method, "method", _METHODS)
    xs, ys = _pair(returns, x, y)
    keep = xs.notna().to_numpy()
    if mask is not None:
        keep = keep & _mask_values(mask, returns.index, "mask")
    xv, yv = xs.to_numpy(dtype=np.float64)[keep], ys.to_numpy(dtype=np.float64)[keep]
    return _corr_values(xv, yv, method), int(keep.sum())


def _mask_values(mask: pd.Series, index: pd.Index, name: str) -> np.ndarray:
    """Boolean array of ``mask`` aligned to ``index`` (missing / NA -> False)."""
    if not isinstance(mask, pd.Series):
        raise ConfigError(f"{name} must be a boolean Series on the returns index, got {type(mask).__name__}")
    if not pd.api.types.is_bool_dtype(mask.dtype):
        raise ConfigError(f"{name} must have a boolean dtype, got {mask.dtype}")
    aligned = mask.astype("boolean").reindex(index)
    return aligned.fillna(False).to_numpy(dtype=bool)


def rolling_correlation(
    returns: pd.DataFrame,
    x: str,
    y: str,
    window: int,
    *,
    min_periods: int | None = None,
) -> pd.Series:
    """Rolling Pearson correlation of two tickers over ``window`` sessions.

    Parameters
    ----------
    returns
        Wide return frame on a sorted ``DatetimeIndex``.
    x, y
        Tickers (columns of ``returns``).
    window
        Window length in sessions (>= 3).
    min_periods
        Minimum paired observations inside a window (3 <= min_periods <=
        window; default ``window``).

    Returns
    -------
    pd.Series
        Correlation on ``returns.index``, named ``"x/y"``; NaN until
        ``min_periods`` paired observations are in the window.

    Raises
    ------
    ConfigError
        For unknown tickers, ``window < 3``, a window longer than the data or a
        bad ``min_periods``.

    Notes
    -----
    ``rho_t = corr(x_{t-w+1..t}, y_{t-w+1..t})`` over sessions where both are
    present (a session missing one ticker is dropped from both).
    """
    window = check_int(window, "window", minimum=3)
    check_index(returns, "returns")
    xs, ys = _pair(returns, x, y)
    check_window_length(window, len(returns))
    mp = window if min_periods is None else check_int(min_periods, "min_periods", minimum=3)
    if mp > window:
        raise ConfigError(f"min_periods ({mp}) must be <= window ({window})")
    out = xs.rolling(window, min_periods=mp).corr(ys).clip(-1.0, 1.0)
    out.name = f"{x}/{y}"
    return out


#: ``min_periods`` of the EWMA correlation when not given: ``ceil(halflife)``, at least this.
EWMA_MIN_PERIODS_FLOOR = 3


def ewma_correlation(
    returns: pd.DataFrame,
    x: str,
    y: str,
    halflife: float,
    *,
    min_periods: int | None = None,
) -> pd.Series:
    """Exponentially weighted correlation of two tickers.

    Parameters
    ----------
    returns
        Wide return frame on a sorted ``DatetimeIndex``.
    x, y
        Tickers (columns of ``returns``).
    halflife
        Half-life of the weights in sessions (> 0).
    min_periods
        Paired observations before a value is reported (default
        ``max(3, ceil(halflife))``).

    Returns
    -------
    pd.Series
        Correlation on ``returns.index``, named ``"x/y"``.

    Notes
    -----
    ``rho_t = cov_t(x, y) / sqrt(var_t(x) var_t(y))`` with pandas ``ewm``
    moments (``alpha = 1 - 2^(-1/halflife)``) on sessions where both tickers
    are present; the bias corrections cancel in the ratio.
    """
    hl = check_positive(halflife, "halflife")
    check_index(returns, "returns")
    xs, ys = _pair(returns, x, y)
    default_mp = max(EWMA_MIN_PERIODS_FLOOR, math.ceil(hl))
    mp = default_mp if min_periods is None else check_int(min_periods, "min_periods", minimum=2)
    check_window_length(mp, len(returns), "min_periods")
    ex, ey = xs.ewm(halflife=hl, min_periods=mp), ys.ewm(halflife=hl, min_periods=mp)
    cov = ex.cov(ys)
    with np.errstate(divide="ignore", invalid="ignore"):
        out: pd.Series = (cov / np.sqrt(ex.var() * ey.var())).clip(-1.0, 1.0)
    out.name = f"{x}/{y}"
    return out


def _zou_interval(
    rho1: np.ndarray, lo1: np.ndarray, hi1: np.ndarray, rho2: np.ndarray, lo2: np.ndarray, hi2: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Zou (2007) interval of ``rho1 - rho2`` from the two single-correlation intervals."""
    d = rho1 - rho2
    lower = d - np.sqrt((rho1 - lo1) ** 2 + (hi2 - rho2) ** 2)
    upper = d + np.sqrt((hi1 - rho1) ** 2 + (rho2 - lo2) ** 2)
    return lower, upper


@dataclass(frozen=True)
class CorrelationDifference:
    """Test of ``rho1`` vs ``rho2`` from two disjoint samples: Fisher z and block bootstrap."""

    rho1: float
    rho2: float
    n1: int
    n2: int
    z: float
    p: float
    alternative: Alternative
    method: CorrMethod
    z_bootstrap: float = float("nan")
    """``(atanh rho1 - atanh rho2) / se``, ``se`` from the block bootstrap (NaN if not run)."""
    p_bootstrap: float = float("nan")
    """p-value of ``z_bootstrap`` against the standard normal."""
    se_bootstrap: float = float("nan")
    """Bootstrap standard error of ``rho1 - rho2`` (correlation scale)."""

    @property
    def diff(self) -> float:
        """``rho1 - rho2``."""
        return self.rho1 - self.rho2

    def _interval(self, alpha: float, interval: Interval) -> tuple[float, float]:
        check_choice(interval, "interval", _INTERVALS)
        if interval == "bootstrap":
            lo, hi = normal_interval(self.diff, self.se_bootstrap, alpha)
            return float(lo), float(hi)
        lo1, hi1 = fisher_z_interval(self.rho1, self.n1, method=self.method, alpha=alpha)
        lo2, hi2 = fisher_z_interval(self.rho2, self.n2, method=self.method, alpha=alpha)
        lo, hi = _zou_interval(np.asarray(self.rho1), lo1, hi1, np.asarray(self.rho2), lo2, hi2)
        return float(lo), float(hi)

    def conf_int(self, alpha: float = DEFAULT_ALPHA, *, interval: Interval = "bootstrap") -> pd.DataFrame:
        """Interval of ``rho1 - rho2`` at level ``1 - alpha``.

        One row: ``rho1``, ``rho2``, ``diff`` (the estimate), ``ci_low``, ``ci_high`` and
        ``interval``. ``"fisher"``: Zou's (2007) interval from the two Fisher intervals;
        ``"bootstrap"`` (default): ``diff -+ z_{1-alpha/2} se_bootstrap`` (NaN if not run).
        """
        lo, hi = self._interval(alpha, interval)
        row = {"rho1": self.rho1, "rho2": self.rho2, "diff": self.diff}
        return pd.DataFrame([{**row, "ci_low": lo, "ci_high": hi, "interval": interval}])

    def summary_frame(self, alpha: float = DEFAULT_ALPHA) -> pd.DataFrame:
        """One-row table: correlations, counts, difference, both intervals and p-values."""
        f_lo, f_hi = self._interval(alpha, "fisher")
        b_lo, b_hi = self._interval(alpha, "bootstrap")
        return pd.DataFrame(
            [
                {
                    "rho1": self.rho1,
                    "rho2": self.rho2,
                    "n1": self.n1,
                    "n2": self.n2,
                    "diff": self.diff,
                    "ci_fisher_lo": f_lo,
                    "ci_fisher_hi": f_hi,
                    "ci_bootstrap_lo": b_lo,
                    "ci_bootstrap_hi": b_hi,
                    "z": self.z,
                    "p": self.p,
                    "z_bootstrap": self.z_bootstrap,
                    "p_bootstrap": self.p_bootstrap,
                    "alternative": self.alternative,
                    "method": self.method,
                }
            ]
        )


def fisher_z_test(
    rho1: float,
    n1: int,
    rho2: float,
    n2: int,
    *,
    method: CorrMethod = "pearson",
    alternative: Alternative = "two-sided",
) -> CorrelationDifference:
    """Test ``H0: rho1 = rho2`` for correlations from two independent samples.

    Parameters
    ----------
    rho1, n1, rho2, n2
        Correlations and their paired-observation counts (each n >= 4).
    method
        Selects the variance factor (1 Pearson, 1.06 Spearman).
    alternative
        ``"two-sided"``, ``"greater"`` (H1: rho1 > rho2) or ``"less"``.

    Returns
    -------
    CorrelationDifference
        Bootstrap fields are NaN (no data here; see :func:`correlation_difference`).

    Raises
    ------
    ConfigError
        If a count is below 4, a correlation is outside [-1, 1], or an option
        is unknown.

    Notes
    -----
    ``z = (atanh(rho1) - atanh(rho2)) / sqrt(c/(n1-3) + c/(n2-3))``, normal
    reference distribution. NaN correlations give NaN ``z`` and ``p``.
    """
    check_choice(alternative, "alternative", _ALTERNATIVES)
    factor = fisher_variance_factor(method)
    for name, n in (("n1", n1), ("n2", n2)):
        check_int(n, name, minimum=MIN_FISHER_OBS, unit="paired observations")
    for name, r in (("rho1", rho1), ("rho2", rho2)):
        if not (math.isnan(r) or -1.0 <= r <= 1.0):
            raise ConfigError(f"{name} must be a correlation in [-1, 1], got {r}")
    with np.errstate(divide="ignore", invalid="ignore"):
        diff = float(np.arctanh(rho1) - np.arctanh(rho2))
    se = math.sqrt(factor / (n1 - 3) + factor / (n2 - 3))
    z = diff / se if not math.isnan(diff) else float("nan")
    return CorrelationDifference(
        rho1=float(rho1),
        rho2=float(rho2),
        n1=int(n1),
        n2=int(n2),
        z=z,
        p=normal_pvalue(z, alternative),
        alternative=alternative,
        method=method,
    )


def _period_mask(returns: pd.DataFrame, period: Period, name: str) -> np.ndarray:
    if isinstance(period, pd.Series):
        return _mask_values(period, returns.index, name)
    if not (isinstance(period, tuple) and len(period) == 2):
        raise ConfigError(f"{name} must be a (start, end) pair or a boolean Series, got {period!r}")
    window, _, _ = slice_period(returns, period[0], period[1], name="returns")
    return returns.index.isin(window.index)


# ---------------------------------------------------------------------------
# Block bootstrap of correlations
# ---------------------------------------------------------------------------


def _boot_draws(
    x: np.ndarray,
    y: np.ndarray,
    method: CorrMethod,
    reps: int,
    rng: np.random.Generator,
    block: float | None = None,
) -> tuple[np.ndarray, float]:
    """Bootstrap draws of the correlation of complete ``x``, ``y`` and the mean block length used.

    The block length (unless given) is :func:`~analysis.bootstrap.optimal_block` of the
    correlation's influence function (of the ranks for Spearman); Spearman ranks are
    recomputed in every replication.
    """
    from scipy import stats

    if method == "spearman":
        x, y = stats.rankdata(x), stats.rankdata(y)
    if block is None:
        block = optimal_block(correlation_influence(x, y))
    idx = resample_indices(len(x), block=block, reps=reps, seed=rng)
    if method == "spearman":  # ranks are recomputed within each resample
        return rowwise_correlation(stats.rankdata(x[idx], axis=1), stats.rankdata(y[idx], axis=1)), block
    return moment_correlation(resample_moments(resample_counts(idx, len(x)), x, y)[:, 0], 2), block


def _z_se(draws: np.ndarray) -> float:
    """Standard error of ``atanh`` of correlation draws (draws at +-1 are dropped)."""
    with np.errstate(divide="ignore"):
        return standard_error(np.arctanh(draws))


def _check_reps(reps: int) -> int:
    return check_int(reps, "reps", minimum=2, unit="bootstrap replications")


@dataclass(frozen=True)
class _TwoSample:
    se_z: float
    se_rho: float
    z: float


def _two_sample_bootstrap(
    x1: np.ndarray,
    y1: np.ndarray,
    x2: np.ndarray,
    y2: np.ndarray,
    method: CorrMethod,
    reps: int,
    rng: np.random.Generator,
) -> _TwoSample:
    """Independent block bootstraps of two samples: SE of ``atanh r1 - atanh r2`` and of ``r1 - r2``."""
    nan = float("nan")
    if min(len(x1), len(x2)) < MIN_BOOTSTRAP_OBS:
        return _TwoSample(nan, nan, nan)
    d1, _ = _boot_draws(x1, y1, method, reps, rng)
    d2, _ = _boot_draws(x2, y2, method, reps, rng)
    with np.errstate(divide="ignore", invalid="ignore"):
        se_z = standard_error(np.arctanh(d1) - np.arctanh(d2))
    r1, r2 = _corr_values(x1, y1, method), _corr_values(x2, y2, method)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = float((np.arctanh(r1) - np.arctanh(r2)) / se_z) if se_z > 0 else nan
    return _TwoSample(se_z=se_z, se_rho=standard_error(d1 - d2), z=z)


def _complete_values(
    returns: pd.DataFrame, x: str, y: str, keep: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    xv = returns[x].to_numpy(dtype=np.float64)
    yv = returns[y].to_numpy(dtype=np.float64)
    ok = keep & ~np.isnan(xv) & ~np.isnan(yv)
    return xv[ok], yv[ok]


def correlation_difference(
    returns: pd.DataFrame,
    x: str,
    y: str,
    period1: Period,
    period2: Period,
    *,
    method: CorrMethod = "pearson",
    alternative: Alternative = "two-sided",
    reps: int = DEFAULT_BOOTSTRAP_REPS,
    seed: BootstrapSeed = DEFAULT_BOOTSTRAP_SEED,
) -> CorrelationDifference:
    """Compare the x-y correlation in two disjoint periods (Fisher z and block bootstrap).

    Parameters
    ----------
    returns
        Wide return frame on a ``DatetimeIndex``.
    x, y
        Tickers (columns of ``returns``).
    period1, period2
        Inclusive ``(start, end)`` date pairs or boolean masks on the index.
    method
        ``"pearson"`` or ``"spearman"``.
    alternative
        ``"two-sided"``, ``"greater"`` (H1: period1 > period2) or ``"less"``.
    reps, seed
        Bootstrap replications and seed (:mod:`analysis.bootstrap`).

    Returns
    -------
    CorrelationDifference
        ``rho1``, ``rho2``, ``n1``, ``n2``, Fisher ``z``, ``p`` and the
        bootstrap ``z_bootstrap``, ``p_bootstrap``, ``se_bootstrap``.

    Raises
    ------
    ConfigError
        If the periods overlap, a period is empty or has fewer than 4 paired
        observations, or a ticker is unknown.

    Notes
    -----
    Fisher: see :func:`fisher_z_test` (independent i.i.d. samples). Bootstrap:
    each period is resampled on its own with a stationary bootstrap,
    ``se = sd*(atanh r1* - atanh r2*)`` and ``z = (atanh r1 - atanh r2) / se``
    against the normal; NaN with fewer than 10 pairs in a period. Fewer than 30
    pairs in a period emit a ``ShortSampleWarning``.
    """
    check_choice(method, "method", _METHODS)
    check_index(returns, "returns")
    reps = _check_reps(reps)
    m1 = _period_mask(returns, period1, "period1")
    m2 = _period_mask(returns, period2, "period2")
    overlap = int((m1 & m2).sum())
    if overlap:
        raise ConfigError(
            f"period1 and period2 overlap on {overlap} sessions; the independent-samples "
            "test needs disjoint periods"
        )
    rho1, n1 = pair_correlation(returns, x, y, method=method, mask=pd.Series(m1, index=returns.index))
    rho2, n2 = pair_correlation(returns, x, y, method=method, mask=pd.Series(m2, index=returns.index))
    for name, n in (("period1", n1), ("period2", n2)):
        if n < MIN_FISHER_OBS:
            raise ConfigError(
                f"{name} has {n} paired observations of {x}/{y}; the Fisher z test needs at least "
                f"{MIN_FISHER_OBS}: widen the period"
            )
        if n < SHORT_SAMPLE_OBS:
            warnings.warn(
                f"{name}: only {n} paired observations of {x}/{y}",
                ShortSampleWarning,
                stacklevel=2,
            )
    fisher = fisher_z_test(rho1, n1, rho2, n2, method=method, alternative=alternative)
    x1, y1 = _complete_values(returns, x, y, m1)
    x2, y2 = _complete_values(returns, x, y, m2)
    boot = _two_sample_bootstrap(x1, y1, x2, y2, method, reps, np.random.default_rng(seed))
    return dataclasses.replace(
        fisher,
        z_bootstrap=boot.z,
        p_bootstrap=normal_pvalue(boot.z, alternative),
        se_bootstrap=boot.se_rho,
    )


# ---------------------------------------------------------------------------
# Pair tables
# ---------------------------------------------------------------------------


def factor_pairs(factors: Sequence[str], tickers: Sequence[str]) -> list[Pair]:
    """Each factor paired with every other ticker, each unordered pair once.

    Example: ``factor_pairs(["BTC-USD", "^NDX"], ["IREN", "^NDX"])`` gives
    ``[("BTC-USD", "IREN"), ("BTC-USD", "^NDX"), ("^NDX", "IREN")]``.
    """
    out: list[Pair] = []
    seen: set[frozenset[str]] = set()
    for f in factors:
        for t in tickers:
            key = frozenset((str(f), str(t)))
            if f != t and key not in seen:
                seen.add(key)
                out.append((str(f), str(t)))
    return out


def _check_pairs(returns: pd.DataFrame, pairs: Sequence[Pair] | None) -> list[Pair]:
    require_columns(returns, [])
    if pairs is None:
        pairs = [(str(a), str(b)) for a, b in itertools.combinations(returns.columns, 2)]
    out: list[Pair] = []
    for pair in pairs:
        if not (isinstance(pair, tuple | list) and len(pair) == 2):
            raise ConfigError(f"pairs must hold (a, b) ticker pairs, got {pair!r}")
        a, b = str(pair[0]), str(pair[1])
        require_columns(returns, [a, b])
        if a == b:
            raise ConfigError(f"a pair needs two different tickers, got {a!r} twice")
        out.append((a, b))
    if not out:
        raise ConfigError("no pairs to correlate: pass pairs or a frame with at least two columns")
    return out


def _named_period(returns: pd.DataFrame, label: str, spec: PeriodSpec) -> np.ndarray:
    """Boolean row selector of a named period."""
    n = len(returns)
    if spec is None:
        return np.ones(n, dtype=bool)
    if isinstance(spec, int | np.integer) and not isinstance(spec, bool):
        k = check_int(spec, f"period {label!r}", minimum=2)
        check_window_length(k, n, f"period {label!r}")
        keep = np.zeros(n, dtype=bool)
        keep[n - k :] = True
        return keep
    return _period_mask(returns, cast(Period, spec), f"period {label!r}")


def _day(ts: object) -> str:
    """ISO date text of a timestamp (tables keep dates as text, so ``.round()`` stays quiet)."""
    return str(pd.Timestamp(cast(DateLike, ts)).date())


def _rows_span(index: pd.Index, keep: np.ndarray) -> tuple[str, str]:
    """First and last date of the selected rows as ISO text ("" when none)."""
    pos = np.flatnonzero(keep)
    if pos.size == 0:
        return "", ""
    return _day(index[pos[0]]), _day(index[pos[-1]])


@dataclass(frozen=True)
class PairCorrelations:
    """Correlations of ticker pairs over named periods with Fisher and bootstrap intervals.

    ``estimates`` holds one row per (pair, period): ``a``, ``b``, ``period``,
    ``start``, ``end`` (first and last paired session), ``n``, ``rho``,
    ``se_fisher`` and ``se_bootstrap`` (standard errors of ``atanh(rho)``),
    ``block`` (mean block length used), ``reason`` (why a row has no estimate;
    empty otherwise). Intervals are
    computed from these at any ``alpha``.
    """

    estimates: pd.DataFrame
    method: CorrMethod
    reps: int

    def conf_int(self, alpha: float = DEFAULT_ALPHA, *, interval: Interval = "bootstrap") -> pd.DataFrame:
        """``1 - alpha`` intervals, one row per (pair, period).

        Columns ``a``, ``b``, ``period``, ``rho`` (the estimate), ``ci_low``, ``ci_high``,
        ``interval``. ``interval="bootstrap"`` (default) or ``"fisher"``:
        ``tanh(atanh(rho) -+ z se)`` with the block-bootstrap or Fisher ``se``.
        """
        check_choice(interval, "interval", _INTERVALS)
        a = check_open_unit(alpha, "alpha", example="0.05")
        e = self.estimates
        se = e["se_bootstrap"] if interval == "bootstrap" else e["se_fisher"]
        lo, hi = _z_interval(e["rho"].to_numpy(), se.to_numpy(dtype=np.float64), a)
        return e[["a", "b", "period", "rho"]].assign(ci_low=lo, ci_high=hi, interval=interval)

    def summary_frame(self, alpha: float = DEFAULT_ALPHA) -> pd.DataFrame:
        """One row per (pair, period).

        Columns ``a``, ``b``, ``period``, ``start``, ``end``, ``n``, ``rho``,
        ``ci_fisher_lo``, ``ci_fisher_hi``, ``ci_bootstrap_lo``, ``ci_bootstrap_hi``,
        ``se_ratio`` (bootstrap / Fisher standard error of ``atanh(rho)``), ``block``, ``reason``.
        """
        e = self.estimates
        fisher = self.conf_int(alpha, interval="fisher")
        boot = self.conf_int(alpha, interval="bootstrap")
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = e["se_bootstrap"] / e["se_fisher"]
        return pd.DataFrame(
            {
                "a": e["a"],
                "b": e["b"],
                "period": e["period"],
                "start": e["start"],
                "end": e["end"],
                "n": e["n"].astype(np.int64),
                "rho": e["rho"],
                "ci_fisher_lo": fisher["ci_low"],
                "ci_fisher_hi": fisher["ci_high"],
                "ci_bootstrap_lo": boot["ci_low"],
                "ci_bootstrap_hi": boot["ci_high"],
                "se_ratio": ratio,
                "block": e["block"],
                "reason": e["reason"],
            }
        )

    def metrics_records(self, alpha: float = DEFAULT_ALPHA) -> list[dict[str, object]]:
        """Metrics-contract records: ``a, b, period, rho, n, ci_fisher [lo, hi], ci_bootstrap [lo, hi]``."""
        table = self.summary_frame(alpha)
        return [
            {
                "a": str(r.a),
                "b": str(r.b),
                "period": str(r.period),
                "rho": _float_or_none(r.rho),
                "n": int(cast(int, r.n)),
                "ci_fisher": [_float_or_none(r.ci_fisher_lo), _float_or_none(r.ci_fisher_hi)],
                "ci_bootstrap": [_float_or_none(r.ci_bootstrap_lo), _float_or_none(r.ci_bootstrap_hi)],
            }
            for r in table.itertuples(index=False)
        ]


def _float_or_none(value: object) -> float | None:
    out = float(cast(float, value))
    return out if math.isfinite(out) else None


def pair_correlations(
    returns: pd.DataFrame,
    pairs: Sequence[Pair] | None = None,
    *,
    periods: Mapping[str, PeriodSpec] | None = None,
    method: CorrMethod = "pearson",
    min_obs: int = MIN_BOOTSTRAP_OBS,
    reps: int = DEFAULT_BOOTSTRAP_REPS,
    seed: BootstrapSeed = DEFAULT_BOOTSTRAP_SEED,
    block: float | None = None,
) -> PairCorrelations:
    """Correlation of each pair in each named period, with Fisher and block-bootstrap intervals.

    Parameters
    ----------
    returns
        Wide return frame on a sorted ``DatetimeIndex``.
    pairs
        ``(a, b)`` ticker pairs (default: every pair of columns); see
        :func:`factor_pairs`.
    periods
        Label -> period: ``None`` (all rows), an int ``k`` (the last ``k`` rows,
        i.e. sessions), an inclusive ``(start, end)`` pair or a boolean mask.
        Default ``{"full": None}``.
    method
        ``"pearson"`` or ``"spearman"``.
    min_obs
        Pairs with fewer paired sessions in a period get NaN and a ``reason``
        (>= 10, default 10).
    reps, seed
        Bootstrap replications and seed.
    block
        Mean block length in sessions for every pair (>= 1), e.g. 21 for a
        sensitivity check; default None: the optimal length per pair and period.

    Returns
    -------
    PairCorrelations
        ``summary_frame(alpha)``, ``conf_int(alpha, interval=...)`` and
        ``metrics_records(alpha)``.

    Raises
    ------
    ConfigError
        For unknown tickers, a pair of one ticker, a bad period or parameter.

    Notes
    -----
    Fisher: ``se = sqrt(c_m / (n - 3))``. Bootstrap: ``se = sd*(atanh r*)`` over
    ``reps`` stationary-bootstrap resamples of the pair's paired sessions, mean
    block length from :func:`~analysis.bootstrap.optimal_block` of the
    correlation's influence function; both intervals are ``tanh(atanh r -+
    z_{1-alpha/2} se)``. The resampling draws from one generator seeded by
    ``seed``, in the order pairs x periods.
    """
    check_choice(method, "method", _METHODS)
    check_index(returns, "returns")
    reps = _check_reps(reps)
    mo = check_int(min_obs, "min_obs", minimum=MIN_BOOTSTRAP_OBS, unit="observations")
    fixed = None if block is None else check_positive(block, "block")
    if fixed is not None and fixed < 1.0:
        raise ConfigError(f"block must be a mean block length >= 1 session, got {block!r}")
    checked = _check_pairs(returns, pairs)
    spec = {"full": None} if periods is None else dict(periods)
    if not spec:
        raise ConfigError("periods is empty: pass at least one, e.g. {'full': None}")
    selectors = {str(label): _named_period(returns, str(label), p) for label, p in spec.items()}
    rng = np.random.default_rng(seed)
    rows: list[dict[str, object]] = []
    for a, b in checked:
        for label, keep in selectors.items():
            xv, yv = _complete_values(returns, a, b, keep)
            n = len(xv)
            both = keep & returns[a].notna().to_numpy() & returns[b].notna().to_numpy()
            start, end = _rows_span(returns.index, both)
            row: dict[str, object] = {"a": a, "b": b, "period": label, "start": start, "end": end, "n": n}
            if n < mo:
                row.update(rho=np.nan, se_fisher=np.nan, se_bootstrap=np.nan, block=np.nan)
                row["reason"] = f"only {n} paired sessions in period {label!r} (need {mo})"
            else:
                draws, used = _boot_draws(xv, yv, method, reps, rng, fixed)
                rho = _corr_values(xv, yv, method)
                row.update(
                    rho=rho,
                    se_fisher=float(_fisher_se(n, method)),
                    se_bootstrap=_z_se(draws),
                    block=used,
                    reason="" if math.isfinite(rho) else "correlation undefined (a series is constant)",
                )
            rows.append(row)
    estimates = pd.DataFrame(rows)
    estimates["n"] = estimates["n"].astype(np.int64)
    return PairCorrelations(estimates=estimates, method=method, reps=reps)


# ---------------------------------------------------------------------------
# Correlation changes (recent vs prior sessions)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CorrelationChanges:
    """Change of each pair's correlation: the last ``recent`` sessions vs the ``prior`` before them.

    ``estimates`` holds one row per pair: ``a``, ``b``, the period dates
    (``recent_start``, ``recent_end``, ``prior_start``, ``prior_end``: ISO dates
    of rows of the return frame), ``n_recent``, ``n_prior`` (paired sessions), ``rho_recent``,
    ``rho_prior``, ``diff``, Fisher ``z_fisher``, ``p_fisher``, bootstrap
    ``z_bootstrap``, ``p_bootstrap``, ``se_bootstrap`` (of ``diff``), the
    Holm-adjusted ``p_fisher_adj`` and ``p_bootstrap_adj`` (family = the pairs
    tested), and ``reason`` (why a pair was skipped; empty otherwise).
    """

    estimates: pd.DataFrame
    recent: int
    prior: int
    method: CorrMethod
    alternative: Alternative

    def conf_int(self, alpha: float = DEFAULT_ALPHA, *, interval: Interval = "bootstrap") -> pd.DataFrame:
        """``1 - alpha`` intervals of ``diff``, one row per pair.

        Columns ``a``, ``b``, ``diff`` (the estimate), ``ci_low``, ``ci_high``, ``interval``.
        ``"bootstrap"`` (default): ``diff -+ z se_bootstrap``; ``"fisher"``: Zou's (2007) interval.
        """
        check_choice(interval, "interval", _INTERVALS)
        a = check_open_unit(alpha, "alpha", example="0.05")
        e = self.estimates
        lo: np.ndarray
        hi: np.ndarray
        if interval == "bootstrap":
            lo, hi = normal_interval(e["diff"].to_numpy(), e["se_bootstrap"].to_numpy(dtype=np.float64), a)
        else:
            r1, r2 = e["rho_recent"].to_numpy(), e["rho_prior"].to_numpy()
            lo1, hi1 = fisher_z_interval(r1, e["n_recent"].to_numpy(), method=self.method, alpha=a)
            lo2, hi2 = fisher_z_interval(r2, e["n_prior"].to_numpy(), method=self.method, alpha=a)
            lo, hi = _zou_interval(r1, lo1, hi1, r2, lo2, hi2)
        return e[["a", "b", "diff"]].assign(ci_low=lo, ci_high=hi, interval=interval)

    def summary_frame(self, alpha: float = DEFAULT_ALPHA) -> pd.DataFrame:
        """:attr:`estimates` with both intervals of ``diff`` (``ci_fisher_lo`` .. ``ci_bootstrap_hi``)."""
        fisher = self.conf_int(alpha, interval="fisher")
        boot = self.conf_int(alpha, interval="bootstrap")
        out = self.estimates.copy()
        at = list(out.columns).index("diff") + 1
        for offset, (name, values) in enumerate(
            [
                ("ci_fisher_lo", fisher["ci_low"]),
                ("ci_fisher_hi", fisher["ci_high"]),
                ("ci_bootstrap_lo", boot["ci_low"]),
                ("ci_bootstrap_hi", boot["ci_high"]),
            ]
        ):
            out.insert(at + offset, name, values.to_numpy())
        return out


def correlation_changes(
    returns: pd.DataFrame,
    pairs: Sequence[Pair] | None = None,
    *,
    recent: int = DEFAULT_RECENT_SESSIONS,
    prior: int = DEFAULT_PRIOR_SESSIONS,
    method: CorrMethod = "pearson",
    alternative: Alternative = "two-sided",
    min_obs: int = SHORT_SAMPLE_OBS,
    reps: int = DEFAULT_BOOTSTRAP_REPS,
    seed: BootstrapSeed = DEFAULT_BOOTSTRAP_SEED,
) -> CorrelationChanges:
    """Has each pair's correlation changed in the last ``recent`` sessions vs the ``prior`` before?

    Parameters
    ----------
    returns
        Wide return frame on a sorted ``DatetimeIndex`` (rows = sessions).
    pairs
        ``(a, b)`` pairs (default: every pair of columns).
    recent, prior
        Lengths in sessions (rows) of the recent period (the last ``recent``
        rows) and of the prior period immediately before it (defaults 90, 250).
    method
        ``"pearson"`` or ``"spearman"``.
    alternative
        ``"two-sided"`` (default), ``"greater"`` (H1: recent > prior) or ``"less"``.
    min_obs
        Pairs with fewer paired sessions in either period are skipped with a
        ``reason`` (>= 10, default 30).
    reps, seed
        Bootstrap replications and seed.

    Returns
    -------
    CorrelationChanges
        One row per pair (skipped pairs included, with their reason).

    Raises
    ------
    ConfigError
        For unknown tickers, bad lengths, or ``recent + prior`` longer than the data.

    Notes
    -----
    Fisher: :func:`fisher_z_test`. Bootstrap: each period resampled on its own
    (:func:`correlation_difference`). Holm over the pairs that were tested,
    separately for the Fisher and the bootstrap p.
    """
    check_choice(method, "method", _METHODS)
    check_choice(alternative, "alternative", _ALTERNATIVES)
    check_index(returns, "returns")
    k = check_int(recent, "recent", minimum=2)
    m = check_int(prior, "prior", minimum=2)
    reps = _check_reps(reps)
    mo = check_int(min_obs, "min_obs", minimum=MIN_BOOTSTRAP_OBS, unit="observations")
    n = len(returns)
    check_window_length(k + m, n, "recent + prior")
    checked = _check_pairs(returns, pairs)
    recent_rows = np.zeros(n, dtype=bool)
    recent_rows[n - k :] = True
    prior_rows = np.zeros(n, dtype=bool)
    prior_rows[n - k - m : n - k] = True
    idx = returns.index
    dates = {
        "recent_start": _day(idx[n - k]),
        "recent_end": _day(idx[-1]),
        "prior_start": _day(idx[n - k - m]),
        "prior_end": _day(idx[n - k - 1]),
    }
    rng = np.random.default_rng(seed)
    nan = float("nan")
    rows: list[dict[str, object]] = []
    for a, b in checked:
        x1, y1 = _complete_values(returns, a, b, recent_rows)
        x2, y2 = _complete_values(returns, a, b, prior_rows)
        row: dict[str, object] = {"a": a, "b": b, **dates, "n_recent": len(x1), "n_prior": len(x2)}
        stats_nan = dict.fromkeys(
            ("rho_recent", "rho_prior", "diff", "z_fisher", "p_fisher", "z_bootstrap", "p_bootstrap"), nan
        )
        if min(len(x1), len(x2)) < mo:
            row.update(stats_nan, se_bootstrap=nan)
            row["reason"] = f"too few paired sessions: {len(x1)} recent, {len(x2)} prior (need {mo} in each)"
        else:
            r1, r2 = _corr_values(x1, y1, method), _corr_values(x2, y2, method)
            if not (math.isfinite(r1) and math.isfinite(r2)):
                row.update(stats_nan, se_bootstrap=nan, reason="correlation undefined (a series is constant)")
            else:
                fz = fisher_z_test(r1, len(x1), r2, len(x2), method=method, alternative=alternative)
                boot = _two_sample_bootstrap(x1, y1, x2, y2, method, reps, rng)
                row.update(
                    rho_recent=r1,
                    rho_prior=r2,
                    diff=r1 - r2,
                    z_fisher=fz.z,
                    p_fisher=fz.p,
                    z_bootstrap=boot.z,
                    p_bootstrap=normal_pvalue(boot.z, alternative),
                    se_bootstrap=boot.se_rho,
                    reason="",
                )
        rows.append(row)
    e = pd.DataFrame(rows)
    e["p_fisher_adj"] = holm(e["p_fisher"])
    e["p_bootstrap_adj"] = holm(e["p_bootstrap"])
    order = [
        "a", "b", "n_recent", "n_prior", "rho_recent", "rho_prior", "diff",
        "z_fisher", "p_fisher", "p_fisher_adj", "z_bootstrap", "p_bootstrap", "p_bootstrap_adj",
        "se_bootstrap", "recent_start", "recent_end", "prior_start", "prior_end", "reason",
    ]  # fmt: skip
    e = e[order]
    for col in ("n_recent", "n_prior"):
        e[col] = e[col].astype(np.int64)
    return CorrelationChanges(estimates=e, recent=k, prior=m, method=method, alternative=alternative)
