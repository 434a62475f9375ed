"""A fitted law and everything needed to say how far to trust it: :class:`FittedLaw`.

One object carries, for every family and every approach that yields a joint or one-variable law,

- the point estimate (a :class:`~scalinglab.laws.base.Law`) and the bootstrap refits (``samples``), which
  give the **mean band**: where the law's mean curve lies (parameter uncertainty);
- the scatter of single runs about the law (:class:`RunScatter`), which together with the refits gives the
  **prediction band**: where the loss of *a new run* lies;
- the verdict on whether the data identify the law (:class:`Identification`), which the planner enforces;
- the provenance of the fit and, when run, its extrapolation audit.

Plans, the report and the CLI only render what this object computes (see docs/uncertainty.md).

Prediction band (log loss)::

    log L_new(x) = log L̂_s(x) + ε,   ε = scale(C)·t_df,   scale(C) = σ + κ·max(0, log10(C / C_max))

with ``L̂_s`` a bootstrap refit (the point estimate when none were drawn), ``σ`` the df-corrected RMS
residual of the fit in log loss, ``t_df`` Student's t with ``df = runs − parameters`` (wider tails when few
runs fix many parameters), ``C_max`` the largest training compute fitted, and ``κ`` the growth of the
error per decade of extrapolation, calibrated by forward-chaining refits: the law refitted on the
smallest 50/60/70/80% of runs by compute predicts every larger run. A linear growth in decades is what a
mis-estimated exponent gives (an exponent error δ moves log L by δ·ln10 per decade).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats

from .._intervals import DEFAULT_LEVEL, band_label, central_interval, check_level
from ..errors import PlanError
from ..flops import training_flops
from .base import JointLaw, Law
from .powerlaw import PowerLaw

__all__ = ["FittedLaw", "RunScatter", "Identification", "LIMITS", "law_loss", "STATUSES", "MAX_INTERVAL_REFITS",
           "evenly_spaced"]

#: documented limits past which a fit is *not identified* (docs/uncertainty.md)
LIMITS = {
    # share of bootstrap refits that failed or ended on a bound of the search box
    "degenerate_share": 0.10,
    # width of an exponent's interval (at the law's level) relative to its value
    "exponent_relative_width": 1.0,
    # spread of the compute-optimal N*(C) at the planned budget, in decades (high/low <= 10)
    "allocation_decades": 1.0,
}

#: what a status means
STATUSES = {
    "identified": "the data identify the law (no bound hit; bootstrap within the documented limits)",
    "not identified": "the data cannot identify the law; it must not be used to plan",
    "unchecked": "no bootstrap was run, so identifiability was checked only against the search box",
    "published": "published coefficients (not fitted here)",
}

#: points of the noise quantile grid (deterministic draws of t_df)
_NOISE_POINTS = 64


def law_loss(law: Law, n_params: Any, n_tokens: Any) -> np.ndarray:
    """Loss of any law at ``(N, D)``: one-variable laws read N, D or ``C = 6·N·D``."""
    n, d = np.asarray(n_params, dtype=float), np.asarray(n_tokens, dtype=float)
    if isinstance(law, PowerLaw):
        x = {"n_params": n, "n_tokens": d, "flops": training_flops(n, d)}[law.variable]
        return np.asarray(law.loss(x), dtype=float)
    if isinstance(law, JointLaw):
        return np.asarray(law.loss(n, d), dtype=float)
    raise TypeError(f"law_loss needs a JointLaw or a PowerLaw. Got {type(law).__name__}.")



#: planned intervals use at most this many refits, evenly spaced through a law's samples: the Monte Carlo error
#: of a 90% interval's ends from 2,000 draws is about 1% of the band's width, and a plan's time then stays the
#: same for a law carrying 10^6 samples
MAX_INTERVAL_REFITS = 2000


def evenly_spaced(items: list[Any], limit: int | None) -> list[Any]:
    """``items``, or ``limit`` of them evenly spaced (first and last kept) when there are more."""
    if limit is None or len(items) <= limit:
        return items
    idx = np.unique(np.linspace(0, len(items) - 1, limit).round().astype(int))
    return [items[i] for i in idx]

@dataclass(frozen=True)
class RunScatter:
    """Scatter of single runs about the law, in log loss: ``scale(C) = σ + κ·max(0, log10(C/C_max))``."""

    sigma: float
    df: int
    kappa: float = 0.0
    flops_max: float = float("inf")
    n_folds: int = 0
    note: str = ""

    def scale(self, flops: Any) -> np.ndarray:
        with np.errstate(divide="ignore"):  # flops_max = inf (unknown): log10(0) = -inf, i.e. never beyond
            beyond = np.maximum(0.0, np.log10(np.asarray(flops, dtype=float) / self.flops_max))
        return self.sigma + self.kappa * beyond

    def noise(self) -> np.ndarray:
        """Deterministic quantiles of ``t_df`` (midpoints of ``_NOISE_POINTS`` equal-probability bins)."""
        p = (np.arange(_NOISE_POINTS) + 0.5) / _NOISE_POINTS
        return stats.t.ppf(p, max(int(self.df), 1))

    def as_dict(self) -> dict[str, Any]:
        return {"sigma": self.sigma, "df": self.df, "kappa": self.kappa, "flops_max": self.flops_max,
                "n_folds": self.n_folds, "note": self.note}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RunScatter:
        return cls(float(d["sigma"]), int(d["df"]), float(d.get("kappa", 0.0)),
                   float(d.get("flops_max", float("inf"))), int(d.get("n_folds", 0)), str(d.get("note", "")))


@dataclass(frozen=True)
class Identification:
    """Whether the data identify the law, why not, and what data would fix it.

    ``n_refits`` bootstrap refits were drawn; ``n_degenerate`` of them failed or ended on a bound of the
    search box (they are counted here and kept out of every interval).
    """

    status: str
    reasons: tuple[str, ...] = ()
    fix: str = ""
    n_refits: int = 0
    n_degenerate: int = 0
    at_bound: tuple[str, ...] = ()

    @property
    def identified(self) -> bool:
        return self.status in ("identified", "published")

    def summary(self) -> str:
        """One line: the status, and the reasons when there are any."""
        out = self.status
        if self.n_refits:
            out += f" ({self.n_degenerate} of {self.n_refits} bootstrap refits degenerate)"
        if self.reasons:
            out += ": " + "; ".join(self.reasons)
        return out

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status, "identified": self.identified, "reasons": list(self.reasons),
                "fix": self.fix, "n_refits": self.n_refits, "n_degenerate": self.n_degenerate,
                "at_bound": list(self.at_bound), "limits": dict(LIMITS)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Identification:
        return cls(str(d["status"]), tuple(d.get("reasons", ())), str(d.get("fix", "")),
                   int(d.get("n_refits", 0)), int(d.get("n_degenerate", 0)), tuple(d.get("at_bound", ())))


@dataclass(frozen=True, eq=False)
class FittedLaw:
    """A law with its bootstrap refits, run scatter, identification verdict and provenance.

    ``samples`` are laws of the same family (non-degenerate bootstrap refits). ``level`` is the central
    probability of every band this object reports unless a caller asks for another.
    """

    law: Law
    identification: Identification
    samples: tuple[Law, ...] = field(default=(), repr=False)
    scatter: RunScatter | None = None
    level: float = DEFAULT_LEVEL
    provenance: dict[str, Any] = field(default_factory=dict, repr=False)
    summary: dict[str, Any] = field(default_factory=dict, repr=False)
    audit: dict[str, Any] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        check_level(self.level)

    @classmethod
    def of(cls, law: Law | FittedLaw) -> FittedLaw:
        """Any law as a FittedLaw: catalog laws are ``published``; a Chinchilla law built with bootstrap
        ``samples`` (the version-1 way) keeps them as refits, ``unchecked``."""
        if isinstance(law, FittedLaw):
            return law
        from .chinchilla import Chinchilla

        if isinstance(law, Chinchilla) and law.samples:
            refits = tuple(Chinchilla(f"{law.name}[{i}]", p, law.citation) for i, p in enumerate(law.samples))
            bare = Chinchilla(law.name, law.params, law.citation, law.notes)
            return cls(bare, Identification("unchecked", ("built with bootstrap samples but no identification "
                                                          "verdict",)), refits)
        return cls(law, Identification("published"))

    @property
    def name(self) -> str:
        return self.law.name

    @property
    def family(self) -> str:
        return self.law.family

    @property
    def is_joint(self) -> bool:
        return isinstance(self.law, JointLaw)

    def variants(self, limit: int | None = None) -> list[Law]:
        """The bootstrap refits, as laws (empty without a bootstrap); with ``limit``, at most that many, evenly
        spaced through the samples (see :data:`MAX_INTERVAL_REFITS`)."""
        return evenly_spaced(list(self.samples), limit)

    def predict(self, n_params: Any, n_tokens: Any) -> np.ndarray:
        """The point estimate's loss at ``(N, D)``."""
        return law_loss(self.law, n_params, n_tokens)

    def _log_draws(self, n_params: Any, n_tokens: Any) -> np.ndarray:
        """``(S, …)`` log-loss of each refit (the point estimate alone when there are none)."""
        laws = self.samples or (self.law,)
        with np.errstate(all="ignore"):
            return np.log(np.stack([law_loss(lw, n_params, n_tokens) for lw in laws]))

    def mean_band(self, n_params: Any, n_tokens: Any, level: float | None = None) -> tuple[Any, Any] | None:
        """Central interval of the mean curve at ``(N, D)`` across the refits; None without refits."""
        if len(self.samples) < 2:
            return None
        lo, hi = central_interval(self._log_draws(n_params, n_tokens), self.level if level is None else level)
        return np.exp(lo), np.exp(hi)

    def prediction_band(self, n_params: Any, n_tokens: Any, level: float | None = None) -> tuple[Any, Any] | None:
        """Central interval of the loss of a new run at ``(N, D)``; None when the scatter is unknown."""
        n, d = np.broadcast_arrays(np.asarray(n_params, dtype=float), np.asarray(n_tokens, dtype=float))
        return self.predictive_interval(self._log_draws(n, d), training_flops(n, d), level)

    def predictive_interval(self, log_draws: Any, flops: Any, level: float | None = None) -> tuple[Any, Any] | None:
        """Add the run scatter at compute ``flops`` to ``(S, …)`` log-loss draws of the mean (one per refit)
        and return the central interval of the loss; None when the scatter is unknown."""
        if self.scatter is None:
            return None
        draws = np.asarray(log_draws, dtype=float)
        scale = self.scatter.scale(np.broadcast_to(np.asarray(flops, dtype=float), draws.shape[1:]))
        eps = self.scatter.noise().reshape((-1,) + (1,) * scale.ndim) * scale
        total = (draws[:, None, ...] + eps[None, ...]).reshape((-1,) + scale.shape)
        lo, hi = central_interval(total, self.level if level is None else level)
        return np.exp(lo), np.exp(hi)

    def band(self, kind: str, n_params: Any, n_tokens: Any, level: float | None = None) -> tuple[Any, Any] | None:
        """``kind="mean"`` or ``"prediction"`` (see the module docstring)."""
        band_label(kind, self.level)  # validates kind
        return (self.mean_band if kind == "mean" else self.prediction_band)(n_params, n_tokens, level)

    def band_label(self, kind: str, level: float | None = None) -> str:
        return band_label(kind, self.level if level is None else level)

    def require_identified(self, what: str, *, allow: bool = False) -> str | None:
        """Stop with one line when the law is not identified; with ``allow`` return the stamp to print."""
        if self.identification.identified or self.identification.status == "unchecked":
            return None
        ident = self.identification
        msg = (f"The law {self.name!r} is not identified by its runs ({'; '.join(ident.reasons)}), so it "
               f"cannot {what}. {ident.fix}")
        if not allow:
            raise PlanError(msg + " (Override at your own risk: allow_unidentified=True / "
                                  "--allow-unidentified.)")
        return (f"NOT IDENTIFIED — planned anyway on request: law {self.name!r} ({'; '.join(ident.reasons)}). "
                "Do not rely on these numbers.")

    def draws(self, flops: float | None = None) -> dict[str, np.ndarray]:
        """Per-refit values (empty without refits): each published coefficient, the allocation exponent ``a``
        (N* ∝ C^a) where the law has one, and at ``flops`` the compute-optimal ``n_opt`` and tokens/param."""
        if not self.samples:
            return {}
        rows = self._coefficient_draws()
        if flops is not None and self.is_joint:
            opt = [s.compute_optimal(flops) for s in self.samples]  # type: ignore[union-attr]
            if all(o is not None for o in opt):
                n_opt = np.array([o[0] for o in opt], dtype=float)
                rows[f"n_opt@{flops:.3g}"] = n_opt
                rows[f"tokens_per_param@{flops:.3g}"] = np.array([o[1] for o in opt], dtype=float) / n_opt
        if hasattr(self.law, "exponents"):
            rows["a"] = np.array([s.exponents()[0] for s in self.samples])  # type: ignore[attr-defined]
        return rows

    def allocation_exponents(self) -> tuple[float, float, tuple[float, float] | None] | None:
        """``(a, b, interval of a)`` of ``N* ∝ C^a``, ``D* ∝ C^b`` at the law's level (interval ``None`` with
        fewer than 2 refits); ``None`` for a law without closed-form exponents."""
        if not hasattr(self.law, "exponents"):
            return None
        a, b = self.law.exponents()  # type: ignore[attr-defined]
        if len(self.samples) < 2:
            return float(a), float(b), None
        lo, hi = central_interval(self.draws()["a"], self.level)
        return float(a), float(b), (float(lo), float(hi))

    def joint_law(self) -> JointLaw:
        """The point law as a :class:`JointLaw` whose ``variants()`` are the refits, for code that draws or
        plans from a law and its variants (every family; not only Chinchilla's ``samples``)."""
        if not self.is_joint:
            raise TypeError(f"joint_law needs a law of N and D. Got the one-variable law {self.name!r}.")
        return _WithRefits(self.law, tuple(self.samples))  # type: ignore[arg-type]

    def coefficient_intervals(self, level: float | None = None) -> dict[str, tuple[float, float]]:
        """Central intervals of each published coefficient across the refits (empty without refits)."""
        if len(self.samples) < 2:
            return {}
        level = self.level if level is None else level
        return {k: tuple(map(float, central_interval(v, level))) for k, v in self._coefficient_draws().items()}

    def _coefficient_draws(self) -> dict[str, np.ndarray]:
        """Each published coefficient of the point law across the refits (NaN where a refit lacks it)."""
        return {k: np.array([s.coefficients().get(k, np.nan) for s in self.samples]) for k in self.law.coefficients()}


