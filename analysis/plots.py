"""Plot helpers for the study notebooks (matplotlib + seaborn), no statistics inside.

Every helper takes its data first and an optional ``ax``, labels the axes with
units, sets a title, draws a small source note at the bottom-left of the figure
and returns the :class:`matplotlib.figure.Figure`. ``synthetic=True`` stamps a
diagonal :data:`WATERMARK_TEXT` across every axes of the figure, prefixes the
title with :data:`SYNTHETIC_TITLE_PREFIX` and, if the source note was left at
:data:`DEFAULT_SOURCE`, replaces it with :data:`SYNTHETIC_SOURCE`.

Inputs follow the package conventions: wide frames indexed by a
``DatetimeIndex`` of sessions, columns = tickers, returns and drawdowns as
*fractions* (log returns, ``P/peak - 1``); helpers whose axis is in percent
multiply by :data:`PERCENT` themselves.

Figures are created through ``pyplot`` (so Jupyter's inline backend shows them at
the end of a cell: assign the result, ``fig = plots.rolling_lines(...)``, rather
than leaving a bare call as the last expression, which would display it twice);
nothing here calls ``plt.show()``, and everything works under the Agg backend.
"""

from __future__ import annotations

import math
import os
import re
import tempfile
import textwrap
import warnings
from collections.abc import Hashable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeAlias

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import matplotlib.ticker as mticker
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.text import Text
from scipy import stats

from analysis.errors import ConfigError

from ._typing import DateLike

__all__ = [
    "BETA_LABEL",
    "CAR_LABEL",
    "CORRELATION_LABEL",
    "DATE_LABEL",
    "DEFAULT_SOURCE",
    "DRAWDOWN_LABEL",
    "FIG_DPI",
    "INDEX_LABEL",
    "LOG_RETURN_LABEL",
    "PERCENT",
    "RELATIVE_DAY_LABEL",
    "SOURCE_NOTE_GID",
    "SYNTHETIC_SOURCE",
    "SYNTHETIC_TITLE_PREFIX",
    "WATERMARK_GID",
    "WATERMARK_TEXT",
    "claims_chart",
    "coefficient_bars",
    "correlation_heatmap",
    "coverage_chart",
    "cumulative_returns",
    "drawdown_chart",
    "event_bars",
    "event_car",
    "figure_texts",
    "rolling_betas",
    "rolling_lines",
    "save_figure",
    "scatter_stress",
    "set_style",
]

#: A shaded period: ``(start, end, label)``, both ends inclusive.
Shade: TypeAlias = tuple[DateLike, DateLike, str]
#: A vertical event marker: ``(date, short label)``.
Event: TypeAlias = tuple[DateLike, str]
AxesArg: TypeAlias = Axes | Sequence[Axes] | np.ndarray | None

# ----------------------------------------------------------------------------- constants

#: Figure and saved-PNG resolution (dots per inch).
FIG_DPI = 110
#: Multiplier from fractions (log returns, drawdowns) to percent.
PERCENT = 100.0
#: Watermark stamped on every axes when ``synthetic=True``.
WATERMARK_TEXT = "SYNTHETIC DEMO DATA"
#: Prefix of the title when ``synthetic=True``.
SYNTHETIC_TITLE_PREFIX = "[SYNTHETIC] "
#: Default source note.
DEFAULT_SOURCE = "Source: Yahoo Finance via yfinance; cleaned XNYS sessions"
#: Source note used instead of :data:`DEFAULT_SOURCE` when ``synthetic=True`` and no other note is given.
SYNTHETIC_SOURCE = "Source: synthetic demo data (analysis.synthetic, seeded); not market data"
#: ``gid`` of the watermark texts and of the source note (lets tests and callers find them).
WATERMARK_GID = "synthetic-watermark"
SOURCE_NOTE_GID = "source-note"

#: Axis labels with units, shared by the notebooks.
DATE_LABEL = "date"
CORRELATION_LABEL = "correlation (Pearson, 60-session window)"
BETA_LABEL = "beta (per unit factor return)"
LOG_RETURN_LABEL = "daily log return (%)"
CAR_LABEL = "cumulative abnormal log return (%)"
RELATIVE_DAY_LABEL = "sessions relative to event (0 = event session)"
INDEX_LABEL = "index, start = 100"
DRAWDOWN_LABEL = "drawdown from running peak (%)"

#: Base of :func:`cumulative_returns` (each series starts at this value).
INDEX_BASE = 100.0
#: Names accepted by :func:`save_figure` (no dots or separators: no path tricks).
FIGURE_NAME_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,120}")

#: Default figure sizes (inches).
FIGSIZE_WIDE = (10.0, 4.8)
FIGSIZE_SQUARE = (7.0, 6.0)
#: Height (inches) of one small-multiple panel row.
PANEL_HEIGHT = 3.2
#: Height (inches) of one claim panel in :func:`claims_chart`.
CLAIM_PANEL_HEIGHT = 2.0
#: Values from this magnitude up are labelled with thousands separators ("87,058").
LARGE_VALUE = 1000.0
#: Characters per line of the wrapped claim text (one column of panels).
CLAIM_WRAP_CHARS = 95
#: Event windows up to this many sessions get a tick per session.
MAX_LABELLED_SESSIONS = 25
#: Legends with more entries than this go outside the axes, on the right.
MAX_INLINE_LEGEND = 6

SOURCE_FONTSIZE = 8.0
SOURCE_COLOR = "0.35"
EVENT_FONTSIZE = 8.0
EVENT_COLOR = "0.25"
SHADE_COLOR = "#d62728"
SHADE_ALPHA = 0.12
REFERENCE_COLOR = "0.3"
WATERMARK_COLOR = "0.5"
WATERMARK_ALPHA = 0.18
#: Watermark fitting: bold glyph width (em), share of the axes it may fill, font bounds (points).
WATERMARK_GLYPH_EM = 0.72
WATERMARK_FILL = 0.9
WATERMARK_FONTSIZE_RANGE = (10.0, 60.0)
POINTS_PER_INCH = 72.0
CORR_CMAP = "RdBu_r"
CORR_LIMITS = (-1.0, 1.0)
STRESS_COLOR = "#d62728"
CALM_COLOR = "#7f7f7f"
ARTICLE_COLOR = "#4c72b0"
#: Fewest points in a regime of :func:`scatter_stress` for a fitted line.
MIN_FIT_POINTS = 3
#: Verdict colours, matched in order as prefixes of the lower-cased verdict (the report uses the
#: same green and red); anything else is :data:`UNKNOWN_VERDICT_COLOR`.
VERDICT_COLORS: tuple[tuple[str, str], ...] = (
    ("not testable", "#7f7f7f"),
    ("not measurable", "#7f7f7f"),
    ("not tested", "#7f7f7f"),
    ("supported", "#0a7d27"),
    ("partly", "#d4a017"),
    ("partially", "#d4a017"),
    ("mixed", "#d4a017"),
    ("not", "#b00020"),
    ("contradicted", "#b00020"),
    ("refuted", "#b00020"),
)
UNKNOWN_VERDICT_COLOR = "#7f7f7f"
#: Note drawn in a panel whose series are all NaN (e.g. a ticker listed after the first window).
NO_ESTIMATE_TEXT = "no estimate: too few sessions in the window"
#: Columns of :func:`analysis.exposure.rolling_betas` output that are not betas.
NON_BETA_COLUMNS = frozenset({"const", "r2", "nobs"})


# ----------------------------------------------------------------------------- style


