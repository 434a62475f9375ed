"""Do proposed runs narrow N*(5.76e23) more than random runs or an IsoFLOP grid of the same compute?

Truth: the Chinchilla law fitted (Huber δ = 1e-3 on log loss, Hoffmann's start grid, variable projection: the
project's defaults) on Epoch's 240 runs (Hoffmann et al. Fig. 4 as extracted by Epoch, the 5 highest-loss
rows dropped as in Epoch's analysis), with its run scatter σ in log loss.

For each seed: fit a random 30% of the runs with ``REFITS`` bootstrap refits; the 90% interval of
N*(5.76e23) across the refits is the width *before*. Then three arms of 10 added runs, each refitted with the
same bootstrap, losses drawn from the truth times ``exp(σ·z)``:

1. **grid**: an IsoFLOP grid of 2 budgets (3e21 and 1e22 FLOPs, the top of the data) × 5 sizes log-spaced
   over ×1/4 … ×4 around the current fit's N*(C) at each budget. Its total compute T sets every arm's cost.
2. **proposed**: :func:`scalinglab.fit.design.propose_runs` with ``budget_total = T`` and ``max_flops`` = the
   grid's largest run (1e22: no proposed run is larger than a grid run).
3. **random**: 10 runs with log N and log D uniform over the range of all 240 runs, then N and D both scaled
   by one factor (tokens per parameter kept) so their total compute is T.

Widths are printed in decades (log10(high/low)) and as high/low. Run: ``python bench/bench_design.py
[--seeds 50] [--refits 100]``. Falls back to nothing when ../shared/data is absent (says so and exits).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from scalinglab.fit import Runs, drop_highest_loss, fit_law, load_runs  # noqa: E402
from scalinglab.fit.design import propose_runs  # noqa: E402
from scalinglab.flops import tokens_for_flops, training_flops  # noqa: E402
from scalinglab.laws.fitted import FittedLaw  # noqa: E402

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "epoch-chinchilla" / "svg_extracted_data.csv"
TARGET_FLOPS = 5.76e23
TARGET = f"n_opt@{TARGET_FLOPS:g}"
GRID_BUDGETS = (3e21, 1e22)
GRID_SPAN = 4.0
SHARE = 0.30
K = 10


def width(fitted: FittedLaw, truth: float) -> tuple[float, bool]:
    """Decades of the 90% interval of N*(5.76e23) across the refits, and whether it holds the truth's N*."""
    n_opt = fitted.draws(TARGET_FLOPS)[f"n_opt@{TARGET_FLOPS:.3g}"]
    lo, hi = np.quantile(n_opt, [0.05, 0.95])
    return float(np.log10(hi / lo)), bool(lo <= truth <= hi)


