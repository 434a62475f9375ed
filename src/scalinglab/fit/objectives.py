"""Pure objective functions for fitting laws in log space.

Every public function here is pure: arrays in, ``(value, grad)`` out, no state. The tests run each
through :func:`scipy.optimize.check_grad`.

Residuals are on log loss, ``r = log L̂ − log L``, as in Hoffmann et al. (2022, App. D.2) and
Besiroglu et al. (2024). Per-residual penalties ``ρ(r)``:

- ``"huber"`` — ``ρ(r) = r²/2`` for ``|r| ≤ δ`` and ``δ(|r| − δ/2)`` beyond, the convention of
  :func:`scipy.special.huber`; δ = 1e-3 is the paper default. With a huge δ it equals ``r²/2``.
- ``"mse"`` — least squares, ``ρ(r) = r²`` (so ``huber`` with huge δ is exactly half of it).
- ``"asymmetric"`` — asymmetric Huber: ``ρ(r) = 2·w(r)·huber_δ(r)`` with ``w = τ`` where the law
  over-predicts (``r > 0``) and ``1 − τ`` where it under-predicts. ``τ = 0.5`` is plain Huber; ``τ > 0.5``
  pushes the fit below the points (a lower envelope, useful when runs were not all well tuned).

The Chinchilla law in the log-sum-exp form of Hoffmann et al.::

    log L̂ = LSE(a − α·log N, b − β·log D, e),    θ = (a, b, e, α, β),  A = eᵃ, B = eᵇ, E = eᵉ.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validate import check_choice, check_positive
from ..errors import ConfigError
from ..laws.chinchilla import log_loss as chinchilla_log_loss

__all__ = [
    "LOSSES",
    "penalty",
    "chinchilla_log_predict",
    "chinchilla_objective",
    "residual_objective",
]

LOSSES = ("huber", "mse", "asymmetric")


def check_loss(loss: str, delta: float, asymmetry: float) -> None:
    """Validate the loss name, δ and τ once, with messages naming the parameter."""
    check_choice("loss", loss, LOSSES)
    check_positive("delta", delta)
    tau = float(asymmetry)
    if not 0.0 < tau < 1.0:
        raise ConfigError(f"The 'asymmetry' parameter must be in (0, 1). Got {asymmetry!r}.")


def penalty(
    r: np.ndarray, loss: str = "huber", delta: float = 1e-3, asymmetry: float = 0.75
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Elementwise ``(ρ(r), ρ'(r), ω(r))`` for the named loss.

    ``ω = ρ'(r)/r`` is the iteratively-reweighted-least-squares weight: ``ρ(r) ≤ ρ(r₀) + ω(r₀)(r² − r₀²)/2``
    for Huber-type penalties, so Gauss–Newton steps on the ω-weighted squares descend (Huber 1981, §7.8).
    """
    r = np.asarray(r, dtype=float)
    if loss == "mse":
        return r * r, 2.0 * r, np.full_like(r, 2.0)
    # Arithmetic instead of np.where: this runs on every (problem, run) pair of the batched optimiser.
    psi = np.clip(r, -delta, delta)
    rho = r - 0.5 * psi
    rho *= psi  # r²/2 inside δ, δ(|r| − δ/2) outside
    omega = np.abs(r)
    np.maximum(omega, delta, out=omega)
    np.divide(delta, omega, out=omega)  # 1 inside δ, δ/|r| outside
    if loss == "asymmetric":
        w = (r > 0) * (4.0 * asymmetry - 2.0) + 2.0 * (1.0 - asymmetry)
        return w * rho, w * psi, w * omega
    return rho, psi, omega


def chinchilla_log_predict(theta: Any, log_n: np.ndarray, log_d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``log L̂`` for ``θ = (a, b, e, α, β)`` and its Jacobian ``∂ log L̂ / ∂θ`` (shape ``(n, 5)``): the law's
    own :func:`scalinglab.laws.chinchilla.log_loss` with ``jac=True``."""
    return chinchilla_log_loss(theta, log_n, log_d, jac=True)


def residual_objective(
    r: np.ndarray,
    jac: np.ndarray,
    *,
    loss: str = "huber",
    delta: float = 1e-3,
    asymmetry: float = 0.75,
    weights: np.ndarray | None = None,
) -> tuple[float, np.ndarray]:
    """``Σ wᵢ ρ(rᵢ)`` and its gradient ``Jᵀ (w ⊙ ρ'(r))`` for residuals ``r`` with Jacobian ``jac``."""
    rho, psi, _ = penalty(r, loss, delta, asymmetry)
    if weights is not None:
        rho = rho * weights
        psi = psi * weights
    return float(rho.sum()), jac.T @ psi


def chinchilla_objective(
    theta: Any,
    log_n: np.ndarray,
    log_d: np.ndarray,
    log_loss: np.ndarray,
    *,
    loss: str = "huber",
    delta: float = 1e-3,
    asymmetry: float = 0.75,
    weights: np.ndarray | None = None,
) -> tuple[float, np.ndarray]:
    """Objective of Hoffmann et al. (2022) App. D.2: ``Σ wᵢ ρ(log L̂ᵢ − log Lᵢ)`` and its analytic gradient.

    ``weights`` are per-run multiplicities (bootstrap counts); ``None`` means all ones. Hand the function
    to :func:`scipy.optimize.minimize` with ``jac=True``.
    """
    pred, jac = chinchilla_log_predict(theta, log_n, log_d)
    return residual_objective(pred - log_loss, jac, loss=loss, delta=delta, asymmetry=asymmetry,
                              weights=weights)
