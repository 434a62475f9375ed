"""Save and load laws as JSON.

Two formats:

- ``scalinglab.law`` (version 1): one law's coefficients and citation; a Chinchilla law may carry bootstrap
  ``samples`` (files written by scalinglab 0.1 before fitted laws had their own format).
- ``scalinglab.fitted-law`` (version 2): a :class:`~scalinglab.laws.fitted.FittedLaw` — the point law, the
  bootstrap refits of any family, the run scatter, the identification verdict, provenance and audit.

:func:`load_fitted` reads both (a version-1 file becomes a FittedLaw whose identifiability is
``unchecked``); :func:`load_law` returns the point law of either.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from .._intervals import DEFAULT_LEVEL
from .base import Citation, Law
from .chinchilla import Chinchilla, ChinchillaParams
from .datablations import DataConstrained
from .fitted import FittedLaw, Identification, RunScatter
from .kaplan import KaplanJoint
from .overtraining import OverTraining
from .powerlaw import PowerLaw

__all__ = ["law_to_dict", "law_from_dict", "save_law", "load_law", "FORMAT_VERSION", "FITTED_FORMAT_VERSION",
           "fitted_to_dict", "fitted_from_dict", "save_fitted", "load_fitted", "build_law"]

FORMAT_VERSION = 1
FITTED_FORMAT_VERSION = 2


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


def build_law(family: str, name: str, co: dict[str, float], citation: Citation, notes: str = "",
              variable: str | None = None) -> Law:
    """A law of ``family`` from its published coefficients by name (as ``Law.coefficients()`` gives them)."""
    if family == "chinchilla":
        return Chinchilla(name, ChinchillaParams(co["E"], co["A"], co["B"], co["alpha"], co["beta"]), citation, notes)
    if family == "kaplan":
        return KaplanJoint(name, co["alpha_N"], co["alpha_D"], co["N_c"], co["D_c"], citation, notes)
    if family == "data-constrained":
        params = ChinchillaParams(co["E"], co["A"], co["B"], co["alpha"], co["beta"])
        return DataConstrained(name, params, co["R_D*"], co["R_N*"], citation, notes)
    if family == "over-training":
        return OverTraining(name, co["E"], co["a"], co["b"], co["eta"], citation, notes)
    if family == "power-law":
        return PowerLaw(name, str(variable), co["E"], co["A"], co["alpha"], citation, notes)
    raise ConfigError(
        "The 'family' field must be one of chinchilla, kaplan, data-constrained, over-training, "
        f"power-law. Got {family!r}."
    )


def law_from_dict(d: dict[str, Any]) -> Law:
    """Inverse of :func:`law_to_dict` (a version-2 fitted-law file gives its point law)."""
    if d.get("format") == "scalinglab.fitted-law":
        return fitted_from_dict(d).law
    if d.get("format") != "scalinglab.law":
        raise ConfigError(f"The 'format' field must be 'scalinglab.law' or 'scalinglab.fitted-law'. "
                          f"Got {d.get('format')!r}.")
    try:
        fam, name, co = d["family"], d["name"], d["coefficients"]
        law = build_law(fam, name, co, Citation(**d["citation"]), d.get("notes", ""), d.get("variable"))
        if fam == "chinchilla" and d.get("samples"):
            samples = tuple(ChinchillaParams(**s) for s in d["samples"])
            return Chinchilla(name, law.params, law.citation, law.notes, samples)  # type: ignore[attr-defined]
        return law
    except (KeyError, TypeError) as exc:
        raise ConfigError(f"The law file must hold the field {exc}; it is missing or malformed.") from None


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
    """Inverse of :func:`fitted_to_dict`; a version-1 law file becomes an ``unchecked`` FittedLaw."""
    fmt, version = d.get("format"), d.get("format_version")
    if fmt == "scalinglab.law":
        base = FittedLaw.of(law_from_dict(d))  # a Chinchilla law's samples become its refits
        status = "published" if not d.get("provenance") else "unchecked"
        reason = () if status == "published" else (
            "saved by scalinglab's version-1 format, which kept no identification verdict or run scatter",)
        return replace(base, identification=Identification(status, reason), provenance=dict(d.get("provenance") or {}))
    if fmt != "scalinglab.fitted-law":
        raise ConfigError(f"The 'format' field must be 'scalinglab.law' or 'scalinglab.fitted-law'. Got {fmt!r}.")
    if version != FITTED_FORMAT_VERSION:
        raise ConfigError(f"The 'format_version' field of a fitted law must be {FITTED_FORMAT_VERSION} (this "
                          f"scalinglab reads versions 1 and {FITTED_FORMAT_VERSION}). Got {version!r}.")
    try:
        law = law_from_dict(d["law"])
        variable = d["law"].get("variable")
        samples = tuple(build_law(law.family, f"{law.name}[{i}]", co, law.citation, "", variable)
                        for i, co in enumerate(d.get("samples", [])))
        scatter = None if d.get("scatter") is None else RunScatter.from_dict(d["scatter"])
        return FittedLaw(law, Identification.from_dict(d["identification"]), samples, scatter,
                         float(d.get("level", DEFAULT_LEVEL)), dict(d.get("provenance") or {}),
                         dict(d.get("summary") or {}), d.get("audit"))
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"The fitted-law file must hold the field {exc}; it is missing or malformed.") from None


def save_fitted(fitted: FittedLaw, path: str | Path) -> Path:
    from .._io import write_atomic  # all or nothing: a failed write leaves the old file as it was

    return write_atomic(path, json.dumps(fitted_to_dict(fitted), indent=2, default=_json_default) + "\n", "path")


def _json_default(x: Any) -> Any:
    if hasattr(x, "tolist"):
        return x.tolist()
    raise TypeError(f"{type(x).__name__} is not JSON serialisable")


def _read_json(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"The 'law' file must exist. Got {str(path)!r}.") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"The 'law' file must be valid JSON ({exc.msg}, line {exc.lineno}). "
                          f"Got {str(path)!r}.") from None
    if not isinstance(data, dict):
        raise ConfigError(f"The 'law' file must hold a JSON object. Got {type(data).__name__} in {str(path)!r}.")
    return data


def load_fitted(path: str | Path) -> FittedLaw:
    """A saved law of either format as a :class:`FittedLaw`."""
    return fitted_from_dict(_read_json(path))


def save_law(law: Law, path: str | Path, provenance: dict[str, Any] | None = None) -> Path:
    from .._io import write_atomic  # all or nothing: a failed write leaves the old file as it was

    return write_atomic(path, json.dumps(law_to_dict(law, provenance), indent=2) + "\n", "path")


def load_law(path: str | Path) -> Law:
    return law_from_dict(_read_json(path))
