"""The L(N, D) landscape of a law: iso-loss contours over model size and tokens, with the compute-optimal
line (and its band across the law's variants), iso-compute lines C = 6ND, the 20 tokens/param rule, runs
and reference models placed on it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..flops import tokens_for_flops, training_flops
from ..laws.base import JointLaw
from ._curves import frontier_curve, variant_band
from ._mpl import D_LABEL, N_LABEL, log_axis, log_range, new_figure, sci_text
from .figures_fit import BAND_COLOR, LAW_COLOR

__all__ = ["landscape_figure", "place_labels"]

#: reference-model labels: candidate offsets (points) from the model's dot, tried in this order
_OFFSETS = tuple((dx * r, dy * r) for r in (5, 11, 20, 32)
                 for dx, dy in ((1, 0.6), (1, -0.6), (-1, 0.6), (-1, -0.6), (0, 1), (0, -1)))


#: fewest decades an axis spans, and the window drawn with nothing to place (LLM scale)
_MIN_DECADES, _DEFAULT_N, _DEFAULT_D = 2.0, (1e8, 1e11), (1e9, 1e13)


def _span(x: np.ndarray) -> tuple[float, float]:
    """The values' range padded ×3 each side and widened about its centre to at least ``_MIN_DECADES``."""
    lo, hi = float(x.min()) / 3, float(x.max()) * 3
    short = _MIN_DECADES - np.log10(hi / lo)
    if short > 0:
        lo, hi = lo / 10 ** (short / 2), hi * 10 ** (short / 2)
    return lo, hi


def _ranges(points: list[tuple[float, float]]) -> tuple[tuple[float, float], tuple[float, float]]:
    """Axes that span what is drawn (runs, reference models, the budget's optimum), not a fixed LLM window: a
    law of kilo-parameter models is drawn where its runs are."""
    if not points:
        return (_DEFAULT_N[0] / 3, _DEFAULT_N[1] * 3), (_DEFAULT_D[0] / 3, _DEFAULT_D[1] * 3)
    return _span(np.array([p[0] for p in points])), _span(np.array([p[1] for p in points]))


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
    flops: float | None = None,
    n_range: tuple[float, float] | None = None, d_range: tuple[float, float] | None = None,
    level: float = 0.90, n_contours: int = 12,
) -> Any:
    """Iso-loss contours of ``law`` over N (x) and D (y), both log scale.

    ``models`` are reference models (objects with ``name``, ``n_params``, ``n_tokens``, e.g.
    :func:`scalinglab.catalog.list_models`), drawn and labelled; ``n_params``/``n_tokens`` are runs, drawn
    as dots; ``flops`` (a compute budget) marks the compute-optimal point there. The compute-optimal line is
    ``(N*(C), D*(C))``; its band spans the ``level`` interval of N*(C) across the law's variants, drawn
    along each iso-compute line.
    """
    pts = [(float(m.n_params), float(m.n_tokens)) for m in (models or [])]
    if n_params is not None:
        pts += list(zip(np.ravel(n_params).astype(float), np.ravel(n_tokens).astype(float)))
    star = None  # the compute-optimal (N, D) at the budget
    if flops:
        n_b, d_b, _ = frontier_curve(law, [flops])
        star = (float(n_b[0]), float(d_b[0]))
        pts.append(star)
    auto_n, auto_d = _ranges(pts)
    n_range, d_range = n_range or auto_n, d_range or auto_d
    ns = log_range(*n_range, n=160)
    fig, ax = _contours(law, ns, log_range(*d_range, n=160), n_contours)
    c_lo, c_hi = training_flops(n_range[0], d_range[0]), training_flops(n_range[1], d_range[1])
    _draw_frontier(ax, law, log_range(c_lo, c_hi, n=200), level)
    ax.plot(ns, 20 * ns, color="#ff7f0e", lw=1.3, ls="--", label="20 tokens/param")
    _draw_iso_compute(ax, ns, c_lo, c_hi, d_range)
    if n_params is not None:
        ax.scatter(np.ravel(n_params), np.ravel(n_tokens), s=8, color="0.3", alpha=0.6, label="runs")
    if models:
        mx = [m.n_params for m in models]
        my = [m.n_tokens for m in models]
        ax.scatter(mx, my, s=28, color="#d62728", zorder=4, label="reference models")
    if star:
        ax.plot([star[0]], [star[1]], marker="*", ms=14, color="gold", mec="black", ls="none", zorder=5,
                label=f"compute-optimal at {sci_text(flops)} FLOP")
    log_axis(ax, "both")
    ax.set_xlim(*n_range)
    ax.set_ylim(*d_range)
    ax.set_xlabel(N_LABEL)
    ax.set_ylabel(D_LABEL)
    ax.set_title(f"L(N, D) landscape of {law.name} (contours: loss, nats/token)")
    ax.legend(fontsize=7, loc="lower right")
    if models:
        place_labels(ax, [(x, y, " / ".join(names)) for (x, y), names in _labels_by_point(models).items()],
                     fontsize=7, color="#7f1d1d", avoid=[star] if star else ())
    return fig


