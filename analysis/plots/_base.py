"""Base of the figure helpers: house style, constants, shared helpers, watermark, notes, saving.

Every family module (``correlation``, ``timeseries``, ``events``, ``claims``, ...) builds its
figures with these helpers, so every figure gets the same title, source note, synthetic
watermark and atomic save.
"""

from __future__ import annotations

import contextlib
import functools
import io
import math
import re
import textwrap
from collections.abc import Hashable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeAlias

import matplotlib.colors as mcolors
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.text import Annotation, Text

from .. import atomic
from .._typing import DateLike
from .._validation import as_timestamp
from ..errors import ConfigError

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
DEFAULT_NOTE = "Source: Yahoo Finance via yfinance; cleaned XNYS sessions"
#: Source note used instead of :data:`DEFAULT_NOTE` when ``synthetic=True`` and no other note is given.
SYNTHETIC_NOTE = "Source: synthetic demo data (analysis.synthetic, seeded); not market data"
#: ``gid`` of the watermark texts and of the source note (lets tests and callers find them).
WATERMARK_GID = "synthetic-watermark"
NOTE_GID = "source-note"

#: Axis labels with units, shared by the notebooks.
DATE_LABEL = "date"
CORRELATION_LABEL = "correlation (Pearson, 60-session window)"
BETA_LABEL = "beta (per unit factor return)"
LOG_RETURN_LABEL = "daily log return (%)"
CAR_LABEL = "cumulative abnormal log return (%)"
CAR_SIMPLE_LABEL = "cumulative abnormal return, simple (%)"
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
#: Least horizontal room (inches) per date tick label.
DATE_TICK_SPACING_IN = 0.55
#: Event windows up to this many sessions get a tick per session.
MAX_LABELLED_SESSIONS = 25
#: Legends with more entries than this go outside the axes, on the right.
MAX_INLINE_LEGEND = 6
#: Label of the axes that only holds the legend of small multiples, the height (inches) of one
#: line of legend text in it, and its padding (inches).
LEGEND_AXES_LABEL = "<legend>"
LEGEND_LINE_HEIGHT = 0.24
LEGEND_ROW_PAD = 0.15

FIGURE_NOTE_FONTSIZE = 8.0
#: Event markers closer than this share of the x range share one number label ("3,4").
EVENT_MIN_GAP = 0.04
#: Vertical offset (points) of each further row of event numbers, and of the first row.
EVENT_STAGGER = 10.0
EVENT_PAD = 1.0
#: Width of one character of an event number label (em, bold digits and commas, with spacing).
EVENT_CHAR_EM = 0.65
#: ``gid`` of the event number labels, and prefix of the ``gid`` of event marker lines (+ number).
EVENT_NUMBER_GID = "event-number"
EVENT_LINE_GID = "event-line-"
#: Longest key of numbered events appended to a source note.
EVENT_KEY_CHARS = 400
#: Characters per line of a long source note.
NOTE_WRAP_CHARS = 150
FIGURE_NOTE_COLOR = "0.35"
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
#: Font size (points) of a note inside a panel, the share of the axes width it may fill, the
#: width of one of its characters (em) and the ``gid`` of such notes.
NOTE_FONTSIZE = 9.0
NOTE_FILL = 0.85
NOTE_CHAR_EM = 0.6
#: Share of the figure width a title or source note may fill, and the bold title glyph width (em).
WRAP_FILL = 0.94
TITLE_CHAR_EM = 0.62
#: zlib level of the figure PNGs: 3 encodes about a third faster than 6 for 2-3% more bytes.
PNG_COMPRESS_LEVEL = 3
#: An axes title is wrapped to this share of the figure width.
AXES_TITLE_SHARE = 0.8
PANEL_NOTE_GID = "panel-note"
#: Columns of :func:`analysis.exposure.rolling_betas` output that are not betas.
NON_BETA_COLUMNS = frozenset({"const", "r2", "nobs"})


# ----------------------------------------------------------------------------- style


