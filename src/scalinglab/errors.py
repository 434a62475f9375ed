"""The error hierarchy. Every message names the field, the rule and the value."""

from __future__ import annotations

__all__ = ["ScalingLabError", "ConfigError", "DataError", "FitError", "PlanError", "StoreError"]


class ScalingLabError(Exception):
    """Base class of every error scalinglab raises on purpose."""


class ConfigError(ScalingLabError, ValueError):
    """An argument, option or configuration value breaks a rule."""


class DataError(ScalingLabError, ValueError):
    """Input runs are missing columns or hold invalid values."""


class FitError(ScalingLabError, RuntimeError):
    """A fit could not be carried out."""


class PlanError(ScalingLabError, ValueError):
    """A plan is impossible with the given law and constraints (e.g. a target loss below E)."""


class StoreError(ScalingLabError, RuntimeError):
    """The run store is unreadable, locked or at an unknown schema version."""
