"""From runs to one :class:`~scalinglab.laws.fitted.FittedLaw`: fit, bootstrap, run scatter, identification.

:func:`fit_law` is the one path every caller takes (the CLI, the report, the audit); they render what it
returns. The rules for *not identified* and the prediction band are documented in docs/uncertainty.md and
:mod:`scalinglab.laws.fitted`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._intervals import DEFAULT_LEVEL, central_interval, check_level
from ..errors import ConfigError, ScalingLabError
from ..laws.base import Law
from ..laws.chinchilla import Chinchilla, ChinchillaParams
from ..laws.fitted import FittedLaw, Identification, RunScatter, exponent_reasons, law_loss
from .bootstrap import bootstrap
from .data import Runs
from .families import FAMILIES, THETA_NAMES, FamilyFit, _at_bound, _prediction, _solve, bootstrap_family, fit_family
from .parametric import LOWER, UPPER, fit_chinchilla
from .result import FitResult, FitWarning, provenance

__all__ = ["fit_law", "FOLD_CUTS", "FIX_HINT", "EXPONENTS"]

#: forward-chaining folds: refit on the smallest share of runs by compute, predict every larger run
FOLD_CUTS = (0.5, 0.6, 0.7, 0.8)

#: what data would let a fit identify its law
FIX_HINT = ("More informative runs would fix it: at least three compute budgets spanning a decade or more, each "
            "with model sizes on both sides of its loss minimum, or a family with fewer parameters.")

#: the exponents of each family (names of its published coefficients) checked for identification
EXPONENTS = {"chinchilla": ("alpha", "beta"), "kaplan": ("alpha_N", "alpha_D"), "over-training": ("eta",),
             "data-constrained": ("alpha",), "power-law-n": ("alpha",), "power-law-d": ("alpha",),
             "power-law-c": ("alpha",)}

#: readable names of search coordinates that can hit a bound
_BOUND_NAMES = {"e": "E (the irreducible loss, driven to ~0)", "log E": "E (the irreducible loss)",
                "alpha": "alpha (exponent of N)", "beta": "beta (exponent of D)"}

_N_PARAMS = {"chinchilla": 5, **{k: len(v[3]) for k, v in FAMILIES.items()}}


@dataclass(frozen=True)
class _Fitted:
    """One family's fit, in the shape the pipeline needs."""

    law: Law
    result: FitResult | FamilyFit
    at_bound: tuple[str, ...]
    refit: Callable[[Runs], Law]        # warm refit on a subset (forward-chaining folds)


def _fit(runs: Runs, family: str, *, loss: str, delta: float, asymmetry: float, starts: Any, method: str,
         seed: int) -> _Fitted:
    if family == "chinchilla":
        res = fit_chinchilla(runs, loss=loss, delta=delta, asymmetry=asymmetry, starts=starts, method=method,
                             seed=seed)

        def refit(sub: Runs) -> Law:
            r = fit_chinchilla(sub, loss=loss, delta=delta, asymmetry=asymmetry, starts="coarse", keep_starts=False)
            return r.to_law("fold")

        return _Fitted(res.to_law("fitted"), res, res.at_bound, refit)
    if family not in FAMILIES:
        raise ConfigError(f"The 'family' parameter must be one of chinchilla, {', '.join(FAMILIES)}. Got {family!r}.")
    fam = fit_family(family, runs, loss=loss, delta=delta, asymmetry=asymmetry, seed=seed)
    hit = tuple(n for n, at in zip(THETA_NAMES[family], _at_bound(fam.theta[None, :], FAMILIES[family][3])[0]) if at)

    def refit_family(sub: Runs) -> Law:
        log_pred, data = _prediction(family, sub)
        theta, _ = _solve(log_pred, np.asarray(fam.theta, float), FAMILIES[family][3], data, None, loss, delta,
                          asymmetry)
        return FAMILIES[family][1](theta)

    return _Fitted(fam.law, fam, hit, refit_family)


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
    flops = runs.flops
    order = np.argsort(flops, kind="stable")
    dist, excess, folds = [], [], 0
    for cut in FOLD_CUTS if refit is not None else ():
        m = int(round(cut * len(runs)))
        if m < k + 2 or m >= len(runs):
            continue
        fit_part, beyond = runs.subset(order[:m]), order[m:]
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


def _degenerate_chinchilla(samples: np.ndarray, objective: np.ndarray) -> np.ndarray:
    """Refits that failed or ended on the box: E, α or β at a bound (rows E, A, B, α, β)."""
    tol = 1e-6
    with np.errstate(divide="ignore"):
        ln_e = np.log(samples[:, 0])
    bad = ~np.isfinite(objective) | ~np.isfinite(samples).all(axis=1)
    bad |= (ln_e <= LOWER[2] + tol) | (ln_e >= UPPER[2] - tol)
    for j, col in ((3, 3), (4, 4)):
        bad |= (samples[:, j] <= LOWER[col] + tol) | (samples[:, j] >= UPPER[col] - tol)
    return bad


