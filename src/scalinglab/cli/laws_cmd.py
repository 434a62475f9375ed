"""``scalinglab laws``: the catalog of published laws, the training-curve laws (listed apart: they predict the
loss along one run's learning-rate schedule, not ``L(N, D)``) and the hyperparameter rules (learning rate and
batch size, not a loss)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from ..laws import DEFAULT_LAW, list_laws, resolve_law
from ..laws.curves import CURVE_LAW_SCOPE, CURVE_LAWS, CurveLaw
from ..laws.hyperparams import DEFAULT_HP_RULE, HP_RULE_SCOPE, HP_RULES, HyperparamRule
from . import app
from ._common import console, print_json, user_text

laws_app = typer.Typer(help="The catalog of published scaling laws.", no_args_is_help=False)
app.add_typer(laws_app, name="laws")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


@laws_app.callback(invoke_without_command=True)
def laws_list(ctx: typer.Context, json: JsonOpt = False) -> None:
    """List every law: name, family, formula, source; then the training-curve laws and the hyperparameter
    rules."""
    if ctx.invoked_subcommand is not None:
        return
    laws = list_laws()
    if json:
        print_json([law.describe() for law in laws] + [law.describe() for law in CURVE_LAWS.values()]
                   + [rule.describe() for rule in HP_RULES.values()])
        return
    table = Table(title="Scaling laws (default marked *)")
    for col in ("name", "family", "formula", "source"):
        table.add_column(col, overflow="fold")
    for law in laws:
        mark = "*" if law.name == DEFAULT_LAW else ""
        c = law.citation
        table.add_row(user_text(law.name) + mark, law.family, user_text(law.formula), user_text(f"{c.authors} {c.year}"))
    console.print(table)
    curves = Table(title="Training-curve laws: L(t) along one run's learning-rate schedule, not L(N, D)")
    for col in ("name", "formula", "parameters", "source"):
        curves.add_column(col, overflow="fold")
    for cl in CURVE_LAWS.values():
        c = cl.citation
        curves.add_row(cl.name, cl.form, ", ".join(cl.params), f"{c.authors.split(',')[0]} et al. {c.year}")
    console.print(curves)
    console.print(f"[dim]Each training-curve law predicts {CURVE_LAW_SCOPE}. `scalinglab laws show multi-power` "
                  "prints one.[/]", highlight=False, soft_wrap=True)
    hp = Table(title="Hyperparameter rules: learning rate η and batch size B (tokens), not a loss (default marked *)")
    for col in ("name", "formula", "band", "source"):
        hp.add_column(col, overflow="fold")
    for rule in HP_RULES.values():
        c = rule.citation
        hp.add_row(rule.name + ("*" if rule.name == DEFAULT_HP_RULE else ""), rule.formula,
                   "bootstrap" if rule.cov is not None or rule.samples is not None else "none",
                   f"{c.authors.split(',')[0]} et al. {c.year}")
    console.print(hp)
    console.print(f"[dim]Each hyperparameter rule gives {HP_RULE_SCOPE}. `scalinglab laws show step-law` prints "
                  "one.[/]", highlight=False, soft_wrap=True)


@laws_app.command("show")
def laws_show(
    name: Annotated[str, typer.Argument(help="Law name (see `scalinglab laws`) or a fitted-law .json file.")],
    json: JsonOpt = False,
) -> None:
    """Form, coefficients and source of one law."""
    if name in CURVE_LAWS:
        _show_curve_law(CURVE_LAWS[name], json)
        return
    if name in HP_RULES:
        _show_hp_rule(HP_RULES[name], json)
        return
    law = resolve_law(name)
    info = law.describe()
    if json:
        print_json(info)
        return
    _head(law.name, law.family, law.formula, info["coefficients"])
    # soft_wrap: long text goes to the terminal as it is (rich's own folding of a long word is quadratic)
    console.print(f"[dim]source:[/] {user_text(info['citation'])}", highlight=False, soft_wrap=True)
    if law.notes:
        console.print(f"[dim]notes:[/] {user_text(law.notes)}", highlight=False, soft_wrap=True)


def _head(name: str, kind: str, formula: str, coefficients: dict[str, float]) -> None:
    """The name, its kind, the formula and a table of its coefficients (every string escaped for rich)."""
    console.print(f"[bold]{user_text(name)}[/]  ({user_text(kind)})", soft_wrap=True)
    console.print(f"  {user_text(formula)}", highlight=False)
    table = Table(show_header=True)
    table.add_column("coefficient")
    table.add_column("value", justify="right")
    for k, v in coefficients.items():
        table.add_row(user_text(k, 80), f"{v:.6g}")
    console.print(table)


def _show_curve_law(law: CurveLaw, json: bool) -> None:
    """A training-curve law: form, parameters with the published values per model size (if any), what it
    predicts, source."""
    info = law.describe()
    if json:
        print_json(info)
        return
    console.print(f"[bold]{law.name}[/]  (training-curve law)", soft_wrap=True)
    console.print(f"  L(t) = {law.form}", highlight=False)
    published = info["published"]
    if published:
        table = Table(title="published parameters, per model size")
        table.add_column("parameter")
        for size in published:
            table.add_column(size, justify="right")
        for p in law.params:
            table.add_row(p, *(f"{published[size][p]:.6g}" for size in published))
        console.print(table)
    else:
        console.print(f"  parameters: {', '.join(law.params)} (none published in the catalog: fit them to your "
                      "curves)", highlight=False)
    for label, key in (("notes", "notes"), ("predicts", "scope"), ("source", "citation")):
        if info[key]:
            console.print(f"[dim]{label}:[/] {info[key]}", highlight=False, soft_wrap=True)


def _show_hp_rule(rule: HyperparamRule, json: bool) -> None:
    """A hyperparameter rule: both power laws, coefficients, what N means, context, band, domain, source."""
    info = rule.describe()
    if json:
        print_json(info)
        return
    _head(rule.name, "hyperparameter rule", rule.formula, info["coefficients"])
    reads = ", ".join(f"{k} ({v})" for k, v in info["variables"].items())
    domain = "; ".join(f"{k} {lo:.3g} to {hi:.3g}" for k, (lo, hi) in info["domain"].items()) or "not recorded"
    for label, text in (("reads", reads), ("context", f"{rule.context} tokens per sequence"), ("band", info["band"]),
                        ("data", domain), ("notes", rule.notes), ("gives", HP_RULE_SCOPE),
                        ("source", info["citation"])):
        console.print(f"[dim]{label}:[/] {text}", highlight=False, soft_wrap=True)
