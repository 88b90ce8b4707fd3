"""Base of the figure helpers: house style, constants, shared helpers, watermark, notes, saving.

Every family module (``correlation``, ``timeseries``, ``events``, ``claims``, ...) builds its
figures with these helpers, so every figure gets the same title, source note, synthetic
watermark and atomic save.
"""

from __future__ import annotations

import functools
import io
import math
import re
from collections.abc import Hashable, Iterable, Sequence
from pathlib import Path
from typing import Any, TypeAlias

import matplotlib.colors as mcolors
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.text import Text

from .. import atomic
from .._typing import DateLike
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


def check_source(source: str) -> str:
    if not isinstance(source, str) or not source.strip():
        raise ConfigError("source must be a non-empty note, e.g. plots.DEFAULT_SOURCE")
    return source


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


def is_colorbar(ax: Axes) -> bool:
    return getattr(ax, "_colorbar", None) is not None or ax.get_label() == "<colorbar>"


def watermark_size(width: float, height: float, angle: float) -> float:
    """Largest font size (points) whose rotated watermark box fits a ``width x height`` inch axes."""
    length = len(WATERMARK_TEXT) * WATERMARK_GLYPH_EM / POINTS_PER_INCH  # inches per point of size
    line = 1.0 / POINTS_PER_INCH
    cos, sin = math.cos(angle), math.sin(angle)
    return min(
        WATERMARK_FILL * width / (length * cos + line * sin),
        WATERMARK_FILL * height / (length * sin + line * cos),
    )


def add_watermark(fig: Figure) -> None:
    """Stamp :data:`WATERMARK_TEXT` diagonally on every (non-colorbar) axes, once."""
    fig.draw_without_rendering()  # run the layout engine so axes positions are final
    fig_w, fig_h = fig.get_size_inches()
    lo, hi = WATERMARK_FONTSIZE_RANGE
    for ax in fig.axes:
        if is_colorbar(ax) or any(t.get_gid() == WATERMARK_GID for t in ax.texts):
            continue
        pos = ax.get_position()
        w, h = pos.width * fig_w, pos.height * fig_h
        angle = math.atan2(h, w)
        size = min(hi, max(lo, watermark_size(w, h, angle)))
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


def synthetic_title(text: str, synthetic: bool) -> str:
    if synthetic and not text.startswith(SYNTHETIC_TITLE_PREFIX):
        return SYNTHETIC_TITLE_PREFIX + text
    return text


def finish(
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
        fig.suptitle(synthetic_title(title, synthetic))
    elif ax is not None:
        ax.set_title(synthetic_title(title, synthetic))
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
        add_watermark(fig)
    return fig


def series_label(col: Hashable) -> str:
    if isinstance(col, tuple):
        return " · ".join(str(c) for c in col)
    return str(col)


def as_date(value: Any, name: str) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{name} must be a date such as '2025-11-03', got {value!r}") from exc
    if pd.isna(ts):
        raise ConfigError(f"{name} must be a date such as '2025-11-03', got {value!r}")
    return ts


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
    locator = mdates.AutoDateLocator()  # type: ignore[no-untyped-call]
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
) -> None:
    """Shaded periods and event markers clipped to the data's date range."""
    lo, hi = index.min(), index.max()
    seen: set[str] = set()
    for period in shade or ():
        if len(period) != 3:
            raise ConfigError(f"shade items must be (start, end, label), got {period!r}")
        t0, t1 = as_date(period[0], "shade start"), as_date(period[1], "shade end")
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
    for marker in events or ():
        if len(marker) != 2:
            raise ConfigError(f"events items must be (date, label), got {marker!r}")
        t = as_date(marker[0], "event date")
        if not lo <= t <= hi:
            continue
        ax.axvline(datenum(t), color=EVENT_COLOR, ls="--", lw=1.0, zorder=1)
        ax.text(
            datenum(t),
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


@functools.lru_cache(maxsize=1)
def _ticker_palette() -> dict[str, str]:
    """One fixed colour per universe ticker (universe order, 20 distinct colours, then cycled)."""
    from ..universe import load_universe

    colours = [mcolors.to_hex(c) for c in plt.get_cmap("tab20").colors]  # type: ignore[attr-defined]
    return {t: colours[i % len(colours)] for i, t in enumerate(load_universe().tickers)}


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
    cycle = sns.color_palette("colorblind")
    return mcolors.to_hex(cycle[fallback_index % len(cycle)])


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
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=FIG_DPI, bbox_inches="tight", metadata={"Software": None})
    return buffer.getvalue()


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
