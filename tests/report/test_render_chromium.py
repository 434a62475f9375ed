"""The report renders in headless Chromium: figures decoded and visible, no console errors, a screenshot.

Needs the Debian ``chromium`` package (``apt-get install -y chromium``); skipped with the reason where no
Chromium binary is on PATH.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

pytest.importorskip("matplotlib", reason="the report needs the [report] extra (matplotlib)")
Image = pytest.importorskip("PIL.Image", reason="checking the screenshot needs Pillow (a matplotlib dependency)")

CHROMIUM = next((b for b in (shutil.which("chromium"), shutil.which("chromium-browser")) if b), None)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium binary on PATH (Debian: apt-get install -y chromium)")

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync")

# Test-only probe: after load, write each image's decoded and laid-out size and visibility into the DOM.
PROBE = ("<script>window.addEventListener('load',()=>{document.body.setAttribute('data-probe',"
         "[...document.images].map(i=>{const r=i.getBoundingClientRect();return i.naturalWidth+'x'+"
         "i.naturalHeight+':'+Math.round(r.width)+'x'+Math.round(r.height)+':'+getComputedStyle(i).visibility})"
         ".join(','))});</script>")


def _chromium(tmp_path, name: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / name}", *args], capture_output=True,
                          text=True, timeout=120, check=False)


def test_report_renders_in_chromium_with_visible_figures_and_no_console_errors(full_report, tmp_path):
    res, text = full_report
    n_images = text.count("<img ")
    assert n_images >= 8

    shot = tmp_path / "shot.png"
    proc = _chromium(tmp_path, "profile-shot", "--enable-logging=stderr", "--v=0", f"--screenshot={shot}",
                     "--window-size=1280,2000", res.path.resolve().as_uri())
    console = [line for line in proc.stderr.splitlines() if ":CONSOLE" in line]
    assert not console, console
    assert shot.is_file() and shot.stat().st_size > 20_000, proc.stderr[-2000:]
    with Image.open(shot) as im:
        assert im.size == (1280, 2000)
        colours = im.convert("RGB").getcolors(maxcolors=1 << 20)
    assert colours is None or len(colours) > 50  # not a blank page

    probe = tmp_path / "probe.html"
    probe.write_text(text.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    proc = _chromium(tmp_path, "profile-dom", "--virtual-time-budget=5000", "--dump-dom", probe.as_uri())
    found = re.search(r'data-probe="([^"]*)"', proc.stdout)
    assert found, proc.stderr[-2000:]
    images = found.group(1).split(",")
    assert len(images) == n_images
    for entry in images:
        natural, shown, visibility = entry.split(":")
        nw, nh = map(int, natural.split("x"))
        sw, sh = map(int, shown.split("x"))
        assert nw > 100 and nh > 100, entry  # the PNG decoded
        assert sw > 100 and sh > 50 and visibility == "visible", entry  # and is laid out on the page
