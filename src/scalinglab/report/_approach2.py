"""The report's Approach 2 (IsoFLOP profiles): the compute-optimal exponents with the interval of the exponent,
R², usable resamples and verdict, the budgets, and held-out runs against the frontier — rendered from
:meth:`scalinglab.fit.Approach2Result.as_dict`, the dict ``scalinglab fit --approach isoflop --json`` prints,
with the CLI's number formats. Nothing here fits."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._intervals import DEFAULT_LEVEL, level_label
from .html import esc, fmt, table

__all__ = ["approach2_line", "approach2_section"]

_WHAT = "Approach 2 (IsoFLOP profiles)"


def _num(v: Any, spec: str) -> str:
    """``v`` formatted as the CLI prints it, or an em dash for a missing (None or NaN) value."""
    return "—" if v is None or not np.isfinite(v) else format(v, spec)


def _interval(fit: dict[str, Any], a2: dict[str, Any]) -> str:
    if fit["interval"] is not None:
        return f"({fit['interval'][0]:.3f}, {fit['interval'][1]:.3f})"
    return "none" if a2["n_bootstrap_requested"] else "not measured (no bootstrap)"


def _resamples(a2: dict[str, Any]) -> str:
    return f"{a2['n_bootstrap']}/{a2['n_bootstrap_requested']}" if a2["n_bootstrap_requested"] else "none"


def _verdict_text(a2: dict[str, Any]) -> str:
    """``identified``, ``unchecked``, ``NOT IDENTIFIED`` or ``NOT IDENTIFIED (exactly determined by 2 budgets, no
    error estimate)``."""
    if a2["identification"]["status"] != "not identified":
        return a2["verdict"]
    return "NOT IDENTIFIED" + ("" if a2["verdict"] == "not identified" else f" ({a2['verdict']})")


def _verdict_class(a2: dict[str, Any]) -> str:
    return {"identified": "ok", "not identified": "flag"}.get(a2["identification"]["status"], "src")


def approach2_line(a2: dict[str, Any] | None, reason: str | None) -> str:
    """One paragraph for the first screen: the exponents with the interval of the exponent, R², usable
    resamples and the verdict; or the one line saying why there is no Approach 2."""
    if a2 is None:
        return f"<p>{_WHAT}: {esc(reason or '')}</p>" if reason else ""
    nf, df = a2["n_opt_fit"], a2["d_opt_fit"]
    label = f"{level_label(a2['level'])} interval of the exponent"
    if nf["exponent"] is None or not np.isfinite(nf["exponent"]):
        says = f"no exponent ({a2['n_budgets_used']} of {a2['n_budgets']} budgets have an interior minimum)"
    else:
        says = "; ".join(
            f"{what} ∝ C<sup>{x}</sup>, {x} = {fit['exponent']:.4f}, {label} {esc(_interval(fit, a2))}, "
            f"R² {_num(fit['r2'], '.3f')}" for what, x, fit in (("N*", "a", nf), ("D*", "b", df)))
        says += f"; over {a2['n_budgets_used']} of {a2['n_budgets']} budgets"
    ident = a2["identification"]
    verdict = esc(_verdict_text(a2))
    why = f": {esc('; '.join(ident['reasons']))}" if ident["reasons"] else ""
    return (f'<p>{_WHAT}: {says}; bootstrap resamples usable/drawn: {esc(_resamples(a2))}. '
            f'Verdict: <span class="{_verdict_class(a2)}">{verdict}</span>{why}. '
            '<a href="#approach2">Details</a>.</p>')


def _exponent_table(a2: dict[str, Any]) -> str:
    """The CLI's table: one row per exponent, the interval labelled with its level beside it, R², k, budgets
    with an interior minimum and usable resamples."""
    head = ["", "exponent", f"{level_label(a2['level'])} interval of the exponent", "R² (log space)", "k",
            "budgets: interior minimum / all", "bootstrap resamples: usable / drawn"]
    rows = [[name, _num(fit["exponent"], ".4f"), _interval(fit, a2), _num(fit["r2"], ".3f"),
             fit["coef"], f"{a2['n_budgets_used']}/{a2['n_budgets']}", _resamples(a2)]
            for name, fit in (("N*(C) = k·C^a", a2["n_opt_fit"]), ("D*(C) = k·C^b", a2["d_opt_fit"]))]
    return table(rows, head, kinds=[None] * len(head))


def _verdict(a2: dict[str, Any]) -> str:
    ident = a2["identification"]
    cls = _verdict_class(a2)
    if ident["status"] == "not identified":
        two = ("<p>With 2 budgets R² is 1 by construction, and the interval shows only how the two minima move "
               "under resampling, not whether N*(C) is a power law.</p>" if a2["n_budgets_used"] == 2 else "")
        return (f'<p class="flag">{esc(_verdict_text(a2))}: {esc("; ".join(ident["reasons"]))}.</p>{two}'
                f"<p>Do not use this exponent to plan. {esc(ident['fix'])}</p>")
    if ident["status"] == "identified":
        lim = ident["limits"]
        return (f'<p class="{cls}">Identified: {a2["n_budgets_used"]} budgets with an interior minimum (at least '
                f"{lim['min_budgets']}); {a2['n_bootstrap']} of {ident['n_refits']} bootstrap resamples usable; the "
                f"{level_label(DEFAULT_LEVEL)} interval of a narrower than {lim['exponent_interval_width']:g}.</p>")
    return (f'<p class="{cls}">Unchecked: no bootstrap, so the interval of the exponent was not measured and the '
            "verdict could not check it (the report's bootstrap count is 0).</p>")


def _budget_rows(a2: dict[str, Any]) -> str:
    rows = []
    for p in a2["profiles"]:
        found = p["status"] in ("ok", "extrapolated")
        rows.append([p["flops"], p["n_sizes"], p["n_opt"] if found else None, p["d_opt"] if found else None,
                     p["loss_opt"] if found else None, p["status"] + (f": {p['reason']}" if p["reason"] else "")])
    return table(rows, ["budget C (FLOP)", "sizes", "N*", "D*", "L*", "status"],
                 kinds=["flop", None, "count", "count", None, None])


def _holdout(h: dict[str, Any]) -> str:
    """Held-out runs against the frontier L*(C), with the band (named, with its level) or why there is none."""
    if h["frontier"] is None:
        return f"<p>Held-out runs: {h['n']}, not scored: {esc(h['reason'])}.</p>"
    fr = h["frontier"]
    band = (f"{round(h['mean_coverage'] * h['n'])} of {h['n']} inside the {h['band_label']}" if h["band"]
            else h["no_band"])
    rows = [[r["flops"], r["n_params"], r["n_opt"], r["loss"], r["predicted"], r["are"],
             "({:.4f}, {:.4f})".format(*r["mean_interval"]) if "mean_interval" in r else "none"] for r in h["runs"]]
    head = ["compute C (FLOP)", "N", "N* predicted", "loss", "predicted L*", "ARE",
            h["band_label"] if h["band"] else "band"]
    return (f"<p>Held-out runs (not in the fit) against the frontier L*(C) = {fmt(fr['coef'])}·C<sup>"
            f"{fr['exponent']:.4f}</sup> through the profile minima: {h['n']} run(s), ARE mean {h['are_mean']:.2%}, "
            f"max {h['are_max']:.2%}; {esc(band)}; {esc(h['no_prediction_band'])}.</p>"
            + table(rows, head, kinds=["flop", "count", "count", None, None, "percent", None]))


def approach2_section(a2: dict[str, Any] | None, reason: str | None) -> str:
    """The section: exponent table, verdict, notes, budgets and held-out runs; or the one line saying why
    there is no Approach 2."""
    if a2 is None:
        return f"<p>{esc(reason or '')}</p>"
    body = (_exponent_table(a2) + _verdict(a2)
            + "".join(f"<p>Note: {esc(n)}.</p>" for n in a2["notes"]) + _budget_rows(a2))
    if "holdout" in a2:
        body += _holdout(a2["holdout"])
    kept = " (held-out runs kept out)" if "holdout" in a2 else ""
    return body + (f'<p class="src">Source: scalinglab.fit.fit_approach2 on {a2["rows"]} runs{kept}, '
                   f"{esc(a2['method'])} profiles, {esc(a2['budgets'])}, {a2['n_bootstrap_requested']} bootstrap "
                   f"resamples within budgets, seed {a2['seed']}: the numbers `scalinglab fit --approach isoflop "
                   f"--n-bootstrap {a2['n_bootstrap_requested']} --seed {a2['seed']}` prints for the same runs "
                   f"(Hoffmann et al. 2022, §3.2). The interval is the {level_label(a2['level'])} central interval "
                   "of the exponent over the usable resamples; R² is that of the power law in log–log space.</p>")
