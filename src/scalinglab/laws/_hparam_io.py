"""Hyperparameter rule files (format ``scalinglab.hparam-rule``, version 1), and naming a rule.

A file holds both power laws (``lr`` and ``batch``: ``log_coef`` and ``exponents`` by variable), the citation,
the context, the domain, the bootstrap refits (``samples``, one row per refit in the order of
:meth:`~scalinglab.laws.hyperparams.HyperparamRule.coefficient_names`), a summary and the provenance. Reading
checks every field; a failure is one :class:`~scalinglab.errors.ConfigError` naming the field, rule and value.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from .._io import write_atomic
from ..errors import ConfigError
from ..flops import CONVENTIONS, COUNTS
from ._read import Checker, _join, _opt, read_json
from ._spec import spec_path
from .io import _json_default
from .hyperparams import HP_RULES, VARIABLES, HyperparamRule, PowerRule, get_hp_rule

__all__ = ["HP_FORMAT", "HP_FORMAT_VERSION", "rule_to_dict", "rule_from_dict", "save_rule", "load_rule",
           "resolve_hp_rule", "hp_rule_path"]

HP_FORMAT = "scalinglab.hparam-rule"
HP_FORMAT_VERSION = 1
_FIELDS = (("format", "format_version", "name", "lr", "batch", "citation"),
           ("notes", "context", "n_params_count", "flops_convention", "samples", "cov", "domain", "band_source",
            "summary", "provenance"))
_POWER = (("log_coef", "exponents"), ())
#: most bootstrap rows a file may hold (a fit draws 1,000 by default)
MAX_SAMPLES = 100_000


def rule_to_dict(rule: HyperparamRule) -> dict[str, Any]:
    """Plain-JSON form of a rule."""
    c = rule.citation
    return {
        "format": HP_FORMAT, "format_version": HP_FORMAT_VERSION, "name": rule.name,
        "lr": {"log_coef": rule.lr.log_coef, "exponents": dict(rule.lr.exponents)},
        "batch": {"log_coef": rule.batch.log_coef, "exponents": dict(rule.batch.exponents)},
        "citation": {"authors": c.authors, "year": c.year, "title": c.title, "arxiv": c.arxiv, "where": c.where},
        "notes": rule.notes, "context": rule.context, "n_params_count": rule.n_params_count,
        "flops_convention": rule.flops_convention,
        "samples": None if rule.samples is None else rule.samples.tolist(),
        "cov": None if rule.cov is None else rule.cov.tolist(),
        "domain": {k: list(v) for k, v in rule.domain.items()}, "band_source": rule.band_source,
        "summary": rule.summary, "provenance": rule.provenance,
    }


def _power(ck: Checker, field: str, value: Any) -> PowerRule:
    d = ck.obj(field, value, _POWER)
    log_coef = d["log_coef"]
    if isinstance(log_coef, bool) or not isinstance(log_coef, (int, float)) or not np.isfinite(log_coef):
        ck.fail(_join(field, "log_coef"), "be a finite number", log_coef)
    ex = d["exponents"]
    if not isinstance(ex, dict) or not ex or any(k not in VARIABLES for k in ex):
        ck.fail(_join(field, "exponents"), f"be an object of exponents by variable ({', '.join(VARIABLES)})",
                ex if not isinstance(ex, dict) else None,
                got=None if not isinstance(ex, dict) else f"keys {', '.join(map(repr, ex)) or 'none'}")
    for k, v in ex.items():
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not np.isfinite(v):
            ck.fail(_join(_join(field, "exponents"), k), "be a finite number", v)
    return PowerRule(float(log_coef), tuple((k, float(v)) for k, v in ex.items()))


def rule_from_dict(d: Any, path: str | Path | None = None) -> HyperparamRule:
    """Inverse of :func:`rule_to_dict`; every field checked."""
    ck = Checker(path)
    ck.top = "The hyperparameter rule document" if path is None else "The 'hp_rule' file"
    if not isinstance(d, dict):
        ck.fail("", "hold one JSON object", d)
    if d.get("format") != HP_FORMAT:
        ck.fail("format", f"be {HP_FORMAT!r} (a rule written by `scalinglab fit-hparams`)", d.get("format"),
                got="nothing" if "format" not in d else None)
    if isinstance(d.get("format_version"), bool) or d.get("format_version") != HP_FORMAT_VERSION:
        ck.fail("format_version", f"be {HP_FORMAT_VERSION} (this scalinglab reads {HP_FORMAT} version "
                f"{HP_FORMAT_VERSION})", d.get("format_version"))
    ck.obj("", d, _FIELDS)
    lr, batch = _power(ck, "lr", d["lr"]), _power(ck, "batch", d["batch"])
    k = len(lr.exponents) + len(batch.exponents) + 2
    samples = None
    raw = d.get("samples")
    if raw is not None:
        if not isinstance(raw, list) or len(raw) > MAX_SAMPLES or not all(
                isinstance(r, list) and len(r) == k and all(
                    isinstance(x, (int, float)) and not isinstance(x, bool) for x in r) for r in raw):
            ck.fail("samples", f"be an array of at most {MAX_SAMPLES:,} rows of {k} numbers (one per coefficient)",
                    raw)
        samples = np.asarray(raw, dtype=float).reshape(-1, k)
        if not np.isfinite(samples).all():
            ck.fail("samples", "hold finite numbers only", got="a NaN or infinite value")
    cov = None
    if d.get("cov") is not None:
        raw = d["cov"]
        if not isinstance(raw, list) or len(raw) != k or not all(
                isinstance(r, list) and len(r) == k and all(
                    isinstance(x, (int, float)) and not isinstance(x, bool) for x in r) for r in raw):
            ck.fail("cov", f"be a {k} × {k} array of numbers (the coefficients' covariance)", raw)
        cov = np.asarray(raw, dtype=float)
        if not np.isfinite(cov).all() or not np.allclose(cov, cov.T) or np.linalg.eigvalsh(cov).min() < -1e-12:
            ck.fail("cov", "be a finite, symmetric, positive semi-definite matrix", got="one that is not")
    domain = {}
    for v, rng in ck.optional_obj("domain", d.get("domain")).items():
        if v not in VARIABLES or not isinstance(rng, list) or len(rng) != 2:
            ck.fail(_join("domain", v), f"be [low, high] for a variable of {', '.join(VARIABLES)}", rng)
        domain[v] = (ck.number(_join("domain", v), rng[0]), ck.number(_join("domain", v), rng[1]))
    context = d.get("context")
    return HyperparamRule(
        name=ck.text("name", d["name"], nonempty=True), lr=lr, batch=batch,
        citation=ck.citation("citation", d["citation"]), notes=ck.text("notes", _opt(d, "notes", "")),
        context=None if context is None else ck.integer("context", context, 1, 10**9),
        n_params_count=ck.choice("n_params_count", _opt(d, "n_params_count", "non_embedding"), COUNTS),
        flops_convention=ck.choice("flops_convention", _opt(d, "flops_convention", "6N"), CONVENTIONS),
        samples=samples, cov=cov, domain=domain, band_source=ck.text("band_source", _opt(d, "band_source", "")),
        summary=ck.optional_obj("summary", d.get("summary")),
        provenance=ck.optional_obj("provenance", d.get("provenance")))


def save_rule(rule: HyperparamRule, path: str | Path, *, name: str = "out") -> Path:
    """Write ``rule`` as JSON, atomically; ``name`` is the parameter an error names."""
    return write_atomic(path, json.dumps(rule_to_dict(rule), indent=2, default=_json_default) + "\n", name)


def load_rule(path: str | Path) -> HyperparamRule:
    """A rule saved by :func:`save_rule`."""
    return rule_from_dict(read_json(path, "hp_rule"), path)


def hp_rule_path(spec: object) -> Path | None:
    """The file a rule argument names, or None for a catalog name (:func:`~scalinglab.laws._spec.spec_path`)."""
    return spec_path(spec, HP_RULES)


def resolve_hp_rule(spec: str | Path | HyperparamRule) -> HyperparamRule:
    """A rule from a catalog name, a rule file or a rule."""
    if isinstance(spec, HyperparamRule):
        return spec
    path = hp_rule_path(spec)
    if path is not None:
        return load_rule(path)
    if not isinstance(spec, str):
        raise ConfigError(f"The 'hp_rule' parameter must be a catalog name, a rule file or a HyperparamRule. "
                          f"Got {type(spec).__name__}.")
    return get_hp_rule(spec)