def grid_arm(fitted: FittedLaw) -> tuple[np.ndarray, np.ndarray]:
    n, d = [], []
    for c in GRID_BUDGETS:
        n_star = float(fitted.law.compute_optimal(c)[0])
        sizes = n_star * np.geomspace(1 / GRID_SPAN, GRID_SPAN, K // len(GRID_BUDGETS))
        n += list(sizes)
        d += list(tokens_for_flops(sizes, c))
    return np.array(n), np.array(d)


def random_arm(rng: np.random.Generator, runs: Runs, total: float) -> tuple[np.ndarray, np.ndarray]:
    n = np.exp(rng.uniform(*np.log([runs.n_params.min(), runs.n_params.max()]), K))
    d = np.exp(rng.uniform(*np.log([runs.n_tokens.min(), runs.n_tokens.max()]), K))
    scale = np.sqrt(total / training_flops(n, d).sum())
    return n * scale, d * scale


def refit(sub: Runs, truth: FittedLaw, n: np.ndarray, d: np.ndarray, rng: np.random.Generator, refits: int,
          seed: int) -> FittedLaw:
    sigma = truth.scatter.sigma  # type: ignore[union-attr]
    loss = truth.law.loss(n, d) * np.exp(sigma * rng.standard_normal(n.size))
    new = Runs.from_arrays(np.r_[sub.n_params, n], np.r_[sub.n_tokens, d], np.r_[sub.loss, loss])
    return fit_law(new, "chinchilla", n_bootstrap=refits, seed=seed)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=50)
    ap.add_argument("--refits", type=int, default=100)
    ap.add_argument("--rank", default="drop", help="propose_runs' rank: drop (default) or drop-per-flop")
    ap.add_argument("--ratio", type=float, nargs=2, default=(1.0, 1000.0), metavar=("LOW", "HIGH"),
                    help="tokens per parameter of the proposal's candidates (default 1 1000)")
    args = ap.parse_args()
    if not DATA.is_file():
        print(f"needs Epoch's runs at {DATA}; not found")
        sys.exit(0)
    warnings.simplefilter("ignore")
    runs = drop_highest_loss(load_runs(DATA, n_params_col="Model Size", flops_col="Training FLOP",
                                       loss_col="loss"), 5)
    truth = fit_law(runs, "chinchilla")
    p = truth.law.params  # type: ignore[attr-defined]
    print(f"truth: Chinchilla fit on {len(runs)} runs: E={p.E:.4f} A={p.A:.1f} B={p.B:.1f} alpha={p.alpha:.4f} "
          f"beta={p.beta:.4f}; run scatter sigma={truth.scatter.sigma:.4f} (log loss); "
          f"N*({TARGET_FLOPS:.3g})={truth.law.compute_optimal(TARGET_FLOPS)[0]:.3g}")
    n_star = float(truth.law.compute_optimal(TARGET_FLOPS)[0])
    t0 = time.perf_counter()
    fit_law(runs.subset(np.arange(0, len(runs), 3)), "chinchilla", n_bootstrap=args.refits, seed=0)
    print(f"one fit + {args.refits} bootstrap refits on {len(runs) // 3} runs: {time.perf_counter() - t0:.2f} s")
    m = int(round(SHARE * len(runs)))
    rows = []
    t_start = time.perf_counter()
    for seed in range(args.seeds):
        rng = np.random.default_rng(seed)
        sub = runs.subset(np.sort(rng.choice(len(runs), m, replace=False)))
        f0 = fit_law(sub, "chinchilla", n_bootstrap=args.refits, seed=seed)
        gn, gd = grid_arm(f0)
        g_cost = training_flops(gn, gd)
        total = float(g_cost.sum())
        prop = propose_runs(f0, TARGET, k=K, max_flops=float(g_cost.max()), budget_total=total, rank=args.rank,
                            ratio_range=tuple(args.ratio))
        pn = np.array([r.n_params for r in prop.runs])
        pd = np.array([r.n_tokens for r in prop.runs])
        rn, rd = random_arm(rng, runs, total)
        w, cover = [], []
        for f in (f0, *(refit(sub, truth, n, d, rng, args.refits, seed) for n, d in ((pn, pd), (rn, rd), (gn, gd)))):
            wi, ci = width(f, n_star)
            w.append(wi)
            cover.append(ci)
        rows.append(w + [prop.widths[-1], prop.total_flops / total] + cover)
        print(f"seed {seed:3d}: before {w[0]:.3f}  proposed {w[1]:.3f} (expected {prop.widths[-1]:.3f})  "
              f"random {w[2]:.3f}  grid {w[3]:.3f}  decades", flush=True)
    a = np.array(rows)
    print(f"\n{args.seeds} seeds, {m} of {len(runs)} runs each, {args.refits} refits, k={K}, "
          f"{time.perf_counter() - t_start:.0f} s")
    print("90% interval of N*(5.76e23), decades log10(high/low) [high/low]:")
    for j, name in enumerate(("before", "proposed", "random", "grid")):
        print(f"  {name:9s} mean {a[:, j].mean():.3f} [{10**a[:, j].mean():.2f}x]  median {np.median(a[:, j]):.3f} "
              f"[{10**np.median(a[:, j]):.2f}x]  holds the truth's N* in {a[:, 6 + j].mean():.0%} of seeds")
    print(f"  proposed, expected by the Kalman update: mean {a[:, 4].mean():.3f}")
    print(f"proposed narrower than random in {np.mean(a[:, 1] < a[:, 2]):.0%} of seeds, than the grid in "
          f"{np.mean(a[:, 1] < a[:, 3]):.0%}; proposed compute / grid compute: mean {a[:, 5].mean():.3g}")


if __name__ == "__main__":
    main()
