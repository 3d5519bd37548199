"""Eligibility, rents and scoring rules on hand-made cases.

Each test builds a month-0 model of the baseline town (so `ceiling_growth` is 1) with the APL schedule
and charges written out explicitly, so the hand-computed answers do not move when the defaults are
recalibrated; household and dwelling columns are then set by hand on chosen rows. The last test runs
one year with neutral commissions to check that candidates are offered a dwelling in score order.
"""

from __future__ import annotations

import numpy as np
import pytest

from conftest import DATA, make_model
from simulation import rents, scoring
from simulation.model import HousingModel
from simulation.scenario import load_scenario
from simulation.schema import FINANCINGS
from simulation.state import APPLICANT, OCCUPIED, TENANT, Households

PLAI, PLUS, PLS, PLI = (FINANCINGS.index(f) for f in ("PLAI", "PLUS", "PLS", "PLI"))

APL = {"rent_ceiling_single": 278.0, "rent_ceiling_couple": 340.0, "rent_ceiling_family": 383.0,
       "rent_ceiling_per_extra": 56.0, "flat_charges": 57.0, "flat_charges_per_dependent": 13.0,
       "min_participation": 40.0, "participation_rate": 0.36, "participation_rate_size_decline": 0.12,
       "income_floor": 4800.0, "income_floor_per_person": 1100.0, "min_payment": 10.0}
# official 2025 PLUS ceilings, other regions, household categories 1..6 (arrêté of 29 July 1987
# as revalued for 2025), then per extra person
CEILINGS_PLUS = [23201, 30984, 37259, 44982, 52915, 59636]
PLUS_EXTRA = 6652
RULES = {"rents": {"apl": APL, "charges_m2": 1.6, "ceilings_zone": "other_regions",
                   "rls": {"enabled": False},
                   "surcharge": {"enabled": True, "threshold": 1.2, "reference_eur_m2": 0.25,
                                 "coefficient_at_threshold": 0.27,
                                 "coefficient_brackets": [[20, 0.06], [60, 0.08], [150, 0.10]],
                                 "resources_cap": 0.30, "exempt_qpv": True}}}


@pytest.fixture
def m() -> HousingModel:
    """A fresh month-0 baseline model with the rent rules written out (mutable per test)."""
    model = make_model(years=1, overrides=RULES)
    assert model.ceiling_growth == 1.0
    return model


def _arr(*v):
    return np.array(v)


# ----------------------------------------------------------------------------- income ceilings
def test_ceiling_plus_by_size(m):
    """PLUS ceilings follow the 2025 table for categories 1..6, then + the per-person amount."""
    sizes = np.arange(1, 9)
    got = rents.ceiling(m, sizes, np.full(8, PLUS))
    expected = CEILINGS_PLUS + [59636 + PLUS_EXTRA, 59636 + 2 * PLUS_EXTRA]
    np.testing.assert_allclose(got, expected)


def test_ceiling_order_by_financing(m):
    """For every category PLAI < PLUS < PLS < PLI; PLAI is the 2025 table (12,759 for a single
    person), PLS is PLUS + 30 % (by law), PLI the intermediate ceilings (1.41 x PLUS, zone B2/C);
    ceilings grow with the category."""
    sizes = np.arange(1, 9)
    c = {f: rents.ceiling(m, sizes, np.full(8, f)) for f in (PLAI, PLUS, PLS, PLI)}
    assert (c[PLAI] < c[PLUS]).all() and (c[PLUS] < c[PLS]).all() and (c[PLS] < c[PLI]).all()
    np.testing.assert_allclose(c[PLAI][:6], [12759, 18590, 22357, 24874, 29103, 32797])
    np.testing.assert_allclose(c[PLS], 1.3 * c[PLUS])
    np.testing.assert_allclose(c[PLI], 1.41 * c[PLUS])
    for f in c:
        assert (np.diff(c[f]) > 0).all()


def test_eligible_income_and_qpv_waiver():
    """Income at the ceiling is eligible, 1 EUR above is not; the QPV ceiling waiver raises the ceiling
    only in QPV and only while the lever applies."""
    m = make_model(years=1, overrides={**RULES, "rents": {**RULES["rents"],
                                                            "ceiling_waiver_qpv": {"start": "2025-02",
                                                                                   "factor": 1.3}}})
    inc = _arr(23201.0, 23202.0, 23201.0 * 1.3, 23201.0 * 1.3 + 1)
    size, fin = np.ones(4, int), np.full(4, PLUS)
    outside, inside = np.zeros(4, bool), np.ones(4, bool)
    m.month = 1   # before the lever's start
    assert rents.eligible_income(m, inc, size, fin, inside).tolist() == [True, False, False, False]
    m.month = 2
    assert rents.eligible_income(m, inc, size, fin, outside).tolist() == [True, False, False, False]
    assert rents.eligible_income(m, inc, size, fin, inside).tolist() == [True, True, True, False]


