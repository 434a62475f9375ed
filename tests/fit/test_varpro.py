"""The variable-projection search: its pieces (exact NNLS start, derivatives, exchange step) and its answers."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import approx_fprime, nnls

from scalinglab.fit import Runs
from scalinglab.fit._varpro import _exchange, _hessians, _nnls_relative, _Problem, varpro_chinchilla
from scalinglab.fit.parametric import LOWER, UPPER
from scalinglab.laws.chinchilla import ChinchillaParams, predict


def _problem(runs: Runs, loss: str = "huber", delta: float = 1e-3, weights=None) -> _Problem:
    return _Problem(np.log(runs.n_params), np.log(runs.n_tokens), np.log(runs.loss), weights, loss, delta, 0.75)


def test_nnls_start_is_the_exact_nonnegative_least_squares(make_runs):
    prob = _problem(make_runs(noise=0.02))
    # (0.34, 0.37) has all three terms positive; (0.0, 3.0) and (3.0, 0.0) force a coefficient to zero
    phi = np.array([[0.34, 0.37], [1e-6, 3.0], [3.0, 1e-6], [0.05, 0.05]])
    u, v = prob.basis(phi)
    got = _nnls_relative(u, v, prob, prob.w)
    for s in range(len(phi)):
        z = np.column_stack([u[s], v[s], np.ones_like(u[s])]) * prob.inv_l[:, None]
        want, _ = nnls(z, np.ones(z.shape[0]))
        res_got = np.sum((z @ got[s] - 1.0) ** 2)
        res_want = np.sum((z @ want - 1.0) ** 2)
        assert (got[s] >= 0).all()
        # normal equations square the condition number of nearly collinear columns (φ = 0.05): 1e-8 is
        # plenty for the start of the inner solve
        assert res_got == pytest.approx(res_want, rel=1e-8, abs=1e-14)


@pytest.mark.parametrize("loss", ["huber", "mse", "asymmetric"])
def test_gradient_and_exact_hessian_match_finite_differences(make_runs, loss):
    runs = make_runs(noise=0.01)
    prob = _problem(runs, loss=loss, delta=0.02)  # a δ that puts residuals on both sides of the kink
    x0 = np.array([3.0, 5.0, 1.7, 0.4, 0.3])  # (A', B', E, α, β) in centred coordinates

    def parts(x):
        phi, c = x[None, 3:], x[None, :3].copy()
        u, v = prob.basis(phi)
        f, r, lh, psi, omega = prob.objective(c, u, v, prob.w)
        g, ex, _ = _hessians(c, u, v, lh, r, psi, omega, prob.w, prob, 5)
        return f[0], g[0], ex[0]

    f0, g0, h0 = parts(x0)
    num_g = approx_fprime(x0, lambda x: parts(x)[0], 1e-7)
    assert g0 == pytest.approx(num_g, rel=1e-4, abs=1e-7)
    num_h = np.array([approx_fprime(x0, lambda x, i=i: parts(x)[1][i], 1e-7) for i in range(5)])
    assert h0 == pytest.approx(num_h, rel=1e-3, abs=1e-5)


def test_exchange_reaims_a_switched_off_term_only_when_it_helps():
    n = np.repeat(np.logspace(7, 10, 8), 6)
    d = np.tile(np.logspace(9, 12, 6), 8)
    truth = ChinchillaParams(E=1.8, A=450.0, B=2000.0, alpha=0.34, beta=0.37)
    runs = Runs.from_arrays(n, d, predict(truth, n, d))
    prob = _problem(runs)
    # A switched off at α = 6: no local step can move α, the exchange must re-aim it near the truth
    phi = np.array([[6.0, 0.37]])
    u, v = prob.basis(phi)
    c = np.array([[0.0, 2000.0 * np.exp(-0.37 * prob.ybar), 2.6]])
    f, r, lh, psi, omega = prob.objective(c, u, v, prob.w)
    assert _exchange(phi, c, u, v, lh, psi, omega, prob.w, prob, LOWER[3:], UPPER[3:])
    assert 0.0 < phi[0, 0] < 3.0
    f2, r, lh, psi, omega = prob.objective(c, u, v, prob.w)
    assert f2 == pytest.approx(f)  # the jump itself costs nothing ...
    g_after = _hessians(c, u, v, lh, r, psi, omega, prob.w, prob, 3)[0][0, 0]
    assert g_after < 0.0  # ... and now switching A on lowers the objective
    # loss that does not depend on N at all: no exponent makes the A term worth having
    flat = Runs.from_arrays(n, d, 1.8 + 2000.0 / d ** 0.37)
    prob = _problem(flat)
    phi = np.array([[6.0, 0.37]])
    u, v = prob.basis(phi)
    c = np.array([[0.0, 2000.0 * np.exp(-0.37 * prob.ybar), 1.8]])
    _, r, lh, psi, omega = prob.objective(c, u, v, prob.w)
    assert not _exchange(phi, c, u, v, lh, psi, omega, prob.w, prob, LOWER[3:], UPPER[3:])
    assert phi[0, 0] == 6.0


def test_varpro_from_a_far_start_recovers_a_noiseless_law(make_runs):
    truth = ChinchillaParams(E=1.69, A=406.4, B=410.7, alpha=0.34, beta=0.28)
    runs = make_runs(truth, noise=0.0)
    out = varpro_chinchilla(np.array([[2.0, 2.0], [1e-6, 1e-6], [6.0, 0.1]]), np.log(runs.n_params),
                            np.log(runs.n_tokens), np.log(runs.loss), loss="mse", lower=LOWER, upper=UPPER)
    best = int(np.argmin(out.objective))
    a, b, e, al, be = out.theta[best]
    assert out.objective[best] < 1e-12
    assert [np.exp(e), np.exp(a), np.exp(b), al, be] == pytest.approx([1.69, 406.4, 410.7, 0.34, 0.28], rel=1e-3)


def test_varpro_row_weights_equal_repeated_rows(make_runs):
    runs = make_runs(noise=0.01)
    ln, ld, ll = np.log(runs.n_params), np.log(runs.n_tokens), np.log(runs.loss)
    w = np.random.default_rng(3).integers(0, 3, size=len(runs)).astype(float)
    phi0 = np.array([[0.5, 0.5], [1.0, 1.0]])
    weighted = varpro_chinchilla(phi0, ln, ld, ll, weights=np.tile(w, (2, 1)), lower=LOWER, upper=UPPER)
    rep = np.repeat(np.arange(len(runs)), w.astype(int))
    repeated = varpro_chinchilla(phi0, ln[rep], ld[rep], ll[rep], lower=LOWER, upper=UPPER)
    assert weighted.objective.min() == pytest.approx(repeated.objective.min(), rel=1e-8)
