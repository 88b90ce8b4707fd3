"""Tests of the synthetic market generator: contract, calendars, determinism, planted truth."""

from __future__ import annotations

import time

import exchange_calendars as xcals
import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from arch import arch_model

from analysis.errors import ConfigError
from analysis.schema import OHLCV_COLUMNS, RawPanel, normalize_raw_frame
from analysis.synthetic import (
    GroundTruth,
    Loading,
    PlantedDrift,
    PlantedEvent,
    SyntheticConfig,
    SyntheticSource,
    generate,
)
from analysis.universe import load_universe

START, END = "2021-01-01", "2025-12-31"
AI_MINERS = ("IREN", "WULF", "HUT", "ABTC")
#: Absolute tolerance on betas recovered from the low-noise market (>= 5 standard errors there).
BETA_TOL = 0.15
#: Standard errors allowed between a recovered coefficient and the planted one at default noise.
BETA_SE_TOL = 4.0
#: Relative tolerance on a variance ratio from ~500 stressed sessions without GARCH (~3 standard errors).
VAR_RATIO_RTOL = 0.30
#: Absolute tolerance on a correlation estimated from >= ~500 sessions (~3 standard errors).
CORR_TOL = 0.12
#: Idiosyncratic sd of the low-noise market used for tight beta recovery.
LOW_NOISE = 0.004
#: Tolerances on GARCH(1,1)-t parameters fitted by ``arch`` to 10 years of the tech factor.
GARCH_ALPHA_TOL, GARCH_BETA_TOL, TAIL_DF_TOL = 0.04, 0.05, 2.5
#: Margin by which the Forbes-Rigobon-adjusted correlation must exceed calm under contagion.
CONTAGION_MARGIN = 0.12
#: Largest excess of the FR-adjusted correlation over calm without contagion (interdependence only).
INTERDEPENDENCE_SLACK = 0.06


@pytest.fixture(scope="module")
def universe():
    return load_universe()


@pytest.fixture(scope="module")
def market(universe):
    """The whole universe, default config, five years."""
    return generate(universe.tickers, START, END)


def log_returns(close: pd.Series) -> pd.Series:
    return pd.Series(np.log(close.to_numpy()), index=close.index).diff()


def session_aligned(
    frames: dict[str, pd.DataFrame], ticker: str, truth: GroundTruth | None = None
) -> pd.DataFrame:
    """Log returns of ``ticker`` with tech and BTC on its sessions.

    With ``truth`` the BTC column is the synchronous (US close to US close) return that
    equities load on; without it, the observed BTC closes (00:00 UTC) on the same sessions.
    """
    idx = frames[ticker].index
    observed = log_returns(frames["BTC-USD"]["Close"].reindex(idx))
    btc = truth.btc_sync_returns.reindex(idx) if truth is not None else observed
    tech = log_returns(frames["^NDX"]["Close"].reindex(idx))
    return pd.DataFrame({"y": log_returns(frames[ticker]["Close"]), "btc": btc, "tech": tech}).dropna()


def clean_rows(data: pd.DataFrame, truth: GroundTruth, ticker: str) -> pd.DataFrame:
    """Drop planted event sessions and drift windows."""
    data = data.drop([d for d, t in truth.events if t == ticker], errors="ignore")
    return data[truth.drift(ticker, pd.DatetimeIndex(data.index)) == 0.0]


def fit_before_after(frames, truth: GroundTruth, ticker: str):
    """OLS on synchronous BTC and tech before/after the shift (events and drifts dropped)."""
    data = clean_rows(session_aligned(frames, ticker, truth), truth, ticker)
    return [
        sm.OLS(part["y"], sm.add_constant(part[["btc", "tech"]])).fit()
        for part in (data[data.index < truth.shift_session], data[data.index >= truth.shift_session])
    ]


def fr_adjusted(rho: float, delta: float) -> float:
    """Forbes-Rigobon (2002) adjusted correlation rho / sqrt(1 + delta (1 - rho^2))."""
    return rho / np.sqrt(1.0 + delta * (1.0 - rho**2))


