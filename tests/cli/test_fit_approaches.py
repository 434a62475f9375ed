"""`scalinglab fit --approach isoflop|envelope` and duplicate handling."""

import csv
import json

import numpy as np
import pytest

from scalinglab.laws import ChinchillaParams
from scalinglab.laws.chinchilla import predict

TRUE = ChinchillaParams(E=1.8, A=450.0, B=2000.0, alpha=0.34, beta=0.36)
A_TRUE = TRUE.beta / (TRUE.alpha + TRUE.beta)


def _write(path, rows, fields):
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        w.writerows(rows)


@pytest.fixture
def isoflop_csv(tmp_path):
    rows = []
    for c in np.logspace(18, 21, 7):
        n_mid = float(np.sqrt(c / 6 / 20))
        for n in n_mid * np.logspace(-0.6, 0.6, 9):
            rows.append({"N": n, "C": c, "loss": float(predict(TRUE, n, c / (6 * n)))})
    rows.append(dict(rows[0]))  # one exact duplicate
    path = tmp_path / "iso.csv"
    _write(path, rows, ["N", "C", "loss"])
    return path


def test_isoflop_approach_recovers_exponent(run, isoflop_csv):
    base = ("fit", str(isoflop_csv), "--n-params-col", "N", "--flops-col", "C", "--loss-col", "loss")
    code, _, err = run(*base, "--approach", "isoflop")
    assert code == 1 and "duplicate rows 1, 64" in err and len(err.strip().splitlines()) == 1
    code, out, err = run(*base, "--approach", "isoflop", "--drop-duplicates", "--profile", "smooth", "--json")
    assert code == 0, err
    d = json.loads(out)
    assert d["approach"] == "isoflop"
    assert d["n_opt_fit"]["exponent"] == pytest.approx(A_TRUE, abs=0.01)


def test_envelope_approach_needs_checkpoints(run, tmp_path):
    rows = []
    for i, n in enumerate(np.logspace(7, 9, 12)):
        for t in np.logspace(8, 11, 30):
            rows.append({"run": f"r{i}", "N": n, "D": 1e11, "seen": t, "loss": float(predict(TRUE, n, t))})
    path = tmp_path / "curves.csv"
    _write(path, rows, ["run", "N", "D", "seen", "loss"])
    base = ("fit", str(path), "--n-params-col", "N", "--n-tokens-col", "seen", "--loss-col", "loss")
    code, _, err = run(*base, "--approach", "envelope")
    assert code == 1 and "'--run-col' and '--tokens-seen-col'" in err
    code, out, err = run(*base, "--approach", "envelope", "--run-col", "run", "--tokens-seen-col", "seen", "--json")
    assert code == 0, err
    d = json.loads(out)
    assert d["n_opt_fit"]["exponent"] == pytest.approx(A_TRUE, abs=0.03)
    assert d["identification"]["status"] == "unchecked"  # 12 sizes lead in turn; no bootstrap


def test_unknown_approach_is_one_line(run, isoflop_csv):
    code, _, err = run("fit", str(isoflop_csv), "--n-params-col", "N", "--flops-col", "C", "--loss-col", "loss",
                       "--approach", "magic")
    assert code == 1 and "'approach' parameter must be one of" in err


@pytest.mark.shared_data
def test_family_data_constrained_from_the_cli(run, shared_data, tmp_path):
    path = shared_data / "datablations" / "datablations_contour_losses.csv"
    base = ("fit", str(path), "--n-params-col", "num_params", "--n-tokens-col", "token_num", "--loss-col",
            "openLM_loss", "--family", "data-constrained")
    code, _, err = run(*base)
    assert code == 1 and "needs the unique tokens" in err and len(err.strip().splitlines()) == 1
    code, out, err = run(*base, "--unique-tokens-col", "tokens_per_epoch", "--out", str(tmp_path / "dc.json"),
                         "--json")
    assert code == 0, err
    d = json.loads(out)
    assert d["family"] == "data-constrained" and d["params"]["R_D*"] == pytest.approx(15.39, rel=0.1)
    code, out, err = run("plan", "--unique-tokens", "25B", "--flops", "9.26e21", "--law", str(tmp_path / "dc.json"),
                         "--json")
    assert code == 0, err
    assert json.loads(out)["epochs"] > 1


# --- Approach 2's uncertainty and verdict (docs/approaches.md, "Identification") -------------------------------

def _fit_iso(run, path, *extra):
    return run("fit", str(path), "--n-params-col", "N", "--flops-col", "C", "--loss-col", "loss", "--approach",
               "isoflop", *extra)


def test_isoflop_table_shows_interval_r2_budgets_and_resamples(run, isoflop_csv):
    code, out, err = _fit_iso(run, isoflop_csv, "--drop-duplicates", "--n-bootstrap", "20", "--json")
    assert code == 0, err
    d = json.loads(out)
    lo, hi = d["n_opt_fit"]["interval"]
    assert d["level"] == 0.9 and d["identification"]["status"] == "identified"
    code, out, err = _fit_iso(run, isoflop_csv, "--drop-duplicates", "--n-bootstrap", "20")
    assert code == 0, err
    row = next(ln for ln in out.splitlines() if "N*(C)" in ln and "│" in ln)
    assert f"{d['a']:.4f}" in row and f"({lo:.3f}, {hi:.3f})" in row and f"{d['n_opt_fit']['r2']:.3f}" in row
    assert "7/7" in row and "20/20" in row
    assert "90% interval" in out and "identification: identified (7 budgets with an interior minimum" in out


