"""`scalinglab fit --approach isoflop|envelope` and duplicate handling."""

import csv
import json

import numpy as np
import pytest

from scalinglab.laws import ChinchillaParams
from scalinglab.laws.chinchilla import predict

TRUE = ChinchillaParams(E=1.8, A=450.0, B=2000.0, alpha=0.34, beta=0.36)
A_TRUE = TRUE.beta / (TRUE.alpha + TRUE.beta)


def _write(path, rows, fields):
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        w.writerows(rows)


@pytest.fixture
def isoflop_csv(tmp_path):
    rows = []
    for c in np.logspace(18, 21, 7):
        n_mid = float(np.sqrt(c / 6 / 20))
        for n in n_mid * np.logspace(-0.6, 0.6, 9):
            rows.append({"N": n, "C": c, "loss": float(predict(TRUE, n, c / (6 * n)))})
    rows.append(dict(rows[0]))  # one exact duplicate
    path = tmp_path / "iso.csv"
    _write(path, rows, ["N", "C", "loss"])
    return path


def test_isoflop_approach_recovers_exponent(run, isoflop_csv):
    base = ("fit", str(isoflop_csv), "--n-params-col", "N", "--flops-col", "C", "--loss-col", "loss")
    code, _, err = run(*base, "--approach", "isoflop")
    assert code == 1 and "duplicate rows 1, 64" in err and len(err.strip().splitlines()) == 1
    code, out, err = run(*base, "--approach", "isoflop", "--drop-duplicates", "--profile", "smooth", "--json")
    assert code == 0, err
    d = json.loads(out)
    assert d["approach"] == "isoflop"
    assert d["n_opt_fit"]["exponent"] == pytest.approx(A_TRUE, abs=0.01)


def test_envelope_approach_needs_checkpoints(run, tmp_path):
    rows = []
    for i, n in enumerate(np.logspace(7, 9, 12)):
        for t in np.logspace(8, 11, 30):
            rows.append({"run": f"r{i}", "N": n, "D": 1e11, "seen": t, "loss": float(predict(TRUE, n, t))})
    path = tmp_path / "curves.csv"
    _write(path, rows, ["run", "N", "D", "seen", "loss"])
    base = ("fit", str(path), "--n-params-col", "N", "--n-tokens-col", "seen", "--loss-col", "loss")
    code, _, err = run(*base, "--approach", "envelope")
    assert code == 1 and "'--run-col' and '--tokens-seen-col'" in err
    code, out, err = run(*base, "--approach", "envelope", "--run-col", "run", "--tokens-seen-col", "seen", "--json")
    assert code == 0, err
    assert json.loads(out)["n_opt_fit"]["exponent"] == pytest.approx(A_TRUE, abs=0.03)


def test_unknown_approach_is_one_line(run, isoflop_csv):
    code, _, err = run("fit", str(isoflop_csv), "--n-params-col", "N", "--flops-col", "C", "--loss-col", "loss",
                       "--approach", "magic")
    assert code == 1 and "'approach' parameter must be one of" in err


@pytest.mark.shared_data
def test_family_data_constrained_from_the_cli(run, shared_data, tmp_path):
    path = shared_data / "datablations" / "datablations_contour_losses.csv"
    base = ("fit", str(path), "--n-params-col", "num_params", "--n-tokens-col", "token_num", "--loss-col",
            "openLM_loss", "--family", "data-constrained")
    code, _, err = run(*base)
    assert code == 1 and "needs the unique tokens" in err and len(err.strip().splitlines()) == 1
    code, out, err = run(*base, "--unique-tokens-col", "tokens_per_epoch", "--out", str(tmp_path / "dc.json"),
                         "--json")
    assert code == 0, err
    d = json.loads(out)
    assert d["family"] == "data-constrained" and d["params"]["R_D*"] == pytest.approx(15.39, rel=0.1)
    code, out, err = run("plan", "--unique-tokens", "25B", "--compute", "9.26e21", "--law", str(tmp_path / "dc.json"),
                         "--json")
    assert code == 0, err
    assert json.loads(out)["epochs"] > 1
