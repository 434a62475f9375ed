"""Compute-optimal, fixed-size and target-loss plans."""

import numpy as np
import pytest

from scalinglab.errors import ConfigError, PlanError
from scalinglab.laws import Chinchilla, ChinchillaParams, JointLaw, get_law, list_laws
from scalinglab.plan import plan_compute, plan_params, plan_target_loss
from scalinglab.plan._numeric import numeric_compute_optimal
from scalinglab.plan.optimal import smallest_budget
from scalinglab.plan.inference import tokens_for_loss

JOINT = [law for law in list_laws() if isinstance(law, JointLaw)]


@pytest.mark.parametrize("law", JOINT, ids=lambda law: law.name)
@pytest.mark.parametrize("flops", [1e15, 1e19, 5.76e23, 1e27])
def test_closed_form_equals_numeric_argmin(law, flops):
    n_closed, d_closed = law.compute_optimal(flops)
    n_num, d_num = numeric_compute_optimal(law, flops)
    assert n_closed == pytest.approx(n_num, rel=1e-5)
    assert d_closed == pytest.approx(d_num, rel=1e-5)
    # and it is a minimum: moving N either way along the budget raises the loss
    for f in (0.9, 1.1):
        assert law.loss(n_closed * f, flops / (6 * n_closed * f)) > law.loss(n_closed, d_closed)


def test_default_plan_at_chinchilla_budget_is_near_chinchilla():
    p = plan_compute(5.76e23)
    assert p.law == "epoch2024"
    assert p.n_params == pytest.approx(70e9, rel=0.06)
    assert p.n_tokens == pytest.approx(1.4e12, rel=0.06)
    assert 17 < p.tokens_per_param < 22
    assert p.flops == pytest.approx(5.76e23, rel=1e-12)


def test_fixed_size_with_optimal_tokens_round_trips():
    law = get_law("epoch2024")
    n, d = law.compute_optimal(1e22)
    p = plan_params(n)
    assert p.n_tokens == pytest.approx(d, rel=1e-8)
    p = plan_params(7e9, tokens_per_param=100)
    assert p.n_tokens == 7e11 and p.flops == pytest.approx(6 * 7e9 * 7e11)


def test_target_loss_is_reached_at_least_compute():
    law = get_law("epoch2024")
    p = plan_target_loss(2.0)
    assert p.loss == pytest.approx(2.0, rel=1e-9)
    # every other model size needs more compute to reach the same loss
    for f in (0.5, 0.8, 1.25, 2.0):
        n = p.n_params * f
        d = float(tokens_for_loss(law, n, 2.0))
        assert 6 * n * d > p.flops


@pytest.mark.parametrize("target", [1.817, 1.5, 0.0])
def test_target_below_irreducible_loss_is_refused(target):
    with pytest.raises((PlanError, ConfigError), match="target_loss"):
        plan_target_loss(target)


@pytest.mark.parametrize("bad", [0, -1e20, float("nan"), float("inf")])
def test_bad_budget_names_the_field(bad):
    with pytest.raises(ConfigError, match="'flops' parameter"):
        plan_compute(bad)


def test_intervals_come_from_law_variants():
    base = get_law("epoch2024").params
    rng = np.random.default_rng(0)
    samples = tuple(
        ChinchillaParams(base.E * (1 + 0.01 * rng.standard_normal()), base.A, base.B,
                         base.alpha * (1 + 0.02 * rng.standard_normal()), base.beta * (1 + 0.02 * rng.standard_normal()))
        for _ in range(50)
    )
    law = Chinchilla("sampled", base, get_law("epoch2024").citation, samples=samples)
    p = plan_compute(1e23, law=law)
    iv = p.intervals["n_params"]
    assert iv.n_samples == 50 and iv.low < p.n_params < iv.high
    assert p.intervals["loss"].low < p.loss < p.intervals["loss"].high
    assert not any("No mean band" in n for n in p.notes)
    # the published law has no samples and says so
    assert any("No mean band" in n for n in plan_compute(1e23).notes)


def test_budget_below_one_parameter_is_refused_naming_the_smallest_budget():
    with pytest.raises(PlanError, match=r"^The 'flops' parameter must give at least 1 parameter and 1 token; it "
                                        r"gives a model of 0.0477 parameters .* smallest such budget is 378 FLOPs\. "
                                        r"Got 1\.$"):
        plan_compute(1)
    smallest = smallest_budget(get_law("epoch2024"))
    p = plan_compute(smallest)
    assert p.n_params >= 1 and p.n_tokens >= 1
    with pytest.raises(PlanError, match="smallest such budget"):
        plan_compute(smallest * 0.99)
