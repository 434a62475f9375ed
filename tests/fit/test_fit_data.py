from __future__ import annotations

import json

import numpy as np
import pytest

from scalinglab.errors import ConfigError, DataError
from scalinglab.fit import drop_highest_loss, load_runs, select_groups


def _csv(tmp_path, text, name="runs.csv"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_load_runs_flops_only_gives_tokens_c_over_6n(tmp_path):
    p = _csv(tmp_path, "N,C,L\n1e8,6e18,3.0\n2e8,2.4e19,2.8\n")
    runs = load_runs(p, n_params_col="N", flops_col="C", loss_col="L")
    assert runs.n_tokens == pytest.approx([1e10, 2e10])
    assert runs.flops == pytest.approx([6e18, 2.4e19])
    assert len(runs.source["sha256"]) == 64


def test_load_runs_missing_column_lists_available(tmp_path):
    p = _csv(tmp_path, "N,D,L\n1e8,1e9,3.0\n")
    with pytest.raises(DataError, match=r"Column 'loss' must exist in runs.csv. Got columns: N, D, L"):
        load_runs(p, n_params_col="N", n_tokens_col="D", loss_col="loss")


@pytest.mark.parametrize("bad, msg", [("nan", r"Column 'L' row 2 must be finite and > 0. Got 'nan'"),
                                      ("-1", r"Column 'L' row 2 must be finite and > 0. Got '-1'"),
                                      ("abc", r"Column 'L' row 2 must be numeric. Got 'abc'")])
def test_load_runs_rejects_bad_values_with_row(tmp_path, bad, msg):
    p = _csv(tmp_path, f"N,D,L\n1e8,1e9,3.0\n2e8,1e9,{bad}\n")
    with pytest.raises(DataError, match=msg):
        load_runs(p, n_params_col="N", n_tokens_col="D", loss_col="L")


def test_load_runs_rejects_exact_duplicates(tmp_path):
    p = _csv(tmp_path, "N,D,L\n1e8,1e9,3.0\n2e8,1e9,2.9\n1e8,1e9,3.0\n")
    with pytest.raises(DataError, match="duplicate rows 1, 3"):
        load_runs(p, n_params_col="N", n_tokens_col="D", loss_col="L")


def test_load_runs_refuses_tokens_and_flops_together_and_a_file_without_any_variable(tmp_path):
    p = _csv(tmp_path, "N,D,C,L\n1e8,1e9,6e17,3.0\n")
    with pytest.raises(ConfigError, match="At most one of 'n_tokens_col' and 'flops_col'"):
        load_runs(p, n_params_col="N", n_tokens_col="D", flops_col="C", loss_col="L")
    with pytest.raises(ConfigError, match="At least one of 'n_params_col', 'n_tokens_col' and 'flops_col'"):
        load_runs(p, loss_col="L")


def test_load_runs_jsonl_where_and_groups(tmp_path):
    rows = [{"N": 1e8, "D": 1e9, "L": 3.0, "ds": "a"}, {"N": 2e8, "D": 1e9, "L": 2.9, "ds": "b"},
            {"N": 3e8, "D": 1e9, "L": 2.8, "ds": "a"}]
    p = tmp_path / "runs.jsonl"
    p.write_text("\n".join(json.dumps(r) for r in rows))
    runs = load_runs(p, n_params_col="N", n_tokens_col="D", loss_col="L", group_cols=("ds",))
    assert len(select_groups(runs, ds="a")) == 2
    only_b = load_runs(p, n_params_col="N", n_tokens_col="D", loss_col="L", where={"ds": "b"})
    assert only_b.n_params.tolist() == [2e8]


def test_load_runs_parquet_round_trip(tmp_path):
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    p = tmp_path / "runs.parquet"
    pd.DataFrame({"N": [1e8, 2e8], "D": [1e9, 2e9], "L": [3.0, 2.9]}).to_parquet(p)
    runs = load_runs(p, n_params_col="N", n_tokens_col="D", loss_col="L")
    assert runs.loss.tolist() == [3.0, 2.9]


def test_drop_highest_loss_epoch_245_to_240(epoch_runs, shared_data):
    full = load_runs(shared_data / "epoch-chinchilla" / "svg_extracted_data.csv", n_params_col="Model Size",
                     flops_col="Training FLOP", loss_col="loss")
    assert len(full) == 245 and len(epoch_runs) == 240
    assert epoch_runs.loss.max() < np.sort(full.loss)[-5]
    assert epoch_runs.source["filters"] == ["drop_highest_loss(5)"]
    with pytest.raises(ConfigError, match="'k' parameter"):
        drop_highest_loss(epoch_runs, -1)
