"""Dynamic conditional correlation (Engle 2002), estimated in two steps (Engle & Sheppard 2001).

Step 1 fits a univariate GARCH(1,1) with a constant mean and normal errors to each
series with :func:`arch.arch_model`; step 2 estimates the DCC parameters
``(alpha, beta)`` by maximum likelihood on the standardized residuals, with
correlation targeting. ``arch`` has no multivariate models yet (its DCC pull
request is open), so this module keeps a small DCC(1,1) of its own.

Correlation paths are columns named ``"A|B"`` (:data:`PAIR_SEPARATOR`), one per
unordered pair in the input's column order; :meth:`DCCResult.correlation` looks
a pair up in either order.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ._validation import check_index, check_open_unit, require_columns
from .errors import ConfigError

__all__ = [
    "BOUNDARY_TOLERANCE",
    "DCC_LABEL",
    "MAX_PERSISTENCE",
    "MIN_DCC_OBS",
    "OVERLAY_HALFLIFE",
    "OVERLAY_WINDOW",
    "PAIR_SEPARATOR",
    "DCCResult",
    "correlation_paths",
    "dcc_garch",
    "dcc_headline",
    "dcc_sentence",
    "pair_name",
]

#: Separator of the two tickers in a pair column name, e.g. ``"BTC-USD|^NDX"``.
PAIR_SEPARATOR = "|"
#: Fewest complete rows (all series present) for a DCC fit.
MIN_DCC_OBS = 100
#: Upper bound on ``alpha + beta`` (stationarity: strictly below 1).
MAX_PERSISTENCE = 1.0 - 1e-6
#: A parameter this close to a bound is "at the boundary": no standard error is reported.
BOUNDARY_TOLERANCE = 1e-4
#: Starting grid of the second-step optimiser (alpha x beta).
_START_ALPHAS: tuple[float, ...] = (0.01, 0.03, 0.06, 0.12)
_START_BETAS: tuple[float, ...] = (0.5, 0.8, 0.9, 0.95)
_PARAMS: tuple[str, ...] = ("alpha", "beta", "alpha+beta")
#: Column of the DCC path in :func:`correlation_paths`.
DCC_LABEL = "DCC(1,1)"
#: Rolling window (sessions) and EWMA half-life (sessions) of the overlays in :func:`correlation_paths`.
OVERLAY_WINDOW = 60
OVERLAY_HALFLIFE = 30
#: Sessions of the "recent" average quoted by :func:`dcc_sentence` (about one year).
RECENT_SESSIONS = 250


def pair_name(a: str, b: str) -> str:
    """Column name of the pair ``(a, b)``: ``"a|b"``."""
    return f"{a}{PAIR_SEPARATOR}{b}"


@dataclass(frozen=True)
class DCCResult:
    """Two-step DCC(1,1)-GARCH(1,1) fit.

    Attributes
    ----------
    alpha, beta
        DCC parameters: ``Q_t = (1 - alpha - beta) Qbar + alpha e_{t-1} e_{t-1}' + beta Q_{t-1}``.
        (``alpha`` here is the DCC news parameter; the significance level is the
        argument of :meth:`conf_int`.)
    loglik
        Gaussian log-likelihood of the returns (input units): volatility part
        (sum of the univariate GARCH log-likelihoods) plus correlation part.
    loglik_correlation
        The second-step (correlation) log-likelihood that was maximised.
    correlations
        Conditional correlations ``R_t``: index = dates used, columns ``"A|B"``.
    volatility
        Conditional standard deviations from step 1 (input units), date x ticker.
    std_resid
        Standardized residuals ``e_t = (r_t - mu) / sigma_t``, date x ticker.
    garch
        Step-1 parameters, one row per ticker: ``ticker, mu, omega, alpha, beta,
        persistence, loglik, scale, converged`` (``mu`` and ``omega`` in input
        units; ``scale`` is the factor ``arch`` rescaled the data by).
    unconditional
        ``Qbar``: sample correlation of the standardized residuals (ticker x ticker).
    cov_params
        2x2 covariance of ``(alpha, beta)`` from the inverse numerical Hessian of
        the second-step log-likelihood (NaN at a boundary).
    nobs
        Rows used (all series present).
    converged
        Whether step 2 and every step-1 fit converged.
    """

    alpha: float
    beta: float
    loglik: float
    loglik_correlation: float
    correlations: pd.DataFrame
    volatility: pd.DataFrame
    std_resid: pd.DataFrame
    garch: pd.DataFrame
    unconditional: pd.DataFrame
    cov_params: np.ndarray
    nobs: int
    converged: bool

    @property
    def tickers(self) -> tuple[str, ...]:
        """Tickers in input order."""
        return tuple(str(c) for c in self.std_resid.columns)

    @property
    def persistence(self) -> float:
        """``alpha + beta``."""
        return self.alpha + self.beta

    def correlation(self, a: str, b: str) -> pd.Series:
        """Conditional correlation path of ``a`` and ``b`` (either order).

        Raises
        ------
        ConfigError
            If the pair is not in the fit.
        """
        for name in (pair_name(a, b), pair_name(b, a)):
            if name in self.correlations.columns:
                out: pd.Series = self.correlations[name].rename(pair_name(a, b))
                return out
        raise ConfigError(f"pair {a!r}/{b!r} not in the DCC fit; fitted tickers: {', '.join(self.tickers)}")

    def _estimates(self) -> tuple[np.ndarray, np.ndarray]:
        est = np.array([self.alpha, self.beta, self.alpha + self.beta])
        cov = np.asarray(self.cov_params, dtype=np.float64)
        var_sum = cov[0, 0] + cov[1, 1] + 2.0 * cov[0, 1]
        se = np.sqrt(np.array([cov[0, 0], cov[1, 1], var_sum]))
        return est, se

    def conf_int(self, alpha: float = 0.05) -> pd.DataFrame:
        """Wald intervals ``estimate -+ z_{1-alpha/2} se`` for alpha, beta and alpha+beta.

        Parameters
        ----------
        alpha
            Significance level in (0, 1): the intervals are ``1 - alpha``.

        Returns
        -------
        pd.DataFrame
            Index ``parameter``, columns ``estimate``, ``ci_low``, ``ci_high`` (NaN
            where no standard error is available).
        """
        level = check_open_unit(alpha, "alpha", example="0.05")
        from scipy import stats

        est, se = self._estimates()
        crit = float(stats.norm.ppf(1.0 - level / 2.0))
        return pd.DataFrame(
            {"estimate": est, "ci_low": est - crit * se, "ci_high": est + crit * se},
            index=pd.Index(list(_PARAMS), name="parameter"),
        )

    def summary_frame(self, alpha: float = 0.05) -> pd.DataFrame:
        """One row per DCC parameter (``alpha``, ``beta``, ``alpha+beta``).

        Columns ``parameter, estimate, std_err, z, p_value, lower, upper, nobs``
        (``lower``, ``upper``: :meth:`conf_int`'s ``ci_low``, ``ci_high``).
        Standard errors come from the numerical Hessian of the second-step
        likelihood and ignore step-1 estimation error (Engle & Sheppard 2001
        give the correction), so they are too small; they are NaN when a
        parameter is at a bound. ``p_value`` is two-sided against 0.
        """
        from scipy import stats

        est, se = self._estimates()
        ci = self.conf_int(alpha)
        with np.errstate(divide="ignore", invalid="ignore"):
            z = est / se
        p = 2.0 * stats.norm.sf(np.abs(z))
        return pd.DataFrame(
            {
                "parameter": list(_PARAMS),
                "estimate": est,
                "std_err": se,
                "z": z,
                "p_value": p,
                "lower": ci["ci_low"].to_numpy(),
                "upper": ci["ci_high"].to_numpy(),
                "nobs": int(self.nobs),
            }
        )


# ----------------------------------------------------------------------------- step 2


def _q_path(eps: np.ndarray, qbar: np.ndarray, a: float, b: float) -> np.ndarray:
    """``Q_t`` for t = 0..T-1 with ``Q_0 = Qbar``, shape (T, N, N).

    The recursion is linear in Q, so it is one IIR filter per matrix element
    (``scipy.signal.lfilter``) instead of a Python loop over dates.
    """
    from scipy import signal

    outer = eps[:, :, None] * eps[:, None, :]
    drive = np.empty_like(outer)
    drive[0] = qbar
    drive[1:] = (1.0 - a - b) * qbar + a * outer[:-1]
    return np.asarray(signal.lfilter([1.0], [1.0, -b], drive, axis=0))


def _r_path(q: np.ndarray) -> np.ndarray:
    d = np.sqrt(np.diagonal(q, axis1=1, axis2=2))
    r: np.ndarray = q / (d[:, :, None] * d[:, None, :])
    return r


def _loglik_correlation(params: np.ndarray, eps: np.ndarray, qbar: np.ndarray) -> float:
    """``-1/2 sum_t (log|R_t| + e_t' R_t^-1 e_t - e_t' e_t)``; -inf outside the region."""
    a, b = float(params[0]), float(params[1])
    if not (a >= 0.0 and b >= 0.0 and a + b <= MAX_PERSISTENCE):
        return -math.inf
    r = _r_path(_q_path(eps, qbar, a, b))
    sign, logdet = np.linalg.slogdet(r)
    if np.any(sign <= 0):
        return -math.inf
    quad = np.einsum("ti,ti->t", eps, np.linalg.solve(r, eps[:, :, None])[:, :, 0])
    return float(-0.5 * np.sum(logdet + quad - np.einsum("ti,ti->t", eps, eps)))


def _fit_dcc(eps: np.ndarray, qbar: np.ndarray) -> tuple[np.ndarray, float, bool]:
    from scipy import optimize

    def neg(x: np.ndarray) -> float:
        value = _loglik_correlation(x, eps, qbar)
        return 1e300 if not math.isfinite(value) else -value

    grid = [np.array([a, b]) for a in _START_ALPHAS for b in _START_BETAS if a + b < MAX_PERSISTENCE]
    start = min(grid, key=neg)
    res = optimize.minimize(
        neg,
        start,
        method="SLSQP",
        bounds=[(0.0, MAX_PERSISTENCE), (0.0, MAX_PERSISTENCE)],
        constraints=[{"type": "ineq", "fun": lambda x: MAX_PERSISTENCE - x[0] - x[1]}],
        options={"ftol": 1e-10, "maxiter": 200},
    )
    x = np.clip(np.asarray(res.x, dtype=np.float64), 0.0, MAX_PERSISTENCE)
    return x, -neg(x), bool(res.success)


def _cov_params(x: np.ndarray, eps: np.ndarray, qbar: np.ndarray) -> np.ndarray:
    nan = np.full((2, 2), np.nan)
    a, b = float(x[0]), float(x[1])
    if min(a, b) < BOUNDARY_TOLERANCE or a + b > MAX_PERSISTENCE - BOUNDARY_TOLERANCE:
        return nan
    from statsmodels.tools.numdiff import approx_hess3

    hess = np.asarray(approx_hess3(x, lambda p: _loglik_correlation(p, eps, qbar)), dtype=np.float64)
    if not np.all(np.isfinite(hess)):
        return nan
    try:
        cov = np.linalg.inv(-hess)
    except np.linalg.LinAlgError:
        return nan
    if np.any(np.diag(cov) <= 0):
        return nan
    return np.asarray(cov)


# ----------------------------------------------------------------------------- step 1


def _garch_step(name: str, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """GARCH(1,1) of one series; returns (sigma, std_resid, parameter row) in input units."""
    from arch import arch_model

    model = arch_model(y, mean="Constant", vol="GARCH", p=1, q=1, dist="normal", rescale=True)
    fit = model.fit(disp="off")
    scale = float(fit.scale)
    params = fit.params
    sigma = np.asarray(fit.conditional_volatility, dtype=np.float64) / scale
    resid = np.asarray(fit.std_resid, dtype=np.float64)
    n = len(y)
    row = {
        "ticker": name,
        "mu": float(params["mu"]) / scale,
        "omega": float(params["omega"]) / scale**2,
        "alpha": float(params["alpha[1]"]),
        "beta": float(params["beta[1]"]),
        "persistence": float(params["alpha[1]"] + params["beta[1]"]),
        # Log-likelihood of the rescaled data plus the Jacobian of y -> scale * y.
        "loglik": float(fit.loglikelihood) + n * math.log(scale),
        "scale": scale,
        "converged": int(fit.convergence_flag) == 0,
    }
    return sigma, resid, row


def dcc_garch(returns: pd.DataFrame, tickers: Sequence[str] | None = None) -> DCCResult:
    """Two-step DCC(1,1) with GARCH(1,1) margins (Engle 2002; Engle & Sheppard 2001).

    Parameters
    ----------
    returns
        Wide daily (log) returns on a sorted ``DatetimeIndex``; any units
        (``arch`` rescales each series internally and the rescaling is undone).
    tickers
        Columns to model (at least two); default every column.

    Returns
    -------
    DCCResult

    Raises
    ------
    ConfigError
        Fewer than two tickers, an unknown ticker, an unsorted index, a
        constant series or fewer than :data:`MIN_DCC_OBS` complete rows.

    Warns
    -----
    statsmodels.tools.sm_exceptions.ConvergenceWarning
        If a univariate fit or the second-step optimiser did not converge.

    Notes
    -----
    NaN rule: only rows where every series is present are used, and they are
    treated as consecutive (a missing day between two rows is skipped).

    Step 1: ``r_it = mu_i + u_it``, ``sigma_it^2 = omega_i + a_i u_{i,t-1}^2 +
    b_i sigma_{i,t-1}^2``, normal errors, by ``arch``; ``e_it = u_it / sigma_it``.

    Step 2: ``Qbar`` = sample correlation of ``e``; ``Q_0 = Qbar``;
    ``Q_t = (1 - alpha - beta) Qbar + alpha e_{t-1} e_{t-1}' + beta Q_{t-1}``;
    ``R_t = diag(Q_t)^-1/2 Q_t diag(Q_t)^-1/2``. ``(alpha, beta)`` maximise
    ``L_C = -1/2 sum_t (log|R_t| + e_t' R_t^-1 e_t - e_t' e_t)`` subject to
    ``alpha, beta >= 0`` and ``alpha + beta <= 1 - 1e-6`` (SLSQP from the best
    point of a small grid). ``loglik = L_V + L_C`` is the full Gaussian
    log-likelihood. Standard errors: inverse of the numerical Hessian of
    ``L_C`` (statsmodels ``approx_hess3``); they ignore step-1 estimation
    error and are NaN within 1e-4 of a bound.
    """
    check_index(returns, "returns")
    names = [str(c) for c in returns.columns] if tickers is None else [str(t) for t in tickers]
    require_columns(returns, names)
    if len(set(names)) != len(names):
        raise ConfigError(f"tickers must be distinct, got {names}")
    if len(names) < 2:
        raise ConfigError(f"a DCC model needs at least two tickers, got {names}")
    data = returns.loc[:, names].astype(np.float64).dropna()
    if len(data) < MIN_DCC_OBS:
        raise ConfigError(
            f"only {len(data)} sessions have all of {', '.join(names)}; a DCC fit needs at least "
            f"{MIN_DCC_OBS}: widen the sample or drop the ticker with the shortest history"
        )
    values = data.to_numpy()
    flat = [n for n, sd in zip(names, values.std(axis=0), strict=True) if not sd > 0]
    if flat:
        raise ConfigError(f"series {', '.join(flat)} is constant on the common sample: cannot fit a GARCH")

    sig_cols, eps_cols, rows = [], [], []
    for j, name in enumerate(names):
        sigma, resid, row = _garch_step(name, values[:, j])
        sig_cols.append(sigma)
        eps_cols.append(resid)
        rows.append(row)
    eps = np.column_stack(eps_cols)
    qbar = np.corrcoef(eps, rowvar=False)
    x, loglik_c, ok = _fit_dcc(eps, qbar)
    cov = _cov_params(x, eps, qbar)
    garch = pd.DataFrame(rows)
    not_converged = [str(t) for t, c in zip(garch["ticker"], garch["converged"], strict=True) if not c]
    from statsmodels.tools.sm_exceptions import ConvergenceWarning

    if not_converged:
        warnings.warn(
            f"GARCH(1,1) did not converge for {', '.join(not_converged)}", ConvergenceWarning, stacklevel=2
        )
    if not ok:
        warnings.warn("DCC second-step optimiser did not converge", ConvergenceWarning, stacklevel=2)

    r = _r_path(_q_path(eps, qbar, float(x[0]), float(x[1])))
    iu, ju = np.triu_indices(len(names), k=1)
    index = data.index
    correlations = pd.DataFrame(
        r[:, iu, ju],
        index=index,
        columns=[pair_name(names[i], names[j]) for i, j in zip(iu, ju, strict=True)],
    )
    return DCCResult(
        alpha=float(x[0]),
        beta=float(x[1]),
        loglik=float(garch["loglik"].sum()) + loglik_c,
        loglik_correlation=loglik_c,
        correlations=correlations,
        volatility=pd.DataFrame(np.column_stack(sig_cols), index=index, columns=names),
        std_resid=pd.DataFrame(eps, index=index, columns=names),
        garch=garch,
        unconditional=pd.DataFrame(qbar, index=names, columns=names),
        cov_params=cov,
        nobs=len(data),
        converged=ok and not not_converged,
    )


# ----------------------------------------------------------------------------- presentation


def _rolling_label(window: int) -> str:
    return f"{window}-session rolling"


def _ewma_label(halflife: float) -> str:
    return f"EWMA (half-life {halflife:g} sessions)"


def correlation_paths(
    returns: pd.DataFrame,
    a: str,
    b: str,
    *,
    dcc: DCCResult,
    window: int = OVERLAY_WINDOW,
    halflife: float = OVERLAY_HALFLIFE,
) -> pd.DataFrame:
    """The DCC correlation of ``a`` and ``b`` beside rolling and EWMA correlations, on the DCC's dates.

    Parameters
    ----------
    returns
        Wide daily log returns (the input of ``dcc``).
    a, b
        The pair (both in the DCC fit).
    dcc
        Fit from :func:`dcc_garch`.
    window, halflife
        Rolling window and EWMA half-life in sessions
        (:func:`analysis.correlation.rolling_correlation`, :func:`~analysis.correlation.ewma_correlation`).

    Returns
    -------
    pd.DataFrame
        Index: the DCC's sessions; columns :data:`DCC_LABEL`, ``"<window>-session rolling"``,
        ``"EWMA (half-life <h> sessions)"``; ``columns.name`` is the pair (``"a|b"``).

    Raises
    ------
    ConfigError
        Pair not in the fit, or bad window / half-life.

    Notes
    -----
    All three use the same sessions (both series present), so they differ only in the weighting:
    the rolling and EWMA paths are NaN until their first full window / ``ceil(halflife)`` rows.
    """
    from .correlation import ewma_correlation, rolling_correlation

    path = dcc.correlation(a, b)
    both = returns.loc[:, [a, b]].astype(np.float64).dropna().reindex(path.index)
    out = pd.DataFrame(
        {
            DCC_LABEL: path.to_numpy(),
            _rolling_label(window): rolling_correlation(both, a, b, window).to_numpy(),
            _ewma_label(halflife): ewma_correlation(both, a, b, halflife).to_numpy(),
        },
        index=path.index,
    )
    out.columns.name = pair_name(a, b)
    return out


def _paths_pair(paths: pd.DataFrame) -> tuple[str, str]:
    a, _, b = str(paths.columns.name or PAIR_SEPARATOR).partition(PAIR_SEPARATOR)
    return a, b


def _date(value: Any) -> str:
    return f"{pd.Timestamp(value):%Y-%m-%d}"


def _half_life(persistence: float) -> float:
    """Sessions for a correlation shock to halve: ``log(1/2) / log(alpha + beta)``."""
    if not 0.0 < persistence < 1.0:
        return math.inf
    return math.log(0.5) / math.log(persistence)


def dcc_sentence(dcc: DCCResult, paths: pd.DataFrame) -> str:
    """What the DCC fit says, in one paragraph computed from the fit and its paths.

    Parameters
    ----------
    dcc
        Fit from :func:`dcc_garch`.
    paths
        Output of :func:`correlation_paths` (its first column is the DCC path).

    Returns
    -------
    str
        Markdown: parameters and persistence (with the shock half-life), the last value beside
        the rolling and EWMA ones, the sample mean and range, and the recent average.
    """
    path = paths[DCC_LABEL].dropna()
    if path.empty:
        return "*The DCC fit has no correlation path.*"
    a, b = _paths_pair(paths)
    last_date = pd.Timestamp(path.index[-1])
    others = ", ".join(
        f"{col}: {float(paths[col].iloc[-1]):.2f}"
        for col in paths.columns[1:]
        if pd.notna(paths[col].iloc[-1])
    )
    recent = path.iloc[-RECENT_SESSIONS:]
    head = (
        f"DCC(1,1) on {dcc.nobs} sessions ({path.index[0]:%Y-%m-%d} .. {last_date:%Y-%m-%d}): "
        f"alpha = {dcc.alpha:.3f}, beta = {dcc.beta:.3f}"
    )
    last = f"**{float(path.iloc[-1]):.2f}**" + (f" ({others})" if others else "")
    if dcc.alpha < BOUNDARY_TOLERANCE:
        return (
            f"{head}. alpha is at its lower bound: the model finds no time variation in the {a}/{b} "
            f"correlation beyond what the GARCH volatilities explain, so the DCC path is flat at {last}. "
            "A moving rolling or EWMA correlation is then sampling noise or volatility, not a "
            "correlation regime."
        )
    hl = _half_life(dcc.persistence)
    hl_text = (
        "does not decay"
        if math.isinf(hl)
        else "fades within a session"
        if hl < 1.0
        else f"halves in about {hl:.0f} sessions"
    )
    return (
        f"{head}, persistence alpha + beta = {dcc.persistence:.3f} (a shock to the {a}/{b} correlation "
        f"{hl_text}). On {last_date:%Y-%m-%d} the conditional correlation is {last}; its sample mean is "
        f"{float(path.mean()):.2f} (range {float(path.min()):.2f} on {_date(path.idxmin())} "
        f"to {float(path.max()):.2f} on {_date(path.idxmax())}) and it averaged "
        f"{float(recent.mean()):.2f} over the last {len(recent)} sessions."
    )


def dcc_headline(dcc: DCCResult | None, paths: pd.DataFrame | None) -> list[dict[str, Any]]:
    """Headline numbers of the DCC section (empty when the section was skipped).

    Returns
    -------
    list of dict
        ``name, value, unit, text, note``: the last conditional correlation (its sample mean in
        the note) and the persistence ``alpha + beta``.
    """
    if dcc is None or paths is None or paths[DCC_LABEL].dropna().empty:
        return []
    path = paths[DCC_LABEL].dropna()
    pair = "/".join(_paths_pair(paths))
    last = float(path.iloc[-1])
    mean = float(path.mean())
    return [
        {
            "name": f"{pair} DCC correlation",
            "value": last,
            "unit": "corr",
            "text": f"{last:.2f}",
            "note": f"conditional correlation on {pd.Timestamp(path.index[-1]):%Y-%m-%d}; sample mean "
            f"{mean:.2f} over {dcc.nobs} sessions",
        },
        {
            "name": "DCC persistence (alpha + beta)",
            "value": dcc.persistence,
            "unit": "ratio",
            "text": f"{dcc.persistence:.3f}",
            "note": f"alpha {dcc.alpha:.3f}, beta {dcc.beta:.3f}",
        },
    ]
