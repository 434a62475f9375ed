"""``scalinglab track``: a training run against a law's prediction, flagged when it leaves the band."""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from .._io import check_writable, write_atomic
from ..errors import ConfigError
from ..laws import get_joint_law
from . import app
from ._common import console, print_json, quantity

#: the figure formats --figure writes, chosen by its extension
FIGURE_FORMATS = ("png", "svg", "pdf")

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
    step_col: Annotated[str | None, typer.Option("--step-col", help="Column of optimizer steps, with "
                                                 "--tokens-per-step (default: step, _step or global_step).")] = None,
    final_tokens: Annotated[float | None, typer.Option("--final-tokens", parser=quantity("final_tokens"),
                                                       metavar="NUM", help="Project the loss at this many tokens.")] = None,
    tolerance: Annotated[float, typer.Option("--tolerance", help="Relative band when the law has no interval.")] = 0.02,
    figure: Annotated[str | None, typer.Option("--figure", help="Write the tracking figure (.png, .svg or "
                                               ".pdf).")] = None,
    json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Compare each logged point with L(N, tokens seen) and its interval; flag a run outside the band.

    Exit code 0 either way; the verdict is in the output (and `flagged` in --json)."""
    from ..report import read_training_log, track_run

    fmt = _figure_format(figure) if figure is not None else None
    joint = get_joint_law(law)
    data = read_training_log(log, tokens_col=tokens_col, loss_col=loss_col, tokens_per_step=tokens_per_step,
                             step_col=step_col)
    res = track_run(data.tokens, data.loss, law=joint, n_params=n_params, final_tokens=final_tokens,
                    tolerance=tolerance)
    written = None
    if figure and fmt:
        from ..report import track_figure

        buf = io.BytesIO()
        track_figure(res).savefig(buf, format=fmt, dpi=150)
        written = str(write_atomic(figure, buf.getvalue(), "figure"))
    out = res.as_dict()
    out["log"] = {"path": data.path, "tokens_col": data.tokens_col, "loss_col": data.loss_col,
                  "rows": data.n_rows, "skipped": data.n_skipped, "replaced": data.n_replaced}
    if written:
        out["figure"] = written
    if json:
        print_json(out)
        return
    _print_track(res, data, f"{data.path} against {joint.name} (N = {n_params:.4g})")
    if written:
        console.print(f"figure: {escape(written)}", highlight=False, soft_wrap=True)


def _figure_format(figure: str) -> str:
    """The format of ``--figure`` from its extension, checked with the path before any work."""
    fmt = Path(figure).suffix.lower().lstrip(".")
    if fmt not in FIGURE_FORMATS:
        raise ConfigError(f"The '--figure' file must end in .png, .svg or .pdf (its extension chooses the format). "
                          f"Got {figure!r}.")
    check_writable(figure, "figure")
    return fmt


def _print_track(res: TrackResult, data: TrainingLog, title: str) -> None:
    """The tracking table (points, deviations, band, projection), then the projection and the verdict."""
    table = Table(title=escape(title))
    table.add_column("")
    table.add_column("value", justify="right")
    replaced = f", {data.n_replaced} replaced by a restart" if data.n_replaced else ""
    table.add_row("points", f"{res.tokens.size} ({data.n_skipped} rows skipped{replaced})")
    table.add_row("columns", escape(f"{data.tokens_col} / {data.loss_col}"))
    table.add_row("latest", f"{res.loss[-1]:.4f} at {res.tokens[-1]:.4g} tokens (law {res.predicted[-1]:.4f})")
    table.add_row("mean deviation", f"{res.mean_deviation:+.2%}")
    table.add_row("latest deviation", f"{res.latest_deviation:+.2%}")
    table.add_row("band", escape(res.band))
    if res.projected_final_loss is not None:
        iv = f" ({res.projected_interval[0]:.4f}-{res.projected_interval[1]:.4f})" if res.projected_interval else ""
        table.add_row(f"projected at {res.final_tokens:.4g} tokens", f"{res.projected_final_loss:.4f}{iv}")
    console.print(table)
    if res.projected_final_loss is not None:
        console.print(f"[dim]projection: {escape(res.projection)}[/]", highlight=False)
    style = "bold red" if res.flagged else "bold green"
    console.print(f"[{style}]{escape(res.verdict)}[/]", highlight=False)
