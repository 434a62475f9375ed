"""Kaplan et al. (2020), "Scaling Laws for Neural Language Models" (arXiv:2001.08361).

N counts *non-embedding* parameters; loss is in nats/token on WebText2 with the GPT-2 tokenizer, so
the constants "have no fundamental meaning" across tokenizers (Kaplan §1.2).

- Eq. 1.1–1.3, one variable: ``L(N) = (N_c/N)^α_N``, ``L(D) = (D_c/D)^α_D``, ``L(C_min) = (C_c/C_min)^α_C``.
- Eq. 1.5, joint: ``L(N, D) = [(N_c/N)^(α_N/α_D) + D_c/D]^α_D`` with the Table 2 fit.
- Eq. 1.7 / 6.1, compute-efficient allocation: ``N ≈ 1.3e9 · C_min^0.73`` (C in PF-days).

Minimising Eq. 1.5 under ``C = 6ND`` gives ``N* ∝ C^(α_D/(α_N+α_D)) = C^0.575``, not Kaplan's 0.73: the
published allocation comes from training curves stopped early (Eq. 1.6, L(N, S)), not from Eq. 1.5.
Porian et al. (2024) trace the remaining gap to Chinchilla's ~0.5 to FLOP counting, warmup, decay and
tuning. Both are exposed: :meth:`KaplanJoint.compute_optimal` (the law's own argmin) and
:func:`kaplan_allocation` (the paper's published rule).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..flops import FLOPS_PER_PARAM_TOKEN
from .base import Citation, JointLaw, as_float_or_array
from .family import FIT_CITATION, Family
from .powerlaw import PowerLaw

__all__ = ["KaplanJoint", "kaplan_allocation", "KAPLAN_2020", "PF_DAY_FLOPS", "kaplan_one_variable_laws",
           "log_loss", "KAPLAN_FAMILY"]

KAPLAN_2020 = Citation(
    "Kaplan et al.", 2020, "Scaling Laws for Neural Language Models", "2001.08361", "Eqs. 1.1-1.5, Table 2"
)
#: one petaflop/s-day in FLOPs
PF_DAY_FLOPS = 1e15 * 86400.0


def log_loss(theta: Any, log_n: Any, log_d: Any) -> np.ndarray:
    """Eq. 1.5 in log space for ``θ = (ln N_c, ln D_c, α_N, α_D)``:
    ``log L = α_D · log[exp((α_N/α_D)(ln N_c − log N)) + exp(ln D_c − log D)]``."""
    lnc, ldc, an, ad = (float(v) for v in theta)
    return ad * np.logaddexp((an / ad) * (lnc - np.asarray(log_n, dtype=float)), ldc - np.asarray(log_d, dtype=float))


@dataclass(frozen=True, eq=False)
class KaplanJoint(JointLaw):
    """Eq. 1.5: ``L(N, D) = [(N_c/N)^(α_N/α_D) + D_c/D]^α_D`` (no irreducible term)."""

    name: str
    alpha_n: float
    alpha_d: float
    n_c: float
    d_c: float
    citation: Citation
    notes: str = ""
    family: str = "kaplan"

    @property
    def formula(self) -> str:
        return "L(N, D) = [(N_c / N)^(alpha_N / alpha_D) + D_c / D]^alpha_D"

    def coefficients(self) -> dict[str, float]:
        return {"alpha_N": self.alpha_n, "alpha_D": self.alpha_d, "N_c": self.n_c, "D_c": self.d_c}

    @property
    def irreducible_loss(self) -> float:
        return 0.0

    def theta(self) -> np.ndarray:
        """``(ln N_c, ln D_c, α_N, α_D)``, the fitter's coordinates."""
        return np.array([np.log(self.n_c), np.log(self.d_c), self.alpha_n, self.alpha_d])

    def loss(self, n_params: Any, n_tokens: Any) -> Any:
        log_n = np.log(np.asarray(n_params, dtype=float))
        log_d = np.log(np.asarray(n_tokens, dtype=float))
        return as_float_or_array(np.exp(log_loss(self.theta(), log_n, log_d)))

    def compute_optimal(self, flops: Any) -> tuple[Any, Any]:
        """Argmin of Eq. 1.5 over N at ``D = C/(6N)``.

        With ``p = α_N/α_D`` the stationary point of ``(N_c/N)^p + 6·D_c·N/C`` is
        ``N* = (p · N_c^p · C / (6 D_c))^(1/(1+p))``.
        """
        c = np.asarray(flops, dtype=float)
        p = self.alpha_n / self.alpha_d
        c6 = c / FLOPS_PER_PARAM_TOKEN
        n = np.exp((np.log(p) + p * np.log(self.n_c) + np.log(c6) - np.log(self.d_c)) / (1.0 + p))
        return as_float_or_array(n), as_float_or_array(c6 / n)


def kaplan_allocation(flops: Any) -> tuple[Any, Any]:
    """Kaplan's published compute-efficient allocation, Eq. 6.1: ``N ≈ 1.3e9 · C_min^0.73`` (PF-days).

    Returns ``(n_params, n_tokens)`` with ``n_tokens = C / (6N)``.
    """
    c = np.asarray(flops, dtype=float)
    n = 1.3e9 * (c / PF_DAY_FLOPS) ** 0.73
    return as_float_or_array(n), as_float_or_array(c / FLOPS_PER_PARAM_TOKEN / n)


def kaplan_one_variable_laws() -> list[PowerLaw]:
    """Eqs. 1.1–1.3 of Kaplan et al. (2020) as :class:`PowerLaw` objects."""
    one = "loss in nats/token on WebText2 (GPT-2 tokenizer); N excludes embeddings"
    return [
        PowerLaw.from_scale("kaplan2020-n", "n_params", 8.8e13, 0.076, KAPLAN_2020,
                            f"Eq. 1.1, models trained to convergence on enough data; {one}"),
        PowerLaw.from_scale("kaplan2020-d", "n_tokens", 5.4e13, 0.095, KAPLAN_2020,
                            f"Eq. 1.2, large models with early stopping; {one}"),
        PowerLaw.from_scale("kaplan2020-c", "flops", 3.1e8 * PF_DAY_FLOPS, 0.050, KAPLAN_2020,
                            f"Eq. 1.3, compute-efficient frontier; C_c = 3.1e8 PF-days; {one}"),
    ]


def _build(theta: np.ndarray) -> KaplanJoint:
    lnc, ldc, an, ad = (float(v) for v in theta)
    return KaplanJoint("fitted-kaplan", an, ad, float(np.exp(lnc)), float(np.exp(ldc)), FIT_CITATION)


#: Eq. 1.5 as a fitter sees it
KAPLAN_FAMILY = Family(
    "kaplan", ("log N_c", "log D_c", "alpha_N", "alpha_D"), log_loss, _build, lambda law: law.theta(),
    bounds=((0.0, 80.0), (0.0, 80.0), (1e-4, 3.0), (1e-4, 3.0)),
    start_axes=((25.0, 30.0, 35.0), (20.0, 25.0, 30.0), (0.05, 0.1, 0.3), (0.05, 0.1, 0.3)),
    exponents=("alpha_N", "alpha_D"), exponent_index=(2, 3),
)
