"""Dynamic co-movement figures (notebook 06): DCC paths, spillover tables, AI-news days."""

from __future__ import annotations

import textwrap
import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING

import matplotlib.ticker as mticker
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from ..errors import ConfigError
from ._base import (
    AXES_TITLE_SHARE,
    CALM_COLOR,
    DATE_LABEL,
    DEFAULT_NOTE,
    FIG_DPI,
    FIGSIZE_WIDE,
    PERCENT,
    REFERENCE_COLOR,
    TITLE_CHAR_EM,
    add_legend,
    check_note,
    finish,
    font_points,
    format_date_axis,
    new_figure,
    readable,
    require_columns,
    ticker_color,
    time_frame,
    wrap_to_width,
)

if TYPE_CHECKING:
    from ..ai_news import AINewsResponses
    from ..spillover import RollingSpillover, SpilloverResult

#: Line styles of the correlation paths: the model path bold, the overlays thin.
PATH_COLORS: tuple[str, ...] = ("#1f4e79", "#d4a017", "#7f7f7f")
PATH_WIDTHS: tuple[float, ...] = (2.0, 1.1, 1.1)
#: Colours of the measures of the rolling-spillover figure (returns, volatility, ...).
MEASURE_COLORS: tuple[str, ...] = ("#1f4e79", "#c44e52", "#55a868", "#8172b3")
SPILLOVER_CMAP = "Blues"
OWN_COLOR = "0.88"
RESPONSE_CMAP = "RdBu"
#: Colour limit (percent) of the AI-news response heatmap; larger CARs saturate.
RESPONSE_LIMIT = 20.0
#: Characters of a news label in the response heatmap.
NEWS_LABEL_CHARS = 48
#: Inches per row of the response heatmap and per pair of the comparison chart.
ROW_HEIGHT = 0.34
#: Marker of rows whose session coincides with another catalogued event.
CONFOUND_MARK = "†"
NEWS_TITLE = "Co-movement on AI-news sessions (filled: news session and the next) vs other sessions (hollow)"
SPILLOVER_LABEL = "spillover (% of forecast-error variance)"
NET_LABEL = "net spillover (percentage points)"
#: Colour-bar label of the AI-news responses (``AINewsResponses.car`` is a simple return).
RESPONSE_LABEL = "cumulative abnormal return, simple (%)"


# ----------------------------------------------------------------------------- DCC


def dcc_correlation(
    paths: pd.DataFrame,
    *,
    title: str | None = None,
    ylabel: str = "correlation of daily log returns",
    ax: Axes | None = None,
    note: str = DEFAULT_NOTE,
    synthetic: bool = False,
) -> Figure:
    """The DCC conditional correlation with rolling and EWMA correlations overlaid.

    Parameters
    ----------
    paths
        Output of :func:`analysis.dynamics.correlation_paths`: the first column is the model path
        (drawn bold), the others overlays; ``columns.name`` is the pair ``"a|b"``.
    title, ylabel
        Texts (default title names the pair).
    ax, note, synthetic
        Target axes, source note, synthetic watermark.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ConfigError
        Empty or all-NaN ``paths``, or more columns than :data:`PATH_COLORS`.
    """
    check_note(note)
    data = time_frame(paths, "paths")
    if data.shape[1] > len(PATH_COLORS):
        raise ConfigError(f"paths has {data.shape[1]} columns; at most {len(PATH_COLORS)} can be told apart")
    a, _, b = str(paths.columns.name or "").partition("|")
    fig, ax = new_figure(ax, FIGSIZE_WIDE)
    ax.axhline(0.0, color=REFERENCE_COLOR, lw=0.8, zorder=1)
    x = data.index.to_numpy()
    for i, col in enumerate(data.columns):
        ax.plot(
            x, data[col].to_numpy(), color=PATH_COLORS[i], lw=PATH_WIDTHS[i], label=str(col), zorder=3 - i
        )
    ax.set_ylim(-1.0, 1.0)
    format_date_axis(ax)
    ax.set_xlabel(DATE_LABEL)
    ax.set_ylabel(ylabel)
    ax.legend(loc="lower left", fontsize="small", ncols=len(data.columns))
    default = f"{readable(a)} vs {readable(b)}: conditional correlation" if b else "Conditional correlation"
    return finish(fig, note=note, synthetic=synthetic, title=title or default, ax=ax)


# ----------------------------------------------------------------------------- spillovers


