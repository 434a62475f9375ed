"""Training-curve laws: the loss at every step of a run from its learning-rate schedule.

A law in ``(N, D)`` predicts the *final* loss of a run whose schedule ended at ``D``. These two predict the
whole curve ``L(t)`` of one model size from the learning rates ``η_0 … η_t`` (:mod:`.schedules`):

- **Multi-power law** (Luo et al. 2025, arXiv:2503.12811)::

      L(t) = L0 + A·S1(t)^(−α) + B·Σ_{k=1..t} (η_k − η_{k−1})·G(η_k^(−γ)·S_k(t)),
      S1(t) = Σ_{τ=0..t} η_τ,   S_k(t) = Σ_{τ=k..t} η_τ,   G(x) = 1 − (1 + C·x)^(−β),

  exactly as the authors' ``src/evaluation.py`` computes it (S1 includes the warmup; the warmup's rising
  rates enter the sum with the sign of ``η_k − η_{k−1}``).
- **Annealing law** (Tissue et al. 2024, arXiv:2408.11029)::

      L(t) = L0 + A·S1(t)^(−α) − C·S2(t),   S2(t) = Σ_{i≤t} m_i,   m_i = λ·m_{i−1} + (η_{i−1} − η_i),

  with the annealing momentum ``m`` counted from the schedule's peak (the warmup's rising rates are not
  annealing) and ``λ = 0.999`` unless given (the paper's usual value; our reading of the paper).

The multi-power sum costs ``O(t)`` terms per predicted step. :class:`CurveGrid` reduces it, once per schedule
and independent of the parameters, to a quadrature over blocks of ``k``: exact for the last
``n_exact`` steps before ``t`` (where ``G`` changes fastest), then blocks growing geometrically with the
distance to ``t`` and split wherever ``log η`` moves by more than ``log_eta_step`` or ``η_k − η_{k−1}``
changes sign; each block is evaluated at its ``|Δη|``-weighted mean ``log η`` and ``S``. Against the exact
sum the error is below 1e-6 in loss on the authors' schedules (tests/laws/test_curves.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import ConfigError
from .base import Citation
from .schedules import check_lrs

__all__ = ["CurveGrid", "CurveLaw", "MULTI_POWER", "ANNEALING", "CURVE_LAWS", "get_curve_law",
           "PUBLISHED_MULTI_POWER", "CURVE_LAW_SCOPE"]

#: floor on η inside η^(−γ): a schedule that reaches exactly 0 gives G = 1 there instead of inf·0
_ETA_FLOOR = 1e-30


@dataclass(frozen=True)
class CurveGrid:
    """A schedule read at the steps where the loss is predicted: the parameter-free half of both laws."""

    steps: np.ndarray  # the predicted steps (indices into the schedule)
    s1: np.ndarray  # S1 at each predicted step
    row: np.ndarray  # for each quadrature block: which predicted step it belongs to
    weight: np.ndarray  # Σ (η_k − η_{k−1}) over the block
    log_eta: np.ndarray  # the block's |Δη|-weighted mean log η_k
    area: np.ndarray  # the block's |Δη|-weighted mean S_k(t)
    lrs: np.ndarray = field(repr=False)  # the whole schedule (the annealing law's S2 needs every step)
    _s2: dict[float, np.ndarray] = field(default_factory=dict, repr=False, compare=False)  # S2 by λ, made once

    @property
    def size(self) -> int:
        return len(self.steps)

    def annealing_area(self, lam: float) -> np.ndarray:
        """Tissue et al.'s ``S2`` at each predicted step, the momentum counted from the schedule's peak (computed
        once per λ: a fit evaluates the law hundreds of times on one grid)."""
        if lam not in self._s2:
            from scipy.signal import lfilter  # here, not at the top: scipy.signal takes ~0.5 s to import

            drops = np.zeros_like(self.lrs)
            drops[1:] = self.lrs[:-1] - self.lrs[1:]
            drops[:int(np.argmax(self.lrs)) + 1] = 0.0
            self._s2[lam] = np.cumsum(lfilter([1.0], [1.0, -lam], drops))[self.steps]
        return self._s2[lam]


def curve_grid(lrs: object, steps: object, *, n_exact: int = 64, growth: float = 0.05,
               log_eta_step: float = 0.05, exact: bool = False) -> CurveGrid:
    """The quadrature of the multi-power sum for schedule ``lrs`` at ``steps`` (see the module docstring).

    ``exact=True`` keeps every ``k`` as its own block (memory grows as steps × schedule length: tests only).
    """
    eta = check_lrs(lrs)
    t = np.asarray(steps)
    if t.ndim != 1 or t.size == 0 or not np.issubdtype(t.dtype, np.number):
        raise ConfigError(f"The steps must be a non-empty list of step numbers. Got shape {t.shape}.")
    if not np.all(t == np.round(t)) or t.min() < 1 or t.max() >= eta.size:
        bad = t[(t != np.round(t)) | (t < 1) | (t >= eta.size)][0]
        raise ConfigError(f"Each step must be a whole number in [1, {eta.size - 1}] (the schedule has {eta.size} "
                          f"steps, and step 0 has no learning rate summed yet). Got {bad!r}.")
    t = t.astype(np.int64)
    cum = np.cumsum(eta)
    delta = np.zeros_like(eta)
    delta[1:] = np.diff(eta)
    mag = np.abs(delta)
    log_eta = np.log(np.maximum(eta, _ETA_FLOOR))
    prev_cum = np.concatenate(([0.0], cum[:-1]))  # cum[k−1]
    # prefix sums over k (index 0 = nothing summed): Σ Δ, Σ|Δ|, Σ|Δ|·log η, Σ|Δ|·cum[k−1]
    pref = [np.concatenate(([0.0], np.cumsum(v))) for v in (delta, mag, mag * log_eta, mag * prev_cum)]
    nonzero = np.flatnonzero(mag > 0)
    sign_change = nonzero[1:][np.sign(delta[nonzero[1:]]) != np.sign(delta[nonzero[:-1]])]
    level = np.floor(log_eta / log_eta_step)
    level_change = np.flatnonzero(np.diff(level) != 0) + 1
    global_breaks = np.union1d(sign_change, level_change)
    dist = np.arange(n_exact + 1, dtype=np.int64)
    far, d = [], float(n_exact)
    while d < eta.size:
        d = max(d + 1, d * (1 + growth))
        far.append(int(d))
    dist = np.union1d(dist, np.asarray(far, dtype=np.int64))
    rows, lo_all, hi_all = [], [], []
    for i, s in enumerate(t):
        if exact:
            bounds = np.arange(1, s + 2)
        else:
            bounds = np.union1d(global_breaks[(global_breaks >= 1) & (global_breaks <= s)], s + 1 - dist[dist <= s])
            bounds = np.union1d(bounds, [1, s + 1])
        lo, hi = bounds[:-1], bounds[1:]  # blocks k ∈ [lo, hi)
        rows.append(np.full(lo.size, i))
        lo_all.append(lo)
        hi_all.append(hi)
    row, lo, hi = np.concatenate(rows), np.concatenate(lo_all), np.concatenate(hi_all)
    w, m, ml, mc = (p[hi] - p[lo] for p in pref)
    keep = m > 0
    row, w, m, ml, mc = row[keep], w[keep], m[keep], ml[keep], mc[keep]
    area = np.maximum(cum[t][row] - mc / m, 0.0)
    return CurveGrid(steps=t, s1=cum[t], row=row, weight=w, log_eta=ml / m, area=area, lrs=eta)


@dataclass(frozen=True)
class CurveLaw:
    """A training-curve law: its parameters, a vectorised prediction and its Jacobian."""

    name: str
    form: str
    params: tuple[str, ...]
    citation: Citation
    kernel: Callable[..., tuple[np.ndarray, np.ndarray | None]] = field(repr=False)  # (θ, grid, jac, λ)
    notes: str = ""

    def describe(self) -> dict[str, Any]:
        """Everything ``scalinglab laws show`` prints, as plain data: ``kind`` "training curve" and ``scope`` tell
        it from a law of N and D, and ``published`` holds the authors' parameters per model size, if any."""
        return {"name": self.name, "kind": "training curve", "family": "training curve", "formula": self.form,
                "scope": CURVE_LAW_SCOPE, "parameters": list(self.params),
                "published": {size: dict(zip(self.params, values))
                              for size, values in _PUBLISHED.get(self.name, {}).items()},
                "citation": str(self.citation), "notes": self.notes}

    def predict(self, theta: np.ndarray, grid: CurveGrid) -> np.ndarray:
        return self.predict_jac(theta, grid, jac=False)[0]

    def predict_jac(self, theta: np.ndarray, grid: CurveGrid, *, jac: bool = True, lam: float = 0.999
                    ) -> tuple[np.ndarray, np.ndarray | None]:
        """``(L̂ at grid.steps, ∂L̂/∂θ as a steps × params matrix or None)``."""
        theta = np.asarray(theta, dtype=float)
        if theta.shape != (len(self.params),):
            raise ConfigError(f"The {self.name} law takes {len(self.params)} parameters ({', '.join(self.params)}). "
                              f"Got {theta.shape[0] if theta.ndim == 1 else theta.shape}.")
        return self.kernel(theta, grid, jac, lam)


