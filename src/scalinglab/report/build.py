"""The self-contained HTML report: data summary, fitted law and intervals, figures, audit, a plan at the
user's budget, an optional tracked run, and the provenance of every number."""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from .._intervals import band_label, level_label
from .._io import check_writable, write_atomic
from ..errors import ConfigError, PlanError, ScalingLabError
from ..laws.fitted import FittedLaw
from ..plan import plan_compute, with_hardware
from ._approach2 import approach2_line, approach2_section
from .curves import check_curve_inputs, report_section as curves_section
from .downstream_section import check_downstream_inputs, downstream_section
from .compare_section import check_compare_inputs, compare_section
from ._inputs import Data, data_from_store, resolve_law_input, resolve_runs
from ._mpl import FIGURE_FORMATS, png_bytes, png_data_uri
from ._sections import audit_rows, data_section, law_section, plan_section, provenance_section, verdict_section
from .html import esc, page, table

__all__ = ["build_report", "make_report", "ReportResult", "DEFAULT_BUDGET"]

#: Chinchilla's compute budget in FLOPs (Hoffmann et al. 2022), used when no ``flops`` is given
DEFAULT_BUDGET = 5.76e23
_DPI = 110


@dataclass(frozen=True)
class ReportResult:
    """Where the report went, the figure files exported (``--figures``), and notes on what was left out."""

    path: Path
    figures: tuple[Path, ...]
    notes: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"report": str(self.path), "figures": [str(p) for p in self.figures], "notes": list(self.notes)}


def _fit_runs(data: Data, n_bootstrap: int, seed: int) -> tuple[FittedLaw, dict[str, Any]]:
    """The law ``scalinglab fit`` gives for the same runs (its defaults), fitted on the runs not held out."""
    from ..fit import fit_law

    runs = data.runs
    if data.held_out is not None:
        runs = runs.subset(np.flatnonzero(~data.held_out), note="report: held-out runs kept out of the fit")
    fitted = fit_law(runs, n_bootstrap=n_bootstrap, seed=seed)
    return fitted, {"kind": "fitted by the report with scalinglab.fit.fit_law (the defaults of `scalinglab fit`), "
                            "held-out runs excluded", "provenance": fitted.provenance}


def _score(audit: Any, data: Data | None, fitted: FittedLaw, prov: dict[str, Any], n_bootstrap: int, seed: int,
           notes: list[str]) -> dict[str, Any] | None:
    """Runs the law never saw, scored: given, saved with the fit, the sweep's held-out runs, or an audit that
    holds out the largest-compute tenth (as ``scalinglab fit --audit``)."""
    if audit is False:
        return None
    if isinstance(audit, dict):
        return _complete({"source": "given", **audit})
    if isinstance(audit, (list, tuple)):
        return _complete({"source": "given (predicted, actual) pairs",
                          "runs": [{"predicted": float(p), "loss": float(a)} for p, a in audit]})
    saved = fitted.audit if fitted.audit else prov.get("audit")
    if isinstance(saved, dict):
        return _complete({"source": "saved with the fit", **saved})
    if data is None:
        return None
    from ..fit.audit import audit as run_audit, score_runs

    if data.held_out is not None:
        h = data.held_out
        return {"source": "the sweep's held-out runs, scored by scalinglab.fit.audit.score_runs",
                "what": "Held-out runs", **score_runs(fitted, data.n_params[h], data.n_tokens[h], data.loss[h])}
    if len(data) < 10:
        return None
    try:
        res = run_audit(data.runs, fraction=0.1, n_bootstrap=min(n_bootstrap, 200), seed=seed)
    except ScalingLabError as exc:
        notes.append(f"No audit: {exc}")
        return None
    return {"source": "scalinglab.fit.audit (as `scalinglab fit --audit`): the largest-compute 10% held out, "
                      f"{min(n_bootstrap, 200)} bootstrap refits", "what": "Extrapolation audit", **res.as_dict()}


