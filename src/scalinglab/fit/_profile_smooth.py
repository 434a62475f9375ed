"""The smooth IsoFLOP profile (``method="smooth"``): per budget ``L = E_C + A_C·e^(−αx) + B'_C·e^(βx)`` with the
exponents (α, β) shared by all budgets, fitted by a log grid over (α, β) and non-negative least squares for the
coefficients. See :func:`scalinglab.fit.profiles.fit_isoflop_profiles`."""

from __future__ import annotations

import numpy as np

# Exponent grid of the smooth profile: coarse log grid, then a finer one around the best pair.
_GRID = np.geomspace(0.05, 3.0, 36)


def _nnls_profile(fa: np.ndarray, fb: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Least squares of y ≈ E + A·fa + B'·fb with E free and A, B' ≥ 0, for P stacked designs (fa, fb: (P, m)).

    E is profiled out by centring, leaving 2×2 normal equations in closed form (vectorised over P). The
    constrained optimum of this convex problem is the unconstrained optimum on one face of the feasible cone,
    so trying the faces {A, B'}, {A}, {B'}, {} and keeping the best feasible one is exact NNLS.
    Returns ``theta`` (P, 3) = (E, A, B') and the residual sum of squares (P,).
    """
    fa_m, fb_m, y_m = fa.mean(1), fb.mean(1), y.mean()
    ac, bc, yc = fa - fa_m[:, None], fb - fb_m[:, None], y - y_m
    saa, sbb, sab = (ac * ac).sum(1), (bc * bc).sum(1), (ac * bc).sum(1)
    say, sby, syy = ac @ yc, bc @ yc, float(yc @ yc)
    p = fa.shape[0]
    best_a, best_b, best_sse = np.zeros(p), np.zeros(p), np.full(p, syy)  # face {}: a constant
    with np.errstate(divide="ignore", invalid="ignore"):
        for a, b, ok in (
            (say / saa, np.zeros(p), saa > 0),
            (np.zeros(p), sby / sbb, sbb > 0),
            ((sbb * say - sab * sby) / (saa * sbb - sab**2), (saa * sby - sab * say) / (saa * sbb - sab**2),
             saa * sbb - sab**2 > 1e-12 * saa * sbb),  # near-collinear designs are left to the 1-D faces
        ):
            sse = syy - a * say - b * sby
            take = ok & (a >= 0) & (b >= 0) & (sse < best_sse)
            best_a[take], best_b[take], best_sse[take] = a[take], b[take], sse[take]
    theta = np.stack([y_m - best_a * fa_m - best_b * fb_m, best_a, best_b], axis=1)
    return theta, best_sse


def _smooth_profiles(xs: list[np.ndarray], ys: list[np.ndarray]) -> list[tuple[dict[str, float], float | None,
                                                                                  float]]:
    """Fit L = E_C + A_C·e^(−αx) + B'_C·e^(βx) per budget with (α, β) shared, A_C, B'_C ≥ 0.

    Why this profile: it is the exact shape of the Chinchilla law along an iso-FLOP line, so unlike the parabola
    it is asymmetric (its vertex is not dragged when the N grid is off-centre) and convex by construction
    (A, B' ≥ 0 ⇒ L'' > 0), so it never opens downward. Five free parameters per budget are not identifiable from
    the 5–15 points a budget usually has; the law itself says α and β are the same at every budget, so they are
    shared, found by a two-level grid search (variable projection: the linear coefficients are solved exactly
    for each pair). The vertex is x* = ln(α A / (β B')) / (α + β); with A or B' = 0 there is no interior minimum.
    """
    centres = [x.mean() for x in xs]

    def total_sse(al: np.ndarray, be: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
        sse, thetas = np.zeros(al.size), []
        for x, y, xc in zip(xs, ys, centres):
            u = x - xc
            th, s = _nnls_profile(np.exp(-al[:, None] * u), np.exp(be[:, None] * u), y)
            sse += s
            thetas.append(th)
        return sse, thetas

    al, be = (g.ravel() for g in np.meshgrid(_GRID, _GRID))
    i = int(np.argmin(total_sse(al, be)[0]))
    step = np.log(_GRID[1] / _GRID[0])
    fine = np.linspace(-step, step, 17)
    al, be = (g.ravel() for g in np.meshgrid(al[i] * np.exp(fine), be[i] * np.exp(fine)))
    sse, thetas = total_sse(al, be)
    i = int(np.argmin(sse))
    alpha, beta = float(al[i]), float(be[i])
    out = []
    for x, xc, th in zip(xs, centres, thetas):
        e, a_u, b_u = th[i]
        coef = {"E": e, "A": a_u * np.exp(alpha * xc), "alpha": alpha, "B": b_u * np.exp(-beta * xc), "beta": beta}
        if a_u <= 0 or b_u <= 0:
            out.append((coef, None, float("nan")))
            continue
        u = np.log(alpha * a_u / (beta * b_u)) / (alpha + beta)
        out.append((coef, xc + u, float(e + a_u * np.exp(-alpha * u) + b_u * np.exp(beta * u))))
    return out
