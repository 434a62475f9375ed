"""What an interactive planner page carries: one JSON blob made here, read by the page's JavaScript planner.

The page recomputes every plan in the browser with the Python planner's formulas (``report/page_*.js``), so the
blob holds exactly what the Python planner reads, as it reads it:

- the point law's coefficients and the bootstrap refits the planner uses, thinned as it thins them
  (:func:`~scalinglab.laws.fitted.evenly_spaced` to :data:`~scalinglab.laws.fitted.MAX_INTERVAL_REFITS`);
- the run scatter (σ, df, κ, C_max) and its noise grid (:meth:`~scalinglab.laws.fitted.RunScatter.noise`, the
  64 Student-t quantiles), the level, the identification verdict and the documented allocation limit;
- the GPU catalogue, the hyperparameter rule's coefficients (with its covariance and normal quantile, or its
  refits), Muennighoff's R_D* and R_N*, the reference models, and the inference sweep's demands.

Only Chinchilla-form laws are planned by the page (their allocation, iso-loss tokens and budget for a loss have
closed forms the page reuses); any other law is refused with one line. Text that will be shown (citations,
notes, sources) loses any URL scheme, so the page references no address.
"""

from __future__ import annotations

import re
from typing import Any

from scipy import stats

from .._intervals import BANDS, DEFAULT_LEVEL
from ..catalog.models import get_model, list_models
from ..cost import DEFAULT_MFU, MAX_GPUS
from ..config import DEFAULT_GPU
from ..errors import ConfigError
from ..hardware import list_gpus
from ..laws._hparam_io import resolve_hp_rule
from ..laws.chinchilla import Chinchilla
from ..laws.datablations import RD_STAR, RN_STAR
from ..laws.fitted import LIMITS, MAX_INTERVAL_REFITS, STATUSES, FittedLaw
from ..laws.hyperparams import HyperparamRule
from ..plan.inference import SWEEP_TOKENS
from ..plan.optimal import LawSpec, resolve_plan_law
from ..plan.resources import MAX_GPUS_SEARCHED

__all__ = ["page_data", "PAGE_FORMAT_VERSION", "CHINCHILLA_LAWS", "plain_text"]

#: version of the blob's layout (the page's JavaScript reads this one)
PAGE_FORMAT_VERSION = 1
#: the catalog laws the page plans with
CHINCHILLA_LAWS = ("epoch2024", "hoffmann2022", "hoffmann2022-unrounded")
#: the model whose implied inference demand ``plan --json`` prints beside inference plans
EXAMPLE_MODEL = "SmolLM3"

_SCHEME = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://")


def plain_text(x: Any) -> str:
    """``str(x)`` with every URL scheme (``https://`` ...) removed: an address shown as words, never a link."""
    return _SCHEME.sub("", str(x))


def _fitted(law: LawSpec) -> FittedLaw:
    # the page opens on any identification: a law flagged not identified is planned with its stamp, as
    # `plan --allow-unidentified` plans it, and the page says so
    point, fitted, _ = resolve_plan_law(law, allow_unidentified=True)
    if not isinstance(point, Chinchilla) or any(not isinstance(s, Chinchilla) for s in fitted.samples):
        raise ConfigError(
            "The 'law' parameter must be a Chinchilla-form law, L = E + A/N^alpha + B/D^beta, for the planner page: "
            f"{', '.join(CHINCHILLA_LAWS)} or a fitted Chinchilla law (`scalinglab fit --out`). Got {point.name!r}, "
            f"a {point.family} law.")
    return fitted


def _coefficients(law: Chinchilla) -> list[float]:
    p = law.params
    return [p.E, p.A, p.B, p.alpha, p.beta]


