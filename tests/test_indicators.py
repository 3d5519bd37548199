"""Indicator formulas on hand-made cases with known answers, and the observer's published
values checked against a recomputation from the model state."""

from __future__ import annotations

import math

import numpy as np
import pytest

from conftest import make_model, run_model
from simulation.indicators import (dissimilarity, group_median, isolation, legal_indicators, shares,
                                   theil)
from simulation.state import OCCUPIED


def _entropy(p: float) -> float:
    """Binary entropy written out by hand (natural log; H is a ratio, so the base cancels)."""
    if p in (0.0, 1.0):
        return 0.0
    return -(p * math.log(p) + (1 - p) * math.log(1 - p))


# ------------------------------------------------------------------------------ segregation
def test_complete_segregation():
    """Two units, all Q1 in one and none in the other: D = 1, isolation = 1, H = 1."""
    x, t = [10, 0], [10, 10]
    assert dissimilarity(x, t) == pytest.approx(1.0)
    assert isolation(x, t) == pytest.approx(1.0)
    assert theil(x, t) == pytest.approx(1.0)


def test_identical_composition():
    """Every unit has the territory's Q1 share (20 %): D = 0, H = 0, isolation = overall share."""
    x, t = [2, 4, 10], [10, 20, 50]
    assert dissimilarity(x, t) == pytest.approx(0.0, abs=1e-12)
    assert theil(x, t) == pytest.approx(0.0, abs=1e-12)
    assert isolation(x, t) == pytest.approx(16 / 80)


def test_asymmetric_case_by_hand():
    """x = [3, 1, 0] Q1 among t = [4, 4, 2] households.

    D: Q1 shares (3/4, 1/4, 0), others (1, 3, 2)/6 -> 0.5 (7/12 + 1/4 + 1/3) = 7/12.
    isolation: (3/4)(3/4) + (1/4)(1/4) + 0 = 10/16.
    H: p = 0.4, E = h(0.4); units h(0.75), h(0.25), h(0) ->
       H = [4 (E - h(.75)) + 4 (E - h(.25)) + 2 E] / (10 E) = 1 - 0.8 h(0.75) / h(0.4) ~ 0.33155."""
    x, t = [3, 1, 0], [4, 4, 2]
    assert dissimilarity(x, t) == pytest.approx(7 / 12)
    assert isolation(x, t) == pytest.approx(10 / 16)
    h_expected = 1 - 0.8 * _entropy(0.75) / _entropy(0.4)
    assert h_expected == pytest.approx(0.33155, abs=1e-5)
    assert theil(x, t) == pytest.approx(h_expected)


def test_empty_units_are_ignored():
    """Adding a unit with no households changes none of the indices."""
    x, t = [3, 1, 0], [4, 4, 2]
    x0, t0 = [3, 1, 0, 0], [4, 4, 2, 0]
    assert dissimilarity(x0, t0) == pytest.approx(dissimilarity(x, t))
    assert isolation(x0, t0) == pytest.approx(isolation(x, t))
    assert theil(x0, t0) == pytest.approx(theil(x, t))


def test_indices_are_scale_free():
    """Multiplying every count by the same factor leaves D, isolation and H unchanged."""
    x, t = np.array([3, 1, 0]), np.array([4, 4, 2])
    for f in (dissimilarity, isolation, theil):
        assert f(7 * x, 7 * t) == pytest.approx(f(x, t))


def test_undefined_cases_are_nan():
    """No Q1 (or no one else) anywhere: the indices are undefined, not 0 or an exception."""
    assert math.isnan(dissimilarity([0, 0], [5, 5]))
    assert math.isnan(dissimilarity([5, 5], [5, 5]))
    assert math.isnan(isolation([0, 0], [5, 5]))
    assert math.isnan(theil([0, 0], [5, 5]))
    assert math.isnan(theil([5, 5], [5, 5]))
    assert math.isnan(theil([0, 0], [0, 0]))


