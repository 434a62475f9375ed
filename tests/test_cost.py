"""Training cost: the published H100-hours rule of thumb, scaling properties, validation."""

from __future__ import annotations

import pytest

from scalinglab.cost import DEFAULT_MFU, TrainingCost, training_cost
from scalinglab.errors import ConfigError
from scalinglab.hardware import get_gpu

LLAMA3_8B_FLOPS = 6 * 8e9 * 15e12


def test_training_cost_reproduces_published_h100_hours_rule_of_thumb():
    # published-figures.md §10 [D]: 6·8e9·15e12 / (9.89e14 × 0.4) / 3600 ≈ 0.51M H100-hours
    cost = training_cost(LLAMA3_8B_FLOPS, "H100-SXM", mfu=0.4)
    assert cost.gpu_hours == pytest.approx(0.51e6, rel=0.01)
    assert cost.gpu_hours == pytest.approx(LLAMA3_8B_FLOPS / (9.894e14 * 0.4) / 3600)
    assert cost.usd == pytest.approx(cost.gpu_hours * 3.62)
    assert cost.gpu == "H100-SXM" and DEFAULT_MFU == 0.4


def test_training_cost_linear_in_flops():
    one = training_cost(1e21, "a100")
    three = training_cost(3e21, "a100")
    for field in ("gpu_hours", "wall_hours", "usd", "energy_kwh"):
        assert getattr(three, field) == pytest.approx(3 * getattr(one, field))


def test_training_cost_wall_time_halves_with_twice_the_gpus():
    c8 = training_cost(1e23, "h100", n_gpus=8)
    c16 = training_cost(1e23, "h100", n_gpus=16)
    assert c16.wall_hours == pytest.approx(c8.wall_hours / 2)
    assert c16.wall_days == pytest.approx(c16.wall_hours / 24)
    assert c16.gpu_hours == pytest.approx(c8.gpu_hours) and c16.usd == pytest.approx(c8.usd)


def test_training_cost_energy_is_gpu_hours_times_power_times_pue():
    cost = training_cost(1e22, "h100", pue=1.2)
    assert cost.energy_kwh == pytest.approx(cost.gpu_hours * 700 / 1000 * 1.2)


def test_training_cost_price_and_gpu_object_overrides():
    gpu = get_gpu("h100", usd_per_hour=2.0)
    assert training_cost(1e22, gpu).usd_per_hour == 2.0
    assert training_cost(1e22, "h100", usd_per_hour=0.0).usd == 0.0
    assert training_cost(1e22, "h100", mfu=0.2).gpu_hours == pytest.approx(
        2 * training_cost(1e22, "h100", mfu=0.4).gpu_hours)


def test_training_cost_as_dict_has_every_field():
    d = training_cost(1e22, "v100", n_gpus=4).as_dict()
    assert set(d) >= {f for f in TrainingCost.__dataclass_fields__} | {"wall_days"}
    assert d["n_gpus"] == 4 and d["gpu"] == "V100"


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(mfu=0.0), r"'mfu' parameter must be > 0\. Got 0"),
        (dict(mfu=1.5), r"'mfu' parameter must be in \(0, 1\]\. Got 1\.5"),
        (dict(n_gpus=0), r"'n_gpus' parameter must be an integer >= 1\. Got 0"),
        (dict(n_gpus=2.5), r"'n_gpus'"),
        (dict(usd_per_hour=-1.0), r"'usd_per_hour' parameter must be >= 0"),
        (dict(pue=0.9), r"'pue' parameter must be >= 1"),
        (dict(gpu="X100"), r"'gpu'"),
    ],
)
def test_training_cost_invalid_arguments_raise_config_error(kwargs, match):
    gpu = kwargs.pop("gpu", "h100")
    with pytest.raises(ConfigError, match=match):
        training_cost(1e22, gpu, **kwargs)


def test_training_cost_rejects_non_positive_flops():
    with pytest.raises(ConfigError, match="'flops'"):
        training_cost(0.0, "h100")


def test_flops_in_days_is_the_product_and_inverts_the_wall_time():
    from scalinglab.cost import flops_in_days

    c = flops_in_days("H100", n_gpus=512, days=30, mfu=0.4)
    assert c == pytest.approx(512 * 9.894e14 * 0.4 * 30 * 86400, rel=1e-12)
    assert training_cost(c, "H100-SXM", n_gpus=512, mfu=0.4).wall_days == pytest.approx(30, rel=1e-12)
    assert flops_in_days(get_gpu("A100", peak_flops=1e15), days=1, mfu=1) == pytest.approx(86400e15, rel=1e-12)
    for kw, fragment in (({"days": 0}, "'days' parameter must be > 0"), ({"days": 1, "mfu": 1.5}, "'mfu'"),
                         ({"days": 1, "n_gpus": 0}, "'n_gpus'")):
        with pytest.raises(ConfigError, match=fragment):
            flops_in_days("H100", **kw)
