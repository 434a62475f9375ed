"""Bad stores and bad sweeps through the CLI: exit 1, one error line, no traceback; reading leaves files alone."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from pathlib import Path

import pytest

from scalinglab.lab.config import RunResult
from scalinglab.lab.registry import register_sweep
from scalinglab.lab.sweep import load_sweep_file, preset_sweep
from scalinglab.store import Store, scaling_params

PLANS = [(c, n, "train") for c in (1e12, 3e12) for n in (1e4, 3e4, 1e5)] + [(1e13, 1e5, "holdout")]
SWEEP_FILE = {"runs": [{"shape": {"n_layers": 1, "d_model": 8, "n_heads": 1}, "n_tokens": 4096, "seed": s}
                       for s in range(2)]}


def _curve(i, n, tokens):
    return 2.0 + 100 / n**0.3 + 100 / tokens**0.3


def _one_error(code: int, err: str) -> str:
    assert code == 1, err
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    return lines[0]


def _damage(path: Path, sql: str) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute(sql)
    conn.commit()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _foreign(path: Path) -> None:
    path.unlink()
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()


STORES = {  # name: (how the store is spoiled, what the error line says)
    "truncated": (_truncate, "must be a readable SQLite database: database disk image is malformed"),
    "runs table missing": (lambda p: _damage(p, "DROP TABLE runs"), "must have a table 'runs'"),
    "column dropped": (lambda p: _damage(p, "ALTER TABLE runs DROP COLUMN n_tokens"), "column(s) n_tokens"),
    "text in n_params": (lambda p: _damage(p, "UPDATE runs SET n_params = 'lots'"),
                         "runs.n_params of run '"),
    "foreign database": (_foreign, "must be a scalinglab run store"),
}
READERS = {
    "lab status": lambda p, tmp: ["lab", "status", "--store", str(p)],
    "fit": lambda p, tmp: ["fit", "--store", str(p)],
    "report": lambda p, tmp: ["report", "--store", str(p), "--law", "epoch2024", "--out", str(tmp / "r.html")],
}


@pytest.mark.parametrize("reader", list(READERS))
@pytest.mark.parametrize("case", list(STORES))
def test_cli_reading_a_bad_store_is_one_line_and_changes_nothing(run, tmp_path, finished_store, case, reader):
    path = finished_store(tmp_path / "lab.db", PLANS, _curve)
    spoil, message = STORES[case]
    spoil(path)
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    line = _one_error(*run(*READERS[reader](path, tmp_path))[::2])
    assert message in line and str(path) in line
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before


def test_cli_lab_status_of_a_foreign_database_keeps_its_journal_mode(run, tmp_path):
    path = tmp_path / "foreign.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    for argv in (["lab", "status", "--store", str(path)], ["lab", "sweep", "--store", str(path)]):
        _one_error(*run(*argv)[::2])
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert [t for (t,) in conn.execute("SELECT name FROM sqlite_master")] == ["t"]
    conn.close()


# -- lab sweep: everything is checked before the store is created ---------------------------------------------

def _file(tmp_path: Path, data: object) -> str:
    path = tmp_path / "sweep.json"
    path.write_text(json.dumps(data))
    return str(path)


SWEEPS = {  # name: (extra argv given a tmp folder, what the error line says)
    "bogus executor": (lambda t: ["--executor", "bogus"], "'executor' parameter must be one of local, ray. Got 'bogus'"),
    "address without ray": (lambda t: ["--address", "ray://head:10001"], "'address' parameter needs executor='ray'"),
    "file top level a list": (lambda t: ["--file", _file(t, [1])], "must hold a table (a JSON object)"),
    "file run an integer": (lambda t: ["--file", _file(t, {"runs": [3]})], "Run 0 in the sweep file"),
    "file float n_tokens": (lambda t: ["--file", _file(t, {"runs": [{**SWEEP_FILE["runs"][0], "n_tokens": 10.5}]})],
                            "'n_tokens' field of run 0"),
    "file negative eval_tokens": (lambda t: ["--file", _file(t, {"runs": [{**SWEEP_FILE["runs"][0],
                                                                            "eval_tokens": -100}]})],
                                  "'eval_tokens' field of run 0"),
    "unknown preset": (lambda t: ["--preset", "huge"], "'preset' parameter must be one of"),
    "bad budget": (lambda t: ["--budgets", "lots"], "budgets"),
}


@pytest.mark.parametrize("case", list(SWEEPS))
def test_cli_lab_sweep_refuses_bad_options_before_creating_the_store(run, tmp_path, case):
    extra, message = SWEEPS[case]
    store = tmp_path / "new.db"
    code, _, err = run("lab", "sweep", "--store", str(store), *extra(tmp_path))
    assert message in _one_error(code, err)
    assert not list(tmp_path.glob("new.db*"))


def _fake_result(cfg) -> RunResult:
    n = scaling_params(cfg.shape)
    return RunResult(cfg.config_hash(), n, n, cfg.n_tokens_trained, cfg.estimate_flops(), 3.0, 3.0, 1.0, 1.0, 1.0)


def _settle(store: Path, sweep, outcome: str) -> None:
    """Store ``sweep`` and give every run ``outcome`` ("done" or "failed") without training."""
    register_sweep(store, sweep)
    with Store(store) as s:
        while (cfg := s.claim_next("test", sweep=sweep.name)) is not None:
            if outcome == "done":
                s.finish_run(cfg.config_hash(), _fake_result(cfg))
            else:
                s.fail_run(cfg.config_hash(), "ValueError: [bold]no[/] luck")


def test_cli_lab_sweep_refuses_a_name_rerun_with_other_budgets(run, tmp_path):
    store = tmp_path / "lab.db"
    _settle(store, preset_sweep("smoke"), "done")
    with Store(store, readonly=True) as s:
        before = (s.sweeps(), s.runs(None))
    line = _one_error(*run("lab", "sweep", "--store", str(store), "--budgets", "1e9,3e9")[::2])
    assert "The sweep 'smoke' exists in the store" in line and "with budgets 2e+09, 6e+09" in line
    assert "use a new --name or the same design. Got preset 'smoke' with budgets 1e+09, 3e+09" in line
    with Store(store, readonly=True) as s:
        assert (s.sweeps(), s.runs(None)) == before
    code, out, err = run("lab", "sweep", "--store", str(store))  # the same design resumes (here: nothing to do)
    assert code == 0 and "7/7 done" in out, err


def test_cli_lab_sweep_whose_every_run_failed_exits_1(run, tmp_path):
    store = tmp_path / "lab.db"
    file = _file(tmp_path, SWEEP_FILE)
    _settle(store, load_sweep_file(file), "failed")
    code, out, err = run("lab", "sweep", "--store", str(store), "--file", file)
    line = _one_error(code, err)
    assert "Every run of sweep 'sweep' failed (2 of 2)" in line and "0/2 done, 2 failed" in out


def test_cli_lab_prints_user_text_verbatim_never_as_markup(run, tmp_path):
    store, name = tmp_path / "lab.db", "evil[/]"
    file = _file(tmp_path, {"name": name, **SWEEP_FILE})
    code, out, err = run("lab", "plan-sweep", "--file", file)
    assert code == 0 and "sweep 'evil[/]': 2 runs" in out, err
    code, out, err = run("lab", "plan-sweep", "--name", "[red]x[/red]")
    assert code == 0 and "[red]x[/red]" in out, err
    _settle(store, load_sweep_file(file), "done")
    code, out, err = run("lab", "sweep", "--store", str(store), "--file", file)
    assert code == 0 and "sweep 'evil[/]': trained 0 run(s)" in out, err
    other = load_sweep_file(file, name="[b]fail[/b]")
    _settle(store, other, "failed")
    code, out, err = run("lab", "status", "--store", str(store))
    assert code == 0 and "evil[/]" in out and "[b]fail[/b]" in out and "ValueError: [bold]no[/] luck" in out, err


def test_register_sweep_refuses_runs_already_stored_under_another_sweep(tmp_path):
    from scalinglab.errors import ConfigError

    store = tmp_path / "lab.db"
    file = _file(tmp_path, {"runs": [{**r, "tag": "shared"} for r in SWEEP_FILE["runs"]]})
    register_sweep(store, load_sweep_file(file, name="first"))
    with pytest.raises(ConfigError, match=r"The sweep 'second' must have runs of its own. Got run '[0-9a-f]{16}' "
                                          r"already stored under sweep 'first'"):
        register_sweep(store, load_sweep_file(file, name="second"))
    with Store(store, readonly=True) as s:
        assert [w["name"] for w in s.sweeps()] == ["first"]


@pytest.mark.filterwarnings("always::scalinglab.fit.result.FitWarning")  # the CLI prints them as one line each
@pytest.mark.parametrize("reader", list(READERS))
def test_cli_reading_a_copied_store_leaves_no_wal_or_shm_file(run, tmp_path, finished_store, reader):
    made = finished_store(tmp_path / "made.db", PLANS, _curve)
    copy = tmp_path / "copy"
    copy.mkdir()
    path = Path(shutil.copy(made, copy / "lab.db"))
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    code, _, err = run(*READERS[reader](path, tmp_path))
    assert code == 0, err
    assert sorted(os.listdir(copy)) == ["lab.db"]
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before
