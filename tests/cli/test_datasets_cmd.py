"""`scalinglab datasets` and `scalinglab fit --dataset NAME`: the bundled tables listed, shown and fitted without
column options, each fit finite and near what its paper reports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scalinglab.datasets import DATASETS


def _one_error(code: int, err: str, *fragments: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code != 0 and len(lines) == 1 and "Traceback" not in err, err
    for f in fragments:
        assert f in lines[0], lines[0]
    return lines[0]


def test_datasets_lists_each_with_rows_licence_citation_and_a_fit_command(run):
    code, out, err = run("datasets", "--json")
    assert code == 0, err
    rows = {d["name"]: d for d in json.loads(out)}
    assert list(rows) == ["gadre2024", "porian2024", "muennighoff2023"]
    assert rows["gadre2024"]["rows"] == 104 and rows["porian2024"]["rows"] == 1745
    assert rows["muennighoff2023"]["citation"].startswith('Muennighoff et al. (2023), "Scaling Data-Constrained')
    assert rows["gadre2024"]["command"] == "scalinglab fit --dataset gadre2024 --family over-training --by dataset"
    assert all(d["licence"] == "MIT" and Path(d["path"]).is_file() for d in rows.values())
    code, out, _ = run("datasets")
    assert code == 0
    for name in DATASETS:
        assert name in out
    assert "arXiv:2406.19146" in out and "MIT" in out


def test_datasets_name_shows_files_and_path_prints_only_the_csv(run):
    code, out, err = run("datasets", "porian2024", "--path")
    assert code == 0, err
    path = Path(out.strip())
    assert path.name == "porian_isoflop_points.csv" and path.is_file()
    code, out, _ = run("datasets", "muennighoff2023")
    assert code == 0 and "LICENSE.txt" in out and "16f23bbe054277ddc4afd07a972dd7cfbe3f48c3" in out
    assert "unique_tokens = tokens_per_epoch" in out


@pytest.mark.parametrize("argv, fragments", [
    (("datasets", "chinchilla"), ("'dataset' parameter must be one of gadre2024, porian2024, muennighoff2023",
                                  "Got 'chinchilla'")),
    (("datasets", "--path"), ("'--path' option needs a dataset NAME", "Got --path alone")),
    (("datasets", "gadre2024", "--path", "--json"), ("'--path' option prints a bare path", "Got both")),
    (("fit", "--dataset", "nope"), ("must be one of gadre2024", "Got 'nope'")),
    (("fit", "runs.csv", "--dataset", "gadre2024"), ("'--dataset' option names the runs to fit",
                                                     "Got PATH 'runs.csv' with --dataset 'gadre2024'")),
    (("fit", "--dataset", "gadre2024", "--store", "lab.db"), ("takes no runs file PATH or --store",
                                                              "--dataset 'gadre2024' with --store 'lab.db'")),
    (("fit", "--dataset", "gadre2024", "--sweep", "s"), ("'--sweep' option chooses a sweep of a lab store",)),
])
def test_refused_combinations_are_one_line(run, argv, fragments):
    code, _, err = run(*argv)
    _one_error(code, err, *fragments)


def test_fit_dataset_gadre_without_column_options(run):
    """The mapping supplies N, D and C4-eval loss; --where and --family still apply; the line on stderr says
    which columns were read and that the runs fall into --by dataset groups."""
    code, out, err = run("fit", "--dataset", "gadre2024", "--where", "dataset=rpj", "--family", "power-law-c",
                         "--n-bootstrap", "0", "--json")
    assert code == 0, err
    assert "N = params, D = tokens, loss = loss_c4_val" in err and "--by dataset fits each" in err
    d = json.loads(out)
    assert d["family"] == "power-law-c" and d["n_runs"] == 35
    assert 0.05 < d["params"]["alpha"] < 0.3 and 1.0 < d["params"]["E"] < 2.5  # L(C) of RedPajama runs
    code, out, err = run("fit", "--dataset", "gadre2024", "--where", "dataset=rpj", "--family", "power-law-c",
                         "--loss-col", "loss_openlm", "--json")  # an explicit column overrides the mapping
    assert code == 0, err
    assert "loss = loss_openlm" in err
    assert json.loads(out)["params"] != d["params"]


def test_fit_dataset_porian_isoflop_by_configuration_walks_from_kaplan_to_chinchilla(run):
    """Porian et al.'s path: N*(C) exponent 0.835 (reproducing Kaplan) -> 0.497 (tuned AdamW) in their weighted
    fit; the unweighted parabola minima give the same descent, near those ends."""
    code, out, err = run("fit", "--dataset", "porian2024", "--approach", "isoflop", "--by", "paper_label", "--json")
    assert code == 0, err
    groups = json.loads(out)["groups"]
    assert len(groups) == 15
    path = ["Reproducing Kaplan et al.", "Counting last layer FLOPs", "Correcting warmup", "Cosine decay",
            "Optimizer tuning (no decay)"]
    a = [groups[k]["n_opt_fit"]["exponent"] for k in path]
    assert a == sorted(a, reverse=True)
    assert a[0] == pytest.approx(0.835, abs=0.06) and a[-1] == pytest.approx(0.497, abs=0.05)


def test_fit_dataset_muennighoff_uses_the_data_constrained_family_and_unique_tokens(run):
    code, out, err = run("fit", "--dataset", "muennighoff2023", "--n-bootstrap", "0", "--json")
    assert code == 0, err
    assert "unique tokens = tokens_per_epoch" in err
    d = json.loads(out)
    assert d["family"] == "data-constrained" and d["n_runs"] == 229  # the dataset's family, not chinchilla
    p = d["params"]
    assert all(0 < v < 1e6 for v in p.values())
    assert p["R_D*"] == pytest.approx(15.39, rel=0.2)  # the paper's R_D* (datablations README)
    assert 1.0 < p["E"] < 2.5 and 0.1 < p["alpha"] < 0.6