def set_style(*, context: str = "notebook", font_scale: float = 1.05) -> None:
    """Apply the house plot style (seaborn theme, dpi, readable fonts).

    Parameters
    ----------
    context
        seaborn context: ``"paper"``, ``"notebook"``, ``"talk"`` or ``"poster"``.
    font_scale
        Multiplier of the context's font sizes.

    Notes
    -----
    Changes global ``rcParams``; call once in a notebook's imports cell. Date
    axes use matplotlib's concise converter.
    """
    if context not in ("paper", "notebook", "talk", "poster"):
        raise ConfigError(f"context must be 'paper', 'notebook', 'talk' or 'poster', got {context!r}")
    sns.set_theme(
        context=context,
        style="whitegrid",
        palette="colorblind",
        font_scale=font_scale,
        rc={
            "figure.dpi": FIG_DPI,
            "savefig.dpi": FIG_DPI,
            "figure.figsize": FIGSIZE_WIDE,
            "axes.titlesize": "large",
            "axes.titleweight": "bold",
            "figure.titleweight": "bold",
            "axes.spines.top": False,
            "axes.spines.right": False,
            "legend.frameon": False,
            "date.converter": "concise",
        },
    )


# ----------------------------------------------------------------------------- shared helpers


def _check_source(source: str) -> str:
    if not isinstance(source, str) or not source.strip():
        raise ConfigError("source must be a non-empty note, e.g. plots.DEFAULT_SOURCE")
    return source


def _new_figure(ax: Axes | None, figsize: tuple[float, float]) -> tuple[Figure, Axes]:
    if ax is None:
        fig, new_ax = plt.subplots(figsize=figsize, dpi=FIG_DPI, layout="constrained")
        return fig, new_ax
    if not isinstance(ax, Axes):
        raise ConfigError(f"ax must be a matplotlib Axes or None, got {type(ax).__name__}")
    return _root_figure(ax), ax


def _root_figure(ax: Axes) -> Figure:
    fig = ax.get_figure(root=True)
    if not isinstance(fig, Figure):
        raise ConfigError("ax must belong to a matplotlib Figure")
    return fig


def _new_grid(
    ax: AxesArg, n: int, ncols: int, panel_size: tuple[float, float], *, sharex: bool, sharey: bool
) -> tuple[Figure, list[Axes]]:
    """Figure with ``n`` panels (extra grid cells removed), or the caller's axes."""
    if ax is not None:
        given = [ax] if isinstance(ax, Axes) else list(np.ravel(np.asarray(ax, dtype=object)))
        if len(given) < n or not all(isinstance(a, Axes) for a in given):
            raise ConfigError(f"ax must hold at least {n} matplotlib Axes (one per panel), got {len(given)}")
        return _root_figure(given[0]), given[:n]
    if ncols < 1:
        raise ConfigError(f"ncols must be >= 1, got {ncols}")
    ncols = min(ncols, n)
    nrows = math.ceil(n / ncols)
    fig, grid = plt.subplots(
        nrows,
        ncols,
        figsize=(panel_size[0] * ncols, panel_size[1] * nrows),
        dpi=FIG_DPI,
        layout="constrained",
        sharex=sharex,
        sharey=sharey,
        squeeze=False,
    )
    axes = list(grid.ravel())
    for extra in axes[n:]:
        fig.delaxes(extra)
    return fig, axes[:n]


def _is_colorbar(ax: Axes) -> bool:
    return getattr(ax, "_colorbar", None) is not None or ax.get_label() == "<colorbar>"


def _watermark_size(width: float, height: float, angle: float) -> float:
    """Largest font size (points) whose rotated watermark box fits a ``width x height`` inch axes."""
    length = len(WATERMARK_TEXT) * WATERMARK_GLYPH_EM / POINTS_PER_INCH  # inches per point of size
    line = 1.0 / POINTS_PER_INCH
    cos, sin = math.cos(angle), math.sin(angle)
    return min(
        WATERMARK_FILL * width / (length * cos + line * sin),
        WATERMARK_FILL * height / (length * sin + line * cos),
    )


def _add_watermark(fig: Figure) -> None:
    """Stamp :data:`WATERMARK_TEXT` diagonally on every (non-colorbar) axes, once."""
    fig.draw_without_rendering()  # run the layout engine so axes positions are final
    fig_w, fig_h = fig.get_size_inches()
    lo, hi = WATERMARK_FONTSIZE_RANGE
    for ax in fig.axes:
        if _is_colorbar(ax) or any(t.get_gid() == WATERMARK_GID for t in ax.texts):
            continue
        pos = ax.get_position()
        w, h = pos.width * fig_w, pos.height * fig_h
        angle = math.atan2(h, w)
        size = min(hi, max(lo, _watermark_size(w, h, angle)))
        ax.text(
            0.5,
            0.5,
            WATERMARK_TEXT,
            transform=ax.transAxes,
            rotation=math.degrees(angle),
            rotation_mode="anchor",
            ha="center",
            va="center",
            fontsize=size,
            fontweight="bold",
            color=WATERMARK_COLOR,
            alpha=WATERMARK_ALPHA,
            zorder=100,
            clip_on=True,
            in_layout=False,
            gid=WATERMARK_GID,
        )


def _title(text: str, synthetic: bool) -> str:
    if synthetic and not text.startswith(SYNTHETIC_TITLE_PREFIX):
        return SYNTHETIC_TITLE_PREFIX + text
    return text


def _finish(
    fig: Figure,
    *,
    source: str,
    synthetic: bool,
    title: str,
    ax: Axes | None = None,
    suptitle: bool = False,
) -> Figure:
    """Title (axes or figure), source note, watermark."""
    if synthetic and source == DEFAULT_SOURCE:
        source = SYNTHETIC_SOURCE
    if suptitle:
        fig.suptitle(_title(title, synthetic))
    elif ax is not None:
        ax.set_title(_title(title, synthetic))
    # A figure-level x label is part of the constrained layout, so the note never overlaps the axes.
    fig.supxlabel(
        source,
        x=0.01,
        ha="left",
        fontsize=SOURCE_FONTSIZE,
        fontweight="normal",
        color=SOURCE_COLOR,
        gid=SOURCE_NOTE_GID,
    )
    if synthetic:
        _add_watermark(fig)
    return fig


def _label(col: Hashable) -> str:
    if isinstance(col, tuple):
        return " · ".join(str(c) for c in col)
    return str(col)


def _timestamp(value: Any, name: str) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{name} must be a date such as '2025-11-03', got {value!r}") from exc
    if pd.isna(ts):
        raise ConfigError(f"{name} must be a date such as '2025-11-03', got {value!r}")
    return ts


def _as_frame(data: pd.Series | pd.DataFrame, name: str) -> pd.DataFrame:
    if isinstance(data, pd.Series):
        frame = data.to_frame(name=data.name if data.name is not None else name)
    elif isinstance(data, pd.DataFrame):
        frame = data
    else:
        raise ConfigError(f"{name} must be a pandas Series or DataFrame, got {type(data).__name__}")
    if frame.empty:
        raise ConfigError(f"{name} is empty: pass at least one row and one column")
    return frame


def _time_frame(data: pd.Series | pd.DataFrame, name: str, *, allow_all_nan: bool = False) -> pd.DataFrame:
    frame = _as_frame(data, name)
    if not isinstance(frame.index, pd.DatetimeIndex):
        raise ConfigError(
            f"{name} must be indexed by a DatetimeIndex of sessions, got {type(frame.index).__name__}"
        )
    numeric = frame.apply(pd.to_numeric, errors="coerce").astype(np.float64)
    if not allow_all_nan and not np.isfinite(numeric.to_numpy()).any():
        raise ConfigError(f"{name} has no finite values to plot")
    out: pd.DataFrame = numeric.sort_index()
    return out


