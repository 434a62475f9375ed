"""Approach 3 of Hoffmann et al. (2022): fit ``L = E + A/N^α + B/D^β`` to runs, many starts at once.

Estimator (Hoffmann et al. App. D.2; Besiroglu et al. 2024)::

    min_θ  Σᵢ Huber_δ( LSE(a − α log Nᵢ, b − β log Dᵢ, e) − log Lᵢ ),   δ = 1e-3,

from the grid α, β ∈ {0, .5, …, 2}, e ∈ {−1, −.5, …, 1}, a, b ∈ {0, 5, …, 25} (4,500 starts).
All starts run together in :func:`~scalinglab.fit._batch.batched_lm`; the best few distinct end points
are finished with scipy L-BFGS-B on the analytic gradient. Every start's outcome is kept. Above
:data:`SEARCH_ROWS` runs the search runs on a seeded subset and only the last polish on every run.
"""

from __future__ import annotations

import itertools
import time
import warnings
from typing import Any

import numpy as np
from scipy.optimize import minimize

from .._validate import check_choice
from ..errors import ConfigError, FitError
from ..laws.chinchilla import CHINCHILLA_FAMILY
from ._batch import batched_lm
from ._varpro import varpro_chinchilla
from .data import Runs
from .objectives import chinchilla_objective, check_loss
from .result import FitResult, FitWarning, StartRecords

__all__ = ["fit_chinchilla", "start_grid", "BEST_RTOL", "BEST_ATOL", "LOWER", "UPPER", "METHODS"]

#: "varpro": search (α, β), solve (A, B, E) at each (default); "joint": search all five from every grid point
METHODS = ("varpro", "joint")

#: a start "reached the best" when its objective is within max(BEST_RTOL·best, BEST_ATOL) of the best
BEST_RTOL, BEST_ATOL = 1e-6, 1e-9
#: box on (a, b, e, α, β), the Chinchilla family's; a, b are free. Ending on a finite bound raises a FitWarning.
LOWER, UPPER = CHINCHILLA_FAMILY.lower, CHINCHILLA_FAMILY.upper
_NAMES = CHINCHILLA_FAMILY.theta_names
#: fitted α, β outside this range raise a FitWarning (published fits give 0.07-0.8)
EXPONENT_PLAUSIBLE = (0.01, 3.0)
#: above this many runs the multi-start search and the polish of its best distinct end points run on this many
#: (a seeded random subset); the best of those is then polished on every run: the subset finds the basin, the
#: last polish the optimum of all the runs
SEARCH_ROWS = 20_000


def _hoffmann_grid() -> np.ndarray:
    ab = np.arange(0.0, 30.0, 5.0)
    e = np.arange(-1.0, 1.5, 0.5)
    ex = np.arange(0.0, 2.5, 0.5)
    return np.array(list(itertools.product(ab, ab, e, ex, ex)))  # (a, b, e, α, β)


def start_grid(starts: Any = "hoffmann", seed: int = 0) -> tuple[np.ndarray, str]:
    """Starting points ``(S, 5)`` as (a, b, e, α, β) and a name for provenance.

    ``"hoffmann"``: the full 4,500-point grid. ``"coarse"``: a, b ∈ {0, 10, 20}, e ∈ {−1, 0, 1},
    α, β ∈ {0.25, 0.75, 1.5} (243 starts). An int ``k``: ``k`` points drawn from the Hoffmann grid with
    ``seed``. An array: the rows themselves.
    """
    if isinstance(starts, str):
        check_choice("starts", starts, ("hoffmann", "coarse"))
        if starts == "hoffmann":
            return _hoffmann_grid(), "hoffmann"
        ab, e, ex = (0.0, 10.0, 20.0), (-1.0, 0.0, 1.0), (0.25, 0.75, 1.5)
        return np.array(list(itertools.product(ab, ab, e, ex, ex))), "coarse"
    if isinstance(starts, (int, np.integer)) and not isinstance(starts, bool):
        grid = _hoffmann_grid()
        if not 1 <= starts <= len(grid):
            raise ConfigError(f"The 'starts' parameter must be in [1, {len(grid)}] when an integer. Got {starts}.")
        pick = np.random.default_rng(seed).choice(len(grid), size=int(starts), replace=False)
        return grid[np.sort(pick)], f"hoffmann-sample-{int(starts)}-seed{seed}"
    arr = np.atleast_2d(np.asarray(starts, dtype=float))
    if arr.ndim != 2 or arr.shape[1] != 5 or not np.isfinite(arr).all():
        raise ConfigError(f"The 'starts' parameter must be 'hoffmann', 'coarse', an int or finite (S, 5) rows "
                          f"of (a, b, e, alpha, beta). Got shape {arr.shape}.")
    return arr, f"custom-{len(arr)}"


