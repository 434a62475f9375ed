"""The run store's queries (:class:`~scalinglab.store.Store` reads through these): sweeps, run counts, runs,
checkpoints, the dense training log and the arrays ``fit --store`` takes.

A store opened read-only at an older schema version is read as it is: a column its version lacks reads as
None and a table it lacks as empty (:func:`.migrations.expected_columns` says which).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from ..errors import StoreError
from ._rows import check_choice, check_number, json_object, run_config
from .migrations import expected_columns
from .records import Checkpoint, TrainPoint

__all__ = ["ROLES", "STATUSES", "StoreQueries"]

STATUSES: tuple[str, ...] = ("pending", "running", "done", "failed")
ROLES: tuple[str, ...] = ("train", "holdout")
_RUN_COLUMNS = ("run_hash", "sweep", "role", "budget", "status", "attempts", "created", "started",
                "finished", "worker", "host", "pid", "error", "n_params", "n_tokens", "flops",
                "final_val_loss", "seconds", "heartbeat")
_NUMERIC_RUN_COLUMNS = ("budget", "attempts", "pid", "n_params", "n_tokens", "flops", "final_val_loss", "seconds",
                        "heartbeat")
CHECKPOINT_COLUMNS = ("step", "tokens", "flops", "train_loss", "val_loss", "elapsed_s", "lr")
TRAIN_LOG_COLUMNS = ("step", "n_steps", "lr", "train_loss")


class StoreQueries:
    """The reading half of :class:`~scalinglab.store.Store` (which supplies ``_fetch``, ``_abandoned``,
    ``_where`` and ``version``)."""

    _where: str
    version: int

    def _fetch(self, sql: str, args: tuple[Any, ...] | list[Any] = ()) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def _abandoned(self, host: Any, pid: Any, heartbeat: Any, now: float) -> bool:
        raise NotImplementedError

    def _select(self, table: str, columns: tuple[str, ...]) -> str:
        """``columns`` as a SELECT list, NULL for those this store's schema version lacks."""
        have = expected_columns(self.version).get(table, ())
        return ", ".join(c if c in have else f"NULL AS {c}" for c in columns)

    def sweeps(self) -> list[dict[str, Any]]:
        """Every sweep: name, spec (dict) and creation time."""
        return [{"name": n, "spec": json_object(self._where, "sweeps", "spec_json", n, s), "created": t}
                for n, s, t in self._fetch("SELECT name, spec_json, created FROM sweeps ORDER BY created")]

    def status(self, sweep: str | None = None) -> dict[str, int]:
        """Run counts by status (every status present, plus ``total``)."""
        where, args = ("WHERE sweep = ?", (sweep,)) if sweep else ("", ())
        counts = dict.fromkeys(STATUSES, 0)
        for st, k in self._fetch(f"SELECT status, COUNT(*) FROM runs {where} GROUP BY status", args):
            counts[check_choice(self._where, "runs", "status", None, st, STATUSES)] = int(k)
        counts["total"] = sum(counts[s] for s in STATUSES)
        return counts

    def runs(self, status: str | None = "done", sweep: str | None = None) -> list[dict[str, Any]]:
        """Runs as dicts (columns, plus ``config`` and ``result`` parsed); ``status=None`` for every run.

        ``stale`` is True for a running run whose owner is gone (see the claim rule): a rerun of its sweep
        takes it over.
        """
        if status is not None and status not in STATUSES:
            raise StoreError(f"The 'status' parameter must be one of {STATUSES} or None. Got {status!r}.")
        conds, args = [], []
        for col, val in (("status", status), ("sweep", sweep)):
            if val is not None:
                conds.append(f"{col} = ?")
                args.append(val)
        where = f"WHERE {' AND '.join(conds)}" if conds else ""
        out, now = [], time.time()
        for row in self._fetch(f"SELECT {', '.join(_RUN_COLUMNS)}, config_json, result_json FROM runs "
                               f"{where} ORDER BY budget, n_params, run_hash", args):
            d = dict(zip(_RUN_COLUMNS, row[:-2]))
            h = d["run_hash"]
            for col in _NUMERIC_RUN_COLUMNS:
                check_number(self._where, "runs", col, h, d[col])
            check_choice(self._where, "runs", "status", h, d["status"], STATUSES)
            check_choice(self._where, "runs", "role", h, d["role"], ROLES)
            d["config"] = run_config(self._where, h, row[-2]).as_dict()
            d["result"] = json_object(self._where, "runs", "result_json", h, row[-1], required=False)
            d["stale"] = d["status"] == "running" and self._abandoned(d["host"], d["pid"], d["heartbeat"], now)
            out.append(d)
        return out

    def checkpoints(self, run_hash: str) -> list[Checkpoint]:
        """The run's checkpoints in step order (``lr`` None for those recorded before stores kept it)."""
        rows = self._fetch(f"SELECT {self._select('checkpoints', CHECKPOINT_COLUMNS)} FROM checkpoints "
                           "WHERE run_hash = ? ORDER BY step", (run_hash,))
        for r in rows:
            for col, v in zip(CHECKPOINT_COLUMNS, r):
                check_number(self._where, "checkpoints", col, run_hash, v, required=col in ("step", "tokens"))
        return [Checkpoint(*r) for r in rows]

    def train_log(self, run_hash: str) -> list[TrainPoint]:
        """The run's dense training log in step order (:class:`TrainPoint`); empty for a run that is not done
        or was trained before stores kept one."""
        if "train_log" not in expected_columns(self.version):
            return []
        rows = self._fetch(f"SELECT {', '.join(TRAIN_LOG_COLUMNS)} FROM train_log WHERE run_hash = ? "
                           "ORDER BY step", (run_hash,))
        for r in rows:
            for col, v in zip(TRAIN_LOG_COLUMNS, r):
                check_number(self._where, "train_log", col, run_hash, v, required=True)
        return [TrainPoint(*r) for r in rows]

    def to_arrays(self, sweep: str | None = None, checkpoints: bool = False) -> dict[str, np.ndarray]:
        """Finished runs as numpy arrays, the input of ``scalinglab fit --store``.

        Keys: ``n_params`` (the lab's N, :func:`scalinglab.store.records.scaling_n`), ``n_tokens`` (the run's
        training tokens D), ``loss`` (final validation loss), ``flops`` (6·N·D), ``budget`` (nominal
        IsoFLOP budget, NaN outside grids; group by it for IsoFLOP profiles), ``holdout`` (bool: runs kept
        out of the fit to score its prediction) and ``run_hash``. With ``checkpoints=True`` there is one row
        per checkpoint of a finished run: ``loss`` is that checkpoint's validation loss, ``tokens_seen`` and
        ``step`` its position. A value of the wrong kind (text in ``n_params``, a missing loss) raises
        :class:`StoreError` naming the run and the column.
        """
        where, args = ("AND r.sweep = ?", (sweep,)) if sweep else ("", ())
        names = ["n_params", "n_tokens", "final_val_loss", "flops", "budget", "role", "run_hash"]
        if checkpoints:
            names[2] = "val_loss"
            names += ["tokens", "step"]
            sql = f"""SELECT r.n_params, r.n_tokens, c.val_loss, r.flops, r.budget, r.role, r.run_hash,
                      c.tokens, c.step FROM runs r JOIN checkpoints c USING (run_hash)
                      WHERE r.status = 'done' {where} ORDER BY r.budget, r.n_params, r.run_hash, c.step"""
        else:
            sql = f"""SELECT r.n_params, r.n_tokens, r.final_val_loss, r.flops, r.budget, r.role, r.run_hash
                      FROM runs r WHERE r.status = 'done' {where} ORDER BY r.budget, r.n_params, r.run_hash"""
        rows = self._fetch(sql, args)
        for row in rows:
            for name, v in zip(names, row):
                table = "checkpoints" if name in ("val_loss", "tokens", "step") else "runs"
                if name == "role":
                    check_choice(self._where, table, name, row[6], v, ROLES)
                elif name != "run_hash":
                    check_number(self._where, table, name, row[6], v, required=name != "budget")
        cols = list(zip(*rows)) if rows else [()] * len(names)
        out = {
            "n_params": np.asarray(cols[0], dtype=float),
            "n_tokens": np.asarray(cols[1], dtype=float),
            "loss": np.asarray(cols[2], dtype=float),
            "flops": np.asarray(cols[3], dtype=float),
            "budget": np.asarray([np.nan if b is None else b for b in cols[4]], dtype=float),
            "holdout": np.asarray([r == "holdout" for r in cols[5]], dtype=bool),
            "run_hash": np.asarray(cols[6], dtype=str),
        }
        if checkpoints:
            out["tokens_seen"] = np.asarray(cols[7], dtype=float)
            out["step"] = np.asarray(cols[8], dtype=int)
        return out
