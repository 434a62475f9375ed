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

from .._validate import check_positive
from ..flops import FLOPS_PER_PARAM_TOKEN
from .base import Citation, JointLaw, as_float_or_array
from .family import FIT_CITATION, Family

__all__ = [
    "ChinchillaParams",
    "Chinchilla",
    "predict",
    "log_predict",
    "log_loss",
    "allocation",
    "CHINCHILLA_FAMILY",
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

    def theta(self) -> np.ndarray:
        """``θ = (a, b, e, α, β) = (ln A, ln B, ln E, α, β)``, the fitters' coordinates (``e = −inf`` at E = 0)."""
        with np.errstate(divide="ignore"):
            return np.array([np.log(self.A), np.log(self.B), np.log(self.E), self.alpha, self.beta])


def log_loss(theta: Any, log_n: Any, log_d: Any, *, jac: bool = False) -> Any:
    """Eq. 2 in log space, ``log L = LSE(a − α log N, b − β log D, e)`` for ``θ = (a, b, e, α, β)``.

    The five entries of θ may be arrays (e.g. one per bootstrap sample); they broadcast with ``log_n`` and
    ``log_d``. With ``jac=True`` also ``∂ log L / ∂θ`` (shape ``(n, 5)``): with softmax weights ``s_k`` of the
    three terms, ``∂/∂a = s₁``, ``∂/∂b = s₂``, ``∂/∂e = s₃``, ``∂/∂α = −s₁ log N``, ``∂/∂β = −s₂ log D``.
    """
    a, b, e, alpha, beta = (np.asarray(v, dtype=float) for v in theta)
    log_n, log_d = np.asarray(log_n, dtype=float), np.asarray(log_d, dtype=float)
    t = np.stack(np.broadcast_arrays(a - alpha * log_n, b - beta * log_d, e))
    m = t.max(axis=0)
    if not jac:  # scipy's logsumexp, without its per-call overhead (~0.5 ms: most of a scalar planner step)
        with np.errstate(invalid="ignore"):
            out = m + np.log(np.exp(t - m).sum(axis=0))
        return np.where(np.isfinite(m), out, m)
    ex = np.exp(t - m)
    tot = ex.sum(axis=0)
    s = ex / tot
    log_n, log_d = np.broadcast_to(log_n, m.shape), np.broadcast_to(log_d, m.shape)
    return m + np.log(tot), np.stack([s[0], s[1], s[2], -s[0] * log_n, -s[1] * log_d], axis=-1)


def log_predict(params: ChinchillaParams, n_params: Any, n_tokens: Any) -> np.ndarray:
    """``log L(N, D)`` via log-sum-exp of the three terms."""
    return log_loss(params.theta(), np.log(np.asarray(n_params, dtype=float)),
                    np.log(np.asarray(n_tokens, dtype=float)))


def predict(params: ChinchillaParams, n_params: Any, n_tokens: Any) -> np.ndarray:
    """``L(N, D) = E + A/N^α + B/D^β``, computed in log space."""
    return np.exp(log_predict(params, n_params, n_tokens))


def allocation(A: Any, B: Any, alpha: Any, beta: Any, flops: Any) -> tuple[np.ndarray, np.ndarray]:
    """Hoffmann et al. (2022) Eq. 4 on coefficient arrays (one row per bootstrap sample, or scalars):
    ``N_opt = G (C/6)^(β/(α+β))``, ``D_opt = C/(6 N_opt)``, ``G = (αA/(βB))^(1/(α+β))``. Broadcasts."""
    A, B, alpha, beta = (np.asarray(v, dtype=float) for v in (A, B, alpha, beta))
    c = np.asarray(flops, dtype=float)
    s = alpha + beta
    log_g = (np.log(alpha * A) - np.log(beta * B)) / s
    c6 = c / FLOPS_PER_PARAM_TOKEN
    n_opt = np.exp(log_g + (beta / s) * np.log(c6))
    return n_opt, c6 / n_opt  # = G⁻¹ (C/6)^b exactly, and keeps 6·N·D == C to rounding


def compute_optimal(params: ChinchillaParams, flops: Any) -> tuple[np.ndarray, np.ndarray]:
    """Hoffmann et al. (2022) Eq. 4: ``(N_opt, D_opt)`` at training compute ``flops = 6·N·D``."""
    return allocation(params.A, params.B, params.alpha, params.beta, flops)


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

    def optimal_flops_for_loss(self, target_loss: float) -> float:
        """The least training compute whose compute-optimal model reaches ``target_loss``: along Eq. 4 the
        excess loss is ``L*(C) − E = K·C^(−αβ/(α+β))``, so ``C = (K/(ℓ − E))^((α+β)/(αβ))`` (K read off at
        C = 1e20). Requires ``target_loss > E``."""
        p = self.params
        gamma = p.alpha * p.beta / (p.alpha + p.beta)
        c0 = 1e20
        k = (float(self.loss(*self.compute_optimal(c0))) - p.E) * c0**gamma
        return float((k / (target_loss - p.E)) ** (1.0 / gamma))

    def tokens_for_loss(self, n_params: Any, target_loss: float) -> np.ndarray:
        """Eq. 2 solved for D: the tokens with ``L(N, D) = target_loss`` for each N, NaN where the target is at
        or below what a model of size N reaches with unlimited data (``E + A/N^α``)."""
        p = self.params
        n = np.asarray(n_params, dtype=float)
        with np.errstate(all="ignore"):
            room = target_loss - p.E - p.A * n ** (-p.alpha)
            return np.where(room > 0, (p.B / room) ** (1.0 / p.beta), np.nan)

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


def _build(theta: np.ndarray) -> Chinchilla:
    a, b, e, alpha, beta = (float(v) for v in theta)
    return Chinchilla("fitted-chinchilla", ChinchillaParams.from_logs(a=a, b=b, e=e, alpha=alpha, beta=beta),
                      FIT_CITATION)


#: Eq. 2 as a fitter sees it; the box is the one the batched fitter has always searched (a, b free)
CHINCHILLA_FAMILY = Family(
    "chinchilla", ("a", "b", "e", "alpha", "beta"), log_loss, _build, lambda law: law.params.theta(),
    bounds=((-np.inf, np.inf), (-np.inf, np.inf), (-20.0, 10.0), (1e-6, 10.0), (1e-6, 10.0)),
    start_axes=((0.0, 10.0, 20.0), (0.0, 10.0, 20.0), (-1.0, 0.0, 1.0), (0.25, 0.75, 1.5), (0.25, 0.75, 1.5)),
    exponents=("alpha", "beta"), exponent_index=(3, 4),
)
