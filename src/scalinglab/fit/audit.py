"""Extrapolation audit: hold out the largest-compute runs, fit the rest, score the prediction.

Score: absolute relative error ``ARE = |L̂ − L| / L`` per held-out run (the metric of Choshen et al.
2024, who put the practical floor near 4%), and the share of held-out losses inside the **prediction band**
(a new run: refits plus run scatter) at the audit's level — the band that speaks of single runs. The share
inside the mean band (the law's mean curve alone) is reported beside it when a bootstrap was run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._intervals import DEFAULT_LEVEL, band_label
from .._validate import check_choice
from ..errors import ConfigError, FitError
from ..laws.fitted import FittedLaw
from .data import Runs
from .pipeline import fit_law

__all__ = ["AuditResult", "audit", "score_runs"]


def _inside(y: np.ndarray, band: tuple[np.ndarray, np.ndarray] | None) -> float | None:
    return None if band is None else float(np.mean((y >= band[0]) & (y <= band[1])))


@dataclass(frozen=True, eq=False)
class AuditResult:
    """Held-out runs, their predictions and errors; ``lower``/``upper`` are the prediction band at ``level``,
    ``mean_lower``/``mean_upper`` the mean band (set when bootstrapped)."""

    fit: FittedLaw
    n_params: np.ndarray
    n_tokens: np.ndarray
    loss: np.ndarray
    predicted: np.ndarray
    are: np.ndarray
    flops_cut: float
    level: float = DEFAULT_LEVEL
    lower: np.ndarray | None = None
    upper: np.ndarray | None = None
    mean_lower: np.ndarray | None = None
    mean_upper: np.ndarray | None = None

    @property
    def n_fit(self) -> int:
        return int(self.fit.summary.get("n_runs", 0))

    @property
    def coverage(self) -> float | None:
        """Share of held-out runs inside the prediction band."""
        return _inside(self.loss, None if self.lower is None else (self.lower, self.upper))

    @property
    def mean_coverage(self) -> float | None:
        """Share of held-out runs inside the mean band (it covers the mean curve, not runs: expect less)."""
        return _inside(self.loss, None if self.mean_lower is None else (self.mean_lower, self.mean_upper))

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "n_holdout": int(self.loss.size), "n_fit": self.n_fit, "flops_cut": self.flops_cut,
            "are_mean": float(self.are.mean()), "are_max": float(self.are.max()),
            "fit_params": self.fit.law.coefficients(), "family": self.fit.family,
            "identification": self.fit.identification.as_dict(),
            "level": self.level, "band": "prediction", "band_label": band_label("prediction", self.level),
            "coverage": self.coverage, "mean_coverage": self.mean_coverage,
            "runs": [{"n_params": float(n), "n_tokens": float(d), "loss": float(y), "predicted": float(p),
                      "are": float(e)}
                     for n, d, y, p, e in zip(self.n_params, self.n_tokens, self.loss, self.predicted, self.are)],
        }
        for i, row in enumerate(out["runs"]):
            if self.lower is not None:
                row["interval"] = [float(self.lower[i]), float(self.upper[i])]  # type: ignore[index]
            if self.mean_lower is not None:
                row["mean_interval"] = [float(self.mean_lower[i]), float(self.mean_upper[i])]  # type: ignore[index]
        return out


def score_runs(fitted: FittedLaw, n_params: Any, n_tokens: Any, loss: Any) -> dict[str, Any]:
    """Score runs the fit never saw (a sweep's held-out runs): absolute relative error, and the share inside
    the prediction band (a new run) and inside the mean band, at the law's level."""
    n, d, y = (np.asarray(a, dtype=float) for a in (n_params, n_tokens, loss))
    pred = fitted.predict(n, d)
    are = np.abs(pred - y) / y
    out: dict[str, Any] = {"n": int(y.size), "are_mean": float(are.mean()), "are_max": float(are.max()),
                           "level": fitted.level, "band": "prediction",
                           "band_label": band_label("prediction", fitted.level),
                           "runs": [{"n_params": float(a), "n_tokens": float(b), "loss": float(c), "predicted": float(p),
                                     "are": float(e)} for a, b, c, p, e in zip(n, d, y, pred, are)]}
    for key, band in (("coverage", fitted.prediction_band(n, d)), ("mean_coverage", fitted.mean_band(n, d))):
        out[key] = _inside(y, band)
        if band is not None:
            for row, lo, hi in zip(out["runs"], *band):
                row["interval" if key == "coverage" else "mean_interval"] = [float(lo), float(hi)]
    return out


def audit(
    runs: Runs,
    *,
    holdout: str = "largest-compute",
    fraction: float | None = 0.1,
    n_holdout: int | None = None,
    flops_cut: float | None = None,
    n_bootstrap: int = 0,
    level: float = DEFAULT_LEVEL,
    seed: int = 0,
    family: str = "chinchilla",
    **fit_kw: Any,
) -> AuditResult:
    """Fit on the smaller-compute runs, predict the held-out largest-compute runs.

    The held-out set is the runs with ``6ND >= flops_cut`` if given, else the ``n_holdout`` largest, else
    the largest ``fraction`` (at least one). ``fit_kw`` go to :func:`~scalinglab.fit.pipeline.fit_law`.
    """
    check_choice("holdout", holdout, ("largest-compute",))
    c = runs.flops
    if flops_cut is not None:
        test = c >= float(flops_cut)
    else:
        if n_holdout is None:
            if fraction is None or not 0 < fraction < 1:
                raise ConfigError(f"The 'fraction' parameter must be in (0, 1). Got {fraction!r}.")
            n_holdout = max(1, int(round(fraction * len(runs))))
        if not 1 <= n_holdout < len(runs):
            raise ConfigError(f"The 'n_holdout' parameter must be in [1, {len(runs) - 1}]. Got {n_holdout!r}.")
        test = np.zeros(len(runs), dtype=bool)
        test[np.argsort(c, kind="stable")[-n_holdout:]] = True
    if test.all() or not test.any():
        raise FitError(f"The hold-out split must leave runs on both sides. Got {int(test.sum())} of {len(runs)} "
                       f"held out.")
    train = runs.subset(np.flatnonzero(~test), note="audit: fit part")
    fitted = fit_law(train, family, n_bootstrap=n_bootstrap, seed=seed, level=level, **fit_kw)
    n, d, y = runs.n_params[test], runs.n_tokens[test], runs.loss[test]
    pred = fitted.predict(n, d)
    pb = fitted.prediction_band(n, d, level)
    mb = fitted.mean_band(n, d, level)
    return AuditResult(fitted, n, d, y, pred, np.abs(pred - y) / y, float(c[test].min()), level,
                       *(pb if pb is not None else (None, None)), *(mb if mb is not None else (None, None)))
