"""What :func:`scalinglab.fit.compare.compare_runs` returns: :class:`Comparison` (frozen; plain numbers and
arrays, so that it renders, saves and loads without refitting) and each side's :class:`SideFit`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._intervals import level_label
from ._compare_fit import interval, log_multiplier

__all__ = ["Comparison", "SideFit", "grid_bands", "UNITS", "MEANING", "GRID_POINTS"]

#: x of each comparison, in words with its unit
UNITS = {"compute": "training compute C (FLOP)", "tokens": "training tokens D", "params": "parameters N"}
#: what M means, for each comparison
MEANING = {"compute": "the compute A needs to reach the loss B reaches with C, over C",
           "tokens": "the tokens A needs (at the same N) to reach the loss B reaches with D tokens, over D",
           "params": "the parameters A needs (at the same D) to reach the loss B reaches with N, over N"}
#: points of the curves drawn in the figure
GRID_POINTS = 60


@dataclass(frozen=True, eq=False)
class SideFit:
    """One side: its curve points (``x``, ``loss``: NaN where a budget had no minimum), the curve
    ``E + A·x^(−a)`` fitted through them (``curve``; ``intervals`` over the replicates), and how it was made."""

    label: str  # "A" or "B"
    name: str  # what the side is (a file and its filter, a sweep)
    kind: str  # "isoflop", "law" (a joint law fitted to runs) or "saved" (a saved fit)
    what: str
    n_runs: int | None
    x: np.ndarray
    loss: np.ndarray
    curve: dict[str, float]
    intervals: dict[str, tuple[float, float]]
    data_range: tuple[float, float] | None
    notes: tuple[str, ...]
    n_requested: int
    n_failed: int
    variable: str

    def as_dict(self) -> dict[str, Any]:
        return {"label": self.label, "name": self.name, "kind": self.kind, "what": self.what, "n_runs": self.n_runs,
                "x": self.x.tolist(), "loss": [None if not np.isfinite(v) else float(v) for v in self.loss],
                "curve": dict(self.curve), "intervals": {k: list(v) for k, v in self.intervals.items()},
                "data_range": None if self.data_range is None else list(self.data_range), "notes": list(self.notes),
                "n_requested": self.n_requested, "n_failed": self.n_failed, "variable": self.variable}


def _inf(v: float) -> Any:
    """JSON has no infinity: ``inf`` (unreachable) is written as the string "inf"."""
    return "inf" if np.isposinf(v) else (None if not np.isfinite(v) else float(v))


@dataclass(frozen=True, eq=False)
class Comparison:
    """Side B against side A: M(x) at ``at`` with its interval (``lower``, ``upper``; ``inf`` where A never
    reaches B's loss), the share of replicates where it never does (``unreachable``), why an x is not identified
    (``at_reasons``, "" where it is), the exponent difference ``a_B − a_A`` (separate exponents), M's change across
    the measured range (``trend``) and the verdict, the sides' fits, curves for a figure (``grid``), provenance."""

    by: str
    exponents: str
    level: float
    seed: int
    hold: float | None
    n_bootstrap: int
    n_pairs: int
    n_degenerate: int
    sides: tuple[SideFit, ...]
    at: np.ndarray
    multiplier: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    unreachable: np.ndarray
    at_reasons: tuple[str, ...]
    exponent_difference: float | None
    exponent_interval: tuple[float, float] | None
    trend_range: tuple[float, float]
    trend: float
    trend_interval: tuple[float, float] | None
    verdict: str
    verdict_reason: str
    status: str
    reasons: tuple[str, ...]
    grid: dict[str, list[float]] = field(repr=False)
    provenance: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def identified(self) -> bool:
        return self.status == "identified"

    @property
    def labels(self) -> tuple[str, str]:
        return self.sides[0].label, self.sides[1].label

    @property
    def interval_label(self) -> str:
        return f"{level_label(self.level)} interval over {self.n_pairs} paired bootstrap replicates"

    def rows(self) -> list[dict[str, Any]]:
        """One row per x of ``at``: M, its interval, the unreachable share, and whether it is identified."""
        return [{"x": float(x), "multiplier": _inf(m), "interval": None if np.isnan(lo) else [_inf(lo), _inf(hi)],
                 "unreachable_share": float(u), "identified": not why and self.identified,
                 "not_identified": why or None}
                for x, m, lo, hi, u, why in zip(self.at, self.multiplier, self.lower, self.upper, self.unreachable,
                                                self.at_reasons)]

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": "scalinglab.comparison", "format_version": 1,
            "by": self.by, "x": UNITS[self.by], "meaning": MEANING[self.by], "exponents": self.exponents,
            "level": self.level, "interval_label": self.interval_label, "seed": self.seed, "hold": self.hold,
            "n_bootstrap": self.n_bootstrap, "n_pairs": self.n_pairs, "n_degenerate": self.n_degenerate,
            "status": self.status, "reasons": list(self.reasons), "multipliers": self.rows(),
            "exponent_difference": self.exponent_difference,
            "exponent_interval": None if self.exponent_interval is None else list(self.exponent_interval),
            "trend": {"range": list(self.trend_range), "ratio": _inf(self.trend),
                      "interval": None if self.trend_interval is None else [_inf(v) for v in self.trend_interval]},
            "verdict": self.verdict, "verdict_reason": self.verdict_reason,
            "sides": [s.as_dict() for s in self.sides], "grid": self.grid, "provenance": self.provenance}


def _bands(values: np.ndarray, level: float) -> tuple[list[Any], list[Any]]:
    if len(values) < 2:
        return [None] * values.shape[-1], [None] * values.shape[-1]
    lo, hi = interval(values, level)
    return [_inf(v) for v in lo], [_inf(v) for v in hi]


def grid_bands(law_a: Any, law_b: Any, laws_a: list[Any], laws_b: list[Any], ranges: list[tuple[float, float]],
               at: np.ndarray, level: float, var: str) -> dict[str, list[Any]]:
    """Both curves and M across the runs' x and ``at``, each with its band over the replicates (for figures)."""
    lo = min([r[0] for r in ranges] + [float(at.min())])
    hi = max([r[1] for r in ranges] + [float(at.max())])
    if hi <= lo * 1.01:
        lo, hi = lo / 3.0, hi * 3.0
    x = np.geomspace(lo, hi, GRID_POINTS)
    out: dict[str, list[Any]] = {"x": x.tolist()}
    for key, law, laws in (("loss_a", law_a, laws_a), ("loss_b", law_b, laws_b)):
        out[key] = np.asarray(law.loss(x), dtype=float).tolist()
        out[f"{key}_lo"], out[f"{key}_hi"] = _bands(np.array([lw.loss(x) for lw in laws]).reshape(len(laws), x.size),
                                                    level)
    m = log_multiplier(law_a, law_b, x)
    out["m"] = [_inf(v) for v in np.exp(m)]
    lo_m, hi_m = _bands(np.array([log_multiplier(a, b, x) for a, b in zip(laws_a, laws_b)]).reshape(len(laws_a),
                                                                                                     x.size), level)
    out["m_lo"] = [v if not isinstance(v, float) else float(np.exp(v)) for v in lo_m]
    out["m_hi"] = [v if not isinstance(v, float) else float(np.exp(v)) for v in hi_m]
    return out
