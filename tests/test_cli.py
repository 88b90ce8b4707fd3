"""CLI: one-line errors with exit codes for bad input; clean writes the processed panel."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from analysis.clean import read_processed, render_quality_markdown
from analysis.cli import EXIT_BAD_INPUT, EXIT_FETCH, main


@pytest.mark.parametrize(
    ("argv", "code", "match"),
    [
        (["fetch", "--source", "bogus"], EXIT_BAD_INPUT, "unknown source 'bogus'"),
        (["fetch", "--tickers", "../x"], EXIT_BAD_INPUT, "malformed ticker '../x'"),
        (
            ["fetch", "--start", "2025-01-01", "--end", "2024-01-01"],
            EXIT_BAD_INPUT,
            "start 2025-01-01 is after end",
        ),
        (
            ["fetch", "--source", "snapshot", "--snapshot-dir", "/no/such/dir"],
            EXIT_BAD_INPUT,
            "snapshot directory not found: /no/such/dir",
        ),
        (["clean", "--start", "31/12/2024"], EXIT_BAD_INPUT, "is not a date"),
        (
            ["report", "--as-of", "2020-01-01", "--start", "2021-01-01"],
            EXIT_BAD_INPUT,
            "before the start date",
        ),
        # The error names the right parameter (today's bug blamed the start date).
        (["report", "--as-of", "2025-13-01"], EXIT_BAD_INPUT, "as_of '2025-13-01' is not a date"),
        (["report", "--end", "2025-02-30"], EXIT_BAD_INPUT, "end '2025-02-30' is not a date"),
        # Dates outside pandas' / the calendar's range are bad input, not a traceback.
        (["report", "--as-of", "9999-01-01"], EXIT_BAD_INPUT, "outside the study calendar"),
        (["fetch", "--start", "1677-01-01"], EXIT_BAD_INPUT, "outside the study calendar"),
        (["report", "--as-of", "2025-12-02", "--end", "2025-11-01"], EXIT_BAD_INPUT, "before the as-of date"),
        (["report", "--jobs", "x"], EXIT_BAD_INPUT, "invalid int value"),
    ],
)
def test_bad_input_one_line_error(
    argv: list[str], code: int, match: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*argv, "--data-dir", str(tmp_path)] if argv[0] != "report" else argv) == code
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and match in err[0]


def test_empty_result_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    snap = tmp_path / "snap"
    snap.mkdir()
    code = main(
        [
            "fetch",
            "--source",
            "snapshot",
            "--snapshot-dir",
            str(snap),
            "--tickers",
            "HUT",
            "--data-dir",
            str(tmp_path),
        ]
    )
    assert code == EXIT_FETCH
    assert "HUT" in capsys.readouterr().err


def test_clean_synthetic_writes_panel(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "clean",
            "--source",
            "synthetic",
            "--tickers",
            "BTC-USD,^NDX,IREN",
            "--start",
            "2025-01-01",
            "--end",
            "2025-06-30",
            "--data-dir",
            str(tmp_path),
            "--seed",
            "3",
            "--quiet",
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "SYNTHETIC DEMO DATA" in out
    prices = read_processed(tmp_path).prices
    assert list(prices.columns) == ["BTC-USD", "^NDX", "IREN"]
    assert not (prices.index.day_of_week >= 5).any()
    assert read_processed(tmp_path).summary["synthetic"] is True
    assert "SYNTHETIC" in render_quality_markdown(read_processed(tmp_path))


def test_clean_snapshot_real_data(market_data_dir: Path, tmp_path: Path) -> None:
    code = main(
        [
            "clean",
            "--source",
            "snapshot",
            "--snapshot-dir",
            str(market_data_dir),
            "--start",
            "2025-01-01",
            "--end",
            "2025-12-31",
            "--data-dir",
            str(tmp_path),
            "--quiet",
        ]
    )
    assert code == 0
    prices = read_processed(tmp_path).prices
    assert prices["ABTC"].first_valid_index() >= pd.Timestamp("2025-09-03")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("HUT", ("HUT",)),
        (["HUT"], ("HUT",)),
        ("BTC-USD ^NDX, IREN", ("BTC-USD", "^NDX", "IREN")),
        (["BTC-USD", "IREN HUT"], ("BTC-USD", "IREN", "HUT")),
    ],
)
def test_ticker_selection_is_never_split_into_letters(value: object, expected: tuple[str, ...]) -> None:
    from analysis.pipeline import StudyRequest

    assert StudyRequest.parse("2025-12-02", tickers=value).tickers == expected


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"tickers": 5}, "tickers must be None, a string"),
        ({"tickers": ["HUT", 3]}, "tickers must be strings"),
        ({"tickers": ""}, "tickers is empty"),
        ({"seed": "3"}, "seed must be a non-negative integer"),
        ({"strict": "yes"}, "strict must be True or False"),
        ({"source": "bloomberg"}, "unknown source 'bloomberg'"),
        ({"start": 20210101}, "start must be a date string"),
    ],
)
def test_request_wrong_types_are_named(kwargs: dict[str, object], match: str) -> None:
    from analysis.errors import ConfigError
    from analysis.pipeline import StudyRequest

    with pytest.raises(ConfigError, match=match):
        StudyRequest.parse("2025-12-02", **kwargs)  # type: ignore[arg-type]


def test_request_round_trips_and_unknown_fields_are_named() -> None:
    from analysis.errors import ConfigError
    from analysis.pipeline import StudyRequest

    req = StudyRequest.parse("2025-12-02", source="synthetic", tickers="BTC-USD ^NDX", seed=3)
    assert StudyRequest.from_dict(req.to_dict()) == req
    assert req.end == pd.Timestamp("2025-12-05"), "default end: three sessions after the as-of date"
    with pytest.raises(ConfigError, match=r"unknown request field\(s\) \['asof'\]"):
        StudyRequest.from_dict({"asof": "2025-12-02"})


def test_unquoted_ticker_list_is_accepted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "fetch",
            "--source",
            "synthetic",
            "--tickers",
            "BTC-USD",
            "IREN",
            "--start",
            "2025-01-01",
            "--end",
            "2025-03-31",
            "--data-dir",
            str(tmp_path),
            "--quiet",
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "BTC-USD" in out and "IREN" in out
