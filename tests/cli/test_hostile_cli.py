"""Hostile input to the CLI (issue #11): every bad option, path or file gives one error line naming what is
wrong, a non-zero exit and no traceback; a failed output creates nothing and leaves an existing file as it was;
user text (a law named ``evil[/]``) is printed, not parsed as rich markup."""

from __future__ import annotations

import errno
import json
import os
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

from scalinglab.errors import ConfigError

BIG_INT = "1" + "0" * 400
FIT = ("--n-params-col", "N", "--n-tokens-col", "D", "--loss-col", "loss", "--starts", "coarse")


@pytest.fixture
def files(tmp_path):
    """The inputs every case draws on, written once per test in ``tmp_path``: runs in two groups whose labels
    make the same file name, a law named ``evil[/]``, a law with 64 KB of notes, and training logs."""
    from dataclasses import replace

    from scalinglab.laws import get_law
    from scalinglab.laws.chinchilla import EPOCH_2024, predict
    from scalinglab.laws.io import save_law

    rng = np.random.default_rng(0)
    rows = ["N,D,loss,grp"] + [f"{n},{d},{predict(EPOCH_2024, n, d) * np.exp(0.005 * rng.standard_normal())},{g}"
                               for g in ("a/b", "a b") for n in np.logspace(7, 9.5, 5) for d in np.logspace(9, 11.5, 5)]
    (tmp_path / "runs.csv").write_text("\n".join(rows) + "\n")
    law = get_law("epoch2024")
    save_law(replace(law, name="evil[/]"), tmp_path / "evil.json")
    save_law(replace(law, notes="x" * 65536), tmp_path / "long.json")
    (tmp_path / "log.csv").write_text("tokens,loss\n1e9,3.0\n2e9,2.9\n4e9,2.8\n")
    (tmp_path / "array.jsonl").write_text('{"tokens": 1e9, "loss": 3}\n[3, 4]\n')
    (tmp_path / "binary.csv").write_bytes(bytes(range(128, 256)) * 8)
    (tmp_path / "nul.csv").write_bytes(b"\x00\x01tokens,loss\n1e9,3\n")
    (tmp_path / "iter.csv").write_text("iter,loss\n100,3.2\n200,3.0\n")
    (tmp_path / "restart.csv").write_text("tokens,loss\n1e9,3.0\n2e9,2.9\n3e9,2.85\n1.5e9,2.95\n2.5e9,2.87\n"
                                          "3.5e9,2.8\n")
    os.symlink("/dev/full", tmp_path / "full.png")  # a disk that is full, under a name --figure accepts
    return tmp_path


def _one_error(code: int, out: str, err: str, *fragments: str) -> str:
    """The single error line, checked: non-zero exit, no traceback, every fragment in it."""
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code != 0, (out, err)
    assert "Traceback" not in out + err
    assert len(lines) == 1, err
    for f in fragments:
        assert f in lines[0], lines[0]
    return lines[0]


