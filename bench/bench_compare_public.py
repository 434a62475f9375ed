"""The multipliers of docs/compare.md on public data, printed as the markdown tables the page shows.

- Porian et al. (2024), bundled ``porian2024``: each step of the paper's path from Kaplan's to Chinchilla's
  allocation, B against the configuration before it (A), within one FLOP count and one loss: RefinedWeb train
  loss with attention FLOPs counted (the train-loss path), RefinedWeb validation loss with the standard count
  (the main path of the paper's Fig. 1), its OpenWebText2 analogue, and Kaplan's own count (reproduction
  against tuned hyperparameters). IsoFLOP profile minima per budget (``frontier="auto"`` finds the grids).
- Gadre et al. (2024), bundled ``gadre2024``: the three training sets against each other on C4-eval loss
  (``loss_c4_val``, the paper's), each side's frontier from the over-training law fitted to its runs (they are no
  IsoFLOP grid).

Each pair with separate and with shared exponents, ``n_bootstrap`` replicates per side (default 200), seed 0, 90%
intervals. Run: ``PYTHONPATH=src python bench/bench_compare_public.py [--n-bootstrap 200] [--only porian|gadre]``
(about 1 min for Porian, 6 min for Gadre on this 2-core machine). The same numbers come from the CLI, e.g.
``scalinglab compare porian2024 --a-where "paper_label=Cosine decay" --b-where "paper_label=Optimizer tuning (no
decay)" --at 1e17,1e18,1e19``.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402

from scalinglab.datasets import load_dataset  # noqa: E402
from scalinglab.errors import ScalingLabError  # noqa: E402
from scalinglab.fit import compare_runs, select_groups  # noqa: E402

PORIAN_PATHS = {
    "RefinedWeb, train loss, attention FLOPs": [
        "Counting last layer and attention FLOPs", "Correcting warmup (attention FLOPs)",
        "Cosine decay (attention FLOPs)", "Optimizer tuning (no decay) (attention FLOPs)"],
    "RefinedWeb, validation loss, standard count": [
        "Counting last layer FLOPs", "Correcting warmup", "Cosine decay", "Optimizer tuning (no decay)"],
    "OpenWebText2, validation loss, standard count": [
        f"OpenWebText2 analogue of: {s}" for s in ("Counting last layer FLOPs", "Correcting warmup", "Cosine decay",
                                                   "Optimizer tuning (no decay)")],
    "RefinedWeb, train loss, Kaplan's count": ["Reproducing Kaplan et al.", "Kaplan param count, tuned hparams"],
}
PORIAN_AT = [1e17, 1e18, 1e19]
GADRE_PAIRS = [("c4_original", "rpj"), ("c4_original", "rw_original"), ("rpj", "rw_original")]
GADRE_AT = [1e17, 1e19, 1e21]


def _m(v: float) -> str:
    return "∞" if np.isposinf(v) else f"{v:.3g}"


def _cell(cmp, j: int) -> str:
    if np.isnan(cmp.lower[j]):
        return _m(cmp.multiplier[j])
    text = f"{_m(cmp.multiplier[j])} [{_m(cmp.lower[j])}, {_m(cmp.upper[j])}]"
    return f"n.i.: {text}" if cmp.at_reasons[j] else text


def _row(name_a: str, name_b: str, cmp) -> str:
    diff = "—" if cmp.exponent_difference is None else (
        f"{cmp.exponent_difference:+.3f} [{cmp.exponent_interval[0]:+.3f}, {cmp.exponent_interval[1]:+.3f}]")
    trend = "—" if cmp.trend_interval is None or cmp.exponents == "shared" else (
        f"×{_m(cmp.trend)} [{_m(cmp.trend_interval[0])}, {_m(cmp.trend_interval[1])}]")
    status = cmp.status + ("" if not cmp.reasons else " (" + "; ".join(cmp.reasons) + ")")
    return (f"| {name_a} | {name_b} | {cmp.exponents} | " + " | ".join(_cell(cmp, j) for j in range(len(cmp.at)))
            + f" | {diff} | {trend} | {cmp.verdict} | {status} |")


def _header(at: list[float]) -> str:
    xs = " | ".join(f"M at {x:.0e}" for x in at)
    return (f"| A | B | exponents | {xs} | a_B − a_A | M change across the range | verdict | status |\n"
            "|" + "---|" * (8 + len(at) - 1))


def porian(reps: int) -> None:
    runs = load_dataset("porian2024", group_cols=("paper_label",))
    for title, path in PORIAN_PATHS.items():
        print(f"\n**{title}** (IsoFLOP profile minima; M of B over A at C in FLOPs)\n\n{_header(PORIAN_AT)}")
        for a, b in zip(path, path[1:]):
            sa, sb = select_groups(runs, paper_label=a), select_groups(runs, paper_label=b)
            for ex in ("separate", "shared"):
                try:
                    cmp = compare_runs(sa, sb, exponents=ex, n_bootstrap=reps, at=PORIAN_AT, seed=0)
                    print(_row(a, b, cmp))
                except ScalingLabError as exc:
                    print(f"| {a} | {b} | {ex} | error: {exc} |")


def gadre(reps: int) -> None:
    runs = load_dataset("gadre2024", group_cols=("dataset",))
    print(f"\n**Gadre et al. training sets, C4-eval loss** (over-training law per side)\n\n{_header(GADRE_AT)}")
    for a, b in GADRE_PAIRS:
        sa, sb = select_groups(runs, dataset=a), select_groups(runs, dataset=b)
        for ex in ("separate", "shared"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # bootstrap refits on a bound are counted in the verdict
                cmp = compare_runs(sa, sb, exponents=ex, family="over-training", n_bootstrap=reps, at=GADRE_AT,
                                   seed=0)
            print(_row(a, b, cmp))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-bootstrap", type=int, default=200)
    ap.add_argument("--only", choices=("porian", "gadre"))
    args = ap.parse_args()
    for name, job in (("porian", porian), ("gadre", gadre)):
        if args.only in (None, name):
            t0 = time.perf_counter()
            job(args.n_bootstrap)
            print(f"\n({name}: {time.perf_counter() - t0:.0f} s, {args.n_bootstrap} bootstrap replicates per side)")


if __name__ == "__main__":
    main()
