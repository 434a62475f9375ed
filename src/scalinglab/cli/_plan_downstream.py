"""``scalinglab plan --downstream FIT``: the plan's predicted task scores, as JSON and as a table."""

from __future__ import annotations

from typing import Any

from rich.markup import escape
from rich.table import Table

from ..laws.downstream_chain import CHAIN_BANDS, chain_band_label
from ..laws.downstream_io import load_downstream
from ..plan import Plan
from ..plan.downstream import plan_scores
from ._common import console

__all__ = ["downstream_scores", "render_scores"]


def downstream_scores(path: str, tasks: list[str], plan: Plan) -> dict[str, Any]:
    """What ``--downstream`` adds to a plan's report: the fit's method and each task's prediction."""
    fit = load_downstream(path)
    preds = plan_scores(plan, fit, tasks or None)
    return {"fit": path, "method": fit.method, "level": fit.level,
            "bands": {k: chain_band_label(k, fit.level) for k in CHAIN_BANDS},
            "note": "N counted as the downstream fit's runs count it",
            "predictions": [p.as_dict() for p in preds]}


def render_scores(scores: dict[str, Any]) -> None:
    lvl = f"{scores['level']:.0%}"
    t = Table(title=f"predicted task scores ({escape(scores['method'])} fit {escape(scores['fit'])}; N counted as "
                    "its runs count it)", title_justify="left")
    for col in ("task", "score", f"{lvl} mean band", f"{lvl} new-model band", "step 1"):
        t.add_column(col, justify="left" if col in ("task", "step 1") else "right", overflow="fold")
    for p in scores["predictions"]:
        def band(b: Any) -> str:
            return "—" if b is None else f"{100 * b[0]:.1f} – {100 * b[1]:.1f}"

        score = p[p["metric"]]
        t.add_row(escape(p["target"]), f"{100 * score:.1f} ({p['metric']})", band(p["mean_band"]),
                  band(p["prediction_band"]), escape(p["identification"].split(" (")[0]))
    console.print(t)
