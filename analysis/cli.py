"""Command line: ``python -m analysis fetch|clean|report|golden|fundamentals``.

Every command parses its options into one :class:`~analysis.pipeline.StudyRequest`. Errors
are printed as one line on stderr with a non-zero exit code: 2 bad input (parameter, ticker,
date, directory), 3 data could not be fetched, 4 data quality (stale or nothing usable),
5 report failed, 6 another report run is writing the same output directory, 7 a file could not
be written (read-only or full disk; the path is named).
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from .config import DEFAULT_AS_OF, DEFAULT_START
from .errors import (
    AnalysisError,
    ConfigError,
    DataFetchError,
    DataQualityError,
    DataQualityWarning,
    ReportBusyError,
    ReportError,
)
from .pipeline import StudyRequest, parse_date, parse_tickers
from .sources import SOURCES

__all__ = ["build_parser", "main"]

EXIT_BAD_INPUT = 2
EXIT_FETCH = 3
EXIT_QUALITY = 4
EXIT_REPORT = 5
EXIT_BUSY = 6
EXIT_IO = 7


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors and exit code 2 (as for every bad input)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        print(f"error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_BAD_INPUT)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--source", default="auto", help=f"data provider: {', '.join(SOURCES)} (default auto)")
    p.add_argument(
        "--snapshot-dir", default=None, help="directory of per-ticker CSV files (default: $MARKET_DATA_DIR)"
    )
    p.add_argument(
        "--tickers",
        nargs="+",
        default=None,
        help="tickers, space- or comma-separated, quoted or not (default: the whole universe)",
    )
    p.add_argument("--start", default=DEFAULT_START, help=f"first date, YYYY-MM-DD (default {DEFAULT_START})")
    p.add_argument("--data-dir", default=None, help="data directory (default: the repository's data/)")
    p.add_argument(
        "--strict",
        action="store_true",
        help="never fall back to cached, snapshot or synthetic data; refuse stale or failed tickers",
    )
    p.add_argument("--seed", type=int, default=None, help="seed of the synthetic provider")
    p.add_argument("--quiet", action="store_true", help="do not print data-quality warnings")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (also used by the docs and tests)."""
    parser = _Parser(prog="python -m analysis", description=(__doc__ or "").splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for name, help_ in (
        ("fetch", "download (or read) raw prices into the cache"),
        ("clean", "clean and align prices into data/processed/"),
    ):
        p = sub.add_parser(name, help=help_)
        _common(p)
        p.add_argument("--end", default=None, help="last date, YYYY-MM-DD (default today)")
    p = sub.add_parser("report", help="run every notebook with papermill into reports/<as-of>/")
    _common(p)
    p.add_argument(
        "--as-of", default=DEFAULT_AS_OF, help=f"as-of date of the study (default {DEFAULT_AS_OF})"
    )
    p.add_argument(
        "--end", default=None, help="last data date (default: three sessions after the as-of date)"
    )
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        help="output directory (default reports/<as-of>/, reports/<as-of>-synthetic/ for synthetic data)",
    )
    p.add_argument("--jobs", type=int, default=2, help="notebooks run in parallel (default 2)")
    p.add_argument(
        "--force", action="store_true", help="let a synthetic run replace a market-data report at --out"
    )
    p.add_argument(
        "--wait",
        type=float,
        default=0.0,
        help="seconds to wait for another run writing the same --out (default 0: exit at once)",
    )
    p = sub.add_parser("golden", help="regenerate the nbval golden notebooks (synthetic source)")
    p.add_argument("--out", type=Path, default=None, help="output directory (default tests/golden/)")
    _add_fundamentals_parser(sub)
    return parser


def _request(args: argparse.Namespace, *, as_of: object, end: object) -> StudyRequest:
    return StudyRequest.parse(
        as_of,
        start=args.start,
        end=end,
        source=args.source,
        tickers=args.tickers,
        snapshot_dir=args.snapshot_dir,
        data_dir=args.data_dir,
        strict=args.strict,
        seed=args.seed,
    )


def _fetch_request(args: argparse.Namespace) -> StudyRequest:
    """fetch/clean: the window ends at ``--end`` (default today), which is also the as-of date."""
    end = parse_date(args.end, "end") if args.end is not None else pd.Timestamp.today().normalize()
    start = parse_date(args.start, "start")
    if start > end:
        raise ConfigError(f"start {start.date()} is after end {end.date()}")
    return _request(args, as_of=end, end=end)


def _load(request: StudyRequest):  # type: ignore[no-untyped-def]
    from .sources import load_raw

    return load_raw(
        request.source,
        list(request.tickers),
        request.start,
        request.end,
        snapshot_dir=request.snapshot_dir,
        data_dir=request.data_dir,
        strict=request.strict,
        seed=request.seed,
        progress=sys.stderr.isatty(),
    )


