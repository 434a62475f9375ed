"""Parameter and FLOP counting: published shapes, Kaplan/DeepSeek identities, from_n_params round trips."""

from __future__ import annotations

import numpy as np
import pytest

from scalinglab.errors import ConfigError
from scalinglab.flops import (
    CONVENTIONS,
    Architecture,
    attention_flops_per_token,
    aspect_ratio_rule,
    flops_per_token,
    inference_flops,
    log_tokens_for_flops,
    params_at_ratio,
    params_for_flops,
    tokens_for_flops,
    training_flops,
)

CHINCHILLA_70B = dict(n_layers=80, d_model=8192, n_heads=64, vocab_size=32000)
LLAMA2_7B = dict(n_layers=32, d_model=4096, n_heads=32, d_ff=11008, vocab_size=32000, context=4096,
                 tied_embeddings=False, gated_mlp=True)


def test_param_counts_chinchilla_groups_add_up_and_match_kaplan_identity():
    arch = Architecture(**CHINCHILLA_70B)
    pc = arch.param_counts()
    assert pc.total == pc.embedding + pc.attention + pc.mlp + pc.norm + pc.head
    # Kaplan §2.1: N = 2·d_model·n_layer·(2·d_attn + d_ff) = 12·n_layer·d_model² (biases, norms aside)
    assert pc.attention + pc.mlp == 12 * 80 * 8192**2
    assert pc.non_embedding == 12 * 80 * 8192**2 + (2 * 80 + 1) * 8192
    assert pc.embedding == 32000 * 8192 and pc.head == 0
    assert abs(pc.total / 70e9 - 1) < 0.1


def test_param_counts_llama2_7b_matches_published_count():
    arch = Architecture(**LLAMA2_7B)
    pc = arch.param_counts()
    assert pc.total == 6_738_415_616  # the count Meta's checkpoint reports ("6.74B")
    assert pc.head == pc.embedding == 32000 * 4096
    assert pc.non_embedding == pc.total - 2 * 32000 * 4096
    assert pc.as_dict()["total"] == pc.total


def test_architecture_gated_default_d_ff_follows_llama_rule():
    assert Architecture(n_layers=32, d_model=4096, n_heads=32, gated_mlp=True).d_ff == 11008
    assert Architecture(n_layers=2, d_model=64, n_heads=4).d_ff == 256
    assert Architecture(n_layers=2, d_model=64, n_heads=4).n_kv_heads == 4


def test_param_counts_gqa_shrinks_only_kv_projections():
    mha = Architecture(n_layers=4, d_model=512, n_heads=8)
    gqa = Architecture(n_layers=4, d_model=512, n_heads=8, n_kv_heads=2)
    saved = mha.param_counts().attention - gqa.param_counts().attention
    assert saved == 4 * 2 * 512 * (8 - 2) * 64
    assert mha.param_counts().mlp == gqa.param_counts().mlp


def test_param_counts_learned_positions_add_context_by_d_model():
    base = Architecture(n_layers=2, d_model=64, n_heads=4, context=128)
    gpt2 = Architecture(n_layers=2, d_model=64, n_heads=4, context=128, learned_positions=True)
    assert gpt2.param_counts().embedding - base.param_counts().embedding == 128 * 64
    assert gpt2.param_counts().non_embedding == base.param_counts().non_embedding


@pytest.mark.parametrize(
    "kwargs, field",
    [
        (dict(n_layers=2, d_model=100, n_heads=3), "d_model"),
        (dict(n_layers=2, d_model=64, n_heads=4, n_kv_heads=3), "n_kv_heads"),
        (dict(n_layers=0, d_model=64, n_heads=4), "n_layers"),
        (dict(n_layers=2.5, d_model=64, n_heads=4), "n_layers"),
        (dict(n_layers=2, d_model=64, n_heads=4, vocab_size=-1), "vocab_size"),
    ],
)
def test_architecture_invalid_shape_raises_config_error_naming_field(kwargs, field):
    with pytest.raises(ConfigError, match=f"'{field}'"):
        Architecture(**kwargs)


@pytest.mark.parametrize("n_params", np.logspace(8, 13, 21))
@pytest.mark.parametrize("gated, tied", [(False, True), (True, False)])
def test_from_n_params_total_within_ten_percent_above_1e8(n_params, gated, tied):
    arch = Architecture.from_n_params(n_params, gated_mlp=gated, tied_embeddings=tied)
    assert abs(arch.param_counts().total / n_params - 1) < 0.10
    assert arch.d_model % 64 == 0
    assert 0.5 < arch.aspect_ratio / aspect_ratio_rule(n_params) < 2.0


@pytest.mark.parametrize("n_params", np.logspace(4, 13, 37))
def test_from_n_params_non_embedding_within_ten_percent_down_to_1e4(n_params):
    arch = Architecture.from_n_params(n_params, count="non_embedding")
    assert abs(arch.param_counts().non_embedding / n_params - 1) < 0.10


