"""Fixtures for the report tests: a Chinchilla law with bootstrap-like samples and synthetic IsoFLOP runs."""

from __future__ import annotations

import numpy as np
import pytest

from scalinglab.laws import Chinchilla, Citation, ChinchillaParams
from scalinglab.laws.chinchilla import EPOCH_2024, predict

XSS = "<script>alert(1)</script>"


def _law_with_samples(n: int = 60, seed: int = 0) -> Chinchilla:
    rng = np.random.default_rng(seed)
    p = EPOCH_2024
    samples = tuple(
        ChinchillaParams(E=p.E * np.exp(0.003 * a), A=p.A * np.exp(0.02 * b), B=p.B * np.exp(0.02 * c),
                         alpha=p.alpha + 0.001 * d, beta=p.beta + 0.001 * e)
        for a, b, c, d, e in rng.standard_normal((n, 5))
    )
    return Chinchilla("synthetic", p, Citation("test", 2024, "synthetic law"), "", samples)


@pytest.fixture(scope="session")
def law_with_samples() -> Chinchilla:
    return _law_with_samples()


@pytest.fixture(scope="session")
def isoflop_runs() -> dict[str, np.ndarray]:
    """5 budgets x 7 model sizes around each budget's optimum, 0.5% noise; names include an XSS payload."""
    rng = np.random.default_rng(1)
    n_all, d_all, c_all = [], [], []
    for c in (1e18, 3e18, 1e19, 3e19, 1e20):
        n_opt = np.sqrt(c / 6 / 20)
        for k in np.linspace(-1, 1, 7):
            n = n_opt * 10**k
            n_all.append(n)
            d_all.append(c / (6 * n))
            c_all.append(c)
    n, d = np.array(n_all), np.array(d_all)
    loss = predict(EPOCH_2024, n, d) * np.exp(0.005 * rng.standard_normal(n.size))
    names = np.array([XSS] + [f"run-{i}" for i in range(1, n.size)])
    return {"n_params": n, "n_tokens": d, "loss": loss, "budgets": np.array(c_all), "names": names}


@pytest.fixture(scope="session")
def full_report(tmp_path_factory, isoflop_runs, law_with_samples):
    """Runs as arrays, a law with samples, a given audit and a tracked run: (ReportResult, html text)."""
    pytest.importorskip("matplotlib", reason="the report needs the [report] extra (matplotlib)")
    from scalinglab.report import make_report, track_run

    d = tmp_path_factory.mktemp("full")
    r = isoflop_runs
    t = np.logspace(8, 10, 30)
    tracked = track_run(t, law_with_samples.loss(1e9, t) * 1.05, law=law_with_samples, n_params=1e9)
    audit = {"runs": [{"predicted": 2.0, "loss": 2.02, "interval": [1.98, 2.03]},
                      {"predicted": 2.1, "loss": 2.2, "interval": [2.08, 2.12]}], "level": 0.9}
    res = make_report(law=law_with_samples, runs=r, audit=audit, track=tracked, flops=1e22,
                      out=d / "report.html")
    return res, res.path.read_text()
