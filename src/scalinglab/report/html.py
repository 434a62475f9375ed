"""HTML rendering of results: plans, laws, tables and the report page. No matplotlib needed here.

The laws and plans render themselves (:mod:`scalinglab.laws._html`, :mod:`scalinglab.plan._html`, for
Jupyter) with the building blocks of :mod:`scalinglab._html`; the report reuses them from here.

Every string that comes from the user (run names, column names, file names, law names) goes through
:func:`esc` (``html.escape`` with quotes); the page has no external references (no scripts, fonts or
style sheets), so it opens with no network.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from .._html import KINDS, cell, esc, fmt, kind_of, table
from ..laws._html import law_html
from ..plan._html import plan_html

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
