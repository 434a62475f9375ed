"""What every law shares: a name, a citation, coefficients, a formula, and a loss.

Two kinds of law exist. A :class:`JointLaw` predicts loss from model size *and* tokens, ``L(N, D)``,
and so can split a compute budget; the planner works with these. A :class:`PowerLaw` predicts loss
from one variable (N, D or C) and is used for description and fitting, not for allocation.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Citation", "Law", "JointLaw", "as_float_or_array"]


@dataclass(frozen=True)
class Citation:
    """Where a law and its coefficients come from."""

    authors: str
    year: int
    title: str
    arxiv: str = ""
    where: str = ""  # table / equation / file the numbers were taken from

    def __str__(self) -> str:
        ref = f" arXiv:{self.arxiv}" if self.arxiv else ""
        where = f" ({self.where})" if self.where else ""
        return f"{self.authors} ({self.year}), \"{self.title}\".{ref}{where}"


def as_float_or_array(x: np.ndarray) -> Any:
    """Return a Python float for 0-d results so scalars stay scalars."""
    return float(x) if np.ndim(x) == 0 else x


class Law(ABC):
    """Common interface of every scaling law in the catalog."""

    name: str
    citation: Citation
    notes: str

    #: short name of the functional family ("chinchilla", "kaplan", ...)
    family: str = ""

    @property
    @abstractmethod
    def formula(self) -> str:
        """The functional form, human-readable."""

    @abstractmethod
    def coefficients(self) -> dict[str, float]:
        """Coefficients by name, as published."""

    @property
    @abstractmethod
    def irreducible_loss(self) -> float:
        """The loss approached as every resource grows without bound (E; 0 for pure power laws)."""

    def _repr_html_(self) -> str:  # Jupyter
        from ._html import law_html

        return law_html(self)

    def describe(self) -> dict[str, Any]:
        """Everything ``scalinglab laws show`` prints, as plain data."""
        return {
            "name": self.name,
            "family": self.family,
            "formula": self.formula,
            "coefficients": self.coefficients(),
            "irreducible_loss": self.irreducible_loss,
            "citation": str(self.citation),
            "notes": self.notes,
        }


class JointLaw(Law):
    """A law of model size and tokens, ``L(N, D)``; training compute is ``C = 6·N·D``."""

    @abstractmethod
    def loss(self, n_params: Any, n_tokens: Any) -> Any:
        """Predicted loss (nats/token) for ``n_params`` parameters trained on ``n_tokens`` tokens.

        Vectorised: arguments broadcast like numpy arrays; scalars in, float out.
        """

    def compute_optimal(self, flops: Any) -> tuple[Any, Any] | None:
        """Closed-form compute-optimal ``(n_params, n_tokens)`` at ``flops = 6·N·D``, or ``None``.

        Laws without a closed form return ``None``; the planner then minimises numerically.
        """
        return None

    def variants(self) -> list[JointLaw]:
        """Laws drawn from this law's uncertainty (e.g. bootstrap refits); empty when unknown.

        The planner recomputes every planned number under each variant to give intervals.
        """
        return []
