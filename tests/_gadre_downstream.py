"""Gadre et al.'s runs with their downstream accuracies (../shared/data/gadre-overtraining) as a wide table.

The paper's default split (upstream scaling/shared.py ``fit_ds``, scaling_explorer.ipynb): RedPajama runs,
C4-eval loss; the loss law on the four small configs at M = 20 and the 11M model at M = 320 (five runs), the
error law on those and the 1.4B M = 20 run (six); targets 1.4B at M = 640 and 6.9B at M = 20; the score is the
average top-1 error over the 17-task subset (constants.py ``SUBSET``).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

SUBSET = ["bigbench_operators", "pubmed_qa_labeled", "hellaswag_zeroshot", "boolq", "arc_easy", "coqa",
          "bigbench_dyck_languages", "lambada_openai", "bigbench_novel_concepts", "winograd",
          "bigbench_cs_algorithms", "commonsense_qa", "bigbench_qa_wikidata", "hellaswag", "copa", "squad", "piqa"]
#: (model config, chinchilla multiplier M/20) of the loss law's five runs, and the sixth run of the error law
STEP1 = [("d=96_l=8_h=4", 1.0), ("d=512_l=8_h=4", 1.0), ("d=576_l=24_h=8", 1.0), ("d=1024_l=24_h=8", 1.0),
         ("d=96_l=8_h=4", 16.0)]
STEP2_EXTRA = ("open_lm_1b", 1.0)
TARGETS = {"1.4B M=640": ("open_lm_1b", 32.0), "6.9B M=20": ("open_lm_7b", 1.0)}
#: the notebook's printed relative errors of the chained 17-task average top-1 error, in %
PUBLISHED = {"1.4B M=640": 3.6365, "6.9B M=20": 0.0464}


def rows(data: Path, dataset: str = "rpj") -> dict[tuple[str, float], dict[str, str]]:
    """The dataset's runs by (config, multiplier), each with its losses and its 46 accuracies."""
    g = data / "gadre-overtraining"
    with open(g / "gadre_downstream_icl_accuracy.csv", newline="") as f:
        acc = {r["name"]: r for r in csv.DictReader(f)}
    with open(g / "gadre_models_losses.csv", newline="") as f:
        return {(r["model_config"], float(r["chinchilla_multiplier"])): {**acc[r["name"]], **r}
                for r in csv.DictReader(f) if r["dataset"] == dataset}


def average_error(row: dict[str, str]) -> float:
    return float(np.mean([1.0 - float(row[t]) for t in SUBSET]))


def gadre_table(data: Path, out: Path, keys: list[tuple[str, float]] | None = None) -> Path:
    """Write the six fitting runs (or ``keys``) as a wide CSV: run, params, tokens, loss (C4 eval), 17 tasks."""
    by_key = rows(data)
    keys = keys or [*STEP1, STEP2_EXTRA]
    with open(out, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["run", "params", "tokens", "loss", *SUBSET])
        for k in keys:
            r = by_key[k]
            w.writerow([r["name"], r["params"], r["tokens"], r["loss_c4_val"], *(r[t] for t in SUBSET)])
    return out


def step1_names(data: Path) -> list[str]:
    by_key = rows(data)
    return [by_key[k]["name"] for k in STEP1]
