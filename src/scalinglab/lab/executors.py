"""Run a stored sweep to completion with local worker processes or on a Ray cluster.

Both executors take runs from the store with :meth:`Store.claim_next`, so a sweep interrupted at any
moment (Ctrl-C, ``kill -9``, a lost node) is finished by calling :func:`run_sweep` again: finished runs are
never retrained and abandoned ones restart from scratch.

- ``"local"``: ``workers`` processes (``spawn`` context) on this machine share the SQLite file; each loops
  claim → train → finish/fail and writes its own checkpoints. One thread per worker by default: on the
  development CPU two threads gave only 1.2–1.6× one and collapsed under contention, so processes scale
  better than threads. Workers die with their parent (``PR_SET_PDEATHSIG`` on Linux, else a parent check
  at every progress callback).
- ``"ray"``: cluster nodes cannot share a local SQLite file, so the *driver* (this process) claims runs,
  submits one Ray task per run (``num_cpus=threads_per_worker``, at most ``workers`` in flight) and writes
  each task's returned result and checkpoints to the store itself; tasks never touch the store. The
  driver renews the leases of in-flight runs while it waits. Point it at a cluster with
  ``address="ray://head:10001"`` (Ray Client) or ``"auto"`` on a cluster node (:mod:`._ray`).

A run whose result the store refuses (a full disk, a file made read-only) is never left claimed by a
live worker: the worker gives it back when the store still allows that and stops; otherwise the run
stays claimed by a worker that has exited, which :meth:`Store.runs` shows as stale and the next sweep
takes over. :func:`run_sweep` then raises one :class:`StoreError` saying how many runs were not recorded
and why.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import queue as queue_mod
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError, ScalingLabError, StoreError
from ..store.db import Store
from ._common import (HEARTBEAT_S, SweepEvent, Trainer, check_lab_dependencies, check_sweep_options, limit_threads,
                      release_quietly, resolve_trainer, start_event)
from ._ray import run_ray

__all__ = ["DEFAULT_TRAINER", "EXECUTORS", "SweepEvent", "SweepSummary", "check_lab_dependencies",
           "check_sweep_options", "run_sweep"]

EXECUTORS: tuple[str, ...] = ("local", "ray")
DEFAULT_TRAINER = "scalinglab.lab.train:train"


@dataclass(frozen=True)
class SweepSummary:
    """Outcome of one :func:`run_sweep` call; ``counts`` are the sweep's run counts by status afterwards."""

    sweep: str
    executor: str
    workers: int
    trained: int
    failed: int
    seconds: float
    counts: dict[str, int] = field(default_factory=dict)


def _die_with_parent(parent_pid: int) -> None:
    if sys.platform.startswith("linux"):
        try:
            import ctypes
            import signal

            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent_pid:  # the parent died before we got here
        os._exit(1)


class _WorkerProgress:
    """The ``progress`` callback a local worker hands the trainer: forwards, heartbeats, checks parent."""

    def __init__(self, store: Store, run_hash: str, worker: str, events: Any, parent_pid: int) -> None:
        self.store, self.run_hash, self.worker, self.events = store, run_hash, worker, events
        self.parent_pid, self.last_beat = parent_pid, time.monotonic()

    def __call__(self, step: int, total_steps: int, loss: float, tokens_per_s: float) -> None:
        if os.getppid() != self.parent_pid:  # orphaned: stop; the run is reclaimed as abandoned
            os._exit(1)
        if time.monotonic() - self.last_beat > HEARTBEAT_S:
            self.store.heartbeat(self.run_hash)
            self.last_beat = time.monotonic()
        self.events.put(SweepEvent("progress", self.run_hash, self.worker, int(step), int(total_steps),
                                   float(loss), float(tokens_per_s)))


