"""Hostile law files and law arguments: one clear line naming the field, never a traceback or a silent NaN.

Each class of bad file found by the reliability pass (issue #11) is a row of one table, run through the Python
loaders and through ``scalinglab plan`` and ``scalinglab laws show``; a property test throws random JSON, random
bytes and valid documents with one field broken at the loaders.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scalinglab.errors import ConfigError, ScalingLabError
from scalinglab.laws import (FittedLaw, Identification, RunScatter, get_law, law_to_dict, list_laws, load_fitted,
                             load_law, resolve_fitted, resolve_law)
from scalinglab.laws.io import build_law, fitted_to_dict


def _fitted_doc(name: str = "epoch2024") -> dict:
    """A version-2 document with everything a fit writes: refits, scatter, verdict, summary, audit."""
    law = get_law(name)
    refits = tuple(build_law(law.family, f"{law.name}[{i}]", {k: v * f for k, v in law.coefficients().items()
                                                              if k != "x_c"}, law.citation, "",
                             getattr(law, "variable", None)) for i, f in enumerate((0.98, 1.0, 1.02)))
    fitted = FittedLaw(law, Identification("identified", (), "", 3, 0, ()), refits,
                       RunScatter(0.02, 30, 0.05, 1e21, 3, "kappa from 3 refits"), 0.9,
                       {"n_runs": 33, "created_utc": "2026-01-01T00:00:00Z"}, {"objective": 0.01}, {"mape": 0.01})
    return json.loads(json.dumps(fitted_to_dict(fitted)))  # what a file holds (tuples become arrays)


V1 = law_to_dict(get_law("epoch2024"))
V2 = _fitted_doc()
KAPLAN = law_to_dict(get_law("kaplan2020"))


def _with(doc: dict, path: str, value) -> dict:
    """A copy of ``doc`` with the field at dotted ``path`` set to ``value`` (deleted when ``value`` is ...)."""
    out = json.loads(json.dumps(doc))
    *parents, last = path.split(".")
    node = out
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    if value is ...:
        del node[last]
    elif isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return out


def _text(doc) -> str:
    return json.dumps(doc)


#: (id, file content: str, bytes, a document, or None for a directory; a word every message must contain)
CASES = [
    ("array-top", [1, 2], "JSON object"),
    ("null-top", "null", "JSON object"),
    ("string-coefficient", _with(V1, "coefficients.A", "big"), "'coefficients.A'"),
    ("nan-coefficient", _text(_with(V1, "coefficients.E", float("nan"))), "'coefficients.E'"),
    ("inf-coefficient", _text(_with(V1, "coefficients.B", float("inf"))), "'coefficients.B'"),
    ("zero-exponent", _with(V1, "coefficients.alpha", 0), "'coefficients.alpha'"),
    ("negative-exponent", _with(V1, "coefficients.beta", -0.3), "'coefficients.beta'"),
    ("bool-coefficient", _with(V1, "coefficients.A", True), "'coefficients.A'"),
    ("missing-coefficient", _with(V1, "coefficients.beta", ...), "'coefficients.beta'"),
    ("unknown-coefficient", _with(V1, "coefficients.gamma", 1.0), "'coefficients'"),
    ("latin-1", json.dumps(_with(V1, "name", "café"), ensure_ascii=False).encode("latin-1"), "UTF-8"),
    ("directory", None, "directory"),
    ("deep-nesting", "[" * 100_000 + "]" * 100_000, "nest"),
    ("nested-64-plus", _with(V1, "provenance", json.loads("[" * 80 + "]" * 80)), "nest"),
    ("int-too-big-for-float", _text(V1).replace('"A": 482.006', '"A": 1' + "0" * 400), "'coefficients.A'"),
    ("int-over-4300-digits", _text(V1).replace('"A": 482.006', '"A": ' + "1" * 5000), "valid JSON"),
    ("unknown-format-version", _with(V1, "format_version", 7), "'format_version'"),
    ("unknown-fitted-version", _with(V2, "format_version", 3), "'format_version'"),
    ("unknown-format", _with(V1, "format", "scalinglab.lawz"), "'format'"),
    ("unknown-key", _with(V1, "bogus", 1), "'bogus'"),
    ("unknown-key-v2", _with(V2, "scatter.bogus", 1), "'bogus'"),
    ("kaplan-nan", _text(_with(KAPLAN, "coefficients.N_c", float("nan"))), "'coefficients.N_c'"),
    ("duplicate-key", _text(V1)[:-1] + ', "name": "again"}', "'name' appears twice"),
    ("lone-surrogate", _text(V1).replace('"epoch2024"', '"\\ud800"'), "Unicode"),
    ("not-json", "{not json", "valid JSON"),
    ("empty-file", "", "valid JSON"),
    ("wrong-family", _with(V1, "family", ["chinchilla"]), "'family'"),
    ("empty-name", _with(V1, "name", " "), "'name'"),
    ("citation-year", _with(V1, "citation.year", "2024"), "'citation.year'"),
    ("variable-on-chinchilla", _with(V1, "variable", "flops"), "'variable'"),
    ("v2-sample-nan", _text(_with(V2, "samples.1.alpha", float("nan"))), "'samples[1].alpha'"),
    ("v2-scatter-df", _with(V2, "scatter.df", 0), "'scatter.df'"),
    ("v2-level", _with(V2, "level", 1.5), "'level'"),
    ("v2-status", _with(V2, "identification.status", "fine"), "'identification.status'"),
    ("v2-law-not-object", _with(V2, "law", "epoch2024"), "'law'"),
    ("v2-missing-identification", _with(V2, "identification", ...), "'identification'"),
]


def _write(tmp_path: Path, case_id: str, content) -> Path:
    path = tmp_path / f"{case_id}.json"
    if content is None:
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, str):
        path.write_text(content, encoding="utf-8", errors="surrogatepass")
    else:
        path.write_text(json.dumps(content))
    return path


@pytest.mark.parametrize(("case_id", "content", "word"), CASES, ids=[c[0] for c in CASES])
def test_hostile_law_file_is_one_config_error_naming_the_field(tmp_path, case_id, content, word):
    path = _write(tmp_path, case_id, content)
    for load in (load_fitted, load_law):
        with pytest.raises(ConfigError) as info:
            load(path)
        msg = str(info.value)
        assert word in msg and "\n" not in msg and f"{case_id}.json" in msg, msg


@pytest.mark.parametrize("command", [("plan", "--flops", "1e23", "--law"), ("laws", "show")],
                         ids=["plan", "show"])
@pytest.mark.parametrize(("case_id", "content", "word"), CASES, ids=[c[0] for c in CASES])
def test_hostile_law_file_on_the_command_line(run, tmp_path, command, case_id, content, word):
    code, out, err = run(*command, str(_write(tmp_path, case_id, content)))
    lines = [line for line in err.splitlines() if line.strip()]
    assert code != 0 and "Traceback" not in err + out
    assert len(lines) == 1 and lines[0].startswith("error:") and word in lines[0], err


def test_unreadable_law_file(run, tmp_path, monkeypatch):
    path = tmp_path / "locked.json"
    path.write_text(json.dumps(V1))
    real = Path.read_bytes

    def denied(self):
        if self.name == "locked.json":
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", denied)  # chmod 000 does not stop root, who runs CI containers
    with pytest.raises(ConfigError, match=r"The 'law' file must be readable \(Permission denied\)\. Got '.*locked"):
        load_fitted(path)
    code, _, err = run("plan", "--flops", "1e23", "--law", str(path))
    assert code == 1 and err.count("\n") == 1 and "readable" in err


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads a chmod-000 file")
def test_chmod_000_law_file(tmp_path):
    path = tmp_path / "locked.json"
    path.write_text(json.dumps(V1))
    path.chmod(0)
    try:
        with pytest.raises(ConfigError, match="must be readable"):
            load_law(path)
    finally:
        path.chmod(0o600)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_fifo_named_like_a_law_file_is_refused_without_blocking(tmp_path):
    os.mkfifo(tmp_path / "pipe.json")
    with pytest.raises(ConfigError, match="must be a regular file"):
        load_law(tmp_path / "pipe.json")


def test_unknown_version_names_the_versions_this_release_reads(tmp_path):
    path = _write(tmp_path, "v7", _with(V1, "format_version", 7))
    with pytest.raises(ConfigError, match=r"must be 1 \(this scalinglab reads scalinglab.law version 1 and "
                                          r"scalinglab.fitted-law version 2\)\. Got 7"):
        load_law(path)


@pytest.mark.parametrize("law", list_laws(), ids=lambda law: law.name)
def test_every_family_round_trips_in_both_formats(law, tmp_path):
    v1 = _write(tmp_path, "v1", law_to_dict(law, provenance={"by": "test"}))
    v2 = _write(tmp_path, "v2", _fitted_doc(law.name))
    assert load_law(v1).coefficients() == law.coefficients()
    fitted = load_fitted(v2)
    assert fitted.law.coefficients() == law.coefficients() and len(fitted.samples) == 3
    assert fitted.scatter == RunScatter(0.02, 30, 0.05, 1e21, 3, "kappa from 3 refits")
    assert fitted.identification.status == "identified" and fitted.audit == {"mape": 0.01}


def test_optional_fields_may_be_absent_or_null(tmp_path):
    lean = {k: V2[k] for k in ("format", "format_version", "law", "identification")}
    fitted = load_fitted(_write(tmp_path, "lean", lean))
    assert fitted.samples == () and fitted.scatter is None and fitted.level == 0.9
    nulls = {**V2, "samples": None, "scatter": None, "audit": None, "summary": None, "provenance": None}
    assert load_fitted(_write(tmp_path, "nulls", nulls)).samples == ()
    bom = tmp_path / "bom.json"
    bom.write_bytes(b"\xef\xbb\xbf" + json.dumps(V1).encode())  # a byte-order mark, as some editors write
    assert load_law(bom).name == "epoch2024"


# --- which file a law argument names ---------------------------------------------------------------------


def test_catalog_name_wins_over_a_file_of_that_name(tmp_path, monkeypatch, run):
    monkeypatch.chdir(tmp_path)
    impostor = _with(V1, "name", "impostor")
    Path("epoch2024").write_text(json.dumps(impostor))
    Path("myfit").write_text(json.dumps(impostor))
    assert resolve_law("epoch2024") is get_law("epoch2024")
    assert resolve_fitted("epoch2024").law is get_law("epoch2024")
    assert resolve_law("./epoch2024").name == "impostor"  # a path separator makes it a path
    assert resolve_law(Path("epoch2024")).name == "impostor"  # so does a Path
    assert resolve_law("myfit").name == "impostor"  # not a catalog name: an existing file is read
    code, out, _ = run("plan", "--flops", "1e23", "--law", "epoch2024", "--json")
    assert code == 0 and json.loads(out)["law"] == "epoch2024"


def test_path_like_argument_that_does_not_exist(tmp_path):
    with pytest.raises(ConfigError, match=r"The 'law' file must exist\. Got '.*fits/none'"):
        resolve_law(str(tmp_path / "fits" / "none"))
    with pytest.raises(ConfigError, match="must be one of"):
        resolve_law("x" * 5000)  # too long for a file name: an unknown catalog name, not an OSError


@pytest.mark.parametrize("spec", [["x"], 5, {"name": "epoch2024"}, b"epoch2024"], ids=repr)
def test_law_argument_of_the_wrong_type(spec):
    for resolve in (get_law, resolve_law, resolve_fitted):
        with pytest.raises(ConfigError,
                           match=rf"The 'law' parameter must be a catalog name.*Got {type(spec).__name__}"):
            resolve(spec)


# --- inputs of a law's loss --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["epoch2024", "kaplan2020", "muennighoff2023", "gadre2024"])
def test_loss_refuses_non_positive_or_nan_inputs(name):
    law = get_law(name)
    with pytest.raises(ConfigError, match=r"The 'n_params' parameter must be > 0\. Got -1\."):
        law.loss(-1, 2e10)
    with pytest.raises(ConfigError, match=r"The 'n_tokens' parameter must be > 0\. Got nan\."):
        law.loss(np.array([1e9, 2e9]), np.array([2e10, np.nan]))
    with pytest.raises(ConfigError, match=r"The 'n_params' parameter must be > 0\. Got 0\."):
        law.loss(0.0, 2e10)
    with pytest.raises(ConfigError, match="'n_params' parameter must be a number > 0"):
        law.loss("big", 2e10)
    grid = law.loss(np.geomspace(1e8, 1e10, 5)[:, None], np.geomspace(1e9, 1e12, 4))  # arrays still broadcast
    assert grid.shape == (5, 4) and np.isfinite(grid).all()
    assert isinstance(law.loss(1e9, 2e10), float)


def test_loss_checks_unique_tokens_and_a_power_laws_variable():
    with pytest.raises(ConfigError, match="'unique_tokens' parameter must be > 0. Got -5"):
        get_law("muennighoff2023").loss(1e9, 2e10, unique_tokens=-5)
    with pytest.raises(ConfigError, match="'flops' parameter must be > 0. Got -1"):
        get_law("kaplan2020-c").loss(-1.0)
    assert get_law("epoch2024").loss(np.inf, 1e12) > get_law("epoch2024").irreducible_loss  # inf: the limit


# --- property: whatever the file holds, loading raises a ScalingLabError or gives finite coefficients -------

_SCALARS = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True)
            | st.text(max_size=12)
            | st.sampled_from([0, -1, 10**400, -(10**400), 1e308, 5e-324, "", "NaN", True]))
_JSON = st.recursive(_SCALARS, lambda kids: st.lists(kids, max_size=4)
                     | st.dictionaries(st.text(max_size=8) | st.sampled_from(sorted(V2)), kids, max_size=4),
                     max_leaves=12)
#: the values most likely to slip through a check: non-finite, zero, negative, too big, the wrong JSON type
_HOSTILE = (st.sampled_from([float("nan"), float("inf"), float("-inf"), 0, 0.0, -1, -0.5, 10**400, 1e308, "1.0",
                             True, False, None, [], {}, [1.0], {"E": 1.0}])
            | st.sampled_from([float("nan"), float("inf")]))  # twice the chance of a non-finite number
_ONE_PER_FAMILY = ("epoch2024", "kaplan2020", "muennighoff2023", "gadre2024", "kaplan2020-c")
_VALID = [*(law_to_dict(get_law(n)) for n in _ONE_PER_FAMILY), *(_fitted_doc(n) for n in _ONE_PER_FAMILY)]
_FAST = settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


def _paths(doc, prefix=()):
    yield prefix
    items = doc.items() if isinstance(doc, dict) else enumerate(doc) if isinstance(doc, list) else ()
    for key, value in items:
        yield from _paths(value, (*prefix, key))


def _assert_loads_or_refuses(path: Path) -> None:
    for load in (load_fitted, load_law):
        try:
            out = load(path)
        except ScalingLabError as exc:
            assert str(exc) and "\n" not in str(exc)
            continue
        laws = [out.law, *out.samples] if isinstance(out, FittedLaw) else [out]
        for law in laws:
            assert all(math.isfinite(v) for v in law.coefficients().values()), law.coefficients()


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    return tmp_path_factory.mktemp("hostile") / "law.json"


@_FAST
@given(data=st.data())
def test_property_mutated_documents(scratch, data):
    doc = json.loads(json.dumps(data.draw(st.sampled_from(_VALID))))
    paths = list(_paths(doc))[1:]
    numbers = [p for p in paths if isinstance(p[-1], int) or "coefficients" in p or p[0] in ("scatter", "level")]
    path = data.draw(st.sampled_from(numbers if data.draw(st.booleans()) else paths))  # half aim at the numbers
    *parents, last = path
    node = doc
    for key in parents:
        node = node[key]
    how = data.draw(st.sampled_from(["replace", "delete", "add"]))
    if how == "delete" and isinstance(node, dict):
        del node[last]
    elif how == "add" and isinstance(node, dict):
        node[data.draw(st.text(max_size=8))] = data.draw(_HOSTILE | _JSON)
    else:
        node[last] = data.draw(_HOSTILE | _JSON)
    scratch.write_text(json.dumps(doc))
    _assert_loads_or_refuses(scratch)


@settings(_FAST, max_examples=60)
@given(doc=_JSON)
def test_property_random_json(scratch, doc):
    scratch.write_text(json.dumps(doc))
    _assert_loads_or_refuses(scratch)


@settings(_FAST, max_examples=60)
@given(raw=st.binary(max_size=300), cut=st.integers(0, 2000), flip=st.integers(0, 255))
def test_property_random_and_damaged_bytes(scratch, raw, cut, flip):
    valid = json.dumps(V2).encode()
    cut %= len(valid)
    for content in (raw, valid[:cut], valid[:cut] + bytes([flip]) + valid[cut + 1:]):
        scratch.write_bytes(content)
        _assert_loads_or_refuses(scratch)


def test_a_power_law_whose_scale_overflows_is_refused(scratch):
    """Found by test_property_mutated_documents in a fresh clone: A = 1e308 with alpha = 0.05 and E = 0 made
    Kaplan's x_c = A^(1/alpha) overflow when the coefficients were listed (an OverflowError, not one line)."""
    import json

    from scalinglab.laws.io import law_to_dict
    from scalinglab.laws.registry import get_law

    doc = law_to_dict(get_law("kaplan2020-c"))
    doc["coefficients"]["A"] = 1e308
    doc["coefficients"].pop("x_c", None)
    scratch.write_text(json.dumps(doc))
    with pytest.raises(ScalingLabError, match="x_c = A\\^\\(1/alpha\\), which must be finite"):
        load_law(scratch)
