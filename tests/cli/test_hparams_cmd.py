"""`scalinglab fit-hparams`: a sweep file to a rule file that `plan --hp-rule` reads; one-line errors."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from scalinglab.laws import load_rule

TRUE = (math.log(2.0), -0.7, 0.3, math.log(0.5), 0.55)


def write_sweep(path, *, noise: float = 0.0, one_lr: bool = False):
    """A grid around a known optimum per (N, D): lr × batch (sequences of 1,024 tokens)."""
    rng = np.random.default_rng(0)
    lines = ["params,tokens,learning_rate,batch_size,final_loss"]
    for n in (1e8, 3e8, 1e9):
        for d in (2e9, 1e10, 5e10):
            lr_star = math.exp(TRUE[0] + TRUE[1] * math.log(n) + TRUE[2] * math.log(d))
            b_star = math.exp(TRUE[3] + TRUE[4] * math.log(d))
            lrs = [lr_star] if one_lr else lr_star * 2.0 ** np.arange(-3, 4)
            for lr in lrs:
                for seqs in np.unique(np.round(b_star / 1024 * 2.0 ** np.arange(-3, 3))):
                    u, v = math.log(lr / lr_star), math.log(seqs * 1024 / b_star)
                    loss = (2 + 0.02 * u * u + 0.01 * v * v) * math.exp(rng.normal(0, noise))
                    lines.append(f"{n:g},{d:g},{lr:.6g},{seqs:g},{loss:.8g}")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_fit_writes_a_rule_that_plan_uses(run, tmp_path):
    sweep, rule = write_sweep(tmp_path / "sweep.csv", noise=3e-4), tmp_path / "rule.json"
    code, out, err = run("fit-hparams", str(sweep), "--context", "1024", "-o", str(rule), "--n-bootstrap", "200",
                         "--json")
    assert code == 0, err
    d = json.loads(out)
    assert d["coefficients"]["lr.n_tokens"] == pytest.approx(0.3, abs=0.03)
    assert d["coefficients"]["batch.n_tokens"] == pytest.approx(0.55, abs=0.05)
    assert d["identified"] and len(d["groups"]) == 9 and d["out"] == str(rule)
    assert all(g["lr_flat"][0] < g["lr"] < g["lr_flat"][1] for g in d["groups"])
    assert "columns: lr = learning_rate, batch = batch_size" in err  # found by name, said on stderr
    fitted = load_rule(rule)
    assert fitted.context == 1024 and fitted.samples.shape[1] == 5

    code, out, err = run("plan", "--params", "3e8", "--tokens-per-param", "33.3", "--hp-rule", str(rule), "--json")
    assert code == 0, err
    hp = json.loads(out)["hyperparams"]
    assert hp["rule"] == "fit:sweep" and hp["context"] == 1024
    assert hp["learning_rate_interval"][0] < hp["learning_rate"] < hp["learning_rate_interval"][1]
    assert hp["batch_sequences"] == pytest.approx(hp["batch_tokens"] / 1024)


def test_rich_output_shows_optima_flatness_and_the_rule(run, tmp_path):
    code, out, err = run("fit-hparams", str(write_sweep(tmp_path / "s.csv")), "--context", "1024",
                         "--n-bootstrap", "50")
    assert code == 0, err
    assert "within 0.5%" in out and "runs within 2% of the best loss" in out
    assert "rule fit:s" in out and "90% intervals" in out


def test_authors_filter_method_on_a_sweep(run, tmp_path):
    code, out, err = run("fit-hparams", str(write_sweep(tmp_path / "s.csv")), "--context", "1024", "--method",
                         "filter", "--n-bootstrap", "50", "--json")
    assert code == 0, err
    d = json.loads(out)
    assert d["method"] == "filter" and d["window"] == 0.0025 and d["groups"][0]["lr_flat"] is None


@pytest.mark.parametrize("argv, fragment", [
    (("--context", "1024", "--method", "grid"), "The '--method' option must be one of surface, filter. Got 'grid'."),
    (("--batch-unit", "tokens", "--context", "1024"), "'context' parameter has no use when the batch is counted"),
    ((), "'context' parameter must be given when the batch counts sequences"),
    (("--context", "1024", "--lr-vars", "N,X"), "The '--lr-vars' option must list variables among N, D, C"),
    (("--context", "1024", "--where", "tokens"), "The '--where' option must look like COL=VALUE"),
])
def test_bad_options_are_one_line(run, tmp_path, argv, fragment):
    code, out, err = run("fit-hparams", str(write_sweep(tmp_path / "s.csv")), *argv)
    assert code != 0 and fragment in " ".join(err.split()) and "Traceback" not in err


def test_one_learning_rate_per_size_is_one_line(run, tmp_path):
    code, _, err = run("fit-hparams", str(write_sweep(tmp_path / "s.csv", one_lr=True)), "--context", "1024")
    assert code == 1 and "must try at least 3 learning rates to locate an optimum. Got 1:" in " ".join(err.split())
    assert len(err.strip().splitlines()) <= 4


def test_negative_learning_rate_and_fractional_batch_are_one_line(run, tmp_path):
    path = write_sweep(tmp_path / "s.csv")
    lines = path.read_text().splitlines()
    cells = lines[3].split(",")
    cells[2] = "-" + cells[2]
    lines[3] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n")
    code, _, err = run("fit-hparams", str(path), "--context", "1024")
    assert code == 1 and "Column 'learning_rate' row 3 must be finite and > 0. Got '-" in err
    lines[3] = lines[4]
    cells = lines[5].split(",")
    cells[3] = "12.5"
    lines[5] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n")
    code, _, err = run("fit-hparams", str(path), "--context", "1024")
    assert code == 1 and "Column 'batch_size' row 5 must be a whole number of sequences" in err
