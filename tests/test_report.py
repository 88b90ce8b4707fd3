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

    def fake_execute(
        name: str, src: Path, out: Path, params: dict[str, object], *, threads: int
    ) -> report.NotebookRun:
        started.append(name)
        assert threads == report.kernel_threads(1)
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


def test_kernels_get_their_share_of_native_threads_and_keep_a_user_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two kernels at a time on this machine: each OpenBLAS/OpenMP pool gets cpus // 2 threads."""
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
    assert seen == {"OMP_NUM_THREADS": "3", "OPENBLAS_NUM_THREADS": str(report.kernel_threads(2))}


def test_kernel_threads_divides_the_cpus_and_never_drops_below_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(report.os, "sched_getaffinity", lambda pid: set(range(8)), raising=False)
    assert [report.kernel_threads(j) for j in (1, 2, 3, 8, 16)] == [8, 4, 2, 1, 1]
    env = report.kernel_env(4, {"MKL_NUM_THREADS": "2", "PATH": "/bin"})
    assert env["MKL_NUM_THREADS"] == "2" and env["OPENBLAS_NUM_THREADS"] == "4" and env["PATH"] == "/bin"
