"""Schedule sweeps: the design, the CLI preset, and a real tiny sweep that resumes and records its curves."""

from __future__ import annotations

import numpy as np
import pytest

from scalinglab.errors import ConfigError
from scalinglab.lab.config import ModelShape, TrainConfig
from scalinglab.lab.registry import register_sweep
from scalinglab.lab.schedule import run_schedule
from scalinglab.lab.schedule_sweep import SCHEDULE_PRESETS, parse_run_schedule, schedule_preset, schedule_sweep
from scalinglab.lab.sweep import Sweep

TINY = ModelShape(n_layers=1, d_model=8, n_heads=1, context=16)


def test_schedule_sweep_one_shape_each_schedule_and_the_long_runs():
    runs = schedule_sweep(TINY, 40 * 2 * 16, ["cosine", "wsd:0.1", "step"], long=["cosine"], long_factor=3,
                          batch_size=2, tag="t", eval_tokens=64)
    configs = [r.config for r in runs]
    assert [(c.schedule, c.decay_frac, c.steps) for c in configs] == [
        ("cosine", 0.2, 40), ("wsd", 0.1, 40), ("step", 0.2, 40), ("cosine", 0.2, 120)]
    assert {c.shape for c in configs} == {TINY} and all(c.tag == "t" and c.eval_tokens == 64 for c in configs)
    assert len({c.config_hash() for c in configs}) == 4 and all(r.role == "train" for r in runs)


@pytest.mark.parametrize(("args", "kw", "message"), [
    (["cosine", "cosine"], {}, "Each schedule of a schedule sweep must differ from the others. Got 'cosine' twice"),
    (["wsd:lots"], {}, "Each schedule of a schedule sweep must be KIND or KIND:DECAY_FRAC (wsd:0.1). Got 'wsd:lots'."),
    (["cyclic"], {}, "The 'schedule' parameter must be one of cosine, wsd, constant, step. Got 'cyclic'."),
    (["cosine:0.1"], {}, "The 'decay_frac' parameter applies to the wsd and step schedules only."),
    ([], {}, "The 'schedules' parameter of a schedule sweep must name at least one schedule. Got none."),
    (["cosine"], {"long_factor": 1}, "The 'long_factor' parameter must be a whole number >= 2. Got 1."),
    (["cosine"], {"warmup": 0.1}, "The training options must be TrainConfig fields"),
])
def test_schedule_sweep_refuses_bad_designs_in_one_line(args, kw, message):
    with pytest.raises(ConfigError) as err:
        schedule_sweep(TINY, 4096, args, **kw)
    assert str(err.value).startswith(message) and "\n" not in str(err.value)


def test_parse_run_schedule():
    assert parse_run_schedule("wsd:0.1") == {"schedule": "wsd", "decay_frac": 0.1}
    assert parse_run_schedule(" constant ") == {"schedule": "constant"}


def test_schedule_preset_is_a_sweep_with_its_spec():
    sweep = schedule_preset("schedules", name="mine")
    assert isinstance(sweep, Sweep) and sweep.name == "mine" and sweep.spec["kind"] == "schedules"
    assert len(sweep.runs) == 6 and all(r.config.tag == "mine" for r in sweep.runs)
    assert SCHEDULE_PRESETS["schedules"].purpose
    with pytest.raises(ConfigError, match="The 'preset' parameter must be one of \\['schedules'\\]. Got 'x'."):
        schedule_preset("x")


def test_cli_schedule_preset_plans_and_refuses_budgets(run):
    code, out, _ = run("lab", "plan-sweep", "--preset", "schedules")
    assert code == 0 and "wsd:0.1" in out and "step:0.3" in out and "7200" in out
    code, _, err = run("lab", "plan-sweep", "--preset", "schedules", "--budgets", "1e9")
    assert code == 1 and "The '--budgets' option applies to the IsoFLOP presets" in err


def test_real_schedule_sweep_resumes_and_its_curves_read_back(tmp_path, jsonl_file, run):
    pytest.importorskip("torch", reason="the lab's training tests need PyTorch: pip install 'scalinglab[lab]'")
    from scalinglab.fit.store_curves import curves_from_store
    from scalinglab.lab.executors import run_sweep
    from scalinglab.lab.train import train
    from scalinglab.store import Store

    runs = schedule_sweep(TINY, 40 * 2 * 16, ["cosine", "wsd:0.25", "constant"], long=["cosine"], long_factor=2,
                          batch_size=2, tag="sched", corpus=str(jsonl_file), eval_tokens=64, eval_every_frac=0.5)
    sweep = Sweep("sched", runs, {"kind": "schedules", "preset": "test", "schedules": ["cosine", "wsd:0.25",
                                                                                       "constant"]})
    db = tmp_path / "lab.db"
    register_sweep(db, sweep)
    with Store(db) as s:  # an earlier sweep finished one run, and another was interrupted and given back
        first = s.claim_next("earlier", sweep="sched")
        s.finish_run(first.config_hash(), train(first, store=s))
        second = s.claim_next("earlier", sweep="sched")
        s.release_run(second.config_hash())
    assert register_sweep(db, sweep) and run_sweep(db, "sched", workers=1).trained == 3
    assert run_sweep(db, "sched", workers=1).trained == 0  # resumed: nothing trains twice

    curves = curves_from_store(db, sweep="sched")
    by_name = {c.name: c for c in curves}
    assert sorted(by_name) == ["constant_40", "cosine_40", "cosine_80", "wsd0.25_40"]
    for planned in runs:
        cfg: TrainConfig = planned.config
        curve = by_name[f"{cfg.schedule}{'0.25' if cfg.schedule == 'wsd' else ''}_{cfg.steps}"]
        assert np.array_equal(curve.lrs, run_schedule(cfg).lrs())  # every step's learning rate, exactly
        assert curve.steps[0] >= run_schedule(cfg).warmup and np.all(np.isfinite(curve.loss))
    val = curves_from_store(db, sweep="sched", loss="val", skip_warmup=False)
    assert all(c.steps.size == 2 for c in val)  # checkpoints at half-way and the end
    # the command line fits the store's curves by name (the annealing law: these 40-step curves are short)
    import json

    code, out, err = run("curves", "fit", "--store", str(db), "--sweep", "sched", "--curve", "cosine_40",
                         "--curve", "constant_40", "--curve", "wsd0.25_40", "--law", "annealing", "--n-bootstrap", "0",
                         "--json")
    assert code == 0, err
    got = json.loads(out)
    assert got["fit"]["curves"] == ["cosine_40", "constant_40", "wsd0.25_40"] and len(got["curves"]) == 3
    code, _, err = run("curves", "fit", "--store", str(db), "--curve", "nope")
    assert code == 1 and "'nope' must be a finished run's curve" in err and "cosine_40" in err
