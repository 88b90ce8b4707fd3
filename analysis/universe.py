"""The study universe: groups of tickers, display names and first valid dates.

Loaded from ``analysis/universe.toml``.

Guarantees
    * A ticker is validated against a strict ASCII pattern, so it can never become a
      path such as ``../x``.
    * A ticker is never silently changed: the only normalisation is stripping
      surrounding whitespace and upper-casing ASCII letters. Anything non-ASCII
      (``"ß"`` would upper-case to ``"SS"``) is rejected naming the ticker.
    * Crypto pairs are recognised by one rule (:func:`is_crypto_symbol`, the ``-USD``
      suffix) wherever the universe does not say otherwise.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pandas as pd

from .errors import ConfigError

__all__ = [
    "CRYPTO_SUFFIX",
    "TICKER_PATTERN",
    "Instrument",
    "Universe",
    "is_crypto_symbol",
    "load_universe",
    "ticker_to_filename",
    "validate_ticker",
    "validate_tickers",
]

UNIVERSE_TOML = Path(__file__).with_name("universe.toml")

#: Upper-case letters/digits, optionally a leading ``^`` (index) and inner ``.``, ``-``
#: or ``=`` (share classes, crypto pairs, futures). No slashes, no ``..``.
TICKER_PATTERN = re.compile(r"^\^?[A-Z0-9](?:[A-Z0-9=-]|\.(?!\.)){0,14}$")

#: Crypto pairs trade every calendar day; outside the universe they are known by this suffix.
CRYPTO_SUFFIX = "-USD"

Kind = Literal["crypto", "equity"]


def is_crypto_symbol(ticker: str) -> bool:
    """True for tickers classified as crypto by their symbol alone (``-USD`` suffix)."""
    return ticker.endswith(CRYPTO_SUFFIX)


def validate_ticker(ticker: str) -> str:
    """Return ``ticker`` upper-cased if it matches :data:`TICKER_PATTERN`.

    Raises
    ------
    ConfigError
        If the ticker is not a string, is empty, contains non-ASCII characters
        (whose upper case could be another ticker: ``"ß"`` -> ``"SS"``) or
        characters outside the pattern (for example ``/`` or ``..``).
    """
    if not isinstance(ticker, str):
        raise ConfigError(f"ticker must be a string, got {type(ticker).__name__} {ticker!r}")
    stripped = ticker.strip()
    if not stripped.isascii():
        raise ConfigError(
            f"malformed ticker {ticker!r}: non-ASCII characters are not allowed "
            "(tickers are never transliterated; use the exchange symbol, e.g. 'HUT')"
        )
    candidate = stripped.upper()
    if not TICKER_PATTERN.fullmatch(candidate):
        raise ConfigError(
            f"malformed ticker {ticker!r}: expected 1-15 characters of A-Z, 0-9, '.', '-', '=' "
            "with an optional leading '^' (e.g. 'HUT', '^NDX', 'BTC-USD')"
        )
    return candidate


def validate_tickers(tickers: Iterable[str]) -> list[str]:
    """Validate and de-duplicate tickers, keeping their order.

    Raises
    ------
    ConfigError
        If ``tickers`` is a single string (``"HUT"`` would be read as ``H, U, T``), a
        ticker is malformed, or no ticker is given.
    """
    if isinstance(tickers, str | bytes):
        raise ConfigError(
            f"tickers must be a list of tickers, got the string {tickers!r}; pass e.g. [{tickers!r}]"
        )
    out: list[str] = []
    for t in tickers:
        v = validate_ticker(t)
        if v not in out:
            out.append(v)
    if not out:
        raise ConfigError("no tickers given: pass at least one ticker")
    return out


def ticker_to_filename(ticker: str, suffix: str) -> str:
    """File name for a ticker: ``^NDX`` -> ``_NDX<suffix>`` (``^`` is not portable)."""
    return validate_ticker(ticker).replace("^", "_") + suffix


@dataclass(frozen=True)
class Instrument:
    """One ticker of the universe."""

    ticker: str
    name: str
    group: str
    kind: Kind
    first_date: pd.Timestamp | None = None
    note: str = ""


@dataclass(frozen=True)
class Universe:
    """The study universe with its factor tickers."""

    instruments: dict[str, Instrument]
    groups: dict[str, list[str]]
    group_labels: dict[str, str]
    factors: dict[str, str] = field(default_factory=dict)

    @property
    def tickers(self) -> list[str]:
        """All tickers in configuration order."""
        return list(self.instruments)

    def group(self, name: str) -> list[str]:
        """Tickers of one group (e.g. ``"ai_miners"``)."""
        if name not in self.groups:
            raise ConfigError(f"unknown group {name!r}; known groups: {', '.join(self.groups)}")
        return list(self.groups[name])

    def is_crypto(self, ticker: str) -> bool:
        """True for tickers that trade every calendar day.

        Tickers outside the universe are classified by the ``-USD`` suffix.
        """
        inst = self.instruments.get(ticker)
        if inst is not None:
            return inst.kind == "crypto"
        return is_crypto_symbol(ticker)

    def name(self, ticker: str) -> str:
        """Display name, or the ticker itself when it is not in the universe."""
        inst = self.instruments.get(ticker)
        return inst.name if inst else ticker

    def first_date(self, ticker: str) -> pd.Timestamp | None:
        """First session of the current company, if configured."""
        inst = self.instruments.get(ticker)
        return inst.first_date if inst else None

    def factor(self, role: str) -> str:
        """Ticker of a factor role (``btc``, ``tech``, ``ai``, ``market``)."""
        if role not in self.factors:
            raise ConfigError(f"unknown factor role {role!r}; known: {', '.join(self.factors)}")
        return self.factors[role]

    def select(self, tickers: Sequence[str] | None) -> list[str]:
        """Validate a ticker selection (``None`` = the whole universe)."""
        return self.tickers if tickers is None else validate_tickers(tickers)


def load_universe(path: Path | None = None) -> Universe:
    """Load and validate the universe TOML file.

    Raises
    ------
    ConfigError
        On a missing file, malformed TOML, a bad ticker, kind or date, or a
        ticker listed twice.
    """
    path = path or UNIVERSE_TOML
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"universe file not found: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"universe file {path} is not valid TOML: {exc}") from exc

    instruments: dict[str, Instrument] = {}
    groups: dict[str, list[str]] = {}
    labels: dict[str, str] = {}
    for gname, g in raw.get("groups", {}).items():
        kind = g.get("kind", "equity")
        if kind not in ("crypto", "equity"):
            raise ConfigError(f"{path}: group {gname!r} has kind {kind!r}; use 'crypto' or 'equity'")
        labels[gname] = str(g.get("label", gname))
        groups[gname] = []
        for entry in g.get("tickers", []):
            ticker = validate_ticker(entry["ticker"])
            if ticker in instruments:
                raise ConfigError(f"{path}: ticker {ticker} is listed twice")
            first = entry.get("first_date")
            try:
                first_ts = pd.Timestamp(str(first)) if first else None
            except ValueError as exc:
                raise ConfigError(f"{path}: bad first_date {first!r} for {ticker}") from exc
            instruments[ticker] = Instrument(
                ticker=ticker,
                name=str(entry.get("name", ticker)),
                group=gname,
                kind=kind,
                first_date=first_ts,
                note=str(entry.get("note", "")),
            )
            groups[gname].append(ticker)
    factors = {k: validate_ticker(v) for k, v in raw.get("factors", {}).items()}
    return Universe(instruments=instruments, groups=groups, group_labels=labels, factors=factors)
