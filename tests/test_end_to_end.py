"""Runs -> fit with bootstrap -> saved law -> plan with intervals, through the CLI."""

import csv
import json

import numpy as np
import pytest

from scalinglab.cli import main
from scalinglab.laws import ChinchillaParams
from scalinglab.laws.chinchilla import predict

TRUE = ChinchillaParams(E=1.8, A=450.0, B=2000.0, alpha=0.34, beta=0.36)


def _write_runs(path, seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for c in np.logspace(18, 21, 7):
        for n in np.logspace(np.log10(np.sqrt(c / 6 / 20)) - 1, np.log10(np.sqrt(c / 6 / 20)) + 1, 9):
            d = c / (6 * n)
            loss = float(predict(TRUE, n, d)) * float(np.exp(0.003 * rng.standard_normal()))
            rows.append({"N": n, "C": c, "loss": loss})
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["N", "C", "loss"])
        w.writeheader()
        w.writerows(rows)


def _run(capsys, *argv):
    try:
        main(list(argv))
    except SystemExit as exc:
        assert not exc.code, capsys.readouterr().err
    return capsys.readouterr().out


def test_fit_then_plan_carries_bootstrap_intervals(tmp_path, capsys):
    runs, law = tmp_path / "runs.csv", tmp_path / "fit.json"
    _write_runs(runs)
    out = _run(capsys, "fit", str(runs), "--n-params-col", "N", "--flops-col", "C", "--loss-col", "loss",
               "--starts", "coarse", "--n-bootstrap", "100", "--out", str(law), "--json")
    fit = json.loads(out)
    assert fit["params"]["alpha"] == pytest.approx(TRUE.alpha, rel=0.1)
    saved = json.loads(law.read_text())
    assert len(saved["samples"]) == 100 and saved["provenance"]
    plan = json.loads(_run(capsys, "plan", "--flops", "1e22", "--law", str(law), "--json"))
    iv = plan["intervals"]
    for key in ("n_params", "n_tokens", "tokens_per_param", "loss"):
        assert iv[key]["low"] < plan[key] < iv[key]["high"], key
        assert iv[key]["n_samples"] == 100
    # the truth's optimum lies inside the 90% band of N*
    a = TRUE.beta / (TRUE.alpha + TRUE.beta)
    g = (TRUE.alpha * TRUE.A / (TRUE.beta * TRUE.B)) ** (1 / (TRUE.alpha + TRUE.beta))
    assert iv["n_params"]["low"] < g * (1e22 / 6) ** a < iv["n_params"]["high"]
