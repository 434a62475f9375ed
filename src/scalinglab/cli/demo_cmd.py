"""``scalinglab demo``: the main job on embedded defaults (what ``make demo`` runs)."""

from __future__ import annotations

from typer import Context

from . import app
from ._common import console


@app.command("demo")
def demo(ctx: Context) -> None:
    """A tour on built-in defaults: the law catalog, a compute-optimal plan at Chinchilla's budget,
    an inference-aware plan, a data-constrained plan, and reference models against the frontier."""
    from . import main as run

    steps = [
        ("The law catalog", ["laws"]),
        ("Chinchilla's budget (5.76e23 FLOPs) on 1,024 H100s", ["plan", "--compute", "5.76e23", "--gpu", "H100",
                                                                 "--gpus", "1024"]),
        ("Same quality, 10T lifetime inference tokens (Sardana et al. 2024)",
         ["plan", "--inference-tokens", "10T", "--compute", "5.76e23", "--gpus", "1024"]),
        ("8.67B-model budget with only 25B unique tokens (Muennighoff et al. 2023)",
         ["plan", "--unique-tokens", "25B", "--compute", "9.26e21"]),
        ("Reference models against the compute-optimal frontier", ["models"]),
        ("A self-contained report", ["report", "--law", "epoch2024", "--budget", "5.76e23", "--out",
                                     "scalinglab-report.html"]),
    ]
    for title, argv in steps:
        console.rule(f"[bold]{title}[/]  [dim]scalinglab {' '.join(argv)}[/]")
        try:
            run(argv)
        except SystemExit as exc:  # sub-commands exit only on error
            if exc.code:
                raise
