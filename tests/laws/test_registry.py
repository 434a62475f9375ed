"""Catalog lookup, JSON round trips, and one-line errors."""

import json

import numpy as np
import pytest

from scalinglab.errors import ConfigError
from scalinglab.laws import (DEFAULT_LAW, JointLaw, PowerLaw, get_joint_law, get_law, law_from_dict,
                             law_to_dict, list_laws, load_law, save_law)


def test_catalog_has_every_family_with_citation():
    laws = list_laws()
    families = {law.family for law in laws}
    assert {"chinchilla", "kaplan", "data-constrained", "over-training", "power-law"} <= families
    names = [law.name for law in laws]
    assert {"epoch2024", "hoffmann2022", "hoffmann2022-unrounded", "muennighoff2023", "gadre2024",
            "kaplan2020"} <= set(names)
    assert DEFAULT_LAW == "epoch2024"
    for law in laws:
        assert law.citation.year >= 2020 and law.citation.arxiv


def test_unknown_law_is_one_clear_error():
    with pytest.raises(ConfigError, match=r"The 'law' parameter must be one of .*epoch2024.*Got 'chinchila'"):
        get_law("chinchila")


def test_one_variable_law_cannot_plan():
    with pytest.raises(ConfigError, match="one-variable power law"):
        get_joint_law("kaplan2020-n")


@pytest.mark.parametrize("law", list_laws(), ids=lambda law: law.name)
def test_json_round_trip_predicts_the_same(law, tmp_path):
    path = save_law(law, tmp_path / "law.json", provenance={"by": "test"})
    back = load_law(path)
    assert back.coefficients() == pytest.approx(law.coefficients())
    assert json.loads(path.read_text())["provenance"] == {"by": "test"}
    if isinstance(law, JointLaw):
        n, d = np.array([1e8, 1e10]), np.array([2e9, 3e11])
        np.testing.assert_allclose(back.loss(n, d), law.loss(n, d), rtol=1e-14)
    else:
        assert isinstance(back, PowerLaw) and back.loss(1e9) == law.loss(1e9)


def test_load_law_errors(tmp_path):
    with pytest.raises(ConfigError, match="must exist"):
        load_law(tmp_path / "nope.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ConfigError, match="valid JSON"):
        load_law(bad)
    d = law_to_dict(get_law("epoch2024"))
    d["family"] = "mystery"
    with pytest.raises(ConfigError, match="'family' field"):
        law_from_dict(d)
    del d["coefficients"]
    with pytest.raises(ConfigError, match="coefficients"):
        law_from_dict(d)


def test_power_law_inverse_round_trip():
    law = get_law("kaplan2020-d")
    assert law.inverse(law.loss(3e11)) == pytest.approx(3e11, rel=1e-10)
