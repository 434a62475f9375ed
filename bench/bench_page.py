"""How fast the planner page answers a moved control, for a law carrying 1,000 bootstrap refits.

The law: a Chinchilla fit to the bundled muennighoff2023 runs (229 runs) with ``--n-bootstrap 1000`` (``scalinglab
fit``, seed 0), written as a page by ``scalinglab page``. Headless Chromium (Debian's ``chromium`` and
``chromium-driver``, driven by Selenium) opens it; for each question the budget slider (or the target-loss slider)
is moved ``MOVES`` times by an ``input`` event, as a hand moving it sends one (after ``WARMUP`` moves not counted, while
the browser compiles the page's functions). Two times per move:

- *update*: from the event to the page redrawn (the page's own ``performance.now()`` around its handler: reading
  the controls, the plan and all its refits, cost, memory, hyperparameters, the inference sweep, the table and both
  charts; ``scalinglab.timings``);
- *to frame*: from the event to the next animation frame, i.e. until the browser could paint the result.

Prints the median and the maximum of each, by question. Without chromium, chromedriver or selenium it says so and
skips them.

Then two checks behind docs/page.md, in Python on the same law (no browser):

- *one minimum*: the page re-solves each refit's inference-aware or data-constrained plan with a 64-point grid
  before Brent, where Python uses 2,001 points; that finds the same minimum when the objective has one minimum
  inside its finite region. For every 10th refit and the point law, at each setting below, the objective is
  evaluated on Python's 2,001-point grid and its local minima counted (steps below 1e-13 of the value ignored as
  rounding): one inside, one on the range's edge, none (flat to rounding), or several;
- *flat*: the data-constrained plans of the page (in the browser) at growing epochs: how many of them and of their
  refits the page flags as flat to rounding (saturated repetition).

Run: ``python bench/bench_page.py``.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

MOVES = 30
#: moves made first and not counted: the browser compiles the page's functions on their first calls
WARMUP = 5
QUESTIONS = {
    "compute-optimal": ({"question": "compute"}, "flops", (20.0, 24.0)),
    "target loss": ({"question": "target-loss"}, "target_loss", (2.45, 3.2)),
    "inference, loss held": ({"question": "inference", "quality": "budget", "hold": "loss",
                              "inference_tokens": 1e12}, "flops", (20.0, 22.5)),
    "inference, compute held": ({"question": "inference", "quality": "budget", "hold": "compute",
                                 "inference_tokens": 1e12}, "flops", (20.0, 22.5)),
    "data-constrained": ({"question": "unique-tokens", "unique_tokens": 3e10}, "flops", (20.0, 22.0)),
}
BASE = {"budget": "flops", "flops": 1e21, "gpus": 256, "mfu": 0.4, "gpu": "H100-SXM", "objective": "flops"}

# moves the slider `key` to each value of `values` by an input event; returns [update ms, to-frame ms] per move
_MOVE = """
const [key, values, done] = arguments, r = document.getElementById('r-' + key), out = [];
let i = 0;
function step() {
  if (i === values.length) { done(out); return; }
  r.value = String(values[i++]);
  const n = scalinglab.timings.length, t0 = performance.now();
  r.dispatchEvent(new Event('input'));
  const update = scalinglab.timings[n];
  requestAnimationFrame(() => { out.push([update, performance.now() - t0]); setTimeout(step, 0); });
}
step();
"""


def _page(folder: Path) -> Path:
    from scalinglab.cli import main

    law, page = folder / "law.json", folder / "planner.html"
    for argv in (["fit", "--dataset", "muennighoff2023", "--family", "chinchilla", "--n-bootstrap", "1000",
                  "--out", str(law)], ["page", "--law", str(law), "--out", str(page)]):
        with contextlib.redirect_stdout(io.StringIO()):
            try:
                main(argv)
            except SystemExit as exc:
                if exc.code:
                    raise
    return page


def _browser():
    chromium, driver = shutil.which("chromium") or shutil.which("chromium-browser"), shutil.which("chromedriver")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        return None, "selenium is not installed (the [test] extra)"
    if chromium is None or driver is None:
        return None, "chromium or chromedriver is missing (Debian: apt-get install -y chromium chromium-driver)"
    os.environ.setdefault("SE_OFFLINE", "1")
    opts = webdriver.ChromeOptions()
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1300,1500"):
        opts.add_argument(arg)
    opts.binary_location = chromium
    return webdriver.Chrome(service=Service(executable_path=driver), options=opts), ""


def _minima(y) -> str:
    """'inside', 'edge', 'flat' or 'several': the local minima of y over its finite part."""
    import numpy as np

    y = np.asarray(y, dtype=float)
    y = y[np.isfinite(y)]
    dy = np.diff(y)
    s = np.sign(dy[np.abs(dy) > 1e-13 * np.abs(y[1:])])
    inside = int(np.sum((s[:-1] < 0) & (s[1:] > 0)))
    if inside > 1:
        return "several"
    if inside == 1:
        return "inside"
    return "edge" if len(s) and int(np.argmin(y)) in (0, len(y) - 1) else "flat"


def _one_minimum(law_path: Path) -> None:
    from collections import Counter

    import numpy as np

    from scalinglab.laws.io import load_fitted
    from scalinglab.laws.fitted import MAX_INTERVAL_REFITS
    from scalinglab.plan.data import as_data_constrained
    from scalinglab.plan.inference import tokens_for_loss
    from scalinglab.plan.optimal import optimal_flops_for_loss, optimal_split

    fitted = load_fitted(law_path)
    laws = fitted.variants(MAX_INTERVAL_REFITS)[::10] + [fitted.law]
    counts: dict[str, Counter] = {k: Counter() for k in ("inference, loss held", "inference, compute held",
                                                         "data-constrained")}
    for lw in laws:
        for c in (1e19, 1e21, 1e23, 1e25):
            for t in (1e9, 1e11, 1e13, 1e15):
                target = float(lw.loss(*optimal_split(lw, c)))
                n_ref = optimal_split(lw, optimal_flops_for_loss(lw, target))[0]
                x = np.linspace(np.log(n_ref) - 25, np.log(n_ref) + 0.5, 2001)
                with np.errstate(all="ignore"):
                    n = np.exp(x)
                    counts["inference, loss held"][_minima(6 * n * tokens_for_loss(lw, n, target) + 2 * n * t)] += 1
                    hi = min(np.log(optimal_split(lw, c)[0]) + 0.5, np.log(c / (2 * t)))
                    n = np.exp(np.linspace(hi - 25, hi, 2001))
                    d = (c - 2 * n * t) / (6 * n)
                    counts["inference, compute held"][_minima(np.where(d > 0, lw.loss(n, np.where(d > 0, d, 1)),
                                                                       np.inf))] += 1
            dc = as_data_constrained(lw)
            for epochs in (0.1, 1, 4, 16, 64, 256):
                u = optimal_split(lw, c)[1] / epochs
                mid = 0.5 * np.log(c / 6)
                x = np.linspace(mid - 9.3, mid + 9.3, 2001)
                counts["data-constrained"][_minima(dc.loss(np.exp(x), np.exp(np.log(c / 6) - x), u))] += 1
    print(f"\nobjectives on Python's 2,001-point grid, {len(laws)} laws (every 10th refit and the point law); local "
          "minima:")
    for name, cnt in counts.items():
        print(f"  {name:<26}" + ", ".join(f"{k} {cnt[k]}" for k in ("inside", "edge", "flat", "several")))
    print("  (inference: C 1e19..1e25 x T 1e9..1e15; data-constrained: C 1e19..1e25 x U = D*(C) / "
          "(0.1, 1, 4, 16, 64, 256))")


_FLAT = """
const m = SL.model(JSON.parse(document.getElementById('sl-data').textContent));
return arguments[0].map(([c, u]) => { const p = SL.planUniqueTokens(m, u, c);
  const k = p.flat ? (/and (\\d+) of/.exec(p.flat) || [0, 0])[1] : 0;
  return [c, u, p.epochs, p.flat ? (p.flat.includes('does not set N') ? 'yes' : 'no') : 'no', Number(k)]; });
