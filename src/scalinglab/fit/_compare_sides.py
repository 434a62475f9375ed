"""One side of a comparison as curve points: the loss at a few values of x (compute, tokens or parameters) for
the point estimate and for each bootstrap replicate. :mod:`scalinglab.fit.compare` fits ``E + A·x^(−a)``
through them.

Three ways a side gives its points:

- ``isoflop``: runs laid out on IsoFLOP budgets; each budget's profile minimum (Approach 2, the parabola in
  ln N of :mod:`scalinglab.fit.profiles`) is a point of the compute frontier L*(C). Replicates resample runs
  within each budget, as Approach 2's bootstrap does; a budget without an interior minimum in a replicate is a
  missing point of that replicate.
- ``law``: runs fitted with a joint law (:func:`~scalinglab.fit.fit_law`, with its bootstrap refits); the
  curve is the law's compute-optimal loss L(N*(C), D*(C)), or L(N, D) at a held N (by tokens) or D (by
  parameters), read at :data:`CURVE_POINTS` values of x across the data.
- ``saved``: a saved fitted law (its bootstrap refits are the replicates), read the same way; a one-variable
  law in the comparison's variable is its own curve.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import ConfigError, FitError
from ..laws.base import JointLaw, Law
from ..laws.fitted import FittedLaw
from ..laws.powerlaw import PowerLaw
from .approach2 import isoflop_budgets, not_isoflop_design
from .data import Runs
from .profiles import ProfileWarning, group_budgets
from .profiles import _profiles  # the per-budget minima of one resample, as Approach 2's own bootstrap uses them

__all__ = ["SideCurve", "VARIABLE", "CURVE_POINTS", "JOINT_FAMILIES", "data_range", "isoflop_side", "law_side",
           "saved_side", "is_isoflop"]

#: the variable of x for each ``by``, as Runs and PowerLaw name it
VARIABLE = {"compute": "flops", "tokens": "n_tokens", "params": "n_params"}
#: points at which a law's curve is read (log-spaced across the data)
CURVE_POINTS = 16
#: curve points a side needs for an estimate: E, A and the exponent (compare.LIMITS["min_points"])
MIN_POINTS = 3
#: joint-law families a side's runs may be fitted with (their loss needs only N and D)
JOINT_FAMILIES = ("chinchilla", "kaplan", "over-training")


@dataclass(frozen=True, eq=False)
class SideCurve:
    """A side's curve points ``x`` with the loss of the point estimate (``point``, NaN where missing) and of each
    replicate (``draws``, (R, K)); how they were made (``kind``, ``what``), the runs' range of x
    (``data_range``, None for a saved law), and the side's own reasons for being not identified."""

    label: str
    kind: str
    x: np.ndarray
    point: np.ndarray
    draws: np.ndarray
    what: str
    n_runs: int | None = None
    data_range: tuple[float, float] | None = None
    reasons: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    n_requested: int = 0
    n_failed: int = 0
    provenance: dict[str, Any] = field(default_factory=dict)


def data_range(runs: Runs, by: str) -> tuple[float, float]:
    """The smallest and largest x of the runs (x is C = 6ND, D or N)."""
    v = getattr(runs, VARIABLE[by])
    return float(np.min(v)), float(np.max(v))


def _budget_rows(runs: Runs, budgets: Any) -> tuple[np.ndarray, np.ndarray, Any]:
    """The runs' budget labels and centres (budgets from a store's labels, else FLOPs equal up to rounding)."""
    grouping = isoflop_budgets(budgets)
    labels, centre = group_budgets(runs.flops, grouping)
    return labels, centre, grouping


def is_isoflop(runs: Runs, budgets: Any = None) -> str | None:
    """``None`` when the runs are an IsoFLOP design, else the line that says why not."""
    if "n_params" not in runs.variables or "flops" not in runs.variables:
        return "IsoFLOP profiles need the parameters N and the compute C of each run"
    return not_isoflop_design(runs.flops, runs.n_params, isoflop_budgets(budgets))


def isoflop_side(label: str, runs: Runs, *, budgets: Any = None, n_bootstrap: int = 0, seed: int = 0,
                 progress: Callable[[], None] | None = None) -> SideCurve:
    """The compute frontier through each budget's profile minimum (module docstring)."""
    why = is_isoflop(runs, budgets)
    if why is not None:
        raise ConfigError(f"Side {label} cannot give an IsoFLOP frontier: {why} (use frontier='law' to read the "
                          "frontier of a joint law fitted to the runs).")
    labels, centre, grouping = _budget_rows(runs, budgets)
    n, c, y = runs.n_params, runs.flops, runs.loss

    def minima(idx: np.ndarray | slice) -> np.ndarray:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ProfileWarning)
            prof = _profiles(c[idx], n[idx], y[idx], labels[idx], centre, "parabola", 3)
        return np.array([p.loss_opt if p.used else np.nan for p in prof])

    point = minima(slice(None))
    if np.isfinite(point).sum() < MIN_POINTS:  # before the bootstrap: no replicate can mend it
        raise FitError(f"Side {label}'s frontier is not identified: {int(np.isfinite(point).sum())} of its "
                       f"{centre.size} budgets have an interior minimum, and a curve E + A·C^(-a) needs at least "
                       f"{MIN_POINTS}. Train more budgets, each with sizes on both sides of its loss minimum.")
    rng = np.random.default_rng(seed)
    groups = [np.flatnonzero(labels == k) for k in range(centre.size)]
    draws = np.empty((n_bootstrap, centre.size))
    for r in range(n_bootstrap):
        draws[r] = minima(np.concatenate([rng.choice(g, g.size) for g in groups]))
        if progress is not None:
            progress()
    left = int(np.isnan(point).sum())
    used = centre[np.isfinite(point)] if left < centre.size else centre  # the frontier spans the budgets with a minimum
    notes = (f"{left} of {centre.size} budgets have no interior minimum and are left out",) if left else ()
    return SideCurve(label, "isoflop", centre, point, draws,
                     "IsoFLOP profile minima (a parabola in ln N per budget; runs resampled within budgets)",
                     len(runs), (float(used.min()), float(used.max())), (), notes, n_bootstrap, 0,
                     {"budgets": [float(v) for v in centre],
                      "grouping": "nominal budgets" if np.ndim(grouping) else f"FLOPs equal within {grouping:g} dex",
                      "data": dict(runs.source)})


