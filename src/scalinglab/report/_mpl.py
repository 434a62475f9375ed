"""matplotlib plumbing: a headless import with a one-line install hint, and figure export.

Figures are drawn with the object-oriented API on :class:`matplotlib.figure.Figure` (no pyplot state, so
no ``plt.show`` and no global figure registry to leak); the Agg canvas renders them off screen.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

from ..errors import ConfigError

__all__ = ["new_figure", "png_bytes", "svg_text", "png_data_uri", "save_figure", "log_range"]

INSTALL_HINT = "Figures need matplotlib: pip install matplotlib (scalinglab's 'report' extra)"


def _figure_class() -> Any:
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ConfigError(INSTALL_HINT) from None
    return Figure


def new_figure(ncols: int = 1, *, width: float = 6.4, height: float = 4.4, nrows: int = 1) -> tuple[Any, Any]:
    """A detached Figure (Agg canvas) and its axes (an array when more than one)."""
    figure_cls = _figure_class()
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = figure_cls(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, squeeze=True)
    return fig, axes


def png_bytes(fig: Any, dpi: int = 110) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def svg_text(fig: Any) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg")
    return buf.getvalue()


def png_data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def save_figure(fig: Any, stem: str | Path, formats: tuple[str, ...] = ("png", "svg"), dpi: int = 150) -> list[Path]:
    """Write ``stem.png``, ``stem.svg`` ... and return the paths."""
    out = []
    for fmt in formats:
        if fmt not in ("png", "svg", "pdf"):
            raise ConfigError(f"The 'formats' entries must be png, svg or pdf. Got {fmt!r}.")
        path = Path(f"{stem}.{fmt}")
        fig.savefig(path, format=fmt, dpi=dpi)
        out.append(path)
    return out


def log_range(lo: float, hi: float, pad_dex: float = 0.0, n: int = 200) -> Any:
    """``n`` log-spaced points from ``lo`` to ``hi``, each end widened by ``pad_dex`` decades."""
    import numpy as np

    return np.logspace(np.log10(lo) - pad_dex, np.log10(hi) + pad_dex, n)
