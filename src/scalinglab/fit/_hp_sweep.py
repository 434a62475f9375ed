"""A learning-rate × batch-size sweep: runs with lr, batch, N, D and final loss, grouped by (N, D).

Read from any runs file :func:`~scalinglab.fit._readers.read_table` reads, or from arrays; every check happens
here, each failure one line naming the column (or parameter), the row, the rule and the value. A loss that is
NaN or infinite marks a run that diverged: it is counted and kept out of every fit, never a silent NaN.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ConfigError, DataError
from ._columns import COLUMN_NAMES, _key
from ._readers import Table, _names, _plain, excerpt, read_table

__all__ = ["Sweep", "load_sweep", "sweep_from_arrays", "HP_COLUMN_NAMES", "BATCH_UNITS"]

#: the common names of each column a sweep needs, compared as :func:`~scalinglab.fit._columns._key` turns them
HP_COLUMN_NAMES: dict[str, tuple[str, ...]] = {
    "lr": ("lr", "learning_rate", "peak_lr", "max_lr", "lr_max", "eta"),
    "batch": ("bs", "batch", "batch_size", "global_batch_size", "global_batch"),
    "n_params": COLUMN_NAMES["n_params"], "n_tokens": COLUMN_NAMES["n_tokens"], "loss": COLUMN_NAMES["loss"],
}
#: what a batch column counts: sequences per step (times the context gives tokens) or tokens per step
BATCH_UNITS = ("sequences", "tokens")
_OPTION = {"lr": "--lr-col", "batch": "--batch-col", "n_params": "--n-params-col", "n_tokens": "--n-tokens-col",
           "loss": "--loss-col"}


@dataclass(frozen=True, eq=False)
class Sweep:
    """Runs of a sweep; ``group[i]`` is run ``i``'s (N, D, labels) group, described by ``groups[group[i]]``."""

    n_params: np.ndarray
    n_tokens: np.ndarray
    lr: np.ndarray
    batch_tokens: np.ndarray
    loss: np.ndarray  # +inf where the run diverged
    group: np.ndarray
    groups: tuple[dict[str, Any], ...]  # {"n_params", "n_tokens", "labels"}
    context: int | None = None
    source: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.lr)

    def where(self, g: int) -> str:
        """Group ``g`` for a message: ``N=2.15e+08, D=4e+09`` (and its labels)."""
        k = self.groups[g]
        labels = "".join(f", {c}={v}" for c, v in k["labels"].items())
        return f"N={k['n_params']:.3g}, D={k['n_tokens']:.3g}{labels}"


def _check_context(context: Any, batch_unit: str) -> int | None:
    if batch_unit not in BATCH_UNITS:
        raise ConfigError(f"The 'batch_unit' parameter must be one of {', '.join(BATCH_UNITS)}. Got {batch_unit!r}.")
    if batch_unit == "tokens":
        if context is not None:
            raise ConfigError(f"The 'context' parameter has no use when the batch is counted in tokens "
                              f"(batch_unit='tokens'). Got {context!r}.")
        return None
    if context is None:
        raise ConfigError("The 'context' parameter must be given when the batch counts sequences (tokens per "
                          "sequence, to turn the batch into tokens), or set batch_unit='tokens'. Got none.")
    if isinstance(context, bool) or not isinstance(context, (int, np.integer)) or context < 1:
        raise ConfigError(f"The 'context' parameter must be a whole number of tokens >= 1. Got {context!r}.")
    return int(context)


def _batch_count(value: float, where: str, unit: str) -> float:
    if value != math.floor(value):
        raise DataError(f"{where} must be a whole number of {unit} (a batch is a count >= 1). Got {value:g}.")
    return value


def _loss(value: Any, where: str) -> float:
    """A final loss: finite and > 0, or NaN / ±inf for a run that diverged (then +inf)."""
    if isinstance(value, (bool, np.bool_)) or value is None or (isinstance(value, str) and not value.strip()):
        raise DataError(f"{where} must be a number (NaN or inf for a run that diverged). Got {excerpt(value)}.")
    try:
        x = float(value)
    except OverflowError:
        return math.inf
    except (TypeError, ValueError):
        raise DataError(f"{where} must be numeric (NaN or inf for a run that diverged). Got {excerpt(value)}.") \
            from None
    if not math.isfinite(x):
        return math.inf
    if x <= 0:
        raise DataError(f"{where} must be > 0 (NaN or inf for a run that diverged). Got {excerpt(value)}.")
    return x


def _find(table: Table, var: str, given: str | None) -> str:
    if given is not None:
        table.require(given)
        return given
    hits = [c for c in table.columns if _key(c) in HP_COLUMN_NAMES[var]]
    if len(hits) == 1:
        return hits[0]
    if hits:
        raise DataError(f"The sweep file {table.name} must have one column of {var} to pick by name. Got "
                        f"{len(hits)}: {', '.join(_plain(h) for h in hits)}; choose one with {_OPTION[var]}.")
    raise DataError(f"The sweep file {table.name} must have a column of {var}: give {_OPTION[var]} or name the "
                    f"column one of {', '.join(HP_COLUMN_NAMES[var])} (any case). Got columns: "
                    f"{_names(table.columns)}.")


