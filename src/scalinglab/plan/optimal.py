"""Compute-optimal, fixed-size and target-loss plans.

All three rest on the compute-optimal frontier of a joint law ``L(N, D)`` under ``C = 6·N·D``:
``(N*, D*)(C) = argmin_N L(N, C/(6N))`` — Hoffmann et al.'s Eq. 4 where the law has a closed form,
a numeric argmin otherwise (:func:`scalinglab.plan._numeric.numeric_compute_optimal`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import PurePath
from typing import Any

import numpy as np

from .._intervals import central_interval
from .._validate import check_positive
from ..errors import ConfigError, PlanError
from ..flops import tokens_for_flops, training_flops
from ..laws.base import JointLaw, Law
from ..laws.fitted import MAX_INTERVAL_REFITS, FittedLaw, check_allocation
from ..laws.registry import resolve_fitted
from ._numeric import numeric_compute_optimal, root_log
from ._types import Interval, Plan

__all__ = [
    "optimal_split",
    "frontier",
    "optimal_flops_for_losses",
    "plan_compute",
    "plan_params",
    "plan_target_loss",
    "optimal_flops_for_params",
    "optimal_flops_for_loss",
    "with_intervals",
    "resolve_plan_law",
    "check_budget",
    "smallest_budget",
    "LawSpec",
]

#: what every planner accepts as its law: a catalog name, a saved-law path, a Law or a FittedLaw (None: default)
LawSpec = str | Law | FittedLaw | None

#: search range of training compute, in FLOPs (log-space root finding)
_LOG_C_RANGE = (np.log(1e2), np.log(1e60))


def optimal_split(law: JointLaw, flops: float) -> tuple[float, float]:
    """``(N*, D*)`` at ``flops``: the law's closed form when it has one, else a numeric argmin."""
    closed = law.compute_optimal(flops)
    if closed is not None:
        return float(closed[0]), float(closed[1])
    return numeric_compute_optimal(law, flops)



