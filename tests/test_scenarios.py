"""Scenario files: loading, `extends:` deep merge, overrides, and one-line errors (an invalid
file gets a one-line error naming the field and the problem, never a traceback)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from conftest import BASELINE, DATA, SCENARIOS
from simulation.model import HousingModel
from simulation.scenario import (ScenarioError, deep_merge, load_scenario, resolve_raw,
                                 scenario_to_yaml, validate_raw)
from simulation.schema import Scenario, ScoringGrid

BAD = DATA / "bad"
GOOD = DATA / "good"

# file -> (file name the message must show, fragments that locate the field, fragments that say
#          what is wrong / what to do). All fragments are case-sensitive substrings of str(err).
BAD_CASES: dict[str, tuple[str, list[str], list[str]]] = {
    "unknown_top_level_key.yaml": (
        "unknown_top_level_key.yaml", ["populaton"], ["unknown field", "allowed here", "population"]),
    "unknown_nested_key.yaml": (
        "unknown_nested_key.yaml", ["allocation.mix_rules", "strenght"], ["unknown field", "strength"]),
    "wrong_type_years.yaml": (
        "wrong_type_years.yaml", ["run.years"], ["integer", "ten"]),
    "flow_shares_not_one.yaml": (
        "flow_shares_not_one.yaml", ["allocation", "flow_share"], ["must add up to 1", "0.900"]),
    "share_above_one.yaml": (
        "share_above_one.yaml", ["population.priority_share"], ["allowed range [0, 1]", "1.5"]),
    "negative_dwellings.yaml": (
        "negative_dwellings.yaml", ["territory.neighbourhoods[0].residences[0].dwellings"],
        ["allowed range (0, 100000]", "-5"]),
    "zero_years.yaml": (
        "zero_years.yaml", ["run.years"], ["allowed range [1, 100]"]),
    "financing_hlm.yaml": (
        "financing_hlm.yaml", ["territory.neighbourhoods[0].residences[0].financing"],
        ["'HLM' is not allowed", "PLAI", "PLUS", "PLS", "PLI"]),
    "works_unknown_residence.yaml": (
        "works_unknown_residence.yaml", ["works[0]"], ["Tour Imaginaire", "not in the territory"]),
    "works_unknown_type.yaml": (
        "works_unknown_type.yaml", ["works[0]"],
        ["unknown type 'rebuild'", "demolition", "reconstitution", "rehabilitation", "sale"]),
    "demolish_before_announce.yaml": (
        "demolish_before_announce.yaml", ["works[0]", "demolish"], ["before announce"]),
    "bad_date_format.yaml": (
        "bad_date_format.yaml", ["works[0].announce"], ["YYYY-MM"]),
    "bad_month.yaml": (
        "bad_month.yaml", ["works[0].date"], ["month", "01 to 12"]),
    "latin1_encoding.yaml": (
        "latin1_encoding.yaml", ["latin1_encoding.yaml"], ["UTF-8"]),
    "extends_malformed_parent.yaml": (
        "malformed_yaml.yaml", ["line 5"], ["not valid YAML"]),
    "malformed_yaml.yaml": (
        "malformed_yaml.yaml", ["line 5"], ["not valid YAML", "indentation"]),
    "top_level_list.yaml": (
        "top_level_list.yaml", ["top level"], ["must be a mapping"]),
    "extends_missing_file.yaml": (
        "extends_missing_file.yaml", ["extends"], ["no_such_parent_scenario.yaml", "not found"]),
    "extends_not_a_name.yaml": (
        "extends_not_a_name.yaml", ["extends"], ["must be a file name"]),
    "cycle_a.yaml": (
        "cycle_a.yaml", ["extends"], ["cycle_b.yaml", "remove the cycle"]),
    "cycle_b.yaml": (
        "cycle_b.yaml", ["extends"], ["cycle_a.yaml", "remove the cycle"]),
    # the field is checked by test_scoring_file_missing_names_the_referring_field
    "scoring_file_missing.yaml": (
        "no_such_grid.yaml", ["no_such_grid.yaml"], ["not found"]),
    "scoring_file_bad_grid.yaml": (
        "unknown_criterion.yaml", ["criteria[0].criterion"], ["'wealth' is not allowed", "priority"]),
    "renewal_not_qpv.yaml": (
        "renewal_not_qpv.yaml", ["territory.neighbourhoods[0]", "Les Hauts"], ["is_qpv: true"]),
    "works_rehabilitation_unknown_field.yaml": (
        "works_rehabilitation_unknown_field.yaml", ["works[0].rent_chnage"], ["unknown field"]),
    "unknown_target_residence.yaml": (
        "unknown_target_residence.yaml", ["allocation.mix_rules.target_residences"],
        ["Tour Imaginaire", "not in the territory"]),
    "empty.yaml": (
        "empty.yaml", ["territory"], ["required but missing"]),
}


def _load_error(path: Path) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return info.value


def test_every_bad_file_has_a_case():
    """Each file under tests/data/bad/ is exercised by test_bad_scenario_one_line_error."""
    on_disk = {p.name for p in BAD.glob("*.yaml")}
    assert on_disk == set(BAD_CASES), f"files without a case: {on_disk - set(BAD_CASES)}; " \
                                      f"cases without a file: {set(BAD_CASES) - on_disk}"


@pytest.mark.parametrize("name", sorted(BAD_CASES))
def test_bad_scenario_one_line_error(name):
    """An invalid scenario raises ScenarioError (never another exception) whose message is one line,
    shows the file, locates the field and says what is wrong or what is allowed."""
    shown_file, field_parts, fix_parts = BAD_CASES[name]
    msg = str(_load_error(BAD / name))
    assert "\n" not in msg and "\r" not in msg, f"error message spans several lines:\n{msg}"
    assert msg.strip(), "empty error message"
    assert shown_file in msg, f"message does not show the file {shown_file!r}: {msg}"
    for part in field_parts:
        assert part in msg, f"message does not locate the field ({part!r} missing): {msg}"
    for part in fix_parts:
        assert part in msg, f"message does not say what to fix ({part!r} missing): {msg}"


def test_scoring_file_missing_names_the_referring_field():
    """A missing scoring grid is reported against the scenario field that names it, so the user knows
    which scenario (of an extends chain) to fix."""
    msg = str(_load_error(BAD / "scoring_file_missing.yaml"))
    assert "scoring_file" in msg or "scoring_file_missing.yaml" in msg, (
        "MODEL BUG (scenario.validate_raw): a missing scoring grid is reported as "
        f"'<grid path>: scoring grid file not found' without naming allocation.scoring_file nor the "
        f"scenario that references it: {msg}")


def test_unknown_field_in_works_lists_that_work_type_fields():
    """An unknown field inside a works entry lists the fields allowed for that entry's type."""
    msg = str(_load_error(BAD / "works_rehabilitation_unknown_field.yaml"))
    assert "rent_change" in msg and "attractiveness_gain" in msg, (
        "MODEL BUG (scenario._model_at/_unwrap): for an unknown field in a works entry the message "
        "lists the fields of the first union member (DemolitionSpec), not of the entry's type "
        f"(rehabilitation): {msg}")


