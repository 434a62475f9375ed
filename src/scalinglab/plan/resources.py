"""Attach hardware to a plan: GPU-hours, wall time, dollars, energy, and memory fit."""

from __future__ import annotations

from dataclasses import replace

from ..errors import ConfigError
from ..cost import MAX_GPUS, training_cost
from ..flops import Architecture
from ..hardware import GPU, get_gpu
from ..memory import inference_memory, training_memory
from ._types import Plan

__all__ = ["with_hardware", "min_gpus_to_fit", "MAX_GPUS", "MAX_GPUS_SEARCHED"]

#: largest GPU count :func:`min_gpus_to_fit` tries (2^20); None beyond it
MAX_GPUS_SEARCHED = 1 << 20


def _check_count(name: str, value: object, maximum: int) -> int:
    """``value`` as an int when it is a whole number in [1, maximum] (2.0 passes, 1.5 and True do not)."""
    try:
        ok = not isinstance(value, bool) and float(value) == int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        ok = False
    if not ok or not 1 <= int(value) <= maximum:  # type: ignore[call-overload]
        raise ConfigError(f"The {name!r} parameter must be a whole number from 1 to {maximum:,}. Got {value!r:.80}.")
    return int(value)  # type: ignore[call-overload]


def min_gpus_to_fit(arch: Architecture, gpu: GPU, *, max_gpus: int = MAX_GPUS_SEARCHED, **kw) -> int | None:
    """Smallest power-of-two GPU count whose per-GPU training memory fits (ZeRO-3 sharding); None when even
    ``max_gpus`` GPUs do not hold it."""
    n = 1
    while n <= max_gpus:
        if training_memory(arch, n_gpus=n, gpu=gpu, **kw).fits:
            return n
        n *= 2
    return None


def with_hardware(
    plan: Plan,
    gpu: GPU | str = "H100-SXM",
    *,
    n_gpus: int = 1,
    mfu: float = 0.4,
    usd_per_hour: float | None = None,
    pue: float = 1.0,
    inference_batch: int = 1,
    inference_context: int | None = None,
) -> Plan:
    """The plan with cost and memory on ``n_gpus`` of ``gpu`` at model FLOPs utilisation ``mfu``.

    Memory uses a plausible architecture for ``plan.n_params`` (:meth:`Architecture.from_n_params`):
    training with mixed-precision AdamW sharded ZeRO-3 over ``n_gpus``, activation checkpointing, micro
    batch 1; inference in bf16 with the KV cache of ``inference_batch`` sequences of full context.
    """
    n_gpus = _check_count("n_gpus", n_gpus, MAX_GPUS)
    inference_batch = _check_count("inference_batch", inference_batch, MAX_GPUS)
    g = get_gpu(gpu) if isinstance(gpu, str) else gpu
    if usd_per_hour is not None:
        g = g.with_overrides(usd_per_hour=usd_per_hour)
    cost = training_cost(plan.flops, g, n_gpus=n_gpus, mfu=mfu, pue=pue)
    arch = Architecture.from_n_params(plan.n_params)
    train = training_memory(arch, n_gpus=n_gpus, gpu=g)
    infer = inference_memory(arch, batch_size=inference_batch, context=inference_context, gpu=g)
    memory = {
        "architecture": {"n_layers": arch.n_layers, "d_model": arch.d_model, "n_heads": arch.n_heads,
                         "d_ff": arch.d_ff, "vocab_size": arch.vocab_size, "context": arch.context,
                         "n_params": arch.param_counts().total},
        "training": train.as_dict(),
        "inference": infer.as_dict(),
        "min_gpus_to_train": min_gpus_to_fit(arch, g),
    }
    cost_d = cost.as_dict()
    if plan.inference_flops is not None:
        # serving cost at the same MFU and price, for the planned lifetime demand
        serve = training_cost(plan.inference_flops, g, n_gpus=n_gpus, mfu=mfu, pue=pue) \
            if plan.inference_flops > 0 else None
        cost_d["inference_gpu_hours"] = serve.gpu_hours if serve else 0.0
        cost_d["inference_usd"] = serve.usd if serve else 0.0
    return replace(plan, cost=cost_d, memory=memory)
