"""Other joint-law families fitted by name: a generic, slower path with numerical gradients.

Only the Chinchilla family has the batched analytic optimiser (:mod:`scalinglab.fit.parametric`). The
families here are fitted in log space with the same penalties, from a small grid of starts, by scipy
least squares with a finite-difference Jacobian (:func:`_solve`) — adequate for tens to hundreds of runs;
a bootstrap (:func:`bootstrap_family`) costs one such refit per replicate.

- ``"kaplan"``: Kaplan et al. (2020) Eq. 1.5, ``L = [(N_c/N)^(α_N/α_D) + D_c/D]^α_D``;
  θ = (log N_c, log D_c, α_N, α_D).
- ``"over-training"``: Gadre et al. (2024), ``L = E + (a·M^η + b·M^(−η))·C^(−η)``, M = D/N, C = 6ND;
  θ = (log E, log a, log b, η).
- ``"data-constrained"``: Muennighoff et al. (2023), Chinchilla on effective N', D' under repetition with
  α = β as in the paper; θ = (log E, log A, log B, α, log R_D*, log R_N*). Needs ``Runs.unique_tokens``.
- ``"power-law-n"``, ``"power-law-d"``, ``"power-law-c"``: one variable, ``L = E + A/x^α`` with x = N, D
  or C = 6ND (Kaplan's L(N), L(D), L(C_min) with an irreducible term); θ = (log E, log A, α).
"""

from __future__ import annotations

import functools
import itertools
import time
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import least_squares, minimize
from scipy.special import logsumexp

from ..errors import ConfigError, FitError
from ..laws.base import Citation, JointLaw
from ..laws.chinchilla import ChinchillaParams
from ..laws.datablations import DataConstrained
from ..laws.kaplan import KaplanJoint
from ..laws.overtraining import OverTraining
from ..laws.powerlaw import PowerLaw
from .data import Runs
from .objectives import check_loss, penalty
from .result import FitWarning

__all__ = ["FAMILIES", "NEEDS_UNIQUE", "FamilyFit", "fit_family", "FamilyBootstrap", "bootstrap_family"]

_CIT = Citation("scalinglab fit", 2025, "numeric-gradient fit to user runs")


def _kaplan_log(theta, log_n, log_d):
    lnc, ldc, an, ad = theta
    return ad * np.logaddexp((an / ad) * (lnc - log_n), ldc - log_d)


def _kaplan_law(theta):
    lnc, ldc, an, ad = theta
    return KaplanJoint("fitted-kaplan", float(an), float(ad), float(np.exp(lnc)), float(np.exp(ldc)), _CIT)


def _ot_log(theta, log_n, log_d):
    le, la, lb, eta = theta
    log_m, log_c = log_d - log_n, np.log(6.0) + log_n + log_d
    return logsumexp(np.stack([np.full_like(log_n, le), la + eta * log_m - eta * log_c,
                               lb - eta * log_m - eta * log_c]), axis=0)


def _ot_law(theta):
    le, la, lb, eta = theta
    return OverTraining("fitted-over-training", float(np.exp(le)), float(np.exp(la)), float(np.exp(lb)),
                        float(eta), _CIT)


def _dc_law(theta):
    le, la, lb, alpha, lrd, lrn = theta
    params = ChinchillaParams(float(np.exp(le)), float(np.exp(la)), float(np.exp(lb)), float(alpha), float(alpha))
    return DataConstrained("fitted-data-constrained", params, float(np.exp(lrd)), float(np.exp(lrn)), _CIT)


def _dc_log(theta, log_n, log_d, log_u):
    with np.errstate(all="ignore"):  # extreme trial coefficients give inf/nan; fit_family maps them to 1e300
        return np.log(_dc_law(theta).loss(np.exp(log_n), np.exp(log_d), np.exp(log_u)))


_PL_X = {"power-law-n": ("n_params", lambda ln, ld: ln), "power-law-d": ("n_tokens", lambda ln, ld: ld),
         "power-law-c": ("flops", lambda ln, ld: np.log(6.0) + ln + ld)}


def _pl_log(theta, log_n, log_d, *, family):
    le, la, alpha = theta
    return np.logaddexp(le, la - alpha * _PL_X[family][1](log_n, log_d))


def _pl_law(theta, *, family):
    le, la, alpha = theta
    return PowerLaw(f"fitted-{family}", _PL_X[family][0], float(np.exp(le)), float(np.exp(la)), float(alpha), _CIT)


