"""Two-step downstream predictions on the published data: Gadre et al.'s split and Bhagia et al.'s ladder.

1. Gadre et al. (RedPajama, C4-eval loss, 17-task average top-1 error): the over-training law on their five
   small runs, the exponential error law on those and the 1.4B M=20 run; the chained error of the 1.4B M=640
   and 6.9B M=20 runs beside the notebook's printed relative errors.
2. The OLMo ladder (16 runs, 190M-1.3B at 1-10x Chinchilla): per task the Chinchilla form on the task's bits per
   byte and the sigmoid to accuracy; for the 7B-4T and 13B-5T targets, per task: our prediction, the authors'
   (their predict.py), the actual accuracy, our error, the 90% mean band, the 90% prediction band and its
   width, and the step-1 verdict. The README's four ill-conditioned tasks are marked *.

BLAS is pinned to one thread (unless the caller set it): on a 2-core machine a threaded BLAS made the
Chinchilla fits' L-BFGS-B polishes 5-30x slower. Prints figures, asserts nothing.

Run: ``PYTHONPATH=src python bench/bench_downstream.py [--n-bootstrap 200] [--figure ladder.png]`` (needs
../shared/data; ``--figure`` writes the ladder's predicted-against-actual figure with both targets).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from _gadre_downstream import PUBLISHED, STEP1, SUBSET, TARGETS as GADRE_TARGETS, average_error, gadre_table, rows  # noqa: E402,E501
from _ladder import HARD, TARGETS, TASKS, actual_accuracy, authors_predictions, ladder_table  # noqa: E402

from scalinglab.fit import fit_downstream, read_task_runs  # noqa: E402

DATA = ROOT.parent / "shared" / "data"


def _band(b: tuple[float, float] | None, scale: float = 100.0) -> str:
    return "-" if b is None else f"[{scale * b[0]:5.1f}, {scale * b[1]:5.1f}]"


def gadre(tmp: Path, n_bootstrap: int) -> None:
    by_key = rows(DATA)
    runs = read_task_runs(gadre_table(DATA, tmp / "gadre.csv"), tasks=SUBSET)
    t0 = time.perf_counter()
    fit = fit_downstream(runs, "gadre", step1_runs=[by_key[k]["name"] for k in STEP1], n_bootstrap=n_bootstrap)
    secs = time.perf_counter() - t0
    chain = fit.chains["average"]
    print(f"Gadre et al. 2024: 17-task average top-1 error, RedPajama, C4-eval loss ({n_bootstrap} refits, "
          f"fit {secs:.1f} s)")
    print(f"  step 1 {chain.loss_fit.law.coefficients()}")
    print(f"  step 2 {chain.score_map.coefficients()}  verdict: {chain.loss_fit.identification.summary()}")
    print(f"  {'target':12s} {'pred err':>8s} {'actual':>7s} {'rel err':>8s} {'paper':>8s} {'90% mean band':>15s} "
          f"{'90% pred band':>15s}")
    for name, key in GADRE_TARGETS.items():
        r = by_key[key]
        p = chain.predict(float(r["params"]), float(r["tokens"]))
        actual = average_error(r)
        rel = abs(p.score - actual) / actual * 100
        print(f"  {name:12s} {100 * p.score:8.2f} {100 * actual:7.2f} {rel:7.4f}% {PUBLISHED[name]:7.4f}% "
              f"{_band(p.mean_band):>15s} {_band(p.prediction_band):>15s}")


def ladder(tmp: Path, n_bootstrap: int, figure: str | None = None) -> None:
    runs = read_task_runs(ladder_table(DATA, tmp / "ladder.csv"), tasks=list(TASKS))
    t0 = time.perf_counter()
    fit = fit_downstream(runs, "ladder", n_bootstrap=n_bootstrap, seed=0)
    secs = time.perf_counter() - t0
    actual, authors = actual_accuracy(DATA), authors_predictions(DATA)
    print(f"\nBhagia et al. 2024 ladder: 16 runs, 8 tasks, {n_bootstrap} paired refits of both steps (fit {secs:.1f} s; "
          f"accuracy in points)")
    print(f"  {'target':6s} {'task':15s} {'pred':>6s} {'authors':>7s} {'actual':>6s} {'error':>6s} "
          f"{'90% mean band':>15s} {'90% pred band':>15s} {'width':>5s}  step-1 verdict")
    mean_in = pred_in = 0
    diffs = []
    for target, (n, d) in TARGETS.items():
        for p in fit.predict(n, d):
            task = p.target
            a, au = actual[target][task], authors[target][task]
            diffs.append(abs(p.score - au) * 100)
            mean_in += p.mean_band[0] <= a <= p.mean_band[1]
            inside = p.prediction_band[0] <= a <= p.prediction_band[1]
            pred_in += inside
            ident = fit.chains[task].loss_fit.identification
            verdict = f"{ident.status}, {ident.n_degenerate}/{ident.n_refits} refits on a bound"
            mark = "*" if task in HARD else " "
            print(f"  {target:6s} {task + mark:15s} {100 * p.score:6.2f} {100 * au:7.2f} {100 * a:6.2f} "
                  f"{100 * (p.score - a):+6.2f} {_band(p.mean_band):>15s} {_band(p.prediction_band):>15s}"
                  f"{'' if inside else '!':1s}{100 * (p.prediction_band[1] - p.prediction_band[0]):5.1f}  {verdict}")
    n_all = len(diffs)
    print(f"  largest |ours - authors|: {max(diffs):.1e} points; actual in the 90% mean band: {mean_in}/{n_all}, "
          f"in the 90% prediction band: {pred_in}/{n_all} (! marks a miss)")
    widths = {t: [] for t in TASKS}
    for target, (n, d) in TARGETS.items():
        for p in fit.predict(n, d):
            widths[p.target].append(100 * (p.prediction_band[1] - p.prediction_band[0]))
    hard = [w for t in HARD for w in widths[t]]
    easy = [w for t in TASKS if t not in HARD for w in widths[t]]
    print(f"  prediction band width, points: the four tasks within 2 points {min(easy):.1f}-{max(easy):.1f}, "
          f"the README's four ill-conditioned (*) {min(hard):.1f}-{max(hard):.1f}")
    if figure:
        from scalinglab.report import ScoreTarget, downstream_figure

        targets = [ScoreTarget(t, n, d, actual[t]) for t, (n, d) in TARGETS.items()]
        downstream_figure(fit, runs, targets).savefig(figure, dpi=110)
        print(f"  figure: {figure}")
    for task in TASKS:
        s = fit.chains[task].summary
        print(f"  {task:14s} step 2 rms {100 * s['step2_rms']:.2f} points over {s['n_points_step2']} evaluations; "
              f"{s['seconds']:.1f} s" + (f"; warning: {s['warnings'][0][:90]}" if s["warnings"] else ""))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-bootstrap", type=int, default=200)
    ap.add_argument("--figure", help="write the ladder's predicted-against-actual figure here (.png, .svg, .pdf)")
    args = ap.parse_args()
    if not DATA.is_dir():
        sys.exit(f"needs {DATA}")
    with tempfile.TemporaryDirectory() as tmp:
        gadre(Path(tmp), args.n_bootstrap)
        ladder(Path(tmp), args.n_bootstrap, args.figure)


if __name__ == "__main__":
    main()
