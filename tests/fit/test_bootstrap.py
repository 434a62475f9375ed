from __future__ import annotations

import numpy as np
import pytest

from scalinglab.fit import Runs, bootstrap, fit_chinchilla
from scalinglab.fit._resample import resample_weights as _weights

EPOCH_SE = {"A": 124.5, "B": 1293.3, "E": 0.026, "alpha": 0.0154, "beta": 0.0206}
EPOCH_CI95 = {"A": (285.2, 743.6), "B": (1042.4, 5810.3), "E": (1.769, 1.871), "alpha": (0.317, 0.373),
              "beta": (0.331, 0.415)}


@pytest.mark.shared_data
def test_bootstrap_matches_epoch_published_uncertainty(epoch_runs, epoch_fit_coarse):
    boot = bootstrap(epoch_runs, epoch_fit_coarse, n_bootstrap=1000, seed=0)
    assert boot.samples.shape == (1000, 5)
    for k, se in EPOCH_SE.items():  # bootstrap randomness: loose
        assert boot.se[k] == pytest.approx(se, rel=0.3), k
    for k, (lo, hi) in EPOCH_CI95.items():
        got_lo, got_hi = boot.intervals[k][0.95]
        width = hi - lo
        assert abs(got_lo - lo) < 0.25 * width and abs(got_hi - hi) < 0.25 * width, k
    der = boot.derived(flops=(5.76e23,))
    assert der["a"]["value"] == pytest.approx(0.514, abs=0.002)
    assert der["a"]["se"] == pytest.approx(0.020, rel=0.3)  # Besiroglu et al.: a = 0.513 (SE 0.020)


def test_bootstrap_intervals_cover_truth_on_synthetic(make_runs):
    runs = make_runs(noise=0.01, seed=4)
    fit = fit_chinchilla(runs, starts="coarse")
    boot = bootstrap(runs, fit, n_bootstrap=200, seed=1)
    lo, hi = boot.intervals["alpha"][0.95]
    assert lo < 0.34 < hi
    assert boot.intervals["alpha"][0.8][0] >= lo
    loss = boot.derived(points=[(1e9, 2e10)])
    (key, val), = [(k, v) for k, v in loss.items() if k.startswith("loss@")]
    assert val["intervals"][0.95][0] < val["value"] < val["intervals"][0.95][1]


def test_bootstrap_weights_resample_whole_runs():
    rng = np.random.default_rng(0)
    runs = Runs.from_arrays(np.repeat([1e8, 2e8, 4e8], 3), np.tile([1e9, 2e9, 4e9], 3), np.linspace(3, 2, 9),
                            run_id=np.repeat(["r1", "r2", "r3"], 3))
    w, how = _weights(runs, 50, rng)
    assert how == "runs" and w.shape == (50, 9)
    # checkpoints of one run always share a multiplicity, and 3 runs are drawn per replicate
    assert np.all(w[:, 0] == w[:, 1]) and np.all(w[:, 3] == w[:, 5])
    assert np.all(w.sum(axis=1) == 9)
