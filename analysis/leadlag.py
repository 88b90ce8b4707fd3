"""Lead-lag between two return series: Granger causality and cross-correlations.

Caveat on asynchronous closes: BTC's daily bar closes at 00:00 UTC, hours after
the Nasdaq close, so a same-day BTC return already contains part of the news
that equities price on the next session. That alone makes "BTC leads equities
by one day" look significant; compare with the weekly or 2-session view in
:mod:`analysis.returns` before reading a lead as economic.
"""

from __future__ import annotations

import contextlib
import io
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, cast

import numpy as np
import pandas as pd

from ._typing import Pair
from ._validation import check_choice, check_int, require_columns
from .correlation import SHORT_SAMPLE_OBS, _resolve_alpha
from .errors import ConfigError, ShortSampleWarning
from .exposure import newey_west_maxlags
from .multiplicity import holm

__all__ = [
    "DEFAULT_CCF_MAX_LAG",
    "DEFAULT_COV_TYPE",
    "DEFAULT_IC",
    "DEFAULT_MAXLAGS",
    "CovType",
    "GrangerResult",
    "InfoCriterion",
    "cross_correlation",
    "granger_causality",
    "granger_tests",
    "select_lag",
]

InfoCriterion = Literal["aic", "bic", "hqic"]
#: Heteroskedasticity-robust (``HC*``) or also autocorrelation-robust (``HAC``) covariance.
CovType = Literal["HC0", "HC1", "HC2", "HC3", "HAC"]

#: Largest lag (sessions) searched when the Granger lag is chosen by information criterion.
DEFAULT_MAXLAGS = 5
#: Information criterion of the lag choice (Akaike: errs towards more lags, the safer side for Granger).
DEFAULT_IC: InfoCriterion = "aic"
#: Covariance of the robust Wald test: HC3 (White, with MacKinnon-White small-sample scaling).
DEFAULT_COV_TYPE: CovType = "HC3"
#: Cross-correlations are reported for lags -10..10 sessions by default.
DEFAULT_CCF_MAX_LAG = 10

_CRITERIA: tuple[str, ...] = ("aic", "bic", "hqic")
_COV_TYPES: tuple[str, ...] = ("HC0", "HC1", "HC2", "HC3", "HAC")


def _complete_pair(returns: pd.DataFrame, x: str, y: str) -> pd.DataFrame:
    require_columns(returns, [x, y])
    if x == y:
        raise ConfigError(f"x and y must be different tickers, got {x!r} twice")
    return returns[[x, y]].dropna()


def _lag_capacity(nobs: int) -> int:
    """Largest lag statsmodels accepts for ``nobs`` rows (needs nobs > 3 lag + 1)."""
    return (nobs - 2) // 3


def _select_order(data: pd.DataFrame, maxlags: int, ic: str, x: str, y: str) -> tuple[int, int]:
    """(lag used, order selected): the VAR order by ``ic``, raised to at least 1."""
    _check_lag_fits(maxlags, len(data), "maxlags", x, y)
    from statsmodels.tsa.vector_ar.var_model import VAR  # = statsmodels.tsa.api.VAR, lighter import

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # statsmodels warns about the unnamed index
        order = VAR(data.to_numpy(dtype=np.float64)).select_order(maxlags, trend="c")
    selected = int(order.selected_orders[ic])
    return max(1, selected), selected


def select_lag(
    returns: pd.DataFrame,
    x: str,
    y: str,
    *,
    maxlags: int = DEFAULT_MAXLAGS,
    ic: InfoCriterion = DEFAULT_IC,
) -> int:
    """Lag order of a bivariate VAR in ``x`` and ``y`` chosen by information criterion.

    Parameters
    ----------
    returns
        Wide return frame.
    x, y
        Tickers (columns of ``returns``).
    maxlags
        Largest lag considered (>= 1).
    ic
        ``"aic"`` (default), ``"bic"`` or ``"hqic"``.

    Returns
    -------
    int
        Selected lag in ``1..maxlags`` (a selected order of 0 is raised to 1,
        the smallest lag a Granger test can use).

    Notes
    -----
    ``statsmodels.tsa.api.VAR(...).select_order(maxlags, trend="c")``, on
    sessions where both series are present (all orders on a common sample).
    """
    ml = check_int(maxlags, "maxlags", minimum=1)
    check_choice(ic, "ic", _CRITERIA)
    return _select_order(_complete_pair(returns, x, y), ml, ic, x, y)[0]