# --- contract and calendars -------------------------------------------------------------


def test_frames_follow_raw_contract(market):
    frames, _ = market
    for ticker, df in frames.items():
        assert list(df.columns) == ["Open", "High", "Low", "Close", "Volume"], ticker
        assert set(df.columns) <= set(OHLCV_COLUMNS)
        assert (df.dtypes == np.float64).all(), ticker
        assert isinstance(df.index, pd.DatetimeIndex) and df.index.name == "Date"
        assert df.index.tz is None and (df.index == df.index.normalize()).all()
        assert df.index.is_monotonic_increasing and df.index.is_unique
        assert not df.isna().any().any(), ticker
        assert (df["High"] >= df[["Open", "Close"]].max(axis=1)).all(), ticker
        assert (df["Low"] <= df[["Open", "Close"]].min(axis=1)).all(), ticker
        assert (df["Low"] > 0).all() and (df["Volume"] > 0).all(), ticker
        normalized = normalize_raw_frame(df, ticker=ticker, origin="synthetic")
        pd.testing.assert_frame_equal(normalized, df, check_freq=False)


def test_frames_do_not_share_index_objects(market):
    frames, _ = market
    assert frames["IREN"].index is not frames["MARA"].index


# exchange_calendars 4.13 trips a pandas 3.1 deprecation while building a calendar.
@pytest.mark.filterwarnings("ignore:Series.values returning:DeprecationWarning")
def test_crypto_trades_every_day_equities_on_xnys_sessions(market):
    frames, _ = market
    cal = xcals.get_calendar("XNYS", start="2020-01-01", end="2026-12-31")
    sessions = cal.sessions_in_range(START, END)
    days = pd.date_range(START, END, freq="D")
    for ticker in ("BTC-USD", "ETH-USD", "SOL-USD"):
        idx = frames[ticker].index
        assert idx.equals(pd.DatetimeIndex(days)), ticker
        assert (idx.day_of_week >= 5).any()
    for ticker in ("IREN", "^NDX", "NVDA", "COIN"):
        idx = frames[ticker].index
        assert (idx.day_of_week < 5).all(), ticker
        assert np.array_equal(idx.to_numpy(), sessions.to_numpy()), ticker
    # Irregular closures come from the calendar, not a hand-written list.
    for closed in ("2025-01-09", "2025-07-04", "2022-06-20"):
        assert pd.Timestamp(closed) not in frames["IREN"].index
        assert pd.Timestamp(closed) in frames["BTC-USD"].index


def test_first_date_respected(market, universe):
    frames, truth = market
    for ticker in ("WULF", "HUT", "ABTC", "CORZ"):
        first = universe.first_date(ticker)
        assert frames[ticker].index[0] >= first, ticker
        assert frames[ticker].index[0] - first < pd.Timedelta(days=5), ticker
        assert truth.tickers[ticker].first_date == first
    assert frames["ABTC"].index[0] == pd.Timestamp("2025-09-03")
    assert frames["IREN"].index[0] == pd.Timestamp("2021-01-04")


def test_ticker_listed_after_end_is_empty_and_failed_in_source():
    frames, _ = generate(["ABTC", "IREN"], "2025-01-01", "2025-06-30")
    assert frames["ABTC"].empty and list(frames["ABTC"].columns) == ["Open", "High", "Low", "Close", "Volume"]
    panel = SyntheticSource().load(["ABTC", "IREN"], pd.Timestamp("2025-01-01"), pd.Timestamp("2025-06-30"))
    assert "ABTC" in panel.failed and "ABTC" not in panel.frames
    assert panel.tickers == ["IREN"]


def test_unknown_tickers_are_generic_equity_or_crypto():
    frames, truth = generate(["ZZZZ", "DOGE-USD"], "2025-01-01", "2025-03-31")
    assert truth.tickers["ZZZZ"].role == "generic_equity"
    assert truth.tickers["DOGE-USD"].role == "crypto" and truth.tickers["DOGE-USD"].crypto
    assert len(frames["DOGE-USD"]) == 90
    assert (frames["ZZZZ"].index.day_of_week < 5).all()


