"""``scalinglab fit --approach isoflop|envelope``: the compute-optimal exponents of Approaches 1 and 2, their
intervals, R² and verdict, as a JSON-ready report and as printed tables."""

from __future__ import annotations

from typing import Any

import numpy as np
from rich.markup import escape
from rich.table import Table

from .._intervals import DEFAULT_LEVEL, level_label
from ..errors import ConfigError
from ..fit import fit_approach2, fit_envelope
from ..laws.fitted import Identification
from ._common import console

__all__ = ["_exponents", "_print_exponents"]


def _exponents(runs, approach: str, *, profile: str, budgets: Any, n_bootstrap: int, seed: int,
               holdout=None, level: float = DEFAULT_LEVEL) -> dict[str, Any]:
    """Approaches 1 and 2: N*(C) ∝ C^a and D*(C) ∝ C^b. ``budgets``: a bin width in decades or labels.

    Approach 2 is :func:`~scalinglab.fit.fit_approach2` (the report shows the same): the verdict of
    :func:`~scalinglab.fit.fit_isoflop_profiles` (a fit the data cannot identify is reported, not raised) and,
    with held-out runs (a lab sweep's), each scored against the frontier ``L*(C) = k·C^s`` through the
    budgets' minimum losses, with the band it is scored against named.
    """

    if approach == "isoflop":
        return fit_approach2(runs, budgets=budgets, method=profile, n_bootstrap=n_bootstrap, seed=seed, level=level,
                             holdout=holdout).as_dict()
    runs.require("n_params", what="The envelope approach")
    if runs.run_id is None or runs.tokens_seen is None:
        raise ConfigError("The envelope approach needs '--run-col' and '--tokens-seen-col' (checkpoints of "
                          "training curves). Got " + ("neither." if runs.run_id is None and runs.tokens_seen
                                                     is None else "only one."))
    res = fit_envelope(runs.run_id, runs.n_params, runs.tokens_seen, runs.loss)
    return {"approach": approach, "rows": len(runs), **res.as_dict(), "level": level,
            "identification": _envelope_identification(res)}


#: distinct sizes that must lead the envelope over the fitted range (a step function of fewer fixes nothing)
_ENVELOPE_MIN_SIZES = 3


def _envelope_identification(res) -> dict[str, Any]:
    """The envelope's verdict: ``not identified`` when fewer than 3 sizes lead over the fitted compute range,
    else ``unchecked`` (the envelope draws no bootstrap)."""

    k = int(np.unique(res.n_opt[res.used]).size)
    if k >= _ENVELOPE_MIN_SIZES:
        ident = Identification("unchecked")
    else:
        ident = Identification("not identified", (
            f"N*(C) takes only {k} distinct size{'s' if k != 1 else ''} over the fitted compute range: a step "
            f"function that {k} size{'s' if k != 1 else ''} cannot fix",),
            "Train more model sizes, so that at least 3 of them lead the envelope over the compute range.")
    return {**ident.as_dict(), "limits": {"min_sizes": _ENVELOPE_MIN_SIZES}}


def _num(v: Any, fmt: str) -> str:
    """``v`` formatted, or an em dash for a missing (None or NaN) value."""
    return "—" if v is None or not np.isfinite(v) else format(v, fmt)


def _exponent_table(out: dict[str, Any]) -> Table:
    """One row per exponent: value, interval (labelled with its level), R², coefficient, budgets used, usable
    bootstrap resamples. Narrow enough for 80 columns."""
    iso = out["approach"] == "isoflop"
    what = "budgets: with an interior minimum/all" if iso else "points: fitted/covered"
    table = Table(title=f"N*(C), D*(C) = k·C^exponent ({out['approach']}, {out['rows']} rows)",
                  caption=f"R² of the power law in log space; {what}; resamples: usable/drawn")
    for col in ("", "exponent", f"{level_label(out['level'])} interval", "R²", "k",
                "budgets" if iso else "points", "resamples"):
        table.add_column(col, justify="left" if not col else "right", no_wrap=True)
    if iso:
        used = f"{out['n_budgets_used']}/{out['n_budgets']}"
        boot = f"{out['n_bootstrap']}/{out['n_bootstrap_requested']}" if out["n_bootstrap_requested"] else "none"
    else:
        used, boot = f"{sum(out['used'])}/{len(out['used'])}", "none"
    for name, key in (("N*(C)", "n_opt_fit"), ("D*(C)", "d_opt_fit")):
        fit = out[key]
        if fit["interval"] is not None:
            interval = f"({fit['interval'][0]:.3f}, {fit['interval'][1]:.3f})"
        else:
            interval = "none" if iso and out["n_bootstrap_requested"] else "not measured"
        table.add_row(name, _num(fit["exponent"], ".4f"), interval, _num(fit["r2"], ".3f"), _num(fit["coef"], ".4g"),
                      used, boot)
    return table


