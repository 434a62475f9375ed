"""Numbers the figures draw, computed from plain inputs: a law's compute-optimal frontier, its band across
the law's variants (IsoFLOP budget labels are :func:`scalinglab.fit.approach2.budget_labels`). Pure functions;
nothing here draws."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ..fit.approach2 import budget_labels
from ..laws.base import JointLaw
from ..laws.chinchilla import Chinchilla
from ..laws.fitted import evenly_spaced
from ..plan.optimal import frontier as frontier_curve

__all__ = ["frontier_curve", "variant_band", "point_law", "budget_labels", "Band", "MAX_VARIANTS"]

#: figures use at most this many variants (evenly spaced through the samples) to keep drawing fast
MAX_VARIANTS = 400


def point_law(law: JointLaw) -> JointLaw:
    """The law without its bootstrap samples (for views where intervals are not drawn)."""
    if isinstance(law, Chinchilla) and law.samples:
        return replace(law, samples=())
    return law


@dataclass(frozen=True, eq=False)
class Band:
    """Central interval across a law's variants, per compute value: ``n_params`` and ``loss`` low/high."""

    flops: np.ndarray
    n_low: np.ndarray
    n_high: np.ndarray
    loss_low: np.ndarray
    loss_high: np.ndarray
    level: float
    n_variants: int


def _subsample(variants: list[JointLaw], k: int = MAX_VARIANTS) -> list[JointLaw]:
    return evenly_spaced(variants, k)


def variant_band(law: JointLaw, flops: Any, level: float = 0.90) -> Band | None:
    """The ``level`` central band of N*(C) and L*(C) across ``law.variants()``; ``None`` without variants."""
    variants = _subsample(law.variants())
    if len(variants) < 2:
        return None
    c = np.atleast_1d(np.asarray(flops, dtype=float))
    ns, ls = [], []
    for v in variants:
        n, _, loss = frontier_curve(v, c)
        ns.append(n)
        ls.append(loss)
    q = 100.0 * (1.0 - level) / 2.0
    n_lo, n_hi = np.nanpercentile(np.array(ns), [q, 100.0 - q], axis=0)
    l_lo, l_hi = np.nanpercentile(np.array(ls), [q, 100.0 - q], axis=0)
    return Band(c, n_lo, n_hi, l_lo, l_hi, level, len(variants))
