"""Hyperparameter rules: the learning rate and batch size to train a model of ``N`` parameters on ``D`` tokens.

A rule is two power laws, fitted on the optima of learning-rate × batch-size sweeps::

    η*(x) = exp(a) · Π_v x_v^(α_v),     B*(x) = exp(b) · Π_v x_v^(β_v)     (B* in tokens per step)

over some of the variables ``n_params`` (N), ``n_tokens`` (D) and ``flops`` (C). The catalog holds:

- **Step Law** (Li et al. 2025, arXiv:2503.04715): ``η* = 1.79·N^−0.713·D^0.307``, ``B* = 0.58·D^0.571``, N the
  non-embedding parameters. The coefficients are the means of the authors' 1,000 bootstrap fits
  (``data/1004_fitted_lr_bs_scaling_model_parameters.csv`` of github.com/step-law/steplaw), exactly what their
  tool ``code/fit_tool.py pred-opt-lr-bs`` applies: at N = 7e9, D = 1.4e12 it prints η = 9.347e-4 and
  B = 4,996,961 tokens. The band is theirs too: the covariance of those 1,000 fits (the file itself has no
  licence, so only its mean and covariance are kept here), which puts the 90% interval within 1.5% of the
  file's own 5th and 95th percentiles.
- **DeepSeek LLM** (Bi et al. 2024, arXiv:2401.02954, §3.1): ``η* = 0.3118·C^−0.1250``, ``B* = 0.2920·C^0.3271``,
  C = M·D with M the non-embedding FLOPs per token (:func:`scalinglab.flops.flops_per_token`,
  ``convention="deepseek"``). Transcribed from secondary sources; no band was published.

A fitted rule (:func:`scalinglab.fit.hparams.fit_hparams`) carries its bootstrap refits, whose central
quantiles are its band. Computing never prints; rule files are read and written by :mod:`._hparam_io`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats

from .._intervals import DEFAULT_LEVEL, central_interval, check_level
from ..errors import ConfigError
from ..flops import CONVENTIONS, COUNTS
from .base import Citation

__all__ = ["VARIABLES", "SYMBOLS", "PowerRule", "HyperparamRule", "HyperparamPrediction", "STEP_LAW", "DEEPSEEK_LLM",
           "HP_RULES", "DEFAULT_HP_RULE", "get_hp_rule", "HP_RULE_SCOPE"]

#: the variables a rule may read, and how a formula writes them
VARIABLES = ("n_params", "n_tokens", "flops")
SYMBOLS = {"n_params": "N", "n_tokens": "D", "flops": "C"}
#: what a hyperparameter rule predicts, said wherever it is listed beside the laws of the loss
HP_RULE_SCOPE = ("the learning rate and batch size (tokens per step) to train with, not a loss: `scalinglab plan "
                 "--hp-rule NAME` prints them beside a plan, and `scalinglab fit-hparams` fits one to a sweep")


@dataclass(frozen=True)
class PowerRule:
    """``y = exp(log_coef) · Π x_v^(exponent_v)``, the variables in the order given."""

    log_coef: float
    exponents: tuple[tuple[str, float], ...]

    def __post_init__(self) -> None:
        names = [v for v, _ in self.exponents]
        if not names or len(set(names)) != len(names) or not set(names) <= set(VARIABLES):
            raise ConfigError(f"A rule's variables must be distinct names from {', '.join(VARIABLES)}. Got {names}.")

    @property
    def variables(self) -> tuple[str, ...]:
        return tuple(v for v, _ in self.exponents)

    @property
    def coefficient(self) -> float:
        return math.exp(self.log_coef)

    def theta(self) -> np.ndarray:
        """``(log_coef, exponents…)``: the order of a bootstrap row's block."""
        return np.array([self.log_coef, *(e for _, e in self.exponents)])

    def design(self, inputs: dict[str, Any]) -> np.ndarray:
        """``(1, log x_v…)`` for each input point: the row that, times :meth:`theta`, is ``log y``."""
        logs = [np.log(np.asarray(inputs[v], dtype=float)) for v in self.variables]
        logs = np.broadcast_arrays(*logs)
        return np.stack([np.ones_like(logs[0]), *logs], axis=-1)

    def formula(self, symbol: str) -> str:
        terms = "·".join(f"{SYMBOLS[v]}^{e:.4g}" for v, e in self.exponents)
        return f"{symbol} = {self.coefficient:.4g}·{terms}"


