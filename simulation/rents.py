"""Rents: yearly indexation, rent policy at re-letting, the solidarity surcharge (SLS),
income ceilings and a simplified housing-benefit (APL) schedule giving the remaining cost.

All functions are vectorised over arrays of households and dwellings.
"""

from __future__ import annotations

import numpy as np

from . import economy
from .schema import FINANCINGS, date_to_month
from .state import GONE, OCCUPIED

PLI = FINANCINGS.index("PLI")


# Official income ceilings, EUR/year, household categories 1..6 then per extra person (arrêté of
# 29 July 1987 as revalued for 2025 by the arrêté of December 2024, +2.47 %, IRL of Q3 2024). PLUS:
# the revalued table; PLAI other regions: the published 2025 figures; PLAI Île-de-France and Paris:
# the 2022 table x the PLUS revaluation 2022-2025 (within a few euros of the published figures).
OFFICIAL_CEILINGS = {
    2025: {
        "other_regions": {"PLUS": [23201, 30984, 37259, 44982, 52915, 59636, 6652],
                          "PLAI": [12759, 18590, 22357, 24874, 29103, 32797, 3658]},
        "ile_de_france": {"PLUS": [26687, 39885, 47944, 57429, 67984, 76504, 8524],
                          "PLAI": [14683, 23932, 28767, 31586, 37394, 42079, 4687]},
        "paris": {"PLUS": [26687, 39885, 52284, 62424, 74271, 83575, 9313],
                  "PLAI": [14683, 23932, 31370, 34339, 40848, 45970, 5121]},
    },
}
# PLS: PLUS + 30 %; PLI: intermediate-rent ceilings relative to PLUS (zones B2/C resp. A)
DEFAULT_FACTORS = {"other_regions": {"PLS": 1.3, "PLI": 1.41},
                   "ile_de_france": {"PLS": 1.3, "PLI": 1.67}, "paris": {"PLS": 1.3, "PLI": 1.67}}
N_CATEGORIES = 16      # columns of the ceiling table: categories 1..16


def ceiling_table(r) -> np.ndarray:
    """[financing, category-1] ceilings of the scenario's zone and year (EUR/year, before the
    model's revaluation `ceiling_growth`), with the scenario's overrides."""
    off = OFFICIAL_CEILINGS[r.ceilings_year][r.ceilings_zone]
    plus = list(r.ceilings_plus or off["PLUS"][:6])
    extra = r.ceiling_per_extra_person or off["PLUS"][6]
    plai = list(r.ceilings_plai or off["PLAI"][:6])
    extra_plai = off["PLAI"][6] * extra / off["PLUS"][6]
    more = np.arange(1, N_CATEGORIES - 5)
    plus = np.array(plus + (plus[-1] + more * extra).tolist())
    plai = np.array(plai + (plai[-1] + more * extra_plai).tolist())
    f = dict(DEFAULT_FACTORS[r.ceilings_zone], **(r.ceiling_factor or {}))
    rows = {"PLAI": plai, "PLUS": plus, "PLS": f["PLS"] * plus, "PLI": f["PLI"] * plus}
    return np.array([rows[name] for name in FINANCINGS])


def setup(model) -> None:
    """Pre-compute ceiling tables and the dates of the rent levers."""
    r = model.sc.rents
    model.ceiling_table = ceiling_table(r)     # [financing, category-1], EUR/year
    model.ceiling_growth = 1.0     # economy.index(model, "ceilings"), kept current by step()
    model.apl_growth = 1.0         # economy.index(model, "apl")
    model.price_index = 1.0        # economy.index(model, "prices")
    model.rls = np.zeros(model.dwellings.n)
    model.rls_tenant = np.full(model.dwellings.n, -1, np.int64)
    sy = model.sc.run.start_year
    model.single_rent_rate = None
    model.rent_levers = {}
    for name in ("single_rent", "rebalancing", "ceiling_waiver_qpv"):
        lever = getattr(r, name)
        if lever is not None:
            model.rent_levers[name] = (date_to_month(lever.start, sy),
                                       date_to_month(lever.end, sy) if lever.end else 10**9, lever)


def lever_active(model, name: str):
    """The lever's spec if it applies this month, else None."""
    item = model.rent_levers.get(name)
    if item and item[0] <= model.month <= item[1]:
        return item[2]
    return None


