"""`scalinglab downstream fit|predict`: a two-step fit from a runs file, saved and used to predict, and one-line
errors for bad input."""

import json

import numpy as np
import pytest

from scalinglab.laws.chinchilla import Chinchilla, ChinchillaParams
from scalinglab.laws.downstream import ScoreMap
from scalinglab.laws.family import FIT_CITATION

LOSS = Chinchilla("t", ChinchillaParams(E=0.5, A=50.0, B=200.0, alpha=0.3, beta=0.3), FIT_CITATION)
MAPS = {"easy": ScoreMap.sigmoid(-0.7, 0.9, 5.0, 0.95), "hard": ScoreMap.sigmoid(-0.5, 1.0, 3.0, 1.0)}


def _write(path, sizes=(1e8, 2e8, 4e8, 8e8), mults=(20, 40, 100, 200), checkpoints=4, seed=0):
    rng = np.random.default_rng(seed)
    lines = ["run,params,tokens," + ",".join(f"{t},{t}_loss" for t in MAPS)]
    for n in sizes:
        for m in mults:
            for frac in np.linspace(0.25, 1.0, checkpoints):
                d = frac * m * n
                loss = LOSS.loss(n, d) * np.exp(rng.normal(0, 0.003))
                cells = [f"{mp.score(loss) + rng.normal(0, 0.003):.5f},{loss:.5f}" for mp in MAPS.values()]
                lines.append(f"{n:g}x{m},{n:g},{d:g}," + ",".join(cells))
    path.write_text("\n".join(lines) + "\n")
    return str(path)


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    from scalinglab.cli import main

    d = tmp_path_factory.mktemp("ds")
    out = d / "fit.json"
    try:
        main(["downstream", "fit", _write(d / "runs.csv"), "--task", "easy,hard", "--n-bootstrap", "10",
              "-o", str(out), "--json"])
    except SystemExit as exc:
        assert exc.code in (0, None)
    return d, out


def test_fit_saves_a_chain_per_task_and_predict_gives_both_bands(run, fitted):
    d, fit_file = fitted
    doc = json.loads(fit_file.read_text())
    assert doc["format"] == "scalinglab.downstream-fit" and [c["target"] for c in doc["chains"]] == ["easy", "hard"]
    code, out, err = run("downstream", "predict", str(fit_file), "--n-params", "10B", "--tokens", "200B", "--json")
    assert code == 0, err
    r = json.loads(out)
    assert r["n_params"] == 1e10 and "mean score curve" in r["bands"]["mean"]
    assert "one new model" in r["bands"]["prediction"]
    for p in r["predictions"]:
        truth = MAPS[p["target"]].score(LOSS.loss(1e10, 2e11))
        assert p["metric"] == "accuracy" and abs(p["accuracy"] - truth) < 0.02
        lo, hi = p["prediction_band"]
        assert lo <= p["mean_band"][0] <= p["accuracy"] <= p["mean_band"][1] <= hi and lo <= truth <= hi
    code, out, _ = run("downstream", "predict", str(fit_file), "--n-params", "10B", "--tokens", "200B",
                       "--target", "hard")
    assert code == 0 and "│ hard" in out and "│ easy" not in out and "new-model" in out


def test_fit_prints_a_table_without_json(run, fitted):
    d, _ = fitted
    code, out, err = run("downstream", "fit", str(d / "runs.csv"), "--task", "easy", "--n-bootstrap", "0",
                         "--method", "ladder")
    assert code == 0, err
    assert "Acc(L) = a / (1 + exp(-k * (L - L0))) + b" in out and "16/16" in out


@pytest.mark.parametrize("args,message", [
    (["--task", "easy", "--method", "chained"], "error: The --method must be one of gadre, ladder. Got 'chained'."),
    (["--task", "mmlu"], "error: Task 'mmlu' must have an accuracy column 'mmlu' in runs.csv."),
    (["--task", "easy", "--method", "gadre"], "error: The runs must have a loss column shared by every task"),
    (["--task", "easy", "--step1-runs", "nope"], "error: Run 'nope' in step1_runs must be a run of the runs."),
])
def test_bad_fits_are_one_line(run, fitted, args, message):
    d, _ = fitted
    code, out, err = run("downstream", "fit", str(d / "runs.csv"), "--n-bootstrap", "0", *args)
    assert code == 1 and err.startswith(message) and len(err.strip().splitlines()) == 1, err