def spillover_heatmap(
    table: pd.DataFrame | SpilloverResult,
    *,
    title: str | None = None,
    horizon: int | None = None,
    ax: Axes | None = None,
    note: str = DEFAULT_NOTE,
    synthetic: bool = False,
) -> Figure:
    """Heatmap of a Diebold-Yilmaz spillover table (percent; row receives from column).

    Parameters
    ----------
    table
        A :class:`~analysis.spillover.SpilloverResult` (its sample and horizon go into the title
        and colour-bar label), or its ``table``: receivers as rows, senders as columns, rows
        summing to 100.
    title
        Title (default names the sample when a result is given).
    horizon
        Forecast horizon in sessions (colour-bar label; taken from a result).
    ax, note, synthetic
        Target axes, source note, synthetic watermark.

    Notes
    -----
    Colours scale with the off-diagonal (cross) spillovers; the diagonal (own share) is grey so
    its large values do not wash the scale out. Every cell is annotated.
    """
    check_note(note)
    default = "Spillover table: share of each row's forecast-error variance due to each column"
    if not isinstance(table, pd.DataFrame) and hasattr(table, "table"):
        result = table
        table, horizon = result.table, horizon or result.horizon
        default = (
            f"Return spillovers, {result.start:%Y-%m-%d} .. {result.end:%Y-%m-%d} "
            f"(VAR({result.lags}), {result.nobs} sessions): row receives from column"
        )
    if not isinstance(table, pd.DataFrame) or table.empty or table.shape[0] != table.shape[1]:
        raise ConfigError("table must be a non-empty square spillover table (receivers x senders)")
    values = table.astype(np.float64).to_numpy()
    k = values.shape[0]
    own = np.eye(k, dtype=bool)
    cross = values[~own]
    vmax = float(np.ceil(np.nanmax(cross) / 5.0) * 5.0) if cross.size and np.isfinite(cross).any() else 100.0
    fig, ax = new_figure(ax, (max(7.0, 1.05 * k + 3.0), max(5.5, 0.8 * k + 2.2)))
    names = [readable(t) for t in table.columns]
    horizon_text = f"{horizon}-session " if horizon else ""
    with warnings.catch_warnings():
        # seaborn 0.13.2 calls Colormap.set_bad, pending deprecation in matplotlib 3.11: not ours to fix.
        warnings.filterwarnings("ignore", message="The set_bad function", category=PendingDeprecationWarning)
        import seaborn as sns  # lazy: its import (with scipy.stats) costs about a second

        sns.heatmap(
            pd.DataFrame(values, index=names, columns=names),
            mask=own,
            cmap=SPILLOVER_CMAP,
            vmin=0.0,
            vmax=vmax,
            annot=np.where(np.isfinite(values), np.char.mod("%.1f", values), ""),
            fmt="",
            annot_kws={"fontsize": max(7.0, min(11.0, 80.0 / k)), "in_layout": False},  # inside the cells
            linewidths=0.5,
            linecolor="white",
            cbar_kws={
                "label": f"share of the row's {horizon_text}forecast-error variance (%)",
                "shrink": 0.8,
            },
            ax=ax,
        )
    for i in range(k):
        ax.add_patch(Rectangle((i, i), 1, 1, facecolor=OWN_COLOR, edgecolor="white", lw=0.5))
        ax.text(i + 0.5, i + 0.5, f"{values[i, i]:.1f}\n(own)", ha="center", va="center", fontsize="small")
    ax.set_xlabel("sender (shock in this series)")
    ax.set_ylabel("receiver (forecast-error variance of this series)")
    ax.tick_params(axis="y", labelrotation=0)
    for tick in ax.get_xticklabels():
        tick.set(rotation=35, ha="right", rotation_mode="anchor")
    ax.grid(False)
    return finish(fig, note=note, synthetic=synthetic, title=title or default, ax=ax)


