"""fit.design: targets, candidates and the one-line refusals of propose_runs."""

from __future__ import annotations

import warnings
from dataclasses import replace

import numpy as np
import pytest

from scalinglab.errors import ConfigError, DataError
from scalinglab.fit import Runs, fit_law
from scalinglab.fit._design_target import Target, candidate_grid, read_candidates
from scalinglab.fit.design import propose_runs
from scalinglab.flops import training_flops
from scalinglab.laws.chinchilla import ChinchillaParams, predict
from scalinglab.laws.fitted import Identification
from scalinglab.laws.registry import resolve_fitted

TRUE = ChinchillaParams(E=1.8, A=450.0, B=2000.0, alpha=0.34, beta=0.37)


@pytest.fixture(scope="module")
def fitted():
    n, d = (v.ravel() for v in np.meshgrid(np.logspace(7, 9, 4), np.logspace(9, 11, 4)))
    loss = predict(TRUE, n, d) * np.exp(0.01 * np.random.default_rng(0).standard_normal(n.size))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fit_law(Runs.from_arrays(n, d, loss), "chinchilla", n_bootstrap=40, seed=0, starts="coarse")


def test_target_parse_forms():
    assert Target.parse("n_opt@5.76e23") == Target("n_opt", flops=5.76e23)
    assert Target.parse("d_opt@1e22").kind == "d_opt"
    assert Target.parse(" tokens_per_param @ 1e22 ").flops == 1e22
    t = Target.parse("loss@N=70B,D=1.4T")
    assert (t.kind, t.n_params, t.n_tokens) == ("loss", 70e9, 1.4e12)
    assert t.label == "loss@N=7e+10,D=1.4e+12"


@pytest.mark.parametrize("text, words", [
    ("n_opt", "KIND@WHERE"), ("nopt@1e22", "must be one of"), ("n_opt@-1", "must be > 0"),
    ("n_opt@abc", "must be a number"), ("loss@1e9", "N=...,D=..."), ("loss@N=1e9", "N=...,D=..."),
    ("n_opt@1e22@3", "KIND@WHERE"),
])
def test_target_parse_refuses_bad_text(text, words):
    with pytest.raises(ConfigError, match="(?s).*" + words.replace(".", r"\.").replace("(", r"\(")):
        Target.parse(text)


def test_target_values_follow_the_law(fitted):
    law = fitted.law
    n, d = law.compute_optimal(1e22)
    assert Target.parse("n_opt@1e22").value(law) == pytest.approx(n)
    assert Target.parse("d_opt@1e22").value(law) == pytest.approx(d)
    assert Target.parse("tokens_per_param@1e22").value(law) == pytest.approx(d / n)
    assert Target.parse("loss@N=1e9,D=2e10").value(law) == pytest.approx(float(law.loss(1e9, 2e10)))


def test_candidate_grid_keeps_the_limits():
    n, d = candidate_grid(1e7, 1e20, min_tokens=1e9, ratio_range=(2.0, 500.0))
    assert n.size > 100
    assert np.all(training_flops(n, d) <= 1e20 * (1 + 1e-9)) and np.all(d >= 1e9 * (1 - 1e-9))
    assert np.all(n >= 1e7 * (1 - 1e-9)) and np.all(d / n >= 2 * (1 - 1e-9)) and np.all(d / n <= 500 * (1 + 1e-9))
    with pytest.raises(ConfigError, match="must train the smallest candidate"):
        candidate_grid(1e9, 1e15)


def test_read_candidates(tmp_path):
    f = tmp_path / "c.csv"
    f.write_text("params,tokens\n1e8,2e9\n2e8,4e9\n")
    n, d = read_candidates(f)
    assert list(n) == [1e8, 2e8] and list(d) == [2e9, 4e9]
    f.write_text("N,C\n1e8,1.2e18\n")
    n, d = read_candidates(f)
    assert d[0] == pytest.approx(2e9)
    f.write_text("size,loss\n1e8,3\n")
    with pytest.raises(DataError, match="one column of parameters N"):
        read_candidates(f)
    f.write_text("N,D\n1e8,-1\n")
    with pytest.raises(DataError, match="must be finite and > 0"):
        read_candidates(f)


def test_given_candidates_are_the_only_choices(fitted):
    cand = (np.array([1e8, 3e8, 1e9, 2e9]), np.array([2e10, 6e9, 2e10, 4e10]))
    p = propose_runs(fitted, "loss@N=1e10,D=2e11", k=3, max_flops=2e20, candidates=cand)
    picked = {(r.n_params, r.n_tokens) for r in p.runs}
    assert picked <= set(zip(*cand)) and len(picked) == 3
    assert p.n_candidates == 3  # the 4.8e20-FLOP candidate is over the limit


@pytest.mark.parametrize("kwargs, words", [
    ({}, "needs a cost limit"),
    ({"max_flops": 1e21, "budget_total": 1e20}, "must not exceed 'budget_total'"),
    ({"max_flops": 1e10}, "must train the smallest candidate"),
    ({"budget_total": 3e17, "k": 10}, "must afford k=10 runs"),
    ({"max_flops": 1e20, "k": 0}, "'k' parameter must be a whole number >= 1"),
    ({"max_flops": 1e20, "rank": "best"}, "'rank' parameter must be one of"),
    ({"max_flops": -1.0}, "'max_flops' parameter must be > 0"),
])
def test_propose_refuses_bad_limits(fitted, kwargs, words):
    with pytest.raises(ConfigError, match=words):
        propose_runs(fitted, "n_opt@1e21", **kwargs)


def test_propose_refuses_a_law_without_refits():
    with pytest.raises(ConfigError, match="(?s)bootstrap refits.*--n-bootstrap.*'epoch2024' with 0"):
        propose_runs(resolve_fitted("epoch2024"), "n_opt@1e22", max_flops=1e20, min_params=1e7)


def test_unidentified_law_gets_a_proposal_with_a_note(fitted):
    bad = replace(fitted, identification=Identification("not identified", ("beta at the bound of the search box",)))
    p = propose_runs(bad, "n_opt@1e21", k=2, max_flops=1e20)
    assert len(p.runs) == 2 and p.notes[0].startswith("NOT IDENTIFIED") and "beta at the bound" in p.notes[0]
    assert "NOT IDENTIFIED" not in " ".join(propose_runs(fitted, "n_opt@1e21", k=2, max_flops=1e20).notes)
