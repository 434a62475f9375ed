"""``scalinglab fit --approach isoflop|envelope``: the compute-optimal exponents of Approaches 1 and 2, their
intervals, R² and verdict, as a JSON-ready report and as printed tables."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from rich.markup import escape
from rich.table import Table

from .._intervals import DEFAULT_LEVEL, level_label
from ..errors import ConfigError
from ..fit import fit_envelope, fit_isoflop_profiles
from ..fit.profiles import ProfileWarning
from ..laws.fitted import Identification
from ._common import console

__all__ = ["_exponents", "_print_exponents"]


def _exponents(runs, approach: str, *, profile: str, budgets: Any, n_boot: int, seed: int,
               holdout=None, level: float = DEFAULT_LEVEL) -> dict[str, Any]:
    """Approaches 1 and 2: N*(C) ∝ C^a and D*(C) ∝ C^b. ``budgets``: a bin width in decades or labels.

    The report carries the identification verdict (see :func:`~scalinglab.fit.fit_isoflop_profiles`); a fit
    the data cannot identify is reported, not raised. With held-out runs (a lab sweep's), the profile minima
    give the frontier ``L*(C) = k·C^s`` (a power law through the budgets' optimal losses) and each held-out
    run is scored against ``L*`` at its compute: the sweep places its held-out run near the predicted optimum,
    where its loss should be ``L*``.
    """

    if approach == "isoflop":
        with warnings.catch_warnings():
            # every excluded budget is named in the verdict or its notes and in the per-budget lines
            warnings.simplefilter("ignore", ProfileWarning)
            res = fit_isoflop_profiles(runs.n_params, runs.flops, runs.loss, budgets=budgets, method=profile,
                                       bootstrap=n_boot, seed=seed, level=level)
        out = {"approach": approach, "rows": len(runs), **res.as_dict()}
        if holdout is not None:
            out["holdout"] = _score_frontier(res, holdout)
        return out
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
                      "measured; --bootstrap 200 measures it and checks it against the limits)", soft_wrap=True)
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
        h = out["holdout"]
        if h["frontier"] is None:
            console.print(f"held-out runs: {h['n']}, not scored: {escape(h['reason'])}", soft_wrap=True)
            return
        console.print(f"frontier L*(C) = {h['frontier']['coef']:.4g}·C^{h['frontier']['exponent']:.4f} through the "
                      f"profile minima; held-out runs: {h['n']}, ARE mean {h['are_mean']:.2%}, max {h['are_max']:.2%}")
        for r in h["runs"]:
            console.print(f"  C = {r['flops']:.3g}, N = {r['n_params']:.4g} (N* predicted {r['n_opt']:.4g}): "
                          f"loss {r['loss']:.4f}, predicted L* {r['predicted']:.4f}")


def _score_frontier(res, holdout) -> dict[str, Any]:
    """Held-out runs against the power law through the IsoFLOP minima, L*(C) = k·C^s (not scored with fewer
    than 2 budgets that have an interior minimum)."""
    from ..fit.profiles import fit_power_law

    used = np.isfinite(res.loss_opt) & np.isfinite(res.n_opt)
    if np.unique(res.flops[used]).size < 2:
        return {"n": len(holdout), "frontier": None, "runs": [],
                "reason": f"the frontier needs 2 budgets with an interior minimum (got {int(used.sum())})"}
    frontier = fit_power_law(res.flops[used], res.loss_opt[used])
    c = holdout.flops
    pred = frontier.predict(c)
    are = np.abs(pred - holdout.loss) / holdout.loss
    return {"n": len(holdout), "are_mean": float(are.mean()), "are_max": float(are.max()),
            "frontier": frontier.as_dict(),
            "runs": [{"flops": float(ci), "n_params": float(n), "n_tokens": float(d), "loss": float(y),
                      "predicted": float(p), "are": float(e), "n_opt": float(res.n_opt_fit.predict(ci))}
                     for ci, n, d, y, p, e in zip(c, holdout.n_params, holdout.n_tokens, holdout.loss, pred, are)]}
