"""HTML building blocks for every view (Jupyter's ``_repr_html_`` and the report): escaping, number
cells, tables. Bottom layer: standard library only, so the laws and plans render themselves without
importing the report.

Every string that comes from the user (run names, column names, file names, law names) goes through
:func:`esc` (``html.escape`` with quotes).
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence
from typing import Any

__all__ = ["esc", "fmt", "table"]


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
