"""Immutable results of a parametric fit, and their conversion to a saveable law."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any

import numpy as np

from ..errors import ConfigError
from ..laws.base import Citation, Law
from ..laws.chinchilla import Chinchilla, ChinchillaParams
from ..laws.fitted import law_loss

__all__ = ["FitWarning", "StartRecords", "FitResult", "provenance"]


class FitWarning(UserWarning):
    """A fit finished but deserves a look: few starts agreed, or a parameter sits at its bound."""


@dataclass(frozen=True, eq=False)
class StartRecords:
    """Every start of a multi-start fit: ``start`` and ``final`` (S, 5) as (a, b, e, α, β), ``objective``
    (S,), ``converged`` (S,) and ``n_iter`` (S,). Under variable projection a start is an (α, β) only, so
    its (a, b, e) are NaN; a coefficient solved to exactly zero ends as ``log 0 = −inf``."""

    start: np.ndarray
    final: np.ndarray
    objective: np.ndarray
    converged: np.ndarray
    n_iter: np.ndarray

    def __len__(self) -> int:
        return len(self.objective)


@dataclass(frozen=True, eq=False)
class FitResult:
    """What a fitter found for one law family on one set of runs: the law, its θ (the family's coordinates,
    :class:`~scalinglab.laws.family.Family`) and how the search went. Every family's fit returns this.

    ``n_starts`` counts the searches run: for Chinchilla under ``method="varpro"`` the distinct (α, β) of
    the grid (25 of Hoffmann's ``grid_points`` = 4,500), under ``"joint"`` every grid point; for the other
    families every point of the family's start grid. ``n_best`` counts starts whose final objective is
    within ``max(1e-6·objective, 1e-9)`` of the best; ``n_converged`` (Chinchilla's batched search only)
    counts starts whose optimiser stopped on its convergence test rather than its iteration cap.
    """

    law: Law
    theta: np.ndarray
    objective: float
    loss: str
    delta: float
    n_starts: int
    n_best: int
    seconds: float
    n_runs: int
    family: str = "chinchilla"
    asymmetry: float = 0.75
    at_bound: tuple[str, ...] = ()
    n_converged: int | None = None
    starts: StartRecords | None = field(default=None, repr=False)
    method: str = "least-squares"
    starts_name: str = "grid"
    grid_points: int | None = None
    residuals: str = "log"

    @property
    def params(self) -> ChinchillaParams:
        """The Chinchilla coefficients (E, A, B, α, β); only a Chinchilla fit has them."""
        if not isinstance(self.law, Chinchilla):
            raise AttributeError(f"A {self.family} fit has no Chinchilla params; use .law.coefficients().")
        return self.law.params

    def exponents(self) -> tuple[float, float] | None:
        """``(a, b)`` of ``N_opt ∝ C^a``, ``D_opt ∝ C^b`` where the law has closed-form exponents (Chinchilla)."""
        return self.law.exponents() if isinstance(self.law, Chinchilla) else None

    def predict(self, n_params: Any, n_tokens: Any) -> np.ndarray:
        """Predicted loss at (N, D) whatever the family's variables (C = 6ND for a law in compute)."""
        return law_loss(self.law, n_params, n_tokens)

    def as_dict(self) -> dict[str, Any]:
        starts: dict[str, Any] = {"total": self.n_starts, "best": self.n_best}
        if self.n_converged is not None:
            starts.update(converged=self.n_converged, grid=self.starts_name,
                          grid_points=self.grid_points or self.n_starts, method=self.method)
        out: dict[str, Any] = {"family": self.family, "params": self.law.coefficients(), "objective": self.objective,
                               "loss": self.loss, "delta": self.delta, "residuals": self.residuals,
                               "starts": starts,
                               "at_bound": list(self.at_bound), "seconds": self.seconds, "n_runs": self.n_runs}
        ab = self.exponents()
        if ab is not None:
            out["exponents"] = {"a": ab[0], "b": ab[1]}
        return out

    def to_law(self, name: str = "fitted", provenance: dict[str, Any] | None = None,
               samples: tuple[ChinchillaParams, ...] = ()) -> Law:
        """The fitted law, named and cited by the data it was fitted to; ``samples`` (bootstrap refits of a
        Chinchilla fit) let the planner give intervals."""
        src = (provenance or {}).get("data", {}).get("path", "user runs")
        cit = Citation("scalinglab fit", datetime.now(timezone.utc).year, f"{self.family} fit to {src}",
                       where=f"{self.loss} (delta={self.delta:g}) on {'log loss' if self.residuals == 'log' else 'loss'}, "
                             f"{self.n_runs} runs, "
                             f"{self.n_best}/{self.n_starts} {self.method} starts at the best objective")
        if isinstance(self.law, Chinchilla):
            return Chinchilla(name, self.law.params, cit, f"objective {self.objective:.8g}", tuple(samples))
        if samples:
            raise ConfigError(f"The 'samples' parameter applies to Chinchilla fits only. Got {len(samples)} for a "
                              f"{self.family} fit.")
        return replace(self.law, name=name, citation=cit)  # type: ignore[type-var]


def provenance(result: Any, runs: Any = None, **extra: Any) -> dict[str, Any]:
    """What a saved fit needs to be reproduced: data file hash, columns, filters, objective, grid, version.

    Only Chinchilla's batched search has a named start grid and search method.
    """
    from .._version import __version__

    starts: dict[str, Any] = {"total": result.n_starts, "best": result.n_best}
    if result.n_converged is not None:
        starts.update(grid=result.starts_name, method=result.method,
                      grid_points=result.grid_points or result.n_starts)
    out: dict[str, Any] = {
        "data": dict(getattr(runs, "source", {}) or {}),
        "n_runs": result.n_runs,
        "objective": {"loss": result.loss, "delta": result.delta, "value": result.objective,
                      "residuals": getattr(result, "residuals", "log")},
        "starts": starts,
        "scalinglab_version": __version__,
        "created_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    out.update(extra)
    return out
