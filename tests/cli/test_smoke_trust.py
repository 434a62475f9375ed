"""The smoke sweep's runs, end to end: fit --store → plan --law → report --store. No traceback anywhere, and the
not-identified verdict is stated at every step (issue #10)."""

from __future__ import annotations

import json

import pytest

from scalinglab.lab.config import ModelShape, RunResult, TrainConfig
from scalinglab.store import Store

# `scalinglab lab sweep --preset smoke` as trained on this machine (2026-12-02): 2 budgets × 3 sizes + 1 held out
SMOKE = [  # (N, D, final loss, budget, role)
    (1428, 233472, 3.35265, 2e9, "train"), (4836, 68608, 3.44858, 2e9, "train"), (9980, 33280, 3.41075, 2e9, "train"),
    (1428, 700416, 2.96994, 6e9, "train"), (4836, 206848, 3.24064, 6e9, "train"), (16660, 60416, 3.40917, 6e9, "train"),
    (7216, 462848, 2.82646, 2e10, "holdout"),
]


@pytest.fixture
def smoke_store(tmp_path):
    path = tmp_path / "lab.db"
    with Store(path) as store:
        store.add_sweep("smoke")
        for i, (n, d, _, c, role) in enumerate(SMOKE):
            cfg = TrainConfig(shape=ModelShape(1, 8, 1), n_tokens=d, seed=i, tag="smoke")
            store.add_runs("smoke", [cfg], role=role, budgets=[c])
        while (cfg := store.claim_next("w")) is not None:
            n, d, y, _, _ = SMOKE[cfg.seed]
            store.finish_run(cfg.config_hash(), RunResult(
                config_hash=cfg.config_hash(), n_params=n, n_params_total=n + 100, n_tokens=d, flops=6.0 * n * d,
                final_val_loss=y, final_train_loss=y, seconds=1.0, tokens_per_s=1.0, achieved_flops_per_s=1.0,
                checkpoints=()))
    return path


@pytest.mark.filterwarnings("always::scalinglab.fit.result.FitWarning")  # the CLI prints them as one line each
def test_smoke_fit_plan_report_state_not_identified(run, smoke_store, tmp_path):
    fit_json = tmp_path / "fit.json"
    code, out, err = run("fit", "--store", str(smoke_store), "--n-bootstrap", "40", "--out", str(fit_json))
    assert code == 0, err
    assert "NOT IDENTIFIED" in out and "must not be used to plan" in out and "Traceback" not in out + err
    saved = json.loads(fit_json.read_text())
    assert saved["identification"]["status"] == "not identified" and saved["identification"]["n_refits"] == 40

    code, out, err = run("plan", "--flops", "5.76e23", "--law", str(fit_json))
    assert code == 1 and "not identified" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) <= 8  # one message (wrapped by the terminal), not a traceback

    code, out, err = run("plan", "--flops", "5.76e23", "--law", str(fit_json), "--allow-unidentified", "--json")
    assert code == 0, err
    assert json.loads(out)["stamp"] == "NOT IDENTIFIED"

    report = tmp_path / "r.html"
    code, out, err = run("report", "--store", str(smoke_store), "--n-bootstrap", "40", "--out", str(report))
    assert code == 0, err
    text = report.read_text()
    assert "NOT IDENTIFIED" in text and "No plan:" in text and "1 run(s) the fit never saw" in text


def test_fit_audit_prints_its_level_and_band(run, tmp_path):
    import numpy as np

    from scalinglab.laws.chinchilla import EPOCH_2024, predict

    rng = np.random.default_rng(0)
    rows = ["N,D,loss"]
    for n in np.logspace(7, 9.5, 6):
        for d in np.logspace(9, 11.5, 6):
            rows.append(f"{n},{d},{predict(EPOCH_2024, n, d) * np.exp(0.005 * rng.standard_normal())}")
    path = tmp_path / "runs.csv"
    path.write_text("\n".join(rows) + "\n")
    code, out, err = run("fit", str(path), "--n-params-col", "N", "--n-tokens-col", "D", "--loss-col", "loss",
                         "--starts", "coarse", "--audit", "--n-bootstrap", "30", "--level", "0.8")
    assert code == 0, err
    flat = " ".join(out.split())
    assert "inside the 80% prediction band (a new run)" in flat and "80% interval" in flat
