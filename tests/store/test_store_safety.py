"""A damaged, foreign or unwritable store: one StoreError naming the store and the rule; reading never writes."""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

import pytest

from scalinglab.errors import StoreError
from scalinglab.store import Store
from scalinglab.store import _open
from scalinglab.store.migrations import migrate

PLANS = [(c, n, "train") for c in (1e12, 3e12) for n in (1e4, 3e4, 1e5)] + [(1e13, 1e5, "holdout")]


def _curve(i, n, tokens):
    return 2.0 + 100 / n**0.3 + 100 / tokens**0.3


@pytest.fixture
def good_store(tmp_path, finished_store) -> Path:
    path = finished_store(tmp_path / "good.db", PLANS, _curve)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # one self-contained file, as after a clean close
    conn.close()
    return path


def _damage(path: Path, *sql: str) -> Path:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA foreign_keys = OFF")
    for s in sql:
        conn.execute(s)
    conn.commit()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return path


def _truncate(path: Path) -> Path:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


DAMAGE = {  # name: (damage, the StoreError's message)
    "truncated mid-file": (_truncate, r"must be a readable SQLite database: database disk image is malformed"),
    "not a database": (lambda p: p.write_bytes(b"x" * 5000) and p, r"must be a readable SQLite database: file is "
                                                                  r"not a database"),
    "runs table missing": (lambda p: _damage(p, "DROP TABLE runs"), r"is damaged: it must have a table 'runs'"),
    "sweeps table missing": (lambda p: _damage(p, "DROP TABLE sweeps"), r"must have a table 'sweeps'"),
    "column dropped": (lambda p: _damage(p, "ALTER TABLE runs DROP COLUMN final_val_loss"),
                       r"table 'runs' must have the column\(s\) final_val_loss"),
    "bad config_json": (lambda p: _damage(p, "UPDATE runs SET config_json = '{bad'"),
                        r"runs.config_json of run '[0-9a-f]{16}' must be a JSON object. Got '\{bad'"),
    "config_json not a config": (lambda p: _damage(p, "UPDATE runs SET config_json = '{\"n_tokens\": 1}'"),
                                 r"runs.config_json of run '[0-9a-f]{16}' must be a training config: The 'shape'"),
    "bad spec_json": (lambda p: _damage(p, "UPDATE sweeps SET spec_json = '[1'"),
                      r"sweeps.spec_json of sweep 's' must be a JSON object"),
    "text in n_params": (lambda p: _damage(p, "UPDATE runs SET n_params = 'lots' WHERE rowid = 1"),
                         r"runs.n_params of run '[0-9a-f]{16}' must be an integer. Got 'lots'"),
    "loss missing on a done run": (lambda p: _damage(p, "UPDATE runs SET final_val_loss = NULL WHERE rowid = 2"),
                                   None),
    "newer schema": (lambda p: _damage(p, "INSERT INTO schema_version VALUES (99, 'future', 0)"),
                     r"schema version 99, newer than this scalinglab supports"),
}


@pytest.mark.parametrize("case", list(DAMAGE), ids=list(DAMAGE))
def test_store_damaged_file_gives_one_store_error_on_every_read(good_store, case):
    damage, message = DAMAGE[case]
    damage(good_store)

    def read_all(readonly: bool):
        with Store(good_store, readonly=readonly, create=False) as s:
            s.sweeps()
            s.status()
            s.runs(None)
            s.to_arrays()
            s.to_arrays(checkpoints=True)

    for readonly in (True, False):
        if message is None:  # a damage only some reads see: any error must still be a StoreError
            try:
                read_all(readonly)
            except StoreError as exc:
                assert "\n" not in str(exc) and str(good_store) in str(exc)
            continue
        with pytest.raises(StoreError, match=message) as exc:
            read_all(readonly)
        assert str(good_store) in str(exc.value) and "\n" not in str(exc.value)


def test_store_loss_missing_on_a_done_run_is_named_by_the_fit_read(good_store):
    _damage(good_store, "UPDATE runs SET final_val_loss = NULL WHERE rowid = 2")
    with Store(good_store, readonly=True) as s, pytest.raises(StoreError, match=r"runs.final_val_loss of run "
                                                                             r"'[0-9a-f]{16}' must be a number. "
                                                                             r"Got None"):
        s.to_arrays()


def test_store_claim_refuses_a_damaged_config_without_claiming(tmp_path, good_store):
    _damage(good_store, "UPDATE runs SET status = 'pending'", "UPDATE runs SET config_json = '{\"n_tokens\": 1}'")
    with Store(good_store) as s:
        with pytest.raises(StoreError, match=r"runs.config_json of run '[0-9a-f]{16}' must be a training config: "
                                             r"The 'shape' field"):
            s.claim_next("w")
        assert s.status()["running"] == 0


def _snapshot(path: Path) -> tuple[bytes, int]:
    return path.read_bytes(), path.stat().st_mtime_ns


