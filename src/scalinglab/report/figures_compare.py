"""The comparison figure: both sides' curves with their bands, and the multiplier M(x) with its band.

Left: each side's curve points (IsoFLOP minima, or a law's curve read at a few x) and the curve
``E + A·x^(−a)`` fitted through them, with its mean band over the bootstrap replicates; log axes. Right: M(x) of
B over A with its band; the x both sides measured is unshaded, beyond it (extrapolation) shaded; the reported x
values as points with their intervals; M = 1 (no advantage) dashed. Only
:class:`~scalinglab.fit.compare.Comparison` is read: the figure redraws from a saved comparison.
"""

from __future__ import annotations

import textwrap
from typing import Any

import numpy as np

from ..fit.compare import Comparison
from ..fit._compare_result import UNITS
from ._mpl import LOSS_LABEL, log_axis, new_figure

__all__ = ["compare_figure"]

_COLOURS = ("tab:blue", "tab:red")
#: the M axis reaches at most this factor above the median M drawn
_CLIP = 1e4


def _arr(values: list[Any]) -> np.ndarray:
    return np.array([np.nan if v is None else (np.inf if v == "inf" else float(v)) for v in values], dtype=float)


def _label(text: str, limit: int = 48) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def compare_figure(cmp: Comparison) -> Any:
    """The figure (a :class:`matplotlib.figure.Figure`)."""
    fig, (ax_l, ax_m) = new_figure(2, width=10.0, height=4.3)
    g = cmp.grid
    x = _arr(g["x"])
    for side, key, colour in zip(cmp.sides, ("loss_a", "loss_b"), _COLOURS):
        ok = np.isfinite(side.loss)
        kind = {"isoflop": "IsoFLOP minima", "law": "law's curve", "saved": "saved law's curve"}[side.kind]
        ax_l.scatter(side.x[ok], side.loss[ok], s=18, color=colour, zorder=3,
                     label=f"{side.label}: {_label(side.name)} ({kind})")
        ax_l.plot(x, _arr(g[key]), color=colour, lw=1.4)
        lo, hi = _arr(g[f"{key}_lo"]), _arr(g[f"{key}_hi"])
        if np.isfinite(lo).any():
            ax_l.fill_between(x, lo, hi, color=colour, alpha=0.18, lw=0)
    log_axis(ax_l, "both")
    ax_l.set_xlabel(UNITS[cmp.by])
    ax_l.set_ylabel(LOSS_LABEL)
    ax_l.legend(fontsize=7, loc="upper right")
    ax_l.set_title(f"curves E + A·x^(−a) ({cmp.exponents} exponents), {cmp.level:.0%} mean bands", fontsize=9)

    m, lo, hi = (_arr(g[k]) for k in ("m", "m_lo", "m_hi"))
    seen = np.concatenate([m, lo, hi, cmp.lower, cmp.upper, cmp.multiplier])
    seen = seen[np.isfinite(seen) & (seen > 0)]
    # an unreachable loss (M = inf) and bands running off to it are drawn at the top edge
    top = min(float(seen.max()) * 1.5, float(np.median(seen)) * _CLIP) if seen.size else _CLIP
    m, lo, hi = (np.minimum(v, top) for v in (m, lo, hi))
    ax_m.plot(x, m, color="k", lw=1.4, label="M, B over A")
    if np.isfinite(lo).any():
        ax_m.fill_between(x, lo, hi, color="0.5", alpha=0.25, lw=0, label=f"{cmp.level:.0%} interval")
    ax_m.axhline(1.0, color="0.3", ls="--", lw=0.8)
    t_lo, t_hi = cmp.trend_range
    for a, b in ((x.min(), t_lo), (t_hi, x.max())):
        if b > a:
            ax_m.axvspan(a, b, color="0.95", zorder=0)
    ok = np.isfinite(cmp.lower)
    mid = np.minimum(cmp.multiplier, top)
    err = np.array([mid - np.minimum(cmp.lower, top), np.minimum(cmp.upper, top) - mid])
    ax_m.errorbar(cmp.at[ok], mid[ok], yerr=np.where(np.isfinite(err[:, ok]), err[:, ok], 0.0), fmt="o", ms=4,
                  color="k", capsize=2, lw=1, label="reported x")
    log_axis(ax_m, "both")
    ax_m.set_xlabel(UNITS[cmp.by])
    ax_m.set_ylabel(f"multiplier M = {cmp.by} A needs / {cmp.by} B needs")
    ax_m.legend(fontsize=7, loc="best")
    title = (f"{cmp.by} multiplier of B over A: {cmp.verdict} with scale (shaded: beyond the {cmp.by} both sides "
             "measured)")
    ax_m.set_title(textwrap.fill(title, 70), fontsize=9)
    if cmp.status == "not identified":
        fig.suptitle("NOT IDENTIFIED: " + textwrap.shorten("; ".join(cmp.reasons), 160), fontsize=8, color="tab:red")
    return fig
