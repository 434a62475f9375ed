"""From runs to one :class:`~scalinglab.laws.fitted.FittedLaw`: fit, bootstrap, run scatter, identification.

:func:`fit_law` is the one path every caller takes (the CLI, the report, the audit); they render what it
returns. The rules for *not identified* and the prediction band are documented in docs/uncertainty.md and
:mod:`scalinglab.laws.fitted`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from .._intervals import DEFAULT_LEVEL, central_interval, check_level
from ..errors import ConfigError, ScalingLabError
from ..laws.base import Law
from ..laws.fitted import FittedLaw, Identification, RunScatter, exponent_reasons, law_loss
from ..laws.registry import get_family
from .data import Runs
from .families import bootstrap_family, fit_family, refit
from .result import FitResult, FitWarning, provenance

__all__ = ["fit_law", "FOLD_CUTS", "FIX_HINT"]

#: forward-chaining folds: refit on the smallest share of runs by compute, predict every larger run
FOLD_CUTS = (0.5, 0.6, 0.7, 0.8)
#: a fold with more runs than this is refitted on this many of them (seeded): it measures how the error grows
#: beyond the data, which 20,000 runs measure as well as a million, at a fiftieth of the time
FOLD_ROWS = 20_000

#: what data would let a fit identify its law
FIX_HINT = ("More informative runs would fix it: at least three compute budgets spanning a decade or more, each "
            "with model sizes on both sides of its loss minimum, or a family with fewer parameters.")

#: readable names of search coordinates that can hit a bound
_BOUND_NAMES = {"e": "E (the irreducible loss, driven to ~0)", "log E": "E (the irreducible loss)",
                "alpha": "alpha (exponent of N)", "beta": "beta (exponent of D)"}

def _log_residuals(law: Law, runs: Runs) -> np.ndarray:
    if runs.unique_tokens is not None and law.family == "data-constrained":
        pred = np.asarray(law.loss(runs.n_params, runs.n_tokens, runs.unique_tokens), dtype=float)  # type: ignore[call-arg]
    else:
        pred = law_loss(law, runs.n_params, runs.n_tokens)
    with np.errstate(all="ignore"):
        return np.log(runs.loss) - np.log(pred)


def _sigma(resid: np.ndarray, k: int) -> float:
    return float(np.sqrt(np.sum(resid**2) / max(resid.size - k, 1)))


def run_scatter(runs: Runs, law: Law, k: int, refit: Callable[[Runs], Law] | None) -> RunScatter | None:
    """σ from the fit's residuals; κ (growth per decade beyond the data) from forward-chaining refits."""
    df = len(runs) - k
    if df < 1:
        return None
    resid = _log_residuals(law, runs)
    sigma = _sigma(resid, k)
    if "flops" not in runs.variables:  # without compute, no distance beyond the runs to widen the band by
        return RunScatter(sigma, int(df), note="extrapolation growth not calibrated (the runs give no compute "
                                               "C = 6ND, so no distance beyond them)")
    flops = runs.flops
    order = np.argsort(flops, kind="stable")
    dist, excess, folds = [], [], 0
    for cut in FOLD_CUTS if refit is not None else ():
        m = int(round(cut * len(runs)))
        if m < k + 2 or m >= len(runs):
            continue
        fit_part, beyond = runs.subset(order[:m]), order[m:]
        if m > FOLD_ROWS:
            pick = np.sort(np.random.default_rng(m).choice(m, size=FOLD_ROWS, replace=False))
            fit_part = fit_part.subset(pick, note=f"fold refit on {FOLD_ROWS} of {m} runs")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fold_law = refit(fit_part)  # type: ignore[misc]
        except (ScalingLabError, ValueError, FloatingPointError):
            continue
        fold_sigma = _sigma(_log_residuals(fold_law, fit_part), k)
        r = _log_residuals(fold_law, runs.subset(beyond))
        d = np.log10(flops[beyond] / fit_part.flops.max())
        ok = np.isfinite(r) & (d > 0)
        # E|r| = σ·sqrt(2/π) for normal errors: |r|·sqrt(π/2) estimates the error scale at distance d
        dist.append(d[ok])
        excess.append(np.abs(r[ok]) * np.sqrt(np.pi / 2.0) - fold_sigma)
        folds += 1
    kappa, note = 0.0, "extrapolation growth not calibrated (too few runs for forward-chaining refits)"
    if folds:
        d, e = np.concatenate(dist), np.concatenate(excess)
        if d.size:
            kappa = float(max(0.0, np.sum(d * e) / np.sum(d * d)))
            note = f"kappa from {folds} forward-chaining refits ({d.size} predictions beyond each fold's data)"
    return RunScatter(sigma, int(df), kappa, float(flops.max()), folds, note)


