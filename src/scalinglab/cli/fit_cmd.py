"""``scalinglab fit``: fit a Chinchilla-form law to your runs, with bootstrap intervals and an audit."""

from __future__ import annotations

import hashlib
import re
import warnings
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from rich.progress import Progress
from rich.markup import escape
from rich.table import Table

from .._intervals import DEFAULT_LEVEL, central_interval, check_level, level_label
from .._io import check_writable
from ..errors import ConfigError, ScalingLabError
from .._validate import check_choice
from ..fit.parametric import METHODS
from ..datasets import get_dataset
from ..fit import audit, fit_law, split_groups
from ..fit.audit import score_runs
from ..fit.approach2 import isoflop_budgets
from ..laws.io import save_fitted
from . import app
from ._fit_exponents import _exponents, _print_exponents
from ._fit_read import read_runs
from ._common import (N_BOOTSTRAP_FLAG, console, err_console, n_bootstrap_option, one_n_bootstrap, print_json,
                      renamed, whole)

#: how ``--approach isoflop`` finds each budget's minimum (``method=`` of :func:`~scalinglab.fit.fit_approach2`)
PROFILES = ("parabola", "smooth")


@app.command("fit")
def fit_command(
    path: Annotated[str | None, typer.Argument(help="Runs file: .csv, .tsv, .jsonl, .json or .parquet (or use "
                                                "--dataset or --store). Columns not named by the options below "
                                                "are found by common names (params, tokens, flops, loss, ...).")] = None,
    dataset: Annotated[str | None, typer.Option("--dataset", help="A bundled table of published runs instead of a "
                                                "runs file (see `scalinglab datasets`); its columns and law family "
                                                "are known.")] = None,
    n_params_col: Annotated[str | None, typer.Option("--n-params-col", help="Column of parameter counts N.")] = None,
    loss_col: Annotated[str | None, typer.Option("--loss-col", help="Column of final losses (nats/token).")] = None,
    store: Annotated[str | None, typer.Option("--store", help="A lab store (SQLite) instead of a runs file; "
                                              "its held-out runs score the fit.")] = None,
    sweep: Annotated[str | None, typer.Option("--sweep", help="With --store: only this sweep.")] = None,
    n_tokens_col: Annotated[str | None, typer.Option("--n-tokens-col", help="Column of training tokens D.")] = None,
    flops_col: Annotated[str | None, typer.Option("--flops-col", help="Column of training FLOPs C; D = C/(6N).")] = None,
    run_col: Annotated[str | None, typer.Option("--run-col", help="Run id: bootstrap resamples whole runs.")] = None,
    tokens_seen_col: Annotated[str | None, typer.Option("--tokens-seen-col", help="Tokens seen at each checkpoint "
                                                        "(Approach 1).")] = None,
    unique_tokens_col: Annotated[str | None, typer.Option("--unique-tokens-col", help="Unique tokens each run "
                                                          "drew from (--family data-constrained).")] = None,
    family: Annotated[str | None, typer.Option("--family", help="Law fitted by the parametric approach: chinchilla "
                                               "(default; with --dataset, the dataset's), kaplan, over-training, "
                                               "data-constrained, or one variable: power-law-n, power-law-d, "
                                               "power-law-c (C = 6ND).")] = None,
    approach: Annotated[str, typer.Option("--approach", help="parametric (Approach 3), isoflop (Approach 2) or "
                                          "envelope (Approach 1).")] = "parametric",
    profile: Annotated[str | None, typer.Option("--profile", help="isoflop: parabola (default) or smooth.")] = None,
    budget_width: Annotated[float | None, typer.Option("--budget-width", help="isoflop: chain budgets whose FLOPs "
                                                       "differ by < this many decades (default 1e-6: equal up "
                                                       "to rounding).")] = None,
    where: Annotated[list[str] | None, typer.Option("--where", help="Keep rows with COL=VALUE (repeatable).")] = None,
    by: Annotated[str | None, typer.Option("--by", help="Fit each value of this column separately (dataset, "
                                           "config, ...): one report per group.")] = None,
    drop_dups: Annotated[bool, typer.Option("--drop-duplicates", help="Keep the first of repeated rows "
                                            "instead of stopping with an error.")] = False,
    drop_highest: Annotated[int, typer.Option("--drop-highest-loss", help="Drop the K highest-loss rows.")] = 0,
    loss: Annotated[str, typer.Option("--loss", help="huber, mse or asymmetric.")] = "huber",
    delta: Annotated[float, typer.Option("--delta", help="Huber threshold on log loss.")] = 1e-3,
    residuals: Annotated[str | None, typer.Option("--residuals", help="What the parametric fit penalises: "
                                                  "log-loss (default; log L̂ - log L, as Hoffmann et al.) or loss "
                                                  "(L̂ - L, as Gadre et al.); not for --family chinchilla.")] = None,
    starts: Annotated[str | None, typer.Option("--starts", help="Chinchilla only: hoffmann (default; 4,500 points, "
                                               "25 distinct (alpha, beta)) or coarse (243, 9).")] = None,
    method: Annotated[str | None, typer.Option("--method", help="Chinchilla only: varpro (default): search (alpha, "
                                               "beta) from the grid's distinct exponents, solve (A, B, E) exactly; "
                                               "joint: search all five from every grid point (slower).")] = None,
    n_bootstrap: Annotated[int | None, n_bootstrap_option("Bootstrap refits (0: none).")] = None,
    bootstrap_alias: Annotated[int | None, renamed("--bootstrap", N_BOOTSTRAP_FLAG, count=True)] = None,
    do_audit: Annotated[bool, typer.Option("--audit", help="Hold out the largest-compute runs and score.")] = False,
    holdout_fraction: Annotated[float, typer.Option("--holdout-fraction", help="Share held out by --audit.")] = 0.1,
    out: Annotated[str | None, typer.Option("--out", help="Save the law (and samples) as JSON.")] = None,
    json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    seed: Annotated[int, typer.Option("--seed", parser=whole("--seed"), metavar="N", help="Bootstrap seed.")] = 0,
    level: Annotated[float, typer.Option("--level", help="Central probability of every interval and band "
                                         "(default 0.9).")] = DEFAULT_LEVEL,
) -> None:
    """Fit L = E + A/N^alpha + B/D^beta (Huber on log loss from Hoffmann's start grid; variable projection by
    default, --method joint for the five-parameter search from all 4,500 points), another law (--family), or the
    compute-optimal exponents from IsoFLOP profiles (--approach isoflop) or training curves (envelope)."""
    fam = family or (get_dataset(dataset).family if dataset is not None else "chinchilla")
    _check_options(approach, family=fam, starts=starts, method=method, profile=profile,
                   budget_width=budget_width, out=out, do_audit=do_audit)
    res = _check_residuals(residuals, approach, fam, family_given=family is not None)
    columns = dict(n_params_col=n_params_col, loss_col=loss_col, n_tokens_col=n_tokens_col, flops_col=flops_col,
                   run_col=run_col, tokens_seen_col=tokens_seen_col, unique_tokens_col=unique_tokens_col)
    runs, holdout, budgets = read_runs(path, store, dataset, columns, sweep=sweep, by=by, approach=approach,
                                       family=fam, where=where, drop_dups=drop_dups, drop_highest=drop_highest)
    opts = _Opts(approach=approach, profile=profile or "parabola", budget_width=budget_width, family=fam, loss=loss,
                 residuals=res,
                 delta=delta, starts=starts, method=method, n_bootstrap=one_n_bootstrap(n_bootstrap, bootstrap_alias) or 0,
                 do_audit=do_audit, holdout_fraction=holdout_fraction, seed=seed, drop_highest=drop_highest, level=check_level(level))
    _fit_and_print(runs, opts, by=by, holdout=holdout, budgets=budgets, out=out, json=json)


