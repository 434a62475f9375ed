"""Training curves under learning-rate schedules against a fitted curve law (:mod:`scalinglab.fit.curves`): a
figure of the logged and predicted loss of each schedule with the law's band and the relative residuals, and the
report's section with a table per schedule. Every number comes from :func:`~scalinglab.fit.curves.predict_curve`
and :func:`~scalinglab.fit.curves.curve_metrics`, through :func:`curve_views`; nothing here fits.

(:mod:`._curves` is another thing: the numbers of the compute-optimal frontier's figures.)
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._intervals import DEFAULT_LEVEL, central_interval, check_level, level_label
from .._validate import check_choice
from ..errors import ConfigError
from ..fit.curves import Curve, CurveFit, curve_metrics, predict_curve
from ..laws.curves import get_curve_law
from ._mpl import LOSS_LABEL, log_axis, new_mosaic
from .html import esc, table

__all__ = ["CurveView", "curve_views", "check_fit", "check_curve_inputs", "curve_band_label", "curve_figure",
           "curve_section", "report_section", "CURVE_BANDS", "STEP_LABEL", "RESIDUAL_LABEL"]

#: the bands :func:`~scalinglab.fit.curves.predict_curve` gives: ``run`` (its ``run_low/high``), ``mean``
CURVE_BANDS = ("run", "mean")
STEP_LABEL = "optimizer step"
RESIDUAL_LABEL = "predicted / logged − 1 (%)"
#: schedules are told apart by colour (tab10, then tab20 past ten schedules)
_FITTED_MARK = {"marker": "o", "ms": 2.4, "ls": "none"}
_HELD_OUT_MARK = {"marker": "o", "ms": 3.0, "ls": "none", "mfc": "none", "mew": 0.8}


@dataclass(frozen=True, eq=False)
class CurveView:
    """One curve against the law: its logged points, the prediction and bands there, the authors' metrics."""

    curve: Curve
    fitted: bool  # the fit saw this curve (its name is in ``fit.curves``)
    pred: dict[str, np.ndarray]  # predict_curve's output at the curve's steps
    metrics: dict[str, float]  # curve_metrics(logged, predicted)

    @property
    def role(self) -> str:
        return "fitted" if self.fitted else "held out"

    def band(self, kind: str) -> tuple[np.ndarray, np.ndarray]:
        return self.pred[f"{kind}_low"], self.pred[f"{kind}_high"]


def check_fit(fit: Any) -> CurveFit:
    if not isinstance(fit, CurveFit):
        raise ConfigError(f"The 'curve_fit' parameter must be a CurveFit (scalinglab.fit.curves.fit_curves). Got "
                          f"{type(fit).__name__}.")
    return fit


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


def check_curve_inputs(fit: Any, curves: Any) -> tuple[Curve, ...]:
    """``curves`` as a tuple after one clear ConfigError for a fit that is not a CurveFit, a wrong type, no curve,
    or a name given twice."""
    check_fit(fit)
    if isinstance(curves, Curve) or not isinstance(curves, Sequence) or not curves:
        raise ConfigError(f"The 'curves' parameter must be a non-empty list of Curve (scalinglab.fit.curves.Curve). "
                          f"Got {type(curves).__name__}{'' if isinstance(curves, Curve) else ' ' + repr(curves)[:60]}.")
    bad = next((c for c in curves if not isinstance(c, Curve)), None)
    if bad is not None:
        raise ConfigError(f"Each entry of 'curves' must be a Curve (scalinglab.fit.curves.Curve). Got "
                          f"{type(bad).__name__}.")
    names = [c.name for c in curves]
    twice = next((n for n in names if names.count(n) > 1), None)
    if twice is not None:
        raise ConfigError(f"Each curve must have its own name (the figure and table key on it). Got {twice!r} "
                          f"{names.count(twice)} times.")
    return tuple(curves)


def curve_views(fit: CurveFit, curves: Sequence[Curve], level: float = DEFAULT_LEVEL) -> list[CurveView]:
    """Each curve with the law's prediction and ``level`` bands at its logged steps, and its metrics; a curve is
    *fitted* when the fit saw it (its name is in ``fit.curves``), else *held out* (predicted)."""
    level = check_level(level)
    views = []
    for c in check_curve_inputs(fit, curves):
        pred = predict_curve(fit, c.lrs, c.steps, level=level)
        views.append(CurveView(c, c.name in fit.curves, pred, curve_metrics(c.loss, pred["loss"])))
    return views