class _WithRefits(JointLaw):
    """A joint law that answers as ``base`` does, with ``refits`` as its variants."""

    def __init__(self, base: JointLaw, refits: tuple[JointLaw, ...]) -> None:
        self._base, self._refits = base, refits

    def __getattr__(self, name: str) -> Any:  # name, citation, notes, family, exponents, params, ...
        return getattr(self._base, name)

    @property
    def formula(self) -> str:
        return self._base.formula

    def coefficients(self) -> dict[str, float]:
        return self._base.coefficients()

    @property
    def irreducible_loss(self) -> float:
        return self._base.irreducible_loss

    def loss(self, *args: Any, **kwargs: Any) -> Any:
        return self._base.loss(*args, **kwargs)

    def compute_optimal(self, flops: Any) -> tuple[Any, Any] | None:
        return self._base.compute_optimal(flops)

    def variants(self) -> list[JointLaw]:
        return list(self._refits)


def allocation_spread_decades(n_low: float, n_high: float) -> float:
    """``log10(high/low)`` of an interval of N*(C)."""
    return float(np.log10(n_high / n_low))


def check_allocation(fitted: FittedLaw, n_low: float, n_high: float, flops: float) -> str | None:
    """The reason the fit does not identify N*(C) at ``flops``, or None when it does (LIMITS)."""
    spread = allocation_spread_decades(n_low, n_high)
    if spread > LIMITS["allocation_decades"]:
        return (f"the {fitted.level:.0%} interval of the compute-optimal N at {flops:.3g} FLOPs spans "
                f"{spread:.1f} decades ({n_low:.3g} to {n_high:.3g}; limit {LIMITS['allocation_decades']:g})")
    return None


def exponent_reasons(names: Sequence[str], point: Sequence[float], lows: Sequence[float],
                     highs: Sequence[float], level: float) -> list[str]:
    """Reasons for exponents whose interval is wider than the documented limit relative to the value."""
    out = []
    for name, v, lo, hi in zip(names, point, lows, highs):
        width = (hi - lo) / max(abs(v), 1e-12)
        if width > LIMITS["exponent_relative_width"]:
            out.append(f"the {level:.0%} interval of {name} is ({lo:.3g}, {hi:.3g}), {width:.1f}× its value "
                       f"{v:.3g} (limit {LIMITS['exponent_relative_width']:g}×)")
    return out
