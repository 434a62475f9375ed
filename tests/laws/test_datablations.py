"""Muennighoff et al. (2023) data-constrained law: the datablations README values [P]."""

import numpy as np
import pytest

from scalinglab.laws import get_law


def test_readme_sanity_values():
    law = get_law("muennighoff2023")
    assert law.loss(6.34e9, 242e9, 25e9) == pytest.approx(2.2256440889984477, rel=1e-12)
    assert law.loss(8.67e9, 178e9, 25e9) == pytest.approx(2.2269634075087867, rel=1e-12)


def test_published_constants():
    c = get_law("muennighoff2023").coefficients()
    assert (c["R_D*"], c["R_N*"]) == (15.387756, 5.309743)
    assert (c["A"], c["B"], c["E"]) == pytest.approx((520.8, 1487.7, 1.869), rel=1e-3)  # [D]


def test_unique_data_needs_no_correction():
    law = get_law("muennighoff2023")
    n, d = 1e9, 2e10
    assert law.effective_tokens(d, d) == d
    assert law.loss(n, d, d) == law.loss(n, d) == law.loss(n, d, 10 * d)


def test_four_epochs_cost_little_and_forty_almost_nothing_more():
    # abstract: up to ~4 epochs of repetition change loss negligibly; value decays to ~0 after that
    law = get_law("muennighoff2023")
    n, d = law.compute_optimal(1e21)
    fresh = law.loss(n, d)
    four = law.loss(n, d, d / 4)
    # at the compute-optimal size for fresh data the law gives +0.98% loss for 4 epochs (effective tokens
    # fall to 93% and the model now exceeds N_opt(U)); "negligible" in the paper's words
    assert 0 < (four - fresh) / fresh < 0.012
    # effective tokens saturate at U·(1 + R_D*)
    u = 1e9
    assert law.effective_tokens(1e13, u) == pytest.approx(u * (1 + 15.387756), rel=1e-3)
    assert law.effective_tokens(5 * u, u) / (5 * u) > 0.88  # 4 repeated epochs keep most of their value


def test_excess_parameters_decay():
    law = get_law("muennighoff2023")
    u = 1e10
    n_opt = float(law.optimal_params_for_tokens(u))
    assert law.effective_params(n_opt, u) == pytest.approx(n_opt)
    assert law.effective_params(100 * n_opt, u) < n_opt * (1 + 5.309743)
    np.testing.assert_allclose(law.effective_params(n_opt / 2, u), n_opt / 2)
