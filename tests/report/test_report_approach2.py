"""The report's Approach 2 (IsoFLOP exponents): the numbers `scalinglab fit --approach isoflop` prints for the
same runs, bootstrap count and seed — exponent, interval of the exponent, R², usable resamples, verdict, held-out
runs with their band — or one line saying the runs are not an IsoFLOP design.

The figures are not what these tests check and take most of a report's time, so ``make_report`` runs here with
them stubbed out (``fast_report``); ``test_report.py`` checks the full report with its figures."""

from __future__ import annotations

import html
import json
import re

import numpy as np
import pytest

pytest.importorskip("matplotlib", reason="the report needs the [report] extra (matplotlib)")

from scalinglab.fit import Runs  # noqa: E402
from scalinglab.fit.approach2 import fit_approach2, isoflop_budgets  # noqa: E402
from scalinglab.laws.chinchilla import EPOCH_2024, predict  # noqa: E402
from scalinglab.report import build  # noqa: E402


@pytest.fixture
def fast_report(monkeypatch, tmp_path):
    """``fast_report(**kw)`` -> (verdict section, Approach 2 section or None, page) of ``make_report`` with
    the figures stubbed, the catalog law (no parametric fit) and no audit unless given."""
    monkeypatch.setattr(build, "_figures", lambda *a, **k: "")

    def _make(**kw):
        kw = {"law": "epoch2024", "audit": False, "formats": (), "out": tmp_path / "r.html", **kw}
        text = build.make_report(**kw).path.read_text()
        return _section(text, "verdict"), _section(text, "approach2"), text

    return _make


def _section(text: str, anchor: str) -> str | None:
    """The section's text after its heading, tags dropped and white space collapsed (None if absent)."""
    m = re.search(rf'<section id="{anchor}"><h2>.*?</h2>(.*?)</section>', text, re.S)
    return None if m is None else re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", m.group(1)))).strip()


def _design(budgets, sizes=7, seed=1):
    rng = np.random.default_rng(seed)
    c = np.repeat(np.asarray(budgets, float), sizes)
    n = np.sqrt(c / 120) * np.tile(np.logspace(-1, 1, sizes), len(budgets))
    d = c / (6 * n)
    return {"n_params": n, "n_tokens": d, "loss": predict(EPOCH_2024, n, d) * np.exp(0.005 * rng.normal(size=n.size)),
            "budgets": c}


def test_report_shows_the_exponent_interval_r2_resamples_and_verdict_of_fit_approach2(fast_report, isoflop_runs):
    first, sec, _ = fast_report(runs=isoflop_runs, n_bootstrap=40, seed=3)
    r = isoflop_runs
    want = fit_approach2(Runs.from_arrays(r["n_params"], r["n_tokens"], r["loss"]),
                         budgets=isoflop_budgets(r["budgets"]), n_bootstrap=40, seed=3).profiles
    assert want.identification.status == "identified" and want.n_bootstrap == 40
    for fit in (want.n_opt_fit, want.d_opt_fit):
        lo, hi = fit.interval
        assert f"{fit.exponent:.4f} ({lo:.3f}, {hi:.3f}) {fit.r2:.3f} {fit.coef:.4g} 5/5 40/40" in sec
        assert f"= {fit.exponent:.4f}, 90% interval of the exponent ({lo:.3f}, {hi:.3f}), R² {fit.r2:.3f}" in first
    assert "90% interval of the exponent" in sec and "R² (log space)" in sec
    assert "Identified: 5 budgets with an interior minimum" in sec and "Verdict: identified" in first
    assert "--n-bootstrap 40 --seed 3" in sec  # the command that prints the same numbers