def ceiling(model, size: np.ndarray, financing: np.ndarray) -> np.ndarray:
    """Income ceiling (EUR/year) of household category `size` (= persons, for households whose
    category is their size) in dwellings of `financing`, this year."""
    s = np.clip(size, 1, model.ceiling_table.shape[1]) - 1
    return model.ceiling_table[financing, s] * model.ceiling_growth


def category(model, h: np.ndarray, composition: tuple | None = None) -> np.ndarray:
    """Official household category (1..) of households h (arrêté of 29 July 1987): the number of
    persons, except a single adult with dependents (one category up: a single parent with one
    child is category 3) and a young couple without dependents, ages summing to 55 or less
    (category 3; the partner is taken to be the reference person's age). `composition`: their
    (adults, size) when the caller has read them (Households.composition_of)."""
    if composition is None:
        composition = model.households.composition_of(h)[:2]
    adults, size = composition
    size = np.asarray(size, np.int64)
    dep = size - adults
    cat = np.where((adults == 1) & (dep > 0), size + 1, size)
    young = (adults == 2) & (dep == 0) & (2.0 * model.households.age[h] <= 55.0)
    return np.where(young, 3, cat)


def reference_income(model, h: np.ndarray) -> np.ndarray:
    """Tax reference income of year N-2 (EUR/year) tested against the ceilings: the income seen
    two Januaries ago, or, for households not yet seen then, the current income taken back by
    the years of income growth; times `reference_income_ratio`."""
    hh = model.households
    inc = hh.income_n2[h]                     # most households: seen two Januaries ago
    miss = np.flatnonzero(np.isnan(inc))
    if miss.size:                             # the fallbacks only for the few newcomers
        g = 1.0 + economy.rate(model.sc, "income")
        hm = np.asarray(h)[miss]
        n1 = hh.income_n1[hm]
        inc[miss] = np.where(np.isnan(n1), hh.income[hm] / g ** 2, n1 / g)
    inc *= model.sc.rents.reference_income_ratio
    return inc


def household_ceiling(model, h: np.ndarray, financing: np.ndarray) -> np.ndarray:
    """The ceiling (EUR/year) that applies to households h for dwellings of `financing`."""
    return ceiling(model, category(model, h), financing)


def is_social(model, d) -> bool | np.ndarray:
    """Social rental dwellings, the scope of the legal allocation indicators and of the SLS:
    not PLI (intermediate) and not flagged non-social (diversification)."""
    dw = model.dwellings
    return (dw.financing[d] != PLI) & dw.social[d]


def apl_schedule(a, g: float, size: np.ndarray, adults: np.ndarray):
    """The APL schedule's terms by composition (see `apl`): rent ceiling and flat charges (both
    revalued by g), participation rate and income floor."""
    dependents = np.maximum(size - adults, 0)
    ceil = np.where(dependents > 0,
                    a.rent_ceiling_family + a.rent_ceiling_per_extra * np.maximum(dependents - 1, 0),
                    np.where(adults > 1, a.rent_ceiling_couple, a.rent_ceiling_single))
    charges = (a.flat_charges + a.flat_charges_per_dependent * dependents) * g
    rate = a.participation_rate / (1.0 + a.participation_rate_size_decline * (size - 1))
    floor = (a.income_floor + a.income_floor_per_person * (size - 1)) * g
    return ceil * g, charges, rate, floor


def by_composition(schedule, size: np.ndarray, adults: np.ndarray):
    """The arrays of `schedule(size, adults)`, element for element, computed once per composition
    present on a small (adults, size) grid and gathered: a few thousand tenants already have far
    fewer compositions than rows, and the same arithmetic on the same values gives the same bits."""
    size = np.asarray(size)
    adults = np.asarray(adults)
    if size.size < 512:
        return schedule(size, adults)
    ns, na = int(size.max()) + 1, int(adults.max()) + 1
    grid_s = np.tile(np.arange(ns, dtype=size.dtype), na)
    grid_a = np.repeat(np.arange(na, dtype=adults.dtype), ns)
    cell = adults.astype(np.intp) * ns + size
    return tuple(np.asarray(t).take(cell) for t in schedule(grid_s, grid_a))


def apl(model, income: np.ndarray, size: np.ndarray, adults: np.ndarray, rent: np.ndarray) -> np.ndarray:
    """Monthly housing benefit (simplified APL) for a household paying `rent` (EUR/month, w/o charges)."""
    a = model.sc.rents.apl
    g = model.apl_growth  # the schedule's yearly revaluation (economy: apl)
    ceil, charges, rate, floor = by_composition(lambda s, ad: apl_schedule(a, g, s, ad), size, adults)
    lc = np.minimum(rent, ceil) + charges
    benefit = lc - a.min_participation * g - rate * np.maximum(income - floor, 0.0) / 12.0
    return np.where(benefit >= a.min_payment * g, benefit, 0.0)


