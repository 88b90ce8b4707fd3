"""Tests of analysis.rolling: panel rolling betas equal RollingOLS, panel correlations equal pandas."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from statsmodels.regression.rolling import RollingOLS

from analysis import correlation, exposure, rolling
from analysis.errors import ConfigError, DataQualityError
from analysis.rolling import RollingBetasPanel, rolling_betas_panel, rolling_correlation_panel

FACTORS = ("BTC", "NDX")
TICKERS = ("AAA", "BBB", "CCC")
PLANTED = {"AAA": (0.8, 1.3), "BBB": (-0.4, 0.5), "CCC": (1.5, 0.0)}
WINDOW = 60
N_ROWS = 400  # > rolling.BLOCK_ROWS: windows span two shifted-origin blocks
EQ_TOL = 1e-8  # agreement with statsmodels where both are defined
ILL_CONDITIONED = 1e10  # a window may be NaN only if statsmodels is NaN or cond(R) exceeds this


def _panel(seed: int = 0, n_rows: int = N_ROWS, level: float = 0.0) -> pd.DataFrame:
    """Returns with planted betas on two factors (sessions x tickers + factors)."""
    rng = np.random.default_rng(seed)
    index = pd.bdate_range("2020-01-01", periods=n_rows)
    f = rng.normal(0.0, 0.02, size=(n_rows, 2))
    data = {name: level + f[:, i] for i, name in enumerate(FACTORS)}
    for t, (b1, b2) in PLANTED.items():
        data[t] = 0.001 + b1 * f[:, 0] + b2 * f[:, 1] + rng.normal(0.0, 0.01, size=n_rows)
    return pd.DataFrame(data, index=index)


def _case(name: str) -> tuple[pd.DataFrame, int | None]:
    """Named tricky inputs: (returns, min_nobs)."""
    df = _panel()
    rng = np.random.default_rng(7)
    min_nobs: int | None = None
    if name == "late_start":  # listing gap: AAA starts at row 150
        df.iloc[:150, 0 + 2] = np.nan
    elif name == "holes":  # scattered holes and one long hole (windows fall below min_nobs)
        df.loc[df.index[rng.random(N_ROWS) < 0.1], "BBB"] = np.nan
        df.iloc[200:230, df.columns.get_loc("CCC")] = np.nan
    elif name == "factor_nan":
        df.iloc[200:215, 0] = np.nan
        df.loc[df.index[rng.random(N_ROWS) < 0.05], "NDX"] = np.nan
    elif name == "min_nobs_small":
        df.loc[df.index[rng.random(N_ROWS) < 0.3], "AAA"] = np.nan
        df.iloc[100:150, df.columns.get_loc("BBB")] = np.nan
        min_nobs = 5
    elif name == "zero_factor":  # exactly zero factor: statsmodels' X'X is exactly singular
        df.iloc[100:200, 1] = 0.0
    elif name == "constant_factor":  # constant non-zero factor: statsmodels returns noise
        df.iloc[250:330, 0] = 0.013
    elif name == "collinear":
        df.iloc[120:220, 1] = 2.0 * df.iloc[120:220, 0] + 0.001
    elif name == "constant_ticker":
        df.iloc[50:150, df.columns.get_loc("CCC")] = 0.01
    return df, min_nobs


CASES = [
    "clean",
    "late_start",
    "holes",
    "factor_nan",
    "min_nobs_small",
    "zero_factor",
    "constant_factor",
    "collinear",
    "constant_ticker",
]


def _ill_conditioned(df: pd.DataFrame, ticker: str, end: int, window: int) -> bool:
    """Brute force: the window's complete factor rows are constant or collinear."""
    rows = df.iloc[end - window + 1 : end + 1].loc[:, [ticker, *FACTORS]].dropna()
    x = rows.loc[:, list(FACTORS)].to_numpy()
    if len(x) < 2 or np.any(np.ptp(x, axis=0) == 0.0):
        return True
    return bool(np.linalg.cond(np.corrcoef(x, rowvar=False)) > ILL_CONDITIONED)


