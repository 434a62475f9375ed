"""A store that stops taking writes mid-sweep (a full disk): no run stays running forever, the sweep fails in
one line with the count and the real error, and a rerun trains what was not recorded."""

from __future__ import annotations

import errno
import functools
import sqlite3
import textwrap

import pytest

from scalinglab.errors import StoreError
from scalinglab.lab.config import ModelShape, TrainConfig
from scalinglab.lab.executors import run_sweep
from scalinglab.store import Store

from test_executors import fake_train


class _FullDisk:
    """Stands in for a worker's SQLite connection once the disk is full: writes fail as SQLite's would."""

    def __init__(self, conn: sqlite3.Connection, error: Exception, when: str) -> None:
        self._conn, self._error, self._when = conn, error, when

    def __getattr__(self, name):
        return getattr(self._conn, name)

    def execute(self, sql: str, *args):
        if sql.lstrip().startswith(self._when):
            raise self._error
        return self._conn.execute(sql, *args)

    def executemany(self, sql: str, *args):
        return self._conn.executemany(sql, *args)


def commit_fails_train(cfg, *, store=None, progress=None):
    """Trains, then the disk fills: every commit fails (the result, and the release after it)."""
    result = fake_train(cfg, store=store, progress=progress)
    store._conn = _FullDisk(store._conn, sqlite3.OperationalError("database or disk is full"), "COMMIT")
    return result


def result_fails_train(cfg, *, store=None, progress=None):
    """Trains, then writing the result fails with ENOSPC; smaller writes (the release) still go through."""
    result = fake_train(cfg, store=store, progress=progress)
    store._conn = _FullDisk(store._conn, OSError(errno.ENOSPC, "No space left on device"),
                            "UPDATE runs SET status = 'done'")
    return result


def _sweep(path, k: int = 4) -> list[TrainConfig]:
    cfgs = [TrainConfig(shape=ModelShape(n_layers=1, d_model=8 * (i + 1), n_heads=2), n_tokens=8192, tag="full")
            for i in range(k)]
    with Store(path) as s:
        s.add_runs("full", cfgs)
    return cfgs


def test_run_sweep_on_a_full_disk_leaves_no_run_running_and_a_rerun_finishes(tmp_path, capfd):
    db = tmp_path / "lab.db"
    _sweep(db)
    with pytest.raises(StoreError) as exc:
        run_sweep(db, "full", workers=2, trainer=commit_fails_train)
    message = str(exc.value)
    assert message.startswith("2 run(s) of sweep 'full' could not be recorded (0 recorded in this call): the store")
    assert "must accept writes: database or disk is full" in message and "\n" not in message
    assert "Traceback" not in capfd.readouterr().err  # the workers reported, they did not crash
    with Store(db, readonly=True) as s:
        running = s.runs("running")
        assert len(running) == 2 and all(r["stale"] for r in running)  # the release failed too: stale
        assert s.status()["pending"] == 2
    summary = run_sweep(db, "full", workers=2, trainer=fake_train)
    assert summary.counts["done"] == 4 and summary.counts["running"] == 0


def test_run_sweep_releases_a_run_whose_result_hit_enospc(tmp_path):
    db = tmp_path / "lab.db"
    _sweep(db, 2)
    with pytest.raises(StoreError, match=r"^1 run\(s\) of sweep 'full' could not be recorded .*\[Errno 28\] No "
                                         r"space left on device"):
        run_sweep(db, "full", workers=1, trainer=result_fails_train)
    with Store(db) as s:  # the worker gave its run back and stopped before claiming the next one
        assert s.status("full") == {"pending": 2, "running": 0, "done": 0, "failed": 0, "total": 2}


def test_cli_lab_sweep_on_a_full_disk_exits_1_in_one_line(tmp_path, capfd, monkeypatch):
    from scalinglab.cli import lab_cmd, main

    file = tmp_path / "full.json"
    file.write_text('{"runs": [{"shape": {"n_layers": 1, "d_model": 8, "n_heads": 2}, "n_tokens": 8192}]}')
    monkeypatch.setattr(lab_cmd, "run_sweep", functools.partial(run_sweep, trainer=commit_fails_train))
    with pytest.raises(SystemExit) as exc:
        main(["lab", "sweep", "--store", str(tmp_path / "lab.db"), "--file", str(file), "--workers", "1"])
    err = capfd.readouterr().err
    progress = [line for line in err.splitlines() if line.startswith("sweep 'full': ")]  # stderr is not a terminal
    lines = [line for line in err.splitlines() if line.strip() and line not in progress]
    assert progress and exc.value.code == 1 and len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith("error: 1 run(s) of sweep 'full' could not be recorded") and "disk is full" in lines[0]
    from scalinglab.cli._common import console

    monkeypatch.setattr(console, "width", 240)  # a long temporary path (pytest-xdist's) must not wrap the table
    main(["lab", "status", "--store", str(tmp_path / "lab.db")])
    out = capfd.readouterr().out
    assert "1 (1 stale)" in out and "stale (attempt 1)" in out and "rerunning the sweep trains it again" in out


# The same on a real full disk: a 1 MiB tmpfs that a file fills while the first run trains.
SCRIPT = textwrap.dedent("""
    import os, sys
    from scalinglab.errors import StoreError
    from scalinglab.lab.config import ModelShape, TrainConfig, RunResult
    from scalinglab.lab.executors import run_sweep
    from scalinglab.store import Store, scaling_params

    def fill_train(cfg, *, store=None, progress=None):
        if os.environ.get("FILL") and not os.path.exists("filler"):
            with open("filler", "wb") as f:
                try:
                    while True:
                        f.write(b"x" * 4096)
                        f.flush()
                except OSError:
                    pass
        n = scaling_params(cfg.shape)
        return RunResult(cfg.config_hash(), n, n, cfg.n_tokens_trained, cfg.estimate_flops(), 3.0, 3.0, 1.0, 1.0, 1.0)

    if __name__ == "__main__":
        cfgs = [TrainConfig(shape=ModelShape(1, 8 * (i + 1), 2), n_tokens=8192, tag="f") for i in range(3)]
        with Store("lab.db") as s:
            s.add_runs("f", cfgs)
        os.environ["FILL"] = "1"
        try:
            run_sweep("lab.db", "f", workers=1, trainer=fill_train)
            print("NO-ERROR")
        except StoreError as exc:
            print("ERROR", exc)
        os.remove("filler")
        del os.environ["FILL"]
        with Store("lab.db", readonly=True) as s:
            print("AFTER-FULL", sum(r["status"] == "running" and not r["stale"] for r in s.runs(None)))
        print("RERUN", run_sweep("lab.db", "f", workers=1, trainer=fill_train).counts)
""")


def test_run_sweep_on_a_really_full_disk(tmp_path, private_mount):
    script = tmp_path / "full.py"
    script.write_text(SCRIPT)
    proc = private_mount(f"$PY {script}", size="1m")
    out = proc.stdout
    assert "Traceback" not in proc.stderr, proc.stderr
    assert "ERROR 1 run(s) of sweep 'f' could not be recorded" in out and "disk" in out, out
    assert "AFTER-FULL 0" in out  # nothing is left running with a live owner
    assert "RERUN {'pending': 0, 'running': 0, 'done': 3, 'failed': 0, 'total': 3}" in out, out

