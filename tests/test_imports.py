"""The layers: laws, fit and plan import and work without torch (the [lab] extra); the import contracts
of pyproject.toml hold (``lint-imports``); a CLI command imports only what it uses."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import scalinglab

REPO_ROOT = Path(__file__).resolve().parents[1]
#: the folder holding the scalinglab package under test: subprocesses import (and lint) that one
SRC = str(Path(scalinglab.__file__).resolve().parents[1])


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (SRC, os.environ.get("PYTHONPATH")) if p)}

CODE = """
import sys

class NoTorch:  # behave as if the [lab] extra were not installed
    def find_spec(self, name, path=None, target=None):
        if name == 'torch' or name.startswith('torch.'):
            raise ImportError('torch is blocked in this test')

sys.meta_path.insert(0, NoTorch())
import scalinglab, scalinglab.laws, scalinglab.plan, scalinglab.cli
from scalinglab.plan import plan_compute
assert plan_compute(1e21).n_params > 0
assert 'torch' not in sys.modules
print('ok')
"""


def test_core_imports_without_torch():
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, env=_env())
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_python_dash_m_runs_the_cli():
    out = subprocess.run([sys.executable, "-m", "scalinglab", "laws", "show", "epoch2024", "--json"],
                         capture_output=True, text=True, env=_env())
    assert out.returncode == 0, out.stderr
    assert '"epoch2024"' in out.stdout


def test_import_contracts_hold():
    """``lint-imports`` with the contracts of pyproject.toml, on the package these tests import."""
    pytest.importorskip("importlinter", reason="the import contracts need import-linter (the [test] extra: "
                                               "pip install 'scalinglab[test]')")
    out = subprocess.run([sys.executable, "-c", "from importlinter.cli import lint_imports_command as c; c()",
                          "--no-cache", "--no-logo", str(REPO_ROOT / "pyproject.toml")],
                         capture_output=True, text=True, cwd=REPO_ROOT, env=_env())
    assert out.returncode == 0, out.stdout + out.stderr
    assert "0 broken" in out.stdout


STARTUP = """
import json, sys
from scalinglab.cli import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    assert not exc.code, exc.code
print(json.dumps(sorted(sys.modules)))
"""

#: what `scalinglab plan` must not import: the other layers and heavy packages it does not use
NOT_FOR_PLAN = ("scalinglab.fit", "scalinglab.lab", "scalinglab.store", "scalinglab.report", "torch", "matplotlib",
                "ray", "pandas")


@pytest.mark.parametrize("argv", [["plan", "--help"], ["plan", "--flops", "1e21", "--json"]])
def test_plan_command_imports_only_what_it_uses(argv):
    out = subprocess.run([sys.executable, "-c", STARTUP, *argv], capture_output=True, text=True, env=_env())
    assert out.returncode == 0, out.stderr
    modules = json.loads(out.stdout.strip().splitlines()[-1])
    assert "scalinglab.plan" in modules and "scalinglab.cli.plan_cmd" in modules
    unused = [m for m in modules if any(m == p or m.startswith(p + ".") for p in NOT_FOR_PLAN)]
    assert not unused, f"`scalinglab {' '.join(argv)}` imported {unused}"
    other_commands = [m for m in modules if m.startswith("scalinglab.cli.") and m.endswith("_cmd")
                      and m != "scalinglab.cli.plan_cmd"]
    assert not other_commands, other_commands


def test_top_level_help_lists_every_command():
    out = subprocess.run([sys.executable, "-m", "scalinglab", "--help"], capture_output=True, text=True, env=_env())
    assert out.returncode == 0, out.stderr
    from scalinglab.cli import COMMANDS

    for name in COMMANDS:
        assert f" {name} " in out.stdout, name


def test_jupyter_views_do_not_import_the_report():
    code = """
import sys
from scalinglab import get_law
from scalinglab.plan import plan_compute
assert '<table>' in get_law('epoch2024')._repr_html_() and '<table>' in plan_compute(1e21)._repr_html_()
assert not [m for m in sys.modules if m.startswith('scalinglab.report')]
print('ok')
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=_env())
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
