"""Stress periods, stress-versus-calm correlations and tail co-exceedance.

Do crypto and tech fall together? A stress period is defined on a
*conditioning* market (default ``^NDX``) by one of three rules
(:class:`StressSpec`): a drawdown from its running peak, high rolling
volatility (by default against a past-only quantile, so no look-ahead), or an
explicit date window. Correlations in stress and calm are compared with a
one-sided test, before and after the Forbes-Rigobon (2002) correction for the
higher variance of the pair's own conditioning series in stress, analytically
(Fisher z) and with a stationary block bootstrap (:mod:`analysis.bootstrap`).
Tail co-exceedance counts the days on which two series are both in their own
worst ``quantile`` of returns.

Masks are pandas nullable booleans (``"boolean"`` dtype): ``True`` = stress,
``False`` = calm, ``<NA>`` = undefined (conditioning data missing, volatility
window or history not yet filled). ``returns.loc[mask]`` and
``returns.loc[~mask]`` both skip NA.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, cast, overload

import numpy as np
import pandas as pd

from ._typing import DateLike, Pair
from ._validation import as_timestamp, check_choice, check_index, check_int, check_open_unit, require_columns
from .bootstrap import (
    DEFAULT_BOOTSTRAP_REPS,
    DEFAULT_BOOTSTRAP_SEED,
    MIN_BOOTSTRAP_OBS,
    BootstrapSeed,
    correlation_influence,
    moment_correlation,
    moment_variance,
    normal_pvalue,
    optimal_block,
    percentile_interval,
    resample_counts,
    resample_indices,
    resample_moments,
    standard_error,
)
from .correlation import (
    DEFAULT_ALPHA,
    MIN_FISHER_OBS,
    PERCENTILE_BOOTSTRAP,
    SHORT_SAMPLE_OBS,
    Alternative,
    _corr_values,
    _mask_values,
    _z_interval,
    fisher_z_test,
)
from .errors import ConfigError, ShortSampleWarning
from .multiplicity import holm
from .returns import drawdown, rolling_volatility

__all__ = [
    "ALL_SAMPLE",
    "DEFAULT_CONDITIONING",
    "DEFAULT_DRAWDOWN_THRESHOLD",
    "DEFAULT_LEAVE_OUT_YEARS",
    "DEFAULT_MIN_VOL_HISTORY",
    "DEFAULT_TAIL_QUANTILE",
    "DEFAULT_VOL_QUANTILE",
    "DEFAULT_VOL_WINDOW",
    "StressCorrelation",
    "StressCorrelations",
    "StressKind",
    "StressParam",
    "StressSpec",
    "Tail",
    "TailCoexceedance",
    "VolHistory",
    "drawdown_mask",
    "forbes_rigobon",
    "stress_correlation",
    "stress_correlation_table",
    "stress_correlations",
    "stress_days_by_year",
    "stress_delta",
    "stress_mask",
    "tail_coexceedance",
    "tail_coexceedance_table",
    "volatility_mask",
    "window_mask",
]

#: Market whose distress defines stress periods (and the conditioning series of its pairs).
DEFAULT_CONDITIONING = "^NDX"
#: Drawdown stress: the conditioning market is at least 5% below its running peak.
DEFAULT_DRAWDOWN_THRESHOLD = -0.05
#: Volatility stress: rolling window of realised volatility, in sessions (one month).
DEFAULT_VOL_WINDOW = 21
#: Volatility stress: realised volatility above this quantile of its history.
DEFAULT_VOL_QUANTILE = 0.80
#: Past-only volatility quantile: fewest earlier volatility values before a day is classified (a year).
DEFAULT_MIN_VOL_HISTORY = 252
#: Robustness rows of :func:`stress_correlations` leave these calendar years out (2022: the bear market).
DEFAULT_LEAVE_OUT_YEARS: tuple[int, ...] = (2022,)
#: Tail co-exceedance: each series' worst 5% of returns.
DEFAULT_TAIL_QUANTILE = 0.05
#: Label of the full-sample rows of :class:`StressCorrelations`.
ALL_SAMPLE = "all"

StressKind = Literal["drawdown", "volatility", "window"]
#: ``"expanding"``: past-only expanding quantile (default); ``"full"``: whole-sample quantile (look-ahead).
VolHistory = Literal["full", "expanding"]
Tail = Literal["lower", "upper"]
#: Which correlation :meth:`StressCorrelations.conf_int` reports (``None``: all three).
StressParam = Literal["rho_star", "rho_stress", "rho_calm"]

_KINDS: tuple[str, ...] = ("drawdown", "volatility", "window")
_HISTORIES: tuple[str, ...] = ("full", "expanding")
_TAILS: tuple[str, ...] = ("lower", "upper")
_PARAMS: tuple[str, ...] = ("rho_star", "rho_stress", "rho_calm")
#: Row order of :meth:`StressCorrelation.conf_int` with ``param=None``, and each estimate's bootstrap se.
_PARAM_ORDER: tuple[str, ...] = ("rho_stress", "rho_calm", "rho_star")
_SE_OF: dict[str, str] = {"rho_star": "se_star", "rho_stress": "se_stress", "rho_calm": "se_calm"}
_ALTERNATIVES: tuple[str, ...] = ("two-sided", "greater", "less")
_MASK_DTYPE = pd.BooleanDtype()


def _check_threshold(threshold: object) -> float:
    if isinstance(threshold, bool) or not isinstance(threshold, int | float | np.integer | np.floating):
        raise ConfigError(f"threshold must be a negative fraction such as -0.05, got {threshold!r}")
    value = float(threshold)
    if not -1.0 < value < 0.0:
        raise ConfigError(
            f"threshold must be a drawdown between -1 and 0 (e.g. -0.05 for 5% below the peak), "
            f"got {threshold!r}"
        )
    return value


@dataclass(frozen=True)
class StressSpec:
    """A stress-period definition (the notebooks' ``STRESS`` parameter).

    Attributes
    ----------
    kind
        ``"drawdown"``, ``"volatility"`` or ``"window"``.
    conditioning
        Market whose distress defines stress (column of the returns), for
        drawdown/volatility.
    threshold
        Drawdown rule: stress when the drawdown is ``<= threshold`` (e.g. -0.05).
    window, quantile, history, min_history
        Volatility rule: stress when the ``window``-session realised volatility
        exceeds its ``quantile`` over the sessions *before* that day
        (``"expanding"``, default; undefined until ``min_history`` earlier
        volatilities exist) or over the full sample (``"full"``: look-ahead,
        for comparison only).
    start, end
        Window rule: inclusive dates of the stress window.
    """

    kind: StressKind
    conditioning: str = DEFAULT_CONDITIONING
    threshold: float = DEFAULT_DRAWDOWN_THRESHOLD
    window: int = DEFAULT_VOL_WINDOW
    quantile: float = DEFAULT_VOL_QUANTILE
    history: VolHistory = "expanding"
    min_history: int = DEFAULT_MIN_VOL_HISTORY
    start: DateLike | None = None
    end: DateLike | None = None

    def __post_init__(self) -> None:
        check_choice(self.kind, "kind", _KINDS)
        if self.kind == "drawdown":
            _check_threshold(self.threshold)
        elif self.kind == "volatility":
            check_int(self.window, "window", minimum=2)
            check_open_unit(self.quantile, "quantile", example="0.8")
            check_choice(self.history, "history", _HISTORIES)
            check_int(self.min_history, "min_history", minimum=1)
        else:
            if self.start is None or self.end is None:
                raise ConfigError(
                    "a 'window' stress definition needs start and end dates, "
                    f"got start={self.start!r}, end={self.end!r}"
                )
            t0, t1 = as_timestamp(self.start, "start"), as_timestamp(self.end, "end")
            if t0 > t1:
                raise ConfigError(f"start ({t0.date()}) is after end ({t1.date()}); swap them")

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> StressSpec:
        """Build from a mapping such as ``{"kind": "drawdown", "threshold": -0.05}``."""
        fields = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(params) - fields)
        if unknown:
            raise ConfigError(f"unknown stress parameter(s) {unknown}; allowed: {sorted(fields)}")
        if "kind" not in params:
            raise ConfigError(f"stress parameters need 'kind', one of {list(_KINDS)}")
        return cls(**params)

    @property
    def label(self) -> str:
        """Short human-readable description, e.g. ``"^NDX drawdown <= -5%"``."""
        if self.kind == "drawdown":
            return f"{self.conditioning} drawdown <= {self.threshold:.0%}"
        if self.kind == "volatility":
            rule = (
                f"past-only q{self.quantile:.2f}, after {self.min_history} sessions"
                if self.history == "expanding"
                else f"full-sample q{self.quantile:.2f}, look-ahead"
            )
            return f"{self.conditioning} {self.window}d vol > {rule}"
        t0, t1 = as_timestamp(self.start, "start"), as_timestamp(self.end, "end")
        return f"{t0.date()} to {t1.date()}"


def _as_mask(values: pd.Series, defined: pd.Series, name: str = "stress") -> pd.Series:
    out: pd.Series = values.astype(_MASK_DTYPE).where(defined.to_numpy(dtype=bool), pd.NA)
    out.name = name
    return out


def drawdown_mask(prices: pd.Series, *, threshold: float = DEFAULT_DRAWDOWN_THRESHOLD) -> pd.Series:
    """Stress where the price is at least ``|threshold|`` below its running peak.

    Parameters
    ----------
    prices
        Positive prices (or a wealth index) of the conditioning market.
    threshold
        Drawdown level in (-1, 0), e.g. -0.05.

    Returns
    -------
    pd.Series
        ``"boolean"`` mask on ``prices.index``: ``P_t / max_{s<=t} P_s - 1 <=
        threshold``; NA where the price is missing.
    """
    thr = _check_threshold(threshold)
    dd = drawdown(prices)
    return _as_mask(dd <= thr, dd.notna())


def volatility_mask(
    returns: pd.Series,
    *,
    window: int = DEFAULT_VOL_WINDOW,
    quantile: float = DEFAULT_VOL_QUANTILE,
    history: VolHistory = "expanding",
    min_history: int = DEFAULT_MIN_VOL_HISTORY,
) -> pd.Series:
    """Stress where rolling realised volatility exceeds a quantile of its history.

    Parameters
    ----------
    returns
        Daily log returns of the conditioning market.
    window
        Rolling window in sessions (>= 2).
    quantile
        Quantile in (0, 1) of the volatility history used as the threshold.
    history
        ``"expanding"`` (default): quantile of the volatilities of the sessions
        strictly before day t (no look-ahead); ``"full"``: quantile over the
        whole sample (uses future data; for comparison only).
    min_history
        ``"expanding"`` only: earlier volatilities needed before a day is
        classified (default 252, one year).

    Returns
    -------
    pd.Series
        ``"boolean"`` mask on ``returns.index``; NA until the window is full
        and, for ``"expanding"``, until ``min_history`` earlier volatilities exist.

    Notes
    -----
    ``sigma_t = std(r_{t-window+1..t})``; stress if ``sigma_t > Q_t`` with
    ``Q_t = quantile(sigma_s, s < t)`` (expanding) or ``quantile(sigma_s, all s)``.
    The expanding mask of a prefix of the data equals the prefix of the mask.
    """
    window = check_int(window, "window", minimum=2)
    q = check_open_unit(quantile, "quantile", example="0.8")
    check_choice(history, "history", _HISTORIES)
    vol = rolling_volatility(returns, window, annualize=False)
    if vol.notna().sum() == 0:
        raise ConfigError(f"no volatility can be computed with window={window}: too few returns")
    if history == "full":
        threshold: pd.Series | float = float(vol.quantile(q))
        defined = vol.notna()
    else:
        mh = check_int(min_history, "min_history", minimum=1)
        threshold = vol.shift(1).expanding(min_periods=mh).quantile(q)
        defined = vol.notna() & threshold.notna()
    return _as_mask(vol > threshold, defined)


def window_mask(index: pd.DatetimeIndex, start: DateLike, end: DateLike) -> pd.Series:
    """Stress on the sessions of ``index`` inside ``[start, end]`` (inclusive).

    Raises
    ------
    ConfigError
        If ``start > end`` or no session of ``index`` lies in the window.
    """
    if not isinstance(index, pd.DatetimeIndex):
        raise ConfigError(f"index must be a DatetimeIndex, got {type(index).__name__}")
    t0, t1 = as_timestamp(start, "start"), as_timestamp(end, "end")
    if t0 > t1:
        raise ConfigError(f"start ({t0.date()}) is after end ({t1.date()}); swap them")
    inside = (index >= t0) & (index <= t1)
    if not inside.any():
        raise ConfigError(f"empty period: no observations between {t0.date()} and {t1.date()}")
    return pd.Series(inside, index=index, name="stress", dtype=_MASK_DTYPE)


def _wealth_drawdown(log_returns: pd.Series) -> pd.Series:
    """Drawdown of ``exp(cumsum r)``, with the pre-sample level 1 as the first peak."""
    wealth: pd.Series = log_returns.cumsum().transform(np.exp)
    peak = wealth.cummax().clip(lower=1.0)
    return wealth / peak - 1.0


def stress_mask(returns: pd.DataFrame, spec: StressSpec | Mapping[str, Any]) -> pd.Series:
    """Stress mask for a return frame from a :class:`StressSpec` (or its mapping).

    Parameters
    ----------
    returns
        Wide daily log-return frame on a sorted ``DatetimeIndex``; must hold
        ``spec.conditioning`` for the drawdown and volatility rules.
    spec
        A :class:`StressSpec` or a mapping accepted by :meth:`StressSpec.from_params`.

    Returns
    -------
    pd.Series
        ``"boolean"`` mask named ``"stress"`` on ``returns.index``.

    Raises
    ------
    ConfigError
        For an invalid spec, unknown conditioning ticker, empty window, or too
        little history for the volatility rule.

    Notes
    -----
    The drawdown rule uses the wealth index ``W_t = exp(sum_{s<=t} r_s)`` of the
    conditioning market (level 1 before the first return), which equals the
    price drawdown when the returns have no gaps. NA where its return is missing.
    """
    if not isinstance(spec, StressSpec):
        spec = StressSpec.from_params(spec)
    check_index(returns, "returns")
    if spec.kind == "window":
        assert spec.start is not None and spec.end is not None  # checked by StressSpec
        return window_mask(pd.DatetimeIndex(returns.index), spec.start, spec.end)
    require_columns(returns, [spec.conditioning])
    series = returns[spec.conditioning]
    if spec.kind == "drawdown":
        dd = _wealth_drawdown(series)
        return _as_mask(dd <= spec.threshold, series.notna())
    check_int(spec.window, "window", minimum=2)
    available = int(series.notna().sum())
    if spec.window > available:
        raise ConfigError(
            f"window ({spec.window}) is longer than the data ({available} sessions of {spec.conditioning})"
        )
    if spec.history == "expanding" and spec.window + spec.min_history > available:
        raise ConfigError(
            f"the past-only volatility rule needs {spec.window} + {spec.min_history} sessions of "
            f"{spec.conditioning} before the first classified day, the data hold {available}; "
            "lower min_history, load more history or use history='full'"
        )
    return volatility_mask(
        series, window=spec.window, quantile=spec.quantile, history=spec.history, min_history=spec.min_history
    )


def stress_days_by_year(mask: pd.Series) -> pd.DataFrame:
    """Stress, calm and undefined sessions per calendar year.

    Parameters
    ----------
    mask
        Stress mask on a ``DatetimeIndex`` (True stress, False calm, NA undefined).

    Returns
    -------
    pd.DataFrame
        Index ``year`` (int); integer columns ``stress``, ``calm``, ``undefined``
        and ``stress_share`` = stress / (stress + calm) (NaN without classified days).
    """
    if not isinstance(mask, pd.Series) or not isinstance(mask.index, pd.DatetimeIndex):
        raise ConfigError("mask must be a boolean Series on a DatetimeIndex (see stress_mask)")
    m = mask.astype(_MASK_DTYPE)
    years = pd.Index(mask.index.year, name="year")
    stress = m.fillna(False).astype(bool).groupby(years).sum()
    calm = (~m).fillna(False).astype(bool).groupby(years).sum()
    undefined = m.isna().groupby(years).sum()
    out = pd.DataFrame({"stress": stress, "calm": calm, "undefined": undefined}).astype(np.int64)
    classified = out["stress"] + out["calm"]
    out["stress_share"] = (out["stress"] / classified.where(classified > 0)).astype(np.float64)
    out.index = pd.Index([int(y) for y in out.index], name="year")
    return out


@overload
def forbes_rigobon(rho: float, delta: float) -> float: ...
@overload
def forbes_rigobon(rho: np.ndarray | pd.Series, delta: float | np.ndarray | pd.Series) -> np.ndarray: ...
def forbes_rigobon(
    rho: float | np.ndarray | pd.Series, delta: float | np.ndarray | pd.Series
) -> float | np.ndarray:
    """Forbes-Rigobon heteroskedasticity-adjusted (stress) correlation.

    Parameters
    ----------
    rho
        Unadjusted correlation(s) in the stress period.
    delta
        Relative increase in the conditioning market's variance,
        ``var_stress / var_calm - 1`` (> -1).

    Returns
    -------
    float or np.ndarray
        ``rho* = rho / sqrt(1 + delta * (1 - rho^2))``.

    Raises
    ------
    ConfigError
        If ``delta <= -1`` or ``|rho| > 1``.

    Notes
    -----
    Forbes & Rigobon (2002): under a constant loading on the conditioning market, a
    rise in its variance inflates the conditional correlation; ``rho*`` undoes
    that. Example: rho = 0.5, delta = 3 gives 0.5 / sqrt(3.25) = 0.27735.
    NaN inputs give NaN.
    """
    r = np.asarray(rho, dtype=np.float64)
    d = np.asarray(delta, dtype=np.float64)
    if np.any(d <= -1.0):
        raise ConfigError(
            f"delta must be > -1 (a positive variance ratio var_stress/var_calm), got {delta!r}"
        )
    if np.any(np.abs(r) > 1.0):
        raise ConfigError(f"rho must be a correlation in [-1, 1], got {rho!r}")
    out = r / np.sqrt(1.0 + d * (1.0 - r**2))
    if np.ndim(out) == 0:
        return float(out)
    return np.asarray(out)


def _split(returns: pd.DataFrame, columns: Sequence[str], mask: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Stress and calm row selectors where all ``columns`` are present."""
    require_columns(returns, columns)
    both = returns[list(columns)].notna().all(axis=1).to_numpy()
    stress = _mask_values(mask, returns.index, "mask")
    calm = _mask_values(~mask.astype(_MASK_DTYPE), returns.index, "mask")
    return both & stress, both & calm


def stress_delta(
    returns: pd.DataFrame,
    mask: pd.Series,
    *,
    conditioning: str = DEFAULT_CONDITIONING,
) -> float:
    """Relative variance increase of the conditioning series in stress: ``var_s / var_c - 1``.

    Parameters
    ----------
    returns
        Wide return frame.
    mask
        Stress mask (True stress, False calm, NA ignored).
    conditioning
        The series whose variance ratio is taken (default :data:`DEFAULT_CONDITIONING`).

    Returns
    -------
    float
        ``delta`` (sample variances, ddof = 1, NaN with < 2 days in a regime).
    """
    s, c = _split(returns, [conditioning], mask)
    values = returns[conditioning].to_numpy(dtype=np.float64)
    return _delta(values[s], values[c])


def _delta(stress: np.ndarray, calm: np.ndarray) -> float:
    if len(stress) < 2 or len(calm) < 2:
        return float("nan")
    var_c = float(np.var(calm, ddof=1))
    return float(np.var(stress, ddof=1)) / var_c - 1.0 if var_c > 0 else float("nan")


@dataclass(frozen=True)
class StressCorrelation:
    """Stress vs calm correlation of one pair, raw and Forbes-Rigobon adjusted.

    Standard errors ``se_*`` are bootstrap standard errors on the Fisher-z
    (``atanh``) scale; NaN when a regime has fewer than 10 sessions.
    """

    a: str
    b: str
    conditioning: str
    """Series whose stress/calm variance ratio gives ``delta`` (the pair's own, by default ``a``)."""
    n_stress: int
    n_calm: int
    rho_stress: float
    rho_calm: float
    delta: float
    """``var_stress(conditioning) / var_calm(conditioning) - 1`` on the pair's sessions."""
    rho_star: float
    """Forbes-Rigobon adjusted stress correlation ``rho_stress / sqrt(1 + delta (1 - rho_stress^2))``."""
    z: float
    p: float
    """Analytic (Fisher z) p-value of H1: ``rho_star > rho_calm`` (per ``alternative``)."""
    p_bootstrap: float
    """Block-bootstrap p-value of the same hypothesis."""
    z_raw: float
    p_raw: float
    """Analytic p-value of H1: ``rho_stress > rho_calm`` (unadjusted)."""
    p_raw_bootstrap: float
    se_stress: float
    se_calm: float
    se_star: float
    block: float
    """Mean block length of the bootstrap (sessions)."""
    alternative: Alternative = "greater"

    @property
    def x(self) -> str:
        """Older name of :attr:`a`."""
        return self.a

    @property
    def y(self) -> str:
        """Older name of :attr:`b`."""
        return self.b

    @property
    def rho_stress_adjusted(self) -> float:
        """Older name of :attr:`rho_star`."""
        return self.rho_star

    @property
    def p_adjusted(self) -> float:
        """Older name of :attr:`p` (rho_star vs rho_calm)."""
        return self.p

    def conf_int(self, alpha: float = DEFAULT_ALPHA, *, param: StressParam | None = None) -> pd.DataFrame:
        """Bootstrap ``1 - alpha`` intervals of the correlations.

        One row per estimate (``rho_stress``, ``rho_calm``, ``rho_star``; only ``param``
        if given): ``a``, ``b``, ``param``, ``estimate``, ``se`` (bootstrap, ``atanh``
        scale), ``ci_low``, ``ci_high``, ``interval`` (``"bootstrap"``):
        ``tanh(atanh(rho) -+ z_{1-alpha/2} se)``.
        """
        row = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        return _stress_conf_int(pd.DataFrame([row]), alpha, param, ["a", "b"])

    def summary_frame(self, alpha: float = DEFAULT_ALPHA) -> pd.DataFrame:
        """One-row table with the fields and the bootstrap interval of ``rho_star``."""
        ci = self.conf_int(alpha, param="rho_star")
        row = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        row.update(ci_star_lo=float(ci["ci_low"].iloc[0]), ci_star_hi=float(ci["ci_high"].iloc[0]))
        return pd.DataFrame([row])


def _stress_conf_int(
    estimates: pd.DataFrame, alpha: float, param: StressParam | None, keys: list[str]
) -> pd.DataFrame:
    """Bootstrap intervals, one row per (row of ``estimates``, param).

    Columns ``keys``, then ``param, estimate, se, ci_low, ci_high, interval``.
    """
    a = check_open_unit(alpha, "alpha", example="0.05")
    params = _PARAM_ORDER if param is None else (check_choice(param, "param", _PARAMS),)
    frames = []
    for name in params:
        rho = estimates[name].to_numpy(dtype=np.float64)
        se = estimates[_SE_OF[name]].to_numpy(dtype=np.float64)
        lo, hi = _z_interval(rho, se, a)
        part = estimates[keys].assign(param=name, estimate=rho, se=se, ci_low=lo, ci_high=hi)
        frames.append(part.assign(interval="bootstrap", _row=np.arange(len(estimates))))
    out = pd.concat(frames, ignore_index=True).sort_values("_row", kind="stable")
    return out.drop(columns="_row").reset_index(drop=True)


@dataclass(frozen=True)
class _FRBoot:
    se_stress: float
    se_calm: float
    se_star: float
    z_star: float
    z_raw: float
    block: float


def _fr_bootstrap(
    xa: np.ndarray,
    xb: np.ndarray,
    xc: np.ndarray,
    stress: np.ndarray,
    reps: int,
    rng: np.random.Generator,
) -> _FRBoot:
    """Stationary bootstrap of (rho_stress, rho_calm, delta, rho_star) with the regime label kept per day.

    The block length is the largest optimum of the pair's correlation influence
    function and the conditioning series' squared deviations (``delta`` is a
    variance ratio, and squared returns are the persistent part).
    """
    nan = float("nan")
    calm = ~stress
    if min(int(stress.sum()), int(calm.sum())) < MIN_BOOTSTRAP_OBS:
        return _FRBoot(nan, nan, nan, nan, nan, nan)
    sd = xc.std()
    csq = ((xc - xc.mean()) / sd) ** 2 if sd > 0 else np.zeros(xc.shape)
    block = optimal_block(np.column_stack([correlation_influence(xa, xb), csq]))
    idx = resample_indices(len(xa), block=block, reps=reps, seed=rng)
    # every statistic below is a function of per-regime sums: one product of resample counts
    mom = resample_moments(resample_counts(idx, len(xa)), xa, xb, xc, groups=stress)
    r_s, r_c = moment_correlation(mom[:, 0], 3), moment_correlation(mom[:, 1], 3)
    var_s, var_c = moment_variance(mom[:, 0], 3, 2), moment_variance(mom[:, 1], 3, 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        d = var_s / var_c - 1.0
        r_star = r_s / np.sqrt(1.0 + d * (1.0 - r_s**2))
        z_s, z_c, z_star = np.arctanh(r_s), np.arctanh(r_c), np.arctanh(r_star)
    se_diff = standard_error(z_star - z_c)
    se_raw = standard_error(z_s - z_c)
    rho_s = _corr_values(xa[stress], xb[stress], "pearson")
    rho_c = _corr_values(xa[calm], xb[calm], "pearson")
    delta = _delta(xc[stress], xc[calm])
    with np.errstate(divide="ignore", invalid="ignore"):
        obs_star = float(np.arctanh(forbes_rigobon(rho_s, delta))) if math.isfinite(delta) else nan
        obs_c, obs_s = float(np.arctanh(rho_c)), float(np.arctanh(rho_s))
    return _FRBoot(
        se_stress=standard_error(z_s),
        se_calm=standard_error(z_c),
        se_star=standard_error(z_star),
        z_star=(obs_star - obs_c) / se_diff if se_diff > 0 else nan,
        z_raw=(obs_s - obs_c) / se_raw if se_raw > 0 else nan,
        block=block,
    )


def _stress_correlation(
    returns: pd.DataFrame,
    a: str,
    b: str,
    mask: pd.Series,
    conditioning: str,
    alternative: Alternative,
    reps: int,
    rng: np.random.Generator,
) -> StressCorrelation:
    if a == b:
        raise ConfigError(f"a pair needs two different tickers, got {a!r} twice")
    cols = list(dict.fromkeys([a, b, conditioning]))
    s, c = _split(returns, cols, mask)
    keep = s | c
    xa = returns[a].to_numpy(dtype=np.float64)[keep]
    xb = returns[b].to_numpy(dtype=np.float64)[keep]
    xc = returns[conditioning].to_numpy(dtype=np.float64)[keep]
    stress = s[keep]
    n_s, n_c = int(stress.sum()), int((~stress).sum())
    rho_s = _corr_values(xa[stress], xb[stress], "pearson")
    rho_c = _corr_values(xa[~stress], xb[~stress], "pearson")
    delta = _delta(xc[stress], xc[~stress])
    nan = float("nan")
    star = forbes_rigobon(rho_s, delta) if not (math.isnan(rho_s) or math.isnan(delta)) else nan
    z = p = z_raw = p_raw = nan
    if n_s >= MIN_FISHER_OBS and n_c >= MIN_FISHER_OBS and not math.isnan(rho_c):
        raw = fisher_z_test(rho_s, n_s, rho_c, n_c, alternative=alternative)
        adj = fisher_z_test(star, n_s, rho_c, n_c, alternative=alternative)
        z, p, z_raw, p_raw = adj.z, adj.p, raw.z, raw.p
    boot = _fr_bootstrap(xa, xb, xc, stress, reps, rng)
    return StressCorrelation(
        a=a,
        b=b,
        conditioning=conditioning,
        n_stress=n_s,
        n_calm=n_c,
        rho_stress=rho_s,
        rho_calm=rho_c,
        delta=delta,
        rho_star=star,
        z=z,
        p=p,
        p_bootstrap=normal_pvalue(boot.z_star, alternative),
        z_raw=z_raw,
        p_raw=p_raw,
        p_raw_bootstrap=normal_pvalue(boot.z_raw, alternative),
        se_stress=boot.se_stress,
        se_calm=boot.se_calm,
        se_star=boot.se_star,
        block=boot.block,
        alternative=alternative,
    )


def stress_correlation(
    returns: pd.DataFrame,
    x: str,
    y: str,
    mask: pd.Series,
    *,
    conditioning: str | None = None,
    alternative: Alternative = "greater",
    reps: int = DEFAULT_BOOTSTRAP_REPS,
    seed: BootstrapSeed = DEFAULT_BOOTSTRAP_SEED,
) -> StressCorrelation:
    """Pearson correlation of ``x`` and ``y`` in stress vs calm, with the Forbes-Rigobon adjustment.

    Parameters
    ----------
    returns
        Wide daily return frame.
    x, y
        Tickers to correlate; ``x`` is the pair's conditioning series by default.
    mask
        Stress mask on ``returns.index`` (True stress, False calm, NA skipped),
        e.g. from :func:`stress_mask`.
    conditioning
        Series whose variance ratio gives ``delta`` (default ``x``).
    alternative
        Alternative of the tests; ``"greater"`` (default) tests whether the
        stress correlation exceeds calm.
    reps, seed
        Bootstrap replications and seed (:mod:`analysis.bootstrap`).

    Returns
    -------
    StressCorrelation

    Raises
    ------
    ConfigError
        For unknown tickers or fewer than 4 stress or calm sessions.

    Notes
    -----
    Sessions where ``x``, ``y`` or the conditioning series is missing are
    dropped. ``delta = var_stress(c) / var_calm(c) - 1``;
    ``rho* = rho_stress / sqrt(1 + delta (1 - rho_stress^2))`` (exact when
    ``c`` is one of the pair and the other loads on it with a constant beta).
    Analytic p: independent-samples Fisher z test of ``rho*`` (and of the raw
    ``rho_stress``) against ``rho_calm``. Bootstrap p: the whole sample is
    resampled in stationary blocks with each day keeping its regime label,
    ``z = (atanh rho* - atanh rho_calm) / sd*(atanh rho** - atanh rho_calm*)``
    against the normal. Fewer than 30 sessions in a regime emit a
    ``ShortSampleWarning``.
    """
    check_choice(alternative, "alternative", _ALTERNATIVES)
    cond = x if conditioning is None else conditioning
    reps = check_int(reps, "reps", minimum=2, unit="bootstrap replications")
    require_columns(returns, [x, y, cond])
    res = _stress_correlation(returns, x, y, mask, cond, alternative, reps, np.random.default_rng(seed))
    for name, n in (("stress", res.n_stress), ("calm", res.n_calm)):
        if n < MIN_FISHER_OBS:
            raise ConfigError(
                f"{name} period has {n} sessions with {x}, {y} and {cond} all present; need at least "
                f"{MIN_FISHER_OBS}: loosen the stress definition or widen the sample"
            )
        if n < SHORT_SAMPLE_OBS:
            warnings.warn(f"{x}/{y}: only {n} {name} sessions", ShortSampleWarning, stacklevel=2)
    return res


@dataclass(frozen=True)
class StressCorrelations:
    """Stress vs calm correlations of several pairs, full sample and with years left out.

    ``estimates`` holds one row per (pair, sample) with the fields of
    :class:`StressCorrelation`, ``sample`` (``"all"`` or ``"excluding 2022"``),
    ``p_bootstrap_adj`` (Holm over the pairs of a sample) and ``reason`` (why
    a row has no test; empty otherwise).
    """

    estimates: pd.DataFrame
    regime: str
    """How stress was defined (the :attr:`StressSpec.label`, or "mask passed by the caller")."""
    days_by_year: pd.DataFrame
    """:func:`stress_days_by_year` of the mask used."""
    alternative: Alternative

    def conf_int(self, alpha: float = DEFAULT_ALPHA, *, param: StressParam | None = None) -> pd.DataFrame:
        """Bootstrap ``1 - alpha`` intervals, one row per (pair, sample, estimate).

        Columns ``a``, ``b``, ``sample``, ``param`` (``rho_stress``, ``rho_calm``,
        ``rho_star``; only ``param`` if given), ``estimate``, ``se``, ``ci_low``,
        ``ci_high``, ``interval`` (see :meth:`StressCorrelation.conf_int`).
        """
        return _stress_conf_int(self.estimates, alpha, param, ["a", "b", "sample"])

    def summary_frame(self, alpha: float = DEFAULT_ALPHA) -> pd.DataFrame:
        """One row per (pair, sample).

        Columns ``a``, ``b``, ``conditioning``, ``sample``, ``n_stress``,
        ``n_calm``, ``delta``, ``rho_stress``, ``rho_calm``, ``rho_star``,
        ``ci_star_lo``, ``ci_star_hi`` (bootstrap), ``p``, ``p_bootstrap``,
        ``p_bootstrap_adj``, ``p_raw``, ``p_raw_bootstrap``, ``block``, ``reason``.
        """
        ci = self.conf_int(alpha, param="rho_star")
        e = self.estimates
        cols = [
            "a", "b", "conditioning", "sample", "n_stress", "n_calm", "delta", "rho_stress", "rho_calm",
            "rho_star",
        ]  # fmt: skip
        out = e[cols].assign(ci_star_lo=ci["ci_low"].to_numpy(), ci_star_hi=ci["ci_high"].to_numpy())
        rest = ["p", "p_bootstrap", "p_bootstrap_adj", "p_raw", "p_raw_bootstrap", "block", "reason"]
        return pd.concat([out, e[rest]], axis=1)

    def metrics_records(self, sample: str = ALL_SAMPLE) -> list[dict[str, object]]:
        """Metrics-contract records of one sample:
        ``a, b, conditioning, delta, rho_stress, rho_calm, rho_star, p, p_bootstrap``."""
        e = self.estimates[self.estimates["sample"] == sample]
        keys = ("delta", "rho_stress", "rho_calm", "rho_star", "p", "p_bootstrap")
        return [
            {
                "a": str(r["a"]),
                "b": str(r["b"]),
                "conditioning": str(r["conditioning"]),
                **{k: _finite_or_none(r[k]) for k in keys},
            }
            for _, r in e.iterrows()
        ]


def _finite_or_none(value: object) -> float | None:
    out = float(cast(float, value))
    return out if math.isfinite(out) else None


def _as_stress_mask(
    returns: pd.DataFrame, stress: pd.Series | StressSpec | Mapping[str, Any]
) -> tuple[pd.Series, str, str | None]:
    """Mask, its label and the stress market (None for a mask passed in)."""
    if isinstance(stress, pd.Series):
        return stress, "mask passed by the caller", None
    spec = stress if isinstance(stress, StressSpec) else StressSpec.from_params(stress)
    market = spec.conditioning if spec.kind != "window" else None
    return stress_mask(returns, spec), spec.label, market


def _leave_out_label(years: Sequence[int]) -> str:
    return "excluding " + ", ".join(str(y) for y in years)


def stress_correlations(
    returns: pd.DataFrame,
    stress: pd.Series | StressSpec | Mapping[str, Any],
    pairs: Sequence[Pair] | None = None,
    *,
    conditioning: str | None = None,
    leave_out_years: Sequence[int] = DEFAULT_LEAVE_OUT_YEARS,
    alternative: Alternative = "greater",
    reps: int = DEFAULT_BOOTSTRAP_REPS,
    seed: BootstrapSeed = DEFAULT_BOOTSTRAP_SEED,
) -> StressCorrelations:
    """Forbes-Rigobon stress vs calm correlations of several pairs, each with its own conditioning series.

    Parameters
    ----------
    returns
        Wide daily return frame on a sorted ``DatetimeIndex``.
    stress
        A stress mask (e.g. :func:`stress_mask`), a :class:`StressSpec` or its mapping.
    pairs
        ``(a, b)`` pairs; default ``(m, c)`` for every other column ``c``, with
        ``m`` the stress market (:data:`DEFAULT_CONDITIONING` for a mask).
    conditioning
        ``None`` (default): each pair's own first ticker ``a`` (for ``(BTC-USD,
        IREN)`` that is BTC's variance ratio, not the stress market's); a ticker:
        that series for every pair.
    leave_out_years
        Calendar years left out in the robustness rows (default ``(2022,)``;
        empty for none).
    alternative
        ``"greater"`` (default: stress correlation above calm), ``"less"`` or
        ``"two-sided"``.
    reps, seed
        Bootstrap replications and seed (one generator, pairs x samples in order).

    Returns
    -------
    StressCorrelations
        ``summary_frame(alpha)``, ``conf_int(alpha)``, ``metrics_records()``,
        ``days_by_year``.

    Raises
    ------
    ConfigError
        For unknown tickers, an invalid stress definition or bad parameters.

    Notes
    -----
    See :func:`stress_correlation`. Rows with fewer than 4 stress or calm
    sessions get NaN tests and a ``reason``; the bootstrap needs 10 per regime.
    Holm adjusts ``p_bootstrap`` over the pairs of each sample. Regimes with
    fewer than 30 sessions are listed in one ``ShortSampleWarning``.
    """
    check_index(returns, "returns")
    check_choice(alternative, "alternative", _ALTERNATIVES)
    reps = check_int(reps, "reps", minimum=2, unit="bootstrap replications")
    mask, regime, market = _as_stress_mask(returns, stress)
    years = [
        check_int(y, "leave_out_years entry", minimum=1900, unit="(calendar year)") for y in leave_out_years
    ]
    if pairs is None:
        lead = conditioning or market or DEFAULT_CONDITIONING
        require_columns(returns, [lead])
        pairs = [(lead, str(c)) for c in returns.columns if c != lead]
    if not pairs:
        raise ConfigError("no pairs to correlate: returns holds only the conditioning column")
    samples: list[tuple[str, pd.Series]] = [(ALL_SAMPLE, mask)]
    if years:
        kept = ~pd.DatetimeIndex(returns.index).year.isin(years)
        aligned = mask.astype(_MASK_DTYPE).reindex(returns.index)
        samples.append((_leave_out_label(years), _as_mask(aligned, pd.Series(kept))))
    rng = np.random.default_rng(seed)
    rows: list[dict[str, object]] = []
    for label, m in samples:
        first = len(rows)
        for pair in pairs:
            a, b = str(pair[0]), str(pair[1])
            cond = conditioning or a
            require_columns(returns, [a, b, cond])
            res = _stress_correlation(returns, a, b, m, cond, alternative, reps, rng)
            row = {f.name: getattr(res, f.name) for f in dataclasses.fields(res)}
            reason = ""
            if min(res.n_stress, res.n_calm) < MIN_FISHER_OBS:
                reason = f"only {res.n_stress} stress and {res.n_calm} calm sessions (need {MIN_FISHER_OBS})"
            elif min(res.n_stress, res.n_calm) < MIN_BOOTSTRAP_OBS:
                reason = f"no bootstrap: fewer than {MIN_BOOTSTRAP_OBS} sessions in a regime"
            row.update(sample=label, reason=reason)
            rows.append(row)
        ps = pd.Series([r["p_bootstrap"] for r in rows[first:]], dtype=np.float64)
        for r, adj in zip(rows[first:], holm(ps), strict=True):
            r["p_bootstrap_adj"] = adj
    short = [
        f"{r['a']}/{r['b']} [{r['sample']}] (stress {r['n_stress']}, calm {r['n_calm']})"
        for r in rows
        if min(cast(int, r["n_stress"]), cast(int, r["n_calm"])) < SHORT_SAMPLE_OBS
    ]
    if short:
        warnings.warn(
            f"fewer than {SHORT_SAMPLE_OBS} sessions in a regime: {', '.join(short)}",
            ShortSampleWarning,
            stacklevel=2,
        )
    estimates = pd.DataFrame(rows)
    for col in ("n_stress", "n_calm"):
        estimates[col] = estimates[col].astype(np.int64)
    return StressCorrelations(
        estimates=estimates,
        regime=regime,
        days_by_year=stress_days_by_year(mask),
        alternative=alternative,
    )


def stress_correlation_table(
    returns: pd.DataFrame,
    mask: pd.Series,
    *,
    conditioning: str = DEFAULT_CONDITIONING,
    pairs: Sequence[tuple[str, str]] | None = None,
    alternative: Alternative = "greater",
    reps: int = DEFAULT_BOOTSTRAP_REPS,
    seed: BootstrapSeed = DEFAULT_BOOTSTRAP_SEED,
) -> pd.DataFrame:
    """Full-sample stress vs calm table of several pairs (older interface of :func:`stress_correlations`).

    Parameters
    ----------
    returns, mask, alternative, reps, seed
        As in :func:`stress_correlations`.
    conditioning
        Stress market: the first ticker of the default pairs ``(conditioning, c)``.
        The variance ratio of each pair is its own first ticker's.
    pairs
        ``(x, y)`` pairs; default ``(conditioning, c)`` for every other column ``c``.

    Returns
    -------
    pd.DataFrame
        :meth:`StressCorrelations.summary_frame` of the full sample plus the
        older column names ``x``, ``y``, ``rho_stress_adjusted`` (= ``rho_star``)
        and ``p_adjusted`` (= ``p``).
    """
    if pairs is None:
        pairs = [(conditioning, c) for c in _columns_except(returns, conditioning)]
    res = stress_correlations(
        returns, mask, pairs, leave_out_years=(), alternative=alternative, reps=reps, seed=seed
    )
    table = res.summary_frame()
    return table.assign(
        x=table["a"], y=table["b"], rho_stress_adjusted=table["rho_star"], p_adjusted=table["p"]
    )


def _columns_except(returns: pd.DataFrame, ticker: str) -> list[str]:
    require_columns(returns, [ticker])
    others = [str(c) for c in returns.columns if c != ticker]
    if not others:
        raise ConfigError("no pairs to correlate: returns holds only the conditioning column")
    return others


@dataclass(frozen=True)
class TailCoexceedance:
    """Joint tail days of two return series, with a block-bootstrap interval of the ratio."""

    x: str
    y: str
    quantile: float
    tail: Tail
    n: int
    """Sessions where both series have a return."""
    threshold_x: float
    threshold_y: float
    n_x: int
    n_y: int
    n_both: int
    share: float
    """``n_both / n``."""
    expected_share: float
    """``(n_x / n) (n_y / n)``, about ``quantile^2``, under independence."""
    expected_count: float
    ratio: float
    """``share / expected_share`` (1 under independence)."""
    conditional: float
    """``n_both / n_x``: share of x's tail days that are also y's tail days."""
    pvalue: float
    """Binomial test of ``n_both`` against ``Bin(n, expected_share)``, one-sided (more joint days)."""
    ratio_se: float = float("nan")
    """Bootstrap standard error of ``ratio``."""
    block: float = float("nan")
    """Mean block length of the bootstrap (sessions)."""
    ratio_draws: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False, compare=False)
    """Bootstrap draws of ``ratio`` (for :meth:`conf_int`)."""

    def conf_int(self, alpha: float = DEFAULT_ALPHA) -> pd.DataFrame:
        """Percentile bootstrap ``1 - alpha`` interval of ``ratio`` (NaN without draws).

        One row: ``x``, ``y``, ``ratio`` (the estimate), ``ci_low``, ``ci_high``,
        ``interval`` (``"bootstrap percentile"``: the ``alpha/2`` and ``1 - alpha/2``
        quantiles of the block-bootstrap draws).
        """
        lo, hi = percentile_interval(self.ratio_draws, alpha)
        row = {"x": self.x, "y": self.y, "ratio": self.ratio, "ci_low": lo, "ci_high": hi}
        return pd.DataFrame([{**row, "interval": PERCENTILE_BOOTSTRAP}])

    def summary_frame(self, alpha: float = DEFAULT_ALPHA) -> pd.DataFrame:
        """One-row table of the fields with ``ratio_lo``, ``ratio_hi`` (bootstrap)."""
        return pd.DataFrame([_tail_row(self, alpha)])


def _tail_row(res: TailCoexceedance, alpha: float) -> dict[str, object]:
    row: dict[str, object] = {
        f.name: getattr(res, f.name) for f in dataclasses.fields(res) if f.name != "ratio_draws"
    }
    row["ratio_lo"], row["ratio_hi"] = percentile_interval(res.ratio_draws, alpha)
    return row


def _tail_quantile(quantile: float) -> float:
    return check_open_unit(quantile, "quantile", upper=0.5, example="0.05")


def tail_coexceedance(
    returns: pd.DataFrame,
    x: str,
    y: str,
    *,
    quantile: float = DEFAULT_TAIL_QUANTILE,
    tail: Tail = "lower",
    reps: int = DEFAULT_BOOTSTRAP_REPS,
    seed: BootstrapSeed = DEFAULT_BOOTSTRAP_SEED,
) -> TailCoexceedance:
    """Share of sessions on which ``x`` and ``y`` are both in their own worst ``quantile``.

    Parameters
    ----------
    returns
        Wide daily return frame.
    x, y
        Tickers (columns of ``returns``).
    quantile
        Tail probability in (0, 0.5), default 0.05.
    tail
        ``"lower"`` (worst returns, default) or ``"upper"`` (best returns).
    reps, seed
        Bootstrap replications and seed of the ratio's interval.

    Returns
    -------
    TailCoexceedance

    Raises
    ------
    ConfigError
        For unknown tickers, ``quantile`` outside (0, 0.5) or fewer than
        ``1/quantile`` paired sessions (no tail day).

    Notes
    -----
    On the paired sessions, a tail day of ``x`` is ``x_t <= Q_x(q)`` (lower) or
    ``x_t >= Q_x(1 - q)`` (upper), with ``Q`` the empirical (linear) quantile.
    Under independence ``n_both ~ Bin(n, p0)`` with ``p0 = (n_x/n)(n_y/n)``,
    about ``q^2``; the p-value is ``P(Bin(n, p0) >= n_both)``, approximate under
    volatility clustering. The ratio's interval comes from a stationary block
    bootstrap (thresholds recomputed per replication; block length from the
    tail-day indicators). Fewer than 30 paired sessions emit a ``ShortSampleWarning``.
    """
    qq = _tail_quantile(quantile)
    reps = check_int(reps, "reps", minimum=2, unit="bootstrap replications")
    res = _tail_coexceedance(returns, x, y, qq, tail, reps, np.random.default_rng(seed))
    if res.n < SHORT_SAMPLE_OBS:
        warnings.warn(f"{x}/{y}: only {res.n} paired sessions", ShortSampleWarning, stacklevel=2)
    return res


def _tail_counts(values: np.ndarray, level: float, tail: Tail) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Tail hits of x, y and both along the last axis of ``(..., n, 2)`` values."""
    thresholds = np.quantile(values, level, axis=-2, keepdims=True)
    hits = values <= thresholds if tail == "lower" else values >= thresholds
    return hits[..., 0], hits[..., 1], hits.all(axis=-1)


def _resampled_tail_counts(
    values: np.ndarray, idx: np.ndarray, level: float, tail: Tail
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Tail days of x, y and both in every resample ``values[idx]``, without gathering it.

    Equals the row sums of :func:`_tail_counts` of ``values[idx]`` (thresholds by numpy's
    linear quantile of each resample): a resample's order statistics are the sorted data at
    the order statistics of its ranks, so sorting ``(reps, n)`` integer ranks replaces the
    ``(reps, n, 2)`` float gather and quantile (about 3x less work).
    """
    n = idx.shape[1]
    # numpy's "linear" quantile: order statistics lo and lo + 1 of n, weight g on the upper
    virtual = level * (n - 1)
    lo = int(np.floor(virtual))
    hi = min(lo + 1, n - 1)
    g = virtual - lo
    hits = []
    for j in range(values.shape[1]):
        order = np.argsort(values[:, j], kind="stable")
        ranked = values[order, j]
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        r = rank[idx]
        kth = np.partition(r, [lo, hi], axis=1)
        a, b = ranked[kth[:, lo]], ranked[kth[:, hi]]
        diff = b - a
        thr = b - diff * (1.0 - g) if g >= 0.5 else a + diff * g  # numpy's _lerp
        if tail == "lower":
            hits.append(r <= (np.searchsorted(ranked, thr, side="right") - 1)[:, None])
        else:
            hits.append(r >= np.searchsorted(ranked, thr, side="left")[:, None])
    hx, hy = hits
    return hx.sum(axis=1), hy.sum(axis=1), (hx & hy).sum(axis=1)


def _tail_coexceedance(
    returns: pd.DataFrame, x: str, y: str, qq: float, tail: Tail, reps: int, rng: np.random.Generator
) -> TailCoexceedance:
    check_choice(tail, "tail", _TAILS)
    require_columns(returns, [x, y])
    if x == y:
        raise ConfigError(f"x and y must be different tickers, got {x!r} twice")
    pair = returns[[x, y]].dropna()
    n = len(pair)
    if math.floor(qq * n) < 1:
        raise ConfigError(
            f"quantile ({qq}) is too small for {n} paired sessions of {x}/{y}: fewer than one tail day; "
            f"use quantile >= {1.0 / max(n, 1):.3g} or a longer sample"
        )
    values = pair.to_numpy(dtype=np.float64)
    level = qq if tail == "lower" else 1.0 - qq
    thresholds = np.quantile(values, level, axis=0)
    hx, hy, hb = _tail_counts(values, level, tail)
    n_x, n_y, n_both = int(hx.sum()), int(hy.sum()), int(hb.sum())
    p0 = (n_x / n) * (n_y / n)
    from scipy import stats

    pvalue = float(stats.binomtest(n_both, n, p0, alternative="greater").pvalue)
    draws = np.empty(0)
    ratio_se = block = float("nan")
    if n >= MIN_BOOTSTRAP_OBS:
        block = optimal_block(np.column_stack([hb, hx, hy]).astype(np.float64))
        idx = resample_indices(n, block=block, reps=reps, seed=rng)
        bx, by, bb = _resampled_tail_counts(values, idx, level, tail)
        with np.errstate(divide="ignore", invalid="ignore"):
            draws = bb * n / (bx * by).astype(np.float64)
        ratio_se = standard_error(draws)
    return TailCoexceedance(
        x=x,
        y=y,
        quantile=qq,
        tail=tail,
        n=n,
        threshold_x=float(thresholds[0]),
        threshold_y=float(thresholds[1]),
        n_x=n_x,
        n_y=n_y,
        n_both=n_both,
        share=n_both / n,
        expected_share=p0,
        expected_count=p0 * n,
        ratio=(n_both / n) / p0,
        conditional=n_both / n_x,
        pvalue=pvalue,
        ratio_se=ratio_se,
        block=block,
        ratio_draws=draws,
    )


def tail_coexceedance_table(
    returns: pd.DataFrame,
    *,
    pairs: Sequence[tuple[str, str]] | None = None,
    quantile: float = DEFAULT_TAIL_QUANTILE,
    tail: Tail = "lower",
    alpha: float = DEFAULT_ALPHA,
    reps: int = DEFAULT_BOOTSTRAP_REPS,
    seed: BootstrapSeed = DEFAULT_BOOTSTRAP_SEED,
) -> pd.DataFrame:
    """:func:`tail_coexceedance` for several pairs (default: every pair of columns).

    Returns
    -------
    pd.DataFrame
        One row per pair with the fields of :class:`TailCoexceedance` and the
        bootstrap ``1 - alpha`` interval of the ratio (``ratio_lo``, ``ratio_hi``).
    """
    qq = _tail_quantile(quantile)
    reps = check_int(reps, "reps", minimum=2, unit="bootstrap replications")
    if pairs is None:
        pairs = [(str(a), str(b)) for a, b in itertools.combinations(returns.columns, 2)]
    if not pairs:
        raise ConfigError("no pairs: returns needs at least two columns")
    rng = np.random.default_rng(seed)
    rows = [_tail_coexceedance(returns, x, y, qq, tail, reps, rng) for x, y in pairs]
    short = [f"{r.x}/{r.y} (n={r.n})" for r in rows if r.n < SHORT_SAMPLE_OBS]
    if short:
        warnings.warn(
            f"fewer than {SHORT_SAMPLE_OBS} paired sessions: {', '.join(short)}",
            ShortSampleWarning,
            stacklevel=2,
        )
    return pd.DataFrame([_tail_row(r, alpha) for r in rows])
