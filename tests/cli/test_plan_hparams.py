"""`scalinglab plan` with a hyperparameter rule: Step Law by default, DeepSeek LLM, --context, --hp-rule none."""

from __future__ import annotations

import json

import pytest

from scalinglab.laws.hyperparams import DEEPSEEK_LLM, STEP_LAW


def _plan(run, *argv):
    code, out, err = run("plan", *argv, "--json")
    assert code == 0, err
    return json.loads(out)


def test_default_plan_carries_step_law_learning_rate_and_batch(run):
    d = _plan(run, "--params", "7B", "--tokens-per-param", "200")
    assert d["n_params"] == 7e9 and d["n_tokens"] == pytest.approx(1.4e12)  # the plan itself is unchanged
    hp = d["hyperparams"]
    assert hp["rule"] == "step-law" and hp["context"] == 2048
    # N for the rule: non-embedding, the plan's 7e9 less its architecture's embeddings
    n = hp["inputs"]["n_params"]
    assert 6.5e9 < n < 7e9 and "non-embedding" in hp["inputs_note"]
    expect = STEP_LAW.predict(n_params=n, n_tokens=1.4e12)
    assert hp["learning_rate"] == pytest.approx(expect.lr, rel=1e-12)
    assert f"{hp['batch_tokens']:.4g}" == "4.997e+06"  # B depends on D only: the authors' tool's 4,996,961
    assert hp["batch_sequences"] == pytest.approx(2439.9, abs=0.05)
    lo, hi = hp["learning_rate_interval"]
    assert lo < hp["learning_rate"] < hi and len(hp["outside"]) == 2


def test_deepseek_rule_reads_compute_as_m_times_d(run):
    hp = _plan(run, "--flops", "1e22", "--hp-rule", "deepseek-llm")["hyperparams"]
    c = hp["inputs"]["flops"]
    assert hp["learning_rate"] == pytest.approx(0.3118 * c ** -0.125, rel=1e-12)
    assert hp["batch_tokens"] == pytest.approx(DEEPSEEK_LLM.predict(flops=c).batch_tokens, rel=1e-12)
    assert hp["context"] == 4096 and hp["learning_rate_interval"] is None and "M·D" in hp["inputs_note"]
    short = _plan(run, "--flops", "1e22", "--hp-rule", "deepseek-llm", "--context", "2048")["hyperparams"]
    assert short["inputs"]["flops"] < c  # a shorter context has fewer attention FLOPs per token
    assert short["batch_sequences"] == pytest.approx(short["batch_tokens"] / 2048)


def test_context_counts_the_batch_in_sequences(run):
    hp = _plan(run, "--flops", "1e22", "--context", "4096")["hyperparams"]
    assert hp["batch_sequences"] == pytest.approx(hp["batch_tokens"] / 4096)


def test_hp_rule_none_leaves_the_plan_as_before(run):
    assert "hyperparams" not in _plan(run, "--flops", "1e22", "--hp-rule", "none")


def test_rich_output_has_the_rows_and_the_rule(run):
    code, out, err = run("plan", "--params", "7B", "--tokens-per-param", "200")
    assert code == 0, err
    assert "parameters N" in out and "peak learning rate" in out and "9.548e-04" in out
    assert "sequences of 2,048 tokens" in out and "under rule step-law" in out and "extrapolated" in out


@pytest.mark.parametrize("argv, fragment", [
    (("--hp-rule", "none", "--context", "2048"), "'--context' option counts the batch of a hyperparameter rule"),
    (("--hp-rule", "adam"), "'hp_rule' parameter must be one of step-law, deepseek-llm"),
    (("--hp-rule", "missing.json"), "The 'hp_rule' file must exist"),
    (("--context", "0"), "--context"),
])
def test_bad_rule_options_are_one_line(run, argv, fragment):
    code, out, err = run("plan", "--flops", "1e22", *argv)
    assert code != 0 and fragment in " ".join(err.split()) and "Traceback" not in err