def _require_columns(table: pd.DataFrame, columns: Iterable[str], name: str) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        have = ", ".join(str(c) for c in table.columns)
        raise ConfigError(f"{name} lacks column(s) {', '.join(missing)}; it has: {have}")


def _format_date_axis(ax: Axes) -> None:
    locator = mdates.AutoDateLocator()  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]


def _datenum(ts: pd.Timestamp) -> float:
    """Matplotlib date number (days since the epoch) of a timestamp."""
    return float(mdates.date2num(ts.to_datetime64()))  # type: ignore[no-untyped-call]


def _legend(ax: Axes, *, title: str | None = None) -> None:
    handles, _labels = ax.get_legend_handles_labels()
    if not handles:
        return
    if len(handles) > MAX_INLINE_LEGEND:
        ax.legend(
            title=title,
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
            fontsize="small",
            ncols=math.ceil(len(handles) / 20),
        )
    else:
        ax.legend(title=title, loc="best", fontsize="small")


def _shared_legend(fig: Figure, axes: Sequence[Axes], *, title: str | None = None) -> None:
    """One legend for all panels (right of them with constrained layout, else on the first panel)."""
    entries: dict[str, Any] = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            entries.setdefault(label, handle)
    if not entries:
        return
    if isinstance(fig.get_layout_engine(), ConstrainedLayoutEngine):
        fig.legend(
            list(entries.values()),
            list(entries),
            title=title,
            loc="outside right upper",
            fontsize="small",
        )
    else:
        axes[0].legend(list(entries.values()), list(entries), title=title, loc="best", fontsize="small")


def _decorate_time(
    ax: Axes,
    index: pd.DatetimeIndex,
    shade: Sequence[Shade] | None,
    events: Sequence[Event] | None,
) -> None:
    """Shaded periods and event markers clipped to the data's date range."""
    lo, hi = index.min(), index.max()
    seen: set[str] = set()
    for period in shade or ():
        if len(period) != 3:
            raise ConfigError(f"shade items must be (start, end, label), got {period!r}")
        t0, t1 = _timestamp(period[0], "shade start"), _timestamp(period[1], "shade end")
        if t1 < t0:
            raise ConfigError(f"shade period {period[2]!r} ends ({t1.date()}) before it starts ({t0.date()})")
        if t1 < lo or t0 > hi:
            continue
        label = str(period[2])
        ax.axvspan(
            _datenum(max(t0, lo)),
            _datenum(min(t1, hi)),
            color=SHADE_COLOR,
            alpha=SHADE_ALPHA,
            lw=0,
            zorder=0,
            label=label if label not in seen else "_nolegend_",
        )
        seen.add(label)
    for marker in events or ():
        if len(marker) != 2:
            raise ConfigError(f"events items must be (date, label), got {marker!r}")
        t = _timestamp(marker[0], "event date")
        if not lo <= t <= hi:
            continue
        ax.axvline(_datenum(t), color=EVENT_COLOR, ls="--", lw=1.0, zorder=1)
        ax.text(
            _datenum(t),
            0.98,
            f"{marker[1]} ",
            transform=ax.get_xaxis_transform(),
            rotation=90,
            ha="right",
            va="top",
            fontsize=EVENT_FONTSIZE,
            color=EVENT_COLOR,
            bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.7, "pad": 1.0},
        )


def _plot_lines(ax: Axes, frame: pd.DataFrame, *, scale: float = 1.0) -> None:
    x = frame.index.to_numpy()
    for col in frame.columns:
        y = frame[col].to_numpy(dtype=np.float64) * scale
        if np.isfinite(y).any():
            ax.plot(x, y, lw=1.4, label=_label(col))


# ----------------------------------------------------------------------------- correlations


def correlation_heatmap(
    corr: pd.DataFrame,
    *,
    title: str = "Correlation of daily log returns",
    annot: bool = True,
    mask_upper: bool = True,
    n: pd.DataFrame | None = None,
    cbar_label: str = "correlation (Pearson, daily log returns)",
    xlabel: str = "ticker",
    ylabel: str = "ticker",
    ax: Axes | None = None,
    source: str = DEFAULT_SOURCE,
    synthetic: bool = False,
) -> Figure:
    """Heatmap of a correlation matrix, diverging colours centred at 0 on [-1, 1].

    Parameters
    ----------
    corr
        Correlation matrix (e.g. ``CorrelationMatrix.corr``); NaN cells are blank.
    title, xlabel, ylabel, cbar_label
        Texts; ``cbar_label`` should name the method and sample.
    annot
        Write the value (two decimals) in each cell.
    mask_upper
        Hide the upper triangle (needs a square matrix with identical row and
        column labels).
    n
        Optional pair counts aligned with ``corr`` (e.g. ``CorrelationMatrix.n``),
        written under each value.
    ax, source, synthetic
        Target axes, source note, synthetic watermark.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ConfigError
        Empty ``corr``, ``mask_upper`` on a non-square matrix, ``n`` not aligned.
    """
    _check_source(source)
    if not isinstance(corr, pd.DataFrame) or corr.empty:
        raise ConfigError("corr is empty: pass a non-empty correlation matrix (tickers x tickers)")
    values = corr.apply(pd.to_numeric, errors="coerce").astype(np.float64)
    square = values.shape[0] == values.shape[1] and list(values.index) == list(values.columns)
    if mask_upper and not square:
        raise ConfigError(
            "mask_upper=True needs a square matrix with identical row/column labels; pass mask_upper=False"
        )
    counts: np.ndarray | None = None
    if n is not None:
        if (
            not isinstance(n, pd.DataFrame)
            or set(n.index) != set(corr.index)
            or set(n.columns) != set(corr.columns)
        ):
            raise ConfigError("n must be a DataFrame with the same index and columns as corr")
        counts = n.reindex(index=corr.index, columns=corr.columns).to_numpy(dtype=np.float64)
    k_rows, k_cols = values.shape
    fig, ax = _new_figure(
        ax, (max(FIGSIZE_SQUARE[0], 0.8 * k_cols + 2.5), max(FIGSIZE_SQUARE[1] - 1.0, 0.65 * k_rows + 1.5))
    )
    mask = np.triu(np.ones(values.shape, dtype=bool), k=1) if mask_upper else None
    annot_arg: bool | np.ndarray = False
    if annot:
        v = values.to_numpy()
        texts = np.full(v.shape, "", dtype=object)
        for i, j in np.ndindex(v.shape):
            if np.isfinite(v[i, j]):
                texts[i, j] = f"{v[i, j]:.2f}"
                if counts is not None:
                    texts[i, j] += f"\nn={int(counts[i, j])}" if np.isfinite(counts[i, j]) else "\nn=–"
        annot_arg = texts
    with warnings.catch_warnings():
        # seaborn 0.13.2 calls Colormap.set_bad, pending deprecation in matplotlib 3.11: not ours to fix.
        warnings.filterwarnings("ignore", message="The set_bad function", category=PendingDeprecationWarning)
        sns.heatmap(
            values,
            mask=mask,
            cmap=CORR_CMAP,
            center=0.0,
            vmin=CORR_LIMITS[0],
            vmax=CORR_LIMITS[1],
            annot=annot_arg,
            fmt="",
            annot_kws={"fontsize": max(6.0, min(10.0, 90.0 / max(k_rows, k_cols)))},
            square=True,
            linewidths=0.5,
            linecolor="white",
            cbar_kws={"label": cbar_label, "shrink": 0.8},
            ax=ax,
        )
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.tick_params(axis="y", labelrotation=0)
    for tick in ax.get_xticklabels():
        tick.set(rotation=45, ha="right", rotation_mode="anchor")
    ax.grid(False)
    return _finish(fig, source=source, synthetic=synthetic, title=title, ax=ax)


