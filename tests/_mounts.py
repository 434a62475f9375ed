"""Private mounts for the store and lab tests: a real read-only folder and a real full disk without root.

``unshare -rm`` gives the test a user and mount namespace of its own, in which it may mount a small tmpfs
(a disk that fills up) and remount it read-only. Where unshare is missing or forbidden (some containers,
macOS), the tests that need it are skipped with the reason. The conftest.py of tests/store and tests/lab
import the fixture from here.
"""

from __future__ import annotations

import functools
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import scalinglab

SRC = str(Path(scalinglab.__file__).resolve().parents[1])


@functools.cache
def _unshare_works() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-rm", "sh", "-c", "mount -t tmpfs none /mnt 2>/dev/null || "
                            "mount -t tmpfs none /tmp"], capture_output=True, timeout=30)
    return probe.returncode == 0


@pytest.fixture
def private_mount(tmp_path):
    """``run(script, files=(), size="1m", readonly=False)``: run shell ``script`` in a fresh tmpfs of ``size``
    holding copies of ``files`` (made read-only first with ``readonly``); returns the CompletedProcess."""
    if not _unshare_works():
        pytest.skip("needs `unshare -rm` with a private tmpfs mount (util-linux, unprivileged user namespaces)")
    mountpoint = tmp_path / "mnt"
    mountpoint.mkdir()

    def run(script: str, files=(), size: str = "1m", readonly: bool = False, timeout: float = 120):
        m = shlex.quote(str(mountpoint))
        copies = " ".join(shlex.quote(str(f)) for f in files)
        steps = [f"mount -t tmpfs -o size={size} none {m}"]
        if copies:
            steps.append(f"cp {copies} {m}/")
        if readonly:
            steps.append(f"mount -o remount,ro {m}")
        steps += [f"cd {m}", script]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([SRC, os.environ.get("PYTHONPATH", "")]),
               "PY": sys.executable}
        return subprocess.run(["unshare", "-rm", "sh", "-c", " && ".join(steps[:-1]) + " && " + steps[-1]],
                              capture_output=True, text=True, env=env, timeout=timeout)

    return run
