"""`scalinglab next-runs`: a proposal from a saved fit, as a table, as JSON and as a lab sweep file that the lab
reads back; one-line refusals."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

from scalinglab.fit import Runs, fit_law
from scalinglab.lab._sweep_file import read_sweep_file
from scalinglab.laws.chinchilla import ChinchillaParams, predict
from scalinglab.laws.io import save_fitted

#: a law at the lab's scale (thousands to a million parameters)
LAB = ChinchillaParams(E=1.2, A=60.0, B=400.0, alpha=0.35, beta=0.35)


@pytest.fixture(scope="module")
def law_file(tmp_path_factory):
    n, d = (v.ravel() for v in np.meshgrid(np.logspace(4, 6, 5), np.logspace(6, 8, 5)))
    loss = predict(LAB, n, d) * np.exp(0.01 * np.random.default_rng(0).standard_normal(n.size))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = fit_law(Runs.from_arrays(n, d, loss), "chinchilla", n_bootstrap=40, seed=0, starts="coarse")
    path = tmp_path_factory.mktemp("law") / "fit.json"
    save_fitted(fitted, path)
    return str(path)


ARGS = ("--target", "n_opt@1e14", "-k", "4", "--max-flops", "1e13", "--budget-total", "3e13")


def test_json_shape_and_limits(run, law_file):
    code, out, err = run("next-runs", "--law", law_file, *ARGS, "--json")
    assert code == 0, err
    d = json.loads(out)
    assert d["target"]["label"] == "n_opt@1e+14" and d["target"]["kind"] == "n_opt"
    assert d["level"] == 0.9 and d["interval"][0] < d["value"] < d["interval"][1]
    assert d["limits"] == {"max_flops": 1e13, "budget_total": 3e13}
    assert len(d["runs"]) == 4 and d["sweep_file"] is None and d["law"] == "fitted"
    keys = {"n_params", "n_tokens", "tokens_per_param", "flops", "cumulative_flops", "expected_width_decades",
            "expected_width_ratio", "expected_interval", "predicted_loss", "loss_sd_log"}
    assert all(set(r) == keys for r in d["runs"])
    assert all(r["flops"] <= 1e13 * (1 + 1e-9) for r in d["runs"]) and d["total_flops"] <= 3e13 * (1 + 1e-9)
    widths = [d["width_now_decades"]] + [r["expected_width_decades"] for r in d["runs"]]
    assert widths == sorted(widths, reverse=True) and widths[-1] < widths[0]
    for r in d["runs"]:  # the expected interval: the one now, narrowed about its log-centre
        lo, hi = r["expected_interval"]
        assert d["interval"][0] < lo < hi < d["interval"][1]
        assert np.log10(hi / lo) == pytest.approx(r["expected_width_decades"])
    assert "Kalman" in d["criterion"] and d["rank"] == "drop"


def test_table_output(run, law_file):
    code, out, err = run("next-runs", "--law", law_file, *ARGS)
    assert code == 0, err
    assert "n_opt@1e+14" in out and "4 runs, in the order picked" in out and "criterion:" in out
    assert "decades" in out


def test_sweep_file_round_trip(run, law_file, tmp_path):
    sweep = tmp_path / "proposal.toml"
    code, out, err = run("next-runs", "--law", law_file, *ARGS, "--sweep-out", str(sweep), "--sweep-name", "nxt",
                         "--json")
    assert code == 0, err
    proposed = json.loads(out)["runs"]
    name, runs = read_sweep_file(sweep)
    assert name == "nxt" and len(runs) == len(proposed)
    for (cfg, budget, holdout), p in zip(runs, proposed):
        assert cfg.shape.scaling_params() == pytest.approx(p["n_params"], rel=0.15)  # shapes are discrete
        assert cfg.n_tokens == pytest.approx(p["n_tokens"], rel=0.02)  # whole optimizer steps
        assert cfg.steps >= 50 and budget is None and holdout is False and cfg.tag == "nxt"


def test_sweep_out_refuses_models_beyond_the_lab(run, law_file, tmp_path):
    cand = tmp_path / "cand.csv"
    cand.write_text("N,D\n2e8,4e9\n3e5,1e8\n")
    sweep = tmp_path / "big.toml"
    code, _, err = run("next-runs", "--law", law_file, "--target", "n_opt@1e14", "-k", "2", "--max-flops", "1e19",
                       "--candidates", str(cand), "--sweep-out", str(sweep))
    assert code == 1 and "N <= 1e+08" in err and "N = 2e+08" in err and "fitted on lab runs" in err
    assert not sweep.exists()


@pytest.mark.parametrize("args, words", [
    (("--law", "epoch2024", "--target", "n_opt@1e22", "--max-flops", "1e20"), "--n-bootstrap"),
    (("--target", "nopt@1e14", "--max-flops", "1e13"), "must be one of n_opt"),
    (("--target", "n_opt@1e14"), "needs a cost limit"),
    (("--target", "n_opt@1e14", "--max-flops", "1e14", "--budget-total", "1e13"), "must not exceed"),
    (("--target", "n_opt@1e14", "--max-flops", "1e13", "--candidates", "c.csv", "--min-ratio", "5"),
     "cannot act with --candidates"),
    (("--target", "n_opt@1e14", "--max-flops", "1e13", "--candidates", "c.csv", "--min-tokens", "1e7"),
     "cannot act with --candidates"),
    (("--target", "n_opt@1e14", "--max-flops", "1e13", "--sweep-name", "x"), "without --sweep-out"),
    (("--target", "n_opt@1e14", "--max-flops", "1e13", "--rank", "best"), "'--rank' option must be one of"),
    (("--target", "n_opt@1e14", "--max-flops", "1e5"), "must train the smallest candidate"),
])
def test_refusals_are_one_line(run, law_file, args, words):
    argv = ("next-runs",) + (args if args[0] == "--law" else ("--law", law_file) + args)
    code, out, err = run(*argv)
    assert code == 1 and words in err and "Traceback" not in err
    assert len(err.strip().splitlines()) <= 3  # one line, wrapped at most by the terminal width
