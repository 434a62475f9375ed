"""Compare two methods by their scaling curves: the effective compute multiplier and whether it grows with scale.

Each side (a set of runs, or a saved fit) gives a curve of loss against x: by compute, its compute frontier
L*(C) (IsoFLOP profile minima of a grid, or the compute-optimal loss of a joint law fitted to the runs); by
tokens, L(N, D) along D at a held N; by parameters, along N at a held D (:mod:`._compare_sides`). Through each
curve ``L(x) = E + A·x^(−a)`` is fitted (:mod:`._compare_fit`), and

    M(x) = x_A(L_B(x)) / x

is how much more x side A needs to reach the loss side B reaches with x: M > 1 means B is the more efficient
(B reaches A's loss with M times less). Where ``L_B(x) <= E_A`` side A never reaches it: M is ``inf``
("unreachable"), never NaN. With ``exponents="shared"`` both sides have one E and one exponent and M is a
constant ``(A_A/A_B)^(1/a)``; with ``"separate"`` each side has its own and M varies with x.

Intervals: each side is resampled on its own (runs within IsoFLOP budgets, or whole runs for a joint law; a
saved fit's own bootstrap refits), the curves refitted on every pair of replicates, and the central ``level``
interval of M (and of the exponent difference ``a_B − a_A``) taken over them. Whether the advantage grows is
judged on the change of M across the x both sides measured (the verdict, see :data:`LIMITS`). The method,
limits and published results are in docs/compare.md.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .._intervals import DEFAULT_LEVEL, check_level, level_label
from .._validate import check_choice
from ..errors import ConfigError, FitError
from ..laws.fitted import FittedLaw
from ..laws.powerlaw import PowerLaw
from ._compare_fit import EXPONENT_BOUNDS, fit_separate, fit_shared, interval, log_multiplier, power_laws
from ._compare_result import Comparison, SideFit, grid_bands
from ._compare_sides import (CURVE_POINTS, MIN_POINTS, VARIABLE, SideCurve, data_range, is_isoflop, isoflop_side, law_side,
                             saved_side)
from .data import Runs
from .store_runs import StoreRuns

__all__ = ["compare_runs", "Comparison", "SideFit", "BY", "EXPONENTS", "FRONTIERS", "LIMITS"]

BY = tuple(VARIABLE)
EXPONENTS = ("separate", "shared")
FRONTIERS = ("auto", "isoflop", "law")

#: documented limits (docs/compare.md)
LIMITS = {
    # curve points a side needs for an estimate (3 fix E, A and a; separate exponents need a 4th for a residual)
    "min_points": MIN_POINTS,
    # M at an x is not identified when its interval spans more than this many decades
    "multiplier_decades": 2.0,
    # share of replicate pairs whose curve fit failed or put the exponent on a bound of its search range
    "degenerate_share": 0.10,
    # the advantage "holds" when the interval of M's change across the measured range lies within ×/÷ this
    "holds_within": 1.25,
}

Side = Runs | StoreRuns | FittedLaw


def _check_count(n_bootstrap: Any) -> int:
    if isinstance(n_bootstrap, bool) or not isinstance(n_bootstrap, (int, np.integer)) or n_bootstrap < 0 \
            or n_bootstrap == 1:
        raise ConfigError(f"The 'n_bootstrap' parameter must be 0 or an integer >= 2. Got {n_bootstrap!r}.")
    return int(n_bootstrap)


def _positive(name: str, values: Any) -> np.ndarray:
    try:
        v = np.atleast_1d(np.asarray(values, dtype=float)).ravel()
    except (TypeError, ValueError):
        raise ConfigError(f"The '{name}' parameter must hold numbers > 0. Got {values!r}.") from None
    if v.size == 0 or not (np.isfinite(v) & (v > 0)).all():
        raise ConfigError(f"The '{name}' parameter must hold finite numbers > 0. Got {values!r}.")
    return v


def _unpack(side: Any, budgets: Any, label: str) -> tuple[Runs | None, Any, FittedLaw | None]:
    if isinstance(side, StoreRuns):
        return side.fit, side.budgets if budgets is None else budgets, None
    if isinstance(side, Runs):
        return side, budgets, None
    if isinstance(side, FittedLaw):
        if budgets is not None:
            raise ConfigError(f"Side {label} is a saved fit, so its 'budgets' cannot apply. Got budgets for it.")
        return None, None, side
    raise ConfigError(f"Side {label} must be Runs, StoreRuns (a store) or a FittedLaw (a saved fit). Got "
                      f"{type(side).__name__}.")


def _span(ranges: list[tuple[float, float]], at: np.ndarray | None) -> tuple[float, float]:
    """Where laws are read: across the runs' x (both sides'); without runs, across ``at`` (at least 2 decades)."""
    if ranges:
        return min(r[0] for r in ranges), max(r[1] for r in ranges)
    if at is None:
        raise ConfigError("Two saved fits carry no runs to say which x to compare them over; the 'at' parameter (--at) "
                          "must give the x values. Got None.")
    lo, hi = float(at.min()), float(at.max())
    mid = np.sqrt(lo * hi)
    return min(lo, mid / 10.0), max(hi, mid * 10.0)


def compare_runs(a: Side, b: Side, *, by: str = "compute", exponents: str = "separate", frontier: str = "auto",
                 family: str | None = None, n_bootstrap: int | None = None, seed: int = 0,
                 level: float = DEFAULT_LEVEL, at: Any = None, hold: float | None = None, budgets_a: Any = None,
                 budgets_b: Any = None, names: tuple[str, str] | None = None,
                 progress: Callable[[int, int], None] | None = None) -> Comparison:
    """Compare side ``b`` against side ``a`` (module docstring).

    Parameters
    ----------
    a, b : Runs, StoreRuns or FittedLaw
        Runs (with ``budgets_a``/``budgets_b``: nominal IsoFLOP budget labels, one per run), a store's runs
        (:func:`~scalinglab.fit.runs_from_store`: its sweep budgets are used), or a saved fit with bootstrap refits.
    by : {"compute", "tokens", "params"}
        x of the curves: training compute C = 6ND (the frontier), tokens D at a held N, or parameters N at a held
        D (``hold``; default the geometric middle of the runs' N or D both sides share).
    exponents : {"separate", "shared"}
        Fit each side's E and exponent on its own (M varies with x), or one E and exponent for both (M constant).
    frontier : {"auto", "isoflop", "law"}
        By compute, how runs give their frontier: IsoFLOP profile minima (runs must be an IsoFLOP grid), the
        compute-optimal loss of a joint law of ``family`` fitted to the runs, or ``auto`` (profiles where the
        runs are a grid). By tokens or parameters a joint law is always fitted.
    family : {"chinchilla", "kaplan", "over-training"}, optional
        The joint law fitted where a side's curve comes from one (default chinchilla); refused where no side's
        does.
    n_bootstrap : int, optional
        Replicates per side (default 200; 0: no intervals). Refused when both sides are saved fits (their refits
        are the replicates); with one saved fit, its refits are drawn to match.
    at : array_like, optional
        x values at which M is reported (default 5 across the x both sides measured).
    names : (str, str), optional
        What each side is (a file and its filter, a sweep), for tables and figures; default "A" and "B".
    progress : callable, optional
        ``progress(done, total)`` as bootstrap replicates finish.
    """
    labels = ("A", "B")
    check_choice("by", by, BY)
    check_choice("exponents", exponents, EXPONENTS)
    check_choice("frontier", frontier, FRONTIERS)
    level = check_level(level)
    if by != "compute" and frontier == "isoflop":
        raise ConfigError(f"IsoFLOP profiles give the compute frontier only; comparing by {by} reads a joint law. "
                          "Got frontier='isoflop' with by=" + repr(by) + ".")
    if by == "compute" and hold is not None:
        raise ConfigError(f"The 'hold' parameter holds N (by tokens) or D (by params) fixed; by compute the "
                          f"frontier moves both. Got hold={hold!r} with by='compute'.")
    (runs_a, bud_a, fit_a), (runs_b, bud_b, fit_b) = _unpack(a, budgets_a, labels[0]), _unpack(b, budgets_b, labels[1])
    if fit_a is not None and fit_b is not None and n_bootstrap is not None:
        raise ConfigError("Both sides are saved fits: their own bootstrap refits give the intervals, so the "
                          f"'n_bootstrap' parameter cannot act. Got n_bootstrap={n_bootstrap!r}.")
    reps = 200 if n_bootstrap is None else _check_count(n_bootstrap)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ConfigError(f"The 'seed' parameter must be an integer >= 0. Got {seed!r}.")
    at_v = None if at is None else _positive("at", at)
    runs = [(lab, r, bud) for lab, r, bud in ((labels[0], runs_a, bud_a), (labels[1], runs_b, bud_b)) if r is not None]
    kinds = {lab: _kind(lab, r, bud, by, frontier) for lab, r, bud in runs}
    ranges = [_range(r, by, kinds[lab]) for lab, r, _ in runs]
    if family is not None and "law" not in kinds.values():
        why = "both sides are saved fits" if not runs else "every side of runs gives IsoFLOP profile minima"
        raise ConfigError(f"The 'family' parameter chooses the joint law fitted to a side's runs, and {why}, so it "
                          f"cannot act. Got family={family!r}.")
    laws = [f.law for f in (fit_a, fit_b) if f is not None]
    if hold is not None and len(laws) == 2 and all(isinstance(lw, PowerLaw) for lw in laws):
        raise ConfigError(f"The 'hold' parameter holds N or D fixed in a joint law; both sides are one-variable "
                          f"laws, so it cannot act. Got hold={hold!r}.")
    if by != "compute" and hold is None:
        hold = _default_hold(runs, by)
    if hold is not None:
        hold = float(_positive("hold", hold)[0])
    lo, hi = _span(ranges, at_v)
    x_law = np.geomspace(lo, hi, CURVE_POINTS)
    total = reps * len(runs)
    done = [0]

    def tick() -> None:
        done[0] += 1
        if progress is not None:
            progress(done[0], total)

    sides = []
    # each side resamples with its own stream: the same indices on both would correlate their replicates
    side_seeds = [int(s) for s in np.random.SeedSequence(seed).generate_state(2)]
    for lab, r, bud, fitted, s_seed in ((labels[0], runs_a, bud_a, fit_a, side_seeds[0]),
                                        (labels[1], runs_b, bud_b, fit_b, side_seeds[1])):
        if fitted is not None:
            sides.append(saved_side(lab, fitted, by=by, x=x_law, hold=hold))
        elif kinds[lab] == "isoflop":
            sides.append(isoflop_side(lab, r, budgets=bud, n_bootstrap=reps, seed=s_seed, progress=tick))
        else:
            sides.append(law_side(lab, r, by=by, x=x_law, family=family or "chinchilla", hold=hold,
                                  n_bootstrap=reps, seed=s_seed, progress=tick))
    # an IsoFLOP frontier spans the budgets that have a minimum, not every budget run
    ranges = [s.data_range for s in sides if s.data_range is not None]
    return _compare(sides, by=by, exponents=exponents, level=level, seed=seed, at=at_v, hold=hold,
                    ranges=ranges, n_bootstrap=reps, names=names or labels)


def _kind(label: str, runs: Runs, budgets: Any, by: str, frontier: str) -> str:
    if by != "compute" or frontier == "law":
        return "law"
    why = is_isoflop(runs, budgets)
    if frontier == "isoflop" and why is not None:
        raise ConfigError(f"Side {label} cannot give an IsoFLOP frontier: {why} (frontier='law' reads the frontier "
                          "of a joint law fitted to the runs).")
    return "isoflop" if why is None else "law"


def _range(runs: Runs, by: str, kind: str) -> tuple[float, float]:
    """The runs' x; an IsoFLOP side's is narrowed to its budgets with a minimum once they are known."""
    return data_range(runs, "compute" if kind == "isoflop" else by)


def _default_hold(runs: list[tuple[str, Runs, Any]], by: str) -> float:
    """The geometric middle of the N (by tokens) or D (by params) both sides' runs share."""
    held = "params" if by == "tokens" else "tokens"
    if not runs:
        raise ConfigError(f"Comparing two saved fits by {by} needs the held {'N' if by == 'tokens' else 'D'}; the "
                          "'hold' parameter must give it. Got None.")
    rs = [data_range(r, held) for _, r, _ in runs]
    lo, hi = max(r[0] for r in rs), min(r[1] for r in rs)
    if lo > hi:
        lo, hi = min(r[0] for r in rs), max(r[1] for r in rs)
    return float(np.sqrt(lo * hi))


def _pair(sides: list[SideCurve], seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The replicates of both sides, paired: runs sides keep theirs (the fewer count wins); a saved fit's refits
    are drawn (with replacement where they are fewer) to match."""
    rng = np.random.default_rng(seed + 7919)
    own = [len(s.draws) for s in sides if s.kind != "saved"]
    count = min(own) if own else max(len(s.draws) for s in sides)
    out = []
    for s in sides:
        d = s.draws
        if s.kind == "saved" and len(d) and len(d) != count:
            d = d[rng.choice(len(d), count, replace=len(d) < count)]
        out.append(d[:count])
    return out[0], out[1]


def _fit(sides: list[SideCurve], ya: np.ndarray, yb: np.ndarray, exponents: str) -> tuple[dict, dict]:
    if exponents == "shared":
        return fit_shared((sides[0].x, sides[1].x), (ya, yb))
    return fit_separate(sides[0].x, ya), fit_separate(sides[1].x, yb)


def _point_reasons(side: SideCurve, exponents: str, at_bound: bool) -> list[str]:
    k = int(np.isfinite(side.point).sum())
    if k < LIMITS["min_points"]:
        raise FitError(f"Side {side.label}'s curve is not identified: {k} point(s) ({side.what}), and a curve "
                       f"E + A·x^(-a) needs at least {LIMITS['min_points']}. Give it more budgets or runs.")
    reasons = list(side.reasons)
    if exponents == "separate" and k == LIMITS["min_points"]:
        reasons.append(f"{k} points fix its E, A and exponent exactly, with no residual to check them")
    if at_bound:
        reasons.append(f"its exponent lies on a bound of the search range {EXPONENT_BOUNDS} (its points do not bend "
                       "like E + A·x^(-a))")
    return [f"side {side.label}: {r}" for r in reasons]


def _compare(sides: list[SideCurve], *, by: str, exponents: str, level: float, seed: int, at: np.ndarray | None,
             hold: float | None, ranges: list[tuple[float, float]], n_bootstrap: int,
             names: tuple[str, str]) -> Comparison:
    var = VARIABLE[by]
    pa, pb = _fit(sides, sides[0].point[None, :], sides[1].point[None, :], exponents)
    law_a, law_b = power_laws(pa, var)[0], power_laws(pb, var)[0]
    reasons = (_point_reasons(sides[0], exponents, bool(pa["at_bound"][0]))
               + _point_reasons(sides[1], exponents, bool(pb["at_bound"][0])))
    if law_a is None or law_b is None:
        bad = sides[0] if law_a is None else sides[1]
        raise FitError(f"Side {bad.label}'s curve is not identified: no E + A·x^(-a) with A > 0 fits its points "
                       f"({bad.what}); its loss does not fall with x.")
    trend_lo, trend_hi = _trend_range(ranges, at, law_a, law_b)
    at = np.geomspace(trend_lo, trend_hi, 5) if at is None else at
    ya, yb = _pair(sides, seed)
    da, db = _fit(sides, ya, yb, exponents) if len(ya) else ({}, {})
    laws_a = power_laws(da, var) if len(ya) else []
    laws_b = power_laws(db, var) if len(ya) else []
    good = [i for i in range(len(ya)) if laws_a[i] is not None and laws_b[i] is not None
            and not da["at_bound"][i] and not db["at_bound"][i]]
    n_bad = len(ya) - len(good)
    if len(ya) and n_bad / len(ya) > LIMITS["degenerate_share"]:
        reasons.append(f"{n_bad} of {len(ya)} replicate pairs ({n_bad / len(ya):.0%}) gave no curve or put an "
                       f"exponent on a bound (limit {LIMITS['degenerate_share']:.0%})")
    xs = np.concatenate([at, [trend_lo, trend_hi]])
    point = log_multiplier(law_a, law_b, xs)
    draws = np.array([log_multiplier(laws_a[i], laws_b[i], xs) for i in good]).reshape(len(good), xs.size)
    lo, hi = interval(draws, level) if len(good) >= 2 else (np.full(xs.size, np.nan), np.full(xs.size, np.nan))
    n = at.size
    at_reasons = tuple(_at_reason(point[j], lo[j], hi[j]) for j in range(n)) if len(good) >= 2 else ("",) * n
    growth = _growth(point[n:], draws[:, n:] if len(good) else draws, level)
    fits = [_side_fit(s, nm, law, d, good, level, var) for s, nm, law, d in
            ((sides[0], names[0], law_a, laws_a), (sides[1], names[1], law_b, laws_b))]
    diff, diff_iv = None, None
    if exponents == "separate":
        diff = law_b.alpha - law_a.alpha
        if len(good) >= 2:
            diff_iv = tuple(float(v[0]) for v in interval(np.array([laws_b[i].alpha - laws_a[i].alpha for i in good]),
                                                          level))
    verdict, why = _verdict(exponents, growth, len(good), trend_lo, trend_hi, by)
    status = "not identified" if reasons else ("identified" if len(good) >= 2 else "unchecked")
    unreach = np.isposinf(draws[:, :n]).mean(axis=0) if len(good) else np.zeros(n)
    return Comparison(
        by=by, exponents=exponents, level=level, seed=seed, hold=hold, n_bootstrap=n_bootstrap, n_pairs=len(good),
        n_degenerate=n_bad, sides=tuple(fits), at=at, multiplier=np.exp(point[:n]), lower=np.exp(lo[:n]),
        upper=np.exp(hi[:n]), unreachable=unreach, at_reasons=at_reasons, exponent_difference=diff,
        exponent_interval=diff_iv, trend_range=(trend_lo, trend_hi), trend=growth[0], trend_interval=growth[1],
        verdict=verdict, verdict_reason=why, status=status, reasons=tuple(reasons),
        grid=grid_bands(law_a, law_b, [laws_a[i] for i in good], [laws_b[i] for i in good],
                        ranges, at, level, var),
        provenance={"sides": [s.provenance for s in sides], "seed": seed, "level": level,
                    "curve_fit": "least squares on relative residuals, exponent searched on a grid",
                    "interval": f"{level_label(level)} central interval over {len(good)} paired bootstrap replicates"})


def _trend_range(ranges: list[tuple[float, float]], at: np.ndarray | None, law_a: Any, law_b: Any
                 ) -> tuple[float, float]:
    """The x both sides measured (their overlap; the union where they do not overlap; with one side of runs,
    its range; with none, the span of ``at``)."""
    if len(ranges) == 2 and max(r[0] for r in ranges) < min(r[1] for r in ranges):
        return max(r[0] for r in ranges), min(r[1] for r in ranges)
    if ranges:
        return min(r[0] for r in ranges), max(r[1] for r in ranges)
    assert at is not None  # _span refused two saved fits without it
    return float(at.min()), float(at.max())


def _at_reason(point: float, lo: float, hi: float) -> str:
    if np.isposinf(lo):
        return ""  # every replicate agrees: A never reaches B's loss here
    width = (hi - lo) / np.log(10.0)
    if width > LIMITS["multiplier_decades"]:
        shown = "unbounded (in some replicates A never reaches B's loss)" if np.isposinf(hi) else \
            f"{np.exp(lo):.3g}–{np.exp(hi):.3g}, {width:.1f} decades"
        return f"the interval of M is {shown}; limit {LIMITS['multiplier_decades']:g} decades"
    return ""


def _growth(point: np.ndarray, draws: np.ndarray, level: float) -> tuple[float, tuple[float, float] | None]:
    """M(x_hi)/M(x_lo) across the measured range, and its interval."""
    ratio = float(np.exp(point[1] - point[0])) if np.isfinite(point).all() else float("inf")
    if len(draws) < 2:
        return ratio, None
    with np.errstate(invalid="ignore"):
        d = draws[:, 1] - draws[:, 0]
    d = np.where(np.isposinf(draws[:, 1]) & ~np.isposinf(draws[:, 0]), np.inf, d)
    d = np.where(np.isposinf(draws[:, 0]), np.nan, d)  # unreachable at both ends: no ratio
    lo, hi = interval(d[:, None], level)
    return ratio, (float(np.exp(lo[0])), float(np.exp(hi[0])))


def _verdict(exponents: str, growth: tuple[float, tuple[float, float] | None], pairs: int, x_lo: float,
             x_hi: float, by: str) -> tuple[str, str]:
    span = f"from {x_lo:.3g} to {x_hi:.3g} (the {by} both sides measured)"
    if exponents == "shared":
        return "assumed constant", ("shared exponents make M the same at every x; exponents='separate' tests "
                                    "whether it grows")
    iv = growth[1]
    if iv is None:
        return "cannot tell", f"no bootstrap replicates ({pairs}) to give M's change {span} an interval"
    txt = f"M changes ×{growth[0]:.3g} ({iv[0]:.3g}–{iv[1]:.3g}) {span}"
    if iv[0] > 1:
        return "grows", txt + ": the interval lies above 1"
    if iv[1] < 1:
        return "shrinks", txt + ": the interval lies below 1"
    h = LIMITS["holds_within"]
    if iv[0] >= 1 / h and iv[1] <= h:
        return "holds", txt + f": the interval holds 1 and lies within ×/÷{h:g}"
    return "cannot tell", txt + f": the interval holds 1 but reaches beyond ×/÷{h:g}"


def _side_fit(side: SideCurve, name: str, law: Any, laws: list[Any], good: list[int], level: float,
              var: str) -> SideFit:
    coef = {"E": law.E, "A": law.A, "a": law.alpha}
    ivs: dict[str, tuple[float, float]] = {}
    if len(good) >= 2:
        rows = np.array([[laws[i].E, laws[i].A, laws[i].alpha] for i in good])
        lo, hi = interval(rows, level)
        ivs = {k: (float(lo[j]), float(hi[j])) for j, k in enumerate(coef)}
    return SideFit(side.label, str(name), side.kind, side.what, side.n_runs, side.x, side.point, coef, ivs,
                   side.data_range, side.notes, side.n_requested, side.n_failed, var)
