"""HTML building blocks for every view (Jupyter's ``_repr_html_`` and the report): escaping, number
cells by kind (counts with SI prefixes, FLOPs as powers of ten, dollars, percentages), tables. Low layer: the
laws and plans render themselves with these without importing the report.

Every string that comes from the user (run names, column names, file names, law names) goes through
:func:`esc` (``html.escape`` with quotes).
"""

from __future__ import annotations

import html
import math
import numbers
import re
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from ._units import format_si
from .errors import ConfigError

__all__ = ["esc", "fmt", "cell", "kind_of", "KINDS", "table"]


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
