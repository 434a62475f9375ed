"""Do the FittedLaw's bands cover at their level? (prediction band: a new run; mean band: the true curve)

Known law: Chinchilla E 1.8, A 450, B 2000, α 0.34, β 0.37 (``TRUE`` of tests/fit/conftest.py). Runs are
drawn from it with multiplicative log-normal noise, ``log L = log L_true + σ·z`` (σ = 0.5% and 2%), on three
designs:

- ``grid``: 8×8 N (1e7..1e10) × D (1e9..1e12), 64 runs (the tests' ``synthetic_runs``);
- ``isoflop``: 5 compute budgets 1e18..10^20.5 (2.5 decades) × 7 model sizes, N_opt(C)·10^[-0.9..0.9] about
  the true compute-optimal size (factor ≈ 8 either side), 35 runs;
- ``small``: 4 budgets 1e18..1e20 × 5 sizes, N_opt(C)·10^[-0.6..0.6], 20 runs (df = 15).

Each seed draws the runs, fits ``fit_law(runs, starts="coarse", n_bootstrap=B, seed=seed)`` (defaults
otherwise: Huber on log loss, δ 1e-3) and scores, at levels 50/80/90/95%:

- prediction band, *in range*: ``--draws`` fresh runs (fresh noise) at each of the design's own (N, D)
  points; the share inside ``prediction_band(N, D, level)``;
- prediction band, *extrapolation*: the same at 5 points at 10× the design's largest compute (one decade
  beyond the fitted runs, where κ applies), N = N_opt(C)·10^[-0.5..0.5];
- mean band: the share of the same points (in range / extrapolation) where ``mean_band(N, D, level)``
  contains the TRUE law's loss.

Coverage is averaged over all fits, including those flagged *not identified* (their share is printed, and
the coverage of identified fits alone beneath). Points of one seed share a fit, so the ± is the standard
error across seeds (SD of the per-seed coverage / √seeds), not across points. σ̂ is the df-corrected RMS
residual the prediction band uses; κ the extrapolation growth per decade (both from ``FittedLaw.scatter``).

Diagnosis lines under each table (the library is not changed; the bands are recomputed with a substituted
``RunScatter``): the prediction band in range with the *true* σ and normal noise (does σ̂ or the t tail
move the coverage, or the refits?), and the prediction band at +1 decade with κ = 0 (what κ adds to the
refits' own spread); the mean band's width: the spread of log L̂ across a fit's refits (median over seeds)
over its spread across seeds (the real sampling spread), and the bias of log L̂ in units of that spread;
spreads are half-widths of central 68% (a robust SD: a few fits in another basin don't dominate it) and 90%
intervals (the tails).

BLAS is pinned to one thread (unless the caller set it): on this 2-core machine a threaded BLAS made
``fit_law`` 2–6× slower (its L-BFGS-B polishes). Prints figures, asserts nothing.

Run: ``PYTHONPATH=src python bench/bench_band_coverage.py`` (default: 3 designs × 2 noise levels × 25 seeds,
B = 100; 252 s CPU here), ``--quick`` (5 seeds, B = 50; 36 s), ``--seeds 100 --designs grid,isoflop``
(the issue's ≥ 100; ≈ 17 min).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from dataclasses import dataclass, field, replace  # noqa: E402

import numpy as np  # noqa: E402

from scalinglab.errors import ScalingLabError  # noqa: E402
from scalinglab.fit import Runs, fit_law  # noqa: E402
from scalinglab.laws.chinchilla import ChinchillaParams, compute_optimal, predict  # noqa: E402
from scalinglab.laws.fitted import RunScatter, law_loss  # noqa: E402

TRUE = ChinchillaParams(E=1.8, A=450.0, B=2000.0, alpha=0.34, beta=0.37)
LEVELS = (0.50, 0.80, 0.90, 0.95)
NOISES = (0.005, 0.02)
EXTRAPOLATION_DECADES = 1.0
WIDTH_LEVELS = (0.6827, 0.90)


def _isoflop(budgets: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n_opt, _ = compute_optimal(TRUE, budgets)
    n = (n_opt[:, None] * 10.0 ** offsets[None, :]).ravel()
    c = np.repeat(budgets, offsets.size)
    return n, c / (6.0 * n)


def design_points(name: str) -> tuple[np.ndarray, np.ndarray]:
    """(N, D) of the fitted runs of a design."""
    if name == "grid":
        n, d = np.meshgrid(np.logspace(7, 10, 8), np.logspace(9, 12, 8))
        return n.ravel(), d.ravel()
    if name == "isoflop":
        return _isoflop(np.logspace(18, 20.5, 5), np.linspace(-0.9, 0.9, 7))
    if name == "small":
        return _isoflop(np.logspace(18, 20, 4), np.linspace(-0.6, 0.6, 5))
    raise SystemExit(f"unknown design {name!r} (grid, isoflop, small)")


DESIGNS = {"grid": "8×8 N×D grid, 64 runs",
           "isoflop": "IsoFLOP, 5 budgets × 7 sizes over 2.5 decades, 35 runs",
           "small": "small IsoFLOP, 4 budgets × 5 sizes over 2 decades, 20 runs"}


def extrapolation_points(n: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """5 points at 10× the largest fitted compute, about the true compute-optimal size."""
    c = 6.0 * n * d
    c_ext = c.max() * 10.0 ** EXTRAPOLATION_DECADES
    n_opt, _ = compute_optimal(TRUE, c_ext)
    ne = float(n_opt) * 10.0 ** np.linspace(-0.5, 0.5, 5)
    return ne, c_ext / (6.0 * ne)


@dataclass
class Tally:
    """Per-seed coverage shares for one design × noise level."""

    pred_in: list[list[float]] = field(default_factory=list)   # [seed][level]
    pred_ex: list[list[float]] = field(default_factory=list)
    mean_in: list[list[float]] = field(default_factory=list)
    mean_ex: list[list[float]] = field(default_factory=list)
    oracle_in: list[list[float]] = field(default_factory=list)  # prediction band with the true σ, normal, κ 0
    nokappa_ex: list[list[float]] = field(default_factory=list)  # prediction band with κ = 0 (σ̂, t_df kept)
    err_in: list[np.ndarray] = field(default_factory=list)   # log L̂ − log L_true at the points, per seed
    err_ex: list[np.ndarray] = field(default_factory=list)
    sd_in: list[np.ndarray] = field(default_factory=list)    # half-widths of log L across refits, per seed
    sd_ex: list[np.ndarray] = field(default_factory=list)
    identified: list[bool] = field(default_factory=list)
    sigma_ratio: list[float] = field(default_factory=list)
    kappa_ratio: list[float] = field(default_factory=list)
    failed: int = 0
    seconds: float = 0.0


def _inside(lo: np.ndarray, hi: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean((y >= lo) & (y <= hi)))


def run_condition(design: str, i_design: int, noise: float, i_noise: int, seeds: int, n_boot: int,
                  draws: int) -> Tally:
    n, d = design_points(design)
    ne, de = extrapolation_points(n, d)
    true_in, true_ex = predict(TRUE, n, d), predict(TRUE, ne, de)
    out = Tally()
    t0 = time.perf_counter()
    for seed in range(seeds):
        rng = np.random.default_rng(np.random.SeedSequence([seed, i_design, i_noise, 20261202]))
        runs = Runs.from_arrays(n, d, true_in * np.exp(noise * rng.standard_normal(n.size)))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fitted = fit_law(runs, starts="coarse", n_bootstrap=n_boot, seed=seed)
        except (ScalingLabError, ValueError, FloatingPointError):
            out.failed += 1
            continue
        # fresh runs at the test points (independent of the fitted runs)
        new_in = true_in * np.exp(noise * rng.standard_normal((draws, n.size)))
        new_ex = true_ex * np.exp(noise * rng.standard_normal((draws, ne.size)))
        rows: list[list[float]] = [[], [], [], [], [], []]
        sc = fitted.scatter
        oracle = replace(fitted, scatter=RunScatter(noise, 10**6, 0.0, sc.flops_max)) if sc else None
        nokappa = replace(fitted, scatter=replace(sc, kappa=0.0)) if sc else None
        for level in LEVELS:
            pb_in, pb_ex = fitted.prediction_band(n, d, level), fitted.prediction_band(ne, de, level)
            mb_in, mb_ex = fitted.mean_band(n, d, level), fitted.mean_band(ne, de, level)
            rows[0].append(_inside(*pb_in, new_in) if pb_in else np.nan)
            rows[1].append(_inside(*pb_ex, new_ex) if pb_ex else np.nan)
            rows[2].append(_inside(*mb_in, true_in) if mb_in else np.nan)
            rows[3].append(_inside(*mb_ex, true_ex) if mb_ex else np.nan)
            rows[4].append(_inside(*oracle.prediction_band(n, d, level), new_in) if oracle else np.nan)
            rows[5].append(_inside(*nokappa.prediction_band(ne, de, level), new_ex) if nokappa else np.nan)
        out.pred_in.append(rows[0])
        out.pred_ex.append(rows[1])
        out.mean_in.append(rows[2])
        out.mean_ex.append(rows[3])
        out.oracle_in.append(rows[4])
        out.nokappa_ex.append(rows[5])
        for pts, truth, err, sd in (((n, d), true_in, out.err_in, out.sd_in), ((ne, de), true_ex, out.err_ex,
                                                                              out.sd_ex)):
            err.append(np.log(fitted.predict(*pts)) - np.log(truth))
            if len(fitted.samples) >= 2:
                refits = np.log(np.stack([law_loss(lw, *pts) for lw in fitted.samples]))
                sd.append(np.stack([_half(refits, lv) for lv in WIDTH_LEVELS]))
            else:
                sd.append(np.full((len(WIDTH_LEVELS), truth.size), np.nan))
        out.identified.append(fitted.identification.identified)
        out.sigma_ratio.append(sc.sigma / noise if sc else np.nan)
        out.kappa_ratio.append(sc.kappa / noise if sc else np.nan)
        print(f"  {design} {noise:.1%} seed {seed + 1}/{seeds}: {time.perf_counter() - t0:.0f} s",
              file=sys.stderr, end="\r", flush=True)
    out.seconds = time.perf_counter() - t0
    print(file=sys.stderr)
    return out


def _cell(per_seed: np.ndarray) -> str:
    v = per_seed[np.isfinite(per_seed)]
    if v.size == 0:
        return f"{'—':>14}"
    se = np.std(v, ddof=1) / np.sqrt(v.size) if v.size > 1 else np.nan
    return f"{100 * v.mean():8.1f} ±{100 * se:4.1f}"


def _by_level(per_seed: list[list[float]]) -> str:
    a = np.array(per_seed)
    return "/".join(f"{100 * np.nanmean(a[:, j]):.1f}" for j in range(len(LEVELS)))


def _half(a: np.ndarray, level: float) -> np.ndarray:
    """Half the width of the central ``level`` interval along axis 0 (68.27%: a robust SD, which refits
    or fits that land in another basin do not dominate; 90%: the tails the default band uses)."""
    lo, hi = np.nanpercentile(a, [50 * (1 - level), 50 * (1 + level)], axis=0)
    return (hi - lo) / 2.0


def _width(sd: list[np.ndarray], err: list[np.ndarray]) -> str:
    """Refit half-width (median over seeds) / sampling half-width (over seeds) of log L̂, at the 68% and 90%
    levels (median over points, and range); |bias| / sampling robust SD."""
    e, refit = np.array(err), np.nanmedian(np.array(sd), axis=0)
    out = []
    for i, lv in enumerate(WIDTH_LEVELS):
        ratio = refit[i] / _half(e, lv)
        out.append(f"{100 * lv:.0f}% {np.median(ratio):.2f} ({ratio.min():.2f}–{ratio.max():.2f})")
    bias = np.abs(np.mean(e, axis=0)) / _half(e, WIDTH_LEVELS[0])
    return ", ".join(out) + f"; |bias|/SD {np.median(bias):.2f} (max {bias.max():.2f})"


def print_table(design: str, noise: float, t: Tally, n_boot: int) -> None:
    k = len(t.identified)
    print(f"\n{design} ({DESIGNS[design]}), noise σ = {noise:.1%}: {k} fits"
          + (f" (+{t.failed} failed)" if t.failed else "") + f", B = {n_boot}, {t.seconds:.0f} s")
    if not k:
        return
    cols = [np.array(x) for x in (t.pred_in, t.pred_ex, t.mean_in, t.mean_ex)]
    print(f"  {'level':>5} | {'pred, in range':>14} | {'pred, +1 dec':>14} | {'mean⊃true, in':>14} | "
          f"{'mean⊃true, +1 dec':>17}")
    for j, level in enumerate(LEVELS):
        cells = " | ".join(_cell(c[:, j]) for c in cols[:3])
        print(f"  {100 * level:4.0f}% | {cells} | {_cell(cols[3][:, j]):>17}")
    print(f"  diagnosis: pred in range with the true σ (normal, no t) {_by_level(t.oracle_in)}; "
          f"pred +1 dec with κ = 0 {_by_level(t.nokappa_ex)} (50/80/90/95%)")
    if k > 2:
        print(f"  mean band width: half-width of log L̂ across refits / across seeds, median over points "
              f"(range): in range {_width(t.sd_in, t.err_in)}")
        print(f"                   +1 dec {_width(t.sd_ex, t.err_ex)}")
    ident = np.array(t.identified)
    kr = np.array(t.kappa_ratio)
    print(f"  not identified: {100 * (1 - ident.mean()):.0f}% of fits; "
          f"median σ̂/σ {np.nanmedian(t.sigma_ratio):.3f} "
          f"(IQR {np.nanpercentile(t.sigma_ratio, 25):.3f}–{np.nanpercentile(t.sigma_ratio, 75):.3f}); "
          f"κ > 0 in {100 * np.mean(kr > 0):.0f}% of fits, median κ/σ {np.nanmedian(kr):.2f} "
          f"(90th pct {np.nanpercentile(kr, 90):.2f})")
    if 0 < ident.sum() < k:
        sub = [c[ident] for c in cols]
        print(f"  identified fits only ({int(ident.sum())}): "
              + "; ".join(f"{100 * lv:.0f}%: pred {100 * np.nanmean(sub[0][:, j]):.1f}/"
                          f"{100 * np.nanmean(sub[1][:, j]):.1f}, mean {100 * np.nanmean(sub[2][:, j]):.1f}/"
                          f"{100 * np.nanmean(sub[3][:, j]):.1f}" for j, lv in enumerate(LEVELS))
              + " (in range/+1 dec)")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=None,
                    help="seeds per design × noise (default 25; --quick 5)")
    ap.add_argument("--bootstrap", type=int, default=None,
                    help="bootstrap refits per fit (default 100; --quick 50)")
    ap.add_argument("--designs", default="grid,isoflop,small", help="comma list of grid, isoflop, small")
    ap.add_argument("--noises", default=",".join(f"{x:g}" for x in NOISES), help="comma list of σ (log loss)")
    ap.add_argument("--draws", type=int, default=20, help="fresh runs per test point (default 20)")
    ap.add_argument("--quick", action="store_true", help="a ~1-minute run: 5 seeds, 50 refits")
    args = ap.parse_args(argv)
    seeds = args.seeds if args.seeds is not None else (5 if args.quick else 25)
    n_boot = args.bootstrap if args.bootstrap is not None else (50 if args.quick else 100)
    designs = [s.strip() for s in args.designs.split(",") if s.strip()]
    noises = [float(s) for s in args.noises.split(",") if s.strip()]
    for name in designs:
        design_points(name)
    t0 = time.perf_counter()
    print(f"Band coverage on synthetic runs from a known Chinchilla law (E {TRUE.E}, A {TRUE.A:g}, "
          f"B {TRUE.B:g}, α {TRUE.alpha}, β {TRUE.beta}); log-normal noise; {seeds} seeds per table; "
          f"fit_law(starts='coarse', n_bootstrap={n_boot}); {args.draws} fresh runs per test point.")
    print("Cells: coverage in % ± its standard error across seeds. pred = share of fresh runs inside the "
          "prediction band; mean⊃true = share of test points where the mean band contains the true loss; "
          "in range = at the design's points; +1 dec = 5 points at "
          f"{10 ** EXTRAPOLATION_DECADES:g}× the largest fitted compute. Targets: pred in range within ±5 "
          "points of the level; mean band at the level.")
    for i_d, name in enumerate(["grid", "isoflop", "small"]):
        if name not in designs:
            continue
        for i_n, noise in enumerate(noises):
            t = run_condition(name, i_d, noise, i_n, seeds, n_boot, args.draws)
            print_table(name, noise, t, n_boot)
            sys.stdout.flush()
    total = time.perf_counter() - t0
    print(f"\nTotal: {total:.0f} s wall, {time.process_time():.0f} s CPU; {seeds} seeds × {len(designs)} "
          f"designs × {len(noises)} noise levels; BLAS threads {os.environ.get('OPENBLAS_NUM_THREADS')}.")


if __name__ == "__main__":
    main()