#: seaborn's "colorblind" palette (its hex values; kept here so no figure needs seaborn to start).
COLORBLIND: tuple[str, ...] = (
    "#0173b2", "#de8f05", "#029e73", "#d55e00", "#cc78bc",
    "#ca9161", "#fbafe4", "#949494", "#ece133", "#56b4e9",
)  # fmt: skip
#: seaborn's "whitegrid" axes style (``sns.axes_style("whitegrid")``, without its colormap).
WHITEGRID: dict[str, Any] = {
    "figure.facecolor": "white", "axes.labelcolor": ".15", "xtick.direction": "out",
    "ytick.direction": "out", "xtick.color": ".15", "ytick.color": ".15", "axes.axisbelow": True,
    "grid.linestyle": "-", "text.color": ".15", "font.family": ["sans-serif"],
    "font.sans-serif": ["Arial", "DejaVu Sans", "Liberation Sans", "Bitstream Vera Sans", "sans-serif"],
    "lines.solid_capstyle": "round", "patch.edgecolor": "w", "patch.force_edgecolor": True,
    "xtick.top": False, "ytick.right": False, "axes.grid": True, "axes.facecolor": "white",
    "axes.edgecolor": ".8", "grid.color": ".8", "axes.spines.left": True, "axes.spines.bottom": True,
    "xtick.bottom": False, "ytick.left": False,
}  # fmt: skip
#: seaborn's base ("notebook") plotting context; other contexts scale it (``sns.plotting_context``).
BASE_CONTEXT: dict[str, float] = {
    "font.size": 12, "axes.labelsize": 12, "axes.titlesize": 12, "xtick.labelsize": 11,
    "ytick.labelsize": 11, "legend.fontsize": 11, "legend.title_fontsize": 12,
    "axes.linewidth": 1.25, "grid.linewidth": 1, "lines.linewidth": 1.5, "lines.markersize": 6,
    "patch.linewidth": 1, "xtick.major.width": 1.25, "ytick.major.width": 1.25,
    "xtick.minor.width": 1, "ytick.minor.width": 1, "xtick.major.size": 6, "ytick.major.size": 6,
    "xtick.minor.size": 4, "ytick.minor.size": 4,
}  # fmt: skip
CONTEXT_SCALE = {"paper": 0.8, "notebook": 1.0, "talk": 1.5, "poster": 2.0}


def set_style(*, context: str = "notebook", font_scale: float = 1.05) -> None:
    """Apply the house plot style (seaborn's whitegrid/colorblind theme, dpi, readable fonts).

    Parameters
    ----------
    context
        seaborn context: ``"paper"``, ``"notebook"``, ``"talk"`` or ``"poster"``.
    font_scale
        Multiplier of the context's font sizes.

    Notes
    -----
    Changes global ``rcParams``; call once in a notebook's imports cell. Date
    axes use matplotlib's concise converter. The theme is seaborn's
    ``set_theme(style="whitegrid", palette="colorblind")`` written out as rcParams:
    importing seaborn (and scipy with it) costs about a second in every kernel.
    """
    import matplotlib as mpl
    from cycler import cycler

    if context not in CONTEXT_SCALE:
        raise ConfigError(f"context must be 'paper', 'notebook', 'talk' or 'poster', got {context!r}")
    scale = CONTEXT_SCALE[context]
    sizes = {k: v * scale * (font_scale if k.endswith("size") and "." in k and "major" not in k
                                 and "minor" not in k and k != "lines.markersize" else 1.0)
             for k, v in BASE_CONTEXT.items()}  # fmt: skip
    theme: Any = {**WHITEGRID, **sizes}  # rcParams' keys are typed as literals; these are checked ones
    mpl.rcParams.update(theme)
    mpl.rcParams.update(
        {
            "axes.prop_cycle": cycler(color=list(COLORBLIND)),
            "patch.facecolor": COLORBLIND[0],
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
        }
    )


# ----------------------------------------------------------------------------- shared helpers


def check_note(note: str) -> str:
    if not isinstance(note, str) or not note.strip():
        raise ConfigError("note must be a non-empty source note of the figure, e.g. plots.DEFAULT_NOTE")
    return note


def new_figure(ax: Axes | None, figsize: tuple[float, float]) -> tuple[Figure, Axes]:
    if ax is None:
        fig, new_ax = plt.subplots(figsize=figsize, dpi=FIG_DPI, layout="constrained")
        return fig, new_ax
    if not isinstance(ax, Axes):
        raise ConfigError(f"ax must be a matplotlib Axes or None, got {type(ax).__name__}")
    return root_figure(ax), ax


def root_figure(ax: Axes) -> Figure:
    fig = ax.get_figure(root=True)
    if not isinstance(fig, Figure):
        raise ConfigError("ax must belong to a matplotlib Figure")
    return fig


