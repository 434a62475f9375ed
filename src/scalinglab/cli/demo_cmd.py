"""``scalinglab demo``: the main job on embedded defaults (what ``make demo`` runs)."""

from __future__ import annotations

import importlib.util

from . import app
from ._common import console

#: the lab's run store of the demo, in the working directory; a rerun reuses its finished runs
DEMO_STORE = "scalinglab-demo.db"
DEMO_REPORT = "scalinglab-report.html"
DEMO_FIT = "scalinglab-demo-fit.json"


def _steps(with_lab: bool) -> list[tuple[str, list[str]]]:
    steps = [
        ("The law catalog", ["laws"]),
        ("Chinchilla's budget (5.76e23 FLOPs) on 1,024 H100s", ["plan", "--flops", "5.76e23", "--gpu", "H100",
                                                                 "--gpus", "1024"]),
        ("Same quality, 10T lifetime inference tokens (Sardana et al. 2024)",
         ["plan", "--inference-tokens", "10T", "--flops", "5.76e23", "--gpus", "1024"]),
        ("8.67B-model budget with only 25B unique tokens (Muennighoff et al. 2023)",
         ["plan", "--unique-tokens", "25B", "--flops", "9.26e21"]),
        ("Reference models against the compute-optimal frontier", ["models"]),
    ]
    if with_lab:
        steps += [
            ("The lab: an IsoFLOP sweep of small GPT models on the bundled corpus (a few minutes; resumable)",
             ["lab", "sweep", "--preset", "demo", "--store", DEMO_STORE]),
            ("Compute-optimal exponents from the sweep's IsoFLOP profiles (Approach 2), with their verdict",
             ["fit", "--store", DEMO_STORE, "--approach", "isoflop", "--n-bootstrap", "200"]),
            ("Fit the sweep's law (Approach 3), check it on the held-out larger run, and save it",
             ["fit", "--store", DEMO_STORE, "--n-bootstrap", "100", "--out", DEMO_FIT]),
            ("A self-contained report of that same fitted law on the sweep",
             ["report", "--store", DEMO_STORE, "--fit", DEMO_FIT, "--flops", "3e12", "--out", DEMO_REPORT]),
        ]
    else:
        steps.append(("A self-contained report", ["report", "--law", "epoch2024", "--flops", "5.76e23", "--out",
                                                  DEMO_REPORT]))
    return steps


@app.command("demo")
def demo() -> None:
    """A tour on built-in defaults: the law catalog, a compute-optimal plan at Chinchilla's budget, an
    inference-aware plan, a data-constrained plan, reference models against the frontier, then (with the
    \\[lab] extra) a small IsoFLOP sweep trained here, its fit and held-out check, and an HTML report."""
    from . import main as run

    with_lab = importlib.util.find_spec("torch") is not None
    if not with_lab:
        console.print("[yellow]torch is not installed: the lab steps are skipped "
                      "(pip install 'scalinglab\\[lab]').[/]")
    for title, argv in _steps(with_lab):
        console.rule(f"[bold]{title}[/]  [dim]scalinglab {' '.join(argv)}[/]")
        try:
            run(argv)
        except SystemExit as exc:  # sub-commands exit only on error
            if exc.code:
                raise