def _bootstrap(runs: Runs, fit: FitResult, n_bootstrap: int, seed: int, level: float,
               progress: Any) -> tuple[list[Law], int]:
    """Non-degenerate refits as laws, and how many were degenerate (failed, or on a bound of the box)."""
    fam = get_family(fit.family)
    with warnings.catch_warnings():
        # the degenerate refits are counted in Identification; their per-family warnings would repeat it
        warnings.simplefilter("ignore", FitWarning)
        try:
            fb = bootstrap_family(runs, fit, n_bootstrap, seed, levels=(level,), progress=progress)
        except ScalingLabError:
            return [], n_bootstrap
    bad = fam.at_bound(fb.theta).any(axis=1)
    return [fam.build(t) for t, b in zip(fb.theta, bad) if not b], int(bad.sum()) + n_bootstrap - len(fb.theta)


def _identify(fit: FitResult, samples: list[Law], n_refits: int, n_degenerate: int, n_runs: int,
              level: float) -> Identification:
    reasons = []
    fam = get_family(fit.family)
    k = fam.k
    if n_runs - k < 1:
        reasons.append(f"{n_runs} runs cannot fix {k} parameters and leave a residual to measure run scatter")
    if fit.at_bound:
        named = [_BOUND_NAMES.get(n, n) for n in fit.at_bound]
        reasons.append(f"{', '.join(named)} at the bound of the search box")
    if n_refits:
        share = n_degenerate / n_refits
        if share > 0.10:
            reasons.append(f"{n_degenerate} of {n_refits} bootstrap refits ({share:.0%}) are degenerate "
                           "(failed or on a bound of the search box)")
        if len(samples) >= 2:
            coefs = fit.law.coefficients()
            names = fam.exponents
            rows = np.array([[s.coefficients()[nm] for nm in names] for s in samples])
            lo, hi = central_interval(rows, level)
            reasons += exponent_reasons(names, [coefs[nm] for nm in names], np.atleast_1d(lo), np.atleast_1d(hi),
                                        level)
    status = "not identified" if reasons else ("identified" if n_refits else "unchecked")
    return Identification(status, tuple(reasons), FIX_HINT if reasons else "", n_refits, n_degenerate,
                          tuple(fit.at_bound))


def fit_law(
    runs: Runs,
    family: str = "chinchilla",
    *,
    loss: str = "huber",
    delta: float = 1e-3,
    asymmetry: float = 0.75,
    starts: Any = None,
    method: str | None = None,
    residuals: str = "log",
    n_bootstrap: int = 0,
    seed: int = 0,
    level: float = DEFAULT_LEVEL,
    name: str = "fitted",
    progress: Callable[[int, int], None] | None = None,
    **provenance_extra: Any,
) -> FittedLaw:
    """Fit ``family`` to ``runs`` and return the law with its bands and identification verdict.

    ``n_bootstrap`` refits (0: none) give the mean band and the identification checks on intervals; the run
    scatter (always, when the runs outnumber the parameters) gives the prediction band. ``starts`` and
    ``method`` choose Chinchilla's start grid and search (defaults ``"hoffmann"``, ``"varpro"``); other
    families refuse them. ``residuals`` (``"log"`` or ``"loss"``): see :func:`~scalinglab.fit.fit_family`.
    """
    level = check_level(level)
    if not isinstance(n_bootstrap, (int, np.integer)) or isinstance(n_bootstrap, bool) or n_bootstrap < 0 \
            or n_bootstrap == 1:
        raise ConfigError(f"The 'n_bootstrap' parameter must be 0 or an integer >= 2. Got {n_bootstrap!r}.")
    res = fit_family(family, runs, loss=loss, delta=delta, asymmetry=asymmetry, starts=starts, method=method,
                     seed=seed, residuals=residuals)
    prov = _provenance(res, runs, family, n_bootstrap, seed, provenance_extra)
    law = res.to_law(name, prov)
    samples, n_bad = (_bootstrap(runs, res, int(n_bootstrap), seed, level, progress) if n_bootstrap else ([], 0))
    samples = [replace(s, name=f"{name}[{i}]", citation=law.citation) for i, s in enumerate(samples)]  # type: ignore[type-var]
    ident = _identify(res, samples, int(n_bootstrap), n_bad, len(runs), level)
    scatter = run_scatter(runs, res.law, get_family(family).k, lambda sub: refit(res, sub).law)
    return FittedLaw(law, ident, tuple(samples), scatter, level, prov, res.as_dict())


def _provenance(res: FitResult, runs: Runs, family: str, n_bootstrap: int, seed: int,
                extra: dict[str, Any]) -> dict[str, Any]:
    prov = provenance(res, runs, **extra)
    prov["family"] = family
    # the span of the runs: where new runs would add to them (fit.design's candidates start at the smallest N)
    prov["ranges"] = {v: [float(np.min(getattr(runs, v))), float(np.max(getattr(runs, v)))]
                      for v in ("n_params", "n_tokens", "flops") if v in runs.variables}
    if n_bootstrap:
        prov["bootstrap"] = {"n": int(n_bootstrap), "seed": seed,
                             "resample": "runs" if runs.run_id is not None else "rows"}
    return prov
