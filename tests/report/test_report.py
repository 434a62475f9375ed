"""The HTML report: one self-contained file, escaped user strings, exported figures, each input path."""

from __future__ import annotations

import re

import pytest

pytest.importorskip("matplotlib", reason="the report needs the [report] extra (matplotlib)")

from scalinglab.laws import get_law, save_law  # noqa: E402
from scalinglab.plan import plan_compute  # noqa: E402
from scalinglab.report import law_html, make_report, plan_html  # noqa: E402

XSS = "<script>alert(1)</script>"  # the name conftest gives run 0


def test_build_report_is_one_self_contained_file(full_report):
    res, text = full_report
    assert text.startswith("<!DOCTYPE html>")
    refs = re.findall(r'(?:src|href)="([^"]*)"', text)
    # every reference is inline (a data: URI) or an anchor; base64 may spell "http" by chance, so not searched
    assert refs and not [u for u in refs if not u.startswith(("data:", "#"))]
    assert not [u for u in refs if u.startswith("data:") and not u.startswith("data:image/png;base64,")]
    assert "<link" not in text and "@import" not in text and "url(" not in text


def test_build_report_escapes_run_names(full_report):
    _, text = full_report
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "<script" not in text.lower()


def test_build_report_embeds_every_figure(full_report):
    _, text = full_report
    names = re.findall(r'<figure id="fig-([a-z_]+)"><img src="data:image/png;base64,[A-Za-z0-9+/=]{1000,}" '
                       r'width="\d+" height="\d+"', text)
    assert names == ["isoflop", "frontier", "landscape", "residuals", "bootstrap", "inference", "cost_vs_loss",
                     "audit", "track"]
    for section in ("Data", "Law", "Plan at 1e+22 FLOPs", "Extrapolation audit", "Tracked run", "Provenance"):
        assert f"<h2>{section}</h2>" in text
    assert "FLAGGED" in text and "90% interval" in text


def test_build_report_shows_approach2_first_and_in_its_own_section(full_report):
    _, text = full_report
    first = text[text.index('<section id="verdict">'):text.index('<section id="data">')]
    assert "Approach 2 (IsoFLOP profiles): N* ∝ C<sup>a</sup>, a = " in first
    assert "90% interval of the exponent" in first and "R² " in first and "Verdict:" in first
    assert "<h2>Approach 2: IsoFLOP exponents</h2>" in text


def test_build_report_reads_fit_json_and_runs_file(tmp_path, isoflop_runs, law_with_samples):
    r = isoflop_runs
    csv = tmp_path / "runs <b>.csv"
    lines = ["name,N<i>,D,loss,C"] + [f"{nm},{float(n)!r},{float(d)!r},{float(y)!r},{float(c)!r}" for nm, n, d, y, c in
                                      zip(r["names"], r["n_params"], r["n_tokens"], r["loss"], r["budgets"])]
    csv.write_text("\n".join(lines) + "\n")
    prov = {"n_runs": 35, "audit": {"runs": [{"predicted": 2.5, "loss": 2.55}], "flops_cut": 1e20}}
    fit = save_law(law_with_samples, tmp_path / "fit.json", prov)
    res = make_report(law=fit, runs=csv, flops=1e21, out=tmp_path / "r.html",
                      runs_columns={"n_params_col": "N<i>", "n_tokens_col": "D", "loss_col": "loss",
                                    "run_col": "name", "budget_col": "C"})
    text = res.path.read_text()
    assert "fit JSON" in text and "saved with the fit" in text  # law source and audit source
    assert "N&lt;i&gt;" in text and "runs &lt;b&gt;.csv" in text and "<i>" not in text
    assert 'id="fig-isoflop"' in text and 'id="fig-audit"' in text
    assert "&lt;script&gt;" in text and "<script" not in text


def test_plan_html_and_law_html_render_intervals_and_escape(law_with_samples):
    text = plan_html(plan_compute(1e23, law=law_with_samples))
    assert "90% interval" in text and "tokens/param" in text and "60 law variants" in text
    law = get_law("epoch2024")
    assert "Besiroglu" in law_html(law) and "alpha" in law_html(law)
    assert "&lt;b&gt;" in law_html(law.__class__("<b>", law.params, law.citation))


def test_build_report_reads_a_store_through_to_arrays(tmp_path, monkeypatch, isoflop_runs, law_with_samples):
    import scalinglab.store as store

    r = isoflop_runs
    arrays = {"n_params": r["n_params"], "n_tokens": r["n_tokens"], "loss": r["loss"], "budget": r["budgets"],
              "holdout": r["budgets"] >= 1e20, "run_hash": r["names"]}

    class FakeStore:
        def __init__(self, path, *, readonly=False):
            assert readonly is True  # the report only reads: the store is opened read-only

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return None

        def to_arrays(self, sweep=None, checkpoints=False):
            return arrays

    monkeypatch.setattr(store, "Store", FakeStore)
    db = tmp_path / "lab.db"
    db.write_bytes(b"sqlite stand-in")
    res = make_report(law=law_with_samples, store=db, audit=False, out=tmp_path / "r.html")
    text = res.path.read_text()
    assert "lab store" in text and 'id="fig-isoflop"' in text and "&lt;script&gt;" in text
    # Approach 2 fits the runs not held out and scores the held-out ones against its frontier, naming the band
    assert "Held-out runs (not in the fit) against the frontier" in text and "mean band of the frontier" in text
