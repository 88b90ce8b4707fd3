"""Report runner: full report on the real snapshot, failure naming, synthetic watermark."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from analysis import report
from analysis.errors import ReportError
from analysis.pipeline import StudyRequest

pytestmark = [pytest.mark.notebooks]


def test_failed_cell_names_notebook_and_cell(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    nbdir = tmp_path / "nbs"
    nbdir.mkdir()
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("as_of = None")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [
        params,
        nbformat.v4.new_code_cell("x = 1"),
        nbformat.v4.new_code_cell("raise ValueError('boom')"),
    ]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, nbdir / "99-broken.ipynb")
    monkeypatch.setattr(report, "NOTEBOOKS_DIR", nbdir)
    out = tmp_path / "rep"
    with pytest.raises(ReportError, match=r"99-broken\.ipynb cell \d+: ValueError: boom"):
        report.run_report(
            StudyRequest.parse(
                "2025-06-30", start="2025-01-01", source="synthetic", tickers=["BTC-USD", "^NDX"]
            ),
            report.ReportOptions(out=out, notebooks=("99-broken",)),
        )
    assert not out.exists(), "a failed run must not be presented as a complete report"
    status = json.loads((tmp_path / "rep.failed" / "status.json").read_text())
    assert status["complete"] is False and "boom" in status["notebooks"]["99-broken"]["error"]


def test_synthetic_report_is_watermarked(tmp_path: Path) -> None:
    with pytest.warns(UserWarning, match="SYNTHETIC"):
        out = report.run_report(
            StudyRequest.parse("2025-12-02", source="synthetic"),
            report.ReportOptions(out=tmp_path / "s", notebooks=("01-data-quality",)),
        )
    assert "SYNTHETIC DEMO DATA" in (out / "index.html").read_text()
    assert "SYNTHETIC DEMO DATA" in (out / "01-data-quality.html").read_text()
    assert json.loads((out / "metrics.json").read_text())["run"]["synthetic"] is True
    # where the kernel's time went: figures as the notebook measured them, the modules it loaded
    timing = json.loads((out / "status.json").read_text())["notebooks"]["01-data-quality"]
    assert 0 < timing["figures_s"] <= timing["cells_s"] - timing["imports_s"]
    assert {"pandas", "matplotlib", "numpy"} <= set(timing["libraries"])
    assert (
        "matplotlib.pyplot"
        in json.loads((out / report.MODULES_FILE).read_text())["notebooks"]["01-data-quality"]
    )
    assert not (out / "profile").exists(), "the notebooks' profile files are gathered, not published"
    # the kernels' calendar is published beside the panel, for this calendar and day
    from analysis import calendar

    assert calendar.load_session_file(out / "data" / calendar.SESSION_FILE)


@pytest.mark.slow
def test_ticker_subset_report_completes_with_skip_notes(tmp_path: Path) -> None:
    """``--tickers "BTC-USD ^NDX IREN HUT"``: every notebook runs; sections lacking tickers say so."""
    with pytest.warns(UserWarning, match="SYNTHETIC"):
        out = report.run_report(
            # From 2024 (a short panel keeps the test fast; the IMF comparison then says it needs 2017).
            StudyRequest.parse(
                "2025-12-02", start="2024-01-02", source="synthetic", tickers="BTC-USD ^NDX IREN HUT"
            ),
            report.ReportOptions(out=tmp_path / "sub"),
        )
    status = json.loads((out / "status.json").read_text())
    assert status["complete"] and all(status["notebooks"][n]["error"] is None for n in report.NOTEBOOKS)
    skipped = status["skipped_sections"]
    assert any(s["section"] == "the CoinDesk 20 proxy" for s in skipped["05-article-claims"])
    events_note = [s for s in skipped["04-event-study"] if s["section"] == "the event study"]
    assert events_note and events_note[0].get("partial") and "WULF" in events_note[0]["missing"]
    metrics = json.loads((out / "metrics.json").read_text())["notebooks"]
    assert {r["ticker"] for r in metrics["04-event-study"]["car"]} <= {"IREN", "HUT"}
    cd20 = {c["claim_id"]: c for c in metrics["05-article-claims"]["claims"]}["cd20_30d"]
    assert cd20["verdict"] == "not measurable with this data"
    index = (out / "index.html").read_text()
    assert "the CoinDesk 20 proxy" in index and "tickers left out" in index


def test_runner_starts_the_longest_notebooks_first_and_exports_in_the_worker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[str] = []
    exported: list[str] = []

    def fake_execute(name: str, src: Path, out: Path, params: dict[str, object]) -> report.NotebookRun:
        started.append(name)
        return report.NotebookRun(
            name, out / f"{name}.ipynb", 0.0, error="boom" if name == "07-balance-sheets" else None
        )

    monkeypatch.setattr(report, "_execute_one", fake_execute)
    runs = report.execute_notebooks(
        report.NOTEBOOKS, tmp_path, {}, jobs=1, after=lambda r: exported.append(r.name)
    )
    assert [r.name for r in runs] == list(report.NOTEBOOKS)  # results in pipeline order
    assert started == sorted(report.NOTEBOOKS, key=lambda n: -report.NOTEBOOK_COST[n])
    assert set(report.NOTEBOOK_COST) == set(report.NOTEBOOKS)
    assert "07-balance-sheets" not in exported and len(exported) == len(report.NOTEBOOKS) - 1


def test_kernels_get_one_native_thread_and_keep_a_user_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each kernel's OpenBLAS/OpenMP pool gets one thread, whatever the machine."""
    monkeypatch.setenv("OMP_NUM_THREADS", "3")  # the user's own limit wins
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    nbdir = tmp_path / "nbs"
    nbdir.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            "import os, json\n"
            "print(json.dumps({k: os.environ.get(k) for k in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS')}))"
        )
    ]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, nbdir / "probe.ipynb")
    (tmp_path / "out").mkdir()
    (run,) = report.execute_notebooks(("probe",), tmp_path / "out", {}, jobs=2, src_dir=nbdir)
    assert run.error is None
    executed = nbformat.read(run.output, as_version=4)
    seen = json.loads(executed.cells[0].outputs[0]["text"])
    assert seen == {"OMP_NUM_THREADS": "3", "OPENBLAS_NUM_THREADS": "1"}