# ---------------------------------------------------------------------------------------- APL
def test_apl_hand_values(m):
    """APL = min(rent, ceiling) + flat charges - P0 - rate * max(0, income - floor) / 12, zero under
    the minimum payment. Single person, rent 400: 278 + 57 - 40 = 295 at zero income; 295 - 0.36 *
    7200 / 12 = 79 at 12,000 EUR/year. Couple + 1 child, zero income: 383 + 70 - 40 = 413."""
    one, single = _arr(1), _arr(1)
    assert rents.apl(m, _arr(0.0), one, single, _arr(400.0))[0] == pytest.approx(295.0)
    assert rents.apl(m, _arr(12000.0), one, single, _arr(400.0))[0] == pytest.approx(79.0)
    assert rents.apl(m, _arr(0.0), _arr(3), _arr(2), _arr(600.0))[0] == pytest.approx(413.0)


def test_apl_zero_for_high_incomes_and_below_minimum_payment(m):
    """High incomes get nothing; a computed benefit under the 10 EUR minimum payment is not paid
    (single: 295 - 0.36 (I - 4800)/12 = 5 EUR at I = 14,466.67)."""
    one = _arr(1)
    assert rents.apl(m, _arr(40000.0), one, one, _arr(400.0))[0] == 0.0
    assert rents.apl(m, _arr(4800.0 + 290 * 12 / 0.36), one, one, _arr(400.0))[0] == 0.0
    assert rents.apl(m, _arr(4800.0 + 280 * 12 / 0.36), one, one, _arr(400.0))[0] == pytest.approx(15.0)


def test_apl_decreases_with_income(m):
    """For each household type the benefit never rises with income, is flat up to the income floor
    and falls above it while it is paid."""
    inc = np.linspace(0, 40000, 81)
    n = inc.size
    for size, adults in ((1, 1), (2, 2), (3, 1), (4, 2), (6, 2)):
        b = rents.apl(m, inc, np.full(n, size), np.full(n, adults), np.full(n, 450.0))
        assert (np.diff(b) <= 1e-9).all(), (size, adults)
        paid = b > 0
        assert paid[0] and not paid[-1]
        floor = 4800 + 1100 * (size - 1)
        assert np.ptp(b[inc <= floor]) == 0
        falling = paid & (inc > floor)
        assert falling.sum() >= 3 and (np.diff(b[falling]) < 0).all()


def test_apl_capped_by_rent_ceiling(m):
    """Above the household's rent ceiling, a higher rent brings no more benefit; below it, it does."""
    one = _arr(1)
    at_ceiling = rents.apl(m, _arr(6000.0), one, one, _arr(278.0))[0]
    assert rents.apl(m, _arr(6000.0), one, one, _arr(279.0))[0] == pytest.approx(at_ceiling)
    assert rents.apl(m, _arr(6000.0), one, one, _arr(900.0))[0] == pytest.approx(at_ceiling)
    assert rents.apl(m, _arr(6000.0), one, one, _arr(200.0))[0] == pytest.approx(at_ceiling - 78.0)
    # a couple's ceiling is 340 instead of 278 (compared at zero income, same flat charges)
    single0 = rents.apl(m, _arr(0.0), one, one, _arr(900.0))[0]
    assert rents.apl(m, _arr(0.0), _arr(2), _arr(2), _arr(900.0))[0] == pytest.approx(single0 + 62.0)


