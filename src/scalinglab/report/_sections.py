"""The report's sections, each built from results the library computed (a FittedLaw, a Plan, an audit):
nothing here fits, audits or plans; it renders."""

from __future__ import annotations

import platform
from typing import Any

import numpy as np

from .._intervals import band_label, level_label
from .._version import __version__
from ..laws.fitted import STATUSES, FittedLaw
from ._inputs import Data
from .html import esc, json_block, law_html, plan_html, table

__all__ = ["verdict_section", "data_section", "law_section", "plan_section", "audit_rows", "provenance_section",
           "MAX_ROWS"]

MAX_ROWS = 2000  # runs listed in the data table


def _exponent_line(fitted: FittedLaw) -> str:
    ex = fitted.allocation_exponents()
    if ex is None:
        return ""
    a, b, a_iv = ex
    iv = ""
    if a_iv is not None:
        iv = (f" ({level_label(fitted.level)} interval {a_iv[0]:.3f}–{a_iv[1]:.3f}, {len(fitted.samples)} "
              "bootstrap refits)")
    return f"<p>Compute-optimal scaling: N* ∝ C<sup>{a:.3f}</sup>{iv}, D* ∝ C<sup>{b:.3f}</sup>.</p>"


def _score_line(what: str, sc: dict[str, Any]) -> str:
    n = sc.get("n_holdout", sc.get("n", len(sc.get("runs", []))))
    line = f"{what}: {n} run(s) the fit never saw; mean absolute relative error {sc['are_mean']:.2%}, max {sc['are_max']:.2%}"
    if sc.get("coverage") is not None:
        band = band_label("prediction", sc["level"]) if sc.get("level") else "given interval"
        line += f"; {round(sc['coverage'] * n)} of {n} inside the {esc(band)}"
    return line + "."


def verdict_section(fitted: FittedLaw, law_src: dict[str, Any], score: dict[str, Any] | None) -> str:
    """The first screen: can this law be trusted, what it says, and how well it predicted unseen runs."""
    ident = fitted.identification
    if ident.status == "not identified":
        why = "; ".join(ident.reasons)
        head = (f'<p class="flag">NOT IDENTIFIED: the runs cannot identify this law, so it must not be used to plan. '
                f"{esc(why[:1].upper() + why[1:])}.</p><p>{esc(ident.fix)} No plan is made and no reference models "
                "are placed on this law; the figures show the fit only to exercise the pipeline.</p>")
    else:
        cls = "ok" if ident.identified else "src"
        head = f'<p class="{cls}">{esc(ident.status.capitalize())}: {esc(STATUSES[ident.status])}.</p>'
    if ident.n_refits:
        head += f"<p>{ident.n_degenerate} of {ident.n_refits} bootstrap refits were degenerate (kept out of every band).</p>"
    body = head + _exponent_line(fitted)
    if score:
        body += f"<p>{_score_line(str(score.get('what', 'Held-out runs')), score)}</p>"
    body += (f'<p class="src">Bands: the {esc(band_label("mean", fitted.level))}; the '
             f'{esc(band_label("prediction", fitted.level))}. Law source: {esc(str(law_src.get("kind", "")))}.</p>')
    return body


def data_section(data: Data | None, fitted: FittedLaw, describe: str) -> str:
    if data is None:
        return ("<p>No runs given: the figures of data (IsoFLOP profiles, residuals, audit) are left out; the "
                "law, its plan and landscape are shown.</p>")
    ranges = [[label, float(x.min()), float(x.max())] for label, x in
              (("parameters N", data.n_params), ("tokens D", data.n_tokens), ("compute C = 6ND (FLOP)", data.flops),
               ("loss (nats/token)", data.loss), ("tokens/param", data.n_tokens / data.n_params))]
    pred = fitted.predict(data.n_params, data.n_tokens)
    resid = np.log(data.loss) - np.log(pred)
    names = data.names if data.names is not None else np.array([f"row {i + 1}" for i in range(len(data))])
    held = data.held_out if data.held_out is not None else np.zeros(len(data), bool)
    role = np.where(held, "held out", "fitted")
    cols = ["run", "role", "N", "D", "loss", "predicted", "residual"]
    rows = [[names[i], role[i], data.n_params[i], data.n_tokens[i], data.loss[i], pred[i], resid[i]]
            for i in range(len(data))]
    top = np.argsort(-np.abs(resid))[:10]
    n_held = int(held.sum())
    return (f"<p>{len(data)} runs" + (f", {n_held} held out of the fit" if n_held else "") + ".</p>"
            + table(ranges, ["quantity", "min", "max"])
            + f"<p>Largest residuals under {esc(fitted.name)} (ln L − ln L̂):</p>" + table([rows[i] for i in top], cols)
            + f"<details><summary>All runs ({min(len(data), MAX_ROWS)} shown)</summary>"
            + table(rows[:MAX_ROWS], cols) + "</details>" + f'<p class="src">Source: {esc(describe)}</p>')