def rolling_spillover_chart(
    rolling: Mapping[str, RollingSpillover],
    sender: str,
    receiver: str,
    *,
    title: str | None = None,
    note: str = DEFAULT_NOTE,
    synthetic: bool = False,
) -> Figure:
    """Rolling total spillover (top) and net ``sender -> receiver`` spillover (bottom), per measure.

    Parameters
    ----------
    rolling
        Measure name (e.g. ``"returns"``, ``"volatility"``) -> rolling spillovers of the same
        variables (:func:`analysis.spillover.rolling_spillover`).
    sender, receiver
        The pair of the bottom panel.
    title, note, synthetic
        Figure title, source note, synthetic watermark.

    Raises
    ------
    ConfigError
        No measure, more measures than :data:`MEASURE_COLORS`, or a pair not in a measure.
    """
    check_note(note)
    if not rolling:
        raise ConfigError("rolling is empty: pass {measure: RollingSpillover}")
    if len(rolling) > len(MEASURE_COLORS):
        raise ConfigError(f"at most {len(MEASURE_COLORS)} measures can be told apart, got {len(rolling)}")
    fig, (top, bottom) = _two_rows()
    for i, (measure, roll) in enumerate(rolling.items()):
        color = MEASURE_COLORS[i]
        label = f"{measure} ({roll.window}-session windows)"
        total = roll.total
        top.plot(total.index.to_numpy(), total.to_numpy(), color=color, lw=1.3, label=label)
        net = roll.pairwise_net(sender, receiver)
        bottom.plot(net.index.to_numpy(), net.to_numpy(), color=color, lw=1.1, label=label)
    bottom.axhline(0.0, color=REFERENCE_COLOR, lw=0.8)
    top.set_ylabel("total spillover index (%)")
    bottom.set_ylabel(f"net {sender} → {receiver}\n(percentage points)")
    top.set_title(f"Total spillover ({', '.join(next(iter(rolling.values())).tickers)})", fontsize="medium")
    bottom.set_title(
        wrap_to_width(
            f"Net pairwise spillover from {readable(sender)} to {readable(receiver)} "
            f"(> 0: {sender} transmits)",
            AXES_TITLE_SHARE * float(fig.get_size_inches()[0]),
            font_points("medium"),
            TITLE_CHAR_EM,
        ),
        fontsize="medium",
    )
    for ax in (top, bottom):
        format_date_axis(ax)
    bottom.set_xlabel("end of the rolling window")
    add_legend(top)
    default = f"Rolling spillovers between {readable(sender)} and {readable(receiver)}"
    return finish(fig, note=note, synthetic=synthetic, title=title or default, suptitle=True)


def _two_rows() -> tuple[Figure, tuple[Axes, Axes]]:
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 1, figsize=(10.0, 7.0), dpi=FIG_DPI, layout="constrained", sharex=True)
    return fig, (axes[0], axes[1])


# ----------------------------------------------------------------------------- AI news


def news_comparison_chart(
    table: pd.DataFrame,
    *,
    title: str = NEWS_TITLE,
    note: str = DEFAULT_NOTE,
    synthetic: bool = False,
) -> Figure:
    """Dot chart of each pair's statistic on AI-news sessions and on other sessions.

    Parameters
    ----------
    table
        ``AINewsComparison.summary_frame()`` (columns ``a, b, statistic, news, other, p_holm``).
    title, note, synthetic
        Title, source note, synthetic watermark.

    Notes
    -----
    One panel per statistic (correlation; co-exceedance in percent). Filled markers in each
    pair's colour are the news sessions, hollow grey ones the other sessions (the default title
    says so: no legend box to hide a marker); the Holm-adjusted p-value is written at the right.
    """
    check_note(note)
    require_columns(table, ["a", "b", "statistic", "news", "other", "p_holm"], "table")
    stats = list(dict.fromkeys(table["statistic"]))
    pairs = list(dict.fromkeys(zip(table["a"], table["b"], strict=True)))
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(
        1,
        len(stats),
        figsize=(5.6 * len(stats), max(3.0, ROW_HEIGHT * 1.6 * len(pairs) + 1.6)),
        dpi=FIG_DPI,
        layout="constrained",
        sharey=True,
        squeeze=False,
    )
    y = np.arange(len(pairs))[::-1]
    for ax, stat in zip(axes[0], stats, strict=True):
        part = table.loc[table["statistic"] == stat].set_index(["a", "b"])
        scale = PERCENT if stat == "coexceedance" else 1.0
        for yi, (a, b) in zip(y, pairs, strict=True):
            if (a, b) not in part.index:
                continue
            row = part.loc[(a, b)]
            news, other = float(row["news"]) * scale, float(row["other"]) * scale
            if not (np.isfinite(news) and np.isfinite(other)):
                ax.text(0.02, yi, "not computed (too few sessions)", transform=ax.get_yaxis_transform(),
                        va="center", fontsize="small", color=REFERENCE_COLOR)  # fmt: skip
                continue
            ax.plot([other, news], [yi, yi], color="0.7", lw=1.5, zorder=1)
            ax.scatter([other], [yi], s=45, facecolor="white", edgecolor=CALM_COLOR, lw=1.5, zorder=2)
            ax.scatter([news], [yi], s=55, color=ticker_color(a), zorder=3)
            p = float(row["p_holm"])
            ax.text(1.01, yi, "Holm p –" if not np.isfinite(p) else f"Holm p {p:.2f}",
                    transform=ax.get_yaxis_transform(), va="center", fontsize="small")  # fmt: skip
        ax.set_yticks(y, [f"{a} / {b}" for a, b in pairs])
        ax.set_ylim(-0.7, len(pairs) - 0.3)
        if stat == "coexceedance":
            ax.set_xlabel("share of sessions with both in their worst 5% (%)")
            ax.set_title("lower-tail co-exceedance", fontsize="medium")
        else:
            ax.set_xlabel("correlation of daily log returns")
            ax.set_title("correlation", fontsize="medium")
            ax.axvline(0.0, color=REFERENCE_COLOR, lw=0.8)
    return finish(fig, note=note, synthetic=synthetic, title=title, suptitle=True)