# ----------------------------------------------------------------------------- time series


def rolling_lines(
    frame: pd.Series | pd.DataFrame,
    *,
    ylabel: str,
    title: str,
    hline: float | None = 0.0,
    shade: Sequence[Shade] | None = None,
    events: Sequence[Event] | None = None,
    xlabel: str = DATE_LABEL,
    legend_title: str | None = None,
    ax: Axes | None = None,
    source: str = DEFAULT_SOURCE,
    synthetic: bool = False,
) -> Figure:
    """Lines over time (rolling correlations, betas, volatilities), one per column.

    Parameters
    ----------
    frame
        Values indexed by a ``DatetimeIndex``; one line per column (tuple column
        labels are joined with " · "). Plotted as given: no rescaling.
    ylabel, title
        Y label with units (e.g. :data:`CORRELATION_LABEL`) and title.
    hline
        Horizontal reference line (``None`` for none).
    shade
        Periods ``(start, end, label)`` shaded in light red (e.g. stress windows).
    events
        Dates ``(date, label)`` marked with dashed vertical lines and short labels.
        Shades and events outside the data's date range are skipped.
    xlabel, legend_title
        X label and legend title.
    ax, source, synthetic
        Target axes, source note, synthetic watermark.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ConfigError
        Empty or all-NaN ``frame``, index not a ``DatetimeIndex``, bad shade/event items.
    """
    _check_source(source)
    data = _time_frame(frame, "frame")
    fig, ax = _new_figure(ax, FIGSIZE_WIDE)
    _decorate_time(ax, pd.DatetimeIndex(data.index), shade, events)
    if hline is not None:
        ax.axhline(hline, color=REFERENCE_COLOR, lw=0.8, zorder=1)
    _plot_lines(ax, data)
    _format_date_axis(ax)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    _legend(ax, title=legend_title)
    return _finish(fig, source=source, synthetic=synthetic, title=title, ax=ax)


def _beta_panels(
    betas: Mapping[str, pd.DataFrame] | pd.DataFrame, factors: Sequence[str] | None
) -> dict[str, pd.DataFrame]:
    if isinstance(betas, pd.DataFrame):
        if betas.empty:
            raise ConfigError("betas is empty: pass {ticker: rolling-beta frame} or a (ticker, factor) frame")
        if not isinstance(betas.columns, pd.MultiIndex) or betas.columns.nlevels != 2:
            raise ConfigError("a betas DataFrame needs two-level columns (ticker, factor); or pass a dict")
        tickers = list(dict.fromkeys(betas.columns.get_level_values(0)))
        raw = {str(t): betas.xs(t, axis=1, level=0) for t in tickers}
    elif isinstance(betas, Mapping):
        if not betas:
            raise ConfigError("betas is empty: pass {ticker: rolling-beta frame} or a (ticker, factor) frame")
        raw = {str(t): f for t, f in betas.items()}
    else:
        raise ConfigError(f"betas must be a dict of DataFrames or a DataFrame, got {type(betas).__name__}")
    panels: dict[str, pd.DataFrame] = {}
    for ticker, frame in raw.items():
        if not isinstance(frame, pd.DataFrame):
            raise ConfigError(f"betas[{ticker!r}] must be a DataFrame, got {type(frame).__name__}")
        cols = (
            list(factors) if factors is not None else [c for c in frame.columns if c not in NON_BETA_COLUMNS]
        )
        _require_columns(frame, cols, f"betas[{ticker!r}]")
        if not cols:
            raise ConfigError(
                f"betas[{ticker!r}] has no factor columns (only {', '.join(map(str, frame.columns))})"
            )
        panels[ticker] = _time_frame(frame.loc[:, cols], f"betas[{ticker!r}]", allow_all_nan=True)
    if not any(np.isfinite(f.to_numpy()).any() for f in panels.values()):
        raise ConfigError("betas has no finite values to plot (every window too short?)")
    return panels


def rolling_betas(
    betas: Mapping[str, pd.DataFrame] | pd.DataFrame,
    *,
    factors: Sequence[str] | None = None,
    title: str = "Rolling factor betas",
    ylabel: str = BETA_LABEL,
    xlabel: str = DATE_LABEL,
    events: Sequence[Event] | Mapping[str, Sequence[Event]] | None = None,
    shade: Sequence[Shade] | None = None,
    hline: float | None = 0.0,
    ncols: int = 2,
    sharey: bool = True,
    ax: AxesArg = None,
    source: str = DEFAULT_SOURCE,
    synthetic: bool = False,
) -> Figure:
    """Small multiples of rolling betas: one panel per ticker, one line per factor.

    Parameters
    ----------
    betas
        ``{ticker: frame}`` (e.g. outputs of :func:`analysis.exposure.rolling_betas`)
        or one frame with two-level columns ``(ticker, factor)``; frames are
        indexed by a ``DatetimeIndex``.
    factors
        Factor columns to draw; default every column except ``const``, ``r2``, ``nobs``.
        A ticker whose betas are all NaN gets an empty panel with a note.
    title
        Figure title (panels are titled by ticker).
    ylabel, xlabel
        Axis labels with units.
    events
        ``(date, label)`` markers for every panel, or ``{ticker: [(date, label), ...]}``
        (e.g. each miner's deal dates).
    shade, hline
        Shaded periods and horizontal reference line, as in :func:`rolling_lines`.
    ncols, sharey
        Grid columns; shared y axis across panels.
    ax
        Optional axes, one per ticker (a sequence or array).
    source, synthetic
        Source note, synthetic watermark.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ConfigError
        Empty or all-NaN ``betas``, missing factor columns, wrong ``ax`` count.
    """
    _check_source(source)
    panels = _beta_panels(betas, factors)
    fig, axes = _new_grid(
        ax, len(panels), ncols, (FIGSIZE_WIDE[0] / 2, PANEL_HEIGHT), sharex=True, sharey=sharey
    )
    for (ticker, frame), pax in zip(panels.items(), axes, strict=True):
        own = events.get(ticker, ()) if isinstance(events, Mapping) else events
        _decorate_time(pax, pd.DatetimeIndex(frame.index), shade, own)
        if hline is not None:
            pax.axhline(hline, color=REFERENCE_COLOR, lw=0.8, zorder=1)
        _plot_lines(pax, frame)
        if not np.isfinite(frame.to_numpy()).any():
            pax.text(
                0.5,
                0.5,
                NO_ESTIMATE_TEXT,
                transform=pax.transAxes,
                ha="center",
                va="center",
                color=EVENT_COLOR,
            )
        _format_date_axis(pax)
        pax.set_title(ticker)
        pax.set_xlabel(xlabel)
        pax.set_ylabel(ylabel)
        pax.xaxis.set_tick_params(labelbottom=True)
    _shared_legend(fig, axes, title="factor")
    return _finish(fig, source=source, synthetic=synthetic, title=title, suptitle=True)