def excess_coefficient(spec, ratio: np.ndarray) -> np.ndarray:
    """Coefficient of excess over the ceiling (CDR, CCH R441-21) for resources / ceiling `ratio`:
    `coefficient_at_threshold` at the threshold, plus, per point of excess, the slope of each
    bracket the excess runs through; 0 below the threshold."""
    e = (np.asarray(ratio, float) - 1.0) * 100.0
    cdr = np.full(e.shape, spec.coefficient_at_threshold)
    br = sorted(spec.coefficient_brackets)
    for j, (lo, slope) in enumerate(br):
        hi = br[j + 1][0] if j + 1 < len(br) else np.inf
        cdr += slope * np.clip(e - lo, 0.0, hi - lo)
    return np.where(ratio >= spec.threshold, cdr, 0.0)


def surcharge(model, income, size, financing, surface, is_qpv, rent=None, social=None) -> np.ndarray:
    """Monthly SLS (EUR) due by tenants with resources `income` (the tax reference income, EUR/year)
    of household category `size` in dwellings of `financing` and `surface`: surface x reference
    supplement x CDR, when resources reach the threshold x ceiling; capped so that `rent` + SLS is
    at most `resources_cap` of monthly resources (when `rent` is given). Exempt: QPV (with
    exempt_qpv), PLI dwellings, dwellings not `social`, exempted zones."""
    s = model.sc.rents.surcharge
    income = np.asarray(income, float)
    if not s.enabled or s.exempt_zone:
        return np.zeros(income.size)
    financing = np.asarray(financing)
    ratio = income / ceiling(model, size, financing)
    sls = np.asarray(surface, float) * s.reference_eur_m2 * model.ceiling_growth * excess_coefficient(s, ratio)
    exempt = (financing == PLI) | (np.asarray(is_qpv, bool) & s.exempt_qpv)
    if social is not None:
        exempt |= ~np.asarray(social, bool)
    sls = np.where(exempt, 0.0, sls)
    if rent is not None:
        sls = np.minimum(sls, np.maximum(s.resources_cap * income / 12.0 - np.asarray(rent, float), 0.0))
    return sls


def _rls_schedule(r, g: float, size: np.ndarray, adults: np.ndarray):
    """The RLS schedule by composition (see `rls_amount`): monthly resources ceiling and amount,
    both revalued by g."""
    adults = adults.astype(np.int64)
    dep = np.maximum(np.asarray(size, np.int64) - adults, 0)
    ceil_tab = np.asarray(r.ceilings_monthly, float)
    idx = np.where(dep > 0, 1 + np.minimum(dep, 6), adults - 1)
    ceil = (ceil_tab[idx] + r.ceiling_per_extra_dependent * np.maximum(dep - 6, 0)) * g
    amount = np.where(dep > 0, r.amount_one_dependent + r.amount_per_extra_dependent * (dep - 1),
                      np.where(adults > 1, r.amount_couple, r.amount_single)) * g
    return ceil, amount


def rls_amount(model, h: np.ndarray, d: np.ndarray, ref: np.ndarray | None = None) -> np.ndarray:
    """Monthly RLS (EUR) of tenants h in dwellings d: the amount of the household's composition
    when its monthly resources (tax reference income / 12) are under the RLS ceiling of that
    composition; social dwellings only (CCH L442-2-1). `ref`: reference_income(model, h) if the
    caller has it already."""
    r = model.sc.rents.rls
    if not r.enabled or len(h) == 0:
        return np.zeros(len(h))
    hh = model.households
    g = model.ceiling_growth
    adults, size, _ = hh.composition_of(h)
    ceil, amount = by_composition(lambda s, ad: _rls_schedule(r, g, s, ad), size, adults)
    ref = reference_income(model, h) if ref is None else ref
    ok = (ref / 12.0 <= ceil) & is_social(model, d)
    return np.where(ok, amount, 0.0)


