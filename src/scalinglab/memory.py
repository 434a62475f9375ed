"""Accelerator memory needed to train or serve a transformer: model states, activations, KV cache.

Training, mixed precision with AdamW (Rajbhandari et al. 2020, "ZeRO", §3.1): per parameter 2 bytes of
16-bit weights + 2 of gradients + 12 of optimizer states (4 fp32 master weights, 4 Adam m, 4 Adam v)
= 16 bytes. ZeRO stage 1 shards the optimizer states over the data-parallel GPUs, stage 2 also the gradients,
stage 3 (= PyTorch FSDP full sharding) also the weights.

Activations follow Korthikanti et al. 2022, "Reducing Activation Recomputation in Large Transformer
Models" (arXiv:2205.05198), Eq. 1, for 16-bit activations with no tensor or sequence parallelism::

    per layer: s·b·h·(34 + 5·a·s/h) bytes

with s the sequence length, b the micro-batch, h = d_model, a the number of heads. The 5·a·s/h term is the
attention score/softmax/dropout storage that FlashAttention (Dao et al. 2022) never materialises.

Not counted: CUDA context and allocator fragmentation (often 1–3 GB per GPU), communication buffers and
temporary all-gather buffers of ZeRO-3; plan for ~10% headroom.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from ._validate import check_choice
from .errors import ConfigError
from .flops import Architecture, _check_int
from .hardware import GPU, get_gpu

__all__ = [
    "PRECISIONS",
    "OPTIMIZERS",
    "SHARDINGS",
    "TrainingMemory",
    "InferenceMemory",
    "training_memory",
    "inference_memory",
    "activation_bytes_per_layer",
    "kv_cache_bytes",
]

PRECISIONS: dict[str, float] = {
    "fp32": 4.0, "bf16": 2.0, "fp16": 2.0, "fp8": 1.0, "int8": 1.0, "int4": 0.5,
}
TRAINING_PRECISIONS: tuple[str, ...] = ("fp32", "bf16", "fp16", "fp8")
# fp32 optimizer-state bytes per parameter (the fp32 master copy is counted separately).
OPTIMIZERS: dict[str, float] = {"adamw": 8.0, "adam": 8.0, "lion": 4.0, "sgd_momentum": 4.0, "sgd": 0.0}
SHARDINGS: tuple[str, ...] = ("none", "zero1", "zero2", "zero3", "fsdp")
_GB = 1e9


def _gpu_memory(gpu: GPU | str | None) -> float | None:
    return None if gpu is None else get_gpu(gpu).memory_bytes


@dataclass(frozen=True)
class TrainingMemory:
    """Training memory in bytes.

    ``weights``, ``gradients``, ``optimizer`` and ``activations`` are summed over all ``n_gpus`` GPUs of the
    job (replicas counted as many times as they are stored); ``total`` is their sum and ``per_gpu`` what one
    GPU holds (= total / n_gpus, the GPUs being symmetric). ``fits`` is None when no GPU was given.
    """

    weights: float
    gradients: float
    optimizer: float
    activations: float
    total: float
    per_gpu: float
    states_per_gpu: float
    activations_per_gpu: float
    gpu_memory: float | None
    fits: bool | None
    n_gpus: int
    n_params: int
    assumptions: str

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.update(total_gb=self.total / _GB, per_gpu_gb=self.per_gpu / _GB)
        return out


@dataclass(frozen=True)
class InferenceMemory:
    """Serving memory in bytes: one copy of the weights and the KV cache, split evenly over ``n_gpus``
    (tensor parallelism). ``fits`` is None when no GPU was given."""

    weights: float
    kv_cache: float
    total: float
    per_gpu: float
    gpu_memory: float | None
    fits: bool | None
    n_gpus: int
    assumptions: str

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.update(total_gb=self.total / _GB, per_gpu_gb=self.per_gpu / _GB)
        return out


def activation_bytes_per_layer(arch: Architecture, micro_batch_size: int, *,
                               flash_attention: bool = False) -> float:
    """Korthikanti et al. (2022) Eq. 1: ``s·b·h·(34 + 5·a·s/h)`` bytes for one layer, 16-bit.

    The 34·s·b·h part assumes the 4h MLP of GPT; with FlashAttention the 5·a·s/h term is dropped.
    """
    s, b, h, a = arch.context, micro_batch_size, arch.d_model, arch.n_heads
    return s * b * h * (34.0 + (0.0 if flash_attention else 5.0 * a * s / h))


def training_memory(
    arch: Architecture,
    *,
    n_gpus: int = 1,
    gpu: GPU | str | None = None,
    micro_batch_size: int = 1,
    precision: str = "bf16",
    optimizer: str = "adamw",
    sharding: str = "zero3",
    activation_checkpointing: bool = True,
    flash_attention: bool = False,
) -> TrainingMemory:
    """Memory to train ``arch`` with data parallelism over ``n_gpus`` GPUs.

    Parameters
    ----------
    arch : Architecture
        Model shape; its ``context`` is the training sequence length.
    n_gpus : int
        Data-parallel GPUs sharing the states under ZeRO / FSDP.
    gpu : GPU, str or None
        When given, ``fits`` tells whether ``per_gpu`` <= its memory; otherwise ``fits`` is None.
    micro_batch_size : int
        Sequences per GPU per forward pass.
    precision : {"fp32", "bf16", "fp16", "fp8"}
        Weight and gradient precision. Below fp32 an fp32 master copy (4 B/param) joins the optimizer
        states, as in mixed-precision training (Micikevicius et al. 2018).
    optimizer : {"adamw", "adam", "lion", "sgd_momentum", "sgd"}
        fp32 states per parameter: 8, 8, 4, 4, 0 bytes.
    sharding : {"none", "zero1", "zero2", "zero3", "fsdp"}
        "none" keeps full copies on every GPU (DDP); "zero1" shards optimizer states; "zero2" also
        gradients; "zero3"/"fsdp" also weights (Rajbhandari et al. 2020).
    activation_checkpointing : bool
        With full per-layer checkpointing, each layer keeps only its 16-bit input, 2·s·b·h bytes, and one
        layer's activations are rebuilt at a time during the backward pass (Korthikanti et al. 2022, §4):
        ``2·s·b·h·L + s·b·h·(34 + 5·a·s/h)``. Without it: ``L·s·b·h·(34 + 5·a·s/h)``.
    flash_attention : bool
        Drop the 5·a·s/h attention-matrix term (FlashAttention keeps no s×s matrix).

    Notes
    -----
    Every GPU also holds the output logits for its micro-batch, 4·s·b·V bytes in fp32 for the
    cross-entropy, plus 4·s·b·h for the embedding output and final norm (our reading of Korthikanti et
    al.'s input/output-layer term 4·s·b·h·(1 + V/h); not checked against the paper). fp32 training
    doubles the activation bytes. The sum for the 16-byte AdamW case matches the ZeRO paper's 16·Ψ.
    """
    if not isinstance(arch, Architecture):
        raise ConfigError(f"The 'arch' parameter must be an Architecture. Got {arch!r}.")
    n = _check_int("n_gpus", n_gpus)
    mbs = _check_int("micro_batch_size", micro_batch_size)
    check_choice("precision", precision, TRAINING_PRECISIONS)
    check_choice("optimizer", optimizer, OPTIMIZERS)
    check_choice("sharding", sharding, SHARDINGS)

    n_params = arch.param_counts().total
    wb = PRECISIONS[precision]
    master = 4.0 if wb < 4.0 else 0.0
    weights, grads, opt = n_params * wb, n_params * wb, n_params * (master + OPTIMIZERS[optimizer])
    shard_w, shard_g, shard_o = {
        "none": (1, 1, 1), "zero1": (1, 1, n), "zero2": (1, n, n), "zero3": (n, n, n), "fsdp": (n, n, n),
    }[sharding]
    w_gpu, g_gpu, o_gpu = weights / shard_w, grads / shard_g, opt / shard_o

    s, h, layers = arch.context, arch.d_model, arch.n_layers
    full_layer = activation_bytes_per_layer(arch, mbs, flash_attention=flash_attention)
    if activation_checkpointing:
        act = 2.0 * s * mbs * h * layers + full_layer
    else:
        act = layers * full_layer
    act += 4.0 * s * mbs * h + 4.0 * s * mbs * arch.vocab_size
    if precision == "fp32":
        act *= 2.0

    states_gpu = w_gpu + g_gpu + o_gpu
    per_gpu = states_gpu + act
    gpu_memory = _gpu_memory(gpu)
    assumptions = (
        f"{precision} weights+grads ({wb:g}+{wb:g} B/param), {optimizer} states {OPTIMIZERS[optimizer]:g} "
        f"B/param + fp32 master {master:g} B/param; sharding={sharding} over {n} GPU(s); activations per "
        f"Korthikanti et al. 2022 (micro-batch {mbs}, seq {s}, "
        f"{'full checkpointing' if activation_checkpointing else 'no recomputation'}"
        f"{', FlashAttention' if flash_attention else ''}) + fp32 logits; no framework overhead"
    )
    return TrainingMemory(
        weights=w_gpu * n,
        gradients=g_gpu * n,
        optimizer=o_gpu * n,
        activations=act * n,
        total=per_gpu * n,
        per_gpu=per_gpu,
        states_per_gpu=states_gpu,
        activations_per_gpu=act,
        gpu_memory=gpu_memory,
        fits=None if gpu_memory is None else bool(per_gpu <= gpu_memory),
        n_gpus=n,
        n_params=n_params,
        assumptions=assumptions,
    )


def kv_cache_bytes(arch: Architecture, *, batch_size: int = 1, context: int | None = None,
                   kv_precision: str = "bf16") -> float:
    """KV cache: ``2 · n_layers · n_kv_heads · head_dim · context · batch · bytes`` (keys and values)."""
    ctx = arch.context if context is None else _check_int("context", context)
    check_choice("kv_precision", kv_precision, PRECISIONS)
    return (2.0 * arch.n_layers * arch.n_kv_heads * arch.head_dim  # type: ignore[operator]
            * ctx * _check_int("batch_size", batch_size) * PRECISIONS[kv_precision])


def inference_memory(
    arch: Architecture,
    *,
    batch_size: int = 1,
    context: int | None = None,
    precision: str = "bf16",
    kv_precision: str | None = None,
    n_gpus: int = 1,
    gpu: GPU | str | None = None,
) -> InferenceMemory:
    """Memory to serve ``arch``: weights plus KV cache, split over ``n_gpus`` (tensor parallel).

    ``weights = N · bytes(precision)``; ``kv_cache = 2·n_layers·n_kv_heads·head_dim·context·batch·
    bytes(kv_precision)``. Grouped-query attention shrinks the cache by ``n_heads / n_kv_heads``
    (Ainslie et al. 2023). Activations of a forward pass are small next to these and not counted.

    Parameters
    ----------
    context : int, optional
        Tokens held per sequence (prompt + generated); default ``arch.context``.
    precision, kv_precision : str
        One of ``PRECISIONS``; ``kv_precision`` defaults to ``precision``.
    """
    if not isinstance(arch, Architecture):
        raise ConfigError(f"The 'arch' parameter must be an Architecture. Got {arch!r}.")
    check_choice("precision", precision, PRECISIONS)
    kv_prec = precision if kv_precision is None else kv_precision
    n = _check_int("n_gpus", n_gpus)
    weights = arch.param_counts().total * PRECISIONS[precision]
    kv = kv_cache_bytes(arch, batch_size=batch_size, context=context, kv_precision=kv_prec)
    total = weights + kv
    gpu_memory = _gpu_memory(gpu)
    per_gpu = total / n
    ctx = arch.context if context is None else context
    return InferenceMemory(
        weights=weights,
        kv_cache=kv,
        total=total,
        per_gpu=per_gpu,
        gpu_memory=gpu_memory,
        fits=None if gpu_memory is None else bool(per_gpu <= gpu_memory),
        n_gpus=n,
        assumptions=(f"{precision} weights, {kv_prec} KV cache, batch {batch_size}, context {ctx}, "
                     f"split evenly over {n} GPU(s); activations and framework overhead not counted"),
    )
