"""Shared fixtures: the location of ../shared/data (real scaling-law runs)."""

from __future__ import annotations

import os

# numpy's OpenBLAS reads this when it loads (scalinglab imports numpy below): on a 2-core machine with other jobs
# running, a threaded BLAS made the L-BFGS-B polish of the Chinchilla fits 5-30x slower (the ladder's eight
# fits in tests/fit/test_downstream_ladder.py: 38 s against 6 s); bench/bench_band_coverage.py pins it too
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from scalinglab.cli import main  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path of ../shared/data; the test is skipped with the reason when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real-data tests need {SHARED_DATA} (present in CI and the dev image, not in a user's clone)")
    return SHARED_DATA


@pytest.fixture(autouse=True)
def _no_user_config(monkeypatch):
    """Every test reads an empty config file (not the developer's ~/.config/scalinglab/config.toml); a test of the
    config sets SCALINGLAB_CONFIG itself."""
    monkeypatch.setenv("SCALINGLAB_CONFIG", os.devnull)


@pytest.fixture
def run(capsys):
    """Run the CLI in-process: ``run(*argv)`` returns (exit code, stdout, stderr)."""

    def _run(*argv: str) -> tuple[int, str, str]:
        code = 0
        try:
            main(list(argv))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        out, err = capsys.readouterr()
        return code, out, err

    return _run


def write_finished_store(path: Path, plans, curve, *, n_checkpoints: int = 1) -> Path:
    """A lab store whose runs 'trained' without the lab: ``plans`` of (IsoFLOP budget, N, role); each run's
    losses at ``n_checkpoints`` evenly spaced token counts up to D = C/(6N) are ``curve(i, n, tokens)`` (``i``
    the plan's index), called in the order the store hands runs out."""
    import numpy as np

    from scalinglab.flops import tokens_for_flops, training_flops
    from scalinglab.lab.config import Checkpoint, ModelShape, RunResult, TrainConfig
    from scalinglab.store import Store

    with Store(path) as store:
        store.add_sweep("s")
        for i, (c, n, role) in enumerate(plans):
            cfg = TrainConfig(shape=ModelShape(1, 8, 1), n_tokens=int(tokens_for_flops(n, c)), seed=i, tag="s")
            store.add_runs("s", [cfg], role=role, budgets=[c])
        while (cfg := store.claim_next("w")) is not None:
            n, d = plans[cfg.seed][1], cfg.n_tokens
            steps = np.linspace(d / n_checkpoints, d, n_checkpoints)
            losses = np.asarray(curve(cfg.seed, n, steps), dtype=float)
            cps = tuple(Checkpoint(step=k + 1, tokens=int(t), flops=training_flops(n, t), train_loss=float(y),
                                   val_loss=float(y), elapsed_s=1.0) for k, (t, y) in enumerate(zip(steps, losses)))
            store.finish_run(cfg.config_hash(), RunResult(
                config_hash=cfg.config_hash(), n_params=n, n_params_total=n + 100, n_tokens=d,
                flops=training_flops(n, d), final_val_loss=float(losses[-1]), final_train_loss=float(losses[-1]),
                seconds=1.0, tokens_per_s=1.0, achieved_flops_per_s=1.0, checkpoints=cps))
    return path


@pytest.fixture
def finished_store():
    """:func:`write_finished_store`, as a fixture."""
    return write_finished_store
