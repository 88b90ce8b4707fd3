"""AI-news days: the catalogue ``data/ai_news.csv`` and co-movement on those sessions.

Does crypto move with tech "during periods of AI-related news"? The catalogue
lists well-known AI-news days (model releases, NVIDIA results, infrastructure
deals, the DeepSeek sell-off) with the time of day of the news; the effective
session comes from the XNYS calendar (news after the close counts on the next
session). :func:`ai_news_comparison` compares the correlation and the lower-tail
co-exceedance of pairs such as BTC-^NDX on news sessions (and the following
ones) with other sessions, by a block-permutation test; :func:`ai_news_events`
turns the catalogue into an events frame for :func:`analysis.events.event_study`,
flagging same-session confounds with ``data/events.csv``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from . import config
from ._typing import DateLike, Pair
from ._validation import as_timestamp, check_choice, check_index, check_int, check_open_unit, require_columns
from .calendar import next_session
from .errors import ConfigError
from .events import DEFAULT_ESTIMATION_WINDOW, DEFAULT_MIN_ESTIMATION, MODELS, EventModel, load_events
from .multiplicity import holm
from .universe import validate_ticker

__all__ = [
    "AI_NEWS_CSV",
    "BTC_RESPONSE_MODEL",
    "CHECKED_VALUES",
    "DEFAULT_BLOCK",
    "DEFAULT_EVENT_TICKERS",
    "DEFAULT_N_PERMUTATIONS",
    "DEFAULT_PAIRS",
    "DEFAULT_QUANTILE",
    "DEFAULT_WINDOW",
    "KINDS",
    "MIN_BLOCKS",
    "MIN_GROUP_OBS",
    "NEWS_COLUMNS",
    "RESPONSE_FACTORS",
    "RESPONSE_MODEL",
    "RESPONSE_WINDOW",
    "TIMINGS",
    "AINewsComparison",
    "AINewsResponses",
    "ai_news_comparison",
    "ai_news_events",
    "ai_news_responses",
    "comparison_sentence",
    "comparison_table",
    "effective_session",
    "load_ai_news",
    "news_headline",
    "news_indicator",
    "pairs_with_data",
    "responses_sentence",
]

#: The catalogue shipped with the package.
AI_NEWS_CSV: Path = config.DATA_DIR / "ai_news.csv"
#: Columns of the catalogue, in order.
NEWS_COLUMNS: tuple[str, ...] = (
    "news_id",
    "date",
    "timing",
    "label",
    "kind",
    "reference",
    "checked",
    "notes",
)
#: When the news reached the market, relative to the US session of ``date``.
TIMINGS: tuple[str, ...] = ("before_open", "during", "after_close")
#: Kinds of AI news.
KINDS: tuple[str, ...] = ("model_release", "earnings", "infrastructure", "deal", "market_shock")
#: ``checked``: whether date and timing were confirmed against a source during cataloguing.
CHECKED_VALUES: tuple[str, ...] = ("yes", "no")
#: News session and the next one (relative sessions, inclusive).
DEFAULT_WINDOW: tuple[int, int] = (0, 1)
#: Lower-tail level of the co-exceedance (each series' worst 5% of sessions).
DEFAULT_QUANTILE = 0.05
#: Block length of the permutation test, in sessions (about one month).
DEFAULT_BLOCK = 20
#: Number of block permutations.
DEFAULT_N_PERMUTATIONS = 2000
#: BTC and the AI-pivot miners against the Nasdaq-100.
DEFAULT_PAIRS: tuple[Pair, ...] = (
    ("BTC-USD", "^NDX"),
    ("IREN", "^NDX"),
    ("WULF", "^NDX"),
    ("HUT", "^NDX"),
    ("ABTC", "^NDX"),
)
#: Tickers whose event responses are studied (BTC is a factor of the two-factor model).
DEFAULT_EVENT_TICKERS: tuple[str, ...] = ("IREN", "WULF", "HUT", "ABTC")
#: Fewest news and other sessions for a statistic.
MIN_GROUP_OBS = 4
#: Fewest blocks in a pair's sample for a permutation p-value.
MIN_BLOCKS = 5
#: Event window of the news responses: the news session and the next (as :data:`DEFAULT_WINDOW`).
RESPONSE_WINDOW: tuple[int, int] = DEFAULT_WINDOW
#: Model of the miners' responses: the event study's two-factor model (``^NDX``, BTC and lagged BTC).
RESPONSE_MODEL = "two_factor"
#: Model of BTC's own response: the event study's market model on ``^NDX`` (BTC is not its own factor).
BTC_RESPONSE_MODEL = "market"
#: Factors of :data:`RESPONSE_MODEL` (the tickers the responses need).
RESPONSE_FACTORS: tuple[str, ...] = MODELS[RESPONSE_MODEL].factors
#: Significance level quoted in the prose.
PROSE_ALPHA = 0.05
#: Percent per fraction.
PERCENT = 100.0

Alternative = Literal["greater", "less", "two-sided"]
_ALTERNATIVES: tuple[str, ...] = ("greater", "less", "two-sided")
_STATISTICS: tuple[str, ...] = ("correlation", "coexceedance")
_LIST_SEPARATOR = ", "
_DATE_FORMAT = "%Y-%m-%d"


# ----------------------------------------------------------------------------- catalogue


def effective_session(date: DateLike, timing: str) -> pd.Timestamp:
    """First XNYS session whose close reflects news released at ``date`` / ``timing``.

    ``before_open`` and ``during``: the session on or after ``date``;
    ``after_close``: the first session strictly after ``date``.

    Raises
    ------
    ConfigError
        Unknown ``timing`` or a date that cannot be parsed.
    """
    check_choice(timing, "timing", TIMINGS)
    day = as_timestamp(date, "date").normalize()
    if timing == "after_close":
        return next_session(day + pd.Timedelta(days=1))
    return next_session(day)


def load_ai_news(path: Path | str = AI_NEWS_CSV) -> pd.DataFrame:
    """Load and validate the AI-news catalogue.

    Parameters
    ----------
    path
        CSV with columns :data:`NEWS_COLUMNS`: ``news_id`` (unique, no spaces),
        ``date`` (``YYYY-MM-DD``, US Eastern), ``timing`` (one of
        :data:`TIMINGS`), ``label``, ``kind`` (one of :data:`KINDS`),
        ``reference`` (who reported it), ``checked`` (``yes``/``no``) and
        ``notes`` (may be empty).

    Returns
    -------
    pd.DataFrame
        One row per news item in file order: the catalogue columns (``date`` a
        ``Timestamp``, ``checked`` a bool) plus ``session``, the effective
        session (:func:`effective_session`).

    Raises
    ------
    ConfigError
        Missing or unreadable file, missing column, empty field, duplicate
        ``news_id``, bad date or unknown ``timing``/``kind``/``checked``; the
        message names the file, the line and the column.
    """
    path = Path(path)
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False)
    except FileNotFoundError as exc:
        raise ConfigError(f"AI-news file not found: {path}") from exc
    except pd.errors.EmptyDataError as exc:
        raise ConfigError(f"AI-news file {path} is empty; expected header {','.join(NEWS_COLUMNS)}") from exc
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise ConfigError(f"AI-news file {path} is not a valid CSV file: {exc}") from exc
    raw.columns = [str(c).strip() for c in raw.columns]
    missing = [c for c in NEWS_COLUMNS if c not in raw.columns]
    if missing:
        raise ConfigError(
            f"AI-news file {path}: missing column(s) {', '.join(repr(c) for c in missing)}; "
            f"expected columns: {', '.join(NEWS_COLUMNS)}"
        )
    choices = {"timing": TIMINGS, "kind": KINDS, "checked": CHECKED_VALUES}
    records: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for i, row in enumerate(raw.loc[:, list(NEWS_COLUMNS)].itertuples(index=False, name=None)):
        line = i + 2  # line 1 is the header
        values = {c: str(v).strip() for c, v in zip(NEWS_COLUMNS, row, strict=True)}
        nid = values["news_id"]

        def fail(column: str, problem: str, *, _line: int = line, _nid: str = nid) -> ConfigError:
            who = f" (news_id {_nid!r})" if _nid else ""
            return ConfigError(f"AI-news file {path}, line {_line}{who}, column {column!r}: {problem}")

        for column in NEWS_COLUMNS[:-1]:
            if not values[column]:
                raise fail(column, "is empty; fill it in")
        if any(ch.isspace() for ch in nid):
            raise fail("news_id", f"{nid!r} contains whitespace; use e.g. 'ai-deepseek-2025-01'")
        if nid in seen:
            raise fail("news_id", f"{nid!r} duplicates line {seen[nid]}; news ids must be unique")
        seen[nid] = line
        for column, allowed in choices.items():
            if values[column] not in allowed:
                raise fail(column, f"{values[column]!r} is not one of {', '.join(allowed)}")
        try:
            when = pd.Timestamp(pd.to_datetime(values["date"], format=_DATE_FORMAT))
        except (ValueError, TypeError):
            raise fail("date", f"cannot parse {values['date']!r} as a date; use YYYY-MM-DD") from None
        records.append(
            {
                **values,
                "date": when,
                "checked": values["checked"] == "yes",
                "session": effective_session(when, values["timing"]),
            }
        )
    if not records:
        raise ConfigError(f"AI-news file {path} has a header but no news")
    out = pd.DataFrame.from_records(records, columns=[*NEWS_COLUMNS, "session"])
    out["date"] = pd.to_datetime(out["date"])
    out["session"] = pd.to_datetime(out["session"])
    return out


def _news_sessions(news: pd.DataFrame) -> pd.DatetimeIndex:
    if not isinstance(news, pd.DataFrame) or "session" not in news.columns:
        raise ConfigError("news must be the frame returned by load_ai_news (with a 'session' column)")
    return pd.DatetimeIndex(pd.to_datetime(news["session"])).normalize()


def _check_window(window: tuple[int, int]) -> tuple[int, int]:
    try:
        lo, hi = (int(w) for w in window)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"window must be a pair of integers (first, last), got {window!r}") from exc
    if lo > hi:
        raise ConfigError(f"window {window!r} is reversed: pass (first, last) with first <= last")
    return lo, hi


def news_indicator(
    index: pd.DatetimeIndex, news: pd.DataFrame, window: tuple[int, int] = DEFAULT_WINDOW
) -> pd.Series:
    """Boolean flag of the sessions of ``index`` in any news item's window.

    Parameters
    ----------
    index
        Sorted session dates (e.g. ``returns.index``).
    news
        Catalogue from :func:`load_ai_news`.
    window
        Inclusive rows relative to the effective session, default ``(0, 1)``:
        the news session and the next row of ``index``.

    Returns
    -------
    pd.Series
        ``bool`` named ``"ai_news"`` on ``index``. News whose session is not in
        ``index`` (outside the data) is ignored; windows are cut at the ends.
    """
    lo, hi = _check_window(window)
    idx = pd.DatetimeIndex(index)
    pos = idx.get_indexer(_news_sessions(news))
    flag = np.zeros(len(idx), dtype=bool)
    for p in pos[pos >= 0]:
        flag[max(p + lo, 0) : max(min(p + hi + 1, len(idx)), 0)] = True
    return pd.Series(flag, index=idx, name="ai_news")


# ----------------------------------------------------------------------------- comparison


@dataclass(frozen=True)
class AINewsComparison:
    """Co-movement on AI-news sessions versus other sessions.

    Attributes
    ----------
    table
        One row per (pair, statistic); see :meth:`summary_frame`.
    indicator
        News flag on the returns index (``window`` applied).
    window, quantile, block, n_permutations, alternative, seed
        Settings used.

    There is no ``conf_int``: the p-values come from permuting the news indicator in
    blocks, which tests "no difference" without giving a sampling distribution of the
    ``difference`` itself (an interval would need a separate bootstrap of two unequal,
    clustered groups of news sessions, which this comparison does not run).
    """

    table: pd.DataFrame
    indicator: pd.Series
    window: tuple[int, int]
    quantile: float
    block: int
    n_permutations: int
    alternative: str
    seed: int | None

    def summary_frame(self, alpha: float = 0.05) -> pd.DataFrame:
        """The comparison table plus ``reject`` (Holm-adjusted p < ``alpha``).

        Columns: ``a, b, statistic`` (``correlation``: Pearson; ``coexceedance``:
        share of sessions with both in their lower ``quantile`` tail),
        ``n, n_news, n_other, news, other, difference`` (news minus other),
        ``p_value`` (block-permutation), ``p_holm`` (Holm over every row),
        ``reject``, ``n_permutations, block, reason`` (why a row is NaN).
        """
        level = check_open_unit(alpha, "alpha", example="0.05")
        out = self.table.copy()
        p_holm = out["p_holm"].to_numpy(dtype=np.float64)
        reject = pd.array(p_holm < level, dtype="boolean")
        reject[np.isnan(p_holm)] = pd.NA
        out["reject"] = reject
        return out


def _block_draws(n: int, block: int, n_perm: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Random block-grid offsets ``(n_perm,)`` and block orders ``(n_perm, blocks)`` of the permutations."""
    m = -(-n // block)  # blocks per row
    offsets = rng.integers(block, size=n_perm)
    orders = rng.permuted(np.tile(np.arange(m), (n_perm, 1)), axis=1)
    return offsets, orders


def _block_permutations(n: int, block: int, n_perm: int, rng: np.random.Generator) -> np.ndarray:
    """(n_perm, n) row indices: blocks of ``block`` rows in random order, random block grid offset.

    Row ``k`` cuts the circle of rows into blocks of ``block`` starting at a random offset
    (the last block is shorter when ``block`` does not divide ``n``), puts the blocks in a
    random order and lays them out from that offset again. The test uses only where the news
    rows land (:func:`_news_positions`); this full layout defines the scheme.
    """
    offsets, orders = _block_draws(n, block, n_perm, rng)
    return _laid_out_blocks(n, block, offsets, orders)


def _slot_sizes(n: int, block: int, orders: np.ndarray) -> np.ndarray:
    """Size of the block in each slot ``(n_perm, blocks)``: ``block``, the last block shorter."""
    sizes = np.full(orders.shape[1], block, dtype=np.int64)
    sizes[-1] = n - (orders.shape[1] - 1) * block
    out: np.ndarray = sizes[orders]
    return out


def _slots(n: int, block: int, orders: np.ndarray) -> np.ndarray:
    """First laid-out position of each slot ``(n_perm, blocks)``."""
    slot_sizes = _slot_sizes(n, block, orders)
    starts: np.ndarray = np.cumsum(slot_sizes, axis=1) - slot_sizes
    return starts


def _laid_out_blocks(n: int, block: int, offsets: np.ndarray, orders: np.ndarray) -> np.ndarray:
    """Row indices of :func:`_block_permutations` from its draws (grid offsets, block orders)."""
    n_perm = orders.shape[0]
    slot_sizes = _slot_sizes(n, block, orders).ravel()
    # for every output position: its slot's block and its step within that block
    blocks = np.repeat(orders.ravel(), slot_sizes).reshape(n_perm, n)
    within = np.arange(n)[None, :] - np.repeat(_slots(n, block, orders).ravel(), slot_sizes).reshape(
        n_perm, n
    )
    laid = (blocks * block + within + offsets[:, None]) % n  # row taken at each laid-out position
    out = np.empty((n_perm, n), dtype=np.int64)
    cols = (np.arange(n)[None, :] + offsets[:, None]) % n  # laid out from the offset again
    np.put_along_axis(out, cols, laid, axis=1)
    return out


def _news_positions(
    rows: np.ndarray, n: int, block: int, offsets: np.ndarray, orders: np.ndarray
) -> np.ndarray:
    """Where :func:`_laid_out_blocks` puts each of ``rows``: ``(n_perm, len(rows))`` positions.

    The inverse of each permutation at the news rows only: a few dozen values per
    permutation instead of all ``n`` (the statistics need only the news rows' positions).
    """
    shifted = (np.asarray(rows, dtype=np.int64)[None, :] - offsets[:, None]) % n  # in the rolled circle
    blocks, within = shifted // block, shifted % block
    slot_of_block = np.argsort(orders, axis=1)
    slot = np.take_along_axis(slot_of_block, blocks, axis=1)
    laid = np.take_along_axis(_slots(n, block, orders), slot, axis=1) + within
    out: np.ndarray = (laid + offsets[:, None]) % n
    return out


def _group_sums(pos: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, float]:
    """Sums of ``values`` at each row of positions ``pos`` (P, k), and the total over all rows."""
    return values[pos].sum(axis=1), float(values.sum())


def _group_corr(pos: np.ndarray, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pearson correlation on the news rows at ``pos`` (P, k) and on the other rows."""
    k, n = pos.shape[1], len(x)
    sums = [_group_sums(pos, v) for v in (x, y, x * y, x * x, y * y)]

    def corr(part: list[np.ndarray], count: float) -> np.ndarray:
        sx, sy, sxy, sxx, syy = part
        with np.errstate(divide="ignore", invalid="ignore"):
            cxy = sxy - sx * sy / count
            cxx = sxx - sx * sx / count
            cyy = syy - sy * sy / count
            out: np.ndarray = cxy / np.sqrt(cxx * cyy)
        return out

    news = [s for s, _ in sums]
    other = [total - s for s, total in sums]
    return corr(news, float(k)), corr(other, float(n - k))


def _group_share(pos: np.ndarray, joint: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Share of joint tail days among the news rows at ``pos`` (P, k) and among the other rows."""
    k, n = pos.shape[1], len(joint)
    hits, total = _group_sums(pos, joint)
    with np.errstate(divide="ignore", invalid="ignore"):
        return hits / k, (total - hits) / (n - k)


def _pvalue(observed: float, null: np.ndarray, alternative: str) -> float:
    null = null[np.isfinite(null)]
    if not math.isfinite(observed) or null.size == 0:
        return float("nan")
    if alternative == "greater":
        hits = np.sum(null >= observed)
    elif alternative == "less":
        hits = np.sum(null <= observed)
    else:
        hits = np.sum(np.abs(null) >= abs(observed))
    return float((1 + hits) / (1 + null.size))


def ai_news_comparison(
    returns: pd.DataFrame,
    news: pd.DataFrame,
    pairs: Sequence[Pair] = DEFAULT_PAIRS,
    *,
    window: tuple[int, int] = DEFAULT_WINDOW,
    quantile: float = DEFAULT_QUANTILE,
    n_permutations: int = DEFAULT_N_PERMUTATIONS,
    block: int = DEFAULT_BLOCK,
    alternative: Alternative = "greater",
    seed: int | None = 0,
) -> AINewsComparison:
    """Correlation and tail co-exceedance of pairs on AI-news sessions versus other sessions.

    Parameters
    ----------
    returns
        Wide daily log returns on a sorted ``DatetimeIndex`` of sessions.
    news
        Catalogue from :func:`load_ai_news`.
    pairs
        ``(a, b)`` tickers, default BTC and the miners against ``^NDX``.
    window
        News rows relative to each effective session, default ``(0, 1)``.
    quantile
        Lower-tail level in (0, 0.5) of the co-exceedance.
    n_permutations
        Block permutations of the news indicator (>= 99).
    block
        Block length in sessions (>= 1; 1 is an ordinary permutation).
    alternative
        ``"greater"`` (default: stronger co-movement on news sessions),
        ``"less"`` or ``"two-sided"``.
    seed
        Seed of ``np.random.default_rng`` (``None``: fresh entropy).

    Returns
    -------
    AINewsComparison

    Raises
    ------
    ConfigError
        Unknown ticker, bad window, quantile, block or permutation count.

    Notes
    -----
    Per pair, rows where both tickers are present; ``D_t`` flags news rows.
    Statistics: ``corr(a, b | D) - corr(a, b | not D)`` and ``share(J | D) -
    share(J | not D)`` with ``J_t = [a_t <= Q_a(quantile)] [b_t <= Q_b(quantile)]``
    (empirical quantiles on the pair's sample). The null distribution moves
    the *indicator*, not the returns: the rows are cut into blocks of
    ``block`` sessions (random grid offset) that are put in random order,
    which keeps the returns' volatility clustering and cross-correlation
    untouched and keeps the news days' own clustering (window pairs, news
    bursts) within blocks; an iid permutation would scatter the clustered
    news days and understate how much a correlation on few, adjacent days
    varies. ``p = (1 + #{null >= observed}) / (1 + n_permutations)``; Holm
    over all rows. A statistic is NaN (with ``reason``) with fewer than
    :data:`MIN_GROUP_OBS` news or other rows; the p-value also with fewer
    than :data:`MIN_BLOCKS` blocks. With few news days the co-exceedance
    count is small and discrete (about ``quantile^2`` per session), so its
    test is conservative.
    """
    check_index(returns, "returns")
    lo, hi = _check_window(window)
    q = check_open_unit(quantile, "quantile", upper=0.5, example="0.05")
    n_perm = check_int(n_permutations, "n_permutations", minimum=99, unit="permutations")
    blk = check_int(block, "block", minimum=1)
    check_choice(alternative, "alternative", _ALTERNATIVES)
    pair_list = [(str(a), str(b)) for a, b in pairs]
    if not pair_list:
        raise ConfigError("pairs is empty: pass at least one (a, b) pair, e.g. ('BTC-USD', '^NDX')")
    for a, b in pair_list:
        require_columns(returns, [a, b])
        if a == b:
            raise ConfigError(f"pair ({a!r}, {b!r}) repeats a ticker: pass two different tickers")
    flag = news_indicator(pd.DatetimeIndex(returns.index), news, (lo, hi))
    rng = np.random.default_rng(seed)
    rows: list[dict[str, Any]] = []
    for a, b in pair_list:
        pair = returns[[a, b]].astype(np.float64).dropna()
        x, y = pair[a].to_numpy(), pair[b].to_numpy()
        d = flag.reindex(pair.index).to_numpy(dtype=bool)
        n, n_news = len(pair), int(d.sum())
        too_few = min(n_news, n - n_news) < MIN_GROUP_OBS
        reason = ""
        if too_few:
            reason = f"{n_news} news and {n - n_news} other sessions; need >= {MIN_GROUP_OBS} of each"
        elif n // blk < MIN_BLOCKS:
            reason = f"{n} sessions make {n // blk} blocks of {blk}; need >= {MIN_BLOCKS} for a p-value"
        joint = np.zeros(n)
        if n:
            thresholds = np.quantile(pair.to_numpy(), q, axis=0)
            joint = ((x <= thresholds[0]) & (y <= thresholds[1])).astype(np.float64)
        rows_news = np.flatnonzero(d)
        observed = {
            "correlation": _group_corr(rows_news[None, :], x, y),
            "coexceedance": _group_share(rows_news[None, :], joint),
        }
        null: dict[str, np.ndarray] = {}
        if not reason:
            offsets, orders = _block_draws(n, blk, n_perm, rng)
            pos = _news_positions(rows_news, n, blk, offsets, orders)
            c1, c0 = _group_corr(pos, x, y)
            s1, s0 = _group_share(pos, joint)
            null = {"correlation": c1 - c0, "coexceedance": s1 - s0}
        for stat in _STATISTICS:
            news_v, other_v = float(observed[stat][0][0]), float(observed[stat][1][0])
            if too_few:
                news_v = other_v = float("nan")
            diff = news_v - other_v
            rows.append(
                {
                    "a": a,
                    "b": b,
                    "statistic": stat,
                    "n": int(n),
                    "n_news": n_news,
                    "n_other": int(n - n_news),
                    "news": news_v,
                    "other": other_v,
                    "difference": diff,
                    "p_value": _pvalue(diff, null[stat], alternative) if stat in null else float("nan"),
                    "n_permutations": n_perm,
                    "block": blk,
                    "reason": reason,
                }
            )
    table = pd.DataFrame(rows)
    p = table["p_value"].to_numpy(dtype=np.float64)
    table.insert(list(table.columns).index("p_value") + 1, "p_holm", holm(p))
    return AINewsComparison(
        table=table,
        indicator=flag,
        window=(lo, hi),
        quantile=q,
        block=blk,
        n_permutations=n_perm,
        alternative=alternative,
        seed=seed,
    )


# ----------------------------------------------------------------------------- events


def ai_news_events(
    news: pd.DataFrame,
    confounds: pd.DataFrame | None = None,
    *,
    tickers: Sequence[str] = DEFAULT_EVENT_TICKERS,
) -> pd.DataFrame:
    """The catalogue as an events frame for :func:`analysis.events.event_study`.

    Parameters
    ----------
    news
        Catalogue from :func:`load_ai_news`.
    confounds
        Events to check for same-session overlap, as returned by
        :func:`analysis.events.load_events`; default ``load_events()`` (the
        study's ``data/events.csv``).
    tickers
        Tickers whose responses are studied on every news day, default the
        miners. BTC cannot be a ticker of the two-factor model
        ``factors=("^NDX", "BTC-USD")``; study it with ``factors=("^NDX",)``.

    Returns
    -------
    pd.DataFrame
        The columns of :func:`analysis.events.load_events` (``event_id`` =
        ``news_id``, ``date`` = the effective session, ``tickers`` a tuple,
        ``label``, ``reference``, ``notes`` with a confound sentence appended) plus
        ``news_date``, ``timing``, ``kind``, ``checked``, ``confounds``
        (comma-separated ids of events on the same session),
        ``confounded_tickers`` (tuple: tickers of this frame that those events
        also name) and ``confounded`` (bool).

    Raises
    ------
    ConfigError
        A malformed ticker or an empty ticker list.

    Notes
    -----
    Same session: a confounding event's date rolls to the session on or after
    it (as in ``event_study``); it overlaps when that equals the news item's
    effective session. Only day 0 is compared (overlapping event windows are
    handled by ``event_study``'s ``overlaps`` and ``exclude_overlaps``).
    """
    sessions = _news_sessions(news)
    missing = [c for c in NEWS_COLUMNS if c not in news.columns]
    if missing:
        raise ConfigError(f"news is missing column(s) {', '.join(missing)}: pass the frame of load_ai_news()")
    studied = tuple(dict.fromkeys(validate_ticker(t) for t in tickers))
    if not studied:
        raise ConfigError("tickers is empty: pass at least one ticker, e.g. ('IREN',)")
    others = load_events() if confounds is None else confounds
    require_columns(others, ["event_id", "date", "tickers"], "confounds")
    other_sessions = [next_session(pd.Timestamp(d)) for d in pd.to_datetime(others["date"])]
    other_tickers = [set(t.split()) if isinstance(t, str) else {str(v) for v in t} for t in others["tickers"]]
    records: list[dict[str, Any]] = []
    for i, session in enumerate(sessions):
        hits = [j for j, s in enumerate(other_sessions) if s == session]
        ids = [str(others["event_id"].iloc[j]) for j in hits]
        shared = tuple(t for t in studied if any(t in other_tickers[j] for j in hits))
        notes = str(news["notes"].iloc[i])
        if ids:
            has_label = "label" in others.columns
            labels = "; ".join(
                f"{ids[k]} ({others['label'].iloc[j]})" if has_label else ids[k] for k, j in enumerate(hits)
            )
            who = f" affecting {' '.join(shared)}" if shared else ""
            notes = f"{notes} Confound: same session as {labels}{who}.".strip()
        records.append(
            {
                "event_id": str(news["news_id"].iloc[i]),
                "date": session,
                "tickers": studied,
                "label": str(news["label"].iloc[i]),
                "reference": str(news["reference"].iloc[i]),
                "notes": notes,
                "news_date": pd.Timestamp(news["date"].iloc[i]),
                "timing": str(news["timing"].iloc[i]),
                "kind": str(news["kind"].iloc[i]),
                "checked": bool(news["checked"].iloc[i]),
                "confounds": _LIST_SEPARATOR.join(ids),
                "confounded_tickers": shared,
                "confounded": bool(ids),
            }
        )
    out = pd.DataFrame.from_records(records)
    out["date"] = pd.to_datetime(out["date"])
    out["news_date"] = pd.to_datetime(out["news_date"])
    return out


# ----------------------------------------------------------------------------- presentation


def pairs_with_data(returns: pd.DataFrame, pairs: Sequence[Pair] = DEFAULT_PAIRS) -> list[Pair]:
    """The pairs of ``pairs`` whose two tickers both have returns (a ticker subset drops the rest)."""

    def has(t: str) -> bool:
        return t in returns.columns and bool(returns[t].notna().any())

    return [(str(a), str(b)) for a, b in pairs if has(str(a)) and has(str(b))]


def comparison_table(comparison: AINewsComparison, alpha: float = 0.05) -> pd.DataFrame:
    """The AI-news comparison for reading: one row per pair and statistic, readable columns.

    Columns: ``pair, statistic, news sessions, other sessions, on news, on other, difference,
    p (block permutation), p (Holm), significant, reason``. Co-exceedances are shares (0-1).
    """
    t = comparison.summary_frame(alpha)
    return pd.DataFrame(
        {
            "pair": [f"{a} / {b}" for a, b in zip(t["a"], t["b"], strict=True)],
            "statistic": t["statistic"].map(
                {
                    "correlation": "correlation",
                    "coexceedance": f"lower-tail co-exceedance ({comparison.quantile:g})",
                }
            ),
            "news sessions": t["n_news"].astype(int),
            "other sessions": t["n_other"].astype(int),
            "on news": t["news"],
            "on other": t["other"],
            "difference": t["difference"],
            "p (block permutation)": t["p_value"],
            "p (Holm)": t["p_holm"],
            "significant": t["reject"],
            "reason": t["reason"],
        }
    )


def comparison_sentence(comparison: AINewsComparison, alpha: float = PROSE_ALPHA) -> str:
    """What the AI-news comparison says, computed from its table (one paragraph of Markdown)."""
    t = comparison.summary_frame(alpha)
    corr = t.loc[t["statistic"] == "correlation"]
    lines = []
    for r in corr.to_dict("records"):
        if pd.isna(r["news"]):
            lines.append(f"{r['a']}/{r['b']}: not computed ({r['reason']})")
            continue
        p = (
            "no p-value"
            if pd.isna(r["p_value"])
            else f"p = {float(r['p_value']):.3f}, Holm p = {float(r['p_holm']):.3f}"
        )
        lines.append(
            f"{r['a']}/{r['b']} correlation {float(r['news']):.2f} on {r['n_news']} news sessions vs "
            f"{float(r['other']):.2f} on {r['n_other']} others ({float(r['difference']):+.2f}; {p})"
        )
    tested = int(t["p_holm"].notna().sum())
    hits = t.loc[t["reject"].fillna(False).astype(bool)]
    verdict = (
        f"After Holm over {tested} tests, {len(hits)} difference(s) are significant at {alpha:g}: "
        + ", ".join(f"{r.a}/{r.b} {r.statistic}" for r in hits.itertuples())
        + "."
        if len(hits)
        else f"After Holm over {tested} tests, no difference is significant at {alpha:g}: on this catalogue, "
        "co-movement on AI-news sessions is not measurably stronger than on other sessions."
    )
    lo, hi = comparison.window
    return (
        f"News sessions are each catalogued item's effective session and the next ({lo:+d}..{hi:+d}); "
        f"p-values move the news indicator in blocks of {comparison.block} sessions "
        f"({comparison.n_permutations} permutations, alternative: {comparison.alternative}). "
        + "; ".join(lines)
        + ". "
        + verdict
    )


@dataclass(frozen=True)
class AINewsResponses:
    """Abnormal returns of BTC and the miners on AI-news sessions.

    Attributes
    ----------
    table
        One row per (news item, ticker): ``news_id, label, kind, checked, news_date, session,
        ticker, model, car, car_log, se, t, p, df, n_est, estimable, reason, confounded, confounds,
        confounded_ticker`` (``car`` = cumulative abnormal return over :attr:`window` as a
        simple return, ``expm1(car_log)``; ``car_log`` = the summed abnormal log returns, which
        ``se, t, p`` test with Student t on ``df`` degrees of freedom; ``model`` =
        :meth:`analysis.events.EventModel.describe`;
        ``confounded_ticker``: another catalogued event on the same session names this ticker).
    window
        Event window in sessions relative to the news session.
    models
        Ticker -> model description (:meth:`analysis.events.EventModel.describe`).
    """

    table: pd.DataFrame
    window: tuple[int, int]
    models: dict[str, str]

    def summary_frame(self) -> pd.DataFrame:
        """The response table (every row, estimable or not, with its reason)."""
        return self.table.copy()

    def conf_int(self, alpha: float = PROSE_ALPHA) -> pd.DataFrame:
        """Intervals at level ``1 - alpha`` of every estimable CAR, in log and simple returns.

        Returns
        -------
        pd.DataFrame
            ``news_id, ticker, car_log, ci_low, ci_high, car, ci_low_simple, ci_high_simple``:
            ``car_log -+ t_{df, 1-alpha/2} se`` and its ``expm1`` transform (as
            :meth:`analysis.events.EventStudyResult.conf_int`).
        """
        level = check_open_unit(alpha, "alpha", example="0.05")
        from scipy import stats

        est = self.table.loc[self.table["estimable"]]
        q = stats.t.ppf(1.0 - level / 2.0, est["df"].to_numpy(dtype=np.float64))
        car = est["car_log"].to_numpy(dtype=np.float64)
        half = q * est["se"].to_numpy(dtype=np.float64)
        out = est.loc[:, ["news_id", "ticker"]].assign(car_log=car, ci_low=car - half, ci_high=car + half)
        out["car"] = np.expm1(car)
        out["ci_low_simple"] = np.expm1(car - half)
        out["ci_high_simple"] = np.expm1(car + half)
        return out.reset_index(drop=True)

    def wide(self) -> pd.DataFrame:
        """CAR (fractions) of estimable rows: index ``news_id``, columns tickers (for a heatmap)."""
        est = self.table.loc[self.table["estimable"]]
        out = est.pivot(index="news_id", columns="ticker", values="car")
        order = list(dict.fromkeys(self.table["news_id"]))
        tickers = list(dict.fromkeys(self.table["ticker"]))
        out = out.reindex(
            index=[n for n in order if n in out.index], columns=[t for t in tickers if t in out.columns]
        )
        out.columns.name = None
        return out

    def by_ticker(self, alpha: float = PROSE_ALPHA) -> pd.DataFrame:
        """Per ticker: ``ticker, model, news, estimable, mean_car, median_car, positive,
        significant`` (count with p < ``alpha``), ``confounded``."""
        level = check_open_unit(alpha, "alpha", example="0.05")
        rows = []
        for ticker, part in self.table.groupby("ticker", sort=False):
            est = part.loc[part["estimable"]]
            rows.append(
                {
                    "ticker": str(ticker),
                    "model": self.models.get(str(ticker), ""),
                    "news": len(part),
                    "estimable": len(est),
                    "mean_car": float(est["car"].mean()) if len(est) else np.nan,
                    "median_car": float(est["car"].median()) if len(est) else np.nan,
                    "positive": int((est["car"] > 0).sum()),
                    "significant": int((est["p"] < level).sum()),
                    "confounded": int(part["confounded_ticker"].sum()),
                }
            )
        return pd.DataFrame(rows)


def _event_model(model: EventModel | str, name: str) -> EventModel:
    """An :class:`analysis.events.EventModel`, by name from :data:`analysis.events.MODELS` if a string."""
    if isinstance(model, EventModel):
        return model
    return MODELS[check_choice(model, name, tuple(MODELS))]


def ai_news_responses(
    returns: pd.DataFrame,
    news: pd.DataFrame,
    *,
    tickers: Sequence[str] = DEFAULT_EVENT_TICKERS,
    btc: str | None = "BTC-USD",
    model: EventModel | str = RESPONSE_MODEL,
    btc_model: EventModel | str = BTC_RESPONSE_MODEL,
    event_window: tuple[int, int] = RESPONSE_WINDOW,
    estimation_window: tuple[int, int] = DEFAULT_ESTIMATION_WINDOW,
    min_estimation: int = DEFAULT_MIN_ESTIMATION,
    confounds: pd.DataFrame | None = None,
) -> AINewsResponses:
    """Event responses on AI-news sessions: the miners with the two-factor model, BTC with ``^NDX``.

    Parameters
    ----------
    returns
        Wide daily log returns.
    news
        Catalogue from :func:`load_ai_news`.
    tickers
        Tickers studied with ``model`` (those without returns, or among its factors, are left out).
    btc
        BTC's ticker, studied with ``btc_model``; ``None`` skips it.
    model
        Normal-return model of ``tickers``: an :class:`analysis.events.EventModel` or a name in
        :data:`analysis.events.MODELS`; default the event study's ``two_factor`` model
        (``^NDX``, ``BTC-USD`` and ``BTC-USD[t-1]``).
    btc_model
        Model of BTC's own response, default the event study's ``market`` model on ``^NDX``
        (BTC cannot be a factor of its own regression).
    event_window, estimation_window, min_estimation
        As in :func:`analysis.events.event_study`.
    confounds
        Other catalogued events (default ``data/events.csv``) for the same-session flags.

    Returns
    -------
    AINewsResponses

    Raises
    ------
    ConfigError
        A factor without returns, an unknown model name, ``btc`` among ``btc_model``'s
        factors, or bad windows (from ``event_study``).

    Notes
    -----
    The single place that calls :func:`analysis.events.event_study` for the AI-news days, so
    a change of that API is adapted here. News items are the rows of
    :func:`ai_news_events`; a news session outside the data is not estimable (``reason``).
    """
    from .events import event_study

    main = _event_model(model, "model")
    require_columns(returns, list(main.factors))
    have = [
        t
        for t in tickers
        if t in returns.columns and bool(returns[t].notna().any()) and t not in main.factors
    ]
    runs: list[tuple[tuple[str, ...], EventModel]] = []
    if have:
        runs.append((tuple(have), main))
    if btc is not None and btc in returns.columns:
        own = _event_model(btc_model, "btc_model")
        if btc in own.factors:
            raise ConfigError(
                f"btc_model {own.name!r} has {btc} among its factors {own.factors}: BTC cannot explain "
                "its own response; pass e.g. 'market' (^NDX only)"
            )
        require_columns(returns, list(own.factors))
        runs.append(((btc,), own))
    if not runs:
        raise ConfigError(f"no ticker of {list(tickers)} (or {btc}) has returns: nothing to study")
    frames = []
    models: dict[str, str] = {}
    for studied, spec in runs:
        events = ai_news_events(news, confounds, tickers=studied)
        result = event_study(
            returns,
            events,
            models=(spec,),
            estimation_window=estimation_window,
            event_window=event_window,
            sub_windows=(),
            min_estimation=min_estimation,
            tickers=studied,
        )
        car = result.car
        meta = events.set_index("event_id")
        rows = pd.DataFrame(
            {
                "news_id": car["event_id"].astype(str),
                "ticker": car["ticker"].astype(str),
                "model": spec.describe(),
                "car": car["car_simple"].astype(np.float64),
                "car_log": car["car_log"].astype(np.float64),
                "se": car["se"].astype(np.float64),
                "t": car["t"].astype(np.float64),
                "p": car["p"].astype(np.float64),
                "df": car["df"].astype(np.float64),
                "n_est": car["n_est"],
                "estimable": car["estimable"].astype(bool),
                "reason": car["reason"].fillna("").astype(str),
            }
        )
        joined = rows.join(
            meta[
                [
                    "label",
                    "kind",
                    "checked",
                    "news_date",
                    "date",
                    "confounded",
                    "confounds",
                    "confounded_tickers",
                ]
            ],
            on="news_id",
        )
        joined["confounded_ticker"] = [
            t in shared for t, shared in zip(joined["ticker"], joined["confounded_tickers"], strict=True)
        ]
        frames.append(joined.rename(columns={"date": "session"}))
        models.update({t: spec.describe() for t in studied})
    table = pd.concat(frames, ignore_index=True)
    columns = [
        "news_id", "label", "kind", "checked", "news_date", "session", "ticker", "model", "car", "car_log",
        "se", "t", "p", "df", "n_est", "estimable", "reason", "confounded", "confounds",
        "confounded_ticker",
    ]  # fmt: skip
    rank = {
        "news_id": {nid: i for i, nid in enumerate(news["news_id"])},
        "ticker": {t: i for i, t in enumerate(t for studied, _ in reversed(runs) for t in studied)},
    }
    table = table.sort_values(
        ["news_id", "ticker"], key=lambda col: col.map(rank[str(col.name)]), kind="stable"
    )
    table["n_est"] = table["n_est"].astype("Int64")
    return AINewsResponses(
        table=table.loc[:, columns].reset_index(drop=True),
        window=(int(event_window[0]), int(event_window[1])),
        models=models,
    )


def responses_sentence(responses: AINewsResponses, alpha: float = PROSE_ALPHA) -> str:
    """What the AI-news event responses say, per ticker, with the confounded sessions named."""
    lo, hi = responses.window
    per = responses.by_ticker(alpha)
    parts = []
    for r in per.to_dict("records"):
        if r["estimable"] == 0:
            parts.append(f"{r['ticker']}: no estimable news session")
            continue
        parts.append(
            f"{r['ticker']} ({r['model']}): mean CAR {PERCENT * float(r['mean_car']):+.1f}% over "
            f"{r['estimable']} news sessions, {r['positive']} positive, {r['significant']} significant "
            f"at {alpha:g}"
        )
    t = responses.table
    conf = t.loc[t["confounded"]].drop_duplicates("news_id")
    conf_text = (
        " Confounded sessions (another catalogued event the same session): "
        + "; ".join(
            f"{pd.Timestamp(r['session']):%Y-%m-%d} {r['news_id']} with {r['confounds']}"
            for r in conf.to_dict("records")
        )
        + "; their abnormal returns cannot be attributed to the AI news alone."
        if len(conf)
        else " No news session coincides with another catalogued event."
    )
    n_not = int((~t["estimable"]).sum())
    not_text = (
        f" {n_not} (news, ticker) rows are not estimable (e.g. sessions before a listing; reasons in "
        "the table)."
        if n_not
        else ""
    )
    return (
        f"Cumulative abnormal returns over sessions {lo:+d}..{hi:+d} of each AI-news item, as simple "
        "returns (exp(log CAR) - 1; the t-tests are on the log CAR). "
        + "; ".join(parts)
        + "."
        + conf_text
        + not_text
        + " Unadjusted per-row p-values: with many news items, a few are significant by chance."
    )


def news_headline(
    comparison: AINewsComparison | None, responses: AINewsResponses | None
) -> list[dict[str, Any]]:
    """Headline numbers of the AI-news sections (skipped sections give none).

    Returns
    -------
    list of dict
        ``name, value, unit, text, note``: the first pair's (BTC's) correlation difference on
        news sessions, and the mean news-session CAR per market model (BTC alone; the miners
        pooled over every estimable news item).
    """
    out: list[dict[str, Any]] = []
    if comparison is not None:
        t = comparison.summary_frame()
        corr = t.loc[(t["statistic"] == "correlation") & t["difference"].notna()]
        if len(corr):
            r = corr.iloc[0]
            p = "no p-value" if pd.isna(r["p_holm"]) else f"Holm p = {float(r['p_holm']):.3f}"
            out.append(
                {
                    "name": f"{r['a']}/{r['b']} correlation, AI-news minus other sessions",
                    "value": float(r["difference"]),
                    "unit": "corr",
                    "text": f"{float(r['difference']):+.2f}",
                    "note": f"{int(r['n_news'])} news sessions; {p}",
                }
            )
    if responses is not None:
        t = responses.table.loc[responses.table["estimable"]]
        lo, hi = responses.window
        groups = {str(m): part for m, part in t.groupby("model", sort=False)}
        for model, part in groups.items():
            present = set(part["ticker"])
            tickers = ", ".join(t for t, m in responses.models.items() if m == model and t in present)
            mean = PERCENT * float(part["car"].mean())
            out.append(
                {
                    "name": f"Mean abnormal return on AI-news sessions: {tickers}",
                    "value": mean,
                    "unit": "%",
                    "text": f"{mean:+.2f}%",
                    "note": f"{len(part)} (news, ticker) rows, sessions {lo:+d}..{hi:+d}, simple-return "
                    f"CARs, {model}",
                }
            )
    return out