# (argv with {d} for the folder of `files`, exit code, fragments of the one error line)
CASES = [
    # outputs
    (("fit", "{d}/runs.csv", *FIT, "--out", "{d}/missing/fit.json"), 1, ("'out'", "does not exist")),
    (("fit", "{d}/runs.csv", *FIT, "--out", "{d}"), 1, ("'out'", "not a directory")),
    (("report", "--law", "epoch2024", "--out", "{d}"), 1, ("'out'", "not a directory")),
    (("report", "--law", "epoch2024", "--out", ""), 1, ("'out'", "Got ''")),
    (("report", "--law", "epoch2024", "--out", "{d}/nonexistent/x.html"), 1, ("'out'", "does not exist")),
    (("report", "--law", "epoch2024", "--out", "{d}/r.html", "--figures", "{d}/no/figs"), 1,
     ("'figures_dir'", "does not exist")),
    (("report", "--law", "epoch2024", "--out", "{d}/r.html", "--figures", "{d}/log.csv"), 1,
     ("'figures_dir'", "not a file")),
    (("track", "{d}/log.csv", "--law", "epoch2024", "--n-params", "1B", "--figure", "{d}/f.xyz"), 1,
     ("'--figure'", ".png, .svg or .pdf", "f.xyz")),
    (("track", "{d}/log.csv", "--law", "epoch2024", "--n-params", "1B", "--figure", "{d}/no/f.png"), 1,
     ("'figure'", "does not exist")),
    (("track", "{d}/log.csv", "--law", "epoch2024", "--n-params", "1B", "--figure", "{d}/full.png"), 1,
     ("'figure'", "No space left on device")),
    # options
    (("fit", "{d}/runs.csv", *FIT, "--seed", "-1", "--n-bootstrap", "3"), 2, ("'--seed'", ">= 0", "'-1'")),
    (("fit", "{d}/runs.csv", *FIT, "--n-bootstrap", "1e12"), 2, ("'--n-bootstrap'", "100,000", "'1e12'")),
    (("fit", "{d}/runs.csv", *FIT, "--n-bootstrap", "1000000000000"), 2, ("'--n-bootstrap'", "100,000")),
    (("fit", "{d}/runs.csv", *FIT, "--n-bootstrap", "2.5"), 2, ("'--n-bootstrap'", "whole number")),
    (("fit", "{d}/runs.csv", *FIT, "--approach", "isoflop", "--profile", "bogus"), 1, ("'profile'", "'bogus'")),
    (("fit", "{d}/runs.csv", *FIT, "--profile", "smooth"), 1, ("'--profile'", "--approach isoflop")),
    (("fit", "{d}/runs.csv", "--n-params-col", "N", "--n-tokens-col", "D", "--loss-col", "loss", "--approach",
      "isoflop", "--out", "{d}/x.json"), 1, ("'--out'", "--approach parametric")),
    (("plan", "--flops", "1e23", "--gpus", "1e400"), 2, ("'--gpus'", "whole number", "'1e400'")),
    (("plan", "--flops", "1e23", "--gpus", BIG_INT), 2, ("'--gpus'", "(401 characters)")),
    (("plan", "--flops", "1e23", "--gpus", "2.5"), 2, ("'--gpus'", "'2.5'")),
    (("plan", "--flops", "1e23", "--objective", "usd"), 1, ("'--objective'", "--inference-tokens")),
    (("plan", "--flops", "1e23", "--inference-mfu", "0.3"), 1, ("'--inference-mfu'", "--objective usd")),
    (("plan", "--flops", "1e23", "--inference-tokens", "1T", "--inference-mfu", "0.3"), 1, ("'--inference-mfu'",)),
    (("plan", "--flops", "1"), 1, ("'--flops'", "0.0477 parameters", "smallest such budget is 378 FLOPs", "Got 1")),
    (("plan", "--params", "7B", "--tokens-per-param", "1e-12"), 1, ("at least 1 parameter and 1 token",)),
    # report and track inputs
    (("report", "--law", "epoch2024", "--out", "{d}/r.html", "--track-n-params", "1B"), 1, ("'--track-n-params'",)),
    (("track", "{d}/array.jsonl", "--law", "epoch2024", "--n-params", "1B"), 1,
     ("Line 2 of 'array.jsonl'", "JSON object", "list")),
    (("track", "{d}/binary.csv", "--law", "epoch2024", "--n-params", "1B"), 1, ("UTF-8 text", "binary.csv")),
    (("track", "{d}/nul.csv", "--law", "epoch2024", "--n-params", "1B"), 1, ("NUL byte", "nul.csv")),
    (("track", "{d}/iter.csv", "--law", "epoch2024", "--n-params", "1B", "--tokens-per-step", "1M"), 1,
     ("No step column", "--step-col", "iter, loss")),
    (("track", "{d}/iter.csv", "--law", "epoch2024", "--n-params", "1B", "--step-col", "iter"), 1,
     ("--step-col iter", "--tokens-per-step")),
    (("track", "{d}/log.csv", "--law", "epoch2024", "--n-params", "1B", "--tokens-col", "tokens",
      "--tokens-per-step", "1M"), 1, ("--tokens-col tokens", "Got both")),
]


