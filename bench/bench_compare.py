"""Does the compute multiplier's interval cover the truth? (``scalinglab.fit.compare_runs`` on synthetic sweeps)

Each seed draws two IsoFLOP sweeps with :func:`scalinglab.fit.compare_synth.synthetic_pair`: 7 budgets from 1e17
to 1e20 FLOPs (3 decades) × 9 model sizes N*(C)·10^[−0.6..0.6], the loss of Hoffmann et al.'s Chinchilla law
(E 1.69, A 406.4, B 410.7, α 0.34, β 0.28) with log-normal noise σ = 1% on every run; side B is side A given
M(C) times the compute, so its true multiplier by compute is M(C) exactly. Four truths:

- constant 1.5× and 3×;
- growing: 1.5× and 3× at the geometric middle of the budgets (3.2e18), doubling across the 3 decades
  (M ∝ C^0.100: 1.06× → 2.12× and 2.12× → 4.24×), an exponent difference of γ·0.100 = 0.0154
  (γ = αβ/(α+β) = 0.154 is the frontier's exponent).

``compare_runs(a, b, exponents=..., n_bootstrap=B, seed=seed)`` (the defaults otherwise: IsoFLOP profile minima,
90% intervals) is scored at the 5 default x (1e17, 5.6e17, 3.2e18, 1.8e19, 1e20): the share of seeds whose
interval of M holds the true M(x), per x and over all 5; for separate exponents also the share whose interval of
M(1e20)/M(1e17) holds the true change (1 or 2) and of the exponent difference a_B − a_A holding the truth, how
often each interval excludes "no change" (1, or 0) and how the verdicts fall. Constant truths are run with both
exponent options, growing ones with separate exponents (shared ones assume a constant M, which they are not).
± is the binomial standard error over seeds.

Prints figures, asserts nothing. Run: ``PYTHONPATH=src python bench/bench_compare.py`` (100 seeds, B = 200;
``--quick``: 20 seeds, B = 100).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402

import numpy as np  # noqa: E402

from scalinglab.fit.compare import compare_runs  # noqa: E402
from scalinglab.fit.compare_synth import synthetic_pair  # noqa: E402

GROWTH = float(np.log(2.0) / np.log(1e3))  # M doubles across the 3 decades of budgets
CASES = [("constant 1.5x", 1.5, 0.0, ("shared", "separate")), ("constant 3x", 3.0, 0.0, ("shared", "separate")),
         ("growing 1.5x", 1.5, GROWTH, ("separate",)), ("growing 3x", 3.0, GROWTH, ("separate",))]


def _se(p: float, n: int) -> float:
    return float(np.sqrt(max(p * (1 - p), 1e-12) / n))


def run_case(multiplier: float, growth: float, exponents: str, seeds: int, reps: int) -> dict:
    hit, width, trend_hit, diff_hit, verdicts, status = [], [], [], [], Counter(), Counter()
    trend_moves, diff_moves = [], []  # intervals of M's change excluding 1, of a_B - a_A excluding 0
    for seed in range(seeds):
        pair = synthetic_pair(multiplier, growth, seed=seed)
        cmp = compare_runs(pair.runs_a, pair.runs_b, exponents=exponents, n_bootstrap=reps, seed=seed)
        truth = pair.truth(cmp.at)
        hit.append((cmp.lower <= truth) & (truth <= cmp.upper))
        width.append(np.log10(cmp.upper / cmp.lower))
        verdicts[cmp.verdict] += 1
        status[cmp.status] += 1
        if exponents == "separate":
            lo, hi = cmp.trend_interval
            ends = pair.truth(np.array(cmp.trend_range))
            true_ratio = float(ends[1] / ends[0])
            trend_hit.append(lo <= true_ratio <= hi)
            trend_moves.append(not lo <= 1.0 <= hi)
            dlo, dhi = cmp.exponent_interval
            diff_hit.append(dlo <= pair.exponent_difference <= dhi)
            diff_moves.append(not dlo <= 0.0 <= dhi)
    return {"at": cmp.at, "hit": np.array(hit), "width": np.array(width), "trend": np.array(trend_hit),
            "diff": np.array(diff_hit), "verdicts": verdicts, "status": status,
            "trend_moves": np.array(trend_moves), "diff_moves": np.array(diff_moves)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=100)
    ap.add_argument("--reps", type=int, default=200, help="bootstrap replicates per side")
    ap.add_argument("--quick", action="store_true", help="20 seeds, 100 replicates")
    args = ap.parse_args()
    seeds, reps = (20, 100) if args.quick else (args.seeds, args.reps)
    print(f"compare_runs on synthetic IsoFLOP sweeps: {seeds} seeds, {reps} bootstrap replicates per side, "
          f"90% intervals; growth exponent of M {GROWTH:.4f} (M doubles over 1e17..1e20)")
    t_all = time.perf_counter()
    worst = 1.0
    for name, mult, growth, modes in CASES:
        for exponents in modes:
            t0 = time.perf_counter()
            r = run_case(mult, growth, exponents, seeds, reps)
            dt = time.perf_counter() - t0
            per_x = r["hit"].mean(axis=0)
            worst = min(worst, float(per_x.min()))
            xs = ", ".join(f"{x:.2g}: {p:.0%}" for x, p in zip(r["at"], per_x))
            print(f"\n{name}, exponents={exponents}: {dt:.1f} s ({dt / seeds:.2f} s per comparison)")
            print(f"  coverage of true M by x  {xs}")
            print(f"  all x together           {r['hit'].mean():.1%} ± {_se(r['hit'].mean(), r['hit'].size):.1%}; "
                  f"median interval width {np.median(r['width']):.3f} decades")
            if exponents == "separate":
                print(f"  change of M over range   {r['trend'].mean():.0%} of intervals hold the truth; "
                      f"{r['trend_moves'].mean():.0%} exclude 1 (no change)")
                print(f"  exponent difference      {r['diff'].mean():.0%} of intervals hold the truth; "
                      f"{r['diff_moves'].mean():.0%} exclude 0")
            print(f"  verdicts                 {dict(r['verdicts'])}; status {dict(r['status'])}")
    print(f"\nlowest coverage at any x in any case: {worst:.0%} (target >= 85%); "
          f"total {time.perf_counter() - t_all:.0f} s")


if __name__ == "__main__":
    main()
