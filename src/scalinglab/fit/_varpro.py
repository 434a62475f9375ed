"""Variable projection for the Chinchilla objective: search over the exponents (α, β) only, with the
linear coefficients (A, B, E) solved for at every (α, β).

``L̂ = A·N^−α + B·D^−β + E`` is linear in ``c = (A, B, E) ≥ 0`` once ``φ = (α, β)`` is fixed, so the
objective of Hoffmann et al. (App. D.2) splits as ``F(φ) = min_{c ≥ 0} Σ wᵢ ρ(log L̂ᵢ(c, φ) − log Lᵢ)``
(Golub & Pereyra 1973, 2003). What this buys over a joint search in ``(a, b, e, α, β)``:

- a coefficient that a joint search drives towards zero (``a → −∞``: the term is "dead", its softmax share
  ~1e-9 and its gradient with it) is here an ordinary coordinate at its bound ``c = 0`` with an honest
  gradient, so the inner solve revives it as soon as the data want it. From Hoffmann's grid most joint
  starts spend tens of iterations in such plateaus;
- the starting values of ``(a, b, e)`` no longer matter: each start is a point ``φ₀``, and the inner
  problem starts from the exact (convex) solution of the relative-error least squares
  ``min_{c ≥ 0} Σ wᵢ (L̂ᵢ/Lᵢ − 1)²`` — for small residuals ``log L̂/L ≈ L̂/L − 1`` — which is then refined
  by damped Newton steps on the real objective.

Outer step. At the inner optimum the reduced Newton step on φ is the φ-part of the joint Newton step
(the Schur complement ``H_φφ − H_φc H_cc⁻¹ H_cφ``), so each outer iteration solves one 5×5 system with
Marquardt damping on the φ-block, predicts ``c`` along with it, and re-solves the inner problem at the
trial φ. Coefficients at their bound with a gradient pushing outwards are held fixed (projected Newton).
All problems advance together, as in :mod:`scalinglab.fit._batch`.
"""

from __future__ import annotations

import numpy as np

from ._batch import BatchOutcome, marquardt_update
from .objectives import penalty

__all__ = ["varpro_chinchilla", "project_coefficients"]

_SUPPORTS = np.array([[1, 1, 1], [1, 1, 0], [1, 0, 1], [0, 1, 1], [1, 0, 0], [0, 1, 0], [0, 0, 1]], dtype=bool)


class _Problem:
    """Centred data and the penalty settings shared by every problem of a batch."""

    def __init__(self, log_n, log_d, log_loss, weights, loss, delta, asymmetry):
        self.xbar, self.ybar = float(np.mean(log_n)), float(np.mean(log_d))
        self.xc, self.yc = np.asarray(log_n) - self.xbar, np.asarray(log_d) - self.ybar
        self.ell = np.asarray(log_loss, dtype=float)
        self.inv_l = np.exp(-self.ell)
        w = np.ones((1, self.ell.size)) if weights is None else np.atleast_2d(np.asarray(weights, dtype=float))
        self.w = w
        self.loss, self.delta, self.tau = loss, delta, asymmetry

    def rows(self, idx):
        return self.w if self.w.shape[0] == 1 else self.w[idx]

    def basis(self, phi):
        """``U = e^{−α x̃}``, ``V = e^{−β ỹ}`` (S, n) at centred log N, log D."""
        return np.exp(-phi[:, :1] * self.xc), np.exp(-phi[:, 1:] * self.yc)

    def objective(self, c, u, v, w):
        lh = c[:, :1] * u + c[:, 1:2] * v + c[:, 2:]
        with np.errstate(divide="ignore", invalid="ignore"):
            r = np.log(lh) - self.ell
        rho, psi, omega = penalty(r, self.loss, self.delta, self.tau)
        f = (rho * w).sum(axis=1)
        f[~np.isfinite(f)] = np.inf
        return f, r, lh, psi, omega

    def curvature(self, r, omega, psi):
        """Weights of ``∇r∇rᵀ`` in the exact Hessian (``ρ'' − ψ``; the ``−ψ`` comes from ``∇²log``)."""
        rpp = omega if self.loss == "mse" else omega * (np.abs(r) <= self.delta)
        return rpp - psi


