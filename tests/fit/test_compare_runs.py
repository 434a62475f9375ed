"""compare_runs: the multiplier of one run set over another recovered from synthetic sets with a known answer."""

from __future__ import annotations

import json

import numpy as np
import pytest

from scalinglab.errors import ConfigError, FitError
from scalinglab.fit import Runs, compare_runs, fit_law, load_comparison, save_comparison
from scalinglab.fit.compare_synth import synthetic_pair
from scalinglab.laws.chinchilla import HOFFMANN_ROUNDED, ChinchillaParams, predict

GROWTH = float(np.log(2.0) / np.log(1e3))  # M doubles over the synthetic budgets 1e17..1e20


def test_compare_recovers_a_constant_multiplier_with_shared_exponents():
    pair = synthetic_pair(3.0, 0.0, seed=3)
    cmp = compare_runs(pair.runs_a, pair.runs_b, exponents="shared", n_bootstrap=60, seed=1)
    assert cmp.status == "identified" and cmp.n_pairs == 60
    np.testing.assert_allclose(cmp.multiplier, cmp.multiplier[0])  # shared exponents: one constant
    assert cmp.multiplier[0] == pytest.approx(3.0, rel=0.12)
    assert (cmp.lower < 3.0).all() and (cmp.upper > 3.0).all()
    assert cmp.verdict == "assumed constant" and cmp.exponent_difference is None
    assert cmp.sides[0].curve["a"] == cmp.sides[1].curve["a"] and cmp.sides[0].curve["E"] == cmp.sides[1].curve["E"]


def test_compare_recovers_a_growing_multiplier_with_separate_exponents():
    pair = synthetic_pair(1.5, GROWTH, seed=0)
    cmp = compare_runs(pair.runs_a, pair.runs_b, exponents="separate", n_bootstrap=60, seed=0)
    truth = pair.truth(cmp.at)
    np.testing.assert_allclose(cmp.multiplier, truth, rtol=0.15)
    assert cmp.at[0] == pytest.approx(1e17) and cmp.at[-1] == pytest.approx(1e20)  # the budgets both measured
    assert cmp.verdict == "grows" and cmp.trend_interval[0] > 1.0
    assert cmp.trend_interval[0] < 2.0 < cmp.trend_interval[1]  # M doubles from 1e17 to 1e20
    lo, hi = cmp.exponent_interval
    assert lo < pair.exponent_difference < hi


def test_shared_and_separate_agree_on_a_constant_truth_and_separate_does_not_invent_growth():
    pair = synthetic_pair(1.5, 0.0, seed=5)
    shared = compare_runs(pair.runs_a, pair.runs_b, exponents="shared", n_bootstrap=40, seed=2)
    sep = compare_runs(pair.runs_a, pair.runs_b, exponents="separate", n_bootstrap=40, seed=2)
    mid = len(sep.at) // 2
    assert sep.multiplier[mid] == pytest.approx(shared.multiplier[mid], rel=0.1)
    assert sep.verdict in ("holds", "cannot tell")  # the truth is constant: neither grows nor shrinks
    assert sep.trend_interval[0] < 1.0 < sep.trend_interval[1]
    # separate exponents cost width: their interval at the ends is wider than the shared one
    assert np.log(sep.upper[0] / sep.lower[0]) > np.log(shared.upper[0] / shared.lower[0])


def _chinchilla_runs(params: ChinchillaParams, *, seed: int, noise: float = 0.005, n_scale: float = 1.0,
                     d_scale: float = 1.0) -> Runs:
    """An 8×8 grid of N × D whose loss is ``L(n_scale·N, d_scale·D)`` with log-normal noise."""
    rng = np.random.default_rng(seed)
    n, d = (v.ravel() for v in np.meshgrid(np.geomspace(1e7, 1e10, 8), np.geomspace(1e9, 1e12, 8)))
    loss = predict(params, n_scale * n, d_scale * d) * np.exp(noise * rng.standard_normal(n.size))
    return Runs.from_arrays(n, d, loss)


def test_unreachable_loss_is_infinite_never_nan():
    # B is A with its irreducible loss 0.3 lower: far enough out B's loss is below anything A can reach
    low_e = ChinchillaParams(E=HOFFMANN_ROUNDED.E - 0.3, A=HOFFMANN_ROUNDED.A, B=HOFFMANN_ROUNDED.B,
                             alpha=HOFFMANN_ROUNDED.alpha, beta=HOFFMANN_ROUNDED.beta)
    a, b = _chinchilla_runs(HOFFMANN_ROUNDED, seed=1), _chinchilla_runs(low_e, seed=2)
    cmp = compare_runs(a, b, frontier="law", n_bootstrap=20, at=[1e19, 1e30], seed=0)
    assert np.isfinite(cmp.multiplier[0]) and cmp.multiplier[0] > 1.0
    assert np.isposinf(cmp.multiplier[1]) and np.isposinf(cmp.lower[1]) and np.isposinf(cmp.upper[1])
    assert cmp.unreachable[1] == 1.0 and cmp.at_reasons[1] == ""  # every replicate agrees: identified as such
    row = cmp.as_dict()["multipliers"][1]
    assert row["multiplier"] == "inf" and row["interval"] == ["inf", "inf"]
    assert not any(np.isnan(v) for v in (*cmp.multiplier, *cmp.lower, *cmp.upper))


