"""The user's config file: default hardware for costing plans, and per-GPU prices and figures.

Location: ``$SCALINGLAB_CONFIG`` when set, else ``$XDG_CONFIG_HOME/scalinglab/config.toml``, else
``~/.config/scalinglab/config.toml`` (XDG Base Directory). A missing file at the default location is an
empty config; a file named by ``$SCALINGLAB_CONFIG`` must exist. Every key is checked: a bad or unknown
one is one line naming the file, the key, the rule and the value (:class:`~scalinglab.errors.ConfigError`).

.. code-block:: toml

    [defaults]               # each used when its flag is not given
    gpu = "H100-SXM"         # a catalogue GPU or a [gpus.NAME] custom GPU of this file
    gpus = 8
    mfu = 0.45

    [gpus.H100-SXM]          # your figures for a catalogue GPU (any of the four)
    usd_per_hour = 2.10
    peak_tflops = 989
    memory_gb = 80
    power_w = 700

    [gpus.my-accelerator]    # a custom GPU: all four figures, and optionally a label
    label = "In-house accelerator"
    peak_tflops = 500
    memory_gb = 96
    power_w = 600
    usd_per_hour = 1.50

Precedence: a command-line flag, then this file, then the built-in default (:meth:`Config.resolve`). The
library never reads the file by itself: :func:`load_config` returns a frozen :class:`Config` whose values a
caller passes on explicitly; only the CLI calls it.
"""

from __future__ import annotations

import math
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .cost import DEFAULT_MFU, MAX_GPUS
from ._validate import name_key
from .errors import ConfigError
from .hardware import GPU, GPU_NAMES, get_gpu, list_gpus

__all__ = ["Config", "Hardware", "load_config", "config_path", "CONFIG_ENV", "DEFAULT_GPU"]

#: environment variable naming the config file (overrides the XDG location)
CONFIG_ENV = "SCALINGLAB_CONFIG"
#: the GPU a plan is costed on when neither a flag nor the file names one
DEFAULT_GPU = "H100-SXM"
_DEFAULT_KEYS = ("gpu", "gpus", "mfu")
#: file key -> GPU field, and the factor from the file's unit to the field's
_GPU_KEYS = {"usd_per_hour": ("usd_per_hour", 1.0), "peak_tflops": ("peak_flops", 1e12),
             "memory_gb": ("memory_gb", 1.0), "power_w": ("power_w", 1.0)}


def config_path(environ: Mapping[str, str] | None = None) -> Path:
    """Where the config file is looked for: ``$SCALINGLAB_CONFIG``, ``$XDG_CONFIG_HOME/scalinglab/config.toml``
    (an absolute ``XDG_CONFIG_HOME`` only, as the XDG spec asks) or ``~/.config/scalinglab/config.toml``."""
    env = os.environ if environ is None else environ
    if env.get(CONFIG_ENV):
        return Path(env[CONFIG_ENV]).expanduser()
    xdg = env.get("XDG_CONFIG_HOME", "")
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".config"
    return base / "scalinglab" / "config.toml"


def shown(path: Path | None) -> str:
    """``path`` for messages, with the home directory as ``~``."""
    if path is None:
        return "(none)"
    try:
        return "~/" + path.resolve().relative_to(Path.home().resolve()).as_posix()
    except (ValueError, RuntimeError, OSError):
        return str(path)


@dataclass(frozen=True)
class Hardware:
    """The hardware a plan is costed on, resolved flag > file > default; ``from_file`` holds, by file key
    (``"mfu"``, ``"gpus.H100-SXM.usd_per_hour"``), each value the file supplied."""

    gpu: GPU
    n_gpus: int
    mfu: float
    from_file: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None


