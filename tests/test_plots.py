"""Tests of analysis.plots: labels, source note, watermark, saving, input errors (Agg backend)."""

from __future__ import annotations

import io
import itertools
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.transforms import Bbox
from scipy import stats

from analysis import plots
from analysis.errors import ConfigError

NOTE = "Source: unit-test fixture"
TICKERS = ["BTC-USD", "^NDX", "IREN", "WULF"]


@pytest.fixture(autouse=True)
def _close_figures() -> Iterator[None]:
    yield
    plt.close("all")


# ----------------------------------------------------------------------------- tiny seeded inputs


def _dates(n: int) -> pd.DatetimeIndex:
    return pd.bdate_range("2025-09-01", periods=n, name="Date")


def _returns(n: int = 60, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(rng.normal(0.0, 0.02, (n, len(TICKERS))), index=_dates(n), columns=TICKERS)


def _prices(n: int = 60) -> pd.DataFrame:
    prices = 100.0 * np.exp(_returns(n).cumsum())
    prices.iloc[:10, 3] = np.nan  # late listing
    prices.iloc[30, 2] = np.nan  # one missing session
    return prices


def _corr() -> tuple[pd.DataFrame, pd.DataFrame]:
    corr = _returns().corr()
    n = pd.DataFrame(60, index=corr.index, columns=corr.columns)
    return corr, n


def _betas() -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(1)
    idx = _dates(40)
    return {
        t: pd.DataFrame(
            {"const": 0.0, "BTC-USD": rng.normal(1.0, 0.1, 40), "^NDX": rng.normal(0.5, 0.1, 40), "r2": 0.3},
            index=idx,
        )
        for t in ("IREN", "WULF", "HUT")
    }


def _coef_table() -> pd.DataFrame:
    rows = []
    for ticker in ("IREN", "WULF"):
        for period, shift in (("before", 0.0), ("after", 0.4)):
            for param, beta in (("BTC-USD", 1.0), ("^NDX", 0.5)):
                est = beta + shift
                rows.append(
                    {
                        "ticker": ticker,
                        "period": period,
                        "param": param,
                        "coef": est,
                        "ci_low": est - 0.2,
                        "ci_high": est + 0.2,
                    }
                )
    return pd.DataFrame(rows)


def _car_wide() -> pd.DataFrame:
    rng = np.random.default_rng(2)
    cols = pd.MultiIndex.from_tuples(
        [("E1", "IREN"), ("E1", "WULF"), ("E2", "HUT")], names=["event_id", "ticker"]
    )
    ar = pd.DataFrame(rng.normal(0, 0.02, (7, 3)), index=pd.Index(range(-1, 6), name="rel_day"), columns=cols)
    return ar.cumsum()


def _car_table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "event_id": ["E1", "E1", "E2", "E3"],
            "ticker": ["IREN", "WULF", "HUT", "ABTC"],
            "car_simple": [0.12, -0.03, 0.05, np.nan],  # E3 not estimable
            "se": [0.04, 0.05, 0.03, np.nan],
            "df": [100.0, 100.0, 8.0, np.nan],
        }
    )


def _scatter_inputs() -> tuple[pd.Series, pd.Series, pd.Series]:
    r = _returns(80)
    x = r["^NDX"]
    y = (1.5 * x + r["BTC-USD"] * 0.5).rename("BTC-USD")
    mask = pd.Series(x < x.quantile(0.2), index=x.index, dtype="boolean")
    mask.iloc[0] = pd.NA
    return x, y, mask


def _claims() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "claim": [
                "Bitcoin fell about 30% from its October peak",
                "Miners track the Nasdaq more than bitcoin",
            ],
            "article_value": [-30.0, np.nan],
            "measured_value": [-28.4, 0.62],
            "article_text": ["down about 30%", "n/a"],
            "measured_text": ["-28.4%", "0.62"],
            "verdict": ["supported", "not measurable with this data"],
            "unit": ["%", "correlation"],
        }
    )


#: Charts whose y axis is categorical and named by its tick labels alone (e.g. "article", "measured").
TICK_NAMED_Y = frozenset({"claims_chart"})

