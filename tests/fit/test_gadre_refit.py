"""The over-training law fitted by the engine on Gadre et al.'s five small runs predicts their large runs."""

import csv

import pytest

from scalinglab.fit import ParametricFitter, Runs

SMALL = [("d=96_l=8_h=4", 1.0), ("d=512_l=8_h=4", 1.0), ("d=576_l=24_h=8", 1.0), ("d=1024_l=24_h=8", 1.0),
         ("d=96_l=8_h=4", 16.0)]  # the paper's default fit set (scaling/shared.py fit_ds)
TARGETS = {("open_lm_1b", 32.0): 0.7103, ("open_lm_7b", 1.0): 0.7320}  # % relative error, notebook output


def _rpj(shared_data):
    """Gadre et al.'s RedPajama rows by (config, multiplier), and the five default fit runs as Runs."""
    with open(shared_data / "gadre-overtraining" / "gadre_models_losses.csv", newline="") as f:
        rows = {(r["model_config"], float(r["chinchilla_multiplier"])): r for r in csv.DictReader(f)
                if r["dataset"] == "rpj"}
    pick = [rows[k] for k in SMALL]
    return rows, Runs.from_arrays([float(r["params"]) for r in pick], [float(r["tokens"]) for r in pick],
                                  [float(r["loss_c4_val"]) for r in pick])


@pytest.mark.shared_data
@pytest.mark.parametrize("loss", ["mse", "huber"])
def test_over_training_fit_predicts_large_runs_within_about_one_percent(shared_data, loss):
    rows, runs = _rpj(shared_data)
    law = ParametricFitter("over-training", loss=loss).fit(runs).result_.law
    for key, published in TARGETS.items():
        r = rows[key]
        actual = float(r["loss_c4_val"])
        err = abs(law.loss(float(r["params"]), float(r["tokens"])) - actual) / actual * 100
        # The paper fits least squares on the loss itself (curve_fit); the engine fits log-loss residuals
        # (mse) or Huber on them, so the errors agree to within a few tenths of a percent, not exactly.
        assert err < 1.2, (key, err, published)
        assert err == pytest.approx(published, abs=0.5)


@pytest.mark.shared_data
def test_the_papers_objective_reproduces_the_published_errors_to_four_digits(shared_data):
    """Gadre et al. fit least squares on the loss itself (scipy curve_fit); residuals="loss" is that
    objective, and the published 0.7103% / 0.7320% (notebook output) come out to the printed digits."""
    rows, runs = _rpj(shared_data)
    fit = ParametricFitter("over-training", loss="mse", residuals="loss").fit(runs).result_
    assert fit.residuals == "loss" and fit.as_dict()["residuals"] == "loss"
    for key, published in TARGETS.items():
        r = rows[key]
        actual = float(r["loss_c4_val"])
        err = abs(fit.law.loss(float(r["params"]), float(r["tokens"])) - actual) / actual * 100
        assert err == pytest.approx(published, abs=5e-4), key


def test_residuals_loss_is_refused_for_chinchilla_and_unknown_values_are_named():
    from scalinglab.errors import ConfigError
    from scalinglab.fit import fit_family

    runs = Runs.from_arrays([1e8, 2e8, 4e8, 8e8, 1.6e9, 3.2e9], [2e9, 4e9, 8e9, 1.6e10, 3.2e10, 6.4e10],
                            [3.5, 3.2, 3.0, 2.8, 2.65, 2.5])
    with pytest.raises(ConfigError, match="'residuals' parameter must be 'log' for the chinchilla family"):
        fit_family("chinchilla", runs, residuals="loss")
    with pytest.raises(ConfigError, match="'residuals'"):
        fit_family("kaplan", runs, residuals="linear")
