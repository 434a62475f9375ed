"""``scalinglab compare``: what each side's source is (a runs file, a lab store and its sweep, a bundled dataset,
or a saved fit) and the group of it a side keeps."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..datasets import DATASETS, get_dataset, load_dataset
from ..errors import ConfigError, DataError
from ..fit import Runs, StoreRuns, load_runs, runs_from_store, split_groups
from ..laws.fitted import FittedLaw
from ..laws.io import load_fitted
from ._fit_read import where_pairs

__all__ = ["Source", "resolve_source", "split_source", "source_kind", "dataset_family"]

#: the first bytes of every SQLite database file
_SQLITE_MAGIC = b"SQLite format 3\x00"
#: what a comparison reads of each run: N and D (D may come from C = 6ND)
NEEDS = {"n_params", "n_tokens"}


@dataclass(frozen=True)
class Source:
    """One side: the runs (or store runs, or saved fit) and a name saying what they are."""

    side: Runs | StoreRuns | FittedLaw
    name: str
    dataset: str | None = None


def source_kind(spec: str) -> str:
    """``"store"``, ``"fit"`` (a saved law), ``"dataset"`` or ``"file"``; one line for a source that is none."""
    path = Path(spec)
    if path.is_file():
        try:
            with open(path, "rb") as fh:
                head = fh.read(len(_SQLITE_MAGIC))
        except OSError as exc:
            raise DataError(f"The source {spec!r} must be a readable file. Got: {exc.strerror}.") from None
        if head == _SQLITE_MAGIC:
            return "store"
        if path.suffix.lower() == ".json" and _is_law(path):
            return "fit"
        return "file"
    if spec in DATASETS:
        return "dataset"
    raise DataError(f"A source must be a runs file, a lab store, a saved fit (.json) or a bundled dataset "
                    f"({', '.join(DATASETS)}). Got {spec!r}: no such file or dataset.")


def _is_law(path: Path) -> bool:
    """A JSON document whose ``format`` is a scalinglab law (a runs file in JSON is an array of objects)."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return False  # the runs reader says what is wrong with it
    return isinstance(doc, dict) and str(doc.get("format", "")).startswith("scalinglab.")


def _where_text(where: dict[str, str]) -> str:
    return "" if not where else " [" + ", ".join(f"{k}={v}" for k, v in where.items()) + "]"


def _refuse(flag: str, kind: str, spec: str, why: str) -> ConfigError:
    return ConfigError(f"The '{flag}' option {why}; side source {spec!r} is a {kind}. Got {flag} for it.")


def resolve_source(spec: str, *, side: str, where: list[str], sweep: str | None, columns: dict[str, str | None],
                   group_col: str | None = None) -> Source:
    """The side ``side`` ("a" or "b") read from ``spec`` with its ``--<side>-where`` rows or ``--<side>-sweep``."""
    kind = source_kind(spec)
    pairs = where_pairs(where)
    if kind in ("store", "fit") and pairs:
        raise _refuse(f"--{side}-where", "lab store" if kind == "store" else "saved fit", spec,
                      "keeps rows of a runs file or dataset by a column's value" + (
                          " (a store's runs are chosen by --" + side + "-sweep)" if kind == "store" else ""))
    if kind != "store" and sweep is not None:
        raise _refuse(f"--{side}-sweep", {"fit": "saved fit", "dataset": "bundled dataset", "file": "runs file"}[kind],
                      spec, "chooses a sweep of a lab store")
    if kind == "store":
        src = runs_from_store(spec, sweep=sweep)
        return Source(src, f"{spec}" + (f" (sweep {sweep})" if sweep else " (all sweeps)"))
    if kind == "fit":
        fitted = load_fitted(spec)
        if len(fitted.samples) < 2:
            raise DataError(f"A saved fit compared as a side must carry bootstrap refits for its interval. Got "
                            f"{len(fitted.samples)} in {spec!r} (fit it again with --n-bootstrap 200 --out).")
        return Source(fitted, f"saved fit {spec}")
    kw: dict[str, Any] = {"where": pairs, "group_cols": (group_col,) if group_col else ()}
    if kind == "dataset":
        runs = load_dataset(spec, **columns, **kw)
        return Source(runs, spec + _where_text(pairs), spec)
    runs = load_runs(spec, **columns, **kw, needs=NEEDS)  # type: ignore[arg-type]
    return Source(runs, Path(spec).name + _where_text(pairs))


def split_source(spec: str, col: str, *, where: list[str], columns: dict[str, str | None]) -> list[Source]:
    """One side per value of column ``col`` of a runs file or dataset (``--split-by``)."""
    kind = source_kind(spec)
    if kind in ("store", "fit"):
        raise ConfigError(f"The '--split-by' option splits the rows of a runs file or dataset by a column; "
                          f"{spec!r} is a {'lab store' if kind == 'store' else 'saved fit'}. Got --split-by {col!r}.")
    whole = resolve_source(spec, side="a", where=where, sweep=None, columns=columns, group_col=col)
    assert isinstance(whole.side, Runs)
    return [Source(part, f"{col}={label}", whole.dataset) for label, part in split_groups(whole.side, col).items()]


def dataset_family(*sources: Source) -> str | None:
    """The law family of a bundled dataset among the sources, where it is not the default (chinchilla) and suits a
    comparison (``None`` otherwise: the default, which a comparison of IsoFLOP grids does not use)."""
    for s in sources:
        if s.dataset is not None:
            fam = get_dataset(s.dataset).family
            if fam in ("kaplan", "over-training"):
                return fam
    return None
