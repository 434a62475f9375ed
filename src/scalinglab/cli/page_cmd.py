"""``scalinglab page``: an interactive planner page, one self-contained HTML file that plans in the browser."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from ..laws.fitted import MAX_INTERVAL_REFITS
from . import app
from ._common import console


@app.command("page")
def page_command(
    law: Annotated[str | None, typer.Option("--law", help="Chinchilla-form law to plan with: epoch2024 (default), "
                                            "hoffmann2022, hoffmann2022-unrounded, or a fitted-law .json from "
                                            "`scalinglab fit --out` (its bootstrap refits give the bands).")] = None,
    out: Annotated[str, typer.Option("--out", help="HTML file to write.")] = "planner.html",
    hp_rule: Annotated[str, typer.Option("--hp-rule", metavar="RULE", help="Rule for the learning rate and batch "
                                         "size: step-law (default), deepseek-llm, a rule file from `scalinglab "
                                         "fit-hparams`, or none.")] = "step-law",
) -> None:
    """Write a planner page: one HTML file that re-plans as its controls move (budget in FLOPs or GPUs × days × MFU,
    inference demand, unique tokens, GPU and price) and shows N, D, tokens per parameter, the loss with its bands,
    GPU-hours, days and dollars. No network, no server: it plans with the formulas of `scalinglab plan`, and its
    export equals `plan --json`. A law its runs do not identify opens stamped NOT IDENTIFIED, as `plan
    --allow-unidentified` plans it. The address's #fragment restores the controls."""
    from ..report.page import write_page

    path, data = write_page(law, out, hp_rule=None if hp_rule == "none" else hp_rule)
    fit = data["fit"]
    refits = (f"{fit['n_carried']:,} of {fit['n_samples']:,} bootstrap refits carried (at most "
              f"{MAX_INTERVAL_REFITS:,}, thinned as the planner thins them)" if fit["n_samples"] else
              "no bootstrap refits (no bands)")
    status = fit["identification"]["status"]
    console.print(f"wrote {escape(str(path))}: law {escape(data['law']['name'])} ({escape(status)}), {refits}, "
                  f"{path.stat().st_size / 1024:,.0f} KB", highlight=False, soft_wrap=True)
