"""A territory's own aggregate figures turned into the population and behaviour parameters they
determine, so that the initial tenants and applicants are drawn by the usual code
(`population.populate`) from distributions that reproduce those figures at the start.

- Q1 threshold T (EUR/UC/year): applicants' income per UC is lognormal with log-sd s_a, so its
  first quartile is T when the median is T * exp(0.6745 * s_a).
- Q1 shares of tenants in QPV and outside: initial tenants' median income per UC is set per
  dwelling by `populate` (overall median x (rent/mean rent)^e x qpv factor, re-centred); the
  overall median and the QPV factor are solved so that the expected share under T in each group
  matches (two nested bisections over the residences, using the stock the scenario describes).
- Applicants and allocations: the initial pool is market_tension x expected yearly external
  allocations, and those follow the exit rate; both are set from the figures.
- Priority share and vacancy rate map to one parameter each.
"""

from __future__ import annotations

import math

import numpy as np

from .schema import TYPOLOGIES

Z25 = 0.6744897501960817          # -Phi^-1(0.25)
ALLOC_PER_EXIT = 1.25              # population.expected_external_allocations: exits x 1.25


def _tension(t: float) -> float:
    """Applications per allocation within the schema's bounds [1, 50]."""
    return min(50.0, max(1.0, t))


def _phi(x: np.ndarray) -> np.ndarray:
    """Standard normal CDF (Abramowitz & Stegun 7.1.26 for erf, error under 2e-7)."""
    z = np.asarray(x, float) / math.sqrt(2.0)
    t = 1.0 / (1.0 + 0.3275911 * np.abs(z))
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    erf = 1.0 - poly * np.exp(-z * z)
    return 0.5 * (1.0 + np.sign(z) * erf)


def apply_local_figures(sc) -> None:
    """Replace, in scenario `sc`, the parameters its local_figures determine (in place, without
    re-validation: the values are computed within their bounds)."""
    lf = sc.local_figures
    pop = sc.population.model_dump()
    beh = sc.behaviour.model_dump()
    if lf.q1_threshold_eur_uc is not None:
        pop["applicant_income_uc_median"] = lf.q1_threshold_eur_uc * math.exp(
            Z25 * pop["applicant_income_uc_sigma"])
    if lf.priority_share is not None:
        pop["priority_share"] = lf.priority_share
    if lf.vacancy_rate is not None:
        pop["initial_occupancy"] = 1.0 - lf.vacancy_rate
    n_dwell = _dwellings(sc)
    ex = beh["exits"]
    # exits (hence allocations) fall with tension as (tension / reference)^-elasticity
    damp = lambda t: (t / ex["reference_tension"]) ** (-ex["tension_elasticity"])
    stock = n_dwell * pop["initial_occupancy"] * ALLOC_PER_EXIT
    if lf.allocations_per_year is not None:
        if lf.applicants is not None:
            beh["demand"]["market_tension"] = _tension(lf.applicants / max(lf.allocations_per_year, 1e-9))
        t = beh["demand"]["market_tension"]
        ex["base_rate"] = min(1.0, lf.allocations_per_year / (stock * damp(t)))
    elif lf.applicants is not None:
        # applicants = T x stock x base_rate x (T / ref)^-e, solved for T (e < 1)
        e = min(ex["tension_elasticity"], 0.95)
        a0 = stock * ex["base_rate"] * ex["reference_tension"] ** e
        beh["demand"]["market_tension"] = _tension((lf.applicants / max(a0, 1e-9)) ** (1.0 / (1.0 - e)))
    if lf.q1_share_tenants_qpv is not None or lf.q1_share_tenants_outside_qpv is not None:
        threshold = lf.q1_threshold_eur_uc or _applicant_q1(pop)
        median, factor = solve_tenant_incomes(sc, threshold, lf.q1_share_tenants_qpv,
                                              lf.q1_share_tenants_outside_qpv, pop)
        pop["tenant_income_uc_median"] = median
        pop["qpv_income_factor"] = factor
    object.__setattr__(sc, "population", type(sc.population).model_validate(pop))
    object.__setattr__(sc, "behaviour", type(sc.behaviour).model_validate(beh))


def _applicant_q1(pop: dict) -> float:
    return pop["applicant_income_uc_median"] * math.exp(-Z25 * pop["applicant_income_uc_sigma"])


def _dwellings(sc) -> float:
    """Dwellings the generator will build (copies and rounding as in territory.Territory)."""
    t = sc.territory
    sizes = [r.dwellings for n in t.neighbourhoods for r in n.residences]
    base = sum(sizes)
    target = t.scale_to_dwellings or base
    copies = max(1, math.ceil(target / base - 1e-9)) if target > base else 1
    factor = target / (base * copies)
    return float(copies * sum(max(1, round(d * factor)) for d in sizes))


