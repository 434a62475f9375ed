"""Training curves recorded by the lab's store, as :class:`~scalinglab.fit.curves.Curve` for the curve laws.

A finished lab run records the schedule it followed (``result.lr_schedule``: the fields of
:class:`scalinglab.laws.schedules.Schedule`, so every step's learning rate is rebuilt exactly), a dense
training log (:class:`~scalinglab.store.records.TrainPoint`, about 200 points) and its checkpoints. The curve
laws index the loss by the 0-based step ``t`` whose update it follows (``L(t)`` after ``η_0 … η_t``), so:

- a checkpoint after ``step`` steps is the loss at ``t = step − 1``;
- a log point is the mean of the losses computed at 0-based steps ``step − n_steps … step − 1``, each before
  that step's update, so of the model after ``step − n_steps − 1 … step − 2`` in the laws' index: it is placed
  at their middle, ``t = step − (n_steps + 3) // 2`` (half a step late when ``n_steps`` is even).

The laws start at ``t = 1`` (``S1(0)`` may be 0), so a point before it is dropped, and by default (as the
authors' curves start at the end of their warmup) so is every point inside the warmup.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ConfigError, DataError
from ..laws.schedules import Schedule
from ..store.records import TrainConfig
from .curves import Curve

__all__ = ["LOSSES", "curve_from_store", "curves_from_store", "run_curve_name"]

LOSSES = ("train", "val")


def run_curve_name(cfg: TrainConfig) -> str:
    """A run's curve name: its schedule (with ``decay_frac`` for wsd and step) and steps, e.g. ``wsd0.1_2400``."""
    decay = f"{cfg.decay_frac:g}" if cfg.schedule in ("wsd", "step") else ""
    return f"{cfg.schedule}{decay}_{cfg.steps}"


def _schedule(run: dict[str, Any], where: str) -> Schedule:
    spec = (run["result"] or {}).get("lr_schedule")
    if spec is None:
        raise DataError(f"Run {run['run_hash']!r} in {where} must have a recorded learning-rate schedule to give "
                        f"a curve. Got none: it was trained before the lab recorded one; train it again.")
    try:
        return Schedule(**spec)
    except (TypeError, ConfigError) as exc:
        raise DataError(f"Run {run['run_hash']!r} in {where} must have a valid recorded schedule. Got "
                        f"{spec!r}: {exc}") from None


def _curve(store: Any, run: dict[str, Any], where: str, loss: str, skip_warmup: bool) -> Curve:
    h = run["run_hash"]
    schedule = _schedule(run, where)
    lrs = schedule.lrs()
    if loss == "train":
        points = store.train_log(h)
        step = np.array([p.step for p in points], dtype=np.int64)
        t = step - (np.array([p.n_steps for p in points], dtype=np.int64) + 3) // 2
        values = np.array([p.train_loss for p in points], dtype=float)
        logged = np.array([p.lr for p in points], dtype=float)
    else:
        points = store.checkpoints(h)
        step = np.array([c.step for c in points], dtype=np.int64)
        t = step - 1
        values = np.array([c.val_loss for c in points], dtype=float)
        logged = np.array([np.nan if c.lr is None else c.lr for c in points], dtype=float)
    if not points:
        raise DataError(f"Run {h!r} in {where} must have a {'training log' if loss == 'train' else 'checkpoint'} "
                        f"to give a curve. Got none.")
    if np.any(step > lrs.size):
        raise DataError(f"Run {h!r} in {where} logs step {int(step.max())}, past its schedule of {lrs.size} steps.")
    known = np.isfinite(logged)
    if not np.allclose(logged[known], lrs[step[known] - 1], rtol=1e-9, atol=0):
        i = int(np.flatnonzero(~np.isclose(logged, lrs[step - 1], rtol=1e-9, atol=0) & known)[0])
        raise DataError(f"The learning rates run {h!r} logged in {where} must match its recorded schedule. Got "
                        f"{logged[i]!r} at step {int(step[i])} against {float(lrs[step[i] - 1])!r}.")
    keep = t >= max(1, schedule.warmup if skip_warmup else 1)
    if not keep.any():
        raise DataError(f"Run {h!r} in {where} must have logged points after its warmup of {schedule.warmup} steps. "
                        f"Got none.")
    return Curve(t[keep], values[keep], lrs, run_curve_name(TrainConfig.from_dict(run["config"])))


def curve_from_store(path: str | Path, run_hash: str, *, loss: str = "train", skip_warmup: bool = True) -> Curve:
    """One finished run's curve: its steps, the loss there and its schedule's learning rate at every step.

    Parameters
    ----------
    path : str or Path
        The lab's run store (opened read-only).
    run_hash : str
        The run (its config hash).
    loss : {"train", "val"}
        ``train``: the dense training log (~200 points, what the curve laws need); ``val``: the validation
        loss at the checkpoints (~10 points).
    skip_warmup : bool
        Leave out the points inside the warmup, as the multi-power-law authors' curves start at its end.
    """
    return curves_from_store(path, run_hashes=[run_hash], loss=loss, skip_warmup=skip_warmup)[0]


def curves_from_store(path: str | Path, *, sweep: str | None = None, run_hashes: list[str] | None = None,
                      loss: str = "train", skip_warmup: bool = True) -> list[Curve]:
    """The curves (:func:`curve_from_store`) of the finished runs of ``sweep`` (or all, or ``run_hashes``),
    in the store's run order; a named run that is missing or not finished raises :class:`DataError`."""
    from ..store import Store  # the store needs no torch; imported lazily to keep `fit` light

    if loss not in LOSSES:
        raise ConfigError(f"The 'loss' parameter must be one of {', '.join(LOSSES)}. Got {loss!r}.")
    where = repr(str(path))
    with Store(path, readonly=True) as store:
        runs = store.runs("done", sweep=sweep)
        if run_hashes is not None:
            by_hash = {r["run_hash"]: r for r in runs}
            missing = [h for h in run_hashes if h not in by_hash]
            if missing:
                raise DataError(f"The run {missing[0]!r} must be a finished run in {where}"
                                f"{f' (sweep {sweep!r})' if sweep else ''}. Got none.")
            runs = [by_hash[h] for h in run_hashes]
        if not runs:
            raise DataError(f"The store {where} must hold finished runs{f' in sweep {sweep!r}' if sweep else ''} "
                            f"to give curves. Got none.")
        return [_curve(store, run, where, loss, skip_warmup) for run in runs]
