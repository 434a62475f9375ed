"""Which runs to train next: the k runs that most narrow a fitted law's interval of a target (docs/design.md).

Criterion: the linear-Gaussian (Kalman) update with the bootstrap as prior. Take the refits' log target
``t_s`` (e.g. log N*(C)) and their log loss ``y_s(x)`` at every candidate run ``x``; their joint covariance
``K`` over the refits is the prior. A new run at ``x`` measures ``y(x) + ε`` with ``ε ~ N(0, σ²)``, σ the
law's run scatter in log loss, and the linear update leaves::

    Var'(t) = Var(t) − Cov(t, y_x)² / (Var(y_x) + σ²),      K' = K − K e_x e_xᵀ K / (K_xx + σ²).

This is Σ' = Σ − Σ j jᵀ Σ / (σ² + jᵀ Σ j) over the law's parameters with Σ the bootstrap covariance and j the
Jacobian of log loss, in its ensemble form: the refits' own predictions give ``Σ j`` and ``jᵀ Σ j`` (their
regression on the parameters), with no finite differences and for every family with refits. The runs are picked
greedily: the candidate with the largest drop of ``Var(t)`` (``rank="drop"``) or drop per FLOP
(``"drop-per-flop"``) among those within the cost limits, then ``K`` is updated and the next one picked. ``K`` is
kept as a square root ``K = LᵀL`` (refits × candidates), each update an ``O(refits·candidates)`` rank-one step.

The expected width after each run is the bootstrap's own central interval now, in decades
(``log10(high/low)``), scaled by ``sqrt(Var'(t)/Var(t))``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._intervals import central_interval, check_level
from .._validate import check_positive
from ..errors import ConfigError
from ..flops import training_flops
from ..laws.base import JointLaw, Law
from ..laws.fitted import FittedLaw, law_loss
from ._design_target import RATIO_RANGE, Target, candidate_grid

__all__ = ["propose_runs", "Proposal", "ProposedRun", "Target", "RANKS", "MIN_REFITS", "expected_variances"]

#: fewest usable bootstrap refits a proposal accepts: the covariance of the target with every candidate's loss
#: is estimated from them (five Chinchilla parameters need a few dozen)
MIN_REFITS = 20
#: how the greedy search ranks the affordable candidates at each step
RANKS = {"drop": "largest drop of the target's variance among the runs within the cost limits",
         "drop-per-flop": "largest drop of the target's variance per FLOP of the run"}


@dataclass(frozen=True)
class ProposedRun:
    """One proposed run, in the order picked. After it and those before it, the target's interval is expected to
    be ``interval`` (the one now, narrowed about its log-centre), ``width_decades`` wide; ``loss`` is the point
    law's prediction for the run and ``loss_sd`` the spread (SD of log loss) of the refits' predictions there,
    what the run can tell."""

    n_params: float
    n_tokens: float
    flops: float
    cumulative_flops: float
    width_decades: float
    interval: tuple[float, float]
    loss: float
    loss_sd: float

    @property
    def tokens_per_param(self) -> float:
        return self.n_tokens / self.n_params

    def as_dict(self) -> dict[str, Any]:
        return {"n_params": self.n_params, "n_tokens": self.n_tokens, "tokens_per_param": self.tokens_per_param,
                "flops": self.flops, "cumulative_flops": self.cumulative_flops,
                "expected_width_decades": self.width_decades, "expected_width_ratio": 10.0**self.width_decades,
                "expected_interval": list(self.interval), "predicted_loss": self.loss, "loss_sd_log": self.loss_sd}


@dataclass(frozen=True)
class Proposal:
    """k runs to train next, with the target's interval now and its expected width after each run.

    Widths are in decades of the target, ``log10(high/low)`` of its central ``level`` interval (``10**width`` is
    high/low); the target itself is in its own unit (parameters, tokens, or nats/token for a loss).
    """

    target: Target
    value: float
    interval: tuple[float, float]
    level: float
    width_now: float
    runs: tuple[ProposedRun, ...]
    rank: str
    noise_sigma: float
    noise: str
    n_refits: int
    n_candidates: int
    max_flops: float | None
    budget_total: float | None
    identification: str
    notes: tuple[str, ...] = field(default=())

    @property
    def widths(self) -> tuple[float, ...]:
        return tuple(r.width_decades for r in self.runs)

    @property
    def total_flops(self) -> float:
        return float(sum(r.flops for r in self.runs))

    @property
    def criterion(self) -> str:
        return ("linear-Gaussian (Kalman) update of the bootstrap ensemble, greedy: " + RANKS[self.rank] +
                f"; noise of a new run: {self.noise}")

    def as_dict(self) -> dict[str, Any]:
        return {"target": self.target.as_dict(), "value": self.value, "level": self.level,
                "interval": list(self.interval), "width_now_decades": self.width_now,
                "width_now_ratio": 10.0**self.width_now, "width_unit": "decades: log10(high/low) of the target",
                "criterion": self.criterion, "rank": self.rank, "noise_sigma": self.noise_sigma,
                "n_refits": self.n_refits, "n_candidates": self.n_candidates,
                "limits": {"max_flops": self.max_flops, "budget_total": self.budget_total},
                "total_flops": self.total_flops, "identification": self.identification,
                "notes": list(self.notes), "runs": [r.as_dict() for r in self.runs]}


def _refits(fitted: Any) -> FittedLaw:
    if isinstance(fitted, Law):
        fitted = FittedLaw.of(fitted)
    if not isinstance(fitted, FittedLaw):
        raise ConfigError(f"The 'fitted' parameter must be a FittedLaw (scalinglab.fit.fit_law). Got "
                          f"{type(fitted).__name__}.")
    if not isinstance(fitted.law, JointLaw):
        raise ConfigError(f"The 'fitted' law must be a law of both N and D to propose runs (N, D). Got "
                          f"{fitted.name!r}, a one-variable {fitted.family} law.")
    if len(fitted.samples) < MIN_REFITS:
        raise ConfigError(f"The 'fitted' law must carry at least {MIN_REFITS} bootstrap refits to propose runs: a "
                          f"fitted law with --n-bootstrap (e.g. `scalinglab fit RUNS --n-bootstrap 200 --out "
                          f"fit.json`). Got {fitted.name!r} with {len(fitted.samples)}.")
    if fitted.scatter is None:
        raise ConfigError(f"The 'fitted' law must carry its run scatter (a fit with more runs than parameters) to "
                          f"weigh a new run. Got {fitted.name!r} without one.")
    return fitted


def _limits(k: Any, max_flops: Any, budget_total: Any) -> tuple[int, float | None, float | None]:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ConfigError(f"The 'k' parameter must be a whole number >= 1. Got {k!r}.")
    if max_flops is None and budget_total is None:
        raise ConfigError("A proposal needs a cost limit: 'max_flops' (per run), 'budget_total' (all k runs) or "
                          "both. Got neither.")
    mx = None if max_flops is None else check_positive("max_flops", max_flops)
    tot = None if budget_total is None else check_positive("budget_total", budget_total)
    if mx is not None and tot is not None and mx > tot:
        raise ConfigError(f"The 'max_flops' limit per run must not exceed 'budget_total' (the k runs together): "
                          f"one run cannot cost more than all of them. Got max_flops={mx:.3g} > "
                          f"budget_total={tot:.3g}.")
    return int(k), mx, tot


def noise_variance(fitted: FittedLaw) -> tuple[float, str]:
    """The variance of a Gaussian observation of log loss worth as much as one new run to this fit, and how.

    A fit minimising ``Σ ρ(r/σ)`` (an M-estimator) weighs a run with errors ``σ·z``, ``z ~ N(0, 1)``, as a least-
    squares fit weighs one of variance ``σ²·E[ψ(z)²]/E[ψ'(z)]²`` (Huber 1964, the asymptotic variance of an
    M-estimator); for Huber's ψ clipped at ``k = δ/σ``: ``E[ψ'] = 2Φ(k) − 1`` and
    ``E[ψ²] = E[ψ'] − 2kφ(k) + k²(2 − 2Φ(k))``.
    Hoffmann's δ = 1e-3 on log loss is far below a typical σ of ~0.01–0.03, so the fit is nearly a median
    regression and the factor is near π/2. Least squares (``loss="mse"``) has factor 1.
    """
    from scipy import stats

    sigma = float(fitted.scatter.sigma)  # type: ignore[union-attr]
    summary = fitted.summary or {}
    loss, delta, resid = summary.get("loss"), summary.get("delta"), summary.get("residuals", "log")
    if loss == "huber" and resid == "log" and delta and sigma > 0:
        kk = float(delta) / sigma
        p = 2.0 * stats.norm.cdf(kk) - 1.0
        factor = (p - 2.0 * kk * stats.norm.pdf(kk) + kk * kk * (1.0 - p)) / p**2
        return sigma**2 * factor, (f"run scatter sigma {sigma:.3g} in log loss, variance x{factor:.3f} for the "
                                   f"Huber fit (delta {float(delta):g}: an M-estimator's efficiency)")
    if loss == "mse":
        return sigma**2, f"run scatter sigma {sigma:.3g} in log loss (least-squares fit)"
    return sigma**2, (f"run scatter sigma {sigma:.3g} in log loss, taken as a least-squares fit's (the fit's "
                      f"objective {loss or 'unrecorded'!s} has no efficiency factor here)")


def _smallest(fitted: FittedLaw, name: str, given: Any, var: str) -> float | None:
    """``given``, else the smallest ``var`` of the runs the law was fitted to (None when unrecorded)."""
    if given is not None:
        return check_positive(name, given)
    rng = (fitted.provenance or {}).get("ranges", {}).get(var)
    return check_positive(name, rng[0]) if rng else None


def _reserve(cost: np.ndarray, used: np.ndarray, a: int) -> np.ndarray:
    """For each candidate, the cost of the ``a`` cheapest unused others (inf where fewer than ``a`` are left)."""
    if a <= 0:
        return np.zeros_like(cost)
    cs = np.sort(cost[~used])
    s_a = cs[:a].sum() if cs.size >= a else np.inf
    s_a1 = cs[:a + 1].sum() if cs.size >= a + 1 else np.inf
    among = cost <= (cs[a - 1] if cs.size >= a else np.inf)  # the candidate is one of the a cheapest itself
    with np.errstate(invalid="ignore"):
        return np.where(among & ~used, s_a1 - cost, s_a)


def expected_variances(root: np.ndarray, noise_var: float, cost: np.ndarray, k: int, *,
                       budget_total: float | None = None, rank: str = "drop") -> tuple[list[int], list[float]]:
    """The greedy picks and the target's variance after each.

    ``root`` is ``L`` (refits × (1 + candidates)), column 0 the target, with ``K = LᵀL`` the prior covariance;
    ``cost`` (candidates,) the FLOPs of each. With ``budget_total``, a pick must leave enough for the runs still
    to pick at the cheapest unused cost. Stops early when no candidate fits (fewer than ``k`` picks).
    """
    if rank not in RANKS:
        raise ConfigError(f"The 'rank' parameter must be one of {', '.join(RANKS)}. Got {rank!r}.")
    L = np.array(root, dtype=float)
    used = np.zeros(cost.size, dtype=bool)
    picks, variances, spent = [], [], 0.0
    for i in range(k):
        diag = np.einsum("ij,ij->j", L[:, 1:], L[:, 1:])
        cross = L[:, 0] @ L[:, 1:]
        drop = cross**2 / (diag + noise_var)
        ok = ~used
        if budget_total is not None:
            ok &= cost + _reserve(cost, used, k - i - 1) <= budget_total - spent + 1e-9 * budget_total
        if not ok.any():
            break
        score = drop / cost if rank == "drop-per-flop" else drop
        m = int(np.argmax(np.where(ok, score, -np.inf)))
        v = L[:, m + 1].copy()
        vv = float(v @ v)
        if vv > 0:
            beta = (1.0 - math.sqrt(noise_var / (vv + noise_var))) / vv
            L -= beta * np.outer(v, v @ L)
        used[m] = True
        spent += float(cost[m])
        picks.append(m)
        variances.append(float(L[:, 0] @ L[:, 0]))
    return picks, variances


def _candidates(fitted: FittedLaw, candidates: Any, cap: float, min_params: Any, min_tokens: Any,
                ratio_range: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    if candidates is not None:
        n, d = (np.asarray(v, dtype=float).ravel() for v in candidates)
        if n.shape != d.shape or n.size == 0 or not (np.all(n > 0) and np.all(d > 0)):
            raise ConfigError(f"The 'candidates' parameter must be two arrays (N, D) of one length >= 1, every "
                              f"value finite and > 0. Got lengths {n.size} and {d.size}.")
        return n, d
    n_lo = _smallest(fitted, "min_params", min_params, "n_params")
    if n_lo is None:
        raise ConfigError(f"The 'min_params' parameter (smallest candidate N) is needed: the fit {fitted.name!r} "
                          "does not record the range of its runs (saved by an older scalinglab). Got none.")
    return candidate_grid(n_lo, cap, min_tokens=_smallest(fitted, "min_tokens", min_tokens, "n_tokens"),
                          ratio_range=ratio_range)


def _affordable(cost: np.ndarray, k: int, cap: float, max_flops: float | None,
                budget_total: float | None) -> np.ndarray:
    """Which candidates one run may be; refuses limits that afford none, or fewer than k in all."""
    cheapest = np.sort(cost)
    if cheapest[0] > cap * (1 + 1e-12):
        raise ConfigError(f"The cost limit must afford the cheapest candidate ({cheapest[0]:.3g} FLOPs). Got "
                          f"{'max_flops' if cap == max_flops else 'budget_total'}={cap:.3g}.")
    if budget_total is not None and cheapest[:k].sum() > budget_total * (1 + 1e-12):
        raise ConfigError(f"The 'budget_total' must afford k={k} runs: the {k} cheapest candidates cost "
                          f"{cheapest[:k].sum():.3g} FLOPs together. Got {budget_total:.3g}.")
    return cost <= cap * (1 + 1e-12)


def propose_runs(fitted: FittedLaw, target: Target | str, *, k: int = 10, max_flops: float | None = None,
                 budget_total: float | None = None, candidates: tuple[Any, Any] | None = None,
                 min_params: float | None = None, min_tokens: float | None = None,
                 ratio_range: tuple[float, float] = RATIO_RANGE, rank: str = "drop",
                 level: float | None = None) -> Proposal:
    """Propose ``k`` runs (N, D) that most narrow the interval of ``target`` under ``fitted``'s bootstrap.

    ``target``: a :class:`Target` or its text (``"n_opt@5.76e23"``, ``"loss@N=7e10,D=1.4e12"``). Cost limits:
    ``max_flops`` per run, ``budget_total`` for the k runs together (at least one). ``candidates``: ``(N, D)``
    arrays to pick from; by default a log-spaced grid (:func:`~scalinglab.fit._design_target.candidate_grid`)
    of N from ``min_params`` up to the per-run limit, at tokens per parameter within ``ratio_range`` and
    ``D >= min_tokens`` (these two default to the smallest N and D the law was fitted to). ``rank``: see
    :data:`RANKS`. ``level``: of the interval (default the law's). A law its runs do not identify still gets a
    proposal, with a note saying so. Deterministic: the same law and arguments give the same runs.
    """
    fitted = _refits(fitted)
    k, max_flops, budget_total = _limits(k, max_flops, budget_total)
    if rank not in RANKS:
        raise ConfigError(f"The 'rank' parameter must be one of {', '.join(RANKS)}. Got {rank!r}.")
    level = fitted.level if level is None else check_level(level)
    tgt = Target.parse(target) if isinstance(target, str) else target
    if not isinstance(tgt, Target):
        raise ConfigError(f"The 'target' parameter must be a Target or its text. Got {type(target).__name__}.")
    cap = min(v for v in (max_flops, budget_total) if v is not None)
    n, d = _candidates(fitted, candidates, cap, min_params, min_tokens, ratio_range)
    cost = np.asarray(training_flops(n, d), dtype=float)
    keep = _affordable(cost, k, cap, max_flops, budget_total)
    n, d, cost = n[keep], d[keep], cost[keep]
    samples = list(fitted.samples)
    with np.errstate(all="ignore"):
        t = np.log([tgt.value(s) for s in samples])
        y = np.log(np.stack([law_loss(s, n, d) for s in samples]))
    ok = np.isfinite(t) & np.isfinite(y).all(axis=1)
    notes = []
    if not ok.all():
        notes.append(f"{int((~ok).sum())} of {len(samples)} refits give no finite target or loss at some "
                     "candidate and are left out")
    if ok.sum() < MIN_REFITS:
        raise ConfigError(f"The 'fitted' law must have at least {MIN_REFITS} refits with a finite {tgt.label} and "
                          f"finite losses at the candidates. Got {int(ok.sum())} of {len(samples)}.")
    z = np.column_stack([t[ok], y[ok]])
    root = (z - z.mean(axis=0)) / math.sqrt(z.shape[0] - 1)
    noise_var, noise_how = noise_variance(fitted)
    picks, variances = expected_variances(root, noise_var, cost, k, budget_total=budget_total, rank=rank)
    if len(picks) < k:
        notes.append(f"only {len(picks)} of k={k} runs fit within the cost limits")
    lo, hi = central_interval(t[ok], level)
    centre, half = (lo + hi) / 2.0, (hi - lo) / 2.0
    var0 = float(root[:, 0] @ root[:, 0])
    sd = np.sqrt(np.einsum("ij,ij->j", root[:, 1:], root[:, 1:]))
    point = law_loss(fitted.law, n[picks], d[picks]) if picks else np.array([])
    runs = []
    for j, (m, v, spent) in enumerate(zip(picks, variances, np.cumsum(cost[picks]))):
        shrink = math.sqrt(max(v, 0.0) / var0) if var0 > 0 else 0.0
        runs.append(ProposedRun(float(n[m]), float(d[m]), float(cost[m]), float(spent),
                                float(2.0 * half * shrink / math.log(10.0)),
                                (float(np.exp(centre - half * shrink)), float(np.exp(centre + half * shrink))),
                                float(point[j]), float(sd[m])))
    ident = fitted.identification
    if not ident.identified and ident.status != "unchecked":
        notes.insert(0, f"NOT IDENTIFIED: the law's runs do not identify it ({'; '.join(ident.reasons)}); new "
                        "runs are what it needs, but the expected widths rest on a bootstrap that may understate "
                        "how little is known")
    sigma = float(fitted.scatter.sigma)  # type: ignore[union-attr]
    return Proposal(tgt, float(tgt.value(fitted.law)), (float(np.exp(lo)), float(np.exp(hi))), level,
                    float((hi - lo) / math.log(10.0)), tuple(runs), rank, sigma, noise_how, int(ok.sum()),
                    int(n.size), max_flops, budget_total, ident.summary(), tuple(notes))
