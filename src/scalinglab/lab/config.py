"""Configuration and results of one lab training run. Pure Python: importable without torch.

The classes are defined with the run store that keeps them (:mod:`scalinglab.store.records`); this is
the lab's name for them.
"""

from ..store.records import Checkpoint, ModelShape, RunResult, TrainConfig

__all__ = ["ModelShape", "TrainConfig", "RunResult", "Checkpoint"]
