"""Bootstrap intervals for the laws fitted by the generic path (Kaplan, over-training, power laws...)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from scalinglab.errors import ConfigError
from scalinglab.fit import Runs, bootstrap_family, fit_family
from scalinglab.laws.base import Citation
from scalinglab.laws.overtraining import OverTraining

TRUTH = OverTraining("truth", 1.85, 140.0, 200.0, 0.12, Citation("test", 2025, "synthetic"))


def _ot_runs(noise: float, seed: int = 0, run_ids: bool = False) -> Runs:
    rng = np.random.default_rng(seed)
    n = np.repeat(np.logspace(7.5, 9.5, 6), 4)
    d = n * np.tile([10.0, 20.0, 80.0, 320.0], 6)
    loss = np.asarray(TRUTH.loss(n, d)) * np.exp(noise * rng.standard_normal(n.size))
    return Runs.from_arrays(n, d, loss, run_id=np.repeat(np.arange(12), 2) if run_ids else None)


def test_over_training_intervals_cover_the_truth():
    runs = _ot_runs(0.003)
    fit = fit_family("over-training", runs)
    boot = bootstrap_family(runs, fit, n=40, seed=0)
    truth = TRUTH.coefficients()
    inside = [boot.intervals[k][0.95][0] <= truth[k] <= boot.intervals[k][0.95][1] for k in truth]
    assert sum(inside) >= 3  # 95% intervals: all four cover here; allow one miss for resampling noise
    assert all(np.isfinite(v) and v > 0 for v in boot.se.values())


def test_family_bootstrap_spread_grows_with_the_noise():
    n = np.logspace(7, 10, 25)
    clean = 1.7 + 400.0 / n**0.34
    se = []
    for noise in (0.002, 0.008):
        runs = Runs.from_arrays(n, 20.0 * n, clean * np.exp(noise * np.random.default_rng(0).standard_normal(25)))
        se.append(bootstrap_family(runs, fit_family("power-law-n", runs, loss="mse"), n=40, seed=0).se["alpha"])
    assert 2.5 < se[1] / se[0] < 6.0  # 4x the noise: about 4x the spread of the exponent


def test_kaplan_point_estimate_lies_inside_its_intervals(make_runs):
    runs = make_runs(noise=0.01)
    fit = fit_family("kaplan", runs)
    boot = bootstrap_family(runs, fit, n=40, seed=1)
    assert boot.n == 40 and boot.resample == "rows"
    for k, v in fit.law.coefficients().items():
        lo, hi = boot.intervals[k][0.95]
        assert lo <= v <= hi, k


def test_family_bootstrap_resamples_whole_runs_and_serialises():
    runs = _ot_runs(0.005, run_ids=True)
    fit = fit_family("power-law-c", runs)
    boot = bootstrap_family(runs, fit, n=20, seed=2)
    assert boot.resample == "runs"
    rep = json.loads(json.dumps(boot.as_dict()))
    assert set(rep) == {"n", "seed", "resample", "seconds", "se", "intervals"}
    assert set(rep["intervals"]["alpha"]) == {"0.95", "0.8"}


def test_family_bootstrap_rejects_bad_arguments(make_runs):
    runs = make_runs(noise=0.01)
    fit = fit_family("power-law-n", runs)
    with pytest.raises(ConfigError, match="'n' parameter"):
        bootstrap_family(runs, fit, n=1)
    with pytest.raises(ConfigError, match="'levels' parameter"):
        bootstrap_family(runs, fit, n=5, levels=(1.5,))


def test_fit_cmd_family_bootstrap_adds_intervals(run, tmp_path):
    runs = _ot_runs(0.005)
    path = tmp_path / "runs.csv"
    path.write_text("N,D,loss\n" + "\n".join(f"{a!r},{b!r},{c!r}" for a, b, c in
                                              zip(runs.n_params.tolist(), runs.n_tokens.tolist(),
                                                  runs.loss.tolist())))
    code, out, _ = run("fit", str(path), "--n-params-col", "N", "--n-tokens-col", "D", "--loss-col", "loss",
                       "--family", "power-law-c", "--bootstrap", "20", "--json")
    assert code == 0
    rep = json.loads(out)
    assert rep["intervals"]["n"] == 20
    assert set(rep["intervals"]["intervals"]) == set(rep["params"])
    for k, v in rep["params"].items():
        lo, hi = rep["intervals"]["intervals"][k]["0.95"]
        assert lo <= hi and np.isfinite([lo, hi]).all()
    code, out, _ = run("fit", str(path), "--n-params-col", "N", "--n-tokens-col", "D", "--loss-col", "loss",
                       "--family", "power-law-c", "--bootstrap", "20")
    assert code == 0 and "95% interval" in out


def test_family_fit_and_bootstrap_warn_when_a_coordinate_sits_at_its_bound():
    from scalinglab.fit import FitWarning

    n = np.logspace(7, 10, 12)
    # loss that rises with N: no E + A/N^α fits it; the exponent runs to its bound (a spike on the smallest N)
    runs = Runs.from_arrays(n, 20.0 * n, 2.0 + 0.02 * np.log10(n))
    with pytest.warns(FitWarning, match="alpha of the power-law-n law sits at the bound"):
        fit = fit_family("power-law-n", runs)
    with pytest.warns(FitWarning, match="100% of the bootstrap refits put alpha at the bound"):
        bootstrap_family(runs, fit, n=10, seed=0)
