"""Training-curve laws on the multi-power-law authors' curves: their fit/predict split, their metrics, fit times.

For each model size (25M, 100M, 400M) the laws are fitted on the authors' three curves (cosine_24000,
constant_24000, wsdcon_9) and predict their six others; the printed figures are the averages over those six
of the authors' metrics (R², MAE, RMSE, mean and worst relative error), beside the README's table. Rows:

- ``multi-power/authors``: the authors' own procedure (early-stopped AdamW), which their table comes from;
- ``multi-power/lsq``: the minimum of the same objective (least squares, 4 starts);
- ``annealing/lsq``: Tissue et al.'s form, fitted the same way (λ = 0.999).

A second table checks the bands and tracking (``multi-power/lsq`` and ``annealing/lsq``, 20 bootstrap refits):
how many of the six held-out final losses lie in the 90% run band of the prediction; the fraction of all
held-out points inside it; and ``track`` given the first 30% of each held-out curve and its schedule: the
worst relative error of the projected final loss and how many truths lie in the projection's band.

Run: ``python bench/bench_curves.py`` (needs ../shared/data). ``fit s`` is the wall time of one fit on this
machine (without the leave-one-curve-out refits that measure ``transfer_sd``, the law's log error on a
schedule left out of the fit, printed last).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from _multipower import FIT_SET, PREDICT_SET, README_METRICS, SIZES, load_curve  # noqa: E402

from scalinglab.fit.curves import curve_metrics, fit_curves, predict_curve  # noqa: E402
from scalinglab.report.track_curve import track_curve  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
KEYS = ("r2", "mae", "rmse", "prede", "worste")


def main() -> None:
    if not (DATA / "multipower-loss-curves").is_dir():
        sys.exit(f"needs {DATA / 'multipower-loss-curves'}")
    print(f"{'size':5} {'law/method':22} {'fit s':>6} {'objective':>10} " + " ".join(f"{k:>8}" for k in KEYS)
          + f" {'transfer_sd':>11}")
    for size in SIZES:
        print(f"{size:5} {'README (authors)':22} {'':>6} {'':>10} "
              + " ".join(f"{README_METRICS[size][k]:8.5f}" for k in KEYS))
        fit_curves_ = [load_curve(DATA, size, s) for s in FIT_SET]
        held = [load_curve(DATA, size, s) for s in PREDICT_SET]
        for law, method in (("multi-power", "authors"), ("multi-power", "lsq"), ("annealing", "lsq")):
            t0 = time.perf_counter()
            fit = fit_curves(fit_curves_, law=law, method=method, transfer=False)
            seconds = time.perf_counter() - t0
            transfer = fit_curves(fit_curves_, law=law, method=method).transfer_sd
            m = [curve_metrics(c.loss, predict_curve(fit, c.lrs, c.steps)["loss"]) for c in held]
            print(f"{size:5} {law + '/' + method:22} {seconds:6.2f} {fit.objective:10.3e} "
                  + " ".join(f"{np.mean([x[k] for x in m]):8.5f}" for k in KEYS) + f" {transfer:11.5f}")



def bands() -> None:
    """The 90% run band against the held-out curves, and tracking from the first 30% of each."""
    print(f"\n{'size':5} {'law':12} {'boot s':>6} {'finals in band':>14} {'points in band':>14} "
          f"{'track: worst |err|':>18} {'finals in band':>14}")
    totals: dict[str, list[int]] = {}
    for size in SIZES:
        fit_set = [load_curve(DATA, size, s) for s in FIT_SET]
        held = [load_curve(DATA, size, s) for s in PREDICT_SET]
        for law in ("multi-power", "annealing"):
            t0 = time.perf_counter()
            fit = fit_curves(fit_set, law=law, n_bootstrap=20)
            seconds = time.perf_counter() - t0
            finals = points = inside = 0
            worst, n_pts = 0.0, 0
            for c in held:
                p = predict_curve(fit, c.lrs, c.steps)
                finals += bool(p["run_low"][-1] <= c.loss[-1] <= p["run_high"][-1])
                points += int(np.sum((c.loss >= p["run_low"]) & (c.loss <= p["run_high"])))
                n_pts += c.steps.size
                n = int(round(0.3 * c.steps.size))
                r = track_curve(c.steps[:n], c.loss[:n], c.lrs, fit=fit)
                worst = max(worst, abs(r.projected_final_loss / c.loss[-1] - 1))
                inside += bool(r.projected_interval[0] <= c.loss[-1] <= r.projected_interval[1])
            t = totals.setdefault(law, [0, 0, 0])
            t[0] += finals
            t[1] += inside
            t[2] += len(held)
            print(f"{size:5} {law:12} {seconds:6.1f} {finals:>10} / {len(held)} {points / n_pts:14.0%} "
                  f"{worst:18.2%} {inside:>10} / {len(held)}")
    for law, (finals, inside, n) in totals.items():
        print(f"all   {law:12} {'':>6} {finals:>9} / {n} {'':>14} {'':>18} {inside:>9} / {n}")


if __name__ == "__main__":
    main()
    bands()
