"""The planner: from a budget, a model size, a target loss, an inference demand or a data limit to
a training recipe (:class:`Plan`)."""

from ._types import Interval, Plan
from .data import plan_unique_tokens
from .downstream import plan_scores
from .hyperparams import with_hyperparams
from .inference import implied_inference_tokens, inference_sweep, plan_inference, tokens_for_loss
from .optimal import optimal_split, plan_compute, plan_params, plan_target_loss

__all__ = [
    "Plan", "Interval", "plan_compute", "plan_params", "plan_target_loss", "plan_inference",
    "inference_sweep", "implied_inference_tokens", "plan_unique_tokens", "optimal_split",
    "tokens_for_loss", "with_hardware", "plan_scores", "with_hyperparams",
]


def __getattr__(name: str):
    # hardware support is imported lazily so the core planner loads fast
    if name == "with_hardware":
        from .resources import with_hardware

        return with_hardware
    raise AttributeError(name)