def _stock(sc):
    """Per residence: dwellings, QPV flag, rent per m2 and mean surface (as the generator sets them)."""
    from .territory import default_rent_m2, era_value

    rents = sc.rents
    surf = np.array([rents.surface_by_typology[t] for t in TYPOLOGIES])
    n, qpv, rent, area = [], [], [], []
    for nb in sc.territory.neighbourhoods:
        for r in nb.residences:
            typ = r.typology or era_value(rents.typology_by_era, r.year_built)
            shares = np.array([typ.get(t, 0.0) for t in TYPOLOGIES], float)
            shares = shares / shares.sum() if shares.sum() > 0 else np.full(5, 0.2)
            n.append(r.dwellings)
            qpv.append(nb.is_qpv)
            rent.append(r.rent_m2 or default_rent_m2(rents, r.year_built, r.financing))
            area.append(float(shares @ surf) * (rents.old_estate_surface_factor if r.year_built < 1977 else 1.0))
    return np.array(n, float), np.array(qpv, bool), np.array(rent, float), np.array(area, float)


def _weighted_median(x: np.ndarray, w: np.ndarray) -> float:
    o = np.argsort(x, kind="stable")
    c = np.cumsum(w[o])
    return float(x[o][np.searchsorted(c, 0.5 * c[-1])])


def solve_tenant_incomes(sc, threshold: float, share_qpv: float | None, share_out: float | None,
                         pop: dict) -> tuple[float, float]:
    """(tenant_income_uc_median, qpv_income_factor) such that the expected share of initial tenants
    under `threshold` is share_qpv in QPV and share_out outside, given how `populate` draws them.
    A share left out keeps its group at the current parameters' value."""
    n, qpv, rent, area = _stock(sc)
    e, s = pop["tenant_income_rent_elasticity"], pop["tenant_income_uc_sigma"]
    rel = (rent / np.average(rent, weights=n * area)) ** e

    def shares(median: float, factor: float) -> tuple[float, float]:
        raw = rel * np.where(qpv, factor, 1.0)
        m = median * raw / _weighted_median(raw, n)
        p = _phi((math.log(threshold) - np.log(m)) / s)
        sq = float(np.average(p[qpv], weights=n[qpv])) if qpv.any() else float("nan")
        so = float(np.average(p[~qpv], weights=n[~qpv])) if (~qpv).any() else float("nan")
        return sq, so

    cur_m, cur_f = pop["tenant_income_uc_median"], pop["qpv_income_factor"]
    if share_qpv is None:
        share_qpv = shares(cur_m, cur_f)[0]
    if share_out is None:
        share_out = shares(cur_m, cur_f)[1]
    if not qpv.any():
        share_qpv = None
    if qpv.all():
        share_out = None

    def solve_median(factor: float, target: float, idx: int) -> float:
        lo, hi = math.log(threshold) - 6.0, math.log(threshold) + 6.0   # share decreases with median
        for _ in range(40):
            mid = 0.5 * (lo + hi)
            if shares(math.exp(mid), factor)[idx] > target:
                lo = mid
            else:
                hi = mid
        return math.exp(0.5 * (lo + hi))

    if share_out is None:            # only QPV dwellings: the median alone sets the QPV share
        return solve_median(cur_f, share_qpv, 0), cur_f
    if share_qpv is None:
        return solve_median(cur_f, share_out, 1), cur_f
    lo, hi = math.log(0.05), math.log(20.0)       # QPV share decreases as the QPV factor grows
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        med = solve_median(math.exp(mid), share_out, 1)
        if shares(med, math.exp(mid))[0] > share_qpv:
            lo = mid
        else:
            hi = mid
    factor = math.exp(0.5 * (lo + hi))
    return solve_median(factor, share_out, 1), factor


# ------------------------------------------------------------------------------ warnings
from .checks import check  # noqa: E402  (registration at import, see checks._load_checks)


@check
def _local_figures_without_group(sc) -> list[str]:
    """A Q1 share given for a group of dwellings the territory does not have is ignored."""
    lf = sc.local_figures
    if lf is None:
        return []
    qpv = [n.is_qpv for n in sc.territory.neighbourhoods]
    out = []
    if lf.q1_share_tenants_qpv is not None and not any(qpv):
        out.append("local_figures.q1_share_tenants_qpv: the territory has no QPV neighbourhood; the "
                   "figure is ignored (remove it or mark the QPV with is_qpv: true)")
    if lf.q1_share_tenants_outside_qpv is not None and all(qpv):
        out.append("local_figures.q1_share_tenants_outside_qpv: every neighbourhood is a QPV; the "
                   "figure is ignored")
    return out


@check
def _imported_single_landlord(sc) -> list[str]:
    """An imported territory without landlord identities has one imputed landlord."""
    if sc.territory.source is None or len(sc.territory.landlords) > 1 \
            or sc.rehousing.target_other_landlord <= 0:
        return []
    return [f"rehousing.target_other_landlord: the imported territory has a single (imputed) landlord, "
            f"'{sc.territory.landlords[0].name}', so no rehousing can go to another one; give the real "
            "landlords in territory.landlords (see docs/rpls.md)"]
