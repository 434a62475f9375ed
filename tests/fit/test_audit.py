from __future__ import annotations

import pytest

from scalinglab.errors import ConfigError
from scalinglab.fit import audit


def test_audit_holds_out_largest_compute_and_scores_are(make_runs):
    runs = make_runs(noise=0.005, seed=2)
    res = audit(runs, fraction=0.1, starts="coarse", n_bootstrap=100)
    assert res.loss.size == 6 and res.n_fit == 58
    assert (6 * res.n_params * res.n_tokens).min() >= res.flops_cut
    assert res.are.mean() < 0.02  # the law is right: extrapolation error is of the noise's order
    assert 0.0 <= res.coverage <= 1.0
    d = res.as_dict()
    assert set(d) >= {"are_mean", "are_max", "coverage", "runs", "n_holdout"}


def test_audit_rejects_bad_fraction(make_runs):
    with pytest.raises(ConfigError, match="'fraction' parameter must be in"):
        audit(make_runs(), fraction=1.5)
