"""Figures, a self-contained HTML report, and tracking a live run against a law.

Figures need matplotlib (``pip install 'scalinglab[report]'``); the HTML renderers of plans and laws
(:func:`plan_html`, :func:`law_html`) and :func:`track_run` do not, so they load without it.
"""

from .html import law_html, plan_html
from .track import TrackResult, TrainingLog, read_training_log, track_run

__all__ = [
    "build_report", "make_report", "ReportResult", "plan_html", "law_html",
    "TrackResult", "TrainingLog", "track_run", "read_training_log", "track_figure",
    "isoflop_figure", "frontier_figure", "residuals_figure", "audit_figure", "bootstrap_figure",
    "landscape_figure", "inference_figure", "cost_vs_loss_figure", "budget_labels", "save_figure",
    "curve_figure", "curve_section",
    "downstream_figure", "ScoreTarget",
]

_LAZY = {
    "build_report": "build", "make_report": "build", "ReportResult": "build",
    "track_figure": "track", "budget_labels": "_curves", "save_figure": "_mpl",
    "isoflop_figure": "figures_fit", "frontier_figure": "figures_fit", "residuals_figure": "figures_fit",
    "audit_figure": "figures_fit", "bootstrap_figure": "figures_fit", "landscape_figure": "figures_law",
    "inference_figure": "figures_plan", "cost_vs_loss_figure": "figures_plan",
    "curve_figure": "curves", "curve_section": "curves",
    "downstream_figure": "figures_downstream", "ScoreTarget": "figures_downstream",
}


def __getattr__(name: str):
    # matplotlib-backed names load on first use, so `import scalinglab.report` works without the extra
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(name)
