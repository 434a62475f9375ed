"""Approach 1 of Hoffmann et al. (2022, §3.1): the minimum over training curves.

Every run of N parameters traces a curve of loss against compute C = 6·N·t as it sees t tokens. Over a log grid
of C, the lowest loss reached by any run (the lower envelope of the curves) and the N of the run that reaches it
give N*(C); D*(C) = C/(6 N*). Power laws N* = k_N·C^a and D* = k_D·C^b are fitted by least squares in log–log
space. Hoffmann et al. report a = 0.50 (0.488, 0.502), b = 0.50 (Table 2), from 1,500 log-spaced FLOP values.

Caveat. Hoffmann et al. train each model size with cosine schedules whose length matches each token count, so
every point of their curves is the end of a run that was tuned to stop there. The intermediate checkpoint of a
long-schedule run has not yet decayed its learning rate, and its loss is higher than what a run scheduled to stop
at that many tokens would reach (Hoffmann et al. Fig. A1). Feeding such checkpoints here biases N*(C) towards
the sizes whose schedules happen to end near C, usually towards larger models at small C: read the result as a
description of the curves given, not of compute-optimal training, unless the curves are schedule-matched.

References
----------
Hoffmann et al. 2022, "Training Compute-Optimal Large Language Models", arXiv:2203.15556, §3.1, Table 2.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validate import positive_array
from ..errors import ConfigError, DataError, FitError
from ..flops import tokens_for_flops, training_flops
from .profiles import PowerLawFit, fit_power_law

__all__ = ["EnvelopeResult", "fit_envelope", "run_curves"]


@dataclass(frozen=True, eq=False)
class EnvelopeResult:
    """The lower envelope on a log grid of compute, and the power laws fitted over it.

    Arrays run over the grid points covered by at least ``min_runs`` runs: ``flops`` (C), ``loss`` (the envelope),
    ``n_opt`` (N of the winning run), ``d_opt`` (= C / (6 N*), the tokens it has seen), ``run_opt`` (its id),
    ``n_runs`` (how many runs cover C) and ``used`` (in the power-law fit; points won by the smallest or largest
    model are left out when ``exclude_edges``, since the optimum may lie beyond the sizes trained).
    """

    flops: np.ndarray
    loss: np.ndarray
    n_opt: np.ndarray
    d_opt: np.ndarray
    run_opt: np.ndarray
    n_runs: np.ndarray
    used: np.ndarray
    n_opt_fit: PowerLawFit
    d_opt_fit: PowerLawFit

    @property
    def a(self) -> float:
        return self.n_opt_fit.exponent

    @property
    def b(self) -> float:
        return self.d_opt_fit.exponent

    def winners(self) -> list[tuple[float, float, float]]:
        """Consecutive stretches of the grid won by one size: ``(n_params, flops_from, flops_to)``."""
        out: list[tuple[float, float, float]] = []
        for c, n in zip(self.flops, self.n_opt):
            if out and out[-1][0] == n:
                out[-1] = (n, out[-1][1], float(c))
            else:
                out.append((float(n), float(c), float(c)))
        return out

    def as_dict(self) -> dict[str, Any]:
        return {"a": self.a, "b": self.b, "n_opt_fit": self.n_opt_fit.as_dict(),
                "d_opt_fit": self.d_opt_fit.as_dict(), "flops": self.flops.tolist(), "loss": self.loss.tolist(),
                "n_opt": self.n_opt.tolist(), "d_opt": self.d_opt.tolist(),
                "run_opt": [str(r) for r in self.run_opt], "n_runs": self.n_runs.tolist(),
                "used": self.used.tolist(), "winners": self.winners()}


def run_curves(run_id: Any, n_params: Any, tokens_seen: Any, loss: Any, *,
               smooth: int = 1) -> list[tuple[Any, float, np.ndarray, np.ndarray]]:
    """Split rows into runs: ``[(run_id, n_params, log_flops, loss), ...]``, each sorted by tokens seen.

    ``smooth`` > 1 replaces each loss by the mean of a centred window of that many checkpoints (shrunk at the
    ends), so that the envelope's minimum does not pick the lowest noise spikes. Repeated token counts are
    averaged.
    """
    if int(smooth) != smooth or smooth < 1:
        raise ConfigError(f"The 'smooth' parameter must be an integer >= 1. Got {smooth!r}.")
    rid = np.asarray(run_id).ravel()
    n = positive_array("n_params", n_params).ravel()
    t = positive_array("tokens_seen", tokens_seen).ravel()
    y = np.asarray(loss, dtype=float).ravel()
    if not rid.size == n.size == t.size == y.size:
        raise DataError(f"run_id, n_params, tokens_seen and loss must have the same length. "
                        f"Got {rid.size}, {n.size}, {t.size}, {y.size}.")
    if not np.all(np.isfinite(y)):
        raise DataError(f"The 'loss' column must be finite. Got {y[~np.isfinite(y)][0]!r}.")
    keys, labels = np.unique(rid, return_inverse=True)
    curves = []
    for k, key in enumerate(keys):
        m = labels == k
        if np.ptp(n[m]) > 0:
            raise DataError(f"Every row of a run must have the same 'n_params'. Run {key!r} has "
                            f"{np.unique(n[m]).size} values ({n[m].min():g} .. {n[m].max():g}).")
        tu, inv = np.unique(t[m], return_inverse=True)
        yu = np.bincount(inv, y[m]) / np.bincount(inv)
        if smooth > 1:
            h = int(smooth) // 2
            cs = np.concatenate([[0.0], np.cumsum(yu)])
            lo, hi = np.maximum(np.arange(yu.size) - h, 0), np.minimum(np.arange(yu.size) + h + 1, yu.size)
            yu = (cs[hi] - cs[lo]) / (hi - lo)
        curves.append((key, float(n[m][0]), np.log(training_flops(n[m][0], tu)), yu))
    return curves


def fit_envelope(run_id: Any, n_params: Any, tokens_seen: Any, loss: Any, *, n_bins: int = 200,
                 smooth: int = 1, min_runs: int = 2, exclude_edges: bool = True,
                 flops_range: tuple[float, float] | None = None) -> EnvelopeResult:
    """Lower envelope of training curves and the power laws N*(C) = k_N·C^a, D*(C) = k_D·C^b (Approach 1).

    Parameters
    ----------
    run_id, n_params, tokens_seen, loss : array_like
        One entry per checkpoint: the run it belongs to, the run's parameters N, tokens seen t and loss.
    n_bins : int
        Points of the log-spaced compute grid, C = 6·N·t, spanning ``flops_range`` or all checkpoints.
    smooth : int
        Moving-average window, in checkpoints, applied to each curve (1: none); see :func:`run_curves`.
    min_runs : int
        Grid points covered by fewer runs are dropped: where a single run covers C it wins by default.
    exclude_edges : bool
        Leave out of the power-law fit the points won by the smallest or the largest N trained.
    flops_range : (float, float), optional
        Limits of the compute grid.

    Returns
    -------
    EnvelopeResult

    Notes
    -----
    Each curve is interpolated linearly in log C, only within its own observed range (no extrapolation), and
    N*(C) takes only the sizes trained, so the fitted a describes a step function; use many sizes. The
    schedule caveat of the module docstring applies.
    """
    if int(n_bins) != n_bins or n_bins < 2:
        raise ConfigError(f"The 'n_bins' parameter must be an integer >= 2. Got {n_bins!r}.")
    if int(min_runs) != min_runs or min_runs < 1:
        raise ConfigError(f"The 'min_runs' parameter must be an integer >= 1. Got {min_runs!r}.")
    curves = run_curves(run_id, n_params, tokens_seen, loss, smooth=smooth)
    if flops_range is None:
        lo, hi = min(c[2][0] for c in curves), max(c[2][-1] for c in curves)
    else:
        lo, hi = np.log(positive_array("flops_range", flops_range))
        if not lo < hi:
            raise ConfigError(f"The 'flops_range' parameter must be increasing. Got {flops_range!r}.")
    grid = np.linspace(lo, hi, int(n_bins))
    table = np.full((len(curves), grid.size), np.inf)  # loss of each run at each C; inf outside its range
    for i, (_, _, lc, y) in enumerate(curves):
        inside = (grid >= lc[0]) & (grid <= lc[-1])
        table[i, inside] = np.interp(grid[inside], lc, y)
    n_runs = np.isfinite(table).sum(axis=0)
    keep = n_runs >= min_runs
    if keep.sum() < 2:
        raise FitError(f"The envelope needs at least 2 compute values covered by >= min_runs={min_runs} runs. "
                       f"Got {int(keep.sum())}.")
    best = np.argmin(table[:, keep], axis=0)
    flops = np.exp(grid[keep])
    sizes = np.array([c[1] for c in curves])
    n_opt = sizes[best]
    used = np.ones(flops.size, dtype=bool)
    if exclude_edges:
        used = (n_opt > sizes.min()) & (n_opt < sizes.max())
    if np.unique(flops[used]).size < 2:
        raise FitError(f"The power-law fit needs at least 2 envelope points; {int(used.sum())} are won by a size "
                       f"other than the smallest or largest. Train more sizes or pass exclude_edges=False.")
    d_opt = tokens_for_flops(n_opt, flops)
    return EnvelopeResult(flops, table[best, np.flatnonzero(keep)], n_opt, d_opt,
                          np.array([curves[i][0] for i in best]), n_runs[keep], used,
                          fit_power_law(flops[used], n_opt[used]), fit_power_law(flops[used], d_opt[used]))
