"""``scalinglab track``: a training run against a law's prediction, flagged when it leaves the band."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import numpy as np
import typer
from rich.markup import escape
from rich.table import Table

from ..errors import ConfigError
from ..laws import get_joint_law
from . import app
from ._figures import figure_format, write_figure
from ._common import console, not_identified, print_json, quantity, whole


if TYPE_CHECKING:
    from ..report.track import TrackResult, TrainingLog


@app.command("track")
def track_command(
    log: Annotated[str, typer.Argument(help="Training log: CSV or JSONL with tokens seen (or steps) and loss.")],
    law: Annotated[str | None, typer.Option("--law", help="Fitted-law JSON or catalog law name (a law of N "
                                            "and D: judges the run by its final-loss curve).")] = None,
    n_params: Annotated[float | None, typer.Option("--n-params", parser=quantity("n_params"), metavar="N",
                                                   help="Parameters of the model being trained (with --law).")] = None,
    curve_fit: Annotated[str | None, typer.Option("--curve-fit", help="A curve-law fit (`scalinglab curves fit "
                                                  "--out`) of earlier runs of this model shape: judges each point "
                                                  "against the loss the law predicts for the run's schedule.")] = None,
    schedule: Annotated[str | None, typer.Option("--schedule", help="With --curve-fit: the run's whole schedule, "
                                                 "KIND:key=value,... (see `scalinglab curves fit --help`); "
                                                 "without it, the log's learning-rate column.")] = None,
    lr_col: Annotated[str | None, typer.Option("--lr-col", help="With --curve-fit: column of the learning "
                                               "rate.")] = None,
    final_step: Annotated[int | None, typer.Option("--final-step", parser=whole("--final-step"), metavar="STEP",
                                                   help="With --curve-fit: project the loss at this step "
                                                   "(default: the schedule's last).")] = None,
    tokens_col: Annotated[str | None, typer.Option("--tokens-col", help="Column of tokens seen.")] = None,
    loss_col: Annotated[str | None, typer.Option("--loss-col", help="Column of the loss.")] = None,
    tokens_per_step: Annotated[float | None, typer.Option(
        "--tokens-per-step", parser=quantity("tokens_per_step"), metavar="NUM",
        help="Tokens per optimizer step; tokens = step x this (for logs without a tokens column).")] = None,
    step_col: Annotated[str | None, typer.Option("--step-col", help="Column of optimizer steps (with "
                                                 "--tokens-per-step or --curve-fit; default: step, _step or "
                                                 "global_step).")] = None,
    final_tokens: Annotated[float | None, typer.Option("--final-tokens", parser=quantity("final_tokens"),
                                                       metavar="NUM", help="Project the loss at this many tokens.")] = None,
    tolerance: Annotated[float | None, typer.Option("--tolerance", help="Relative band when the law has no "
                                                    "interval (default 0.02; not with --curve-fit).")] = None,
    figure: Annotated[str | None, typer.Option("--figure", help="Write the tracking figure (.png, .svg or "
                                               ".pdf).")] = None,
    json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Compare each logged point with a law's prediction and its band; flag a run outside the band.

    With --law and --n-params: L(N, tokens seen), a law of the final loss (mid-run points of a decaying
    schedule sit above it). With --curve-fit and the run's schedule: the loss a curve law predicts at each step
    of that schedule, and the final loss projected with its band. Exit code 0 either way; the verdict is in the
    output (and `flagged` in --json)."""
    fmt = figure_format(figure) if figure is not None else None
    if curve_fit is not None:
        _refuse({"--law": law, "--n-params": n_params, "--tokens-col": tokens_col, "--tokens-per-step":
                 tokens_per_step, "--final-tokens": final_tokens, "--tolerance": tolerance}, "with --curve-fit",
                "a curve law works in steps and carries its own band")
        _track_curve(log, curve_fit, schedule, lr_col, step_col, loss_col, final_step, fmt, figure, json)
        return
    _refuse({"--schedule": schedule, "--lr-col": lr_col, "--final-step": final_step}, "without --curve-fit",
            "a law of N and D does not follow the schedule; fit a curve law with `scalinglab curves fit`")
    if law is None or n_params is None:
        raise ConfigError("Track against --law with --n-params (a law of N and D), or against --curve-fit with the "
                          "run's schedule (a curve law). Got " + ("neither." if law is None and n_params is None
                                                                  else "--law without --n-params." if n_params is None
                                                                  else "--n-params without --law."))
    _track_law(log, law, n_params, tokens_col, loss_col, tokens_per_step, step_col, final_tokens,
               0.02 if tolerance is None else tolerance, fmt, figure, json)


