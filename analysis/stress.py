"""Stress periods, stress-versus-calm correlations and tail co-exceedance.

Do crypto and tech fall together? A stress period is defined on a *source*
market (default ``^NDX``) by one of three rules (:class:`StressSpec`):
a drawdown from its running peak, high rolling volatility, or an explicit date
window. Correlations in stress and calm are compared with a one-sided Fisher z
test, before and after the Forbes-Rigobon (2002) correction for the higher
variance of the source market in stress. Tail co-exceedance counts the days on
which two series are both in their own worst ``q`` of returns.

Masks are pandas nullable booleans (``"boolean"`` dtype): ``True`` = stress,
``False`` = calm, ``<NA>`` = undefined (source data missing, volatility window
not yet filled). ``returns.loc[mask]`` and ``returns.loc[~mask]`` both skip NA.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, overload

import numpy as np
import pandas as pd
from scipy import stats

from ._typing import DateLike
from ._validation import as_timestamp, check_choice, check_index, check_int, check_open_unit, require_columns
from .correlation import (
    MIN_FISHER_OBS,
    SHORT_SAMPLE_OBS,
    Alternative,
    _corr_values,
    _mask_values,
    fisher_z_test,
)
from .errors import ConfigError, ShortSampleWarning
from .returns import drawdown, rolling_volatility

__all__ = [
    "DEFAULT_DRAWDOWN_THRESHOLD",
    "DEFAULT_SOURCE",
    "DEFAULT_TAIL_QUANTILE",
    "DEFAULT_VOL_QUANTILE",
    "DEFAULT_VOL_WINDOW",
    "StressCorrelation",
    "StressKind",
    "StressSpec",
    "Tail",
    "TailCoexceedance",
    "VolHistory",
    "drawdown_mask",
    "forbes_rigobon",
    "stress_correlation",
    "stress_correlation_table",
    "stress_delta",
    "stress_mask",
    "tail_coexceedance",
    "tail_coexceedance_table",
    "volatility_mask",
    "window_mask",
]

#: Market whose distress defines stress periods.
DEFAULT_SOURCE = "^NDX"
#: Drawdown stress: the source is at least 5% below its running peak.
DEFAULT_DRAWDOWN_THRESHOLD = -0.05
#: Volatility stress: rolling window of realised volatility, in sessions (one month).
DEFAULT_VOL_WINDOW = 21
#: Volatility stress: realised volatility above this quantile of its history.
DEFAULT_VOL_QUANTILE = 0.80
#: Tail co-exceedance: each series' worst 5% of returns.
DEFAULT_TAIL_QUANTILE = 0.05

StressKind = Literal["drawdown", "volatility", "window"]
VolHistory = Literal["full", "expanding"]
Tail = Literal["lower", "upper"]

_KINDS: tuple[str, ...] = ("drawdown", "volatility", "window")
_HISTORIES: tuple[str, ...] = ("full", "expanding")
_TAILS: tuple[str, ...] = ("lower", "upper")
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
    source
        Conditioning market (column of the returns), for drawdown/volatility.
    threshold
        Drawdown rule: stress when the drawdown is ``<= threshold`` (e.g. -0.05).
    window, quantile, history
        Volatility rule: stress when the ``window``-session realised volatility
        exceeds its ``quantile`` over the full sample (``"full"``) or over the
        history up to that day (``"expanding"``, no look-ahead).
    start, end
        Window rule: inclusive dates of the stress window.
    """

    kind: StressKind
    source: str = DEFAULT_SOURCE
    threshold: float = DEFAULT_DRAWDOWN_THRESHOLD
    window: int = DEFAULT_VOL_WINDOW
    quantile: float = DEFAULT_VOL_QUANTILE
    history: VolHistory = "full"
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
            return f"{self.source} drawdown <= {self.threshold:.0%}"
        if self.kind == "volatility":
            return f"{self.source} {self.window}d vol > q{self.quantile:.2f} ({self.history})"
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
        Positive prices (or a wealth index) of the source market.
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
    history: VolHistory = "full",
) -> pd.Series:
    """Stress where rolling realised volatility exceeds a quantile of its history.

    Parameters
    ----------
    returns
        Daily log returns of the source market.
    window
        Rolling window in sessions (>= 2).
    quantile
        Quantile in (0, 1) of the volatility history used as the threshold.
    history
        ``"full"``: quantile over the whole sample (uses future data);
        ``"expanding"``: quantile over volatilities up to and including day t,
        once ``window`` of them exist.

    Returns
    -------
    pd.Series
        ``"boolean"`` mask on ``returns.index``; NA until the window is full
        (and, for ``"expanding"``, until ``window`` volatilities exist).

    Notes
    -----
    ``sigma_t = std(r_{t-window+1..t})``; stress if ``sigma_t > Q_quantile``.
    """
    window = check_int(window, "window", minimum=2)
    q = check_open_unit(quantile, "quantile", example="0.8")
    check_choice(history, "history", _HISTORIES)
    vol = rolling_volatility(returns, window, annualize=False)
    if history == "full":
        if vol.notna().sum() == 0:
            raise ConfigError(f"no volatility can be computed with window={window}: too few returns")
        threshold: pd.Series | float = float(vol.quantile(q))
        defined = vol.notna()
    else:
        threshold = vol.expanding(min_periods=window).quantile(q)
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
        ``spec.source`` for the drawdown and volatility rules.
    spec
        A :class:`StressSpec` or a mapping accepted by :meth:`StressSpec.from_params`.

    Returns
    -------
    pd.Series
        ``"boolean"`` mask named ``"stress"`` on ``returns.index``.

    Raises
    ------
    ConfigError
        For an invalid spec, unknown source ticker or empty window.

    Notes
    -----
    The drawdown rule uses the wealth index ``W_t = exp(sum_{s<=t} r_s)`` of the
    source (level 1 before the first return), which equals the price drawdown
    when the returns have no gaps. NA where the source return is missing.
    """
    if not isinstance(spec, StressSpec):
        spec = StressSpec.from_params(spec)
    check_index(returns, "returns")
    if spec.kind == "window":
        assert spec.start is not None and spec.end is not None  # checked by StressSpec
        return window_mask(pd.DatetimeIndex(returns.index), spec.start, spec.end)
    require_columns(returns, [spec.source])
    source = returns[spec.source]
    if spec.kind == "drawdown":
        dd = _wealth_drawdown(source)
        return _as_mask(dd <= spec.threshold, source.notna())
    check_int(spec.window, "window", minimum=2)
    if spec.window > source.notna().sum():
        raise ConfigError(
            f"window ({spec.window}) is longer than the data ({int(source.notna().sum())} sessions "
            f"of {spec.source})"
        )
    return volatility_mask(source, window=spec.window, quantile=spec.quantile, history=spec.history)


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
        Relative increase in the source market's variance,
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
    Forbes & Rigobon (2002): under a constant loading on the source market, a
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


def stress_delta(returns: pd.DataFrame, mask: pd.Series, *, source: str = DEFAULT_SOURCE) -> float:
    """Relative variance increase of the source in stress: ``var_s / var_c - 1``.

    Parameters
    ----------
    returns
        Wide return frame.
    mask
        Stress mask (True stress, False calm, NA ignored).
    source
        Conditioning market.

    Returns
    -------
    float
        ``delta`` (sample variances, ddof = 1, NaN with < 2 days in a regime).
    """
    s, c = _split(returns, [source], mask)
    values = returns[source].to_numpy(dtype=np.float64)
    return _delta(values[s], values[c])


def _delta(stress: np.ndarray, calm: np.ndarray) -> float:
    if len(stress) < 2 or len(calm) < 2:
        return float("nan")
    var_c = float(np.var(calm, ddof=1))
    return float(np.var(stress, ddof=1)) / var_c - 1.0 if var_c > 0 else float("nan")


@dataclass(frozen=True)
class StressCorrelation:
    """Stress vs calm correlation of one pair, raw and Forbes-Rigobon adjusted."""

    x: str
    y: str
    source: str
    n_stress: int
    n_calm: int
    rho_stress: float
    rho_calm: float
    delta: float
    """``var_stress(source) / var_calm(source) - 1`` on the pair's sessions."""
    rho_stress_adjusted: float
    z: float
    p: float
    """One-sided p-value of H1: rho_stress > rho_calm (unadjusted)."""
    z_adjusted: float
    p_adjusted: float
    """One-sided p-value of H1: rho_stress_adjusted > rho_calm."""


