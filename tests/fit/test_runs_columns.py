"""load_runs: columns found by their common names, files that give only one of N, D and C, and repeated rows
judged within a group and cited by their row in the file."""

from __future__ import annotations

import numpy as np
import pytest

from scalinglab.errors import ConfigError, DataError
from scalinglab.fit import fit_chinchilla, fit_family, fit_law, load_runs
from scalinglab.fit.approach2 import fit_approach2

CHINCHILLA = {"n_params", "n_tokens"}


def _csv(tmp_path, text, name="runs.csv"):
    p = tmp_path / name
    p.write_text(text)
    return p


def _power_law_rows(x, e=1.7, a=40.0, alpha=0.3):
    return [(float(v), e + a / float(v) ** alpha) for v in x]


def test_needs_finds_common_names_case_blind_and_records_them(tmp_path):
    p = _csv(tmp_path, "Run,Params,TOKENS,Final-Loss\nr1,1e8,1e9,3.0\nr2,2e8,1e9,2.9\n")
    runs = load_runs(p, needs=CHINCHILLA)
    assert runs.n_params.tolist() == [1e8, 2e8] and runs.n_tokens.tolist() == [1e9, 1e9]
    assert runs.loss.tolist() == [3.0, 2.9]
    assert runs.source["detected"] == {"loss": "Final-Loss", "n_params": "Params", "n_tokens": "TOKENS"}
    assert runs.variables == {"n_params", "n_tokens", "flops"}


def test_needs_keeps_given_columns_and_takes_compute_when_tokens_are_absent(tmp_path):
    p = _csv(tmp_path, "N,compute,loss,other_loss\n1e8,6e18,3.0,9\n2e8,2.4e19,2.8,9\n")
    runs = load_runs(p, loss_col="loss", needs=CHINCHILLA)
    assert runs.n_tokens == pytest.approx([1e10, 2e10])  # D = C/(6N)
    assert runs.source["detected"] == {"n_params": "N", "flops": "compute"}
    runs = load_runs(p, loss_col="other_loss", needs=CHINCHILLA)
    assert runs.loss.tolist() == [9.0, 9.0]


def test_two_candidates_for_one_variable_are_an_error_naming_both(tmp_path):
    p = _csv(tmp_path, "params,n_params,tokens,loss\n1e8,1e8,1e9,3\n")
    with pytest.raises(DataError, match=r"one column of parameters N to pick by name\. Got 2: params, n_params; "
                                        r"choose one with --n-params-col"):
        load_runs(p, needs=CHINCHILLA)
    runs = load_runs(p, n_params_col="n_params", needs=CHINCHILLA)  # naming one settles it
    assert runs.source["columns"]["n_params"] == "n_params"


def test_a_missing_variable_names_what_is_missing_and_lists_the_columns(tmp_path):
    p = _csv(tmp_path, "size,seen,loss\n1e8,1e9,3\n")
    with pytest.raises(DataError, match=r"must have a column of parameters N: give --n-params-col or name the "
                                        r"column one of n_params, params.*Got columns: size, seen, loss\."):
        load_runs(p, needs=CHINCHILLA)
    p = _csv(tmp_path, "params,tokens,xent\n1e8,1e9,3\n")
    with pytest.raises(DataError, match=r"column of final losses: give --loss-col.*Got columns: params, tokens, xent"):
        load_runs(p, needs=CHINCHILLA)


def test_a_one_variable_fit_looks_only_for_its_variable(tmp_path):
    """An N column that would be ambiguous is never looked at when the fit reads only D."""
    p = _csv(tmp_path, "params,n_params,tokens,loss\n1e8,1e8,1e9,3\n2e8,2e8,2e9,2.9\n")
    runs = load_runs(p, needs={"n_tokens"})
    assert runs.variables == {"n_tokens"} and "n_params" not in runs.source["detected"]


