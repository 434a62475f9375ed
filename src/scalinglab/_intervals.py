"""The one place intervals are made and named.

Every interval a user sees is a *central* interval: the ``(1 − level)/2`` and ``(1 + level)/2`` quantiles
of a set of draws (bootstrap refits, or refits plus the scatter of single runs). The default level lives
here (:data:`DEFAULT_LEVEL`) and every label is derived from the level actually used, so a 5th–95th
percentile interval is never printed as "95%".

Two bands are named apart (see docs/uncertainty.md):

- ``"mean"``: where the law's *mean curve* lies, from parameter uncertainty alone (bootstrap refits);
- ``"prediction"``: where the loss of *a new run* lies, parameter uncertainty plus the scatter of single
  runs about the law, estimated from the fit's residuals.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .errors import ConfigError

__all__ = ["DEFAULT_LEVEL", "BANDS", "check_level", "central_interval", "level_label", "percentile_label",
           "band_label"]

#: level of every interval unless the caller asks for another
DEFAULT_LEVEL = 0.90

#: the two bands and what each covers
BANDS = {"mean": "the law's mean curve: parameter uncertainty",
         "prediction": "a new run: parameter uncertainty + run-to-run scatter"}


def check_level(level: Any, name: str = "level") -> float:
    """``level`` as a float in (0, 1); one clear error otherwise."""
    if isinstance(level, bool) or not isinstance(level, (int, float, np.integer, np.floating)) \
            or not 0.0 < float(level) < 1.0:
        raise ConfigError(f"The '{name}' parameter must be a number in (0, 1). Got {level!r}.")
    return float(level)


def central_interval(draws: Any, level: float = DEFAULT_LEVEL, axis: int = 0) -> tuple[Any, Any]:
    """The central ``level`` interval of ``draws`` along ``axis``: ``(low, high)`` quantiles.

    NaN draws are ignored; scalars come back as floats.
    """
    level = check_level(level)
    q = (1.0 - level) / 2.0
    with np.errstate(all="ignore"):
        lo, hi = np.nanquantile(np.asarray(draws, dtype=float), [q, 1.0 - q], axis=axis)
    if np.ndim(lo) == 0:
        return float(lo), float(hi)
    return lo, hi


def level_label(level: float) -> str:
    """``0.9`` → ``"90%"``; ``0.955`` → ``"95.5%"``."""
    return f"{100.0 * check_level(level):.4g}%"


def percentile_label(level: float) -> str:
    """``0.9`` → ``"5th–95th percentiles"``."""
    q = 50.0 * (1.0 - check_level(level))
    return f"{_ordinal(q)}–{_ordinal(100.0 - q)} percentiles"


def band_label(kind: str, level: float) -> str:
    """``("prediction", 0.9)`` → ``"90% prediction band (a new run: parameter uncertainty + run-to-run
    scatter)"``."""
    if kind not in BANDS:
        raise ConfigError(f"The 'band' parameter must be one of {', '.join(BANDS)}. Got {kind!r}.")
    return f"{level_label(level)} {kind} band ({BANDS[kind]})"


def _ordinal(x: float) -> str:
    s = f"{x:.4g}"
    if "." in s:
        return f"{s}th"
    n = int(s)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
