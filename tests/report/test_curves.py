"""The training-curve figure and report section (scalinglab.report.curves): on the multi-power authors' curves
(../shared/data) and on synthetic curves of a known annealing law."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("matplotlib", reason="figures need the [report] extra (matplotlib)")

from scalinglab._html import cell  # noqa: E402
from scalinglab.errors import ConfigError  # noqa: E402
from scalinglab.fit.curves import Curve, curve_metrics, fit_curves, predict_curve  # noqa: E402
from scalinglab.laws.curves import ANNEALING, curve_grid  # noqa: E402
from scalinglab.laws.schedules import parse_schedule  # noqa: E402
from scalinglab.report import curve_figure, curve_section, make_report  # noqa: E402
from scalinglab.report._mpl import LOSS_LABEL, png_bytes  # noqa: E402

from _multipower import FIT_SET, PREDICT_SET, load_curve  # noqa: E402

_SYNTHETIC = {"cosine": "cosine:total=3000,warmup=100,peak=3e-4,final=3e-5",
              "constant": "constant:total=3000,warmup=100,peak=3e-4",
              "wsd": "wsd:total=3000,warmup=100,peak=3e-4,final=3e-5,start=2400"}


@pytest.fixture(scope="module")
def synthetic():
    """Three curves of a known annealing law with 0.2% noise; the fit sees cosine and constant, not wsd."""
    rng = np.random.default_rng(0)
    steps = np.arange(150, 3000, 50)
    curves = []
    for name, text in _SYNTHETIC.items():
        lrs = parse_schedule(text).lrs()
        loss = ANNEALING.predict(np.array([2.8, 0.6, 0.45, 0.5]), curve_grid(lrs, steps))
        curves.append(Curve(steps, loss * np.exp(rng.normal(0, 0.002, steps.size)), lrs, name))
    return fit_curves(curves[:2], law="annealing"), curves


@pytest.fixture(scope="module")
def authors(shared_data):
    """The authors' 100M curves, the annealing law fitted on their fit set (0.1 s): (fit, all nine curves)."""
    curves = [load_curve(shared_data, "100M", s) for s in FIT_SET + PREDICT_SET]
    return fit_curves(curves[:len(FIT_SET)], law="annealing"), curves


def _rows(section: str) -> dict[str, list[str]]:
    """The per-schedule table's cells (as rendered), by schedule."""
    table = section[section.index("<th class=\"l\">schedule</th>"):]
    table = table[:table.index("</table>")]
    out = {}
    for row in re.findall(r"<tr>(.*?)</tr>", table):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row)
        out[cells[0]] = cells
    return out


@pytest.mark.shared_data
def test_curve_figure_on_the_authors_curves_names_its_band(authors, tmp_path):
    fit, curves = authors
    fig = curve_figure(fit, curves)
    top, panels = fig.axes[0], fig.axes[1:]
    assert len(panels) == len(curves)
    assert top.get_ylabel() == LOSS_LABEL and "step" in top.get_xlabel()
    legend_text = [t.get_text() for t in top.get_legend().get_texts()]
    assert "90% run band (a run's logged loss)" in legend_text
    assert "90% run band (a run's logged loss on the schedule:" in fig.get_suptitle()
    assert "without parameter uncertainty" in fig.get_suptitle()  # no bootstrap refits: the band says so
    titles = [p.get_title(loc="left") for p in panels]
    assert sum("(fitted)" in t for t in titles) == len(FIT_SET)
    assert sum("(held out)" in t for t in titles) == len(PREDICT_SET)
    assert all("predicted / logged" in p.get_ylabel() for p in panels[::3])
    png = tmp_path / "curves.png"
    png.write_bytes(png_bytes(fig))
    assert png.stat().st_size > 50_000


@pytest.mark.shared_data
def test_curve_section_rows_agree_with_curve_metrics(authors):
    fit, curves = authors
    rows = _rows(curve_section(fit, curves))
    assert set(rows) == set(FIT_SET + PREDICT_SET)
    for c in curves:
        pred = predict_curve(fit, c.lrs, c.steps)
        m = curve_metrics(c.loss, pred["loss"])
        row = rows[c.name]
        assert row[1] == ("fitted" if c.name in FIT_SET else "held out")
        assert row[4] == cell(m["prede"], "percent") and row[5] == cell(m["worste"], "percent")
        assert row[6] == cell(m["r2"])
        assert row[7] == f"{c.loss[-1]:.4f}" and row[8] == f"{pred['loss'][-1]:.4f}"
        inside = pred["run_low"][-1] <= c.loss[-1] <= pred["run_high"][-1]
        assert row[10] == f"{pred['run_low'][-1]:.4f} – {pred['run_high'][-1]:.4f}"
        assert row[11] == ("yes" if inside else "no")


def test_report_gains_the_section_only_when_curves_are_given(synthetic, tmp_path):
    fit, curves = synthetic
    with_curves = make_report(law="epoch2024", curve_fit=fit, curves=curves, out=tmp_path / "a.html",
                              figures_dir=tmp_path / "figs", formats=("png",))
    html = with_curves.path.read_text()
    assert 'id="curves"' in html and 'href="#curves"' in html and 'id="fig-curves"' in html
    assert "90% run band (a run&#x27;s logged loss on the schedule" in html
    assert set(_rows(html)) == {"cosine", "constant", "wsd"}
    assert (tmp_path / "figs" / "curves.png").is_file()
    without = make_report(law="epoch2024", out=tmp_path / "b.html").path.read_text()
    assert 'id="curves"' not in without and "Training curves" not in without


def test_mean_band_needs_refits_and_is_labelled(synthetic):
    fit, curves = synthetic
    with pytest.raises(ConfigError, match="needs bootstrap refits"):
        curve_figure(fit, curves, band="mean")
    boot = fit_curves(curves[:2], law="annealing", n_bootstrap=4)
    fig = curve_figure(boot, curves, band="mean", x_scale="log")
    assert "90% mean band (the law's mean curve: parameter uncertainty, 4 bootstrap refits)" in fig.get_suptitle()
    assert fig.axes[0].get_xscale() == "log"
    section = curve_section(boot, curves, band="mean")
    assert "4 bootstrap refits" in section and "mean band at the last step" in section


@pytest.mark.parametrize(("kwargs", "words"), [
    ({"curve_fit": None}, "'curve_fit' parameter must be a CurveFit"),
    ({"curves": None}, "'curves' parameter must be a non-empty list of Curve"),
    ({"curves": []}, "'curves' parameter must be a non-empty list of Curve"),
    ({"curves": ["cosine"]}, "Each entry of 'curves' must be a Curve"),
    ({"curves": "dup"}, "own name"),
])
def test_bad_curve_inputs_get_one_line_before_the_work(synthetic, tmp_path, kwargs, words):
    fit, curves = synthetic
    given = {"curve_fit": fit, "curves": curves, **kwargs}
    if given["curves"] == "dup":
        given["curves"] = [curves[0], curves[0]]
    with pytest.raises(ConfigError) as info:
        make_report(law="epoch2024", out=tmp_path / "r.html", **given)
    assert words in str(info.value) and "\n" not in str(info.value)
    assert not Path(tmp_path / "r.html").exists()


def test_figure_options_are_checked(synthetic):
    fit, curves = synthetic
    for kwargs, words in (({"band": "new run"}, "'band' parameter"), ({"x_scale": "sqrt"}, "'x_scale' parameter"),
                          ({"level": 1.5}, "'level' parameter")):
        with pytest.raises(ConfigError, match=words):
            curve_figure(fit, curves, **kwargs)
