"""``scalinglab lab``: plan, run and inspect sweeps of small GPT models (the CLI owns the progress display)."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich import box
from rich.markup import escape
from rich.table import Table

from .._units import parse_quantity
from ..errors import ConfigError, ScalingLabError
from ..lab.executors import EXECUTORS, check_lab_dependencies, check_sweep_options, run_sweep
from ..lab.paired import paired_sweeps, parse_variant, variant_label
from ..lab.registry import register_sweep
from ..lab.schedule_sweep import SCHEDULE_PRESETS, schedule_preset
from ..lab.sweep import CPU_1THREAD, PRESETS, Sweep, estimate_seconds, load_sweep_file, preset_sweep
from ..store import Store
from . import app
from ._common import console, err_console, print_json
from ._sweep_progress import config_of, sweep_progress
from ._sweep_progress import minutes as _minutes

# Every string from the user or the store (sweep names, paths, run errors) is printed through escape(): rich
# would read "[/]" in a sweep name as markup and crash, or swallow "[lab]" in an error message.

lab_app = typer.Typer(help="Train sweeps of small GPT models and record them in a run store.",
                      no_args_is_help=True)
app.add_typer(lab_app, name="lab")

PresetOpt = Annotated[str, typer.Option("--preset", help=f"Sweep preset: IsoFLOP grids {', '.join(sorted(PRESETS))}; "
                                                          f"learning-rate schedules {', '.join(SCHEDULE_PRESETS)}.")]
BudgetsOpt = Annotated[list[str] | None, typer.Option("--budgets", help="Override the preset's FLOP budgets "
                                                       "(comma-separated or repeated: 3e10,9e10).")]
FileOpt = Annotated[str | None, typer.Option("--file", help="Explicit run list (.toml or .json) instead.")]
NameOpt = Annotated[str | None, typer.Option("--name", help="Sweep name (default: the preset's or file's).")]
WorkersOpt = Annotated[int, typer.Option("--workers", min=1, help="Worker processes (or Ray tasks in flight).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


def _design(preset: str, budgets: list[str] | None, file: str | None, name: str | None) -> Sweep:
    if file:
        return load_sweep_file(file, name=name)
    values = [parse_quantity(x.strip(), "budgets") for item in budgets or [] for x in item.split(",") if x.strip()]
    if preset in SCHEDULE_PRESETS:
        if values:
            raise ConfigError(f"The '--budgets' option applies to the IsoFLOP presets ({', '.join(sorted(PRESETS))}). "
                              f"Got it with preset {preset!r}.")
        return schedule_preset(preset, name=name)
    return preset_sweep(preset, budgets=values or None, name=name)


def _purpose(preset: str, file: str | None) -> str:
    """What a preset's results are worth, said after the sweep (issue #10)."""
    if file is not None:
        return ""
    found = PRESETS.get(preset) or SCHEDULE_PRESETS.get(preset)
    return found.purpose if found else ""


def _shape(cfg: Any) -> str:
    return f"{cfg.shape.n_layers}×{cfg.shape.d_model}/{cfg.shape.n_heads}h"


def _schedule(cfg: Any) -> str:
    return f"{cfg.schedule}:{cfg.decay_frac:g}" if cfg.schedule in ("wsd", "step") else cfg.schedule


def _si(x: float) -> str:
    for scale, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if x >= scale:
            return f"{x / scale:.3g}{suffix}"
    return f"{x:.3g}"


def _plan_rows(sweep: Sweep) -> list[dict[str, Any]]:
    return [{"role": r.role, "budget": r.budget, "n_layers": r.config.shape.n_layers,
             "d_model": r.config.shape.d_model, "n_heads": r.config.shape.n_heads, "n_params": r.n_params,
             "n_tokens": r.config.n_tokens, "tokens_per_param": r.tokens_per_param,
             "batch_size": r.config.batch_size, "steps": r.steps, "schedule": _schedule(r.config), "flops": r.flops,
             "est_seconds": estimate_seconds(r.config), "run_hash": r.config.config_hash()} for r in sweep.runs]