def test_starting_price_levels(market):
    frames, truth = market
    assert frames["BTC-USD"]["Close"].iloc[0] == pytest.approx(30_000)
    assert frames["^NDX"]["Close"].iloc[0] == pytest.approx(13_000)
    for ticker in AI_MINERS:
        assert 5 <= frames[ticker]["Close"].iloc[0] <= 20
        assert truth.tickers[ticker].start_price == frames[ticker]["Close"].iloc[0]


# --- determinism ------------------------------------------------------------------------


def test_same_seed_same_frames(universe, market):
    frames, truth = market
    again, truth2 = generate(universe.tickers, START, END)
    for ticker, df in frames.items():
        pd.testing.assert_frame_equal(df, again[ticker])
    pd.testing.assert_series_equal(truth.btc_returns, truth2.btc_returns)
    pd.testing.assert_series_equal(truth.tech_returns, truth2.tech_returns)


def test_different_seed_different_frames(market):
    frames, _ = market
    other, _ = generate(["IREN", "BTC-USD"], START, END, SyntheticConfig(seed=123))
    for ticker in ("IREN", "BTC-USD"):
        assert not np.allclose(frames[ticker]["Close"], other[ticker]["Close"])


def test_subset_gives_same_series(market):
    frames, truth = market
    for subset in (["IREN"], ["HUT", "ETH-USD"], ["NVDA", "BTC-USD", "^NDX"]):
        part, part_truth = generate(subset, START, END)
        for ticker in subset:
            pd.testing.assert_frame_equal(part[ticker], frames[ticker])
        pd.testing.assert_series_equal(part_truth.btc_returns, truth.btc_returns)


# --- ground truth -----------------------------------------------------------------------


def test_ground_truth_states_the_plant(market):
    _, truth = market
    config = SyntheticConfig()
    assert isinstance(truth, GroundTruth) and truth.seed == config.seed
    assert truth.shift_session == pd.Timestamp("2025-06-02") and truth.shift_kind == "slopes"
    assert truth.tech_stress_variance_ratio == pytest.approx(config.stress_vol_multiplier**2)
    for ticker in AI_MINERS:
        tt = truth.tickers[ticker]
        assert (tt.before.btc, tt.before.tech) == (1.4, 0.4)
        assert (tt.after.btc, tt.after.tech) == (0.5, 1.6)
        assert tt.before.intercept == config.ai_miner_before.intercept != 0.0  # the pre-shift drift
    assert truth.loading("IREN", "2025-05-30").btc == 1.4
    assert truth.loading("IREN", "2025-06-02").tech == 1.6
    mara = truth.tickers["MARA"]
    assert mara.before == mara.after and mara.before.btc > mara.before.tech
    assert (
        truth.btc_tech_corr_stress > truth.btc_tech_corr_stress_interdependence > truth.btc_tech_corr_calm > 0
    )
    assert (truth.contagion_start, truth.contagion_end) == (truth.stress_start, truth.stress_end)
    assert (truth.after_close_share, truth.tail_df) == (config.after_close_share, config.tail_df)
    assert truth.events == {
        (pd.Timestamp("2025-08-14"), "WULF"): 0.20,
        (pd.Timestamp("2025-10-28"), "WULF"): 0.12,
        (pd.Timestamp("2025-11-03"), "IREN"): 0.15,
        (pd.Timestamp("2025-12-02"), "ABTC"): -0.45,
        (pd.Timestamp("2025-12-02"), "HUT"): -0.12,
    }
    assert truth.drifts == {"IREN": [(pd.Timestamp("2025-08-25"), pd.Timestamp("2025-10-17"), 0.01)]}
    table = truth.loadings_table()
    assert table.loc["IREN", "tech_after"] == 1.6 and table.loc["^NDX", "role"] == "tech_factor"
    assert table.loc["IREN", "intercept_before"] == config.ai_miner_before.intercept


