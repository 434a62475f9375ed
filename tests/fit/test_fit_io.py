from __future__ import annotations

import json

import pytest

from scalinglab.fit import bootstrap, fit_chinchilla, save_fit
from scalinglab.laws import load_law


def test_save_fit_round_trips_through_load_law(make_runs, tmp_path):
    runs = make_runs(noise=0.01)
    fit = fit_chinchilla(runs, starts="coarse")
    boot = bootstrap(runs, fit, n_bootstrap=20)
    path = save_fit(fit, tmp_path / "fit.json", runs=runs, boot=boot)
    law = load_law(path)
    assert law.params.as_dict() == pytest.approx(fit.params.as_dict(), rel=1e-12)
    assert len(law.samples) == 20 and len(law.variants()) == 20
    prov = json.loads(path.read_text())["provenance"]
    assert prov["objective"]["loss"] == "huber" and prov["n_runs"] == 64
    assert {"scalinglab_version", "created_utc", "starts", "bootstrap"} <= set(prov)