def load_sweep(path: str | Path, *, context: int | None = None, batch_unit: str = "sequences",
               lr_col: str | None = None, batch_col: str | None = None, loss_col: str | None = None,
               n_params_col: str | None = None, n_tokens_col: str | None = None, group_cols: Sequence[str] = (),
               where: dict[str, Any] | None = None) -> Sweep:
    """The sweep in a runs file (CSV, TSV, JSONL, JSON or Parquet); columns not named are found by their common
    names (:data:`HP_COLUMN_NAMES`). ``group_cols`` split runs of the same (N, D) apart (e.g. MoE
    configurations of one total size); ``where`` keeps rows whose column equals the value (as text)."""
    context = _check_context(context, batch_unit)
    path = Path(path)
    table = read_table(path)
    cols = {var: _find(table, var, given) for var, given in (("lr", lr_col), ("batch", batch_col),
                                                             ("n_params", n_params_col), ("n_tokens", n_tokens_col),
                                                             ("loss", loss_col))}
    where = dict(where or {})
    for c in (*group_cols, *where):
        table.require(c)
    keep = [i for i in range(len(table.rows)) if table.matches(i, where)]
    if not keep:
        raise DataError(f"The 'where' filter must leave at least one row. Got {where!r} matching none of "
                        f"{len(table.rows)} rows.")
    num = {var: np.array([table.number(i, cols[var]) for i in keep]) for var in ("lr", "batch", "n_params",
                                                                               "n_tokens")}
    unit = "sequences" if batch_unit == "sequences" else "tokens"
    for j, i in enumerate(keep):
        _batch_count(num["batch"][j], f"Column {cols['batch']!r} {table.at(i)}", unit)
    loss = np.array([_loss(table._cell(i, cols["loss"]), f"Column {cols['loss']!r} {table.at(i)}") for i in keep])
    labels = [{c: table.label(i, c) for c in group_cols} for i in keep]
    source = {"path": str(path), "sha256": table.sha256, "columns": cols, "group_cols": list(group_cols),
              "filters": [f"where {k} == {v!r}" for k, v in where.items()], "batch_unit": batch_unit,
              "context": context}
    return _build(num["n_params"], num["n_tokens"], num["lr"], num["batch"], loss, labels, context, source)


def sweep_from_arrays(n_params: Any, n_tokens: Any, lr: Any, batch: Any, loss: Any, *, context: int | None = None,
                      batch_unit: str = "sequences", labels: Sequence[dict[str, str]] | None = None) -> Sweep:
    """A sweep from arrays (one element per run), checked as a file's cells are; NaN or inf loss: diverged."""
    context = _check_context(context, batch_unit)
    arrays = {}
    for name, value in (("n_params", n_params), ("n_tokens", n_tokens), ("lr", lr), ("batch", batch)):
        a = np.atleast_1d(np.asarray(value, dtype=float))
        bad = ~np.isfinite(a) | (a <= 0)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise DataError(f"The {name!r} of run {i + 1} must be finite and > 0. Got {a[i]:g}.")
        arrays[name] = a
    sizes = {len(a) for a in arrays.values()} | {len(np.atleast_1d(loss))}
    if len(sizes) != 1:
        raise DataError(f"The sweep's arrays must have one element per run. Got lengths {sorted(sizes)}.")
    unit = "sequences" if batch_unit == "sequences" else "tokens"
    for i, b in enumerate(arrays["batch"]):
        _batch_count(b, f"The 'batch' of run {i + 1}", unit)
    losses = np.array([_loss(v, f"The 'loss' of run {i + 1}") for i, v in enumerate(np.atleast_1d(loss))])
    labs = [dict(x) for x in labels] if labels is not None else [{} for _ in losses]
    return _build(arrays["n_params"], arrays["n_tokens"], arrays["lr"], arrays["batch"], losses, labs, context,
                  {"batch_unit": batch_unit, "context": context})


def _build(n: np.ndarray, d: np.ndarray, lr: np.ndarray, batch: np.ndarray, loss: np.ndarray,
           labels: list[dict[str, str]], context: int | None, source: dict[str, Any]) -> Sweep:
    keys: dict[tuple, int] = {}
    group = np.empty(len(lr), dtype=np.int64)
    described: list[dict[str, Any]] = []
    for i, (ni, di, lab) in enumerate(zip(n, d, labels)):
        key = (ni, di, tuple(sorted(lab.items())))
        if key not in keys:
            keys[key] = len(described)
            described.append({"n_params": float(ni), "n_tokens": float(di), "labels": dict(lab)})
        group[i] = keys[key]
    tokens = batch * context if context is not None else batch
    return Sweep(n, d, lr, tokens, loss, group, tuple(described), context, source)
