"""What both executors share: the events workers report, the trainer's resolution, thread limits, and the
rule that a run whose result the store cannot take is released, never left claimed by a live worker."""

from __future__ import annotations

import importlib
import importlib.util
import math
import os
import sys
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass

from ..errors import ConfigError, StoreError
from ..store.db import Store
from .config import RunResult, TrainConfig

__all__ = ["HEARTBEAT_S", "SweepEvent", "Trainer", "check_lab_dependencies", "check_sweep_options", "limit_threads",
           "release_quietly", "resolve_trainer", "start_event"]

HEARTBEAT_S = 30.0  # lease renewal period; far below Store.lease_s

Trainer = Callable[..., RunResult]


@dataclass(frozen=True)
class SweepEvent:
    """What a worker reports: ``kind`` is "start", "progress", "done", "failed", "released" or "unrecorded".

    "unrecorded": the run trained (or failed) but the store refused its result (a full disk, a read-only
    file); ``message`` holds the store's error. The run was released when the store allowed it, else it
        stays claimed by a worker that has stopped, which the next sweep takes over (the claim rule).
    """

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



def _missing(module: str) -> bool:
    """Whether ``module`` cannot be imported here (found without importing it)."""
    try:
        return importlib.util.find_spec(module) is None
    except (ImportError, ValueError):
        return True

def check_lab_dependencies() -> None:
    """Raise a one-line :class:`ConfigError` when PyTorch (the ``[lab]`` extra) is missing."""
    if _missing("torch"):
        raise ConfigError("The lab needs PyTorch: pip install 'scalinglab[lab]'")


def check_sweep_options(executor: str, workers: object, threads_per_worker: object, address: str | None,
                        executors: tuple[str, ...]) -> None:
    """Refuse bad executor options in one line, before anything (a store, a worker) is created."""
    if executor not in executors:
        raise ConfigError(f"The 'executor' parameter must be one of {', '.join(executors)}. Got {executor!r}.")
    for name, value in (("workers", workers), ("threads_per_worker", threads_per_worker)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(f"The {name!r} parameter must be an integer >= 1. Got {value!r}.")
    if address is not None and executor != "ray":
        raise ConfigError(f"The 'address' parameter needs executor='ray'. Got executor={executor!r}.")
    if executor == "ray":
        if _missing("ray"):
            raise ConfigError("The Ray executor needs Ray: pip install 'scalinglab[distributed]'")


def resolve_trainer(trainer: Trainer | str) -> Trainer:
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


def limit_threads(threads: int) -> None:
    # Before torch is imported (spawned workers and Ray tasks start fresh), the env vars size its pools.
    # SCALINGLAB_THREADS is what scalinglab.lab.train.train sets its torch threads from on every call.
    for var in ("SCALINGLAB_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(threads)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(threads)


def start_event(cfg: TrainConfig, run_hash: str, worker: str) -> SweepEvent:
    return SweepEvent("start", run_hash, worker, 0, cfg.steps, n_params=cfg.shape.scaling_params(),
                      n_tokens=cfg.n_tokens_trained)


def release_quietly(store: Store, run_hash: str) -> None:
    """Give a run back to pending if the store still takes writes; else leave it to the claim rule."""
    with suppress(StoreError):
        store.release_run(run_hash)