def _pl_entry(family: str, la_axis: tuple[float, ...]):
    return (functools.partial(_pl_log, family=family), functools.partial(_pl_law, family=family),
            [(-1.0, 0.0, 0.7), la_axis, (0.05, 0.15, 0.4)], [(-20.0, 5.0), (-30.0, 120.0), (1e-4, 3.0)])


#: families whose prediction also needs each run's unique tokens
NEEDS_UNIQUE = frozenset({"data-constrained"})

#: name -> (log-prediction, law builder, start grid axes, bounds)
FAMILIES: dict[str, tuple[Any, Any, list[tuple[float, ...]], list[tuple[float, float]]]] = {
    "kaplan": (_kaplan_log, _kaplan_law, [(25.0, 30.0, 35.0), (20.0, 25.0, 30.0), (0.05, 0.1, 0.3),
                                           (0.05, 0.1, 0.3)],
               [(0.0, 80.0), (0.0, 80.0), (1e-4, 3.0), (1e-4, 3.0)]),
    "over-training": (_ot_log, _ot_law, [(-1.0, 0.0, 0.5), (0.0, 5.0, 10.0), (0.0, 5.0, 10.0),
                                         (0.05, 0.15, 0.3)],
                      [(-20.0, 5.0), (-30.0, 60.0), (-30.0, 60.0), (1e-4, 2.0)]),
    "data-constrained": (_dc_log, _dc_law, [(0.0, 0.6), (4.0, 8.0), (4.0, 8.0), (0.2, 0.4), (np.log(15.0),),
                                            (np.log(5.0),)],
                         [(-5.0, 3.0), (-10.0, 40.0), (-10.0, 40.0), (0.01, 2.0), (np.log(0.1), np.log(1e3)),
                          (np.log(0.1), np.log(1e3))]),
    "power-law-n": _pl_entry("power-law-n", (2.0, 5.0, 10.0)),
    "power-law-d": _pl_entry("power-law-d", (2.0, 5.0, 10.0)),
    "power-law-c": _pl_entry("power-law-c", (5.0, 10.0, 20.0)),
}


@dataclass(frozen=True, eq=False)
class FamilyFit:
    """Result of :func:`fit_family`: the law, the objective and how many starts reached it."""

    law: JointLaw | PowerLaw
    theta: np.ndarray
    objective: float
    loss: str
    delta: float
    n_starts: int
    n_best: int
    seconds: float
    n_runs: int
    family: str
    asymmetry: float = 0.75

    def as_dict(self) -> dict[str, Any]:
        return {"family": self.family, "params": self.law.coefficients(), "objective": self.objective,
                "loss": self.loss, "delta": self.delta, "starts": {"total": self.n_starts, "best": self.n_best},
                "seconds": self.seconds, "n_runs": self.n_runs}

    def to_law(self, name: str = "fitted", provenance: dict[str, Any] | None = None) -> JointLaw | PowerLaw:
        return self.law

    def predict(self, n_params: Any, n_tokens: Any) -> np.ndarray:
        """Predicted loss at (N, D) whatever the family's variables (C = 6ND for a law in compute)."""
        n, d = np.asarray(n_params, dtype=float), np.asarray(n_tokens, dtype=float)
        if isinstance(self.law, PowerLaw):
            x = {"n_params": n, "n_tokens": d, "flops": 6.0 * n * d}[self.law.variable]
            return np.asarray(self.law.loss(x))
        return np.asarray(self.law.loss(n, d))


def _prediction(family: str, runs: Runs):
    """The family's log-prediction ``f(θ, log N, log D)`` for these runs (with their unique tokens bound in
    where the family needs them) and the data ``(log N, log D, log L)``."""
    log_pred = FAMILIES[family][0]
    if family in NEEDS_UNIQUE:
        if runs.unique_tokens is None:
            raise ConfigError(f"The {family!r} family needs the unique tokens of each run (load_runs("
                              "unique_tokens_col=...) or --unique-tokens-col). Got none.")
        log_pred = functools.partial(log_pred, log_u=np.log(runs.unique_tokens))
    return log_pred, (np.log(runs.n_params), np.log(runs.n_tokens), np.log(runs.loss))


