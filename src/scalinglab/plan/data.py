"""Data-constrained plans: a budget with only ``U`` unique tokens (Muennighoff et al. 2023).

Training past ``U`` tokens repeats data; repeated epochs and parameters beyond ``N_opt(U)`` are worth
less (see :mod:`scalinglab.laws.datablations`). The planner minimises the data-constrained loss
``L(N, C/(6N), U)`` over N at fixed compute and reports epochs, effective tokens and parameters, and
what the data limit costs against unlimited unique data.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .._validate import check_positive
from ..errors import ConfigError
from ..flops import log_tokens_for_flops, tokens_for_flops
from ..laws.base import JointLaw
from ..laws.chinchilla import Chinchilla
from ..laws.datablations import RD_STAR, RN_STAR, DataConstrained
from ._numeric import argmin_log
from ._types import Plan
from .optimal import LawSpec, optimal_split, resolve_plan_law, with_intervals

__all__ = ["as_data_constrained", "plan_unique_tokens"]


def as_data_constrained(law: JointLaw) -> DataConstrained:
    """The law itself if data-constrained; a Chinchilla law gets Muennighoff's R_D*, R_N* added."""
    if isinstance(law, DataConstrained):
        return law
    if isinstance(law, Chinchilla):
        return DataConstrained(law.name, law.params, RD_STAR, RN_STAR, law.citation,
                               f"{law.name} with Muennighoff et al. (2023) R_D* and R_N*")
    raise ConfigError(
        "The 'law' parameter must be a data-constrained or Chinchilla-form law to plan with unique "
        f"tokens (muennighoff2023, epoch2024, hoffmann2022, a fitted Chinchilla law). Got {law.name!r}."
    )


def plan_unique_tokens(
    unique_tokens: float, *, flops: float, n_params: float | None = None,
    law: LawSpec = "muennighoff2023", allow_unidentified: bool = False,
) -> Plan:
    """Best use of ``flops`` when only ``unique_tokens`` distinct tokens exist.

    With ``n_params`` fixed, only the epochs are planned (D = C / 6N).
    """
    unique_tokens = check_positive("unique_tokens", unique_tokens)
    flops = check_positive("flops", flops)
    if n_params is not None:
        n_params = check_positive("n_params", n_params)
    base, fitted, stamp = resolve_plan_law(law, allow_unidentified=allow_unidentified)
    dc = as_data_constrained(base)
    notes = []
    if dc is not base:
        notes.append(f"Law {base.name!r} has no repetition terms; Muennighoff et al.'s R_D* = {RD_STAR:.4g} "
                     f"and R_N* = {RN_STAR:.4g} were added to its coefficients.")

    def solve(lw: JointLaw) -> Plan:
        d_lw = as_data_constrained(lw)
        if n_params is None:
            mid = 0.5 * log_tokens_for_flops(0.0, flops)  # log N where D = N

            def loss_at(log_n: np.ndarray) -> np.ndarray:
                log_d = log_tokens_for_flops(log_n, flops)
                return np.asarray(d_lw.loss(np.exp(log_n), np.exp(log_d), unique_tokens))

            n = float(np.exp(argmin_log(loss_at, mid - 9.3, mid + 9.3)))
        else:
            n = n_params
        d = float(tokens_for_flops(n, flops))
        u_d = min(unique_tokens, d)
        n_free, d_free = optimal_split(d_lw, flops)
        reference = {
            "what": "compute-optimal plan with unlimited unique data",
            "n_params": n_free, "n_tokens": d_free, "tokens_per_param": d_free / n_free,
            "loss": float(d_lw.loss(n_free, d_free)),
        }
        return Plan(
            question="unique-tokens", law=d_lw.name, n_params=n, n_tokens=d, flops=flops,
            loss=float(d_lw.loss(n, d, unique_tokens)), unique_tokens=unique_tokens, epochs=d / unique_tokens,
            effective_tokens=float(d_lw.effective_tokens(d, u_d)),
            effective_params=float(d_lw.effective_params(n, u_d)), reference=reference,
        )

    plan = solve(dc).with_notes(*notes)
    return with_intervals(plan, replace(fitted, law=dc), solve, allow_unidentified=allow_unidentified, stamp=stamp,
                          loss_at=lambda lw: as_data_constrained(lw).loss(plan.n_params, plan.n_tokens, unique_tokens))