# ------------------------------------------------------------------------------- group stats
def test_group_median_odd_even_and_empty_groups():
    """Median per group, groups given unsorted; even counts average the two middle values; an empty
    group is NaN."""
    values = np.array([10.0, 5.0, 20.0, 1.0, 3.0, 7.0])
    groups = np.array([1, 0, 1, 0, 0, 3])
    out = group_median(values, groups, 4)
    assert out[0] == 3.0           # {5, 1, 3}
    assert out[1] == 15.0          # {10, 20}
    assert math.isnan(out[2])
    assert out[3] == 7.0


def test_group_median_no_values():
    """No values at all: every group is NaN."""
    out = group_median(np.empty(0), np.empty(0, np.int64), 3)
    assert out.shape == (3,) and np.isnan(out).all()


def test_group_median_matches_numpy():
    """On random data group_median equals numpy's median group by group."""
    rng = np.random.default_rng(0)
    values = rng.normal(size=500)
    groups = rng.integers(0, 7, 500)
    out = group_median(values, groups, 8)
    for g in range(7):
        assert out[g] == pytest.approx(np.median(values[groups == g]))
    assert math.isnan(out[7])


def test_shares():
    """Share of flagged rows per group; NaN for an empty group."""
    flag = np.array([True, False, True, True, False])
    groups = np.array([0, 0, 1, 1, 1])
    out = shares(flag, groups, 3)
    assert out[0] == 0.5
    assert out[1] == pytest.approx(2 / 3)
    assert math.isnan(out[2])


# ----------------------------------------------------------------------------- legal indicators
# (quartile 1..4, in QPV, kind 0 external / 1 transfer / 2 renewal rehousing / 3 return, priority)
ALLOCATIONS = [
    # outside QPV: 8 allocations; Q1 or rehoused = rows 1, 4 (rehoused Q4), 7 -> 3/8
    (1, False, 0, True),
    (3, False, 0, False),
    (2, False, 1, False),
    (4, False, 2, False),   # renewal-rehoused: counts for the 25 % objective whatever its quartile
    (2, False, 0, False),
    (4, False, 0, False),
    (1, False, 1, True),
    (3, False, 0, False),
    # in QPV: 5 allocations; Q2-Q4 = rows 10, 11, 13 -> 3/5
    (1, True, 0, True),
    (2, True, 0, False),
    (4, True, 1, False),
    (1, True, 2, False),    # a rehoused Q1 in QPV is not Q2-Q4
    (3, True, 3, False),
]


def _legal(rows):
    q, inq, kind, pr = (list(c) for c in zip(*rows))
    return legal_indicators(q, inq, kind, pr)


def test_legal_indicators_hand_table():
    """(a) Q1 or renewal-rehoused share outside QPV, (b) Q2-Q4 share in QPV, (c) priority share, and
    the overall Q1 share, on a hand-made table of 13 allocations."""
    out = _legal(ALLOCATIONS)
    assert out["q1_share_allocations_outside_qpv"] == pytest.approx(3 / 8)
    assert out["q2q4_share_allocations_in_qpv"] == pytest.approx(3 / 5)
    assert out["priority_share_allocations"] == pytest.approx(3 / 13)
    assert out["q1_share_allocations"] == pytest.approx(4 / 13)


def test_rehoused_household_counts_in_outside_qpv_objective():
    """A single Q4 allocation outside QPV counts for objective (a) only if it is a renewal rehousing."""
    assert _legal([(4, False, 2, False)])["q1_share_allocations_outside_qpv"] == 1.0
    assert _legal([(4, False, 0, False)])["q1_share_allocations_outside_qpv"] == 0.0
    assert _legal([(4, False, 1, False)])["q1_share_allocations_outside_qpv"] == 0.0


def test_legal_indicators_undefined_sides_are_nan():
    """With no allocation outside QPV (resp. in QPV) the matching indicator is NaN."""
    only_qpv = _legal([(2, True, 0, False), (1, True, 0, True)])
    assert math.isnan(only_qpv["q1_share_allocations_outside_qpv"])
    assert only_qpv["q2q4_share_allocations_in_qpv"] == 0.5
    only_out = _legal([(1, False, 0, False)])
    assert math.isnan(only_out["q2q4_share_allocations_in_qpv"])
    assert only_out["priority_share_allocations"] == 0.0


