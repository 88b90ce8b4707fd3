"""Tests of analysis.plots: labels, source note, watermark, saving, input errors (Agg backend)."""

from __future__ import annotations

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
from scipy import stats

from analysis import plots
from analysis.errors import ConfigError

SOURCE = "Source: unit-test fixture"
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


# Each case draws one chart; synthetic is passed through.
CASES: dict[str, Callable[[bool], Figure]] = {
    "correlation_heatmap": lambda s: plots.correlation_heatmap(
        _corr()[0], n=_corr()[1], title="Correlations", source=SOURCE, synthetic=s
    ),
    "rolling_lines": lambda s: plots.rolling_lines(
        _returns()[["IREN", "WULF"]].rolling(10).mean(),
        ylabel=plots.CORRELATION_LABEL,
        title="Rolling",
        shade=[("2025-09-10", "2025-09-20", "stress")],
        events=[("2025-10-01", "deal"), ("2030-01-01", "outside")],
        source=SOURCE,
        synthetic=s,
    ),
    "rolling_betas": lambda s: plots.rolling_betas(
        _betas(), events={"IREN": [("2025-09-15", "MSFT deal")]}, source=SOURCE, synthetic=s
    ),
    "coefficient_bars": lambda s: plots.coefficient_bars(
        _coef_table(), panel="ticker", source=SOURCE, synthetic=s
    ),
    "coefficient_bars_single": lambda s: plots.coefficient_bars(
        _coef_table().query("ticker == 'IREN'"), source=SOURCE, synthetic=s
    ),
    "event_car": lambda s: plots.event_car(_car_wide(), source=SOURCE, synthetic=s),
    "event_bars": lambda s: plots.event_bars(_car_table(), source=SOURCE, synthetic=s),
    "cumulative_returns": lambda s: plots.cumulative_returns(
        _prices(), start="2025-09-05", end="2025-11-20", logy=True, source=SOURCE, synthetic=s
    ),
    "drawdown_chart": lambda s: plots.drawdown_chart(
        _prices()["IREN"] / _prices()["IREN"].cummax() - 1.0, source=SOURCE, synthetic=s
    ),
    "coverage_chart": lambda s: plots.coverage_chart(_prices(), source=SOURCE, synthetic=s),
    "scatter_stress": lambda s: plots.scatter_stress(*_scatter_inputs(), source=SOURCE, synthetic=s),
    "claims_chart": lambda s: plots.claims_chart(_claims(), source=SOURCE, synthetic=s),
}


def _plot_axes(fig: Figure) -> list[Axes]:
    return [ax for ax in fig.axes if not plots._base.is_colorbar(ax)]


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
        assert ax.get_ylabel().strip(), f"{case}: empty y label"
        assert _title(ax), f"{case}: empty title"
        assert not _watermarks(ax)
    assert any(t.split("\n")[0] == SOURCE for t in plots.figure_texts(fig))
    assert not any(t.startswith(plots.SYNTHETIC_TITLE_PREFIX) for t in _titles(fig))
    fig.canvas.draw()  # renders without error under Agg


@pytest.mark.parametrize("case", sorted(CASES))
def test_synthetic_watermark_on_every_axes(case: str) -> None:
    fig = CASES[case](True)
    for ax in _plot_axes(fig):
        assert _watermarks(ax) == [plots.WATERMARK_TEXT]
    assert any(t.startswith(plots.SYNTHETIC_TITLE_PREFIX) for t in _titles(fig))
    assert any(t.split("\n")[0] == SOURCE for t in plots.figure_texts(fig))


def test_synthetic_replaces_default_source_note() -> None:
    fig = plots.event_car(_car_wide(), synthetic=True)
    texts = plots.figure_texts(fig)
    assert plots.SYNTHETIC_SOURCE in texts and plots.DEFAULT_SOURCE not in texts
    assert plots.DEFAULT_SOURCE in plots.figure_texts(plots.event_car(_car_wide()))


def test_rolling_betas_all_nan_ticker_gets_note() -> None:
    betas = _betas()
    betas["ABTC"] = betas["HUT"].assign(**{"BTC-USD": np.nan, "^NDX": np.nan})
    fig = plots.rolling_betas(betas, source=SOURCE)
    assert plots.NO_ESTIMATE_TEXT in plots.figure_texts(fig)
    all_nan = {t: f.assign(**{"BTC-USD": np.nan, "^NDX": np.nan}) for t, f in betas.items()}
    with pytest.raises(ConfigError, match="no finite values"):
        plots.rolling_betas(all_nan)


def test_existing_axes_is_used_and_returned_figure_is_its_figure() -> None:
    fig, ax = plt.subplots()
    out = plots.rolling_lines(_returns(), ylabel="log return (fraction)", title="t", ax=ax, source=SOURCE)
    assert out is fig
    assert len(ax.get_lines()) >= len(TICKERS)


def test_set_style_sets_dpi() -> None:
    with matplotlib.rc_context():
        plots.set_style()
        assert matplotlib.rcParams["figure.dpi"] == plots.FIG_DPI


# ----------------------------------------------------------------------------- helper specifics


def test_heatmap_colour_scale_and_mask() -> None:
    corr, n = _corr()
    fig = plots.correlation_heatmap(corr, n=n, title="c", source=SOURCE)
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
    note = next(t for t in texts if t.startswith(SOURCE))
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
    fig = plots.cumulative_returns(_prices(), start="2025-09-01", source=SOURCE)
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
    fig = plots.event_bars(_car_table(), source=SOURCE)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["E1 · IREN", "E1 · WULF", "E2 · HUT"]  # not-estimable row left out
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
    fig = plots.scatter_stress(x, y, mask, source=SOURCE)
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    n_stress = int(mask.fillna(False).sum())
    assert f"stress days (n={n_stress})" in legend
    assert any("OLS slope" in t for t in legend)


def test_coverage_share_labels() -> None:
    fig = plots.coverage_chart(_prices(), source=SOURCE)
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
    fig = plots.claims_chart(_claims(), source=SOURCE)
    measured = [ax.patches[1].get_facecolor() for ax in fig.axes]
    assert matplotlib.colors.to_hex(measured[0]) == "#0a7d27"  # supported: green
    assert matplotlib.colors.to_hex(measured[1]) == plots.UNKNOWN_VERDICT_COLOR  # not measurable: grey
    assert any("measured: -28.4%" in t for t in plots.figure_texts(fig))


def test_missing_column_is_named() -> None:
    with pytest.raises(ConfigError, match="verdict"):
        plots.claims_chart(_claims().drop(columns="verdict"))


def test_empty_source_is_rejected() -> None:
    with pytest.raises(ConfigError, match="source"):
        plots.event_car(_car_wide(), source=" ")


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
    fig = plots.event_car_panels(car, labels={"e1": "First deal", "e2": "Second deal"}, source=SOURCE)
    axes = _plot_axes(fig)
    assert [ax.get_title() for ax in axes] == ["IREN", "HUT"]
    assert [t.get_text() for t in axes[0].get_legend().get_texts()] == ["First deal", "Second deal"]
    assert (
        len({line.get_color() for line in axes[0].get_lines() if not line.get_label().startswith("_")}) == 2
    )
    y = next(line for line in axes[1].get_lines() if line.get_label() == "First deal").get_ydata()
    assert np.nanmax(np.abs(y)) <= 20.0 + 1e-9, "fractions are drawn in percent"
