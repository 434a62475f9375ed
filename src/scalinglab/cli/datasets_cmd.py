"""``scalinglab datasets``: the bundled tables of published runs, their licences, citations and fit commands."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from ..datasets import DATASETS, get_dataset
from ..errors import ConfigError
from . import app
from ._common import console, print_json


@app.command("datasets")
def datasets_command(
    name: Annotated[str | None, typer.Argument(help="One dataset: its files, columns and provenance.")] = None,
    path: Annotated[bool, typer.Option("--path", help="With NAME: print only the path of its CSV file "
                                       "(to copy it, or to fit it as a file).")] = False,
    json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List the bundled run tables (name, rows, licence, citation, a fit command), or show one."""
    if path and name is None:
        raise ConfigError("The '--path' option needs a dataset NAME (see `scalinglab datasets`). Got --path alone.")
    if path and json:
        raise ConfigError("The '--path' option prints a bare path, so it takes no --json (which prints the path "
                          "with the rest). Got both.")
    if name is not None:
        ds = get_dataset(name)
        if path:
            typer.echo(str(ds.path))
        elif json:
            print_json(ds.as_dict())
        else:
            _show(ds.as_dict())
        return
    if json:
        print_json([ds.as_dict() for ds in DATASETS.values()])
        return
    table = Table(title="Bundled run tables (scalinglab datasets NAME for files and columns)")
    for col in ("name", "rows", "licence", "citation", "fit it"):
        table.add_column(col, overflow="fold")
    for ds in DATASETS.values():
        c = ds.citation
        table.add_row(ds.name, f"{ds.rows:,}", ds.licence, escape(f"{c.authors} {c.year}, arXiv:{c.arxiv}"),
                      escape(ds.command()))
    console.print(table)


def _show(d: dict) -> None:
    console.print(f"[bold]{d['name']}[/]: {escape(d['description'])}", soft_wrap=True, highlight=False)
    rows = [("rows", f"{d['rows']:,}"), ("cite", d["citation"]), ("licence", f"{d['licence']}, {d['copyright']}"),
            ("source", f"{d['source']} at commit {d['commit']}"), ("changes", d["changes"]),
            ("file", d["path"]), ("licence file", d["licence_file"]), ("provenance", d["source_file"]),
            ("columns", ", ".join(f"{k.removesuffix('_col')} = {v}" for k, v in d["columns"].items())),
            ("groups", ", ".join(d["groups"]) or "none"), ("fit it", d["command"])]
    for k, v in rows:
        console.print(f"  [dim]{k}:[/] {escape(v)}", soft_wrap=True, highlight=False)
