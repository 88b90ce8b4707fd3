"""Exception and warning hierarchy for the analysis package.

Errors name the thing that is wrong (ticker, date, file, parameter) and, where
possible, the fix. Recoverable data issues are warnings (subclasses of
:class:`DataQualityWarning`) that the cleaner also records in the quality report.
"""

from __future__ import annotations

__all__ = [
    "AnalysisError",
    "CacheError",
    "CacheWriteWarning",
    "ConfigError",
    "DataFetchError",
    "DataQualityError",
    "DataQualityWarning",
    "ExcludedRangeWarning",
    "HistoryRevisedWarning",
    "PreListingWarning",
    "ReportBusyError",
    "ReportError",
    "ShortSampleWarning",
    "SplitRepairedWarning",
    "StaleDataWarning",
    "SyntheticDataWarning",
]


class AnalysisError(Exception):
    """Base class of every error raised by this package."""


class ConfigError(AnalysisError, ValueError):
    """A parameter, ticker, date or configuration file is invalid."""


class DataFetchError(AnalysisError):
    """Data could not be obtained from a source.

    Attributes
    ----------
    failed : dict[str, str]
        Ticker -> reason, for every ticker that failed.
    """

    def __init__(self, message: str, failed: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.failed: dict[str, str] = dict(failed or {})


class CacheError(AnalysisError):
    """A cache file is corrupt, tampered with or unreadable."""


class DataQualityError(AnalysisError):
    """Input data violates the data contract and cannot be repaired."""


class ReportError(AnalysisError):
    """A report run failed (names the notebook and the cell)."""


class DataQualityWarning(UserWarning):
    """A recoverable data issue that was handled and recorded in the quality report."""


class PreListingWarning(DataQualityWarning):
    """Rows that belong to a predecessor company were dropped."""


class SplitRepairedWarning(DataQualityWarning):
    """An unadjusted split or a basis mix-up was detected and repaired."""


class ExcludedRangeWarning(DataQualityWarning):
    """An implausible price range was excluded (set to missing)."""


class SyntheticDataWarning(UserWarning):
    """Results are computed from synthetic demo data, not market data."""


class ShortSampleWarning(UserWarning):
    """A statistic was computed on fewer observations than requested."""


class ReportBusyError(ReportError):
    """Another report run holds the lock on the same output directory."""


class HistoryRevisedWarning(DataQualityWarning):
    """The source re-adjusted history (split or dividend): the whole history was refetched.

    Cached and downloaded rows disagreed on the dates they share, so they were not spliced
    into one series; the cache was replaced by one download on a single price basis (or,
    if that failed, only the cached rows were used).
    """


class StaleDataWarning(UserWarning):
    """A ticker's data end before the last date the request could have (names the last date)."""


class CacheWriteWarning(UserWarning):
    """The raw cache could not be written (read-only or full disk); downloaded data are still used."""