# ----------------------------------------------------------------- observer vs recomputation
@pytest.fixture(scope="module")
def two_years():
    """The baseline town run 2 years (shared, read-only)."""
    return run_model(years=2, seed=11)


def _values(df, indicator, scale, period=None):
    sel = (df.indicator == indicator) & (df.scale == scale)
    if period:
        sel &= df.period == period
    return df[sel]


def test_published_legal_indicators_match_allocation_log(two_years):
    """Each year's published legal indicators equal legal_indicators() over that year's allocations."""
    m = two_years
    df = m.indicators()
    A = {k: np.asarray(v) for k, v in m.allocator.alloc_log.items()}
    for year_end in (12, 24):
        sel = (A["month"] > year_end - 12) & (A["month"] <= year_end)
        assert sel.sum() > 50, "too few allocations for a meaningful check"
        expected = legal_indicators(A["quartile"][sel], A["in_qpv"][sel], A["kind"][sel], A["priority"][sel])
        row = df[(df.month == year_end) & (df.period == "year") & (df.scale == "territory")]
        for k, v in expected.items():
            got = row[row.indicator == k].value
            assert len(got) == 1, f"{k} not published once at month {year_end}"
            assert got.item() == pytest.approx(v), k


def test_published_occupancy_indicators_match_state(two_years):
    """The last month's q1_share_tenants (territory, qpv, outside_qpv) and segregation indices across
    neighbourhoods equal a recomputation from the dwelling and household columns."""
    m = two_years
    df = m.indicators()
    last = df[df.month == m.month]
    dw, hh, terr = m.dwellings, m.households, m.territory
    occ = np.flatnonzero(dw.status == OCCUPIED)
    q1 = m.quartile(hh.income_uc[dw.tenant[occ]]) == 0
    nb = dw.nbhd[occ]
    qpv = terr.nb_qpv[nb]
    for scale, sel in (("territory", slice(None)), ("qpv", qpv), ("outside_qpv", ~qpv)):
        assert _values(last, "q1_share_tenants", scale).value.item() == pytest.approx(q1[sel].mean()), scale
    x = np.bincount(nb, weights=q1.astype(float), minlength=terr.n_nbhd)
    t = np.bincount(nb, minlength=terr.n_nbhd).astype(float)
    assert _values(last, "dissimilarity_q1", "neighbourhood").value.item() == pytest.approx(dissimilarity(x, t))
    assert _values(last, "isolation_q1", "neighbourhood").value.item() == pytest.approx(isolation(x, t))
    assert _values(last, "theil_q1", "neighbourhood").value.item() == pytest.approx(theil(x, t))
    gap = _values(last, "qpv_gap_q1", "territory").value.item()
    assert gap == pytest.approx(q1[qpv].mean() - q1.mean())


def test_quartiles_split_the_applicant_pool():
    """Q1..Q4 are the applicants' quartiles: on the drawn state (no spin-up) each holds a quarter of
    the pending pool (after a spin-up they split the pool of 31 December: test_dynamics)."""
    m = make_model(years=1, overrides={"run": {"spin_up_years": 0}})
    hh = m.households
    q = m.quartile(hh.income_uc[hh.applying])
    counts = np.bincount(q, minlength=4)
    assert counts.size == 4 and q.size > 500
    assert np.allclose(counts / q.size, 0.25, atol=0.01), counts


def test_quartiles_recomputed_every_january(two_years):
    """Thresholds are set each January (months 1 and 13 in a 2-year run; the spin-up's are not
    reported), increasing, and they move from one year to the next."""
    m = two_years
    months = [h[0] for h in m.quartile_history]
    assert months == [1, 13], months
    for month, *thr in m.quartile_history:
        assert list(thr) == sorted(thr), f"quartile thresholds not increasing at month {month}"
    assert m.quartile_history[0][1:] != m.quartile_history[1][1:], "thresholds not recomputed"
