"""Runs files as users really hand them over: every bad one gives one line naming file, row, column and
rule (never a traceback, never a silently wrong run), and a property test throws random files at it."""

from __future__ import annotations

import csv
import gzip
import importlib.util
import io
import json
import os
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from scalinglab.errors import DataError, ScalingLabError
from scalinglab.fit import load_runs

HAS_PARQUET = all(importlib.util.find_spec(m) for m in ("pandas", "pyarrow"))  # the optional [data] extra
if HAS_PARQUET:
    import pandas as pd

COLS = ("--n-params-col", "N", "--n-tokens-col", "D", "--loss-col", "loss")
GOOD = "N,D,loss\n1e8,1e9,3.0\n2e8,1e9,2.9\n"


def _parquet_bytes(frame_cols: dict) -> bytes:
    if not HAS_PARQUET:
        pytest.skip("Parquet needs pandas and pyarrow (scalinglab[data])")
    buf = io.BytesIO()
    pd.DataFrame(frame_cols).to_parquet(buf)
    return buf.getvalue()


# (id, file name, content, substrings the one error line must hold)
CASES = [
    ("latin1", "runs.csv", "N,D,loss,note\n1e8,1e9,3.0,café\n".encode("latin-1"),
     ["runs.csv must be UTF-8 text", "0xe9 on line 2"]),
    ("gzip", "runs.csv", gzip.compress(GOOD.encode()), ["must be CSV text", "gzip-compressed"]),
    ("xlsx", "runs.csv", b"PK\x03\x04" + bytes(40), ["zip archive"]),
    ("utf16", "runs.csv", GOOD.encode("utf-16"), ["UTF-16"]),
    ("nul", "runs.csv", b"N,D,loss\n1e8,1e9\x00,3\n", ["NUL byte on line 2"]),
    ("huge-field", "runs.csv", ("N,D,loss,note\n1e8,1e9,3.0," + "x" * 200_000 + "\n").encode(),
     ["at most 131,072 characters", "line 2"]),
    ("unclosed-quote", "runs.csv", b'N,D,loss\n1e8,1e9,"3.0\n2e8,1e9,2.9\n', ["valid CSV", "line 2", "quote"]),
    ("ragged", "runs.csv", b"N,D,loss\n1e8,1e9,3.0\n2e8,1e9,2.9,7\n", ["Row 2 (line 3)", "3 fields", "Got 4"]),
    ("duplicate-column", "runs.csv", b"N,D,N,loss\n1,2,3,4\n", ["Column names", "unique", "'N' twice"]),
    ("empty", "runs.csv", b"", ["header row", "empty file"]),
    ("header-only", "runs.csv", b"N,D,loss\n", ["at least one data row", "only the header", "N, D, loss"]),
    ("bom", "runs.csv", b"\xef\xbb\xbfN,D,loss\n1e8,1e9,3.0\nabc,1e9,2.9\n", ["Column 'N' row 2", "numeric", "'abc'"]),
    ("semicolons", "runs.csv", b"N;D;loss\n1;2;3\n", ["Column 'N' must exist", "separated by ';'"]),
    ("spaced-name", "runs.csv", b"N, D,loss\n1,2,3\n", ["Column 'D' must exist", "did you mean ' D'"]),
    ("jsonl-mixed-keys", "runs.jsonl", b'{"N": 1e8, "D": 1e9, "loss": 3}\n{"N": 2e8, "loss": 2.9}\n',
     ["Column 'D' row 2", "must have a value", "keys: N, loss"]),
    ("jsonl-array-line", "runs.jsonl", b'{"N": 1e8, "D": 1e9, "loss": 3}\n[1,2]\n',
     ["Line 2", "must be a JSON object", "an array", "[1,2]"]),
    ("jsonl-number-line", "runs.jsonl", b'{"N": 1e8, "D": 1e9, "loss": 3}\n\n3\n', ["Line 3", "a number"]),
    ("jsonl-bad-json", "runs.jsonl", b'{"N": 1e8, "D": 1e9, "loss": 3\n', ["Line 1", "valid JSON"]),
    ("jsonl-duplicate-key", "runs.jsonl", b'{"N": 1e8, "N": 2e8, "D": 1e9, "loss": 3}\n', ["repeat a key", "'N'"]),
    ("jsonl-true", "runs.jsonl", b'{"N": true, "D": 1e9, "loss": 3}\n', ["Column 'N' row 1", "not a boolean", "true"]),
    ("jsonl-null", "runs.jsonl", b'{"N": 1e8, "D": null, "loss": 3}\n', ["Column 'D' row 1", "number", "null"]),
    ("jsonl-blank-lines", "runs.jsonl", b'\n{"N": 1e8, "D": 1e9, "loss": 3}\n\n{"N": 2e8, "D": 1e9, "loss": -1}\n',
     ["Column 'loss' row 2 (line 4)", "finite and > 0", "-1"]),
    ("json-array-bad-value", "runs.json",
     json.dumps([{"N": 1e8 * (i + 1), "D": 1e9, "loss": 3.0, "note": "x" * 5000} for i in range(2)]
                + [{"N": 3e8, "D": 1e9, "loss": "y" * 5000}]).encode(),
     ["Column 'loss' row 3", "numeric", "5,000 characters"]),
    ("json-object", "runs.json", json.dumps({"runs": [{"N": 1}] * 1000}).encode(),
     ["JSON array of objects", "keys runs"]),
    ("json-bool-element", "runs.json", b"[true]", ["Element 1", "JSON object", "a boolean"]),
    ("json-bad", "runs.json", b'[{"N": 1e8} {"N": 2e8}]', ["valid JSON", "line 1, column 13"]),
    ("csv-named-parquet", "runs.parquet", GOOD.encode(), ["must be a Parquet file", "name it .csv"]),
    ("corrupt-parquet", "runs.parquet", b"PAR1" + bytes(range(256)) * 2 + b"PAR1", ["readable Parquet file"]),
    ("cut-parquet", "runs.parquet", None, ["does not end with it"]),
    ("parquet-bool", "runs.parquet", None, ["Column 'N' row 1", "not a boolean", "true"]),
    ("directory", "runs.csv", "dir", ["must be a file", "directory"]),
    ("unreadable", "runs.csv", "chmod", ["must be readable", "ermission denied"]),
    ("missing", "runs.csv", "absent", ["must exist"]),
    ("fifo", "runs.csv", "fifo", ["must be a regular file", "pipe"]),
]


