"""A law family as a fitter sees it: one protocol that every functional form implements once.

A family maps a parameter vector θ (the coordinates a fitter searches: logs of the scale coefficients,
exponents as they are) to a law and back, and predicts ``log L`` from ``(θ, log N, log D)``. The law's own
``loss`` evaluates the same function at the law's θ, so each formula is written once, in its law's module,
and :mod:`scalinglab.fit` fits any family without knowing its form. The search box, the start grid and
which coordinates are exponents belong to the family too.

The families (:data:`scalinglab.laws.registry.FAMILIES`):

- ``"chinchilla"``: Hoffmann et al. (2022) Eq. 2, θ = (ln A, ln B, ln E, α, β).
- ``"kaplan"``: Kaplan et al. (2020) Eq. 1.5, θ = (ln N_c, ln D_c, α_N, α_D).
- ``"over-training"``: Gadre et al. (2024), θ = (ln E, ln a, ln b, η).
- ``"data-constrained"``: Muennighoff et al. (2023) with α = β, θ = (ln E, ln A, ln B, α, ln R_D*, ln R_N*);
  its prediction also needs each run's unique tokens (``log_u``).
- ``"power-law-n"``, ``"power-law-d"``, ``"power-law-c"``: ``L = E + A/x^α``, θ = (ln E, ln A, α).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .base import Citation, Law

__all__ = ["Family", "FIT_CITATION"]

#: the citation a law built from a fitted θ carries until its fitter names the data
FIT_CITATION = Citation("scalinglab fit", 2025, "fit to user runs")


@dataclass(frozen=True)
class Family:
    """One functional form: θ ↔ law, ``log L(θ, log N, log D[, log U])``, search box and start grid.

    ``exponents`` names the coefficients (as :meth:`Law.coefficients` spells them) whose bootstrap
    interval decides identification; ``exponent_index`` locates the exponents in θ. ``variables`` are what
    the law reads of each run: N and D (``"n_params"``, ``"n_tokens"``), or for a one-variable law just its
    variable (``"flops"``: C = 6·N·D, or a compute column).
    """

    name: str
    theta_names: tuple[str, ...]
    log_loss: Callable[..., np.ndarray]
    build: Callable[[np.ndarray], Law]
    theta_of: Callable[[Any], np.ndarray]
    bounds: tuple[tuple[float, float], ...]
    start_axes: tuple[tuple[float, ...], ...]
    exponents: tuple[str, ...]
    exponent_index: tuple[int, ...]
    needs_unique: bool = False
    variables: tuple[str, ...] = ("n_params", "n_tokens")

    @property
    def k(self) -> int:
        """Number of fitted parameters."""
        return len(self.theta_names)

    @property
    def lower(self) -> np.ndarray:
        return np.array([b[0] for b in self.bounds], dtype=float)

    @property
    def upper(self) -> np.ndarray:
        return np.array([b[1] for b in self.bounds], dtype=float)

    def at_bound(self, theta: Any) -> np.ndarray:
        """Mask, θ's shape: a coordinate within 1e-6 of a finite bound (relative to the box's width where
        both bounds are finite, absolute otherwise). Non-finite coordinates count as on the bound."""
        th = np.asarray(theta, dtype=float)
        lo, hi = self.lower, self.upper
        with np.errstate(invalid="ignore"):
            width = hi - lo
            tol = np.where(np.isfinite(width), 1e-6 * width, 1e-6)
            low = np.isfinite(lo) & (th <= lo + tol)
            high = np.isfinite(hi) & (th >= hi - tol)
        return low | high | ~np.isfinite(th)

    def bound_hits(self, theta: Any) -> tuple[str, ...]:
        """Names of θ's coordinates on a bound of the search box."""
        return tuple(n for n, hit in zip(self.theta_names, self.at_bound(theta)) if hit)
