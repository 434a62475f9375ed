"""Approach 2 as the CLI and the report compute it (`scalinglab.fit.approach2`): budget grouping, the IsoFLOP
design check, the fit and verdict, and held-out runs scored against the frontier with a named band."""

from __future__ import annotations

import numpy as np
import pytest

from scalinglab._intervals import central_interval
from scalinglab.fit import Runs
from scalinglab.fit.approach2 import (NO_PREDICTION_BAND, ROUNDING_WIDTH, fit_approach2, frontier_band,
                                      isoflop_budgets, not_isoflop_design, score_frontier)
from scalinglab.fit.profiles import fit_isoflop_profiles, fit_power_law
from scalinglab.laws.chinchilla import EPOCH_2024, predict


def design(budgets=(1e18, 3e18, 1e19, 3e19, 1e20), sizes=7, noise=0.005, seed=1) -> Runs:
    """``sizes`` model sizes over ±1 decade around each budget's 20-tokens/param size, Epoch's law, noise."""
    rng = np.random.default_rng(seed)
    c = np.repeat(np.asarray(budgets, float), sizes)
    n = np.sqrt(c / 120) * np.tile(np.logspace(-1, 1, sizes), len(budgets))
    d = c / (6 * n)
    return Runs.from_arrays(n, d, predict(EPOCH_2024, n, d) * np.exp(noise * rng.standard_normal(n.size)))


def test_isoflop_budgets_width_then_complete_labels_then_rounding():
    labels = np.array([1e18, 1e18, 1e19])
    assert isoflop_budgets(labels, 0.1) == 0.1
    assert np.array_equal(isoflop_budgets(labels), labels)
    assert isoflop_budgets(np.array([1e18, np.nan, 1e19])) == ROUNDING_WIDTH  # a run outside the grid
    assert isoflop_budgets(None) == ROUNDING_WIDTH


def test_not_isoflop_design_says_why_in_one_line():
    one = design(budgets=(1e19,))
    why = not_isoflop_design(one.flops, one.n_params, isoflop_budgets())
    assert why.startswith("not an IsoFLOP design: the runs form one compute budget (C = 1e+19)") and "\n" not in why
    n = np.logspace(7, 9, 12)  # scattered runs: every FLOPs value its own budget of one size
    why = not_isoflop_design(6 * n * np.logspace(9, 11, 12), n, isoflop_budgets())
    assert "of the 12 compute budgets" in why and "0 have 3 or more distinct model sizes" in why
    ok = design(budgets=(1e18, 1e19), sizes=3)
    assert not_isoflop_design(ok.flops, ok.n_params, isoflop_budgets()) is None


def test_fit_approach2_is_fit_isoflop_profiles_on_the_same_runs():
    runs = design()
    got = fit_approach2(runs, n_bootstrap=30, seed=4, level=0.8)
    ref = fit_isoflop_profiles(runs.n_params, runs.flops, runs.loss, budgets=ROUNDING_WIDTH, n_bootstrap=30, seed=4,
                               level=0.8)
    assert got.profiles.a == ref.a and got.profiles.n_opt_fit.interval == ref.n_opt_fit.interval
    assert got.profiles.n_opt_fit.r2 == ref.n_opt_fit.r2 and got.profiles.n_bootstrap == ref.n_bootstrap
    d = got.as_dict()
    assert d["approach"] == "isoflop" and d["rows"] == len(runs.loss) and d["seed"] == 4
    assert d["verdict"] == "identified" == ref.identification.status
    assert "holdout" not in d


def test_two_budgets_are_exactly_determined():
    res = fit_approach2(design(budgets=(1e18, 1e20)), n_bootstrap=20)
    assert res.profiles.n_used == 2 and res.profiles.identification.status == "not identified"
    assert res.verdict == "exactly determined by 2 budgets, no error estimate"
    assert res.profiles.n_opt_fit.r2 == pytest.approx(1.0)  # two points: a line through both


def test_frontier_is_the_power_law_through_the_minima_and_its_band_is_over_the_resamples():
    res = fit_approach2(design(), n_bootstrap=40, seed=2).profiles
    ref = fit_power_law(res.flops, res.loss_opt)
    assert (res.frontier.exponent, res.frontier.coef) == pytest.approx((ref.exponent, ref.coef), rel=1e-12)
    assert res.bootstrap_frontier.shape == (res.n_bootstrap, 2)
    c = np.array([3e20, 1e21])
    band, label = frontier_band(res, c)
    s, k = res.bootstrap_frontier[:, 0], res.bootstrap_frontier[:, 1]
    lo, hi = central_interval(k[:, None] * c[None, :] ** s[:, None], res.level)
    assert band[0] == pytest.approx(lo) and band[1] == pytest.approx(hi)
    assert np.all(band[0] < res.frontier.predict(c)) and np.all(res.frontier.predict(c) < band[1])
    assert label.startswith("90% mean band of the frontier L*(C)") and "40 bootstrap resamples" in label


def test_held_out_runs_are_scored_with_the_band_named_or_the_reason_for_none():
    held = design(budgets=(1e21,), sizes=3)  # one budget past the design, three sizes around its optimum
    with_boot = fit_approach2(design(), n_bootstrap=30, holdout=held).holdout
    assert with_boot["band"] == "mean" and with_boot["band_label"].startswith("90% mean band of the frontier")
    assert 0.0 <= with_boot["mean_coverage"] <= 1.0 and with_boot["coverage"] is None
    assert with_boot["no_prediction_band"] == NO_PREDICTION_BAND
    assert all(r["mean_interval"][0] < r["predicted"] < r["mean_interval"][1] for r in with_boot["runs"])
    inside = np.mean([lo <= r["loss"] <= hi for r in with_boot["runs"] for lo, hi in [r["mean_interval"]]])
    assert with_boot["mean_coverage"] == inside
    no_boot = fit_approach2(design(), holdout=held).holdout
    assert no_boot["band"] is None and no_boot["mean_coverage"] is None
    assert no_boot["no_band"].startswith("no band: no bootstrap resamples were drawn")
    assert no_boot["are_mean"] == pytest.approx(with_boot["are_mean"])


def test_held_out_runs_are_not_scored_without_a_frontier():
    res = fit_approach2(design(budgets=(1e19,)), n_bootstrap=5).profiles
    out = score_frontier(res, [1e21], [1e9], [1e21 / 6e9], [2.5])
    assert out["frontier"] is None and out["reason"].startswith("the frontier needs 2 budgets")
