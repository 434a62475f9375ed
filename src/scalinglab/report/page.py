"""An interactive planner page: one self-contained HTML file that plans in the browser.

The page carries the law, its bootstrap refits as the planner thins them, the run scatter, the GPU catalogue and
the hyperparameter rule (:func:`~scalinglab.report.page_data.page_data`) as one JSON blob, and a small JavaScript
planner (``page_*.js`` beside this module, package data) that ports each formula of :mod:`scalinglab.plan` once:
compute-optimal, inference-aware (both holds, FLOPs or GPU time), data-constrained and target-loss plans, their mean
and prediction bands, cost, memory and hyperparameters. Moving a control re-plans at once; the address's fragment
restores the controls; the export is the JSON of ``scalinglab plan --json`` for the same question.

Nothing is fetched: no script, style, font or image comes from elsewhere, and the HTML names no address
(:func:`external_references` lists any it would; the CLI refuses to write a page that has one).
"""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

from .._io import write_atomic
from .._version import __version__
from .._html import esc
from ..errors import ConfigError
from ..plan.optimal import LawSpec
from .page_data import page_data

__all__ = ["build_page", "write_page", "page_html", "external_references", "SCRIPTS"]

#: the page's JavaScript, in the order it runs (each file fills the one namespace SL)
SCRIPTS = ("page_numeric.js", "page_planner.js", "page_unique.js", "page_resources.js", "page_question.js",
           "page_charts.js", "page_ui.js")
_TEMPLATE = "page_template.html"

#: an address anywhere in the file: a scheme (https://, file://, data: is not one), a protocol-relative //host.name, www.
_ADDRESS = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://|(?<![:\w/])//[a-zA-Z0-9-]+\.[a-zA-Z]|\bwww\.[a-zA-Z0-9-]+\.", re.I)
#: in the markup (scripts and styles taken out): an attribute that loads or links a resource, other than a fragment
_ATTRIBUTE = re.compile(r"<[^>]*\b(?:src|href|srcset|poster|action|formaction|background|data|xlink:href)\s*=\s*"
                        r"['\"]?(?!#)[^'\"\s>]", re.I)
#: in a style: an import or a url() other than a fragment
_STYLE = re.compile(r"@import|url\(\s*['\"]?(?!#)", re.I)
#: in a script: what fetches (fetch, XHR, dynamic import, workers, sockets, beacons, elements given a source)
_SCRIPT = re.compile(r"\bfetch\s*\(|XMLHttpRequest|\bimport\s*\(|importScripts|WebSocket|EventSource|sendBeacon|"
                     r"new\s+(?:Worker|SharedWorker|Image)\b|\.src\s*=|<(?:img|iframe|link|object|embed|audio|video)\b",
                     re.I)
_BLOCK = re.compile(r"<(script|style)\b[^>]*>(.*?)</\1>", re.I | re.S)


def _asset(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def external_references(html: str) -> list[str]:
    """Every place in ``html`` that names an address or would load anything from outside the file (empty: none):
    an address anywhere; in the markup an attribute loading a resource; in a style an import or url(); in a script
    a call that fetches or an element given a source."""
    found = [m.group(0) for m in _ADDRESS.finditer(html)]
    for m in _BLOCK.finditer(html):
        found += [x.group(0) for x in (_STYLE if m.group(1).lower() == "style" else _SCRIPT).finditer(m.group(2))]
    found += [m.group(0)[-80:] for m in _ATTRIBUTE.finditer(_BLOCK.sub("", html))]
    return found


def page_html(data: dict[str, Any]) -> str:
    """The page for a blob made by :func:`~scalinglab.report.page_data.page_data`."""
    try:
        blob = json.dumps(data, ensure_ascii=True, allow_nan=False, separators=(",", ":"))
    except ValueError as exc:  # a non-finite number would be invalid JSON for the browser
        raise ConfigError(f"The planner page's data must be finite numbers. Got: {exc}.") from None
    blob = blob.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    script = "\n".join(_asset(name) for name in SCRIPTS)
    return (_asset(_TEMPLATE).replace("{{VERSION}}", esc(__version__)).replace("{{TITLE}}", esc(data["law"]["name"]))
            .replace("{{DATA}}", blob).replace("{{SCRIPT}}", script))


def build_page(law: LawSpec, *, hp_rule: str | None = "step-law") -> str:
    """The planner page for ``law`` as HTML text (see :func:`~scalinglab.report.page_data.page_data`)."""
    return page_html(page_data(law, hp_rule=hp_rule))


def write_page(law: LawSpec, out: str | Path, *, hp_rule: str | None = "step-law") -> tuple[Path, dict[str, Any]]:
    """Write the planner page for ``law`` to ``out`` atomically; return its path and the data it carries. A page
    that would name an address is refused (ConfigError); none built from the bundled templates does."""
    data = page_data(law, hp_rule=hp_rule)
    html = page_html(data)
    found = external_references(html)
    if found:
        raise ConfigError(f"The planner page must reference nothing outside itself. Got {len(found)} reference(s), "
                          f"the first: {found[0]!r}.")
    return write_atomic(out, html, "out"), data
