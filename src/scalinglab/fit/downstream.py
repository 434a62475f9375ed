"""Two-step downstream predictors fitted from runs with task scores: :func:`fit_downstream`.

Two methods, each its paper's recipe by default (every field of :class:`Method` can be overridden):

- ``"gadre"`` (Gadre et al. 2024): step 1 the over-training law ``L(N, D)`` on the loss every task shares
  (C4-eval loss), least squares on the loss itself as the authors fit it; step 2 Gadre's exponential
  ``Err(L)`` on the **average** top-1 error over the tasks, one point per run.
- ``"ladder"`` (Bhagia et al. 2024): per task, step 1 the Chinchilla form ``A/N^α + B/D^β + E`` on the task's
  own loss (bits per byte), Huber (δ = 1e-3) on log loss, one point per run (the mean of its last 5
  evaluations, at its final D); step 2 the sigmoid ``Acc(L)`` on every evaluation past the first 10% of each
  run, 5-point trailing means, with the point ``(0, 1)`` added.

Uncertainty: ``n_bootstrap`` resamples of whole runs, each refitting *both* steps on the same resample
(:class:`~scalinglab.laws.downstream_chain.TaskChain` pairs them); the run scatter of step 1 (with its growth
beyond the fitted compute, :func:`scalinglab.fit.pipeline.run_scatter`) and the residual scatter of step 2 give
the prediction band. Refits with a step-1 coefficient on the bound of the search box are counted in the
verdict (:class:`~scalinglab.laws.fitted.Identification`) and, unlike a plain law fit's, kept in the bands:
a refit whose E went to 0 still predicts, and dropping it would narrow the band where the data say least.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np

from .._intervals import DEFAULT_LEVEL, check_level
from ..errors import ConfigError, DataError
from ..laws.downstream import ScoreMap, get_score_form, to_metric
from ..laws.downstream_chain import DownstreamFit, TaskChain
from ..laws.fitted import FittedLaw, RunScatter
from ..laws.registry import get_family
from ._resample import resample_weights
from .bootstrap import bootstrap
from .data import Runs
from .downstream_data import TaskRuns
from .families import _refits, fit_family, refit
from .pipeline import _identify, run_scatter
from .result import provenance
from .score_map import ScoreFit, fit_score_map

__all__ = ["Method", "METHODS", "fit_downstream"]


@dataclass(frozen=True)
class Method:
    """A two-step recipe: step 1's family, objective and input, step 2's form and points."""

    name: str
    family: str               # step-1 law family (scalinglab.laws.registry.FAMILIES)
    loss: str                 # step-1 penalty (huber, mse, asymmetric)
    delta: float              # step-1 Huber threshold
    residuals: str            # step 1 on log loss ("log") or on the loss itself ("loss")
    step1_on: str             # "loss": the loss every task shares; "task_loss": each task's own loss
    form: str                 # step-2 form (scalinglab.laws.downstream.SCORE_FORMS)
    average: bool             # one target, the mean over the tasks (else one chain per task)
    step2_points: str         # "final": one point per run; "checkpoints": every evaluation
    final_window: int = 1     # evaluations averaged into a run's final point
    skip_fraction: float = 0.0  # share of each run's first evaluations left out of step 2
    moving_average: int = 1   # trailing mean over evaluations for step 2
    anchor: tuple[float, float] | None = None  # a (loss, score) point added to step 2
    step2_loss: str = "mse"   # step-2 penalty (mse, huber)
    step2_delta: float = 0.01  # step-2 Huber threshold, in score units


METHODS: dict[str, Method] = {
    "gadre": Method("gadre", "over-training", "mse", 1e-3, "loss", "loss", "exponential", True, "final"),
    "ladder": Method("ladder", "chinchilla", "huber", 1e-3, "log", "task_loss", "sigmoid", False, "checkpoints",
                     final_window=5, skip_fraction=0.1, moving_average=5, anchor=(0.0, 1.0)),
}


def _method(method: str, overrides: dict[str, Any]) -> Method:
    if method not in METHODS:
        raise ConfigError(f"The 'method' parameter must be one of {', '.join(METHODS)}. Got {method!r}.")
    names = {f.name for f in fields(Method)} - {"name"}
    unknown = [k for k in overrides if k not in names]
    if unknown:
        raise ConfigError(f"The method overrides must be among {', '.join(sorted(names))}. Got {unknown[0]!r}.")
    m = replace(METHODS[method], **{k: v for k, v in overrides.items() if v is not None})
    get_family(m.family)
    get_score_form(m.form)
    for name, value, ok in (("final_window", m.final_window, isinstance(m.final_window, int) and m.final_window >= 1),
                            ("moving_average", m.moving_average,
                             isinstance(m.moving_average, int) and m.moving_average >= 1),
                            ("skip_fraction", m.skip_fraction, 0.0 <= float(m.skip_fraction) < 1.0)):
        if not ok:
            rule = "in [0, 1)" if name == "skip_fraction" else "an integer >= 1"
            raise ConfigError(f"The {name!r} parameter must be {rule}. Got {value!r}.")
    return m


def _target_values(runs: TaskRuns, tasks: Sequence[str], m: Method) -> tuple[np.ndarray, np.ndarray]:
    """Step 1's loss and step 2's score (in the form's metric) of each row, for a target over ``tasks``."""
    if m.step1_on == "loss":
        loss = runs.loss
    else:
        loss = np.mean([runs.task_loss[t] for t in tasks], axis=0)
    acc = np.mean([runs.accuracy[t] for t in tasks], axis=0)
    return np.asarray(loss, dtype=float), to_metric(acc, get_score_form(m.form).metric)


def fit_downstream(runs: TaskRuns, method: str = "ladder", *, tasks: Sequence[str] | None = None,
                   step1_runs: Sequence[str] | None = None, n_bootstrap: int = 200, seed: int = 0,
                   level: float = DEFAULT_LEVEL, progress: Callable[[int, int], None] | None = None,
                   **overrides: Any) -> DownstreamFit:
    """Fit ``method`` (``"gadre"`` or ``"ladder"``, see the module docstring) to ``runs``.

    ``tasks`` picks tasks (default: all of the runs'); ``step1_runs`` restricts step 1 to those run ids (Gadre
    et al. fit the loss law on five runs and the error law on those and one more); ``overrides`` replace fields
    of the method's :class:`Method` (e.g. ``average=False`` for one Gadre chain per task).
    """
    m = _method(method, overrides)
    level = check_level(level)
    if not isinstance(n_bootstrap, (int, np.integer)) or isinstance(n_bootstrap, bool) or n_bootstrap < 0 \
            or n_bootstrap == 1:
        raise ConfigError(f"The 'n_bootstrap' parameter must be 0 or an integer >= 2. Got {n_bootstrap!r}.")
    tasks = list(tasks) if tasks else list(runs.tasks)
    runs.require(tasks, task_loss=m.step1_on == "task_loss", loss=m.step1_on == "loss")
    finals = runs.finals(m.final_window)
    step1 = finals if step1_runs is None else finals.runs_named(list(step1_runs), "step1_runs")
    step2 = finals if m.step2_points == "final" else runs.checkpoints(m.skip_fraction, m.moving_average)
    counts = _resample_counts(finals, int(n_bootstrap), seed)
    targets = [("average", tuple(tasks))] if m.average else [(t, (t,)) for t in tasks]
    done, total = 0, len(targets) * max(int(n_bootstrap), 1)
    chains = {}
    for target, group in targets:
        def tick(i: int, _n: int, base: int = done) -> None:
            if progress is not None:
                progress(base + i, total)

        chains[target] = _chain(target, group, step1, step2, finals, counts, m, level, tick, runs.source)
        done += max(int(n_bootstrap), 1)
    prov = {"method": m.name, "recipe": {f.name: getattr(m, f.name) for f in fields(Method)}, "tasks": tasks,
            "step1_runs": list(step1.run), "n_bootstrap": int(n_bootstrap), "seed": seed,
            "resample": "whole runs; both steps refitted on the same resample", "data": dict(runs.source)}
    return DownstreamFit(m.name, chains, level, prov)


def _resample_counts(finals: TaskRuns, n: int, seed: int) -> dict[str, np.ndarray]:
    """How often each run is drawn in each of ``n`` resamples (the package's convention: whole runs,
    :func:`~scalinglab.fit._resample.resample_weights` from ``default_rng(seed)``)."""
    if n < 2:
        return {}
    ids = finals.run
    dummy = Runs(np.ones(len(ids)), np.ones(len(ids)), np.ones(len(ids)), run_id=ids)
    w, _ = resample_weights(dummy, n, np.random.default_rng(seed))
    return {r: w[:, i] for i, r in enumerate(ids)}


def _chain(target: str, tasks: tuple[str, ...], step1: TaskRuns, step2: TaskRuns, finals: TaskRuns,
           counts: dict[str, np.ndarray], m: Method, level: float, tick: Callable[[int, int], None],
           source: dict[str, Any]) -> TaskChain:
    t0 = time.perf_counter()
    fam, spec = get_family(m.family), get_score_form(m.form)
    loss1, _ = _target_values(step1, tasks, m)
    if len(step1) < fam.k + 1:
        raise DataError(f"Step 1 ({m.family} law) of {target!r} needs at least {fam.k + 1} runs ({fam.k} parameters "
                        f"and one to measure scatter). Got {len(step1)}.")
    runs1 = Runs.from_arrays(step1.n_params, step1.n_tokens, loss1, run_id=step1.run, source=dict(source))
    x2, y2 = _target_values(step2, tasks, m)
    n_runs2 = len(set(step2.run.tolist()))
    if n_runs2 < spec.k + 1:
        raise DataError(f"Step 2 ({m.form} map from loss to {spec.metric}) of {target!r} needs at least {spec.k + 1} "
                        f"runs ({spec.k} parameters and one to measure scatter). Got {n_runs2}.")
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        res1 = fit_family(m.family, runs1, loss=m.loss, delta=m.delta, residuals=m.residuals)
        scatter1 = run_scatter(runs1, res1.law, fam.k, lambda sub: refit(res1, sub).law)
        fit2 = fit_score_map(x2, y2, m.form, objective=m.step2_loss, delta=m.step2_delta, anchor=m.anchor,
                             name=f"{target}-step2")
        theta1, theta2, ok = _refit_both(runs1, res1, x2, y2, step1.run, step2.run, counts, fit2, m, tick)
    caught = sorted({str(w.message) for w in seen})
    bad = ~ok
    degenerate = bad | (fam.at_bound(theta1).any(axis=1) if len(theta1) else np.zeros(0, bool))
    name = f"{m.name}:{target}"
    prov = provenance(res1, runs1, family=m.family, step="1", target=target)
    law = res1.to_law(f"{name}:step1", prov)
    keep = np.flatnonzero(~bad)
    laws = tuple(replace(fam.build(theta1[i]), name=f"{name}:step1[{j}]", citation=law.citation)  # type: ignore[type-var]
                 for j, i in enumerate(keep))
    maps = tuple(ScoreMap(m.form, tuple(theta2[i]), f"{name}:step2[{j}]", fit2.map.citation) for j, i in enumerate(keep))
    nondegenerate = [laws[j] for j, i in enumerate(keep) if not degenerate[i]]
    ident = _identify(res1, nondegenerate, len(theta1), int(degenerate.sum()), len(runs1), level)
    loss_fit = FittedLaw(law, ident, laws, scatter1, level, prov, res1.as_dict())
    resid = y2 - fit2.map.score(x2)
    # a new model's score is one evaluation; step 2's points are means of up to `moving_average` of them, whose
    # scatter is smaller by up to sqrt(moving_average) (all of it, were the scatter independent noise)
    widen = np.sqrt(m.moving_average) if m.step2_points == "checkpoints" else 1.0
    sigma2 = float(widen * np.sqrt(np.sum(resid**2) / max(resid.size - spec.k, 1)))
    score_scatter = RunScatter(sigma2, n_runs2 - spec.k, note=f"scatter of {spec.metric} about step 2, in score "
                                                              f"units, from {resid.size} points of {n_runs2} runs"
                                                              + (f", x{widen:.3g} for one evaluation against "
                                                                 f"means of {m.moving_average}" if widen > 1 else ""))
    summary = {"step1": res1.as_dict(), "step2": fit2.as_dict(), "n_runs_step1": len(runs1), "n_runs_step2": n_runs2,
               "n_points_step2": int(x2.size), "step2_rms": float(np.sqrt(np.mean(resid**2))),
               "n_refits": len(theta1), "n_refits_kept": len(keep), "warnings": caught,
               "seconds": time.perf_counter() - t0}
    return TaskChain(target, tasks, loss_fit, replace(fit2.map, name=f"{name}:step2"), maps, score_scatter,
                     (float(x2.min()), float(x2.max())), level, summary)


def _refit_both(runs1: Runs, res1: Any, x2: np.ndarray, y2: np.ndarray, ids1: np.ndarray, ids2: np.ndarray,
                counts: dict[str, np.ndarray], fit2: ScoreFit, m: Method,
                tick: Callable[[int, int], None]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """θ of both steps refitted on each resample (rows: replicates), and which replicates are finite."""
    fam, spec = get_family(m.family), get_score_form(m.form)
    if not counts:
        return np.empty((0, fam.k)), np.empty((0, spec.k)), np.zeros(0, bool)
    w1 = np.column_stack([counts[r] for r in ids1])
    w2 = np.column_stack([counts[r] for r in ids2])
    n = len(w1)
    if fam.name == "chinchilla":
        boot = bootstrap(runs1, res1, n, weights=w1)
        theta1, ok = boot.theta, np.isfinite(boot.objective)
    else:
        theta1, obj, _ = _refits(fam, runs1, res1, n, 0, None, weights=w1)
        ok = np.isfinite(obj) & (obj < 1e299)
    alt = fit2.theta * np.where(np.arange(spec.k) == 0, 0.8, 1.0)  # a second start: the first coordinate shrunk
    lo, hi = np.array(spec.bounds, dtype=float).T
    starts = [fit2.theta, np.clip(alt, lo, hi)]
    theta2 = np.empty((n, spec.k))
    for i in range(n):
        theta2[i] = fit_score_map(x2, y2, m.form, objective=m.step2_loss, delta=m.step2_delta, weights=w2[i],
                                  anchor=m.anchor, starts=starts).theta
        tick(i + 1, n)
    ok &= np.isfinite(theta1).all(axis=1) & np.isfinite(theta2).all(axis=1)
    return theta1, theta2, ok