@pytest.mark.parametrize("argv, exit_code, fragments", CASES, ids=[" ".join(c[0][:1] + c[0][-2:]) for c in CASES])
def test_hostile_input_gets_one_error_line(run, files, argv, exit_code, fragments):
    before = sorted(p.name for p in files.iterdir())
    code, out, err = run(*(a.format(d=files) for a in argv))
    _one_error(code, out, err, *fragments)
    assert code == exit_code
    assert sorted(p.name for p in files.iterdir()) == before  # nothing created: no folder, file or temporary


def test_fit_onto_a_full_disk_prints_the_fit_then_one_error_line(run, files):
    code, out, err = run("fit", str(files / "runs.csv"), *FIT, "--out", "/dev/full")
    _one_error(code, out, err, "No space left on device", "/dev/full")
    assert "N_opt ∝ C^" in out  # the fit is printed, not lost


def test_report_onto_a_full_disk_is_one_error_line(run):
    code, out, err = run("report", "--law", "epoch2024", "--out", "/dev/full")
    _one_error(code, out, err, "'out'", "No space left on device")


@pytest.fixture
def disk_full_on_fsync(monkeypatch):
    """Every atomic write fails as on a full disk, after its temporary file is written."""

    def fsync(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("scalinglab._io.os.fsync", fsync)


@pytest.mark.parametrize("name, argv", [
    ("fit.json", ("fit", "{d}/runs.csv", *FIT, "--out", "{d}/fit.json")),
    ("f.svg", ("track", "{d}/log.csv", "--law", "epoch2024", "--n-params", "1B", "--figure", "{d}/f.svg")),
])
def test_a_failed_write_leaves_the_existing_file_as_it_was(run, files, disk_full_on_fsync, name, argv):
    (files / name).write_text("the old contents")
    before = sorted(p.name for p in files.iterdir())
    code, out, err = run(*(a.format(d=files) for a in argv))
    _one_error(code, out, err, "could not be written", "No space left on device")
    assert (files / name).read_text() == "the old contents"
    assert sorted(p.name for p in files.iterdir()) == before  # no temporary left behind


def test_fit_by_groups_whose_names_collide_saves_one_file_each(run, files):
    code, out, err = run("fit", str(files / "runs.csv"), *FIT, "--by", "grp", "--out", str(files / "fit.json"),
                         "--json")
    assert code == 0, err
    saved = {label: rep["saved"] for label, rep in json.loads(out)["groups"].items()}
    assert set(saved) == {"a/b", "a b"} and len(set(saved.values())) == 2
    for label, path in saved.items():
        assert Path(path).parent == files and Path(path).name.startswith("fit-a_b-")
        assert json.loads(Path(path).read_text())["provenance"]  # each group's own law
    assert not (files / "fit-a_b.json").exists()


@pytest.mark.parametrize("argv", [
    ("laws", "show", "{d}/evil.json"),
    ("plan", "--flops", "1e23", "--law", "{d}/evil.json"),
    ("models", "--law", "{d}/evil.json"),
    ("track", "{d}/log.csv", "--law", "{d}/evil.json", "--n-params", "1B"),
])
def test_user_text_is_printed_not_parsed_as_markup(run, files, argv):
    code, out, err = run(*(a.format(d=files) for a in argv))
    assert code == 0, err
    assert "evil[/]" in out


def test_laws_show_cuts_long_notes_and_is_quick(run, files):
    start = time.perf_counter()
    code, out, err = run("laws", "show", str(files / "long.json"))
    assert code == 0, err
    assert time.perf_counter() - start < 5  # rich took 22-60 s to wrap 64 KB without spaces
    assert "more characters; --json prints them all" in out and "x" * 2000 in out and "x" * 2001 not in out


def test_plan_memory_line_says_none_up_to_the_largest_count_tried(run):
    code, out, err = run("plan", "--params", "1e16")
    assert code == 0, err
    flat = " ".join(out.split())
    assert "count that fits: none up to 1,048,576 (2^20)" in flat and "None" not in flat


def test_track_restarted_log_keeps_the_later_rows_and_warns_once(run, files):
    with warnings.catch_warnings():
        warnings.simplefilter("always")  # the suite turns warnings into errors; the CLI shows them
        code, out, err = run("track", str(files / "restart.csv"), "--law", "epoch2024", "--n-params", "1B", "--json")
    assert code == 0, err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("warning (LogWarning):") and "restarted run" in lines[0]
    log = json.loads(out)["log"]
    assert (log["rows"], log["replaced"]) == (6, 2) and json.loads(out)["n_points"] == 4


def test_track_step_col_reads_tokens_from_steps(run, files):
    code, out, err = run("track", str(files / "iter.csv"), "--law", "epoch2024", "--n-params", "1B",
                         "--tokens-per-step", "1M", "--step-col", "iter", "--json")
    assert code == 0, err
    assert json.loads(out)["latest"]["tokens"] == 2e8


def test_landscape_at_a_huge_budget_draws_without_labels_crashing():
    from scalinglab.catalog import list_models
    from scalinglab.laws import get_law
    from scalinglab.report.figures_law import landscape_figure

    fig = landscape_figure(get_law("epoch2024"), models=list_models(), flops=1e55)  # clabel raised IndexError
    assert fig.axes


def test_plan_api_refuses_a_law_of_the_wrong_type_and_a_fraction_of_a_gpu():
    from scalinglab.plan import plan_compute, with_hardware

    with pytest.raises(ConfigError, match="'law' parameter must be a catalog name.*Got int 5"):
        plan_compute(1e23, law=5)
    plan = plan_compute(1e23)
    for bad in (1.5, True, 0, 10 ** 400):
        with pytest.raises(ConfigError, match="'n_gpus' parameter must be a whole number"):
            with_hardware(plan, "H100-SXM", n_gpus=bad)
    assert with_hardware(plan, "H100-SXM", n_gpus=2.0).cost["n_gpus"] == 2


@pytest.fixture
def failing_laws_list(monkeypatch):
    """``scalinglab laws`` raising what the caller sets (a bug, Ctrl-C)."""
    import scalinglab.cli.laws_cmd as laws_cmd

    box: dict[str, BaseException] = {}

    def boom():
        raise box["exc"]

    monkeypatch.setattr(laws_cmd, "list_laws", boom)
    return box


def test_an_internal_error_is_one_line_and_exit_70(run, failing_laws_list, monkeypatch):
    monkeypatch.delenv("SCALINGLAB_DEBUG", raising=False)
    failing_laws_list["exc"] = TypeError("unsupported operand\nsecond line")
    code, out, err = run("laws")
    line = _one_error(code, out, err, "internal error (TypeError): unsupported operand second line",
                      "please report", "SCALINGLAB_DEBUG=1")
    assert code == 70 and line.startswith("error:")


def test_scalinglab_debug_lets_the_traceback_through(run, failing_laws_list, monkeypatch):
    monkeypatch.setenv("SCALINGLAB_DEBUG", "1")
    failing_laws_list["exc"] = TypeError("boom")
    with pytest.raises(TypeError, match="boom"):
        run("laws")


def test_ctrl_c_is_one_line_and_exit_130(run, failing_laws_list):
    failing_laws_list["exc"] = KeyboardInterrupt()
    code, out, err = run("laws")
    assert code == 130 and err.strip() == "aborted" and "Traceback" not in out + err