def _write(tmp_path: Path, name: str, content, case: str, monkeypatch) -> Path:
    path = tmp_path / name
    if case.startswith("cut-parquet"):
        content = _parquet_bytes({"N": [1e8], "D": [1e9], "loss": [3.0]})[:-10]
    elif case == "parquet-bool":
        content = _parquet_bytes({"N": [True, True], "D": [1e9, 2e9], "loss": [3.0, 2.9]})
    elif case == "corrupt-parquet" and not HAS_PARQUET:
        pytest.skip("Parquet needs pandas and pyarrow (scalinglab[data])")
    if content == "dir":
        path.mkdir()
    elif content == "fifo":
        if not hasattr(os, "mkfifo"):
            pytest.skip("no named pipes on this platform")
        os.mkfifo(path)  # reading it would wait for a writer forever
    elif content == "chmod":
        path.write_text(GOOD)
        path.chmod(0)
        if os.access(path, os.R_OK):  # root reads anything: make the read fail as it would for a user
            real = Path.read_bytes

            def denied(self):
                if self == path:
                    raise PermissionError(13, "Permission denied", str(self))
                return real(self)

            monkeypatch.setattr(Path, "read_bytes", denied)
    elif content != "absent":
        path.write_bytes(content)
    return path


@pytest.mark.parametrize("case, name, content, expected", CASES, ids=[c[0] for c in CASES])
def test_fit_cli_hostile_runs_file_one_error_line(run, tmp_path, monkeypatch, case, name, content, expected):
    path = _write(tmp_path, name, content, case, monkeypatch)
    code, out, err = run("fit", str(path), *COLS)
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 1, (out, err)
    assert "Traceback" not in out + err
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert len(lines[0]) < 320, lines[0]  # values are excerpts, never the file
    for text in expected:
        assert text in lines[0], lines[0]
    assert "'where'" not in lines[0]  # no filter was given: it must not be blamed


def test_load_runs_bom_json_and_tsv_read_as_the_csv(tmp_path):
    want = load_runs(_write(tmp_path, "a.csv", GOOD.encode(), "", None), n_params_col="N", n_tokens_col="D",
                     loss_col="loss")
    rows = [{"N": 1e8, "D": 1e9, "loss": 3.0}, {"N": 2e8, "D": 1e9, "loss": 2.9}]
    for name, content in (("bom.csv", b"\xef\xbb\xbf" + GOOD.encode()), ("runs.json", json.dumps(rows).encode()),
                          ("runs.tsv", GOOD.replace(",", "\t").encode()),
                          ("crlf.csv", GOOD.replace("\n", "\r\n").encode() + b",,\r\n\r\n")):
        got = load_runs(_write(tmp_path, name, content, "", None), n_params_col="N", n_tokens_col="D",
                        loss_col="loss")
        for col in ("n_params", "n_tokens", "loss"):
            assert getattr(got, col).tolist() == getattr(want, col).tolist(), name


