"""From loss to a task score: the step-2 maps of the two published two-step downstream predictors.

A loss law (step 1) says what loss a model of N parameters trained on D tokens reaches; a *score map*
(step 2) turns that loss into what the model scores on a task. Two forms are published:

- ``"exponential"``, Gadre et al. (2024), Eq. 5, average top-1 **error** over a set of tasks::

      Err(L) = ε − k·exp(−γ·L)

  (their code, ``scaling/laws.py`` ``decay_ours(x, a, b, e) = e − a·exp(x)^(−b)``). ε is the error at
  infinite loss (chance level), ``ε − k`` the error at zero loss. The authors fit it by least squares
  (``scipy.optimize.curve_fit``) on six runs against the C4-eval loss of the over-training law.
- ``"sigmoid"``, Bhagia et al. (2024), step 2, task **accuracy** from task loss (bits per byte)::

      Acc(L) = a / (1 + exp(−k·(L − L0))) + b,   a ∈ [−1, 0], b ∈ [0, 1], k, L0 ≥ 0

  (their code, ``src/scaling/fitting_functions.py`` ``sigmoid(x, a, x0, k, b)``): ``b`` is the accuracy at
  zero loss, ``a + b`` at infinite loss (chance), ``L0`` the loss halfway between. They fit it by least
  squares on every ladder checkpoint past the first 10%, 5-point moving averages, with the point
  ``(L = 0, Acc = 1)`` added.

Each formula is written once, here (:func:`exponential_error`, :func:`sigmoid_accuracy`), with its Jacobian;
:class:`ScoreMap` evaluates it and :mod:`scalinglab.fit.downstream` fits it. The chain of the two steps
with its bands is :class:`scalinglab.laws.downstream_chain.TaskChain`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import expit

from ..errors import ConfigError
from .base import Citation, as_float_or_array
from .family import FIT_CITATION

__all__ = ["ScoreForm", "ScoreMap", "SCORE_FORMS", "get_score_form", "exponential_error", "sigmoid_accuracy",
           "to_metric", "GADRE_2024_ERROR", "BHAGIA_2024", "GADRE_RPJ_C4_ERR17", "GADRE_2024_ERR17", "METRICS"]

GADRE_2024_ERROR = Citation(
    "Gadre et al.", 2024, "Language models scale reliably with over-training and on downstream tasks",
    "2403.08540", "Eq. 5, Err(L) = epsilon - k exp(-gamma L); scaling/laws.py decay_ours",
)
BHAGIA_2024 = Citation(
    "Bhagia et al.", 2024, "Establishing Task Scaling Laws via Compute-Efficient Model Ladders", "2412.04403",
    "step 2, Acc(L) = a/(1 + exp(-k(L - L0))) + b; src/scaling/fitting_functions.py sigmoid",
)

#: what a map's score is: an error (lower is better) or an accuracy; both are fractions in [0, 1]
METRICS = ("error", "accuracy")

#: (k, gamma, epsilon) of Gadre et al.'s 17-task average top-1 error against C4-eval loss, RedPajama, the
#: paper's six runs (the loss law's five plus the 1.4B M=20 run), recomputed by us with the authors' curve_fit
#: (scaling/shared.py fit_ds): chained with the over-training law ``gadre2024`` it misses the held-out 1.4B
#: M=640 and 6.9B M=20 runs by 3.6365% and 0.0464%, the notebook's printed errors.
GADRE_RPJ_C4_ERR17 = (2.2064900894, 0.7145905531, 0.8569919302)


def _loss_array(loss: Any) -> np.ndarray:
    """``loss`` as a float array of finite numbers >= 0; one ConfigError naming it otherwise."""
    try:
        arr = np.asarray(loss, dtype=float)
    except (TypeError, ValueError):
        raise ConfigError(f"The 'loss' parameter must be a number >= 0 or an array of them. Got {loss!r}.") \
            from None
    bad = ~np.isfinite(arr) | (arr < 0)
    if bad.any():
        raise ConfigError(f"The 'loss' parameter must be finite and >= 0. Got {float(arr[bad].flat[0]):g}.")
    return arr


def exponential_error(theta: Any, loss: Any, jac: bool = False) -> Any:
    """Gadre et al.'s ``Err(L) = ε − k·exp(−γ·L)`` for ``θ = (k, γ, ε)`` (the order of their ``popt``);
    with ``jac`` also ``∂Err/∂θ`` (shape ``loss.shape + (3,)``)."""
    k, gamma, eps = (float(v) for v in theta)
    x = np.asarray(loss, dtype=float)
    with np.errstate(over="ignore"):
        e = np.exp(-gamma * x)
    err = eps - k * e
    if not jac:
        return err
    return err, np.stack([-e, k * x * e, np.ones_like(x)], axis=-1)


def sigmoid_accuracy(theta: Any, loss: Any, jac: bool = False) -> Any:
    """Bhagia et al.'s ``Acc(L) = a/(1 + exp(−k(L − L0))) + b`` for ``θ = (a, L0, k, b)`` (the order of their
    ``sigmoid(x, a, x0, k, b)``); with ``jac`` also ``∂Acc/∂θ`` (shape ``loss.shape + (4,)``)."""
    a, x0, k, b = (float(v) for v in theta)
    x = np.asarray(loss, dtype=float)
    s = expit(k * (x - x0))  # 1/(1 + exp(−k(L − L0))) without overflow
    acc = a * s + b
    if not jac:
        return acc
    ds = s * (1.0 - s)
    return acc, np.stack([s, -a * k * ds, a * (x - x0) * ds, np.ones_like(x)], axis=-1)


@dataclass(frozen=True)
class ScoreForm:
    """One step-2 form as a fitter sees it: θ's names, the pure prediction, the search box and start grid."""

    name: str
    metric: str
    theta_names: tuple[str, ...]
    predict: Callable[..., Any]
    formula: str
    citation: Citation
    bounds: tuple[tuple[float, float], ...]
    start_axes: tuple[tuple[float, ...], ...]

    @property
    def k(self) -> int:
        return len(self.theta_names)

    def at_bound(self, theta: Any) -> np.ndarray:
        """Mask over θ: a coordinate within 1e-6 (relative to the box's width, or absolute) of a finite bound."""
        th = np.asarray(theta, dtype=float)
        lo, hi = np.array(self.bounds, dtype=float).T
        with np.errstate(invalid="ignore"):
            width = hi - lo
            tol = np.where(np.isfinite(width), 1e-6 * width, 1e-6)
            return (np.isfinite(lo) & (th <= lo + tol)) | (np.isfinite(hi) & (th >= hi - tol)) | ~np.isfinite(th)


