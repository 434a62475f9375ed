"""Training-curve logs in, curve fits out: read ``(step, learning rate, loss)`` from a CSV, TSV, JSONL, JSON or
Parquet log, and save or load a :class:`~scalinglab.fit.curves.CurveFit` as versioned JSON.

A curve law needs the learning rate at *every* step from 0, not only at the logged ones. It comes from a
named schedule (``--schedule cosine:total=...``), which also gives the steps still to run, or from the log's
learning-rate column, interpolated linearly between logged steps (and, before the first logged step, a
linear warmup from 0, which is what a log that starts after its warmup hides). With both, they must agree.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._io import write_atomic
from ..errors import ConfigError, DataError
from ..laws.curves import get_curve_law
from ..laws.schedules import Schedule, parse_schedule
from ._readers import excerpt, read_table
from .curves import Curve, CurveFit

__all__ = ["CurveLog", "read_curve_log", "read_curve_logs", "save_curve_fit", "load_curve_fit", "LR_TOLERANCE", "FORMAT"]

FORMAT = "scalinglab.curve-fit"
VERSION = 1
#: relative difference allowed between a log's learning rates and the schedule given for it
LR_TOLERANCE = 0.02
_STEP_NAMES = ("step", "_step", "global_step", "iteration", "iter", "trainer/global_step")
_LOSS_NAMES = ("loss", "train_loss", "train/loss", "val_loss", "val/loss", "eval/loss", "lm_loss")
_LR_NAMES = ("lr", "learning_rate", "train/lr", "train/learning_rate", "lr-adamw", "optim/lr")


@dataclass(frozen=True, eq=False)
class CurveLog:
    """A training log read as a curve: logged ``steps`` and ``loss``; ``lrs`` the learning rate at every step
    from 0 (to the schedule's end with a schedule, else to the last logged step); ``lr_source`` how it was
    obtained; ``schedule`` when one was given."""

    path: str
    steps: np.ndarray
    loss: np.ndarray
    lrs: np.ndarray
    lr_source: str
    schedule: Schedule | None
    columns: dict[str, str | None]
    n_rows: int
    n_skipped: int

    @property
    def total_steps(self) -> int | None:
        """The run's length when its schedule is known (a named schedule), else ``None``."""
        return self.schedule.total if self.schedule is not None else None

    def curve(self, name: str | None = None) -> Curve:
        return Curve(self.steps, self.loss, self.lrs, name or Path(self.path).stem)


def _column(columns: list[str], explicit: str | None, what: str, names: tuple[str, ...], flag: str,
            required: bool = True) -> str | None:
    if explicit is not None:
        if explicit not in columns:
            raise DataError(f"The {what} column {explicit!r} ({flag}) must exist in the log. Got columns: "
                            f"{', '.join(map(excerpt, columns))}.")
        return explicit
    low = {c.lower(): c for c in columns}
    for name in names:
        if name in low:
            return low[name]
    if not required:
        return None
    raise DataError(f"No {what} column found in the log (looked for {', '.join(names[:4])}); name it with {flag}. "
                    f"Got columns: {', '.join(map(excerpt, columns))}.")


def _number(value: Any) -> float | None:
    """A cell as a float; ``None`` for an empty cell (W&B leaves one where a metric was not logged)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        return math.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def read_curve_log(path: str | Path, *, schedule: str | Schedule | None = None, step_col: str | None = None,
                   loss_col: str | None = None, lr_col: str | None = None, flags: str = "--") -> CurveLog:
    """Read a training log as a curve (see the module docstring). Rows with an empty loss, and the row of step 0
    (the loss before any update), are skipped and counted in ``n_skipped``;
    a loss that is NaN, infinite or ≤ 0, a step that is not a whole number ≥ 0 or does not increase, and a
    learning rate that disagrees with ``schedule`` by more than 2% are each refused in one line."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"The training log must exist. Got {str(path)!r}.")
    sched = parse_schedule(schedule) if isinstance(schedule, str) else schedule
    table = read_table(path)
    cols = table.columns
    step_c = _column(cols, step_col, "step", _STEP_NAMES, f"{flags}step-col")
    loss_c = _column(cols, loss_col, "loss", _LOSS_NAMES, f"{flags}loss-col")
    lr_c = _column(cols, lr_col, "learning-rate", _LR_NAMES, f"{flags}lr-col", required=sched is None)
    steps, loss, lrs_logged, skipped = [], [], [], 0
    for i, row in enumerate(table.rows):
        y = _number(row.get(loss_c))
        if y is None:
            skipped += 1
            continue
        s = _number(row.get(step_c))
        where = f"{table.at(i)} of {table.name}"
        if s is None or not (math.isfinite(s) and s >= 0 and float(s).is_integer()):
            raise DataError(f"The step ({step_c!r}) must be a whole number >= 0 in every logged row. Got "
                            f"{excerpt(row.get(step_c))} at {where}.")
        if not (math.isfinite(y) and y > 0):
            raise DataError(f"The loss ({loss_c!r}) must be a finite number > 0. Got {excerpt(row.get(loss_c))} at "
                            f"step {int(s)} ({where}): did the run diverge there? Cut the log before it.")
        if steps and s <= steps[-1]:
            raise DataError(f"The steps ({step_c!r}) must increase down the log. Got step {int(s)} after step "
                            f"{int(steps[-1])} at {where} (a restarted run? keep the rows of its last segment).")
        if lr_c is not None:
            lr = _number(row.get(lr_c))
            if lr is None or not (math.isfinite(lr) and lr >= 0):
                raise DataError(f"The learning rate ({lr_c!r}) must be a finite number >= 0 where the loss is "
                                f"logged. Got {excerpt(row.get(lr_c))} at step {int(s)} ({where}).")
            lrs_logged.append(lr)
        steps.append(s)
        loss.append(y)
    st = np.array(steps, dtype=np.int64)
    logged = np.array(lrs_logged) if lr_c is not None else None
    trained = st > 0  # step 0 is the loss before any update: no learning-rate area yet, outside the laws
    if trained.sum() < 2:
        raise DataError(f"The training log {table.name} must hold at least 2 rows with a loss after step 0. Got "
                        f"{int(trained.sum())}.")
    if sched is not None:
        lrs, source = _from_schedule(sched, st, logged, lr_c)
    else:
        assert logged is not None
        lrs, source = _from_column(st, logged, lr_c)
    return CurveLog(str(path), st[trained], np.array(loss)[trained], lrs, source, sched,
                    {"step": step_c, "loss": loss_c, "lr": lr_c}, len(table.rows),
                    skipped + int((~trained).sum()))


def _from_schedule(sched: Schedule, steps: np.ndarray, logged: np.ndarray | None,
                   lr_c: str | None) -> tuple[np.ndarray, str]:
    if steps[-1] >= sched.total:
        raise DataError(f"The log reaches step {int(steps[-1])}, past the end of the schedule {str(sched)!r} "
                        f"({sched.total} steps): the schedule does not match the log.")
    lrs = sched.lrs()
    if logged is not None:
        want = lrs[steps]
        rel = np.abs(logged - want) / np.maximum(want, 1e-300)
        bad = np.flatnonzero(rel > LR_TOLERANCE)
        if bad.size:
            i = int(bad[0])
            raise DataError(f"The schedule {str(sched)!r} does not match the log: at step {int(steps[i])} the log's "
                            f"learning rate ({lr_c!r}) is {logged[i]:.4g} and the schedule's {want[i]:.4g} "
                            f"({bad.size} of {steps.size} logged steps differ by more than {LR_TOLERANCE:.0%}).")
        return lrs, f"schedule {sched} (checked against the log's {lr_c!r} column)"
    return lrs, f"schedule {sched}"


def _from_column(steps: np.ndarray, logged: np.ndarray, lr_c: str | None) -> tuple[np.ndarray, str]:
    """The learning rate at every step up to the last logged one: linear between logged steps, a linear warmup
    from 0 before the first (when the log starts after step 0)."""
    if not (logged > 0).any():
        raise DataError(f"The learning-rate column {lr_c!r} must be > 0 at some logged step. Got all zero.")
    grid = np.arange(int(steps[-1]) + 1, dtype=float)
    xs, ys = steps.astype(float), logged
    if steps[0] > 0:
        xs, ys = np.concatenate([[0.0], xs]), np.concatenate([[0.0], ys])
    note = f"the log's {lr_c!r} column, linear between logged steps"
    if steps[0] > 0:
        note += f", with a linear warmup from 0 assumed before step {int(steps[0])}"
    return np.interp(grid, xs, ys), note


def save_curve_fit(fit: CurveFit, path: str | Path, **provenance: Any) -> Path:
    """Write ``fit`` (parameters, bands' refits, scatter and transfer error) as versioned JSON."""
    doc = {"format": FORMAT, "version": VERSION, **fit.as_dict(),
           "samples": np.asarray(fit.samples, dtype=float).tolist(),
           "starts": [dict(s) for s in fit.starts], "provenance": provenance}
    return write_atomic(path, (json.dumps(doc, indent=1, default=float) + "\n").encode(), "curve fit")


def load_curve_fit(path: str | Path) -> CurveFit:
    """Read a curve fit written by :func:`save_curve_fit`; anything else is refused in one line."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"The curve fit must be an existing file. Got {str(path)!r}.")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(f"The curve fit {path.name!r} must be JSON written by `scalinglab curves fit` ({exc}).") \
            from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        got = doc.get("format") if isinstance(doc, dict) else type(doc).__name__
        raise DataError(f"The file {path.name!r} must be a curve fit (format {FORMAT!r}, written by `scalinglab "
                        f"curves fit`). Got format {got!r}.")
    if doc.get("version") != VERSION:
        raise DataError(f"The curve fit {path.name!r} is version {doc.get('version')!r}; this scalinglab reads "
                        f"version {VERSION}.")
    try:
        law = get_curve_law(doc["law"])
        params = {k: float(doc["params"][k]) for k in law.params}
        samples = np.asarray(doc.get("samples") or np.empty((0, len(law.params))), dtype=float)
        if samples.ndim != 2 or samples.shape[1] != len(law.params):
            raise ValueError(f"samples of shape {samples.shape}")
        return CurveFit(law=law.name, params=params, objective=float(doc["objective"]),
                        n_points=int(doc["n_points"]), curves=tuple(map(str, doc["curves"])),
                        residual_sd=float(doc["residual_sd"]),
                        transfer_sd=None if doc.get("transfer_sd") is None else float(doc["transfer_sd"]),
                        starts=tuple(doc.get("starts") or ()), n_at_best=int(doc.get("n_at_best", 1)),
                        samples=samples, seconds=float(doc.get("seconds", 0.0)),
                        lam=float(doc.get("lambda", 0.999)), method=str(doc.get("method", "lsq")),
                        reasons=tuple(map(str, doc.get("reasons") or ())))
    except (KeyError, TypeError, ValueError, ConfigError) as exc:
        raise DataError(f"The curve fit {path.name!r} is incomplete or damaged ({excerpt(str(exc))}).") from None


def read_curve_logs(paths: Sequence[str | Path], schedules: Sequence[str] | None = None, **columns: Any
                    ) -> list[CurveLog]:
    """Several logs, each with its schedule when ``schedules`` is given (one per log, in order)."""
    if schedules and len(schedules) != len(paths):
        raise ConfigError(f"Give one --schedule per log, in the logs' order, or none (then each log needs a "
                          f"learning-rate column). Got {len(schedules)} schedules for {len(paths)} logs.")
    return [read_curve_log(p, schedule=schedules[i] if schedules else None, **columns) for i, p in enumerate(paths)]
