from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from analysis.errors import ConfigError
from analysis.universe import load_universe, ticker_to_filename, validate_ticker, validate_tickers


@pytest.mark.parametrize("good", ["HUT", "^NDX", "BTC-USD", "brk.b", "ES=F"])
def test_valid_tickers(good: str) -> None:
    assert validate_ticker(good) == good.upper()


@pytest.mark.parametrize("bad", ["../x", "a/b", "..", "A..B", "", " ", "X" * 20, "HU T", "$HUT", "~/x"])
def test_malformed_tickers_rejected(bad: str) -> None:
    with pytest.raises(ConfigError, match="malformed ticker"):
        validate_ticker(bad)


def test_filename_never_escapes_directory() -> None:
    assert ticker_to_filename("^NDX", ".csv") == "_NDX.csv"
    with pytest.raises(ConfigError):
        ticker_to_filename("../../etc/passwd", ".csv")


def test_validate_tickers_dedupes_and_rejects_empty() -> None:
    assert validate_tickers(["hut", "HUT", "iren"]) == ["HUT", "IREN"]
    with pytest.raises(ConfigError, match="no tickers"):
        validate_tickers([])


def test_shipped_universe() -> None:
    u = load_universe()
    assert {"IREN", "WULF", "HUT", "ABTC"} <= set(u.group("ai_miners"))  # the article's four (more may join)
    assert u.first_date("ABTC") == pd.Timestamp("2025-09-03")
    assert u.first_date("HUT") == pd.Timestamp("2023-12-01")
    assert u.is_crypto("BTC-USD") and not u.is_crypto("^NDX")
    assert u.factor("btc") == "BTC-USD" and u.factor("tech") == "^NDX"
    for g in ("crypto", "ai_miners", "miner_peers", "tech_indices", "ai_bellwethers", "crypto_equities"):
        assert u.group(g)
    with pytest.raises(ConfigError, match="unknown group"):
        u.group("nope")


def test_bad_universe_files(tmp_path: Path) -> None:
    p = tmp_path / "u.toml"
    p.write_text("[groups.x\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_universe(p)
    p.write_text('[groups.x]\nkind = "bond"\ntickers = []\n')
    with pytest.raises(ConfigError, match="kind 'bond'"):
        load_universe(p)
    p.write_text('[groups.x]\ntickers = [{ticker = "A"}, {ticker = "A"}]\n')
    with pytest.raises(ConfigError, match="listed twice"):
        load_universe(p)
    with pytest.raises(ConfigError, match="not found"):
        load_universe(tmp_path / "missing.toml")


@pytest.mark.parametrize("changed", ["ß", "ﬁ", "HUTı", "İREN", "ＨＵＴ", "HUT\u200b"])
def test_tickers_are_never_silently_changed(changed: str) -> None:
    """'ß'.upper() == 'SS' and 'ﬁ'.upper() == 'FI': such input is refused, naming the ticker."""
    with pytest.raises(ConfigError, match=rf"malformed ticker {re.escape(repr(changed))}: non-ASCII"):
        validate_ticker(changed)


def test_only_case_and_surrounding_space_are_normalised() -> None:
    assert validate_ticker("  hut ") == "HUT"


@pytest.mark.parametrize("bad", ["HUT", b"HUT"])
def test_a_single_string_is_not_a_list_of_tickers(bad: object) -> None:
    with pytest.raises(ConfigError, match=r"tickers must be a list of tickers, got the string"):
        validate_tickers(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [None, 3, ["HUT", 3]])
def test_wrong_types_are_named(bad: object) -> None:
    with pytest.raises((ConfigError, TypeError), match=r"ticker must be a string|not iterable"):
        validate_tickers(bad)  # type: ignore[arg-type]
