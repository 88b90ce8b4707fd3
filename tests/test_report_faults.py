"""Report runner under faults: foreign output directories, synthetic vs market data, concurrent
runs, crashes, kernels in the wrong directory, stale data and bad as-of dates.

Most tests run a tiny probe notebook (one kernel, a few seconds) instead of the study, so they
stay fast while exercising the real runner, papermill and kernels.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from analysis import report
from analysis.cli import EXIT_BAD_INPUT, EXIT_BUSY, EXIT_QUALITY, main
from analysis.errors import ConfigError, DataQualityError, ReportBusyError
from analysis.pipeline import StudyRequest

pytestmark = [pytest.mark.notebooks]

PROBE = "90-probe"
START, AS_OF = "2025-06-02", "2025-08-29"
PROBE_CODE = """
import json, os
from pathlib import Path
from analysis import study
nb = study.start("90-probe", request, panel_dir=panel_dir, output_dir=output_dir)
import time, warnings; time.sleep(sleep_s)
from analysis.coverage import ShortSample
warnings.warn("probe warning for the index")
nb.note_short([ShortSample("probe statistic", 5, 10)])
nb.require("a probe section", ["NOPE"])
nb.record({"cwd": os.getcwd(), "panel_dir": panel_dir, "output_dir": output_dir,
           "tickers": list(nb.panel.prices.columns), "rows": int(len(nb.panel.prices))})