def curve(law: Law, by: str, x: np.ndarray, hold: float | None) -> np.ndarray:
    """The loss along x: a joint law's compute-optimal loss (by compute) or its loss at the held N (by tokens)
    or D (by parameters); a one-variable law in x its own loss."""
    if isinstance(law, PowerLaw):
        return np.asarray(law.loss(x), dtype=float)
    if not isinstance(law, JointLaw):
        raise ConfigError(f"A comparison needs a joint law of N and D or a one-variable law. Got {type(law).__name__}.")
    if by == "compute":
        n_opt, d_opt = law.compute_optimal(x)  # type: ignore[misc]
        return np.asarray(law.loss(n_opt, d_opt), dtype=float)
    if by == "tokens":
        return np.asarray(law.loss(hold, x), dtype=float)
    return np.asarray(law.loss(x, hold), dtype=float)


def _check_law(label: str, law: Law, by: str, hold: float | None) -> str | None:
    """Refuse a law that cannot give the curve; the note for a one-variable law (which ignores ``hold``)."""
    if isinstance(law, PowerLaw):
        if law.variable != VARIABLE[by]:
            raise ConfigError(f"Side {label}'s law is a one-variable law in {law.variable}, so it can be compared by "
                              f"{ {v: k for k, v in VARIABLE.items()}[law.variable]} only. Got by={by!r}.")
        return "a one-variable law in the comparison's variable: its own curve" + (
            " (the held value does not apply to it)" if hold is not None else "")
    if isinstance(law, JointLaw) and by == "compute" and law.compute_optimal(1e20) is None:
        raise ConfigError(f"Side {label}'s law {law.name!r} has no compute-optimal allocation to read a frontier "
                          "from. Got a law without compute_optimal.")
    if by != "compute" and hold is None:
        raise ConfigError(f"Comparing by {by} reads each law at a held {'N' if by == 'tokens' else 'D'}; the "
                          "'hold' parameter must give it. Got None.")
    return None


def _curves(laws: list[Law], by: str, x: np.ndarray, hold: float | None) -> np.ndarray:
    out = np.full((len(laws), x.size), np.nan)
    for i, law in enumerate(laws):
        with np.errstate(all="ignore"):
            out[i] = curve(law, by, x, hold)
    return out


def law_side(label: str, runs: Runs, *, by: str, x: np.ndarray, family: str, hold: float | None,
             n_bootstrap: int, seed: int, progress: Callable[[], None] | None = None) -> SideCurve:
    """A joint law fitted to the runs (:func:`~scalinglab.fit.fit_law`) and its bootstrap refits, read at x."""
    from .pipeline import fit_law

    if family not in JOINT_FAMILIES:
        raise ConfigError(f"The 'family' parameter must be one of {', '.join(JOINT_FAMILIES)} to read a side's curve "
                          f"from a joint law. Got {family!r}.")
    fitted = fit_law(runs, family, n_bootstrap=n_bootstrap, seed=seed,
                     progress=None if progress is None else (lambda done, total: progress()))
    side = saved_side(label, fitted, by=by, x=x, hold=hold)
    ident = fitted.identification
    reasons = tuple(f"its {family} fit is not identified: {r}" for r in ident.reasons) if \
        ident.status == "not identified" else ()
    hold_txt = "" if by == "compute" else f" at {'N' if by == 'tokens' else 'D'} = {hold:.3g}"
    what = (f"{family} law fitted to the runs ({'its compute-optimal loss' if by == 'compute' else 'its loss'}"
            f"{hold_txt}; {len(fitted.samples)} bootstrap refits)")
    return SideCurve(label, "law", x, side.point, side.draws, what, len(runs), data_range(runs, by), reasons,
                     side.notes, n_bootstrap, n_bootstrap - len(fitted.samples),
                     {"family": family, "coefficients": fitted.law.coefficients(), "data": dict(runs.source)})


def saved_side(label: str, fitted: FittedLaw, *, by: str, x: np.ndarray, hold: float | None) -> SideCurve:
    """A saved fitted law (point and refits) read at x."""
    note = _check_law(label, fitted.law, by, hold)
    point = _curves([fitted.law], by, x, hold)[0]
    draws = _curves(list(fitted.samples), by, x, hold)
    reasons = tuple(f"the saved law is not identified: {r}" for r in fitted.identification.reasons) if \
        fitted.identification.status == "not identified" else ()
    return SideCurve(label, "saved", x, point, draws, f"saved law {fitted.name!r} ({fitted.family}; "
                     f"{len(fitted.samples)} bootstrap refits)", None, None, reasons, (note,) if note else (),
                     len(fitted.samples), 0, {"law": fitted.name, "family": fitted.family,
                                              "fit": dict(fitted.provenance)})
