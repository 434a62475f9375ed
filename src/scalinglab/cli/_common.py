"""Shared CLI plumbing: the console, quantity options, JSON output."""

from __future__ import annotations

import json
import math
from typing import Any

import typer
from rich.console import Console

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
    as 5.76e23, or with ``count`` a whole number)."""
    if count:
        return typer.Option(old, hidden=True, help=f"Older name of {new}.")
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


def one_n_bootstrap(n: int | None, alias: int | None) -> int | None:
    """The bootstrap count from ``--n-bootstrap`` or its older name ``--bootstrap``; both at once is refused."""
    return one_of_names(n, alias, N_BOOTSTRAP_FLAG, "--bootstrap", "number of bootstrap refits")
