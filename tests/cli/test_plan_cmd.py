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


def _inference(run, *argv):
    code, out, err = run("plan", "--inference-tokens", "10T", "--flops", "5.76e23", *argv)
    assert code == 0, err
    return json.loads(out) if "--json" in argv else " ".join(out.split())


def test_inference_plan_holds_the_loss_by_default_and_the_compute_on_request(run):
    optimum = json.loads(run("plan", "--flops", "5.76e23", "--json")[1])
    by_loss, by_compute = _inference(run, "--json"), _inference(run, "--hold", "compute", "--json")
    assert by_loss == _inference(run, "--hold", "loss", "--json")
    assert by_loss["hold"] == "loss" and by_compute["hold"] == "compute"
    # loss held: the compute-optimal model's loss, more training compute than the budget
    assert by_loss["loss"] == pytest.approx(optimum["loss"], rel=1e-9) and by_loss["flops"] > 5.76e23
    assert by_loss["reference"]["flops_added"] == pytest.approx(by_loss["flops"] - 5.76e23, rel=1e-6)
    # compute held: training + inference = the budget, a worse loss, a smaller model
    assert by_compute["total_flops"] == pytest.approx(5.76e23, rel=1e-9) and by_compute["flops"] < 5.76e23
    assert by_compute["loss"] > optimum["loss"]
    assert by_compute["reference"]["loss_given_up"] == pytest.approx(by_compute["loss"] - optimum["loss"], rel=1e-9)
    assert by_compute["n_params"] < by_loss["n_params"] < optimum["n_params"]


@pytest.mark.parametrize("hold", ["loss", "compute"])
def test_inference_sweep_holds_what_the_plan_holds(run, hold):
    d = _inference(run, "--hold", hold, "--json")
    rows = {row["inference_tokens"]: row for row in d["sweep"]}
    assert rows[1e13]["n_params"] == pytest.approx(d["n_params"], rel=1e-9)  # the plan's own demand is a row
    assert rows[0.0]["n_params"] == pytest.approx(json.loads(run("plan", "--flops", "5.76e23", "--json")[1])
                                                  ["n_params"], rel=1e-6)
    assert all(b["n_params"] < a["n_params"] for a, b in zip(d["sweep"][2:], d["sweep"][3:]))
    held = [row["total_flops"] if hold == "compute" else row["loss"] for row in d["sweep"]]
    assert held == pytest.approx([held[0]] * len(held), rel=1e-9)


def test_inference_plan_says_what_is_held(run):
    text = _inference(run)
    assert "Plan (inference, loss held)" in text and "held: loss 1.9740" in text
    assert "adds 1.86e+23 (32.4%) to the budget" in text and "--hold compute keeps" in text
    assert "same loss, 1.9740" in text
    text = _inference(run, "--hold", "compute")
    assert "Plan (inference, compute held)" in text and "held: compute" in text
    assert "training + inference at the budget of 5.76e+23 FLOPs" in text and "gives up 0.0384" in text
    assert "same training + inference compute, 5.76e+23 FLOPs" in text and "loss given up" in text


@pytest.mark.parametrize("argv, fragment", [
    (("--flops", "1e23", "--hold", "compute"), "'--hold' option chooses what an inference plan holds; it needs "
                                               "--inference-tokens. Got --hold compute without it."),
    (("--inference-tokens", "1T", "--target-loss", "2.1", "--hold", "compute"), "Got --hold compute with "
                                                                                 "--target-loss 2.1."),
    (("--inference-tokens", "1T", "--flops", "1e23", "--hold", "budget"), "'hold' parameter must be one of loss, "
                                                                          "compute. Got 'budget'."),
])
def test_hold_is_refused_where_it_cannot_act(run, argv, fragment):
    code, _, err = run("plan", *argv)
    assert code == 1 and fragment in " ".join(err.split()) and len(err.strip().splitlines()) == 1


# --- a budget from hardware and time: --days ----------------------------------------------------------------

DAYS = ("--gpu", "H100", "--gpus", "512", "--days", "30", "--mfu", "0.4")
DAYS_FLOPS = 512 * 9.894e14 * 0.4 * 30 * 86400


@pytest.mark.parametrize("question", [(), ("--inference-tokens", "10T"), ("--inference-tokens", "10T", "--hold",
                                                                          "compute"), ("--unique-tokens", "100B")])
def test_days_budget_is_gpus_times_peak_times_mfu_times_time_and_plans_as_flops(run, question):
    code, out, err = run("plan", *DAYS, *question, "--json")
    assert code == 0, err
    by_days = json.loads(out)
    assert by_days["budget"]["flops"] == pytest.approx(DAYS_FLOPS, rel=1e-12)
    assert by_days["budget"] == {"flops": by_days["budget"]["flops"], "source": "--days", "days": 30.0,
                                 "n_gpus": 512, "gpu": "H100-SXM", "peak_flops": 9.894e14, "mfu": 0.4}
    code, out, err = run("plan", "--flops", repr(by_days["budget"]["flops"]), "--gpu", "H100", "--gpus", "512",
                         *question, "--json")
    by_flops = json.loads(out)
    assert by_flops["budget"]["source"] == "--flops"
    for d in (by_days, by_flops):
        d.pop("budget")
    assert by_days == by_flops
    if not question:
        assert by_days["cost"]["wall_days"] == pytest.approx(30, rel=1e-12)


def test_days_budget_says_how_it_was_derived_and_uses_the_gpu_overrides(run):
    code, out, err = run("plan", *DAYS)
    assert code == 0, err
    assert ("budget from --days: 512 × H100-SXM × 989 TFLOP/s peak × MFU 0.40 × 30 days × 86,400 s = 5.25e+23 "
            "FLOPs") in " ".join(out.split())
    _, out, _ = run("plan", *DAYS, "--peak-tflops", "500", "--json")
    assert json.loads(out)["budget"]["flops"] == pytest.approx(512 * 5e14 * 0.4 * 30 * 86400, rel=1e-12)


@pytest.mark.parametrize("argv, fragment", [
    (("--flops", "1e23"), "Give the compute budget once: --flops (1e+23) or --days (30 days on the GPUs). Got both."),
    (("--compute", "1e23"), "Give the compute budget once"),
    (("--params", "7B"), "exactly one of --flops (or --days), --params, --target-loss, --inference-tokens, "
                         "--unique-tokens. Got --days, --params."),
    (("--target-loss", "2.1"), "Got --days, --target-loss."),
])
def test_days_is_refused_beside_another_question(run, argv, fragment):
    code, _, err = run("plan", *DAYS, *argv)
    assert code == 1 and fragment in " ".join(err.split()) and len(err.strip().splitlines()) == 1


def test_days_too_short_for_one_parameter_names_the_smallest_budget(run):
    code, _, err = run("plan", "--days", "1e-18")
    assert code == 1 and len(err.strip().splitlines()) == 1
    assert "The '--days' budget must give at least 1 parameter" in err and "378 FLOPs. Got 1e-18 days = 34.2 " \
                                                                           "FLOPs." in " ".join(err.split())