@lab_app.command("plan-sweep")
def plan_sweep_command(preset: PresetOpt = "smoke", budgets: BudgetsOpt = None, file: FileOpt = None,
                       name: NameOpt = None, workers: WorkersOpt = 2, json: JsonOpt = False) -> None:
    """Show a sweep's grid, total compute and estimated time on this machine, before anything runs."""
    sweep = _design(preset, budgets, file, name)
    rows = _plan_rows(sweep)
    wall = sweep.estimated_wall_seconds(workers)
    if json:
        print_json({"sweep": sweep.name, "spec": sweep.spec, "runs": rows, "total_flops": sweep.total_flops,
                    "workers": workers, "estimated_wall_seconds": wall,
                    "throughput_model": {"a": CPU_1THREAD.a, "alpha": CPU_1THREAD.alpha,
                                         "peak_flops_per_s": CPU_1THREAD.peak_flops_per_s}})
        return
    table = Table(title=escape(f"sweep {sweep.name!r}: {len(rows)} runs"), box=box.SIMPLE_HEAD)
    # the budget and schedule columns only where some run has a budget, or a schedule other than the default
    shown = {"C": any(row["budget"] is not None for row in rows), "lr": any(row["schedule"] != "cosine" for row in rows)}
    for col in ("role", "C", "L×d/heads", "N", "D", "D/N", "batch", "steps", "lr", "time"):
        if shown.get(col, True):
            table.add_column(col, justify="left" if col in ("role", "L×d/heads", "lr") else "right", no_wrap=True)
    for r, row in zip(sweep.runs, rows):
        budget = "—" if row["budget"] is None else f"{row['budget']:.2g}".replace("e+", "e")
        table.add_row(row["role"], *([budget] if shown["C"] else []), _shape(r.config),
                      _si(row["n_params"]), _si(row["n_tokens"]), f"{row['tokens_per_param']:.3g}" if row["tokens_per_param"] < 100 else f"{row['tokens_per_param']:.0f}",
                      str(row["batch_size"]), str(row["steps"]),
                      *([row["schedule"]] if shown["lr"] else []),
                      _minutes(row["est_seconds"]).replace(" min", "m").replace(" s", "s"))
    console.print(table)
    console.print(f"total compute {sweep.total_flops:.3g} FLOPs · one worker {_minutes(sum(r['est_seconds'] for r in rows))}"
                  f" · [bold]{workers} worker(s) ≈ {_minutes(wall)}[/] (float32 CPU, one thread per worker)")


def _require_torch() -> None:
    # Printed here, escaped: the generic error handler would read "[lab]" as rich markup and drop it.
    try:
        check_lab_dependencies()
    except ConfigError as exc:
        err_console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None


@lab_app.command("sweep")
def sweep_command(
    store: Annotated[str, typer.Option("--store", help="SQLite run store (created if missing).")],
    preset: PresetOpt = "smoke", budgets: BudgetsOpt = None, file: FileOpt = None, name: NameOpt = None,
    workers: WorkersOpt = 2,
    threads: Annotated[int, typer.Option("--threads", min=1, help="Torch threads per worker.")] = 1,
    executor: Annotated[str, typer.Option("--executor", help=f"{' or '.join(EXECUTORS)}.")] = "local",
    address: Annotated[str | None, typer.Option("--address", help="Ray cluster, e.g. ray://head:10001.")] = None,
    retry_failed: Annotated[bool, typer.Option("--retry-failed", help="Train failed runs again.")] = False,
    json: JsonOpt = False,
) -> None:
    """Run (or finish) a sweep: runs already done are kept, interrupted ones restart from scratch."""
    # every option and the whole design are checked before the store is created or changed
    check_sweep_options(executor, workers, threads, address, EXECUTORS)
    if executor == "local":
        _require_torch()
    sweep = _design(preset, budgets, file, name)
    summary, runs = _run(store, sweep, executor, workers, threads, address, retry_failed)
    purpose = _purpose(preset, file)
    failures = [r for r in runs if r["status"] == "failed"]
    if json:
        print_json({**_summary_json(summary, store, runs), "purpose": purpose})
    else:
        _print_summary(summary, store, purpose, runs, curves=sweep.spec.get("kind") == "schedules")
    _raise_failures(summary, store, failures)


def _run(store: str, sweep: Sweep, executor: str, workers: int, threads: int, address: str | None,
         retry_failed: bool) -> tuple[Any, list[dict[str, Any]]]:
    """Register ``sweep`` in ``store``, train what it lacks (with a progress display) and read its runs back."""
    stored = register_sweep(store, sweep, retry_failed=retry_failed)
    with sweep_progress(err_console, stored, workers, sweep.name) as display:
        summary = run_sweep(store, sweep.name, executor=executor, workers=workers, threads_per_worker=threads,
                            address=address, progress=display)
    with Store(store, readonly=True) as db:
        return summary, db.runs(None, sweep=summary.sweep)


