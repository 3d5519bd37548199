"""The parameter documentation cannot go stale, and every parameter is documented.

docs/parameters.md is generated from simulation/schema.py by simulation/schema_doc.py; if this test
fails after a schema change, regenerate it:

    python -m simulation.schema_doc > docs/parameters.md
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from simulation import schema
from simulation.schema_doc import _nested, iter_fields, render, walk

ROOT = Path(__file__).resolve().parent.parent
PARAMETERS = ROOT / "docs" / "parameters.md"
LEVERS = ROOT / "docs" / "levers.md"

# Fields that need no description: plain names and identifiers. A name labels an entity; `type`
# tells works items apart; the others refer to a place or landlord by its name in `territory`.
IDENTIFIERS = {
    ("Scenario", "name"), ("Scenario", "description"),
    ("TerritorySpec", "name"), ("LandlordSpec", "name"), ("NeighbourhoodSpec", "name"),
    ("ResidenceSpec", "name"), ("HolderSpec", "name"), ("ScoringGrid", "name"),
    ("ReconstitutionSpec", "name"), ("DiversificationSpec", "name"),
    ("DemolitionSpec", "type"), ("ReconstitutionSpec", "type"), ("RehabilitationSpec", "type"),
    ("DiversificationSpec", "type"), ("SaleSpec", "type"),
    ("DemolitionSpec", "residence"), ("RehabilitationSpec", "residence"), ("SaleSpec", "residence"),
    ("ReconstitutionSpec", "neighbourhood"), ("ReconstitutionSpec", "landlord"),
    ("DiversificationSpec", "neighbourhood"), ("DiversificationSpec", "landlord"),
}

# Fields that only hold a nested block: their own section of docs/parameters.md (the model's
# docstring and fields) documents them, and the doc links to it.
CONTAINERS = {
    ("Scenario", f) for f in ("run", "territory", "population", "behaviour", "economy", "rents", "allocation",
                              "works", "rehousing", "observation")
} | {
    ("TerritorySpec", "landlords"), ("TerritorySpec", "neighbourhoods"),
    ("NeighbourhoodSpec", "residences"),
    ("BehaviourSpec", "life_events"), ("BehaviourSpec", "exits"), ("BehaviourSpec", "demand"),
    ("BehaviourSpec", "refusals"),
    ("RentsSpec", "apl"), ("RentsSpec", "surcharge"), ("RentsSpec", "rls"), ("RentsSpec", "single_rent"),
    ("RentsSpec", "rebalancing"), ("RentsSpec", "ceiling_waiver_qpv"),
    ("AllocationSpec", "mix_rules"), ("AllocationSpec", "legal_quotas"),
    ("AllocationSpec", "choice_based_letting"), ("AllocationSpec", "occupancy_review"),
    ("ScoringGrid", "criteria"),
}


def _all_fields():
    return {(sec.model.__name__, name): (sec, f) for sec, name, f in iter_fields()}


def test_parameters_md_is_current():
    assert PARAMETERS.is_file(), "docs/parameters.md is missing: python -m simulation.schema_doc > docs/parameters.md"
    text = PARAMETERS.read_text(encoding="utf-8")
    assert text == render(), ("docs/parameters.md is stale; regenerate it with "
                              "`python -m simulation.schema_doc > docs/parameters.md`")


def test_render_covers_every_model_and_field():
    text = render()
    models = {s.model for s in walk()}
    for lever in (schema.SingleRentSpec, schema.RebalancingSpec, schema.CeilingWaiverSpec,
                  schema.LegalQuotasSpec, schema.ChoiceLettingSpec, schema.OccupancyReviewSpec,
                  schema.DemolitionSpec, schema.ReconstitutionSpec, schema.RehabilitationSpec,
                  schema.DiversificationSpec, schema.SaleSpec, schema.ScoringGrid,
                  schema.RehousingSpec, schema.MixRulesSpec, schema.HolderSpec):
        assert lever in models, f"{lever.__name__} is not reached by schema_doc.walk()"
    for sec in walk():
        assert f'<a id="{sec.anchor}"></a>' in text
        for name in sec.model.model_fields:
            assert f"| `{name}` |" in text
    assert "## `behaviour.exits`" in text
    assert "## `works[] (type: demolition)`" in text


def test_exemptions_are_real():
    """The exemption lists name existing fields, and containers really hold nested models."""
    fields = _all_fields()
    for key in IDENTIFIERS | CONTAINERS:
        assert key in fields, f"exempted field {key} no longer exists: update tests/test_docs.py"
    for key in CONTAINERS:
        model = getattr(schema, key[0])
        assert _nested(model.model_fields[key[1]].annotation) is not None, f"{key} is not a nested block"


def test_every_field_is_documented():
    """Every parameter has a description (with its unit and source), unless it is a plain name or
    identifier, or a block documented by its own section."""
    missing = []
    for (model, name), (sec, f) in _all_fields().items():
        if (model, name) in IDENTIFIERS or (model, name) in CONTAINERS:
            continue
        if not (f.description or "").strip():
            where = f"{sec.path}.{name}" if sec.path else name
            missing.append(f"{where} ({model}.{name})")
    assert not missing, ("fields without a description in simulation/schema.py (add "
                         "Field(description=...) with unit and source, then regenerate "
                         "docs/parameters.md): " + "; ".join(sorted(missing)))


def test_levers_md_links_resolve():
    """docs/levers.md links to existing sections of docs/parameters.md and existing scenario files."""
    assert LEVERS.is_file()
    text = LEVERS.read_text(encoding="utf-8")
    anchors = {s.anchor for s in walk()}
    links = re.findall(r"parameters\.md#([\w.\-]+)", text)
    assert links, "docs/levers.md should link to docs/parameters.md sections"
    bad = sorted({a for a in links if a not in anchors})
    assert not bad, f"docs/levers.md links to unknown parameter sections: {bad}"
    scen = set(re.findall(r"scenarios/([\w/\-]+\.yaml)", text))
    assert scen, "docs/levers.md should name the scenarios that demonstrate the levers"
    missing = sorted(s for s in scen if not (ROOT / "scenarios" / s).is_file())
    assert not missing, f"docs/levers.md names scenario files that do not exist: {missing}"


@pytest.mark.parametrize("path", sorted((ROOT / "scenarios").glob("*.yaml")), ids=lambda p: p.stem)
def test_every_scenario_is_named_in_levers_md(path):
    """Each shipped scenario (but the baseline and the benchmark) demonstrates a lever described
    in docs/levers.md."""
    if path.stem in ("baseline", "metropolis"):
        pytest.skip("reference scenarios")
    assert f"scenarios/{path.name}" in LEVERS.read_text(encoding="utf-8")
