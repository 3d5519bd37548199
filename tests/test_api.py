"""The Python API as an analyst uses it: built-in names, overrides without a file, Mesa's `rng=`
and `mesa.batch_run` replicates."""

from __future__ import annotations

import multiprocessing
import warnings

import mesa
import numpy as np
import pytest

from conftest import BASELINE, SCENARIOS
from simulation import HousingModel, ScenarioError, load_scenario, run_scenario
from simulation.checks import scenario_warnings


def test_load_scenario_by_builtin_name():
    assert load_scenario("baseline") == load_scenario(BASELINE)
    assert load_scenario("single_rent.yaml") == load_scenario(SCENARIOS / "single_rent.yaml")
    with pytest.raises(ScenarioError) as info:
        load_scenario("no_such_scenario")
    assert "no_such_scenario" in str(info.value) and "baseline" in str(info.value)   # lists built-ins


def test_dotted_overrides_set_one_field_and_keep_the_rest():
    sc = load_scenario("baseline", overrides={"rents.single_rent.start": "2027-01", "run.years": 3})
    assert sc.rents.single_rent.start == "2027-01" and sc.rents.single_rent.by_financing is True
    assert sc.run.years == 3 and sc.run.seed == load_scenario("baseline").run.seed
    # a list item by its index; nested mappings still merge as before
    base = load_scenario("renewal_strategy")
    sc = load_scenario("renewal_strategy", {"works.0.demolish": "2031-01", "rehousing": {"offers_max": 2}})
    assert sc.works[0].demolish == "2031-01" and sc.works[0].announce == base.works[0].announce
    assert sc.works[1:] == base.works[1:]
    assert sc.rehousing.offers_max == 2 and sc.rehousing.vacancy_share == base.rehousing.vacancy_share


@pytest.mark.parametrize("overrides, fragments", [
    ({"rents.single_rent.start": "2027-13"}, ["overrides rents.single_rent.start=2027-13",
                                              "rents.single_rent.start", "01 to 12"]),
    ({"run.years": 0}, ["overrides run.years=0", "[1, 100]"]),
    ({"rents.single_rnt.start": "2027-01"}, ["overrides rents.single_rnt.start", "unknown field 'single_rnt'"]),
    ({"works.5.date": "2030-01"}, ["overrides works.5.date", "no item 5", "has 0"]),
    ({"run..years": 3}, ["overrides run..years", "malformed"]),
])
def test_bad_override_is_one_line_naming_the_override(overrides, fragments):
    with pytest.raises(ScenarioError) as info:
        load_scenario("baseline", overrides=overrides)
    msg = str(info.value)
    assert "\n" not in msg
    for f in fragments:
        assert f in msg, (f, msg)


def _state(m: HousingModel) -> np.ndarray:
    n = m.households.n
    return np.concatenate([m.households.income[:n], m.dwellings.rent_m2[: m.dwellings.n]])


def test_rng_keyword_as_in_mesa():
    sc = load_scenario("baseline", {"run.years": 1})
    assert HousingModel(sc).seed == sc.run.seed
    a, b = HousingModel(sc, rng=5), HousingModel(sc, seed=5)
    assert a.seed == b.seed == 5 and np.array_equal(_state(a), _state(b))
    g1, g2 = HousingModel(sc, rng=np.random.default_rng(11)), HousingModel(sc, rng=np.random.default_rng(11))
    assert g1.seed == g2.seed and np.array_equal(_state(g1), _state(g2))
    assert not np.array_equal(_state(a), _state(g1))
    with pytest.raises(ValueError):
        HousingModel(sc, seed=1, rng=2)
    # a scenario can be named directly
    assert HousingModel("baseline", rng=5).sc == load_scenario("baseline")


@pytest.fixture
def keep_start_method():
    """mesa.batch_run forces the 'spawn' start method process-wide; put back what was there."""
    before = multiprocessing.get_start_method(allow_none=True)
    yield
    multiprocessing.set_start_method(before, force=True)


def test_batch_run_iterations_give_distinct_replicates(keep_start_method):
    """mesa.batch_run passes seed=None to each iteration: each draws its own seed (recorded in the
    results), so replicates differ; explicit seeds reproduce."""
    sc = load_scenario("baseline", {"run.years": 1})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)    # `iterations` is deprecated in Mesa 3.5
        res = mesa.batch_run(HousingModel, {"scenario": [sc]}, iterations=3, number_processes=1,
                             display_progress=False, max_steps=4)
    assert len(res) == 3 and all(r["Step"] == 4 for r in res)
    assert len({r["seed"] for r in res}) == 3
    assert len({(r["q1_share_tenants"], r["allocations"], r["pending_applications"]) for r in res}) == 3
    # a replicate is reproduced from its recorded seed
    again = HousingModel(sc, seed=res[0]["seed"])
    again.run(4)
    assert again.observer.latest["q1_share_tenants"] == res[0]["q1_share_tenants"]
    res = mesa.batch_run(HousingModel, {"scenario": "baseline"}, rng=[7, 7], number_processes=1,
                         display_progress=False, max_steps=2)
    assert res[0]["seed"] == res[1]["seed"] == 7 and res[0]["q1_share_tenants"] == res[1]["q1_share_tenants"]


def test_run_scenario_by_name():
    m = run_scenario("baseline", seed=3, years=1)
    assert m.seed == 3 and m.month == 12


def test_lever_after_the_horizon_is_a_warning_naming_the_field():
    sc = load_scenario("single_rent", {"run.years": 2})
    w = scenario_warnings(sc)
    assert len(w) == 1 and w[0].startswith("rents.single_rent.start: 2027-01") and "run.years" in w[0]
    assert "at least 3" in w[0]
    assert scenario_warnings(load_scenario("single_rent", {"run.years": 3})) == []
    # every date of a renewal programme is checked: announce, demolish, works dates
    w = scenario_warnings(load_scenario("renewal_strategy", {"run.years": 5}))
    fields = {line.split(":")[0] for line in w}
    assert "works[0].demolish" in fields and "works[0].announce" not in fields


def test_builtin_scenarios_have_no_warnings():
    from simulation import builtin_names
    names = builtin_names()
    assert "baseline" in names and len(names) >= 10
    for name in names:
        assert scenario_warnings(load_scenario(name)) == [], name