# Each case draws one chart; synthetic is passed through.
CASES: dict[str, Callable[[bool], Figure]] = {
    "correlation_heatmap": lambda s: plots.correlation_heatmap(
        _corr()[0], n=_corr()[1], title="Correlations", note=NOTE, synthetic=s
    ),
    "rolling_lines": lambda s: plots.rolling_lines(
        _returns()[["IREN", "WULF"]].rolling(10).mean(),
        ylabel=plots.CORRELATION_LABEL,
        title="Rolling",
        shade=[("2025-09-10", "2025-09-20", "stress")],
        events=[("2025-10-01", "deal"), ("2030-01-01", "outside")],
        note=NOTE,
        synthetic=s,
    ),
    "rolling_betas": lambda s: plots.rolling_betas(
        _betas(), events={"IREN": [("2025-09-15", "MSFT deal")]}, note=NOTE, synthetic=s
    ),
    "coefficient_bars": lambda s: plots.coefficient_bars(
        _coef_table(), panel="ticker", note=NOTE, synthetic=s
    ),
    "coefficient_bars_single": lambda s: plots.coefficient_bars(
        _coef_table().query("ticker == 'IREN'"), note=NOTE, synthetic=s
    ),
    "event_car": lambda s: plots.event_car(_car_wide(), note=NOTE, synthetic=s),
    "event_bars": lambda s: plots.event_bars(_car_table(), note=NOTE, synthetic=s),
    "cumulative_returns": lambda s: plots.cumulative_returns(
        _prices(), start="2025-09-05", end="2025-11-20", logy=True, note=NOTE, synthetic=s
    ),
    "drawdown_chart": lambda s: plots.drawdown_chart(
        _prices()["IREN"] / _prices()["IREN"].cummax() - 1.0, note=NOTE, synthetic=s
    ),
    "coverage_chart": lambda s: plots.coverage_chart(_prices(), note=NOTE, synthetic=s),
    "scatter_stress": lambda s: plots.scatter_stress(*_scatter_inputs(), note=NOTE, synthetic=s),
    "claims_chart": lambda s: plots.claims_chart(_claims(), note=NOTE, synthetic=s),
}


def _plot_axes(fig: Figure) -> list[Axes]:
    return [ax for ax in fig.axes if not plots._base.is_colorbar(ax) and not plots._base.is_legend_axes(ax)]


def _watermarks(ax: Axes) -> list[str]:
    return [t.get_text() for t in ax.texts if t.get_text() == plots.WATERMARK_TEXT]


def _title(ax: Axes) -> str:
    """The axes title, whichever of the three title slots holds it."""
    return " ".join(ax.get_title(loc) for loc in ("left", "center", "right")).strip()


def _titles(fig: Figure) -> list[str]:
    out = [_title(ax) for ax in fig.axes]
    sup = fig.get_suptitle()
    return [*out, sup] if sup else out


# ----------------------------------------------------------------------------- every helper


@pytest.mark.parametrize("case", sorted(CASES))
def test_labels_title_and_source_note(case: str) -> None:
    fig = CASES[case](False)
    assert isinstance(fig, Figure)
    axes = _plot_axes(fig)
    assert axes
    for ax in axes:
        assert ax.get_xlabel().strip(), f"{case}: empty x label"
        assert ax.get_ylabel().strip() or case in TICK_NAMED_Y, f"{case}: empty y label"
        assert _title(ax), f"{case}: empty title"
        assert not _watermarks(ax)
    assert any(t.split("\n")[0] == NOTE for t in plots.figure_texts(fig))
    assert not any(t.startswith(plots.SYNTHETIC_TITLE_PREFIX) for t in _titles(fig))
    fig.canvas.draw()  # renders without error under Agg


@pytest.mark.parametrize("case", sorted(CASES))
def test_synthetic_watermark_on_every_axes(case: str) -> None:
    fig = CASES[case](True)
    for ax in _plot_axes(fig):
        assert _watermarks(ax) == [plots.WATERMARK_TEXT]
    assert any(t.startswith(plots.SYNTHETIC_TITLE_PREFIX) for t in _titles(fig))
    assert any(t.split("\n")[0] == NOTE for t in plots.figure_texts(fig))


