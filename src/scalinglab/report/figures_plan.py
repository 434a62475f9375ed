"""Planner views: how the inference-aware optimum moves with lifetime demand (Sardana et al. 2024), and
what a target loss costs in training (and training + inference) compute."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import ConfigError, PlanError
from ..laws.base import JointLaw
from ..plan.inference import inference_sweep, plan_inference
from ..plan.optimal import optimal_flops_for_loss, optimal_flops_for_losses
from ._curves import frontier_curve, point_law
from ._mpl import log_axis, log_range, new_figure, sci_text
from .figures_fit import BAND_COLOR, LAW_COLOR

__all__ = ["inference_figure", "cost_vs_loss_figure", "target_flops_range", "DEFAULT_INFERENCE_TOKENS"]

DEFAULT_INFERENCE_TOKENS = tuple(float(x) for x in np.logspace(9, 15, 9))


def inference_figure(law: JointLaw, *, flops: float, inference_tokens: Sequence[float] | None = None) -> Any:
    """Two panels against lifetime inference tokens T at the quality of the compute-optimal model of
    ``flops``: (left) tokens/param of the cheapest model, with 20 and the compute-optimal ratio for
    reference; (right) its training, inference and total FLOPs, and the total of the compute-optimal model."""
    ts = [float(t) for t in (inference_tokens or DEFAULT_INFERENCE_TOKENS)]
    plans = inference_sweep(ts, flops=flops, law=point_law(law))
    t = np.array(ts)
    tpp = np.array([p.tokens_per_param for p in plans])
    train = np.array([p.flops for p in plans])
    infer = np.array([p.inference_flops for p in plans])
    total = np.array([p.total_flops for p in plans])
    ref_total = np.array([p.reference["total_flops"] for p in plans])
    ref_tpp = plans[0].reference["tokens_per_param"]
    fig, (ax1, ax2) = new_figure(2, width=11, height=4.0)
    ax1.plot(t, tpp, marker="o", ms=4, color=LAW_COLOR, label="inference-aware optimum")
    ax1.axhline(ref_tpp, color="0.4", ls="--", lw=1, label=f"compute-optimal ({ref_tpp:.3g})")
    ax1.axhline(20, color="#ff7f0e", ls=":", lw=1, label="20 tokens/param")
    log_axis(ax1, "both")
    ax1.set_xlabel("lifetime inference tokens T")
    ax1.set_ylabel("training tokens per parameter D/N")
    ax1.legend(fontsize=8)
    ax2.plot(t, total, color=LAW_COLOR, lw=2, label="total (optimum)")
    ax2.plot(t, train, color="#2ca02c", lw=1, label="training 6ND")
    ax2.plot(t, infer, color="#9467bd", lw=1, label="inference 2NT")
    ax2.plot(t, ref_total, color="0.4", ls="--", lw=1, label="total (compute-optimal model)")
    log_axis(ax2, "both")
    ax2.set_xlabel("lifetime inference tokens T")
    ax2.set_ylabel("compute (FLOP)")
    ax2.legend(fontsize=8)
    fig.suptitle(f"Same loss as the compute-optimal model of {sci_text(flops)} FLOP "
                 f"(L = {plans[0].loss:.4f}), {law.name}")
    return fig


def _least_flops(law: JointLaw, targets: np.ndarray) -> np.ndarray:
    """The planner's least compute for each target loss (:func:`~scalinglab.plan.optimal_flops_for_loss`,
    what ``scalinglab plan --target-loss`` prints); NaN where no compute reaches it."""
    out = []
    for x in targets:
        try:
            out.append(optimal_flops_for_loss(law, float(x)))
        except PlanError:
            out.append(np.nan)
    return np.asarray(out, dtype=float)


#: the default chart spans these decades of compute below and above the budget ...
_DECADES_BELOW, _DECADES_ABOVE = 4, 3
#: ... widened toward small compute (at most this many more decades) until the target losses span at least
#: half the excess loss over the law's floor at the cheap end and 2% of the loss: never a sliver of loss
_MAX_WIDEN = 6


def target_flops_range(law: JointLaw, flops: float | None = None) -> tuple[float, float]:
    """The compute range whose compute-optimal losses the cost chart spans: the budget ``flops`` (default 1e23)
    divided by 10^4 to times 10^3, its low end lowered a decade at a time (up to 6) while the losses it spans
    are under half the excess loss ``L*(C_low) - L*(∞)`` or under 2% of ``L*(C_high)``, as with a law whose
    loss has nearly reached its floor at the budget; ``L*(∞)`` is taken at 10^12 times the high end."""
    centre = float(flops) if flops else 1e23
    lo, hi = centre / 10.0**_DECADES_BELOW, centre * 10.0**_DECADES_ABOVE
    _, _, far = frontier_curve(law, [hi * 1e12])
    floor = float(far[0])
    for _ in range(_MAX_WIDEN):
        _, _, ends = frontier_curve(law, [lo, hi])
        span = float(ends[0] - ends[1])
        if span >= 0.5 * (float(ends[0]) - floor) and span >= 0.02 * float(ends[1]):
            break
        lo /= 10.0
    return lo, hi


def cost_vs_loss_figure(law: JointLaw, *, target_losses: Sequence[float] | None = None,
                        inference_tokens: float | None = None, flops_range: tuple[float, float] | None = None,
                        flops: float | None = None, level: float = 0.90) -> Any:
    """Least training compute reaching each target loss (the compute-optimal model of that loss), with the
    ``level`` band across the law's variants; with ``inference_tokens`` also the least training + inference
    compute at that loss for that lifetime demand (Sardana et al. 2024).

    By default the target losses are the compute-optimal losses at log-spaced compute over ``flops_range``
    (even steps up the log axis, however steep the curve near the law's floor), itself by default
    :func:`target_flops_range` around the budget ``flops``, also marked. Where some variants cannot
    reach a target within 10^6 times the range's top, the band runs off the top of the chart.
    """
    if flops_range is None:
        flops_range = target_flops_range(law, flops)
    c_lo, c_hi = (float(v) for v in flops_range)
    if not 0 < c_lo < c_hi:
        raise ConfigError(f"The 'flops_range' parameter must be two increasing positive FLOP counts. Got "
                          f"{flops_range!r}.")
    if target_losses is None:  # the losses at log-spaced compute: even steps up the chart's log axis
        target_losses = frontier_curve(law, log_range(c_lo, c_hi, n=60))[2]
    ell = np.asarray(target_losses, dtype=float)
    if ell.size < 2:
        raise ConfigError(f"The 'target_losses' must hold at least 2 losses. Got {ell.size}.")
    c_train = _least_flops(point_law(law), ell)
    sub, totals = _inference_totals(law, ell, inference_tokens) if inference_tokens else (None, None)
    lb = _budget_loss(law, flops, ell) if flops else None
    shown = np.concatenate([c_train, [] if totals is None else totals, [] if lb is None else [flops]])
    shown = shown[np.isfinite(shown) & (shown > 0)]
    y_lo, y_hi = (shown.min() / 10, shown.max() * 10) if shown.size else (c_lo, c_hi)
    fig, ax = new_figure()
    _draw_variant_band(ax, law, ell, (c_lo, c_hi), (y_lo, y_hi), level)
    ax.plot(ell, c_train, color=LAW_COLOR, lw=2, label="training only (compute-optimal)")
    if totals is not None:
        ax.plot(sub, totals, color="#9467bd", marker="o", ms=3,
                label=f"training + inference, T = {sci_text(inference_tokens)} tokens")
    if lb is not None:
        ax.plot([lb], [flops], ls="none", marker="*", ms=13, color="gold", mec="black", zorder=5,
                label=f"budget {sci_text(flops)} FLOP: L* = {lb:.3f}")
    log_axis(ax, "y")
    ax.set_ylim(y_lo, y_hi)
    pad = 0.02 * (np.ptp(ell) or abs(ell[0]) or 1.0)
    ax.set_xlim(ell.max() + pad, ell.min() - pad)  # better (lower) loss to the right
    ax.set_xlabel("target loss (nats/token; better to the right)")
    ax.set_ylabel("least compute (FLOP)")
    ax.set_title(f"Cost of a target loss under {law.name}")
    ax.legend(fontsize=8, loc="upper left")
    return fig


def _inference_totals(law: JointLaw, ell: np.ndarray, inference_tokens: float) -> tuple[np.ndarray, np.ndarray]:
    """Nine of the target losses (both ends included) and the least training + inference compute at each
    (:func:`~scalinglab.plan.plan_inference` under the point law; NaN where it finds no plan)."""
    pl = point_law(law)
    sub = ell[np.unique(np.linspace(0, ell.size - 1, 9).round().astype(int))]
    totals = []
    for x in sub:
        try:
            totals.append(plan_inference(inference_tokens, target_loss=float(x), law=pl).total_flops)
        except PlanError:
            totals.append(np.nan)
    return sub, np.asarray(totals, dtype=float)


def _budget_loss(law: JointLaw, flops: float, ell: np.ndarray) -> float | None:
    """The compute-optimal loss at ``flops``; None when it is off the chart (targets or flops_range given)."""
    lb = float(frontier_curve(law, [flops])[2][0])
    return lb if ell.min() <= lb <= ell.max() else None


def _draw_variant_band(ax: Any, law: JointLaw, ell: np.ndarray, c_range: tuple[float, float],
                       y_range: tuple[float, float], level: float) -> None:
    """The ``level`` band of the least compute across (at most ~200 of) the law's variants; none without."""
    variants = law.variants()
    if len(variants) < 2:
        return
    wide = log_range(*c_range, pad_dex=6.0, n=600)
    step = max(1, len(variants) // 200)
    draws = np.array([optimal_flops_for_losses(v, ell, wide, beyond=True) for v in variants[::step]])
    q = 100 * (1 - level) / 2
    # in log space, where +inf (a variant that needs more than the wide grid, or never gets there) and 0
    # order correctly; a band end beyond the chart is drawn to its edge
    with np.errstate(divide="ignore"):
        logs = np.clip(np.log10(draws), -300.0, 300.0)
    lo, hi = 10.0 ** np.percentile(logs, [q, 100 - q], axis=0)
    ax.fill_between(ell, np.clip(lo, *y_range), np.clip(hi, *y_range), color=BAND_COLOR, alpha=0.6,
                    label=f"{level:.0%} band ({len(draws)} variants)")
