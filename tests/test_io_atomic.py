"""Output files: checked before the work, written atomically (all or nothing), one clear error otherwise."""

import os

import pytest

from scalinglab._io import check_writable, write_atomic
from scalinglab.errors import ConfigError


def test_write_atomic_replaces_whole_file_and_keeps_mode(tmp_path):
    p = tmp_path / "fit.json"
    p.write_text("old")
    os.chmod(p, 0o640)
    write_atomic(p, "new ✓")
    assert p.read_text(encoding="utf-8") == "new ✓" and (p.stat().st_mode & 0o777) == 0o640
    assert [q.name for q in tmp_path.iterdir()] == ["fit.json"]  # no temporary left behind


@pytest.mark.parametrize("bad, says", [("", "must name a file. Got ''"),
                                       ("{tmp}", "not a directory"),
                                       ("{tmp}/missing/x.json", "existing folder")])
def test_bad_targets_are_refused_before_anything_is_written(tmp_path, bad, says):
    with pytest.raises(ConfigError, match=says):
        check_writable(bad.format(tmp=tmp_path))
    assert not (tmp_path / "missing").exists()  # a missing folder is never created


def test_a_failing_write_leaves_the_old_file(tmp_path, monkeypatch):
    p = tmp_path / "r.html"
    p.write_text("old report")

    def full(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(ConfigError, match="could not be written \\(No space left on device\\)"):
        write_atomic(p, "x" * 1000)
    assert p.read_text() == "old report" and len(list(tmp_path.iterdir())) == 1


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_dev_full_is_one_error():
    with pytest.raises(ConfigError, match="could not be written"):
        write_atomic("/dev/full", "x")
