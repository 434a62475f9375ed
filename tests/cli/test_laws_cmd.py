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
