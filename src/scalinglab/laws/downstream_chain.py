"""Two-step downstream predictions with their bands: :class:`TaskChain` and :class:`DownstreamFit`.

A chain predicts a task score of a model of N parameters trained on D tokens in two steps::

    L̂ = loss law(N, D)            step 1: a FittedLaw (over-training law, Chinchilla form on task loss, ...)
    Ŝ = score map(L̂)             step 2: a ScoreMap (Gadre's exponential error, Bhagia's sigmoid accuracy)

Both steps are refitted on the same bootstrap resamples of the runs (refit ``s`` of step 1 goes with refit
``s`` of step 2), so the bands carry both steps' parameter uncertainty and its correlation:

- **mean band**: where the *mean score curve* lies at (N, D): ``map_s(law_s(N, D))`` over the refits;
- **prediction band**: where *one new model's* score lies: each refit's loss moved by the run scatter of task
  loss about step 1 (Student t, widening per decade of compute beyond the fitted runs, as a FittedLaw's
  prediction band does), mapped by that refit's step 2, plus the scatter of scores about step 2 (Student t
  with ``runs − parameters`` degrees of freedom; scores clipped to [0, 1]).

The 64 quantiles of each scatter are paired by a fixed rotation of a fixed permutation, so a band costs
``64 × refits`` evaluations, not ``64² ×`` (see docs/downstream.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._intervals import DEFAULT_LEVEL, central_interval, check_level, level_label
from ..flops import training_flops
from .downstream import ScoreMap
from .fitted import MAX_INTERVAL_REFITS, FittedLaw, RunScatter, evenly_spaced, law_loss

__all__ = ["TaskChain", "DownstreamFit", "ChainPrediction", "CHAIN_BANDS", "chain_band_label"]

#: what each band of a chain covers
CHAIN_BANDS = {
    "mean": "the mean score curve: bootstrap refits of both steps",
    "prediction": "one new model's score: both steps' refits + its task loss's scatter about step 1 + its "
                  "score's scatter about step 2",
}
#: a fixed pairing of the two scatters' quantiles (rotated by refit)
_PAIRING = np.random.default_rng(20240314).permutation(64)


def chain_band_label(kind: str, level: float) -> str:
    return f"{level_label(level)} {kind} band ({CHAIN_BANDS[kind]})"


@dataclass(frozen=True)
class ChainPrediction:
    """One chain's prediction at one (N, D): loss and score with their bands (``None`` where unknown)."""

    target: str
    metric: str
    n_params: float
    n_tokens: float
    loss: float
    loss_mean_band: tuple[float, float] | None
    loss_prediction_band: tuple[float, float] | None
    score: float
    mean_band: tuple[float, float] | None
    prediction_band: tuple[float, float] | None
    level: float
    identification: str
    loss_extrapolated: bool

    @property
    def accuracy(self) -> float:
        return self.score if self.metric == "accuracy" else 1.0 - self.score

    def as_dict(self) -> dict[str, Any]:
        def pair(b: tuple[float, float] | None) -> list[float] | None:
            return None if b is None else [float(b[0]), float(b[1])]

        return {"target": self.target, "metric": self.metric, "n_params": self.n_params, "n_tokens": self.n_tokens,
                "loss": self.loss, "loss_mean_band": pair(self.loss_mean_band),
                "loss_prediction_band": pair(self.loss_prediction_band), self.metric: self.score,
                "accuracy": self.accuracy, "mean_band": pair(self.mean_band),
                "prediction_band": pair(self.prediction_band), "level": self.level,
                "bands": {k: chain_band_label(k, self.level) for k in CHAIN_BANDS},
                "identification": self.identification, "loss_extrapolated": self.loss_extrapolated}


