"""`scalinglab plan`: JSON contract, every question, and one-line errors."""

import json

import pytest


def test_compute_json_has_contract_keys_and_is_near_chinchilla(run):
    code, out, err = run("plan", "--flops", "5.76e23", "--json")
    assert code == 0, err
    d = json.loads(out)
    for key in ("n_params", "n_tokens", "tokens_per_param", "flops", "loss", "law", "cost", "memory"):
        assert key in d
    assert d["law"] == "epoch2024"
    assert d["n_params"] == pytest.approx(70e9, rel=0.06)
    assert d["n_tokens"] == pytest.approx(1.4e12, rel=0.06)
    assert 17 < d["tokens_per_param"] < 22


def test_hardware_flags_change_cost(run):
    _, out1, _ = run("plan", "--flops", "1e23", "--gpu", "H100", "--gpus", "1024", "--mfu", "0.4",
                     "--usd-per-hour", "3", "--json")
    _, out2, _ = run("plan", "--flops", "1e23", "--gpu", "H100", "--gpus", "2048", "--mfu", "0.4",
                     "--usd-per-hour", "3", "--json")
    c1, c2 = json.loads(out1)["cost"], json.loads(out2)["cost"]
    assert c1["gpu_hours"] == pytest.approx(1e23 / (9.894e14 * 0.4) / 3600, rel=1e-6)
    assert c1["usd"] == pytest.approx(3 * c1["gpu_hours"], rel=1e-9)
    assert c2["wall_hours"] == pytest.approx(c1["wall_hours"] / 2, rel=1e-9)


@pytest.mark.parametrize("argv, question", [
    (("--params", "7B"), "params"),
    (("--params", "7B", "--tokens-per-param", "100"), "params"),
    (("--target-loss", "2.1"), "target-loss"),
    (("--inference-tokens", "1T", "--flops", "1e23"), "inference"),
    (("--inference-tokens", "1T", "--target-loss", "2.1"), "inference"),
    (("--unique-tokens", "25B", "--flops", "9.26e21"), "unique-tokens"),
])
def test_every_question_answers_in_json(run, argv, question):
    code, out, err = run("plan", *argv, "--json")
    assert code == 0, err
    d = json.loads(out)
    assert d["question"] == question and d["n_params"] > 0 and d["loss"] > 0


def test_inference_plan_shows_sweep_and_smollm3(run):
    code, out, _ = run("plan", "--inference-tokens", "10T", "--flops", "5.76e23", "--json")
    d = json.loads(out)
    ratios = [row["tokens_per_param"] for row in d["sweep"]]
    assert ratios == sorted(ratios) and ratios[-1] > 1000
    assert d["example"]["model"] == "SmolLM3" and d["example"]["implied_inference_tokens"] > 1e14


def test_rich_output_renders(run):
    code, out, _ = run("plan", "--flops", "5.76e23", "--gpus", "1024")
    assert code == 0
    assert "parameters N" in out and "GPU-hours" in out and "memory" in out


@pytest.mark.parametrize("argv, fragment", [
    (("--flops", "-1"), "'flops' parameter must be > 0. Got -1"),
    (("--flops", "0"), "'flops' parameter must be > 0"),
    (("--params", "-7B"), "'params' parameter must be > 0"),
    (("--inference-tokens", "-1", "--flops", "1e22"), "'inference_tokens' parameter must be >= 0"),
    (("--flops", "abc"), "must be a number"),
    (("--flops", "1e23", "--gpu", "X100"), "'gpu' parameter must be one of"),
    (("--flops", "1e23", "--law", "nope"), "'law' parameter must be one of"),
    (("--target-loss", "1.5"), "irreducible loss"),
    (("--flops", "1e23", "--mfu", "1.5"), "'mfu'"),
    (("--flops", "1e23", "--gpus", "0"), "'--gpus'"),
    (("--flops", "1e23", "--params", "7B"), "exactly one of"),
    ((), "exactly one of"),
    (("--unique-tokens", "1B"), "needs '--flops'"),
    (("--flops", "1e23", "--law", "kaplan2020-n"), "one-variable"),
])
def test_bad_input_gets_one_line_and_nonzero_exit(run, argv, fragment):
    code, out, err = run("plan", *argv)
    assert code != 0
    assert fragment in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_older_name_compute_still_plans_the_same_and_both_names_are_refused(run):
    """--flops is the budget's one name (flops= in Python); --compute, its older name, still acts, hidden."""
    _, new, _ = run("plan", "--flops", "1e23", "--json")
    code, old, err = run("plan", "--compute", "1e23", "--json")
    assert code == 0, err
    assert json.loads(old)["n_params"] == json.loads(new)["n_params"]
    code, _, err = run("plan", "--flops", "1e23", "--compute", "1e22")
    assert code != 0 and "Give the compute budget once" in err and "--compute" in err
    code, out, _ = run("plan", "--help")
    assert "--flops" in out and "--compute" not in out
