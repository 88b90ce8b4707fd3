"""Tests of analysis.ai_news: the catalogue, effective sessions, the block-permutation comparison."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.ai_news import (
    AI_NEWS_CSV,
    NEWS_COLUMNS,
    _block_permutations,
    ai_news_comparison,
    ai_news_events,
    effective_session,
    load_ai_news,
    news_indicator,
)
from analysis.calendar import is_session, sessions
from analysis.errors import ConfigError
from analysis.events import EVENT_COLUMNS, EventModel, event_study, load_events

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
