"""``scalinglab report``: one self-contained HTML report (and optional figure files)."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape

from ..errors import ConfigError
from . import app
from ._common import (FLOPS_HELP, N_BOOTSTRAP_FLAG, console, n_bootstrap_option, one_budget, one_n_bootstrap,
                      print_json, quantity, renamed)


@app.command("report")
def report_command(
    out: Annotated[str, typer.Option("--out", help="HTML file to write.")] = "report.html",
    fit: Annotated[str | None, typer.Option("--fit", help="Fitted-law JSON (from `scalinglab fit --out`).")] = None,
    law: Annotated[str | None, typer.Option("--law", help="Catalog law name or law JSON (instead of --fit).")] = None,
    store: Annotated[str | None, typer.Option("--store", help="Lab store (SQLite) to read runs from.")] = None,
    runs: Annotated[str | None, typer.Option("--runs", help="Runs file: .csv, .jsonl or .parquet.")] = None,
    n_params_col: Annotated[str | None, typer.Option("--n-params-col", help="Column of parameter counts N.")] = None,
    loss_col: Annotated[str | None, typer.Option("--loss-col", help="Column of final losses.")] = None,
    n_tokens_col: Annotated[str | None, typer.Option("--n-tokens-col", help="Column of training tokens D.")] = None,
    flops_col: Annotated[str | None, typer.Option("--flops-col", help="Column of training FLOPs; D = C/(6N).")] = None,
    run_col: Annotated[str | None, typer.Option("--run-col", help="Column of run names.")] = None,
    budget_col: Annotated[str | None, typer.Option("--budget-col", help="Column of IsoFLOP budgets.")] = None,
    flops: Annotated[float | None, typer.Option("--flops", parser=quantity("flops"), metavar="NUM",
                                                help=FLOPS_HELP[:-1] + " for the plan (default 5.76e23).")] = None,
    budget: Annotated[float | None, renamed("--budget", "--flops")] = None,
    figures: Annotated[str | None, typer.Option("--figures", help="Also write each figure as PNG and SVG here.")] = None,
    track: Annotated[str | None, typer.Option("--track", help="Training log to track against the law.")] = None,
    track_n_params: Annotated[float | None, typer.Option("--track-n-params", parser=quantity("track_n_params"),
                                                         metavar="N", help="Parameters of the tracked run.")] = None,
    track_tokens_col: Annotated[str | None, typer.Option("--track-tokens-col", help="Column of tokens seen in the "
                                                         "--track log.")] = None,
    track_loss_col: Annotated[str | None, typer.Option("--track-loss-col", help="Column of the loss in the --track "
                                                       "log.")] = None,
    track_tokens_per_step: Annotated[float | None, typer.Option(
        "--track-tokens-per-step", parser=quantity("track_tokens_per_step"), metavar="NUM",
        help="Tokens per optimizer step of the tracked run (for a log without a tokens column).")] = None,
    track_step_col: Annotated[str | None, typer.Option("--track-step-col", help="Column of optimizer steps, with "
                                                       "--track-tokens-per-step.")] = None,
    curve_fit: Annotated[str | None, typer.Option("--curve-fit", help="A curve-law fit (`scalinglab curves fit "
                                                  "--out`): adds the section 'Training curves'.")] = None,
    curve_log: Annotated[list[str] | None, typer.Option("--curve-log", help="A training log (step, lr, loss) to "
                                                        "show against --curve-fit; repeat for several.")] = None,
    curve_schedule: Annotated[list[str] | None, typer.Option("--curve-schedule", help="One per --curve-log, in "
                                                             "order, for logs without an lr column.")] = None,
    downstream: Annotated[str | None, typer.Option("--downstream", help="A downstream fit (`scalinglab downstream "
                                                   "fit --out`): adds the section 'Task scores'.")] = None,
    downstream_runs: Annotated[str | None, typer.Option("--downstream-runs", help="The runs file it was fitted on "
                                                        "(for predicted against actual scores).")] = None,
    compare: Annotated[list[str] | None, typer.Option("--compare", help="A saved comparison (`scalinglab compare "
                                                  "--out`): adds the section 'Two methods compared'; repeat for "
                                                  "several.")] = None,
    n_bootstrap: Annotated[int | None, n_bootstrap_option("Bootstrap refits of the fit to --runs or --store and of "
                                                          "its IsoFLOP profiles (default 200).")] = None,
    bootstrap_alias: Annotated[int | None, renamed("--bootstrap", N_BOOTSTRAP_FLAG, count=True)] = None,
    json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Write a self-contained HTML report: data, law and intervals, figures, audit, plan, provenance."""
    from ..report import make_report

    if fit and law:
        raise ConfigError(f"Give the law once: --fit or --law. Got --fit {fit!r} and --law {law!r}.")
    n_bootstrap = one_n_bootstrap(n_bootstrap, bootstrap_alias)
    if n_bootstrap is not None and not (runs or store):
        raise ConfigError(f"The '--n-bootstrap' option refits runs; it needs --runs or --store. Got --n-bootstrap "
                          f"{n_bootstrap} without runs.")
    columns = None
    if runs:
        columns = {"n_params_col": n_params_col, "loss_col": loss_col, "n_tokens_col": n_tokens_col,
                   "flops_col": flops_col, "run_col": run_col, "budget_col": budget_col}
    law_spec = fit or law
    result = make_report(law=law_spec, runs=runs, runs_columns=columns, store=store,
                         flops=one_budget(flops, budget, "--budget"), out=out, figures_dir=figures,
                         track=_tracked(track, track_n_params, law_spec, tokens_col=track_tokens_col,
                                        loss_col=track_loss_col, tokens_per_step=track_tokens_per_step,
                                        step_col=track_step_col),
                         n_bootstrap=200 if n_bootstrap is None else n_bootstrap,
                         **_curves(curve_fit, curve_log or [], curve_schedule or []),
                         **_downstream(downstream, downstream_runs), comparisons=_comparisons(compare or []))
    if json:
        print_json(result.as_dict())
        return
    for note in result.notes:
        console.print(f"[dim]{escape(note)}[/]", highlight=False)
    if result.figures:
        console.print(escape(f"{len(result.figures)} figure files in {figures}"), highlight=False, soft_wrap=True)
    console.print(escape(f"report written to {result.path.resolve()}"), highlight=False, soft_wrap=True)


