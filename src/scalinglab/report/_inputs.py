"""Adapters at the edge of the report: laws, runs, a store and an audit, from whatever the user has,
into plain arrays and dicts (with the provenance of each)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ConfigError, DataError
from ..fit.data import file_sha256 as sha256
from ..flops import tokens_for_flops, training_flops
from ..laws.base import JointLaw, Law
from ..laws.fitted import FittedLaw
from ..laws.io import fitted_from_dict
from ..laws.registry import DEFAULT_LAW, resolve_fitted

__all__ = ["Data", "LawInput", "resolve_law_input", "resolve_runs", "data_from_store", "sha256"]


@dataclass(frozen=True, eq=False)
class Data:
    """Runs as plain arrays; ``names`` (run ids), ``budgets`` (IsoFLOP labels) optional."""

    n_params: np.ndarray
    n_tokens: np.ndarray
    loss: np.ndarray
    names: np.ndarray | None = None
    budgets: np.ndarray | None = None
    source: dict[str, Any] = field(default_factory=dict)
    runs: Any = None  # the scalinglab.fit.Runs object when there is one (for refitting and the audit)
    held_out: np.ndarray | None = None  # runs kept out of the fit (a store's "holdout" role)

    @property
    def flops(self) -> np.ndarray:
        # unchecked: a Runs-like object given to the report is taken as it is
        return training_flops(self.n_params, self.n_tokens, check_input=False)

    def __len__(self) -> int:
        return int(self.loss.size)


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
    p = Path(law)
    if str(law).endswith(".json") or p.is_file():
        if not p.is_file():
            raise ConfigError(f"The 'law' file must exist. Got {str(p)!r}.")
        try:
            d = json.loads(p.read_text())
        except json.JSONDecodeError as exc:
            raise ConfigError(f"The 'law' file must be valid JSON ({exc.msg}). Got {str(p)!r}.") from None
        fitted = _joint(fitted_from_dict(d))
        return LawInput(fitted, {"kind": "fit JSON", "path": str(p), "sha256": sha256(p),
                                 "provenance": fitted.provenance, "n_samples": len(fitted.samples)})
    return LawInput(_joint(resolve_fitted(str(law))), {"kind": "catalog", "name": str(law)})


def _from_runs_object(r: Any, source: dict[str, Any], budget_col: str = "budget") -> Data:
    names = getattr(r, "run_id", None)
    budgets = None
    groups = getattr(r, "groups", {}) or {}
    if budget_col in groups:
        try:
            budgets = np.array([float(x) for x in groups[budget_col]])
        except ValueError:
            raise DataError(f"Column {budget_col!r} must hold numeric compute budgets (FLOPs).") from None
    src = dict(getattr(r, "source", {}) or {})
    src.update(source)
    return Data(np.asarray(r.n_params, float), np.asarray(r.n_tokens, float), np.asarray(r.loss, float),
                None if names is None else np.asarray(names, dtype=str), budgets, src, r)


def resolve_runs(runs: Any, columns: Mapping[str, str | None] | None = None) -> Data | None:
    """Runs from a path (CSV/JSONL/Parquet via :func:`scalinglab.fit.load_runs`, ``columns`` naming
    ``n_params_col``, ``loss_col``, ``n_tokens_col`` or ``flops_col``, optional ``run_col`` and ``budget_col``),
    a mapping of arrays (``n_params``, ``n_tokens`` or ``flops``, ``loss``, optional ``names``, ``budgets``,
    ``held_out``)
    or a ``Runs``-like object."""
    if runs is None:
        return None
    if isinstance(runs, (str, Path)):
        from ..fit.data import load_runs

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
        loss = np.asarray(runs["loss"], float)
        n = np.asarray(runs["n_params"], float)
        if "n_tokens" in runs:
            d = np.asarray(runs["n_tokens"], float)
        elif "flops" in runs:
            d = tokens_for_flops(n, runs["flops"], check_input=False)  # checked with the others below
        else:
            raise ConfigError("The 'runs' mapping must hold 'n_tokens' or 'flops'. Got keys: "
                              f"{', '.join(map(str, runs))}.")
        for name, a in (("n_params", n), ("n_tokens", d), ("loss", loss)):
            if a.shape != loss.shape or not np.all(np.isfinite(a) & (a > 0)):
                raise DataError(f"The runs' {name!r} must be finite, > 0 and as long as 'loss'.")
        names = runs.get("names")
        budgets = runs.get("budgets")
        runs_obj = None
        try:
            from ..fit.data import Runs

            runs_obj = Runs.from_arrays(n, d, loss, run_id=None if names is None else np.asarray(names, str))
        except (ImportError, DataError):
            runs_obj = None
        held = runs.get("held_out")
        return Data(n, d, loss, None if names is None else np.asarray(names, dtype=str),
                    None if budgets is None else np.asarray(budgets, float), {"kind": "arrays"}, runs_obj,
                    None if held is None or not np.asarray(held, bool).any() else np.asarray(held, bool))
    if all(hasattr(runs, a) for a in ("n_params", "n_tokens", "loss")):
        return _from_runs_object(runs, {})
    raise ConfigError(f"The 'runs' parameter must be a path, a mapping of arrays or a Runs object. "
                      f"Got {type(runs).__name__}.")


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
