"""The catalog of published laws, by name."""

from __future__ import annotations

import reprlib
from pathlib import Path

from ..errors import ConfigError
from ._spec import spec_path
from .base import JointLaw, Law
from .chinchilla import (
    CHINCHILLA_FAMILY,
    BESIROGLU_2024,
    EPOCH_2024,
    HOFFMANN_2022,
    HOFFMANN_ROUNDED,
    HOFFMANN_UNROUNDED,
    Chinchilla,
)
from .fitted import FittedLaw
from .datablations import (
    DATA_CONSTRAINED_FAMILY,
    MUENNIGHOFF_2023,
    MUENNIGHOFF_PARAMS,
    RD_STAR,
    RN_STAR,
    DataConstrained,
)
from .family import Family
from .kaplan import KAPLAN_2020, KAPLAN_FAMILY, KaplanJoint, kaplan_one_variable_laws
from .overtraining import GADRE_2024, GADRE_RPJ_C4, OVER_TRAINING_FAMILY, OverTraining
from .powerlaw import power_law_family

__all__ = ["FAMILIES", "get_family", "DEFAULT_LAW", "get_law", "get_joint_law", "list_laws", "resolve_law",
           "resolve_fitted", "law_path"]

#: every law family a fitter can fit, by name (:class:`~scalinglab.laws.family.Family`)
FAMILIES: dict[str, Family] = {f.name: f for f in (
    CHINCHILLA_FAMILY, KAPLAN_FAMILY, OVER_TRAINING_FAMILY, DATA_CONSTRAINED_FAMILY,
    *(power_law_family(v) for v in ("n_params", "n_tokens", "flops")))}


def get_family(name: str) -> Family:
    """The family called ``name`` (a key of :data:`FAMILIES`); one clear line otherwise."""
    if name not in FAMILIES:
        raise ConfigError(f"The 'family' parameter must be one of {', '.join(FAMILIES)}. Got {name!r}.")
    return FAMILIES[name]


#: Epoch's 2024 replication: the only Chinchilla coefficient set whose fit can be reproduced from data.
DEFAULT_LAW = "epoch2024"


def _build() -> dict[str, Law]:
    chin = "loss in nats/token on MassiveText; N counts all parameters"
    laws: list[Law] = [
        Chinchilla("epoch2024", EPOCH_2024, BESIROGLU_2024,
                   "Default. Huber(1e-3) fit on log loss; implies ~20 tokens/param near Chinchilla compute. "
                   + chin),
        Chinchilla("hoffmann2022", HOFFMANN_ROUNDED, HOFFMANN_2022,
                   "As printed in the paper (rounded). Its compute-optimal tokens/param (~93 at 5.76e23) "
                   "disagrees with the paper's own Approaches 1-2 (~20); see Besiroglu et al. 2024. " + chin),
        Chinchilla("hoffmann2022-unrounded", HOFFMANN_UNROUNDED, HOFFMANN_2022,
                   "Unrounded Eq. 10 values as used in Epoch's analyzing-chinchilla notebook "
                   "(said to come from the paper's TeX source). " + chin),
        KaplanJoint("kaplan2020", 0.076, 0.103, 6.4e13, 1.8e13, KAPLAN_2020,
                    "Eq. 1.5 with the Table 2 fit; N excludes embeddings; nats/token on WebText2. "
                    "Its own argmin gives N* ~ C^0.575; the paper's allocation rule (N ~ C^0.73) is "
                    "scalinglab.laws.kaplan_allocation."),
        *kaplan_one_variable_laws(),
        DataConstrained("muennighoff2023", MUENNIGHOFF_PARAMS, RD_STAR, RN_STAR, MUENNIGHOFF_2023,
                        "Repeated data (R_D* = 15.39) and excess parameters (R_N* = 5.31) decay in value; "
                        "loss on C4 with the GPT-2 tokenizer."),
        OverTraining.from_code_params("gadre2024", *GADRE_RPJ_C4, GADRE_2024,
                                      "RedPajama training data, C4-eval loss; fitted on 11M-411M runs; N "
                                      "includes embeddings. Coefficients derived by scalinglab (see module)."),
    ]
    return {law.name: law for law in laws}


_REGISTRY = _build()


def list_laws() -> list[Law]:
    """Every law in the catalog, in display order."""
    return list(_REGISTRY.values())


def get_law(name: str) -> Law:
    """A catalog law by name; one clear error naming the choices otherwise."""
    if not isinstance(name, str):
        raise ConfigError(f"The 'law' parameter must be a catalog name, a path to a law file, a Law or a FittedLaw. "
                          f"Got {type(name).__name__} {reprlib.repr(name)}.")
    try:
        return _REGISTRY[name]
    except KeyError:
        from .curves import CURVE_LAW_SCOPE, CURVE_LAWS  # here: the error's path only (curves loads scipy.signal)

        if name in CURVE_LAWS:
            raise ConfigError(f"The 'law' parameter must name a scaling law (see `scalinglab laws`). Got {name!r}, a "
                              f"training-curve law: {CURVE_LAW_SCOPE}.") from None
        from .hyperparams import HP_RULE_SCOPE, HP_RULES

        if name in HP_RULES:
            raise ConfigError(f"The 'law' parameter must name a scaling law (see `scalinglab laws`). Got {name!r}, a "
                              f"hyperparameter rule: {HP_RULE_SCOPE}.") from None
        raise ConfigError(
            f"The 'law' parameter must be one of {', '.join(_REGISTRY)} or a fitted-law .json file. "
            f"Got {name!r}."
        ) from None


def law_path(spec: object) -> Path | None:
    """The file a ``law`` argument names, or None when it names a catalog law (or is not a string or path);
    see :func:`~scalinglab.laws._spec.spec_path` (a catalog name always means the catalog law)."""
    return spec_path(spec, _REGISTRY)


def resolve_fitted(spec: str | Path | Law | FittedLaw | None) -> FittedLaw:
    """Like :func:`resolve_law` but keeps what a saved fit knows: refits, run scatter, identification."""
    if isinstance(spec, FittedLaw):
        return spec
    path = law_path(spec)
    if path is not None:
        from .io import load_fitted

        return load_fitted(path)
    return FittedLaw.of(resolve_law(spec))


def resolve_law(spec: str | Path | Law | FittedLaw | None) -> Law:
    """A law from a catalog name, a path to a saved law (.json), a Law, or None for the default
    (:func:`law_path` tells a name from a path)."""
    if spec is None:
        return _REGISTRY[DEFAULT_LAW]
    if isinstance(spec, FittedLaw):
        return spec.law
    if isinstance(spec, Law):
        return spec
    path = law_path(spec)
    if path is not None:
        from .io import load_law

        return load_law(path)
    return get_law(spec)  # type: ignore[arg-type]


def get_joint_law(spec: str | Law | FittedLaw | None) -> JointLaw:
    """Like :func:`resolve_law` but the law must predict ``L(N, D)`` (needed to split a budget)."""
    law = resolve_law(spec)
    if not isinstance(law, JointLaw):
        raise ConfigError(
            f"The 'law' parameter must name a law of both N and D to plan with; {law.name!r} is a "
            f"one-variable power law ({law.formula}). Got {law.name!r}."
        )
    return law