def test_factor_series_match_the_factor_tickers(market):
    frames, truth = market
    tech = log_returns(frames["^NDX"]["Close"]).iloc[1:]
    np.testing.assert_allclose(tech, truth.tech_returns.iloc[1:], atol=1e-12)
    btc_daily = log_returns(frames["BTC-USD"]["Close"]).iloc[1:]
    np.testing.assert_allclose(btc_daily, truth.btc_returns.iloc[1:], atol=1e-12)
    btc_sessions = log_returns(frames["BTC-USD"]["Close"].reindex(truth.tech_returns.index)).iloc[1:]
    np.testing.assert_allclose(btc_sessions, truth.btc_session_returns.iloc[1:], atol=1e-12)
    assert list(truth.factor_returns().columns) == ["btc", "tech"]
    # The synchronous series differs from the observed one only by the after-close pieces.
    gap = truth.btc_sync_returns - truth.btc_session_returns
    assert gap.abs().max() > 0.0 and abs(truth.btc_sync_returns.sum() - truth.btc_session_returns.sum()) < 0.2


def test_planted_betas_recovered_tightly_at_low_noise(universe):
    quiet = Loading(btc=0.0, tech=0.0, idio_vol=LOW_NOISE)
    config = SyntheticConfig(
        ai_miner_before=Loading(btc=1.4, tech=0.4, idio_vol=LOW_NOISE),
        ai_miner_after=Loading(btc=0.5, tech=1.6, idio_vol=LOW_NOISE),
        miner_peer=Loading(btc=1.4, tech=0.4, idio_vol=LOW_NOISE),
        crypto_equity=Loading(btc=1.0, tech=1.0, idio_vol=LOW_NOISE),
        generic_equity=quiet,
    )
    tickers = ["BTC-USD", "^NDX", *AI_MINERS[:2], "MARA", "COIN"]
    frames, truth = generate(tickers, START, END, config)
    for ticker in tickers[2:]:
        before, after = fit_before_after(frames, truth, ticker)
        tt = truth.tickers[ticker]
        for fit, planted in ((before, tt.before), (after, tt.after)):
            assert fit.params["btc"] == pytest.approx(planted.btc, abs=BETA_TOL), ticker
            assert fit.params["tech"] == pytest.approx(planted.tech, abs=BETA_TOL), ticker
            assert max(fit.bse["btc"], fit.bse["tech"]) < BETA_TOL / 5


@pytest.mark.parametrize("ticker", ["IREN", "WULF", "HUT", "MARA", "COIN", "NVDA", "ETH-USD"])
def test_planted_betas_and_intercepts_recovered_at_default_noise(market, ticker):
    frames, truth = market
    tt = truth.tickers[ticker]
    if tt.crypto:  # crypto loads on BTC's own daily bar and on tech on session days
        r = log_returns(frames[ticker]["Close"]).dropna()
        x = pd.DataFrame(
            {
                "btc": truth.btc_returns.reindex(r.index),
                "tech": truth.tech_returns.reindex(r.index, fill_value=0.0),
            }
        )
        fits = [sm.OLS(r, sm.add_constant(x)).fit()] * 2
    else:
        fits = fit_before_after(frames, truth, ticker)
    for fit, planted in zip(fits, (tt.before, tt.after), strict=True):
        for name, value in (("btc", planted.btc), ("tech", planted.tech), ("const", planted.intercept)):
            err = abs(fit.params[name] - value)
            assert err < BETA_SE_TOL * fit.bse[name], (ticker, name, err, fit.bse[name])
    if ticker in AI_MINERS:
        before, after = fits
        assert after.params["tech"] - before.params["tech"] > 0.6
        assert before.params["btc"] - after.params["btc"] > 0.6


