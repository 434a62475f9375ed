"""``scalinglab fit``: where the runs come from (a runs file, a bundled dataset or a lab store), which columns
are read, and the filters applied before the fit."""

from __future__ import annotations

from typing import Any

from rich.markup import escape

from ..datasets import get_dataset, load_dataset
from ..errors import ConfigError
from ..fit import drop_highest_loss, load_runs, runs_from_store
from ..laws.registry import get_family
from ._common import err_console

__all__ = ["read_runs", "fit_needs"]

#: how each variable is named in the line that says which columns were read
_SYMBOL = {"n_params": "N", "n_tokens": "D", "flops": "C", "loss": "loss", "unique_tokens": "unique tokens"}


def where_pairs(items: list[str]) -> dict[str, str]:
    """``--where COL=VALUE`` options as a mapping."""
    out = {}
    for item in items:
        if "=" not in item:
            raise ConfigError(f"The '--where' option must look like COL=VALUE. Got {item!r}.")
        k, v = item.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def fit_needs(approach: str, family: str) -> set[str]:
    """The variables of each run a fit reads: the family's (and unique tokens where it needs them) for the
    parametric approach, N and C for IsoFLOP profiles, N for the envelope of training curves."""
    if approach == "isoflop":
        return {"n_params", "flops"}
    if approach == "envelope":
        return {"n_params"}
    fam = get_family(family)
    return set(fam.variables) | ({"unique_tokens"} if fam.needs_unique else set())


def _source_count(path: str | None, dataset: str | None, store: str | None) -> None:
    given = [f"{what} {v!r}" for what, v in (("PATH", path), ("--dataset", dataset), ("--store", store)) if v]
    if len(given) == 1:
        return
    if dataset is not None:
        raise ConfigError(f"The '--dataset' option names the runs to fit, so it takes no runs file PATH or "
                          f"--store. Got {' with '.join(given)}.")
    raise ConfigError("The fit needs exactly one source: a runs file PATH, --dataset NAME or --store. Got "
                      f"{'both' if given else 'neither'}.")


def read_runs(path: str | None, store: str | None, dataset: str | None, columns: dict[str, str | None], *,
              sweep: str | None, by: str | None, approach: str, family: str, where: list[str] | None,
              drop_dups: bool, drop_highest: int):
    """``(runs, holdout, budgets)`` from the runs file, the bundled dataset or the lab store, less the
    ``drop_highest`` worst. A file's columns not named are found by their common names (and said so on stderr)."""
    _source_count(path, dataset, store)
    holdout, budgets = None, None
    if store is not None:
        if by is not None:
            raise ConfigError(f"The '--by' option needs a runs file with that column; a lab store has no group "
                              f"columns. Got --by {by!r} with --store.")
        src = runs_from_store(store, sweep=sweep, checkpoints=approach == "envelope")
        runs, holdout, budgets = src.fit, src.holdout, src.budgets
    else:
        if sweep is not None:
            raise ConfigError(f"The '--sweep' option chooses a sweep of a lab store, so it needs --store. Got "
                              f"--sweep {sweep!r} without it.")
        kw: dict[str, Any] = dict(where=where_pairs(where or []), group_cols=(by,) if by else (),
                                  duplicates="drop" if drop_dups else "error")
        if dataset is not None:
            runs = load_dataset(dataset, **columns, **kw)
        else:
            runs = load_runs(path, **columns, **kw, needs=fit_needs(approach, family))  # type: ignore[arg-type]
        _say_columns(runs, dataset, by)
    if drop_highest:
        runs = drop_highest_loss(runs, drop_highest)
    return runs, holdout, budgets


def _say_columns(runs, dataset: str | None, by: str | None) -> None:
    """One dim line on stderr: which column is N, D, C, loss (found by name, or the dataset's), and for a
    dataset whose runs fall into configurations, the ``--by`` that fits each."""
    cols = runs.source.get("columns", {})
    detected = runs.source.get("detected", {})
    if dataset is None and not detected:
        return
    shown = ", ".join(f"{_SYMBOL[v]} = {cols[v]}" for v in _SYMBOL if cols.get(v))
    if dataset is not None:
        ds = get_dataset(dataset)
        line = f"dataset {dataset} ({ds.citation.authors} {ds.citation.year}, {ds.licence}): {shown}"
        if ds.by and by is None:
            line += f"; its runs fall into {ds.by} groups: --by {ds.by} fits each"
    else:
        line = (f"columns found by name: {shown} (--n-params-col, --n-tokens-col, --flops-col, --loss-col choose "
                "others)")
    err_console.print(f"[dim]{escape(line)}[/]", highlight=False, soft_wrap=True)
