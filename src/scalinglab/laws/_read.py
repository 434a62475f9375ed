"""Reading and checking law documents: the one place a law file is parsed and checked.

:func:`read_json` turns a file that cannot be read, is not UTF-8, is not JSON or nests too deep into one
:class:`~scalinglab.errors.ConfigError`; :class:`Checker` checks a parsed document field by field (format and
version first, then every field's presence, type and range, and that no unknown field is present) and builds the
law, each failure one ConfigError naming the field, the rule and the value, and the file when there is one. The
rules are in docs/laws.md ("Law files"); :mod:`scalinglab.laws.io` is the public face.
"""

from __future__ import annotations

import json
import math
import numbers
import stat
from dataclasses import replace
from pathlib import Path
from typing import Any, NoReturn

from .._intervals import DEFAULT_LEVEL
from ..errors import ConfigError
from .base import Citation, Law
from .chinchilla import Chinchilla, ChinchillaParams
from .datablations import DataConstrained
from .fitted import STATUSES, FittedLaw, Identification, RunScatter
from .kaplan import KaplanJoint
from .overtraining import OverTraining
from .powerlaw import VARIABLES, PowerLaw

__all__ = ["FORMAT_VERSION", "FITTED_FORMAT_VERSION", "FORMATS", "COEFFICIENTS", "MAX_DEPTH", "build_law",
           "read_json", "Checker"]

FORMAT_VERSION = 1
FITTED_FORMAT_VERSION = 2
#: every format this release reads, with the one version of it that it reads
FORMATS = {"scalinglab.law": FORMAT_VERSION, "scalinglab.fitted-law": FITTED_FORMAT_VERSION}
#: each family's coefficients and the rule each must meet (every coefficient is also a finite number)
COEFFICIENTS: dict[str, dict[str, str]] = {
    "chinchilla": {"E": ">= 0", "A": "> 0", "B": "> 0", "alpha": "> 0", "beta": "> 0"},
    "kaplan": {"alpha_N": "> 0", "alpha_D": "> 0", "N_c": "> 0", "D_c": "> 0"},
    "data-constrained": {"E": ">= 0", "A": "> 0", "B": "> 0", "alpha": "> 0", "beta": "> 0", "R_D*": "> 0",
                         "R_N*": "> 0"},
    "over-training": {"E": ">= 0", "a": "> 0", "b": "> 0", "eta": "> 0"},
    "power-law": {"E": ">= 0", "A": "> 0", "alpha": "> 0"},
}
#: coefficients written for the reader's benefit and recomputed on load (Kaplan's x_c of a power law with E = 0)
_DERIVED = {"power-law": {"x_c": "> 0"}}
#: deepest nesting of arrays and objects a law file may have (saved files nest about 6 deep)
MAX_DEPTH = 64
#: the largest whole number a count may be (floats hold every integer up to 2^53 exactly)
_MAX_INT = 2**53

# (required, optional) fields of each object in a law document
_LAW = (("format", "format_version", "family", "name", "coefficients", "citation"),
        ("notes", "variable", "samples", "provenance"))
_FITTED = (("format", "format_version", "law", "identification"),
           ("level", "samples", "scatter", "summary", "audit", "provenance"))
_CITATION = (("authors", "year", "title"), ("arxiv", "where"))
_SCATTER = (("sigma", "df"), ("kappa", "flops_max", "n_folds", "note"))
_IDENTIFICATION = (("status",),
                   ("reasons", "fix", "n_refits", "n_degenerate", "at_bound", "identified", "limits"))


def build_law(family: str, name: str, co: dict[str, float], citation: Citation, notes: str = "",
              variable: str | None = None) -> Law:
    """A law of ``family`` from its published coefficients by name (as ``Law.coefficients()`` gives them).

    The coefficients are taken as given: a law document's are checked against :data:`COEFFICIENTS` first.
    """
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
    raise ConfigError(f"The 'family' field must be one of {', '.join(COEFFICIENTS)}. Got {_show(family)}.")


def _file_error(rule: str, path: Path, name: str = "law") -> ConfigError:
    return ConfigError(f"The {name!r} file must {rule}. Got {_show(str(path), 200)}.")


