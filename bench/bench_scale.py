"""Scale: fitting 10^5 and 10^6 runs, and planning from a law carrying 10^3 to 10^6 bootstrap samples.

(a) ``fit_law`` (Huber, Hoffmann's grid, variable projection, the forward-chaining folds of the prediction
    band) on synthetic runs of a known law, 10^5 and 10^6 rows: wall time, peak resident memory, and the
    recovered exponents. Each size runs in a fresh subprocess so its peak memory is its own. The baseline is
    the same fit with the subset search switched off (``SEARCH_ROWS`` and ``FOLD_ROWS`` set past the row
    count), run at 10^5 rows in the same way; the ratio is printed.
(b) ``plan_compute`` at 1e23 FLOPs from a fitted law carrying K bootstrap samples, K = 10^3 ... 10^6: the
    plan's time must not grow past :data:`~scalinglab.laws.fitted.MAX_INTERVAL_REFITS` samples.
Run: ``python bench/bench_scale.py [--quick]`` (``--quick``: 10^5 rows and up to 10^5 samples only).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import replace

import numpy as np

TRUE = {"E": 1.82, "A": 482.0, "B": 2085.0, "alpha": 0.3478, "beta": 0.3658}

_CHILD = r"""
import json, resource, sys, time
import numpy as np
import scalinglab.fit.parametric as par, scalinglab.fit.pipeline as pipe
from scalinglab.fit import Runs, fit_law
from scalinglab.laws.chinchilla import ChinchillaParams, predict
rows, subset = int(sys.argv[1]), sys.argv[2] == "1"
if not subset:
    par.SEARCH_ROWS = pipe.FOLD_ROWS = 10 * rows
t = json.loads(sys.argv[3])
rng = np.random.default_rng(0)
n = 10 ** rng.uniform(7, 10.5, rows)
d = 10 ** rng.uniform(9, 12.5, rows)
loss = predict(ChinchillaParams(**t), n, d) * np.exp(0.01 * rng.standard_normal(rows))
runs = Runs.from_arrays(n, d, loss)
t0 = time.perf_counter()
f = fit_law(runs)
sec = time.perf_counter() - t0
p = f.law.params
print(json.dumps({"seconds": sec, "peak_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6,
                  "alpha": p.alpha, "beta": p.beta, "E": p.E}))
"""


def fit_case(rows: int, subset: bool) -> dict:
    out = subprocess.run([sys.executable, "-c", _CHILD, str(rows), "1" if subset else "0", json.dumps(TRUE)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def plan_case(k: int) -> float:
    from scalinglab.fit import Runs, fit_law
    from scalinglab.laws.chinchilla import Chinchilla, ChinchillaParams, predict
    from scalinglab.plan import plan_compute

    rng = np.random.default_rng(1)
    n, d = 10 ** rng.uniform(7, 10, 200), 10 ** rng.uniform(9, 12, 200)
    runs = Runs.from_arrays(n, d, predict(ChinchillaParams(**TRUE), n, d) * np.exp(0.01 * rng.standard_normal(200)))
    fitted = fit_law(runs, n_bootstrap=20, seed=0)
    p = fitted.law.params
    jitter = np.exp(0.01 * rng.standard_normal((k, 5)))
    samples = tuple(Chinchilla(f"s{i}", ChinchillaParams(E=p.E * j[0], A=p.A * j[1], B=p.B * j[2],
                                                          alpha=p.alpha * j[3], beta=p.beta * j[4]), "")
                    for i, j in enumerate(jitter))
    many = replace(fitted, samples=samples)
    t0 = time.perf_counter()
    plan = plan_compute(1e23, law=many, allow_unidentified=True)
    sec = time.perf_counter() - t0
    assert plan.intervals["n_params"].n_samples <= 2000
    return sec


def main() -> None:
    quick = "--quick" in sys.argv
    print(f"true law: alpha {TRUE['alpha']}, beta {TRUE['beta']}, E {TRUE['E']}; 1% log-normal noise")
    base = fit_case(10**5, subset=False)
    print(f"fit 1e5 rows, search on every row (baseline): {base['seconds']:.1f} s, peak {base['peak_gb']:.2f} GB, "
          f"alpha {base['alpha']:.4f} beta {base['beta']:.4f}")
    for rows in (10**5,) if quick else (10**5, 10**6):
        r = fit_case(rows, subset=True)
        extra = f" ({base['seconds'] / r['seconds']:.1f}x faster than the baseline)" if rows == 10**5 else ""
        print(f"fit {rows:.0e} rows: {r['seconds']:.1f} s, peak {r['peak_gb']:.2f} GB, alpha {r['alpha']:.4f} "
              f"beta {r['beta']:.4f} E {r['E']:.4f}{extra}")
    for k in (10**3, 10**4, 10**5) if quick else (10**3, 10**4, 10**5, 10**6):
        print(f"plan_compute from a law with {k:.0e} samples: {plan_case(k):.2f} s")


if __name__ == "__main__":
    main()