def _stress_correlation(
    returns: pd.DataFrame,
    x: str,
    y: str,
    mask: pd.Series,
    source: str,
    alternative: Alternative,
) -> StressCorrelation:
    cols = list(dict.fromkeys([x, y, source]))
    s, c = _split(returns, cols, mask)
    xv, yv = returns[x].to_numpy(dtype=np.float64), returns[y].to_numpy(dtype=np.float64)
    sv = returns[source].to_numpy(dtype=np.float64)
    n_s, n_c = int(s.sum()), int(c.sum())
    rho_s, rho_c = _corr_values(xv[s], yv[s], "pearson"), _corr_values(xv[c], yv[c], "pearson")
    delta = _delta(sv[s], sv[c])
    adjusted = forbes_rigobon(rho_s, delta) if not (math.isnan(rho_s) or math.isnan(delta)) else math.nan
    nan = float("nan")
    z = p = z_adj = p_adj = nan
    if n_s >= MIN_FISHER_OBS and n_c >= MIN_FISHER_OBS and not math.isnan(rho_c):
        raw = fisher_z_test(rho_s, n_s, rho_c, n_c, alternative=alternative)
        adj = fisher_z_test(adjusted, n_s, rho_c, n_c, alternative=alternative)
        z, p, z_adj, p_adj = raw.z, raw.p, adj.z, adj.p
    return StressCorrelation(
        x=x,
        y=y,
        source=source,
        n_stress=n_s,
        n_calm=n_c,
        rho_stress=rho_s,
        rho_calm=rho_c,
        delta=delta,
        rho_stress_adjusted=adjusted,
        z=z,
        p=p,
        z_adjusted=z_adj,
        p_adjusted=p_adj,
    )