def _approach2(data: Data, n_bootstrap: int, seed: int, level: float) -> tuple[dict[str, Any] | None, str | None]:
    """Approach 2 on the runs not held out, computed as `scalinglab fit --approach isoflop --n-bootstrap N --seed S`
    computes it (held-out runs scored against its frontier); or None and the one line saying why there is none."""
    from ..fit.approach2 import fit_approach2, isoflop_budgets, not_isoflop_design

    fit_rows = np.ones(len(data), bool) if data.held_out is None else ~data.held_out
    labels = data.budget_groups
    outside = 0
    if labels is not None:  # runs in no budget are left out, as the IsoFLOP figure leaves them out, and counted
        outside = int((fit_rows & ~np.isfinite(labels)).sum())
        fit_rows &= np.isfinite(labels)
    runs = data.runs.subset(np.flatnonzero(fit_rows), note="report: held-out runs kept out of Approach 2")
    budgets = isoflop_budgets(None if labels is None else labels[fit_rows])
    reason = not_isoflop_design(runs.flops, runs.n_params, budgets)
    if reason is not None:
        return None, reason
    held = None if data.held_out is None or not data.held_out.any() else data.runs.subset(
        np.flatnonzero(data.held_out))
    try:
        res = fit_approach2(runs, budgets=budgets, n_bootstrap=n_bootstrap, seed=seed, level=level, holdout=held)
    except ScalingLabError as exc:
        return None, f"not computed: {exc}"
    out = res.as_dict()
    if outside:
        out["notes"] = [*out["notes"], f"{outside} run{'s' if outside > 1 else ''} in no IsoFLOP budget (compute "
                        "not repeated by 3 or more runs) left out of Approach 2, as from the IsoFLOP figure"]
    return out, None


def _complete(aud: dict[str, Any]) -> dict[str, Any]:
    """An audit given as runs (predicted, loss, optional interval) gets its errors and coverage filled in."""
    rows = aud.get("runs") or []
    if not rows or "predicted" not in rows[0]:
        return aud
    p = np.array([r["predicted"] for r in rows], float)
    y = np.array([r["loss"] for r in rows], float)
    are = np.abs(p - y) / y
    out = {"are_mean": float(are.mean()), "are_max": float(are.max()), **aud}
    if "coverage" not in out and all(r.get("interval") for r in rows):
        out["coverage"] = float(np.mean([lo <= v <= hi for (lo, hi), v in zip((r["interval"] for r in rows), y)]))
    return out


def _plan(fitted: FittedLaw, flops: float) -> tuple[Any, str | None]:
    """The plan at ``flops``, or None with the one line that says why there is none."""
    if fitted.identification.status == "not identified":
        return None, f"the law is not identified ({'; '.join(fitted.identification.reasons)})."
    try:
        return with_hardware(plan_compute(flops, law=fitted)), None
    except PlanError as exc:
        return None, str(exc)


def _check_figures_dir(figures_dir: str | Path | None, formats: tuple[str, ...]) -> Path | None:
    """``figures_dir`` as a Path when its figures can be written: an existing writable folder, or a new one
    in an existing folder (one level is created, at the end; a typo must not make ``/nonexistent/...``)."""
    for fmt in formats:
        if fmt not in FIGURE_FORMATS:
            raise ConfigError(f"The 'formats' entries must be png, svg or pdf. Got {fmt!r}.")
    if figures_dir is None:
        return None
    if str(figures_dir).strip() == "":
        raise ConfigError("The 'figures_dir' parameter must name a folder. Got ''.")
    d = Path(figures_dir)
    if d.exists() and not d.is_dir():
        raise ConfigError(f"The 'figures_dir' parameter must be a folder, not a file. Got {str(d)!r}.")
    parent = d if d.is_dir() else (d.parent if str(d.parent) else Path("."))
    if not parent.is_dir():
        raise ConfigError(f"The 'figures_dir' parameter must be an existing folder or a new one in an existing "
                          f"folder; {str(parent)!r} does not exist. Got {str(d)!r}.")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ConfigError(f"The 'figures_dir' parameter must be a writable folder; permission denied. Got {str(d)!r}.")
    return d


