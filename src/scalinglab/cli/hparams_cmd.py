"""``scalinglab fit-hparams``: fit a learning-rate and batch-size rule to an lr × batch sweep, for `plan --hp-rule`."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from .._intervals import level_label
from .._io import check_writable
from .._units import format_si
from ..errors import ConfigError
from ..fit._hp_sweep import BATCH_UNITS, load_sweep
from ..fit.hparams import METHODS, HparamFit, fit_hparams
from ..flops import COUNTS
from ..laws._hparam_io import save_rule
from ..laws.hyperparams import SYMBOLS
from . import app
from ._common import console, err_console, n_bootstrap_option, print_json, whole
from ._fit_read import where_pairs

_BY_SYMBOL = {s: v for v, s in SYMBOLS.items()}


def _vars(flag: str, text: str) -> tuple[str, ...]:
    """``N,D`` as ``("n_params", "n_tokens")``."""
    parts = [p.strip().upper() for p in text.split(",") if p.strip()]
    if not parts or any(p not in _BY_SYMBOL for p in parts):
        raise ConfigError(f"The '{flag}' option must list variables among N, D, C separated by commas. Got {text!r}.")
    return tuple(_BY_SYMBOL[p] for p in parts)


@app.command("fit-hparams")
def fit_hparams_command(
    path: Annotated[str, typer.Argument(help="Sweep file (.csv, .tsv, .jsonl, .json, .parquet): one row per run with "
                                       "learning rate, batch size, N, D and final loss (NaN or inf: diverged).")],
    context: Annotated[int | None, typer.Option("--context", parser=whole("--context", minimum=1, maximum=1 << 24),
                                                metavar="TOKENS", help="Tokens per sequence: the batch column "
                                                "counts sequences (needed unless --batch-unit tokens).")] = None,
    batch_unit: Annotated[str, typer.Option("--batch-unit", help="What the batch column counts: sequences "
                                            "(default) or tokens.")] = "sequences",
    lr_col: Annotated[str | None, typer.Option("--lr-col", help="Column of peak learning rates.")] = None,
    batch_col: Annotated[str | None, typer.Option("--batch-col", help="Column of batch sizes.")] = None,
    loss_col: Annotated[str | None, typer.Option("--loss-col", help="Column of final losses.")] = None,
    n_params_col: Annotated[str | None, typer.Option("--n-params-col", help="Column of parameter counts N.")] = None,
    n_tokens_col: Annotated[str | None, typer.Option("--n-tokens-col", help="Column of training tokens D.")] = None,
    by: Annotated[list[str] | None, typer.Option("--by", help="Also group runs by this column (repeatable), e.g. "
                                                 "MoE configurations of one size.")] = None,
    where: Annotated[list[str] | None, typer.Option("--where", help="Keep rows with COL=VALUE (repeatable).")] = None,
    method: Annotated[str, typer.Option("--method", help="surface (default: optimum of a quadratic loss surface "
                                        "in log lr, log batch) or filter (the Step Law authors': every run within "
                                        "0.25% of its group's best).")] = "surface",
    window: Annotated[float | None, typer.Option("--window", help="Runs within this fraction of their group's best "
                                                 "loss are used (default 0.02 for surface, 0.0025 for "
                                                 "filter).")] = None,
    lr_vars: Annotated[str, typer.Option("--lr-vars", help="Variables of the learning-rate law.")] = "N,D",
    batch_vars: Annotated[str, typer.Option("--batch-vars", help="Variables of the batch law.")] = "D",
    n_params_count: Annotated[str, typer.Option("--n-params-count", help="What the N column counts: "
                                                "non_embedding (default) or total.")] = "non_embedding",
    n_bootstrap: Annotated[int, n_bootstrap_option("Bootstrap refits for the band (0: none).")] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the bootstrap.")] = 0,
    name: Annotated[str | None, typer.Option("--name", help="Name of the rule (default fit:FILE).")] = None,
    out: Annotated[str | None, typer.Option("--out", "-o", help="Write the rule (JSON) for `scalinglab plan "
                                            "--hp-rule FILE`.")] = None,
    json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Fit η* = a·N^α·D^β and B* = b·D^γ (tokens) to a learning-rate × batch-size sweep, with bootstrap bands and
    how flat the loss is near each optimum (the ranges within 0.5% of the best loss)."""
    if method not in METHODS:
        raise ConfigError(f"The '--method' option must be one of {', '.join(METHODS)}. Got {method!r}.")
    if batch_unit not in BATCH_UNITS:
        raise ConfigError(f"The '--batch-unit' option must be one of {', '.join(BATCH_UNITS)}. Got {batch_unit!r}.")
    if n_params_count not in COUNTS:
        raise ConfigError(f"The '--n-params-count' option must be one of {', '.join(COUNTS)}. Got {n_params_count!r}.")
    if out is not None:
        check_writable(out, "out")
    sweep = load_sweep(path, context=context, batch_unit=batch_unit, lr_col=lr_col, batch_col=batch_col,
                       loss_col=loss_col, n_params_col=n_params_col, n_tokens_col=n_tokens_col,
                       group_cols=tuple(by or ()), where=where_pairs(where or []))
    cols = sweep.source["columns"]
    err_console.print(f"[dim]columns: lr = {escape(cols['lr'])}, batch = {escape(cols['batch'])} ({batch_unit}), "
                      f"N = {escape(cols['n_params'])}, D = {escape(cols['n_tokens'])}, loss = "
                      f"{escape(cols['loss'])} (--lr-col, --batch-col, ... choose others)[/]", highlight=False,
                      soft_wrap=True)
    fit = fit_hparams(sweep, method=method, window=window, lr_vars=_vars("--lr-vars", lr_vars),
                      batch_vars=_vars("--batch-vars", batch_vars), n_bootstrap=n_bootstrap, seed=seed, name=name,
                      n_params_count=n_params_count)
    if out is not None:
        save_rule(fit.rule, out)
    if json:
        print_json({**fit.as_dict(), "out": out})
        return
    _render(fit, out)


