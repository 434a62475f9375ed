"""The multi-power-law authors' own fitting procedure (Luo et al. 2025, ``src/fitting.py`` at commit 8da9f19).

Kept as ``method="authors"`` of :func:`scalinglab.fit.curves.fit_curves` because it is what their published
figures come from: their early-stopped AdamW does *not* reach the minimum of the objective, and on their
data the minimum extrapolates worse to the 72,000-step schedules than their stopping point (docs/curves.md).

1. Starts for ``(L0, A, α, B)``: a 5×3×3×3 grid around a log-log regression, each polished on the
   simpler ``L0 + A·S1^(−α) − B·(η_peak − η_t)`` (Huber on log loss, bounds ≥ 0; here by least squares
   with the analytic Jacobian where the authors run L-BFGS-B on numeric differences: the same start, faster); the best is kept.
2. AdamW (PyTorch's defaults: β = (0.9, 0.999), ε = 1e-8, weight decay 0.01) from that start with
   ``C = 1, β = 0.5, γ = 0.5``: step size 5e-2 for ``L0, A, B, C`` and 5e-3 for ``α, β, γ``, at most 200 steps,
   stopped after 20 without improvement or at a gradient norm under 1e-5; the parameters *after* the step
   taken at the lowest objective are returned, as the authors' loop does.
"""

from __future__ import annotations

import itertools

import numpy as np
from scipy.optimize import least_squares
from scipy.stats import linregress

from ..laws.curves import MULTI_POWER
from .objectives import penalty

__all__ = ["authors_fit"]

_LR = np.array([5e-2, 5e-2, 5e-3, 5e-2, 5e-2, 5e-3, 5e-3])  # per (L0, A, alpha, B, C, beta, gamma)


def _huber(r: np.ndarray, delta: float) -> tuple[float, np.ndarray]:
    """``(Σ huber_δ(r), ψ(r))``: the objective every fit here uses (:func:`.objectives.penalty`)."""
    rho, psi, _ = penalty(r, "huber", delta)
    return float(rho.sum()), psi


def _initial(curves, log_loss: list[np.ndarray], delta: float) -> np.ndarray:
    min_loss = min(np.exp(y).min() for y in log_loss)
    s1 = [np.cumsum(c.lrs)[c.steps] for c in curves]
    fit = linregress(np.log(np.concatenate(s1)), np.log(np.exp(np.concatenate(log_loss)) - min_loss + 0.01))
    gap = [c.lrs.max() - c.lrs[c.steps] for c in curves]

    y, s, g = np.concatenate(log_loss), np.concatenate(s1), np.concatenate(gap)
    log_s = np.log(s)

    def residuals(p):
        with np.errstate(over="ignore"):
            return y - np.log(np.maximum(p[0] + p[1] * np.exp(-p[2] * log_s) - p[3] * g, 1e-10))

    def jacobian(p):
        power = np.exp(-p[2] * log_s)
        pred = np.maximum(p[0] + p[1] * power - p[3] * g, 1e-10)
        return -np.column_stack([np.ones_like(y), power, -p[1] * power * log_s, -g]) / pred[:, None]

    grid = itertools.product(np.linspace(min_loss - 0.2, min_loss + 0.2, 5),
                             np.linspace(np.exp(fit.intercept) - 0.1, np.exp(fit.intercept) + 0.1, 3),
                             np.linspace(-fit.slope - 0.1, -fit.slope + 0.1, 3), np.linspace(100, 1000, 3))
    best, best_x = np.inf, None
    for x0 in grid:
        res = least_squares(residuals, np.maximum(x0, 0.0), jac=jacobian, bounds=(0.0, np.inf), loss="huber",
                            f_scale=delta, ftol=1e-9, xtol=1e-9, gtol=1e-9)
        if np.isfinite(res.cost) and res.cost < best:
            best, best_x = res.cost, res.x
    return np.concatenate([best_x, [1.0, 0.5, 0.5]])


def authors_fit(grids, curves, log_loss: np.ndarray, delta: float) -> tuple[np.ndarray, float]:
    """``(θ, objective at θ)`` by the authors' procedure (module docstring); ``log_loss`` is every curve's log
    losses end to end (the curves give only their schedules and steps, so that bootstrap pseudo-losses fit too)."""
    cut = np.cumsum([c.steps.size for c in curves])[:-1]
    p = _initial(curves, np.split(log_loss, cut), delta)
    m, v = np.zeros(7), np.zeros(7)
    best_loss, best_p, min_loss, stale = np.inf, p.copy(), np.inf, 0
    for step in range(200):
        parts = [MULTI_POWER.predict_jac(p, g) for g in grids]
        pred = np.concatenate([q for q, _ in parts])
        jac = np.vstack([j for _, j in parts])
        total, psi = _huber(log_loss - np.log(np.maximum(pred, 1e-10)), delta)
        grad = jac.T @ (-psi / np.maximum(pred, 1e-10))
        t = step + 1
        p = p * (1 - _LR * 0.01)  # decoupled weight decay first, as torch.optim.AdamW
        m = 0.9 * m + 0.1 * grad
        v = 0.999 * v + 0.001 * grad * grad
        p = p - _LR * (m / (1 - 0.9 ** t)) / (np.sqrt(v / (1 - 0.999 ** t)) + 1e-8)
        if total < min_loss:
            min_loss, stale = total, 0
        else:
            stale += 1
        if step > 20 and stale >= 20:
            break
        if np.linalg.norm(grad) < 1e-5:
            break
        if total < best_loss:
            best_loss, best_p = total, p.copy()
    final = np.concatenate([q for q in (MULTI_POWER.predict(best_p, g) for g in grids)])
    return best_p, _huber(log_loss - np.log(np.maximum(final, 1e-10)), delta)[0]