def month_rls(model, h: np.ndarray, d: np.ndarray) -> np.ndarray:
    """The RLS (EUR/month) of tenants h in dwellings d this month: as `step` computed it for the
    tenancies in place then (the same inputs give the same amounts), computed only for those begun
    since (allocations, transfers, rehousing of the month)."""
    rls = model.rls[d]
    new = np.flatnonzero(model.rls_tenant[d] != h)
    if new.size:
        rls[new] = rls_amount(model, h[new], d[new])
    return rls


def costs(model, h: np.ndarray, d: np.ndarray, rent_m2: np.ndarray | None = None,
          rls: np.ndarray | None = None, household: tuple | None = None):
    """(remaining cost EUR/month, rent burden, residual income EUR/UC/month) for households h in
    dwellings d (aligned arrays). `rent_m2` overrides the dwellings' rent (e.g. a new lease); `rls`
    gives the households' RLS when the caller has it (month_rls); `household`, their (adults, size,
    consumption units, income) when the caller has read them (Households.composition_of)."""
    hh, dw = model.households, model.dwellings
    if household is None:
        adults, size, uc = hh.composition_of(h)
        income = hh.income[h]
    else:
        adults, size, uc, income = household
    rm2 = dw.rent_m2[d] if rent_m2 is None else rent_m2
    rent = rm2 * dw.surface[d] - dw.reduction[d]
    charges = model.sc.rents.charges_m2 * dw.surface[d] * model.price_index
    ben = apl(model, income, size, adults, rent)       # computed once, used twice with the RLS
    rc = rent + charges - ben
    if model.sc.rents.rls.enabled:
        # the RLS cuts the rent; the housing benefit falls by apl_offset of it (CCH L442-2-1)
        rls = rls_amount(model, h, d) if rls is None else rls
        rc = rc + ben - rls - np.maximum(ben - model.sc.rents.rls.apl_offset * rls, 0.0)
    monthly = income / 12.0
    burden = rc / np.maximum(monthly, 1.0)
    residual = (monthly - rc) / uc
    return rc, burden, residual


def reletting_rent_m2(model, d: int | np.ndarray) -> np.ndarray:
    """Rent per m2 of a new lease on dwelling(s) d under the rent policy in force."""
    dw, terr = model.dwellings, model.territory
    d = np.atleast_1d(d)
    base = terr.res_rent_m2[dw.residence[d]]
    single = lever_active(model, "single_rent")
    if single is not None:
        if model.single_rent_rate is None:
            model.single_rent_rate = _single_rates(model, single)
        rate = model.single_rent_rate
        return rate[dw.financing[d]] if single.by_financing else np.full(len(d), rate[0])
    reb = lever_active(model, "rebalancing")
    if reb is not None:
        attr = terr.residence_attractiveness()[dw.residence[d]]
        mean_rent, mean_attr = _stock_means(model)
        return mean_rent * (1.0 + reb.amplitude * (attr - mean_attr))
    return base


def _live_stock(model) -> np.ndarray:
    st = model.dwellings.status
    return st <= 2  # occupied, vacant or frozen


def _single_rates(model, spec) -> np.ndarray:
    """EUR/m2 for each financing (index) — revenue-neutral means on the stock at the start date."""
    dw = model.dwellings
    live = _live_stock(model)
    if spec.eur_m2 is not None:
        return np.full(len(FINANCINGS), spec.eur_m2 * model.ceiling_growth)
    w = dw.surface[live]
    overall = float((dw.rent_m2[live] * w).sum() / w.sum())
    rates = np.full(len(FINANCINGS), overall)
    if spec.by_financing:
        for f in range(len(FINANCINGS)):
            sel = live & (dw.financing == f)
            if sel.any():
                rates[f] = float((dw.rent_m2[sel] * dw.surface[sel]).sum() / dw.surface[sel].sum())
    return rates


def _stock_means(model):
    if getattr(model, "_rebalancing_means", None) is None:
        dw, terr = model.dwellings, model.territory
        live = _live_stock(model)
        w = dw.surface[live]
        mean_rent = float((dw.rent_m2[live] * w).sum() / w.sum())
        attr = terr.residence_attractiveness()[dw.residence[live]]
        model._rebalancing_means = (mean_rent, float((attr * w).sum() / w.sum()))
    return model._rebalancing_means