def test_apl_schedule_is_revalued_as_a_whole(m):
    """The whole APL schedule follows the yearly revaluation (apl_growth, economy.apl_revaluation):
    with every amount x g, incomes and rents x g give benefits x g, including the minimum payment
    threshold (the allocation kernel scales min_payment by apl_growth, so both must agree on who
    gets a benefit)."""
    inc = np.linspace(0, 20000, 401)
    n = inc.size
    size, adults, rent = np.ones(n, int), np.ones(n, int), np.full(n, 400.0)
    base = rents.apl(m, inc, size, adults, rent)
    g = 1.5
    m.apl_growth = g
    grown = rents.apl(m, g * inc, size, adults, g * rent)
    bad = ~np.isclose(grown, g * base)
    assert not bad.any(), (
        "MODEL BUG (rents.apl): benefits between min_payment and min_payment x apl_growth are "
        "paid by rents.apl (threshold not revalued) but treated as 0 by the allocation kernel "
        f"(minpay = min_payment x apl_growth); at incomes {g * inc[bad][:3]} expected "
        f"{g * base[bad][:3]} EUR/month, rents.apl gives {grown[bad][:3]}")


# -------------------------------------------------------------------------------------- costs
def _occupied_pair(m):
    d = int(np.flatnonzero(m.dwellings.status == OCCUPIED)[0])
    return int(m.dwellings.tenant[d]), d


def _set_household(m, h, adults, u14, o14, income):
    hh = m.households
    hh.adults[h], hh.kids_u14[h], hh.kids_14p[h], hh.income[h] = adults, u14, o14, income


def test_costs_single_by_hand(m):
    """Single, 12,000 EUR/year, 50 m2 at 6 EUR/m2: rent 300, charges 80, APL 79 -> remaining cost 301,
    burden 301 / 1000, residual income 699 EUR/UC/month."""
    h, d = _occupied_pair(m)
    _set_household(m, h, 1, 0, 0, 12000.0)
    dw = m.dwellings
    dw.surface[d], dw.rent_m2[d], dw.reduction[d] = 50.0, 6.0, 0.0
    rc, burden, residual = rents.costs(m, _arr(h), _arr(d))
    assert rc[0] == pytest.approx(301.0)
    assert burden[0] == pytest.approx(0.301)
    assert residual[0] == pytest.approx(699.0)


def test_costs_rent_reduction_and_override(m):
    """A rehousing rent reduction lowers the rent (and the APL through it); a new-lease rent_m2
    overrides the dwelling's rent."""
    h, d = _occupied_pair(m)
    _set_household(m, h, 1, 0, 0, 12000.0)
    dw = m.dwellings
    dw.surface[d], dw.rent_m2[d], dw.reduction[d] = 50.0, 6.0, 50.0
    rc, _, _ = rents.costs(m, _arr(h), _arr(d))
    assert rc[0] == pytest.approx(250.0 + 80.0 - 51.0)        # APL: 250 + 57 - 40 - 216 = 51
    dw.reduction[d] = 0.0
    rc, _, _ = rents.costs(m, _arr(h), _arr(d), rent_m2=_arr(8.0))
    assert rc[0] == pytest.approx(400.0 + 80.0 - 79.0)


def test_costs_family_residual_per_uc(m):
    """Couple with one child under 14 and one aged 14+ (2.3 UC), 29,700 EUR/year, 80 m2 at 5 EUR/m2:
    rent 400, charges 128, APL = 439 + 83 - 40 - 0.36 / 1.36 * (29700 - 8100) / 12 = 5.5, under the
    10 EUR minimum payment so 0: remaining cost 528, residual (2475 - 528) / 2.3."""
    h, d = _occupied_pair(m)
    _set_household(m, h, 2, 1, 1, 29700.0)
    dw = m.dwellings
    dw.surface[d], dw.rent_m2[d], dw.reduction[d] = 80.0, 5.0, 0.0
    benefit = 383 + 56 + 57 + 2 * 13 - 40 - 0.36 / (1 + 0.12 * 3) * (29700 - 4800 - 3 * 1100) / 12
    assert 0 < benefit < 10   # the hand case sits under the minimum payment
    rc, burden, residual = rents.costs(m, _arr(h), _arr(d))
    assert rc[0] == pytest.approx(528.0)
    assert burden[0] == pytest.approx(528.0 / 2475.0)
    assert residual[0] == pytest.approx((2475.0 - 528.0) / 2.3)


def test_consumption_units():
    """OECD-modified scale: 1 + 0.5 per other person 14+ + 0.3 per child under 14."""
    hh = Households(capacity=8)
    i = hh.add(5)
    hh.adults[i] = [1, 2, 2, 1, 2]
    hh.kids_u14[i] = [0, 0, 1, 2, 2]
    hh.kids_14p[i] = [0, 0, 1, 0, 1]
    hh.income[i] = 23000.0
    np.testing.assert_allclose(hh.uc, [1.0, 1.5, 2.3, 1.6, 2.6])
    np.testing.assert_array_equal(hh.size, [1, 2, 4, 3, 5])
    np.testing.assert_allclose(hh.income_uc, 23000.0 / np.array([1.0, 1.5, 2.3, 1.6, 2.6]))


