"""Tests for analysis.bootstrap: block length, resampling, vectorised correlations, intervals."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from analysis.bootstrap import (
    MIN_EXPECTED_BLOCKS,
    correlation_influence,
    moment_correlation,
    moment_variance,
    normal_interval,
    normal_pvalue,
    optimal_block,
    percentile_interval,
    resample_counts,
    resample_indices,
    resample_moments,
    rowwise_correlation,
    standard_error,
    stationary_positions,
)
from analysis.errors import ConfigError


def ar1(n: int, phi: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    e = rng.standard_normal(n)
    out = np.empty(n)
    out[0] = e[0]
    for t in range(1, n):
        out[t] = phi * out[t - 1] + e[t]
    return out


def test_optimal_block_grows_with_persistence_and_is_capped() -> None:
    white = optimal_block(np.random.default_rng(0).standard_normal(2000))
    persistent = optimal_block(ar1(2000, 0.9, seed=1))
    assert white < 3.0 < persistent  # i.i.d. needs (almost) no blocks; AR(0.9) needs long ones
    assert optimal_block(ar1(100, 0.99, seed=2)) <= 100 / MIN_EXPECTED_BLOCKS
    assert optimal_block(np.ones(50)) == 1.0  # constant series: nothing to preserve
    both = optimal_block(np.column_stack([np.random.default_rng(3).standard_normal(2000), ar1(2000, 0.9, 1)]))
    assert both == pytest.approx(persistent)  # the largest per-series optimum


def test_resample_indices_shape_range_seed_and_blocks() -> None:
    idx = resample_indices(500, block=20.0, reps=50, seed=7)
    assert idx.shape == (50, 500) and idx.dtype == np.int64
    assert idx.min() >= 0 and idx.max() <= 499
    np.testing.assert_array_equal(idx, resample_indices(500, block=20.0, reps=50, seed=7))
    assert not np.array_equal(idx, resample_indices(500, block=20.0, reps=50, seed=8))
    # Mean block length ~20: a new block starts with probability 1/20 (wrap-around continues a block).
    steps = (np.diff(idx, axis=1) % 500) == 1
    assert 1.0 - steps.mean() == pytest.approx(1 / 20, abs=0.01)
    iid = resample_indices(500, block=1.0, reps=50, seed=7)
    assert ((np.diff(iid, axis=1) % 500) == 1).mean() < 0.01


@pytest.mark.parametrize(("n", "block"), [(2, 1.0), (7, 3.0), (300, 1.0), (300, 12.5), (300, 299.0)])
def test_stationary_positions_equal_archs_sampler_on_the_same_draws(n: int, block: float) -> None:
    from arch.bootstrap.base import stationary_bootstrap_sample

    rng = np.random.default_rng(11)
    starts, u = rng.integers(n, size=(40, n), dtype=np.int64), rng.random((40, n))
    ours = stationary_positions(starts, u, 1.0 / block)
    for row in range(40):
        ref = stationary_bootstrap_sample(starts[row].copy(), u[row].copy(), 1.0 / block)
        np.testing.assert_array_equal(ours[row], ref)


@pytest.mark.parametrize("n", [50, 500])  # numpy below COMPILED_SAMPLER_MIN_N, arch's sampler above
def test_resample_indices_are_the_stationary_positions_of_the_seeded_draws(n: int) -> None:
    rng = np.random.default_rng(5)
    starts, u = rng.integers(n, size=(30, n), dtype=np.int64), rng.random((30, n))
    expected = stationary_positions(starts, u, 1.0 / 7.5)
    np.testing.assert_array_equal(resample_indices(n, block=7.5, reps=30, seed=5), expected)


def test_rowwise_correlation_matches_numpy_with_and_without_weights() -> None:
    rng = np.random.default_rng(4)
    x, y = rng.standard_normal((3, 40)), rng.standard_normal((3, 40))
    y[1] = 0.7 * x[1] + y[1]
    ref = [np.corrcoef(x[i], y[i])[0, 1] for i in range(3)]
    np.testing.assert_allclose(rowwise_correlation(x, y), ref, atol=1e-12)
    w = rng.random((3, 40)) < 0.5
    ref_w = [np.corrcoef(x[i][w[i]], y[i][w[i]])[0, 1] for i in range(3)]
    np.testing.assert_allclose(rowwise_correlation(x, y, w), ref_w, atol=1e-12)
    few = np.zeros((1, 40), dtype=bool)
    few[0, :2] = True
    assert math.isnan(rowwise_correlation(x[:1], y[:1], few)[0])  # fewer than 3 selected


def test_influence_function_variance_is_the_delta_method_variance() -> None:
    # For bivariate normal pairs the asymptotic variance of r is (1 - rho^2)^2 / n.
    rng = np.random.default_rng(5)
    x = rng.standard_normal(200_000)
    y = 0.6 * x + 0.8 * rng.standard_normal(200_000)
    assert correlation_influence(x, y).var() == pytest.approx((1 - 0.36) ** 2, rel=0.02)
    assert (correlation_influence(x, np.ones(200_000)) == 0).all()


def test_intervals_and_pvalues() -> None:
    lo, hi = normal_interval(1.0, 0.5, 0.05)
    assert (float(lo), float(hi)) == pytest.approx((1.0 - 1.959964 * 0.5, 1.0 + 1.959964 * 0.5), abs=1e-6)
    draws = np.r_[np.arange(1000.0), np.nan, np.inf]
    assert percentile_interval(draws, 0.1) == pytest.approx((49.95, 949.05))
    assert standard_error(np.array([1.0, 3.0, np.nan])) == pytest.approx(math.sqrt(2.0))
    assert math.isnan(standard_error(np.array([1.0])))
    assert normal_pvalue(1.0, "greater") == pytest.approx(stats.norm.sf(1.0))
    assert normal_pvalue(1.0, "less") == pytest.approx(stats.norm.cdf(1.0))
    assert normal_pvalue(-1.0) == pytest.approx(2 * stats.norm.sf(1.0))
    assert math.isnan(normal_pvalue(float("nan")))


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: optimal_block(np.ones(5)), r"at least 10 observations, got 5"),
        (lambda: optimal_block(np.r_[np.ones(20), np.nan]), r"complete series"),
        (
            lambda: resample_indices(100, block=0.5, reps=10, seed=0),
            r"block must be a mean block length >= 1",
        ),
        (lambda: resample_indices(100, block=2.0, reps=1, seed=0), r"reps must be >= 2 replications"),
        (lambda: normal_interval(0.0, 1.0, 1.5), r"alpha must be strictly between 0 and 1"),
    ],
)
def test_bad_arguments(call: object, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        call()  # type: ignore[operator]


def test_resample_counts_count_each_position() -> None:
    idx = np.array([[0, 0, 2, 3], [1, 1, 1, 1]])
    np.testing.assert_array_equal(resample_counts(idx, 5), [[2, 0, 1, 1, 0], [0, 4, 0, 0, 0]])


def test_moment_statistics_equal_the_gathered_resamples() -> None:
    """Correlations and variances from resample sums equal those of the gathered resamples."""
    rng = np.random.default_rng(5)
    n = 300
    x = 50.0 + rng.standard_normal(n)  # a large mean: centring keeps the sums precise
    y = 0.6 * x + rng.standard_normal(n)
    c = rng.standard_t(4, n) * 0.02
    stress = rng.random(n) < 0.2
    idx = resample_indices(n, block=5.0, reps=400, seed=1)
    mom = resample_moments(resample_counts(idx, n), x, y, c, groups=stress)
    assert mom.shape == (400, 2, 1 + 3 + 6)
    xb, yb, cb, sb = x[idx], y[idx], c[idx], stress[idx]
    for g, sel in enumerate([sb, ~sb]):
        close = np.testing.assert_allclose
        close(moment_correlation(mom[:, g], 3), rowwise_correlation(xb, yb, sel), atol=1e-12)
        close(moment_correlation(mom[:, g], 3, 2, 0), rowwise_correlation(cb, xb, sel), atol=1e-12)
        w = sel.astype(float)
        mean = (w * cb).sum(axis=1) / w.sum(axis=1)
        var = (w * (cb - mean[:, None]) ** 2).sum(axis=1) / (w.sum(axis=1) - 1)
        np.testing.assert_allclose(moment_variance(mom[:, g], 3, 2), var, rtol=1e-10)
    plain = resample_moments(resample_counts(idx, n), x, y)
    np.testing.assert_allclose(moment_correlation(plain[:, 0], 2), rowwise_correlation(xb, yb), atol=1e-12)


def test_moment_statistics_are_nan_where_the_gathered_ones_are() -> None:
    """A constant resample, or fewer than 3 (correlation) or 2 (variance) observations: NaN."""
    x = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    y = np.array([2.0, 1.0, 4.0, 3.0, 6.0])
    groups = np.array([True, True, False, False, False])
    idx = np.array([[2, 2, 2, 2, 2], [0, 1, 2, 3, 4], [0, 2, 3, 4, 4], [0, 0, 2, 3, 4]])
    mom = resample_moments(resample_counts(idx, 5), x, y, groups=groups)
    both = moment_correlation(resample_moments(resample_counts(idx, 5), x, y)[:, 0], 2)
    assert np.isnan(both[0]) and np.isfinite(both[1:]).all()
    stressed = moment_correlation(mom[:, 0], 2)
    assert np.isnan(stressed).all()  # at most two stress observations in every resample
    np.testing.assert_array_equal(np.isnan(moment_variance(mom[:, 0], 2, 0)), [True, False, True, False])
    assert moment_variance(mom[:, 0], 2, 0)[3] == 0.0  # two copies of one value: zero spread