def read_json(path: str | Path, name: str = "law") -> Any:
    """The JSON value in a law file (or another JSON document: ``name`` is the parameter an error names); one
    ConfigError when it cannot be read, decoded or parsed."""
    path = Path(path)
    try:
        mode = path.stat().st_mode
        if stat.S_ISDIR(mode):
            raise _file_error("be a file, not a directory", path, name)
        if not stat.S_ISREG(mode):  # a FIFO or device would block or never end
            raise _file_error("be a regular file", path, name)
        raw = path.read_bytes()
    except FileNotFoundError:
        raise _file_error("exist", path, name) from None
    except OSError as exc:  # permission denied, name too long, I/O error, ...
        raise _file_error(f"be readable ({exc.strerror or type(exc).__name__})", path, name) from None
    try:
        text = raw.decode("utf-8-sig")  # a byte-order mark, which some editors write, is allowed
    except UnicodeDecodeError as exc:
        raise _file_error(f"be UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start} is not UTF-8)",
                          path, name) from None
    def once(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        d = dict(pairs)
        if len(d) < len(pairs):  # json.loads would keep the last of two values silently
            seen: set[str] = set()
            twice = next(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
            raise _file_error(f"hold each field once ({_show(twice)} appears twice)", path, name)
        return d

    try:
        return json.loads(text, object_pairs_hook=once)
    except json.JSONDecodeError as exc:
        raise _file_error(f"be valid JSON ({exc.msg}, line {exc.lineno})", path, name) from None
    except ConfigError:  # a field given twice
        raise
    except RecursionError:
        raise _file_error(f"nest arrays and objects at most {MAX_DEPTH} deep", path, name) from None
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        raise _file_error(f"be valid JSON ({str(exc).splitlines()[0].split(':')[0]})", path, name) from None


def _show(value: Any, limit: int = 60) -> str:
    """A JSON value as an error message shows it: on one line, short, never the whole of a big value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        try:
            return str(value) if abs(value) < 10**15 else f"{float(value):.6g}"
        except OverflowError:
            return f"an integer of {math.floor(math.log10(abs(value))) + 1} digits"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, str):
        s = repr(value)  # escapes newlines and lone surrogates
        return s if len(s) <= limit else s[: limit - 4] + "...'"
    if isinstance(value, list):
        return f"an array of {len(value)} items"
    if isinstance(value, dict):
        return f"an object with {len(value)} fields"
    return type(value).__name__


def _walk(doc: Any) -> tuple[int, str | None]:
    """The deepest nesting of ``doc`` and its first string that is not valid Unicode (a lone surrogate), found
    without recursion: a hostile file may nest deeper than Python's recursion limit allows to recurse."""
    deepest, stack = 0, [(doc, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return deepest, value
        elif isinstance(value, (dict, list)):
            deepest = max(deepest, depth)
            if depth > MAX_DEPTH:
                return deepest, None
            items = [*value.keys(), *value.values()] if isinstance(value, dict) else value
            stack.extend((v, depth + 1) for v in items)
    return deepest, None


def _opt(d: dict[str, Any], key: str, default: Any) -> Any:
    """An optional field: absent or null is ``default``."""
    value = d.get(key)
    return default if value is None else value


def _join(field: str, key: str | int) -> str:
    return f"{field}[{key}]" if isinstance(key, int) else f"{field}.{key}" if field else key


class Checker:
    """The checks of one law document. Every failure is one ConfigError: field, rule, value (and the file)."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.top = "The law document" if path is None else "The 'law' file"
        self.where = "" if path is None else f" in {_show(str(path), 200)}"

    def fail(self, field: str, rule: str, value: Any = None, *, got: str | None = None, of: str = "") -> NoReturn:
        what = f"The {field!r} field{of}" if field else self.top
        raise ConfigError(f"{what} must {rule}. Got {_show(value) if got is None else got}{self.where}.")

    # -- JSON shapes --------------------------------------------------------------------------------------------

    def obj(self, field: str, value: Any, fields: tuple[tuple[str, ...], tuple[str, ...]]) -> dict[str, Any]:
        """``value`` as an object holding every required field and no field outside ``fields``."""
        required, optional = fields
        if not isinstance(value, dict):
            self.fail(field, "be a JSON object", value)
        unknown = [k for k in value if k not in required and k not in optional]
        if unknown:
            self.fail(field, f"hold only the fields {', '.join(required + optional)}",
                      got=f"unknown {', '.join(_show(k) for k in unknown[:5])}")
        for key in required:
            if value.get(key) is None:
                self.fail(_join(field, key), "be present", got="nothing" if key not in value else "null")
        return value

    def number(self, field: str, value: Any, rule: str = "> 0", *, allow_inf: bool = False) -> float:
        """A JSON number meeting ``rule`` (``"> 0"``, ``">= 0"``, ``"in (0, 1)"``), finite unless ``allow_inf``."""
        what = f"be a {'' if allow_inf else 'finite '}number {rule}"
        if isinstance(value, bool) or not isinstance(value, numbers.Real):  # numpy numbers too (from Python)
            self.fail(field, what, value)
        try:
            x = float(value)
        except OverflowError:
            self.fail(field, what, value)
        ok = {"> 0": x > 0, ">= 0": x >= 0, "in (0, 1)": 0 < x < 1}[rule]
        if not ok or math.isnan(x) or (math.isinf(x) and not allow_inf):
            self.fail(field, what, value)
        return x

    def integer(self, field: str, value: Any, low: int = 0, high: int = _MAX_INT) -> int:
        """A whole number in ``[low, high]`` (``3`` or ``3.0``)."""
        whole = isinstance(value, numbers.Integral) or (isinstance(value, float) and value.is_integer())
        if isinstance(value, bool) or not whole or not low <= value <= high:
            self.fail(field, f"be a whole number from {low} to {high}", value)
        return int(value)

    def text(self, field: str, value: Any, *, nonempty: bool = False) -> str:
        if not isinstance(value, str) or (nonempty and not value.strip()):
            self.fail(field, "be a non-empty string" if nonempty else "be a string", value)
        return value

    def texts(self, field: str, value: Any) -> tuple[str, ...]:
        if not isinstance(value, list):
            self.fail(field, "be an array of strings", value)
        return tuple(self.text(_join(field, i), v) for i, v in enumerate(value))

    def choice(self, field: str, value: Any, choices: Any, *, of: str = "") -> str:
        if not isinstance(value, str) or value not in choices:
            self.fail(field, f"be one of {', '.join(choices)}", value, of=of)
        return value

    def optional_obj(self, field: str, value: Any) -> dict[str, Any]:
        """A free-form object (provenance, summary); absent or null is empty."""
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.fail(field, "be a JSON object or null", value)
        return dict(value)

    # -- law documents ------------------------------------------------------------------------------------------

    def document(self, d: Any, field: str = "") -> tuple[dict[str, Any], str]:
        """``d`` as a document of a known format and version (checked before its fields: a newer release's
        file is refused by its version, not by the fields it added)."""
        if not isinstance(d, dict):
            kind = "an array" if isinstance(d, list) else _show(d)
            self.fail(field, "hold one JSON object", got=kind)
        deepest, bad = _walk(d) if not field else (0, None)
        if deepest > MAX_DEPTH:
            self.fail(field, f"nest arrays and objects at most {MAX_DEPTH} deep", got=f"more than {MAX_DEPTH}")
        if bad is not None:
            self.fail(field, "hold only valid Unicode text", got=f"the string {_show(bad)}")
        fmt = d.get("format")
        if not isinstance(fmt, str) or fmt not in FORMATS:
            self.fail(_join(field, "format"), f"be {' or '.join(map(repr, FORMATS))}",
                      fmt, got="nothing" if "format" not in d else None)
        version = d.get("format_version")
        if isinstance(version, bool) or version != FORMATS[fmt]:
            kind = "fitted law" if fmt == "scalinglab.fitted-law" else "law"
            reads = " and ".join(f"{f} version {v}" for f, v in FORMATS.items())
            self.fail(_join(field, "format_version"), f"be {FORMATS[fmt]} (this scalinglab reads {reads})",
                      version, got="nothing" if "format_version" not in d else None, of=f" of a {kind}")
        return d, fmt

    def coefficients(self, field: str, value: Any, family: str) -> dict[str, float]:
        rules, derived = COEFFICIENTS[family], _DERIVED.get(family, {})
        names = ", ".join(rules)
        if not isinstance(value, dict):
            self.fail(field, f"be a JSON object of the {family} coefficients {names}", value)
        unknown = [k for k in value if k not in rules and k not in derived]
        if unknown:
            self.fail(field, f"hold only the {family} coefficients {names}", got=f"unknown {_show(unknown[0])}")
        for key in rules:
            if key not in value:
                self.fail(_join(field, key), f"be present (a {family} law has {names})", got="nothing")
        for key, rule in derived.items():
            if key in value:
                self.number(_join(field, key), value[key], rule)
        return {k: self.number(_join(field, k), value[k], rule) for k, rule in rules.items()}

    def citation(self, field: str, value: Any) -> Citation:
        c = self.obj(field, value, _CITATION)
        return Citation(self.text(_join(field, "authors"), c["authors"]),
                        self.integer(_join(field, "year"), c["year"], 0, 9999),
                        self.text(_join(field, "title"), c["title"]),
                        self.text(_join(field, "arxiv"), _opt(c, "arxiv", "")),
                        self.text(_join(field, "where"), _opt(c, "where", "")))

    def law(self, value: Any, field: str = "") -> Law:
        """A ``scalinglab.law`` (version 1) document as a law."""
        d, fmt = self.document(value, field)
        if fmt != "scalinglab.law":
            self.fail(_join(field, "format"), "be 'scalinglab.law'", fmt)
        self.obj(field, d, _LAW)
        family = self.choice(_join(field, "family"), d["family"], COEFFICIENTS)
        name = self.text(_join(field, "name"), d["name"], nonempty=True)
        co = self.coefficients(_join(field, "coefficients"), d["coefficients"], family)
        citation = self.citation(_join(field, "citation"), d["citation"])
        notes = self.text(_join(field, "notes"), _opt(d, "notes", ""))
        variable = None
        if family == "power-law":
            variable = self.choice(_join(field, "variable"), d.get("variable"), VARIABLES, of=" of a power law")
        elif d.get("variable") is not None:
            self.fail(_join(field, "variable"), "be absent (only a power law has one)", d["variable"],
                      of=f" of a {family} law")
        self.optional_obj(_join(field, "provenance"), d.get("provenance"))
        law = build_law(family, name, co, citation, notes, variable)
        samples = _opt(d, "samples", [])
        if samples and family != "chinchilla":
            self.fail(_join(field, "samples"), "be absent (a version-1 file keeps samples only for chinchilla)",
                      samples, of=f" of a {family} law")
        rows = self.rows(_join(field, "samples"), samples, "chinchilla")
        if rows:
            return Chinchilla(name, law.params, law.citation, law.notes,  # type: ignore[attr-defined]
                              tuple(ChinchillaParams(**r) for r in rows))
        return law

    def rows(self, field: str, value: Any, family: str) -> list[dict[str, float]]:
        if not isinstance(value, list):
            self.fail(field, f"be an array of {family} coefficient objects", value)
        return [self.coefficients(_join(field, i), v, family) for i, v in enumerate(value)]

    def point_law(self, value: Any) -> Law:
        d, fmt = self.document(value)
        return self.fitted(d).law if fmt == "scalinglab.fitted-law" else self.law(d)

    def fitted(self, value: Any) -> FittedLaw:
        """A document of either format as a FittedLaw."""
        d, fmt = self.document(value)
        if fmt == "scalinglab.law":
            base = FittedLaw.of(self.law(d))  # a Chinchilla law's samples become its refits
            status = "published" if not d.get("provenance") else "unchecked"
            reason = () if status == "published" else (
                "saved by scalinglab's version-1 format, which kept no identification verdict or run scatter",)
            return replace(base, identification=Identification(status, reason),
                           provenance=dict(d.get("provenance") or {}))
        self.obj("", d, _FITTED)
        law = self.law(d["law"], "law")
        variable = getattr(law, "variable", None)
        samples = tuple(build_law(law.family, f"{law.name}[{i}]", co, law.citation, "", variable)
                        for i, co in enumerate(self.rows("samples", _opt(d, "samples", []), law.family)))
        scatter = None if d.get("scatter") is None else self.scatter(d["scatter"])
        level = self.number("level", d["level"], "in (0, 1)") if d.get("level") is not None else DEFAULT_LEVEL
        audit = d.get("audit")
        if audit is not None and not isinstance(audit, dict):
            self.fail("audit", "be a JSON object or null", audit)
        return FittedLaw(law, self.identification(d["identification"]), samples, scatter, level,
                         self.optional_obj("provenance", d.get("provenance")),
                         self.optional_obj("summary", d.get("summary")), audit)

    def scatter(self, value: Any) -> RunScatter:
        s = self.obj("scatter", value, _SCATTER)
        flops_max = _opt(s, "flops_max", math.inf)  # inf: the fitted compute was not recorded
        return RunScatter(self.number("scatter.sigma", s["sigma"], ">= 0"),
                          self.integer("scatter.df", s["df"], 1),
                          self.number("scatter.kappa", _opt(s, "kappa", 0.0), ">= 0"),
                          self.number("scatter.flops_max", flops_max, "> 0", allow_inf=True),
                          self.integer("scatter.n_folds", _opt(s, "n_folds", 0)),
                          self.text("scatter.note", _opt(s, "note", "")))

    def identification(self, value: Any) -> Identification:
        i = self.obj("identification", value, _IDENTIFICATION)
        if i.get("identified") is not None and not isinstance(i["identified"], bool):
            self.fail("identification.identified", "be true or false", i["identified"])
        self.optional_obj("identification.limits", i.get("limits"))
        n_refits = self.integer("identification.n_refits", _opt(i, "n_refits", 0))
        n_degenerate = self.integer("identification.n_degenerate", _opt(i, "n_degenerate", 0), 0, n_refits)
        return Identification(self.choice("identification.status", i["status"], STATUSES),
                              self.texts("identification.reasons", _opt(i, "reasons", [])),
                              self.text("identification.fix", _opt(i, "fix", "")), n_refits, n_degenerate,
                              self.texts("identification.at_bound", _opt(i, "at_bound", [])))