def new_grid(
    ax: AxesArg, n: int, ncols: int, panel_size: tuple[float, float], *, sharex: bool, sharey: bool
) -> tuple[Figure, list[Axes]]:
    """Figure with ``n`` panels (extra grid cells removed), or the caller's axes."""
    if ax is not None:
        given = [ax] if isinstance(ax, Axes) else list(np.ravel(np.asarray(ax, dtype=object)))
        if len(given) < n or not all(isinstance(a, Axes) for a in given):
            raise ConfigError(f"ax must hold at least {n} matplotlib Axes (one per panel), got {len(given)}")
        return root_figure(given[0]), given[:n]
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


def new_grid_with_legend(
    n: int, ncols: int, panel_size: tuple[float, float], legend_lines: int, *, sharex: bool, sharey: bool
) -> tuple[Figure, list[Axes], Axes]:
    """A figure of ``n`` panels with a full-width legend row under them (``legend_lines`` text lines).

    The legend row is an axes without axis (:func:`is_legend_axes`), so the constrained layout
    keeps the legend clear of the panels, the title and the source note.
    """
    if ncols < 1:
        raise ConfigError(f"ncols must be >= 1, got {ncols}")
    ncols = min(ncols, n)
    nrows = math.ceil(n / ncols)
    legend_h = LEGEND_LINE_HEIGHT * max(legend_lines, 1) + LEGEND_ROW_PAD
    fig = plt.figure(
        figsize=(panel_size[0] * ncols, panel_size[1] * nrows + legend_h), dpi=FIG_DPI, layout="constrained"
    )
    grid = fig.add_gridspec(nrows + 1, ncols, height_ratios=[panel_size[1]] * nrows + [legend_h])
    axes: list[Axes] = []
    for i in range(n):
        first = axes[0] if axes else None
        axes.append(
            fig.add_subplot(
                grid[i // ncols, i % ncols],
                sharex=first if sharex else None,
                sharey=first if sharey else None,
            )
        )
    legend_ax = fig.add_subplot(grid[nrows, :], label=LEGEND_AXES_LABEL)
    legend_ax.set_axis_off()
    return fig, axes, legend_ax


def is_colorbar(ax: Axes) -> bool:
    return getattr(ax, "_colorbar", None) is not None or ax.get_label() == "<colorbar>"


def is_legend_axes(ax: Axes) -> bool:
    """Whether ``ax`` only holds a legend (see :func:`new_grid_with_legend`): no data, no watermark."""
    return ax.get_label() == LEGEND_AXES_LABEL


def watermark_size(width: float, height: float, angle: float) -> float:
    """Largest font size (points) whose rotated watermark box fits a ``width x height`` inch axes."""
    length = len(WATERMARK_TEXT) * WATERMARK_GLYPH_EM / POINTS_PER_INCH  # inches per point of size
    line = 1.0 / POINTS_PER_INCH
    cos, sin = math.cos(angle), math.sin(angle)
    return min(
        WATERMARK_FILL * width / (length * cos + line * sin),
        WATERMARK_FILL * height / (length * sin + line * cos),
    )


class Watermark(Text):
    """The synthetic-data watermark: diagonal, sized to its axes when it is drawn.

    The axes' final box is only known once the layout engine has run, which it does at the
    start of every draw; sizing the text there costs nothing, where measuring beforehand cost
    one whole extra layout-and-draw pass per figure.
    """

    def draw(self, renderer: Any) -> None:
        ax = self.axes
        if ax is not None:
            box = ax.get_window_extent(renderer)
            dpi = self.get_figure(root=True).dpi  # type: ignore[union-attr]
            w, h = box.width / dpi, box.height / dpi
            if w > 0 and h > 0:
                angle = math.atan2(h, w)
                lo, hi = WATERMARK_FONTSIZE_RANGE
                self.set_rotation(math.degrees(angle))
                self.set_fontsize(min(hi, max(lo, watermark_size(w, h, angle))))
        super().draw(renderer)


def add_watermark(fig: Figure) -> None:
    """Stamp :data:`WATERMARK_TEXT` diagonally on every (non-colorbar) axes, once."""
    for ax in fig.axes:
        if is_colorbar(ax) or is_legend_axes(ax) or any(t.get_gid() == WATERMARK_GID for t in ax.texts):
            continue
        mark = Watermark(
            0.5,
            0.5,
            WATERMARK_TEXT,
            transform=ax.transAxes,
            rotation_mode="anchor",
            ha="center",
            va="center",
            fontsize=WATERMARK_FONTSIZE_RANGE[0],
            fontweight="bold",
            color=WATERMARK_COLOR,
            alpha=WATERMARK_ALPHA,
            zorder=100,
            clip_on=True,
            in_layout=False,
            gid=WATERMARK_GID,
        )
        ax.add_artist(mark)


def synthetic_title(text: str, synthetic: bool) -> str:
    if synthetic and not text.startswith(SYNTHETIC_TITLE_PREFIX):
        return SYNTHETIC_TITLE_PREFIX + text
    return text


def finish(
    fig: Figure,
    *,
    note: str,
    synthetic: bool,
    title: str,
    ax: Axes | None = None,
    suptitle: bool = False,
) -> Figure:
    """Title (axes or figure), source note, watermark."""
    if synthetic and note == DEFAULT_NOTE:
        note = SYNTHETIC_NOTE
    for each in fig.axes:
        if place_event_numbers(each) and each.get_title() and each is not ax:
            each.set_title(each.get_title(), pad=title_pad(each))  # panel titles above the numbers
    width = float(fig.get_size_inches()[0])
    if suptitle:
        text = synthetic_title(title, synthetic)
        fig.suptitle(wrap_to_width(text, width, font_points(plt.rcParams["figure.titlesize"]), TITLE_CHAR_EM))
    elif ax is not None:
        text = synthetic_title(title, synthetic)
        size = font_points(plt.rcParams["axes.titlesize"])
        # centred on its axes, which tick labels may push off the figure's centre
        ax.set_title(wrap_to_width(text, AXES_TITLE_SHARE * width, size, TITLE_CHAR_EM), pad=title_pad(ax))
    # A figure-level x label is part of the constrained layout, so the note never overlaps the axes.
    fig.supxlabel(
        wrap_to_width(note, width, FIGURE_NOTE_FONTSIZE, NOTE_CHAR_EM),
        x=0.01,
        ha="left",
        fontsize=FIGURE_NOTE_FONTSIZE,
        fontweight="normal",
        color=FIGURE_NOTE_COLOR,
        gid=NOTE_GID,
    )
    if synthetic:
        add_watermark(fig)
    return fig


def series_label(col: Hashable) -> str:
    if isinstance(col, tuple):
        return " · ".join(str(c) for c in col)
    return str(col)


def as_frame(data: pd.Series | pd.DataFrame, name: str) -> pd.DataFrame:
    if isinstance(data, pd.Series):
        frame = data.to_frame(name=data.name if data.name is not None else name)
    elif isinstance(data, pd.DataFrame):
        frame = data
    else:
        raise ConfigError(f"{name} must be a pandas Series or DataFrame, got {type(data).__name__}")
    if frame.empty:
        raise ConfigError(f"{name} is empty: pass at least one row and one column")
    return frame


def time_frame(data: pd.Series | pd.DataFrame, name: str, *, allow_all_nan: bool = False) -> pd.DataFrame:
    frame = as_frame(data, name)
    if not isinstance(frame.index, pd.DatetimeIndex):
        raise ConfigError(
            f"{name} must be indexed by a DatetimeIndex of sessions, got {type(frame.index).__name__}"
        )
    numeric = frame.apply(pd.to_numeric, errors="coerce").astype(np.float64)
    if not allow_all_nan and not np.isfinite(numeric.to_numpy()).any():
        raise ConfigError(f"{name} has no finite values to plot")
    out: pd.DataFrame = numeric.sort_index()
    return out


def require_columns(table: pd.DataFrame, columns: Iterable[str], name: str) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        have = ", ".join(str(c) for c in table.columns)
        raise ConfigError(f"{name} lacks column(s) {', '.join(missing)}; it has: {have}")


def format_date_axis(ax: Axes) -> None:
    """Concise date ticks, no more than fit the axes width (no overlapping year labels)."""
    width_in = ax.get_position().width * root_figure(ax).get_size_inches()[0]
    fit = int(width_in / DATE_TICK_SPACING_IN)
    # Yearly ticks from 3 years on; only years and months are limited (monthly ticks need up to 7
    # for ranges just under 3 years, or AutoDateLocator finds no interval and warns).
    maxticks = {mdates.YEARLY: min(11, max(3, fit)), mdates.MONTHLY: min(12, max(7, fit))}  # <= defaults
    locator = mdates.AutoDateLocator(minticks=3, maxticks=maxticks)  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]


