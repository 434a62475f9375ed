"""Inference-aware plans (Sardana et al. 2024) from a law carrying K bootstrap samples, K = 50, 200, 1,000.

Each sample is re-planned to give the plan's mean band, so the per-sample solve sets the time. The law's closed
forms (Eq. 2 solved for D, L*(C) inverted; ``Chinchilla.tokens_for_loss``/``optimal_flops_for_loss``) are timed
against the generic numeric path (bisection in log D, root finding of L*(C)), forced by hiding them behind a
wrapper law, in the same process; the two must give the same plan. Target: under 2 s for 1,000 samples.
Run: ``python bench/bench_inference_plan.py``.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from scalinglab.laws.base import JointLaw
from scalinglab.laws.chinchilla import EPOCH_2024, Chinchilla, ChinchillaParams
from scalinglab.laws.fitted import FittedLaw, Identification
from scalinglab.plan import plan_inference


class _Numeric(JointLaw):
    """A Chinchilla law without its closed-form inverses: the planner's generic numeric path."""

    def __init__(self, law: Chinchilla) -> None:
        self._law = law
        self.name, self.citation, self.family = law.name, law.citation, "chinchilla"

    formula = "L(N, D) = E + A / N^alpha + B / D^beta"

    def coefficients(self) -> dict[str, float]:
        return self._law.coefficients()

    @property
    def irreducible_loss(self) -> float:
        return self._law.irreducible_loss

    def loss(self, n_params: Any, n_tokens: Any) -> Any:
        return self._law.loss(n_params, n_tokens)

    def compute_optimal(self, flops: Any) -> tuple[Any, Any]:
        return self._law.compute_optimal(flops)


def _law(k: int, numeric: bool) -> FittedLaw:
    p = EPOCH_2024
    j = np.exp(0.01 * np.random.default_rng(0).standard_normal((k, 5)))
    laws = [Chinchilla(f"s{i}", ChinchillaParams(E=p.E * a[0], A=p.A * a[1], B=p.B * a[2], alpha=p.alpha * a[3],
                                                 beta=p.beta * a[4]), "") for i, a in enumerate(j)]
    point = Chinchilla("epoch2024-jittered", p, "")
    wrap = _Numeric if numeric else (lambda x: x)
    return FittedLaw(wrap(point), Identification("identified", (), ""),
                     samples=tuple(wrap(x) for x in laws))


def main() -> None:
    for k in (50, 200, 1000):
        times, plans = {}, {}
        for numeric in (False, True) if k <= 200 else (False,):
            t0 = time.perf_counter()
            plans[numeric] = plan_inference(1e13, flops=5.76e23, law=_law(k, numeric))
            times[numeric] = time.perf_counter() - t0
        line = f"{k:5d} samples: closed forms {times[False]:.2f} s"
        if True in times:
            same = np.isclose(plans[True].intervals["n_params"].low, plans[False].intervals["n_params"].low,
                              rtol=1e-6)
            line += f", numeric path {times[True]:.2f} s ({times[True] / times[False]:.0f}x), same plan: {same}"
        print(line)


if __name__ == "__main__":
    main()