def cumulative_returns(
    prices: pd.Series | pd.DataFrame,
    *,
    start: DateLike | None = None,
    end: DateLike | None = None,
    title: str = "Cumulative performance",
    ylabel: str = INDEX_LABEL,
    xlabel: str = DATE_LABEL,
    logy: bool = False,
    shade: Sequence[Shade] | None = None,
    events: Sequence[Event] | None = None,
    ax: Axes | None = None,
    source: str = DEFAULT_SOURCE,
    synthetic: bool = False,
) -> Figure:
    """Prices rebased to 100 at the start of a window, one line per ticker.

    Parameters
    ----------
    prices
        Positive prices indexed by a ``DatetimeIndex`` (columns = tickers).
    start, end
        Inclusive window (default: all rows).
    title, ylabel, xlabel
        Texts; ``logy`` adds "(log scale)" to the y label.
    logy
        Logarithmic y axis (equal distances = equal percentage moves).
    shade, events
        Shaded periods and event markers, as in :func:`rolling_lines`.
    ax, source, synthetic
        Target axes, source note, synthetic watermark.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ConfigError
        Empty window, non-positive prices.

    Notes
    -----
    Each series is divided by its *first valid* price inside the window, so a
    ticker listed later (e.g. ABTC) starts at 100 on its first session.
    """
    _check_source(source)
    data = _time_frame(prices, "prices")
    t0 = _timestamp(start, "start") if start is not None else None
    t1 = _timestamp(end, "end") if end is not None else None
    window = data.loc[t0:t1]
    window = window.loc[:, window.notna().any()]
    if window.empty:
        raise ConfigError(f"prices has no valid rows between start={start} and end={end}")
    if (window <= 0).any().any():
        bad = ", ".join(str(c) for c in window.columns[(window <= 0).any()])
        raise ConfigError(f"prices must be positive; non-positive values in: {bad}")
    rebased = window / window.bfill().iloc[0] * INDEX_BASE
    fig, ax = _new_figure(ax, FIGSIZE_WIDE)
    _decorate_time(ax, pd.DatetimeIndex(rebased.index), shade, events)
    ax.axhline(INDEX_BASE, color=REFERENCE_COLOR, lw=0.8, zorder=1)
    _plot_lines(ax, rebased)
    if logy:
        ax.set_yscale("log")
        # Plain numbers (80, 100, 200) instead of 10^2 and 8x10^1.
        for axis_formatter in (ax.yaxis.set_major_formatter, ax.yaxis.set_minor_formatter):
            axis_formatter(mticker.LogFormatter(labelOnlyBase=False, minor_thresholds=(2.0, 0.5)))
        ylabel = f"{ylabel} (log scale)"
    _format_date_axis(ax)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    _legend(ax)
    return _finish(fig, source=source, synthetic=synthetic, title=title, ax=ax)


def drawdown_chart(
    drawdown: pd.Series | pd.DataFrame,
    *,
    title: str = "Drawdown from running peak",
    ylabel: str = DRAWDOWN_LABEL,
    xlabel: str = DATE_LABEL,
    shade: Sequence[Shade] | None = None,
    events: Sequence[Event] | None = None,
    ax: Axes | None = None,
    source: str = DEFAULT_SOURCE,
    synthetic: bool = False,
) -> Figure:
    """Drawdowns over time, in percent (a single series is filled).

    Parameters
    ----------
    drawdown
        Drawdowns as fractions in ``[-1, 0]`` (output of
        :func:`analysis.returns.drawdown`), indexed by a ``DatetimeIndex``.
    title, ylabel, xlabel
        Texts.
    shade, events
        Shaded periods and event markers, as in :func:`rolling_lines`.
    ax, source, synthetic
        Target axes, source note, synthetic watermark.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ConfigError
        Empty input, or values outside ``[-1, 0]`` (e.g. already in percent).
    """
    _check_source(source)
    data = _time_frame(drawdown, "drawdown")
    values = data.to_numpy()
    finite = values[np.isfinite(values)]
    tol = 1e-9
    if finite.min() < -1.0 - tol or finite.max() > tol:
        raise ConfigError(
            "drawdown must be fractions in [-1, 0] (analysis.returns.drawdown output), "
            f"got values from {finite.min():.4g} to {finite.max():.4g}; do not pass percent"
        )
    fig, ax = _new_figure(ax, FIGSIZE_WIDE)
    _decorate_time(ax, pd.DatetimeIndex(data.index), shade, events)
    _plot_lines(ax, data, scale=PERCENT)
    if data.shape[1] == 1:
        y = data.iloc[:, 0].to_numpy(dtype=np.float64) * PERCENT
        ax.fill_between(data.index.to_numpy(), y, 0.0, where=np.isfinite(y), alpha=0.25, lw=0)
    ax.axhline(0.0, color=REFERENCE_COLOR, lw=0.8, zorder=1)
    _format_date_axis(ax)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    _legend(ax)
    return _finish(fig, source=source, synthetic=synthetic, title=title, ax=ax)


def coverage_chart(
    prices: pd.DataFrame,
    *,
    title: str = "Data availability by ticker",
    xlabel: str = DATE_LABEL,
    ylabel: str = "ticker (share of sessions with data)",
    show_share: bool = True,
    ax: Axes | None = None,
    source: str = DEFAULT_SOURCE,
    synthetic: bool = False,
) -> Figure:
    """Per-ticker availability timeline: coloured where a session has data, grey where missing.

    Parameters
    ----------
    prices
        Wide frame indexed by a ``DatetimeIndex`` of sessions; a cell "has data"
        when it is not NaN.
    title, xlabel, ylabel
        Texts.
    show_share
        Append the share of rows with data to each ticker's label.
    ax, source, synthetic
        Target axes, source note, synthetic watermark.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ConfigError
        Empty ``prices`` or index not a ``DatetimeIndex``.

    Notes
    -----
    Each session spans until the next row's date, so consecutive sessions draw
    as one bar and a missing session shows as a grey gap.
    """
    _check_source(source)
    frame = _as_frame(prices, "prices")
    if not isinstance(frame.index, pd.DatetimeIndex):
        raise ConfigError(
            f"prices must be indexed by a DatetimeIndex of sessions, got {type(frame.index).__name__}"
        )
    frame = frame.sort_index()
    dates = np.asarray(mdates.date2num(frame.index.to_numpy()), dtype=np.float64)  # type: ignore[no-untyped-call]
    step = float(np.median(np.diff(dates))) if len(dates) > 1 else 1.0
    edges = np.append(dates, dates[-1] + step)
    k = frame.shape[1]
    fig, ax = _new_figure(ax, (FIGSIZE_WIDE[0], max(2.5, 0.45 * k + 1.5)))
    colors = sns.color_palette("colorblind", k)
    labels: list[str] = []
    for row, col in enumerate(frame.columns):
        have = frame[col].notna().to_numpy()
        ax.broken_barh([(edges[0], edges[-1] - edges[0])], (row - 0.35, 0.7), facecolors="0.9", lw=0)
        padded = np.concatenate(([0], have.astype(np.int8), [0]))
        starts = np.flatnonzero(np.diff(padded) == 1)
        stops = np.flatnonzero(np.diff(padded) == -1)
        spans = [(edges[i], edges[j] - edges[i]) for i, j in zip(starts, stops, strict=True)]
        if spans:
            ax.broken_barh(spans, (row - 0.35, 0.7), facecolors=colors[row], lw=0)
        share = f" ({have.mean():.0%})" if show_share else ""
        labels.append(f"{_label(col)}{share}")
    ax.set_yticks(range(k), labels)
    ax.set_ylim(k - 0.5, -0.5)
    ax.set_xlim(edges[0], edges[-1])
    ax.xaxis_date()
    _format_date_axis(ax)
    ax.grid(axis="y", visible=False)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return _finish(fig, source=source, synthetic=synthetic, title=title, ax=ax)


# ----------------------------------------------------------------------------- coefficients and events


