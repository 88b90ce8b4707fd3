"""Tests of analysis.ai_news: the catalogue, effective sessions, the block-permutation comparison."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.ai_news import (
    AI_NEWS_CSV,
    BTC_RESPONSE_MODEL,
    NEWS_COLUMNS,
    RESPONSE_MODEL,
    AINewsResponses,
    _block_permutations,
    ai_news_comparison,
    ai_news_events,
    ai_news_responses,
    effective_session,
    load_ai_news,
    news_headline,
    news_indicator,
    responses_sentence,
)
from analysis.calendar import is_session, sessions
from analysis.errors import ConfigError
from analysis.events import EVENT_COLUMNS, MODELS, EventModel, event_study, load_events

HEADER = ",".join(NEWS_COLUMNS)
GOOD_ROW = "ai-x-2025-01,2025-01-27,before_open,Label,market_shock,Some source,yes,"


@pytest.fixture(scope="module")
def catalogue() -> pd.DataFrame:
    return load_ai_news()


# ----------------------------------------------------------------------------- catalogue


@pytest.mark.parametrize(
    ("date", "timing", "expected"),
    [
        ("2025-11-19", "after_close", "2025-11-20"),  # NVIDIA results, Wednesday after the close
        ("2025-01-27", "before_open", "2025-01-27"),  # DeepSeek sell-off, Monday
        ("2025-12-02", "during", "2025-12-02"),  # AWS Trainium3, Tuesday
        ("2024-05-24", "after_close", "2024-05-28"),  # Friday, Memorial Day Monday
        ("2025-01-25", "during", "2025-01-27"),  # Saturday rolls to Monday
        ("2023-11-22", "after_close", "2023-11-24"),  # Thanksgiving: next session is the half day
        ("2025-07-03", "after_close", "2025-07-07"),  # Independence Day on Friday
    ],
)
def test_effective_session(date: str, timing: str, expected: str) -> None:
    assert effective_session(date, timing) == pd.Timestamp(expected)


def test_effective_session_errors() -> None:
    with pytest.raises(ConfigError, match="timing must be one of"):
        effective_session("2025-01-27", "overnight")
    with pytest.raises(ConfigError, match="date is not a date"):
        effective_session("not-a-date", "during")


def test_shipped_catalogue(catalogue: pd.DataFrame) -> None:
    assert list(catalogue.columns) == [*NEWS_COLUMNS, "session"]
    assert catalogue["news_id"].is_unique
    assert (
        catalogue["checked"].dtype == bool and catalogue["checked"].any() and not catalogue["checked"].all()
    )
    assert all(is_session(s) for s in catalogue["session"])
    after = catalogue["timing"] == "after_close"
    assert (catalogue.loc[after, "session"] > catalogue.loc[after, "date"]).all()
    assert (catalogue.loc[~after, "session"] >= catalogue.loc[~after, "date"]).all()
    by_id = catalogue.set_index("news_id")
    assert by_id.at["ai-deepseek-2025-01", "session"] == pd.Timestamp("2025-01-27")
    assert by_id.at["ai-aws-trainium3-2025-12", "session"] == pd.Timestamp("2025-12-02")
    nvda = by_id[by_id.index.str.startswith("ai-nvda-q")]
    assert len(nvda) >= 10 and (nvda["timing"] == "after_close").all()
    assert (catalogue["reference"].str.len() > 0).all()
    unchecked = catalogue.loc[~catalogue["checked"], "notes"]
    assert unchecked.str.contains("not checked offline").all()
    assert AI_NEWS_CSV.name == "ai_news.csv"


@pytest.mark.parametrize(
    ("body", "match"),
    [
        (None, "AI-news file not found"),
        ("", "is empty; expected header"),
        ("news_id,date\nx,2025-01-01\n", "missing column\\(s\\) 'timing'"),
        (HEADER + "\n", "has a header but no news"),
        (
            HEADER + "\n" + GOOD_ROW.replace("Label", ""),
            "line 2 \\(news_id 'ai-x-2025-01'\\), column 'label': is empty",
        ),
        (
            HEADER + "\n" + GOOD_ROW.replace("before_open", "at_noon"),
            "column 'timing': 'at_noon' is not one of",
        ),
        (HEADER + "\n" + GOOD_ROW.replace("market_shock", "rumour"), "column 'kind': 'rumour'"),
        (HEADER + "\n" + GOOD_ROW.replace(",yes,", ",maybe,"), "column 'checked': 'maybe'"),
        (HEADER + "\n" + GOOD_ROW.replace("2025-01-27", "27/01/2025"), "column 'date': cannot parse"),
        (
            HEADER + "\n" + GOOD_ROW.replace("ai-x-2025-01", "ai x"),
            "column 'news_id': 'ai x' contains whitespace",
        ),
        (HEADER + "\n" + GOOD_ROW + "\n" + GOOD_ROW, "line 3 .* duplicates line 2"),
    ],
)
def test_load_errors(tmp_path: Path, body: str | None, match: str) -> None:
    path = tmp_path / "news.csv"
    if body is not None:
        path.write_text(body)
    with pytest.raises(ConfigError, match=match):
        load_ai_news(path)


def test_news_indicator_window(catalogue: pd.DataFrame) -> None:
    idx = sessions("2025-01-02", "2025-02-28")
    flag = news_indicator(idx, catalogue, (0, 1))
    expected = pd.DatetimeIndex(
        ["2025-01-21", "2025-01-22", "2025-01-27", "2025-01-28", "2025-02-27", "2025-02-28"]
    )
    assert flag.dtype == bool and flag.name == "ai_news"
    assert pd.DatetimeIndex(idx[flag.to_numpy()]).equals(expected)
    # A window before the news, and a news item outside the index (ignored).
    before = news_indicator(idx, catalogue, (-1, -1))
    assert pd.Timestamp("2025-01-24") in idx[before.to_numpy()]
    with pytest.raises(ConfigError, match="reversed"):
        news_indicator(idx, catalogue, (1, 0))


# ----------------------------------------------------------------------------- comparison


def _planted(
    seed: int, n: int = 1500, n_news: int = 50, corr_news: float = 0.2, crash: float = 0.0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two return series, corr 0.2 on other days and ``corr_news`` on news days (+1)."""
    idx = pd.bdate_range("2019-01-01", periods=n, name="Date")
    rng = np.random.default_rng(seed)
    picks = np.sort(rng.choice(np.arange(5, n - 5), n_news, replace=False))
    news = pd.DataFrame({"news_id": [f"n{i}" for i in range(n_news)], "session": idx[picks]})
    flag = news_indicator(idx, news, (0, 1)).to_numpy()
    z = rng.standard_normal((n, 2))
    rho = np.where(flag, corr_news, 0.2)
    x = z[:, 0]
    y = rho * z[:, 0] + np.sqrt(1 - rho**2) * z[:, 1]
    if crash:
        hit = flag & (rng.uniform(size=n) < crash)
        x = np.where(hit, x - 4.0, x)
        y = np.where(hit, y - 4.0, y)
    return pd.DataFrame({"BTC-USD": 0.03 * x, "^NDX": 0.01 * y}, index=idx), news


