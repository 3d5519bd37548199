"""Property: every scenario that `validate` accepts runs to the end and writes its folder.

Scenarios are drawn from the schema itself (simulation/schema.py): every numeric field of every
section may take its extreme legal values (its hard bounds, just inside an open bound) or any value
in between, mappings may be given partially, levers are switched on with drawn parameters, and the
territory is tiny (a few residences of 1 to 60 dwellings) with works dated inside the run. A drawn
file the validator refuses is discarded; an accepted one must run 1 to 3 years without an exception,
keep households and dwellings consistent, produce no infinite indicator and write a complete folder.

Bounded time and reproducible in CI: derandomized, a fixed number of examples, no deadline per
example (a run takes about a second). Set PEUPLEMENT_PROPERTY_EXAMPLES for a longer search and
PEUPLEMENT_PROPERTY_RANDOM=1 to draw new examples instead of the fixed ones.
"""

from __future__ import annotations

import json
import os
import typing
from typing import Literal

import annotated_types as at
import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from simulation import schema
from simulation.model import HousingModel
from simulation.outputs import write_run
from simulation.scenario import ScenarioError, validate_raw
from simulation.state import GONE, OCCUPIED, TENANT

EXAMPLES = int(os.environ.get("PEUPLEMENT_PROPERTY_EXAMPLES", "30"))
FIXED = os.environ.get("PEUPLEMENT_PROPERTY_RANDOM", "") == ""    # set it to explore new examples

# sections drawn generically from the schema; run, territory and works are built below
SECTIONS = {"population": schema.PopulationSpec, "behaviour": schema.BehaviourSpec,
            "rents": schema.RentsSpec, "allocation": schema.AllocationSpec,
            "rehousing": schema.RehousingSpec, "observation": schema.ObservationSpec}
SKIP = {"holders", "criteria", "choice_based_letting", "scoring_file", "scoring_from", "scoring",
        "base_rent_m2_by_era", "typology_by_era", "mix_target_residences", "target_residences",
        "neighbourhoods", "start", "end", "situations"}


def _bounds(info) -> tuple[float | None, float | None, bool, bool]:
    """(low, high, low excluded, high excluded) of a field or an item, from its metadata."""
    lo = hi = None
    lo_open = hi_open = False
    meta = list(getattr(info, "metadata", info))
    for m in meta:
        if isinstance(m, at.Ge) and (lo is None or m.ge >= lo):
            lo, lo_open = m.ge, False
        elif isinstance(m, at.Gt) and (lo is None or m.gt >= lo):
            lo, lo_open = m.gt, True
        elif isinstance(m, at.Le) and (hi is None or m.le <= hi):
            hi, hi_open = m.le, False
        elif isinstance(m, at.Lt) and (hi is None or m.lt <= hi):
            hi, hi_open = m.lt, True
        elif hasattr(m, "metadata"):
            l2, h2, lo2, ho2 = _bounds(m)
            if l2 is not None and (lo is None or l2 >= lo):
                lo, lo_open = l2, lo2
            if h2 is not None and (hi is None or h2 <= hi):
                hi, hi_open = h2, ho2
    return lo, hi, lo_open, hi_open


def _number(kind, info):
    """Extreme legal values (the bounds, or just inside them) and values in between."""
    lo, hi, lo_open, hi_open = _bounds(info)
    lo = -1e3 if lo is None else lo
    hi = 1e3 if hi is None else hi
    if kind is int:
        lo, hi = int(lo) + lo_open, int(hi) - hi_open
        return st.one_of(st.sampled_from([lo, hi]), st.integers(lo, hi))
    span = hi - lo
    lo2 = lo + 1e-6 * span if lo_open else lo
    hi2 = hi - 1e-6 * span if hi_open else hi
    return st.one_of(st.sampled_from([lo2, hi2]), st.floats(lo2, hi2, allow_nan=False))