def datenum(ts: pd.Timestamp) -> float:
    """Matplotlib date number (days since the epoch) of a timestamp."""
    return float(mdates.date2num(ts.to_datetime64()))  # type: ignore[no-untyped-call]


def add_legend(ax: Axes, *, title: str | None = None) -> None:
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


def add_shared_legend(fig: Figure, axes: Sequence[Axes], *, title: str | None = None) -> None:
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


def decorate_time(
    ax: Axes,
    index: pd.DatetimeIndex,
    shade: Sequence[Shade] | None,
    events: Sequence[Event] | None,
) -> list[str]:
    """Shaded periods and numbered event markers clipped to the data's date range.

    Returns the key entries (``"1 = label"``) of the markers drawn, for :func:`event_note`.
    """
    lo, hi = index.min(), index.max()
    seen: set[str] = set()
    for period in shade or ():
        if len(period) != 3:
            raise ConfigError(f"shade items must be (start, end, label), got {period!r}")
        t0, t1 = as_timestamp(period[0], "shade start"), as_timestamp(period[1], "shade end")
        if t1 < t0:
            raise ConfigError(f"shade period {period[2]!r} ends ({t1.date()}) before it starts ({t0.date()})")
        if t1 < lo or t0 > hi:
            continue
        label = str(period[2])
        ax.axvspan(
            datenum(max(t0, lo)),
            datenum(min(t1, hi)),
            color=SHADE_COLOR,
            alpha=SHADE_ALPHA,
            lw=0,
            zorder=0,
            label=label if label not in seen else "_nolegend_",
        )
        seen.add(label)
    drawn = [(datenum(t), label, n) for t, label, n in number_events(events) if lo <= t <= hi]
    for x, _label, n in drawn:
        # Numbered by :func:`place_event_numbers` once the axes limits are final (in :func:`finish`).
        ax.axvline(x, color=EVENT_COLOR, ls="--", lw=1.0, zorder=1, gid=f"{EVENT_LINE_GID}{n}")
    return [f"{n} = {label}" for _x, label, n in drawn]