def _fit_and_print(runs, opts: _Opts, *, by: str | None, holdout, budgets, out: str | None, json: bool) -> None:
    """Fit and print (or print as JSON) one report, or with ``by`` one per group (:func:`_fit_groups`)."""
    if by is not None:
        _fit_groups(runs, by, opts, out=out, json=json)
        return
    report = _fit_report(runs, opts, holdout=holdout, budgets=budgets, out=out)
    if json:
        print_json(report)
    else:
        _print_report(report)
    if "save_error" in report:  # the fit is printed above, not lost; the file is what failed
        raise ConfigError(report["save_error"])


def _fit_groups(runs, by: str, opts: _Opts, *, out: str | None, json: bool) -> None:
    """One fit and report per value of column ``by``; exit code 1 when any group failed."""
    failed = 0
    reports: dict[str, dict[str, Any]] = {}
    groups = split_groups(runs, by)
    paths = _group_paths(out, list(groups)) if out else {}
    for p in paths.values():  # every group's file, before the first fit
        check_writable(p, "out")
    for label, part in groups.items():
        # each group's warnings travel with its report (and print in its section), not all up front
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                reports[label] = _fit_report(part, opts, out=paths.get(label))
            except ScalingLabError as exc:  # one group's failure must not hide the others' results
                reports[label] = {"error": str(exc), "n_runs": len(part)}
        failed += "error" in reports[label] or "save_error" in reports[label]
        reports[label]["warnings"] = [f"{w.category.__name__}: {w.message}" for w in caught]
    if json:
        print_json({"by": by, "groups": reports})
    else:
        for label, rep in reports.items():
            console.rule(escape(f"{by} = {label}"))
            for w in rep["warnings"]:
                err_console.print(f"[yellow]warning ({escape(w.split(':', 1)[0])}):[/] "
                                  f"{escape(w.split(': ', 1)[1])}", highlight=False, soft_wrap=True)
            if "error" in rep:
                err_console.print(f"[red]error:[/] {escape(rep['error'])}", highlight=False, soft_wrap=True)
            else:
                _print_report(rep)
            if "save_error" in rep:
                err_console.print(f"[red]error:[/] {escape(rep['save_error'])}", highlight=False, soft_wrap=True)
    if failed:
        raise typer.Exit(1)


