"""Approach 1 (minimum over training curves): synthetic curves from a known law, then datablations' runs."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from scalinglab.errors import ConfigError, DataError, FitError
from scalinglab.fit.envelope import fit_envelope, run_curves

E, A, B, ALPHA, BETA = 1.69, 406.4, 410.7, 0.34, 0.28
A_TRUE = BETA / (ALPHA + BETA)  # 0.4516


def curves(n_sizes=25, n_ckpt=60, noise=0.0, seed=0):
    """Runs of n_sizes sizes 1e7..1e10, each with n_ckpt checkpoints at 1e8..3e12 tokens, loss L(N, t)."""
    n, t = np.meshgrid(np.logspace(7, 10, n_sizes), np.logspace(8, 12.5, n_ckpt), indexing="ij")
    loss = E + A / n**ALPHA + B / t**BETA
    loss = loss * np.exp(noise * np.random.default_rng(seed).standard_normal(loss.shape))
    run = np.repeat([f"run{i}" for i in range(n_sizes)], n_ckpt)
    return run, n.ravel(), t.ravel(), loss.ravel()


def test_fit_envelope_recovers_exponent_without_noise():
    res = fit_envelope(*curves())
    assert res.a == pytest.approx(A_TRUE, abs=0.005)
    assert res.a + res.b == pytest.approx(1.0)
    assert res.n_opt_fit.r2 > 0.99


def test_fit_envelope_recovers_exponent_with_noise_and_smoothing():
    run, n, t, loss = curves(noise=0.005, seed=2)
    assert fit_envelope(run, n, t, loss, smooth=5).a == pytest.approx(A_TRUE, abs=0.03)


def test_fit_envelope_is_the_lower_envelope_of_covering_runs():
    run, n, t, loss = curves(n_sizes=6, n_ckpt=30)
    res = fit_envelope(run, n, t, loss, n_bins=50, exclude_edges=False)
    for key, size, log_c, y in run_curves(run, n, t, loss):
        inside = (np.log(res.flops) >= log_c[0]) & (np.log(res.flops) <= log_c[-1])
        assert np.all(res.loss[inside] <= np.interp(np.log(res.flops[inside]), log_c, y) + 1e-12), key
    assert np.all(res.n_runs >= 2)
    assert res.d_opt == pytest.approx(res.flops / (6 * res.n_opt))
    assert np.all(np.diff(res.n_opt) >= 0)  # under a Chinchilla law the winner only grows with compute


def test_fit_envelope_excludes_points_won_by_edge_sizes():
    res = fit_envelope(*curves(n_sizes=8))
    sizes = np.logspace(7, 10, 8)
    won_at_edge = np.isclose(res.n_opt, sizes[0]) | np.isclose(res.n_opt, sizes[-1])
    assert won_at_edge.any()
    assert np.array_equal(res.used, ~won_at_edge)


def test_fit_envelope_winners_cover_the_grid_in_order():
    res = fit_envelope(*curves(n_sizes=5), n_bins=40, exclude_edges=False)
    spans = res.winners()
    assert [s[0] for s in spans] == sorted(s[0] for s in spans)
    assert spans[0][1] == res.flops[0] and spans[-1][2] == res.flops[-1]


def test_fit_envelope_as_dict_is_json_serialisable():
    d = json.loads(json.dumps(fit_envelope(*curves(n_sizes=6), n_bins=30).as_dict()))
    assert set(d) >= {"a", "b", "flops", "n_opt", "run_opt", "winners"}


def test_run_curves_rejects_a_run_with_two_sizes():
    with pytest.raises(DataError, match="same 'n_params'.*'r'"):
        run_curves(["r", "r"], [1e8, 2e8], [1e9, 2e9], [3.0, 2.9])


def test_fit_envelope_errors_name_field_rule_and_value():
    run, n, t, loss = curves(n_sizes=2)
    with pytest.raises(ConfigError, match="'smooth'.*>= 1.*0"):
        fit_envelope(run, n, t, loss, smooth=0)
    with pytest.raises(ConfigError, match="'n_bins'.*>= 2"):
        fit_envelope(run, n, t, loss, n_bins=1)
    with pytest.raises(FitError, match="exclude_edges=False"):
        fit_envelope(run, n, t, loss)  # 2 sizes: every point is won by an edge size


@pytest.mark.shared_data
def test_fit_envelope_datablations_single_epoch_runs(shared_data):
    # Muennighoff et al. (2023): one-epoch C4 runs of 2.8B, 4.2B and 8.7B params, each with its own cosine
    # schedule. Three sizes cannot pin an exponent; we check who wins where. Measured: 2.8B wins from 3e19 to
    # 9e20 FLOPs (end of its run), 4.2B from there to 2.1e21 (end of its run); 8.7B never leads while a
    # second run covers the same compute - its intermediate checkpoints carry an undecayed LR (the caveat).
    with (shared_data / "datablations" / "datablations_losses.csv").open(newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["data"] == "c4" and r["epochs"] == "1"]
    n = np.array([float(r["num_params"].rstrip("B")) * 1e9 for r in rows])
    t = np.array([float(r["token_num"]) for r in rows])
    loss = np.array([float(r["loss"]) for r in rows])
    res = fit_envelope([r["model_args"] for r in rows], n, t, loss, smooth=5, exclude_edges=False)
    assert set(np.unique(res.n_opt)) <= {2.8e9, 4.2e9, 8.7e9}
    assert res.n_opt[-1] == 4.2e9 and res.n_opt[len(res.n_opt) // 2] == 2.8e9
    assert res.flops[-1] == pytest.approx(6 * 4.2e9 * t[n == 4.2e9].max(), rel=0.05)  # grid step
