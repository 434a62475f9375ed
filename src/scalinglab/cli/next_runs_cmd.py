"""``scalinglab next-runs``: the k runs that most narrow a fitted law's interval of a target (docs/design.md),
optionally written as a lab sweep file."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from .._io import check_writable, write_atomic
from .._units import format_si
from ..errors import ConfigError
from ..fit._design_target import RATIO_RANGE, read_candidates
from ..fit.design import RANKS, Proposal, propose_runs
from ..lab._sweep_file import sweep_file_text
from ..lab.sweep import planned_run
from ..laws.registry import resolve_fitted
from . import app
from ._common import console, err_console, print_json, quantity, whole

#: the largest model a lab sweep file is written for: the lab trains CPU-sized GPTs (docs/lab.md); a proposal
#: beyond this comes from a law fitted on other runs and is no lab sweep
LAB_MAX_PARAMS = 1e8


def _opt(name: str, help: str, flag: str) -> typer.Option:  # type: ignore[valid-type]
    return typer.Option(flag, parser=quantity(name), metavar="NUM", help=help)


def _sweep(proposal: Proposal, path: str, name: str) -> str:
    runs = []
    for i, r in enumerate(proposal.runs):
        if r.n_params > LAB_MAX_PARAMS:
            raise ConfigError(f"The '--sweep-out' lab sweep must hold models the lab trains (N <= "
                              f"{LAB_MAX_PARAMS:.0e}; a lab sweep makes sense for a law fitted on lab runs only). "
                              f"Got proposed run {i + 1} with N = {r.n_params:.3g}.")
        cfg = planned_run(r.n_params, r.n_tokens, tag=name).config
        runs.append((cfg, f"run {i + 1}: proposed N = {r.n_params:.4g} (shape: {cfg.shape.scaling_params():,}), "
                          f"D = {r.n_tokens:.4g}, {r.flops:.3g} FLOPs; expected width of {proposal.target.label} "
                          f"after it: {r.width_decades:.3f} decades"))
    header = (f"scalinglab next-runs: {len(runs)} runs proposed to narrow {proposal.target.label} "
              f"(width now {proposal.width_now:.3f} decades)\nrun with: scalinglab lab sweep --file {path} "
              f"--store lab.db")
    write_atomic(path, sweep_file_text(name, runs, header), "sweep-out")
    return path


def _interval(p: Proposal, iv: tuple[float, float]) -> str:
    """An interval in the target's unit: sizes and token counts with K/M/B/T, losses and ratios as numbers."""
    show = format_si if p.target.kind in ("n_opt", "d_opt") else (lambda x: f"{x:.4g}")
    return f"{show(iv[0])} – {show(iv[1])}"


def _render(p: Proposal, sweep_path: str | None) -> None:
    t = p.target
    value = format_si(p.value) if t.kind in ("n_opt", "d_opt") else f"{p.value:.4g}"
    console.print(f"[bold]{escape(t.label)}[/] ({escape(t.describes)}): {value} now, {p.level:.0%} interval "
                  f"{_interval(p, p.interval)}: {p.width_now:.3g} decades (×{10**p.width_now:.3g})", highlight=False)
    ident = p.identification
    if ident.startswith("not identified"):
        err_console.print(f"[bold red]NOT IDENTIFIED:[/] {escape(ident)} — proposed anyway: more runs are what it "
                          "needs", highlight=False, soft_wrap=True)
    tab = Table(title=f"{len(p.runs)} runs, in the order picked; the {p.level:.0%} interval expected after each "
                      "run and those above it", title_justify="left")
    for col in ("#", "N", "D", "D/N", "FLOPs", "cumulative", "expected interval", "decades"):
        tab.add_column(col, justify="right")
    for i, r in enumerate(p.runs, 1):
        tab.add_row(str(i), format_si(r.n_params), format_si(r.n_tokens), f"{r.tokens_per_param:.3g}",
                    f"{r.flops:.3g}", f"{r.cumulative_flops:.3g}", _interval(p, r.interval), f"{r.width_decades:.3g}")
    console.print(tab)
    if p.runs:
        w = p.widths[-1]
        console.print(f"after {len(p.runs)} runs ({p.total_flops:.3g} FLOPs): {w:.3g} decades (×{10**w:.3g}) "
                      f"expected, from {p.width_now:.3g} (×{10**p.width_now:.3g}) now", highlight=False)
    console.print(f"criterion: {escape(p.criterion)}; {p.n_candidates} candidates, {p.n_refits} refits",
                  highlight=False, soft_wrap=True)
    for note in p.notes:
        err_console.print(f"[yellow]note:[/] {escape(note)}", highlight=False, soft_wrap=True)
    if sweep_path:
        console.print(f"sweep file: {escape(sweep_path)} (scalinglab lab sweep --file {escape(sweep_path)})",
                      highlight=False, soft_wrap=True)


