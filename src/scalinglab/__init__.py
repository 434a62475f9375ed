"""scalinglab: empirical scaling laws of language models turned into training decisions."""

from ._version import __version__
from .errors import ConfigError, DataError, FitError, PlanError, ScalingLabError, StoreError
from .laws import DEFAULT_LAW, get_joint_law, get_law, list_laws

__all__ = [
    "__version__", "ScalingLabError", "ConfigError", "DataError", "FitError", "PlanError", "StoreError",
    "DEFAULT_LAW", "get_law", "get_joint_law", "list_laws",
]
