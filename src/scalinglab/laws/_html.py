"""A law as HTML: its Jupyter view (:meth:`Law._repr_html_`), reused by the report."""

from __future__ import annotations

from typing import Any

from .._html import _Html, cell, esc, table

__all__ = ["law_html"]


def law_html(law: Any, *, intervals: dict[str, tuple[float, float]] | None = None, level: float = 0.90) -> str:
    """A law's (:class:`~scalinglab.laws.Law`) formula, coefficients (with ``intervals`` when given) and
    citation as HTML."""
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