def _tracked(track: str | None, track_n_params: float | None, law_spec: str | None, **log_options: Any) -> Any:
    """The run of --track against the report's law (a TrackResult), or None; the --track-* options need --track
    (``log_options``: the column options of :func:`~scalinglab.report.read_training_log`)."""
    given = {"n-params": track_n_params, **{k.replace("_", "-"): v for k, v in log_options.items()}}
    if not track:
        for name, value in given.items():
            if value is not None:
                shown = f"{value:g}" if isinstance(value, float) else value
                raise ConfigError(f"The '--track-{name}' option describes the run given by --track; it needs --track. "
                                  f"Got --track-{name} {shown} without it.")
        return None
    if track_n_params is None:
        raise ConfigError("The '--track' option needs '--track-n-params' (the tracked model's size). Got none.")
    from ..laws import resolve_fitted
    from ..report import read_training_log, track_run

    log = read_training_log(track, flags="--track-", **log_options)
    return track_run(log.tokens, log.loss, law=resolve_fitted(law_spec), n_params=track_n_params)


def _curves(curve_fit: str | None, logs: list[str], schedules: list[str]) -> dict[str, Any]:
    """``curve_fit=`` and ``curves=`` for the report from --curve-fit and its --curve-log files, or nothing."""
    if curve_fit is None:
        if logs or schedules:
            flag = "--curve-log" if logs else "--curve-schedule"
            raise ConfigError(f"The '{flag}' option shows a training curve against a curve law; it needs --curve-fit. "
                              f"Got {flag} without it.")
        return {}
    if not logs:
        raise ConfigError("The '--curve-fit' option needs at least one --curve-log (a logged curve to show against "
                          "it). Got none.")
    from ..fit.curve_io import load_curve_fit, read_curve_logs

    fit = load_curve_fit(curve_fit)
    read = read_curve_logs(logs, schedules or None)
    return {"curve_fit": fit, "curves": [r.curve() for r in read]}


def _comparisons(files: list[str]) -> list[Any]:
    """The comparisons of --compare, each read from its file."""
    from ..fit.compare_io import load_comparison

    return [load_comparison(f) for f in files]


def _downstream(fit_file: str | None, runs_file: str | None) -> dict[str, Any]:
    """``downstream=`` and ``downstream_runs=`` for the report from --downstream and --downstream-runs."""
    if fit_file is None:
        if runs_file is not None:
            raise ConfigError("The '--downstream-runs' option shows a downstream fit's runs; it needs --downstream. "
                              "Got --downstream-runs without it.")
        return {}
    from ..laws.downstream_io import load_downstream

    fit = load_downstream(fit_file)
    runs = None
    if runs_file is not None:
        from ..fit.downstream_data import read_task_runs

        tasks = list(dict.fromkeys(t for c in fit.chains.values() for t in c.tasks))
        runs = read_task_runs(runs_file, tasks=tasks)
    return {"downstream": fit, "downstream_runs": runs}
