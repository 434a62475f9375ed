"""Opening a store file: read-only or for writing, refusing foreign and damaged databases.

A reading command (``lab status``, ``fit --store``, ``report --store``) opens the file with SQLite's
``mode=ro``: nothing is migrated, no pragma is written, the file's bytes stay as they are. In a folder it
cannot write to (where SQLite cannot create the ``-shm`` file a WAL database needs) it falls back to
``immutable=1``, which is safe there because no writer can be at work in such a folder either.

A ``mode=ro`` connection to a store in WAL mode creates the ``-wal``/``-shm`` companion files, and may not
delete them when it closes: SQLite leaves that to the last connection that can write. So a reader that found
no companions when it opened closes with :func:`tidy_companions`, which has SQLite's own rule remove them
(and leaves them to a writer still at work).

A store at an older schema version is migrated by a writer and read as it is by a reader.

A database without scalinglab's ``schema_version`` table that holds other tables is somebody else's: it
is refused before anything is written to it, in either mode.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from urllib.parse import quote

from ..errors import StoreError
from .migrations import LATEST_VERSION, expected_columns, migrate, schema_version

__all__ = ["has_companions", "open_connection", "prepare", "tidy_companions"]


def _connect(path: Path, query: str, timeout_s: float) -> sqlite3.Connection:
    uri = f"file:{quote(str(path.resolve()))}?{query}"
    return sqlite3.connect(uri, uri=True, timeout=timeout_s, isolation_level=None)


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {t for (t,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if not t.startswith("sqlite_")}


def open_connection(path: Path, *, readonly: bool, timeout_s: float) -> sqlite3.Connection:
    """A connection to ``path`` in autocommit mode; read-only ones have already read the schema once."""
    where = repr(str(path))
    if not readonly:
        try:
            return sqlite3.connect(path, timeout=timeout_s, isolation_level=None)
        except sqlite3.Error as exc:
            raise StoreError(f"The store {where} must be openable: {exc}.") from None
    conn = None
    try:
        conn = _connect(path, "mode=ro", timeout_s)
        _tables(conn)
        return conn
    except sqlite3.OperationalError as exc:
        if conn is not None:
            conn.close()
        if os.access(path.parent, os.W_OK) or "unable to open" not in str(exc):
            raise StoreError(f"The store {where} must be a readable SQLite database: {exc}.") from None
    except sqlite3.Error as exc:
        if conn is not None:
            conn.close()
        raise StoreError(f"The store {where} must be a readable SQLite database: {exc}.") from None
    # A read-only folder: SQLite cannot create the -shm file; nobody can be writing here either.
    wal = Path(f"{path}-wal")
    if wal.is_file() and wal.stat().st_size > 0:
        raise StoreError(f"The store {where} must have its changes merged to be read from a read-only folder. "
                         f"Got a non-empty {str(wal)!r} next to it: copy both files to a writable folder.")
    try:
        return _connect(path, "mode=ro&immutable=1", timeout_s)
    except sqlite3.Error as exc:
        raise StoreError(f"The store {where} must be a readable SQLite database: {exc}.") from None


def has_companions(path: Path) -> bool:
    """Whether SQLite's ``-wal`` or ``-shm`` file exists next to ``path``."""
    return any(Path(f"{path}{suffix}").exists() for suffix in ("-wal", "-shm"))


def tidy_companions(path: Path, timeout_s: float) -> None:
    """Remove the ``-wal``/``-shm`` files a read-only connection left next to ``path`` the way SQLite does:
    the last connection to close a WAL database merges the ``-wal`` file (empty after a read) and deletes
    both. A short read-write connection that only reads the schema closes in the reader's place; while
    another connection is open (a sweep at work) it is not the last, and the files stay, as they must."""
    if not has_companions(path):
        return
    try:
        conn = _connect(path, "mode=rw", timeout_s)  # mode=rw: never creates a file that went away
        try:
            conn.execute("PRAGMA query_only = 1")
            conn.execute("SELECT count(*) FROM sqlite_master").fetchall()
        finally:
            conn.close()
    except sqlite3.Error:  # a damaged or unwritable file: the companions stay, as with any reader
        pass


def prepare(conn: sqlite3.Connection, where: str, *, readonly: bool, timeout_s: float) -> int:
    """Check (and, when writing, create or migrate) the schema; returns the store's version.

    Raises :class:`StoreError` for a file that is not an SQLite database, a foreign database, a store from
    a newer scalinglab, or one missing a table or a column.
    """
    try:
        tables = _tables(conn)
    except sqlite3.Error as exc:
        raise StoreError(f"The store {where} must be a readable SQLite database: {exc}.") from None
    if "schema_version" not in tables:
        if tables:
            names = ", ".join(sorted(tables)[:5]) + (" ..." if len(tables) > 5 else "")
            raise StoreError(f"The store {where} must be a scalinglab run store (a schema_version table). Got "
                             f"an SQLite database with other tables ({names}); it was left unchanged.")
        if readonly:
            raise StoreError(f"The store {where} must hold scalinglab's tables. Got an empty database.")
    if not readonly:
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(timeout_s * 1000)}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")  # WAL + NORMAL: consistent after kill -9
            conn.execute("PRAGMA foreign_keys = ON")
            migrate(conn, where)
        except sqlite3.Error as exc:
            raise StoreError(f"The store {where} must accept writes to set up its tables: {exc}.") from None
    try:
        version = schema_version(conn)
        columns = {t: [row[1] for row in conn.execute(f"PRAGMA table_info({t})")] for t in _tables(conn)}
    except (sqlite3.Error, ValueError, TypeError) as exc:
        raise StoreError(f"The store {where} must be a readable scalinglab run store: {exc}.") from None
    if version > LATEST_VERSION:
        raise StoreError(f"The store {where} is at schema version {version}, newer than this scalinglab "
                         f"supports ({LATEST_VERSION}); upgrade scalinglab to open it.")
    if version < 1:  # a schema_version table and nothing in it: no store was ever set up here
        raise StoreError(f"The store {where} must be at schema version 1 or later to be read. Got version "
                         f"{version}: run a writing command on it (scalinglab lab sweep) to set it up.")
    # A read-only open of an older store reads it as it is (writers have just migrated): it is checked
    # against the tables of its own version, and the Store reads the columns it lacks as None.
    for table, expected in expected_columns(version).items():
        if table not in columns:
            raise StoreError(f"The store {where} is damaged: it must have a table {table!r}. Got none.")
        missing = [c for c in expected if c not in columns[table]]
        if missing:
            raise StoreError(f"The store {where} is damaged: table {table!r} must have the column(s) "
                             f"{', '.join(missing)}. Got none.")
    return version
