"""Chinchilla parametric law, Hoffmann et al. (2022), Eq. 2: ``L(N, D) = E + A/N^α + B/D^β``.

Predictions are computed in log space as Hoffmann et al. fit them:
``log L = LSE(log A − α log N, log B − β log D, log E)``, which stays accurate where one term dominates.

The compute-optimal split under ``C = 6ND`` has a closed form (Hoffmann et al. 2022, Eq. 4)::

    N_opt(C) = G · (C/6)^a,   D_opt(C) = G⁻¹ · (C/6)^b,
    G = (αA / (βB))^(1/(α+β)),  a = β/(α+β),  b = α/(α+β).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.special import logsumexp

from .._validate import check_positive
from .base import Citation, JointLaw, as_float_or_array

__all__ = [
    "ChinchillaParams",
    "Chinchilla",
    "predict",
    "log_predict",
    "compute_optimal",
    "HOFFMANN_2022",
    "BESIROGLU_2024",
]

HOFFMANN_2022 = Citation(
    "Hoffmann et al.", 2022, "Training Compute-Optimal Large Language Models", "2203.15556",
    "Approach 3, App. D.2 Eq. 10",
)
BESIROGLU_2024 = Citation(
    "Besiroglu, Erdil, Barnett, You", 2024, "Chinchilla Scaling: A replication attempt", "2404.10102",
    "refit on 240 runs decoded from Chinchilla Fig. 4; analyzing-chinchilla notebook, cell 25",
)


@dataclass(frozen=True)
class ChinchillaParams:
    """Coefficients of ``L = E + A/N^α + B/D^β`` (N parameters, D tokens, L in nats/token)."""

    E: float
    A: float
    B: float
    alpha: float
    beta: float

    def __post_init__(self) -> None:
        check_positive("E", self.E, allow_zero=True)
        for name in ("A", "B", "alpha", "beta"):
            check_positive(name, getattr(self, name))

    @classmethod
    def from_logs(cls, *, a: float, b: float, e: float, alpha: float, beta: float) -> ChinchillaParams:
        """From the log-space parameterisation ``a = ln A, b = ln B, e = ln E`` used by the fitters."""
        return cls(E=float(np.exp(e)), A=float(np.exp(a)), B=float(np.exp(b)), alpha=alpha, beta=beta)

    def as_dict(self) -> dict[str, float]:
        return {"E": self.E, "A": self.A, "B": self.B, "alpha": self.alpha, "beta": self.beta}


def log_predict(params: ChinchillaParams, n_params: Any, n_tokens: Any) -> np.ndarray:
    """``log L(N, D)`` via log-sum-exp of the three terms."""
    log_n = np.log(np.asarray(n_params, dtype=float))
    log_d = np.log(np.asarray(n_tokens, dtype=float))
    terms = [
        np.log(params.A) - params.alpha * log_n,
        np.log(params.B) - params.beta * log_d,
    ]
    if params.E > 0:
        terms.append(np.full(np.broadcast(log_n, log_d).shape, np.log(params.E)))
    return logsumexp(np.broadcast_arrays(*terms), axis=0)


def predict(params: ChinchillaParams, n_params: Any, n_tokens: Any) -> np.ndarray:
    """``L(N, D) = E + A/N^α + B/D^β``, computed in log space."""
    return np.exp(log_predict(params, n_params, n_tokens))


def compute_optimal(params: ChinchillaParams, flops: Any) -> tuple[np.ndarray, np.ndarray]:
    """Hoffmann et al. (2022) Eq. 4: ``(N_opt, D_opt)`` at training compute ``flops = 6·N·D``."""
    c6 = np.asarray(flops, dtype=float) / 6.0
    s = params.alpha + params.beta
    g = (params.alpha * params.A / (params.beta * params.B)) ** (1.0 / s)
    n_opt = g * c6 ** (params.beta / s)
    d_opt = c6 / n_opt  # = G⁻¹ (C/6)^b exactly, and keeps 6·N·D == C to rounding
    return n_opt, d_opt


@dataclass(frozen=True, eq=False)
class Chinchilla(JointLaw):
    """A Chinchilla-form law with a named coefficient set.

    ``samples`` optionally holds alternative coefficient sets (rows of E, A, B, α, β), e.g. bootstrap
    refits; the planner turns them into intervals.
    """

    name: str
    params: ChinchillaParams
    citation: Citation
    notes: str = ""
    samples: tuple[ChinchillaParams, ...] = field(default=(), repr=False)
    family: str = "chinchilla"

    @property
    def formula(self) -> str:
        return "L(N, D) = E + A / N^alpha + B / D^beta"

    def coefficients(self) -> dict[str, float]:
        return self.params.as_dict()

    @property
    def irreducible_loss(self) -> float:
        return self.params.E

    def loss(self, n_params: Any, n_tokens: Any) -> Any:
        return as_float_or_array(predict(self.params, n_params, n_tokens))

    def compute_optimal(self, flops: Any) -> tuple[Any, Any]:
        n, d = compute_optimal(self.params, flops)
        return as_float_or_array(n), as_float_or_array(d)

    def exponents(self) -> tuple[float, float]:
        """``(a, b)`` with ``N_opt ∝ C^a`` and ``D_opt ∝ C^b``."""
        s = self.params.alpha + self.params.beta
        return self.params.beta / s, self.params.alpha / s

    def variants(self) -> list[JointLaw]:
        return [Chinchilla(f"{self.name}[{i}]", p, self.citation) for i, p in enumerate(self.samples)]


#: Hoffmann et al. (2022) Eq. 10, as printed (rounded).
HOFFMANN_ROUNDED = ChinchillaParams(E=1.69, A=406.4, B=410.7, alpha=0.34, beta=0.28)
#: Unrounded values Epoch used (analyzing-chinchilla notebook), said to come from the paper's TeX source.
HOFFMANN_UNROUNDED = ChinchillaParams.from_logs(
    a=6.0073404, b=6.0179186, e=0.5267228, alpha=0.33917084, beta=0.2849083
)
#: Besiroglu et al. (2024) refit; SEs from 4,000 bootstraps: A 124.5, B 1293.3, E 0.026, α 0.0154, β 0.0206.
EPOCH_2024 = ChinchillaParams(E=1.817, A=482.006, B=2085.434, alpha=0.3478, beta=0.3659)
