"""Command line: ``python -m analysis fetch|clean|report|golden|fundamentals``.

Errors are printed as one line on stderr with a non-zero exit code:
2 bad input (parameter, ticker, date, directory), 3 data could not be fetched,
4 data quality (nothing usable left), 5 report failed.
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
    ReportError,
)
from .sources import SOURCES, load_raw, parse_date_range
from .universe import load_universe, validate_tickers

__all__ = ["build_parser", "main"]

EXIT_BAD_INPUT = 2
EXIT_FETCH = 3
EXIT_QUALITY = 4
EXIT_REPORT = 5
#: Fetches of at least this many tickers show a progress bar.
PROGRESS_MIN_TICKERS = 5


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--source", default="auto", help=f"data source: {', '.join(SOURCES)} (default auto)")
    p.add_argument(
        "--snapshot-dir",
        type=Path,
        default=None,
        help="directory of per-ticker CSV files (default: $MARKET_DATA_DIR)",
    )
    p.add_argument(
        "--tickers", default=None, help="comma- or space-separated tickers (default: the whole universe)"
    )
    p.add_argument("--start", default=DEFAULT_START, help=f"first date, YYYY-MM-DD (default {DEFAULT_START})")
    p.add_argument("--data-dir", type=Path, default=None, help="data directory (default: the repo's data/)")
    p.add_argument(
        "--strict",
        action="store_true",
        help="never fall back to cached, snapshot or synthetic data; any failed ticker is an error",
    )
    p.add_argument("--seed", type=int, default=None, help="seed of the synthetic source")
    p.add_argument("--quiet", action="store_true", help="do not print data-quality warnings")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (also used by the docs and tests)."""
    parser = argparse.ArgumentParser(prog="python -m analysis", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
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
        "--end", default=None, help="last data date (default: as-of + the claims' sensitivity days)"
    )
    p.add_argument("--out", type=Path, default=None, help="output directory (default reports/<as-of>/)")
    p.add_argument("--jobs", type=int, default=2, help="notebooks run in parallel (default 2)")
    p = sub.add_parser("golden", help="regenerate the nbval golden notebooks (synthetic source)")
    p.add_argument("--out", type=Path, default=None, help="output directory (default tests/golden/)")
    _add_fundamentals_parser(sub)
    return parser


def _tickers(arg: str | None) -> list[str]:
    if arg is None:
        return load_universe().tickers
    return validate_tickers(arg.replace(",", " ").split())


def _load(args: argparse.Namespace, start: pd.Timestamp, end: pd.Timestamp):  # type: ignore[no-untyped-def]
    tickers = _tickers(args.tickers)
    if args.snapshot_dir is not None and not args.snapshot_dir.is_dir():
        raise ConfigError(f"snapshot directory not found: {args.snapshot_dir}")
    return load_raw(
        args.source,
        tickers,
        start,
        end,
        snapshot_dir=args.snapshot_dir,
        data_dir=args.data_dir,
        strict=args.strict,
        seed=args.seed,
        progress=len(tickers) >= PROGRESS_MIN_TICKERS,
    )


def _cmd_fetch(args: argparse.Namespace) -> int:
    start, end = parse_date_range(args.start, args.end or pd.Timestamp.today().normalize())
    panel = _load(args, start, end)
    print(f"source: {panel.source}{' (SYNTHETIC DEMO DATA)' if panel.synthetic else ''}")
    for t, df in panel.frames.items():
        print(f"  {t:<9} {len(df):>6} rows  {df.index.min().date()} .. {df.index.max().date()}")
    for t, why in panel.failed.items():
        print(f"  {t:<9} FAILED: {why}", file=sys.stderr)
    return 0


def _cmd_clean(args: argparse.Namespace) -> int:
    from .clean import CleanConfig, clean_panel, write_outputs

    start, end = parse_date_range(args.start, args.end or pd.Timestamp.today().normalize())
    panel = _load(args, start, end)
    result = clean_panel(panel, config=CleanConfig(start=start, end=end))
    paths = write_outputs(result, args.data_dir)
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

    opts = ReportOptions(
        as_of=args.as_of,
        start=args.start,
        end=args.end,
        source=args.source,
        snapshot_dir=args.snapshot_dir,
        data_dir=args.data_dir,
        tickers=_tickers(args.tickers) if args.tickers else None,
        strict=args.strict,
        seed=args.seed,
        out=args.out,
        jobs=args.jobs,
    )
    out = run_report(opts)
    print(f"report complete: {out / 'index.html'}")
    return 0


def _cmd_golden(args: argparse.Namespace) -> int:
    from .report import regenerate_golden

    out = regenerate_golden(args.out)
    print(f"golden notebooks written to {out}")
    return 0


# -- fundamentals (issue 11): one self-contained block -----------------------------------


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
    p.add_argument("--tickers", default=None, help="comma- or space-separated tickers (default: the miners)")
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

    tickers = validate_tickers(args.tickers.replace(",", " ").split()) if args.tickers else None
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
    for row in (
        panel.data.groupby("ticker").agg(rows=("value", "size"), last=("period_end", "max")).itertuples()
    ):
        print(f"  {row.Index:<6} {row.rows:>4} rows  last period {row.last:%Y-%m-%d}")
    for t, why in panel.failed.items():
        print(f"  {t:<6} FAILED: {why}", file=sys.stderr)
    for note in panel.notes:
        print(f"  note: {note}")
    print(f"  written {path}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code."""
    args = build_parser().parse_args(argv)
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
    try:
        return commands[args.command](args)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except DataFetchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FETCH
    except DataQualityError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_QUALITY
    except ReportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_REPORT
    except AnalysisError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