@dataclass(frozen=True)
class _Opts:
    approach: str
    profile: str
    budget_width: float | None
    family: str
    loss: str
    delta: float
    starts: str | None
    method: str | None
    n_bootstrap: int
    do_audit: bool
    holdout_fraction: float
    seed: int
    drop_highest: int
    level: float = DEFAULT_LEVEL
    residuals: str = "log"


#: longest label kept whole in a group's file name (a file name has at most 255 bytes)
_MAX_LABEL = 80


def _group_paths(out: str, labels: list[str]) -> dict[str, str]:
    """``fit.json`` -> ``fit-<label>.json`` for each group, the label made filename-safe. Labels that come out
    the same (``a/b`` and ``a b``, or ``A`` and ``a`` on a case-blind disk) or are cut short also get 8 hex
    digits of the label's SHA-1, so that no group's file overwrites another's."""
    safe = {lab: re.sub(r"[^A-Za-z0-9._-]+", "_", lab).strip("._") or "group" for lab in labels}
    seen = Counter(s.lower() for s in safe.values())
    path = Path(out)
    paths = {}
    for lab, s in safe.items():
        if seen[s.lower()] > 1 or len(s) > _MAX_LABEL:
            s = f"{s[:_MAX_LABEL]}-{hashlib.sha1(lab.encode('utf-8')).hexdigest()[:8]}"
        paths[lab] = str(path.with_name(f"{path.stem}-{s}{path.suffix}"))
    return paths


def _fit_report(runs, o: _Opts, *, holdout=None, budgets=None, out: str | None = None) -> dict[str, Any]:
    """Fit ``runs`` as the options say and return the JSON-ready report (nothing printed but progress)."""
    if o.approach != "parametric":
        return _exponents(runs, o.approach, profile=o.profile, budgets=isoflop_budgets(budgets, o.budget_width),
                          n_bootstrap=o.n_bootstrap, seed=o.seed, holdout=holdout, level=o.level)
    return _parametric(runs, o, holdout=holdout, out=out)


def _check_options(approach: str, *, family: str, starts: str | None, method: str | None, profile: str | None,
                   budget_width: float | None, out: str | None, do_audit: bool) -> None:
    """Every check that needs no runs, before they are read: choices, an option that cannot act with
    ``approach`` (refused in one line naming it, rather than ignored), and that ``out`` can be written (so
    that a bad path cannot cost the fit)."""
    check_choice("approach", approach, ("parametric", "isoflop", "envelope"))
    _check_search(family, starts, method)
    if out is not None:
        check_writable(out, "out")
    if profile is not None:
        check_choice("profile", profile, PROFILES)
    for flag, given, needs, what in (
            ("--profile", profile is not None, "isoflop", "shapes the IsoFLOP profiles"),
            ("--budget-width", budget_width is not None, "isoflop", "groups runs into IsoFLOP budgets"),
            ("--out", out is not None, "parametric", "saves a fitted law"),
            ("--audit", do_audit, "parametric", "refits a law without the largest-compute runs")):
        if given and approach != needs:
            raise ConfigError(f"The '{flag}' option {what}, so it needs --approach {needs}. Got {flag} with "
                              f"--approach {approach}.")


#: ``--residuals`` -> ``residuals=`` of :func:`~scalinglab.fit.fit_law`
RESIDUALS = {"log-loss": "log", "loss": "loss"}


