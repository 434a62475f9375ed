"""Two-step downstream fits on synthetic runs with known laws: recovery, bands, pairing, failure modes, files."""

import json

import numpy as np
import pytest

from scalinglab.errors import ConfigError, DataError
from scalinglab.fit import TaskRuns, fit_downstream, fit_score_map
from scalinglab.laws import load_downstream, save_downstream
from scalinglab.laws.chinchilla import Chinchilla, ChinchillaParams
from scalinglab.laws.downstream import ScoreMap
from scalinglab.laws.family import FIT_CITATION

TRUE_LOSS = Chinchilla("truth", ChinchillaParams(E=0.5, A=50.0, B=200.0, alpha=0.3, beta=0.3), FIT_CITATION)
TRUE_MAP = ScoreMap.sigmoid(a=-0.7, L0=0.9, k=5.0, b=0.95)
TARGET = (1e10, 2e11)  # beyond every run: about 40x the largest run's compute


def _ladder(noise=0.004, seed=0, sizes=(1e8, 2e8, 4e8, 8e8), mults=(20, 40, 100, 200), checkpoints=12):
    """16 runs, each evaluated at ``checkpoints`` token counts; task loss from TRUE_LOSS, accuracy TRUE_MAP."""
    rng = np.random.default_rng(seed)
    run, n, d, acc, tl = [], [], [], [], []
    for size in sizes:
        for m in mults:
            for frac in np.linspace(0.1, 1.0, checkpoints):
                tokens = frac * m * size
                loss = TRUE_LOSS.loss(size, tokens) * np.exp(rng.normal(0, noise))
                run.append(f"{size:g}x{m}")
                n.append(size)
                d.append(tokens)
                tl.append(loss)
                acc.append(float(np.clip(TRUE_MAP.score(loss) + rng.normal(0, noise), 0, 1)))
    return TaskRuns.from_arrays(run, n, d, {"task": acc}, task_loss={"task": tl})


@pytest.fixture(scope="module")
def ladder_fit():
    # the synthetic losses keep falling to the last evaluation (no annealed plateau), so a run's point for step 1
    # is its last evaluation, not the recipe's mean of the last five
    return fit_downstream(_ladder(), "ladder", n_bootstrap=30, seed=1, final_window=1)


def test_score_maps_recover_their_parameters_from_synthetic_points():
    loss = np.linspace(0.5, 1.5, 60)
    fit = fit_score_map(loss, TRUE_MAP.score(loss), "sigmoid")
    assert np.allclose(fit.theta, TRUE_MAP.theta, rtol=1e-6) and fit.n_best == fit.n_starts
    gadre = ScoreMap.exponential(k=2.2, gamma=0.71, epsilon=0.86)
    loss = np.linspace(2.5, 5.5, 8)
    fit = fit_score_map(loss, gadre.score(loss), "exponential")
    assert np.allclose(fit.theta, gadre.theta, rtol=1e-5)


def test_huber_resists_outliers_that_pull_least_squares():
    rng = np.random.default_rng(3)
    loss = np.linspace(0.5, 1.5, 80)
    acc = TRUE_MAP.score(loss) + rng.normal(0, 0.003, loss.size)
    acc[::10] = 0.25  # eight evaluations broken (chance level)
    mse = fit_score_map(loss, acc, "sigmoid")
    huber = fit_score_map(loss, acc, "sigmoid", objective="huber", delta=0.01)
    grid = np.linspace(0.5, 1.5, 11)
    err_mse = np.abs(mse.map.score(grid) - TRUE_MAP.score(grid)).max()
    err_huber = np.abs(huber.map.score(grid) - TRUE_MAP.score(grid)).max()
    assert err_huber < 0.01 < err_mse


