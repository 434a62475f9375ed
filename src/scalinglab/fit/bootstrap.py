"""Nonparametric bootstrap of the Chinchilla fit (Besiroglu et al. 2024 use 4,000 replicates).

Each replicate resamples runs with replacement. A resample is the same weighted problem with integer
weights (how often each run was drawn), so all replicates share one shape and are solved together by
:func:`~scalinglab.fit._batch.batched_lm`, each warm-started from the full-data optimum and from the
other local optima the full fit found (diverse starts, so a replicate can change basin).
With ``run_id`` set, whole runs (all their checkpoints) are resampled, not rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import ConfigError
from ..laws.chinchilla import ChinchillaParams, allocation, log_loss
from ._batch import batched_lm
from ._resample import percentile_interval as _interval, resample_weights as _weights
from ._varpro import project_coefficients
from .data import Runs
from .parametric import BEST_RTOL, LOWER, UPPER
from .result import FitResult

__all__ = ["BootstrapResult", "bootstrap", "derived_quantities", "PARAM_NAMES"]

PARAM_NAMES = ("E", "A", "B", "alpha", "beta")


def derived_quantities(samples: np.ndarray, *, flops: Sequence[float] = (),
                       points: Sequence[tuple[float, float]] = ()) -> dict[str, np.ndarray]:
    """Per-sample derived numbers from rows ``(E, A, B, α, β)``.

    ``a = β/(α+β)``, ``b = α/(α+β)``; at each compute C (Hoffmann et al. 2022, Eq. 4)
    ``N_opt``, ``D_opt`` (:func:`~scalinglab.laws.chinchilla.allocation`), reported as ``n_opt`` and tokens per
    parameter ``D_opt/N_opt``; and the predicted loss ``E + A/N^α + B/D^β`` at each (N, D) point.
    """
    e, a_, b_, al, be = (samples[:, i] for i in range(5))
    s = al + be
    out: dict[str, np.ndarray] = {"a": be / s, "b": al / s}
    for c in flops:
        n_opt, d_opt = allocation(a_, b_, al, be, c)
        out[f"tokens_per_param@{c:.3g}"] = d_opt / n_opt
        out[f"n_opt@{c:.3g}"] = n_opt
    for n, d in points:
        with np.errstate(divide="ignore"):  # E = 0 is log E = −inf, a term that vanishes
            theta = (np.log(a_), np.log(b_), np.log(e), al, be)
        out[f"loss@N={n:.3g},D={d:.3g}"] = np.exp(log_loss(theta, np.log(n), np.log(d)))
    return out


@dataclass(frozen=True, eq=False)
class BootstrapResult:
    """Bootstrap refits: ``samples`` (n, 5) as (E, A, B, α, β), ``theta`` (n, 5) the same refits in the
    fitter's coordinates (a, b, e, α, β), percentile intervals and standard errors."""

    point: ChinchillaParams
    samples: np.ndarray
    theta: np.ndarray
    objective: np.ndarray
    levels: tuple[float, ...]
    seed: int
    seconds: float
    resample: str  # "rows" or "runs"
    intervals: dict[str, dict[float, tuple[float, float]]] = field(default_factory=dict)
    se: dict[str, float] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.samples)

    def param_samples(self) -> tuple[ChinchillaParams, ...]:
        return tuple(ChinchillaParams(*(float(v) for v in row)) for row in self.samples)

    def derived(self, *, flops: Sequence[float] = (), points: Sequence[tuple[float, float]] = ()
                ) -> dict[str, dict[str, Any]]:
        """Point value, SE and intervals of derived quantities (see :func:`derived_quantities`)."""
        pt = np.array([[getattr(self.point, k) for k in PARAM_NAMES]])
        at_point = derived_quantities(pt, flops=flops, points=points)
        draws = derived_quantities(self.samples, flops=flops, points=points)
        return {k: {"value": float(at_point[k][0]), "se": float(np.std(v, ddof=1)),
                    "intervals": {lv: _interval(v, lv) for lv in self.levels}} for k, v in draws.items()}

    def as_dict(self, *, flops: Sequence[float] = (), points: Sequence[tuple[float, float]] = ()
                ) -> dict[str, Any]:
        out = {"n": self.n, "seed": self.seed, "resample": self.resample, "seconds": self.seconds,
               "se": self.se,
               "intervals": {k: {f"{lv:g}": list(iv) for lv, iv in d.items()} for k, d in self.intervals.items()}}
        derived = self.derived(flops=flops, points=points)
        out["derived"] = {k: {"value": v["value"], "se": v["se"],
                              "intervals": {f"{lv:g}": list(iv) for lv, iv in v["intervals"].items()}}
                          for k, v in derived.items()}
        return out


