"""A power law with an irreducible term in one variable: ``L(x) = E + A / x^α``, x ∈ {N, D, C}.

Kaplan et al. (2020) write their one-variable laws as ``L = (x_c / x)^α``; that is this form with
``E = 0`` and ``A = x_c^α`` (:meth:`PowerLaw.from_scale`).
"""

from __future__ import annotations

import math

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validate import check_choice, check_positive
from ..errors import ConfigError
from ..flops import log_training_flops
from .base import Citation, Law, as_float_or_array
from .family import FIT_CITATION, Family

__all__ = ["PowerLaw", "VARIABLES", "log_loss", "log_x", "power_law_family"]

#: the variable a one-variable law is written in, and its unit
VARIABLES = {"n_params": "parameters", "n_tokens": "tokens", "flops": "FLOP"}


def log_loss(theta: Any, lx: Any) -> np.ndarray:
    """``log L = log(E + A/x^α) = logaddexp(ln E, ln A − α log x)`` for ``θ = (ln E, ln A, α)``, ``lx = log x``."""
    le, la, alpha = (float(v) for v in theta)
    return np.logaddexp(le, la - alpha * np.asarray(lx, dtype=float))


def log_x(variable: str, log_n: Any, log_d: Any) -> np.ndarray:
    """The log of a one-variable law's variable from ``(log N, log D)``: N, D or ``C = 6·N·D``."""
    log_n, log_d = np.asarray(log_n, dtype=float), np.asarray(log_d, dtype=float)
    return {"n_params": lambda: log_n, "n_tokens": lambda: log_d,
            "flops": lambda: log_training_flops(log_n, log_d)}[variable]()


#: the largest log of a float (ln of 1.8e308)
_LOG_MAX = math.log(np.finfo(float).max)


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
        if self.E == 0 and math.log(self.A) / self.alpha > _LOG_MAX:  # Kaplan's x_c = A^(1/α) must be a number
            raise ConfigError(f"A power law without E has the scale x_c = A^(1/alpha), which must be finite. Got "
                              f"A = {self.A:g}, alpha = {self.alpha:g}: x_c = 10^{math.log10(self.A) / self.alpha:.4g}.")

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

    def theta(self) -> np.ndarray:
        """``(ln E, ln A, α)``, the fitter's coordinates (``ln E = −inf`` at E = 0)."""
        with np.errstate(divide="ignore"):
            return np.array([np.log(self.E), np.log(self.A), self.alpha])

    def loss(self, x: Any) -> Any:
        """Predicted loss at ``x`` (in the law's variable)."""
        return as_float_or_array(np.exp(log_loss(self.theta(), np.log(np.asarray(x, dtype=float)))))


    def inverse(self, loss: Any) -> Any:
        """The ``x`` at which the law reaches ``loss`` (which must exceed E)."""
        gap = np.asarray(loss, dtype=float) - self.E
        return as_float_or_array((self.A / gap) ** (1.0 / self.alpha))


_SHORT = {"n_params": "n", "n_tokens": "d", "flops": "c"}


def power_law_family(variable: str) -> Family:
    """``"power-law-n"``, ``"-d"`` or ``"-c"``: ``L = E + A/x^α`` fitted on runs' N, D or C = 6ND."""
    check_choice("variable", variable, VARIABLES)
    name = f"power-law-{_SHORT[variable]}"

    def log_loss_nd(theta: Any, log_n: Any, log_d: Any) -> np.ndarray:
        return log_loss(theta, log_x(variable, log_n, log_d))

    def build(theta: np.ndarray) -> PowerLaw:
        le, la, alpha = (float(v) for v in theta)
        return PowerLaw(f"fitted-{name}", variable, float(np.exp(le)), float(np.exp(la)), alpha, FIT_CITATION)

    return Family(name, ("log E", "log A", "alpha"), log_loss_nd, build, lambda law: law.theta(),
                  bounds=((-20.0, 5.0), (-30.0, 120.0), (1e-4, 3.0)),
                  start_axes=((-1.0, 0.0, 0.7), (5.0, 10.0, 20.0) if variable == "flops" else (2.0, 5.0, 10.0),
                              (0.05, 0.15, 0.4)),
                  exponents=("alpha",), exponent_index=(2,), variables=(variable,))