def _nnls_relative(u, v, prob: _Problem, w):
    """Exact ``argmin_{c ≥ 0} Σ w (L̂/L − 1)²`` for each problem: the best feasible of the 7 supports."""
    z = np.stack([u * prob.inv_l, v * prob.inv_l, np.broadcast_to(prob.inv_l, u.shape)], axis=2)  # (S, n, 3)
    wz = z * np.broadcast_to(w, u.shape)[:, :, None]
    g = np.einsum("snk,snl->skl", wz, z)
    h = wz.sum(axis=1)
    ridge = 1e-13 * np.einsum("skk->s", g)[:, None, None] * np.eye(3)
    best_c = np.zeros_like(h)
    best_f = np.full(h.shape[0], np.inf)
    for m in _SUPPORTS:
        mm = np.outer(m, m)
        sys_ = g * mm + ridge + np.diag(~m).astype(float)
        c = np.linalg.solve(sys_, (h * m)[..., None])[..., 0]
        feasible = (c >= 0).all(axis=1)
        f = -2.0 * np.einsum("sk,sk->s", h, c) + np.einsum("sk,skl,sl->s", c, g, c)
        take = feasible & (f < best_f)
        best_c[take], best_f[take] = c[take], f[take]
    return best_c


def _jac_parts(c, u, v, lh, prob: _Problem):
    """∇r with respect to (A, B, E, α, β) as an (S, n, 5) array."""
    inv = 1.0 / lh
    p, q = u * inv, v * inv
    return np.stack([p, q, inv, -c[:, :1] * prob.xc * p, -c[:, 1:2] * prob.yc * q], axis=2)


def _hessians(c, u, v, lh, r, psi, omega, w, prob: _Problem, k: int):
    """Gradient (S, k), exact Hessian and IRLS Gauss–Newton matrix (S, k, k) in the first ``k`` of
    (A, B, E, α, β)."""
    jr = _jac_parts(c, u, v, lh, prob)[:, :, :k]
    jt = jr.transpose(0, 2, 1)
    wpsi = w * psi
    gn = jt @ (jr * (w * omega)[:, :, None])
    ex = jt @ (jr * (w * prob.curvature(r, omega, psi))[:, :, None])
    g = (jt @ wpsi[:, :, None])[:, :, 0]
    if k == 5:  # second derivatives of L̂ itself, divided by L̂: only α, β and their own coefficient
        wp = wpsi / lh
        xu, yv = prob.xc * u, prob.yc * v
        t_au = -(wp * xu).sum(axis=1)
        t_bv = -(wp * yv).sum(axis=1)
        ex[:, 3, 0] += t_au
        ex[:, 0, 3] += t_au
        ex[:, 4, 1] += t_bv
        ex[:, 1, 4] += t_bv
        ex[:, 3, 3] += c[:, 0] * (wp * xu * prob.xc).sum(axis=1)
        ex[:, 4, 4] += c[:, 1] * (wp * yv * prob.yc).sum(axis=1)
    return g, ex, gn


def _damped_step(g, ex, gn, lam, damp_mask, fixed):
    """Newton step where the exact Hessian is positive definite, Gauss–Newton elsewhere; Marquardt damping
    on the coordinates of ``damp_mask`` (a tiny ridge on the others); coordinates in ``fixed`` stay put."""
    k = g.shape[1]
    ev = np.linalg.eigvalsh(np.where(fixed[:, :, None] | fixed[:, None, :], 0.0, ex) + np.eye(k) * fixed[:, None, :])
    pd = ev[:, 0] > 1e-10 * np.maximum(ev[:, -1], 1e-300)
    base = np.where(pd[:, None, None], ex, gn)
    diag = np.einsum("sii->si", base)
    scale = np.maximum(diag, 1e-12 * diag.max(axis=1, keepdims=True) + 1e-300)
    damping = np.where(damp_mask, lam[:, None], 1e-10) * scale
    sys_ = base + damping[:, :, None] * np.eye(k)
    free = ~fixed
    sys_ = np.where(free[:, :, None] & free[:, None, :], sys_, 0.0) + np.eye(k) * fixed[:, None, :]
    rhs = np.where(free, -g, 0.0)
    try:
        return np.linalg.solve(sys_, rhs[..., None])[..., 0]
    except np.linalg.LinAlgError:
        return rhs / scale


