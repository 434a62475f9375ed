"""`scalinglab laws` and `laws show`."""

import json


def test_list_json_has_every_law(run):
    code, out, _ = run("laws", "--json")
    names = [d["name"] for d in json.loads(out)]
    assert code == 0 and "epoch2024" in names and "gadre2024" in names


def test_show_prints_coefficients_and_source(run):
    code, out, _ = run("laws", "show", "muennighoff2023", "--json")
    d = json.loads(out)
    assert d["coefficients"]["R_D*"] == 15.387756 and "Muennighoff" in d["citation"]
    code, out, _ = run("laws", "show", "epoch2024")
    assert code == 0 and "482.006" in out and "Besiroglu" in out


def test_show_unknown_law_fails_cleanly(run):
    code, _, err = run("laws", "show", "nope")
    assert code == 1 and "'law' parameter" in err and "Traceback" not in err


def test_table_lists_laws(run):
    code, out, _ = run("laws")
    assert code == 0 and "kaplan2020" in out


def test_list_includes_the_curve_laws_marked_apart(run):
    code, out, _ = run("laws", "--json")
    by_name = {d["name"]: d for d in json.loads(out)}
    assert code == 0
    for name in ("multi-power", "annealing"):
        d = by_name[name]
        assert d["kind"] == "training curve" and "not L(N, D)" in d["scope"] and d["formula"].startswith("L0 + A")
    assert by_name["multi-power"]["published"]["100M"]["B"] == 437.9464276
    assert "Luo" in by_name["multi-power"]["citation"] and "Tissue" in by_name["annealing"]["citation"]
    assert by_name["annealing"]["parameters"] == ["L0", "A", "alpha", "C"]
    assert "kind" not in by_name["epoch2024"]  # the scaling laws' entries are as before
    code, out, _ = run("laws")
    assert code == 0 and "Training-curve laws" in out and "multi-power" in out and "annealing" in out
    assert "not L(N, D)" in out


def test_show_curve_law_prints_form_published_parameters_and_scope(run):
    code, out, _ = run("laws", "show", "multi-power")
    assert code == 0 and "training-curve law" in out and "437.946" in out and "400M" in out and "Luo" in out
    code, out, _ = run("laws", "show", "annealing", "--json")
    d = json.loads(out)
    assert code == 0 and d["name"] == "annealing" and d["published"] == {} and "λ = 0.999" in d["notes"]


def test_plan_refuses_a_curve_law_in_one_line(run):
    code, _, err = run("plan", "--flops", "1e21", "--law", "multi-power")
    assert code == 1 and "training-curve law" in err and "Traceback" not in err
