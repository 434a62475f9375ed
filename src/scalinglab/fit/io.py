"""Save a fit as a law file that ``load_law`` (and the planner) read back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..laws.io import save_law
from .bootstrap import BootstrapResult
from .data import Runs
from .result import FitResult, provenance

__all__ = ["save_fit"]


def save_fit(result: FitResult, path: str | Path, *, runs: Runs | None = None,
             boot: BootstrapResult | None = None, name: str = "fitted", **extra: Any) -> Path:
    """Write the fitted law (with bootstrap refits as ``samples``) and its provenance as JSON."""
    prov = provenance(result, runs, **extra)
    if boot is not None:
        prov["bootstrap"] = {"n": boot.n, "seed": boot.seed, "resample": boot.resample}
    law = result.to_law(name, prov, boot.param_samples() if boot is not None else ())
    return save_law(law, path, prov)
