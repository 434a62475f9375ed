"""The lab's GPT: parameter counts (the lab's N) agree with the shape and scalinglab.flops, causality, initial
loss, FLOP estimates."""

from __future__ import annotations

import importlib
import math
import sys

import pytest

torch = pytest.importorskip("torch", reason="the lab's model tests need PyTorch: pip install 'scalinglab[lab]'")

from scalinglab.errors import ConfigError  # noqa: E402
from scalinglab.flops import Architecture, flops_per_token  # noqa: E402
from scalinglab.lab.config import ModelShape  # noqa: E402
from scalinglab.lab.model import GPT  # noqa: E402

SHAPES = [
    ModelShape(n_layers=1, d_model=16, n_heads=2, context=32),
    ModelShape(n_layers=2, d_model=32, n_heads=4, context=64, tied_embeddings=False),
    ModelShape(n_layers=3, d_model=48, n_heads=3, context=128, vocab_size=300),
]


def _shape_id(s: ModelShape) -> str:
    return f"L{s.n_layers}d{s.d_model}tied{s.tied_embeddings}"


@pytest.mark.parametrize("shape", SHAPES, ids=_shape_id)
def test_gpt_num_scaling_params_equals_flops_architecture(shape):
    model = GPT(shape)
    arch = Architecture(n_layers=shape.n_layers, d_model=shape.d_model, n_heads=shape.n_heads,
                        vocab_size=shape.vocab_size, context=shape.context,
                        tied_embeddings=shape.tied_embeddings, learned_positions=True)
    counts = model.num_scaling_params()
    assert counts == shape.param_counts()
    assert {k: counts[k] for k in arch.param_counts().as_dict()} == arch.param_counts().as_dict()
    assert counts["total"] == sum(p.numel() for p in model.parameters())
    assert model.architecture == arch == shape.architecture


@pytest.mark.parametrize("shape", [*SHAPES, ModelShape(n_layers=2, d_model=32, n_heads=4)], ids=_shape_id)
def test_gpt_scaling_n_is_every_tensor_but_the_input_tables(shape):
    # The lab's N counted straight from the module: every weight the forward pass multiplies by, the logit
    # matrix once whether or not it is tied, and not the token/position lookups.
    model = GPT(shape)
    named = dict(model.named_parameters(remove_duplicate=False))  # a tied head appears as lm_head.weight too
    n = sum(p.numel() for name, p in named.items() if name not in ("wte.weight", "wpe.weight"))
    assert n == model.num_scaling_params()["scaling"] == shape.scaling_params()
    assert n == model.num_scaling_params()["non_embedding"] + shape.vocab_size * shape.d_model


def test_gpt_is_causal():
    torch.manual_seed(0)
    model = GPT(SHAPES[1]).eval()
    idx = torch.randint(0, 256, (2, 40))
    changed = idx.clone()
    changed[:, 25:] = (changed[:, 25:] + 17) % 256  # change the future
    with torch.no_grad():
        a, _ = model(idx)
        b, _ = model(changed)
    assert torch.equal(a[:, :25], b[:, :25])
    assert not torch.allclose(a[:, 25:], b[:, 25:])


def test_gpt_initial_loss_is_near_ln_vocab():
    torch.manual_seed(0)
    model = GPT(ModelShape(n_layers=2, d_model=32, n_heads=4, context=64))
    idx = torch.randint(0, 256, (8, 64))
    _, loss = model(idx, torch.roll(idx, -1, dims=1))
    assert loss.item() == pytest.approx(math.log(256), abs=0.05)  # GPT-2 init: near-uniform predictions


def test_gpt_residual_projections_are_scaled_at_init():
    torch.manual_seed(0)
    model = GPT(ModelShape(n_layers=8, d_model=64, n_heads=4))
    std_fc = model.blocks[0].mlp.fc.weight.std().item()
    std_proj = model.blocks[0].mlp.proj.weight.std().item()
    assert std_fc == pytest.approx(0.02, rel=0.05)
    assert std_proj == pytest.approx(0.02 / math.sqrt(16), rel=0.05)


def test_gpt_tied_head_shares_the_embedding():
    tied, untied = GPT(SHAPES[0]), GPT(SHAPES[1])
    assert tied.lm_head.weight is tied.wte.weight
    assert untied.lm_head.weight is not untied.wte.weight


def test_gpt_estimate_flops_is_6nd_with_the_lab_n():
    shape = SHAPES[2]
    model = GPT(shape)
    n = model.num_scaling_params()["scaling"]
    assert model.estimate_flops(1e6) == shape.estimate_flops(1e6) == pytest.approx(6 * n * 1e6)
    attn = model.estimate_flops(1e6, convention="6N+attn")
    assert attn - 6 * n * 1e6 == pytest.approx(6 * 3 * 128 * 48 * 1e6)  # the attention-score term only
    # scalinglab.flops' "6N+attn" uses Kaplan's N: the lab's adds the output projection, 6·V·d per token
    kaplan = flops_per_token(model.architecture, convention="6N+attn") * 1e6
    assert attn - kaplan == pytest.approx(6 * 300 * 48 * 1e6)
    with pytest.raises(ConfigError, match="'convention' parameter"):
        model.estimate_flops(1e6, convention="deepseek")


def test_gpt_rejects_sequences_longer_than_context():
    model = GPT(SHAPES[0])
    with pytest.raises(ValueError, match="exceeds the model's context 32"):
        model(torch.zeros(1, 33, dtype=torch.long))


def test_torch_guard_raises_one_line_config_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # makes `import torch` fail
    monkeypatch.delitem(sys.modules, "scalinglab.lab._torch")
    with pytest.raises(ConfigError, match=r"^The lab needs PyTorch: pip install 'scalinglab\[lab\]'\.$"):
        importlib.import_module("scalinglab.lab._torch")