class _Figures:
    """Collects figures: embeds each as a PNG data URI and, when a directory is given, keeps each export
    in memory for :meth:`write` (after the report, so that a failure cannot leave figures of no report)."""

    def __init__(self, figures_dir: Path | None, formats: tuple[str, ...]) -> None:
        self.dir, self.formats, self.files = figures_dir, formats, []
        self.pending: list[tuple[Path, bytes]] = []

    def html(self, name: str, fig: Any, caption: str, source: str) -> str:
        png = png_bytes(fig, dpi=_DPI)
        w, h = (int(round(v * _DPI)) for v in fig.get_size_inches())
        if self.dir is not None:
            for fmt in self.formats:  # the png is the embedded rendering, not drawn twice
                self.pending.append((self.dir / f"{name}.{fmt}", png if fmt == "png" else _render(fig, fmt)))
        return (f'<figure id="fig-{esc(name)}"><img src="{png_data_uri(png)}" width="{w}" height="{h}" '
                f'alt="{esc(name)}"><figcaption>{caption} <span class="src">Source: {esc(source)}</span>'
                "</figcaption></figure>")


def _render(fig: Any, fmt: str) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=150)
    return buf.getvalue()


def _write(out: Path, html: str, figs: _Figures) -> None:
    """The report (atomically), then its figure files (each atomically) in ``figs.dir``, made if missing."""
    write_atomic(out, html, "out")
    if figs.dir is None:
        return
    try:
        figs.dir.mkdir(exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"The 'figures_dir' folder could not be made ({exc.strerror}). Got {str(figs.dir)!r}.") from None
    for path, data in figs.pending:
        figs.files.append(write_atomic(path, data, "figures_dir"))


def make_report(
    *, law: Any = None, runs: Any = None, runs_columns: dict[str, str | None] | None = None, store: Any = None,
    flops: float | None = None, out: str | Path = "report.html", figures_dir: str | Path | None = None,
    formats: tuple[str, ...] = ("png", "svg"), audit: Any = None, track: Any = None,
    inference_tokens: float = 1e13, n_bootstrap: int = 200, seed: int = 0, title: str | None = None,
    curve_fit: Any = None, curves: Any = None, downstream: Any = None, downstream_runs: Any = None,
    comparisons: Any = (),
) -> ReportResult:
    """Write the report; see :func:`build_report`. Returns the path, exported figure files and notes."""
    created = datetime.now(timezone.utc).isoformat(timespec="seconds")
    notes: list[str] = []
    out, figures_dir = check_writable(out, "out"), _check_figures_dir(figures_dir, tuple(formats))  # before the work
    if curve_fit is not None or curves is not None:
        curves = check_curve_inputs(curve_fit, curves)
    if downstream is not None or downstream_runs is not None:
        check_downstream_inputs(downstream, downstream_runs)
    comparisons = check_compare_inputs(comparisons)
    if store is not None and runs is not None:
        raise ConfigError("Give runs from one source: 'runs' or 'store'. Got both.")
    data = data_from_store(store) if store is not None else resolve_runs(runs, runs_columns)
    if law is None and data is not None:
        fitted, law_src = _fit_runs(data, n_bootstrap, seed)
    else:
        li = resolve_law_input(law)
        fitted, law_src = li.fitted, li.source
    prov = law_src.get("provenance", {}) or {}
    flops_given = flops is not None
    flops = float(flops) if flops_given else DEFAULT_BUDGET
    if not flops_given:
        notes.append(f"No compute budget given: the plan uses Chinchilla's {DEFAULT_BUDGET:.3g} FLOPs.")
    aud = _score(audit, data, fitted, prov, n_bootstrap, seed, notes)
    held_out = None if data is None else data.held_out
    if held_out is None and aud and data is not None and aud.get("flops_cut"):
        held_out = data.flops >= aud["flops_cut"]
    plan, no_plan = _plan(fitted, flops)
    figs = _Figures(figures_dir, tuple(formats))
    describe = _describe_source(data.source) if data is not None else ""
    a2, no_a2 = _approach2(data, n_bootstrap, seed, fitted.level) if data is not None else (None, None)
    sections = [("verdict", "Can this law be trusted?", verdict_section(fitted, law_src, aud)
                 + approach2_line(a2, no_a2)),
                ("data", "Data", data_section(data, fitted, describe)),
                ("law", "Law", law_section(fitted))]
    if data is not None:
        sections.append(("approach2", "Approach 2: IsoFLOP exponents", approach2_section(a2, no_a2)))
    sections += [
                ("plan", f"Plan at {flops:.3g} FLOPs", plan_section(plan, no_plan)),
                ("figures", "Figures", _figures(figs, fitted, data, held_out, flops, inference_tokens,
                                                plan is not None, notes))]
    if aud and aud.get("runs") and "predicted" in aud["runs"][0]:
        sections.append(("audit", "Extrapolation audit", _audit_html(figs, aud)))
    if track is not None:
        sections.append(("track", "Tracked run", _track_html(figs, track)))
    if curves is not None:
        sections.append(("curves", "Training curves", curves_section(figs.html, curve_fit, curves, fitted.level)))
    if downstream is not None:
        sections.append(("downstream", "Task scores", downstream_section(figs.html, downstream, downstream_runs)))
    if comparisons:
        sections.append(("compare", "Two methods compared", compare_section(figs.html, comparisons)))
    sections.append(("provenance", "Provenance", provenance_section(created, law_src, data, flops, notes, describe)))
    _write(out, page(title or f"scalinglab report: {fitted.name}", sections), figs)
    return ReportResult(out, tuple(figs.files), tuple(notes))


