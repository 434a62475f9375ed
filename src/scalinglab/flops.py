"""Parameter and FLOP counting: the one place where the counting convention is chosen.

Parameters are counted by group (embedding, attention, MLP, norms, untied output head), as nanoGPT's
``num_scaling_params()`` does, so that "N" is a visible choice:

- ``ParamCounts.total`` counts everything; Chinchilla (Hoffmann et al. 2022) counts all parameters.
- ``ParamCounts.non_embedding`` = total − embedding − head is Kaplan et al.'s (2020) N.

Conventions for training FLOPs per token (``CONVENTIONS``):

- ``"6N"``: C ≈ 6N per token, C = 6ND (Kaplan et al. 2020, §2.1), N as given or ``Architecture`` total.
- ``"6N+attn"``: 6·N_nonembed + 6·n_layer·n_ctx·d_model, three times Kaplan's forward pass
  2N + 2·n_layer·n_ctx·d_attn (Kaplan Table 1; Porian et al. 2024 ``data.py``).
- ``"deepseek"``: M = 72·n_layer·d_model² + 12·n_layer·d_model·l_seq (DeepSeek LLM, Bi et al. 2024, §3.1).

Budget arithmetic on C = 6·N·D lives here too (:func:`training_flops`, :func:`tokens_for_flops`,
:func:`params_for_flops`, :func:`params_at_ratio`, :func:`log_tokens_for_flops`), with serving compute 2·N·T
(:func:`inference_flops`), so no other module writes the 6. These helpers check that their inputs are finite
and > 0 and name the one that is not; ``check_input=False`` (scikit-learn's name for it) skips the check so
that NaN propagates, for objectives and plots whose inputs were checked upstream or may be NaN where a
plan is unreachable.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from ._validate import check_choice, check_positive, positive_array
from .errors import ConfigError

__all__ = [
    "Architecture",
    "ParamCounts",
    "CONVENTIONS",
    "FLOPS_PER_PARAM_TOKEN",
    "flops_per_token",
    "training_flops",
    "tokens_for_flops",
    "params_for_flops",
    "params_at_ratio",
    "log_tokens_for_flops",
    "log_training_flops",
    "inference_flops",
    "attention_flops_per_token",
    "aspect_ratio_rule",
]

CONVENTIONS: tuple[str, ...] = ("6N", "6N+attn", "deepseek")
#: training FLOPs per parameter per token, C = 6·N·D (2 forward + 4 backward): the helpers below are written
#: with it; code in log space (fitters' inner loops, laws' closed forms) uses it directly, or a helper with
#: check_input=False, instead of writing the 6 again
FLOPS_PER_PARAM_TOKEN = 6.0
COUNTS: tuple[str, ...] = ("total", "non_embedding")


def _check_int(name: str, value: object, *, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ConfigError(f"The {name!r} parameter must be an integer >= {minimum}. Got {value!r}.")
    if value < minimum:
        raise ConfigError(f"The {name!r} parameter must be an integer >= {minimum}. Got {value!r}.")
    return int(value)


def _round_up(x: float, multiple: int) -> int:
    return int(multiple * math.ceil(x / multiple))


def _default_gated_d_ff(d_model: int) -> int:
    # Llama's rule: 2/3 of 4·d_model so that three matrices keep ≈ 8·d_model² parameters, rounded up to a
    # multiple of 256 (Llama-2-7B: 8/3·4096 = 10922.7 -> 11008). Small models round to 8 instead.
    return _round_up(8 * d_model / 3, 256 if d_model >= 1024 else 8)


@dataclass(frozen=True)
class ParamCounts:
    """Parameter counts by group. ``head`` is the untied output matrix (0 when tied to the embedding)."""

    embedding: int
    attention: int
    mlp: int
    norm: int
    head: int

    @property
    def total(self) -> int:
        return self.embedding + self.attention + self.mlp + self.norm + self.head

    @property
    def non_embedding(self) -> int:
        """Kaplan et al. (2020)'s N: everything except the token (and position) embeddings and the head."""
        return self.total - self.embedding - self.head

    def as_dict(self) -> dict[str, int]:
        return {**asdict(self), "total": self.total, "non_embedding": self.non_embedding}


