"""The report's section on task scores: a two-step downstream fit (:mod:`scalinglab.fit.downstream`), each
target's steps and how well its chain reproduces the runs it was fitted on, and the predicted-against-actual
figure (:func:`~scalinglab.report.figures_downstream.downstream_figure`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..errors import ConfigError
from ..fit.downstream_data import TaskRuns
from ..laws.downstream import get_score_form, to_metric
from ..laws.downstream_chain import DownstreamFit
from .html import esc, table

__all__ = ["check_downstream_inputs", "downstream_section"]


def check_downstream_inputs(fit: Any, runs: Any) -> None:
    """One clear ConfigError for a fit that is not a DownstreamFit or runs that are not TaskRuns."""
    if not isinstance(fit, DownstreamFit):
        raise ConfigError(f"The 'downstream' parameter must be a DownstreamFit (scalinglab.fit.fit_downstream or "
                          f"scalinglab.laws.load_downstream). Got {type(fit).__name__}.")
    if runs is not None and not isinstance(runs, TaskRuns):
        raise ConfigError(f"The 'downstream_runs' parameter must be TaskRuns (scalinglab.fit.read_task_runs). Got "
                          f"{type(runs).__name__}.")


def downstream_section(figure: Callable[[str, Any, str, str], str], fit: DownstreamFit,
                       runs: TaskRuns | None) -> str:
    """The section: a row per target (step 1's verdict, step 2's form, the scatter, and, with ``runs``, the
    mean and largest |predicted − actual| over the fitted runs' final evaluations), then the figure."""
    from .figures_downstream import downstream_figure

    window = int(fit.provenance.get("recipe", {}).get("final_window", 1))
    finals = None if runs is None else runs.finals(window)
    rows = []
    for name, chain in fit.chains.items():
        step2 = get_score_form(chain.score_map.form)
        scatter: Any = "—" if chain.score_scatter is None else 100 * chain.score_scatter.sigma
        err: list[Any] = ["—", "—"]
        if finals is not None and all(t in finals.accuracy for t in chain.tasks):
            actual = to_metric(np.mean([finals.accuracy[t] for t in chain.tasks], axis=0), chain.metric)
            gap = 100 * np.abs(chain.score(finals.n_params, finals.n_tokens) - actual)
            err = [float(gap.mean()), float(gap.max())]
        verdict = chain.loss_fit.identification
        rows.append([name, chain.metric, verdict.status + ("" if verdict.identified else " (!)"), step2.formula,
                     scatter, *err])
    header = ["target", "score", "step 1 (loss law)", "step 2 (score from loss)", "scatter (points)",
              "mean |pred − actual| (points)", "largest (points)"]
    html = (f"<p>Method <b>{esc(fit.method)}</b>: {len(fit.chains)} target(s), each predicted in two steps, a loss "
            "law in (N, D) then a map from that loss to the score; both steps are refitted on the same bootstrap "
            "resamples of whole runs, so a band carries the uncertainty of both. A plan states these scores with "
            "<code>scalinglab plan --downstream FIT</code>. A step 1 marked (!) is not identified by its runs "
            "(<code>scalinglab downstream fit</code> says why); its bands are wide for that reason.</p>"
            + table(rows, header, left=4, kinds=[None, None, None, None, "number", "number", "number"]))
    fig = downstream_figure(fit, runs)
    caption = ("<b>Task scores, predicted against actual.</b> One panel per target; grey: the fitted runs (each "
               "run's chained prediction at its N and final D against the score it reached); on the diagonal "
               "prediction and outcome agree.")
    return html + figure("downstream", fig, caption, f"scalinglab.fit.downstream ({fit.method} fit)")
