"""The comparison figure and the report's section 'Two methods compared'."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from scalinglab.errors import ConfigError  # noqa: E402
from scalinglab.fit import compare_runs, save_comparison  # noqa: E402
from scalinglab.fit.compare_synth import synthetic_pair  # noqa: E402
from scalinglab.report import make_report  # noqa: E402
from scalinglab.report.figures_compare import compare_figure  # noqa: E402


@pytest.fixture(scope="module")
def comparison():
    pair = synthetic_pair(3.0, float(np.log(2) / np.log(1e3)), seed=1)
    return compare_runs(pair.runs_a, pair.runs_b, n_bootstrap=30, at=[1e18, 1e21], seed=0)


def test_figure_draws_both_curves_and_the_multiplier_on_log_axes(comparison):
    fig = compare_figure(comparison)
    curves, mult = fig.axes
    assert curves.get_xscale() == mult.get_xscale() == mult.get_yscale() == "log"
    assert curves.get_xlabel() == "training compute C (FLOP)" and "nats/token" in curves.get_ylabel()
    assert "A needs / compute B needs" in mult.get_ylabel()
    drawn = mult.lines[0].get_ydata()
    np.testing.assert_allclose(drawn[[0, -1]], [comparison.grid["m"][0], comparison.grid["m"][-1]])
    assert len(curves.collections) == 4  # each side's points and band


def test_report_section_shows_each_saved_comparison(tmp_path, comparison, run):
    saved = save_comparison(comparison, tmp_path / "cmp.json")
    out = tmp_path / "r.html"
    code, _, err = run("report", "--compare", str(saved), "--compare", str(saved), "--out", str(out))
    assert code == 0, err
    html = out.read_text()
    assert html.count('id="fig-compare-') == 2 and "Two methods compared" in html
    assert f"Advantage with scale: <b>{comparison.verdict}</b>" in html
    assert f"{comparison.multiplier[0]:.3g}" in html
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    code, _, err = run("report", "--compare", str(bad), "--out", str(out))
    assert code == 1 and "The comparison file must hold JSON" in err and len(err.strip().splitlines()) == 1


def test_make_report_refuses_what_is_not_a_comparison(tmp_path):
    with pytest.raises(ConfigError, match="'comparisons' parameter must hold Comparison objects"):
        make_report(out=tmp_path / "r.html", comparisons=["cmp.json"])
