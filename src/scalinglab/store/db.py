"""The SQLite run store: sweeps, runs (config, status, result) and their checkpoints.

Every write is one short ``BEGIN IMMEDIATE`` transaction in WAL mode, so a process killed at any moment
(Ctrl-C, ``kill -9``) leaves the database consistent: a run is either pending, running (claimed), done with
its full result, or failed. Several processes may share one store file on one machine; a store on a
network file system is not supported (SQLite's WAL needs shared memory).

Claim rule (:meth:`Store.claim_next`): a worker takes a *pending* run, or a *running* run whose owner is
gone — its recorded pid is dead on this host, or its lease expired (no heartbeat for ``lease_s`` seconds:
heartbeats come from claims, checkpoints and :meth:`Store.heartbeat`). The run becomes running with
``attempts += 1`` and the checkpoints of the abandoned attempt deleted, so it restarts cleanly. Until
then :meth:`Store.runs` shows such a run as ``stale``.

Reading commands open a store with ``readonly=True`` (see :mod:`._open`): nothing is migrated or written.
Every SQLite error and every damaged row comes out as one :class:`StoreError` naming the store.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

import numpy as np

from ..errors import StoreError
from ._open import has_companions, open_connection, prepare, tidy_companions
from ._owner import pid_alive as _pid_alive
from ._rows import check_choice, check_number, json_object, run_config
from .records import Checkpoint, ModelShape, RunResult, TrainConfig

__all__ = ["ROLES", "STATUSES", "Store", "scaling_params"]

STATUSES: tuple[str, ...] = ("pending", "running", "done", "failed")
ROLES: tuple[str, ...] = ("train", "holdout")
_RUN_COLUMNS = ("run_hash", "sweep", "role", "budget", "status", "attempts", "created", "started",
                "finished", "worker", "host", "pid", "error", "n_params", "n_tokens", "flops",
                "final_val_loss", "seconds", "heartbeat")
_NUMERIC_RUN_COLUMNS = ("budget", "attempts", "pid", "n_params", "n_tokens", "flops", "final_val_loss", "seconds",
                        "heartbeat")
_CHECKPOINT_COLUMNS = ("step", "tokens", "flops", "train_loss", "val_loss", "elapsed_s")


def scaling_params(shape: ModelShape) -> int:
    """The lab's N of a model shape, the store's ``n_params``: :meth:`ModelShape.scaling_params`.

    Defined by :func:`scalinglab.store.records.scaling_n` (non-embedding parameters + output projection).
    """
    return shape.scaling_params()


def _utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Store:
    """A run store in one SQLite file; use as a context manager.

    Parameters
    ----------
    path : str or Path
        Database file; created (with its schema) when missing unless ``create=False``.
    create : bool
        Create a missing file. With ``False`` a missing file raises :class:`StoreError`.
    readonly : bool
        Open for reading only (implies ``create=False``): no migration, no pragma, no write; the file's
        bytes stay unchanged. Every writing method then raises :class:`StoreError`.
    lease_s : float
        Seconds without a heartbeat after which a running run on another host counts as abandoned.
    timeout_s : float
        How long a write waits for another process's transaction (SQLite ``busy_timeout``).
    """

    def __init__(self, path: str | Path, *, create: bool = True, readonly: bool = False, lease_s: float = 600.0,
                 timeout_s: float = 30.0) -> None:
        self.path = Path(path)
        self.readonly = bool(readonly)
        self.lease_s = float(lease_s)
        self._where = repr(str(self.path))
        if (readonly or not create) and not self.path.is_file():
            raise StoreError(f"The store path must be an existing file. Got {str(self.path)!r}.")
        if not self.path.parent.is_dir():
            raise StoreError(f"The store path's folder must exist. Got {str(self.path.parent)!r}.")
        self.host = socket.gethostname()
        self._timeout_s = timeout_s
        # a reader that finds no -wal/-shm files leaves none behind (see _open.tidy_companions)
        self._tidy = self.readonly and not has_companions(self.path)
        self._conn = open_connection(self.path, readonly=self.readonly, timeout_s=timeout_s)
        try:
            self.version = prepare(self._conn, self._where, readonly=self.readonly, timeout_s=timeout_s)
        except BaseException:
            self.close()
            raise

    # -- plumbing ---------------------------------------------------------------------------------------
    def close(self) -> None:
        self._conn.close()
        if self._tidy:
            tidy_companions(self.path, self._timeout_s)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        if self.readonly:
            raise StoreError(f"The store {self._where} was opened read-only; a write needs readonly=False.")
        try:
            self._conn.execute("BEGIN IMMEDIATE")
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"The store {self._where} must accept writes: {exc}.") from None
        try:
            yield self._conn
            self._conn.execute("COMMIT")
        except BaseException as exc:
            # SQLite may have rolled back already (a full disk does): a second ROLLBACK would raise
            # "cannot rollback - no transaction is active" and hide the error that matters.
            if self._conn.in_transaction:
                with suppress(sqlite3.Error):
                    self._conn.execute("ROLLBACK")
            if isinstance(exc, (sqlite3.Error, OSError)):
                raise StoreError(f"The store {self._where} must accept writes: {exc}.") from None
            raise

    def _fetch(self, sql: str, args: tuple[Any, ...] | list[Any] = ()) -> list[tuple[Any, ...]]:
        """Every row of a query; SQLite errors (a truncated file, a lock) become one :class:`StoreError`."""
        try:
            return self._conn.execute(sql, args).fetchall()
        except sqlite3.Error as exc:
            raise StoreError(f"The store {self._where} must be a readable scalinglab run store: {exc}.") from None

    def _abandoned(self, host: Any, pid: Any, heartbeat: Any, now: float) -> bool:
        """The claim rule's test of a running run: its owner's pid is dead here, or its lease expired."""
        beat = heartbeat if isinstance(heartbeat, (int, float)) else 0.0
        return (host == self.host and not _pid_alive(pid if isinstance(pid, int) else None)) \
            or now - beat > self.lease_s

    def _require_run(self, conn: sqlite3.Connection, run_hash: str) -> str:
        row = conn.execute("SELECT status FROM runs WHERE run_hash = ?", (run_hash,)).fetchone()
        if row is None:
            raise StoreError(f"The run_hash must name a run in the store. Got {run_hash!r}.")
        return str(row[0])

    # -- sweeps and runs --------------------------------------------------------------------------------
    def add_sweep(self, name: str, spec: dict[str, Any] | None = None) -> None:
        """Record sweep ``name`` (idempotent; a given ``spec`` replaces the stored one)."""
        if not name:
            raise StoreError(f"The sweep name must be a non-empty string. Got {name!r}.")
        with self._write() as c:
            c.execute("INSERT OR IGNORE INTO sweeps (name, spec_json, created) VALUES (?, '{}', ?)",
                      (name, _utc_now()))
            if spec is not None:
                c.execute("UPDATE sweeps SET spec_json = ? WHERE name = ?", (json.dumps(spec), name))

    def add_runs(self, sweep: str, configs: Iterable[TrainConfig], *, role: str = "train",
                 budgets: Iterable[float | None] | None = None,
                 est_seconds: Iterable[float | None] | None = None) -> int:
        """Add runs to ``sweep`` as pending; runs already stored (same config hash) are left untouched.

        Returns the number of runs newly added. ``budgets`` gives each run's nominal IsoFLOP budget,
        ``est_seconds`` its planned duration (claims take the longest first; default order: FLOPs).
        ``n_params``, ``n_tokens`` and ``flops`` are the lab's N, ``cfg.n_tokens_trained`` and
        ``cfg.estimate_flops()``: the values the run's result records when it finishes.
        """
        if role not in ROLES:
            raise StoreError(f"The 'role' parameter must be one of {ROLES}. Got {role!r}.")
        configs = list(configs)
        labels = [None] * len(configs) if budgets is None else list(budgets)
        if len(labels) != len(configs):
            raise StoreError(f"The 'budgets' parameter must have one entry per config ({len(configs)}). "
                             f"Got {len(labels)}.")
        times = [None] * len(configs) if est_seconds is None else list(est_seconds)
        if len(times) != len(configs):
            raise StoreError(f"The 'est_seconds' parameter must have one entry per config ({len(configs)}). "
                             f"Got {len(times)}.")
        self.add_sweep(sweep)
        rows = []
        for cfg, budget, est in zip(configs, labels, times):
            # what the run will train on, so a pending row already holds the FLOPs its result records
            rows.append((cfg.config_hash(), sweep, role, budget, json.dumps(cfg.as_dict(), sort_keys=True),
                         _utc_now(), scaling_params(cfg.shape), cfg.n_tokens_trained, cfg.estimate_flops(),
                         est))
        with self._write() as c:
            before = c.total_changes
            c.executemany("""INSERT OR IGNORE INTO runs (run_hash, sweep, role, budget, config_json, created,
                             n_params, n_tokens, flops, est_seconds) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                          rows)
            return c.total_changes - before

    def claim_next(self, worker: str, *, sweep: str | None = None, pid: int | None = None
                   ) -> TrainConfig | None:
        """Atomically claim the next run to train (see the module docstring for the rule), or None.

        Pending runs go first, the longest planned (``est_seconds``, else holdout and FLOPs) first: the
        longest-first order shortens the sweep's wall time and is what the plan's estimate assumes.
        """
        where, args = ("AND sweep = ?", (sweep,)) if sweep else ("", ())
        now = time.time()
        with self._write() as c:
            row = c.execute(f"""SELECT run_hash, config_json FROM runs WHERE status = 'pending' {where}
                                ORDER BY est_seconds IS NULL, est_seconds DESC, role = 'holdout' DESC, flops DESC,
                                run_hash LIMIT 1""", args).fetchone()
            if row is None:
                for run_hash, config_json, host, owner, beat in c.execute(
                        f"""SELECT run_hash, config_json, host, pid, heartbeat FROM runs
                            WHERE status = 'running' {where} ORDER BY flops DESC, run_hash""", args).fetchall():
                    if self._abandoned(host, owner, beat, now):
                        row = (run_hash, config_json)
                        break
            if row is None:
                return None
            cfg = run_config(self._where, *row)  # a damaged config is refused before the run is claimed
            c.execute("""UPDATE runs SET status = 'running', attempts = attempts + 1, started = ?,
                         finished = NULL, heartbeat = ?, worker = ?, host = ?, pid = ?, error = NULL,
                         result_json = NULL WHERE run_hash = ?""",
                      (_utc_now(), now, worker, self.host, os.getpid() if pid is None else pid, row[0]))
            c.execute("DELETE FROM checkpoints WHERE run_hash = ?", (row[0],))
        return cfg

    def heartbeat(self, run_hash: str) -> None:
        """Renew the lease of a running run."""
        with self._write() as c:
            c.execute("UPDATE runs SET heartbeat = ? WHERE run_hash = ? AND status = 'running'",
                      (time.time(), run_hash))

    def release_run(self, run_hash: str) -> None:
        """Give a running run back (pending, checkpoints dropped), e.g. after Ctrl-C."""
        with self._write() as c:
            c.execute("UPDATE runs SET status = 'pending', heartbeat = NULL WHERE run_hash = ? "
                      "AND status = 'running'", (run_hash,))
            c.execute("DELETE FROM checkpoints WHERE run_hash = ?", (run_hash,))

    def log_checkpoint(self, run_hash: str, checkpoint: Checkpoint) -> None:
        """Record (or replace) the checkpoint at ``checkpoint.step``; renews the run's lease."""
        cp = checkpoint
        with self._write() as c:
            if self._require_run(c, run_hash) == "done":
                return  # a finished run's record is final
            c.execute("""INSERT INTO checkpoints VALUES (?, ?, ?, ?, ?, ?, ?)
                         ON CONFLICT (run_hash, step) DO UPDATE SET tokens = excluded.tokens,
                         flops = excluded.flops, train_loss = excluded.train_loss,
                         val_loss = excluded.val_loss, elapsed_s = excluded.elapsed_s""",
                      (run_hash, cp.step, cp.tokens, cp.flops, cp.train_loss, cp.val_loss, cp.elapsed_s))
            c.execute("UPDATE runs SET heartbeat = ? WHERE run_hash = ?", (time.time(), run_hash))

    def finish_run(self, run_hash: str, result: RunResult) -> bool:
        """Mark a run done with its result (and any checkpoints it carries) in one transaction.

        Returns False, changing nothing, when the run was already done: a result is never overwritten.
        """
        with self._write() as c:
            if self._require_run(c, run_hash) == "done":
                return False
            c.executemany("INSERT OR IGNORE INTO checkpoints VALUES (?, ?, ?, ?, ?, ?, ?)",
                          [(run_hash, cp.step, cp.tokens, cp.flops, cp.train_loss, cp.val_loss, cp.elapsed_s)
                           for cp in result.checkpoints])
            c.execute("""UPDATE runs SET status = 'done', finished = ?, heartbeat = NULL, error = NULL,
                         result_json = ?, n_params = ?, n_tokens = ?, flops = ?, final_val_loss = ?,
                         seconds = ? WHERE run_hash = ?""",
                      (_utc_now(), json.dumps(result.as_dict()), result.n_params, result.n_tokens,
                       result.flops, result.final_val_loss, result.seconds, run_hash))
        return True

    def fail_run(self, run_hash: str, error: str) -> bool:
        """Mark a run failed with ``error``; False (no change) when it was already done."""
        with self._write() as c:
            if self._require_run(c, run_hash) == "done":
                return False
            c.execute("UPDATE runs SET status = 'failed', finished = ?, heartbeat = NULL, error = ? "
                      "WHERE run_hash = ?", (_utc_now(), str(error), run_hash))
        return True

    def reset_failed(self, sweep: str | None = None) -> int:
        """Put failed runs back to pending (to retry them); returns how many."""
        where, args = ("AND sweep = ?", (sweep,)) if sweep else ("", ())
        with self._write() as c:
            return c.execute(f"UPDATE runs SET status = 'pending' WHERE status = 'failed' {where}",
                             args).rowcount

    # -- queries ----------------------------------------------------------------------------------------
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
        """The run's checkpoints in step order."""
        rows = self._fetch(f"SELECT {', '.join(_CHECKPOINT_COLUMNS)} FROM checkpoints WHERE run_hash = ? "
                           "ORDER BY step", (run_hash,))
        for r in rows:
            for col, v in zip(_CHECKPOINT_COLUMNS, r):
                check_number(self._where, "checkpoints", col, run_hash, v, required=col in ("step", "tokens"))
        return [Checkpoint(*r) for r in rows]

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
