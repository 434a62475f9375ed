"""Approach 2 of Hoffmann et al. (2022, §3.2): IsoFLOP profiles.

Runs are grouped by compute budget C. Along each budget, loss is modelled as a function of x = ln N and its
minimum gives N*(C), with D*(C) = C / (6 N*). Power laws N* = k_N·C^a and D* = k_D·C^b are then fitted by
least squares in log–log space. Hoffmann et al. report a = 0.49 (0.462, 0.534), b = 0.51 (Table 2).

Identification (docs/approaches.md): the exponent is *identified* only when at least :data:`LIMITS`
``min_budgets`` = 3 budgets have an interior minimum (two points fix a power law exactly, with no error estimate)
and, with a bootstrap, the central 90% interval of ``a`` is at most ``exponent_interval_width`` wide and no more
than ``unusable_share`` of the resamples fail to give an exponent. Without a bootstrap the verdict is
``"unchecked"``. The verdict is an :class:`~scalinglab.laws.fitted.Identification`, as for parametric fits.

Two profile models are offered (``method``):

``"parabola"``
    L(x) = c₀ + c₁·x + c₂·x², vertex x* = −c₁ / (2 c₂) — the paper's choice.
``"smooth"``
    L(N) = E_C + A_C·N^(−α) + B'_C·N^β with A_C, B'_C ≥ 0 and (α, β) shared by all budgets — the exact profile of
    the Chinchilla law L = E + A/N^α + B/D^β along D = C/(6N), where B' = B·(6/C)^β. See :func:`_smooth_profiles`.

References
----------
Hoffmann et al. 2022, "Training Compute-Optimal Large Language Models", arXiv:2203.15556, §3.2, Table 2.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._intervals import DEFAULT_LEVEL, central_interval, check_level, level_label
from .._validate import check_choice, check_positive, positive_array
from ..errors import ConfigError, DataError, FitError
from ..flops import log_tokens_for_flops
from ..laws.fitted import Identification
from ._profile_smooth import _smooth_profiles
from ._profile_verdict import LIMITS, _identify

__all__ = ["ProfileWarning", "PowerLawFit", "BudgetProfile", "IsoFlopProfileResult", "fit_isoflop_profiles",
           "group_budgets", "fit_power_law", "LIMITS"]


METHODS = ("parabola", "smooth")


class ProfileWarning(UserWarning):
    """A budget's profile had no usable minimum and was left out of the power-law fit, or fewer than 2 budgets
    were left and no exponent was fitted."""


@dataclass(frozen=True)
class PowerLawFit:
    """``y = coef · C^exponent`` fitted by ordinary least squares on (ln C, ln y).

    ``r2`` is the coefficient of determination in log space; ``interval`` the central bootstrap interval of
    the exponent at the result's level (``None`` without bootstrap or with fewer than 2 usable resamples).
    """

    exponent: float
    coef: float
    r2: float
    interval: tuple[float, float] | None = None

    @classmethod
    def missing(cls) -> PowerLawFit:
        """No fit: fewer than 2 budgets with a minimum (every field NaN)."""
        return cls(float("nan"), float("nan"), float("nan"))

    def predict(self, flops: Any) -> np.ndarray:
        return self.coef * np.asarray(flops, dtype=float) ** self.exponent

    def as_dict(self) -> dict[str, Any]:
        return {"exponent": self.exponent, "coef": self.coef, "r2": self.r2,
                "interval": None if self.interval is None else list(self.interval)}


@dataclass(frozen=True, eq=False)
class BudgetProfile:
    """One budget's points, fitted profile and minimum.

    ``status`` is ``"ok"`` (used in the power-law fit), ``"extrapolated"`` (minimum outside the sampled N range),
    ``"no_minimum"`` (parabola opens downward, or the smooth profile is monotone) or ``"too_few_points"``;
    ``reason`` says why a budget was excluded. ``coef`` maps coefficient names to values, in terms of N
    (parabola: ``c0, c1, c2`` of L = c0 + c1·ln N + c2·(ln N)²; smooth: ``E, A, alpha, B, beta`` of
    L = E + A·N^−alpha + B·N^beta).
    """

    flops: float
    n_params: np.ndarray
    loss: np.ndarray
    coef: dict[str, float]
    n_opt: float
    d_opt: float
    loss_opt: float
    status: str
    reason: str = ""
    flops_span: float = 0.0  # log10(max/min) of the FLOPs of the budget's rows, in decades

    @property
    def used(self) -> bool:
        return self.status == "ok"

    @property
    def n_sizes(self) -> int:
        """Distinct N sampled in this budget."""
        return int(np.unique(self.n_params).size)

    def as_dict(self) -> dict[str, Any]:
        return {"flops": self.flops, "n_params": self.n_params.tolist(), "loss": self.loss.tolist(),
                "coef": dict(self.coef), "n_opt": self.n_opt, "d_opt": self.d_opt, "loss_opt": self.loss_opt,
                "status": self.status, "reason": self.reason, "n_sizes": self.n_sizes, "flops_span": self.flops_span}


@dataclass(frozen=True, eq=False)
class IsoFlopProfileResult:
    """Per-budget profiles, the power laws N* = k_N·C^a, D* = k_D·C^b fitted over the usable budgets, and the
    verdict on whether the data identify the exponent.

    With fewer than 2 usable budgets the power laws are :meth:`PowerLawFit.missing` (NaN) and the verdict says
    why. ``n_bootstrap`` of the ``n_requested`` resamples gave an exponent; the intervals are central ``level``
    intervals over them. ``notes`` say what the verdict does not: budgets left out, budgets formed by grouping.
    ``frontier`` is the power law L*(C) = k·C^s through the same budgets' minimum losses, ``bootstrap_frontier``
    its (s, k) in each usable resample.
    """

    method: str
    profiles: tuple[BudgetProfile, ...]
    n_opt_fit: PowerLawFit
    d_opt_fit: PowerLawFit
    n_bootstrap: int = 0  # replicates that gave a fit (0: no bootstrap)
    bootstrap_exponents: np.ndarray | None = None  # shape (n_bootstrap, 2): columns a, b
    n_requested: int = 0  # replicates drawn
    level: float = DEFAULT_LEVEL
    identification: Identification = Identification("unchecked")
    notes: tuple[str, ...] = ()
    budget_width: float | None = None  # decades, when budgets were formed by chaining FLOPs
    frontier: PowerLawFit = PowerLawFit.missing()
    bootstrap_frontier: np.ndarray | None = None  # shape (n_bootstrap, 2): columns s, k of L*(C) = k·C^s

    @property
    def a(self) -> float:
        return self.n_opt_fit.exponent

    @property
    def b(self) -> float:
        return self.d_opt_fit.exponent

    def _used(self, field: str) -> np.ndarray:
        return np.array([getattr(p, field) for p in self.profiles if p.used])

    # Over the budgets used in the power-law fit:
    flops = property(lambda self: self._used("flops"), doc="Budgets C used in the fit.")
    n_opt = property(lambda self: self._used("n_opt"), doc="N*(C) of the budgets used.")
    d_opt = property(lambda self: self._used("d_opt"), doc="D*(C) = C/(6 N*) of the budgets used.")
    loss_opt = property(lambda self: self._used("loss_opt"), doc="Profile minimum L*(C) of the budgets used.")

    @property
    def excluded(self) -> dict[float, str]:
        """Budget → reason, for every budget left out of the power-law fit."""
        return {p.flops: p.reason for p in self.profiles if not p.used}

    @property
    def n_used(self) -> int:
        """Budgets with an interior minimum (those the power laws are fitted over)."""
        return sum(p.used for p in self.profiles)

    def as_dict(self) -> dict[str, Any]:
        return {"method": self.method, "a": self.a, "b": self.b, "n_opt_fit": self.n_opt_fit.as_dict(),
                "d_opt_fit": self.d_opt_fit.as_dict(), "level": self.level,
                "interval_label": f"{level_label(self.level)} interval over the bootstrap resamples",
                "n_budgets": len(self.profiles), "n_budgets_used": self.n_used,
                "n_bootstrap": self.n_bootstrap, "n_bootstrap_requested": self.n_requested,
                "identification": {**self.identification.as_dict(), "limits": dict(LIMITS)},
                "notes": list(self.notes), "budget_width": self.budget_width, "frontier": self.frontier.as_dict(),
                "profiles": [p.as_dict() for p in self.profiles]}


def group_budgets(flops: Any, budgets: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """Assign each row to a budget; return ``(labels, budget_flops)`` with ``labels`` indexing ``budget_flops``.

    ``budgets=None`` groups rows with exactly equal ``flops``; a positive float w groups rows whose sorted
    log10(flops) are chained by gaps < w decades (single linkage), for budgets recorded with rounding noise;
    an array gives one label per row. A group's budget is the geometric mean of its rows' ``flops``.
    """
    c = positive_array("flops", flops).ravel()
    if budgets is None:
        _, labels = np.unique(c, return_inverse=True)
    elif np.ndim(budgets) == 0:
        width = float(budgets)
        if not width > 0:
            raise ConfigError(f"The 'budgets' parameter, as a bin width in decades, must be > 0. Got {width:g}.")
        order = np.argsort(c)
        starts = np.concatenate([[0], np.cumsum(np.diff(np.log10(c[order])) >= width)])
        labels = np.empty(c.size, dtype=int)
        labels[order] = starts
    else:
        raw = np.asarray(budgets).ravel()
        if raw.size != c.size:
            raise DataError(f"The 'budgets' labels must have one entry per row ({c.size}). Got {raw.size}.")
        _, labels = np.unique(raw, return_inverse=True)
    k = int(labels.max()) + 1
    centre = np.exp(np.bincount(labels, np.log(c), k) / np.bincount(labels, minlength=k))
    lo, hi = np.full(k, np.inf), np.zeros(k)
    np.minimum.at(lo, labels, c)
    np.maximum.at(hi, labels, c)
    centre[lo == hi] = lo[lo == hi]  # exact budgets stay exact (no exp-log round trip)
    return labels, centre



def fit_power_law(flops: np.ndarray, y: np.ndarray) -> PowerLawFit:
    """OLS fit of ln y = ln coef + exponent·ln C; needs at least two distinct budgets. R² is NaN when y is
    constant (nothing to explain)."""
    lx, ly = np.log(flops), np.log(y)
    if np.unique(lx).size < 2:
        raise FitError(f"A power law in compute needs at least 2 distinct budgets. Got {np.unique(lx).size}.")
    slope, icpt = np.polyfit(lx, ly, 1)
    ss_res = float(np.sum((ly - (icpt + slope * lx)) ** 2))
    ss_tot = float(np.sum((ly - ly.mean()) ** 2))
    r2 = 1.0 - ss_res / ss_tot if np.ptp(ly) > 1e-12 * max(1.0, float(np.abs(ly).max())) else float("nan")
    return PowerLawFit(float(slope), float(np.exp(icpt)), r2)


def _parabola(x: np.ndarray, y: np.ndarray) -> tuple[dict[str, float], float | None, float]:
    """Least-squares parabola in x = ln N (centred for conditioning); returns coef, vertex x* (None), L*."""
    xc = x.mean()
    q2, q1, q0 = np.polyfit(x - xc, y, 2)
    # back to the uncentred basis: c0 + c1 x + c2 x² with x = u + xc
    coef = {"c0": q0 - q1 * xc + q2 * xc**2, "c1": q1 - 2 * q2 * xc, "c2": q2}
    if q2 <= 0:
        return coef, None, float("nan")
    u = -q1 / (2 * q2)
    return coef, xc + u, float(q0 + q1 * u + q2 * u * u)


def _profiles(c: np.ndarray, n: np.ndarray, y: np.ndarray, labels: np.ndarray, centre: np.ndarray,
              method: str, min_points: int) -> list[BudgetProfile]:
    groups = [np.flatnonzero(labels == k) for k in range(centre.size)]
    enough = [np.unique(n[g]).size >= min_points for g in groups]
    xs = [np.log(n[g]) for g, ok in zip(groups, enough) if ok]
    ys = [y[g] for g, ok in zip(groups, enough) if ok]
    fits = iter([_parabola(x, v) for x, v in zip(xs, ys)] if method == "parabola" or not xs
                else _smooth_profiles(xs, ys))
    out = []
    for k, (g, ok) in enumerate(zip(groups, enough)):
        cb = float(centre[k])
        span = float(np.log10(c[g].max() / c[g].min())) if g.size else 0.0
        if not ok:
            out.append(BudgetProfile(cb, n[g], y[g], {}, np.nan, np.nan, np.nan, "too_few_points",
                                     f"{np.unique(n[g]).size} distinct N, fewer than min_points={min_points}", span))
            continue
        coef, xv, lv = next(fits)
        x = np.log(n[g])
        if xv is None:
            what = "parabola opens downward" if method == "parabola" else "profile is monotone in N"
            out.append(BudgetProfile(cb, n[g], y[g], coef, np.nan, np.nan, np.nan, "no_minimum", what, span))
            continue
        with np.errstate(over="ignore", under="ignore"):  # a nearly flat parabola's vertex can be far away
            n_opt, d_opt = float(np.exp(xv)), float(np.exp(log_tokens_for_flops(xv, cb)))
        status, reason = "ok", ""
        if not x.min() <= xv <= x.max():
            status = "extrapolated"
            reason = f"minimum N*={n_opt:.3g} outside the sampled N range [{n[g].min():.3g}, {n[g].max():.3g}]"
        out.append(BudgetProfile(cb, n[g], y[g], coef, n_opt, d_opt, lv, status, reason, span))
    return out


def _near_minimum(n: np.ndarray, y: np.ndarray, labels: np.ndarray, window: float) -> np.ndarray:
    """Mask of the rows within ``window`` decades of N of their budget's lowest-loss row."""
    order = np.lexsort((y, labels))  # by budget, then by loss: each budget's first row is its best
    best = order[np.searchsorted(labels[order], np.arange(labels.max() + 1))]
    return np.abs(np.log10(n / n[best[labels]])) <= window


