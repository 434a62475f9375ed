"""What every law shares: a name, a citation, coefficients, a formula, and a loss.

Two kinds of law exist. A :class:`JointLaw` predicts loss from model size *and* tokens, ``L(N, D)``,
and so can split a compute budget; the planner works with these. A :class:`PowerLaw` predicts loss
from one variable (N, D or C) and is used for description and fitting, not for allocation.
"""

from __future__ import annotations

import functools
import inspect
import reprlib
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ConfigError

__all__ = ["Citation", "Law", "JointLaw", "as_float_or_array", "check_loss_input"]


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


def check_loss_input(name: str, value: Any) -> None:
    """One ConfigError unless every element of ``value`` is a number > 0 (inf allowed: the law's limit there).

    One vectorised comparison: NaN fails ``> 0`` too, so a NaN or negative size never becomes a silent NaN loss.
    """
    if type(value) is float and value > 0:  # the common scalar case, without numpy (NaN fails `> 0`)
        return
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ConfigError(f"The {name!r} parameter must be a number > 0 or an array of them. "
                          f"Got {reprlib.repr(value)}.") from None
    positive = arr > 0
    if not positive.all():
        bad = arr if arr.ndim == 0 else arr[~positive].flat[0]
        raise ConfigError(f"The {name!r} parameter must be > 0. Got {float(bad):g}.")


def _checked_loss(loss: Callable[..., Any]) -> Callable[..., Any]:
    """``loss`` checking its named arguments (``n_params``, ``n_tokens``, ``unique_tokens``; a power law's ``x`` is
    named by its variable) with :func:`check_loss_input`; ``None`` (an optional argument) passes."""
    names = [p.name for p in list(inspect.signature(loss).parameters.values())[1:]
             if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]

    @functools.wraps(loss)
    def checked(self: Any, *args: Any, **kwargs: Any) -> Any:
        for name, value in (*zip(names, args), *kwargs.items()):
            if value is not None and name in names:
                check_loss_input(getattr(self, "variable", name) if name == "x" else name, value)
        return loss(self, *args, **kwargs)

    return checked


class Law(ABC):
    """Common interface of every scaling law in the catalog.

    Every subclass's ``loss`` checks its inputs (sizes, tokens, compute) are > 0 before computing, so a negative
    or NaN input is one ConfigError naming it, never a silent NaN: :meth:`__init_subclass__` wraps the method.
    The check is one vectorised comparison per argument; the fitters mostly call the pure ``log_loss`` functions
    and skip it (the data-constrained family's goes through ``loss`` with the runs' positive sizes).
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        loss = cls.__dict__.get("loss")
        if callable(loss) and not getattr(loss, "__isabstractmethod__", False):
            cls.loss = _checked_loss(loss)  # type: ignore[attr-defined]

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
