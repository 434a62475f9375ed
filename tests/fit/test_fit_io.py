from __future__ import annotations

import json

import pytest

from scalinglab.fit import bootstrap, fit_chinchilla, save_fit
from scalinglab.laws import load_fitted, load_law


def test_save_fit_round_trips_through_load_law(make_runs, tmp_path):
    runs = make_runs(noise=0.01)
    fit = fit_chinchilla(runs, starts="coarse")
    boot = bootstrap(runs, fit, n_bootstrap=20)
    path = save_fit(fit, tmp_path / "fit.json", runs=runs, boot=boot)
    fitted = load_fitted(path)
    assert json.loads(path.read_text())["format"] == "scalinglab.fitted-law"
    assert fitted.law.params.as_dict() == pytest.approx(fit.params.as_dict(), rel=1e-12)
    assert len(fitted.samples) == 20 and fitted.identification.status == "unchecked"
    assert load_law(path).params.as_dict() == pytest.approx(fit.params.as_dict(), rel=1e-12)
    prov = json.loads(path.read_text())["provenance"]
    assert prov["objective"]["loss"] == "huber" and prov["n_runs"] == 64
    assert {"scalinglab_version", "created_utc", "starts", "bootstrap"} <= set(prov)
