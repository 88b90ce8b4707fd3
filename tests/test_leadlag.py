"""Tests for analysis.leadlag: planted leads recovered by Granger tests and cross-correlations."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analysis.errors import ConfigError, ShortSampleWarning
from analysis.leadlag import cross_correlation, granger_causality, select_lag

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
    ]  # fmt: skip
    rows = table.set_index("direction")
    assert rows.loc["BTC-USD -> IREN", "p"] < 1e-20
    assert rows.loc["IREN -> BTC-USD", "p"] > 0.05
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


@pytest.mark.parametrize("lead", [2, 3])
def test_select_lag_finds_planted_lag(lead: int) -> None:
    assert select_lag(lead_returns(2000, lead=lead, seed=lead), "BTC-USD", "IREN", maxlag=5) == lead


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
        ({"maxlag": 0}, r"maxlag must be >= 1 sessions, got 0"),
        ({"lag": 20}, r"lag \(20\) is too large for 40 paired sessions of BTC-USD/IREN"),
        ({"maxlag": 20}, r"maxlag \(20\) is too large for 40 paired sessions"),
        ({"ic": "r2"}, r"ic must be one of \['aic', 'bic', 'hqic', 'fpe'\], got 'r2'"),
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