def test_asynchronous_close_needs_the_lagged_btc_term(market):
    """On observed BTC closes the same-day beta is attenuated by ~(1 - share); a lag term recovers it."""
    frames, truth = market
    share = truth.after_close_share
    data = clean_rows(session_aligned(frames, "MARA"), truth, "MARA")
    data["btc_lag"] = log_returns(frames["BTC-USD"]["Close"].reindex(frames["MARA"].index)).shift(1)
    data = data.dropna()
    planted = truth.tickers["MARA"].before.btc
    same_day = sm.OLS(data["y"], sm.add_constant(data[["btc", "tech"]])).fit()
    dimson = sm.OLS(data["y"], sm.add_constant(data[["btc", "btc_lag", "tech"]])).fit()
    assert same_day.params["btc"] < planted - 0.1  # attenuated: the plain beta misses the lag
    assert same_day.params["btc"] == pytest.approx(
        planted * (1 - share), abs=BETA_SE_TOL * same_day.bse["btc"]
    )
    assert dimson.params["btc_lag"] > 4 * dimson.bse["btc_lag"]
    total = dimson.params["btc"] + dimson.params["btc_lag"]
    assert abs(total - planted) < abs(same_day.params["btc"] - planted) / 2
    observed = truth.observed_loading("MARA", "2024-01-02")  # tech absorbs part of the BTC channel
    assert dimson.params["tech"] == pytest.approx(observed.tech, abs=BETA_SE_TOL * dimson.bse["tech"])
    assert observed.tech > truth.tickers["MARA"].before.tech + 0.3
    # With synchronous closes the lag carries nothing.
    sync_frames, sync_truth = generate(
        ["BTC-USD", "^NDX", "MARA"], START, END, SyntheticConfig(after_close_share=0.0)
    )
    sync = clean_rows(session_aligned(sync_frames, "MARA"), sync_truth, "MARA")
    sync["btc_lag"] = sync["btc"].shift(1)
    sync = sync.dropna()
    fit = sm.OLS(sync["y"], sm.add_constant(sync[["btc", "btc_lag", "tech"]])).fit()
    assert abs(fit.params["btc_lag"]) < 3 * fit.bse["btc_lag"]
    pd.testing.assert_series_equal(sync_truth.btc_sync_returns, sync_truth.btc_session_returns)


def test_fat_tails_and_volatility_clustering_recovered_by_arch():
    """A GARCH(1,1)-t fitted by ``arch`` to 10 calm years of the tech factor recovers the plant."""
    config = SyntheticConfig(stress_start="2030-01-01", stress_end="2030-01-31")
    _, truth = generate(["^NDX"], "2015-01-01", "2024-12-31", config)
    tech = truth.tech_returns.iloc[1:] * 100.0
    res = arch_model(tech, mean="Constant", vol="GARCH", p=1, q=1, dist="t").fit(disp="off")
    assert res.params["alpha[1]"] == pytest.approx(config.garch_alpha, abs=GARCH_ALPHA_TOL)
    assert res.params["beta[1]"] == pytest.approx(config.garch_beta, abs=GARCH_BETA_TOL)
    assert res.params["nu"] == pytest.approx(config.tail_df, abs=TAIL_DF_TOL)
    # Standardized by the planted conditional sd the shocks have unit variance and no clustering.
    z = (truth.tech_returns - config.tech_drift) / truth.tech_vol_path
    assert z.iloc[1:].var() == pytest.approx(1.0, rel=0.1)
    sq, zsq = (tech - tech.mean()) ** 2, z.iloc[1:] ** 2
    assert sq.autocorr(1) > 0.1 > abs(zsq.autocorr(1))
    normal = SyntheticConfig(tail_df=None, garch_alpha=0.0, garch_beta=0.0)
    _, plain = generate(["^NDX"], "2015-01-01", "2024-12-31", normal)
    assert (plain.tech_vol_path == normal.tech_vol).all()


