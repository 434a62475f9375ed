"""Fit a training-curve law (:mod:`scalinglab.laws.curves`) to one or several loss curves of one model size.

The objective is the one the multi-power-law authors use, and the one every other family here uses:
``Σ huber_δ(log L − log L̂)`` over every logged point of every curve, δ = 1e-3. It is minimised by a
trust-region least-squares solver with the laws' analytic Jacobians (``scipy.optimize.least_squares``,
``loss="huber"``, which is exactly this objective), in log parameters so that every parameter stays > 0.

Starts: the prediction is linear in ``(L0, A, B)`` (multi-power) or ``(L0, A, C)`` (annealing) once the other
parameters are fixed, so each point of a small grid over the nonlinear ones gets its linear parameters by
least squares; the best ``n_starts`` of those are polished. Every start is kept in the result
(:attr:`CurveFit.starts`), with how many reached the best objective.

Bands: a moving-block bootstrap of each curve's log residuals (blocks keep the curve's autocorrelation),
refitted from the best parameters; the *mean* band is the spread of the refits' curves, the *prediction*
band adds the scatter of a curve's points about the law (:func:`predict_curve`).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import least_squares

from .._intervals import DEFAULT_LEVEL, central_interval, check_level
from .._validate import check_choice
from ..errors import ConfigError, DataError, FitError
from ..laws.curves import CurveGrid, CurveLaw, curve_grid, get_curve_law
from ..laws.schedules import check_lrs
from ._curve_adam import authors_fit
from .objectives import penalty

__all__ = ["Curve", "CurveFit", "fit_curves", "predict_curve", "curve_metrics"]

#: grid of the nonlinear parameters from which the starts are drawn, per law
_START_GRID = {
    "multi-power": {"alpha": (0.3, 0.5, 0.8), "C": (0.5, 2.0), "beta": (0.4, 0.7), "gamma": (0.4, 0.65)},
    "annealing": {"alpha": (0.2, 0.35, 0.5, 0.7, 1.0)},
}
METHODS = ("lsq", "authors")
_LOG_BOUND = 50.0  # the fitted log parameters stay in [-50, 50]
_LINEAR = {"multi-power": ("L0", "A", "B"), "annealing": ("L0", "A", "C")}


@dataclass(frozen=True)
class Curve:
    """One logged training curve: the loss at ``steps`` of a run whose schedule is ``lrs`` (one per step)."""

    steps: np.ndarray
    loss: np.ndarray
    lrs: np.ndarray = field(repr=False)
    name: str = "curve"

    def __post_init__(self) -> None:
        lrs = check_lrs(self.lrs, f"learning rates of curve {self.name!r}")
        steps, loss = np.asarray(self.steps), np.asarray(self.loss, dtype=float)
        if steps.shape != loss.shape or steps.ndim != 1 or steps.size == 0:
            raise DataError(f"Curve {self.name!r} needs one loss per step. Got {steps.size} steps and "
                            f"{loss.size} losses.")
        bad = ~(np.isfinite(loss) & (loss > 0))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise DataError(f"Each loss of curve {self.name!r} must be a finite number > 0. Got {loss[i]!r} at "
                            f"step {steps[i]}.")
        if np.any(np.diff(steps) <= 0):
            i = int(np.flatnonzero(np.diff(steps) <= 0)[0])
            raise DataError(f"The steps of curve {self.name!r} must increase. Got {steps[i]} then {steps[i + 1]}.")
        if steps[-1] >= lrs.size:
            raise DataError(f"Curve {self.name!r} logs step {steps[-1]}, past its schedule of {lrs.size} steps.")
        object.__setattr__(self, "steps", steps.astype(np.int64))
        object.__setattr__(self, "loss", loss)
        object.__setattr__(self, "lrs", lrs)


@dataclass(frozen=True)
class CurveFit:
    """A fitted curve law: parameters, objective, every start, and bootstrap refits (maybe none)."""

    law: str
    params: dict[str, float]
    objective: float
    n_points: int
    curves: tuple[str, ...]
    residual_sd: float  # of the log residuals: the scatter of single points about the law
    transfer_sd: float | None  # log error on a schedule left out of the fit (leave-one-curve-out); None: < 3 curves
    starts: tuple[dict[str, object], ...]
    n_at_best: int
    samples: np.ndarray  # bootstrap refits, shape (n_bootstrap, n_params)
    seconds: float
    lam: float = 0.999
    method: str = "lsq"
    #: why the curves do not identify the law (a parameter driven to its bound, by the fit or its refits); empty
    #: when nothing was found
    reasons: tuple[str, ...] = ()

    @property
    def theta(self) -> np.ndarray:
        return np.array(list(self.params.values()))

    @property
    def identified(self) -> bool:
        return not self.reasons

    def as_dict(self) -> dict[str, object]:
        return {"law": self.law, "params": self.params, "objective": self.objective, "n_points": self.n_points,
                "curves": list(self.curves), "residual_sd": self.residual_sd, "transfer_sd": self.transfer_sd,
                "n_starts": len(self.starts), "n_at_best": self.n_at_best, "n_bootstrap": len(self.samples),
                "seconds": self.seconds, "method": self.method, "identified": self.identified,
                "reasons": list(self.reasons),
                **({"lambda": self.lam} if self.law == "annealing" else {})}


def _stack(law: CurveLaw, grids: Sequence[CurveGrid], theta: np.ndarray, lam: float, jac: bool = True):
    parts = [law.predict_jac(theta, g, jac=jac, lam=lam) for g in grids]
    pred = np.concatenate([p for p, _ in parts])
    return pred, (np.vstack([j for _, j in parts]) if jac else None)


def _linear_start(law: CurveLaw, grids, log_loss, fixed: dict[str, float], lam: float) -> np.ndarray:
    """Least squares for the law's linear parameters with the others at ``fixed``: the columns of the
    Jacobian at unit linear parameters are exactly the prediction's basis."""
    names = law.params
    theta = np.array([fixed.get(n, 1.0) for n in names])
    _, j = _stack(law, grids, theta, lam)
    cols = [names.index(n) for n in _LINEAR[law.name]]
    basis = j[:, cols]
    # the annealing law's C column is −S2, so each coefficient is the parameter itself
    coef, *_ = np.linalg.lstsq(basis, np.exp(log_loss), rcond=None)
    if np.any(coef <= 0) or not np.all(np.isfinite(coef)):
        coef = np.maximum(np.abs(coef), 1e-3)
    theta[cols] = coef
    return theta


