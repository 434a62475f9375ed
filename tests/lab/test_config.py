"""Run configs: validation, hashing, round trips, the lab's N and a run's FLOPs (no torch needed)."""

import pytest

from scalinglab.errors import ConfigError
from scalinglab.lab.config import SCALING_GROUPS, ModelShape, TrainConfig, scaling_n


def _cfg(**kw):
    return TrainConfig(shape=ModelShape(n_layers=2, d_model=32, n_heads=4), n_tokens=100_000, **kw)


def test_config_hash_is_stable_and_sensitive():
    a, b = _cfg(), _cfg()
    assert a.config_hash() == b.config_hash() and len(a.config_hash()) == 16
    assert _cfg(seed=1).config_hash() != a.config_hash()
    assert _cfg(tag="sweep-a").config_hash() != a.config_hash()


def test_config_round_trips_through_dict():
    cfg = _cfg(lr=3e-3, tokenizer="bytes")
    assert TrainConfig.from_dict(cfg.as_dict()) == cfg


def test_config_rejects_bad_values():
    with pytest.raises(ConfigError, match="'d_model' parameter must be divisible"):
        ModelShape(n_layers=2, d_model=30, n_heads=4)
    with pytest.raises(ConfigError, match="'n_layers' parameter must be a positive integer"):
        ModelShape(n_layers=0, d_model=32, n_heads=4)
    with pytest.raises(ConfigError, match="'n_tokens' parameter must be a positive integer"):
        TrainConfig(shape=ModelShape(2, 32, 4), n_tokens=0)
    with pytest.raises(ConfigError, match=r"'n_tokens' parameter must be a positive integer. Got 4096.5"):
        TrainConfig(shape=ModelShape(2, 32, 4), n_tokens=4096.5)  # would fail every run at training time
    with pytest.raises(ConfigError, match="'eval_tokens' parameter must be a positive integer. Got -100"):
        _cfg(eval_tokens=-100)
    with pytest.raises(ConfigError, match="'lr' parameter must be a number. Got '3e-3'"):
        _cfg(lr="3e-3")
    with pytest.raises(ConfigError, match="'warmup_frac' parameter must be in"):
        _cfg(warmup_frac=1.5)
    with pytest.raises(ConfigError, match="unknown field"):
        TrainConfig.from_dict({**_cfg().as_dict(), "bogus": 1})


def test_scaling_n_is_non_embedding_plus_output_projection():
    # (2, 32, 4): attention 2·4·32² = 8,192, MLP 2·8·32² = 16,384, norms 5·32 = 160 (Kaplan's 24,736)
    # + the 256×32 logit matrix 8,192.
    counts = ModelShape(n_layers=2, d_model=32, n_heads=4).param_counts()
    assert (counts["attention"], counts["mlp"], counts["norm"], counts["output"]) == (8192, 16384, 160, 8192)
    assert counts["non_embedding"] == 24_736
    assert counts["scaling"] == scaling_n(counts) == sum(counts[g] for g in SCALING_GROUPS) == 32_928
    assert ModelShape(n_layers=2, d_model=32, n_heads=4).scaling_params() == 32_928


@pytest.mark.parametrize("tied", [True, False])
def test_scaling_n_does_not_depend_on_tying_or_context(tied):
    base = ModelShape(n_layers=3, d_model=48, n_heads=4, vocab_size=300)
    shape = ModelShape(n_layers=3, d_model=48, n_heads=4, vocab_size=300, context=64, tied_embeddings=tied)
    assert shape.scaling_params() == base.scaling_params()
    counts = shape.param_counts()
    assert counts["total"] == counts["embedding"] + counts["scaling"] - (counts["output"] if tied else 0)


def test_train_config_steps_and_tokens_are_whole_steps():
    cfg = _cfg(batch_size=8)  # 100,000 tokens at 8 × 128 per step
    assert cfg.steps == 97 and cfg.n_tokens_trained == 97 * 8 * 128
    assert TrainConfig(shape=ModelShape(2, 32, 4), n_tokens=10, batch_size=8).steps == 1  # at least one step


def test_train_config_estimate_flops_is_6nd_over_the_tokens_trained():
    cfg = _cfg(batch_size=8)
    n = cfg.shape.scaling_params()
    d = cfg.n_tokens_trained
    assert cfg.estimate_flops() == 6.0 * n * d == cfg.shape.estimate_flops(d)
    attn = cfg.shape.estimate_flops(1000, convention="6N+attn")
    assert attn == pytest.approx(6.0 * n * 1000 + 6.0 * 2 * 128 * 32 * 1000)
    with pytest.raises(ConfigError, match="'convention' parameter"):
        cfg.shape.estimate_flops(1000, convention="deepseek")
