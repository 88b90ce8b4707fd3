"""Tests for analysis.leadlag: planted leads recovered by Granger tests and cross-correlations."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from statsmodels.stats.multitest import multipletests

from analysis.errors import ConfigError, ShortSampleWarning
from analysis.leadlag import cross_correlation, granger_causality, granger_tests, select_lag

pytestmark = pytest.mark.filterwarnings("error::analysis.errors.ShortSampleWarning")


def lead_returns(n: int = 1000, lead: int = 1, beta: float = 0.5, seed: int = 0) -> pd.DataFrame:
    """``y_t = beta * x_{t-lead} + e_t`` (x leads y by ``lead`` sessions); white noise x, e."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n + lead)
    y = beta * x[:-lead] + rng.standard_normal(n)
    idx = pd.bdate_range("2021-01-04", periods=n, name="Date")
    return pd.DataFrame({"BTC-USD": x[lead:], "IREN": y}, index=idx)


def test_granger_detects_planted_lead_not_reverse(capsys: pytest.CaptureFixture[str]) -> None:
    df = lead_returns()
    table = granger_causality(df, "BTC-USD", "IREN")
    assert capsys.readouterr().out == ""  # statsmodels is silenced
    assert list(table.columns) == [
        "direction", "cause", "effect", "lag", "lag_selection", "F", "p", "df_num", "df_denom", "nobs",
        "wald_F", "p_wald", "cov_type", "selected_order",
    ]  # fmt: skip
    rows = table.set_index("direction")
    assert rows.loc["BTC-USD -> IREN", "p"] < 1e-20 and rows.loc["BTC-USD -> IREN", "p_wald"] < 1e-20
    assert rows.loc["IREN -> BTC-USD", "p"] > 0.05 and rows.loc["IREN -> BTC-USD", "p_wald"] > 0.05
    assert (table["cov_type"] == "HC3").all() and (table["selected_order"] == 1).all()
    assert (table["lag"] == 1).all() and (table["lag_selection"] == "aic").all()
    assert (table["nobs"] == 999).all() and (table["df_denom"] == 999 - 3).all()


def test_granger_f_statistic_matches_ols() -> None:
    df = lead_returns(300, seed=1)
    table = granger_causality(df, "BTC-USD", "IREN", lag=2)
    # Restricted: IREN on const + 2 own lags; unrestricted adds 2 BTC lags.
    y = df["IREN"].to_numpy()
    x = df["BTC-USD"].to_numpy()
    t = np.arange(2, 300)
    own = np.column_stack([np.ones(t.size), y[t - 1], y[t - 2]])
    full = np.column_stack([own, x[t - 1], x[t - 2]])

    def ssr(design: np.ndarray) -> float:
        beta, *_ = np.linalg.lstsq(design, y[t], rcond=None)
        return float(((y[t] - design @ beta) ** 2).sum())

    f = (ssr(own) - ssr(full)) / 2 / (ssr(full) / (t.size - 5))
    row = table.set_index("cause").loc["BTC-USD"]
    assert row["F"] == pytest.approx(f, rel=1e-8)
    assert row["lag_selection"] == "fixed" and row["df_num"] == 2
    # Robust Wald: b' V^-1 b / 2 for the two BTC lags, V the HC3 covariance (statsmodels, checked by hand).
    fit = sm.OLS(y[t], full).fit(cov_type="HC3")
    b, v = fit.params[3:], fit.cov_params()[3:, 3:]
    assert row["wald_F"] == pytest.approx(float(b @ np.linalg.solve(v, b)) / 2, rel=1e-8)


@pytest.mark.parametrize(("lead", "ic"), [(2, "aic"), (3, "bic"), (2, "hqic")])
def test_select_lag_finds_planted_lag(lead: int, ic: str) -> None:
    df = lead_returns(2000, lead=lead, seed=lead)
    assert select_lag(df, "BTC-USD", "IREN", maxlags=5, ic=ic) == lead  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="maxlag"):  # one name: maxlags
        select_lag(df, "BTC-USD", "IREN", maxlag=5)  # type: ignore[call-arg]


def test_robust_wald_keeps_size_where_the_f_test_does_not() -> None:
    # No lead in the mean, but y's variance rises with x_{t-1}^2 (fat-tailed x): the classic F
    # test's homoskedastic covariance rejects far too often; the HC3 Wald test does not.
    n_sim, n = 100, 400
    rejected_f = rejected_wald = 0
    for seed in range(n_sim):
        rng = np.random.default_rng(seed)
        x = rng.standard_t(5, n + 1)
        y = rng.standard_normal(n) * np.sqrt(0.1 + x[:-1] ** 2)
        df = pd.DataFrame({"BTC-USD": x[1:], "IREN": y}, index=pd.bdate_range("2021-01-04", periods=n))
        row = granger_causality(df, "BTC-USD", "IREN", lag=1).iloc[0]
        rejected_f += row["p"] < 0.05
        rejected_wald += row["p_wald"] < 0.05
    assert rejected_f / n_sim > 0.2  # nominal 0.05
    assert rejected_wald / n_sim <= 0.1  # nominal 0.05; P(> 10 of 100 | 0.05) = 0.01


