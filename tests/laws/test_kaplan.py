"""Kaplan et al. (2020): one-variable laws, Eq. 1.5, and the published allocation rule."""

import numpy as np
import pytest

from scalinglab.laws import get_law, kaplan_allocation
from scalinglab.laws.kaplan import PF_DAY_FLOPS
from scalinglab.plan._numeric import numeric_compute_optimal


def test_one_variable_laws_equal_one_at_their_scale():
    for name, x_c in (("kaplan2020-n", 8.8e13), ("kaplan2020-d", 5.4e13), ("kaplan2020-c", 3.1e8 * PF_DAY_FLOPS)):
        law = get_law(name)
        assert law.loss(x_c) == pytest.approx(1.0, rel=1e-12)
        assert law.coefficients()["x_c"] == pytest.approx(x_c, rel=1e-12)


def test_pf_day():
    assert PF_DAY_FLOPS == pytest.approx(8.64e19)  # [D]


def test_allocation_rule_ten_x_compute():
    # [S]: for 10x compute Kaplan prescribes ~5.5x params and ~1.8x tokens. With the exponent 0.73 the
    # factors are 10^0.73 = 5.37 and 10^0.27 = 1.86; 5.5 is the commonly quoted rounding.
    n1, d1 = kaplan_allocation(1e21)
    n2, d2 = kaplan_allocation(1e22)
    assert n2 / n1 == pytest.approx(5.5, rel=0.03)
    assert d2 / d1 == pytest.approx(1.8, rel=0.04)


def test_eq15_argmin_exponent_is_not_073():
    # Minimising Eq. 1.5 under C = 6ND gives N* ∝ C^(α_D/(α_N+α_D)) = 0.575, not the published 0.73,
    # which comes from early-stopped training curves (Eq. 1.6); the closed form must match a numeric argmin.
    law = get_law("kaplan2020")
    cs = np.array([1e19, 1e21, 1e23])
    n_closed = np.array([law.compute_optimal(c)[0] for c in cs])
    n_num = np.array([numeric_compute_optimal(law, c)[0] for c in cs])
    np.testing.assert_allclose(n_closed, n_num, rtol=1e-5)
    slope = np.polyfit(np.log(cs), np.log(n_closed), 1)[0]
    assert slope == pytest.approx(0.103 / (0.076 + 0.103), rel=1e-9)


def test_eq15_limits():
    law = get_law("kaplan2020")
    # infinite data -> L(N) = (N_c/N)^α_N
    assert law.loss(1e9, 1e30) == pytest.approx((6.4e13 / 1e9) ** 0.076, rel=1e-6)
