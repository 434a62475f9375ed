"""Training runs to fit: loading (CSV, TSV, JSONL, JSON, Parquet; parsed by :mod:`._readers`), validation,
and the filters the papers apply.

Every error names the column, the 1-based data row, the rule and the value, e.g.
``Column 'loss' row 17 must be finite and > 0. Got nan.``
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from .._validate import check_choice
from ..errors import ConfigError, DataError
from ..flops import tokens_for_flops, training_flops
from ._readers import Table, read_table

__all__ = ["Runs", "load_runs", "drop_highest_loss", "select_groups", "split_groups", "file_sha256"]


@dataclass(frozen=True, eq=False)
class Runs:
    """Final (or checkpoint) losses of training runs: one row per observation.

    ``n_params`` N, ``n_tokens`` D and ``loss`` (nats/token) are float arrays of equal length. ``run_id``
    groups checkpoints of one run (the bootstrap resamples whole runs); ``tokens_seen`` is the checkpoint
    position; ``groups`` maps a label column to its values (dataset, condition, ...).
    """

    n_params: np.ndarray
    n_tokens: np.ndarray
    loss: np.ndarray
    run_id: np.ndarray | None = None
    tokens_seen: np.ndarray | None = None
    groups: dict[str, np.ndarray] = field(default_factory=dict)
    source: dict[str, Any] = field(default_factory=dict)  # path, sha256, columns, filters (provenance)
    unique_tokens: np.ndarray | None = None  # distinct tokens each run drew from (data-constrained laws)

    def __post_init__(self) -> None:
        n = len(self.loss)
        for name in ("n_params", "n_tokens"):
            if len(getattr(self, name)) != n:
                raise DataError(f"The '{name}' array must have the length of 'loss' ({n}). "
                                f"Got {len(getattr(self, name))}.")

    def __len__(self) -> int:
        return len(self.loss)

    @property
    def flops(self) -> np.ndarray:
        """Training compute ``C = 6·N·D`` (Kaplan et al. 2020, §2.1)."""
        return training_flops(self.n_params, self.n_tokens)

    def subset(self, index: np.ndarray, note: str | None = None) -> Runs:
        """Rows ``index`` (boolean mask or integer indices); ``note`` is appended to the filter history."""
        def pick(a):
            return None if a is None else np.asarray(a)[index]

        source = dict(self.source)
        if note:
            source["filters"] = [*source.get("filters", []), note]
        return replace(self, n_params=self.n_params[index], n_tokens=self.n_tokens[index],
                       loss=self.loss[index], run_id=pick(self.run_id), tokens_seen=pick(self.tokens_seen),
                       unique_tokens=pick(self.unique_tokens), groups={k: v[index] for k, v in self.groups.items()}, source=source)

    @classmethod
    def from_arrays(cls, n_params: Any, n_tokens: Any, loss: Any, **kw: Any) -> Runs:
        """Validated :class:`Runs` from array-likes (names in errors are the argument names)."""
        cols = {"n_params": n_params, "n_tokens": n_tokens, "loss": loss}
        arrays = {k: _positive_column(k, np.asarray(v, dtype=float)) for k, v in cols.items()}
        if kw.get("unique_tokens") is not None:
            kw["unique_tokens"] = _positive_column("unique_tokens", np.asarray(kw["unique_tokens"], dtype=float))
        runs = cls(**arrays, **kw)
        _check_duplicates(runs, ("n_params", "n_tokens", "loss"))
        return runs


def _positive_column(name: str, values: np.ndarray) -> np.ndarray:
    bad = ~np.isfinite(values) | (values <= 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(f"Column {name!r} row {i + 1} must be finite and > 0. Got {float(values[i])!r}.")
    return values


def _duplicate_keys(runs: Runs) -> np.ndarray:
    keys = np.column_stack([runs.n_params, runs.n_tokens, runs.loss])
    if runs.run_id is not None:
        keys = np.column_stack([keys, np.unique(runs.run_id, return_inverse=True)[1]])
    return keys


def drop_duplicates(runs: Runs) -> Runs:
    """Keep the first of rows that repeat the same (N, D, loss[, run]); the drop is recorded in provenance."""
    _, first = np.unique(_duplicate_keys(runs), axis=0, return_index=True)
    if len(first) == len(runs):
        return runs
    return runs.subset(np.sort(first), note=f"drop_duplicates({len(runs) - len(first)} rows)")


def _check_duplicates(runs: Runs, names: Sequence[str], rows: np.ndarray | None = None) -> None:
    """Refuse repeated rows, citing ``rows`` (their numbers in the file; default 1, 2, ...)."""
    keys = _duplicate_keys(runs)
    _, first, counts = np.unique(keys, axis=0, return_index=True, return_counts=True)
    if (counts > 1).any():
        row = keys[first[counts > 1][0]]
        dup = np.flatnonzero((keys == row).all(axis=1))
        raise DataError(
            f"Rows must not repeat the same ({', '.join(names)}). Got duplicate rows "
            f"{', '.join(str(i + 1 if rows is None else rows[i]) for i in dup[:5])} "
            f"with values {tuple(float(v) for v in row[:3])}."
        )


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def load_runs(
    path: str | Path,
    *,
    n_params_col: str,
    loss_col: str,
    n_tokens_col: str | None = None,
    flops_col: str | None = None,
    run_col: str | None = None,
    tokens_seen_col: str | None = None,
    unique_tokens_col: str | None = None,
    group_cols: Sequence[str] = (),
    where: dict[str, Any] | None = None,
    duplicates: str = "error",
) -> Runs:
    """Read runs from a file, by its extension: ``.csv`` (any unknown extension too) or ``.tsv`` with a
    header row, ``.jsonl``/``.ndjson`` (one JSON object per line), ``.json`` (an array of objects) or
    ``.parquet``/``.pq`` (needs ``scalinglab[data]``). Text must be UTF-8 (a byte-order mark is dropped).

    Give ``n_tokens_col``, or ``flops_col`` alone, in which case ``D = C/(6N)`` (as Epoch do for the
    Chinchilla data). ``where`` keeps rows whose column equals the value (compared as text).
    Rows are numbered from 1 over the data rows of the file, before filtering (the line is added where it
    differs). Numbers must be finite and > 0; booleans, nulls and empty cells are refused, as are files
    that are empty, compressed, ragged or not of their extension's format: always one :class:`DataError`.
    Rows repeating the same (N, D, loss) are an error (``duplicates="error"``, naming them) or dropped
    (``"drop"``, recorded).
    """
    if (n_tokens_col is None) == (flops_col is None):
        raise ConfigError("Exactly one of 'n_tokens_col' and 'flops_col' must be given. "
                          f"Got n_tokens_col={n_tokens_col!r}, flops_col={flops_col!r}.")
    path = Path(path)
    table = read_table(path)
    where = dict(where or {})
    for c in (n_params_col, loss_col, n_tokens_col, flops_col, run_col, tokens_seen_col, unique_tokens_col,
              *group_cols, *where):
        if c is not None:
            table.require(c)
    keep = [i for i in range(len(table.rows)) if table.matches(i, where)]
    if not keep:
        raise DataError(f"The 'where' filter must leave at least one row. Got {where!r} matching none "
                        f"of {len(table.rows)} rows.")

    def numbers(col: str | None) -> np.ndarray | None:
        return None if col is None else np.array([table.number(i, col) for i in keep])

    n, loss, d = numbers(n_params_col), numbers(loss_col), numbers(n_tokens_col)
    seen, unique = numbers(tokens_seen_col), numbers(unique_tokens_col)
    if d is None:
        d = _tokens_from_flops(table, keep, n, numbers(flops_col), flops_col, n_params_col)
    run_id = np.array([table.label(i, run_col) for i in keep]) if run_col else None
    groups = {c: np.array([table.label(i, c) for i in keep]) for c in group_cols}
    source = {
        "path": str(path), "sha256": table.sha256,
        "columns": {"n_params": n_params_col, "n_tokens": n_tokens_col, "flops": flops_col, "loss": loss_col,
                    "run": run_col, "tokens_seen": tokens_seen_col, "unique_tokens": unique_tokens_col,
                    "groups": list(group_cols)},
        "filters": [f"where {k} == {v!r}" for k, v in where.items()],
    }
    runs = Runs(n, d, loss, run_id, seen, groups, source, unique)
    if duplicates == "drop":
        return drop_duplicates(runs)
    check_choice("duplicates", duplicates, ("error", "drop"))
    names = (n_params_col, n_tokens_col or f"{flops_col}/(6·{n_params_col})", loss_col)
    _check_duplicates(runs, names, rows=np.array(keep) + 1)
    return runs


def _tokens_from_flops(table: Table, keep: list[int], n: np.ndarray, flops: np.ndarray, flops_col: str,
                       n_params_col: str) -> np.ndarray:
    """``D = C/(6N)``, refusing rows where the quotient leaves float range (each of C, N being finite)."""
    with np.errstate(over="ignore", under="ignore"):
        d = tokens_for_flops(n, flops)
    d = np.atleast_1d(np.asarray(d, dtype=float))
    bad = ~np.isfinite(d) | (d <= 0)
    if bad.any():
        j = int(np.flatnonzero(bad)[0])
        raise DataError(f"Column {flops_col!r} {table.at(keep[j])} must give tokens D = C/(6N) that are "
                        f"finite and > 0. Got D = {d[j]:g} from C = {flops[j]:g}, N = {n[j]:g} "
                        f"({n_params_col!r}).")
    return d


def drop_highest_loss(runs: Runs, k: int) -> Runs:
    """Drop the ``k`` highest-loss rows (Besiroglu et al. 2024 drop 5 of Chinchilla's 245 → 240)."""
    if not isinstance(k, (int, np.integer)) or k < 0 or k >= len(runs):
        raise ConfigError(f"The 'k' parameter must be an integer in [0, {len(runs) - 1}]. Got {k!r}.")
    if k == 0:
        return runs
    order = np.argsort(runs.loss, kind="stable")
    keep = np.sort(order[: len(runs) - k])
    return runs.subset(keep, note=f"drop_highest_loss({k})")


def select_groups(runs: Runs, **labels: str) -> Runs:
    """Keep rows whose group columns equal the given labels, e.g. ``select_groups(runs, dataset="c4")``."""
    mask = np.ones(len(runs), dtype=bool)
    for col, value in labels.items():
        if col not in runs.groups:
            raise ConfigError(f"The group column {col!r} must be one of the loaded group columns "
                              f"({', '.join(runs.groups) or 'none'}). Got {col!r}.")
        mask &= runs.groups[col] == str(value)
    if not mask.any():
        raise DataError(f"The group filter must leave at least one row. Got {labels!r} matching none.")
    note = ", ".join(f"{k} == {v!r}" for k, v in labels.items())
    return runs.subset(np.flatnonzero(mask), note=f"select {note}")


def split_groups(runs: Runs, col: str) -> dict[str, Runs]:
    """One :class:`Runs` per value of the group column ``col``, in order of first appearance (to fit each
    dataset or configuration on its own). Each part's provenance records its filter."""
    if col not in runs.groups:
        raise ConfigError(f"The group column {col!r} must be one of the loaded group columns "
                          f"({', '.join(runs.groups) or 'none'}). Got {col!r}.")
    labels = runs.groups[col]
    _, first = np.unique(labels, return_index=True)
    return {str(labels[i]): runs.subset(np.flatnonzero(labels == labels[i]),
                                        note=f"select {col} == {str(labels[i])!r}")
            for i in np.sort(first)}