def _local_worker(store_path: str, sweep: str, worker: str, threads: int, trainer_ref: Trainer | str,
                  events: Any, parent_pid: int) -> None:
    _die_with_parent(parent_pid)
    limit_threads(threads)
    try:
        trainer = resolve_trainer(trainer_ref)
    except ScalingLabError as exc:  # reported by the parent as one error, not one traceback per worker
        events.put(SweepEvent("error", "", worker, message=str(exc)))
        return
    limit_threads(threads)  # torch may have been imported with the trainer
    try:
        _claim_loop(store_path, sweep, worker, trainer, events, parent_pid)
    except StoreError as exc:  # the store cannot be opened or refuses a claim: no run is held
        events.put(SweepEvent("store-error", "", worker, message=str(exc)))
    except KeyboardInterrupt:  # Ctrl-C between runs: nothing to release, leave quietly
        return


def _claim_loop(store_path: str, sweep: str, worker: str, trainer: Trainer, events: Any,
                parent_pid: int) -> None:
    with Store(store_path) as store:
        while (cfg := store.claim_next(worker, sweep=sweep)) is not None:
            run_hash = cfg.config_hash()
            events.put(start_event(cfg, run_hash, worker))
            progress = _WorkerProgress(store, run_hash, worker, events, parent_pid)
            try:
                result = trainer(cfg, store=store, progress=progress)
                outcome = None
            except KeyboardInterrupt:
                release_quietly(store, run_hash)
                events.put(SweepEvent("released", run_hash, worker))
                return
            except StoreError as exc:  # a checkpoint or heartbeat was refused: the store takes no writes
                _unrecorded(store, run_hash, worker, events, exc)
                return
            except Exception as exc:  # noqa: BLE001 - a failed run is recorded, the sweep goes on
                outcome = f"{type(exc).__name__}: {exc}"
            try:
                if outcome is None:
                    store.finish_run(run_hash, result)
                else:
                    store.fail_run(run_hash, outcome)
            except StoreError as exc:  # a full disk will not empty itself: this worker stops
                _unrecorded(store, run_hash, worker, events, exc)
                return
            if outcome is None:
                events.put(SweepEvent("done", run_hash, worker, loss=result.final_val_loss,
                                      tokens_per_s=result.tokens_per_s, n_params=result.n_params,
                                      n_tokens=result.n_tokens))
            else:
                events.put(SweepEvent("failed", run_hash, worker, message=outcome))


def _unrecorded(store: Store, run_hash: str, worker: str, events: Any, exc: StoreError) -> None:
    release_quietly(store, run_hash)
    events.put(SweepEvent("unrecorded", run_hash, worker, message=str(exc)))


def _run_local(store_path: str, sweep: str, workers: int, threads: int, trainer: Trainer | str,
               emit: Callable[[SweepEvent], None]) -> list[str]:
    """Run the sweep in local worker processes; returns the store's errors (empty when all was recorded)."""
    ctx = mp.get_context("spawn")
    events = ctx.Queue()
    host = socket.gethostname()
    errors: list[str] = []
    failures: list[str] = []

    def forward(ev: SweepEvent) -> None:
        if ev.kind == "error":
            errors.append(ev.message)
        elif ev.kind == "store-error":
            failures.append(ev.message)
        else:
            if ev.kind == "unrecorded":
                failures.append(ev.message)
            emit(ev)

    for _ in range(3):  # a worker that crashed leaves its run claimable: run another round for it
        procs = [ctx.Process(target=_local_worker, name=f"scalinglab-worker-{i}",
                             args=(store_path, sweep, f"{host}:local-{i}", threads, trainer, events, os.getpid()))
                 for i in range(workers)]
        for p in procs:
            p.start()
        try:
            while any(p.is_alive() for p in procs):
                _drain(events, forward, timeout=0.2)
            _drain(events, forward, timeout=0.05)
        except BaseException:
            # Ctrl-C reaches the workers too (same process group): they release their runs and exit.
            for p in procs:
                p.join(timeout=10)
                if p.is_alive():
                    p.terminate()
                    p.join()
            raise
        for p in procs:
            p.join()
        if errors:
            raise ConfigError(errors[0])
        if failures or all(p.exitcode == 0 for p in procs):
            break
    return failures


