"""The compiled twins of numpy readings (simulation/compiled.py) are speed-ups, not variants of
the model: given the same inputs they give the same results to the bit, and a run that uses them
writes what a run without them writes."""

import functools
import sys
from unittest import mock

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from conftest import baseline_scenario, make_model
from simulation import compiled, life_events


def _both_readings(seed, n, scale):
    """Life events' competing risks read by numpy and by the compiled twin, on random households
    (ages 0-130, 1-3 adults, up to 6 children of each age group, employed or not) with event rates
    `scale` times the defaults (at most 0.9 a year)."""
    rng = np.random.default_rng(seed)
    base = baseline_scenario(1).behaviour.life_events
    rates = {k: min(getattr(base, k) * scale, 0.9) for k in (
        "job_loss_rate", "job_find_rate", "birth_rate_couple", "birth_rate_single",
        "child_ageing_rate", "child_leave_rate", "separation_rate")}
    le = base.model_copy(update=rates)
    u = rng.random(n)
    u[: n // 10] = 0.0                     # the lower edge of the first slice
    args = (u, rng.random(n) < 0.6, rng.integers(1, 4, n).astype(np.int8),
            (rng.random(n) * 130).astype(np.float32), rng.integers(0, 7, n).astype(np.int8),
            rng.integers(0, 7, n).astype(np.int8))
    with mock.patch.object(compiled, "MIN_HOUSEHOLDS", 10**9):
        numpy_events = life_events.competing_risks(le, *args)
    with mock.patch.object(compiled, "MIN_HOUSEHOLDS", 0):
        compiled_events = life_events.competing_risks(le, *args)
    assert numpy_events.dtype == compiled_events.dtype == np.int8
    return numpy_events, compiled_events


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 2000), scale=st.floats(1.0, 40.0))
def test_competing_risks_compiled_draws_the_numpy_events(seed, n, scale):
    numpy_events, compiled_events = _both_readings(seed, n, scale)
    assert np.array_equal(numpy_events, compiled_events)


def test_competing_risks_readings_agree_on_every_event():
    """A large draw reaches every event and "none", and both readings agree on each household."""
    numpy_events, compiled_events = _both_readings(7, 200_000, 20.0)
    assert np.array_equal(numpy_events, compiled_events)
    assert np.bincount(numpy_events, minlength=7).min() > 100


def test_a_run_with_the_compiled_readings_writes_what_numpy_writes(monkeypatch):
    """The town run with every compiled kernel forced (they serve large territories only) makes the
    same offers, allocations and life events, and ends with the same households, to the bit."""
    # numba is a dependency: the kernels must really be compiled here, not the numpy fallback
    assert compiled.kernel(compiled.candidate_walk) is not None
    assert compiled.kernel(compiled.competing_risks) is not None
    assert compiled.kernel(compiled.pool_columns) is not None

    def run(threshold):
        monkeypatch.setattr(compiled, "MIN_POOL", threshold)
        monkeypatch.setattr(compiled, "MIN_HOUSEHOLDS", threshold)
        m = make_model(years=3, seed=11)
        m.run()
        a = m.allocator
        logs = {**a.alloc_log, **{"offer " + k: v for k, v in a.offer_log.items()}}
        out = {k: np.asarray(v) for k, v in logs.items()}
        hh = m.households
        out.update({"household " + k: getattr(hh, k) for k in ("state", "income", "adults", "kids_u14",
                                                              "kids_14p", "dwelling", "age")})
        return out, m.events()
    (numpy_run, numpy_events), (compiled_run, compiled_events) = run(10**9), run(0)
    assert numpy_run["month"].size > 300 and len(numpy_events) > 1000
    pd.testing.assert_frame_equal(numpy_events, compiled_events, check_exact=True)
    assert numpy_run.keys() == compiled_run.keys()
    for k, v in numpy_run.items():
        w = compiled_run[k]
        assert v.dtype == w.dtype and v.shape == w.shape and v.tobytes() == w.tobytes(), k


@functools.cache
def _month_pool():
    """A town model a month in, with its allocation pool (tests may rewrite its households)."""
    m = make_model(years=1, seed=5)
    m.step()
    return m, m.allocator.pool


