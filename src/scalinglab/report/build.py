"""The self-contained HTML report: data summary, fitted law and intervals, figures, audit, a plan at the
user's budget, an optional tracked run, and the provenance of every number."""

from __future__ import annotations

import platform
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from .._version import __version__
from ..errors import ConfigError, ScalingLabError
from ..laws.chinchilla import Chinchilla
from ..plan import plan_compute, with_hardware
from ._curves import budget_labels
from ._inputs import Data, resolve_law_input, resolve_runs, runs_from_store
from ._mpl import png_bytes, png_data_uri, save_figure
from .html import esc, json_block, law_html, page, plan_html, table

__all__ = ["build_report", "make_report", "ReportResult", "DEFAULT_BUDGET"]

#: Chinchilla's budget (Hoffmann et al. 2022), used when no budget is given
DEFAULT_BUDGET = 5.76e23
_DPI = 110
_MAX_ROWS = 2000  # runs listed in the data table


@dataclass(frozen=True)
class ReportResult:
    """Where the report went, the figure files exported (``--figures``), and notes on what was left out."""

    path: Path
    figures: tuple[Path, ...]
    notes: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"report": str(self.path), "figures": [str(p) for p in self.figures], "notes": list(self.notes)}


def _coef_intervals(law: Any, level: float = 0.90) -> dict[str, tuple[float, float]] | None:
    if not isinstance(law, Chinchilla) or len(law.samples) < 2:
        return None
    q = 100 * (1 - level) / 2
    rows = np.array([[p.E, p.A, p.B, p.alpha, p.beta] for p in law.samples])
    lo, hi = np.percentile(rows, [q, 100 - q], axis=0)
    return {k: (float(a), float(b)) for k, a, b in zip(("E", "A", "B", "alpha", "beta"), lo, hi)}


def _fit_runs(data: Data, n_bootstrap: int, seed: int) -> tuple[Any, dict[str, Any]]:
    try:
        from ..fit import bootstrap, fit_chinchilla, provenance
    except ImportError:
        raise ConfigError("Fitting runs for the report needs scalinglab.fit; give a fitted law with --fit.") from None
    if data.runs is None:
        raise ConfigError("The runs could not be turned into scalinglab.fit.Runs; fit them with `scalinglab fit`.")
    result = fit_chinchilla(data.runs)
    boot = bootstrap(data.runs, result, n=n_bootstrap, seed=seed) if n_bootstrap else None
    prov = provenance(result, data.runs)
    if boot is not None:
        prov["bootstrap"] = {"n": boot.n, "seed": boot.seed, "resample": boot.resample}
    law = result.to_law("fitted", prov, boot.param_samples() if boot is not None else ())
    return law, {"kind": "fitted by the report (scalinglab.fit.fit_chinchilla)", "provenance": prov}


def _audit_from(audit: Any, data: Data | None, prov: dict[str, Any], n_bootstrap: int, seed: int,
                notes: list[str]) -> dict[str, Any] | None:
    """An audit as ``AuditResult.as_dict()``-shaped data: given, saved in the fit's provenance, or computed."""
    if audit is False:
        return None
    if isinstance(audit, dict):
        return {"source": "given", **audit}
    if isinstance(audit, (list, tuple)):
        rows = [{"predicted": float(p), "loss": float(a)} for p, a in audit]
        return {"source": "given (predicted, actual) pairs", "runs": rows}
    if isinstance(prov.get("audit"), dict):
        return {"source": "fit JSON provenance", **prov["audit"]}
    if data is None or data.runs is None or len(data) < 10:
        return None
    try:
        from ..fit import audit as run_audit
    except ImportError:
        notes.append("No audit: scalinglab.fit is not available.")
        return None
    try:
        res = run_audit(data.runs, fraction=0.1, starts="coarse", n_bootstrap=min(n_bootstrap, 100), seed=seed)
    except ScalingLabError as exc:
        notes.append(f"No audit: {exc}")
        return None
    return {"source": "computed by the report: scalinglab.fit.audit, largest-compute 10% held out, coarse "
                      f"start grid, {min(n_bootstrap, 100)} bootstrap refits", **res.as_dict()}


