"""Accelerator catalogue: peak dense 16-bit FLOP/s, memory, power and a typical rental price.

Sources
-------
Specifications come from Epoch AI's chip database (``epoch_chip_dataset.csv`` in
github.com/epoch-research/training-cost-trends, commit 263c40a), column "Tensor-FP16/BF16 performance
(FLOP/s)", i.e. dense tensor-core throughput without 2:4 sparsity; gaps are filled from vendor datasheets
and say so in ``source``.

Prices are medians of the on-demand "Price per chip-hour" column of Epoch's ``epoch_hardware_prices.csv``
(same repository), for the most recent year with data (2025, price dates 2025-01 .. 2025-03), over the rows
whose "Hardware model" is the GPU's model; A100 and V100 pool every variant of the family (SXM/PCIe,
40/80 GB; 16/32 GB), as published-figures.md §10 does, because providers rent them interchangeably. The
pooled A100 median ($1.89, 13 rows) matches that section. GPUs without enough price rows carry a labelled
estimate (``price_estimated=True``); pass ``usd_per_hour=`` to use your own quote.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any

from ._validate import check_positive, name_key
from .errors import ConfigError

__all__ = ["GPU", "get_gpu", "list_gpus", "GPU_NAMES"]

_CHIP_DB = "Epoch AI chip DB (epoch_chip_dataset.csv)"
_PRICE_DB = "Epoch AI hardware prices (epoch_hardware_prices.csv)"


@dataclass(frozen=True)
class GPU:
    """One accelerator.

    Attributes
    ----------
    name : str
        Canonical key, e.g. ``"H100-SXM"``.
    label : str
        Full product name.
    peak_flops : float
        Dense BF16/FP16 tensor FLOP/s (not the 2:4-sparsity figure).
    memory_gb : float
        Memory per board in GB (1e9 bytes).
    memory_bandwidth_tbs : float or None
        Memory bandwidth in TB/s (1e12 bytes/s).
    power_w : float
        Board power (TDP) in watts.
    usd_per_hour : float
        Typical on-demand price per GPU-hour in USD.
    source, price_source : str
        Where the specifications and the price come from.
    price_estimated : bool
        True where the price is our estimate rather than a median of recorded prices.
    """

    name: str
    label: str
    peak_flops: float
    memory_gb: float
    memory_bandwidth_tbs: float | None
    power_w: float
    usd_per_hour: float
    source: str
    price_source: str
    price_estimated: bool = False

    def __post_init__(self) -> None:
        for key in ("name", "label"):
            value = getattr(self, key)
            if not isinstance(value, str) or not value.strip():
                raise ConfigError(f"The {key!r} parameter must be a non-empty string. Got {value!r}.")
        for key in ("peak_flops", "memory_gb", "power_w"):
            object.__setattr__(self, key, check_positive(key, getattr(self, key)))
        if self.memory_bandwidth_tbs is not None:
            bw = check_positive("memory_bandwidth_tbs", self.memory_bandwidth_tbs)
            object.__setattr__(self, "memory_bandwidth_tbs", bw)
        price = check_positive("usd_per_hour", self.usd_per_hour, allow_zero=True)
        object.__setattr__(self, "usd_per_hour", price)

    @property
    def memory_bytes(self) -> float:
        return self.memory_gb * 1e9

    def with_overrides(self, **overrides: Any) -> GPU:
        """A copy with some fields replaced (e.g. a negotiated price), validated like the original."""
        fields = [f.name for f in dataclasses.fields(self)]
        for key in overrides:
            if key not in fields:
                raise ConfigError(
                    f"The GPU override {key!r} must be one of {', '.join(fields)}. Got {key!r}."
                )
        if "usd_per_hour" in overrides:
            overrides = {"price_estimated": False, "price_source": "user override", **overrides}
        return dataclasses.replace(self, **overrides)

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


_CATALOGUE: tuple[GPU, ...] = (
    GPU("H100-SXM", "NVIDIA H100 SXM5 80GB", 9.894e14, 80.0, 3.35, 700.0, 3.62,
        f"{_CHIP_DB}: 'NVIDIA H100 SXM5 80GB'",
        f"{_PRICE_DB}: median of 8 on-demand rows, 2025 (range 2.45-12.29)"),
    GPU("H100-PCIe", "NVIDIA H100 PCIe 80GB", 7.56e14, 80.0, 2.04, 350.0, 2.42,
        f"{_CHIP_DB}: 'NVIDIA H100 PCIe'; 80 GB from the NVIDIA H100 datasheet (missing in the DB)",
        f"{_PRICE_DB}: median of 4 on-demand rows, 2025"),
    GPU("H200", "NVIDIA H200 SXM 141GB", 9.895e14, 141.0, 4.8, 700.0, 4.50,
        f"{_CHIP_DB}: 'NVIDIA H200 SXM'; 141 GB from the NVIDIA H200 datasheet (missing in the DB)",
        "ESTIMATE: H100-SXM 2025 median x ~1.25 for the larger memory. Epoch's only H200 row is an AWS "
        "8-GPU list price ($10.60/GPU-h, 2025-03), where the H100 listed at $12.29",
        price_estimated=True),
    GPU("B200", "NVIDIA B200", 2.25e15, 192.0, 8.0, 1000.0, 6.00,
        f"{_CHIP_DB}: 'NVIDIA B200'",
        "ESTIMATE: no on-demand B200 rows in Epoch's price file; ~1.65x the H100-SXM 2025 median, "
        "below the 2.27x peak-FLOP/s ratio",
        price_estimated=True),
    GPU("A100-80GB", "NVIDIA A100 SXM4 80GB", 3.12e14, 80.0, 2.039, 400.0, 1.89,
        f"{_CHIP_DB}: 'NVIDIA A100 SXM4 80 GB'",
        f"{_PRICE_DB}: median of 13 on-demand rows for all A100 variants, 2025 (range 1.29-5.12)"),
    GPU("A100-40GB", "NVIDIA A100 SXM4 40GB", 3.12e14, 40.0, 1.56, 400.0, 1.89,
        f"{_CHIP_DB}: 'NVIDIA A100 SXM4 40 GB'",
        f"{_PRICE_DB}: median of 13 on-demand rows for all A100 variants, 2025 (range 1.29-5.12)"),
    GPU("V100", "NVIDIA Tesla V100 SXM2 32GB", 1.25e14, 32.0, 0.898, 300.0, 2.515,
        f"{_CHIP_DB}: 'NVIDIA Tesla V100 SXM2 32 GB'",
        f"{_PRICE_DB}: median of 6 on-demand rows for all V100 variants, 2025 (range 0.19-3.46)"),
    GPU("MI300X", "AMD Instinct MI300X 192GB", 1.3074e15, 192.0, 5.3, 750.0, 2.50,
        f"{_CHIP_DB}: 'AMD Instinct MI300X'",
        "ESTIMATE: no on-demand MI300X rows in Epoch's price file; typical 2025 neocloud rate",
        price_estimated=True),
    GPU("L40S", "NVIDIA L40S 48GB", 3.62e14, 48.0, 0.864, 350.0, 0.87,
        f"{_CHIP_DB}: 'NVIDIA L40S' (FP16 column, 362 TFLOP/s; matches the dense BF16 tensor figure of the "
        "NVIDIA L40S datasheet); 48 GB, 864 GB/s, 350 W from that datasheet",
        f"{_PRICE_DB}: median of 2 on-demand rows, 2025 (0.86, 0.88)"),
)

GPU_NAMES: tuple[str, ...] = tuple(g.name for g in _CATALOGUE)
_BY_NAME = {g.name: g for g in _CATALOGUE}


def _normalise(text: str) -> str:
    return re.sub(r"^(nvidia|amd)?(instinct|tesla)?", "", name_key(text))


_ALIASES: dict[str, str] = {_normalise(n): n for n in GPU_NAMES}
_ALIASES.update({
    "h100": "H100-SXM", "h100sxm5": "H100-SXM", "h100sxm580gb": "H100-SXM", "h10080gb": "H100-SXM",
    "h100sxm80gb": "H100-SXM", "h100pcie80gb": "H100-PCIe",
    "h200sxm": "H200", "h200141gb": "H200", "h200sxm141gb": "H200",
    "a100": "A100-80GB", "a100sxm": "A100-80GB", "a100sxm4": "A100-80GB", "a100sxm480gb": "A100-80GB",
    "a100sxm440gb": "A100-40GB", "a100sxm40gb": "A100-40GB", "a100sxm80gb": "A100-80GB",
    "v100sxm2": "V100", "v100sxm232gb": "V100", "v10032gb": "V100",
    "mi300": "MI300X", "mi300x192gb": "MI300X", "l40s48gb": "L40S",
})


def get_gpu(name: str | GPU, **overrides: Any) -> GPU:
    """Look up a catalogue GPU by name, case- and punctuation-insensitively, with optional overrides.

    ``"h100"``, ``"H100 SXM"`` and ``"nvidia-h100-sxm5"`` all give ``H100-SXM``; ``"a100"`` gives the 80 GB
    SXM4 part. Overrides replace fields, e.g. ``get_gpu("h100", usd_per_hour=2.0)``.

    Raises
    ------
    ConfigError
        For an unknown name (the message lists the choices) or an invalid override.
    """
    if isinstance(name, GPU):
        return name.with_overrides(**overrides) if overrides else name
    canonical = _ALIASES.get(_normalise(name)) if isinstance(name, str) else None
    if canonical is None:
        raise ConfigError(f"The 'gpu' parameter must be one of {', '.join(GPU_NAMES)}. Got {name!r}.")
    gpu = _BY_NAME[canonical]
    return gpu.with_overrides(**overrides) if overrides else gpu


def list_gpus() -> list[GPU]:
    """Every catalogue GPU, newest NVIDIA data-centre parts first."""
    return list(_CATALOGUE)
