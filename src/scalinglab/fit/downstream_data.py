"""Runs with task scores: :class:`TaskRuns`, read from a wide or a long table (:func:`read_task_runs`).

A row is one evaluation of a run: its final checkpoint, or one of several checkpoints (then ``n_tokens`` is the
tokens seen so far and the run's rows share its ``run`` id). Per task it holds an **accuracy** in [0, 1] and,
where the method needs it, a **task loss** (bits per byte of the correct answer, as Bhagia et al. use); a
**loss** shared by every task (Gadre et al.'s C4-eval loss) may come with each row.

Two layouts, told apart by their columns (``layout="auto"``):

- **wide**: one row per evaluation; columns for N, D (found by their common names, as for other runs files),
  an optional run id (``run``, ``run_id``, ``name``), an optional ``loss``, and per task an accuracy column
  (``accuracy_col``, default the task's own name) and a task-loss column (``task_loss_col``, default
  ``{task}_loss``). The tasks must be named.
- **long**: columns ``run``, ``task``, ``metric`` and ``value`` plus N and D (and optionally ``loss``) on every
  row; metric ``accuracy``/``acc``, ``error``/``err`` (stored as 1 − error) or ``loss``/``bpb``. Rows with the
  same run and D are one evaluation. Other metrics are skipped and listed in ``source["ignored_metrics"]``.

Every error names the file, row, column, rule and value: a task missing from the runs, an accuracy outside
[0, 1], an evaluation without a task's score, a run whose N changes between rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .._validate import check_choice
from ..errors import ConfigError, DataError
from ._columns import COLUMN_NAMES, _key
from ._readers import Table, _names, read_table

__all__ = ["TaskRuns", "read_task_runs", "LAYOUTS", "METRIC_NAMES"]

LAYOUTS = ("auto", "wide", "long")
#: long-layout metric names, by what they hold
METRIC_NAMES = {"accuracy": ("accuracy", "acc"), "error": ("error", "err"), "loss": ("loss", "bpb", "task_loss")}
_RUN_NAMES = ("run", "run_id", "name", "model")


@dataclass(frozen=True, eq=False)
class TaskRuns:
    """Task scores of training runs, one row per evaluation (see the module docstring).

    ``accuracy`` and ``task_loss`` map each task to a float array over rows; ``loss`` (one loss for every
    task) may be ``None``. Build with :meth:`from_arrays` (validated) or :func:`read_task_runs`.
    """

    run: np.ndarray
    n_params: np.ndarray
    n_tokens: np.ndarray
    accuracy: dict[str, np.ndarray]
    task_loss: dict[str, np.ndarray] = field(default_factory=dict)
    loss: np.ndarray | None = None
    source: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.run)

    @property
    def tasks(self) -> tuple[str, ...]:
        return tuple(self.accuracy)

    @property
    def run_ids(self) -> list[str]:
        """Run ids in order of first appearance."""
        return list(dict.fromkeys(self.run.tolist()))

    @classmethod
    def from_arrays(cls, run: Any, n_params: Any, n_tokens: Any, accuracy: dict[str, Any], *,
                    task_loss: dict[str, Any] | None = None, loss: Any = None,
                    source: dict[str, Any] | None = None) -> TaskRuns:
        """Validated task runs from array-likes (errors name the argument and the 1-based position)."""
        run_ids = np.asarray([str(r) for r in np.atleast_1d(np.asarray(run, dtype=object))])
        n = len(run_ids)
        if not accuracy:
            raise ConfigError("The 'accuracy' parameter must map at least one task to its accuracies. Got none.")
        n_arr = _column("'n_params' value", n_params, n, positive=True)
        d_arr = _column("'n_tokens' value", n_tokens, n, positive=True)
        acc = {t: _column(f"accuracy of task {t!r}", v, n, unit=True) for t, v in accuracy.items()}
        tl = {t: _column(f"task loss of task {t!r}", v, n, positive=True) for t, v in (task_loss or {}).items()}
        shared = None if loss is None else _column("'loss' value", loss, n, positive=True)
        out = cls(run_ids, n_arr, d_arr, acc, tl, shared, dict(source or {}))
        out._check_runs()
        return out

    def _check_runs(self) -> None:
        """One N per run, and no two evaluations of a run at the same D."""
        seen: dict[str, float] = {}
        pairs: set[tuple[str, float]] = set()
        for i, (r, n, d) in enumerate(zip(self.run.tolist(), self.n_params.tolist(), self.n_tokens.tolist())):
            if seen.setdefault(r, n) != n:
                raise DataError(f"Run {r!r} must have one parameter count N in every row. Got {seen[r]:g} and "
                                f"{n:g} (row {i + 1}).")
            if (r, d) in pairs:
                raise DataError(f"Run {r!r} must be evaluated once per token count D. Got D = {d:g} twice "
                                f"(row {i + 1}).")
            pairs.add((r, d))

    def require(self, tasks: Sequence[str], *, task_loss: bool = False, loss: bool = False) -> None:
        """Refuse tasks these runs do not score (or whose task loss they lack), and a missing shared loss."""
        for t in tasks:
            if t not in self.accuracy:
                raise DataError(f"Task {t!r} must be among the tasks of the runs. Got tasks: "
                                f"{', '.join(self.tasks)}.")
            if task_loss and t not in self.task_loss:
                raise DataError(f"Task {t!r} must have a task loss in the runs (the ladder method fits step 1 "
                                f"on each task's own loss). Got task losses for: "
                                f"{', '.join(self.task_loss) or 'none'}.")
        if loss and self.loss is None:
            raise DataError("The runs must have a loss column shared by every task (the gadre method fits the "
                            "over-training law on it). Got none.")

    def subset(self, index: Any) -> TaskRuns:
        idx = np.asarray(index)
        return TaskRuns(self.run[idx], self.n_params[idx], self.n_tokens[idx],
                        {t: v[idx] for t, v in self.accuracy.items()}, {t: v[idx] for t, v in self.task_loss.items()},
                        None if self.loss is None else self.loss[idx], self.source)

    def runs_named(self, ids: Sequence[str], what: str) -> TaskRuns:
        """The rows of the runs ``ids`` (each must be a run of these runs)."""
        known = set(self.run.tolist())
        for r in ids:
            if r not in known:
                shown = ", ".join(self.run_ids[:8]) + (" ..." if len(known) > 8 else "")
                raise DataError(f"Run {r!r} in {what} must be a run of the runs. Got runs: {shown}.")
        return self.subset(np.flatnonzero(np.isin(self.run, list(ids))))

    def _per_run(self) -> list[np.ndarray]:
        """Row indices of each run (in order of first appearance), sorted by D."""
        return [np.flatnonzero(self.run == r)[np.argsort(self.n_tokens[self.run == r], kind="stable")]
                for r in self.run_ids]

    def finals(self, window: int = 1) -> TaskRuns:
        """One row per run: its last evaluation's N and D, every score the mean of its last ``window`` rows
        (Bhagia et al. average the last 5 checkpoints)."""
        rows = [idx[-window:] for idx in self._per_run()]
        last = np.array([idx[-1] for idx in rows])

        def mean(v: np.ndarray) -> np.ndarray:
            return np.array([v[idx].mean() for idx in rows])

        return TaskRuns(self.run[last], self.n_params[last], self.n_tokens[last],
                        {t: mean(v) for t, v in self.accuracy.items()}, {t: mean(v) for t, v in self.task_loss.items()},
                        None if self.loss is None else mean(self.loss), self.source)

    def checkpoints(self, skip_fraction: float = 0.0, moving_average: int = 1) -> TaskRuns:
        """Every evaluation past the first ``ceil(skip_fraction·rows)`` of each run, each score the trailing mean
        of up to ``moving_average`` rows (fewer at a run's start), as Bhagia et al.'s step 2 reads them. A run's
        last evaluation is always kept (a table of final scores only, one row per run, keeps every row)."""
        parts = [idx[min(int(np.ceil(skip_fraction * len(idx))), len(idx) - 1):] for idx in self._per_run()]
        keep = np.concatenate(parts)

        def smooth(v: np.ndarray) -> np.ndarray:
            return np.concatenate([_trailing_mean(v[p], moving_average) for p in parts])

        return TaskRuns(self.run[keep], self.n_params[keep], self.n_tokens[keep],
                        {t: smooth(v) for t, v in self.accuracy.items()},
                        {t: smooth(v) for t, v in self.task_loss.items()},
                        None if self.loss is None else smooth(self.loss), self.source)


def _trailing_mean(v: np.ndarray, n: int) -> np.ndarray:
    c = np.cumsum(v, dtype=float)
    c[n:] = c[n:] - c[:-n]
    return c / np.minimum(np.arange(1, len(v) + 1), n)


def _column(name: str, values: Any, n: int, *, positive: bool = False, unit: bool = False) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        raise DataError(f"The {name}s must be numbers. Got {str(values)[:60]!r}.") from None
    if arr.size != n:
        raise DataError(f"The {name}s must be one per row ({n}). Got {arr.size}.")
    bad = ~np.isfinite(arr) | ((arr <= 0) if positive else False) | (((arr < 0) | (arr > 1)) if unit else False)
    if np.any(bad):
        i = int(np.flatnonzero(bad)[0])
        rule = "finite and > 0" if positive else "in [0, 1]"
        hint = " (a percentage? divide it by 100)" if unit and 1 < arr[i] <= 100 else ""
        raise DataError(f"The {name} at position {i + 1} must be {rule}. Got {float(arr[i])!r}{hint}.")
    return arr


def _find(table: Table, given: str | None, names: Sequence[str], what: str, flag: str,
          required: bool = True) -> str | None:
    """The column given for ``what``, else the one whose name is among ``names`` (compared as runs files are)."""
    if given is not None:
        table.require(given)
        return given
    hits = [c for c in table.columns if _key(c) in names]
    if len(hits) > 1:
        raise DataError(f"The runs file {table.name} must have one column of {what} to pick by name. Got "
                        f"{len(hits)}: {', '.join(hits)}; choose one with {flag}.")
    if not hits and required:
        raise DataError(f"The runs file {table.name} must have a column of {what}: give {flag} or name it one of "
                        f"{', '.join(names)}. Got columns: {_names(table.columns)}.")
    return hits[0] if hits else None


def read_task_runs(path: str | Path, *, tasks: Sequence[str] | None = None, layout: str = "auto",
                   run_col: str | None = None, n_params_col: str | None = None, n_tokens_col: str | None = None,
                   loss_col: str | None = None, accuracy_col: str = "{task}", task_loss_col: str = "{task}_loss",
                   where: dict[str, Any] | None = None) -> TaskRuns:
    """Read runs with task scores from a CSV, TSV, JSONL, JSON or Parquet file (see the module docstring).

    ``tasks`` names the tasks to read (required for the wide layout; the long layout reads every task it
    holds when ``None``). ``accuracy_col`` and ``task_loss_col`` are the wide layout's column names, with
    ``{task}`` standing for the task. ``where`` keeps rows whose column equals the value (as text).
    """
    check_choice("layout", layout, LAYOUTS)
    table = read_table(Path(path))
    keys = {_key(c): c for c in table.columns}
    is_long = all(k in keys for k in ("task", "metric", "value"))
    if layout == "auto":
        layout = "long" if is_long else "wide"
    keep = [i for i in range(len(table.rows)) if table.matches(i, dict(where or {}))]
    if not keep:
        raise DataError(f"The 'where' filter must leave at least one row. Got {where!r} matching none of "
                        f"{len(table.rows)} rows.")
    cols = {"n_params": _find(table, n_params_col, COLUMN_NAMES["n_params"], "parameters N", "--n-params-col"),
            "n_tokens": _find(table, n_tokens_col, COLUMN_NAMES["n_tokens"], "tokens D", "--n-tokens-col"),
            "loss": _find(table, loss_col, COLUMN_NAMES["loss"], "losses", "--loss-col", required=False),
            "run": _find(table, run_col, _RUN_NAMES, "run ids", "--run-col", required=False)}
    source = {"path": str(path), "sha256": table.sha256, "layout": layout, "columns": dict(cols),
              "filters": [f"where {k} == {v!r}" for k, v in (where or {}).items()]}
    if layout == "wide":
        return _wide(table, keep, cols, tasks, accuracy_col, task_loss_col, source)
    return _long(table, keep, cols, tasks, keys, source)


def _run_label(table: Table, i: int, cols: dict[str, str | None]) -> str:
    return table.label(i, cols["run"]) if cols["run"] else table.at(i)


def _wide(table: Table, keep: list[int], cols: dict[str, str | None], tasks: Sequence[str] | None,
          accuracy_col: str, task_loss_col: str, source: dict[str, Any]) -> TaskRuns:
    if not tasks:
        raise ConfigError(f"The 'tasks' parameter must name the tasks of a wide runs file ({table.name}: one "
                          "accuracy column per task). Got none.")
    acc, tl = {}, {}
    for t in tasks:
        col = accuracy_col.replace("{task}", t)
        if col not in table.columns:
            raise DataError(f"Task {t!r} must have an accuracy column {col!r} in {table.name}. Got columns: "
                            f"{_names(table.columns)}.")
        acc[t] = np.array([table.fraction(i, col) for i in keep])
        lcol = task_loss_col.replace("{task}", t)
        if lcol in table.columns:
            tl[t] = np.array([table.number(i, lcol) for i in keep])
    runs = [_run_label(table, i, cols) for i in keep]
    n = [table.number(i, cols["n_params"]) for i in keep]  # type: ignore[arg-type]
    d = [table.number(i, cols["n_tokens"]) for i in keep]  # type: ignore[arg-type]
    loss = [table.number(i, cols["loss"]) for i in keep] if cols["loss"] else None
    source["columns"].update(accuracy=accuracy_col, task_loss=task_loss_col)
    return TaskRuns.from_arrays(runs, n, d, acc, task_loss=tl, loss=loss, source=source)


def _long(table: Table, keep: list[int], cols: dict[str, str | None], tasks: Sequence[str] | None,
          keys: dict[str, str], source: dict[str, Any]) -> TaskRuns:
    tcol, mcol, vcol = keys["task"], keys["metric"], keys["value"]
    kind = {name: k for k, names in METRIC_NAMES.items() for name in names}
    evals: dict[tuple[str, float], dict[str, Any]] = {}
    scores: dict[tuple[str, float, str, str], int] = {}
    ignored: set[str] = set()
    for i in keep:
        metric = kind.get(_key(table.label(i, mcol)))
        if metric is None:
            ignored.add(table.label(i, mcol))
            continue
        run = _run_label(table, i, cols)
        n, d = table.number(i, cols["n_params"]), table.number(i, cols["n_tokens"])  # type: ignore[arg-type]
        ev = evals.setdefault((run, d), {"n": n, "shared": None})
        if cols["loss"]:
            ev["shared"] = table.number(i, cols["loss"])
        task = table.label(i, tcol)
        what = "a task loss" if metric == "loss" else f"an {metric}" if metric == "error" else "an accuracy"
        value = table.number(i, vcol) if metric == "loss" else table.fraction(i, vcol, what)
        slot = "task_loss" if metric == "loss" else "accuracy"
        if (run, d, task, slot) in scores:
            raise DataError(f"Run {run!r} at D = {d:g} must have one {slot.replace('_', ' ')} for task {task!r}. Got a second one in "
                            f"{table.at(i)} of {table.name} (the first: {table.at(scores[(run, d, task, slot)])}).")
        scores[(run, d, task, slot)] = i
        ev.setdefault(slot, {})[task] = value if metric != "error" else 1.0 - value
    found = list(dict.fromkeys(t for (_, _, t, s) in scores if s == "accuracy"))
    names = list(tasks) if tasks else found
    for t in names:
        if t not in found:
            raise DataError(f"Task {t!r} must have accuracy rows in the 'task' column of {table.name}. Got tasks: "
                            f"{', '.join(found) or 'none'}.")
    order = list(evals)
    acc = {t: [_score(evals[k], "accuracy", t, k, table) for k in order] for t in names}
    with_loss = [t for t in names if all(t in evals[k].get("task_loss", {}) for k in order)]
    tl = {t: [evals[k]["task_loss"][t] for k in order] for t in with_loss}
    loss = [evals[k]["shared"] for k in order] if cols["loss"] else None
    source["ignored_metrics"] = sorted(ignored)
    return TaskRuns.from_arrays([k[0] for k in order], [evals[k]["n"] for k in order], [k[1] for k in order],
                                acc, task_loss=tl, loss=loss, source=source)


def _score(ev: dict[str, Any], slot: str, task: str, key: tuple[str, float], table: Table) -> float:
    if task not in ev.get(slot, {}):
        raise DataError(f"Task {task!r} must have an accuracy for every evaluation in {table.name}. Got none for "
                        f"run {key[0]!r} at D = {key[1]:g}.")
    return float(ev[slot][task])
