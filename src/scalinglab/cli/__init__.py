"""The ``scalinglab`` command line: a thin layer over the library.

Library errors become one red line on stderr and exit code 1; usage errors (bad flags, non-numeric
values) one line and exit code 2; any other exception (a bug) one line "internal error" and exit code 70
(EX_SOFTWARE), with the traceback only when ``SCALINGLAB_DEBUG`` is set; Ctrl-C one line and exit code 130.
Never a traceback otherwise.
"""

from __future__ import annotations

import importlib
import os
import sys
import warnings
from typing import Annotated

import typer
from rich.markup import escape

try:  # typer >= 0.25 vendors click
    from typer._click.exceptions import ClickException
except ImportError:  # pragma: no cover - older typer depends on click
    from click.exceptions import ClickException  # type: ignore[no-redef]

from .._version import __version__
from ..errors import ScalingLabError
from ._common import err_console

#: the program name in usage lines and shell completion, however the CLI was started (``python -m scalinglab``)
PROG = "scalinglab"
#: environment variable through which a shell's completion script asks for completions (typer/click protocol)
COMPLETE_ENV = "_SCALINGLAB_COMPLETE"

app = typer.Typer(
    name="scalinglab",
    help="Scaling laws of language models turned into training decisions.",
    no_args_is_help=True,
    add_completion=True,  # --install-completion, --show-completion
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"{PROG} {__version__}")
        raise typer.Exit()


@app.callback()
def _group(version: Annotated[bool, typer.Option("--version", "-V", is_eager=True, callback=_print_version,
                                                 help="Print the version and exit.")] = False) -> None:
    # a callback keeps `app` a group of sub-commands even when main() has registered only one
    pass


#: each sub-command and the module that registers it on :data:`app` (in the order of the help listing)
COMMANDS: dict[str, str] = {
    "laws": "laws_cmd", "models": "models_cmd", "plan": "plan_cmd", "gpus": "hardware_cmd", "demo": "demo_cmd",
    "fit": "fit_cmd", "datasets": "datasets_cmd", "report": "report_cmd", "track": "track_cmd", "curves": "curves_cmd", "lab": "lab_cmd",
    "downstream": "downstream_cmd", "compare": "compare_cmd",
    "fit-hparams": "hparams_cmd",
    "next-runs": "next_runs_cmd",
    "page": "page_cmd",
}


def register(*names: str) -> typer.Typer:
    """Register the sub-commands ``names`` (every one when none) on :data:`app` and return it.

    Importing a command's module registers it, and the module imports what its command uses (fit, the
    lab, the store, torch ...), so :func:`main` registers only the command it runs: start-up imports only
    what that command uses. Use ``register()`` before handing :data:`app` itself to a runner.
    """
    for name in names or tuple(COMMANDS):
        importlib.import_module(f"{__name__}.{COMMANDS[name]}")
    return app


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    # one yellow line per warning (FitWarning, ProfileWarning, ...), no source echo
    err_console.print(f"[yellow]warning ({category.__name__}):[/] {escape(str(message))}", highlight=False,
                      soft_wrap=True)


#: exit code of an exception scalinglab did not raise on purpose (sysexits.h EX_SOFTWARE)
EXIT_INTERNAL = 70
#: environment variable that lets an internal error's traceback through
DEBUG_ENV = "SCALINGLAB_DEBUG"


def _error(message: str, code: int) -> None:
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    sys.exit(code)


def _register_for(args: list[str]) -> None:
    # `scalinglab plan ...` needs only `plan`; --version none; anything else (--help, no or an unknown command,
    # and a shell asking for completions, whose words are not in args) lists them all
    if os.environ.get(COMPLETE_ENV):
        register()
    elif args[:1] in (["--version"], ["-V"]):
        return
    else:
        register(*(args[:1] if args and args[0] in COMMANDS else ()))


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``scalinglab`` script."""
    warnings.showwarning = _show_warning
    args = sys.argv[1:] if argv is None else list(argv)
    try:
        _register_for(args)
        rv = app(args=args, prog_name=PROG, standalone_mode=False)
    except ScalingLabError as exc:
        _error(str(exc), 1)
    except (typer.Abort, KeyboardInterrupt):
        err_console.print("[red]aborted[/]")
        sys.exit(130)
    except ClickException as exc:
        if exc.exit_code == 0:  # e.g. help shown for a bare group
            sys.exit(0)
        _error(exc.format_message(), exc.exit_code)
    except Exception as exc:  # a bug: one line, not a traceback, unless asked for
        if os.environ.get(DEBUG_ENV):
            raise
        text = " ".join(str(exc).split())  # one line, however the exception formats itself
        text = text if len(text) <= 300 else text[:300] + " …"
        _error(f"internal error ({type(exc).__name__}): {text} — please report; set {DEBUG_ENV}=1 for the "
               "traceback", EXIT_INTERNAL)
    if rv == 130:  # typer turns Ctrl-C inside a command into exit code 130, silently
        err_console.print("[red]aborted[/]")
    if isinstance(rv, int) and rv:
        sys.exit(rv)