def test_report_and_cli_print_the_same_approach2_for_a_store(fast_report, run, tmp_path, finished_store):
    db = _store(tmp_path / "lab.db", finished_store)
    code, out, err = run("fit", "--store", str(db), "--approach", "isoflop", "--n-bootstrap", "30", "--seed", "2",
                         "--json")
    assert code == 0, err
    cli = json.loads(out)
    first, sec, _ = fast_report(store=str(db), n_bootstrap=30, seed=2)
    flat = sec
    nf = cli["n_opt_fit"]
    assert f"{nf['exponent']:.4f} ({nf['interval'][0]:.3f}, {nf['interval'][1]:.3f}) {nf['r2']:.3f}" in flat
    assert f"{cli['n_bootstrap']}/30" in flat and f"{cli['n_budgets_used']}/{cli['n_budgets']}" in flat
    h = cli["holdout"]  # the held-out run: kept out of both fits, scored against the frontier with its band
    assert h["n"] == 1 and h["band"] == "mean"
    assert f"ARE mean {h['are_mean']:.2%}" in flat and h["band_label"] in flat and h["no_prediction_band"] in flat
    assert "({:.4f}, {:.4f})".format(*h["runs"][0]["mean_interval"]) in flat
    assert f"a = {nf['exponent']:.4f}" in first


def test_two_budget_design_is_exactly_determined(fast_report):
    first, sec, _ = fast_report(runs=_design((1e18, 1e20)), n_bootstrap=20)
    assert "NOT IDENTIFIED (exactly determined by 2 budgets, no error estimate)" in sec
    assert "exactly determined by two points and has no error estimate" in sec
    assert "exactly determined by 2 budgets" in first


def test_runs_that_are_not_an_isoflop_design_get_one_line(fast_report):
    first, sec, _ = fast_report(runs=_design((1e19,)), n_bootstrap=20)
    line = "not an IsoFLOP design: the runs form one compute budget (C = 1e+19)"
    assert sec.startswith(line) and sec.endswith(".") and sec.count(". ") == 0  # one sentence, nothing else
    assert f"Approach 2 (IsoFLOP profiles): {line}" in first
    n = np.logspace(7, 9, 12)  # scattered: no two runs share a budget
    _, sec, _ = fast_report(runs={"n_params": n, "n_tokens": 20 * n, "loss": np.linspace(3, 2.5, 12)},
                            n_bootstrap=20)
    assert sec.startswith("not an IsoFLOP design: of the 12 compute budgets")


def test_report_without_runs_has_no_approach2(fast_report):
    first, sec, _ = fast_report()
    assert sec is None and "Approach 2" not in first


def _store(path, finished_store):
    """A lab store: 4 budgets × 7 sizes under Epoch's law with 0.3% noise, and one held-out run beyond them."""
    rng = np.random.default_rng(0)
    plans = [(c, int(np.sqrt(c / 120) * k), "train") for c in (1e15, 4e15, 1.6e16, 6.4e16)
             for k in np.logspace(-0.6, 0.6, 7)] + [(5e17, int(np.sqrt(5e17 / 120)), "holdout")]
    return finished_store(path, plans, lambda i, n, t: predict(EPOCH_2024, n, t) * np.exp(0.003 * rng.standard_normal()))


def test_unlabelled_runs_with_noisy_compute_get_the_figures_budgets_and_off_grid_runs_are_counted(fast_report):
    """One grouper: without a budget column the report's Approach 2 uses the budgets the IsoFLOP figure finds
    (fit.approach2.budget_labels, which tolerates the ~3% noise of digitised 6ND), not exactly equal FLOPs."""
    from scalinglab.fit.approach2 import budget_labels

    d = _design([1e18, 1e19, 1e20], sizes=7, seed=4)
    jitter = np.exp(0.03 * np.sin(np.arange(d["n_tokens"].size)))  # FLOPs no longer exactly equal
    n = np.append(d["n_params"], 3e8)
    tok = np.append(d["n_tokens"] * jitter, 2e9)  # one run off the grid
    loss = np.append(d["loss"], float(predict(EPOCH_2024, 3e8, 2e9)))
    labels = budget_labels(6 * n * tok)
    assert labels is not None and np.unique(labels[np.isfinite(labels)]).size == 3 and np.isnan(labels[-1])
    _, sec, _ = fast_report(runs={"n_params": n, "n_tokens": tok, "loss": loss}, n_bootstrap=20, seed=0)
    assert sec is not None and "not an IsoFLOP design" not in sec
    assert "1 run in no IsoFLOP budget" in sec
    keep = np.isfinite(labels)
    want = fit_approach2(Runs.from_arrays(n[keep], tok[keep], loss[keep]), budgets=labels[keep],
                         n_bootstrap=20, seed=0).profiles
    assert f"{want.n_opt_fit.exponent:.3f}" in sec
