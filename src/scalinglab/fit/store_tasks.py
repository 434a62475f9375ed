"""Task scores the lab recorded (``RunResult.task_metrics``), as :class:`~scalinglab.fit.downstream_data.TaskRuns`.

One row per finished run: its N, its D, its final validation loss (the loss every task shares, Gadre et al.'s
step 1) and, per task, the accuracy and the task loss (bits per token) the lab measured on the validation
windows at the end of training. Held-out runs are read too (a downstream fit may keep them out with
``--step1-runs`` or predict them); runs trained before the lab scored tasks carry none and are skipped, and said.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import DataError
from .data import file_sha256
from .downstream_data import TaskRuns

__all__ = ["task_runs_from_store"]


def task_runs_from_store(path: str | Path, *, sweep: str | None = None, tasks: Sequence[str] | None = None
                         ) -> TaskRuns:
    """The finished runs of a store (or of one sweep) with the task scores they recorded."""
    from ..store import Store  # the store needs no torch; imported lazily to keep `fit` light

    with Store(path, readonly=True) as store:
        if sweep is not None and sweep not in {s["name"] for s in store.sweeps()}:
            raise DataError(f"The 'sweep' parameter must name a sweep of the store {str(path)!r}. Got {sweep!r}.")
        rows = store.runs("done", sweep=sweep)
    scored = [r for r in rows if (r["result"] or {}).get("task_metrics")]
    where = f" of sweep {sweep!r}" if sweep else ""
    if not scored:
        raise DataError(f"The store's finished runs{where} must carry task scores (the lab records them since "
                        f"2026-12). Got {len(rows)} run(s) without any in {str(path)!r}.")
    have = sorted(set.intersection(*(set(r["result"]["task_metrics"]) for r in scored)))
    wanted = list(tasks) if tasks else have
    missing = [t for t in wanted if t not in have]
    if missing:
        raise DataError(f"Task {missing[0]!r} must be recorded by every scored run{where}. Got tasks: "
                        f"{', '.join(have) or 'none'}.")
    acc: dict[str, list[float]] = {t: [] for t in wanted}
    task_loss: dict[str, list[float]] = {t: [] for t in wanted}
    for r in scored:
        for t in wanted:
            m: dict[str, Any] = r["result"]["task_metrics"][t]
            acc[t].append(float(m["accuracy"]))
            task_loss[t].append(float(m["loss"]))
    source = {"store": str(path), "sha256": file_sha256(path), "sweep": sweep, "layout": "store",
              "skipped_unscored": len(rows) - len(scored),
              "holdout_runs": [r["run_hash"] for r in scored if r["role"] == "holdout"]}
    return TaskRuns.from_arrays([r["run_hash"] for r in scored], [r["n_params"] for r in scored],
                                [r["n_tokens"] for r in scored], acc, task_loss=task_loss,
                                loss=[r["final_val_loss"] for r in scored], source=source)
