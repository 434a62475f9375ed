"""Task scores recorded by the lab read back from its store, and fitted by `downstream fit --store`."""

from __future__ import annotations

import functools
import json

import numpy as np
import pytest

from scalinglab.errors import DataError
from scalinglab.fit.store_tasks import task_runs_from_store
from scalinglab.lab import executors
from scalinglab.lab.config import ModelShape, RunResult, TrainConfig
from scalinglab.lab.registry import register_sweep
from scalinglab.lab.sweep import PlannedRun, Sweep
from scalinglab.store import scaling_params

# the chain the fake lab follows: task loss (bits) from a Chinchilla form in (N, D), accuracy a sigmoid of it
E, A, B, ALPHA, BETA = 1.8, 30.0, 8.0, 0.35, 0.3
SIG = dict(a=-0.8, L0=3.4, k=3.0, b=0.85)


def _bits(n: float, d: float) -> float:
    return E + A / n**ALPHA + B / d**BETA


def _acc(bits: float) -> float:
    return SIG["a"] / (1 + np.exp(-SIG["k"] * (bits - SIG["L0"]))) + SIG["b"]


def fake_train(cfg, *, store=None, progress=None, scored=True) -> RunResult:
    n = scaling_params(cfg.shape)
    bits = _bits(n, cfg.n_tokens_trained) * (1 + 0.002 * np.sin(n + cfg.n_tokens))  # deterministic scatter
    tasks = {"next_token": {"accuracy": float(_acc(bits)), "loss": float(bits)}} if scored else {}
    return RunResult(cfg.config_hash(), n, n, cfg.n_tokens_trained, cfg.estimate_flops(), bits * np.log(2),
                     bits * np.log(2), 0.1, 1e4, 1e9, task_metrics=tasks)


def _store(tmp_path, *, scored=True, name="tasks"):
    runs = []
    for width in (8, 16, 24, 32, 48):
        for steps in (20, 60, 180, 540):
            shape = ModelShape(n_layers=2, d_model=width, n_heads=1, context=16)
            runs.append(PlannedRun(TrainConfig(shape=shape, n_tokens=steps * 4 * 16, batch_size=4, tag=name)))
    path = tmp_path / "lab.db"
    register_sweep(path, Sweep(name, tuple(runs), {"kind": "file"}))
    executors.run_sweep(path, name, workers=1, trainer=functools.partial(fake_train, scored=scored))
    return path


def test_task_runs_from_store_reads_what_the_lab_recorded(tmp_path):
    path = _store(tmp_path)
    runs = task_runs_from_store(path)
    assert len(runs) == 20 and set(runs.accuracy) == {"next_token"}
    for n, d, acc, bits, loss in zip(runs.n_params, runs.n_tokens, runs.accuracy["next_token"],
                                     runs.task_loss["next_token"], runs.loss, strict=True):
        assert bits == pytest.approx(_bits(n, d), rel=3e-3) and acc == pytest.approx(_acc(bits))
        assert loss == pytest.approx(bits * np.log(2))
    with pytest.raises(DataError, match="Task 'mmlu' must be recorded"):
        task_runs_from_store(path, tasks=["mmlu"])
    with pytest.raises(DataError, match="must name a sweep"):
        task_runs_from_store(path, sweep="nope")


def test_task_runs_from_store_without_scores_says_so(tmp_path):
    with pytest.raises(DataError, match="must carry task scores"):
        task_runs_from_store(_store(tmp_path, scored=False))


def test_cli_downstream_fit_from_a_store_recovers_the_sigmoid(run, tmp_path):
    path = _store(tmp_path)
    code, out, err = run("downstream", "fit", "--store", str(path), "--method", "ladder", "--task", "next_token",
                         "--n-bootstrap", "0", "--json")
    assert code == 0, err
    chain = json.loads(out)["chains"][0]
    co = chain["step2"]["coefficients"]
    assert chain["step2"]["runs"] == 20
    # the sigmoid is recovered where the runs lie (their task losses span ~2.8-4.4 bits)
    for bits in (2.9, 3.4, 4.0):
        fitted = co["a"] / (1 + np.exp(-co["k"] * (bits - co["L0"]))) + co["b"]
        assert fitted == pytest.approx(_acc(bits), abs=0.01)
    code, out, err = run("downstream", "fit", "--store", str(path), "--layout", "wide")
    assert code == 1 and "--layout option reads a runs file" in err
    code, out, err = run("downstream", "fit", "runs.csv", "--sweep", "x")
    assert code == 1 and "--sweep option selects runs of a store" in err
    code, out, err = run("downstream", "fit")
    assert code == 1 and "one of the two" in err
