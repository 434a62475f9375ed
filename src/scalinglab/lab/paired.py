"""Paired sweeps: two variants of a method trained on the same IsoFLOP budgets, to be compared by their scaling
curves (``scalinglab compare``, docs/compare.md) rather than at one size.

A variant is a few overrides of the preset's runs, written ``KEY=VALUE[,KEY=VALUE...]``:

- ``lr=3e-3``: one peak learning rate for every size; ``lr_scale=3``: the lab's width rule
  (:func:`~scalinglab.lab.schedule.default_lr`) times 3, so each size keeps its own rate;
- ``hp_rule=step-law`` (or ``deepseek-llm``, or a rule file from ``scalinglab fit-hparams``): each run's peak
  learning rate and batch size from the rule at its N and D (:func:`rule_settings`), instead of the lab's width
  rule and the preset's batch;
- ``aspect_ratio=64``: the shapes (``d_model ≈ aspect_ratio · n_layers``): wide and shallow against narrow and deep;
- ``schedule=wsd``, ``decay_frac``, ``warmup_frac``, ``min_lr_ratio``, ``weight_decay``, ``grad_clip``,
  ``batch_size``: any other training option of :class:`~scalinglab.lab.config.TrainConfig`;
- ``mix=comedies:3+tragedies:1``: a data mix of the corpus's parts (:mod:`scalinglab.lab.mix`), validated on
  the same text whatever the mix, so the two sweeps' losses compare;
- ``corpus=...`` / ``tokenizer=...``: other text. Losses are then measured on different validation text, which
  a comparison of losses does not correct for; :func:`paired_sweeps` says so in the sweeps' notes.

Both sweeps use the preset's budgets, sizes and token counts (the shapes differ only under ``aspect_ratio``), so
the one difference between them is the variant. Each is an ordinary sweep in the store (``NAME-a``, ``NAME-b``)
whose spec records its variant: it resumes, shows in ``lab status`` and fits like any other.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from ..errors import ConfigError
from ..flops import flops_per_token
from ..laws import HyperparamRule, resolve_hp_rule
from .config import TrainConfig
from .mix import check_mix
from .schedule import default_lr
from .sweep import PRESETS, PlannedRun, Sweep, preset_sweep

__all__ = ["VARIANT_KEYS", "parse_variant", "paired_sweeps", "variant_label", "rule_settings"]

#: what a variant may change, and the kind of its value
VARIANT_KEYS: dict[str, type] = {
    "lr": float, "lr_scale": float, "aspect_ratio": float, "schedule": str, "decay_frac": float,
    "warmup_frac": float, "min_lr_ratio": float, "weight_decay": float, "grad_clip": float, "batch_size": int,
    "corpus": str, "tokenizer": str, "mix": str, "hp_rule": str,
}
_TEXT_KEYS = ("corpus", "tokenizer")


def parse_variant(text: str, side: str = "a") -> dict[str, Any]:
    """``KEY=VALUE[,KEY=VALUE...]`` → overrides; one :class:`ConfigError` naming the side, key and value."""
    out: dict[str, Any] = {}
    if str(text).strip() == "default":  # the preset as it is
        return out
    for item in (p.strip() for p in str(text).split(",")):
        if not item:
            continue
        key, eq, value = (s.strip() for s in item.partition("="))
        if not eq or not value:
            raise ConfigError(f"Each setting of variant {side!r} must be KEY=VALUE. Got {item!r}.")
        if key not in VARIANT_KEYS:
            raise ConfigError(f"The key of a variant setting must be one of {', '.join(VARIANT_KEYS)}. Got {key!r} "
                              f"in variant {side!r}.")
        if key in out:
            raise ConfigError(f"Variant {side!r} must set {key!r} once. Got it twice.")
        kind = VARIANT_KEYS[key]
        try:
            parsed: Any = kind(value) if kind is not int else int(float(value))
        except ValueError:
            raise ConfigError(f"The {key!r} setting of variant {side!r} must be a number. Got {value!r}.") from None
        if kind is float and not (math.isfinite(parsed) and parsed > 0 or key in ("weight_decay", "grad_clip",
                                                                              "min_lr_ratio") and parsed == 0):
            raise ConfigError(f"The {key!r} setting of variant {side!r} must be a finite number > 0. Got {value!r}.")
        out[key] = parsed
    if "hp_rule" in out and {"lr", "lr_scale", "batch_size"} & set(out):
        raise ConfigError(f"Variant {side!r} must set 'hp_rule' alone among lr, lr_scale and batch_size: the rule "
                          f"sets the learning rate and the batch.")
    if "lr" in out and "lr_scale" in out:
        raise ConfigError(f"Variant {side!r} must set 'lr' or 'lr_scale', not both: 'lr' fixes one rate for every "
                          f"size, 'lr_scale' scales each size's width-rule rate.")
    return out


def variant_label(overrides: dict[str, Any]) -> str:
    """``lr_scale=3, aspect_ratio=64``, or ``the preset's defaults`` for no overrides."""
    return ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in overrides.items()) or \
        "the preset's defaults"


