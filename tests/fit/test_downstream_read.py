"""Runs with task scores read from wide and long tables, and the one-line errors for bad ones."""

import json

import numpy as np
import pytest

from scalinglab.errors import ConfigError, DataError
from scalinglab.fit import TaskRuns, read_task_runs

WIDE = """run,params,tokens,loss,mmlu,mmlu_loss,piqa,piqa_loss
a,1e8,1e9,3.1,0.30,0.95,0.60,0.90
a,1e8,2e9,3.0,0.32,0.93,0.62,0.88
b,2e8,4e9,2.9,0.35,0.90,0.65,0.86
"""


def _long_rows():
    rows = []
    for run, n, d, loss, scores in (("a", 1e8, 1e9, 3.1, {"mmlu": (0.30, 0.95), "piqa": (0.60, 0.90)}),
                                    ("a", 1e8, 2e9, 3.0, {"mmlu": (0.32, 0.93), "piqa": (0.62, 0.88)}),
                                    ("b", 2e8, 4e9, 2.9, {"mmlu": (0.35, 0.90), "piqa": (0.65, 0.86)})):
        for task, (acc, tl) in scores.items():
            rows.append({"run": run, "params": n, "tokens": d, "loss": loss, "task": task, "metric": "acc",
                         "value": acc})
            rows.append({"run": run, "params": n, "tokens": d, "loss": loss, "task": task, "metric": "bpb",
                         "value": tl})
    return rows


def _write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_wide_and_long_tables_read_the_same_runs(tmp_path):
    wide = tmp_path / "wide.csv"
    wide.write_text(WIDE)
    w = read_task_runs(wide, tasks=["mmlu", "piqa"])
    lg = read_task_runs(_write_jsonl(tmp_path / "long.jsonl", _long_rows()))
    assert w.source["layout"] == "wide" and lg.source["layout"] == "long"
    for r in (w, lg):
        assert r.tasks == ("mmlu", "piqa") and r.run_ids == ["a", "b"]
        assert np.allclose(r.accuracy["mmlu"], [0.30, 0.32, 0.35]) and np.allclose(r.task_loss["piqa"], [0.9, .88, .86])
        assert np.allclose(r.loss, [3.1, 3.0, 2.9])
    final = w.finals(window=2)
    assert final.run.tolist() == ["a", "b"] and final.n_tokens.tolist() == [2e9, 4e9]
    assert final.accuracy["mmlu"][0] == pytest.approx(0.31)  # the mean of run a's last two evaluations


def test_long_error_metric_is_stored_as_accuracy_and_other_metrics_are_listed(tmp_path):
    rows = [{"run": "a", "params": 1e8, "tokens": 1e9, "task": "copa", "metric": "error", "value": 0.3},
            {"run": "a", "params": 1e8, "tokens": 1e9, "task": "copa", "metric": "soft", "value": 0.2}]
    r = read_task_runs(_write_jsonl(tmp_path / "e.jsonl", rows))
    assert r.accuracy["copa"].tolist() == [pytest.approx(0.7)]
    assert r.source["ignored_metrics"] == ["soft"]


def test_checkpoints_skip_the_first_share_and_take_trailing_means():
    runs = TaskRuns.from_arrays(["a"] * 5, [1e8] * 5, [1e9, 2e9, 3e9, 4e9, 5e9],
                                {"t": [0.1, 0.2, 0.3, 0.4, 0.5]})
    cp = runs.checkpoints(skip_fraction=0.2, moving_average=2)  # ceil(0.2 * 5) = 1 left out
    assert np.allclose(cp.accuracy["t"], [0.2, 0.25, 0.35, 0.45])


def test_accuracy_outside_unit_interval_names_column_row_and_hint(tmp_path):
    p = tmp_path / "pct.csv"
    p.write_text(WIDE.replace("0.35,0.90", "35.0,0.90"))
    with pytest.raises(DataError, match=r"Column 'mmlu' row 3 must be an accuracy in \[0, 1\]\. Got '35.0' "
                                        r"\(a percentage\? divide it by 100\)"):
        read_task_runs(p, tasks=["mmlu"])


def test_a_task_missing_from_the_runs_is_one_line(tmp_path):
    p = tmp_path / "w.csv"
    p.write_text(WIDE)
    with pytest.raises(DataError, match=r"Task 'hellaswag' must have an accuracy column 'hellaswag' in w\.csv"):
        read_task_runs(p, tasks=["mmlu", "hellaswag"])
    with pytest.raises(DataError, match=r"Task 'hellaswag' must have accuracy rows in the 'task' column of "
                                        r"l\.jsonl\. Got tasks: mmlu, piqa"):
        read_task_runs(_write_jsonl(tmp_path / "l.jsonl", _long_rows()), tasks=["hellaswag"])
    with pytest.raises(ConfigError, match=r"'tasks' parameter must name the tasks of a wide runs file"):
        read_task_runs(p)


def test_an_evaluation_without_a_tasks_score_is_named(tmp_path):
    rows = [r for r in _long_rows() if not (r["run"] == "b" and r["task"] == "piqa" and r["metric"] == "acc")]
    with pytest.raises(DataError, match=r"Task 'piqa' must have an accuracy for every evaluation in l\.jsonl\. "
                                        r"Got none for run 'b' at D = 4e\+09"):
        read_task_runs(_write_jsonl(tmp_path / "l.jsonl", rows))


def test_runs_must_keep_one_size_and_not_repeat_an_evaluation(tmp_path):
    p = tmp_path / "n.csv"
    p.write_text(WIDE.replace("a,1e8,2e9", "a,3e8,2e9"))
    with pytest.raises(DataError, match=r"Run 'a' must have one parameter count N in every row\. Got 1e\+08 and "
                                        r"3e\+08 \(row 2\)"):
        read_task_runs(p, tasks=["mmlu"])
    rows = _long_rows() + [_long_rows()[0]]
    with pytest.raises(DataError, match=r"Run 'a' at D = 1e\+09 must have one accuracy for task 'mmlu'"):
        read_task_runs(_write_jsonl(tmp_path / "d.jsonl", rows))


def test_from_arrays_refuses_bad_values_by_name():
    with pytest.raises(DataError, match=r"The accuracy of task 't' at position 2 must be in \[0, 1\]\. "
                                        r"Got -0.1\."):
        TaskRuns.from_arrays(["a", "b"], [1e8, 2e8], [1e9, 2e9], {"t": [0.5, -0.1]})
    with pytest.raises(DataError, match=r"'n_params' value at position 1 must be finite and > 0"):
        TaskRuns.from_arrays(["a"], [0.0], [1e9], {"t": [0.5]})
