"""Fit a learning-rate and batch-size rule to a user's lr × batch sweep: :func:`fit_hparams`.

Two methods, both ending in power laws fitted by least squares in logs,
``log η* = a + Σ α_v·log x_v`` (default variables N and D, Step Law's form) and ``log B* = b + Σ β_v·log x_v``
(default D):

- ``"surface"`` (default): per (N, D) group, the optimum of a quadratic surface of the loss over
  (log lr, log batch) fitted to the runs within ``window`` (default 2%) of the group's best loss
  (:mod:`._hp_surface`); one point per group. The bootstrap resamples groups and, inside each drawn group,
  its runs, and refits everything: the band holds both the scatter of the optima about the power laws and how
  well each optimum is located.
- ``"filter"``: the Step Law authors' recipe (``code/fit_tool.py``, ``query_optimal_lr_bs_data`` and
  ``get_bootstrap_lr_bs_scaling_models``): every run within ``window`` (default 0.25%) of its group's best loss
  is a point, and the bootstrap resamples those runs. The authors publish the mean of the bootstrap
  coefficients (:attr:`HparamFit.bootstrap_mean`); the rule here holds the least-squares point estimate.

How flat the optimum is, what users act on, comes with every group: the learning-rate and batch ranges within
``flat_tol`` (default 0.5%) of the best loss, along each axis of the surface and among the runs themselves.
Points are weighted equally; NaN or infinite losses (diverged runs) are counted and left out.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .._intervals import DEFAULT_LEVEL, central_interval, check_level
from ..errors import ConfigError, DataError
from ..flops import COUNTS, training_flops
from ..laws._hparam_io import rule_to_dict
from ..laws.base import Citation
from ..laws.hyperparams import SYMBOLS, VARIABLES, HyperparamRule, PowerRule
from ._hp_surface import MAX_COND, MIN_LEVELS, fit_surfaces, flat_ranges
from ._hp_sweep import Sweep

__all__ = ["METHODS", "DEFAULT_WINDOW", "FLAT_TOL", "GroupOptimum", "HparamFit", "fit_hparams"]

METHODS = ("surface", "filter")
DEFAULT_WINDOW = {"surface": 0.02, "filter": 0.0025}
FLAT_TOL = 0.005
#: share of bootstrap refits that may fail before the fit is called not identified (as for laws of the loss)
MAX_DEGENERATE = 0.10
#: widest interval an exponent may have: wider, a decade of extrapolation moves η* or B* by a factor of 10 or more
#: within the band (an exponent near 0 with a narrow interval is a finding, so the width is absolute, not relative)
MAX_EXPONENT_WIDTH = 1.0
_SCHEME = {"surface": "groups, then runs within each", "filter": "the kept runs"}
_WHY = {"few_lrs": "fewer than 3 learning rates", "few_batches": "fewer than 3 batch sizes"}


@dataclass(frozen=True)
class GroupOptimum:
    """The optimum of one (N, D) group and how flat the loss is around it (η in the sweep's units, B in tokens)."""

    n_params: float
    n_tokens: float
    labels: dict[str, str]
    n_runs: int
    n_diverged: int
    n_used: int  # runs inside the window
    lr: float  # the surface's optimum ("surface"), the best run ("filter")
    batch_tokens: float
    loss: float
    best_lr: float
    best_batch_tokens: float
    best_loss: float
    inside: bool | None  # the surface's optimum lies within the swept lr and batch ranges (None: "filter")
    lr_flat: tuple[float, float] | None  # along the surface's lr axis, within flat_tol of L*
    batch_flat: tuple[float, float] | None
    lr_flat_runs: tuple[float, float]  # lowest and highest lr among runs within flat_tol of the best loss
    batch_flat_runs: tuple[float, float]
    n_flat_runs: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class HparamFit:
    """A fitted rule (``rule``, carrying the bootstrap refits as its band), the per-group optima, and the checks."""

    rule: HyperparamRule
    method: str
    window: float
    flat_tol: float
    groups: tuple[GroupOptimum, ...]
    n_points: int  # points in each power-law regression (groups, or runs kept by the filter)
    n_bootstrap: int
    n_degenerate: int
    level: float
    bootstrap_mean: dict[str, float] = field(default_factory=dict)
    intervals: dict[str, tuple[float, float]] = field(default_factory=dict)
    residual_sd: dict[str, float] = field(default_factory=dict)  # of log η*, log B* about the laws
    reasons: tuple[str, ...] = ()

    @property
    def identified(self) -> bool:
        return not self.reasons

    def as_dict(self) -> dict[str, Any]:
        rule = rule_to_dict(self.rule)
        rule.pop("samples")
        return {"rule": rule, "method": self.method, "window": self.window, "flat_tol": self.flat_tol,
                "groups": [g.as_dict() for g in self.groups], "n_points": self.n_points,
                "n_bootstrap": self.n_bootstrap, "n_degenerate": self.n_degenerate, "level": self.level,
                "coefficients": self.rule.coefficients(), "bootstrap_mean": self.bootstrap_mean,
                "intervals": {k: list(v) for k, v in self.intervals.items()}, "residual_sd": self.residual_sd,
                "identified": self.identified, "reasons": list(self.reasons)}


def _check_vars(name: str, value: Any) -> tuple[str, ...]:
    vs = (value,) if isinstance(value, str) else tuple(value)
    if not vs or len(set(vs)) != len(vs) or not set(vs) <= set(VARIABLES) or len(vs) == len(VARIABLES):
        raise ConfigError(f"The {name!r} parameter must be one or two distinct variables of {', '.join(VARIABLES)} "
                          f"(all three are collinear in logs: C = 6ND). Got {value!r}.")
    return vs


def _check_fraction(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < float(value) < 1:
        raise ConfigError(f"The {name!r} parameter must be a fraction of the best loss in (0, 1). Got {value!r}.")
    return float(value)


def _ols(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted least squares per row of ``w`` (rows × points), ``y`` rows × points or points: ``(θ, ok)``."""
    y = np.broadcast_to(y, w.shape)
    a = np.einsum("rg,gi,gj->rij", w, x, x)
    b = np.einsum("rg,gi,rg->ri", w, x, y)
    theta = np.full((len(w), x.shape[1]), np.nan)
    cond = np.linalg.cond(a)
    ok = np.isfinite(cond) & (cond < MAX_COND)
    if ok.any():
        theta[ok] = np.linalg.solve(a[ok], b[ok][..., None])[..., 0]
    return theta, ok


def _design(points: dict[str, np.ndarray], variables: tuple[str, ...]) -> np.ndarray:
    return np.column_stack([np.ones_like(points["n_params"]), *(np.log(points[v]) for v in variables)])


def _group_runs(sweep: Sweep, g: int) -> tuple[np.ndarray, int]:
    """Indices of group ``g``'s runs that did not diverge, and how many did; one line when it cannot be fitted."""
    idx = np.flatnonzero(sweep.group == g)
    fin = idx[np.isfinite(sweep.loss[idx])]
    if fin.size == 0:
        raise DataError(f"The sweep at {sweep.where(g)} must have a run that did not diverge. Got {idx.size} runs, "
                        "every loss NaN or infinite.")
    for what, values, unit in (("learning rates", sweep.lr[fin], ""), ("batch sizes", sweep.batch_tokens[fin],
                                                                       " tokens")):
        levels = np.unique(values)
        if levels.size < MIN_LEVELS:
            shown = ", ".join(f"{v:g}" for v in levels)
            raise DataError(f"The sweep at {sweep.where(g)} must try at least {MIN_LEVELS} {what} to locate an "
                            f"optimum. Got {levels.size}: {shown}{unit}.")
    return fin, idx.size - fin.size


def _flat_runs(lr: np.ndarray, b: np.ndarray, loss: np.ndarray, tol: float):
    near = loss <= loss.min() * (1 + tol)
    return (float(lr[near].min()), float(lr[near].max())), (float(b[near].min()), float(b[near].max())), int(near.sum())


def _surface_group(sweep: Sweep, g: int, fin: np.ndarray, n_div: int, window: float, tol: float) -> GroupOptimum:
    x, y, loss = np.log(sweep.lr[fin]), np.log(sweep.batch_tokens[fin]), sweep.loss[fin]
    s = fit_surfaces(x, y, loss, np.ones((1, fin.size)), window)
    i = int(np.argmin(loss))
    best = f"best run lr={sweep.lr[fin][i]:g}, batch={sweep.batch_tokens[fin][i]:g} tokens"
    if not s.ok[0]:
        why = s.why[0]
        if why in _WHY:
            raise DataError(f"The sweep at {sweep.where(g)} must have at least {MIN_LEVELS} learning rates and "
                            f"{MIN_LEVELS} batch sizes within {window:.3g} of its best loss to fit a surface. Got "
                            f"{_WHY[why]} there ({best}); widen the window or add runs around the best one.")
        got = "a singular fit" if why == "singular" else "a surface with no minimum (a saddle or a ridge)"
        raise DataError(f"The sweep at {sweep.where(g)} must bracket the optimum in lr and batch so the loss "
                        f"surface has a minimum. Got {got} ({best}); add runs on both sides of it.")
    lr_flat, b_flat = flat_ranges(s, tol)
    inside = bool(x.min() <= s.x[0] <= x.max() and y.min() <= s.y[0] <= y.max())
    lr_r, b_r, n_flat = _flat_runs(sweep.lr[fin], sweep.batch_tokens[fin], loss, tol)
    k = sweep.groups[g]
    return GroupOptimum(k["n_params"], k["n_tokens"], k["labels"], fin.size + n_div, n_div, int(s.n_used[0]),
                        float(np.exp(s.x[0])), float(np.exp(s.y[0])), float(s.loss[0]), float(sweep.lr[fin][i]),
                        float(sweep.batch_tokens[fin][i]), float(loss[i]), inside, tuple(map(float, lr_flat[0])),
                        tuple(map(float, b_flat[0])), lr_r, b_r, n_flat)


def _filter_group(sweep: Sweep, g: int, fin: np.ndarray, n_div: int, window: float, tol: float
                  ) -> tuple[GroupOptimum, np.ndarray]:
    loss = sweep.loss[fin]
    kept = fin[loss <= loss.min() * (1 + window)]
    i = int(np.argmin(loss))
    lr_r, b_r, n_flat = _flat_runs(sweep.lr[fin], sweep.batch_tokens[fin], loss, tol)
    k = sweep.groups[g]
    lr, b = float(sweep.lr[fin][i]), float(sweep.batch_tokens[fin][i])
    return GroupOptimum(k["n_params"], k["n_tokens"], k["labels"], fin.size + n_div, n_div, kept.size, lr, b,
                        float(loss[i]), lr, b, float(loss[i]), None, None, None, lr_r, b_r, n_flat), kept


def fit_hparams(sweep: Sweep, *, method: str = "surface", window: float | None = None,
                lr_vars: tuple[str, ...] = ("n_params", "n_tokens"), batch_vars: tuple[str, ...] = ("n_tokens",),
                n_bootstrap: int = 1000, seed: int = 0, flat_tol: float = FLAT_TOL, level: float = DEFAULT_LEVEL,
                name: str | None = None, n_params_count: str = "non_embedding") -> HparamFit:
    """Fit ``η*(lr_vars)`` and ``B*(batch_vars)`` to ``sweep`` (see the module docstring); returns an
    :class:`HparamFit` whose ``rule`` a plan can use. Deterministic for a given ``seed``."""
    if method not in METHODS:
        raise ConfigError(f"The 'method' parameter must be one of {', '.join(METHODS)}. Got {method!r}.")
    window = DEFAULT_WINDOW[method] if window is None else _check_fraction("window", window)
    flat_tol = _check_fraction("flat_tol", flat_tol)
    level = check_level(level)
    lr_vars, batch_vars = _check_vars("lr_vars", lr_vars), _check_vars("batch_vars", batch_vars)
    if n_params_count not in COUNTS:
        raise ConfigError(f"The 'n_params_count' parameter must be one of {', '.join(COUNTS)}. Got {n_params_count!r}.")
    if isinstance(n_bootstrap, bool) or not isinstance(n_bootstrap, (int, np.integer)) or n_bootstrap < 0:
        raise ConfigError(f"The 'n_bootstrap' parameter must be a whole number >= 0. Got {n_bootstrap!r}.")
    runs = [_group_runs(sweep, g) for g in range(len(sweep.groups))]
    if method == "surface":
        groups = tuple(_surface_group(sweep, g, fin, nd, window, flat_tol) for g, (fin, nd) in enumerate(runs))
        where = np.arange(len(groups))
        y_lr, y_b = np.log([o.lr for o in groups]), np.log([o.batch_tokens for o in groups])
    else:
        pairs = [_filter_group(sweep, g, fin, nd, window, flat_tol) for g, (fin, nd) in enumerate(runs)]
        groups = tuple(p[0] for p in pairs)
        kept = np.concatenate([p[1] for p in pairs])
        where = sweep.group[kept]
        y_lr, y_b = np.log(sweep.lr[kept]), np.log(sweep.batch_tokens[kept])
    n_g = np.array([o.n_params for o in groups])[where]
    d_g = np.array([o.n_tokens for o in groups])[where]
    points = {"n_params": n_g, "n_tokens": d_g, "flops": training_flops(n_g, d_g)}
    x_lr, x_b = _design(points, lr_vars), _design(points, batch_vars)
    for law, variables, x in (("learning-rate", lr_vars, x_lr), ("batch", batch_vars, x_b)):
        for v in variables:
            if np.unique(points[v]).size < 2:
                raise DataError(f"The sweep must have optima at 2 or more values of {SYMBOLS[v]} to fit the {law} "
                                f"law's {SYMBOLS[v]} exponent. Got one ({points[v][0]:.4g}); leave {v} out of "
                                f"{'lr_vars' if law == 'learning-rate' else 'batch_vars'}.")
        if np.linalg.matrix_rank(x) < x.shape[1]:
            raise DataError(f"The sweep's (N, D) groups must not lie on one line in log space to fit the {law} "
                            f"law in {', '.join(SYMBOLS[v] for v in variables)}. Got {len(groups)} groups that do.")
    ones = np.ones((1, len(where)))
    theta_lr, theta_b = _ols(x_lr, y_lr, ones)[0][0], _ols(x_b, y_b, ones)[0][0]
    resid = {"lr": float(np.std(y_lr - x_lr @ theta_lr)), "batch": float(np.std(y_b - x_b @ theta_b))}
    samples, n_bad = _bootstrap(sweep, runs, method, window, where, x_lr, x_b, y_lr, y_b, n_bootstrap, seed)
    rule = HyperparamRule(
        name=name or f"fit:{Path(str(sweep.source.get('path', 'sweep'))).stem}",
        lr=PowerRule(float(theta_lr[0]), tuple(zip(lr_vars, map(float, theta_lr[1:])))),
        batch=PowerRule(float(theta_b[0]), tuple(zip(batch_vars, map(float, theta_b[1:])))),
        citation=Citation("fitted by scalinglab", _dt.date.today().year,
                          f"{method} fit to {Path(str(sweep.source.get('path', 'arrays'))).name}",
                          where=f"sha256 {sweep.source['sha256'][:12]}" if "sha256" in sweep.source else ""),
        notes=f"{len(groups)} (N, D) groups, {len(sweep)} runs; window {window:g} of the best loss.",
        context=sweep.context, n_params_count=n_params_count,
        samples=samples if len(samples) else None,
        domain={v: (float(points[v].min()), float(points[v].max())) for v in VARIABLES},
        band_source=f"{len(samples)} bootstrap refits ({_SCHEME[method]})" if len(samples) else "",
        provenance={"source": sweep.source, "method": method, "window": window, "seed": seed,
                    "n_bootstrap": n_bootstrap})
    names = rule.coefficient_names()
    mean = dict(zip(names, map(float, samples.mean(axis=0)))) if len(samples) else {}
    ivs = {k: tuple(map(float, central_interval(samples[:, j], level))) for j, k in enumerate(names)} \
        if len(samples) else {}
    return HparamFit(rule, method, window, flat_tol, groups, len(where), n_bootstrap, n_bad, level, mean, ivs, resid,
                     _reasons(rule, ivs, n_bad, n_bootstrap, level))


def _bootstrap(sweep: Sweep, runs, method: str, window: float, where: np.ndarray, x_lr, x_b, y_lr, y_b,
               n: int, seed: int) -> tuple[np.ndarray, int]:
    """``(refits × coefficients, number of failed refits)``; the refits that failed are left out."""
    if n == 0:
        return np.empty((0, x_lr.shape[1] + x_b.shape[1])), 0
    rng = np.random.default_rng(seed)
    m = len(where)
    counts = rng.multinomial(m, np.full(m, 1.0 / m), size=n).astype(float)
    if method == "surface":
        opt_lr, opt_b = np.empty((n, m)), np.empty((n, m))
        ok = np.ones(n, dtype=bool)
        for g, (fin, _) in enumerate(runs):
            w = rng.multinomial(fin.size, np.full(fin.size, 1.0 / fin.size), size=n)
            s = fit_surfaces(np.log(sweep.lr[fin]), np.log(sweep.batch_tokens[fin]), sweep.loss[fin], w, window)
            ok &= s.ok | (counts[:, g] == 0)  # a group not drawn cannot spoil the refit
            opt_lr[:, g], opt_b[:, g] = np.where(s.ok, s.x, 0.0), np.where(s.ok, s.y, 0.0)
        th_lr, ok_lr = _ols(x_lr, opt_lr, counts)
        th_b, ok_b = _ols(x_b, opt_b, counts)
    else:
        th_lr, ok_lr = _ols(x_lr, y_lr, counts)
        th_b, ok_b = _ols(x_b, y_b, counts)
        ok = np.ones(n, dtype=bool)
    good = ok & ok_lr & ok_b
    return np.column_stack([th_lr, th_b])[good], int(n - good.sum())


def _reasons(rule: HyperparamRule, ivs: dict[str, tuple[float, float]], n_bad: int, n: int, level: float
             ) -> tuple[str, ...]:
    out = []
    if n and n_bad > MAX_DEGENERATE * n:
        out.append(f"{n_bad} of {n} bootstrap refits failed (a group's surface had no minimum, or the drawn groups "
                   f"could not fix the laws): more than {MAX_DEGENERATE:.0%}")
    for law, pr in (("lr", rule.lr), ("batch", rule.batch)):
        for v, e in pr.exponents:
            lo, hi = ivs.get(f"{law}.{v}", (e, e))
            if hi - lo > MAX_EXPONENT_WIDTH:
                out.append(f"the {law} law's {SYMBOLS[v]} exponent {e:.3g} has a {level:.0%} interval "
                           f"[{lo:.3g}, {hi:.3g}] wider than {MAX_EXPONENT_WIDTH:g}")
    return tuple(out)