def _check_residuals(residuals: str | None, approach: str, family: str, *, family_given: bool) -> str:
    """``--residuals`` as :func:`~scalinglab.fit.fit_law` names it; refused where it cannot act: Approaches 1
    and 2 fit no law to the loss, and Chinchilla's engines fit log loss only."""
    if residuals is None:
        return "log"
    check_choice("residuals", residuals, tuple(RESIDUALS))
    if approach != "parametric":
        raise ConfigError(f"The '--residuals' option chooses what a parametric fit penalises, so it needs --approach "
                          f"parametric. Got --residuals {residuals} with --approach {approach}.")
    if family == "chinchilla" and residuals == "loss":
        fam = "--family chinchilla" if family_given else "--family chinchilla (the default)"
        raise ConfigError(f"The '--residuals loss' option needs a family other than chinchilla (its engines fit log "
                          f"loss; try --family over-training or kaplan). Got --residuals loss with {fam}.")
    return RESIDUALS[residuals]


def _check_search(family: str, starts: str | None, method: str | None) -> None:
    """--starts and --method choose Chinchilla's search; with another family they cannot act."""
    given = [f"--{n} {v}" for n, v in (("starts", starts), ("method", method)) if v is not None]
    if family != "chinchilla" and given:
        raise ConfigError(f"The '--starts' and '--method' options apply to --family chinchilla only. Got "
                          f"{', '.join(given)} with --family {family}.")
    if method is not None:
        check_choice("method", method, METHODS)


def _parametric(runs, o: _Opts, *, holdout=None, out: str | None = None) -> dict[str, Any]:
    """Approach 3 for any family, through :func:`~scalinglab.fit.fit_law`: one FittedLaw, rendered."""
    what = (f"the {o.starts or 'hoffmann'} start grid ({o.method or 'varpro'})" if o.family == "chinchilla"
            else f"the {o.family} law")
    with Progress(console=err_console, transient=True, disable=not err_console.is_terminal) as bar:
        task = bar.add_task(f"fitting {len(runs)} runs ({what})", total=o.n_bootstrap or None)
        fitted = fit_law(runs, o.family, loss=o.loss, delta=o.delta, starts=o.starts, method=o.method,
                         residuals=o.residuals, n_bootstrap=o.n_bootstrap, seed=o.seed, level=o.level,
                         progress=lambda done, total: bar.update(task, completed=done),
                         cli={"drop_highest_loss": o.drop_highest, "starts": o.starts, "method": o.method})
    report: dict[str, Any] = {**fitted.summary, "family": o.family, "level": o.level,
                              "identification": fitted.identification.as_dict(),
                              "scatter": None if fitted.scatter is None else fitted.scatter.as_dict()}
    if fitted.samples:
        report["intervals"] = _sample_intervals(fitted)
    if o.do_audit:
        with err_console.status("audit: refitting without the largest-compute runs"):
            report["audit"] = audit(runs, fraction=o.holdout_fraction, family=o.family, loss=o.loss, delta=o.delta,
                                    residuals=o.residuals, starts=o.starts, method=o.method, n_bootstrap=min(o.n_bootstrap, 200),
                                    seed=o.seed, level=o.level).as_dict()
    if holdout is not None:
        report["holdout"] = score_runs(fitted, holdout.n_params, holdout.n_tokens, holdout.loss)
    if out:
        try:
            report["saved"] = str(save_fitted(fitted, out, name="out"))
        except ScalingLabError as exc:  # kept with the report: the fit is printed, then the failure
            report["save_error"] = str(exc)
    return report


def _sample_intervals(fitted) -> dict[str, Any]:
    """SE and central interval of each coefficient (and, for joint laws, the allocation at Chinchilla's budget)
    across the refits."""
    lv = fitted.level
    rows = fitted.draws(5.76e23)
    return {"n": len(fitted.samples), "level": lv, "label": f"{level_label(lv)} interval over the bootstrap refits",
            "se": {k: float(np.std(v, ddof=1)) for k, v in rows.items()},
            "intervals": {k: {f"{lv:g}": list(central_interval(v, lv))} for k, v in rows.items()}}


def _print_report(rep: dict[str, Any]) -> None:
    if "approach" in rep:
        _print_exponents(rep)
    elif rep.get("family", "chinchilla") != "chinchilla":
        _print_family(rep)
    else:
        _print_table(rep)


def _print_params(title: str, rep: dict[str, Any]) -> None:
    """The fitted parameters, with SE and interval columns (labelled with their level) when bootstrapped."""
    table = Table(title=title)
    table.add_column("parameter")
    table.add_column("value", justify="right")
    iv = rep.get("intervals")
    if iv:
        table.add_column("SE", justify="right")
        table.add_column(f"{level_label(iv['level'])} interval", justify="right")
    for k, v in rep["params"].items():
        row = [k, f"{v:.6g}"]
        if iv and k in iv["intervals"]:
            lo, hi = iv["intervals"][k][f"{iv['level']:g}"]
            row += [f"{iv['se'][k]:.3g}", f"({lo:.4g}, {hi:.4g})"]
        table.add_row(*row)
    console.print(table)
    _print_trust(rep)


