"""Shared CLI plumbing: the console, quantity options, JSON output."""

from __future__ import annotations

import json
import math
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape

from .._units import parse_quantity
from .._validate import check_positive
from ..errors import ConfigError

console = Console()
err_console = Console(stderr=True)


def quantity(name: str, *, allow_zero: bool = False):
    """A typer ``parser=`` for positive options that accept 70B, 1.4T, 5.76e23 ..."""

    def parse(value: str | float) -> float:
        try:
            return check_positive(name, parse_quantity(value, name), allow_zero=allow_zero)
        except ConfigError as exc:
            raise typer.BadParameter(str(exc)) from None

    return parse


def whole(flag: str, *, minimum: int = 0, maximum: int | None = None):
    """A typer ``parser=`` for whole-number options (200, 1e3) in ``[minimum, maximum]``: one line naming
    ``flag``, the rule and the value otherwise (never an overflow or a memory error later)."""
    rule = f"a whole number >= {minimum:,}" if maximum is None else f"a whole number from {minimum:,} to {maximum:,}"

    def refuse(value: object) -> typer.BadParameter:
        text = str(value)
        shown = text if len(text) <= 40 else f"{text[:20]}…({len(text)} characters)"
        return typer.BadParameter(f"must be {rule}. Got {shown!r}.")

    def parse(value: str | int) -> int:
        if isinstance(value, int) and not isinstance(value, bool):
            n = value
        else:
            text = str(value).strip().replace("_", "")
            try:
                n = int(text)
            except ValueError:
                try:
                    x = float(text)
                except ValueError:
                    x = math.nan
                if not (math.isfinite(x) and x.is_integer()):
                    raise refuse(value) from None
                n = int(x)
        if n < minimum or (maximum is not None and n > maximum):
            raise refuse(value)
        return n

    return parse


#: most characters of free text (a law's notes, a citation) printed in a table; --json gives all of it
TEXT_LIMIT = 2000


def user_text(text: object, limit: int = TEXT_LIMIT) -> str:
    """Text from a file or a flag, safe to print with rich: markup escaped (a name like ``evil[/]`` is
    printed, not parsed) and cut at ``limit`` characters (64 KB of notes would take rich seconds to wrap)."""
    s = str(text)
    if len(s) > limit:
        s = f"{s[:limit]}… ({len(s) - limit:,} more characters; --json prints them all)"
    return escape(s)


def _jsonable(x: Any) -> Any:
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {k: _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if hasattr(x, "item") and callable(x.item):  # numpy scalar
        return _jsonable(x.item())
    return x


def print_json(data: Any) -> None:
    """One JSON document on stdout (non-finite floats become null)."""
    typer.echo(json.dumps(_jsonable(data), indent=2))


#: help of ``--flops``, the one name of the training compute budget in every command (``flops=`` in Python)
FLOPS_HELP = "Training compute budget C in FLOPs (e.g. 5.76e23)."


def renamed(old: str, new: str, *, count: bool = False) -> Any:
    """A hidden option ``old`` kept so that scripts written before it became ``new`` still run (a quantity such
    as 5.76e23, or with ``count`` a number of bootstrap refits)."""
    if count:
        return typer.Option(old, parser=whole(old, maximum=MAX_N_BOOTSTRAP), metavar="N", hidden=True,
                            help=f"Older name of {new}.")
    return typer.Option(old, parser=quantity(new.lstrip("-")), hidden=True, help=f"Older name of {new}.")


def one_of_names(value: Any, alias: Any, flag: str, alias_flag: str, what: str) -> Any:
    """An option given by its name ``flag`` or its older name ``alias_flag``; both at once is refused."""
    if value is not None and alias is not None:
        raise ConfigError(f"Give the {what} once: {flag} ({value:g}) or its older name {alias_flag} ({alias:g}). "
                          "Got both.")
    return value if value is not None else alias


def one_budget(flops: float | None, alias: float | None, alias_flag: str) -> float | None:
    """The compute budget from ``--flops`` or its older name ``alias_flag``; both at once is refused."""
    return one_of_names(flops, alias, "--flops", alias_flag, "compute budget")


#: help of ``--n-bootstrap``, the one name of the number of bootstrap refits (``n_bootstrap=`` in Python)
N_BOOTSTRAP_FLAG = "--n-bootstrap"
#: most bootstrap refits a command draws: each is a full fit, so more would run for days (and the resampling
#: indices alone would not fit in memory); the intervals stop changing long before
MAX_N_BOOTSTRAP = 100_000


def n_bootstrap_option(help: str) -> Any:
    """The ``--n-bootstrap`` option: a whole number from 0 to :data:`MAX_N_BOOTSTRAP`."""
    return typer.Option(N_BOOTSTRAP_FLAG, parser=whole(N_BOOTSTRAP_FLAG, maximum=MAX_N_BOOTSTRAP), metavar="N",
                        help=help)


def one_n_bootstrap(n: int | None, alias: int | None) -> int | None:
    """The bootstrap count from ``--n-bootstrap`` or its older name ``--bootstrap``; both at once is refused."""
    return one_of_names(n, alias, N_BOOTSTRAP_FLAG, "--bootstrap", "number of bootstrap refits")


def not_identified(fit: Any) -> None:
    """One red line per reason when the curves do not identify the law (said wherever the fit is used)."""
    for reason in fit.reasons:
        err_console.print(f"[bold red]NOT IDENTIFIED:[/] {escape(reason)}; its curve and bands are those of a "
                          "degenerate form (fit more, or more varied, schedules)", highlight=False, soft_wrap=True)