def _cmd_fetch(args: argparse.Namespace) -> int:
    request = _fetch_request(args)
    panel = _load(request)
    print(f"source: {panel.source}{' (SYNTHETIC DEMO DATA)' if panel.synthetic else ''}")
    for t, df in panel.frames.items():
        print(f"  {t:<9} {len(df):>6} rows  {df.index.min().date()} .. {df.index.max().date()}")
    for t, why in panel.failed.items():
        print(f"  {t:<9} FAILED: {why}", file=sys.stderr)
    return 0


def _cmd_clean(args: argparse.Namespace) -> int:
    from .clean import write_outputs
    from .pipeline import build_panel

    request = _fetch_request(args)
    result = build_panel(request, quiet=False, check_as_of=False, progress=sys.stderr.isatty())
    paths = write_outputs(result, request.data_dir)
    s = result.summary
    print(
        f"cleaned {len(s['tickers'])} tickers, {s['start']} .. {s['end']} ({s['sessions']} sessions), "
        f"source {s['source']}{' (SYNTHETIC DEMO DATA)' if result.synthetic else ''}"
    )
    for name, p in paths.items():
        print(f"  {name:<13} {p}")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from .report import ReportOptions, run_report

    request = _request(args, as_of=args.as_of, end=args.end)
    opts = ReportOptions(out=args.out, jobs=args.jobs, force=args.force, wait=args.wait)
    out = run_report(request, opts)
    print(f"report complete: {out / 'index.html'}")
    return 0


def _cmd_golden(args: argparse.Namespace) -> int:
    from .report import regenerate_golden

    out = regenerate_golden(args.out)
    print(f"golden notebooks written to {out}")
    return 0


def _add_fundamentals_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``fundamentals``: quarterly fundamentals -> processed/fundamentals.parquet."""
    p = sub.add_parser(
        "fundamentals", help="miners' quarterly fundamentals -> processed/fundamentals.parquet"
    )
    p.add_argument("--source", default="snapshot", help="sec, yahoo or snapshot (default snapshot)")
    p.add_argument(
        "--snapshot-dir",
        type=Path,
        default=None,
        help="directory of quarterly.csv + sources.csv (default: $FUNDAMENTALS_DATA_DIR)",
    )
    p.add_argument("--tickers", nargs="+", default=None, help="tickers (default: the miners)")
    p.add_argument("--data-dir", type=Path, default=None, help="data directory (default: the repo's data/)")
    p.add_argument(
        "--strict", action="store_true", help="any ticker without data is an error; no stale cache"
    )
    p.add_argument(
        "--user-agent", default=None, help="SEC User-Agent 'Name e-mail' (default: $SEC_USER_AGENT)"
    )
    p.add_argument("--quiet", action="store_true", help="do not print data-quality warnings")


def _cmd_fundamentals(args: argparse.Namespace) -> int:
    from .fundamentals import load_fundamentals, write_fundamentals
    from .universe import load_universe

    tickers = list(parse_tickers(args.tickers, load_universe())) if args.tickers else None
    panel = load_fundamentals(
        args.source,
        tickers,
        snapshot_dir=args.snapshot_dir,
        data_dir=args.data_dir,
        strict=args.strict,
        user_agent=args.user_agent,
    )
    path = write_fundamentals(panel, args.data_dir)
    unfiled = int(panel.data["filed"].isna().sum())
    print(f"fundamentals: source {panel.source}, {len(panel.data)} rows ({unfiled} without a filing date)")
    per_ticker = panel.data.groupby("ticker").agg(rows=("value", "size"), last=("period_end", "max"))
    for row in per_ticker.itertuples():
        print(f"  {row.Index:<6} {row.rows:>4} rows  last period {row.last:%Y-%m-%d}")
    for t, why in panel.failed.items():
        print(f"  {t:<6} FAILED: {why}", file=sys.stderr)
    for note in panel.notes:
        print(f"  note: {note}")
    print(f"  written {path}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    if getattr(args, "quiet", False):
        warnings.simplefilter("ignore", DataQualityWarning)
    else:
        warnings.simplefilter("always", DataQualityWarning)
        warnings.formatwarning = lambda msg, cat, *a, **k: f"warning: {msg}\n"
    commands = {
        "fetch": _cmd_fetch,
        "clean": _cmd_clean,
        "report": _cmd_report,
        "golden": _cmd_golden,
        "fundamentals": _cmd_fundamentals,
    }
    codes: list[tuple[type[AnalysisError], int]] = [
        (ConfigError, EXIT_BAD_INPUT),
        (DataFetchError, EXIT_FETCH),
        (DataQualityError, EXIT_QUALITY),
        (ReportBusyError, EXIT_BUSY),
        (ReportError, EXIT_REPORT),
    ]
    try:
        return commands[args.command](args)
    except AnalysisError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return next((code for kind, code in codes if isinstance(exc, kind)), 1)
    except OSError as exc:  # a read-only or full disk: name the path, no traceback
        print(f"error: {exc.strerror or exc} ({exc.filename or 'no path'})", file=sys.stderr)
        return EXIT_IO