def test_saved_fits_compare_by_tokens_and_params_and_refuse_n_bootstrap():
    # B reaches A's loss with half the tokens (L_B(N, D) = L_A(N, 2D)): by tokens M = 2 at every N and D
    a = fit_law(_chinchilla_runs(HOFFMANN_ROUNDED, seed=3), n_bootstrap=30, seed=0)
    b = fit_law(_chinchilla_runs(HOFFMANN_ROUNDED, seed=4, d_scale=2.0), n_bootstrap=30, seed=1)
    cmp = compare_runs(a, b, by="tokens", hold=1e9, at=[1e10, 1e11], seed=0)
    assert cmp.n_pairs == 30 and cmp.sides[0].kind == "saved" and cmp.hold == 1e9
    np.testing.assert_allclose(cmp.multiplier, 2.0, rtol=0.15)
    assert (cmp.lower < 2.0).all() and (cmp.upper > 2.0).all()
    with pytest.raises(ConfigError, match="n_bootstrap"):
        compare_runs(a, b, by="tokens", hold=1e9, at=[1e10], n_bootstrap=50)
    c = fit_law(_chinchilla_runs(HOFFMANN_ROUNDED, seed=5, n_scale=3.0), n_bootstrap=30, seed=2)
    by_n = compare_runs(a, c, by="params", hold=1e11, at=[1e8, 1e9])
    np.testing.assert_allclose(by_n.multiplier, 3.0, rtol=0.2)


def test_runs_side_against_a_saved_fit_draws_the_fits_refits_to_match():
    pair = synthetic_pair(1.5, 0.0, seed=7)
    saved = fit_law(pair.runs_b, n_bootstrap=10, seed=0)
    cmp = compare_runs(pair.runs_a, saved, n_bootstrap=25, seed=0)
    assert cmp.sides[0].kind == "isoflop" and cmp.sides[1].kind == "saved" and cmp.n_pairs + cmp.n_degenerate == 25
    mid = len(cmp.at) // 2
    assert cmp.multiplier[mid] == pytest.approx(1.5, rel=0.2)


def test_too_few_budgets_is_not_identified_with_the_reason():
    pair = synthetic_pair(1.5, 0.0, budgets=np.array([1e18, 1e19]), seed=0)
    with pytest.raises(FitError, match="frontier is not identified: 2 of its 2 budgets have an interior minimum"):
        compare_runs(pair.runs_a, pair.runs_b, frontier="isoflop", n_bootstrap=200)
    three = synthetic_pair(1.5, 0.0, budgets=np.array([1e18, 1e19, 1e20]), seed=0)
    cmp = compare_runs(three.runs_a, three.runs_b, exponents="separate", n_bootstrap=20)
    assert cmp.status == "not identified"
    assert any("3 points fix its E, A and exponent exactly" in r for r in cmp.reasons)


def test_wide_multiplier_interval_is_not_identified_at_that_x():
    pair = synthetic_pair(1.5, 0.0, noise=0.05, seed=1)
    cmp = compare_runs(pair.runs_a, pair.runs_b, n_bootstrap=40, at=[3e18, 1e25], seed=0)
    far = cmp.at_reasons[1]
    assert "limit 2 decades" in far and cmp.rows()[1]["identified"] is False


@pytest.mark.parametrize("kw, match", [
    ({"by": "flops"}, "'by' parameter"),
    ({"exponents": "both"}, "'exponents' parameter"),
    ({"hold": 1e9}, "'hold' parameter holds N"),
    ({"by": "tokens", "frontier": "isoflop"}, "IsoFLOP profiles give the compute frontier only"),
    ({"n_bootstrap": 1}, "'n_bootstrap' parameter"),
    ({"at": [1e18, -1.0]}, "'at' parameter"),
    ({"level": 1.5}, "'level' parameter"),
    ({"family": "data-constrained", "frontier": "law"}, "'family' parameter"),
])
def test_bad_options_are_one_clear_error(kw, match):
    pair = synthetic_pair(1.5, 0.0, seed=0)
    with pytest.raises(ConfigError, match=match):
        compare_runs(pair.runs_a, pair.runs_b, **{"n_bootstrap": 0, **kw})


def test_a_one_variable_saved_law_compares_only_in_its_variable():
    pair = synthetic_pair(1.5, 0.0, seed=0)
    law_n = fit_law(_chinchilla_runs(HOFFMANN_ROUNDED, seed=1), "power-law-n", n_bootstrap=5)
    with pytest.raises(ConfigError, match="compared by params only"):
        compare_runs(pair.runs_a, law_n, n_bootstrap=5)


def test_comparison_saves_and_loads_unchanged(tmp_path):
    pair = synthetic_pair(3.0, GROWTH, seed=2)
    cmp = compare_runs(pair.runs_a, pair.runs_b, n_bootstrap=20, seed=0)
    path = save_comparison(cmp, tmp_path / "cmp.json")
    back = load_comparison(path)
    assert json.dumps(back.as_dict(), default=str) == json.dumps(cmp.as_dict(), default=str)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**json.loads(path.read_text()), "multipliers": 3}))
    with pytest.raises(ConfigError, match="field 'multipliers' must be a list of rows. Got 3"):
        load_comparison(bad)
    bad.write_text('{"format": "scalinglab.fitted-law"}')
    with pytest.raises(ConfigError, match="field 'format' must be 'scalinglab.comparison'"):
        load_comparison(bad)


def test_options_that_cannot_act_are_refused():
    pair = synthetic_pair(1.5, 0.0, seed=0)
    with pytest.raises(ConfigError, match="every side of runs gives IsoFLOP profile minima, so it cannot act"):
        compare_runs(pair.runs_a, pair.runs_b, family="kaplan", n_bootstrap=0)
    law_n = fit_law(_chinchilla_runs(HOFFMANN_ROUNDED, seed=1), "power-law-n", n_bootstrap=5)
    with pytest.raises(ConfigError, match="both sides are one-variable laws, so it cannot act"):
        compare_runs(law_n, law_n, by="params", hold=1e10, at=[1e8])