"""


def _flat(browser) -> None:
    rows = browser.execute_script(_FLAT, [[c, u] for c in (1e21, 1e23) for u in (3e10, 3e9, 1e9, 3e8, 1e8)])
    print("\ndata-constrained plans flagged flat (saturated repetition) by the page:")
    print(f"{'C':>9}{'U':>9}{'epochs':>10}{'plan flat':>11}{'refits flat':>13}")
    for c, u, epochs, own, k in rows:
        print(f"{c:>9.0e}{u:>9.0e}{epochs:>10.3g}{own:>11}{k:>13,}")


def main() -> None:
    browser, why = _browser()
    with tempfile.TemporaryDirectory() as tmp:
        page = _page(Path(tmp))
        _one_minimum(Path(tmp) / "law.json")
        if browser is None:
            print(f"bench_page: browser timings skipped: {why}")
            return
        try:
            browser.get(page.resolve().as_uri())
            samples = browser.execute_script("return JSON.parse(document.getElementById('sl-data').textContent)"
                                             ".fit.samples.length")
            print(f"planner page, law fitted to muennighoff2023 with {samples:,} bootstrap refits carried; "
                  f"{MOVES} slider moves per question after {WARMUP} not counted (ms); load average "
                  f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
            print(f"{'question':<26}{'update median':>14}{'update max':>12}{'to frame median':>17}{'to frame max':>14}")
            browser.set_script_timeout(120)
            for name, (state, key, (lo, hi)) in QUESTIONS.items():
                browser.execute_script("scalinglab.set(arguments[0])", {**BASE, **state})
                values = [lo + (hi - lo) * i / (MOVES - 1) for i in range(MOVES)]
                rows = browser.execute_async_script(_MOVE, key, values[:WARMUP] + values)[WARMUP:]
                err = browser.execute_script("return scalinglab.error()")
                if err:
                    print(f"{name}: {err}", file=sys.stderr)
                upd, frame = [r[0] for r in rows], [r[1] for r in rows]
                print(f"{name:<26}{statistics.median(upd):>14.1f}{max(upd):>12.1f}{statistics.median(frame):>17.1f}"
                      f"{max(frame):>14.1f}")
            _flat(browser)
        finally:
            browser.quit()


if __name__ == "__main__":
    main()
