"""Event study (MacKinlay 1997) of the catalogued events in ``data/events.csv``.

Every (event, ticker) pair is studied under several normal-return models side by
side (default: the ``^NDX`` market model, the same model with zero alpha, and a
two-factor ``^NDX`` + ``BTC-USD`` model with a lagged BTC term), each estimated by
OLS over an estimation window of sessions before the event. Abnormal returns (AR)
over the event window are the ticker's log returns minus the model's prediction,
cumulated into log CARs (``car_log``) and reported as simple returns too
(``car_simple = exp(car_log) - 1``), with per-firm t tests that include the
model's estimation error, Holm control over events x tickers per model, and the
Boehmer-Musumeci-Poulsen (1991) cross-sectional test with the Kolari-Pynnönen
(2010) adjustment for firms that share an event date.

Relative days count rows of the returns frame (sessions): day 0 is the event's
session (the first session on/after the event date), day -1 the session before.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeAlias, cast

import numpy as np
import numpy.typing as npt
import pandas as pd

from . import config
from ._validation import check_choice, check_index, check_int, check_open_unit, require_columns
from .coverage import ShortSample, short_samples
from .errors import ConfigError, ShortSampleWarning
from .multiplicity import holm
from .universe import validate_ticker

__all__ = [
    "CAR_METRIC_COLUMNS",
    "DEFAULT_ALPHA",
    "DEFAULT_ESTIMATION_WINDOW",
    "DEFAULT_EVENT_WINDOW",
    "DEFAULT_MIN_ESTIMATION",
    "DEFAULT_MODELS",
    "DEFAULT_SHORT_ESTIMATION",
    "DEFAULT_SUB_WINDOWS",
    "EVENT_COLUMNS",
    "EVENT_DATE_FORMAT",
    "EVENT_KINDS",
    "HEADLINE_LABEL_CHARS",
    "KIND_COLUMN",
    "MODELS",
    "MODEL_LABELS",
    "SHORT_LABEL_CHARS",
    "TICKER_SEPARATOR",
    "CrossSectionTest",
    "EventModel",
    "EventStudyResult",
    "ModelFit",
    "abnormal_returns",
    "bmp_test",
    "catalogue_tickers",
    "confounds",
    "event_kinds",
    "event_study",
    "fit_normal_returns",
    "holm",
    "load_events",
    "markers",
    "mean_residual_correlation",
    "model_agreement",
    "model_label",
    "short_estimations",
    "short_label",
    "short_labels",
]

FloatArray = npt.NDArray[np.float64]
#: How CAR variances are computed (see :func:`event_study`).
Variance: TypeAlias = Literal["prediction", "simple"]

#: Columns of the events catalogue, in order.
EVENT_COLUMNS: tuple[str, ...] = ("event_id", "date", "tickers", "label", "reference", "notes")
#: Separator of tickers inside the ``tickers`` field.
TICKER_SEPARATOR = " "
#: Date format of the ``date`` field.
EVENT_DATE_FORMAT = "%Y-%m-%d"
#: Default estimation window in sessions relative to the event session (inclusive).
DEFAULT_ESTIMATION_WINDOW: tuple[int, int] = (-250, -11)
#: Default event window in sessions relative to the event session (inclusive).
DEFAULT_EVENT_WINDOW: tuple[int, int] = (-1, 5)
#: Default CAR sub-windows reported besides the full event window.
DEFAULT_SUB_WINDOWS: tuple[tuple[int, int], ...] = ((0, 0), (-1, 1), (0, 1))
#: Fewest estimation observations for a pair to be estimated at all.
DEFAULT_MIN_ESTIMATION = 40
#: Below this many estimation observations a pair is flagged ``short_window`` and warned.
DEFAULT_SHORT_ESTIMATION = 60
#: Default significance level (Holm, intervals, agreement sentences).
DEFAULT_ALPHA = 0.05
#: Bitcoin factor ticker (the lagged term of the two-factor model).
BTC = "BTC-USD"
#: Tech factor ticker of the market models.
TECH = "^NDX"

#: Columns of the ``car`` metrics record (:meth:`EventStudyResult.metrics`), in order.
CAR_METRIC_COLUMNS: tuple[str, ...] = (
    "event_id",
    "ticker",
    "model",
    "window",
    "car_log",
    "car_simple",
    "t",
    "p",
    "p_adj",
)

_CONST = "const"
_LIST_SEPARATOR = ", "
_PERCENT = 100.0


# ----------------------------------------------------------------------------- catalogue


#: Optional column classifying an event; a catalogue without it has every event of kind ``event``.
KIND_COLUMN = "kind"
#: Kinds of catalogued events (``deal``: a company's AI/HPC contract, the break dates of notebook 03).
EVENT_KINDS: tuple[str, ...] = ("deal", "listing", "shock", "crypto", "ai_news", "macro", "event")


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
        ``label``, ``reference`` (the publication that reports the event) and
        ``notes`` (may be empty; flags confounds); optionally ``kind`` (one of
        :data:`EVENT_KINDS`, default ``event``).

    Returns
    -------
    pd.DataFrame
        One row per event in file order with the columns of :data:`EVENT_COLUMNS` and ``kind``;
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

    kinds = (
        raw[KIND_COLUMN].str.strip() if KIND_COLUMN in raw.columns else pd.Series("event", index=raw.index)
    )
    records: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for i, row in enumerate(raw.loc[:, list(EVENT_COLUMNS)].itertuples(index=False, name=None)):
        line = i + 2  # line 1 is the header
        values = {c: str(v).strip() for c, v in zip(EVENT_COLUMNS, row, strict=True)}
        eid = values["event_id"]

        def fail(column: str, problem: str, *, _line: int = line, _eid: str = eid) -> ConfigError:
            return _row_error(path, _line, _eid, column, problem)

        for column in ("event_id", "date", "tickers", "label", "reference"):
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
        kind = str(kinds.iloc[i]) or "event"
        if kind not in EVENT_KINDS:
            raise fail(KIND_COLUMN, f"{kind!r} is not one of {', '.join(EVENT_KINDS)}")
        records.append(
            {
                "event_id": eid,
                "date": pd.Timestamp(when),
                "tickers": tuple(tickers),
                "label": values["label"],
                "reference": values["reference"],
                "notes": values["notes"],
                KIND_COLUMN: kind,
            }
        )
    if not records:
        raise ConfigError(f"events file {path} has a header but no events")
    out = pd.DataFrame.from_records(records, columns=[*EVENT_COLUMNS, KIND_COLUMN])
    out["date"] = pd.to_datetime(out["date"])
    return out


#: Longest short event label (figure legends, markers, bar labels).
SHORT_LABEL_CHARS = 60
#: Longest event label in a headline name of ``index.html``.
HEADLINE_LABEL_CHARS = 70
#: Marks a label cut at a word boundary.
ELLIPSIS = "…"
#: Clause separators a short label stops at (outside parentheses).
_CLAUSE_ENDS = frozenset(",;:")
#: Words a cut label does not end on ("... after the…" becomes "...…").
_DANGLING_WORDS = frozenset(
    {"a", "an", "and", "as", "at", "by", "for", "from", "in", "of", "on", "or", "the", "to", "with", "after"}
)


def _depths(text: str) -> list[int]:
    """Parenthesis depth at every character (an opening bracket counts as inside)."""
    out, depth = [], 0
    for ch in text:
        if ch in "([":
            depth += 1
        out.append(depth)
        if ch in ")]":
            depth = max(depth - 1, 0)
    return out


def _drop_parentheticals(text: str) -> str:
    depth = _depths(text)
    kept = "".join(ch for ch, d in zip(text, depth, strict=True) if d == 0)
    return " ".join(kept.split())


def short_label(text: object, *, max_chars: int = SHORT_LABEL_CHARS) -> str:
    """A readable short form of an event label that ends on a whole word.

    The first clause (up to a comma, semicolon or colon outside parentheses) is kept; if it is
    longer than ``max_chars``, trailing parenthetical remarks are dropped, and if it is still too
    long it is cut after the last whole word outside parentheses that fits and ``…`` is appended.
    A label is never cut inside parentheses or inside a word.

    Examples
    --------
    >>> short_label("Fourth bitcoin halving (block 840,000; block subsidy 6.25 -> 3.125 BTC)")
    'Fourth bitcoin halving'
    >>> short_label("TeraWulf signs AI/HPC hosting leases with Fluidstack, with a Google backstop")
    'TeraWulf signs AI/HPC hosting leases with Fluidstack'
    """
    check_int(max_chars, "max_chars", minimum=8, unit="characters")
    full = " ".join(str(text).split())
    depth = _depths(full)
    cut = next(
        (i for i, (ch, d) in enumerate(zip(full, depth, strict=True)) if d == 0 and ch in _CLAUSE_ENDS),
        len(full),
    )
    head = full[:cut].strip()
    if len(head) <= max_chars:
        return head
    bare = _drop_parentheticals(head)
    if bare and len(bare) <= max_chars:
        return bare
    depth = _depths(head)
    limit = max_chars - len(ELLIPSIS)
    words: list[str] = []
    start = 0
    for i, ch in enumerate(head + " "):
        if ch == " " and (i == len(head) or depth[i] == 0):
            if i > limit:
                break
            words.append(head[start:i])
            start = i + 1
    while len(words) > 1 and words[-1].lower() in _DANGLING_WORDS:
        words.pop()
    if not words:  # a first word longer than the limit: keep it whole rather than cut it
        return head.split(" ")[0] + ELLIPSIS
    return " ".join(words).rstrip(" -–—/") + ELLIPSIS


def short_labels(catalogue: pd.DataFrame, *, max_chars: int = SHORT_LABEL_CHARS) -> dict[str, str]:
    """Readable short names of the events by ``event_id`` (see :func:`short_label`).

    Two events with the same short name get their dates appended, so the names stay unique.
    """
    out = {
        str(e): short_label(lab, max_chars=max_chars)
        for e, lab in zip(catalogue["event_id"], catalogue["label"], strict=True)
    }
    counts = pd.Series(list(out.values())).value_counts()
    if (counts > 1).any() and "date" in catalogue.columns:
        for eid, date in zip(catalogue["event_id"], catalogue["date"], strict=True):
            if counts[out[str(eid)]] > 1:
                out[str(eid)] = f"{out[str(eid)]} ({_ts(date).date()})"
    return out


def event_kinds(catalogue: pd.DataFrame) -> pd.Series:
    """The ``kind`` of each catalogued event (``event`` for a catalogue without the column)."""
    if KIND_COLUMN in catalogue.columns:
        return catalogue[KIND_COLUMN].astype(str)
    return pd.Series("event", index=catalogue.index, name=KIND_COLUMN)


def markers(catalogue: pd.DataFrame, *, kinds: Sequence[str] = ("deal",)) -> list[tuple[pd.Timestamp, str]]:
    """``(date, short label)`` of the events of ``kinds``, for figure markers."""
    names = short_labels(catalogue)
    kind = event_kinds(catalogue)
    return [
        (pd.Timestamp(d), names[str(e)])
        for e, d, k in zip(catalogue["event_id"], catalogue["date"], kind, strict=True)
        if k in kinds
    ]


# ----------------------------------------------------------------------------- models


def _lag_label(factor: str, lag: int) -> str:
    return f"{factor}[t-{lag}]"


@dataclass(frozen=True)
class EventModel:
    """A normal-return model of the event study.

    Parameters
    ----------
    name
        Short name used in tables (no spaces), e.g. ``"market"``.
    factors
        Factor tickers, e.g. ``("^NDX",)`` or ``("^NDX", "BTC-USD")``.
    zero_alpha
        Estimate the intercept but predict without it (``E[R] = b' F``), so a drift
        in the estimation window is not extrapolated into the event window.
    btc_lags, btc
        Lagged terms ``btc[t-1..t-btc_lags]`` (BTC's bar closes after the US close).
    """

    name: str
    factors: tuple[str, ...]
    zero_alpha: bool = False
    btc_lags: int = 0
    btc: str = BTC

    def __post_init__(self) -> None:
        if not self.name or any(ch.isspace() for ch in self.name):
            raise ConfigError(f"EventModel.name must be a word without spaces, got {self.name!r}")
        fac = (self.factors,) if isinstance(self.factors, str) else tuple(self.factors)
        if not fac:
            raise ConfigError(f"EventModel {self.name!r}: factors is empty; pass e.g. ('^NDX',)")
        object.__setattr__(self, "factors", fac)
        check_int(self.btc_lags, f"EventModel {self.name!r} btc_lags", minimum=0, unit="lags")
        if self.btc_lags and self.btc not in fac:
            raise ConfigError(
                f"EventModel {self.name!r}: btc_lags={self.btc_lags} needs {self.btc!r} among factors {fac}"
            )

    @property
    def terms(self) -> tuple[str, ...]:
        """Regressors other than the constant (factors, then BTC lags)."""
        lags = tuple(_lag_label(self.btc, j) for j in range(1, self.btc_lags + 1))
        return (*self.factors, *lags)

    def describe(self) -> str:
        """One-line description, e.g. ``"market model: const + ^NDX"``."""
        rhs = " + ".join(self.terms)
        if self.zero_alpha:
            return f"{self.name}: {rhs} (intercept estimated, not used for the prediction)"
        return f"{self.name}: const + {rhs}"


#: The three default models.
DEFAULT_MODELS: tuple[EventModel, ...] = (
    EventModel("market", (TECH,)),
    EventModel("zero_alpha", (TECH,), zero_alpha=True),
    EventModel("two_factor", (TECH, BTC), btc_lags=1),
)
#: Default models by name (``event_study(models=["market", "two_factor"])``).
MODELS: dict[str, EventModel] = {m.name: m for m in DEFAULT_MODELS}
#: Display names of the models in :data:`MODELS` (figure titles, headline notes).
MODEL_LABELS: dict[str, str] = {
    "market": "market (Nasdaq-100)",
    "zero_alpha": "market, zero alpha (Nasdaq-100)",
    "two_factor": "two-factor (Nasdaq-100 + BTC)",
}
#: Readable names of factor tickers in derived model labels.
_FACTOR_NAMES: dict[str, str] = {TECH: "Nasdaq-100", BTC: "BTC"}


def model_label(model: str | EventModel) -> str:
    """Display name of an event model, e.g. ``"two-factor (Nasdaq-100 + BTC)"`` for ``"two_factor"``.

    Names in :data:`MODEL_LABELS` get their label; another :class:`EventModel` is named from its
    factors, and any other name is shown with spaces for underscores.
    """
    if isinstance(model, EventModel):
        if model.name in MODEL_LABELS and MODELS.get(model.name) == model:
            return MODEL_LABELS[model.name]
        factors = " + ".join(_FACTOR_NAMES.get(f, f) for f in model.factors)
        return f"{model.name.replace('_', ' ')} ({factors})"
    name = str(model)
    return MODEL_LABELS.get(name, name.replace("_", " "))


def _resolve_models(models: Sequence[EventModel | str]) -> tuple[EventModel, ...]:
    if isinstance(models, str | EventModel):
        models = [models]
    out: list[EventModel] = []
    for m in models:
        if isinstance(m, str):
            if m not in MODELS:
                raise ConfigError(
                    f"unknown event model {m!r}; choose from {', '.join(MODELS)} or pass an EventModel"
                )
            m = MODELS[m]
        if not isinstance(m, EventModel):
            raise ConfigError(f"models must hold EventModel objects or names, got {m!r}")
        out.append(m)
    if not out:
        raise ConfigError(f"models is empty: pass at least one, e.g. {list(MODELS)}")
    names = [m.name for m in out]
    if len(set(names)) != len(names):
        raise ConfigError(f"models has duplicate names: {names}")
    return tuple(out)


# ----------------------------------------------------------------------------- estimation steps


@dataclass(frozen=True)
class ModelFit:
    """OLS fit of a normal-return model on the estimation sample.

    Attributes
    ----------
    theta
        Coefficients, intercept first.
    sigma2, dof
        Residual variance ``SSR / (L1 - k)`` and its degrees of freedom.
    xtx_inv
        ``(X'X)^-1`` of the estimation sample.
    residuals
        Estimation-window residuals (for the Kolari-Pynnönen correlation).
    zero_alpha
        Predict without the intercept.
    """

    theta: FloatArray
    sigma2: float
    dof: int
    xtx_inv: FloatArray
    residuals: FloatArray
    zero_alpha: bool


def fit_normal_returns(y: FloatArray, x: FloatArray, *, zero_alpha: bool = False) -> ModelFit:
    """Fit ``y = X theta + e`` by OLS (``X``'s first column is the constant).

    Raises
    ------
    ConfigError
        Fewer observations than parameters + 1, or a singular ``X'X``.
    """
    n, k = x.shape
    if n <= k:
        raise ConfigError(f"{n} estimation observations for {k} parameters: need at least {k + 1}")
    xtx = x.T @ x
    try:
        xtx_inv = np.asarray(np.linalg.inv(xtx), dtype=np.float64)
    except np.linalg.LinAlgError as exc:
        raise ConfigError("estimation regressors are collinear (singular X'X): check the factors") from exc
    theta = xtx_inv @ (x.T @ y)
    resid = y - x @ theta
    dof = n - k
    return ModelFit(
        theta=theta,
        sigma2=float(resid @ resid) / dof,
        dof=dof,
        xtx_inv=xtx_inv,
        residuals=resid,
        zero_alpha=zero_alpha,
    )


def abnormal_returns(
    fit: ModelFit, y: FloatArray, x: FloatArray, *, variance: Literal["prediction", "simple"] = "prediction"
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Expected returns, abnormal returns and their covariance on event-window rows.

    Returns
    -------
    expected, ar, cov
        ``X* theta`` (without the intercept for a zero-alpha model), ``y - expected``
        and ``V``.

    Notes
    -----
    ``V = sigma^2 I + X* Var(theta) X*'`` with ``Var(theta) = sigma^2 (X'X)^-1``
    (MacKinlay 1997: prediction variance incl. estimation error); for a zero-alpha
    model only the slope block of ``(X'X)^-1`` enters. ``variance="simple"``:
    ``V = sigma^2 I``.
    """
    theta = fit.theta.copy()
    var_theta = fit.xtx_inv.copy()
    if fit.zero_alpha:
        theta[0] = 0.0
        var_theta[0, :] = 0.0
        var_theta[:, 0] = 0.0
    expected = x @ theta
    ar = y - expected
    cov = fit.sigma2 * np.eye(len(y))
    if variance == "prediction":
        cov = cov + fit.sigma2 * (x @ var_theta @ x.T)
    return expected, ar, cov


@dataclass(frozen=True)
class CrossSectionTest:
    """Boehmer-Musumeci-Poulsen (1991) test with the Kolari-Pynnönen (2010) adjustment.

    Attributes
    ----------
    n, mean_scar, sd_scar
        Number of firms, mean and cross-sectional sd (ddof 1) of standardized CARs.
    t_bmp, p_bmp
        BMP statistic ``mean / (sd / sqrt(n))`` and its two-sided p (Student t, n - 1 df).
    rbar
        Average cross-correlation of the firms' estimation residuals (0 for none).
    t_kp, p_kp
        Adjusted statistic ``t_bmp sqrt((1 - rbar) / (1 + (n - 1) rbar))`` and its p.
    """

    n: int
    mean_scar: float
    sd_scar: float
    t_bmp: float
    p_bmp: float
    rbar: float
    t_kp: float
    p_kp: float


def bmp_test(scar: npt.ArrayLike, *, rbar: float = 0.0) -> CrossSectionTest:
    """BMP standardized cross-sectional test of mean abnormal return, KP-adjusted.

    Parameters
    ----------
    scar
        Standardized CARs ``CAR_i / se_i`` of n >= 2 firms (NaN dropped).
    rbar
        Average pairwise correlation of the firms' abnormal returns (e.g.
        :func:`mean_residual_correlation` of their estimation residuals); pairs
        with different event dates count as 0.

    Returns
    -------
    CrossSectionTest
        NaN statistics when fewer than two finite SCARs or zero dispersion.

    Notes
    -----
    BMP divides by the cross-sectional sd of the SCARs, so it is robust to an
    event-induced variance increase; under cross-correlation rbar that sd
    estimates ``sqrt(1 - rbar)`` while the mean has variance ``(1 + (n - 1) rbar)
    / n``, hence the KP factor. ``rbar`` is clipped to ``(-1 / (n - 1), 1)``.
    """
    z = np.asarray(scar, dtype=np.float64)
    z = z[np.isfinite(z)]
    n = int(z.size)
    nan = math.nan
    if n < 2:
        return CrossSectionTest(n, float(z.mean()) if n else nan, nan, nan, nan, rbar, nan, nan)
    mean = float(z.mean())
    sd = float(z.std(ddof=1))
    if not sd > 0:
        return CrossSectionTest(n, mean, sd, nan, nan, rbar, nan, nan)
    t_bmp = mean / (sd / math.sqrt(n))
    r = float(np.clip(rbar, -1.0 / (n - 1) + 1e-12, 1.0 - 1e-12)) if math.isfinite(rbar) else 0.0
    t_kp = t_bmp * math.sqrt((1.0 - r) / (1.0 + (n - 1) * r))
    dof = n - 1
    from scipy.special import stdtr  # Student t, lighter than scipy.stats

    return CrossSectionTest(
        n=n,
        mean_scar=mean,
        sd_scar=sd,
        t_bmp=t_bmp,
        p_bmp=float(2.0 * stdtr(dof, -abs(t_bmp))),
        rbar=r,
        t_kp=t_kp,
        p_kp=float(2.0 * stdtr(dof, -abs(t_kp))),
    )


def mean_residual_correlation(residuals: pd.DataFrame, *, same_date: npt.ArrayLike | None = None) -> float:
    """Average pairwise correlation of residual columns (pairwise-complete dates).

    Parameters
    ----------
    residuals
        Sessions x firms (NaN where a firm has no residual).
    same_date
        Optional (n, n) boolean matrix: True where two firms share an event date;
        other pairs count as uncorrelated (0). ``None``: all pairs share it.

    Returns
    -------
    float
        Mean over the ``n (n - 1)`` off-diagonal pairs; 0 for fewer than two firms.
        Pairs without at least 3 common dates count as 0.
    """
    n = residuals.shape[1]
    if n < 2:
        return 0.0
    corr = residuals.corr(min_periods=3).to_numpy(dtype=np.float64)
    corr = np.where(np.isfinite(corr), corr, 0.0)
    if same_date is not None:
        corr = np.where(np.asarray(same_date, dtype=bool), corr, 0.0)
    off = ~np.eye(n, dtype=bool)
    return float(corr[off].mean())


# ----------------------------------------------------------------------------- validation


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


@dataclass(frozen=True)
class _Settings:
    models: tuple[EventModel, ...]
    est: tuple[int, int]
    ev: tuple[int, int]
    windows: tuple[tuple[int, int], ...]
    min_estimation: int
    short_estimation: int
    variance: Variance
    exclude_overlaps: bool
    alpha: float
    terms: tuple[str, ...]

    @property
    def n_requested(self) -> int:
        return self.est[1] - self.est[0] + 1


def _check_settings(
    returns: pd.DataFrame,
    models: Sequence[EventModel | str],
    estimation_window: tuple[int, int],
    event_window: tuple[int, int],
    sub_windows: Sequence[tuple[int, int]],
    min_estimation: int,
    short_estimation: int,
    variance: str,
    exclude_overlaps: bool,
    alpha: float,
) -> _Settings:
    if not isinstance(returns, pd.DataFrame):
        raise ConfigError(f"returns must be a DataFrame of daily log returns, got {type(returns).__name__}")
    check_index(returns, "returns")
    if returns.empty:
        raise ConfigError("returns is empty: pass a frame with at least one session and one ticker")
    var_kind = cast(Variance, check_choice(variance, "variance", ("prediction", "simple")))
    check_open_unit(alpha, "alpha", example="0.05")
    resolved = _resolve_models(models)
    factors = list(dict.fromkeys(f for m in resolved for f in m.factors))
    require_columns(returns, factors)
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
    k = 1 + max(len(m.terms) for m in resolved)
    min_est = check_int(min_estimation, "min_estimation", minimum=k + 1)
    if min_est > n_requested:
        raise ConfigError(
            f"min_estimation={min_est} exceeds the estimation window length {n_requested} "
            f"{estimation_window!r}: lower min_estimation or widen the window"
        )
    short = check_int(short_estimation, "short_estimation", minimum=min_est)
    windows: list[tuple[int, int]] = [(ev_lo, ev_hi)]
    for sub in sub_windows:
        lo, hi = _check_window("sub_windows entry", sub)
        if lo < ev_lo or hi > ev_hi:
            raise ConfigError(
                f"sub-window {sub!r} is outside event_window {event_window!r}: keep sub-windows inside it"
            )
        if (lo, hi) not in windows:
            windows.append((lo, hi))
    terms = tuple(dict.fromkeys(t for m in resolved for t in m.terms))
    return _Settings(
        models=resolved,
        est=(est_lo, est_hi),
        ev=(ev_lo, ev_hi),
        windows=tuple(windows),
        min_estimation=min_est,
        short_estimation=short,
        variance=var_kind,
        exclude_overlaps=bool(exclude_overlaps),
        alpha=float(alpha),
        terms=terms,
    )


def _select_pairs(
    catalogue: pd.DataFrame, tickers: Sequence[str] | None, returns: pd.DataFrame, s: _Settings
) -> list[tuple[int, str]]:
    selected = None if tickers is None else {validate_ticker(t) for t in tickers}
    pairs = [
        (i, t) for i, evt in enumerate(catalogue["tickers"]) for t in evt if selected is None or t in selected
    ]
    if not pairs:
        raise ConfigError(f"no (event, ticker) pairs to study: tickers={tickers!r} matches no event")
    needed = list(dict.fromkeys(t for _, t in pairs))
    require_columns(returns, needed)
    factors = {f for m in s.models for f in m.factors}
    for t in needed:
        if t in factors:
            raise ConfigError(f"ticker {t!r} is also a factor of the event models: drop it from the models")
    return pairs


# ----------------------------------------------------------------------------- results


def _ts(value: Any) -> pd.Timestamp:
    """A table cell as ``Timestamp`` (pandas types cells as a broad scalar union)."""
    return pd.Timestamp(value)


def _window_label(lo: int, hi: int) -> str:
    return f"({lo:+d},{hi:+d})"


def _simple(log_value: Any) -> Any:
    return np.expm1(log_value)


@dataclass(frozen=True)
class EventStudyResult:
    """Tidy results of :func:`event_study`.

    Attributes
    ----------
    car
        One row per (event, ticker, model) for the full event window, *including*
        pairs that could not be estimated: ``event_id, ticker, label, model,
        event_date, session, rolled, window, rel_start, rel_end, n_days, car_log,
        car_simple, se, t, p, p_adj, df, n_est, est_start, est_end, short_window,
        n_excluded, intercept, beta[<term>]..., sigma, overlaps, estimable,
        reason, warnings``. ``se`` is the SE of ``car_log``; ``intercept`` is the
        estimated intercept (not used by a zero-alpha model).
    car_windows
        One row per (event, ticker, model, window) for estimable pairs, the event
        window and every sub-window: ``event_id, ticker, model, window, rel_start,
        rel_end, n_days, car_log, car_simple, se, t, p, df, p_adj``.
    ar
        One row per (event, ticker, model, relative day) for estimable pairs:
        ``event_id, ticker, model, rel_day, date, ret, expected, ar, se, t, p,
        car_log`` (cumulative log AR from the window start).
    bmp
        One row per (model, event, window) with at least two estimable tickers:
        ``model, event_id, window, n, mean_scar, t_bmp, p_bmp, rbar, t_kp, p_kp``.
    models, estimation_window, event_window, variance, alpha
        The settings used.
    """

    car: pd.DataFrame
    car_windows: pd.DataFrame
    ar: pd.DataFrame
    bmp: pd.DataFrame
    models: tuple[EventModel, ...]
    estimation_window: tuple[int, int]
    event_window: tuple[int, int]
    variance: str
    alpha: float = DEFAULT_ALPHA
    short_estimation: int = field(default=DEFAULT_SHORT_ESTIMATION, repr=False)

    @property
    def window(self) -> str:
        """Label of the full event window, e.g. ``"(-1,+5)"``."""
        return _window_label(*self.event_window)

    def paths(
        self,
        model: str | None = None,
        kind: Literal["car_log", "car_simple", "ar"] = "car_log",
        *,
        tickers: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        """Cumulative (``car_log``, ``car_simple``) or daily (``ar``) abnormal returns for plotting.

        Index ``rel_day``; columns (``event_id``, ``ticker``) for one model
        (default: the first), optionally only ``tickers``. ``car_simple`` is ``exp(car_log) - 1``.
        """
        name = self.models[0].name if model is None else model
        check_choice(name, "model", [m.name for m in self.models])
        check_choice(kind, "kind", ("car_log", "car_simple", "ar"))
        sub = self.ar[self.ar["model"] == name]
        if tickers is not None:
            sub = sub[sub["ticker"].isin(list(tickers))]
        values = "car_log" if kind == "car_simple" else kind
        wide = sub.pivot(index="rel_day", columns=["event_id", "ticker"], values=values)
        return wide.apply(np.expm1) if kind == "car_simple" else wide

    @property
    def ar_wide(self) -> pd.DataFrame:
        """Daily AR of the first model: index ``rel_day``, columns (``event_id``, ``ticker``)."""
        return self.paths(kind="ar")

    @property
    def car_wide(self) -> pd.DataFrame:
        """Cumulative log AR of the first model: index ``rel_day``, columns (``event_id``, ``ticker``)."""
        return self.paths(kind="car_log")

    def summary_frame(self) -> pd.DataFrame:
        """One row per (event, ticker, model, window) incl. not-estimable pairs (full window).

        Columns ``event_id, ticker, model, window, rel_start, rel_end, n_days,
        car_log, car_simple, se, t, p, p_adj, df, n_est, short_window, overlaps,
        estimable, reason``.
        """
        keys = ["event_id", "ticker", "model"]
        info = self.car.loc[:, [*keys, "n_est", "short_window", "overlaps", "estimable", "reason"]]
        est = self.car_windows.merge(info, on=keys, how="left")
        missing = self.car.loc[~self.car["estimable"]]
        cols = ["event_id", "ticker", "model", "window", "rel_start", "rel_end", "n_days", "car_log"]
        cols += ["car_simple", "se", "t", "p", "p_adj", "df", "n_est", "short_window", "overlaps"]
        cols += ["estimable", "reason"]
        frames = [f.loc[:, cols] for f in (est, missing) if not f.empty]
        if not frames:
            return pd.DataFrame(columns=cols)
        out = pd.concat(frames, ignore_index=True)
        order = {
            (e, t): i for i, (e, t) in enumerate(zip(self.car["event_id"], self.car["ticker"], strict=True))
        }
        out["_o"] = [order[(e, t)] for e, t in zip(out["event_id"], out["ticker"], strict=True)]
        out["_m"] = out["model"].map({m.name: i for i, m in enumerate(self.models)})
        out = out.sort_values(["_o", "_m"], kind="stable").drop(columns=["_o", "_m"]).reset_index(drop=True)
        for col in ("n_days", "n_est", "rel_start", "rel_end"):
            out[col] = out[col].astype("Int64")
        return out

    def car_table(self) -> pd.DataFrame:
        """The full-window CARs for reading: one row per (event, ticker, model), models by name.

        Columns ``event_id, ticker, model`` (display label), ``car_simple, car_log, t, p, p_adj,
        n_est, reason``.
        """
        t = self.summary_frame()
        t = t.loc[t["window"].isna() | (t["window"] == self.window)]
        cols = ["event_id", "ticker", "model", "car_simple", "car_log", "t", "p", "p_adj", "n_est", "reason"]
        out = t.loc[:, cols].reset_index(drop=True)
        out["model"] = out["model"].map(model_label)
        return out

    def conf_int(self, alpha: float = DEFAULT_ALPHA) -> pd.DataFrame:
        """Intervals at level ``1 - alpha`` of every estimable CAR, in log and simple returns.

        Returns
        -------
        pd.DataFrame
            ``event_id, ticker, model, window, car_log, ci_low, ci_high, car_simple,
            ci_low_simple, ci_high_simple``: ``car_log +- t_{df, 1-alpha/2} se`` and
            its ``exp(.) - 1`` transform.
        """
        check_open_unit(alpha, "alpha", example="0.05")
        w = self.car_windows
        from scipy.special import stdtrit  # Student t, lighter than scipy.stats

        q = stdtrit(w["df"].to_numpy(dtype=np.float64), 1.0 - alpha / 2.0)
        se = w["se"].to_numpy(dtype=np.float64)
        car = w["car_log"].to_numpy(dtype=np.float64)
        out = w.loc[:, ["event_id", "ticker", "model", "window"]].copy()
        out["car_log"] = car
        out["ci_low"] = car - q * se
        out["ci_high"] = car + q * se
        out["car_simple"] = _simple(car)
        out["ci_low_simple"] = _simple(out["ci_low"].to_numpy())
        out["ci_high_simple"] = _simple(out["ci_high"].to_numpy())
        return out.reset_index(drop=True)

    def metrics(self) -> pd.DataFrame:
        """The ``car`` metrics record: exactly :data:`CAR_METRIC_COLUMNS`.

        Every window of estimable pairs, plus the full window (NaN numbers) of
        pairs that could not be estimated.
        """
        return self.summary_frame().loc[:, list(CAR_METRIC_COLUMNS)]

    def headline(
        self, model: str, *, kinds: Sequence[str] = ("deal", "shock", "listing")
    ) -> list[dict[str, Any]]:
        """Headline records of one model: each event's own (first-named) ticker, simple CAR in percent.

        Events whose ``kind`` is not in ``kinds`` (when the catalogue has a ``kind`` column) and
        pairs that could not be estimated are left out.
        """
        rows = self.car[(self.car["model"] == model) & self.car["estimable"]]
        out = []
        for r in rows.to_dict("records"):
            kind = r.get(KIND_COLUMN, "event")
            if kind not in kinds or r["ticker"] != r.get("first_ticker", r["ticker"]):
                continue
            p_adj = r.get("p_adj")
            note = f"{model_label(model)} model, CAR{r['window']} simple return"
            full = int(r["rel_end"]) - int(r["rel_start"]) + 1
            if int(r["n_days"]) < full:
                note += f" ({int(r['n_days'])} of {full} sessions in the data)"
            if p_adj is not None and not pd.isna(p_adj):
                note += f"; Holm-adjusted p = {float(p_adj):.3g}"
            out.append(
                {
                    "name": (
                        f"{r['ticker']}: {short_label(r['label'], max_chars=HEADLINE_LABEL_CHARS)} "
                        f"({_ts(r['session']).date()})"
                    ),
                    "value": float(r["car_simple"]),
                    "unit": "%",
                    "text": f"{float(r['car_simple']) * _PERCENT:+.1f}%",
                    "note": note,
                }
            )
        return out

    def agreement(self, *, window: str | None = None, alpha: float | None = None) -> pd.DataFrame:
        """See :func:`model_agreement`."""
        return model_agreement(self, window=window, alpha=alpha)


# ----------------------------------------------------------------------------- study steps


def _event_positions(catalogue: pd.DataFrame, sessions: pd.DatetimeIndex) -> list[int | None]:
    """Position of each event's session (first session on/after its date; None outside)."""
    out: list[int | None] = []
    for when in pd.DatetimeIndex(catalogue["date"]):
        pos = int(sessions.searchsorted(when, side="left"))
        out.append(pos if sessions[0] <= when and pos < len(sessions) else None)
    return out


def _event_spans(
    catalogue: pd.DataFrame, positions: list[int | None], s: _Settings
) -> dict[str, list[tuple[str, set[int]]]]:
    """Ticker -> [(event_id, event-window positions)] of every catalogued event."""
    spans: dict[str, list[tuple[str, set[int]]]] = {}
    for i, evt in enumerate(catalogue["tickers"]):
        pos = positions[i]
        if pos is None:
            continue
        span = set(range(pos + s.ev[0], pos + s.ev[1] + 1))
        for t in evt:
            spans.setdefault(t, []).append((str(catalogue.at[i, "event_id"]), span))
    return spans


def _design_matrix(returns: pd.DataFrame, s: _Settings) -> pd.DataFrame:
    """Constant and every model term on all sessions (lags taken on the full frame)."""
    cols: dict[str, pd.Series] = {_CONST: pd.Series(1.0, index=returns.index)}
    for term in s.terms:
        if term in returns.columns:
            cols[term] = returns[term].astype(np.float64)
            continue
        for m in s.models:
            for j in range(1, m.btc_lags + 1):
                if _lag_label(m.btc, j) == term:
                    cols[term] = returns[m.btc].astype(np.float64).shift(j)
    return pd.DataFrame(cols, index=returns.index)


@dataclass
class _Pair:
    """Estimation sample and bookkeeping of one (event, ticker)."""

    row: dict[str, Any]
    pos: int | None
    est_idx: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    notes: list[str] = field(default_factory=list)
    warn: str = ""


def _first_ticker(value: Any) -> str:
    return str(value[0]) if isinstance(value, tuple | list) and value else ""


def _base_row(
    catalogue: pd.DataFrame, i: int, ticker: str, pos: int | None, sessions: pd.DatetimeIndex, s: _Settings
) -> dict[str, Any]:
    event_date = _ts(catalogue.at[i, "date"])
    return {
        "event_id": str(catalogue.at[i, "event_id"]),
        "ticker": str(ticker),
        "label": str(catalogue.at[i, "label"]),
        KIND_COLUMN: str(catalogue.at[i, KIND_COLUMN]) if KIND_COLUMN in catalogue.columns else "event",
        "first_ticker": _first_ticker(catalogue.at[i, "tickers"]),
        "model": "",
        "event_date": event_date,
        "session": pd.NaT if pos is None else sessions[pos],
        "rolled": False if pos is None else bool(sessions[pos] != event_date),
        "window": _window_label(*s.ev),
        "rel_start": s.ev[0],
        "rel_end": s.ev[1],
        "n_days": 0,
        "car_log": np.nan,
        "car_simple": np.nan,
        "se": np.nan,
        "t": np.nan,
        "p": np.nan,
        "p_adj": np.nan,
        "df": np.nan,
        "n_est": 0,
        "est_start": pd.NaT,
        "est_end": pd.NaT,
        "short_window": False,
        "n_excluded": 0,
        "intercept": np.nan,
        **{f"beta[{t}]": np.nan for t in s.terms},
        "sigma": np.nan,
        "overlaps": "",
        "estimable": False,
        "reason": "",
        "warnings": "",
    }


def _estimation_sample(
    pair: _Pair,
    spans: dict[str, list[tuple[str, set[int]]]],
    ok: npt.NDArray[np.bool_],
    sessions: pd.DatetimeIndex,
    s: _Settings,
) -> None:
    """Fill the estimation sample of a pair: window minus other events' windows minus NaN rows."""
    row, pos = pair.row, pair.pos
    if pos is None:
        row["reason"] = (
            f"event date {row['event_date'].date()} is outside the data "
            f"({sessions[0].date()} to {sessions[-1].date()})"
        )
        return
    own = set(range(pos + s.ev[0], pos + s.ev[1] + 1))
    others = [(oid, span) for oid, span in spans.get(row["ticker"], []) if oid != row["event_id"]]
    row["overlaps"] = _LIST_SEPARATOR.join(sorted(oid for oid, span in others if span & own))
    est_span = set(range(max(pos + s.est[0], 0), max(pos + s.est[1] + 1, 0)))
    excluded: set[int] = set()
    if s.exclude_overlaps:
        for _, span in others:
            excluded |= span & est_span
    row["n_excluded"] = len(excluded)
    candidates = np.array(sorted(est_span - excluded), dtype=np.int64)
    est_idx = candidates[ok[candidates]] if candidates.size else candidates
    n_est = int(est_idx.size)
    row["n_est"] = n_est
    if n_est:
        row["est_start"] = sessions[est_idx[0]]
        row["est_end"] = sessions[est_idx[-1]]
    if n_est < s.min_estimation:
        row["reason"] = (
            f"{n_est} estimation observations in {_window_label(*s.est)} after excluding "
            f"{len(excluded)} overlapping event days; need >= {s.min_estimation} (min_estimation)"
        )
        return
    available = s.n_requested - len(excluded)
    if n_est < available:
        pair.notes.append(
            f"estimation window has {n_est} of {available} requested sessions "
            f"({row['est_start'].date()} to {row['est_end'].date()})"
        )
    if n_est < s.short_estimation:
        row["short_window"] = True
        pair.warn = (
            f"{row['ticker']}, event {row['event_id']}: short estimation window, {n_est} sessions "
            f"({row['est_start'].date()} to {row['est_end'].date()}) < {s.short_estimation} "
            f"(short_estimation); using them (min_estimation={s.min_estimation})"
        )
    pair.est_idx = est_idx


def _window_stats(
    rel: npt.NDArray[np.int64], ar: FloatArray, cov: FloatArray, dof: int, n_est_sigma2: float, s: _Settings
) -> list[dict[str, Any]]:
    """CAR statistics of every window from the valid event-window days."""
    from scipy.special import stdtr  # Student t, lighter than scipy.stats

    out = []
    for lo, hi in s.windows:
        g = ((rel >= lo) & (rel <= hi)).astype(np.float64)
        n_days = int(g.sum())
        stat: dict[str, Any] = {
            "window": _window_label(lo, hi),
            "rel_start": lo,
            "rel_end": hi,
            "n_days": n_days,
            "car_log": np.nan,
            "car_simple": np.nan,
            "se": np.nan,
            "t": np.nan,
            "p": np.nan,
            "df": dof,
        }
        if n_days:
            car = float(g @ ar)
            var = float(g @ cov @ g) if s.variance == "prediction" else n_days * n_est_sigma2
            t_car = car / math.sqrt(var)
            stat.update(
                car_log=car,
                car_simple=float(np.expm1(car)),
                se=math.sqrt(var),
                t=t_car,
                p=float(2.0 * stdtr(dof, -abs(t_car))),
            )
        out.append(stat)
    return out


@dataclass
class _Collector:
    car: list[dict[str, Any]] = field(default_factory=list)
    windows: list[dict[str, Any]] = field(default_factory=list)
    ar: list[pd.DataFrame] = field(default_factory=list)
    residuals: dict[tuple[str, str, str], tuple[npt.NDArray[np.int64], FloatArray]] = field(
        default_factory=dict
    )


def _study_model(
    pair: _Pair,
    model: EventModel,
    y_col: FloatArray,
    design: dict[str, FloatArray],
    ok: npt.NDArray[np.bool_],
    sessions: pd.DatetimeIndex,
    s: _Settings,
    out: _Collector,
) -> None:
    """Fit one model on a pair's estimation sample and record its AR and CARs."""
    row = {**pair.row, "model": model.name}
    notes = list(pair.notes)
    if pair.row["reason"]:
        out.car.append(row)
        return
    pos = pair.pos
    assert pos is not None
    x_all = design[model.name]
    fit = fit_normal_returns(y_col[pair.est_idx], x_all[pair.est_idx], zero_alpha=model.zero_alpha)
    row["df"] = fit.dof
    row["intercept"] = float(fit.theta[0])
    for j, term in enumerate(model.terms):
        row[f"beta[{term}]"] = float(fit.theta[j + 1])
    row["sigma"] = math.sqrt(fit.sigma2)
    key = (row["event_id"], row["ticker"], model.name)
    out.residuals[key] = (pair.est_idx, fit.residuals)

    n_sessions = len(sessions)
    ev_pos = np.arange(max(pos + s.ev[0], 0), min(pos + s.ev[1], n_sessions - 1) + 1)
    if ev_pos.size < s.ev[1] - s.ev[0] + 1:
        notes.append(
            f"event window truncated by the data to relative days {int(ev_pos[0] - pos):+d}.."
            f"{int(ev_pos[-1] - pos):+d}"
        )
    valid = ok[ev_pos]
    if not valid.all():
        notes.append(f"no data on relative day(s) {', '.join(f'{int(p - pos):+d}' for p in ev_pos[~valid])}")
    rel = (ev_pos - pos).astype(np.int64)
    expected_v, ar_v, cov = abnormal_returns(
        fit, y_col[ev_pos[valid]], x_all[ev_pos[valid]], variance=s.variance
    )
    expected = np.full(ev_pos.size, np.nan)
    ar = np.full(ev_pos.size, np.nan)
    se = np.full(ev_pos.size, np.nan)
    expected[valid], ar[valid] = expected_v, ar_v
    se[valid] = np.sqrt(np.diag(cov))
    t_ar = ar / se
    from scipy.special import stdtr  # Student t, lighter than scipy.stats

    out.ar.append(
        pd.DataFrame(
            {
                "event_id": row["event_id"],
                "ticker": row["ticker"],
                "model": model.name,
                "rel_day": rel,
                "date": sessions[ev_pos],
                "ret": y_col[ev_pos],
                "expected": expected,
                "ar": ar,
                "se": se,
                "t": t_ar,
                "p": 2.0 * stdtr(fit.dof, -np.abs(t_ar)),
                "car_log": np.where(valid, np.cumsum(np.nan_to_num(ar, nan=0.0)), np.nan),
            }
        )
    )
    for stat in _window_stats(rel[valid], ar_v, cov, fit.dof, fit.sigma2, s):
        out.windows.append(
            {"event_id": row["event_id"], "ticker": row["ticker"], "model": model.name, **stat}
        )
        if (stat["rel_start"], stat["rel_end"]) == s.ev:
            for k in ("n_days", "car_log", "car_simple", "se", "t", "p"):
                row[k] = stat[k]
    row["estimable"] = row["n_days"] > 0
    if not row["estimable"]:
        row["reason"] = "no event-window day with data"
    row["warnings"] = "; ".join(notes)
    out.car.append(row)


def _holm(frame: pd.DataFrame) -> pd.Series:
    """Holm-adjusted ``p`` within each (model, window): the events x tickers family."""
    adj = pd.Series(np.nan, index=frame.index, dtype=np.float64)
    for _, sub in frame.groupby(["model", "window"], sort=False):
        adj.loc[sub.index] = holm(sub["p"].to_numpy(dtype=np.float64))
    return adj


def _cross_section(windows: pd.DataFrame, out: _Collector) -> pd.DataFrame:
    """BMP / KP test per (model, event, window) over the event's estimable tickers."""
    rows = []
    if windows.empty:
        return pd.DataFrame(
            columns=[
                "model",
                "event_id",
                "window",
                "n",
                "mean_scar",
                "t_bmp",
                "p_bmp",
                "rbar",
                "t_kp",
                "p_kp",
            ]
        )
    for (model, eid, window), sub in windows.groupby(["model", "event_id", "window"], sort=False):
        sub = sub[np.isfinite(sub["car_log"].to_numpy(dtype=np.float64))]
        if len(sub) < 2:
            continue
        parts = [out.residuals[(str(eid), str(t), str(model))] for t in sub["ticker"]]
        rows_at = np.unique(np.concatenate([pos for pos, _ in parts]))
        matrix = np.full((rows_at.size, len(parts)), np.nan)
        for j, (pos, values) in enumerate(parts):
            matrix[np.searchsorted(rows_at, pos), j] = values
        resid = pd.DataFrame(matrix)
        test = bmp_test(sub["car_log"] / sub["se"], rbar=mean_residual_correlation(resid))
        rows.append(
            {
                "model": model,
                "event_id": eid,
                "window": window,
                "n": test.n,
                "mean_scar": test.mean_scar,
                "t_bmp": test.t_bmp,
                "p_bmp": test.p_bmp,
                "rbar": test.rbar,
                "t_kp": test.t_kp,
                "p_kp": test.p_kp,
            }
        )
    return pd.DataFrame(
        rows,
        columns=["model", "event_id", "window", "n", "mean_scar", "t_bmp", "p_bmp", "rbar", "t_kp", "p_kp"],
    )


# ----------------------------------------------------------------------------- study


def event_study(
    returns: pd.DataFrame,
    events: pd.DataFrame,
    *,
    models: Sequence[EventModel | str] = DEFAULT_MODELS,
    estimation_window: tuple[int, int] = DEFAULT_ESTIMATION_WINDOW,
    event_window: tuple[int, int] = DEFAULT_EVENT_WINDOW,
    sub_windows: Sequence[tuple[int, int]] = DEFAULT_SUB_WINDOWS,
    min_estimation: int = DEFAULT_MIN_ESTIMATION,
    short_estimation: int = DEFAULT_SHORT_ESTIMATION,
    tickers: Sequence[str] | None = None,
    exclude_overlaps: bool = True,
    variance: Literal["prediction", "simple"] = "prediction",
    alpha: float = DEFAULT_ALPHA,
) -> EventStudyResult:
    """Event study of every (event, ticker) pair under several normal-return models.

    Parameters
    ----------
    returns
        Wide daily log returns indexed by a sorted ``DatetimeIndex`` of sessions.
    events
        Catalogue as returned by :func:`load_events` (needs ``event_id``, ``date``
        and ``tickers``; ``tickers`` may be a tuple or a space-separated string).
    models
        :class:`EventModel` objects or names in :data:`MODELS` (default: ``market``,
        ``zero_alpha``, ``two_factor``), estimated on the same sample.
    estimation_window, event_window
        Inclusive windows in sessions relative to the event session, e.g.
        ``(-250, -11)`` and ``(-1, 5)``; the estimation window must end before the
        event window starts.
    sub_windows
        Further CAR windows inside the event window.
    min_estimation
        Fewest estimation observations; below it the pair is reported as not
        estimable (``estimable=False`` with the ``reason``).
    short_estimation
        Below this many estimation observations a pair is estimated but flagged
        ``short_window`` and a :class:`ShortSampleWarning` is issued.
    tickers
        Restrict the study to these tickers; ``None`` studies every catalogued
        ticker, which must then all be columns of ``returns``.
    exclude_overlaps
        Drop other catalogued events' event windows (same ticker) from the
        estimation window.
    variance
        ``"prediction"`` (default, with the estimation-error correction) or
        ``"simple"`` (``sigma^2`` per day, ``L2 sigma^2`` for a CAR).
    alpha
        Significance level the result's sentences use (:func:`model_agreement`);
        ``p_adj`` itself does not depend on it.

    Returns
    -------
    EventStudyResult

    Raises
    ------
    ConfigError
        Unknown ticker, factor or model, malformed or overlapping windows,
        estimation window longer than the data, ``min_estimation`` too small or
        larger than the estimation window, sub-window outside the event window.

    Warns
    -----
    ShortSampleWarning
        For pairs estimated on fewer than ``short_estimation`` sessions (e.g.
        ABTC, listed 2025-09-03).

    Notes
    -----
    Per model on the estimation sample (L1 = ``n_est`` rows, k parameters):
    ``R_t = a + b' F_t + e_t`` by OLS, ``sigma^2 = SSR / (L1 - k)``; the
    zero-alpha model predicts ``b' F_t`` (``a`` estimated so that ``b`` is not
    biased by a drift, but not extrapolated). For the event-window rows ``X*``:

    * ``AR = R* - X* theta`` (log returns), ``V = sigma^2 (I + X* (X'X)^-1 X*')``
      (MacKinlay 1997; slope block only for zero alpha);
    * ``CAR(t1, t2) = g' AR`` (``car_log``), ``Var(CAR) = g' V g`` (``L2 sigma^2``
      with ``variance="simple"``), ``car_simple = exp(car_log) - 1``;
    * per-firm ``t = CAR / se`` with Student t p-values on ``L1 - k`` degrees of
      freedom; ``p_adj`` is Holm over all (event, ticker) of a model and window;
    * BMP: ``SCAR_i = CAR_i / se_i`` over an event's tickers,
      ``t = mean / (sd / sqrt(N))``; KP multiplies it by
      ``sqrt((1 - rbar) / (1 + (N - 1) rbar))`` with rbar the mean pairwise
      correlation of the tickers' estimation residuals (all share the event date).

    Estimation sample: sessions in the estimation window, minus other catalogued
    events' event windows for the same ticker (``n_excluded``), minus rows where
    the ticker or any model's regressor is NaN (e.g. before listing) - the same
    rows for every model. Event dates that are not sessions roll to the next
    session (``session``, ``rolled``). An event window cut off by the end of the
    data is truncated and noted in ``warnings``. ``overlaps`` lists other events of
    the same ticker whose event windows intersect this one.
    """
    s = _check_settings(
        returns,
        models,
        estimation_window,
        event_window,
        sub_windows,
        min_estimation,
        short_estimation,
        variance,
        exclude_overlaps,
        alpha,
    )
    catalogue = _normalise_events(events)
    pairs = _select_pairs(catalogue, tickers, returns, s)
    sessions = pd.DatetimeIndex(returns.index)
    positions = _event_positions(catalogue, sessions)
    spans = _event_spans(catalogue, positions, s)
    design = _design_matrix(returns, s)
    x_ok = np.isfinite(design.to_numpy(dtype=np.float64)).all(axis=1)
    x_by_model = {m.name: design.loc[:, [_CONST, *m.terms]].to_numpy(dtype=np.float64) for m in s.models}

    out = _Collector()
    to_warn: list[str] = []
    for i, ticker in pairs:
        y_col = returns[ticker].to_numpy(dtype=np.float64)
        ok = x_ok & np.isfinite(y_col)
        pair = _Pair(row=_base_row(catalogue, i, ticker, positions[i], sessions, s), pos=positions[i])
        _estimation_sample(pair, spans, ok, sessions, s)
        if pair.warn:
            to_warn.append(pair.warn)
        for model in s.models:
            _study_model(pair, model, y_col, x_by_model, ok, sessions, s, out)
    for msg in to_warn:
        warnings.warn(msg, ShortSampleWarning, stacklevel=2)

    window_cols = ["event_id", "ticker", "model", "window", "rel_start", "rel_end", "n_days", "car_log"]
    window_cols += ["car_simple", "se", "t", "p", "df"]
    windows = pd.DataFrame(out.windows, columns=window_cols)
    windows["p_adj"] = _holm(windows)
    car = pd.DataFrame(out.car)
    main = windows[windows["window"] == _window_label(*s.ev)].set_index(["event_id", "ticker", "model"])[
        "p_adj"
    ]
    keys = list(zip(car["event_id"], car["ticker"], car["model"], strict=True))
    car["p_adj"] = [main.get(k, np.nan) for k in keys]
    for col in ("n_days", "n_est", "n_excluded", "rel_start", "rel_end"):
        car[col] = car[col].astype(np.int64)
    ar_cols = [
        "event_id",
        "ticker",
        "model",
        "rel_day",
        "date",
        "ret",
        "expected",
        "ar",
        "se",
        "t",
        "p",
        "car_log",
    ]
    ar_frame = pd.concat(out.ar, ignore_index=True) if out.ar else pd.DataFrame(columns=ar_cols)
    return EventStudyResult(
        car=car,
        car_windows=windows,
        ar=ar_frame.loc[:, ar_cols],
        bmp=_cross_section(windows, out),
        models=s.models,
        estimation_window=s.est,
        event_window=s.ev,
        variance=s.variance,
        alpha=s.alpha,
        short_estimation=s.short_estimation,
    )


# ----------------------------------------------------------------------------- reading the results


def _sign_word(value: float) -> str:
    return "positive" if value > 0 else "negative" if value < 0 else "zero"


def model_agreement(
    result: EventStudyResult, *, window: str | None = None, alpha: float | None = None
) -> pd.DataFrame:
    """Whether sign and significance of each CAR agree across the models.

    Parameters
    ----------
    result
        Output of :func:`event_study`.
    window
        CAR window label such as ``"(-1,+5)"``; ``None`` uses the full event window.
    alpha
        Significance level applied to the Holm-adjusted ``p_adj``; ``None`` uses
        ``result.alpha``.

    Returns
    -------
    pd.DataFrame
        One row per estimable (event, ticker): ``event_id, ticker, window,
        car_simple[<model>]..., p_adj[<model>]..., sign_agrees,
        significance_agrees, sentence``.
    """
    level = result.alpha if alpha is None else check_open_unit(alpha, "alpha", example="0.05")
    label = result.window if window is None else window
    w = result.car_windows
    check_choice(label, "window", list(dict.fromkeys(w["window"])) or [result.window])
    sub = w[(w["window"] == label) & np.isfinite(w["car_log"].to_numpy(dtype=np.float64))]
    names = [m.name for m in result.models]
    rows = []
    for (eid, ticker), grp in sub.groupby(["event_id", "ticker"], sort=False):
        g = grp.set_index("model").reindex([n for n in names if n in set(grp["model"])])
        signs = {m: _sign_word(float(v)) for m, v in g["car_log"].items()}
        sig = {m: bool(p < level) for m, p in g["p_adj"].items()}
        sign_ok = len(set(signs.values())) == 1
        sig_ok = len(set(sig.values())) == 1
        detail = ", ".join(
            f"{m} {100.0 * float(g.at[m, 'car_simple']):+.1f}% (Holm p {float(g.at[m, 'p_adj']):.2g})"
            for m in g.index
        )
        if sign_ok and sig_ok:
            verdict = (
                f"all {len(g)} models agree: {next(iter(signs.values()))} and "
                f"{'significant' if next(iter(sig.values())) else 'not significant'} at {level:g} after Holm"
            )
        elif sign_ok:
            verdict = f"the models agree on the sign ({next(iter(signs.values()))}) but not on significance"
        elif sig_ok:
            verdict = "the models disagree on the sign" + (
                " although each is significant" if next(iter(sig.values())) else " (none is significant)"
            )
        else:
            verdict = "the models disagree on sign and significance"
        row: dict[str, Any] = {"event_id": str(eid), "ticker": str(ticker), "window": label}
        for m in g.index:
            row[f"car_simple[{m}]"] = float(g.at[m, "car_simple"])
        for m in g.index:
            row[f"p_adj[{m}]"] = float(g.at[m, "p_adj"])
        row["sign_agrees"] = sign_ok
        row["significance_agrees"] = sig_ok
        row["sentence"] = f"{ticker} around {eid}, CAR{label} (simple returns): {verdict} - {detail}."
        rows.append(row)
    return pd.DataFrame(rows)


def confounds(result: EventStudyResult) -> pd.DataFrame:
    """Data limits and confounds of an event study, one row per (event, ticker, issue).

    Returns
    -------
    pd.DataFrame
        ``event_id, ticker, kind, detail`` with ``kind`` one of ``same_session``
        (another catalogued event of the same ticker on the same session: the
        abnormal return cannot be attributed to one of them), ``overlap`` (event
        windows intersect), ``not_estimable``, ``short_window`` (estimated on fewer
        than ``short_estimation`` sessions) and ``data`` (truncated window, missing
        days). Model-independent: read from the first model's rows.
    """
    first = result.models[0].name
    records: list[dict[str, Any]] = [
        {str(k): v for k, v in r.items()} for r in result.car[result.car["model"] == first].to_dict("records")
    ]
    rows: list[dict[str, str]] = []
    by_session: dict[tuple[pd.Timestamp, str], list[str]] = {}
    for r in records:
        if pd.notna(r["session"]):
            by_session.setdefault((_ts(r["session"]), str(r["ticker"])), []).append(str(r["event_id"]))

    def add(eid: str, ticker: str, kind: str, detail: str) -> None:
        rows.append({"event_id": eid, "ticker": ticker, "kind": kind, "detail": detail})

    for r in records:
        eid, ticker = str(r["event_id"]), str(r["ticker"])
        session = _ts(r["session"]) if pd.notna(r["session"]) else None
        same = [o for o in by_session.get((session, ticker), []) if o != eid] if session is not None else []
        if same and session is not None:
            add(
                eid,
                ticker,
                "same_session",
                f"same session {session.date()} as {', '.join(same)}: {ticker}'s abnormal return "
                "cannot be attributed to one event",
            )
        other = [o for o in str(r["overlaps"]).split(_LIST_SEPARATOR) if o and o not in same]
        if other:
            add(eid, ticker, "overlap", f"event window overlaps {', '.join(other)}")
        if not r["estimable"]:
            add(eid, ticker, "not_estimable", str(r["reason"]))
        elif r["short_window"]:
            add(
                eid,
                ticker,
                "short_window",
                f"estimated on {int(r['n_est'])} sessions ({_ts(r['est_start']).date()}.."
                f"{_ts(r['est_end']).date()}), fewer than {result.short_estimation}",
            )
        for note in str(r["warnings"]).split("; "):
            if note.startswith(("event window truncated", "no data on")):
                add(eid, ticker, "data", note)
    return pd.DataFrame(rows, columns=["event_id", "ticker", "kind", "detail"])


def catalogue_tickers(catalogue: pd.DataFrame) -> list[str]:
    """Every ticker named by the catalogue's events, in first-appearance order."""
    return list(dict.fromkeys(t for tickers in catalogue["tickers"] for t in tickers))


def short_estimations(result: EventStudyResult) -> list[ShortSample]:
    """Estimable (event, ticker) pairs whose estimation sample is shorter than its window.

    Model-independent (read from the first model's rows); the window is the length of the
    estimation window in sessions, ``hi - lo + 1``.
    """
    lo, hi = result.estimation_window
    first = result.car[(result.car["model"] == result.models[0].name) & result.car["estimable"].astype(bool)]
    records = [
        {"event_id": e, "ticker": t, "n": n, "window": hi - lo + 1}
        for e, t, n in zip(first["event_id"], first["ticker"], first["n_est"], strict=True)
    ]
    return short_samples(records, label="{ticker} estimation window of {event_id}")
