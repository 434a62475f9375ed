"""Issue #9, "Must show": for one law and one budget the report and `plan` give the same N*, D* and loss.

The report embeds its plan as JSON ("The plan as data"); it must equal ``plan_compute`` and ``scalinglab plan
--json`` for a catalog law and for a fitted-law file, intervals included. (The library path for a catalog law
is also in test_report_trust.py.)
"""

from __future__ import annotations

import html
import json
import re

import numpy as np
import pytest

from scalinglab.fit import fit_law
from scalinglab.fit.data import Runs
from scalinglab.laws.chinchilla import EPOCH_2024, predict
from scalinglab.laws.io import save_fitted
from scalinglab.plan import plan_compute

pytest.importorskip("matplotlib", reason="the report needs the [report] extra (matplotlib)")
from scalinglab.report import make_report  # noqa: E402

BUDGET = 3e22
KEYS = ("n_params", "n_tokens", "loss", "tokens_per_param", "flops")


def _embedded_plan(path) -> dict:
    text = path.read_text()
    block = re.search(r"<summary>The plan as data</summary><pre>(.*?)</pre>", text, re.S)
    assert block, "the report must embed its plan as data"
    return json.loads(html.unescape(block.group(1)))


def _assert_same_plan(shown: dict, planned: dict) -> None:
    for key in KEYS:
        assert shown[key] == pytest.approx(planned[key], rel=1e-12), key
    assert shown["law"] == planned["law"]
    assert shown["intervals"].keys() == planned["intervals"].keys()
    for key, iv in planned["intervals"].items():
        for end in ("low", "high"):
            assert shown["intervals"][key][end] == pytest.approx(iv[end], rel=1e-12), (key, end)


@pytest.fixture(scope="module")
def fitted_law_file(tmp_path_factory):
    """A Chinchilla law fitted (with bootstrap refits) to a synthetic IsoFLOP set, saved as JSON."""
    rng = np.random.default_rng(3)
    n, d = [], []
    for c in (1e18, 3e18, 1e19, 3e19, 1e20):
        n_c = np.sqrt(c / 6 / 20) * np.logspace(-1, 1, 7)
        n += list(n_c)
        d += list(c / (6 * n_c))
    n, d = np.array(n), np.array(d)
    loss = predict(EPOCH_2024, n, d) * np.exp(0.005 * rng.standard_normal(n.size))
    fitted = fit_law(Runs.from_arrays(n, d, loss), starts="coarse", n_bootstrap=20, seed=0)
    assert fitted.identification.status == "identified"
    return save_fitted(fitted, tmp_path_factory.mktemp("law") / "fit.json")


def test_report_plan_equals_plan_compute_for_a_fitted_law_file(tmp_path, fitted_law_file):
    res = make_report(law=str(fitted_law_file), flops=BUDGET, out=tmp_path / "r.html", formats=())
    shown = _embedded_plan(res.path)
    planned = plan_compute(BUDGET, law=str(fitted_law_file)).as_dict()
    assert planned["intervals"], "a law with bootstrap refits must give the plan intervals"
    _assert_same_plan(shown, planned)


@pytest.mark.parametrize("law", ["epoch2024", "fitted"])
def test_report_cli_and_plan_cli_agree(run, tmp_path, fitted_law_file, law):
    spec = str(fitted_law_file) if law == "fitted" else law
    out = tmp_path / "r.html"
    code, _, err = run("report", "--law", spec, "--flops", f"{BUDGET:g}", "--out", str(out))
    assert code == 0, err
    code, printed, err = run("plan", "--flops", f"{BUDGET:g}", "--law", spec, "--json")
    assert code == 0, err
    _assert_same_plan(_embedded_plan(out), json.loads(printed))


def test_cost_chart_line_is_the_planners_least_compute_for_each_target_loss():
    """The cost-of-a-target-loss chart draws what `scalinglab plan --target-loss` prints, point by point."""
    from scalinglab.laws import get_law
    from scalinglab.plan import plan_target_loss
    from scalinglab.report import cost_vs_loss_figure

    law = get_law("epoch2024")
    targets = [2.6, 2.4, 2.2, 2.1]
    line = next(ln for ln in cost_vs_loss_figure(law, target_losses=targets).axes[0].lines
                if ln.get_label().startswith("training only"))
    assert list(line.get_xdata()) == targets
    assert line.get_ydata() == pytest.approx([plan_target_loss(t, law=law).flops for t in targets], rel=1e-9)
