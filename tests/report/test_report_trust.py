"""The report never overclaims: the verdict comes first, held-out runs stay out of the fit, and its plan is the
planner's."""

from __future__ import annotations

import html
import json
import re
import warnings

import numpy as np
import pytest

from scalinglab.laws.chinchilla import EPOCH_2024, predict
from scalinglab.plan import plan_compute
from scalinglab.report.build import make_report



def test_report_plan_equals_the_planner(tmp_path):
    res = make_report(law="epoch2024", flops=1e23, out=tmp_path / "r.html", formats=())
    text = res.path.read_text()
    block = re.search(r"<summary>The plan as data</summary><pre>(.*?)</pre>", text, re.S)
    shown = json.loads(html.unescape(block.group(1)))
    plan = plan_compute(1e23, law="epoch2024")
    for key in ("n_params", "n_tokens", "loss", "tokens_per_param", "flops"):
        assert shown[key] == pytest.approx(getattr(plan, key), rel=1e-12), key


def test_unidentified_law_is_flagged_first_and_gets_no_plan_or_reference_models(tmp_path):
    # every run at one compute budget: the law cannot be identified
    n = np.logspace(7, 9, 12)
    d = 1e19 / (6 * n)
    loss = predict(EPOCH_2024, n, d) * np.exp(0.01 * np.random.default_rng(0).standard_normal(n.size))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = make_report(runs={"n_params": n, "n_tokens": d, "loss": loss}, out=tmp_path / "r.html",
                          n_bootstrap=30, formats=())
    text = res.path.read_text()
    verdict = text.index("NOT IDENTIFIED")
    assert text.index("<section id=\"verdict\">") < verdict < text.index("<section id=\"data\">")  # first screen
    assert "No plan:" in text and "no reference models are placed" in text
    assert "red dots are reference models" not in text


def test_held_out_runs_are_not_in_the_fit_that_scores_them(tmp_path, isoflop_runs):
    r = dict(isoflop_runs)
    held = np.zeros(r["loss"].size, bool)
    held[-3:] = True
    r["held_out"] = held
    res = make_report(runs=r, out=tmp_path / "r.html", n_bootstrap=20, formats=())
    text = res.path.read_text()
    prov = json.loads(html.unescape(re.search(r"<p>Fit provenance:</p><pre>(.*?)</pre>", text, re.S).group(1)))
    assert prov["n_runs"] == held.size - 3
    assert "3 run(s) the fit never saw" in text and "90% prediction band" in text
