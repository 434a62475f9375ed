"""Where a reference model sits relative to a law's compute-optimal frontier.

For a model with ``N`` parameters trained on ``D`` tokens, take its compute as ``C = 6·N·D`` and ask
the law for the compute-optimal split ``(N*, D*)`` of that same ``C`` (Hoffmann et al. 2022, Eq. 4
for Chinchilla-form laws). Then

* over-training factor ``= (D/N) / (D*/N*)``: > 1 means more tokens per parameter than optimal
  (smaller model, longer training); < 1 means under-trained (Gopher, GPT-3);
* loss gap ``= L(N, D) − L(N*, D*) ≥ 0``: what the choice costs in training loss at fixed compute;
* inference saving ``= 1 − N/N*``: the share of per-token serving FLOPs (``2·N``) saved against the
  compute-optimal model. This is what over-training buys (Sardana et al. 2024).

Compute is deliberately ``6·N·D`` and not the reported figure: the laws are fitted with ``C = 6ND``,
so the model and its optimum then lie on one iso-FLOP curve and the loss gap is a pure allocation
effect. Reported compute (which may count attention, restarts or differ in rounding) stays on the
model (:attr:`ReferenceModel.flops`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..flops import inference_flops
from ..laws import JointLaw, Law, get_joint_law
from ..plan.optimal import optimal_split
from .models import ReferenceModel, list_models

__all__ = ["FrontierPlacement", "place_on_frontier", "place_all"]


@dataclass(frozen=True)
class FrontierPlacement:
    """A reference model against the compute-optimal model of the same compute, under one law.

    Attributes
    ----------
    model : ReferenceModel
    law : str
        Name of the law used.
    flops : float
        ``6·N·D`` of the model, the budget shared by the model and its optimum.
    optimal_n_params, optimal_n_tokens, optimal_tokens_per_param : float
        The law's compute-optimal ``N*``, ``D*`` and ``D*/N*`` at ``flops``.
    tokens_per_param : float
        The model's ``D/N``.
    overtraining_factor : float
        ``(D/N) / (D*/N*)``.
    loss, optimal_loss, loss_gap : float
        ``L(N, D)``, ``L(N*, D*)`` and their difference (nats/token; ``>= 0`` up to rounding).
    inference_flops_per_token, optimal_inference_flops_per_token : float
        ``2·N`` and ``2·N*`` (forward pass, Kaplan et al. 2020 §2.1, attention ignored).
    inference_saving : float
        ``1 − N/N*``; positive when the model is cheaper to serve than the optimal one.
    """

    model: ReferenceModel
    law: str
    flops: float
    optimal_n_params: float
    optimal_n_tokens: float
    optimal_tokens_per_param: float
    tokens_per_param: float
    overtraining_factor: float
    loss: float
    optimal_loss: float
    loss_gap: float
    inference_flops_per_token: float
    optimal_inference_flops_per_token: float
    inference_saving: float

    def as_dict(self) -> dict[str, Any]:
        """Plain data: the model nested under ``"model"`` (its fields plus derived quantities), the
        placement's numbers at the top level."""
        out: dict[str, Any] = {"model": self.model.as_dict()}
        for name in self.__dataclass_fields__:
            if name != "model":
                out[name] = getattr(self, name)
        return out


def place_on_frontier(model: ReferenceModel, law: str | Law | None = None) -> FrontierPlacement:
    """Compare ``model`` with the compute-optimal model of the same ``6·N·D`` under ``law``.

    Parameters
    ----------
    model : ReferenceModel
        E.g. ``get_model("Chinchilla")``.
    law : str, Law or None
        A catalog name, a saved-law ``.json`` path, a law, or ``None`` for the default
        (``epoch2024``). It must be a law of both N and D.

    Returns
    -------
    FrontierPlacement

    Raises
    ------
    ConfigError
        When ``law`` is unknown or is a one-variable law.
    """
    joint = get_joint_law(law)
    return _place(model, joint)


def place_all(law: str | Law | None = None) -> list[FrontierPlacement]:
    """:func:`place_on_frontier` for every reference model, in catalog order."""
    joint = get_joint_law(law)
    return [_place(m, joint) for m in list_models()]


def _place(model: ReferenceModel, law: JointLaw) -> FrontierPlacement:
    n, d = model.n_params, model.n_tokens
    flops = model.flops_6nd
    n_opt, d_opt = optimal_split(law, flops)
    loss = float(law.loss(n, d))
    optimal_loss = float(law.loss(n_opt, d_opt))
    opt_tpp = d_opt / n_opt
    return FrontierPlacement(
        model=model,
        law=law.name,
        flops=flops,
        optimal_n_params=n_opt,
        optimal_n_tokens=d_opt,
        optimal_tokens_per_param=opt_tpp,
        tokens_per_param=model.tokens_per_param,
        overtraining_factor=model.tokens_per_param / opt_tpp,
        loss=loss,
        optimal_loss=optimal_loss,
        loss_gap=loss - optimal_loss,
        inference_flops_per_token=float(inference_flops(n, 1.0)),
        optimal_inference_flops_per_token=float(inference_flops(n_opt, 1.0)),
        inference_saving=1.0 - n / n_opt,
    )
