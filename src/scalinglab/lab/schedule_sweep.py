"""Schedule sweeps: one model shape trained under several learning-rate schedules, the data of the training-
curve laws (:mod:`scalinglab.laws.curves`, docs/curves.md).

Luo et al. (2025) fit the multi-power law on a few curves of one model size (cosine, constant, a step decay)
and predict the others (WSD variants, other step decays, runs three times longer). A schedule sweep makes
such a set in the lab: each schedule at the same token budget, plus chosen schedules at a multiple of it.
Which curves to fit and which to predict is the analysis's choice (bench/bench_lab_schedules.py), not the
sweep's: every run has role "train".

Schedules are written ``KIND`` or ``KIND:DECAY_FRAC`` (``wsd:0.1``: a linear cooldown over the last 10% of
the steps); the kinds and their shapes are :data:`~scalinglab.store.records.LR_SCHEDULES`
(docs/lab.md, "Learning-rate schedules").
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from ..errors import ConfigError
from .config import ModelShape, TrainConfig
from .sweep import PlannedRun, Sweep

__all__ = ["SCHEDULE_PRESETS", "parse_run_schedule", "schedule_preset", "schedule_sweep"]


def parse_run_schedule(text: str) -> dict[str, Any]:
    """``KIND`` or ``KIND:DECAY_FRAC`` → the :class:`TrainConfig` fields ``schedule`` (and ``decay_frac``)."""
    kind, colon, frac = str(text).strip().partition(":")
    if not colon:
        return {"schedule": kind}
    try:
        return {"schedule": kind, "decay_frac": float(frac)}
    except ValueError:
        raise ConfigError(f"Each schedule of a schedule sweep must be KIND or KIND:DECAY_FRAC (wsd:0.1). Got "
                          f"{text!r}.") from None


def schedule_sweep(shape: ModelShape, n_tokens: int, schedules: tuple[str, ...] | list[str], *,
                   long: tuple[str, ...] | list[str] = (), long_factor: int = 3, batch_size: int = 16,
                   tag: str = "", **train_kwargs: Any) -> tuple[PlannedRun, ...]:
    """One model, each of ``schedules`` for ``n_tokens`` tokens, and each of ``long`` for ``long_factor`` times as
    many (the warmup and decay fractions are the same, so a long run's warmup and decay are longer too).

    Every config is checked (:class:`TrainConfig`) before anything runs; two equal entries are refused.
    """
    if not schedules:
        raise ConfigError("The 'schedules' parameter of a schedule sweep must name at least one schedule. Got none.")
    if isinstance(long_factor, bool) or not isinstance(long_factor, int) or long_factor < 2:
        raise ConfigError(f"The 'long_factor' parameter must be a whole number >= 2. Got {long_factor!r}.")
    runs: list[PlannedRun] = []
    seen: dict[str, str] = {}
    for factor, group in ((1, schedules), (long_factor, long)):
        for text in group:
            try:
                cfg = TrainConfig(shape=shape, n_tokens=int(n_tokens) * factor, batch_size=batch_size, tag=tag,
                                  **parse_run_schedule(text), **train_kwargs)
            except TypeError as exc:
                raise ConfigError(f"The training options must be TrainConfig fields: {exc}.") from None
            key = cfg.config_hash()
            if key in seen:
                raise ConfigError(f"Each schedule of a schedule sweep must differ from the others. Got {text!r} "
                                  f"twice (as {seen[key]!r}).")
            seen[key] = text
            runs.append(PlannedRun(cfg))
    return tuple(runs)


@dataclass(frozen=True)
class _SchedulePreset:
    shape: ModelShape
    n_tokens: int
    schedules: tuple[str, ...]
    long: tuple[str, ...]
    long_factor: int = 3
    batch_size: int = 16
    eval_tokens: int = 8192
    eval_every_frac: float = 0.1
    purpose: str = ""


SCHEDULE_PRESETS: dict[str, _SchedulePreset] = {
    # ~4 CPU-minutes (one worker, 2026-12): a 68 K-parameter model, 2,400 steps of 1,024 tokens per schedule,
    # the cosine also at 7,200 steps; docs/curves.md has the fits.
    "schedules": _SchedulePreset(
        shape=ModelShape(n_layers=2, d_model=48, n_heads=4, context=64), n_tokens=2400 * 16 * 64,
        schedules=("cosine", "constant", "wsd:0.2", "wsd:0.1", "step:0.3"), long=("cosine",),
        purpose="The schedules preset trains one 68 K-parameter model under five learning-rate schedules and one "
                "3x longer cosine, for the training-curve laws (docs/curves.md: fit some curves, predict the "
                "others). It says how well the laws transfer across schedules for this tiny model on this corpus, "
                "not for real runs."),
}


def schedule_preset(preset: str, *, name: str | None = None) -> Sweep:
    """The sweep of a named schedule preset (see :data:`SCHEDULE_PRESETS`)."""
    if preset not in SCHEDULE_PRESETS:
        raise ConfigError(f"The 'preset' parameter must be one of {sorted(SCHEDULE_PRESETS)}. Got {preset!r}.")
    p = SCHEDULE_PRESETS[preset]
    name = name or preset
    runs = schedule_sweep(p.shape, p.n_tokens, p.schedules, long=p.long, long_factor=p.long_factor,
                          batch_size=p.batch_size, tag=name, eval_tokens=p.eval_tokens,
                          eval_every_frac=p.eval_every_frac)
    spec = {"kind": "schedules", "preset": preset, "shape": asdict(p.shape), "n_tokens": p.n_tokens,
            "schedules": list(p.schedules), "long": list(p.long), "long_factor": p.long_factor}
    return Sweep(name, runs, spec)
