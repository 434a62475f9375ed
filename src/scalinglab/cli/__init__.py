"""The ``scalinglab`` command line: a thin layer over the library.

Library errors become one red line on stderr and exit code 1; usage errors (bad flags, non-numeric
values) one line and exit code 2. Never a traceback.
"""

from __future__ import annotations

import sys
import warnings

import typer
from rich.markup import escape

try:  # typer >= 0.25 vendors click
    from typer._click.exceptions import ClickException
except ImportError:  # pragma: no cover - older typer depends on click
    from click.exceptions import ClickException  # type: ignore[no-redef]

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
    from . import laws_cmd, models_cmd, plan_cmd, hardware_cmd, demo_cmd, fit_cmd, report_cmd, track_cmd, lab_cmd  # noqa: F401


_register()


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    # one yellow line per warning (FitWarning, ProfileWarning, ...), no source echo
    err_console.print(f"[yellow]warning ({category.__name__}):[/] {escape(str(message))}", highlight=False,
                      soft_wrap=True)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``scalinglab`` script."""
    warnings.showwarning = _show_warning
    try:
        rv = app(args=argv, standalone_mode=False)
    except ScalingLabError as exc:
        err_console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        sys.exit(1)
    except typer.Abort:
        err_console.print("[red]aborted[/]")
        sys.exit(130)
    except ClickException as exc:
        if exc.exit_code == 0:  # e.g. help shown for a bare group
            sys.exit(0)
        err_console.print(f"[bold red]error:[/] {escape(exc.format_message())}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    if isinstance(rv, int) and rv:
        sys.exit(rv)