def event_groups(markers: Sequence[tuple[float, int]], span: float) -> list[tuple[float, str]]:
    """Markers closer than :data:`EVENT_MIN_GAP` of ``span`` merged: ``(mean x, "3,4")`` per group."""
    groups: list[list[tuple[float, int]]] = []
    for x, n in sorted(markers):
        if groups and (x - groups[-1][-1][0]) / span < EVENT_MIN_GAP:
            groups[-1].append((x, n))
        else:
            groups.append([(x, n)])
    return [(float(np.mean([x for x, _ in g])), ",".join(str(n) for _, n in g)) for g in groups]


def place_event_numbers(ax: Axes) -> bool:
    """Number the event markers of :func:`decorate_time` above the axes, no two labels overlapping.

    The numbers sit above the axes (never over the data). Markers closer than
    :data:`EVENT_MIN_GAP` of the visible x range share one label ("3,4"); a label that would
    still touch its left neighbour (narrow axes, wide labels) moves up one row of
    :data:`EVENT_STAGGER` points. Labels drawn before are replaced. Returns whether any was drawn.
    """
    for old in [t for t in ax.texts if t.get_gid() == EVENT_NUMBER_GID]:
        old.remove()
    markers = [
        (float(np.asarray(line.get_xdata(), dtype=np.float64)[0]), int(gid[len(EVENT_LINE_GID) :]))
        for line in ax.get_lines()
        if (gid := line.get_gid()) is not None and gid.startswith(EVENT_LINE_GID)
    ]
    if not markers:
        return False
    fig = root_figure(ax)
    width_pt = max(ax.get_position().width * fig.get_size_inches()[0] * POINTS_PER_INCH, 1.0)
    lo, hi = ax.get_xlim()
    span = (hi - lo) or 1.0
    char = EVENT_CHAR_EM * EVENT_FONTSIZE / width_pt  # axes fraction of one label character
    rows: list[float] = []  # right edge (axes fraction) of the last label of each row
    for x, text in event_groups(markers, span):
        frac = (x - lo) / span
        half = len(text) * char / 2.0
        row = next((i for i, right in enumerate(rows) if frac - half > right + char / 2.0), len(rows))
        if row == len(rows):
            rows.append(0.0)
        rows[row] = frac + half
        ax.annotate(
            text,
            xy=(x, 1.0),
            xycoords=ax.get_xaxis_transform(),
            xytext=(0.0, EVENT_PAD + row * EVENT_STAGGER),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=EVENT_FONTSIZE,
            fontweight="bold",
            color=EVENT_COLOR,
            annotation_clip=False,
            gid=EVENT_NUMBER_GID,
        )
    return True


