"""Fixtures for the fitting tests: Epoch's 240 Chinchilla runs and synthetic runs with a known answer."""

from __future__ import annotations

import numpy as np
import pytest

from scalinglab.fit import Runs, drop_highest_loss, fit_chinchilla, load_runs
from scalinglab.laws.chinchilla import ChinchillaParams, predict

TRUE = ChinchillaParams(E=1.8, A=450.0, B=2000.0, alpha=0.34, beta=0.37)


def synthetic_runs(params: ChinchillaParams = TRUE, *, noise: float = 0.01, seed: int = 0) -> Runs:
    """An 8×8 grid of N (1e7..1e10) and D (1e9..1e12) with multiplicative log-normal noise."""
    rng = np.random.default_rng(seed)
    n, d = np.meshgrid(np.logspace(7, 10, 8), np.logspace(9, 12, 8))
    n, d = n.ravel(), d.ravel()
    loss = predict(params, n, d) * np.exp(noise * rng.standard_normal(n.size))
    return Runs.from_arrays(n, d, loss)


@pytest.fixture(scope="session")
def epoch_runs(shared_data):
    path = shared_data / "epoch-chinchilla" / "svg_extracted_data.csv"
    runs = load_runs(path, n_params_col="Model Size", flops_col="Training FLOP", loss_col="loss")
    return drop_highest_loss(runs, 5)


@pytest.fixture(scope="session")
def epoch_fit_coarse(epoch_runs):
    """The coarse grid reaches the same optimum as Hoffmann's; cheaper for tests that only need the fit."""
    return fit_chinchilla(epoch_runs, starts="coarse")


@pytest.fixture(scope="session")
def make_runs():
    """``make_runs(params=TRUE, noise=0.01, seed=0)`` -> synthetic :class:`Runs` (see :func:`synthetic_runs`)."""
    return synthetic_runs