def _item_info(annotation):
    """The Annotated metadata of the items of list[X] / dict[K, X]."""
    args = typing.get_args(annotation)
    item = args[-1] if args else annotation
    meta = typing.get_args(item)[1:] if typing.get_origin(item) is typing.Annotated else ()
    base = typing.get_args(item)[0] if typing.get_origin(item) is typing.Annotated else item
    return base, meta


def _strip(t):
    while typing.get_origin(t) is typing.Annotated:
        t = typing.get_args(t)[0]
    args = [a for a in typing.get_args(t) if a is not type(None)] if typing.get_origin(t) in \
        (typing.Union, getattr(__import__("types"), "UnionType")) else None
    return _strip(args[0]) if args and len(args) == 1 else t


def _optional_meta(annotation):
    """The bounds of Annotated[X, ...] inside `Annotated[X, ...] | None`, or None."""
    args = typing.get_args(annotation)
    if type(None) not in args:
        return None
    for a in args:
        if typing.get_origin(a) is typing.Annotated:
            return typing.get_args(a)[1:]
    return None


@st.composite
def model_values(draw, model: type[BaseModel], p: float = 0.35) -> dict:
    """A partial mapping for `model`: each field drawn with probability p (nested models recursed)."""
    out = {}
    for name, info in model.model_fields.items():
        if name in SKIP or name == "type":
            continue
        t = _strip(info.annotation)
        origin = typing.get_origin(t)
        inner = _optional_meta(info.annotation)
        if inner:                          # X | None with X = Annotated[number, bounds]
            info = inner
        if isinstance(t, type) and issubclass(t, BaseModel):
            optional = info.default is None
            if not optional or draw(st.booleans()):
                v = draw(model_values(t, p))
                if v or optional:
                    out[name] = v
            continue
        if not draw(st.floats(0, 1)) < p:
            continue
        if t in (int, float):
            out[name] = draw(_number(t, info))
        elif t is bool:
            out[name] = draw(st.booleans())
        elif origin is Literal:
            out[name] = draw(st.sampled_from(typing.get_args(t)))
        elif origin is list:
            base, meta = _item_info(t)
            if base in (int, float):
                n_min = next((m.min_length for m in info.metadata if isinstance(m, at.MinLen)), 1)
                n_max = next((m.max_length for m in info.metadata if isinstance(m, at.MaxLen)), 6)
                out[name] = draw(st.lists(_number(base, meta), min_size=n_min, max_size=n_max))
        elif origin is dict:
            keys = typing.get_args(typing.get_args(t)[0])
            base, meta = _item_info(t)
            if keys and base in (int, float):
                sub = draw(st.lists(st.sampled_from(keys), unique=True, max_size=len(keys)))
                out[name] = {k: draw(_number(base, meta)) for k in sub}
    return out


@st.composite
def territories(draw) -> dict:
    """1-3 neighbourhoods of 1-3 residences of 1-60 dwellings, 1-2 landlords, any financing/typology."""
    landlords = [{"name": f"L{i}", "kind": draw(st.sampled_from(["OPH", "ESH", "SEM"]))}
                 for i in range(draw(st.integers(1, 2)))]
    nbs = []
    for i in range(draw(st.integers(1, 3))):
        qpv = draw(st.booleans())
        res = []
        for j in range(draw(st.integers(1, 3))):
            r = {"name": f"R{i}{j}", "landlord": draw(st.sampled_from(landlords))["name"],
                 "year_built": draw(st.integers(1900, 2025)), "dwellings": draw(st.integers(1, 60)),
                 "financing": draw(st.sampled_from(schema.FINANCINGS))}
            if draw(st.booleans()):
                ks = draw(st.lists(st.sampled_from(schema.TYPOLOGIES), min_size=1, max_size=5, unique=True))
                r["typology"] = {k: draw(st.sampled_from([0.0, 0.3, 1.0, 1.0])) for k in ks}
            if draw(st.booleans()):
                r["rent_m2"] = draw(st.sampled_from([1e-3, 3.0, 50.0]))
            res.append(r)
        nbs.append({"name": f"N{i}", "is_qpv": qpv, "is_renewal_site": qpv and draw(st.booleans()),
                    "attractiveness": draw(st.floats(0, 1)), "residences": res})
    return {"name": "T", "landlords": landlords, "neighbourhoods": nbs}


