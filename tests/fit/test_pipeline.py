"""fit_law: one FittedLaw for every family, with bands that say what they cover and an identification verdict."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

from scalinglab.errors import ConfigError, PlanError
from scalinglab.fit import Runs, fit_law
from scalinglab.laws import load_fitted, save_fitted
from scalinglab.laws.chinchilla import predict
from scalinglab.plan import plan_compute

from scalinglab.laws import ChinchillaParams

TRUE = ChinchillaParams(E=1.8, A=450.0, B=2000.0, alpha=0.34, beta=0.37)


@pytest.fixture(name="synthetic_runs")
def _synthetic(make_runs):
    return make_runs


def test_fit_law_recovers_truth_and_is_identified(synthetic_runs):
    fl = fit_law(synthetic_runs(noise=0.005, seed=1), starts="coarse", n_bootstrap=100)
    co = fl.law.coefficients()
    assert co["alpha"] == pytest.approx(TRUE.alpha, rel=0.05) and co["beta"] == pytest.approx(TRUE.beta, rel=0.05)
    assert fl.identification.status == "identified" and fl.identification.n_refits == 100
    # the run scatter is the noise that was put in (0.5% in log loss), within sampling error
    assert fl.scatter.sigma == pytest.approx(0.005, rel=0.25)
    assert fl.scatter.df == 64 - 5


def test_prediction_band_is_wider_than_mean_band_and_both_contain_the_point(synthetic_runs):
    fl = fit_law(synthetic_runs(noise=0.01, seed=2), starts="coarse", n_bootstrap=60)
    n, d = np.array([1e8, 1e9]), np.array([1e10, 1e11])
    m_lo, m_hi = fl.mean_band(n, d)
    p_lo, p_hi = fl.prediction_band(n, d)
    point = fl.predict(n, d)
    assert np.all(p_lo < m_lo) and np.all(m_hi < p_hi)
    assert np.all((m_lo < point) & (point < m_hi))
    # the prediction band is about ±1.645 sigma wide in log loss at 90%
    half = 0.5 * np.log(p_hi / p_lo)
    assert np.all((half > 1.4 * fl.scatter.sigma) & (half < 2.5 * fl.scatter.sigma))


def test_prediction_band_widens_beyond_the_fitted_compute(synthetic_runs):
    fl = fit_law(synthetic_runs(noise=0.01, seed=3), starts="coarse")
    assert fl.mean_band(1e9, 1e10) is None  # no bootstrap: no mean band, and it says so by None
    inside = np.log(np.divide(*fl.prediction_band(1e9, 1e10)[::-1]))
    far = np.log(np.divide(*fl.prediction_band(1e13, 1e15)[::-1]))
    assert far >= inside and fl.scatter.n_folds == 4


def test_single_budget_runs_are_not_identified_and_plans_refuse():
    # every run at one compute budget: the split between A/N^a and B/D^b cannot be identified
    n = np.logspace(7, 9, 8)
    d = 1e19 / (6 * n)
    rng = np.random.default_rng(0)
    runs = Runs.from_arrays(n, d, predict(TRUE, n, d) * np.exp(0.01 * rng.standard_normal(n.size)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fl = fit_law(runs, starts="coarse", n_bootstrap=50)
    ident = fl.identification
    assert ident.status == "not identified" and ident.reasons and "budgets" in ident.fix
    with pytest.raises(PlanError, match="not identified"):
        plan_compute(1e22, law=fl)
    stamped = plan_compute(1e22, law=fl, allow_unidentified=True)
    assert stamped.stamp == "NOT IDENTIFIED" and any("NOT IDENTIFIED" in n for n in stamped.notes)


@pytest.mark.parametrize("family", ["kaplan", "over-training", "power-law-c"])
def test_every_family_saved_with_bootstrap_plans_with_intervals(family, tmp_path, synthetic_runs):
    runs = synthetic_runs(noise=0.005, seed=4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fl = fit_law(runs, family, n_bootstrap=12)
    path = save_fitted(fl, tmp_path / "fit.json")
    back = load_fitted(path)
    assert len(back.samples) == len(fl.samples) > 0 and back.identification == fl.identification
    assert back.scatter == fl.scatter
    if family.startswith("power-law"):
        with pytest.raises(ConfigError, match="one-variable"):
            plan_compute(1e21, law=str(path))
        return
    plan = plan_compute(1e21, law=str(path), allow_unidentified=True)
    assert {"n_params", "loss", "loss_new_run"} <= set(plan.intervals)
    assert plan.intervals["loss_new_run"].band == "prediction" and plan.intervals["loss"].band == "mean"
    assert plan.intervals["loss_new_run"].low < plan.loss < plan.intervals["loss_new_run"].high


def test_fitted_json_round_trip_and_version_errors(tmp_path, synthetic_runs):
    fl = fit_law(synthetic_runs(seed=5), starts="coarse", n_bootstrap=10)
    path = save_fitted(fl, tmp_path / "f.json")
    d = json.loads(path.read_text())
    assert d["format"] == "scalinglab.fitted-law" and d["format_version"] == 2
    back = load_fitted(path)
    n, d_ = 3e8, 6e9
    assert back.prediction_band(n, d_) == pytest.approx(fl.prediction_band(n, d_))
    assert back.mean_band(n, d_) == pytest.approx(fl.mean_band(n, d_))
    raw = json.loads(path.read_text())
    raw["format_version"] = 99
    (tmp_path / "bad.json").write_text(json.dumps(raw))
    with pytest.raises(ConfigError, match="'format_version' field of a fitted law must be 2.*Got 99"):
        load_fitted(tmp_path / "bad.json")


def test_version_one_law_files_still_load(tmp_path):
    v1 = {"format": "scalinglab.law", "format_version": 1, "family": "chinchilla", "name": "old",
          "coefficients": {"E": 1.8, "A": 450.0, "B": 2000.0, "alpha": 0.34, "beta": 0.37},
          "citation": {"authors": "a", "year": 2025, "title": "t", "arxiv": "", "where": ""}, "notes": "",
          "samples": [{"E": 1.8, "A": 450.0 * f, "B": 2000.0, "alpha": 0.34, "beta": 0.37} for f in (0.9, 1.0, 1.1)],
          "provenance": {"n_runs": 10}}
    (tmp_path / "v1.json").write_text(json.dumps(v1))
    fl = load_fitted(tmp_path / "v1.json")
    assert fl.identification.status == "unchecked" and len(fl.samples) == 3 and fl.scatter is None
    plan = plan_compute(1e21, law=str(tmp_path / "v1.json"))
    assert "n_params" in plan.intervals and "loss_new_run" not in plan.intervals


def test_fit_law_rejects_bad_arguments(synthetic_runs):
    runs = synthetic_runs()
    with pytest.raises(ConfigError, match="'n_bootstrap' parameter must be 0 or an integer >= 2. Got 1"):
        fit_law(runs, n_bootstrap=1)
    with pytest.raises(ConfigError, match="'family' parameter must be one of"):
        fit_law(runs, "nope")
    with pytest.raises(ConfigError, match="'level' parameter must be a number in"):
        fit_law(runs, level=1.5)
