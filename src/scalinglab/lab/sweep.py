"""Sweep design: IsoFLOP grids, token sweeps, explicit run lists, presets and time estimates.

An IsoFLOP grid (Hoffmann et al. 2022, Approach 2) trains, for each compute budget C, several model sizes
N with D = C/(6N) tokens, so that the loss-vs-N profile of each budget has its minimum *inside* the grid.
The sizes are log-spaced over ``[N₀/span, N₀·span]`` around N₀ = √(C/(6r)), the optimum if the loss were
minimised at r tokens per parameter. Small models on this corpus want many tokens per parameter (an
untuned sweep found its best loss at the smallest model, ~9 K parameters and 200+ tokens/parameter), so
the presets centre on r = 64 and span ×8 each side, which brackets r from ~1 to ~4,000 and reaches down
to a few thousand parameters.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from .._validate import check_positive
from ..errors import ConfigError
from ..flops import Architecture, flops_per_token, params_at_ratio, tokens_for_flops
from ._sweep_file import read_sweep_file
from .config import ModelShape, TrainConfig

__all__ = [
    "CPU_1THREAD",
    "LAB_ASPECT_RATIO",
    "MEASURED_THROUGHPUT",
    "PRESETS",
    "PlannedRun",
    "Sweep",
    "Throughput",
    "estimate_seconds",
    "isoflop_grid",
    "load_sweep_file",
    "planned_run",
    "preset_sweep",
    "shape_for_params",
    "token_sweep",
]

LAB_ASPECT_RATIO = 24.0  # d_model / n_layers; 64 (GPT-3's) would leave every model under ~400 K one layer deep
MEASURED_THROUGHPUT: tuple[tuple[float, float], ...] = ((56e3, 35e3), (1e6, 5e3), (19e6, 330.0))  # (N, tokens/s)


@dataclass(frozen=True)
class Throughput:
    """Training speed of one worker as seconds per token ``t(N) = a·N^α + 6N/P``, N the lab's N.

    The first term is per-token overhead that grows slowly with size (Python, kernel launches, layer norms,
    attention scores, which ``6N`` does not count); the second is the matmul work at a sustained ``P``
    FLOP/s. The defaults pass exactly through the throughputs measured on the development machine (float32,
    context 128, one thread, :data:`MEASURED_THROUGHPUT`): 35 k tokens/s at 56 K parameters, 5 k at 1 M,
    330 at 19 M; P = 39 GFLOP/s matches the best measured ~38. Those sizes were Kaplan's non-embedding
    counts, measured before the lab's N took in the output projection (256·d_model: some 20–30% more at
    56 K, ~3% at 1 M, ~1% at 19 M); the model is not refitted, so its estimates for the smallest models
    err on the slow side, well inside its ~2× calibration error (docs/lab-sweeps.md). For another machine,
    measure three sizes and pass your own ``Throughput`` (a GPU has a far larger P).
    """

    a: float = 8.24e-7
    alpha: float = 0.2915
    peak_flops_per_s: float = 39.0e9
    step_overhead_s: float = 3e-3  # per optimizer step, measured with the lab trainer (batch 4 vs 32)
    reference_batch_tokens: int = 4096  # batch 32 × context 128, at which a, α and P were measured
    eval_cost: float = 1.0 / 3.0  # a validation token (forward only) relative to a training token
    run_overhead_s: float = 1.0  # model construction, data loading per run
    worker_startup_s: float = 3.0  # interpreter + torch import per worker process

    def seconds_per_token(self, n_params: float) -> float:
        return self.a * n_params**self.alpha + flops_per_token(n_params) / self.peak_flops_per_s

    def tokens_per_s(self, n_params: float) -> float:
        return 1.0 / self.seconds_per_token(n_params)


CPU_1THREAD = Throughput()


def estimate_seconds(config: TrainConfig, throughput: Throughput = CPU_1THREAD) -> float:
    """Estimated wall seconds of one run: training tokens, validation passes and a fixed overhead.

    Validation runs ``ceil(1/eval_every_frac) + 1`` times over ``eval_tokens`` tokens at
    ``throughput.eval_cost`` of a training token. Contexts other than 128 scale the per-token time by the
    ratio of ``6N + 6·n_layers·context·d_model`` FLOPs (Kaplan et al. 2020, Table 1); batches other than
    32 × 128 tokens add ``step_overhead_s · (1/(B·context) − 1/4096)`` per token (small batches pay the
    per-step Python and optimizer cost over fewer tokens).
    """
    s = config.shape
    n = s.scaling_params()
    attention = (n + s.n_layers * s.context * s.d_model) / (n + s.n_layers * 128 * s.d_model)
    per_step = throughput.step_overhead_s * (1.0 / (config.batch_size * s.context)
                                             - 1.0 / throughput.reference_batch_tokens)
    t = max(throughput.seconds_per_token(n) * attention + per_step, 0.5 * throughput.seconds_per_token(n))
    n_evals = (math.ceil(1.0 / config.eval_every_frac) if config.eval_every_frac > 0 else 0) + 1
    return (config.n_tokens_trained * t + n_evals * config.eval_tokens * t * throughput.eval_cost
            + throughput.run_overhead_s)


@dataclass(frozen=True)
class PlannedRun:
    """One run of a sweep with its design labels; N, FLOPs and steps are the config's own."""

    config: TrainConfig
    budget: float | None = None  # nominal IsoFLOP budget (the group label for IsoFLOP profiles)
    role: str = "train"  # "train" or "holdout" (kept out of the fit to score its prediction)

    @property
    def n_params(self) -> int:
        """The lab's N of ``config.shape`` (:meth:`ModelShape.scaling_params`)."""
        return self.config.shape.scaling_params()

    @property
    def flops(self) -> float:
        """``config.estimate_flops()``: 6·N·D, the FLOPs the finished run records."""
        return self.config.estimate_flops()

    @property
    def tokens_per_param(self) -> float:
        return self.config.n_tokens_trained / self.n_params

    @property
    def steps(self) -> int:
        return self.config.steps


