"""Event study (MacKinlay 1997) of the catalogued events in ``data/events.csv``.

A market model (one factor, the tech index ``^NDX``, optionally plus ``BTC-USD``)
is estimated by OLS over an estimation window of sessions before each event;
abnormal returns (AR) over the event window are the ticker's returns minus the
model's prediction, cumulated into CARs with t-statistics that include the
estimation error of the model (prediction variance).

Relative days count rows of the returns frame (sessions): day 0 is the event's
session (the first session on/after the event date), day -1 the session before.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from . import config
from .errors import ConfigError, ShortSampleWarning
from .universe import validate_ticker

__all__ = [
    "DEFAULT_ESTIMATION_WINDOW",
    "DEFAULT_EVENT_WINDOW",
    "DEFAULT_FACTORS",
    "DEFAULT_MIN_ESTIMATION",
    "DEFAULT_SUB_WINDOWS",
    "EVENT_COLUMNS",
    "EVENT_DATE_FORMAT",
    "TICKER_SEPARATOR",
    "EventStudyResult",
    "event_study",
    "load_events",
]

#: Columns of the events catalogue, in order.
EVENT_COLUMNS: tuple[str, ...] = ("event_id", "date", "tickers", "label", "source", "notes")
#: Separator of tickers inside the ``tickers`` field.
TICKER_SEPARATOR = " "
#: Date format of the ``date`` field.
EVENT_DATE_FORMAT = "%Y-%m-%d"
#: Default market-model factors: the tech index only (add ``"BTC-USD"`` for two factors).
DEFAULT_FACTORS: tuple[str, ...] = ("^NDX",)
#: Default estimation window in sessions relative to the event session (inclusive).
DEFAULT_ESTIMATION_WINDOW: tuple[int, int] = (-120, -11)
#: Default event window in sessions relative to the event session (inclusive).
DEFAULT_EVENT_WINDOW: tuple[int, int] = (-1, 5)
#: Default CAR sub-windows reported besides the full event window.
DEFAULT_SUB_WINDOWS: tuple[tuple[int, int], ...] = ((0, 0), (-1, 1), (0, 1))
#: Default fewest estimation observations for a model to be estimated.
DEFAULT_MIN_ESTIMATION = 30

_CONST = "const"
_LIST_SEPARATOR = ", "


# ----------------------------------------------------------------------------- catalogue


def _row_error(path: Path, line: int, event_id: str, column: str, problem: str) -> ConfigError:
    who = f" (event_id {event_id!r})" if event_id else ""
    return ConfigError(f"events file {path}, line {line}{who}, column {column!r}: {problem}")


def load_events(path: Path | str = config.EVENTS_CSV) -> pd.DataFrame:
    """Load and validate the events catalogue.

    Parameters
    ----------
    path
        CSV file with columns :data:`EVENT_COLUMNS`: ``event_id`` (unique, no
        spaces), ``date`` (``YYYY-MM-DD``), ``tickers`` (separated by spaces),
        ``label``, ``source`` (the publication that reports the event) and
        ``notes`` (may be empty; flags confounds).

    Returns
    -------
    pd.DataFrame
        One row per event in file order with the columns of :data:`EVENT_COLUMNS`;
        ``date`` is a ``Timestamp`` and ``tickers`` a tuple of validated tickers.

    Raises
    ------
    ConfigError
        Missing or unreadable file, missing column, empty field, duplicate
        ``event_id``, bad date or malformed ticker; the message names the file,
        the line and the column.
    """
    path = Path(path)
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False)
    except FileNotFoundError as exc:
        raise ConfigError(f"events file not found: {path}") from exc
    except pd.errors.EmptyDataError as exc:
        raise ConfigError(f"events file {path} is empty; expected header {','.join(EVENT_COLUMNS)}") from exc
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise ConfigError(f"events file {path} is not a valid CSV file: {exc}") from exc
    raw.columns = [str(c).strip() for c in raw.columns]
    missing = [c for c in EVENT_COLUMNS if c not in raw.columns]
    if missing:
        raise ConfigError(
            f"events file {path}: missing column(s) {', '.join(repr(c) for c in missing)}; "
            f"expected columns: {', '.join(EVENT_COLUMNS)}"
        )

    records: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for i, row in enumerate(raw.loc[:, list(EVENT_COLUMNS)].itertuples(index=False, name=None)):
        line = i + 2  # line 1 is the header
        values = {c: str(v).strip() for c, v in zip(EVENT_COLUMNS, row, strict=True)}
        eid = values["event_id"]

        def fail(column: str, problem: str, *, _line: int = line, _eid: str = eid) -> ConfigError:
            return _row_error(path, _line, _eid, column, problem)

        for column in ("event_id", "date", "tickers", "label", "source"):
            if not values[column]:
                raise fail(column, "is empty; fill it in")
        if any(ch.isspace() for ch in eid):
            raise fail("event_id", f"{eid!r} contains whitespace; use e.g. 'iren-msft-2025-11'")
        if eid in seen:
            raise fail("event_id", f"{eid!r} duplicates line {seen[eid]}; event ids must be unique")
        seen[eid] = line
        try:
            when = pd.to_datetime(values["date"], format=EVENT_DATE_FORMAT)
        except (ValueError, TypeError):
            raise fail("date", f"cannot parse {values['date']!r} as a date; use YYYY-MM-DD") from None
        tickers: list[str] = []
        for token in values["tickers"].split():
            try:
                ticker = validate_ticker(token)
            except ConfigError as exc:
                raise fail("tickers", str(exc)) from None
            if ticker not in tickers:
                tickers.append(ticker)
        records.append(
            {
                "event_id": eid,
                "date": pd.Timestamp(when),
                "tickers": tuple(tickers),
                "label": values["label"],
                "source": values["source"],
                "notes": values["notes"],
            }
        )
    if not records:
        raise ConfigError(f"events file {path} has a header but no events")
    out = pd.DataFrame.from_records(records, columns=list(EVENT_COLUMNS))
    out["date"] = pd.to_datetime(out["date"])
    return out


# ----------------------------------------------------------------------------- validation


def _require_tickers(returns: pd.DataFrame, tickers: Sequence[str]) -> None:
    for t in tickers:
        if t not in returns.columns:
            available = ", ".join(str(c) for c in returns.columns)
            raise ConfigError(f"ticker {t!r} not in returns; available: {available}")


def _check_window(name: str, window: tuple[int, int]) -> tuple[int, int]:
    try:
        lo, hi = (int(w) for w in window)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{name} must be a pair of integers (first, last), got {window!r}") from exc
    if lo > hi:
        raise ConfigError(f"{name} {window!r} is reversed: pass (first, last) with first <= last")
    return lo, hi


def _event_tickers(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(value.split())
    return tuple(str(v) for v in value)


def _normalise_events(events: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(events, pd.DataFrame):
        raise ConfigError(f"events must be a DataFrame (see load_events), got {type(events).__name__}")
    missing = [c for c in ("event_id", "date", "tickers") if c not in events.columns]
    if missing:
        raise ConfigError(f"events is missing column(s) {', '.join(missing)} (see load_events)")
    if events.empty:
        raise ConfigError("events is empty: pass at least one event")
    out = events.copy()
    out["event_id"] = out["event_id"].astype(str)
    dupes = out["event_id"][out["event_id"].duplicated()].unique().tolist()
    if dupes:
        raise ConfigError(f"events has duplicate event_id(s): {', '.join(dupes)}")
    try:
        out["date"] = pd.to_datetime(out["date"]).dt.normalize()
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"events 'date' column has a value that is not a date: {exc}") from exc
    out["tickers"] = [_event_tickers(v) for v in out["tickers"]]
    if "label" not in out.columns:
        out["label"] = ""
    return out.reset_index(drop=True)


# ----------------------------------------------------------------------------- results


@dataclass(frozen=True)
class EventStudyResult:
    """Tidy results of :func:`event_study`.

    Attributes
    ----------
    car
        One row per (event, ticker), *including* rows that could not be
        estimated: ``event_id, ticker, label, event_date, session, rolled,
        window, rel_start, rel_end, n_days, car, se, t, p, df, n_est,
        est_start, est_end, n_excluded, model, alpha, beta[<factor>]...,
        sigma, overlaps, estimable, reason, warnings``. CAR statistics are over
        the full event window.
    car_windows
        One row per (event, ticker, window) for the event window and every
        sub-window: ``event_id, ticker, window, rel_start, rel_end, n_days, car,
        se, t, p``.
    ar
        One row per (event, ticker, relative day) for estimable pairs:
        ``event_id, ticker, rel_day, date, ret, expected, ar, se, t, p, car``
        (``car`` = cumulative AR from the window start to that day).
    factors, estimation_window, event_window, variance
        The settings used.
    """

    car: pd.DataFrame
    car_windows: pd.DataFrame
    ar: pd.DataFrame
    factors: tuple[str, ...]
    estimation_window: tuple[int, int]
    event_window: tuple[int, int]
    variance: str

    @property
    def ar_wide(self) -> pd.DataFrame:
        """AR for plotting: index ``rel_day``, columns (``event_id``, ``ticker``)."""
        return self.ar.pivot(index="rel_day", columns=["event_id", "ticker"], values="ar")

    @property
    def car_wide(self) -> pd.DataFrame:
        """Cumulative AR for plotting: index ``rel_day``, columns (``event_id``, ``ticker``)."""
        return self.ar.pivot(index="rel_day", columns=["event_id", "ticker"], values="car")


def _window_label(lo: int, hi: int) -> str:
    return f"({lo:+d},{hi:+d})"


def _model_label(factors: Sequence[str]) -> str:
    return f"{len(factors)}-factor market model: const + {' + '.join(factors)}"


# ----------------------------------------------------------------------------- study


def event_study(
    returns: pd.DataFrame,
    events: pd.DataFrame,
    *,
    factors: Sequence[str] = DEFAULT_FACTORS,
    estimation_window: tuple[int, int] = DEFAULT_ESTIMATION_WINDOW,
    event_window: tuple[int, int] = DEFAULT_EVENT_WINDOW,
    sub_windows: Sequence[tuple[int, int]] = DEFAULT_SUB_WINDOWS,
    min_estimation: int = DEFAULT_MIN_ESTIMATION,
    tickers: Sequence[str] | None = None,
    exclude_overlaps: bool = True,
    variance: Literal["prediction", "simple"] = "prediction",
) -> EventStudyResult:
    """Market-model event study of every (event, ticker) pair.

    Parameters
    ----------
    returns
        Wide daily log returns indexed by a sorted ``DatetimeIndex`` of sessions.
    events
        Catalogue as returned by :func:`load_events` (needs ``event_id``, ``date``
        and ``tickers``; ``tickers`` may be a tuple or a space-separated string).
    factors
        Market-model factors, e.g. ``("^NDX",)`` or ``("^NDX", "BTC-USD")``.
    estimation_window, event_window
        Inclusive windows in sessions relative to the event session, e.g.
        ``(-120, -11)`` and ``(-1, 5)``; the estimation window must end before the
        event window starts.
    sub_windows
        Further CAR windows inside the event window.
    min_estimation
        Fewest estimation observations; below it the pair is reported as not
        estimable (``estimable=False`` with the ``reason``).
    tickers
        Restrict the study to these tickers (others in the catalogue are
        skipped); ``None`` studies every catalogued ticker, which must then all
        be columns of ``returns``.
    exclude_overlaps
        Drop other catalogued events' event windows (same ticker) from the
        estimation window.
    variance
        ``"prediction"`` (default, with the estimation-error correction) or
        ``"simple"`` (``sigma^2`` per day, ``L2 sigma^2`` for a CAR).

    Returns
    -------
    EventStudyResult

    Raises
    ------
    ConfigError
        Unknown ticker or factor, malformed or overlapping windows, estimation
        window longer than the data, ``min_estimation`` too small or larger than
        the estimation window, sub-window outside the event window.

    Warns
    -----
    ShortSampleWarning
        When fewer estimation sessions than requested have data but at least
        ``min_estimation`` (e.g. ABTC, listed 2025-09-03); the window actually used
        is in ``n_est``, ``est_start`` and ``est_end``.

    Notes
    -----
    Market model on the estimation sample (L1 = ``n_est`` rows, k parameters):
    ``R_t = a + b' F_t + e_t`` by OLS, ``sigma^2 = SSR / (L1 - k)``. For the
    event-window rows ``X*`` (constant and factors):

    * ``AR = R* - X* theta``;
    * ``V = sigma^2 (I + X* (X'X)^-1 X*')`` (MacKinlay 1997): the
      prediction variance, i.e. ``sigma^2`` plus the estimation error;
    * ``CAR(t1, t2) = g' AR`` with g the indicator of days t1..t2 and
      ``Var(CAR) = g' V g``; with ``variance="simple"`` it is ``L2 sigma^2``
      (L2 = number of days with data in the window);
    * ``t = AR / sqrt(V_tt)``, ``t = CAR / sqrt(Var(CAR))``; two-sided p-values
      from Student's t with ``L1 - k`` degrees of freedom (exact under normal
      errors; MacKinlay's asymptotic N(0, 1) for large L1).

    Estimation sample: sessions in the estimation window, minus other
    catalogued events' event windows for the same ticker (``n_excluded``),
    minus rows where the ticker or a factor is NaN (e.g. before listing).
    Event dates that are not sessions roll to the next session (``session``,
    ``rolled``). An event window cut off by the end of the data is truncated
    and noted in ``warnings``. ``overlaps`` lists other events of the same
    ticker whose event windows intersect this one (comma-separated ids).
    """
    if not isinstance(returns, pd.DataFrame) or not isinstance(returns.index, pd.DatetimeIndex):
        raise ConfigError("returns must be a DataFrame indexed by a DatetimeIndex of sessions")
    if returns.empty:
        raise ConfigError("returns is empty: pass a frame with at least one session and one ticker")
    if not returns.index.is_monotonic_increasing or returns.index.has_duplicates:
        raise ConfigError("returns index must be sorted ascending without duplicate dates (sort_index())")
    if variance not in ("prediction", "simple"):
        raise ConfigError(f"variance must be 'prediction' or 'simple', got {variance!r}")
    fac = (factors,) if isinstance(factors, str) else tuple(factors)
    if not fac:
        raise ConfigError("factors is empty: pass at least one factor, e.g. ('^NDX',)")
    _require_tickers(returns, fac)
    est_lo, est_hi = _check_window("estimation_window", estimation_window)
    ev_lo, ev_hi = _check_window("event_window", event_window)
    if est_hi >= ev_lo:
        raise ConfigError(
            f"estimation_window {estimation_window!r} overlaps event_window {event_window!r}: the "
            f"estimation window must end before the event window starts (e.g. ({est_lo}, {ev_lo - 1}))"
        )
    n_requested = est_hi - est_lo + 1
    if n_requested > len(returns):
        raise ConfigError(
            f"estimation_window {estimation_window!r} spans {n_requested} sessions but returns has only "
            f"{len(returns)}: shorten the window or pass more data"
        )
    k = len(fac) + 1
    if min_estimation < k + 1:
        raise ConfigError(f"min_estimation must be >= {k + 1} for {k} parameters, got {min_estimation}")
    if min_estimation > n_requested:
        raise ConfigError(
            f"min_estimation={min_estimation} exceeds the estimation window length {n_requested} "
            f"{estimation_window!r}: lower min_estimation or widen the window"
        )
    windows: list[tuple[int, int]] = [(ev_lo, ev_hi)]
    for sub in sub_windows:
        lo, hi = _check_window("sub_windows entry", sub)
        if lo < ev_lo or hi > ev_hi:
            raise ConfigError(
                f"sub-window {sub!r} is outside event_window {event_window!r}: keep sub-windows inside it"
            )
        if (lo, hi) not in windows:
            windows.append((lo, hi))

    catalogue = _normalise_events(events)
    selected = None if tickers is None else {validate_ticker(t) for t in tickers}
    pairs: list[tuple[int, str]] = []
    for i, evt in enumerate(catalogue["tickers"]):
        for t in evt:
            if selected is None or t in selected:
                pairs.append((i, t))
    if not pairs:
        raise ConfigError(f"no (event, ticker) pairs to study: tickers={tickers!r} matches no event")
    needed = list(dict.fromkeys(t for _, t in pairs))
    _require_tickers(returns, needed)
    for t in needed:
        if t in fac:
            raise ConfigError(f"ticker {t!r} is also a market-model factor {fac}: drop it from factors")

    sessions = returns.index
    n_sessions = len(sessions)
    # Event session position per event (None: outside the data).
    positions: list[int | None] = []
    event_dates = pd.DatetimeIndex(catalogue["date"])
    for when in event_dates:
        first_on_after = int(sessions.searchsorted(when, side="left"))
        inside = sessions[0] <= when and first_on_after < n_sessions
        positions.append(first_on_after if inside else None)
    # Event-window positions per ticker: ticker -> [(event_id, set of positions)].
    windows_by_ticker: dict[str, list[tuple[str, set[int]]]] = {}
    for i, evt in enumerate(catalogue["tickers"]):
        pos_i = positions[i]
        if pos_i is None:
            continue
        span = set(range(pos_i + ev_lo, pos_i + ev_hi + 1))
        for t in evt:
            windows_by_ticker.setdefault(t, []).append((str(catalogue.at[i, "event_id"]), span))

    y_all = returns.loc[:, needed].to_numpy(dtype=np.float64)
    col_of = {t: j for j, t in enumerate(needed)}
    f_all = returns.loc[:, list(fac)].to_numpy(dtype=np.float64)
    x_all = np.column_stack([np.ones(n_sessions), f_all])
    x_ok = np.isfinite(f_all).all(axis=1)

    car_rows: list[dict[str, Any]] = []
    window_rows: list[dict[str, Any]] = []
    ar_frames: list[pd.DataFrame] = []
    to_warn: list[str] = []
    model = _model_label(fac)
    for i, ticker in pairs:
        eid = str(catalogue.at[i, "event_id"])
        event_date = event_dates[i]
        pos = positions[i]
        row: dict[str, Any] = {
            "event_id": eid,
            "ticker": ticker,
            "label": str(catalogue.at[i, "label"]),
            "event_date": event_date,
            "session": pd.NaT if pos is None else sessions[pos],
            "rolled": False if pos is None else bool(sessions[pos] != event_date),
            "window": _window_label(ev_lo, ev_hi),
            "rel_start": ev_lo,
            "rel_end": ev_hi,
            "n_days": 0,
            "car": np.nan,
            "se": np.nan,
            "t": np.nan,
            "p": np.nan,
            "df": np.nan,
            "n_est": 0,
            "est_start": pd.NaT,
            "est_end": pd.NaT,
            "n_excluded": 0,
            "model": model,
            "alpha": np.nan,
            **{f"beta[{f}]": np.nan for f in fac},
            "sigma": np.nan,
            "overlaps": "",
            "estimable": False,
            "reason": "",
            "warnings": "",
        }
        notes: list[str] = []
        if pos is None:
            row["reason"] = (
                f"event date {event_date.date()} is outside the data "
                f"({sessions[0].date()} to {sessions[-1].date()})"
            )
            car_rows.append(row)
            continue

        own = set(range(pos + ev_lo, pos + ev_hi + 1))
        others = [(oid, span) for oid, span in windows_by_ticker.get(ticker, []) if oid != eid]
        row["overlaps"] = _LIST_SEPARATOR.join(sorted(oid for oid, span in others if span & own))

        est_span = set(range(max(pos + est_lo, 0), max(pos + est_hi + 1, 0)))
        excluded: set[int] = set()
        if exclude_overlaps:
            for _, span in others:
                excluded |= span & est_span
        row["n_excluded"] = len(excluded)
        candidates = np.array(sorted(est_span - excluded), dtype=np.int64)
        y_col = y_all[:, col_of[ticker]]
        ok = x_ok & np.isfinite(y_col)
        est_idx = candidates[ok[candidates]] if candidates.size else candidates
        n_est = int(est_idx.size)
        row["n_est"] = n_est
        if n_est:
            row["est_start"] = sessions[est_idx[0]]
            row["est_end"] = sessions[est_idx[-1]]
        if n_est < min_estimation:
            row["reason"] = (
                f"{n_est} estimation observations in {_window_label(est_lo, est_hi)} after excluding "
                f"{len(excluded)} overlapping event days; need >= {min_estimation} (min_estimation)"
            )
            car_rows.append(row)
            continue
        available = n_requested - len(excluded)
        if n_est < available:
            msg = (
                f"{ticker}, event {eid}: estimation window has {n_est} of {available} requested sessions "
                f"({row['est_start'].date()} to {row['est_end'].date()}); using them "
                f"(min_estimation={min_estimation})"
            )
            notes.append(msg)
            to_warn.append(msg)

        x_est = x_all[est_idx]
        fit = sm.OLS(y_col[est_idx], x_est).fit()
        theta = np.asarray(fit.params, dtype=np.float64)
        sigma2 = float(fit.scale)
        xtx_inv = np.asarray(fit.normalized_cov_params, dtype=np.float64)
        dof = n_est - k
        row["df"] = dof
        row["alpha"] = float(theta[0])
        for j, f in enumerate(fac):
            row[f"beta[{f}]"] = float(theta[j + 1])
        row["sigma"] = float(np.sqrt(sigma2))

        ev_pos = np.arange(max(pos + ev_lo, 0), min(pos + ev_hi, n_sessions - 1) + 1)
        if ev_pos.size < ev_hi - ev_lo + 1:
            notes.append(
                f"event window truncated by the data to relative days {int(ev_pos[0] - pos):+d}.."
                f"{int(ev_pos[-1] - pos):+d}"
            )
        valid = ok[ev_pos]
        if not valid.all():
            missing_days = ", ".join(f"{int(p - pos):+d}" for p in ev_pos[~valid])
            notes.append(f"no data on relative day(s) {missing_days}")
        x_ev = x_all[ev_pos]
        y_ev = y_col[ev_pos]
        expected = x_ev @ theta
        ar = np.where(valid, y_ev - expected, np.nan)
        xv = x_ev[valid]
        v = sigma2 * (np.eye(xv.shape[0]) + xv @ xtx_inv @ xv.T)
        se = np.full(ev_pos.size, np.nan)
        se[valid] = np.sqrt(np.diag(v)) if variance == "prediction" else np.sqrt(sigma2)
        t_ar = ar / se
        rel = ev_pos - pos
        ar_frames.append(
            pd.DataFrame(
                {
                    "event_id": eid,
                    "ticker": ticker,
                    "rel_day": rel.astype(np.int64),
                    "date": sessions[ev_pos],
                    "ret": y_ev,
                    "expected": expected,
                    "ar": ar,
                    "se": se,
                    "t": t_ar,
                    "p": 2.0 * stats.t.sf(np.abs(t_ar), dof),
                    "car": np.where(valid, np.cumsum(np.nan_to_num(ar, nan=0.0)), np.nan),
                }
            )
        )
        rel_valid = rel[valid]
        ar_valid = ar[valid]
        for lo, hi in windows:
            g = ((rel_valid >= lo) & (rel_valid <= hi)).astype(np.float64)
            n_days = int(g.sum())
            stat: dict[str, Any] = {
                "event_id": eid,
                "ticker": ticker,
                "window": _window_label(lo, hi),
                "rel_start": lo,
                "rel_end": hi,
                "n_days": n_days,
                "car": np.nan,
                "se": np.nan,
                "t": np.nan,
                "p": np.nan,
            }
            if n_days:
                car = float(g @ ar_valid)
                var = float(g @ v @ g) if variance == "prediction" else n_days * sigma2
                t_car = car / np.sqrt(var)
                stat.update(
                    car=car,
                    se=float(np.sqrt(var)),
                    t=float(t_car),
                    p=float(2.0 * stats.t.sf(abs(t_car), dof)),
                )
            window_rows.append(stat)
            if (lo, hi) == (ev_lo, ev_hi):
                for key in ("n_days", "car", "se", "t", "p"):
                    row[key] = stat[key]
        row["estimable"] = row["n_days"] > 0
        if not row["estimable"]:
            row["reason"] = "no event-window day with data"
        row["warnings"] = "; ".join(notes)
        car_rows.append(row)

    for msg in to_warn:
        warnings.warn(msg, ShortSampleWarning, stacklevel=2)

    car_frame = pd.DataFrame(car_rows)
    window_cols = ["event_id", "ticker", "window", "rel_start", "rel_end", "n_days", "car", "se", "t", "p"]
    ar_cols = ["event_id", "ticker", "rel_day", "date", "ret", "expected", "ar", "se", "t", "p", "car"]
    windows_frame = pd.DataFrame(window_rows, columns=window_cols)
    ar_frame = pd.concat(ar_frames, ignore_index=True) if ar_frames else pd.DataFrame(columns=ar_cols)
    return EventStudyResult(
        car=car_frame,
        car_windows=windows_frame,
        ar=ar_frame.loc[:, ar_cols],
        factors=fac,
        estimation_window=(est_lo, est_hi),
        event_window=(ev_lo, ev_hi),
        variance=variance,
    )