def test_stress_variance_and_correlation_recovered():
    """A two-year stress window without GARCH gives enough sessions to check ratios tightly."""
    config = SyntheticConfig(
        stress_start="2023-01-01",
        stress_end="2024-12-31",
        contagion_start="2023-01-01",
        contagion_end="2024-12-31",
        garch_alpha=0.0,
        garch_beta=0.0,
    )
    frames, truth = generate(["BTC-USD", "^NDX"], START, END, config)
    data = session_aligned(frames, "^NDX")
    stress = truth.in_stress(data.index)
    tech_ratio = data["tech"][stress].var() / data["tech"][~stress].var()
    assert tech_ratio == pytest.approx(truth.tech_stress_variance_ratio, rel=VAR_RATIO_RTOL)
    btc_ratio = data["btc"][stress].var() / data["btc"][~stress].var()
    assert btc_ratio == pytest.approx(truth.btc_stress_variance_ratio, rel=VAR_RATIO_RTOL)
    calm_corr = data["btc"][~stress].corr(data["tech"][~stress])
    stress_corr = data["btc"][stress].corr(data["tech"][stress])
    assert calm_corr == pytest.approx(truth.btc_tech_corr_calm, abs=CORR_TOL)
    assert stress_corr == pytest.approx(truth.btc_tech_corr_stress, abs=CORR_TOL)
    calm = data[~stress]
    fit = sm.OLS(calm["btc"], sm.add_constant(calm["tech"])).fit()
    expected = truth.btc_tech_loading * (1 - truth.after_close_share)  # the US-hours share of the tech news
    assert fit.params["tech"] == pytest.approx(expected, abs=4 * fit.bse["tech"])


@pytest.mark.parametrize(("shock_corr", "contagion"), [(0.6, True), (0.0, False)])
def test_contagion_episode_beyond_forbes_rigobon(shock_corr, contagion):
    """In the episode the FR-adjusted BTC-tech correlation exceeds calm only when contagion is planted."""
    config = SyntheticConfig(
        stress_start="2023-01-01",
        stress_end="2024-12-31",
        contagion_start="2023-01-01",
        contagion_end="2024-12-31",
        stress_vol_multiplier=1.5,
        contagion_corr=shock_corr,
    )
    _, truth = generate(["BTC-USD", "^NDX"], START, END, config)
    fr = truth.factor_returns().iloc[1:]
    episode = truth.in_contagion(fr.index)
    rho_calm = fr[~episode].corr().iloc[0, 1]
    rho_episode = fr[episode].corr().iloc[0, 1]
    delta = fr["tech"][episode].var() / fr["tech"][~episode].var() - 1.0
    excess = fr_adjusted(rho_episode, delta) - rho_calm
    if contagion:
        assert excess > CONTAGION_MARGIN
        assert truth.btc_tech_corr_stress > truth.btc_tech_corr_stress_interdependence + 0.1
    else:
        assert excess < INTERDEPENDENCE_SLACK
        assert truth.btc_tech_corr_stress == pytest.approx(truth.btc_tech_corr_stress_interdependence)


def test_default_stress_window_raises_tech_variance(market):
    frames, truth = market
    tech = log_returns(frames["^NDX"]["Close"]).dropna()
    stress = truth.in_stress(tech.index)
    assert stress.sum() == 27
    assert tech[stress].var() / tech[~stress].var() > 3


def abnormal(frames, truth: GroundTruth, ticker: str) -> pd.Series:
    """Return minus the planted factor part, intercept and drift (idiosyncratic return plus jumps)."""
    tt = truth.tickers[ticker]
    r = log_returns(frames[ticker]["Close"]).dropna()
    if tt.crypto:
        btc = truth.btc_returns.reindex(r.index)
        tech = truth.tech_returns.reindex(r.index, fill_value=0.0)
    else:
        btc, tech = truth.btc_sync_returns.reindex(r.index), truth.tech_returns.reindex(r.index)
    post = r.index >= truth.shift_date
    coef = {
        k: np.where(post, getattr(tt.after, k), getattr(tt.before, k)) for k in ("btc", "tech", "intercept")
    }
    drift = truth.drift(ticker, pd.DatetimeIndex(r.index))
    return r - coef["intercept"] - drift - coef["btc"] * btc - coef["tech"] * tech


def test_default_event_jumps_are_in_the_returns(market):
    frames, truth = market
    for (date, ticker), jump in truth.events.items():
        sd = truth.loading(ticker, date).idio_vol
        residual = abnormal(frames, truth, ticker)
        assert residual[date] == pytest.approx(jump, abs=4 * sd), (ticker, date)
        others = residual.drop([d for d, t in truth.events if t == ticker])
        assert others.std() == pytest.approx(sd, rel=0.15)
        assert abs(others.mean()) < 4 * sd / np.sqrt(len(others))  # intercepts and drifts fully removed


