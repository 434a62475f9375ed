"""matplotlib plumbing: a headless import with a one-line install hint, and figure export.

Figures are drawn with the object-oriented API on :class:`matplotlib.figure.Figure` (no pyplot state, so
no ``plt.show`` and no global figure registry to leak); the Agg canvas renders them off screen.
"""

from __future__ import annotations

import base64
import io
import math
from pathlib import Path
from typing import Any

from ..errors import ConfigError

__all__ = ["FIGURE_FORMATS", "new_figure", "new_mosaic", "png_bytes", "svg_text", "png_data_uri", "save_figure", "log_range",
           "log_axis", "tidy_log_axes", "sci_text", "N_LABEL", "D_LABEL", "C_LABEL", "LOSS_LABEL", "HELD_OUT_LABEL"]

#: the file formats every figure is written in (chosen by the extension or a formats list)
FIGURE_FORMATS = ("png", "svg", "pdf")

#: axis labels with their units, shared by every figure
N_LABEL = "parameters N"
D_LABEL = "training tokens D"
C_LABEL = "training compute C = 6ND (FLOP)"
LOSS_LABEL = "loss (nats/token)"
#: legend entry of runs the law was not fitted on
HELD_OUT_LABEL = "held out (not in the fit)"

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


def new_mosaic(mosaic: Any, *, width: float, height: float, height_ratios: Any = None) -> tuple[Any, dict[Any, Any]]:
    """A detached Figure laid out by :meth:`matplotlib.figure.Figure.subplot_mosaic`, and its axes by label."""
    figure_cls = _figure_class()
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = figure_cls(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig, fig.subplot_mosaic(mosaic, height_ratios=height_ratios)


def png_bytes(fig: Any, dpi: int = 110) -> bytes:
    tidy_log_axes(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def svg_text(fig: Any) -> str:
    tidy_log_axes(fig)
    buf = io.StringIO()
    fig.savefig(buf, format="svg")
    return buf.getvalue()


def png_data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def save_figure(fig: Any, stem: str | Path, formats: tuple[str, ...] = ("png", "svg"), dpi: int = 150) -> list[Path]:
    """Write ``stem.png``, ``stem.svg`` ... and return the paths."""
    tidy_log_axes(fig)
    out = []
    for fmt in formats:
        if fmt not in FIGURE_FORMATS:
            raise ConfigError(f"The 'formats' entries must be png, svg or pdf. Got {fmt!r}.")
        path = Path(f"{stem}.{fmt}")
        fig.savefig(path, format=fmt, dpi=dpi)
        out.append(path)
    return out


def log_range(lo: float, hi: float, pad_dex: float = 0.0, n: int = 200) -> Any:
    """``n`` log-spaced points from ``lo`` to ``hi``, each end widened by ``pad_dex`` decades."""
    import numpy as np

    return np.logspace(np.log10(lo) - pad_dex, np.log10(hi) + pad_dex, n)


def sci_text(x: float, digits: int = 3) -> str:
    """``x`` as mathtext for figure text: ``5.76e23`` -> ``$5.76\\times10^{23}$``, ``1e22`` -> ``$10^{22}$``;
    plain digits between 0.01 and 10^4."""
    x = float(x)
    if not math.isfinite(x) or x == 0:
        return f"{x:g}"
    if 1e-2 <= abs(x) < 1e4:
        return f"{float(f'{x:.{digits}g}'):g}"
    e = math.floor(math.log10(abs(x)))
    m = float(f"{x / 10.0**e:.{digits}g}")
    if abs(m) >= 10:  # 9.999 rounded up to 10
        m, e = m / 10, e + 1
    if m == 1:
        return f"$10^{{{e}}}$"
    return f"${m:g}\\times10^{{{e}}}$"


def _ticker() -> Any:
    from matplotlib import ticker

    return ticker


def _log_classes() -> tuple[type, type]:
    """The locator and formatter classes (built on first use so importing this module needs no matplotlib)."""
    global _LOG_CLASSES
    if _LOG_CLASSES is not None:
        return _LOG_CLASSES
    ticker = _ticker()

    class LogMajorLocator(ticker.LogLocator):
        """Decades when two or more lie in view; else 1-2-5 steps, then every integer multiple of the decade,
        then (a view narrower still) three or four evenly spaced values: a narrow axis still gets at least two
        labelled ticks and never a crowd of them."""

        def tick_values(self, vmin: float, vmax: float) -> Any:
            import numpy as np

            self.set_params(subs=(1.0,))
            lo, hi = min(vmin, vmax), max(vmin, vmax)
            if not (lo > 0 and math.isfinite(hi)):
                return super().tick_values(vmin, vmax)
            e_lo, e_hi = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
            if e_hi - e_lo >= 3 or sum(lo <= 10.0**e <= hi for e in range(e_lo, e_hi + 1)) >= 2:
                return super().tick_values(vmin, vmax)
            for subs in ((1.0, 2.0, 5.0), tuple(float(k) for k in range(1, 10))):
                ticks = np.array([m * 10.0**e for e in range(e_lo - 1, e_hi + 1) for m in subs])
                if np.count_nonzero((ticks >= lo) & (ticks <= hi)) >= 2:
                    return ticks
            return ticker.MaxNLocator(nbins=3).tick_values(lo, hi)

    class LogTickFormatter(ticker.Formatter):
        """Major ticks as ``10^k`` or ``m×10^k`` (plain digits between 0.01 and 10^4)."""

        def __call__(self, x: float, pos: Any = None) -> str:
            if not math.isfinite(x) or x <= 0:
                return ""
            return sci_text(x, digits=3)

    _LOG_CLASSES = (LogMajorLocator, LogTickFormatter)
    return _LOG_CLASSES


_LOG_CLASSES: tuple[type, type] | None = None


def _install_log_ticks(axis: Any) -> None:
    locator_cls, formatter_cls = _log_classes()
    axis.set_major_locator(locator_cls(base=10.0))
    axis.set_major_formatter(formatter_cls())
    axis.set_minor_formatter(_ticker().NullFormatter())


def log_axis(ax: Any, which: str = "x") -> None:
    """Put ``ax``'s ``which`` axis ("x", "y" or "both") on a log scale with labelled decades (1-2-5 steps on a
    narrow view) and unlabelled minor ticks: matplotlib's default labels minor ticks on views under a decade
    or so, and at small sizes those labels overprint ("3×4×10³")."""
    for name in ("x", "y") if which == "both" else (which,):
        getattr(ax, f"set_{name}scale")("log")
        _install_log_ticks(getattr(ax, f"{name}axis"))


def tidy_log_axes(fig: Any) -> None:
    """Give every log-scale axis of ``fig`` (colour bars excepted) the ticks of :func:`log_axis`; figures from
    other modules get them when exported."""
    locator_cls, _ = _log_classes()
    for ax in fig.axes:
        if getattr(ax, "_colorbar", None) is not None:
            continue
        for axis in (ax.xaxis, ax.yaxis):
            if axis.get_scale() == "log" and not isinstance(axis.get_major_locator(), locator_cls):
                _install_log_ticks(axis)
