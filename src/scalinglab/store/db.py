"""The SQLite run store: sweeps, runs (config, status, result) and their checkpoints.

Every write is one short ``BEGIN IMMEDIATE`` transaction in WAL mode, so a process killed at any moment
(Ctrl-C, ``kill -9``) leaves the database consistent: a run is either pending, running (claimed), done with
its full result, or failed. Several processes may share one store file on one machine; a store on a
network file system is not supported (SQLite's WAL needs shared memory).

Claim rule (:meth:`Store.claim_next`): a worker takes a *pending* run, or a *running* run whose owner is
gone — its recorded pid is dead on this host, or its lease expired (no heartbeat for ``lease_s`` seconds:
heartbeats come from claims, checkpoints and :meth:`Store.heartbeat`). The run becomes running with
``attempts += 1`` and the checkpoints of the abandoned attempt deleted, so it restarts cleanly.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

import numpy as np

from ..errors import StoreError
from .records import Checkpoint, ModelShape, RunResult, TrainConfig
from .migrations import migrate

__all__ = ["ROLES", "STATUSES", "Store", "scaling_params"]

STATUSES: tuple[str, ...] = ("pending", "running", "done", "failed")
ROLES: tuple[str, ...] = ("train", "holdout")
_RUN_COLUMNS = ("run_hash", "sweep", "role", "budget", "status", "attempts", "created", "started",
                "finished", "worker", "host", "pid", "error", "n_params", "n_tokens", "flops",
                "final_val_loss", "seconds")


def scaling_params(shape: ModelShape) -> int:
    """The lab's N of a model shape, the store's ``n_params``: :meth:`ModelShape.scaling_params`.

    Defined by :func:`scalinglab.store.records.scaling_n` (non-embedding parameters + output projection).
    """
    return shape.scaling_params()


def _utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _pid_alive(pid: int | None) -> bool:
    """Whether ``pid`` is a live (non-zombie) process on this host."""
    if pid is None or pid <= 0:
        return False
    if os.name == "nt":  # os.kill(pid, 0) would terminate it on Windows: rely on the lease there
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a killed child that nobody reaped yet is a zombie: dead for our purposes
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        return True


class Store:
    """A run store in one SQLite file; use as a context manager.

    Parameters
    ----------
    path : str or Path
        Database file; created (with its schema) when missing unless ``create=False``.
    create : bool
        Create a missing file. With ``False`` a missing file raises :class:`StoreError`.
    lease_s : float
        Seconds without a heartbeat after which a running run on another host counts as abandoned.
    timeout_s : float
        How long a write waits for another process's transaction (SQLite ``busy_timeout``).
    """

    def __init__(self, path: str | Path, *, create: bool = True, lease_s: float = 600.0,
                 timeout_s: float = 30.0) -> None:
        self.path = Path(path)
        self.lease_s = float(lease_s)
        if not create and not self.path.is_file():
            raise StoreError(f"The store path must be an existing file. Got {str(self.path)!r}.")
        if not self.path.parent.is_dir():
            raise StoreError(f"The store path's folder must exist. Got {str(self.path.parent)!r}.")
        self.host = socket.gethostname()
        try:
            self._conn = sqlite3.connect(self.path, timeout=timeout_s, isolation_level=None)
        except sqlite3.Error as exc:
            raise StoreError(f"The store {str(self.path)!r} must be openable: {exc}.") from None
        try:
            self._conn.execute(f"PRAGMA busy_timeout = {int(timeout_s * 1000)}")
            self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.execute("PRAGMA synchronous = NORMAL")  # WAL + NORMAL: consistent after kill -9
            self._conn.execute("PRAGMA foreign_keys = ON")
            self.version = migrate(self._conn, repr(str(self.path)))
        except BaseException as exc:
            self._conn.close()
            if isinstance(exc, sqlite3.Error):
                raise StoreError(f"The store {str(self.path)!r} must be a readable SQLite database: "
                                 f"{exc}.") from None
            raise

    # -- plumbing ---------------------------------------------------------------------------------------
    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        try:
            self._conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise StoreError(f"The store {str(self.path)!r} must be writable: {exc}.") from None
        try:
            yield self._conn
            self._conn.execute("COMMIT")
        except BaseException as exc:
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise StoreError(f"A write to the store {str(self.path)!r} failed: {exc}.") from None
            raise

    def _one(self, sql: str, args: tuple[Any, ...] = ()) -> Any:
        return self._conn.execute(sql, args).fetchone()

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
            row = c.execute(f"""SELECT run_hash FROM runs WHERE status = 'pending' {where}
                                ORDER BY est_seconds IS NULL, est_seconds DESC, role = 'holdout' DESC, flops DESC,
                                run_hash LIMIT 1""", args).fetchone()
            if row is None:
                for run_hash, host, owner, beat in c.execute(
                        f"""SELECT run_hash, host, pid, heartbeat FROM runs WHERE status = 'running' {where}
                            ORDER BY flops DESC, run_hash""", args).fetchall():
                    if (host == self.host and not _pid_alive(owner)) or now - (beat or 0.0) > self.lease_s:
                        row = (run_hash,)
                        break
            if row is None:
                return None
            c.execute("""UPDATE runs SET status = 'running', attempts = attempts + 1, started = ?,
                         finished = NULL, heartbeat = ?, worker = ?, host = ?, pid = ?, error = NULL,
                         result_json = NULL WHERE run_hash = ?""",
                      (_utc_now(), now, worker, self.host, os.getpid() if pid is None else pid, row[0]))
            c.execute("DELETE FROM checkpoints WHERE run_hash = ?", (row[0],))
            (config_json,) = c.execute("SELECT config_json FROM runs WHERE run_hash = ?", row).fetchone()
        return TrainConfig.from_dict(json.loads(config_json))

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
        return [{"name": n, "spec": json.loads(s), "created": t}
                for n, s, t in self._conn.execute("SELECT name, spec_json, created FROM sweeps ORDER BY created")]

    def status(self, sweep: str | None = None) -> dict[str, int]:
        """Run counts by status (every status present, plus ``total``)."""
        where, args = ("WHERE sweep = ?", (sweep,)) if sweep else ("", ())
        counts = dict.fromkeys(STATUSES, 0)
        for st, k in self._conn.execute(f"SELECT status, COUNT(*) FROM runs {where} GROUP BY status", args):
            counts[st] = int(k)
        counts["total"] = sum(counts[s] for s in STATUSES)
        return counts

    def runs(self, status: str | None = "done", sweep: str | None = None) -> list[dict[str, Any]]:
        """Runs as dicts (columns, plus ``config`` and ``result`` parsed); ``status=None`` for every run."""
        if status is not None and status not in STATUSES:
            raise StoreError(f"The 'status' parameter must be one of {STATUSES} or None. Got {status!r}.")
        conds, args = [], []
        for col, val in (("status", status), ("sweep", sweep)):
            if val is not None:
                conds.append(f"{col} = ?")
                args.append(val)
        where = f"WHERE {' AND '.join(conds)}" if conds else ""
        out = []
        for row in self._conn.execute(f"SELECT {', '.join(_RUN_COLUMNS)}, config_json, result_json FROM runs "
                                      f"{where} ORDER BY budget, n_params, run_hash", args):
            d = dict(zip(_RUN_COLUMNS, row[:-2]))
            d["config"] = json.loads(row[-2])
            d["result"] = json.loads(row[-1]) if row[-1] else None
            out.append(d)
        return out

    def checkpoints(self, run_hash: str) -> list[Checkpoint]:
        """The run's checkpoints in step order."""
        return [Checkpoint(*r) for r in self._conn.execute(
            "SELECT step, tokens, flops, train_loss, val_loss, elapsed_s FROM checkpoints "
            "WHERE run_hash = ? ORDER BY step", (run_hash,))]

    def to_arrays(self, sweep: str | None = None, checkpoints: bool = False) -> dict[str, np.ndarray]:
        """Finished runs as numpy arrays, the input of ``scalinglab fit --store``.

        Keys: ``n_params`` (the lab's N, :func:`scalinglab.store.records.scaling_n`), ``n_tokens`` (the run's
        training tokens D), ``loss`` (final validation loss), ``flops`` (6·N·D), ``budget`` (nominal
        IsoFLOP budget, NaN outside grids; group by it for IsoFLOP profiles), ``holdout`` (bool: runs kept
        out of the fit to score its prediction) and ``run_hash``. With ``checkpoints=True`` there is one row
        per checkpoint of a finished run: ``loss`` is that checkpoint's validation loss, ``tokens_seen`` and
        ``step`` its position.
        """
        where, args = ("AND r.sweep = ?", (sweep,)) if sweep else ("", ())
        if checkpoints:
            sql = f"""SELECT r.n_params, r.n_tokens, c.val_loss, r.flops, r.budget, r.role, r.run_hash,
                      c.tokens, c.step FROM runs r JOIN checkpoints c USING (run_hash)
                      WHERE r.status = 'done' {where} ORDER BY r.budget, r.n_params, r.run_hash, c.step"""
        else:
            sql = f"""SELECT r.n_params, r.n_tokens, r.final_val_loss, r.flops, r.budget, r.role, r.run_hash
                      FROM runs r WHERE r.status = 'done' {where} ORDER BY r.budget, r.n_params, r.run_hash"""
        rows = self._conn.execute(sql, args).fetchall()
        cols = list(zip(*rows)) if rows else [()] * (9 if checkpoints else 7)
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
