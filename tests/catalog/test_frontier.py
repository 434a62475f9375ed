"""Reference models against a law's compute-optimal frontier."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from scalinglab.catalog import FrontierPlacement, get_model, list_models, place_all, place_on_frontier
from scalinglab.errors import ConfigError
from scalinglab.laws import DEFAULT_LAW, JointLaw, get_joint_law, list_laws

JOINT_LAWS = [law for law in list_laws() if isinstance(law, JointLaw)]
CHINCHILLA_FORM = [law for law in JOINT_LAWS if law.family in ("chinchilla", "data-constrained")]


def test_chinchilla_sits_near_the_default_frontier():
    p = place_on_frontier(get_model("Chinchilla"))
    assert p.law == DEFAULT_LAW == "epoch2024"
    assert 0.8 < p.overtraining_factor < 1.3  # Besiroglu refit: ~18 tokens/param at this compute [D]
    assert 0.0 <= p.loss_gap < 1e-3
    assert abs(p.inference_saving) < 0.2


def test_chinchilla_looks_under_trained_under_rounded_hoffmann():
    # [D, §1]: rounded Eq. 10 puts D*/N* at 92.6 (N* = 32.2B) at C = 5.76e23; 6ND = 5.88e23 is 2% more.
    law = get_joint_law("hoffmann2022")
    n, d = law.compute_optimal(5.76e23)
    assert d / n == pytest.approx(92.6, abs=0.1) and n == pytest.approx(32.2e9, rel=0.005)
    p = place_on_frontier(get_model("Chinchilla"), "hoffmann2022")
    assert p.optimal_tokens_per_param == pytest.approx(93.0, abs=1.0)
    assert p.overtraining_factor < 0.25
    assert p.inference_saving < 0  # the rounded law wants a smaller model than Chinchilla


def test_chinchilla_under_unrounded_hoffmann_matches_the_derived_table():
    n, d = get_joint_law("hoffmann2022-unrounded").compute_optimal(5.76e23)
    assert d / n == pytest.approx(58.9, abs=0.1)  # [D, §1]


@pytest.mark.parametrize("law", CHINCHILLA_FORM, ids=lambda law: law.name)
def test_gopher_is_under_trained_under_every_chinchilla_form_law(law):
    p = place_on_frontier(get_model("Gopher"), law)
    assert p.overtraining_factor < 0.1
    assert p.loss_gap > 0.01
    assert p.inference_saving < 0  # bigger than optimal, so dearer to serve


def test_smollm3_is_heavily_over_trained_and_cheap_to_serve():
    p = place_on_frontier(get_model("SmolLM3"))
    assert p.overtraining_factor > 100
    assert p.inference_saving > 0.9
    assert p.inference_flops_per_token == pytest.approx(2 * 3.08e9)
    assert p.loss_gap > 0.01  # the price paid in training loss at fixed compute


def test_llama3_8b_is_over_trained_more_than_70b():
    p8, p70 = (place_on_frontier(get_model(n)) for n in ("Llama 3 8B", "Llama 3 70B"))
    assert p8.overtraining_factor > p70.overtraining_factor > 1


@pytest.mark.parametrize("law", JOINT_LAWS, ids=lambda law: law.name)
def test_no_model_beats_the_frontier_under_any_joint_law(law):
    for p in place_all(law):
        assert p.loss_gap >= -1e-9 * p.optimal_loss, p.model.name
        assert p.loss_gap == pytest.approx(p.loss - p.optimal_loss)
        # the optimum is on the model's iso-FLOP curve: 6 N* D* = 6 N D
        assert 6.0 * p.optimal_n_params * p.optimal_n_tokens == pytest.approx(p.flops, rel=1e-9)
        assert p.flops == p.model.flops_6nd


@pytest.mark.parametrize("law", JOINT_LAWS, ids=lambda law: law.name)
def test_the_optimum_is_a_minimum_along_the_iso_flop_curve(law):
    p = place_on_frontier(get_model("Llama 2 70B"), law)
    k = np.array([0.5, 0.8, 0.95, 1.05, 1.25, 2.0])
    n = p.optimal_n_params * k
    losses = law.loss(n, p.flops / (6.0 * n))
    assert np.all(losses >= p.optimal_loss - 1e-12)


@pytest.mark.parametrize("law", ["epoch2024", "hoffmann2022", "gadre2024"])
def test_placement_quantities_are_consistent(law):
    for p in place_all(law):
        m = p.model
        assert p.tokens_per_param == m.tokens_per_param
        assert p.optimal_tokens_per_param == pytest.approx(p.optimal_n_tokens / p.optimal_n_params)
        assert p.overtraining_factor == pytest.approx(m.tokens_per_param / p.optimal_tokens_per_param)
        assert p.inference_saving == pytest.approx(1.0 - m.n_params / p.optimal_n_params)
        assert p.optimal_inference_flops_per_token == pytest.approx(2.0 * p.optimal_n_params)
        # more tokens per parameter than optimal <=> smaller than optimal at the same compute
        assert (p.overtraining_factor > 1) == (p.inference_saving > 0)


def test_place_all_follows_catalog_order_and_accepts_names_laws_and_none():
    default = place_all()
    assert [p.model for p in default] == list_models()
    assert {p.law for p in default} == {DEFAULT_LAW}
    by_name = place_all("epoch2024")
    by_law = place_all(get_joint_law("epoch2024"))
    assert default == by_name == by_law


def test_unknown_or_one_variable_law_is_a_config_error():
    with pytest.raises(ConfigError, match=r"The 'law' parameter must be one of .*Got 'nope'"):
        place_all("nope")
    with pytest.raises(ConfigError, match="one-variable power law"):
        place_on_frontier(get_model("Chinchilla"), "kaplan2020-n")


def test_placement_is_frozen_and_as_dict_is_json():
    p = place_on_frontier(get_model("Llama 3.1 405B"))
    assert isinstance(p, FrontierPlacement)
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.loss = 0.0  # type: ignore[misc]
    d = json.loads(json.dumps(p.as_dict()))
    assert d["model"]["name"] == "Llama 3.1 405B" and d["model"]["flops"] == 3.8e25
    assert d["law"] == "epoch2024" and d["flops"] == pytest.approx(3.79e25, rel=1e-3)
    assert set(d) == {f.name for f in dataclasses.fields(FrontierPlacement)}