def _multi_power(theta: np.ndarray, g: CurveGrid, jac: bool, lam: float):
    l0, a, alpha, b, c, beta, gamma = theta
    log_s1 = np.log(g.s1)
    power = a * np.exp(-alpha * log_s1)
    with np.errstate(over="ignore", divide="ignore"):  # x = inf (a huge γ) is G = 1, its derivatives 0
        x = c * np.exp(-gamma * g.log_eta + np.log(g.area))  # C·η^(−γ)·S
        l1p = np.log1p(x)
        pw = np.exp(-beta * l1p)  # (1 + x)^(−β)
    ld = np.bincount(g.row, g.weight * (1.0 - pw), minlength=g.size)
    pred = l0 + power + b * ld
    if not jac:
        return pred, None
    frac = np.where(x > 1.0, 1.0 / (1.0 + 1.0 / np.maximum(x, 1.0)), x / (1.0 + x))  # x/(1 + x), inf-safe
    dg = g.weight * beta * pw * frac  # Σ-weight · x·∂G/∂x
    j = np.empty((g.size, 7))
    j[:, 0] = 1.0
    j[:, 1] = power / a
    j[:, 2] = -power * log_s1
    j[:, 3] = ld
    j[:, 4] = b * np.bincount(g.row, dg, minlength=g.size) / c
    j[:, 5] = b * np.bincount(g.row, g.weight * np.where(pw > 0, pw * l1p, 0.0), minlength=g.size)
    j[:, 6] = b * np.bincount(g.row, dg * -g.log_eta, minlength=g.size)
    return pred, j


