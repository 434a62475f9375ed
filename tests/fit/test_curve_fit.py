"""Fitting training-curve laws: recovery from synthetic curves, the authors' data and split, bands, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from scalinglab.errors import ConfigError, DataError
from scalinglab.fit.objectives import penalty
from scalinglab.fit.curves import Curve, curve_metrics, fit_curves, predict_curve
from scalinglab.laws.curves import MULTI_POWER, PUBLISHED_MULTI_POWER, curve_grid
from scalinglab.laws.schedules import parse_schedule

from _multipower import FIT_SET, PREDICT_SET, README_METRICS, SCHEDULES, SIZES, load_curve

TRUE = np.array(PUBLISHED_MULTI_POWER["25M"])


def synthetic(stem: str, sd: float, rng) -> Curve:
    lrs = parse_schedule(SCHEDULES[stem]).lrs()
    steps = np.arange(2160, lrs.size, 256)
    loss = MULTI_POWER.predict(TRUE, curve_grid(lrs, steps)) * np.exp(rng.normal(0, sd, steps.size))
    return Curve(steps, loss, lrs, stem)


def test_fit_recovers_a_known_law_and_predicts_an_unseen_schedule():
    rng = np.random.default_rng(1)
    fit = fit_curves([synthetic(s, 1e-4, rng) for s in FIT_SET], law="multi-power")
    target = synthetic("wsdld_20000_24000", 0.0, rng)
    pred = predict_curve(fit, target.lrs, target.steps)["loss"]
    assert np.max(np.abs(pred - target.loss) / target.loss) < 1e-3
    assert fit.n_at_best >= 2  # several starts agree on the best objective
    assert fit.params["L0"] == pytest.approx(TRUE[0], rel=0.05)


@pytest.mark.shared_data
def test_authors_procedure_reproduces_their_table(shared_data):
    """The authors' own fitting procedure on their split gives their README's figures for 100M (the bench
    prints all three sizes) and their parameters to 4 digits."""
    fit = fit_curves([load_curve(shared_data, "100M", s) for s in FIT_SET], method="authors")
    assert np.allclose(fit.theta, PUBLISHED_MULTI_POWER["100M"], rtol=2e-4)
    metrics = [curve_metrics(c.loss, predict_curve(fit, c.lrs, c.steps)["loss"])
               for c in (load_curve(shared_data, "100M", s) for s in PREDICT_SET)]
    for key, printed_to in (("prede", 1e-5), ("r2", 1e-4)):  # the README's last printed digit
        assert np.mean([m[key] for m in metrics]) == pytest.approx(README_METRICS["100M"][key], abs=printed_to / 2)


@pytest.fixture(scope="module")
def lsq_fits(shared_data):
    """The least-squares multi-power fit of each size on the authors' three curves (fitted once here)."""
    return {size: fit_curves([load_curve(shared_data, size, s) for s in FIT_SET]) for size in SIZES}


@pytest.mark.shared_data
@pytest.mark.parametrize("size", SIZES)
def test_least_squares_reaches_a_lower_objective_than_the_authors(shared_data, lsq_fits, size):
    """The minimum of the objective lies below the authors' early-stopped point; on their 72,000-step
    schedules it extrapolates worse (docs/curves.md), but within 35% of their mean relative error."""
    curves = [load_curve(shared_data, size, s) for s in FIT_SET]
    fit = lsq_fits[size]
    published = sum(_huber(np.log(c.loss) - np.log(MULTI_POWER.predict(np.array(PUBLISHED_MULTI_POWER[size]),
                                                                        curve_grid(c.lrs, c.steps))))
                    for c in curves)
    assert fit.objective < 0.5 * published
    prede = np.mean([curve_metrics(c.loss, predict_curve(fit, c.lrs, c.steps)["loss"])["prede"]
                     for c in (load_curve(shared_data, size, s) for s in PREDICT_SET)])
    assert prede <= 1.35 * README_METRICS[size]["prede"]


def _huber(r, delta=1e-3):
    return float(penalty(r, "huber", delta)[0].sum())


@pytest.mark.shared_data
def test_annealing_law_predicts_the_authors_schedules(shared_data):
    fit = fit_curves([load_curve(shared_data, "100M", s) for s in FIT_SET], law="annealing")
    prede = np.mean([curve_metrics(c.loss, predict_curve(fit, c.lrs, c.steps)["loss"])["prede"]
                     for c in (load_curve(shared_data, "100M", s) for s in PREDICT_SET)])
    assert prede < 0.002
    assert set(fit.params) == {"L0", "A", "alpha", "C"} and fit.as_dict()["lambda"] == 0.999


