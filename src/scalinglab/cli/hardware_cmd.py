"""``scalinglab gpus``: the accelerator catalogue used for cost and memory."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from ..config import load_config, shown
from . import app
from ._common import console, print_json


@app.command("gpus")
def gpus(json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False) -> None:
    """GPU catalogue: peak dense BF16 FLOP/s, memory, board power, typical $/GPU-hour and sources, with the
    config file's figures and custom GPUs (marked †).

    Override any figure for a plan with --peak-tflops, --gpu-memory-gb, --gpu-power-w, --usd-per-hour.
    """
    cfg = load_config()
    items = cfg.list_gpus()
    if json:
        print_json([{**g.as_dict(), "from_config": cfg.figures(g)} for g in items])
        return
    t = Table(title="GPU catalogue (dense BF16; prices are typical on-demand, * = estimate)")
    for col in ("name", "peak TFLOP/s", "memory GB", "power W", "$/GPU-h", "label"):
        t.add_column(col, justify="right" if col not in ("name", "label") else "left")
    for g in items:
        mine = {k.rsplit(".", 1)[1] for k in cfg.figures(g)}

        def mark(text: str, key: str) -> str:
            return text + ("†" if key in mine else "")

        price = f"{g.usd_per_hour:.2f}" + ("*" if g.price_estimated else "")
        t.add_row(escape(g.name), mark(f"{g.peak_flops / 1e12:,.0f}", "peak_tflops"),
                  mark(f"{g.memory_gb:g}", "memory_gb"), mark(f"{g.power_w:g}", "power_w"),
                  mark(price, "usd_per_hour"), escape(g.label))
    console.print(t)
    console.print("[dim]specs: Epoch AI chip DB (gaps from vendor datasheets); prices: medians of Epoch AI's "
                  "2025 on-demand hardware prices. `scalinglab gpus --json` gives the source of each.[/]")
    if cfg.path is not None and any(cfg.figures(g) for g in items):
        console.print(f"[dim]† from the config file {escape(shown(cfg.path))}.[/]")
