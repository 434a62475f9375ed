"""Curves from the lab's store (scalinglab.fit.store_curves): the round trip store -> Curve -> fit_curves, where
each log point is placed, and one clear error for each store that cannot give a curve. No torch needed."""

from __future__ import annotations

from dataclasses import asdict

import numpy as np
import pytest

from scalinglab.errors import ConfigError, DataError
from scalinglab.fit.curves import fit_curves
from scalinglab.fit.store_curves import curve_from_store, curves_from_store, run_curve_name
from scalinglab.lab.config import Checkpoint, ModelShape, RunResult, TrainConfig, TrainPoint
from scalinglab.lab.schedule import run_schedule
from scalinglab.laws.curves import ANNEALING, curve_grid
from scalinglab.store import Store

TINY = ModelShape(n_layers=1, d_model=8, n_heads=1, context=16)
TRUE = np.array([2.0, 1.0, 0.5, 0.3])  # annealing law: L0, A, alpha, C


def _cfg(schedule: str, steps: int = 300, **kw) -> TrainConfig:
    return TrainConfig(shape=TINY, n_tokens=steps * 2 * 16, batch_size=2, lr=2e-3, schedule=schedule, tag="c", **kw)


def _record(store: Store, cfg: TrainConfig, *, window: int = 3, schedule: bool = True, lr_shift: float = 1.0) -> str:
    """Finish ``cfg`` with a log whose window ending at ``step`` holds the law's loss at t = step - (window+3)//2."""
    lrs = run_schedule(cfg).lrs()
    steps = np.arange(window, cfg.steps + 1, window)
    t = steps - (window + 3) // 2
    ok = t >= 1
    loss = np.full(t.shape, 9.0)
    loss[ok] = ANNEALING.predict(TRUE, curve_grid(lrs, t[ok]))
    log = tuple(TrainPoint(int(s), window, float(lrs[s - 1]) * lr_shift, float(v)) for s, v in zip(steps, loss))
    h = cfg.config_hash()
    store.add_runs("c", [cfg])
    store.claim_next("w", sweep="c")
    cps = (Checkpoint(cfg.steps, cfg.n_tokens_trained, 1.0, 3.0, 3.1, 1.0, float(lrs[-1])),)
    store.finish_run(h, RunResult(h, 1, 1, cfg.n_tokens_trained, 1.0, 3.1, 3.0, 1.0, 1.0, 1.0, cps,
                                  lr_schedule=asdict(run_schedule(cfg)) if schedule else None, train_log=log))
    return h


def test_store_curves_round_trip_and_fit_recovers_the_law(tmp_path):
    db = tmp_path / "lab.db"
    cfgs = [_cfg("cosine"), _cfg("wsd", decay_frac=0.3), _cfg("constant")]
    with Store(db) as s:
        hashes = [_record(s, c) for c in cfgs]
    curve = curve_from_store(db, hashes[1])
    schedule = run_schedule(cfgs[1])
    assert curve.name == "wsd0.3_300" == run_curve_name(cfgs[1])
    assert np.array_equal(curve.lrs, schedule.lrs())
    # windows of 3 steps ending at 3, 6, ...: placed at t = step - 3, from the end of the 15-step warmup
    assert list(curve.steps[:3]) == [15, 18, 21] and curve.steps[-1] == 297 and schedule.warmup == 15
    everything = curve_from_store(db, hashes[1], skip_warmup=False)
    assert everything.steps[0] == 3 and everything.loss[0] == pytest.approx(  # t = 0 is before the laws start
        ANNEALING.predict(TRUE, curve_grid(schedule.lrs(), [3]))[0])
    curves = curves_from_store(db, sweep="c")
    assert sorted(c.name for c in curves) == ["constant_300", "cosine_300", "wsd0.3_300"]
    fit = fit_curves(curves, law="annealing", transfer=False)
    assert np.allclose(fit.theta, TRUE, rtol=1e-4)
    val = curve_from_store(db, hashes[0], loss="val")
    assert list(val.steps) == [299] and list(val.loss) == [3.1]


@pytest.mark.parametrize(("damage", "message"), [
    ({"schedule": False}, "must have a recorded learning-rate schedule to give a curve. Got none: it was trained "
                          "before the lab recorded one"),
    ({"lr_shift": 1.5}, "must match its recorded schedule. Got"),
])
def test_store_curves_refuse_runs_that_cannot_give_a_curve(tmp_path, damage, message):
    db = tmp_path / "lab.db"
    with Store(db) as s:
        h = _record(s, _cfg("cosine"), **damage)
    with pytest.raises(DataError, match=message) as err:
        curve_from_store(db, h)
    assert "\n" not in str(err.value)


def test_store_curves_name_what_is_missing(tmp_path):
    db = tmp_path / "lab.db"
    with Store(db) as s:
        _record(s, _cfg("cosine"))
        s.add_runs("c", [_cfg("constant")])  # pending: no curve yet
    with pytest.raises(DataError, match=r"The run '0{16}' must be a finished run in .* Got none."):
        curve_from_store(db, "0" * 16)
    with pytest.raises(DataError, match="must be a finished run"):
        curve_from_store(db, _cfg("constant").config_hash())
    with pytest.raises(DataError, match="must hold finished runs in sweep 'other' to give curves. Got none."):
        curves_from_store(db, sweep="other")
    with pytest.raises(ConfigError, match="The 'loss' parameter must be one of train, val. Got 'test'."):
        curves_from_store(db, loss="test")
