"""Save and load a :class:`~scalinglab.laws.downstream_chain.DownstreamFit` as versioned JSON.

Format ``scalinglab.downstream-fit``, version 1: the method, the level, provenance, and per target its tasks,
step 1 as a ``scalinglab.fitted-law`` document (point law, paired refits, run scatter, verdict), step 2's form,
θ and citation, its paired refits' θ, its score scatter and the losses it was fitted on. Every field is checked
on load with the law files' checker (:class:`scalinglab.laws._read.Checker`): one ConfigError naming the field,
the rule and the value.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from .._io import write_atomic
from ._read import Checker, read_json
from .base import Citation
from .downstream import SCORE_FORMS, ScoreMap
from .downstream_chain import DownstreamFit, TaskChain
from .fitted import RunScatter
from .io import _json_default, fitted_to_dict

__all__ = ["FORMAT", "VERSION", "downstream_to_dict", "downstream_from_dict", "save_downstream",
           "load_downstream"]

FORMAT = "scalinglab.downstream-fit"
VERSION = 1
_TOP = (("format", "format_version", "method", "chains"), ("level", "provenance"))
_CHAIN = (("target", "tasks", "step1", "step2"), ("step2_samples", "step2_scatter", "loss_range", "summary"))
_MAP = (("form", "theta"), ("name", "citation", "notes"))


def _citation(c: Citation) -> dict[str, Any]:
    return {"authors": c.authors, "year": c.year, "title": c.title, "arxiv": c.arxiv, "where": c.where}


def downstream_to_dict(fit: DownstreamFit) -> dict[str, Any]:
    """Plain-JSON form of a downstream fit."""
    chains = []
    for c in fit.chains.values():
        m = c.score_map
        chains.append({
            "target": c.target, "tasks": list(c.tasks), "step1": fitted_to_dict(c.loss_fit),
            "step2": {"form": m.form, "theta": list(m.theta), "name": m.name, "citation": _citation(m.citation),
                      "notes": m.notes},
            "step2_samples": [list(s.theta) for s in c.score_samples],
            "step2_scatter": None if c.score_scatter is None else c.score_scatter.as_dict(),
            "loss_range": list(c.loss_range), "summary": c.summary,
        })
    return {"format": FORMAT, "format_version": VERSION, "method": fit.method, "level": fit.level,
            "chains": chains, "provenance": fit.provenance}


def save_downstream(fit: DownstreamFit, path: str | Path, *, name: str = "out") -> Path:
    """Write ``fit`` as JSON, atomically; ``name`` is the parameter an error names."""
    text = json.dumps(downstream_to_dict(fit), indent=2, default=_json_default) + "\n"
    return write_atomic(path, text, name)


def load_downstream(path: str | Path) -> DownstreamFit:
    """A downstream fit saved by :func:`save_downstream` (or ``scalinglab downstream fit -o``)."""
    return downstream_from_dict(read_json(path), path)


def _theta(ck: Checker, field: str, value: Any, form: str) -> tuple[float, ...]:
    k = SCORE_FORMS[form].k
    if not isinstance(value, list) or len(value) != k:
        ck.fail(field, f"be an array of the {k} numbers ({', '.join(SCORE_FORMS[form].theta_names)}) of a "
                       f"{form} map", value)
    out = []
    for i, v in enumerate(value):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            ck.fail(f"{field}[{i}]", "be a finite number", v)
        out.append(float(v))
    return tuple(out)


def downstream_from_dict(d: Any, path: str | Path | None = None) -> DownstreamFit:
    """Inverse of :func:`downstream_to_dict`, every field checked."""
    ck = Checker(path)
    if not isinstance(d, dict):
        ck.fail("", "hold one JSON object", d)
    if d.get("format") != FORMAT:
        ck.fail("format", f"be {FORMAT!r} (a file written by `scalinglab downstream fit -o`)", d.get("format"))
    if isinstance(d.get("format_version"), bool) or d.get("format_version") != VERSION:
        ck.fail("format_version", f"be {VERSION} (this scalinglab reads {FORMAT} version {VERSION})",
                d.get("format_version"))
    ck.obj("", d, _TOP)
    level = ck.number("level", d["level"], "in (0, 1)") if d.get("level") is not None else 0.9
    if not isinstance(d["chains"], list) or not d["chains"]:
        ck.fail("chains", "be a non-empty array of chains", d["chains"])
    chains = {}
    for i, raw in enumerate(d["chains"]):
        chain = _chain(ck, f"chains[{i}]", raw, level)
        if chain.target in chains:
            ck.fail(f"chains[{i}].target", "name each target once", chain.target)
        chains[chain.target] = chain
    return DownstreamFit(ck.text("method", d["method"], nonempty=True), chains, level,
                         ck.optional_obj("provenance", d.get("provenance")))


def _chain(ck: Checker, field: str, raw: Any, level: float) -> TaskChain:
    c = ck.obj(field, raw, _CHAIN)
    if not isinstance(c["step1"], dict):
        ck.fail(f"{field}.step1", "be a scalinglab.fitted-law object", c["step1"])
    step1 = ck.fitted(c["step1"])
    m = ck.obj(f"{field}.step2", c["step2"], _MAP)
    form = ck.choice(f"{field}.step2.form", m["form"], SCORE_FORMS)
    cit = m.get("citation")
    score_map = ScoreMap(form, _theta(ck, f"{field}.step2.theta", m["theta"], form),
                         ck.text(f"{field}.step2.name", m.get("name") or "fitted-score-map"),
                         SCORE_FORMS[form].citation if cit is None else ck.citation(f"{field}.step2.citation", cit),
                         ck.text(f"{field}.step2.notes", m.get("notes") or ""))
    raw_samples = c.get("step2_samples") or []
    if not isinstance(raw_samples, list) or len(raw_samples) != len(step1.samples):
        ck.fail(f"{field}.step2_samples", f"be an array of {len(step1.samples)} refits, one per step-1 refit",
                raw_samples)
    samples = tuple(ScoreMap(form, _theta(ck, f"{field}.step2_samples[{j}]", s, form), f"{score_map.name}[{j}]",
                             score_map.citation) for j, s in enumerate(raw_samples))
    scatter = None
    if c.get("step2_scatter") is not None:
        s = ck.obj(f"{field}.step2_scatter", c["step2_scatter"], (("sigma", "df"), ("kappa", "flops_max", "n_folds", "note")))
        scatter = _score_scatter(ck, field, s)
    lr = c.get("loss_range") or [math.nan, math.nan]
    if not isinstance(lr, list) or len(lr) != 2 or not all(isinstance(v, (int, float)) for v in lr):
        ck.fail(f"{field}.loss_range", "be two numbers", lr)
    tasks = ck.texts(f"{field}.tasks", c["tasks"])
    return TaskChain(ck.text(f"{field}.target", c["target"], nonempty=True), tasks, step1, score_map, samples,
                     scatter, (float(lr[0]), float(lr[1])), level, ck.optional_obj(f"{field}.summary", c.get("summary")))


def _score_scatter(ck: Checker, field: str, s: dict[str, Any]) -> RunScatter:
    return RunScatter(ck.number(f"{field}.step2_scatter.sigma", s["sigma"], ">= 0"),
                      ck.integer(f"{field}.step2_scatter.df", s["df"], 1), 0.0, math.inf, 0,
                      ck.text(f"{field}.step2_scatter.note", s.get("note") or ""))
