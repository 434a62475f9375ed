"""THE resume test: kill -9 a sweep mid-run, rerun it, and every run is completed exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter

from scalinglab.lab.config import ModelShape, TrainConfig
from scalinglab.store import Store
from scalinglab.store.db import _pid_alive

N_RUNS, N_STEPS, STEP_S = 6, 5, 0.15

# The sweep process: a slow fake trainer that logs "start <hash>" / "end <hash>" lines (one write each) and
# writes its worker pid into every checkpoint's train_loss, so stale checkpoints are recognisable.
SCRIPT = textwrap.dedent(f"""
    import os, sys, time
    from scalinglab.lab.config import Checkpoint, RunResult
    from scalinglab.lab.executors import run_sweep
    from scalinglab.store import scaling_params

    def note(line):
        fd = os.open(os.environ["RESUME_LOG"], os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        os.write(fd, (line + "\\n").encode())
        os.close(fd)

    def slow_train(cfg, *, store=None, progress=None):
        h, n = cfg.config_hash(), scaling_params(cfg.shape)
        note("start " + h)
        for step in range(1, {N_STEPS} + 1):
            time.sleep({STEP_S})
            tokens = cfg.n_tokens * step // {N_STEPS}
            flops = cfg.shape.estimate_flops(tokens)
            store.log_checkpoint(h, Checkpoint(step, tokens, flops, float(os.getpid()), 3.0, 0.0))
        note("end " + h)
        return RunResult(h, n, n, cfg.n_tokens_trained, cfg.estimate_flops(), 3.0, 3.0, 1.0, 1.0, 1.0)

    if __name__ == "__main__":
        run_sweep(sys.argv[1], "resume", workers=2, trainer=slow_train)
""")


def _events(log) -> list[tuple[str, str]]:
    return [tuple(line.split()) for line in log.read_text().splitlines()] if log.exists() else []


def test_resume_after_kill_completes_every_run_exactly_once(tmp_path):
    db, log, script = tmp_path / "lab.db", tmp_path / "calls.log", tmp_path / "sweep.py"
    script.write_text(SCRIPT)
    cfgs = [TrainConfig(shape=ModelShape(n_layers=1, d_model=8 * (i + 1), n_heads=2), n_tokens=4096, tag="r")
            for i in range(N_RUNS)]
    hashes = {c.config_hash() for c in cfgs}
    with Store(db) as s:
        s.add_runs("resume", cfgs)
    env = {**os.environ, "RESUME_LOG": str(log)}
    cmd = [sys.executable, str(script), str(db)]

    # 1. Start the sweep; kill -9 it once two runs are finished and another is half-way (has checkpoints).
    #    The workers are frozen (SIGSTOP) while the condition is checked, so no run finishes in between.
    proc = subprocess.Popen(cmd, env=env)
    deadline = time.monotonic() + 30
    with Store(db) as s:
        while time.monotonic() < deadline:
            if sum(kind == "end" for kind, _ in _events(log)) >= 2 and s.status()["running"]:
                frozen = {proc.pid} | {r["pid"] for r in s.runs("running")}
                for pid in frozen:
                    os.kill(pid, signal.SIGSTOP)
                if any(s.checkpoints(r["run_hash"]) for r in s.runs("running")):
                    break
                for pid in frozen:
                    os.kill(pid, signal.SIGCONT)
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        # The workers die with the parent (PR_SET_PDEATHSIG, which SIGKILLs even stopped processes).
        owners = {r["pid"] for r in s.runs(None) if r["pid"]}
        while any(_pid_alive(p) for p in owners) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not any(_pid_alive(p) for p in owners)

        # 2. The killed sweep left a consistent store: finished runs done, interrupted ones still claimed.
        before = _events(log)
        started_before = {h for kind, h in before if kind == "start"}
        done_before = {r["run_hash"] for r in s.runs("done")}
        interrupted = {r["run_hash"] for r in s.runs("running")}
        assert done_before == {h for kind, h in before if kind == "end"} and len(done_before) >= 2
        assert started_before - done_before <= interrupted
        assert any(s.checkpoints(h) for h in interrupted)  # stale checkpoints of a half-finished run

    # 3. Rerun to completion.
    subprocess.run(cmd, env=env, check=True, timeout=60)
    after = _events(log)
    starts, ends = Counter(h for k, h in after if k == "start"), Counter(h for k, h in after if k == "end")
    with Store(db) as s:
        assert s.status("resume") == {"pending": 0, "running": 0, "done": N_RUNS, "failed": 0, "total": N_RUNS}
        runs = {r["run_hash"]: r for r in s.runs("done")}
        assert set(runs) == hashes
        assert all(ends[h] == 1 for h in hashes)  # every run completed exactly once
        for h in done_before:  # finished runs were not trained again
            assert starts[h] == 1 and runs[h]["attempts"] == 1
        for h in interrupted:  # half-finished runs restarted from scratch, stale checkpoints removed
            assert starts[h] == 1 + (h in started_before) and runs[h]["attempts"] == 2
        for h in hashes:
            cps = s.checkpoints(h)
            assert [cp.step for cp in cps] == list(range(1, N_STEPS + 1))
            assert {cp.train_loss for cp in cps} == {float(runs[h]["pid"])}  # all from the finishing attempt
