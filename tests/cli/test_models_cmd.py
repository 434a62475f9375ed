"""``scalinglab models``: the table, the JSON, and one-line errors (through ``main``, as users run it)."""

from __future__ import annotations

import json

import pytest

from scalinglab.catalog import list_models
from scalinglab.cli import main


def _run(capsys, argv):
    main(argv)
    return capsys.readouterr()


def _fails(capsys, argv) -> str:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 1
    out = capsys.readouterr()
    assert out.out == ""
    lines = out.err.strip().splitlines()
    assert len(lines) == 1, out.err
    return lines[0]


def test_models_json_is_one_array_of_placements(capsys):
    data = json.loads(_run(capsys, ["models", "--json"]).out)
    assert [d["model"]["name"] for d in data] == [m.name for m in list_models()]
    assert {d["law"] for d in data} == {"epoch2024"}
    by_name = {d["model"]["name"]: d for d in data}
    assert 0.8 < by_name["Chinchilla"]["overtraining_factor"] < 1.3
    assert by_name["SmolLM3"]["inference_saving"] > 0.9
    assert by_name["Gopher"]["model"]["flops"] == 6.31e23
    assert by_name["SmolLM3"]["model"]["flops"] is None


def test_models_json_with_another_law(capsys):
    data = json.loads(_run(capsys, ["models", "--law", "hoffmann2022", "--json"]).out)
    chin = next(d for d in data if d["model"]["name"] == "Chinchilla")
    assert chin["law"] == "hoffmann2022"
    assert chin["optimal_tokens_per_param"] == pytest.approx(93.0, abs=1.0)


def test_models_table_lists_every_model(capsys):
    out = _run(capsys, ["models"]).out
    assert "epoch2024" in out
    for m in list_models():
        assert m.name in out
    assert "194×" in out  # SmolLM3's over-training factor under the default law


def test_models_show_json_and_text(capsys):
    d = json.loads(_run(capsys, ["models", "show", "smollm3-3b", "--json"]).out)
    assert d["model"]["name"] == "SmolLM3" and d["overtraining_factor"] > 100
    out = _run(capsys, ["models", "show", "Chinchilla", "--law", "hoffmann2022"]).out
    assert "Chinchilla" in out and "hoffmann2022" in out and "Hoffmann et al. 2022" in out
    assert "[S]" in out  # citation tags are printed, not eaten as rich markup


def test_unknown_law_is_one_red_line_and_exit_1(capsys):
    line = _fails(capsys, ["models", "--law", "nope"])
    assert "law" in line and "nope" in line


def test_one_variable_law_is_refused(capsys):
    assert "one-variable" in _fails(capsys, ["models", "--law", "kaplan2020-n", "--json"])


def test_unknown_model_is_one_line_naming_the_choices(capsys):
    line = _fails(capsys, ["models", "show", "gpt-5"])
    assert "'model' parameter" in line and "Chinchilla" in line and "gpt-5" in line
