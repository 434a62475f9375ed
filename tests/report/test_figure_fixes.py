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
    plan_html,
    residuals_figure,
)
from scalinglab.report._curves import frontier_curve  # noqa: E402
from scalinglab.report._mpl import HELD_OUT_LABEL, new_figure, png_bytes, sci_text  # noqa: E402
from scalinglab.report.html import cell, kind_of, table  # noqa: E402

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


def test_log_axes_label_no_minor_ticks_and_at_least_two_major_ticks_on_a_narrow_view():
    rng = np.random.default_rng(0)
    n = np.geomspace(3e9, 4.5e9, 12)  # half a decade: matplotlib's default labels minor ticks here
    d = 20 * n * np.exp(0.1 * rng.standard_normal(12))
    fig = residuals_figure(n, d, get_law("epoch2024").loss(n, d) * 1.01, law=get_law("epoch2024"))
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for ax in fig.axes:
        assert ax.get_xscale() == "log"
        assert _visible_labels(ax.xaxis, minor=True) == []
        major = _visible_labels(ax.xaxis)
        assert len(major) >= 2
        assert _no_overlap([t.get_window_extent(renderer) for t in major])


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


# --- axis labels carry units


def test_fit_figures_name_their_quantities_and_units(isoflop_runs, law_with_samples):
    r = isoflop_runs
    c = 6 * r["n_params"] * r["n_tokens"]
    iso = isoflop_figure(r["n_params"], r["loss"], r["budgets"]).axes[0]
    assert (iso.get_xlabel(), iso.get_ylabel()) == ("parameters N", "loss (nats/token)")
    front = frontier_figure(law_with_samples, run_flops=c, run_loss=r["loss"]).axes[0]
    assert front.get_xlabel() == "training compute C = 6ND (FLOP)"
    res = residuals_figure(r["n_params"], r["n_tokens"], r["loss"], law=law_with_samples)
    assert [ax.get_xlabel() for ax in res.axes] == ["parameters N", "training tokens D",
                                                     "training compute C = 6ND (FLOP)"]
    audit = audit_figure([2.0, 2.1], [2.01, 2.12]).axes[0]
    assert "nats/token" in audit.get_xlabel() and "nats/token" in audit.get_ylabel()


# --- the tokens-per-parameter bootstrap histogram


def _wide_bootstrap_law(n: int = 200) -> Chinchilla:
    """Samples whose exponents scatter as in a fit on few small runs: tokens/param spreads over decades."""
    rng = np.random.default_rng(3)
    p = EPOCH_2024
    samples = tuple(ChinchillaParams(E=p.E, A=p.A * np.exp(0.5 * a), B=p.B * np.exp(0.5 * b), alpha=p.alpha + 0.08 * c,
                                     beta=p.beta + 0.08 * d) for a, b, c, d in rng.standard_normal((n, 4)))
    return Chinchilla("wide", p, CITE, "", samples)


def test_bootstrap_tokens_per_param_histogram_has_log_bins_on_a_log_axis():
    law = _wide_bootstrap_law()
    fig = bootstrap_figure(law, flops=5.76e23)
    ax = fig.axes[2]
    assert ax.get_xscale() == "log"
    heights = np.array([p.get_height() for p in ax.patches])
    widths = np.array([np.log10(p.get_x() + p.get_width()) - np.log10(p.get_x()) for p in ax.patches])
    assert np.allclose(widths, widths[0])  # equal widths in log space
    assert heights.max() <= 0.5 * len(law.samples)  # a distribution, not one bar holding most refits
    assert fig.axes[0].get_xscale() == "linear"  # the exponents stay on linear axes


# --- the cost-versus-target-loss chart spans a useful range of loss


def test_cost_vs_loss_spans_a_useful_range_for_a_law_near_its_floor():
    # A law whose compute-optimal loss is within 0.003 nats of E from 1e19 FLOP on: the old fixed range
    # (1e19-1e27) gave a chart of 1.8300-1.8327.
    law = Chinchilla("saturating", ChinchillaParams(E=1.83, A=400.0, B=400.0, alpha=0.6, beta=0.6), CITE, "")
    ax = cost_vs_loss_figure(law).axes[0]
    curve = next(line for line in ax.lines if line.get_label().startswith("training only"))
    ell, cost = np.asarray(curve.get_xdata()), np.asarray(curve.get_ydata())
    span = ell.max() - ell.min()
    assert span >= 0.02 * ell.min()
    assert span >= 0.5 * (ell.max() - 1.83)
    assert np.isfinite(cost).all() and np.all(np.diff(cost) > 0)