def fit_family(family: str, runs: Runs, *, loss: str = "huber", delta: float = 1e-3,
               asymmetry: float = 0.75, seed: int = 0) -> FamilyFit:
    """Fit ``family`` (a key of :data:`FAMILIES`) from every point of its start grid (see :func:`_solve`)."""
    check_loss(loss, delta, asymmetry)
    t0 = time.perf_counter()
    _, build, axes, bounds = FAMILIES[family]
    log_pred, data = _prediction(family, runs)
    results = [_solve(log_pred, np.array(x0), bounds, data, None, loss, delta, asymmetry)
               for x0 in itertools.product(*axes)]
    objs = np.array([f for _, f in results])
    x_best, f_best = results[int(np.argmin(objs))]
    n_best = int(np.sum(objs <= f_best + max(1e-6 * f_best, 1e-9)))
    hit = [name for name, at in zip(THETA_NAMES[family], _at_bound(x_best[None, :], bounds)[0]) if at]
    if hit:
        warnings.warn(f"The fitted {', '.join(hit)} of the {family} law {'sits' if len(hit) == 1 else 'sit'} at "
                      f"the bound of the search box; the law is likely degenerate for these runs (or the "
                      f"bound too tight).", FitWarning, stacklevel=3)
    return FamilyFit(build(x_best), x_best, f_best, loss, float(delta), len(results), n_best,
                     time.perf_counter() - t0, len(runs), family, float(asymmetry))


def _solve(log_pred, x0, bounds, data, weights, loss, delta, asymmetry) -> tuple[np.ndarray, float]:
    """Minimise ``Σ w ρ(log L̂ − log L)`` from ``x0`` within ``bounds``; returns (θ, objective).

    Huber and MSE go to :func:`scipy.optimize.least_squares` (trust-region reflective, finite-difference
    Jacobian): with ``loss="huber", f_scale=δ`` its cost ``½ Σ δ² ρ(r²/δ²)`` is exactly ``Σ huber_δ(r)``,
    and integer weights (bootstrap counts) are repeated rows. On the fits in tests/fit it reached lower
    objectives than L-BFGS-B on the same starts (Kaplan on synthetic runs: 2.6% lower) and from many more
    starts. The asymmetric loss has no such form and uses L-BFGS-B, on an objective divided by ``Σw·δ``:
    scipy's ``ftol`` test is relative to ``max(|f|, 1)``, so a raw objective of ~1e-5 would stop at once.
    """
    ln, ld, ll = data
    if loss != "asymmetric":
        # a row drawn k times is k residuals; index after predicting, so that per-run extras bound into
        # log_pred (the data-constrained family's unique tokens) stay aligned with their rows
        rows = slice(None) if weights is None else np.repeat(np.arange(ll.size), np.rint(weights).astype(int))
        lo, hi = np.array(bounds, dtype=float).T
        pad = 1e-9 * (hi - lo)

        def resid(theta):
            with np.errstate(all="ignore"):
                r = (log_pred(theta, ln, ld) - ll)[rows]
            return np.where(np.isfinite(r), r, 1e3)

        res = least_squares(resid, np.clip(x0, lo + pad, hi - pad), bounds=(lo, hi), method="trf",
                            loss="huber" if loss == "huber" else "linear", f_scale=delta,
                            xtol=1e-10, ftol=1e-10, gtol=1e-10, max_nfev=1000)
        f = float(penalty(resid(res.x), loss, delta, asymmetry)[0].sum())
        return res.x, f
    w = np.ones_like(ll) if weights is None else weights
    scale = float(w.sum()) * delta

    def fun(theta):
        with np.errstate(all="ignore"):
            v = (w * penalty(log_pred(theta, ln, ld) - ll, loss, delta, asymmetry)[0]).sum() / scale
        return float(v) if np.isfinite(v) else 1e300

    res = minimize(fun, x0, method="L-BFGS-B", bounds=bounds,
                   options={"ftol": 1e-13, "gtol": 1e-10, "maxiter": 5000, "maxfun": 50000})
    return res.x, float(res.fun) * scale


#: names of θ's coordinates, for warnings
THETA_NAMES = {"kaplan": ("log N_c", "log D_c", "alpha_N", "alpha_D"),
               "over-training": ("log E", "log a", "log b", "eta"),
               "data-constrained": ("log E", "log A", "log B", "alpha", "log R_D*", "log R_N*"),
               **{f"power-law-{v}": ("log E", "log A", "alpha") for v in "ndc"}}


def _at_bound(theta: np.ndarray, bounds) -> np.ndarray:
    """(S, k) mask: coordinate within 1e-6 (relative to the box width) of its bound."""
    lo, hi = np.array(bounds, dtype=float).T
    tol = 1e-6 * (hi - lo)
    return (theta <= lo + tol) | (theta >= hi - tol)


