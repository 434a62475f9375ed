"""Variable projection against the joint five-parameter search on random synthetic problems.

Each problem: 80 runs with N log-uniform in [1e7, 1e10] and D in [1e9, 1e12], a random Chinchilla law
(E in [1, 2.5], ln A and ln B in [3, 9], α and β in [0.1, 0.9]) and log-normal noise of 0, 0.5, 2 or 5%.
Both methods start from Hoffmann's grid. Prints the total time of each and how often varpro's objective
was lower, equal (within 1e-6 relative) or higher; for each "higher", whether varpro warned (most random
laws here are degenerate: a term too small to identify). Run: ``python bench/bench_varpro_vs_joint.py [N_PROBLEMS]``.
"""

from __future__ import annotations

import sys
import warnings

import numpy as np

from scalinglab.fit import FitWarning, Runs, fit_chinchilla


def main(n_problems: int = 30) -> None:
    rng = np.random.default_rng(0)
    t_vp = t_joint = 0.0
    worse, better = [], 0
    for k in range(n_problems):
        n = np.exp(rng.uniform(np.log(1e7), np.log(1e10), 80))
        d = np.exp(rng.uniform(np.log(1e9), np.log(1e12), 80))
        e, a, b = rng.uniform(1.0, 2.5), np.exp(rng.uniform(3, 9)), np.exp(rng.uniform(3, 9))
        al, be = rng.uniform(0.1, 0.9), rng.uniform(0.1, 0.9)
        noise = rng.choice([0.0, 0.005, 0.02, 0.05])
        runs = Runs.from_arrays(n, d, (e + a / n**al + b / d**be) * np.exp(noise * rng.standard_normal(80)))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", FitWarning)
            vp = fit_chinchilla(runs)
            vp_warned = any(issubclass(w.category, FitWarning) for w in caught)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FitWarning)
            jt = fit_chinchilla(runs, method="joint")
        t_vp, t_joint = t_vp + vp.seconds, t_joint + jt.seconds
        tol = 1e-6 * jt.objective + 1e-15
        if vp.objective > jt.objective + tol:
            worse.append((k, noise, vp.objective / jt.objective - 1.0, vp.params.alpha, vp.params.beta,
                          vp_warned, jt.at_bound))
        elif vp.objective < jt.objective - tol:
            better += 1
    print(f"{n_problems} problems: varpro {t_vp:.2f} s in all, joint {t_joint:.2f} s "
          f"({t_joint / t_vp:.1f}x); varpro lower on {better}, equal on {n_problems - better - len(worse)}, "
          f"higher on {len(worse)}")
    for k, noise, rel, al, be, warned, jb in worse:
        print(f"  problem {k} (noise {noise:g}): varpro {rel:.2%} higher; varpro alpha={al:.3g} beta={be:.3g}, "
              f"FitWarning={warned}; joint at bound: {', '.join(jb) or 'none'}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 30)
