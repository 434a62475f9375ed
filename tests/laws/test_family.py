"""The Family protocol: each law family's θ ↔ law and log-space loss, written once and shared by law and fitter."""

from __future__ import annotations

import numpy as np
import pytest

from scalinglab.errors import ConfigError
from scalinglab.fit import Runs, fit_family
from scalinglab.laws import get_law
from scalinglab.laws.fitted import law_loss
from scalinglab.laws.registry import FAMILIES, get_family

#: a catalog law of each family (power laws: Kaplan's one-variable laws)
EXAMPLES = {"chinchilla": "epoch2024", "kaplan": "kaplan2020", "over-training": "gadre2024",
            "data-constrained": "muennighoff2023", "power-law-n": "kaplan2020-n", "power-law-d": "kaplan2020-d",
            "power-law-c": "kaplan2020-c"}

N = np.array([1e7, 3e8, 7e9, 7e10])
D = np.array([2e9, 6e9, 1.4e11, 1.4e12])


def test_every_family_has_an_example_and_sane_metadata():
    assert set(FAMILIES) == set(EXAMPLES)
    for name, fam in FAMILIES.items():
        assert fam.name == name and fam.k == len(fam.bounds) == len(fam.start_axes)
        assert all(lo < hi for lo, hi in fam.bounds)
        assert set(fam.exponents) <= set(get_law(EXAMPLES[name]).coefficients())
        assert all(0 <= i < fam.k for i in fam.exponent_index)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_theta_round_trip_and_the_law_loss_is_the_family_log_loss(name):
    fam, law = FAMILIES[name], get_law(EXAMPLES[name])
    theta = fam.theta_of(law)
    rebuilt = fam.build(theta)
    np.testing.assert_allclose(fam.theta_of(rebuilt), theta, rtol=1e-12)
    kw = {"log_u": np.log(D / 4)} if fam.needs_unique else {}
    via_family = np.exp(fam.log_loss(theta, np.log(N), np.log(D), **kw))
    direct = law.loss(N, D, D / 4) if fam.needs_unique else law_loss(law, N, D)
    np.testing.assert_allclose(via_family, direct, rtol=1e-10)
    assert law_loss(rebuilt, N, D) == pytest.approx(law_loss(law, N, D), rel=1e-10)


def test_at_bound_uses_finite_bounds_only_and_flags_non_finite():
    fam = FAMILIES["chinchilla"]  # a, b free; e in [-20, 10]
    assert fam.bound_hits([1e6, -1e6, 0.0, 0.3, 0.3]) == ()
    assert fam.bound_hits([5.0, 5.0, -20.0, 0.3, 10.0]) == ("e", "beta")
    assert fam.bound_hits([5.0, 5.0, -np.inf, 0.3, 0.3]) == ("e",)


def test_unknown_family_is_one_clear_line():
    with pytest.raises(ConfigError, match="The 'family' parameter must be one of chinchilla, kaplan"):
        get_family("gpt")


def test_a_fit_recovers_the_law_it_was_drawn_from_through_the_family():
    truth = get_law("gadre2024")
    n = np.repeat(np.logspace(7.5, 9.5, 6), 4)
    d = n * np.tile([10.0, 20.0, 80.0, 320.0], 6)
    rng = np.random.default_rng(0)
    loss = np.asarray(truth.loss(n, d)) * np.exp(0.002 * rng.standard_normal(n.size))
    fit = fit_family("over-training", Runs.from_arrays(n, d, loss))
    assert fit.law.eta == pytest.approx(truth.eta, rel=0.1)
    assert fit.predict(7e9, 1.4e11) == pytest.approx(truth.loss(7e9, 1.4e11), rel=0.01)


def test_starts_and_method_are_refused_for_a_family_without_them():
    runs = Runs.from_arrays(N, D, np.asarray(get_law("kaplan2020").loss(N, D)))
    with pytest.raises(ConfigError, match="apply to the chinchilla family only"):
        fit_family("kaplan", runs, starts="coarse")
