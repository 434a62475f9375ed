"""Train one lab model: ``train(cfg, *, store=None, progress=None) -> RunResult``.

AdamW (β = 0.9, 0.95; weight decay on matrices only), the learning rate of ``cfg.schedule``
(:mod:`scalinglab.lab.schedule`: a linear warmup, then cosine decay to ``lr · min_lr_ratio`` by default, or
wsd, step or constant), gradient clipping, fixed seeds, validation loss on fixed windows at every
``eval_every_frac`` of training and at the end. float32 on CPU; bf16 autocast on CUDA, with the same code.

What a run records: a :class:`Checkpoint` (validation loss, mean training loss since the last one, the
learning rate) at each validation point, and a dense training log of about :data:`LOG_POINTS` points
(:class:`TrainPoint`: the mean training loss of each window of ``max(1, steps // LOG_POINTS)`` steps and the
learning rate at its end), cheap because it needs no evaluation, for the training-curve laws
(:mod:`scalinglab.fit.curves`), which fit the loss at 50-200 points of a run.

Threads: one per process by default (``SCALINGLAB_THREADS`` or ``threads=`` overrides). On the 2-core
development machine two threads gave only 1.2–1.6× one thread and collapsed when two workers contended, so a
sweep runs one single-threaded worker per core.

The peak learning rate when ``cfg.lr`` is None is :func:`~scalinglab.lab.schedule.default_lr`, a width rule
fitted on this machine (its constants and their sweep are in :mod:`scalinglab.lab.schedule`).
"""

from __future__ import annotations

import contextlib
import math
import os
import time
from collections.abc import Callable
from dataclasses import asdict
from typing import Any, Protocol

import numpy as np

from ..errors import ConfigError
from ._torch import torch
from .config import Checkpoint, RunResult, TrainConfig, TrainPoint
from .corpus import TokenData, load_token_data
from .mix import load_mixed_token_data
from .model import GPT
from .schedule import LR_BASE, LR_EXPONENT, LR_MAX, LR_REF_WIDTH, default_lr, peak_lr, run_schedule

__all__ = ["train", "default_lr", "eval_steps", "log_every", "resolve_threads", "evaluate", "LAB_TASKS",
           "LR_BASE", "LR_REF_WIDTH", "LR_EXPONENT", "LR_MAX", "LOG_POINTS", "THREADS_ENV"]

LOG_POINTS = 200  # about this many points of the dense training log per run (curve fits want 50-200)
THREADS_ENV = "SCALINGLAB_THREADS"
BETAS = (0.9, 0.95)

ProgressFn = Callable[[int, int, float, float], Any]


class CheckpointSink(Protocol):
    def log_checkpoint(self, run_hash: str, checkpoint: Checkpoint) -> Any: ...


def eval_steps(total_steps: int, every_frac: float) -> list[int]:
    """Steps (1-based counts of steps done) after which validation runs: each ``every_frac`` and the last."""
    points = {total_steps}
    if every_frac > 0:
        k = 1
        while k * every_frac < 1 - 1e-9:
            points.add(max(1, round(k * every_frac * total_steps)))
            k += 1
    return sorted(points)


