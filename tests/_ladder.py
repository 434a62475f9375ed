"""Bhagia et al.'s model ladder (../shared/data/olmo-ladder) as a wide runs table with task scores.

The authors' recipe (repo src/scaling/utils.py, task_utils.py, configs/final.json): the 16 fitting runs are
190M, 370M, 760M and 1.3B at 1, 2, 5 and 10 x Chinchilla; N is the non-embedding parameter count of the
config; D of a checkpoint is ``throughput/total_tokens`` (or ``_step x batch_size_in_tokens``); each of the 8
tasks (``v2_main``) has an accuracy (RC, 5-shot, length-normalised) and a task loss (bits per byte), MMLU's
the weighted mean of its four subject groups. The targets' actual accuracies are the 7B-4T anneal row and the
mean of the last 5 rows of the 13B-5T file, as the repo computes them.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

#: task -> (the repo's task name, its splits, their weights)
_MMLU = ["mmlu_stem_test", "mmlu_humanities_test", "mmlu_social_sciences_test", "mmlu_other_test"]
TASKS = {
    "mmlu": ("mmlu_avg_test_5shot", _MMLU, [0.215, 0.335, 0.219, 0.231]),
    "hellaswag": ("hellaswag_val_5shot", ["hellaswag_val"], [1.0]),
    "arc_challenge": ("arc_challenge_test_5shot", ["arc_challenge_test"], [1.0]),
    "arc_easy": ("arc_easy_test_5shot", ["arc_easy_test"], [1.0]),
    "piqa": ("piqa_val_5shot", ["piqa_val"], [1.0]),
    "csqa": ("csqa_val_5shot", ["csqa_val"], [1.0]),
    "socialiqa": ("socialiqa_val_5shot", ["socialiqa_val"], [1.0]),
    "openbookqa": ("openbookqa_test_5shot", ["openbookqa_test"], [1.0]),
}
#: the two targets: (config name, non-embedding N, D the repo's predict.py is given)
TARGETS = {"7B-4T": (6887575552, 3945065873408), "13B-5T": (13202396160, 5000088518656)}
#: the tasks the README finds ill-conditioned (the four off by ~7 points on average)
HARD = ("arc_challenge", "arc_easy", "csqa", "openbookqa")


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def _tokens(row: dict[str, str]) -> int:
    if "throughput/total_tokens" in row:
        return int(float(row["throughput/total_tokens"]))
    return int(float(row["_step"])) * int(float(row["batch_size_in_tokens"]))


def _value(row: dict[str, str], task: str, kind: str) -> float:
    _, splits, weights = TASKS[task]
    pattern = "eval/downstream_bpb/{}_rc_5shot_bpb" if kind == "loss" else "eval/downstream/{}_rc_5shot_len_norm"
    return float(np.average([float(row[pattern.format(s)]) for s in splits], weights=weights))


def ladder_table(data: Path, out: Path) -> Path:
    """Write the 16 fitting runs' checkpoints as a wide CSV: run, params, tokens, per task ``<task>`` (accuracy)
    and ``<task>_loss`` (bits per byte)."""
    cfg = json.loads((data / "olmo-ladder" / "configs" / "final.json").read_text())
    header = ["run", "params", "tokens"] + [c for t in TASKS for c in (t, f"{t}_loss")]
    with open(out, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        for name, c in cfg.items():
            if c["mode"] != "train":
                continue
            for p in c["paths"]:
                run = f"{name}-{Path(p).stem.split('-')[1]}"
                for row in _rows(data / "olmo-ladder" / "ladder-runs" / Path(p).name):
                    w.writerow([run, c["n"], _tokens(row)]
                               + [v for t in TASKS for v in (_value(row, t, "acc"), _value(row, t, "loss"))])
    return out


def actual_accuracy(data: Path) -> dict[str, dict[str, float]]:
    """Each target's actual accuracy per task: the 7B anneal row; the mean of the 13B file's last 5 rows."""
    files = {"7B-4T": ("peteish7_eval_anneal.csv", 1), "13B-5T": ("peteish13_eval_final.csv", 5)}
    out = {}
    for target, (name, last) in files.items():
        rows = _rows(data / "olmo-ladder" / "ladder-runs" / name)[-last:]
        out[target] = {t: float(np.mean([_value(r, t, "acc") for r in rows])) for t in TASKS}
    return out


def authors_predictions(data: Path) -> dict[str, dict[str, float]]:
    """The authors' chained predictions (reproduced_chained_predictions.csv: their predict.py's output)."""
    by_name = {v[0]: k for k, v in TASKS.items()}
    out: dict[str, dict[str, float]] = {}
    for r in _rows(data / "olmo-ladder" / "reproduced_chained_predictions.csv"):
        out.setdefault(r["target"], {})[by_name[r["task"]]] = float(r["pred_acc"])
    return out
