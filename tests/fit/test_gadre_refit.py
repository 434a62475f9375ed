"""The over-training law fitted by the engine on Gadre et al.'s five small runs predicts their large runs."""

import csv

import numpy as np
import pytest

from scalinglab.fit import ParametricFitter, Runs

SMALL = [("d=96_l=8_h=4", 1.0), ("d=512_l=8_h=4", 1.0), ("d=576_l=24_h=8", 1.0), ("d=1024_l=24_h=8", 1.0),
         ("d=96_l=8_h=4", 16.0)]  # the paper's default fit set (scaling/shared.py fit_ds)
TARGETS = {("open_lm_1b", 32.0): 0.7103, ("open_lm_7b", 1.0): 0.7320}  # % relative error, notebook output


@pytest.mark.shared_data
@pytest.mark.parametrize("loss", ["mse", "huber"])
def test_over_training_fit_predicts_large_runs_within_about_one_percent(shared_data, loss):
    with open(shared_data / "gadre-overtraining" / "gadre_models_losses.csv", newline="") as f:
        rows = {(r["model_config"], float(r["chinchilla_multiplier"])): r for r in csv.DictReader(f)
                if r["dataset"] == "rpj"}
    pick = [rows[k] for k in SMALL]
    runs = Runs.from_arrays([float(r["params"]) for r in pick], [float(r["tokens"]) for r in pick],
                            [float(r["loss_c4_val"]) for r in pick])
    law = ParametricFitter("over-training", loss=loss).fit(runs).result_.law
    for key, published in TARGETS.items():
        r = rows[key]
        actual = float(r["loss_c4_val"])
        err = abs(law.loss(float(r["params"]), float(r["tokens"])) - actual) / actual * 100
        # The paper fits least squares on the loss itself (curve_fit); the engine fits log-loss residuals
        # (mse) or Huber on them, so the errors agree to within a few tenths of a percent, not exactly.
        assert err < 1.2, (key, err, published)
        assert err == pytest.approx(published, abs=0.5)
