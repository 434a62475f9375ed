"""The optimum of one (N, D) group of a sweep: a quadratic surface of the loss over (log lr, log batch).

Within ``window`` of the group's best loss (runs with ``L <= (1 + window)·L_best``) the loss is fitted by
least squares as::

    L(x, y) = c0 + c1·x + c2·y + c3·x² + c4·x·y + c5·y²,     x = log η, y = log B

and the optimum is the surface's minimum, ``(x*, y*) = −H⁻¹·(c1, c2)`` with ``H = [[2c3, c4], [c4, 2c5]]``,
which must be positive definite. Every function is vectorised over rows of run weights: the point fit is one
row of ones, a bootstrap one multinomial row per refit (a run drawn twice counts twice), so a thousand refits
of a group are one batched solve.

How flat the optimum is (:func:`flat_ranges`): along each axis through the optimum, the surface is within
``tol`` of ``L*`` for ``|Δx| <= sqrt(2·tol·L*/H_xx)``, and the same in y.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Surfaces", "fit_surfaces", "flat_ranges", "MIN_LEVELS", "MAX_COND"]

#: distinct learning rates and batch sizes a surface needs near the optimum (a quadratic in each needs three)
MIN_LEVELS = 3
#: largest condition number of a least-squares system taken as solvable
MAX_COND = 1e12


@dataclass(frozen=True, eq=False)
class Surfaces:
    """One fitted surface per row of weights; where ``ok`` is False the row's ``why`` says what failed."""

    x: np.ndarray  # log η* per row
    y: np.ndarray  # log B* per row
    loss: np.ndarray  # L* per row
    hxx: np.ndarray  # ∂²L/∂x² at the optimum
    hyy: np.ndarray
    ok: np.ndarray
    why: np.ndarray  # "" where ok; else "few_lrs", "few_batches", "singular" or "no_minimum"
    n_used: np.ndarray  # runs (with multiplicity) inside the window


def _levels(values: np.ndarray) -> np.ndarray:
    """One-hot (runs × distinct values) of ``values`` (logs, compared to 12 decimals): a grid written as 0.000345
    in one row and 0.0003453 in another is two values, as the file says."""
    _, idx = np.unique(np.round(values, 12), return_inverse=True)
    return np.eye(idx.max() + 1)[idx]


def fit_surfaces(x: np.ndarray, y: np.ndarray, loss: np.ndarray, weights: np.ndarray, window: float) -> Surfaces:
    """Fit the surface for each row of ``weights`` (rows × runs, counts >= 0) over the runs of one group.

    ``loss`` must be finite (diverged runs are left out by the caller).
    """
    w = np.atleast_2d(np.asarray(weights, dtype=float))
    drawn = w > 0
    best = np.where(drawn, loss[None, :], np.inf).min(axis=1)
    use = drawn & (loss[None, :] <= best[:, None] * (1.0 + window))
    wu = w * use
    n_x = ((wu @ _levels(x)) > 0).sum(axis=1)
    n_y = ((wu @ _levels(y)) > 0).sum(axis=1)
    x0, y0 = x.mean(), y.mean()  # centred for conditioning
    u, v = x - x0, y - y0
    f = np.column_stack([np.ones_like(u), u, v, u * u, u * v, v * v])
    a = np.einsum("rn,ni,nj->rij", wu, f, f)
    b = np.einsum("rn,ni,n->ri", wu, f, loss)
    why = np.full(len(w), "", dtype=object)
    why[n_y < MIN_LEVELS] = "few_batches"
    why[n_x < MIN_LEVELS] = "few_lrs"
    rows = np.flatnonzero(why == "")
    c = np.full((len(w), 6), np.nan)
    if rows.size:
        cond = np.linalg.cond(a[rows])
        solvable = rows[np.isfinite(cond) & (cond < MAX_COND)]
        why[np.setdiff1d(rows, solvable)] = "singular"
        if solvable.size:
            c[solvable] = np.linalg.solve(a[solvable], b[solvable][..., None])[..., 0]
    hxx, hxy, hyy = 2 * c[:, 3], c[:, 4], 2 * c[:, 5]
    det = hxx * hyy - hxy**2
    fitted = why == ""
    convex = fitted & (hxx > 0) & (det > 0)
    why[fitted & ~convex] = "no_minimum"
    with np.errstate(invalid="ignore", divide="ignore"):
        ox = np.where(convex, -(hyy * c[:, 1] - hxy * c[:, 2]) / det, np.nan)
        oy = np.where(convex, -(-hxy * c[:, 1] + hxx * c[:, 2]) / det, np.nan)
        lstar = c[:, 0] + 0.5 * (c[:, 1] * ox + c[:, 2] * oy)  # the value at a quadratic's stationary point
    return Surfaces(ox + x0, oy + y0, lstar, hxx, hyy, convex, why, wu.sum(axis=1))


def flat_ranges(s: Surfaces, tol: float) -> tuple[np.ndarray, np.ndarray]:
    """``(lr_range, batch_range)``: each ``rows × 2`` (low, high) of η and B (tokens) along the axis through the
    optimum over which the surface stays within ``tol`` (a fraction) of ``L*``."""
    with np.errstate(invalid="ignore"):
        dx = np.sqrt(2.0 * tol * s.loss / s.hxx)
        dy = np.sqrt(2.0 * tol * s.loss / s.hyy)
    return (np.exp(np.column_stack([s.x - dx, s.x + dx])), np.exp(np.column_stack([s.y - dy, s.y + dy])))