@dataclass(frozen=True)
class HyperparamPrediction:
    """A rule's learning rate and batch size at one point, each with its central interval (None: no band)."""

    rule: str
    lr: float
    batch_tokens: float
    lr_interval: tuple[float, float] | None
    batch_interval: tuple[float, float] | None
    level: float
    band: str  # where the interval comes from
    inputs: dict[str, float]
    outside: tuple[str, ...] = ()  # inputs beyond the data the rule was fitted on

    def batch_sequences(self, context: int) -> float:
        return self.batch_tokens / context

    def as_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "learning_rate": self.lr, "batch_tokens": self.batch_tokens,
                "learning_rate_interval": self.lr_interval, "batch_tokens_interval": self.batch_interval,
                "level": self.level, "band": self.band, "inputs": dict(self.inputs), "outside": list(self.outside)}


@dataclass(frozen=True)
class HyperparamRule:
    """A learning-rate law and a batch-size law (tokens per step), with their citation and band.

    ``samples``: bootstrap refits, one row per refit, ``(lr.theta, batch.theta)`` side by side; their central
    quantiles are the band. Without them, ``cov`` (the same coefficients' covariance) gives a normal band in
    ``log η`` and ``log B``, which are linear in the coefficients. Neither: no band. ``domain`` holds the range
    of each variable in the data behind the rule; a prediction outside it says so.
    """

    name: str
    lr: PowerRule
    batch: PowerRule
    citation: Citation
    notes: str = ""
    context: int | None = None  # sequence length of the runs behind the rule (tokens)
    n_params_count: str = "non_embedding"  # what N counts (scalinglab.flops.COUNTS)
    flops_convention: str = "6N"  # how C is counted: C = flops_per_token(convention)·D (scalinglab.flops)
    samples: np.ndarray | None = field(default=None, repr=False)
    cov: np.ndarray | None = field(default=None, repr=False)
    domain: dict[str, tuple[float, float]] = field(default_factory=dict)
    band_source: str = ""
    provenance: dict[str, Any] = field(default_factory=dict, repr=False)
    summary: dict[str, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if self.n_params_count not in COUNTS or self.flops_convention not in CONVENTIONS:
            raise ConfigError(f"The rule {self.name!r} must count N as one of {', '.join(COUNTS)} and C by one of "
                              f"{', '.join(CONVENTIONS)}. Got {self.n_params_count!r}, {self.flops_convention!r}.")
        k = len(self.lr.exponents) + len(self.batch.exponents) + 2
        for what, arr, square in (("samples", self.samples, False), ("cov", self.cov, True)):
            if arr is not None and (arr.ndim != 2 or arr.shape[1] != k or (square and arr.shape[0] != k)):
                raise ConfigError(f"The rule {self.name!r} must have {what} with {k} columns (one per coefficient). "
                                  f"Got shape {arr.shape}.")

    @property
    def variables(self) -> tuple[str, ...]:
        return tuple(v for v in VARIABLES if v in self.lr.variables or v in self.batch.variables)

    def coefficient_names(self) -> list[str]:
        return [f"{law}.{n}" for law, rule in (("lr", self.lr), ("batch", self.batch))
                for n in ("log_coef", *rule.variables)]

    def coefficients(self) -> dict[str, float]:
        return dict(zip(self.coefficient_names(), map(float, np.concatenate([self.lr.theta(), self.batch.theta()]))))

    def meaning(self, variable: str) -> str:
        """What the rule's ``variable`` counts, in words."""
        if variable == "n_params":
            return "non-embedding parameters" if self.n_params_count == "non_embedding" else "all parameters"
        if variable == "n_tokens":
            return "training tokens"
        return {"6N": "training FLOPs, 6·N·D", "6N+attn": "training FLOPs, (6·N + attention)·D",
                "deepseek": "non-embedding training FLOPs M·D (DeepSeek's M per token)"}[self.flops_convention]

    @property
    def formula(self) -> str:
        return f"{self.lr.formula('η')};  {self.batch.formula('B')} tokens"

    def describe(self) -> dict[str, Any]:
        """Everything ``scalinglab laws show`` prints, as plain data (``kind`` tells it from a law of the loss)."""
        return {"name": self.name, "kind": "hyperparameter rule", "family": "hyperparameter rule",
                "formula": self.formula, "scope": HP_RULE_SCOPE, "coefficients": self.coefficients(),
                "variables": {v: self.meaning(v) for v in self.variables},
                "context": self.context, "band": self.band_source or "none", "domain": {
                    k: list(v) for k, v in self.domain.items()}, "citation": str(self.citation), "notes": self.notes}

    def predict(self, *, n_params: float | None = None, n_tokens: float | None = None, flops: float | None = None,
                level: float = DEFAULT_LEVEL) -> HyperparamPrediction:
        """η* and B* (tokens) at one point, given the variables the rule reads (others are refused)."""
        level = check_level(level)
        given = {k: v for k, v in (("n_params", n_params), ("n_tokens", n_tokens), ("flops", flops)) if v is not None}
        inputs = {}
        for v in self.variables:
            if v not in given:
                raise ConfigError(f"The {v!r} parameter must be given: rule {self.name!r} reads "
                                  f"{', '.join(self.variables)}. Got none.")
            x = given[v]
            if isinstance(x, bool) or not isinstance(x, (int, float, np.integer, np.floating)) \
                    or not math.isfinite(float(x)) or float(x) <= 0:
                raise ConfigError(f"The {v!r} parameter must be a finite number > 0. Got {x!r}.")
            inputs[v] = float(x)
        unused = [k for k in given if k not in inputs]
        if unused:
            raise ConfigError(f"The {unused[0]!r} parameter has no use in rule {self.name!r}, which reads "
                              f"{', '.join(self.variables)}. Got {given[unused[0]]!r}.")
        g_lr, g_b = self.lr.design(inputs), self.batch.design(inputs)
        lr, batch = float(np.exp(g_lr @ self.lr.theta())), float(np.exp(g_b @ self.batch.theta()))
        lr_iv, b_iv = self._intervals(g_lr, g_b, level)
        outside = tuple(f"{SYMBOLS[v]} = {x:.3g} is outside the rule's data ({self.domain[v][0]:.3g} to "
                        f"{self.domain[v][1]:.3g})" for v, x in inputs.items()
                        if v in self.domain and not self.domain[v][0] <= x <= self.domain[v][1])
        return HyperparamPrediction(self.name, lr, batch, lr_iv, b_iv, level, self.band_source or "none", inputs,
                                    outside)

    def _intervals(self, g_lr: np.ndarray, g_b: np.ndarray, level: float):
        k = g_lr.shape[-1]
        if self.samples is not None and len(self.samples):
            lo_hi = [central_interval(np.exp(self.samples[:, sl] @ g), level)
                     for sl, g in ((slice(0, k), g_lr), (slice(k, None), g_b))]
            return lo_hi[0], lo_hi[1]
        if self.cov is not None:
            z = float(stats.norm.ppf(0.5 + level / 2))
            out = []
            for sl, g, theta in ((slice(0, k), g_lr, self.lr.theta()), (slice(k, None), g_b, self.batch.theta())):
                mean, sd = float(g @ theta), math.sqrt(float(g @ self.cov[sl, sl] @ g))
                out.append((math.exp(mean - z * sd), math.exp(mean + z * sd)))
            return out[0], out[1]
        return None, None


LI_2025 = Citation("Li, Zheng, Hu, Wang, Zhang, Wang, Xu, Zhou, Zhang, Jiang", 2025,
                   "Predictable Scale: Part I -- Optimal Hyperparameter Scaling Law in Large Language Model "
                   "Pretraining", "2503.04715",
                   "column means of data/1004_fitted_lr_bs_scaling_model_parameters.csv, as code/fit_tool.py "
                   "pred-opt-lr-bs applies them (github.com/step-law/steplaw at 32a8f4c)")
BI_2024 = Citation("Bi, Chen, Chen, Chen, Dai, Deng, Ding, Dong, et al. (DeepSeek-AI)", 2024,
                   "DeepSeek LLM: Scaling Open-Source Language Models with Longtermism", "2401.02954",
                   "§3.1, Eq. 1, as transcribed by two secondary sources; the primary PDF was not read")

#: means and covariance of the 1,000 bootstrap fits in the Step Law file (lr_intercept, lr_coefN, lr_coefD,
#: bs_intercept, bs_coefD), computed by us from the file; tests/laws/test_hyperparam_rules.py recomputes them
_STEP_MEAN = (0.5863077907399264, -0.7129222911869909, 0.30749095041206964, -0.543542173610334, 0.5709443646895052)
_STEP_COV = np.array([
    [3.8906211148774500e-01, -1.3558938970776155e-02, -5.1324935320937477e-03, 3.8385774510573831e-02,
     -1.6940710401669235e-03],
    [-1.3558938970776155e-02, 8.9148573724644924e-04, -1.7433178852566716e-04, 1.8841050407076564e-04,
     -7.4167200245571193e-06],
    [-5.1324935320937477e-03, -1.7433178852566716e-04, 3.6631184290429863e-04, -1.8404545998699762e-03,
     8.0589607263520025e-05],
    [3.8385774510573831e-02, 1.8841050407076564e-04, -1.8404545998699762e-03, 1.9117963587406550e-01,
     -8.1515722480199285e-03],
    [-1.6940710401669235e-03, -7.4167200245571193e-06, 8.0589607263520025e-05, -8.1515722480199285e-03,
     3.4851793949566254e-04]])
_STEP_COV.setflags(write=False)

STEP_LAW = HyperparamRule(
    name="step-law",
    lr=PowerRule(_STEP_MEAN[0], (("n_params", _STEP_MEAN[1]), ("n_tokens", _STEP_MEAN[2]))),
    batch=PowerRule(_STEP_MEAN[3], (("n_tokens", _STEP_MEAN[4]),)),
    citation=LI_2025,
    notes="Default. Published rounded as η = 1.79·N^−0.713·D^0.307, B = 0.58·D^0.571 tokens. Fitted on dense "
          "models of 215M to 1.07B non-embedding parameters on 4B to 100B tokens (the released runs; the file's "
          "fit may hold more), sequence length 2048, AdamW, final learning rate 1e-5. Refitting the released "
          "dense runs gives a smaller D exponent (about 0.2): docs/hyperparams.md.",
    context=2048,
    cov=_STEP_COV,
    domain={"n_params": (2.14663680e8, 1.073741824e9), "n_tokens": (4e9, 1e11)},
    band_source="the covariance of the authors' 1,000 bootstrap fits (normal in log η and log B)",
)
DEEPSEEK_LLM = HyperparamRule(
    name="deepseek-llm",
    lr=PowerRule(math.log(0.3118), (("flops", -0.1250),)),
    batch=PowerRule(math.log(0.2920), (("flops", 0.3271),)),
    citation=BI_2024,
    notes="C = M·D with M the non-embedding FLOPs per token, 72·n_layer·d_model² + 12·n_layer·d_model·l_seq "
          "(scalinglab.flops, convention 'deepseek'). Fitted on runs within 0.25% of the best generalisation error "
          "of each budget; multi-step schedule, sequence length 4096. No uncertainty was published.",
    context=4096,
    flops_convention="deepseek",
)

#: every hyperparameter rule in the catalog, by name
HP_RULES: dict[str, HyperparamRule] = {r.name: r for r in (STEP_LAW, DEEPSEEK_LLM)}
DEFAULT_HP_RULE = "step-law"


def get_hp_rule(name: str) -> HyperparamRule:
    """A catalog rule by name; one clear line naming the choices otherwise."""
    if name not in HP_RULES:
        raise ConfigError(f"The 'hp_rule' parameter must be one of {', '.join(HP_RULES)} or a fitted rule .json "
                          f"file. Got {name!r}.")
    return HP_RULES[name]