def stress_correlation(
    returns: pd.DataFrame,
    x: str,
    y: str,
    mask: pd.Series,
    *,
    source: str = DEFAULT_SOURCE,
    alternative: Alternative = "greater",
) -> StressCorrelation:
    """Pearson correlation of ``x`` and ``y`` in stress vs calm, with the FR adjustment.

    Parameters
    ----------
    returns
        Wide daily return frame.
    x, y
        Tickers to correlate (one of them is usually ``source``).
    mask
        Stress mask on ``returns.index`` (True stress, False calm, NA skipped),
        e.g. from :func:`stress_mask`.
    source
        Conditioning market whose variance ratio gives ``delta``.
    alternative
        Alternative of the Fisher z tests; ``"greater"`` (default) tests
        whether the stress correlation exceeds calm.

    Returns
    -------
    StressCorrelation

    Raises
    ------
    ConfigError
        For unknown tickers or fewer than 4 stress or calm sessions.

    Notes
    -----
    Sessions where ``x``, ``y`` or ``source`` is missing are dropped.
    ``delta = var_stress(source) / var_calm(source) - 1``;
    ``rho* = rho_stress / sqrt(1 + delta (1 - rho_stress^2))`` (exact when
    ``x`` or ``y`` is the source and the other loads on it with a constant
    beta; an approximation for other pairs). Both ``rho_stress`` and ``rho*``
    are tested against ``rho_calm`` with the independent-samples Fisher z test
    (:func:`analysis.correlation.fisher_z_test`). Fewer than 30 sessions in a
    regime emit a ``ShortSampleWarning``.
    """
    check_choice(alternative, "alternative", ("two-sided", "greater", "less"))
    res = _stress_correlation(returns, x, y, mask, source, alternative)
    for name, n in (("stress", res.n_stress), ("calm", res.n_calm)):
        if n < MIN_FISHER_OBS:
            raise ConfigError(
                f"{name} period has {n} sessions with {x}, {y} and {source} all present; need at least "
                f"{MIN_FISHER_OBS}: loosen the stress definition or widen the sample"
            )
        if n < SHORT_SAMPLE_OBS:
            warnings.warn(f"{x}/{y}: only {n} {name} sessions", ShortSampleWarning, stacklevel=2)
    return res