#: indices in θ of the coordinates (exponents) the bootstrap scales for its second start
_EXPONENT = {"kaplan": [2, 3], "over-training": [3], "data-constrained": [3], "power-law-n": [2],
             "power-law-d": [2], "power-law-c": [2]}


@dataclass(frozen=True, eq=False)
class FamilyBootstrap:
    """Bootstrap refits of a :class:`FamilyFit`: ``theta`` (n, k) in the fit's coordinates, ``samples`` of
    the law's published coefficients by name, percentile intervals and standard errors."""

    family: str
    theta: np.ndarray
    samples: dict[str, np.ndarray]
    objective: np.ndarray
    levels: tuple[float, ...]
    seed: int
    seconds: float
    resample: str
    intervals: dict[str, dict[float, tuple[float, float]]]
    se: dict[str, float]

    @property
    def n(self) -> int:
        return len(self.objective)

    def as_dict(self) -> dict[str, Any]:
        return {"n": self.n, "seed": self.seed, "resample": self.resample, "seconds": self.seconds,
                "se": self.se,
                "intervals": {k: {f"{lv:g}": list(iv) for lv, iv in d.items()} for k, d in self.intervals.items()}}


def bootstrap_family(runs: Runs, fit: FamilyFit, n: int = 200, seed: int = 0, *,
                     levels: tuple[float, ...] = (0.95, 0.8), progress: Any = None) -> FamilyBootstrap:
    """Refit ``fit`` on ``n`` resamples of ``runs`` (whole runs when ``run_id`` is set) with the fit's own
    objective, each by :func:`_solve` from the full-data optimum and from it with its exponents (α_N and α_D,
    η, α) scaled by 0.8; the better of the two is kept. A refit that finds no finite objective is dropped
    (with a FitWarning saying how many). Finite-difference Jacobians, one replicate at a time.

    ``progress(done, total)`` is called after each replicate.
    """
    from ._resample import percentile_interval as _interval, resample_weights as _weights

    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 2:
        raise ConfigError(f"The 'n' parameter must be an integer >= 2. Got {n!r}.")
    levels = tuple(levels)
    if not levels or not all(isinstance(lv, (int, float, np.floating)) and 0 < lv < 1 for lv in levels):
        raise ConfigError(f"The 'levels' parameter must hold numbers in (0, 1). Got {levels!r}.")
    t0 = time.perf_counter()
    _, build, _, bounds = FAMILIES[fit.family]
    log_pred, data = _prediction(fit.family, runs)
    weights, how = _weights(runs, int(n), np.random.default_rng(seed))
    lo, hi = np.array(bounds).T
    starts = [np.asarray(fit.theta, dtype=float)]
    alt = starts[0].copy()
    k = _EXPONENT[fit.family]
    alt[k] = np.clip(alt[k] * 0.8, lo[k], hi[k])
    starts.append(alt)
    thetas, objs = np.empty((int(n), len(starts[0]))), np.empty(int(n))
    for i, w in enumerate(weights):
        thetas[i], objs[i] = min((_solve(log_pred, x0, bounds, data, w, fit.loss, fit.delta,
                                         fit.asymmetry) for x0 in starts), key=lambda r: r[1])
        if progress is not None:
            progress(i + 1, int(n))
    ok = objs < 1e299
    if not ok.all():
        warnings.warn(f"{int((~ok).sum())} of {len(objs)} bootstrap refits found no finite objective and were "
                      f"dropped from the intervals.", FitWarning, stacklevel=2)
        if ok.sum() < 2:
            raise FitError(f"The bootstrap needs at least 2 refits with a finite objective. Got {int(ok.sum())} "
                           f"of {len(objs)}.")
        thetas, objs = thetas[ok], objs[ok]
    share = _at_bound(thetas, bounds).mean(axis=0)
    for name, sh in zip(THETA_NAMES[fit.family], share):
        if sh > 0.05:
            warnings.warn(f"{sh:.0%} of the bootstrap refits put {name} at the bound of the search box; its "
                          f"interval is cut by the box, not by the data.", FitWarning, stacklevel=2)
    coefs = [build(t).coefficients() for t in thetas]
    samples = {k: np.array([c[k] for c in coefs]) for k in coefs[0]}
    intervals = {k: {lv: _interval(v, lv) for lv in levels} for k, v in samples.items()}
    se = {k: float(np.std(v, ddof=1)) for k, v in samples.items()}
    return FamilyBootstrap(fit.family, thetas, samples, objs, tuple(levels), seed, time.perf_counter() - t0, how,
                           intervals, se)