def _interval(
    table: pd.DataFrame,
    estimate: str,
    lower: str,
    upper: str,
    se: str | None,
    dof: str | None,
    confidence: float,
    name: str,
) -> tuple[np.ndarray, np.ndarray]:
    """Lower/upper bounds: the table's columns, else estimate ± t quantile × se."""
    if lower in table.columns and upper in table.columns:
        lo = table[lower].to_numpy(dtype=np.float64)
        hi = table[upper].to_numpy(dtype=np.float64)
    elif se is not None and se in table.columns:
        if not 0.0 < confidence < 1.0:
            raise ConfigError(f"confidence must be in (0, 1), e.g. 0.95, got {confidence}")
        p = 0.5 + confidence / 2.0
        s = table[se].to_numpy(dtype=np.float64)
        if dof is not None and dof in table.columns:
            d = table[dof].to_numpy(dtype=np.float64)
            q = np.where(np.isfinite(d) & (d > 0), stats.t.ppf(p, np.where(d > 0, d, 1.0)), stats.norm.ppf(p))
        else:
            q = np.full(len(table), stats.norm.ppf(p))
        est = table[estimate].to_numpy(dtype=np.float64)
        lo, hi = est - q * s, est + q * s
    else:
        raise ConfigError(
            f"{name} needs interval columns {lower!r} and {upper!r} (or a standard-error column {se!r})"
        )
    est = table[estimate].to_numpy(dtype=np.float64)
    ok = np.isfinite(est) & np.isfinite(lo) & np.isfinite(hi)
    if np.any(ok & ((lo > est + 1e-12) | (hi < est - 1e-12))):
        raise ConfigError(f"{name}: every interval [{lower}, {upper}] must contain its {estimate!r}")
    return lo, hi


def coefficient_bars(
    table: pd.DataFrame,
    *,
    estimate: str = "coef",
    lower: str = "ci_low",
    upper: str = "ci_high",
    group: str = "period",
    category: str = "param",
    panel: str | None = None,
    title: str = "Factor betas before and after",
    xlabel: str = BETA_LABEL,
    ylabel: str | None = None,
    reference: float | None = 0.0,
    ncols: int = 2,
    ax: AxesArg = None,
    source: str = DEFAULT_SOURCE,
    synthetic: bool = False,
) -> Figure:
    """Point estimates with confidence intervals, dodged by group (e.g. before/after).

    Parameters
    ----------
    table
        Long table, one row per (panel, category, group), e.g. rows of
        :func:`analysis.exposure.factor_regressions` with a ``period`` column added.
    estimate, lower, upper
        Columns of the point estimate and its interval bounds (plotted as given).
    group
        Column whose values get one colour each (e.g. ``"before"``, ``"after"``).
    category
        Column on the y axis (e.g. the factor ``param``); ``const`` rows are kept
        if present, so filter them out beforehand if unwanted.
    panel
        Optional column giving one panel per value (e.g. ``"ticker"``).
    title, xlabel, ylabel
        Texts; ``ylabel`` defaults to ``category``.
    reference
        Vertical reference line (``None`` for none).
    ncols, ax
        Grid columns when ``panel`` is set; optional target axes (one per panel).
    source, synthetic
        Source note, synthetic watermark.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ConfigError
        Empty table, missing columns, duplicate (panel, category, group) rows,
        intervals not containing their estimate.
    """
    _check_source(source)
    if not isinstance(table, pd.DataFrame) or table.empty:
        raise ConfigError("table is empty: pass one row per (category, group) with estimate and interval")
    _require_columns(table, [estimate, lower, upper, group, category, *([panel] if panel else [])], "table")
    lo, hi = _interval(table, estimate, lower, upper, None, None, 0.95, "table")
    data = table.assign(_lo=lo, _hi=hi)
    keys = [c for c in (panel, category, group) if c]
    dup = data.duplicated(subset=keys)
    if dup.any():
        first = data.loc[dup, keys].iloc[0].to_dict()
        hint = "" if panel else "; pass panel='ticker' or filter the table"
        raise ConfigError(f"table has several rows for {first}{hint}")
    panel_values = list(dict.fromkeys(data[panel])) if panel else [None]
    groups = list(dict.fromkeys(data[group]))
    palette = sns.color_palette("colorblind", len(groups))
    markers = ["o", "s", "D", "^", "v", "P", "X"]
    offsets = np.linspace(-0.2, 0.2, len(groups)) if len(groups) > 1 else np.zeros(1)
    if panel is None and (ax is None or isinstance(ax, Axes)):
        fig, single = _new_figure(ax, (FIGSIZE_WIDE[0] * 0.8, max(3.0, 0.6 * data[category].nunique() + 2.0)))
        axes = [single]
    else:
        n_cat = data[category].nunique()
        fig, axes = _new_grid(
            ax,
            len(panel_values),
            ncols,
            (FIGSIZE_WIDE[0] / 2, max(2.8, 0.5 * n_cat + 1.8)),
            sharex=True,
            sharey=False,
        )
    for pval, pax in zip(panel_values, axes, strict=True):
        sub = data if panel is None else data[data[panel] == pval]
        cats = list(dict.fromkeys(sub[category]))
        pos = {c: i for i, c in enumerate(cats)}
        for gi, g in enumerate(groups):
            rows = sub[sub[group] == g]
            if rows.empty:
                continue
            est = rows[estimate].to_numpy(dtype=np.float64)
            y = np.array([pos[c] for c in rows[category]], dtype=np.float64) + offsets[gi]
            err = np.vstack([est - rows["_lo"].to_numpy(), rows["_hi"].to_numpy() - est])
            pax.errorbar(
                est,
                y,
                xerr=err,
                fmt=markers[gi % len(markers)],
                color=palette[gi],
                capsize=3,
                ms=6,
                lw=1.5,
                label=str(g),
            )
        if reference is not None:
            pax.axvline(reference, color=REFERENCE_COLOR, lw=0.8, zorder=0)
        pax.set_yticks(range(len(cats)), [str(c) for c in cats])
        pax.set_ylim(len(cats) - 0.5, -0.5)
        pax.grid(axis="y", visible=False)
        pax.set_xlabel(xlabel)
        pax.set_ylabel(ylabel if ylabel is not None else category)
        if panel is not None:
            pax.set_title(str(pval))
        pax.xaxis.set_tick_params(labelbottom=True)
    if panel is None:
        _legend(axes[0], title=group)
        return _finish(fig, source=source, synthetic=synthetic, title=title, ax=axes[0])
    _shared_legend(fig, axes, title=group)
    return _finish(fig, source=source, synthetic=synthetic, title=title, suptitle=True)


def event_car(
    car: pd.DataFrame,
    *,
    cumulate: bool = False,
    title: str = "Cumulative abnormal returns around events",
    xlabel: str = RELATIVE_DAY_LABEL,
    ylabel: str = CAR_LABEL,
    ax: Axes | None = None,
    source: str = DEFAULT_SOURCE,
    synthetic: bool = False,
) -> Figure:
    """Cumulative abnormal return paths around day 0, one line per (event, ticker).

    Parameters
    ----------
    car
        Rows = sessions relative to the event (integers), columns = event/ticker
        labels (e.g. ``EventStudyResult.car_wide``, columns ``(event_id, ticker)``);
        values are log returns as fractions, drawn in percent.
    cumulate
        Set True when ``car`` holds daily abnormal returns (``ar_wide``): they are
        summed along the rows first (NaN stays NaN and does not reset the sum).
    title, xlabel, ylabel
        Texts.
    ax, source, synthetic
        Target axes, source note, synthetic watermark.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ConfigError
        Empty or all-NaN ``car``, non-integer index.
    """
    _check_source(source)
    frame = _as_frame(car, "car")
    if not pd.api.types.is_integer_dtype(frame.index.dtype):
        raise ConfigError("car must be indexed by integer sessions relative to the event (rel_day)")
    data = frame.apply(pd.to_numeric, errors="coerce").astype(np.float64).sort_index()
    if not np.isfinite(data.to_numpy()).any():
        raise ConfigError("car has no finite values to plot")
    if cumulate:
        data = data.cumsum(skipna=True)
    fig, ax = _new_figure(ax, FIGSIZE_WIDE)
    ax.axvline(0, color=EVENT_COLOR, ls="--", lw=1.0, zorder=1)
    ax.axhline(0.0, color=REFERENCE_COLOR, lw=0.8, zorder=1)
    x = data.index.to_numpy()
    for col in data.columns:
        y = data[col].to_numpy() * PERCENT
        if np.isfinite(y).any():
            ax.plot(x, y, marker="o", ms=3.5, lw=1.4, label=_label(col))
    if len(x) <= MAX_LABELLED_SESSIONS:
        ax.set_xticks(x)
    else:
        ax.xaxis.set_major_locator(mticker.MaxNLocator(integer=True))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    _legend(ax, title=" · ".join(str(n) for n in data.columns.names if n is not None) or None)
    return _finish(fig, source=source, synthetic=synthetic, title=title, ax=ax)


