"""The sweep-file reader: every hostile file is one ScalingLabError naming the field, the rule and the value."""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scalinglab.errors import ConfigError, ScalingLabError
from scalinglab.lab.sweep import load_sweep_file

SHAPE = {"n_layers": 1, "d_model": 8, "n_heads": 1}
RUN = {"shape": SHAPE, "n_tokens": 4096}


def _write(folder: Path, data: object, suffix: str = ".json") -> Path:
    path = folder / f"sweep{suffix}"
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


CASES = {  # name: (file content, the message it must give)
    "top level is a list": ([RUN], r"must hold a table \(a JSON object\) at its top level. Got a list"),
    "a run is an integer": ({"runs": [RUN, 5]}, r"Run 1 in the sweep file .* must be a table. Got 5"),
    "runs missing": ({"name": "x"}, r"'runs' field .* must be a non-empty list of tables. Got none"),
    "runs empty": ({"runs": []}, r"'runs' field .* must be a non-empty list"),
    "n_tokens missing": ({"runs": [{"shape": SHAPE}]}, r"'n_tokens' field of run 0 .* is required"),
    "shape missing": ({"runs": [{"n_tokens": 4096}]}, r"'shape' field of run 0 .* is required"),
    "extra shape key": ({"runs": [{**RUN, "shape": {**SHAPE, "n_embd": 8}}]},
                        r"'shape' field of run 0 .* keys among n_layers, .*Got 'n_embd'"),
    "shape key missing": ({"runs": [{**RUN, "shape": {"n_layers": 1, "d_model": 8}}]},
                          r"'shape' field of run 0 .* with n_layers, d_model, n_heads"),
    "string n_layers": ({"runs": [{**RUN, "shape": {**SHAPE, "n_layers": "2"}}]},
                        r"'n_layers' field of run 0 .* must be a whole number. Got '2'"),
    "string n_tokens": ({"runs": [{**RUN, "n_tokens": "4096"}]}, r"'n_tokens' field .* whole number. Got '4096'"),
    "float n_tokens": ({"runs": [{**RUN, "n_tokens": 4096.5}]}, r"'n_tokens' field .* whole number. Got 4096.5"),
    "negative eval_tokens": ({"runs": [{**RUN, "eval_tokens": -100}]},
                             r"'eval_tokens' field of run 0 .* whole number >= 1 and <= 1e\+18. Got -100"),
    "eval_tokens in defaults": ({"defaults": {"eval_tokens": 0}, "runs": [RUN]},
                                r"'eval_tokens' field of 'defaults' .* >= 1 and <= 1e\+18. Got 0"),
    "defaults is a list": ({"defaults": [1], "runs": [RUN]}, r"'defaults' field of the sweep file .* must be a "
                                                             r"table. Got a list"),
    "unknown run field": ({"runs": [{**RUN, "steps": 3}]}, r"Run 0 .* must have fields among .*Got 'steps'"),
    "unknown top-level field": ({"run": [RUN]}, r"unknown top-level field 'run'"),
    "boolean number": ({"runs": [{**RUN, "batch_size": True}]}, r"'batch_size' field .* whole number. Got True"),
    "NaN lr": ('{"runs": [{"shape": {"n_layers": 1, "d_model": 8, "n_heads": 1}, "n_tokens": 4096, "lr": NaN}]}',
               r"'lr' field .* must be a number \(finite\). Got nan"),
    "zero lr": ({"runs": [{**RUN, "lr": 0}]}, r"'lr' field .* must be a number > 0. Got 0"),
    "fraction above 1": ({"runs": [{**RUN, "warmup_frac": 2}]}, r"'warmup_frac' field .* >= 0 and <= 1. Got 2"),
    "string holdout": ({"runs": [{**RUN, "holdout": "yes"}]}, r"'holdout' field .* must be true or false"),
    "huge integer": ({"runs": [{**RUN, "n_tokens": 10**400}]}, r"'n_tokens' field .* whole number >= 1 and "
                                                                 r"<= 1e\+18. Got 1000"),
    "negative budget": ({"runs": [{**RUN, "budget": -1}]}, r"'budget' field .* must be a number > 0. Got -1"),
    "heads do not divide": ({"runs": [{**RUN, "shape": {**SHAPE, "n_heads": 3}}]},
                            r"Run 0 .*'d_model' parameter must be divisible by n_heads=3"),
    "vocab below tokenizer": ({"runs": [{**RUN, "shape": {**SHAPE, "vocab_size": 100}}]},
                              r"'vocab_size' field .* must be >= 256 for tokenizer 'bytes'. Got 100"),
    "bad tokenizer": ({"runs": [{**RUN, "tokenizer": "bpe:1"}]}, r"Run 0 .*'tokenizer' parameter must be"),
    "missing corpus": ({"runs": [{**RUN, "corpus": "/no/such/corpus"}]}, r"'corpus' field of run 0 .*"),
    "empty name": ({"name": "", "runs": [RUN]}, r"'name' field .* non-empty string. Got ''"),
    "duplicate runs": ({"runs": [RUN, RUN]}, r"Run 1 .* must differ from the other runs. Got the same config as run 0"),
    "unknown schedule": ({"runs": [{**RUN, "schedule": "cyclic"}]},
                         r"Run 0 .*'schedule' parameter must be one of cosine, wsd, constant, step. Got 'cyclic'"),
    "zero decay_frac": ({"runs": [{**RUN, "schedule": "wsd", "decay_frac": 0}]},
                        r"'decay_frac' field of run 0 .* must be a number > 0 and <= 1. Got 0"),
    "decay_frac on cosine": ({"runs": [{**RUN, "decay_frac": 0.5}]},
                             r"Run 0 .*'decay_frac' parameter applies to the wsd and step schedules only"),
    "not JSON": ("{runs: [", r"must be readable TOML \(.toml\) or JSON"),
    "deeply nested": ("[" * 100_000, r"must be readable TOML .* too deeply nested"),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_sweep_file_refuses_each_bad_file_in_one_line(tmp_path, case):
    content, message = CASES[case]
    with pytest.raises(ConfigError, match=message) as exc:
        load_sweep_file(_write(tmp_path, content))
    assert "\n" not in str(exc.value)


def test_sweep_file_accepts_integral_floats_and_fills_defaults(tmp_path):
    path = _write(tmp_path, {"name": "mine", "defaults": {"eval_tokens": 2048.0, "batch_size": 8},
                             "runs": [{**RUN, "n_tokens": 1e5, "budget": 1e9}, {**RUN, "seed": 1, "holdout": True}]})
    sweep = load_sweep_file(path)
    assert sweep.name == "mine" and [r.role for r in sweep.runs] == ["train", "holdout"]
    first = sweep.runs[0].config
    assert first.n_tokens == 100_000 and isinstance(first.n_tokens, int) and first.eval_tokens == 2048
    assert first.batch_size == 8 and first.tag == "mine" and sweep.runs[0].budget == 1e9


def test_sweep_file_takes_schedules(tmp_path):
    path = _write(tmp_path, {"runs": [RUN, {**RUN, "schedule": "wsd", "decay_frac": 0.1}, {**RUN, "schedule": "step"}]})
    configs = [r.config for r in load_sweep_file(path).runs]
    assert [(c.schedule, c.decay_frac) for c in configs] == [("cosine", 0.2), ("wsd", 0.1), ("step", 0.2)]


def test_sweep_file_reads_toml(tmp_path):
    text = 'name = "t"\n[defaults]\neval_tokens = 1024\n[[runs]]\nn_tokens = 8192\nshape = {n_layers = 1, ' \
           'd_model = 8, n_heads = 1}\n'
    sweep = load_sweep_file(_write(tmp_path, text, ".toml"))
    assert sweep.name == "t" and sweep.runs[0].config.eval_tokens == 1024


# -- property: whatever the file holds, only a ScalingLabError comes out --------------------------------------

_scalars = (st.none() | st.booleans() | st.integers(min_value=-10**30, max_value=10**30)
            | st.sampled_from([10**18, 10**18 + 1, 10**400])
            | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=8))