def _solve(law, grids, log_loss, theta0, delta, lam):
    def fun(z):
        with np.errstate(over="ignore"):  # a trial step to a huge parameter: an inf prediction, a big residual
            pred, _ = _stack(law, grids, np.exp(z), lam, jac=False)
        return log_loss - np.log(np.maximum(pred, 1e-10))

    def jac(z):
        theta = np.exp(z)
        pred, j = _stack(law, grids, theta, lam)
        return -(1.0 / np.maximum(pred, 1e-10))[:, None] * j * theta[None, :]

    # log parameters within ±50 (e^50 ≈ 5e21): a degenerate refit (C → 0 with γ → ∞) stays finite, not 0·∞
    z0 = np.clip(np.log(theta0), -_LOG_BOUND + 1e-9, _LOG_BOUND - 1e-9)
    res = least_squares(fun, z0, jac=jac, loss="huber", f_scale=delta, method="trf", bounds=(-_LOG_BOUND, _LOG_BOUND),
                        x_scale="jac", ftol=1e-12, xtol=1e-12, gtol=1e-12, max_nfev=500)
    return np.exp(res.x), float(res.cost), bool(res.success)


def fit_curves(curves: Sequence[Curve], *, law: str = "multi-power", method: str = "lsq", delta: float = 1e-3,
               n_starts: int = 4, n_bootstrap: int = 0, seed: int = 0, lam: float = 0.999,
               block: int | None = None, transfer: bool = True,
               progress: Callable[[int, int], None] | None = None) -> CurveFit:
    """Fit ``law`` ("multi-power" or "annealing") to ``curves`` of one model size (see the module docstring).

    ``method="lsq"`` minimises the objective: ``n_starts`` grid points polished by least squares.
    ``method="authors"`` (multi-power only) is the authors' early-stopped AdamW (:mod:`._curve_adam`), which
    their published figures come from. ``n_bootstrap`` moving-block bootstrap refits (blocks of ``block``
    points, default ≈ n^(1/3) per curve), each by the same method, make the mean band of :func:`predict_curve`;
    ``transfer`` (three curves or more) refits without each curve in turn to measure the law's error on a
    schedule it was not fitted on (:attr:`CurveFit.transfer_sd`), which widens the run band. ``progress(done,
    total)`` is called after each bootstrap refit and each leave-one-curve-out refit.
    """
    t0 = time.perf_counter()
    cl = get_curve_law(law)
    check_choice("method", method, METHODS)
    if method == "authors" and cl.name != "multi-power":
        raise ConfigError(f"The 'authors' method is the multi-power authors' own procedure; it fits law "
                          f"multi-power only. Got law {law!r}.")
    if not curves:
        raise DataError("A curve fit needs at least one curve. Got none.")
    if not 0.0 < lam < 1.0:
        raise ConfigError(f"The 'lam' (λ) parameter must be in (0, 1). Got {lam!r}.")
    if not (isinstance(n_starts, int) and n_starts >= 1):
        raise ConfigError(f"The 'n_starts' parameter must be a whole number >= 1. Got {n_starts!r}.")
    if not (isinstance(n_bootstrap, int) and n_bootstrap >= 0):
        raise ConfigError(f"The 'n_bootstrap' parameter must be a whole number >= 0. Got {n_bootstrap!r}.")
    n_points = sum(c.steps.size for c in curves)
    if n_points <= len(cl.params):
        raise DataError(f"The {law} law has {len(cl.params)} parameters; the curves give {n_points} points. "
                        f"It needs more points than parameters.")
    grids = [curve_grid(c.lrs, c.steps) for c in curves]
    log_loss = np.log(np.concatenate([c.loss for c in curves]))
    if method == "authors":
        theta, cost = authors_fit(grids, curves, log_loss, delta)
        starts = [{"start": "authors' grid", "params": dict(zip(cl.params, map(float, theta))), "objective": cost,
                   "converged": True}]
    else:
        starts = _multistart(cl, grids, log_loss, delta, lam, n_starts)
    best = min(starts, key=lambda s: s["objective"])
    if not np.isfinite(best["objective"]):
        raise FitError(f"The {law} law could not be fitted: no start reached a finite objective.")
    theta = np.array(list(best["params"].values()))
    n_at_best = sum(abs(s["objective"] - best["objective"]) <= 1e-6 * max(best["objective"], 1e-12) + 1e-12
                    for s in starts)
    pred, _ = _stack(cl, grids, theta, lam, jac=False)
    resid = log_loss - np.log(pred)

    def refit(pseudo_log_loss: np.ndarray) -> np.ndarray:
        if method == "authors":
            return authors_fit(grids, curves, pseudo_log_loss, delta)[0]
        return _solve(cl, grids, pseudo_log_loss, theta, delta, lam)[0]

    total = n_bootstrap + (len(curves) if transfer and len(curves) >= 3 else 0)
    tick = (lambda done: progress(done, total)) if progress is not None else None
    samples = _bootstrap(curves, np.log(pred), resid, refit, len(cl.params), n_bootstrap, seed, block, tick)
    transfer_sd = None if not transfer else _transfer_sd(
        curves, (lambda i: tick(n_bootstrap + i)) if tick else None, law=cl.name, method=method, delta=delta,
        n_starts=n_starts, lam=lam)
    reasons = _degenerate(cl.params, theta, samples)
    return CurveFit(law=cl.name, params=dict(zip(cl.params, map(float, theta))), objective=float(best["objective"]),
                    n_points=n_points, curves=tuple(c.name for c in curves),
                    residual_sd=float(np.std(resid, ddof=len(cl.params))), transfer_sd=transfer_sd,
                    starts=tuple(starts),
                    n_at_best=n_at_best, samples=samples, seconds=time.perf_counter() - t0, lam=lam,
                    method=method, reasons=reasons)


