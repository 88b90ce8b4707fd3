"""Snapshot source: header variants, errors, and the real shared snapshot's known defects."""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pytest

from analysis.clean import CleanConfig, clean_panel
from analysis.errors import ConfigError, DataFetchError, DataQualityWarning
from analysis.snapshot import SnapshotSource, read_price_csv
from analysis.universe import load_universe

HEADERS = {
    "date_ohlcv": "Date,Open,High,Low,Close,Volume\n2024-01-02,1,2,0.5,1.5,100\n2024-01-03,1.5,2,1,1.8,200\n",
    "unnamed_first": ",Close,High,Low,Open,Volume\n2024-01-02,1.5,2,0.5,1,100\n2024-01-03,1.8,2,1,1.5,200\n",
    "lower_close_only": "date,close\n2024-01-02,1.5\n2024-01-03,1.8\n",
    "adj_close": "Date,Open,High,Low,Close,Adj Close,Volume\n2024-01-02,1,2,0.5,1.6,1.5,100\n"
    "2024-01-03,1.5,2,1,1.9,1.8,200\n",
    "yfinance_3row": "Price,Close,High,Low,Open,Volume\nTicker,X,X,X,X,X\nDate,,,,,\n"
    "2024-01-02,1.5,2,0.5,1,100\n2024-01-03,1.8,2,1,1.5,200\n",
}


@pytest.mark.parametrize("variant", sorted(HEADERS))
def test_header_variants(tmp_path: Path, variant: str) -> None:
    p = tmp_path / "X.csv"
    p.write_text(HEADERS[variant])
    df, _ = read_price_csv(p, "X")
    assert df.index.name == "Date" and list(df.index) == [
        pd.Timestamp("2024-01-02"),
        pd.Timestamp("2024-01-03"),
    ]
    close = df["Adj Close"] if "Adj Close" in df else df["Close"]
    assert close.tolist() == [1.5, 1.8]
    assert all(dt == "float64" for dt in df.dtypes)


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ("", "is empty"),
        ("Date,Open\n2024-01-02,1\n", "no Close column"),
        ("Date,Close\nnot-a-date,1\n", "unparseable dates"),
    ],
)
def test_bad_files_are_named(tmp_path: Path, content: str, match: str) -> None:
    p = tmp_path / "BAD.csv"
    p.write_text(content)
    with pytest.raises(Exception, match=match) as info:
        read_price_csv(p, "BAD")
    assert "BAD" in str(info.value)


def test_missing_dir_and_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="snapshot directory not found"):
        SnapshotSource(tmp_path / "nope")
    (tmp_path / "AAA.csv").write_text(HEADERS["date_ohlcv"])
    src = SnapshotSource(tmp_path)
    start, end = pd.Timestamp("2024-01-01"), pd.Timestamp("2024-12-31")
    panel = src.load(["AAA", "ZZZ"], start, end)
    assert list(panel.frames) == ["AAA"] and "ZZZ.csv" in panel.failed["ZZZ"]
    with pytest.raises(DataFetchError, match="ZZZ") as info:
        src.load(["ZZZ"], start, end)
    assert info.value.failed.keys() == {"ZZZ"}
    with pytest.raises(DataFetchError, match="no rows between 2025-01-01"):
        src.load(["AAA"], pd.Timestamp("2025-01-01"), pd.Timestamp("2025-02-01"))


def test_infinite_prices_in_a_file_are_excluded_and_named(tmp_path: Path) -> None:
    """Vendor dumps can hold 'inf': excluded with the ticker and the date, never an OverflowError."""
    rows = [f"2024-01-{d:02d},{10 + d / 10}" for d in (2, 3, 4, 5, 8, 9, 10, 11, 12)]
    rows[4] = "2024-01-08,inf"
    rows[6] = "2024-01-10,-inf"
    (tmp_path / "AAA.csv").write_text("Date,Close\n" + "\n".join(rows) + "\n")
    (tmp_path / "BBB.csv").write_text(HEADERS["date_ohlcv"])
    panel = SnapshotSource(tmp_path).load(
        ["AAA", "BBB"], pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-31")
    )
    with pytest.warns(
        DataQualityWarning, match=r"AAA: rejected 2 non-finite prices \(inf/-inf\): 2024-01-08, 2024-01-10"
    ):
        res = clean_panel(panel)
    assert res.quality["AAA"].nonfinite_rejected == ["2024-01-08", "2024-01-10"]
    assert res.prices["AAA"].dropna().between(10, 12).all()