def law_section(fitted: FittedLaw) -> str:
    civ = fitted.coefficient_intervals()
    body = law_html(fitted.law, intervals=civ or None) + _exponent_line(fitted)
    if civ:
        body += (f'<p class="src">Intervals: {level_label(fitted.level)} central intervals over '
                 f"{len(fitted.samples)} bootstrap refits.</p>")
    else:
        body += '<p class="src">No intervals: this law carries no bootstrap refits.</p>'
    sc = fitted.scatter
    if sc is not None:
        body += (f"<p>Run scatter about the law: σ = {sc.sigma:.4f} in log loss ({sc.df} df)"
                 + (f", growing by {sc.kappa:.4f} per decade of compute beyond the fitted runs ({esc(sc.note)})"
                    if sc.n_folds else f" ({esc(sc.note)})") + ".</p>")
    return body


def plan_section(plan: Any, note: str | None) -> str:
    if plan is None:
        return f'<p class="flag">No plan: {esc(note or "")}</p>'
    return (plan_html(plan) + '<p class="src">Source: scalinglab.plan.plan_compute (Hoffmann et al. 2022 Eq. 4 for '
            "Chinchilla-form laws) and plan.with_hardware (H100-SXM, MFU 0.4, one GPU for GPU-hours).</p>"
            + "<details><summary>The plan as data</summary>" + json_block(plan.as_dict()) + "</details>")


def audit_rows(aud: dict[str, Any]) -> list[list[Any]]:
    """The audit's summary table: errors as percentages, coverage with the band and level it scores."""
    rows: list[list[Any]] = [["held-out runs", len(aud["runs"])], ["mean ARE", f"{aud['are_mean']:.2%}"],
                             ["max ARE", f"{aud['are_max']:.2%}"]]
    if aud.get("coverage") is not None:
        band = band_label("prediction", aud["level"]) if aud.get("level") else "given interval"
        rows.append([f"inside the {band}", f"{aud['coverage']:.0%}"])
    if aud.get("mean_coverage") is not None:
        rows.append([f"inside the {band_label('mean', aud['level'])}", f"{aud['mean_coverage']:.0%}"])
    if aud.get("flops_cut"):
        rows.append(["compute cut (FLOP)", float(aud["flops_cut"])])
    return rows


def provenance_section(created: str, law_src: dict[str, Any], data: Data | None, flops: float,
                       notes: list[str], describe: str) -> str:
    import matplotlib

    rows = [["scalinglab", __version__], ["numpy", np.__version__], ["matplotlib", matplotlib.__version__],
            ["python", platform.python_version()], ["created (UTC)", created], ["compute budget (FLOP)", flops],
            ["law source", law_src.get("kind", "")]]
    rows += [[f"law {k}", law_src[k]] for k in ("name", "path", "sha256") if law_src.get(k)]
    if data is not None:
        rows += [[f"runs {k}", data.source[k]] for k in ("path", "sha256", "store") if data.source.get(k)]
    body = table(rows, ["item", "value"])
    body += "<ul>" + "".join(f"<li>{esc(n)}</li>" for n in notes) + "</ul>" if notes else ""
    if law_src.get("provenance"):
        body += "<p>Fit provenance:</p>" + json_block(law_src["provenance"])
    if data is not None and data.source:
        body += f"<p>Runs source: {esc(describe)}</p>" + json_block(data.source)
    body += ('<p class="src">Every number above is computed from the law (coefficients, bootstrap refits and run '
             "scatter) and the runs listed here.</p>")
    return body
