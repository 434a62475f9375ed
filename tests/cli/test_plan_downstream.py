"""`scalinglab plan --downstream FIT`: a plan states each task's predicted score at its N and D."""

import json

import numpy as np
import pytest

from scalinglab.fit import TaskRuns, fit_downstream
from scalinglab.laws import save_downstream
from scalinglab.laws.chinchilla import Chinchilla, ChinchillaParams
from scalinglab.laws.downstream import ScoreMap
from scalinglab.laws.family import FIT_CITATION
from scalinglab.plan import plan_params, plan_scores

LOSS = Chinchilla("t", ChinchillaParams(E=0.5, A=50.0, B=200.0, alpha=0.3, beta=0.3), FIT_CITATION)
MAP = ScoreMap.sigmoid(-0.7, 0.9, 5.0, 0.95)


@pytest.fixture(scope="module")
def fit_file(tmp_path_factory):
    rng = np.random.default_rng(0)
    run, n, d, acc, tl = [], [], [], [], []
    for size in (1e8, 2e8, 4e8, 8e8):
        for m in (20, 40, 100, 200):
            loss = LOSS.loss(size, m * size) * np.exp(rng.normal(0, 0.003))
            for column, value in ((run, f"{size:g}x{m}"), (n, size), (d, m * size), (tl, loss),
                                  (acc, MAP.score(loss) + rng.normal(0, 0.003))):
                column.append(value)
    runs = TaskRuns.from_arrays(run, n, d, {"qa": acc}, task_loss={"qa": tl})
    fit = fit_downstream(runs, "ladder", n_bootstrap=8, step2_points="final")
    return fit, save_downstream(fit, tmp_path_factory.mktemp("pd") / "fit.json")


def test_plan_json_carries_each_tasks_score_at_the_planned_size(run, fit_file):
    fit, path = fit_file
    code, out, err = run("plan", "--params", "5B", "--tokens-per-param", "40", "--downstream", str(path), "--json")
    assert code == 0, err
    r = json.loads(out)
    scores = r["downstream"]
    assert scores["method"] == "ladder" and "one new model" in scores["bands"]["prediction"]
    (p,) = scores["predictions"]
    assert p["target"] == "qa" and p["n_params"] == pytest.approx(5e9) and p["n_tokens"] == pytest.approx(2e11)
    truth = MAP.score(LOSS.loss(5e9, 2e11))
    assert abs(p["accuracy"] - truth) < 0.02 and p["prediction_band"][0] <= truth <= p["prediction_band"][1]
    lib = plan_scores(plan_params(5e9, tokens_per_param=40), fit)[0]
    assert lib.score == pytest.approx(p["accuracy"])


def test_plan_prints_the_scores_and_refuses_a_task_without_a_fit(run, fit_file):
    _, path = fit_file
    code, out, err = run("plan", "--flops", "1e22", "--downstream", str(path), "--task", "qa")
    assert code == 0, err
    assert "predicted task scores" in out and "qa" in out and "new-model" in out
    code, _, err = run("plan", "--flops", "1e22", "--task", "qa")
    assert code == 1 and "'--task' option picks tasks of a --downstream fit" in err
    code, _, err = run("plan", "--flops", "1e22", "--downstream", str(path), "--task", "mmlu")
    assert code == 1 and "The 'target' parameter must be one of qa. Got 'mmlu'." in err
