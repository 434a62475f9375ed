"""What :func:`~scalinglab.fit.design.propose_runs` narrows (a :class:`Target`) and where it may look (candidates).

A target is one number a fitted law predicts, evaluated under each bootstrap refit:

- ``n_opt@C``: the compute-optimal model size N*(C) (the law's own ``compute_optimal``, for Chinchilla
  Hoffmann et al. 2022 Eq. 4);
- ``d_opt@C`` and ``tokens_per_param@C``: D*(C) and D*/N* at the same split;
- ``loss@N=...,D=...``: the predicted loss of a planned run.

Candidates are the runs a proposal may pick: a log-spaced grid of (N, D) (:func:`candidate_grid`) or the
user's own list (:func:`read_candidates`, a file with columns of N and D, or N and C).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._units import parse_quantity
from .._validate import check_positive
from ..errors import ConfigError, DataError
from ..flops import params_at_ratio, tokens_for_flops, training_flops
from ..laws.base import JointLaw, Law
from ..laws.fitted import law_loss
from ._columns import COLUMN_NAMES, _key
from ._readers import read_table

__all__ = ["Target", "TARGET_KINDS", "candidate_grid", "read_candidates", "RATIO_RANGE", "GRID_POINTS"]

#: each kind of target, what it reads from one law, and its unit
TARGET_KINDS: dict[str, str] = {
    "n_opt": "compute-optimal parameters N*(C)",
    "d_opt": "compute-optimal tokens D*(C)",
    "tokens_per_param": "compute-optimal tokens per parameter D*/N* at C",
    "loss": "predicted loss L(N, D) of a planned run (nats/token)",
}
_BUDGET_KINDS = ("n_opt", "d_opt", "tokens_per_param")
_FORMS = "n_opt@5.76e23, d_opt@5.76e23, tokens_per_param@5.76e23 or loss@N=7e10,D=1.4e12"
_LOSS_AT = re.compile(r"^\s*N\s*=\s*([^,]+?)\s*,\s*D\s*=\s*([^,]+?)\s*$", re.IGNORECASE)

#: default tokens per parameter of the candidate grid: from 1 (every run sees each parameter's worth of tokens
#: once) to 1,000 (far past Chinchilla's ~20; beyond it the N term of the loss is all that moves)
RATIO_RANGE = (1.0, 1000.0)
#: points of the default candidate grid along log N and along log(D/N)
GRID_POINTS = (40, 25)


@dataclass(frozen=True)
class Target:
    """One predicted number: ``kind`` (:data:`TARGET_KINDS`) at a budget ``flops`` or at ``(n_params, n_tokens)``."""

    kind: str
    flops: float | None = None
    n_params: float | None = None
    n_tokens: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in TARGET_KINDS:
            raise ConfigError(f"The 'target' kind must be one of {', '.join(TARGET_KINDS)}. Got {self.kind!r}.")
        if self.kind == "loss":
            if self.n_params is None or self.n_tokens is None or self.flops is not None:
                raise ConfigError("The 'loss' target needs n_params and n_tokens (the planned run) and no flops. "
                                  f"Got n_params={self.n_params!r}, n_tokens={self.n_tokens!r}, flops={self.flops!r}.")
            check_positive("n_params", self.n_params)
            check_positive("n_tokens", self.n_tokens)
        else:
            if self.flops is None or self.n_params is not None or self.n_tokens is not None:
                raise ConfigError(f"The {self.kind!r} target needs flops (the compute budget) and no n_params or "
                                  f"n_tokens. Got flops={self.flops!r}.")
            check_positive("flops", self.flops)

    @classmethod
    def parse(cls, text: str) -> Target:
        """``"n_opt@5.76e23"``, ``"d_opt@1e22"``, ``"tokens_per_param@1e22"`` or ``"loss@N=7e10,D=1.4e12"``
        (numbers may carry K/M/B/T suffixes)."""
        if not isinstance(text, str) or text.count("@") != 1:
            raise ConfigError(f"The 'target' must be KIND@WHERE, e.g. {_FORMS}. Got {text!r}.")
        kind, where = (s.strip() for s in text.split("@"))
        if kind not in TARGET_KINDS:
            raise ConfigError(f"The 'target' kind must be one of {', '.join(TARGET_KINDS)} (e.g. {_FORMS}). "
                              f"Got {kind!r} in {text!r}.")
        if kind == "loss":
            m = _LOSS_AT.match(where)
            if not m:
                raise ConfigError(f"The 'target' loss@ must give the planned run as N=...,D=..., e.g. "
                                  f"loss@N=7e10,D=1.4e12. Got {text!r}.")
            return cls("loss", n_params=parse_quantity(m.group(1), "target N"),
                       n_tokens=parse_quantity(m.group(2), "target D"))
        return cls(kind, flops=parse_quantity(where, "target compute"))

    @property
    def label(self) -> str:
        if self.kind == "loss":
            return f"loss@N={self.n_params:.3g},D={self.n_tokens:.3g}"
        return f"{self.kind}@{self.flops:.3g}"

    @property
    def describes(self) -> str:
        return TARGET_KINDS[self.kind]

    def value(self, law: Law) -> float:
        """The target under one law (NaN where the law cannot give it)."""
        if self.kind == "loss":
            with np.errstate(all="ignore"):
                return float(law_loss(law, self.n_params, self.n_tokens))
        opt = law.compute_optimal(self.flops) if isinstance(law, JointLaw) else None
        if opt is None:
            raise ConfigError(f"The {self.kind!r} target needs a law with a compute-optimal split; {law.name!r} "
                              f"({law.family}) has none in closed form. Got target {self.label!r}.")
        n, d = (float(v) for v in opt)
        return {"n_opt": n, "d_opt": d, "tokens_per_param": d / n}[self.kind]

    def as_dict(self) -> dict[str, Any]:
        return {"label": self.label, "kind": self.kind, "describes": self.describes, "flops": self.flops,
                "n_params": self.n_params, "n_tokens": self.n_tokens}


def candidate_grid(min_params: float, max_flops: float, *, min_tokens: float | None = None,
                   ratio_range: tuple[float, float] = RATIO_RANGE,
                   points: tuple[int, int] = GRID_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """The default candidates: N log-spaced from ``min_params`` to the largest size that ``max_flops`` trains
    at the smallest tokens per parameter, times tokens/param log-spaced over ``ratio_range``; only the points
    with ``D >= min_tokens`` (when given) costing at most ``max_flops`` (``6·N·D``) are kept. Returns
    ``(n_params, n_tokens)``."""
    min_params = check_positive("min_params", min_params)
    max_flops = check_positive("max_flops", max_flops)
    min_tokens = 0.0 if min_tokens is None else check_positive("min_tokens", min_tokens)
    r_lo, r_hi = (check_positive("ratio_range", r) for r in ratio_range)
    if r_hi < r_lo:
        raise ConfigError(f"The 'ratio_range' parameter must be (low, high) with low <= high. Got {ratio_range!r}.")
    n_hi = float(params_at_ratio(r_lo, max_flops))
    n = np.geomspace(min_params, n_hi, points[0]) if n_hi > min_params else np.array([min_params])
    r = np.geomspace(r_lo, r_hi, points[1]) if r_hi > r_lo else np.array([r_lo])
    nn, rr = (v.ravel() for v in np.meshgrid(n, r))
    dd = nn * rr
    keep = (training_flops(nn, dd) <= max_flops * (1 + 1e-12)) & (dd >= min_tokens * (1 - 1e-12))
    if not keep.any():
        cheapest = training_flops(min_params, max(min_params * r_lo, min_tokens))
        raise ConfigError(f"The cost limit of {max_flops:.3g} FLOPs per run must train the smallest candidate "
                          f"(N = {min_params:.3g}, D = {max(min_params * r_lo, min_tokens):.3g}: {cheapest:.3g} "
                          f"FLOPs). Got {max_flops:.3g}.")
    return nn[keep], dd[keep]


def _column(columns: list[str], var: str) -> str | None:
    hits = [c for c in columns if _key(c) in COLUMN_NAMES[var]]
    return hits[0] if len(hits) == 1 else None


def read_candidates(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Candidate runs from a file (.csv, .tsv, .json, .jsonl, .parquet) with a column of N and one of D or of
    C = 6ND, named as in a runs file (``n_params``/``params``/``N``, ``n_tokens``/``tokens``/``D``,
    ``flops``/``compute``/``C``). Returns ``(n_params, n_tokens)``."""
    table = read_table(Path(path))
    n_col, d_col, c_col = (_column(table.columns, v) for v in ("n_params", "n_tokens", "flops"))
    if n_col is None or (d_col is None and c_col is None):
        raise DataError(f"The candidates file {table.name} must have one column of parameters N "
                        f"({', '.join(COLUMN_NAMES['n_params'])}) and one of tokens D "
                        f"({', '.join(COLUMN_NAMES['n_tokens'])}) or compute C. Got columns: "
                        f"{', '.join(table.columns) or 'none'}.")
    if not table.rows:
        raise DataError(f"The candidates file {table.name} must hold at least one run. Got none.")
    n = np.array([table.number(i, n_col) for i in range(len(table.rows))])
    if d_col is not None:
        d = np.array([table.number(i, d_col) for i in range(len(table.rows))])
    else:
        c = np.array([table.number(i, c_col) for i in range(len(table.rows))])  # type: ignore[arg-type]
        d = np.asarray(tokens_for_flops(n, c), dtype=float)
    return n, d
