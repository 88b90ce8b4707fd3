"""Panel-wide rolling statistics: rolling OLS betas and rolling correlations of many tickers at once.

One vectorised pass serves a whole universe (every listed miner, the Nasdaq-100 as a
comparison group) instead of one statsmodels ``RollingOLS`` or pandas ``rolling().corr()``
call per ticker. Both functions rest on one kernel, :func:`_window_moments`: windowed sums
of the complete observations of each ticker (its own return and every factor present),
taken as differences of cumulative sums, from which the centred cross-products of each
window follow in closed form.

Numerical stability
-------------------
Raw cross-products of large values cancel catastrophically when centred
(``sum x^2 - n mean^2``). The kernel therefore works on *shifted* data: the rows are cut
into blocks of window ends (:data:`BLOCK_ROWS` or the window, whichever is longer), and
each block subtracts its own origin from every series, the mean of that series over the
rows the block's windows read (a local shifted origin). Cumulative sums restart in every
block, so neither the size of the values nor the length of the sample accumulates
rounding error. OLS with a constant is invariant to the shift; the intercept is shifted
back at the end. A window whose data still sit far from its block's origin relative to
their spread (a level step inside the block) would lose digits: any window whose sum of
squares about the origin exceeds :data:`CANCELLATION_LIMIT` times its centred sum is
recomputed by exact two-pass centring of its own rows (none, on ordinary returns).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal, NamedTuple

import numpy as np
import pandas as pd

from ._validation import check_choice, check_index, check_int, check_window_length, require_columns
from .errors import ConfigError, DataQualityError

__all__ = [
    "BLOCK_ROWS",
    "CANCELLATION_LIMIT",
    "COLLINEAR_TOL",
    "CONST",
    "CONSTANT_RTOL",
    "DEFAULT_MIN_NOBS_FRACTION",
    "MIN_CORRELATION_WINDOW",
    "RollingBetasPanel",
    "rolling_betas_panel",
    "rolling_correlation_panel",
]

#: Name of the intercept (as in :mod:`analysis.exposure`).
CONST = "const"
#: Default ``min_nobs`` of rolling betas as a fraction of the window (as in :mod:`analysis.exposure`).
DEFAULT_MIN_NOBS_FRACTION = 0.8
#: Fewest sessions in a rolling-correlation window (as in :func:`analysis.correlation.rolling_correlation`).
MIN_CORRELATION_WINDOW = 3
#: A series is constant in a window when its centred sum of squares is at most this fraction of
#: its sum of squares about zero (standard deviation <= 1e-13 of the root mean square: the
#: rounding level of an exact two-pass mean, far below any real variation).
CONSTANT_RTOL = 1e-26
#: Factors are collinear in a window when the determinant of their correlation matrix is at most
#: this (the smallest eigenvalue is then below ``e * COLLINEAR_TOL``).
COLLINEAR_TOL = 1e-12
#: Windows whose sum of squares about the block origin exceeds this multiple of the centred sum
#: (more than 6 of 16 digits lost to cancellation) are recomputed by exact two-pass centring.
CANCELLATION_LIMIT = 1e6
#: Fewest window ends per block of the kernel (each block has its own shifted origin).
BLOCK_ROWS = 256
#: Most values gathered at once when recomputing windows exactly (bounds the working memory).
RECOMPUTE_CHUNK = 1 << 20
#: Tickers per pass of the kernel (bounds the working memory, about 10 floats per ticker-row).
TICKER_CHUNK = 128

_LAYOUTS = ("wide", "long")


# ----------------------------------------------------------------------------- the kernel


class _Moments(NamedTuple):
    """Centred moments of the complete observations in each window, arrays of (tickers, window ends).

    Means are in shifted units (data minus the block origin); ``cxx[(j, l)]`` (j <= l),
    ``cxy[j]`` and ``cyy`` are centred cross-products.
    """

    n: np.ndarray
    mean_x: list[np.ndarray]
    mean_y: np.ndarray
    cxx: dict[tuple[int, int], np.ndarray]
    cxy: list[np.ndarray]
    cyy: np.ndarray
    origin_x: np.ndarray  # (k,)
    origin_y: np.ndarray  # (C,)


def _blocks(n_rows: int, window: int) -> Iterator[tuple[int, int]]:
    """Blocks ``[start, stop)`` of window ends sharing one shifted origin."""
    size = max(window, BLOCK_ROWS)
    for start in range(0, n_rows, size):
        yield start, min(start + size, n_rows)


def _window_moments(
    y: np.ndarray, x: np.ndarray, x_ok: np.ndarray, window: int, start: int, stop: int
) -> _Moments:
    """Moments of the trailing windows ending at rows ``start .. stop - 1``.

    Parameters
    ----------
    y
        Ticker returns with time last, shape (C, T), NaN where missing.
    x
        Factor returns with time last, shape (k, T); ``x_ok`` (T,) is True where every
        factor is present.
    window
        Window length in rows; the window ending at row t covers rows
        ``max(0, t - window + 1) .. t``.
    start, stop
        Window ends of this block.

    Notes
    -----
    A row is complete for a ticker when the ticker and every factor are present (listwise
    deletion, as ``RollingOLS(missing="drop")``). Windowed sums are differences of
    cumulative sums over the block's rows only, of data shifted by the block's origin (the
    mean of each series over those rows), so ``sum (x - a)^2 - n (mean - a)^2`` loses no
    digits to the level of the data.
    """
    k = x.shape[0]
    lo = max(0, start - window + 1)
    ys = y[:, lo:stop]
    fok = x_ok[lo:stop]
    valid = fok & ~np.isnan(ys)
    origin_x = x[:, lo:stop][:, fok].mean(axis=1) if fok.any() else np.zeros(k)
    zx = np.where(fok, x[:, lo:stop] - origin_x[:, None], 0.0)
    count = valid.sum(axis=1)
    total = np.where(valid, ys, 0.0).sum(axis=1)
    origin_y = np.divide(total, count, out=np.zeros_like(total), where=count > 0)
    zy = np.where(valid, ys - origin_y[:, None], 0.0)
    vf = valid.astype(np.float64)

    pairs = [(a, b) for a in range(k) for b in range(a, k)]
    # Terms: n | sum x_j | sum y | sum x_j x_l (j <= l) | sum x_j y | sum y^2; time last.
    n_terms = 3 + 2 * k + len(pairs)
    csum = np.empty((n_terms, *ys.shape[:1], ys.shape[1] + 1))
    csum[..., 0] = 0.0
    body = csum[..., 1:]
    body[0] = vf
    for j in range(k):
        np.multiply(vf, zx[j], out=body[1 + j])
        np.multiply(zy, zx[j], out=body[2 + k + len(pairs) + j])
    body[1 + k] = zy
    for t, (a, b) in enumerate(pairs):
        np.multiply(vf, zx[a] * zx[b], out=body[2 + k + t])
    np.multiply(zy, zy, out=body[-1])
    np.cumsum(body, axis=-1, out=body)
    ends = np.arange(start, stop) - lo + 1
    sums = csum[..., ends] - csum[..., np.maximum(ends - window, 0)]

    n = sums[0]
    with np.errstate(invalid="ignore", divide="ignore"):  # empty windows give NaN moments
        inv_n = 1.0 / n
        mean_x = [sums[1 + j] * inv_n for j in range(k)]
        mean_y = sums[1 + k] * inv_n
        cxx = {(a, b): sums[2 + k + t] - n * mean_x[a] * mean_x[b] for t, (a, b) in enumerate(pairs)}
        cxy = [sums[2 + k + len(pairs) + j] - n * mean_x[j] * mean_y for j in range(k)]
        syy = sums[-1]
        cyy = syy - n * mean_y * mean_y
    m = _Moments(n, mean_x, mean_y, cxx, cxy, cyy, origin_x, origin_y)
    # Guard: a window whose data sit far from the block origin relative to their spread (a level
    # step inside the block) lost digits; recompute those few windows exactly.
    with np.errstate(invalid="ignore"):
        lossy = sums[-1] > CANCELLATION_LIMIT * cyy
        for j in range(k):
            lossy |= sums[2 + k + pairs.index((j, j))] > CANCELLATION_LIMIT * cxx[(j, j)]
    lossy &= n >= 2
    if lossy.any():
        _recompute(m, y, x, x_ok, window, start, lossy)
    return m


def _recompute(
    m: _Moments, y: np.ndarray, x: np.ndarray, x_ok: np.ndarray, window: int, start: int, where: np.ndarray
) -> None:
    """Overwrite the moments of the windows flagged in ``where`` by exact two-pass centring.

    Vectorised over the flagged windows (each gathers its own ``window`` rows), in chunks of at
    most :data:`RECOMPUTE_CHUNK` values.
    """
    k = x.shape[0]
    cols, ends = np.nonzero(where)
    offsets = np.arange(1 - window, 1)
    step = max(1, RECOMPUTE_CHUNK // window)
    for a in range(0, len(cols), step):
        ci, bi = cols[a : a + step], ends[a : a + step]
        rows = (start + bi)[:, None] + offsets
        inside = rows >= 0
        rows = np.maximum(rows, 0)
        yy = y[ci[:, None], rows]
        xx = x[:, rows]
        valid = inside & x_ok[rows] & ~np.isnan(yy)
        n = valid.sum(axis=1)
        my = np.where(valid, yy, 0.0).sum(axis=1) / n
        dy = np.where(valid, yy - my[:, None], 0.0)
        mx = [np.where(valid, xx[j], 0.0).sum(axis=1) / n for j in range(k)]
        dx = [np.where(valid, xx[j] - mx[j][:, None], 0.0) for j in range(k)]
        m.mean_y[ci, bi] = my - m.origin_y[ci]
        m.cyy[ci, bi] = (dy * dy).sum(axis=1)
        for j in range(k):
            m.mean_x[j][ci, bi] = mx[j] - m.origin_x[j]
            m.cxy[j][ci, bi] = (dx[j] * dy).sum(axis=1)
            for q in range(j, k):
                m.cxx[(j, q)][ci, bi] = (dx[j] * dx[q]).sum(axis=1)


def _sum_sq(centred: np.ndarray, n: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """Sum of squares about zero from centred moments: the scale of a window's rounding error."""
    return np.asarray(centred + n * mean * mean)


