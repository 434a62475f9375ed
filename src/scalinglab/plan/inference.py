"""Inference-aware plans: Sardana et al. (2024), "Beyond Chinchilla-Optimal" (arXiv:2401.00448).

A model that will serve ``T`` tokens in its lifetime costs ``6·N·D`` FLOPs to train and ``2·N·T`` to
serve. At a fixed quality ``L(N, D) = ℓ`` the total ``6·N·D(N) + 2·N·T`` is minimised over N, where
``D(N)`` is the data that brings a model of size N to ℓ (the iso-loss curve). As T → 0 the answer is
the compute-optimal model; as T grows it moves to smaller models trained on more tokens.

The stationary condition gives the demand that makes a given ``(N, D)`` optimal::

    T = 3·D·(ε − 1),   ε = −d ln D / d ln N  along the iso-loss curve

(ε = 1 at the compute-optimal point), used by :func:`implied_inference_tokens`.
With ``objective="usd"`` training and inference FLOPs are weighted by 1/MFU of each phase.

Sardana et al. hold the loss. A budget can be held instead (``hold="compute"``): the dual problem,
minimise ``L(N, D)`` subject to ``6·N·D + 2·N·T = C``, i.e. ``D = C/(6N) − T/3``. Its answer lies on the
same frontier (it is the loss-held optimum for the loss it reaches) and gives up some loss against the
compute-optimal model of ``C``, which ignores inference. Holding training compute alone at C has no
inference-aware answer: the least loss for training compute C is the compute-optimal model whatever T is.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from .._validate import check_choice, check_fraction, check_positive
from ..errors import ConfigError, PlanError
from ..flops import inference_flops, training_flops
from ..laws.base import JointLaw
from ..laws.registry import get_joint_law
from ._numeric import argmin_log
from ._types import Plan
from .optimal import (LawSpec, _check_target, optimal_flops_for_loss, optimal_split, resolve_plan_law,
                      with_intervals)

__all__ = ["tokens_for_loss", "plan_inference", "inference_sweep", "implied_inference_tokens", "HOLDS", "SWEEP_TOKENS"]

#: what an inference plan holds fixed: the loss (Sardana et al.) or the training + inference compute
HOLDS = ("loss", "compute")
#: the lifetime demands of the sweep that `plan --json` (and the planner page) shows beside an inference plan
SWEEP_TOKENS = (0.0, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15)

_LOG_D_MAX = np.log(1e40)


def tokens_for_loss(law: JointLaw, n_params: Any, target_loss: float) -> np.ndarray:
    """Tokens ``D`` with ``L(N, D) = target_loss`` for each N: the law's closed form where it has one
    (``law.tokens_for_loss``, Chinchilla's Eq. 2 solved for D), else a vectorised bisection in log D.

    NaN where a model of size N cannot reach the target with any amount of data.
    """
    closed = getattr(law, "tokens_for_loss", None)
    if closed is not None:
        return np.asarray(closed(n_params, target_loss), dtype=float)
    n = np.asarray(n_params, dtype=float)
    lo = np.zeros_like(n)
    hi = np.full_like(n, _LOG_D_MAX)
    with np.errstate(all="ignore"):
        reachable = np.asarray(law.loss(n, np.exp(hi))) < target_loss
        for _ in range(80):  # 40 nats of range / 2^80: far below float resolution
            mid = 0.5 * (lo + hi)
            above = np.asarray(law.loss(n, np.exp(mid))) > target_loss
            lo = np.where(above, mid, lo)
            hi = np.where(above, hi, mid)
    return np.where(reachable, np.exp(0.5 * (lo + hi)), np.nan)


def _total(n: Any, d: Any, inference_tokens: float, w_train: float, w_inf: float) -> Any:
    # unchecked: d is NaN where a model of size n cannot reach the loss
    return (w_train * training_flops(n, d, check_input=False)
            + w_inf * inference_flops(n, inference_tokens, check_input=False))


def plan_inference(
    inference_tokens: float,
    *,
    target_loss: float | None = None,
    flops: float | None = None,
    hold: str = "loss",
    law: LawSpec = None,
    objective: str = "flops",
    train_mfu: float = 0.4,
    inference_mfu: float | None = None,
    allow_unidentified: bool = False,
) -> Plan:
    """The best model for a lifetime inference demand, holding either its loss or its compute budget.

    Parameters
    ----------
    inference_tokens
        Lifetime tokens served, T (prompt + generated); ``0`` gives the compute-optimal plan.
    target_loss, flops
        ``hold="loss"``: the quality ℓ, given directly or as the loss of the compute-optimal model at
        ``flops``. ``hold="compute"``: ``flops`` is the budget C of training plus inference.
    hold
        ``"loss"`` (default; Sardana et al. 2024): minimise ``6·N·D + 2·N·T`` subject to ``L(N, D) = ℓ``;
        with ``flops`` the training compute rises above it (``reference["flops_added"]``).
        ``"compute"``: minimise ``L(N, D)`` subject to ``6·N·D + 2·N·T = C``; the loss rises above the
        compute-optimal model's at C (``reference["loss_given_up"]``).
    objective
        ``"flops"``: count FLOPs. ``"usd"``: count GPU time, weighting each phase by ``1/MFU``
        (``train_mfu``, ``inference_mfu``; decoding usually runs at lower utilisation); with
        ``hold="compute"`` the held GPU time is that of training ``flops`` at ``train_mfu``.
    """
    inference_tokens = check_positive("inference_tokens", inference_tokens, allow_zero=True)
    check_choice("objective", objective, ("flops", "usd"))
    check_choice("hold", hold, HOLDS)
    law, fitted, stamp = resolve_plan_law(law, allow_unidentified=allow_unidentified)
    if (target_loss is None) == (flops is None):
        raise ConfigError(
            "The inference plan needs exactly one of 'target_loss' or 'flops' (the budget of the "
            f"compute-optimal reference). Got target_loss={target_loss}, flops={flops}."
        )
    if hold == "compute" and flops is None:
        raise ConfigError("The 'hold' parameter 'compute' holds a compute budget and needs 'flops'; a target loss "
                          f"is held with hold='loss'. Got hold='compute' with target_loss={target_loss}.")
    w_train, w_inf = 1.0, 1.0
    if objective == "usd":
        train_mfu = check_fraction("train_mfu", train_mfu)
        inference_mfu = check_fraction("inference_mfu", inference_mfu if inference_mfu is not None else train_mfu)
        w_train, w_inf = 1.0 / train_mfu, 1.0 / inference_mfu
    if hold == "compute":
        budget = check_positive("flops", flops)

        def solve(lw: JointLaw) -> Plan:
            return _compute_held(lw, budget, inference_tokens, w_inf / w_train)
    else:
        if flops is not None:
            flops = check_positive("flops", flops)
            target = float(law.loss(*optimal_split(law, flops)))
        else:
            target = check_positive("target_loss", target_loss)

        def solve(lw: JointLaw) -> Plan:
            return _loss_held(lw, target, inference_tokens, w_train, w_inf)

    plan = with_intervals(solve(law), fitted, solve, allow_unidentified=allow_unidentified, stamp=stamp)
    if objective == "usd":
        plan = plan.with_notes(f"Objective: GPU time with MFU {train_mfu:g} (training) and "
                               f"{inference_mfu:g} (inference).")
    return plan


def _loss_held(lw: JointLaw, target: float, inference_tokens: float, w_train: float, w_inf: float) -> Plan:
    """Sardana et al.: the least (weighted) training + inference compute at loss ``target``."""
    _check_target(lw, target)
    c_ref = optimal_flops_for_loss(lw, target)
    n_ref, d_ref = optimal_split(lw, c_ref)

    def cost(log_n: np.ndarray) -> np.ndarray:
        n = np.exp(log_n)
        return _total(n, tokens_for_loss(lw, n, target), inference_tokens, w_train, w_inf)

    # the optimum lies between the smallest model that can reach ℓ and the compute-optimal one
    log_n = argmin_log(cost, np.log(n_ref) - 25.0, np.log(n_ref) + 0.5)
    n = float(np.exp(log_n))
    d = float(tokens_for_loss(lw, n, target))
    if not np.isfinite(d):
        raise PlanError(f"No model reaches loss {target:g} under law {lw.name!r}.")
    train, serve = float(training_flops(n, d)), float(inference_flops(n, inference_tokens))
    ref_train = float(training_flops(n_ref, d_ref))
    ref_serve = float(inference_flops(n_ref, inference_tokens))
    total, ref_total = train + serve, ref_train + ref_serve
    reference = {
        "what": "compute-optimal model of the same loss",
        "n_params": n_ref, "n_tokens": d_ref, "tokens_per_param": d_ref / n_ref,
        "flops": ref_train, "inference_flops": ref_serve,
        "total_flops": ref_total,
        "flops_saved": ref_total - total, "fraction_saved": 1.0 - total / ref_total,
        "flops_added": train - ref_train, "fraction_flops_added": train / ref_train - 1.0,
    }
    return Plan(question="inference", law=lw.name, n_params=n, n_tokens=d, flops=train,
                loss=float(lw.loss(n, d)), inference_tokens=inference_tokens,
                inference_flops=serve, total_flops=total, reference=reference, hold="loss")


def _compute_held(lw: JointLaw, budget: float, inference_tokens: float, ratio: float) -> Plan:
    """The least loss with ``6·N·D + ratio·2·N·T = budget`` (``ratio`` = w_inf / w_train: 1 for FLOPs, the
    training over the inference MFU for GPU time), i.e. ``D = budget/(6N) − ratio·T/3``."""
    n_opt, d_opt = optimal_split(lw, budget)
    t_eff = ratio * inference_tokens
    if t_eff == 0:
        n, d = n_opt, d_opt
    else:
        # inference pushes the optimum below N*(C); no model serves T within the budget above C/(2·T_eff)
        hi = min(np.log(n_opt) + 0.5, np.log(budget / (2.0 * t_eff)))

        def loss(log_n: np.ndarray) -> np.ndarray:
            n = np.exp(log_n)
            d = (budget - 2.0 * n * t_eff) / (6.0 * n)
            return np.where(d > 0, lw.loss(n, np.where(d > 0, d, 1.0)), np.inf)

        n = float(np.exp(argmin_log(loss, hi - 25.0, hi)))
        d = (budget - 2.0 * n * t_eff) / (6.0 * n)
    if not (np.isfinite(n) and np.isfinite(d) and n > 0 and d > 0):
        raise PlanError(f"No model serves {inference_tokens:g} tokens within {budget:g} FLOPs under law {lw.name!r}.")
    train, serve = float(training_flops(n, d)), float(inference_flops(n, inference_tokens))
    loss_opt = float(lw.loss(n_opt, d_opt))
    loss_n = float(lw.loss(n, d))
    reference = {
        "what": "compute-optimal model of the same budget, ignoring inference",
        "n_params": n_opt, "n_tokens": d_opt, "tokens_per_param": d_opt / n_opt, "flops": budget,
        "loss": loss_opt, "inference_flops": float(inference_flops(n_opt, inference_tokens)),
        "total_flops": budget + float(inference_flops(n_opt, inference_tokens)),
        "loss_given_up": loss_n - loss_opt,
    }
    return Plan(question="inference", law=lw.name, n_params=n, n_tokens=d, flops=train, loss=loss_n,
                inference_tokens=inference_tokens, inference_flops=serve, total_flops=train + serve,
                reference=reference, hold="compute")


def inference_sweep(
    inference_tokens: list[float], *, target_loss: float | None = None, flops: float | None = None,
    hold: str = "loss", law: LawSpec = None, objective: str = "flops", train_mfu: float = 0.4,
    inference_mfu: float | None = None, allow_unidentified: bool = False,
) -> list[Plan]:
    """How the optimum moves past ~20 tokens/param as lifetime demand grows: one :func:`plan_inference` per T
    with the same quality or budget, ``hold`` and objective (point law, no intervals)."""
    point, _, stamp = resolve_plan_law(law, allow_unidentified=allow_unidentified)
    return [replace(plan_inference(t, target_loss=target_loss, flops=flops, hold=hold, law=point,
                                   objective=objective, train_mfu=train_mfu,
                                   inference_mfu=inference_mfu).with_notes(*stamp),
                    stamp="NOT IDENTIFIED" if stamp else "") for t in inference_tokens]


def implied_inference_tokens(n_params: float, n_tokens: float, *, law: LawSpec = None) -> float | None:
    """The lifetime inference demand T for which ``(n_params, n_tokens)`` is the optimal recipe.

    ``None`` when the model is trained on fewer tokens than compute-optimal (no demand justifies it).
    """
    law = get_joint_law(law)
    n_params = check_positive("n_params", n_params)
    n_tokens = check_positive("n_tokens", n_tokens)
    target = float(law.loss(n_params, n_tokens))
    h = 1e-4
    d_lo, d_hi = tokens_for_loss(law, n_params * np.exp(np.array([-h, h])), target)
    eps = -(np.log(d_hi) - np.log(d_lo)) / (2 * h)
    t = 3.0 * n_tokens * (eps - 1.0)
    return float(t) if np.isfinite(t) and t > 0 else None
