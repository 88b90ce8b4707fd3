"""Tests for analysis.stress: masks, Forbes-Rigobon adjustment and tail co-exceedance."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.multitest import multipletests

from analysis.clean import CleanConfig, clean_panel
from analysis.errors import ConfigError, DataQualityWarning, ShortSampleWarning
from analysis.returns import log_returns
from analysis.snapshot import SnapshotSource
from analysis.stress import (
    StressSpec,
    drawdown_mask,
    forbes_rigobon,
    stress_correlation,
    stress_correlation_table,
    stress_correlations,
    stress_days_by_year,
    stress_delta,
    stress_mask,
    tail_coexceedance,
    tail_coexceedance_table,
    volatility_mask,
    window_mask,
)

pytestmark = pytest.mark.filterwarnings("error::analysis.errors.ShortSampleWarning")


def sessions(n: int, start: str = "2025-01-06") -> pd.DatetimeIndex:
    return pd.bdate_range(start, periods=n, name="Date")


def regime_returns(
    n: int = 6000,
    seed: int = 0,
    vol_ratio: float = 3.0,
    beta: float = 0.5,
    beta_stress: float | None = None,
    block: int = 100,
) -> pd.DataFrame:
    """Conditioning ``^NDX`` with a variance regime; ``IREN`` loads on it.

    Every third block of ``block`` sessions is a stress block with ``^NDX``
    volatility ``vol_ratio`` times the calm volatility; the idiosyncratic noise is
    unchanged. With a constant beta (``beta_stress=None``) the calm correlation is
    beta / sqrt(beta^2 + 1) and delta = vol_ratio^2 - 1: pure heteroskedasticity.
    ``beta_stress`` > beta plants contagion (a stronger link in stress).
    """
    rng = np.random.default_rng(seed)
    stress = (np.arange(n) // block) % 3 == 0
    x = rng.standard_normal(n) * np.where(stress, vol_ratio, 1.0)
    b = np.where(stress, beta if beta_stress is None else beta_stress, beta)
    y = b * x + rng.standard_normal(n)
    z = rng.standard_normal(n)
    return pd.DataFrame(
        {"^NDX": 0.01 * x, "IREN": 0.02 * y, "BTC-USD": 0.03 * z, "stress": stress}, index=sessions(n)
    )


# --- Forbes-Rigobon ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rho", "delta", "expected"),
    [
        (0.5, 3.0, 0.5 / math.sqrt(3.25)),  # 0.27735...
        (0.5, 0.0, 0.5),
        (1.0, 5.0, 1.0),
        (-0.5, 3.0, -0.5 / math.sqrt(3.25)),
    ],
)
def test_forbes_rigobon_hand_worked(rho: float, delta: float, expected: float) -> None:
    assert forbes_rigobon(rho, delta) == pytest.approx(expected, abs=1e-12)
    assert forbes_rigobon(0.5, 3.0) == pytest.approx(0.2773500981, abs=1e-10)


def test_forbes_rigobon_vectorised_and_bad_delta() -> None:
    out = forbes_rigobon(np.array([0.5, 0.0]), 3.0)
    np.testing.assert_allclose(out, [0.5 / math.sqrt(3.25), 0.0])
    with pytest.raises(ConfigError, match=r"delta must be > -1 .*got -1.0"):
        forbes_rigobon(0.5, -1.0)
    with pytest.raises(ConfigError, match=r"rho must be a correlation in \[-1, 1\], got 1.2"):
        forbes_rigobon(1.2, 0.5)


def test_stress_correlation_on_planted_heteroskedasticity() -> None:
    df = regime_returns()
    mask = df["stress"].astype("boolean")
    calm_truth = 0.5 / math.sqrt(1.25)  # 0.447
    res = stress_correlation(df, "^NDX", "IREN", mask, reps=199)
    assert res.conditioning == "^NDX"  # the pair's own first series
    assert (res.n_stress, res.n_calm) == (2000, 4000)
    assert res.delta == pytest.approx(8.0, rel=0.1)  # vol ratio 3 -> variance ratio 9
    assert res.rho_calm == pytest.approx(calm_truth, abs=0.03)
    assert res.rho_stress == pytest.approx(1.5 / math.sqrt(3.25), abs=0.03)  # 0.832: inflated
    assert res.rho_stress > res.rho_calm + 0.3 and res.p_raw < 1e-10 and res.p_raw_bootstrap < 1e-10
    assert res.rho_star == pytest.approx(calm_truth, abs=0.05)  # FR undoes the inflation
    assert res.p > 0.05 and res.p_bootstrap > 0.05
    assert (res.rho_stress_adjusted, res.p_adjusted, res.x) == (res.rho_star, res.p, "^NDX")  # older names
    ci = res.conf_int().set_index("param")
    assert list(ci.index) == ["rho_stress", "rho_calm", "rho_star"]
    assert ci.at["rho_star", "ci_low"] < calm_truth < ci.at["rho_star", "ci_high"]
    assert ci.at["rho_stress", "estimate"] == res.rho_stress and (ci["interval"] == "bootstrap").all()
    assert res.conf_int(param="rho_star")[["ci_low", "ci_high"]].equals(
        ci.loc[["rho_star"], ["ci_low", "ci_high"]].reset_index(drop=True)
    )
    assert stress_delta(df, mask, conditioning="^NDX") == pytest.approx(res.delta)
    with pytest.raises(TypeError, match="source"):  # one name: conditioning
        stress_delta(df, mask, source="^NDX")  # type: ignore[call-arg]


def test_forbes_rigobon_bootstrap_keeps_size_under_pure_variance_increase() -> None:
    # 80 samples with a constant loading and 9x the variance in stress: no contagion.
    rejections = 0
    for seed in range(80):
        df = regime_returns(600, seed=seed, block=50)
        res = stress_correlation(df, "^NDX", "IREN", df["stress"].astype("boolean"), reps=99, seed=seed)
        rejections += res.p_bootstrap < 0.05
    assert rejections / 80 <= 0.125  # nominal 0.05; P(> 10 of 80 | 0.05) = 0.003


def test_forbes_rigobon_detects_planted_contagion() -> None:
    # The loading doubles in stress (0.5 -> 1.0): correlation beyond what the variance explains.
    df = regime_returns(1500, seed=42, beta_stress=1.0, block=50)
    res = stress_correlation(df, "^NDX", "IREN", df["stress"].astype("boolean"), reps=199)
    truth_star = forbes_rigobon(3.0 / math.sqrt(10.0), 8.0)  # rho_stress = 1*3 / sqrt(9 + 1)
    assert res.rho_star == pytest.approx(truth_star, abs=0.05)
    assert res.rho_star > res.rho_calm + 0.15
    assert res.p < 1e-4 and res.p_bootstrap < 1e-4


def test_each_pair_uses_its_own_conditioning_series() -> None:
    # BTC's variance doubles in ^NDX-defined stress, ^NDX's rises ninefold; IREN loads on BTC.
    df = regime_returns(3000, seed=7).drop(columns="IREN")
    rng = np.random.default_rng(8)
    stress = df.pop("stress")
    btc = rng.standard_normal(3000) * np.where(stress, math.sqrt(2.0), 1.0)
    df["BTC-USD"] = 0.03 * btc
    df["IREN"] = 0.03 * (0.8 * btc + rng.standard_normal(3000))
    mask = stress.astype("boolean")
    res = stress_correlations(df, mask, [("^NDX", "BTC-USD"), ("BTC-USD", "IREN")], reps=99)
    table = res.summary_frame().set_index(["a", "b", "sample"])
    own = table.loc[("BTC-USD", "IREN", "all")]
    assert own["conditioning"] == "BTC-USD"
    assert own["delta"] == pytest.approx(stress_delta(df, mask, conditioning="BTC-USD"), abs=1e-12)
    assert own["delta"] == pytest.approx(1.0, abs=0.2) and own["p_bootstrap"] > 0.05
    ndx = table.loc[("^NDX", "BTC-USD", "all")]
    assert ndx["conditioning"] == "^NDX" and ndx["delta"] == pytest.approx(8.0, rel=0.15)
    wrong = stress_correlations(df, mask, [("BTC-USD", "IREN")], conditioning="^NDX", reps=99)
    assert wrong.summary_frame()["rho_star"].iloc[0] < own["rho_star"] - 0.1  # ^NDX's delta over-corrects
    records = res.metrics_records()
    assert [set(r) for r in records] == [
        {"a", "b", "conditioning", "delta", "rho_stress", "rho_calm", "rho_star", "p", "p_bootstrap"}
    ] * 2
    assert records[1]["conditioning"] == "BTC-USD" and records[1]["delta"] == own["delta"]


def test_stress_correlations_leave_out_year_days_by_year_and_holm() -> None:
    idx = pd.bdate_range("2021-01-01", "2023-12-29", name="Date")
    rng = np.random.default_rng(9)
    stress = pd.Series(idx.month.isin([3, 4]) | (idx.year == 2022), index=idx)
    x = rng.standard_normal(len(idx)) * np.where(stress, 2.0, 1.0)
    df = pd.DataFrame(
        {
            "^NDX": 0.01 * x,
            "IREN": 0.01 * (0.5 * x + rng.standard_normal(len(idx))),
            "MARA": rng.normal(0, 0.02, len(idx)),
        },
        index=idx,
    )
    mask = stress.astype("boolean")
    mask.iloc[:5] = pd.NA
    res = stress_correlations(df, mask, reps=99)
    by_year = res.days_by_year
    assert list(by_year.index) == [2021, 2022, 2023]
    assert by_year.loc[2022, "calm"] == 0 and by_year.loc[2021, "undefined"] == 5
    assert by_year.loc[2021, "stress"] == int(stress.loc["2021"].iloc[5:].sum())
    assert by_year["stress_share"].loc[2022] == 1.0
    table = res.summary_frame()
    assert list(table["sample"]) == ["all", "all", "excluding 2022", "excluding 2022"]
    assert list(table["a"]) == ["^NDX"] * 4 and list(table["b"]) == ["IREN", "MARA"] * 2
    out = table[table["sample"] == "excluding 2022"].iloc[0]
    expected_stress = int(stress[idx.year != 2022].iloc[5:].sum()) if idx[4].year != 2022 else 0
    assert out["n_stress"] == expected_stress
    assert table.loc[0, "n_stress"] == expected_stress + int(stress.loc["2022"].sum())
    for sample in ("all", "excluding 2022"):
        part = table[table["sample"] == sample]
        np.testing.assert_allclose(
            part["p_bootstrap_adj"], multipletests(part["p_bootstrap"], method="holm")[1]
        )
    assert res.regime == "mask passed by the caller"
    ci = res.conf_int(0.05, param="rho_star")
    assert (ci["ci_low"] < table["rho_star"]).all() and (table["rho_star"] < ci["ci_high"]).all()
    assert list(ci["sample"]) == list(table["sample"]) and (ci["param"] == "rho_star").all()
    every = res.conf_int()
    assert len(every) == 3 * len(table) and list(every["param"][:3]) == ["rho_stress", "rho_calm", "rho_star"]


def test_stress_correlation_table_default_pairs() -> None:
    df = regime_returns().drop(columns="stress")
    mask = pd.Series((np.arange(len(df)) // 100) % 3 == 0, index=df.index)
    table = stress_correlation_table(df, mask, reps=49)
    assert list(table["y"]) == ["IREN", "BTC-USD"] and (table["x"] == "^NDX").all()
    assert (table["conditioning"] == "^NDX").all()
    assert {
        "rho_stress",
        "rho_calm",
        "delta",
        "rho_stress_adjusted",
        "p",
        "p_adjusted",
        "p_bootstrap",
    } <= set(table.columns)
    assert table["p_adjusted"].equals(table["p"])
    unrelated = table.set_index("y").loc["BTC-USD"]
    assert abs(unrelated["rho_stress"]) < 0.06 and abs(unrelated["rho_calm"]) < 0.06


def test_stress_correlation_too_few_stress_days() -> None:
    df = regime_returns(300).drop(columns="stress")
    mask = pd.Series(np.arange(300) < 3, index=df.index)
    with pytest.raises(ConfigError, match=r"stress period has 3 sessions with \^NDX, IREN and \^NDX"):
        stress_correlation(df, "^NDX", "IREN", mask)
    with pytest.warns(ShortSampleWarning, match="fewer than 30 sessions in a regime"):
        table = stress_correlation_table(df, mask, reps=49)
    assert table["p"].isna().all() and table["p_bootstrap"].isna().all()
    assert (table["reason"] == "only 3 stress and 297 calm sessions (need 4)").all()


# --- stress masks ------------------------------------------------------------------------


def test_drawdown_mask_hand_path() -> None:
    prices = pd.Series([100.0, 96.0, 94.0, np.nan, 99.0, 101.0], index=sessions(6))
    mask = drawdown_mask(prices, threshold=-0.05)
    assert str(mask.dtype) == "boolean" and mask.name == "stress"
    assert mask.tolist() == [False, False, True, pd.NA, False, False]


def test_stress_mask_drawdown_from_returns_equals_price_rule() -> None:
    rng = np.random.default_rng(1)
    prices = pd.DataFrame({"^NDX": 100 * np.exp(np.cumsum(rng.normal(0, 0.015, 400)))}, index=sessions(400))
    r = log_returns(prices)
    from_returns = stress_mask(r, {"kind": "drawdown", "threshold": -0.05})
    from_prices = drawdown_mask(prices["^NDX"], threshold=-0.05)
    assert from_returns.iloc[0] is pd.NA  # first return is missing
    assert from_returns.iloc[1:].tolist() == from_prices.iloc[1:].tolist()
    assert 0 < int(from_returns.sum()) < 399


def test_volatility_mask_finds_planted_block() -> None:
    df = regime_returns(600, seed=2)  # one third of sessions in 3x-volatility blocks
    mask = volatility_mask(df["^NDX"], window=10, quantile=0.65, history="full")
    assert int(mask.isna().sum()) == 9
    windows = np.lib.stride_tricks.sliding_window_view(df["stress"].to_numpy(), 10)
    all_stress = np.r_[np.zeros(9, dtype=bool), windows.all(axis=1)]
    all_calm = np.r_[np.zeros(9, dtype=bool), ~windows.any(axis=1)]
    flagged = mask.to_numpy(dtype=bool, na_value=False)
    assert flagged[all_stress].mean() > 0.95  # windows entirely inside a stress block
    assert flagged[all_calm].mean() < 0.05  # windows entirely inside a calm block
    rolling = df["^NDX"].rolling(10).std()
    assert mask.iloc[9:].tolist() == (rolling > rolling.quantile(0.65)).iloc[9:].tolist()


def test_expanding_volatility_mask_is_past_only() -> None:
    df = regime_returns(600, seed=3)
    full = volatility_mask(df["^NDX"], window=10, quantile=0.6, min_history=50)
    head = volatility_mask(df["^NDX"].iloc[:300], window=10, quantile=0.6, min_history=50)
    assert head.equals(full.iloc[:300])  # no look-ahead: a prefix gives the same labels
    assert int(full.isna().sum()) == 9 + 50  # window to fill, then 50 earlier volatilities
    vol = df["^NDX"].rolling(10).std()
    t = 400  # threshold from the volatilities strictly before day t
    assert bool(full.iloc[t]) == bool(vol.iloc[t] > vol.iloc[9:t].quantile(0.6))
    flagged = full.to_numpy(dtype=bool, na_value=False)
    in_stress = df["stress"].to_numpy()
    assert flagged[300:400].mean() > 0.9  # the second stress block, once history exists
    assert flagged[~in_stress].mean() < 0.1


def test_default_stress_spec_is_past_only_volatility() -> None:
    spec = StressSpec("volatility")
    assert (spec.history, spec.window, spec.min_history) == ("expanding", 21, 252)
    assert spec.label == "^NDX 21d vol > past-only q0.80, after 252 sessions"
    frame = pd.DataFrame({"^NDX": np.random.default_rng(1).normal(0, 0.01, 400)}, index=sessions(400))
    mask = stress_mask(frame, spec)
    assert int(mask.isna().sum()) == 20 + 252
    assert StressSpec.from_params({"kind": "volatility", "conditioning": "BTC-USD"}).conditioning == "BTC-USD"
    with pytest.raises(ConfigError, match=r"unknown stress parameter\(s\) \['source'\]"):
        StressSpec.from_params({"kind": "volatility", "source": "BTC-USD"})
    with pytest.raises(ConfigError, match=r"needs 21 \+ 252 sessions of \^NDX"):
        stress_mask(frame.iloc[:200], spec)


def test_stress_days_by_year_counts() -> None:
    idx = pd.DatetimeIndex(["2022-12-30", "2023-01-03", "2023-01-04", "2023-01-05"], name="Date")
    mask = pd.Series([True, False, pd.NA, True], index=idx, dtype="boolean")
    table = stress_days_by_year(mask)
    assert table.to_dict("index") == {
        2022: {"stress": 1, "calm": 0, "undefined": 0, "stress_share": 1.0},
        2023: {"stress": 1, "calm": 1, "undefined": 1, "stress_share": 0.5},
    }
    assert table["stress"].dtype == np.int64


def test_window_mask_and_spec() -> None:
    idx = sessions(10)
    mask = window_mask(idx, "2025-01-08", "2025-01-10")
    assert mask.tolist() == [False, False, True, True, True] + [False] * 5
    spec = StressSpec.from_params({"kind": "window", "start": "2025-01-08", "end": "2025-01-10"})
    frame = pd.DataFrame({"^NDX": np.zeros(10)}, index=idx)
    assert stress_mask(frame, spec).equals(mask)
    assert spec.label == "2025-01-08 to 2025-01-10"
    assert StressSpec("drawdown").label == "^NDX drawdown <= -5%"


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"kind": "crash"}, r"kind must be one of \['drawdown', 'volatility', 'window'\], got 'crash'"),
        ({"kind": "drawdown", "threshold": 0.05}, r"threshold must be a drawdown between -1 and 0"),
        ({"kind": "volatility", "window": 1}, r"window must be >= 2 sessions, got 1"),
        ({"kind": "volatility", "quantile": 80}, r"quantile must be strictly between 0 and 1"),
        ({"kind": "window", "start": "2025-01-08"}, r"needs start and end dates"),
        ({"kind": "drawdown", "thresh": -0.1}, r"unknown stress parameter\(s\) \['thresh'\]"),
        ({"threshold": -0.1}, r"stress parameters need 'kind'"),
        ({"kind": "drawdown", "conditioning": "XYZ"}, r"ticker 'XYZ' not in returns; available: \^NDX"),
        ({"kind": "volatility", "window": 300}, r"window \(300\) is longer than the data \(120 sessions"),
        ({"kind": "window", "start": "2024-01-01", "end": "2024-01-31"}, r"empty period"),
    ],
)
def test_stress_mask_bad_parameters(params: dict[str, object], match: str) -> None:
    frame = pd.DataFrame({"^NDX": np.random.default_rng(0).normal(0, 0.01, 120)}, index=sessions(120))
    with pytest.raises(ConfigError, match=match):
        stress_mask(frame, params)


# --- conf_int convention -----------------------------------------------------------------


def test_every_stress_result_conf_int_is_a_frame_around_the_estimate() -> None:
    df = regime_returns(900, seed=3, block=50)
    mask = df["stress"].astype("boolean")
    df = df.drop(columns="stress")
    single = stress_correlation(df, "^NDX", "IREN", mask, reps=99)
    family = stress_correlations(df, mask, [("^NDX", "IREN")], leave_out_years=(), reps=99)
    tail = tail_coexceedance(df, "^NDX", "IREN", quantile=0.1, reps=99)
    for ci, estimate in (
        (single.conf_int(), "estimate"),
        (family.conf_int(), "estimate"),
        (tail.conf_int(), "ratio"),
    ):
        assert isinstance(ci, pd.DataFrame) and len(ci) > 0
        assert {estimate, "ci_low", "ci_high", "interval"} <= set(ci.columns)
        assert ci[[estimate, "ci_low", "ci_high"]].notna().all().all()
        assert (ci["ci_low"] <= ci[estimate]).all() and (ci[estimate] <= ci["ci_high"]).all()
    assert len(single.conf_int()) == 3 and len(family.conf_int(param="rho_calm")) == 1
    assert tail.conf_int(0.5)["ci_high"].iloc[0] - tail.conf_int(0.5)["ci_low"].iloc[0] < (
        tail.conf_int()["ci_high"].iloc[0] - tail.conf_int()["ci_low"].iloc[0]
    )
    assert isinstance(single.summary_frame(), pd.DataFrame) and isinstance(tail.summary_frame(), pd.DataFrame)
    with pytest.raises(ConfigError, match="param must be one of"):
        single.conf_int(param="delta")  # type: ignore[arg-type]


# --- tail co-exceedance ------------------------------------------------------------------


def test_tail_coexceedance_perfect_dependence() -> None:
    rng = np.random.default_rng(4)
    x = rng.standard_normal(2000)
    df = pd.DataFrame({"BTC-USD": x, "MARA": 2 * x, "anti": -x}, index=sessions(2000))
    res = tail_coexceedance(df, "BTC-USD", "MARA", reps=99)
    assert res.n_both == res.n_x == res.n_y == 100
    assert res.share == pytest.approx(0.05) and res.conditional == 1.0
    assert res.expected_share == pytest.approx(0.05**2)
    assert res.ratio == pytest.approx(20.0) and res.pvalue < 1e-50
    ci = res.conf_int().iloc[0]  # every replication: (nearly) all tail days joint; ties move n_x a little
    assert 19.0 < ci["ci_low"] <= ci["ci_high"] <= 20.0 + 1e-9
    assert ci["interval"] == "bootstrap percentile" and ci["ratio"] == res.ratio
    opposite = tail_coexceedance(df, "BTC-USD", "anti", reps=99)
    assert opposite.n_both == 0 and opposite.pvalue == 1.0


def test_tail_coexceedance_independence() -> None:
    rng = np.random.default_rng(5)
    df = pd.DataFrame(rng.standard_normal((6000, 2)), columns=["BTC-USD", "^NDX"], index=sessions(6000))
    res = tail_coexceedance(df, "BTC-USD", "^NDX", reps=199)
    assert res.expected_count == pytest.approx(0.05**2 * 6000)  # q^2 n = 15
    assert res.share == pytest.approx(0.0025, abs=0.002)  # ~3 binomial sd
    assert res.pvalue > 0.01
    lo, hi = res.conf_int()[["ci_low", "ci_high"]].iloc[0]
    assert lo < 1.0 < hi and res.ratio_se == pytest.approx(math.sqrt(1 / 15), rel=0.35)  # ~Poisson(15)
    upper = tail_coexceedance(df, "BTC-USD", "^NDX", quantile=0.1, tail="upper", reps=49)
    assert upper.n_x == 600 and upper.share == pytest.approx(0.01, abs=0.004)


def test_tail_coexceedance_table_and_errors() -> None:
    df = pd.DataFrame(
        np.random.default_rng(6).standard_normal((100, 3)), columns=list("ABC"), index=sessions(100)
    )
    table = tail_coexceedance_table(df, quantile=0.1, reps=49)
    with pytest.raises(TypeError, match="'q'"):  # one name: quantile
        tail_coexceedance_table(df, q=0.1, reps=49)  # type: ignore[call-arg]
    assert list(zip(table["x"], table["y"], strict=True)) == [("A", "B"), ("A", "C"), ("B", "C")]
    assert (table["quantile"] == 0.1).all() and {"ratio_lo", "ratio_hi", "ratio_se", "block"} <= set(table)
    with pytest.raises(ConfigError, match=r"quantile \(0.005\) is too small for 100 paired sessions of A/B"):
        tail_coexceedance(df, "A", "B", quantile=0.005)
    with pytest.raises(
        ConfigError, match=r"quantile must be strictly between 0 and 0.5 \(e.g. 0.05\), got 0.6"
    ):
        tail_coexceedance(df, "A", "B", quantile=0.6)
    with pytest.warns(ShortSampleWarning, match="only 20 paired sessions"):
        tail_coexceedance(df.iloc[:20], "A", "B", quantile=0.1, reps=49)


# --- the real snapshot -------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_returns(market_data_dir: Path) -> pd.DataFrame:
    start, end = pd.Timestamp("2021-01-01"), pd.Timestamp("2025-12-05")
    raw = SnapshotSource(market_data_dir).load(["BTC-USD", "^NDX", "IREN"], start, end)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        cleaned = clean_panel(raw, config=CleanConfig(start=start, end=end))
    return cleaned.returns.loc[:"2025-12-02"]


@pytest.mark.snapshot
def test_real_stress_is_past_only_and_btc_pairs_use_btc(real_returns: pd.DataFrame) -> None:
    spec = StressSpec("volatility")
    res = stress_correlations(real_returns, spec, [("^NDX", "BTC-USD"), ("BTC-USD", "IREN")], reps=199)
    by_year = res.days_by_year
    assert by_year.loc[2021, "stress"] + by_year.loc[2021, "calm"] == 0  # the first year is history only
    assert by_year.loc[2022, "stress"] > 0 and by_year.loc[2023:, "stress"].sum() > 0
    table = res.summary_frame().set_index(["a", "b", "sample"])
    btc_iren = table.loc[("BTC-USD", "IREN", "all")]
    mask = stress_mask(real_returns, spec)
    pair = real_returns[["BTC-USD", "IREN"]].notna().all(axis=1)
    on_pair = mask.where(pair, pd.NA)
    assert btc_iren["conditioning"] == "BTC-USD"
    assert btc_iren["delta"] == pytest.approx(stress_delta(real_returns, on_pair, conditioning="BTC-USD"))
    assert btc_iren["delta"] != pytest.approx(stress_delta(real_returns, on_pair, conditioning="^NDX"))
    out = table.loc[("^NDX", "BTC-USD", "excluding 2022")]
    assert out["n_stress"] == by_year.drop(index=2022)["stress"].sum()


@pytest.mark.parametrize("tail,level", [("lower", 0.05), ("upper", 0.95), ("lower", 0.013), ("upper", 0.9)])
def test_resampled_tail_counts_equal_the_gathered_resamples(tail: str, level: float) -> None:
    """Rank-based tail counts equal thresholds by np.quantile on every gathered resample (ties too)."""
    from analysis.bootstrap import resample_indices
    from analysis.stress import _resampled_tail_counts, _tail_counts

    rng = np.random.default_rng(11)
    for trial in range(12):
        n = int(rng.integers(15, 400))
        values = rng.standard_t(4, size=(n, 2))
        if trial % 2:
            values = np.round(values, 1)  # many ties, some at the thresholds
        idx = resample_indices(n, block=float(rng.uniform(1, 6)), reps=40, seed=trial)
        hx, hy, hb = _tail_counts(values[idx], level, tail)  # type: ignore[arg-type]
        got = _resampled_tail_counts(values, idx, level, tail)  # type: ignore[arg-type]
        for expected, actual in zip((hx.sum(-1), hy.sum(-1), hb.sum(-1)), got, strict=True):
            np.testing.assert_array_equal(actual, expected)
