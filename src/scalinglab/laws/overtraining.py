"""Over-training, Gadre et al. (2024), "Language models scale reliably with over-training and on
downstream tasks" (arXiv:2403.08540).

With token multiplier ``M = D/N`` and ``C = 6ND`` the loss law is::

    L(C, M) = E + (a·M^η + b·M^(−η)) · C^(−η)

In the authors' code (``scaling/laws.py``, ``powlaw_ours``) the same law is written
``L(N, M) = E + α·N^k + β·6^(k/2)·(M·N)^k`` with ``k = −2η``, ``a = α·6^η``, ``b = β``.
The compute-optimal multiplier is ``M* = (b/a)^(1/(2η))``, independent of C.

Gadre et al. publish the fitting recipe and data rather than coefficients. The coefficient set here
(``gadre2024``) is the paper's default fit (RedPajama, C4-eval loss, five runs: 11M/79M/154M/411M
at M=20 and 11M at M=320) recomputed by us with the authors' curve_fit multi-start; it predicts the
held-out 1.4B (M=640) and 6.9B (M=20) runs with 0.710% and 0.732% relative error, as the paper's
notebook reports (0.7103%, 0.7320%). N counts all parameters, embeddings included.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validate import check_positive
from ..flops import FLOPS_PER_PARAM_TOKEN, log_training_flops
from .base import Citation, JointLaw, as_float_or_array
from .family import FIT_CITATION, Family

__all__ = ["OverTraining", "GADRE_2024", "GADRE_RPJ_C4", "log_loss", "log_loss_cm", "OVER_TRAINING_FAMILY"]

GADRE_2024 = Citation(
    "Gadre et al.", 2024, "Language models scale reliably with over-training and on downstream tasks",
    "2403.08540", "loss law of scaling/laws.py refit on RedPajama, C4-eval, the paper's 5 default runs",
)

#: (alpha, beta, k, E) of ``powlaw_ours`` fitted as above [derived by us, see module docstring].
GADRE_RPJ_C4 = (166.210992120337, 366.6871979615622, -0.2728507061786173, 1.836648408738623)


def log_loss_cm(theta: Any, log_c: Any, log_m: Any) -> np.ndarray:
    """The law in log space at compute C and multiplier M, ``θ = (ln E, ln a, ln b, η)``:
    ``log L = LSE(ln E, ln a + η log M − η log C, ln b − η log M − η log C)``."""
    le, la, lb, eta = (float(v) for v in theta)
    log_c, log_m = np.broadcast_arrays(np.asarray(log_c, dtype=float), np.asarray(log_m, dtype=float))
    # np.logaddexp, not scipy's logsumexp: the same value without its ~0.3 ms per call, which was most of a fit
    return np.logaddexp(np.logaddexp(le, la + eta * (log_m - log_c)), lb - eta * (log_m + log_c))


def log_loss(theta: Any, log_n: Any, log_d: Any) -> np.ndarray:
    """:func:`log_loss_cm` at ``C = 6·N·D``, ``M = D/N``."""
    log_n, log_d = np.asarray(log_n, dtype=float), np.asarray(log_d, dtype=float)
    return log_loss_cm(theta, log_training_flops(log_n, log_d), log_d - log_n)


@dataclass(frozen=True, eq=False)
class OverTraining(JointLaw):
    """``L(C, M) = E + (a·M^η + b·M^(−η))·C^(−η)`` with ``M = D/N``."""

    name: str
    E: float
    a: float
    b: float
    eta: float
    citation: Citation
    notes: str = ""
    family: str = "over-training"

    def __post_init__(self) -> None:
        check_positive("E", self.E, allow_zero=True)
        for name in ("a", "b", "eta"):
            check_positive(name, getattr(self, name))

    @classmethod
    def from_code_params(
        cls, name: str, alpha: float, beta: float, k: float, E: float, citation: Citation, notes: str = ""
    ) -> OverTraining:
        """From the authors' ``powlaw_ours(x, alpha, beta, b=k, E)`` parameters."""
        eta = -k / 2.0
        return cls(name, E, alpha * 6.0**eta, beta, eta, citation, notes)

    @property
    def formula(self) -> str:
        return "L(C, M) = E + (a * M^eta + b * M^-eta) * C^-eta,  M = D/N, C = 6ND"

    def coefficients(self) -> dict[str, float]:
        return {"E": self.E, "a": self.a, "b": self.b, "eta": self.eta}

    @property
    def irreducible_loss(self) -> float:
        return self.E

    def theta(self) -> np.ndarray:
        """``(ln E, ln a, ln b, η)``, the fitter's coordinates (``ln E = −inf`` at E = 0)."""
        with np.errstate(divide="ignore"):
            return np.array([np.log(self.E), np.log(self.a), np.log(self.b), self.eta])

    def loss_cm(self, flops: Any, tokens_per_param: Any) -> Any:
        """Loss at compute ``flops`` and multiplier ``M = D/N``."""
        log_c = np.log(np.asarray(flops, dtype=float))
        log_m = np.log(np.asarray(tokens_per_param, dtype=float))
        return as_float_or_array(np.exp(log_loss_cm(self.theta(), log_c, log_m)))

    def loss(self, n_params: Any, n_tokens: Any) -> Any:
        log_n = np.log(np.asarray(n_params, dtype=float))
        log_d = np.log(np.asarray(n_tokens, dtype=float))
        return as_float_or_array(np.exp(log_loss(self.theta(), log_n, log_d)))

    def optimal_tokens_per_param(self) -> float:
        """``M* = (b/a)^(1/(2η))``, the same at every compute budget."""
        return float((self.b / self.a) ** (1.0 / (2.0 * self.eta)))

    def compute_optimal(self, flops: Any) -> tuple[Any, Any]:
        c = np.asarray(flops, dtype=float)
        c6 = c / FLOPS_PER_PARAM_TOKEN
        n = np.sqrt(c6 / self.optimal_tokens_per_param())
        return as_float_or_array(n), as_float_or_array(c6 / n)


def _build(theta: np.ndarray) -> OverTraining:
    le, la, lb, eta = (float(v) for v in theta)
    return OverTraining("fitted-over-training", float(np.exp(le)), float(np.exp(la)), float(np.exp(lb)), eta,
                        FIT_CITATION)


#: the loss law as a fitter sees it
OVER_TRAINING_FAMILY = Family(
    "over-training", ("log E", "log a", "log b", "eta"), log_loss, _build, lambda law: law.theta(),
    bounds=((-20.0, 5.0), (-30.0, 60.0), (-30.0, 60.0), (1e-4, 2.0)),
    start_axes=((-1.0, 0.0, 0.5), (0.0, 5.0, 10.0), (0.0, 5.0, 10.0), (0.05, 0.15, 0.3)),
    exponents=("eta",), exponent_index=(3,),
)
