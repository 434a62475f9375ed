"""Figures of a fit and its data: IsoFLOP profiles, the loss–compute frontier, residuals, the
extrapolation audit and the bootstrap distributions.

Every function takes plain inputs (arrays, a law) and returns a :class:`matplotlib.figure.Figure`;
nothing is shown or saved here.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._intervals import central_interval, level_label
from ..errors import ConfigError
from ..flops import training_flops
from ..laws.base import JointLaw
from ..laws.fitted import FittedLaw
from ..laws.registry import FAMILIES
from ._curves import frontier_curve, variant_band
from ._mpl import (C_LABEL, D_LABEL, HELD_OUT_LABEL, LOSS_LABEL, N_LABEL, log_axis, log_range, new_figure,
                   sci_text)

__all__ = ["isoflop_figure", "frontier_figure", "residuals_figure", "audit_figure", "bootstrap_figure"]

LAW_COLOR = "#1f4e79"
BAND_COLOR = "#9ecae1"
HELD_OUT_COLOR = "#d62728"
#: held-out runs: a strong red, hollow diamonds, one legend entry (:data:`HELD_OUT_LABEL`) in every figure
HELD_OUT_STYLE = {"marker": "D", "facecolor": "none", "edgecolor": HELD_OUT_COLOR, "linewidths": 1.4,
                  "zorder": 4}
#: budgets are coloured along viridis up to this fraction: its last stretch is pale yellow, unreadable on
#: white
_CMAP_TOP = 0.82


def _held_out_mask(held_out: Any, size: int) -> np.ndarray:
    if held_out is None:
        return np.zeros(size, bool)
    ho = np.asarray(held_out, dtype=bool).ravel()
    if ho.size != size:
        raise ConfigError(f"The 'held_out' flags must have one entry per run ({size}). Got {ho.size}.")
    return ho


def _arrays(**named: Any) -> dict[str, np.ndarray]:
    out = {k: np.asarray(v, dtype=float).ravel() for k, v in named.items()}
    sizes = {k: v.size for k, v in out.items()}
    if len(set(sizes.values())) > 1:
        raise ConfigError(f"The arrays must have equal lengths. Got {sizes}.")
    return out


def isoflop_figure(n_params: Any, loss: Any, budgets: Any, *, law: JointLaw | None = None,
                   min_points: int = 3, held_out: Any = None) -> Any:
    """Loss against N at each compute budget, a parabola in ``log N`` per budget and its minimum (marked only
    inside the sampled sizes, the rule of :func:`scalinglab.fit.fit_isoflop_profiles`).

    ``budgets`` labels each run with its budget (FLOPs; NaN for runs outside any budget); pass
    :func:`scalinglab.report._curves.budget_labels` output when the data have no budget column. Hoffmann et
    al. (2022) Approach 2 takes each parabola's vertex as N*(C). With ``law`` its compute-optimal N*(C) is
    drawn through the minima for comparison. ``held_out`` (bool per run) marks runs the law was not fitted
    on. Budgets are told apart by colour, keyed on a colour bar.
    """
    a = _arrays(n_params=n_params, loss=loss, budgets=budgets)
    ho = _held_out_mask(held_out, a["loss"].size)
    fig, ax = new_figure(width=7.0)
    import matplotlib as mpl

    ok = np.isfinite(a["budgets"])
    levels = np.unique(a["budgets"][ok])
    if levels.size == 0:
        raise ConfigError("The 'budgets' labels must name at least one budget. Got none.")
    norm = mpl.colors.LogNorm(levels.min(), levels.max() * (1.0001 if levels.size == 1 else 1.0))
    cmap = mpl.colors.ListedColormap(mpl.colormaps["viridis"](np.linspace(0.0, _CMAP_TOP, 256)))
    minima = []
    for c in levels:
        m = a["budgets"] == c
        x, y = np.log(a["n_params"][m]), a["loss"][m]
        color = cmap(norm(c))
        ax.scatter(np.exp(x), y, s=14, color=color, alpha=0.85)
        if m.sum() < min_points:
            continue
        c2, c1, c0 = np.polyfit(x, y, 2)
        xs = np.linspace(x.min() - 0.2, x.max() + 0.2, 100)
        ax.plot(np.exp(xs), c0 + c1 * xs + c2 * xs * xs, color=color, lw=1.2)
        xv = -c1 / (2 * c2) if c2 > 0 else np.nan
        if x.min() <= xv <= x.max():  # as Approach 2: no minimum, or one outside the sampled sizes, is not N*
            minima.append((np.exp(xv), c0 + c1 * xv + c2 * xv * xv))
    if ho.any():
        ax.scatter(a["n_params"][ho], a["loss"][ho], s=36, label=HELD_OUT_LABEL, **HELD_OUT_STYLE)
    if minima:
        mn = np.array(minima)
        ax.plot(mn[:, 0], mn[:, 1], ls="none", marker="*", ms=11, mfc="white", mec="black", zorder=5,
                label="parabola minimum N*(C)")
    if law is not None:
        n_opt, _, l_opt = frontier_curve(law, levels)
        ax.plot(n_opt, l_opt, ls="--", color="gray", lw=1, label=f"{law.name}: N*(C)")
    log_axis(ax, "x")
    ax.set_xlabel(N_LABEL)
    ax.set_ylabel(LOSS_LABEL)
    ax.set_title("IsoFLOP profiles")
    _budget_colorbar(fig, ax, cmap, norm, levels)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8, loc="upper right")
    return fig


def _budget_colorbar(fig: Any, ax: Any, cmap: Any, norm: Any, levels: np.ndarray) -> None:
    """A colour bar keyed to the budgets, each budget a tick (labels thinned so that none overprint)."""
    import matplotlib as mpl

    cbar = fig.colorbar(mpl.cm.ScalarMappable(norm=norm, cmap=cmap), ax=ax, pad=0.01, aspect=30)
    cbar.set_label("compute budget C (FLOP)")
    cbar.ax.minorticks_off()
    span = np.log10(levels.max() / levels.min()) or 1.0
    shown, last = [], -np.inf
    for c in levels:  # at most ~16 labels: one closer than 1/16 of the bar to the last labelled is skipped
        if (np.log10(c) - last) / span >= 1 / 16:
            shown.append(c)
            last = np.log10(c)
    cbar.set_ticks(levels, labels=[sci_text(c, 2) if c in shown else "" for c in levels])
    cbar.ax.tick_params(labelsize=8)


def frontier_figure(law: JointLaw, *, run_flops: Any = None, run_loss: Any = None, held_out: Any = None,
                    flops_range: tuple[float, float] | None = None, flops: float | None = None,
                    level: float = 0.90) -> Any:
    """Loss against training compute: runs, the law's compute-optimal loss ``L(N*(C), D*(C))``, and the
    ``level`` band of that curve across the law's variants (bootstrap refits) when it has any.

    ``run_flops``/``run_loss`` are runs drawn as dots; ``flops`` is a compute budget to mark.
    ``held_out`` (bool per run) marks runs the law was not fitted on (the extrapolation audit's test set).
    """
    if run_flops is not None:
        a = _arrays(flops=run_flops, loss=run_loss)
        lo, hi = a["flops"].min(), a["flops"].max()
        if flops:
            hi = max(hi, flops)
        flops_range = flops_range or (lo / 3, hi * 3)
    elif flops_range is None:
        flops_range = (1e18, max(1e26, 3 * (flops or 0)))
    c = log_range(*flops_range, n=120)
    fig, ax = new_figure()
    band = variant_band(law, c, level)
    if band is not None:
        ax.fill_between(c, band.loss_low, band.loss_high, color=BAND_COLOR, alpha=0.6,
                        label=f"{level:.0%} band ({band.n_variants} variants)")
    _, _, l_opt = frontier_curve(law, c)
    ax.plot(c, l_opt, color=LAW_COLOR, lw=2, label=f"{law.name}: L(N*(C), D*(C))")
    if run_flops is not None:
        ho = _held_out_mask(held_out, a["flops"].size)
        ax.scatter(a["flops"][~ho], a["loss"][~ho], s=12, color="0.35", alpha=0.7, label="runs (fitted)")
        if ho.any():
            ax.scatter(a["flops"][ho], a["loss"][ho], s=36, label=HELD_OUT_LABEL, **HELD_OUT_STYLE)
    if flops:
        ax.axvline(flops, color="0.5", ls=":", lw=1, label=f"budget {sci_text(flops)} FLOP")
    log_axis(ax, "x")
    ax.set_xlabel(C_LABEL)
    ax.set_ylabel(LOSS_LABEL)
    ax.set_title("Compute-optimal frontier")
    ax.legend(fontsize=8, loc="upper right")
    return fig


def residuals_figure(n_params: Any, n_tokens: Any, loss: Any, *, law: JointLaw | None = None,
                     predicted: Any = None, held_out: Any = None) -> Any:
    """``log(L) − log(L̂)`` against N, D and C = 6ND (three panels); a trend means a missing term."""
    a = _arrays(n_params=n_params, n_tokens=n_tokens, loss=loss)
    if predicted is None:
        if law is None:
            raise ConfigError("The residuals need 'law' or 'predicted'. Got neither.")
        predicted = law.loss(a["n_params"], a["n_tokens"])
    r = np.log(a["loss"]) - np.log(np.asarray(predicted, dtype=float).ravel())
    ho = _held_out_mask(held_out, r.size)
    fig, axes = new_figure(3, width=11, height=3.6)
    c = training_flops(a["n_params"], a["n_tokens"], check_input=False)  # unchecked: log axes drop bad runs
    xs = {N_LABEL: a["n_params"], D_LABEL: a["n_tokens"], C_LABEL: c}
    for ax, (label, x) in zip(axes, xs.items()):
        ax.axhline(0.0, color="black", lw=0.8)
        ax.scatter(x[~ho], r[~ho], s=10, color="0.35", alpha=0.7, label="runs (fitted)")
        if ho.any():
            ax.scatter(x[ho], r[ho], s=30, label=HELD_OUT_LABEL, **HELD_OUT_STYLE)
        log_axis(ax, "x")
        ax.set_xlabel(label)
    if ho.any():
        axes[0].legend(fontsize=7)
    axes[0].set_ylabel(r"log residual $\ln L - \ln \hat{L}$ (dimensionless)")
    fig.suptitle(f"Residuals (RMS {np.sqrt(np.mean(r * r)):.4f} in ln L)")
    return fig


def audit_figure(predicted: Any, actual: Any, *, lower: Any = None, upper: Any = None,
                 level: float | None = None) -> Any:
    """Predicted against actual loss of held-out runs, with ``y = x`` and the prediction intervals."""
    a = _arrays(predicted=predicted, actual=actual)
    fig, ax = new_figure(width=5.2, height=4.6)
    p, y = a["predicted"], a["actual"]
    lo_all, hi_all = min(p.min(), y.min()), max(p.max(), y.max())
    pad = 0.05 * (hi_all - lo_all or 1.0)
    ax.plot([lo_all - pad, hi_all + pad], [lo_all - pad, hi_all + pad], color="black", lw=0.8, label="y = x")
    if lower is not None and upper is not None:
        lo, hi = np.asarray(lower, float), np.asarray(upper, float)
        inside = (y >= lo) & (y <= hi)
        lab = f"{level_label(level)} prediction band (a new run)" if level else "prediction band"
        ax.errorbar(y, p, yerr=[p - lo, hi - p], fmt="none", ecolor=BAND_COLOR, elinewidth=2, label=lab)
        ax.set_title(f"Held-out runs: {inside.sum()} of {inside.size} inside the prediction band")
    else:
        ax.set_title("Held-out runs")
    are = np.abs(p - y) / y
    ax.scatter(y, p, s=30, label=f"{HELD_OUT_LABEL}; mean ARE {are.mean():.2%}", **HELD_OUT_STYLE)
    ax.set_xlabel("actual loss (nats/token)")
    ax.set_ylabel("predicted loss (nats/token)")
    ax.legend(fontsize=8)
    return fig


#: readable axis labels of the exponents a family's identification checks
_EXPONENT_LABELS = {"alpha": "α (parameters exponent)", "beta": "β (data exponent)", "alpha_N": "α_N (parameters)",
                    "alpha_D": "α_D (data)", "eta": "η (compute exponent)"}


def bootstrap_figure(law: FittedLaw | JointLaw, *, flops: float, level: float | None = None) -> Any:
    """Histograms over the bootstrap refits of the family's exponents and of the compute-optimal tokens/param
    at ``flops``, with the point estimate and the ``level`` central interval (the law's own by default).

    ``law`` is a fitted law of any family, or a Chinchilla law carrying bootstrap ``samples``."""
    fitted = FittedLaw.of(law)
    if len(fitted.samples) < 2 or not fitted.is_joint:
        raise ConfigError(f"The bootstrap figure needs a law of N and D with at least 2 refits. Got {fitted.name!r} "
                          f"with {len(fitted.samples)}.")
    level = fitted.level if level is None else level
    draws, coefs = fitted.draws(flops), fitted.law.coefficients()
    names = FAMILIES[fitted.family].exponents if fitted.family in FAMILIES else ()
    values = {_EXPONENT_LABELS.get(k, k): (draws[k], coefs[k]) for k in names}
    key, opt = f"tokens_per_param@{flops:.3g}", fitted.law.compute_optimal(flops)  # type: ignore[union-attr]
    if key in draws and opt is not None:
        values[f"tokens/param D*/N* at C = {sci_text(flops)} FLOP"] = (draws[key], float(opt[1] / opt[0]))
    fig, axes = new_figure(len(values), width=11 * len(values) / 3, height=3.4)
    for ax, (label, (x, point)) in zip(np.atleast_1d(axes), values.items()):
        lo, hi = central_interval(x, level)
        ratio = label.startswith("tokens/param")
        # a ratio of two power laws spreads over decades: log-spaced bins on a log axis, else one tall bar
        bins = np.geomspace(x.min(), x.max() * (1 + 1e-9), 31) if ratio and x.min() > 0 else 30
        ax.hist(x, bins=bins, color=BAND_COLOR, edgecolor="white")
        ax.axvline(point, color=LAW_COLOR, lw=2, label=f"fit {point:.4g}")
        ax.axvline(lo, color="0.3", ls="--", lw=1, label=f"{level:.0%}: {lo:.4g}–{hi:.4g}")
        ax.axvline(hi, color="0.3", ls="--", lw=1)
        if ratio and x.min() > 0:
            log_axis(ax, "x")
        ax.set_xlabel(label)
        ax.legend(fontsize=7)
    np.atleast_1d(axes)[0].set_ylabel("bootstrap refits")
    fig.suptitle(f"Bootstrap distributions ({len(fitted.samples)} refits)")
    return fig