def test_cost_vs_loss_centres_on_the_budget_and_marks_it():
    law = get_law("epoch2024")
    ax = cost_vs_loss_figure(law, flops=5.76e23).axes[0]
    curve = next(line for line in ax.lines if line.get_label().startswith("training only"))
    ell, cost = np.asarray(curve.get_xdata()), np.asarray(curve.get_ydata())
    assert ell.max() - ell.min() >= 0.5  # nats: from ~2.6 at 5.76e19 FLOP to ~1.87 at 5.76e26
    assert cost.min() == pytest.approx(5.76e19, rel=0.02) and cost.max() == pytest.approx(5.76e26, rel=0.02)
    star = next(line for line in ax.lines if line.get_label().startswith("budget"))
    _, _, l_b = frontier_curve(law, [5.76e23])
    assert star.get_xdata()[0] == pytest.approx(l_b[0]) and star.get_ydata()[0] == 5.76e23
    lo, hi = ax.get_xlim()
    assert lo > hi  # lower loss (better) to the right


def test_plan_figures_label_compute_in_flop(law_with_samples):
    assert "(FLOP)" in cost_vs_loss_figure(law_with_samples).axes[0].get_ylabel()
    fig = inference_figure(get_law("epoch2024"), flops=1e22, inference_tokens=[1e9, 1e12])
    assert "(FLOP)" in fig.axes[1].get_ylabel()


def test_cost_vs_loss_band_runs_off_the_top_where_variants_cannot_reach_the_target():
    import warnings

    law = _wide_bootstrap_law(60)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ax = cost_vs_loss_figure(law, flops=1e23).axes[0]
    band = ax.collections[0].get_paths()[0].vertices
    assert np.isfinite(band).all()
    assert band[:, 1].max() <= ax.get_ylim()[1] * (1 + 1e-9)


# --- held-out runs: a strong colour, a distinct marker, a legend entry


def _held_out_artist(ax):
    return next(c for c in ax.collections if c.get_label() == HELD_OUT_LABEL)


