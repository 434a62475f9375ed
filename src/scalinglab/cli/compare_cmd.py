"""``scalinglab compare``: how much compute (or tokens, or parameters) one method saves over another, from their
scaling curves, with bootstrap intervals; whether the saving grows with scale."""

from __future__ import annotations

from itertools import combinations
from typing import Annotated, Any

import numpy as np
import typer
from rich.markup import escape
from rich.progress import Progress
from rich.table import Table

from .._intervals import DEFAULT_LEVEL, check_level, level_label
from .._io import check_writable
from .._units import parse_quantity
from ..errors import ConfigError, ScalingLabError
from ..fit.compare import BY, EXPONENTS, FRONTIERS, Comparison, compare_runs
from ..fit.compare_io import save_comparison
from ..fit._compare_result import MEANING, UNITS
from . import app
from ._common import console, err_console, n_bootstrap_option, print_json, quantity, whole
from ._compare_sources import Source, dataset_family, resolve_source, split_source
from ._figures import figure_format, write_figure

#: --pairs with --split-by: every pair of groups, or each group against the next (a path of changes)
PAIRS = ("all", "consecutive")
_SYMBOL = {"compute": "C", "tokens": "D", "params": "N"}


def _at(text: str | None) -> list[float] | None:
    if text is None:
        return None
    vals = [parse_quantity(v.strip(), "--at") for v in text.split(",") if v.strip()]
    if not vals:
        raise ConfigError(f"The '--at' option must list values separated by commas (1e20,1e21). Got {text!r}.")
    return vals


