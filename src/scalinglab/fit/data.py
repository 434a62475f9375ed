"""Training runs to fit: loading (CSV, JSONL, Parquet), validation, and the filters the papers apply.

Every error names the column, the 1-based data row, the rule and the value, e.g.
``Column 'loss' row 17 must be finite and > 0. Got nan.``
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from .._validate import check_choice
from ..errors import ConfigError, DataError
from ..flops import tokens_for_flops, training_flops

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


def _check_duplicates(runs: Runs, names: Sequence[str]) -> None:
    keys = _duplicate_keys(runs)
    _, first, counts = np.unique(keys, axis=0, return_index=True, return_counts=True)
    if (counts > 1).any():
        row = keys[first[counts > 1][0]]
        dup = np.flatnonzero((keys == row).all(axis=1))
        raise DataError(
            f"Rows must not repeat the same ({', '.join(names)}). Got duplicate rows "
            f"{', '.join(str(i + 1) for i in dup[:5])} with values {tuple(float(v) for v in row[:3])}."
        )


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _read_table(path: Path) -> tuple[list[str], list[dict[str, Any]]]:
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        rows = []
        with open(path) as fh:
            for lineno, line in enumerate(fh, 1):
                if line.strip():
                    try:
                        rows.append(json.loads(line))
                    except json.JSONDecodeError as exc:
                        raise DataError(f"Line {lineno} of {str(path)!r} must be a JSON object ({exc.msg}). "
                                        f"Got {line[:60]!r}.") from None
        cols = list(dict.fromkeys(k for r in rows for k in r))
        return cols, rows
    if suffix in (".parquet", ".pq"):
        try:
            import pandas as pd  # lazy: an optional extra
        except ImportError:
            raise ConfigError("Reading Parquet needs pandas and pyarrow: pip install scalinglab[data]") from None
        try:
            frame = pd.read_parquet(path)
        except ImportError:
            raise ConfigError("Reading Parquet needs pyarrow: pip install scalinglab[data]") from None
        return [str(c) for c in frame.columns], frame.to_dict("records")
    with open(path, newline="") as fh:
        reader = csv.DictReader(fh)
        rows = list(reader)
        return list(reader.fieldnames or []), rows


def _number(col: str, row: int, value: Any) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise DataError(f"Column {col!r} row {row} must be numeric. Got {value!r}.") from None
    if not math.isfinite(x) or x <= 0:
        raise DataError(f"Column {col!r} row {row} must be finite and > 0. Got {value!r}.")
    return x


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
    """Read runs from CSV, JSONL (``.jsonl``) or Parquet (``.parquet``, needs ``scalinglab[data]``).

    Give ``n_tokens_col``, or ``flops_col`` alone, in which case ``D = C/(6N)`` (as Epoch do for the
    Chinchilla data). ``where`` keeps rows whose column equals the value (compared as text).
    Rows are numbered from 1 over the data rows of the file, before filtering. Rows repeating the same
    (N, D, loss) are an error (``duplicates="error"``, naming them) or dropped (``"drop"``, recorded).
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"The runs file must exist. Got {str(path)!r}.")
    if (n_tokens_col is None) == (flops_col is None):
        raise ConfigError("Exactly one of 'n_tokens_col' and 'flops_col' must be given. "
                          f"Got n_tokens_col={n_tokens_col!r}, flops_col={flops_col!r}.")
    columns, rows = _read_table(path)
    where = dict(where or {})
    wanted = [c for c in (n_params_col, loss_col, n_tokens_col, flops_col, run_col, tokens_seen_col,
                          unique_tokens_col, *group_cols, *where) if c is not None]
    for c in wanted:
        if c not in columns:
            raise DataError(f"Column {c!r} must exist in {path.name}. Got columns: {', '.join(columns)}.")
    keep = [i for i, r in enumerate(rows) if all(str(r[k]) == str(v) for k, v in where.items())]
    if not keep:
        raise DataError(f"The 'where' filter must leave at least one row. Got {where!r} matching none "
                        f"of {len(rows)} rows.")
    n = np.array([_number(n_params_col, i + 1, rows[i][n_params_col]) for i in keep])
    loss = np.array([_number(loss_col, i + 1, rows[i][loss_col]) for i in keep])
    if n_tokens_col is not None:
        d = np.array([_number(n_tokens_col, i + 1, rows[i][n_tokens_col]) for i in keep])
    else:
        d = tokens_for_flops(n, np.array([_number(flops_col, i + 1, rows[i][flops_col]) for i in keep]))
    run_id = np.array([str(rows[i][run_col]) for i in keep]) if run_col else None
    seen = (np.array([_number(tokens_seen_col, i + 1, rows[i][tokens_seen_col]) for i in keep])
            if tokens_seen_col else None)
    unique = (np.array([_number(unique_tokens_col, i + 1, rows[i][unique_tokens_col]) for i in keep])
              if unique_tokens_col else None)
    groups = {c: np.array([str(rows[i][c]) for i in keep]) for c in group_cols}
    source = {
        "path": str(path), "sha256": file_sha256(path),
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
    _check_duplicates(runs, names)
    return runs


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