def _contours(law: JointLaw, ns: np.ndarray, ds: np.ndarray, n_contours: int) -> tuple[Any, Any]:
    """A new figure with the law's iso-loss contours over the grid ``ns`` × ``ds``, labelled."""
    grid_n, grid_d = np.meshgrid(ns, ds)
    with np.errstate(all="ignore"):
        z = np.asarray(law.loss(grid_n, grid_d), dtype=float)
    fig, ax = new_figure(width=7.6, height=6.2)
    finite = z[np.isfinite(z)]
    # levels at quantiles of the grid (equal areas between lines), rounded to the decimals their labels show
    q = np.quantile(finite, np.linspace(0.02, 0.98, n_contours))
    decimals = next((k for k in (2, 3, 4) if np.unique(q.round(k)).size >= min(q.size, 6)), 4)
    levels = np.unique(q.round(decimals))
    import matplotlib as mpl

    # viridis reversed, without its pale-yellow end (unreadable on white)
    cmap = mpl.colors.ListedColormap(mpl.colormaps["viridis"](np.linspace(0.82, 0.0, 256)))
    cs = ax.contour(grid_n, grid_d, z, levels=levels, cmap=cmap, linewidths=0.9)
    try:
        ax.clabel(cs, fontsize=7, fmt=f"%.{decimals}f")
    except (IndexError, ValueError):
        # matplotlib's inline labeller fails on some contour paths (where the law is nearly flat at E, at budgets
        # of 1e55 FLOPs and beyond): redraw the lines unlabelled and give their levels on a colour bar instead
        cs.remove()
        cs = ax.contour(grid_n, grid_d, z, levels=levels, cmap=cmap, linewidths=0.9)
        fig.colorbar(cs, ax=ax, label="loss (nats/token)", format=f"%.{decimals}f")
    return fig, ax


def _draw_frontier(ax: Any, law: JointLaw, c: np.ndarray, level: float) -> None:
    """The compute-optimal line (N*(C), D*(C)) along ``c``, over its band across the law's variants."""
    n_opt, d_opt, _ = frontier_curve(law, c)
    band = variant_band(law, c, level)
    if band is not None:
        poly_n = np.concatenate([band.n_low, band.n_high[::-1]])
        poly_c = np.concatenate([c, c[::-1]])
        poly_d = tokens_for_flops(poly_n, poly_c, check_input=False)  # unchecked: NaN where all variants fail
        ax.fill(poly_n, poly_d, color=BAND_COLOR, alpha=0.5, lw=0,
                label=f"{level:.0%} band of N*(C) ({band.n_variants} variants)")
    ax.plot(n_opt, d_opt, color=LAW_COLOR, lw=2.2, label=f"compute-optimal (N*, D*) under {law.name}")


def _draw_iso_compute(ax: Any, ns: np.ndarray, c_lo: float, c_hi: float, d_range: tuple[float, float]) -> None:
    """Dotted lines C = 6ND at every second decade of compute between ``c_lo`` and ``c_hi``, labelled."""
    for e in range(int(np.ceil(np.log10(c_lo))), int(np.floor(np.log10(c_hi))) + 1):
        if e % 2:
            continue
        cc = 10.0**e
        line_d = tokens_for_flops(ns, cc)
        inside = (line_d >= d_range[0]) & (line_d <= d_range[1])
        if inside.sum() < 2:
            continue
        ax.plot(ns[inside], line_d[inside], color="0.6", lw=0.7, ls=":")
        k = np.flatnonzero(inside)[len(np.flatnonzero(inside)) // 2]
        ax.text(ns[k], line_d[k], f"C = {sci_text(cc)}", fontsize=7, color="0.4", rotation=-30, ha="center")


def place_labels(ax: Any, points: Sequence[tuple[float, float, str]], *, fontsize: float = 7,
                 color: str = "black", avoid: Sequence[tuple[float, float]] = ()) -> list[Any]:
    """Label data points ``(x, y, text)`` so that labels overlap neither each other, nor the labelled dots and
    the markers at ``avoid`` (data coordinates), nor the legend, and stay inside the axes; texts already on
    the axes (contour and iso-compute labels) are avoided where a free spot exists.

    Deterministic and greedy: points are labelled from the most crowded outwards; each label takes the first
    candidate offset of :data:`_OFFSETS` (right, left, above, below, at growing distances) with the least
    overlap. A label set away from its dot gets a thin leader line. Needs the figure laid out, so it draws
    the figure once without rendering.
    """
    if not points:
        return []
    fig = ax.figure
    fig.draw_without_rendering()  # constrained layout fixes the axes' place; text sizes need a renderer
    renderer = fig.canvas.get_renderer()
    to_px = fig.dpi / 72.0
    xy = ax.transData.transform(np.array([(p[0], p[1]) for p in points], dtype=float))
    frame = _bounds(ax.get_window_extent(renderer))
    dots, hard, soft = _keep_out(ax, renderer, xy, avoid, to_px)
    placed: list[_Box] = []
    texts: list[Any] = [None] * len(points)
    for i in _most_crowded_first(xy):
        x, y, label = points[i]
        t = ax.annotate(label, (x, y), xytext=(0, 0), textcoords="offset points", fontsize=fontsize,
                        color=color, zorder=6,
                        bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.75})
        extent = t.get_window_extent(renderer)
        box, dx, dy = _best_offset(xy[i], extent.width, extent.height, to_px, frame,
                                   placed + dots, hard, soft)
        t.xyann = (dx, dy)
        t.set_horizontalalignment("left" if dx > 0 else "right" if dx < 0 else "center")
        t.set_verticalalignment("bottom" if dy > 0 else "top")
        if np.hypot(dx, dy) > 12:
            ax.annotate("", (x, y), xytext=(dx, dy), textcoords="offset points",
                        arrowprops={"arrowstyle": "-", "color": color, "lw": 0.5, "shrinkA": 0, "shrinkB": 2})
        placed.append(box)
        texts[i] = t
    return texts


