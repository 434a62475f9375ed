"""The answer of every planner question: a frozen :class:`Plan`."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

from .._intervals import DEFAULT_LEVEL, band_label

__all__ = ["Plan", "Interval"]


@dataclass(frozen=True)
class Interval:
    """A central interval of a planned number.

    ``band="mean"``: across the law's bootstrap refits (where the law's mean puts it); ``"prediction"``:
    where a new run's value falls (refits plus the scatter of runs about the law).
    """

    low: float
    high: float
    level: float = DEFAULT_LEVEL
    n_samples: int = 0
    band: str = "mean"

    @property
    def label(self) -> str:
        return band_label(self.band, self.level)


@dataclass(frozen=True)
class Plan:
    """A training recipe: how big, how long, what loss, at what cost.

    ``flops`` is training compute ``6·N·D``. Optional groups are ``None`` when the question did not
    involve them (e.g. ``inference_tokens`` outside inference-aware plans).
    """

    question: str
    law: str
    n_params: float
    n_tokens: float
    flops: float
    loss: float
    # data-constrained plans
    unique_tokens: float | None = None
    epochs: float | None = None
    effective_tokens: float | None = None
    effective_params: float | None = None
    # inference-aware plans
    inference_tokens: float | None = None
    inference_flops: float | None = None
    total_flops: float | None = None
    hold: str | None = None  # "loss" (Sardana et al.) or "compute" (training + inference at the budget)
    # a plan to compare with (the compute-optimal one at the same loss or budget)
    reference: dict[str, Any] | None = None
    # uncertainty from the law's variants, by field name
    intervals: dict[str, Interval] = field(default_factory=dict)
    # hardware: cost (TrainingCost.as_dict()) and memory (training/inference) on the chosen GPUs
    cost: dict[str, Any] | None = None
    memory: dict[str, Any] | None = None
    # learning rate and batch size from a hyperparameter rule (plan.hyperparams.with_hyperparams)
    hyperparams: dict[str, Any] | None = None
    notes: tuple[str, ...] = ()
    # "NOT IDENTIFIED" when planned from a law its runs do not identify, on explicit request
    stamp: str = ""

    @property
    def tokens_per_param(self) -> float:
        return self.n_tokens / self.n_params

    def _repr_html_(self) -> str:  # Jupyter
        from ._html import plan_html

        return plan_html(self)

    def with_notes(self, *notes: str) -> Plan:
        return replace(self, notes=self.notes + tuple(n for n in notes if n))

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON: every field plus ``tokens_per_param``; ``None`` groups left out."""
        out: dict[str, Any] = {
            "question": self.question,
            "law": self.law,
            "n_params": self.n_params,
            "n_tokens": self.n_tokens,
            "tokens_per_param": self.tokens_per_param,
            "flops": self.flops,
            "loss": self.loss,
        }
        d = asdict(self)
        for key in ("unique_tokens", "epochs", "effective_tokens", "effective_params", "inference_tokens",
                    "inference_flops", "total_flops", "hold", "reference", "cost", "memory", "hyperparams"):
            if d[key] is not None:
                out[key] = d[key]
        out["intervals"] = {k: {**asdict(v), "label": v.label} for k, v in self.intervals.items()}
        out["notes"] = list(self.notes)
        if self.stamp:
            out["stamp"] = self.stamp
        return out
