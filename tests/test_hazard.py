"""Yearly rates turned into monthly events (simulation/hazard.py): the screened draw used by exits
and transfer requests picks exactly the households the plain comparison picks."""

import numpy as np
from hypothesis import given, settings, strategies as st

from simulation.hazard import drawn, monthly


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
