"""Dependence-robust bootstrap shared by the correlation, stress and tail statistics.

Daily returns are serially dependent in their squares (volatility clustering) and
fat-tailed, so i.i.d. formulas such as Fisher's ``1/(n-3)`` understate the
uncertainty of a correlation. This module draws stationary-bootstrap resamples
(Politis & Romano 1994) with :class:`arch.bootstrap.StationaryBootstrap`, whose
mean block length comes from :func:`arch.bootstrap.optimal_block_length`
(Politis & White 2004, corrected by Patton, Politis & White 2009) applied to the
series that drives the statistic's sampling variance (its influence function).

Statistics are then evaluated for all replications at once on a ``(reps, n)``
matrix of resampled row positions (:func:`resample_indices`), so a few hundred
replications cost milliseconds.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Literal, cast

import numpy as np

# arch and scipy load on first use (inside the functions), so importing the package stays light.
from ._validation import check_choice, check_int, check_open_unit
from .errors import ConfigError

__all__ = [
    "DEFAULT_BOOTSTRAP_REPS",
    "DEFAULT_BOOTSTRAP_SEED",
    "MIN_BOOTSTRAP_OBS",
    "MIN_EXPECTED_BLOCKS",
    "Alternative",
    "BootstrapSeed",
    "correlation_influence",
    "moment_correlation",
    "moment_variance",
    "normal_interval",
    "normal_pvalue",
    "optimal_block",
    "percentile_interval",
    "resample_counts",
    "resample_indices",
    "resample_moments",
    "rowwise_correlation",
    "standard_error",
    "stationary_positions",
]

#: Default bootstrap replications: standard errors within ~2% and 2.5% tails from ~25 draws.
DEFAULT_BOOTSTRAP_REPS = 999
#: Default seed, so that every table of a report is reproducible run to run.
DEFAULT_BOOTSTRAP_SEED = 20251202
#: The mean block length is capped at ``n / MIN_EXPECTED_BLOCKS`` (at least this many blocks).
MIN_EXPECTED_BLOCKS = 10
#: Fewest observations for a bootstrap statistic (fewer give NaN).
MIN_BOOTSTRAP_OBS = 10
#: From this sample length arch's compiled sampler (one call per replication) beats numpy.
COMPILED_SAMPLER_MIN_N = 200

Alternative = Literal["two-sided", "greater", "less"]
#: A seed for :class:`numpy.random.Generator`, a generator, or None (fresh entropy).
BootstrapSeed = int | np.random.Generator | None

_ALTERNATIVES: tuple[str, ...] = ("two-sided", "greater", "less")


def optimal_block(series: np.ndarray) -> float:
    """Mean block length of the stationary bootstrap for one or several series.

    Parameters
    ----------
    series
        1-D array, or 2-D ``(n, k)`` array of ``k`` series (NaN-free).

    Returns
    -------
    float
        The largest of the per-series ``"stationary"`` optima of
        :func:`arch.bootstrap.optimal_block_length`, clipped to
        ``[1, n / MIN_EXPECTED_BLOCKS]``.

    Raises
    ------
    ConfigError
        If there are fewer than :data:`MIN_BOOTSTRAP_OBS` rows or a value is NaN.

    Notes
    -----
    Pass the statistic's influence function (e.g. :func:`correlation_influence`)
    rather than raw returns: returns are nearly serially uncorrelated, their
    products and squares are not. A constant column gives block length 1.
    """
    values = np.asarray(series, dtype=np.float64)
    if values.ndim == 1:
        values = values[:, None]
    n = values.shape[0]
    if n < MIN_BOOTSTRAP_OBS:
        raise ConfigError(f"the bootstrap needs at least {MIN_BOOTSTRAP_OBS} observations, got {n}")
    if np.isnan(values).any():
        raise ConfigError("optimal_block needs complete series: drop missing values first")
    live = values[:, np.ptp(values, axis=0) > 0]
    if live.shape[1] == 0:
        return 1.0
    from arch.bootstrap import optimal_block_length

    with np.errstate(divide="ignore", invalid="ignore"):
        opt = optimal_block_length(live)["stationary"].to_numpy(dtype=np.float64)
    best = float(np.nanmax(opt)) if np.isfinite(opt).any() else 1.0
    return float(np.clip(best, 1.0, max(1.0, n / MIN_EXPECTED_BLOCKS)))


def resample_indices(n: int, *, block: float, reps: int, seed: BootstrapSeed) -> np.ndarray:
    """Row positions of ``reps`` stationary-bootstrap resamples of ``n`` observations.

    Parameters
    ----------
    n
        Sample length (>= 2).
    block
        Mean block length (>= 1), e.g. from :func:`optimal_block`.
    reps
        Number of replications (>= 2).
    seed
        Seed or generator of the resampling (reproducible with an int).

    Returns
    -------
    np.ndarray
        ``int64`` array of shape ``(reps, n)``: row ``b`` holds the positions of
        replication ``b`` (index the data with it, ``x[idx]``).

    Notes
    -----
    Blocks start at uniform positions, have geometric lengths with mean ``block``
    and wrap around the end: the scheme of :class:`arch.bootstrap.StationaryBootstrap`.
    All draws (``starts``, ``u``) are made at once; arch's compiled sampler turns each row
    into positions (its ``bootstrap`` generator costs more per replication than the
    statistics), and short samples use :func:`stationary_positions`, which gives the same
    positions from the same draws.
    """
    n = check_int(n, "n", minimum=2, unit="observations")
    reps = check_int(reps, "reps", minimum=2, unit="replications")
    if not (math.isfinite(block) and block >= 1.0):
        raise ConfigError(f"block must be a mean block length >= 1, got {block!r}")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    starts = rng.integers(n, size=(reps, n), dtype=np.int64)
    u = rng.random((reps, n))
    p = 1.0 / float(block)
    sampler = _compiled_sampler() if n >= COMPILED_SAMPLER_MIN_N else None
    if sampler is None:
        return stationary_positions(starts, u, p)
    for row in range(reps):
        sampler(starts[row], u[row], p)  # fills the row in place
    return starts


def _compiled_sampler() -> Callable[[np.ndarray, np.ndarray, float], np.ndarray] | None:
    """arch's compiled stationary-bootstrap sampler, or None when arch ships without it."""
    try:
        from arch.bootstrap._samplers import stationary_bootstrap_sample
    except ImportError:  # pragma: no cover - arch wheels include the extension
        return None
    return cast(Callable[[np.ndarray, np.ndarray, float], np.ndarray], stationary_bootstrap_sample)