#: the step-2 forms by name. Boxes: Bhagia et al.'s own bounds for the sigmoid; for the exponential (fitted
#: unbounded by its authors) an error at infinite loss ε in [0, 2] and k, γ > 0, wide enough to leave their
#: published fits inside.
SCORE_FORMS: dict[str, ScoreForm] = {f.name: f for f in (
    ScoreForm("exponential", "error", ("k", "gamma", "epsilon"), exponential_error,
              "Err(L) = epsilon - k * exp(-gamma * L)", GADRE_2024_ERROR,
              bounds=((0.0, 1e6), (0.0, 50.0), (0.0, 2.0)),
              start_axes=((0.5, 2.0, 10.0, 100.0), (0.1, 0.5, 1.0, 2.0), (0.7, 0.9, 1.0))),
    ScoreForm("sigmoid", "accuracy", ("a", "L0", "k", "b"), sigmoid_accuracy,
              "Acc(L) = a / (1 + exp(-k * (L - L0))) + b", BHAGIA_2024,
              bounds=((-1.0, 0.0), (0.0, np.inf), (0.0, np.inf), (0.0, 1.0)),
              start_axes=((-0.75, -0.5, -0.25), (0.3, 0.9, 2.0), (1.0, 3.0, 10.0), (0.9, 1.0))),
)}


def get_score_form(name: str) -> ScoreForm:
    """The step-2 form called ``name``; one clear line otherwise."""
    if name not in SCORE_FORMS:
        raise ConfigError(f"The 'form' parameter must be one of {', '.join(SCORE_FORMS)}. Got {name!r}.")
    return SCORE_FORMS[name]


@dataclass(frozen=True)
class ScoreMap:
    """A fitted or published map from loss to a task score: ``form`` (a key of :data:`SCORE_FORMS`), its θ,
    what the score is (``metric``: ``"error"`` or ``"accuracy"``), a name and a citation."""

    form: str
    theta: tuple[float, ...]
    name: str = "fitted-score-map"
    citation: Citation = FIT_CITATION
    notes: str = ""

    def __post_init__(self) -> None:
        spec = get_score_form(self.form)
        theta = tuple(float(v) for v in self.theta)
        if len(theta) != spec.k or not all(np.isfinite(theta)):
            raise ConfigError(f"The 'theta' parameter of a {self.form} map must be {spec.k} finite numbers "
                              f"({', '.join(spec.theta_names)}). Got {self.theta!r}.")
        object.__setattr__(self, "theta", theta)

    @classmethod
    def exponential(cls, k: float, gamma: float, epsilon: float, **kw: Any) -> ScoreMap:
        """Gadre et al.'s ``Err(L) = ε − k·exp(−γL)``."""
        return cls("exponential", (k, gamma, epsilon), **kw)

    @classmethod
    def sigmoid(cls, a: float, L0: float, k: float, b: float, **kw: Any) -> ScoreMap:
        """Bhagia et al.'s ``Acc(L) = a/(1 + exp(−k(L − L0))) + b``."""
        return cls("sigmoid", (a, L0, k, b), **kw)

    @property
    def spec(self) -> ScoreForm:
        return SCORE_FORMS[self.form]

    @property
    def metric(self) -> str:
        return self.spec.metric

    @property
    def formula(self) -> str:
        return self.spec.formula

    def coefficients(self) -> dict[str, float]:
        return dict(zip(self.spec.theta_names, self.theta))

    def score(self, loss: Any) -> Any:
        """The score (the map's ``metric``) at ``loss`` (vectorised; scalars in, float out)."""
        return as_float_or_array(self.spec.predict(self.theta, _loss_array(loss)))

    def accuracy(self, loss: Any) -> Any:
        """Accuracy at ``loss``: the score, or ``1 − error`` for an error map."""
        s = np.asarray(self.score(loss), dtype=float)
        return as_float_or_array(s if self.metric == "accuracy" else 1.0 - s)

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "form": self.form, "metric": self.metric, "formula": self.formula,
                "coefficients": self.coefficients(), "citation": str(self.citation), "notes": self.notes}


def to_metric(accuracy: Any, metric: str) -> np.ndarray:
    """An accuracy as the score ``metric`` names: itself, or ``1 − accuracy`` for an error."""
    acc = np.asarray(accuracy, dtype=float)
    return acc if metric == "accuracy" else 1.0 - acc


#: Gadre et al.'s 17-task error map (RedPajama, C4 eval loss), recomputed as :data:`GADRE_RPJ_C4_ERR17` says
GADRE_2024_ERR17 = ScoreMap("exponential", GADRE_RPJ_C4_ERR17, "gadre2024-err17", GADRE_2024_ERROR,
                            "17-task average top-1 error from C4-eval loss (nats/token), RedPajama; chain it with "
                            "the over-training law gadre2024")