def _luminance(rgb) -> float:
    r, g, b = to_rgb(rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def test_isoflop_figure_marks_held_out_runs_and_has_no_pale_budget_colours(isoflop_runs):
    r = isoflop_runs
    held = r["budgets"] >= 1e20
    fig = isoflop_figure(r["n_params"], r["loss"], r["budgets"], held_out=held)
    ax = fig.axes[0]
    art = _held_out_artist(ax)
    assert art.get_offsets().shape == (held.sum(), 2)
    assert HELD_OUT_LABEL in [t.get_text() for t in ax.get_legend().get_texts()]
    assert to_rgb(art.get_edgecolor()[0]) == pytest.approx(to_rgb("#d62728"))
    budget_scatters = [c for c in ax.collections if c is not art]
    assert len(budget_scatters) == 5
    assert max(_luminance(c.get_facecolor()[0][:3]) for c in budget_scatters) < 0.75  # no pale yellow on white
    assert len(fig.axes) == 2  # budgets keyed on a colour bar, not 5+ legend entries
    assert not any(t.get_text().startswith("C = ") for t in ax.get_legend().get_texts())


def test_frontier_residuals_and_audit_label_held_out_runs(isoflop_runs, law_with_samples):
    r = isoflop_runs
    held = r["budgets"] >= 1e20
    c = 6 * r["n_params"] * r["n_tokens"]
    front = frontier_figure(law_with_samples, run_flops=c, run_loss=r["loss"], held_out=held).axes[0]
    assert _held_out_artist(front).get_offsets().shape == (held.sum(), 2)
    res = residuals_figure(r["n_params"], r["n_tokens"], r["loss"], law=law_with_samples, held_out=held)
    assert HELD_OUT_LABEL in [t.get_text() for t in res.axes[0].get_legend().get_texts()]
    for ax in res.axes:
        assert _held_out_artist(ax).get_offsets().shape == (held.sum(), 2)
    audit = audit_figure([2.0, 2.1], [2.01, 2.12]).axes[0]
    assert any(t.get_text().startswith(HELD_OUT_LABEL) for t in audit.get_legend().get_texts())


def test_held_out_flags_must_match_the_runs(isoflop_runs):
    from scalinglab.errors import ConfigError

    r = isoflop_runs
    with pytest.raises(ConfigError, match="held_out"):
        isoflop_figure(r["n_params"], r["loss"], r["budgets"], held_out=[True, False])


# --- reference-model labels in the landscape do not overlap


@pytest.mark.parametrize("law_name", ["epoch2024", "hoffmann2022"])
def test_landscape_model_labels_overlap_neither_each_other_nor_dots_nor_the_legend(law_name):
    models = list_models()
    fig = landscape_figure(get_law(law_name), models=models, flops=5.76e23)
    ax = fig.axes[0]
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    names = {m.name for m in models}
    labels = [t for t in ax.texts if t.get_text() and set(t.get_text().split(" / ")) <= names]
    assert {n for t in labels for n in t.get_text().split(" / ")} == names
    boxes = [t.get_window_extent(renderer) for t in labels]
    assert _no_overlap(boxes)
    frame = ax.get_window_extent(renderer)
    assert all(frame.x0 - 1 <= b.x0 and b.x1 <= frame.x1 + 1 and frame.y0 - 1 <= b.y0 and b.y1 <= frame.y1 + 1
               for b in boxes)
    legend = ax.get_legend().get_window_extent(renderer)
    assert not any(b.overlaps(legend) for b in boxes)
    dots = ax.transData.transform([(m.n_params, m.n_tokens) for m in models])
    for b in boxes:
        assert not any(b.x0 < x < b.x1 and b.y0 < y < b.y1 for x, y in dots)


def test_landscape_axes_name_their_quantities(law_with_samples):
    ax = landscape_figure(law_with_samples).axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("parameters N", "training tokens D")
    assert ax.get_xscale() == ax.get_yscale() == "log"


def test_landscape_label_placement_is_deterministic():
    def positions():
        ax = landscape_figure(get_law("epoch2024"), models=list_models(), flops=5.76e23).axes[0]
        return [(t.get_text(), tuple(getattr(t, "xyann", (0, 0)))) for t in ax.texts]

    assert positions() == positions()


# --- tables: human numbers by column kind


def test_cell_writes_each_kind_of_number_for_people():
    assert cell(7.622e-06, "usd") == "$0.0000076"
    assert cell(1.464e6, "usd") == "$1.46M" and cell(12.345, "usd") == "$12.35" and cell(12345.6, "usd") == "$12,346"
    assert cell(0.09577, "percent") == "9.58%"
    assert cell(0.05, "signed_percent") == "+5.00%"
    assert cell(1.187e11, "count") == "119B" and cell(245, "count") == "245"
    assert cell(5.76e23, "flop") == "5.76 × 10<sup>23</sup>"
    assert cell(6.816, "ratio") == "6.82"
    assert cell(12845.6) == "12,846" and cell(0.09577) == "0.09577" and cell(1.2e7) == "1.2 × 10<sup>7</sup>"
    assert cell(None) == "—" and cell(float("nan")) == "—" and cell(np.bool_(True)) == "yes"
    assert cell("<b>") == "&lt;b&gt;"


def test_kind_of_reads_headers_and_row_labels():
    kinds = {"cost (USD)": "usd", "mean ARE": "percent", "interval coverage": "percent", "error": "percent",
             "compute cut (FLOPs)": "flop", "compute C = 6ND": "flop", "parameters N": "count", "N": "count",
             "training tokens D": "count", "tokens/param": "ratio", "mean_deviation": "signed_percent",
             "loss": None, "alpha": None, "square": None, "": None}
    assert {k: kind_of(k) for k in kinds} == kinds


def test_table_formats_by_header_else_by_row_label():
    text = table([["mean ARE", 0.09577], ["compute cut (FLOPs)", 1.3e22], ["held-out runs", 24]], ["", ""])
    assert "9.58%" in text and "1.3 × 10<sup>22</sup>" in text and ">24<" in text and "e+" not in text
    # a header that names kinds wins: a run called "cost" keeps its loss a plain number
    text = table([["cost", 1.187e11, 2.5]], ["run", "N", "loss"])
    assert ">119B<" in text and ">2.500<" in text and "$" not in text


def test_plan_table_writes_dollars_counts_and_compute_without_raw_notation(law_with_samples):
    text = plan_html(with_hardware(plan_compute(1e15, law=law_with_samples)))  # a tiny budget: cents
    assert "cost (USD)" in text
    cost = re.search(r"cost \(USD\)</td><td[^>]*>([^<]*)<", text).group(1)
    assert cost.startswith("$0.0") and "e-" not in cost
    assert not re.search(r"\d\.\d+e[+-]\d\d", text)  # no raw scientific notation anywhere in the table


def test_report_tables_have_no_raw_scientific_notation(full_report):
    _, text = full_report
    cells = re.findall(r"<td[^>]*>(.*?)</td>", text)
    assert cells
    assert [c for c in cells if re.search(r"\d(\.\d+)?e[+-]?\d", c)] == []