def curve_band_label(fit: CurveFit, kind: str, level: float, *, short: bool = False) -> str:
    """What the ``kind`` band of :func:`~scalinglab.fit.curves.predict_curve` covers, at ``level``, as this fit
    makes it (with or without bootstrap refits, with or without the error on an unfitted schedule)."""
    check_choice("band", kind, CURVE_BANDS)
    n = len(fit.samples)
    head = f"{level_label(level)} {kind} band"
    if kind == "mean":
        return f"{head} (the law's mean curve)" if short else \
            f"{head} (the law's mean curve: parameter uncertainty, {n} bootstrap refits)"
    if short:
        return f"{head} (a run's logged loss)"
    parts = ([f"parameter uncertainty ({n} bootstrap refits)"] if n else []) + ["the scatter of logged points "
                                                                                "about the law"]
    if fit.transfer_sd is not None:
        parts.append("the law's error on a schedule it was not fitted on (leave-one-curve-out)")
    tail = "" if n else "; no bootstrap refits, so without parameter uncertainty"
    return f"{head} (a run's logged loss on the schedule: {' + '.join(parts)}{tail})"


def _check_band(fit: CurveFit, band: str) -> None:
    check_choice("band", band, CURVE_BANDS)
    if band == "mean" and not len(fit.samples):
        raise ConfigError("The 'band' parameter 'mean' needs bootstrap refits; the fit has none (fit_curves(..., "
                          "n_bootstrap=...)). Got band='mean'.")


def _colors(n: int) -> list[Any]:
    from matplotlib import colormaps

    cmap = colormaps["tab10" if n <= 10 else "tab20"]
    return [cmap(i % cmap.N) for i in range(n)]


def curve_figure(fit: CurveFit, curves: Sequence[Curve], *, level: float = DEFAULT_LEVEL, band: str = "run",
                 x_scale: str = "linear") -> Any:
    """The logged loss of each schedule (dots: filled fitted, hollow held out) against the law's prediction (line)
    and its ``level`` ``band`` ("run": where a run's logged loss lies; "mean": the law's mean curve, which needs
    bootstrap refits), one colour per schedule; below, one panel per schedule of the relative residual
    ``predicted / logged − 1`` with the band in the same terms (a point is inside the band exactly where its
    residual is inside the grey). ``x_scale``: "linear" or "log" steps."""
    _check_band(check_fit(fit), band)
    check_choice("x_scale", x_scale, ("linear", "log"))
    return _figure(fit, curve_views(fit, curves, level), level, band, x_scale)


def _figure(fit: CurveFit, views: list[CurveView], level: float, band: str, x_scale: str) -> Any:
    """:func:`curve_figure` drawn from the curves' views (checked and predicted)."""
    views = sorted(views, key=lambda v: not v.fitted)  # fitted first, in the order given
    n = len(views)
    ncols = min(3, n)
    nrows = math.ceil(n / ncols)
    mosaic = [["loss"] * ncols] + [[i * ncols + j if i * ncols + j < n else "." for j in range(ncols)]
                                   for i in range(nrows)]
    fig, axes = new_mosaic(mosaic, width=11.0, height=4.4 + 2.3 * nrows, height_ratios=[2.2] + [1.0] * nrows)
    ax = axes["loss"]
    colors = _colors(n)
    for v, col in zip(views, colors):
        c, lo_hi = v.curve, v.band(band)
        ax.fill_between(c.steps, *lo_hi, color=col, alpha=0.22, lw=0)
        ax.plot(c.steps, v.pred["loss"], color=col, lw=1.3)
        # every logged point is in the residual panels; here at most ~60 a curve, so the law's line shows
        ax.plot(c.steps, c.loss, color=col, markevery=max(1, c.steps.size // 60),
                **(_FITTED_MARK if v.fitted else _HELD_OUT_MARK), label=f"{c.name} ({v.role})")
    n_fit = sum(v.fitted for v in views)
    _style_legend(ax, fit, band, level, n_fit, n - n_fit)
    ax.set_ylabel(LOSS_LABEL)
    ax.set_xlabel(STEP_LABEL)
    title = f"{fit.law} law fitted on {_plural(len(fit.curves), 'schedule')}"
    if n_fit != len(fit.curves):
        title += f" ({n_fit} shown)"
    if n > n_fit:
        title += f", predicting {n - n_fit} held out"
    ax.set_title(title + ": logged loss (dots) and the law (line, band)", fontsize=10)
    shared = None
    for k, (v, col) in enumerate(zip(views, colors)):
        r = axes[k]
        if shared is None:
            shared = r
        else:
            r.sharey(shared)
        _residual_panel(r, v, col, band)
        if k % ncols == 0:
            r.set_ylabel(RESIDUAL_LABEL, fontsize=8)
        if k >= n - ncols:
            r.set_xlabel(STEP_LABEL, fontsize=8)
    for a in [ax, *(axes[k] for k in range(n))]:
        if x_scale == "log":
            log_axis(a, "x")
        else:
            a.xaxis.set_major_formatter(_step_formatter())
    fig.suptitle(textwrap.fill(curve_band_label(fit, band, level), 170), fontsize=8, color="0.3")
    return fig


def _step_formatter() -> Any:
    """Steps as 0, 500, 10k, 72k: five-digit tick labels crowd a small panel."""
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda x, _: f"{x / 1000:g}k" if abs(x) >= 1000 else f"{x:g}")