def stationary_positions(starts: np.ndarray, u: np.ndarray, p: float) -> np.ndarray:
    """Stationary-bootstrap positions from given draws, for all replications at once.

    Parameters
    ----------
    starts
        ``(reps, n)`` uniform integers in ``[0, n)``: the start of a block opened at that step.
    u
        ``(reps, n)`` uniforms: step ``i > 0`` opens a new block when ``u <= p``, else it
        continues the previous position by one (wrapping from ``n - 1`` to 0).
    p
        Probability of a new block (one over the mean block length).

    Returns
    -------
    np.ndarray
        ``int64`` positions, row by row equal to arch's ``stationary_bootstrap_sample``.
    """
    n = starts.shape[1]
    steps = np.arange(n, dtype=np.int64)
    opens = u <= p
    opens[:, 0] = True
    # step at which the current block opened, then its start plus the steps since then
    opened = np.maximum.accumulate(np.where(opens, steps, 0), axis=1)
    out: np.ndarray = (np.take_along_axis(starts, opened, axis=1) + (steps - opened)) % n
    return out


def correlation_influence(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Influence function of the Pearson correlation, one value per observation.

    Parameters
    ----------
    x, y
        Paired complete observations.

    Returns
    -------
    np.ndarray
        ``x~ y~ - r (x~^2 + y~^2) / 2`` with standardised ``x~``, ``y~``; its long-run
        variance over ``n`` is the sampling variance of ``r``. Zeros if a series
        is constant.
    """
    xv, yv = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    sx, sy = xv.std(), yv.std()
    if sx == 0 or sy == 0:
        return np.zeros(xv.shape)
    xs, ys = (xv - xv.mean()) / sx, (yv - yv.mean()) / sy
    r = float(np.mean(xs * ys))
    out: np.ndarray = xs * ys - r / 2.0 * (xs**2 + ys**2)
    return out


def rowwise_correlation(x: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Pearson correlation of each row pair of two ``(reps, n)`` arrays.

    Parameters
    ----------
    x, y
        Arrays of the same shape; the last axis holds the observations.
    weights
        Optional 0/1 (boolean) array of that shape selecting observations per row.

    Returns
    -------
    np.ndarray
        Correlations with the leading shape; NaN where a row has fewer than 3
        selected observations or a constant series.
    """
    if weights is None:
        count = np.full(x.shape[:-1], float(x.shape[-1]))
        dx = x - x.mean(axis=-1, keepdims=True)
        dy = y - y.mean(axis=-1, keepdims=True)
    else:
        w = np.asarray(weights, dtype=np.float64)
        count = w.sum(axis=-1)
        with np.errstate(divide="ignore", invalid="ignore"):
            mx = np.einsum("...i,...i->...", w, x) / count
            my = np.einsum("...i,...i->...", w, y) / count
        # zero weight -> zero deviation, so unselected observations drop out of every sum
        dx = w * (x - mx[..., None])
        dy = w * (y - my[..., None])
    sxy = np.einsum("...i,...i->...", dx, dy)
    sxx = np.einsum("...i,...i->...", dx, dx)
    syy = np.einsum("...i,...i->...", dy, dy)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = sxy / np.sqrt(sxx * syy)
    r = np.where((count >= 3) & (sxx > 0) & (syy > 0), r, np.nan)
    return np.asarray(np.clip(r, -1.0, 1.0), dtype=np.float64)


def resample_counts(idx: np.ndarray, n: int) -> np.ndarray:
    """How often each observation appears in each resample.

    Parameters
    ----------
    idx
        ``(reps, n_draws)`` row positions in ``[0, n)``, e.g. from :func:`resample_indices`.
    n
        Number of observations.

    Returns
    -------
    np.ndarray
        ``float64`` array of shape ``(reps, n)``; row ``b`` sums to ``n_draws``.
    """
    reps = idx.shape[0]
    flat = idx + (np.arange(reps, dtype=np.int64) * n)[:, None]
    counts = np.bincount(flat.ravel(), minlength=reps * n).reshape(reps, n)
    return counts.astype(np.float64)


def resample_moments(counts: np.ndarray, *series: np.ndarray, groups: np.ndarray | None = None) -> np.ndarray:
    """Count, sums, sums of squares and cross products of ``series`` in every resample.

    A resampled statistic that depends on the data only through these sums costs one matrix
    product of the resample counts, instead of gathering every resample (``reps * n`` values
    per series) and reducing it.

    Parameters
    ----------
    counts
        ``(reps, n)`` resample counts (:func:`resample_counts`).
    *series
        ``k`` arrays of length ``n``; each is centred on its full-sample mean first, so the
        sums of squares lose no precision to a large mean.
    groups
        Optional boolean array of length ``n``: sums over the observations where it is true
        and where it is false (the label stays with its observation when resampled).

    Returns
    -------
    np.ndarray
        ``(reps, g, m)`` moments, ``g`` = 1 (no ``groups``) or 2 (true, false), ``m`` =
        ``1 + k + k(k+1)/2`` columns: count, ``k`` sums, then ``sum(x_i x_j)`` for ``i <= j``
        in row-major order. Read them with :func:`moment_correlation` and
        :func:`moment_variance`.
    """
    centred = [np.asarray(v, dtype=np.float64) - float(np.mean(v)) for v in series]
    n = counts.shape[1]
    cols = [np.ones(n), *centred]
    cols += [centred[i] * centred[j] for i in range(len(centred)) for j in range(i, len(centred))]
    features = np.column_stack(cols)
    if groups is not None:
        g = np.asarray(groups, dtype=bool)[:, None]
        features = np.hstack([features * g, features * ~g])
    out: np.ndarray = (counts @ features).reshape(counts.shape[0], 1 if groups is None else 2, len(cols))
    return out


def _moment_pos(k: int, i: int, j: int) -> int:
    """Column of ``sum(x_i x_j)`` (``i <= j``) in :func:`resample_moments` of ``k`` series."""
    return 1 + k + i * k - i * (i - 1) // 2 + (j - i)


# Relative size below which a resampled sum of squared deviations counts as zero: a constant
# resample leaves only rounding error of the raw sums (|x| is centred, so no real spread is lost).
_ZERO_SPREAD = 1e-12


def moment_correlation(moments: np.ndarray, k: int, i: int = 0, j: int = 1) -> np.ndarray:
    """Pearson correlation of series ``i`` and ``j`` from :func:`resample_moments`.

    Returns
    -------
    np.ndarray
        Correlations with the leading shape of ``moments``; NaN with fewer than 3 observations
        or a constant series, as :func:`rowwise_correlation`.
    """
    cnt, si, sj = moments[..., 0], moments[..., 1 + i], moments[..., 1 + j]
    sii, sjj = moments[..., _moment_pos(k, i, i)], moments[..., _moment_pos(k, j, j)]
    sij = moments[..., _moment_pos(k, min(i, j), max(i, j))]
    with np.errstate(divide="ignore", invalid="ignore"):
        cxx, cyy = sii - si * si / cnt, sjj - sj * sj / cnt
        r = (sij - si * sj / cnt) / np.sqrt(cxx * cyy)
    live = (cnt >= 3) & (cxx > _ZERO_SPREAD * sii) & (cyy > _ZERO_SPREAD * sjj)
    return np.asarray(np.clip(np.where(live, r, np.nan), -1.0, 1.0), dtype=np.float64)


def moment_variance(moments: np.ndarray, k: int, i: int) -> np.ndarray:
    """Sample variance (ddof 1) of series ``i`` from :func:`resample_moments`; NaN with fewer than 2."""
    cnt, si, sii = moments[..., 0], moments[..., 1 + i], moments[..., _moment_pos(k, i, i)]
    with np.errstate(divide="ignore", invalid="ignore"):
        ss = np.maximum(sii - si * si / cnt, 0.0)
        out: np.ndarray = np.where(cnt >= 2, ss / (cnt - 1.0), np.nan)
    return out


def standard_error(draws: np.ndarray) -> float:
    """Standard deviation (ddof 1) of the finite bootstrap draws; NaN with fewer than 2."""
    finite = np.asarray(draws, dtype=np.float64)
    finite = finite[np.isfinite(finite)]
    return float(finite.std(ddof=1)) if finite.size >= 2 else float("nan")


def normal_interval(
    estimate: float | np.ndarray, se: float | np.ndarray, alpha: float
) -> tuple[np.ndarray, np.ndarray]:
    """``estimate -+ z_{1-alpha/2} se`` elementwise (arrays, 0-d for scalars); NaN propagates."""
    from scipy import stats

    a = check_open_unit(alpha, "alpha", example="0.05")
    crit = float(stats.norm.ppf(1.0 - a / 2.0))
    est = np.asarray(estimate, dtype=np.float64)
    half = crit * np.asarray(se, dtype=np.float64)
    return est - half, est + half


def percentile_interval(draws: np.ndarray, alpha: float) -> tuple[float, float]:
    """``alpha/2`` and ``1 - alpha/2`` quantiles of the finite draws (NaN if fewer than 2)."""
    a = check_open_unit(alpha, "alpha", example="0.05")
    finite = np.asarray(draws, dtype=np.float64)
    finite = finite[np.isfinite(finite)]
    if finite.size < 2:
        return float("nan"), float("nan")
    lo, hi = np.quantile(finite, [a / 2.0, 1.0 - a / 2.0])
    return float(lo), float(hi)


def normal_pvalue(z: float, alternative: Alternative = "two-sided") -> float:
    """p-value of a standard-normal statistic ``z`` (NaN in, NaN out).

    ``"greater"``: ``P(Z >= z)``; ``"less"``: ``P(Z <= z)``; two-sided ``2 P(Z >= |z|)``.
    """
    check_choice(alternative, "alternative", _ALTERNATIVES)
    if math.isnan(z):
        return float("nan")
    from scipy import stats

    if alternative == "greater":
        return float(stats.norm.sf(z))
    if alternative == "less":
        return float(stats.norm.cdf(z))
    return float(2.0 * stats.norm.sf(abs(z)))