@dataclass(frozen=True)
class Sweep:
    """A named list of planned runs and the spec that produced it (stored with the sweep)."""

    name: str
    runs: tuple[PlannedRun, ...]
    spec: dict[str, Any] = field(default_factory=dict)

    @property
    def total_flops(self) -> float:
        return float(sum(r.flops for r in self.runs))

    def estimated_seconds(self, throughput: Throughput = CPU_1THREAD) -> list[float]:
        """Per-run time estimates (:func:`estimate_seconds`), in run order."""
        return [estimate_seconds(r.config, throughput) for r in self.runs]

    def estimated_wall_seconds(self, workers: int = 1, throughput: Throughput = CPU_1THREAD) -> float:
        """Wall time with ``workers`` processes taking the longest remaining run first (as the store does).

        Assumes each worker gets a core of its own; with more workers than cores, runs slow down.
        """
        if workers < 1:
            raise ConfigError(f"The 'workers' parameter must be >= 1. Got {workers}.")
        loads = [throughput.worker_startup_s] * min(workers, max(1, len(self.runs)))
        for t in sorted(self.estimated_seconds(throughput), reverse=True):
            i = int(np.argmin(loads))
            loads[i] += t
        return max(loads)


def shape_for_params(n_params: float, *, context: int = 128, vocab_size: int = 256,
                     aspect_ratio: float = LAB_ASPECT_RATIO) -> ModelShape:
    """A lab model shape whose N (:meth:`ModelShape.scaling_params`) is close to ``n_params``.

    Width and depth follow ``d_model ≈ aspect_ratio · n_layers`` (Kaplan et al. 2020 §3.1: loss is nearly
    flat over a wide range of this ratio), via :meth:`scalinglab.flops.Architecture.from_n_params`
    counting the tied output projection with the blocks (its total without position tables is the lab's
    N); heads are 64 wide, or 8+ wide below 256 channels.
    """
    arch = Architecture.from_n_params(check_positive("n_params", n_params), vocab_size=vocab_size,
                                      context=context, head_dim=64, aspect_ratio=aspect_ratio,
                                      count="total", tied_embeddings=True)
    return ModelShape(n_layers=arch.n_layers, d_model=arch.d_model, n_heads=arch.n_heads, context=context,
                      vocab_size=vocab_size)