@st.composite
def scenarios(draw) -> dict:
    years = draw(st.integers(1, 3))
    terr = draw(territories())
    raw = {"name": "p", "run": {"seed": 7, "years": years, "start_year": 2025}, "territory": terr}
    for sec, model in SECTIONS.items():
        v = draw(model_values(model))
        if v:
            raw[sec] = v
    residences = [(r["name"], r["dwellings"]) for n in terr["neighbourhoods"] for r in n["residences"]]
    date = lambda: f"{2025 + draw(st.integers(0, years - 1))}-{draw(st.integers(1, 12)):02d}"
    works = []
    for kind in draw(st.lists(st.sampled_from(["demolition", "sale", "rehabilitation", "reconstitution",
                                               "diversification"]), max_size=3)):
        name, size = draw(st.sampled_from(residences))
        if kind == "demolition":
            a = date()
            works.append({"type": kind, "residence": name, "announce": a, "demolish": max(a, date())})
        elif kind == "sale":
            works.append({"type": kind, "residence": name, "date": date(), "dwellings": draw(st.integers(1, size))})
        elif kind == "rehabilitation":
            works.append({"type": kind, "residence": name, "date": date()})
        else:
            w = {"type": kind, "neighbourhood": draw(st.sampled_from(terr["neighbourhoods"]))["name"],
                 "date": date(), "dwellings": draw(st.integers(1, 40))}
            if kind == "reconstitution":
                w["landlord"] = terr["landlords"][0]["name"]
            works.append(w)
    raw["works"] = works
    alloc = raw.setdefault("allocation", {})
    if draw(st.booleans()):
        alloc["choice_based_letting"] = [{"start": date()}]
    if draw(st.booleans()):
        alloc["scoring"] = {"points_per_month": draw(st.sampled_from([0.0, 1.0, 100.0])),
                            "criteria": [{"criterion": draw(st.sampled_from(["priority", "q1", "transfer",
                                                                             "renewal_rehousing"])),
                                          "points": draw(st.sampled_from([-1000.0, 0.0, 1000.0]))}]}
    return raw


@settings(max_examples=EXAMPLES, deadline=None, derandomize=FIXED, print_blob=True, database=None,
          phases=[Phase.explicit, Phase.generate],     # no shrinking: bounded time, the example is shown
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                 HealthCheck.data_too_large, HealthCheck.function_scoped_fixture])
@given(raw=scenarios())
def test_every_valid_scenario_runs_to_the_end(raw, tmp_path_factory):
    try:
        sc = validate_raw(raw, "drawn.yaml")
    except ScenarioError:
        return                                   # refused with a one-line error: fine
    m = HousingModel(sc)
    m.run()
    assert m.month == sc.run.years * 12
    hh, dw = m.households, m.dwellings
    ten = np.flatnonzero(hh.state == TENANT)
    assert (dw.status[hh.dwelling[ten]] == OCCUPIED).all()
    assert (dw.tenant[hh.dwelling[ten]] == ten).all()
    assert not (hh.applying & (hh.state == GONE)).any()
    ind = m.indicators()
    v = ind["value"].to_numpy(dtype=float)
    assert not np.isinf(v).any(), ind.loc[np.isinf(v), ["indicator", "scale"]].drop_duplicates().head()
    names = ind["indicator"].astype(str)
    shares = (names.str.endswith("_share") | names.str.contains("_share_") | (names == "vacancy_rate")
              | (names == "refusal_rate")).to_numpy()
    bad = shares & ((v < -1e-9) | (v > 1 + 1e-9))       # NaN compares false: allowed (no denominator)
    assert not bad.any(), ind.loc[bad, ["indicator", "scale", "value"]].head()
    assert not (v[names.to_numpy() == "turnover_rate"] < 0).any()
    out = tmp_path_factory.mktemp("run") / "out"
    write_run(m, out, {}, None, indicators=ind)
    man = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert all((out / f).is_file() for f in man["files"])