def test_validation_errors_are_not_chained():
    """ScenarioError hides the pydantic traceback (raised `from None`)."""
    err = _load_error(BAD / "share_above_one.yaml")
    assert err.__cause__ is None and err.__suppress_context__


# ---------------------------------------------------------------------------- valid scenarios
def _scenario_files():
    return sorted(p for p in SCENARIOS.rglob("*.yaml") if "scoring" not in p.relative_to(SCENARIOS).parts[:-1])


def _grid_files():
    return sorted((SCENARIOS / "scoring").rglob("*.yaml")) if (SCENARIOS / "scoring").is_dir() else []


def test_scenario_folder_holds_the_baseline():
    """The scenario glob below actually finds files (guards against a silently empty parametrisation)."""
    assert BASELINE in _scenario_files()


@pytest.mark.parametrize("path", _scenario_files(), ids=lambda p: str(p.relative_to(SCENARIOS)))
def test_shipped_scenario_validates(path):
    """Every scenario shipped under scenarios/ loads, its resolved form (written beside a run's
    outputs) reloads to the same scenario, and it builds a model."""
    sc = load_scenario(path)
    assert isinstance(sc, Scenario)
    assert validate_raw(yaml.safe_load(scenario_to_yaml(sc))) == sc, "resolved scenario does not round-trip"
    m = HousingModel(sc)
    assert m.dwellings.n > 0 and m.households_present() > 0


@pytest.mark.parametrize("path", _grid_files(), ids=lambda p: p.name)
def test_shipped_scoring_grid_validates(path):
    """Every scoring grid under scenarios/scoring/ is a valid ScoringGrid."""
    ScoringGrid.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


def test_baseline_town_shape():
    """The baseline is the stylised town: ~3,000 dwellings, 6 neighbourhoods, 2 QPV of
    which one renewal site, 3 landlords, 4 reservation holders."""
    sc = load_scenario(BASELINE)
    nbs = sc.territory.neighbourhoods
    assert sum(r.dwellings for n in nbs for r in n.residences) == 3000
    assert len(nbs) == 6
    assert sum(n.is_qpv for n in nbs) == 2
    assert [n.name for n in nbs if n.is_renewal_site] == ["Les Tilleuls"]
    assert len(sc.territory.landlords) == 3
    assert abs(sum(h.flow_share for h in sc.allocation.holders) - 1.0) < 1e-9


def test_resolved_scenario_round_trips():
    """The resolved scenario written beside outputs (scenario_to_yaml) reloads to the same scenario."""
    sc = load_scenario(BASELINE)
    again = validate_raw(yaml.safe_load(scenario_to_yaml(sc)))
    assert again == sc


