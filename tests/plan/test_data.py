"""Data-constrained plans (Muennighoff et al. 2023)."""

import pytest

from scalinglab.errors import ConfigError
from scalinglab.plan import plan_compute, plan_unique_tokens


def test_reproduces_datablations_readme_allocation():
    # README grid search for the budget of 8.67B params x 178B tokens with 25B unique tokens:
    # "227B tokens, 9.1 epochs, 6.8B parameters" [P]
    p = plan_unique_tokens(25e9, flops=6 * 8.67e9 * 178e9)
    assert p.n_tokens == pytest.approx(227e9, rel=0.005)
    assert p.epochs == pytest.approx(9.1, abs=0.05)
    assert p.n_params == pytest.approx(6.8e9, rel=0.005)
    assert p.effective_tokens < p.n_tokens and p.effective_params < p.n_params
    assert p.loss > p.reference["loss"]  # the data limit costs loss


def test_fixed_size_reproduces_readme_loss():
    p = plan_unique_tokens(25e9, flops=6 * 8.67e9 * 178e9, n_params=8.67e9)
    assert p.loss == pytest.approx(2.2269634075087867, rel=1e-10)


def test_plenty_of_unique_data_is_the_unconstrained_optimum():
    c = 1e21
    p = plan_unique_tokens(1e15, flops=c)
    ref = plan_compute(c, law="muennighoff2023")
    assert p.n_params == pytest.approx(ref.n_params, rel=1e-4)
    assert p.epochs < 1


def test_chinchilla_law_gets_repetition_terms_and_says_so():
    p = plan_unique_tokens(1e10, flops=1e22, law="epoch2024")
    assert any("R_D*" in n for n in p.notes)
    with pytest.raises(ConfigError, match="data-constrained or Chinchilla-form"):
        plan_unique_tokens(1e10, flops=1e22, law="kaplan2020")