def _refuse(given: dict[str, object], when: str, why: str) -> None:
    """One line refusing options that cannot act in this mode."""
    bad = [flag for flag, value in given.items() if value is not None]
    if bad:
        raise ConfigError(f"{', '.join(bad)} cannot act {when} ({why}). Got {' '.join(bad)}.")


def _track_law(log, law, n_params, tokens_col, loss_col, tokens_per_step, step_col, final_tokens, tolerance,
               fmt, figure, json) -> None:
    from ..report import read_training_log, track_run

    joint = get_joint_law(law)
    data = read_training_log(log, tokens_col=tokens_col, loss_col=loss_col, tokens_per_step=tokens_per_step,
                             step_col=step_col)
    res = track_run(data.tokens, data.loss, law=joint, n_params=n_params, final_tokens=final_tokens,
                    tolerance=tolerance)
    written = None
    if figure and fmt:
        from ..report import track_figure

        written = write_figure(track_figure(res), figure, fmt)
    out = res.as_dict()
    out["schedule"] = None
    out["mode"] = NO_SCHEDULE
    out["log"] = {"path": data.path, "tokens_col": data.tokens_col, "loss_col": data.loss_col,
                  "rows": data.n_rows, "skipped": data.n_skipped, "replaced": data.n_replaced}
    if written:
        out["figure"] = written
    if json:
        print_json(out)
        return
    _print_track(res, data, f"{data.path} against {joint.name} (N = {n_params:.4g})")
    console.print(f"[dim]{NO_SCHEDULE}[/]", highlight=False)
    if written:
        console.print(f"figure: {escape(written)}", highlight=False, soft_wrap=True)


#: what tracking without a schedule means, said in every such output
NO_SCHEDULE = ("no schedule: judged against the law's final loss at each token count; a decaying schedule's "
               "mid-run points sit above it until it anneals (give --curve-fit and the schedule to follow it)")


def _track_curve(log, curve_fit, schedule, lr_col, step_col, loss_col, final_step, fmt, figure, json) -> None:
    from ..fit.curve_io import load_curve_fit, read_curve_log
    from ..report.track_curve import track_curve

    fit = load_curve_fit(curve_fit)
    data = read_curve_log(log, schedule=schedule, step_col=step_col, loss_col=loss_col, lr_col=lr_col)
    res = track_curve(data.steps, data.loss, data.lrs, fit=fit, final_step=final_step,
                      schedule=str(data.schedule) if data.schedule else data.lr_source)
    out = res.as_dict()
    out["mode"] = "curve law"
    out["log"] = {"path": data.path, **{f"{k}_col": v for k, v in data.columns.items()}, "rows": data.n_rows,
                  "skipped": data.n_skipped, "learning_rate": data.lr_source}
    if figure and fmt:
        from ..report.track_curve import curve_track_figure

        out["figure"] = write_figure(curve_track_figure(res), figure, fmt)
    if json:
        print_json(out)
        return
    not_identified(fit)
    t = Table(title=escape(f"{data.path} against the {fit.law} curve law (fitted on {', '.join(fit.curves)})"))
    t.add_column("")
    t.add_column("value", justify="right")
    t.add_row("points", f"{res.steps.size} ({data.n_skipped} rows without a loss skipped)")
    t.add_row("learning rate", escape(data.lr_source))
    t.add_row("latest", f"{res.loss[-1]:.4f} at step {int(res.steps[-1]):,} (law {res.predicted[-1]:.4f}, band "
                        f"{res.lower[-1]:.4f} – {res.upper[-1]:.4f})")
    t.add_row("recent deviation", f"{np.expm1(res.recent_offset):+.2%} (median of the last {res.recent} points)")
    t.add_row("band", escape(res.band))
    if res.projected_final_loss is not None and res.projected_interval is not None:
        lo, hi = res.projected_interval
        t.add_row(f"projected at step {res.final_step:,}", f"{res.projected_final_loss:.4f} ({lo:.4f} – {hi:.4f})")
    console.print(t)
    console.print(f"[dim]{'projection: ' if res.final_step is not None else ''}{escape(res.projection)}[/]",
                  highlight=False)
    style = "bold red" if res.flagged else "bold green"
    console.print(f"[{style}]{escape(res.verdict)}[/]", highlight=False)
    if "figure" in out:
        console.print(f"figure: {escape(out['figure'])}", highlight=False, soft_wrap=True)


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