@pytest.mark.parametrize("count", ["total", "non_embedding"])
def test_from_n_params_monotone_in_n_params(count):
    grid = np.logspace(4, 13, 46)
    counts = []
    for n in grid:
        pc = Architecture.from_n_params(n, count=count).param_counts()
        counts.append(pc.total if count == "total" else pc.non_embedding)
    assert np.all(np.diff(counts) >= 0)


def test_from_n_params_recovers_published_shapes():
    gpt3_small = Architecture.from_n_params(125e6)
    assert (gpt3_small.n_layers, gpt3_small.d_model) == (12, 768)
    llama_like = Architecture.from_n_params(7e9)
    assert llama_like.d_model == 4096 and 30 <= llama_like.n_layers <= 34


def test_from_n_params_tiny_total_is_embedding_bound():
    # Documented: a 1e4 target cannot hold a 50304-token embedding; the narrowest shape comes back.
    arch = Architecture.from_n_params(1e4)
    assert arch.d_model == 4 and arch.n_layers == 1
    assert arch.param_counts().total > 1e4


def test_flops_per_token_attention_term_is_kaplan_context_term():
    arch = Architecture(n_layers=24, d_model=2048, n_heads=16, context=2048)
    with_attn = flops_per_token(arch, convention="6N+attn")
    plain = flops_per_token(arch.param_counts().non_embedding, convention="6N")
    assert with_attn - plain == 6 * 24 * 2048 * 2048


def test_flops_per_token_deepseek_m_for_7b_shape():
    arch = Architecture(n_layers=30, d_model=4096, n_heads=32, context=4096, vocab_size=102400)
    m = flops_per_token(arch, convention="deepseek")
    assert m == 72 * 30 * 4096**2 + 12 * 30 * 4096 * 4096 == 42_278_584_320
    # 72·L·d² is DeepSeek's 6N1 = 6 × Kaplan's 12·L·d²
    assert m - 12 * 30 * 4096 * 4096 == 6 * 12 * 30 * 4096**2


def test_flops_per_token_6n_uses_total_for_architecture_and_broadcasts():
    arch = Architecture(**LLAMA2_7B)
    assert flops_per_token(arch) == 6 * 6_738_415_616
    np.testing.assert_allclose(flops_per_token(np.array([1e9, 2e9])), [6e9, 12e9])
    assert set(CONVENTIONS) == {"6N", "6N+attn", "deepseek"}


def test_flops_per_token_attention_convention_needs_architecture():
    with pytest.raises(ConfigError, match="'n_params_or_arch'.*Architecture"):
        flops_per_token(7e9, convention="6N+attn")
    with pytest.raises(ConfigError, match="'convention'"):
        flops_per_token(7e9, convention="8N")


def test_training_flops_is_6nd_and_inverts():
    c = training_flops(70e9, 1.4e12)
    assert c == pytest.approx(5.88e23)
    assert tokens_for_flops(70e9, c) == pytest.approx(1.4e12)
    assert params_for_flops(1.4e12, c) == pytest.approx(70e9)
    grid = training_flops(np.array([1e9, 1e10]), np.array([[1e10], [1e11]]))
    assert grid.shape == (2, 2) and grid[1, 1] == pytest.approx(6e21)


@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan")])
def test_training_flops_rejects_non_positive(bad):
    with pytest.raises(ConfigError, match="'n_tokens'"):
        training_flops(1e9, bad)


def test_budget_helpers_agree_with_training_flops():
    c = 5.76e23
    n = params_at_ratio(20.0, c)
    assert tokens_for_flops(n, c) == pytest.approx(20.0 * n, rel=1e-12)  # D = 20 N at that size
    assert training_flops(n, 20.0 * n) == pytest.approx(c, rel=1e-12)
    log_n = np.log([1e9, 7e10])
    assert np.exp(log_tokens_for_flops(log_n, c)) == pytest.approx(tokens_for_flops(np.exp(log_n), c), rel=1e-12)


def test_check_input_false_lets_nan_through():
    assert np.isnan(training_flops(1e9, float("nan"), check_input=False))
    assert np.isnan(tokens_for_flops(float("nan"), 1e21, check_input=False))
    with pytest.raises(ConfigError, match="'n_params'"):
        tokens_for_flops(float("nan"), 1e21)


def test_inference_flops_is_2nt_and_allows_no_tokens():
    assert inference_flops(7e9, 1e12) == pytest.approx(1.4e22)
    assert inference_flops(7e9, 0.0) == 0.0
    with pytest.raises(ConfigError, match="'n_tokens' parameter must be finite and >= 0"):
        inference_flops(7e9, -1.0)


def test_attention_term_is_the_6n_attn_difference():
    arch = Architecture(**LLAMA2_7B)
    extra = flops_per_token(arch, convention="6N+attn") - 6.0 * arch.param_counts().non_embedding
    assert attention_flops_per_token(arch.n_layers, arch.context, arch.d_model) == pytest.approx(extra)
    with pytest.raises(ConfigError, match="'context'"):
        attention_flops_per_token(32, 0, 4096)
