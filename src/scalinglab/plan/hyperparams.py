"""Attach the learning rate and batch size to a plan: :func:`with_hyperparams`.

A rule (:mod:`scalinglab.laws.hyperparams`) reads N, D or C as its authors counted them, so the plan's numbers
are converted first, through the plausible architecture of the plan's size that :func:`with_hardware` also uses
(:meth:`~scalinglab.flops.Architecture.from_n_params`):

- N, for a rule of non-embedding parameters (Step Law): the plan's N less that architecture's embedding and
  head parameters (its vocabulary of 50,304, tied), unless they would be over half of it (a tiny model): then the
  plan's N as it is, and the inputs line says so;
- C, for a rule in DeepSeek's compute: ``M·D`` with ``M = 72·n_layer·d_model² + 12·n_layer·d_model·context``
  (:func:`~scalinglab.flops.flops_per_token`); for a rule in 6·N·D, the plan's own compute.

The intervals are the rule's band at those inputs; the plan's own uncertainty in N and D is not carried into them.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from .._intervals import DEFAULT_LEVEL
from ..errors import ConfigError
from ..flops import Architecture, flops_per_token
from ..laws._hparam_io import resolve_hp_rule
from ..laws.hyperparams import DEFAULT_HP_RULE, HyperparamRule
from ._types import Plan

__all__ = ["with_hyperparams", "rule_inputs"]

#: largest share of the plan's N that the embeddings of its architecture may be for N to be split (else N is used)
_MAX_EMBEDDING_SHARE = 0.5


def _context(context: Any, rule: HyperparamRule) -> int | None:
    if context is None:
        return rule.context
    if isinstance(context, bool) or not isinstance(context, int) or context < 1:
        raise ConfigError(f"The 'context' parameter must be a whole number of tokens >= 1. Got {context!r}.")
    return context


def rule_inputs(plan: Plan, rule: HyperparamRule, context: int | None) -> tuple[dict[str, float], str]:
    """The inputs ``rule`` reads for ``plan``, counted as the rule counts them, and a line saying how."""
    arch = Architecture.from_n_params(plan.n_params, context=context or 2048)
    shape = f"{arch.n_layers} layers × d_model {arch.d_model}, vocabulary {arch.vocab_size:,}"
    inputs: dict[str, float] = {}
    said = []
    if "n_params" in rule.variables:
        if rule.n_params_count == "non_embedding":
            pc = arch.param_counts()
            emb = pc.embedding + pc.head
            if emb <= _MAX_EMBEDDING_SHARE * plan.n_params:
                inputs["n_params"] = plan.n_params - emb
                said.append(f"N = {inputs['n_params']:.4g} non-embedding (the plan's {plan.n_params:.4g} less "
                            f"{emb:.3g} embedding parameters of {shape})")
            else:  # a model this small is mostly embeddings at that vocabulary: no split to trust
                inputs["n_params"] = plan.n_params
                said.append(f"N = {plan.n_params:.4g}, all the plan's parameters: a vocabulary of "
                            f"{arch.vocab_size:,} would make {emb:.3g} of them embeddings, so none are taken off")
        else:
            inputs["n_params"] = plan.n_params
            said.append(f"N = {plan.n_params:.4g} (all parameters)")
    if "n_tokens" in rule.variables:
        inputs["n_tokens"] = plan.n_tokens
        said.append(f"D = {plan.n_tokens:.4g} tokens")
    if "flops" in rule.variables:
        if rule.flops_convention == "6N":
            inputs["flops"] = plan.flops
            said.append(f"C = 6·N·D = {plan.flops:.4g}")
        else:
            per_token = float(flops_per_token(arch, convention=rule.flops_convention))
            inputs["flops"] = per_token * plan.n_tokens
            said.append(f"C = M·D = {inputs['flops']:.4g} with M = {per_token:.4g} FLOPs/token "
                        f"({rule.flops_convention} convention; {shape}, context {arch.context:,})")
    return inputs, "; ".join(said)


def with_hyperparams(plan: Plan, rule: str | Path | HyperparamRule = DEFAULT_HP_RULE, *, context: int | None = None,
                     level: float = DEFAULT_LEVEL) -> Plan:
    """The plan with the learning rate and batch size ``rule`` recommends (``plan.hyperparams``).

    ``context`` (tokens per sequence) counts the batch in sequences and enters DeepSeek's M; default the
    rule's own (2,048 for Step Law, 4,096 for DeepSeek LLM). A rule without one and no ``context`` gives the batch
    in tokens only.
    """
    r = resolve_hp_rule(rule)
    ctx = _context(context, r)
    inputs, how = rule_inputs(plan, r, ctx)
    p = r.predict(level=level, **inputs)
    out: dict[str, Any] = {
        "rule": r.name, "citation": str(r.citation), "learning_rate": p.lr, "learning_rate_interval": p.lr_interval,
        "batch_tokens": p.batch_tokens, "batch_tokens_interval": p.batch_interval, "context": ctx,
        "batch_sequences": None if ctx is None else p.batch_tokens / ctx,
        "batch_sequences_interval": None if ctx is None or p.batch_interval is None else
        tuple(b / ctx for b in p.batch_interval),
        "level": p.level, "band": p.band, "inputs": p.inputs, "inputs_note": how, "outside": list(p.outside),
    }
    return replace(plan, hyperparams=out)