def _style_legend(ax: Any, fit: CurveFit, band: str, level: float, n_fit: int, n_held: int) -> None:
    """Two legends: the schedules (colour; filled fitted, hollow held out), then what each mark is."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    first = ax.legend(fontsize=7, loc="upper right", title="schedule", title_fontsize=7, markerscale=2.0)
    ax.add_artist(first)
    keys = ([Line2D([], [], color="0.35", **_FITTED_MARK, label="logged loss, fitted schedule")] if n_fit else []) \
        + ([Line2D([], [], color="0.35", **_HELD_OUT_MARK, label="logged loss, held-out schedule")] if n_held else [])
    keys += [Line2D([], [], color="0.35", lw=1.3, label=f"{fit.law} law ({fit.method} fit)"),
            Patch(color="0.35", alpha=0.22, lw=0, label=curve_band_label(fit, band, level, short=True))]
    ax.legend(handles=keys, fontsize=7, loc="lower left")


def _residual_panel(ax: Any, v: CurveView, color: Any, band: str) -> None:
    c, pred = v.curve, v.pred["loss"]
    lo, hi = v.band(band)
    # obs ∈ [lo, hi]  ⇔  pred/obs − 1 ∈ [pred/hi − 1, pred/lo − 1]: the band in the residual's own terms
    ax.fill_between(c.steps, 100 * (pred / hi - 1), 100 * (pred / lo - 1), color="0.8", lw=0)
    ax.axhline(0.0, color="0.3", lw=0.6)
    ax.plot(c.steps, 100 * (pred / c.loss - 1), color=color, lw=1.0)
    ax.set_title(f"{c.name} ({v.role})\nmean |rel. error| {v.metrics['prede']:.2%}, R² {v.metrics['r2']:.4f}",
                 fontsize=8, color=color, loc="left")
    ax.tick_params(labelsize=7)


def _param_rows(fit: CurveFit, level: float) -> tuple[list[list[Any]], list[str]]:
    header = ["parameter", "value"]
    rows: list[list[Any]] = [[k, v] for k, v in fit.params.items()]
    if len(fit.samples) >= 2:
        header.append(f"{level_label(level)} interval ({len(fit.samples)} bootstrap refits)")
        lo, hi = central_interval(fit.samples, level, axis=0)
        for row, a, b in zip(rows, lo, hi):
            row.append(f"{a:.4g} – {b:.4g}")
    return rows, header


def curve_section(fit: CurveFit, curves: Sequence[Curve], *, level: float = DEFAULT_LEVEL, band: str = "run",
                  figure_html: str = "") -> str:
    """The report's section on training curves: the law and fit, a table per schedule (the authors' metrics
    from :func:`~scalinglab.fit.curves.curve_metrics`, the final loss logged and predicted with its ``band``),
    the held-out schedules' summary, and ``figure_html`` (the rendered :func:`curve_figure`) at the end."""
    _check_band(check_fit(fit), band)
    return _section(fit, curve_views(fit, curves, level), level, band, figure_html)


