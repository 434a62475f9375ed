from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import check_grad
from scipy.special import huber

from scalinglab.errors import ConfigError
from scalinglab.fit import chinchilla_objective, penalty
from scalinglab.fit.objectives import check_loss


def _data(make_runs):
    r = make_runs(noise=0.02, seed=3)
    return np.log(r.n_params), np.log(r.n_tokens), np.log(r.loss)


@pytest.mark.parametrize("loss", ["huber", "mse", "asymmetric"])
@pytest.mark.parametrize("theta", [[6.0, 7.5, 0.6, 0.34, 0.37], [3.0, 2.0, -0.5, 0.2, 0.15]])
def test_chinchilla_objective_gradient_matches_check_grad(loss, theta, make_runs):
    ln, ld, ll = _data(make_runs)
    w = np.random.default_rng(0).integers(0, 3, size=ln.size).astype(float)
    for delta in (1e-3, 0.05):
        def f(t):
            return chinchilla_objective(t, ln, ld, ll, loss=loss, delta=delta, weights=w)[0]

        def g(t):
            return chinchilla_objective(t, ln, ld, ll, loss=loss, delta=delta, weights=w)[1]

        err = check_grad(f, g, np.array(theta), epsilon=1e-7)
        assert err <= 1e-5 * max(1.0, np.linalg.norm(g(np.array(theta))))


def test_penalty_huber_matches_scipy_convention():
    r = np.linspace(-0.01, 0.01, 101)
    assert np.allclose(penalty(r, "huber", 1e-3)[0], huber(1e-3, r), rtol=1e-12, atol=0)


def test_penalty_huber_huge_delta_is_half_least_squares(make_runs):
    ln, ld, ll = _data(make_runs)
    theta = np.array([6.0, 7.5, 0.6, 0.34, 0.37])
    fh, gh = chinchilla_objective(theta, ln, ld, ll, loss="huber", delta=1e6)
    fm, gm = chinchilla_objective(theta, ln, ld, ll, loss="mse")
    assert fh == pytest.approx(fm / 2, rel=1e-12)
    assert np.allclose(gh, gm / 2, rtol=1e-12)


def test_penalty_asymmetric_weights_overprediction_by_tau():
    rho, _, _ = penalty(np.array([-0.01, 0.01]), "asymmetric", 1e-3, asymmetry=0.8)
    h = huber(1e-3, 0.01)
    assert rho == pytest.approx([2 * 0.2 * h, 2 * 0.8 * h])
    half, _, _ = penalty(np.array([-0.01, 0.01]), "asymmetric", 1e-3, asymmetry=0.5)
    assert half == pytest.approx([h, h])


def test_check_loss_names_parameter_and_value():
    with pytest.raises(ConfigError, match="'delta' parameter must be > 0. Got -1"):
        check_loss("huber", -1.0, 0.5)
    with pytest.raises(ConfigError, match="'loss' parameter must be one of"):
        check_loss("l1", 1e-3, 0.5)
