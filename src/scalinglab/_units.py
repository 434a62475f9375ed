"""Human-friendly quantities: '70B' parameters, '1.4T' tokens, '5.76e23' FLOPs."""

from __future__ import annotations

import math
import re

from .errors import ConfigError

__all__ = ["parse_quantity", "format_quantity", "format_si"]

_SUFFIX = {"": 1.0, "k": 1e3, "K": 1e3, "m": 1e6, "M": 1e6, "b": 1e9, "B": 1e9, "g": 1e9, "G": 1e9,
           "t": 1e12, "T": 1e12, "p": 1e15, "P": 1e15, "e": 1e18, "E": 1e18}
_RE = re.compile(r"^\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*([kKmMbBgGtTpPeE]?)\s*$")


def parse_quantity(text: str | float | int, name: str = "value") -> float:
    """Parse '70B', '1.4T', '5.76e23', '3e9' or a number into a float (no range check)."""
    if isinstance(text, (int, float)):
        return float(text)
    m = _RE.match(text)
    if not m:
        raise ConfigError(
            f"The {name!r} parameter must be a number, optionally with a suffix K, M, B, T, P "
            f"(e.g. 70B, 1.4T, 5.76e23). Got {text!r}."
        )
    value = float(m.group(1)) * _SUFFIX[m.group(2)]
    if not math.isfinite(value):
        raise ConfigError(f"The {name!r} parameter must be finite. Got {text!r}.")
    return value


def format_si(x: float, digits: int = 3) -> str:
    """3 significant digits with K/M/B/T suffix: 7.0e10 -> '70.0B'."""
    if x is None or not math.isfinite(x):
        return "n/a"
    ax = abs(x)
    for div, suf in ((1e15, "P"), (1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if ax >= div:
            return f"{x / div:.{digits}g}{suf}"
    return f"{x:.{digits}g}"


def format_quantity(x: float) -> str:
    """Scientific notation for FLOPs: 5.76e+23."""
    return f"{x:.3g}"
