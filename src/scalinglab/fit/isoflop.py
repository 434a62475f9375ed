"""Approach 2 of Hoffmann et al. (2022): IsoFLOP profiles.

For each compute budget C, fit ``loss ≈ c₀ + c₁·log N + c₂·(log N)²`` (a parabola in log N) and take its
vertex as N*(C); D*(C) = C/(6 N*). Then fit the power laws ``N* ∝ C^a`` and ``D* ∝ C^b`` by least squares
in log–log space. Hoffmann et al. report a = 0.49, b = 0.51 (Table 2).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import FitError

__all__ = ["IsoFlopResult", "fit_isoflops"]


@dataclass(frozen=True, eq=False)
class IsoFlopResult:
    """Per-budget minima and the fitted exponents ``N* ∝ C^a``, ``D* ∝ C^b``."""

    budgets: np.ndarray
    n_opt: np.ndarray
    d_opt: np.ndarray
    loss_opt: np.ndarray
    a: float
    b: float
    n_coef: float  # N* = n_coef · C^a
    d_coef: float

    def as_dict(self) -> dict[str, Any]:
        return {"a": self.a, "b": self.b, "n_coef": self.n_coef, "d_coef": self.d_coef,
                "budgets": self.budgets.tolist(), "n_opt": self.n_opt.tolist(), "d_opt": self.d_opt.tolist(),
                "loss_opt": self.loss_opt.tolist()}


def fit_isoflops(flops: Any, n_params: Any, loss: Any, *, min_points: int = 3) -> IsoFlopResult:
    """IsoFLOP minima and exponents from points labelled by their budget ``flops``.

    Budgets with fewer than ``min_points`` points, or whose parabola opens downwards, are skipped.
    """
    c, n, y = (np.asarray(v, dtype=float) for v in (flops, n_params, loss))
    budgets, n_opt, l_opt = [], [], []
    for cb in np.unique(c):
        m = c == cb
        if m.sum() < min_points:
            continue
        x = np.log(n[m])
        c2, c1, c0 = np.polyfit(x, y[m], 2)
        if c2 <= 0:
            continue
        xv = -c1 / (2 * c2)
        budgets.append(cb)
        n_opt.append(np.exp(xv))
        l_opt.append(c0 + c1 * xv + c2 * xv * xv)
    if len(budgets) < 2:
        raise FitError(f"IsoFLOP fitting needs at least 2 budgets with >= {min_points} points and a convex "
                       f"profile. Got {len(budgets)}.")
    cb, no = np.array(budgets), np.array(n_opt)
    do = cb / (6.0 * no)
    a, log_kn = np.polyfit(np.log(cb), np.log(no), 1)
    b, log_kd = np.polyfit(np.log(cb), np.log(do), 1)
    return IsoFlopResult(cb, no, do, np.array(l_opt), float(a), float(b), float(np.exp(log_kn)),
                         float(np.exp(log_kd)))
