"""Spillover indices (Diebold & Yilmaz 2012) from a VAR's generalized variance decomposition.

A VAR(p) with a constant is fitted by OLS (statsmodels); the generalized
forecast-error variance decomposition (GFEVD, Pesaran & Shin 1998) over
``h = 0..horizon-1`` is row-normalised into a spillover table in percent:
row ``i`` *receives* from column ``j``, rows sum to 100. From it come the total
spillover index and the directional (to/from others) and net spillovers. The
IMF's bitcoin / S&P 500 comparison (Iyer 2022) is reproduced by
:func:`imf_comparison`; volatility spillovers use the Parkinson (1980) range.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from ._typing import DateLike
from ._validation import as_timestamp, check_choice, check_index, check_int, require_columns, slice_period
from .errors import ConfigError

__all__ = [
    "DEFAULT_HORIZON",
    "DEFAULT_LAGS",
    "IMF_CHECKED",
    "IMF_CITATION",
    "IMF_POST",
    "IMF_PRE",
    "IMF_RETURN_INCREASE",
    "IMF_RETURN_LEVEL",
    "IMF_VOLATILITY_INCREASE",
    "IMF_VOLATILITY_LEVEL",
    "MIN_RESIDUAL_DF",
    "PARKINSON_FACTOR",
    "RangeVolatility",
    "RollingSpillover",
    "SpilloverResult",
    "VolatilityTransform",
    "generalized_fevd",
    "imf_comparison",
    "imf_data_gap",
    "imf_section",
    "imf_sentence",
    "imf_table",
    "panel_range_volatility",
    "parkinson_volatility",
    "rolling_by_measure",
    "rolling_sentence",
    "rolling_spillover",
    "spillover_headline",
    "spillover_sentence",
    "spillover_table",
]

#: Forecast horizon in sessions (Diebold & Yilmaz 2012 use 10-day-ahead forecast errors).
DEFAULT_HORIZON = 10
#: VAR lag order used by default for daily data (Diebold & Yilmaz 2012 use a VAR(4)).
DEFAULT_LAGS = 4
#: Fewest residual degrees of freedom of each VAR equation.
MIN_RESIDUAL_DF = 10
#: Parkinson (1980): ``sigma^2 = ln(H / L)^2 / (4 ln 2)``.
PARKINSON_FACTOR = 4.0 * math.log(2.0)
#: Percent scale of the spillover table.
PERCENT = 100.0
#: Name of the volatility measure in :func:`rolling_by_measure`.
VOLATILITY_MEASURE = "volatility (Parkinson, log)"
#: A comparison period counts as covered when the data start / end within this many days of its edges.
PERIOD_EDGE_DAYS = 10

VolatilityTransform = Literal["log", "level", "variance"]
_VOLATILITY_TRANSFORMS: tuple[str, ...] = ("log", "level", "variance")

#: The IMF note reproduced by :func:`imf_comparison`.
IMF_CITATION = (
    "Iyer, T. (2022), 'Cryptic Connections: Spillovers between Crypto and Equity Markets', "
    "IMF Global Financial Stability Note 2022/001, January 2022"
)
#: The IMF's comparison periods: pre-pandemic 2017-19 and pandemic 2020-21.
IMF_PRE: tuple[str, str] = ("2017-01-01", "2019-12-31")
IMF_POST: tuple[str, str] = ("2020-01-01", "2021-12-31")
#: Rise (percentage points) of spillovers from bitcoin volatility to the S&P 500 and MSCI EM
#: volatility since the onset of COVID-19 (range across the two indices).
IMF_VOLATILITY_INCREASE: tuple[float, float] = (12.0, 16.0)
#: Rise (percentage points) of spillovers from bitcoin returns to equity returns.
IMF_RETURN_INCREASE: tuple[float, float] = (8.0, 10.0)
#: Level (percent) of equity volatility variation explained by bitcoin (pandemic period).
IMF_VOLATILITY_LEVEL: tuple[float, float] = (14.0, 18.0)
#: Level (percent) of equity return variation explained by bitcoin (pandemic period).
IMF_RETURN_LEVEL: tuple[float, float] = (8.0, 10.0)
#: What of the IMF figures was checked offline.
IMF_CHECKED = (
    "figures checked against the note's published summary (IMF publication page, stored copy); "
    "ranges span the S&P 500 and MSCI EM indices; the S&P 500-only figures and the VAR "
    "specification are in the full note and were not checked offline"
)

# ----------------------------------------------------------------------------- GFEVD core


def _ma_coefs(coefs: np.ndarray, horizon: int) -> np.ndarray:
    """MA matrices ``Phi_0..Phi_{H-1}`` of a VAR, batched over leading axes.

    ``coefs`` has shape (..., p, K, K) with ``coefs[..., l-1, :, :] = A_l``;
    ``Phi_0 = I``, ``Phi_h = sum_{l=1..min(h,p)} Phi_{h-l} A_l`` (as statsmodels' ``ma_rep``).
    """
    *lead, p, k, _ = coefs.shape
    phi = np.zeros((*lead, horizon, k, k))
    phi[..., 0, :, :] = np.eye(k)
    for h in range(1, horizon):
        acc = np.zeros((*lead, k, k))
        for lag in range(1, min(h, p) + 1):
            acc += phi[..., h - lag, :, :] @ coefs[..., lag - 1, :, :]
        phi[..., h, :, :] = acc
    return phi


def _gfevd(phi: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """Row-normalised GFEVD (fractions) from MA matrices (..., H, K, K) and sigma (..., K, K)."""
    phi_sigma = phi @ sigma[..., None, :, :]
    diag_sigma = np.diagonal(sigma, axis1=-2, axis2=-1)
    num = np.sum(phi_sigma**2, axis=-3) / diag_sigma[..., None, :]
    mse = np.sum(np.einsum("...hij,...hij->...hi", phi_sigma, phi), axis=-2)
    theta = num / mse[..., :, None]
    out: np.ndarray = theta / theta.sum(axis=-1, keepdims=True)
    return out


def generalized_fevd(coefs: np.ndarray, sigma: np.ndarray, horizon: int) -> np.ndarray:
    """Row-normalised generalized FEVD of a VAR (Pesaran & Shin 1998; Diebold & Yilmaz 2012).

    Parameters
    ----------
    coefs
        Lag matrices, shape (p, K, K): ``coefs[l-1] = A_l`` in
        ``y_t = c + sum_l A_l y_{t-l} + u_t`` (statsmodels' ``VARResults.coefs``).
    sigma
        Covariance of ``u_t``, shape (K, K), positive definite.
    horizon
        Number of forecast steps H (>= 1): MA terms ``h = 0..H-1``.

    Returns
    -------
    np.ndarray
        (K, K) fractions; entry (i, j) is the share of variable i's H-step
        forecast-error variance due to shocks in j; rows sum to 1.

    Raises
    ------
    ConfigError
        Bad shapes, ``horizon < 1``, or a non-positive variance.

    Notes
    -----
    ``theta_ij = sigma_jj^-1 sum_h (e_i' Phi_h Sigma e_j)^2 / sum_h (e_i' Phi_h Sigma Phi_h' e_i)``,
    then ``theta_ij / sum_j theta_ij``. Invariant to rescaling any variable.
    """
    h = check_int(horizon, "horizon", minimum=1, unit="steps")
    a = np.asarray(coefs, dtype=np.float64)
    s = np.asarray(sigma, dtype=np.float64)
    if a.ndim != 3 or a.shape[1] != a.shape[2]:
        raise ConfigError(f"coefs must have shape (lags, K, K), got {a.shape}")
    k = a.shape[1]
    if s.shape != (k, k):
        raise ConfigError(f"sigma must have shape ({k}, {k}) to match coefs, got {s.shape}")
    if not np.all(np.diag(s) > 0):
        raise ConfigError("sigma must have positive variances on its diagonal")
    return _gfevd(_ma_coefs(a, h), s)


# ----------------------------------------------------------------------------- results


def _to_others(table: pd.DataFrame) -> pd.Series:
    values = table.to_numpy()
    out = pd.Series(values.sum(axis=0) - np.diag(values), index=table.columns, name="to_others")
    return out


def _from_others(table: pd.DataFrame) -> pd.Series:
    values = table.to_numpy()
    return pd.Series(values.sum(axis=1) - np.diag(values), index=table.index, name="from_others")


@dataclass(frozen=True)
class SpilloverResult:
    """Diebold-Yilmaz spillover table of one VAR.

    Attributes
    ----------
    table
        Percent; index = receiver (row i), columns = sender (column j); rows sum to 100.
    lags, horizon
        VAR order and forecast horizon (sessions).
    nobs
        Rows used (all variables present), including the ``lags`` initial rows.
    start, end
        First and last date used.

    No standard errors are computed for the spillover shares (hence no ``conf_int``).
    """

    table: pd.DataFrame
    lags: int
    horizon: int
    nobs: int
    start: pd.Timestamp
    end: pd.Timestamp

    @property
    def tickers(self) -> tuple[str, ...]:
        """Variables in order."""
        return tuple(str(c) for c in self.table.columns)

    @property
    def total(self) -> float:
        """Total spillover index: mean off-diagonal row sum, percent in [0, 100)."""
        return float(_from_others(self.table).mean())

    @property
    def to_others(self) -> pd.Series:
        """Directional spillover from each variable to all others (column sums off the diagonal)."""
        return _to_others(self.table)

    @property
    def from_others(self) -> pd.Series:
        """Directional spillover received by each variable from all others (row sums off the diagonal)."""
        return _from_others(self.table)

    @property
    def net(self) -> pd.Series:
        """Net spillover ``to_others - from_others`` (positive: net transmitter)."""
        return (self.to_others - self.from_others).rename("net")

    def directional(self, sender: str, receiver: str) -> float:
        """Share (percent) of ``receiver``'s forecast-error variance due to ``sender``."""
        require_columns(self.table, [sender, receiver], "the spillover table")
        i, j = self.tickers.index(receiver), self.tickers.index(sender)
        return float(self.table.to_numpy()[i, j])

    def pairwise_net(self, sender: str, receiver: str) -> float:
        """Net pairwise spillover from ``sender`` to ``receiver`` (percent points)."""
        return self.directional(sender, receiver) - self.directional(receiver, sender)

    def summary_frame(self) -> pd.DataFrame:
        """One row per variable: ``ticker, own, from_others, to_others, net, total, lags, horizon, nobs``."""
        own = np.diag(self.table.to_numpy())
        return pd.DataFrame(
            {
                "ticker": list(self.tickers),
                "own": own,
                "from_others": self.from_others.to_numpy(),
                "to_others": self.to_others.to_numpy(),
                "net": self.net.to_numpy(),
                "total": self.total,
                "lags": int(self.lags),
                "horizon": int(self.horizon),
                "nobs": int(self.nobs),
            }
        )

    def dy_table(self) -> pd.DataFrame:
        """The table in Diebold-Yilmaz layout, with ``From others`` column and ``To others``, ``Net`` rows."""
        out = self.table.copy()
        out["From others"] = self.from_others
        extra = pd.DataFrame(
            [self.to_others.to_numpy(), self.net.to_numpy()],
            index=["To others", "Net"],
            columns=self.table.columns,
        )
        extra["From others"] = [self.total, np.nan]
        return pd.concat([out, extra])


# ----------------------------------------------------------------------------- static table


def _complete(data: pd.DataFrame, columns: Sequence[str] | None, name: str) -> pd.DataFrame:
    check_index(data, name)
    cols = [str(c) for c in data.columns] if columns is None else [str(c) for c in columns]
    require_columns(data, cols, name)
    if len(cols) < 2 or len(set(cols)) != len(cols):
        raise ConfigError(f"a spillover table needs at least two distinct variables, got {cols}")
    out = data.loc[:, cols].astype(np.float64)
    out = out.where(np.isfinite(out.to_numpy()))
    return out.dropna()


def _check_df(n_rows: int, lags: int, k: int, what: str) -> None:
    df = n_rows - lags - (1 + k * lags)
    if df < MIN_RESIDUAL_DF:
        need = MIN_RESIDUAL_DF + lags + 1 + k * lags
        raise ConfigError(
            f"{what} has {n_rows} complete rows; a VAR({lags}) in {k} variables needs at least {need} "
            f"({MIN_RESIDUAL_DF} residual degrees of freedom): lower lags or use more data"
        )


def spillover_table(
    data: pd.DataFrame,
    lags: int = DEFAULT_LAGS,
    horizon: int = DEFAULT_HORIZON,
    *,
    columns: Sequence[str] | None = None,
) -> SpilloverResult:
    """Diebold-Yilmaz (2012) spillover table from a VAR(lags) with a constant.

    Parameters
    ----------
    data
        Wide frame of stationary series on a sorted ``DatetimeIndex``: daily
        log returns, or log volatilities (see :func:`parkinson_volatility`).
    lags
        VAR order p (>= 1).
    horizon
        Forecast horizon H in sessions (>= 1); the GFEVD sums ``h = 0..H-1``.
    columns
        Variables (at least two), default every column.

    Returns
    -------
    SpilloverResult

    Raises
    ------
    ConfigError
        Unknown column, unsorted index, bad ``lags``/``horizon`` or too few
        complete rows (fewer than :data:`MIN_RESIDUAL_DF` residual df).

    Notes
    -----
    NaN rule: rows with any variable missing (or infinite) are dropped and the
    remaining rows treated as consecutive. The VAR is fitted by OLS with a
    constant (``statsmodels.tsa.api.VAR``); ``table = 100 * GFEVD`` (see
    :func:`generalized_fevd`). Total ``= sum_{i != j} table_ij / K``;
    ``to_j = sum_{i != j} table_ij``; ``from_i = sum_{j != i} table_ij``;
    ``net = to - from``.
    """
    p = check_int(lags, "lags", minimum=1, unit="lags")
    h = check_int(horizon, "horizon", minimum=1, unit="sessions")
    frame = _complete(data, columns, "data")
    _check_df(len(frame), p, frame.shape[1], "data")
    from statsmodels.tsa.vector_ar.var_model import VAR  # = statsmodels.tsa.api.VAR, lighter import

    fit = VAR(frame.to_numpy()).fit(p, trend="c")
    theta = _gfevd(np.asarray(fit.ma_rep(h - 1)), np.asarray(fit.sigma_u))
    names = [str(c) for c in frame.columns]
    table = pd.DataFrame(PERCENT * theta, index=pd.Index(names, name="receiver"), columns=names)
    table.columns.name = "sender"
    return SpilloverResult(
        table=table, lags=p, horizon=h, nobs=len(frame), start=frame.index[0], end=frame.index[-1]
    )


# ----------------------------------------------------------------------------- rolling


@dataclass(frozen=True)
class RollingSpillover:
    """Spillover tables of rolling windows.

    Attributes
    ----------
    tables
        Percent, shape (n_windows, K, K): ``tables[w, i, j]`` = receiver i from sender j.
    index
        Date of each window's last row.
    tickers
        Variables in order.
    window, lags, horizon, step
        Settings (window and step in complete rows).

    No standard errors are computed for the spillover shares (hence no ``conf_int``).
    """

    tables: np.ndarray
    index: pd.DatetimeIndex
    tickers: tuple[str, ...]
    window: int
    lags: int
    horizon: int
    step: int

    def _frame(self, values: np.ndarray, name: str) -> pd.DataFrame:
        out = pd.DataFrame(values, index=self.index, columns=list(self.tickers))
        out.columns.name = name
        return out

    @property
    def total(self) -> pd.Series:
        """Total spillover index per window (percent)."""
        k = len(self.tickers)
        off = self.tables.sum(axis=(1, 2)) - np.trace(self.tables, axis1=1, axis2=2)
        return pd.Series(off / k, index=self.index, name="total")

    @property
    def to_others(self) -> pd.DataFrame:
        """Directional spillover to others, date x ticker."""
        diag = np.diagonal(self.tables, axis1=1, axis2=2)
        return self._frame(self.tables.sum(axis=1) - diag, "to_others")

    @property
    def from_others(self) -> pd.DataFrame:
        """Directional spillover from others, date x ticker."""
        diag = np.diagonal(self.tables, axis1=1, axis2=2)
        return self._frame(self.tables.sum(axis=2) - diag, "from_others")

    @property
    def net(self) -> pd.DataFrame:
        """Net spillover (to minus from), date x ticker."""
        return self._frame(self.to_others.to_numpy() - self.from_others.to_numpy(), "net")

    def _pos(self, ticker: str) -> int:
        if ticker not in self.tickers:
            raise ConfigError(f"ticker {ticker!r} not in the rolling spillover; available: {self.tickers}")
        return self.tickers.index(ticker)

    def directional(self, sender: str, receiver: str) -> pd.Series:
        """Percent of ``receiver``'s forecast-error variance due to ``sender``, per window."""
        i, j = self._pos(receiver), self._pos(sender)
        return pd.Series(self.tables[:, i, j], index=self.index, name=f"{sender}->{receiver}")

    def pairwise_net(self, sender: str, receiver: str) -> pd.Series:
        """Net pairwise spillover from ``sender`` to ``receiver`` per window (percent points)."""
        out = self.directional(sender, receiver) - self.directional(receiver, sender)
        return out.rename(f"net {sender}->{receiver}")

    def summary_frame(self) -> pd.DataFrame:
        """Long table: one row per (date, ticker) with ``to_others, from_others, net, total``."""
        to, fr, net = self.to_others, self.from_others, self.net
        k = len(self.tickers)
        return pd.DataFrame(
            {
                "date": np.repeat(self.index.to_numpy(), k),
                "ticker": np.tile(np.array(self.tickers, dtype=object), len(self.index)),
                "to_others": to.to_numpy().ravel(),
                "from_others": fr.to_numpy().ravel(),
                "net": net.to_numpy().ravel(),
                "total": np.repeat(self.total.to_numpy(), k),
            }
        )


def _lagged_design(values: np.ndarray, p: int) -> tuple[np.ndarray, np.ndarray]:
    """Regressors ``[1, y_{t-1}, ..., y_{t-p}]`` and targets ``y_t`` for t = p..T-1."""
    t, _ = values.shape
    blocks = [np.ones((t - p, 1))] + [values[p - lag : t - lag] for lag in range(1, p + 1)]
    return np.hstack(blocks), values[p:]


def rolling_spillover(
    data: pd.DataFrame,
    window: int,
    lags: int = DEFAULT_LAGS,
    horizon: int = DEFAULT_HORIZON,
    *,
    step: int = 1,
    columns: Sequence[str] | None = None,
) -> RollingSpillover:
    """Spillover tables over rolling windows of complete rows.

    Parameters
    ----------
    data
        As in :func:`spillover_table`.
    window
        Rows per window (complete rows, i.e. sessions with every variable present).
    lags, horizon
        VAR order and forecast horizon.
    step
        Distance in rows between consecutive window ends (1: every session).
    columns
        Variables, default every column.

    Returns
    -------
    RollingSpillover
        Windows end at rows ``window-1, window-1+step, ...``; each is labelled
        by its last date.

    Raises
    ------
    ConfigError
        Bad parameters, or a window too short for the VAR.

    Notes
    -----
    Each window is exactly what :func:`spillover_table` fits on those rows
    (OLS with a constant, same GFEVD). The per-window least squares are solved
    here as one batched QR in numpy instead of one statsmodels fit per window
    (statsmodels has no rolling VAR; refitting ~1,000 windows costs seconds).
    """
    w = check_int(window, "window", minimum=2)
    p = check_int(lags, "lags", minimum=1, unit="lags")
    h = check_int(horizon, "horizon", minimum=1, unit="sessions")
    s = check_int(step, "step", minimum=1)
    frame = _complete(data, columns, "data")
    k = frame.shape[1]
    _check_df(w, p, k, f"window ({w} rows)")
    if w > len(frame):
        raise ConfigError(f"window ({w}) is longer than the data ({len(frame)} complete rows)")
    x_all, y_all = _lagged_design(frame.to_numpy(), p)
    n_reg = w - p  # regression rows per window
    starts = np.arange(0, len(frame) - w + 1, s)
    pos = starts[:, None] + np.arange(n_reg)[None, :]
    x, y = x_all[pos], y_all[pos]  # (n_windows, n_reg, m), (n_windows, n_reg, K)
    q, r = np.linalg.qr(x)
    beta = np.linalg.solve(r, np.swapaxes(q, 1, 2) @ y)  # (n_windows, m, K)
    resid = y - x @ beta
    m = 1 + k * p
    sigma = np.swapaxes(resid, 1, 2) @ resid / (n_reg - m)
    # beta rows: const, then lag 1 (K rows), lag 2, ...; A_l[i, k] = beta[1 + (l-1) K + k, i].
    coefs = np.swapaxes(beta[:, 1:, :].reshape(len(starts), p, k, k), 2, 3)
    tables = PERCENT * _gfevd(_ma_coefs(coefs, h), sigma)
    ends = pd.DatetimeIndex(frame.index[starts + w - 1], name=frame.index.name or "Date")
    return RollingSpillover(
        tables=tables,
        index=ends,
        tickers=tuple(str(c) for c in frame.columns),
        window=w,
        lags=p,
        horizon=h,
        step=s,
    )


# ----------------------------------------------------------------------------- volatility


def parkinson_volatility(high: pd.DataFrame, low: pd.DataFrame) -> pd.DataFrame:
    """Daily Parkinson (1980) range-based volatility from wide High and Low frames.

    Parameters
    ----------
    high, low
        Intraday highs and lows, same index and columns (e.g. the cleaned
        panel's ``highs`` and ``lows``), on one price basis per ticker.

    Returns
    -------
    pd.DataFrame
        ``sigma_t = sqrt(ln(H_t / L_t)^2 / (4 ln 2))``, daily, in log-return
        units, on ``high``'s index and columns.

    Raises
    ------
    ConfigError
        If the frames are not DataFrames or their index or columns differ.

    Notes
    -----
    NaN where either price is missing or non-positive, or ``H < L``; ``H = L``
    gives 0 (take logs only after dropping zeros). Not annualised. For crypto
    on the session grid the range is that calendar day's (UTC) range, while
    the return compounds weekend moves.
    """
    for name, frame in (("high", high), ("low", low)):
        if not isinstance(frame, pd.DataFrame):
            raise ConfigError(f"{name} must be a wide DataFrame (date x ticker), got {type(frame).__name__}")
    if not high.index.equals(low.index) or list(high.columns) != list(low.columns):
        raise ConfigError(
            "high and low must have the same index and columns; align them first "
            "(e.g. low.reindex(index=high.index, columns=high.columns))"
        )
    hv = high.to_numpy(dtype=np.float64, na_value=np.nan)
    lv = low.to_numpy(dtype=np.float64, na_value=np.nan)
    ok = (hv > 0) & (lv > 0) & (hv >= lv)
    with np.errstate(divide="ignore", invalid="ignore"):
        sigma = np.where(ok, np.abs(np.log(np.where(ok, hv / lv, 1.0))) / math.sqrt(PARKINSON_FACTOR), np.nan)
    return pd.DataFrame(sigma, index=high.index, columns=high.columns)


def _transform_volatility(volatility: pd.DataFrame, transform: str) -> pd.DataFrame:
    """``log`` (zeros dropped), ``level`` or ``variance`` (squared) of a volatility frame."""
    values = volatility.to_numpy(dtype=np.float64, na_value=np.nan)
    if transform == "level":
        out = values
    elif transform == "variance":
        out = values**2
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.where(values > 0, np.log(np.where(values > 0, values, 1.0)), np.nan)
    return pd.DataFrame(out, index=volatility.index, columns=volatility.columns)


# ----------------------------------------------------------------------------- IMF comparison


def _period(value: tuple[DateLike, DateLike], name: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    try:
        lo, hi = value
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{name} must be a (start, end) pair of dates, got {value!r}") from exc
    return as_timestamp(lo, f"{name} start"), as_timestamp(hi, f"{name} end")


def imf_comparison(
    returns: pd.DataFrame,
    volatility: pd.DataFrame | None = None,
    *,
    crypto: str = "BTC-USD",
    equity: str = "^GSPC",
    pre: tuple[DateLike, DateLike] = IMF_PRE,
    post: tuple[DateLike, DateLike] = IMF_POST,
    lags: int = DEFAULT_LAGS,
    horizon: int = DEFAULT_HORIZON,
    volatility_transform: VolatilityTransform = "log",
) -> pd.DataFrame:
    """Bitcoin <-> S&P 500 spillovers before and after 2020, side by side with the IMF's figures.

    Parameters
    ----------
    returns
        Wide daily log returns holding ``crypto`` and ``equity`` (from 2017 for the defaults).
    volatility
        Optional daily range volatility (:func:`parkinson_volatility`) with the
        same two columns. ``None``: returns only.
    crypto, equity
        The two tickers of the bivariate VAR.
    pre, post
        Inclusive (start, end) periods, default 2017-19 and 2020-21 (the IMF's).
    lags, horizon
        VAR order and forecast horizon of both periods.
    volatility_transform
        What the volatility VAR is fitted on: ``"log"`` (default; log range
        volatility is close to Gaussian, Alizadeh, Brandt & Diebold 2002; zeros
        dropped), ``"level"`` or ``"variance"`` (squared; dominated by a few
        extreme days such as March 2020).

    Returns
    -------
    pd.DataFrame
        One row per (measure, direction): ``measure`` (``returns``/``volatility``),
        ``direction`` (``"BTC-USD->^GSPC"`` or the reverse), ``pre``, ``post``,
        ``change`` (percent / points), ``imf_change_low``, ``imf_change_high``,
        ``imf_post_low``, ``imf_post_high`` (NaN where the IMF gives no figure),
        ``change_in_imf_range``, ``n_pre``, ``n_post``, ``lags``, ``horizon``,
        ``volatility_transform``, ``method_difference`` and ``imf_checked``.

    Raises
    ------
    ConfigError
        Unknown ticker, bad periods or too little data in a period.

    Notes
    -----
    Each period gets its own static :func:`spillover_table` of the two series.
    The IMF figures (:data:`IMF_VOLATILITY_INCREASE` etc., from
    :data:`IMF_CITATION`) are ranges over the S&P 500 and MSCI EM indices;
    ``change_in_imf_range`` compares our change with that range.
    """
    require_columns(returns, [crypto, equity])
    check_choice(volatility_transform, "volatility_transform", _VOLATILITY_TRANSFORMS)
    p0, p1 = _period(pre, "pre"), _period(post, "post")
    inputs: list[tuple[str, pd.DataFrame]] = [("returns", returns.loc[:, [crypto, equity]])]
    if volatility is not None:
        require_columns(volatility, [crypto, equity], "volatility")
        inputs.append(
            ("volatility", _transform_volatility(volatility.loc[:, [crypto, equity]], volatility_transform))
        )
    imf = {
        "returns": (IMF_RETURN_INCREASE, IMF_RETURN_LEVEL),
        "volatility": (IMF_VOLATILITY_INCREASE, IMF_VOLATILITY_LEVEL),
    }
    common = (
        f"ours: static bivariate VAR({lags}) of {crypto} and {equity} only, OLS with a constant, GFEVD "
        f"horizon {horizon}, one fit per period; {crypto} on the XNYS session grid (weekend and holiday "
        "moves compound into the next session)"
    )
    extra = {
        "returns": "daily log returns",
        "volatility": (
            f"Parkinson range volatility from the daily high/low, VAR on its {volatility_transform} (the "
            "crypto range is its UTC calendar day, not the equity session)"
        ),
    }
    theirs = (
        "IMF: figures pooled over the S&P 500 and MSCI EM; their variable set (incl. Tether), lag "
        "order, horizon, volatility measure and window not checked offline"
    )
    rows = []
    for measure, frame in inputs:
        fits = []
        for (lo, hi), label in ((p0, "pre"), (p1, "post")):
            sliced, _, _ = slice_period(frame, lo, hi, name=f"{measure} ({label} period)")
            fits.append(spillover_table(sliced, lags, horizon))
        (inc_lo, inc_hi), (lvl_lo, lvl_hi) = imf[measure]
        for sender, receiver, with_imf in ((crypto, equity, True), (equity, crypto, False)):
            before = fits[0].directional(sender, receiver)
            after = fits[1].directional(sender, receiver)
            change = after - before
            nan = float("nan")
            rows.append(
                {
                    "measure": measure,
                    "direction": f"{sender}->{receiver}",
                    "pre": before,
                    "post": after,
                    "change": change,
                    "imf_change_low": inc_lo if with_imf else nan,
                    "imf_change_high": inc_hi if with_imf else nan,
                    "imf_post_low": lvl_lo if with_imf else nan,
                    "imf_post_high": lvl_hi if with_imf else nan,
                    "change_in_imf_range": bool(inc_lo <= change <= inc_hi) if with_imf else None,
                    "n_pre": int(fits[0].nobs),
                    "n_post": int(fits[1].nobs),
                    "lags": int(lags),
                    "horizon": int(horizon),
                    "volatility_transform": volatility_transform if measure == "volatility" else "",
                    "method_difference": f"{common}; {extra[measure]}. {theirs}",
                    "imf_checked": IMF_CHECKED,
                }
            )
    out = pd.DataFrame(rows)
    out["change_in_imf_range"] = out["change_in_imf_range"].astype("boolean")
    return out


# ----------------------------------------------------------------------------- presentation


@dataclass(frozen=True)
class RangeVolatility:
    """Daily Parkinson volatility of a panel's tickers, or why there is none.

    Attributes
    ----------
    volatility
        Date x ticker (:func:`parkinson_volatility`), cut at the as-of date; ``None`` when the
        panel has no usable highs/lows for every requested ticker.
    note
        Empty when ``volatility`` is available, else one sentence saying what is missing.
    """

    volatility: pd.DataFrame | None
    note: str

    @property
    def available(self) -> bool:
        """True when a volatility frame exists."""
        return self.volatility is not None

    @property
    def log_volatility(self) -> pd.DataFrame | None:
        """``log`` of the volatility (zeros dropped), what the volatility VARs are fitted on."""
        return None if self.volatility is None else _transform_volatility(self.volatility, "log")


def _has_prices(frame: Any, ticker: str) -> bool:
    return ticker in frame.columns and bool(pd.to_numeric(frame[ticker], errors="coerce").notna().any())


def panel_range_volatility(
    clean: Any, tickers: Sequence[str], *, as_of: DateLike | None = None
) -> RangeVolatility:
    """Parkinson volatility from a cleaned panel's ``highs`` and ``lows``, when it has them.

    Parameters
    ----------
    clean
        A cleaned panel (:class:`analysis.clean.CleanResult`, or anything with ``lows`` and,
        once available, ``highs`` frames on the same price basis).
    tickers
        Tickers needed (e.g. ``["BTC-USD", "^NDX"]``).
    as_of
        Last date used (inclusive); ``None`` keeps every row.

    Returns
    -------
    RangeVolatility
        The volatility, or ``None`` with a note naming what is missing: the panel's ``highs``
        (older panels carry only lows) or the tickers without a High or Low column.

    Notes
    -----
    Never raises for missing data: the volatility sections are optional and are skipped with
    the note.
    """
    names = [str(t) for t in tickers]
    highs = getattr(clean, "highs", None)
    lows = getattr(clean, "lows", None)
    if not isinstance(highs, pd.DataFrame) or highs.empty:
        return RangeVolatility(
            None,
            "Volatility spillovers skipped: this panel has no intraday highs (the cleaned panel's "
            "`highs`), so no Parkinson range volatility can be computed.",
        )
    if not isinstance(lows, pd.DataFrame) or lows.empty:
        return RangeVolatility(None, "Volatility spillovers skipped: this panel has no intraday lows.")
    missing = [t for t in names if not (_has_prices(highs, t) and _has_prices(lows, t))]
    if missing:
        return RangeVolatility(
            None,
            f"Volatility spillovers skipped: no intraday high/low for {', '.join(missing)} in this panel.",
        )
    high = highs.loc[:, names].astype(np.float64)
    low = lows.reindex(index=high.index, columns=names).astype(np.float64)
    vol = parkinson_volatility(high, low)
    if as_of is not None:
        vol = vol.loc[vol.index <= as_timestamp(as_of, "as_of").normalize()]
    return RangeVolatility(vol, "")


def rolling_by_measure(
    returns: pd.DataFrame,
    volatility: RangeVolatility | None,
    window: int,
    lags: int = DEFAULT_LAGS,
    horizon: int = DEFAULT_HORIZON,
    *,
    columns: Sequence[str],
) -> dict[str, RollingSpillover]:
    """Rolling spillovers of ``columns`` for returns and, when available, log range volatility.

    Parameters
    ----------
    returns
        Wide daily log returns.
    volatility
        From :func:`panel_range_volatility` (same tickers); ``None`` or unavailable: returns only.
    window, lags, horizon
        As in :func:`rolling_spillover`.
    columns
        The variables.

    Returns
    -------
    dict
        ``{"returns": ..., VOLATILITY_MEASURE: ...}`` (the second only with volatility).
    """
    out = {"returns": rolling_spillover(returns, window, lags, horizon, columns=columns)}
    log_vol = None if volatility is None else volatility.log_volatility
    if log_vol is not None:
        out[VOLATILITY_MEASURE] = rolling_spillover(log_vol, window, lags, horizon, columns=columns)
    return out


def imf_section(
    returns: pd.DataFrame,
    clean: Any = None,
    *,
    crypto: str = "BTC-USD",
    equity: str = "^GSPC",
    as_of: DateLike | None = None,
    lags: int = DEFAULT_LAGS,
    horizon: int = DEFAULT_HORIZON,
) -> tuple[pd.DataFrame | None, str]:
    """The IMF comparison for a notebook: the table (or ``None``) and the sentence (or why not).

    Parameters
    ----------
    returns
        Wide daily log returns (from 2017 for the IMF's periods).
    clean
        The cleaned panel, for range volatility (:func:`panel_range_volatility`); ``None``:
        returns only.
    crypto, equity, as_of, lags, horizon
        As in :func:`imf_comparison` / :func:`panel_range_volatility`.

    Returns
    -------
    (comparison, text)
        ``comparison`` from :func:`imf_comparison` and :func:`imf_sentence`; or ``None`` and
        the :func:`imf_data_gap` sentence when the data do not cover the IMF's periods.
    """
    gap = imf_data_gap(returns, crypto=crypto, equity=equity, lags=lags)
    if gap:
        return None, gap
    vol = panel_range_volatility(clean, [crypto, equity], as_of=as_of)
    comparison = imf_comparison(
        returns, vol.volatility, crypto=crypto, equity=equity, lags=lags, horizon=horizon
    )
    return comparison, imf_sentence(comparison, volatility_note=vol.note)


def _needed_rows(lags: int, k: int) -> int:
    return MIN_RESIDUAL_DF + lags + 1 + k * lags


def imf_data_gap(
    returns: pd.DataFrame,
    *,
    crypto: str = "BTC-USD",
    equity: str = "^GSPC",
    pre: tuple[DateLike, DateLike] = IMF_PRE,
    post: tuple[DateLike, DateLike] = IMF_POST,
    lags: int = DEFAULT_LAGS,
) -> str:
    """Why :func:`imf_comparison` cannot run on ``returns`` (empty string when it can).

    Returns
    -------
    str
        A sentence naming the missing ticker, the period only partly covered (data starting or
        ending more than :data:`PERIOD_EDGE_DAYS` days inside it, e.g. a study that starts after
        2017) or with too few complete sessions for the VAR, or ``""``.
    """
    missing = [t for t in (crypto, equity) if t not in returns.columns]
    if missing:
        return f"IMF comparison skipped: no returns for {', '.join(missing)}."
    p = check_int(lags, "lags", minimum=1, unit="lags")
    need = _needed_rows(p, 2)
    both = returns.loc[:, [crypto, equity]].astype(np.float64).dropna()
    for label, period in (("pre", pre), ("post", post)):
        lo, hi = _period(period, label)
        inside = both.index[(both.index >= lo) & (both.index <= hi)]
        n = len(inside)
        edge = pd.Timedelta(days=PERIOD_EDGE_DAYS)
        if n and (inside[0] > lo + edge or inside[-1] < hi - edge):
            return (
                f"IMF comparison skipped: the {label} period {lo:%Y-%m-%d} .. {hi:%Y-%m-%d} is only partly "
                f"covered ({inside[0]:%Y-%m-%d} .. {inside[-1]:%Y-%m-%d} with both {crypto} and {equity}); "
                f"start the study by {lo:%Y-%m-%d} (request start) to run it."
            )
        if n < need:
            return (
                f"IMF comparison skipped: the {label} period {lo:%Y-%m-%d} .. {hi:%Y-%m-%d} has {n} sessions "
                f"with both {crypto} and {equity}; a VAR({p}) needs {need}. Start the study by "
                f"{pd.Timestamp(IMF_PRE[0]):%Y-%m-%d} (request start) to run it."
            )
    return ""


def _range_text(lo: float, hi: float) -> str:
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return "–"
    return f"{lo:g} to {hi:g}"


def _years(period: tuple[DateLike, DateLike]) -> str:
    lo, hi = _period(period, "period")
    return f"{lo.year}-{str(hi.year)[-2:]}" if lo.year != hi.year else str(lo.year)


def imf_table(
    comparison: pd.DataFrame,
    *,
    pre: tuple[DateLike, DateLike] = IMF_PRE,
    post: tuple[DateLike, DateLike] = IMF_POST,
) -> pd.DataFrame:
    """The IMF comparison for reading: our figures beside the IMF's, and how the methods differ.

    Parameters
    ----------
    comparison
        Output of :func:`imf_comparison`.
    pre, post
        The periods it was computed on (column labels).

    Returns
    -------
    pd.DataFrame
        One row per (measure, direction): ``measure, direction``, ours before / after (percent),
        our change (points), the IMF's change and pandemic level (text ranges, ``–`` where the
        IMF gives none), whether our change lies in the IMF range, the sessions used and the
        method difference (written once per measure).
    """
    require_columns(comparison, ["measure", "direction", "pre", "post", "change"], "the IMF comparison")
    before, after = _years(pre), _years(post)
    rows = []
    seen: set[str] = set()
    for r in comparison.to_dict("records"):
        measure = str(r["measure"])
        in_range = r.get("change_in_imf_range")
        rows.append(
            {
                "measure": measure,
                "direction": str(r["direction"]).replace("->", " → "),
                f"ours {before} (%)": float(r["pre"]),
                f"ours {after} (%)": float(r["post"]),
                "ours change (pts)": float(r["change"]),
                "IMF change (pts)": _range_text(float(r["imf_change_low"]), float(r["imf_change_high"])),
                f"IMF level {after} (%)": _range_text(float(r["imf_post_low"]), float(r["imf_post_high"])),
                "in IMF range": "–"
                if in_range is None or pd.isna(in_range)
                else ("yes" if in_range else "no"),
                "sessions (pre / post)": f"{int(r['n_pre'])} / {int(r['n_post'])}",
                "method difference": "(as above)" if measure in seen else str(r.get("method_difference", "")),
            }
        )
        seen.add(measure)
    return pd.DataFrame(rows)


def imf_sentence(comparison: pd.DataFrame, *, volatility_note: str = "") -> str:
    """What our bitcoin -> equity spillovers say beside the IMF's, computed from :func:`imf_comparison`.

    Parameters
    ----------
    comparison
        Output of :func:`imf_comparison`.
    volatility_note
        Why volatility spillovers are absent (from :class:`RangeVolatility`), if they are.
    """
    parts = []
    for r in comparison.to_dict("records"):
        if pd.isna(r.get("imf_change_low")):
            continue
        lo, hi = float(r["imf_change_low"]), float(r["imf_change_high"])
        change = float(r["change"])
        where = "within" if lo <= change <= hi else "above" if change > hi else "below"
        parts.append(
            f"{r['measure']}: {r['direction'].replace('->', ' → ')} spillover {float(r['pre']):.1f}% → "
            f"{float(r['post']):.1f}%, a change of **{change:+.1f} points**, {where} the IMF's "
            f"{lo:g} to {hi:g} points"
        )
    if not parts:
        return "*No IMF figure to compare with.*"
    text = "; ".join(parts) + ". "
    if volatility_note:
        text += volatility_note + " "
    return (
        text + "The IMF pools the S&P 500 and MSCI EM in a larger system; ours is a bivariate VAR on XNYS "
        "sessions, so agreement in sign and rough size is what can be expected. "
        f"IMF figures: {IMF_CHECKED} ({IMF_CITATION})."
    )


def spillover_sentence(result: SpilloverResult, sender: str, receiver: str) -> str:
    """The static spillover table in one paragraph (total, directional, the pair of interest)."""
    net = result.net
    top, bottom = str(net.idxmax()), str(net.idxmin())
    pair = ""
    if sender in result.tickers and receiver in result.tickers:
        pair = (
            f" Directly, {result.directional(sender, receiver):.1f}% of {receiver}'s forecast-error variance "
            f"comes from {sender} shocks and {result.directional(receiver, sender):.1f}% of {sender}'s from "
            f"{receiver} (net {result.pairwise_net(sender, receiver):+.1f} points from {sender} to "
            f"{receiver})."
        )
    return (
        f"Over {result.start:%Y-%m-%d} .. {result.end:%Y-%m-%d} ({result.nobs} sessions with every series; "
        f"VAR({result.lags}), {result.horizon}-session horizon) the total spillover index is "
        f"**{result.total:.1f}%**: on average that share of each series' forecast-error variance comes from "
        f"the others. Largest net transmitter: {top} ({float(net[top]):+.1f} points); largest net receiver: "
        f"{bottom} ({float(net[bottom]):+.1f})." + pair
    )


def rolling_sentence(rolling: Mapping[str, RollingSpillover], sender: str, receiver: str) -> str:
    """Rolling total and net ``sender -> receiver`` spillovers, per measure, in one paragraph."""
    parts = []
    for measure, roll in rolling.items():
        total = roll.total
        net = roll.pairwise_net(sender, receiver)
        parts.append(
            f"{measure} ({len(total)} windows of {roll.window} sessions, last ending "
            f"{total.index[-1]:%Y-%m-%d}): total {float(total.iloc[-1]):.1f}% (range "
            f"{float(total.min()):.1f} to {float(total.max()):.1f}, peak "
            f"{total.index[int(total.argmax())]:%Y-%m-%d}); net {sender} → {receiver} "
            f"{float(net.iloc[-1]):+.1f} points, positive in "
            f"{PERCENT * float((net > 0).mean()):.0f}% of windows"
        )
    return ("; ".join(parts) + ".") if parts else "*No rolling spillovers were computed.*"


def spillover_headline(
    result: SpilloverResult | None,
    rolling: Mapping[str, RollingSpillover] | None,
    comparison: pd.DataFrame | None,
    *,
    sender: str = "BTC-USD",
    receiver: str = "^NDX",
    pre: tuple[DateLike, DateLike] = IMF_PRE,
    post: tuple[DateLike, DateLike] = IMF_POST,
) -> list[dict[str, Any]]:
    """Headline numbers of the spillover sections (sections that were skipped give none).

    ``pre`` and ``post`` are the periods of ``comparison`` (for its label).

    Returns
    -------
    list of dict
        ``name, value, unit, text, note``: total spillover (%, the ``sender -> receiver`` share
        in the note), the last rolling net spillover (points) per measure, the IMF comparison
        change (points).
    """
    out: list[dict[str, Any]] = []
    if result is not None:
        span = f"{result.start:%Y-%m-%d} .. {result.end:%Y-%m-%d}, {len(result.tickers)} series"
        pair = ""
        if sender in result.tickers and receiver in result.tickers:
            pair = f"; {sender} → {receiver}: {result.directional(sender, receiver):.1f}%"
        out.append(
            {
                "name": "Total spillover index (returns)",
                "value": result.total,
                "unit": "%",
                "text": f"{result.total:.1f}%",
                "note": span + pair,
            }
        )
    for measure, roll in (rolling or {}).items():
        net = roll.pairwise_net(sender, receiver)
        out.append(
            {
                "name": f"Net spillover {sender} → {receiver}, last {roll.window}-session window ({measure})",
                "value": float(net.iloc[-1]),
                "unit": "pts",
                "text": f"{float(net.iloc[-1]):+.1f} pts",
                "note": f"window ending {net.index[-1]:%Y-%m-%d}",
            }
        )
    if comparison is not None:
        for r in comparison.to_dict("records"):
            if pd.isna(r.get("imf_change_low")):
                continue
            out.append(
                {
                    "name": f"Change in {r['direction'].replace('->', ' → ')} spillover, {_years(pre)} to "
                    f"{_years(post)} ({r['measure']})",
                    "value": float(r["change"]),
                    "unit": "pts",
                    "text": f"{float(r['change']):+.1f} pts",
                    "note": f"IMF: {float(r['imf_change_low']):g} to {float(r['imf_change_high']):g} pts",
                }
            )
    return out