@pytest.mark.parametrize("case", ["rolling_betas", "claims_chart", "scatter_stress"])
def test_watermark_is_sized_to_the_final_axes_box_when_drawn(case: str) -> None:
    fig = CASES[case](True)
    fig.canvas.draw()  # layout first, then the watermark sizes itself to the axes it lands in
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    for ax in _plot_axes(fig):
        (mark,) = [t for t in ax.texts if t.get_text() == plots.WATERMARK_TEXT]
        box, text = ax.get_window_extent(renderer), mark.get_window_extent(renderer)
        assert (
            box.x0 - 1 <= text.x0
            and text.x1 <= box.x1 + 1
            and box.y0 - 1 <= text.y0
            and text.y1 <= box.y1 + 1
        )
        assert text.width > 0.6 * box.width or text.height > 0.6 * box.height  # fills the axes, not a speck
        assert mark.get_rotation() == pytest.approx(np.degrees(np.arctan2(box.height, box.width)), abs=0.5)


def test_synthetic_replaces_default_source_note() -> None:
    fig = plots.event_car(_car_wide(), synthetic=True)
    texts = plots.figure_texts(fig)
    assert plots.SYNTHETIC_NOTE in texts and plots.DEFAULT_NOTE not in texts
    assert plots.DEFAULT_NOTE in plots.figure_texts(plots.event_car(_car_wide()))


def test_rolling_betas_all_nan_ticker_gets_note() -> None:
    betas = _betas()
    betas["ABTC"] = betas["HUT"].assign(**{"BTC-USD": np.nan, "^NDX": np.nan})
    fig = plots.rolling_betas(betas, note=NOTE)
    assert plots.NO_ESTIMATE_TEXT in [" ".join(t.split()) for t in plots.figure_texts(fig)]
    all_nan = {t: f.assign(**{"BTC-USD": np.nan, "^NDX": np.nan}) for t, f in betas.items()}
    with pytest.raises(ConfigError, match="no finite values"):
        plots.rolling_betas(all_nan)


def test_existing_axes_is_used_and_returned_figure_is_its_figure() -> None:
    fig, ax = plt.subplots()
    out = plots.rolling_lines(_returns(), ylabel="log return (fraction)", title="t", ax=ax, note=NOTE)
    assert out is fig
    assert len(ax.get_lines()) >= len(TICKERS)


def test_set_style_sets_dpi() -> None:
    with matplotlib.rc_context():
        plots.set_style()
        assert matplotlib.rcParams["figure.dpi"] == plots.FIG_DPI


# ----------------------------------------------------------------------------- helper specifics


def test_heatmap_colour_scale_and_mask() -> None:
    corr, n = _corr()
    fig = plots.correlation_heatmap(corr, n=n, title="c", note=NOTE)
    mesh = fig.axes[0].collections[0]
    assert mesh.norm.vmin == -1.0 and mesh.norm.vmax == 1.0
    texts = [t.get_text() for t in fig.axes[0].texts]
    k = len(TICKERS)
    assert len(texts) == k * (k + 1) // 2  # lower triangle incl. diagonal
    assert all("n=60" in t for t in texts)
    cbar = [ax for ax in fig.axes if plots._base.is_colorbar(ax)]
    assert cbar and "correlation" in cbar[0].get_ylabel()


def test_heatmap_non_square_needs_mask_upper_false() -> None:
    corr = _returns().corr().iloc[:2]
    with pytest.raises(ConfigError, match="mask_upper"):
        plots.correlation_heatmap(corr, title="c")
    assert isinstance(plots.correlation_heatmap(corr, title="c", mask_upper=False), Figure)


def test_rolling_lines_skips_events_outside_range() -> None:
    fig = CASES["rolling_lines"](False)
    texts = plots.figure_texts(fig)
    note = next(t for t in texts if t.startswith(NOTE))
    assert "1 = deal" in note and "outside" not in note, "the key lists the markers drawn"
    assert "1" in texts, "markers are numbered above the axes"


def test_event_markers_never_cover_the_data() -> None:
    """Event numbers sit above the axes (outside the data area), not over the lines."""
    fig = CASES["rolling_lines"](False)
    fig.draw_without_rendering()
    ax = fig.axes[0]
    box = ax.get_window_extent()
    numbers = [t for t in ax.texts if t.get_text().isdigit()]
    assert numbers
    for t in numbers:
        assert t.get_window_extent().y0 >= box.y1 - 1, "an event label overlaps the plotted area"


def test_cumulative_returns_start_at_100() -> None:
    fig = plots.cumulative_returns(_prices(), start="2025-09-01", note=NOTE)
    for line in fig.axes[0].get_lines():
        y = np.asarray(line.get_ydata(), dtype=float)
        if line.get_label().startswith("_"):
            continue  # reference line
        assert y[np.isfinite(y)][0] == pytest.approx(100.0)