def _section(fit: CurveFit, views: list[CurveView], level: float, band: str, figure_html: str) -> str:
    """:func:`curve_section` written from the curves' views (checked and predicted)."""
    law = get_curve_law(fit.law)
    label = curve_band_label(fit, band, level)
    rows = []
    for v in views:
        c, m = v.curve, v.metrics
        lo, hi = v.band(band)
        logged, predicted = float(c.loss[-1]), float(v.pred["loss"][-1])
        rows.append([c.name, v.role, c.steps.size, int(c.steps[-1]), m["prede"], m["worste"], m["r2"],
                     f"{logged:.4f}", f"{predicted:.4f}", predicted / logged - 1, f"{lo[-1]:.4f} – {hi[-1]:.4f}",
                     bool(lo[-1] <= logged <= hi[-1])])
    header = ["schedule", "role", "points", "last step", "mean relative error", "worst relative error", "R²",
              "final loss logged", "final loss predicted", "final deviation (predicted / logged − 1)",
              f"{band} band at the last step", "final loss inside the band"]
    kinds = [None, None, "count", None, "percent", "percent", None, None, None, "signed_percent", None, None]
    held = [v for v in views if not v.fitted]
    summary = ""
    if held:
        inside = sum(r[-1] for r in rows if r[1] == "held out")
        summary = (f"<p>Held-out schedules ({len(held)}): mean relative error "
                   f"{np.mean([v.metrics['prede'] for v in held]):.2%} (the average over them of each schedule's "
                   f"mean), worst {max(v.metrics['worste'] for v in held):.2%}; the final logged loss lies inside "
                   f"the {esc(curve_band_label(fit, band, level, short=True))} for {inside} of {len(held)}.</p>")
    n_fit = sum(v.fitted for v in views)
    fit_line = (f"<p><b>{esc(law.name)}</b> training-curve law: <code>L(t) = {esc(law.form)}</code>. Fitted "
                f"({esc(fit.method)}) on {_plural(len(fit.curves), 'curve')} "
                f"({esc(', '.join(fit.curves))}), {fit.n_points} points; {fit.n_at_best} of "
                f"{_plural(len(fit.starts), 'start')} reached the best objective ({fit.objective:.4g}). Scatter of "
                f"logged points about the law: {fit.residual_sd:.4f} in log loss"
                + (f"; error on a schedule left out of the fit: {fit.transfer_sd:.4f}" if fit.transfer_sd is not None
                   else "; no error on a left-out schedule (fewer than three curves)") + ".</p>")
    params, p_header = _param_rows(fit, level)
    return (fit_line + table(params, p_header)
            + f'<p class="src">Citation: {esc(law.citation)}</p>'
            + f"<p>{len(views)} schedules: {n_fit} fitted, {len(held)} held out (predicted). Errors as the "
              "law's authors define them: relative error |predicted − logged| / logged, averaged over a "
              "schedule's logged points (mean) or its largest (worst); R² of the logged loss.</p>"
            + table(rows, header, left=2, kinds=kinds) + summary
            + f'<p class="src">Band: the {esc(label)}.</p>' + figure_html)


def report_section(figure: Callable[[str, Any, str, str], str], fit: CurveFit, curves: Sequence[Curve],
                   level: float) -> str:
    """:func:`curve_section` with :func:`curve_figure` rendered by ``figure(name, fig, caption, source)`` (the
    report's figure collector)."""
    views = curve_views(fit, curves, level)  # predicted once, for the figure and the table
    fig = _figure(fit, views, level, "run", "linear")
    caption = ("<b>Training curves.</b> Logged loss of each schedule (filled dots: fitted; hollow: held out) against "
               f"the {esc(fit.law)} law's prediction (line) and the {esc(curve_band_label(fit, 'run', level))}; "
               "below, per schedule, predicted / logged − 1 with that band in the same terms (grey).")
    return _section(fit, views, level, "run",
                    figure("curves", fig, caption, f"scalinglab.fit.curves ({fit.law} fit)"))
