"""The Ray executor: the driver claims runs, Ray tasks train them, the driver writes every result.

Cluster nodes cannot share a local SQLite file, so tasks never touch the store (see
:mod:`scalinglab.lab.executors`). When the store refuses a result (a full disk), the driver stops
claiming, cancels the tasks in flight, gives their runs back when the store still allows it, and reports
what it could not record.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from typing import Any

from ..errors import ConfigError, StoreError
from ..store.db import Store
from ._common import HEARTBEAT_S, SweepEvent, Trainer, limit_threads, release_quietly, resolve_trainer, start_event
from .config import Checkpoint, RunResult, TrainConfig

__all__ = ["run_ray"]


class _Collector:
    """Stands in for the store inside a Ray task: keeps checkpoints to return to the driver."""

    def __init__(self) -> None:
        self.checkpoints: list[Checkpoint] = []

    def log_checkpoint(self, run_hash: str, checkpoint: Checkpoint) -> None:
        self.checkpoints.append(checkpoint)


def _ray_task(config: dict[str, Any], threads: int, trainer_ref: Trainer | str) -> tuple[str, Any]:
    """Body of one Ray task: train, return ("done", result dict) or ("failed", message). No store access."""
    limit_threads(threads)
    trainer = resolve_trainer(trainer_ref)
    limit_threads(threads)
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


def _record(store: Store, ray: Any, ref: Any, run_hash: str, emit: Callable[[SweepEvent], None]) -> None:
    """Write one finished task's outcome; raises :class:`StoreError` when the store refuses it."""
    try:
        kind, payload = ray.get(ref)
    except Exception as exc:  # noqa: BLE001 - the task or its node died
        kind, payload = "failed", f"{type(exc).__name__}: {exc}"
    if kind == "done":
        result = RunResult.from_dict(payload)
        store.finish_run(run_hash, result)
        emit(SweepEvent("done", run_hash, "ray", loss=result.final_val_loss, tokens_per_s=result.tokens_per_s,
                        n_params=result.n_params, n_tokens=result.n_tokens))
    else:
        store.fail_run(run_hash, str(payload))
        emit(SweepEvent("failed", run_hash, "ray", message=str(payload)))


def run_ray(store_path: str, sweep: str, workers: int, threads: int, address: str | None,
            trainer: Trainer | str, emit: Callable[[SweepEvent], None]) -> list[str]:
    """Run the sweep on Ray; returns the store's errors (empty when every outcome was recorded)."""
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
    failures: list[str] = []
    try:
        with Store(store_path) as store:
            try:
                while True:
                    while not failures and len(inflight) < workers and (
                            cfg := store.claim_next(driver, sweep=sweep)):
                        run_hash = cfg.config_hash()
                        inflight[task.remote(cfg.as_dict(), threads, trainer)] = (run_hash, cfg)
                        emit(start_event(cfg, run_hash, "ray"))
                    if not inflight or failures:
                        break
                    ready, _ = ray.wait(list(inflight), num_returns=1, timeout=HEARTBEAT_S)
                    try:
                        for run_hash, _cfg in inflight.values():
                            store.heartbeat(run_hash)
                    except StoreError as exc:
                        failures.append(str(exc))
                        break
                    for ref in ready:
                        run_hash, _cfg = inflight.pop(ref)
                        try:
                            _record(store, ray, ref, run_hash, emit)
                        except StoreError as exc:
                            failures.append(str(exc))
                            release_quietly(store, run_hash)
                            emit(SweepEvent("unrecorded", run_hash, "ray", message=str(exc)))
            finally:  # Ctrl-C, or the store refused a write: nothing in flight stays claimed by this driver
                for ref, (run_hash, _cfg) in inflight.items():
                    ray.cancel(ref, force=True)
                    release_quietly(store, run_hash)
                    emit(SweepEvent("released", run_hash, "ray"))
    finally:
        if started_here:
            ray.shutdown()
    return failures
