"""The planner's frontier and least-compute functions: the vectorised forms the figures call agree with the
scalar root finder the CLI calls."""

import numpy as np
import pytest

from scalinglab.laws import get_law
from scalinglab.plan.optimal import frontier, optimal_flops_for_loss, optimal_flops_for_losses, optimal_split


@pytest.mark.parametrize("name", ["epoch2024", "hoffmann2022", "muennighoff2023", "gadre2024"])
def test_frontier_is_optimal_split_and_inverse_agrees_with_the_root_finder(name):
    law = get_law(name)
    c = np.logspace(19, 26, 15)
    n, d, loss = frontier(law, c)
    for k in (0, 7, 14):
        assert (n[k], d[k]) == pytest.approx(optimal_split(law, c[k]), rel=1e-12)
    exact = np.array([optimal_flops_for_loss(law, x) for x in loss])
    assert exact == pytest.approx(c, rel=1e-8)  # the root finder inverts L*(C)
    grid = np.logspace(18, 27, 400)
    assert optimal_flops_for_losses(law, loss, grid) == pytest.approx(exact, rel=1e-3)
    far = optimal_flops_for_losses(law, [loss[0] * 2, law.irreducible_loss * 0.5], grid)
    assert np.isnan(far).all()  # off the grid's losses: NaN, not an extrapolation
    assert optimal_flops_for_losses(law, [loss[0] * 2, law.irreducible_loss * 0.5], grid, beyond=True).tolist() == [
        0.0, np.inf]


def test_chinchilla_closed_forms_equal_the_numeric_solvers():
    """Eq. 2 solved for D and L*(C) inverted in closed form agree with bisection and the root finder."""
    from scalinglab.plan._numeric import root_log
    from scalinglab.plan.inference import tokens_for_loss

    law = get_law("epoch2024")
    n = np.logspace(8, 11, 7)
    closed = law.tokens_for_loss(n, 2.3)
    for ni, di in zip(n, closed):
        if np.isfinite(di):
            assert float(law.loss(ni, di)) == pytest.approx(2.3, rel=1e-12)
        else:  # too small a model: even unlimited data stays above the target
            assert law.params.E + law.params.A * ni ** -law.params.alpha >= 2.3
    assert np.isfinite(closed).sum() >= 4 and np.isnan(closed).sum() >= 1
    assert np.allclose(tokens_for_loss(law, n, 2.3), closed, equal_nan=True)
    for target in (2.6, 2.2, 1.95):
        c = law.optimal_flops_for_loss(target)

        def gap(log_c, t=target):
            return float(np.log(law.loss(*optimal_split(law, float(np.exp(log_c))))) - np.log(t))

        assert c == pytest.approx(float(np.exp(root_log(gap, np.log(1e2), np.log(1e60), "c"))), rel=1e-9)