@pytest.mark.parametrize("name", CASES)
def test_betas_equal_rolling_ols(name: str) -> None:
    df, min_nobs = _case(name)
    res = rolling_betas_panel(df, TICKERS, FACTORS, WINDOW, min_nobs=min_nobs)
    x = sm.add_constant(df.loc[:, list(FACTORS)], has_constant="add")
    defined = 0
    for t in TICKERS:
        ref = RollingOLS(df[t], x, window=WINDOW, min_nobs=res.min_nobs, missing="drop").fit()
        want = ref.params.loc[:, ["const", *FACTORS]].to_numpy()
        got = res.params[t].to_numpy()
        # Where statsmodels has no estimate, neither do we.
        assert np.isnan(got[np.isnan(want)]).all()
        both = ~np.isnan(want[:, 0]) & ~np.isnan(got[:, 0])
        np.testing.assert_allclose(got[both], want[both], rtol=0, atol=EQ_TOL)
        # We drop a window statsmodels estimates only if its design is (nearly) singular.
        extra = np.flatnonzero(np.isnan(got[:, 0]) & ~np.isnan(want[:, 0]))
        assert all(_ill_conditioned(df, t, int(e), WINDOW) for e in extra), name
        # R-squared and nobs where estimated (R^2 is undefined for a constant ticker).
        flat_y = df[t].rolling(WINDOW).apply(np.ptp, raw=True).to_numpy() == 0.0
        ok = both & ~flat_y
        np.testing.assert_allclose(res.rsquared[t].to_numpy()[ok], ref.rsquared.to_numpy()[ok], atol=EQ_TOL)
        np.testing.assert_array_equal(res.nobs[t].to_numpy()[both], ref.nobs[both])
        defined += int(both.sum())
    assert defined > 0.5 * len(TICKERS) * (N_ROWS - WINDOW)  # the comparison is not vacuous


@pytest.mark.parametrize("name", ["zero_factor", "constant_factor", "collinear"])
def test_singular_windows_are_nan(name: str) -> None:
    df, _ = _case(name)
    res = rolling_betas_panel(df, TICKERS, FACTORS, WINDOW)
    start = {"zero_factor": 100, "constant_factor": 250, "collinear": 120}[name]
    stop = {"zero_factor": 200, "constant_factor": 330, "collinear": 220}[name]
    inside = df.index[start + WINDOW - 1 : stop]  # windows wholly inside the singular stretch
    assert len(inside) > 0
    assert res.params.loc[inside].isna().all().all()
    assert res.rsquared.loc[inside].isna().all().all()
    assert res.params.iloc[stop + WINDOW :].notna().all().all()  # estimates resume after it


def test_constant_ticker_has_zero_betas_and_no_r2() -> None:
    df, _ = _case("constant_ticker")
    res = rolling_betas_panel(df, ["CCC"], FACTORS, WINDOW)
    inside = df.index[50 + WINDOW - 1 : 150]
    np.testing.assert_allclose(res["CCC"].loc[inside, list(FACTORS)].to_numpy(), 0.0, atol=1e-12)
    np.testing.assert_allclose(res["CCC"].loc[inside, "const"].to_numpy(), 0.01, atol=1e-12)
    assert res["CCC"].loc[inside, "r2"].isna().all()


def _exact_slopes(df: pd.DataFrame, ticker: str, ends: list[int], window: int) -> np.ndarray:
    """Slopes of each window by least squares on exactly centred rows (the reference)."""
    data = df.loc[:, [ticker, *FACTORS]].to_numpy()
    return np.array([_centred_lstsq(data[e - window + 1 : e + 1]) for e in ends])


def _centred_lstsq(rows: np.ndarray) -> np.ndarray:
    rows = rows[~np.isnan(rows).any(axis=1)]
    centred = rows - rows.mean(axis=0)
    return np.linalg.lstsq(centred[:, 1:], centred[:, 0], rcond=None)[0]