def rule_settings(cfg: TrainConfig, rule: HyperparamRule) -> tuple[float, int, tuple[str, ...]]:
    """The peak learning rate and batch (sequences of the run's context) ``rule`` gives the run, and what lies
    outside the rule's data.

    The rule reads N as it counts it (non-embedding parameters: the lab's N less its output projection; else the
    lab's N) and C in its convention (``flops_per_token`` of the shape × D); the batch in tokens is rounded to
    whole sequences, at least one.
    """
    shape, d = cfg.shape, float(cfg.n_tokens)
    counts = shape.param_counts()
    inputs: dict[str, float] = {}
    if "n_params" in rule.variables:
        inputs["n_params"] = float(counts["non_embedding"] if rule.n_params_count == "non_embedding"
                                   else counts["scaling"])
    if "n_tokens" in rule.variables:
        inputs["n_tokens"] = d
    if "flops" in rule.variables:
        inputs["flops"] = float(flops_per_token(shape.architecture, convention=rule.flops_convention)) * d
    p = rule.predict(**inputs)
    return p.lr, max(1, round(p.batch_tokens / shape.context)), p.outside


def _apply(run: PlannedRun, overrides: dict[str, Any], rule: HyperparamRule | None) -> PlannedRun:
    cfg = run.config
    if rule is not None:
        lr, batch, _ = rule_settings(cfg, rule)
        step = batch * cfg.shape.context
        cfg = replace(cfg, lr=lr, batch_size=batch, n_tokens=max(1, round(cfg.n_tokens / step)) * step)
    if "lr_scale" in overrides:
        cfg = replace(cfg, lr=overrides["lr_scale"] * default_lr(cfg.shape))
    train = {k: v for k, v in overrides.items() if k not in ("lr_scale", "aspect_ratio", "batch_size", "hp_rule")}
    if train:
        try:
            cfg = TrainConfig.from_dict({**cfg.as_dict(), **train})
            if cfg.mix:
                check_mix(cfg.corpus, cfg.mix)
        except ConfigError as exc:
            raise ConfigError(f"A variant setting cannot apply: {exc}") from None
    return replace(run, config=cfg)


def _variant_sweep(preset: str, overrides: dict[str, Any], name: str, budgets: Any, side: str
                   ) -> tuple[Sweep, str | None]:
    """The variant's sweep, and the note that its hyperparameter rule is applied outside its data (or None)."""
    base = preset_sweep(preset, budgets=budgets, name=name, aspect_ratio=overrides.get("aspect_ratio"),
                        batch_size=overrides.get("batch_size"))
    rule = resolve_hp_rule(overrides["hp_rule"]) if "hp_rule" in overrides else None  # a rule file is read once
    runs = tuple(_apply(r, overrides, rule) for r in base.runs)
    note = None
    if rule is not None:
        outside = sorted({line for r in runs for line in rule_settings(r.config, rule)[2]})
        if outside:
            note = (f"Variant {side}'s rule {rule.name!r} is applied outside its data: {'; '.join(outside[:2])}"
                    f"{' ...' if len(outside) > 2 else ''}.")
    return Sweep(name, runs, {**base.spec, "variant": dict(overrides)}), note


def paired_sweeps(preset: str, a: dict[str, Any], b: dict[str, Any], *, name: str | None = None,
                  budgets: Any = None) -> tuple[Sweep, Sweep, tuple[str, ...]]:
    """The two sweeps ``NAME-a`` and ``NAME-b`` of a paired study on an IsoFLOP preset, and notes to say.

    Both have the preset's budgets and token counts; ``a`` and ``b`` are overrides (:func:`parse_variant`) and
    must differ. Every config is checked before anything runs.
    """
    if preset not in PRESETS:
        raise ConfigError(f"The 'preset' of a paired sweep must be one of the IsoFLOP presets "
                          f"{', '.join(sorted(PRESETS))}. Got {preset!r}.")
    if a == b:
        raise ConfigError(f"The two variants of a paired sweep must differ. Got {variant_label(a)!r} twice.")
    name = name or f"{preset}-pair"
    (sweep_a, note_a), (sweep_b, note_b) = (_variant_sweep(preset, over, f"{name}-{side}", budgets, side)
                                            for side, over in (("a", a), ("b", b)))
    notes = [n for n in (note_a, note_b) if n]
    text = sorted({k for k in (*a, *b) if k in _TEXT_KEYS and a.get(k) != b.get(k)})
    if text:
        notes.append(f"The variants differ in {' and '.join(text)}: each sweep's loss is measured on its own "
                     "validation text, so a loss gap mixes the method's effect with how hard that text is.")
    return sweep_a, sweep_b, tuple(notes)
