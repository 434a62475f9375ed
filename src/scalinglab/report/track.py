"""Track a live training run against a law: read a training log, compare each point with
``L(N, tokens_seen)`` and its interval, project the final loss, and flag a run that leaves the band.

Caveat: a scaling law predicts the *final* loss of a run trained (with its learning-rate schedule
completed) on D tokens. Mid-run losses of a cosine schedule sit above that curve until the schedule
anneals, so early deviations are expected to be positive; judge a run by its latest points.
"""

from __future__ import annotations

import csv
import io
import json
import math
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._intervals import DEFAULT_LEVEL, band_label
from .._validate import check_positive
from ..errors import ConfigError, DataError
from ..fit._readers import decode_text
from ..laws.base import JointLaw
from ..laws.fitted import FittedLaw

__all__ = ["TrackResult", "track_run", "read_training_log", "TrainingLog", "LogWarning"]


class LogWarning(UserWarning):
    """A training log read with a correction: a restarted run whose earlier rows were replaced."""

_TOKEN_NAMES = ("tokens", "tokens_seen", "n_tokens", "num_tokens", "total_tokens", "consumed_tokens")
_STEP_NAMES = ("step", "_step", "global_step")
_LOSS_NAMES = ("loss", "train_loss", "train/loss", "val_loss", "val/loss", "eval/loss")


@dataclass(frozen=True, eq=False)
class TrainingLog:
    """Tokens seen and loss read from a log, with where they came from."""

    tokens: np.ndarray
    loss: np.ndarray
    path: str
    tokens_col: str
    loss_col: str
    n_rows: int
    n_skipped: int
    #: rows of a restarted run's earlier segments that its later rows replaced (see :func:`read_training_log`)
    n_replaced: int = 0


def _text(path: Path) -> str:
    """The log as text: UTF-8 without NUL bytes, else one DataError (a binary file is not a log)."""
    return decode_text(path.read_bytes(), f"The training log {str(path)!r}", "CSV or JSONL")


def _read_rows(path: Path) -> tuple[list[str], list[dict[str, Any]]]:
    text = _text(path)
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        rows = []
        for lineno, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise DataError(f"Line {lineno} of {path.name!r} must be a JSON object ({exc.msg}).") from None
                if not isinstance(row, dict):
                    raise DataError(f"Line {lineno} of {path.name!r} must be a JSON object. Got a JSON "
                                    f"{type(row).__name__}: {line.strip()[:40]!r}.")
                rows.append(row)
        return list(dict.fromkeys(k for r in rows for k in r)), rows
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        rows = list(reader)
    except csv.Error as exc:
        raise DataError(f"The training log {path.name!r} must be a readable CSV file ({exc}).") from None
    return list(reader.fieldnames or []), rows


def _latest_segments(t: np.ndarray, rows: np.ndarray, name: str) -> tuple[np.ndarray, int]:
    """Which rows to keep of a log whose tokens go back (a run restarted from a checkpoint): each row that
    a later segment covers again (tokens at or past the later segment's start) is replaced by it, with one
    :class:`LogWarning`. ``t``: tokens in file order; ``rows``: their 1-based data rows."""
    back = np.flatnonzero(t[1:] < t[:-1]) + 1
    if back.size == 0:
        return np.ones(t.size, bool), 0
    later_min = np.minimum.accumulate(t[::-1])[::-1]  # least tokens at or after each row
    keep = np.append(t[:-1] < later_min[1:], True)
    n = int((~keep).sum())
    i = back[0]
    warnings.warn(f"The training log {name!r} goes back {back.size} time{'s' if back.size > 1 else ''} (first at "
                  f"data row {rows[i]}: {t[i]:.4g} tokens after {t[i - 1]:.4g}), a restarted run: {n} earlier "
                  f"row{'s' if n != 1 else ''} that a later segment logs again {'were' if n != 1 else 'was'} "
                  "replaced by the later rows.", LogWarning, stacklevel=3)
    return keep, n


def _is_aggregate(col: str) -> bool:
    low = col.lower()  # W&B exports add "<metric>__MIN" / "__MAX" columns
    return low.endswith(("__min", "__max", "_step")) or "per_sec" in low or "/s" in low or "rate" in low


