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


def renamed(old: str, new: str) -> Any:
    """A hidden option ``old`` kept so that scripts written before it became ``new`` still run."""
    return typer.Option(old, parser=quantity(new.lstrip("-")), hidden=True, help=f"Older name of {new}.")


def one_budget(flops: float | None, alias: float | None, alias_flag: str) -> float | None:
    """The compute budget from ``--flops`` or its older name ``alias_flag``; both at once is refused."""
    if flops is not None and alias is not None:
        raise ConfigError(f"Give the compute budget once: --flops ({flops:.3g}) or its older name {alias_flag} "
                          f"({alias:.3g}). Got both.")
    return flops if flops is not None else alias
