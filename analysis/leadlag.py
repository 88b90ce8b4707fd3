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
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.tools.sm_exceptions import InfeasibleTestError
from statsmodels.tsa.api import VAR
from statsmodels.tsa.stattools import grangercausalitytests

from ._validation import check_choice, check_int, check_open_unit, require_columns
from .correlation import DEFAULT_CONFIDENCE, SHORT_SAMPLE_OBS
from .errors import ConfigError, ShortSampleWarning

__all__ = [
    "DEFAULT_CCF_MAX_LAG",
    "DEFAULT_MAXLAG",
    "InfoCriterion",
    "cross_correlation",
    "granger_causality",
    "select_lag",
]

#: Largest lag (sessions) searched when the Granger lag is chosen by information criterion.
DEFAULT_MAXLAG = 5
#: Cross-correlations are reported for lags -10..10 sessions by default.
DEFAULT_CCF_MAX_LAG = 10

InfoCriterion = Literal["aic", "bic", "hqic", "fpe"]
_CRITERIA: tuple[str, ...] = ("aic", "bic", "hqic", "fpe")


def _complete_pair(returns: pd.DataFrame, x: str, y: str) -> pd.DataFrame:
    require_columns(returns, [x, y])
    if x == y:
        raise ConfigError(f"x and y must be different tickers, got {x!r} twice")
    return returns[[x, y]].dropna()


def _lag_capacity(nobs: int) -> int:
    """Largest lag statsmodels accepts for ``nobs`` rows (needs nobs > 3 lag + 1)."""
    return (nobs - 2) // 3


def select_lag(
    returns: pd.DataFrame,
    x: str,
    y: str,
    *,
    maxlag: int = DEFAULT_MAXLAG,
    ic: InfoCriterion = "aic",
) -> int:
    """Lag order of a bivariate VAR in ``x`` and ``y`` chosen by information criterion.

    Parameters
    ----------
    returns
        Wide return frame.
    x, y
        Tickers (columns of ``returns``).
    maxlag
        Largest lag considered (>= 1).
    ic
        ``"aic"`` (default), ``"bic"``, ``"hqic"`` or ``"fpe"``.

    Returns
    -------
    int
        Selected lag in ``1..maxlag`` (a selected order of 0 is raised to 1,
        the smallest lag a Granger test can use).

    Notes
    -----
    ``statsmodels.tsa.api.VAR(...).select_order(maxlag)`` with a constant, on
    sessions where both series are present (all orders on a common sample).
    """
    maxlag = check_int(maxlag, "maxlag", minimum=1)
    check_choice(ic, "ic", _CRITERIA)
    data = _complete_pair(returns, x, y)
    _check_lag_fits(maxlag, len(data), "maxlag", x, y)
    order = VAR(data.to_numpy(dtype=np.float64)).select_order(maxlag, trend="c")
    return max(1, int(order.selected_orders[ic]))


def _check_lag_fits(lag: int, nobs: int, name: str, x: str, y: str) -> None:
    if lag > _lag_capacity(nobs):
        raise ConfigError(
            f"{name} ({lag}) is too large for {nobs} paired sessions of {x}/{y}: "
            f"the largest usable lag is {_lag_capacity(nobs)}; lower {name} or use more data"
        )


def granger_causality(
    returns: pd.DataFrame,
    x: str,
    y: str,
    *,
    lag: int | None = None,
    maxlag: int = DEFAULT_MAXLAG,
    ic: InfoCriterion = "aic",
) -> pd.DataFrame:
    """Granger causality F tests in both directions (x -> y and y -> x).

    Parameters
    ----------
    returns
        Wide return frame.
    x, y
        Tickers (columns of ``returns``).
    lag
        Lag order (>= 1); if None, chosen by ``ic`` up to ``maxlag`` with
        :func:`select_lag`.
    maxlag
        Largest lag searched when ``lag`` is None.
    ic
        Information criterion for the lag choice.

    Returns
    -------
    pd.DataFrame
        Two rows, columns ``direction`` (``"x -> y"``), ``cause``, ``effect``,
        ``lag``, ``lag_selection`` (``"fixed"`` or the criterion), ``F``, ``p``,
        ``df_num``, ``df_denom``, ``nobs`` (observations in the regression).

    Raises
    ------
    ConfigError
        For unknown tickers, bad lags, or too few observations for the lag.

    Notes
    -----
    For "x -> y": OLS of ``y_t`` on a constant and ``y_{t-1..t-p}``, with and
    without ``x_{t-1..t-p}``; ``F = ((SSR_r - SSR_u)/p) / (SSR_u/(n - 2p - 1))``
    (statsmodels ``grangercausalitytests``, ``ssr_ftest``). H0: x does not
    Granger-cause y. Sessions where either series is missing are dropped, so
    lags bridge such gaps. Fewer than 30 regression observations emit a
    ``ShortSampleWarning``.
    """
    data = _complete_pair(returns, x, y)
    if lag is None:
        p = select_lag(returns, x, y, maxlag=maxlag, ic=ic)
        selection: str = ic
    else:
        p = check_int(lag, "lag", minimum=1)
        selection = "fixed"
    _check_lag_fits(p, len(data), "lag", x, y)
    values = data.to_numpy(dtype=np.float64)
    rows: list[dict[str, object]] = []
    nobs = 0
    for cause, effect, cols in ((x, y, [1, 0]), (y, x, [0, 1])):
        try:
            # Older statsmodels printed every test; keep notebooks quiet whatever the version.
            with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
                warnings.simplefilter("ignore", FutureWarning)
                res = grangercausalitytests(values[:, cols], [p])
        except InfeasibleTestError as exc:
            raise ConfigError(
                f"Granger test {cause} -> {effect} cannot be computed ({exc}); check for constant series"
            ) from exc
        f_stat, pvalue, df_denom, df_num = res[p][0]["ssr_ftest"]
        nobs = int(res[p][1][1].nobs)
        rows.append(
            {
                "direction": f"{cause} -> {effect}",
                "cause": cause,
                "effect": effect,
                "lag": p,
                "lag_selection": selection,
                "F": float(f_stat),
                "p": float(pvalue),
                "df_num": int(df_num),
                "df_denom": int(df_denom),
                "nobs": nobs,
            }
        )
    if nobs < SHORT_SAMPLE_OBS:
        warnings.warn(
            f"Granger test {x}/{y} on only {nobs} observations",
            ShortSampleWarning,
            stacklevel=2,
        )
    return pd.DataFrame(rows)


def cross_correlation(
    returns: pd.DataFrame,
    x: str,
    y: str,
    *,
    max_lag: int = DEFAULT_CCF_MAX_LAG,
    confidence: float = DEFAULT_CONFIDENCE,
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
    confidence
        Level of the white-noise bands (default 0.95: +-1.96/sqrt(n)).

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
    (Pearson on pairwise-complete observations). Bands ``+-z_{(1+c)/2}/sqrt(n)``
    are for the null of no correlation between independent white-noise series.
    """
    max_lag = check_int(max_lag, "max_lag", minimum=1)
    conf = check_open_unit(confidence, "confidence")
    require_columns(returns, [x, y])
    if max_lag >= len(returns):
        raise ConfigError(f"max_lag ({max_lag}) is longer than the data ({len(returns)} sessions)")
    xs = returns[x].to_numpy(dtype=np.float64)
    ys = returns[y]
    crit = float(stats.norm.ppf(0.5 + conf / 2.0))
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
