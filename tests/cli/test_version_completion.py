"""`scalinglab --version` and shell completion (typer's --install-completion / --show-completion)."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import version

import pytest

from scalinglab.cli import COMMANDS, COMPLETE_ENV

SRC = os.path.join(os.path.dirname(__file__), "..", "..", "src")


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_cli_version_prints_the_installed_version_and_exits_0(run, flag):
    code, out, err = run(flag)
    assert code == 0, err
    assert out == f"scalinglab {version('scalinglab')}\n"


def _complete(words: str) -> list[str]:
    """What bash's completion script gets back for the command line ``words`` (cursor after the last word),
    from a fresh `python -m scalinglab`: main() registers only the command it runs, so in-process the
    commands other tests registered would hide a missing registration."""
    cwords = words.split()
    env = {**os.environ, COMPLETE_ENV: "complete_bash", "COMP_WORDS": words + " ", "COMP_CWORD": str(len(cwords)),
           "PYTHONPATH": os.pathsep.join([os.path.abspath(SRC), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, "-m", "scalinglab"], env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.split()


def test_cli_completion_lists_every_command_and_subcommand():
    assert sorted(_complete("scalinglab")) == sorted(COMMANDS)
    assert sorted(_complete("scalinglab lab")) == ["pair", "plan-sweep", "status", "sweep"]


def test_cli_show_completion_prints_a_script_calling_scalinglab_back(run, monkeypatch):
    import typer.completion

    monkeypatch.setattr(typer.completion, "_get_shell_name", lambda: "bash")  # whatever shell runs the tests
    code, out, err = run("--show-completion")
    assert code == 0, err
    assert f"{COMPLETE_ENV}=complete_bash" in out and "-F _scalinglab_completion scalinglab" in out
