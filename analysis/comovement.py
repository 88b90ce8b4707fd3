"""The co-movement study of notebook 02: crypto-tech correlations, their change, stress and lead-lag.

One call, :func:`comovement_study`, runs every test of the notebook on one return panel and
keeps the verdict rules here (not in the notebook): correlations with Fisher *and*
stationary-block-bootstrap intervals, the change of each pair's correlation over the last
sessions with Holm's correction, Forbes-Rigobon stress vs calm correlations conditioned on each
pair's own conditioning series (past-only volatility regimes, with 2022 left out as a check), tail
co-exceedance and robust Granger tests. Verdicts use the bootstrap p-values after Holm.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from . import correlation, leadlag, returns, stress
from ._validation import check_int, check_open_unit, require_columns
from .bootstrap import DEFAULT_BOOTSTRAP_REPS, DEFAULT_BOOTSTRAP_SEED, BootstrapSeed
from .coverage import ShortSample, short_samples
from .errors import ConfigError
from .stress import ALL_SAMPLE

__all__ = [
    "DEFAULT_ALPHA",
    "DEFAULT_PRIOR",
    "DEFAULT_RECENT",
    "FREQUENCIES",
    "CoMovement",
    "comovement_study",
    "correlation_windows",
    "rolling_correlations",
]

#: Significance level of every verdict (after Holm).
DEFAULT_ALPHA = 0.05
#: Recent windows in sessions (the article's "last 30 days" and a quarter).
DEFAULT_RECENT: tuple[int, ...] = (30, 90)
#: Sessions of the comparison period before the most recent window.
DEFAULT_PRIOR = 250
#: Return frequencies of the asynchronous-close check: BTC's bar closes at 00:00 UTC, hours
#: after the US close, so daily correlations understate co-movement; longer returns do not.
FREQUENCIES: dict[str, int | str] = {"daily": 1, "2-session": 2, "weekly": "W-FRI"}


def _period_name(window: int | None) -> str:
    return "full" if window is None else f"last {window}"


def correlation_windows(
    returns_: pd.DataFrame, tickers: Sequence[str], recent: Sequence[int] = DEFAULT_RECENT
) -> dict[str, tuple[correlation.CorrelationMatrix, str]]:
    """Pearson matrices of the whole sample and of each recent window, with a figure title.

    Returns
    -------
    dict
        ``{"full" | "last N": (CorrelationMatrix, title)}`` in that order.
    """
    require_columns(returns_, list(tickers))
    sub = returns_.loc[:, list(tickers)]
    end = f"{sub.index[-1]:%Y-%m-%d}"
    out: dict[str, tuple[correlation.CorrelationMatrix, str]] = {}
    for w in (None, *recent):
        part = sub if w is None else sub.iloc[-check_int(w, "recent window", minimum=4) :]
        span = f"{part.index[0]:%Y-%m-%d} to {end}" if w is None else f"last {w} sessions to {end}"
        out[_period_name(w)] = (correlation.correlation_matrix(part), f"Pearson correlation, {span}")
    return out


def rolling_correlations(
    returns_: pd.DataFrame,
    btc: str,
    tech: str,
    tickers: Sequence[str],
    window: int,
    halflife: float,
) -> dict[str, tuple[pd.DataFrame, str]]:
    """Rolling views: BTC-tech (rolling and EWMA), and the tickers against each factor.

    Returns
    -------
    dict
        ``{figure slug: (frame, title)}``: ``"pair"`` (columns ``"<window>-session rolling"``
        and ``"EWMA (halflife h)"``), then one entry per factor (``"vs-<factor>"``, one column
        per ticker).
    """
    from .rolling import rolling_correlation_panel

    pair = pd.DataFrame(
        {
            f"{window}-session rolling": correlation.rolling_correlation(returns_, btc, tech, window),
            f"EWMA (halflife {halflife:g})": correlation.ewma_correlation(returns_, btc, tech, halflife),
        }
    )
    out = {"pair": (pair, f"{btc} vs {tech}: rolling and EWMA correlation")}
    for factor in (btc, tech):
        slug = "vs-" + "".join(ch for ch in factor.lower() if ch.isalnum())
        frame = rolling_correlation_panel(returns_, list(tickers), factor, window)
        out[slug] = (frame, f"{', '.join(tickers)}: {window}-session rolling correlation with {factor}")
    return out


@dataclass(frozen=True)
class CoMovement:
    """Every co-movement test of notebook 02 on one panel.

    Attributes
    ----------
    btc, tech, tickers
        The bitcoin and tech factors and the other tickers studied (the miners).
    pairs
        Correlation of each factor pair in the whole sample and each recent window.
    frequencies
        BTC-tech correlation of daily, 2-session and weekly log returns (``frequency`` column).
    changes
        Recent vs prior correlation of each pair (Holm over the family).
    stress_spec, mask
        The stress definition and its mask (True stress, False calm, NaN undefined).
    stress
        Forbes-Rigobon stress vs calm correlations, each pair conditioned on its first ticker.
    stress_years
        Stress, calm and undefined sessions per calendar year.
    tails
        Lower-tail co-exceedance of each factor pair.
    granger
        Granger tests both directions, lag by information criterion, HC3 Wald, Holm.
    recent, prior, alpha
        Window lengths (sessions) and the significance level of the verdicts.
    """

    btc: str
    tech: str
    tickers: tuple[str, ...]
    pairs: correlation.PairCorrelations
    frequencies: pd.DataFrame
    changes: correlation.CorrelationChanges
    stress_spec: stress.StressSpec
    mask: pd.Series
    stress: stress.StressCorrelations
    stress_years: pd.DataFrame
    tails: pd.DataFrame
    granger: leadlag.GrangerResult
    recent: tuple[int, ...]
    prior: int
    alpha: float

    # -- tables --------------------------------------------------------------------------

    def pair_table(self, ticker: str | None = None) -> pd.DataFrame:
        """Pairs with ``ticker`` (default BTC): rho, n, Fisher and bootstrap 95% intervals."""
        who = self.btc if ticker is None else ticker
        t = self.pairs.summary_frame()
        t = t[(t["a"] == who) | (t["b"] == who)]
        cols = ["a", "b", "period", "n", "rho", "ci_fisher_lo", "ci_fisher_hi", "ci_bootstrap_lo"]
        return t.loc[:, [*cols, "ci_bootstrap_hi", "se_ratio", "reason"]].reset_index(drop=True)

    def short_samples(self) -> list[ShortSample]:
        """Recent-window correlations computed on fewer sessions than the window."""
        rows = [{str(k): v for k, v in r.items()} for r in self.pairs.summary_frame().to_dict("records")]
        for r in rows:
            name = str(r["period"])
            r["window"] = int(name.split()[-1]) if name.startswith("last ") else None
        return short_samples(rows, label="{a}/{b} correlation, {period}")

    # -- verdicts ------------------------------------------------------------------------

    def _pair(self, period: str, a: str, b: str) -> dict[str, Any]:
        t = self.pairs.summary_frame()
        row = t[(t["period"] == period) & (((t["a"] == a) & (t["b"] == b)) | ((t["a"] == b) & (t["b"] == a)))]
        if row.empty:
            raise ConfigError(f"no {a}/{b} correlation for period {period!r}")
        return dict(row.iloc[0])

    def _stress_row(self, sample: str = ALL_SAMPLE) -> dict[str, Any] | None:
        t = self.stress.summary_frame()
        hit = t[(t["a"] == self.tech) & (t["b"] == self.btc) & (t["sample"] == sample)]
        return None if hit.empty else dict(hit.iloc[0])

    def _change_row(self) -> dict[str, Any] | None:
        t = self.changes.summary_frame()
        hit = t[(t["a"] == self.btc) & (t["b"] == self.tech)]
        return None if hit.empty or pd.isna(hit.iloc[0]["diff"]) else dict(hit.iloc[0])

    def _granger_row(self, cause: str, effect: str) -> dict[str, Any] | None:
        t = self.granger.summary_frame()
        hit = t[(t["cause"] == cause) & (t["effect"] == effect)]
        return None if hit.empty else dict(hit.iloc[0])

    def _corr_record(self, period: str, name: str) -> dict[str, Any]:
        r = self._pair(period, self.btc, self.tech)
        note = (
            f"daily log returns, n = {int(r['n'])}; 95% stationary block bootstrap "
            f"[{r['ci_bootstrap_lo']:.2f}, {r['ci_bootstrap_hi']:.2f}], Fisher "
            f"[{r['ci_fisher_lo']:.2f}, {r['ci_fisher_hi']:.2f}]"
        )
        return {
            "name": name,
            "value": float(r["rho"]),
            "unit": "correlation",
            "text": f"{r['rho']:.2f}",
            "note": note,
        }

    def headline(self) -> list[dict[str, Any]]:
        """Headline records (name, value, unit, text, note) for the report."""
        b, t = self.btc, self.tech
        last = max(self.recent)
        out = [
            self._corr_record("full", f"{b}/{t} correlation, whole sample"),
            self._corr_record(f"last {last}", f"{b}/{t} correlation, last {last} sessions"),
        ]
        weekly = self.frequencies[self.frequencies["frequency"] == "weekly"]
        if not weekly.empty and not pd.isna(weekly.iloc[0]["rho"]):
            w = weekly.iloc[0]
            out.append(
                {
                    "name": f"{b}/{t} correlation, weekly returns",
                    "value": float(w["rho"]),
                    "unit": "correlation",
                    "text": f"{w['rho']:.2f}",
                    "note": f"n = {int(w['n'])} weeks; bootstrap [{w['ci_bootstrap_lo']:.2f}, "
                    f"{w['ci_bootstrap_hi']:.2f}] (asynchronous-close check)",
                }
            )
        ch = self._change_row()
        if ch is not None:
            out.append(
                {
                    "name": f"{b}/{t} correlation change, last {self.recent[-1]} vs prior "
                    f"{self.prior} sessions",
                    "value": float(ch["diff"]),
                    "unit": "correlation",
                    "text": f"{ch['diff']:+.2f} ({self._significance(ch['p_bootstrap_adj'])})",
                    "note": f"block bootstrap p = {ch['p_bootstrap']:.3g}, Holm-adjusted "
                    f"{ch['p_bootstrap_adj']:.3g} over {len(self.changes.summary_frame())} pairs",
                }
            )
        st = self._stress_row()
        if st is not None:
            out.append(
                {
                    "name": f"{b}/{t} stress correlation after Forbes-Rigobon ({self.stress_spec.label})",
                    "value": float(st["rho_star"]),
                    "unit": "correlation",
                    "text": f"{st['rho_star']:.2f} vs calm {st['rho_calm']:.2f} "
                    f"({self._contagion(st['p_bootstrap_adj'])})",
                    "note": f"conditioning {st['conditioning']}; {int(st['n_stress'])} stress vs "
                    f"{int(st['n_calm'])} calm sessions; Holm-adjusted bootstrap p = "
                    f"{st['p_bootstrap_adj']:.3g}",
                }
            )
        for cause, effect in ((b, t), (t, b)):
            g = self._granger_row(cause, effect)
            if g is not None and not pd.isna(g["p_wald_adj"]):
                out.append(
                    {
                        "name": f"Granger: {cause} -> {effect}",
                        "value": float(g["p_wald_adj"]),
                        "unit": "p (Holm)",
                        "text": self._significance(g["p_wald_adj"]),
                        "note": f"{int(g['lag'])} lag(s) by {g['lag_selection'].upper()}, "
                        f"{g['cov_type']} Wald, Holm-adjusted p = {g['p_wald_adj']:.3g}",
                    }
                )
        return out

    def _significance(self, p: float) -> str:
        if pd.isna(p):
            return "not testable"
        return "significant" if float(p) < self.alpha else "not significant"

    def _contagion(self, p: float) -> str:
        if pd.isna(p):
            return "not testable"
        return "contagion" if float(p) < self.alpha else "no significant contagion"

    def sentences(self) -> list[str]:
        """Markdown bullets stating the findings, with the alternatives beside the headline.

        The stress bullets cover BTC/tech and every miner's pairs with tech and with BTC (each
        Forbes-Rigobon-adjusted on its own conditioning series, whole sample and with the
        robustness year left out), naming each miner pair significant after Holm.
        """
        b, t = self.btc, self.tech
        full = self._pair("full", b, t)
        last = max(self.recent)
        rec = self._pair(f"last {last}", b, t)
        lines = [
            f"- Over the whole sample the daily {b}/{t} correlation is **{full['rho']:.2f}** "
            f"(block-bootstrap 95% interval [{full['ci_bootstrap_lo']:.2f}, {full['ci_bootstrap_hi']:.2f}]; "
            f"Fisher's i.i.d. interval is [{full['ci_fisher_lo']:.2f}, {full['ci_fisher_hi']:.2f}], "
            f"its standard error {full['se_ratio']:.1f} times narrower); over the last {last} sessions "
            f"({int(rec['n'])} paired sessions) it is **{rec['rho']:.2f}** "
            f"[{rec['ci_bootstrap_lo']:.2f}, {rec['ci_bootstrap_hi']:.2f}]."
        ]
        freq = self.frequencies.set_index("frequency")["rho"]
        lines.append(
            "- Asynchronous closes: the same correlation is "
            + ", ".join(f"{k} {v:.2f}" for k, v in freq.items() if not pd.isna(v))
            + " (weekly and 2-session returns are not biased by BTC's 00:00 UTC close)."
        )
        ch = self._change_row()
        if ch is not None:
            lines.append(
                f"- Change, last {self.recent[-1]} vs the {self.prior} sessions before: {ch['diff']:+.2f} "
                f"(bootstrap p = {ch['p_bootstrap']:.3g}, Holm {ch['p_bootstrap_adj']:.3g}; Fisher p = "
                f"{ch['p_fisher']:.3g}): **{self._significance(ch['p_bootstrap_adj'])}**."
            )
        st, ex = self._stress_row(), self._stress_row(f"excluding {self.stress_spec_year()}")
        if st is not None:
            text = (
                f"- In stress ({self.stress_spec.label}), {b}/{t} correlates at {st['rho_stress']:.2f} vs "
                f"{st['rho_calm']:.2f} in calm; Forbes-Rigobon on {st['conditioning']}'s own variance ratio "
                f"(delta = {st['delta']:.2f}) gives **{st['rho_star']:.2f}** "
                f"[{st['ci_star_lo']:.2f}, {st['ci_star_hi']:.2f}], Holm-adjusted bootstrap p = "
                f"{st['p_bootstrap_adj']:.3g}: **{self._contagion(st['p_bootstrap_adj'])}**"
            )
            if ex is not None:
                text += (
                    f"; without {self.stress_spec_year()}: {ex['rho_star']:.2f} vs {ex['rho_calm']:.2f} "
                    f"(p = {ex['p_bootstrap_adj']:.3g}, {self._contagion(ex['p_bootstrap_adj'])})"
                )
            lines.append(text + ".")
        lines += self._miner_stress_lines()
        sig = self.granger.summary_frame()
        sig = sig[sig["p_wald_adj"] < self.alpha]
        lines.append(
            "- Granger (robust Wald, Holm over every pair and direction): "
            + (
                ", ".join(f"{r.cause} -> {r.effect} (p = {r.p_wald_adj:.3g})" for r in sig.itertuples())
                if len(sig)
                else "no significant lead-lag"
            )
            + "."
        )
        return lines

    def _miner_stress_lines(self) -> list[str]:
        """Forbes-Rigobon rows of the miners: a bullet per conditioning series, then the Holm verdict."""
        if not self.tickers:
            return []
        t = self.stress.summary_frame()
        year = self.stress_spec_year()
        samples = [(ALL_SAMPLE, "whole sample")]
        if year:
            samples.append((f"excluding {year}", f"without {year}"))
        lines: list[str] = []
        significant: list[str] = []
        for cond in (self.tech, self.btc):
            parts = []
            for sample, name in samples:
                rows = t[(t["a"] == cond) & (t["sample"] == sample) & t["b"].isin(self.tickers)]
                cells = []
                for r in rows.to_dict("records"):
                    p = float(r["p_bootstrap_adj"])
                    if pd.isna(r["rho_star"]) or pd.isna(p):
                        cells.append(f"{r['b']} not testable ({r['reason'] or 'no bootstrap p-value'})")
                        continue
                    cells.append(
                        f"{r['b']} {float(r['rho_star']):.2f} vs calm {float(r['rho_calm']):.2f} "
                        f"(Holm p = {p:.3g})"
                    )
                    if p < self.alpha:
                        significant.append(f"{r['b']}/{cond} ({name})")
                if cells:
                    parts.append(f"{name}: " + ", ".join(cells))
            if parts:
                lines.append(
                    f"- Miners vs {cond} in stress, Forbes-Rigobon-adjusted on {cond}'s own variance ratio "
                    "(adjusted stress vs calm correlation): " + "; ".join(parts) + "."
                )
        n_pairs = int((t["sample"] == ALL_SAMPLE).sum())
        without = f", with or without {year}" if year else ""
        lines.append(
            f"- Miner contagion after Holm (over the {n_pairs} pairs of each sample, at {self.alpha:g}): "
            + (
                "**significant** for " + ", ".join(significant)
                if significant
                else f"no miner pair is significant{without}"
            )
            + "."
        )
        return lines

    def stress_spec_year(self) -> str:
        """The calendar year left out in the stress robustness rows (e.g. ``"2022"``)."""
        t = self.stress.summary_frame()
        other = [s for s in t["sample"].unique() if str(s).startswith("excluding ")]
        return str(other[0]).removeprefix("excluding ") if other else ""

    def metrics(self) -> dict[str, Any]:
        """The tables for ``results/02-correlations.json``."""
        return {
            "pairs": self.pairs.metrics_records(),
            "frequencies": self.frequencies,
            "correlation_changes": self.changes.summary_frame(),
            "stress": self.stress.metrics_records(),
            "stress_days_by_year": self.stress_years.reset_index(),
            "tail_coexceedance": self.tails,
            "granger": self.granger.summary_frame(),
        }


def _frequency_table(
    returns_: pd.DataFrame, btc: str, tech: str, reps: int, seed: BootstrapSeed
) -> pd.DataFrame:
    frames = []
    pair = returns_.loc[:, [btc, tech]]
    for name, spec in FREQUENCIES.items():
        if isinstance(spec, str):
            data = returns.resample_log_returns(pair, spec)
            data = data[data.index <= pair.index[-1]]  # a period still running at the data end is partial
        elif spec == 1:
            data = pair
        else:
            data = returns.k_session_log_returns(pair, spec)
        res = correlation.pair_correlations(data, [(btc, tech)], periods={"full": None}, reps=reps, seed=seed)
        frames.append(res.summary_frame().assign(frequency=name))
    out = pd.concat(frames, ignore_index=True)
    first = ["frequency", "a", "b", "n", "rho"]
    return out.loc[:, first + [c for c in out.columns if c not in first and c != "period"]]


def comovement_study(
    returns_: pd.DataFrame,
    btc: str,
    tech: str,
    tickers: Sequence[str],
    *,
    recent: Sequence[int] = DEFAULT_RECENT,
    prior: int = DEFAULT_PRIOR,
    stress_spec: stress.StressSpec | Mapping[str, Any] | None = None,
    tail_quantile: float = stress.DEFAULT_TAIL_QUANTILE,
    granger_maxlags: int = leadlag.DEFAULT_MAXLAGS,
    alpha: float = DEFAULT_ALPHA,
    reps: int = DEFAULT_BOOTSTRAP_REPS,
    seed: BootstrapSeed = DEFAULT_BOOTSTRAP_SEED,
) -> CoMovement:
    """Run notebook 02's tests: correlations, their change, stress vs calm, tails, Granger.

    Parameters
    ----------
    returns_
        Wide daily log returns on sessions.
    btc, tech
        The bitcoin and tech columns (e.g. ``"BTC-USD"``, ``"^NDX"``).
    tickers
        Other tickers paired with both factors (e.g. the AI-pivot miners).
    recent, prior
        Recent windows (sessions; the last is tested for a change) and the prior window.
    stress_spec
        Stress definition (default: past-only 21-session volatility of ``tech`` above its
        0.8 quantile).
    tail_quantile, granger_maxlags, alpha, reps, seed
        Tail co-exceedance quantile, largest Granger lag searched, significance level of the
        verdicts, bootstrap draws and seed.

    Returns
    -------
    CoMovement

    Raises
    ------
    ConfigError
        If a column is missing or a window is not a positive session count.
    """
    names = [btc, tech, *tickers]
    require_columns(returns_, names)
    if not recent:
        raise ConfigError("recent must name at least one window in sessions, e.g. [30, 90]")
    rec = tuple(check_int(w, "recent window", minimum=4) for w in recent)
    check_int(prior, "prior", minimum=4)
    check_open_unit(alpha, "alpha", example="0.05")
    spec = stress.StressSpec(kind="volatility", conditioning=tech) if stress_spec is None else stress_spec
    spec = spec if isinstance(spec, stress.StressSpec) else stress.StressSpec.from_params(spec)
    others = [x for x in tickers if x not in (btc, tech)]
    periods = {_period_name(None): None, **{_period_name(w): w for w in rec}}
    kw: dict[str, Any] = {"reps": reps, "seed": seed}
    pairs = correlation.pair_correlations(
        returns_, correlation.factor_pairs([btc, tech], [*others, btc, tech]), periods=periods, **kw
    )
    changes = correlation.correlation_changes(
        returns_,
        [(btc, tech), *[(m, btc) for m in others], *[(m, tech) for m in others]],
        recent=rec[-1],
        prior=prior,
        **kw,
    )
    mask = stress.stress_mask(returns_, spec)
    # Each pair is conditioned on its first ticker: tech for tech's pairs, BTC for BTC's.
    stress_pairs = [(tech, btc), *[(tech, m) for m in others], *[(btc, m) for m in others]]
    stressed = stress.stress_correlations(returns_, mask, stress_pairs, **kw)
    tails = stress.tail_coexceedance_table(
        returns_,
        pairs=[(btc, tech), *[(m, tech) for m in others], *[(m, btc) for m in others]],
        quantile=tail_quantile,
        alpha=alpha,
        **kw,
    )
    granger = leadlag.granger_tests(
        returns_, [(btc, tech), *[(btc, m) for m in others]], maxlags=granger_maxlags
    )
    return CoMovement(
        btc=btc,
        tech=tech,
        tickers=tuple(others),
        pairs=pairs,
        frequencies=_frequency_table(returns_, btc, tech, reps, seed),
        changes=changes,
        stress_spec=spec,
        mask=mask,
        stress=stressed,
        stress_years=stress.stress_days_by_year(mask),
        tails=tails,
        granger=granger,
        recent=rec,
        prior=int(prior),
        alpha=float(alpha),
    )
