"""``scalinglab curves``: fit a training-curve law (multi-power, annealing) to logged loss curves of one model
shape, and predict the loss curve of any learning-rate schedule with its bands."""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
import typer
from rich.markup import escape
from rich.progress import Progress
from rich.table import Table

from .._intervals import DEFAULT_LEVEL
from .._io import check_writable
from ..errors import ConfigError
from ..fit.curve_io import load_curve_fit, read_curve_log, read_curve_logs, save_curve_fit
from ..fit.curves import METHODS, CurveFit, curve_metrics, fit_curves, predict_curve
from ..laws.curves import CURVE_LAWS
from ..laws.schedules import parse_schedule
from . import app
from ._common import console, err_console, n_bootstrap_option, not_identified, print_json, whole
from ._figures import figure_format, write_figure

curves_app = typer.Typer(help="Fit a training-curve law to loss curves and predict a schedule's curve.",
                         no_args_is_help=True)
app.add_typer(curves_app, name="curves")

ScheduleHelp = ("A named schedule, KIND:key=value,...: constant, cosine, wsd or step with total=, warmup=, peak=, "
                "final=, start= (wsd, step), decay= (wsd: geometric, linear, cosine).")
StepCol = Annotated[str | None, typer.Option("--step-col", help="Column of optimizer steps (default: step, "
                                             "_step, global_step, iteration).")]
LossCol = Annotated[str | None, typer.Option("--loss-col", help="Column of the loss (default: loss, train_loss, "
                                             "train/loss, val_loss, ...).")]
LrCol = Annotated[str | None, typer.Option("--lr-col", help="Column of the learning rate (default: lr, "
                                           "learning_rate, train/lr, ...).")]