def stress_correlation_table(
    returns: pd.DataFrame,
    mask: pd.Series,
    *,
    source: str = DEFAULT_SOURCE,
    pairs: Sequence[tuple[str, str]] | None = None,
    alternative: Alternative = "greater",
) -> pd.DataFrame:
    """Stress vs calm correlations for several pairs.

    Parameters
    ----------
    returns
        Wide daily return frame.
    mask
        Stress mask (see :func:`stress_mask`).
    source
        Conditioning market.
    pairs
        ``(x, y)`` pairs; default ``(source, c)`` for every other column ``c``.
    alternative
        As in :func:`stress_correlation`.

    Returns
    -------
    pd.DataFrame
        One row per pair with the fields of :class:`StressCorrelation`
        (``x``, ``y``, ``source``, ``n_stress``, ``n_calm``, ``rho_stress``,
        ``rho_calm``, ``delta``, ``rho_stress_adjusted``, ``z``, ``p``,
        ``z_adjusted``, ``p_adjusted``).

    Notes
    -----
    Pairs with fewer than 4 stress or calm sessions get NaN statistics (no
    error); pairs with fewer than 30 are listed in one ``ShortSampleWarning``.
    """
    check_choice(alternative, "alternative", ("two-sided", "greater", "less"))
    require_columns(returns, [source])
    if pairs is None:
        pairs = [(source, str(c)) for c in returns.columns if c != source]
    if not pairs:
        raise ConfigError("no pairs to correlate: returns holds only the source column")
    rows = [_stress_correlation(returns, x, y, mask, source, alternative) for x, y in pairs]
    short = [
        f"{r.x}/{r.y} (stress {r.n_stress}, calm {r.n_calm})"
        for r in rows
        if min(r.n_stress, r.n_calm) < SHORT_SAMPLE_OBS
    ]
    if short:
        warnings.warn(
            f"fewer than {SHORT_SAMPLE_OBS} sessions in a regime: {', '.join(short)}",
            ShortSampleWarning,
            stacklevel=2,
        )
    return pd.DataFrame([dataclasses.asdict(r) for r in rows])


@dataclass(frozen=True)
class TailCoexceedance:
    """Joint tail days of two return series."""

    x: str
    y: str
    q: float
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
    """``(n_x / n) (n_y / n)``, about ``q^2``, under independence."""
    expected_count: float
    ratio: float
    """``share / expected_share`` (1 under independence)."""
    conditional: float
    """``n_both / n_x``: share of x's tail days that are also y's tail days."""
    pvalue: float
    """Binomial test of ``n_both`` against ``Bin(n, expected_share)``, one-sided (more joint days)."""


