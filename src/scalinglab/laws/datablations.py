"""Data-constrained scaling, Muennighoff et al. (2023), "Scaling Data-Constrained Language Models".

Repeated tokens and excess parameters are worth less than fresh ones; both decay exponentially::

    U_D = min(U, D),                    R_D = max(D/U_D − 1, 0)    (repeated epochs)
    D'  = U_D + U_D·R_D*·(1 − exp(−R_D/R_D*))                       (effective tokens)
    U_N = min(N, N_opt(U_D)),           R_N = max(N/U_N − 1, 0)
    N'  = U_N + U_N·R_N*·(1 − exp(−R_N/R_N*))                       (effective parameters)
    L   = E + A/N'^α + B/D'^β

``N_opt(D) = G·(D·G)^(β/α)`` inverts Hoffmann's Eq. 4. Coefficients and formula follow the
datablations README exactly (``scaling_law(N, D, U)``), whose sanity values we reproduce in tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validate import check_positive
from .base import Citation, JointLaw, as_float_or_array
from .chinchilla import ChinchillaParams, compute_optimal, predict
from .family import FIT_CITATION, Family

__all__ = ["DataConstrained", "MUENNIGHOFF_2023", "MUENNIGHOFF_PARAMS", "RD_STAR", "RN_STAR", "log_loss",
           "DATA_CONSTRAINED_FAMILY"]

MUENNIGHOFF_2023 = Citation(
    "Muennighoff et al.", 2023, "Scaling Data-Constrained Language Models", "2305.16264",
    "datablations README, Parametric Fit",
)
MUENNIGHOFF_PARAMS = ChinchillaParams.from_logs(
    a=6.255414, b=7.3049974, e=0.6254804, alpha=0.3526596, beta=0.3526596
)
RD_STAR = 15.387756
RN_STAR = 5.309743


@dataclass(frozen=True, eq=False)
class DataConstrained(JointLaw):
    """Chinchilla form on effective tokens D' and effective parameters N' (Muennighoff et al. 2023)."""

    name: str
    params: ChinchillaParams
    rd_star: float
    rn_star: float
    citation: Citation
    notes: str = ""
    family: str = "data-constrained"

    def __post_init__(self) -> None:
        check_positive("rd_star", self.rd_star)
        check_positive("rn_star", self.rn_star)

    @property
    def formula(self) -> str:
        return "L(N, D, U) = E + A / N'^alpha + B / D'^beta  (N', D' effective under repetition)"

    def coefficients(self) -> dict[str, float]:
        return {**self.params.as_dict(), "R_D*": self.rd_star, "R_N*": self.rn_star}

    @property
    def irreducible_loss(self) -> float:
        return self.params.E

    def theta(self) -> np.ndarray:
        """``(ln E, ln A, ln B, α, ln R_D*, ln R_N*)``, the fitter's coordinates; the fitted family ties β = α
        as the paper does."""
        p = self.params
        with np.errstate(divide="ignore"):
            return np.array([np.log(p.E), np.log(p.A), np.log(p.B), p.alpha, np.log(self.rd_star),
                             np.log(self.rn_star)])

    def optimal_params_for_tokens(self, n_tokens: Any) -> np.ndarray:
        """``N_opt(D)``: the compute-optimal model size for ``n_tokens`` training tokens."""
        p = self.params
        # numpy scalars: extreme coefficients (e.g. during a fit) overflow to inf instead of raising
        g = np.float64(p.alpha * p.A / (p.beta * p.B)) ** (1.0 / (p.alpha + p.beta))
        return (np.asarray(n_tokens, dtype=float) * g) ** (p.beta / p.alpha) * g

    def effective_tokens(self, n_tokens: Any, unique_tokens: Any) -> Any:
        """``D'``: tokens worth as much as fresh ones, after ``D/U − 1`` repeated epochs."""
        d = np.asarray(n_tokens, dtype=float)
        u_d = np.minimum(np.asarray(unique_tokens, dtype=float), d)
        r_d = np.maximum(d / u_d - 1.0, 0.0)
        return as_float_or_array(u_d + u_d * self.rd_star * -np.expm1(-r_d / self.rd_star))

    def effective_params(self, n_params: Any, unique_tokens: Any) -> Any:
        """``N'``: parameters beyond ``N_opt(U_D)`` count for less."""
        n = np.asarray(n_params, dtype=float)
        u_n = np.minimum(n, self.optimal_params_for_tokens(unique_tokens))
        r_n = np.maximum(n / u_n - 1.0, 0.0)
        return as_float_or_array(u_n + u_n * self.rn_star * -np.expm1(-r_n / self.rn_star))

    def loss(self, n_params: Any, n_tokens: Any, unique_tokens: Any = None) -> Any:
        """Loss after ``n_tokens`` tokens drawn from ``unique_tokens`` unique ones (None: all unique)."""
        d = np.asarray(n_tokens, dtype=float)
        u_d = d if unique_tokens is None else np.minimum(np.asarray(unique_tokens, dtype=float), d)
        n_eff = self.effective_params(n_params, u_d)
        d_eff = self.effective_tokens(d, u_d)
        return as_float_or_array(predict(self.params, n_eff, d_eff))

    def compute_optimal(self, flops: Any) -> tuple[Any, Any]:
        """With unlimited unique data the optimum is Hoffmann's Eq. 4: there N = N_opt(D), so N' = N."""
        n, d = compute_optimal(self.params, flops)
        return as_float_or_array(n), as_float_or_array(d)


def _build(theta: np.ndarray) -> DataConstrained:
    le, la, lb, alpha, lrd, lrn = (float(v) for v in theta)
    params = ChinchillaParams(float(np.exp(le)), float(np.exp(la)), float(np.exp(lb)), alpha, alpha)
    return DataConstrained("fitted-data-constrained", params, float(np.exp(lrd)), float(np.exp(lrn)), FIT_CITATION)


def log_loss(theta: Any, log_n: Any, log_d: Any, log_u: Any) -> np.ndarray:
    """``log L`` of the law built from θ for runs of N parameters on D tokens drawn from U unique ones."""
    with np.errstate(all="ignore"):  # extreme trial coefficients give inf/nan; the fitter maps them away
        return np.log(_build(theta).loss(np.exp(log_n), np.exp(log_d), np.exp(log_u)))


#: the law as a fitter sees it (α = β, as in the paper's fit)
DATA_CONSTRAINED_FAMILY = Family(
    "data-constrained", ("log E", "log A", "log B", "alpha", "log R_D*", "log R_N*"), log_loss, _build,
    lambda law: law.theta(),
    bounds=((-5.0, 3.0), (-10.0, 40.0), (-10.0, 40.0), (0.01, 2.0), (float(np.log(0.1)), float(np.log(1e3))),
            (float(np.log(0.1)), float(np.log(1e3)))),
    start_axes=((0.0, 0.6), (4.0, 8.0), (4.0, 8.0), (0.2, 0.4), (float(np.log(15.0)),), (float(np.log(5.0)),)),
    exponents=("alpha",), exponent_index=(3,), needs_unique=True,
)
