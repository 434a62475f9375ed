"""The learning rate of a lab run: its peak (:func:`default_lr`, a width rule) and its schedule
(:func:`run_schedule`), built by :mod:`scalinglab.laws.schedules` so that the trainer and the curve laws read
the same numbers from the one formula there. Pure Python: importable without torch.

Peak learning rate (:func:`default_lr`): ``lr = LR_BASE · (LR_REF_WIDTH / d_model) ** 0.5``, capped at
``LR_MAX``. The rule was fitted on the development machine (docs/lab.md has the sweep): the best learning rate
fell from ~4e-3 at d_model 32 to ~1.9e-3 at 64 and ~1.65e-3 at 128, as d_model^-0.5 rather than μP's 1/width
(Yang et al. 2021), which holds for hidden matrices in the wide limit while in these tiny models embeddings
and norms are a large share of the parameters. Extrapolated it gives 6.9e-4 at d_model 768, close to GPT-3
125M's 6e-4 (Brown et al. 2020, Table 2.1). One rule across a sweep keeps loss differences due to the shape,
not tuning.

Schedules (``TrainConfig.schedule``), all after a linear warmup over ``round(warmup_frac · steps)`` steps, in
the lab's convention (the warmup's first step is ``lr/warmup``, not 0; a decay reaches its floor
``lr · min_lr_ratio`` at the last step): ``cosine`` (Loshchilov & Hutter 2017; Hoffmann et al. 2022 §3 decay
10×), ``wsd`` (warmup-stable-decay, Hägele et al. 2024: a linear cooldown over the last ``decay_frac`` of the
steps), ``step`` (a drop to the floor for the last ``decay_frac``) and ``constant``.
"""

from __future__ import annotations

from ..laws.schedules import Schedule
from .config import ModelShape, TrainConfig

__all__ = ["default_lr", "peak_lr", "run_schedule", "LR_BASE", "LR_REF_WIDTH", "LR_EXPONENT", "LR_MAX"]

LR_BASE = 1.7e-3  # best learning rate at d_model = LR_REF_WIDTH in the sweep of docs/lab.md
LR_REF_WIDTH = 128
LR_EXPONENT = 0.5  # lr ∝ d_model^-0.5, fitted over d_model 32-128
LR_MAX = 1e-2  # a guard for very narrow models (d_model < 4)


def default_lr(shape: ModelShape) -> float:
    """Peak learning rate when ``TrainConfig.lr`` is None: ``min(LR_MAX, LR_BASE·(128/d_model)^0.5)``."""
    return min(LR_MAX, LR_BASE * (LR_REF_WIDTH / shape.d_model) ** LR_EXPONENT)


def peak_lr(cfg: TrainConfig) -> float:
    """The run's peak learning rate: ``cfg.lr``, or :func:`default_lr` of its shape."""
    return cfg.lr if cfg.lr is not None else default_lr(cfg.shape)


def run_schedule(cfg: TrainConfig) -> Schedule:
    """The schedule a run follows, one learning rate per optimizer step (``.lrs()``, ``cfg.steps`` long).

    A wsd or step decay starts after the warmup, at step ``steps − round(decay_frac · steps)``; one too short
    to hold a single step leaves the run at its peak (a constant schedule).
    """
    total, peak = cfg.steps, peak_lr(cfg)
    warmup, final = round(cfg.warmup_frac * total), peak * cfg.min_lr_ratio
    if cfg.schedule == "cosine":
        return Schedule("cosine", total, peak, warmup, final, convention="lab")
    start = max(warmup, total - round(cfg.decay_frac * total))
    if cfg.schedule == "constant" or start >= total:
        return Schedule("constant", total, peak, warmup, convention="lab")
    return Schedule(cfg.schedule, total, peak, warmup, final, start, decay="linear", convention="lab")