def _check_lag_fits(lag: int, nobs: int, name: str, x: str, y: str) -> None:
    if lag > _lag_capacity(nobs):
        raise ConfigError(
            f"{name} ({lag}) is too large for {nobs} paired sessions of {x}/{y}: "
            f"the largest usable lag is {_lag_capacity(nobs)}; lower {name} or use more data"
        )


def _direction(
    values: np.ndarray, cause: str, effect: str, lag: int, cov_type: str, hac_maxlags: int | None
) -> dict[str, object]:
    """Classic F and robust Wald test of ``cause -> effect``; ``values`` columns are (effect, cause)."""
    from statsmodels.tools.sm_exceptions import InfeasibleTestError
    from statsmodels.tsa.stattools import grangercausalitytests

    try:
        # Older statsmodels printed every test; keep notebooks quiet whatever the version.
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            res = grangercausalitytests(values, [lag])
    except InfeasibleTestError as exc:
        raise ConfigError(
            f"Granger test {cause} -> {effect} cannot be computed ({exc}); check for constant series"
        ) from exc
    f_stat, p_f, df_denom, df_num = res[lag][0]["ssr_ftest"]
    joint, restriction = res[lag][1][1], res[lag][1][2]
    nobs = int(joint.nobs)
    hac = newey_west_maxlags(nobs) if hac_maxlags is None else hac_maxlags
    kwds = {"maxlags": hac} if cov_type == "HAC" else {}
    robust = joint.model.fit(cov_type=cov_type, cov_kwds=kwds)
    wald = robust.wald_test(restriction, use_f=True, scalar=True)
    return {
        "direction": f"{cause} -> {effect}",
        "cause": cause,
        "effect": effect,
        "lag": lag,
        "F": float(f_stat),
        "p": float(p_f),
        "df_num": int(df_num),
        "df_denom": int(df_denom),
        "nobs": nobs,
        "wald_F": float(np.squeeze(wald.statistic)),
        "p_wald": float(np.squeeze(wald.pvalue)),
        "cov_type": cov_type if cov_type != "HAC" else f"HAC({hac})",
    }


def _pair_tests(
    returns: pd.DataFrame,
    x: str,
    y: str,
    lag: int | None,
    maxlags: int,
    ic: str,
    cov_type: str,
    hac_maxlags: int | None,
) -> list[dict[str, object]]:
    data = _complete_pair(returns, x, y)
    if lag is None:
        p, selected = _select_order(data, maxlags, ic, x, y)
        selection = ic
    else:
        p = check_int(lag, "lag", minimum=1)
        selected, selection = p, "fixed"
    _check_lag_fits(p, len(data), "lag", x, y)
    values = data.to_numpy(dtype=np.float64)
    rows = []
    for cause, effect, cols in ((x, y, [1, 0]), (y, x, [0, 1])):
        row = _direction(values[:, cols], cause, effect, p, cov_type, hac_maxlags)
        row.update(lag_selection=selection, selected_order=selected)
        rows.append(row)
    return rows


_LEGACY_COLUMNS = [
    "direction",
    "cause",
    "effect",
    "lag",
    "lag_selection",
    "F",
    "p",
    "df_num",
    "df_denom",
    "nobs",
]


def _check_cov(cov_type: str, hac_maxlags: int | None) -> None:
    check_choice(cov_type, "cov_type", _COV_TYPES)
    if hac_maxlags is not None:
        check_int(hac_maxlags, "hac_maxlags", minimum=0, unit="lags")


