"""Households: drawing new ones (initial tenants, initial applicants, inflow) consistent with the
territory (docs/model.md, entities). Composition, income per consumption unit, priority status, employment."""

from __future__ import annotations

import numpy as np

from . import economy
from .state import APPLICANT, OCCUPIED, TENANT, consumption_units

# the mediation commission decides within 3 months of the appeal (CCH R441-14): a DALO household's
# deadline runs from then (approximated from its application month)
DALO_RECOGNITION_MONTHS = 3


def _median(x: np.ndarray) -> float:
    """np.median of a 1-D array free of NaN, by sorting: the same value (the mean of the two middle
    values), without np.median's fixed cost, which dominated the draw of a few households."""
    s = np.sort(x)
    return 0.5 * (s[(s.size - 1) // 2] + s[s.size // 2])


def draw_households(model, k: int, rng: np.random.Generator, *, size: np.ndarray | None = None,
                    income_uc_median: float | np.ndarray, income_uc_sigma: float,
                    age_mean: float, age_sd: float = 14.0) -> np.ndarray:
    """Append k households with drawn composition and income; returns their indices."""
    p = model.sc.population
    hh = model.households
    idx = hh.add(k)
    if size is None:
        shares = np.array(p.household_size_shares, float)
        size = rng.choice(np.arange(1, 7), size=k, p=shares / shares.sum())
    size = np.asarray(size, np.int64)
    u = rng.random(k)
    couple = (size > 1) & (u < np.where(size == 2, 0.55, 0.70))
    adults = np.where(couple, 2, 1)
    kids = size - adults
    u14 = rng.binomial(kids, 0.7)
    hh.adults[idx] = adults
    hh.kids_u14[idx] = u14
    hh.kids_14p[idx] = kids - u14
    age = rng.normal(age_mean, age_sd, k)
    age = np.where(kids > 0, np.minimum(age, 58.0), age)
    hh.age[idx] = np.minimum(np.maximum(age, 18.0), 95.0)     # np.clip, with less overhead
    # medians are at start-year prices: brought to this year's incomes
    income_uc = np.exp(np.log(income_uc_median * economy.index(model, "income"))
                       + income_uc_sigma * rng.standard_normal(k))
    uc = consumption_units(adults, u14, kids - u14)
    hh.income[idx] = income_uc * uc
    rel = income_uc / _median(income_uc) if k > 0 else income_uc
    hh.employed[idx] = rng.random(k) < np.minimum(np.maximum(p.employed_share * rel ** 0.8, 0.02), 0.97)
    poor = income_uc < income_uc_median * economy.index(model, "income")
    hh.priority[idx] = rng.random(k) < p.priority_share * np.where(poor, 1.5, 0.5)
    hh.dalo[idx] = hh.priority[idx] & (rng.random(k) < p.dalo_share)
    hh.dalo_deadline[idx] = model.month + DALO_RECOGNITION_MONTHS + p.dalo_deadline_months
    hh.state_employee[idx] = hh.employed[idx] & (rng.random(k) < min(1.0, p.state_employee_share
                                                                     / max(p.employed_share, 1e-9)))
    hh.al_employee[idx] = hh.employed[idx] & (rng.random(k) < min(1.0, p.action_logement_share
                                                                   / max(p.employed_share, 1e-9)))
    hh.local[idx] = rng.random(k) < p.local_share
    hh.hosted[idx] = rng.random(k) < p.hosted_share * np.where(poor, 1.4, 0.6)
    m = model.sc.rehousing.attachment_mean
    hh.attachment[idx] = rng.beta(4.0 * m + 1e-3, 4.0 * (1.0 - m) + 1e-3, k)
    hh.created[idx] = model.month
    return idx


def populate(model, rng: np.random.Generator) -> None:
    """Initial tenants in a share of dwellings and an initial applicant pool sized by market tension."""
    p = model.sc.population
    dw, terr, hh = model.dwellings, model.territory, model.households
    n_d = dw.n
    occupied = np.flatnonzero(rng.random(n_d) < p.initial_occupancy)
    # household size fitted to the typology: mostly rooms-1, within one room
    rooms = dw.typology[occupied].astype(np.int64)
    size = np.clip(rooms - 1 + rng.choice([-1, 0, 0, 1], len(occupied)), 1, 6)
    size = np.where(rooms == 1, 1, size)
    rent_rel = dw.rent_m2[occupied] / np.average(dw.rent_m2, weights=dw.surface)
    qpv = terr.nb_qpv[dw.nbhd[occupied]]
    median = p.tenant_income_uc_median * rent_rel ** p.tenant_income_rent_elasticity \
        * np.where(qpv, p.qpv_income_factor, 1.0)
    # re-centre so the tenants' overall median stays the configured one
    if median.size:                       # no tenant at all: nothing to re-centre
        median = median * p.tenant_income_uc_median / np.median(median)
    # initial tenants drawn near the model's steady state (measured on the stylised town over 40
    # years): reference persons older and more spread than applicants (mean ~53, 10 % over 73),
    # employment at the steady rate of the job transitions; the spin-up does the rest
    t = draw_households(model, len(occupied), rng, size=size, income_uc_median=median,
                        income_uc_sigma=p.tenant_income_uc_sigma, age_mean=p.adult_age_mean + 9,
                        age_sd=16.0)
    le = model.sc.behaviour.life_events
    hh.employed[t] = rng.random(len(t)) < le.job_find_rate / max(le.job_find_rate + le.job_loss_rate, 1e-9)
    hh.state[t] = TENANT
    hh.dwelling[t] = occupied
    hh.entry_month[t] = model.month - rng.geometric(1 / 120.0, len(t))  # ~10 years in the dwelling
    hh.priority[t] &= rng.random(len(t)) < 0.6               # fewer recognised priority cases
    hh.dalo[t] = False                                       # housed: the right is met
    dw.status[occupied] = OCCUPIED
    dw.tenant[occupied] = t
    dw.vacant_since[:] = dw.listed_since[:] = model.month    # the others are vacant from now
    model.log.tenants_at_start = t.copy()

    n_app = int(round(model.sc.behaviour.demand.market_tension * expected_external_allocations(model)))
    a = new_applicants(model, n_app, rng)
    life = model.sc.behaviour.demand.application_lifetime_months
    hh.app_date[a] = model.month - rng.geometric(min(1.0, 1 / (0.6 * life)), n_app) + 1
    hh.app_expiry[a] = model.month + rng.geometric(min(1.0, 1 / life), n_app)
    hh.dalo_deadline[a] = hh.app_date[a] + DALO_RECOGNITION_MONTHS + p.dalo_deadline_months
    model.log.applicants_at_start = a.copy()


def dalo_recognised(model, h) -> np.ndarray:
    """DALO households among h whose right has been recognised by now (the mediation commission
    decides `DALO_RECOGNITION_MONTHS` after the application): before, they are priority households."""
    hh = model.households
    since = hh.dalo_deadline[h] - model.sc.population.dalo_deadline_months
    return hh.dalo[h] & (model.month >= since)


def dalo_recognised_one(model, h: int) -> bool:
    """dalo_recognised for one household, in plain Python (it runs for every move and offer)."""
    hh = model.households
    return bool(hh._dalo[h]) and model.month >= int(hh._dalo_deadline[h]) - model.sc.population.dalo_deadline_months


def expected_external_allocations(model) -> float:
    """Yearly allocations to external applicants expected at equilibrium: about the exit flow, which
    falls with market tension as the exit hazard does (exits.hazard)."""
    e = model.sc.behaviour.exits
    tension = (model.sc.behaviour.demand.market_tension / e.reference_tension) ** (-e.tension_elasticity)
    return model.dwellings.n * model.sc.population.initial_occupancy * e.base_rate * 1.25 * tension


def new_applicants(model, k: int, rng: np.random.Generator, *, size=None, income_uc_median=None) -> np.ndarray:
    """k new external applicants registering this month (wishes, application lapse pre-drawn)."""
    p = model.sc.population
    a = draw_households(model, k, rng, size=size,
                        income_uc_median=p.applicant_income_uc_median if income_uc_median is None
                        else income_uc_median,
                        income_uc_sigma=p.applicant_income_uc_sigma, age_mean=p.adult_age_mean - 4)
    hh = model.households
    hh.state[a] = APPLICANT
    start_application(model, a, rng)
    terr = model.territory
    wishes = rng.random(k) < 0.5
    w = terr.nb_attr + 0.05
    hh.wish_nbhd[a] = np.where(wishes, rng.choice(terr.n_nbhd, k, p=w / w.sum()), -1)
    return a


def start_application(model, h: np.ndarray, rng: np.random.Generator) -> None:
    """Register applications for households h this month; pre-draw the month they would lapse."""
    hh = model.households
    life = model.sc.behaviour.demand.application_lifetime_months
    hh.applying[h] = True
    hh.app_date[h] = model.month
    hh.app_expiry[h] = model.month + rng.geometric(min(1.0, 1 / life), len(h))
    hh.refusals[h] = 0
    hh.refusal_points[h] = 0.0