def _solve(m: _Moments) -> tuple[list[np.ndarray], np.ndarray]:
    """Slopes of every window from the centred normal equations, and where they are singular.

    Returns
    -------
    beta, singular
        ``beta[j]`` per factor (rounding noise where singular) and a boolean array.

    Notes
    -----
    Solves ``Cxx b = Cxy`` as ``R b* = r`` on the correlation scale (``R = D^-1/2 Cxx D^-1/2``,
    ``b = D^-1/2 b*``) by an LDL' factorisation vectorised over windows (hand-written:
    ``np.linalg.solve``/``det`` make one LAPACK call per 2x2 system, about 10x slower here).
    Singular: a factor constant in the window (:data:`CONSTANT_RTOL`) or
    ``det R = prod(pivots) <= COLLINEAR_TOL`` (collinear factors).
    """
    k = len(m.cxy)
    singular = m.n < 1
    scale = []
    for j in range(k):
        var = m.cxx[(j, j)]
        flat = var <= CONSTANT_RTOL * _sum_sq(var, m.n, m.mean_x[j] + m.origin_x[j])
        singular = singular | flat
        with np.errstate(invalid="ignore", divide="ignore"):
            scale.append(np.where(flat, 0.0, 1.0 / np.sqrt(var)))
    r = {(j, i): m.cxx[(i, j)] * scale[i] * scale[j] for i in range(k) for j in range(i + 1, k)}
    low: dict[tuple[int, int], np.ndarray] = {}
    piv: list[np.ndarray] = []
    det = np.ones_like(m.n)
    for j in range(k):
        d = np.ones_like(m.n)
        for c in range(j):
            d = d - low[(j, c)] ** 2 * piv[c]
        det = det * np.maximum(d, 0.0)  # a non-positive pivot is singular
        d = np.where(singular | (d <= 0.0), 1.0, d)  # keep the arithmetic finite; masked below
        piv.append(d)
        for i in range(j + 1, k):
            v = r[(i, j)]
            for c in range(j):
                v = v - low[(i, c)] * low[(j, c)] * piv[c]
            low[(i, j)] = v / d
    singular = singular | (det <= COLLINEAR_TOL)
    z: list[np.ndarray] = []
    for i in range(k):
        v = m.cxy[i] * scale[i]
        for c in range(i):
            v = v - low[(i, c)] * z[c]
        z.append(v)
    star: list[np.ndarray] = [np.empty(0)] * k
    for i in reversed(range(k)):
        v = z[i] / piv[i]
        for c in range(i + 1, k):
            v = v - low[(c, i)] * star[c]
        star[i] = v
    return [star[j] * scale[j] for j in range(k)], np.asarray(singular)