class _Figures:
    """Collects figures: embeds each as a PNG data URI and exports it when a directory is given."""

    def __init__(self, figures_dir: Path | None, formats: tuple[str, ...]) -> None:
        self.dir, self.formats, self.files = figures_dir, formats, []
        if figures_dir is not None:
            figures_dir.mkdir(parents=True, exist_ok=True)

    def html(self, name: str, fig: Any, caption: str, source: str) -> str:
        png = png_bytes(fig, dpi=_DPI)
        w, h = (int(round(v * _DPI)) for v in fig.get_size_inches())
        if self.dir is not None:
            others = tuple(f for f in self.formats if f != "png")
            if "png" in self.formats:  # the embedded rendering, not drawn twice
                (self.dir / f"{name}.png").write_bytes(png)
                self.files.append(self.dir / f"{name}.png")
            if others:
                self.files += save_figure(fig, self.dir / name, others)
        return (f'<figure id="fig-{esc(name)}"><img src="{png_data_uri(png)}" width="{w}" height="{h}" '
                f'alt="{esc(name)}"><figcaption>{caption} <span class="src">Source: {esc(source)}</span>'
                "</figcaption></figure>")


def make_report(
    *, law: Any = None, runs: Any = None, runs_columns: dict[str, str | None] | None = None, store: Any = None,
    budget: float | None = None, out: str | Path = "report.html", figures_dir: str | Path | None = None,
    formats: tuple[str, ...] = ("png", "svg"), audit: Any = None, track: Any = None,
    inference_tokens: float = 1e13, n_bootstrap: int = 200, seed: int = 0, title: str | None = None,
) -> ReportResult:
    """Write the report; see :func:`build_report`. Returns the path, exported figure files and notes."""
    from . import figures_fit as ff
    from .figures_law import landscape_figure
    from .figures_plan import cost_vs_loss_figure, inference_figure
    from .track import TrackResult, track_figure

    created = datetime.now(timezone.utc).isoformat(timespec="seconds")
    notes: list[str] = []
    if store is not None and runs is not None:
        raise ConfigError("Give runs from one source: 'runs' or 'store'. Got both.")
    data = runs_from_store(store) if store is not None else resolve_runs(runs, runs_columns)
    if law is None and data is not None:
        joint, law_src = _fit_runs(data, n_bootstrap, seed)
    else:
        li = resolve_law_input(law)
        joint, law_src = li.law, li.source
    prov = law_src.get("provenance", {}) or {}
    budget_given = budget is not None
    budget = float(budget) if budget_given else DEFAULT_BUDGET
    if not budget_given:
        notes.append(f"No budget given: the plan uses Chinchilla's {DEFAULT_BUDGET:.3g} FLOPs.")
    figs = _Figures(Path(figures_dir) if figures_dir else None, tuple(formats))
    sections: list[tuple[str, str, str]] = []
    aud = _audit_from(audit, data, prov, n_bootstrap, seed, notes)
    held_out = None if data is None else data.held_out
    if held_out is None and aud and data is not None and aud.get("flops_cut"):
        held_out = data.flops >= aud["flops_cut"]

    # --- data
    if data is not None:
        ranges = [[label, float(x.min()), float(x.max())] for label, x in
                  (("parameters N", data.n_params), ("tokens D", data.n_tokens), ("compute C = 6ND", data.flops),
                   ("loss", data.loss), ("tokens/param", data.n_tokens / data.n_params))]
        pred = np.asarray(joint.loss(data.n_params, data.n_tokens), float)
        resid = np.log(data.loss) - np.log(pred)
        top = np.argsort(-np.abs(resid))[:10]
        names = data.names if data.names is not None else np.array([f"row {i + 1}" for i in range(len(data))])
        body = (f"<p>{len(data)} runs.</p>" + table(ranges, ["quantity", "min", "max"])
                + f"<p>Largest residuals under {esc(joint.name)} (ln L − ln L̂):</p>"
                + table([[names[i], data.n_params[i], data.n_tokens[i], data.loss[i], pred[i], resid[i]]
                         for i in top], ["run", "N", "D", "loss", "predicted", "residual"])
                + f"<details><summary>All runs ({min(len(data), _MAX_ROWS)} shown)</summary>"
                + table([[names[i], data.n_params[i], data.n_tokens[i], data.loss[i], pred[i], resid[i]]
                         for i in range(min(len(data), _MAX_ROWS))],
                        ["run", "N", "D", "loss", "predicted", "residual"]) + "</details>"
                + f'<p class="src">Source: {esc(_describe_source(data.source))}</p>')
        sections.append(("data", "Data", body))
    else:
        sections.append(("data", "Data", "<p>No runs given: the figures of data (IsoFLOP profiles, residuals, "
                                          "audit) are left out; the law, its plan and landscape are shown.</p>"))

    # --- law
    civ = _coef_intervals(joint)
    law_body = law_html(joint, intervals=civ)
    if isinstance(joint, Chinchilla):
        a, b = joint.exponents()
        law_body += f"<p>Compute-optimal scaling: N* ∝ C<sup>{a:.4f}</sup>, D* ∝ C<sup>{b:.4f}</sup>.</p>"
    law_body += (f'<p class="src">Intervals: 5th–95th percentiles over {len(joint.variants())} bootstrap '
                 "refits stored with the law.</p>" if civ else
                 '<p class="src">No intervals: this law carries no bootstrap samples.</p>')
    sections.append(("law", "Law", law_body))

    # --- plan
    plan = with_hardware(plan_compute(budget, law=joint))
    sections.append(("plan", f"Plan at {budget:.3g} FLOPs",
                     plan_html(plan) + '<p class="src">Source: scalinglab.plan.plan_compute (Hoffmann et al. '
                     "2022 Eq. 4 for Chinchilla-form laws) and plan.with_hardware (H100-SXM, MFU 0.4, one GPU "
                     "for GPU-hours).</p>"))

    # --- figures
    parts: list[str] = []
    src_law = f"law {joint.name}"
    if data is not None:
        budgets = data.budgets if data.budgets is not None else budget_labels(data.flops)
        if budgets is not None:
            parts.append(figs.html("isoflop", ff.isoflop_figure(data.n_params, data.loss, budgets, law=joint),
                                   "<b>IsoFLOP profiles.</b> Loss against N at each compute budget, a parabola in "
                                   "log N per budget and its minimum (stars); the dashed line is the law's N*(C).",
                                   "runs; budgets " + ("from the budget column" if data.budgets is not None
                                                       else "grouped from 6ND")))
        else:
            notes.append("No IsoFLOP figure: the runs are not laid out on IsoFLOP budgets.")
    parts.append(figs.html("frontier", ff.frontier_figure(
        joint, flops=None if data is None else data.flops, loss=None if data is None else data.loss,
        held_out=held_out, budget=budget),
        "<b>Frontier.</b> Loss against training compute; the curve is the loss of the compute-optimal model "
        "L(N*(C), D*(C)), the band its 90% interval across the law's variants, diamonds the held-out runs.",
        src_law))
    from ..catalog import list_models

    parts.append(figs.html("landscape", landscape_figure(
        joint, models=list_models(), n_params=None if data is None else data.n_params,
        n_tokens=None if data is None else data.n_tokens, budget=budget),
        "<b>L(N, D) landscape.</b> Iso-loss contours; the thick line is the compute-optimal allocation (band: "
        "90% across variants), dotted lines iso-compute C = 6ND, dashed the 20 tokens/param rule; red dots "
        "are reference models from the catalog.", f"{src_law}; scalinglab.catalog reference models"))
    if data is not None:
        parts.append(figs.html("residuals", ff.residuals_figure(data.n_params, data.n_tokens, data.loss,
                                                                law=joint, held_out=held_out),
                               "<b>Residuals.</b> ln L − ln L̂ against N, D and C; a trend shows a term the law "
                               "misses.", src_law))
    if isinstance(joint, Chinchilla) and len(joint.samples) >= 2:
        parts.append(figs.html("bootstrap", ff.bootstrap_figure(joint, flops=budget),
                               "<b>Bootstrap distributions</b> of α, β and the compute-optimal tokens/param at "
                               "the budget.", f"{len(joint.samples)} bootstrap samples stored with the law"))
    parts.append(figs.html("inference", inference_figure(joint, flops=budget),
                           "<b>Inference-aware plans</b> (Sardana et al. 2024): at the loss of the budget's "
                           "compute-optimal model, how tokens/param and total cost move with lifetime demand.",
                           f"{src_law}; scalinglab.plan.inference_sweep"))
    parts.append(figs.html("cost_vs_loss", cost_vs_loss_figure(joint, inference_tokens=inference_tokens),
                           "<b>Cost of a target loss:</b> least training compute (with band) and least training "
                           f"+ inference compute for {inference_tokens:.2g} lifetime tokens.", src_law))
    sections.append(("figures", "Figures", "\n".join(parts)))

    # --- audit
    if aud and aud.get("runs"):
        rows = aud["runs"]
        p = np.array([r["predicted"] for r in rows])
        y = np.array([r["loss"] for r in rows])
        iv = [r.get("interval") for r in rows]
        lo = np.array([i[0] for i in iv]) if all(iv) else None
        hi = np.array([i[1] for i in iv]) if all(iv) else None
        fig = ff.audit_figure(p, y, lower=lo, upper=hi, level=aud.get("level"))
        summary = [["held-out runs", len(rows)], ["mean ARE", float(np.mean(np.abs(p - y) / y))],
                   ["max ARE", float(np.max(np.abs(p - y) / y))], ["interval coverage", aud.get("coverage")],
                   ["compute cut (FLOPs)", aud.get("flops_cut")]]
        sections.append(("audit", "Extrapolation audit", table(summary, ["", ""]) + figs.html(
            "audit", fig, "<b>Extrapolation audit.</b> Predicted against actual loss of held-out runs, with "
            "y = x and the prediction intervals.", str(aud.get("source", "")))))

    # --- tracking
    if track is not None:
        if not isinstance(track, TrackResult):
            raise ConfigError(f"The 'track' parameter must be a TrackResult (see track_run). Got "
                              f"{type(track).__name__}.")
        d = track.as_dict()
        cls = "flag" if track.flagged else "ok"
        body = (f'<p class="{cls}">{esc(track.verdict)}</p>'
                + table([[k, d[k]] for k in ("n_points", "mean_deviation", "latest_deviation", "recent_offset",
                                             "final_tokens", "projected_final_loss")], ["", ""])
                + f"<p>Band: {esc(track.band)}. Projection: {esc(track.projection)}.</p>"
                + figs.html("track", track_figure(track), "<b>Tracked run</b> against the law's prediction "
                            "L(N, tokens seen).", f"law {track.law}"))
        sections.append(("track", "Tracked run", body))

    # --- provenance
    sections.append(("provenance", "Provenance", _provenance(created, law_src, data, budget, notes)))
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page(title or f"scalinglab report: {joint.name}", sections), encoding="utf-8")
    return ReportResult(out, tuple(figs.files), tuple(notes))


