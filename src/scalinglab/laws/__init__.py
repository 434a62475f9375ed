"""The catalog of scaling laws: functional forms, published coefficients, citations."""

from .base import Citation, JointLaw, Law
from .chinchilla import Chinchilla, ChinchillaParams
from .datablations import DataConstrained
from .downstream import SCORE_FORMS, ScoreMap
from .downstream_chain import ChainPrediction, DownstreamFit, TaskChain
from .downstream_io import load_downstream, save_downstream
from .fitted import FittedLaw, Identification, RunScatter
from ._hparam_io import load_rule, resolve_hp_rule, save_rule
from .hyperparams import DEFAULT_HP_RULE, HP_RULES, HyperparamPrediction, HyperparamRule, PowerRule, get_hp_rule
from .io import law_from_dict, law_to_dict, load_fitted, load_law, save_fitted, save_law
from .kaplan import KaplanJoint, kaplan_allocation
from .overtraining import OverTraining
from .powerlaw import PowerLaw
from .registry import DEFAULT_LAW, get_joint_law, get_law, list_laws, resolve_fitted, resolve_law

__all__ = [
    "Citation", "Law", "JointLaw", "Chinchilla", "ChinchillaParams", "DataConstrained", "KaplanJoint",
    "OverTraining", "PowerLaw", "kaplan_allocation", "DEFAULT_LAW", "get_law", "get_joint_law",
    "list_laws", "resolve_law", "resolve_fitted", "law_to_dict", "law_from_dict", "save_law", "load_law",
    "FittedLaw", "Identification", "RunScatter", "save_fitted", "load_fitted",
    "ScoreMap", "SCORE_FORMS", "TaskChain", "DownstreamFit", "ChainPrediction", "save_downstream", "load_downstream",
    "HyperparamRule", "HyperparamPrediction", "PowerRule", "HP_RULES", "DEFAULT_HP_RULE", "get_hp_rule",
    "resolve_hp_rule", "load_rule", "save_rule",
]
