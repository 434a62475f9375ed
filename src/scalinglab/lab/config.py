"""Configuration and results of one lab training run. Pure Python: importable without torch.

The classes, and the lab's one definition of N (:func:`scaling_n`), are defined with the run store that keeps
them (:mod:`scalinglab.store.records`); this is the lab's name for them.
"""

from ..store.records import (
    LR_SCHEDULES,
    SCALING_GROUPS,
    Checkpoint,
    ModelShape,
    RunResult,
    TrainConfig,
    TrainPoint,
    scaling_n,
)

__all__ = ["SCALING_GROUPS", "LR_SCHEDULES", "scaling_n", "ModelShape", "TrainConfig", "RunResult", "Checkpoint",
           "TrainPoint"]