# ----------------------------------------------------------------------------------- extends
def test_deep_merge_mappings_merge_lists_replace():
    """deep_merge: nested mappings merge key by key; lists and scalars replace; inputs unchanged."""
    base = {"a": {"b": 1, "c": {"d": 2, "e": 3}}, "l": [1, 2, 3], "s": "x"}
    over = {"a": {"c": {"d": 20}}, "l": [9], "new": True}
    out = deep_merge(base, over)
    assert out == {"a": {"b": 1, "c": {"d": 20, "e": 3}}, "l": [9], "s": "x", "new": True}
    assert base == {"a": {"b": 1, "c": {"d": 2, "e": 3}}, "l": [1, 2, 3], "s": "x"}, "base mutated"


def test_extends_chain_keeps_siblings_and_replaces_lists():
    """child -> parent -> baseline: a child overriding one nested key keeps the parent's siblings and
    the grandparent's sections; lists (target_residences, works) are replaced, not appended."""
    parent = load_scenario(GOOD / "parent.yaml")
    child = load_scenario(GOOD / "child.yaml")
    assert (parent.run.seed, parent.run.years) == (7, 4)
    assert child.name == "child"
    assert child.run.years == 2, "child's own value"
    assert child.run.seed == 7, "sibling from the parent lost"
    assert child.allocation.mix_rules.strength == 0.8, "nested sibling from the parent lost"
    assert child.allocation.mix_rules.target_residences == ["Bourg - Prés"], "list not replaced"
    assert [(w.type, w.residence) for w in child.works] == [("rehabilitation", "Coteaux - Clos")]
    assert child.territory == load_scenario(BASELINE).territory, "grandparent's territory lost"


def test_extends_by_bare_name_falls_back_to_builtin():
    """`extends: baseline.yaml` from another folder finds the built-in scenario."""
    sc = load_scenario(GOOD / "builtin_by_name.yaml")
    assert sc.name == "by name" and sc.run.years == 3
    assert sc.territory.name == "Villeneuve-sur-Brague"


def test_scoring_file_path_is_relative_to_the_file_naming_it():
    """scoring_file is resolved against the folder of the file that writes it, before merging."""
    raw = resolve_raw(GOOD / "with_scoring_file.yaml")
    assert Path(raw["allocation"]["scoring_file"]) == (DATA / "grids" / "hosted_first.yaml").resolve()


def test_scenario_with_scoring_file_loads():
    """A scenario naming a valid scoring grid file loads, with the grid in allocation.scoring."""
    try:
        sc = load_scenario(GOOD / "with_scoring_file.yaml")
    except Exception as e:  # noqa: BLE001 - the point is to report what escapes
        pytest.fail("MODEL BUG (scenario.validate_raw): loading a scenario with a valid scoring_file "
                    "fails: assigning sc.allocation.scoring re-runs AllocationSpec's validator "
                    "(validate_assignment) which rejects 'scoring and scoring_file both set'; got "
                    f"{type(e).__name__}: {str(e).splitlines()[0]}")
    grid = ScoringGrid.model_validate(yaml.safe_load((DATA / "grids" / "hosted_first.yaml").read_text()))
    assert sc.allocation.scoring == grid


# --------------------------------------------------------------------------------- overrides
def test_overrides_deep_merge_over_the_file():
    """load_scenario(path, overrides=...) changes only the named keys."""
    base = load_scenario(BASELINE)
    sc = load_scenario(BASELINE, overrides={"run": {"years": 3},
                                            "allocation": {"mix_rules": {"strength": 0.0}}})
    assert sc.run.years == 3
    assert sc.run.seed == base.run.seed and sc.run.start_year == base.run.start_year
    assert sc.allocation.mix_rules.strength == 0.0
    assert sc.allocation.mix_rules.fragile_prefer_non_q1 == base.allocation.mix_rules.fragile_prefer_non_q1
    assert sc.territory == base.territory
    assert base.run.years == 20, "the file itself is unchanged"


def test_invalid_override_is_a_one_line_scenario_error():
    """Overrides are validated like the file: bad values give a one-line ScenarioError."""
    with pytest.raises(ScenarioError) as info:
        load_scenario(BASELINE, overrides={"run": {"years": "ten"}})
    msg = str(info.value)
    assert "\n" not in msg and "run.years" in msg and "baseline.yaml" in msg


def test_extends_a_builtin_scenario_by_bare_name(tmp_path):
    """`extends: baseline` (no .yaml) from a file outside scenarios/ finds the built-in scenario."""
    f = tmp_path / "variant.yaml"
    f.write_text("extends: baseline\nname: variant\nrun: {years: 2}\n", encoding="utf-8")
    sc = load_scenario(f)
    assert sc.name == "variant" and sc.run.years == 2 and sc.territory.name == "Villeneuve-sur-Brague"
