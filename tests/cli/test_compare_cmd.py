"""`scalinglab compare`: two run sets (files, a store's two sweeps, bundled datasets, saved fits) against each other."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from scalinglab.fit.compare_synth import synthetic_pair
from scalinglab.flops import tokens_for_flops, training_flops

GROWTH = float(np.log(2.0) / np.log(1e3))


def _write_csv(path, runs, **extra):
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["params", "tokens", "loss", *extra])
        for i, row in enumerate(zip(runs.n_params, runs.n_tokens, runs.loss)):
            w.writerow([*row, *(v[i] for v in extra.values())])
    return path


@pytest.fixture(scope="module")
def pair_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("cmp")
    pair = synthetic_pair(1.5, GROWTH, seed=0)
    a, b = _write_csv(d / "a.csv", pair.runs_a), _write_csv(d / "b.csv", pair.runs_b)
    n = len(pair.runs_a)
    both = _write_csv(d / "both.csv", type(pair.runs_a).from_arrays(
        np.r_[pair.runs_a.n_params, pair.runs_b.n_params], np.r_[pair.runs_a.n_tokens, pair.runs_b.n_tokens],
        np.r_[pair.runs_a.loss, pair.runs_b.loss]), method=["adamw"] * n + ["new"] * n)
    return pair, a, b, both


def test_compare_two_files_prints_the_multiplier_and_verdict(run, pair_files):
    pair, a, b, _ = pair_files
    code, out, err = run("compare", str(a), str(b), "--n-bootstrap", "50", "--at", "1e17,1e20,1e22")
    assert code == 0, err
    assert "M(C) = the compute A needs to reach the loss B reaches with C, over C (M > 1: B" in out
    assert "exponents separate: each side its own exponent and E" in out
    assert "advantage with scale: grows" in out and "exponent difference a_B − a_A" in out
    assert "beyond the runs of both" in out  # 1e22 lies beyond the budgets


def test_compare_json_recovers_the_truth_and_where_selects_groups_of_one_file(run, pair_files):
    pair, _, _, both = pair_files
    code, out, err = run("compare", str(both), "--a-where", "method=adamw", "--b-where", "method=new",
                         "--n-bootstrap", "50", "--exponents", "shared", "--json")
    assert code == 0, err
    d = json.loads(out)
    assert d["exponents"] == "shared" and d["verdict"] == "assumed constant" and d["by"] == "compute"
    assert [s["name"] for s in d["sides"]] == ["both.csv [method=adamw]", "both.csv [method=new]"]
    m = d["multipliers"][2]  # the middle of the budgets, where the (growing) truth is 1.5
    assert m["multiplier"] == pytest.approx(1.5, rel=0.15) and m["identified"]


def _two_sweep_store(path, pair):
    """One lab store holding side A as sweep 'adamw' and side B as sweep 'muon' (the lab's paired sweeps)."""
    from scalinglab.lab.config import Checkpoint, ModelShape, RunResult, TrainConfig
    from scalinglab.store import Store

    plans = []
    for sweep, runs in (("adamw", pair.runs_a), ("muon", pair.runs_b)):
        for n, d, y in zip(runs.n_params, runs.n_tokens, runs.loss):
            plans.append((sweep, float(training_flops(n, d)), int(n), float(y)))
    with Store(path) as store:
        for i, (sweep, c, n, _) in enumerate(plans):
            cfg = TrainConfig(shape=ModelShape(1, 8, 1), n_tokens=int(tokens_for_flops(n, c)), seed=i, tag=sweep)
            store.add_runs(sweep, [cfg], budgets=[c])
        while (cfg := store.claim_next("w")) is not None:
            _, c, n, y = plans[cfg.seed]
            d = cfg.n_tokens
            cp = Checkpoint(step=1, tokens=d, flops=training_flops(n, d), train_loss=y, val_loss=y, elapsed_s=1.0)
            store.finish_run(cfg.config_hash(), RunResult(
                config_hash=cfg.config_hash(), n_params=n, n_params_total=n + 100, n_tokens=d,
                flops=training_flops(n, d), final_val_loss=y, final_train_loss=y, seconds=1.0, tokens_per_s=1.0,
                achieved_flops_per_s=1.0, checkpoints=(cp,)))
    return path


def test_compare_two_sweeps_of_one_store(run, tmp_path):
    pair = synthetic_pair(3.0, 0.0, seed=4)
    db = _two_sweep_store(tmp_path / "lab.db", pair)
    code, out, err = run("compare", str(db), "--a-sweep", "adamw", "--b-sweep", "muon", "--exponents", "shared",
                         "--n-bootstrap", "40", "--json")
    assert code == 0, err
    d = json.loads(out)
    assert d["sides"][0]["name"] == f"{db} (sweep adamw)" and d["sides"][1]["kind"] == "isoflop"
    assert d["sides"][0]["n_runs"] == len(pair.runs_a)
    m = d["multipliers"][0]
    assert m["interval"][0] < 3.0 < m["interval"][1] and m["multiplier"] == pytest.approx(3.0, rel=0.12)
    code, _, err = run("compare", str(db), "--a-sweep", "adamw", "--b-where", "method=x")
    assert code == 1 and "--b-where' option keeps rows of a runs file" in err and "--b-sweep" in err


def test_compare_saved_fits_and_refuses_n_bootstrap_for_them(run, tmp_path, pair_files):
    _, a, b, _ = pair_files
    for src, dst in ((a, "fa.json"), (b, "fb.json")):
        code, _, err = run("fit", str(src), "--starts", "coarse", "--n-bootstrap", "20", "--out", str(tmp_path / dst))
        assert code == 0, err
    code, _, err = run("compare", str(tmp_path / "fa.json"), str(tmp_path / "fb.json"))
    assert code == 1 and "Two saved fits carry no runs" in err and "(--at)" in err
    code, out, err = run("compare", str(tmp_path / "fa.json"), str(tmp_path / "fb.json"), "--at", "1e18,1e19", "--json")
    assert code == 0, err
    d = json.loads(out)
    assert [s["kind"] for s in d["sides"]] == ["saved", "saved"] and d["n_pairs"] <= 20
    code, _, err = run("compare", str(tmp_path / "fa.json"), str(tmp_path / "fb.json"), "--n-bootstrap", "10")
    assert code == 1 and "Both sides are saved fits" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("args, message", [
    (["--by", "flops"], "The '--by' option must be one of compute, tokens, params. Got 'flops'."),
    (["--hold", "1e9"], "The 'hold' parameter holds N (by tokens) or D (by params) fixed"),
    (["--at", ","], "The '--at' option must list values"),
    (["--pairs", "consecutive"], "The '--pairs' option chooses the pairs of --split-by groups"),
    (["--split-by", "method"], "so it takes no B"),
    (["--figure", "out.gif"], "must end in .png, .svg or .pdf"),
])
def test_compare_bad_options_are_one_line(run, pair_files, args, message):
    _, a, b, _ = pair_files
    code, _, err = run("compare", str(a), str(b), "--n-bootstrap", "0", *args)
    assert code == 1 and message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_compare_bad_sources_are_one_line(run, tmp_path, pair_files):
    _, a, _, _ = pair_files
    code, _, err = run("compare", str(a), str(tmp_path / "nope.csv"))
    assert code == 1 and "A source must be a runs file, a lab store, a saved fit (.json) or a bundled dataset" in err
    code, _, err = run("compare", str(a))
    assert code == 1 and "Side B needs a source" in err
    code, _, err = run("compare", str(a), str(a), "--a-sweep", "s")
    assert code == 1 and "--a-sweep' option chooses a sweep of a lab store" in err


def test_compare_split_by_compares_every_pair_and_figure_and_out(run, tmp_path, pair_files):
    _, _, _, both = pair_files
    code, out, err = run("compare", str(both), "--split-by", "method", "--n-bootstrap", "20", "--json")
    assert code == 0, err
    d = json.loads(out)
    assert d["split_by"] == "method" and len(d["comparisons"]) == 1
    assert [s["name"] for s in d["comparisons"][0]["sides"]] == ["method=adamw", "method=new"]
    fig, saved = tmp_path / "cmp.png", tmp_path / "cmp.json"
    code, out, err = run("compare", str(both), "--a-where", "method=adamw", "--b-where", "method=new",
                         "--n-bootstrap", "20", "--figure", str(fig), "--out", str(saved))
    assert code == 0, err
    assert fig.read_bytes()[:4] == b"\x89PNG" and json.loads(saved.read_text())["format"] == "scalinglab.comparison"


def test_compare_bundled_porian_configurations(run):
    # the first step of Porian et al.'s path within RefinedWeb train loss (attention FLOPs): correcting the
    # warmup saves compute at small budgets, less at large ones
    code, out, err = run("compare", "porian2024", "--a-where", "paper_label=Counting last layer and attention FLOPs",
                         "--b-where", "paper_label=Correcting warmup (attention FLOPs)", "--at", "1e17,1e19",
                         "--n-bootstrap", "50", "--json")
    assert code == 0, err
    d = json.loads(out)
    small, large = d["multipliers"]
    assert small["interval"][0] > 1.2 and small["multiplier"] > large["multiplier"]
    assert d["verdict"] == "shrinks"
