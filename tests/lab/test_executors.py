"""Executors with a fake trainer: local worker processes and a local Ray instance train every run once."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import time
from pathlib import Path

import pytest

from scalinglab.errors import ConfigError
from scalinglab.lab.config import Checkpoint, ModelShape, RunResult, TrainConfig
from scalinglab.lab.executors import SweepEvent, run_sweep
from scalinglab.store import Store, scaling_params

N_STEPS = 4


def fake_train(cfg: TrainConfig, *, store=None, progress=None) -> RunResult:
    """Same signature as scalinglab.lab.train.train: a few sleeps, synthetic Chinchilla-like losses."""
    h = cfg.config_hash()
    log = os.environ.get("FAKE_TRAIN_LOG")
    if log:
        with open(log, "a") as f:
            f.write(f"{h}\n")
    if cfg.seed == 13:
        raise ValueError("unlucky seed")
    n = scaling_params(cfg.shape)
    t0 = time.monotonic()
    cps = []
    for step in range(1, N_STEPS + 1):
        time.sleep(float(os.environ.get("FAKE_TRAIN_DELAY", "0.02")))
        tokens = cfg.n_tokens * step // N_STEPS
        loss = 1.7 + 400 / n**0.34 + 400 / tokens**0.28
        if progress is not None:
            progress(step, N_STEPS, loss, 1e4)
        flops = cfg.shape.estimate_flops(tokens)
        cp = Checkpoint(step, tokens, flops, loss, loss + 0.01, time.monotonic() - t0)
        cps.append(cp)
        if store is not None:
            store.log_checkpoint(h, cp)
    return RunResult(h, n, n + 256 * cfg.shape.d_model, cfg.n_tokens_trained, cfg.estimate_flops(),
                     cps[-1].val_loss, cps[-1].train_loss, time.monotonic() - t0, 1e4, 1e9)


def _sweep(path: Path, k: int = 6, *, seeds=None) -> list[TrainConfig]:
    seeds = seeds or [0] * k
    cfgs = [TrainConfig(shape=ModelShape(n_layers=1, d_model=8 * (i + 1), n_heads=2), n_tokens=8192 * (i + 1),
                        seed=seeds[i], tag="exec") for i in range(k)]
    with Store(path) as s:
        s.add_runs("exec", cfgs, budgets=[1e9] * k)
    return cfgs


def _log_lines(path: Path) -> list[str]:
    return path.read_text().split() if path.exists() else []


def test_run_sweep_local_trains_every_run_exactly_once(tmp_path, monkeypatch):
    db, log = tmp_path / "lab.db", tmp_path / "calls.log"
    monkeypatch.setenv("FAKE_TRAIN_LOG", str(log))
    cfgs = _sweep(db)
    events: list[SweepEvent] = []
    summary = run_sweep(db, "exec", workers=2, trainer=fake_train, progress=events.append)
    assert summary.trained == 6 and summary.failed == 0 and summary.counts["done"] == 6
    assert sorted(_log_lines(log)) == sorted(c.config_hash() for c in cfgs)
    kinds = [e.kind for e in events]
    assert kinds.count("start") == 6 and kinds.count("done") == 6 and kinds.count("progress") == 6 * N_STEPS
    start = next(e for e in events if e.kind == "start")
    assert start.total_steps > 0 and start.n_params > 0 and start.worker.endswith(("local-0", "local-1"))
    with Store(db) as s:
        assert all(len(s.checkpoints(c.config_hash())) == N_STEPS for c in cfgs)
        assert len({r["pid"] for r in s.runs()}) <= 2
    again = run_sweep(db, "exec", workers=2, trainer=fake_train)
    assert again.trained == 0 and len(_log_lines(log)) == 6  # nothing is trained twice


def test_run_sweep_records_a_failing_run_and_goes_on(tmp_path):
    db = tmp_path / "lab.db"
    _sweep(db, 3, seeds=[0, 13, 0])
    failures: list[SweepEvent] = []
    summary = run_sweep(db, "exec", workers=1, trainer=fake_train,
                        progress=lambda e: failures.append(e) if e.kind == "failed" else None)
    assert summary.trained == 2 and summary.failed == 1
    assert failures[0].message == "ValueError: unlucky seed"
    with Store(db) as s:
        (row,) = s.runs("failed")
        assert row["error"] == "ValueError: unlucky seed"


def test_run_sweep_rejects_bad_arguments(tmp_path):
    db = tmp_path / "lab.db"
    _sweep(db, 1)
    with pytest.raises(ConfigError, match="'executor' parameter must be one of"):
        run_sweep(db, "exec", executor="slurm", trainer=fake_train)
    with pytest.raises(ConfigError, match="'workers' parameter must be an integer >= 1"):
        run_sweep(db, "exec", workers=0, trainer=fake_train)
    with pytest.raises(ConfigError, match="'address' parameter needs executor='ray'"):
        run_sweep(db, "exec", address="ray://head:10001", trainer=fake_train)
    with pytest.raises(ConfigError, match="sweep 'other' must have runs"):
        run_sweep(db, "other", trainer=fake_train)


def test_run_sweep_reports_an_unimportable_trainer_once(tmp_path):
    db = tmp_path / "lab.db"
    _sweep(db, 1)
    with pytest.raises(ConfigError, match="'trainer' parameter must name an importable"):
        run_sweep(db, "exec", workers=2, trainer="scalinglab.no_such_module:train")
    with Store(db) as s:
        assert s.status()["pending"] == 1


def test_run_sweep_without_torch_says_how_to_install_it(tmp_path, monkeypatch):
    db = tmp_path / "lab.db"
    _sweep(db, 1)
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "torch" else find_spec(name, *a))
    with pytest.raises(ConfigError, match=r"^The lab needs PyTorch: pip install 'scalinglab\[lab\]'$"):
        run_sweep(db, "exec")


@pytest.fixture(scope="module")
def local_ray():
    if importlib.util.find_spec("ray") is None:
        pytest.skip("the Ray executor test needs ray (pip install 'scalinglab[distributed]')")
    import ray
    from ray import cloudpickle

    # Ray workers cannot import this test module: ship the fake trainer by value.
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield ray
    ray.shutdown()
    cloudpickle.unregister_pickle_by_value(sys.modules[__name__])


def test_run_sweep_ray_driver_writes_results_returned_by_tasks(tmp_path, local_ray):
    db = tmp_path / "lab.db"
    cfgs = _sweep(db, 4, seeds=[0, 0, 13, 0])
    events: list[SweepEvent] = []
    summary = run_sweep(db, "exec", executor="ray", workers=2, trainer=fake_train, progress=events.append)
    assert summary.trained == 3 and summary.failed == 1 and summary.counts["done"] == 3
    with Store(db) as s:
        done = s.runs("done")
        assert {r["pid"] for r in done} == {os.getpid()}  # the driver claimed and wrote every run
        assert all(len(s.checkpoints(r["run_hash"])) == N_STEPS for r in done)
        assert s.runs("failed")[0]["error"] == "ValueError: unlucky seed"
    assert {e.kind for e in events} == {"start", "done", "failed"}
    assert len(cfgs) == 4


def test_cli_lab_status_reports_counts_and_failures(tmp_path, capsys):
    from scalinglab.cli import main

    db = tmp_path / "lab.db"
    _sweep(db, 3, seeds=[0, 13, 0])
    run_sweep(db, "exec", workers=1, trainer=fake_train)
    main(["lab", "status", "--store", str(db), "--json"])
    data = json.loads(capsys.readouterr().out)
    assert data["exec"]["counts"] == {"pending": 0, "running": 0, "done": 2, "failed": 1, "total": 3}
    main(["lab", "status", "--store", str(db)])
    assert "ValueError: unlucky seed" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exc:
        main(["lab", "status", "--store", str(tmp_path / "none.db")])
    assert exc.value.code == 1 and "must be an existing file" in capsys.readouterr().err


def test_run_sweep_ray_driver_on_a_full_disk_releases_what_it_could_not_record(tmp_path, local_ray, monkeypatch):
    from scalinglab.errors import StoreError

    db = tmp_path / "lab.db"
    _sweep(db, 3)

    def full(self, run_hash, result):
        raise StoreError(f"The store {str(self.path)!r} must accept writes: database or disk is full.")

    monkeypatch.setattr(Store, "finish_run", full)
    with pytest.raises(StoreError, match=r"^1 run\(s\) of sweep 'exec' could not be recorded \(0 recorded in this "
                                         r"call\): the store .* must accept writes: database or disk is full\. "
                                         r"Rerun the sweep"):
        run_sweep(db, "exec", executor="ray", workers=2, trainer=fake_train)
    monkeypatch.undo()
    with Store(db) as s:  # the driver stopped, cancelled the task still in flight and gave every run back
        assert s.status("exec") == {"pending": 3, "running": 0, "done": 0, "failed": 0, "total": 3}