def test_the_chain_recovers_the_truth_beyond_its_runs(ladder_fit):
    chain = ladder_fit.chains["task"]
    n, d = TARGET
    truth = TRUE_MAP.score(TRUE_LOSS.loss(n, d))
    pred = chain.predict(n, d)
    assert pred.metric == "accuracy" and abs(pred.score - truth) < 0.01
    assert pred.loss == pytest.approx(TRUE_LOSS.loss(n, d), rel=0.02)
    lo, hi = pred.prediction_band
    mlo, mhi = pred.mean_band
    assert lo <= truth <= hi and lo <= mlo <= pred.score <= mhi <= hi
    assert 0 < mhi - mlo < hi - lo < 0.2
    assert not pred.loss_extrapolated or pred.loss < chain.loss_range[0]


def test_both_steps_are_refitted_on_the_same_resamples(ladder_fit):
    chain = ladder_fit.chains["task"]
    assert len(chain.loss_fit.samples) == len(chain.score_samples) == 30
    # a resample's two refits move together: the correlation of step 1's E and step 2's L0 across refits
    # is whatever the data make it, but every refit is distinct (both steps were refitted)
    assert len({s.theta for s in chain.score_samples}) == 30
    assert ladder_fit.provenance["resample"].startswith("whole runs; both steps")


def test_a_saved_fit_predicts_the_same(tmp_path, ladder_fit):
    path = save_downstream(ladder_fit, tmp_path / "fit.json")
    again = load_downstream(path)
    n, d = TARGET
    assert again.predict(n, d)[0].as_dict() == ladder_fit.predict(n, d)[0].as_dict()
    doc = json.loads(path.read_text())
    doc["chains"][0]["step2"]["theta"] = [1.0, 2.0]
    path.write_text(json.dumps(doc))
    with pytest.raises(ConfigError, match=r"'chains\[0\]\.step2\.theta' field must be an array of the 4 numbers "
                                          r"\(a, L0, k, b\) of a sigmoid map"):
        load_downstream(path)
    doc["format_version"] = 7
    path.write_text(json.dumps(doc))
    with pytest.raises(ConfigError, match=r"'format_version' field must be 1"):
        load_downstream(path)


def test_too_few_runs_for_step_two_is_one_line():
    runs = _ladder(sizes=(1e8, 2e8), mults=(20, 40))  # 4 runs: enough for nothing with 4 and 5 parameters
    with pytest.raises(DataError, match=r"Step 1 \(chinchilla law\) of 'task' needs at least 6 runs"):
        fit_downstream(runs, "ladder", n_bootstrap=0)
    with pytest.raises(DataError, match=r"Step 2 \(sigmoid map from loss to accuracy\) of 'task' needs at least 5 "
                                        r"runs \(4 parameters and one to measure scatter\)\. Got 4\."):
        fit_downstream(runs, "ladder", n_bootstrap=0, family="power-law-c")


def test_bad_arguments_name_the_rule():
    runs = _ladder(checkpoints=2)
    with pytest.raises(ConfigError, match=r"'method' parameter must be one of gadre, ladder\. Got 'chained'"):
        fit_downstream(runs, "chained")
    with pytest.raises(ConfigError, match=r"method overrides must be among .*\. Got 'anchors'"):
        fit_downstream(runs, "ladder", anchors=None)
    with pytest.raises(ConfigError, match=r"'skip_fraction' parameter must be in \[0, 1\)\. Got 1\.5"):
        fit_downstream(runs, "ladder", skip_fraction=1.5)
    with pytest.raises(ConfigError, match=r"'n_bootstrap' parameter must be 0 or an integer >= 2\. Got 1"):
        fit_downstream(runs, "ladder", n_bootstrap=1)
    with pytest.raises(DataError, match=r"Task 'mmlu' must be among the tasks of the runs\. Got tasks: task"):
        fit_downstream(runs, "ladder", tasks=["mmlu"])
    with pytest.raises(DataError, match=r"must have a loss column shared by every task"):
        fit_downstream(runs, "gadre")
    with pytest.raises(DataError, match=r"Run 'zz' in step1_runs must be a run of the runs"):
        fit_downstream(runs, "ladder", step1_runs=["zz"])
