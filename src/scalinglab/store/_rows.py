"""Checks on what a store's rows hold, so a damaged row is one :class:`StoreError` naming the store, the
table, the column, the run and the rule, never a ``json`` or ``numpy`` traceback."""

from __future__ import annotations

import json
from typing import Any

from ..errors import ScalingLabError, StoreError
from .records import TrainConfig

__all__ = ["INTEGER_COLUMNS", "NUMBER_COLUMNS", "check_choice", "check_number", "json_object", "run_config"]

INTEGER_COLUMNS = frozenset({"attempts", "n_params", "n_tokens", "n_steps", "pid", "step", "tokens"})
NUMBER_COLUMNS = frozenset({"budget", "flops", "final_val_loss", "seconds", "heartbeat", "est_seconds",
                            "train_loss", "val_loss", "elapsed_s", "lr"}) | INTEGER_COLUMNS


def _damaged(where: str, table: str, column: str, run: Any, rule: str, value: Any) -> StoreError:
    shown = repr(value) if not isinstance(value, str) or len(value) <= 60 else repr(value[:60] + "...")
    row = "" if run is None else f" of {'sweep' if table == 'sweeps' else 'run'} {run!r}"
    return StoreError(f"The store {where} is damaged: {table}.{column}{row} must be {rule}. Got {shown}.")


def check_number(where: str, table: str, column: str, run: Any, value: Any, *, required: bool = False) -> Any:
    """``value`` when it is a number of the column's kind (or NULL, unless ``required``)."""
    if value is None and not required:
        return value
    integer = column in INTEGER_COLUMNS
    ok = isinstance(value, int) if integer else isinstance(value, (int, float))
    if not ok or isinstance(value, bool):
        raise _damaged(where, table, column, run, "an integer" if integer else "a number", value)
    return value


def json_object(where: str, table: str, column: str, run: Any, text: Any, *, required: bool = True
                ) -> dict[str, Any] | None:
    """The JSON object stored as ``text`` (None for NULL when not ``required``)."""
    if text is None and not required:
        return None
    try:
        value = json.loads(text) if isinstance(text, (str, bytes)) else None
    except (ValueError, RecursionError):
        value = None
    if not isinstance(value, dict):
        raise _damaged(where, table, column, run, "a JSON object", text)
    return value


def run_config(where: str, run: Any, text: Any) -> TrainConfig:
    """The :class:`TrainConfig` stored in a run's ``config_json``."""
    data = json_object(where, "runs", "config_json", run, text)
    try:
        return TrainConfig.from_dict(data)
    except ScalingLabError as exc:
        raise StoreError(f"The store {where} is damaged: runs.config_json of run {run!r} must be a training "
                         f"config: {exc}") from None


def check_choice(where: str, table: str, column: str, run: Any, value: Any, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise _damaged(where, table, column, run, f"one of {', '.join(choices)}", value)
    return value
