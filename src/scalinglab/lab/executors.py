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
  ``address="ray://head:10001"`` (Ray Client) or ``"auto"`` on a cluster node.
"""

from __future__ import annotations

import importlib
import importlib.util
import math
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

from ..errors import ConfigError, ScalingLabError
from ..store.db import Store
from .config import Checkpoint, RunResult, TrainConfig

__all__ = ["DEFAULT_TRAINER", "EXECUTORS", "SweepEvent", "SweepSummary", "check_lab_dependencies", "run_sweep"]

EXECUTORS: tuple[str, ...] = ("local", "ray")
DEFAULT_TRAINER = "scalinglab.lab.train:train"
HEARTBEAT_S = 30.0  # lease renewal period; far below Store.lease_s

Trainer = Callable[..., RunResult]


@dataclass(frozen=True)
class SweepEvent:
    """What a worker reports: ``kind`` is "start", "progress", "done", "failed" or "released"."""

    kind: str
    run_hash: str
    worker: str
    step: int = 0
    total_steps: int = 0
    loss: float = math.nan
    tokens_per_s: float = math.nan
    n_params: int = 0  # the lab's N (ModelShape.scaling_params)
    n_tokens: int = 0
    message: str = ""


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


def check_lab_dependencies() -> None:
    """Raise a one-line :class:`ConfigError` when PyTorch (the ``[lab]`` extra) is missing."""
    try:
        missing = importlib.util.find_spec("torch") is None
    except (ImportError, ValueError):
        missing = True
    if missing:
        raise ConfigError("The lab needs PyTorch: pip install 'scalinglab[lab]'")


def _resolve_trainer(trainer: Trainer | str) -> Trainer:
    if callable(trainer):
        return trainer
    module, _, attr = str(trainer).partition(":")
    try:
        return getattr(importlib.import_module(module), attr or "train")
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] == "torch":
            raise ConfigError("The lab needs PyTorch: pip install 'scalinglab[lab]'") from None
        raise ConfigError(f"The 'trainer' parameter must name an importable 'module:function'. "
                          f"Got {trainer!r}: {exc}.") from None


def _limit_threads(threads: int) -> None:
    # Before torch is imported (spawned workers and Ray tasks start fresh), the env vars size its pools.
    # SCALINGLAB_THREADS is what scalinglab.lab.train.train sets its torch threads from on every call.
    for var in ("SCALINGLAB_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(threads)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(threads)


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


def _start_event(cfg: TrainConfig, run_hash: str, worker: str) -> SweepEvent:
    return SweepEvent("start", run_hash, worker, 0, cfg.steps, n_params=cfg.shape.scaling_params(),
                      n_tokens=cfg.n_tokens_trained)


def _local_worker(store_path: str, sweep: str, worker: str, threads: int, trainer_ref: Trainer | str,
                  events: Any, parent_pid: int) -> None:
    _die_with_parent(parent_pid)
    _limit_threads(threads)
    try:
        trainer = _resolve_trainer(trainer_ref)
    except ScalingLabError as exc:  # reported by the parent as one error, not one traceback per worker
        events.put(SweepEvent("error", "", worker, message=str(exc)))
        return
    _limit_threads(threads)  # torch may have been imported with the trainer
    try:
        _claim_loop(store_path, sweep, worker, trainer, events, parent_pid)
    except KeyboardInterrupt:  # Ctrl-C between runs: nothing to release, leave quietly
        return


def _claim_loop(store_path: str, sweep: str, worker: str, trainer: Trainer, events: Any,
                parent_pid: int) -> None:
    with Store(store_path) as store:
        while (cfg := store.claim_next(worker, sweep=sweep)) is not None:
            run_hash = cfg.config_hash()
            events.put(_start_event(cfg, run_hash, worker))
            progress = _WorkerProgress(store, run_hash, worker, events, parent_pid)
            try:
                result = trainer(cfg, store=store, progress=progress)
            except KeyboardInterrupt:
                store.release_run(run_hash)
                events.put(SweepEvent("released", run_hash, worker))
                return
            except Exception as exc:  # noqa: BLE001 - a failed run is recorded, the sweep goes on
                store.fail_run(run_hash, f"{type(exc).__name__}: {exc}")
                events.put(SweepEvent("failed", run_hash, worker, message=f"{type(exc).__name__}: {exc}"))
                continue
            store.finish_run(run_hash, result)
            events.put(SweepEvent("done", run_hash, worker, loss=result.final_val_loss,
                                  tokens_per_s=result.tokens_per_s, n_params=result.n_params,
                                  n_tokens=result.n_tokens))


def _run_local(store_path: str, sweep: str, workers: int, threads: int, trainer: Trainer | str,
               emit: Callable[[SweepEvent], None]) -> None:
    ctx = mp.get_context("spawn")
    events = ctx.Queue()
    host = socket.gethostname()
    errors: list[str] = []

    def forward(ev: SweepEvent) -> None:
        if ev.kind == "error":
            errors.append(ev.message)
        else:
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
        if all(p.exitcode == 0 for p in procs):
            break


def _drain(events: Any, emit: Callable[[SweepEvent], None], *, timeout: float) -> None:
    try:
        emit(events.get(timeout=timeout))
        while True:
            emit(events.get_nowait())
    except queue_mod.Empty:
        pass


class _Collector:
    """Stands in for the store inside a Ray task: keeps checkpoints to return to the driver."""

    def __init__(self) -> None:
        self.checkpoints: list[Checkpoint] = []

    def log_checkpoint(self, run_hash: str, checkpoint: Checkpoint) -> None:
        self.checkpoints.append(checkpoint)


def _ray_task(config: dict[str, Any], threads: int, trainer_ref: Trainer | str) -> tuple[str, Any]:
    """Body of one Ray task: train, return ("done", result dict) or ("failed", message). No store access."""
    _limit_threads(threads)
    trainer = _resolve_trainer(trainer_ref)
    _limit_threads(threads)
    cfg = TrainConfig.from_dict(config)
    collector = _Collector()
    try:
        result = trainer(cfg, store=collector, progress=None)
    except Exception as exc:  # noqa: BLE001 - any trainer error fails the run, not the task
        return "failed", f"{type(exc).__name__}: {exc}"
    out = result.as_dict()
    if not result.checkpoints:
        out["checkpoints"] = [vars(cp) for cp in collector.checkpoints]
    return "done", out


def _result_from_dict(d: dict[str, Any]) -> RunResult:
    return RunResult(**{**d, "checkpoints": tuple(Checkpoint(**cp) for cp in d.get("checkpoints", ()))})


def _run_ray(store_path: str, sweep: str, workers: int, threads: int, address: str | None,
             trainer: Trainer | str, emit: Callable[[SweepEvent], None]) -> None:
    try:
        import ray
    except ImportError:
        raise ConfigError("The Ray executor needs Ray: pip install 'scalinglab[distributed]'") from None
    started_here = not ray.is_initialized()
    if started_here:
        ray.init(address=address, include_dashboard=False, log_to_driver=False)
    task = ray.remote(num_cpus=threads, max_retries=0)(_ray_task)
    driver = f"{socket.gethostname()}:ray-driver-{os.getpid()}"
    inflight: dict[Any, tuple[str, TrainConfig]] = {}
    try:
        with Store(store_path) as store:
            try:
                while True:
                    while len(inflight) < workers and (cfg := store.claim_next(driver, sweep=sweep)):
                        run_hash = cfg.config_hash()
                        inflight[task.remote(cfg.as_dict(), threads, trainer)] = (run_hash, cfg)
                        emit(_start_event(cfg, run_hash, "ray"))
                    if not inflight:
                        break
                    ready, _ = ray.wait(list(inflight), num_returns=1, timeout=HEARTBEAT_S)
                    for run_hash, _cfg in inflight.values():
                        store.heartbeat(run_hash)
                    for ref in ready:
                        run_hash, _cfg = inflight.pop(ref)
                        try:
                            kind, payload = ray.get(ref)
                        except Exception as exc:  # noqa: BLE001 - the task or its node died
                            kind, payload = "failed", f"{type(exc).__name__}: {exc}"
                        if kind == "done":
                            result = _result_from_dict(payload)
                            store.finish_run(run_hash, result)
                            emit(SweepEvent("done", run_hash, "ray", loss=result.final_val_loss,
                                            tokens_per_s=result.tokens_per_s, n_params=result.n_params,
                                            n_tokens=result.n_tokens))
                        else:
                            store.fail_run(run_hash, str(payload))
                            emit(SweepEvent("failed", run_hash, "ray", message=str(payload)))
            except BaseException:
                for ref, (run_hash, _cfg) in inflight.items():
                    ray.cancel(ref, force=True)
                    store.release_run(run_hash)
                raise
    finally:
        if started_here:
            ray.shutdown()


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
    """
    if executor not in EXECUTORS:
        raise ConfigError(f"The 'executor' parameter must be one of {EXECUTORS}. Got {executor!r}.")
    for name, value in (("workers", workers), ("threads_per_worker", threads_per_worker)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(f"The {name!r} parameter must be an integer >= 1. Got {value!r}.")
    if address is not None and executor != "ray":
        raise ConfigError(f"The 'address' parameter needs executor='ray'. Got executor={executor!r}.")
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
    tally = {"done": 0, "failed": 0}

    def emit(ev: SweepEvent) -> None:
        if ev.kind in tally:
            tally[ev.kind] += 1
        if progress is not None:
            progress(ev)

    t0 = time.monotonic()
    if executor == "local":
        _run_local(store_path, sweep_name, workers, threads_per_worker, trainer, emit)
    else:
        _run_ray(store_path, sweep_name, workers, threads_per_worker, address, trainer, emit)
    with Store(store_path) as store:
        counts = store.status(sweep_name)
    return SweepSummary(sweep_name, executor, workers, tally["done"], tally["failed"], time.monotonic() - t0,
                        counts)
