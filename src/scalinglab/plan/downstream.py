"""A plan's predicted task scores: a two-step downstream fit (:class:`~scalinglab.laws.downstream_chain.DownstreamFit`,
from ``scalinglab downstream fit``) evaluated at the planned (N, D).

The fit reaches the planner as a law object (``scalinglab.laws``), never through ``scalinglab.fit``. N must be
counted as the fit's runs count it: a plan from ``epoch2024`` counts every parameter, the OLMo ladder's configs
count non-embedding parameters; the difference is the caller's to bridge.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..laws.downstream_chain import ChainPrediction, DownstreamFit
from ._types import Plan

__all__ = ["plan_scores"]


def plan_scores(plan: Plan, fit: DownstreamFit, targets: Sequence[str] | None = None,
                level: float | None = None) -> list[ChainPrediction]:
    """Each target's predicted score (with its mean band and a new model's band) for a model of the plan's N
    trained on the plan's D; ``targets`` picks tasks of the fit (default: all)."""
    names = list(targets) if targets else list(fit.targets)
    return [fit.chain(t).predict(plan.n_params, plan.n_tokens, level) for t in names]