def test_drift_and_intercept_only_shift():
    drifts = (
        PlantedDrift("2024-03-01", "2024-05-31", "WULF", 0.02),
        PlantedDrift("2030-01-01", "2030-02-01", "WULF", 1.0),
    )
    config = SyntheticConfig(shift_kind="intercept", drifts=drifts, events=())
    frames, truth = generate(["BTC-USD", "^NDX", "WULF"], START, END, config)
    tt = truth.tickers["WULF"]
    assert (tt.after.btc, tt.after.tech, tt.after.idio_vol) == (
        tt.before.btc,
        tt.before.tech,
        tt.before.idio_vol,
    )
    assert tt.after.intercept == config.ai_miner_after.intercept != tt.before.intercept
    assert truth.shift_kind == "intercept"
    ((lo, hi, d),) = truth.drifts["WULF"]  # the 2030 drift is outside the data
    assert (lo, hi, d) == (pd.Timestamp("2024-03-01"), pd.Timestamp("2024-05-31"), 0.02)
    residual = abnormal(frames, truth, "WULF")
    inside = residual[(residual.index >= lo) & (residual.index <= hi)]
    raw = inside + 0.02  # the residual with the drift left in
    assert raw.mean() == pytest.approx(0.02, abs=4 * tt.before.idio_vol / np.sqrt(len(inside)))
    before, after = fit_before_after(frames, truth, "WULF")
    for name in ("btc", "tech"):
        diff = after.params[name] - before.params[name]
        assert abs(diff) < BETA_SE_TOL * np.hypot(after.bse[name], before.bse[name])
    _, none_truth = generate(["WULF"], START, END, SyntheticConfig(shift_kind="none"))
    assert none_truth.tickers["WULF"].after == none_truth.tickers["WULF"].before


def test_event_jumps_roll_to_next_session_and_stand_out():
    events = (
        PlantedEvent("2025-11-01", "IREN", 0.5),  # Saturday -> Monday 2025-11-03
        PlantedEvent("2025-07-04", "NVDA", -0.3),  # holiday -> 2025-07-07
        PlantedEvent("2025-11-02", "ETH-USD", 0.4),  # crypto: Sunday stays Sunday
        PlantedEvent("2030-01-02", "IREN", 0.5),  # after the window: not applied
        PlantedEvent("2025-03-03", "MARA", 0.2),  # not requested: not applied
    )
    frames, truth = generate(
        ["BTC-USD", "^NDX", "IREN", "NVDA", "ETH-USD"], START, END, SyntheticConfig(events=events)
    )
    assert truth.events == {
        (pd.Timestamp("2025-07-07"), "NVDA"): -0.3,
        (pd.Timestamp("2025-11-02"), "ETH-USD"): 0.4,
        (pd.Timestamp("2025-11-03"), "IREN"): 0.5,
    }
    for (date, ticker), jump in truth.events.items():
        sd = truth.loading(ticker, date).idio_vol
        residual = abnormal(frames, truth, ticker)
        assert residual[date] == pytest.approx(jump, abs=4 * sd)
        assert abs(residual[date]) > 8 * sd


def test_event_on_factor_moves_the_factor():
    events = (PlantedEvent("2025-03-10", "^NDX", -0.1),)
    frames, truth = generate(["^NDX", "NVDA"], START, END, SyntheticConfig(events=events))
    assert truth.events == {(pd.Timestamp("2025-03-10"), "^NDX"): -0.1}
    base, _ = generate(["^NDX"], START, END, SyntheticConfig(events=()))
    diff = log_returns(frames["^NDX"]["Close"]) - log_returns(base["^NDX"]["Close"])
    assert diff["2025-03-10"] == pytest.approx(-0.1)
    assert diff.drop(pd.Timestamp("2025-03-10")).abs().max() < 1e-12


# --- source, validation, speed ------------------------------------------------------------


