"""Step Law's published learning-rate and batch-size rule against refits of the released runs, with fit times.

The published rule (Li et al. 2025) is the mean of the authors' 1,000 bootstrap fits
(``1004_fitted_lr_bs_scaling_model_parameters.csv``); its intervals below are that file's 5th–95th percentiles.
Every refit uses the released runs (``dense_lr_bs_loss.csv``, ``moe_lr_bs_loss.csv``) and 1,000 bootstrap refits;
``fit s`` is the wall time of one fit including them. Rows:

- ``filter``: the authors' recipe (``code/fit_tool.py``): every run within the window of its (N, D) group's best
  loss is a point; ``surface``: scalinglab's default, the optimum of a quadratic loss surface in
  (log lr, log batch) over the runs within the window, one point per group (:mod:`scalinglab.fit.hparams`);
- ``smooth``: the Gaussian-smoothed final training loss (the authors' choice); ``raw``: the last logged loss.

Then why the D exponent differs: each (N, D) group left out in turn, the D slope within each model size, and
the spread of the authors' bootstrap against ours. Last, the MoE runs with active and total parameters.

Run: ``python bench/bench_hyperparams.py`` (needs ../shared/data).
"""

from __future__ import annotations

import csv
import sys
import time
from pathlib import Path

import numpy as np

from scalinglab.errors import DataError
from scalinglab.fit._hp_sweep import Sweep, load_sweep, sweep_from_arrays
from scalinglab.fit.hparams import fit_hparams

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "steplaw-lr-batch"
N_BOOT = 1000
COLS = ("lr_intercept", "lr_coefN", "lr_coefD", "bs_intercept", "bs_coefD")
KEYS = ("lr.n_params", "lr.n_tokens", "batch.n_tokens")


def _iv(lo: float, hi: float) -> str:
    return f"[{lo:6.3f}, {hi:6.3f}]"


def _row(label: str, points: object, secs: float | str, co: dict, ivs: dict) -> None:
    cells = []
    for k in KEYS:
        cells.append(f"{co[k]:7.3f} {_iv(*ivs[k])}" if k in co else f"{'—':>7} {'':16}")
    secs = f"{secs:6.2f}" if isinstance(secs, float) else f"{secs:>6}"
    print(f"{label:34} {points!s:>6} {secs} {np.exp(co['lr.log_coef']):9.3g} " + " ".join(cells)
          + f" {np.exp(co['batch.log_coef']):8.3g}")


def _header(title: str) -> None:
    print(f"\n{title}\n{'rule':34} {'points':>6} {'fit s':>6} {'η coef':>9} {'N exponent [90%]':>24} "
          f"{'D exponent [90%]':>24} {'B D exponent [90%]':>24} {'B coef':>8}")


def published() -> np.ndarray:
    with open(DATA / "1004_fitted_lr_bs_scaling_model_parameters.csv", newline="") as fh:
        boot = np.array([[float(r[c]) for c in COLS] for r in csv.DictReader(fh)])
    co = dict(zip(("lr.log_coef", *KEYS[:2], "batch.log_coef", KEYS[2]), boot.mean(axis=0)))
    ivs = {k: tuple(np.percentile(boot[:, j], [5, 95])) for j, k in ((1, KEYS[0]), (2, KEYS[1]), (4, KEYS[2]))}
    _row("published (authors' 1,000 fits)", "?", "", co, ivs)
    return boot


def refit(label: str, sweep: Sweep, **kw) -> object:
    t = time.perf_counter()
    try:
        fit = fit_hparams(sweep, n_bootstrap=N_BOOT, **kw)
    except DataError as exc:
        print(f"{label:34} cannot fit: {exc}")
        return None
    secs = time.perf_counter() - t
    _row(label, fit.n_points, secs, fit.rule.coefficients(), fit.intervals)
    return fit


def dense(loss: str) -> Sweep:
    return load_sweep(DATA / "dense_lr_bs_loss.csv", context=2048, loss_col=loss)


def why(sw: Sweep, boot: np.ndarray, fits: dict) -> None:
    print("\nWhy: each (N, D) group left out in turn (D exponent of the learning-rate law, no bootstrap)")
    for method, window in (("filter", 0.0025), ("surface", 0.02)):
        d_exp = []
        for g in range(len(sw.groups)):
            keep = sw.group != g
            sub = sweep_from_arrays(sw.n_params[keep], sw.n_tokens[keep], sw.lr[keep], sw.batch_tokens[keep],
                                    sw.loss[keep], batch_unit="tokens")
            d_exp.append(fit_hparams(sub, method=method, window=window, n_bootstrap=0).rule.coefficients()[KEYS[1]])
        print(f"  {method:8} {window:g}: {min(d_exp):.3f} to {max(d_exp):.3f}")
    print("\nWhy: the D slope of log lr* within each model size (surface optima; best run of each group)")
    fit = fit_hparams(sw, n_bootstrap=0)
    for n in sorted({g.n_params for g in fit.groups}):
        gs = sorted((g for g in fit.groups if g.n_params == n), key=lambda g: g.n_tokens)
        if len(gs) < 2:
            continue
        x = np.log([g.n_tokens for g in gs])
        s_opt = np.polyfit(x, np.log([g.lr for g in gs]), 1)[0]
        s_best = np.polyfit(x, np.log([g.best_lr for g in gs]), 1)[0]
        print(f"  N = {n:.3g}: {len(gs)} sizes of D from {gs[0].n_tokens:.3g} to {gs[-1].n_tokens:.3g}: "
              f"surface {s_opt:.3f}, best run {s_best:.3f}")
    print("\nWhy: spread of the bootstrap coefficients (SD; ratio² = variance ratio), the authors' file against refits")
    for label, fit in fits.items():
        ours = fit.rule.samples
        for j, name in ((1, "lr N exponent"), (2, "lr D exponent"), (4, "batch D exponent")):
            print(f"  {label:17} {name:17} authors {boot[:, j].std():.4f}   refit {ours[:, j].std():.4f}   ratio² "
                  f"{(ours[:, j].std() / boot[:, j].std()) ** 2:.2f}")
        print(f"  {label:17} corr(N exponent, D exponent): authors {np.corrcoef(boot[:, 1], boot[:, 2])[0, 1]:+.2f}, "
              f"refit {np.corrcoef(ours[:, 1], ours[:, 2])[0, 1]:+.2f}")


