"""Coefficient and event-study figures: coefficient bars, CAR paths and CAR bars."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import matplotlib.ticker as mticker
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from scipy import stats

from ..errors import ConfigError
from ._base import (
    BETA_LABEL,
    CAR_LABEL,
    CAR_SIMPLE_LABEL,
    DEFAULT_SOURCE,
    EVENT_COLOR,
    FIGSIZE_WIDE,
    MAX_LABELLED_SESSIONS,
    PANEL_HEIGHT,
    PERCENT,
    REFERENCE_COLOR,
    RELATIVE_DAY_LABEL,
    AxesArg,
    add_legend,
    add_shared_legend,
    as_frame,
    check_source,
    finish,
    new_figure,
    new_grid,
    require_columns,
    series_label,
    ticker_color,
)

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
    check_source(source)
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
    palette = sns.color_palette("colorblind", len(groups))
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
        return finish(fig, source=source, synthetic=synthetic, title=title, ax=axes[0])
    add_shared_legend(fig, axes, title=group)
    return finish(fig, source=source, synthetic=synthetic, title=title, suptitle=True)


def event_car_panels(
    car: pd.DataFrame,
    *,
    labels: Mapping[str, str] | None = None,
    title: str = "Cumulative abnormal returns around events",
    xlabel: str = RELATIVE_DAY_LABEL,
    ylabel: str = CAR_SIMPLE_LABEL,
    ncols: int = 2,
    source: str = DEFAULT_SOURCE,
    synthetic: bool = False,
) -> Figure:
    """Small multiples of CAR paths: one panel per ticker, one line per event.

    Parameters
    ----------
    car
        Index = sessions relative to the event; columns ``(event_id, ticker)`` (e.g.
        ``EventStudyResult.paths(model, "car_simple")``); fractions, drawn in percent.
    labels
        Readable event names by ``event_id`` for the legend (default the ids).
    title, xlabel, ylabel, ncols
        Texts and grid columns.
    source, synthetic
        Source note, synthetic watermark.
    """
    check_source(source)
    frame = as_frame(car, "car")
    if not isinstance(frame.columns, pd.MultiIndex) or frame.columns.nlevels != 2:
        raise ConfigError("car must have (event_id, ticker) columns, e.g. EventStudyResult.paths(...)")
    data = frame.apply(pd.to_numeric, errors="coerce").astype(np.float64).sort_index()
    tickers = list(dict.fromkeys(data.columns.get_level_values(1)))
    if not tickers or not np.isfinite(data.to_numpy()).any():
        raise ConfigError("car has no finite values to plot")
    names = dict(labels or {})
    fig, axes = new_grid(
        None, len(tickers), ncols, (FIGSIZE_WIDE[0] / 2, PANEL_HEIGHT), sharex=True, sharey=False
    )
    x = data.index.to_numpy()
    palette = sns.color_palette("colorblind")
    for ticker, pax in zip(tickers, axes, strict=True):
        pax.axvline(0, color=EVENT_COLOR, ls="--", lw=1.0, zorder=1)
        pax.axhline(0.0, color=REFERENCE_COLOR, lw=0.8, zorder=1)
        sub = data.xs(ticker, axis=1, level=1)
        for i, event in enumerate(sub.columns):
            y = sub[event].to_numpy() * PERCENT
            if np.isfinite(y).any():
                label = names.get(str(event), str(event))
                pax.plot(x, y, marker="o", ms=3.0, lw=1.3, color=palette[i % len(palette)], label=label)
        if len(x) <= MAX_LABELLED_SESSIONS:
            pax.set_xticks(x)
        pax.set_title(ticker)
        pax.set_xlabel(xlabel)
        pax.set_ylabel(ylabel)
        pax.xaxis.set_tick_params(labelbottom=True)
        add_legend(pax)
    return finish(fig, source=source, synthetic=synthetic, title=title, suptitle=True)


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
    check_source(source)
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
    return finish(fig, source=source, synthetic=synthetic, title=title, ax=ax)


def event_bars(
    car_table: pd.DataFrame,
    *,
    estimate: str = "car_simple",
    lower: str = "ci_low_simple",
    upper: str = "ci_high_simple",
    se: str | None = "se",
    dof: str | None = "df",
    confidence: float = 0.95,
    event: str = "event_id",
    ticker: str = "ticker",
    title: str = "Cumulative abnormal returns by event",
    xlabel: str = CAR_SIMPLE_LABEL,
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
    check_source(source)
    if not isinstance(car_table, pd.DataFrame) or car_table.empty:
        raise ConfigError("car_table is empty: pass one row per (event, ticker), e.g. EventStudyResult.car")
    require_columns(car_table, [estimate, event, ticker], "car_table")
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
    palette = {t: ticker_color(t, i) for i, t in enumerate(tickers)}
    est = data[estimate].to_numpy(dtype=np.float64) * PERCENT
    lo_p, hi_p = data["_lo"].to_numpy() * PERCENT, data["_hi"].to_numpy() * PERCENT
    y = np.arange(len(data))
    fig, ax = new_figure(ax, (FIGSIZE_WIDE[0] * 0.85, max(3.0, 0.42 * len(data) + 1.8)))
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
    return finish(fig, source=source, synthetic=synthetic, title=title, ax=ax)