@app.command("next-runs")
def next_runs_cmd(
    law: Annotated[str, typer.Option("--law", help="A fitted law with bootstrap refits (`scalinglab fit RUNS "
                                     "--n-bootstrap 200 --out fit.json`).")],
    target: Annotated[str, typer.Option("--target", help="What to narrow: n_opt@C (N*(C)), d_opt@C, "
                                        "tokens_per_param@C or loss@N=...,D=... (a planned run).")],
    k: Annotated[int, typer.Option("-k", "--k", parser=whole("-k", minimum=1, maximum=1000), metavar="N",
                                   help="Runs to propose.")] = 10,
    max_flops: Annotated[float | None, _opt("max_flops", "Cost limit per run, FLOPs (6ND).", "--max-flops")] = None,
    budget_total: Annotated[float | None, _opt("budget_total", "Cost limit of the k runs together, FLOPs.",
                                               "--budget-total")] = None,
    candidates: Annotated[str | None, typer.Option("--candidates", help="Runs to pick from: a file with columns "
                                                   "N and D (or N and C), instead of the default grid.")] = None,
    min_params: Annotated[float | None, _opt("min_params", "Smallest N of the default grid (default: the "
                                             "smallest run the law was fitted to).", "--min-params")] = None,
    min_tokens: Annotated[float | None, _opt("min_tokens", "Smallest D of the default grid (default: the smallest "
                                             "D the law was fitted to).", "--min-tokens")] = None,
    min_ratio: Annotated[float | None, _opt("min_ratio", f"Fewest tokens per parameter of the default grid "
                                            f"(default {RATIO_RANGE[0]:g}).", "--min-ratio")] = None,
    max_ratio: Annotated[float | None, _opt("max_ratio", f"Most tokens per parameter of the default grid "
                                            f"(default {RATIO_RANGE[1]:g}).", "--max-ratio")] = None,
    rank: Annotated[str, typer.Option("--rank", help="drop (largest variance drop within the limits) or "
                                      "drop-per-flop.")] = "drop",
    level: Annotated[float | None, typer.Option("--level", help="Central probability of the interval (default: "
                                                "the law's, 0.9).")] = None,
    sweep_out: Annotated[str | None, typer.Option("--sweep-out", help="Also write the runs as a lab sweep file "
                                                  "(.toml) for `scalinglab lab sweep --file`.")] = None,
    sweep_name: Annotated[str | None, typer.Option("--sweep-name", help="With --sweep-out: the sweep's name "
                                                   "(default next-runs).")] = None,
    json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Propose the next k runs (N, D) that most narrow the interval of a target under a fitted law's bootstrap,
    with the expected width after each and the compute each costs (docs/design.md)."""
    if rank not in RANKS:
        raise ConfigError(f"The '--rank' option must be one of {', '.join(RANKS)}. Got {rank!r}.")
    if candidates is not None:
        grid = (("--min-params", min_params), ("--min-tokens", min_tokens), ("--min-ratio", min_ratio),
                ("--max-ratio", max_ratio))
        given = [f for f, v in grid if v is not None]
        if given:
            raise ConfigError(f"The '{given[0]}' option shapes the default grid of candidates and cannot act with "
                              f"--candidates. Got both.")
    if sweep_name is not None and sweep_out is None:
        raise ConfigError("The '--sweep-name' option names the file of --sweep-out. Got it without --sweep-out.")
    if sweep_out is not None:
        check_writable(sweep_out, "sweep-out")
    fitted = resolve_fitted(law)
    cand = read_candidates(candidates) if candidates is not None else None
    ratio = (RATIO_RANGE[0] if min_ratio is None else min_ratio, RATIO_RANGE[1] if max_ratio is None else max_ratio)
    proposal = propose_runs(fitted, target, k=k, max_flops=max_flops, budget_total=budget_total, candidates=cand,
                            min_params=min_params, min_tokens=min_tokens, ratio_range=ratio, rank=rank, level=level)
    path = _sweep(proposal, sweep_out, sweep_name or "next-runs") if sweep_out is not None else None
    if json:
        print_json({**proposal.as_dict(), "law": fitted.name, "sweep_file": path})
        return
    _render(proposal, path)
