"""Runs recorded by the lab's store, as :class:`~scalinglab.fit.data.Runs` for fitting."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import DataError
from .data import Runs, file_sha256

__all__ = ["StoreRuns", "runs_from_store"]


@dataclass(frozen=True)
class StoreRuns:
    """The finished runs of a store split into the fit set and the held-out runs.

    ``budgets`` holds the nominal IsoFLOP budget of each fit row (NaN outside grids) so profiles group
    runs exactly as the sweep designed them.
    """

    fit: Runs
    holdout: Runs | None
    budgets: np.ndarray
    holdout_budgets: np.ndarray | None = None


def runs_from_store(path: str | Path, *, sweep: str | None = None, checkpoints: bool = False) -> StoreRuns:
    """Read finished runs (or their checkpoints) from a lab store; held-out runs are kept apart."""
    from ..store import Store  # the store needs no torch; imported lazily to keep `fit` light

    with Store(path, readonly=True) as store:
        arr = store.to_arrays(sweep=sweep, checkpoints=checkpoints)
    if arr["loss"].size == 0:
        where = f" in sweep {sweep!r}" if sweep else ""
        raise DataError(f"The store must hold finished runs{where} to fit. Got none in {str(path)!r}.")
    source = {"store": str(path), "sha256": file_sha256(path), "sweep": sweep, "checkpoints": checkpoints}

    def take(mask: np.ndarray) -> Runs | None:
        if not mask.any():
            return None
        # a checkpoint is the loss of N parameters after `tokens_seen` tokens: that is its D
        d = arr["tokens_seen"] if checkpoints else arr["n_tokens"]
        return Runs.from_arrays(arr["n_params"][mask], d[mask], arr["loss"][mask],
                                run_id=arr["run_hash"][mask],
                                tokens_seen=arr["tokens_seen"][mask] if checkpoints else None, source=source)

    train = ~arr["holdout"]
    fit = take(train)
    if fit is None:
        raise DataError(f"The store must hold finished non-holdout runs to fit. Got only held-out runs in "
                        f"{str(path)!r}.")
    held = take(arr["holdout"])
    return StoreRuns(fit=fit, holdout=held, budgets=arr["budget"][train],
                     holdout_budgets=None if held is None else arr["budget"][~train])
