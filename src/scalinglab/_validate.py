"""Argument checks shared by every module: one clear message naming field, rule and value."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

import numpy as np

from .errors import ConfigError


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return repr(value)


def check_positive(name: str, value: object, *, allow_zero: bool = False) -> float:
    """Return ``value`` as a float after checking it is a finite number > 0 (or >= 0)."""
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ConfigError(f"The {name!r} parameter must be a number. Got {_fmt(value)}.") from None
    if not math.isfinite(x):
        raise ConfigError(f"The {name!r} parameter must be finite. Got {_fmt(value)}.")
    if allow_zero and x < 0:
        raise ConfigError(f"The {name!r} parameter must be >= 0. Got {_fmt(value)}.")
    if not allow_zero and x <= 0:
        raise ConfigError(f"The {name!r} parameter must be > 0. Got {_fmt(value)}.")
    return x


def check_fraction(name: str, value: object) -> float:
    """A number in (0, 1]: MFU, utilisation."""
    x = check_positive(name, value)
    if x > 1:
        raise ConfigError(f"The {name!r} parameter must be in (0, 1]. Got {_fmt(value)}.")
    return x


def check_choice(name: str, value: str, choices: Iterable[str]) -> str:
    choices = list(choices)
    if value not in choices:
        raise ConfigError(
            f"The {name!r} parameter must be one of {', '.join(choices)}. Got {value!r}."
        )
    return value


def positive_array(name: str, value: object, *, allow_zero: bool = False) -> np.ndarray:
    """Broadcastable float array with every element finite and > 0 (or >= 0)."""
    arr = np.asarray(value, dtype=float)
    bad = ~np.isfinite(arr) | ((arr < 0) if allow_zero else (arr <= 0))
    if np.any(bad):
        first = arr[bad].flat[0] if arr.ndim else float(arr)
        rule = ">= 0" if allow_zero else "> 0"
        raise ConfigError(f"The {name!r} parameter must be finite and {rule}. Got {_fmt(float(first))}.")
    return arr


def name_key(name: str) -> str:
    """``name`` for matching, case, spaces and punctuation aside: "llama-3.1 405b" and "Llama 3.1 405B" match."""
    return re.sub(r"[^a-z0-9]", "", name.lower())