@dataclass(frozen=True)
class Architecture:
    """Shape of a decoder-only transformer, counted without biases (Llama, nanoGPT ``bias=False``).

    Parameters
    ----------
    n_layers, d_model, n_heads : int
        Depth, width and number of query heads; ``d_model`` must be divisible by ``n_heads``.
    d_ff : int, optional
        MLP hidden width. Default ``4·d_model``; with ``gated_mlp`` it is ``8·d_model/3`` rounded up to a
        multiple of 256 (8 when ``d_model < 1024``), Llama's rule, so the MLP keeps ≈ 8·d_model² parameters.
    vocab_size, context : int
        Vocabulary size and training sequence length (``n_ctx``, DeepSeek's ``l_seq``).
    tied_embeddings : bool
        Output head shares the embedding matrix (GPT-2, nanoGPT). Llama is untied.
    n_kv_heads : int, optional
        Key/value heads for grouped-query attention (Ainslie et al. 2023). Default ``n_heads`` (MHA).
    gated_mlp : bool
        SwiGLU-style MLP with three ``d_model × d_ff`` matrices instead of two (Shazeer 2020).
    learned_positions : bool
        Adds a learned ``context × d_model`` position table to the embedding group (GPT-2); default off
        (rotary embeddings have no parameters).
    """

    n_layers: int
    d_model: int
    n_heads: int
    d_ff: int | None = None
    vocab_size: int = 50304
    context: int = 2048
    tied_embeddings: bool = True
    n_kv_heads: int | None = None
    gated_mlp: bool = False
    learned_positions: bool = False

    def __post_init__(self) -> None:
        for name in ("n_layers", "d_model", "n_heads", "vocab_size", "context"):
            _check_int(name, getattr(self, name))
        if self.d_model % self.n_heads:
            raise ConfigError(
                f"The 'd_model' parameter must be divisible by n_heads={self.n_heads}. Got {self.d_model}."
            )
        if self.d_ff is None:
            d_ff = _default_gated_d_ff(self.d_model) if self.gated_mlp else 4 * self.d_model
            object.__setattr__(self, "d_ff", d_ff)
        _check_int("d_ff", self.d_ff)
        if self.n_kv_heads is None:
            object.__setattr__(self, "n_kv_heads", self.n_heads)
        _check_int("n_kv_heads", self.n_kv_heads)
        if self.n_heads % self.n_kv_heads:  # type: ignore[operator]
            raise ConfigError(
                f"The 'n_kv_heads' parameter must divide n_heads={self.n_heads}. Got {self.n_kv_heads}."
            )

    @property
    def head_dim(self) -> int:
        return self.d_model // self.n_heads

    @property
    def aspect_ratio(self) -> float:
        """``d_model / n_layers`` (Kaplan et al. 2020 §3.1 find loss flat over a wide range of it)."""
        return self.d_model / self.n_layers

    def param_counts(self) -> ParamCounts:
        """Parameter counts by group, biases-free.

        attention = n_layers·(d·(n_heads·hd) [q] + 2·d·(n_kv_heads·hd) [k, v] + (n_heads·hd)·d [o]);
        mlp = n_layers·(2 or 3)·d·d_ff; norm = (2·n_layers + 1)·d (two per block plus the final one,
        scale only, as RMSNorm); embedding = vocab·d (+ context·d with learned positions);
        head = vocab·d when untied, else 0.
        """
        d, hd, n_layers = self.d_model, self.head_dim, self.n_layers
        q_dim, kv_dim = self.n_heads * hd, self.n_kv_heads * hd  # type: ignore[operator]
        attention = n_layers * (d * q_dim + 2 * d * kv_dim + q_dim * d)
        mlp = n_layers * (3 if self.gated_mlp else 2) * d * self.d_ff  # type: ignore[operator]
        norm = (2 * n_layers + 1) * d
        embedding = self.vocab_size * d + (self.context * d if self.learned_positions else 0)
        head = 0 if self.tied_embeddings else self.vocab_size * d
        return ParamCounts(embedding=embedding, attention=attention, mlp=mlp, norm=norm, head=head)

    @property
    def n_params(self) -> int:
        """Total parameter count (``param_counts().total``)."""
        return self.param_counts().total

    @classmethod
    def from_n_params(
        cls,
        n_params: float,
        *,
        vocab_size: int = 50304,
        context: int = 2048,
        head_dim: int = 128,
        aspect_ratio: float | None = None,
        gated_mlp: bool = False,
        tied_embeddings: bool = True,
        count: str = "total",
    ) -> Architecture:
        """A plausible shape whose parameter count is close to ``n_params``.

        Depth and width follow ``d_model ≈ aspect_ratio · n_layers`` with the aspect ratio from
        :func:`aspect_ratio_rule` (64 up to 1e8 parameters, rising log-linearly to 128 at 1e10, like GPT-3
        125M 12×768, Llama-2-7B 32×4096, GPT-3 175B 96×12288). Solving ``12·n_layers·d² + e·V·d = N``
        (``e`` = 1 tied, 2 untied) gives the width; ``d_model`` is rounded to a multiple of ``head_dim``
        (widths >= 8·head_dim), of 64 (>= 256) or of 4 (tiny models, 1–8 heads of >= 8 dims).
        Among depths within a factor 2 of the rule, the shape closest to the rule's aspect ratio whose
        count is within 5% is chosen, else the closest count.

        Parameters
        ----------
        n_params : float
            Target parameter count.
        vocab_size, context, gated_mlp, tied_embeddings
            Passed to the returned :class:`Architecture`.
        head_dim : int
            Head size for wide models (``n_heads = d_model / head_dim``); narrower models use 64.
        aspect_ratio : float, optional
            ``d_model / n_layers`` to aim for; default :func:`aspect_ratio_rule` of ``n_params``.
        count : {"total", "non_embedding"}
            Which count to match: Chinchilla's total, or Kaplan's non-embedding N.

        Notes
        -----
        Tolerance: the count is within 10% of ``n_params`` for ``n_params >= 1e8`` (in practice within
        5%), for every vocabulary, tying and MLP choice. Below that, widths move in steps of 4 and depths
        in steps of 1, so misses of up to ~20% occur under ~100·vocab_size. With ``count="total"`` a target
        below about 10·vocab_size is mostly embedding and cannot be met (the narrowest shape, d_model = 4,
        is returned); for tiny models use ``count="non_embedding"`` (within 10% down to 1e4, default
        settings) or a smaller ``vocab_size``.
        """
        target = check_positive("n_params", n_params)
        check_choice("count", count, COUNTS)
        for name, value in (("vocab_size", vocab_size), ("context", context), ("head_dim", head_dim)):
            _check_int(name, value)
        if aspect_ratio is None:
            ratio = aspect_ratio_rule(target)
        else:
            ratio = check_positive("aspect_ratio", aspect_ratio)
        emb = 0 if count == "non_embedding" else vocab_size * (1 if tied_embeddings else 2)

        def build(n_layers: int, d_model: int) -> Architecture:
            if d_model >= 8 * head_dim:
                n_heads = d_model // head_dim
            elif d_model >= 256:
                n_heads = d_model // 64
            else:
                n_heads = next(h for h in (8, 4, 2, 1) if d_model % h == 0 and (d_model // h >= 8 or h == 1))
            return cls(n_layers=n_layers, d_model=d_model, n_heads=n_heads, vocab_size=vocab_size,
                       context=context, tied_embeddings=tied_embeddings, gated_mlp=gated_mlp)

        def counted(arch: Architecture) -> int:
            pc = arch.param_counts()
            return pc.total if count == "total" else pc.non_embedding

        # Width from the rule: 12·d³/ratio + emb·d = target, solved by bisection in log space.
        lo, hi = 1.0, 1e7
        for _ in range(200):
            mid = math.sqrt(lo * hi)
            lo, hi = (mid, hi) if 12 * mid**3 / ratio + emb * mid < target else (lo, mid)
        layers_rule = max(1.0, lo / ratio)
        best: tuple[tuple[float, float], Architecture] | None = None
        for n_layers in range(max(1, math.floor(layers_rule / 2)), math.ceil(2 * layers_rule) + 1):
            # Width for this depth: 12·L·d² + emb·d = target (a quadratic in d).
            d_exact = (-emb + math.sqrt(emb**2 + 48 * n_layers * target)) / (24 * n_layers)
            step = head_dim if d_exact >= 8 * head_dim else (64 if d_exact >= 256 else 4)
            for d_model in {max(step, math.floor(d_exact / step) * step), _round_up(d_exact, step)}:
                arch = build(n_layers, d_model)
                err = abs(math.log(counted(arch) / target))
                shape_err = abs(math.log(d_model / n_layers / ratio))
                key = (0.0, shape_err) if err <= math.log(1.05) else (err, shape_err)
                if best is None or key < best[0]:
                    best = (key, arch)
        assert best is not None  # the depth range is never empty
        return best[1]


def aspect_ratio_rule(n_params: float) -> float:
    """Width/depth ratio ``d_model / n_layers`` used by :meth:`Architecture.from_n_params`.

    64 below 1e8 parameters, rising linearly in log10 N to 128 at 1e10, 128 above: GPT-3 125M is 12×768
    (64), Llama-2-7B 32×4096 (128), Llama-2-70B / Chinchilla 80×8192 (102), GPT-3 175B 96×12288 (128).
    """
    n = check_positive("n_params", n_params)
    return float(np.clip(64.0 + 32.0 * math.log10(n / 1e8), 64.0, 128.0))


def flops_per_token(
    n_params_or_arch: float | np.ndarray | Architecture, *, convention: str = "6N"
) -> float | np.ndarray:
    """Training FLOPs per token (forward + backward) under a named convention.

    Parameters
    ----------
    n_params_or_arch : float, array or Architecture
        A parameter count (``"6N"`` only) or an architecture. For ``"6N"`` with an architecture, N is its
        total parameter count.
    convention : {"6N", "6N+attn", "deepseek"}
        ``"6N"``: 6·N (Kaplan et al. 2020, §2.1).
        ``"6N+attn"``: 6·N_nonembed + 6·n_layers·context·d_model (3× Kaplan's forward
        2N + 2·n_layer·n_ctx·d_attn, Table 1).
        ``"deepseek"``: M = 72·n_layers·d_model² + 12·n_layers·d_model·context (Bi et al. 2024, §3.1);
        it uses the shape only, so it ignores d_ff, GQA and the vocabulary.

    Returns
    -------
    float or ndarray
        FLOPs per training token.
    """
    check_choice("convention", convention, CONVENTIONS)
    if isinstance(n_params_or_arch, Architecture):
        arch = n_params_or_arch
        if convention == "6N":
            return FLOPS_PER_PARAM_TOKEN * arch.param_counts().total
        layers, d, ctx = arch.n_layers, arch.d_model, arch.context
        if convention == "6N+attn":
            return (FLOPS_PER_PARAM_TOKEN * arch.param_counts().non_embedding
                    + attention_flops_per_token(layers, ctx, d))
        return 72.0 * layers * d**2 + 12.0 * layers * d * ctx
    if convention != "6N":
        raise ConfigError(
            f"The 'n_params_or_arch' parameter must be an Architecture for convention={convention!r} "
            f"(it needs n_layers, d_model and context). Got {n_params_or_arch!r}."
        )
    n = positive_array("n_params", n_params_or_arch)
    return FLOPS_PER_PARAM_TOKEN * (float(n) if n.ndim == 0 else n)


def attention_flops_per_token(n_layers: int, context: int, d_model: int) -> float:
    """Attention-score FLOPs per training token over the full context, ``6·n_layers·context·d_model``, the
    ``"6N+attn"`` term: three times Kaplan et al.'s (2020, Table 1) forward ``2·n_layer·n_ctx·d_attn``."""
    for name, value in (("n_layers", n_layers), ("context", context), ("d_model", d_model)):
        _check_int(name, value)
    return 6.0 * n_layers * context * d_model


def _scalar_or_array(x: np.ndarray) -> float | np.ndarray:
    return float(x) if x.ndim == 0 else x


def _array(name: str, value: object, check_input: bool, *, allow_zero: bool = False) -> np.ndarray:
    if check_input:
        return positive_array(name, value, allow_zero=allow_zero)
    return np.asarray(value, dtype=float)


def training_flops(n_params: float | np.ndarray, n_tokens: float | np.ndarray, *,
                   check_input: bool = True) -> float | np.ndarray:
    """Training compute ``C = 6·N·D`` (Kaplan et al. 2020, §2.1; Hoffmann et al. 2022). Broadcasts."""
    n = _array("n_params", n_params, check_input)
    d = _array("n_tokens", n_tokens, check_input)
    return _scalar_or_array(FLOPS_PER_PARAM_TOKEN * n * d)


def tokens_for_flops(n_params: float | np.ndarray, flops: float | np.ndarray, *,
                     check_input: bool = True) -> float | np.ndarray:
    """Tokens a budget buys at a model size: ``D = C / (6N)``."""
    n = _array("n_params", n_params, check_input)
    c = _array("flops", flops, check_input)
    return _scalar_or_array(c / (FLOPS_PER_PARAM_TOKEN * n))


def params_for_flops(n_tokens: float | np.ndarray, flops: float | np.ndarray, *,
                     check_input: bool = True) -> float | np.ndarray:
    """Model size a budget allows for a token count: ``N = C / (6D)``."""
    d = _array("n_tokens", n_tokens, check_input)
    c = _array("flops", flops, check_input)
    return _scalar_or_array(c / (FLOPS_PER_PARAM_TOKEN * d))


def params_at_ratio(tokens_per_param: float | np.ndarray, flops: float | np.ndarray) -> float | np.ndarray:
    """Model size whose budget buys ``tokens_per_param`` tokens per parameter: ``N = √(C / (6r))``
    (C = 6·N·(r·N)); ``r = 20`` is Chinchilla's rule of thumb."""
    r = positive_array("tokens_per_param", tokens_per_param)
    c = positive_array("flops", flops)
    return _scalar_or_array(np.sqrt(c / (FLOPS_PER_PARAM_TOKEN * r)))


def log_tokens_for_flops(log_n_params: float | np.ndarray, flops: float | np.ndarray) -> float | np.ndarray:
    """:func:`tokens_for_flops` in log space, ``log D = log(C/6) − log N``, for searches over ``log N``
    (at ``log N = 0`` it is ``log(C/6)``, twice the log of the size where D = N)."""
    c = positive_array("flops", flops)
    return _scalar_or_array(np.log(c / FLOPS_PER_PARAM_TOKEN) - np.asarray(log_n_params, dtype=float))


def log_training_flops(log_n_params: float | np.ndarray, log_n_tokens: float | np.ndarray) -> float | np.ndarray:
    """:func:`training_flops` in log space, ``log C = log 6 + log N + log D``, for laws written in log space
    (unchecked: fitters evaluate it at every trial point)."""
    return _scalar_or_array(np.log(FLOPS_PER_PARAM_TOKEN) + np.asarray(log_n_params, dtype=float)
                            + np.asarray(log_n_tokens, dtype=float))


def inference_flops(n_params: float | np.ndarray, n_tokens: float | np.ndarray, *,
                    check_input: bool = True) -> float | np.ndarray:
    """Compute to serve ``n_tokens`` tokens (prompt + generated), ``2·N·T``: the forward pass of Kaplan
    et al. (2020, §2.1), attention ignored, as Sardana et al. (2024) count it. ``n_tokens`` may be 0."""
    n = _array("n_params", n_params, check_input)
    t = _array("n_tokens", n_tokens, check_input, allow_zero=True)
    return _scalar_or_array(2.0 * n * t)