def event_bars(
    car_table: pd.DataFrame,
    *,
    estimate: str = "car",
    lower: str = "ci_low",
    upper: str = "ci_high",
    se: str | None = "se",
    dof: str | None = "df",
    confidence: float = 0.95,
    event: str = "event_id",
    ticker: str = "ticker",
    title: str = "Cumulative abnormal returns by event",
    xlabel: str = CAR_LABEL,
    ylabel: str = "event · ticker",
    ax: Axes | None = None,
    source: str = DEFAULT_SOURCE,
    synthetic: bool = False,
) -> Figure:
    """Horizontal CAR bars with confidence-interval whiskers, one per (event, ticker).

    Parameters
    ----------
    car_table
        One row per (event, ticker) (e.g. ``EventStudyResult.car``); values are
        log returns as fractions, drawn in percent. Rows with a NaN estimate
        (not estimable) are left out. When a ``window`` column holds several
        windows, the window is added to the labels.
    estimate, lower, upper
        Columns of the CAR and its interval bounds.
    se, dof, confidence
        Used only when ``lower``/``upper`` are absent: the interval is
        ``estimate ± q * se`` with ``q`` the Student-t quantile on the ``dof``
        column (normal quantile where it is missing), matching the t tests of
        :func:`analysis.events.event_study`.
    event, ticker
        Label columns.
    title, xlabel, ylabel
        Texts.
    ax, source, synthetic
        Target axes, source note, synthetic watermark.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ConfigError
        Empty table, missing columns, no estimable row, duplicate rows.
    """
    _check_source(source)
    if not isinstance(car_table, pd.DataFrame) or car_table.empty:
        raise ConfigError("car_table is empty: pass one row per (event, ticker), e.g. EventStudyResult.car")
    _require_columns(car_table, [estimate, event, ticker], "car_table")
    lo, hi = _interval(car_table, estimate, lower, upper, se, dof, confidence, "car_table")
    data = car_table.assign(_lo=lo, _hi=hi)
    data = data[np.isfinite(data[estimate].to_numpy(dtype=np.float64))]
    if data.empty:
        raise ConfigError(f"car_table has no row with a finite {estimate!r} (no estimable event)")
    keys = [event, ticker]
    if "window" in data.columns and data["window"].nunique() > 1:
        keys.append("window")
    if data.duplicated(subset=keys).any():
        raise ConfigError(f"car_table has several rows per ({', '.join(keys)}); filter it first")
    labels = [" · ".join(str(v) for v in row) for row in data[keys].itertuples(index=False, name=None)]
    tickers = list(dict.fromkeys(data[ticker]))
    palette = dict(zip(tickers, sns.color_palette("colorblind", len(tickers)), strict=True))
    est = data[estimate].to_numpy(dtype=np.float64) * PERCENT
    lo_p, hi_p = data["_lo"].to_numpy() * PERCENT, data["_hi"].to_numpy() * PERCENT
    y = np.arange(len(data))
    fig, ax = _new_figure(ax, (FIGSIZE_WIDE[0] * 0.85, max(3.0, 0.42 * len(data) + 1.8)))
    ax.barh(
        y,
        est,
        xerr=np.vstack([est - lo_p, hi_p - est]),
        color=[palette[t] for t in data[ticker]],
        alpha=0.85,
        capsize=3,
        error_kw={"lw": 1.2, "ecolor": "0.2"},
    )
    ax.axvline(0.0, color=REFERENCE_COLOR, lw=0.8)
    ax.set_yticks(y, labels)
    ax.set_ylim(len(data) - 0.5, -0.5)
    ax.grid(axis="y", visible=False)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ci_label = f"{confidence:.0%} CI" if lower not in car_table.columns else "interval"
    handles: list[Any] = [Patch(color=palette[t], label=str(t)) for t in tickers]
    handles.append(Line2D([], [], color="0.2", marker="|", ms=10, lw=1.2, label=ci_label))
    ax.legend(handles=handles, loc="best", fontsize="small")
    return _finish(fig, source=source, synthetic=synthetic, title=title, ax=ax)


# ----------------------------------------------------------------------------- stress and claims


def scatter_stress(
    x: pd.Series,
    y: pd.Series,
    stress_mask: pd.Series,
    *,
    title: str | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    stress_label: str = "stress days",
    calm_label: str = "calm days",
    fit: bool = True,
    ax: Axes | None = None,
    source: str = DEFAULT_SOURCE,
    synthetic: bool = False,
) -> Figure:
    """Scatter of two daily log-return series, stress vs calm days, with OLS lines.

    Parameters
    ----------
    x, y
        Daily log returns (fractions, drawn in percent) indexed by date.
    stress_mask
        Boolean (or nullable ``"boolean"``) Series on the same dates, True on
        stress days (e.g. :func:`analysis.stress.stress_mask`); NA days are left out.
    title, xlabel, ylabel
        Texts; defaults name the series, e.g. "BTC-USD daily log return (%)".
    stress_label, calm_label
        Legend names of the two regimes.
    fit
        Draw a least-squares line per regime (legend shows ``n`` and the slope),
        when it has at least :data:`MIN_FIT_POINTS` points and varying ``x``.
    ax, source, synthetic
        Target axes, source note, synthetic watermark.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ConfigError
        Empty inputs or no common date with values in ``x``, ``y`` and the mask.
    """
    _check_source(source)
    for name, s in (("x", x), ("y", y), ("stress_mask", stress_mask)):
        if not isinstance(s, pd.Series) or s.empty:
            raise ConfigError(f"{name} is empty: pass a non-empty pandas Series indexed by date")
    x_name, y_name = str(x.name or "x"), str(y.name or "y")
    both = pd.concat([x.rename("x"), y.rename("y")], axis=1, join="inner").astype(np.float64).dropna()
    mask = stress_mask.reindex(both.index)
    keep = mask.notna().to_numpy()
    both, flags = both[keep], mask[keep].astype(bool).to_numpy()
    if both.empty:
        raise ConfigError("x, y and stress_mask have no common date with values in all three")
    fig, ax = _new_figure(ax, (7.5, 6.0))
    ax.axhline(0.0, color=REFERENCE_COLOR, lw=0.6, zorder=0)
    ax.axvline(0.0, color=REFERENCE_COLOR, lw=0.6, zorder=0)
    for sel, label, color, size, alpha in (
        (~flags, calm_label, CALM_COLOR, 10, 0.35),
        (flags, stress_label, STRESS_COLOR, 16, 0.75),
    ):
        xs = both["x"].to_numpy()[sel] * PERCENT
        ys = both["y"].to_numpy()[sel] * PERCENT
        text = f"{label} (n={sel.sum()})"
        if fit and len(xs) >= MIN_FIT_POINTS and np.ptp(xs) > 0:
            slope, intercept = np.polyfit(xs, ys, 1)
            grid = np.linspace(xs.min(), xs.max(), 2)
            ax.plot(
                grid, intercept + slope * grid, color=color, lw=2.0, label=f"{label}: OLS slope {slope:.2f}"
            )
        ax.scatter(xs, ys, s=size, color=color, alpha=alpha, lw=0, label=text)
    ax.set_xlabel(xlabel or f"{x_name} {LOG_RETURN_LABEL}")
    ax.set_ylabel(ylabel or f"{y_name} {LOG_RETURN_LABEL}")
    _legend(ax)
    return _finish(
        fig,
        source=source,
        synthetic=synthetic,
        title=title or f"{y_name} vs {x_name}: stress vs calm days",
        ax=ax,
    )


