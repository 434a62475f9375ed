"""Extrapolation audit: hold out the largest-compute runs, fit the rest, score the prediction.

Score: absolute relative error ``ARE = |L̂ − L| / L`` per held-out run (the metric of Choshen et al.
2024, who put the practical floor near 4%), and, with a bootstrap, the share of held-out losses inside
the predicted interval (coverage).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validate import check_choice
from ..errors import ConfigError, FitError
from ..laws.chinchilla import predict
from .bootstrap import bootstrap
from .data import Runs
from .parametric import fit_chinchilla
from .result import FitResult

__all__ = ["AuditResult", "audit"]


@dataclass(frozen=True, eq=False)
class AuditResult:
    """Held-out runs, their predictions and errors; ``lower``/``upper`` are set when bootstrapped."""

    fit: FitResult
    n_params: np.ndarray
    n_tokens: np.ndarray
    loss: np.ndarray
    predicted: np.ndarray
    are: np.ndarray
    flops_cut: float
    level: float | None = None
    lower: np.ndarray | None = None
    upper: np.ndarray | None = None

    @property
    def coverage(self) -> float | None:
        if self.lower is None or self.upper is None:
            return None
        return float(np.mean((self.loss >= self.lower) & (self.loss <= self.upper)))

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "n_holdout": int(self.loss.size), "n_fit": self.fit.n_runs, "flops_cut": self.flops_cut,
            "are_mean": float(self.are.mean()), "are_max": float(self.are.max()),
            "fit_params": self.fit.params.as_dict(),
            "runs": [{"n_params": float(n), "n_tokens": float(d), "loss": float(y), "predicted": float(p),
                      "are": float(e)}
                     for n, d, y, p, e in zip(self.n_params, self.n_tokens, self.loss, self.predicted, self.are)],
        }
        if self.lower is not None:
            out["level"] = self.level
            out["coverage"] = self.coverage
            for row, lo, hi in zip(out["runs"], self.lower, self.upper):
                row["interval"] = [float(lo), float(hi)]
        return out


def audit(
    runs: Runs,
    *,
    holdout: str = "largest-compute",
    fraction: float | None = 0.1,
    n_holdout: int | None = None,
    flops_cut: float | None = None,
    n_bootstrap: int = 0,
    level: float = 0.95,
    seed: int = 0,
    **fit_kw: Any,
) -> AuditResult:
    """Fit on the smaller-compute runs, predict the held-out largest-compute runs.

    The held-out set is the runs with ``6ND >= flops_cut`` if given, else the ``n_holdout`` largest, else
    the largest ``fraction`` (at least one). ``fit_kw`` go to :func:`~scalinglab.fit.fit_chinchilla`.
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
    fit = fit_chinchilla(train, seed=seed, **fit_kw)
    n, d, y = runs.n_params[test], runs.n_tokens[test], runs.loss[test]
    pred = predict(fit.params, n, d)
    lower = upper = None
    if n_bootstrap:
        boot = bootstrap(train, fit, n=n_bootstrap, seed=seed, levels=(level,))
        s = boot.samples
        draws = s[:, 0:1] + s[:, 1:2] * n[None, :] ** -s[:, 3:4] + s[:, 2:3] * d[None, :] ** -s[:, 4:5]
        q = 100.0 * (1.0 - level) / 2.0
        lower, upper = np.percentile(draws, [q, 100.0 - q], axis=0)
    return AuditResult(fit, n, d, y, pred, np.abs(pred - y) / y, float(c[test].min()),
                       level if n_bootstrap else None, lower, upper)
