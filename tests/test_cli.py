"""CLI: one-line errors with exit codes for bad input; clean writes the processed panel."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

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
    prices = pd.read_parquet(tmp_path / "processed" / "prices.parquet")
    assert list(prices.columns) == ["BTC-USD", "^NDX", "IREN"]
    assert not (prices.index.day_of_week >= 5).any()
    assert (tmp_path / "processed" / "quality.md").read_text().count("SYNTHETIC") >= 1


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
    prices = pd.read_parquet(tmp_path / "processed" / "prices.parquet")
    assert prices["ABTC"].first_valid_index() >= pd.Timestamp("2025-09-03")
