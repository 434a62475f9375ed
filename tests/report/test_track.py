"""Tracking a run against a law: deviations, the band, the flag, the projection, reading logs."""

from __future__ import annotations

import json

import numpy as np
import pytest

from scalinglab.errors import DataError
from scalinglab.laws import get_law
from scalinglab.report import read_training_log, track_run

N = 1e9
TOKENS = np.logspace(8, np.log10(2e10), 50)


def test_track_run_does_not_flag_a_run_on_the_law(law_with_samples):
    rng = np.random.default_rng(0)
    loss = law_with_samples.loss(N, TOKENS) * (1 + 0.004 * rng.standard_normal(TOKENS.size))
    res = track_run(TOKENS, loss, law=law_with_samples, n_params=N, final_tokens=4e10)
    assert not res.flagged
    assert res.has_interval and "90% mean band" in res.band  # refits but no run scatter: the mean band
    assert abs(res.mean_deviation) < 0.005
    assert res.projected_interval[0] < res.projected_final_loss < res.projected_interval[1]


def test_track_run_flags_a_run_drifting_outside_the_band(law_with_samples):
    drift = 0.08 * np.linspace(0, 1, TOKENS.size) ** 2
    res = track_run(TOKENS, law_with_samples.loss(N, TOKENS) * (1 + drift), law=law_with_samples, n_params=N)
    assert res.flagged and res.verdict.startswith("FLAGGED")
    assert res.latest_deviation == pytest.approx(0.08, rel=1e-9)
    assert res.outside[-1] and not res.outside[0]


def test_track_run_without_variants_uses_the_tolerance():
    law = get_law("epoch2024")
    loss = law.loss(N, TOKENS) * 1.015
    inside = track_run(TOKENS, loss, law=law, n_params=N, tolerance=0.02)
    outside = track_run(TOKENS, loss, law=law, n_params=N, tolerance=0.01)
    assert not inside.has_interval and "tolerance" in inside.band
    assert not inside.flagged and outside.flagged


def test_track_run_projects_law_times_recent_offset():
    law = get_law("epoch2024")
    res = track_run(TOKENS, law.loss(N, TOKENS) * 1.01, law=law, n_params=N, final_tokens=1e11)
    assert res.recent_offset == pytest.approx(0.01)
    assert res.projected_final_loss == pytest.approx(law.loss(N, 1e11) * 1.01)
    json.dumps(res.as_dict())  # plain data


def test_read_training_log_detects_wandb_columns(tmp_path):
    p = tmp_path / "wandb.csv"
    p.write_text("Step,train/loss,train/loss__MIN,train/loss__MAX,tokens\n"
                 "1,3.5,3.4,3.6,1000\n2,,,,2000\n3,3.0,2.9,3.1,3000\n")
    log = read_training_log(p)
    assert (log.tokens_col, log.loss_col) == ("tokens", "train/loss")
    assert log.tokens.tolist() == [1000.0, 3000.0] and log.n_skipped == 1


def test_read_training_log_ambiguous_loss_lists_columns(tmp_path):
    p = tmp_path / "log.jsonl"
    p.write_text(json.dumps({"tokens_seen": 10, "train_loss_smooth": 3.0, "val_loss_ema": 3.1}) + "\n")
    with pytest.raises(DataError, match="ambiguous: train_loss_smooth, val_loss_ema; choose one with --loss-col"):
        read_training_log(p)
    assert read_training_log(p, loss_col="val_loss_ema").loss.tolist() == [3.1]


def test_read_training_log_tokens_from_steps(tmp_path):
    p = tmp_path / "tb.csv"
    p.write_text("Wall time,Step,Value\n0,100,3.2\n1,200,3.0\n")
    log = read_training_log(p, tokens_per_step=0.5e6)
    assert log.tokens.tolist() == [5e7, 1e8] and log.loss_col == "Value"
    with pytest.raises(DataError, match="No tokens column found.*Got columns: Wall time, Step, Value"):
        read_training_log(p)


def test_read_training_log_of_steps_points_to_tokens_per_step(tmp_path):
    p = tmp_path / "steps.csv"
    p.write_text("step,loss\n100,3.2\n200,3.0\n")
    with pytest.raises(DataError, match=r"No tokens column found in the log .*; it has the step column 'step': give "
                                        r"the tokens per optimizer step with --tokens-per-step \(tokens = step x "
                                        r"tokens per step\), or name a tokens column with --tokens-col. Got columns: "
                                        r"step, loss.$"):
        read_training_log(p)
    with pytest.raises(DataError, match="with --track-tokens-per-step .* with --track-tokens-col"):
        read_training_log(p, flags="--track-")
    assert read_training_log(p, tokens_per_step=1000).tokens.tolist() == [1e5, 2e5]


def test_read_training_log_without_tokens_or_steps_names_the_tokens_column_flag(tmp_path):
    p = tmp_path / "bare.csv"
    p.write_text("epoch,loss\n1,3.2\n")
    with pytest.raises(DataError, match=r"'token'\); name it with --tokens-col. Got columns: epoch, loss.$"):
        read_training_log(p)
