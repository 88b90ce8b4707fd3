"""Seeded synthetic market with planted structure, returned as ground truth.

Used for offline demos (``--source synthetic``), notebook regression tests and
planted-truth tests of the statistics. :func:`generate` returns raw frames in
the contract of :mod:`analysis.schema` plus a :class:`GroundTruth` describing
everything that was planted; :class:`SyntheticSource` wraps it as a
:class:`~analysis.schema.PriceSource`.

Model (all returns are log returns)
    * Tech factor ``T`` (``^NDX``), one return per XNYS session:
      ``T_s = tech_drift + s_T(s) z_s`` with ``s_T`` the calm vol x the stress
      multiplier x a GARCH(1,1) sd, ``z`` unit-variance Student-t (fat tails). A
      share ``after_close_share`` of ``z_s`` is news that arrived after the
      previous US close.
    * BTC factor ``B`` (``BTC-USD``), one bar per calendar day closing at 00:00 UTC,
      hours after the US close: its own shock (GARCH, t, stress multiplier; part
      of it after the US close) plus ``btc_tech_loading`` x the tech news it has
      seen - the US-hours part of the day's session and the after-close part of
      the *next* session. So BTC-tech correlation rises mechanically when tech
      variance rises (the Forbes-Rigobon bias), BTC leads tech slightly, and in
      the contagion episode BTC's own shock is correlated with tech's (contagion
      beyond interdependence).
    * Equities, per session ``s``: ``r = intercept + drift(s) + b_btc G_s +
      b_tech T_s + idio_vol e_s + jumps`` with ``G_s`` the BTC return from one US
      close to the next (:attr:`GroundTruth.btc_sync_returns`): regressions on
      session-aligned BTC closes need a lagged BTC term (Dimson). Intercepts are
      planted per group (e.g. the AI miners' pre-shift drift), temporary drifts
      per ticker (:class:`PlantedDrift`), and the AI miners' loadings change at
      ``shift_date`` (slopes, or only the intercept with ``shift_kind``).
    * Other crypto, per calendar day: ``r = intercept + b_btc B_d + b_tech T_d +
      idio_vol e_d`` (``T_d`` the tech return on session days, else 0).

Determinism
    The factors come from a stream seeded by ``(seed, crc32("__factors__"))``;
    each ticker's idiosyncratic stream from ``(seed, crc32(ticker))``. Requesting
    a subset of tickers therefore gives identical series for each ticker.
"""

from __future__ import annotations

import datetime as dt
import math
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from ._typing import DateLike
from ._validation import as_timestamp
from .calendar import sessions as xnys_sessions
from .config import CALENDAR_DAYS_PER_YEAR, EXCHANGE_CALENDAR, TRADING_DAYS_PER_YEAR
from .errors import ConfigError
from .schema import INDEX_NAME, RawPanel
from .universe import Universe, load_universe, validate_ticker

__all__ = [
    "DEFAULT_DRIFTS",
    "DEFAULT_EVENTS",
    "DEFAULT_OVERRIDES",
    "SOURCE_NAME",
    "GroundTruth",
    "Loading",
    "PlantedDrift",
    "PlantedEvent",
    "SyntheticConfig",
    "SyntheticSource",
    "TickerTruth",
    "generate",
]

FloatArray = npt.NDArray[np.float64]
Role = Literal[
    "btc_factor",
    "tech_factor",
    "crypto",
    "ai_miner",
    "miner_peer",
    "tech_index",
    "tech_equity",
    "crypto_equity",
    "generic_equity",
]

#: Name of the source in :class:`~analysis.schema.RawPanel`.
SOURCE_NAME = "synthetic"

#: Factor tickers used when the universe does not name them.
DEFAULT_BTC_TICKER = "BTC-USD"
DEFAULT_TECH_TICKER = "^NDX"

#: Universe groups with a planted role (other equities are generic).
GROUP_ROLES: dict[str, Role] = {
    "ai_miners": "ai_miner",
    "miner_peers": "miner_peer",
    "tech_indices": "tech_index",
    "ai_bellwethers": "tech_equity",
    "crypto_equities": "crypto_equity",
}

#: Mean number of calendar days per session (weekends and holidays), used for the
#: theoretical session-aligned BTC variance and BTC-tech correlation.
CALENDAR_DAYS_PER_SESSION = CALENDAR_DAYS_PER_YEAR / TRADING_DAYS_PER_YEAR

#: Stream key of the factor draws (per-ticker streams use ``crc32(ticker)``).
FACTOR_STREAM_KEY = zlib.crc32(b"__factors__")

#: Starting price (first row) of known tickers; others draw log-uniformly from the ranges below.
START_PRICES: dict[str, float] = {
    "BTC-USD": 30_000.0,
    "ETH-USD": 2_000.0,
    "SOL-USD": 100.0,
    "XRP-USD": 0.5,
    "^NDX": 13_000.0,
    "^IXIC": 11_000.0,
    "QQQ": 320.0,
    "^GSPC": 4_000.0,
    "SPY": 400.0,
    "NVDA": 40.0,
    "AMZN": 130.0,
    "MSFT": 300.0,
    "GOOGL": 120.0,
    "SMH": 150.0,
    "COIN": 150.0,
    "MSTR": 300.0,
    "IREN": 8.0,
    "WULF": 5.0,
    "HUT": 15.0,
    "ABTC": 6.0,
    "CORZ": 10.0,
    "CLSK": 12.0,
    "BITF": 5.0,
    "MARA": 18.0,
    "RIOT": 14.0,
    "CIFR": 6.0,
}
EQUITY_START_PRICE_RANGE = (10.0, 100.0)
CRYPTO_START_PRICE_RANGE = (0.5, 50.0)

#: Median daily volume by role (crypto in quote currency, as yfinance reports it).
BASE_VOLUME: dict[Role, float] = {
    "btc_factor": 3e10,
    "tech_factor": 5e9,
    "crypto": 2e9,
    "ai_miner": 1e7,
    "miner_peer": 1e7,
    "tech_index": 5e9,
    "tech_equity": 3e7,
    "crypto_equity": 1e7,
    "generic_equity": 1e6,
}

#: Share of an equity's close-to-close return realised in the overnight gap (Open vs previous Close).
OPEN_GAP_SHARE = 0.3
#: Open noise, in units of the ticker's daily return sd.
OPEN_NOISE_SD = 0.2
#: Intraday excursion beyond max/min(Open, Close), in units of the daily return sd.
RANGE_SD = 0.5
#: Floor of the daily return sd used to scale OHLC noise (flat series).
MIN_RANGE_VOL = 0.002
#: Log-volume noise sd and loading on the absolute standardised return.
VOLUME_LOG_SD = 0.35
VOLUME_ABS_RETURN_LOADING = 0.25