def granger_causality(
    returns: pd.DataFrame,
    x: str,
    y: str,
    *,
    lag: int | None = None,
    maxlags: int = DEFAULT_MAXLAGS,
    ic: InfoCriterion = DEFAULT_IC,
    cov_type: CovType = DEFAULT_COV_TYPE,
    hac_maxlags: int | None = None,
) -> pd.DataFrame:
    """Granger causality tests in both directions (x -> y and y -> x): classic F and robust Wald.

    Parameters
    ----------
    returns
        Wide return frame.
    x, y
        Tickers (columns of ``returns``).
    lag
        Lag order (>= 1); if None, chosen by ``ic`` up to ``maxlags`` with
        :func:`select_lag`.
    maxlags
        Largest lag searched when ``lag`` is None.
    ic
        Information criterion of the lag choice (``"aic"``, ``"bic"``, ``"hqic"``).
    cov_type
        Covariance of the robust Wald test: ``"HC0"``..``"HC3"`` (default HC3) or
        ``"HAC"`` (Newey-West with ``hac_maxlags`` lags; default the
        :func:`~analysis.exposure.newey_west_maxlags` rule).

    Returns
    -------
    pd.DataFrame
        Two rows, columns ``direction`` (``"x -> y"``), ``cause``, ``effect``,
        ``lag``, ``lag_selection`` (``"fixed"`` or the criterion), ``F``, ``p``,
        ``df_num``, ``df_denom``, ``nobs`` (observations in the regression),
        ``wald_F``, ``p_wald`` (robust), ``cov_type``, ``selected_order`` (the
        criterion's choice before raising 0 to 1).

    Raises
    ------
    ConfigError
        For unknown tickers, bad lags, or too few observations for the lag.

    Notes
    -----
    For "x -> y": OLS of ``y_t`` on a constant and ``y_{t-1..t-p}``, with and
    without ``x_{t-1..t-p}``; ``F = ((SSR_r - SSR_u)/p) / (SSR_u/(n - 2p - 1))``
    (statsmodels ``grangercausalitytests``, ``ssr_ftest``; assumes homoskedastic
    errors). The robust test is the Wald statistic of the ``p`` lag
    coefficients of ``x`` in the unrestricted regression with a ``cov_type``
    covariance, divided by ``p`` and compared with ``F(p, n - 2p - 1)``. H0:
    x does not Granger-cause y. Sessions where either series is missing are
    dropped, so lags bridge such gaps. Fewer than 30 regression observations
    emit a ``ShortSampleWarning``.
    """
    ml = check_int(maxlags, "maxlags", minimum=1)
    check_choice(ic, "ic", _CRITERIA)
    _check_cov(cov_type, hac_maxlags)
    rows = _pair_tests(returns, x, y, lag, ml, ic, cov_type, hac_maxlags)
    nobs = cast(int, rows[0]["nobs"])
    if nobs < SHORT_SAMPLE_OBS:
        warnings.warn(
            f"Granger test {x}/{y} on only {nobs} observations",
            ShortSampleWarning,
            stacklevel=2,
        )
    cols = [*_LEGACY_COLUMNS, "wald_F", "p_wald", "cov_type", "selected_order"]
    return pd.DataFrame(rows)[cols]


@dataclass(frozen=True)
class GrangerResult:
    """Granger tests of several pairs in both directions, with Holm over pairs x directions.

    ``table`` holds one row per (pair, direction): the columns of
    :func:`granger_causality` plus ``pair`` (``"a/b"``), ``p_adj`` (Holm-adjusted
    ``p``) and ``p_wald_adj`` (Holm-adjusted robust ``p_wald``), and ``reason``
    (why a pair was not tested; empty otherwise).

    There is no ``conf_int``: each row is a joint test that all ``lag`` coefficients of
    the cause are zero (an F or Wald statistic with its p-value), not an estimate of one
    quantity, so it has no natural interval; the lag coefficients themselves are not
    kept, and their individual intervals would not answer the Granger question.
    """

    table: pd.DataFrame
    ic: InfoCriterion
    maxlags: int
    cov_type: CovType

    def summary_frame(self) -> pd.DataFrame:
        """The test table (a copy), one row per (pair, direction): statistics, p and adjusted p."""
        return self.table.copy()


def granger_tests(
    returns: pd.DataFrame,
    pairs: Sequence[Pair],
    *,
    lag: int | None = None,
    maxlags: int = DEFAULT_MAXLAGS,
    ic: InfoCriterion = DEFAULT_IC,
    cov_type: CovType = DEFAULT_COV_TYPE,
    hac_maxlags: int | None = None,
) -> GrangerResult:
    """:func:`granger_causality` for several pairs, both directions, Holm over the family.

    Parameters
    ----------
    returns
        Wide return frame.
    pairs
        ``(a, b)`` ticker pairs; each gives the rows ``a -> b`` and ``b -> a``.
    lag, maxlags, ic, cov_type, hac_maxlags
        As in :func:`granger_causality` (the lag is chosen per pair).

    Returns
    -------
    GrangerResult

    Raises
    ------
    ConfigError
        For unknown tickers or bad parameters.

    Notes
    -----
    A pair with too few observations for ``maxlags`` (or ``lag``) is kept as two
    rows with NaN tests and a ``reason``. Holm runs over every tested (pair,
    direction), separately for ``p`` and ``p_wald``.
    Pairs with fewer than 30 regression observations are listed in one
    ``ShortSampleWarning``.
    """
    ml = check_int(maxlags, "maxlags", minimum=1)
    check_choice(ic, "ic", _CRITERIA)
    _check_cov(cov_type, hac_maxlags)
    if not pairs:
        raise ConfigError("pairs is empty: pass at least one (a, b) pair")
    rows: list[dict[str, object]] = []
    short: list[str] = []
    for pair in pairs:
        a, b = str(pair[0]), str(pair[1])
        require_columns(returns, [a, b])
        try:
            found = _pair_tests(returns, a, b, lag, ml, ic, cov_type, hac_maxlags)
        except ConfigError as exc:
            if "too large" not in str(exc):
                raise
            found = [
                {"direction": f"{c} -> {e}", "cause": c, "effect": e, "reason": str(exc)}
                for c, e in ((a, b), (b, a))
            ]
        else:
            if cast(int, found[0]["nobs"]) < SHORT_SAMPLE_OBS:
                short.append(f"{a}/{b} (n={found[0]['nobs']})")
        for r in found:
            rows.append({"pair": f"{a}/{b}", **r, "reason": r.get("reason", "")})
    if short:
        warnings.warn(
            f"Granger tests on fewer than {SHORT_SAMPLE_OBS} observations: {', '.join(short)}",
            ShortSampleWarning,
            stacklevel=2,
        )
    cols = ["pair", *_LEGACY_COLUMNS, "selected_order", "wald_F", "p_wald", "cov_type"]
    table = pd.DataFrame(rows).reindex(columns=[*cols, "reason"])
    table["p_adj"] = holm(table["p"])
    table["p_wald_adj"] = holm(table["p_wald"])
    table = table[[*cols, "p_adj", "p_wald_adj", "reason"]]
    for col in ("lag", "df_num", "df_denom", "nobs", "selected_order"):
        table[col] = table[col].astype("Int64")
    return GrangerResult(table=table, ic=ic, maxlags=ml, cov_type=cov_type)