FigureOpt = Annotated[str | None, typer.Option("--figure", help="Write the figure (.png, .svg or .pdf).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
LevelOpt = Annotated[float, typer.Option("--level", min=0.5, max=0.999, help="Band level.")]


@curves_app.command("fit")
def fit_command(
    logs: Annotated[list[str] | None, typer.Argument(help="Training logs (CSV, TSV, JSONL, JSON or Parquet) of one "
                                                     "model shape, each with step and loss, and lr unless "
                                                     "--schedule.")] = None,
    schedule: Annotated[list[str] | None, typer.Option("--schedule", help="One per log, in order: " + ScheduleHelp)]
    = None,
    law: Annotated[str, typer.Option("--law", help=f"Curve law: {', '.join(CURVE_LAWS)}.")] = "multi-power",
    method: Annotated[str, typer.Option("--method", help="lsq (minimise the objective) or authors (the "
                                        "multi-power authors' early-stopped AdamW).")] = "lsq",
    n_bootstrap: Annotated[int, n_bootstrap_option("Block-bootstrap refits for the bands.")] = 20,
    seed: Annotated[int, typer.Option("--seed", parser=whole("--seed"), help="Bootstrap seed.")] = 0,
    out: Annotated[str | None, typer.Option("--out", "-o", help="Write the fit (JSON) for `curves predict` "
                                            "and `track --curve-fit`.")] = None,
    store: Annotated[str | None, typer.Option("--store", help="A lab store (instead of logs): the finished runs' "
                                              "recorded curves (schedule and dense training log).")] = None,
    sweep: Annotated[str | None, typer.Option("--sweep", help="With --store: the sweep's runs only.")] = None,
    curve: Annotated[list[str] | None, typer.Option("--curve", help="With --store: fit these curves only, by name "
                                                    "(e.g. cosine_2400; repeat).")] = None,
    store_loss: Annotated[str, typer.Option("--store-loss", help="With --store: train (the dense log) or val "
                                            "(the checkpoints).")] = "train",
    step_col: StepCol = None, loss_col: LossCol = None, lr_col: LrCol = None, figure: FigureOpt = None,
    json: JsonOpt = False,
) -> None:
    """Fit a curve law to one or several loss curves of one model shape (robust Huber objective on log loss,
    multi-start, block bootstrap; leave-one-curve-out error with three curves or more), from logs or a lab
    store."""
    if method not in METHODS:
        raise ConfigError(f"The --method must be one of {', '.join(METHODS)}. Got {method!r}.")
    fmt = figure_format(figure) if figure else None
    if out:
        check_writable(out, "curve fit")
    if store is not None:
        read, curves = _store_curves(store, sweep, curve, store_loss, logs, schedule=schedule, step_col=step_col,
                                     loss_col=loss_col, lr_col=lr_col)
    else:
        given = [f for f, v in (("--sweep", sweep), ("--curve", curve)) if v] + \
            (["--store-loss"] if store_loss != "train" else [])
        if given:
            raise ConfigError(f"{', '.join(given)} select curves of a lab store; they need --store. Got them without.")
        if not logs:
            raise ConfigError("Give the curves to fit: training logs, or --store with a lab store. Got neither.")
        read = read_curve_logs(logs, schedule, step_col=step_col, loss_col=loss_col, lr_col=lr_col)
        curves = [r.curve(_unique_name(r.path, i, logs)) for i, r in enumerate(read)]
    n_refits = n_bootstrap + (len(curves) if len(curves) >= 3 else 0)
    with Progress(console=err_console, transient=True, disable=not err_console.is_terminal) as bar:
        task = bar.add_task(f"fitting the {law} law to {len(curves)} curve{'s' if len(curves) != 1 else ''}",
                            total=n_refits or None)
        fit = fit_curves(curves, law=law, method=method, n_bootstrap=n_bootstrap, seed=seed,
                         progress=lambda done, total: bar.update(task, completed=done))
    report: dict[str, Any] = {"fit": fit.as_dict(), "curves": [_curve_row(fit, r, c) for r, c in zip(read, curves)]}
    if out:
        report["out"] = str(save_curve_fit(fit, out, logs=[r.path for r in read],
                                           lr_sources=[r.lr_source for r in read]))
    if fmt:
        report["figure"] = _write_figure(figure, fmt, fit, curves)
    if json:
        print_json(report)
        return
    _print_fit(fit, report)


@curves_app.command("predict")
def predict_command(
    fit_file: Annotated[str, typer.Argument(help="A curve fit written by `scalinglab curves fit --out`.")],
    schedule: Annotated[str, typer.Option("--schedule", help=ScheduleHelp)],
    points: Annotated[int, typer.Option("--points", parser=whole("--points", minimum=2, maximum=10_000),
                                        help="Steps shown, evenly spaced from the end of the warmup (the laws describe the loss after it) to the last.")] = 9,
    log: Annotated[str | None, typer.Option("--log", help="A logged run of this schedule to compare with.")] = None,
    level: LevelOpt = DEFAULT_LEVEL,
    step_col: StepCol = None, loss_col: LossCol = None, lr_col: LrCol = None, figure: FigureOpt = None,
    json: JsonOpt = False,
) -> None:
    """The loss curve of a schedule under a fitted curve law, with the band of the mean curve (bootstrap refits)
    and the band of a run's logged loss (adds point scatter and the law's error on an unseen schedule)."""
    if log is None and any(c is not None for c in (step_col, loss_col, lr_col)):
        raise ConfigError("--step-col, --loss-col and --lr-col read the --log; they need one. Got no --log.")
    if figure and log is None:
        raise ConfigError("The '--figure' option draws a logged run against the law's curve; it needs --log (a run "
                          "of this schedule). Got --figure without --log.")
    fmt = figure_format(figure) if figure else None
    fit = load_curve_fit(fit_file)
    sched = parse_schedule(schedule)
    lrs = sched.lrs()
    steps = np.unique(np.linspace(max(1, sched.warmup), sched.total - 1, points).round().astype(np.int64))
    pred = predict_curve(fit, lrs, steps, level=level)
    report: dict[str, Any] = {"law": fit.law, "fitted_on": list(fit.curves), "identified": fit.identified,
                              "reasons": list(fit.reasons), "schedule": str(sched), "level": level,
                              "band_mean": "where the law's mean curve lies (bootstrap refits)",
                              "band_run": "where a run's logged loss lies (refits, point scatter, error on an "
                                          "unseen schedule)",
                              **{k: v.tolist() for k, v in pred.items()}}
    report["final"] = {k: float(v[-1]) for k, v in pred.items()}
    curves = []
    if log is not None:
        got = read_curve_log(log, schedule=sched, step_col=step_col, loss_col=loss_col, lr_col=lr_col)
        curves = [got.curve()]
        report["observed"] = _curve_row(fit, got, curves[0], level)
    if fmt:
        report["figure"] = _write_figure(figure, fmt, fit, curves, level)
    if json:
        print_json(report)
        return
    _print_predict(report)


class _StoreRead:
    """Where a store's curve came from, in the shape of a read log (for the per-curve rows)."""

    def __init__(self, path: str, name: str) -> None:
        self.path, self.n_skipped = f"{path}:{name}", 0
        self.lr_source = "the run's recorded schedule"


def _store_curves(store: str, sweep: str | None, names: list[str] | None, loss: str, logs: list[str] | None,
                  **log_options: Any) -> tuple[list[Any], list[Any]]:
    given = (["LOGS"] if logs else []) + [f"--{k.replace('_', '-')}" for k, v in log_options.items() if v]
    if given:
        raise ConfigError(f"--store gives the curves with their recorded schedules; {', '.join(given)} cannot act with "
                          f"it. Got {' '.join(given)}.")
    from ..fit.store_curves import curves_from_store

    curves = curves_from_store(store, sweep=sweep, loss=loss)
    if names:
        have = {c.name: c for c in curves}
        missing = [n for n in names if n not in have]
        if missing:
            raise ConfigError(f"The --curve {missing[0]!r} must be a finished run's curve in the store. Got curves: "
                              f"{', '.join(have)}.")
        curves = [have[n] for n in names]
    return [_StoreRead(store, c.name) for c in curves], curves


def _unique_name(path: str, i: int, paths: list[str]) -> str:
    from pathlib import Path

    stem = Path(path).stem
    return stem if [Path(p).stem for p in paths].count(stem) == 1 else f"{stem}#{i + 1}"


def _curve_row(fit: CurveFit, read: Any, curve: Any, level: float = DEFAULT_LEVEL) -> dict[str, Any]:
    pred = predict_curve(fit, curve.lrs, curve.steps, level=level)
    inside = (curve.loss >= pred["run_low"]) & (curve.loss <= pred["run_high"])
    return {"name": curve.name, "path": read.path, "points": int(curve.steps.size), "skipped_rows": read.n_skipped,
            "learning_rate": read.lr_source, **curve_metrics(curve.loss, pred["loss"]),
            "final_step": int(curve.steps[-1]), "final_loss": float(curve.loss[-1]),
            "final_predicted": float(pred["loss"][-1]),
            "final_run_band": [float(pred["run_low"][-1]), float(pred["run_high"][-1])],
            "fraction_in_run_band": float(inside.mean())}


def _write_figure(path: str, fmt: str, fit: CurveFit, curves: list[Any], level: float = DEFAULT_LEVEL) -> str:
    """The report's figure of logged curves against the law (:func:`scalinglab.report.curves.curve_figure`)."""
    from ..report.curves import curve_figure

    return write_figure(curve_figure(fit, curves, level=level), path, fmt)


def _print_fit(fit: CurveFit, report: dict[str, Any]) -> None:
    console.print(f"[bold]{fit.law} law ({fit.method})[/] fitted on {len(fit.curves)} curve(s), {fit.n_points} "
                  f"points, in {fit.seconds:.1f} s", highlight=False)
    not_identified(fit)
    t = Table()
    t.add_column("parameter")
    t.add_column("value", justify="right")
    t.add_column("90% bootstrap", justify="right")
    for i, (name, value) in enumerate(fit.params.items()):
        band = (f"{np.percentile(fit.samples[:, i], 5):.4g} – {np.percentile(fit.samples[:, i], 95):.4g}"
                if len(fit.samples) else "—")
        t.add_row(name, f"{value:.4g}", band)
    console.print(t)
    c = Table(title="each curve against the fit (final loss: logged, the law's, its 90% run band)",
              title_justify="left")
    c.add_column("curve", overflow="fold")
    for col in ("points", "R²", "rel. error", "final", "law", "run band", "in band"):
        c.add_column(col, justify="right", no_wrap=True)
    for row in report["curves"]:
        lo, hi = row["final_run_band"]
        c.add_row(escape(row["name"]), str(row["points"]), f"{row['r2']:.4f}", f"{row['prede']:.2%}",
                  f"{row['final_loss']:.4f}", f"{row['final_predicted']:.4f}", f"{lo:.3f}–{hi:.3f}",
                  f"{row['fraction_in_run_band']:.0%}")
    console.print(c)
    sd = "—" if fit.transfer_sd is None else f"{fit.transfer_sd:.2%} (leave-one-curve-out)"
    console.print(f"point scatter {fit.residual_sd:.2%} of the loss; error on an unseen schedule {sd}; "
                  f"{fit.n_at_best} of {len(fit.starts)} starts reached the best objective", highlight=False)
    if fit.transfer_sd is None:
        console.print("[yellow]fewer than three curves: the run band leaves out the law's error on an unseen "
                      "schedule, which it cannot measure[/]")
    for key in ("out", "figure"):
        if key in report:
            console.print(f"{key}: {escape(report[key])}", highlight=False, soft_wrap=True)


def _print_predict(r: dict[str, Any]) -> None:
    for reason in r["reasons"]:
        err_console.print(f"[bold red]NOT IDENTIFIED:[/] {escape(reason)}", highlight=False, soft_wrap=True)
    lvl = f"{r['level']:.0%}"
    t = Table(title=f"{r['law']} law, schedule {escape(r['schedule'])}", title_justify="left")
    t.add_column("step", justify="right")
    t.add_column("loss", justify="right")
    has_mean = "mean_low" in r
    if has_mean:
        t.add_column(f"{lvl} mean-curve band", justify="right")
    t.add_column(f"{lvl} run band", justify="right")
    for i, step in enumerate(r["steps"]):
        cells = [f"{step:,}", f"{r['loss'][i]:.4f}"]
        if has_mean:
            cells.append(f"{r['mean_low'][i]:.4f} – {r['mean_high'][i]:.4f}")
        cells.append(f"{r['run_low'][i]:.4f} – {r['run_high'][i]:.4f}")
        t.add_row(*cells)
    console.print(t)
    if not has_mean:
        console.print("[yellow]the fit has no bootstrap refits: no mean-curve band (refit with --n-bootstrap)[/]")
    if "observed" in r:
        o = r["observed"]
        lo, hi = o["final_run_band"]
        console.print(f"observed ({escape(o['path'])}): R² {o['r2']:.4f}, mean relative error {o['prede']:.2%}, "
                      f"final loss {o['final_loss']:.4f} vs law {o['final_predicted']:.4f} (run band {lo:.4f} – "
                      f"{hi:.4f}), {o['fraction_in_run_band']:.0%} of points in the run band", highlight=False)
    if "figure" in r:
        console.print(f"figure: {escape(r['figure'])}", highlight=False, soft_wrap=True)
