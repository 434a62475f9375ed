"""Putting a planned sweep into a run store, refusing to merge two different designs under one name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..store.db import Store
from .sweep import Sweep, estimate_seconds

__all__ = ["register_sweep"]


def _design(spec: dict[str, Any]) -> str:
    if spec.get("kind") == "isoflop":
        budgets = ", ".join(f"{b:g}" for b in spec.get("budgets", ()))
        return f"preset {spec.get('preset')!r} with budgets {budgets}"
    if spec.get("kind") == "schedules":
        return f"schedule preset {spec.get('preset')!r} ({', '.join(spec.get('schedules', ()))})"
    if spec.get("kind") == "file":
        return f"the runs of the file {spec.get('path')!r}"
    return "another run list"


def register_sweep(store_path: str | Path, sweep: Sweep, *, retry_failed: bool = False) -> list[dict[str, Any]]:
    """Record ``sweep`` and its runs (as pending) in the store, creating the store if needed.

    A sweep of that name already in the store must hold exactly the runs planned now (the same design):
    then this is a resume and nothing changes. Otherwise :class:`ConfigError` says what the stored sweep
    was: rerunning a name with new budgets would merge two grids under one name while its saved spec
    described only the last. A planned run stored under another sweep is refused too (its results would
    be counted there). ``retry_failed`` puts the sweep's failed runs back to pending.

    Returns the sweep's stored runs (:meth:`Store.runs` with ``status=None``).
    """
    planned = {r.config.config_hash() for r in sweep.runs}
    with Store(store_path) as db:
        existing = {s["name"]: s["spec"] for s in db.sweeps()}
        stored = db.runs(None, sweep=sweep.name) if sweep.name in existing else []
        have = {r["run_hash"] for r in stored}
        if stored and have != planned:
            now, before = _design(sweep.spec), _design(existing[sweep.name])
            if now == before:
                now, before = f"{len(planned)} runs", f"{len(have)} runs ({len(have & planned)} in common)"
            raise ConfigError(f"The sweep {sweep.name!r} exists in the store {str(store_path)!r} with {before}; "
                              f"use a new --name or the same design. Got {now}.")
        if not stored:
            elsewhere = [r for r in db.runs(None) if r["run_hash"] in planned]
            if elsewhere:
                raise ConfigError(f"The sweep {sweep.name!r} must have runs of its own. Got run "
                                  f"{elsewhere[0]['run_hash']!r} already stored under sweep "
                                  f"{elsewhere[0]['sweep']!r}: give the runs another 'tag' or use that sweep.")
        db.add_sweep(sweep.name, sweep.spec)
        for role in ("train", "holdout"):
            runs = [r for r in sweep.runs if r.role == role]
            db.add_runs(sweep.name, [r.config for r in runs], role=role, budgets=[r.budget for r in runs],
                        est_seconds=[estimate_seconds(r.config) for r in runs])
        if retry_failed:
            db.reset_failed(sweep.name)
        return db.runs(None, sweep=sweep.name)
