"""The optional PyTorch dependency: one import point with a one-line message when it is missing."""

from __future__ import annotations

from ..errors import ConfigError

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError as exc:  # pragma: no cover - exercised only without the [lab] extra
    raise ConfigError("The lab needs PyTorch: pip install 'scalinglab[lab]'.") from exc

__all__ = ["torch", "nn", "F"]