@dataclass(frozen=True, eq=False)
class TaskChain:
    """The two-step predictor of one target (a task, or the average over ``tasks``).

    ``loss_fit`` is step 1; its ``samples`` are paired one to one with ``score_samples``, the refits of step 2
    ``score_map``. ``score_scatter`` is the scatter of scores about step 2 (in score units; ``kappa`` unused).
    ``loss_range`` is the range of losses step 2 was fitted on.
    """

    target: str
    tasks: tuple[str, ...]
    loss_fit: FittedLaw
    score_map: ScoreMap
    score_samples: tuple[ScoreMap, ...] = ()
    score_scatter: RunScatter | None = None
    loss_range: tuple[float, float] = (float("nan"), float("nan"))
    level: float = DEFAULT_LEVEL
    summary: dict[str, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        check_level(self.level)
        if len(self.score_samples) != len(self.loss_fit.samples):
            raise ValueError(f"A chain's step-2 refits must pair with its step-1 refits. Got "
                             f"{len(self.score_samples)} and {len(self.loss_fit.samples)}.")

    @property
    def metric(self) -> str:
        return self.score_map.metric

    def loss(self, n_params: Any, n_tokens: Any) -> np.ndarray:
        """Step 1's point prediction of the loss at (N, D)."""
        return law_loss(self.loss_fit.law, n_params, n_tokens)

    def score(self, n_params: Any, n_tokens: Any) -> np.ndarray:
        """The point prediction: step 2's point map at step 1's point loss."""
        return np.asarray(self.score_map.score(self.loss(n_params, n_tokens)), dtype=float)

    def _pairs(self) -> list[tuple[Any, ScoreMap]]:
        pairs = list(zip(self.loss_fit.samples, self.score_samples)) or [(self.loss_fit.law, self.score_map)]
        return evenly_spaced(pairs, MAX_INTERVAL_REFITS)

    def score_draws(self, n_params: Any, n_tokens: Any) -> np.ndarray:
        """``(S, …)`` mean scores of the paired refits (the point chain alone without refits)."""
        with np.errstate(all="ignore"):
            return np.stack([m.spec.predict(m.theta, law_loss(lw, n_params, n_tokens)) for lw, m in self._pairs()])

    def mean_band(self, n_params: Any, n_tokens: Any, level: float | None = None) -> tuple[Any, Any] | None:
        """Central interval of the mean score at (N, D) over the refits; ``None`` with fewer than 2."""
        if len(self.score_samples) < 2:
            return None
        return central_interval(np.clip(self.score_draws(n_params, n_tokens), 0.0, 1.0), self._level(level))

    def prediction_band(self, n_params: Any, n_tokens: Any, level: float | None = None) -> tuple[Any, Any] | None:
        """Central interval of one new model's score at (N, D); ``None`` when either scatter is unknown."""
        s1, s2 = self.loss_fit.scatter, self.score_scatter
        if s1 is None or s2 is None:
            return None
        n, d = np.broadcast_arrays(np.asarray(n_params, dtype=float), np.asarray(n_tokens, dtype=float))
        scale = s1.scale(training_flops(n, d))
        e1 = s1.noise().reshape((-1,) + (1,) * n.ndim) * scale
        e2 = (s2.noise() * s2.sigma)[_PAIRING]
        draws = []
        with np.errstate(all="ignore"):
            for i, (lw, m) in enumerate(self._pairs()):
                loss_new = law_loss(lw, n, d) * np.exp(e1)
                shift = np.roll(e2, i).reshape((-1,) + (1,) * n.ndim)
                draws.append(m.spec.predict(m.theta, loss_new) + shift)
        total = np.clip(np.concatenate(draws), 0.0, 1.0)
        return central_interval(total, self._level(level))

    def _level(self, level: float | None) -> float:
        return self.level if level is None else check_level(level)

    def predict(self, n_params: float, n_tokens: float, level: float | None = None) -> ChainPrediction:
        """Everything about the prediction at one (N, D): see :class:`ChainPrediction`."""
        lv = self._level(level)
        loss = float(self.loss(n_params, n_tokens))

        def pair(b: Any) -> tuple[float, float] | None:
            return None if b is None else (float(b[0]), float(b[1]))

        lo, hi = self.loss_range
        return ChainPrediction(
            self.target, self.metric, float(n_params), float(n_tokens), loss,
            pair(self.loss_fit.mean_band(n_params, n_tokens, lv)),
            pair(self.loss_fit.prediction_band(n_params, n_tokens, lv)), float(self.score(n_params, n_tokens)),
            pair(self.mean_band(n_params, n_tokens, lv)), pair(self.prediction_band(n_params, n_tokens, lv)), lv,
            self.loss_fit.identification.summary(), bool(np.isfinite(lo) and not lo <= loss <= hi))


@dataclass(frozen=True, eq=False)
class DownstreamFit:
    """A fitted two-step method: one :class:`TaskChain` per target, the method's name and provenance."""

    method: str
    chains: dict[str, TaskChain]
    level: float = DEFAULT_LEVEL
    provenance: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def targets(self) -> tuple[str, ...]:
        return tuple(self.chains)

    def chain(self, target: str) -> TaskChain:
        if target not in self.chains:
            from ..errors import ConfigError

            raise ConfigError(f"The 'target' parameter must be one of {', '.join(self.chains)}. Got {target!r}.")
        return self.chains[target]

    def predict(self, n_params: float, n_tokens: float, level: float | None = None) -> list[ChainPrediction]:
        """Every target's prediction at (N, D)."""
        return [c.predict(n_params, n_tokens, level) for c in self.chains.values()]
