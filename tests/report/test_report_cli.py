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
