"""The SQLite run store: migrations, round trips, the claim rule and claim atomicity across processes."""

from __future__ import annotations

import multiprocessing as mp
import sqlite3
import subprocess
import sys
import time

import numpy as np
import pytest

from scalinglab.errors import StoreError
from scalinglab.lab.config import Checkpoint, ModelShape, RunResult, TrainConfig
from scalinglab.store import LATEST_VERSION, Store, scaling_params


def _cfgs(k: int = 3, tag: str = "s") -> list[TrainConfig]:
    return [TrainConfig(shape=ModelShape(n_layers=1, d_model=16, n_heads=2), n_tokens=4096 * (i + 1), tag=tag)
            for i in range(k)]


def _result(cfg: TrainConfig, loss: float = 2.5, checkpoints: tuple[Checkpoint, ...] = ()) -> RunResult:
    n = scaling_params(cfg.shape)
    return RunResult(cfg.config_hash(), n, n + 4096, cfg.n_tokens_trained, cfg.estimate_flops(), loss,
                     loss - 0.1, 1.0, 1e4, 1e9, checkpoints)


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "lab.db") as s:
        yield s


def test_store_fresh_database_is_at_latest_version_in_wal_mode(tmp_path):
    path = tmp_path / "lab.db"
    with Store(path) as s:
        assert s.version == LATEST_VERSION
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    versions = [v for (v,) in conn.execute("SELECT version FROM schema_version ORDER BY version")]
    assert versions == list(range(1, LATEST_VERSION + 1))
    conn.close()
    with Store(path, create=False) as s:  # reopening applies nothing twice
        assert s.version == LATEST_VERSION


def test_store_refuses_future_schema_version(tmp_path):
    path = tmp_path / "lab.db"
    Store(path).close()
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO schema_version VALUES (?, 'from the future', 0)", (LATEST_VERSION + 1,))
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match=f"schema version {LATEST_VERSION + 1}, newer than"):
        Store(path)


def test_store_rejects_missing_and_non_database_files(tmp_path):
    with pytest.raises(StoreError, match="must be an existing file"):
        Store(tmp_path / "nope.db", create=False)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="SQLite database"):
        Store(junk)


def test_store_add_runs_is_idempotent(store):
    cfgs = _cfgs()
    assert store.add_runs("s", cfgs, budgets=[1e9] * 3) == 3
    assert store.add_runs("s", cfgs) == 0
    assert store.status("s") == {"pending": 3, "running": 0, "done": 0, "failed": 0, "total": 3}
    assert [d["name"] for d in store.sweeps()] == ["s"]
    with pytest.raises(StoreError, match="'role' parameter"):
        store.add_runs("s", cfgs, role="other")


def test_store_pending_run_records_the_lab_n_and_the_flops_its_result_will(store):
    shape = ModelShape(n_layers=2, d_model=32, n_heads=4)
    cfg = TrainConfig(shape=shape, n_tokens=3 * 32 * 128 + 100, tag="s")  # 3 whole steps and a remainder
    store.add_runs("s", [cfg])
    (row,) = store.runs("pending")
    assert row["n_params"] == shape.scaling_params() == 32_928
    assert row["n_tokens"] == cfg.n_tokens_trained == 3 * 32 * 128
    assert row["flops"] == cfg.estimate_flops() == 6.0 * row["n_params"] * row["n_tokens"]


def test_store_claim_takes_largest_pending_run_then_none(store):
    cfgs = _cfgs()
    store.add_runs("s", cfgs)
    claimed = [store.claim_next("w") for _ in range(3)]
    assert [c.n_tokens for c in claimed] == sorted((c.n_tokens for c in cfgs), reverse=True)
    assert claimed[0] == cfgs[-1]  # the config round-trips through the store
    assert store.claim_next("w") is None  # our own live pid owns the running ones
    assert store.status()["running"] == 3


def test_store_finish_run_round_trips_and_is_never_overwritten(store):
    cfg = _cfgs(1)[0]
    store.add_runs("s", [cfg], budgets=[2e9])
    h = store.claim_next("w").config_hash()
    store.log_checkpoint(h, Checkpoint(1, 512, 1e6, 3.0, 3.2, 0.1))
    store.log_checkpoint(h, Checkpoint(1, 512, 1e6, 3.0, 3.1, 0.1))  # same step replaces
    cps = (Checkpoint(2, 1024, 2e6, 2.8, 2.9, 0.2),)
    assert store.finish_run(h, _result(cfg, 2.5, cps))
    assert not store.finish_run(h, _result(cfg, 9.9))
    assert not store.fail_run(h, "late failure")
    assert [cp.val_loss for cp in store.checkpoints(h)] == [3.1, 2.9]
    (row,) = store.runs("done", sweep="s")
    assert row["final_val_loss"] == 2.5 and row["attempts"] == 1 and row["budget"] == 2e9
    assert row["result"]["final_val_loss"] == 2.5 and row["config"]["n_tokens"] == cfg.n_tokens
    with pytest.raises(StoreError, match="run_hash must name a run"):
        store.finish_run("0" * 16, _result(cfg))


