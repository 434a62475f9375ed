"""Hyperparameter rules in the catalog: Step Law reproduces the authors' tool, its band is their bootstrap,
DeepSeek LLM's coefficients, rule files, and bad input."""

from __future__ import annotations

import csv
import json
import math

import numpy as np
import pytest

from scalinglab.errors import ConfigError
from scalinglab.laws import HP_RULES, get_hp_rule, get_law, load_rule, resolve_hp_rule, save_rule
from scalinglab.laws.hyperparams import _STEP_COV, _STEP_MEAN, DEEPSEEK_LLM, STEP_LAW

BOOT = "steplaw-lr-batch/1004_fitted_lr_bs_scaling_model_parameters.csv"
COLS = ("lr_intercept", "lr_coefN", "lr_coefD", "bs_intercept", "bs_coefD")


def _boot(shared_data) -> np.ndarray:
    with open(shared_data / BOOT, newline="") as fh:
        return np.array([[float(r[c]) for c in COLS] for r in csv.DictReader(fh)])


def test_step_law_reproduces_the_authors_tool_at_7b_on_1_4t():
    # code/fit_tool.py pred-opt-lr-bs 7e9 1.4e12 2048 prints lr 9.347e-04, bs 4996961 tokens, 2439.9 sequences
    p = STEP_LAW.predict(n_params=7e9, n_tokens=1.4e12)
    assert f"{p.lr:.3e}" == "9.347e-04"
    assert p.batch_tokens == pytest.approx(4_996_961, rel=5e-4)
    assert f"{p.batch_tokens:.3g}" == "5e+06" and round(p.batch_sequences(2048), 1) == 2439.9


def test_step_law_rounded_coefficients_are_the_published_ones():
    co = STEP_LAW.coefficients()
    assert math.exp(co["lr.log_coef"]) == pytest.approx(1.79, abs=0.01)
    assert (round(co["lr.n_params"], 3), round(co["lr.n_tokens"], 3)) == (-0.713, 0.307)
    assert math.exp(co["batch.log_coef"]) == pytest.approx(0.58, abs=0.005)
    assert round(co["batch.n_tokens"], 3) == 0.571


