"""Published allocation tables against the catalog laws; where they differ, the test says why."""

import numpy as np
import pytest

from scalinglab import get_law

# Hoffmann et al. (2022) Table 3, Approach 1 projections [S x4]: (params, FLOPs, tokens)
TABLE_3 = [(400e6, 1.92e19, 8.0e9), (1e9, 1.21e20, 20.2e9), (10e9, 1.23e22, 205.1e9), (67e9, 5.76e23, 1.5e12),
           (175e9, 3.85e24, 3.7e12), (280e9, 9.90e24, 5.9e12), (520e9, 3.43e25, 11.0e12), (1e12, 1.27e26, 21.2e12)]


def test_epoch2024_tracks_hoffmann_table_3():
    # Table 3 comes from Approach 1 (N* ~ C^0.50); epoch2024 is an Approach-3 refit with a = 0.513, so its N*
    # grows slightly faster with compute: -8% at 1.9e19 FLOPs, +15% at 1.3e26. Both say ~20 tokens/param.
    law = get_law("epoch2024")
    ratios = []
    for n, c, d in TABLE_3:
        n_opt, d_opt = law.compute_optimal(c)
        ratios.append(n_opt / n)
        assert 14 < d_opt / n_opt < 25
    assert all(abs(r - 1) < 0.16 for r in ratios)
    assert np.all(np.diff(ratios) > 0)  # the drift is the exponent difference, not noise


def test_epoch_notebook_ratio_for_hoffmann_approach_3():
    # [P] Epoch's notebook computes ~72.9 tokens/param at Chinchilla compute for Hoffmann's Approach 3 using the
    # unrounded G with the paper's printed exponent a = 0.4545 (Table 2). The law's own a = beta/(alpha+beta) =
    # 0.4565 gives 58.9 instead ([D] table): the optimum moves ~20% for a 0.002 change of the exponent.
    p = get_law("hoffmann2022-unrounded").params
    g = (p.alpha * p.A / (p.beta * p.B)) ** (1 / (p.alpha + p.beta))
    c6 = 5.76e23 / 6
    n = g * c6**0.4545
    assert (c6 / n) / n == pytest.approx(72.9, rel=0.005)
    n_law, d_law = get_law("hoffmann2022-unrounded").compute_optimal(5.76e23)
    assert d_law / n_law == pytest.approx(58.9, abs=0.06)
