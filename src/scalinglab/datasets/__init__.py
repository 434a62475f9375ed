"""Small public tables of training runs, bundled with scalinglab so that a fit can be tried on real data.

Each dataset is a CSV file copied unchanged from a public source whose licence allows it, with that licence
(``LICENSE.txt``) and its provenance (``SOURCE.txt``) in the same folder. :data:`DATASETS` describes each: the
paper to cite, the licence, the source repository and commit, and how to fit it (which column holds N, D or C
and the loss, which label column is worth ``--by``, which law family suits it). ``scalinglab datasets`` lists
them; ``scalinglab fit --dataset NAME`` fits one; :func:`load_dataset` reads one as
:class:`~scalinglab.fit.Runs`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..fit import Runs, load_runs
from ..laws.base import Citation

__all__ = ["Dataset", "DATASETS", "get_dataset", "load_dataset", "dataset_file"]


@dataclass(frozen=True)
class Dataset:
    """One bundled table: what it holds, where it comes from, and the columns a fit reads.

    ``columns`` are keywords of :func:`~scalinglab.fit.load_runs` (``n_params_col``, ``n_tokens_col`` or
    ``flops_col``, ``loss_col``, ``unique_tokens_col``); ``groups`` are label columns worth ``--where`` or
    ``--by``, ``by`` the one to fit separately; ``family`` and ``approach`` the fit that suits the table.
    """

    name: str
    description: str
    folder: str
    file: str
    rows: int
    citation: Citation
    licence: str
    copyright: str  # the copyright line of the source's licence file, as it stands there
    source: str
    commit: str
    changes: str
    columns: dict[str, str]
    groups: tuple[str, ...] = ()
    by: str | None = None
    family: str = "chinchilla"
    approach: str = "parametric"
    extra: tuple[str, ...] = field(default=())  # further options of the suggested command

    @property
    def path(self) -> Path:
        """Where the table lies in the installed package (a real file in a normal installation)."""
        return Path(str(resources.files(__name__).joinpath(self.folder, self.file)))

    @property
    def licence_path(self) -> Path:
        return Path(str(resources.files(__name__).joinpath(self.folder, "LICENSE.txt")))

    @property
    def source_path(self) -> Path:
        return Path(str(resources.files(__name__).joinpath(self.folder, "SOURCE.txt")))

    def command(self) -> str:
        """The ``scalinglab fit`` command that suits the table."""
        parts = ["scalinglab fit --dataset", self.name]
        if self.approach != "parametric":
            parts += ["--approach", self.approach]
        else:
            parts += ["--family", self.family]
        if self.by:
            parts += ["--by", self.by]
        return " ".join([*parts, *self.extra])

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, "rows": self.rows,
                "citation": str(self.citation), "licence": self.licence, "copyright": self.copyright,
                "source": self.source, "commit": self.commit, "changes": self.changes, "path": str(self.path),
                "licence_file": str(self.licence_path), "source_file": str(self.source_path),
                "columns": dict(self.columns), "groups": list(self.groups), "by": self.by, "family": self.family,
                "approach": self.approach, "command": self.command()}


_COPIED = ("none: the CSV is byte for byte the table of the source (sha256 in SOURCE.txt)")

DATASETS: dict[str, Dataset] = {d.name: d for d in (
    Dataset(
        "gadre2024",
        "104 OpenLM runs (11M-6.9B parameters) on C4, RedPajama and RefinedWeb, 5 to 640 tokens per parameter; "
        "final loss on 8 validation sets (C4-eval: loss_c4_val)",
        "gadre2024", "gadre_models_losses.csv", 104,
        Citation("Gadre et al.", 2024, "Language models scale reliably with over-training and on downstream tasks",
                 "2403.08540", "exp_data/models/*.json of the source, one row per model"),
        "MIT", "Copyright (c) 2024 mlfoundations", "github.com/mlfoundations/scaling",
        "a003c4913793ac2ae7ef87b28ecb562955d026d5",
        "a tidy CSV of the source's exp_data/models/*.json (no value changed; flops_6ND = 6·params·tokens added)",
        {"n_params_col": "params", "n_tokens_col": "tokens", "loss_col": "loss_c4_val"},
        groups=("dataset", "model_config", "chinchilla_multiplier"), by="dataset", family="over-training"),
    Dataset(
        "porian2024",
        "1,745 IsoFLOP points (FLOP budgets 1.25e16-1.28e19) of 15 configurations that lead from Kaplan's to "
        "Chinchilla's allocation (paper_label), on RefinedWeb and OpenWebText2",
        "porian2024", "porian_isoflop_points.csv", 1745,
        Citation("Porian, Wortsman, Jitsev, Schmidt, Carmon", 2024,
                 "Resolving Discrepancies in Compute-Optimal Scaling of Language Models", "2406.19146",
                 "data/summary_df*.pickle.xz of the source, one row per (configuration, budget, model)"),
        "MIT", "Copyright (c) 2012-2024 Scott Chacon and others",  # the source's LICENSE file says so, verbatim
        "github.com/formll/resolving-scaling-law-discrepancies", "0dc60d91b8a525858a3067fc9e4a46ff5374cc6f",
        "a CSV extract of the source's data/summary_df*.pickle.xz (no value changed)",
        {"n_params_col": "n_params", "flops_col": "flops", "loss_col": "loss"},
        groups=("paper_label", "dataset", "param_count", "loss_split", "hparams", "warmup", "decay"),
        by="paper_label", approach="isoflop"),
    Dataset(
        "muennighoff2023",
        "229 runs of the data-constrained study (7M-8.7B parameters, 0.1B-900B tokens) on C4: final validation "
        "loss; unique tokens as ColPret's tokens_per_epoch (1.5e9 in every row; see SOURCE.txt)",
        "muennighoff2023", "datablations_contour_losses.csv", 229,
        Citation("Muennighoff et al.", 2023, "Scaling Data-Constrained Language Models", "2305.16264",
                 "runs of github.com/huggingface/datablations as aggregated by IBM ColPret (Choshen et al. 2024, "
                 "arXiv:2410.11840), aggregated_eval/datablations_contour_losses.csv"),
        "MIT", "Copyright (c) 2024 International Business Machines", "github.com/IBM/ColPret",
        "16f23bbe054277ddc4afd07a972dd7cfbe3f48c3", _COPIED,
        {"n_params_col": "num_params", "n_tokens_col": "token_num", "loss_col": "openLM_loss",
         "unique_tokens_col": "tokens_per_epoch"},
        family="data-constrained"),
)}


def get_dataset(name: str) -> Dataset:
    """The bundled dataset called ``name``; one line naming those there are otherwise."""
    if name not in DATASETS:
        raise ConfigError(f"The 'dataset' parameter must be one of {', '.join(DATASETS)}. Got {name!r}.")
    return DATASETS[name]


@contextmanager
def dataset_file(name: str) -> Iterator[Path]:
    """The dataset's CSV as a file on disk for the ``with`` block (extracted first where the package is zipped)."""
    ds = get_dataset(name)
    with resources.as_file(resources.files(__name__).joinpath(ds.folder, ds.file)) as path:
        yield path


def load_dataset(name: str, **columns: Any) -> Runs:
    """The dataset ``name`` as :class:`~scalinglab.fit.Runs`: its column mapping, with ``columns`` (any keyword of
    :func:`~scalinglab.fit.load_runs`) added or overriding it; a given ``n_tokens_col`` or ``flops_col`` replaces
    the dataset's D or C column. The provenance records the dataset's name and citation."""
    ds = get_dataset(name)
    kw: dict[str, Any] = dict(ds.columns)
    if columns.get("n_tokens_col") is not None or columns.get("flops_col") is not None:
        kw.pop("n_tokens_col", None)
        kw.pop("flops_col", None)
    kw.update({k: v for k, v in columns.items() if v is not None})
    with dataset_file(name) as path:
        runs = load_runs(path, **kw)
    return replace(runs, source={**runs.source, "dataset": name, "citation": str(ds.citation),
                                 "licence": ds.licence})