def frontier(law: JointLaw, flops: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(N*(C), D*(C), L(N*, D*))`` along the array ``flops``: :func:`optimal_split`, vectorised where the
    law has a closed form."""
    c = np.atleast_1d(np.asarray(flops, dtype=float))
    closed = law.compute_optimal(c)
    if closed is not None:
        n, d = (np.broadcast_to(np.asarray(v, dtype=float), c.shape) for v in closed)
    else:
        nd = np.array([optimal_split(law, float(x)) for x in c])
        n, d = nd[:, 0], nd[:, 1]
    return n, d, np.asarray(law.loss(n, d), dtype=float)

def _plan(question: str, law: JointLaw, n: float, d: float, **extra) -> Plan:
    if not (np.isfinite(n) and np.isfinite(d) and n > 0 and d > 0):
        raise PlanError(f"The law {law.name!r} gives no finite model size and token count here (N = {n:g}, "
                        f"D = {d:g}); its coefficients are degenerate.")
    return Plan(question=question, law=law.name, n_params=n, n_tokens=d, flops=float(training_flops(n, d)),
                loss=float(law.loss(n, d)), **extra)


def resolve_plan_law(law: LawSpec, *, allow_unidentified: bool = False,
                     what: str = "plan a training run") -> tuple[JointLaw, FittedLaw, tuple[str, ...]]:
    """The point law, its FittedLaw, and the stamp every output carries when an unidentified law is used
    on request. A law the data cannot identify stops here with one line saying why (PlanError)."""
    if not (law is None or isinstance(law, (str, PurePath, Law, FittedLaw))):
        raise ConfigError("The 'law' parameter must be a catalog name, a saved-law .json path, a Law, a FittedLaw "
                          f"or None (the default law). Got {type(law).__name__} {law!r:.80}.")
    fitted = resolve_fitted(str(law) if isinstance(law, PurePath) else law)
    if not fitted.is_joint:
        raise ConfigError(
            f"The 'law' parameter must name a law of both N and D to plan with; {fitted.name!r} is a "
            f"one-variable power law ({fitted.law.formula}). Got {fitted.name!r}.")
    stamp = fitted.require_identified(what, allow=allow_unidentified)
    return fitted.law, fitted, (stamp,) if stamp else ()  # type: ignore[return-value]


def _new_run_band(fitted: FittedLaw, plan: Plan, level: float,
                  loss_at: Callable[[JointLaw], float]) -> tuple[float, float] | None:
    """Prediction band of the loss of one run trained as planned: each refit's loss there plus run scatter."""
    logs = []
    for lw in fitted.variants(MAX_INTERVAL_REFITS) or [fitted.law]:
        with np.errstate(all="ignore"):
            v = float(loss_at(lw))  # type: ignore[arg-type]
        if np.isfinite(v) and v > 0:
            logs.append(np.log(v))
    if not logs:
        return None
    band = fitted.predictive_interval(np.array(logs), plan.flops, level)
    return None if band is None else (float(band[0]), float(band[1]))


_INTERVAL_KEYS = ("n_params", "n_tokens", "tokens_per_param", "flops", "loss", "total_flops")
_FIXED_N_QUESTIONS = ("params",)


def with_intervals(plan: Plan, fitted: FittedLaw | JointLaw, solve: Callable[[JointLaw], Plan],
                   level: float | None = None, *, allow_unidentified: bool = False,
                   stamp: tuple[str, ...] = (), loss_at: Callable[[JointLaw], float] | None = None) -> Plan:
    """Re-solve the same question under each bootstrap refit (mean band of every planned number) and add
    the prediction band of the loss of a run trained at the planned (N, D) (``loss_new_run``).

    A refit that has no solution, or a non-finite one, is skipped and counted. When the refits spread the
    compute-optimal N over more than the documented limit, the plan stops (PlanError) unless
    ``allow_unidentified``, in which case every output carries the stamp. ``loss_at(law)`` is a law's loss
    at the planned run (default ``law.loss(N, D)``; data-constrained plans bind the unique tokens in).
    """
    fitted = FittedLaw.of(fitted)
    level = fitted.level if level is None else level
    plan = plan.with_notes(*stamp)
    if stamp:
        plan = replace(plan, stamp="NOT IDENTIFIED")
    intervals: dict[str, Interval] = {}
    pred = _new_run_band(fitted, plan, level, loss_at or (lambda lw: lw.loss(plan.n_params, plan.n_tokens)))
    if pred is not None:
        intervals["loss_new_run"] = Interval(float(pred[0]), float(pred[1]), level, max(len(fitted.samples), 1),
                                             band="prediction")
    variants = fitted.variants(MAX_INTERVAL_REFITS)
    if not variants:
        plan = replace(plan, intervals=intervals)
        return plan.with_notes(
            f"No mean band: law {fitted.name!r} carries no bootstrap refits (fit your own runs with "
            "`scalinglab fit --n-bootstrap N` to get them)."
        )
    values: dict[str, list[float]] = {k: [] for k in _INTERVAL_KEYS}
    failed = 0
    for v in variants:
        try:
            p = solve(v)  # type: ignore[arg-type]
        except (PlanError, ZeroDivisionError, FloatingPointError, ValueError):
            failed += 1
            continue
        row = {k: getattr(p, k) for k in _INTERVAL_KEYS}
        if not all(x is None or np.isfinite(x) for x in row.values()):
            failed += 1
            continue
        for k, x in row.items():
            if x is not None:
                values[k].append(float(x))
    for k, xs in values.items():
        if len(xs) >= 2:
            lo, hi = central_interval(xs, level)
            intervals[k] = Interval(lo, hi, level, len(xs))
    out = replace(plan, intervals=intervals)
    if failed:
        out = out.with_notes(f"{failed} of {len(variants)} law variants had no solution and were skipped.")
    n_iv = intervals.get("n_params")
    if n_iv is not None and plan.question not in _FIXED_N_QUESTIONS:
        reason = check_allocation(fitted, n_iv.low, n_iv.high, plan.flops)
        if reason:
            if not allow_unidentified:
                raise PlanError(f"The law {fitted.name!r} does not identify the plan: {reason}. "
                                f"{fitted.identification.fix or 'More runs near this budget would narrow it.'} "
                                "(Override at your own risk: allow_unidentified=True / --allow-unidentified.)")
            out = replace(out.with_notes(f"NOT IDENTIFIED at this budget — planned anyway on request: {reason}. "
                                         "Do not rely on these numbers."), stamp="NOT IDENTIFIED")
    return out


def smallest_budget(law: JointLaw) -> float:
    """The least budget (rounded up to 3 significant digits) whose compute-optimal model has N* >= 1 and
    D* >= 1: bisection in log10 C over [0, 60]; N* and D* both grow with C."""
    lo, hi = 0.0, 60.0
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if min(optimal_split(law, 10.0 ** mid)) >= 1 else (mid, hi)
    step = 10.0 ** (np.floor(hi) - 2)
    return float(np.ceil(10.0 ** hi / step) * step)


def check_budget(law: JointLaw, flops: float, *, name: str = "The 'flops' parameter", got: str | None = None) -> None:
    """Refuse a budget whose compute-optimal model has less than one parameter or one token (PlanError naming
    :func:`smallest_budget`). ``name`` and ``got`` word the message for the caller (the CLI names its flag)."""
    n, d = optimal_split(law, flops)
    if n >= 1 and d >= 1:
        return
    raise PlanError(f"{name} must give at least 1 parameter and 1 token; it gives a model of {n:.3g} parameters "
                    f"on {d:.3g} tokens under law {law.name}. The smallest such budget is "
                    f"{smallest_budget(law):.3g} FLOPs. Got {got if got is not None else f'{flops:g}'}.")


def plan_compute(flops: float, *, law: LawSpec = None, allow_unidentified: bool = False) -> Plan:
    """Compute-optimal model size and tokens for a training budget of ``flops``.

    Hoffmann et al. (2022) Eq. 4 for Chinchilla-type laws; numeric argmin for the rest. A budget too small
    for one parameter and one token is refused (:func:`check_budget`).
    """
    flops = check_positive("flops", flops)
    law, fitted, stamp = resolve_plan_law(law, allow_unidentified=allow_unidentified)
    check_budget(law, flops)

    def solve(lw: JointLaw) -> Plan:
        n, d = optimal_split(lw, flops)
        return _plan("compute", lw, n, d)

    return with_intervals(solve(law), fitted, solve, allow_unidentified=allow_unidentified, stamp=stamp)


def optimal_flops_for_params(law: JointLaw, n_params: float) -> float:
    """The budget ``C`` whose compute-optimal model has ``n_params`` parameters (N*(C) is increasing)."""
    target = np.log(n_params)
    log_c = root_log(lambda lc: np.log(optimal_split(law, float(np.exp(lc)))[0]) - target,
                     *_LOG_C_RANGE, what=f"compute budget whose optimal model has {n_params:g} parameters")
    return float(np.exp(log_c))


def plan_params(
    n_params: float, *, tokens_per_param: float | None = None, law: LawSpec = None,
    allow_unidentified: bool = False,
) -> Plan:
    """A plan for a model of fixed size: tokens from ``tokens_per_param``, or compute-optimal ones.

    With ``tokens_per_param=None`` the tokens are those for which ``n_params`` is compute-optimal.
    """
    n_params = check_positive("n_params", n_params)
    if tokens_per_param is not None:
        tokens_per_param = check_positive("tokens_per_param", tokens_per_param)
    law, fitted, stamp = resolve_plan_law(law, allow_unidentified=allow_unidentified)

    def solve(lw: JointLaw) -> Plan:
        if tokens_per_param is not None:
            return _plan("params", lw, n_params, n_params * tokens_per_param)
        c = optimal_flops_for_params(lw, n_params)
        return _plan("params", lw, n_params, float(tokens_for_flops(n_params, c)))

    return with_intervals(solve(law), fitted, solve, allow_unidentified=allow_unidentified, stamp=stamp)


def _check_target(law: JointLaw, target: float) -> None:
    if target <= law.irreducible_loss:
        raise PlanError(
            f"The 'target_loss' parameter must be > {law.irreducible_loss:.4g}, the irreducible loss E of "
            f"law {law.name!r}; no finite model reaches it. Got {target:g}."
        )


def optimal_flops_for_loss(law: JointLaw, target_loss: float) -> float:
    """The smallest training compute whose compute-optimal model reaches ``target_loss``: the law's closed form
    where it has one (``law.optimal_flops_for_loss``, Chinchilla's), else a root of ``L*(C) = target_loss``."""
    _check_target(law, target_loss)
    closed = getattr(law, "optimal_flops_for_loss", None)
    if closed is not None:
        return float(closed(target_loss))

    def gap(log_c: float) -> float:
        n, d = optimal_split(law, float(np.exp(log_c)))
        return float(np.log(law.loss(n, d)) - np.log(target_loss))

    return float(np.exp(root_log(gap, *_LOG_C_RANGE, what=f"compute budget reaching loss {target_loss:g}")))



def optimal_flops_for_losses(law: JointLaw, targets: Any, flops_grid: Any, *, beyond: bool = False) -> np.ndarray:
    """:func:`optimal_flops_for_loss` for many targets at once, for drawing many laws: ``log C`` interpolated
    against ``log L*(C)`` on the increasing ``flops_grid`` (a test bounds its gap to the root finder). Targets
    outside the grid's losses are NaN, or with ``beyond`` +inf (more compute than the grid's top, or never)
    and 0 (less than its bottom)."""
    c = np.asarray(flops_grid, dtype=float)
    l_opt = frontier(law, c)[2]
    order = np.argsort(l_opt)  # L*(C) falls with C: interpolate against it increasing
    left, right = (np.inf, -np.inf) if beyond else (np.nan, np.nan)
    with np.errstate(over="ignore"):
        return np.exp(np.interp(np.log(np.asarray(targets, dtype=float)), np.log(l_opt[order]),
                                np.log(c[order]), left=left, right=right))

def plan_target_loss(target_loss: float, *, law: LawSpec = None, allow_unidentified: bool = False) -> Plan:
    """The cheapest ``(N, D)`` (least training compute) that reaches ``target_loss``.

    The cheapest run to a loss is compute-optimal at its own budget, so this is the root in C of
    ``L(N*(C), D*(C)) = target``.
    """
    target_loss = check_positive("target_loss", target_loss)
    law, fitted, stamp = resolve_plan_law(law, allow_unidentified=allow_unidentified)
    _check_target(law, target_loss)

    def solve(lw: JointLaw) -> Plan:
        n, d = optimal_split(lw, optimal_flops_for_loss(lw, target_loss))
        return _plan("target-loss", lw, n, d)

    return with_intervals(solve(law), fitted, solve, allow_unidentified=allow_unidentified, stamp=stamp)
