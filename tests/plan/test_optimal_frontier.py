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