def _pick(columns: list[str], explicit: str | None, what: str, names: tuple[str, ...], needle: str,
          fallback: str | None = None, *, flags: str = "--", fix: str | None = None) -> str:
    """The column of ``what``: ``explicit``, else one of ``names``, else the one containing ``needle``.
    Messages name the option ``{flags}{what}-col``; ``fix`` replaces their advice when none matches."""
    if explicit is not None:
        if explicit not in columns:
            raise DataError(f"The {what} column {explicit!r} must exist in the log. Got columns: "
                            f"{', '.join(columns)}.")
        return explicit
    for name in names:  # exact well-known names first
        hit = [c for c in columns if c.lower() == name]
        if hit:
            return hit[0]
    cands = [c for c in columns if needle in c.lower() and not _is_aggregate(c)]
    if len(cands) == 1:
        return cands[0]
    if not cands and fallback is not None and fallback in columns:
        return fallback
    flag = f"{flags}{what}-col"
    if not cands:
        raise DataError(f"No {what} column found in the log (looked for names containing {needle!r}); "
                        f"{fix or f'name it with {flag}'}. Got columns: {', '.join(columns)}.")
    raise DataError(f"The {what} column is ambiguous: {', '.join(cands)}; choose one with {flag}. "
                    f"Got columns: {', '.join(columns)}.")


def _float(value: Any) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        return math.nan
    return x


def _step_fix(columns: list[str], flags: str) -> str | None:
    """Advice for a log without a tokens column but with a step column: tokens = step × tokens per step."""
    steps = [c for c in columns if c.lower() in _STEP_NAMES]
    if not steps:
        return None
    return (f"it has the step column {steps[0]!r}: give the tokens per optimizer step with {flags}tokens-per-step "
            f"(tokens = step x tokens per step), or name a tokens column with {flags}tokens-col")