def predictions(sw: Sweep, authors: object) -> None:
    from scalinglab.laws.hyperparams import STEP_LAW

    surface = fit_hparams(sw, n_bootstrap=N_BOOT)
    print("\nPredictions with 90% bands: inside the runs (1B on 100B tokens) and the authors' example (7B on 1.4T)")
    for n, d in ((1e9, 1e11), (7e9, 1.4e12)):
        for label, rule in (("published", STEP_LAW), ("filter refit", authors.rule), ("surface refit", surface.rule)):
            p = rule.predict(n_params=n, n_tokens=d)
            print(f"  N = {n:.0e}, D = {d:.2g}  {label:13} lr {p.lr:.3g} [{p.lr_interval[0]:.3g}, "
                  f"{p.lr_interval[1]:.3g}]   B {p.batch_tokens:.3g} [{p.batch_interval[0]:.3g}, "
                  f"{p.batch_interval[1]:.3g}] tokens")
    ratio = [STEP_LAW.predict(n_params=g.n_params, n_tokens=g.n_tokens).lr / g.lr for g in surface.groups]
    inside = sum(g.lr_flat[0] <= r * g.lr <= g.lr_flat[1] for g, r in zip(surface.groups, ratio))
    width = [g.lr_flat[1] / g.lr_flat[0] for g in surface.groups]
    bwidth = [g.batch_flat[1] / g.batch_flat[0] for g in surface.groups]
    print(f"  at the 17 groups: published lr / surface optimum {min(ratio):.2f} to {max(ratio):.2f} (median "
          f"{np.median(ratio):.2f}); inside the 0.5% range in {inside} of 17; that range spans ×{min(width):.1f} to "
          f"×{max(width):.1f} in lr (median ×{np.median(width):.1f}), ×{min(bwidth):.1f} to ×{max(bwidth):.1f} in batch")


def moe() -> None:
    path = DATA / "moe_lr_bs_loss.csv"
    _header("MoE runs (16 groups: 4 configurations × 4 D, total N ≈ 2.15e9 for all), smooth loss")
    for ncol, what in (("Na", "active"), ("N", "total")):
        sw = load_sweep(path, context=2048, loss_col="smooth loss", n_params_col=ncol, group_cols=("moe_name",))
        for method in ("surface", "filter"):
            fit = refit(f"{method} {what} N", sw, method=method)
            for r in fit.reasons:
                print(f"    NOT IDENTIFIED: {r}")
        if ncol == "N":
            for method in ("surface", "filter"):
                refit(f"{method} η(D) only", sw, method=method, lr_vars=("n_tokens",))


def main() -> None:
    if not DATA.is_dir():
        sys.exit(f"needs {DATA}")
    _header("Dense runs (1,911 runs, 17 (N, D) groups): published Step Law against refits")
    boot = published()
    smooth, raw = dense("smooth loss"), dense("loss")
    authors = refit("filter 0.25% smooth (authors')", smooth, method="filter")
    print(f"{'  its bootstrap mean (as published)':34} {'':6} {'':6} {np.exp(authors.bootstrap_mean['lr.log_coef']):9.3g} "
          + " ".join(f"{authors.bootstrap_mean[k]:7.3f} {'':16}" for k in KEYS))
    refit("filter 0.25% raw", raw, method="filter")
    for w in (0.001, 0.005, 0.01):
        refit(f"filter {w:.2%} smooth", smooth, method="filter", window=w)
    refit("surface 2% smooth (default)", smooth)
    refit("surface 2% raw", raw)
    for w in (0.01, 0.03, 0.05):
        refit(f"surface {w:.0%} smooth", smooth, window=w)
    for ncol, what in (("Na", "active"), ("N", "total")):
        m = load_sweep(DATA / "moe_lr_bs_loss.csv", context=2048, loss_col="smooth loss", n_params_col=ncol,
                       group_cols=("moe_name",))
        labels = [{"set": "dense"}] * len(smooth) + [{"set": str(m.groups[g]["labels"])} for g in m.group]
        both = sweep_from_arrays(*(np.concatenate([getattr(smooth, a), getattr(m, a)]) for a in (
            "n_params", "n_tokens", "lr", "batch_tokens", "loss")), batch_unit="tokens", labels=labels)
        pooled = refit(f"filter 0.25% dense + MoE ({what} N)", both, method="filter")
    why(smooth, boot, {"filter refit": authors, "pooled (total N)": pooled})
    predictions(smooth, authors)
    moe()


if __name__ == "__main__":
    main()
