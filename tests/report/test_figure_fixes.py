"""Fixes from issue #10 (figures and tables as seen in Chromium): each test fails on the code before the fix."""

from __future__ import annotations

import re

import numpy as np
import pytest

pytest.importorskip("matplotlib", reason="figures need the [report] extra (matplotlib)")

from matplotlib.colors import to_rgb  # noqa: E402

from scalinglab.catalog import list_models  # noqa: E402
from scalinglab.laws import Chinchilla, ChinchillaParams, Citation, get_law  # noqa: E402
from scalinglab.laws.chinchilla import EPOCH_2024  # noqa: E402
from scalinglab.plan import plan_compute, with_hardware  # noqa: E402
from scalinglab.report import (  # noqa: E402
    audit_figure,
    bootstrap_figure,
    cost_vs_loss_figure,
    frontier_figure,
    inference_figure,
    isoflop_figure,
    landscape_figure,
    residuals_figure,
)
from scalinglab.report._curves import frontier_curve  # noqa: E402
from scalinglab.report._mpl import HELD_OUT_LABEL, new_figure, png_bytes, sci_text  # noqa: E402

CITE = Citation("test", 2024, "synthetic law")


def _visible_labels(axis, minor: bool = False) -> list:
    """Tick labels drawn inside the view (after a draw), with their text."""
    lo, hi = sorted(axis.get_view_interval())
    ticks = axis.get_minor_ticks() if minor else axis.get_major_ticks()
    return [t.label1 for t in ticks
            if t.label1.get_visible() and lo * (1 - 1e-9) <= t.get_loc() <= hi * (1 + 1e-9) and t.label1.get_text()]


def _no_overlap(boxes) -> bool:
    return not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])


# --- log axes: no minor tick labels ("3×4×10³"), at least two readable major labels


def test_export_gives_any_figures_log_axes_the_same_ticks():
    fig, ax = new_figure()
    ax.plot([3e3, 4.5e3], [1.0, 2.0])
    ax.set_xscale("log")  # a figure built elsewhere (e.g. the tracked-run figure) with matplotlib's ticks
    png_bytes(fig)
    assert _visible_labels(ax.xaxis, minor=True) == []
    assert len(_visible_labels(ax.xaxis)) >= 2


def test_sci_text_writes_powers_of_ten_as_mathtext():
    assert sci_text(5.76e23) == r"$5.76\times10^{23}$"
    assert sci_text(1e22) == "$10^{22}$"
    assert sci_text(2800) == "2800" and sci_text(0.5) == "0.5"


# --- the tokens-per-parameter bootstrap histogram


def _wide_bootstrap_law(n: int = 200) -> Chinchilla:
    """Samples whose exponents scatter as in a fit on few small runs: tokens/param spreads over decades."""
    rng = np.random.default_rng(3)
    p = EPOCH_2024
    samples = tuple(ChinchillaParams(E=p.E, A=p.A * np.exp(0.5 * a), B=p.B * np.exp(0.5 * b), alpha=p.alpha + 0.08 * c,
                                     beta=p.beta + 0.08 * d) for a, b, c, d in rng.standard_normal((n, 4)))
    return Chinchilla("wide", p, CITE, "", samples)


# --- held-out runs: a strong colour, a distinct marker, a legend entry


def _held_out_artist(ax):
    return next(c for c in ax.collections if c.get_label() == HELD_OUT_LABEL)


def _luminance(rgb) -> float:
    r, g, b = to_rgb(rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b
