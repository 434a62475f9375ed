"""The ``scalinglab`` command line: a thin layer over the library.

Library errors become one red line on stderr and exit code 1; usage errors (bad flags, non-numeric
values) one line and exit code 2. Never a traceback.
"""

from __future__ import annotations

import sys

import click
import typer

from ..errors import ScalingLabError
from ._common import err_console

app = typer.Typer(
    name="scalinglab",
    help="Scaling laws of language models turned into training decisions.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


def _register() -> None:
    # Sub-commands live in their own modules; importing them registers them on `app`.
    from . import laws_cmd, models_cmd, plan_cmd, demo_cmd  # noqa: F401


_register()


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``scalinglab`` script."""
    try:
        app(args=argv, standalone_mode=False)
    except ScalingLabError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
        sys.exit(1)
    except click.exceptions.Abort:
        err_console.print("[red]aborted[/]")
        sys.exit(130)
    except click.exceptions.ClickException as exc:
        err_console.print(f"[bold red]error:[/] {exc.format_message()}", highlight=False)
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
