"""Reading a store leaves no SQLite -wal/-shm files behind, and never takes them from a writer at work."""

from __future__ import annotations

import os
import shutil
import sqlite3

import pytest

from scalinglab.store import Store

PLANS = [(c, n, "train") for c in (1e12, 3e12) for n in (1e4, 3e4, 1e5)] + [(1e13, 1e5, "holdout")]


def _curve(i, n, tokens):
    return 2.0 + 100 / n**0.3 + 100 / tokens**0.3


@pytest.fixture
def store(tmp_path, finished_store):
    path = finished_store(tmp_path / "lab.db", PLANS, _curve)
    assert sorted(os.listdir(tmp_path)) == ["lab.db"]  # the writer's close removed its companions
    return path


def _snapshot(path):
    return path.read_bytes(), path.stat().st_mtime_ns


def test_store_read_leaves_only_the_database_file(store):
    before = _snapshot(store)
    with Store(store, readonly=True) as s:
        assert s.status()["done"] == 7
        assert os.path.exists(f"{store}-shm")  # SQLite's own, while the reader is open
    assert sorted(os.listdir(store.parent)) == ["lab.db"] and _snapshot(store) == before


def test_store_read_beside_a_writer_leaves_the_writers_files(store):
    writer = Store(store)
    writer.add_sweep("live")
    with Store(store, readonly=True) as s:
        assert [w["name"] for w in s.sweeps()] == ["s", "live"]
    assert os.path.exists(f"{store}-wal") and os.path.exists(f"{store}-shm")
    writer.add_sweep("after")  # the writer goes on undisturbed
    writer.close()
    assert sorted(os.listdir(store.parent)) == ["lab.db"]
    with Store(store, readonly=True) as s:
        assert [w["name"] for w in s.sweeps()] == ["s", "live", "after"]


def test_store_read_of_unmerged_changes_leaves_them_unmerged(tmp_path, store):
    # a writer killed with changes in its -wal file: a reader sees them but merges nothing
    conn = sqlite3.connect(store, isolation_level=None)
    conn.execute("PRAGMA wal_autocheckpoint = 0")
    conn.execute("UPDATE runs SET seconds = 7")
    copy = tmp_path / "copy"
    copy.mkdir()
    shutil.copy(store, copy / "lab.db")
    shutil.copy(f"{store}-wal", copy / "lab.db-wal")
    conn.close()
    path = copy / "lab.db"
    before = _snapshot(path)
    with Store(path, readonly=True) as s:
        assert {r["seconds"] for r in s.runs()} == {7}
    assert _snapshot(path) == before and "lab.db-wal" in os.listdir(copy)