def _summary_json(summary: Any, store: str, runs: list[dict[str, Any]]) -> dict[str, Any]:
    return {"sweep": summary.sweep, "executor": summary.executor, "workers": summary.workers,
            "trained": summary.trained, "failed": summary.failed, "seconds": summary.seconds,
            "counts": summary.counts, "store": store,
            "failures": [{"run_hash": r["run_hash"], "error": r["error"]} for r in runs if r["status"] == "failed"]}


def _raise_failures(summary: Any, store: str, failures: list[dict[str, Any]]) -> None:
    if failures:  # an unfinished sweep is not a success: its finished runs stay in the store
        c = summary.counts
        fix = (f"once the cause is fixed (errors: scalinglab lab status --store {store}), train them again by adding "
               "--retry-failed.")
        if len(failures) == c["total"]:
            raise ScalingLabError(f"Every run of sweep {summary.sweep!r} failed ({c['failed']} of {c['total']}); "
                                  + fix)
        raise ScalingLabError(f"{len(failures)} of {c['total']} runs of sweep {summary.sweep!r} failed; the "
                              f"{c['done']} done are kept in {store}; " + fix)


@lab_app.command("pair")
def pair_command(
    store: Annotated[str, typer.Option("--store", help="SQLite run store (created if missing).")],
    a: Annotated[str, typer.Option("--a", help="Variant a: KEY=VALUE[,KEY=VALUE] (lr, lr_scale, aspect_ratio, "
                                               "schedule, weight_decay, batch_size, ...; docs/compare.md).")],
    b: Annotated[str, typer.Option("--b", help="Variant b, the same way.")],
    preset: Annotated[str, typer.Option("--preset", help=f"IsoFLOP preset: {', '.join(sorted(PRESETS))}.")] = "demo",
    budgets: BudgetsOpt = None, name: Annotated[str | None, typer.Option(
        "--name", help="Name of the pair: its sweeps are NAME-a and NAME-b (default PRESET-pair).")] = None,
    workers: WorkersOpt = 2,
    threads: Annotated[int, typer.Option("--threads", min=1, help="Torch threads per worker.")] = 1,
    executor: Annotated[str, typer.Option("--executor", help=f"{' or '.join(EXECUTORS)}.")] = "local",
    address: Annotated[str | None, typer.Option("--address", help="Ray cluster, e.g. ray://head:10001.")] = None,
    retry_failed: Annotated[bool, typer.Option("--retry-failed", help="Train failed runs again.")] = False,
    n_bootstrap: Annotated[int, typer.Option("--n-bootstrap", min=0, help="Bootstrap replicates of the comparison "
                                             "(0: train only, compare later).")] = 200,
    json: JsonOpt = False,
) -> None:
    """Train two variants on the same IsoFLOP budgets (sweeps NAME-a and NAME-b) and compare them by their curves:
    the compute multiplier of b over a (`scalinglab compare`, docs/compare.md)."""
    check_sweep_options(executor, workers, threads, address, EXECUTORS)
    values = [parse_quantity(x.strip(), "budgets") for item in budgets or [] for x in item.split(",") if x.strip()]
    over_a, over_b = parse_variant(a, "a"), parse_variant(b, "b")
    sweep_a, sweep_b, notes = paired_sweeps(preset, over_a, over_b, name=name, budgets=values or None)
    if executor == "local":
        _require_torch()
    results = [(s, *_run(store, s, executor, workers, threads, address, retry_failed)) for s in (sweep_a, sweep_b)]
    compare = (f"scalinglab compare {store} --a-sweep {sweep_a.name} --b-sweep {sweep_b.name} "
               f"--n-bootstrap {n_bootstrap or 200}")
    complete = all(summary.counts["done"] == summary.counts["total"] for _, summary, _ in results)
    cmp, said = _compare_pair(store, sweep_a.name, sweep_b.name, n_bootstrap) if complete and n_bootstrap \
        else (None, [])
    if json:
        print_json({"pair": {s.name: {**_summary_json(summary, store, runs), "variant": s.spec["variant"]}
                             for s, summary, runs in results}, "notes": list(notes) + said, "compare": compare,
                    "comparison": None if cmp is None else cmp.as_dict()})
    else:
        for s, summary, runs in results:
            console.print(escape(f"variant {s.name[-1]}: {variant_label(s.spec['variant'])}"), highlight=False)
            _print_summary(summary, store, "", runs, fit_hint=False)
        if cmp is not None:
            from .compare_cmd import print_comparison

            print_comparison(cmp)
        for note in (*notes, *said, PRESETS[preset].purpose):
            console.print(f"[yellow]{escape(note)}[/]")
        console.print(escape(f"compare them again (--by, --exponents, --figure, --out): {compare}"),
                      highlight=False)
    for s, summary, runs in results:
        _raise_failures(summary, store, [r for r in runs if r["status"] == "failed"])