def test_tokens_alone_fit_power_law_d_and_refuse_what_needs_n(tmp_path):
    rows = _power_law_rows(np.logspace(8, 11, 12))
    p = _csv(tmp_path, "D,loss\n" + "".join(f"{d},{y}\n" for d, y in rows))
    runs = load_runs(p, n_tokens_col="D", loss_col="loss")
    assert runs.variables == {"n_tokens"} and runs.source["variables"] == ["n_tokens"]
    fit = fit_family("power-law-d", runs, loss="mse")
    assert fit.law.alpha == pytest.approx(0.3, abs=1e-3) and fit.law.E == pytest.approx(1.7, abs=1e-3)
    with pytest.raises(ConfigError, match=r"The 'chinchilla' family needs the parameters N of each run\. Got runs "
                                          r"that give only: tokens D"):
        fit_family("chinchilla", runs)
    with pytest.raises(ConfigError, match="The Chinchilla fit needs the parameters N of each run"):
        fit_chinchilla(runs)  # the engine itself, not only fit_family, refuses the stand-in N
    with pytest.raises(ConfigError, match="Training compute needs the compute C"):
        runs.flops
    with pytest.raises(ConfigError, match=r"Approach 2 \(IsoFLOP profiles\) needs the parameters N and compute C"):
        fit_approach2(runs)
    fitted = fit_law(runs, "power-law-d")  # run scatter without compute: no distance beyond the runs
    assert fitted.scatter is not None and fitted.scatter.flops_max == np.inf and fitted.scatter.n_folds == 0
    assert "no compute" in fitted.scatter.note


def test_compute_alone_fits_power_law_c_with_c_as_given(tmp_path):
    rows = _power_law_rows(np.logspace(17, 21, 12), a=2000.0, alpha=0.15)
    p = _csv(tmp_path, "C,loss\n" + "".join(f"{c},{y}\n" for c, y in rows))
    runs = load_runs(p, flops_col="C", loss_col="loss")
    assert runs.variables == {"flops"}
    assert runs.flops == pytest.approx([c for c, _ in rows], rel=1e-12)
    fit = fit_law(runs, "power-law-c", loss="mse")
    assert fit.law.alpha == pytest.approx(0.15, abs=1e-3)
    assert fit.scatter.n_folds > 0  # compute is known: forward-chaining refits ran
    with pytest.raises(ConfigError, match="'power-law-d' family needs the tokens D"):
        fit_family("power-law-d", runs)


def test_duplicates_are_judged_within_each_group(tmp_path):
    """Two learning-curve groups sharing the same (N, D, loss) design are not duplicates of each other."""
    text = "N,D,loss,ds\n1e8,1e9,3,a\n2e8,1e9,2.9,a\n1e8,1e9,3,b\n2e8,1e9,2.9,b\n"
    p = _csv(tmp_path, text)
    runs = load_runs(p, n_params_col="N", n_tokens_col="D", loss_col="loss", group_cols=("ds",))
    assert len(runs) == 4
    dropped = load_runs(p, n_params_col="N", n_tokens_col="D", loss_col="loss", group_cols=("ds",),
                        duplicates="drop")
    assert len(dropped) == 4 and "filters" in dropped.source and not dropped.source["filters"]
    with pytest.raises(DataError, match="duplicate rows 1, 3 "):  # without the group, they are repeats
        load_runs(p, n_params_col="N", n_tokens_col="D", loss_col="loss")
    p = _csv(tmp_path, text + "1e8,1e9,3,b\n")
    with pytest.raises(DataError, match=r"\(N, D, loss, ds\)\. Got duplicate rows 3, 5 of runs\.csv \(its data rows, "
                                        r"counted from 1 without the header and before any filter\) with N = 1e\+08, "
                                        r"D = 1e\+09, loss = 3, ds = 'b'"):
        load_runs(p, n_params_col="N", n_tokens_col="D", loss_col="loss", group_cols=("ds",))
    assert len(load_runs(p, n_params_col="N", n_tokens_col="D", loss_col="loss", group_cols=("ds",),
                         duplicates="drop")) == 4


def test_duplicate_rows_are_cited_by_file_row_and_line_after_a_where_filter(tmp_path):
    p = _csv(tmp_path, "N,D,loss,ds\n1,1,1,b\n1e8,1e9,3,a\n\n2e8,1e9,2.9,a\n1e8,1e9,3,a\n")
    with pytest.raises(DataError, match=r"duplicate rows 2, 4 \(line 6\) of runs\.csv"):
        load_runs(p, n_params_col="N", n_tokens_col="D", loss_col="loss", where={"ds": "a"})
