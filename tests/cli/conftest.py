"""Run the CLI in-process: ``run(*argv)`` returns (exit code, stdout, stderr)."""

from __future__ import annotations

import pytest

from scalinglab.cli import main


@pytest.fixture
def run(capsys):
    def _run(*argv: str) -> tuple[int, str, str]:
        code = 0
        try:
            main(list(argv))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        out, err = capsys.readouterr()
        return code, out, err

    return _run
