"""Training and inference memory: ZeRO byte counts, sharding, Korthikanti activations, KV cache."""

from __future__ import annotations

import pytest

from scalinglab.errors import ConfigError
from scalinglab.flops import Architecture
from scalinglab.memory import (
    PRECISIONS,
    activation_bytes_per_layer,
    inference_memory,
    training_memory,
)

LLAMA2_7B = Architecture(n_layers=32, d_model=4096, n_heads=32, d_ff=11008, vocab_size=32000, context=4096,
                         tied_embeddings=False, gated_mlp=True)
SMALL = Architecture(n_layers=12, d_model=768, n_heads=12, context=1024)


def _states(m):
    return m.weights + m.gradients + m.optimizer


def test_precisions_byte_sizes():
    assert PRECISIONS == {"fp32": 4.0, "bf16": 2.0, "fp16": 2.0, "fp8": 1.0, "int8": 1.0, "int4": 0.5}


def test_training_memory_mixed_precision_adamw_is_16_bytes_per_param():
    m = training_memory(LLAMA2_7B, n_gpus=1, sharding="zero3")
    n = LLAMA2_7B.param_counts().total
    assert m.n_params == n
    assert (m.weights, m.gradients, m.optimizer) == (2 * n, 2 * n, 12 * n)
    assert _states(m) == m.states_per_gpu == 16 * n
    assert m.total == m.per_gpu == m.states_per_gpu + m.activations_per_gpu
    assert m.fits is None and m.gpu_memory is None


def test_training_memory_fp32_adam_has_no_master_copy():
    m = training_memory(SMALL, precision="fp32")
    assert m.states_per_gpu == 16 * SMALL.param_counts().total


def test_training_memory_zero3_over_8_gpus_divides_states_by_8():
    one = training_memory(LLAMA2_7B, n_gpus=1, sharding="zero3")
    eight = training_memory(LLAMA2_7B, n_gpus=8, sharding="fsdp")
    assert eight.states_per_gpu == pytest.approx(one.states_per_gpu / 8)
    assert eight.activations_per_gpu == one.activations_per_gpu  # data parallel: same micro-batch
    assert _states(eight) == pytest.approx(_states(one))  # sharded, not replicated
    assert eight.per_gpu * 8 == pytest.approx(eight.total)


def test_training_memory_zero_stages_shard_progressively():
    n = LLAMA2_7B.param_counts().total
    per_gpu = {s: training_memory(LLAMA2_7B, n_gpus=4, sharding=s).states_per_gpu
               for s in ("none", "zero1", "zero2", "zero3")}
    assert per_gpu["none"] == 16 * n
    assert per_gpu["zero1"] == pytest.approx((2 + 2 + 12 / 4) * n)
    assert per_gpu["zero2"] == pytest.approx((2 + (2 + 12) / 4) * n)
    assert per_gpu["zero3"] == pytest.approx(4 * n)
    replicated = training_memory(LLAMA2_7B, n_gpus=4, sharding="none")
    assert _states(replicated) == pytest.approx(4 * 16 * n)  # whole job counts each replica


def test_training_memory_7b_does_not_fit_one_80gb_gpu_unsharded():
    m = training_memory(LLAMA2_7B, n_gpus=1, gpu="H100-SXM", sharding="none")
    assert m.gpu_memory == 80e9 and m.per_gpu > 100e9 and m.fits is False
    assert training_memory(LLAMA2_7B, n_gpus=8, gpu="H100-SXM").fits is True


def test_training_memory_activations_follow_korthikanti():
    s, b, h, a, layers, v = 1024, 2, 768, 12, 12, 50304
    full_layer = s * b * h * (34 + 5 * a * s / h)
    assert activation_bytes_per_layer(SMALL, b) == full_layer
    assert activation_bytes_per_layer(SMALL, b, flash_attention=True) == s * b * h * 34
    head = 4 * s * b * h + 4 * s * b * v
    none = training_memory(SMALL, micro_batch_size=b, activation_checkpointing=False)
    ckpt = training_memory(SMALL, micro_batch_size=b, activation_checkpointing=True)
    assert none.activations_per_gpu == pytest.approx(layers * full_layer + head)
    assert ckpt.activations_per_gpu == pytest.approx(2 * s * b * h * layers + full_layer + head)
    assert ckpt.activations_per_gpu < none.activations_per_gpu
    double = training_memory(SMALL, micro_batch_size=2 * b, activation_checkpointing=False)
    assert double.activations_per_gpu == pytest.approx(2 * none.activations_per_gpu)


def test_inference_memory_7b_fits_one_80gb_gpu_in_bf16():
    m = inference_memory(LLAMA2_7B, gpu="h100")
    assert m.weights == 2 * LLAMA2_7B.param_counts().total
    assert m.total == m.weights + m.kv_cache and m.fits is True


def test_inference_memory_kv_cache_llama2_7b_at_4096_is_2_gib():
    m = inference_memory(LLAMA2_7B, batch_size=1, context=4096)
    assert m.kv_cache == 2 * 32 * 32 * 128 * 4096 * 2 == 2_147_483_648
    assert inference_memory(LLAMA2_7B, batch_size=8).kv_cache == 8 * m.kv_cache
    assert inference_memory(LLAMA2_7B, kv_precision="fp8").kv_cache == m.kv_cache / 2


def test_inference_memory_gqa_shrinks_kv_cache_by_group_size():
    mha = Architecture(n_layers=80, d_model=8192, n_heads=64, context=4096)
    gqa = Architecture(n_layers=80, d_model=8192, n_heads=64, n_kv_heads=8, context=4096)
    assert inference_memory(mha).kv_cache / inference_memory(gqa).kv_cache == 64 / 8


def test_inference_memory_splits_over_gpus_and_int4_quarters_weights():
    m = inference_memory(LLAMA2_7B, n_gpus=4, gpu="a100-40gb")
    assert m.per_gpu == pytest.approx(m.total / 4) and m.fits is True
    assert inference_memory(LLAMA2_7B, precision="int4").weights == pytest.approx(m.weights / 4)
    assert m.as_dict()["per_gpu_gb"] == pytest.approx(m.per_gpu / 1e9)


@pytest.mark.parametrize(
    "kwargs, field",
    [
        (dict(sharding="zero4"), "sharding"),
        (dict(precision="int4"), "precision"),
        (dict(optimizer="adagrad"), "optimizer"),
        (dict(n_gpus=0), "n_gpus"),
        (dict(micro_batch_size=0), "micro_batch_size"),
        (dict(gpu="X100"), "gpu"),
    ],
)
def test_training_memory_invalid_arguments_raise_config_error(kwargs, field):
    with pytest.raises(ConfigError, match=f"'{field}'"):
        training_memory(SMALL, **kwargs)


def test_inference_memory_invalid_arguments_raise_config_error():
    with pytest.raises(ConfigError, match="'kv_precision'"):
        inference_memory(SMALL, kv_precision="fp64")
    with pytest.raises(ConfigError, match="'batch_size'"):
        inference_memory(SMALL, batch_size=0)
    with pytest.raises(ConfigError, match="'arch'"):
        inference_memory(7e9)  # type: ignore[arg-type]
