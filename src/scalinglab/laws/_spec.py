"""Telling a catalog name from a file name, for laws and hyperparameter rules alike."""

from __future__ import annotations

import os
from collections.abc import Container
from pathlib import Path

__all__ = ["spec_path"]


def spec_path(spec: object, catalog: Container[str]) -> Path | None:
    """The file an argument names, or None when it names an entry of ``catalog`` (or is not a string or path).

    A catalog name always means the catalog entry, even where a file of that name exists, so a stray file in the
    working directory never replaces a published one (write ``./name`` for such a file). Any other string names a
    file when it ends in ``.json``, holds a path separator or is an existing file; a ``Path`` always does.
    """
    if isinstance(spec, os.PathLike):
        return Path(os.fsdecode(spec))
    if not isinstance(spec, str) or spec in catalog:
        return None
    if spec.endswith(".json") or any(sep and sep in spec for sep in ("/", os.sep, os.altsep)):
        return Path(spec)
    try:
        return Path(spec) if Path(spec).is_file() else None
    except (OSError, ValueError):  # a name too long for the file system, a NUL byte: not a file
        return None