def title_pad(ax: Axes) -> float:
    """Title padding (points) that keeps an axes title above its event numbers."""
    pad = float(plt.rcParams["axes.titlepad"])
    tops = [
        float(t.xyann[1]) + EVENT_FONTSIZE * 1.3
        for t in ax.texts
        if isinstance(t, Annotation) and t.get_gid() == EVENT_NUMBER_GID
    ]
    return max([pad, *(top + 2.0 for top in tops)])


def font_points(size: float | str) -> float:
    """A font size in points, named sizes ("large") resolved against ``font.size``."""
    from matplotlib.font_manager import FontProperties

    return float(FontProperties(size=size).get_size_in_points())


def wrap_to_width(text: str, width_in: float, fontsize: float, char_em: float) -> str:
    """Wrap each line of ``text`` so that it fits ``width_in`` inches at ``fontsize`` points.

    Titles and notes wider than their figure would stick out of it (and a tight crop would
    then widen the image); ``char_em`` is the average glyph width in ems of the font used.
    """
    chars = max(int(WRAP_FILL * width_in * POINTS_PER_INCH / (char_em * fontsize)), 20)
    return "\n".join(textwrap.fill(line, chars) if len(line) > chars else line for line in text.split("\n"))


@functools.lru_cache(maxsize=1)
def _names() -> dict[str, str]:
    from ..universe import load_universe

    uni = load_universe()
    return {t: uni.name(t) for t in uni.tickers}


def readable(ticker: object) -> str:
    """``"Nasdaq-100 (^NDX)"`` for a universe ticker whose name differs from it, else the ticker."""
    text = str(ticker)
    name = _names().get(text, text)
    return text if name == text else f"{name} ({text})"


def panel_note(ax: Axes, text: str, *, fontsize: float = NOTE_FONTSIZE) -> Text:
    """A note centred in an axes (e.g. "no estimate ..."), wrapped to the axes width and clipped to it."""
    fig = root_figure(ax)
    width_pt = ax.get_position().width * fig.get_size_inches()[0] * POINTS_PER_INCH
    chars = max(int(NOTE_FILL * width_pt / (NOTE_CHAR_EM * fontsize)), 8)
    return ax.text(
        0.5,
        0.5,
        textwrap.fill(text, chars),
        transform=ax.transAxes,
        ha="center",
        va="center",
        multialignment="center",
        fontsize=fontsize,
        color=EVENT_COLOR,
        clip_on=True,
        gid=PANEL_NOTE_GID,
    )


def number_events(events: Sequence[Event] | None) -> list[tuple[pd.Timestamp, str, int]]:
    """Event markers in date order, numbered from 1 (the numbers drawn on the axes)."""
    out: list[tuple[pd.Timestamp, str]] = []
    for marker in events or ():
        if len(marker) != 2:
            raise ConfigError(f"events items must be (date, label), got {marker!r}")
        item = (as_timestamp(marker[0], "event date"), str(marker[1]))
        if item not in out:
            out.append(item)
    out.sort(key=lambda e: e[0])
    return [(t, label, i) for i, (t, label) in enumerate(out, start=1)]


def event_note(note: str, keys: Iterable[str]) -> str:
    """The source note with the key of the numbered event markers appended."""
    unique = list(dict.fromkeys(keys))
    if not unique:
        return note
    key = textwrap.shorten("Events: " + "; ".join(unique), EVENT_KEY_CHARS, placeholder=" ...")
    return note + "\n" + textwrap.fill(key, NOTE_WRAP_CHARS)


#: The colour of every universe ticker, the same in every figure. All differ by about 25 or more in
#: CIELAB (delta E 1976); the four AI-pivot miners get four hues (green, blue, red, magenta) that
#: are far apart, bitcoin its orange and the Nasdaq-100 near-black.
TICKER_COLORS: dict[str, str] = {
    "BTC-USD": "#f7931a",
    "ETH-USD": "#6a3d9a",
    "SOL-USD": "#17becf",
    "XRP-USD": "#848482",
    "IREN": "#009e3c",
    "WULF": "#0057b8",
    "HUT": "#d1001f",
    "ABTC": "#c51b8a",
    "CORZ": "#8c6d31",
    "CLSK": "#bcbd22",
    "BITF": "#1b9e77",
    "MARA": "#f7b6d2",
    "RIOT": "#7b4173",
    "CIFR": "#ad494a",
    "^NDX": "#2b2b2b",
    "^IXIC": "#9c9ede",
    "QQQ": "#f781bf",
    "^GSPC": "#637939",
    "NVDA": "#a1d99b",
    "AMZN": "#fc8d62",
    "MSFT": "#a6cee3",
    "GOOGL": "#e7ba52",
    "SMH": "#e5c494",
    "COIN": "#0072b2",
    "MSTR": "#e6550d",
}
#: Colours for universe tickers added later without an entry in :data:`TICKER_COLORS` (in order).
SPARE_TICKER_COLORS: tuple[str, ...] = (
    "#8c564b",
    "#393b79",
    "#9edae5",
    "#cedb9c",
    "#843c39",
    "#de9ed6",
    "#e7969c",
    "#5254a3",
)


