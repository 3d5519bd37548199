"""Life events, for every household in the model at once: income shocks and
employment, births, children ageing and leaving home, separations, ageing and deaths.

Rare demographic events are drawn from one uniform per household as competing risks (at most one
per household per month), which keeps a month's draws to two arrays whatever the population size.
"""

from __future__ import annotations

import numpy as np

from . import compiled, economy
from . import events as ev
from . import moves
from .hazard import monthly
from .population import draw_households, start_application
from .state import APPLICANT, GONE


_MORTALITY: dict[tuple, np.ndarray] = {}


def _mortality_table(le) -> np.ndarray:
    """Monthly death probability by whole year of age, from the Gompertz law q = exp(a + b * age)."""
    k = (le.mortality_gompertz_a, le.mortality_gompertz_b)
    t = _MORTALITY.get(k)
    if t is None:
        age = np.arange(121) + 0.5
        t = monthly(np.minimum(np.exp(k[0] + k[1] * age), 1.0))
        _MORTALITY[k] = t
    return t


def step(model) -> None:
    le = model.sc.behaviour.life_events
    hh = model.households
    rng = model.streams["life_events"]
    alive = np.flatnonzero(hh.state != GONE)
    n = alive.size
    if n == 0:
        return
    hh.age[alive] += np.float32(1.0 / 12.0)

    # income: AR(1) transitory deviation around a trend, updated each quarter (months 3, 6, 9, 12)
    # with the quarter's persistence; nominal growth each January; employment every month
    quarter = model.month % 3 == 0
    if quarter:
        rho = le.income_persistence ** 0.25
        sd = le.income_shock_sd * np.sqrt((1.0 - rho ** 2) / max(1.0 - le.income_persistence ** 2, 1e-9))
        dev_old = hh.income_dev[alive]
        dev_new = rho * dev_old + sd * rng.standard_normal(n)
        hh.income_dev[alive] = dev_new
        factor = np.exp(dev_new - dev_old)

    u = rng.random(n)
    emp = hh.employed[alive]
    which = competing_risks(le, u, emp, hh.adults[alive], hh.age[alive], hh.kids_u14[alive],
                            hh.kids_14p[alive])

    job = which == 0
    lose = job & emp
    find = job & ~emp
    if quarter:
        factor = np.where(lose, factor * le.out_of_work_income_ratio, factor)
        factor = np.where(find, factor / le.out_of_work_income_ratio, factor)
        hh.income[alive] *= factor
    else:
        hh.income[alive[lose]] *= le.out_of_work_income_ratio
        hh.income[alive[find]] /= le.out_of_work_income_ratio
    if economy.revalued_now(model, "income"):     # nominal growth (economy), each January
        hh.income[alive] *= 1.0 + economy.rate(model.sc, "income")
    hh.employed[alive[lose]] = False
    hh.employed[alive[find]] = True

    hh.kids_u14[alive[which == 2]] += 1
    aged = alive[which == 3]
    hh.kids_u14[aged] -= 1
    hh.kids_14p[aged] += 1

    leavers = alive[which == 4]
    hh.kids_14p[leavers] -= 1
    if leavers.size:
        apply = leavers[rng.random(leavers.size) < le.leavers_apply_share]
        _new_households(model, apply.size, rng, age=22.0,
                        income_uc=model.sc.population.applicant_income_uc_median * 0.8)

    seps = alive[which == 5]
    if seps.size:
        hh.adults[seps] = 1
        share = 0.45
        leaving_income = hh.income[seps] * share
        hh.income[seps] *= 1.0 - share
        apply = rng.random(seps.size) < le.separation_apply_share
        _new_households(model, int(apply.sum()), rng, age=None, income=leaving_income[apply],
                        ages=hh.age[seps][apply])

    deaths = alive[which == 1]
    if deaths.size:
        couple = hh.adults[deaths] > 1
        widowed = deaths[couple]
        hh.adults[widowed] = 1
        hh.income[widowed] *= 0.6
        dead = deaths[~couple]
        # a lone adult's death dissolves the household (children are assumed to leave the stock)
        moves.leave(model, dead, ev.DEATH)


def competing_risks(le, u, employed, adults, age, kids_u14, kids_14p) -> np.ndarray:
    """The month's event of each household, from its uniform u: each risk is a slice of [0, 1)
    (0 job change, 1 death, 2 birth, 3 a child turns 14, 4 a child leaves home, 5 separation), 6
    when u falls beyond them all. A large territory uses the compiled twin (compiled.competing_risks,
    the same doubles)."""
    args = (monthly(le.job_loss_rate), monthly(le.job_find_rate), monthly(le.birth_rate_couple),
            monthly(le.birth_rate_single), monthly(le.child_ageing_rate), monthly(le.child_leave_rate),
            monthly(le.separation_rate))
    draw = compiled.kernel(compiled.competing_risks) if u.size >= compiled.MIN_HOUSEHOLDS else None
    if draw is not None:
        return draw(u, employed, adults, age, kids_u14, kids_14p, _mortality_table(le), *args)
    p_loss, p_find, p_couple, p_single, r_ageing, r_leaving, p_separation = args
    p_job = np.where(employed, p_loss, p_find)
    p_death = _mortality_table(le)[np.minimum(age.astype(np.int64), 120)] * adults
    p_birth = np.where(age < 42, np.where(adults > 1, p_couple, p_single), 0.0)
    p_age = kids_u14 * r_ageing
    p_leave = kids_14p * r_leaving
    p_sep = np.where(adults > 1, p_separation, 0.0)
    total = p_job + p_death + p_birth + p_age + p_leave + p_sep
    hit = np.flatnonzero(u < total)
    edges = np.cumsum(np.vstack([p_job[hit], p_death[hit], p_birth[hit], p_age[hit], p_leave[hit],
                                 p_sep[hit]]), axis=0)
    which = np.full(u.size, 6, np.int8)
    which[hit] = (u[hit][None, :] >= edges).sum(axis=0)
    return which


def _new_households(model, k: int, rng, age=None, income_uc=None, income=None, ages=None) -> None:
    """Households formed in the territory (young adults leaving home, separated partners) who
    register as applicants."""
    if k <= 0:
        return
    p = model.sc.population
    h = draw_households(model, k, rng, size=np.ones(k, np.int64),
                        income_uc_median=income_uc or p.applicant_income_uc_median,
                        income_uc_sigma=p.applicant_income_uc_sigma, age_mean=age or 35.0)
    hh = model.households
    if income is not None:
        hh.income[h] = np.maximum(income, 1000.0)
    if ages is not None:
        hh.age[h] = ages
    hh.state[h] = APPLICANT
    start_application(model, h, rng)
    from .scoring import compute_keys
    compute_keys(model, h)
    model.log.add(ev.FORMED, h)
    model.ledger["entered"] += k
    model.month_formed += k
