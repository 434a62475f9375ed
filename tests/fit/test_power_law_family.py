"""Fitting the one-variable power laws L = E + A/x^α (x = N, D or C = 6ND) by name."""

from __future__ import annotations

import json

import numpy as np
import pytest

from scalinglab.fit import ParametricFitter, Runs, fit_family
from scalinglab.laws import load_law


@pytest.mark.parametrize(("family", "variable", "truth"), [
    ("power-law-n", "n_params", (1.7, 400.0, 0.34)),
    ("power-law-d", "n_tokens", (1.9, 2000.0, 0.37)),
    ("power-law-c", "flops", (1.6, 3000.0, 0.155)),
])
def test_power_law_families_recover_known_coefficients(family, variable, truth):
    e, a, alpha = truth
    rng = np.random.default_rng(1)
    n = np.logspace(7, 10, 30)
    d = 20.0 * n * np.exp(rng.uniform(-1.0, 1.0, n.size))  # D varies too: the fit must use the right variable
    x = {"n_params": n, "n_tokens": d, "flops": 6.0 * n * d}[variable]
    loss = (e + a / x**alpha) * np.exp(0.001 * rng.standard_normal(n.size))
    res = fit_family(family, Runs.from_arrays(n, d, loss))
    c = res.law.coefficients()
    assert res.law.variable == variable
    assert c["alpha"] == pytest.approx(alpha, rel=0.05)
    assert c["E"] == pytest.approx(e, rel=0.02)
    assert res.predict(n, d) == pytest.approx(e + a / x**alpha, rel=5e-3)


def test_power_law_family_from_the_fitter_and_the_cli(run, tmp_path):
    n = np.logspace(7, 10, 12)
    d = 20.0 * n
    loss = 1.7 + 400.0 / n**0.34
    fitter = ParametricFitter("power-law-n").fit(Runs.from_arrays(n, d, loss))
    assert fitter.predict(n, d) == pytest.approx(loss, rel=1e-4)
    path = tmp_path / "runs.csv"
    path.write_text("N,D,loss\n" + "\n".join(f"{a!r},{b!r},{c!r}" for a, b, c in zip(n.tolist(), d.tolist(),
                                                                                       loss.tolist())))
    code, out, _ = run("fit", str(path), "--n-params-col", "N", "--n-tokens-col", "D", "--loss-col", "loss",
                       "--family", "power-law-n", "--json", "--out", str(tmp_path / "law.json"))
    assert code == 0
    rep = json.loads(out)
    assert rep["family"] == "power-law-n" and rep["params"]["alpha"] == pytest.approx(0.34, rel=1e-3)
    law = load_law(tmp_path / "law.json")
    assert law.loss(1e9) == pytest.approx(1.7 + 400.0 / 1e9**0.34, rel=1e-4)