def _fit_block(fitted: FittedLaw) -> dict[str, Any]:
    refits = fitted.variants(MAX_INTERVAL_REFITS)
    scatter = fitted.scatter
    prov = fitted.provenance or {}
    data = prov.get("data") or {}
    return {
        "level": fitted.level,
        "samples": [_coefficients(s) for s in refits],  # type: ignore[arg-type]
        "n_samples": len(fitted.samples),  # what the prediction band's n_samples counts (all refits)
        "n_carried": len(refits),
        "scatter": None if scatter is None else {
            "sigma": scatter.sigma, "df": scatter.df, "kappa": scatter.kappa,
            "flops_max": scatter.flops_max if scatter.flops_max != float("inf") else None,
            "n_folds": scatter.n_folds, "note": plain_text(scatter.note)},
        "noise": None if scatter is None else [float(x) for x in scatter.noise()],
        "identification": {**fitted.identification.as_dict(),
                           "reasons": [plain_text(r) for r in fitted.identification.reasons],
                           "fix": plain_text(fitted.identification.fix),
                           "meaning": STATUSES.get(fitted.identification.status, "")},
        "n_runs": (fitted.summary or {}).get("n_runs"),
        # the largest training compute fitted: the page opens at ten times it where that is below 1e22
        "flops_max": ((prov.get("ranges") or {}).get("flops") or [None, None])[1],
        "dataset": plain_text(data.get("dataset") or data.get("path") or ""),
        "data_citation": plain_text(data.get("citation") or ""),
    }


def _hp_block(rule: HyperparamRule) -> dict[str, Any]:
    def power(r: Any) -> dict[str, Any]:
        return {"log_coef": r.log_coef, "exponents": [[v, e] for v, e in r.exponents]}

    return {
        "name": rule.name, "citation": str(rule.citation), "lr": power(rule.lr), "batch": power(rule.batch),
        "variables": list(rule.variables), "n_params_count": rule.n_params_count,
        "flops_convention": rule.flops_convention, "context": rule.context,
        "samples": None if rule.samples is None else rule.samples.tolist(),
        "cov": None if rule.cov is None else rule.cov.tolist(),
        # the normal quantile of the covariance band at the level with_hyperparams uses
        "z": float(stats.norm.ppf(0.5 + DEFAULT_LEVEL / 2)), "level": DEFAULT_LEVEL,
        "band_source": rule.band_source or "none", "domain": {k: list(v) for k, v in rule.domain.items()},
    }


def page_data(law: LawSpec, *, hp_rule: str | None = "step-law") -> dict[str, Any]:
    """The planner page's blob for ``law`` (a catalog name, a saved-law path, a Law or a FittedLaw).

    ``hp_rule`` names the learning-rate and batch-size rule, a catalog name or a rule file (``None``: no
    hyperparameters, as ``plan --hp-rule none``).
    """
    fitted = _fitted(law)
    point: Chinchilla = fitted.law  # type: ignore[assignment]
    smol = get_model(EXAMPLE_MODEL)
    return {
        "format_version": PAGE_FORMAT_VERSION,
        "law": {"name": point.name, "family": point.family, "formula": point.formula,
                "coefficients": _coefficients(point), "citation": plain_text(point.citation),
                "notes": plain_text(point.notes)},
        "fit": _fit_block(fitted),
        "constants": {
            "max_interval_refits": MAX_INTERVAL_REFITS, "allocation_decades": LIMITS["allocation_decades"],
            "rd_star": RD_STAR, "rn_star": RN_STAR, "bands": dict(BANDS), "default_mfu": DEFAULT_MFU,
            "default_gpu": DEFAULT_GPU, "max_gpus": MAX_GPUS, "max_gpus_searched": MAX_GPUS_SEARCHED,
            "sweep_tokens": [float(t) for t in SWEEP_TOKENS],
        },
        "gpus": [{"name": g.name, "label": g.label, "peak_flops": g.peak_flops, "memory_gb": g.memory_gb,
                  "power_w": g.power_w, "usd_per_hour": g.usd_per_hour, "price_estimated": g.price_estimated}
                 for g in list_gpus()],
        "hp_rule": None if hp_rule is None else _hp_block(resolve_hp_rule(hp_rule)),
        "example": {"model": smol.name, "n_params": smol.n_params, "n_tokens": smol.n_tokens},
        "models": [{"name": m.name, "organization": m.organization, "year": m.year, "n_params": m.n_params,
                    "n_tokens": m.n_tokens, "flops": m.flops_6nd} for m in list_models()],
    }