# ---------------------------------------------------------------- the real snapshot


@pytest.fixture(scope="module")
def full_history(market_data_dir: Path) -> object:
    tickers = [*load_universe().tickers, "SPY"]
    panel = SnapshotSource(market_data_dir).load(
        tickers, pd.Timestamp("1900-01-01"), pd.Timestamp("2026-12-31")
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        return clean_panel(panel)


def test_real_snapshot_study_window(market_data_dir: Path) -> None:
    start, end = pd.Timestamp("2021-01-01"), pd.Timestamp("2025-12-31")
    panel = SnapshotSource(market_data_dir).load(load_universe().tickers, start, end)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        res = clean_panel(panel, config=CleanConfig(start=start, end=end))
    assert not (res.prices.index.day_of_week >= 5).any()
    assert res.prices["ABTC"].first_valid_index() >= pd.Timestamp("2025-09-03")
    assert res.prices["HUT"].first_valid_index() >= pd.Timestamp("2023-12-01")
    # The 2025-12-02 ABTC crash is an event of the study, not a defect: kept.
    assert res.returns.loc["2025-12-02", "ABTC"] < -0.4
    assert res.quality["BITF"].coverage_note.startswith("coverage starts 2024-11-14")


def _q(res: object, t: str) -> object:
    return res.quality[t]  # type: ignore[attr-defined]


def test_every_provenance_defect_is_caught(full_history: object) -> None:
    res = full_history
    abtc = _q(res, "ABTC")
    # Akerna / Gryphon history (incl. the 2022-06-30 and 2025-05-12 jumps) is pre-listing.
    assert abtc.prelisting_range == ["2020-12-28", "2025-09-02"]
    # Messy mid-2026 reverse split: 06-29/30 on the post-split basis, split on 07-06.
    assert [(b["start"], b["end"], b["factor"]) for b in abtc.basis_repaired] == [
        ("2026-06-29", "2026-06-30", 15.0)
    ]
    assert [(s["date"], s["factor"]) for s in abtc.splits_repaired] == [("2026-07-06", 15.0)]
    assert abtc.last_row_unverified == "2026-08-13"
    r = res.returns["ABTC"].dropna()  # type: ignore[attr-defined]
    assert r.loc["2026-06-26":"2026-07-10"].abs().max() < 0.3
    assert r.loc["2025-12-02"] < -0.4
    assert _q(res, "HUT").prelisting_range == ["2020-12-28", "2023-11-30"]
    assert _q(res, "RIOT").prelisting_range[1] == "2017-10-03"
    cifr = _q(res, "CIFR")
    assert cifr.prelisting_range == ["2020-10-20", "2021-08-27"] and cifr.partial_rows_dropped == [
        "2026-08-03"
    ]
    for t in ("^NDX", "QQQ", "^GSPC", "SPY"):
        assert _q(res, t).partial_rows_dropped == ["2026-07-13"], t
    mara = {e["start"] for e in _q(res, "MARA").ranges_excluded}
    assert {"2012-09-10", "2013-02-04"} <= mara
    assert "2018-09-19" in {e["start"] for e in _q(res, "CLSK").ranges_excluded}
    gspc = _q(res, "^GSPC")
    assert gspc.flat_ohlc_rows == 8547
    assert not {"2001-09-11", "2001-09-12", "2001-09-13", "2001-09-14", "1933-03-06"} & set(
        gspc.missing_session_dates
    )
    assert _q(res, "BITF").last_row_unverified == "2026-01-16"
    assert _q(res, "BITF").first_date == "2024-11-14"
    assert _q(res, "WULF").first_date == "2024-05-29"
    assert not (res.prices.index.day_of_week >= 5).any()  # type: ignore[attr-defined]
