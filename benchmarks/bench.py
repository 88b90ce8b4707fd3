"""Benchmark: a warm synthetic report (whole and per notebook) and rolling statistics at scale.

Run with ``make bench``. Targets (issue 3): full report <= 30 s on 2 cores with a warm
environment; the numbers printed here are what we compare against, not unit tests.
"""

from __future__ import annotations

import json
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import correlation, exposure, report
from analysis.errors import SyntheticDataWarning
from analysis.synthetic import SyntheticConfig, generate

REPORT_TARGET_S = 30.0
N_TICKERS = 500
YEARS = 10
ROLLING_WINDOW = 60
BETA_WINDOW = 126
BETA_SAMPLE = 50  # tickers timed for rolling two-factor betas (extrapolated to N_TICKERS)


def bench_report() -> None:
    """Time a warm synthetic report: one warm-up run, then the measured run."""
    warnings.simplefilter("ignore", SyntheticDataWarning)
    with tempfile.TemporaryDirectory() as tmp:
        opts = report.ReportOptions(as_of="2025-12-02", source="synthetic", out=Path(tmp) / "warmup")
        report.run_report(opts)
        t0 = time.perf_counter()
        out = report.run_report(
            report.ReportOptions(as_of="2025-12-02", source="synthetic", out=Path(tmp) / "r")
        )
        total = time.perf_counter() - t0
        status = json.loads((out / "status.json").read_text())
    print(
        f"warm synthetic report: {total:6.2f} s  (target <= {REPORT_TARGET_S:.0f} s: "
        f"{'OK' if total <= REPORT_TARGET_S else 'OVER'}); data load+clean {status['data_seconds']:.2f} s"
    )
    print(f"  {'notebook':<20} {'wall':>7} {'kernel+io':>10} {'imports':>8} {'compute':>8}")
    for name, s in status["notebooks"].items():
        cells = s.get("cells_s", 0.0)
        imports = s.get("imports_s", 0.0)
        print(
            f"  {name:<20} {s['seconds']:7.2f} {s['seconds'] - cells:10.2f} {imports:8.2f} "
            f"{cells - imports:8.2f}"
        )


def bench_rolling() -> None:
    """Rolling correlation and rolling betas on a large synthetic universe."""
    tickers = ["BTC-USD", "^NDX", *[f"T{i:04d}" for i in range(N_TICKERS)]]
    end = pd.Timestamp("2025-12-31")
    start = end - pd.DateOffset(years=YEARS)
    t0 = time.perf_counter()
    frames, _ = generate(tickers, start, end, SyntheticConfig())
    closes = pd.DataFrame({t: f["Close"] for t, f in frames.items()})
    sessions = frames["^NDX"].index
    rets = np.log(closes.reindex(sessions)).diff().iloc[1:]
    t_gen = time.perf_counter() - t0
    print(f"synthetic universe: {N_TICKERS} tickers x {YEARS} years ({len(rets)} sessions) in {t_gen:.2f} s")

    t0 = time.perf_counter()
    rc = rets.iloc[:, 2:].rolling(ROLLING_WINDOW).corr(rets["BTC-USD"])
    t_corr = time.perf_counter() - t0
    print(
        f"  rolling {ROLLING_WINDOW}-session correlation with BTC, all tickers: {t_corr:.2f} s "
        f"({rc.shape[1]} series)"
    )
    t0 = time.perf_counter()
    correlation.rolling_correlation(rets, "T0000", "BTC-USD", ROLLING_WINDOW)
    print(f"  rolling correlation, one pair via analysis.correlation: {time.perf_counter() - t0:.3f} s")

    t0 = time.perf_counter()
    for t in tickers[2 : 2 + BETA_SAMPLE]:
        exposure.rolling_betas(rets, t, ("BTC-USD", "^NDX"), window=BETA_WINDOW)
    per = (time.perf_counter() - t0) / BETA_SAMPLE
    print(
        f"  rolling {BETA_WINDOW}-session two-factor betas (RollingOLS): {per * 1000:.1f} ms per ticker, "
        f"~{per * N_TICKERS:.1f} s for {N_TICKERS} tickers"
    )


if __name__ == "__main__":
    bench_report()
    bench_rolling()
