"""Tracking a live run against a curve law: the issue's must-show on the authors' held-back curves, flags,
projections and their limits."""

from __future__ import annotations

import numpy as np
import pytest

from scalinglab.errors import ConfigError, DataError
from scalinglab.fit.curves import Curve, fit_curves
from scalinglab.laws.curves import MULTI_POWER, PUBLISHED_MULTI_POWER, curve_grid
from scalinglab.laws.schedules import parse_schedule
from scalinglab.report.track_curve import curve_track_figure, track_curve

from _multipower import FIT_SET, PREDICT_SET, SCHEDULES, SIZES, load_curve

TRUE = np.array(PUBLISHED_MULTI_POWER["100M"])


def synthetic(stem: str, sd: float, rng, scale: float = 1.0) -> Curve:
    lrs = parse_schedule(SCHEDULES[stem]).lrs()
    steps = np.arange(2160, lrs.size, 256)
    loss = scale * MULTI_POWER.predict(TRUE, curve_grid(lrs, steps)) * np.exp(rng.normal(0, sd, steps.size))
    return Curve(steps, loss, lrs, stem)


@pytest.fixture(scope="module")
def synthetic_fit():
    rng = np.random.default_rng(3)
    return fit_curves([synthetic(s, 5e-4, rng) for s in FIT_SET], law="multi-power", n_bootstrap=8)


@pytest.mark.shared_data
def test_first_30_percent_and_schedule_project_the_final_loss(shared_data):
    """The issue's must-show, on every held-back curve of the three sizes: fitted (least squares, 20 bootstrap
    refits) on the authors' three fit curves, given only the first 30% of a held-back curve and its schedule,
    the projected final loss is within 1% of the logged one, and inside the 90% band for at least 16 of the 18
    (measured: 17; the miss is 100M cosine_72000, whose 72,000 steps are three times the fitted ones)."""
    inside, worst = [], 0.0
    for size in SIZES:
        fit = fit_curves([load_curve(shared_data, size, s) for s in FIT_SET], n_bootstrap=20)
        for stem in PREDICT_SET:
            c = load_curve(shared_data, size, stem)
            n = int(round(0.3 * c.steps.size))
            r = track_curve(c.steps[:n], c.loss[:n], c.lrs, fit=fit)
            truth = c.loss[-1]
            assert r.final_step == c.lrs.size - 1 and not r.flagged
            worst = max(worst, abs(r.projected_final_loss / truth - 1))
            lo, hi = r.projected_interval
            inside.append(lo <= truth <= hi)
            assert lo < r.projected_final_loss < hi
    assert worst < 0.01
    assert sum(inside) >= 16, f"{sum(inside)} of {len(inside)} final losses inside the 90% band"


def test_a_run_above_the_law_is_flagged_and_projected_above(synthetic_fit):
    rng = np.random.default_rng(4)
    good = synthetic("cosine_72000", 5e-4, rng)
    bad = synthetic("cosine_72000", 5e-4, rng, scale=1.03)
    n = good.steps.size // 3
    on = track_curve(good.steps[:n], good.loss[:n], good.lrs, fit=synthetic_fit)
    off = track_curve(bad.steps[:n], bad.loss[:n], bad.lrs, fit=synthetic_fit)
    assert not on.flagged and "on track" in on.verdict
    assert off.flagged and "FLAGGED" in off.verdict and "above" in off.verdict
    assert off.projected_final_loss == pytest.approx(1.03 * on.projected_final_loss, rel=3e-3)
    assert on.projected_interval[0] < good.loss[-1] < on.projected_interval[1]
    d = off.as_dict()
    assert d["flagged"] and d["final_step"] == good.lrs.size - 1 and d["n_outside_recent"] > d["recent_points"] / 2


def test_schedule_known_only_to_the_last_logged_step_gives_no_projection(synthetic_fit):
    c = synthetic("cosine_24000", 5e-4, np.random.default_rng(5))
    r = track_curve(c.steps[:30], c.loss[:30], c.lrs[: c.steps[29] + 1], fit=synthetic_fit)
    assert r.final_step is None and r.projected_final_loss is None and "no projection" in r.projection


def test_bad_tracking_input_is_refused_in_one_line(synthetic_fit):
    c = synthetic("cosine_24000", 5e-4, np.random.default_rng(6))
    with pytest.raises(ConfigError, match="final_step"):
        track_curve(c.steps, c.loss, c.lrs, fit=synthetic_fit, final_step=10)
    with pytest.raises(DataError, match="past the end of its schedule"):
        track_curve(c.steps, c.loss, c.lrs[:100], fit=synthetic_fit)
    with pytest.raises(ConfigError, match="equal length"):
        track_curve(c.steps, c.loss[:-1], c.lrs, fit=synthetic_fit)


def test_tracking_figure_draws_the_run_the_law_and_the_projection(synthetic_fit):
    c = synthetic("wsd_20000_24000", 5e-4, np.random.default_rng(7))
    fig = curve_track_figure(track_curve(c.steps[:40], c.loss[:40], c.lrs, fit=synthetic_fit))
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("band of a run's loss" in t for t in labels) and any("projected final" in t for t in labels)
    assert ax.get_xlabel() == "optimizer step" and ax.get_xlim()[1] >= c.lrs.size - 1