def _figures(figs: _Figures, fitted: FittedLaw, data: Data | None, held_out: Any, flops: float,
             inference_tokens: float, plannable: bool, notes: list[str]) -> str:
    from ..catalog import list_models
    from . import figures_fit as ff
    from .figures_law import landscape_figure
    from .figures_plan import cost_vs_loss_figure, inference_figure

    joint, src_law, parts = fitted.joint_law(), f"law {fitted.name}", []
    runs_kw = {} if data is None else {"n_params": data.n_params, "n_tokens": data.n_tokens}
    if data is not None:
        budgets = data.budget_groups
        if budgets is not None:
            parts.append(figs.html("isoflop", ff.isoflop_figure(data.n_params, data.loss, budgets, law=joint,
                                                                     held_out=held_out),
                                   "<b>IsoFLOP profiles.</b> Loss against N at each compute budget, a parabola in "
                                   "log N per budget and its minimum (stars); the dashed line is the law's N*(C).",
                                   "runs; budgets " + ("from the budget column" if data.budgets is not None
                                                       else "grouped from 6ND")))
        else:
            notes.append("No IsoFLOP figure: the runs are not laid out on IsoFLOP budgets.")
    parts.append(figs.html("frontier", ff.frontier_figure(
        joint, run_flops=None if data is None else data.flops, run_loss=None if data is None else data.loss,
        held_out=held_out, flops=flops, level=fitted.level),
        "<b>Frontier.</b> Loss against training compute; the curve is the loss of the compute-optimal model "
        f"L(N*(C), D*(C)), the band its {level_label(fitted.level)} mean band across the law's bootstrap refits, "
        "diamonds the held-out runs (not in the fit).", src_law))
    models = list_models() if fitted.identification.status != "not identified" else None
    parts.append(figs.html("landscape", landscape_figure(joint, models=models, flops=flops, level=fitted.level,
                                                         **runs_kw),
                           "<b>L(N, D) landscape.</b> Iso-loss contours; the thick line is the compute-optimal "
                           "allocation, dotted lines iso-compute C = 6ND, dashed the 20 tokens/param rule"
                           + ("; red dots are reference models from the catalog." if models else
                              "; no reference models are placed on a law its runs do not identify."),
                           f"{src_law}; scalinglab.catalog reference models"))
    if data is not None:
        parts.append(figs.html("residuals", ff.residuals_figure(data.n_params, data.n_tokens, data.loss, law=joint,
                                                                held_out=held_out),
                               "<b>Residuals.</b> ln L − ln L̂ against N, D and C; a trend shows a term the law "
                               "misses.", src_law))
    if len(fitted.samples) >= 2:
        parts.append(figs.html("bootstrap", ff.bootstrap_figure(fitted, flops=flops),
                               "<b>Bootstrap distributions</b> of the law's exponents and the compute-optimal "
                               "tokens/param at the budget.", f"{len(fitted.samples)} bootstrap refits of the law"))
    if plannable:
        parts.append(figs.html("inference", inference_figure(joint, flops=flops),
                               "<b>Inference-aware plans</b> (Sardana et al. 2024): at the loss of the budget's "
                               "compute-optimal model, how tokens/param and total cost move with lifetime demand.",
                               f"{src_law}; scalinglab.plan.inference_sweep"))
        parts.append(figs.html("cost_vs_loss", cost_vs_loss_figure(joint, inference_tokens=inference_tokens,
                                                                          flops=flops),
                               "<b>Cost of a target loss:</b> least training compute (with band) and least "
                               f"training + inference compute for {inference_tokens:.2g} lifetime tokens.", src_law))
    return "\n".join(parts)