@app.command("compare")
def compare_command(
    a: Annotated[str, typer.Argument(help="Side A (the baseline): a runs file (.csv, .tsv, .jsonl, .json, .parquet), "
                                     "a lab store (SQLite), a bundled dataset (see `scalinglab datasets`) or a saved "
                                     "fit with bootstrap refits (`scalinglab fit --n-bootstrap N --out fit.json`).")],
    b: Annotated[str | None, typer.Argument(help="Side B (the method judged against A), any source as A; default: "
                                            "A's source, with --b-where or --b-sweep choosing other runs of it.")] = None,
    a_where: Annotated[list[str] | None, typer.Option("--a-where", help="Side A keeps rows with COL=VALUE "
                                                      "(repeatable).")] = None,
    b_where: Annotated[list[str] | None, typer.Option("--b-where", help="Side B keeps rows with COL=VALUE "
                                                      "(repeatable).")] = None,
    a_sweep: Annotated[str | None, typer.Option("--a-sweep", help="Side A: this sweep of its store.")] = None,
    b_sweep: Annotated[str | None, typer.Option("--b-sweep", help="Side B: this sweep of its store.")] = None,
    split_by: Annotated[str | None, typer.Option("--split-by", help="Compare the groups of this column of A's "
                                                 "runs file or dataset with each other (no B).")] = None,
    pairs: Annotated[str, typer.Option("--pairs", help="With --split-by: all (every pair of groups) or "
                                       "consecutive (each group against the next, in file order).")] = "all",
    by: Annotated[str, typer.Option("--by", help="compute (the frontier L*(C)), tokens (L along D at a held N) or "
                                    "params (L along N at a held D).")] = "compute",
    exponents: Annotated[str, typer.Option("--exponents", help="separate: each side its own exponent and E (the "
                                           "multiplier may change with scale); shared: one exponent and E for both "
                                           "(a constant multiplier).")] = "separate",
    frontier: Annotated[str, typer.Option("--frontier", help="By compute: isoflop (profile minima of an IsoFLOP "
                                          "grid), law (the compute-optimal loss of a joint law fitted to the runs) "
                                          "or auto (isoflop where the runs are a grid).")] = "auto",
    family: Annotated[str | None, typer.Option("--family", help="Joint law fitted where a side's curve comes from a "
                                               "law: chinchilla (default; a dataset's own family where it has "
                                               "one), kaplan or over-training.")] = None,
    hold: Annotated[float | None, typer.Option("--hold", parser=quantity("hold"), metavar="NUM",
                                               help="By tokens: the N held; by params: the D held (default: the "
                                                    "geometric middle of the runs' range).")] = None,
    at: Annotated[str | None, typer.Option("--at", help="Values of x (FLOPs, tokens or parameters) at which to "
                                           "report the multiplier, comma-separated (1e20,1e21,1e22; default: 5 "
                                           "across the range both sides measured).")] = None,
    n_bootstrap: Annotated[int | None, n_bootstrap_option("Bootstrap replicates of each side of runs (default "
                                                          "200); refused when both sides are saved fits.")] = None,
    seed: Annotated[int, typer.Option("--seed", parser=whole("--seed"), metavar="N", help="Bootstrap seed.")] = 0,
    level: Annotated[float, typer.Option("--level", help="Central probability of every interval (default "
                                         "0.9).")] = DEFAULT_LEVEL,
    n_params_col: Annotated[str | None, typer.Option("--n-params-col", help="Column of parameter counts N.")] = None,
    n_tokens_col: Annotated[str | None, typer.Option("--n-tokens-col", help="Column of training tokens D.")] = None,
    flops_col: Annotated[str | None, typer.Option("--flops-col", help="Column of training FLOPs C; D = C/(6N).")] = None,
    loss_col: Annotated[str | None, typer.Option("--loss-col", help="Column of final losses (nats/token).")] = None,
    out: Annotated[str | None, typer.Option("--out", "-o", help="Save the comparison (JSON) for `scalinglab "
                                            "report --compare`.")] = None,
    figure: Annotated[str | None, typer.Option("--figure", help="Write both curves with their bands and the "
                                               "multiplier against x (.png, .svg or .pdf; needs matplotlib).")] = None,
    json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Compare B against A: M(x) = x_A(L_B(x)) / x, the compute (tokens, parameters) A needs to reach the loss B
    reaches with x, over x (M > 1: B is the more efficient), with bootstrap intervals; the exponent difference
    and whether the advantage grows, holds or shrinks across the range both measured."""
    for name, value, choices in (("by", by, BY), ("exponents", exponents, EXPONENTS), ("frontier", frontier, FRONTIERS),
                                 ("pairs", pairs, PAIRS)):
        if value not in choices:
            raise ConfigError(f"The '--{name}' option must be one of {', '.join(choices)}. Got {value!r}.")
    level = check_level(level)
    at_v = _at(at)
    if out:
        check_writable(out, "out")
    if figure:
        figure_format(figure)
    columns = {"n_params_col": n_params_col, "n_tokens_col": n_tokens_col, "flops_col": flops_col, "loss_col": loss_col}
    kw = dict(by=by, exponents=exponents, frontier=frontier, n_bootstrap=n_bootstrap, seed=seed, level=level,
              at=at_v, hold=hold)
    if split_by is not None:
        _split(a, b, split_by, pairs, a_where=a_where, b_where=b_where, a_sweep=a_sweep, b_sweep=b_sweep, out=out,
               figure=figure, json=json, family=family, columns=columns, kw=kw)
        return
    if pairs != "all":
        raise ConfigError(f"The '--pairs' option chooses the pairs of --split-by groups; it needs --split-by. Got "
                          f"--pairs {pairs}.")
    if b is None and not (b_where or b_sweep):
        raise ConfigError("Side B needs a source, or --b-where / --b-sweep to choose other runs of A's source. Got "
                          "neither.")
    src_a = resolve_source(a, side="a", where=a_where or [], sweep=a_sweep, columns=columns)
    src_b = resolve_source(b or a, side="b", where=b_where or [], sweep=b_sweep, columns=columns)
    cmp = _run(src_a, src_b, family=family or dataset_family(src_a, src_b), kw=kw)
    report = cmp.as_dict()
    if out:
        report["out"] = str(save_comparison(cmp, out, name="out"))
    if figure:
        from ..report.figures_compare import compare_figure

        report["figure"] = write_figure(compare_figure(cmp), figure, figure_format(figure))
    if json:
        print_json(report)
        return
    print_comparison(cmp)
    for key in ("out", "figure"):
        if key in report:
            console.print(f"{key}: {escape(report[key])}", highlight=False, soft_wrap=True)


def _run(src_a: Source, src_b: Source, *, family: str | None, kw: dict[str, Any]) -> Comparison:
    with Progress(console=err_console, transient=True, disable=not err_console.is_terminal) as bar:
        job = bar.add_task(f"bootstrap: {src_b.name} against {src_a.name}", total=None)
        return compare_runs(src_a.side, src_b.side, family=family, names=(src_a.name, src_b.name),
                            progress=lambda done, total: bar.update(job, completed=done, total=total), **kw)


def _split(a: str, b: str | None, col: str, pairs: str, *, a_where, b_where, a_sweep, b_sweep, out, figure, json,
           family, columns, kw) -> None:
    """``--split-by COL``: every pair (or each consecutive pair) of the groups of A's source."""
    given = [f for f, v in (("B", b), ("--b-where", b_where), ("--a-sweep", a_sweep), ("--b-sweep", b_sweep),
                            ("--out", out), ("--figure", figure)) if v]
    if given:
        raise ConfigError(f"The '--split-by' option compares the groups of one source with each other, so it takes "
                          f"no {', '.join(given)} (--out and --figure hold one comparison). Got --split-by {col!r} "
                          f"with {', '.join(given)}.")
    groups = split_source(a, col, where=a_where or [], columns=columns)
    if len(groups) < 2:
        raise ConfigError(f"The '--split-by' column must have at least 2 groups to compare. Got {len(groups)} in "
                          f"column {col!r}.")
    fam = family or dataset_family(*groups)
    chosen = list(zip(groups, groups[1:])) if pairs == "consecutive" else list(combinations(groups, 2))
    results = []
    for sa, sb in chosen:
        try:
            results.append(_run(sa, sb, family=fam, kw=kw).as_dict())
        except ScalingLabError as exc:  # one pair's failure must not hide the others' results
            results.append({"error": str(exc), "sides": [{"name": sa.name}, {"name": sb.name}]})
    if json:
        print_json({"source": a, "where": a_where or [], "split_by": col, "pairs": pairs, "comparisons": results})
    else:
        where = "".join(f" [{w}]" for w in a_where or [])
        console.print(f"{escape(a)}{escape(where)}: {len(groups)} groups of {escape(col)}, {len(chosen)} "
                      f"{pairs} pairs; {escape(results[0].get('interval_label', ''))}", highlight=False,
                      soft_wrap=True)
        _print_pairs(results, col)
    if any("error" in r for r in results):
        raise typer.Exit(1)


def _fmt_m(m: Any) -> str:
    if m is None:
        return "—"
    return "unreachable" if m == "inf" else f"{m:.3g}"


def _fmt_iv(iv: Any) -> str:
    return "—" if iv is None else f"{_fmt_m(iv[0])} – {_fmt_m(iv[1])}"


def print_comparison(cmp: Comparison) -> None:
    sa, sb = cmp.sides
    d = cmp.as_dict()
    sym = _SYMBOL[cmp.by]
    for s in (sa, sb):
        runs = f"{s.n_runs} runs, " if s.n_runs else ""
        console.print(f"[bold]{s.label}[/] = {escape(s.name)} ({runs}{escape(s.what)})", highlight=False,
                      soft_wrap=True)
    shared = ("shared: one exponent and E for both sides, so M is a constant" if cmp.exponents == "shared" else
              "separate: each side its own exponent and E")
    hold = "" if cmp.hold is None else f"; held {'N' if cmp.by == 'tokens' else 'D'} = {cmp.hold:.3g}"
    console.print(f"by {cmp.by}{hold}; exponents {shared}; {escape(cmp.interval_label)}", highlight=False,
                  soft_wrap=True)
    if cmp.status == "not identified":
        console.print(f"[bold red]NOT IDENTIFIED:[/] {escape('; '.join(cmp.reasons))}", highlight=False, soft_wrap=True)
    t = Table(title=f"M({sym}) = {MEANING[cmp.by]} (M > 1: B more efficient)", title_justify="left")
    for col, just in ((f"{UNITS[cmp.by]}", "right"), ("M", "right"), (f"{level_label(cmp.level)} interval", "right"),
                      ("notes", "left")):
        t.add_column(col, justify=just, overflow="fold")
    lo_data = max((s.data_range[0] for s in cmp.sides if s.data_range), default=None)
    hi_data = min((s.data_range[1] for s in cmp.sides if s.data_range), default=None)
    for row in d["multipliers"]:
        notes = []
        if row["not_identified"]:
            notes.append(f"NOT IDENTIFIED: {row['not_identified']}")
        if row["unreachable_share"] > 0:
            notes.append(f"A never reaches B's loss in {row['unreachable_share']:.1%} of replicates")
        if hi_data is not None and (row["x"] > hi_data * 1.0001 or row["x"] < lo_data / 1.0001):
            notes.append("beyond the runs of " + ("both sides" if all(s.data_range for s in cmp.sides) else "a side"))
        m = "not identified" if row["not_identified"] else _fmt_m(row["multiplier"])
        t.add_row(f"{row['x']:.3g}", m, _fmt_iv(row["interval"]), escape("; ".join(notes)))
    console.print(t)
    if cmp.exponent_difference is not None:
        iv = cmp.exponent_interval
        shown = "" if iv is None else f" ({level_label(cmp.level)} interval {iv[0]:.3g} to {iv[1]:.3g})"
        console.print(f"exponent difference a_B − a_A = {cmp.exponent_difference:.3g}{shown}", highlight=False)
    colour = {"grows": "green", "shrinks": "yellow", "holds": "cyan"}.get(cmp.verdict, "white")
    console.print(f"advantage with scale: [bold {colour}]{cmp.verdict}[/] — {escape(cmp.verdict_reason)}",
                  highlight=False, soft_wrap=True)
    for s in cmp.sides:
        c = s.curve
        console.print(f"[dim]{s.label}: L({sym}) = {c['E']:.4g} + {c['A']:.4g}·{sym}^-{c['a']:.4g} through "
                      f"{int(np.isfinite(s.loss).sum())} points" + "".join(f"; {escape(n)}" for n in s.notes) + "[/]",
                      highlight=False, soft_wrap=True)


def _print_pairs(results: list[dict[str, Any]], col: str) -> None:
    t = Table(title=f"pairs of {col} groups: M of B over A (M > 1: B more efficient)", title_justify="left")
    for c in ("A", "B", "M at x (interval)", "a_B − a_A", "with scale", "status"):
        t.add_column(c, overflow="fold")
    for r in results:
        names = [escape(s["name"]) for s in r["sides"]]
        if "error" in r:
            t.add_row(*names, f"[red]error:[/] {escape(r['error'])}", "", "", "")
            continue
        ms = "\n".join(f"{row['x']:.3g}: " + ("not identified" if row["not_identified"] else
                                               f"{_fmt_m(row['multiplier'])} ({_fmt_iv(row['interval'])})")
                       for row in r["multipliers"])
        diff = "—" if r["exponent_difference"] is None else f"{r['exponent_difference']:.3g}"
        t.add_row(*names, ms, diff, r["verdict"], r["status"])
    console.print(t)