_Box = tuple[float, float, float, float]  # (x0, y0, x1, y1) in display pixels


def _bounds(bbox: Any) -> _Box:
    return (bbox.x0, bbox.y0, bbox.x1, bbox.y1)


def _overlap(a: _Box, b: _Box) -> float:
    """Area shared by two boxes."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return w * h if w > 0 and h > 0 else 0.0


def _keep_out(ax: Any, renderer: Any, xy: np.ndarray, avoid: Sequence[tuple[float, float]],
              to_px: float) -> tuple[list[_Box], list[_Box], list[_Box]]:
    """What a label must not cover: ``dots`` (a square around each labelled dot, a larger one around each
    marker at ``avoid``), ``hard`` (the legend) and ``soft`` (the texts already on the axes)."""
    soft = [_bounds(t.get_window_extent(renderer)) for t in ax.texts if t.get_visible() and t.get_text()]
    legend = ax.get_legend()
    hard = [] if legend is None else [_bounds(legend.get_window_extent(renderer))]
    dot = 4.0 * to_px  # half-size of a dot's keep-out square
    dots = [(x - dot, y - dot, x + dot, y + dot) for x, y in xy]
    if len(avoid):
        big = 7.0 * to_px
        dots += [(x - big, y - big, x + big, y + big)
                 for x, y in ax.transData.transform(np.asarray(avoid, float))]
    return dots, hard, soft


def _most_crowded_first(xy: np.ndarray) -> list[int]:
    """Indices of the points by decreasing sum of inverse distances to the other points (ties by index)."""
    dist = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1)) + np.eye(len(xy))
    return sorted(range(len(xy)), key=lambda i: (-float(np.sum(1.0 / dist[i])), i))


def _best_offset(anchor: np.ndarray, w: float, h: float, to_px: float, frame: _Box, taken: list[_Box],
                 hard: list[_Box], soft: list[_Box]) -> tuple[_Box, float, float]:
    """``(box, dx, dy)`` of the first offset of :data:`_OFFSETS` (points) with the least cost for a ``w`` × ``h``
    label at ``anchor`` (pixels): 100 × its area outside ``frame``, 10 × its overlap with ``taken`` (labels
    placed and dots) and ``hard`` boxes, 1 × its overlap with ``soft`` ones. A free spot ends the search."""
    best = None
    for dx, dy in _OFFSETS:  # every offset moves up or down: the label's corner or edge midpoint sits there
        ox, oy = anchor[0] + dx * to_px, anchor[1] + dy * to_px
        x0 = ox if dx > 0 else ox - w if dx < 0 else ox - w / 2
        y0 = oy if dy > 0 else oy - h
        box = (x0, y0, x0 + w, y0 + h)
        outside = (max(0.0, frame[0] - box[0]) + max(0.0, box[2] - frame[2])) * h \
            + (max(0.0, frame[1] - box[1]) + max(0.0, box[3] - frame[3])) * w
        cost = (100.0 * outside + 10.0 * sum(_overlap(box, b) for b in taken)
                + 10.0 * sum(_overlap(box, b) for b in hard) + sum(_overlap(box, b) for b in soft))
        if best is None or cost < best[0] - 1e-9:
            best = (cost, box, dx, dy)
        if cost == 0.0:
            break
    assert best is not None  # _OFFSETS is not empty
    return best[1], best[2], best[3]