def test_detects_planted_correlation_on_news_days() -> None:
    returns, news = _planted(seed=1, corr_news=0.8)
    res = ai_news_comparison(returns, news, [("BTC-USD", "^NDX")], n_permutations=499, seed=0)
    row = res.summary_frame().set_index("statistic").loc["correlation"]
    assert row["news"] == pytest.approx(0.8, abs=0.1) and row["other"] == pytest.approx(0.2, abs=0.07)
    assert row["p_value"] < 0.01 and bool(row["reject"])
    assert int(row["n_news"]) == int(res.indicator.sum())


def test_detects_planted_joint_crashes_on_news_days() -> None:
    returns, news = _planted(seed=2, crash=0.3)
    res = ai_news_comparison(returns, news, [("BTC-USD", "^NDX")], n_permutations=499, seed=0)
    row = res.table.set_index("statistic").loc["coexceedance"]
    assert row["news"] > 0.2 and row["other"] < 0.02
    assert row["p_value"] < 0.01


def test_no_planted_effect_gives_roughly_uniform_p_values(monkeypatch: pytest.MonkeyPatch) -> None:
    """40 independent replications without an effect: few rejections, mean p near 1/2."""
    # statsmodels' Holm branch calls gc.collect() on every call (~0.3 s under pytest); skip it here.
    import gc

    monkeypatch.setattr(gc, "collect", lambda *args: 0)
    p = []
    for seed in range(40):
        returns, news = _planted(seed=100 + seed, n=800, n_news=30)
        res = ai_news_comparison(returns, news, [("BTC-USD", "^NDX")], n_permutations=199, seed=seed)
        p.append(float(res.table.set_index("statistic").at["correlation", "p_value"]))
    p_arr = np.array(p)
    # Binomial(40, 0.05) exceeds 6 rejections with probability < 1.5%; sd of the mean p ~0.046.
    assert (p_arr < 0.05).sum() <= 6
    assert 0.33 < p_arr.mean() < 0.67