def test_store_refuses_a_foreign_database_without_touching_it(tmp_path):
    path = tmp_path / "foreign.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (x)")
    conn.execute("INSERT INTO t VALUES (1)")
    conn.commit()
    conn.close()
    before = _snapshot(path)
    for kwargs in ({"readonly": True}, {}, {"create": False}):
        with pytest.raises(StoreError, match=r"must be a scalinglab run store \(a schema_version table\). Got an "
                                             r"SQLite database with other tables \(t\); it was left unchanged"):
            Store(path, **kwargs)
    assert _snapshot(path) == before and sorted(os.listdir(tmp_path)) == ["foreign.sqlite"]
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert [t for (t,) in conn.execute("SELECT name FROM sqlite_master")] == ["t"]
    conn.close()


def test_store_readonly_open_changes_nothing_and_refuses_writes(good_store):
    before = _snapshot(good_store)
    with Store(good_store, readonly=True) as s:
        assert s.status()["done"] == 7 and len(s.to_arrays()["loss"]) == 7
        with pytest.raises(StoreError, match="was opened read-only"):
            s.add_sweep("other")
    assert _snapshot(good_store) == before


def test_store_readonly_refuses_an_empty_database_and_a_missing_file(tmp_path):
    empty = tmp_path / "empty.db"
    empty.touch()
    with pytest.raises(StoreError, match="must hold scalinglab's tables. Got an empty database"):
        Store(empty, readonly=True)
    assert empty.stat().st_size == 0
    with pytest.raises(StoreError, match="must be an existing file"):
        Store(tmp_path / "none.db", readonly=True)


def test_migrate_reports_the_error_not_a_failed_rollback(tmp_path):
    # SQLite rolls a transaction back by itself on a full disk; the ROLLBACK that followed then raised
    # "cannot rollback - no transaction is active" and hid the real error.
    conn = sqlite3.connect(tmp_path / "x.db", isolation_level=None)

    class FullDisk:
        in_transaction = property(lambda self: conn.in_transaction)

        def execute(self, sql, *args):
            if sql.lstrip().startswith("CREATE TABLE runs"):
                conn.execute("ROLLBACK")
                raise sqlite3.OperationalError("database or disk is full")
            return conn.execute(sql, *args)

    with pytest.raises(sqlite3.OperationalError, match="^database or disk is full$"):
        migrate(FullDisk())
    conn.close()


def test_store_creation_on_a_full_disk_says_so(tmp_path, monkeypatch):
    connect = sqlite3.connect

    def tiny(*args, **kwargs):  # a database that may not grow past 3 pages: SQLite's own SQLITE_FULL
        conn = connect(*args, **kwargs)
        conn.execute("PRAGMA max_page_count = 3")
        return conn

    monkeypatch.setattr(_open.sqlite3, "connect", tiny)
    with pytest.raises(StoreError, match=r"^The store '.*x.db' must accept writes to set up its tables: database or "
                                         r"disk is full.$"):
        Store(tmp_path / "x.db")


# -- a real read-only folder and a real full disk (a private tmpfs) ----------------------------------------------

def test_store_reads_from_a_read_only_folder(tmp_path, good_store, private_mount):
    # nomerge.db: a store whose last change sits unmerged in its -wal file (a writer died), no -shm
    work, src = tmp_path / "work", tmp_path / "src"
    work.mkdir()
    src.mkdir()
    shutil.copy(good_store, work / "nomerge.db")
    conn = sqlite3.connect(work / "nomerge.db", isolation_level=None)
    conn.execute("PRAGMA wal_autocheckpoint = 0")
    conn.execute("UPDATE runs SET seconds = 7")
    shutil.copy(work / "nomerge.db", src / "nomerge.db")
    shutil.copy(work / "nomerge.db-wal", src / "nomerge.db-wal")
    conn.close()
    proc = private_mount(
        "$PY -m scalinglab lab status --store good.db --json > /dev/null && echo STATUS-OK; "
        "$PY -m scalinglab fit --store good.db --json > /dev/null && echo FIT-OK; "
        "$PY -m scalinglab lab status --store nomerge.db; ls",
        files=[good_store, src / "nomerge.db", src / "nomerge.db-wal"], readonly=True)
    assert "STATUS-OK" in proc.stdout and "FIT-OK" in proc.stdout, proc.stderr
    assert proc.stderr.count("error:") == 1 and "Traceback" not in proc.stderr
    assert "'nomerge.db' must have its changes merged to be read from a read-only folder" in proc.stderr
    assert proc.stdout.split()[-3:] == ["good.db", "nomerge.db", "nomerge.db-wal"]  # nothing was created


def test_store_creation_on_a_really_full_disk_names_the_disk_error(private_mount):
    proc = private_mount('$PY -c "from scalinglab.store import Store; Store(\'x.db\')" 2>&1 | tail -1',
                         size="40k")
    last = proc.stdout.strip().splitlines()[-1]
    assert "cannot rollback" not in last and "StoreError" in last
    assert "database or disk is full" in last or "disk I/O error" in last, last
