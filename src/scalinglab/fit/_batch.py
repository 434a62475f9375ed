"""Batched Levenberg–Marquardt for the Chinchilla objective: every start (and every bootstrap replicate)
advances at once as one stack of 5×5 systems.

Why this shape. The objective is badly conditioned (cond ~1e11 in ``θ = (a, b, e, α, β)``) and cheap per
evaluation, so the cost of a scipy loop is almost all Python overhead and finite differences. Here each
iteration is a handful of numpy passes over an ``(S, n)`` array (S problems, n runs):

- the intercepts are centred, ``a' = a − α·mean(log N)`` and ``b' = b − β·mean(log D)``, which removes most
  of the correlation between ``a`` and ``α`` (the same step makes Gauss–Newton well scaled);
- the step solves ``(JᵀΩJ + λ·diag(JᵀΩJ)) δ = −Jᵀψ`` for all problems with one :func:`numpy.linalg.solve`
  on the stack, where ``Ω`` holds IRLS weights ``ρ'(r)/r`` (a quadratic majoriser of Huber's penalty);
- each problem accepts or rejects its own step and adapts its own damping λ (Marquardt 1963);
- problems that have converged leave the active set, so late iterations touch few rows.

Finishing the best candidates to full precision is the caller's job (scipy L-BFGS-B, ``jac=True``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .objectives import penalty

__all__ = ["BatchOutcome", "batched_lm", "marquardt_update"]


@dataclass(frozen=True)
class BatchOutcome:
    """Final state of every problem: ``theta`` (S, 5) as (a, b, e, α, β), objective, converged, iterations."""

    theta: np.ndarray
    objective: np.ndarray
    converged: np.ndarray
    n_iter: np.ndarray


_BLOCK = 128  # rows per pass: keeps every (rows, n) temporary in cache; larger blocks run memory-bound
_IU = np.triu_indices(5, 1)


def _evaluate(u, xc, yc, ell, w, loss, delta, tau, want_jac):
    """Objective per problem at centred parameters ``u`` (S, 5); with ``want_jac`` also the gradient (S, 5)
    and the IRLS Gauss–Newton matrix ``JᵀΩJ`` (S, 5, 5).

    ``w`` is (1, n) shared weights or (S, n). The Jacobian is never stored: with softmax weights s₁, s₂,
    s₃ every entry of ``JᵀΩJ`` is a weighted sum of ``ω sᵢ sⱼ`` against 1, x, y, x², xy or y², so one
    matrix product of the six (and three gradient) products with that basis gives them all.
    """
    n_prob = u.shape[0]
    f = np.empty(n_prob)
    g = np.empty((n_prob, 5)) if want_jac else None
    h = np.empty((n_prob, 5, 5)) if want_jac else None
    hn = np.empty((n_prob, 5, 5)) if want_jac else None
    basis = np.stack([np.ones_like(xc), xc, yc, xc * xc, xc * yc, yc * yc], axis=1)
    shared = w.shape[0] == 1
    for s0 in range(0, n_prob, _BLOCK):
        ub = u[s0:s0 + _BLOCK]
        k = ub.shape[0]
        e = ub[:, 2:3]
        # LSE relative to the constant term: log L = e + log(1 + exp(z1) + exp(z2)); z stays < 700 in the
        # bounded parameter box, so no overflow guard pass is needed.
        z1 = (ub[:, 0:1] - e) - ub[:, 3:4] * xc
        z2 = (ub[:, 1:2] - e) - ub[:, 4:5] * yc
        np.exp(z1, out=z1)
        np.exp(z2, out=z2)
        tot = z1 + z2
        tot += 1.0
        r = np.log(tot)
        r += e
        r -= ell
        rho, psi, omega = penalty(r, loss, delta, tau)
        wb = w[0] if shared else w[s0:s0 + _BLOCK]
        f[s0:s0 + k] = rho @ wb if shared else np.einsum("sn,sn->s", rho, wb)
        if not want_jac:
            continue
        if not shared:
            omega = omega * wb
            psi = psi * wb
        elif w[0].min() != 1.0 or w[0].max() != 1.0:
            omega = omega * wb
            psi = psi * wb
        rpp = omega.copy() if loss == "mse" else omega * (np.abs(r) <= delta)  # a copy: omega stays ω
        rpp -= psi  # exact Hessian: Σ ρ''·∇r∇rᵀ + Σ ψ·∇²r with ∇²(LSE) = diag(s) − ssᵀ in the three terms
        np.divide(z1, tot, out=z1)  # softmax weights s1, s2, s3 of the three terms
        np.divide(z2, tot, out=z2)
        s3 = 1.0 - z1 - z2
        q = np.empty((15, k, xc.size))
        for c0, c in ((0, omega), (6, rpp)):
            np.multiply(z1, c, out=q[c0])
            np.multiply(q[c0], z2, out=q[c0 + 1])
            np.multiply(q[c0], s3, out=q[c0 + 2])
            q[c0] *= z1
            np.multiply(z2, c, out=q[c0 + 3])
            np.multiply(q[c0 + 3], s3, out=q[c0 + 4])
            q[c0 + 3] *= z2
            np.multiply(s3, c, out=q[c0 + 5])
            q[c0 + 5] *= s3
        np.multiply(psi, z1, out=q[12])
        np.multiply(psi, z2, out=q[13])
        np.multiply(psi, s3, out=q[14])
        q[6] += q[12]
        q[9] += q[13]
        q[11] += q[14]
        p = (q.reshape(15 * k, -1) @ basis).reshape(15, k, 6)
        for c0, hh in ((0, h), (6, hn)):
            p11, p12, p13, p22, p23, p33 = p[c0:c0 + 6]
            hb = hh[s0:s0 + k]
            hb[:, 0, 0], hb[:, 0, 1], hb[:, 0, 2] = p11[:, 0], p12[:, 0], p13[:, 0]
            hb[:, 0, 3], hb[:, 0, 4] = -p11[:, 1], -p12[:, 2]
            hb[:, 1, 1], hb[:, 1, 2], hb[:, 1, 3], hb[:, 1, 4] = p22[:, 0], p23[:, 0], -p12[:, 1], -p22[:, 2]
            hb[:, 2, 2], hb[:, 2, 3], hb[:, 2, 4] = p33[:, 0], -p13[:, 1], -p23[:, 2]
            hb[:, 3, 3], hb[:, 3, 4], hb[:, 4, 4] = p11[:, 3], p12[:, 4], p22[:, 5]
            hb[:, _IU[1], _IU[0]] = hb[:, _IU[0], _IU[1]]
        gb = g[s0:s0 + k]
        gb[:, 0], gb[:, 1], gb[:, 2] = p[12, :, 0], p[13, :, 0], p[14, :, 0]
        gb[:, 3], gb[:, 4] = -p[12, :, 1], -p[13, :, 2]
    return f, g, h, hn


def marquardt_update(f_old: np.ndarray, f_trial: np.ndarray, active: np.ndarray, lam: np.ndarray,
                     ftol: float, n_prob: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-problem acceptance and damping (Marquardt 1963) for the problems ``active``.

    A trial is accepted when its objective is finite and not above ``f_old`` (the active problems' current
    values); damping ``lam`` (all problems, updated in place) shrinks ×0.2 on acceptance and grows ×8 on
    rejection. Returns ``(ok, acc, done)``: the accepted mask over ``active``, the accepted problem indices,
    and a length-``n_prob`` mask of problems that converged (relative gain ≤ ``ftol``, or damping > 1e12,
    i.e. no step helps even when tiny).
    """
    ok = np.isfinite(f_trial) & (f_trial <= f_old)
    acc, rej = active[ok], active[~ok]
    gain = f_old[ok] - f_trial[ok]
    lam[acc] = np.maximum(lam[acc] * 0.2, 1e-12)
    lam[rej] *= 8.0
    done = np.zeros(n_prob, dtype=bool)
    done[acc[gain <= ftol * np.maximum(f_trial[ok], 1e-300)]] = True
    done[rej[lam[rej] > 1e12]] = True
    return ok, acc, done


