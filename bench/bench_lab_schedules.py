"""Training-curve laws on the lab's own schedule sweep: fit on three schedules, predict the three others.

Trains (or resumes, or reuses) the ``schedules`` preset in a run store: one 67.8 K-parameter model
(2 layers, d_model 48, context 64, batch 16, the bundled corpus) for 2,400 steps under cosine, constant,
wsd:0.2, wsd:0.1 and step:0.3, and a 7,200-step cosine. Each run's curve is its dense training log (the mean
training loss of windows of ``steps // 200`` steps) after the warmup (:func:`scalinglab.fit.store_curves`).

Split, as the multi-power-law authors split theirs (fit on cosine, constant and one decay; predict other
decays and a run three times longer): fit on cosine_2400, constant_2400 and wsd0.2_2400; predict
wsd0.1_2400, step0.3_2400 and cosine_7200. Printed per law and fitting method: the fit's seconds, the log
residual scatter of the fitted curves, and for each predicted schedule the mean relative error over its
points (``prede``, the authors' metric), R² and the relative error of the final loss (the mean of the last
10 points, 5% of the run, predicted against logged: one point alone carries ~1% noise). Then, per curve, its
point-to-point noise, ``sd(diff(log L))/√2`` (the trend cancels in the differences): a law that were exact
would still show ``prede`` ≈ 0.8 × that noise.

Run: ``PYTHONPATH=src python bench/bench_lab_schedules.py --store lab-schedules.db [--workers 2]``; a store
that already holds the finished sweep is only read (``scalinglab lab sweep --preset schedules --store ...``
makes the same sweep).
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

from scalinglab.fit.curves import curve_metrics, fit_curves, predict_curve
from scalinglab.fit.store_curves import curves_from_store
from scalinglab.lab.executors import run_sweep
from scalinglab.lab.registry import register_sweep
from scalinglab.lab.schedule_sweep import schedule_preset

FIT_SET = ("cosine_2400", "constant_2400", "wsd0.2_2400")
PREDICT_SET = ("wsd0.1_2400", "step0.3_2400", "cosine_7200")
LAWS = (("multi-power", "lsq"), ("multi-power", "authors"), ("annealing", "lsq"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", default="lab-schedules.db")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    sweep = schedule_preset("schedules")
    register_sweep(args.store, sweep)
    t0 = time.perf_counter()
    summary = run_sweep(args.store, sweep.name, workers=args.workers)
    print(f"sweep: trained {summary.trained} run(s) in {time.perf_counter() - t0:.0f} s; "
          f"{summary.counts['done']}/{summary.counts['total']} done")

    curves = {c.name: c for c in curves_from_store(args.store, sweep=sweep.name)}
    print("points per curve: " + ", ".join(f"{n} {c.steps.size}" for n, c in curves.items()))
    fit_set, held = [curves[n] for n in FIT_SET], [curves[n] for n in PREDICT_SET]
    print(f"{'law/method':22} {'fit s':>6} {'resid sd':>8}  " + "  ".join(f"{n:>27}" for n in PREDICT_SET))
    print(f"{'':22} {'':>6} {'':>8}  " + "  ".join(f"{'prede':>8} {'r2':>8} {'final':>9}" for _ in PREDICT_SET))
    for law, method in LAWS:
        t = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fit = fit_curves(fit_set, law=law, method=method, transfer=False)
        seconds = time.perf_counter() - t
        cells = []
        for c in held:
            pred = predict_curve(fit, c.lrs, c.steps)["loss"]
            m = curve_metrics(c.loss, pred)
            final = np.mean(pred[-10:]) / np.mean(c.loss[-10:]) - 1
            cells.append(f"{m['prede']:8.5f} {m['r2']:8.4f} {final:+9.5f}")
        note = f"  ({len(caught)} warning(s): {caught[0].message})" if caught else ""
        print(f"{law + '/' + method:22} {seconds:6.2f} {fit.residual_sd:8.5f}  " + "  ".join(cells) + note)
    for name in FIT_SET + PREDICT_SET:
        c = curves[name]
        noise = np.std(np.diff(np.log(c.loss))) / np.sqrt(2)
        print(f"{name:14} {'fit' if name in FIT_SET else 'predicted':9} steps {c.steps[0]}-{c.steps[-1]}  loss "
              f"{c.loss[0]:.4f} -> {np.mean(c.loss[-10:]):.4f} (last 10 points)  noise {noise:.4f}")


if __name__ == "__main__":
    main()
