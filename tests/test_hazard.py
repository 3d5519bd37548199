"""Yearly rates turned into monthly events (simulation/hazard.py): the screened draws of exits and
transfer requests pick exactly the households the plain comparison picks."""

import copy

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from conftest import make_model
from simulation import demand, exits
from simulation import events as ev
from simulation.hazard import drawn, monthly
from simulation.state import OCCUPIED


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 5000))
def test_screened_draw_picks_what_the_plain_comparison_picks(seed, n):
    """Rates over the whole legal range (0 to the 0.95 cap, tiny ones included) and draws placed
    on, just under and just over each monthly probability."""
    rng = np.random.default_rng(seed)
    rate = np.select([rng.random(n) < 0.1, rng.random(n) < 0.1, rng.random(n) < 0.1],
                     [0.0, 0.95, 10.0 ** rng.uniform(-18, -8, n)], rng.uniform(0, 0.95, n))
    u = rng.random(n)
    p = monthly(rate)
    near = rng.random(n) < 0.3
    u[near] = np.nextafter(p[near], rng.choice([0.0, 1.0], near.sum())) * (rng.random(near.sum()) < 0.9)
    on = rng.random(n) < 0.1
    u[on] = p[on]
    assert np.array_equal(drawn(u, rate), np.flatnonzero(u < p))


def test_monthly_probability_compounds_to_the_yearly_rate():
    r = np.array([0.0, 0.05, 0.3, 0.95])
    assert np.allclose(1.0 - (1.0 - monthly(r)) ** 12, r)
    assert monthly(0.1) < 0.1 / 12 * 1.06


@pytest.mark.parametrize("rates", [
    {},                                                   # the defaults
    {"transfer_base_rate": 0.2, "transfer_overcrowded_rate": 0.9, "transfer_underoccupied_rate": 0.5,
     "transfer_burden_rate": 0.6, "transfer_leave_qpv_rate": 0.9},     # rates past the 0.95 cap
    {"transfer_base_rate": 0.0, "transfer_overcrowded_rate": 0.0, "transfer_underoccupied_rate": 0.0,
     "transfer_burden_rate": 0.0, "transfer_leave_qpv_rate": 0.3},     # a single term
])
def test_transfer_requests_are_the_tenants_the_plain_rate_picks(monkeypatch, rates):
    """Transfer requests compute the rate only for tenants whose draw falls under the bound of
    all rates: the tenants who ask are those the rate of every tenant would have picked."""
    m = make_model(years=1, seed=4, overrides={"behaviour": {"demand": rates}})
    for _ in range(3):
        m.step()
    d, hh, dw, terr = m.sc.behaviour.demand, m.households, m.dwellings, m.territory
    occ = np.flatnonzero(dw.status == OCCUPIED)
    h = dw.tenant[occ]
    cand = ~hh.applying[h] & ~hh.rehouse[h]
    occ, h = occ[cand], h[cand]
    size, rooms = hh.size_of(h), dw.typology[occ]
    rate = (d.transfer_base_rate + d.transfer_overcrowded_rate * (size > rooms + 1)
            + d.transfer_underoccupied_rate * (rooms > size + 1)
            + d.transfer_burden_rate * (m.burden_of(h) > 0.35)
            + d.transfer_leave_qpv_rate * terr.nb_qpv[dw.nbhd[occ]]
            * (1.0 - terr.residence_attractiveness()[dw.residence[occ]]))
    rng = m.streams["demand"]
    expected = h[copy.deepcopy(rng).random(h.size) < monthly(np.minimum(rate, 0.95))]
    asked = []
    monkeypatch.setattr(demand, "start_application", lambda model, ask, rng: asked.append(ask.copy()))
    demand.request_transfers(m, rng)
    assert expected.size > 0
    assert np.array_equal(asked[0] if asked else np.empty(0, int), expected)


@pytest.mark.parametrize("params", [
    {},                                                   # the defaults
    {"base_rate": 0.3, "quartile_multipliers": [0.0, 0.5, 3.0, 10.0], "attractiveness_effect": 2.0,
     "surcharge_effect": 10.0, "announced_demolition_effect": 5.0},    # rates past the 0.95 cap
    {"base_rate": 0.01, "quartile_multipliers": [1.0, 1.0, 1.0, 1.0], "attractiveness_effect": 0.0,
     "surcharge_effect": 0.0, "announced_demolition_effect": 0.0},     # one rate for all
])
def test_exits_are_the_tenants_the_plain_hazard_picks(monkeypatch, params):
    """Exits read incomes only for tenants whose draw falls under a bound of their rate that needs
    none: those who leave are those every tenant's hazard would have picked, with surcharges and
    announced demolitions on some tenants."""
    m = make_model(years=1, seed=6, overrides={"behaviour": {"exits": params}})
    m.step()
    dw, hh = m.dwellings, m.households
    occ = np.flatnonzero(dw.status == OCCUPIED)
    h = dw.tenant[occ]
    rng = np.random.default_rng(1)
    m.sls[occ] = np.where(rng.random(occ.size) < 0.2, rng.uniform(0, 300, occ.size), 0.0)
    hh.rehouse[h] = rng.random(occ.size) < 0.2
    u = copy.deepcopy(m.streams["exits"]).random(h.size)
    expected = h[u < monthly(exits.hazard(m, h, occ))]
    left = []
    monkeypatch.setattr(exits.moves, "leave", lambda model, who, event: left.append((event, who.copy())))
    exits.step(m)
    assert expected.size > 0
    assert left[0][0] == ev.EXIT and np.array_equal(left[0][1], expected)
