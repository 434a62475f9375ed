"""Predicted against actual task scores, one panel per task of a two-step downstream fit.

In each panel, the fitted runs (grey: each run's chained prediction at its N and final D against the score it
reached) and any held-out targets (colour: the prediction with its 90% mean band, thick, and a new model's band,
thin, against the actual score), on the diagonal where prediction and outcome agree.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..fit.downstream_data import TaskRuns
from ..laws.downstream import to_metric
from ..laws.downstream_chain import DownstreamFit
from ._mpl import HELD_OUT_LABEL, new_figure

__all__ = ["ScoreTarget", "downstream_figure"]


@dataclass(frozen=True)
class ScoreTarget:
    """A model the fit did not see: its N, D and the accuracy (in [0, 1]) it reached on each task."""

    name: str
    n_params: float
    n_tokens: float
    accuracy: dict[str, float] = field(default_factory=dict)


def _target_value(runs: TaskRuns, tasks: Sequence[str], metric: str) -> np.ndarray:
    return to_metric(np.mean([runs.accuracy[t] for t in tasks], axis=0), metric)


def downstream_figure(fit: DownstreamFit, runs: TaskRuns | None = None, targets: Sequence[ScoreTarget] = (),
                      *, final_window: int | None = None, ncols: int = 4) -> Any:
    """The figure (a :class:`matplotlib.figure.Figure`); scores in points. ``runs`` are the fitted runs (each
    at its last ``final_window`` evaluations, by default the fit's recipe's)."""
    names = list(fit.targets)
    cols = min(ncols, len(names))
    rows = -(-len(names) // cols)
    fig, axes = new_figure(cols, nrows=rows, width=2.9 * cols + 0.4, height=2.7 * rows + 0.4)
    axes = np.atleast_1d(axes).ravel()
    window = final_window or int(fit.provenance.get("recipe", {}).get("final_window", 1))
    finals = None if runs is None else runs.finals(window)
    colours = ("tab:blue", "tab:red", "tab:green", "tab:purple")
    for ax, name in zip(axes, names):
        chain = fit.chains[name]
        shown: list[float] = []
        if finals is not None and all(t in finals.accuracy for t in chain.tasks):
            pred = 100 * chain.score(finals.n_params, finals.n_tokens)
            actual = 100 * _target_value(finals, chain.tasks, chain.metric)
            ax.scatter(pred, actual, s=12, color="0.55", label="fitted runs", zorder=2)
            shown += [*pred, *actual]
        for i, tg in enumerate(targets):
            if not all(t in tg.accuracy for t in chain.tasks):
                continue
            p = chain.predict(tg.n_params, tg.n_tokens)
            actual = 100 * float(to_metric(np.mean([tg.accuracy[t] for t in chain.tasks]), chain.metric))
            c = colours[i % len(colours)]
            for band, lw in ((p.prediction_band, 1.0), (p.mean_band, 3.0)):
                if band is not None:
                    ax.plot([100 * band[0], 100 * band[1]], [actual, actual], color=c, lw=lw, alpha=0.7)
            ax.scatter([100 * p.score], [actual], color=c, s=30, zorder=3,
                       label=f"{tg.name} ({HELD_OUT_LABEL})")
            shown += [100 * p.score, actual] + ([100 * v for v in p.prediction_band] if p.prediction_band else [])
        if shown:
            lo, hi = min(shown), max(shown)
            pad = 0.05 * (hi - lo or 1.0)
            ax.plot([lo - pad, hi + pad], [lo - pad, hi + pad], color="0.3", lw=0.8, ls="--", zorder=1)
        ax.set_title(name, fontsize=9)
        ax.set_xlabel(f"predicted {chain.metric} (points)", fontsize=8)
        ax.set_ylabel(f"actual {chain.metric} (points)", fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in axes[len(names):]:
        ax.set_visible(False)
    handles, labels = axes[0].get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="outside lower center", ncols=min(len(handles), 3), fontsize=8)
    title = (f"{fit.method}: chained prediction against outcome" + (" (bars: 90% mean band, thick; a new model's band, "
                                                                   "thin)" if targets else ""))
    # wrapped to the figure's width (about 15 characters an inch at 9 pt): two panels are narrower than the title
    fig.suptitle(textwrap.fill(title, max(30, int(15 * fig.get_figwidth()))), fontsize=9)
    return fig
