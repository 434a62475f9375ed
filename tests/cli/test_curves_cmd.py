"""`scalinglab curves fit|predict` and `scalinglab track --curve-fit`."""

from __future__ import annotations

import json

import numpy as np
import pytest

from scalinglab.laws.curves import ANNEALING, curve_grid
from scalinglab.laws.schedules import parse_schedule

THETA = np.array([2.0, 1.5, 0.5, 0.3])
SCHEDULES = {"cosine": "cosine:total=3000,warmup=300,peak=1e-3,final=1e-4",
             "constant": "constant:total=3000,warmup=300,peak=1e-3",
             "wsd": "wsd:total=3000,warmup=300,peak=1e-3,final=1e-4,start=2400,decay=linear",
             "long": "cosine:total=6000,warmup=300,peak=1e-3,final=1e-4"}


def write(path, schedule, *, stop=None, scale=1.0, seed=0):
    lrs = parse_schedule(schedule).lrs()
    steps = np.arange(20, stop or lrs.size, 20)
    loss = scale * ANNEALING.predict(THETA, curve_grid(lrs, steps))
    loss *= np.exp(np.random.default_rng(seed).normal(0, 2e-3, steps.size))
    path.write_text("step,lr,loss\n" + "".join(f"{s},{float(lrs[s])!r},{float(y)!r}\n"
                                                for s, y in zip(steps, loss)))
    return str(path), float(loss[-1])


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    """Three logs with their lr columns, fitted by the annealing law through the CLI."""
    from scalinglab.cli import main

    d = tmp_path_factory.mktemp("curves")
    logs = [write(d / f"{k}.csv", SCHEDULES[k], seed=i)[0] for i, k in enumerate(("cosine", "constant", "wsd"))]
    out = d / "fit.json"
    try:
        main(["curves", "fit", *logs, "--law", "annealing", "--n-bootstrap", "8", "-o", str(out), "--json"])
    except SystemExit as exc:
        assert exc.code in (0, None)
    return d, out


def test_fit_writes_a_fit_that_predicts_an_unseen_schedule(run, fitted, tmp_path):
    d, fit_file = fitted
    doc = json.loads(fit_file.read_text())
    assert doc["format"] == "scalinglab.curve-fit" and doc["law"] == "annealing" and len(doc["samples"]) == 8
    assert doc["params"]["L0"] == pytest.approx(2.0, rel=0.05)
    log, last = write(tmp_path / "long.csv", SCHEDULES["long"], seed=9)
    code, out, err = run("curves", "predict", str(fit_file), "--schedule", SCHEDULES["long"], "--log", log, "--json")
    assert code == 0, err
    r = json.loads(out)
    assert r["steps"][-1] == 5999 and r["run_low"][-1] < r["mean_low"][-1] < r["loss"][-1] < r["mean_high"][-1]
    assert r["observed"]["final_loss"] == pytest.approx(last)
    assert abs(r["observed"]["final_predicted"] / last - 1) < 0.01 and r["observed"]["r2"] > 0.99
    assert "mean curve" in r["band_mean"] and "run" in r["band_run"]
    code, out, _ = run("curves", "predict", str(fit_file), "--schedule", SCHEDULES["long"])
    assert code == 0 and "run band" in out and "mean-curve band" in out and "5,999" in out


def test_track_with_a_schedule_projects_the_final_loss(run, fitted, tmp_path):
    _, fit_file = fitted
    log, _ = write(tmp_path / "live.csv", SCHEDULES["long"], stop=1800, seed=5)
    _, truth = write(tmp_path / "whole.csv", SCHEDULES["long"], seed=5)
    code, out, err = run("track", log, "--curve-fit", str(fit_file), "--schedule", SCHEDULES["long"], "--json")
    assert code == 0, err
    r = json.loads(out)
    assert r["mode"] == "curve law" and not r["flagged"] and r["final_step"] == 5999
    lo, hi = r["projected_interval"]
    assert lo < truth < hi and abs(r["projected_final_loss"] / truth - 1) < 0.01
    bad, _ = write(tmp_path / "bad.csv", SCHEDULES["long"], stop=1800, scale=1.05, seed=5)
    code, out, _ = run("track", bad, "--curve-fit", str(fit_file), "--schedule", SCHEDULES["long"])
    assert code == 0 and "FLAGGED" in out and "projected at step 5,999" in out
    code, out, _ = run("track", log, "--curve-fit", str(fit_file))  # the lr column alone: no projection
    assert code == 0 and "no projection" in out


@pytest.mark.parametrize("args, words", [
    (["--curve-fit", "F", "--law", "hoffmann2022"], "--law cannot act with --curve-fit"),
    (["--curve-fit", "F", "--tolerance", "0.05"], "--tolerance cannot act with --curve-fit"),
    (["--law", "hoffmann2022", "--n-params", "1e8", "--schedule", SCHEDULES["cosine"]],
     "--schedule cannot act without --curve-fit"),
    ([], "Got neither"),
    (["--law", "hoffmann2022"], "--law without --n-params"),
])
def test_track_refuses_options_that_cannot_act(run, fitted, tmp_path, args, words):
    _, fit_file = fitted
    log, _ = write(tmp_path / "x.csv", SCHEDULES["cosine"], stop=900)
    code, _, err = run("track", log, *[str(fit_file) if a == "F" else a for a in args])
    assert code == 1 and words in err and "Traceback" not in err