# ----------------------------------------------------------------------------- arguments


def _names(value: Sequence[str] | str, what: str, example: str) -> tuple[str, ...]:
    names = (value,) if isinstance(value, str) else tuple(value)
    if not names:
        raise ConfigError(f"{what} is empty: pass at least one ticker, e.g. {example}")
    if len(set(names)) != len(names):
        dup = next(t for t in names if names.count(t) > 1)
        raise ConfigError(f"{what} contains {dup!r} twice: pass each ticker once")
    return names


def _columns(returns: pd.DataFrame, names: Sequence[str]) -> np.ndarray:
    """Columns of ``returns`` as float64 (NaN where missing); infinite values are refused."""
    values = returns.loc[:, list(names)].to_numpy(dtype=np.float64, na_value=np.nan)
    inf = np.isinf(values)
    if inf.any():
        row, col = (int(i[0]) for i in np.nonzero(inf))
        raise DataQualityError(
            f"{names[col]}: infinite return on {pd.Timestamp(returns.index[row]).date()}; "
            "recompute returns from cleaned prices (analysis.clean)"
        )
    return values


def _check_inputs(
    returns: pd.DataFrame, tickers: Sequence[str] | str, factors: Sequence[str] | str
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    require_columns(returns, [], "returns")
    check_index(returns, "returns")
    if returns.empty:
        raise ConfigError("returns is empty: pass a frame with at least one session and one ticker")
    tick = _names(tickers, "tickers", "['IREN', 'WULF']")
    fac = _names(factors, "factors", "('BTC-USD', '^NDX')")
    both = [t for t in tick if t in fac]
    if both:
        raise ConfigError(f"ticker {both[0]!r} is also a factor {fac}: regress it on other factors")
    require_columns(returns, [*tick, *fac], "returns")
    return tick, fac


# ----------------------------------------------------------------------------- rolling betas


@dataclass(frozen=True, eq=False)
class RollingBetasPanel:
    """Rolling OLS coefficients of many tickers on the same factors.

    ``res[ticker]`` is the frame :func:`analysis.exposure.rolling_betas` returns for that
    ticker (columns ``const``, the factors, ``r2``, ``nobs``), so ``res[ticker][factor]`` is a
    Series over sessions. No standard errors are computed (hence no ``conf_int``).

    Attributes
    ----------
    tickers, factors
        Dependent tickers and factors, in the order given.
    window, min_nobs
        Window length in sessions and fewest complete observations for an estimate.
    params
        Sessions x two-level columns ``(ticker, param)``, ``param`` in ``const`` then the
        factors; NaN where a window has no estimate.
    rsquared
        Sessions x tickers: R-squared of each window's regression (NaN where no estimate or
        the ticker is constant in the window).
    nobs
        Sessions x tickers, integers: complete observations (ticker and every factor present)
        in each trailing window, also where there is no estimate.
    """

    tickers: tuple[str, ...]
    factors: tuple[str, ...]
    window: int
    min_nobs: int
    params: pd.DataFrame
    rsquared: pd.DataFrame
    nobs: pd.DataFrame

    def __getitem__(self, ticker: str) -> pd.DataFrame:
        """One ticker's rolling coefficients, ``r2`` and ``nobs`` (NaN where no estimate)."""
        if ticker not in self.tickers:
            raise KeyError(f"{ticker!r} is not in this panel; tickers: {', '.join(self.tickers)}")
        out = pd.DataFrame(self.params[ticker])
        out.columns = pd.Index([str(c) for c in out.columns])
        estimated = out[CONST].notna().to_numpy()
        out["r2"] = self.rsquared[ticker]
        out["nobs"] = np.where(estimated, self.nobs[ticker].to_numpy(dtype=np.float64), np.nan)
        return out

    def __iter__(self) -> Iterator[str]:
        """Iterate over the tickers."""
        return iter(self.tickers)

    def __len__(self) -> int:
        """Number of tickers."""
        return len(self.tickers)

    def __contains__(self, ticker: object) -> bool:
        """True if ``ticker`` is one of the dependent tickers."""
        return ticker in self.tickers

    def param(self, name: str) -> pd.DataFrame:
        """Sessions x tickers frame of one coefficient (``const`` or a factor)."""
        names = (CONST, *self.factors)
        if name not in names:
            raise ConfigError(f"param must be one of {list(names)}, got {name!r}")
        out = pd.DataFrame(self.params.xs(name, axis=1, level="param"))
        out.columns = pd.Index([str(c) for c in out.columns], name="ticker")
        return out

    def to_dict(self) -> dict[str, pd.DataFrame]:
        """``{ticker: res[ticker]}``, e.g. for :func:`analysis.plots.rolling_betas`."""
        return {t: self[t] for t in self.tickers}

    def to_frame(self, layout: Literal["wide", "long"] = "wide") -> pd.DataFrame:
        """Every window as one frame.

        Parameters
        ----------
        layout
            ``"wide"``: sessions x two-level columns ``(ticker, column)`` with the columns of
            ``res[ticker]`` (accepted by :func:`analysis.plots.rolling_betas`). ``"long"``:
            one row per estimated (date, ticker, param) with columns ``date, ticker, param,
            coef``.
        """
        check_choice(layout, "layout", _LAYOUTS)
        if layout == "wide":
            return pd.concat(self.to_dict(), axis=1, names=["ticker", "column"])
        melted = self.params.rename_axis("date").melt(ignore_index=False, value_name="coef")
        out = melted.dropna(subset=["coef"]).reset_index()
        out = out.loc[:, ["date", "ticker", "param", "coef"]]
        out["ticker"] = out["ticker"].astype(str)
        out["param"] = out["param"].astype(str)
        return out

    def summary_frame(self) -> pd.DataFrame:
        """One row per estimated window: ``date, ticker, const, <factors>, r2, nobs`` (int)."""
        rows = []
        for t in self.tickers:
            frame = self[t].dropna(subset=[CONST])
            if frame.empty:
                continue
            frame = frame.rename_axis("date").reset_index()
            frame.insert(1, "ticker", t)
            rows.append(frame)
        cols = ["date", "ticker", CONST, *self.factors, "r2", "nobs"]
        if not rows:
            return pd.DataFrame({c: pd.Series(dtype=object) for c in cols}).astype({"nobs": "int64"})
        out = pd.concat(rows, ignore_index=True).loc[:, cols]
        out["nobs"] = out["nobs"].astype("int64")
        return out


def rolling_betas_panel(
    returns: pd.DataFrame,
    tickers: Sequence[str] | str,
    factors: Sequence[str] | str,
    window: int,
    *,
    min_nobs: int | None = None,
) -> RollingBetasPanel:
    """Rolling OLS betas of every ticker on the same factors, all tickers in one pass.

    Parameters
    ----------
    returns
        Wide daily log returns (sessions x tickers) on a sorted ``DatetimeIndex``, NaN where
        a ticker has no data.
    tickers
        Dependent tickers, e.g. ``["IREN", "WULF", "HUT", "ABTC"]``.
    factors
        Factor columns, e.g. ``("BTC-USD", "^NDX")``.
    window
        Window length in sessions (rows of ``returns``), trailing and including the row's own
        session; at least k + 2 for k factors.
    min_nobs
        Fewest complete observations in a window for an estimate, in ``[k + 2, window]``;
        ``None`` uses ``max(k + 2, ceil(DEFAULT_MIN_NOBS_FRACTION * window))`` as
        :func:`analysis.exposure.rolling_betas` does.

    Returns
    -------
    RollingBetasPanel

    Raises
    ------
    ConfigError
        Unknown, duplicated or overlapping tickers and factors, a bad index, ``window``
        longer than the data or too short, ``min_nobs`` out of range.
    DataQualityError
        An infinite return.

    Notes
    -----
    Per ticker and window: ``y_t = a + sum_j b_j f_{j,t} + e_t`` by OLS over the window's
    complete rows (ticker and every factor present; listwise deletion). Equal to statsmodels
    ``RollingOLS(y, add_constant(F), window, min_nobs=min_nobs, missing="drop")``: no
    estimate before the first full window (row ``window - 1``) nor where fewer than
    ``min_nobs`` complete rows remain. Where a factor is constant in the window or the
    factors are collinear (:data:`CONSTANT_RTOL`, :data:`COLLINEAR_TOL`) the window is NaN;
    statsmodels is NaN there only if the singularity is exact and otherwise returns rounding
    noise.
    The slopes solve the centred normal equations ``Cxx b = Cxy`` (the (k+1)-equation system
    with the intercept eliminated), batched over windows; ``a = mean(y) - b'mean(f)``;
    ``R^2 = b'Cxy / Cyy`` (NaN where the ticker is constant in the window).
    """
    tick, fac = _check_inputs(returns, tickers, factors)
    k = len(fac)
    n_params = k + 1
    window = check_int(window, "window", minimum=n_params + 1)
    check_window_length(window, len(returns))
    if min_nobs is None:
        min_nobs = max(n_params + 1, math.ceil(DEFAULT_MIN_NOBS_FRACTION * window))
    min_nobs = check_int(min_nobs, "min_nobs", minimum=n_params + 1, unit="observations")
    if min_nobs > window:
        raise ConfigError(f"min_nobs must be between {n_params + 1} and window={window}, got {min_nobs}")

    y_all = np.ascontiguousarray(_columns(returns, tick).T)
    x = np.ascontiguousarray(_columns(returns, fac).T)
    x_ok = ~np.isnan(x).any(axis=0)
    n_tick, n_rows = y_all.shape
    # Outputs in their final (sessions, tickers[, params]) layout: the frames wrap them uncopied.
    coef = np.full((n_rows, n_tick, n_params), np.nan)
    r2 = np.full((n_rows, n_tick), np.nan)
    nobs = np.zeros((n_rows, n_tick), dtype=np.int64)
    for c0 in range(0, n_tick, TICKER_CHUNK):
        c1 = min(c0 + TICKER_CHUNK, n_tick)
        for start, stop in _blocks(n_rows, window):
            m = _window_moments(y_all[c0:c1], x, x_ok, window, start, stop)
            counts = np.rint(m.n).astype(np.int64)
            nobs[start:stop, c0:c1] = counts.T
            beta, singular = _solve(m)
            ok = (np.arange(start, stop) >= window - 1) & (counts >= min_nobs) & ~singular
            shifted = m.mean_y - sum(b * mx for b, mx in zip(beta, m.mean_x, strict=True))
            origin = m.origin_y[:, None] - sum(b * o for b, o in zip(beta, m.origin_x, strict=True))
            with np.errstate(invalid="ignore", divide="ignore"):
                explained = sum(b * c for b, c in zip(beta, m.cxy, strict=True)) / m.cyy
            flat_y = m.cyy <= CONSTANT_RTOL * _sum_sq(m.cyy, m.n, m.mean_y + m.origin_y[:, None])
            coef[start:stop, c0:c1, 0] = np.where(ok, shifted + origin, np.nan).T
            for j, b in enumerate(beta, start=1):
                coef[start:stop, c0:c1, j] = np.where(ok, b, np.nan).T
            r2[start:stop, c0:c1] = np.where(ok & ~flat_y, explained, np.nan).T

    index = returns.index
    columns = pd.MultiIndex.from_product([list(tick), [CONST, *fac]], names=["ticker", "param"])
    names = pd.Index(list(tick), name="ticker")
    return RollingBetasPanel(
        tickers=tick,
        factors=fac,
        window=window,
        min_nobs=min_nobs,
        params=pd.DataFrame(coef.reshape(n_rows, -1), index=index, columns=columns, copy=False),
        rsquared=pd.DataFrame(r2, index=index, columns=names, copy=False),
        nobs=pd.DataFrame(nobs, index=index, columns=names, copy=False),
    )


# ----------------------------------------------------------------------------- rolling correlation


def rolling_correlation_panel(
    returns: pd.DataFrame,
    tickers: Sequence[str] | str,
    factor: str,
    window: int,
    *,
    min_periods: int | None = None,
) -> pd.DataFrame:
    """Rolling Pearson correlation of many tickers with one factor, all tickers in one pass.

    Parameters
    ----------
    returns
        Wide return frame on a sorted ``DatetimeIndex``.
    tickers
        Tickers to correlate with ``factor``.
    factor
        One column, e.g. ``"BTC-USD"``.
    window
        Window length in sessions (>= 3).
    min_periods
        Fewest paired observations in a window (3 <= min_periods <= window; default
        ``window``).

    Returns
    -------
    pd.DataFrame
        Sessions x tickers; NaN until ``min_periods`` paired observations are in the
        window, and where either series is constant in the window.

    Raises
    ------
    ConfigError
        Unknown or duplicated tickers, the factor among the tickers, a bad index,
        ``window < 3``, a window longer than the data, a bad ``min_periods``.
    DataQualityError
        An infinite return.

    Notes
    -----
    ``rho_t = Cxy / sqrt(Cxx Cyy)`` over the window's sessions where both series are
    present, as ``returns[tickers].rolling(window, min_periods).corr(returns[factor])``
    (including partial windows at the start once ``min_periods`` pairs exist), and as
    :func:`analysis.correlation.rolling_correlation` per pair (clipped to [-1, 1]).
    """
    if not isinstance(factor, str):
        raise ConfigError(f"factor must be one ticker (a string), got {factor!r}")
    tick, fac = _check_inputs(returns, tickers, (factor,))
    window = check_int(window, "window", minimum=MIN_CORRELATION_WINDOW)
    check_window_length(window, len(returns))
    mp = (
        window
        if min_periods is None
        else check_int(min_periods, "min_periods", minimum=MIN_CORRELATION_WINDOW, unit="observations")
    )
    if mp > window:
        raise ConfigError(f"min_periods ({mp}) must be <= window ({window})")

    y_all = np.ascontiguousarray(_columns(returns, tick).T)
    x = np.ascontiguousarray(_columns(returns, fac).T)
    x_ok = ~np.isnan(x[0])
    n_tick, n_rows = y_all.shape
    rho = np.full((n_rows, n_tick), np.nan)
    for c0 in range(0, n_tick, TICKER_CHUNK):
        c1 = min(c0 + TICKER_CHUNK, n_tick)
        for start, stop in _blocks(n_rows, window):
            m = _window_moments(y_all[c0:c1], x, x_ok, window, start, stop)
            cxx = m.cxx[(0, 0)]
            flat_x = cxx <= CONSTANT_RTOL * _sum_sq(cxx, m.n, m.mean_x[0] + m.origin_x[0])
            flat = flat_x | (m.cyy <= CONSTANT_RTOL * _sum_sq(m.cyy, m.n, m.mean_y + m.origin_y[:, None]))
            with np.errstate(invalid="ignore", divide="ignore"):
                r = m.cxy[0] / np.sqrt(cxx * m.cyy)
            rho[start:stop, c0:c1] = np.where((m.n >= mp) & ~flat, np.clip(r, -1.0, 1.0), np.nan).T
    return pd.DataFrame(rho, index=returns.index, columns=pd.Index(list(tick), name="ticker"), copy=False)