def test_kernel_env_keeps_the_callers_limits() -> None:
    env = report.kernel_env(4, {"MKL_NUM_THREADS": "2", "PATH": "/bin"})
    assert env["MKL_NUM_THREADS"] == "2" and env["OPENBLAS_NUM_THREADS"] == "4" and env["PATH"] == "/bin"


def _png_output(alt: str | None) -> nbformat.NotebookNode:
    pixel = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
    return nbformat.v4.new_output(
        "display_data", data={"image/png": pixel}, metadata={"image/png": {"alt": alt}} if alt else {}
    )


def test_reader_html_describes_figures_by_title_and_matches_nbconvert_markup(tmp_path: Path) -> None:
    """Figures carry their titles as alt text; focus and alt markup as in nbconvert's own pass."""
    from bs4 import BeautifulSoup
    from nbconvert import HTMLExporter

    nb = nbformat.v4.new_notebook()
    code = nbformat.v4.new_code_cell("x")
    code.outputs = [
        _png_output('Rolling β of "IREN" <vs> BTC & ^NDX'),
        _png_output(None),
        nbformat.v4.new_output("display_data", data={"text/markdown": "**Finding**"}),
    ]
    nb.cells = [nbformat.v4.new_markdown_cell("# Title\n\n![chart](data:image/png;base64,AAAA)"), code]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp_path / "n.ipynb"
    nbformat.write(nb, path)
    page = report._to_html(path, "A title").read_text()
    soup = BeautifulSoup(page, features="html.parser")
    alts = [img.get("alt") for img in soup.find_all("img")]
    assert alts == ["chart", 'Rolling β of "IREN" <vs> BTC & ^NDX', report.NO_ALT]
    outputs = soup.select("div.jp-OutputArea-output")
    assert len(outputs) == 3 and all(d.get("tabindex") == "0" for d in outputs)
    assert all(d.get("tabindex") == "0" for d in soup.select("div.jp-Cell-inputWrapper"))

    # same elements and attributes as nbconvert's own exporter (whose pass we replace)
    stock = HTMLExporter(
        template_name="report",
        extra_template_basedirs=[str(report.TEMPLATES_DIR)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    node = nbformat.read(path, as_version=4)
    theirs = BeautifulSoup(stock.from_notebook_node(node)[0], "html.parser")
    ours = BeautifulSoup(report._html_exporter().from_notebook_node(node)[0], "html.parser")

    def shape(s: BeautifulSoup) -> list[tuple[str, dict[str, str]]]:
        return [
            (t.name, {k: " ".join(v) if isinstance(v, list) else v for k, v in t.attrs.items()})
            for t in s.find_all(True)
        ]

    assert shape(ours) == shape(theirs)


def test_accessible_adds_focus_once_and_keeps_existing_alt() -> None:
    page = (
        '<div class="a jp-OutputArea-output b" data-x="1"><img src="x" alt="kept"><img src="y"></div>'
        '<div class="jp-OutputArea-output" tabindex="0"></div><div class="jp-OutputArea-outputs"></div>'
    )
    out = report._accessible(page)
    assert out.count('tabindex="0"') == 2 and 'jp-OutputArea-outputs">' in out
    assert 'alt="kept"' in out and f'<img alt="{report.NO_ALT}" src="y">' in out


def test_cell_timings_use_the_notebooks_own_figure_seconds(tmp_path: Path) -> None:
    def cell(seconds: float, image: bool = False) -> dict[str, object]:
        outputs = [{"output_type": "display_data", "data": {"image/png": "x"}}] if image else []
        return {"cell_type": "code", "metadata": {"papermill": {"duration": seconds}}, "outputs": outputs}

    nb = {"cells": [cell(0.5), cell(2.0, image=True), cell(1.0)]}
    assert report._cell_timings(nb) == {"cells_s": 3.5, "imports_s": 0.5, "figures_s": 2.0, "compute_s": 1.0}
    # measured: 0.75 s of the image cell was the figure, the rest of it computed
    measured = report._cell_timings(nb, 0.75)
    assert measured == {"cells_s": 3.5, "imports_s": 0.5, "figures_s": 0.75, "compute_s": 2.25}
    # a measurement can never exceed the cells' own time
    assert report._cell_timings(nb, 9.0)["figures_s"] == 3.0

    (tmp_path / "profile").mkdir()
    (tmp_path / "profile" / "01-x.json").write_text('{"figures_s": 0.75, "modules": ["pandas.api"]}')
    assert report._take_profile(tmp_path, "01-x") == (0.75, ("pandas.api",))
    assert not (tmp_path / "profile" / "01-x.json").exists()  # read once
    assert report._take_profile(tmp_path, "01-x") == (None, ())
    (tmp_path / "profile" / "02-y.json").write_text("{not json")
    assert report._take_profile(tmp_path, "02-y") == (None, ())
    run = report.NotebookRun("01-x", tmp_path / "01-x.ipynb", 1.0, modules=("pandas.api", "scipy.stats"))
    assert run.libraries == ["pandas", "scipy"]
