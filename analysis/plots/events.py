"""Coefficient and event-study figures: coefficient bars, CAR paths and CAR bars."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping

import matplotlib.font_manager as mfont
import matplotlib.ticker as mticker
import matplotlib.transforms as mtransforms
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ..errors import ConfigError
from ._base import (
    BETA_LABEL,
    CAR_LABEL,
    CAR_SIMPLE_LABEL,
    COLORBLIND,
    DEFAULT_NOTE,
    EVENT_COLOR,
    FIGSIZE_WIDE,
    MAX_LABELLED_SESSIONS,
    PANEL_HEIGHT,
    PERCENT,
    POINTS_PER_INCH,
    REFERENCE_COLOR,
    RELATIVE_DAY_LABEL,
    AxesArg,
    add_legend,
    add_shared_legend,
    as_frame,
    check_note,
    finish,
    new_figure,
    new_grid,
    new_grid_with_legend,
    require_columns,
    series_label,
    ticker_color,
)

# ----------------------------------------------------------------------------- coefficients and events

#: Line styles of CAR paths once the colours of the palette are used up (one style per round).
EVENT_LINE_STYLES: tuple[str, ...] = ("-", "--", ":", "-.")
#: Average width of a label character (em), and width (inches) of a legend handle and its gaps.
LABEL_CHAR_EM = 0.5
LEGEND_HANDLE_IN = 0.8
#: Extra space (rows) between the event groups of :func:`event_bars`.
EVENT_GROUP_GAP = 0.3
#: Width (inches) of the y tick labels beside a panel (left out of the room for its x label).
TICK_LABELS_IN = 0.9
#: Line style of a CAR path that coincides with one drawn before in its panel.
COINCIDENT_STYLE = (0, (3.0, 3.0))


def _interval(
    table: pd.DataFrame,
    estimate: str,
    lower: str,
    upper: str,
    se: str | None,
    dof: str | None,
    alpha: float,
    name: str,
) -> tuple[np.ndarray, np.ndarray]:
    """Lower/upper bounds: the table's columns, else estimate ± t quantile × se."""
    if lower in table.columns and upper in table.columns:
        lo = table[lower].to_numpy(dtype=np.float64)
        hi = table[upper].to_numpy(dtype=np.float64)
    elif se is not None and se in table.columns:
        if not 0.0 < alpha < 1.0:
            raise ConfigError(f"alpha must be in (0, 1), e.g. 0.05 for 95% intervals, got {alpha}")
        p = 1.0 - alpha / 2.0
        s = table[se].to_numpy(dtype=np.float64)
        from scipy import stats

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
    note: str = DEFAULT_NOTE,
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
    note, synthetic
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
    check_note(note)
    if not isinstance(table, pd.DataFrame) or table.empty:
        raise ConfigError("table is empty: pass one row per (category, group) with estimate and interval")
    require_columns(table, [estimate, lower, upper, group, category, *([panel] if panel else [])], "table")
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
    palette = [COLORBLIND[i % len(COLORBLIND)] for i in range(len(groups))]
    markers = ["o", "s", "D", "^", "v", "P", "X"]
    offsets = np.linspace(-0.2, 0.2, len(groups)) if len(groups) > 1 else np.zeros(1)
    if panel is None and (ax is None or isinstance(ax, Axes)):
        fig, single = new_figure(ax, (FIGSIZE_WIDE[0] * 0.8, max(3.0, 0.6 * data[category].nunique() + 2.0)))
        axes = [single]
    else:
        n_cat = data[category].nunique()
        fig, axes = new_grid(
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
        add_legend(axes[0], title=group)
        return finish(fig, note=note, synthetic=synthetic, title=title, ax=axes[0])
    add_shared_legend(fig, axes, title=group)
    return finish(fig, note=note, synthetic=synthetic, title=title, suptitle=True)


def event_car_panels(
    car: pd.DataFrame,
    *,
    labels: Mapping[str, str] | None = None,
    title: str = "Cumulative abnormal returns around events",
    xlabel: str = RELATIVE_DAY_LABEL,
    ylabel: str = CAR_SIMPLE_LABEL,
    ncols: int = 2,
    note: str = DEFAULT_NOTE,
    synthetic: bool = False,
) -> Figure:
    """Small multiples of CAR paths: one panel per ticker, one line per event.

    Parameters
    ----------
    car
        Index = sessions relative to the event; columns ``(event_id, ticker)`` (e.g.
        ``EventStudyResult.paths(model, "car_simple")``); fractions, drawn in percent.
    labels
        Readable event names by ``event_id`` for the legend (default the ids), e.g.
        :func:`analysis.events.short_labels` of the catalogue.
    title, xlabel, ylabel, ncols
        Texts and grid columns.
    note, synthetic
        Source note, synthetic watermark.

    Notes
    -----
    Each event has one colour in every panel (past the palette's colours, also a line style),
    named in one legend in its own row under the panels, so it never covers a line; the y label
    is shared by the panels and the x label sits under the bottom panels. A path equal to one
    drawn before in its panel (two events on one session) is dashed on top, so both show.
    """
    check_note(note)
    frame = as_frame(car, "car")
    if not isinstance(frame.columns, pd.MultiIndex) or frame.columns.nlevels != 2:
        raise ConfigError("car must have (event_id, ticker) columns, e.g. EventStudyResult.paths(...)")
    data = frame.apply(pd.to_numeric, errors="coerce").astype(np.float64).sort_index()
    tickers = list(dict.fromkeys(data.columns.get_level_values(1)))
    if not tickers or not np.isfinite(data.to_numpy()).any():
        raise ConfigError("car has no finite values to plot")
    names = {str(k): str(v) for k, v in (labels or {}).items()}
    # One colour (and, past the palette, line style) per event in every panel: one shared legend.
    finite = data.columns[np.isfinite(data.to_numpy()).any(axis=0)]
    events = list(dict.fromkeys(str(e) for e in finite.get_level_values(0)))
    palette = list(COLORBLIND)
    style = {
        e: (palette[i % len(palette)], EVENT_LINE_STYLES[i // len(palette) % len(EVENT_LINE_STYLES)])
        for i, e in enumerate(events)
    }
    if isinstance(ncols, bool) or not isinstance(ncols, int) or ncols < 1:
        raise ConfigError(f"ncols must be an integer >= 1, got {ncols!r}")
    ncols_used = min(ncols, len(tickers))
    width = FIGSIZE_WIDE[0]
    legend_cols = 1 if len(events) < 2 else 2
    texts = [_fit_label(names.get(e, e), width / legend_cols - LEGEND_HANDLE_IN, "small") for e in events]
    lines = math.ceil(len(events) / legend_cols) * max(t.count("\n") + 1 for t in texts)
    fig, axes, legend_ax = new_grid_with_legend(
        len(tickers), ncols_used, (width / ncols_used, PANEL_HEIGHT), lines, sharex=True, sharey=False
    )
    x = data.index.to_numpy()
    for k, (ticker, pax) in enumerate(zip(tickers, axes, strict=True)):
        pax.axvline(0, color=EVENT_COLOR, ls="--", lw=1.0, zorder=1)
        pax.axhline(0.0, color=REFERENCE_COLOR, lw=0.8, zorder=1)
        sub = data.xs(ticker, axis=1, level=1)
        drawn: list[np.ndarray] = []
        for event in sub.columns:
            y = sub[event].to_numpy() * PERCENT
            if np.isfinite(y).any():
                color, ls = style[str(event)]
                # A path equal to one drawn before (events on the same session) is dashed on top,
                # so both colours show.
                same = any(np.allclose(y, d, equal_nan=True) for d in drawn)
                pax.plot(
                    x,
                    y,
                    marker="o",
                    ms=3.0,
                    lw=1.3,
                    color=color,
                    ls=COINCIDENT_STYLE if same else ls,
                    zorder=2 + len(drawn),
                    label=names.get(str(event), str(event)),
                )
                drawn.append(y)
        if len(x) <= MAX_LABELLED_SESSIONS:
            pax.set_xticks(x)
        pax.set_title(ticker)
        # The x label under the bottom panel of each column only; one y label for the figure.
        bottom = k + ncols_used >= len(tickers)
        pax.set_xlabel(_fit_label(xlabel, width / ncols_used - TICK_LABELS_IN, "medium") if bottom else "")
        pax.xaxis.set_tick_params(labelbottom=True)
    fig.supylabel(_fit_label(ylabel, fig.get_size_inches()[1], "medium"), fontsize="medium")
    # The legend has its own row under the panels: it never covers a line, the title or the note.
    handles = [Line2D([], [], marker="o", ms=3.0, lw=1.3, color=style[e][0], ls=style[e][1]) for e in events]
    legend_ax.legend(
        handles,
        texts,
        loc="upper center",
        ncols=legend_cols,
        fontsize="small",
        title="event",
        title_fontsize="small",
    )
    return finish(fig, note=note, synthetic=synthetic, title=title, suptitle=True)


def _fit_label(text: str, length_in: float, size: str) -> str:
    """``text`` wrapped to lines that fit ``length_in`` inches at font size ``size`` (e.g. "small")."""
    points = float(mfont.FontProperties(size=size).get_size_in_points())
    chars = max(int(0.95 * length_in * POINTS_PER_INCH / (LABEL_CHAR_EM * points)), 12)
    head, sep, tail = text.partition(" (")
    if len(text) > chars and sep and len(head) <= chars and len(tail) < chars:
        return f"{head}\n({tail}"  # break before a parenthetical rather than inside it
    return textwrap.fill(text, chars)


def event_car(
    car: pd.DataFrame,
    *,
    cumulate: bool = False,
    title: str = "Cumulative abnormal returns around events",
    xlabel: str = RELATIVE_DAY_LABEL,
    ylabel: str = CAR_LABEL,
    ax: Axes | None = None,
    note: str = DEFAULT_NOTE,
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
    ax, note, synthetic
        Target axes, source note, synthetic watermark.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ConfigError
        Empty or all-NaN ``car``, non-integer index.
    """
    check_note(note)
    frame = as_frame(car, "car")
    if not pd.api.types.is_integer_dtype(frame.index.dtype):
        raise ConfigError("car must be indexed by integer sessions relative to the event (rel_day)")
    data = frame.apply(pd.to_numeric, errors="coerce").astype(np.float64).sort_index()
    if not np.isfinite(data.to_numpy()).any():
        raise ConfigError("car has no finite values to plot")
    if cumulate:
        data = data.cumsum(skipna=True)
    fig, ax = new_figure(ax, FIGSIZE_WIDE)
    ax.axvline(0, color=EVENT_COLOR, ls="--", lw=1.0, zorder=1)
    ax.axhline(0.0, color=REFERENCE_COLOR, lw=0.8, zorder=1)
    x = data.index.to_numpy()
    for col in data.columns:
        y = data[col].to_numpy() * PERCENT
        if np.isfinite(y).any():
            ax.plot(x, y, marker="o", ms=3.5, lw=1.4, label=series_label(col))
    if len(x) <= MAX_LABELLED_SESSIONS:
        ax.set_xticks(x)
    else:
        ax.xaxis.set_major_locator(mticker.MaxNLocator(integer=True))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    add_legend(ax, title=" · ".join(str(n) for n in data.columns.names if n is not None) or None)
    return finish(fig, note=note, synthetic=synthetic, title=title, ax=ax)


def event_bars(
    car_table: pd.DataFrame,
    *,
    estimate: str = "car_simple",
    lower: str = "ci_low_simple",
    upper: str = "ci_high_simple",
    se: str | None = "se",
    dof: str | None = "df",
    alpha: float = 0.05,
    event: str = "event_id",
    ticker: str = "ticker",
    labels: Mapping[str, str] | None = None,
    title: str = "Cumulative abnormal returns by event",
    xlabel: str = CAR_SIMPLE_LABEL,
    ylabel: str = "ticker, grouped by event",
    ax: Axes | None = None,
    note: str = DEFAULT_NOTE,
    synthetic: bool = False,
) -> Figure:
    """Horizontal CAR bars with confidence-interval whiskers, one per (event, ticker).

    Bars are grouped by event under a header row with the event's readable name; the tick
    labels name the tickers (each in its study-wide colour).

    Parameters
    ----------
    car_table
        One row per (event, ticker) (e.g. ``EventStudyResult.car``); values are
        log returns as fractions, drawn in percent. Rows with a NaN estimate
        (not estimable) are left out. When a ``window`` column holds several
        windows, the window is added to the labels.
    estimate, lower, upper
        Columns of the CAR and its interval bounds.
    se, dof, alpha
        Used only when ``lower``/``upper`` are absent: the interval is
        ``estimate ± q * se`` with ``q`` the Student-t quantile on the ``dof``
        column (normal quantile where it is missing), matching the t tests of
        :func:`analysis.events.event_study`.
    event, ticker
        Label columns.
    labels
        Readable event names by event id (e.g. :func:`analysis.events.short_labels` of the
        catalogue); default the short form of a ``label`` column when the table has one, else
        the ids.
    title, xlabel, ylabel
        Texts.
    ax, note, synthetic
        Target axes, source note, synthetic watermark.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ConfigError
        Empty table, missing columns, no estimable row, duplicate rows.
    """
    check_note(note)
    if not isinstance(car_table, pd.DataFrame) or car_table.empty:
        raise ConfigError("car_table is empty: pass one row per (event, ticker), e.g. EventStudyResult.car")
    require_columns(car_table, [estimate, event, ticker], "car_table")
    lo, hi = _interval(car_table, estimate, lower, upper, se, dof, alpha, "car_table")
    data = car_table.assign(_lo=lo, _hi=hi)
    data = data[np.isfinite(data[estimate].to_numpy(dtype=np.float64))]
    if data.empty:
        raise ConfigError(f"car_table has no row with a finite {estimate!r} (no estimable event)")
    keys = [event, ticker]
    if "window" in data.columns and data["window"].nunique() > 1:
        keys.append("window")
    if data.duplicated(subset=keys).any():
        raise ConfigError(f"car_table has several rows per ({', '.join(keys)}); filter it first")
    names = _event_names(data, event, labels)
    # Rows grouped by event under a header row with the event's readable name; ticks name tickers.
    ids = data[event].astype(str)
    order = list(dict.fromkeys(ids))
    data = pd.concat([data[ids == e] for e in order])
    headers: list[tuple[float, str]] = []
    positions: list[float] = []
    for e in order:
        start = positions[-1] + 1.0 + EVENT_GROUP_GAP if positions else 0.0
        headers.append((start, names.get(e, e)))
        positions += [start + 1.0 + i for i in range(int((data[event].astype(str) == e).sum()))]
    y = np.array(positions)
    ticks = [" · ".join(str(v) for v in row) for row in data[keys[1:]].itertuples(index=False, name=None)]
    tickers = list(dict.fromkeys(data[ticker]))
    palette = {t: ticker_color(t, i) for i, t in enumerate(tickers)}
    est = data[estimate].to_numpy(dtype=np.float64) * PERCENT
    lo_p, hi_p = data["_lo"].to_numpy() * PERCENT, data["_hi"].to_numpy() * PERCENT
    fig, ax = new_figure(ax, (FIGSIZE_WIDE[0] * 0.85, max(3.0, 0.36 * (len(data) + len(order)) + 1.8)))
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
    header_at = mtransforms.blended_transform_factory(ax.transAxes, ax.transData)
    for hy, name in headers:
        ax.text(
            0.005, hy, name, transform=header_at, ha="left", va="center", fontweight="bold", fontsize="small"
        )
    ax.set_yticks(y, ticks)
    ax.set_ylim(positions[-1] + 0.6, -0.6)
    ax.grid(axis="y", visible=False)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ci_label = f"{1 - alpha:.0%} CI" if lower not in car_table.columns else "interval"
    whisker = Line2D([], [], color="0.2", marker="|", ms=10, lw=1.2, label=ci_label)
    # Outside the axes, so it never hides a bar; the tick labels name the tickers.
    ax.legend(handles=[whisker], loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    return finish(fig, note=note, synthetic=synthetic, title=title, ax=ax)


def _event_names(data: pd.DataFrame, event: str, labels: Mapping[str, str] | None) -> dict[str, str]:
    """Readable names by event id: ``labels``, else short forms of a ``label`` column, else none."""
    if labels is not None:
        return {str(k): str(v) for k, v in labels.items()}
    if "label" not in data.columns:
        return {}
    from ..events import short_label

    pairs = zip(data[event], data["label"], strict=True)
    return {str(e): short_label(lab) for e, lab in pairs if pd.notna(lab) and str(lab).strip()}
