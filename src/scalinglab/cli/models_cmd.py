"""``scalinglab models``: reference models placed on a law's compute-optimal frontier.

``scalinglab models [--law NAME] [--json]`` lists every model; ``scalinglab models show NAME`` gives
one. With ``--json`` each model is :meth:`FrontierPlacement.as_dict`: the model's fields (and
``tokens_per_param``, ``flops_6nd``, ``training_flops``) nested under ``"model"``, the placement's
numbers (``flops`` = 6ND, ``optimal_n_params``, ``overtraining_factor``, ``loss_gap``,
``inference_saving`` ...) at the top level. The list is one JSON array; ``show`` prints one object.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich import box
from rich.markup import escape
from rich.table import Table

from .._units import format_si
from ..catalog import FrontierPlacement, get_model, place_all, place_on_frontier
from . import app
from ._common import console, print_json

models_app = typer.Typer(help="Reference models (Chinchilla, Llama 3, SmolLM3 ...) against a law's "
                              "compute-optimal frontier.", no_args_is_help=False)
app.add_typer(models_app, name="models")

LawOpt = Annotated[str | None, typer.Option("--law", help="Law name (see `scalinglab laws`) or a fitted-law "
                                                          ".json file (default: epoch2024).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]

_CAPTION = ("compute = 6·N·D for the model and its optimum (N*, D*) alike\n"
            "over-train = (D/N)/(D*/N*); loss gap = L(N,D) − L(N*,D*) nats/token; inf. saving = 1 − N/N*")


def _flops(x: float) -> str:
    return f"{x:.3g}".replace("e+", "e")


def _ratio(x: float) -> str:
    return f"{x:,.0f}" if x >= 100 else f"{x:.1f}"


def _factor(x: float) -> str:
    return f"{x:.3g}×"


def _saving(x: float) -> str:
    return f"{x:+.0%}"


@models_app.callback(invoke_without_command=True)
def models_list(ctx: typer.Context, law: LawOpt = None, json: JsonOpt = False) -> None:
    """Every reference model: size, tokens, compute, and where it sits relative to the frontier."""
    if ctx.invoked_subcommand is not None:
        return
    placements = place_all(law)
    if json:
        print_json([p.as_dict() for p in placements])
        return
    table = Table(title=f"Reference models against the compute-optimal frontier of law {escape(placements[0].law)}",
                  caption=_CAPTION, box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 0, 0, 1))
    columns = ["model", "N", "D", "tokens\n/param", "compute\n6ND", "over-\ntrain", "loss", "loss\ngap",
               "inf.\nsaving"]
    if console.width >= 100:  # the citation only where it fits; `models show NAME` gives it in full
        columns.append("source")
    rows = [
        (p.model.name, format_si(p.model.n_params), format_si(p.model.n_tokens), _ratio(p.tokens_per_param),
         _flops(p.flops), _factor(p.overtraining_factor), f"{p.loss:.3f}", f"{p.loss_gap:.4f}",
         _saving(p.inference_saving), p.model.short_source)[: len(columns)]
        for p in placements
    ]
    for i, col in enumerate(columns):
        if col == "source":  # the citation wraps first, numbers never do
            table.add_column(col, overflow="fold")
        else:
            width = max(*(len(r[i]) for r in rows), *(len(line) for line in col.split("\n")))
            justify = "left" if col == "model" else "right"
            table.add_column(col, justify=justify, no_wrap=True, min_width=width)
    for row in rows:
        table.add_row(*(escape(cell) for cell in row))  # widths from the text itself, markup escaped after
    console.print(table)


@models_app.command("show")
def models_show(
    name: Annotated[str, typer.Argument(help="Model name, e.g. Chinchilla, 'Llama 3 8B', SmolLM3.")],
    law: LawOpt = None,
    json: JsonOpt = False,
) -> None:
    """One reference model in full, with its compute-optimal counterpart."""
    p = place_on_frontier(get_model(name), law)
    if json:
        print_json(p.as_dict())
        return
    _show(p)


def _show(p: FrontierPlacement) -> None:
    m = p.model
    reported = _flops(m.flops) if m.flops is not None else "not reported"
    console.print(f"[bold]{escape(m.name)}[/]  ({escape(m.organization)}, {m.year})  under law "
                  f"[bold]{escape(p.law)}[/]")
    table = Table(show_header=True)
    table.add_column("")
    table.add_column("model", justify="right")
    table.add_column("compute-optimal", justify="right")
    table.add_row("parameters", format_si(m.n_params), format_si(p.optimal_n_params))
    table.add_row("tokens", format_si(m.n_tokens), format_si(p.optimal_n_tokens))
    table.add_row("tokens/param", f"{p.tokens_per_param:,.1f}", f"{p.optimal_tokens_per_param:,.1f}")
    table.add_row("compute (6ND)", _flops(p.flops), _flops(p.flops))
    table.add_row("predicted loss", f"{p.loss:.4f}", f"{p.optimal_loss:.4f}")
    table.add_row("inference FLOPs/token", format_si(p.inference_flops_per_token),
                  format_si(p.optimal_inference_flops_per_token))
    console.print(table)
    console.print(f"reported compute: {reported}")
    console.print(f"over-training: {_factor(p.overtraining_factor)}   "
                  f"loss gap: {p.loss_gap:.4f} nats/token   "
                  f"inference saving: {_saving(p.inference_saving)}")
    console.print(f"[dim]source:[/] {escape(m.source)}", highlight=False)  # sources hold [P] tags
    if m.notes:
        console.print(f"[dim]notes:[/] {escape(m.notes)}", highlight=False)
