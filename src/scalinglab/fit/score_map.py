"""Fitting a step-2 map from loss to a task score (:mod:`scalinglab.laws.downstream`): multi-start, robust.

Both published maps are fitted by their authors with least squares (``scipy.optimize.curve_fit``) from one
start. Here every point of the form's start grid (:data:`~scalinglab.laws.downstream.SCORE_FORMS`) is solved
by :func:`scipy.optimize.least_squares` (trust-region reflective, inside the form's box, analytic Jacobian)
and the best kept; the penalty is :func:`scalinglab.fit.objectives.penalty` on ``Ŝ − S`` in score units:
``"mse"`` (the papers' objective, the default) or ``"huber"`` with ``delta`` in score units (0.01 = one
point of accuracy). Integer ``weights`` (bootstrap counts) repeat rows. An optional ``anchor`` point
``(L, S)`` is added once to every fit, as Bhagia et al. add ``(0, 1)``.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import least_squares

from .._validate import check_choice, check_positive
from ..errors import DataError
from ..laws.downstream import ScoreMap, get_score_form
from .objectives import penalty

__all__ = ["ScoreFit", "fit_score_map", "STEP2_LOSSES"]

#: penalties a step-2 fit takes (the asymmetric one has no meaning for a score)
STEP2_LOSSES = ("mse", "huber")


@dataclass(frozen=True, eq=False)
class ScoreFit:
    """A fitted score map, its θ and objective, and how the multi-start search went."""

    map: ScoreMap
    theta: np.ndarray
    objective: float
    loss: str
    delta: float
    n_points: int
    n_starts: int
    n_best: int
    at_bound: tuple[str, ...]
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return {"form": self.map.form, "coefficients": self.map.coefficients(), "objective": self.objective,
                "loss": self.loss, "delta": self.delta, "n_points": self.n_points,
                "starts": {"total": self.n_starts, "best": self.n_best}, "at_bound": list(self.at_bound),
                "seconds": self.seconds}


def _data(loss: Any, score: Any) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(loss, dtype=float).reshape(-1)
    y = np.asarray(score, dtype=float).reshape(-1)
    if x.size != y.size:
        raise DataError(f"The 'score' values must be one per loss ({x.size}). Got {y.size}.")
    for name, v, bad in (("loss", x, ~np.isfinite(x) | (x < 0)), ("score", y, ~np.isfinite(y) | (y < 0) | (y > 1))):
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            rule = "finite and >= 0" if name == "loss" else "in [0, 1]"
            raise DataError(f"The {name!r} value at position {i + 1} must be {rule}. Got {v[i]!r}.")
    return x, y


def fit_score_map(loss: Any, score: Any, form: str, *, objective: str = "mse", delta: float = 0.01,
                  weights: Any = None, anchor: tuple[float, float] | None = None,
                  starts: Sequence[Any] | None = None, name: str = "fitted-score-map") -> ScoreFit:
    """Fit the step-2 ``form`` (``"exponential"`` error or ``"sigmoid"`` accuracy) to ``(loss, score)`` pairs.

    ``score`` is in the form's metric (an error for ``"exponential"``, an accuracy for ``"sigmoid"``), in
    [0, 1]. ``starts`` replaces the form's start grid (a bootstrap refit starts from the full-data optimum).
    """
    spec = get_score_form(form)
    check_choice("objective", objective, STEP2_LOSSES)
    check_positive("delta", delta)
    x, y = _data(loss, score)
    if weights is not None:
        rows = np.repeat(np.arange(x.size), np.rint(np.asarray(weights, dtype=float)).astype(int))
        x, y = x[rows], y[rows]
    if anchor is not None:
        x, y = np.append(x, float(anchor[0])), np.append(y, float(anchor[1]))
    if x.size < spec.k:
        raise DataError(f"A {form} map needs at least {spec.k} points to fit its {spec.k} parameters. "
                        f"Got {x.size}.")
    t0 = time.perf_counter()
    lo, hi = np.array(spec.bounds, dtype=float).T
    pad = np.where(np.isfinite(hi - lo), 1e-9 * (hi - lo), 1e-9)
    kind = "huber" if objective == "huber" else "linear"

    def resid(theta: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            r = spec.predict(theta, x) - y
        return np.where(np.isfinite(r), r, 1e3)

    def jac(theta: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            j = spec.predict(theta, x, jac=True)[1]
        return np.where(np.isfinite(j), j, 0.0)

    grid = [np.asarray(s, dtype=float) for s in starts] if starts is not None \
        else [np.array(p, dtype=float) for p in itertools.product(*spec.start_axes)]
    results = []
    for x0 in grid:
        res = least_squares(resid, np.clip(x0, lo + pad, hi - pad), jac=jac, bounds=(lo, hi), method="trf",
                            loss=kind, f_scale=delta, xtol=1e-12, ftol=1e-12, gtol=1e-12, max_nfev=2000)
        results.append((res.x, float(penalty(resid(res.x), objective, delta)[0].sum())))
    objs = np.array([f for _, f in results])
    best = int(np.argmin(objs))
    theta, f_best = results[best]
    n_best = int(np.sum(objs <= f_best + max(1e-6 * f_best, 1e-12)))
    hits = tuple(n for n, hit in zip(spec.theta_names, spec.at_bound(theta)) if hit)
    fitted = ScoreMap(form, tuple(theta), name, spec.citation)
    return ScoreFit(fitted, theta, f_best, objective, float(delta), int(x.size), len(grid), n_best, hits,
                    time.perf_counter() - t0)
