"""Shared fixtures: the location of ../shared/data (real scaling-law runs)."""

from __future__ import annotations

from pathlib import Path

import pytest

from scalinglab.cli import main

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path of ../shared/data; the test is skipped with the reason when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real-data tests need {SHARED_DATA} (present in CI and the dev image, not in a user's clone)")
    return SHARED_DATA


@pytest.fixture
def run(capsys):
    """Run the CLI in-process: ``run(*argv)`` returns (exit code, stdout, stderr)."""

    def _run(*argv: str) -> tuple[int, str, str]:
        code = 0
        try:
            main(list(argv))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        out, err = capsys.readouterr()
        return code, out, err

    return _run