@dataclass(frozen=True)
class Config:
    """The checked contents of a config file (every field ``None``/empty when there is none)."""

    path: Path | None = None
    gpu: str | None = None
    gpus: int | None = None
    mfu: float | None = None
    #: catalogue name -> {file key: value} (``peak_tflops`` in TFLOP/s, as written)
    gpu_settings: dict[str, dict[str, float]] = field(default_factory=dict)
    custom_gpus: tuple[GPU, ...] = ()

    def get_gpu(self, name: str | GPU) -> GPU:
        """A custom GPU of the file, or a catalogue GPU with the file's figures for it."""
        if isinstance(name, GPU):
            return name
        for g in self.custom_gpus:
            if name_key(g.name) == name_key(name):
                return g
        g = get_gpu(name)
        settings = self.gpu_settings.get(g.name)
        return g.with_overrides(**self._fields(settings)) if settings else g

    def list_gpus(self) -> list[GPU]:
        """The catalogue with the file's figures, then the file's custom GPUs."""
        return [self.get_gpu(g.name) for g in list_gpus()] + list(self.custom_gpus)

    def figures(self, gpu: GPU) -> dict[str, float]:
        """The file's figures for ``gpu``, by ``gpus.NAME.key`` (all four for a custom GPU)."""
        custom = next((c for c in self.custom_gpus if c.name == gpu.name), None)
        if custom is not None:
            return {f"gpus.{gpu.name}.{k}": getattr(custom, f) / unit for k, (f, unit) in _GPU_KEYS.items()}
        return {f"gpus.{gpu.name}.{k}": v for k, v in self.gpu_settings.get(gpu.name, {}).items()}

    def resolve(self, *, gpu: str | None = None, n_gpus: int | None = None, mfu: float | None = None,
                **gpu_flags: float | None) -> Hardware:
        """Hardware from the flags given (not ``None``), else this file, else the built-in defaults (H100-SXM,
        1 GPU, MFU 0.4, the catalogue's figures). ``gpu_flags``: ``usd_per_hour``, ``peak_tflops``,
        ``memory_gb``, ``power_w``."""
        for key in gpu_flags:
            if key not in _GPU_KEYS:
                raise ConfigError(f"The GPU flag {key!r} must be one of {', '.join(_GPU_KEYS)}. Got {key!r}.")
        flags = {k: v for k, v in gpu_flags.items() if v is not None}
        g = self.get_gpu(gpu if gpu is not None else self.gpu or DEFAULT_GPU)
        used = {k: v for k, v in self.figures(g).items() if k.rsplit(".", 1)[1] not in flags}
        if flags:
            g = g.with_overrides(**self._fields(flags, source="user override"))
        for key, flag, value in (("gpu", gpu, self.gpu), ("gpus", n_gpus, self.gpus), ("mfu", mfu, self.mfu)):
            if flag is None and value is not None:
                used[key] = value
        return Hardware(gpu=g, n_gpus=n_gpus if n_gpus is not None else self.gpus or 1,
                        mfu=mfu if mfu is not None else self.mfu or DEFAULT_MFU,
                        from_file={k: used[k] for k in sorted(used)}, path=self.path)

    def _fields(self, settings: Mapping[str, float], source: str | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {_GPU_KEYS[k][0]: v * _GPU_KEYS[k][1] for k, v in settings.items()}
        if "usd_per_hour" in settings:
            out["price_source"] = source or f"config file {shown(self.path)}"
        return out


def load_config(path: str | Path | None = None) -> Config:
    """Read and check the config file at ``path`` (default :func:`config_path`). No file at the default
    location gives an empty :class:`Config`; a missing file that was named (``path`` or ``$SCALINGLAB_CONFIG``)
    is refused."""
    named = path is not None or bool(os.environ.get(CONFIG_ENV))
    p = Path(path).expanduser() if path is not None else config_path()
    if not p.exists():
        if named:
            raise ConfigError(f"The config file {shown(p)} must exist (named by "
                              f"{'the path given' if path is not None else '$' + CONFIG_ENV}). Got no such file.")
        return Config()
    try:
        with p.open("rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        raise ConfigError(f"The config file {shown(p)} must be readable. Got: {exc.strerror or exc}.") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"The config file {shown(p)} must be valid UTF-8 TOML. Got: {exc}.") from None
    return _parse(p, data)


def _parse(p: Path, data: dict[str, Any]) -> Config:
    def bad(key: str, rule: str, value: object) -> ConfigError:
        text = repr(value)
        return ConfigError(f"The config file {shown(p)}: key {key!r} must be {rule}. "
                           f"Got {text if len(text) <= 80 else text[:80] + '…'}.")

    def table(key: str, value: object) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise bad(key, "a table", value)
        return value

    def number(key: str, value: object, *, zero: bool = False) -> float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        if not ok or value < 0 or (value == 0 and not zero):
            raise bad(key, "a finite number >= 0" if zero else "a finite number > 0", value)
        return float(value)

    for key in data:
        if key not in ("defaults", "gpus"):
            raise bad(key, "one of defaults, gpus (a known key)", key)
    defaults = table("defaults", data.get("defaults", {}))
    for key in defaults:
        if key not in _DEFAULT_KEYS:
            raise bad(f"defaults.{key}", f"one of {', '.join(_DEFAULT_KEYS)} (a known key)", key)
    settings: dict[str, dict[str, float]] = {}
    written: dict[str, str] = {}  # the name each GPU has in the file, by catalogue or custom key
    custom: list[GPU] = []
    for name, body in table("gpus", data.get("gpus", {})).items():
        entry = table(f"gpus.{name}", body)
        try:
            canonical: str | None = get_gpu(name).name
        except ConfigError:
            canonical = None
        allowed = list(_GPU_KEYS) + ([] if canonical else ["label"])
        for key in entry:
            if key not in allowed:
                what = "a catalogue GPU's" if canonical else "a custom GPU's"
                raise bad(f"gpus.{name}.{key}", f"one of {', '.join(allowed)} ({what} keys)", key)
        figures = {k: number(f"gpus.{name}.{k}", v, zero=k == "usd_per_hour") for k, v in entry.items() if k != "label"}
        same = written.get(canonical or name_key(name))
        if same is not None:
            raise bad(f"gpus.{name}", f"given once (it names the same GPU as 'gpus.{same}')", name)
        written[canonical or name_key(name)] = name
        if canonical:
            settings[canonical] = figures
            continue
        missing = [k for k in _GPU_KEYS if k not in figures]
        if missing:
            raise bad(f"gpus.{name}", f"a catalogue GPU ({', '.join(GPU_NAMES)}) or a custom GPU with all of "
                                      f"{', '.join(_GPU_KEYS)}; it lacks {', '.join(missing)}", name)
        label = entry.get("label", name)
        if not isinstance(label, str) or not label.strip():
            raise bad(f"gpus.{name}.label", "a non-empty string", label)
        custom.append(GPU(name, label, figures["peak_tflops"] * 1e12, figures["memory_gb"], None, figures["power_w"],
                          figures["usd_per_hour"], f"config file {shown(p)}", f"config file {shown(p)}"))
    cfg = Config(path=p, gpu_settings=settings, custom_gpus=tuple(custom))
    gpu = defaults.get("gpu")
    if gpu is not None:
        if not isinstance(gpu, str):
            raise bad("defaults.gpu", "a GPU name (a string)", gpu)
        try:
            gpu = cfg.get_gpu(gpu).name
        except ConfigError:
            raise bad("defaults.gpu", f"a catalogue GPU ({', '.join(GPU_NAMES)}) or a [gpus.NAME] custom GPU of "
                                      "this file", gpu) from None
    gpus = defaults.get("gpus")
    if gpus is not None and (isinstance(gpus, bool) or not isinstance(gpus, int) or not 1 <= gpus <= MAX_GPUS):
        raise bad("defaults.gpus", f"a whole number from 1 to {MAX_GPUS:,}", gpus)
    mfu = defaults.get("mfu")
    if mfu is not None and number("defaults.mfu", mfu) > 1:
        raise bad("defaults.mfu", "in (0, 1]", mfu)
    return Config(path=p, gpu=gpu, gpus=gpus, mfu=None if mfu is None else float(mfu), gpu_settings=settings,
                  custom_gpus=tuple(custom))
