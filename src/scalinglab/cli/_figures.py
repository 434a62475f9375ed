"""``--figure PATH`` for the commands that draw one: the format from the extension, checked before any work,
and the figure written atomically."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from .._io import check_writable, write_atomic
from ..errors import ConfigError
from ..report._mpl import FIGURE_FORMATS

__all__ = ["figure_format", "write_figure"]


def figure_format(figure: str) -> str:
    """The format of ``--figure`` from its extension, checked with the path before any work."""
    fmt = Path(figure).suffix.lower().lstrip(".")
    if fmt not in FIGURE_FORMATS:
        raise ConfigError(f"The '--figure' file must end in .png, .svg or .pdf (its extension chooses the format). "
                          f"Got {figure!r}.")
    check_writable(figure, "figure")
    return fmt


def write_figure(fig: Any, figure: str, fmt: str) -> str:
    """Write ``fig`` to ``figure`` in ``fmt`` (150 dpi) all at once; the path written."""
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=150)
    return str(write_atomic(figure, buf.getvalue(), "figure"))
