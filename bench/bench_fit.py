"""Time the Chinchilla fitting engine against the obvious scipy loop, in one process.

(a) Hoffmann's grid on Epoch's 240 runs with variable projection (the default: a search over (α, β) from
    the grid's 25 distinct exponent pairs, (A, B, E) solved at every step) and with the joint five-parameter
    search from all 4,500 grid points (both batched, both finished by L-BFGS-B on the best few);
(b) scipy L-BFGS-B with numerical gradients, one start at a time, on 20 of the same starts, extrapolated
    to 4,500; (c) 1,000 bootstrap refits. Each timing is the median of ``REPEATS`` runs.
Run: ``python bench/bench_fit.py``.
Falls back to synthetic data of the same size when ../shared/data is absent (and says so).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from scipy.optimize import minimize
from scipy.special import huber

from scalinglab.fit import Runs, bootstrap, drop_highest_loss, fit_chinchilla, load_runs, start_grid
from scalinglab.laws.chinchilla import ChinchillaParams, predict

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "epoch-chinchilla" / "svg_extracted_data.csv"


def _runs() -> tuple[Runs, str]:
    if DATA.is_file():
        runs = load_runs(DATA, n_params_col="Model Size", flops_col="Training FLOP", loss_col="loss")
        return drop_highest_loss(runs, 5), f"Epoch's 240 runs ({DATA})"
    rng = np.random.default_rng(0)
    n = np.exp(rng.uniform(np.log(4e7), np.log(1.6e10), 240))
    d = np.exp(rng.uniform(np.log(5e9), np.log(5e11), 240))
    p = ChinchillaParams(E=1.82, A=480.0, B=2100.0, alpha=0.347, beta=0.367)
    return Runs.from_arrays(n, d, predict(p, n, d) * np.exp(0.02 * rng.standard_normal(240))), \
        "SYNTHETIC data (240 runs; ../shared/data not found)"


def _scipy_loop(runs: Runs, starts: np.ndarray) -> tuple[float, float]:
    ln, ld, ll = np.log(runs.n_params), np.log(runs.n_tokens), np.log(runs.loss)

    def objective(t):  # what peers write: numpy LSE, no gradient -> finite differences
        a, b, e, al, be = t
        pred = np.logaddexp(np.logaddexp(a - al * ln, b - be * ld), e)
        return huber(1e-3, pred - ll).sum()

    t0 = time.perf_counter()
    best = np.inf
    for s in starts:
        res = minimize(objective, s, method="L-BFGS-B")
        best = min(best, res.fun)
    return (time.perf_counter() - t0) / len(starts), best


REPEATS = 3


def _timed(fn):
    times, out = [], None
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), out


def main() -> None:
    runs, what = _runs()
    print(f"data: {what}")
    fit_chinchilla(runs, starts=50)  # warm-up (imports, allocations)
    fit_chinchilla(runs, starts=50, method="joint")
    t_vp, res = _timed(lambda: fit_chinchilla(runs))
    t_joint, jres = _timed(lambda: fit_chinchilla(runs, method="joint"))
    p = res.params
    print(f"(a) varpro, Hoffmann grid ({res.grid_points} points, {res.n_starts} distinct (alpha, beta) starts): "
          f"{t_vp:.3f} s; objective {res.objective:.10g}; {res.n_best}/{res.n_starts} starts reached it")
    print(f"    A={p.A:.2f} B={p.B:.1f} E={p.E:.5f} alpha={p.alpha:.5f} beta={p.beta:.5f}")
    print(f"    joint, all {jres.n_starts} grid points: {t_joint:.2f} s; objective {jres.objective:.10g}; "
          f"{jres.n_best}/{jres.n_starts} starts reached it; |objective difference| "
          f"{abs(jres.objective - res.objective):.1e}")
    grid, _ = start_grid("hoffmann")
    pick = np.random.default_rng(0).choice(len(grid), 20, replace=False)
    per_start, best = _scipy_loop(runs, grid[pick])
    print(f"(b) scipy L-BFGS-B, numerical gradients: {per_start:.3f} s per start (best of 20: {best:.6g}); "
          f"x4,500 = {per_start * 4500:.0f} s; ratio to varpro: {per_start * 4500 / t_vp:.0f}x, to joint: "
          f"{per_start * 4500 / t_joint:.0f}x; as many starts as varpro ({res.n_starts}): {per_start * res.n_starts:.2f} s "
          f"({per_start * res.n_starts / t_vp:.1f}x varpro)")
    boot = bootstrap(runs, res, n_bootstrap=1000, seed=0)
    print(f"(c) 1,000 bootstrap refits in {boot.seconds:.2f} s; SE " +
          ", ".join(f"{k} {v:.3g}" for k, v in boot.se.items()))


if __name__ == "__main__":
    main()
