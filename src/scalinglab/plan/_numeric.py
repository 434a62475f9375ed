"""Numeric building blocks shared by the planners: argmins and roots in log space."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.optimize import brentq, minimize_scalar

from ..errors import PlanError
from ..flops import log_tokens_for_flops, tokens_for_flops
from ..laws.base import JointLaw

__all__ = ["argmin_log", "numeric_compute_optimal", "root_log"]


def argmin_log(f: Callable[[np.ndarray], np.ndarray], lo: float, hi: float, n_grid: int = 2001) -> float:
    """Global argmin of ``f(x)`` over ``x ∈ [lo, hi]`` (x a log quantity): dense grid, then Brent.

    ``f`` must be vectorised. The grid guards against the kinks of piecewise laws (Muennighoff's
    ``min``) that defeat a local method started at the wrong place.
    """
    xs = np.linspace(lo, hi, n_grid)
    with np.errstate(all="ignore"):
        ys = np.asarray(f(xs), dtype=float)
    ys = np.where(np.isfinite(ys), ys, np.inf)
    i = int(np.argmin(ys))
    if not np.isfinite(ys[i]):
        raise PlanError("The objective must be finite somewhere in the search range; it is not.")
    a, b = xs[max(i - 1, 0)], xs[min(i + 1, n_grid - 1)]
    if b <= a:
        return float(xs[i])
    res = minimize_scalar(lambda x: float(f(np.asarray(x))), bounds=(a, b), method="bounded",
                          options={"xatol": 1e-12})
    return float(res.x) if res.fun <= ys[i] else float(xs[i])


def numeric_compute_optimal(law: JointLaw, flops: float) -> tuple[float, float]:
    """Argmin over N of ``L(N, C/(6N))`` without using any closed form.

    Searches tokens/parameter from 1e-8 to 1e8 around ``sqrt(C/6)``.
    """
    mid = 0.5 * log_tokens_for_flops(0.0, flops)  # log N where D = N

    def loss_at(log_n: np.ndarray) -> np.ndarray:
        return np.asarray(law.loss(np.exp(log_n), np.exp(log_tokens_for_flops(log_n, flops))))

    log_n = argmin_log(loss_at, mid - 9.3, mid + 9.3)
    n = float(np.exp(log_n))
    return n, float(tokens_for_flops(n, flops))


def root_log(f: Callable[[float], float], lo: float, hi: float, what: str) -> float:
    """Root of a monotone ``f`` on ``[lo, hi]`` (log quantities); PlanError if not bracketed."""
    f_lo, f_hi = f(lo), f(hi)
    if not (np.isfinite(f_lo) and np.isfinite(f_hi)) or np.sign(f_lo) == np.sign(f_hi):
        raise PlanError(f"No {what} in the search range e^{lo:.0f}..e^{hi:.0f}.")
    return float(brentq(f, lo, hi, xtol=1e-13, rtol=1e-13, maxiter=500))
