"""The batched solver's fused kernel writes Eq. 2 a second time (centred, in place, for speed); these tests
hold it to the one written in ``laws.chinchilla.log_loss``: same objective, gradient and Gauss–Newton matrix."""

import numpy as np
import pytest

from scalinglab.fit._batch import _evaluate
from scalinglab.fit.objectives import penalty
from scalinglab.laws.chinchilla import log_loss


@pytest.mark.parametrize("loss", ["huber", "mse"])
def test_kernel_objective_gradient_and_gauss_newton_equal_log_loss(loss):
    rng = np.random.default_rng(7)
    log_n = np.log(10 ** rng.uniform(7, 10, 40))
    log_d = np.log(10 ** rng.uniform(9, 12, 40))
    ell = np.log(1.7 + 400 / np.exp(log_n) ** 0.34 + 400 / np.exp(log_d) ** 0.28) + 0.01 * rng.normal(size=40)
    theta = np.column_stack([rng.uniform(4, 8, 6), rng.uniform(4, 8, 6), rng.uniform(0.3, 0.7, 6),
                             rng.uniform(0.2, 0.5, 6), rng.uniform(0.2, 0.5, 6)])
    w = rng.uniform(0.5, 1.5, (6, 40))
    xbar, ybar = log_n.mean(), log_d.mean()
    u = theta.copy()
    u[:, 0] -= u[:, 3] * xbar
    u[:, 1] -= u[:, 4] * ybar
    f, g, h, _ = _evaluate(u, log_n - xbar, log_d - ybar, ell, w, loss, 1e-3, 0.75, True)
    for s in range(6):
        pred, jac = log_loss(theta[s], log_n, log_d, jac=True)
        rho, psi, omega = penalty(pred - ell, loss, 1e-3, 0.75)
        # the kernel's parameters are centred: d/du = d/dθ with log N, log D replaced by their centred values
        jc = jac.copy()
        jc[:, 3] = -jac[:, 0] * (log_n - xbar)
        jc[:, 4] = -jac[:, 1] * (log_d - ybar)
        assert f[s] == pytest.approx(rho @ w[s], rel=1e-10)
        assert g[s] == pytest.approx(jc.T @ (psi * w[s]), rel=1e-8, abs=1e-12)
        assert h[s] == pytest.approx(jc.T @ (jc * (omega * w[s])[:, None]), rel=1e-8, abs=1e-12)