def test_stable_on_long_windows_of_large_values() -> None:
    # Returns of magnitude 1e3 with noise 1e-2 over 2,520-session windows: raw cross-products
    # would cancel to ~1e-4 relative accuracy (statsmodels' running sums are off by ~1e-4).
    window = 2520
    df = _panel(seed=3, n_rows=2700, level=1e3)
    for t in TICKERS:
        df[t] = df[t] + 1e3
    df.iloc[100:140, df.columns.get_loc("AAA")] = np.nan
    res = rolling_betas_panel(df, TICKERS, FACTORS, window)
    ends = [window - 1, window + 60, len(df) - 1]
    for t in TICKERS:
        got = res[t].iloc[ends][list(FACTORS)].to_numpy(dtype=float)
        np.testing.assert_allclose(got, _exact_slopes(df, t, ends, window), rtol=0, atol=1e-9)


@pytest.mark.parametrize("step_row", [300, 700])
def test_stable_across_a_level_step(step_row: int) -> None:
    # Every series jumps by a different 1e4-scale level at one row (noise 1e-2): windows on
    # either side sit ~1e6 noise units from an origin that mixes both levels.
    df = _panel(seed=4, n_rows=1000)
    for c, jump in zip(df.columns, (1e4, -3e4, 2e4, 5e3, -1e4), strict=True):
        df.iloc[step_row:, df.columns.get_loc(c)] += jump
    res = rolling_betas_panel(df, TICKERS, FACTORS, WINDOW)
    ends = [e for e in range(WINDOW - 1, len(df), 3) if not e - WINDOW < step_row - 1 < e]
    for t in TICKERS:
        got = res[t].iloc[ends][list(FACTORS)].to_numpy(dtype=float)
        want = _exact_slopes(df, t, ends, WINDOW)
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-9)
    corr = rolling_correlation_panel(df, TICKERS, "BTC", WINDOW)
    for e in ends[::25]:
        window = df.iloc[e - WINDOW + 1 : e + 1]
        want_rho = np.corrcoef(window["AAA"], window["BTC"])[0, 1]
        assert abs(corr["AAA"].iloc[e] - want_rho) < 1e-9


def test_planted_betas_are_recovered() -> None:
    df = _panel(seed=5, n_rows=1500)
    res = rolling_betas_panel(df, TICKERS, FACTORS, 250)
    for t, planted in PLANTED.items():
        mean = res[t][list(FACTORS)].mean().to_numpy()
        np.testing.assert_allclose(mean, planted, atol=0.03)  # SE of a 250-day beta ~0.03, averaged


def test_chunking_does_not_change_results(monkeypatch: pytest.MonkeyPatch) -> None:
    df, _ = _case("holes")
    whole = rolling_betas_panel(df, TICKERS, FACTORS, WINDOW)
    corr_whole = rolling_correlation_panel(df, TICKERS, "BTC", WINDOW, min_periods=20)
    monkeypatch.setattr(rolling, "TICKER_CHUNK", 2)
    monkeypatch.setattr(rolling, "BLOCK_ROWS", 7)
    chunked = rolling_betas_panel(df, TICKERS, FACTORS, WINDOW)
    corr_chunked = rolling_correlation_panel(df, TICKERS, "BTC", WINDOW, min_periods=20)
    pd.testing.assert_frame_equal(chunked.params, whole.params, rtol=0, atol=1e-12)
    pd.testing.assert_frame_equal(chunked.nobs, whole.nobs)
    pd.testing.assert_frame_equal(corr_chunked, corr_whole, rtol=0, atol=1e-12)


def test_matches_exposure_rolling_betas_frame() -> None:
    df, _ = _case("holes")
    res = rolling_betas_panel(df, TICKERS, FACTORS, WINDOW, min_nobs=50)
    for t in TICKERS:
        want = exposure.rolling_betas(df, t, FACTORS, window=WINDOW, min_nobs=50)
        pd.testing.assert_frame_equal(res[t], want, rtol=0, atol=EQ_TOL)