def test_granger_tests_family_with_holm_and_skipped_pair() -> None:
    df = lead_returns(600, seed=5)
    df["HUT"] = np.random.default_rng(6).standard_normal(600)
    df["ABTC"] = np.nan
    df.iloc[-8:, 3] = np.random.default_rng(7).standard_normal(8)
    res = granger_tests(df, [("BTC-USD", "IREN"), ("BTC-USD", "HUT"), ("BTC-USD", "ABTC")], ic="bic")
    table = res.summary_frame()
    assert list(table["direction"]) == [
        "BTC-USD -> IREN", "IREN -> BTC-USD", "BTC-USD -> HUT", "HUT -> BTC-USD", "BTC-USD -> ABTC",
        "ABTC -> BTC-USD",
    ]  # fmt: skip
    assert list(table["pair"][:2]) == ["BTC-USD/IREN"] * 2 and (table["lag_selection"][:4] == "bic").all()
    tested = table[table["reason"] == ""]
    assert len(tested) == 4
    for col in ("p", "p_wald"):
        np.testing.assert_allclose(tested[f"{col}_adj"], multipletests(tested[col], method="holm")[1])
    assert tested["p_wald_adj"].iloc[0] < 1e-10 and (tested["p_wald_adj"].iloc[1:] > 0.05).all()
    skipped = table.iloc[4]
    assert "maxlags (5) is too large for 8 paired sessions" in skipped["reason"] and pd.isna(skipped["p"])
    assert str(table["lag"].dtype) == "Int64" and (res.ic, res.maxlags, res.cov_type) == ("bic", 5, "HC3")
    hac = granger_tests(df, [("BTC-USD", "IREN")], cov_type="HAC", hac_maxlags=3).summary_frame()
    assert (hac["cov_type"] == "HAC(3)").all() and hac["p_wald"].iloc[0] < 1e-10
    # a joint test, not an estimate: no interval, and the class says why
    assert not hasattr(res, "conf_int") and "no ``conf_int``" in (type(res).__doc__ or "")


@pytest.mark.parametrize(("lead", "beta"), [(1, 0.5), (2, 0.5), (3, -0.5)])
def test_cross_correlation_peaks_at_planted_lag(lead: int, beta: float) -> None:
    df = lead_returns(3000, lead=lead, beta=beta, seed=lead)
    ccf = cross_correlation(df, "BTC-USD", "IREN", max_lag=5)
    assert list(ccf.index) == list(range(-5, 6)) and ccf.index.name == "lag"
    assert int(ccf["corr"].abs().idxmax()) == lead
    truth = beta / math.sqrt(beta**2 + 1)  # +-0.447
    assert ccf.loc[lead, "corr"] == pytest.approx(truth, abs=0.05)
    assert ccf.loc[lead, "significant"] and ccf["significant"].sum() <= 2
    # swapping the series moves the peak to -lead
    assert int(cross_correlation(df, "IREN", "BTC-USD", max_lag=5)["corr"].abs().idxmax()) == -lead


def test_cross_correlation_bands_hand_computed() -> None:
    df = lead_returns(400)
    df.iloc[10, 0] = np.nan
    ccf = cross_correlation(df, "BTC-USD", "IREN", max_lag=2)
    assert ccf.loc[0, "n"] == 399 and ccf.loc[2, "n"] == 397
    assert ccf.loc[0, "band"] == pytest.approx(1.959964 / math.sqrt(399), abs=1e-6)
    wide = cross_correlation(df, "BTC-USD", "IREN", max_lag=2, alpha=0.01)
    assert wide.loc[0, "band"] == pytest.approx(2.575829 / math.sqrt(399), abs=1e-6)
    assert ccf.loc[2, "lower"] == -ccf.loc[2, "upper"]
    shifted = pd.concat([df["BTC-USD"], df["IREN"].shift(-2)], axis=1).dropna()
    assert ccf.loc[2, "corr"] == pytest.approx(np.corrcoef(shifted.T.to_numpy())[0, 1], abs=1e-12)


def test_granger_short_sample_warns() -> None:
    with pytest.warns(ShortSampleWarning, match=r"Granger test BTC-USD/IREN on only 24 observations"):
        granger_causality(lead_returns(25), "BTC-USD", "IREN", lag=1)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"lag": 0}, r"lag must be >= 1 sessions, got 0"),
        ({"maxlags": 0}, r"maxlags must be >= 1 sessions, got 0"),
        ({"lag": 20}, r"lag \(20\) is too large for 40 paired sessions of BTC-USD/IREN"),
        ({"maxlags": 20}, r"maxlags \(20\) is too large for 40 paired sessions"),
        ({"ic": "fpe"}, r"ic must be one of \['aic', 'bic', 'hqic'\], got 'fpe'"),
        ({"cov_type": "OLS"}, r"cov_type must be one of \['HC0', 'HC1', 'HC2', 'HC3', 'HAC'\]"),
    ],
)
def test_granger_bad_parameters(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        granger_causality(lead_returns(40), "BTC-USD", "IREN", **kwargs)  # type: ignore[arg-type]


def test_unknown_ticker_and_bad_max_lag() -> None:
    df = lead_returns(30)
    with pytest.raises(ConfigError, match=r"ticker 'XYZ' not in returns; available: BTC-USD, IREN"):
        granger_causality(df, "XYZ", "IREN")
    with pytest.raises(ConfigError, match=r"max_lag \(30\) is longer than the data \(30 sessions\)"):
        cross_correlation(df, "BTC-USD", "IREN", max_lag=30)
    with pytest.raises(ConfigError, match=r"x and y must be different tickers"):
        granger_causality(df, "IREN", "IREN")