def test_source_returns_synthetic_panel():
    source = SyntheticSource(SyntheticConfig(seed=3))
    panel = source.load(["IREN", "BTC-USD"], pd.Timestamp("2025-01-01"), pd.Timestamp("2025-12-31"))
    assert isinstance(panel, RawPanel) and source.name == "synthetic"
    assert panel.source == "synthetic" and panel.synthetic
    assert isinstance(panel.ground_truth, GroundTruth) and panel.ground_truth.seed == 3
    assert panel.tickers == ["IREN", "BTC-USD"] and not panel.failed
    assert panel.meta["IREN"]["role"] == "ai_miner"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"tickers": ["IREN"], "start": "2025-02-01", "end": "2025-01-01"}, "start"),
        ({"tickers": ["../x"], "start": START, "end": END}, "tickers"),
        ({"tickers": ["IREN", "a/b"], "start": START, "end": END}, "tickers"),
        ({"tickers": "IREN", "start": START, "end": END}, "tickers"),
        ({"tickers": [], "start": START, "end": END}, "tickers"),
        ({"tickers": ["IREN"], "start": "not-a-date", "end": END}, "start"),
        ({"tickers": ["IREN"], "start": START, "end": None}, "end"),
    ],
    ids=["start_after_end", "path_ticker", "slash_ticker", "bare_string", "empty", "bad_start", "no_end"],
)
def test_generate_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        generate(**kwargs)


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: SyntheticConfig(stress_start="2025-12-05", stress_end="2025-10-29"), "stress_start"),
        (lambda: SyntheticConfig(seed=-1), "seed"),
        (lambda: SyntheticConfig(shift_date="soon"), "shift_date"),
        (lambda: SyntheticConfig(stress_vol_multiplier=0.0), "stress_vol_multiplier"),
        (lambda: SyntheticConfig(overrides=(("NVDA", Loading(1, 1, 0.01)),) * 2), "overrides"),
        (lambda: PlantedEvent("2025-01-01", "../x", 0.1), "PlantedEvent.ticker"),
        (lambda: PlantedEvent("2025-01-01", "IREN", float("nan")), "PlantedEvent.jump"),
        (lambda: Loading(btc=1.0, tech=0.0, idio_vol=-0.01), "idio_vol"),
        (lambda: SyntheticConfig(shift_kind="both"), "shift_kind"),  # type: ignore[arg-type]
        (
            lambda: SyntheticConfig(contagion_start="2025-12-05", contagion_end="2025-10-29"),
            "contagion_start",
        ),
        (lambda: SyntheticConfig(contagion_corr=1.0), "contagion_corr"),
        (lambda: SyntheticConfig(after_close_share=1.0), "after_close_share"),
        (lambda: SyntheticConfig(garch_alpha=0.2, garch_beta=0.85), "garch_alpha"),
        (lambda: SyntheticConfig(tail_df=2.0), "tail_df"),
        (lambda: PlantedDrift("2025-02-01", "2025-01-01", "IREN", 0.01), "PlantedDrift"),
        (lambda: SyntheticConfig(drifts=(0.01,)), "drifts"),  # type: ignore[arg-type]
    ],
    ids=[
        "stress_reversed",
        "negative_seed",
        "bad_shift",
        "zero_multiplier",
        "dup_override",
        "bad_event_ticker",
        "nan_jump",
        "negative_vol",
        "bad_shift_kind",
        "contagion_reversed",
        "contagion_corr_one",
        "async_share_one",
        "garch_not_stationary",
        "tail_df_two",
        "drift_reversed",
        "drift_not_planted",
    ],
)
def test_config_rejects_bad_parameters(make, match):
    with pytest.raises(ConfigError, match=match):
        make()


def test_speed(universe):
    generate(["IREN"], START, END)  # warm the calendar cache
    t0 = time.perf_counter()
    generate(universe.tickers, START, END)
    assert time.perf_counter() - t0 < 1.0
    t0 = time.perf_counter()
    frames, _ = generate([f"T{i:03d}" for i in range(500)], "2015-01-01", "2024-12-31")
    assert time.perf_counter() - t0 < 5.0
    assert len(frames) == 500
