"""scalinglab: empirical scaling laws of language models turned into training decisions."""

from importlib.metadata import PackageNotFoundError, version

from .errors import ConfigError, DataError, FitError, PlanError, ScalingLabError, StoreError
from .laws import DEFAULT_LAW, get_joint_law, get_law, list_laws

try:
    __version__ = version("scalinglab")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0"

__all__ = [
    "__version__", "ScalingLabError", "ConfigError", "DataError", "FitError", "PlanError", "StoreError",
    "DEFAULT_LAW", "get_law", "get_joint_law", "list_laws",
]
