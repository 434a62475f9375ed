"""Fitting each group (dataset, config) on its own: ``split_groups`` and ``scalinglab fit --by``."""

from __future__ import annotations

import json

import numpy as np
import pytest

from scalinglab.errors import ConfigError
from scalinglab.fit import load_runs, split_groups
from scalinglab.laws.chinchilla import ChinchillaParams, predict

LAWS = {"web": ChinchillaParams(E=1.8, A=450.0, B=2000.0, alpha=0.34, beta=0.37),
        "code": ChinchillaParams(E=1.2, A=300.0, B=900.0, alpha=0.30, beta=0.28)}


@pytest.fixture
def grouped_csv(tmp_path):
    rng = np.random.default_rng(0)
    n, d = np.meshgrid(np.logspace(7, 10, 7), np.logspace(9, 12, 7))
    n, d = n.ravel(), d.ravel()
    lines = ["dataset,N,D,loss"]
    for name, law in LAWS.items():
        loss = predict(law, n, d) * np.exp(0.002 * rng.standard_normal(n.size))
        lines += [f"{name},{a!r},{b!r},{c!r}" for a, b, c in zip(n.tolist(), d.tolist(), loss.tolist())]
    lines += ["tiny,1e8,1e10,3.0", "tiny,2e8,1e10,2.9"]  # too few runs to fit five parameters
    path = tmp_path / "runs.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_split_groups_keeps_order_and_records_the_filter(grouped_csv):
    runs = load_runs(grouped_csv, n_params_col="N", n_tokens_col="D", loss_col="loss", group_cols=["dataset"])
    parts = split_groups(runs, "dataset")
    assert list(parts) == ["web", "code", "tiny"]
    assert [len(p) for p in parts.values()] == [49, 49, 2]
    assert (parts["code"].groups["dataset"] == "code").all()
    assert "select dataset == 'code'" in json.dumps(parts["code"].source)
    with pytest.raises(ConfigError, match="group column 'model'"):
        split_groups(runs, "model")


def test_fit_by_group_fits_each_group_and_keeps_going_past_a_failure(run, grouped_csv, tmp_path):
    code, out, err = run("fit", str(grouped_csv), "--n-params-col", "N", "--n-tokens-col", "D", "--loss-col",
                         "loss", "--starts", "coarse", "--by", "dataset", "--json", "--out",
                         str(tmp_path / "fit.json"))
    assert code == 1  # the "tiny" group failed, and the exit status says so ...
    rep = json.loads(out)  # ... yet every group's result is printed
    assert rep["by"] == "dataset" and list(rep["groups"]) == ["web", "code", "tiny"]
    for name, law in LAWS.items():
        got = rep["groups"][name]
        assert got["n_runs"] == 49
        assert got["params"]["alpha"] == pytest.approx(law.alpha, abs=0.02)
        assert got["params"]["E"] == pytest.approx(law.E, abs=0.05)
        assert (tmp_path / f"fit-{name}.json").exists()
    assert "at least 5" in rep["groups"]["tiny"]["error"]
    assert not (tmp_path / "fit-tiny.json").exists()


def test_fit_by_group_table_output_names_each_group(run, grouped_csv):
    code, out, err = run("fit", str(grouped_csv), "--n-params-col", "N", "--n-tokens-col", "D", "--loss-col",
                         "loss", "--starts", "coarse", "--by", "dataset", "--where", "dataset=web")
    assert code == 0
    assert "dataset = web" in out and "dataset = code" not in out


def test_fit_by_unknown_column_is_one_clear_error(run, grouped_csv):
    code, _, err = run("fit", str(grouped_csv), "--n-params-col", "N", "--n-tokens-col", "D", "--loss-col",
                       "loss", "--by", "model")
    assert code == 1 and "model" in err and "Traceback" not in err
