"""Learning-rate schedules as arrays: the input of the training-curve laws (:mod:`scalinglab.laws.curves`).

A schedule is the learning rate ``η_t`` at every optimizer step ``t = 0 … total_steps − 1``. The curve laws
read only that array, so any schedule a trainer logged works; the named shapes below build the common
ones the way the multi-power-law authors' code builds them (Luo et al. 2025, ``src/lr_schedules.py``): a
linear warmup from 0 to the peak over ``warmup_steps`` (``numpy.linspace(0, peak, warmup)``), then

- ``constant``: the peak to the end;
- ``cosine``: ``final + (peak − final)·(1 + cos(π·(t − warmup)/(total − warmup)))/2``;
- ``wsd``: the peak until ``decay_start``, then a decay to ``final`` at the last step, ``geometric``
  (``peak^((total−t)/(total−start))·final^((t−start)/(total−start))``), ``linear`` or ``cosine``;
- ``step``: the peak until ``decay_start``, then ``final`` to the end (two-stage step decay).

Two conventions place the ramps on the steps (``convention``):

- ``luo2025`` (the default, the authors' code): the warmup starts at 0 and reaches the peak at step
  ``warmup − 1``; a decay that starts at step ``s`` has progress ``u = (t − s)/(total − s)``, so the last step
  stops one step short of ``final``.
- ``lab`` (:mod:`scalinglab.lab`'s trainer): the warmup is ``peak·(t + 1)/warmup``, so no step trains at a
  learning rate of 0, and may last the whole run; a decay has progress ``u = (t − s)/max(1, total − 1 − s)``,
  so the last step is at ``final`` (the cosine of Loshchilov & Hutter 2017 as nanoGPT writes it).

A schedule is written on the command line as ``KIND:key=value,...``, for example
``cosine:total=24000,warmup=2160,peak=3e-4,final=3e-5`` (:func:`parse_schedule`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validate import check_choice
from ..errors import ConfigError

__all__ = ["KINDS", "DECAYS", "CONVENTIONS", "Schedule", "parse_schedule", "check_lrs"]

KINDS = ("constant", "cosine", "wsd", "step")
DECAYS = ("geometric", "linear", "cosine")
CONVENTIONS = ("luo2025", "lab")
#: the longest schedule built or read (steps): 10^8 doubles is 0.8 GB
MAX_STEPS = 100_000_000


@dataclass(frozen=True)
class Schedule:
    """A named learning-rate schedule; :meth:`lrs` gives ``η_t`` for every step."""

    kind: str
    total: int
    peak: float
    warmup: int = 0
    final: float = 0.0
    decay_start: int | None = None  # wsd and step: the step where the decay (or the drop) begins
    decay: str = "geometric"  # wsd only
    convention: str = "luo2025"  # where warmup and decay fall on the steps (module docstring)

    def __post_init__(self) -> None:
        check_choice("kind", self.kind, KINDS)
        check_choice("decay", self.decay, DECAYS)
        check_choice("convention", self.convention, CONVENTIONS)
        if not (isinstance(self.total, (int, np.integer)) and 1 <= self.total <= MAX_STEPS):
            raise ConfigError(f"The schedule's 'total' must be a whole number of steps in [1, {MAX_STEPS:,}]. "
                              f"Got {self.total!r}.")
        longest = self.total if self.convention == "lab" else self.total - 1  # the lab may warm up throughout
        if not (isinstance(self.warmup, (int, np.integer)) and 0 <= self.warmup <= longest):
            interval = "[0, total]" if self.convention == "lab" else "[0, total)"
            raise ConfigError(f"The schedule's 'warmup' must be a whole number of steps in {interval}. Got "
                              f"{self.warmup!r} with total {self.total}.")
        if not (np.isfinite(self.peak) and self.peak > 0):
            raise ConfigError(f"The schedule's 'peak' learning rate must be > 0. Got {self.peak!r}.")
        if not (np.isfinite(self.final) and 0 <= self.final <= self.peak):
            raise ConfigError(f"The schedule's 'final' learning rate must be in [0, peak]. Got {self.final!r} with "
                              f"peak {self.peak:g}.")
        needs_start = self.kind in ("wsd", "step")
        if needs_start != (self.decay_start is not None):
            raise ConfigError(f"The schedule's 'decay_start' applies to wsd and step schedules only, and they need "
                              f"it. Got decay_start={self.decay_start!r} with kind {self.kind!r}.")
        if needs_start and not (isinstance(self.decay_start, (int, np.integer))
                                and self.warmup <= self.decay_start < self.total):
            raise ConfigError(f"The schedule's 'decay_start' must be a step in [warmup, total). Got "
                              f"{self.decay_start!r} with warmup {self.warmup} and total {self.total}.")

    def lrs(self) -> np.ndarray:
        """``η_t`` for ``t = 0 … total − 1``."""
        t = np.arange(self.total, dtype=float)
        out = np.full(self.total, self.peak)
        lab, w = self.convention == "lab", self.warmup
        out[:w] = self.peak * (t[:w] + 1) / w if lab else np.linspace(0.0, self.peak, w)

        def progress(start: int) -> np.ndarray:  # u from 0 at step `start`: to 1 at the last step (lab)
            return (t[start:] - start) / (max(1, self.total - 1 - start) if lab else self.total - start)

        def cosine(u: np.ndarray) -> np.ndarray:  # from the peak at u = 0 to `final` at u = 1
            return self.final + 0.5 * (self.peak - self.final) * (1 + np.cos(np.pi * u))

        if self.kind == "cosine":
            out[w:] = cosine(progress(w))
        elif self.kind == "step":
            out[self.decay_start:] = self.final
        elif self.kind == "wsd":
            start = self.decay_start
            u = progress(start)
            if self.decay == "geometric":
                if self.final <= 0:
                    raise ConfigError("A geometric wsd decay needs a 'final' learning rate > 0. Got 0.")
                out[start:] = self.peak ** (1 - u) * self.final ** u
            elif self.decay == "linear":
                out[start:] = self.peak * (1 - u) + self.final * u
            else:
                out[start:] = cosine(u)
        return out

    def __str__(self) -> str:
        keys = {"total": self.total, "warmup": self.warmup, "peak": self.peak, "final": self.final,
                "start": self.decay_start, "decay": self.decay if self.kind == "wsd" else None,
                "convention": None if self.convention == "luo2025" else self.convention}
        if self.kind == "constant":
            keys["final"] = None
        return f"{self.kind}:" + ",".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                                          for k, v in keys.items() if v is not None)


_KEYS = {"total": "total", "warmup": "warmup", "peak": "peak", "final": "final", "start": "decay_start",
         "decay_start": "decay_start", "decay": "decay", "convention": "convention"}


def parse_schedule(text: str) -> Schedule:
    """``KIND:key=value,...`` → :class:`Schedule`; keys ``total``, ``warmup``, ``peak``, ``final``, ``start``
    (wsd and step), ``decay`` (wsd: geometric, linear or cosine) and ``convention`` (luo2025 or lab)."""
    kind, _, rest = text.strip().partition(":")
    check_choice("schedule kind", kind.strip(), KINDS)
    values: dict[str, object] = {}
    for item in filter(None, (s.strip() for s in rest.split(","))):
        key, eq, value = item.partition("=")
        key = key.strip()
        if not eq or key not in _KEYS:
            raise ConfigError(f"Each schedule setting must be key=value with key one of {', '.join(sorted(set(_KEYS) - {'decay_start'}))}. "
                              f"Got {item!r} in {text!r}.")
        field = _KEYS[key]
        if field in ("decay", "convention"):
            values[field] = value.strip()
            continue
        try:
            number = float(value)
        except ValueError:
            raise ConfigError(f"The schedule's {key!r} must be a number. Got {value.strip()!r} in {text!r}.") from None
        if field in ("total", "warmup", "decay_start"):
            if not number.is_integer():
                raise ConfigError(f"The schedule's {key!r} must be a whole number of steps. Got {value.strip()!r}.")
            number = int(number)
        values[field] = number
    for key in ("total", "peak"):
        if key not in values:
            raise ConfigError(f"A schedule needs '{key}='. Got {text!r}.")
    return Schedule(kind=kind.strip(), **values)  # type: ignore[arg-type]


def check_lrs(lrs: object, what: str = "learning rates") -> np.ndarray:
    """The learning rates as a float array: finite, ≥ 0, at least one > 0 (one ConfigError naming the step)."""
    try:
        arr = np.asarray(lrs, dtype=float)
    except (TypeError, ValueError):
        raise ConfigError(f"The {what} must be numbers. Got {type(lrs).__name__}.") from None
    if arr.ndim != 1 or arr.size == 0:
        raise ConfigError(f"The {what} must be a non-empty list, one per step. Got shape {arr.shape}.")
    if arr.size > MAX_STEPS:
        raise ConfigError(f"The {what} may cover at most {MAX_STEPS:,} steps. Got {arr.size:,}.")
    bad = ~(np.isfinite(arr) & (arr >= 0))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ConfigError(f"The {what} must be finite and >= 0 at every step. Got {float(arr[i])!r} at step {i}.")
    if not (arr > 0).any():
        raise ConfigError(f"The {what} must be > 0 at some step. Got all zero.")
    return arr
