"""HTML rendering of results: plans, laws, tables and the report page. No matplotlib needed here.

Every string that comes from the user (run names, column names, file names, law names) goes through
:func:`esc` (``html.escape`` with quotes); the page has no external references (no scripts, fonts or
style sheets), so it opens with no network.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Iterable, Sequence
from typing import Any

from ..laws.base import Law

__all__ = ["esc", "fmt", "table", "plan_html", "law_html", "page", "CSS"]

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2em auto;max-width:1180px;
padding:0 1em;color:#1b1b1b;line-height:1.45}
h1{font-size:1.6em;border-bottom:2px solid #1f4e79;padding-bottom:.2em}
h2{font-size:1.25em;margin-top:2em;color:#1f4e79}
table{border-collapse:collapse;margin:.6em 0;font-size:.9em}
th,td{border:1px solid #ccc;padding:.25em .6em;text-align:right;vertical-align:top}
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


def fmt(x: Any, digits: int = 4) -> str:
    """A number for a table: ``None`` as an em-dash, floats to ``digits`` significant figures."""
    if x is None:
        return "—"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        if isinstance(x, float) and not math.isfinite(x):
            return "—"
        return f"{x:.{digits}g}"
    return esc(x)


def table(rows: Iterable[Sequence[Any]], header: Sequence[str] | None = None, *, left: int = 1) -> str:
    """An HTML table; the first ``left`` columns are left-aligned text; cells are escaped (numbers via
    :func:`fmt`)."""
    out = ["<table>"]
    if header:
        out.append("<tr>" + "".join(f'<th class="{"l" if i < left else ""}">{esc(h)}</th>'
                                    for i, h in enumerate(header)) + "</tr>")
    for row in rows:
        out.append("<tr>" + "".join(f'<td class="{"l" if i < left else ""}">{fmt(c)}</td>'
                                    for i, c in enumerate(row)) + "</tr>")
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
            i = iv.get(key)
            row.append(f"{i['low']:.4g} – {i['high']:.4g}" if i else "—")
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
            row.append(f"{lo_hi[0]:.4g} – {lo_hi[1]:.4g}" if lo_hi else "—")
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
