"""Fitting scaling laws to training runs: loading runs, objectives, multi-start parametric fits
(Approach 3), IsoFLOP profiles (Approach 2), the envelope of training curves (Approach 1), bootstrap
intervals and extrapolation audits; learning-rate and batch-size rules fitted to a sweep (:mod:`.hparams`); which
runs to train next (:mod:`.design`)."""

from .approach2 import Approach2Result, fit_approach2
from .audit import AuditResult, audit
from .compare import Comparison, compare_runs
from .compare_io import load_comparison, save_comparison
from .bootstrap import BootstrapResult, bootstrap, derived_quantities
from .downstream import METHODS as DOWNSTREAM_METHODS, fit_downstream
from .downstream_data import TaskRuns, read_task_runs
from .score_map import ScoreFit, fit_score_map
from .data import Runs, drop_highest_loss, load_runs, select_groups, split_groups
from .design import Proposal, ProposedRun, Target, propose_runs
from .families import FAMILIES, FamilyBootstrap, bootstrap_family, fit_family
from .io import save_fit
from .envelope import EnvelopeResult, fit_envelope
from .objectives import LOSSES, chinchilla_log_predict, chinchilla_objective, penalty
from .profiles import IsoFlopProfileResult, ProfileWarning, fit_isoflop_profiles
from .fitter import ParametricFitter
from ._hp_sweep import Sweep, load_sweep, sweep_from_arrays
from .hparams import GroupOptimum, HparamFit, fit_hparams
from .parametric import fit_chinchilla, start_grid
from .pipeline import fit_law
from .store_runs import StoreRuns, runs_from_store
from .result import FitResult, FitWarning, StartRecords, provenance

__all__ = [
    "Runs", "load_runs", "drop_highest_loss", "select_groups", "split_groups",
    "LOSSES", "penalty", "chinchilla_log_predict", "chinchilla_objective",
    "ParametricFitter", "fit_chinchilla", "start_grid", "FitResult", "FitWarning", "StartRecords",
    "FAMILIES", "fit_family", "FamilyBootstrap", "bootstrap_family",
    "BootstrapResult", "bootstrap", "derived_quantities",
    "AuditResult", "audit", "IsoFlopProfileResult", "ProfileWarning", "fit_isoflop_profiles",
    "Approach2Result", "fit_approach2",
    "EnvelopeResult", "fit_envelope",
    "provenance", "save_fit", "StoreRuns", "runs_from_store", "fit_law",
    "TaskRuns", "read_task_runs", "fit_downstream", "DOWNSTREAM_METHODS", "ScoreFit", "fit_score_map",
    "Sweep", "load_sweep", "sweep_from_arrays", "fit_hparams", "HparamFit", "GroupOptimum",
    "propose_runs", "Proposal", "ProposedRun", "Target",
    "Comparison", "compare_runs", "save_comparison", "load_comparison",
]