def _inner(c, u, v, idx, prob: _Problem, max_iter: int, ftol: float):
    """Refine ``c`` ≥ 0 at fixed (α, β) for problems ``idx``; returns (c, f)."""
    w = prob.rows(idx)
    f, r, lh, psi, omega = prob.objective(c, u, v, w)
    lam = np.full(len(c), 1e-3)
    active = np.flatnonzero(np.isfinite(f))
    for _ in range(max_iter):
        if active.size == 0:
            break
        wa = w if w.shape[0] == 1 else w[active]
        g, ex, gn = _hessians(c[active], u[active], v[active], lh[active], r[active], psi[active],
                              omega[active], wa, prob, 3)
        fixed = (c[active] <= 0.0) & (g > 0.0)
        step = _damped_step(g, ex, gn, lam[active], np.ones((active.size, 3), bool), fixed)
        trial = np.maximum(c[active] + step, 0.0)
        ft, rt, lht, psit, omt = prob.objective(trial, u[active], v[active], wa)
        ok, acc, done = marquardt_update(f[active], ft, active, lam, ftol, len(c))
        c[acc], f[acc], r[acc], lh[acc], psi[acc], omega[acc] = trial[ok], ft[ok], rt[ok], lht[ok], psit[ok], omt[ok]
        active = active[~done[active]]
    return c, f


def _to_theta(phi, c, prob: _Problem) -> np.ndarray:
    with np.errstate(divide="ignore"):
        logc = np.log(c)
    return np.column_stack([logc[:, 0] + phi[:, 0] * prob.xbar, logc[:, 1] + phi[:, 1] * prob.ybar,
                            logc[:, 2], phi[:, 0], phi[:, 1]])


def project_coefficients(phi, log_n, log_d, log_loss, *, loss="huber", delta=1e-3, asymmetry=0.75,
                         inner_iter: int = 30, ftol: float = 1e-12) -> np.ndarray:
    """The best (a, b, e) at each fixed (α, β) row of ``phi``: rows of (a, b, e, α, β)."""
    prob = _Problem(log_n, log_d, log_loss, None, loss, delta, asymmetry)
    phi = np.atleast_2d(np.asarray(phi, dtype=float))
    u, v = prob.basis(phi)
    c, _ = _inner(_nnls_relative(u, v, prob, prob.w), u, v, np.arange(len(phi)), prob, inner_iter, ftol)
    return _to_theta(phi, c, prob)


_SCAN = np.concatenate([[1e-3, 0.01, 0.02], np.arange(0.05, 1.0, 0.05), np.arange(1.0, 3.0, 0.1), np.arange(3.0, 10.01, 0.5)])


def _exchange(phi, c, u, v, lh, psi, omega, w, prob: _Problem, lo, hi):
    """Re-aim the exponent of a switched-off term (coefficient 0) where switching it on helps most.

    With ``A = 0`` the objective does not depend on α, so no local step can move α; yet another α may make
    the term worth having. For each candidate α the first-order gain of adding ``A·N^−α`` is
    ``g² / (2h)`` (gradient ``g < 0`` and Gauss–Newton curvature ``h`` of the coefficient); α jumps to the
    best candidate, the objective is unchanged, and the next step switches the term on. Same for β, B.
    Changes ``phi``, ``u``, ``v`` in place; returns whether any problem moved.
    """
    moved = False
    inv = 1.0 / lh
    for k, (col, t) in enumerate(((0, prob.xc), (1, prob.yc))):
        dead = np.flatnonzero(c[:, col] <= 0.0)
        if dead.size == 0:
            continue
        cand = _SCAN[(_SCAN >= lo[k]) & (_SCAN <= hi[k])]
        basis = np.exp(-cand[:, None] * t)  # (K, n)
        wd = np.broadcast_to(w, lh.shape)[dead]
        grad = (wd * psi[dead] * inv[dead]) @ basis.T  # (S_dead, K)
        curv = (wd * omega[dead] * inv[dead] ** 2) @ (basis ** 2).T
        gain = np.where(grad < 0.0, grad ** 2 / (2.0 * np.maximum(curv, 1e-300)), 0.0)
        best = np.argmax(gain, axis=1)
        go = gain[np.arange(dead.size), best] > 0.0
        if go.any():
            rows = dead[go]
            phi[rows, k] = cand[best[go]]
            if k == 0:
                u[rows] = np.exp(-phi[rows, :1] * prob.xc)
            else:
                v[rows] = np.exp(-phi[rows, 1:] * prob.yc)
            moved = True
    return moved


