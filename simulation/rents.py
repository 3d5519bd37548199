"""Rents: yearly indexation, rent policy at re-letting, the solidarity surcharge (SLS),
income ceilings and a simplified housing-benefit (APL) schedule giving the remaining cost.

All functions are vectorised over arrays of households and dwellings.
"""

from __future__ import annotations

import numpy as np

from .schema import FINANCINGS, date_to_month
from .state import OCCUPIED


def setup(model) -> None:
    """Pre-compute ceiling tables and the dates of the rent levers."""
    r = model.sc.rents
    base = np.array(r.ceilings_plus + [r.ceilings_plus[-1] + k * r.ceiling_per_extra_person
                                       for k in range(1, 10)])
    fin = np.array([r.ceiling_factor[f] for f in FINANCINGS])
    model.ceiling_table = fin[:, None] * base[None, :]     # [financing, size-1], EUR/year
    model.ceiling_growth = 1.0
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
    """Income ceiling (EUR/year) for households of `size` in dwellings of `financing`."""
    s = np.clip(size, 1, model.ceiling_table.shape[1]) - 1
    return model.ceiling_table[financing, s] * model.ceiling_growth


def apl(model, income: np.ndarray, size: np.ndarray, adults: np.ndarray, rent: np.ndarray) -> np.ndarray:
    """Monthly housing benefit (simplified APL) for a household paying `rent` (EUR/month, w/o charges)."""
    a = model.sc.rents.apl
    dependents = np.maximum(size - adults, 0)
    ceil = np.where(dependents > 0,
                    a.rent_ceiling_family + a.rent_ceiling_per_extra * np.maximum(dependents - 1, 0),
                    np.where(adults > 1, a.rent_ceiling_couple, a.rent_ceiling_single))
    g = model.ceiling_growth  # the schedule follows the same yearly revaluation
    lc = np.minimum(rent, ceil * g) + (a.flat_charges + a.flat_charges_per_dependent * dependents) * g
    rate = a.participation_rate / (1.0 + a.participation_rate_size_decline * (size - 1))
    floor = (a.income_floor + a.income_floor_per_person * (size - 1)) * g
    benefit = lc - a.min_participation * g - rate * np.maximum(income - floor, 0.0) / 12.0
    return np.where(benefit >= a.min_payment * g, benefit, 0.0)


def surcharge(model, income, size, financing, surface, is_qpv) -> np.ndarray:
    """Monthly SLS due by tenants whose income exceeds the ceiling by more than the threshold."""
    s = model.sc.rents.surcharge
    if not s.enabled:
        return np.zeros(len(income))
    ratio = income / ceiling(model, size, financing)
    cdr = np.maximum(s.coefficient_slope * ratio - 0.33, 0.0)
    due = (ratio > s.threshold) & ~(is_qpv & s.exempt_qpv)
    return np.where(due, surface * s.reference_eur_m2 * model.ceiling_growth * cdr, 0.0)


def costs(model, h: np.ndarray, d: np.ndarray, rent_m2: np.ndarray | None = None):
    """(remaining cost EUR/month, rent burden, residual income EUR/UC/month) for households h in
    dwellings d (aligned arrays). `rent_m2` overrides the dwellings' rent (e.g. a new lease)."""
    hh, dw = model.households, model.dwellings
    size = hh.size_of(h)
    adults = hh.adults[h]
    income = hh.income[h]
    rm2 = dw.rent_m2[d] if rent_m2 is None else rent_m2
    rent = rm2 * dw.surface[d] - dw.reduction[d]
    charges = model.sc.rents.charges_m2 * dw.surface[d] * model.ceiling_growth
    rc = rent + charges - apl(model, income, size, adults, rent)
    monthly = income / 12.0
    burden = rc / np.maximum(monthly, 1.0)
    uc = 1.0 + 0.5 * (adults - 1 + hh.kids_14p[h]) + 0.3 * hh.kids_u14[h]
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
    """January: index rents of leases and schedules, ceilings and the APL schedule; fix the single
    rent rate when it is applied. Every month: the SLS of over-ceiling tenants."""
    r = model.sc.rents
    if model.month > 1 and (model.month - 1) % 12 == 0:
        g = 1.0 + r.indexation
        model.dwellings.rent_m2[:] *= g
        model.territory.res_rent_m2 *= g
        if model.single_rent_rate is not None:
            model.single_rent_rate = model.single_rent_rate * g
        if getattr(model, "_rebalancing_means", None) is not None:
            m, a = model._rebalancing_means
            model._rebalancing_means = (m * g, a)
        model.ceiling_growth *= 1.0 + model.sc.behaviour.life_events.income_growth
    single = lever_active(model, "single_rent")
    if single is not None and model.single_rent_rate is None:
        model.single_rent_rate = _single_rates(model, single)
    dw, hh = model.dwellings, model.households
    occ = np.flatnonzero(dw.status == OCCUPIED)
    t = dw.tenant[occ]
    model.sls = np.zeros(dw.n)
    model.sls[occ] = surcharge(model, hh.income[t], hh.size_of(t), dw.financing[occ], dw.surface[occ],
                               model.territory.nb_qpv[dw.nbhd[occ]])


def eligible_income(model, income, size, d_fin, d_qpv) -> np.ndarray:
    """The income rule of eligibility: under the dwelling's ceiling, or under the waived ceiling in
    QPV when that lever applies. (allocation.Pool.base applies the same rule to the whole pool at
    once, one financing type at a time.)"""
    ceil = ceiling(model, size, d_fin)
    waiver = lever_active(model, "ceiling_waiver_qpv")
    if waiver is not None:
        ceil = np.where(d_qpv, ceil * waiver.factor, ceil)
    return income <= ceil