def _pool_columns_both_ways(monkeypatch, ids):
    pool = _month_pool()[1]
    monkeypatch.setattr(compiled, "MIN_POOL", 10**9)
    numpy_cols = pool._columns(ids)
    monkeypatch.setattr(compiled, "MIN_POOL", 0)
    return numpy_cols, pool._columns(ids)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_pool_columns_compiled_reads_what_numpy_reads(seed):
    """The columns a vacancy reads about applicants, on households drawn at random over the cases
    of each rule: incomes of N-1 / N-2 unknown (NaN), under 12 EUR a year or on the quartile
    thresholds; single parents and couples whose ages sum to exactly 55 (household category); DALO
    deadlines and application dates on either side of this month's limits; to be rehoused or not."""
    m = _month_pool()[0]
    hh = m.households
    rng = np.random.default_rng(seed)
    n = hh.n
    hh.adults[:] = rng.integers(1, 3, n)
    hh.kids_u14[:] = rng.integers(0, 5, n)
    hh.kids_14p[:] = rng.integers(0, 4, n)
    inc = rng.lognormal(9.8, 0.8, n)
    inc[rng.random(n) < 0.05] = rng.random() * 12.0
    t = m.quartile_limits
    on = rng.random(n) < 0.05                      # income per UC on a threshold
    inc[on] = np.asarray(t)[rng.integers(0, 3, on.sum())] * hh.uc_of(np.flatnonzero(on))
    hh.income[:] = inc
    for col in (hh.income_n1, hh.income_n2):
        col[:] = np.where(rng.random(n) < 0.3, np.nan, inc * rng.uniform(0.8, 1.2, n))
    hh.age[:] = np.where(rng.random(n) < 0.3, 27.5, rng.uniform(18, 95, n)).astype(np.float32)
    for col in (hh.rehouse, hh.priority, hh.dalo, hh.state_employee, hh.al_employee, hh.local):
        col[:] = rng.random(n) < 0.3
    dalo_months, processing = m.sc.population.dalo_deadline_months, m.sc.allocation.processing_months
    hh.dalo_deadline[:] = m.month + dalo_months + rng.integers(-2, 3, n)
    hh.app_date[:] = m.month - processing + rng.integers(-2, 3, n)
    hh.state[:] = rng.integers(0, 3, n)
    hh.wish_nbhd[:] = rng.integers(-1, m.territory.n_nbhd, n)
    ids = rng.permutation(n)[: rng.integers(0, n)]
    with pytest.MonkeyPatch.context() as mp:
        numpy_cols, compiled_cols = _pool_columns_both_ways(mp, ids)
    assert numpy_cols.keys() == compiled_cols.keys()
    for k, v in numpy_cols.items():
        w = compiled_cols[k]
        assert v.dtype == w.dtype and v.tobytes() == w.tobytes(), k


def test_pool_columns_off_the_compiled_grid_are_read_by_numpy(monkeypatch):
    """A household larger than the compiled reading's APL tables is read by numpy, not misread."""
    m, pool = _month_pool()
    big = int(pool.ids[0])
    hh = m.households
    hh.adults[big], hh.kids_u14[big], hh.kids_14p[big] = 1, 40, 0
    k = compiled.kernel(compiled.pool_columns)
    assert pool._columns_compiled(k, pool.ids) is None
    numpy_cols, cols = _pool_columns_both_ways(monkeypatch, pool.ids)
    assert cols["size"][0] == 41
    assert all(v.tobytes() == cols[c].tobytes() for c, v in numpy_cols.items())
    hh.kids_u14[big] = 0


def test_without_numba_the_numpy_readings_serve(monkeypatch):
    """Where numba cannot be imported (or NUMBA_DISABLE_JIT is set) a large territory runs its
    numpy readings, which give the same results, instead of failing or looping in plain Python."""
    monkeypatch.setattr(compiled, "_compiled", {})
    monkeypatch.setitem(sys.modules, "numba", None)     # import numba raises ImportError
    assert compiled.kernel(compiled.competing_risks) is None
    monkeypatch.setattr(compiled, "MIN_HOUSEHOLDS", 0)
    le = baseline_scenario(1).behaviour.life_events
    rng = np.random.default_rng(3)
    n = 500
    args = (rng.random(n) * 0.05, rng.random(n) < 0.5, rng.integers(1, 3, n).astype(np.int8),
            (rng.random(n) * 90).astype(np.float32), rng.integers(0, 3, n).astype(np.int8),
            rng.integers(0, 3, n).astype(np.int8))
    got = life_events.competing_risks(le, *args)
    monkeypatch.setattr(compiled, "MIN_HOUSEHOLDS", 10**9)
    assert np.array_equal(got, life_events.competing_risks(le, *args))
