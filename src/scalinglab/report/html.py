"""HTML rendering of results: plans, laws, tables and the report page. No matplotlib needed here.

Every string that comes from the user (run names, column names, file names, law names) goes through
:func:`esc` (``html.escape`` with quotes); the page has no external references (no scripts, fonts or
style sheets), so it opens with no network.
"""

from __future__ import annotations

import html
import json
import math
import numbers
import re
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from .._units import format_si
from ..errors import ConfigError
from ..laws.base import Law

__all__ = ["esc", "fmt", "cell", "kind_of", "KINDS", "table", "plan_html", "law_html", "page", "CSS"]

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2em auto;max-width:1180px;
padding:0 1em;color:#1b1b1b;line-height:1.45}
h1{font-size:1.6em;border-bottom:2px solid #1f4e79;padding-bottom:.2em}
h2{font-size:1.25em;margin-top:2em;color:#1f4e79}
table{border-collapse:collapse;margin:.6em 0;font-size:.9em}
th,td{border:1px solid #ccc;padding:.25em .6em;text-align:right;vertical-align:top}
td{font-variant-numeric:tabular-nums}
sup{line-height:0}
th{background:#eef3f8}
td.l,th.l{text-align:left}
figure{margin:1em 0}
figure img{max-width:100%;height:auto;border:1px solid #ddd}
figcaption{font-size:.88em;color:#444;max-width:900px}
.src{font-size:.82em;color:#666}
.flag{color:#b00020;font-weight:bold}
.ok{color:#1b5e20;font-weight:bold}
pre{background:#f6f8fa;padding:.6em;overflow-x:auto;font-size:.8em}
nav a{margin-right:1em}
""".strip()


def esc(x: Any) -> str:
    """``html.escape(str(x), quote=True)``."""
    return html.escape(str(x), quote=True)


#: how :func:`cell` writes a number of each kind
KINDS = {
    "count": "parameters, tokens, GPU-hours, runs: 3 significant digits with K/M/B/T (119B, 404K, 245)",
    "flop": "compute: 3 significant digits times a power of ten (5.76 × 10^23)",
    "usd": "dollars: $1.46M, $12,345, $12.34, and 2 significant digits under a dollar ($0.0000076)",
    "percent": "a fraction (error, ARE, coverage, share) as a percentage, 3 significant digits (9.58%)",
    "signed_percent": "a relative deviation or offset as a signed percentage (+5.00%)",
    "ratio": "tokens/param, epochs: 3 significant digits (6.82)",
    "number": "4 significant digits, thousands separated, a power of ten outside 0.001-10^6",
}

# first match wins: order matters ("compute cut (FLOPs)" is compute, "tokens/param" a ratio, not tokens)
_KIND_RULES = (
    ("usd", r"usd|cost|\$|dollar|price"),
    ("signed_percent", r"deviation|offset"),
    ("percent", r"\b(error|are|mape|coverage|share|fraction)\b"),
    ("ratio", r"tokens ?/ ?param|tokens per param|\bepochs?\b|\bratio\b"),
    ("flop", r"flop|\bcompute\b|budget"),
    ("count", r"^[nd]$|param|token|gpu.?hours|\bruns\b|points"),
)


def kind_of(key: Any) -> str | None:
    """The kind of number (a key of :data:`KINDS`) a column header or row label names; ``None`` for any
    other (written as a plain number)."""
    if not isinstance(key, str) or not key.strip():
        return None
    k = key.strip().lower()
    return next((kind for kind, rule in _KIND_RULES if re.search(rule, k)), None)


class _Html(str):
    """Text that is already safe HTML (built here from formatted numbers): :func:`cell` does not escape it."""


def _sup(x: float, digits: int) -> str:
    """``x`` as ``m × 10<sup>e</sup>`` with ``digits`` significant digits."""
    m, e = f"{x:.{digits - 1}e}".split("e")
    m = m.rstrip("0").rstrip(".") if "." in m else m
    return f"{m} × 10<sup>{int(e)}</sup>"


def _number(x: float, digits: int = 4) -> str:
    if x == 0:
        return "0"
    e = math.floor(math.log10(abs(float(f"{x:.{digits - 1}e}"))))
    if -3 <= e < 6:
        return f"{x:,.{max(digits - 1 - e, 0)}f}"
    return _sup(x, digits)


def _usd(x: float) -> str:
    sign, a = ("−" if x < 0 else ""), abs(x)
    if a >= 1e6:
        return f"{sign}${format_si(a, 3)}"
    if a >= 1e3:
        return f"{sign}${a:,.0f}"
    if a >= 1 or a == 0:
        return f"{sign}${a:,.2f}"
    return f"{sign}${float(f'{a:.2g}'):.{max(2, 1 - math.floor(math.log10(a)))}f}"


def cell(x: Any, kind: str | None = None) -> str:
    """One table cell as safe HTML: ``None`` and non-finite numbers as an em-dash, booleans as yes/no, numbers
    by ``kind`` (see :data:`KINDS`; ``None`` for a plain number), anything else escaped text."""
    if x is None:
        return "—"
    if isinstance(x, _Html):
        return str(x)
    if isinstance(x, (bool, np.bool_)):
        return "yes" if x else "no"
    if not isinstance(x, numbers.Real):
        return esc(x)
    v = float(x)
    if not math.isfinite(v):
        return "—"
    if kind is not None and kind not in KINDS:
        raise ConfigError(f"The 'kind' parameter must be one of {', '.join(KINDS)} or None. Got {kind!r}.")
    if kind == "count":
        return format_si(v, 3) if abs(v) >= 1e3 else f"{float(f'{v:.3g}'):g}"
    if kind == "flop":
        return _sup(v, 3) if v != 0 else "0"
    if kind == "usd":
        return _usd(v)
    if kind == "percent":
        return f"{float(f'{100 * v:.3g}'):g}%"
    if kind == "signed_percent":
        return f"{100 * v:+.2f}%"
    if kind == "ratio":
        return _number(v, 3)
    if isinstance(x, numbers.Integral):
        return f"{int(x):,}"
    return _number(v, 4)


def fmt(x: Any, digits: int = 4) -> str:
    """A plain number for a table (``digits`` significant, thousands separated, a power of ten outside
    0.001-10^6); ``None`` as an em-dash; anything else as :func:`cell` writes it."""
    if isinstance(x, numbers.Real) and not isinstance(x, (bool, np.bool_, numbers.Integral)) \
            and math.isfinite(float(x)):
        return _number(float(x), digits)
    return cell(x)


def table(rows: Iterable[Sequence[Any]], header: Sequence[str] | None = None, *, left: int = 1,
          kinds: Sequence[str | None] | None = None) -> str:
    """An HTML table; the first ``left`` columns are left-aligned text; cells are escaped and numbers written
    by :func:`cell`, each by its column's kind: ``kinds[j]`` when given, else the kind its header names
    (:func:`kind_of`: "cost (USD)" is dollars, "mean ARE" a percentage, "N" a count...), else, when no
    header names a kind (key/value tables: "compute C = 6ND" | 1.3e22), the kind the row's first cell names.
    """
    out = ["<table>"]
    col_kinds: list[str | None] = []
    if header and any(str(h).strip() for h in header):  # a header of empty cells is no header row
        out.append("<tr>" + "".join(f'<th class="{"l" if i < left else ""}">{esc(h)}</th>'
                                    for i, h in enumerate(header)) + "</tr>")
    if header:
        col_kinds = [kind_of(h) for h in header]
    if kinds is not None:
        col_kinds = list(kinds)
    by_row = not any(col_kinds)
    for row in rows:
        row_kind = kind_of(row[0]) if by_row and len(row) else None
        cells = []
        for i, c in enumerate(row):
            k = (col_kinds[i] if i < len(col_kinds) else None) or (row_kind if i >= left else None)
            cells.append(f'<td class="{"l" if i < left else ""}">{cell(c, k)}</td>')
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</table>")
    return "".join(out)


_PLAN_FIELDS = (
    ("n_params", "parameters N"), ("n_tokens", "training tokens D"), ("tokens_per_param", "tokens/param"),
    ("flops", "training FLOPs 6ND"), ("loss", "predicted loss"), ("inference_tokens", "lifetime inference tokens"),
    ("inference_flops", "inference FLOPs"), ("total_flops", "total FLOPs"), ("unique_tokens", "unique tokens"),
    ("epochs", "epochs"),
)


def plan_html(plan: Any) -> str:
    """A :class:`scalinglab.plan.Plan` as an HTML table with its intervals and notes (for Jupyter's
    ``_repr_html_`` and the report)."""
    d = plan.as_dict()
    iv = d.get("intervals", {})
    level = next(iter(iv.values()))["level"] if iv else None
    header = ["quantity", "value"] + ([f"{level:.0%} interval"] if iv else [])
    rows = []
    for key, label in _PLAN_FIELDS:
        if d.get(key) is None:
            continue
        row = [label, d[key]]
        if iv:
            i, k = iv.get(key), kind_of(label)
            row.append(_Html(f"{cell(i['low'], k)} – {cell(i['high'], k)}") if i else "—")
        rows.append(row)
    cost = d.get("cost")
    if cost:
        rows.append([f"GPU-hours ({cost.get('gpu')}, MFU {cost.get('mfu')})", cost.get("gpu_hours")]
                    + (["—"] if iv else []))
        rows.append(["cost (USD)", cost.get("usd")] + (["—"] if iv else []))
    notes = "".join(f"<li>{esc(n)}</li>" for n in d.get("notes", []))
    n_samples = next(iter(iv.values()))["n_samples"] if iv else 0
    caption = (f'<p class="src">Plan question {esc(d["question"])!s} under law {esc(d["law"])}'
               + (f"; intervals from {n_samples} law variants" if iv else "") + ".</p>")
    return table(rows, header) + caption + (f"<ul>{notes}</ul>" if notes else "")


def law_html(law: Law, *, intervals: dict[str, tuple[float, float]] | None = None, level: float = 0.90) -> str:
    """A law's formula, coefficients (with ``intervals`` when given) and citation as HTML."""
    co = law.coefficients()
    header = ["coefficient", "value"] + ([f"{level:.0%} interval"] if intervals else [])
    rows = []
    for k, v in co.items():
        row: list[Any] = [k, v]
        if intervals:
            lo_hi = intervals.get(k)
            row.append(_Html(f"{cell(lo_hi[0])} – {cell(lo_hi[1])}") if lo_hi else "—")
        rows.append(row)
    return (f"<p><b>{esc(law.name)}</b> ({esc(law.family)}): <code>{esc(law.formula)}</code></p>"
            + table(rows, header)
            + f'<p class="src">Citation: {esc(law.citation)}</p>'
            + (f'<p class="src">{esc(law.notes)}</p>' if law.notes else ""))


def json_block(data: Any) -> str:
    """Pretty JSON, escaped, in a ``<pre>`` block."""
    return f"<pre>{esc(json.dumps(data, indent=2, default=str))}</pre>"


def page(title: str, sections: Sequence[tuple[str, str, str]]) -> str:
    """The whole document: ``sections`` are ``(anchor, heading, body_html)``; heading is escaped."""
    nav = " ".join(f'<a href="#{esc(a)}">{esc(h)}</a>' for a, h, _ in sections)
    body = "\n".join(f'<section id="{esc(a)}"><h2>{esc(h)}</h2>\n{b}</section>' for a, h, b in sections)
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{esc(title)}</title><style>{CSS}</style></head>\n"
            f"<body><h1>{esc(title)}</h1><nav>{nav}</nav>\n{body}\n</body></html>\n")
