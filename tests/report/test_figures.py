"""Each figure function returns a Figure with the expected artists on synthetic data."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("matplotlib", reason="figures need the [report] extra (matplotlib)")

from matplotlib.collections import PolyCollection  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from scalinglab.catalog import list_models  # noqa: E402
from scalinglab.laws import get_law  # noqa: E402
from scalinglab.report import (  # noqa: E402
    audit_figure,
    bootstrap_figure,
    budget_labels,
    cost_vs_loss_figure,
    frontier_figure,
    inference_figure,
    isoflop_figure,
    landscape_figure,
    residuals_figure,
)


def _labels(ax) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


def _fills(ax) -> list:
    return [c for c in ax.collections if isinstance(c, PolyCollection)]


def test_budget_labels_groups_isoflop_grid_and_rejects_scatter(isoflop_runs):
    c = 6 * isoflop_runs["n_params"] * isoflop_runs["n_tokens"] * np.exp(0.03 * np.sin(np.arange(35)))
    labels = budget_labels(c)
    assert labels is not None and len(np.unique(labels)) == 5
    rng = np.random.default_rng(0)
    assert budget_labels(10 ** rng.uniform(18, 22, 200)) is None


def test_isoflop_figure_draws_one_parabola_per_budget_and_marks_minima(isoflop_runs):
    r = isoflop_runs
    fig = isoflop_figure(r["n_params"], r["loss"], r["budgets"], law=get_law("epoch2024"))
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert len(ax.collections) == 5  # one scatter per budget
    assert len(ax.lines) == 5 + 1 + 1  # parabolas, minima, law N*(C)
    minima = next(line for line in ax.lines if line.get_label() == "parabola minimum N*(C)")
    # runs were centred on 20 tokens/param; the vertices lie within the sampled range of each budget
    assert np.all((minima.get_xdata() > r["n_params"].min()) & (minima.get_xdata() < r["n_params"].max()))
    assert ax.get_xscale() == "log"


def test_isoflop_figure_does_not_star_minima_outside_the_sampled_sizes(isoflop_runs):
    r = isoflop_runs
    loss = r["loss"].copy()
    first = r["budgets"] == np.unique(r["budgets"])[0]
    loss[first] = 3.0 + 0.01 * np.log(r["n_params"][first])  # monotone: the vertex falls outside the sizes
    fig = isoflop_figure(r["n_params"], loss, r["budgets"])
    minima = next(line for line in fig.axes[0].lines if line.get_label() == "parabola minimum N*(C)")
    assert len(minima.get_xdata()) == len(np.unique(r["budgets"])) - 1


def test_frontier_figure_has_law_curve_band_and_held_out_runs(isoflop_runs, law_with_samples):
    r = isoflop_runs
    c = 6 * r["n_params"] * r["n_tokens"]
    fig = frontier_figure(law_with_samples, run_flops=c, run_loss=r["loss"], held_out=c >= 1e20, flops=1e21)
    ax = fig.axes[0]
    labels = _labels(ax)
    assert any("L(N*(C), D*(C))" in s for s in labels)
    assert any(s.startswith("90% band (60 variants)") for s in labels)
    assert "held out (not in the fit)" in labels and "runs (fitted)" in labels
    assert len(_fills(ax)) == 1
    curve = next(line for line in ax.lines if "L(N*(C)" in line.get_label())
    x, y = curve.get_xdata(), curve.get_ydata()
    assert np.all(np.diff(y) < 0)  # more compute, lower optimal loss
    n, d = law_with_samples.compute_optimal(x[50])
    assert y[50] == pytest.approx(law_with_samples.loss(n, d), rel=1e-9)


def test_frontier_figure_without_variants_has_no_band():
    ax = frontier_figure(get_law("epoch2024"), flops=1e23).axes[0]
    assert not _fills(ax)
    assert not any("band" in s for s in _labels(ax))


def test_landscape_figure_places_catalog_models_with_labels(law_with_samples):
    models = list_models()
    fig = landscape_figure(law_with_samples, models=models, flops=1e23)
    ax = fig.axes[0]
    labels = _labels(ax)
    assert "20 tokens/param" in labels and "reference models" in labels
    assert any(s.startswith("compute-optimal (N*, D*)") for s in labels)
    assert any("band of N*(C)" in s for s in labels)
    text = " ".join(a.get_text() for a in ax.texts)
    for m in models:
        assert m.name in text
    assert any(t.get_text().startswith("C = $10^{") for t in ax.texts)  # iso-compute labels
    twenty = next(line for line in ax.lines if line.get_label() == "20 tokens/param")
    assert np.allclose(twenty.get_ydata() / twenty.get_xdata(), 20)


def test_residuals_figure_has_three_panels_with_zero_lines(isoflop_runs):
    r = isoflop_runs
    fig = residuals_figure(r["n_params"], r["n_tokens"], r["loss"], law=get_law("epoch2024"))
    assert len(fig.axes) == 3
    for ax in fig.axes:
        assert ax.lines[0].get_ydata()[0] == 0.0
        assert ax.collections[0].get_offsets().shape == (35, 2)
    assert "RMS" in fig._suptitle.get_text()


def test_audit_figure_draws_identity_and_intervals():
    pred = np.array([2.0, 2.1, 2.2])
    actual = np.array([2.01, 2.12, 2.5])
    fig = audit_figure(pred, actual, lower=pred - 0.05, upper=pred + 0.05, level=0.9)
    ax = fig.axes[0]
    assert "y = x" in _labels(ax)
    assert "2 of 3 inside the prediction band" in ax.get_title()


def test_bootstrap_figure_histograms_alpha_beta_tokens_per_param(law_with_samples):
    fig = bootstrap_figure(law_with_samples, flops=1e23)
    assert len(fig.axes) == 3
    assert [len(ax.patches) for ax in fig.axes] == [30, 30, 30]
    assert "tokens/param" in fig.axes[2].get_xlabel()


def test_inference_figure_tokens_per_param_grow_with_demand():
    fig = inference_figure(get_law("epoch2024"), flops=1e22, inference_tokens=[1e9, 1e11, 1e13])
    left, right = fig.axes
    tpp = left.lines[0].get_ydata()
    assert np.all(np.diff(tpp) > 0)
    assert {"total (optimum)", "training 6ND", "inference 2NT"} <= set(_labels(right))


def test_cost_vs_loss_figure_cost_rises_as_target_falls(law_with_samples):
    fig = cost_vs_loss_figure(law_with_samples, target_losses=np.linspace(2.6, 2.1, 6), inference_tokens=1e12)
    ax = fig.axes[0]
    train = next(line for line in ax.lines if line.get_label().startswith("training only"))
    assert np.all(np.diff(train.get_ydata()) > 0)
    assert len(_fills(ax)) == 1
    assert any(s.startswith("training + inference") for s in _labels(ax))


def test_cost_vs_loss_warns_nothing_where_no_variant_reaches_the_target(law_with_samples):
    import warnings

    # 1.0 is below every variant's irreducible loss: no compute reaches it, the band is NaN there
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        fig = cost_vs_loss_figure(law_with_samples, target_losses=[2.6, 2.3, 1.0])
    train = next(line for line in fig.axes[0].lines if line.get_label().startswith("training only"))
    assert np.isnan(train.get_ydata()[-1]) and np.isfinite(train.get_ydata()[:2]).all()