def test_drawdown_rejects_percent_input() -> None:
    dd = _prices()["IREN"] / _prices()["IREN"].cummax() - 1.0
    with pytest.raises(ConfigError, match="fractions"):
        plots.drawdown_chart(dd * 100.0)


def test_event_bars_interval_from_se_uses_student_t() -> None:
    fig = plots.event_bars(_car_table(), note=NOTE)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["IREN", "WULF", "HUT"]  # not-estimable row left out
    assert [t.get_text() for t in ax.texts] == ["E1", "E2"]  # event headers (ids without labels)
    segments = next(c for c in ax.collections if hasattr(c, "get_segments")).get_segments()
    half = (segments[2][1][0] - segments[2][0][0]) / 2.0
    assert half == pytest.approx(stats.t.ppf(0.975, 8.0) * 0.03 * plots.PERCENT)


def test_coefficient_bars_duplicates_need_panel() -> None:
    with pytest.raises(ConfigError, match="panel='ticker'"):
        plots.coefficient_bars(_coef_table())


def test_coefficient_bars_interval_must_contain_estimate() -> None:
    bad = _coef_table().assign(ci_low=lambda t: t["coef"] + 1.0, ci_high=lambda t: t["coef"] + 2.0)
    with pytest.raises(ConfigError, match="contain"):
        plots.coefficient_bars(bad, panel="ticker")


def test_scatter_stress_legend_counts() -> None:
    x, y, mask = _scatter_inputs()
    fig = plots.scatter_stress(x, y, mask, note=NOTE)
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    n_stress = int(mask.fillna(False).sum())
    assert f"stress days (n={n_stress})" in legend
    assert any("OLS slope" in t for t in legend)


def test_coverage_share_labels() -> None:
    fig = plots.coverage_chart(_prices(), note=NOTE)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels[0] == "BTC-USD (100%)"
    assert labels[3] == "WULF (83%)"


# ----------------------------------------------------------------------------- empty inputs


EMPTY_CASES: dict[str, tuple[Callable[[], Figure], str]] = {
    "correlation_heatmap": (lambda: plots.correlation_heatmap(pd.DataFrame(), title="t"), "corr"),
    "rolling_lines": (lambda: plots.rolling_lines(pd.DataFrame(), ylabel="y", title="t"), "frame"),
    "rolling_lines_all_nan": (
        lambda: plots.rolling_lines(pd.DataFrame({"a": [np.nan]}, index=_dates(1)), ylabel="y", title="t"),
        "frame",
    ),
    "rolling_betas": (lambda: plots.rolling_betas({}), "betas"),
    "coefficient_bars": (lambda: plots.coefficient_bars(pd.DataFrame()), "table"),
    "event_car": (lambda: plots.event_car(pd.DataFrame()), "car"),
    "event_bars": (lambda: plots.event_bars(pd.DataFrame()), "car_table"),
    "cumulative_returns": (lambda: plots.cumulative_returns(pd.DataFrame()), "prices"),
    "drawdown_chart": (lambda: plots.drawdown_chart(pd.Series(dtype=float)), "drawdown"),
    "coverage_chart": (lambda: plots.coverage_chart(pd.DataFrame()), "prices"),
    "scatter_stress": (
        lambda: plots.scatter_stress(pd.Series(dtype=float), pd.Series(dtype=float), pd.Series(dtype=bool)),
        "x",
    ),
    "claims_chart": (lambda: plots.claims_chart(pd.DataFrame()), "claims"),
}


@pytest.mark.parametrize("case", sorted(EMPTY_CASES))
def test_empty_input_raises_config_error(case: str) -> None:
    call, argument = EMPTY_CASES[case]
    with pytest.raises(ConfigError, match=rf"^{argument}\b"):
        call()


def test_claims_chart_colours_by_verdict() -> None:
    fig = plots.claims_chart(_claims(), note=NOTE)
    measured = [ax.patches[1].get_facecolor() for ax in fig.axes]
    assert matplotlib.colors.to_hex(measured[0]) == "#0a7d27"  # supported: green
    assert matplotlib.colors.to_hex(measured[1]) == plots.UNKNOWN_VERDICT_COLOR  # not measurable: grey
    assert any("measured: -28.4%" in t for t in plots.figure_texts(fig))


