"""``scalinglab report`` and ``scalinglab track`` on the command line."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from scalinglab.laws import get_law

pytest.importorskip("matplotlib", reason="the report needs the [report] extra (matplotlib)")



def test_report_budget_is_flops_and_its_older_name_is_refused_beside_it(run, tmp_path):
    code, _, err = run("report", "--law", "epoch2024", "--flops", "1e22", "--budget", "1e22",
                       "--out", str(tmp_path / "r.html"))
    assert code != 0 and "Give the compute budget once" in err and "--budget" in err
    assert not (tmp_path / "r.html").exists()

def test_report_cmd_json_with_catalog_law_only(run, tmp_path):
    code, out, _ = run("report", "--law", "epoch2024", "--flops", "1e22", "--out",
                        str(tmp_path / "r.html"), "--figures", str(tmp_path / "figs"), "--json")
    assert code == 0
    rep = json.loads(out)
    assert rep["report"] == str(tmp_path / "r.html") and (tmp_path / "r.html").is_file()
    assert sorted(p.rsplit("/", 1)[1] for p in rep["figures"]) == sorted(
        f"{n}.{e}" for n in ("frontier", "landscape", "inference", "cost_vs_loss") for e in ("png", "svg"))
    assert (tmp_path / "figs" / "landscape.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<svg" in (tmp_path / "figs" / "landscape.svg").read_text()[:2000]
    text = (tmp_path / "r.html").read_text()
    assert re.findall(r'<figure id="fig-([a-z_]+)"', text) == ["frontier", "landscape", "inference", "cost_vs_loss"]
    assert "No runs given" in text and "Chinchilla" in text  # catalog models label the landscape
    assert "No mean band: law &#x27;epoch2024&#x27; carries no bootstrap refits" in text


def test_report_cmd_rejects_fit_and_law_together(run, tmp_path):
    code, _, err = run("report", "--fit", "a.json", "--law", "epoch2024", "--out", str(tmp_path / "r.html"))
    assert code == 1 and "--fit or --law" in err


@pytest.fixture
def drifting_log(tmp_path):
    law = get_law("epoch2024")
    t = np.logspace(8, 10, 40)
    loss = law.loss(1e9, t) * (1 + 0.06 * np.linspace(0, 1, t.size))
    p = tmp_path / "log.csv"
    p.write_text("Step,tokens,train/loss\n" + "".join(f"{i},{float(a)!r},{float(b)!r}\n" for i, (a, b) in enumerate(zip(t, loss))))
    return p


def test_track_cmd_json_flags_drift_and_projects(run, drifting_log, tmp_path):
    code, out, _ = run("track", str(drifting_log), "--law", "epoch2024", "--n-params", "1B",
                        "--final-tokens", "20B", "--json", "--figure", str(tmp_path / "t.png"))
    assert code == 0
    rep = json.loads(out)
    assert rep["flagged"] is True and rep["has_interval"] is False and rep["tolerance"] == 0.02
    assert rep["log"]["loss_col"] == "train/loss" and rep["final_tokens"] == 2e10
    assert rep["projected_final_loss"] > rep["final_law_loss"]
    assert (tmp_path / "t.png").stat().st_size > 1000


def test_track_cmd_unknown_column_is_one_error_line(run, drifting_log):
    code, _, err = run("track", str(drifting_log), "--law", "epoch2024", "--n-params", "1B",
                        "--loss-col", "nope")
    assert code == 1 and "Got columns: Step, tokens, train/loss" in err and "Traceback" not in err


def test_report_cmd_refuses_bootstrap_without_runs(run, tmp_path):
    # --n-bootstrap refits runs; with only a law it could not act, so it is refused, not ignored
    code, _, err = run("report", "--law", "epoch2024", "--n-bootstrap", "50", "--out", str(tmp_path / "r.html"))
    assert code != 0 and not (tmp_path / "r.html").exists()
    assert "The '--n-bootstrap' option refits runs; it needs --runs or --store. Got --n-bootstrap 50" in err


def _flags(text: str) -> set[str]:
    return set(re.findall(r"--[a-z][a-z-]*[a-z]", text))


@pytest.fixture
def step_log(tmp_path):
    law = get_law("epoch2024")
    steps = np.arange(1, 41) * 100
    p = tmp_path / "steps.csv"
    p.write_text("step,loss\n" + "".join(f"{s},{float(law.loss(1e9, s * 2.5e6))!r}\n" for s in steps))
    return p


def test_track_cmd_log_of_steps_points_to_tokens_per_step(run, step_log):
    code, _, err = run("track", str(step_log), "--law", "epoch2024", "--n-params", "1B")
    assert code == 1 and err.count("\n") == 1 and "it has the step column 'step'" in err
    assert _flags(err) == {"--tokens-per-step", "--tokens-col"}
    code, out, err = run("track", str(step_log), "--law", "epoch2024", "--n-params", "1B", "--tokens-per-step",
                         "2.5M", "--json")
    assert code == 0, err
    assert json.loads(out)["latest"]["tokens"] == 4000 * 2.5e6


def test_report_track_errors_name_report_options_and_they_work(run, step_log, tmp_path):
    code, out, _ = run("report", "--help")
    offered = _flags(out)
    base = ("report", "--law", "epoch2024", "--out", str(tmp_path / "r.html"), "--track", str(step_log),
            "--track-n-params", "1B")
    code, _, err = run(*base)
    assert code == 1 and "it has the step column 'step'" in err
    assert _flags(err) == {"--track-tokens-per-step", "--track-tokens-col"} and _flags(err) <= offered
    code, _, err = run(*base, "--track-step-col", "step")
    assert code == 1 and _flags(err) == {"--track-step-col", "--track-tokens-per-step"} <= offered, err
    code, out, err = run(*base, "--track-tokens-per-step", "2.5M", "--json")
    assert code == 0, err
    assert json.loads(out)["report"] == str(tmp_path / "r.html") and "Tracked run" in (tmp_path / "r.html").read_text()

    ambiguous = tmp_path / "two.csv"
    ambiguous.write_text("tokens,a_loss,b_loss\n1e9,3.0,3.1\n2e9,2.9,3.0\n")
    code, _, err = run(*base[:-3], str(ambiguous), *base[-2:])
    assert code == 1 and "choose one with --track-loss-col" in err and _flags(err) <= offered
    code, _, err = run(*base[:-3], str(ambiguous), *base[-2:], "--track-loss-col", "b_loss")
    assert code == 0, err


def test_report_track_options_need_track(run, tmp_path):
    code, _, err = run("report", "--law", "epoch2024", "--out", str(tmp_path / "r.html"), "--track-tokens-per-step",
                       "1M")
    assert code == 1 and "The '--track-tokens-per-step' option describes the run given by --track; it needs --track" \
        in err and not (tmp_path / "r.html").exists()