_values = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=3)
                       | st.dictionaries(st.text(max_size=6), inner, max_size=3), max_leaves=8)
_shape_keys = st.sampled_from(["n_layers", "d_model", "n_heads", "context", "vocab_size", "tied_embeddings", "x"])
_run_keys = st.sampled_from(["n_tokens", "batch_size", "lr", "min_lr_ratio", "warmup_frac", "weight_decay",
                             "grad_clip", "eval_every_frac", "eval_tokens", "corpus", "tokenizer", "seed", "tag",
                             "budget", "holdout", "shape", "schedule", "decay_frac", "bogus"])


@st.composite
def _hostile_runs(draw):
    run = {"shape": dict(SHAPE), "n_tokens": 4096}
    for key in draw(st.lists(_shape_keys, max_size=3)):
        run["shape"][key] = draw(_values)
    for key in draw(st.lists(_run_keys, max_size=3)):
        run[key] = draw(_values)
    for key in draw(st.lists(st.sampled_from(["shape", "n_tokens"]), max_size=1)):
        run.pop(key)
    return run


_files = st.one_of(
    _values,
    st.fixed_dictionaries({"runs": st.lists(_hostile_runs() | _values, min_size=1, max_size=3)},
                          optional={"name": _values, "defaults": _values | _hostile_runs()}),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(content=_files)
def test_sweep_file_property_only_scalinglab_errors_come_out(content):
    with tempfile.TemporaryDirectory() as folder:
        path = _write(Path(folder), json.dumps(content))
        try:
            sweep = load_sweep_file(path)
        except ScalingLabError as exc:
            assert "\n" not in str(exc)
            return
        # an accepted file plans: every number plan-sweep shows can be computed
        assert sweep.runs and math.isfinite(sweep.estimated_wall_seconds(2)) and sweep.total_flops > 0