def _print_trust(rep: dict[str, Any]) -> None:
    """Identification verdict, run scatter, and what the bands cover."""
    ident = rep["identification"]
    n_ref = ident["n_refits"]
    degenerate = f"; {ident['n_degenerate']} of {n_ref} bootstrap refits degenerate" if n_ref else ""
    if ident["status"] == "not identified":
        console.print(f"[bold red]NOT IDENTIFIED[/]{degenerate}: {escape('; '.join(ident['reasons']))}")
        console.print(f"[red]This law must not be used to plan.[/] {escape(ident['fix'])}")
    elif ident["status"] == "unchecked":
        console.print("identification: [yellow]unchecked[/] (no bootstrap: only the search box was checked; "
                      "--n-bootstrap N checks the intervals and gives the mean band)")
    else:
        console.print(f"identification: [green]identified[/]{degenerate}")
    sc = rep.get("scatter")
    if sc:
        growth = (f", +{sc['kappa']:.4f} per decade of compute beyond the fitted runs ({sc['n_folds']} "
                  "forward-chaining refits)" if sc["n_folds"] else f" ({sc['note'] or 'extrapolation growth not calibrated'})")
        console.print(f"run scatter about the law: sigma = {sc['sigma']:.4f} in log loss ({sc['df']} df){growth}. "
                      f"Bands ({level_label(rep['level'])}): the prediction band covers a new run (refits + run "
                      "scatter), the mean band the law's mean curve (refits only)")
    else:
        console.print("[yellow]no prediction band:[/] the runs do not outnumber the parameters, so run scatter "
                      "cannot be measured")


def _print_table(rep: dict[str, Any]) -> None:
    _print_params(f"Chinchilla fit on {rep['n_runs']} runs ({rep['loss']}, delta={rep['delta']:g})", rep)
    s = rep["starts"]
    where = (f"the {s['total']} distinct (alpha, beta) of the {s['grid_points']:,}-point {s['grid']} grid"
             if s["method"] == "varpro" else f"the {s['grid_points']:,}-point {s['grid']} grid")
    console.print(f"objective {rep['objective']:.8g}; {s['best']}/{s['total']} starts reached it "
                  f"({s['converged']} converged; {s['method']} from {where}); {rep['seconds']:.2f} s")
    iv = rep.get("intervals", {}).get("intervals", {}).get("a")
    lo_hi = iv[f"{rep['level']:g}"] if iv else None
    a_iv = f" ({level_label(rep['level'])} interval {lo_hi[0]:.3f}–{lo_hi[1]:.3f})" if lo_hi else ""
    console.print(f"N_opt ∝ C^{rep['exponents']['a']:.4f}{a_iv}, D_opt ∝ C^{rep['exponents']['b']:.4f}")
    _print_scores(rep)


def _print_scores(rep: dict[str, Any]) -> None:
    """Audit and held-out runs, each with the level and the band it scores."""
    for key, what in (("audit", "audit"), ("holdout", "held-out runs")):
        if key not in rep:
            continue
        a = rep[key]
        n = a.get("n_holdout", a.get("n"))
        line = (f"{what}: {n} {'largest-compute runs held out of the fit' if key == 'audit' else 'runs the sweep held out'}; "
                f"ARE mean {a['are_mean']:.2%}, max {a['are_max']:.2%}")
        if a.get("coverage") is not None:
            line += (f"; {round(a['coverage'] * n)} of {n} ({a['coverage']:.0%}) inside the "
                     f"{level_label(a['level'])} prediction band (a new run)")
        if a.get("mean_coverage") is not None:
            line += f", {a['mean_coverage']:.0%} inside the mean band (the law's curve, not runs)"
        console.print(line)
    if "saved" in rep:
        console.print(f"saved {escape(rep['saved'])}", highlight=False, soft_wrap=True)


def _print_family(report: dict[str, Any]) -> None:
    on = " on loss" if report.get("residuals") == "loss" else ""
    _print_params(f"{report['family']} fit on {report['n_runs']} runs ({report['loss']}{on})", report)
    console.print(f"objective {report['objective']:.8g}; {report['starts']['best']}/{report['starts']['total']} "
                  f"starts reached it; {report['seconds']:.2f} s")
    _print_scores(report)