def test_track_without_a_schedule_says_what_it_judges(run, tmp_path):
    log = tmp_path / "t.csv"
    log.write_text("tokens,loss\n1e9,3.2\n2e9,3.0\n4e9,2.9\n")
    code, out, _ = run("track", str(log), "--law", "hoffmann2022", "--n-params", "1e8", "--json")
    assert code == 0 and json.loads(out)["mode"].startswith("no schedule")


def test_curve_errors_are_one_line(run, fitted, tmp_path):
    d, fit_file = fitted
    log, _ = write(tmp_path / "c.csv", SCHEDULES["cosine"])
    nolr = tmp_path / "nolr.csv"
    nolr.write_text("step,loss\n10,3.0\n20,2.9\n")
    nan = tmp_path / "nan.csv"
    nan.write_text("step,lr,loss\n10,1e-3,3.0\n20,1e-3,nan\n")
    cases = [
        (("curves", "fit", str(nolr)), "No learning-rate column found"),
        (("curves", "fit", str(nan)), "must be a finite number > 0. Got 'nan' at step 20"),
        (("curves", "fit", log, "--schedule", SCHEDULES["constant"]), "does not match the log"),
        (("curves", "fit", log, "--law", "nope"), "curve law must be one of"),
        (("curves", "predict", log, "--schedule", SCHEDULES["cosine"]), "must be JSON written by `scalinglab curves fit`"),
        (("curves", "predict", str(fit_file), "--schedule", "cosine:total=10"), "needs 'peak='"),
        (("curves", "predict", str(fit_file), "--schedule", SCHEDULES["cosine"], "--lr-col", "lr"), "need one"),
        (("track", log, "--curve-fit", str(fit_file), "--schedule", "cosine:total=100,peak=1e-3"),
         "past the end of the schedule"),
        (("curves", "fit"), "Got neither"),
        (("curves", "fit", log, "--sweep", "s"), "--sweep select curves of a lab store; they need --store"),
        (("curves", "fit", log, "--store", str(tmp_path / "lab.db")), "LOGS cannot act with it"),
    ]
    for argv, words in cases:
        code, _, err = run(*argv)
        assert code == 1 and words in err and "Traceback" not in err, (argv, err)


def test_report_and_figures_show_logged_curves_against_the_law(run, fitted, tmp_path):
    d, fit_file = fitted
    held, _ = write(tmp_path / "long.csv", SCHEDULES["long"], seed=9)
    out = tmp_path / "r.html"
    code, _, err = run("report", "--law", "epoch2024", "--curve-fit", str(fit_file), "--curve-log", str(d / "cosine.csv"),
                       "--curve-log", held, "--out", str(out))
    assert code == 0, err
    html = out.read_text()
    assert "Training curves" in html and "held out" in html and "long" in html
    code, _, err = run("report", "--law", "epoch2024", "--curve-log", held, "--out", str(out))
    assert code == 1 and "--curve-log" in err and "needs --curve-fit" in err
    png = tmp_path / "p.png"
    code, out_, err = run("curves", "predict", str(fit_file), "--schedule", SCHEDULES["long"], "--log", held,
                          "--figure", str(png), "--json")
    assert code == 0 and png.read_bytes()[:4] == b"\x89PNG" and json.loads(out_)["figure"] == str(png)
    code, _, err = run("curves", "predict", str(fit_file), "--schedule", SCHEDULES["long"], "--figure", str(png))
    assert code == 1 and "needs --log" in err


def test_a_fit_its_curves_do_not_identify_is_called_so_wherever_it_is_used(run, fitted, tmp_path):
    from dataclasses import replace

    from scalinglab.fit.curve_io import load_curve_fit, save_curve_fit

    _, fit_file = fitted
    bad = save_curve_fit(replace(load_curve_fit(fit_file), reasons=("C = 5.2e+21 sits at its bound",)),
                         tmp_path / "bad.json")
    code, out, err = run("curves", "predict", str(bad), "--schedule", SCHEDULES["long"], "--json")
    assert code == 0 and json.loads(out)["identified"] is False
    code, out, err = run("curves", "predict", str(bad), "--schedule", SCHEDULES["long"])
    assert "NOT IDENTIFIED: C = 5.2e+21 sits at its bound" in err
    log, _ = write(tmp_path / "live.csv", SCHEDULES["long"], stop=1800)
    code, out, err = run("track", log, "--curve-fit", str(bad), "--schedule", SCHEDULES["long"])
    assert code == 0 and "NOT IDENTIFIED" in err
    code, out, _ = run("track", log, "--curve-fit", str(bad), "--schedule", SCHEDULES["long"], "--json")
    assert json.loads(out)["reasons"] == ["C = 5.2e+21 sits at its bound"]