def varpro_chinchilla(
    phi0: np.ndarray,
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
    max_iter: int = 100,
    inner_iter: int = 5,
    ftol: float = 1e-12,
) -> BatchOutcome:
    """Minimise the Chinchilla objective over (α, β) from every row of ``phi0`` (S, 2) at once.

    ``lower``/``upper`` are the 5-vectors of :mod:`scalinglab.fit.parametric` (their last two bound α, β).
    Returns the same :class:`~scalinglab.fit._batch.BatchOutcome` as the joint search, with ``theta`` as
    (a, b, e, α, β); a coefficient solved to exactly zero comes back as ``log(0) = −inf``.
    """
    prob = _Problem(log_n, log_d, log_loss, weights, loss, delta, asymmetry)
    lo, hi = np.asarray(lower, float)[-2:], np.asarray(upper, float)[-2:]
    phi = np.clip(np.atleast_2d(np.asarray(phi0, dtype=float)), lo, hi)
    n_prob = len(phi)
    all_idx = np.arange(n_prob)
    u, v = prob.basis(phi)
    c = _nnls_relative(u, v, prob, prob.w)
    c, f = _inner(c, u, v, all_idx, prob, inner_iter, ftol)
    lam = np.full(n_prob, 1e-3)
    converged = np.zeros(n_prob, bool)
    n_iter = np.zeros(n_prob, int)
    active = np.flatnonzero(np.isfinite(f))
    damp = np.array([False, False, False, True, True])
    for _ in range(max_iter):
        if active.size == 0:
            break
        n_iter[active] += 1
        wa = prob.rows(active)
        ca, ua, va, pa = c[active], u[active], v[active], phi[active]
        _, r, lh, psi, omega = prob.objective(ca, ua, va, wa)
        if _exchange(pa, ca, ua, va, lh, psi, omega, wa, prob, lo, hi):
            phi[active], u[active], v[active] = pa, ua, va
            _, r, lh, psi, omega = prob.objective(ca, ua, va, wa)
        g, ex, gn = _hessians(ca, ua, va, lh, r, psi, omega, wa, prob, 5)
        fixed = np.zeros((active.size, 5), bool)
        fixed[:, :3] = (ca <= 0.0) & (g[:, :3] > 0.0)
        step = _damped_step(g, ex, gn, lam[active], np.broadcast_to(damp, fixed.shape), fixed)
        phi_t = np.clip(phi[active] + step[:, 3:], lo, hi)
        ut, vt = prob.basis(phi_t)
        c_t = np.maximum(ca + step[:, :3], 0.0)
        if not (c_t > 0).any(axis=1).all():  # a prediction of zero everywhere: restart that inner solve
            bad = ~(c_t > 0).any(axis=1)
            c_t[bad] = _nnls_relative(ut[bad], vt[bad], prob, wa if wa.shape[0] == 1 else wa[bad])
        c_t, f_t = _inner(c_t, ut, vt, active, prob, inner_iter, ftol)
        ok, acc, done = marquardt_update(f[active], f_t, active, lam, ftol, n_prob)
        phi[acc], c[acc], f[acc], u[acc], v[acc] = phi_t[ok], c_t[ok], f_t[ok], ut[ok], vt[ok]
        converged |= done
        active = active[~done[active]]

    return BatchOutcome(theta=_to_theta(phi, c, prob), objective=f, converged=converged, n_iter=n_iter)