def test_accuracy_in_percent_and_too_few_runs_are_one_line(run, tmp_path):
    p = tmp_path / "pct.csv"
    p.write_text("run,params,tokens,easy,easy_loss\na,1e8,2e9,45.1,1.0\n")
    code, _, err = run("downstream", "fit", str(p), "--task", "easy")
    assert code == 1 and "Column 'easy' row 1 must be an accuracy in [0, 1]. Got '45.1' (a percentage?" in err
    few = _write(tmp_path / "few.csv", sizes=(1e8, 2e8), mults=(20, 40))
    code, _, err = run("downstream", "fit", few, "--task", "easy", "--n-bootstrap", "0")
    assert code == 1 and "error: Step 1 (chinchilla law) of 'easy' needs at least 6 runs" in err


def test_predict_refuses_a_file_that_is_not_a_downstream_fit_and_bad_sizes(run, fitted, tmp_path):
    d, fit_file = fitted
    other = tmp_path / "law.json"
    other.write_text(json.dumps({"format": "scalinglab.law"}))
    code, _, err = run("downstream", "predict", str(other), "--n-params", "1B", "--tokens", "1T")
    assert code == 1 and "'format' field must be 'scalinglab.downstream-fit'" in err
    code, _, err = run("downstream", "predict", str(fit_file), "--n-params", "-1", "--tokens", "1T")
    assert code == 2 and "n_params" in err
    code, _, err = run("downstream", "predict", str(fit_file), "--n-params", "1B", "--tokens", "1T", "--target", "x")
    assert code == 1 and "The 'target' parameter must be one of easy, hard. Got 'x'." in err


@pytest.mark.shared_data
def test_gadre_split_from_the_command_line(run, shared_data, tmp_path):
    from _gadre_downstream import SUBSET, TARGETS, average_error, gadre_table, rows, step1_names

    table = gadre_table(shared_data, tmp_path / "gadre.csv")
    out = tmp_path / "g.json"
    code, _, err = run("downstream", "fit", str(table), "--method", "gadre", "--task", ",".join(SUBSET),
                       "--step1-runs", ",".join(step1_names(shared_data)), "--n-bootstrap", "0", "-o", str(out))
    assert code == 0, err
    r = rows(shared_data)[TARGETS["1.4B M=640"]]
    code, stdout, err = run("downstream", "predict", str(out), "--n-params", r["params"], "--tokens", r["tokens"],
                            "--json")
    assert code == 0, err
    p = json.loads(stdout)["predictions"][0]
    assert p["target"] == "average" and p["metric"] == "error"
    assert abs(p["error"] - average_error(r)) / average_error(r) * 100 == pytest.approx(3.6365, abs=5e-4)


def test_fit_draws_predicted_against_actual(run, fitted, tmp_path):
    d, _ = fitted
    fig = tmp_path / "pva.png"
    code, out, err = run("downstream", "fit", str(d / "runs.csv"), "--task", "easy,hard", "--n-bootstrap", "0",
                         "--figure", str(fig), "--json")
    assert code == 0, err
    assert json.loads(out)["figure"] == str(fig) and fig.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    code, _, err = run("downstream", "fit", str(d / "runs.csv"), "--task", "easy", "--figure", str(tmp_path / "f.gif"))
    assert code == 1 and "The '--figure' file must end in .png, .svg or .pdf" in err


def test_report_shows_task_scores_predicted_against_actual(run, fitted, tmp_path):
    d, fit_file = fitted
    out = tmp_path / "r.html"
    code, _, err = run("report", "--law", "epoch2024", "--downstream", str(fit_file), "--downstream-runs",
                       str(d / "runs.csv"), "--out", str(out))
    assert code == 0, err
    html = out.read_text()
    section = html[html.index('id="downstream"'):]
    assert "Task scores, predicted against actual" in section and "easy" in section and "hard" in section
    assert "mean |pred − actual| (points)" in section and "data:image/png;base64," in section
    code, _, err = run("report", "--law", "epoch2024", "--downstream-runs", str(d / "runs.csv"), "--out", str(out))
    assert code == 1 and "needs --downstream" in err