def _news_row_label(row: pd.Series) -> str:
    label = textwrap.shorten(str(row["label"]), NEWS_LABEL_CHARS, placeholder="…")
    mark = f" {CONFOUND_MARK}" if bool(row["confounded"]) else ""
    return f"{pd.Timestamp(row['session']):%Y-%m-%d} {label}{mark}"


def news_responses_heatmap(
    responses: AINewsResponses,
    *,
    title: str | None = None,
    note: str = DEFAULT_NOTE,
    synthetic: bool = False,
) -> Figure:
    """Heatmap of the abnormal returns on AI-news sessions: news items x tickers, in percent.

    Parameters
    ----------
    responses
        Output of :func:`analysis.ai_news.ai_news_responses`.
    title, note, synthetic
        Title, source note, synthetic watermark.

    Notes
    -----
    Cells are annotated with the CAR (a simple return) in percent; blank cells are not estimable
    (e.g. before a listing). Rows marked :data:`CONFOUND_MARK` share their session with another catalogued
    event. Colours saturate at +-:data:`RESPONSE_LIMIT` percent.
    """
    check_note(note)
    wide = responses.wide() * PERCENT
    if wide.empty:
        raise ConfigError("no estimable AI-news response to plot")
    meta = responses.table.drop_duplicates("news_id").set_index("news_id")
    rows = [_news_row_label(meta.loc[n]) for n in wide.index]
    cols = [readable(t).replace(" (", "\n(") for t in wide.columns]
    fig, ax = new_figure(None, (max(8.0, 1.3 * len(cols) + 6.0), max(4.0, ROW_HEIGHT * len(rows) + 2.2)))
    values = wide.to_numpy(dtype=np.float64)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The set_bad function", category=PendingDeprecationWarning)
        import seaborn as sns  # lazy: its import (with scipy.stats) costs about a second

        sns.heatmap(
            pd.DataFrame(values, index=rows, columns=cols),
            cmap=RESPONSE_CMAP,
            center=0.0,
            vmin=-RESPONSE_LIMIT,
            vmax=RESPONSE_LIMIT,
            annot=np.where(np.isfinite(values), np.char.mod("%+.1f", values), ""),
            fmt="",
            annot_kws={"fontsize": 8, "in_layout": False},  # inside the cells: no layout work
            linewidths=0.5,
            linecolor="white",
            cbar_kws={"label": RESPONSE_LABEL, "shrink": 0.6},
            ax=ax,
        )
    ax.set_facecolor(OWN_COLOR)
    lo, hi = responses.window
    ax.set_xlabel(f"ticker (blank: not estimable; {CONFOUND_MARK}: same session as another catalogued event)")
    ax.set_ylabel("AI-news session")
    ax.tick_params(axis="y", labelrotation=0, labelsize="small")
    ax.xaxis.set_major_locator(mticker.FixedLocator(list(np.arange(len(cols)) + 0.5)))
    ax.grid(False)
    models = "; ".join(
        f"{', '.join(t for t, m in responses.models.items() if m == model)}: {model}"
        for model in dict.fromkeys(responses.models.values())
    )
    default = f"Abnormal returns on AI-news sessions {lo:+d}..{hi:+d}\n({models})"
    return finish(fig, note=note, synthetic=synthetic, title=title or default, ax=ax)
