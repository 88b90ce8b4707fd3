"""What a notebook calls (``analysis.study``): ticker parameters, skip notes, display tables."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import study
from analysis.errors import ConfigError, SyntheticDataWarning
from analysis.pipeline import StudyRequest, ticker_list
from analysis.report import build_golden_panel, golden_request


@pytest.fixture(scope="module")
def panel_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntheticDataWarning)
        return build_golden_panel(tmp_path_factory.mktemp("panel"))


@pytest.fixture
def nb(panel_dir: Path, monkeypatch: pytest.MonkeyPatch) -> study.Notebook:
    shown: list[str] = []
    notebook = study.start("99-test", golden_request(), panel_dir=panel_dir)
    monkeypatch.setattr(notebook, "md", shown.append)
    notebook.shown = shown  # type: ignore[attr-defined]
    return notebook


def test_ticker_parameter_string_is_never_split_into_letters(nb: study.Notebook) -> None:
    assert ticker_list("HUT") == ["HUT"]
    assert ticker_list("BTC-USD ^NDX, IREN") == ["BTC-USD", "^NDX", "IREN"]
    assert nb.panel.available("HUT") == ["HUT"]
    assert nb.panel.missing("HUT NOPE") == ["NOPE"]
    assert nb.require("a section", "HUT") == ["HUT"] and nb.skipped == []
    with pytest.raises(ConfigError, match="the tickers of a section must be a string"):
        nb.require("a section", 5)  # type: ignore[arg-type]


def test_require_skips_or_notes_missing_tickers(nb: study.Notebook) -> None:
    assert nb.require("the pair", ["BTC-USD", "NOPE"], at_least=2) == []
    assert nb.skipped[-1] == {"section": "the pair", "missing": ["NOPE"]}
    assert "Section skipped" in nb.shown[-1]  # type: ignore[attr-defined]
    assert nb.require("the miners", ["IREN", "NOPE"]) == ["IREN"]
    assert nb.skipped[-1] == {"section": "the miners", "missing": ["NOPE"], "partial": True}
    assert "no data for NOPE" in nb.shown[-1]  # type: ignore[attr-defined]


def test_published_coverage_is_read_not_recomputed(panel_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from analysis import coverage
    from analysis.pipeline import open_panel

    panel = open_panel(golden_request(), panel_dir)
    fresh = coverage.data_coverage(panel.clean, panel.as_of, panel.universe)

    def no_recompute(*args: object, **kwargs: object) -> None:
        raise AssertionError("coverage recomputed although the panel publishes it")

    monkeypatch.setattr(coverage, "data_coverage", no_recompute)
    stored = panel.coverage
    pd.testing.assert_frame_equal(stored.table, fresh.table)
    assert stored.as_of == fresh.as_of and stored.stale == fresh.stale and stored.failed == fresh.failed
    assert coverage.Coverage.from_dict(stored.to_dict()).table.equals(stored.table)


def test_open_panel_refuses_a_panel_built_for_another_request(panel_dir: Path) -> None:
    other = StudyRequest.parse("2025-11-03", source="synthetic", fundamentals="none")
    with pytest.raises(ConfigError, match="was built for request"):
        study.start("99-test", other, panel_dir=panel_dir)


def test_format_table_reads_like_a_report() -> None:
    frame = pd.DataFrame(
        {
            "ticker": [("WULF",), ("IREN", "HUT")],
            "n": [250.0, np.nan],
            "rho": [0.123456, np.nan],
            "ret": [-0.174, 0.05],
            "share": [0.024, 0.185],
            "ok": [True, False],
        }
    )
    out = study.format_table(frame, percent=["ret", "share"])
    assert out["ticker"].tolist() == ["WULF", "IREN, HUT"]  # not "(WULF,)"
    assert out["n"].tolist() == ["250", study.MISSING_TEXT]  # counts as integers, NaN as a dash
    assert out["rho"].tolist() == ["0.123", study.MISSING_TEXT]
    assert out["ret"].tolist() == ["-17.4%", "+5.0%"]  # returns carry a sign
    assert out["share"].tolist() == ["2.4%", "18.5%"]  # shares do not
    assert out["ok"].tolist() == ["yes", "no"]


#: The thin-notebook budget: code lines per notebook outside its imports and parameters cells.
MAX_MEAN_CODE_LINES = 30


def test_notebooks_stay_thin() -> None:
    """Logic lives in the library: on average at most 30 code lines per notebook beyond imports/parameters."""
    import json

    from analysis.config import NOTEBOOKS_DIR
    from analysis.report import NOTEBOOKS

    counts = {}
    for name in NOTEBOOKS:
        nb = json.loads((NOTEBOOKS_DIR / f"{name}.ipynb").read_text(encoding="utf-8"))
        code = [c for c in nb["cells"] if c["cell_type"] == "code"]
        assert "parameters" in code[1].get("metadata", {}).get("tags", []), (
            f"{name}: cell 2 is the parameters"
        )
        assert all(
            ln.startswith(("%", "from ", "import ")) for ln in "".join(code[0]["source"]).splitlines() if ln
        )
        counts[name] = sum(
            1
            for c in code[2:]
            for ln in "".join(c["source"]).splitlines()
            if ln.strip() and not ln.strip().startswith("#")
        )
        assert "study.start(" in "".join(code[2]["source"]), f"{name}: one call opens the study"
    assert sum(counts.values()) / len(counts) <= MAX_MEAN_CODE_LINES, counts


def test_figures_are_timed_and_the_profile_is_written_beside_the_results(
    panel_dir: Path, tmp_path: Path
) -> None:
    import matplotlib.pyplot as plt

    def chart(*, note: str, synthetic: bool) -> object:
        fig, ax = plt.subplots()
        ax.plot([0, 1], [1, 0])
        ax.set_title("a chart")
        return fig

    notebook = study.start("99-test", golden_request(), panel_dir=panel_dir, output_dir=tmp_path)
    assert notebook.figure_seconds == 0.0
    notebook.plot("99-chart", chart)
    assert notebook.figure_seconds > 0 and (tmp_path / "figures" / "99-chart.png").is_file()
    notebook.record()
    profile = json.loads((tmp_path / study.PROFILE_DIR / "99-test.json").read_text())
    assert profile["figures_s"] == round(notebook.figure_seconds, 3)
    modules = profile["modules"]
    assert "matplotlib.pyplot" in modules
    assert not any(m.partition(".")[0] in {"analysis", "json", "os"} for m in modules), "not ours, not stdlib"
    assert "matplotlib" not in modules, "a package implied by a listed submodule is left out"
    assert all(not part.startswith("_") for m in modules for part in m.split("."))


def test_a_notebook_without_output_dir_writes_no_profile(
    nb: study.Notebook, monkeypatch: pytest.MonkeyPatch
) -> None:
    written: list[Path] = []
    monkeypatch.setattr(study.atomic, "write_json", lambda path, obj: written.append(path))
    nb.record()
    assert nb.output_dir is None and written == []
