"""fit.design: the greedy Kalman update of the bootstrap ensemble, against the closed form and a Monte-Carlo refit."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from scalinglab.fit import Runs, fit_chinchilla, fit_law
from scalinglab.fit.design import expected_variances, noise_variance, propose_runs
from scalinglab.flops import tokens_for_flops, training_flops
from scalinglab.laws.chinchilla import ChinchillaParams, predict

TRUE = ChinchillaParams(E=1.8, A=450.0, B=2000.0, alpha=0.34, beta=0.37)
SIGMA = 0.01
GRID = [v.ravel() for v in np.meshgrid(np.logspace(7, 9, 5), np.logspace(9, 11, 5))]


@pytest.fixture(scope="module")
def small_fit():
    """A 5×5 grid of runs (N 1e7–1e9, D 1e9–1e11) from a known law, 1% scatter, fitted with 100 refits."""
    n, d = GRID
    loss = predict(TRUE, n, d) * np.exp(SIGMA * np.random.default_rng(0).standard_normal(n.size))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fit_law(Runs.from_arrays(n, d, loss), "chinchilla", n_bootstrap=100, seed=0, starts="coarse")


def test_expected_variances_equals_the_parameter_space_update():
    # a linear-Gaussian ensemble: t = gᵀθ, y_x = j_xᵀθ; the square-root ensemble update must give exactly
    # Σ' = Σ − Σ j jᵀ Σ / (σ² + jᵀ Σ j) applied pick after pick, with the sample covariance as Σ
    rng = np.random.default_rng(1)
    theta = rng.standard_normal((400, 5)) @ rng.standard_normal((5, 5))
    g, jac = rng.standard_normal(5), rng.standard_normal((30, 5))
    z = np.column_stack([theta @ g, theta @ jac.T])
    root = (z - z.mean(0)) / np.sqrt(len(z) - 1)
    noise = 0.3
    picks, variances = expected_variances(root, noise, np.ones(30), 4)
    cov = np.cov(theta, rowvar=False)
    for m, v in zip(picks, variances):
        j = jac[m]
        cov = cov - np.outer(cov @ j, j @ cov) / (noise + j @ cov @ j)
        assert v == pytest.approx(g @ cov @ g, rel=1e-9)
    # greedy: the first pick is the candidate with the largest one-step drop
    cov0 = np.cov(theta, rowvar=False)
    drops = [(g @ cov0 @ j) ** 2 / (noise + j @ cov0 @ j) for j in jac]
    assert picks[0] == int(np.argmax(drops))
    assert len(set(picks)) == 4  # no candidate twice


def test_expected_variances_respects_the_total_and_leaves_room_for_the_rest():
    rng = np.random.default_rng(2)
    z = rng.standard_normal((200, 21))
    root = (z - z.mean(0)) / np.sqrt(199)
    cost = np.geomspace(1.0, 100.0, 20)
    picks, variances = expected_variances(root, 0.1, cost, 5, budget_total=60.0)
    assert len(picks) == 5 and cost[picks].sum() <= 60.0
    assert np.all(np.diff(variances) <= 1e-12)


def test_proposal_respects_limits_and_widths_never_grow(small_fit):
    p = propose_runs(small_fit, "n_opt@1e21", k=6, max_flops=2e19, budget_total=6e19)
    assert len(p.runs) == 6
    flops = np.array([r.flops for r in p.runs])
    assert np.all(flops <= 2e19 * (1 + 1e-9)) and flops.sum() <= 6e19 * (1 + 1e-9)
    assert np.allclose(flops, training_flops([r.n_params for r in p.runs], [r.n_tokens for r in p.runs]))
    assert np.allclose(np.cumsum(flops), [r.cumulative_flops for r in p.runs])
    widths = np.array((p.width_now,) + p.widths)
    assert np.all(np.diff(widths) <= 1e-12) and widths[-1] < 0.8 * widths[0]
    # default candidates start at the smallest N and D fitted
    assert min(r.n_params for r in p.runs) >= 1e7 * (1 - 1e-9) and min(r.n_tokens for r in p.runs) >= 1e9 * (1 - 1e-9)


def test_noise_variance_is_huber_efficiency(small_fit):
    var, how = noise_variance(small_fit)
    sigma = small_fit.scatter.sigma
    # δ = 1e-3 ≪ σ: close to a median regression, whose variance factor under normal errors is π/2
    assert sigma**2 * 1.3 < var < sigma**2 * np.pi / 2 and "Huber" in how


def test_kalman_variance_matches_monte_carlo_refits(small_fit):
    # the variance of log N*(1e21) the update expects after the proposed runs, against the spread of the point
    # estimate over refits of fresh data (the old design plus the proposed runs) drawn from the true law
    p = propose_runs(small_fit, "n_opt@1e21", k=2, budget_total=1e20)
    log_opt = np.log(small_fit.draws(1e21)["n_opt@1e+21"])
    expected = np.var(log_opt, ddof=1) * (p.widths[-1] / p.width_now) ** 2
    pn = np.array([r.n_params for r in p.runs])
    pd = np.array([r.n_tokens for r in p.runs])
    n, d = np.r_[GRID[0], pn], np.r_[GRID[1], pd]
    est = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for rep in range(30):
            loss = predict(TRUE, n, d) * np.exp(SIGMA * np.random.default_rng(100 + rep).standard_normal(n.size))
            law = fit_chinchilla(Runs.from_arrays(n, d, loss), starts="coarse").law
            est.append(np.log(law.compute_optimal(1e21)[0]))
    mc = np.var(est, ddof=1)
    assert 0.5 < expected / mc < 2.0, (expected, mc)


def test_epoch_proposal_beats_the_isoflop_grid_it_costs_as_much_as(epoch_runs):
    # on Epoch's 240 runs: by the criterion itself, 10 proposed runs of at most the grid's compute narrow
    # N*(5.76e23) more than the 10 runs of an IsoFLOP grid (2 budgets × 5 sizes around N*(C)); the grid's expected
    # width is the same update with the grid as the only candidates (all 10 picked)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = fit_law(epoch_runs, "chinchilla", n_bootstrap=100, seed=0)
    n, d = [], []
    for c in (3e21, 1e22):
        sizes = fitted.law.compute_optimal(c)[0] * np.geomspace(0.25, 4.0, 5)
        n += list(sizes)
        d += list(tokens_for_flops(sizes, c))
    total = float(training_flops(np.array(n), np.array(d)).sum())
    grid = propose_runs(fitted, "n_opt@5.76e23", k=10, max_flops=1e22, budget_total=total, candidates=(n, d))
    proposed = propose_runs(fitted, "n_opt@5.76e23", k=10, max_flops=1e22, budget_total=total)
    assert len(grid.runs) == len(proposed.runs) == 10 and proposed.total_flops <= total * (1 + 1e-9)
    assert proposed.widths[-1] < 0.9 * grid.widths[-1] < grid.width_now
    ranges = fitted.provenance["ranges"]
    assert all(r.n_params >= ranges["n_params"][0] * (1 - 1e-9) and r.n_tokens >= ranges["n_tokens"][0] * (1 - 1e-9)
               for r in proposed.runs)


def test_reserve_leaves_room_for_the_runs_still_to_pick():
    # k = 3 from costs 1, 2, 3, 10 within 6: only {1, 2, 3} fits, whatever the drops prefer
    rng = np.random.default_rng(3)
    z = rng.standard_normal((100, 5))
    z[:, 4] = z[:, 0] * 5  # the 10-FLOP candidate tells the most
    root = (z - z.mean(0)) / np.sqrt(99)
    picks, _ = expected_variances(root, 0.1, np.array([1.0, 2.0, 3.0, 10.0]), 3, budget_total=6.0)
    assert sorted(picks) == [0, 1, 2]