def step(model) -> None:
    """Revaluations (economy): rents of leases each January by the IRL, ceilings, prices and the APL
    schedule on their dates; fix the single rent rate when it is applied. Every month: the SLS of
    over-ceiling tenants."""
    if economy.revalued_now(model, "rents"):
        g = 1.0 + economy.rate(model.sc, "rents")
        model.dwellings.rent_m2[:] *= g
        model.territory.res_rent_m2 *= g
        if model.single_rent_rate is not None:
            model.single_rent_rate = model.single_rent_rate * g
        if getattr(model, "_rebalancing_means", None) is not None:
            m, a = model._rebalancing_means
            model._rebalancing_means = (m * g, a)
    model.ceiling_growth = economy.index(model, "ceilings")
    model.apl_growth = economy.index(model, "apl")
    model.price_index = economy.index(model, "prices")
    single = lever_active(model, "single_rent")
    if single is not None and model.single_rent_rate is None:
        model.single_rent_rate = _single_rates(model, single)
    dw = model.dwellings
    occ = np.flatnonzero(dw.status == OCCUPIED)
    t = dw.tenant[occ].astype(np.intp)         # household rows as numpy gathers them fastest
    if model.month % 12 == 1:
        yearly_survey(model, t, occ)
    model.sls = np.zeros(dw.n)
    model.rls = np.zeros(dw.n)
    s = model.sc.rents.surcharge
    ref = reference_income(model, t)          # once for the SLS and the RLS
    if s.enabled and not s.exempt_zone and occ.size:
        # only tenants at or over the threshold can owe anything (the SLS is 0 below it): the
        # schedule runs on those few, the same arithmetic as on all
        # first against the lowest ceiling of the financing: whoever is under the threshold there
        # is under it for any household category
        fin = dw.financing[occ]
        lowest = model.ceiling_table.min(axis=1)
        near = np.flatnonzero(ref / (lowest[fin] * model.ceiling_growth) >= s.threshold)
        cat = category(model, t[near])
        over = ref[near] / ceiling(model, cat, fin[near]) >= s.threshold
        due = near[over]
        od = occ[due]
        rent = dw.rent_m2[od] * dw.surface[od] - dw.reduction[od]
        model.sls[od] = surcharge(model, ref[due], cat[over], fin[due], dw.surface[od],
                                  model.territory.nb_qpv[dw.nbhd[od]], rent=rent, social=dw.social[od])
    model.rls[occ] = rls_amount(model, t, occ, ref)
    model.rls_tenant = np.full(dw.n, -1, np.int64)     # whose RLS it is (see month_rls)
    model.rls_tenant[occ] = t


def yearly_survey(model, t: np.ndarray, occ: np.ndarray) -> None:
    """January: shift the income history (the tax reference income is year N-2's) and run the
    resources survey behind the loss of the right to stay (CCH L442-3-3): in a tense area, a tenant
    of a social dwelling outside QPV, under `loss_of_right_min_age`, whose resources exceeded
    `loss_of_right_ratio` x the ceiling for `loss_of_right_years` surveys in a row has
    `loss_of_right_notice_months` to leave; resources back under the ceiling restore the right."""
    hh, dw = model.households, model.dwellings
    alive = np.flatnonzero(hh.state != GONE)
    if model.month > 1:
        hh.income_n2[alive] = hh.income_n1[alive]
        hh.income_n1[alive] = hh.income[alive]
    s = model.sc.rents.surcharge
    if t.size == 0:
        return
    ratio = reference_income(model, t) / ceiling(model, category(model, t), dw.financing[occ])
    over = ratio > s.loss_of_right_ratio
    hh.over150_years[t] = np.where(over, np.minimum(hh.over150_years[t] + 1, 100), 0)
    hh.stay_until[t[ratio <= 1.0]] = -1
    if not s.tense_area:
        return
    qpv = model.territory.nb_qpv[dw.nbhd[occ]]
    lose = (over & (hh.over150_years[t] >= s.loss_of_right_years) & (hh.stay_until[t] < 0)
            & ~qpv & is_social(model, occ) & (hh.age[t] < s.loss_of_right_min_age))
    hh.stay_until[t[lose]] = model.month + s.loss_of_right_notice_months


def eligible_income(model, income, size, d_fin, d_qpv) -> np.ndarray:
    """The income rule of eligibility: under the dwelling's ceiling, or under the waived ceiling in
    QPV when that lever applies. (allocation.Pool.base applies the same rule to the whole pool at
    once, one financing type at a time.)"""
    ceil = ceiling(model, size, d_fin)
    waiver = lever_active(model, "ceiling_waiver_qpv")
    if waiver is not None:
        ceil = np.where(d_qpv, ceil * waiver.factor, ceil)
    return income <= ceil
