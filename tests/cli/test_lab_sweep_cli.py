"""`scalinglab lab sweep` outside a terminal: plain progress lines; a sweep with failed runs exits 1 and keeps
what finished, so adding --retry-failed trains only the failed runs."""

from __future__ import annotations

import functools
import json
import os
import re
import time

import pytest

from scalinglab.cli import _sweep_progress
from scalinglab.lab import executors
from scalinglab.lab.config import RunResult
from scalinglab.lab.registry import register_sweep
from scalinglab.lab.sweep import load_sweep_file
from scalinglab.store import Store, scaling_params

N_STEPS = 4


def fake_train(cfg, *, store=None, progress=None) -> RunResult:
    """The trainer's signature, no torch: four short steps; seed 13 fails unless FAKE_TRAIN_FIXED is set."""
    if cfg.seed == 13 and not os.environ.get("FAKE_TRAIN_FIXED"):
        raise ValueError("unlucky seed")
    n = scaling_params(cfg.shape)
    for step in range(1, N_STEPS + 1):
        time.sleep(0.05)
        if progress is not None:
            progress(step, N_STEPS, 5.0 - step / 10, 1e4)
    return RunResult(cfg.config_hash(), n, n, cfg.n_tokens_trained, cfg.estimate_flops(), 4.6, 4.6, 0.2, 1e4, 1e9)


@pytest.fixture
def fake_lab(monkeypatch, tmp_path):
    """`lab sweep` trains with :func:`fake_train`; returns a writer of sweep files with the given seeds."""
    import scalinglab.cli.lab_cmd as lab_cmd

    monkeypatch.setattr(lab_cmd, "run_sweep", functools.partial(executors.run_sweep, trainer=fake_train))

    def sweep_file(*seeds: int, name: str = "tiny") -> str:
        runs = [{"shape": {"n_layers": 1, "d_model": 8, "n_heads": 1}, "n_tokens": 4096, "seed": s} for s in seeds]
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps({"name": name, "runs": runs}))
        return str(path)

    return sweep_file


def _counts(store) -> dict[str, int]:
    with Store(store, readonly=True) as s:
        return s.status()


def test_cli_lab_sweep_outside_a_terminal_prints_plain_progress_lines(run, fake_lab, tmp_path, monkeypatch):
    store = tmp_path / "lab.db"
    monkeypatch.setattr(_sweep_progress, "PLAIN_EVERY_S", 0.0)  # a periodic line at every step
    code, out, err = run("lab", "sweep", "--store", str(store), "--file", fake_lab(0, 1), "--workers", "1")
    assert code == 0, err
    assert "\x1b[" not in err  # no ANSI codes, no cursor moves
    lines = err.splitlines()
    assert lines[0].startswith("sweep 'tiny': 0/2 runs done, 0 s elapsed · 2 of 2 runs to train with 1 worker(s)")
    done = [line for line in lines if re.search(r"· run [0-9a-f]{16} done: N=2,840 D=4,096 loss 4.6000 in", line)]
    assert [line.split(":")[1].split(",")[0].strip() for line in done] == ["1/2 runs done", "2/2 runs done"]
    assert any(re.search(r"runs done, \d+ s elapsed · local-0 step 2/4 loss 4.800$", line) for line in lines)
    assert "2/2 done, 0 failed" in out


def test_cli_lab_sweep_plain_lines_are_rate_limited(run, fake_lab, tmp_path):
    code, _, err = run("lab", "sweep", "--store", str(tmp_path / "lab.db"), "--file", fake_lab(0, 1))
    assert code == 0, err
    # the start line and one per finished run; no periodic line within the first 30 s
    assert len(err.splitlines()) == 3 and "step" not in err, err


def test_cli_lab_sweep_with_a_failed_run_exits_1_and_retry_trains_only_it(run, fake_lab, tmp_path, monkeypatch):
    store, file = tmp_path / "lab.db", fake_lab(0, 13, 1)
    code, out, err = run("lab", "sweep", "--store", str(store), "--file", file, "--workers", "1")
    assert code == 1
    assert "trained 2 run(s)" in out and "2/3 done, 1 failed" in out
    assert re.search(r"failed [0-9a-f]{16} \(1×8/1h, D=4\.1K, attempt 1\): ValueError: unlucky seed", out), out
    assert re.search(r"run [0-9a-f]{16} failed: ValueError: unlucky seed", err)
    last = err.strip().splitlines()[-1]
    assert last.startswith("error: 1 of 3 runs of sweep 'tiny' failed; the 2 done are kept in ")
    assert last.endswith("train them again by adding --retry-failed.") and "Traceback" not in err
    assert _counts(store)["done"] == 2 and _counts(store)["failed"] == 1

    code, out, err = run("lab", "sweep", "--store", str(store), "--file", file)  # not retried: still unfinished
    assert code == 1 and "trained 0 run(s)" in out and "error: 1 of 3 runs" in err

    monkeypatch.setenv("FAKE_TRAIN_FIXED", "1")  # the spawned workers inherit it
    code, out, err = run("lab", "sweep", "--store", str(store), "--file", file, "--retry-failed")
    assert code == 0, err
    assert "trained 1 run(s)" in out and "3/3 done, 0 failed" in out and "error" not in err


