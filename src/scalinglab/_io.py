"""Output files, written so that a failure never leaves half a file or loses what was computed.

:func:`check_writable` runs before the expensive work (a fit, a report) so a bad ``--out`` fails first;
:func:`write_atomic` writes a sibling temporary file, flushes it to disk and renames it over the target, so
a full disk, a kill or an error leaves the old file (or none), never a truncated one. Every failure is a
:class:`~scalinglab.errors.ConfigError` naming the parameter, the rule and the path.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .errors import ConfigError

__all__ = ["check_writable", "write_atomic"]


def check_writable(path: str | Path, name: str = "out") -> Path:
    """``path`` as a :class:`Path` when a file can be written there: a non-empty name, not a directory, in an
    existing, writable folder (a missing folder is not created: a typo must not make ``/nonexistent``)."""
    if str(path).strip() == "":
        raise ConfigError(f"The '{name}' parameter must name a file. Got ''.")
    p = Path(path)
    if p.is_dir():
        raise ConfigError(f"The '{name}' parameter must name a file, not a directory. Got {str(p)!r}.")
    folder = p.parent if str(p.parent) else Path(".")
    if not folder.is_dir():
        raise ConfigError(f"The '{name}' parameter must be in an existing folder; {str(folder)!r} does not exist. "
                          f"Got {str(p)!r}.")
    if not os.access(folder, os.W_OK | os.X_OK) or (p.exists() and not os.access(p, os.W_OK)):
        raise ConfigError(f"The '{name}' parameter must be a writable path; permission denied. Got {str(p)!r}.")
    return p


def write_atomic(path: str | Path, data: str | bytes, name: str = "out") -> Path:
    """Write ``data`` (text as UTF-8) to ``path`` atomically: all of it or, on any failure, nothing changed."""
    p = check_writable(path, name)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if p.exists() and not p.is_file():  # /dev/full, a FIFO ...: no rename over it; write in place, checked
        try:
            with open(p, "wb") as f:
                f.write(raw)
                f.flush()
        except OSError as exc:
            raise ConfigError(f"The '{name}' file could not be written ({exc.strerror}). Got {str(p)!r}.") from None
        return p
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent if str(p.parent) else ".")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(raw)
            f.flush()
            os.fsync(f.fileno())
        if p.exists():
            os.chmod(tmp, p.stat().st_mode & 0o777)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, p)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise ConfigError(f"The '{name}' file could not be written ({exc.strerror}). Got {str(p)!r}.") from None
    return p
