"""GPU catalogue: fields, aliases, overrides, and agreement with Epoch AI's chip and price tables."""

from __future__ import annotations

import csv
import re
import statistics
from pathlib import Path

import pytest

from scalinglab.errors import ConfigError
from scalinglab.hardware import GPU, GPU_NAMES, get_gpu, list_gpus

EPOCH = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "epoch-ai-models"
needs_epoch = pytest.mark.skipif(
    not EPOCH.is_dir(), reason=f"shared Epoch AI data not found at {EPOCH} (read-only data outside the repo)"
)

# catalogue name -> (Epoch chip DB "Hardware name", FLOP/s column)
CHIP_ROWS = {
    "H100-SXM": ("NVIDIA H100 SXM5 80GB", "Tensor-FP16/BF16 performance (FLOP/s)"),
    "H100-PCIe": ("NVIDIA H100 PCIe", "Tensor-FP16/BF16 performance (FLOP/s)"),
    "H200": ("NVIDIA H200 SXM", "Tensor-FP16/BF16 performance (FLOP/s)"),
    "B200": ("NVIDIA B200", "Tensor-FP16/BF16 performance (FLOP/s)"),
    "A100-80GB": ("NVIDIA A100 SXM4 80 GB", "Tensor-FP16/BF16 performance (FLOP/s)"),
    "A100-40GB": ("NVIDIA A100 SXM4 40 GB", "Tensor-FP16/BF16 performance (FLOP/s)"),
    "V100": ("NVIDIA Tesla V100 SXM2 32 GB", "Tensor-FP16/BF16 performance (FLOP/s)"),
    "MI300X": ("AMD Instinct MI300X", "Tensor-FP16/BF16 performance (FLOP/s)"),
    "L40S": ("NVIDIA L40S", "FP16 (half precision) performance (FLOP/s)"),
}
# catalogue name -> "Hardware model" pattern pooled for the price median (see hardware.py docstring)
PRICE_ROWS = {
    "H100-SXM": r"^NVIDIA H100 SXM5 80GB$",
    "H100-PCIe": r"^NVIDIA H100 PCIe$",
    "A100-80GB": r"^NVIDIA A100\b",
    "A100-40GB": r"^NVIDIA A100\b",
    "V100": r"^NVIDIA (Tesla )?V100\b",
    "L40S": r"^NVIDIA L40S$",
}


def _read(name: str) -> list[dict[str, str]]:
    with open(EPOCH / name, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def test_list_gpus_every_entry_has_positive_fields():
    gpus = list_gpus()
    assert len(gpus) >= 8 and [g.name for g in gpus] == list(GPU_NAMES)
    for g in gpus:
        assert g.peak_flops > 1e13 and g.memory_gb > 0 and g.power_w > 0 and g.usd_per_hour > 0
        assert g.memory_bandwidth_tbs is not None and g.memory_bandwidth_tbs > 0
        assert g.source and g.price_source
        assert g.price_estimated == g.price_source.startswith("ESTIMATE")


def test_get_gpu_h100_peak_is_dense_bf16():
    h100 = get_gpu("H100-SXM")
    assert h100.peak_flops == 9.894e14  # not the 1,979 TFLOP/s sparsity figure
    assert h100.memory_bytes == 80e9


@pytest.mark.parametrize(
    "alias, expected",
    [
        ("h100", "H100-SXM"), ("H100 SXM", "H100-SXM"), ("nvidia-h100-sxm5", "H100-SXM"),
        ("h100-pcie", "H100-PCIe"), ("H100_PCIe", "H100-PCIe"), ("a100", "A100-80GB"),
        ("A100 40GB", "A100-40GB"), ("mi300x", "MI300X"), ("AMD Instinct MI300X", "MI300X"),
        ("l40s", "L40S"), ("Tesla V100", "V100"), ("h200", "H200"), ("B200", "B200"),
    ],
)
def test_get_gpu_resolves_aliases(alias, expected):
    assert get_gpu(alias).name == expected


def test_get_gpu_unknown_name_lists_choices():
    with pytest.raises(ConfigError, match=r"^The 'gpu' parameter must be one of H100-SXM, .*Got 'X100'\.$"):
        get_gpu("X100")


def test_get_gpu_overrides_replace_and_validate():
    cheap = get_gpu("h100", usd_per_hour=2.0)
    assert cheap.usd_per_hour == 2.0 and cheap.peak_flops == 9.894e14
    assert cheap.price_source == "user override" and not cheap.price_estimated
    assert get_gpu("h100").usd_per_hour != 2.0  # the catalogue entry is untouched
    assert get_gpu(cheap) is cheap
    with pytest.raises(ConfigError, match="'usd_per_hour'"):
        get_gpu("h100", usd_per_hour=-1.0)
    with pytest.raises(ConfigError, match="'peak_flops'"):
        get_gpu("a100").with_overrides(peak_flops=0)
    with pytest.raises(ConfigError, match="'colour'"):
        get_gpu("a100", colour="green")


def test_gpu_constructor_rejects_empty_name():
    with pytest.raises(ConfigError, match="'name'"):
        GPU("", "x", 1e14, 16, None, 300, 1.0, "s", "p")


@pytest.mark.shared_data
@needs_epoch
def test_catalogue_specs_agree_with_epoch_chip_db():
    rows = {r["Hardware name"]: r for r in _read("epoch_chip_dataset.csv")}
    assert set(CHIP_ROWS) == set(GPU_NAMES)
    for name, (db_name, column) in CHIP_ROWS.items():
        gpu, row = get_gpu(name), rows[db_name]
        assert gpu.peak_flops == pytest.approx(float(row[column]), rel=1e-3), name
        assert db_name in gpu.source or name == "L40S"
        if row["Memory size per board (Byte)"]:
            assert gpu.memory_bytes == pytest.approx(float(row["Memory size per board (Byte)"])), name
        if row["TDP (W)"]:
            assert gpu.power_w == pytest.approx(float(row["TDP (W)"])), name
        if row["Memory bandwidth (byte/s)"]:
            bw = float(row["Memory bandwidth (byte/s)"]) / 1e12
            assert gpu.memory_bandwidth_tbs == pytest.approx(bw, rel=1e-3), name


@pytest.mark.shared_data
@needs_epoch
def test_catalogue_prices_are_latest_year_medians_of_epoch_prices():
    rows = _read("epoch_hardware_prices.csv")
    measured = {g.name for g in list_gpus() if not g.price_estimated}
    assert measured == set(PRICE_ROWS)
    for name, pattern in PRICE_ROWS.items():
        by_year: dict[str, list[float]] = {}
        for r in rows:
            price = r["Price per chip-hour (on-demand)"].strip()
            if price and re.search(pattern, r["Hardware model"]):
                by_year.setdefault(r["Price date"][:4], []).append(float(price))
        latest = max(by_year)
        assert latest == "2025", name
        assert get_gpu(name).usd_per_hour == pytest.approx(statistics.median(by_year[latest])), name
