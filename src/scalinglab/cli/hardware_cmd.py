"""``scalinglab gpus``: the accelerator catalogue used for cost and memory."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from ..hardware import list_gpus
from . import app
from ._common import console, print_json


@app.command("gpus")
def gpus(json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False) -> None:
    """GPU catalogue: peak dense BF16 FLOP/s, memory, board power, typical $/GPU-hour and sources.

    Override any figure for a plan with --peak-tflops, --gpu-memory-gb, --gpu-power-w, --usd-per-hour.
    """
    items = list_gpus()
    if json:
        print_json([g.as_dict() for g in items])
        return
    t = Table(title="GPU catalogue (dense BF16; prices are typical on-demand, * = estimate)")
    for col in ("name", "peak TFLOP/s", "memory GB", "power W", "$/GPU-h", "label"):
        t.add_column(col, justify="right" if col not in ("name", "label") else "left")
    for g in items:
        price = f"{g.usd_per_hour:.2f}" + ("*" if g.price_estimated else "")
        t.add_row(escape(g.name), f"{g.peak_flops / 1e12:,.0f}", f"{g.memory_gb:g}", f"{g.power_w:g}", price,
                  escape(g.label))
    console.print(t)
    console.print("[dim]specs: Epoch AI chip DB (gaps from vendor datasheets); prices: medians of Epoch AI's "
                  "2025 on-demand hardware prices. `scalinglab gpus --json` gives the source of each.[/]")
