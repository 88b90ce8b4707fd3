"""Balance-sheet figures (notebook 07): debt, cash and assets, revenue split, leverage, coverage.

Inputs are the long frames of :mod:`analysis.fundamentals` (``ticker, period_end, metric,
value, unit, ...``); money is drawn in USD millions, shares in percent.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import matplotlib.ticker as mticker
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from ..errors import ConfigError
from ._base import (
    DEFAULT_NOTE,
    FIG_DPI,
    PERCENT,
    REFERENCE_COLOR,
    add_shared_legend,
    check_note,
    finish,
    format_date_axis,
    readable,
    require_columns,
    ticker_color,
)

if TYPE_CHECKING:
    from ..fundamentals import CoverageResult, MarketLinkResult, MarketMeasures

USD_MILLION = 1e6
USD_MILLIONS_LABEL = "USD millions"
QUARTER_LABEL = "quarter end"
#: Colours of the balance-sheet metrics (same in every panel).
METRIC_COLORS: dict[str, str] = {"debt_total": "#c44e52", "cash": "#55a868", "total_assets": "#4c72b0"}
METRIC_MARKERS: dict[str, str] = {"debt_total": "s", "cash": "o", "total_assets": "^"}
#: Colours of the revenue split.
SPLIT_COLORS: dict[str, str] = {
    "revenue_mining": "#dd8452",
    "revenue_hpc": "#8172b3",
    "revenue_other": "#937860",
    "revenue_total": "0.8",
}
#: Colours of the coverage statuses (:data:`analysis.fundamentals.COVERAGE_STATUSES` order).
STATUS_COLORS: dict[str, str] = {
    "reported": "#1b7837",
    "derived": "#a6dba0",
    "ytd_only": "#fee08b",
    "missing": "#f4a582",
    "not_reported": "#d9d9d9",
}
STATUS_LABELS: dict[str, str] = {
    "reported": "reported",
    "derived": "derived (FY − 9M etc.)",
    "ytd_only": "year-to-date flow only",
    "missing": "gap (reported in other quarters)",
    "not_reported": "never reported",
}
METRIC_NAMES: dict[str, str] = {
    "debt_total": "total debt",
    "cash": "cash",
    "total_assets": "total assets",
    "revenue_total": "revenue",
    "revenue_mining": "mining revenue",
    "revenue_hpc": "HPC/AI revenue",
    "revenue_other": "rest of total (hosting, other)",
    "leverage": "leverage",
    "hpc_share": "HPC/AI share",
}
#: Panel size (inches) of the small multiples.
PANEL_SIZE = (4.2, 2.9)
#: Bar width of the revenue split (days; quarters are about 91 days apart).
BAR_DAYS = 62
#: The bar width on a datetime axis (a bare number there is read as nanoseconds: invisible bars).
BAR_WIDTH = np.timedelta64(BAR_DAYS, "D")
#: Inches per row of the coverage grid.
GRID_ROW_HEIGHT = 0.2
#: Offset (points) of the point labels in the market-link scatter.
LABEL_OFFSET = (4.0, 3.0)
MIN_FIRMS_TEXT = 4
#: Colour of point labels (dark: several ticker colours are light).
LABEL_COLOR = "0.15"


def _long(quarters: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(quarters, pd.DataFrame):
        raise ConfigError(f"quarters must be a long fundamentals frame, got {type(quarters).__name__}")
    require_columns(quarters, ["ticker", "period_end", "metric", "value"], "quarters")
    return quarters


def _wide(quarters: pd.DataFrame, ticker: str, metrics: Sequence[str]) -> pd.DataFrame:
    """``period_end`` x metric for one ticker on a regular quarter-end grid (gaps as NaN)."""
    part = quarters.loc[(quarters["ticker"] == ticker) & quarters["metric"].isin(list(metrics))]
    if part.empty:
        return pd.DataFrame(columns=list(metrics), dtype=np.float64)
    wide = part.drop_duplicates(["period_end", "metric"], keep="last").pivot(
        index="period_end", columns="metric", values="value"
    )
    grid = pd.date_range(wide.index.min(), wide.index.max(), freq="QE").normalize()
    out = wide.reindex(wide.index.union(grid)).reindex(columns=list(metrics)).astype(np.float64)
    return out


def _panels(n: int, ncols: int) -> tuple[Figure, list[Axes]]:
    ncols = max(1, min(ncols, n))
    nrows = math.ceil(n / ncols)
    fig, grid = plt.subplots(
        nrows,
        ncols,
        figsize=(PANEL_SIZE[0] * ncols, PANEL_SIZE[1] * nrows + 0.8),
        dpi=FIG_DPI,
        layout="constrained",
        sharex=True,
        squeeze=False,
    )
    axes = list(grid.ravel())
    for extra in axes[n:]:
        fig.delaxes(extra)
    return fig, axes[:n]


def _tickers_with(quarters: pd.DataFrame, metrics: Sequence[str], tickers: Sequence[str] | None) -> list[str]:
    names = list(dict.fromkeys(quarters["ticker"])) if tickers is None else [str(t) for t in tickers]
    have = set(quarters.loc[quarters["metric"].isin(list(metrics)) & quarters["value"].notna(), "ticker"])
    return [t for t in names if t in have]


def _absent_note(all_tickers: Sequence[str], shown: Sequence[str], what: str) -> str:
    absent = [t for t in all_tickers if t not in shown]
    return f"No {what} for {', '.join(absent)} (see the coverage table). " if absent else ""


def _panel_title(ax: Axes, ticker: str) -> None:
    """Readable name as the panel title; yearly date ticks shown on every panel."""
    ax.set_title(readable(ticker), fontsize="medium")
    ax.xaxis.set_major_locator(mdates.YearLocator())  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))  # type: ignore[no-untyped-call]
    ax.xaxis.set_minor_locator(mdates.MonthLocator(bymonth=(3, 6, 9, 12), bymonthday=-1))  # type: ignore[no-untyped-call]
    ax.tick_params(axis="x", labelbottom=True)


def balance_sheet_panels(
    quarters: pd.DataFrame,
    *,
    tickers: Sequence[str] | None = None,
    ncols: int = 3,
    title: str = "Balance sheets: total debt, cash and total assets per miner",
    note: str = DEFAULT_NOTE,
    synthetic: bool = False,
) -> Figure:
    """Small multiples, one per miner: total debt, cash and total assets over time (USD millions).

    Parameters
    ----------
    quarters
        Long quarter rows (:func:`analysis.fundamentals.derived_metrics`).
    tickers
        Miners in panel order (default: every ticker of ``quarters``); those without any
        balance-sheet value are named in the title note instead of getting an empty panel.
    ncols
        Panels per row.
    title, note, synthetic
        Title, source note, synthetic watermark.

    Notes
    -----
    Values sit on a quarter-end grid, so a missing quarter breaks the line instead of being
    bridged; markers show every reported value.
    """
    check_note(note)
    data = _long(quarters)
    metrics = tuple(METRIC_COLORS)
    names = list(dict.fromkeys(data["ticker"])) if tickers is None else [str(t) for t in tickers]
    shown = _tickers_with(data, metrics, names)
    if not shown:
        raise ConfigError("no balance-sheet value (debt_total, cash, total_assets) to plot")
    fig, axes = _panels(len(shown), ncols)
    for ax, ticker in zip(axes, shown, strict=True):
        wide = _wide(data, ticker, metrics) / USD_MILLION
        for metric in metrics:
            y = wide[metric].to_numpy(dtype=np.float64)
            if np.isfinite(y).any():
                ax.plot(wide.index.to_numpy(), y, color=METRIC_COLORS[metric], marker=METRIC_MARKERS[metric],
                        ms=4.5, lw=1.3, label=METRIC_NAMES[metric])  # fmt: skip
        ax.set_ylabel(USD_MILLIONS_LABEL)
        ax.set_ylim(bottom=0.0)
        _panel_title(ax, ticker)
        ax.yaxis.set_major_formatter(mticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    add_shared_legend(fig, axes, title="metric")
    absent = _absent_note(names, shown, "balance-sheet data")
    full = f"{title}\n{absent}" if absent else title
    return finish(fig, note=note, synthetic=synthetic, title=full, suptitle=True)


def revenue_split_panels(
    quarters: pd.DataFrame,
    *,
    tickers: Sequence[str] | None = None,
    ncols: int = 3,
    title: str = "Quarterly revenue: bitcoin mining vs HPC/AI, where reported",
    note: str = DEFAULT_NOTE,
    synthetic: bool = False,
) -> Figure:
    """Small multiples of quarterly revenue per miner, stacked by source where it is split.

    Parameters
    ----------
    quarters
        Long quarter rows (:func:`analysis.fundamentals.derived_metrics`).
    tickers, ncols, title, note, synthetic
        As in :func:`balance_sheet_panels`.

    Notes
    -----
    A quarter with a reported split stacks mining, HPC/AI (where reported) and the rest of the
    total revenue (hosting for other miners, other lines and any unreconciled difference; never
    negative); a quarter with only the total draws a grey hatched bar ("total, no split
    reported"): no split is inferred. USD millions.
    """
    check_note(note)
    data = _long(quarters)
    split = ("revenue_mining", "revenue_hpc", "revenue_other")
    names = list(dict.fromkeys(data["ticker"])) if tickers is None else [str(t) for t in tickers]
    shown = _tickers_with(data, ("revenue_total", *split), names)
    if not shown:
        raise ConfigError("no revenue value to plot")
    fig, axes = _panels(len(shown), ncols)
    for ax, ticker in zip(axes, shown, strict=True):
        wide = _wide(data, ticker, ("revenue_total", *split)).dropna(how="all") / USD_MILLION
        x = wide.index.to_numpy()
        has_split = wide["revenue_mining"].notna() | wide["revenue_hpc"].notna()
        parts = wide["revenue_mining"].fillna(0.0) + wide["revenue_hpc"].fillna(0.0)
        wide["revenue_other"] = (wide["revenue_total"] - parts).clip(lower=0.0)
        bottom = np.zeros(len(wide))
        for metric in split:
            y = np.where(has_split, wide[metric].fillna(0.0).to_numpy(dtype=np.float64), 0.0)
            if (y > 0).any():
                ax.bar(
                    x,
                    y,
                    width=BAR_WIDTH,
                    bottom=bottom,
                    color=SPLIT_COLORS[metric],
                    label=METRIC_NAMES[metric],
                )
                bottom = bottom + y
        total_only = np.where(~has_split, wide["revenue_total"].to_numpy(dtype=np.float64), np.nan)
        if np.isfinite(total_only).any():
            ax.bar(x, np.nan_to_num(total_only), width=BAR_WIDTH, color=SPLIT_COLORS["revenue_total"],
                   edgecolor="0.55", hatch="//", lw=0.5, label="total, no split reported")  # fmt: skip
        ax.set_ylabel(USD_MILLIONS_LABEL)
        _panel_title(ax, ticker)
        ax.yaxis.set_major_formatter(mticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    add_shared_legend(fig, axes, title="revenue")
    absent = _absent_note(names, shown, "revenue")
    full = f"{title}\n{absent}" if absent else title
    return finish(fig, note=note, synthetic=synthetic, title=full, suptitle=True)


def leverage_hpc_chart(
    quarters: pd.DataFrame,
    *,
    tickers: Sequence[str] | None = None,
    title: str = "Leverage and HPC/AI share of revenue over time",
    note: str = DEFAULT_NOTE,
    synthetic: bool = False,
) -> Figure:
    """Leverage (debt / annualised revenue) and HPC/AI share of revenue, one line per miner.

    Parameters
    ----------
    quarters
        Long quarter rows with the derived ``leverage`` and ``hpc_share`` metrics.
    tickers
        Miners to draw (default every ticker with a value); each keeps its study-wide colour.
    title, note, synthetic
        Title, source note, synthetic watermark.
    """
    check_note(note)
    data = _long(quarters)
    fig, axes = plt.subplots(1, 2, figsize=(12.0, 4.6), dpi=FIG_DPI, layout="constrained", sharex=True)
    panels = (
        ("leverage", 1.0, "leverage: debt / annualised revenue\n(years of revenue, run rate 4 × quarter)"),
        ("hpc_share", PERCENT, "HPC/AI revenue (% of total revenue)"),
    )
    drawn = 0
    for ax, (metric, scale, ylabel) in zip(axes, panels, strict=True):
        for i, ticker in enumerate(_tickers_with(data, (metric,), tickers)):
            wide = _wide(data, ticker, (metric,))
            y = wide[metric].to_numpy(dtype=np.float64) * scale
            ax.plot(wide.index.to_numpy(), y, marker="o", ms=4.5, lw=1.4, color=ticker_color(ticker, i),
                    label=ticker)  # fmt: skip
            drawn += 1
        if not ax.lines:
            ax.text(0.5, 0.5, f"no {METRIC_NAMES[metric]} in these data", transform=ax.transAxes,
                    ha="center", va="center", color=REFERENCE_COLOR)  # fmt: skip
        ax.set_ylabel(ylabel)
        ax.set_xlabel(QUARTER_LABEL)
        ax.set_ylim(bottom=0.0)
        ax.set_title(METRIC_NAMES[metric], fontsize="medium")
        format_date_axis(ax)
    if drawn == 0:
        raise ConfigError("no leverage or hpc_share value to plot")
    add_shared_legend(fig, list(axes), title="miner")
    return finish(fig, note=note, synthetic=synthetic, title=title, suptitle=True)


def coverage_grid(
    coverage: CoverageResult,
    *,
    title: str = "Coverage of the fundamentals: every ticker, metric and quarter",
    note: str = DEFAULT_NOTE,
    synthetic: bool = False,
) -> Figure:
    """Status of every (ticker, metric, quarter): reported, derived, year-to-date only, gap, never.

    Parameters
    ----------
    coverage
        Output of :func:`analysis.fundamentals.coverage`.
    title, note, synthetic
        Title, source note, synthetic watermark.
    """
    check_note(note)
    table = coverage.table
    if table.empty:
        raise ConfigError("the coverage table is empty")
    statuses = list(STATUS_COLORS)
    code = {s: i for i, s in enumerate(statuses)}
    rows = list(dict.fromkeys(zip(table["ticker"], table["metric"], strict=True)))
    quarters = sorted(set(table["period_end"]))
    grid = np.full((len(rows), len(quarters)), np.nan)
    pos_r = {r: i for i, r in enumerate(rows)}
    pos_q = {q: j for j, q in enumerate(quarters)}
    for t, m, q, s in zip(
        table["ticker"], table["metric"], table["period_end"], table["status"], strict=True
    ):
        grid[pos_r[(t, m)], pos_q[q]] = code[str(s)]
    fig, ax = plt.subplots(
        figsize=(max(8.0, 0.55 * len(quarters) + 4.0), GRID_ROW_HEIGHT * len(rows) + 2.0),
        dpi=FIG_DPI,
        layout="constrained",
    )
    cmap = ListedColormap([STATUS_COLORS[s] for s in statuses])
    ax.imshow(grid, aspect="auto", cmap=cmap, vmin=-0.5, vmax=len(statuses) - 0.5, interpolation="nearest")
    ax.set_yticks(np.arange(len(rows)), [f"{t} · {METRIC_NAMES.get(m, m)}" for t, m in rows], fontsize=7)
    labels = [f"{pd.Timestamp(q).year}-Q{pd.Timestamp(q).quarter}" for q in quarters]
    ax.set_xticks(
        np.arange(len(quarters)), labels, rotation=45, ha="right", rotation_mode="anchor", fontsize=8
    )
    ax.set_xticks(np.arange(len(quarters) + 1) - 0.5, minor=True)
    ax.set_yticks(np.arange(len(rows) + 1) - 0.5, minor=True)
    ax.grid(which="minor", color="white", lw=0.6)
    ax.grid(which="major", visible=False)
    ax.tick_params(which="minor", length=0)
    tickers = [t for t, _ in rows]
    for i in range(1, len(rows)):
        if tickers[i] != tickers[i - 1]:
            ax.axhline(i - 0.5, color="0.2", lw=1.0)
    ax.set_xlabel("calendar quarter (period end)")
    ax.set_ylabel("ticker · metric")
    handles = [Patch(facecolor=STATUS_COLORS[s], edgecolor="0.6", label=STATUS_LABELS[s]) for s in statuses]
    fig.legend(handles=handles, loc="outside right upper", fontsize="small", title="status")
    return finish(fig, note=note, synthetic=synthetic, title=title, suptitle=True)


def _spread_labels(ax: Axes, xs: np.ndarray, ys: np.ndarray, names: Sequence[str]) -> None:
    """Ticker labels beside points; a label that would sit on an earlier one moves down a line."""
    fig = ax.get_figure(root=True)
    if fig is None:
        return
    # Screen positions before the final layout (autoscaled limits, the axes' initial box): close
    # enough to keep labels apart, without a whole extra draw of the figure.
    ax.autoscale_view()
    placed: list[tuple[float, float]] = []
    height = 11.0  # points per label line
    order = np.argsort(-ys)
    to_disp = ax.transData.transform
    for k in order:
        px, py = to_disp((xs[k], ys[k]))
        dy = LABEL_OFFSET[1]
        while any(abs(px - qx) < 40.0 and abs(py + dy - qy) < height for qx, qy in placed):
            dy -= height
        placed.append((px, py + dy))
        ax.annotate(names[k], (xs[k], ys[k]), xytext=(LABEL_OFFSET[0], dy), textcoords="offset points",
                    fontsize="small", color=LABEL_COLOR)  # fmt: skip


def market_link_chart(
    link: MarketLinkResult,
    measures: MarketMeasures,
    *,
    fundamentals: Sequence[str] = ("hpc_share", "leverage"),
    columns: Sequence[str] = ("tech_beta_shift", "day_return"),
    title: str = "Market link: fundamentals vs market measures, one point per miner (descriptive)",
    note: str = DEFAULT_NOTE,
    synthetic: bool = False,
) -> Figure:
    """Scatter grid: each fundamental (rows) against each market measure (columns), points labelled.

    Parameters
    ----------
    link
        Output of :func:`analysis.fundamentals.market_link`.
    measures
        The :class:`~analysis.fundamentals.MarketMeasures` it was built from (labels, scales).
    fundamentals, columns
        Fundamentals (rows of panels) and measure columns (columns of panels).
    title, note, synthetic
        Title, source note, synthetic watermark.

    Notes
    -----
    Each panel states its Spearman rank correlation and the number of firms; with fewer than
    four firms it says so instead. Nothing is fitted: with about nine firms the picture is
    descriptive only.
    """
    check_note(note)
    table = link.table
    corr = link.correlations.set_index(["fundamental", "measure"])
    fig, grid = plt.subplots(
        len(fundamentals),
        len(columns),
        figsize=(5.4 * len(columns), 4.0 * len(fundamentals)),
        dpi=FIG_DPI,
        layout="constrained",
        squeeze=False,
    )
    for i, metric in enumerate(fundamentals):
        require_columns(table, [metric], "link.table")
        scale_x = PERCENT if metric == "hpc_share" else 1.0
        xlabel = (
            "HPC/AI share of revenue (%)" if metric == "hpc_share" else "leverage (debt / annualised revenue)"
        )
        for j, col in enumerate(columns):
            ax = grid[i][j]
            require_columns(table, [col], "link.table")
            pair = table[[metric, col]].astype(np.float64).dropna()
            xs = pair[metric].to_numpy() * scale_x
            ys = pair[col].to_numpy() * measures.scale.get(col, 1.0)
            names = [str(t) for t in pair.index]
            ax.scatter(xs, ys, s=45, c=[ticker_color(t) for t in names], edgecolor="0.3", lw=0.5, zorder=3)
            ax.axhline(0.0, color=REFERENCE_COLOR, lw=0.6, zorder=1)
            ax.set_xlabel(xlabel)
            ax.set_ylabel(measures.labels.get(col, col))
            ax.margins(x=0.15, y=0.15)
            if len(pair):
                _spread_labels(ax, xs, ys, names)
            key = (metric, col)
            found = key in corr.index
            rho = float(corr["rho"].get(key, math.nan)) if found else math.nan
            n = int(corr["n"].get(key, len(pair))) if found else len(pair)
            text = (
                f"Spearman rho {rho:+.2f}, n = {n}"
                if math.isfinite(rho)
                else f"n = {n}: too few firms for a rank correlation (needs {MIN_FIRMS_TEXT})"
            )
            ax.set_title(text, fontsize="small", loc="left", fontweight="normal")
    return finish(fig, note=note, synthetic=synthetic, title=title, suptitle=True)