def test_missing_column_is_named() -> None:
    with pytest.raises(ConfigError, match="verdict"):
        plots.claims_chart(_claims().drop(columns="verdict"))


def test_empty_note_is_rejected() -> None:
    with pytest.raises(ConfigError, match="note"):
        plots.event_car(_car_wide(), note=" ")


# ----------------------------------------------------------------------------- saving


def test_save_figure_writes_png(tmp_path: Path) -> None:
    fig = CASES["event_car"](True)
    out = plots.save_figure(fig, tmp_path / "figures", "02-car_paths")
    assert out == tmp_path / "figures" / "02-car_paths.png"
    data = out.read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 1000
    assert [p.name for p in out.parent.iterdir()] == ["02-car_paths.png"]  # no temp file left


def test_save_figure_without_directory_returns_none() -> None:
    assert plots.save_figure(CASES["event_car"](False), None, "x") is None


@pytest.mark.parametrize("name", ["../x", "a/b", "x.png", "", "..", "a b"])
def test_save_figure_rejects_unsafe_names(tmp_path: Path, name: str) -> None:
    with pytest.raises(ConfigError, match="figure name"):
        plots.save_figure(CASES["event_car"](False), tmp_path, name)
    assert not any(tmp_path.iterdir())


def test_event_car_panels_one_panel_per_ticker_readable_legend() -> None:
    idx = pd.Index(range(-1, 3), name="rel_day")
    cols = pd.MultiIndex.from_tuples(
        [("e1", "IREN"), ("e2", "IREN"), ("e1", "HUT")], names=["event_id", "ticker"]
    )
    car = pd.DataFrame(np.linspace(-0.1, 0.2, 12).reshape(4, 3), index=idx, columns=cols)
    fig = plots.event_car_panels(car, labels={"e1": "First deal", "e2": "Second deal"}, note=NOTE)
    axes = _plot_axes(fig)
    assert [ax.get_title() for ax in axes] == ["IREN", "HUT"]
    legend = next(ax.get_legend() for ax in fig.axes if plots._base.is_legend_axes(ax))
    assert [t.get_text() for t in legend.get_texts()] == ["First deal", "Second deal"]
    assert (
        len({line.get_color() for line in axes[0].get_lines() if not line.get_label().startswith("_")}) == 2
    )
    y = next(line for line in axes[1].get_lines() if line.get_label() == "First deal").get_ydata()
    assert np.nanmax(np.abs(y)) <= 20.0 + 1e-9, "fractions are drawn in percent"


# ----------------------------------------------------------------------------- readable layout


def _boxes_overlap(a: Bbox, b: Bbox, tol: float = 0.5) -> bool:
    return a.x0 < b.x1 - tol and b.x0 < a.x1 - tol and a.y0 < b.y1 - tol and b.y0 < a.y1 - tol


def _srgb_to_lab(color: str) -> np.ndarray:
    rgb = np.array(matplotlib.colors.to_rgb(color))
    lin = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ lin
    xyz /= np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16.0 / 116.0)
    return np.array([116.0 * f[1] - 16.0, 500.0 * (f[0] - f[1]), 200.0 * (f[1] - f[2])])


def test_every_universe_ticker_has_its_own_colour() -> None:
    from analysis.universe import load_universe

    universe = load_universe()
    colours = {t: plots.ticker_color(t) for t in universe.tickers}
    assert len(set(colours.values())) == len(colours), "two tickers share a colour"
    labs = {t: _srgb_to_lab(c) for t, c in colours.items()}
    for a, b in itertools.combinations(colours, 2):
        assert np.linalg.norm(labs[a] - labs[b]) >= 20.0, f"{a} and {b} look alike"
    # The four AI-pivot miners are drawn together everywhere: clearly different hues, not shades.
    for a, b in itertools.combinations(universe.group("ai_miners"), 2):
        rgb = np.linalg.norm(
            np.subtract(matplotlib.colors.to_rgb(colours[a]), matplotlib.colors.to_rgb(colours[b]))
        )
        assert rgb >= 0.4, f"{a} and {b}: RGB distance {rgb:.2f}"
        hue = np.linalg.norm(labs[a][1:] - labs[b][1:])
        assert hue >= 50.0, f"{a} and {b}: similar hues (a*b* distance {hue:.0f})"


