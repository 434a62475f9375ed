"""Two synthetic IsoFLOP sweeps whose compute multiplier is known: the simulator that tests and
``bench/bench_compare.py`` check :func:`~scalinglab.fit.compare.compare_runs` against.

Side A's runs have the loss of a Chinchilla law ``L_A(N, D)`` (default Hoffmann et al.'s rounded Eq. 10). Side B
is side A given ``M(C)`` times the compute: ``L_B(N, D) = L_A(k·N, k·D)`` with ``k² = M(6ND)``, so that at every
budget the best model of B reaches the loss of the best model of A at ``M(C)·C``: B's compute-optimal frontier is
``L*_B(C) = L*_A(M(C)·C)`` exactly, and the multiplier by compute of B over A is ``M(C)`` by construction.

``M(C) = multiplier · (C / C_mid)^growth`` with ``C_mid`` the geometric middle of the budgets: ``growth = 0`` a
constant advantage, ``growth > 0`` one that grows with scale (``growth = ln 2 / ln(C_max/C_min)`` doubles it
across the sweep). Along the frontier ``L*_A(C) − E ∝ C^(−γ)``, ``γ = αβ/(α+β)``, so B's exponent is
``γ·(1 + growth)``: the exponent difference is ``γ·growth``.

Each budget holds ``sizes`` models at ``N*_A(C)·10^u``, u evenly spaced in ``[−span, span]`` decades, and every
loss carries log-normal noise ``exp(σ·z)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..flops import tokens_for_flops, training_flops
from ..laws.chinchilla import HOFFMANN_ROUNDED, ChinchillaParams, compute_optimal, predict
from .data import Runs

__all__ = ["SyntheticPair", "synthetic_pair", "frontier_exponent"]


@dataclass(frozen=True, eq=False)
class SyntheticPair:
    """Side A's and side B's runs, and the true multiplier ``truth(C)`` of B over A by compute."""

    runs_a: Runs
    runs_b: Runs
    truth: Callable[[np.ndarray], np.ndarray]
    exponent_difference: float
    budgets: np.ndarray


def frontier_exponent(params: ChinchillaParams) -> float:
    """``γ = αβ/(α+β)``: ``L*(C) − E ∝ C^(−γ)`` along the compute-optimal frontier (Hoffmann et al. Eq. 4)."""
    return params.alpha * params.beta / (params.alpha + params.beta)


def synthetic_pair(multiplier: float = 1.5, growth: float = 0.0, *, params: ChinchillaParams = HOFFMANN_ROUNDED,
                   budgets: np.ndarray | None = None, sizes: int = 9, span: float = 0.6, noise: float = 0.01,
                   seed: int = 0) -> SyntheticPair:
    """Draw the two sweeps (module docstring); ``budgets`` default to 7 from 1e17 to 1e20 FLOPs."""
    c = np.geomspace(1e17, 1e20, 7) if budgets is None else np.asarray(budgets, dtype=float)
    c_mid = float(np.exp(np.log(c).mean()))

    def truth(flops: np.ndarray) -> np.ndarray:
        return multiplier * (np.asarray(flops, dtype=float) / c_mid) ** growth

    n_opt, _ = compute_optimal(params, c)
    n = (n_opt[:, None] * 10.0 ** np.linspace(-span, span, sizes)[None, :]).ravel()
    flops = np.repeat(c, sizes)
    d = tokens_for_flops(n, flops)
    rng = np.random.default_rng(seed)
    k = np.sqrt(truth(training_flops(n, d)))
    runs = []
    for scale in (1.0, k):
        loss = predict(params, scale * n, scale * d) * np.exp(noise * rng.standard_normal(n.size))
        runs.append(Runs.from_arrays(n, d, loss, source={"synthetic": "scalinglab.fit.compare_synth",
                                                         "multiplier": multiplier, "growth": growth, "seed": seed}))
    return SyntheticPair(runs[0], runs[1], truth, frontier_exponent(params) * growth, c)