def _annealing(theta: np.ndarray, g: CurveGrid, jac: bool, lam: float):
    l0, a, alpha, c = theta
    log_s1 = np.log(g.s1)
    power = a * np.exp(-alpha * log_s1)
    s2 = g.annealing_area(lam)
    pred = l0 + power - c * s2
    if not jac:
        return pred, None
    return pred, np.column_stack([np.ones(g.size), power / a, -power * log_s1, -s2])


MULTI_POWER = CurveLaw(
    name="multi-power",
    form="L0 + A·S1^(−α) + B·Σ_k (η_k − η_{k−1})·(1 − (1 + C·η_k^(−γ)·S_k)^(−β))",
    params=("L0", "A", "alpha", "B", "C", "beta", "gamma"),
    citation=Citation("Luo, Wen, Hu, Sun, Liu, Sun, Lyu, Chen", 2025,
                      "A Multi-Power Law for Loss Curve Prediction Across Learning Rate Schedules", "2503.12811",
                      "README 'Formulation'; src/evaluation.py at commit 8da9f19"),
    kernel=_multi_power,
    notes="S1(t) = Σ η_τ for τ ≤ t (warmup included), S_k(t) = Σ η_τ for k ≤ τ ≤ t.",
)
ANNEALING = CurveLaw(
    name="annealing",
    form="L0 + A·S1^(−α) − C·S2,  S2 = Σ m_i,  m_i = λ·m_{i−1} + (η_{i−1} − η_i)",
    params=("L0", "A", "alpha", "C"),
    citation=Citation("Tissue, Wang, Wang", 2024, "Scaling Law with Learning Rate Annealing", "2408.11029",
                      "Eq. 1 (abstract); momentum form of S2 as we read §3"),
    kernel=_annealing,
    notes="S1(t) = Σ η_τ for τ ≤ t; λ = 0.999 unless given; the momentum m counts from the schedule's peak "
          "(the warmup's rise is not annealing).",
)
CURVE_LAWS = {law.name: law for law in (MULTI_POWER, ANNEALING)}

#: the authors' fitted parameters per model size (src/config.py PARAMS at commit 8da9f19; README "Best Parameters")
PUBLISHED_MULTI_POWER = {
    "25M": (3.04045406, 0.52468604, 0.50786857, 363.78751622, 2.06560812, 0.58279013, 0.64142257),
    "100M": (2.6514477, 0.60115152, 0.45295811, 437.9464276, 2.13245612, 0.59785199, 0.65523644),
    "400M": (2.37474466, 0.65421216, 0.42878731, 523.42464371, 2.02462735, 0.59350493, 0.63472457),
}
_PUBLISHED = {"multi-power": PUBLISHED_MULTI_POWER}

#: what a curve law predicts, and what it is not: said wherever the laws are listed beside the laws of N and D
CURVE_LAW_SCOPE = ("the loss L(t) at each step t of one model size from its learning-rate schedule η_0…η_t, not "
                   "L(N, D): it cannot split a compute budget, no --law option (plan, models, track, report) takes "
                   "it, and scalinglab.fit.curves.fit_curves fits it")


def get_curve_law(name: str) -> CurveLaw:
    if name not in CURVE_LAWS:
        raise ConfigError(f"The curve law must be one of {', '.join(CURVE_LAWS)}. Got {name!r}.")
    return CURVE_LAWS[name]
