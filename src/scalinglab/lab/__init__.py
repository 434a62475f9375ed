"""The lab: train sweeps of small GPT models on real text and record them in the run store.

Configuration classes import without torch; the model and the training loop need the ``[lab]`` extra
(``pip install 'scalinglab[lab]'``) and are loaded on first use.
"""

from .config import Checkpoint, ModelShape, RunResult, TrainConfig

__all__ = ["Checkpoint", "ModelShape", "RunResult", "TrainConfig", "train", "GPT"]


def __getattr__(name: str):
    if name == "train":
        from .train import train

        return train
    if name == "GPT":
        from .model import GPT

        return GPT
    raise AttributeError(name)