def test_store_fail_and_reset_failed(store):
    store.add_runs("s", _cfgs(2))
    h = store.claim_next("w").config_hash()
    assert store.fail_run(h, "ValueError: boom")
    assert store.runs("failed")[0]["error"] == "ValueError: boom"
    assert store.reset_failed("s") == 1
    assert store.status("s")["pending"] == 2


def test_store_claim_reclaims_run_of_dead_owner_and_drops_its_checkpoints(store):
    store.add_runs("s", _cfgs(1))
    h = store.claim_next("w1").config_hash()
    store.log_checkpoint(h, Checkpoint(1, 512, 1e6, 3.0, 3.1, 0.1))
    store._conn.execute("UPDATE runs SET pid = ? WHERE run_hash = ?", (_dead_pid(), h))
    cfg = store.claim_next("w2")
    assert cfg is not None and cfg.config_hash() == h
    (row,) = store.runs("running")
    assert row["attempts"] == 2 and row["worker"] == "w2"
    assert store.checkpoints(h) == []


def test_store_claim_reclaims_expired_lease_on_another_host(tmp_path):
    with Store(tmp_path / "lab.db", lease_s=60) as s:
        s.add_runs("s", _cfgs(1))
        h = s.claim_next("w1").config_hash()
        s._conn.execute("UPDATE runs SET host = 'elsewhere' WHERE run_hash = ?", (h,))
        assert s.claim_next("w2") is None  # fresh lease: the other host's worker may be alive
        s._conn.execute("UPDATE runs SET heartbeat = ? WHERE run_hash = ?", (time.time() - 120, h))
        assert s.claim_next("w2").config_hash() == h


def test_store_release_run_returns_it_to_pending(store):
    store.add_runs("s", _cfgs(1))
    h = store.claim_next("w").config_hash()
    store.log_checkpoint(h, Checkpoint(1, 512, 1e6, 3.0, 3.1, 0.1))
    store.release_run(h)
    assert store.status()["pending"] == 1 and store.checkpoints(h) == []


def test_store_to_arrays_returns_finished_runs_and_checkpoints(store):
    cfgs = _cfgs(3)
    store.add_runs("s", cfgs[:2], budgets=[1e9, 1e9])
    store.add_runs("s", cfgs[2:], role="holdout", budgets=[5e9])
    empty = store.to_arrays("s")
    assert set(empty) >= {"n_params", "n_tokens", "loss", "run_hash"} and len(empty["loss"]) == 0
    for i in range(3):
        cfg = store.claim_next("w")
        cps = tuple(Checkpoint(k, 512 * k, 1e6 * k, 3.0, 3.0 - 0.1 * k, 0.1) for k in (1, 2))
        store.finish_run(cfg.config_hash(), _result(cfg, 2.0 + i, cps))
    a = store.to_arrays("s")
    assert len(a["loss"]) == 3 and a["n_params"].dtype == float and a["holdout"].sum() == 1
    np.testing.assert_allclose(a["flops"], 6 * a["n_params"] * a["n_tokens"])
    assert set(a["run_hash"]) == {c.config_hash() for c in cfgs}
    c = store.to_arrays("s", checkpoints=True)
    assert len(c["loss"]) == 6 and set(c["tokens_seen"]) == {512.0, 1024.0} and set(c["step"]) == {1, 2}


def _claim_all(path: str, out, gate) -> None:
    got = []
    with Store(path) as s:
        gate.wait(timeout=60)  # start claiming together, so the claims really contend
        while (cfg := s.claim_next("w")) is not None:
            got.append(cfg.config_hash())
            s.finish_run(cfg.config_hash(), _result(cfg))
    out.put(got)


def test_store_claim_is_atomic_across_processes(tmp_path):
    path = str(tmp_path / "lab.db")
    cfgs = [TrainConfig(shape=ModelShape(n_layers=1, d_model=16, n_heads=2), n_tokens=4096, seed=i, tag="s")
            for i in range(40)]
    with Store(path) as s:
        s.add_runs("s", cfgs)
    ctx = mp.get_context("spawn")
    out, gate = ctx.Queue(), ctx.Barrier(3)
    procs = [ctx.Process(target=_claim_all, args=(path, out, gate)) for _ in range(3)]
    for p in procs:
        p.start()
    per_process = [out.get(timeout=60) for _ in procs]
    claimed = [h for got in per_process for h in got]
    for p in procs:
        p.join()
    assert sorted(claimed) == sorted(c.config_hash() for c in cfgs)  # every run once, none twice
    with Store(path) as s:
        assert s.status()["done"] == 40 and {r["attempts"] for r in s.runs()} == {1}


def test_store_claim_takes_longest_planned_run_first(store):
    cfgs = _cfgs(3)
    store.add_runs("s", cfgs, est_seconds=[5.0, 50.0, 1.0])
    assert [store.claim_next("w").config_hash() for _ in range(3)] == [cfgs[i].config_hash() for i in (1, 0, 2)]