def _bootstrap(runs: Runs, fitted: _Fitted, family: str, n: int, seed: int, level: float,
               progress: Any) -> tuple[list[Law], int]:
    """Non-degenerate refits as laws, and how many were degenerate."""
    with warnings.catch_warnings():
        # the degenerate refits are counted in Identification; their per-family warnings would repeat it
        warnings.simplefilter("ignore", FitWarning)
        if family == "chinchilla":
            boot = bootstrap(runs, fitted.result, n=n, seed=seed, levels=(level,), progress=progress)  # type: ignore[arg-type]
            bad = _degenerate_chinchilla(boot.samples, boot.objective)
            base: Chinchilla = fitted.law  # type: ignore[assignment]
            laws: list[Law] = [Chinchilla(f"{base.name}[{i}]", ChinchillaParams(*map(float, row)), base.citation)
                               for i, row in enumerate(boot.samples) if not bad[i]]
            return laws, int(bad.sum())
        try:
            fb = bootstrap_family(runs, fitted.result, n=n, seed=seed, levels=(level,), progress=progress)  # type: ignore[arg-type]
        except ScalingLabError:
            return [], n
    build, bounds = FAMILIES[family][1], FAMILIES[family][3]
    bad = _at_bound(fb.theta, bounds).any(axis=1)
    failed = n - len(fb.theta)
    return [build(t) for t, b in zip(fb.theta, bad) if not b], int(bad.sum()) + failed


def _identify(fitted: _Fitted, family: str, samples: list[Law], n_refits: int, n_degenerate: int,
              n_runs: int, level: float) -> Identification:
    reasons = []
    k = _N_PARAMS[family]
    if n_runs - k < 1:
        reasons.append(f"{n_runs} runs cannot fix {k} parameters and leave a residual to measure run scatter")
    if fitted.at_bound:
        named = [_BOUND_NAMES.get(n, n) for n in fitted.at_bound]
        reasons.append(f"{', '.join(named)} at the bound of the search box")
    if n_refits:
        share = n_degenerate / n_refits
        if share > 0.10:
            reasons.append(f"{n_degenerate} of {n_refits} bootstrap refits ({share:.0%}) are degenerate "
                           "(failed or on a bound of the search box)")
        if len(samples) >= 2:
            coefs = fitted.law.coefficients()
            names = EXPONENTS[family]
            rows = np.array([[s.coefficients()[nm] for nm in names] for s in samples])
            lo, hi = central_interval(rows, level)
            reasons += exponent_reasons(names, [coefs[nm] for nm in names], np.atleast_1d(lo), np.atleast_1d(hi),
                                        level)
    status = "not identified" if reasons else ("identified" if n_refits else "unchecked")
    return Identification(status, tuple(reasons), FIX_HINT if reasons else "", n_refits, n_degenerate,
                          tuple(fitted.at_bound))


def fit_law(
    runs: Runs,
    family: str = "chinchilla",
    *,
    loss: str = "huber",
    delta: float = 1e-3,
    asymmetry: float = 0.75,
    starts: Any = "hoffmann",
    method: str = "varpro",
    n_bootstrap: int = 0,
    seed: int = 0,
    level: float = DEFAULT_LEVEL,
    name: str = "fitted",
    progress: Callable[[int, int], None] | None = None,
    **provenance_extra: Any,
) -> FittedLaw:
    """Fit ``family`` to ``runs`` and return the law with its bands and identification verdict.

    ``n_bootstrap`` refits (0: none) give the mean band and the identification checks on intervals; the run
    scatter (always, when the runs outnumber the parameters) gives the prediction band.
    """
    level = check_level(level)
    if not isinstance(n_bootstrap, (int, np.integer)) or isinstance(n_bootstrap, bool) or n_bootstrap < 0 \
            or n_bootstrap == 1:
        raise ConfigError(f"The 'n_bootstrap' parameter must be 0 or an integer >= 2. Got {n_bootstrap!r}.")
    fitted = _fit(runs, family, loss=loss, delta=delta, asymmetry=asymmetry, starts=starts, method=method, seed=seed)
    samples, n_bad = (_bootstrap(runs, fitted, family, int(n_bootstrap), seed, level, progress)
                      if n_bootstrap else ([], 0))
    ident = _identify(fitted, family, samples, int(n_bootstrap), n_bad, len(runs), level)
    scatter = run_scatter(runs, fitted.law, _N_PARAMS[family], fitted.refit)
    res = fitted.result
    prov = _provenance(res, runs, family, n_bootstrap, seed, provenance_extra)
    summary = res.as_dict()
    law = fitted.law
    if name != law.name:
        law = _renamed(law, name)
    return FittedLaw(law, ident, tuple(samples), scatter, level, prov, summary)


def _renamed(law: Law, name: str) -> Law:
    from dataclasses import replace

    return replace(law, name=name)  # type: ignore[type-var]


def _provenance(res: FitResult | FamilyFit, runs: Runs, family: str, n_bootstrap: int, seed: int,
                extra: dict[str, Any]) -> dict[str, Any]:
    prov = provenance(res, runs, **extra)
    prov["family"] = family
    if n_bootstrap:
        prov["bootstrap"] = {"n": int(n_bootstrap), "seed": seed,
                             "resample": "runs" if runs.run_id is not None else "rows"}
    return prov