def test_surcharge_outside_qpv_only_above_threshold(m):
    """SLS is due from 1.2 x ceiling outside QPV, never in QPV (exempt by law), and not below:
    at 150 % of the ceiling the excess is 50 %, CDR = 0.27 + 30 points x 0.06 = 2.07."""
    c = 23201.0
    inc = _arr(1.1 * c, 1.5 * c, 1.5 * c)
    qpv = np.array([False, False, True])
    sls = rents.surcharge(m, inc, np.ones(3, int), np.full(3, PLUS), np.full(3, 60.0), qpv)
    assert sls[0] == 0.0 and sls[2] == 0.0
    assert sls[1] == pytest.approx(60.0 * 0.25 * 2.07)   # 31.05 EUR/month


# ------------------------------------------------------------------------------------ scoring
def _two_applicants(m, k=2):
    """k external applicants, reset to a neutral profile (no priority, not hosted, no review points)."""
    hh = m.households
    a = np.flatnonzero((hh.state == APPLICANT) & hh.applying)[:k]
    assert a.size == k
    hh.priority[a] = False
    hh.hosted[a] = False
    hh.review_points[a] = 0.0
    hh.rehouse[a] = False
    hh.app_date[a] = -6
    return a


def test_default_grid_is_seniority_plus_priority(m):
    """No grid in the scenario: key = 24 x priority - 1 x application month."""
    a = _two_applicants(m, 3)
    hh = m.households
    hh.priority[a[0]] = True
    hh.app_date[a] = [-6, -6, -40]
    scoring.compute_keys(m, a)
    np.testing.assert_allclose(hh.key[a], [24 + 6, 6, 40])


def test_priority_outranks_same_month_application(m):
    """Under the default grid a priority applicant outranks a non-priority one registered the same month."""
    a, b = _two_applicants(m)
    m.households.priority[a] = True
    scoring.compute_keys(m, np.array([a, b]))
    assert m.households.key[a] > m.households.key[b]


def test_seniority_older_application_outranks_newer(m):
    """Same profile: the older application ranks first; a 30-month lead beats priority (24 points)."""
    a, b = _two_applicants(m)
    hh = m.households
    hh.app_date[a], hh.app_date[b] = -20, -3
    scoring.compute_keys(m, np.array([a, b]))
    assert hh.key[a] > hh.key[b]
    hh.priority[b] = True
    hh.app_date[a], hh.app_date[b] = -33, -3
    scoring.compute_keys(m, np.array([a, b]))
    assert hh.key[a] > hh.key[b], "30 months of seniority should outweigh priority (24 points)"


@pytest.mark.parametrize("precedence", [True, False])
def test_renewal_rehousing_precedence(precedence):
    """With allocation.rehousing_precedence, a to-be-rehoused household outranks any ordinary one;
    without it, the flag gives no points."""
    m = make_model(years=1, overrides={"allocation": {"rehousing_precedence": precedence}})
    a, b = _two_applicants(m)
    hh = m.households
    hh.rehouse[a] = True
    hh.app_date[a], hh.app_date[b] = 0, -300
    hh.priority[b] = True
    scoring.compute_keys(m, np.array([a, b]))
    assert (hh.key[a] > hh.key[b]) == precedence
    if not precedence:
        assert hh.key[a] == 0.0