@functools.lru_cache(maxsize=1)
def _ticker_palette() -> dict[str, str]:
    """One fixed colour per universe ticker: :data:`TICKER_COLORS`, then unused spare colours."""
    from ..universe import load_universe

    palette = {t: TICKER_COLORS[t] for t in load_universe().tickers if t in TICKER_COLORS}
    used = set(palette.values())
    spare = [c for c in SPARE_TICKER_COLORS if c not in used]
    tab20 = [mcolors.to_hex(c) for c in plt.get_cmap("tab20").colors]  # type: ignore[attr-defined]
    spare += [c for c in tab20 if c not in used and c not in spare]
    for i, ticker in enumerate(t for t in load_universe().tickers if t not in palette):
        palette[ticker] = spare[i % len(spare)]
    return palette


def ticker_color(ticker: object, fallback_index: int = 0) -> str:
    """The colour of a ticker, the same in every figure of the study.

    A label such as ``"IREN vs BTC-USD"`` takes the colour of its first ticker; anything that is
    not a universe ticker gets the ``fallback_index``-th colour of the house palette.
    """
    palette = _ticker_palette()
    text = series_label(ticker)
    head = text.split(" ")[0]
    if text in palette:
        return palette[text]
    if head in palette:
        return palette[head]
    return COLORBLIND[fallback_index % len(COLORBLIND)]


def plot_lines(ax: Axes, frame: pd.DataFrame, *, scale: float = 1.0) -> None:
    """One line per column, each ticker in its study-wide colour."""
    x = frame.index.to_numpy()
    for i, col in enumerate(frame.columns):
        y = frame[col].to_numpy(dtype=np.float64) * scale
        if np.isfinite(y).any():
            ax.plot(x, y, lw=1.4, label=series_label(col), color=ticker_color(col, i))


# ----------------------------------------------------------------------------- saving


def save_figure(
    fig: Figure, directory: str | Path | None, name: str, *, png: bytes | None = None
) -> Path | None:
    """Save a figure as ``<directory>/<name>.png`` atomically (through :mod:`analysis.atomic`).

    Parameters
    ----------
    fig
        Figure to save.
    directory
        Target directory (created if missing); ``None`` skips saving.
    name
        File stem: letters, digits, ``-`` and ``_`` only (no extension, no path).
    png
        The figure already rendered by :func:`figure_png` (saves a second render).

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
    target = folder / f"{name}.png"
    atomic.write_bytes(target, figure_png(fig) if png is None else png)
    return target


def figure_png(fig: Figure) -> bytes:
    """Render ``fig`` once as PNG bytes (:data:`FIG_DPI`, tight box, no "Software" metadata).

    Identical figures give identical bytes, so a figure can be saved and shown from one render.

    Notes
    -----
    ``savefig(bbox_inches="tight")`` draws the figure twice (once to measure, once to render).
    When everything lies on the canvas (titles and notes are wrapped to fit), the one render
    is cropped to the same tight box instead; a figure with content past its edges goes
    through ``savefig``, which widens the image to show it.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    if isinstance(fig.canvas, FigureCanvasAgg):
        with _figure_dpi(fig, FIG_DPI):
            fig.canvas.draw()  # type: ignore[no-untyped-call]
            png = _cropped_png(fig, fig.canvas)
        if png is not None:
            return png
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=FIG_DPI, bbox_inches="tight", metadata={"Software": None})
    return buffer.getvalue()


@contextlib.contextmanager
def _figure_dpi(fig: Figure, dpi: float) -> Iterator[None]:
    """Temporarily draw ``fig`` at ``dpi`` (as ``savefig(dpi=...)`` does)."""
    old = fig.dpi
    if old != dpi:
        fig.set_dpi(dpi)
    try:
        yield
    finally:
        if fig.dpi != old:
            fig.set_dpi(old)