def test_ticker_colours_are_the_same_in_every_figure() -> None:
    iren = plots.ticker_color("IREN")
    lines = plots.rolling_lines(_returns()[["IREN", "WULF"]], ylabel="r", title="t", note=NOTE)
    assert next(ln.get_color() for ln in lines.axes[0].get_lines() if ln.get_label() == "IREN") == iren
    bars = plots.event_bars(_car_table(), note=NOTE)
    assert matplotlib.colors.to_hex(bars.axes[0].patches[0].get_facecolor()) == iren
    coverage = plots.coverage_chart(_prices(), note=NOTE)
    filled = [
        c for c in coverage.axes[0].collections if matplotlib.colors.to_hex(c.get_facecolor()[0]) == iren
    ]
    assert filled, "the coverage bar of IREN has IREN's colour"


def _betas_with(events_at: list[str], n: int = 400, extra: dict[str, pd.DataFrame] | None = None) -> Figure:
    rng = np.random.default_rng(3)
    idx = pd.bdate_range("2024-06-03", periods=n, name="Date")
    betas = {
        t: pd.DataFrame({"BTC-USD": rng.normal(1.0, 0.1, n), "^NDX": rng.normal(0.5, 0.1, n)}, index=idx)
        for t in ("IREN", "WULF")
    }
    betas |= extra or {}
    marks = [(d, f"event on {d}") for d in events_at]
    return plots.rolling_betas(betas, events=marks, ncols=3, note=NOTE)


def test_event_numbers_never_overlap_each_other_or_the_title() -> None:
    close = ["2025-06-02", "2025-08-14", "2025-10-28", "2025-10-29", "2025-10-31", "2025-11-03"]
    for fig in (
        _betas_with(close),
        plots.rolling_lines(
            _returns(250)[["IREN"]],
            ylabel="r",
            title="A title over the middle",
            events=[("2025-12-15", "mid")],
        ),
    ):
        fig.draw_without_rendering()
        renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
        for ax in _plot_axes(fig):
            numbers = [t for t in ax.texts if re.fullmatch(r"[\d,]+", t.get_text())]
            assert numbers
            boxes = [t.get_window_extent(renderer) for t in numbers]
            for a, b in itertools.combinations(boxes, 2):
                assert not _boxes_overlap(a, b), "two event numbers overlap"
            title = ax.title.get_window_extent(renderer)
            assert not any(_boxes_overlap(title, b) for b in boxes), "an event number overlaps the title"
            assert all(b.y0 >= ax.get_window_extent(renderer).y1 - 1 for b in boxes), (
                "a number covers the data"
            )
    first = _plot_axes(_betas_with(close))[0]
    merged = [t.get_text() for t in first.texts if re.fullmatch(r"[\d,]+", t.get_text())]
    assert merged[0] == "1" and any("," in m for m in merged), "close markers share one label"


def test_no_estimate_note_stays_inside_its_panel() -> None:
    idx = pd.bdate_range("2024-06-03", periods=400, name="Date")
    empty = pd.DataFrame({"BTC-USD": np.nan, "^NDX": np.nan}, index=idx)
    rng = np.random.default_rng(5)
    full = pd.DataFrame({"BTC-USD": rng.normal(1.0, 0.1, 400), "^NDX": rng.normal(0.5, 0.1, 400)}, index=idx)
    _fig, grid = plt.subplots(1, 3, figsize=(8.0, 3.0), layout="constrained")  # narrow panels
    fig = plots.rolling_betas({"IREN": full, "HUT": full, "ABTC": empty}, ax=grid, note=NOTE)
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    ax = _plot_axes(fig)[-1]
    note = next(t for t in ax.texts if plots.NO_ESTIMATE_TEXT in " ".join(t.get_text().split()))
    box, inside = note.get_window_extent(renderer), ax.get_window_extent(renderer)
    assert inside.x0 <= box.x0 and box.x1 <= inside.x1, "the note runs outside its axes"


