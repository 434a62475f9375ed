"""`scalinglab page`: the file it writes carries what the Python planner reads, names no address, and refuses the
laws it cannot plan with (no browser needed; tests/report/test_page_browser.py runs the page)."""

from __future__ import annotations

import json
import re

import pytest

from _page_laws import synthetic_fitted
from scalinglab.laws.fitted import MAX_INTERVAL_REFITS, evenly_spaced
from scalinglab.laws.io import save_fitted
from scalinglab.report.page import SCRIPTS, external_references
from scalinglab.report.page_data import plain_text


def _blob(path) -> dict:
    html = path.read_text(encoding="utf-8")
    found = re.search(r'<script type="application/json" id="sl-data">(.*?)</script>', html, re.S)
    assert found
    return json.loads(found.group(1))


def test_page_for_the_default_law_is_self_contained(run, tmp_path):
    out = tmp_path / "p.html"
    code, stdout, err = run("page", "--out", str(out))
    assert code == 0, err
    assert "law epoch2024 (published), no bootstrap refits" in stdout
    html = out.read_text(encoding="utf-8")
    assert external_references(html) == [] and not re.search(r"https?:", html)
    assert html.count("<script") == 2  # the data and the one planner script, nothing loaded
    data = _blob(out)
    assert data["law"]["name"] == "epoch2024" and data["fit"]["samples"] == [] and data["fit"]["scatter"] is None
    assert data["law"]["coefficients"] == [1.817, 482.006, 2085.434, 0.3478, 0.3659]
    assert [g["name"] for g in data["gpus"]][:2] == ["H100-SXM", "H100-PCIe"] and data["hp_rule"]["name"] == "step-law"
    assert data["constants"]["sweep_tokens"][-1] == 1e15 and len(data["models"]) >= 10


def test_page_carries_the_refits_the_planner_uses_thinned_as_it_thins_them(run, tmp_path):
    fitted = synthetic_fitted(MAX_INTERVAL_REFITS + 500)
    law = save_fitted(fitted, tmp_path / "law.json")
    out = tmp_path / "p.html"
    code, stdout, err = run("page", "--law", str(law), "--out", str(out), "--hp-rule", "none")
    assert code == 0, err
    assert f"{MAX_INTERVAL_REFITS:,} of {MAX_INTERVAL_REFITS + 500:,} bootstrap refits carried" in stdout
    data = _blob(out)
    kept = evenly_spaced(list(fitted.samples), MAX_INTERVAL_REFITS)
    assert data["fit"]["samples"] == [[s.params.E, s.params.A, s.params.B, s.params.alpha, s.params.beta] for s in kept]
    assert data["fit"]["n_samples"] == MAX_INTERVAL_REFITS + 500 and data["hp_rule"] is None
    noise = fitted.scatter.noise()
    assert data["fit"]["noise"] == pytest.approx(list(noise), rel=0, abs=0) and len(noise) == 64
    assert data["fit"]["scatter"]["flops_max"] == 1e21


def test_page_opens_on_an_unidentified_law_and_says_so(run, tmp_path):
    law = save_fitted(synthetic_fitted(50, identified=False), tmp_path / "law.json")
    code, stdout, err = run("page", "--law", str(law), "--out", str(tmp_path / "p.html"))
    assert code == 0, err
    assert "(not identified)" in stdout
    assert _blob(tmp_path / "p.html")["fit"]["identification"]["status"] == "not identified"


@pytest.mark.parametrize("law", ["kaplan2020", "muennighoff2023", "gadre2024", "kaplan2020-n"])
def test_page_refuses_a_law_it_cannot_plan_with_in_one_line(run, tmp_path, law):
    out = tmp_path / "p.html"
    code, stdout, err = run("page", "--law", law, "--out", str(out))
    assert code == 1 and not out.exists()
    lines = [x for x in err.splitlines() if x.strip()]
    assert "must" in err and law in err and len(lines) <= 3 and "Traceback" not in err


def test_page_refuses_an_unknown_rule_and_an_unwritable_out(run, tmp_path):
    code, _, err = run("page", "--hp-rule", "nope", "--out", str(tmp_path / "p.html"))
    assert code == 1 and "hp_rule" in err
    code, _, err = run("page", "--out", str(tmp_path / "missing" / "dir" / "p.html"))
    assert code == 1 and "Traceback" not in err


def test_external_references_finds_what_would_reach_outside():
    for bad in ('<a href="https://example.org">x</a>', "<img src='logo.png'>", "<script>fetch('x')</script>",
                "<style>@import 'a.css';</style>", "<p>//cdn.example.com/lib.js</p>", "<p>www.example.org</p>",
                "<style>b { background: url(x.png) }</style>", "<script>new Image().src = 'p'</script>"):
        assert external_references(bad), bad
    for fine in ('<a href="#top">top</a>', "<p>github.com/step-law/steplaw at 32a8f4c (a citation)</p>",
                 "<script>const a = document.createElement('a'); a.href = URL.createObjectURL(b); // local</script>"):
        assert not external_references(fine), fine
    assert plain_text("see https://arxiv.org/abs/1 and ftp://x.y") == "see arxiv.org/abs/1 and x.y"
    assert SCRIPTS[0] == "page_numeric.js" and SCRIPTS[-1] == "page_ui.js"
