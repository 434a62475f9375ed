"""The verdict on IsoFLOP profiles (Approach 2): whether the budgets identify the compute-optimal exponent,
why not, and what data would fix it. Limits are documented in docs/approaches.md."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._intervals import DEFAULT_LEVEL, central_interval, level_label
from ..laws.fitted import LIMITS as LAW_LIMITS
from ..laws.fitted import Identification

__all__ = ["LIMITS"]

#: documented limits past which Approach 2 is *not identified* (docs/approaches.md)
LIMITS = {
    # budgets whose profile has an interior minimum (opens upward, minimum inside the sampled sizes)
    "min_budgets": 3,
    # width of the central 90% (DEFAULT_LEVEL) bootstrap interval of the exponent a (the same as b's: b = 1 − a)
    "exponent_interval_width": 0.25,
    # share of bootstrap resamples without an exponent (fewer than 2 budgets with an interior minimum)
    "unusable_share": LAW_LIMITS["degenerate_share"],
    # a budget formed by budgets=w (CLI --budget-width) whose FLOPs span more than this (decades) is a group
    "budget_span_decades": 1e-3,
}


_FIX_BUDGETS = ("Train at least 3 compute budgets, each with at least 3 distinct model sizes on both sides of its "
                "loss minimum, so that every profile has its minimum inside the sampled sizes.")
_FIX_DOWNWARD = ("A profile that opens downward has sizes that do not straddle its minimum, or losses dominated by "
                 "noise: widen the span of sizes around the lowest loss, or add sizes there.")
_FIX_WIDE = ("More sizes per budget near each minimum, repeated seeds, or budgets spanning more decades of compute "
             "narrow the interval.")


def _named(profiles: list[Any], limit: int = 6) -> str:
    cs = [f"{p.flops:.3g}" for p in profiles]
    return "C = " + ", ".join(cs[:limit]) + (f", … ({len(cs) - limit} more)" if len(cs) > limit else "")


def _excluded(profiles: list[Any], method: str, min_points: int) -> list[str]:
    """One phrase per way budgets failed, with their count and budgets: '2 parabolas open downward (C = …)'."""
    out = []
    for status, one, many in (
            ("no_minimum", *(("parabola opens downward", "parabolas open downward") if method == "parabola" else
                             ("profile is monotone in N", "profiles are monotone in N"))),
            ("extrapolated", "minimum lies outside the sampled sizes", "minima lie outside the sampled sizes"),
            ("too_few_points", f"budget has fewer than {min_points} distinct sizes",
             f"budgets have fewer than {min_points} distinct sizes")):
        hit = [p for p in profiles if p.status == status]
        if hit:
            out.append(f"{len(hit)} {one if len(hit) == 1 else many} ({_named(hit)})")
    return out


def _identify(profiles: list[Any], method: str, min_points: int, samples: np.ndarray, reps: int,
              width: float | None) -> tuple[Identification, tuple[str, ...]]:
    """The verdict (rules in the module docstring and docs/approaches.md) and the notes that go with it."""
    k, total = sum(p.used for p in profiles), len(profiles)
    excluded = _excluded(profiles, method, min_points)
    reasons, fixes, notes = [], [], []
    if k < LIMITS["min_budgets"]:
        if k == 2:
            reasons.append(f"only 2 {'' if total == 2 else f'of {total} '}budgets have an interior minimum: the "
                           "exponent is exactly determined by two points and has no error estimate")
        else:
            which = {(0, 1): "the one budget has no interior minimum", (1, 1): "there is one budget"}.get(
                (k, total), f"{'none' if k == 0 else 'only 1'} of the {total} budgets has an interior minimum")
            reasons.append(f"{which}: no exponent can be fitted (a power law needs 2 budgets with an interior "
                           f"minimum, and {LIMITS['min_budgets']} to have an error estimate)")
        reasons += excluded
        fixes.append(_FIX_BUDGETS)
        if any(p.status == "no_minimum" for p in profiles):
            fixes.append(_FIX_DOWNWARD)
    else:
        notes += [f"left out of the power law: {e}" for e in excluded]
    if reps and k >= 2:  # without a point estimate the resamples add nothing to the reasons above
        bad = reps - len(samples)
        if bad / reps > LIMITS["unusable_share"]:
            reasons.append(f"{bad} of {reps} bootstrap resamples ({bad / reps:.0%}) gave no exponent (fewer than 2 "
                           f"budgets with an interior minimum; limit {LIMITS['unusable_share']:.0%})")
            fixes += [] if _FIX_BUDGETS in fixes else [_FIX_BUDGETS]
        if len(samples) >= 2:
            lo, hi = central_interval(samples[:, 0], DEFAULT_LEVEL)
            if hi - lo > LIMITS["exponent_interval_width"]:
                reasons.append(f"the {level_label(DEFAULT_LEVEL)} interval of a is ({lo:.3g}, {hi:.3g}), "
                               f"{hi - lo:.2f} wide (limit {LIMITS['exponent_interval_width']:g})")
                fixes.append(_FIX_WIDE)
    if width is not None:
        spans = np.array([p.flops_span for p in profiles])
        if spans.max(initial=0.0) > LIMITS["budget_span_decades"]:
            notes.append(f"not an IsoFLOP design: budgets are runs grouped by FLOPs (chained at gaps < {width:g} "
                         f"decades; the widest spans {spans.max():.2g} decades), so the exponent depends on the "
                         "grouping")
    status = "not identified" if reasons else ("identified" if reps else "unchecked")
    return Identification(status, tuple(reasons), " ".join(fixes), reps, reps - len(samples)), tuple(notes)