OHLCV = ("Open", "High", "Low", "Close", "Volume")


def _timestamp(value: object, name: str) -> pd.Timestamp:
    """Parse a date-like value to a tz-naive midnight timestamp, naming ``name`` on failure."""
    if isinstance(value, bool) or not isinstance(value, str | dt.date | pd.Timestamp | np.datetime64):
        raise ConfigError(f"{name} must be a date such as '2025-06-02', got {value!r}")
    return as_timestamp(value, name).normalize().as_unit("ns")


def _ticker(value: object, name: str) -> str:
    try:
        return validate_ticker(value)  # type: ignore[arg-type]
    except ConfigError as exc:
        raise ConfigError(f"{name}: {exc}") from exc


def _check_finite(value: float, name: str, *, minimum: float | None = None, strict: bool = False) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigError(f"{name} must be a finite number, got {value!r}")
    if minimum is not None and (value <= minimum if strict else value < minimum):
        op = ">" if strict else ">="
        raise ConfigError(f"{name} must be {op} {minimum}, got {value!r}")


@dataclass(frozen=True)
class Loading:
    """Planted factor loadings of one ticker (daily log-return units).

    Parameters
    ----------
    btc, tech
        Partial betas on the synchronous BTC return (US close to US close) and the
        tech return.
    idio_vol
        Sd of the idiosyncratic return per session (per day for crypto).
    intercept
        Constant return per session (per day for crypto): the planted alpha.
    """

    btc: float
    tech: float
    idio_vol: float
    intercept: float = 0.0

    def __post_init__(self) -> None:
        _check_finite(self.btc, "Loading.btc")
        _check_finite(self.tech, "Loading.tech")
        _check_finite(self.idio_vol, "Loading.idio_vol", minimum=0.0)
        _check_finite(self.intercept, "Loading.intercept")


@dataclass(frozen=True)
class PlantedEvent:
    """A log-return jump planted on ``ticker`` at ``date``.

    Non-session dates roll to the next session for equities; the session used is
    recorded in :attr:`GroundTruth.events`.
    """

    date: str
    ticker: str
    jump: float

    def __post_init__(self) -> None:
        _timestamp(self.date, f"PlantedEvent.date ({self.ticker})")
        object.__setattr__(self, "ticker", _ticker(self.ticker, "PlantedEvent.ticker"))
        _check_finite(self.jump, f"PlantedEvent.jump ({self.ticker} {self.date})")

    @property
    def timestamp(self) -> pd.Timestamp:
        """``date`` as a timestamp."""
        return _timestamp(self.date, "PlantedEvent.date")


