"""``__version__``, at the bottom layer so that any module can name the version without importing the
package root (which imports the law catalog)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

__all__ = ["__version__"]

try:
    __version__ = version("scalinglab")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0"
