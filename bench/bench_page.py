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
exits 0. Run: ``python bench/bench_page.py``.
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


def main() -> None:
    browser, why = _browser()
    if browser is None:
        print(f"bench_page: skipped: {why}")
        return
    with tempfile.TemporaryDirectory() as tmp:
        page = _page(Path(tmp))
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
        finally:
            browser.quit()


if __name__ == "__main__":
    main()
