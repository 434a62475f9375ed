"""Run configs: validation, hashing, round trips (no torch needed)."""

import pytest

from scalinglab.errors import ConfigError
from scalinglab.lab.config import ModelShape, TrainConfig


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
    with pytest.raises(ConfigError, match="'n_tokens' parameter must be > 0"):
        TrainConfig(shape=ModelShape(2, 32, 4), n_tokens=0)
    with pytest.raises(ConfigError, match="'warmup_frac' parameter must be in"):
        _cfg(warmup_frac=1.5)
    with pytest.raises(ConfigError, match="unknown field"):
        TrainConfig.from_dict({**_cfg().as_dict(), "bogus": 1})