def polish(theta: np.ndarray, log_n, log_d, log_loss, *, loss="huber", delta=1e-3, asymmetry=0.75,
           weights=None) -> tuple[np.ndarray, float]:
    """Finish one point with L-BFGS-B on the analytic gradient, to (near) machine precision."""
    def fun(t):
        return chinchilla_objective(t, log_n, log_d, log_loss, loss=loss, delta=delta, asymmetry=asymmetry,
                                    weights=weights)

    res = minimize(fun, np.clip(theta, LOWER, UPPER), jac=True, method="L-BFGS-B",
                   bounds=list(zip(LOWER, UPPER)),
                   options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 2000, "maxcor": 20})
    return res.x, float(res.fun)


def _log_data(runs: Runs) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if len(runs) < 5:
        raise FitError(f"The runs must number at least 5 to fit 5 parameters. Got {len(runs)}.")
    return np.log(runs.n_params), np.log(runs.n_tokens), np.log(runs.loss)


def distinct_exponents(theta0: np.ndarray) -> np.ndarray:
    """The distinct ``(α, β)`` of a start grid, in order of first appearance: the starts of the variable
    projection search, which solves for (a, b, e) instead of starting from them."""
    _, first = np.unique(theta0[:, 3:], axis=0, return_index=True)
    return theta0[np.sort(first), 3:]



def _search_rows(n_rows: int, seed: int) -> np.ndarray | None:
    """The rows the start search runs on: all (``None``) up to :data:`SEARCH_ROWS`, else that many, seeded."""
    if n_rows <= SEARCH_ROWS:
        return None
    return np.sort(np.random.default_rng(seed).choice(n_rows, size=SEARCH_ROWS, replace=False))