def _audit_html(figs: _Figures, aud: dict[str, Any]) -> str:
    from . import figures_fit as ff

    rows = aud["runs"]
    p = np.array([r["predicted"] for r in rows])
    y = np.array([r["loss"] for r in rows])
    iv = [r.get("interval") for r in rows]
    lo = np.array([i[0] for i in iv]) if all(iv) else None
    hi = np.array([i[1] for i in iv]) if all(iv) else None
    fig = ff.audit_figure(p, y, lower=lo, upper=hi, level=aud.get("level"))
    return table(audit_rows(aud), ["", ""]) + figs.html(
        "audit", fig, "<b>Held-out runs.</b> Predicted against actual loss of runs the fit never saw, with y = x and "
        + (f"the {esc(band_label('prediction', aud['level']))}." if lo is not None else "no band."),
        str(aud.get("source", "")))


def _track_html(figs: _Figures, track: Any) -> str:
    from .track import TrackResult, track_figure

    if not isinstance(track, TrackResult):
        raise ConfigError(f"The 'track' parameter must be a TrackResult (see track_run). Got {type(track).__name__}.")
    d = track.as_dict()
    cls = "flag" if track.flagged else "ok"
    return (f'<p class="{cls}">{esc(track.verdict)}</p>'
            + table([[k, d[k]] for k in ("n_points", "mean_deviation", "latest_deviation", "recent_offset",
                                         "final_tokens", "projected_final_loss")], ["", ""])
            + f"<p>Band: {esc(track.band)}. Projection: {esc(track.projection)}.</p>"
            + figs.html("track", track_figure(track), "<b>Tracked run</b> against the law's prediction "
                        "L(N, tokens seen).", f"law {track.law}"))


def _describe_source(src: dict[str, Any]) -> str:
    bits = [f"{k}={v}" for k, v in src.items() if v not in (None, [], {}, "")]
    return ", ".join(bits) or "arrays passed in Python"


def build_report(
    *, law: Any = None, runs: Any = None, store: Any = None, flops: float | None = None,
    out: str | Path = "report.html", figures_dir: str | Path | None = None,
    formats: tuple[str, ...] = ("png", "svg"), **kw: Any,
) -> Path:
    """Write one self-contained HTML report and return its path.

    Parameters
    ----------
    law
        A fitted-law JSON path (its provenance and samples are used), a catalog name, a ``Law``, or
        ``None``: fit ``runs`` when given (Chinchilla form, Huber on log loss, ``n_bootstrap`` refits),
        else the default catalog law.
    runs
        A path (with ``runs_columns={"n_params_col": ..., "loss_col": ..., "n_tokens_col" | "flops_col":
        ..., "run_col": ..., "budget_col": ...}``), a mapping of arrays, or a ``Runs`` object.
    store
        A lab store path (read via ``scalinglab.store``).
    flops
        Training FLOPs for the plan (default 5.76e23, Chinchilla's).
    figures_dir, formats
        Also export each figure as ``<name>.png`` / ``<name>.svg`` there.
    kw
        ``runs_columns``, ``audit`` (dict like ``AuditResult.as_dict()``, ``(predicted, actual)`` pairs,
        or ``False``), ``track`` (a :class:`~scalinglab.report.track.TrackResult`), ``inference_tokens``,
        ``n_bootstrap``, ``seed``, ``title``; ``curve_fit`` (a :class:`~scalinglab.fit.curves.CurveFit`) with
        ``curves`` (its :class:`~scalinglab.fit.curves.Curve` list, fitted and held out) add the section
        "Training curves" (:mod:`scalinglab.report.curves`); ``downstream`` (a
        :class:`~scalinglab.laws.downstream_chain.DownstreamFit`), with the ``downstream_runs`` it was fitted on
        (:class:`~scalinglab.fit.downstream_data.TaskRuns`, optional), adds "Task scores"; ``comparisons``
        (:class:`~scalinglab.fit.compare.Comparison` objects) add "Two methods compared".
    """
    return make_report(law=law, runs=runs, store=store, flops=flops, out=out, figures_dir=figures_dir,
                       formats=formats, **kw).path