def _compare_pair(store: str, a: str, b: str, n_bootstrap: int) -> tuple[Any, list[str]]:
    """The comparison of b against a by compute: the IsoFLOP frontier where each side identifies one, else the
    compute-optimal loss of a Chinchilla law fitted to each side (said), else what stopped it (said)."""
    from ..fit.compare import compare_runs
    from ..fit.store_runs import runs_from_store

    sides = runs_from_store(store, sweep=a), runs_from_store(store, sweep=b)
    said: list[str] = []
    for frontier in ("auto", "law"):
        try:
            return compare_runs(*sides, frontier=frontier, n_bootstrap=n_bootstrap, names=(a, b)), said
        except ScalingLabError as exc:
            said.append(f"Comparison by the {'IsoFLOP' if frontier == 'auto' else 'fitted-law'} frontier not made: "
                        f"{exc}" + (" Comparing by the compute-optimal loss of a law fitted to each side instead."
                                    if frontier == "auto" else ""))
    return None, said


def _print_summary(summary: Any, store: str, purpose: str, runs: list[dict[str, Any]], *, curves: bool = False,
                   fit_hint: bool = True) -> None:
    c = summary.counts
    stale = sum(r["stale"] for r in runs)
    console.print(escape(f"sweep {summary.sweep!r}: trained {summary.trained} run(s) in {_minutes(summary.seconds)}; "
                         f"{c['done']}/{c['total']} done, {c['failed']} failed, {c['running'] - stale} running "
                         f"elsewhere, {stale} stale, {c['pending']} pending."), highlight=False)
    for r in runs:
        if r["status"] == "failed":
            cfg = config_of(r)
            console.print(escape(f"  failed {r['run_hash']} ({_shape(cfg)}, D={_si(cfg.n_tokens)}, attempt "
                                 f"{r['attempts']}): {r['error']}"), highlight=False, soft_wrap=True)
    if purpose:
        console.print(f"[yellow]{escape(purpose)}[/]")
    if c["done"] == c["total"] and curves:
        console.print(escape(f"its curves: scalinglab.fit.store_curves.curves_from_store({store!r}, "
                             f"sweep={summary.sweep!r}) into fit_curves (docs/curves.md)"), highlight=False)
    elif c["done"] == c["total"] and fit_hint:
        console.print(escape(f"fit it: scalinglab fit --store {store} --n-bootstrap 100"), highlight=False)


@lab_app.command("status")
def status_command(
    store: Annotated[str, typer.Option("--store", help="SQLite run store.")],
    sweep: Annotated[str | None, typer.Option("--sweep", help="Only this sweep.")] = None,
    json: JsonOpt = False,
) -> None:
    """Run counts per sweep, and the runs that are running or failed."""
    with Store(store, readonly=True) as db:
        names = [s["name"] for s in db.sweeps() if sweep is None or s["name"] == sweep]
        if sweep is not None and not names:
            raise ConfigError(f"The '--sweep' option must name a sweep in {store!r}. Got {sweep!r}.")
        report = {n: {"counts": db.status(n), "runs": db.runs(None, sweep=n)} for n in names}
    if json:
        print_json({n: {"counts": r["counts"], "runs": [{k: v for k, v in run.items() if k != "result"}
                                                         for run in r["runs"]]} for n, r in report.items()})
        return
    table = Table(title=escape(f"store {store}"))
    for col in ("sweep", "done", "running", "pending", "failed", "total", "best loss"):
        table.add_column(col, justify="left" if col == "sweep" else "right")
    for n, r in report.items():
        c = r["counts"]
        losses = [run["final_val_loss"] for run in r["runs"] if run["final_val_loss"] is not None]
        stale = sum(run["stale"] for run in r["runs"])
        running = f"{c['running']} ({stale} stale)" if stale else str(c["running"])
        table.add_row(escape(n), str(c["done"]), running, *(str(c[k]) for k in ("pending", "failed", "total")),
                      f"{min(losses):.4f}" if losses else "—")
    console.print(table)
    for n, r in report.items():
        for run in r["runs"]:
            if run["status"] in ("running", "failed"):
                detail = run["error"] if run["status"] == "failed" else f"{run['worker']} pid {run['pid']}"
                status = run["status"]
                if run["stale"]:
                    status, detail = "stale", f"{detail} is gone; rerunning the sweep trains it again"
                console.print(escape(f"  {n} {run['run_hash']} {status} (attempt {run['attempts']}): {detail}"),
                              highlight=False)
