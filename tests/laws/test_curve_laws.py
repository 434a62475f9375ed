"""Training-curve laws: the multi-power quadrature against the exact sum, the authors' figures, schedules."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import approx_fprime

from scalinglab.errors import ConfigError
from scalinglab.fit.curves import curve_metrics
from scalinglab.laws.curves import ANNEALING, MULTI_POWER, PUBLISHED_MULTI_POWER, curve_grid
from scalinglab.laws.schedules import Schedule, parse_schedule

from _multipower import PREDICT_SET, README_METRICS, SCHEDULES, SIZES, load_curve


def exact_multi_power(lrs, steps, theta):
    """The authors' src/evaluation.py loop, verbatim in numpy."""
    l0, a, alpha, b, c, beta, gamma = theta
    lr_sum = np.cumsum(lrs)
    gap = np.zeros(len(lrs))
    gap[1:] = np.diff(lrs)
    out = []
    for s in steps:
        ld = np.sum(gap[1:s + 1] * (1 - (1 + c * lrs[1:s + 1] ** (-gamma) * (lr_sum[s] - lr_sum[:s])) ** (-beta)))
        out.append(l0 + a * lr_sum[s] ** (-alpha) + b * ld)
    return np.array(out)


@pytest.mark.parametrize("stem", sorted(SCHEDULES))
def test_multi_power_quadrature_matches_the_exact_sum(stem):
    lrs = parse_schedule(SCHEDULES[stem]).lrs()
    steps = np.arange(2160, lrs.size, 997)
    theta = np.array(PUBLISHED_MULTI_POWER["100M"])
    quad = MULTI_POWER.predict(theta, curve_grid(lrs, steps))
    assert np.max(np.abs(quad - exact_multi_power(lrs, steps, theta))) < 2e-6
    exact = MULTI_POWER.predict(theta, curve_grid(lrs, steps[:3], exact=True))
    assert np.allclose(exact, exact_multi_power(lrs, steps[:3], theta), rtol=1e-12)


@pytest.mark.shared_data
@pytest.mark.parametrize("size", SIZES)
def test_published_parameters_reproduce_the_readme_metrics(shared_data, size):
    """With the authors' parameters, the six predicted curves give the README's table to its printed digits."""
    metrics = [curve_metrics(c.loss, MULTI_POWER.predict(np.array(PUBLISHED_MULTI_POWER[size]),
                                                         curve_grid(c.lrs, c.steps)))
               for c in (load_curve(shared_data, size, stem) for stem in PREDICT_SET)]
    for key, published in README_METRICS[size].items():
        mean = np.mean([m[key] for m in metrics])
        assert mean == pytest.approx(published, abs=0.6 * 10.0 ** (np.floor(np.log10(published)) - 2)), key


@pytest.mark.parametrize("law", [MULTI_POWER, ANNEALING])
def test_jacobian_matches_finite_differences(law):
    lrs = Schedule("wsd", 6000, 3e-4, 500, 3e-5, 4000, "linear").lrs()
    grid = curve_grid(lrs, np.arange(600, 6000, 250))
    theta = np.array(PUBLISHED_MULTI_POWER["25M"]) if law is MULTI_POWER else np.array([3.0, 0.5, 0.5, 0.4])
    _, jac = law.predict_jac(theta, grid)
    for i in range(theta.size):
        num = approx_fprime(theta, lambda t: law.predict(t, grid)[3], 1e-7 * np.maximum(np.abs(theta), 1e-3))
        assert jac[3, i] == pytest.approx(num[i], rel=1e-4, abs=1e-8)


def test_annealing_area_counts_decay_from_the_peak_only():
    lrs = Schedule("step", 3000, 1e-3, 1000, 2e-4, 2000).lrs()
    grid = curve_grid(lrs, np.array([1500, 1999, 2000, 2999]))
    s2 = grid.annealing_area(0.999)
    assert s2[0] == 0.0 and s2[1] == 0.0  # the warmup's rise is not annealing
    assert s2[2] == pytest.approx(8e-4)  # the drop at step 2000 enters m at once
    assert s2[3] == pytest.approx(8e-4 * (1 - 0.999 ** 1000) / (1 - 0.999))  # m_i = 8e-4·λ^(i−2000)


def test_schedules_follow_the_authors_generators():
    cos = parse_schedule("cosine:total=24000,warmup=2160,peak=3e-4,final=3e-5").lrs()
    assert cos[0] == 0.0 and cos[2159] == pytest.approx(3e-4) and cos[2160] == pytest.approx(3e-4)
    assert cos[-1] == pytest.approx(3e-5 + 0.5 * 2.7e-4 * (1 + np.cos(np.pi * 21839 / 21840)))
    wsd = parse_schedule("wsd:total=24000,warmup=2160,peak=3e-4,final=3e-5,start=20000").lrs()
    assert wsd[19999] == 3e-4 and wsd[22000] == pytest.approx(np.sqrt(3e-4 * 3e-5))
    assert str(parse_schedule("step:total=100,peak=1,final=0.5,start=50")) == "step:total=100,warmup=0,peak=1,final=0.5,start=50"


@pytest.mark.parametrize("text, words", [
    ("linear:total=10,peak=1", "kind"),
    ("cosine:peak=1", "'total='"),
    ("cosine:total=10.5,peak=1", "whole number"),
    ("cosine:total=10,peak=-1", "'peak'"),
    ("cosine:total=10,peak=1,final=2", "[0, peak]"),
    ("wsd:total=10,peak=1", "decay_start"),
    ("cosine:total=10,peak=1,start=5", "decay_start"),
    ("cosine:total=10,peak=1,speed=3", "key=value"),
    ("cosine:total=10,peak=x", "must be a number"),
    ("wsd:total=10,peak=1,start=5,decay=zigzag", "decay"),
])
def test_bad_schedules_get_one_line(text, words):
    with pytest.raises(ConfigError, match=None) as exc:
        parse_schedule(text)
    assert words in str(exc.value) and "\n" not in str(exc.value)


def test_curve_grid_refuses_steps_outside_the_schedule():
    with pytest.raises(ConfigError, match="whole number in"):
        curve_grid(np.full(100, 1e-3), [5, 100])
    with pytest.raises(ConfigError, match="finite and >= 0 at every step. Got nan at step 3"):
        curve_grid([1e-3, 1e-3, 1e-3, np.nan], [1])