def _verdict_color(verdict: object) -> str:
    text = " ".join(str(verdict).lower().split())
    return next((color for prefix, color in VERDICT_COLORS if text.startswith(prefix)), UNKNOWN_VERDICT_COLOR)


def _format_value(value: float, pattern: str | None) -> str:
    if pattern is not None:
        return pattern.format(value)
    return f"{value:,.0f}" if abs(value) >= LARGE_VALUE else f"{value:.3g}"


def claims_chart(
    claims: pd.DataFrame,
    *,
    claim: str = "claim",
    article: str = "article_value",
    measured: str = "measured_value",
    verdict: str = "verdict",
    unit: str | None = "unit",
    article_text: str | None = "article_text",
    measured_text: str | None = "measured_text",
    title: str = "Article claims vs measured values",
    value_format: str | None = None,
    ncols: int = 1,
    ax: AxesArg = None,
    source: str = DEFAULT_SOURCE,
    synthetic: bool = False,
) -> Figure:
    """Article figure vs measured figure, one small panel per claim (own units and scale).

    Parameters
    ----------
    claims
        One row per claim with text ``claim``, numbers ``article_value`` and
        ``measured_value`` (NaN allowed: drawn as "n/a") and ``verdict``.
    claim, article, measured, verdict
        Column names.
    unit
        Optional column with each claim's unit (e.g. "%", "correlation"), used as
        the panel's x label; ignored when the column is absent.
    article_text, measured_text
        Optional columns with each figure as worded (e.g. "down 19.3%", "-21.4%"),
        shown under the claim; ignored when absent.
    title, value_format
        Figure title; ``str.format`` pattern of the value labels (default:
        thousands separators from 1,000 up, else three significant digits).
    ncols, ax
        Grid columns; optional target axes (one per claim).
    source, synthetic
        Source note, synthetic watermark.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ConfigError
        Empty table or missing columns.

    Notes
    -----
    Claims mix units (percent moves, correlations, betas), so each claim gets its
    own x axis instead of a shared one. The measured bar is coloured by verdict
    (green supported, amber partly, red not supported, grey not measurable or other).
    """
    _check_source(source)
    if not isinstance(claims, pd.DataFrame) or claims.empty:
        raise ConfigError(
            "claims is empty: pass one row per claim with claim, article_value, measured_value, verdict"
        )
    _require_columns(claims, [claim, article, measured, verdict], "claims")
    fig, axes = _new_grid(
        ax, len(claims), ncols, (FIGSIZE_WIDE[0] / ncols, CLAIM_PANEL_HEIGHT), sharex=False, sharey=False
    )
    has_unit = unit is not None and unit in claims.columns
    text_cols = [c for c in (article_text, measured_text) if c is not None and c in claims.columns]
    for (_, row), pax in zip(claims.iterrows(), axes, strict=True):
        vals = np.array(
            [pd.to_numeric(row[article], errors="coerce"), pd.to_numeric(row[measured], errors="coerce")],
            dtype=np.float64,
        )
        colors = [ARTICLE_COLOR, _verdict_color(row[verdict])]
        ypos = [0, 1]
        pax.barh(ypos, np.nan_to_num(vals, nan=0.0), color=colors, height=0.6)
        pax.axvline(0.0, color=REFERENCE_COLOR, lw=0.8)
        finite = vals[np.isfinite(vals)]
        span = max(float(np.abs(finite).max()) if finite.size else 1.0, 1e-12)
        pax.set_xlim(
            min(0.0, float(finite.min(initial=0.0))) - 0.35 * span,
            max(0.0, float(finite.max(initial=0.0))) + 0.35 * span,
        )
        for yv, v in zip(ypos, vals, strict=True):
            text = "n/a" if not np.isfinite(v) else _format_value(v, value_format)
            pax.annotate(
                text,
                (v if np.isfinite(v) else 0.0, yv),
                xytext=(4 if not np.isfinite(v) or v >= 0 else -4, 0),
                textcoords="offset points",
                ha="left" if not np.isfinite(v) or v >= 0 else "right",
                va="center",
                fontsize="small",
            )
        pax.set_yticks(ypos, ["article", "measured"])
        pax.set_ylim(1.6, -0.6)
        pax.grid(axis="y", visible=False)
        raw_unit = row[unit] if unit is not None and has_unit else None
        unit_text = str(raw_unit).strip() if raw_unit is not None and pd.notna(raw_unit) else ""
        pax.set_xlabel(f"value ({unit_text})" if unit_text else "value (unit as stated in the claim)")
        pax.set_ylabel("figure")
        lines = [textwrap.fill(str(row[claim]), width=int(CLAIM_WRAP_CHARS / ncols))]
        if len(text_cols) == 2:
            lines.append(
                textwrap.fill(
                    f"article: {row[text_cols[0]]}  |  measured: {row[text_cols[1]]}",
                    width=int(CLAIM_WRAP_CHARS / ncols),
                )
            )
        lines.append(f"verdict: {row[verdict]}")
        pax.set_title("\n".join(lines), loc="left", fontsize="medium", fontweight="normal")
    return _finish(fig, source=source, synthetic=synthetic, title=title, suptitle=True)


# ----------------------------------------------------------------------------- saving


def save_figure(fig: Figure, directory: str | Path | None, name: str) -> Path | None:
    """Save a figure as ``<directory>/<name>.png`` atomically (temp file + ``os.replace``).

    Parameters
    ----------
    fig
        Figure to save.
    directory
        Target directory (created if missing); ``None`` skips saving.
    name
        File stem: letters, digits, ``-`` and ``_`` only (no extension, no path).

    Returns
    -------
    Path or None
        The PNG path, or ``None`` when ``directory`` is None.

    Raises
    ------
    ConfigError
        Invalid ``name`` (e.g. ``"../x"``), ``directory`` is an existing file,
        ``fig`` not a Figure.

    Notes
    -----
    PNG at :data:`FIG_DPI` dpi with a tight bounding box; the "Software"
    metadata is dropped so identical figures give identical files.
    """
    if not isinstance(name, str) or FIGURE_NAME_PATTERN.fullmatch(name) is None:
        raise ConfigError(
            f"figure name must be 1-120 letters, digits, '-' or '_' (no extension or path), got {name!r}"
        )
    if not isinstance(fig, Figure):
        raise ConfigError(f"fig must be a matplotlib Figure, got {type(fig).__name__}")
    if directory is None:
        return None
    folder = Path(directory)
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"directory {folder} exists and is not a directory")
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{name}.png"
    fd, tmp_name = tempfile.mkstemp(prefix=f".{name}.", suffix=".png.tmp", dir=folder)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            fig.savefig(handle, format="png", dpi=FIG_DPI, bbox_inches="tight", metadata={"Software": None})
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


def figure_texts(fig: Figure) -> list[str]:
    """All text strings drawn in a figure (titles, labels, notes, watermarks).

    Parameters
    ----------
    fig
        A figure.

    Returns
    -------
    list of str
        Non-empty texts, in artist order.
    """
    return [t.get_text() for t in fig.findobj(Text) if t.get_text()]
