"""The step-2 maps from loss to a task score: formulas, Jacobians, published coefficients, bad input."""

import numpy as np
import pytest
from scipy.optimize import check_grad

from scalinglab.errors import ConfigError
from scalinglab.laws.downstream import (GADRE_2024_ERR17, SCORE_FORMS, ScoreMap, exponential_error,
                                        sigmoid_accuracy)

LOSS = np.linspace(0.2, 5.0, 13)


def test_exponential_error_is_epsilon_minus_k_exp_minus_gamma_l():
    m = ScoreMap.exponential(k=2.0, gamma=0.5, epsilon=0.9)
    assert m.metric == "error"
    assert m.score(0.0) == pytest.approx(0.9 - 2.0)
    assert m.score(3.0) == pytest.approx(0.9 - 2.0 * np.exp(-1.5))
    assert m.accuracy(3.0) == pytest.approx(1.0 - m.score(3.0))
    assert m.score(1e6) == pytest.approx(0.9)  # chance level at infinite loss


def test_sigmoid_is_halfway_at_l0_and_b_at_zero_loss():
    m = ScoreMap.sigmoid(a=-0.7, L0=0.9, k=5.0, b=0.95)
    assert m.metric == "accuracy" and m.accuracy(0.9) == m.score(0.9)
    assert m.score(0.9) == pytest.approx(0.95 - 0.35)
    assert m.score(1e3) == pytest.approx(0.95 - 0.7)  # a + b: chance
    assert m.score(0.0) == pytest.approx(0.95 - 0.7 / (1 + np.exp(4.5)))
    assert np.all(np.diff(m.score(LOSS)) < 0)  # accuracy falls as loss rises


@pytest.mark.parametrize("form,theta", [("exponential", (2.2, 0.71, 0.86)), ("sigmoid", (-0.74, 0.62, 4.8, 0.98))])
def test_each_forms_jacobian_passes_check_grad(form, theta):
    f = SCORE_FORMS[form].predict
    w = np.random.default_rng(0).normal(size=LOSS.size)
    err = check_grad(lambda t: float(w @ f(t, LOSS)), lambda t: f(t, LOSS, jac=True)[1].T @ w, np.array(theta))
    assert err < 1e-6


def test_the_forms_are_the_papers_code():
    # Gadre et al. scaling/laws.py decay_ours(x, a, b, e) = e - a * exp(x) ** (-b); Bhagia et al. sigmoid
    k, gamma, eps = 2.2064900894, 0.7145905531, 0.8569919302
    assert np.allclose(exponential_error((k, gamma, eps), LOSS), eps - k * np.exp(LOSS) ** (-gamma))
    a, x0, kk, b = -0.742, 0.616, 4.833, 1.0
    assert np.allclose(sigmoid_accuracy((a, x0, kk, b), LOSS), a / (1 + np.exp(-kk * (LOSS - x0))) + b)


def test_published_gadre_map_carries_its_citation():
    assert GADRE_2024_ERR17.citation.arxiv == "2403.08540"
    assert GADRE_2024_ERR17.describe()["formula"].startswith("Err(L) = epsilon")


def test_bad_theta_and_bad_loss_are_one_clear_line():
    with pytest.raises(ConfigError, match=r"'theta' parameter of a sigmoid map must be 4 finite numbers"):
        ScoreMap("sigmoid", (1.0, 2.0))
    with pytest.raises(ConfigError, match=r"'form' parameter must be one of exponential, sigmoid\. Got 'logit'"):
        ScoreMap("logit", (1.0,))
    m = ScoreMap.sigmoid(-0.5, 1.0, 3.0, 1.0)
    with pytest.raises(ConfigError, match=r"'loss' parameter must be finite and >= 0\. Got -1"):
        m.score([1.0, -1.0])
    with pytest.raises(ConfigError, match=r"'loss' parameter must be finite and >= 0\. Got nan"):
        m.score(float("nan"))
