"""Time-series figures: rolling lines and betas, cumulative returns, drawdowns, coverage."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.dates as mdates
import matplotlib.ticker as mticker
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .._typing import DateLike
from .._validation import as_timestamp
from ..errors import ConfigError
from ._base import (
    BETA_LABEL,
    DATE_LABEL,
    DEFAULT_NOTE,
    DRAWDOWN_LABEL,
    FIGSIZE_WIDE,
    INDEX_BASE,
    INDEX_LABEL,
    NO_ESTIMATE_TEXT,
    NON_BETA_COLUMNS,
    PANEL_HEIGHT,
    PERCENT,
    REFERENCE_COLOR,
    AxesArg,
    Event,
    Shade,
    add_legend,
    add_shared_legend,
    as_frame,
    check_note,
    decorate_time,
    event_note,
    finish,
    format_date_axis,
    new_figure,
    new_grid,
    panel_note,
    plot_lines,
    require_columns,
    series_label,
    ticker_color,
    time_frame,
)

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
    note: str = DEFAULT_NOTE,
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
    ax, note, synthetic
        Target axes, source note, synthetic watermark.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ConfigError
        Empty or all-NaN ``frame``, index not a ``DatetimeIndex``, bad shade/event items.
    """
    check_note(note)
    data = time_frame(frame, "frame")
    fig, ax = new_figure(ax, FIGSIZE_WIDE)
    keys = decorate_time(ax, pd.DatetimeIndex(data.index), shade, events)
    note = event_note(note, keys)
    if hline is not None:
        ax.axhline(hline, color=REFERENCE_COLOR, lw=0.8, zorder=1)
    plot_lines(ax, data)
    format_date_axis(ax)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    add_legend(ax, title=legend_title)
    return finish(fig, note=note, synthetic=synthetic, title=title, ax=ax)


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
        require_columns(frame, cols, f"betas[{ticker!r}]")
        if not cols:
            raise ConfigError(
                f"betas[{ticker!r}] has no factor columns (only {', '.join(map(str, frame.columns))})"
            )
        panels[ticker] = time_frame(frame.loc[:, cols], f"betas[{ticker!r}]", allow_all_nan=True)
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
    note: str = DEFAULT_NOTE,
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
    note, synthetic
        Source note, synthetic watermark.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ConfigError
        Empty or all-NaN ``betas``, missing factor columns, wrong ``ax`` count.
    """
    check_note(note)
    panels = _beta_panels(betas, factors)
    fig, axes = new_grid(
        ax, len(panels), ncols, (FIGSIZE_WIDE[0] / 2, PANEL_HEIGHT), sharex=True, sharey=sharey
    )
    keys: list[str] = []
    for (ticker, frame), pax in zip(panels.items(), axes, strict=True):
        own = events.get(ticker, ()) if isinstance(events, Mapping) else events
        keys += decorate_time(pax, pd.DatetimeIndex(frame.index), shade, own)
        if hline is not None:
            pax.axhline(hline, color=REFERENCE_COLOR, lw=0.8, zorder=1)
        plot_lines(pax, frame)
        if not np.isfinite(frame.to_numpy()).any():
            panel_note(pax, NO_ESTIMATE_TEXT)
        format_date_axis(pax)
        pax.set_title(ticker)
        pax.set_xlabel(xlabel)
        pax.set_ylabel(ylabel)
        pax.xaxis.set_tick_params(labelbottom=True)
    add_shared_legend(fig, axes, title="factor")
    return finish(fig, note=event_note(note, keys), synthetic=synthetic, title=title, suptitle=True)


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
    note: str = DEFAULT_NOTE,
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
    ax, note, synthetic
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
    check_note(note)
    data = time_frame(prices, "prices")
    t0 = as_timestamp(start, "start", optional=True)
    t1 = as_timestamp(end, "end", optional=True)
    window = data.loc[t0:t1]
    window = window.loc[:, window.notna().any()]
    if window.empty:
        raise ConfigError(f"prices has no valid rows between start={start} and end={end}")
    if (window <= 0).any().any():
        bad = ", ".join(str(c) for c in window.columns[(window <= 0).any()])
        raise ConfigError(f"prices must be positive; non-positive values in: {bad}")
    rebased = window / window.bfill().iloc[0] * INDEX_BASE
    fig, ax = new_figure(ax, FIGSIZE_WIDE)
    keys = decorate_time(ax, pd.DatetimeIndex(rebased.index), shade, events)
    note = event_note(note, keys)
    ax.axhline(INDEX_BASE, color=REFERENCE_COLOR, lw=0.8, zorder=1)
    plot_lines(ax, rebased)
    if logy:
        ax.set_yscale("log")
        # Plain numbers (80, 100, 200) instead of 10^2 and 8x10^1.
        for axis_formatter in (ax.yaxis.set_major_formatter, ax.yaxis.set_minor_formatter):
            axis_formatter(mticker.LogFormatter(labelOnlyBase=False, minor_thresholds=(2.0, 0.5)))
        ylabel = f"{ylabel} (log scale)"
    format_date_axis(ax)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    add_legend(ax)
    return finish(fig, note=note, synthetic=synthetic, title=title, ax=ax)


def drawdown_chart(
    drawdown: pd.Series | pd.DataFrame,
    *,
    title: str = "Drawdown from running peak",
    ylabel: str = DRAWDOWN_LABEL,
    xlabel: str = DATE_LABEL,
    shade: Sequence[Shade] | None = None,
    events: Sequence[Event] | None = None,
    ax: Axes | None = None,
    note: str = DEFAULT_NOTE,
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
    ax, note, synthetic
        Target axes, source note, synthetic watermark.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ConfigError
        Empty input, or values outside ``[-1, 0]`` (e.g. already in percent).
    """
    check_note(note)
    data = time_frame(drawdown, "drawdown")
    values = data.to_numpy()
    finite = values[np.isfinite(values)]
    tol = 1e-9
    if finite.min() < -1.0 - tol or finite.max() > tol:
        raise ConfigError(
            "drawdown must be fractions in [-1, 0] (analysis.returns.drawdown output), "
            f"got values from {finite.min():.4g} to {finite.max():.4g}; do not pass percent"
        )
    fig, ax = new_figure(ax, FIGSIZE_WIDE)
    keys = decorate_time(ax, pd.DatetimeIndex(data.index), shade, events)
    note = event_note(note, keys)
    plot_lines(ax, data, scale=PERCENT)
    if data.shape[1] == 1:
        y = data.iloc[:, 0].to_numpy(dtype=np.float64) * PERCENT
        ax.fill_between(data.index.to_numpy(), y, 0.0, where=np.isfinite(y), alpha=0.25, lw=0)
    ax.axhline(0.0, color=REFERENCE_COLOR, lw=0.8, zorder=1)
    format_date_axis(ax)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    add_legend(ax)
    return finish(fig, note=note, synthetic=synthetic, title=title, ax=ax)