def _given_weights(weights: np.ndarray, n: int, rows: int) -> np.ndarray:
    """Caller-drawn resample multiplicities, checked for shape."""
    w = np.asarray(weights, dtype=float)
    if w.shape != (n, rows):
        raise ConfigError(f"The 'weights' parameter must have shape (n_bootstrap, runs) = ({n}, {rows}). "
                          f"Got {w.shape}.")
    return w


def _warm_starts(result: FitResult, k: int, data: tuple[np.ndarray, np.ndarray, np.ndarray]) -> np.ndarray:
    starts = [result.theta]
    rec = result.starts
    if rec is not None and k > 1:
        obj = np.where(np.isfinite(rec.objective), rec.objective, np.inf)
        for i in np.argsort(obj):
            if len(starts) >= k or not np.isfinite(obj[i]):
                break
            th = rec.final[i]
            far = all(np.abs(th - s).max() > 1e-2 for s in starts)
            if far and np.isfinite(th).all() and obj[i] > result.objective * (1 + BEST_RTOL) and th[3] < 5 and th[4] < 5:
                starts.append(th)
    # no other basins on record: perturb the exponents of the optimum, with (a, b, e) solved at them
    perturbed = []
    while len(starts) + len(perturbed) < k:
        perturbed.append(result.theta[3:] * (0.7, 1.4, 0.85, 1.2)[len(perturbed) % 4])
    if perturbed:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            th = project_coefficients(np.array(perturbed), *data, loss=result.loss, delta=result.delta,
                                      asymmetry=result.asymmetry)
        starts.extend(np.maximum(th, -300.0))
    return np.array(starts)


def bootstrap(
    runs: Runs,
    result: FitResult,
    n_bootstrap: int = 1000,
    seed: int = 0,
    *,
    levels: Sequence[float] = (0.95, 0.8),
    n_starts: int = 3,
    max_iter: int = 100,
    chunk: int = 250,
    progress: Callable[[int, int], None] | None = None,
    weights: np.ndarray | None = None,
) -> BootstrapResult:
    """Refit ``result`` (a Chinchilla :class:`FitResult` on ``runs``) on ``n_bootstrap`` bootstrap resamples.

    ``progress(done, total)`` is called after each chunk of replicates (the CLI draws a bar with it).
    ``weights`` (``(n_bootstrap, rows)`` integer multiplicities) replaces the resamples drawn from ``seed``: a
    caller that refits something else on the same resamples (a downstream chain's step 2) passes them in.
    """
    import time

    if not isinstance(n_bootstrap, (int, np.integer)) or isinstance(n_bootstrap, bool) or n_bootstrap < 2:
        raise ConfigError(f"The 'n_bootstrap' parameter must be an integer >= 2. Got {n_bootstrap!r}.")
    n = int(n_bootstrap)
    for lv in levels:
        if not 0 < lv < 1:
            raise ConfigError(f"The 'levels' parameter must hold numbers in (0, 1). Got {lv!r}.")
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    if weights is None:
        weights, how = _weights(runs, int(n), rng)
    else:
        weights, how = _given_weights(weights, n, len(runs)), "given"
    log_n, log_d, log_loss = np.log(runs.n_params), np.log(runs.n_tokens), np.log(runs.loss)
    starts = _warm_starts(result, n_starts, (log_n, log_d, log_loss))
    k = len(starts)
    theta = np.empty((n, 5))
    obj = np.empty(n)
    for c0 in range(0, n, chunk):
        w = weights[c0:c0 + chunk]
        m = len(w)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            out = batched_lm(np.tile(starts, (m, 1)), log_n, log_d, log_loss, weights=np.repeat(w, k, axis=0),
                             loss=result.loss, delta=result.delta, asymmetry=result.asymmetry, lower=LOWER,
                             upper=UPPER, max_iter=max_iter)
        o = np.where(np.isfinite(out.objective), out.objective, np.inf).reshape(m, k)
        pick = np.argmin(o, axis=1)
        theta[c0:c0 + m] = out.theta.reshape(m, k, 5)[np.arange(m), pick]
        obj[c0:c0 + m] = o[np.arange(m), pick]
        if progress is not None:
            progress(min(c0 + m, n), n)
    samples = np.column_stack([np.exp(theta[:, 2]), np.exp(theta[:, 0]), np.exp(theta[:, 1]),
                               theta[:, 3], theta[:, 4]])
    intervals = {name: {lv: _interval(samples[:, i], lv) for lv in levels} for i, name in enumerate(PARAM_NAMES)}
    se = {name: float(np.std(samples[:, i], ddof=1)) for i, name in enumerate(PARAM_NAMES)}
    return BootstrapResult(point=result.params, samples=samples, theta=theta, objective=obj, levels=tuple(levels), seed=seed,
                           seconds=time.perf_counter() - t0, resample=how, intervals=intervals, se=se)
