"""Schema migrations: a version-1 store (made with the shipped DDL, before learning rates were recorded)
keeps its rows when a writer migrates it, and a reader reads it as it is, without changing a byte."""

from __future__ import annotations

import hashlib
import json
import sqlite3

import pytest

from scalinglab.errors import StoreError
from scalinglab.lab.config import Checkpoint, ModelShape, RunResult, TrainConfig, TrainPoint
from scalinglab.store import LATEST_VERSION, MIGRATIONS, Store, schema_version
from scalinglab.store.migrations import expected_columns

CFG = TrainConfig(shape=ModelShape(n_layers=1, d_model=16, n_heads=2), n_tokens=8192, tag="old")
# the checkpoints table of a version-1 store: the DDL as it shipped (MIGRATIONS[0] must never change)
V1_CHECKPOINTS = ("run_hash", "step", "tokens", "flops", "train_loss", "val_loss", "elapsed_s")


def _v1_store(path) -> None:
    """A store at version 1 with one finished run and two checkpoints, as scalinglab wrote them then."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, description TEXT NOT NULL, "
                 "applied REAL NOT NULL)")
    for sql in MIGRATIONS[0].statements:
        conn.execute(sql)
    conn.execute("INSERT INTO schema_version VALUES (1, ?, 0)", (MIGRATIONS[0].description,))
    conn.execute("INSERT INTO sweeps VALUES ('old', '{}', '2026-11-24T00:00:00+00:00')")
    config = {k: v for k, v in CFG.as_dict().items() if k not in ("schedule", "decay_frac")}  # v1 configs
    result = {"config_hash": CFG.config_hash(), "final_val_loss": 2.9}
    conn.execute("""INSERT INTO runs (run_hash, sweep, config_json, status, created, result_json, n_params,
                    n_tokens, flops, final_val_loss, seconds) VALUES (?, 'old', ?, 'done', 'then', ?, 100, 8192,
                    4.9e6, 2.9, 3.0)""", (CFG.config_hash(), json.dumps(config), json.dumps(result)))
    conn.executemany("INSERT INTO checkpoints VALUES (?, ?, ?, ?, ?, ?, ?)",
                     [(CFG.config_hash(), 1, 4096, 2.4e6, 3.5, 3.4, 1.0),
                      (CFG.config_hash(), 2, 8192, 4.9e6, 3.0, 2.9, 2.0)])
    conn.close()


def test_migration_1_is_the_shipped_ddl():
    assert expected_columns(1)["checkpoints"] == V1_CHECKPOINTS
    assert "train_log" not in expected_columns(1)
    assert expected_columns(2)["checkpoints"] == (*V1_CHECKPOINTS, "lr")
    assert expected_columns(2)["train_log"] == ("run_hash", "step", "n_steps", "lr", "train_loss")
    assert [m.version for m in MIGRATIONS] == list(range(1, LATEST_VERSION + 1))


def test_v1_store_reads_read_only_as_it_is(tmp_path):
    path = tmp_path / "v1.db"
    _v1_store(path)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    with Store(path, readonly=True) as s:
        assert s.version == 1
        assert s.checkpoints(CFG.config_hash()) == [Checkpoint(1, 4096, 2.4e6, 3.5, 3.4, 1.0, None),
                                                    Checkpoint(2, 8192, 4.9e6, 3.0, 2.9, 2.0, None)]
        assert s.train_log(CFG.config_hash()) == []
        (run,) = s.runs()
        assert run["final_val_loss"] == 2.9 and TrainConfig.from_dict(run["config"]) == CFG
        assert list(s.to_arrays(checkpoints=True)["loss"]) == [3.4, 2.9]
        with pytest.raises(StoreError, match="opened read-only"):
            s.add_sweep("new")
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v1.db"]  # no -wal/-shm left behind


def test_v1_store_migrates_on_write_keeping_its_rows(tmp_path):
    path = tmp_path / "v1.db"
    _v1_store(path)
    with Store(path) as s:
        assert s.version == LATEST_VERSION
        assert [c.val_loss for c in s.checkpoints(CFG.config_hash())] == [3.4, 2.9]
        assert all(c.lr is None for c in s.checkpoints(CFG.config_hash()))
        assert s.runs()[0]["run_hash"] == CFG.config_hash()  # the old run keeps its hash
        new = TrainConfig(shape=CFG.shape, n_tokens=8192, tag="new", schedule="wsd")
        s.add_runs("new", [new])
        h = s.claim_next("w").config_hash()
        s.log_checkpoint(h, Checkpoint(1, 4096, 2.4e6, 3.5, 3.4, 1.0, lr=1e-3))
        log = (TrainPoint(1, 1, 1e-3, 3.6), TrainPoint(2, 1, 5e-4, 3.1))
        s.finish_run(h, RunResult(h, 100, 200, 8192, 4.9e6, 3.0, 3.1, 1.0, 1e4, 1e9,
                                  (Checkpoint(2, 8192, 4.9e6, 3.1, 3.0, 2.0, lr=5e-4),), train_log=log))
        assert [c.lr for c in s.checkpoints(h)] == [1e-3, 5e-4]
        assert tuple(s.train_log(h)) == log
        assert "train_log" not in s.runs(sweep="new")[0]["result"]  # kept in its table only
    conn = sqlite3.connect(path)
    assert schema_version(conn) == LATEST_VERSION
    assert [v for (v,) in conn.execute("SELECT version FROM schema_version ORDER BY version")] == [1, 2]
    conn.close()
    with Store(path, readonly=True) as s:
        assert s.version == LATEST_VERSION and len(s.train_log(h)) == 2


def test_store_refuses_a_schema_version_table_without_versions(tmp_path):
    path = tmp_path / "none.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, description TEXT NOT NULL, "
                 "applied REAL NOT NULL)")
    conn.close()
    with pytest.raises(StoreError, match="must be at schema version 1 or later to be read. Got version 0"):
        Store(path, readonly=True)


def test_release_and_reclaim_drop_the_attempts_log(tmp_path):
    with Store(tmp_path / "lab.db") as s:
        s.add_runs("s", [CFG])
        h = s.claim_next("w").config_hash()
        s.log_checkpoint(h, Checkpoint(1, 4096, 2.4e6, 3.5, 3.4, 1.0, lr=1e-3))
        s._conn.execute("INSERT INTO train_log VALUES (?, 1, 1, 1e-3, 3.5)", (h,))  # as a crashed attempt's
        s.release_run(h)
        assert s.checkpoints(h) == [] and s.train_log(h) == []