def test_event_car_panels_layout_is_readable() -> None:
    idx = pd.Index(range(-1, 6), name="rel_day")
    events = {"e1": "A long readable event name, as in the catalogue", "e2": "Second event", "e3": "Third"}
    cols = pd.MultiIndex.from_tuples(
        [(e, t) for t in ("IREN", "HUT", "WULF", "ABTC") for e in events], names=["event_id", "ticker"]
    )
    rng = np.random.default_rng(4)
    car = pd.DataFrame(rng.normal(0, 0.05, (len(idx), len(cols))).cumsum(axis=0), index=idx, columns=cols)
    car[("e3", "ABTC")] = car[("e2", "ABTC")]  # two events on the same session: equal paths
    fig = plots.event_car_panels(car, labels=events, title="CAR paths", note=NOTE)
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    axes = _plot_axes(fig)
    assert fig.get_supylabel() == plots.CAR_SIMPLE_LABEL, "one y label for all panels"
    assert all(not ax.get_ylabel() for ax in axes)
    legend = next(ax.get_legend() for ax in fig.axes if plots._base.is_legend_axes(ax))
    assert [t.get_text() for t in legend.get_texts()] == list(events.values())
    assert not any(ax.get_legend() for ax in axes), "no legend over the curves"
    texts = [fig._suptitle, fig._supylabel, *(ax.title for ax in axes), *(ax.yaxis.label for ax in axes)]
    texts += [ax.xaxis.label for ax in axes if ax.get_xlabel()]
    boxes = [t.get_window_extent(renderer) for t in texts if t is not None and t.get_text()]
    boxes += [legend.get_window_extent(renderer)]
    boxes += [ax.get_window_extent(renderer) for ax in axes]
    for a, b in itertools.combinations(boxes, 2):
        assert not _boxes_overlap(a, b, tol=1.0), f"{a} overlaps {b}"
    colours = {
        ln.get_label(): ln.get_color()
        for ax in axes
        for ln in ax.get_lines()
        if not ln.get_label().startswith("_")
    }
    assert len(set(colours.values())) == len(events), "one colour per event, the same in every panel"
    abtc = [ln for ln in axes[3].get_lines() if not ln.get_label().startswith("_")]
    assert len({str(ln.get_linestyle()) for ln in abtc}) == 2, "a coinciding path is dashed on top"


def test_event_bars_show_readable_event_names() -> None:
    table = _car_table().assign(
        label=["Deal signed, with a long tail of details"] * 2 + ["Listing (NYSE: ABC)", "y"]
    )
    fig = plots.event_bars(table, note=NOTE)
    headers = [t.get_text() for t in fig.axes[0].texts]
    assert headers == ["Deal signed", "Listing (NYSE: ABC)"], "short labels from the label column"
    named = plots.event_bars(_car_table(), labels={"E1": "First deal", "E2": "Second deal"}, note=NOTE)
    assert [t.get_text() for t in named.axes[0].texts] == ["First deal", "Second deal"]
    assert not any("E1" in t for t in plots.figure_texts(named))


def test_claims_chart_band_in_percent_and_note() -> None:
    table = pd.DataFrame(
        {
            "claim": [
                "The Nasdaq-100 fell about 1.5% over the 30 days",
                "Crypto and tech stocks fell together",
            ],
            "article_value": [-0.015, np.nan],
            "measured_value": [-0.012, 0.63],
            "verdict": ["supported", "supported"],
            "unit": ["fraction", "correlation"],
            "band_lo": [-0.025, np.nan],
            "band_hi": [-0.005, np.nan],
        }
    )
    fig = plots.claims_chart(table, note=NOTE)
    ndx, together = _plot_axes(fig)
    band = [p for p in ndx.patches if p.get_gid() == plots.claims.BAND_GID]
    assert len(band) == 1
    assert isinstance(band[0], Rectangle)  # axvspan: x in data units (percent), y the axes height
    lo, hi = band[0].get_x(), band[0].get_x() + band[0].get_width()
    assert (lo, hi) == (pytest.approx(-2.5), pytest.approx(-0.5)), "the band is in percent"
    assert not [p for p in together.patches if p.get_gid() == plots.claims.BAND_GID]
    assert any(t.startswith(NOTE) and "Green band" in t for t in plots.figure_texts(fig))
    assert all(ax.get_ylabel() != "figure" for ax in _plot_axes(fig))


def test_figure_title_is_the_suptitle_or_the_axes_title() -> None:
    assert plots.figure_title(CASES["claims_chart"](False)) == "Article claims vs measured values"
    assert plots.figure_title(CASES["rolling_lines"](False)) == "Rolling"
    fig, _ax = plt.subplots()
    assert plots.figure_title(fig) == ""


