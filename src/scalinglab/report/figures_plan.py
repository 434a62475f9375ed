"""Planner views: how the inference-aware optimum moves with lifetime demand (Sardana et al. 2024), and
what a target loss costs in training (and training + inference) compute."""

from __future__ import annotations

import warnings

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import ConfigError, PlanError
from ..laws.base import JointLaw
from ..plan.inference import inference_sweep, plan_inference
from ._curves import frontier_curve, point_law, variant_band
from ._mpl import log_range, new_figure
from .figures_fit import BAND_COLOR, LAW_COLOR

__all__ = ["inference_figure", "cost_vs_loss_figure", "DEFAULT_INFERENCE_TOKENS"]

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
    ax1.set_xscale("log")
    ax1.set_yscale("log")
    ax1.set_xlabel("lifetime inference tokens T")
    ax1.set_ylabel("training tokens per parameter")
    ax1.legend(fontsize=8)
    ax2.plot(t, total, color=LAW_COLOR, lw=2, label="total (optimum)")
    ax2.plot(t, train, color="#2ca02c", lw=1, label="training 6ND")
    ax2.plot(t, infer, color="#9467bd", lw=1, label="inference 2NT")
    ax2.plot(t, ref_total, color="0.4", ls="--", lw=1, label="total (compute-optimal model)")
    ax2.set_xscale("log")
    ax2.set_yscale("log")
    ax2.set_xlabel("lifetime inference tokens T")
    ax2.set_ylabel("FLOPs")
    ax2.legend(fontsize=8)
    fig.suptitle(f"Same loss as the compute-optimal model of {flops:.3g} FLOPs "
                 f"(L = {plans[0].loss:.4f}), {law.name}")
    return fig


def _flops_for_losses(n_law: JointLaw, targets: np.ndarray, c_grid: np.ndarray) -> np.ndarray:
    _, _, l_opt = frontier_curve(n_law, c_grid)
    # L*(C) decreases with C: interpolate log C against log L* (reversed to increase)
    order = np.argsort(l_opt)
    return np.exp(np.interp(np.log(targets), np.log(l_opt[order]), np.log(c_grid[order]),
                            left=np.nan, right=np.nan))


def cost_vs_loss_figure(law: JointLaw, *, target_losses: Sequence[float] | None = None,
                        inference_tokens: float | None = None, flops_range: tuple[float, float] = (1e19, 1e27),
                        level: float = 0.90) -> Any:
    """Least training compute reaching each target loss (the compute-optimal model of that loss), with the
    ``level`` band across the law's variants; with ``inference_tokens`` also the least training + inference
    compute at that loss for that lifetime demand (Sardana et al. 2024)."""
    c_grid = log_range(*flops_range, n=400)
    _, _, l_opt = frontier_curve(law, c_grid)
    if target_losses is None:
        target_losses = np.linspace(l_opt.min(), l_opt.max(), 40)[1:-1]
    ell = np.asarray(target_losses, dtype=float)
    if ell.size < 2:
        raise ConfigError(f"The 'target_losses' must hold at least 2 losses. Got {ell.size}.")
    c_train = _flops_for_losses(law, ell, c_grid)
    fig, ax = new_figure()
    band = variant_band(law, c_grid, level)
    if band is not None:
        variants = law.variants()
        step = max(1, len(variants) // 200)
        draws = np.array([_flops_for_losses(v, ell, c_grid) for v in variants[::step]])
        q = 100 * (1 - level) / 2
        # a target no variant reaches within the compute range is NaN in every draw: a gap in the band
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="All-NaN slice", category=RuntimeWarning)
            lo, hi = np.nanpercentile(draws, [q, 100 - q], axis=0)
        ax.fill_between(ell, lo, hi, color=BAND_COLOR, alpha=0.6, label=f"{level:.0%} band")
    ax.plot(ell, c_train, color=LAW_COLOR, lw=2, label="training only (compute-optimal)")
    if inference_tokens:
        pl = point_law(law)
        sub = ell[:: max(1, ell.size // 8)]
        totals = []
        for x in sub:
            try:
                totals.append(plan_inference(inference_tokens, target_loss=float(x), law=pl).total_flops)
            except PlanError:
                totals.append(np.nan)
        ax.plot(sub, totals, color="#9467bd", marker="o", ms=3,
                label=f"training + inference, T = {inference_tokens:.2g} tokens")
    ax.set_yscale("log")
    ax.invert_xaxis()
    ax.set_xlabel("target loss (nats/token; better to the right)")
    ax.set_ylabel("FLOPs")
    ax.set_title(f"Cost of a target loss under {law.name}")
    ax.legend(fontsize=8)
    return fig
