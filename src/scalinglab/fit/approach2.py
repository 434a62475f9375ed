"""Approach 2 as ``scalinglab fit --approach isoflop`` prints it and the HTML report shows it: one computation
for both.

- :func:`isoflop_budgets`: how rows are grouped into budgets (a width, the sweep's nominal budgets, or FLOPs
  equal up to rounding);
- :func:`not_isoflop_design`: the one line saying why runs are not an IsoFLOP design at all (fewer than 2
  budgets with enough model sizes), or ``None``;
- :func:`fit_approach2`: the profiles, exponents, intervals, R² and verdict of
  :func:`~scalinglab.fit.profiles.fit_isoflop_profiles`, and the held-out runs scored against the frontier
  L*(C) through the profile minima (:func:`score_frontier`), with the band they are scored against named, or
  the reason there is none.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._intervals import DEFAULT_LEVEL, central_interval, level_label
from .._validate import positive_array
from .profiles import LIMITS, IsoFlopProfileResult, ProfileWarning, fit_isoflop_profiles, group_budgets
from .data import Runs

__all__ = ["ROUNDING_WIDTH", "Approach2Result", "isoflop_budgets", "budget_labels", "describe_budgets", "not_isoflop_design",
           "fit_approach2", "score_frontier", "frontier_band", "NO_PREDICTION_BAND"]

#: budgets formed when there are no labels: runs whose FLOPs are equal up to rounding (decades)
ROUNDING_WIDTH = 1e-6

#: why held-out runs are scored against a mean band only
NO_PREDICTION_BAND = ("no prediction band: Approach 2 does not estimate the scatter of single runs about the "
                      "frontier, so a run's loss can fall outside the mean band by run-to-run noise alone")


def isoflop_budgets(labels: Any = None, width: float | None = None) -> Any:
    """The ``budgets`` argument of :func:`fit_isoflop_profiles`: ``width`` (decades) when given; else the
    nominal budget ``labels`` (a sweep's) when every row has a finite one; else :data:`ROUNDING_WIDTH`."""
    if width is not None:
        return float(width)
    if labels is None:
        return ROUNDING_WIDTH
    labels = np.asarray(labels, dtype=float)
    return labels if labels.size and np.isfinite(labels).all() else ROUNDING_WIDTH


def budget_labels(flops: Any, *, gap_dex: float = 0.04, max_span_dex: float = 0.15, min_points: int = 3,
                  min_share: float = 0.5) -> np.ndarray | None:
    """IsoFLOP budgets found in runs that carry no labels: per run its budget's FLOPs, NaN outside any budget;
    ``None`` when the runs were not laid out on budgets.

    :func:`group_budgets` chains the sorted FLOPs across gaps under ``gap_dex`` decades (digitised budgets carry
    ~10% noise in 6ND). A chain is a budget when it holds ``min_points`` runs within ``max_span_dex`` decades;
    budgets must hold ``min_share`` of all runs and be at least 2, else the compute does not repeat.
    """
    c = positive_array("flops", flops).ravel()
    if c.size < 2 * min_points:
        return None
    labels, centre = group_budgets(c, gap_dex)
    lo, hi = np.full(centre.size, np.inf), np.zeros(centre.size)
    np.minimum.at(lo, labels, c)
    np.maximum.at(hi, labels, c)
    ok = (np.bincount(labels, minlength=centre.size) >= min_points) & (np.log10(hi / lo) <= max_span_dex)
    kept = ok[labels]
    if ok.sum() < 2 or kept.sum() < min_share * c.size:
        return None
    return np.where(kept, centre[labels], np.nan)

def describe_budgets(budgets: Any) -> str:
    """How ``budgets`` (as :func:`isoflop_budgets` returns it) groups the rows, in words."""
    if np.ndim(budgets):
        return "runs grouped by their nominal budget"
    return f"runs grouped by FLOPs equal within {float(budgets):g} decades"


def not_isoflop_design(flops: Any, n_params: Any, budgets: Any, min_points: int = 3) -> str | None:
    """``None`` when the runs form an IsoFLOP design (at least 2 budgets with ``min_points`` distinct model
    sizes each, what a power law in C needs), else the one line that says why they do not."""
    labels, centre = group_budgets(flops, budgets)
    n = np.asarray(n_params, dtype=float).ravel()
    sizes = np.array([np.unique(n[labels == k]).size for k in range(centre.size)])
    full = int((sizes >= min_points).sum())
    if full >= 2:
        return None
    need = (f"a power law N*(C) needs at least 2 budgets with {min_points} or more distinct model sizes each "
            f"({LIMITS['min_budgets']} for an error estimate)")
    if centre.size == 1:
        return f"not an IsoFLOP design: the runs form one compute budget (C = {centre[0]:.3g}), and {need}."
    return (f"not an IsoFLOP design: of the {centre.size} compute budgets ({describe_budgets(budgets)}), {full} "
            f"{'has' if full == 1 else 'have'} {min_points} or more distinct model sizes (the most: "
            f"{int(sizes.max())}), and {need}.")


@dataclass(frozen=True, eq=False)
class Approach2Result:
    """Approach 2 on ``rows`` runs: the profiles' result, how budgets were formed, and the held-out runs scored
    against the frontier (``None`` without held-out runs)."""

    profiles: IsoFlopProfileResult
    rows: int
    budgets: str
    seed: int
    holdout: dict[str, Any] | None = None

    @property
    def verdict(self) -> str:
        """One phrase: ``identified``, ``exactly determined by 2 budgets, no error estimate``, ``not identified``
        or ``unchecked`` (no bootstrap)."""
        status = self.profiles.identification.status
        if status == "not identified" and self.profiles.n_used == 2:
            return "exactly determined by 2 budgets, no error estimate"
        return status

    def as_dict(self) -> dict[str, Any]:
        out = {"approach": "isoflop", "rows": self.rows, **self.profiles.as_dict(), "budgets": self.budgets,
               "seed": self.seed, "verdict": self.verdict}
        if self.holdout is not None:
            out["holdout"] = self.holdout
        return out


def fit_approach2(runs: Runs, *, budgets: Any = None, method: str = "parabola", n_bootstrap: int = 0, seed: int = 0,
                  level: float = DEFAULT_LEVEL, holdout: Any = None) -> Approach2Result:
    """:func:`fit_isoflop_profiles` on ``runs`` (``n_params``, ``flops``, ``loss``) grouped by ``budgets`` (see
    :func:`isoflop_budgets`; ``None`` means FLOPs equal up to rounding), and ``holdout`` runs scored against the
    frontier. A :class:`ProfileWarning` is not raised: every budget left out is named in the verdict or its notes
    and in the per-budget results."""
    budgets = isoflop_budgets() if budgets is None else budgets
    runs.require("n_params", "flops", what="Approach 2 (IsoFLOP profiles)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ProfileWarning)
        res = fit_isoflop_profiles(runs.n_params, runs.flops, runs.loss, budgets=budgets, method=method,
                                   n_bootstrap=n_bootstrap, seed=seed, level=level)
    scored = None if holdout is None else score_frontier(res, holdout.flops, holdout.n_params, holdout.n_tokens,
                                                         holdout.loss)
    return Approach2Result(res, len(runs.loss), describe_budgets(budgets), int(seed), scored)


def frontier_band(res: IsoFlopProfileResult, flops: Any) -> tuple[tuple[np.ndarray, np.ndarray] | None, str]:
    """The central ``res.level`` interval of the frontier L*(C) at ``flops`` over the bootstrap resamples (a mean
    band: parameter uncertainty only), with its label; or ``None`` with the reason there is none."""
    draws = res.bootstrap_frontier
    if draws is None:
        return None, "no band: no bootstrap resamples were drawn, so the frontier has no interval"
    draws = draws[np.isfinite(draws).all(axis=1)]
    if len(draws) < 2:
        return None, (f"no band: {len(draws)} of {res.n_requested} bootstrap resamples gave a frontier "
                      "(2 are needed)")
    c = np.asarray(flops, dtype=float).ravel()
    lo, hi = central_interval(draws[:, 1:2] * c[None, :] ** draws[:, 0:1], res.level)
    return (lo, hi), (f"{level_label(res.level)} mean band of the frontier L*(C) (parameter uncertainty: "
                      f"{len(draws)} bootstrap resamples of the profiles)")


def score_frontier(res: IsoFlopProfileResult, flops: Any, n_params: Any, n_tokens: Any, loss: Any
                   ) -> dict[str, Any]:
    """Held-out runs against the power law through the IsoFLOP minima, L*(C) = k·C^s: absolute relative error
    and the share inside the frontier's mean band (:func:`frontier_band`). A sweep places its held-out run
    near the predicted optimum, where its loss should be L*. Not scored with fewer than 2 budgets that have an
    interior minimum."""
    c, n, d, y = (np.asarray(a, dtype=float).ravel() for a in (flops, n_params, n_tokens, loss))
    if not np.isfinite(res.frontier.exponent):
        why = (f"the frontier needs 2 budgets with an interior minimum (got {res.n_used})" if res.n_used < 2
               else "a budget's minimum loss is not > 0, so no power law runs through the minima")
        return {"n": int(y.size), "frontier": None, "runs": [], "reason": why}
    pred = res.frontier.predict(c)
    are = np.abs(pred - y) / y
    band, label = frontier_band(res, c)
    out: dict[str, Any] = {
        "n": int(y.size), "are_mean": float(are.mean()), "are_max": float(are.max()),
        "frontier": res.frontier.as_dict(), "level": res.level, "band": None if band is None else "mean",
        "band_label": label if band is not None else None, "no_band": None if band is not None else label,
        "mean_coverage": None if band is None else float(np.mean((band[0] <= y) & (y <= band[1]))),
        "coverage": None, "no_prediction_band": NO_PREDICTION_BAND,
        "runs": [{"flops": float(ci), "n_params": float(ni), "n_tokens": float(di), "loss": float(yi),
                  "predicted": float(p), "are": float(e), "n_opt": float(res.n_opt_fit.predict(ci))}
                 for ci, ni, di, yi, p, e in zip(c, n, d, y, pred, are)]}
    if band is not None:
        for row, lo, hi in zip(out["runs"], *band):
            row["mean_interval"] = [float(lo), float(hi)]
    return out