@pytest.mark.shared_data
def test_step_law_coefficients_and_band_come_from_the_1000_bootstrap_fits(shared_data):
    boot = _boot(shared_data)
    assert boot.shape == (1000, 5)
    np.testing.assert_allclose(_STEP_MEAN, boot.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(_STEP_COV, np.cov(boot.T), rtol=1e-10)
    # the normal band in log space against the file's own 5th/95th percentiles, at the README's point and others
    for n, d in ((7e9, 1.4e12), (1e9, 1e11), (2e8, 4e9), (7e10, 1.4e13)):
        p = STEP_LAW.predict(n_params=n, n_tokens=d)
        lr = np.exp(boot[:, 0] + boot[:, 1] * np.log(n) + boot[:, 2] * np.log(d))
        b = np.exp(boot[:, 3] + boot[:, 4] * np.log(d))
        np.testing.assert_allclose(p.lr_interval, np.percentile(lr, [5, 95]), rtol=0.015)
        np.testing.assert_allclose(p.batch_interval, np.percentile(b, [5, 95]), rtol=0.015)


def test_step_law_band_at_the_readme_point():
    # README: over the 1000 rows, eta 5th/95th 7.87e-4 / 1.10e-3; B 4.29e6 / 5.78e6 tokens
    p = STEP_LAW.predict(n_params=7e9, n_tokens=1.4e12)
    assert p.lr_interval == pytest.approx((7.87e-4, 1.10e-3), rel=0.01)
    assert p.batch_interval == pytest.approx((4.29e6, 5.78e6), rel=0.01)
    assert p.lr_interval[0] < p.lr < p.lr_interval[1]
    assert len(p.outside) == 2  # 7B on 1.4T is beyond the 215M-1.07B, 4B-100B runs


def test_band_narrows_inside_the_data_and_widens_with_the_level():
    inside = STEP_LAW.predict(n_params=5e8, n_tokens=2e10)
    far = STEP_LAW.predict(n_params=5e11, n_tokens=2e13)
    width = lambda iv, x: (iv[1] - iv[0]) / x  # noqa: E731
    assert width(inside.lr_interval, inside.lr) < width(far.lr_interval, far.lr)
    assert inside.outside == ()
    wide = STEP_LAW.predict(n_params=5e8, n_tokens=2e10, level=0.99)
    assert wide.lr_interval[0] < inside.lr_interval[0] and wide.lr_interval[1] > inside.lr_interval[1]


def test_deepseek_rule_is_the_papers_power_law_in_compute():
    c = 1e21
    p = DEEPSEEK_LLM.predict(flops=c)
    assert p.lr == pytest.approx(0.3118 * c ** -0.1250, rel=1e-12)
    assert p.batch_tokens == pytest.approx(0.2920 * c ** 0.3271, rel=1e-12)
    assert p.lr_interval is None and p.band == "none"
    # the optimal learning rate falls and the batch grows with compute
    q = DEEPSEEK_LLM.predict(flops=100 * c)
    assert q.lr < p.lr and q.batch_tokens > p.batch_tokens
    assert "primary PDF was not read" in str(DEEPSEEK_LLM.citation)


def test_catalog_lists_both_with_citations():
    assert set(HP_RULES) == {"step-law", "deepseek-llm"}
    for rule in HP_RULES.values():
        info = rule.describe()
        assert info["kind"] == "hyperparameter rule" and info["citation"] and info["context"]
        json.dumps(info)


def test_rule_file_round_trip_keeps_the_band(tmp_path):
    path = save_rule(STEP_LAW, tmp_path / "step.json")
    back = load_rule(path)
    a, b = STEP_LAW.predict(n_params=1e9, n_tokens=2e10), back.predict(n_params=1e9, n_tokens=2e10)
    assert (a.lr, a.batch_tokens, a.lr_interval) == (b.lr, b.batch_tokens, b.lr_interval)
    assert resolve_hp_rule(str(path)).name == "step-law"
    assert resolve_hp_rule("deepseek-llm") is DEEPSEEK_LLM


@pytest.mark.parametrize("kwargs, fragment", [
    ({"n_params": -7e9, "n_tokens": 1e12}, "'n_params' parameter must be a finite number > 0. Got -7000000000.0"),
    ({"n_params": float("nan"), "n_tokens": 1e12}, "'n_params' parameter must be a finite number > 0"),
    ({"n_tokens": 1e12}, "'n_params' parameter must be given"),
    ({"n_params": 1e9, "n_tokens": 1e12, "flops": 1e22}, "'flops' parameter has no use in rule 'step-law'"),
])
def test_bad_inputs_are_one_clear_line(kwargs, fragment):
    with pytest.raises(ConfigError, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        STEP_LAW.predict(**kwargs)


def test_unknown_rule_and_a_rule_given_as_a_law_are_named():
    with pytest.raises(ConfigError, match="'hp_rule' parameter must be one of step-law, deepseek-llm"):
        get_hp_rule("kaplan")
    with pytest.raises(ConfigError, match="'step-law', a hyperparameter rule"):
        get_law("step-law")


@pytest.mark.parametrize("edit, fragment", [
    (lambda d: d.update(format="scalinglab.law"), "'format' field must be 'scalinglab.hparam-rule'"),
    (lambda d: d["lr"]["exponents"].update(params=-0.7), "'lr.exponents' field must be an object of exponents"),
    (lambda d: d["lr"].update(log_coef="big"), "'lr.log_coef' field must be a finite number"),
    (lambda d: d.update(samples=[[1, 2]]), "'samples' field must be an array of at most 100,000 rows of 5 numbers"),
    (lambda d: d.update(cov=[[1.0] * 5] * 4), "'cov' field must be a 5 × 5 array"),
    (lambda d: d.update(extra=1), "must hold only the fields"),
])
def test_bad_rule_files_are_one_clear_line(tmp_path, edit, fragment):
    path = save_rule(STEP_LAW, tmp_path / "r.json")
    d = json.loads(path.read_text())
    edit(d)
    path.write_text(json.dumps(d))
    with pytest.raises(ConfigError, match=fragment) as exc:
        load_rule(path)
    assert "\n" not in str(exc.value) and "r.json" in str(exc.value)