"""


def _probe_dir(tmp_path: Path, sleep_s: float = 0.0) -> Path:
    nbdir = tmp_path / "nbs"
    nbdir.mkdir(parents=True, exist_ok=True)
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell(
        f"request = {{}}\npanel_dir = None\noutput_dir = None\nsleep_s = {sleep_s}"
    )
    params.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell("# Probe"), params, nbformat.v4.new_code_cell(PROBE_CODE)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, nbdir / f"{PROBE}.ipynb")
    return nbdir


def _request() -> StudyRequest:
    return StudyRequest.parse(AS_OF, start=START, source="synthetic", tickers="BTC-USD ^NDX IREN")


@pytest.fixture
def probe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    nbdir = _probe_dir(tmp_path)
    monkeypatch.setattr(report, "NOTEBOOKS_DIR", nbdir)
    return nbdir


def _opts(out: Path, **kw: object) -> report.ReportOptions:
    return report.ReportOptions(out=out, notebooks=(PROBE,), **kw)  # type: ignore[arg-type]


def test_foreign_directory_is_refused_and_untouched(tmp_path: Path, probe: Path) -> None:
    checkout = tmp_path / "checkout"
    (checkout / ".git").mkdir(parents=True)
    (checkout / "README.md").write_text("mine")
    with pytest.raises(ConfigError, match=r"not a report written by this package"):
        report.run_report(_request(), _opts(checkout))
    assert (checkout / "README.md").read_text() == "mine" and (checkout / ".git").is_dir()


def test_cli_out_dot_in_a_checkout_exits_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "notes.txt").write_text("keep")
    monkeypatch.chdir(tmp_path)
    code = main(["report", "--source", "synthetic", "--out", ".", "--start", START, "--as-of", AS_OF])
    assert code == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "not a report written by this package" in err and str(tmp_path) in err
    assert (tmp_path / "notes.txt").read_text() == "keep" and (tmp_path / ".git").is_dir()


def test_publish_records_paths_absolute_and_kernel_in_its_own_directory(
    tmp_path: Path, probe: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A decoy working tree with its own data/processed: a kernel must never read it.
    decoy = tmp_path / "decoy"
    (decoy / "data" / "processed").mkdir(parents=True)
    (decoy / "data" / "processed" / "prices.parquet").write_text("not a panel")
    monkeypatch.chdir(decoy)
    out = report.run_report(_request(), _opts(tmp_path / "rep"))
    res = json.loads((out / "results" / f"{PROBE}.json").read_text())
    for key in ("panel_dir", "output_dir"):
        assert Path(res[key]).is_absolute(), key
    staging_root = Path(res["output_dir"])
    assert Path(res["cwd"]) == staging_root, "the kernel must start in the run's own directory"
    assert Path(res["panel_dir"]).parent == staging_root
    assert Path(res["cwd"]).resolve() != decoy.resolve()
    assert os.getcwd() == str(decoy), "the runner must not change the process's working directory"
    assert res["tickers"] == ["BTC-USD", "^NDX", "IREN"]
    assert (out / report.REPORT_MARKER).is_file() and (out / "index.html").is_file()


def test_synthetic_run_never_replaces_market_report(tmp_path: Path, probe: Path) -> None:
    out = tmp_path / "rep"
    report.run_report(_request(), _opts(out))
    marker = out / report.REPORT_MARKER
    doc = json.loads(marker.read_text())
    doc["synthetic"] = False  # pretend the published report came from market data
    doc["provider"] = "snapshot"
    marker.write_text(json.dumps(doc))
    before = (out / "index.html").read_text()
    with pytest.raises(ConfigError, match=r"market data .* SYNTHETIC .* --force"):
        report.run_report(_request(), _opts(out))
    assert (out / "index.html").read_text() == before
    report.run_report(_request(), _opts(out, force=True))
    assert json.loads(marker.read_text())["synthetic"] is True


def test_default_synthetic_target_is_separate(tmp_path: Path, probe: Path, monkeypatch) -> None:
    monkeypatch.setattr(report, "REPORTS_DIR", tmp_path / "reports")
    out = report.run_report(_request(), report.ReportOptions(notebooks=(PROBE,)))
    assert out == tmp_path / "reports" / f"{AS_OF}-synthetic"


def test_second_run_on_same_out_is_busy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(report, "NOTEBOOKS_DIR", _probe_dir(tmp_path, sleep_s=4.0))
    out = tmp_path / "rep"
    errors: list[BaseException] = []

    def first() -> None:
        try:
            report.run_report(_request(), _opts(out))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    t = threading.Thread(target=first)
    t.start()
    lock = out.parent / f".{out.name}.lock"
    deadline = time.monotonic() + 30
    while not any(out.parent.glob(f".{out.name}.staging-*")) and time.monotonic() < deadline:
        time.sleep(0.05)
    with pytest.raises(ReportBusyError, match=r"another report run is writing"):
        report.run_report(_request(), _opts(out))
    t.join()
    assert not errors, errors
    assert lock.exists() and (out / "index.html").is_file()
    assert not list(out.parent.glob(f".{out.name}.staging-*")), "staging directories must not leak"


def test_cli_busy_exit_code(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from filelock import FileLock

    out = tmp_path / "rep"
    with FileLock(str(tmp_path / ".rep.lock")):
        code = main(
            ["report", "--source", "synthetic", "--out", str(out), "--start", START, "--as-of", AS_OF]
        )
    assert code == EXIT_BUSY
    assert "another report run is writing" in capsys.readouterr().err


def test_publication_is_atomic_for_readers(tmp_path: Path) -> None:
    """A reader polling the target always sees one complete report (old or new), never none."""
    target = tmp_path / "rep"
    seen_missing: list[str] = []
    stop = threading.Event()

    def make(version: int) -> Path:
        staging = tmp_path / f".rep.staging-{version}"
        staging.mkdir()
        (staging / "index.html").write_text(f"v{version}")
        (staging / report.REPORT_MARKER).write_text(json.dumps({"package": "analysis", "synthetic": True}))
        return staging

    report._publish(make(0), target)

    def reader() -> None:
        while not stop.is_set():
            try:
                text = (target / "index.html").read_text()
                if not text.startswith("v"):
                    seen_missing.append(text)
            except OSError as exc:
                seen_missing.append(repr(exc))

    t = threading.Thread(target=reader)
    t.start()
    for v in range(1, 40):
        report._publish(make(v), target)
    stop.set()
    t.join()
    assert not seen_missing, seen_missing[:3]
    assert (target / "index.html").read_text() == "v39"
    versions = list((tmp_path / ".rep.versions").iterdir())
    assert len(versions) <= 2, "only the current and the previous version are kept"


def test_crash_is_recovered_at_next_start(tmp_path: Path, probe: Path) -> None:
    out = tmp_path / "rep"
    report.run_report(_request(), _opts(out))
    first = (out / "index.html").read_text()
    script = (
        "import sys; from pathlib import Path; from analysis import report; from analysis.pipeline import "
        "StudyRequest; report.NOTEBOOKS_DIR = Path(sys.argv[1]); "
        f"report.run_report(StudyRequest.parse('{AS_OF}', start='{START}', source='synthetic', "
        "tickers='BTC-USD ^NDX IREN'), report.ReportOptions(out=Path(sys.argv[2]), "
        f"notebooks=('{PROBE}',)))"
    )
    slow = _probe_dir(tmp_path / "slow", sleep_s=30.0)
    proc = subprocess.Popen([sys.executable, "-c", script, str(slow), str(out)], start_new_session=True)
    deadline = time.monotonic() + 60
    while not list(out.parent.glob(f".{out.name}.staging-*/data")) and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1.0)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert (out / "index.html").read_text() == first, "a crash never damages the published report"
    assert list(out.parent.glob(f".{out.name}.staging-*")), "the crash left its staging directory"
    report.run_report(_request(), _opts(out))
    assert not list(out.parent.glob(f".{out.name}.staging-*")), "recovered at the next start"


def _snapshot(tmp_path: Path, ends: dict[str, str]) -> Path:
    snap = tmp_path / "snap"
    snap.mkdir()
    for ticker, end in ends.items():
        crypto = ticker.endswith("-USD")
        days = pd.date_range("2025-01-02", end, freq="D" if crypto else "B")
        close = pd.Series(range(len(days)), index=days, dtype=float) * 0.1 + 100.0
        frame = pd.DataFrame({"Date": days.strftime("%Y-%m-%d"), "Close": close.to_numpy()})
        frame.to_csv(snap / f"{ticker.replace('^', '_')}.csv", index=False)
    return snap


def test_stale_ticker_is_flagged_and_strict_refuses(tmp_path: Path, probe: Path) -> None:
    snap = _snapshot(tmp_path, {"BTC-USD": "2025-08-31", "^NDX": "2025-08-29", "IREN": "2025-07-15"})
    req = StudyRequest.parse(  # HUT has no file in the snapshot: a failed ticker
        AS_OF, start="2025-01-02", source="snapshot", snapshot_dir=snap, tickers="BTC-USD ^NDX IREN HUT"
    )
    out = report.run_report(req, _opts(tmp_path / "rep"))
    status = json.loads((out / "status.json").read_text())
    assert status["complete"] is True and status["data_complete"] is False
    assert status["stale_tickers"] == {"IREN": "2025-07-15"}
    assert list(status["failed_tickers"]) == ["HUT"] and status["failed_tickers"]["HUT"]
    assert status["short_samples"][PROBE] == ["probe statistic: 5 observations for a 10-observation window"]
    assert status["skipped_sections"][PROBE] == [{"section": "a probe section", "missing": ["NOPE"]}]
    assert any(w["message"] == "probe warning for the index" for w in status["warnings"])
    index = (out / "index.html").read_text()
    assert "stale" in index and "2025-07-15" in index
    for said in ("HUT", "probe statistic", "a probe section", "probe warning for the index"):
        assert said in index, said
    strict = StudyRequest.parse(
        AS_OF,
        start="2025-01-02",
        source="snapshot",
        snapshot_dir=snap,
        tickers="BTC-USD ^NDX IREN",
        strict=True,
    )
    with pytest.raises(DataQualityError, match=r"IREN: data end 2025-07-15"):
        report.run_report(strict, _opts(tmp_path / "rep2"))


def test_as_of_outside_data_is_one_error_before_any_notebook(tmp_path: Path) -> None:
    """A real CLI process: exit 2 and exactly one stderr line (no stale-data warnings before it)."""
    snap = _snapshot(tmp_path, {"BTC-USD": "2025-03-31", "^NDX": "2025-03-31"})
    t0 = time.perf_counter()
    args = ["report", "--source", "snapshot", "--snapshot-dir", str(snap), "--tickers", "BTC-USD", "^NDX"]
    args += ["--start", "2025-01-02", "--as-of", "2025-06-02", "--out", str(tmp_path / "rep")]
    proc = subprocess.run(
        [sys.executable, "-m", "analysis", *args], capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == EXIT_BAD_INPUT, proc.stderr
    err = proc.stderr.strip().splitlines()
    assert len(err) == 1 and "as_of 2025-06-02 is outside the data" in err[0], proc.stderr
    assert time.perf_counter() - t0 < 30
    assert not list(tmp_path.glob(".rep.*")) and not (tmp_path / "rep").exists()


def test_strict_cli_exit_code_on_stale(tmp_path: Path, probe: Path, capsys) -> None:
    snap = _snapshot(tmp_path, {"BTC-USD": "2025-08-31", "^NDX": "2025-08-01"})
    code = main(
        [
            "report",
            "--source",
            "snapshot",
            "--snapshot-dir",
            str(snap),
            "--tickers",
            "BTC-USD,^NDX",
            "--start",
            "2025-01-02",
            "--as-of",
            AS_OF,
            "--strict",
            "--out",
            str(tmp_path / "rep"),
        ]
    )
    assert code == EXIT_QUALITY
    assert "^NDX: data end 2025-08-01" in capsys.readouterr().err


def test_quiet_logs_progress_lines_and_shared_file_modes(tmp_path: Path) -> None:
    """A real CLI run: one progress line per notebook, no kernel TCP warning, files follow the umask."""
    nbdir = _probe_dir(tmp_path)
    out_dir = tmp_path / "rep"
    code = (
        "import os, pathlib; os.umask(0o002)\n"
        "from analysis import report\n"
        "from analysis.pipeline import StudyRequest\n"
        f"report.NOTEBOOKS_DIR = pathlib.Path({str(nbdir)!r})\n"
        f"req = StudyRequest.parse({AS_OF!r}, start={START!r}, source='synthetic', tickers='BTC-USD ^NDX')\n"
        f"opts = report.ReportOptions(out=pathlib.Path({str(out_dir)!r}), notebooks=({PROBE!r},),"
        " progress=True)\n"
        "print(report.run_report(req, opts))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=180, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert f"[1/1] {PROBE}: ok in" in proc.stderr
    assert "without encryption" not in proc.stderr and "Kernel is running over TCP" not in proc.stderr
    out = Path(proc.stdout.strip().splitlines()[-1])
    for name in ("index.html", "status.json", "metrics.json", f"{PROBE}.html"):
        assert (out / name).stat().st_mode & 0o777 == 0o664, name
