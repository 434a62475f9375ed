"""A power law with an irreducible term in one variable: ``L(x) = E + A / x^α``, x ∈ {N, D, C}.

Kaplan et al. (2020) write their one-variable laws as ``L = (x_c / x)^α``; that is this form with
``E = 0`` and ``A = x_c^α`` (:meth:`PowerLaw.from_scale`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validate import check_choice, check_positive
from .base import Citation, Law, as_float_or_array

__all__ = ["PowerLaw", "VARIABLES"]

#: the variable a one-variable law is written in, and its unit
VARIABLES = {"n_params": "parameters", "n_tokens": "tokens", "flops": "FLOP"}


@dataclass(frozen=True, eq=False)
class PowerLaw(Law):
    """``L(x) = E + A / x^alpha`` in one variable (``n_params``, ``n_tokens`` or ``flops``)."""

    name: str
    variable: str
    E: float
    A: float
    alpha: float
    citation: Citation
    notes: str = ""
    family: str = "power-law"

    def __post_init__(self) -> None:
        check_choice("variable", self.variable, VARIABLES)
        check_positive("E", self.E, allow_zero=True)
        check_positive("A", self.A)
        check_positive("alpha", self.alpha)

    @classmethod
    def from_scale(
        cls, name: str, variable: str, x_c: float, alpha: float, citation: Citation, notes: str = ""
    ) -> PowerLaw:
        """Kaplan's ``L = (x_c/x)^α``."""
        return cls(name, variable, 0.0, float(x_c) ** alpha, alpha, citation, notes)

    @property
    def formula(self) -> str:
        sym = {"n_params": "N", "n_tokens": "D", "flops": "C"}[self.variable]
        return f"L({sym}) = E + A / {sym}^alpha"

    def coefficients(self) -> dict[str, float]:
        out = {"E": self.E, "A": self.A, "alpha": self.alpha}
        if self.E == 0:
            out["x_c"] = self.A ** (1.0 / self.alpha)  # Kaplan's scale constant
        return out

    @property
    def irreducible_loss(self) -> float:
        return self.E

    def loss(self, x: Any) -> Any:
        """Predicted loss at ``x`` (in the law's variable)."""
        x = np.asarray(x, dtype=float)
        return as_float_or_array(self.E + np.exp(np.log(self.A) - self.alpha * np.log(x)))

    def inverse(self, loss: Any) -> Any:
        """The ``x`` at which the law reaches ``loss`` (which must exceed E)."""
        gap = np.asarray(loss, dtype=float) - self.E
        return as_float_or_array((self.A / gap) ** (1.0 / self.alpha))
