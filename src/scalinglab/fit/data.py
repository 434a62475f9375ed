"""Training runs to fit: loading (CSV, TSV, JSONL, JSON, Parquet; parsed by :mod:`._readers`), validation,
and the filters the papers apply.

Every error names the column, the 1-based data row, the rule and the value, e.g.
``Column 'loss' row 17 must be finite and > 0. Got nan.``
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from .._validate import check_choice
from ..errors import ConfigError, DataError
from ..flops import tokens_for_flops, training_flops
from ._columns import choose_columns
from ._readers import Table, read_table

__all__ = ["Runs", "load_runs", "drop_highest_loss", "select_groups", "split_groups", "file_sha256", "VARIABLES"]

#: the variables a run can give: parameters N, tokens D and compute C (given, or 6·N·D)
VARIABLE_ORDER = ("n_params", "n_tokens", "flops")
VARIABLES = frozenset(VARIABLE_ORDER)
_LABELS = {"n_params": "parameters N", "n_tokens": "tokens D", "flops": "compute C"}


@dataclass(frozen=True, eq=False)
class Runs:
    """Final (or checkpoint) losses of training runs: one row per observation.

    ``n_params`` N, ``n_tokens`` D and ``loss`` (nats/token) are float arrays of equal length. ``run_id``
    groups checkpoints of one run (the bootstrap resamples whole runs); ``tokens_seen`` is the checkpoint
    position; ``groups`` maps a label column to its values (dataset, condition, ...).

    A file may give fewer variables than N and D: tokens alone, compute alone, or parameters alone, enough for
    a one-variable law. ``variables`` then names those given (``"flops"`` when C is known, from a compute
    column or from N and D) and the arrays of the others hold stand-ins that keep ``6·N·D`` equal to any
    given C (N = 1, D = C/6 or 1); :meth:`require` refuses a fit that would read a stand-in, and
    :attr:`flops` refuses to make up a compute it does not know.
    """

    n_params: np.ndarray
    n_tokens: np.ndarray
    loss: np.ndarray
    run_id: np.ndarray | None = None
    tokens_seen: np.ndarray | None = None
    groups: dict[str, np.ndarray] = field(default_factory=dict)
    source: dict[str, Any] = field(default_factory=dict)  # path, sha256, columns, filters (provenance)
    unique_tokens: np.ndarray | None = None  # distinct tokens each run drew from (data-constrained laws)
    variables: frozenset[str] = VARIABLES  # which of N, D and C = 6ND the data gave (see :meth:`require`)

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
        """Training compute ``C = 6·N·D`` (Kaplan et al. 2020, §2.1), or the compute column it was read from."""
        self.require("flops", what="Training compute")
        return training_flops(self.n_params, self.n_tokens)

    def require(self, *variables: str, what: str) -> None:
        """Refuse, naming ``what`` needs them, variables (``"n_params"``, ``"n_tokens"``, ``"flops"``) these runs
        were not given."""
        missing = [v for v in variables if v not in self.variables]
        if missing:
            given = ", ".join(_LABELS[v] for v in VARIABLE_ORDER if v in self.variables) or "none"
            raise ConfigError(f"{what} needs the {' and '.join(_LABELS[v] for v in missing)} of each run. Got "
                              f"runs that give only: {given} (load_runs(n_params_col=..., n_tokens_col=... or "
                              f"flops_col=...), or --n-params-col, --n-tokens-col, --flops-col).")

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
        run = {} if runs.run_id is None else {"run_id": runs.run_id}
        _check_duplicates(runs, {**arrays, **run, **runs.groups})
        return runs


def _positive_column(name: str, values: np.ndarray) -> np.ndarray:
    bad = ~np.isfinite(values) | (values <= 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(f"Column {name!r} row {i + 1} must be finite and > 0. Got {float(values[i])!r}.")
    return values


def _duplicate_keys(runs: Runs) -> np.ndarray:
    """One row per observation: N, D, loss, then the run id and each group label as integer codes (repeats are
    judged within a run and within a group, so that groups sharing an (N, D) design are not duplicates)."""
    labels = ([runs.run_id] if runs.run_id is not None else []) + list(runs.groups.values())
    codes = [np.unique(lab, return_inverse=True)[1].astype(float) for lab in labels]
    return np.column_stack([runs.n_params, runs.n_tokens, runs.loss, *codes])


def drop_duplicates(runs: Runs) -> Runs:
    """Keep the first of rows that repeat the same (N, D, loss) in the same run and group; the drop is
    recorded in provenance."""
    _, first = np.unique(_duplicate_keys(runs), axis=0, return_index=True)
    if len(first) == len(runs):
        return runs
    return runs.subset(np.sort(first), note=f"drop_duplicates({len(runs) - len(first)} rows)")


def _check_duplicates(runs: Runs, shown: dict[str, np.ndarray], row: Callable[[int], str] | None = None,
                      where: str = " (positions in the arrays, from 1)") -> None:
    """Refuse repeated rows, citing each as ``row(i)`` names it (its number in the file) with the values of
    ``shown``."""
    keys = _duplicate_keys(runs)
    _, first, counts = np.unique(keys, axis=0, return_index=True, return_counts=True)
    if (counts > 1).any():
        i = int(first[counts > 1].min())  # the earliest repeated row
        dup = np.flatnonzero((keys == keys[i]).all(axis=1))
        named = ", ".join(str(j + 1) if row is None else row(int(j)) for j in dup[:5])
        values = ", ".join(f"{k} = {v[i]:g}" if np.issubdtype(np.asarray(v).dtype, np.number)
                           else f"{k} = {str(v[i])!r}" for k, v in shown.items())
        raise DataError(f"Rows must not repeat the same ({', '.join(shown)}). Got duplicate rows {named}{where} "
                        f"with {values}.")


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def load_runs(
    path: str | Path,
    *,
    n_params_col: str | None = None,
    loss_col: str | None = None,
    n_tokens_col: str | None = None,
    flops_col: str | None = None,
    run_col: str | None = None,
    tokens_seen_col: str | None = None,
    unique_tokens_col: str | None = None,
    group_cols: Sequence[str] = (),
    where: dict[str, Any] | None = None,
    duplicates: str = "error",
    needs: Collection[str] | None = None,
) -> Runs:
    """Read runs from a file, by its extension: ``.csv`` (any unknown extension too) or ``.tsv`` with a
    header row, ``.jsonl``/``.ndjson`` (one JSON object per line), ``.json`` (an array of objects) or
    ``.parquet``/``.pq`` (needs ``scalinglab[data]``). Text must be UTF-8 (a byte-order mark is dropped).

    Give the loss column and N with D, or N with ``flops_col`` (then ``D = C/(6N)``, as Epoch do for the
    Chinchilla data), or one of N, D and C alone, which is enough for a one-variable law
    (:attr:`Runs.variables` records which were given). With ``needs`` (the variables the fit reads: any of
    ``"n_params"``, ``"n_tokens"``, ``"flops"``, ``"unique_tokens"``), the columns not named for them and for
    the loss are found by their common names, case-insensitively (:data:`~scalinglab.fit._columns.COLUMN_NAMES`:
    ``params``, ``tokens``, ``flops``, ``loss``, ...); ``runs.source["detected"]`` records which.

    ``where`` keeps rows whose column equals the value (compared as text). Rows are numbered from 1 over the
    data rows of the file, before filtering (the line is added where it differs). Numbers must be finite and
    > 0; booleans, nulls and empty cells are refused, as are files that are empty, compressed, ragged or not of
    their extension's format: always one :class:`DataError`. Rows repeating the same (N, D, loss) in the same
    run and group (``group_cols``) are an error (``duplicates="error"``, naming them) or dropped (``"drop"``,
    recorded).
    """
    check_choice("duplicates", duplicates, ("error", "drop"))
    path = Path(path)
    table = read_table(path)
    cols: dict[str, str | None] = {"n_params_col": n_params_col, "n_tokens_col": n_tokens_col, "flops_col": flops_col,
                                   "loss_col": loss_col, "unique_tokens_col": unique_tokens_col}
    detected: dict[str, str] = {}
    if needs is not None:
        cols, detected = choose_columns(table.columns, cols, needs, file=table.name)
    n_params_col, n_tokens_col, flops_col, loss_col, unique_tokens_col = cols.values()
    _check_columns(n_params_col, n_tokens_col, flops_col, loss_col)
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

    n, loss, d, c = numbers(n_params_col), numbers(loss_col), numbers(n_tokens_col), numbers(flops_col)
    seen, unique = numbers(tokens_seen_col), numbers(unique_tokens_col)
    shown = {col: v for col, v in ((n_params_col, n), (n_tokens_col, d), (flops_col, c), (loss_col, loss))
             if col is not None}
    known = {var for var, v in (("n_params", n), ("n_tokens", d), ("flops", c)) if v is not None}
    if d is None and c is not None:  # D = C/(6N); with no N, the stand-ins N = 1, D = C/6 keep 6ND = C
        d = _tokens_from_flops(table, keep, np.ones(len(keep)) if n is None else n, c, flops_col,
                               n_params_col or "N = 1, a stand-in")
        known |= {"n_tokens"} if n is not None else set()
    if n is not None and d is not None:
        known.add("flops")
    ones = np.ones(len(keep))
    run_id = np.array([table.label(i, run_col) for i in keep]) if run_col else None
    groups = {g: np.array([table.label(i, g) for i in keep]) for g in group_cols}
    source = {
        "path": str(path), "sha256": table.sha256,
        "columns": {"n_params": n_params_col, "n_tokens": n_tokens_col, "flops": flops_col, "loss": loss_col,
                    "run": run_col, "tokens_seen": tokens_seen_col, "unique_tokens": unique_tokens_col,
                    "groups": list(group_cols)},
        "variables": [v for v in VARIABLE_ORDER if v in known],
        "filters": [f"where {k} == {v!r}" for k, v in where.items()],
    }
    if detected:
        source["detected"] = detected
    runs = Runs(ones if n is None else n, ones if d is None else d, loss, run_id, seen, groups, source, unique,
                frozenset(known))
    if duplicates == "drop":
        return drop_duplicates(runs)
    shown.update({} if run_col is None else {run_col: run_id}, **groups)
    _check_duplicates(runs, shown, lambda j: table.at(keep[j]).removeprefix("row "), f" of {table.name} (its data rows, counted from 1 without the header "
                                         "and before any filter)")
    return runs


def _check_columns(n_params_col: str | None, n_tokens_col: str | None, flops_col: str | None,
                   loss_col: str | None) -> None:
    if n_tokens_col is not None and flops_col is not None:
        raise ConfigError("At most one of 'n_tokens_col' and 'flops_col' may be given (with both, D and C = 6ND "
                          f"could disagree). Got n_tokens_col={n_tokens_col!r}, flops_col={flops_col!r}.")
    if n_params_col is None and n_tokens_col is None and flops_col is None:
        raise ConfigError("At least one of 'n_params_col', 'n_tokens_col' and 'flops_col' must be given (or "
                          "needs=..., to find them by name). Got none.")
    if loss_col is None:
        raise ConfigError("The 'loss_col' parameter must name the column of final losses (or give needs=..., to "
                          "find it by name). Got None.")


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
