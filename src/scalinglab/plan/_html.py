"""A plan as HTML: its Jupyter view (:meth:`Plan._repr_html_`), reused by the report."""

from __future__ import annotations

from typing import Any

from .._html import _Html, cell, esc, kind_of, table

__all__ = ["plan_html"]

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
    held = f" ({esc(d['hold'])} held)" if d.get("hold") else ""
    caption = (f'<p class="src">Plan question {esc(d["question"])!s}{held} under law {esc(d["law"])}'
               + (f"; intervals from {n_samples} law variants" if iv else "") + ".</p>")
    return table(rows, header) + caption + (f"<ul>{notes}</ul>" if notes else "")
