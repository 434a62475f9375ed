"""Compute-optimal, fixed-size and target-loss plans.

All three rest on the compute-optimal frontier of a joint law ``L(N, D)`` under ``C = 6·N·D``:
``(N*, D*)(C) = argmin_N L(N, C/(6N))`` — Hoffmann et al.'s Eq. 4 where the law has a closed form,
a numeric argmin otherwise (:func:`scalinglab.plan._numeric.numeric_compute_optimal`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np

from .._validate import check_positive
from ..errors import PlanError
from ..laws.base import JointLaw
from ..laws.registry import get_joint_law
from ._numeric import numeric_compute_optimal, root_log
from ._types import Interval, Plan

__all__ = [
    "optimal_split",
    "plan_compute",
    "plan_params",
    "plan_target_loss",
    "optimal_flops_for_params",
    "optimal_flops_for_loss",
    "with_intervals",
]

#: search range of training compute, in FLOPs (log-space root finding)
_LOG_C_RANGE = (np.log(1e2), np.log(1e60))


def optimal_split(law: JointLaw, flops: float) -> tuple[float, float]:
    """``(N*, D*)`` at ``flops``: the law's closed form when it has one, else a numeric argmin."""
    closed = law.compute_optimal(flops)
    if closed is not None:
        return float(closed[0]), float(closed[1])
    return numeric_compute_optimal(law, flops)


def _plan(question: str, law: JointLaw, n: float, d: float, **extra) -> Plan:
    return Plan(question=question, law=law.name, n_params=n, n_tokens=d, flops=6.0 * n * d,
                loss=float(law.loss(n, d)), **extra)


def with_intervals(plan: Plan, law: JointLaw, solve: Callable[[JointLaw], Plan], level: float = 0.90) -> Plan:
    """Re-solve the same question under each of the law's variants; attach central intervals."""
    variants = law.variants()
    if not variants:
        return plan.with_notes(
            f"No intervals: law {law.name!r} carries no bootstrap samples (fit your own runs with "
            "`scalinglab fit --bootstrap N` to get them)."
        )
    keys = ("n_params", "n_tokens", "tokens_per_param", "flops", "loss", "total_flops")
    values: dict[str, list[float]] = {k: [] for k in keys}
    failed = 0
    for v in variants:
        try:
            p = solve(v)
        except PlanError:
            failed += 1
            continue
        for k in keys:
            x = getattr(p, k)
            if x is not None:
                values[k].append(float(x))
    q = (1.0 - level) / 2.0
    intervals = {
        k: Interval(float(np.quantile(xs, q)), float(np.quantile(xs, 1.0 - q)), level, len(xs))
        for k, xs in values.items() if len(xs) >= 2
    }
    out = replace(plan, intervals=intervals)
    if failed:
        out = out.with_notes(f"{failed} of {len(variants)} law variants had no solution and were skipped.")
    return out


def plan_compute(flops: float, *, law: JointLaw | str | None = None) -> Plan:
    """Compute-optimal model size and tokens for a training budget of ``flops``.

    Hoffmann et al. (2022) Eq. 4 for Chinchilla-type laws; numeric argmin for the rest.
    """
    flops = check_positive("flops", flops)
    law = get_joint_law(law)

    def solve(lw: JointLaw) -> Plan:
        n, d = optimal_split(lw, flops)
        return _plan("compute", lw, n, d)

    return with_intervals(solve(law), law, solve)


def optimal_flops_for_params(law: JointLaw, n_params: float) -> float:
    """The budget ``C`` whose compute-optimal model has ``n_params`` parameters (N*(C) is increasing)."""
    target = np.log(n_params)
    log_c = root_log(lambda lc: np.log(optimal_split(law, float(np.exp(lc)))[0]) - target,
                     *_LOG_C_RANGE, what=f"compute budget whose optimal model has {n_params:g} parameters")
    return float(np.exp(log_c))


def plan_params(
    n_params: float, *, tokens_per_param: float | None = None, law: JointLaw | str | None = None
) -> Plan:
    """A plan for a model of fixed size: tokens from ``tokens_per_param``, or compute-optimal ones.

    With ``tokens_per_param=None`` the tokens are those for which ``n_params`` is compute-optimal.
    """
    n_params = check_positive("n_params", n_params)
    if tokens_per_param is not None:
        tokens_per_param = check_positive("tokens_per_param", tokens_per_param)
    law = get_joint_law(law)

    def solve(lw: JointLaw) -> Plan:
        if tokens_per_param is not None:
            return _plan("params", lw, n_params, n_params * tokens_per_param)
        c = optimal_flops_for_params(lw, n_params)
        return _plan("params", lw, n_params, c / (6.0 * n_params))

    return with_intervals(solve(law), law, solve)


def _check_target(law: JointLaw, target: float) -> None:
    if target <= law.irreducible_loss:
        raise PlanError(
            f"The 'target_loss' parameter must be > {law.irreducible_loss:.4g}, the irreducible loss E of "
            f"law {law.name!r}; no finite model reaches it. Got {target:g}."
        )


def optimal_flops_for_loss(law: JointLaw, target_loss: float) -> float:
    """The smallest training compute whose compute-optimal model reaches ``target_loss``."""
    _check_target(law, target_loss)

    def gap(log_c: float) -> float:
        n, d = optimal_split(law, float(np.exp(log_c)))
        return float(np.log(law.loss(n, d)) - np.log(target_loss))

    return float(np.exp(root_log(gap, *_LOG_C_RANGE, what=f"compute budget reaching loss {target_loss:g}")))


def plan_target_loss(target_loss: float, *, law: JointLaw | str | None = None) -> Plan:
    """The cheapest ``(N, D)`` (least training compute) that reaches ``target_loss``.

    The cheapest run to a loss is compute-optimal at its own budget, so this is the root in C of
    ``L(N*(C), D*(C)) = target``.
    """
    target_loss = check_positive("target_loss", target_loss)
    law = get_joint_law(law)
    _check_target(law, target_loss)

    def solve(lw: JointLaw) -> Plan:
        n, d = optimal_split(lw, optimal_flops_for_loss(lw, target_loss))
        return _plan("target-loss", lw, n, d)

    return with_intervals(solve(law), law, solve)