def batched_lm(
    theta0: np.ndarray,
    log_n: np.ndarray,
    log_d: np.ndarray,
    log_loss: np.ndarray,
    *,
    weights: np.ndarray | None = None,
    loss: str = "huber",
    delta: float = 1e-3,
    asymmetry: float = 0.75,
    lower: np.ndarray,
    upper: np.ndarray,
    max_iter: int = 300,
    ftol: float = 1e-12,
) -> BatchOutcome:
    """Minimise the Chinchilla objective from every row of ``theta0`` (S, 5) at once.

    ``weights`` is ``None`` (all ones), shape ``(n,)`` (shared) or ``(S, n)`` (one row per problem, as in the
    bootstrap). ``lower``/``upper`` bound ``(e, α, β)`` (the last three coordinates); steps are projected.
    A problem converges when an accepted step lowers its objective by less than ``ftol`` relatively, or
    when no step is accepted even with damping 1e12 (a stationary point to machine precision).
    """
    theta0 = np.atleast_2d(np.asarray(theta0, dtype=float))
    n_prob = theta0.shape[0]
    xbar, ybar = float(log_n.mean()), float(log_d.mean())
    xc, yc, ell = log_n - xbar, log_d - ybar, log_loss
    if weights is None:
        w_all = np.ones((1, log_n.size))
    else:
        w_all = np.atleast_2d(np.asarray(weights, dtype=float))
    shared_w = w_all.shape[0] == 1

    # (e, α, β) as given; the centred intercepts only get a wide safety box that keeps exp() finite.
    lo = np.concatenate([[-300.0, -300.0], np.asarray(lower, float)[-3:]])
    hi = np.concatenate([[300.0, 300.0], np.asarray(upper, float)[-3:]])

    u = theta0.copy()
    u[:, 2:] = np.clip(u[:, 2:], lo[2:], hi[2:])
    u[:, 0] -= u[:, 3] * xbar
    u[:, 1] -= u[:, 4] * ybar
    u = np.clip(u, lo, hi)
    lam = np.full(n_prob, 1e-3)
    converged = np.zeros(n_prob, dtype=bool)
    n_iter = np.zeros(n_prob, dtype=int)

    def rows(idx):
        return w_all if shared_w else w_all[idx]

    f, g, h, hn = _evaluate(u, xc, yc, ell, w_all, loss, delta, asymmetry, True)
    active = np.flatnonzero(np.isfinite(f))
    eye = np.eye(5)
    for _ in range(max_iter):
        if active.size == 0:
            break
        n_iter[active] += 1
        hi_a, hn_a = h[active], hn[active]
        diag = np.einsum("sii->si", hi_a)
        scale = np.maximum(diag, 1e-12 * diag.max(axis=1, keepdims=True) + 1e-300)
        # Newton where the exact Hessian is positive definite (fast local convergence, also along the
        # curved valley), the IRLS Gauss–Newton matrix elsewhere (always PSD); Marquardt damping on top.
        ev = np.linalg.eigvalsh(hn_a)
        pd = ev[:, 0] > 1e-9 * ev[:, -1]
        base = np.where(pd[:, None, None], hn_a, hi_a)
        sys_ = base + (lam[active, None] * scale)[:, :, None] * eye
        try:
            step = np.linalg.solve(sys_, -g[active][..., None])[..., 0]
        except np.linalg.LinAlgError:
            step = -g[active] / scale  # a singular stack is rare; fall back to scaled gradient
        trial = np.clip(u[active] + step, lo, hi)
        # objective only at the trials; derivatives only where the step is accepted (most of the cost)
        ft = _evaluate(trial, xc, yc, ell, rows(active), loss, delta, asymmetry, False)[0]
        ok, acc, done = marquardt_update(f[active], ft, active, lam, ftol, n_prob)
        if acc.size:
            u[acc] = trial[ok]
            f[acc], g[acc], h[acc], hn[acc] = _evaluate(u[acc], xc, yc, ell, rows(acc), loss, delta,
                                                        asymmetry, True)
        converged |= done
        active = active[~done[active]]

    theta = u.copy()
    theta[:, 0] += theta[:, 3] * xbar
    theta[:, 1] += theta[:, 4] * ybar
    return BatchOutcome(theta=theta, objective=f, converged=converged, n_iter=n_iter)