def test_accessors_and_tables() -> None:
    df, _ = _case("late_start")
    res = rolling_betas_panel(df, TICKERS, FACTORS, WINDOW)
    assert isinstance(res, RollingBetasPanel)
    assert list(res) == list(TICKERS) and len(res) == 3 and "AAA" in res and "BTC" not in res
    series = res["AAA"]["BTC"]
    assert isinstance(series, pd.Series) and series.index.equals(df.index)
    pd.testing.assert_series_equal(res.param("BTC")["AAA"], series, check_names=False)
    with pytest.raises(KeyError, match="'ZZZ' is not in this panel"):
        res["ZZZ"]
    with pytest.raises(ConfigError, match="param must be one of"):
        res.param("SMH")

    wide = res.to_frame()
    assert wide.columns.nlevels == 2
    pd.testing.assert_frame_equal(wide["BBB"], res["BBB"], check_names=False)
    long = res.to_frame("long")
    assert list(long.columns) == ["date", "ticker", "param", "coef"]
    assert set(long["param"]) == {"const", *FACTORS}
    assert len(long) == int(res.params.notna().to_numpy().sum())

    table = res.summary_frame()
    assert list(table.columns) == ["date", "ticker", "const", *FACTORS, "r2", "nobs"]
    assert table["nobs"].dtype == np.int64
    assert all(type(t) is str for t in table["ticker"])
    aaa = table[table["ticker"] == "AAA"]
    assert aaa["date"].min() == df.index[150 + res.min_nobs - 1]  # first window with min_nobs rows
    assert len(table) == int(res.params.xs("const", axis=1, level="param").notna().to_numpy().sum())
    with pytest.raises(ConfigError, match="layout must be one of"):
        res.to_frame("tall")  # type: ignore[arg-type]


def test_constants_agree_with_exposure() -> None:
    assert rolling.CONST == exposure.CONST
    assert rolling.DEFAULT_MIN_NOBS_FRACTION == exposure.DEFAULT_MIN_NOBS_FRACTION
    res = rolling_betas_panel(_panel(), TICKERS, FACTORS, 100)
    assert res.min_nobs == 80


def _bad_index() -> pd.DataFrame:
    return _panel().reset_index(drop=True)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"tickers": ["ZZZ"]}, ConfigError, "ticker 'ZZZ' not in returns"),
        ({"tickers": ["AAA", "BTC"]}, ConfigError, "'BTC' is also a factor"),
        ({"tickers": ["AAA", "AAA"]}, ConfigError, "contains 'AAA' twice"),
        ({"tickers": []}, ConfigError, "tickers is empty"),
        ({"factors": ()}, ConfigError, "factors is empty"),
        ({"window": 3}, ConfigError, "window must be >= 4"),
        ({"window": 2.5}, ConfigError, "window must be an integer"),
        ({"window": N_ROWS + 1}, ConfigError, "longer than the data"),
        ({"min_nobs": 3}, ConfigError, "min_nobs must be >= 4"),
        ({"min_nobs": WINDOW + 1}, ConfigError, "min_nobs must be between 4 and window=60"),
        ({"returns": "frame"}, ConfigError, "returns must be a DataFrame"),
        ({"returns": "bad_index"}, ConfigError, "DatetimeIndex"),
        ({"returns": "unsorted"}, ConfigError, "sorted ascending"),
        ({"returns": "inf"}, DataQualityError, "BBB: infinite return on 2020-01-13"),
    ],
)
def test_betas_bad_input(kwargs: dict[str, object], error: type[Exception], match: str) -> None:
    args: dict[str, object] = {"returns": _panel(), "tickers": TICKERS, "factors": FACTORS, "window": WINDOW}
    args.update(kwargs)
    special = args["returns"] if isinstance(args["returns"], str) else ""
    if special == "frame":
        pass
    elif special == "bad_index":
        args["returns"] = _bad_index()
    elif special == "unsorted":
        args["returns"] = _panel().iloc[::-1]
    elif special == "inf":
        df = _panel()
        df.iloc[8, df.columns.get_loc("BBB")] = np.inf
        args["returns"] = df
    with pytest.raises(error, match=match):
        rolling_betas_panel(**args)  # type: ignore[arg-type]