def _fit_batch(n_tokens: float, context: int, batch_size: int, min_steps: int, min_batch_size: int) -> int:
    # Halve the batch (not below min_batch_size) until the run has min_steps optimizer steps: a run of a
    # handful of steps is all warm-up and says nothing about the model's loss.
    while batch_size > min_batch_size and n_tokens / (batch_size * context) < min_steps:
        batch_size //= 2
    return max(batch_size, min_batch_size)


def _planned(shape: ModelShape, n_tokens: float, *, batch_size: int, min_steps: int, min_batch_size: int,
             budget: float | None, role: str, tag: str, train_kwargs: dict[str, Any]) -> PlannedRun:
    batch = _fit_batch(n_tokens, shape.context, batch_size, min_steps, min_batch_size)
    step_tokens = batch * shape.context
    tokens = max(1, round(n_tokens / step_tokens)) * step_tokens  # whole optimizer steps
    try:
        cfg = TrainConfig(shape=shape, n_tokens=int(tokens), batch_size=batch, tag=tag, **train_kwargs)
    except TypeError as exc:
        raise ConfigError(f"The training options must be TrainConfig fields: {exc}.") from None
    return PlannedRun(cfg, budget, role)


def isoflop_grid(budgets: Any, shapes_per_budget: int = 5, *, context: int = 128, batch_size: int = 32,
                 tokens_per_param: float = 20.0, span: float = 8.0, min_params: float = 2000.0,
                 min_steps: int = 50, min_batch_size: int = 4, vocab_size: int = 256,
                 aspect_ratio: float = LAB_ASPECT_RATIO, tag: str = "", **train_kwargs: Any
                 ) -> tuple[PlannedRun, ...]:
    """IsoFLOP grid: for each budget C, ``shapes_per_budget`` sizes bracketing N₀ = √(C/(6r)).

    Parameters
    ----------
    budgets : sequence of float
        Compute budgets C in FLOPs (6·N·D, N the lab's N: :meth:`ModelShape.scaling_params`).
    shapes_per_budget : int
        Model sizes per budget, log-spaced over ``[N₀/span, N₀·span]`` (the low end is raised to
        ``min_params``; sizes that round to the same shape are kept once).
    tokens_per_param : float
        r, the guessed optimum D/N that centres each budget's sizes.
    min_steps, min_batch_size : int
        The batch halves (down to ``min_batch_size``) until a run has ``min_steps`` optimizer steps.
    tag, **train_kwargs
        Passed to every :class:`TrainConfig` (``tag`` is usually the sweep name).

    Returns
    -------
    tuple of PlannedRun
        D = C/(6N) rounded to whole optimizer steps; ``budget`` holds the nominal C.
    """
    if shapes_per_budget < 1:
        raise ConfigError(f"The 'shapes_per_budget' parameter must be >= 1. Got {shapes_per_budget}.")
    check_positive("tokens_per_param", tokens_per_param)
    if span < 1:
        raise ConfigError(f"The 'span' parameter must be >= 1. Got {span}.")
    runs: list[PlannedRun] = []
    for c in sorted(float(check_positive("budgets", b)) for b in np.atleast_1d(budgets)):
        n0 = float(params_at_ratio(tokens_per_param, c))
        lo = max(n0 / span, float(min_params))
        hi = max(n0 * span, lo)
        seen: set[ModelShape] = set()
        for target in np.geomspace(lo, hi, shapes_per_budget):
            shape = shape_for_params(target, context=context, vocab_size=vocab_size, aspect_ratio=aspect_ratio)
            if shape in seen:
                continue
            seen.add(shape)
            runs.append(_planned(shape, tokens_for_flops(shape.scaling_params(), c), batch_size=batch_size,
                                 min_steps=min_steps, min_batch_size=min_batch_size, budget=c, role="train",
                                 tag=tag, train_kwargs=train_kwargs))
    return tuple(runs)


