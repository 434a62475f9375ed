"""Fitted Chinchilla laws for the planner-page tests: the Epoch 2024 coefficients with seeded bootstrap-like refits,
a run scatter, and an identification verdict (identified, or not identified with a reason)."""

from __future__ import annotations

import numpy as np

from scalinglab.laws.chinchilla import EPOCH_2024, Chinchilla, ChinchillaParams, BESIROGLU_2024
from scalinglab.laws.fitted import FittedLaw, Identification, RunScatter

NOT_IDENTIFIED_REASON = "the 90% interval of alpha is (0.09, 0.91), 2.4× its value 0.348 (limit 1×)"
FIX = "More informative runs would fix it: at least three compute budgets spanning a decade or more."


def synthetic_fitted(n_samples: int = 1000, *, identified: bool = True, seed: int = 0,
                     exponent_sd: float = 0.006) -> FittedLaw:
    """``n_samples`` refits about Epoch 2024 (E ±1%, A and B ±10%, α and β ±``exponent_sd``, one SD), σ = 0.03 in log
    loss with 60 df and κ = 0.02 per decade beyond 1e21 FLOPs."""
    rng = np.random.default_rng(seed)
    p = EPOCH_2024
    z = rng.standard_normal((n_samples, 5))
    samples = tuple(Chinchilla(f"synthetic[{i}]", ChinchillaParams(
        E=p.E * np.exp(0.01 * a), A=p.A * np.exp(0.1 * b), B=p.B * np.exp(0.1 * c), alpha=p.alpha + exponent_sd * d,
        beta=p.beta + exponent_sd * e), BESIROGLU_2024) for i, (a, b, c, d, e) in enumerate(z))
    ident = (Identification("identified", n_refits=n_samples) if identified else
             Identification("not identified", (NOT_IDENTIFIED_REASON,), FIX, n_refits=n_samples))
    return FittedLaw(Chinchilla("synthetic", p, BESIROGLU_2024), ident, samples,
                     RunScatter(0.03, 60, 0.02, 1e21, 4, "synthetic"), summary={"n_runs": 64},
                     provenance={"data": {"dataset": "synthetic runs"}})