def test_block_layout_equals_the_blockwise_loop() -> None:
    """The vectorised layout is the one-permutation-at-a-time construction on the same draws."""
    from analysis.ai_news import _laid_out_blocks

    rng = np.random.default_rng(1)
    for n, block in [(103, 10), (100, 10), (41, 7), (20, 20)]:
        m = -(-n // block)
        offsets = rng.integers(block, size=30)
        orders = rng.permuted(np.tile(np.arange(m), (30, 1)), axis=1)
        expected = np.empty((30, n), dtype=np.int64)
        for k in range(30):
            rolled = np.roll(np.arange(n), -offsets[k])
            chunks = [rolled[i : i + block] for i in range(0, n, block)]
            expected[k] = np.roll(np.concatenate([chunks[j] for j in orders[k]]), offsets[k])
        np.testing.assert_array_equal(_laid_out_blocks(n, block, offsets, orders), expected)


def test_news_positions_invert_the_layout_and_give_the_weighted_statistics() -> None:
    """Positions of the news rows equal the inverse of the full layout; statistics match weights."""
    from analysis.ai_news import _block_draws, _group_corr, _group_share, _laid_out_blocks, _news_positions

    rng = np.random.default_rng(2)
    for n, block in [(103, 10), (240, 20), (41, 7)]:
        offsets, orders = _block_draws(n, block, 60, rng)
        idx = _laid_out_blocks(n, block, offsets, orders)
        rows = np.sort(rng.choice(n, size=9, replace=False))
        pos = _news_positions(rows, n, block, offsets, orders)
        np.testing.assert_array_equal(pos, np.argsort(idx, axis=1)[:, rows])
        # the news flag moved with its row: weights d[idx] select exactly these positions
        d = np.zeros(n, dtype=bool)
        d[rows] = True
        w = d[idx].astype(float)
        x, y = rng.standard_normal(n), rng.standard_normal(n)
        joint = (rng.random(n) < 0.1).astype(float)

        def corr(weights: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
            k = weights.sum(axis=1)
            sx, sy = weights @ x, weights @ y
            cxy, cxx, cyy = (
                weights @ (x * y) - sx * sy / k,
                weights @ (x * x) - sx**2 / k,
                weights @ (y * y) - sy**2 / k,
            )
            return np.asarray(cxy / np.sqrt(cxx * cyy))

        news, other = _group_corr(pos, x, y)
        np.testing.assert_allclose(news, corr(w, x, y), atol=1e-12)
        np.testing.assert_allclose(other, corr(1.0 - w, x, y), atol=1e-12)
        share_news, share_other = _group_share(pos, joint)
        np.testing.assert_allclose(share_news, (w @ joint) / 9, atol=1e-15)
        np.testing.assert_allclose(share_other, ((1.0 - w) @ joint) / (n - 9), atol=1e-15)


def test_block_permutations_are_permutations() -> None:
    rng = np.random.default_rng(0)
    idx = _block_permutations(103, 10, 50, rng)
    assert idx.shape == (50, 103)
    np.testing.assert_array_equal(np.sort(idx, axis=1), np.tile(np.arange(103), (50, 1)))
    # Blocks keep neighbours together: most consecutive positions stay consecutive rows.
    assert (np.diff(idx, axis=1) == 1).mean() > 0.8
    assert not (idx == np.arange(103)).all(axis=1).all()


def test_short_sample_and_holm_and_seed() -> None:
    returns, news = _planted(seed=3, corr_news=0.5)
    short = returns.assign(
        ABTC=np.where(np.arange(len(returns)) >= len(returns) - 60, returns["BTC-USD"], np.nan)
    )
    pairs = [("BTC-USD", "^NDX"), ("ABTC", "^NDX")]
    res = ai_news_comparison(short, news, pairs, n_permutations=199, seed=4)
    table = res.summary_frame()
    abtc = table[table["a"] == "ABTC"]
    assert abtc["p_value"].isna().all() and abtc["reason"].str.contains("blocks of 20").all()
    assert abtc["reject"].isna().all()
    ok = table[table["a"] == "BTC-USD"]
    assert (ok["p_holm"] >= ok["p_value"]).all() and (ok["reason"] == "").all()
    again = ai_news_comparison(short, news, pairs, n_permutations=199, seed=4)
    pd.testing.assert_frame_equal(again.table, res.table)
    assert res.window == (0, 1) and res.block == 20 and res.quantile == 0.05


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"quantile": 0.6}, "quantile must be strictly between 0 and 0.5"),
        ({"block": 0}, "block must be >= 1"),
        ({"n_permutations": 10}, "n_permutations must be >= 99"),
        ({"window": (2, 0)}, "reversed"),
        ({"pairs": [("BTC-USD", "ZZZ")]}, "ticker 'ZZZ' not in returns"),
        ({"pairs": [("^NDX", "^NDX")]}, "repeats a ticker"),
        ({"pairs": []}, "pairs is empty"),
        ({"alternative": "bigger"}, "alternative must be one of"),
    ],
)
def test_comparison_errors(kwargs: dict[str, object], match: str) -> None:
    returns, news = _planted(seed=5, n=300, n_news=10)
    args: dict[str, object] = {"pairs": [("BTC-USD", "^NDX")], **kwargs}
    with pytest.raises(ConfigError, match=match):
        ai_news_comparison(returns, news, **args)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- events