def _print_verdict(out: dict[str, Any]) -> None:
    """Green ``identified``, red ``NOT IDENTIFIED: reasons`` and the fix, or yellow ``unchecked``."""
    ident = out["identification"]
    if ident["status"] == "not identified":
        console.print(f"[bold red]NOT IDENTIFIED[/]: {escape('; '.join(ident['reasons']))}", soft_wrap=True)
        console.print(f"[red]Do not use this exponent to plan.[/] {escape(ident['fix'])}", soft_wrap=True)
    elif ident["status"] == "identified":
        lim = ident["limits"]
        console.print(f"identification: [green]identified[/] ({out['n_budgets_used']} budgets with an interior "
                      f"minimum, at least {lim['min_budgets']}; {out['n_bootstrap']} of {ident['n_refits']} "
                      f"bootstrap resamples usable; the {level_label(DEFAULT_LEVEL)} interval of a narrower than "
                      f"{lim['exponent_interval_width']:g})", soft_wrap=True)
    elif out["approach"] == "isoflop":
        console.print("identification: [yellow]unchecked[/] (no bootstrap: the exponent's interval was not "
                      "measured; --n-bootstrap 200 measures it and checks it against the limits)", soft_wrap=True)
    else:
        console.print("identification: [yellow]unchecked[/] (the envelope draws no bootstrap; at least "
                      f"{ident['limits']['min_sizes']} sizes lead it over the fitted range)", soft_wrap=True)


def _print_exponents(out: dict[str, Any]) -> None:
    approach = out["approach"]
    console.print(_exponent_table(out))
    _print_verdict(out)
    for note in out.get("notes", []):
        console.print(f"[yellow]note:[/] {escape(note)}", soft_wrap=True)
    if approach == "isoflop":
        for p in out["profiles"]:
            head = f"  C = {p['flops']:.3g} ({p['n_sizes']} size{'' if p['n_sizes'] == 1 else 's'}): "
            if p["status"] in ("ok", "extrapolated"):
                head += f"N* = {p['n_opt']:.4g}, D* = {p['d_opt']:.4g}, L* = {p['loss_opt']:.4f}"
            mark = "" if p["status"] == "ok" else f"[yellow]{p['status']}: {escape(p['reason'])}[/]"
            console.print(head + ("  " if p["status"] == "extrapolated" else "") + mark, soft_wrap=True)
    if "holdout" in out:
        _print_frontier_score(out["holdout"])


def _print_frontier_score(h: dict[str, Any]) -> None:
    """Held-out runs against the frontier L*(C): errors, and the share inside its mean band (named with its
    level), or why there is no band; and why there is no prediction band."""
    if h["frontier"] is None:
        console.print(f"held-out runs: {h['n']}, not scored: {escape(h['reason'])}", soft_wrap=True)
        return
    inside = (f"; {round(h['mean_coverage'] * h['n'])} of {h['n']} inside the {h['band_label']}"
              if h["band"] else f"; {h['no_band']}")
    console.print(f"frontier L*(C) = {h['frontier']['coef']:.4g}·C^{h['frontier']['exponent']:.4f} through the "
                  f"profile minima; held-out runs: {h['n']}, ARE mean {h['are_mean']:.2%}, max {h['are_max']:.2%}"
                  f"{escape(inside)}; {escape(h['no_prediction_band'])}", soft_wrap=True)
    for r in h["runs"]:
        band = f" ({r['mean_interval'][0]:.4f}–{r['mean_interval'][1]:.4f})" if "mean_interval" in r else ""
        console.print(f"  C = {r['flops']:.3g}, N = {r['n_params']:.4g} (N* predicted {r['n_opt']:.4g}): "
                      f"loss {r['loss']:.4f}, predicted L* {r['predicted']:.4f}{band}", soft_wrap=True)

