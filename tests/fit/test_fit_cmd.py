from __future__ import annotations

import json

import pytest


@pytest.fixture
def runs_csv(make_runs, tmp_path):
    runs = make_runs(noise=0.01)
    p = tmp_path / "runs.csv"
    lines = ["N,C,loss"] + [f"{float(n)!r},{float(6 * n * d)!r},{float(y)!r}" for n, d, y in zip(runs.n_params, runs.n_tokens, runs.loss)]
    p.write_text("\n".join(lines) + "\n")
    return p


def test_fit_cmd_json_has_params_starts_intervals_audit(run, runs_csv, tmp_path):
    code, out, _ = run("fit", str(runs_csv), "--n-params-col", "N", "--flops-col", "C", "--loss-col",
                        "loss", "--starts", "coarse", "--n-bootstrap", "30", "--audit", "--json",
                        "--out", str(tmp_path / "fit.json"))
    assert code == 0
    rep = json.loads(out)
    assert set(rep["params"]) == {"E", "A", "B", "alpha", "beta"}
    # variable projection: the coarse grid's 243 points hold 9 distinct (alpha, beta)
    assert rep["starts"]["method"] == "varpro" and rep["starts"]["grid_points"] == 243
    assert rep["starts"]["total"] == 9 and 1 <= rep["starts"]["best"] <= 9
    assert {"objective", "seconds", "n_runs", "intervals", "audit"} <= set(rep)
    assert (tmp_path / "fit.json").exists()


def test_fit_cmd_joint_method_searches_every_grid_point(run, runs_csv):
    code, out, _ = run("fit", str(runs_csv), "--n-params-col", "N", "--flops-col", "C", "--loss-col",
                        "loss", "--starts", "coarse", "--method", "joint", "--json")
    assert code == 0
    s = json.loads(out)["starts"]
    assert s["method"] == "joint" and s["total"] == s["grid_points"] == 243


def test_fit_cmd_rejects_unknown_method(run, runs_csv):
    code, _, err = run("fit", str(runs_csv), "--n-params-col", "N", "--flops-col", "C", "--loss-col",
                       "loss", "--method", "newton")
    assert code != 0 and "method" in err and "newton" in err


def test_fit_cmd_table_output(run, runs_csv):
    code, out, _ = run("fit", str(runs_csv), "--n-params-col", "N", "--flops-col", "C",
                        "--loss-col", "loss", "--starts", "coarse")
    assert code == 0 and "alpha" in out and "starts reached it" in out


def test_fit_cmd_missing_column_is_one_red_line(run, runs_csv):
    code, out, err = run("fit", str(runs_csv), "--n-params-col", "params", "--flops-col", "C",
                          "--loss-col", "loss")
    assert code == 1 and out == ""
    assert "Column 'params' must exist" in err and "Traceback" not in err
