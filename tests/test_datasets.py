"""The bundled run tables: each file is there, as the source has it, with its licence and provenance; the package
data is declared so that a non-editable install carries them; each loads with its column mapping."""

from __future__ import annotations

import csv
import fnmatch
import hashlib
import tomllib
from pathlib import Path

import numpy as np
import pytest

from scalinglab.datasets import DATASETS, get_dataset, load_dataset
from scalinglab.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "scalinglab"
#: the shared copies the bundled files were taken from, byte for byte
SHARED = {"gadre2024": "gadre-overtraining/gadre_models_losses.csv",
          "porian2024": "porian-discrepancies/porian_isoflop_points.csv",
          "muennighoff2023": "datablations/datablations_contour_losses.csv"}


@pytest.mark.parametrize("name", list(DATASETS))
def test_each_dataset_has_its_table_licence_and_provenance(name):
    ds = get_dataset(name)
    assert ds.path.is_file() and ds.licence_path.is_file() and ds.source_path.is_file()
    with open(ds.path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == ds.rows
    for col in ds.columns.values():
        assert col in rows[0], col
    licence = ds.licence_path.read_text()
    assert "Permission is hereby granted, free of charge" in licence  # the MIT text
    assert ds.copyright in licence
    source = ds.source_path.read_text()
    assert ds.commit in source and ds.source in source and f"arXiv:{ds.citation.arxiv}" in source
    assert hashlib.sha256(ds.path.read_bytes()).hexdigest() in source  # the sha256 SOURCE.txt gives
    assert name in ds.command() and ds.licence == "MIT"


@pytest.mark.shared_data
@pytest.mark.parametrize("name", list(DATASETS))
def test_bundled_tables_are_the_shared_tables_unchanged(name, shared_data):
    assert get_dataset(name).path.read_bytes() == (shared_data / SHARED[name]).read_bytes()


def test_package_data_declares_every_bundled_file():
    """A non-editable install carries only what [tool.setuptools.package-data] names."""
    conf = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = conf["tool"]["setuptools"]["package-data"]["scalinglab"]
    files = [p.relative_to(PACKAGE).as_posix() for p in (PACKAGE / "datasets").rglob("*")
             if p.is_file() and p.suffix != ".py" and "__pycache__" not in p.parts]
    assert len(files) == 3 * len(DATASETS)
    for f in files:
        assert any(fnmatch.fnmatch(f, pat) for pat in patterns), f


def test_unknown_dataset_names_the_known_ones():
    with pytest.raises(ConfigError, match=r"The 'dataset' parameter must be one of gadre2024, porian2024, "
                                          r"muennighoff2023\. Got 'gadre'\."):
        get_dataset("gadre")


def test_load_dataset_applies_the_mapping_and_lets_columns_override_it():
    runs = load_dataset("gadre2024", where={"dataset": "rpj"}, group_cols=("model_config",))
    assert len(runs) == 35 and runs.source["dataset"] == "gadre2024" and "Gadre" in runs.source["citation"]
    assert runs.source["columns"]["loss"] == "loss_c4_val"
    other = load_dataset("gadre2024", where={"dataset": "rpj"}, loss_col="loss_openlm")
    assert not np.array_equal(other.loss, runs.loss)
    by_flops = load_dataset("gadre2024", flops_col="flops_6ND")  # C replaces the dataset's D column
    assert by_flops.source["columns"]["n_tokens"] is None
    assert by_flops.n_tokens == pytest.approx(load_dataset("gadre2024").n_tokens, rel=1e-9)
    porian = load_dataset("porian2024")
    assert porian.variables == {"n_params", "n_tokens", "flops"} and len(porian) == 1745
    assert load_dataset("muennighoff2023").unique_tokens is not None
