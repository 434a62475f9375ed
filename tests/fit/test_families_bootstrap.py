"""Bootstrap intervals for the laws fitted by the generic path (Kaplan, over-training, power laws...)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from scalinglab.errors import ConfigError
from scalinglab.fit import Runs, bootstrap_family, fit_family
from scalinglab.laws.base import Citation
from scalinglab.laws.chinchilla import ChinchillaParams
from scalinglab.laws.datablations import DataConstrained
from scalinglab.laws.kaplan import KaplanJoint
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
    boot = bootstrap_family(runs, fit, n_bootstrap=40, seed=0)
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
        se.append(bootstrap_family(runs, fit_family("power-law-n", runs, loss="mse"), n_bootstrap=40, seed=0).se["alpha"])
    assert 2.5 < se[1] / se[0] < 6.0  # 4x the noise: about 4x the spread of the exponent


def test_kaplan_point_estimate_lies_inside_its_intervals(make_runs):
    runs = make_runs(noise=0.01)
    fit = fit_family("kaplan", runs)
    boot = bootstrap_family(runs, fit, n_bootstrap=40, seed=1)
    assert boot.n == 40 and boot.resample == "rows"
    for k, v in fit.law.coefficients().items():
        lo, hi = boot.intervals[k][0.95]
        assert lo <= v <= hi, k


def test_family_bootstrap_resamples_whole_runs_and_serialises():
    runs = _ot_runs(0.005, run_ids=True)
    fit = fit_family("power-law-c", runs)
    boot = bootstrap_family(runs, fit, n_bootstrap=20, seed=2)
    assert boot.resample == "runs"
    rep = json.loads(json.dumps(boot.as_dict()))
    assert set(rep) == {"n", "seed", "resample", "seconds", "se", "intervals"}
    assert set(rep["intervals"]["alpha"]) == {"0.95", "0.8"}


def test_family_bootstrap_rejects_bad_arguments(make_runs):
    runs = make_runs(noise=0.01)
    fit = fit_family("power-law-n", runs)
    with pytest.raises(ConfigError, match="'n_bootstrap' parameter"):
        bootstrap_family(runs, fit, n_bootstrap=1)
    with pytest.raises(ConfigError, match="'levels' parameter"):
        bootstrap_family(runs, fit, n_bootstrap=5, levels=(1.5,))


def test_fit_cmd_family_bootstrap_adds_intervals(run, tmp_path):
    runs = _ot_runs(0.005)
    path = tmp_path / "runs.csv"
    path.write_text("N,D,loss\n" + "\n".join(f"{a!r},{b!r},{c!r}" for a, b, c in
                                              zip(runs.n_params.tolist(), runs.n_tokens.tolist(),
                                                  runs.loss.tolist())))
    code, out, _ = run("fit", str(path), "--n-params-col", "N", "--n-tokens-col", "D", "--loss-col", "loss",
                       "--family", "power-law-c", "--n-bootstrap", "20", "--json")
    assert code == 0
    rep = json.loads(out)
    assert rep["intervals"]["n"] == 20
    assert set(rep["intervals"]["intervals"]) == set(rep["params"])
    for k, v in rep["params"].items():
        lo, hi = rep["intervals"]["intervals"][k][f"{rep['level']:g}"]
        assert lo <= hi and np.isfinite([lo, hi]).all()
    code, out, _ = run("fit", str(path), "--n-params-col", "N", "--n-tokens-col", "D", "--loss-col", "loss",
                       "--family", "power-law-c", "--n-bootstrap", "20")
    assert code == 0 and "90% interval" in out
    # --bootstrap, the older name of --n-bootstrap, still acts (hidden); both names at once are refused
    args = ("fit", str(path), "--n-params-col", "N", "--n-tokens-col", "D", "--loss-col", "loss",
            "--family", "power-law-c", "--json")
    code, out, _ = run(*args, "--bootstrap", "20")
    assert code == 0 and json.loads(out)["intervals"]["n"] == 20
    code, _, err = run(*args, "--bootstrap", "20", "--n-bootstrap", "30")
    assert code != 0 and "Give the number of bootstrap refits once" in err


def test_family_fit_and_bootstrap_warn_when_a_coordinate_sits_at_its_bound():
    from scalinglab.fit import FitWarning

    n = np.logspace(7, 10, 12)
    # a term falling as N^-4, steeper than the box allows (α ≤ 3): the exponent ends on its bound
    runs = Runs.from_arrays(n, 20.0 * n, 1.5 + 0.5 * (1e7 / n) ** 4)
    with pytest.warns(FitWarning, match="alpha of the power-law-n law sits at the bound"):
        fit = fit_family("power-law-n", runs)
    with pytest.warns(FitWarning, match="100% of the bootstrap refits put alpha at the bound"):
        bootstrap_family(runs, fit, n_bootstrap=10, seed=0)


CIT = Citation("test", 2025, "synthetic")
KAPLAN_TRUTH = KaplanJoint("truth", 0.076, 0.095, 8.8e13, 5.4e13, CIT)
DC_TRUTH = DataConstrained("truth", ChinchillaParams(1.87, 521.0, 1488.0, 0.35, 0.35), 15.4, 5.3, CIT)


def _grid(sizes: int, mults: tuple[float, ...]) -> tuple[np.ndarray, np.ndarray]:
    n = np.repeat(np.logspace(7.5, 9.5, sizes), len(mults))
    return n, n * np.tile(mults, sizes)


def _noisy(clean: np.ndarray, noise: float, seed: int) -> np.ndarray:
    return clean * np.exp(noise * np.random.default_rng(seed).standard_normal(clean.size))


@pytest.fixture(scope="module")
def kaplan_case():
    n, d = _grid(5, (5.0, 20.0, 80.0, 320.0))
    runs = Runs.from_arrays(n, d, _noisy(np.asarray(KAPLAN_TRUTH.loss(n, d)), 0.005, 0))
    return runs, fit_family("kaplan", runs)


def test_data_constrained_bootstrap_uses_the_unique_tokens():
    n = np.repeat(np.logspace(7, 9, 6), 4)
    d = np.tile([2e9, 8e9, 3e10, 1e11], 6)
    u = d / np.tile([1.0, 8.0, 30.0, 100.0], 6)  # up to 100 epochs: R_D* and R_N* are identified
    runs = Runs.from_arrays(n, d, _noisy(np.asarray(DC_TRUTH.loss(n, d, u)), 0.003, 0), unique_tokens=u)
    fit = fit_family("data-constrained", runs)
    done = []
    boot = bootstrap_family(runs, fit, n_bootstrap=15, seed=0, progress=lambda i, total: done.append((i, total)))
    assert done[-1] == (15, 15) and [i for i, _ in done] == sorted(i for i, _ in done)
    assert boot.theta.shape == (15, 6) and boot.family == "data-constrained"
    assert set(boot.samples) == set(fit.law.coefficients())
    np.testing.assert_array_equal(boot.samples["alpha"], boot.samples["beta"])  # α = β, as in the paper
    truth = DC_TRUTH.coefficients()
    for k in ("E", "alpha", "R_D*", "R_N*"):
        lo, hi = boot.intervals[k][0.95]
        assert lo <= truth[k] <= hi, k
    # the same fit without the unique tokens cannot be resampled
    with pytest.raises(ConfigError, match="unique tokens"):
        bootstrap_family(Runs.from_arrays(n, d, runs.loss), fit, n_bootstrap=2)


def test_kaplan_bootstrap_is_deterministic_and_serialises(kaplan_case):
    runs, fit = kaplan_case
    a = bootstrap_family(runs, fit, n_bootstrap=12, seed=5, levels=(0.9,))
    b = bootstrap_family(runs, fit, n_bootstrap=12, seed=5, levels=(0.9,))
    c = bootstrap_family(runs, fit, n_bootstrap=12, seed=6, levels=(0.9,))
    np.testing.assert_array_equal(a.theta, b.theta)
    assert not np.array_equal(a.theta, c.theta)
    assert a.n == 12 and a.seed == 5 and a.resample == "rows"
    rep = json.loads(json.dumps(a.as_dict()))
    assert set(rep) == {"n", "seed", "resample", "seconds", "se", "intervals"}
    assert set(rep["intervals"]) == set(fit.law.coefficients()) == set(rep["se"])
    assert all(set(v) == {"0.9"} and v["0.9"][0] <= v["0.9"][1] for v in rep["intervals"].values())


@pytest.mark.parametrize("n", [1, 0, -3, 2.0, True, "10"])
def test_bad_replicate_counts_are_rejected(kaplan_case, n):
    runs, fit = kaplan_case
    with pytest.raises(ConfigError, match=r"The 'n_bootstrap' parameter must be an integer >= 2\. Got "):
        bootstrap_family(runs, fit, n_bootstrap=n)


@pytest.mark.parametrize("levels", [(0.0,), (1.0,), (0.95, 1.5), (float("nan"),)])
def test_bad_levels_are_rejected(kaplan_case, levels):
    runs, fit = kaplan_case
    with pytest.raises(ConfigError, match=r"The 'levels' parameter must hold numbers in \(0, 1\)\. Got "):
        bootstrap_family(runs, fit, n_bootstrap=5, levels=levels)


def test_refits_without_a_finite_objective_are_dropped_and_counted(kaplan_case, monkeypatch):
    import scalinglab.fit.families as fam
    from scalinglab.fit import FitWarning

    runs, fit = kaplan_case
    real, calls = fam.solve, []

    def flaky(*args, **kw):  # every third replicate (two starts each) fails to find a finite objective
        calls.append(1)
        x, f = real(*args, **kw)
        return (x, 1e300) if (len(calls) - 1) // 2 % 3 == 0 else (x, f)

    monkeypatch.setattr(fam, "solve", flaky)
    with pytest.warns(FitWarning, match="4 of 12 bootstrap refits found no finite objective"):
        boot = bootstrap_family(runs, fit, n_bootstrap=12, seed=0)
    assert boot.n == 8 and boot.theta.shape == (8, 4) and (boot.objective < 1e299).all()


def test_weighted_refit_equals_the_refit_of_repeated_rows_with_unique_tokens():
    # integer weights must pair each run with its own unique tokens (the data-constrained family's extra)
    import functools

    import scalinglab.fit.families as fam

    n = np.repeat(np.logspace(7, 9, 6), 4)
    d = np.tile([2e9, 8e9, 3e10, 1e11], 6)
    u = d / np.tile([1.0, 8.0, 30.0, 100.0], 6)
    loss = _noisy(np.asarray(DC_TRUTH.loss(n, d, u)), 0.003, 0)
    log_pred, bounds = fam.FAMILIES["data-constrained"].log_loss, fam.FAMILIES["data-constrained"].bounds
    w = np.random.default_rng(4).multinomial(n.size, np.full(n.size, 1.0 / n.size)).astype(float)
    x0 = np.array([np.log(1.87), np.log(521.0), np.log(1488.0), 0.35, np.log(15.4), np.log(5.3)])
    _, f_w = fam.solve(functools.partial(log_pred, log_u=np.log(u)), x0, bounds,
                        (np.log(n), np.log(d), np.log(loss)), w, "huber", 1e-3, 0.75)
    rep = np.repeat(np.arange(n.size), w.astype(int))
    _, f_r = fam.solve(functools.partial(log_pred, log_u=np.log(u[rep])), x0, bounds,
                        (np.log(n[rep]), np.log(d[rep]), np.log(loss[rep])), None, "huber", 1e-3, 0.75)
    assert f_w == pytest.approx(f_r, rel=1e-6)