def log_every(total_steps: int) -> int:
    """Steps per point of the dense training log: ``max(1, total_steps // LOG_POINTS)`` (plus the last step)."""
    return max(1, total_steps // LOG_POINTS)


def resolve_threads(threads: int | None = None) -> int:
    """Torch threads for this process: the argument, else ``$SCALINGLAB_THREADS``, else 1."""
    raw: object = threads if threads is not None else os.environ.get(THREADS_ENV, "1")
    try:
        n = int(raw)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        n = 0
    if n < 1:
        raise ConfigError(f"The 'threads' parameter (or ${THREADS_ENV}) must be an integer >= 1. Got {raw!r}.")
    return n


#: the task scores the lab records for every run (``RunResult.task_metrics``), measured on the validation windows
#: at the end of training: next-token top-1 and top-5 accuracy, with the validation loss in bits per token as the
#: task loss of both (docs/downstream.md, "The lab's tasks")
LAB_TASKS = ("next_token", "next_token_top5")


@torch.no_grad()
def evaluate(model: GPT, data: TokenData, *, n_tokens: int, batch_size: int, device: torch.device,
             autocast: contextlib.AbstractContextManager[Any] | None = None, tasks: bool = False
             ) -> float | tuple[float, dict[str, dict[str, float]]]:
    """Mean validation cross-entropy (nats/token) over fixed windows covering ``n_tokens`` tokens; with ``tasks``
    also the scores of :data:`LAB_TASKS` on the same windows."""
    total, count = torch.zeros((), device=device), 0
    hits = torch.zeros(2, device=device)
    for x, y in data.eval_batches(n_tokens, batch_size, model.shape.context):
        xb, yb = torch.from_numpy(x).to(device), torch.from_numpy(y).to(device)
        with autocast or contextlib.nullcontext():
            logits, loss = model(xb, yb)
        total += loss.float() * yb.numel()
        count += yb.numel()
        if tasks:
            top = logits.float().topk(5, dim=-1).indices  # (B, T, 5)
            hits[0] += (top[..., 0] == yb).sum()
            hits[1] += (top == yb[..., None]).any(-1).sum()
    mean = float(total) / count
    if not tasks:
        return mean
    bits = mean / math.log(2)
    top1, top5 = (float(h) / count for h in hits)
    return mean, {"next_token": {"accuracy": top1, "loss": bits}, "next_token_top5": {"accuracy": top5, "loss": bits}}


def _optimizer(model: GPT, lr: float, weight_decay: float, device: torch.device) -> torch.optim.AdamW:
    # Decay the matrices (linear layers, embeddings) only; norms' scales stay free (nanoGPT's rule).
    params = [p for p in model.parameters() if p.requires_grad]
    groups = [{"params": [p for p in params if p.dim() >= 2], "weight_decay": weight_decay},
              {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}]
    try:  # one fused kernel per step (CPU and CUDA since torch 2.4): fewer Python-level ops per step
        return torch.optim.AdamW(groups, lr=lr, betas=BETAS, fused=device.type in ("cpu", "cuda"))
    except (RuntimeError, TypeError):  # pragma: no cover - older torch
        return torch.optim.AdamW(groups, lr=lr, betas=BETAS)


def train(cfg: TrainConfig, *, store: CheckpointSink | None = None, progress: ProgressFn | None = None,
          threads: int | None = None, device: str | None = None) -> RunResult:
    """Train the model ``cfg`` describes and return its :class:`RunResult`.

    Parameters
    ----------
    cfg : TrainConfig
        The resolved run: ``cfg.steps`` optimizer steps over ``cfg.n_tokens_trained`` tokens. The result's
        ``n_params`` is the lab's N (:func:`scalinglab.lab.config.scaling_n`) and its ``flops`` equal
        ``cfg.estimate_flops()``.
    store : object with ``log_checkpoint(run_hash, checkpoint)``, optional
        Called at every validation point. Beginning and finishing the run are the caller's business (the
        dense training log travels in the result: ``Store.finish_run`` records it).
    progress : callable ``(step, total_steps, loss, tokens_per_s)``, optional
        Called about every 1% of the steps and at the last step; this function never prints.
    threads : int, optional
        Torch intra-op threads (default ``$SCALINGLAB_THREADS`` or 1); restored on return.
    device : str, optional
        ``"cpu"`` or ``"cuda"``; default CUDA when available (with bf16 autocast), else CPU (float32).
    """
    shape = cfg.shape
    data = load_mixed_token_data(cfg.corpus, cfg.mix) if cfg.mix else load_token_data(cfg.corpus, cfg.tokenizer)
    if shape.vocab_size < data.vocab_size:
        raise ConfigError(f"The 'vocab_size' parameter must be >= {data.vocab_size} for tokenizer "
                          f"{cfg.tokenizer!r}. Got {shape.vocab_size}.")
    dev = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    autocast = (torch.autocast("cuda", dtype=torch.bfloat16) if dev.type == "cuda"
                else contextlib.nullcontext())
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(resolve_threads(threads))
    try:
        return _train(cfg, data, dev, autocast, store, progress)
    finally:
        torch.set_num_threads(previous_threads)


def _train(cfg: TrainConfig, data: TokenData, dev: torch.device, autocast: Any,
           store: CheckpointSink | None, progress: ProgressFn | None) -> RunResult:
    shape, run_hash = cfg.shape, cfg.config_hash()
    start = time.perf_counter()
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    model = GPT(shape).to(dev)
    counts = model.num_scaling_params()  # counts["scaling"] is the lab's N (config.scaling_n)
    opt = _optimizer(model, peak_lr(cfg), cfg.weight_decay, dev)
    schedule = run_schedule(cfg)
    lrs = schedule.lrs()  # one learning rate per step, from the one formula (scalinglab.laws.schedules)

    tokens_per_step = cfg.batch_size * shape.context
    total_steps = cfg.steps
    evals = set(eval_steps(total_steps, cfg.eval_every_frac))
    report_every, every = max(1, total_steps // 100), log_every(total_steps)
    checkpoints: list[Checkpoint] = []
    log: list[TrainPoint] = []
    train_seconds, window_loss, window_steps = 0.0, torch.zeros((), device=dev), 0
    log_loss, log_steps = torch.zeros((), device=dev), 0
    val_loss = train_loss = float("nan")
    task_metrics: dict[str, dict[str, float]] = {}
    tick = time.perf_counter()

    for step in range(total_steps):
        x, y = data.batch("train", cfg.batch_size, shape.context, rng)  # (B, T) int64 each
        xb = torch.from_numpy(x).to(dev, non_blocking=True)
        yb = torch.from_numpy(y).to(dev, non_blocking=True)
        lr = float(lrs[step])
        for group in opt.param_groups:
            group["lr"] = lr
        with autocast:
            _, loss = model(xb, yb)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if cfg.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
        opt.step()
        window_loss += loss.detach()
        log_loss += loss.detach()
        window_steps += 1
        log_steps += 1
        done = step + 1
        if done % every == 0 or done == total_steps:  # synchronises a GPU about LOG_POINTS times a run
            log.append(TrainPoint(step=done, n_steps=log_steps, lr=lr, train_loss=float(log_loss) / log_steps))
            log_loss, log_steps = torch.zeros((), device=dev), 0

        if progress is not None and (done % report_every == 0 or done == total_steps):
            loss_now = loss.item()  # synchronises a GPU; only every ~1% of the steps
            elapsed = train_seconds + time.perf_counter() - tick
            progress(done, total_steps, loss_now, done * tokens_per_step / max(elapsed, 1e-9))
        if done in evals:
            train_loss = float(window_loss) / window_steps  # mean training loss since the last checkpoint
            train_seconds += time.perf_counter() - tick
            scoring = dict(n_tokens=cfg.eval_tokens, batch_size=cfg.batch_size, device=dev, autocast=autocast)
            if done == total_steps:  # the tasks are scored once, on the last evaluation's windows
                val_loss, task_metrics = evaluate(model, data, tasks=True, **scoring)  # type: ignore[misc]
            else:
                val_loss = evaluate(model, data, **scoring)  # type: ignore[assignment]
            tokens = done * tokens_per_step
            ckpt = Checkpoint(step=done, tokens=tokens, flops=shape.estimate_flops(tokens),
                              train_loss=train_loss, val_loss=val_loss, elapsed_s=time.perf_counter() - start,
                              lr=lr)
            checkpoints.append(ckpt)
            if store is not None:
                store.log_checkpoint(run_hash, ckpt)
            window_loss, window_steps = torch.zeros((), device=dev), 0
            tick = time.perf_counter()

    n_tokens = cfg.n_tokens_trained
    flops = cfg.estimate_flops()  # 6·N·n_tokens, what the store records
    return RunResult(
        config_hash=run_hash, n_params=counts["scaling"], n_params_total=counts["total"], n_tokens=n_tokens,
        flops=flops, final_val_loss=val_loss, final_train_loss=train_loss,
        seconds=time.perf_counter() - start, tokens_per_s=n_tokens / train_seconds,
        achieved_flops_per_s=flops / train_seconds, checkpoints=tuple(checkpoints),
        lr_schedule=asdict(schedule), train_log=tuple(log), task_metrics=task_metrics,
    )
