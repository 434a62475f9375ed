"""Track a live run against a fitted *curve* law: the loss the law predicts at each logged step of the run's own
learning-rate schedule, with its band, and the final loss of that schedule projected with its band.

Unlike :func:`~scalinglab.report.track.track_run` (a law of N and D, which predicts only the loss at the end
of a schedule), a curve law (:mod:`scalinglab.laws.curves`) follows the schedule: a cosine run sits above its
final loss until the rate anneals, and the law knows by how much. The fit comes from earlier runs of the same
model shape (``scalinglab curves fit``); the law is per model size.

The band at each point is the fit's *run* band (:func:`~scalinglab.fit.curves.predict_curve`): where a run's
logged points fall, from the bootstrap refits, the scatter of points about the law and the law's error on a
schedule it was not fitted on. The projection is the law's final loss times ``exp(offset)``, the median log
deviation of the run's recent points, with the run band at the final step shifted by the same factor.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._intervals import DEFAULT_LEVEL, check_level
from ..errors import ConfigError, DataError
from ..fit.curves import CurveFit, predict_curve

__all__ = ["CurveTrackResult", "track_curve", "curve_track_figure"]


@dataclass(frozen=True, eq=False)
class CurveTrackResult:
    """A run against a curve law. ``deviation``: ``loss / predicted − 1`` per logged point; ``lower/upper``:
    the run band there; ``flagged`` when more than half of the last ``recent`` points are outside it."""

    law: str
    fit_curves: tuple[str, ...]
    steps: np.ndarray
    loss: np.ndarray
    predicted: np.ndarray
    deviation: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    level: float
    outside: np.ndarray
    recent: int
    recent_offset: float
    flagged: bool
    verdict: str
    final_step: int | None
    final_law_loss: float | None
    projected_final_loss: float | None
    projected_interval: tuple[float, float] | None
    projection: str
    band: str
    schedule: str
    curve_steps: np.ndarray | None = None  # the law's whole curve to the final step, for the figure
    curve_loss: np.ndarray | None = None
    curve_low: np.ndarray | None = None
    curve_high: np.ndarray | None = None
    reasons: tuple[str, ...] = ()  # the fit's: why its curves do not identify the law (empty: identified)

    def as_dict(self) -> dict[str, Any]:
        return {
            "law": self.law, "fitted_on": list(self.fit_curves), "identified": not self.reasons,
            "reasons": list(self.reasons), "schedule": self.schedule,
            "n_points": int(self.steps.size), "band": self.band, "level": self.level,
            "recent_points": self.recent, "recent_offset": self.recent_offset,
            "mean_deviation": float(np.mean(self.deviation)), "latest_deviation": float(self.deviation[-1]),
            "n_outside": int(self.outside.sum()), "n_outside_recent": int(self.outside[-self.recent:].sum()),
            "flagged": self.flagged, "verdict": self.verdict,
            "latest": {"step": int(self.steps[-1]), "loss": float(self.loss[-1]),
                       "predicted": float(self.predicted[-1]), "low": float(self.lower[-1]),
                       "high": float(self.upper[-1])},
            "final_step": self.final_step, "final_law_loss": self.final_law_loss,
            "projected_final_loss": self.projected_final_loss,
            "projected_interval": list(self.projected_interval) if self.projected_interval else None,
            "projection": self.projection,
        }


def track_curve(steps: Any, loss: Any, lrs: Any, *, fit: CurveFit, final_step: int | None = None,
                level: float = DEFAULT_LEVEL, recent_fraction: float = 0.2, schedule: str = "given") -> CurveTrackResult:
    """Compare a run's logged ``loss`` at ``steps`` with ``fit``'s curve for the schedule ``lrs`` (one learning
    rate per step from 0; the whole schedule when it is known, else up to the last logged step).

    ``final_step`` (default: the schedule's last step, ``len(lrs) − 1``, when the schedule runs past the log)
    is where the final loss is projected; it must lie within ``lrs``. A schedule that ends at the last logged
    step gives no projection beyond it.
    """
    level = check_level(level)
    st = np.asarray(steps, dtype=np.int64).ravel()
    y = np.asarray(loss, dtype=float).ravel()
    lrs = np.asarray(lrs, dtype=float).ravel()
    if st.size != y.size or st.size < 2:
        raise ConfigError(f"The 'steps' and 'loss' arrays must be of equal length, at least 2. Got {st.size} and "
                          f"{y.size}.")
    if not 0 < recent_fraction <= 1:
        raise ConfigError(f"The 'recent_fraction' parameter must be in (0, 1]. Got {recent_fraction!r}.")
    if st[-1] >= lrs.size:
        raise DataError(f"The run logs step {int(st[-1])}, past the end of its schedule ({lrs.size} steps).")
    if final_step is None and lrs.size - 1 > st[-1]:
        final_step = lrs.size - 1
    if final_step is not None and not (st[-1] <= final_step < lrs.size):
        raise ConfigError(f"The 'final_step' must lie between the last logged step ({int(st[-1])}) and the "
                          f"schedule's last step ({lrs.size - 1}). Got {final_step!r}.")
    # one prediction on the drawn curve's steps, which hold every logged one: the points are read from it
    curve = predict_curve(fit, lrs, _curve_steps(st, final_step or int(st[-1])), level=level)
    at = np.searchsorted(curve["steps"], st)
    pred, lower, upper = curve["loss"][at], curve["run_low"][at], curve["run_high"][at]
    dev = y / pred - 1.0
    outside = (y < lower) | (y > upper)
    k = min(st.size, max(3, int(np.ceil(recent_fraction * st.size))))
    offset = float(np.median(np.log(y[-k:] / pred[-k:])))
    n_out = int(outside[-k:].sum())
    flagged = n_out > k / 2
    side = "above" if offset > 0 else "below"
    verdict = (f"FLAGGED: {n_out} of the last {k} points lie outside the band (run {abs(np.expm1(offset)):.2%} "
               f"{side} the law)" if flagged else f"on track: {n_out} of the last {k} points outside the band")
    band = (f"{level:.0%} run band of the {fit.law} law fitted on {len(fit.curves)} curve"
            f"{'s' if len(fit.curves) != 1 else ''} (refits, point scatter"
            f"{', error on an unseen schedule' if fit.transfer_sd else ''})")
    f_law = f_proj = f_int = None
    projection = "no projection: the schedule is known only up to the last logged step (give the whole schedule)"
    if final_step is not None:
        f_law = float(curve["loss"][-1])
        factor = float(np.exp(offset))
        f_proj = f_law * factor
        f_int = (float(curve["run_low"][-1]) * factor, float(curve["run_high"][-1]) * factor)
        projection = (f"the law's loss at step {final_step} ({f_law:.4f}) times the run's median deviation over its "
                      f"last {k} points ({np.expm1(offset):+.2%}); band: the {level:.0%} run band there, shifted alike")
    return CurveTrackResult(fit.law, fit.curves, st, y, pred, dev, lower, upper, level, outside, k, offset, flagged,
                            verdict, final_step, f_law, f_proj, f_int, projection, band, schedule,
                            curve["steps"], curve["loss"], curve["run_low"], curve["run_high"], fit.reasons)


def _curve_steps(steps: np.ndarray, last: int, n: int = 400) -> np.ndarray:
    """Steps at which to draw the law's curve: the logged ones, and ``n`` more spread to ``last``."""
    more = np.linspace(max(int(steps[0]), 1), last, n).round().astype(np.int64)
    return np.unique(np.concatenate([steps, more, [last]]))


def curve_track_figure(result: CurveTrackResult) -> Any:
    """Loss against step: the run, the law's curve for its schedule with the run band, the projected final loss;
    and the run's deviation from the law (%)."""
    from ._mpl import LOSS_LABEL, new_figure
    from .figures_fit import BAND_COLOR, HELD_OUT_COLOR, LAW_COLOR

    r = result
    fig, (ax, ax2) = new_figure(2, width=11, height=4.0)
    if r.curve_steps is not None:
        ax.fill_between(r.curve_steps, r.curve_low, r.curve_high, color=BAND_COLOR, alpha=0.6,
                        label=f"{r.level:.0%} band of a run's loss")
        ax.plot(r.curve_steps, r.curve_loss, color=LAW_COLOR, lw=2, label=f"{r.law} law, this schedule")
    ax.plot(r.steps, r.loss, color="black", lw=1.2, zorder=4, label="run (logged)")
    if r.outside.any():
        ax.scatter(r.steps[r.outside], r.loss[r.outside], s=12, color=HELD_OUT_COLOR, zorder=3,
                   label="outside the band")
    if r.projected_final_loss is not None and r.projected_interval is not None:
        lo, hi = r.projected_interval
        ax.errorbar([r.final_step], [r.projected_final_loss], yerr=[[r.projected_final_loss - lo],
                    [hi - r.projected_final_loss]], marker="*", ms=12, color="black", mfc="gold", capsize=4,
                    ls="none", label=f"projected final {r.projected_final_loss:.4f} [{lo:.4f}, {hi:.4f}]")
    ax.set_xlabel("optimizer step")
    ax.set_ylabel(LOSS_LABEL)
    top = float(np.percentile(r.loss, 98))
    ax.set_ylim(top=max(top, float(np.max(r.predicted))) * 1.005)
    ax.legend(fontsize=7)
    ax2.axhline(0, color="black", lw=0.8)
    ax2.fill_between(r.steps, 100 * (r.lower / r.predicted - 1), 100 * (r.upper / r.predicted - 1),
                     color=BAND_COLOR, alpha=0.6)
    ax2.plot(r.steps, 100 * r.deviation, color="0.2", lw=1)
    ax2.set_xlabel("optimizer step")
    ax2.set_ylabel("run / law − 1 (%)")
    fig.suptitle(r.verdict, color=HELD_OUT_COLOR if r.flagged else "black")
    return fig