def _degenerate(names: Sequence[str], theta: np.ndarray, samples: np.ndarray) -> tuple[str, ...]:
    """A parameter at (or within 0.1% in log of) its bound e^±50 in the fit, or in more than 10% of the refits:
    the curves do not pin it down, and the law's curve is the limit of a degenerate form."""
    out = []
    for i, name in enumerate(names):
        if abs(np.log(theta[i])) >= _LOG_BOUND * 0.999:
            out.append(f"{name} = {theta[i]:.3g} sits at its bound (e^±{_LOG_BOUND:g}): the curves do not pin it down")
        elif len(samples) and np.mean(np.abs(np.log(samples[:, i])) >= _LOG_BOUND * 0.999) > 0.1:
            share = np.mean(np.abs(np.log(samples[:, i])) >= _LOG_BOUND * 0.999)
            out.append(f"{name} reaches its bound (e^±{_LOG_BOUND:g}) in {share:.0%} of the bootstrap refits")
    return tuple(out)


def _multistart(cl, grids, log_loss, delta, lam, n_starts) -> list[dict[str, object]]:
    """The best ``n_starts`` points of the start grid (linear parameters solved), each polished."""
    grid = _START_GRID[cl.name]
    candidates = []
    for values in itertools.product(*grid.values()):
        theta = _linear_start(cl, grids, log_loss, dict(zip(grid, values)), lam)
        pred, _ = _stack(cl, grids, theta, lam, jac=False)
        rho = penalty(log_loss - np.log(np.maximum(pred, 1e-10)), "huber", delta)[0]
        candidates.append((float(rho.sum()), theta))
    candidates.sort(key=lambda c: c[0])
    starts = []
    for _, theta0 in candidates[:n_starts]:
        theta, cost, ok = _solve(cl, grids, log_loss, theta0, delta, lam)
        starts.append({"start": dict(zip(cl.params, map(float, theta0))), "params": dict(zip(cl.params, map(float, theta))),
                       "objective": cost, "converged": ok})
    return starts