def test_load_runs_duplicates_cite_file_rows_after_where(tmp_path):
    path = _write(tmp_path, "runs.csv", b"N,D,loss,ds\n1,1,1,b\n1e8,1e9,3,a\n2e8,1e9,2.9,a\n1e8,1e9,3,a\n", "", None)
    with pytest.raises(DataError, match="duplicate rows 2, 4 "):
        load_runs(path, n_params_col="N", n_tokens_col="D", loss_col="loss", where={"ds": "a"})


def test_load_runs_label_columns_refuse_null_and_filter_skips_rows_without_the_column(tmp_path):
    lines = [{"N": 1e8, "D": 1e9, "loss": 3, "ds": "a"}, {"N": 2e8, "D": 1e9, "loss": 2.9, "ds": None},
             {"N": 3e8, "D": 1e9, "loss": 2.8}]
    path = _write(tmp_path, "runs.jsonl", "\n".join(json.dumps(r) for r in lines).encode(), "", None)
    with pytest.raises(DataError, match="Column 'ds' row 2 must hold a label. Got null"):
        load_runs(path, n_params_col="N", n_tokens_col="D", loss_col="loss", group_cols=("ds",))
    only_a = load_runs(path, n_params_col="N", n_tokens_col="D", loss_col="loss", where={"ds": "a"})
    assert only_a.n_params.tolist() == [1e8]


def test_load_runs_flops_giving_tokens_out_of_float_range_names_the_row(tmp_path):
    path = _write(tmp_path, "runs.csv", b"N,C,loss\n1e8,6e18,3\n1e-300,1e300,3\n", "", None)
    with pytest.raises(DataError, match=r"Column 'C' row 2 must give tokens D = C/\(6N\) that are finite"):
        load_runs(path, n_params_col="N", flops_col="C", loss_col="loss")


# --- property: whatever the file, finite positive runs or a ScalingLabError --------------------------------

NAMES = st.sampled_from(["N", "D", "loss", "x", "", "N ", "\ufeffN", "é"]) | st.text(max_size=4)
GOOD_NUMBERS = st.floats(min_value=1e-3, max_value=1e12)
CELLS = (GOOD_NUMBERS.map(repr) | GOOD_NUMBERS.map(repr) | st.integers(1, 10**6).map(str)
         | st.sampled_from(["nan", "inf", "-inf", "", "true", "True", "1e400", "-1", "0", "１２３", "1_000", "0x10",
                            '"', "a,b", "\r", "\n", "None", "a"])
         | st.floats().map(repr) | st.integers().map(str) | st.text(max_size=8))
JSON_VALUES = (GOOD_NUMBERS | GOOD_NUMBERS | st.none() | st.booleans() | st.floats()
               | st.integers(min_value=-10**30, max_value=10**30) | st.text(max_size=6)
               | st.lists(st.integers(), max_size=2) | CELLS)
RUN_OBJECTS = st.fixed_dictionaries({"N": JSON_VALUES, "D": JSON_VALUES, "loss": JSON_VALUES},
                                    optional={"x": st.sampled_from(["a", "b", None, 1.0])})
OBJECTS = RUN_OBJECTS | RUN_OBJECTS | st.dictionaries(NAMES, JSON_VALUES, max_size=5)
SUFFIXES = st.sampled_from([".csv", ".tsv", ".jsonl", ".json", ".parquet", ".txt"])


def _csv_bytes(header: list[str], rows: list[list[str]], sep: str = ",") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=sep)
    writer.writerows([header, *(r[:len(header)] + [""] * (len(header) - len(r)) for r in rows)])
    return out.getvalue().encode()


def _raw_csv(header: list[str], rows: list[list[str]], sep: str) -> bytes:
    return "\n".join(sep.join(r) for r in [header, *rows]).encode()


