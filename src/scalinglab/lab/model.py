"""A small decoder-only GPT in one file, after nanoGPT (Karpathy, ``model.py``) and GPT-2 (Radford et al. 2019).

Pre-LayerNorm blocks (scale only, no biases anywhere), causal self-attention through
``torch.nn.functional.scaled_dot_product_attention(is_causal=True)``, a 4× GELU MLP, a learned position
table (GPT-2; rotary embeddings would have no parameters, but learned positions keep the model plain and the
count explicit), and an output head tied to the token embedding by default.

Shapes in comments: B batch, T sequence length (<= context), C d_model, H heads, hd = C / H, V vocabulary.

Which N the laws use
--------------------
One N, defined by :func:`scalinglab.lab.config.scaling_n`: attention + MLP + norms + the output projection
(V·d_model, counted once, tied or not); the token and position tables are left out (a lookup costs no
FLOPs). :meth:`GPT.num_scaling_params` counts the module's own tensors by group, ``"scaling"`` being that
N, and equals :meth:`ModelShape.param_counts` for the shape. Compute is C = 6·N·D with the same N
(:meth:`GPT.estimate_flops`), which is what ``RunResult.flops`` and the run store record.
"""

from __future__ import annotations

import math

from ..flops import Architecture
from ._torch import F, nn, torch
from .config import ModelShape, scaling_n

__all__ = ["GPT"]


class CausalSelfAttention(nn.Module):
    def __init__(self, shape: ModelShape) -> None:
        super().__init__()
        self.n_heads = shape.n_heads
        self.qkv = nn.Linear(shape.d_model, 3 * shape.d_model, bias=False)  # q, k, v in one matmul
        self.proj = nn.Linear(shape.d_model, shape.d_model, bias=False)  # residual projection

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, T, C = x.shape
        q, k, v = self.qkv(x).split(C, dim=2)  # 3 × (B, T, C)
        # (B, T, C) -> (B, H, T, hd)
        q, k, v = (t.view(B, T, self.n_heads, C // self.n_heads).transpose(1, 2) for t in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)  # (B, H, T, hd)
        y = y.transpose(1, 2).contiguous().view(B, T, C)  # (B, T, C)
        return self.proj(y)


class MLP(nn.Module):
    def __init__(self, shape: ModelShape) -> None:
        super().__init__()
        self.fc = nn.Linear(shape.d_model, 4 * shape.d_model, bias=False)
        self.proj = nn.Linear(4 * shape.d_model, shape.d_model, bias=False)  # residual projection

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(F.gelu(self.fc(x)))  # (B, T, C) -> (B, T, 4C) -> (B, T, C)


class Block(nn.Module):
    def __init__(self, shape: ModelShape) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(shape.d_model, bias=False)
        self.attn = CausalSelfAttention(shape)
        self.ln_2 = nn.LayerNorm(shape.d_model, bias=False)
        self.mlp = MLP(shape)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.ln_1(x))  # pre-LN residual stream, (B, T, C)
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    """Decoder-only GPT of a given :class:`~scalinglab.lab.config.ModelShape`.

    ``forward(idx, targets=None)`` takes token ids ``(B, T)`` and returns ``(logits (B, T, V), loss)``;
    the loss is the mean next-token cross-entropy in nats, or None without targets.
    """

    def __init__(self, shape: ModelShape) -> None:
        super().__init__()
        self.shape = shape
        self.wte = nn.Embedding(shape.vocab_size, shape.d_model)  # token table (V, C)
        self.wpe = nn.Embedding(shape.context, shape.d_model)  # learned positions (context, C)
        self.blocks = nn.ModuleList(Block(shape) for _ in range(shape.n_layers))
        self.ln_f = nn.LayerNorm(shape.d_model, bias=False)
        self.lm_head = nn.Linear(shape.d_model, shape.vocab_size, bias=False)  # (C -> V)
        if shape.tied_embeddings:
            self.lm_head.weight = self.wte.weight  # GPT-2 / Press & Wolf (2017) weight tying
        # GPT-2 initialisation: N(0, 0.02) everywhere, residual projections scaled by 1/sqrt(2·n_layers)
        # so the residual stream's variance does not grow with depth (Radford et al. 2019, §2.3).
        self.apply(self._init_weights)
        resid_std = 0.02 / math.sqrt(2 * shape.n_layers)
        for block in self.blocks:
            nn.init.normal_(block.attn.proj.weight, mean=0.0, std=resid_std)
            nn.init.normal_(block.mlp.proj.weight, mean=0.0, std=resid_std)

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)

    def forward(
        self, idx: torch.Tensor, targets: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        B, T = idx.shape
        if T > self.shape.context:
            raise ValueError(f"Sequence length {T} exceeds the model's context {self.shape.context}.")
        pos = torch.arange(T, device=idx.device)
        x = self.wte(idx) + self.wpe(pos)  # (B, T, C) + (T, C)
        for block in self.blocks:
            x = block(x)
        logits = self.lm_head(self.ln_f(x))  # (B, T, V)
        if targets is None:
            return logits, None
        loss = F.cross_entropy(logits.view(B * T, -1).float(), targets.reshape(B * T))
        return logits, loss

    # ---- counting: the lab's N (config.scaling_n) from the module's own tensors ---------------------------

    @property
    def architecture(self) -> Architecture:
        """The :class:`scalinglab.flops.Architecture` of this model (``ModelShape.architecture``)."""
        return self.shape.architecture

    def num_scaling_params(self) -> dict[str, int]:
        """Parameters by group, counted from the module's own tensors.

        Keys: ``embedding`` (token + position tables), ``attention``, ``mlp``, ``norm``, ``head`` (the
        untied output matrix; 0 when tied), ``total`` (every tensor once), ``non_embedding`` (Kaplan et al.
        2020's N: total − embedding − head), ``output`` (the logit matrix, tied or not) and ``scaling``, the
        lab's N (:func:`~scalinglab.lab.config.scaling_n`). Equal to ``self.shape.param_counts()``.
        """
        def count(*modules: nn.Module) -> int:
            return sum(p.numel() for m in modules for p in m.parameters())

        counts = {
            "embedding": count(self.wte, self.wpe),
            "attention": sum(count(b.attn) for b in self.blocks),
            "mlp": sum(count(b.mlp) for b in self.blocks),
            "norm": sum(count(b.ln_1, b.ln_2) for b in self.blocks) + count(self.ln_f),
            "head": 0 if self.shape.tied_embeddings else count(self.lm_head),
        }
        counts["total"] = sum(counts.values())
        counts["non_embedding"] = counts["total"] - counts["embedding"] - counts["head"]
        counts["output"] = count(self.lm_head)  # tied or not: the logit layer's FLOPs are spent either way
        counts["scaling"] = scaling_n(counts)
        assert counts["total"] == sum(p.numel() for p in self.parameters())  # tying counted once
        return counts

    def estimate_flops(self, n_tokens: float, *, convention: str = "6N") -> float:
        """Training FLOPs for ``n_tokens`` tokens: ``self.shape.estimate_flops`` (6·N·D, N the lab's N).

        ``convention="6N+attn"`` adds the attention scores, 6·n_layers·context·d_model per token.
        """
        return self.shape.estimate_flops(n_tokens, convention=convention)
