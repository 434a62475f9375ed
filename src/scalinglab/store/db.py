"""The SQLite run store: sweeps, runs (config, status, result) and their checkpoints.

Every write is one short ``BEGIN IMMEDIATE`` transaction in WAL mode, so a process killed at any moment
(Ctrl-C, ``kill -9``) leaves the database consistent: a run is either pending, running (claimed), done with
its full result, or failed. Several processes may share one store file on one machine; a store on a
network file system is not supported (SQLite's WAL needs shared memory).

Claim rule (:meth:`Store.claim_next`): a worker takes a *pending* run, or a *running* run whose owner is
gone — its recorded pid is dead on this host, or its lease expired (no heartbeat for ``lease_s`` seconds:
heartbeats come from claims, checkpoints and :meth:`Store.heartbeat`). The run becomes running with
``attempts += 1`` and the checkpoints (and training log) of the abandoned attempt deleted, so it restarts
cleanly. Until then :meth:`Store.runs` shows such a run as ``stale``.

Reading commands open a store with ``readonly=True`` (see :mod:`._open`): nothing is migrated or written,
and a store at an older schema version is read as it is (:mod:`._queries`).
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

from ..errors import StoreError
from ._open import has_companions, open_connection, prepare, tidy_companions
from ._owner import pid_alive as _pid_alive
from ._queries import CHECKPOINT_COLUMNS, ROLES, STATUSES, TRAIN_LOG_COLUMNS, StoreQueries
from ._rows import run_config
from .records import Checkpoint, ModelShape, RunResult, TrainConfig

__all__ = ["ROLES", "STATUSES", "Store", "scaling_params"]


def scaling_params(shape: ModelShape) -> int:
    """The lab's N of a model shape, the store's ``n_params``: :meth:`ModelShape.scaling_params`.

    Defined by :func:`scalinglab.store.records.scaling_n` (non-embedding parameters + output projection).
    """
    return shape.scaling_params()


def _utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


_INTO_CHECKPOINTS = (f"INTO checkpoints (run_hash, {', '.join(CHECKPOINT_COLUMNS)}) "
                     f"VALUES (?{', ?' * len(CHECKPOINT_COLUMNS)})")


def _checkpoint_row(run_hash: str, cp: Checkpoint) -> tuple[Any, ...]:
    return (run_hash, *(getattr(cp, col) for col in CHECKPOINT_COLUMNS))


def _drop_records(c: sqlite3.Connection, run_hash: str) -> None:
    """Forget what an abandoned or released attempt recorded: it restarts from scratch."""
    c.execute("DELETE FROM checkpoints WHERE run_hash = ?", (run_hash,))
    c.execute("DELETE FROM train_log WHERE run_hash = ?", (run_hash,))


class Store(StoreQueries):
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
            _drop_records(c, row[0])
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
            _drop_records(c, run_hash)

    def log_checkpoint(self, run_hash: str, checkpoint: Checkpoint) -> None:
        """Record (or replace) the checkpoint at ``checkpoint.step``; renews the run's lease."""
        cp = checkpoint
        with self._write() as c:
            if self._require_run(c, run_hash) == "done":
                return  # a finished run's record is final
            c.execute(f"""INSERT {_INTO_CHECKPOINTS}
                          ON CONFLICT (run_hash, step) DO UPDATE SET tokens = excluded.tokens,
                          flops = excluded.flops, train_loss = excluded.train_loss, val_loss = excluded.val_loss,
                          elapsed_s = excluded.elapsed_s, lr = excluded.lr""", _checkpoint_row(run_hash, cp))
            c.execute("UPDATE runs SET heartbeat = ? WHERE run_hash = ?", (time.time(), run_hash))

    def finish_run(self, run_hash: str, result: RunResult) -> bool:
        """Mark a run done with its result, any checkpoints it carries and its dense training log (the
        ``train_log`` table, not ``result_json``), in one transaction.

        Returns False, changing nothing, when the run was already done: a result is never overwritten.
        """
        with self._write() as c:
            if self._require_run(c, run_hash) == "done":
                return False
            c.executemany(f"INSERT OR IGNORE {_INTO_CHECKPOINTS}",
                          [_checkpoint_row(run_hash, cp) for cp in result.checkpoints])
            c.executemany(f"INSERT OR REPLACE INTO train_log (run_hash, {', '.join(TRAIN_LOG_COLUMNS)}) "
                          f"VALUES (?{', ?' * len(TRAIN_LOG_COLUMNS)})",
                          [(run_hash, *(getattr(p, col) for col in TRAIN_LOG_COLUMNS)) for p in result.train_log])
            record = {k: v for k, v in result.as_dict().items() if k != "train_log"}
            c.execute("""UPDATE runs SET status = 'done', finished = ?, heartbeat = NULL, error = NULL,
                         result_json = ?, n_params = ?, n_tokens = ?, flops = ?, final_val_loss = ?,
                         seconds = ? WHERE run_hash = ?""",
                      (_utc_now(), json.dumps(record), result.n_params, result.n_tokens,
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