@pytest.mark.parametrize("scenario", ["with_inline_scoring.yaml", "with_scoring_file.yaml"])
def test_custom_grid_from_yaml_changes_order(scenario):
    """A grid read from YAML (100 points hosted/homeless, 5 priority, 0.5 per month) puts a hosted
    applicant ahead of a priority one that the default grid ranks first, and trades seniority at
    0.5 point a month."""
    try:
        sc = load_scenario(DATA / "good" / scenario, overrides=RULES)
    except Exception as e:  # noqa: BLE001
        pytest.fail(f"MODEL BUG: {scenario} does not load ({type(e).__name__}: {str(e).splitlines()[0]}); "
                    "see test_scenarios.py::test_scenario_with_scoring_file_loads")
    custom = HousingModel(sc)
    default = make_model(years=1, overrides=RULES)
    pairs = {}
    for name, m in (("custom", custom), ("default", default)):
        hosted, prio = _two_applicants(m)
        m.households.hosted[hosted] = True
        m.households.priority[prio] = True
        scoring.compute_keys(m, np.array([hosted, prio]))
        pairs[name] = (hosted, prio)
    h, p = pairs["default"]
    assert default.households.key[p] > default.households.key[h], "default grid: priority first"
    h, p = pairs["custom"]
    key = custom.households.key
    assert key[h] > key[p], "custom grid: hosted first"
    np.testing.assert_allclose([key[h], key[p]], [100 + 0.5 * 6, 5 + 0.5 * 6])
    # seniority at 0.5 point a month: a neutral applicant needs a lead of > 200 months to pass
    hh = custom.households
    hh.priority[p] = False
    for lead, ahead in ((190, False), (210, True)):
        hh.app_date[p] = -6 - lead
        scoring.compute_keys(custom, np.array([h, p]))
        assert (key[p] > key[h]) == ahead, f"lead of {lead} months"


def test_grid_applies_from_scoring_from():
    """Before scoring_from the default grid ranks; from that month on, the scenario's grid."""
    sc = load_scenario(DATA / "good" / "with_inline_scoring.yaml",
                       overrides={"allocation": {"scoring_from": "2026-01"}})
    model = HousingModel(sc)
    assert scoring.active_grid(model) is scoring.DEFAULT_GRID
    model.month = 13
    assert scoring.active_grid(model) == sc.allocation.scoring


def test_scoring_criteria_for_tenants(m):
    """Overcrowded: more persons than rooms + 1; under-occupied: more rooms than persons + 1;
    transfer: is a tenant; hosted/homeless: never a tenant."""
    hh, dw = m.households, m.dwellings
    occ = np.flatnonzero(dw.status == OCCUPIED)[:3]
    h = dw.tenant[occ]
    dw.typology[occ] = [2, 5, 3]
    hh.adults[h], hh.kids_u14[h], hh.kids_14p[h] = [2, 1, 2], [2, 0, 1], [0, 0, 0]   # sizes 4, 1, 3
    hh.hosted[h] = True
    assert hh.state[h].tolist() == [TENANT] * 3
    assert scoring.criterion_mask(m, "overcrowded", h).tolist() == [True, False, False]
    assert scoring.criterion_mask(m, "underoccupied", h).tolist() == [False, True, False]
    assert scoring.criterion_mask(m, "transfer", h).tolist() == [True, True, True]
    assert scoring.criterion_mask(m, "hosted_or_homeless", h).tolist() == [False, False, False]


# ------------------------------------------------------------------- ranking in the allocation
def _neutral_commissions() -> dict:
    """Mix rules (and, when the schema has it, the usual steering practice) switched off."""
    from simulation.schema import MixRulesSpec

    rules = {"strength": 0.0}
    if "steering" in MixRulesSpec.model_fields:
        rules["steering"] = 0.0
    return {"allocation": {"mix_rules": rules}}


@pytest.fixture(scope="module")
def neutral_offers():
    """One year month by month with neutral commissions; for every dwelling offered to several
    candidates in a month, the candidates' ranking keys in the order they were offered."""
    m = make_model(years=1, overrides=_neutral_commissions())
    sequences = []
    for _ in range(12):
        m.step()
        O = {k: np.asarray(v) for k, v in m.allocator.offer_log.items()}
        sel = (O["month"] == m.month) & (O["holder"] >= 0)
        by_dwelling: dict[int, list] = {}
        for d, h, r in zip(O["dwelling"][sel].tolist(), O["household"][sel].tolist(), O["rank"][sel].tolist()):
            by_dwelling.setdefault(d, []).append((r, h))
        for d, offers in by_dwelling.items():
            if len(offers) > 1:
                offers.sort()
                sequences.append((m.month, d, [float(m.households.key[h]) for _, h in offers]))
    return sequences


def test_candidates_are_offered_in_score_order(neutral_offers):
    """Without mix rules the commission offers a dwelling to its candidates best score first
    (score = key + points_per_month x t, so key order is score order)."""
    assert len(neutral_offers) > 50, "too few refused offers to check the order"
    bad = [(mo, d, keys) for mo, d, keys in neutral_offers if any(np.diff(keys) > 1e-9)]
    assert not bad, f"{len(bad)} dwellings offered out of score order, e.g. {bad[:3]}"
