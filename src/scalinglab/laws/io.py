"""Save and load laws as JSON (fitted laws carry provenance and bootstrap samples)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from .base import Citation, Law
from .chinchilla import Chinchilla, ChinchillaParams
from .datablations import DataConstrained
from .kaplan import KaplanJoint
from .overtraining import OverTraining
from .powerlaw import PowerLaw

__all__ = ["law_to_dict", "law_from_dict", "save_law", "load_law", "FORMAT_VERSION"]

FORMAT_VERSION = 1


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
    """Inverse of :func:`law_to_dict`."""
    if d.get("format") != "scalinglab.law":
        raise ConfigError(f"The 'format' field must be 'scalinglab.law'. Got {d.get('format')!r}.")
    try:
        fam, name, co = d["family"], d["name"], d["coefficients"]
        cit = Citation(**d["citation"])
        notes = d.get("notes", "")
        if fam == "chinchilla":
            params = ChinchillaParams(co["E"], co["A"], co["B"], co["alpha"], co["beta"])
            samples = tuple(ChinchillaParams(**s) for s in d.get("samples", []))
            return Chinchilla(name, params, cit, notes, samples)
        if fam == "kaplan":
            return KaplanJoint(name, co["alpha_N"], co["alpha_D"], co["N_c"], co["D_c"], cit, notes)
        if fam == "data-constrained":
            params = ChinchillaParams(co["E"], co["A"], co["B"], co["alpha"], co["beta"])
            return DataConstrained(name, params, co["R_D*"], co["R_N*"], cit, notes)
        if fam == "over-training":
            return OverTraining(name, co["E"], co["a"], co["b"], co["eta"], cit, notes)
        if fam == "power-law":
            return PowerLaw(name, d["variable"], co["E"], co["A"], co["alpha"], cit, notes)
    except (KeyError, TypeError) as exc:
        raise ConfigError(f"The law file must hold the field {exc}; it is missing or malformed.") from None
    raise ConfigError(
        "The 'family' field must be one of chinchilla, kaplan, data-constrained, over-training, "
        f"power-law. Got {fam!r}."
    )


def save_law(law: Law, path: str | Path, provenance: dict[str, Any] | None = None) -> Path:
    path = Path(path)
    path.write_text(json.dumps(law_to_dict(law, provenance), indent=2) + "\n")
    return path


def load_law(path: str | Path) -> Law:
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"The 'law' file must exist. Got {str(path)!r}.") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"The 'law' file must be valid JSON ({exc.msg}, line {exc.lineno}). "
                          f"Got {str(path)!r}.") from None
    return law_from_dict(data)