def test_cli_lab_sweep_json_lists_the_failed_runs_and_exits_1(run, tmp_path):
    store, path = tmp_path / "lab.db", tmp_path / "s.json"
    path.write_text(json.dumps({"runs": [{"shape": {"n_layers": 1, "d_model": 8, "n_heads": 1}, "n_tokens": 4096,
                                          "seed": s} for s in range(3)]}))
    sweep = load_sweep_file(str(path))
    register_sweep(store, sweep)
    with Store(store) as s:  # settle the runs without training: two done, one failed
        for i in range(3):
            cfg = s.claim_next("test", sweep=sweep.name)
            if i < 2:
                n = scaling_params(cfg.shape)
                s.finish_run(cfg.config_hash(), RunResult(cfg.config_hash(), n, n, 1, 1.0, 3.0, 3.0, 1.0, 1.0, 1.0))
            else:
                s.fail_run(cfg.config_hash(), "RuntimeError: out of memory")
                failed = cfg.config_hash()
    code, out, err = run("lab", "sweep", "--store", str(store), "--file", str(path), "--json")
    assert code == 1
    data = json.loads(out)
    assert data["counts"]["done"] == 2 and data["failures"] == [{"run_hash": failed,
                                                                 "error": "RuntimeError: out of memory"}]
    assert err.strip().splitlines() == [err.strip()] and "1 of 3 runs of sweep 's' failed" in err


def test_cli_demo_outside_a_terminal_shows_the_sweep_progress(run, fake_lab, monkeypatch):
    from scalinglab.cli import demo_cmd

    file = fake_lab(0, name="demo")
    monkeypatch.setattr(demo_cmd, "_steps", lambda with_lab: [("The lab", ["lab", "sweep", "--file", file, "--store",
                                                                            file.replace(".json", ".db")])])
    code, out, err = run("demo")
    assert code == 0, err
    assert "The lab" in out and "\x1b[" not in out + err
    assert re.search(r"sweep 'demo': 1/1 runs done, \d+ s elapsed · run [0-9a-f]{16} done", err), err


def test_cli_lab_pair_trains_both_variants_into_one_store(run, fake_lab, tmp_path):
    store = tmp_path / "pair.db"
    code, out, err = run("lab", "pair", "--store", str(store), "--preset", "smoke", "--a", "lr_scale=1",
                         "--b", "lr_scale=3", "--name", "lr", "--workers", "1", "--n-bootstrap", "0", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert set(doc["pair"]) == {"lr-a", "lr-b"} and doc["comparison"] is None
    assert doc["pair"]["lr-b"]["variant"] == {"lr_scale": 3.0}
    assert "--a-sweep lr-a --b-sweep lr-b" in doc["compare"]
    with Store(store, readonly=True) as s:
        assert {x["name"] for x in s.sweeps()} == {"lr-a", "lr-b"}
        assert s.status("lr-a")["done"] == s.status("lr-b")["done"] == s.status("lr-a")["total"] > 0
    code, out, err = run("lab", "pair", "--store", str(store), "--a", "lr=1e-3", "--b", "lr=1e-3")
    assert code == 1 and "must differ" in err and "Traceback" not in err


def law_train(cfg, *, store=None, progress=None) -> RunResult:
    """No torch: a Chinchilla law's loss; a learning rate off the width rule costs 4% of the loss."""
    from scalinglab.lab.schedule import default_lr, peak_lr

    n, d = scaling_params(cfg.shape), cfg.n_tokens_trained
    loss = (1.2 + 40.0 / n**0.35 + 60.0 / d**0.3) * (1.04 if peak_lr(cfg) < 0.5 * default_lr(cfg.shape) else 1.0)
    return RunResult(cfg.config_hash(), n, n, d, cfg.estimate_flops(), loss, loss, 0.1, 1e4, 1e9)


def test_cli_lab_pair_compares_the_variants_when_they_finish(run, monkeypatch, tmp_path):
    import scalinglab.cli.lab_cmd as lab_cmd

    monkeypatch.setattr(lab_cmd, "run_sweep", functools.partial(executors.run_sweep, trainer=law_train))
    code, out, err = run("lab", "pair", "--store", str(tmp_path / "pair.db"), "--preset", "small", "--a", "default",
                         "--b", "lr_scale=0.25", "--name", "lr", "--workers", "1", "--n-bootstrap", "50", "--json")
    assert code == 0, err
    cmp = json.loads(out)["comparison"]
    assert cmp is not None and cmp["by"] == "compute"
    # a 4% higher loss everywhere costs b compute: A reaches b's loss with less, so M < 1 at every x
    rows = cmp["multipliers"]
    assert rows and all(0 < row["multiplier"] < 1 for row in rows)