def test_events_frame_and_confounds(catalogue: pd.DataFrame) -> None:
    ev = ai_news_events(catalogue)
    assert set(EVENT_COLUMNS) <= set(ev.columns)
    assert ev["event_id"].tolist() == catalogue["news_id"].tolist()
    assert (ev["date"] == catalogue["session"]).all()
    assert ev["tickers"].map(lambda t: t == ("IREN", "WULF", "HUT", "ABTC")).all()
    row = ev.set_index("event_id").loc["ai-aws-trainium3-2025-12"]
    assert row["confounded"] and "abtc-lockup-2025-12" in row["confounds"]
    assert {"ABTC", "HUT"} <= set(row["confounded_tickers"])
    assert "Confound: same session as abtc-lockup-2025-12" in row["notes"]
    aws = ev.set_index("event_id").loc["ai-openai-aws-2025-11"]
    assert aws["confounds"] == "iren-msft-2025-11" and aws["confounded_tickers"] == ("IREN",)
    quiet = ev.set_index("event_id").loc["ai-gpt4-2023-03"]
    assert not quiet["confounded"] and quiet["confounds"] == "" and quiet["confounded_tickers"] == ()
    # A custom confound list, tickers as a string; no confounds at all.
    custom = pd.DataFrame({"event_id": ["x"], "date": ["2023-03-14"], "tickers": ["WULF"]})
    flagged = ai_news_events(catalogue, custom, tickers=["wulf", "IREN"]).set_index("event_id")
    assert flagged.at["ai-gpt4-2023-03", "confounded_tickers"] == ("WULF",)
    assert flagged["confounded"].sum() == 1
    assert load_events()["event_id"].isin(["abtc-lockup-2025-12"]).any()
    with pytest.raises(ConfigError, match="malformed ticker"):
        ai_news_events(catalogue, tickers=["BAD/TICKER"])
    with pytest.raises(ConfigError, match="news is missing column\\(s\\) kind"):
        ai_news_events(catalogue.drop(columns="kind"))
    with pytest.raises(ConfigError, match="frame returned by load_ai_news"):
        ai_news_events(catalogue.drop(columns="session"))


