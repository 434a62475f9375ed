"""Save a :class:`~scalinglab.fit.compare.Comparison` as JSON (format ``scalinglab.comparison``, version 1) and
read it back, for ``scalinglab report --compare`` to show without refitting.

A file that is not UTF-8 JSON, has another format or version, or misses a field or holds one of the wrong type
gives one :class:`~scalinglab.errors.ConfigError` naming the file, the field and what it holds.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from .._io import write_atomic
from ..errors import ConfigError
from ._compare_result import Comparison, SideFit

__all__ = ["save_comparison", "load_comparison", "comparison_from_dict", "FORMAT", "VERSION"]

FORMAT = "scalinglab.comparison"
VERSION = 1


def _json(x: Any) -> Any:
    if isinstance(x, float) and not np.isfinite(x):
        return "inf" if x > 0 else None
    if isinstance(x, dict):
        return {k: _json(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_json(v) for v in x]
    if hasattr(x, "tolist"):
        return _json(x.tolist())
    return x


def save_comparison(cmp: Comparison, path: str | Path, *, name: str = "path") -> Path:
    """Write ``cmp`` as JSON, atomically; ``name`` is the parameter an error names (the CLI's ``out``)."""
    return write_atomic(path, json.dumps(_json(cmp.as_dict()), indent=2) + "\n", name)


class _Reader:
    def __init__(self, where: str) -> None:
        self.where = where

    def fail(self, field: str, rule: str, value: Any) -> ConfigError:
        shown = repr(value)
        shown = shown if len(shown) <= 60 else shown[:60] + "…"
        return ConfigError(f"The comparison {self.where}: field {field!r} must be {rule}. Got {shown}.")

    def get(self, d: Any, key: str, kind: Any, rule: str, *, field: str | None = None) -> Any:
        if not isinstance(d, dict) or key not in d:
            raise self.fail(field or key, rule, "nothing (the field is missing)")
        v = d[key]
        if not isinstance(v, kind) or isinstance(v, bool) and kind is not bool:
            raise self.fail(field or key, rule, v)
        return v

    def num(self, v: Any, field: str) -> float:
        if v == "inf":
            return float("inf")
        if v is None:
            return float("nan")
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise self.fail(field, "a number, \"inf\" or null", v)
        return float(v)

    def nums(self, v: Any, field: str) -> np.ndarray:
        if not isinstance(v, list):
            raise self.fail(field, "a list of numbers", v)
        return np.array([self.num(x, field) for x in v], dtype=float)


def _side(r: _Reader, d: Any, i: int) -> SideFit:
    f = f"sides[{i}]"
    get = r.get
    rng = d.get("data_range") if isinstance(d, dict) else None
    return SideFit(
        get(d, "label", str, "text", field=f"{f}.label"), get(d, "name", str, "text", field=f"{f}.name"),
        get(d, "kind", str, "text", field=f"{f}.kind"), get(d, "what", str, "text", field=f"{f}.what"),
        d.get("n_runs"), r.nums(get(d, "x", list, "a list", field=f"{f}.x"), f"{f}.x"),
        r.nums(get(d, "loss", list, "a list", field=f"{f}.loss"), f"{f}.loss"),
        {k: r.num(v, f"{f}.curve.{k}") for k, v in get(d, "curve", dict, "an object", field=f"{f}.curve").items()},
        {k: tuple(r.nums(v, f"{f}.intervals.{k}")) for k, v in
         get(d, "intervals", dict, "an object", field=f"{f}.intervals").items()},
        None if rng is None else tuple(r.nums(rng, f"{f}.data_range")), tuple(d.get("notes", ())),
        int(d.get("n_requested", 0)), int(d.get("n_failed", 0)),
        get(d, "variable", str, "text", field=f"{f}.variable"))


def comparison_from_dict(d: Any, where: str = "document") -> Comparison:
    """The :class:`Comparison` a saved document holds (:func:`save_comparison`)."""
    r = _Reader(where)
    if not isinstance(d, dict) or d.get("format") != FORMAT:
        raise r.fail("format", repr(FORMAT), d.get("format") if isinstance(d, dict) else d)
    if d.get("format_version") != VERSION:
        raise r.fail("format_version", str(VERSION), d.get("format_version"))
    rows = r.get(d, "multipliers", list, "a list of rows")
    for j, row in enumerate(rows):
        r.get(row, "x", (int, float), "a number", field=f"multipliers[{j}].x")
    ivs = [row.get("interval") or [None, None] for row in rows]
    trend = r.get(d, "trend", dict, "an object")
    sides = r.get(d, "sides", list, "a list of two sides")
    if len(sides) != 2:
        raise r.fail("sides", "a list of two sides", sides)
    exp_iv = d.get("exponent_interval")
    t_iv = trend.get("interval")
    grid = r.get(d, "grid", dict, "an object")
    return Comparison(
        by=r.get(d, "by", str, "text"), exponents=r.get(d, "exponents", str, "text"),
        level=r.num(r.get(d, "level", (int, float), "a number"), "level"), seed=int(d.get("seed", 0)),
        hold=d.get("hold"), n_bootstrap=int(d.get("n_bootstrap", 0)), n_pairs=int(d.get("n_pairs", 0)),
        n_degenerate=int(d.get("n_degenerate", 0)), sides=(_side(r, sides[0], 0), _side(r, sides[1], 1)),
        at=np.array([float(row["x"]) for row in rows]),
        multiplier=np.array([r.num(row.get("multiplier"), f"multipliers[{j}].multiplier") for j, row in enumerate(rows)]),
        lower=np.array([r.num(iv[0], "interval") for iv in ivs]), upper=np.array([r.num(iv[1], "interval") for iv in ivs]),
        unreachable=np.array([float(row.get("unreachable_share", 0.0)) for row in rows]),
        at_reasons=tuple(row.get("not_identified") or "" for row in rows),
        exponent_difference=d.get("exponent_difference"),
        exponent_interval=None if exp_iv is None else tuple(r.nums(exp_iv, "exponent_interval")),
        trend_range=tuple(r.nums(r.get(trend, "range", list, "a list", field="trend.range"), "trend.range")),
        trend=r.num(trend.get("ratio"), "trend.ratio"),
        trend_interval=None if t_iv is None else tuple(r.nums(t_iv, "trend.interval")),
        verdict=r.get(d, "verdict", str, "text"), verdict_reason=str(d.get("verdict_reason", "")),
        status=r.get(d, "status", str, "text"), reasons=tuple(d.get("reasons", ())),
        grid={k: (list(r.nums(v, f"grid.{k}")) if isinstance(v, list) else v) for k, v in grid.items()},
        provenance=dict(d.get("provenance") or {}))


def load_comparison(path: str | Path) -> Comparison:
    """A comparison saved by :func:`save_comparison` (``scalinglab compare --out``)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"The comparison file must be a readable UTF-8 file. Got {str(p)!r}: "
                          f"{getattr(exc, 'strerror', None) or exc}.") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"The comparison file must hold JSON. Got {str(p)!r}: {exc.msg} at line {exc.lineno}.") \
            from None
    return comparison_from_dict(doc, f"file {str(p)!r}")