@pytest.mark.snapshot
def test_real_snapshot_equals_rolling_ols(market_data_dir: Path) -> None:
    # The real panel: late listings (ABTC, CORZ), holes, crypto compounded into sessions.
    from analysis.clean import CleanConfig, clean_panel
    from analysis.errors import DataQualityWarning
    from analysis.sources import load_raw

    tickers = ["IREN", "WULF", "HUT", "ABTC", "CORZ", "NVDA"]
    factors = ["BTC-USD", "^NDX"]
    start, end = pd.Timestamp("2021-01-01"), pd.Timestamp("2025-12-02")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        raw = load_raw("snapshot", [*tickers, *factors], start, end, snapshot_dir=market_data_dir)
        rets = clean_panel(raw, config=CleanConfig(start=start, end=end)).returns
    res = rolling_betas_panel(rets, tickers, factors, exposure.DEFAULT_ROLLING_WINDOW)
    for t in tickers:
        want = exposure.rolling_betas(rets, t, factors)
        pd.testing.assert_frame_equal(res[t], want, rtol=0, atol=EQ_TOL)
    estimated = res.param("BTC-USD").notna().sum()
    assert estimated["ABTC"] == 0  # listed 2025-09-03: fewer sessions than one window
    assert (estimated.drop("ABTC") > 200).all()  # WULF 279, HUT 401 (listing history)
    corr = rolling_correlation_panel(rets, tickers, "BTC-USD", WINDOW)
    want_corr = rets.loc[:, tickers].rolling(WINDOW).corr(rets["BTC-USD"]).clip(-1.0, 1.0)
    pd.testing.assert_frame_equal(corr, want_corr, rtol=0, atol=1e-10, check_names=False)


# ----------------------------------------------------------------------------- correlation


@pytest.mark.parametrize("name", ["clean", "late_start", "holes", "factor_nan", "constant_factor"])
@pytest.mark.parametrize("min_periods", [None, 20])
def test_correlation_equals_pandas(name: str, min_periods: int | None) -> None:
    df, _ = _case(name)
    got = rolling_correlation_panel(df, TICKERS, "BTC", WINDOW, min_periods=min_periods)
    mp = WINDOW if min_periods is None else min_periods
    want = df.loc[:, list(TICKERS)].rolling(WINDOW, min_periods=mp).corr(df["BTC"]).clip(-1.0, 1.0)
    pd.testing.assert_frame_equal(got, want, rtol=0, atol=1e-10, check_names=False)
    assert got.notna().to_numpy().sum() > 0.25 * got.size
    pair = correlation.rolling_correlation(df, "CCC", "BTC", WINDOW, min_periods=min_periods)
    pd.testing.assert_series_equal(got["CCC"], pair, rtol=0, atol=1e-10, check_names=False)


def test_correlation_planted() -> None:
    rng = np.random.default_rng(11)
    n = 2000
    f = rng.normal(size=n)
    rho = 0.6
    df = pd.DataFrame(
        {"F": f, "A": rho * f + np.sqrt(1 - rho**2) * rng.normal(size=n)},
        index=pd.bdate_range("2015-01-01", periods=n),
    )
    got = rolling_correlation_panel(df, "A", "F", 250)
    assert abs(float(got["A"].mean()) - rho) < 0.03  # SE of a 250-day correlation ~0.04, averaged


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"window": 2}, "window must be >= 3"),
        ({"min_periods": 2}, "min_periods must be >= 3"),
        ({"min_periods": WINDOW + 1}, "min_periods \\(61\\) must be <= window \\(60\\)"),
        ({"tickers": ["AAA", "BTC"]}, "'BTC' is also a factor"),
        ({"factor": ["BTC", "NDX"]}, "factor must be one ticker"),
        ({"factor": "XYZ"}, "ticker 'XYZ' not in returns"),
    ],
)
def test_correlation_bad_input(kwargs: dict[str, object], match: str) -> None:
    args: dict[str, object] = {"returns": _panel(), "tickers": TICKERS, "factor": "BTC", "window": WINDOW}
    args.update(kwargs)
    with pytest.raises(ConfigError, match=match):
        rolling_correlation_panel(**args)  # type: ignore[arg-type]
