"""Do the family bootstrap's standard errors match the real sampling spread? (over-training law)

Design: 40 runs, 8 model sizes (10^7.5..10^9.5) x token multipliers 5, 10, 20, 80, 320, from Gadre-like
coefficients (E 1.85, a 140, b 200, η 0.12) with 0.5% log-normal noise. The sampling spread is the SD of the
fitted coefficients over ``DRAWS`` fresh noise draws (each fitted from the truth and one perturbed start,
as the bootstrap refits are); the bootstrap SE comes from ``N_BOOT`` refits of one draw. Prints both and
their ratio. Run: ``python bench/bench_family_coverage.py``.
"""

from __future__ import annotations

import time

import numpy as np

from scalinglab.fit import Runs, bootstrap_family, fit_family
from scalinglab.fit.families import FAMILIES, solve
from scalinglab.laws.base import Citation
from scalinglab.laws.overtraining import OverTraining

DRAWS, N_BOOT, NOISE = 60, 200, 0.005
TRUTH = OverTraining("truth", 1.85, 140.0, 200.0, 0.12, Citation("bench", 2025, "synthetic"))


def main() -> None:
    t0 = time.perf_counter()
    n = np.repeat(np.logspace(7.5, 9.5, 8), 5)
    d = n * np.tile([5.0, 10.0, 20.0, 80.0, 320.0], 8)
    clean = np.log(np.asarray(TRUTH.loss(n, d)))
    fam = FAMILIES["over-training"]
    true = np.array([np.log(1.85), np.log(140.0), np.log(200.0), 0.12])
    rng = np.random.default_rng(123)
    fits = []
    for _ in range(DRAWS):
        ll = clean + NOISE * rng.standard_normal(clean.size)
        x, _ = min((solve(fam.log_loss, x0, fam.bounds, (np.log(n), np.log(d), ll), None, "huber", 1e-3, 0.75)
                    for x0 in (true, true * [1, 1, 1, 0.8])), key=lambda t: t[1])
        fits.append(fam.build(x).coefficients())
    spread = {k: float(np.std([f[k] for f in fits], ddof=1)) for k in fits[0]}
    runs = Runs.from_arrays(n, d, np.exp(clean + NOISE * np.random.default_rng(7).standard_normal(clean.size)))
    boot = bootstrap_family(runs, fit_family("over-training", runs), N_BOOT, seed=0)
    print(f"over-training, 40 runs, {NOISE:.1%} noise: sampling SD over {DRAWS} draws vs bootstrap SE "
          f"({N_BOOT} refits of one draw)")
    for k, sd in spread.items():
        print(f"  {k:>4}: sampling SD {sd:.4g}, bootstrap SE {boot.se[k]:.4g}, ratio {boot.se[k] / sd:.2f}")
    print(f"({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