def _range(pair: Any, fmt: Any) -> str:
    return "" if pair is None else f"{fmt(pair[0])}–{fmt(pair[1])}"


def _render(fit: HparamFit, out: str | None) -> None:
    surface = fit.method == "surface"
    t = Table(title=f"Optimum of each (N, D) ({fit.method}: runs within {100 * fit.window:.3g}% of the best loss)")
    for col in ("N", "D", "runs", "lr*", "batch* (tokens)", "loss", f"lr within {fit.flat_tol:.1%}",
                f"batch within {fit.flat_tol:.1%}"):
        t.add_column(col, justify="right")
    for g in sorted(fit.groups, key=lambda g: (g.n_params, g.n_tokens, tuple(g.labels.values()))):
        labels = "".join(f" {v}" for v in g.labels.values())
        mark = "" if g.inside in (True, None) else " [red](outside the sweep)[/]"
        t.add_row(format_si(g.n_params) + escape(labels), format_si(g.n_tokens),
                  f"{g.n_runs}" + (f" ({g.n_diverged} diverged)" if g.n_diverged else ""), f"{g.lr:.2e}{mark}",
                  format_si(g.batch_tokens), f"{g.loss:.4f}",
                  _range(g.lr_flat if surface else g.lr_flat_runs, lambda x: f"{x:.1e}"),
                  _range(g.batch_flat if surface else g.batch_flat_runs, format_si))
    console.print(t)
    console.print(f"[dim]within {fit.flat_tol:.1%}: " + ("along each axis of the fitted surface through the optimum"
                  if surface else "the lowest and highest values among the runs that close to the best") + ".[/]",
                  highlight=False, soft_wrap=True)
    r = fit.rule
    console.print(f"[bold]rule {escape(r.name)}[/]: {escape(r.formula)}", highlight=False, soft_wrap=True)
    if fit.intervals:
        iv = ", ".join(f"{k} [{lo:.3g}, {hi:.3g}]" for k, (lo, hi) in fit.intervals.items() if "log_coef" not in k)
        console.print(f"  {level_label(fit.level)} intervals ({escape(r.band_source)}; {fit.n_degenerate} failed): "
                      f"{escape(iv)}", highlight=False, soft_wrap=True)
    console.print(f"  scatter of the optima about the laws (SD of log): lr {fit.residual_sd['lr']:.3f}, batch "
                  f"{fit.residual_sd['batch']:.3f}; {fit.n_points} points", highlight=False)
    for reason in fit.reasons:
        err_console.print(f"[bold red]NOT IDENTIFIED:[/] {escape(reason)}", highlight=False, soft_wrap=True)
    outside = sum(g.inside is False for g in fit.groups)
    if outside:
        err_console.print(f"[yellow]{outside} group(s) have their optimum outside the swept lr or batch range: "
                          "extend the sweep there.[/]", highlight=False)
    if out is not None:
        console.print(f"[dim]rule written to {escape(out)}: `scalinglab plan ... --hp-rule {escape(out)}`[/]",
                      highlight=False, soft_wrap=True)