def _exponents(profiles: list[BudgetProfile]) -> tuple[PowerLawFit, PowerLawFit, PowerLawFit]:
    """Power laws N*(C), D*(C) and the frontier L*(C) over the budgets with an interior minimum;
    :meth:`PowerLawFit.missing` with fewer than 2 (the frontier also when a minimum loss is not > 0)."""
    used = [p for p in profiles if p.used]
    if len(used) < 2:
        return PowerLawFit.missing(), PowerLawFit.missing(), PowerLawFit.missing()
    cb, lo = np.array([p.flops for p in used]), np.array([p.loss_opt for p in used])
    return (fit_power_law(cb, np.array([p.n_opt for p in used])),
            fit_power_law(cb, np.array([p.d_opt for p in used])),
            fit_power_law(cb, lo) if np.all(lo > 0) else PowerLawFit.missing())


def fit_isoflop_profiles(n_params: Any, flops: Any, loss: Any, *, budgets: Any = None, method: str = "parabola",
                         min_points: int = 3, window: float | None = None, n_bootstrap: int = 0,
                         level: float = DEFAULT_LEVEL, seed: int = 0) -> IsoFlopProfileResult:
    """Fit IsoFLOP profiles and the power laws N*(C) = k_N·C^a, D*(C) = k_D·C^b (Hoffmann et al. Approach 2).

    Parameters
    ----------
    n_params, flops, loss : array_like
        One entry per run: parameters N, training compute C (FLOPs) and final loss.
    budgets : None, float or array_like
        How rows are grouped into budgets; see :func:`group_budgets`.
    method : {"parabola", "smooth"}
        Profile model along each budget (module docstring).
    min_points : int
        Budgets with fewer distinct N are reported but excluded.
    window : float, optional
        Keep only points whose N lies within ``window`` decades of the budget's lowest-loss point. A parabola is
        a local (second-order) model of the profile; over two or three decades of N it is dragged by the far
        tails, so restricting it near the minimum is common practice. ``None`` (default) keeps every point.
    n_bootstrap : int
        Number of replicates resampling points with replacement *within* each budget; each refits the
        profiles and the power laws. Gives central intervals of a and b and checks identification.
    level : float
        Central probability of the reported intervals (default 0.9; Hoffmann et al. Table 2 gives 0.8, the
        10th–90th percentiles). The verdict always judges the 90% interval against :data:`LIMITS`.
    seed : int
        Seed of the bootstrap generator.

    Returns
    -------
    IsoFlopProfileResult
        With fewer than 2 budgets that have an interior minimum, the power laws are NaN and
        ``identification`` is ``"not identified"``, saying which budgets failed and how; no error is raised.

    Warns
    -----
    ProfileWarning
        When a budget is excluded (too few points, minimum outside the sampled N range, or no minimum), and when
        no exponent could be fitted.

    Notes
    -----
    D* = C/(6 N*) so b = 1 − a exactly; both are reported for symmetry with Table 2.
    """
    check_choice("method", method, METHODS)
    if int(min_points) != min_points or min_points < 3:
        raise ConfigError(f"The 'min_points' parameter must be an integer >= 3. Got {min_points!r}.")
    if int(n_bootstrap) != n_bootstrap or n_bootstrap < 0:
        raise ConfigError(f"The 'n_bootstrap' parameter must be an integer >= 0. Got {n_bootstrap!r}.")
    level = check_level(level)
    n = positive_array("n_params", n_params).ravel()
    c = positive_array("flops", flops).ravel()
    y = np.asarray(loss, dtype=float).ravel()
    if not n.size == c.size == y.size:
        raise DataError(f"n_params, flops and loss must have the same length. Got {n.size}, {c.size}, {y.size}.")
    if not np.all(np.isfinite(y)):
        raise DataError(f"The 'loss' column must be finite. Got {y[~np.isfinite(y)][0]!r}.")
    labels, centre = group_budgets(c, budgets)
    width = float(budgets) if budgets is not None and np.ndim(budgets) == 0 else None
    if window is not None:
        keep = _near_minimum(n, y, labels, check_positive("window", window))
        n, c, y, labels = n[keep], c[keep], y[keep], labels[keep]
    profiles = _profiles(c, n, y, labels, centre, method, int(min_points))
    bad = [p for p in profiles if not p.used]
    if bad:
        warnings.warn(f"{len(bad)} of {len(profiles)} budgets excluded from the power-law fit: "
                      + "; ".join(f"C={p.flops:.3g}: {p.reason}" for p in bad), ProfileWarning, stacklevel=2)
    n_fit, d_fit, frontier = _exponents(profiles)
    if not np.isfinite(n_fit.exponent):
        warnings.warn(f"No exponent fitted: {sum(p.used for p in profiles)} of {len(profiles)} budgets have an "
                      "interior minimum and a power law needs 2 (the result's identification says why).",
                      ProfileWarning, stacklevel=2)
    samples = (_bootstrap(c, n, y, labels, centre, method, int(min_points), int(n_bootstrap), seed) if n_bootstrap
               else np.empty((0, 4)))
    if len(samples) >= 2:
        ia, ib = central_interval(samples[:, :2], level)
        n_fit = PowerLawFit(n_fit.exponent, n_fit.coef, n_fit.r2, (float(ia[0]), float(ib[0])))
        d_fit = PowerLawFit(d_fit.exponent, d_fit.coef, d_fit.r2, (float(ia[1]), float(ib[1])))
    ident, notes = _identify(profiles, method, int(min_points), samples[:, :2], int(n_bootstrap), width)
    return IsoFlopProfileResult(method, tuple(profiles), n_fit, d_fit, len(samples),
                                samples[:, :2] if n_bootstrap else None, int(n_bootstrap), level, ident, notes, width,
                                frontier, samples[:, 2:] if n_bootstrap else None)


def _bootstrap(c: np.ndarray, n: np.ndarray, y: np.ndarray, labels: np.ndarray, centre: np.ndarray, method: str,
               min_points: int, reps: int, seed: int) -> np.ndarray:
    """Exponents (a, b) and frontier (s, k) of ``reps`` replicates resampled within budgets, one row each;
    replicates without 2 usable budgets are dropped (their count is what
    :attr:`IsoFlopProfileResult.n_bootstrap` falls short of ``reps``)."""
    rng = np.random.default_rng(seed)
    groups = [np.flatnonzero(labels == k) for k in range(centre.size)]
    out = []
    for _ in range(reps):
        idx = np.concatenate([rng.choice(g, g.size) for g in groups])
        nf, df, fr = _exponents(_profiles(c[idx], n[idx], y[idx], labels[idx], centre, method, min_points))
        if np.isfinite(nf.exponent):
            out.append((nf.exponent, df.exponent, fr.exponent, fr.coef))
    return np.array(out).reshape(-1, 4)
