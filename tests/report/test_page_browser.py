"""The planner page in headless Chromium: its plans equal `scalinglab plan --json` to 4 significant digits.

Needs Debian's ``chromium`` and ``chromium-driver`` and the ``selenium`` package (the ``test`` extra); skipped with
the reason where any is missing. One browser session serves every test of the module; Selenium is pointed at the
system chromedriver and never downloads one (SE_OFFLINE).
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil

import pytest

from _page_laws import NOT_IDENTIFIED_REASON, synthetic_fitted
from scalinglab.laws.io import save_fitted
from scalinglab.report.page import external_references

CHROMIUM = next((b for b in (shutil.which("chromium"), shutil.which("chromium-browser")) if b), None)
CHROMEDRIVER = shutil.which("chromedriver")
pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="no chromium binary on PATH (Debian: apt-get install -y chromium)"),
    pytest.mark.skipif(CHROMEDRIVER is None, reason="no chromedriver on PATH (Debian: apt-get install -y "
                                                   "chromium-driver)"),
]
webdriver = pytest.importorskip("selenium.webdriver", reason="the browser test needs selenium (the [test] extra)")

BASE = {"question": "compute", "budget": "flops", "flops": 1e22, "days": 30, "gpus": 1, "mfu": 0.4, "gpu": "H100-SXM",
        "usd_per_hour": None, "quality": "budget", "target_loss": 2.4, "inference_tokens": 1e12, "hold": "loss",
        "objective": "flops", "inference_mfu": None, "unique_tokens": 1e11}


def _settings(fitted: bool) -> list[dict]:
    """Questions across the modes, budgets as FLOPs and as GPUs × days × MFU, several GPUs and prices: 17 for the
    fitted law (each re-solved under its 1,000 refits, a second of Python apiece), 35 for the published law."""
    inf, dc = dict(question="inference"), dict(question="unique-tokens")
    if fitted:
        s = [dict(flops=1e21), dict(flops=5.76e23), dict(budget="days", days=30, gpus=1024, mfu=0.35, gpu="B200"),
             dict(flops=1e23, gpu="L40S", gpus=512, usd_per_hour=0.5),
             dict(question="target-loss", target_loss=2.2), dict(question="target-loss", target_loss=3.0),
             dict(inf, flops=1e23, inference_tokens=0.0), dict(inf, flops=1e21, inference_tokens=1e11),
             dict(inf, budget="days", days=20, gpus=256, gpu="H200", inference_tokens=1e13),
             dict(inf, quality="target", target_loss=2.3, inference_tokens=1e12),
             dict(inf, quality="target", target_loss=2.6, inference_tokens=1e14, objective="usd", inference_mfu=0.2),
             dict(inf, flops=1e22, hold="compute", inference_tokens=1e12),
             dict(inf, flops=3e23, hold="compute", inference_tokens=1e13, objective="usd", inference_mfu=0.15,
                  gpu="MI300X"),
             dict(dc, flops=1e21, unique_tokens=2e10), dict(dc, flops=1e23, unique_tokens=1e11),
             dict(dc, budget="days", days=30, gpus=512, unique_tokens=3e11),
             dict(flops=1e19, gpu="V100", gpus=8)]
        return [{**BASE, **x} for x in s]
    s = [dict(flops=c) for c in (1e18, 1e20, 5.76e23, 1e26)] + [dict(flops=3e22, gpu="MI300X", gpus=32)]
    s += [dict(budget="days", days=d, gpus=g, mfu=u, gpu=gpu, usd_per_hour=p) for d, g, u, gpu, p in (
        (7, 64, 0.4, "H100-SXM", None), (30, 1024, 0.35, "B200", None), (90, 4096, 0.5, "A100-80GB", 1.2),
        (0.5, 8, 0.3, "L40S", 0.9), (60, 16384, 0.45, "H100-PCIe", None))]
    s += [dict(question="target-loss", target_loss=t) for t in (1.9, 2.1, 2.4, 3.0)]
    s += [dict(inf, flops=c, inference_tokens=t) for c in (1e21, 1e24) for t in (0.0, 1e10, 1e12, 1e14)]
    s += [dict(inf, quality="target", target_loss=t, inference_tokens=1e13, objective=o, inference_mfu=m)
          for t, o, m in ((2.2, "flops", None), (2.0, "usd", None), (2.5, "usd", 0.1))]
    s += [dict(inf, hold="compute", flops=c, inference_tokens=t, objective=o) for c, t, o in (
        (1e22, 1e11, "flops"), (1e22, 1e13, "flops"), (1e24, 1e14, "usd"), (1e20, 1e10, "usd"))]
    s += [dict(inf, budget="days", days=14, gpus=2048, gpu="H200", inference_tokens=1e13, hold="compute")]
    s += [dict(dc, flops=c, unique_tokens=u) for c, u in ((1e20, 5e9), (1e22, 1e11), (1e22, 6e9), (1e24, 1e12),
                                                          (1e24, 3e12))]
    return [{**BASE, **x} for x in s]


def _argv(law: str, st: dict, hp_rule: str = "step-law") -> list[str]:
    """The `scalinglab plan` arguments of a page state."""
    a = ["plan", "--law", law, "--gpu", st["gpu"], "--gpus", str(st["gpus"]), "--mfu", repr(st["mfu"]), "--json",
         "--hp-rule", hp_rule]
    if st["usd_per_hour"] is not None:
        a += ["--usd-per-hour", repr(st["usd_per_hour"])]
    budget = ["--days", repr(st["days"])] if st["budget"] == "days" else ["--flops", repr(st["flops"])]
    q = st["question"]
    if q == "compute":
        return a + budget
    if q == "target-loss":
        return a + ["--target-loss", repr(st["target_loss"])]
    if q == "unique-tokens":
        return a + budget + ["--unique-tokens", repr(st["unique_tokens"])]
    a += ["--target-loss", repr(st["target_loss"])] if st["quality"] == "target" else budget
    a += ["--inference-tokens", repr(st["inference_tokens"]), "--hold", st["hold"], "--objective", st["objective"]]
    return a + (["--inference-mfu", repr(st["inference_mfu"])] if st["inference_mfu"] is not None else [])


#: differences of nearly equal numbers, compared to their scale instead of their own size
_NEAR_ZERO = {"fraction_saved": 1e-9, "fraction_flops_added": 1e-9, "loss_given_up": 1e-9}
_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?")


def _same(js, py, path: str, scale: float = 0.0) -> None:
    """Equal keys, lengths and text; numbers to 4 significant digits (|a − b| ≤ 5e-5·max(|a|, |b|))."""
    if isinstance(py, dict):
        assert isinstance(js, dict) and set(js) == set(py), (path, sorted(set(js) ^ set(py)))
        sc = max((abs(py[k]) for k in ("total_flops", "flops") if isinstance(py.get(k), float)), default=0.0)
        for k in py:
            _same(js[k], py[k], f"{path}.{k}", sc if k in ("flops_saved", "flops_added") else _NEAR_ZERO.get(k, 0.0))
    elif isinstance(py, list):
        assert isinstance(js, list) and len(js) == len(py), (path, js, py)
        for i, (a, b) in enumerate(zip(js, py)):
            _same(a, b, f"{path}[{i}]", scale)
    elif isinstance(py, bool) or py is None:
        assert js == py, (path, js, py)
    elif isinstance(py, int) and isinstance(js, int):
        assert js == py, (path, js, py)
    elif isinstance(py, (int, float)):
        tol = 5e-5 * max(abs(js), abs(py)) + (1e-9 * scale if scale > 1 else scale)
        assert isinstance(js, (int, float)) and abs(js - py) <= tol, (path, js, py)
    else:  # text: words equal, numbers in it to the digits it prints
        assert _NUMBER.sub("#", js) == _NUMBER.sub("#", py), (path, js, py)
        for a, b in zip(_NUMBER.findall(js), _NUMBER.findall(py)):
            assert math.isclose(float(a), float(b), rel_tol=1e-2), (path, js, py)


def _shown(text: str) -> float:
    """A number as the page prints it: 9.074B, $25.41K, 1.000e22, 2.141."""
    t = text.strip().replace("$", "").replace(",", "")
    mult = {"K": 1e3, "M": 1e6, "B": 1e9, "T": 1e12, "P": 1e15}.get(t[-1:], 1.0)
    return float(t[:-1] if mult != 1.0 else t) * mult


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    d = tmp_path_factory.mktemp("page")
    laws = {"fitted": save_fitted(synthetic_fitted(1000), d / "fitted.json"),
            "unidentified": save_fitted(synthetic_fitted(200, identified=False), d / "unidentified.json")}
    from scalinglab.report.page import write_page

    out = {name: (str(p), write_page(str(p), d / f"{name}.html")[0]) for name, p in laws.items()}
    out["epoch2024"] = ("epoch2024", write_page("epoch2024", d / "epoch2024.html")[0])
    return out


@pytest.fixture(scope="module")
def browser():
    from selenium.webdriver.chrome.service import Service

    os.environ.setdefault("SE_OFFLINE", "1")  # Selenium Manager must not try to download a driver
    opts = webdriver.ChromeOptions()
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1300,1500",
                "--disable-background-networking", "--disable-component-update"):
        opts.add_argument(arg)
    opts.binary_location = CHROMIUM
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    drv = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=opts)
    yield drv
    drv.quit()


def _open(browser, path, fragment: str = "") -> None:
    browser.get("about:blank")  # a new load: going to the same file with another #fragment would not reload it
    browser.get(path.resolve().as_uri() + fragment)
    assert browser.execute_script("return typeof window.scalinglab") == "object"


def _ask(browser, st: dict) -> dict:
    return browser.execute_script("return window.scalinglab.set(arguments[0])", st)


def _python(run, law: str, st: dict, hp_rule: str = "step-law") -> tuple[dict, bool]:
    """`plan --json` for the state; refused: whether it needed --allow-unidentified."""
    code, out, err = run(*_argv(law, st, hp_rule))
    if code == 1 and "does not identify the plan" in err:
        code, out, err = run(*_argv(law, st, hp_rule), "--allow-unidentified")
        assert code == 0, err
        return json.loads(out), True
    assert code == 0, err
    return json.loads(out), False


@pytest.mark.parametrize("name", ["fitted", "epoch2024"])
def test_page_plans_equal_plan_json_across_the_modes(browser, pages, run, name):
    law, path = pages[name]
    _open(browser, path)
    settings = _settings(name == "fitted")
    shown = 0
    for i, st in enumerate(settings):
        js = _ask(browser, st)
        assert js is not None, (st, browser.execute_script("return window.scalinglab.error()"))
        py, refused = _python(run, law, st)
        _same(js, py, f"{name}[{i}] {st['question']}")
        assert browser.find_element("id", "banner-plan").is_displayed() == refused
        if name == "fitted":  # the bands were compared: both of them, from all 1,000 refits
            assert py["intervals"]["loss_new_run"]["n_samples"] == 1000 and py["intervals"]["loss"]["n_samples"] > 900
        if i % 4 == 0:  # what the reader sees: the printed numbers and band
            for key, value in (("n_params", py["n_params"]), ("n_tokens", py["n_tokens"]), ("loss", py["loss"]),
                               ("tokens_per_param", py["tokens_per_param"]), ("flops", py["flops"]),
                               ("usd", py["cost"]["usd"]), ("wall_days", py["cost"]["wall_days"])):
                text = browser.find_element("id", f"out-{key}").text
                assert math.isclose(_shown(text), value, rel_tol=6e-4), (key, text, value)
            band = browser.find_element("id", "iv-n_params").text
            if "n_params" in py["intervals"]:
                lo, hi = (_shown(x) for x in band.split("–"))
                iv = py["intervals"]["n_params"]
                assert math.isclose(lo, iv["low"], rel_tol=6e-4) and math.isclose(hi, iv["high"], rel_tol=6e-4)
            shown += 1
    assert len(settings) >= (17 if name == "fitted" else 35) and shown >= 4
    severe = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert not severe, severe


def _rule_with_refits(path):
    """A fitted-rule file whose band comes from 300 refits (not a covariance), in the 6N+attn convention of C."""
    import numpy as np

    from scalinglab.laws.base import Citation
    from scalinglab.laws._hparam_io import save_rule
    from scalinglab.laws.hyperparams import HyperparamRule, PowerRule

    lr, batch = PowerRule(-1.2, (("flops", -0.12),)), PowerRule(-1.1, (("flops", 0.33),))
    z = np.random.default_rng(3).standard_normal((300, 4)) * [0.2, 0.01, 0.2, 0.01]
    return save_rule(HyperparamRule("test-rule", lr, batch, Citation("test", 2026, "a rule with refits"),
                                    context=1024, n_params_count="total", flops_convention="6N+attn",
                                    samples=np.concatenate([lr.theta(), batch.theta()]) + z,
                                    domain={"flops": (1e17, 1e21)}), path)


@pytest.mark.parametrize("rule", ["deepseek-llm", "refits", "none"])
def test_page_hyperparameters_equal_plan_json_for_each_kind_of_rule(browser, run, tmp_path, rule):
    from scalinglab.report.page import write_page

    spec = str(_rule_with_refits(tmp_path / "rule.json")) if rule == "refits" else rule
    path, _ = write_page("epoch2024", tmp_path / "p.html", hp_rule=None if rule == "none" else spec)
    _open(browser, path)
    for st in ({**BASE, "flops": 3e19}, {**BASE, "question": "inference", "flops": 1e23, "inference_tokens": 1e13}):
        js = _ask(browser, st)
        py, _ = _python(run, "epoch2024", st, spec)
        _same(js, py, rule)
        assert ("hyperparams" in js) == (rule != "none")


def test_page_has_no_address_and_loads_nothing(browser, pages):
    for _, path in pages.values():
        html = path.read_text(encoding="utf-8")
        assert not external_references(html)
        assert not re.search(r"https?:|//[a-z0-9-]+\.[a-z]|<(?:link|img|iframe)\b|\bsrc\s*=", html, re.I)
    _open(browser, pages["fitted"][1])
    assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0


def test_permalink_restores_the_state_and_the_plan(browser, pages):
    path = pages["fitted"][1]
    _open(browser, path)
    st = {**BASE, "question": "inference", "budget": "days", "days": 12.5, "gpus": 300, "gpu": "H200",
          "usd_per_hour": 3.1, "inference_tokens": 2e13, "hold": "compute", "objective": "usd", "inference_mfu": 0.25}
    plan = _ask(browser, st)
    fragment = browser.find_element("id", "permalink-text").get_attribute("value")
    from selenium.webdriver.support.ui import WebDriverWait

    # the address follows the controls once they rest
    WebDriverWait(browser, 5).until(lambda b: b.execute_script("return location.hash") == fragment)
    _open(browser, path, fragment)
    assert browser.execute_script("return window.scalinglab.state()") == st
    assert browser.execute_script("return window.scalinglab.plan()") == plan


def test_controls_drive_the_plan_and_bad_input_is_one_line(browser, pages):
    _open(browser, pages["fitted"][1], "#question=compute&flops=1e22&gpus=8")
    box = browser.find_element("id", "i-flops")
    box.clear()
    box.send_keys("5.76e23")
    assert browser.execute_script("return window.scalinglab.plan().flops") == pytest.approx(5.76e23, rel=1e-12)
    browser.find_element("css selector", "input[name=question][value=inference]").find_element("xpath", "..").click()
    assert browser.execute_script("return window.scalinglab.plan().question") == "inference"
    box.clear()
    box.send_keys("-3")
    err = browser.execute_script("return window.scalinglab.error()")
    assert err == "error: The 'flops' parameter must be > 0. Got -3." and browser.find_element("id", "out").text == ""
    assert "invalid" in box.get_attribute("class")
    _ask(browser, {**BASE, "flops": 10.0})
    assert "The '--flops' budget must give at least 1 parameter" in browser.execute_script(
        "return window.scalinglab.error()")
    timings = browser.execute_script("return window.scalinglab.timings")
    assert timings and all(t >= 0 for t in timings)


def test_unidentified_law_opens_stamped_with_full_width_bands(browser, pages, run):
    law, path = pages["unidentified"]
    _open(browser, path)
    banner = browser.find_element("id", "banner-law")
    assert banner.is_displayed() and "NOT IDENTIFIED" in banner.text and NOT_IDENTIFIED_REASON in banner.text
    assert browser.find_element("id", "stamp").is_displayed()
    assert "all refits (min – max)" in browser.find_element("id", "out").text
    st = {**BASE, "flops": 1e22}
    js = _ask(browser, st)
    code, _, err = run(*_argv(law, st))
    assert code == 1 and "not identified by its runs" in err  # the CLI refuses it without the flag
    code, out, _ = run(*_argv(law, st), "--allow-unidentified")
    _same(js, json.loads(out), "unidentified")
    assert js["stamp"] == "NOT IDENTIFIED"
    assert "all refits (min–max)" in browser.find_element("id", "chart-iso").get_attribute("innerHTML")


def test_a_budget_the_law_does_not_identify_is_stamped_where_plan_refuses_it(browser, run, tmp_path):
    from scalinglab.report.page import write_page

    # exponents spread ±0.016: N*'s 90% interval spans 0.87 decades at 1e18 FLOPs, 1.16 at 1e24 (limit 1)
    law = str(save_fitted(synthetic_fitted(300, exponent_sd=0.016), tmp_path / "wide.json"))
    _open(browser, write_page(law, tmp_path / "wide.html")[0])
    for flops, refused in ((1e18, False), (1e24, True)):
        js = _ask(browser, {**BASE, "flops": flops})
        py, py_refused = _python(run, law, {**BASE, "flops": flops})
        assert py_refused == refused and browser.find_element("id", "banner-plan").is_displayed() == refused
        _same(js, py, f"wide {flops:g}")
        assert ("all refits (min – max)" in browser.find_element("id", "out").text) == refused
    assert "does not identify the plan" in browser.find_element("id", "banner-plan").text


def test_saturated_repetition_is_flagged_flat(browser, pages):
    _open(browser, pages["fitted"][1])
    _ask(browser, {**BASE, "question": "unique-tokens", "flops": 1e23, "unique_tokens": 1e9})
    flat = browser.find_element("id", "banner-flat")
    assert flat.is_displayed() and "Repetition saturates the law" in flat.text
    _ask(browser, {**BASE, "question": "unique-tokens", "flops": 1e22, "unique_tokens": 1e11})
    assert not browser.find_element("id", "banner-flat").is_displayed()
