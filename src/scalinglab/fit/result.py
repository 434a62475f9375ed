"""Immutable results of a parametric fit, and their conversion to a saveable law."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import numpy as np

from ..laws.base import Citation
from ..laws.chinchilla import Chinchilla, ChinchillaParams

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
    """Outcome of :class:`~scalinglab.fit.ParametricFitter` on one set of runs.

    ``n_starts`` counts the searches run: under ``method="varpro"`` the distinct (α, β) of the grid (25 of
    Hoffmann's ``grid_points`` = 4,500), under ``"joint"`` every grid point.
    ``n_best`` counts starts whose final objective is within ``max(1e-6·objective, 1e-9)`` of the best
    (after polishing the best with L-BFGS-B); ``n_converged`` counts starts whose optimiser stopped on its
    convergence test rather than its iteration cap.
    """

    params: ChinchillaParams
    objective: float
    loss: str
    delta: float
    n_starts: int
    n_best: int
    n_converged: int
    seconds: float
    n_runs: int
    starts_name: str = "hoffmann"
    at_bound: tuple[str, ...] = ()
    starts: StartRecords | None = field(default=None, repr=False)
    family: str = "chinchilla"
    method: str = "joint"
    grid_points: int | None = None
    asymmetry: float = 0.75

    @property
    def theta(self) -> np.ndarray:
        """``(a, b, e, α, β) = (ln A, ln B, ln E, α, β)``."""
        p = self.params
        return np.array([np.log(p.A), np.log(p.B), np.log(p.E), p.alpha, p.beta])

    def exponents(self) -> tuple[float, float]:
        """``(a, b)`` of ``N_opt ∝ C^a``, ``D_opt ∝ C^b``: ``a = β/(α+β)``, ``b = α/(α+β)``."""
        s = self.params.alpha + self.params.beta
        return self.params.beta / s, self.params.alpha / s

    def as_dict(self) -> dict[str, Any]:
        a, b = self.exponents()
        return {
            "family": self.family,
            "params": self.params.as_dict(),
            "objective": self.objective,
            "loss": self.loss,
            "delta": self.delta,
            "starts": {"total": self.n_starts, "best": self.n_best, "converged": self.n_converged,
                       "grid": self.starts_name, "grid_points": self.grid_points or self.n_starts,
                       "method": self.method},
            "at_bound": list(self.at_bound),
            "exponents": {"a": a, "b": b},
            "seconds": self.seconds,
            "n_runs": self.n_runs,
        }

    def to_law(self, name: str = "fitted", provenance: dict[str, Any] | None = None,
               samples: tuple[ChinchillaParams, ...] = ()) -> Chinchilla:
        """The fitted law; ``samples`` (bootstrap refits) let the planner give intervals."""
        src = (provenance or {}).get("data", {}).get("path", "user runs")
        cit = Citation("scalinglab fit", datetime.now(timezone.utc).year, f"Chinchilla-form fit to {src}",
                       where=f"{self.loss} (delta={self.delta:g}) on log loss, {self.n_runs} runs, "
                             f"{self.n_best}/{self.n_starts} {self.method} starts at the best objective")
        notes = f"objective {self.objective:.8g}"
        return Chinchilla(name, self.params, cit, notes, tuple(samples))


def provenance(result: Any, runs: Any = None, **extra: Any) -> dict[str, Any]:
    """What a saved fit needs to be reproduced: data file hash, columns, filters, objective, grid, version.

    ``result`` is a :class:`FitResult` or a family fit (:class:`~scalinglab.fit.families.FamilyFit`); only the
    former has a named start grid and search method.
    """
    from .._version import __version__

    starts: dict[str, Any] = {"total": result.n_starts, "best": result.n_best}
    if isinstance(result, FitResult):
        starts.update(grid=result.starts_name, method=result.method,
                      grid_points=result.grid_points or result.n_starts)
    out: dict[str, Any] = {
        "data": dict(getattr(runs, "source", {}) or {}),
        "n_runs": result.n_runs,
        "objective": {"loss": result.loss, "delta": result.delta, "value": result.objective},
        "starts": starts,
        "scalinglab_version": __version__,
        "created_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    out.update(extra)
    return out
