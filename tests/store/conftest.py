"""Fixtures of the store tests: :func:`private_mount` (a private tmpfs: a real read-only folder, a full disk)."""

import _mounts

private_mount = _mounts.private_mount