def cross_correlation(
    returns: pd.DataFrame,
    x: str,
    y: str,
    *,
    max_lag: int = DEFAULT_CCF_MAX_LAG,
    alpha: float | None = None,
) -> pd.DataFrame:
    """Cross-correlations ``corr(x_t, y_{t+k})`` for ``k = -max_lag..max_lag``.

    Parameters
    ----------
    returns
        Wide return frame (rows = consecutive sessions).
    x, y
        Tickers (columns of ``returns``).
    max_lag
        Largest lead/lag in sessions (>= 1).
    alpha
        Significance level of the white-noise bands (default 0.05: +-1.96/sqrt(n)).

    Returns
    -------
    pd.DataFrame
        Index ``lag`` (-max_lag..max_lag); columns ``corr``, ``n`` (pairs used),
        ``band`` (half-width), ``lower``, ``upper``, ``significant``
        (``|corr| > band``).

    Raises
    ------
    ConfigError
        For unknown tickers, ``max_lag < 1`` or ``max_lag`` not shorter than
        the data.

    Notes
    -----
    ``k > 0``: x leads y by k sessions (x today moves with y k sessions later);
    ``k < 0``: y leads x. Shifts are by rows, then pairs with a NaN are dropped
    (Pearson on pairwise-complete observations). Bands ``+-z_{1-alpha/2}/sqrt(n)``
    are for the null of no correlation between independent white-noise series
    (``z_{1-alpha/2}``).
    """
    max_lag = check_int(max_lag, "max_lag", minimum=1)
    a = _resolve_alpha(alpha)
    require_columns(returns, [x, y])
    if max_lag >= len(returns):
        raise ConfigError(f"max_lag ({max_lag}) is longer than the data ({len(returns)} sessions)")
    xs = returns[x].to_numpy(dtype=np.float64)
    ys = returns[y]
    from scipy import stats

    crit = float(stats.norm.ppf(1.0 - a / 2.0))
    lags = np.arange(-max_lag, max_lag + 1)
    corr = np.full(lags.size, np.nan)
    n = np.zeros(lags.size, dtype=np.int64)
    for i, k in enumerate(lags):
        yk = ys.shift(-int(k)).to_numpy(dtype=np.float64)
        ok = ~np.isnan(xs) & ~np.isnan(yk)
        n[i] = int(ok.sum())
        if n[i] >= 3 and np.ptp(xs[ok]) > 0 and np.ptp(yk[ok]) > 0:
            corr[i] = float(np.corrcoef(xs[ok], yk[ok])[0, 1])
    with np.errstate(divide="ignore"):
        band = np.where(n > 0, crit / np.sqrt(np.maximum(n, 1)), np.nan)
    out = pd.DataFrame(
        {
            "corr": corr,
            "n": n,
            "band": band,
            "lower": -band,
            "upper": band,
            "significant": np.abs(corr) > band,
        },
        index=pd.Index(lags, name="lag"),
    )
    if math.isnan(out["corr"].max()):
        raise ConfigError(f"no cross-correlation computable for {x}/{y}: too few paired sessions")
    return out
