"""The report's section comparing two methods by their scaling curves: per saved comparison
(``scalinglab compare --out``), the multiplier at each reported x with its interval, the exponent difference and
the verdict, then the figure (:func:`~scalinglab.report.figures_compare.compare_figure`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .._intervals import level_label
from ..errors import ConfigError
from ..fit.compare import Comparison
from ..fit._compare_result import MEANING, UNITS
from .html import esc, table

__all__ = ["check_compare_inputs", "compare_section"]


def check_compare_inputs(comparisons: Any) -> tuple[Comparison, ...]:
    """The comparisons as a tuple; one clear ConfigError for anything that is not a Comparison."""
    items = (comparisons,) if isinstance(comparisons, Comparison) else tuple(comparisons)
    for c in items:
        if not isinstance(c, Comparison):
            raise ConfigError(f"The 'comparisons' parameter must hold Comparison objects (scalinglab.fit.compare_runs "
                              f"or load_comparison). Got {type(c).__name__}.")
    return items


def _m(v: float) -> str:
    return "unreachable" if np.isposinf(v) else ("—" if not np.isfinite(v) else f"{v:.3g}")


def _one(figure: Callable[[str, Any, str, str], str], cmp: Comparison, k: int) -> str:
    from .figures_compare import compare_figure

    sa, sb = cmp.sides
    lvl = level_label(cmp.level)
    rows = []
    for row, x in zip(cmp.rows(), cmp.at):
        iv = "—" if row["interval"] is None else f"{_m(cmp.lower[len(rows)])} – {_m(cmp.upper[len(rows)])}"
        note = ("NOT IDENTIFIED: " + row["not_identified"]) if row["not_identified"] else (
            f"A never reaches B's loss in {row['unreachable_share']:.1%} of replicates" if row["unreachable_share"]
            else "")
        rows.append([float(x), "not identified" if row["not_identified"] else _m(cmp.multiplier[len(rows)]), iv, note])
    head = (f"<p><b>A</b> = {esc(sa.name)} ({esc(sa.what)}); <b>B</b> = {esc(sb.name)} ({esc(sb.what)}). By "
            f"{esc(cmp.by)}, {esc(cmp.exponents)} exponents; M = {esc(MEANING[cmp.by])} (M &gt; 1: B is the more "
            f"efficient). Intervals: {esc(cmp.interval_label)}.</p>")
    if cmp.status == "not identified":
        head += f'<p class="flag">NOT IDENTIFIED: {esc("; ".join(cmp.reasons))}.</p>'
    diff = ""
    if cmp.exponent_difference is not None:
        iv = cmp.exponent_interval
        diff = f"Exponent difference a<sub>B</sub> − a<sub>A</sub> = {cmp.exponent_difference:.3g}" + (
            "" if iv is None else f" ({lvl} interval {iv[0]:.3g} to {iv[1]:.3g})") + ". "
    kinds = ["flop" if cmp.by == "compute" else "count", None, None, None]
    body = (head + table(rows, [UNITS[cmp.by], "M", f"{lvl} interval", "notes"], left=0, kinds=kinds)
            + f"<p>{diff}Advantage with scale: <b>{esc(cmp.verdict)}</b> — {esc(cmp.verdict_reason)}.</p>")
    caption = ("<b>Two methods by their scaling curves.</b> Left: each side's curve points and the curve "
               f"E + A·x<sup>−a</sup> through them with its {lvl} mean band; right: the multiplier M of B over A with "
               "its interval (shaded: beyond the x both sides measured; dashed: M = 1).")
    return body + figure(f"compare-{k}", compare_figure(cmp), caption, "scalinglab.fit.compare_runs")


def compare_section(figure: Callable[[str, Any, str, str], str], comparisons: Sequence[Comparison]) -> str:
    """One block per comparison."""
    return "".join(_one(figure, c, k + 1) for k, c in enumerate(comparisons))