def _drain(events: Any, emit: Callable[[SweepEvent], None], *, timeout: float) -> None:
    try:
        emit(events.get(timeout=timeout))
        while True:
            emit(events.get_nowait())
    except queue_mod.Empty:
        pass


def run_sweep(store_path: str | Path, sweep_name: str, *, executor: str = "local", workers: int = 2,
              threads_per_worker: int = 1, address: str | None = None, trainer: Trainer | str | None = None,
              progress: Callable[[SweepEvent], None] | None = None) -> SweepSummary:
    """Train every unfinished run of ``sweep_name`` in the store at ``store_path``.

    Parameters
    ----------
    store_path : str or Path
        The SQLite store holding the sweep (see :meth:`Store.add_runs`).
    executor : {"local", "ray"}
        Local worker processes, or Ray tasks whose results the driver writes (see the module docstring).
    workers : int
        Processes (local) or tasks in flight (Ray).
    threads_per_worker : int
        Torch threads per worker (and Ray CPUs per task); 1 is fastest per core on small CPU models.
    address : str, optional
        Ray cluster address (``"ray://head:10001"``, ``"auto"``); None starts a local Ray instance.
    trainer : callable or "module:function", optional
        ``trainer(cfg, *, store, progress) -> RunResult``; default :data:`DEFAULT_TRAINER`. Must be
        importable by the workers (module-level function).
    progress : callable, optional
        Called in this process with each :class:`SweepEvent`.

    Returns
    -------
    SweepSummary

    Raises
    ------
    StoreError
        When the store refused a result (a full disk): how many runs were not recorded, and the store's
        error. Those runs are released or left to the claim rule, so the next call trains them again.
    """
    check_sweep_options(executor, workers, threads_per_worker, address, EXECUTORS)
    if trainer is None:
        if executor == "local":  # Ray tasks import torch on the cluster's nodes, not here
            check_lab_dependencies()
        trainer = DEFAULT_TRAINER
    store_path = str(Path(store_path).resolve())
    with Store(store_path) as store:
        counts = store.status(sweep_name)
    if counts["total"] == 0:
        raise ConfigError(f"The sweep {sweep_name!r} must have runs in {store_path!r}. Got none.")
    if counts["pending"] + counts["running"] == 0:  # finished (or only failed runs): start no workers
        return SweepSummary(sweep_name, executor, workers, 0, 0, 0.0, counts)
    tally = {"done": 0, "failed": 0, "unrecorded": 0}

    def emit(ev: SweepEvent) -> None:
        if ev.kind in tally:
            tally[ev.kind] += 1
        if progress is not None:
            progress(ev)

    t0 = time.monotonic()
    if executor == "local":
        failures = _run_local(store_path, sweep_name, workers, threads_per_worker, trainer, emit)
    else:
        failures = run_ray(store_path, sweep_name, workers, threads_per_worker, address, trainer, emit)
    if failures:
        raise StoreError(_unrecorded_message(sweep_name, tally, failures[0]))
    with Store(store_path) as store:
        counts = store.status(sweep_name)
    return SweepSummary(sweep_name, executor, workers, tally["done"], tally["failed"], time.monotonic() - t0,
                        counts)


def _unrecorded_message(sweep: str, tally: dict[str, int], error: str) -> str:
    reason = error.rstrip(".")
    reason = reason[0].lower() + reason[1:] if reason.startswith("The ") else reason
    recorded = f"{tally['done'] + tally['failed']} recorded in this call"
    if tally["unrecorded"]:
        head = f"{tally['unrecorded']} run(s) of sweep {sweep!r} could not be recorded ({recorded})"
    else:
        head = f"The sweep {sweep!r} stopped before its runs could be recorded ({recorded})"
    return (f"{head}: {reason}. Rerun the sweep once the store accepts writes: runs not recorded are trained "
            f"again.")
