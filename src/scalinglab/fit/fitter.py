"""A scikit-learn-style fitter over :func:`~scalinglab.fit.families.fit_family`."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validate import check_choice
from ..errors import FitError
from .data import Runs
from .families import FAMILIES, fit_family
from .parametric import fit_chinchilla

__all__ = ["ParametricFitter"]


class ParametricFitter:
    """Fit a joint law ``L(N, D)`` to runs (scikit-learn contract: ``fit`` returns ``self``).

    Parameters
    ----------
    family : "chinchilla" (batched analytic path), or "kaplan", "over-training", "data-constrained",
        "power-law-n", "power-law-d", "power-law-c" (numeric-gradient path, see :mod:`scalinglab.fit.families`).
    loss : "huber" (default), "mse" or "asymmetric" — see :mod:`scalinglab.fit.objectives`.
    delta : Huber threshold on log-loss residuals (1e-3, Hoffmann et al.).
    asymmetry : τ of the asymmetric loss (weight on over-predictions).
    starts : "hoffmann" (4,500), "coarse" (243), an int (random subset of Hoffmann's grid) or (S, 5) rows.
    seed : used when ``starts`` is an int.
    max_iter : iteration cap of the batched optimiser per start.
    method : "varpro" (search α, β; solve A, B, E) or "joint" (all five from every grid point); see
        :func:`fit_chinchilla`.
    residuals : "log" (default) or "loss" (least squares on the loss itself, as Gadre et al. fit); other
        families only, see :func:`~scalinglab.fit.fit_family`.

    Attributes
    ----------
    result_ : FitResult
    """

    def __init__(self, family: str = "chinchilla", *, loss: str = "huber", delta: float = 1e-3,
                 asymmetry: float = 0.75, starts: Any = "hoffmann", seed: int = 0, max_iter: int = 100,
                 method: str = "varpro", residuals: str = "log") -> None:
        self.family = family
        self.loss = loss
        self.delta = delta
        self.asymmetry = asymmetry
        self.starts = starts
        self.seed = seed
        self.max_iter = max_iter
        self.method = method
        self.residuals = residuals

    def fit(self, runs: Runs) -> ParametricFitter:
        check_choice("family", self.family, tuple(FAMILIES))
        if self.family == "chinchilla" and self.residuals == "log":
            self.result_ = fit_chinchilla(runs, loss=self.loss, delta=self.delta, asymmetry=self.asymmetry,
                                          starts=self.starts, seed=self.seed, max_iter=self.max_iter,
                                          method=self.method)
        else:
            self.result_ = fit_family(self.family, runs, loss=self.loss, delta=self.delta,
                                      asymmetry=self.asymmetry, seed=self.seed, residuals=self.residuals)
        return self

    def predict(self, n_params: Any, n_tokens: Any) -> np.ndarray:
        if not hasattr(self, "result_"):
            raise FitError("The fitter must be fitted before predict(); call fit(runs) first. Got no result_.")
        return self.result_.predict(n_params, n_tokens)
