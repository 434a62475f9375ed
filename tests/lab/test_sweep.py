"""Sweep design: IsoFLOP grids bracket their optimum, presets fit their time budgets, files load."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from scalinglab.errors import ConfigError
from scalinglab.lab.config import ModelShape
from scalinglab.lab.sweep import (
    CPU_1THREAD,
    MEASURED_THROUGHPUT,
    PRESETS,
    estimate_seconds,
    isoflop_grid,
    load_sweep_file,
    preset_sweep,
    shape_for_params,
    token_sweep,
)
from scalinglab.store import scaling_params


def test_throughput_passes_through_the_measured_points():
    for n_params, tokens_per_s in MEASURED_THROUGHPUT:
        assert CPU_1THREAD.tokens_per_s(n_params) == pytest.approx(tokens_per_s, rel=0.01)
    sizes = np.geomspace(1e3, 1e8, 30)
    assert np.all(np.diff([CPU_1THREAD.tokens_per_s(n) for n in sizes]) < 0)
    # Large models approach the matmul rate: 6N·tokens/s -> P.
    assert 6 * 1e9 * CPU_1THREAD.tokens_per_s(1e9) == pytest.approx(CPU_1THREAD.peak_flops_per_s, rel=0.05)


@pytest.mark.parametrize("n_params", [2e3, 5e3, 2e4, 1e5, 4e5, 1e6])
def test_shape_for_params_is_close_to_target(n_params):
    shape = shape_for_params(n_params)
    # below ~5K the 256-wide output projection makes widths coarse: each step of 4 channels adds >= 1K params
    tol = 1.5 if n_params < 5e3 else 1.35
    assert abs(math.log(scaling_params(shape) / n_params)) < math.log(tol)
    assert shape.context == 128 and shape.vocab_size == 256 and shape.d_model % shape.n_heads == 0


def test_isoflop_grid_brackets_each_budget_optimum():
    budgets = [3e10, 3e11]
    runs = isoflop_grid(budgets, 5, tokens_per_param=20.0, span=8.0, min_params=1000)
    for c in budgets:
        group = [r for r in runs if r.budget == c]
        n = np.array([r.n_params for r in group])
        n0 = math.sqrt(c / 120.0)
        assert len(group) == 5 and n.min() < n0 / 4 and n.max() > 4 * n0
        assert all(np.diff(n) > 0)
        for r in group:  # D = C/(6N) up to whole optimizer steps
            assert r.flops == pytest.approx(c, rel=0.05)
            assert r.config.n_tokens % (r.config.batch_size * r.config.shape.context) == 0


def test_isoflop_grid_keeps_enough_steps_by_shrinking_the_batch():
    runs = isoflop_grid([1e9], 3, span=8.0, min_steps=50, min_batch_size=4)
    for r in runs:
        assert r.steps >= 50 or r.config.batch_size == 4


def test_isoflop_grid_rejects_bad_arguments():
    with pytest.raises(ConfigError, match="'shapes_per_budget' parameter must be >= 1"):
        isoflop_grid([1e10], 0)
    with pytest.raises(ConfigError, match="'budgets' parameter must be > 0"):
        isoflop_grid([-1.0], 3)
    with pytest.raises(ConfigError, match="'span' parameter must be >= 1"):
        isoflop_grid([1e10], 3, span=0.5)
    with pytest.raises(ConfigError, match="TrainConfig fields"):
        isoflop_grid([1e10], 3, not_a_field=1)


def test_preset_smoke_fits_in_about_a_minute_with_two_workers():
    sweep = preset_sweep("smoke")
    assert len([r for r in sweep.runs if r.role == "train"]) == 6
    assert sweep.estimated_wall_seconds(2) < 45


def test_preset_small_reaches_few_thousand_params_and_takes_10_to_20_minutes():
    sweep = preset_sweep("small")
    grid = [r for r in sweep.runs if r.role == "train"]
    assert len({r.budget for r in grid}) == 4 and len(grid) >= 16
    # a few thousand parameters at the bottom (the finding), ~1.5 decades of sizes per budget around
    # ~400 tokens/param, the optimum the lab measured for these byte-level models
    assert min(r.n_params for r in grid) < 5_000 and max(r.n_params for r in grid) > 50_000
    for b in {r.budget for r in grid}:
        tpp = sorted(r.config.n_tokens / r.n_params for r in grid if r.budget == b)
        assert tpp[0] < 400 < tpp[-1]
    assert 8 * 60 < sweep.estimated_wall_seconds(2) < 20 * 60
    assert sweep.estimated_wall_seconds(2) < sweep.estimated_wall_seconds(1)


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_preset_holdout_is_one_run_above_the_largest_budget(preset):
    sweep = preset_sweep(preset)
    holdout = [r for r in sweep.runs if r.role == "holdout"]
    assert len(holdout) == 1
    assert holdout[0].flops > max(r.flops for r in sweep.runs if r.role == "train")
    hashes = [r.config.config_hash() for r in sweep.runs]
    assert len(set(hashes)) == len(hashes)
    assert {r.config.tag for r in sweep.runs} == {preset}


def test_preset_sweep_names_and_budgets_override():
    a = preset_sweep("smoke", name="mine", budgets=[1e9, 3e9])
    assert a.name == "mine" and {r.budget for r in a.runs if r.role == "train"} == {1e9, 3e9}
    assert not {r.config.config_hash() for r in a.runs} & {r.config.config_hash() for r in preset_sweep("smoke").runs}
    with pytest.raises(ConfigError, match="'preset' parameter must be one of"):
        preset_sweep("huge")


def test_estimate_seconds_grows_with_tokens_and_size():
    small, big = preset_sweep("small").runs[0].config, preset_sweep("small").runs[-1].config
    assert estimate_seconds(small) > 0 and estimate_seconds(big) > 0
    from dataclasses import replace

    assert estimate_seconds(replace(small, n_tokens=2 * small.n_tokens)) > estimate_seconds(small)


def test_token_sweep_rounds_to_whole_steps():
    shape = ModelShape(n_layers=2, d_model=32, n_heads=4)
    runs = token_sweep(shape, [1e5, 4e5], batch_size=8, tag="t")
    assert [r.config.n_tokens for r in runs] == [100352, 400384] and all(r.budget is None for r in runs)


def test_load_sweep_file_reads_toml_and_json(tmp_path):
    toml = tmp_path / "grid.toml"
    toml.write_text('name = "mine"\n[defaults]\nbatch_size = 8\n'
                    '[[runs]]\nshape = {n_layers = 1, d_model = 16, n_heads = 2}\nn_tokens = 50000\n'
                    '[[runs]]\nshape = {n_layers = 2, d_model = 32, n_heads = 4}\nn_tokens = 90000\n'
                    'holdout = true\nbudget = 1e12\n')
    sweep = load_sweep_file(toml)
    assert sweep.name == "mine" and [r.role for r in sweep.runs] == ["train", "holdout"]
    assert sweep.runs[0].config.batch_size == 8 and sweep.runs[1].budget == 1e12
    js = tmp_path / "list.json"
    js.write_text(json.dumps({"runs": [{"shape": {"n_layers": 1, "d_model": 16, "n_heads": 2},
                                        "n_tokens": 1000}]}))
    assert load_sweep_file(js).name == "list"


def test_planned_run_counts_n_steps_and_flops_as_the_config_does(tmp_path):
    # 50,000 tokens at 8 × 128 per step: train() takes 48 whole steps, and so must the plan
    toml = tmp_path / "grid.toml"
    toml.write_text('[[runs]]\nshape = {n_layers = 2, d_model = 32, n_heads = 4}\nn_tokens = 50000\n'
                    'batch_size = 8\n')
    run, = load_sweep_file(toml).runs
    assert run.n_params == run.config.shape.scaling_params() == 32_928
    assert run.steps == run.config.steps == 48
    assert run.flops == run.config.estimate_flops() == 6.0 * 32_928 * 48 * 8 * 128


def test_load_sweep_file_errors_name_the_field(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"runs": []}))
    with pytest.raises(ConfigError, match="'runs' field"):
        load_sweep_file(bad)
    bad.write_text(json.dumps({"runs": [{"shape": {"n_layers": 1, "d_model": 16, "n_heads": 2},
                                         "n_tokens": 1000, "colour": "red"}]}))
    with pytest.raises(ConfigError, match="Run 0 in the sweep file .* must have fields among .*Got 'colour'"):
        load_sweep_file(bad)
    with pytest.raises(ConfigError, match="readable TOML"):
        load_sweep_file(tmp_path / "missing.toml")


def test_cli_plan_sweep_prints_grid_compute_and_time(run):
    code, out, _ = run("lab", "plan-sweep", "--preset", "small", "--json")
    data = json.loads(out)
    assert code == 0 and data["sweep"] == "small" and len(data["runs"]) == len(preset_sweep("small").runs)
    assert data["total_flops"] == pytest.approx(preset_sweep("small").total_flops)
    assert {"budget", "n_params", "n_tokens", "tokens_per_param", "est_seconds"} <= set(data["runs"][0])
    code, out, _ = run("lab", "plan-sweep", "--budgets", "1e10,3e10", "--workers", "1")
    assert code == 0 and "1e10" in out and "3e10" in out and "1 worker(s)" in out
    code, _, err = run("lab", "plan-sweep", "--preset", "huge")
    assert code == 1 and err.count("\n") == 1 and "'preset' parameter must be one of" in err
