"""Training-curve logs read as curves, and curve fits saved and loaded."""

from __future__ import annotations

import json

import numpy as np
import pytest

from scalinglab.errors import ConfigError, DataError
from scalinglab.fit.curve_io import load_curve_fit, read_curve_log, read_curve_logs, save_curve_fit
from scalinglab.fit.curves import Curve, fit_curves, predict_curve
from scalinglab.laws.curves import ANNEALING, curve_grid
from scalinglab.laws.schedules import parse_schedule

COSINE = "cosine:total=3000,warmup=300,peak=1e-3,final=1e-4"
THETA = np.array([2.0, 1.5, 0.5, 0.3])  # L0, A, alpha, C of the annealing law


def write_log(path, schedule=COSINE, every=50, start=50, lr=True, rows=None):
    lrs = parse_schedule(schedule).lrs()
    steps = np.arange(start, lrs.size, every)
    loss = ANNEALING.predict(THETA, curve_grid(lrs, np.maximum(steps, 1)))
    lines = ["step,lr,loss" if lr else "step,loss"]
    for s, y in zip(steps, loss):
        lines.append(f"{s},{float(lrs[s])!r},{float(y)!r}" if lr else f"{s},{float(y)!r}")
    lines += rows or []
    path.write_text("\n".join(lines) + "\n")
    return path, steps, loss, lrs


def test_lr_column_and_named_schedule_give_the_same_curve(tmp_path):
    path, steps, loss, lrs = write_log(tmp_path / "run.csv", every=1, start=0)
    by_col = read_curve_log(path)
    by_name = read_curve_log(path, schedule=COSINE)
    # step 0 (the loss before any update, where the laws have no learning-rate area yet) is left out
    assert np.array_equal(by_col.steps, steps[1:]) and np.allclose(by_col.loss, loss[1:]) and by_col.n_skipped == 1
    assert np.allclose(by_col.lrs, lrs[: steps[-1] + 1]) and by_col.total_steps is None
    assert by_name.lrs.size == 3000 and by_name.total_steps == 3000 and "checked against" in by_name.lr_source


def test_a_log_starting_after_warmup_is_given_a_linear_warmup(tmp_path):
    path, steps, _, lrs = write_log(tmp_path / "late.csv", start=300)
    got = read_curve_log(path)
    assert got.lrs[0] == 0 and got.lrs[300] == pytest.approx(lrs[300]) and "warmup from 0 assumed" in got.lr_source
    # the forward area differs from the true schedule's only by the interpolation between logged steps
    assert got.lrs.sum() == pytest.approx(lrs[: got.lrs.size].sum(), rel=2e-3)


@pytest.mark.parametrize("rows, words", [
    (["3000,1e-4,nan"], "finite number > 0. Got 'nan' at step 3000"),
    (["10,1e-4,2.5"], "must increase down the log. Got step 10 after step 2950"),
    (["2999.5,1e-4,2.5"], "whole number >= 0"),
    (["2999,,2.5"], "learning rate ('lr') must be a finite number"),
])
def test_bad_rows_get_one_line(tmp_path, rows, words):
    path, *_ = write_log(tmp_path / "bad.csv", rows=rows)
    with pytest.raises(DataError) as err:
        read_curve_log(path)
    assert words in str(err.value) and "\n" not in str(err.value)


def test_empty_loss_cells_are_skipped_and_counted(tmp_path):
    path, steps, *_ = write_log(tmp_path / "gaps.csv", rows=["2990,1e-4,"])
    got = read_curve_log(path)
    assert got.n_skipped == 1 and got.steps.size == steps.size


def test_missing_lr_column_and_mismatched_schedule_are_refused(tmp_path):
    path, *_ = write_log(tmp_path / "nolr.csv", lr=False)
    with pytest.raises(DataError, match="No learning-rate column found.*--lr-col"):
        read_curve_log(path)
    assert read_curve_log(path, schedule=COSINE).lr_source == f"schedule {parse_schedule(COSINE)}"
    path2, *_ = write_log(tmp_path / "cos.csv")
    with pytest.raises(DataError, match="does not match the log: at step"):
        read_curve_log(path2, schedule="constant:total=3000,warmup=300,peak=1e-3")
    with pytest.raises(DataError, match="past the end of the schedule"):
        read_curve_log(path2, schedule="cosine:total=1000,warmup=300,peak=1e-3,final=1e-4")
    with pytest.raises(DataError, match="'rate' .*--lr-col.* must exist"):
        read_curve_log(path2, lr_col="rate")
    with pytest.raises(ConfigError, match="one --schedule per log"):
        read_curve_logs([path, path2], [COSINE])


def test_a_fit_saved_and_loaded_predicts_the_same(tmp_path):
    path, steps, loss, lrs = write_log(tmp_path / "a.csv")
    curve = Curve(steps, loss * np.exp(np.random.default_rng(0).normal(0, 1e-3, steps.size)), lrs, "a")
    fit = fit_curves([curve], law="annealing", n_bootstrap=5)
    saved = save_curve_fit(fit, tmp_path / "fit.json", logs=["a.csv"])
    back = load_curve_fit(saved)
    assert back.params == fit.params and np.array_equal(back.samples, fit.samples) and back.curves == ("a",)
    a, b = predict_curve(fit, lrs, steps), predict_curve(back, lrs, steps)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert json.loads(saved.read_text())["provenance"] == {"logs": ["a.csv"]}


def test_loading_something_else_is_one_line(tmp_path):
    (tmp_path / "law.json").write_text(json.dumps({"format": "scalinglab.fitted-law", "version": 2}))
    with pytest.raises(DataError, match="must be a curve fit"):
        load_curve_fit(tmp_path / "law.json")
    (tmp_path / "cut.json").write_text(json.dumps({"format": "scalinglab.curve-fit", "version": 1, "law": "annealing"}))
    with pytest.raises(DataError, match="incomplete or damaged"):
        load_curve_fit(tmp_path / "cut.json")
    with pytest.raises(DataError, match="existing file"):
        load_curve_fit(tmp_path / "none.json")
