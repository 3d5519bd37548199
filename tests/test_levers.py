"""Behaviour tests of the policy levers: they fail when a lever stops working.

a. A baseline and a variant whose policy starts at a date have identical indicator tables before the
   policy's first month and different ones afterwards (named random streams).
b. Direction of the policy stylised facts (docs/model.md) on the stylised town: 3 seeds, 12 years, means over
   seeds, one `compare()` call for all scenarios (built once, by one xdist worker: tests/conftest.py).
c. Unit-level checks of single levers on small runs: demolition, reconstitution, sale, single rent,
   SLS, ceiling waiver, rehousing cost cap.

Month 1 is January of run.start_year (2025), so a lever starting 2027-01 acts from month 25.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import make_model
from simulation import rents, scoring
from simulation.allocation import Pool
from simulation.compare import compare, effects
from simulation.model import HousingModel
from simulation.scenario import load_scenario
from simulation.schema import FINANCINGS, date_to_month
from simulation.state import DEMOLISHED, FROZEN, OCCUPIED, SOLD

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
PLUS = FINANCINGS.index("PLUS")


def _run(name: str, years: int, seed: int | None = None, overrides: dict | None = None) -> HousingModel:
    ov = {"run": {"years": years}}
    if seed is not None:
        ov["run"]["seed"] = seed
    if overrides:
        ov.update(overrides)
    m = HousingModel(load_scenario(SCENARIOS / f"{name}.yaml", ov))
    m.run()
    return m


# ============================================================== a. identical before the policy date

YEARS_A = 4

# variant -> where its policy date is written (checked against the file, so the test follows edits)
DATED_VARIANTS = {
    "single_rent": lambda sc: sc.rents.single_rent.start,
    "rent_rebalancing": lambda sc: sc.rents.rebalancing.start,
    "ceiling_waiver_qpv": lambda sc: sc.rents.ceiling_waiver_qpv.start,
    "choice_based_letting_qpv": lambda sc: sc.allocation.choice_based_letting[0].start,
    "legal_quotas": lambda sc: sc.allocation.legal_quotas.start,
    "occupancy_review": lambda sc: sc.allocation.occupancy_review.start,
    "scoring_need_first": lambda sc: sc.allocation.scoring_from,
    "scoring_mix_targets": lambda sc: sc.allocation.scoring_from,
    "scoring_seniority_first": lambda sc: sc.allocation.scoring_from,
    "renewal_tour_a": lambda sc: sc.works[0].announce,
    "renewal_demolition": lambda sc: sc.works[0].announce,
    "demolition_year3_single_rent": lambda sc: sc.works[0].announce,
    "sale": lambda sc: sc.works[0].date,
}


def _plain(df: pd.DataFrame) -> pd.DataFrame:
    """Indicator rows with categoricals as plain values (categories differ with later rows)."""
    out = df.reset_index(drop=True).copy()
    for c in out.columns:
        if isinstance(out[c].dtype, pd.CategoricalDtype):
            out[c] = out[c].astype(object)
    return out


@pytest.fixture(scope="module")
def baseline_short() -> pd.DataFrame:
    return _run("baseline", YEARS_A).indicators()


@pytest.mark.parametrize("variant", sorted(DATED_VARIANTS))
def test_variant_identical_before_policy_date_and_different_after(variant, baseline_short):
    sc = load_scenario(SCENARIOS / f"{variant}.yaml", {"run": {"years": YEARS_A}})
    first = date_to_month(DATED_VARIANTS[variant](sc), sc.run.start_year)
    assert 1 < first <= YEARS_A * 12 - 12, f"{variant}: policy month {first} outside the test horizon"
    m = HousingModel(sc)
    m.run()
    var, base = m.indicators(), baseline_short
    before_v, before_b = _plain(var[var.month < first]), _plain(base[base.month < first])
    assert len(before_b) > 0
    pd.testing.assert_frame_equal(before_v, before_b, check_exact=True,
                                  obj=f"{variant} vs baseline before month {first}")
    after_v, after_b = _plain(var[var.month >= first]), _plain(base[base.month >= first])
    if len(after_v) == len(after_b):
        same = (after_v[["month", "scale", "area", "indicator"]].equals(after_b[["month", "scale", "area", "indicator"]])
                and np.array_equal(after_v["value"].to_numpy(float), after_b["value"].to_numpy(float),
                                   equal_nan=True))
        assert not same, f"{variant}: indicators identical to the baseline after month {first}: the lever did nothing"


# ============================================================== b. policy stylised facts (directions)

FACT_SCENARIOS = ("baseline", "single_rent", "renewal_tour_a", "rehousing_outside_qpv",
                  "scoring_need_first", "scoring_mix_targets", "choice_based_letting_qpv",
                  "renewal_demolition")
FACT_SEEDS = [1, 2, 3, 4, 5]
FACT_YEARS = 12
FACT_FROM_YEAR = 2028


def _compute_facts() -> pd.DataFrame:
    """In this process: the xdist worker that runs the fact tests is already one of the machine's
    cores, so a Dask cluster of its own would only compete with the other workers."""
    return compare([SCENARIOS / f"{n}.yaml" for n in FACT_SCENARIOS], FACT_SEEDS, years=FACT_YEARS,
                   from_year=FACT_FROM_YEAR, workers=1)


# Every test reading the fact table (directly or through `facts`) is put in one xdist group by
# tests/conftest.py, so one worker builds the table once while the other runs the rest of the suite.


@pytest.fixture(scope="module")
def fact_table() -> pd.DataFrame:
    """The compare() table of all fact scenarios, computed once by the worker running the group."""
    return _compute_facts()


@pytest.fixture(scope="module")
def facts(fact_table) -> pd.DataFrame:
    """effects() against the baseline, indexed by (scenario, metric): mean over seeds and effect."""
    return effects(fact_table, "baseline").set_index(["scenario", "metric"])


def _mean(facts, scenario, metric) -> float:
    return float(facts.loc[(scenario, metric), "mean"])


def _effect(facts, scenario, metric) -> float:
    return float(facts.loc[(scenario, metric), "effect"])


def test_single_rent_opens_outside_qpv_with_little_effect_in_qpv(facts):
    """More Q1 households are housed outside QPV (allocations, averaged over the years after the
    policy), while the Q1 share of QPV tenants (averaged over the same months) moves by less than 3
    points: the single rent does not by itself change who lives in QPV. Measured from a steady
    start: about +1.4 points on Q1 allocations outside QPV over 10 seeds (+0.9 on these 5); the
    threshold is half a point."""
    alloc_out = _effect(facts, "single_rent", "q1_share_allocations_outside_qpv")
    tenants_out = _effect(facts, "single_rent", "q1_share_tenants_outside_qpv_mean")
    qpv = _effect(facts, "single_rent", "q1_share_tenants_qpv_mean")
    assert alloc_out > 0.005, f"single rent should raise Q1 allocations outside QPV (effect {alloc_out:+.4f})"
    assert tenants_out > 0, f"single rent should raise the Q1 share of tenants outside QPV ({tenants_out:+.4f})"
    assert abs(qpv) < 0.03, f"single rent should change QPV occupancy little (effect {qpv:+.4f})"


def test_solvent_households_leave_rather_than_be_rehoused(facts):
    q34 = _mean(facts, "renewal_tour_a", "to_rehouse_q34_left_share")
    q1 = _mean(facts, "renewal_tour_a", "to_rehouse_q1_left_share")
    assert q34 > q1, (f"to-be-rehoused Q3-Q4 households should leave social housing more often than Q1 "
                      f"ones: Q3-Q4 {q34:.3f}, Q1 {q1:.3f}")


def test_rehousing_targets_reach_outside_qpv(facts):
    tgt = _mean(facts, "rehousing_outside_qpv", "rehoused_outside_qpv_share")
    dflt = _mean(facts, "renewal_tour_a", "rehoused_outside_qpv_share")
    assert tgt > dflt, f"a 50 % outside-QPV target should rehouse more outside QPV: {tgt:.3f} vs {dflt:.3f}"


@pytest.mark.xfail(strict=False, reason=(
    "known gap: over 10 seeds the site's mean Q1 share is 0.322 with "
    "targeted, capped rehousing vs 0.315 with default rehousing. Households rehoused on the site "
    "are less poor than the applicants that ordinary allocation (steering Q1 first in QPV) puts "
    "in the site's vacancies instead, so moving rehousing off the site does not improve it."))
def test_targeted_rehousing_improves_site_mix(facts):
    tgt = _mean(facts, "rehousing_outside_qpv", "q1_share_tenants_site_mean")
    dflt = _mean(facts, "renewal_tour_a", "q1_share_tenants_site_mean")
    assert tgt < dflt, (f"rehousing targeted outside QPV with the ANRU rent reduction should leave a "
                        f"lower Q1 share on the site than default rehousing: {tgt:.4f} vs {dflt:.4f}")


def test_need_first_scoring_conflicts_with_mix(facts):
    q1 = _effect(facts, "scoring_need_first", "q1_share_allocations_qpv")
    q2q4 = _effect(facts, "scoring_need_first", "q2q4_share_allocations_in_qpv")
    assert q1 > 0, f"need-first scoring should raise the Q1 share of allocations in QPV (effect {q1:+.4f})"
    assert q2q4 < 0, f"need-first scoring should lower the Q2-Q4 share of allocations in QPV (effect {q2q4:+.4f})"


def test_mix_targets_restore_mix(facts):
    mix = _mean(facts, "scoring_mix_targets", "q2q4_share_allocations_in_qpv")
    need = _mean(facts, "scoring_need_first", "q2q4_share_allocations_in_qpv")
    assert mix > need, (f"explicit mix exceptions for target residences should raise the Q2-Q4 share of "
                        f"allocations in QPV above need-first scoring: {mix:.4f} vs {need:.4f}")


def test_choice_based_letting_in_qpv(facts):
    q1 = _effect(facts, "choice_based_letting_qpv", "q1_share_allocations_qpv")
    ref = _effect(facts, "choice_based_letting_qpv", "refusal_rate_qpv")
    assert q1 > 0, f"choice-based letting in QPV should attract the poorest (Q1 allocations in QPV {q1:+.4f})"
    assert ref < 0, f"choice-based letting in QPV should cut refusals (refusal rate in QPV {ref:+.4f})"


def test_demolishing_15_percent_barely_changes_site_mix(facts):
    """Demolishing ~15 % of the site with no allocation lever moves the site's Q1 share (averaged
    over the months after the works start) by less than 3 points, and by less than a third of what
    a need-first scoring grid does to it."""
    e = _effect(facts, "renewal_demolition", "q1_share_tenants_site_mean")
    lever = _effect(facts, "scoring_need_first", "q1_share_tenants_site_mean")
    assert abs(e) < 0.03, f"demolishing ~15 % of the site alone should change its Q1 share little ({e:+.4f})"
    assert abs(e) < abs(lever) / 3, (f"demolition effect {e:+.4f} is not small next to the need-first "
                                     f"grid's {lever:+.4f}")


# ============================================================== c. unit-level lever checks

@pytest.fixture(scope="module")
def tour_a():
    """Tour A announced 2027-01 (month 25), demolished 2030-01 (month 61): 6 years."""
    return _run("renewal_tour_a", years=6)


def test_demolition_empties_and_demolishes_the_residence(tour_a):
    m = tour_a
    sc = m.sc
    announce = date_to_month(sc.works[0].announce, sc.run.start_year)
    demolish = date_to_month(sc.works[0].demolish, sc.run.start_year)
    res = m.territory.residences_named("Tilleuls - Tour A")
    d = np.flatnonzero(np.isin(m.dwellings.residence, res))
    assert d.size == 220
    assert (m.dwellings.status[d] == DEMOLISHED).all()
    assert (m.dwellings.tenant[d] == -1).all()
    assert not np.isin(m.households.dwelling, d).any(), "a household still lives in a demolished dwelling"
    ev = m.events()
    dem = ev[ev.event == "demolished"]
    # demolished once empty: on its date, or later if households were still to be rehoused (the
    # date slips, nobody is put out)
    slip = m.works.slippage()[0]
    assert len(dem) == 220 and dem.month.max() == slip["demolished_month"]
    assert dem.month.max() <= demolish + slip["slippage_months"]
    assert (ev.event == "forced_exit").sum() == 0
    # planned vacancy: nobody moves into the residence once it is announced
    moved_in = ev[ev.event.isin(["allocated", "transferred", "rehoused", "returned"])
                  & ev.dwelling.isin(d) & (ev.month >= announce)]
    assert moved_in.empty, "dwellings of a residence announced for demolition were let again"
    # every flagged tenant was rehoused or left social housing
    flagged = ev[ev.event == "to_rehouse"]
    assert len(flagged) > 100 and (flagged.month == announce).all()
    later = ev[ev.household.isin(flagged.household) & (ev.month >= announce)]
    fate = later[later.event.isin(["rehoused", "exit", "death", "forced_exit"])].groupby("household").size()
    missing = sorted(set(flagged.household) - set(fate.index))
    assert not missing, f"flagged households neither rehoused nor gone: {missing[:10]}"
    assert (later.event == "rehoused").sum() > 0
    assert len(m.rehousing.log["household"]) == int((later.event == "rehoused").sum())


def _live(m) -> int:
    return int((m.dwellings.status <= FROZEN).sum())


def test_reconstitution_adds_dwellings_at_its_date():
    works = [{"type": "reconstitution", "date": "2025-06", "neighbourhood": "Les Coteaux",
              "landlord": "Habitat Brague (OPH)", "dwellings": 40, "financing": "PLAI",
              "name": "Coteaux - Test"}]
    m = make_model(years=1, overrides={"works": works})
    m.run(5)
    n_before, live_before = m.dwellings.n, _live(m)
    assert "Coteaux - Test" not in m.territory.res_names
    m.run(1)                                                     # month 6 = 2025-06
    assert m.dwellings.n == n_before + 40
    assert _live(m) == live_before + 40
    r = m.territory.res_names.index("Coteaux - Test")
    new = np.flatnonzero(m.dwellings.residence == r)
    assert new.size == 40
    assert (m.dwellings.nbhd[new] == m.territory.nb_names.index("Les Coteaux")).all()
    assert (m.dwellings.financing[new] == FINANCINGS.index("PLAI")).all()
    assert (m.dwellings.built[new] == 2025).all()
    m.run(6)
    assert (m.dwellings.status[new] == OCCUPIED).sum() > 0, "reconstituted dwellings were never let"


def test_sale_reduces_the_stock_by_the_given_count():
    works = [{"type": "sale", "date": "2025-03", "residence": "Centre - Halles", "dwellings": 5}]
    m = make_model(years=3, overrides={"works": works})
    live0 = _live(m)
    m.run(2)
    assert (m.dwellings.status == SOLD).sum() == 0, "dwellings sold before the sale date"
    m.run()
    sold = np.flatnonzero(m.dwellings.status == SOLD)
    assert sold.size == 5
    assert set(m.dwellings.residence[sold]) == set(m.territory.residences_named("Centre - Halles"))
    assert (m.dwellings.tenant[sold] == -1).all()
    assert _live(m) == live0 - 5
    ev = m.events()
    assert (ev.event == "sold").sum() == 5 and ev[ev.event == "sold"].month.min() >= 3


@pytest.mark.parametrize("by_financing", [True, False])
def test_single_rent_equalises_reletting_rents(by_financing):
    m = _run("single_rent", years=3, overrides={"rents": {"single_rent": {"start": "2027-01",
                                                                          "by_financing": by_financing}}})
    first = date_to_month("2027-01", m.sc.run.start_year)
    dw, hh = m.dwellings, m.households
    occ = np.flatnonzero(dw.status == OCCUPIED)
    entry = hh.entry_month[dw.tenant[occ]]
    new, old = occ[entry >= first], occ[(entry < first) & (entry >= 1)]
    assert new.size > 100
    fins = np.unique(dw.financing[new])
    assert len(fins) >= 2
    rates = {}
    for f in fins:
        r = dw.rent_m2[new[dw.financing[new] == f]]
        assert np.ptp(r) <= 1e-9 * r.max(), f"{FINANCINGS[f]}: rents/m2 let after the start differ: {np.unique(r)}"
        rates[f] = r[0]
        o = dw.rent_m2[old[dw.financing[old] == f]]
        if f == PLUS:
            assert np.ptp(o) > 0.1, "before the single rent, PLUS rents/m2 should vary with era"
    spread = np.ptp(list(rates.values()))
    if by_financing:
        assert spread > 0.1, f"one rate per financing type expected, got {rates}"
    else:
        assert spread <= 1e-9 * max(rates.values()), f"one rate for the whole stock expected, got {rates}"


def test_surcharge_zero_in_qpv_positive_outside():
    m = make_model(years=1)
    size = np.array([2, 2, 2])
    fin = np.array([PLUS, PLUS, PLUS])
    ceil = rents.ceiling(m, size, fin)
    income = ceil * np.array([2.0, 2.0, 0.9])
    surface = np.array([65.0, 65.0, 65.0])
    is_qpv = np.array([True, False, False])
    sls = rents.surcharge(m, income, size, fin, surface, is_qpv)
    s = m.sc.rents.surcharge
    assert sls[0] == 0.0, "QPV tenants are exempt from the SLS"
    # excess 100 %: CDR = 0.27 + 40 points x 0.06 + 40 points x 0.08 (R441-21)
    assert sls[1] == pytest.approx(65.0 * s.reference_eur_m2 * (0.27 + 40 * 0.06 + 40 * 0.08))
    assert sls[1] > 0
    assert sls[2] == 0.0, "a tenant under the ceiling pays no SLS"
    m2 = make_model(years=1, overrides={"rents": {"surcharge": {"exempt_qpv": False}}})
    assert rents.surcharge(m2, income, size, fin, surface, is_qpv)[0] > 0
    # in a run: the monthly SLS is never charged in QPV
    qpv_d = m.territory.nb_qpv[m.dwellings.nbhd]
    assert (m.sls[qpv_d] == 0).all()


def _over_ceiling_applicant(m, factor: float) -> int:
    """An external applicant of 2 persons moved just above the PLUS ceiling, ranked first, eligible
    for every reservation holder's public."""
    hh = m.households
    cand = np.flatnonzero(hh.applying & (hh.dwelling < 0) & (hh.size == 2))
    h = int(cand[0])
    hh.adults[h], hh.kids_u14[h], hh.kids_14p[h], hh.age[h] = 2, 0, 0, 40.0   # category 2
    hh.income_n1[h] = hh.income_n2[h] = np.nan
    g = 1.0 + m.sc.economy.income_growth
    ceil = float(rents.ceiling(m, np.array([2]), np.array([PLUS]))[0])
    # year N-2's tax income (current income taken back two years, x the tax ratio) at factor x ceiling
    hh.income[h] = factor * ceil * g ** 2 / m.sc.rents.reference_income_ratio
    hh.priority[h] = hh.al_employee[h] = hh.local[h] = True
    hh.app_expiry[h] = 10**9
    hh.review_points[h] = 1e6          # kept when keys are recomputed (every January)
    scoring.compute_keys(m, np.array([h]))
    return h