@st.composite
def _runs_file(draw, hostile: bool = True) -> tuple[str, bytes, list[dict]]:
    """Runs that would load, in any format, with (when ``hostile``) at most one cell made hostile; also the
    rows written."""
    n = draw(st.lists(GOOD_NUMBERS, min_size=1, max_size=6, unique=True))
    rows = [{"N": v, "D": draw(GOOD_NUMBERS), "loss": draw(GOOD_NUMBERS), "x": draw(st.sampled_from(["a", "b"]))}
            for v in n]
    fmt = draw(st.sampled_from(["csv", "jsonl", "json"] + (["parquet"] if HAS_PARQUET else [])))
    if hostile and draw(st.booleans()):
        row = rows[draw(st.integers(0, len(rows) - 1))]
        bad = {"csv": CELLS, "parquet": st.floats() | st.none()}.get(fmt, JSON_VALUES)
        row[draw(st.sampled_from(["N", "D", "loss"] if fmt == "parquet" else sorted(row)))] = draw(bad)
    if fmt == "csv":
        return ".csv", _csv_bytes(["N", "D", "loss", "x"], [[str(v) for v in r.values()] for r in rows]), rows
    if fmt == "jsonl":
        return ".jsonl", "\n".join(json.dumps(r) for r in rows).encode(), rows
    if fmt == "json":
        return ".json", json.dumps(rows).encode(), rows
    frame = pd.DataFrame(rows)
    if hostile:
        col, kind = draw(st.sampled_from(["N", "D", "loss"])), draw(st.sampled_from([float, str, bool]))
        frame[col] = frame[col].astype(kind)  # numbers stored as text, or a flag column picked by mistake
    buf = io.BytesIO()
    frame.to_parquet(buf)
    return ".parquet", buf.getvalue(), rows


FILES = st.one_of(
    _runs_file().map(lambda f: f[:2]), _runs_file().map(lambda f: f[:2]),
    st.tuples(SUFFIXES, st.binary(max_size=200)),
    st.tuples(SUFFIXES, st.binary(max_size=60).map(lambda b: b"PAR1" + b + b"PAR1")),
    st.builds(lambda h, rows, sep: (".csv", _raw_csv(h, rows, sep)), st.lists(NAMES, max_size=5),
              st.lists(st.lists(CELLS, max_size=5), max_size=6), st.sampled_from([",", ";", "\t"])),
    st.builds(lambda h, rows: (".csv", _csv_bytes(h, rows)),
              st.permutations(["N", "D", "loss", "x"]) | st.lists(NAMES, min_size=1, max_size=5),
              st.lists(st.lists(CELLS, min_size=4, max_size=4), min_size=1, max_size=6)),
    st.builds(lambda lines: (".jsonl", "\n".join(lines).encode()),
              st.lists(OBJECTS.map(json.dumps) | st.text(max_size=10) | JSON_VALUES.map(json.dumps), max_size=6)),
    st.builds(lambda rows: (".json", json.dumps(rows).encode()), st.lists(OBJECTS | JSON_VALUES, max_size=6)),
)
OPTIONS = st.sampled_from([{"n_tokens_col": "D"}, {"flops_col": "D"}, {"n_tokens_col": "D", "where": {"x": "a"}},
                           {"n_tokens_col": "D", "group_cols": ("x",), "run_col": "x"},
                           {"n_tokens_col": "D", "duplicates": "drop"}])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(file=FILES, options=OPTIONS)
def test_load_runs_any_file_gives_valid_runs_or_one_scalinglab_error(tmp_path_factory, file, options):
    suffix, content = file
    path = tmp_path_factory.mktemp("hostile", numbered=True) / f"runs{suffix}"
    path.write_bytes(content)
    try:
        runs = load_runs(path, n_params_col="N", loss_col="loss", **options)
    except ScalingLabError as exc:
        message = str(exc)
        event(f"{type(exc).__name__}: {re.sub(r'[^a-zA-Z ]', '', message)[:40]}")
        assert "\n" not in message and len(message) < 400, message
        return
    for values in (runs.n_params, runs.n_tokens, runs.loss):
        assert values.dtype == float and np.isfinite(values).all() and (values > 0).all()
    assert len(runs) >= 1
    event("runs")


@settings(max_examples=50, deadline=None)
@given(file=_runs_file(hostile=False))
def test_load_runs_clean_runs_in_any_format_load_as_written(tmp_path_factory, file):
    suffix, content, rows = file
    path = tmp_path_factory.mktemp("clean", numbered=True) / f"runs{suffix}"
    path.write_bytes(content)
    runs = load_runs(path, n_params_col="N", n_tokens_col="D", loss_col="loss", group_cols=("x",))
    assert runs.n_params.tolist() == [r["N"] for r in rows]
    assert runs.n_tokens.tolist() == [r["D"] for r in rows]
    assert runs.loss.tolist() == [r["loss"] for r in rows]
    assert runs.groups["x"].tolist() == [r["x"] for r in rows]
