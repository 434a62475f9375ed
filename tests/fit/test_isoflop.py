from __future__ import annotations

import csv

import pytest

from scalinglab.fit import fit_isoflops


@pytest.mark.shared_data
def test_fit_isoflops_chinchilla_fig3_exponent_near_half(shared_data):
    path = shared_data / "isoflop-collections" / "chinchilla_fig3_isoflops_ml_scalefit.csv"
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    res = fit_isoflops([float(r["budget"]) for r in rows], [float(r["params"]) for r in rows],
                       [float(r["loss"]) for r in rows])
    assert len(res.budgets) == 9
    assert res.a == pytest.approx(0.5, abs=0.04)  # Hoffmann et al. Table 2, Approach 2: 0.49
    assert res.a + res.b == pytest.approx(1.0, abs=1e-9)
