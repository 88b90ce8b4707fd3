"""End-to-end planted-truth tests: generator -> cleaner -> library statistic.

Each test generates a market with :mod:`analysis.synthetic`, cleans it with
:func:`analysis.clean.clean_panel` (the study's own path to log returns) and checks that a
library statistic finds what was planted - and nothing when it was not.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis import events as ev
from analysis import stress
from analysis.clean import CleanConfig, clean_panel
from analysis.synthetic import (
    GroundTruth,
    Loading,
    PlantedDrift,
    PlantedEvent,
    SyntheticConfig,
    SyntheticSource,
)

#: Significance level of the verdicts checked.
ALPHA = 0.05


def _returns(
    config: SyntheticConfig, tickers: list[str], start: str, end: str
) -> tuple[pd.DataFrame, GroundTruth]:
    """Session-aligned log returns of a synthetic market, through the study's cleaner."""
    raw = SyntheticSource(config).load(tickers, start, end)
    clean = clean_panel(raw, config=CleanConfig(start=pd.Timestamp(start), end=pd.Timestamp(end)))
    assert raw.ground_truth is not None
    return clean.returns, raw.ground_truth


# ----------------------------------------------------------------------------- Forbes-Rigobon contagion

#: Two-year episode: stress (tech vol x STRESS_VOL) and, when planted, contagion (BTC's own shock
#: correlated CONTAGION_CORR with tech's) on the same sessions, inside five years of data.
EPISODE = ("2023-01-01", "2024-12-31")
SAMPLE = ("2021-01-01", "2025-12-31")
STRESS_VOL, CONTAGION_CORR = 1.5, 0.6
#: Generator seeds checked (the default seed and two more).
FR_SEEDS = (1, 2, 3)
#: Bootstrap replications of the Forbes-Rigobon test.
FR_REPS = 199
#: Margin by which the adjusted stress correlation must exceed calm under contagion (the planted
#: stress correlation is 0.64 against 0.40 from interdependence alone and 0.29 in calm).
FR_MARGIN = 0.05


def _contagion_config(seed: int, contagion_corr: float) -> SyntheticConfig:
    """Constant volatility within each regime and normal shocks: the setting in which
    Forbes-Rigobon's variance-ratio adjustment is exact (GARCH and t5 tails make a two-year
    variance ratio itself noisy, which costs the test power but is not what this test checks)."""
    return SyntheticConfig(
        seed=seed,
        stress_start=EPISODE[0],
        stress_end=EPISODE[1],
        contagion_start=EPISODE[0],
        contagion_end=EPISODE[1],
        stress_vol_multiplier=STRESS_VOL,
        contagion_corr=contagion_corr,
        garch_alpha=0.0,
        garch_beta=0.0,
        tail_df=None,
        events=(),
        drifts=(),
    )


@pytest.mark.parametrize("seed", FR_SEEDS)
def test_forbes_rigobon_detects_the_generators_contagion_only_when_planted(seed: int) -> None:
    """BTC/^NDX conditioned on ^NDX (the series whose variance rises in the episode)."""
    rows = {}
    for planted in (True, False):
        config = _contagion_config(seed, CONTAGION_CORR if planted else 0.0)
        returns, truth = _returns(config, ["BTC-USD", "^NDX"], *SAMPLE)
        mask = stress.window_mask(pd.DatetimeIndex(returns.index), truth.contagion_start, truth.contagion_end)
        res = stress.stress_correlations(
            returns, mask, [("^NDX", "BTC-USD")], leave_out_years=(), reps=FR_REPS, seed=seed
        )
        rows[planted] = res.summary_frame().iloc[0]
        assert rows[planted]["conditioning"] == "^NDX"
    on, off = rows[True], rows[False]
    # Both episodes raise tech's variance: the raw stress correlation is biased up either way.
    assert on["delta"] > 0.5 and off["delta"] > 0.5
    assert on["p_bootstrap"] < ALPHA and on["rho_star"] > on["rho_calm"] + FR_MARGIN
    assert off["p_bootstrap"] >= ALPHA


# ----------------------------------------------------------------------------- event study, pre-event drift

#: IREN's deal: a planted log-return jump at day 0 and a run-up in the estimation window.
DEAL_DATE, DEAL_JUMP = "2025-11-03", 0.15
DRIFT = PlantedDrift("2025-08-25", "2025-10-17", "IREN", 0.01)
#: IREN loads on tech only (so the market model on ^NDX is the true model) with little noise.
IREN_LOADING = Loading(btc=0.0, tech=1.5, idio_vol=0.001)
#: Generator seeds averaged: the CAR's bias is its mean error over replications.
EVENT_SEEDS = tuple(range(1, 9))
#: Tolerance on a mean CAR error: about 3 standard errors over EVENT_SEEDS (per-seed sd ~0.003).
CAR_TOL = 0.003


def test_zero_alpha_car_is_unbiased_where_the_market_models_alpha_is_not() -> None:
    """Planted: no alpha, a +1%/session drift over ~39 sessions of the (-250, -11) window, jump 0.15.

    The market model extrapolates the drift's share of the estimation window as alpha into the
    7-session event window: bias -7 x 0.01 x n_drift / n_est, about -1.1 points. The zero-alpha
    model estimates the same slope but predicts without the intercept.
    """
    catalogue = pd.DataFrame(
        {
            "event_id": ["iren-deal"],
            "date": [pd.Timestamp(DEAL_DATE)],
            "tickers": ["IREN"],
            "label": ["planted deal"],
            "reference": ["synthetic"],
            "notes": [""],
        }
    )
    errors: dict[str, list[float]] = {"market": [], "zero_alpha": []}
    predicted = []
    for seed in EVENT_SEEDS:
        config = SyntheticConfig(
            seed=seed,
            shift_kind="none",
            ai_miner_before=IREN_LOADING,
            ai_miner_after=IREN_LOADING,
            stress_start="2024-06-03",  # the stress window ends before the estimation window
            stress_end="2024-07-31",
            events=(PlantedEvent(DEAL_DATE, "IREN", DEAL_JUMP),),
            drifts=(DRIFT,),
        )
        returns, truth = _returns(config, ["^NDX", "IREN"], "2024-06-01", "2025-12-31")
        res = ev.event_study(returns, catalogue, models=["market", "zero_alpha"])
        car = res.car.set_index("model")
        for model in errors:
            errors[model].append(float(car.at[model, "car_log"]) - DEAL_JUMP)
        est = pd.DatetimeIndex(returns.index)
        est = est[(est >= car.at["market", "est_start"]) & (est <= car.at["market", "est_end"])]
        n_days = int(car.at["market", "n_days"])
        predicted.append(-n_days * float(truth.drift("IREN", est).sum()) / len(est))
    bias = float(np.mean(predicted))
    assert bias < -3 * CAR_TOL  # the planted drift makes a visible market-model alpha
    assert abs(np.mean(errors["zero_alpha"])) < CAR_TOL
    assert np.mean(errors["market"]) == pytest.approx(bias, abs=CAR_TOL)