def test_isoflop_without_bootstrap_is_unchecked(run, isoflop_csv):
    code, out, err = _fit_iso(run, isoflop_csv, "--drop-duplicates")
    assert code == 0, err
    assert "not measured" in out and "identification: unchecked (no bootstrap" in out


def test_isoflop_two_budgets_are_exactly_determined(run, tmp_path):
    rows = [{"N": n, "C": c, "loss": float(predict(TRUE, n, c / (6 * n)))}
            for c in (1e19, 1e21) for n in np.sqrt(c / 6 / 20) * np.logspace(-0.6, 0.6, 7)]
    _write(tmp_path / "two.csv", rows, ["N", "C", "loss"])
    code, out, err = _fit_iso(run, tmp_path / "two.csv", "--n-bootstrap", "10")
    assert code == 0, err
    assert ("NOT IDENTIFIED: only 2 budgets have an interior minimum: the exponent is exactly determined by two "
            "points and has no error estimate") in out
    code, out, err = _fit_iso(run, tmp_path / "two.csv", "--json")
    d = json.loads(out)
    assert d["identification"]["status"] == "not identified" and d["n_budgets_used"] == 2


def test_isoflop_budget_width_says_the_runs_are_not_an_isoflop_design(run, tmp_path):
    rng = np.random.default_rng(0)
    rows = []
    for c in np.logspace(18, 21, 7):
        for n in np.sqrt(c / 6 / 20) * np.logspace(-0.6, 0.6, 9):
            cj = c * np.exp(0.1 * rng.standard_normal())  # every run its own compute
            rows.append({"N": n, "C": cj, "loss": float(predict(TRUE, n, cj / (6 * n)))})
    _write(tmp_path / "scatter.csv", rows, ["N", "C", "loss"])
    code, out, err = _fit_iso(run, tmp_path / "scatter.csv")
    assert code == 0, err
    assert "NOT IDENTIFIED: none of the 63 budgets has an interior minimum" in out
    assert "63 budgets have fewer than 3 distinct sizes" in out
    code, out, err = _fit_iso(run, tmp_path / "scatter.csv", "--budget-width", "0.2")
    assert code == 0, err
    assert ("note: not an IsoFLOP design: budgets are runs grouped by FLOPs (chained at gaps < 0.2 decades" in out
            and "so the exponent depends on the grouping" in out)


def _store_with(write, path, plans):
    """A finished lab store (``write``: the finished_store fixture): ``plans`` of (budget, N, final loss, role)."""
    return write(path, [(c, n, role) for c, n, _, role in plans],
                                lambda i, n, t: np.full(t.size, plans[i][2]))


def test_isoflop_smoke_store_reports_not_identified_and_exits_0(run, tmp_path, finished_store):
    # the losses of `lab sweep --preset smoke` (2 budgets × 3 sizes): both parabolas open downward
    db = _store_with(finished_store, tmp_path / "lab.db", [
        (2e9, 1428, 3.3527, "train"), (2e9, 4836, 3.4486, "train"), (2e9, 9980, 3.4108, "train"),
        (6e9, 1428, 2.9699, "train"), (6e9, 4836, 3.2406, "train"), (6e9, 16660, 3.4092, "train"),
        (2e10, 7200, 3.1, "holdout")])
    code, out, err = run("fit", "--store", str(db), "--approach", "isoflop", "--n-bootstrap", "20")
    assert code == 0, err
    assert "Traceback" not in err and "error" not in err
    assert "NOT IDENTIFIED: none of the 2 budgets has an interior minimum" in out
    assert "2 parabolas open downward (C = " in out and "at least 3 compute budgets" in out
    assert "held-out runs: 1, not scored" in out
    code, out, err = run("fit", "--store", str(db), "--approach", "isoflop", "--json")
    assert code == 0, err
    d = json.loads(out)
    assert d["a"] is None and d["identification"]["status"] == "not identified"
    assert d["holdout"]["frontier"] is None


def test_envelope_with_one_leading_size_is_not_identified(run, tmp_path):
    rows = [{"run": f"r{i}", "N": n, "seen": t, "loss": float(predict(TRUE, n, t))}
            for i, n in enumerate(np.logspace(7, 9, 3)) for t in np.logspace(8, 11, 30)]
    _write(tmp_path / "three.csv", rows, ["run", "N", "seen", "loss"])
    code, out, err = run("fit", str(tmp_path / "three.csv"), "--n-params-col", "N", "--n-tokens-col", "seen",
                         "--loss-col", "loss", "--approach", "envelope", "--run-col", "run", "--tokens-seen-col",
                         "seen")
    assert code == 0, err
    assert "NOT IDENTIFIED: N*(C) takes only 1 distinct size over the fitted compute range" in out
    assert "90% interval" in out and "not measured" in out