def test_ceiling_waiver_makes_over_ceiling_households_eligible_in_qpv_only():
    overrides = {"rents": {"ceiling_waiver_qpv": {"start": "2025-01", "factor": 1.3}},
                 "allocation": {"mix_rules": {"strength": 0.0, "steering": 0.0}}}
    m = make_model(years=1, overrides=overrides)
    m.month = 1                                              # the lever applies from month 1
    size, fin = np.array([2, 2]), np.array([PLUS, PLUS])
    inc = 1.15 * rents.ceiling(m, size, fin)
    assert rents.eligible_income(m, inc, size, fin, np.array([True, False])).tolist() == [True, False]
    base = make_model(years=1, overrides={"allocation": overrides["allocation"]})
    base.month = 1
    assert rents.eligible_income(base, inc, size, fin, np.array([True, False])).tolist() == [False, False]
    # the allocation pool: the waived ceiling admits the household, the ordinary one does not
    m.month = 0
    h = _over_ceiling_applicant(m, 1.15)
    pool = Pool(m)
    p = int(np.flatnonzero(pool.ids == h)[0])
    assert pool.base(PLUS, 2, 1.3)[p] and not pool.base(PLUS, 2, None)[p]
    # in allocation: offers of PLUS dwellings to the over-ceiling household are in QPV only
    hb = _over_ceiling_applicant(base, 1.15)
    for model, hid, waived in ((m, h, True), (base, hb, False)):
        model.run(3)
        off = model.offers()
        off = off[off.household == hid]
        d = off.dwelling.to_numpy()
        in_qpv = model.territory.nb_qpv[model.dwellings.nbhd[d]]
        plus = model.dwellings.financing[d] == PLUS
        assert not (plus & ~in_qpv).any(), "an over-ceiling household was offered a PLUS dwelling outside QPV"
        if waived:
            assert (plus & in_qpv).any(), "the waiver gave the over-ceiling household no QPV offer"
        else:
            assert not (plus & in_qpv).any(), "without the waiver an over-ceiling household got a QPV offer"