def read_training_log(path: str | Path, *, tokens_col: str | None = None, loss_col: str | None = None,
                      tokens_per_step: float | None = None, step_col: str | None = None,
                      flags: str = "--") -> TrainingLog:
    """Tokens seen and loss from a CSV or JSONL training log (W&B / TensorBoard CSV exports included).

    Columns are auto-detected when not named: tokens from ``tokens``, ``tokens_seen``, ... or the one
    column whose name contains "token"; loss from ``loss``, ``train/loss``, ... or the one column containing
    "loss" (a TensorBoard export's ``Value`` column is used when nothing else matches). W&B ``__MIN`` /
    ``__MAX`` columns are ignored. With ``tokens_per_step`` the tokens are ``step × tokens_per_step`` from
    ``step_col`` (default: a column named "step" or "Step"). Rows with a missing or non-positive value are
    skipped (W&B leaves cells empty where a metric was not logged). A log whose tokens go back (a run
    restarted from a checkpoint, logging into the same file) keeps the later rows where segments overlap,
    with a :class:`LogWarning` saying how many were replaced. Error messages name the options
    ``{flags}tokens-col``, ``{flags}tokens-per-step``, ... (``scalinglab report`` passes "--track-").
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"The training log must exist. Got {str(path)!r}.")
    if tokens_per_step is not None and tokens_col is not None:
        raise ConfigError(f"Give the tokens one way: a tokens column ({flags}tokens-col {tokens_col}) or steps "
                          f"times {flags}tokens-per-step ({tokens_per_step:g}). Got both.")
    if step_col is not None and tokens_per_step is None:
        raise ConfigError(f"The step column ({flags}step-col {step_col}) counts optimizer steps; it needs "
                          f"{flags}tokens-per-step (tokens = step x tokens per step). Got none.")
    columns, rows = _read_rows(path)
    if not rows:
        raise DataError(f"The training log {path.name!r} must hold at least one row. Got none.")
    loss_c = _pick(columns, loss_col, "loss", _LOSS_NAMES, "loss", fallback="Value", flags=flags)
    if tokens_per_step is not None:
        tokens_per_step = check_positive("tokens_per_step", tokens_per_step)
        tok_c = _pick(columns, step_col, "step", _STEP_NAMES, "step", flags=flags)
        scale = tokens_per_step
    else:
        tok_c = _pick(columns, tokens_col, "tokens", _TOKEN_NAMES, "token", flags=flags,
                      fix=_step_fix(columns, flags))
        scale = 1.0
    t = np.array([_float(r.get(tok_c)) for r in rows]) * scale
    y = np.array([_float(r.get(loss_c)) for r in rows])
    ok = np.isfinite(t) & np.isfinite(y) & (t > 0) & (y > 0)
    if ok.sum() < 1:
        raise DataError(f"The training log {path.name!r} must hold rows with positive {tok_c!r} and "
                        f"{loss_c!r}. Got none of {len(rows)}.")
    keep, replaced = _latest_segments(t[ok], np.flatnonzero(ok) + 1, path.name)
    t, y = t[ok][keep], y[ok][keep]
    order = np.argsort(t, kind="stable")
    return TrainingLog(t[order], y[order], str(path), tok_c + (f" × {scale:g}" if scale != 1 else ""),
                       loss_c, len(rows), int((~ok).sum()), replaced)


@dataclass(frozen=True, eq=False)
class TrackResult:
    """A run against a law. ``deviation`` is ``loss / predicted − 1`` per point (positive: worse than the
    law). ``lower``/``upper`` bound the band at each point: the law's interval across its variants widened
    to at least ``±tolerance`` around the prediction, or ``±tolerance`` alone when the law has no variants
    (``has_interval`` False). ``flagged`` is set when more than half of the recent points are outside."""

    law: str
    n_params: float
    tokens: np.ndarray
    loss: np.ndarray
    predicted: np.ndarray
    deviation: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    has_interval: bool
    level: float | None
    tolerance: float
    outside: np.ndarray
    recent: int
    mean_deviation: float
    latest_deviation: float
    recent_offset: float
    flagged: bool
    verdict: str
    final_tokens: float | None
    final_law_loss: float | None
    projected_final_loss: float | None
    projected_interval: tuple[float, float] | None
    projection: str
    band: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "law": self.law, "n_params": self.n_params, "n_points": int(self.tokens.size),
            "band": self.band, "has_interval": self.has_interval, "level": self.level, "tolerance": self.tolerance,
            "mean_deviation": self.mean_deviation, "latest_deviation": self.latest_deviation,
            "recent_points": self.recent, "recent_offset": self.recent_offset,
            "n_outside": int(self.outside.sum()), "flagged": self.flagged, "verdict": self.verdict,
            "latest": {"tokens": float(self.tokens[-1]), "loss": float(self.loss[-1]),
                       "predicted": float(self.predicted[-1])},
            "final_tokens": self.final_tokens, "final_law_loss": self.final_law_loss,
            "projected_final_loss": self.projected_final_loss,
            "projected_interval": list(self.projected_interval) if self.projected_interval else None,
            "projection": self.projection,
        }


def track_run(tokens: Any, loss: Any, *, law: JointLaw | FittedLaw, n_params: float,
              final_tokens: float | None = None, tolerance: float = 0.02, level: float = DEFAULT_LEVEL,
              recent_fraction: float = 0.2) -> TrackResult:
    """Compare a run's loss curve with ``law.loss(n_params, tokens)``.

    Parameters
    ----------
    tokens, loss
        Tokens seen and loss at each logged point (nats/token, the law's units).
    law
        A law of N and D, or a :class:`~scalinglab.laws.FittedLaw`. The band is the law's ``level``
        prediction band (where a run's loss falls: refits + run scatter) when it has one, else its mean band
        (refits only), widened to at least ``±tolerance``; with neither, ``±tolerance`` around the prediction.
    final_tokens
        Project the loss at this token count: the law's prediction times ``1 + recent_offset``, the run's
        median relative deviation over its last ``recent_fraction`` of points (at least 3).
    tolerance
        Relative deviation always allowed (default 2%): run-to-run noise, data and schedule effects that
        a law's parameter uncertainty does not cover. Without variants it alone defines the band.

    The run is flagged when more than half of its recent points lie outside the band.
    """
    t = np.asarray(tokens, dtype=float).ravel()
    y = np.asarray(loss, dtype=float).ravel()
    if t.size != y.size or t.size == 0:
        raise ConfigError(f"The 'tokens' and 'loss' arrays must be non-empty and of equal length. "
                          f"Got {t.size} and {y.size}.")
    n_params = check_positive("n_params", n_params)
    tolerance = check_positive("tolerance", tolerance)
    if not 0 < recent_fraction <= 1:
        raise ConfigError(f"The 'recent_fraction' parameter must be in (0, 1]. Got {recent_fraction!r}.")
    order = np.argsort(t, kind="stable")
    t, y = t[order], y[order]
    fitted = FittedLaw.of(law)
    law = fitted.law  # type: ignore[assignment]
    pred = np.asarray(law.loss(n_params, t), dtype=float)
    dev = y / pred - 1.0
    kind = "prediction" if fitted.scatter is not None else "mean"
    lower, upper, band, has = _band(fitted, kind, n_params, t, pred, tolerance, level)
    outside = (y < lower) | (y > upper)
    k = min(t.size, max(3, int(np.ceil(recent_fraction * t.size))))
    offset = float(np.median(dev[-k:]))
    n_out = int(outside[-k:].sum())
    flagged = n_out > k / 2
    side = "above" if offset > 0 else "below"
    verdict = (f"FLAGGED: {n_out} of the last {k} points lie outside the band (run {abs(offset):.2%} {side} "
               "the law)" if flagged else f"on track: {n_out} of the last {k} points outside the band")
    f_law = f_proj = f_int = None
    projection = "no projection (give final_tokens)"
    if final_tokens is not None:
        final_tokens = check_positive("final_tokens", final_tokens)
        f_law, f_proj, f_int, projection = _projection(fitted, kind, n_params, final_tokens, level, offset, k)
    return TrackResult(law.name, n_params, t, y, pred, dev, lower, upper, has, level if has else None,
                       tolerance, outside, k, float(np.mean(dev)), float(dev[-1]), offset, flagged, verdict,
                       final_tokens, f_law, f_proj, f_int, projection, band)


def _band(fitted: FittedLaw, kind: str, n_params: float, t: np.ndarray, pred: np.ndarray, tolerance: float,
          level: float) -> tuple[np.ndarray, np.ndarray, str, bool]:
    """``(lower, upper, description, from_law)``: the law's ``kind`` band at ``t`` widened to at least
    ``±tolerance`` around ``pred``, or ``±tolerance`` alone when the law has no band."""
    band_ = fitted.band(kind, n_params, t, level)
    if band_ is None:
        return (pred * (1 - tolerance), pred * (1 + tolerance),
                f"none from the law (law {fitted.law.name!r} has no bootstrap refits or run scatter); "
                f"±{tolerance:.1%} relative tolerance used", False)
    # never narrower than ±tol: data and schedule effects the law's bands do not model
    lower = np.minimum(band_[0], pred * (1 - tolerance))
    upper = np.maximum(band_[1], pred * (1 + tolerance))
    return lower, upper, f"{band_label(kind, level)}, widened to at least ±{tolerance:.1%}", True


def _projection(fitted: FittedLaw, kind: str, n_params: float, final_tokens: float, level: float, offset: float,
                k: int) -> tuple[float, float, tuple[float, float] | None, str]:
    """``(law loss, projected loss, projected interval, description)`` at ``final_tokens``: the law's values
    times ``1 + offset``, the run's median relative deviation over its last ``k`` points."""
    f_law = float(fitted.law.loss(n_params, final_tokens))
    fb = fitted.band(kind, n_params, np.array([final_tokens]), level)
    f_int = None if fb is None else (float(fb[0][0]) * (1 + offset), float(fb[1][0]) * (1 + offset))
    projection = (f"law prediction at {final_tokens:.4g} tokens ({f_law:.4f}) times 1 + the run's median "
                  f"relative deviation over its last {k} points ({offset:+.2%})")
    return f_law, f_law * (1.0 + offset), f_int, projection


def track_figure(result: TrackResult) -> Any:
    """Loss against tokens seen: the run, the law's prediction and band, outside points, the projection."""
    from ._mpl import new_figure
    from .figures_fit import BAND_COLOR, HELD_OUT_COLOR, LAW_COLOR

    r = result
    fig, (ax, ax2) = new_figure(2, width=11, height=4.0)
    label = f"{r.level:.0%} law interval, at least ±{r.tolerance:.0%}" if r.has_interval else \
        f"±{r.tolerance:.0%} tolerance (law has no interval)"
    ax.fill_between(r.tokens, r.lower, r.upper, color=BAND_COLOR if r.has_interval else "0.85", alpha=0.6,
                    label=label)
    ax.plot(r.tokens, r.predicted, color=LAW_COLOR, lw=2, label=f"{r.law}: L(N={r.n_params:.3g}, D)")
    ax.plot(r.tokens, r.loss, color="0.2", lw=1, label="run")
    if r.outside.any():
        ax.scatter(r.tokens[r.outside], r.loss[r.outside], s=12, color=HELD_OUT_COLOR, zorder=3,
                   label="outside the band")
    if r.projected_final_loss is not None:
        ax.plot([r.tokens[-1], r.final_tokens], [r.loss[-1], r.projected_final_loss], ls="--", color="0.2", lw=1)
        ax.plot([r.final_tokens], [r.projected_final_loss], marker="*", ms=12, color="gold", mec="black",
                ls="none", label=f"projected final {r.projected_final_loss:.4f}")
    ax.set_xscale("log")
    ax.set_xlabel("tokens seen")
    ax.set_ylabel("loss (nats/token)")
    ax.legend(fontsize=7)
    ax2.axhline(0, color="black", lw=0.8)
    ax2.plot(r.tokens, 100 * r.deviation, color="0.2", lw=1)
    ax2.fill_between(r.tokens, 100 * (r.lower / r.predicted - 1), 100 * (r.upper / r.predicted - 1),
                     color=BAND_COLOR if r.has_interval else "0.85", alpha=0.6)
    ax2.set_xscale("log")
    ax2.set_xlabel("tokens seen")
    ax2.set_ylabel("deviation from the law (%)")
    fig.suptitle(r.verdict, color=HELD_OUT_COLOR if r.flagged else "black")
    return fig
