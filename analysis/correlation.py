"""Correlation matrices with confidence intervals, rolling/EWMA correlation and
tests of a change in correlation between two periods.

Inputs are wide log-return frames (``DatetimeIndex`` ``"Date"``, columns =
tickers, NaN where a ticker has no data). Correlations use pairwise-complete
observations: each pair uses the sessions on which both tickers have a return.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from ._typing import DateLike
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
from .errors import ConfigError, ShortSampleWarning

__all__ = [
    "DEFAULT_CONFIDENCE",
    "FIELLER_SPEARMAN_VARIANCE",
    "MIN_FISHER_OBS",
    "PEARSON_FISHER_VARIANCE",
    "SHORT_SAMPLE_OBS",
    "Alternative",
    "CorrMethod",
    "CorrelationDifference",
    "CorrelationMatrix",
    "Period",
    "correlation_difference",
    "correlation_long",
    "correlation_matrix",
    "ewma_correlation",
    "fisher_variance_factor",
    "fisher_z_interval",
    "fisher_z_test",
    "pair_correlation",
    "rolling_correlation",
]

#: Fieller, Hartley & Pearson (1957) / Bonett & Wright (2000) variance factor of
#: Fisher's z for Spearman's rho: ``var(z) = 1.06 / (n - 3)``.
FIELLER_SPEARMAN_VARIANCE = 1.06
#: Variance factor of Fisher's z for Pearson's r: ``var(z) = 1 / (n - 3)``.
PEARSON_FISHER_VARIANCE = 1.0
#: Default confidence level of intervals.
DEFAULT_CONFIDENCE = 0.95
#: Fewest paired observations for a Fisher-z interval or test (``n - 3 >= 1``).
MIN_FISHER_OBS = 4
#: Below this many paired observations results carry a ``ShortSampleWarning``.
SHORT_SAMPLE_OBS = 30

CorrMethod = Literal["pearson", "spearman"]
Alternative = Literal["two-sided", "greater", "less"]
#: A period: an inclusive ``(start, end)`` date pair or a boolean mask on the index.
Period = tuple[DateLike, DateLike] | pd.Series

_METHODS: tuple[str, ...] = ("pearson", "spearman")
_ALTERNATIVES: tuple[str, ...] = ("two-sided", "greater", "less")


def fisher_variance_factor(method: CorrMethod) -> float:
    """Numerator of ``var(atanh(rho)) = c / (n - 3)``: 1 (Pearson) or 1.06 (Spearman)."""
    check_choice(method, "method", _METHODS)
    return FIELLER_SPEARMAN_VARIANCE if method == "spearman" else PEARSON_FISHER_VARIANCE


def fisher_z_interval(
    rho: float | np.ndarray,
    n: float | np.ndarray,
    *,
    method: CorrMethod = "pearson",
    confidence: float = DEFAULT_CONFIDENCE,
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
    confidence
        Confidence level in (0, 1).

    Returns
    -------
    (lower, upper)
        Arrays shaped like ``np.broadcast(rho, n)``.

    Notes
    -----
    ``tanh(atanh(rho) -+ z_{(1+c)/2} * sqrt(c_m / (n - 3)))`` with ``c_m = 1``
    (Pearson) or ``1.06`` (Spearman, Bonett & Wright 2000). NaN where
    ``n < 4`` or ``rho`` is NaN; ``rho = +-1`` gives the degenerate ``[rho, rho]``.
    """
    conf = check_open_unit(confidence, "confidence")
    factor = fisher_variance_factor(method)
    r = np.asarray(rho, dtype=np.float64)
    nn = np.asarray(n, dtype=np.float64)
    crit = stats.norm.ppf(0.5 + conf / 2.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.where(nn >= MIN_FISHER_OBS, np.sqrt(factor / (nn - 3.0)), np.nan)
        z = np.arctanh(np.clip(r, -1.0, 1.0))
        lower = np.tanh(z - crit * se)
        upper = np.tanh(z + crit * se)
    return lower, upper


def _t_pvalue(rho: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Two-sided p-value of H0: rho = 0 from ``t = r sqrt((n-2)/(1-r^2))``."""
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
    confidence: float

    def to_long(self, *, unique_pairs: bool = True) -> pd.DataFrame:
        """Tidy table, see :func:`correlation_long`."""
        return correlation_long(self, unique_pairs=unique_pairs)


def correlation_matrix(
    returns: pd.DataFrame,
    *,
    method: CorrMethod = "pearson",
    confidence: float = DEFAULT_CONFIDENCE,
    min_periods: int = MIN_FISHER_OBS,
) -> CorrelationMatrix:
    """Pairwise-complete correlation matrix with Fisher-z intervals and p-values.

    Parameters
    ----------
    returns
        Wide return frame, columns = tickers.
    method
        ``"pearson"`` or ``"spearman"``.
    confidence
        Confidence level of the intervals (default 0.95).
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
        For an unknown ``method``, ``confidence`` outside (0, 1),
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
    conf = check_open_unit(confidence, "confidence")
    mp = check_int(min_periods, "min_periods", minimum=MIN_FISHER_OBS, unit="observations")
    require_columns(returns, [])
    cols = returns.columns
    valid = returns.notna().to_numpy(dtype=np.float64)
    n = valid.T @ valid
    corr = returns.corr(method=method, min_periods=mp).to_numpy(dtype=np.float64)
    corr = np.where(n >= mp, np.clip(corr, -1.0, 1.0), np.nan)
    np.fill_diagonal(corr, np.where(np.diag(n) >= mp, 1.0, np.nan))
    lower, upper = fisher_z_interval(corr, n, method=method, confidence=conf)
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
        confidence=conf,
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


@dataclass(frozen=True)
class CorrelationDifference:
    """Independent-samples Fisher-z test of ``rho1`` vs ``rho2``."""

    rho1: float
    rho2: float
    n1: int
    n2: int
    z: float
    p: float
    alternative: Alternative
    method: CorrMethod

    @property
    def diff(self) -> float:
        """``rho1 - rho2``."""
        return self.rho1 - self.rho2


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
    if math.isnan(z):
        p = float("nan")
    elif alternative == "greater":
        p = float(stats.norm.sf(z))
    elif alternative == "less":
        p = float(stats.norm.cdf(z))
    else:
        p = float(2.0 * stats.norm.sf(abs(z)))
    return CorrelationDifference(
        rho1=float(rho1),
        rho2=float(rho2),
        n1=int(n1),
        n2=int(n2),
        z=z,
        p=p,
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


def correlation_difference(
    returns: pd.DataFrame,
    x: str,
    y: str,
    period1: Period,
    period2: Period,
    *,
    method: CorrMethod = "pearson",
    alternative: Alternative = "two-sided",
) -> CorrelationDifference:
    """Compare the x-y correlation in two disjoint periods (Fisher z).

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

    Returns
    -------
    CorrelationDifference
        ``rho1``, ``rho2``, ``n1``, ``n2``, ``z``, ``p``.

    Raises
    ------
    ConfigError
        If the periods overlap, a period is empty or has fewer than 4 paired
        observations, or a ticker is unknown.

    Notes
    -----
    See :func:`fisher_z_test`. The test assumes independent samples, hence
    disjoint periods; serial dependence in returns makes it approximate.
    Fewer than 30 pairs in a period emit a ``ShortSampleWarning``.
    """
    check_choice(method, "method", _METHODS)
    check_index(returns, "returns")
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
    return fisher_z_test(rho1, n1, rho2, n2, method=method, alternative=alternative)
