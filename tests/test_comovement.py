"""Notebook 02's co-movement study: planted correlations, a planted change, verdict rules."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis import comovement, stress
from analysis.errors import ConfigError

N = 900
RECENT = 90


def _returns(seed: int, rho_prior: float, rho_recent: float) -> pd.DataFrame:
    """BTC and tech with correlation ``rho_prior`` then ``rho_recent`` (last RECENT sessions)."""
    rng = np.random.default_rng(seed)
    idx = pd.bdate_range("2021-01-04", periods=N, name="Date")
    z1, z2, z3 = rng.standard_normal((3, N))
    rho = np.where(np.arange(N) >= N - RECENT, rho_recent, rho_prior)
    tech = 0.012 * z1
    btc = 0.03 * (rho * z1 + np.sqrt(1 - rho**2) * z2)
    miner = 0.04 * (0.5 * z1 + 0.5 * z2 + np.sqrt(0.5) * z3) / np.sqrt(1.0)
    return pd.DataFrame({"BTC-USD": btc, "^NDX": tech, "MINER": miner}, index=idx)


def _study(frame: pd.DataFrame) -> comovement.CoMovement:
    return comovement.comovement_study(
        frame, "BTC-USD", "^NDX", ["MINER"], recent=(30, RECENT), prior=250, reps=199
    )


def test_planted_correlation_and_change_are_found() -> None:
    cm = _study(_returns(1, 0.1, 0.8))
    pairs = cm.pairs.summary_frame().query("a == 'BTC-USD' and b == '^NDX'").set_index("period")
    full = pairs.loc["full"]
    assert full["ci_bootstrap_lo"] < full["rho"] < full["ci_bootstrap_hi"]
    last = (
        cm.pairs.summary_frame()
        .query(f"period == 'last {RECENT}' and a == 'BTC-USD' and b == '^NDX'")
        .iloc[0]
    )
    assert abs(last["rho"] - 0.8) < 0.1
    heads = {h["name"]: h for h in cm.headline()}
    change = next(h for n, h in heads.items() if "correlation change" in n)
    assert change["value"] == pytest.approx(0.7, abs=0.15)
    assert "(significant)" in change["text"]
    assert all({"name", "value", "unit", "text", "note"} <= set(h) for h in cm.headline())
    assert any("**significant**" in s for s in cm.sentences())


def test_no_change_is_not_significant() -> None:
    cm = _study(_returns(2, 0.4, 0.4))
    change = next(h for h in cm.headline() if "correlation change" in h["name"])
    assert "not significant" in change["text"]


def test_frequencies_drop_a_running_week() -> None:
    frame = _returns(3, 0.3, 0.3)
    wednesday = frame.index[frame.index.day_of_week == 2][-1]
    frame = frame.loc[:wednesday]  # the last week is still running at the data end
    cm = _study(frame)
    weekly = cm.frequencies.query("frequency == 'weekly'").iloc[0]
    assert pd.Timestamp(weekly["end"]) <= frame.index[-1]
    assert list(cm.frequencies["frequency"]) == list(comovement.FREQUENCIES)


def test_stress_rows_condition_on_the_first_ticker() -> None:
    cm = _study(_returns(4, 0.3, 0.3))
    t = cm.stress.summary_frame()
    assert set(t["conditioning"]) == set(t["a"])
    assert cm.stress_spec.conditioning == "^NDX"
    assert int(cm.stress_years[["stress", "calm", "undefined"]].to_numpy().sum()) == len(cm.mask)


#: Length of the alternating calm / high-volatility spells of the tech factor (sessions).
SPELL = 60
#: Miner-tech correlation on stress days with contagion, and otherwise.
RHO_CONTAGION, RHO_BASE = 0.9, 0.2


def _contagion_returns(seed: int, contagion: bool) -> pd.DataFrame:
    """Tech with volatility spells (twice the vol every fourth spell); the miner's correlation with
    tech jumps to RHO_CONTAGION on the study's own stress days when ``contagion``."""
    rng = np.random.default_rng(seed)
    idx = pd.bdate_range("2021-01-04", periods=N, name="Date")
    z = rng.standard_normal((3, N))
    vol = np.where((np.arange(N) // SPELL) % 4 == 3, 2.0, 1.0)
    frame = pd.DataFrame(
        {"BTC-USD": 0.03 * (0.3 * z[0] + np.sqrt(1 - 0.09) * z[1]), "^NDX": 0.012 * vol * z[0]}, index=idx
    )
    mask = stress.stress_mask(frame, stress.StressSpec(kind="volatility", conditioning="^NDX"))
    rho = np.where(mask.fillna(False).to_numpy(dtype=bool) & contagion, RHO_CONTAGION, RHO_BASE)
    frame["MINER"] = 0.04 * (rho * z[0] + np.sqrt(1 - rho**2) * z[2])
    return frame


@pytest.mark.parametrize("contagion", [True, False])
def test_sentences_state_the_miners_forbes_rigobon_results(contagion: bool) -> None:
    cm = _study(_contagion_returns(11, contagion))
    lines = cm.sentences()
    table = cm.stress.summary_frame()
    assert set(table["sample"]) == {"all", "excluding 2022"} and cm.stress_spec_year() == "2022"
    for cond in ("^NDX", "BTC-USD"):
        bullet = next(s for s in lines if s.startswith(f"- Miners vs {cond} in stress"))
        assert "whole sample:" in bullet and "without 2022:" in bullet
        for r in table[(table["a"] == cond) & (table["b"] == "MINER")].itertuples():
            cell = f"MINER {r.rho_star:.2f} vs calm {r.rho_calm:.2f} (Holm p = {r.p_bootstrap_adj:.3g})"
            assert cell in bullet
    verdict = next(s for s in lines if s.startswith("- Miner contagion after Holm"))
    assert "over the 3 pairs of each sample" in verdict
    if contagion:
        assert "**significant** for" in verdict
        assert "MINER/^NDX (whole sample)" in verdict and "MINER/^NDX (without 2022)" in verdict
    else:
        assert "no miner pair is significant, with or without 2022" in verdict
    named = table[(table["b"] == "MINER") & (table["p_bootstrap_adj"] < cm.alpha)]
    assert verdict.count("MINER/") == len(named)  # every significant miner row, and only those


def test_short_recent_windows_are_reported() -> None:
    frame = _returns(5, 0.3, 0.3)
    frame.loc[frame.index[:-60], "MINER"] = np.nan  # a recent listing: 60 sessions of data
    cm = _study(frame)
    short = [s.text() for s in cm.short_samples()]
    assert any("MINER" in s and f"last {RECENT}" in s for s in short)


def test_windows_and_rolling_views() -> None:
    frame = _returns(6, 0.3, 0.3)
    wins = comovement.correlation_windows(frame, ["BTC-USD", "^NDX", "MINER"], (30,))
    assert list(wins) == ["full", "last 30"]
    assert "last 30 sessions" in wins["last 30"][1]
    np.testing.assert_allclose(
        wins["last 30"][0].corr.loc["BTC-USD", "^NDX"], frame.iloc[-30:].corr().loc["BTC-USD", "^NDX"]
    )
    views = comovement.rolling_correlations(frame, "BTC-USD", "^NDX", ["MINER"], 60, 30)
    assert list(views) == ["pair", "vs-btcusd", "vs-ndx"]
    expected = frame["MINER"].rolling(60).corr(frame["^NDX"])
    np.testing.assert_allclose(
        views["vs-ndx"][0]["MINER"].to_numpy(), expected.to_numpy(), atol=1e-10, equal_nan=True
    )


def test_bad_parameters_name_the_problem() -> None:
    frame = _returns(7, 0.3, 0.3)
    with pytest.raises(ConfigError, match="NOPE"):
        comovement.comovement_study(frame, "BTC-USD", "^NDX", ["NOPE"])
    with pytest.raises(ConfigError, match="recent"):
        comovement.comovement_study(frame, "BTC-USD", "^NDX", ["MINER"], recent=())