def coverage_chart(
    prices: pd.DataFrame,
    *,
    title: str = "Data availability by ticker",
    xlabel: str = DATE_LABEL,
    ylabel: str = "ticker (share of sessions with data)",
    show_share: bool = True,
    ax: Axes | None = None,
    note: str = DEFAULT_NOTE,
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
    ax, note, synthetic
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
    check_note(note)
    frame = as_frame(prices, "prices")
    if not isinstance(frame.index, pd.DatetimeIndex):
        raise ConfigError(
            f"prices must be indexed by a DatetimeIndex of sessions, got {type(frame.index).__name__}"
        )
    frame = frame.sort_index()
    dates = np.asarray(mdates.date2num(frame.index.to_numpy()), dtype=np.float64)  # type: ignore[no-untyped-call]
    step = float(np.median(np.diff(dates))) if len(dates) > 1 else 1.0
    edges = np.append(dates, dates[-1] + step)
    k = frame.shape[1]
    fig, ax = new_figure(ax, (FIGSIZE_WIDE[0], max(2.5, 0.45 * k + 1.5)))
    labels: list[str] = []
    for row, col in enumerate(frame.columns):
        have = frame[col].notna().to_numpy()
        ax.broken_barh([(edges[0], edges[-1] - edges[0])], (row - 0.35, 0.7), facecolors="0.9", lw=0)
        padded = np.concatenate(([0], have.astype(np.int8), [0]))
        starts = np.flatnonzero(np.diff(padded) == 1)
        stops = np.flatnonzero(np.diff(padded) == -1)
        spans = [(edges[i], edges[j] - edges[i]) for i, j in zip(starts, stops, strict=True)]
        if spans:
            ax.broken_barh(spans, (row - 0.35, 0.7), facecolors=ticker_color(col, row), lw=0)
        share = f" ({have.mean():.0%})" if show_share else ""
        labels.append(f"{series_label(col)}{share}")
    ax.set_yticks(range(k), labels)
    ax.set_ylim(k - 0.5, -0.5)
    ax.set_xlim(edges[0], edges[-1])
    ax.xaxis_date()
    format_date_axis(ax)
    ax.grid(axis="y", visible=False)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return finish(fig, note=note, synthetic=synthetic, title=title, ax=ax)
