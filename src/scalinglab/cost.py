"""GPU-hours, wall-clock time, dollars and energy of a training run.

The idealised model (published-figures.md §10)::

    gpu_hours  = C / (peak_flops · MFU) / 3600
    wall_hours = gpu_hours / n_gpus
    usd        = gpu_hours · usd_per_hour
    energy_kwh = gpu_hours · power_w / 1000 · PUE

MFU (model FLOPs utilisation, Chowdhery et al. 2022, PaLM App. B) is the fraction of peak dense FLOP/s the
run turns into model FLOPs. The default 0.4 sits at the median of the 61 MFU entries in Epoch AI's model
database (0.38, IQR 0.30–0.49): PaLM 540B 46.2%, Llama 2-70B 41.9%, Llama 3.1-405B 38–43%, Gopher 37.8%,
MT-NLG 30.2%. Real runs exceed these figures (restarts, evaluation, idle nodes): Llama 3.1-8B reports
1.46M H100-hours where this model gives ≈0.51M at MFU 0.4.

Energy counts GPU board power at TDP only; CPUs, networking and cooling enter through ``pue``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from ._validate import check_fraction, check_positive
from .errors import ConfigError
from .hardware import GPU, get_gpu

__all__ = ["TrainingCost", "training_cost", "flops_in_days", "DEFAULT_MFU", "MAX_GPUS"]

DEFAULT_MFU = 0.4
#: most GPUs a plan may be costed on (16.8M, far beyond any cluster; a bound keeps the arithmetic finite)
MAX_GPUS = 1 << 24
_SECONDS_PER_HOUR = 3600.0
_SECONDS_PER_DAY = 86400.0


@dataclass(frozen=True)
class TrainingCost:
    """Cost of one training run. Hours are GPU-hours unless named ``wall_``."""

    gpu: str
    n_gpus: int
    mfu: float
    usd_per_hour: float
    flops: float
    gpu_hours: float
    wall_hours: float
    usd: float
    energy_kwh: float
    pue: float

    @property
    def wall_days(self) -> float:
        return self.wall_hours / 24.0

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "wall_days": self.wall_days}


def _check_n_gpus(n_gpus: object) -> int:
    if isinstance(n_gpus, bool) or not isinstance(n_gpus, (int, np.integer)) or n_gpus < 1:
        raise ConfigError(f"The 'n_gpus' parameter must be an integer >= 1. Got {n_gpus!r}.")
    return int(n_gpus)


def training_cost(
    flops: float,
    gpu: GPU | str,
    *,
    n_gpus: int = 1,
    mfu: float = DEFAULT_MFU,
    usd_per_hour: float | None = None,
    pue: float = 1.0,
) -> TrainingCost:
    """GPU-hours, wall time, dollars and energy to spend ``flops`` training FLOPs.

    Parameters
    ----------
    flops : float
        Training compute C, e.g. ``training_flops(n_params, n_tokens)`` = 6ND.
    gpu : GPU or str
        A catalogue name (``"h100"``) or a :class:`~scalinglab.hardware.GPU`.
    n_gpus : int
        GPUs running in parallel; changes wall time only (perfect scaling is assumed, MFU absorbs losses).
    mfu : float in (0, 1]
        Model FLOPs utilisation; default 0.4 (median of published runs ≈ 0.38).
    usd_per_hour : float >= 0, optional
        Price per GPU-hour; default the GPU's catalogue price.
    pue : float >= 1
        Data-centre power usage effectiveness multiplying GPU energy (1.0 = GPUs only; ~1.1–1.2 typical of
        hyperscale sites).

    Returns
    -------
    TrainingCost

    Examples
    --------
    Llama-3-8B-sized run, 6·8e9·15e12 FLOPs on H100s at MFU 0.4: ≈ 0.51M GPU-hours.

    >>> from scalinglab.flops import training_flops
    >>> round(training_cost(training_flops(8e9, 15e12), "h100").gpu_hours / 1e6, 2)
    0.51
    """
    c = check_positive("flops", flops)
    spec = get_gpu(gpu)
    n = _check_n_gpus(n_gpus)
    u = check_fraction("mfu", mfu)
    price = spec.usd_per_hour if usd_per_hour is None else check_positive(
        "usd_per_hour", usd_per_hour, allow_zero=True)
    p = check_positive("pue", pue)
    if p < 1:
        raise ConfigError(f"The 'pue' parameter must be >= 1. Got {pue!r}.")
    gpu_hours = c / (spec.peak_flops * u) / _SECONDS_PER_HOUR
    return TrainingCost(
        gpu=spec.name,
        n_gpus=n,
        mfu=u,
        usd_per_hour=price,
        flops=c,
        gpu_hours=gpu_hours,
        wall_hours=gpu_hours / n,
        usd=gpu_hours * price,
        energy_kwh=gpu_hours * spec.power_w / 1000.0 * p,
        pue=p,
    )


def flops_in_days(gpu: GPU | str, *, n_gpus: int = 1, days: float, mfu: float = DEFAULT_MFU) -> float:
    """The training compute ``n_gpus`` of ``gpu`` deliver in ``days`` of wall time at ``mfu``::

        C = n_gpus · peak_flops · MFU · days · 86,400 s

    the inverse of :func:`training_cost`'s wall time (``training_cost(C, ...).wall_days == days``): a budget
    from a reservation of hardware and time.
    """
    spec = get_gpu(gpu)
    n = _check_n_gpus(n_gpus)
    d = check_positive("days", days)
    u = check_fraction("mfu", mfu)
    return n * spec.peak_flops * u * d * _SECONDS_PER_DAY
