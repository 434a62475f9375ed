"""``scalinglab track``: a training run against a law's prediction, flagged when it leaves the band."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from ..laws import get_joint_law
from . import app
from ._common import console, print_json, quantity

if TYPE_CHECKING:
    from ..report.track import TrackResult, TrainingLog


@app.command("track")
def track_command(
    log: Annotated[str, typer.Argument(help="Training log: CSV or JSONL with tokens seen and loss.")],
    law: Annotated[str, typer.Option("--law", help="Fitted-law JSON or catalog law name.")],
    n_params: Annotated[float, typer.Option("--n-params", parser=quantity("n_params"), metavar="N",
                                            help="Parameters of the model being trained.")],
    tokens_col: Annotated[str | None, typer.Option("--tokens-col", help="Column of tokens seen.")] = None,
    loss_col: Annotated[str | None, typer.Option("--loss-col", help="Column of the loss.")] = None,
    tokens_per_step: Annotated[float | None, typer.Option(
        "--tokens-per-step", parser=quantity("tokens_per_step"), metavar="NUM",
        help="Tokens per optimizer step; tokens = step x this (for logs without a tokens column).")] = None,
    final_tokens: Annotated[float | None, typer.Option("--final-tokens", parser=quantity("final_tokens"),
                                                       metavar="NUM", help="Project the loss at this many tokens.")] = None,
    tolerance: Annotated[float, typer.Option("--tolerance", help="Relative band when the law has no interval.")] = 0.02,
    figure: Annotated[str | None, typer.Option("--figure", help="Write the tracking figure (.png/.svg).")] = None,
    json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Compare each logged point with L(N, tokens seen) and its interval; flag a run outside the band.

    Exit code 0 either way; the verdict is in the output (and `flagged` in --json)."""
    from ..report import read_training_log, track_run

    joint = get_joint_law(law)
    data = read_training_log(log, tokens_col=tokens_col, loss_col=loss_col, tokens_per_step=tokens_per_step)
    res = track_run(data.tokens, data.loss, law=joint, n_params=n_params, final_tokens=final_tokens,
                    tolerance=tolerance)
    written = None
    if figure:
        from ..report import track_figure

        fig = track_figure(res)
        fig.savefig(figure, dpi=150)
        written = figure
    out = res.as_dict()
    out["log"] = {"path": data.path, "tokens_col": data.tokens_col, "loss_col": data.loss_col,
                  "rows": data.n_rows, "skipped": data.n_skipped}
    if written:
        out["figure"] = written
    if json:
        print_json(out)
        return
    _print_track(res, data, f"{data.path} against {joint.name} (N = {n_params:.4g})")
    if written:
        console.print(f"figure: {written}", highlight=False)


def _print_track(res: TrackResult, data: TrainingLog, title: str) -> None:
    """The tracking table (points, deviations, band, projection), then the projection and the verdict."""
    table = Table(title=title)
    table.add_column("")
    table.add_column("value", justify="right")
    table.add_row("points", f"{res.tokens.size} ({data.n_skipped} rows skipped)")
    table.add_row("columns", f"{data.tokens_col} / {data.loss_col}")
    table.add_row("latest", f"{res.loss[-1]:.4f} at {res.tokens[-1]:.4g} tokens (law {res.predicted[-1]:.4f})")
    table.add_row("mean deviation", f"{res.mean_deviation:+.2%}")
    table.add_row("latest deviation", f"{res.latest_deviation:+.2%}")
    table.add_row("band", res.band)
    if res.projected_final_loss is not None:
        iv = f" ({res.projected_interval[0]:.4f}-{res.projected_interval[1]:.4f})" if res.projected_interval else ""
        table.add_row(f"projected at {res.final_tokens:.4g} tokens", f"{res.projected_final_loss:.4f}{iv}")
    console.print(table)
    if res.projected_final_loss is not None:
        console.print(f"[dim]projection: {res.projection}[/]", highlight=False)
    style = "bold red" if res.flagged else "bold green"
    console.print(f"[{style}]{res.verdict}[/]", highlight=False)
