"""The L(N, D) landscape of a law: iso-loss contours over model size and tokens, with the compute-optimal
line (and its band across the law's variants), iso-compute lines C = 6ND, the 20 tokens/param rule, runs
and reference models placed on it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..laws.base import JointLaw
from ._curves import frontier_curve, variant_band
from ._mpl import log_range, new_figure
from .figures_fit import BAND_COLOR, LAW_COLOR

__all__ = ["landscape_figure"]


def _ranges(points: list[tuple[float, float]]) -> tuple[tuple[float, float], tuple[float, float]]:
    n = np.array([p[0] for p in points] or [1e8, 1e11])
    d = np.array([p[1] for p in points] or [1e10, 1e13])
    n_lo, n_hi = min(n.min(), 1e8) / 3, max(n.max(), 1e11) * 3
    d_lo, d_hi = min(d.min(), 1e9) / 3, max(d.max(), 1e13) * 3
    return (n_lo, n_hi), (d_lo, d_hi)


def _labels_by_point(models: Sequence[Any]) -> dict[tuple[float, float], list[str]]:
    """Names of models that sit (within 10%) on the same point, so their labels do not overprint."""
    out: dict[tuple[float, float], list[str]] = {}
    for m in models:
        key = next((k for k in out if abs(np.log(k[0] / m.n_params)) < 0.1
                    and abs(np.log(k[1] / m.n_tokens)) < 0.1), (float(m.n_params), float(m.n_tokens)))
        out.setdefault(key, []).append(str(m.name))
    return out


def landscape_figure(
    law: JointLaw, *,
    models: Sequence[Any] | None = None,
    n_params: Any = None, n_tokens: Any = None,
    budget: float | None = None,
    n_range: tuple[float, float] | None = None, d_range: tuple[float, float] | None = None,
    level: float = 0.90, n_contours: int = 12,
) -> Any:
    """Iso-loss contours of ``law`` over N (x) and D (y), both log scale.

    ``models`` are reference models (objects with ``name``, ``n_params``, ``n_tokens``, e.g.
    :func:`scalinglab.catalog.list_models`), drawn and labelled; ``n_params``/``n_tokens`` are runs, drawn
    as dots; ``budget`` marks the compute-optimal point at that compute. The compute-optimal line is
    ``(N*(C), D*(C))``; its band spans the ``level`` interval of N*(C) across the law's variants, drawn
    along each iso-compute line.
    """
    pts = [(float(m.n_params), float(m.n_tokens)) for m in (models or [])]
    if n_params is not None:
        pts += list(zip(np.ravel(n_params).astype(float), np.ravel(n_tokens).astype(float)))
    if budget:
        n_b, d_b, _ = frontier_curve(law, [budget])
        pts.append((float(n_b[0]), float(d_b[0])))
    auto_n, auto_d = _ranges(pts)
    n_range, d_range = n_range or auto_n, d_range or auto_d
    ns, ds = log_range(*n_range, n=160), log_range(*d_range, n=160)
    grid_n, grid_d = np.meshgrid(ns, ds)
    with np.errstate(all="ignore"):
        z = np.asarray(law.loss(grid_n, grid_d), dtype=float)
    fig, ax = new_figure(width=7.6, height=6.2)
    finite = z[np.isfinite(z)]
    levels = np.unique(np.quantile(finite, np.linspace(0.02, 0.98, n_contours)).round(3))
    cs = ax.contour(grid_n, grid_d, z, levels=levels, cmap="viridis_r", linewidths=0.9)
    ax.clabel(cs, fontsize=7, fmt="%.2f")

    c_lo, c_hi = 6 * n_range[0] * d_range[0], 6 * n_range[1] * d_range[1]
    c = log_range(c_lo, c_hi, n=200)
    n_opt, d_opt, _ = frontier_curve(law, c)
    band = variant_band(law, c, level)
    if band is not None:
        poly_n = np.concatenate([band.n_low, band.n_high[::-1]])
        poly_c = np.concatenate([c, c[::-1]])
        ax.fill(poly_n, poly_c / (6 * poly_n), color=BAND_COLOR, alpha=0.5, lw=0,
                label=f"{level:.0%} band of N*(C) ({band.n_variants} variants)")
    ax.plot(n_opt, d_opt, color=LAW_COLOR, lw=2.2, label=f"compute-optimal (N*, D*) under {law.name}")
    ax.plot(ns, 20 * ns, color="#ff7f0e", lw=1.3, ls="--", label="20 tokens/param")
    for e in range(int(np.ceil(np.log10(c_lo))), int(np.floor(np.log10(c_hi))) + 1):
        if e % 2:
            continue
        cc = 10.0**e
        line_d = cc / (6 * ns)
        inside = (line_d >= d_range[0]) & (line_d <= d_range[1])
        if inside.sum() < 2:
            continue
        ax.plot(ns[inside], line_d[inside], color="0.6", lw=0.7, ls=":")
        k = np.flatnonzero(inside)[len(np.flatnonzero(inside)) // 2]
        ax.text(ns[k], line_d[k], f"C=1e{e}", fontsize=7, color="0.4", rotation=-30, ha="center")
    if n_params is not None:
        ax.scatter(np.ravel(n_params), np.ravel(n_tokens), s=8, color="0.3", alpha=0.6, label="runs")
    if models:
        mx = [m.n_params for m in models]
        my = [m.n_tokens for m in models]
        ax.scatter(mx, my, s=28, color="#d62728", zorder=4, label="reference models")
        for (x, y), names in _labels_by_point(models).items():
            ax.annotate(" / ".join(names), (x, y), xytext=(4, 3), textcoords="offset points",
                        fontsize=7, color="#7f1d1d")
    if budget:
        ax.plot([n_b[0]], [d_b[0]], marker="*", ms=14, color="gold", mec="black", ls="none", zorder=5,
                label=f"optimum at {budget:.3g} FLOPs")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(*n_range)
    ax.set_ylim(*d_range)
    ax.set_xlabel("parameters N")
    ax.set_ylabel("training tokens D")
    ax.set_title(f"L(N, D) landscape of {law.name} (contours: loss, nats/token)")
    ax.legend(fontsize=7, loc="lower right")
    return fig