@dataclass(frozen=True)
class PlantedDrift:
    """An extra constant return per row of ``ticker`` from ``start`` to ``end`` (inclusive).

    Models a temporary run-up (e.g. before a deal) that a market model estimated on
    that window would mistake for alpha. Recorded in :attr:`GroundTruth.drifts`.
    """

    start: str
    end: str
    ticker: str
    drift: float

    def __post_init__(self) -> None:
        lo = _timestamp(self.start, f"PlantedDrift.start ({self.ticker})")
        hi = _timestamp(self.end, f"PlantedDrift.end ({self.ticker})")
        if lo > hi:
            raise ConfigError(
                f"PlantedDrift ({self.ticker}): start {self.start} is after end {self.end}; swap them"
            )
        object.__setattr__(self, "ticker", _ticker(self.ticker, "PlantedDrift.ticker"))
        _check_finite(self.drift, f"PlantedDrift.drift ({self.ticker})")

    @property
    def window(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        """``(start, end)`` as timestamps."""
        return _timestamp(self.start, "PlantedDrift.start"), _timestamp(self.end, "PlantedDrift.end")


#: Default events, mirroring the study's event catalogue.
DEFAULT_EVENTS: tuple[PlantedEvent, ...] = (
    PlantedEvent("2025-08-14", "WULF", 0.20),
    PlantedEvent("2025-10-28", "WULF", 0.12),
    PlantedEvent("2025-11-03", "IREN", 0.15),
    PlantedEvent("2025-12-02", "ABTC", -0.45),
    PlantedEvent("2025-12-02", "HUT", -0.12),
)

#: Default temporary drift: IREN's run-up in the estimation window of its 2025-11-03 deal.
DEFAULT_DRIFTS: tuple[PlantedDrift, ...] = (PlantedDrift("2025-08-25", "2025-10-17", "IREN", 0.01),)

#: Per-ticker loadings that differ from their group's (constant, no shift).
DEFAULT_OVERRIDES: tuple[tuple[str, Loading], ...] = (
    ("NVDA", Loading(btc=0.05, tech=1.8, idio_vol=0.022, intercept=0.0008)),
    ("SMH", Loading(btc=0.05, tech=1.5, idio_vol=0.010)),
    ("QQQ", Loading(btc=0.0, tech=1.0, idio_vol=0.001)),
    ("^GSPC", Loading(btc=0.0, tech=0.75, idio_vol=0.004)),
)

ShiftKind = Literal["slopes", "intercept", "none"]


@dataclass(frozen=True)
class SyntheticConfig:
    """Parameters of the synthetic market (daily log-return units).

    Parameters
    ----------
    seed
        Non-negative seed of every random stream.
    shift_date
        First date on which AI-pivot miners carry their ``ai_miner_after``
        loadings ("bitcoin proxy" -> "AI infrastructure").
    shift_kind
        ``"slopes"`` (default): the after-loadings as given; ``"intercept"``: only
        the intercept changes (after = before slopes and idio vol with
        ``ai_miner_after.intercept``), the null of a slopes-only break test;
        ``"none"``: no change at all.
    stress_start, stress_end
        Inclusive stress window.
    stress_vol_multiplier
        Tech-factor vol multiplier in the stress window (variance ratio is its square).
    btc_stress_vol_multiplier
        Multiplier of BTC's own (non-tech) shock vol in the stress window.
    contagion_start, contagion_end, contagion_corr
        Contagion episode (inclusive; default the stress window): on its sessions
        BTC's own shock is correlated ``contagion_corr`` with the tech shock of the
        US session, so BTC-tech correlation rises beyond what the variance increase
        explains (Forbes-Rigobon contagion). ``contagion_corr=0`` disables it.
    tech_vol, tech_drift
        Tech factor sd and mean per session (calm, unconditional).
    btc_own_vol, btc_drift
        Sd and mean of BTC's own daily shock (calm, unconditional).
    btc_tech_loading
        Loading of BTC on the tech return.
    after_close_share
        Share of a session's news arriving between the US close and BTC's 00:00 UTC
        close: that share of BTC's own-shock variance is realised after the US
        close (equities see it the next session), and that share of the next
        session's tech shock is already in BTC's bar. 0 = synchronous closes.
    tail_df
        Student-t degrees of freedom of every innovation (factors and
        idiosyncratic; scaled to unit variance); ``None`` for normal innovations.
    garch_alpha, garch_beta
        GARCH(1,1) of the factors' standardized shocks,
        ``h_t = (1 - a - b) + a e_{t-1}^2 + b h_{t-1}`` (unit unconditional
        variance); 0 and 0 for constant volatility.
    ai_miner_before, ai_miner_after
        Loadings of universe group ``ai_miners`` before/after ``shift_date``
        (the before-intercept is the AI miners' pre-shift drift).
    miner_peer, crypto_equity, tech_index, tech_equity, generic_equity, crypto
        Loadings of groups ``miner_peers``, ``crypto_equities``, ``tech_indices``,
        ``ai_bellwethers``, of equities outside these groups, and of crypto other
        than the BTC factor.
    overrides
        ``(ticker, Loading)`` pairs replacing the group loadings (no shift).
    events
        Planted jumps.
    drifts
        Planted temporary drifts.

    Notes
    -----
    The default seed is one whose short default stress window (27 sessions) is
    representative (sample variance ratio and correlations near the planted
    values) and whose AI-miner slope shift is detected at the default noise.
    """

    seed: int = 1
    shift_date: str = "2025-06-02"
    shift_kind: ShiftKind = "slopes"
    stress_start: str = "2025-10-29"
    stress_end: str = "2025-12-05"
    stress_vol_multiplier: float = 2.5
    btc_stress_vol_multiplier: float = 1.0
    contagion_start: str = "2025-10-29"
    contagion_end: str = "2025-12-05"
    contagion_corr: float = 0.6
    tech_vol: float = 0.013
    tech_drift: float = 0.0003
    btc_own_vol: float = 0.028
    btc_drift: float = 0.0003
    btc_tech_loading: float = 1.0
    after_close_share: float = 0.2
    tail_df: float | None = 5.0
    garch_alpha: float = 0.08
    garch_beta: float = 0.90
    ai_miner_before: Loading = Loading(btc=1.4, tech=0.4, idio_vol=0.035, intercept=0.001)
    ai_miner_after: Loading = Loading(btc=0.5, tech=1.6, idio_vol=0.035)
    miner_peer: Loading = Loading(btc=1.4, tech=0.4, idio_vol=0.035, intercept=-0.0005)
    crypto_equity: Loading = Loading(btc=1.0, tech=1.0, idio_vol=0.030, intercept=0.0005)
    tech_index: Loading = Loading(btc=0.0, tech=1.0, idio_vol=0.003)
    tech_equity: Loading = Loading(btc=0.05, tech=1.2, idio_vol=0.015, intercept=0.0003)
    generic_equity: Loading = Loading(btc=0.1, tech=0.8, idio_vol=0.020)
    crypto: Loading = Loading(btc=1.1, tech=0.0, idio_vol=0.030)
    overrides: tuple[tuple[str, Loading], ...] = DEFAULT_OVERRIDES
    events: tuple[PlantedEvent, ...] = DEFAULT_EVENTS
    drifts: tuple[PlantedDrift, ...] = DEFAULT_DRIFTS

    def __post_init__(self) -> None:
        if isinstance(self.seed, bool) or not isinstance(self.seed, int | np.integer) or self.seed < 0:
            raise ConfigError(f"SyntheticConfig.seed must be a non-negative integer, got {self.seed!r}")
        _timestamp(self.shift_date, "SyntheticConfig.shift_date")
        if self.shift_kind not in ("slopes", "intercept", "none"):
            raise ConfigError(
                f"SyntheticConfig.shift_kind must be 'slopes', 'intercept' or 'none', got {self.shift_kind!r}"
            )
        for a, b in (("stress_start", "stress_end"), ("contagion_start", "contagion_end")):
            lo = _timestamp(getattr(self, a), f"SyntheticConfig.{a}")
            hi = _timestamp(getattr(self, b), f"SyntheticConfig.{b}")
            if lo > hi:
                raise ConfigError(
                    f"SyntheticConfig.{a} ({getattr(self, a)}) is after {b} ({getattr(self, b)}); swap them"
                )
        for name in ("stress_vol_multiplier", "btc_stress_vol_multiplier"):
            _check_finite(getattr(self, name), f"SyntheticConfig.{name}", minimum=0.0, strict=True)
        for name in ("tech_vol", "btc_own_vol", "garch_alpha", "garch_beta"):
            _check_finite(getattr(self, name), f"SyntheticConfig.{name}", minimum=0.0)
        for name in ("tech_drift", "btc_drift", "btc_tech_loading"):
            _check_finite(getattr(self, name), f"SyntheticConfig.{name}")
        _check_finite(self.contagion_corr, "SyntheticConfig.contagion_corr")
        if not -1.0 < self.contagion_corr < 1.0:
            raise ConfigError(
                f"SyntheticConfig.contagion_corr must be in (-1, 1), got {self.contagion_corr!r}"
            )
        _check_finite(self.after_close_share, "SyntheticConfig.after_close_share", minimum=0.0)
        if self.after_close_share >= 1.0:
            raise ConfigError(
                f"SyntheticConfig.after_close_share must be in [0, 1), got {self.after_close_share!r}"
            )
        if self.garch_alpha + self.garch_beta >= 1.0:
            raise ConfigError(
                "SyntheticConfig.garch_alpha + garch_beta must be < 1 (stationary GARCH), got "
                f"{self.garch_alpha} + {self.garch_beta}"
            )
        if self.tail_df is not None:
            _check_finite(self.tail_df, "SyntheticConfig.tail_df", minimum=2.0, strict=True)
        seen: set[str] = set()
        for ticker, loading in self.overrides:
            t = _ticker(ticker, "SyntheticConfig.overrides")
            if t in seen:
                raise ConfigError(f"SyntheticConfig.overrides lists {t} twice")
            if not isinstance(loading, Loading):
                raise ConfigError(f"SyntheticConfig.overrides[{t}] must be a Loading, got {loading!r}")
            seen.add(t)
        for ev in self.events:
            if not isinstance(ev, PlantedEvent):
                raise ConfigError(f"SyntheticConfig.events must hold PlantedEvent items, got {ev!r}")
        for drift in self.drifts:
            if not isinstance(drift, PlantedDrift):
                raise ConfigError(f"SyntheticConfig.drifts must hold PlantedDrift items, got {drift!r}")

    @property
    def shift_ts(self) -> pd.Timestamp:
        """``shift_date`` as a timestamp."""
        return _timestamp(self.shift_date, "SyntheticConfig.shift_date")

    @property
    def stress_start_ts(self) -> pd.Timestamp:
        """``stress_start`` as a timestamp."""
        return _timestamp(self.stress_start, "SyntheticConfig.stress_start")

    @property
    def stress_end_ts(self) -> pd.Timestamp:
        """``stress_end`` as a timestamp."""
        return _timestamp(self.stress_end, "SyntheticConfig.stress_end")

    @property
    def contagion_window(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        """``(contagion_start, contagion_end)`` as timestamps."""
        return (
            _timestamp(self.contagion_start, "SyntheticConfig.contagion_start"),
            _timestamp(self.contagion_end, "SyntheticConfig.contagion_end"),
        )


@dataclass(frozen=True)
class TickerTruth:
    """What was planted in one ticker.

    Attributes
    ----------
    role
        Planted role (``"ai_miner"``, ``"miner_peer"``, ``"btc_factor"``, ...).
    crypto
        True if the ticker has a row on every calendar day.
    before, after
        Loadings before and from ``shift_date`` on (equal unless ``role == "ai_miner"``).
    start_price
        Close of the first row.
    first_date
        Universe ``first_date`` (no rows before it), ``None`` if not configured.
    """

    ticker: str
    role: Role
    crypto: bool
    before: Loading
    after: Loading
    start_price: float
    first_date: pd.Timestamp | None = None


@dataclass(frozen=True, eq=False)
class GroundTruth:
    """Everything planted by :func:`generate`.

    Attributes
    ----------
    tickers
        Ticker -> :class:`TickerTruth`: partial betas on the synchronous BTC return
        (:attr:`btc_sync_returns`) and tech log returns before/after
        ``shift_date`` (crypto: the same betas on daily returns), intercept,
        idiosyncratic sd, starting price, universe ``first_date``.
    shift_date, shift_session, shift_kind
        Configured beta-shift date, the first session on or after it in the window
        (``None`` if none) and what shifts there.
    stress_start, stress_end, stress_vol_multiplier
        Stress window (inclusive) and tech vol multiplier.
    tech_stress_variance_ratio, btc_own_stress_variance_ratio
        Variance multipliers of the tech factor and of BTC's own shock in stress.
    btc_stress_variance_ratio
        Theoretical stress/calm variance ratio of session-aligned BTC returns.
    btc_tech_loading
        Loading of BTC on tech.
    btc_tech_corr_calm, btc_tech_corr_stress
        Theoretical correlations of session-aligned (observed) BTC and tech log
        returns, calm and in stress (with contagion where the windows overlap).
    btc_tech_corr_stress_interdependence
        The stress correlation without contagion: what the variance increase alone
        produces (Forbes-Rigobon interdependence).
    contagion_start, contagion_end, contagion_corr
        Contagion episode and the planted correlation of BTC's own shock with the
        tech shock inside it (0 outside).
    after_close_share, tail_df, garch_alpha, garch_beta
        Asynchronous-close share, Student-t df (``None``: normal), GARCH(1,1).
    events
        ``(session date, ticker) -> jump`` of every jump applied (equity dates
        rolled to the next session; events outside the window or before a
        ticker's second row are not applied). Jumps on a factor ticker move the
        factor and thus every ticker loading on it.
    drifts
        ``ticker -> [(first row date, last row date, drift)]`` of the temporary
        drifts applied.
    btc_returns
        BTC daily log returns on every calendar day (the first is not observable).
    tech_returns
        Tech log returns per session (the first is not observable).
    btc_session_returns
        BTC log returns summed over each session interval (what session-aligned
        closes observe).
    btc_sync_returns
        BTC log return from one US close to the next (what equities load on):
        ``btc_session_returns`` minus the after-close part of the session's bar
        plus that of the previous session's bar.
    tech_vol_path, btc_vol_path
        Conditional sd of the tech shock per session and of BTC's own shock per
        day (GARCH x stress multiplier, in return units).
    """

    seed: int
    config: SyntheticConfig
    start: pd.Timestamp
    end: pd.Timestamp
    btc_ticker: str
    tech_ticker: str
    tickers: dict[str, TickerTruth]
    shift_date: pd.Timestamp
    shift_session: pd.Timestamp | None
    shift_kind: ShiftKind
    stress_start: pd.Timestamp
    stress_end: pd.Timestamp
    stress_vol_multiplier: float
    tech_stress_variance_ratio: float
    btc_own_stress_variance_ratio: float
    btc_stress_variance_ratio: float
    btc_tech_loading: float
    btc_tech_corr_calm: float
    btc_tech_corr_stress: float
    btc_tech_corr_stress_interdependence: float
    contagion_start: pd.Timestamp
    contagion_end: pd.Timestamp
    contagion_corr: float
    after_close_share: float
    tail_df: float | None
    garch_alpha: float
    garch_beta: float
    events: dict[tuple[pd.Timestamp, str], float]
    drifts: dict[str, list[tuple[pd.Timestamp, pd.Timestamp, float]]]
    btc_returns: pd.Series
    tech_returns: pd.Series
    btc_session_returns: pd.Series
    btc_sync_returns: pd.Series
    tech_vol_path: pd.Series
    btc_vol_path: pd.Series

    def factor_returns(self, *, synchronous: bool = False) -> pd.DataFrame:
        """Session-aligned factor log returns, columns ``btc`` and ``tech``.

        ``synchronous=True`` gives the US-close-to-US-close BTC return the equities load on.
        """
        btc = self.btc_sync_returns if synchronous else self.btc_session_returns
        return pd.DataFrame({"btc": btc, "tech": self.tech_returns})

    def loading(self, ticker: str, date: DateLike) -> Loading:
        """Loading of ``ticker`` in force on ``date`` (``after`` from ``shift_date`` on)."""
        truth = self.tickers[ticker]
        return truth.after if _timestamp(date, "date") >= self.shift_date else truth.before

    def observed_loading(self, ticker: str, date: DateLike) -> Loading:
        """Approximate betas of an equity on *observed* closes with one lagged BTC term.

        Notes
        -----
        Regressing on the session-aligned BTC bar, its first lag and tech, the BTC
        terms sum to about ``b_btc``, while the tech coefficient is about
        ``b_tech + 2 phi (1 - phi) b_btc L`` (phi = ``after_close_share``, L =
        ``btc_tech_loading``): the bar misses the after-close share of the session's
        tech news and holds that of the next session, so tech absorbs part of the
        BTC channel. Exact only with one calendar day per session; a guide for tests.
        """
        planted = self.loading(ticker, date)
        phi = self.after_close_share
        tech = planted.tech + 2.0 * phi * (1.0 - phi) * planted.btc * self.btc_tech_loading
        return Loading(btc=planted.btc, tech=tech, idio_vol=planted.idio_vol, intercept=planted.intercept)

    def drift(self, ticker: str, dates: pd.DatetimeIndex) -> FloatArray:
        """Planted temporary drift of ``ticker`` on ``dates`` (0 outside every drift window)."""
        out = np.zeros(len(dates))
        for lo, hi, d in self.drifts.get(ticker, []):
            out += np.where((dates >= lo) & (dates <= hi), d, 0.0)
        return out

    def loadings_table(self) -> pd.DataFrame:
        """One row per ticker: role, betas, intercept and idiosyncratic sd before/after the shift."""
        rows = {
            t: {
                "role": tt.role,
                "btc_before": tt.before.btc,
                "tech_before": tt.before.tech,
                "intercept_before": tt.before.intercept,
                "idio_vol_before": tt.before.idio_vol,
                "btc_after": tt.after.btc,
                "tech_after": tt.after.tech,
                "intercept_after": tt.after.intercept,
                "idio_vol_after": tt.after.idio_vol,
            }
            for t, tt in self.tickers.items()
        }
        return pd.DataFrame.from_dict(rows, orient="index")

    def in_stress(self, dates: pd.DatetimeIndex) -> npt.NDArray[np.bool_]:
        """Boolean mask of ``dates`` inside the stress window."""
        return np.asarray((dates >= self.stress_start) & (dates <= self.stress_end), dtype=bool)

    def in_contagion(self, dates: pd.DatetimeIndex) -> npt.NDArray[np.bool_]:
        """Boolean mask of ``dates`` inside the contagion episode."""
        return np.asarray((dates >= self.contagion_start) & (dates <= self.contagion_end), dtype=bool)


def _stream(seed: int, key: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([int(seed), key]))


def _sessions(start: pd.Timestamp, end: pd.Timestamp) -> pd.DatetimeIndex:
    """XNYS sessions in ``[start, end]``, tz-naive (from :mod:`analysis.calendar`)."""
    return pd.DatetimeIndex(xnys_sessions(start, end), name=None).as_unit("ns")


# ----------------------------------------------------------------------------- factor steps


@dataclass(frozen=True)
class _Factors:
    days: pd.DatetimeIndex
    sessions: pd.DatetimeIndex
    session_pos: npt.NDArray[np.intp]
    btc: FloatArray
    tech: FloatArray
    tech_on_day: FloatArray
    btc_session: FloatArray
    btc_sync: FloatArray
    tech_sd: FloatArray
    btc_sd: FloatArray
    events: dict[tuple[pd.Timestamp, str], float]


def _in_window(dates: pd.DatetimeIndex, lo: pd.Timestamp, hi: pd.Timestamp) -> npt.NDArray[np.bool_]:
    return np.asarray((dates >= lo) & (dates <= hi), dtype=bool)


def _stress_scale(dates: pd.DatetimeIndex, config: SyntheticConfig, multiplier: float) -> FloatArray:
    return np.where(_in_window(dates, config.stress_start_ts, config.stress_end_ts), multiplier, 1.0)


def _roll(dates: pd.DatetimeIndex, when: pd.Timestamp) -> int | None:
    """Position of the first of ``dates`` on or after ``when`` (``None`` past the end)."""
    pos = int(dates.searchsorted(when, side="left"))
    return pos if pos < len(dates) else None


def _innovations(rng: np.random.Generator, shape: int | tuple[int, ...], tail_df: float | None) -> FloatArray:
    """Unit-variance innovations: Student t with ``tail_df`` df, or standard normal."""
    if tail_df is None:
        return rng.standard_normal(shape)
    scale = math.sqrt((tail_df - 2.0) / tail_df)
    out: FloatArray = rng.standard_t(tail_df, shape) * scale
    return out


def _garch_sd(shocks: FloatArray, alpha: float, beta: float) -> FloatArray:
    """Conditional sd of a GARCH(1,1) driven by unit-variance ``shocks`` (unconditional variance 1).

    ``h_0 = 1``, ``h_t = (1 - a - b) + a h_{t-1} z_{t-1}^2 + b h_{t-1}``. Hand-written
    (a 1-d recursion) so the path uses this module's seeded draws; ``arch``'s
    simulator draws its own innovations.
    """
    h = np.ones(shocks.size)
    if alpha == 0.0 and beta == 0.0:
        return h
    omega = 1.0 - alpha - beta
    for t in range(1, shocks.size):
        h[t] = omega + (alpha * shocks[t - 1] ** 2 + beta) * h[t - 1]
    out: FloatArray = np.sqrt(h)
    return out


def _apply_factor_events(
    config: SyntheticConfig,
    days: pd.DatetimeIndex,
    sessions: pd.DatetimeIndex,
    btc_own: FloatArray,
    tech: FloatArray,
    btc_ticker: str,
    tech_ticker: str,
) -> dict[tuple[pd.Timestamp, str], float]:
    events: dict[tuple[pd.Timestamp, str], float] = {}
    for ev in config.events:
        if ev.ticker not in (btc_ticker, tech_ticker):
            continue
        dates = days if ev.ticker == btc_ticker else sessions
        pos = _roll(dates, ev.timestamp)
        if pos is None or pos == 0:
            continue
        target = btc_own if ev.ticker == btc_ticker else tech
        target[pos] += ev.jump
        key = (dates[pos], ev.ticker)
        events[key] = events.get(key, 0.0) + ev.jump
    return events


def _simulate_factors(
    config: SyntheticConfig, start: pd.Timestamp, end: pd.Timestamp, btc_ticker: str, tech_ticker: str
) -> _Factors:
    """Tech per session and BTC per day, with GARCH, fat tails, asynchrony and contagion.

    Notes
    -----
    Tech: ``T_s = drift + s_T(s) (sqrt(phi) zA_s + sqrt(1 - phi) zM_s)`` with ``zA``
    the news after the previous US close (already in BTC's previous bar) and
    ``zM`` the US-hours news; ``s_T`` = calm vol x stress multiplier x GARCH sd.
    BTC own shock per day: ``u_d = s_B(d) (sqrt(1 - phi) uP_d + sqrt(phi) uN_d)``,
    ``uP`` before and ``uN`` after the US close; in the contagion episode
    ``uP_d = c zM_s + sqrt(1 - c^2) e_d`` on session days. BTC's bar on day d:
    ``B_d = btc_drift + u_d + L (sqrt(1-phi) s_T zM_s + T^A_{s+1})`` on session days
    (s = that session), ``btc_drift + u_d`` otherwise.
    """
    days = pd.DatetimeIndex(pd.date_range(start, end, freq="D", unit="ns").to_numpy(), name=INDEX_NAME)
    sessions = pd.DatetimeIndex(_sessions(start, end).to_numpy(), name=INDEX_NAME)
    session_pos = days.get_indexer(sessions).astype(np.intp)
    n_s, n_d = len(sessions), len(days)
    phi = config.after_close_share
    rng_tech, rng_btc = (
        np.random.default_rng(s) for s in np.random.SeedSequence([config.seed, FACTOR_STREAM_KEY]).spawn(2)
    )
    z_a, z_m = _innovations(rng_tech, (2, n_s), config.tail_df)
    u_pre, u_post = _innovations(rng_btc, (2, n_d), config.tail_df)
    lo, hi = config.contagion_window
    c = config.contagion_corr
    contagion = _in_window(sessions, lo, hi)
    pre_on_sessions = u_pre[session_pos]
    u_pre[session_pos] = np.where(
        contagion, c * z_m + math.sqrt(1.0 - c * c) * pre_on_sessions, pre_on_sessions
    )

    tech_z = math.sqrt(phi) * z_a + math.sqrt(1.0 - phi) * z_m
    tech_sd = config.tech_vol * _stress_scale(sessions, config, config.stress_vol_multiplier)
    tech_sd = tech_sd * _garch_sd(tech_z, config.garch_alpha, config.garch_beta)
    tech_after_close = tech_sd * math.sqrt(phi) * z_a
    tech = config.tech_drift + tech_sd * tech_z
    btc_z = math.sqrt(1.0 - phi) * u_pre + math.sqrt(phi) * u_post
    btc_sd = config.btc_own_vol * _stress_scale(days, config, config.btc_stress_vol_multiplier)
    btc_sd = btc_sd * _garch_sd(btc_z, config.garch_alpha, config.garch_beta)
    btc_own = config.btc_drift + btc_sd * btc_z
    events = _apply_factor_events(config, days, sessions, btc_own, tech, btc_ticker, tech_ticker)

    # Tech news as BTC's bars see it: US-hours part on the session's day, after-close part
    # of the next session on the previous session's day.
    tech_in_bar = np.zeros(n_d)
    tech_in_bar[session_pos] = tech - tech_after_close
    next_after_close = np.append(tech_after_close[1:], 0.0) if n_s else np.zeros(0)
    tech_in_bar[session_pos] += next_after_close
    btc = btc_own + config.btc_tech_loading * tech_in_bar
    tech_on_day = np.zeros(n_d)
    tech_on_day[session_pos] = tech
    cum = np.cumsum(btc)
    btc_session = np.diff(cum[session_pos], prepend=0.0) if n_s else np.zeros(0)
    # After-close piece of each session's bar (own news after 16:00 ET + next session's early tech news).
    after_close = btc_sd[session_pos] * math.sqrt(phi) * u_post[session_pos]
    after_close = after_close + config.btc_tech_loading * next_after_close
    btc_sync = btc_session - after_close + np.concatenate(([0.0], after_close[:-1])) if n_s else np.zeros(0)
    return _Factors(
        days, sessions, session_pos, btc, tech, tech_on_day, btc_session, btc_sync, tech_sd, btc_sd, events
    )


def _implied_btc_tech(
    config: SyntheticConfig, tech_mult: float, btc_mult: float, shock_corr: float
) -> tuple[float, float]:
    """Session-aligned BTC variance and BTC-tech correlation for given vol multipliers.

    Unconditional (GARCH variances average 1) with the asynchronous-close split:
    ``cov = L (1 - phi) V_T + c k``, ``var_B = L^2 V_T + D s_B^2 + 2 L c k`` with
    ``k = (1 - phi) s_B sqrt(V_T)`` and D calendar days per session.
    """
    phi = config.after_close_share
    tech_var = (config.tech_vol * tech_mult) ** 2
    own_sd = config.btc_own_vol * btc_mult
    link = shock_corr * (1.0 - phi) * own_sd * math.sqrt(tech_var)
    load = config.btc_tech_loading
    btc_var = load**2 * tech_var + CALENDAR_DAYS_PER_SESSION * own_sd**2 + 2.0 * load * link
    cov = load * (1.0 - phi) * tech_var + link
    denom = math.sqrt(tech_var * btc_var)
    return btc_var, (cov / denom if denom > 0 else math.nan)


# ----------------------------------------------------------------------------- ticker steps


def _role(ticker: str, universe: Universe, btc_ticker: str, tech_ticker: str) -> Role:
    if ticker == btc_ticker:
        return "btc_factor"
    if ticker == tech_ticker:
        return "tech_factor"
    if universe.is_crypto(ticker):
        return "crypto"
    inst = universe.instruments.get(ticker)
    return GROUP_ROLES.get(inst.group, "generic_equity") if inst else "generic_equity"


def _loadings(role: Role, ticker: str, config: SyntheticConfig) -> tuple[Loading, Loading]:
    if role == "btc_factor":
        one = Loading(btc=1.0, tech=0.0, idio_vol=0.0)
        return one, one
    if role == "tech_factor":
        one = Loading(btc=0.0, tech=1.0, idio_vol=0.0)
        return one, one
    overrides = dict(config.overrides)
    if ticker in overrides:
        return overrides[ticker], overrides[ticker]
    if role == "ai_miner":
        before, after = config.ai_miner_before, config.ai_miner_after
        if config.shift_kind == "intercept":
            after = Loading(
                btc=before.btc, tech=before.tech, idio_vol=before.idio_vol, intercept=after.intercept
            )
        elif config.shift_kind == "none":
            after = before
        return before, after
    by_role: dict[Role, Loading] = {
        "crypto": config.crypto,
        "miner_peer": config.miner_peer,
        "tech_index": config.tech_index,
        "tech_equity": config.tech_equity,
        "crypto_equity": config.crypto_equity,
        "generic_equity": config.generic_equity,
    }
    loading = by_role[role]
    return loading, loading


def _ohlcv(
    dates: pd.DatetimeIndex,
    returns: FloatArray,
    start_price: float,
    base_volume: float,
    noise: FloatArray,
    *,
    crypto: bool,
) -> pd.DataFrame:
    """Build a raw frame from close-to-close log returns (``returns[0]`` is ignored)."""
    n = len(dates)
    if n == 0:
        empty = pd.DatetimeIndex([], dtype="datetime64[ns]", name=INDEX_NAME)
        return pd.DataFrame({c: np.zeros(0) for c in OHLCV}, index=empty)
    steps = returns.copy()
    steps[0] = 0.0
    log_close = np.cumsum(steps)  # relative to the start price, so the first Close is exact
    sigma = max(float(np.std(steps[1:])) if n > 2 else 0.0, MIN_RANGE_VOL)
    prev_close = np.concatenate(([log_close[0]], log_close[:-1]))
    if crypto:
        log_open = prev_close.copy()
        log_open[0] += OPEN_NOISE_SD * sigma * noise[0, 0]
    else:
        log_open = prev_close + OPEN_GAP_SHARE * steps + OPEN_NOISE_SD * sigma * noise[0]
    log_high = np.maximum(log_open, log_close) + RANGE_SD * sigma * np.abs(noise[1])
    log_low = np.minimum(log_open, log_close) - RANGE_SD * sigma * np.abs(noise[2])
    log_volume = (
        math.log(base_volume)
        + VOLUME_LOG_SD * noise[3]
        + VOLUME_ABS_RETURN_LOADING * (np.abs(steps) / sigma - math.sqrt(2.0 / math.pi))
    )
    close = start_price * np.exp(log_close)
    open_ = start_price * np.exp(log_open)
    # exp() is applied separately to each log, so take max/min with Open and Close to keep
    # High >= max(Open, Close) and Low <= min(Open, Close) exact in floating point.
    values = np.column_stack(
        (
            open_,
            np.maximum.reduce((start_price * np.exp(log_high), open_, close)),
            np.minimum.reduce((start_price * np.exp(log_low), open_, close)),
            close,
            np.round(np.exp(log_volume)),
        )
    )
    return pd.DataFrame(values, index=dates, columns=list(OHLCV), dtype=np.float64)


def _start_price(ticker: str, crypto: bool, u: float) -> float:
    if ticker in START_PRICES:
        return START_PRICES[ticker]
    lo, hi = CRYPTO_START_PRICE_RANGE if crypto else EQUITY_START_PRICE_RANGE
    return float(round(math.exp(math.log(lo) + u * (math.log(hi) - math.log(lo))), 2))


def _check_request(
    tickers: Sequence[str], start: DateLike, end: DateLike, config: SyntheticConfig | None
) -> tuple[list[str], pd.Timestamp, pd.Timestamp, SyntheticConfig]:
    config = config if config is not None else SyntheticConfig()
    if not isinstance(config, SyntheticConfig):
        raise ConfigError(f"config must be a SyntheticConfig, got {type(config).__name__}")
    if isinstance(tickers, str | bytes) or not isinstance(tickers, Iterable):
        raise ConfigError(f"tickers must be a list of tickers such as ['IREN', 'BTC-USD'], got {tickers!r}")
    names: list[str] = []
    for t in tickers:
        v = _ticker(t, "tickers")
        if v not in names:
            names.append(v)
    if not names:
        raise ConfigError("tickers is empty: pass at least one ticker")
    start_ts, end_ts = _timestamp(start, "start"), _timestamp(end, "end")
    if start_ts > end_ts:
        raise ConfigError(f"start ({start_ts.date()}) is after end ({end_ts.date()}); swap them")
    return names, start_ts, end_ts, config


def _equity_returns(
    f: _Factors,
    k0: int,
    dates: pd.DatetimeIndex,
    before: Loading,
    after: Loading,
    shift: pd.Timestamp,
    eps: FloatArray,
    crypto: bool,
) -> FloatArray:
    """Factor part + intercept + idiosyncratic part of a non-factor ticker."""
    post = np.asarray(dates >= shift)
    b_btc = np.where(post, after.btc, before.btc)
    b_tech = np.where(post, after.tech, before.tech)
    idio = np.where(post, after.idio_vol, before.idio_vol)
    intercept = np.where(post, after.intercept, before.intercept)
    btc_part = f.btc[k0:] if crypto else f.btc_sync[k0:]
    tech_part = f.tech_on_day[k0:] if crypto else f.tech[k0:]
    out: FloatArray = intercept + b_btc * btc_part + b_tech * tech_part + idio * eps
    return out


def _apply_drifts(
    r: FloatArray, dates: pd.DatetimeIndex, ticker: str, config: SyntheticConfig
) -> list[tuple[pd.Timestamp, pd.Timestamp, float]]:
    applied = []
    for drift in config.drifts:
        if drift.ticker != ticker:
            continue
        lo, hi = drift.window
        inside = _in_window(dates, lo, hi)
        inside[0] = False  # the first row's return is not observable
        if inside.any():
            r[inside] += drift.drift
            hit = dates[inside]
            applied.append((pd.Timestamp(hit[0]), pd.Timestamp(hit[-1]), drift.drift))
    return applied


def _apply_jumps(
    r: FloatArray, dates: pd.DatetimeIndex, ticker: str, config: SyntheticConfig
) -> dict[tuple[pd.Timestamp, str], float]:
    events: dict[tuple[pd.Timestamp, str], float] = {}
    for ev in config.events:
        if ev.ticker != ticker:
            continue
        pos = _roll(dates, ev.timestamp)
        if pos is None or pos == 0:
            continue
        r[pos] += ev.jump
        key = (dates[pos], ticker)
        events[key] = events.get(key, 0.0) + ev.jump
    return events


def _ground_truth(
    config: SyntheticConfig,
    f: _Factors,
    start: pd.Timestamp,
    end: pd.Timestamp,
    btc_ticker: str,
    tech_ticker: str,
    truths: dict[str, TickerTruth],
    events: dict[tuple[pd.Timestamp, str], float],
    drifts: dict[str, list[tuple[pd.Timestamp, pd.Timestamp, float]]],
) -> GroundTruth:
    stress_lo, stress_hi = config.stress_start_ts, config.stress_end_ts
    con_lo, con_hi = config.contagion_window
    overlap = con_lo <= stress_hi and stress_lo <= con_hi
    calm_var, calm_corr = _implied_btc_tech(config, 1.0, 1.0, 0.0)
    mults = (config.stress_vol_multiplier, config.btc_stress_vol_multiplier)
    stress_var, stress_corr = _implied_btc_tech(config, *mults, config.contagion_corr if overlap else 0.0)
    _, interdependence = _implied_btc_tech(config, *mults, 0.0)
    shift_pos = _roll(f.sessions, config.shift_ts)
    return GroundTruth(
        seed=int(config.seed),
        config=config,
        start=start,
        end=end,
        btc_ticker=btc_ticker,
        tech_ticker=tech_ticker,
        tickers=truths,
        shift_date=config.shift_ts,
        shift_session=f.sessions[shift_pos] if shift_pos is not None else None,
        shift_kind=config.shift_kind,
        stress_start=stress_lo,
        stress_end=stress_hi,
        stress_vol_multiplier=config.stress_vol_multiplier,
        tech_stress_variance_ratio=config.stress_vol_multiplier**2,
        btc_own_stress_variance_ratio=config.btc_stress_vol_multiplier**2,
        btc_stress_variance_ratio=stress_var / calm_var if calm_var > 0 else math.nan,
        btc_tech_loading=config.btc_tech_loading,
        btc_tech_corr_calm=calm_corr,
        btc_tech_corr_stress=stress_corr,
        btc_tech_corr_stress_interdependence=interdependence,
        contagion_start=con_lo,
        contagion_end=con_hi,
        contagion_corr=config.contagion_corr,
        after_close_share=config.after_close_share,
        tail_df=config.tail_df,
        garch_alpha=config.garch_alpha,
        garch_beta=config.garch_beta,
        events=dict(sorted(events.items())),
        drifts=drifts,
        btc_returns=pd.Series(f.btc, index=f.days, name="btc"),
        tech_returns=pd.Series(f.tech, index=f.sessions, name="tech"),
        btc_session_returns=pd.Series(f.btc_session, index=f.sessions, name="btc"),
        btc_sync_returns=pd.Series(f.btc_sync, index=f.sessions, name="btc"),
        tech_vol_path=pd.Series(f.tech_sd, index=f.sessions, name="tech_sd"),
        btc_vol_path=pd.Series(f.btc_sd, index=f.days, name="btc_sd"),
    )


def generate(
    tickers: Sequence[str],
    start: DateLike,
    end: DateLike,
    config: SyntheticConfig | None = None,
    universe: Universe | None = None,
) -> tuple[dict[str, pd.DataFrame], GroundTruth]:
    """Generate a seeded synthetic market with planted structure.

    Parameters
    ----------
    tickers
        Tickers to generate (validated, upper-cased, de-duplicated). Tickers
        outside the universe are crypto if they end in ``-USD``, else a generic equity.
    start, end
        Inclusive date range.
    config
        Planted parameters; default :class:`SyntheticConfig()`.
    universe
        Study universe (groups, kinds, first dates, factor tickers); default
        :func:`~analysis.universe.load_universe`.

    Returns
    -------
    frames : dict[str, pd.DataFrame]
        Raw frames (``Open, High, Low, Close, Volume``, float64, ``Date`` index).
        Crypto rows on every calendar day, equities on XNYS sessions, both from
        the ticker's universe ``first_date`` on; empty if that is after ``end``.
    truth : GroundTruth
        Everything planted.

    Raises
    ------
    ConfigError
        On a malformed ticker (``tickers``), an unparseable ``start``/``end``,
        ``start`` after ``end`` or a range outside the exchange calendar.

    Notes
    -----
    Equity session returns: ``r = intercept + drift(t) + b_btc G_s + b_tech T_s +
    idio_vol e_s + jumps`` with ``G_s`` the synchronous BTC return
    (:attr:`GroundTruth.btc_sync_returns`), so a regression on session-aligned
    BTC closes needs a lagged BTC term to recover ``b_btc`` when
    ``after_close_share > 0``. ``e`` are unit-variance Student-t (or normal)
    draws. BTC itself loads on tech with ``btc_tech_loading``, so an equity's
    univariate beta on tech is about ``tech + btc * btc_tech_loading``; on observed
    closes with a BTC lag see :meth:`GroundTruth.observed_loading`.
    """
    names, start_ts, end_ts, config = _check_request(tickers, start, end, config)
    universe = universe if universe is not None else load_universe()
    btc_ticker = universe.factors.get("btc", DEFAULT_BTC_TICKER)
    tech_ticker = universe.factors.get("tech", DEFAULT_TECH_TICKER)
    f = _simulate_factors(config, start_ts, end_ts, btc_ticker, tech_ticker)
    events = dict(f.events)
    drifts: dict[str, list[tuple[pd.Timestamp, pd.Timestamp, float]]] = {}
    frames: dict[str, pd.DataFrame] = {}
    truths: dict[str, TickerTruth] = {}
    for ticker in names:
        role = _role(ticker, universe, btc_ticker, tech_ticker)
        crypto = role in ("btc_factor", "crypto")
        before, after = _loadings(role, ticker, config)
        all_dates = f.days if crypto else f.sessions
        first_listed = universe.first_date(ticker)
        k0 = int(all_dates.searchsorted(first_listed, side="left")) if first_listed is not None else 0
        # A new index object per frame (renaming one must not rename others), without a freq.
        dates = pd.DatetimeIndex(all_dates[k0:].to_numpy(), name=INDEX_NAME)
        rng = _stream(config.seed, zlib.crc32(ticker.encode()))
        u = float(rng.random())
        eps = _innovations(rng, len(dates), config.tail_df)
        noise = rng.standard_normal((4, len(dates)))
        if role == "btc_factor":
            r = f.btc[k0:].copy()
        elif role == "tech_factor":
            r = f.tech[k0:].copy()
        else:
            r = _equity_returns(f, k0, dates, before, after, config.shift_ts, eps, crypto)
            applied = _apply_drifts(r, dates, ticker, config) if len(dates) else []
            if applied:
                drifts[ticker] = applied
            for key, jump in _apply_jumps(r, dates, ticker, config).items():
                events[key] = events.get(key, 0.0) + jump
        price = _start_price(ticker, crypto, u)
        frames[ticker] = _ohlcv(dates, r, price, BASE_VOLUME[role], noise, crypto=crypto)
        truths[ticker] = TickerTruth(
            ticker=ticker,
            role=role,
            crypto=crypto,
            before=before,
            after=after,
            start_price=price,
            first_date=first_listed,
        )
    truth = _ground_truth(config, f, start_ts, end_ts, btc_ticker, tech_ticker, truths, events, drifts)
    return frames, truth


def _empty_reason(truth: GroundTruth, ticker: str) -> str:
    first = truth.tickers[ticker].first_date
    if first is not None and first > truth.end:
        return f"no synthetic rows: {ticker} is listed from {first.date()}, after end {truth.end.date()}"
    window = f"{truth.start.date()} to {truth.end.date()}"
    return f"no synthetic rows: no {EXCHANGE_CALENDAR} session from {window}"


class SyntheticSource:
    """A :class:`~analysis.schema.PriceSource` returning :func:`generate` output.

    Parameters
    ----------
    config
        Planted parameters; default :class:`SyntheticConfig()`.
    universe
        Study universe; default :func:`~analysis.universe.load_universe`.
    """

    name: str = SOURCE_NAME

    def __init__(self, config: SyntheticConfig | None = None, universe: Universe | None = None) -> None:
        self.config = config if config is not None else SyntheticConfig()
        self.universe = universe

    def load(self, tickers: Sequence[str], start: DateLike, end: DateLike) -> RawPanel:
        """Generate raw frames for ``tickers`` between ``start`` and ``end`` (inclusive).

        Tickers without rows (listed after ``end``) are reported in ``failed``.
        The planted truth is in ``ground_truth``.
        """
        frames, truth = generate(tickers, start, end, self.config, self.universe)
        failed = {t: _empty_reason(truth, t) for t, df in frames.items() if df.empty}
        meta: dict[str, dict[str, Any]] = {
            t: {"seed": truth.seed, "role": truth.tickers[t].role, "generator": __name__}
            for t in frames
            if t not in failed
        }
        return RawPanel(
            frames={t: df for t, df in frames.items() if t not in failed},
            source=SOURCE_NAME,
            synthetic=True,
            meta=meta,
            ground_truth=truth,
            failed=failed,
        )
