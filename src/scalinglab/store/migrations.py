"""Numbered, forward-only schema migrations of the run store, recorded in the database itself.

Each migration is a list of SQL statements applied in one transaction together with its row in
``schema_version``; a store is at version ``max(version)`` of that table. A database that records a version
newer than :data:`LATEST_VERSION` was written by a newer scalinglab and is refused (:class:`StoreError`)
rather than guessed at. To change the schema, append a migration; never edit one that has shipped.

A store at an older version is migrated by the first process that opens it for writing; a read-only open
reads it as it is (:class:`~scalinglab.store.Store` reads a column an older version lacks as None).

1. sweeps, runs and checkpoints.
2. ``checkpoints.lr`` (the learning rate at each checkpoint) and the ``train_log`` table (the mean training
   loss and the learning rate every ``steps // 200`` steps of a run: the input of the training-curve fits).
"""

from __future__ import annotations

import sqlite3
import time
from contextlib import suppress
from dataclasses import dataclass
from functools import lru_cache

from ..errors import StoreError

__all__ = ["LATEST_VERSION", "MIGRATIONS", "Migration", "expected_columns", "migrate", "schema_version"]


@dataclass(frozen=True)
class Migration:
    """One schema step: ``version`` (1, 2, ...), a description and its SQL statements."""

    version: int
    description: str
    statements: tuple[str, ...]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "sweeps, runs and checkpoints", (
        """CREATE TABLE sweeps (
            name       TEXT PRIMARY KEY,
            spec_json  TEXT NOT NULL DEFAULT '{}',
            created    TEXT NOT NULL
        )""",
        """CREATE TABLE runs (
            run_hash       TEXT PRIMARY KEY,
            sweep          TEXT NOT NULL REFERENCES sweeps(name) ON DELETE CASCADE,
            role           TEXT NOT NULL DEFAULT 'train' CHECK (role IN ('train', 'holdout')),
            budget         REAL,            -- nominal FLOPs of the IsoFLOP group (NULL outside grids)
            config_json    TEXT NOT NULL,
            status         TEXT NOT NULL DEFAULT 'pending'
                           CHECK (status IN ('pending', 'running', 'done', 'failed')),
            attempts       INTEGER NOT NULL DEFAULT 0,
            created        TEXT NOT NULL,
            started        TEXT,            -- UTC ISO-8601 of the current/last claim
            finished       TEXT,
            heartbeat      REAL,            -- unix time of the owner's last sign of life (the lease)
            worker         TEXT,
            host           TEXT,
            pid            INTEGER,
            error          TEXT,
            result_json    TEXT,
            n_params       INTEGER,
            n_tokens       INTEGER,
            flops          REAL,
            final_val_loss REAL,
            seconds        REAL,
            est_seconds    REAL             -- planned duration: claims take the longest first
        )""",
        "CREATE INDEX runs_sweep_status ON runs (sweep, status)",
        """CREATE TABLE checkpoints (
            run_hash   TEXT NOT NULL REFERENCES runs(run_hash) ON DELETE CASCADE,
            step       INTEGER NOT NULL,
            tokens     INTEGER NOT NULL,
            flops      REAL NOT NULL,
            train_loss REAL,
            val_loss   REAL,
            elapsed_s  REAL,
            UNIQUE (run_hash, step)
        )""",
    )),
    Migration(2, "learning rate at checkpoints; dense training log", (
        "ALTER TABLE checkpoints ADD COLUMN lr REAL",  # NULL for the checkpoints recorded before
        """CREATE TABLE train_log (
            run_hash   TEXT NOT NULL REFERENCES runs(run_hash) ON DELETE CASCADE,
            step       INTEGER NOT NULL,  -- steps done at the end of the window (as checkpoints.step)
            n_steps    INTEGER NOT NULL,  -- steps in the window
            lr         REAL,              -- learning rate of the window's last step
            train_loss REAL,              -- mean training loss over the window
            UNIQUE (run_hash, step)
        )""",
    )),
)

LATEST_VERSION: int = MIGRATIONS[-1].version


def schema_version(conn: sqlite3.Connection) -> int:
    """The version a database is at (0 for a fresh file without a ``schema_version`` table)."""
    row = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").fetchone()
    if row is None:
        return 0
    (version,) = conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version").fetchone()
    return int(version)


def _check_known(version: int, where: str) -> None:
    if version > LATEST_VERSION:
        raise StoreError(f"The store {where} is at schema version {version}, newer than this scalinglab "
                         f"supports ({LATEST_VERSION}); upgrade scalinglab to open it.")


def migrate(conn: sqlite3.Connection, where: str = "") -> int:
    """Bring ``conn`` (autocommit mode) to :data:`LATEST_VERSION`; returns the version reached.

    Each step runs under ``BEGIN IMMEDIATE`` and re-reads the version inside the transaction, so processes
    opening a fresh store at the same moment apply every migration exactly once.
    """
    _check_known(schema_version(conn), where)
    for m in MIGRATIONS:
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute("""CREATE TABLE IF NOT EXISTS schema_version (
                version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied REAL NOT NULL)""")
            current = schema_version(conn)
            _check_known(current, where)
            if current < m.version:
                for sql in m.statements:
                    conn.execute(sql)
                conn.execute("INSERT INTO schema_version VALUES (?, ?, ?)",
                             (m.version, m.description, time.time()))
            conn.execute("COMMIT")
        except BaseException:
            # SQLite rolls back by itself on some errors (a full disk): a second ROLLBACK would then raise
            # "cannot rollback - no transaction is active" and hide the error that matters.
            if conn.in_transaction:
                with suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
            raise
    return schema_version(conn)


@lru_cache(maxsize=None)
def expected_columns(version: int = LATEST_VERSION) -> dict[str, tuple[str, ...]]:
    """The tables of a store at ``version`` and their columns, from the migrations themselves.

    What :class:`~scalinglab.store.Store` checks a store against when it opens it, so a damaged store (a
    table or column gone) is refused in one line instead of failing on the first query that needs it.
    """
    conn = sqlite3.connect(":memory:")
    try:
        conn.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, description TEXT NOT NULL, "
                     "applied REAL NOT NULL)")
        for m in MIGRATIONS:
            if m.version <= version:
                for sql in m.statements:
                    conn.execute(sql)
        tables = [t for (t,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {t: tuple(row[1] for row in conn.execute(f"PRAGMA table_info({t})")) for t in tables}
    finally:
        conn.close()
