"""A clearly labelled CoinDesk 20 *proxy* and an equal-weight crypto index.

Yahoo Finance has no CoinDesk 20 (CD20) series. The CD20 weights its
constituents by market capitalisation with caps (30% on the largest asset, 20%
on each of the others) and rebalances quarterly. :func:`cd20_proxy` applies the
same weighting rule to the crypto tickers available here (by default BTC, ETH,
SOL and XRP), with market caps = daily close x a constant circulating supply
read from ``data/crypto_supply.csv``. Every way in which the proxy differs from
the real index is listed in :attr:`CryptoIndex.notes`; say "CD20 proxy", never
"CD20", when reporting it.

Index mechanics (both indices): at inception and at each rebalance date the
index holds ``units_i = w_i * L / P_i`` of each constituent, bought at that
day's close; between rebalances the weights drift with prices,
``L_t = sum_i units_i * P_i,t``. Levels are computed on the calendar days of
``crypto_daily`` (crypto trades 24/7), starting at :data:`INDEX_BASE_LEVEL`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ._typing import DateLike
from ._validation import as_timestamp, check_index, check_int
from .config import DATA_DIR
from .errors import ConfigError
from .universe import validate_ticker

__all__ = [
    "CD20_LARGEST_CAP",
    "CD20_OTHER_CAP",
    "CD20_WEIGHTINGS",
    "DEFAULT_REBALANCE_MONTHS",
    "INDEX_BASE_LEVEL",
    "SUPPLY_COLUMNS",
    "SUPPLY_CSV",
    "CappedWeights",
    "CryptoIndex",
    "cap_weights",
    "cd20_proxy",
    "cd20_weightings",
    "equal_weight_index",
    "load_supply",
    "rebalance_dates",
    "weightings_levels",
    "weightings_table",
]

#: Table of circulating supplies (one row per crypto ticker).
SUPPLY_CSV: Path = DATA_DIR / "crypto_supply.csv"
#: Required columns of the supply table.
SUPPLY_COLUMNS: tuple[str, ...] = ("ticker", "circulating_supply", "as_of", "source", "note")
#: CD20 cap on the weight of the largest constituent.
CD20_LARGEST_CAP = 0.30
#: CD20 cap on the weight of every other constituent.
CD20_OTHER_CAP = 0.20
#: Quarterly schedule: rebalance on the first available day of March, June, September, December.
DEFAULT_REBALANCE_MONTHS: tuple[int, ...] = (3, 6, 9, 12)
#: Day of the month of a scheduled rebalance (the first available date on or after it is used).
DEFAULT_REBALANCE_DAY = 1
#: Index level on the first day.
INDEX_BASE_LEVEL = 1000.0
#: Weights sum to 1 within this tolerance; a weight exceeds its cap only by more than this.
WEIGHT_TOLERANCE = 1e-12

CD20_PROXY_LABEL = "CoinDesk 20 proxy (capped market-cap weights)"
UNCAPPED_LABEL = "Crypto market-cap index (uncapped weights)"
EQUAL_WEIGHT_LABEL = "Equal-weight crypto index"
#: The weightings of :func:`cd20_weightings`, in table order: CD20 caps, no caps, equal weights.
CD20_WEIGHTINGS: tuple[str, ...] = ("capped", "uncapped", "equal")
#: A cap of 100% never binds (plain market-cap weights).
NO_CAP = 1.0


# ---------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CappedWeights:
    """Capped market-cap weights of one rebalance."""

    weights: pd.Series
    """Final weights (sum to 1), indexed by ticker in the input order."""
    caps: pd.Series
    """Cap of each ticker (``largest_cap`` for the largest market cap, ``other_cap`` otherwise)."""
    capped: tuple[str, ...]
    """Tickers held at their cap by the redistribution (before any rescaling)."""
    feasible: bool
    """False when the caps sum to less than 1, so the capped weights were rescaled to sum to 1."""
    iterations: int
    """Cap-and-redistribute passes until no weight exceeded its cap."""


@dataclass(frozen=True)
class CryptoIndex:
    """A crypto index level series with its weights history and caveats."""

    label: str
    """Display label, e.g. ``"CoinDesk 20 proxy (capped market-cap weights)"``."""
    level: pd.Series
    """Index level on the calendar days of ``crypto_daily``, starting at the base level."""
    weights: pd.DataFrame
    """Target weights set at each rebalance (rows: rebalance dates incl. inception; columns: tickers)."""
    constituents: tuple[str, ...]
    """Tickers in the index."""
    notes: tuple[str, ...]
    """How the index was built and how it differs from the index it stands in for."""

    @property
    def rebalance_dates(self) -> pd.DatetimeIndex:
        """Inception and rebalance dates (the index of :attr:`weights`)."""
        return pd.DatetimeIndex(self.weights.index)


# ---------------------------------------------------------------------------
# Supply table
# ---------------------------------------------------------------------------


def load_supply(path: Path | None = None) -> pd.DataFrame:
    """Read and validate the circulating-supply table.

    Parameters
    ----------
    path
        CSV with columns ``ticker, circulating_supply, as_of, source, note``
        (default :data:`SUPPLY_CSV`, ``data/crypto_supply.csv``).

    Returns
    -------
    pd.DataFrame
        Indexed by ``ticker``; columns ``circulating_supply`` (float),
        ``as_of`` (Timestamp), ``source``, ``note``.

    Raises
    ------
    ConfigError
        If the file is missing, a column is missing, a ticker is malformed or
        listed twice, or a supply is missing, non-numeric or not positive.
    """
    path = path or SUPPLY_CSV
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError as exc:
        raise ConfigError(f"supply table not found: {path}; create it with columns {SUPPLY_COLUMNS}") from exc
    missing = [c for c in SUPPLY_COLUMNS if c not in raw.columns]
    if missing:
        raise ConfigError(f"supply table {path} lacks column(s) {missing}; expected {list(SUPPLY_COLUMNS)}")
    if raw.empty:
        raise ConfigError(f"supply table {path} has no rows; add one row per crypto ticker")
    tickers = [validate_ticker(t) for t in raw["ticker"]]
    dup = pd.Index(tickers)[pd.Index(tickers).duplicated()]
    if len(dup):
        raise ConfigError(f"supply table {path}: ticker {dup[0]} is listed twice; keep one row")
    supply = pd.to_numeric(raw["circulating_supply"].str.replace("_", "", regex=False), errors="coerce")
    for ticker, text, value in zip(tickers, raw["circulating_supply"], supply, strict=True):
        if not (math.isfinite(value) and value > 0):
            raise ConfigError(
                f"supply table {path}: circulating_supply of {ticker} must be a positive number, got {text!r}"
            )
    as_of = pd.to_datetime(raw["as_of"].replace("", None), errors="coerce")
    out = pd.DataFrame(
        {
            "circulating_supply": supply.to_numpy(dtype=np.float64),
            "as_of": as_of.to_numpy(),
            "source": raw["source"].to_numpy(),
            "note": raw["note"].to_numpy(),
        },
        index=pd.Index(tickers, name="ticker"),
    )
    return out


SupplyLike = pd.DataFrame | pd.Series | Mapping[str, float]


def _supply_series(supply: SupplyLike) -> pd.Series:
    """Ticker -> positive circulating supply, from a table, a Series or a mapping."""
    if isinstance(supply, pd.DataFrame):
        if "circulating_supply" not in supply.columns:
            raise ConfigError("supply frame needs a 'circulating_supply' column (see load_supply())")
        frame = supply.set_index("ticker") if "ticker" in supply.columns else supply
        series = frame["circulating_supply"]
    elif isinstance(supply, pd.Series):
        series = supply
    elif isinstance(supply, Mapping):
        series = pd.Series(dict(supply), dtype=np.float64)
    else:
        raise ConfigError(
            f"supply must be a DataFrame, Series or mapping ticker -> supply, got {type(supply).__name__}"
        )
    values = pd.to_numeric(series, errors="coerce").astype(np.float64)
    for ticker, value in values.items():
        if not (math.isfinite(value) and value > 0):
            raise ConfigError(
                f"circulating supply of {ticker} must be a positive number, got {value!r}; "
                "fix data/crypto_supply.csv"
            )
    values.index = pd.Index([str(t) for t in values.index], name="ticker")
    return values


# ---------------------------------------------------------------------------
# Weight capping
# ---------------------------------------------------------------------------


def _check_cap(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ConfigError(f"{name} must be a number in (0, 1], got {value!r}")
    out = float(value)
    if not 0.0 < out <= 1.0:
        raise ConfigError(f"{name} must be in (0, 1] (e.g. 0.30 for 30%), got {value!r}")
    return out


def cap_weights(
    market_caps: pd.Series | Mapping[str, float],
    *,
    largest_cap: float = CD20_LARGEST_CAP,
    other_cap: float = CD20_OTHER_CAP,
) -> CappedWeights:
    """Market-cap weights with caps, redistributing the excess iteratively.

    Parameters
    ----------
    market_caps
        Ticker -> market capitalisation (positive, finite).
    largest_cap
        Cap on the weight of the largest market cap (CD20: 0.30).
    other_cap
        Cap on every other weight (CD20: 0.20).

    Returns
    -------
    CappedWeights
        Final weights, caps, the tickers held at their cap and a feasibility flag.

    Raises
    ------
    ConfigError
        If ``market_caps`` is empty or holds a non-positive or non-finite value,
        or a cap is outside ``(0, 1]``.

    Notes
    -----
    Start from ``w_i = m_i / sum(m)``. Each pass sets every weight above its cap
    to the cap and shares ``1 - sum(capped weights)`` among the uncapped tickers
    in proportion to their market caps; passes repeat until no weight exceeds
    its cap (at most ``n`` passes). If the caps sum to less than 1 (too few
    constituents: 4 assets hold at most 30% + 3 x 20% = 90%), every ticker ends
    at its cap and the capped weights are rescaled to sum to 1,
    ``w_i = cap_i / sum(cap)``; ``feasible`` is then False. Ties for the largest
    market cap go to the first ticker.
    """
    largest = _check_cap(largest_cap, "largest_cap")
    other = _check_cap(other_cap, "other_cap")
    mcap = pd.Series(market_caps, dtype=np.float64) if isinstance(market_caps, Mapping) else market_caps
    if not isinstance(mcap, pd.Series) or mcap.empty:
        raise ConfigError("market_caps is empty: pass at least one ticker with a positive market cap")
    m = mcap.to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~(np.isfinite(m) & (m > 0))
    if bad.any():
        ticker = mcap.index[int(np.flatnonzero(bad)[0])]
        raise ConfigError(f"market cap of {ticker} must be positive and finite, got {mcap[ticker]!r}")
    caps = np.full(m.shape, other)
    caps[int(np.argmax(m))] = largest
    w = m / m.sum()
    at_cap = np.zeros(m.shape, dtype=bool)
    iterations = 0
    while True:
        over = ~at_cap & (w > caps + WEIGHT_TOLERANCE)
        if not over.any():
            break
        iterations += 1
        at_cap |= over
        w[at_cap] = caps[at_cap]
        free = ~at_cap
        if not free.any():
            break
        # Capping only lowers weights that summed to < 1 - sum(free), so this is positive.
        remaining = 1.0 - w[at_cap].sum()
        w[free] = remaining * m[free] / m[free].sum()
    feasible = bool(caps.sum() >= 1.0 - WEIGHT_TOLERANCE)
    if abs(w.sum() - 1.0) > WEIGHT_TOLERANCE:
        w = w / w.sum()
    index = mcap.index
    return CappedWeights(
        weights=pd.Series(w, index=index, name="weight"),
        caps=pd.Series(caps, index=index, name="cap"),
        capped=tuple(str(t) for t in index[at_cap]),
        feasible=feasible,
        iterations=iterations,
    )


# ---------------------------------------------------------------------------
# Schedule and level
# ---------------------------------------------------------------------------


def rebalance_dates(
    dates: pd.DatetimeIndex,
    *,
    months: Sequence[int] = DEFAULT_REBALANCE_MONTHS,
    day: int = DEFAULT_REBALANCE_DAY,
) -> pd.DatetimeIndex:
    """Scheduled rebalance dates mapped onto available dates.

    Parameters
    ----------
    dates
        Available dates (sorted), e.g. the index of ``crypto_daily``.
    months
        Calendar months of the schedule (default March, June, September, December).
    day
        Day of the month of the schedule (default the 1st).

    Returns
    -------
    pd.DatetimeIndex
        For each scheduled date after ``dates[0]`` and not after ``dates[-1]``, the
        first available date on or after it (duplicates removed). The inception
        date ``dates[0]`` is not included.

    Raises
    ------
    ConfigError
        If a month is outside 1..12, ``day`` outside 1..28, or ``dates`` is empty.
    """
    if len(dates) == 0:
        raise ConfigError("no dates: cannot build a rebalance schedule from empty data")
    bad_month = any(isinstance(mo, bool) or not isinstance(mo, int) or not 1 <= mo <= 12 for mo in months)
    if not months or bad_month:
        raise ConfigError(f"months must be integers in 1..12 (e.g. (3, 6, 9, 12)), got {months!r}")
    if isinstance(day, bool) or not isinstance(day, int) or not 1 <= day <= 28:
        raise ConfigError(f"day must be an integer in 1..28, got {day!r}")
    first, last = pd.Timestamp(dates[0]), pd.Timestamp(dates[-1])
    out: list[pd.Timestamp] = []
    for year in range(first.year, last.year + 1):
        for month in sorted(set(months)):
            scheduled = pd.Timestamp(year=year, month=month, day=day)
            if scheduled <= first or scheduled > last:
                continue
            pos = int(dates.searchsorted(scheduled, side="left"))
            if pos < len(dates):
                actual = pd.Timestamp(dates[pos])
                if actual != first and (not out or actual != out[-1]):
                    out.append(actual)
    return pd.DatetimeIndex(out, name="Date")


def _prepare_prices(
    crypto_daily: pd.DataFrame,
    tickers: Sequence[str] | None,
    start: DateLike | None,
    end: DateLike | None,
) -> tuple[pd.DataFrame, list[str]]:
    """Constituent prices on the common window, interior gaps forward-filled; plus notes."""
    if not isinstance(crypto_daily, pd.DataFrame):
        raise ConfigError(
            f"crypto_daily must be a DataFrame (columns = tickers), got {type(crypto_daily).__name__}"
        )
    if crypto_daily.empty or crypto_daily.shape[1] == 0:
        raise ConfigError("crypto_daily is empty: no crypto prices to build an index from")
    check_index(crypto_daily, "crypto_daily")
    notes: list[str] = []
    if tickers is None:
        chosen = [str(c) for c in crypto_daily.columns if crypto_daily[c].notna().any()]
        dropped = [str(c) for c in crypto_daily.columns if str(c) not in chosen]
        if dropped:
            notes.append(f"dropped tickers without any price in crypto_daily: {', '.join(dropped)}")
    else:
        chosen = list(dict.fromkeys(str(t) for t in tickers))
        for t in chosen:
            if t not in crypto_daily.columns:
                available = ", ".join(map(str, crypto_daily.columns))
                raise ConfigError(f"ticker {t!r} not in crypto_daily; available: {available}")
            if not crypto_daily[t].notna().any():
                raise ConfigError(f"ticker {t!r} has no price in crypto_daily; drop it from tickers=")
    if not chosen:
        raise ConfigError("crypto_daily has no ticker with a price; nothing to index")
    frame = crypto_daily[chosen].astype(np.float64)
    values = frame.to_numpy()
    if (~np.isnan(values) & ~(np.isfinite(values) & (values > 0))).any():
        raise ConfigError(
            "crypto_daily holds a non-positive or infinite price; clean it first (analysis.clean)"
        )
    valid_dates = [pd.DatetimeIndex(frame.index[frame[c].notna().to_numpy()]) for c in chosen]
    first_valid = max(pd.Timestamp(v[0]) for v in valid_dates)
    last_valid = min(pd.Timestamp(v[-1]) for v in valid_dates)
    t0 = first_valid if start is None else max(as_timestamp(start, "start"), first_valid)
    t1 = last_valid if end is None else min(as_timestamp(end, "end"), last_valid)
    window = frame.loc[t0:t1]
    if window.empty:
        raise ConfigError(
            f"no common window with a price for every constituent ({', '.join(chosen)}) "
            f"between {start or 'the start'} and {end or 'the end'}"
        )
    gaps = int(window.isna().sum().sum())
    if gaps:
        notes.append(f"{gaps} missing daily closes inside the window carried forward from the previous day")
    return window.ffill(), notes


def _build_level(
    prices: pd.DataFrame,
    schedule: pd.DatetimeIndex,
    weights_at: dict[pd.Timestamp, pd.Series],
    base: float,
) -> pd.Series:
    """Level with units bought at each rebalance close: ``L_t = sum units_i * P_i,t``."""
    values = prices.to_numpy(dtype=np.float64)
    dates = prices.index
    level = np.empty(len(dates))
    rebal_pos = {int(p): d for p, d in zip(dates.get_indexer(schedule), schedule, strict=True)}
    units = np.zeros(values.shape[1])
    current = base
    for i in range(len(dates)):
        if i > 0:
            current = float(units @ values[i])
        level[i] = current
        if i in rebal_pos:
            w = weights_at[rebal_pos[i]].reindex(prices.columns).to_numpy(dtype=np.float64)
            units = w * current / values[i]
    return pd.Series(level, index=dates.copy(), name="level")


def _check_base(base: object) -> float:
    if isinstance(base, bool) or not isinstance(base, int | float | np.integer | np.floating):
        raise ConfigError(f"base must be a positive number (e.g. 1000), got {base!r}")
    out = float(base)
    if not (math.isfinite(out) and out > 0):
        raise ConfigError(f"base must be a positive number (e.g. 1000), got {base!r}")
    return out


def _schedule(
    prices: pd.DataFrame, months: Sequence[int], explicit: Sequence[DateLike] | None
) -> tuple[pd.DatetimeIndex, str]:
    dates = pd.DatetimeIndex(prices.index)
    if explicit is None:
        sched = rebalance_dates(dates, months=months)
        month_names = "/".join(pd.Timestamp(2000, mo, 1).strftime("%b") for mo in sorted(set(months)))
        text = f"first available day on/after the 1st of {month_names}"
    else:
        out: list[pd.Timestamp] = []
        for value in explicit:
            ts = as_timestamp(value, "rebalance date")
            pos = int(dates.searchsorted(ts, side="left"))
            if ts > dates[0] and pos < len(dates) and pd.Timestamp(dates[pos]) not in out:
                out.append(pd.Timestamp(dates[pos]))
        sched = pd.DatetimeIndex(sorted(out), name="Date")
        text = "explicit dates (first available day on/after each)"
    full = pd.DatetimeIndex([dates[0], *sched], name="Date")
    return full, text


def _supply_origin(supply: SupplyLike, tickers: Sequence[str]) -> str:
    """Where the supplies come from, for the notes (as-of dates and sources of a supply table)."""
    if isinstance(supply, pd.DataFrame) and {"as_of", "source"} <= set(supply.columns):
        frame = supply.set_index("ticker") if "ticker" in supply.columns else supply
        rows = frame.loc[[t for t in tickers if t in frame.index]]
        dates = sorted({pd.Timestamp(d).date().isoformat() for d in rows["as_of"] if pd.notna(d)})
        sources = sorted({str(x) for x in rows["source"] if str(x)})
        return f"approximate values as of {', '.join(dates) or 'unknown'}; source: {'; '.join(sources)}"
    return "values passed by the caller"


def _fmt_pct(x: float) -> str:
    return f"{x:.1%}"


def cd20_proxy(
    crypto_daily: pd.DataFrame,
    supply: SupplyLike | None = None,
    *,
    tickers: Sequence[str] | None = None,
    start: DateLike | None = None,
    end: DateLike | None = None,
    rebalance_months: Sequence[int] = DEFAULT_REBALANCE_MONTHS,
    rebalance_on: Sequence[DateLike] | None = None,
    largest_cap: float = CD20_LARGEST_CAP,
    other_cap: float = CD20_OTHER_CAP,
    base: float = INDEX_BASE_LEVEL,
) -> CryptoIndex:
    """CoinDesk 20 proxy: capped market-cap weights, quarterly rebalance, daily level.

    Parameters
    ----------
    crypto_daily
        Calendar-daily closes of the crypto tickers (7 days a week), DatetimeIndex.
    supply
        Circulating supply per ticker: the :func:`load_supply` table, a Series or
        a mapping. Default: read ``data/crypto_supply.csv``.
    tickers
        Constituents (default: every column of ``crypto_daily`` with a price).
    start, end
        Optional window; default the longest window in which every constituent
        has a price (interior gaps are carried forward).
    rebalance_months
        Months of the quarterly schedule (default Mar/Jun/Sep/Dec; the first
        available day on or after the 1st is used).
    rebalance_on
        Explicit rebalance dates instead of ``rebalance_months``.
    largest_cap, other_cap
        Weight caps (CD20: 0.30 on the largest asset, 0.20 on the others).
    base
        Level on the first day (default 1000).

    Returns
    -------
    CryptoIndex
        Level series, target weights per rebalance date, constituents and notes
        on how the proxy differs from the real CD20.

    Raises
    ------
    ConfigError
        If ``crypto_daily`` is empty, a ticker is not a column of it or has no
        row in the supply table, a supply is not positive, or a parameter is
        invalid.

    Notes
    -----
    Market cap ``m_i,t = P_i,t * S_i`` with constant supply ``S_i``; weights
    from :func:`cap_weights` at inception and each rebalance (using that day's
    close), then drifting with prices until the next rebalance. With constant
    supply and no binding caps the index is buy-and-hold of the market caps.
    """
    prices, notes = _prepare_prices(crypto_daily, tickers, start, end)
    constituents = [str(c) for c in prices.columns]
    supply_table = load_supply() if supply is None else supply
    sup = _supply_series(supply_table)
    for t in constituents:
        if t not in sup.index:
            source = "data/crypto_supply.csv" if supply is None else "the supply table"
            raise ConfigError(
                f"no circulating supply for {t} in {source}; add a row for it or pass tickers= without it"
            )
    supply_origin = _supply_origin(supply_table, constituents)
    base_level = _check_base(base)
    _check_cap(largest_cap, "largest_cap")
    _check_cap(other_cap, "other_cap")
    schedule, schedule_text = _schedule(prices, rebalance_months, rebalance_on)
    s = sup.reindex(constituents).to_numpy(dtype=np.float64)
    weights_at: dict[pd.Timestamp, pd.Series] = {}
    infeasible: list[pd.Timestamp] = []
    for d in schedule:
        mcaps = pd.Series(prices.loc[d].to_numpy(dtype=np.float64) * s, index=constituents)
        cw = cap_weights(mcaps, largest_cap=largest_cap, other_cap=other_cap)
        weights_at[pd.Timestamp(d)] = cw.weights
        if not cw.feasible:
            infeasible.append(pd.Timestamp(d))
    level = _build_level(prices, schedule, weights_at, base_level)
    weights = pd.DataFrame(weights_at).T.reindex(columns=constituents)
    weights.index = pd.DatetimeIndex(weights.index, name="Date")

    n = len(constituents)
    out_notes = [
        f"PROXY, not the CoinDesk 20: {n} constituents ({', '.join(constituents)}) instead of the 20 "
        "assets of the real index.",
        f"Market caps = daily close x circulating supply held constant ({supply_origin}); the real "
        "index uses current supplies, so weights here move with prices only.",
        f"Rebalanced at the daily close (UTC) of the {schedule_text} ({len(schedule) - 1} rebalances "
        f"after inception on {schedule[0].date()}), an approximation of the CD20's quarterly "
        "rebalance; levels come from daily closes, not the index provider's price feed.",
    ]
    if infeasible:
        example = weights_at[infeasible[-1]]
        top = str(example.idxmax())
        top_w = float(example.max())
        others = f", the others {_fmt_pct(float(example.drop(top).max()))} each" if n > 1 else ""
        out_notes.append(
            f"Caps infeasible with {n} constituents ({_fmt_pct(largest_cap)} + {n - 1} x "
            f"{_fmt_pct(other_cap)} = {_fmt_pct(largest_cap + (n - 1) * other_cap)} < 100%): capped "
            f"weights rescaled to sum to 1 at {len(infeasible)} of {len(schedule)} rebalance dates "
            f"(e.g. {top} {_fmt_pct(top_w)}{others}), close to equal weight."
        )
    out_notes.extend(notes)
    return CryptoIndex(
        label=CD20_PROXY_LABEL,
        level=level,
        weights=weights,
        constituents=tuple(constituents),
        notes=tuple(out_notes),
    )


def equal_weight_index(
    crypto_daily: pd.DataFrame,
    *,
    tickers: Sequence[str] | None = None,
    start: DateLike | None = None,
    end: DateLike | None = None,
    rebalance_months: Sequence[int] = DEFAULT_REBALANCE_MONTHS,
    rebalance_on: Sequence[DateLike] | None = None,
    base: float = INDEX_BASE_LEVEL,
) -> CryptoIndex:
    """Equal-weight crypto index with the same schedule and mechanics as :func:`cd20_proxy`.

    Parameters
    ----------
    crypto_daily
        Calendar-daily closes of the crypto tickers, DatetimeIndex.
    tickers, start, end, rebalance_months, rebalance_on, base
        As in :func:`cd20_proxy`.

    Returns
    -------
    CryptoIndex
        Level, weights (``1/n`` at every rebalance), constituents and notes.

    Raises
    ------
    ConfigError
        If ``crypto_daily`` is empty, a ticker is missing or a parameter is invalid.

    Notes
    -----
    ``w_i = 1/n`` at inception and each rebalance, drifting with prices in between.
    """
    prices, notes = _prepare_prices(crypto_daily, tickers, start, end)
    constituents = [str(c) for c in prices.columns]
    base_level = _check_base(base)
    schedule, schedule_text = _schedule(prices, rebalance_months, rebalance_on)
    equal = pd.Series(1.0 / len(constituents), index=constituents, name="weight")
    weights_at = {pd.Timestamp(d): equal for d in schedule}
    level = _build_level(prices, schedule, weights_at, base_level)
    weights = pd.DataFrame(weights_at).T.reindex(columns=constituents)
    weights.index = pd.DatetimeIndex(weights.index, name="Date")
    out_notes = [
        f"Equal weights (1/{len(constituents)}) over {', '.join(constituents)}, reset at the daily close "
        f"(UTC) of the {schedule_text} ({len(schedule) - 1} rebalances after inception on "
        f"{schedule[0].date()}); a comparison for the CD20 proxy, not a published index.",
        *notes,
    ]
    return CryptoIndex(
        label=EQUAL_WEIGHT_LABEL,
        level=level,
        weights=weights,
        constituents=tuple(constituents),
        notes=tuple(out_notes),
    )


def cd20_weightings(
    crypto_daily: pd.DataFrame,
    supply: SupplyLike | None = None,
    *,
    tickers: Sequence[str] | None = None,
    start: DateLike | None = None,
    end: DateLike | None = None,
    rebalance_months: Sequence[int] = DEFAULT_REBALANCE_MONTHS,
    rebalance_on: Sequence[DateLike] | None = None,
    base: float = INDEX_BASE_LEVEL,
) -> dict[str, CryptoIndex]:
    """The CD20 proxy under several defensible weightings of the same constituents.

    Parameters
    ----------
    crypto_daily, supply, tickers, start, end, rebalance_months, rebalance_on, base
        As in :func:`cd20_proxy`.

    Returns
    -------
    dict[str, CryptoIndex]
        Keys :data:`CD20_WEIGHTINGS`: ``"capped"`` (:func:`cd20_proxy`, the CD20
        caps 30%/20%), ``"uncapped"`` (plain market-cap weights) and ``"equal"``
        (:func:`equal_weight_index`), all with the same schedule.

    Notes
    -----
    With only a handful of constituents the CD20 caps cannot all hold (see
    :func:`cap_weights`), so no single weighting is "the" proxy; the claims
    table checks the article's figure against the range of these three.
    """

    def proxy(largest_cap: float, other_cap: float) -> CryptoIndex:
        return cd20_proxy(
            crypto_daily,
            supply,
            tickers=tickers,
            start=start,
            end=end,
            rebalance_months=rebalance_months,
            rebalance_on=rebalance_on,
            largest_cap=largest_cap,
            other_cap=other_cap,
            base=base,
        )

    capped = proxy(CD20_LARGEST_CAP, CD20_OTHER_CAP)
    plain = proxy(NO_CAP, NO_CAP)
    uncapped = dataclasses.replace(
        plain,
        label=UNCAPPED_LABEL,
        notes=(
            "Uncapped market-cap weights (no CD20 caps): the largest asset dominates.",
            *plain.notes,
        ),
    )
    equal = equal_weight_index(
        crypto_daily,
        tickers=tickers,
        start=start,
        end=end,
        rebalance_months=rebalance_months,
        rebalance_on=rebalance_on,
        base=base,
    )
    return {"capped": capped, "uncapped": uncapped, "equal": equal}


def weightings_table(weightings: Mapping[str, CryptoIndex], as_of: DateLike) -> pd.DataFrame:
    """Weights in force at ``as_of`` under each weighting (rows: tickers, columns: weightings).

    Parameters
    ----------
    weightings
        :func:`cd20_weightings` (or any mapping name -> :class:`CryptoIndex`).
    as_of
        The weights set at the last rebalance on or before this date are shown.

    Returns
    -------
    pd.DataFrame
        Fractions summing to 1 per column; index ``ticker``.
    """
    t = pd.Timestamp(as_timestamp(as_of, "as_of")).normalize()
    cols: dict[str, pd.Series] = {}
    for name, idx in weightings.items():
        w = idx.weights.loc[:t]
        if w.empty:
            raise ConfigError(f"weighting {name!r} has no rebalance on or before {t.date()}")
        cols[name] = w.iloc[-1]
    out = pd.DataFrame(cols)
    out.index.name = "ticker"
    return out


def weightings_levels(
    weightings: Mapping[str, CryptoIndex], as_of: DateLike, *, days: int = 120
) -> pd.DataFrame:
    """Index levels of each weighting over the ``days`` calendar days to ``as_of`` (columns: labels)."""
    t = pd.Timestamp(as_timestamp(as_of, "as_of")).normalize()
    n = check_int(days, "days", minimum=2)
    frame = pd.DataFrame({idx.label: idx.level for idx in weightings.values()})
    return frame.loc[t - pd.Timedelta(days=n) : t]