def _transfer_sd(curves, tick, **how) -> float | None:
    """How far the law misses a schedule it was not fitted on: each curve predicted by a fit to the others, the
    root mean square of its log errors, averaged over curves (each curve weighs the same). ``None`` with fewer
    than three curves, where a fit to the others would rest on one curve."""
    if len(curves) < 3:
        return None
    law = get_curve_law(how["law"])
    per_curve = []
    for i, held in enumerate(curves):
        rest = [c for j, c in enumerate(curves) if j != i]
        if sum(c.steps.size for c in rest) <= len(law.params):
            return None
        fit = fit_curves(rest, **how, transfer=False)
        pred = law.predict_jac(fit.theta, curve_grid(held.lrs, held.steps), jac=False, lam=fit.lam)[0]
        per_curve.append(np.mean((np.log(held.loss) - np.log(np.maximum(pred, 1e-10))) ** 2))
        if tick is not None:
            tick(i + 1)
    return float(np.sqrt(np.mean(per_curve)))


def _bootstrap(curves, log_pred, resid, refit, n_params, n_bootstrap, seed, block, tick=None) -> np.ndarray:
    """Moving-block bootstrap of each curve's log residuals; ``refit`` fits each pseudo-curve set."""
    rng = np.random.default_rng(seed)
    bounds = np.cumsum([0] + [c.steps.size for c in curves])
    out = np.empty((n_bootstrap, n_params))
    for b in range(n_bootstrap):
        fake = np.empty_like(resid)
        for lo, hi in zip(bounds[:-1], bounds[1:]):
            n = hi - lo
            size = min(block or max(2, int(round(n ** (1 / 3)))), n)
            picks = rng.integers(0, n - size + 1, size=-(-n // size))
            fake[lo:hi] = resid[lo:hi][(picks[:, None] + np.arange(size)[None, :]).ravel()[:n]]
        out[b] = refit(log_pred + fake)
        if tick is not None:
            tick(b + 1)
    return out


def predict_curve(fit: CurveFit, lrs: object, steps: object, *, level: float = DEFAULT_LEVEL
                  ) -> dict[str, np.ndarray]:
    """The fitted law's curve for schedule ``lrs`` at ``steps``.

    ``loss`` is the best fit's curve. With bootstrap refits, ``mean_low/mean_high`` bound the law's mean curve
    (parameter uncertainty only). ``run_low/run_high`` bound a run's logged points on this schedule: the
    refits (or the best fit), times the scatter of points about the law and, when the fit could measure it
    (three curves or more), the error of the law on a schedule it was not fitted on (``transfer_sd``): one
    error per run, drawn from a Student t with as many degrees of freedom as fitted curves, since its scale is
    measured on those few curves (with three, the 90% band is 1.43 times as wide as a normal one would be).
    """
    level = check_level(level)
    cl = get_curve_law(fit.law)
    grid = curve_grid(lrs, steps)
    best = cl.predict_jac(fit.theta, grid, jac=False, lam=fit.lam)[0]
    out = {"steps": grid.steps, "loss": best}
    draws = np.array([cl.predict_jac(s, grid, jac=False, lam=fit.lam)[0] for s in fit.samples]) \
        if len(fit.samples) else best[None, :]
    if len(fit.samples):
        out["mean_low"], out["mean_high"] = central_interval(draws, level, axis=0)
    rng = np.random.default_rng(0)
    reps = max(1, 2000 // len(draws))
    n = len(draws) * reps
    # one draw per simulated run, shared by its steps: each step's band is the same marginal as with a fresh draw
    # per step, and its edges are smooth (common random numbers) instead of jagged
    log_noise = rng.normal(0.0, fit.residual_sd, size=(n, 1))
    if fit.transfer_sd:  # one error per simulated run, Student-t: its scale is measured on len(curves) curves
        log_noise += fit.transfer_sd * rng.standard_t(len(fit.curves), size=(n, 1))
    noisy = np.repeat(draws, reps, axis=0) * np.exp(log_noise)  # (n, steps)
    out["run_low"], out["run_high"] = central_interval(noisy, level, axis=0)
    return out


def curve_metrics(loss: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    """The multi-power-law authors' metrics (src/evaluation.py): R², MAE, RMSE, mean and worst relative error."""
    loss, pred = np.asarray(loss, dtype=float), np.asarray(pred, dtype=float)
    err = loss - pred
    return {"r2": float(1 - np.sum(err ** 2) / np.sum((loss - loss.mean()) ** 2)),
            "mae": float(np.mean(np.abs(err))), "rmse": float(np.sqrt(np.mean(err ** 2))),
            "prede": float(np.mean(np.abs(err) / loss)), "worste": float(np.max(np.abs(err) / loss))}