def _face_rgba(fig: Figure) -> np.ndarray:
    """The figure's face colour as 4 bytes (RGBA), as the Agg canvas stores it."""
    return np.asarray(mcolors.to_rgba_array(fig.get_facecolor())[0] * 255, dtype=np.uint8)


def _crop_box(fig: Figure, canvas: Any, pixels: np.ndarray) -> tuple[int, int, int, int] | None:
    """Pixel box ``(x0, y0, x1, y1)`` of the figure's content on the drawn canvas; None if off-canvas.

    A constrained-layout figure keeps titles, labels, ticks and legends on the canvas, so its
    content box is where ink differs from the face colour (a 2 ms scan; ``get_tightbbox``
    recomputes every axis's ticks, 20-170 ms a figure). Only free texts and figure legends can
    leave the canvas there; their extents are checked, as is ink touching an edge. Other
    figures use ``get_tightbbox`` itself.
    """
    rows, cols = pixels.shape[:2]
    renderer = canvas.get_renderer()
    if not isinstance(fig.get_layout_engine(), ConstrainedLayoutEngine):
        box = fig.get_tightbbox(renderer)  # inches
        width, height = fig.get_size_inches()
        tol = 0.5 / fig.dpi
        if box.x0 < -tol or box.y0 < -tol or box.x1 > width + tol or box.y1 > height + tol:
            return None
        dpi = fig.dpi
        return (
            math.floor(box.x0 * dpi),
            math.floor((height - box.y1) * dpi),
            math.ceil(box.x1 * dpi),
            math.ceil((height - box.y0) * dpi),
        )
    free = [*fig.texts, *fig.legends, *(t for ax in fig.axes for t in ax.texts)]
    for artist in free:
        if artist.get_visible() and (not isinstance(artist, Text) or artist.get_text()):
            ext = artist.get_window_extent(renderer)  # display pixels, origin bottom left
            if ext.x0 < -0.5 or ext.y0 < -0.5 or ext.x1 > cols + 0.5 or ext.y1 > rows + 0.5:
                return None
    face = _face_rgba(fig)
    ink = pixels.view(np.uint32)[..., 0] != face.view(np.uint32)[0]
    inked_rows, inked_cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    if inked_rows.size == 0:
        return None
    y0, y1, x0, x1 = int(inked_rows[0]), int(inked_rows[-1]) + 1, int(inked_cols[0]), int(inked_cols[-1]) + 1
    if x0 == 0 or y0 == 0 or x1 == cols or y1 == rows:  # ink at an edge may continue past it
        return None
    return x0, y0, x1, y1


def _cropped_png(fig: Figure, canvas: Any) -> bytes | None:
    """The drawn canvas cropped to the figure's content plus padding; None if content is off-canvas."""
    from PIL import Image

    pixels = np.asarray(canvas.buffer_rgba())
    box = _crop_box(fig, canvas, pixels)
    if box is None:
        return None
    rows, cols = pixels.shape[:2]
    dpi = fig.dpi
    pad = round(float(plt.rcParams["savefig.pad_inches"]) * dpi)
    x0, y0, x1, y1 = box[0] - pad, box[1] - pad, box[2] + pad, box[3] + pad
    crop = pixels[max(0, y0) : min(rows, y1), max(0, x0) : min(cols, x1)]
    # padding past the canvas edge in the figure's face colour, as savefig adds it
    face = _face_rgba(fig)
    framed = np.empty((y1 - y0, x1 - x0, 4), dtype=np.uint8)
    framed[...] = face
    top, left = max(0, -y0), max(0, -x0)
    framed[top : top + crop.shape[0], left : left + crop.shape[1]] = crop
    opaque = bool((framed[..., 3] == 255).all())  # the usual case: stored as RGB, a quarter less to encode
    out = io.BytesIO()
    image = Image.fromarray(np.ascontiguousarray(framed[..., :3]) if opaque else framed)
    image.save(out, format="png", dpi=(dpi, dpi), compress_level=PNG_COMPRESS_LEVEL)
    return out.getvalue()


def figure_title(fig: Figure) -> str:
    """The title of a figure: its suptitle, else the first axes title (any of the three slots), else "".

    Parameters
    ----------
    fig
        A figure.

    Returns
    -------
    str
        The title on one line (line breaks become spaces).
    """
    texts = [fig.get_suptitle()]
    texts += [ax.get_title(loc) for ax in fig.axes for loc in ("center", "left", "right")]
    return next((" ".join(t.split()) for t in texts if t and t.strip()), "")


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
