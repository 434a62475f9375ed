"""Data-constrained plans (Muennighoff et al. 2023)."""

import pytest

from scalinglab.errors import ConfigError
from scalinglab.plan import plan_compute, plan_unique_tokens


def test_reproduces_datablations_readme_allocation_at_1e22():
    # The datablations README prints the data-constrained optimum at C = 1e22 FLOPs with U = 25B unique tokens
    # from a grid search: 237.34B tokens, 9.4935 epochs, 7.0224B parameters [P]. The planner's continuous
    # argmin gives 237.21B / 9.488 / 7.026B: within 0.06% of each printed figure (the grid's resolution).
    p = plan_unique_tokens(25e9, flops=1e22)
    assert p.n_tokens == pytest.approx(237.34e9, rel=1e-3)
    assert p.epochs == pytest.approx(9.4935, rel=1e-3)
    assert p.n_params == pytest.approx(7.0224e9, rel=1e-3)
    assert p.effective_tokens < p.n_tokens and p.effective_params < p.n_params
    assert p.loss > p.reference["loss"]  # the data limit costs loss


def test_budget_of_the_readme_model_gives_a_smaller_model_on_more_epochs():
    # the README's model (8.67B params, 178B tokens) spends 9.26e21 FLOPs; with 25B unique tokens the planner
    # moves to 6.80B parameters on 226.9B tokens (9.07 epochs): the package's own figures, not printed ones
    p = plan_unique_tokens(25e9, flops=6 * 8.67e9 * 178e9)
    assert p.n_params == pytest.approx(6.8027e9, rel=1e-3) and p.n_tokens == pytest.approx(226.86e9, rel=1e-3)
    assert p.loss < plan_unique_tokens(25e9, flops=6 * 8.67e9 * 178e9, n_params=8.67e9).loss


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
