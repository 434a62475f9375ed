"""Gadre et al.'s split: the chained 17-task average top-1 error of the 1.4B M=640 and 6.9B M=20 runs, fitted on
the paper's small runs, misses by what the paper's own method gives on this data (3.6365%, 0.0464%).

The paper's method is recomputed here from its code (scaling/laws.py, scaling/shared.py ``fit_ds``): the loss
law ``powlaw_ours`` by ``curve_fit`` from their 128-point start grid on the five runs, the error law
``decay_ours`` by ``curve_fit`` from scipy's default start on six; the notebook printed 3.6365% and 0.0464%.
"""

import itertools

import numpy as np
import pytest
from scipy.optimize import curve_fit

from _gadre_downstream import PUBLISHED, STEP1, STEP2_EXTRA, SUBSET, TARGETS, average_error, gadre_table, rows
from scalinglab.fit import fit_downstream, read_task_runs
from scalinglab.laws import get_law
from scalinglab.laws.downstream import GADRE_2024_ERR17

pytestmark = pytest.mark.shared_data


def _paper_errors(by_key):
    """Relative errors (%) of the chained prediction, by the authors' own code path (inlined)."""
    def powlaw_ours(x, alpha, beta, b, E):
        return alpha * np.power(x[0], b) + beta * np.power(6, b / 2) * np.power(x[1] * x[0], b) + E

    def decay_ours(x, a, b, e):
        return e - a * np.exp(x) ** (-b)

    five = [by_key[k] for k in STEP1]
    ns = np.array([float(r["params"]) for r in five])
    ms = np.array([float(r["tokens"]) for r in five]) / ns
    ys = np.array([float(r["loss_c4_val"]) for r in five])
    best, popt = np.inf, None
    for p0 in itertools.product([1e2, 3e2, 1e3, 3e3], [1e2, 3e2, 1e3, 3e3], [-1e-1, -3e-1], [0.0, 1.0, 2.0, 10.0]):
        with np.errstate(all="ignore"):
            p, _ = curve_fit(powlaw_ours, np.array([ns, ms]), ys, p0=list(p0), maxfev=10000)
        res = ys - powlaw_ours(np.array([ns, ms]), *p)
        rmse = (np.sum(res**2) / (res.size - 2)) ** 0.5
        if rmse < best:
            best, popt = rmse, p
    six = five + [by_key[STEP2_EXTRA]]
    pd, _ = curve_fit(lambda t, a, b, e: e - a * np.exp(-b * t), [float(r["loss_c4_val"]) for r in six],
                      [average_error(r) for r in six], maxfev=10000)
    out = {}
    for name, key in TARGETS.items():
        r = by_key[key]
        n = float(r["params"])
        loss = powlaw_ours(np.array([[n], [float(r["tokens"]) / n]]), *popt)[0]
        actual = average_error(r)
        out[name] = abs(decay_ours(loss, *pd) - actual) / actual * 100
    return out


@pytest.fixture(scope="module")
def gadre(shared_data, tmp_path_factory):
    by_key = rows(shared_data)
    runs = read_task_runs(gadre_table(shared_data, tmp_path_factory.mktemp("g") / "gadre.csv"), tasks=SUBSET)
    fit = fit_downstream(runs, "gadre", step1_runs=[by_key[k]["name"] for k in STEP1], n_bootstrap=40)
    return by_key, fit


def test_chained_errors_equal_the_papers_method_on_this_data(gadre):
    by_key, fit = gadre
    chain = fit.chains["average"]
    assert chain.tasks == tuple(SUBSET) and chain.metric == "error"
    paper = _paper_errors(by_key)
    for name, key in TARGETS.items():
        r = by_key[key]
        actual = average_error(r)
        ours = abs(float(chain.score(float(r["params"]), float(r["tokens"]))) - actual) / actual * 100
        # ours: 3.6365% (1.4B, M=640), 0.0464% (6.9B, M=20); the paper's method on this data the same;
        # the notebook printed 3.6365% and 0.0464%
        assert ours == pytest.approx(paper[name], abs=1e-4), name
        assert ours == pytest.approx(PUBLISHED[name], abs=5e-4), name


def test_the_published_map_with_the_catalog_law_gives_the_same_errors(shared_data):
    by_key = rows(shared_data)
    law = get_law("gadre2024")
    for name, key in TARGETS.items():
        r = by_key[key]
        actual = average_error(r)
        err = abs(GADRE_2024_ERR17.score(law.loss(float(r["params"]), float(r["tokens"]))) - actual) / actual * 100
        assert err == pytest.approx(PUBLISHED[name], abs=5e-4), name


def test_five_runs_leave_a_wide_band_that_says_so(gadre):
    by_key, fit = gadre
    chain = fit.chains["average"]
    assert chain.summary["n_runs_step1"] == 5 and chain.summary["n_runs_step2"] == 6
    for key in TARGETS.values():
        r = by_key[key]
        pred = chain.predict(float(r["params"]), float(r["tokens"]))
        lo, hi = pred.prediction_band
        assert lo <= average_error(r) <= hi
        assert pred.mean_band[0] <= pred.score <= pred.mean_band[1]
        assert hi - lo > 0.2  # five runs for four parameters: the band spans tens of points of error
