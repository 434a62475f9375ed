"""Which columns of a runs file hold N, D, C, the loss and the unique tokens when the caller names none.

A column is recognised by a common name (:data:`COLUMN_NAMES`), compared without case, surrounding blanks,
or the difference between ``-``, ``_`` and a space. Only what the fit needs is looked for: N and D for a
joint law; one variable for a one-variable law; the loss always. A variable whose name two columns match is
an error naming both, never a silent pick; one that no column matches is an error listing the file's columns.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from ..errors import DataError
from ._readers import _names, _plain

__all__ = ["COLUMN_NAMES", "choose_columns", "OPTION"]

#: the common names of each variable's column (compared as :func:`_key` turns them)
COLUMN_NAMES: dict[str, tuple[str, ...]] = {
    "n_params": ("n_params", "params", "num_params", "parameters", "n", "nparams", "param_count", "model_size"),
    "n_tokens": ("n_tokens", "tokens", "num_tokens", "d", "token_num", "train_tokens", "training_tokens"),
    "flops": ("flops", "compute", "c", "training_flops", "training_flop", "train_flops"),
    "loss": ("loss", "final_loss", "val_loss", "eval_loss", "validation_loss"),
    "unique_tokens": ("unique_tokens", "n_unique_tokens", "num_unique_tokens"),
}
#: each variable's keyword of :func:`~scalinglab.fit.load_runs` (the CLI option is the same with dashes)
OPTION = {v: f"{v}_col" for v in COLUMN_NAMES}
_WHAT = {"n_params": "parameters N", "n_tokens": "tokens D (or compute C with parameters N)",
         "flops": "compute C (or parameters N with tokens D)", "loss": "final losses",
         "unique_tokens": "unique tokens"}


def _key(name: Any) -> str:
    return "_".join(str(name).strip().casefold().replace("-", " ").replace("_", " ").split())


def _flag(var: str) -> str:
    return "--" + OPTION[var].replace("_", "-")


class _Chooser:
    """The columns given, and those found by name for the variables asked for."""

    def __init__(self, columns: list[str], given: dict[str, str | None], file: str) -> None:
        self.columns, self.file = columns, file
        self.cols: dict[str, str | None] = {OPTION[v]: given.get(OPTION[v]) for v in COLUMN_NAMES}
        self.detected: dict[str, str] = {}

    def has(self, var: str) -> bool:
        return self.cols[OPTION[var]] is not None

    def find(self, var: str) -> str | None:
        """The column given for ``var``, else the one column whose name is a common name of it (None if none)."""
        if self.has(var):
            return self.cols[OPTION[var]]
        hits = [c for c in self.columns if _key(c) in COLUMN_NAMES[var]]
        if len(hits) > 1:
            raise DataError(f"The runs file {self.file} must have one column of {_WHAT[var].split(' (')[0]} to "
                            f"pick by name. Got {len(hits)}: {', '.join(_plain(h) for h in hits)}; choose one "
                            f"with {_flag(var)}.")
        return hits[0] if hits else None

    def use(self, *vars_: str) -> bool:
        """Take the columns of ``vars_`` (given or found) when every one of them is there."""
        found = {v: self.find(v) for v in vars_}
        if any(c is None for c in found.values()):
            return False
        for v, c in found.items():
            if not self.has(v):
                self.cols[OPTION[v]] = c
                self.detected[v] = c  # type: ignore[assignment]
        return True

    def missing(self, var: str) -> DataError:
        names = ", ".join(COLUMN_NAMES[var])
        return DataError(f"The runs file {self.file} must have a column of {_WHAT[var]}: give {_flag(var)} or "
                         f"name the column one of {names} (any case). Got columns: {_names(self.columns)}.")


def choose_columns(columns: list[str], given: dict[str, str | None], needs: Collection[str], *,
                   file: str) -> tuple[dict[str, str | None], dict[str, str]]:
    """The ``load_runs`` column keywords for a fit that reads ``needs`` (of ``"n_params"``, ``"n_tokens"``,
    ``"flops"``, ``"unique_tokens"``), and which of them were found by name rather than ``given``.

    A given column is always kept; a given D or C stops the other being looked for. D for a joint law comes
    from a tokens column, else from a compute column with N; C for a one-variable law from a compute column,
    else from N and D.
    """
    ch = _Chooser(columns, given, file)
    if not ch.use("loss"):
        raise ch.missing("loss")
    if "n_params" in needs and not ch.use("n_params"):
        raise ch.missing("n_params")
    if "n_tokens" in needs and not ch.has("n_tokens"):
        ok = ch.use("n_params") if ch.has("flops") else (ch.use("n_tokens") or ch.use("flops", "n_params"))
        if not ok:
            raise ch.missing("n_params" if ch.has("flops") else "n_tokens")
    if "flops" in needs and not ch.has("flops") and not (ch.has("n_params") and ch.has("n_tokens")):
        ok = ch.use("n_params") if ch.has("n_tokens") else (ch.use("flops") or ch.use("n_params", "n_tokens"))
        if not ok:
            raise ch.missing("n_params" if ch.has("n_tokens") else "flops")
    if "unique_tokens" in needs:
        ch.use("unique_tokens")  # absent: the family says what it needs when it is fitted
    return ch.cols, ch.detected
