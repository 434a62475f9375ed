"""The lab's learning-rate schedules (scalinglab.lab.schedule): built by scalinglab.laws.schedules, the
default cosine unchanged, old run hashes unchanged, bad choices refused in one line. No torch needed."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scalinglab.errors import ConfigError
from scalinglab.lab.config import ModelShape, TrainConfig
from scalinglab.lab.schedule import default_lr, peak_lr, run_schedule
from scalinglab.laws.schedules import Schedule, parse_schedule

SHAPE = ModelShape(n_layers=1, d_model=32, n_heads=2, context=64)


def _old_lr_at(step: int, total_steps: int, lr: float, *, warmup_frac: float, min_lr_ratio: float) -> float:
    """The trainer's own formula before schedules moved to scalinglab.laws.schedules (the reference)."""
    warmup = round(warmup_frac * total_steps)
    if step < warmup:
        return lr * (step + 1) / warmup
    span = max(1, total_steps - 1 - warmup)
    progress = min(1.0, (step - warmup) / span)
    return lr * (min_lr_ratio + (1.0 - min_lr_ratio) * 0.5 * (1.0 + math.cos(math.pi * progress)))


def _cfg(steps: int, **kw) -> TrainConfig:
    return TrainConfig(shape=SHAPE, n_tokens=steps * 16 * SHAPE.context, batch_size=16, **kw)


@pytest.mark.parametrize("steps", [1, 2, 7, 20, 100, 1234])
@pytest.mark.parametrize("warmup_frac", [0.0, 0.05, 0.3, 1.0])
@pytest.mark.parametrize("min_lr_ratio", [0.0, 0.1])
def test_run_schedule_default_cosine_gives_the_learning_rates_of_before(steps, warmup_frac, min_lr_ratio):
    cfg = _cfg(steps, lr=1.3e-3, warmup_frac=warmup_frac, min_lr_ratio=min_lr_ratio)
    old = [_old_lr_at(s, steps, 1.3e-3, warmup_frac=warmup_frac, min_lr_ratio=min_lr_ratio) for s in range(steps)]
    # the same formula evaluated in another order: equal to the last bit or one rounding apart
    np.testing.assert_allclose(run_schedule(cfg).lrs(), old, rtol=1e-15, atol=0)


def test_run_schedule_default_is_the_lab_cosine_from_the_width_rule():
    cfg = _cfg(100)
    assert run_schedule(cfg) == Schedule("cosine", 100, default_lr(SHAPE), 5, 0.1 * default_lr(SHAPE),
                                         convention="lab")
    assert peak_lr(cfg) == default_lr(SHAPE) and peak_lr(_cfg(100, lr=3e-3)) == 3e-3


def test_default_schedule_keeps_the_run_hash_of_before():
    # hashes computed before TrainConfig had a schedule: stored runs and sweeps must still find them
    before = TrainConfig(shape=SHAPE, n_tokens=60 * 8 * 64, batch_size=8, eval_tokens=2048, eval_every_frac=0.25)
    assert before.config_hash() == "99357c7bd22ab27d"
    assert _cfg(60).config_hash() == _cfg(60, schedule="cosine").config_hash()
    hashes = {_cfg(60, **kw).config_hash() for kw in ({}, {"schedule": "wsd"}, {"schedule": "wsd", "decay_frac": 0.1},
                                                      {"schedule": "step"}, {"schedule": "constant"})}
    assert len(hashes) == 5
    old = {k: v for k, v in _cfg(60).as_dict().items() if k not in ("schedule", "decay_frac")}
    assert TrainConfig.from_dict(old) == _cfg(60)  # a config stored before schedules reads back as cosine


def test_run_schedule_wsd_holds_the_peak_then_decays_linearly_to_the_floor():
    lrs = run_schedule(_cfg(100, lr=1e-3, schedule="wsd", decay_frac=0.2, warmup_frac=0.1)).lrs()
    assert lrs[0] == pytest.approx(1e-4) and np.all(lrs[9:81] == 1e-3)
    assert np.allclose(np.diff(lrs[80:]), -0.9e-3 / 19) and lrs[-1] == pytest.approx(1e-4)


def test_run_schedule_step_and_constant():
    step = run_schedule(_cfg(100, lr=1e-3, schedule="step", decay_frac=0.25, min_lr_ratio=0.3)).lrs()
    assert np.all(step[5:75] == 1e-3) and np.all(step[75:] == pytest.approx(3e-4))
    const = run_schedule(_cfg(100, lr=1e-3, schedule="constant")).lrs()
    assert np.all(const[5:] == 1e-3) and const[0] == pytest.approx(2e-4)
    # a decay too short to hold a step: the run stays at its peak
    assert run_schedule(_cfg(4, lr=1e-3, schedule="wsd", decay_frac=0.1)).kind == "constant"


@pytest.mark.parametrize(("kw", "message"), [
    ({"schedule": "linear"}, "The 'schedule' parameter must be one of cosine, wsd, constant, step. Got 'linear'."),
    ({"schedule": 3}, "The 'schedule' parameter must be one of cosine, wsd, constant, step. Got 3."),
    ({"schedule": "wsd", "decay_frac": 0}, "The 'decay_frac' parameter must be in (0, 1]. Got 0."),
    ({"schedule": "wsd", "decay_frac": float("nan")}, "The 'decay_frac' parameter must be finite. Got nan."),
    ({"schedule": "wsd", "decay_frac": 0.99}, "The 'decay_frac' parameter must be <= 1 - warmup_frac = 0.95"),
    ({"decay_frac": 0.3}, "The 'decay_frac' parameter applies to the wsd and step schedules only. Got 0.3 with "
                          "schedule 'cosine'."),
])
def test_train_config_refuses_bad_schedules_in_one_line(kw, message):
    with pytest.raises(ConfigError) as err:
        _cfg(10, **kw)
    assert str(err.value).startswith(message) and "\n" not in str(err.value)


def test_lab_convention_round_trips_through_its_text():
    sch = run_schedule(_cfg(100, lr=1e-3, schedule="wsd"))
    assert str(sch) == "wsd:total=100,warmup=5,peak=0.001,final=0.0001,start=80,decay=linear,convention=lab"
    assert parse_schedule(str(sch)) == sch
    with pytest.raises(ConfigError, match="The 'convention' parameter must be one of luo2025, lab. Got 'nano'"):
        parse_schedule("cosine:total=10,peak=1,convention=nano")
