"""The predicted-against-actual figure of a downstream fit: one panel per task, targets at their prediction."""

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from scalinglab.fit import TaskRuns, fit_downstream  # noqa: E402
from scalinglab.laws.chinchilla import Chinchilla, ChinchillaParams  # noqa: E402
from scalinglab.laws.downstream import ScoreMap  # noqa: E402
from scalinglab.laws.family import FIT_CITATION  # noqa: E402
from scalinglab.report import ScoreTarget, downstream_figure  # noqa: E402

LOSS = Chinchilla("t", ChinchillaParams(E=0.5, A=50.0, B=200.0, alpha=0.3, beta=0.3), FIT_CITATION)
MAPS = {"a": ScoreMap.sigmoid(-0.7, 0.9, 5.0, 0.95), "b": ScoreMap.sigmoid(-0.5, 1.0, 3.0, 1.0),
        "c": ScoreMap.sigmoid(-0.6, 0.8, 4.0, 1.0)}


def test_one_panel_per_task_with_the_target_at_its_prediction():
    rng = np.random.default_rng(0)
    cells = [(f"{n:g}x{m}", n, m * n, LOSS.loss(n, m * n)) for n in (1e8, 2e8, 4e8, 8e8) for m in (20, 40, 100, 200)]
    losses = {t: [c[3] * np.exp(rng.normal(0, 0.003)) for c in cells] for t in MAPS}
    acc = {t: [MAPS[t].score(v) for v in losses[t]] for t in MAPS}
    runs = TaskRuns.from_arrays([c[0] for c in cells], [c[1] for c in cells], [c[2] for c in cells], acc,
                                task_loss=losses)
    fit = fit_downstream(runs, "ladder", n_bootstrap=4, step2_points="final", final_window=1)
    target = ScoreTarget("big", 1e10, 2e11, {t: float(m.score(LOSS.loss(1e10, 2e11))) for t, m in MAPS.items()})
    fig = downstream_figure(fit, runs, [target], ncols=2)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible] == ["a", "b", "c"] and len(fig.axes) == 4
    for ax in visible:
        grey, big = ax.collections  # the fitted runs, then the target
        assert len(grey.get_offsets()) == 16
        x, y = big.get_offsets()[0]
        assert x == pytest.approx(100 * fit.chains[ax.get_title()].score(1e10, 2e11))
        assert y == pytest.approx(100 * target.accuracy[ax.get_title()])
