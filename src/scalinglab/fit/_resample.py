"""Resampling helpers shared by the Chinchilla bootstrap (:mod:`.bootstrap`) and the family bootstrap
(:mod:`.families`): the resample weights and the percentile interval of the refits."""

from __future__ import annotations

import numpy as np

from .data import Runs

__all__ = ["percentile_interval", "resample_weights"]


def percentile_interval(v: np.ndarray, level: float) -> tuple[float, float]:
    """The central ``level`` percentile interval of the draws ``v``."""
    q = 100.0 * (1.0 - level) / 2.0
    lo, hi = np.percentile(v, [q, 100.0 - q])
    return float(lo), float(hi)


def resample_weights(runs: Runs, n: int, rng: np.random.Generator) -> tuple[np.ndarray, str]:
    """Integer multiplicities (n, rows): resample rows, or whole runs when ``run_id`` is set."""
    rows = len(runs)
    if runs.run_id is None:
        return rng.multinomial(rows, np.full(rows, 1.0 / rows), size=n).astype(float), "rows"
    ids, inverse = np.unique(runs.run_id, return_inverse=True)
    counts = rng.multinomial(len(ids), np.full(len(ids), 1.0 / len(ids)), size=n)
    return counts[:, inverse].astype(float), "runs"