def tail_coexceedance(
    returns: pd.DataFrame,
    x: str,
    y: str,
    *,
    q: float = DEFAULT_TAIL_QUANTILE,
    tail: Tail = "lower",
) -> TailCoexceedance:
    """Share of sessions on which ``x`` and ``y`` are both in their own worst ``q``.

    Parameters
    ----------
    returns
        Wide daily return frame.
    x, y
        Tickers (columns of ``returns``).
    q
        Tail probability in (0, 0.5), default 0.05.
    tail
        ``"lower"`` (worst returns, default) or ``"upper"`` (best returns).

    Returns
    -------
    TailCoexceedance

    Raises
    ------
    ConfigError
        For unknown tickers, ``q`` outside (0, 0.5) or fewer than ``1/q``
        paired sessions (no tail day).

    Notes
    -----
    On the paired sessions, a tail day of ``x`` is ``x_t <= Q_x(q)`` (lower) or
    ``x_t >= Q_x(1 - q)`` (upper), with ``Q`` the empirical (linear) quantile.
    Under independence ``n_both ~ Bin(n, p0)`` with ``p0 = (n_x/n)(n_y/n)``,
    about ``q^2``; the p-value is ``P(Bin(n, p0) >= n_both)``. Serial
    dependence (volatility clustering) makes the test approximate. Fewer than
    30 paired sessions emit a ``ShortSampleWarning``.
    """
    res = _tail_coexceedance(returns, x, y, q, tail)
    if res.n < SHORT_SAMPLE_OBS:
        warnings.warn(f"{x}/{y}: only {res.n} paired sessions", ShortSampleWarning, stacklevel=2)
    return res


def _tail_coexceedance(returns: pd.DataFrame, x: str, y: str, q: float, tail: Tail) -> TailCoexceedance:
    qq = check_open_unit(q, "q", upper=0.5, example="0.05")
    check_choice(tail, "tail", _TAILS)
    require_columns(returns, [x, y])
    if x == y:
        raise ConfigError(f"x and y must be different tickers, got {x!r} twice")
    pair = returns[[x, y]].dropna()
    n = len(pair)
    if math.floor(qq * n) < 1:
        raise ConfigError(
            f"q ({qq}) is too small for {n} paired sessions of {x}/{y}: fewer than one tail day; "
            f"use q >= {1.0 / max(n, 1):.3g} or a longer sample"
        )
    values = pair.to_numpy(dtype=np.float64)
    level = qq if tail == "lower" else 1.0 - qq
    thresholds = np.quantile(values, level, axis=0)
    hits = values <= thresholds if tail == "lower" else values >= thresholds
    n_x, n_y = int(hits[:, 0].sum()), int(hits[:, 1].sum())
    n_both = int(hits.all(axis=1).sum())
    p0 = (n_x / n) * (n_y / n)
    pvalue = float(stats.binomtest(n_both, n, p0, alternative="greater").pvalue)
    return TailCoexceedance(
        x=x,
        y=y,
        q=qq,
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
    )


def tail_coexceedance_table(
    returns: pd.DataFrame,
    *,
    pairs: Sequence[tuple[str, str]] | None = None,
    q: float = DEFAULT_TAIL_QUANTILE,
    tail: Tail = "lower",
) -> pd.DataFrame:
    """:func:`tail_coexceedance` for several pairs (default: every pair of columns).

    Returns
    -------
    pd.DataFrame
        One row per pair with the fields of :class:`TailCoexceedance`.
    """
    if pairs is None:
        pairs = [(str(a), str(b)) for a, b in itertools.combinations(returns.columns, 2)]
    if not pairs:
        raise ConfigError("no pairs: returns needs at least two columns")
    rows = [_tail_coexceedance(returns, x, y, q, tail) for x, y in pairs]
    short = [f"{r.x}/{r.y} (n={r.n})" for r in rows if r.n < SHORT_SAMPLE_OBS]
    if short:
        warnings.warn(
            f"fewer than {SHORT_SAMPLE_OBS} paired sessions: {', '.join(short)}",
            ShortSampleWarning,
            stacklevel=2,
        )
    return pd.DataFrame([dataclasses.asdict(r) for r in rows])