def test_bootstrap_bands_cover_the_truth_and_name_what_they_cover():
    rng = np.random.default_rng(3)
    fit = fit_curves([synthetic(s, 2e-3, rng) for s in FIT_SET], law="annealing", n_bootstrap=30, seed=2)
    target = synthetic("cosine_72000", 0.0, rng)
    band = predict_curve(fit, target.lrs, target.steps, level=0.9)
    assert fit.samples.shape == (30, 4)
    assert np.all(band["mean_low"] <= band["loss"] + 1e-12) and np.all(band["loss"] <= band["mean_high"] + 1e-12)
    assert np.all(band["run_high"] - band["run_low"] > band["mean_high"] - band["mean_low"])
    assert fit.residual_sd == pytest.approx(2e-3, rel=0.3)


@pytest.mark.parametrize("kwargs, error, words", [
    (dict(steps=[10, 5], loss=[3.0, 2.9]), DataError, "must increase"),
    (dict(steps=[5, 10], loss=[3.0, np.nan]), DataError, "finite number > 0"),
    (dict(steps=[5, 10], loss=[3.0, -1.0]), DataError, "finite number > 0"),
    (dict(steps=[5, 100], loss=[3.0, 2.9]), DataError, "past its schedule"),
    (dict(steps=[5], loss=[3.0, 2.9]), DataError, "one loss per step"),
])
def test_bad_curves_get_one_line(kwargs, error, words):
    with pytest.raises(error) as exc:
        Curve(lrs=np.full(50, 1e-3), name="run", **kwargs)
    assert words in str(exc.value) and "'run'" in str(exc.value)


def test_fit_refuses_bad_options():
    c = Curve(np.arange(1, 40), 3.0 + 1.0 / np.arange(1, 40), np.full(50, 1e-3), "c")
    with pytest.raises(ConfigError, match="curve law must be one of"):
        fit_curves([c], law="kaplan")
    with pytest.raises(ConfigError, match="'lam'"):
        fit_curves([c], law="annealing", lam=1.5)
    with pytest.raises(DataError, match="more points than parameters"):
        fit_curves([Curve(np.arange(1, 6), np.linspace(4, 3, 5), np.full(50, 1e-3), "c")])


@pytest.mark.shared_data
@pytest.mark.parametrize("size", SIZES)
def test_final_loss_of_each_held_back_schedule_within_one_percent(shared_data, lsq_fits, size):
    """Fitted on the authors' three curves, the law's final loss on each of the six others is within 1% of the
    logged one (the projection `track` makes from a schedule)."""
    fit = lsq_fits[size]
    assert fit.transfer_sd is not None and 1e-4 < fit.transfer_sd < 1e-2
    for stem in PREDICT_SET:
        c = load_curve(shared_data, size, stem)
        final = predict_curve(fit, c.lrs, c.steps[-1:])["loss"][0]
        assert abs(final - c.loss[-1]) / c.loss[-1] < 0.01, stem


def test_a_parameter_driven_to_its_bound_is_called_not_identified():
    from scalinglab.fit.curves import _LOG_BOUND, _degenerate

    names = ("L0", "A", "alpha", "C")
    theta = np.array([2.0, 1.0, 0.5, np.exp(_LOG_BOUND)])
    assert "C = " in _degenerate(names, theta, np.empty((0, 4)))[0]
    samples = np.tile([2.0, 1.0, 0.5, 0.3], (10, 1))
    samples[:3, 1] = np.exp(-_LOG_BOUND)
    reasons = _degenerate(names, np.array([2.0, 1.0, 0.5, 0.3]), samples)
    assert reasons == ("A reaches its bound (e^±50) in 30% of the bootstrap refits",)
    assert _degenerate(names, np.array([2.0, 1.0, 0.5, 0.3]), samples[3:]) == ()
    rng = np.random.default_rng(2)
    fit = fit_curves([synthetic(s, 1e-4, rng) for s in FIT_SET], law="multi-power", transfer=False)
    assert fit.identified and fit.as_dict()["identified"] is True and fit.reasons == ()