def fit_chinchilla(
    runs: Runs,
    *,
    loss: str = "huber",
    delta: float = 1e-3,
    asymmetry: float = 0.75,
    starts: Any = "hoffmann",
    seed: int = 0,
    max_iter: int = 100,
    n_polish: int = 5,
    keep_starts: bool = True,
    method: str = "varpro",
) -> FitResult:
    """Multi-start fit of the Chinchilla law (functional core of :class:`ParametricFitter`).

    ``method="varpro"`` (default) searches the exponents from each distinct (α, β) of the start grid and
    solves (A, B, E) exactly at every step (:mod:`scalinglab.fit._varpro`); Hoffmann's 4,500 points give
    25 such starts. ``method="joint"`` runs the five-parameter search from every grid point
    (:mod:`scalinglab.fit._batch`), as Hoffmann et al. and Besiroglu et al. did.
    """
    runs.require("n_params", "n_tokens", what="The Chinchilla fit")
    check_loss(loss, delta, asymmetry)
    check_choice("method", method, METHODS)
    t0 = time.perf_counter()
    log_n, log_d, log_loss = _log_data(runs)
    grid, grid_name = start_grid(starts, seed)
    sub = _search_rows(len(runs), seed)
    s_n, s_d, s_l = (log_n, log_d, log_loss) if sub is None else (log_n[sub], log_d[sub], log_loss[sub])
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        if method == "varpro":
            phi0 = distinct_exponents(grid)
            theta0 = np.column_stack([np.full((len(phi0), 3), np.nan), phi0])
            out = varpro_chinchilla(phi0, s_n, s_d, s_l, loss=loss, delta=delta, asymmetry=asymmetry,
                                    lower=LOWER, upper=UPPER, max_iter=max_iter)
        else:
            theta0 = grid
            out = batched_lm(theta0, s_n, s_d, s_l, loss=loss, delta=delta, asymmetry=asymmetry,
                             lower=LOWER, upper=UPPER, max_iter=max_iter)
    obj = np.where(np.isfinite(out.objective), out.objective, np.inf)
    if not np.isfinite(obj).any():
        raise FitError(f"The fit must reach a finite objective from some start. Got none of {len(obj)}.")
    # Polish the best few *distinct* end points; near-equal objectives are one candidate.
    order = np.argsort(obj)
    cands: list[int] = []
    for i in order:
        if len(cands) >= n_polish or not np.isfinite(obj[i]):
            break
        if all(abs(obj[i] - obj[j]) > BEST_RTOL * obj[j] for j in cands):
            cands.append(int(i))
    best_theta, best_obj = np.clip(np.maximum(out.theta[order[0]], -300.0), LOWER, UPPER), float(obj[order[0]])
    for i in cands:  # on the rows the search ran on
        th, fv = polish(np.maximum(out.theta[i], -300.0), s_n, s_d, s_l, loss=loss, delta=delta,
                        asymmetry=asymmetry)
        if fv < best_obj:
            best_theta, best_obj = th, fv
    if sub is not None:  # the best of the subset's optima, finished on every run
        best_theta, best_obj = polish(best_theta, log_n, log_d, log_loss, loss=loss, delta=delta,
                                      asymmetry=asymmetry)
    # starts that reached the best: on the search's own objective (the subset's, when it ran on one)
    ref = best_obj if sub is None else float(obj[order[0]])
    tol = max(BEST_RTOL * ref, BEST_ATOL)
    n_best = int(np.sum(obj <= ref + tol))
    seconds = time.perf_counter() - t0
    at_bound = CHINCHILLA_FAMILY.bound_hits(best_theta)
    if at_bound:
        warnings.warn(f"The fitted {', '.join(at_bound)} {'sits' if len(at_bound) == 1 else 'sit'} at the bound of the search box "
                      f"({ {n: round(float(v), 6) for n, v in zip(_NAMES, best_theta)} }); the law is likely degenerate "
                      f"for these runs.", FitWarning, stacklevel=3)
    # exponents far outside anything published (0.07-0.8) short of the bound: a term that acts on only the
    # smallest runs (large exponent) or that is a second constant beside E (exponent near 0)
    for name, val in zip(("alpha", "beta"), best_theta[3:]):
        if name not in at_bound and not EXPONENT_PLAUSIBLE[0] <= val <= EXPONENT_PLAUSIBLE[1]:
            warnings.warn(f"The fitted {name} = {val:.4g} is outside [{EXPONENT_PLAUSIBLE[0]:g}, "
                          f"{EXPONENT_PLAUSIBLE[1]:g}]; the law is likely degenerate for these runs (a term "
                          f"{'that only the smallest runs feel' if val > 1 else 'that is a second constant'}).",
                          FitWarning, stacklevel=3)
    # a term that is negligible for every run is a degenerate fit even with no bound hit (e.g. B → 0)
    a_, b_, e_, al_, be_ = best_theta
    shares = np.exp(np.stack([a_ - al_ * log_n, b_ - be_ * log_d]) - log_loss)
    for name, share in zip(("A/N^alpha", "B/D^beta"), shares.max(axis=1)):
        if share < 1e-4:
            warnings.warn(f"The {name} term is below {share:.1g} of the loss for every run; the law is "
                          f"degenerate for these runs (does the loss vary with {name[2]}?).",
                          FitWarning, stacklevel=3)
    few = max(2, int(np.ceil(0.01 * len(obj))))
    if len(obj) > 1 and n_best < few:
        warnings.warn(f"Only {n_best} of {len(obj)} starts reached the best objective {best_obj:.6g} "
                      f"(within {tol:.1g}); the optimum may not be global.", FitWarning, stacklevel=3)
    records = StartRecords(theta0, out.theta, out.objective, out.converged, out.n_iter) if keep_starts else None
    return FitResult(law=CHINCHILLA_FAMILY.build(best_theta), theta=np.asarray(best_theta, dtype=float),
                     objective=best_obj, loss=loss, delta=float(delta), n_starts=len(obj), n_best=n_best,
                     n_converged=int(out.converged.sum()), seconds=seconds, n_runs=len(runs),
                     starts_name=grid_name, at_bound=at_bound, starts=records, method=method,
                     grid_points=len(grid), asymmetry=float(asymmetry))
