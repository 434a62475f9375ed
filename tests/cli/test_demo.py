"""`scalinglab demo`: the steps it runs (the full run, a few minutes of training, is `make demo`)."""

from scalinglab.cli.demo_cmd import DEMO_REPORT, DEMO_STORE, _steps
from scalinglab.lab.sweep import preset_sweep


def test_demo_runs_the_whole_lab_loop_and_ends_with_a_report():
    steps = [argv for _, argv in _steps(True)]
    assert ["lab", "sweep", "--preset", "demo", "--store", DEMO_STORE] in steps
    fit = next(s for s in steps if s[0] == "fit")
    assert "--store" in fit and "isoflop" in fit
    assert steps[-1][0] == "report" and steps[-1][-1] == DEMO_REPORT


def test_demo_without_torch_still_plans_and_reports():
    steps = [argv for _, argv in _steps(False)]
    assert not any(s[0] == "lab" for s in steps)
    assert steps[-1][0] == "report" and "--law" in steps[-1]


def test_demo_preset_is_a_few_minutes_and_brackets_400_tokens_per_param():
    sweep = preset_sweep("demo")
    grid = [r for r in sweep.runs if r.role == "train"]
    assert len({r.budget for r in grid}) == 3
    for b in {r.budget for r in grid}:
        tpp = sorted(r.tokens_per_param for r in grid if r.budget == b)
        assert tpp[0] < 400 < tpp[-1]
    # measured with 2 workers on 2 cores: ~6 min on an idle machine, 13.4 min with the cores shared
    assert sweep.estimated_wall_seconds(2) < 8 * 60