def test_report_thumbnails_are_captioned_with_figure_titles() -> None:
    from analysis import report
    from analysis.coverage import Coverage

    meta = {
        "synthetic": False,
        "titles": {},
        "figures": ["02-corr-last30.png", "99-untitled.png"],
        "stderr": [],
        "as_of": "2025-12-02",
        "provider": "snapshot",
        "last_data_date": "2025-12-02",
        "panel_start": "2017-01-03",
        "panel_end": "2025-12-02",
        "sessions": 10,
        "n_tickers": 2,
        "generated_at": "now",
        "package_version": "0",
        "quality_report": "01-data-quality.html",
    }
    results = {"02-correlations": {"figure_titles": {"02-corr-last30": "Correlations, last 30 sessions"}}}
    table = pd.DataFrame(columns=["ticker", "name", "first", "last", "status", "reason"])
    page = report._index_html(meta, results, [], Coverage(as_of=pd.Timestamp("2025-12-02"), table=table))
    assert '<figcaption title="02-corr-last30.png">Correlations, last 30 sessions</figcaption>' in page
    assert ">99-untitled.png</figcaption>" in page, "falls back to the file name"


# ----------------------------------------------------------------------------- one render


def _blocks(image: np.ndarray, k: int = 4) -> np.ndarray:
    rows, cols = image.shape[0] // k * k, image.shape[1] // k * k
    return image[:rows, :cols].reshape(rows // k, k, cols // k, k, -1).mean(axis=(1, 3))


def _png_image(data: bytes) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype=np.int16)


@pytest.mark.parametrize("case", ["rolling_betas", "correlation_heatmap", "claims_chart", "scatter_stress"])
def test_figure_png_is_the_tight_savefig_image_from_one_render(case: str) -> None:
    png = plots.figure_png(CASES[case](True))
    buffer = io.BytesIO()
    CASES[case](True).savefig(buffer, format="png", dpi=plots.FIG_DPI, bbox_inches="tight")
    ours, ref = _png_image(png), _png_image(buffer.getvalue())
    assert abs(ours.shape[0] - ref.shape[0]) <= 3 and abs(ours.shape[1] - ref.shape[1]) <= 3
    # The same picture up to sub-pixel placement: best alignment within 2 px, then 4x4-pixel
    # block means (a 10 px shift or another figure differs by 9 or more).
    best = min(
        float(np.abs(_blocks(a[:rows, :cols]) - _blocks(b[:rows, :cols])).mean())
        for dy, dx in itertools.product(range(-2, 3), repeat=2)
        for a, b in [(ours[max(0, dy) :, max(0, dx) :], ref[max(0, -dy) :, max(0, -dx) :])]
        for rows, cols in [(min(a.shape[0], b.shape[0]), min(a.shape[1], b.shape[1]))]
    )
    assert best < 3.0, f"the cropped render differs from the tight savefig image (mean |diff| {best:.1f})"
    assert png == plots.figure_png(CASES[case](True))  # deterministic bytes


def test_figure_png_widens_the_image_for_content_past_the_canvas() -> None:
    fig = CASES["claims_chart"](False)
    width_px = fig.get_size_inches()[0] * plots.FIG_DPI
    fig.text(1.15, 0.5, "a label placed past the right edge")
    assert _png_image(plots.figure_png(fig)).shape[1] > width_px + 20


@pytest.mark.filterwarnings("ignore:constrained_layout not applied")
def test_figure_png_widens_for_an_axes_text_past_the_canvas_and_crops_other_layouts() -> None:
    fig = CASES["rolling_betas"](False)
    width_px = fig.get_size_inches()[0] * plots.FIG_DPI
    # too far for constrained layout to make room (it gives up with a warning)
    fig.axes[0].annotate("an annotation far right", (4.0, 0.5), xycoords="axes fraction")
    assert _png_image(plots.figure_png(fig)).shape[1] > width_px + 20
    # a figure without constrained layout is cropped to its tight box (empty margins removed)
    plain, ax = plt.subplots(figsize=(6, 4), dpi=plots.FIG_DPI)
    ax.plot([0, 1], [0, 1])
    ax.set_title("plain layout")
    ref = io.BytesIO()
    plain.savefig(ref, format="png", dpi=plots.FIG_DPI, bbox_inches="tight")
    ours, theirs = _png_image(plots.figure_png(plain)), _png_image(ref.getvalue())
    assert abs(ours.shape[0] - theirs.shape[0]) <= 2 and abs(ours.shape[1] - theirs.shape[1]) <= 2
    assert ours.shape[1] < 6 * plots.FIG_DPI - 40
    plt.close("all")
