"""Save and load laws as JSON.

Two formats:

- ``scalinglab.law`` (version 1): one law's coefficients and citation; a Chinchilla law may carry bootstrap
  ``samples`` (files written by scalinglab 0.1 before fitted laws had their own format).
- ``scalinglab.fitted-law`` (version 2): a :class:`~scalinglab.laws.fitted.FittedLaw` — the point law, the
  bootstrap refits of any family, the run scatter, the identification verdict, provenance and audit.

:func:`load_fitted` reads both (a version-1 file becomes a FittedLaw whose identifiability is
``unchecked``); :func:`load_law` returns the point law of either.

Every law document is read and checked by :mod:`scalinglab.laws._read` and nowhere else (docs/laws.md, "Law
files"): a file that cannot be read, is not UTF-8 JSON, has an unknown format or version, an unknown or missing
field, or a field of the wrong type or out of its range gives one :class:`~scalinglab.errors.ConfigError` naming
the field, the rule and the value; a document that passes builds a law whose coefficients are finite and in
range.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .._io import write_atomic
from ._read import (COEFFICIENTS, FITTED_FORMAT_VERSION, FORMAT_VERSION, FORMATS, MAX_DEPTH, Checker, build_law,
                    read_json)
from .base import Law
from .chinchilla import Chinchilla
from .fitted import FittedLaw
from .powerlaw import PowerLaw

__all__ = ["law_to_dict", "law_from_dict", "save_law", "load_law", "FORMAT_VERSION", "FITTED_FORMAT_VERSION",
           "FORMATS", "COEFFICIENTS", "MAX_DEPTH", "fitted_to_dict", "fitted_from_dict", "save_fitted",
           "load_fitted", "build_law"]


def law_to_dict(law: Law, provenance: dict[str, Any] | None = None) -> dict[str, Any]:
    """Plain-JSON form of a law: family, name, coefficients, citation, samples and provenance."""
    c = law.citation
    out: dict[str, Any] = {
        "format": "scalinglab.law",
        "format_version": FORMAT_VERSION,
        "family": law.family,
        "name": law.name,
        "coefficients": law.coefficients(),
        "citation": {"authors": c.authors, "year": c.year, "title": c.title, "arxiv": c.arxiv,
                     "where": c.where},
        "notes": law.notes,
    }
    if isinstance(law, PowerLaw):
        out["variable"] = law.variable
    if isinstance(law, Chinchilla) and law.samples:
        out["samples"] = [s.as_dict() for s in law.samples]
    if provenance:
        out["provenance"] = provenance
    return out


def law_from_dict(d: dict[str, Any]) -> Law:
    """Inverse of :func:`law_to_dict` (a version-2 fitted-law document gives its point law)."""
    return Checker().point_law(d)


def fitted_to_dict(fitted: FittedLaw) -> dict[str, Any]:
    """Plain-JSON form of a fitted law (format ``scalinglab.fitted-law``, version 2)."""
    return {
        "format": "scalinglab.fitted-law",
        "format_version": FITTED_FORMAT_VERSION,
        "law": law_to_dict(fitted.law),
        "level": fitted.level,
        "samples": [s.coefficients() for s in fitted.samples],
        "scatter": None if fitted.scatter is None else fitted.scatter.as_dict(),
        "identification": fitted.identification.as_dict(),
        "summary": fitted.summary,
        "audit": fitted.audit,
        "provenance": fitted.provenance,
    }


def fitted_from_dict(d: dict[str, Any]) -> FittedLaw:
    """Inverse of :func:`fitted_to_dict`; a version-1 law document becomes an ``unchecked`` FittedLaw."""
    return Checker().fitted(d)


def save_fitted(fitted: FittedLaw, path: str | Path, *, name: str = "path") -> Path:
    """Write ``fitted`` as versioned JSON, atomically (a failed write leaves the old file as it was); ``name``
    is the parameter an error names (the CLI's ``out``)."""
    return write_atomic(path, json.dumps(fitted_to_dict(fitted), indent=2, default=_json_default) + "\n", name)


def _json_default(x: Any) -> Any:
    if hasattr(x, "tolist"):
        return x.tolist()
    raise TypeError(f"{type(x).__name__} is not JSON serialisable")


def load_fitted(path: str | Path) -> FittedLaw:
    """A saved law of either format as a :class:`FittedLaw`."""
    return Checker(path).fitted(read_json(path))


def save_law(law: Law, path: str | Path, provenance: dict[str, Any] | None = None, *, name: str = "path") -> Path:
    """Write ``law`` as JSON, atomically; ``name`` is the parameter an error names."""
    return write_atomic(path, json.dumps(law_to_dict(law, provenance), indent=2) + "\n", name)


def load_law(path: str | Path) -> Law:
    """The point law of a saved law of either format."""
    return Checker(path).point_law(read_json(path))