def test_event_study_on_news_events_recovers_planted_jump(catalogue: pd.DataFrame) -> None:
    """Two-factor event study on the news events: a planted +8% IREN jump on one news session."""
    idx = sessions("2024-06-03", "2025-12-05")
    rng = np.random.default_rng(6)
    ndx = 0.012 * rng.standard_normal(len(idx))
    btc = 0.03 * rng.standard_normal(len(idx))
    iren = 1.5 * ndx + 0.5 * btc + 0.02 * rng.standard_normal(len(idx))
    day0 = effective_session("2025-02-26", "after_close")
    iren[idx.get_loc(day0)] += 0.08
    returns = pd.DataFrame({"^NDX": ndx, "BTC-USD": btc, "IREN": iren}, index=idx)
    events = ai_news_events(catalogue, tickers=["IREN"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = event_study(
            returns,
            events,
            models=[EventModel("two_factor", ("^NDX", "BTC-USD"))],
            event_window=(0, 1),
            sub_windows=((0, 0),),
        )
    win = res.car_windows.set_index(["event_id", "window"])
    car0 = win.loc[("ai-nvda-q4fy25-2025-02", "(+0,+0)"), "car_log"]
    assert car0 == pytest.approx(0.08, abs=0.05)
    car = res.car.set_index("event_id")
    assert car.at["ai-nvda-q4fy25-2025-02", "session"] == pd.Timestamp("2025-02-27")
    assert not car.at["ai-chatgpt-2022-11", "estimable"]  # outside the data


# ----------------------------------------------------------------------------- responses

#: Planted IREN loadings: ^NDX, BTC and BTC's previous bar (BTC closes after the US close).
RESP_NDX, RESP_BTC, RESP_BTC_LAG = 1.5, 0.5, 0.6
#: Planted log-return jump of IREN on the NVIDIA Q4 FY25 session, and BTC's move the session before.
RESP_JUMP, RESP_BTC_SHOCK = 0.08, -0.15
#: Idiosyncratic sd of the planted miners.
RESP_NOISE = 0.01
#: Tolerance on the recovered jump: about 2.5 sd of a two-session CAR at RESP_NOISE.
RESP_TOL = 0.035
RESP_NEWS = "ai-nvda-q4fy25-2025-02"

Responses = tuple[pd.DataFrame, AINewsResponses]


@pytest.fixture(scope="module")
def responses(catalogue: pd.DataFrame) -> Responses:
    """Planted returns 2023-06..2025-12 and the default AI-news responses on them."""
    idx = sessions("2023-06-01", "2025-12-05")
    rng = np.random.default_rng(8)
    ndx = 0.012 * rng.standard_normal(len(idx))
    btc = 0.03 * rng.standard_normal(len(idx))
    day0 = idx.get_loc(effective_session("2025-02-26", "after_close"))
    btc[day0 - 1] = RESP_BTC_SHOCK  # reaches IREN on day 0 through the lagged BTC term only
    btc_lag = np.concatenate([[0.0], btc[:-1]])
    frame = {"^NDX": ndx, "BTC-USD": btc}
    for ticker in ("IREN", "WULF", "HUT", "ABTC"):
        frame[ticker] = (
            RESP_NDX * ndx
            + RESP_BTC * btc
            + RESP_BTC_LAG * btc_lag
            + RESP_NOISE * rng.standard_normal(len(idx))
        )
    frame["IREN"][day0] += RESP_JUMP
    returns = pd.DataFrame(frame, index=idx)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = ai_news_responses(returns, catalogue)
    return returns, res


def test_responses_use_the_event_study_models(responses: Responses) -> None:
    _, res = responses
    t = res.summary_frame()
    miners = t[t["ticker"] != "BTC-USD"]
    assert RESPONSE_MODEL == "two_factor" and BTC_RESPONSE_MODEL == "market"
    assert set(miners["model"]) == {MODELS["two_factor"].describe()}
    assert "BTC-USD[t-1]" in MODELS["two_factor"].describe()
    assert set(t.loc[t["ticker"] == "BTC-USD", "model"]) == {MODELS["market"].describe()}
    assert res.models["IREN"] == MODELS["two_factor"].describe()


def test_responses_car_is_the_simple_return_of_the_log_car(responses: Responses) -> None:
    _, res = responses
    t = res.table
    est = t[t["estimable"]]
    assert len(est) > 50
    np.testing.assert_allclose(est["car"], np.expm1(est["car_log"]), rtol=1e-12, atol=0.0)
    assert (est["car"] != est["car_log"]).any()
    wide = res.wide()
    by_row = est.set_index(["news_id", "ticker"])
    assert wide.loc[RESP_NEWS, "IREN"] == pytest.approx(by_row.loc[RESP_NEWS].at["IREN", "car"])


def test_responses_sentence_says_simple_returns(responses: Responses) -> None:
    _, res = responses
    text = responses_sentence(res)
    assert "Cumulative abnormal returns" in text and "as simple returns" in text
    assert "abnormal log return" not in text
    assert "simple-return CARs" in news_headline(None, res)[0]["note"]


def test_responses_recover_a_planted_jump_net_of_lagged_btc(
    responses: Responses, catalogue: pd.DataFrame
) -> None:
    """+8% IREN jump on the NVIDIA session after a -15% BTC bar: the lagged BTC term removes the BTC part.

    A two-factor model without the lag reads part of the market-implied -0.6 x 15% on day 0
    as abnormal and misses the jump.
    """
    returns, res = responses
    row = res.table.set_index(["news_id", "ticker"]).loc[(RESP_NEWS, "IREN")]
    assert bool(row["estimable"]) and row["session"] == pd.Timestamp("2025-02-27")
    assert row["car_log"] == pytest.approx(RESP_JUMP, abs=RESP_TOL)
    assert row["car"] == pytest.approx(np.expm1(RESP_JUMP), abs=RESP_TOL)
    assert row["p"] < 0.01
    others = res.table.set_index(["news_id", "ticker"]).loc[RESP_NEWS]
    for ticker in ("WULF", "HUT", "ABTC"):
        assert abs(others.at[ticker, "car_log"]) < RESP_TOL  # no jump planted: nothing abnormal
    no_lag = EventModel("no_lag", MODELS["two_factor"].factors)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        missed = ai_news_responses(returns, catalogue, tickers=["IREN"], btc=None, model=no_lag)
    wrong = missed.table.set_index("news_id").at[RESP_NEWS, "car_log"]
    assert wrong < RESP_JUMP - RESP_TOL


def test_responses_flag_confounded_sessions(responses: Responses) -> None:
    _, res = responses
    t = res.table.set_index(["news_id", "ticker"])
    aws = t.loc["ai-aws-trainium3-2025-12"]
    assert aws["confounded"].all() and aws["confounds"].str.contains("abtc-lockup-2025-12").all()
    assert bool(aws.at["ABTC", "confounded_ticker"]) and bool(aws.at["HUT", "confounded_ticker"])
    assert not bool(aws.at["BTC-USD", "confounded_ticker"])
    deal = t.loc["ai-openai-aws-2025-11"]
    assert deal["confounds"].eq("iren-msft-2025-11").all()
    assert bool(deal.at["IREN", "confounded_ticker"]) and not bool(deal.at["WULF", "confounded_ticker"])
    quiet = t.loc["ai-gpt4-2023-03"]
    assert not quiet["confounded"].any() and not quiet["confounded_ticker"].any()
    text = responses_sentence(res)
    assert "2025-12-02 ai-aws-trainium3-2025-12 with" in text and "2025-11-03 ai-openai-aws-2025-11" in text
    per = res.by_ticker().set_index("ticker")
    assert per.at["ABTC", "confounded"] >= 1 and per.at["WULF", "confounded"] >= 1


def test_responses_model_errors(responses: Responses, catalogue: pd.DataFrame) -> None:
    returns, _ = responses
    with pytest.raises(ConfigError, match="model must be one of"):
        ai_news_responses(returns, catalogue, model="three_factor")
    with pytest.raises(ConfigError, match="BTC cannot explain its own response"):
        ai_news_responses(returns, catalogue, btc_model="two_factor")


def test_responses_conf_int_is_a_frame_around_the_car(responses: Responses) -> None:
    _, res = responses
    ci = res.conf_int()
    assert isinstance(ci, pd.DataFrame) and len(ci) == int(res.table["estimable"].sum())
    cols = ["news_id", "ticker", "car_log", "ci_low", "ci_high", "car", "ci_low_simple", "ci_high_simple"]
    assert list(ci.columns) == cols
    assert ((ci["ci_low"] < ci["car_log"]) & (ci["car_log"] < ci["ci_high"])).all()
    assert ((ci["ci_low_simple"] < ci["car"]) & (ci["car"] < ci["ci_high_simple"])).all()
    row = ci.set_index(["news_id", "ticker"]).loc[(RESP_NEWS, "IREN")]
    assert row["ci_low"] < RESP_JUMP < row["ci_high"] and row["ci_low"] > 0  # significant planted jump
    narrow = res.conf_int(0.5)
    assert ((narrow["ci_high"] - narrow["ci_low"]) < (ci["ci_high"] - ci["ci_low"])).all()
    assert (res.table.loc[res.table["estimable"], "df"] > 0).all()


def test_comparison_has_no_conf_int_and_says_why() -> None:
    from analysis.ai_news import AINewsComparison

    assert not hasattr(AINewsComparison, "conf_int")
    assert "no ``conf_int``" in (AINewsComparison.__doc__ or "")
