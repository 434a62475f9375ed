"""``scalinglab downstream``: fit a two-step predictor of task scores (loss law, then loss → score) to runs that
carry task metrics, and predict the score of a planned (N, D) with its bands."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import Progress
from rich.table import Table

from .._intervals import DEFAULT_LEVEL, check_level
from .._io import check_writable
from ..errors import ConfigError
from ..fit.downstream import METHODS, fit_downstream
from ..fit.downstream_data import read_task_runs
from ..fit.store_tasks import task_runs_from_store
from ..laws.downstream_chain import CHAIN_BANDS, DownstreamFit, chain_band_label
from ..laws.downstream_io import load_downstream, save_downstream
from . import app
from ._figures import figure_format, write_figure
from ._common import console, err_console, n_bootstrap_option, print_json, quantity, whole
from ._fit_read import where_pairs

downstream_app = typer.Typer(help="Predict task accuracy from (N, D) in two steps: a loss law, then a map from "
                                  "loss to accuracy (Gadre et al. 2024; Bhagia et al. 2024's model ladder).",
                             no_args_is_help=True)
app.add_typer(downstream_app, name="downstream")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
LevelOpt = Annotated[float, typer.Option("--level", help="Central probability of both bands (default 0.9).")]


def _names(values: list[str] | None) -> list[str]:
    """``--task a,b --task c`` as ``[a, b, c]``."""
    return [v.strip() for item in values or [] for v in item.split(",") if v.strip()]


@downstream_app.command("fit")
def fit_command(
    runs_file: Annotated[str | None, typer.Argument(help="Runs with task scores (.csv, .tsv, .jsonl, .json, "
                                                    ".parquet): wide (one accuracy column per task, and <task>_loss "
                                                    "for the ladder) or long (run, task, metric, value).")] = None,
    store: Annotated[str | None, typer.Option("--store", help="A lab store instead: the task scores its runs "
                                              "recorded (next_token, next_token_top5).")] = None,
    sweep: Annotated[str | None, typer.Option("--sweep", help="With --store: only this sweep.")] = None,
    method: Annotated[str, typer.Option("--method", help="gadre: over-training law on the shared loss, then the "
                                        "exponential error of the tasks' average; ladder: per task the Chinchilla "
                                        "form on the task's loss, then the sigmoid to accuracy.")] = "ladder",
    task: Annotated[list[str] | None, typer.Option("--task", help="Task(s) to fit, comma-separated or repeated "
                                                   "(required for a wide file; default: every task of a long "
                                                   "one).")] = None,
    per_task: Annotated[bool | None, typer.Option("--per-task/--average", help="One chain per task, or one for "
                                                  "the tasks' average (default: the method's: gadre averages, "
                                                  "the ladder does not).")] = None,
    step1_runs: Annotated[list[str] | None, typer.Option("--step1-runs", help="Run ids step 1 (the loss law) is "
                                                         "fitted on; default all. Step 2 uses every run.")] = None,
    layout: Annotated[str, typer.Option("--layout", help="auto, wide or long.")] = "auto",
    run_col: Annotated[str | None, typer.Option("--run-col", help="Column of run ids (default: run, run_id, "
                                                "name, model; none: each row is a run).")] = None,
    n_params_col: Annotated[str | None, typer.Option("--n-params-col", help="Column of parameter counts N.")] = None,
    n_tokens_col: Annotated[str | None, typer.Option("--n-tokens-col", help="Column of tokens D (seen at each "
                                                     "evaluation).")] = None,
    loss_col: Annotated[str | None, typer.Option("--loss-col", help="Column of the loss every task shares "
                                                 "(gadre's step 1).")] = None,
    accuracy_col: Annotated[str, typer.Option("--accuracy-col", help="Wide layout: accuracy column of each task, "
                                              "{task} standing for its name.")] = "{task}",
    task_loss_col: Annotated[str, typer.Option("--task-loss-col", help="Wide layout: task-loss column of each "
                                               "task (the ladder's step 1).")] = "{task}_loss",
    where: Annotated[list[str] | None, typer.Option("--where", help="Keep rows with COL=VALUE (repeatable).")] = None,
    n_bootstrap: Annotated[int, n_bootstrap_option("Bootstrap resamples of whole runs; both steps are refitted "
                                                   "on each (0: no mean band).")] = 200,
    seed: Annotated[int, typer.Option("--seed", parser=whole("--seed"), metavar="N", help="Bootstrap seed.")] = 0,
    level: LevelOpt = DEFAULT_LEVEL,
    out: Annotated[str | None, typer.Option("--out", "-o", help="Write the fit (JSON) for `downstream "
                                            "predict`.")] = None,
    figure: Annotated[str | None, typer.Option("--figure", help="Write predicted against actual scores of the "
                                               "runs, one panel per task (.png, .svg or .pdf; needs "
                                               "matplotlib).")] = None,
    json: JsonOpt = False,
) -> None:
    """Fit the two steps per task (or on the tasks' average) with bootstrap refits of both, and show each fit."""
    if method not in METHODS:
        raise ConfigError(f"The --method must be one of {', '.join(METHODS)}. Got {method!r}.")
    level = check_level(level)
    if out:
        check_writable(out, "out")
    if figure:
        figure_format(figure)
    tasks = _names(task) or None
    file_options = {"--layout": layout != "auto", "--run-col": run_col, "--n-params-col": n_params_col,
                    "--n-tokens-col": n_tokens_col, "--loss-col": loss_col, "--where": where,
                    "--accuracy-col": accuracy_col != "{task}", "--task-loss-col": task_loss_col != "{task}_loss"}
    if (runs_file is None) == (store is None):
        raise ConfigError("Give the runs as a file or as --store, one of the two. Got "
                          f"{'both' if store else 'neither'}.")
    if store is not None:
        used = [k for k, v in file_options.items() if v]
        if used:
            raise ConfigError(f"The {used[0]} option reads a runs file; a store's columns are known. Got it with "
                              f"--store.")
        runs = task_runs_from_store(store, sweep=sweep, tasks=tasks)
        if runs.source["skipped_unscored"]:
            err_console.print(f"note: {runs.source['skipped_unscored']} finished run(s) recorded no task scores "
                              "(trained before the lab scored tasks) and are left out", highlight=False)
    elif sweep is not None:
        raise ConfigError(f"The --sweep option selects runs of a store (--store). Got it with the file "
                          f"{runs_file!r}.")
    else:
        runs = read_task_runs(runs_file, tasks=tasks, layout=layout, run_col=run_col, n_params_col=n_params_col,
                              n_tokens_col=n_tokens_col, loss_col=loss_col, accuracy_col=accuracy_col,
                              task_loss_col=task_loss_col, where=where_pairs(where or []))
    if runs.source.get("ignored_metrics"):
        err_console.print(f"note: metrics skipped: {escape(', '.join(runs.source['ignored_metrics']))}",
                          highlight=False)
    overrides: dict[str, Any] = {} if per_task is None else {"average": not per_task}
    with Progress(console=err_console, transient=True, disable=not err_console.is_terminal) as bar:
        job = bar.add_task(f"fitting {method} on {len(runs.run_ids)} runs", total=None)
        fit = fit_downstream(runs, method, tasks=tasks, step1_runs=_names(step1_runs) or None,
                             n_bootstrap=n_bootstrap, seed=seed, level=level,
                             progress=lambda done, total: bar.update(job, completed=done, total=total), **overrides)
    report = {"method": fit.method, "level": fit.level, "chains": [_chain_row(fit, t) for t in fit.targets]}
    if out:
        report["out"] = str(save_downstream(fit, out))
    if figure:
        from ..report.figures_downstream import downstream_figure

        report["figure"] = write_figure(downstream_figure(fit, runs), figure, figure_format(figure))
    if json:
        print_json(report)
        return
    _print_fit(fit, report)


def _chain_row(fit: DownstreamFit, target: str) -> dict[str, Any]:
    c = fit.chains[target]
    s = c.summary
    return {"target": target, "tasks": list(c.tasks), "metric": c.metric,
            "step1": {"family": c.loss_fit.family, "coefficients": c.loss_fit.law.coefficients(),
                      "runs": s.get("n_runs_step1"), "scatter_sigma": None if c.loss_fit.scatter is None
                      else c.loss_fit.scatter.sigma, "identification": c.loss_fit.identification.as_dict()},
            "step2": {"form": c.score_map.form, "coefficients": c.score_map.coefficients(),
                      "runs": s.get("n_runs_step2"), "points": s.get("n_points_step2"), "rms": s.get("step2_rms"),
                      "scatter_sigma": None if c.score_scatter is None else c.score_scatter.sigma,
                      "loss_range": list(c.loss_range)},
            "n_refits": s.get("n_refits"), "warnings": s.get("warnings", [])}


def _fmt(co: dict[str, float]) -> str:
    return ", ".join(f"{k} = {v:.4g}" for k, v in co.items())


def _print_fit(fit: DownstreamFit, report: dict[str, Any]) -> None:
    first = next(iter(fit.chains.values()))
    console.print(f"[bold]{fit.method}[/]: step 1 {escape(first.loss_fit.law.formula)}; step 2 "
                  f"{escape(first.score_map.formula)}", highlight=False, soft_wrap=True)
    t = Table()
    for col in ("target", "runs", "step 1", "step 2", "step-2 rms", "step 1 verdict"):
        t.add_column(col, overflow="fold")
    for row in report["chains"]:
        ident = row["step1"]["identification"]
        verdict = ident["status"] + (f" ({ident['n_degenerate']}/{ident['n_refits']} refits on a bound)"
                                     if ident["n_refits"] else "")
        t.add_row(escape(row["target"]), f"{row['step1']['runs']}/{row['step2']['runs']}",
                  _fmt(row["step1"]["coefficients"]), _fmt(row["step2"]["coefficients"]),
                  f"{row['step2']['rms']:.4f}", verdict)
    console.print(t)
    for row in report["chains"]:
        for w in row["warnings"]:
            err_console.print(f"[yellow]warning ({escape(row['target'])}):[/] {escape(w)}", highlight=False,
                              soft_wrap=True)
    for key in ("out", "figure"):
        if key in report:
            console.print(f"{key}: {escape(report[key])}", highlight=False, soft_wrap=True)


@downstream_app.command("predict")
def predict_command(
    fit_file: Annotated[str, typer.Argument(help="A fit written by `scalinglab downstream fit -o`.")],
    n_params: Annotated[float, typer.Option("--n-params", parser=quantity("n_params"), metavar="N",
                                            help="Parameters N, counted as the fit's runs count them (7B, 1.3e9).")],
    n_tokens: Annotated[float, typer.Option("--tokens", parser=quantity("n_tokens"), metavar="D",
                                            help="Training tokens D (4T, 2e12).")],
    target: Annotated[list[str] | None, typer.Option("--target", help="Only these tasks (default: all).")] = None,
    level: LevelOpt = DEFAULT_LEVEL,
    json: JsonOpt = False,
) -> None:
    """Each task's score at (N, D): the loss step 1 predicts, the score step 2 maps it to, and two bands: the
    mean score curve's (refits of both steps) and one new model's (adds both steps' scatter)."""
    level = check_level(level)
    fit = load_downstream(fit_file)
    names = _names(target) or list(fit.targets)
    preds = [fit.chain(t).predict(n_params, n_tokens, level) for t in names]
    report = {"method": fit.method, "n_params": n_params, "n_tokens": n_tokens, "level": level,
              "bands": {k: chain_band_label(k, level) for k in CHAIN_BANDS},
              "predictions": [p.as_dict() for p in preds]}
    if json:
        print_json(report)
        return
    lvl = f"{level:.0%}"
    t = Table(title=f"{fit.method}: N = {n_params:.3g}, D = {n_tokens:.3g}", title_justify="left")
    for col in ("target", "loss (step 1)", "score", f"{lvl} mean band", f"{lvl} new-model band", "notes"):
        t.add_column(col, justify="left" if col in ("target", "notes") else "right", overflow="fold")
    for p in preds:
        notes = [] if p.identification.startswith(("identified", "published")) else ["step 1 " + p.identification.split(" (")[0]]
        if p.loss_extrapolated:
            notes.append("loss beyond step 2's runs")
        band = (lambda b: "—" if b is None else f"{100 * b[0]:.1f} – {100 * b[1]:.1f}")
        t.add_row(escape(p.target), f"{p.loss:.4f}", f"{100 * p.score:.1f} ({p.metric})", band(p.mean_band),
                  band(p.prediction_band), escape("; ".join(notes)))
    console.print(t)
    console.print(f"scores in points; {escape(report['bands']['mean'])}; {escape(report['bands']['prediction'])}",
                  highlight=False, soft_wrap=True)
    if any(p.mean_band is None for p in preds):
        console.print("[yellow]the fit has no bootstrap refits: no mean band (refit with --n-bootstrap)[/]")