def planned_run(n_params: float, n_tokens: float, *, context: int = 128, batch_size: int = 32, min_steps: int = 50,
                min_batch_size: int = 4, vocab_size: int = 256, aspect_ratio: float = LAB_ASPECT_RATIO,
                budget: float | None = None, tag: str = "", **train_kwargs: Any) -> PlannedRun:
    """One run at a given size and token count (a proposal of :func:`scalinglab.fit.design.propose_runs`): the
    shape of :func:`shape_for_params`, ``n_tokens`` rounded to whole optimizer steps, the batch halved (down to
    ``min_batch_size``) until the run has ``min_steps`` steps, as in :func:`isoflop_grid`."""
    shape = shape_for_params(n_params, context=context, vocab_size=vocab_size, aspect_ratio=aspect_ratio)
    return _planned(shape, float(check_positive("n_tokens", n_tokens)), batch_size=batch_size, min_steps=min_steps,
                    min_batch_size=min_batch_size, budget=budget, role="train", tag=tag, train_kwargs=train_kwargs)


def token_sweep(shape: ModelShape, token_counts: Any, *, batch_size: int = 32, tag: str = "",
                **train_kwargs: Any) -> tuple[PlannedRun, ...]:
    """Fixed-size sweep: one model trained for each of ``token_counts`` (rounded to whole steps)."""
    return tuple(_planned(shape, float(check_positive("token_counts", d)), batch_size=batch_size, min_steps=1,
                          min_batch_size=batch_size, budget=None, role="train", tag=tag,
                          train_kwargs=train_kwargs)
                 for d in sorted(np.atleast_1d(token_counts)))


def load_sweep_file(path: str | Path, *, name: str | None = None) -> Sweep:
    """An explicit sweep from TOML or JSON, every value checked before anything runs (:mod:`._sweep_file`).

    Format: optional ``name``; optional ``defaults`` (TrainConfig fields for every run); ``runs``, a list
    of tables with ``shape`` (``n_layers``, ``d_model``, ``n_heads`` and optionally ``context``,
    ``vocab_size``, ``tied_embeddings``), ``n_tokens``, any other TrainConfig field, and optionally
    ``budget`` (IsoFLOP group) and ``holdout = true``. Anything else, or a value of the wrong kind or out
    of range, raises one :class:`ConfigError` naming the run, the field, the rule and the value.
    """
    sweep_name, runs = read_sweep_file(path, name=name)
    planned = tuple(PlannedRun(cfg, budget, "holdout" if holdout else "train") for cfg, budget, holdout in runs)
    return Sweep(sweep_name, planned, {"kind": "file", "path": str(Path(path))})


@dataclass(frozen=True)
class _Preset:
    budgets: tuple[float, ...]
    shapes_per_budget: int
    span: float
    holdout_budget: float  # one extra run at N₀ of this budget, kept out of the fit
    tokens_per_param: float = 64.0
    batch_size: int = 32
    eval_tokens: int = 16384
    eval_every_frac: float = 0.1
    # what the preset's law is worth, said after every sweep (issue #10: presets say what they are worth)
    purpose: str = ""


