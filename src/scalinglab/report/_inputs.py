"""Adapters at the edge of the report: laws, runs, a store and an audit, from whatever the user has,
into plain arrays and dicts (with the provenance of each)."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ConfigError, DataError
from ..fit.approach2 import budget_labels
from ..fit.data import Runs, file_sha256 as sha256, load_runs
from ..flops import tokens_for_flops
from ..laws.base import JointLaw, Law
from ..laws.fitted import FittedLaw
from ..laws.io import load_fitted
from ..laws.registry import DEFAULT_LAW, law_path, resolve_fitted

__all__ = ["Data", "LawInput", "resolve_law_input", "resolve_runs", "data_from_store", "sha256"]


@dataclass(frozen=True, eq=False)
class Data:
    """The report's runs: one :class:`~scalinglab.fit.Runs` (what is fitted, audited and drawn) with what only
    the report draws beside it: IsoFLOP budget labels and the runs held out of the fit."""

    runs: Runs
    budgets: np.ndarray | None = None
    held_out: np.ndarray | None = None  # runs kept out of the fit (a store's "holdout" role)
    source: dict[str, Any] = field(default_factory=dict)

    @property
    def n_params(self) -> np.ndarray:
        return self.runs.n_params

    @property
    def n_tokens(self) -> np.ndarray:
        return self.runs.n_tokens

    @property
    def loss(self) -> np.ndarray:
        return self.runs.loss

    @property
    def names(self) -> np.ndarray | None:
        return None if self.runs.run_id is None else np.asarray(self.runs.run_id, dtype=str)

    @property
    def flops(self) -> np.ndarray:
        return self.runs.flops

    @functools.cached_property
    def budget_groups(self) -> np.ndarray | None:
        """The IsoFLOP budget of each run, one choice for the IsoFLOP figure and Approach 2: the runs' labels (a
        sweep's, or a budget column) when they have them, else budgets found where compute repeats
        (:func:`~scalinglab.fit.approach2.budget_labels`; NaN for runs in none)."""
        return self.budgets if self.budgets is not None else budget_labels(self.flops)

    def __len__(self) -> int:
        return len(self.runs)


@dataclass(frozen=True, eq=False)
class LawInput:
    fitted: FittedLaw
    source: dict[str, Any]  # kind, path, sha256, provenance (fit JSON) or name (catalog)

    @property
    def law(self) -> JointLaw:
        return self.fitted.law  # type: ignore[return-value]


def _joint(fitted: FittedLaw) -> FittedLaw:
    if not fitted.is_joint:
        raise ConfigError(f"The 'law' parameter must name a law of both N and D for the report; {fitted.name!r} is "
                          f"a one-variable power law ({fitted.law.formula}). Got {fitted.name!r}.")
    return fitted


def resolve_law_input(law: Law | FittedLaw | str | Path | None) -> LawInput:
    """A law with where it came from: a fit JSON path (its provenance kept), a catalog name, or a Law."""
    if law is None:
        return LawInput(_joint(resolve_fitted(DEFAULT_LAW)), {"kind": "catalog (default)", "name": DEFAULT_LAW})
    if isinstance(law, (Law, FittedLaw)):
        return LawInput(_joint(resolve_fitted(law)), {"kind": "Law object", "name": law.name})
    p = law_path(law)
    if p is not None:  # read and checked by laws.io, as plan and track read a law file
        fitted = _joint(load_fitted(p))
        return LawInput(fitted, {"kind": "fit JSON", "path": str(p), "sha256": sha256(p),
                                 "provenance": fitted.provenance, "n_samples": len(fitted.samples)})
    return LawInput(_joint(resolve_fitted(str(law))), {"kind": "catalog", "name": str(law)})


def _from_runs_object(r: Any, source: dict[str, Any], budget_col: str = "budget") -> Data:
    if not isinstance(r, Runs):  # a Runs-like object: its arrays, validated as Runs validates them
        r = Runs.from_arrays(r.n_params, r.n_tokens, r.loss, run_id=getattr(r, "run_id", None),
                             groups=dict(getattr(r, "groups", {}) or {}), source=dict(getattr(r, "source", {}) or {}))
    budgets = None
    if budget_col in r.groups:
        try:
            budgets = np.array([float(x) for x in r.groups[budget_col]])
        except ValueError:
            raise DataError(f"Column {budget_col!r} must hold numeric compute budgets (FLOPs).") from None
    return Data(r, budgets, None, {**r.source, **source})


def resolve_runs(runs: Any, columns: Mapping[str, str | None] | None = None) -> Data | None:
    """Runs from a path (CSV/JSONL/Parquet via :func:`scalinglab.fit.load_runs`, ``columns`` naming
    ``n_params_col``, ``loss_col``, ``n_tokens_col`` or ``flops_col``, optional ``run_col`` and ``budget_col``),
    a mapping of arrays (``n_params``, ``n_tokens`` or ``flops``, ``loss``, optional ``names``, ``budgets``,
    ``held_out``) or a ``Runs``-like object; validated as :class:`~scalinglab.fit.Runs` validates runs."""
    if runs is None:
        return None
    if isinstance(runs, (str, Path)):
        cols = dict(columns or {})
        budget_col = cols.pop("budget_col", None)
        missing = [k for k in ("n_params_col", "loss_col") if not cols.get(k)]
        if missing:
            raise ConfigError(f"Reading runs from a file needs the column names {', '.join(missing)} "
                              f"(--n-params-col, --loss-col). Got none for {str(runs)!r}.")
        r = load_runs(runs, group_cols=(budget_col,) if budget_col else (),
                      **{k: v for k, v in cols.items() if v is not None})
        return _from_runs_object(r, {"budget_col": budget_col} if budget_col else {}, budget_col or "budget")
    if isinstance(runs, Mapping):
        return _from_mapping(runs)
    if all(hasattr(runs, a) for a in ("n_params", "n_tokens", "loss")):
        return _from_runs_object(runs, {})
    raise ConfigError(f"The 'runs' parameter must be a path, a mapping of arrays or a Runs object. "
                      f"Got {type(runs).__name__}.")


def _from_mapping(runs: Mapping[str, Any]) -> Data:
    loss = np.asarray(runs["loss"], float)
    n = np.asarray(runs["n_params"], float)
    if "n_tokens" in runs:
        d = np.asarray(runs["n_tokens"], float)
    elif "flops" in runs:
        d = tokens_for_flops(n, runs["flops"], check_input=False)  # checked with the others by Runs
    else:
        raise ConfigError("The 'runs' mapping must hold 'n_tokens' or 'flops'. Got keys: "
                          f"{', '.join(map(str, runs))}.")
    for name, a in (("n_params", n), ("n_tokens", d)):
        if a.shape != loss.shape:
            raise DataError(f"The runs' {name!r} must be as long as 'loss' ({loss.size}). Got {a.size}.")
    names, budgets, held = runs.get("names"), runs.get("budgets"), runs.get("held_out")
    r = Runs.from_arrays(n, d, loss, run_id=None if names is None else np.asarray(names, str))
    return Data(r, None if budgets is None else np.asarray(budgets, float),
                None if held is None or not np.asarray(held, bool).any() else np.asarray(held, bool),
                {"kind": "arrays"})


def data_from_store(path: str | Path, sweep: str | None = None) -> Data:
    """Finished runs of a lab store, read by :func:`scalinglab.fit.store_runs.runs_from_store` (the one reader):
    names are run hashes, budgets the sweep's nominal IsoFLOP budgets, ``held_out`` the runs the sweep kept out
    of the fit."""
    from ..fit.store_runs import runs_from_store as read_store

    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"The 'store' file must exist. Got {str(p)!r}.")
    src = read_store(p, sweep=sweep)
    groups = [(src.fit, src.budgets, False)]  # (runs, their nominal budgets, held out?)
    if src.holdout is not None:
        groups.append((src.holdout, src.holdout_budgets, True))
    runs = [r for r, _, _ in groups]
    budgets = np.concatenate([b for _, b, _ in groups])
    data = resolve_runs({"n_params": np.concatenate([r.n_params for r in runs]),
                         "n_tokens": np.concatenate([r.n_tokens for r in runs]),
                         "loss": np.concatenate([r.loss for r in runs]),
                         "names": np.concatenate([r.run_id for r in runs]),  # type: ignore[misc]
                         "budgets": budgets if np.isfinite(budgets).any() else None,
                         "held_out": np.concatenate([np.full(len(r), held) for r, _, held in groups])})
    data.source.update({"kind": "lab store", "store": str(p), "sha256": sha256(p), "sweep": sweep})
    return data
