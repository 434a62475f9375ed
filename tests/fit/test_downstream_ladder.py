"""Bhagia et al.'s model ladder: fitted on the 16 ladder runs, the chained accuracies of the 7B-4T and 13B-5T
targets agree with the authors' own predictions to within 0.5 points per task (the repo's predict.py output:
reproduced_chained_predictions.csv; its 13B-5T rows equal figures/chained_main.csv), and the 90% prediction band
holds the actual accuracy for most tasks; the four tasks the README calls ill-conditioned are named by their
bands' width or by their step 1's verdict.
"""

import numpy as np
import pytest

from _ladder import HARD, TARGETS, TASKS, actual_accuracy, authors_predictions, ladder_table
from scalinglab.fit import fit_downstream, read_task_runs

pytestmark = pytest.mark.shared_data


@pytest.fixture(scope="module")
def ladder(shared_data, tmp_path_factory):
    runs = read_task_runs(ladder_table(shared_data, tmp_path_factory.mktemp("l") / "ladder.csv"), tasks=list(TASKS))
    fit = fit_downstream(runs, "ladder", n_bootstrap=40, seed=0)
    preds = {t: {p.target: p for p in fit.predict(*nd)} for t, nd in TARGETS.items()}
    return fit, preds, actual_accuracy(shared_data), authors_predictions(shared_data)


def test_the_ladder_table_is_the_authors_fitting_set(ladder):
    fit, *_ = ladder
    chain = fit.chains["mmlu"]
    assert chain.summary["n_runs_step1"] == 16 and chain.summary["n_runs_step2"] == 16
    # the README's example: MMLU 48.4 and 51.3 predicted against 49.0 and 51.6 actual
    _, preds, actual, _ = ladder
    assert round(100 * preds["7B-4T"]["mmlu"].score, 1) == 48.4 and round(100 * actual["7B-4T"]["mmlu"], 1) == 49.0
    assert round(100 * preds["13B-5T"]["mmlu"].score, 1) == 51.3 and round(100 * actual["13B-5T"]["mmlu"], 1) == 51.6


def test_chained_predictions_agree_with_the_authors_within_half_a_point(ladder):
    _, preds, _, authors = ladder
    for target in TARGETS:
        for task in TASKS:
            diff = abs(preds[target][task].score - authors[target][task]) * 100
            assert diff < 0.5, (target, task, diff)  # measured: below 0.01 points for all 16


def test_the_90_percent_band_holds_the_actual_accuracy_for_most_tasks(ladder):
    _, preds, actual, _ = ladder
    inside = [preds[t][task].prediction_band[0] <= actual[t][task] <= preds[t][task].prediction_band[1]
              for t in TARGETS for task in TASKS]
    assert sum(inside) >= 13  # measured: 16 of 16 (the mean band, a narrower claim, holds 10)
    for t in TARGETS:
        for p in preds[t].values():
            assert p.mean_band[0] <= p.score <= p.mean_band[1]
            assert p.prediction_band[0] <= p.mean_band[0] and p.mean_band[1] <= p.prediction_band[1]


def test_ill_conditioned_tasks_show_it_in_their_band_or_their_verdict(ladder):
    fit, preds, actual, _ = ladder
    for t in TARGETS:
        width = {task: np.subtract(*preds[t][task].prediction_band[::-1]) for task in TASKS}
        good = [w for task, w in width.items() if task not in HARD]
        for task in HARD:
            chain = fit.chains[task]
            wide = width[task] > max(good)
            degenerate = chain.loss_fit.identification.n_degenerate > 0.5 * chain.loss_fit.identification.n_refits
            assert wide or degenerate, (t, task, width[task], max(good))
        # the error of the hard tasks is what their bands are wide for: each lies inside its own band
        assert all(abs(preds[t][task].score - actual[t][task]) < width[task] for task in HARD)
