"""The multi-power-law authors' loss curves (../shared/data/multipower-loss-curves): files, schedules, split.

Each file's schedule as the authors' ``src/data_loader.py`` builds it, written in scalinglab's schedule syntax
(:func:`scalinglab.laws.schedules.parse_schedule`); the fit/predict split of their ``src/config.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from scalinglab.fit.curves import Curve
from scalinglab.laws.schedules import parse_schedule

SCHEDULES = {
    "constant_24000": "constant:total=24000,warmup=2160,peak=3e-4",
    "constant_72000": "constant:total=72000,warmup=2160,peak=3e-4",
    "cosine_24000": "cosine:total=24000,warmup=2160,peak=3e-4,final=3e-5",
    "cosine_72000": "cosine:total=72000,warmup=2160,peak=3e-4,final=3e-5",
    "wsd_20000_24000": "wsd:total=24000,warmup=2160,peak=3e-4,final=3e-5,start=20000,decay=geometric",
    "wsdld_20000_24000": "wsd:total=24000,warmup=2160,peak=3e-4,final=3e-5,start=20000,decay=linear",
    "wsdcon_3": "step:total=16000,warmup=2160,peak=3e-4,final=3e-5,start=8000",
    "wsdcon_9": "step:total=16000,warmup=2160,peak=3e-4,final=9e-5,start=8000",
    "wsdcon_18": "step:total=16000,warmup=2160,peak=3e-4,final=1.8e-4,start=8000",
}
FIT_SET = ("cosine_24000", "constant_24000", "wsdcon_9")
PREDICT_SET = ("constant_72000", "cosine_72000", "wsd_20000_24000", "wsdld_20000_24000", "wsdcon_3", "wsdcon_18")
SIZES = ("25M", "100M", "400M")
#: the repo README's "Evaluation Metrics": averages over the six predicted curves
README_METRICS = {"25M": {"r2": 0.9988, "mae": 0.00376, "rmse": 0.00465, "prede": 0.00110, "worste": 0.00409},
                  "100M": {"r2": 0.9983, "mae": 0.00435, "rmse": 0.00592, "prede": 0.00142, "worste": 0.00583},
                  "400M": {"r2": 0.9978, "mae": 0.00484, "rmse": 0.00730, "prede": 0.00168, "worste": 0.00995}}


def load_curve(root: Path, size: str, stem: str) -> Curve:
    """One curve; like the authors' loader, a file whose last step is 24000 loses that row (no file has one)."""
    rows = np.genfromtxt(root / "multipower-loss-curves" / "loss_curve_repo" / f"csv_{size[:-1]}" / f"{stem}.csv",
                         delimiter=",", skip_header=1)
    keep = rows[:, 0] < 24000 if rows[-1, 0] == 24000 else np.ones(len(rows), bool)
    return Curve(rows[keep, 0].astype(int), rows[keep, 2], parse_schedule(SCHEDULES[stem]).lrs(), stem)