def _describe_source(src: dict[str, Any]) -> str:
    bits = [f"{k}={v}" for k, v in src.items() if v not in (None, [], {}, "")]
    return ", ".join(bits) or "arrays passed in Python"


def _provenance(created: str, law_src: dict[str, Any], data: Data | None, budget: float, notes: list[str]) -> str:
    import matplotlib

    rows = [["scalinglab", __version__], ["numpy", np.__version__], ["matplotlib", matplotlib.__version__],
            ["python", platform.python_version()], ["created (UTC)", created], ["budget (FLOPs)", budget],
            ["law source", law_src.get("kind", "")]]
    for key in ("name", "path", "sha256"):
        if law_src.get(key):
            rows.append([f"law {key}", law_src[key]])
    if data is not None:
        for key in ("path", "sha256", "store"):
            if data.source.get(key):
                rows.append([f"runs {key}", data.source[key]])
    body = table(rows, ["item", "value"])
    body += "<ul>" + "".join(f"<li>{esc(n)}</li>" for n in notes) + "</ul>" if notes else ""
    if law_src.get("provenance"):
        body += "<p>Fit provenance (as saved with the law):</p>" + json_block(law_src["provenance"])
    if data is not None and data.source:
        body += "<p>Runs source:</p>" + json_block(data.source)
    body += ('<p class="src">Every number above is computed from the law (coefficients and bootstrap samples) '
             "and the runs listed here; intervals are percentiles across the law's bootstrap variants.</p>")
    return body


def build_report(
    *, law: Any = None, runs: Any = None, store: Any = None, budget: float | None = None,
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
    budget
        Training FLOPs for the plan (default 5.76e23, Chinchilla's).
    figures_dir, formats
        Also export each figure as ``<name>.png`` / ``<name>.svg`` there.
    kw
        ``runs_columns``, ``audit`` (dict like ``AuditResult.as_dict()``, ``(predicted, actual)`` pairs,
        or ``False``), ``track`` (a :class:`~scalinglab.report.track.TrackResult`), ``inference_tokens``,
        ``n_bootstrap``, ``seed``, ``title``.
    """
    return make_report(law=law, runs=runs, store=store, budget=budget, out=out, figures_dir=figures_dir,
                       formats=formats, **kw).path