PRESETS: dict[str, _Preset] = {
    # About a minute with 2 workers here: 6 grid runs + 1 holdout of 1e3–2e4 parameters.
    "smoke": _Preset(budgets=(2e9, 6e9), shapes_per_budget=3, span=4.0, holdout_budget=2e10, batch_size=16,
                     eval_tokens=4096, eval_every_frac=0.25,
                     purpose="The smoke preset exercises the machinery only: 2 budgets of 3 sizes cannot identify "
                             "a five-parameter law or an IsoFLOP exponent (Approach 2 needs >= 3 budgets with "
                             "interior minima); `fit` reports its law as not identified, and it is not for "
                             "planning."),
    # A few minutes with 2 workers (what `make demo` runs): 3 budgets × 4 sizes + 1 holdout, enough for IsoFLOP
    # profiles with interior minima and a held-out check.
    "demo": _Preset(budgets=(3e10, 9e10, 2.7e11), shapes_per_budget=4, span=4.0, holdout_budget=8e11,
                    tokens_per_param=400.0, eval_tokens=8192,
                    purpose="The demo preset shows the whole loop in minutes: 3 budgets of 4 byte-level models of "
                            "1-20 K parameters. `fit` says whether its law is identified; even when it is, the law "
                            "describes these tiny models on this corpus and is not for planning real runs."),
    # 10–20 minutes with 2 workers: 4 budgets × 5 sizes from ~2 K to ~200 K parameters + 1 holdout at 3× the
    # largest budget. Centred on 400 tokens/parameter: in a sweep centred on 64 (2026-11-24, docs/lab.md) the
    # lowest loss of each budget sat at 450–650 tokens/parameter for these byte-level models.
    "small": _Preset(budgets=(4e10, 1.2e11, 3.6e11, 1.1e12), shapes_per_budget=5, span=4.0,
                     holdout_budget=3.3e12, tokens_per_param=400.0,
                     purpose="The small preset is the lab's smallest real study: 4 budgets of 5 sizes; `fit "
                             "--n-bootstrap` says whether it identifies the law. It describes byte-level models of "
                             "2-200 K parameters on this corpus."),
}


def preset_sweep(preset: str, *, budgets: Any = None, name: str | None = None, aspect_ratio: float | None = None,
                 batch_size: int | None = None) -> Sweep:
    """The sweep of a named preset (see :data:`PRESETS`); ``budgets`` overrides the preset's budgets,
    ``aspect_ratio`` the lab's shapes (:data:`LAB_ASPECT_RATIO`) and ``batch_size`` the preset's (the batch still
    halves for runs too short to take enough steps).

    The holdout run sits at 3× the largest budget (or the preset's holdout budget), at its centre size N₀.
    """
    if preset not in PRESETS:
        raise ConfigError(f"The 'preset' parameter must be one of {sorted(PRESETS)}. Got {preset!r}.")
    p = PRESETS[preset]
    if batch_size is not None:
        p = replace(p, batch_size=int(check_positive("batch_size", batch_size)))
    ratio = LAB_ASPECT_RATIO if aspect_ratio is None else float(check_positive("aspect_ratio", aspect_ratio))
    if budgets is not None:
        p = replace(p, budgets=tuple(float(b) for b in np.atleast_1d(budgets)),
                    holdout_budget=3.0 * max(float(b) for b in np.atleast_1d(budgets)))
    name = name or preset
    common = {"tag": name, "eval_tokens": p.eval_tokens, "eval_every_frac": p.eval_every_frac}
    grid = isoflop_grid(p.budgets, p.shapes_per_budget, span=p.span, tokens_per_param=p.tokens_per_param,
                        batch_size=p.batch_size, aspect_ratio=ratio, **common)
    n0 = float(params_at_ratio(p.tokens_per_param, p.holdout_budget))
    shape = shape_for_params(n0, aspect_ratio=ratio)
    holdout = _planned(shape, tokens_for_flops(shape.scaling_params(), p.holdout_budget),
                       batch_size=p.batch_size, min_steps=50, min_batch_size=4, budget=p.holdout_budget,
                       role="holdout", tag=name, train_kwargs={k: v for k, v in common.items() if k != "tag"})
    spec = {"kind": "isoflop", "preset": preset, "budgets": list(p.budgets),
            "shapes_per_budget": p.shapes_per_budget, "span": p.span, "tokens_per_param": p.tokens_per_param,
            "holdout_budget": p.holdout_budget,
            **({"aspect_ratio": ratio} if aspect_ratio is not None else {}),
            **({"batch_size": p.batch_size} if batch_size is not None else {})}
    return Sweep(name, (*grid, holdout), spec)
