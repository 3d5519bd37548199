"""The scenario schema: the one place where every parameter is named, typed, defaulted and documented.

A scenario YAML file is validated against `Scenario`. Unknown keys are rejected everywhere.
Each default says its unit and where the figure comes from (a national statistic cited by its producer
and year, see docs/sources.md); "assumption" means a modelling choice
documented in docs/parameters.md, to be calibrated.

Dates are written "YYYY-MM" (or a bare year, meaning January) and are converted to model months
against `run.start_year`.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal, Union

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from .fmt import num, tr

FINANCINGS = ("PLAI", "PLUS", "PLS", "PLI")
TYPOLOGIES = ("T1", "T2", "T3", "T4", "T5")
HOLDER_KINDS = ("prefect", "action_logement", "municipality", "landlord")

Share = Annotated[float, Field(ge=0.0, le=1.0)]
PosFloat = Annotated[float, Field(gt=0.0)]
NonNegFloat = Annotated[float, Field(ge=0.0)]

# Every number has hard bounds (pydantic ge/le: outside, the file is refused with the allowed range)
# and, where the usual values are narrower, a plausible range declared with `plausible(lo, hi)`:
# outside it the file is accepted with a one-line warning (simulation/ranges.py). Both are shown in
# docs/parameters.md.
MAX_DWELLINGS = 2_000_000     # documented maximum of a territory (a run holds every dwelling in memory)


def plausible(lo: float | None, hi: float | None) -> dict:
    """`json_schema_extra` of a field whose usual values lie in [lo, hi] (None: no edge on that side)."""
    return {"plausible": [lo, hi]}


def _printable_name(v: str) -> str:
    if any(not c.isprintable() for c in v):
        raise ValueError(tr("un nom ne peut pas contenir de caractères de contrôle (tabulations, sauts de "
                            "ligne, séquences de terminal)",
                            "a name may not hold control characters (tabs, line breaks, terminal escapes)"))
    return v


Name = Annotated[str, Field(min_length=1, max_length=120), AfterValidator(_printable_name)]
Rate = Annotated[float, Field(ge=0.0, le=1.0)]      # a yearly probability
Logit = Annotated[float, Field(ge=-10.0, le=10.0, json_schema_extra=plausible(-5, 5))]
Eur = Annotated[float, Field(ge=0.0, le=5000.0)]    # EUR per month
RentM2 = Annotated[float, Field(gt=0.0, le=50.0, json_schema_extra=plausible(3, 15))]

_DATE_RE = re.compile(r"^(\d{4})(?:-(\d{2}))?$")


class Strict(BaseModel):
    """Base: unknown keys are errors, values are checked on assignment too."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


def _check_date(v: object) -> str:
    if isinstance(v, bool):
        raise ValueError("a date is written 'YYYY-MM' or as a year, e.g. '2028-01' or 2028")
    if isinstance(v, int):
        v = f"{v:04d}"
    if not isinstance(v, str) or not _DATE_RE.match(v.strip()):
        raise ValueError("a date is written 'YYYY-MM' or as a year, e.g. '2028-01' or 2028")
    v = v.strip()
    m = _DATE_RE.match(v)
    if m.group(2) and not 1 <= int(m.group(2)) <= 12:
        raise ValueError("the month of a date must be 01 to 12")
    if not 1900 <= int(m.group(1)) <= 2200:
        raise ValueError(tr(f"l'année de la date '{v}' doit être entre 1900 et 2200",
                            f"the year of date '{v}' must be between 1900 and 2200"))
    return v


Date = Annotated[str, Field(description="'YYYY-MM' or a year")]


def date_to_month(date: str, start_year: int) -> int:
    """Model month (1 = January of start_year) at which a 'YYYY-MM' date takes effect."""
    m = _DATE_RE.match(str(date))
    year, month = int(m.group(1)), int(m.group(2) or 1)
    return (year - start_year) * 12 + month


class Dated(Strict):
    """A lever active from a date (and optionally until one)."""

    start: Date = Field("2025-01", description="first month the lever applies ('YYYY-MM')")
    end: Date | None = Field(None, description="last month it applies; none = until the end")

    _v_start = field_validator("start", "end", mode="before")(lambda v: v if v is None else _check_date(v))

    @model_validator(mode="after")
    def _end_after_start(self):
        if self.end is not None and date_to_month(self.end, 2000) < date_to_month(self.start, 2000):
            raise ValueError(tr(f"end ({self.end}) est avant start ({self.start}) ; le levier ne "
                                "s'appliquerait jamais : mettez end après start, ou retirez-le",
                                f"end ({self.end}) is before start ({self.start}); the lever would never "
                                "apply: put end after start, or remove it"))
        return self


# --------------------------------------------------------------------------------------------- run


class RunSettings(Strict):
    """Run settings, kept apart from model parameters."""

    seed: int = Field(1, ge=0, le=2**32 - 1,
                      description="master seed; every random stream is spawned from it")
    years: int = Field(20, ge=1, le=100, description="horizon in years (one step = one month)")
    start_year: int = Field(2025, ge=1990, le=2100, description="calendar year of month 1")
    spin_up_years: int = Field(
        6, ge=0, le=50, description="years simulated before month 1 and not reported, so the run "
        "starts from the model's own steady state (applicant pool, quartile thresholds, who lives "
        "where) rather than from the drawn initial state; no lever or price change applies during "
        "them. 0 = start from the drawn state (the first years are then a transient)")


# ----------------------------------------------------------------------------------------- territory


class ResidenceSpec(Strict):
    name: Name
    landlord: Name = Field(description="name of one of territory.landlords")
    year_built: int = Field(ge=1900, le=2100, description="year of completion; sets the era's rent, "
                            "typology mix and surfaces (pre-1977 estates are larger)")
    financing: Literal["PLAI", "PLUS", "PLS", "PLI"] = Field(
        "PLUS", description="financing type: rent level and income ceilings (old HLM/O stock is PLUS)")
    dwellings: int = Field(gt=0, le=100_000, json_schema_extra=plausible(None, 5000),
                           description="number of dwellings at the base scale")
    typology: dict[Literal["T1", "T2", "T3", "T4", "T5"], Share] | None = Field(
        None, description="shares of T1..T5 (a type left out has none; rescaled to add up to 1); "
        "default by era (rents.typology_by_era)")
    rent_m2: RentM2 | None = Field(
        None, description="base rent EUR/m2/month at start; default from era x financing (rents)")
    attractiveness_delta: float = Field(0.0, ge=-1.0, le=1.0,
                                        description="added to the neighbourhood's attractiveness")

    _v_typology = field_validator("typology")(lambda v: v if v is None else _shares(v, "typology"))


class NeighbourhoodSpec(Strict):
    name: Name
    is_qpv: bool = Field(False, description="priority neighbourhood of urban policy (QPV)")
    is_renewal_site: bool = Field(False, description="QPV with an urban renewal project (NPNRU)")
    attractiveness: Share = Field(0.5, description="0 = stigmatised, 1 = sought after (assumption)")
    residences: list[ResidenceSpec] = Field(min_length=1, max_length=1000)

    @model_validator(mode="after")
    def _renewal_is_qpv(self):
        if self.is_renewal_site and not self.is_qpv:
            raise ValueError(tr(f"quartier '{self.name}' : un site de renouvellement est un QPV "
                                "(mettez is_qpv: true)",
                                f"neighbourhood '{self.name}': a renewal site must be a QPV (set is_qpv: true)"))
        return self


class LandlordSpec(Strict):
    name: Name
    kind: Literal["OPH", "ESH", "SEM"] = Field("ESH", description="public office (OPH), social "
                                                "housing company (ESH) or mixed company (SEM)")


Count = Annotated[int, Field(ge=0, le=100_000_000)]  # rows or dwellings of an RPLS file


class TerritorySourceSpec(Strict):
    """Where an imported territory comes from and what was made up for it (written by
    `peuplement territory from-rpls`; informative, the model does not read it)."""

    file: str = Field(description="the RPLS file the territory was built from")
    layout: Literal["old", "recent"] = Field(description="RPLS column layout: 'old' (DEPCOM, EPCI, "
                                             "FINAN, ...) or 'recent' (*_CODE / *_LIBELLE pairs)")
    epci: str = Field(description="EPCI (SIREN code) whose dwellings were kept")
    rows_read: Count = Field(description="data rows in the file")
    rows_in_epci: Count = Field(description="rows with this EPCI code")
    dwellings: Count = Field(description="dwellings kept in the territory")
    rows_dropped: dict[str, Count] = Field(default_factory=dict, description="rows of the EPCI not "
                                        "used, by reason (e.g. student housing, no room count)")
    imputed: dict[str, Count] = Field(default_factory=dict, description="dwellings whose value was "
                                    "imputed, by field (rent, landlord, financing, ...); see docs/rpls.md")
    financing_codes: dict[str, Count] = Field(default_factory=dict, description="dwellings by RPLS "
                                            "financing code, written as 'code -> type'")
    notes: list[str] = Field(default_factory=list, description="how the imputations were made")


class TerritorySpec(Strict):
    name: Name = "Territoire"
    landlords: list[LandlordSpec] = Field(min_length=1, max_length=500)
    neighbourhoods: list[NeighbourhoodSpec] = Field(min_length=1, max_length=5000)
    scale_to_dwellings: int | None = Field(
        None, ge=50, le=MAX_DWELLINGS, json_schema_extra=plausible(None, 300_000),
        description="if set, the generator scales the described stock to this many dwellings, "
                    "replicating neighbourhoods with the same proportions (300,000 dwellings take "
                    "about 3 GB of memory and hours for 20 years)")
    source: TerritorySourceSpec | None = Field(
        None, description="provenance of an imported territory: file, rows used and dropped, "
        "what was imputed (written by `peuplement territory from-rpls`)")

    @model_validator(mode="after")
    def _names(self):
        landlords = [l.name for l in self.landlords]
        _unique(landlords, "landlord")
        _unique([n.name for n in self.neighbourhoods], "neighbourhood")
        _unique([r.name for n in self.neighbourhoods for r in n.residences], "residence")
        for n in self.neighbourhoods:
            for r in n.residences:
                if r.landlord not in landlords:
                    raise ValueError(tr(f"résidence '{r.name}' : le bailleur '{r.landlord}' n'est pas dans "
                                        f"territory.landlords ({', '.join(landlords)})",
                                        f"residence '{r.name}': landlord '{r.landlord}' is not one of "
                                        f"territory.landlords ({', '.join(landlords)})"))
        total = sum(r.dwellings for n in self.neighbourhoods for r in n.residences)
        if self.scale_to_dwellings is None and total > MAX_DWELLINGS:
            raise ValueError(tr(f"les résidences totalisent {num(total)} logements, plus que le maximum de "
                                f"{num(MAX_DWELLINGS)} ; décrivez moins de logements (ou un échantillon "
                                "avec scale_to_dwellings)",
                                f"the residences add up to {total:,} dwellings, more than the maximum of "
                                f"{MAX_DWELLINGS:,}; describe fewer dwellings (or a sample with "
                                "scale_to_dwellings)"))
        return self


def _shares(v, what: str):
    """Shares given as a mapping or list: at least one must be positive (they are rescaled to 1)."""
    vals = list(v.values()) if isinstance(v, dict) else list(v)
    if not vals or sum(vals) <= 0:
        raise ValueError(tr(f"au moins une part ({what}) doit être au-dessus de 0 (elles sont remises à "
                            "l'échelle pour faire 1)",
                            f"at least one {what} share must be above 0 (they are rescaled to add up to 1)"))
    return v


def _complete(defaults: dict):
    """A validator filling the keys a partial mapping leaves out with their defaults, so that
    `financing_factor: {PLS: 1.4}` changes PLS only."""
    def fill(v):
        return {**defaults, **v} if isinstance(v, dict) else v
    return fill


def _unique(names: list[str], what: str) -> None:
    seen = set()
    for n in names:
        if n in seen:
            raise ValueError(tr(f"deux éléments ({what}) s'appellent '{n}' ; les noms doivent être uniques",
                                f"two {what}s are named '{n}'; names must be unique"))
        seen.add(n)


# ---------------------------------------------------------------------------------------- population


class PopulationSpec(Strict):
    """Initial tenants and applicants, and the profile of new applicants."""

    applicant_income_uc_median: PosFloat = Field(
        12600.0, ge=1000, le=100_000, json_schema_extra=plausible(6000, 30000),
        description="EUR/UC/year, median income per consumption unit of applicants; "
        "lognormal with sigma below puts the Q1 threshold near 9,243 (USH Hauts-de-France 2023 applicant quartile)")
    applicant_income_uc_sigma: PosFloat = Field(0.55, le=3.0, json_schema_extra=plausible(0.2, 1.2),
                                                description="log-sd of applicants' income/UC (assumption)")
    tenant_income_uc_median: PosFloat = Field(
        12000.0, ge=1000, le=100_000, json_schema_extra=plausible(6000, 30000),
        description="EUR/UC/year, median for the drawn initial tenants, set near the "
        "model's own steady state on the stylised town (about 31 % of tenants in the applicants' "
        "Q1) so that the spin-up is short; OPS 2022 gives 1,400 EUR/month nationally")
    tenant_income_uc_sigma: PosFloat = Field(0.5, le=3.0, json_schema_extra=plausible(0.2, 1.2),
                                             description="log-sd of tenants' income/UC (assumption)")
    tenant_income_rent_elasticity: NonNegFloat = Field(
        0.3, le=5.0, json_schema_extra=plausible(0, 2),
        description="initial tenants' income/UC scales as (rent_m2 / mean)^e: the cheapest "
        "stock already houses the poorest at start; 0.3 with qpv_income_factor 0.85 is near the "
        "steady state's dissimilarity (about 0.17 across neighbourhoods)")
    qpv_income_factor: PosFloat = Field(
        0.85, ge=0.1, le=3.0, json_schema_extra=plausible(0.5, 1.2),
        description="initial QPV tenants' income multiplier (QPV poorer; assumption)")
    household_size_shares: list[Share] = Field(
        [0.40, 0.24, 0.16, 0.11, 0.06, 0.03], min_length=1, max_length=6,
        description="applicants' household sizes 1..6 (SNE: ~40 % single people; assumption); "
                    "sizes left out have none; rescaled to add up to 1")
    priority_share: Share = Field(0.20, description="share of applicants recognised as priority "
                                  "public (DALO or the CCH L441-1 criteria, labelled in the prefect's "
                                  "system; assumption: enough for the prefect's 25 % and the other "
                                  "holders' 25 % objectives to be within reach)")
    dalo_share: Share = Field(0.20, description="share of priority applicants whose right to housing "
                              "(DALO) has been recognised by the mediation commission: they come first "
                              "among priority households (nationally about 24,500 DALO households "
                              "housed in 2022 out of ~420,000 allocations, 5.8 %; assumption giving "
                              "about 4-5 % on the default town)")
    dalo_deadline_months: int = Field(6, ge=1, le=24, description="months the prefect has to house a "
                                      "DALO household after recognition (CCH R441-16-1: 3 months, 6 in "
                                      "large agglomerations); those still waiting after it form the backlog")
    state_employee_share: Share = Field(0.04, description="share of applicants employed by the State "
                                        "(civil servants), for whom the prefect may keep up to 5 % of "
                                        "the flow (CCH L441-1; assumption)")
    action_logement_share: Share = Field(0.30, description="share of applicants employed by a firm "
                                         "contributing to Action Logement (assumption)")
    local_share: Share = Field(0.85, description="share of applicants living or working in the "
                               "territory (municipal reservation target; assumption)")
    employed_share: Share = Field(0.55, description="share of applicant reference persons in work (assumption)")
    hosted_share: Share = Field(0.30, description="applicants hosted or homeless; rest in private "
                                "rental (SNE 2022: previous housing of new tenants)")
    initial_occupancy: Share = Field(0.975, json_schema_extra=plausible(0.8, 1.0),
                                     description="share of dwellings occupied at start "
                                     "(SDES 2021 vacancy rate 2.9 %, less frictional vacancy)")
    adult_age_mean: PosFloat = Field(44.0, ge=18, le=90, json_schema_extra=plausible(30, 60),
                                     description="years, mean age of reference persons")

    @field_validator("household_size_shares")
    @classmethod
    def _sizes(cls, v):
        _shares(v, "household size")
        return list(v) + [0.0] * (6 - len(v))


class LocalFiguresSpec(Strict):
    """Aggregate figures a territory knows about its tenants and applicants. Each figure given
    replaces the population and behaviour parameters it determines (see docs/rpls.md); a figure
    left out keeps the national default of those parameters."""

    q1_threshold_eur_uc: PosFloat | None = Field(
        None, ge=3000, le=30000, description="EUR/UC/year, the yearly first-quartile threshold of "
        "applicants' income per consumption unit (prefectoral order; national median 9,243 in 2023, "
        "USH); sets population.applicant_income_uc_median")
    q1_share_tenants_qpv: Share | None = Field(
        None, description="share of tenant households in QPV with an income per UC under the Q1 "
        "threshold (occupancy survey OPS); with the next one sets population.tenant_income_uc_median "
        "and population.qpv_income_factor")
    q1_share_tenants_outside_qpv: Share | None = Field(
        None, description="same share outside QPV (occupancy survey OPS)")
    applicants: int | None = Field(
        None, ge=0, le=2_000_000, description="pending applications from households not in social "
        "housing at the start (SNE, transfers excluded); sets behaviour.demand.market_tension")
    allocations_per_year: int | None = Field(
        None, gt=0, le=500_000, description="yearly allocations to households not in social housing "
        "(SNE); sets behaviour.exits.base_rate so that exits free about as many dwellings")
    priority_share: Share | None = Field(
        None, description="share of applicants recognised as priority public (DALO, PDALHPD, "
        "CCH L441-1); sets population.priority_share")
    vacancy_rate: Share | None = Field(
        None, le=0.5, description="share of dwellings vacant at the start (RPLS, SDES); sets "
        "population.initial_occupancy")


# ------------------------------------------------------------------------------------------ behaviour


class LifeEventsSpec(Strict):
    income_shock_sd: NonNegFloat = Field(0.10, le=1.0, json_schema_extra=plausible(0, 0.4),
                                         description="annual log-sd of persistent income shocks "
                                         "(applied each quarter with the quarter's share)")
    income_persistence: Share = Field(0.90, description="annual AR(1) persistence of income deviations")
    job_loss_rate: Share = Field(0.08, json_schema_extra=plausible(0, 0.3),
                                 description="/year, employed -> not in work")
    job_find_rate: Share = Field(0.30, description="/year, not in work -> employed")
    out_of_work_income_ratio: PosFloat = Field(0.65, le=1.5, json_schema_extra=plausible(0.3, 1.0),
                                               description="income multiplier on job loss")
    birth_rate_couple: Share = Field(0.07, json_schema_extra=plausible(0, 0.3),
                                     description="/year, couples with reference person under 42")
    birth_rate_single: Share = Field(0.015, json_schema_extra=plausible(0, 0.3),
                                     description="/year, single adults under 42")
    child_ageing_rate: Share = Field(1 / 14, description="/year, children under 14 turning 14")
    child_leave_rate: Share = Field(0.12, description="/year, children 14+ leaving home")
    leavers_apply_share: Share = Field(0.30, description="share of leaving children who register as "
                                       "applicants in the territory")
    separation_rate: Share = Field(0.02, description="/year, couples separating")
    separation_apply_share: Share = Field(0.40, description="share of separating partners who apply")
    mortality_gompertz_a: float = Field(-10.6, ge=-14.0, le=-7.0, json_schema_extra=plausible(-12, -9),
                                        description="annual mortality q = exp(a + b * age) "
                                        "(INSEE life tables, order of magnitude)")
    mortality_gompertz_b: PosFloat = Field(0.095, le=0.13, json_schema_extra=plausible(0.07, 0.11),
                                           description="per year of age (same source)")


class ExitsSpec(Strict):
    base_rate: Share = Field(0.055, json_schema_extra=plausible(0.01, 0.2),
                             description="/year exit hazard of a Q2 tenant at reference tension "
                             "and mid attractiveness; with the multipliers gives ~7 % exits "
                             "(ANCOLS: exits from the social stock per year)")
    quartile_multipliers: list[Annotated[float, Field(ge=0.0, le=10.0,
                                                      json_schema_extra=plausible(0.2, 4))]] = Field(
        [0.6, 0.9, 1.25, 1.8], min_length=4, max_length=4,
        description="exit hazard multiplier by income quartile Q1..Q4 (assumption)")
    reference_tension: PosFloat = Field(4.4, ge=0.5, le=50, json_schema_extra=plausible(1, 20),
                                        description="applications per allocation at which the "
                                        "tension factor is 1 (Observatoire des territoires 2019-2020: applications per allocation)")
    tension_elasticity: NonNegFloat = Field(0.5, le=3.0, json_schema_extra=plausible(0, 1.5),
                                            description="exit hazard x (tension/ref)^-e")
    attractiveness_effect: NonNegFloat = Field(0.8, le=2.0, json_schema_extra=plausible(0, 1.5),
                                               description="exit hazard x (1 + e*(0.5 - attractiveness)); "
                                               "above 2 the hazard would turn negative")
    surcharge_effect: NonNegFloat = Field(1.0, le=10.0, json_schema_extra=plausible(0, 3),
                                          description="exit hazard x (1 + e x SLS / 100 EUR/month): "
                                          "the surcharge pushes out in proportion to its amount "
                                          "(assumption)")
    announced_demolition_effect: NonNegFloat = Field(
        2.5, le=20.0, json_schema_extra=plausible(0, 6),
        description="exit hazard x (1 + e * solvency) for tenants of a residence to be demolished, "
        "solvency = (quartile-1)/3, stronger in relaxed markets via the tension factor (IREV 2023 §4)")


class DemandSpec(Strict):
    market_tension: PosFloat = Field(4.4, ge=1.0, le=50, json_schema_extra=plausible(1.5, 20),
                                     description="pending applications (external "
                                     "and transfer) per yearly allocation, as the national statistics "
                                     "count them; the spin-up sets the inflow of applicants so that it is "
                                     "reached, then the inflow stays fixed "
                                     "(Observatoire des territoires 2019-2020: 2.2 rural .. 4.9 urban poles .. 16 Paris)")
    hold_tension: bool = Field(
        True, description="after the spin-up, the inflow of applicants keeps applications per "
        "allocation at market_tension against the allocations of the last three years (demand adapts "
        "to the flow over about three years); false = the external pool keeps the size reached at the "
        "end of the spin-up, so a change in the flow of allocations moves tension for good")
    application_lifetime_months: PosFloat = Field(
        36.0, ge=1.0, le=240.0, json_schema_extra=plausible(12, 120),
        description="mean months before an application lapses if not satisfied (assumption: "
                          "yearly renewal, ~1/3 not renewed)")
    transfer_base_rate: Share = Field(0.025, json_schema_extra=plausible(0, 0.2),
                                      description="/year, tenants asking a transfer without a "
                                      "specific reason")
    transfer_overcrowded_rate: Share = Field(0.30, description="/year, extra when persons > rooms + 1")
    transfer_underoccupied_rate: Share = Field(0.05, description="/year, extra when rooms > persons + 1")
    transfer_burden_rate: Share = Field(0.10, description="/year, extra when rent burden > 35 %")
    transfer_leave_qpv_rate: Share = Field(0.06, description="/year, extra for QPV tenants, "
                                           "x (1 - attractiveness)")


class RefusalSpec(Strict):
    """Logit of the probability that a candidate refuses an offer (assumption, calibrated on
    Banque des Territoires: 20-50 % of offers refused)."""

    enabled: bool = Field(True, description="candidates may refuse offers (household choices); false = "
                          "every ordinary offer is accepted, to isolate the other causes of the "
                          "structure effect (scenarios/structure_rents_only.yaml)")
    intercept: Logit = Field(-2.6, description="baseline log-odds of refusing (calibrated: ~41 % of "
                             "offers refused on the stylised town)")
    qpv: Logit = Field(0.6, description="stigma of QPV addresses")
    unattractive: Logit = Field(1.2, description="x (1 - attractiveness)")
    qpv_solvency: Logit = Field(0.9, description="x solvency (0 for Q1 .. 1 for Q4) in QPV: "
                                "the better-off have other options")
    burden: Logit = Field(3.0, description="x rent burden")
    off_wish: Logit = Field(0.5, description="when the dwelling is not in the wished neighbourhood")
    penalty_months: NonNegFloat = Field(
        0.0, le=36.0, description="consequence of refusing an ordinary offer: the application loses "
        "this many months of seniority points (some scoring grids do so after an unjustified "
        "refusal; by law only a DALO household refusing an adapted offer without a legitimate "
        "reason may lose its priority, CCH L. 441-2-3). 0 = no consequence (default: not general "
        "practice)")
    after_application: Logit = Field(-2.5, description="added under choice-based letting: the "
                                     "applicant chose this dwelling")


class BehaviourSpec(Strict):
    life_events: LifeEventsSpec = LifeEventsSpec()
    exits: ExitsSpec = ExitsSpec()
    demand: DemandSpec = DemandSpec()
    refusals: RefusalSpec = RefusalSpec()


# -------------------------------------------------------------------------------------------- economy


class EconomySpec(Strict):
    """Yearly growth rates of every money quantity, in one place (simulation/economy.py applies
    them). Amounts written elsewhere in the scenario are at the prices of January of the start
    year. The defaults are equal, so the baseline is a steady state in real terms; set them apart
    to study a divergence (e.g. rents indexed faster than incomes)."""

    inflation: float = Field(0.015, ge=-0.05, le=0.15, description="/year consumer prices (INSEE "
                             "CPI, mean 2014-2024 about 1.6 %); moves service charges, residual-income "
                             "floors and the poverty line's deflator, each January")
    income_growth: float = Field(0.015, ge=-0.05, le=0.15, description="/year nominal income per "
                                 "consumption unit (INSEE, median living standard: close to prices "
                                 "over 2014-2024); moves every household's income and the incomes "
                                 "of new applicants, each January")
    irl: float = Field(0.015, ge=-0.05, le=0.15, description="/year rent revision index IRL (INSEE; "
                       "mean 2014-2024 about 1.5 %, capped at 3.5 % in 2022-2024); social rents are "
                       "revised each 1 January by at most the IRL (CCH L. 353-9-3, L. 442-1) and the "
                       "income ceilings by the IRL (CCH R. 441-1)")
    apl_revaluation: float = Field(0.015, ge=-0.05, le=0.15, description="/year revaluation of the "
                                   "housing-benefit schedule, each 1 October by the IRL (CCH L. 823-4); "
                                   "lower it to represent freezes such as 2018")


# ---------------------------------------------------------------------------------------------- rents


class AplSpec(Strict):
    """Simplified housing-benefit (APL) schedule, zone 2, 2024 orders of magnitude (assumption):
    APL = min(rent, ceiling) + flat charges - P0 - rate(size) * max(0, income - floor(size)) / 12."""

    rent_ceiling_single: PosFloat = Field(278.0, le=2000, json_schema_extra=plausible(150, 600),
                                          description="EUR/month")
    rent_ceiling_couple: PosFloat = Field(340.0, le=2000, json_schema_extra=plausible(150, 700),
                                          description="EUR/month")
    rent_ceiling_family: PosFloat = Field(383.0, le=2000, json_schema_extra=plausible(150, 800),
                                          description="EUR/month, with one dependent")
    rent_ceiling_per_extra: NonNegFloat = Field(56.0, le=500, json_schema_extra=plausible(0, 150),
                                                description="EUR/month per extra dependent")
    flat_charges: NonNegFloat = Field(57.0, le=500, json_schema_extra=plausible(0, 150),
                                      description="EUR/month")
    flat_charges_per_dependent: NonNegFloat = Field(13.0, le=200, json_schema_extra=plausible(0, 50),
                                                    description="EUR/month")
    min_participation: NonNegFloat = Field(40.0, le=500, json_schema_extra=plausible(0, 100),
                                           description="EUR/month, P0")
    participation_rate: PosFloat = Field(0.36, le=1.0, description="share of annual income above the "
                                         "floor (per 12) taken off the benefit, single person")
    participation_rate_size_decline: NonNegFloat = Field(0.12, le=1.0,
                                                         description="rate / (1 + d*(size-1))")
    income_floor: NonNegFloat = Field(4800.0, le=50_000, json_schema_extra=plausible(0, 15_000),
                                      description="EUR/year, single person")
    income_floor_per_person: NonNegFloat = Field(1100.0, le=20_000, json_schema_extra=plausible(0, 5000),
                                                 description="EUR/year per extra person")
    min_payment: NonNegFloat = Field(10.0, le=200, json_schema_extra=plausible(0, 50),
                                     description="EUR/month; smaller amounts are not paid")


class SurchargeSpec(Strict):
    """Supplément de loyer de solidarité (SLS, CCH L441-3 to L441-15, R441-21): due when the
    household's resources exceed the ceiling of its dwelling by 20 % or more; amount = surface x
    reference supplement per m2 x coefficient of excess (CDR); rent + SLS capped at a share of
    resources (L441-4). Exempt: QPV (L441-3), PLI and non-social dwellings, exempted zones."""

    enabled: bool = Field(True, description="apply the SLS (it is the law; false to test its absence)")
    threshold: PosFloat = Field(1.2, ge=1.0, le=2.0, description="resources / ceiling from which SLS "
                                "is due (CCH L441-3: 20 % excess; a PLH may raise it to 35 %)")
    reference_eur_m2: NonNegFloat = Field(0.25, le=5.0, description="EUR/m2/month, reference supplement "
                                          "(SLR) of the zone, revalued with the ceilings (arrêté of "
                                          "22 October 2008: zone 3 value; higher in zones 1 bis to 2)")
    coefficient_at_threshold: NonNegFloat = Field(0.27, le=2.0, description="CDR at the threshold "
                                                  "(R441-21: 0.27 for an excess of 20 %)")
    coefficient_brackets: list[tuple[Annotated[float, Field(ge=0.0, le=1000.0)],
                                     Annotated[float, Field(ge=0.0, le=1.0)]]] = Field(
        [(20.0, 0.06), (60.0, 0.08), (150.0, 0.10)], min_length=1, max_length=6,
        description="(excess in % from which, CDR added per further point of excess): R441-21 "
                    "(décret 2008-825) 0.06 per point from 20 %, 0.08 from 60 %, 0.10 from 150 %")
    resources_cap: Share = Field(0.30, description="rent + SLS capped at this share of the "
                                 "household's monthly resources (CCH L441-4: 30 %)")
    exempt_qpv: bool = Field(True, description="QPV tenants pay no SLS (CCH L441-3)")
    exempt_zone: bool = Field(False, description="the territory is in a zone the law exempts (rural "
                              "revitalisation zone ZRR / FRR, L441-3-1) or a PLH exempts: no SLS at all")
    tense_area: bool = Field(False, description="tense market area (zone A bis, A or B1): tenants "
                             "over 150 % of the ceiling for two yearly surveys in a row lose the right "
                             "to stay (CCH L442-3-3)")
    loss_of_right_ratio: PosFloat = Field(1.5, ge=1.0, le=5.0, description="resources / ceiling above "
                                          "which the right to stay is lost (L442-3-3: 150 %)")
    loss_of_right_years: int = Field(2, ge=1, le=5, description="consecutive yearly surveys above it")
    loss_of_right_notice_months: int = Field(18, ge=0, le=60, description="months given to leave "
                                             "once the right is lost (L442-3-3: 18 months)")
    loss_of_right_min_age: PosFloat = Field(65.0, le=120.0, description="reference persons of this age or more "
                                            "keep the right to stay (L442-3-3 exemption)")


class RlsSpec(Strict):
    """Réduction de loyer de solidarité (RLS, loi de finances 2018 art. 126, CCH L442-2-1): landlords
    cut the rent of tenants under resource ceilings; the housing benefit falls by a fixed share of
    the cut, so the tenant gains little and the landlord bears it. Zone II amounts."""

    enabled: bool = Field(True, description="apply the RLS (it is the law)")
    amount_single: Eur = Field(34.83, description="EUR/month, single person (arrêté of "
                                       "21 May 2025, zone II, from June 2025)")
    amount_couple: Eur = Field(42.53, description="EUR/month, couple without dependents")
    amount_one_dependent: Eur = Field(47.49, description="EUR/month, with one dependent")
    amount_per_extra_dependent: Eur = Field(6.90, description="EUR/month per further dependent")
    ceilings_monthly: list[Annotated[float, Field(gt=0.0, le=20_000.0)]] = Field(
        [895, 1092, 1393, 1659, 2036, 2351, 2617, 2897], min_length=8, max_length=8,
        description="EUR/month resources ceilings: single, couple, then 1..6 dependents (arrêté of "
                    "29 December 2023, zone II)")
    ceiling_per_extra_dependent: Eur = Field(279, description="EUR/month beyond 6 dependents")
    apl_offset: Share = Field(0.98, description="share of the RLS taken off the housing benefit "
                              "(arrêté of 27 February 2018 on the RLS: 98 %)")


class SingleRentSpec(Dated):
    """Single rent per m2 at re-letting (loyer unique, Rennes Métropole)."""

    eur_m2: RentM2 | None = Field(None, description="EUR/m2/month; none = revenue-neutral, the "
                                    "stock's mean rent per m2 on the start date")
    by_financing: bool = Field(True, description="one rate per financing type (PLAI, PLUS, ...), as in "
                               "Rennes; false = one rate for the whole stock")


class RebalancingSpec(Dated):
    """Re-ranking rents at re-letting by location quality (remise en ordre des loyers)."""

    amplitude: NonNegFloat = Field(0.3, le=1.0, description="rent_m2 = mean * (1 + a*(attractiveness - "
                                   "mean attractiveness)); revenue-neutral on the stock")


class CeilingWaiverSpec(Dated):
    factor: float = Field(1.3, ge=1.0, le=3.0, json_schema_extra=plausible(1.0, 2.0),
                          description="QPV dwellings accept incomes up to factor x ceiling")


class RentsSpec(Strict):
    base_rent_m2_by_era: dict[str, RentM2] = Field(
        {"1900": 5.0, "1977": 5.6, "1990": 6.3, "2005": 7.0, "2015": 7.6},
        description="EUR/m2/month PLUS rent by first year of era (SDES RPLS 2024: mean 6.15 outside IDF, "
                    "recent 7.9)")
    financing_factor: dict[Literal["PLAI", "PLUS", "PLS", "PLI"],
                           Annotated[float, Field(gt=0.0, le=5.0,
                                                  json_schema_extra=plausible(0.5, 2))]] = Field(
        {"PLAI": 0.88, "PLUS": 1.0, "PLS": 1.3, "PLI": 1.55},
        description="rent multiplier by financing (DREAL Centre-Val de Loire 2025: PLAI 6.0, PLS 8.1); "
                    "financings left out keep their default")
    surface_by_typology: dict[Literal["T1", "T2", "T3", "T4", "T5"],
                              Annotated[float, Field(ge=10.0, le=300.0,
                                                     json_schema_extra=plausible(15, 150))]] = Field(
        {"T1": 31.0, "T2": 47.0, "T3": 65.0, "T4": 79.0, "T5": 94.0},
        description="m2 (RPLS means); types left out keep their default")
    old_estate_surface_factor: PosFloat = Field(1.08, ge=0.5, le=2.0, json_schema_extra=plausible(0.9, 1.3),
                                                description="pre-1977 dwellings are larger")
    charges_m2: NonNegFloat = Field(1.6, le=10.0, json_schema_extra=plausible(0.5, 4),
                                    description="EUR/m2/month service charges (assumption)")
    typology_by_era: dict[str, dict[Literal["T1", "T2", "T3", "T4", "T5"], Share]] = Field(
        {"1900": {"T1": 0.04, "T2": 0.14, "T3": 0.36, "T4": 0.32, "T5": 0.14},
         "1977": {"T1": 0.07, "T2": 0.20, "T3": 0.38, "T4": 0.27, "T5": 0.08},
         "2005": {"T1": 0.10, "T2": 0.30, "T3": 0.36, "T4": 0.19, "T5": 0.05}},
        description="typology shares by first year of era (SDES RPLS 2024 typology shares, skewed large "
                    "for old estates)")
    ceilings_zone: Literal["other_regions", "ile_de_france", "paris"] = Field(
        "other_regions", description="zone of the income-ceiling tables: Paris and adjoining "
        "communes, rest of Île-de-France, other regions (arrêté of 29 July 1987 as revalued)")
    ceilings_year: Literal[2025] = Field(2025, description="year of the official ceiling tables "
                                         "(revalued each January with the IRL; later years follow "
                                         "by the model's revaluation factor)")
    ceilings_plus: list[Annotated[float, Field(ge=1000.0, le=500_000.0, json_schema_extra=plausible(8000, 150_000))]] | None = Field(
        None, min_length=6, max_length=6, description="EUR/year PLUS ceilings for household "
        "categories 1..6, to replace the official table of the zone and year (none = official)")
    ceilings_plai: list[Annotated[float, Field(ge=1000.0, le=500_000.0, json_schema_extra=plausible(8000, 150_000))]] | None = Field(
        None, min_length=6, max_length=6, description="EUR/year PLAI ceilings for categories 1..6 "
        "(none = official)")
    ceiling_per_extra_person: PosFloat | None = Field(
        None, le=50_000, description="EUR/year PLUS ceiling per person beyond category 6 (none = official); "
        "PLAI's follows in proportion")
    ceiling_factor: dict[Literal["PLS", "PLI"], Annotated[float, Field(gt=0.0, le=5.0)]] | None = Field(
        None, description="PLS and PLI ceilings relative to PLUS (none = PLS 1.3, by law; PLI the "
        "intermediate-rent ceilings, about 1.41 x PLUS in zones B2/C and 1.67 x in zone A: CGI "
        "annex III art. 2 terdecies D)")
    reference_income_ratio: PosFloat = Field(
        0.75, ge=0.3, le=1.5, description="tax reference income (revenu fiscal de référence) / model "
        "income: ceilings and SLS are tested on year N-2's tax income, which excludes housing and "
        "family benefits, RSA and the activity bonus and deducts 10 % of wages (assumption, "
        "targets: 61 % of tenants under 60 % of the ceilings and 3 % paying the SLS, USH 2021; the "
        "default gives 59 % and 1.4 % on the stylised town)")
    apl: AplSpec = AplSpec()
    surcharge: SurchargeSpec = SurchargeSpec()
    rls: RlsSpec = RlsSpec()
    single_rent: SingleRentSpec | None = None
    rebalancing: RebalancingSpec | None = None
    ceiling_waiver_qpv: CeilingWaiverSpec | None = None

    @field_validator("base_rent_m2_by_era", "typology_by_era")
    @classmethod
    def _era_keys(cls, v):
        for k in v:
            if not re.fullmatch(r"\d{4}", str(k)):
                raise ValueError(tr(f"la clé d'époque '{k}' doit être une première année comme '1977'",
                                    f"era key '{k}' must be a first year like '1977'"))
        if not v:
            raise ValueError(tr("il faut au moins une époque", "at least one era is needed"))
        for k, t in v.items():
            if isinstance(t, dict):
                _shares(t, f"era {k} typology")
        return v

    _v_fin = field_validator("financing_factor", mode="before")(
        _complete({"PLAI": 0.88, "PLUS": 1.0, "PLS": 1.3, "PLI": 1.55}))
    _v_surf = field_validator("surface_by_typology", mode="before")(
        _complete({"T1": 31.0, "T2": 47.0, "T3": 65.0, "T4": 79.0, "T5": 94.0}))


# ----------------------------------------------------------------------------------------- allocation


class HolderSpec(Strict):
    name: Name
    kind: Literal["prefect", "action_logement", "municipality", "landlord"] = Field(
        description="whom it proposes: prefect -> priority households, action_logement -> employees "
                    "of contributing firms, municipality -> local households, landlord -> anyone")
    flow_share: Share = Field(description="share of each landlord's yearly flow of vacancies")
    priority_strength: Share | None = Field(
        None, description="how well the holder honours its obligation to give at least 25 % of its "
        "allocations to DALO households, failing them to other priority households (CCH L441-1): "
        "probability that a vacancy is reserved for them while the holder is below the objective. "
        "None = the default of its kind (prefect 1; Action Logement 0.5, municipality 0.4, landlord "
        "0.6: assumptions reflecting the 8-15 % observed before the obligation was enforced)")


class ScoringCriterion(Strict):
    criterion: Literal["priority", "hosted_or_homeless", "overcrowded", "underoccupied",
                       "rent_burden_high", "q1", "q2", "transfer", "transfer_leaving_qpv",
                       "single_parent", "not_in_work", "action_logement", "renewal_rehousing",
                       "local"] = Field(description="household situation that earns the points "
                                        "(see scoring.criterion_mask)")
    points: float = Field(ge=-1000, le=1000, description="points added to the score (negative allowed)")


class ScoringGrid(Strict):
    """A demand-scoring grid (cotation): points per month of seniority plus points per criterion.
    Seniority is linear so that score = key + points_per_month * t (time-invariant key)."""

    name: Name = "grille"
    points_per_month: NonNegFloat = Field(1.0, le=100.0, json_schema_extra=plausible(0, 10),
                                          description="seniority points per month of waiting")
    criteria: list[ScoringCriterion] = Field(default_factory=list, max_length=100)
    mix_target_residences: list[Name] = Field(
        max_length=10_000, default_factory=list,
        description="residences where the grid's mix criterion applies: only "
        "non-Q1 candidates are proposed there (explicit exceptions for target residences, IREV 2023 §3.3)")


class MixRulesSpec(Strict):
    """What the commissions do to the shortlist."""

    strength: Share = Field(0.3, description="probability that a commission applies its mix rules "
                            "to a given dwelling (assumption)")
    steering: Share = Field(0.6, description="probability that a commission follows the usual practice "
                            "of orienting the poorest to the cheapest estates: Q1 first in QPV, non-Q1 "
                            "first outside ('effet structure conforté par des pratiques d'attribution', "
                            "IREV synthesis, 2023). TO CALIBRATE on a territory's allocations: not "
                            "measured anywhere; with the defaults it carries about 70 % of the QPV gap "
                            "in the Q1 share of allocations (docs/validation.md); 0.6 puts the Q1 share "
                            "of allocations outside QPV in ANCOLS' 14-18 %")
    fragile_prefer_non_q1: bool = Field(True, description="in fragile residences, non-Q1 first")
    outside_qpv_prefer_q1: bool = Field(False, description="outside QPV, Q1 first while the landlord "
                                        "is under the 25 % objective (default practice: not pursued)")
    target_residences: list[Name] = Field(default_factory=list, max_length=10_000,
                                          description="residences where non-Q1 "
                                         "are always put first (explicit mix exceptions, IREV 2023 §3.3)")


class LegalQuotasSpec(Dated):
    """Pursuit of the legal objectives as quotas per reservation holder (loi Égalité et Citoyenneté)."""

    q1_outside_qpv: Share = Field(0.25, description="share of allocations outside QPV to Q1 or rehoused")
    q2q4_in_qpv: Share = Field(0.5, description="minimum share of allocations in QPV to Q2-Q4")


class ChoiceLettingSpec(Dated):
    """Choice-based letting (location choisie) for the listed neighbourhoods (all if empty)."""

    neighbourhoods: list[Name] = Field(default_factory=list, max_length=10_000,
                                       description="neighbourhood names; "
                                      "empty = the whole territory")
    apply_rate: Share = Field(0.15, description="probability that an eligible applicant who would "
                              "surely accept the dwelling sees the advert and applies (assumption)")
    selectivity: PosFloat = Field(3.0, le=10, description="applicants choose among many adverts: the "
                                  "probability of applying is apply_rate x P(accept)^selectivity "
                                  "(assumption; 1 = no more selective than answering an offer)")


class OccupancyReviewSpec(Dated):
    """Occupancy review (examen de la situation des locataires, CCH L442-5-2): in tense areas the
    landlord reviews each lease every three years from its signature and sends the tenants found in
    one of the legal situations to the commission (CALEOL), which may prompt a transfer."""

    situations: list[Literal["overcrowded", "underoccupied", "adapted_not_needed", "over_ceiling"]] = Field(
        default_factory=lambda: ["overcrowded", "underoccupied", "adapted_not_needed", "over_ceiling"],
        description="legal situations reviewed (CCH L442-5-2): overcrowded = surface under 9 m2 for one "
                    "person, 16 m2 for two, +9 m2 per extra person, 70 m2 from eight (CCH R822-25); "
                    "underoccupied = rooms > persons + 1 (CCH L621-2); adapted_not_needed = an adapted "
                    "dwelling whose occupants no longer need it; over_ceiling = income over the "
                    "dwelling's ceiling")
    tense_area: bool = Field(True, description="the territory is in a tense area (the zones of the tax "
                             "on vacant dwellings, decree 2013-392 as amended in 2023): the review is a "
                             "legal duty only there; false = no review")
    every_years: int = Field(3, ge=1, le=6, description="years between two reviews of a lease, counted "
                             "from its signature (CCH L442-5-2: three)")
    qpv_first: bool = Field(False, description="local option: reviewed tenants living in a QPV get "
                            "qpv_points more, so their transfers come first (not in the law)")
    qpv_points: NonNegFloat = Field(60.0, le=1000.0, description="extra points of reviewed QPV tenants under qpv_first")
    adapted_share: Share = Field(0.03, description="share of dwellings adapted to disability or loss "
                                 "of autonomy (assumption, order of magnitude of RPLS accessible stock)")
    adapted_need_lapse_rate: Share = Field(0.05, description="/year, chance that the occupants of an "
                                           "adapted dwelling no longer need it (death or departure of "
                                           "the disabled person; assumption)")
    uptake: Share = Field(0.2, description="share of reviewed tenants in a situation a transfer "
                          "answers (not an income over the ceiling) who then ask one (assumption, "
                          "to calibrate)")
    points: NonNegFloat = Field(60.0, le=1000.0, description="score points given to reviewed transfer requests")


class AllocationSpec(Strict):
    holders: list[HolderSpec] = Field(
        max_length=50, default_factory=lambda: [
            HolderSpec(name="Préfet", kind="prefect", flow_share=0.30),
            HolderSpec(name="Action Logement", kind="action_logement", flow_share=0.20),
            HolderSpec(name="Commune", kind="municipality", flow_share=0.20),
            HolderSpec(name="Bailleur", kind="landlord", flow_share=0.30)],
        description="reservation holders (CCH L441-1 / R441-5: prefect 0.30; municipalities ~0.20; "
                    "Action Logement 0.20 assumption)")
    candidates_per_dwelling: int = Field(3, ge=1, le=10, description="CCH R441-3: at least 3 applications per dwelling")
    max_size_gap: int = Field(1, ge=0, le=3, description="|rooms - persons| allowed")
    rent_burden_max: Share = Field(0.35, json_schema_extra=plausible(0.2, 0.5),
                                   description="commission cap on (rent+charges-APL)/income")
    residual_income_min: NonNegFloat = Field(250.0, le=3000.0, json_schema_extra=plausible(0, 800),
                                             description="EUR/UC/month floor of reste à vivre")
    scoring: ScoringGrid | None = Field(None, description="demand-scoring grid; none = seniority "
                                        "and priority (points_per_month 1, priority 24)")
    scoring_file: str | None = Field(None, max_length=4096,
                                     description="YAML file holding a scoring grid, relative "
                                     "to the scenario file")
    scoring_from: Date | None = Field(None, description="date the grid starts to apply")
    mix_rules: MixRulesSpec = MixRulesSpec()
    legal_quotas: LegalQuotasSpec | None = None
    priority_objective: Share = Field(0.25, description="minimum share of each holder's yearly "
                                      "allocations (other than the State's) to DALO then priority "
                                      "households (CCH L441-1, loi Égalité et Citoyenneté 2017)")
    prefect_state_employees: Share = Field(0.05, description="share of each landlord's flow the "
                                           "prefect's quota may give to State employees (CCH L441-1, "
                                           "R441-5: at most 5 % out of the prefect's 30 %)")
    rehousing_precedence: bool = Field(False, description="renewal-rehousing households also apply "
                                       "in the ordinary flow, ranked first (precedence for rehousing)")
    processing_months: int = Field(
        2, ge=0, le=12, description="months between the registration of an application and the first "
        "time it can be proposed: instruction of the file and documents, visit, monthly commission "
        "calendar (assumption; renewal rehousing is exempt). SNE 2022: households housed in the year "
        "had waited 520 days on average; nobody is housed the month they apply")
    relet_delay_months: int = Field(1, ge=0, le=12, description="months between a tenant leaving and "
                                    "the dwelling being let again (notice and repairs; assumption)")
    advertise_after_months: int = Field(3, ge=1, le=60, description="a dwelling nobody took is "
                                        "advertised (choice-based letting) after this many months")
    choice_based_letting: list[ChoiceLettingSpec] = Field(default_factory=list, max_length=100)
    occupancy_review: OccupancyReviewSpec | None = None

    @model_validator(mode="after")
    def _holders(self):
        total = sum(h.flow_share for h in self.holders)
        if self.holders and abs(total - 1.0) > 1e-6:
            raise ValueError(tr(f"les flow_share des réservataires doivent faire 1 (ils font {num(total, 3)})",
                                f"holders' flow_share must add up to 1 (they add up to {total:.3f})"))
        if not self.holders:
            raise ValueError("at least one reservation holder is needed")
        if not any(h.kind == "landlord" for h in self.holders):
            raise ValueError("one holder must be of kind 'landlord' (it takes what others cannot fill)")
        _unique([h.name for h in self.holders], "holder")
        prefect = sum(h.flow_share for h in self.holders if h.kind == "prefect")
        if self.prefect_state_employees > prefect + 1e-9:
            raise ValueError(tr(f"prefect_state_employees ({num(self.prefect_state_employees, 2)}) dépasse "
                                f"la part du flux du préfet ({num(prefect, 2)}) ; il en est une partie",
                                f"prefect_state_employees ({self.prefect_state_employees}) is more than "
                                f"the prefect's flow share ({prefect}); it is a part of it"))
        if self.scoring is not None and self.scoring_file is not None:
            raise ValueError("give either scoring or scoring_file, not both")
        if self.scoring_from is not None:
            _check_date(self.scoring_from)
        return self


# ---------------------------------------------------------------------------------------------- works


class DemolitionSpec(Strict):
    type: Literal["demolition"]
    residence: Name
    announce: Date = Field(description="planned vacancy starts, tenants are flagged to be rehoused")
    demolish: Date = Field(description="demolition date; earlier if the residence empties")
    dwellings: int | None = Field(None, gt=0, le=100_000, description="partial demolition: this many "
                                  "dwellings (at most the residence's)")

    _v = field_validator("announce", "demolish", mode="before")(lambda v: _check_date(v))


class ReconstitutionSpec(Strict):
    type: Literal["reconstitution"]
    date: Date
    neighbourhood: Name
    landlord: Name
    dwellings: int = Field(gt=0, le=100_000, json_schema_extra=plausible(None, 5000),
                           description="dwellings delivered (scaled with the territory)")
    financing: Literal["PLAI", "PLUS", "PLS", "PLI"] = Field(
        "PLAI", description="financing of the new residence (reconstitution is mostly PLAI, GLOSSARY)")
    rent_m2: RentM2 | None = Field(None, description="EUR/m2/month at start-year prices; default "
                                   "from the delivery year's era x financing")
    name: Name | None = None

    _v = field_validator("date", mode="before")(lambda v: _check_date(v))


class RehabilitationSpec(Strict):
    type: Literal["rehabilitation"]
    date: Date
    residence: Name
    attractiveness_gain: float = Field(0.15, ge=0, le=1, description="added to the residence's "
                                       "attractiveness (assumption)")
    rent_change: float = Field(0.05, ge=-0.5, le=1.0, description="relative change of rents")

    _v = field_validator("date", mode="before")(lambda v: _check_date(v))


class DiversificationSpec(Strict):
    """Diversification on a renewal site (ANRU RGA NPNRU): dwellings that are not social housing,
    sold or let outside the allocation system to households with incomes above the social pool's."""

    type: Literal["diversification"]
    date: Date
    neighbourhood: Name
    dwellings: int = Field(gt=0, le=100_000, json_schema_extra=plausible(None, 5000),
                           description="dwellings delivered (scaled with the territory)")
    kind: Literal["intermediate", "fonciere_logement", "accession"] = Field(
        "intermediate", description="intermediate rental (PLI / LLI), Foncière Logement free-market "
        "rental, or home ownership (accession); none of them is let by the commission")
    financing: Literal["PLI"] = Field("PLI", description="rent and income band of the dwellings: "
                                      "intermediate (PLI); PLS is social housing and belongs in a "
                                      "reconstitution")
    rent_m2: RentM2 | None = Field(None, description="EUR/m2/month at start-year prices; default "
                                   "from era x financing (for accession: the owner's monthly cost)")
    income_min_ratio: PosFloat = Field(0.9, le=3.0, description="occupants' income is drawn between "
                                       "this ratio and income_max_ratio of the PLUS ceiling (assumption)")
    income_max_ratio: PosFloat = Field(1.6, le=5.0, description="upper end of that band")
    attractiveness_gain: float = Field(0.05, ge=0, le=1, description="gain for the neighbourhood")
    landlord: Name | None = None
    name: Name | None = None

    _v = field_validator("date", mode="before")(lambda v: _check_date(v))

    @model_validator(mode="after")
    def _band(self):
        if self.income_max_ratio <= self.income_min_ratio:
            raise ValueError(tr("income_max_ratio doit être au-dessus de income_min_ratio",
                                "income_max_ratio must be above income_min_ratio"))
        return self


class SaleSpec(Strict):
    type: Literal["sale"]
    date: Date
    residence: Name
    dwellings: int = Field(gt=0, le=100_000, description="sold as they fall vacant from the date "
                           "(at most the residence's dwellings)")

    _v = field_validator("date", mode="before")(lambda v: _check_date(v))


WorkSpec = Annotated[Union[DemolitionSpec, ReconstitutionSpec, RehabilitationSpec,
                           DiversificationSpec, SaleSpec], Field(discriminator="type")]


# ------------------------------------------------------------------------------------------ rehousing


class RentReductionSpec(Strict):
    """ANRU rent-reduction indemnity (indemnité pour minoration de loyer, RGA NPNRU): a lump sum paid
    to the landlord for each definitive rehousing into a new dwelling or one under APL agreement for
    less than five years, provided the lease rent is at most the household's APL rent ceiling."""

    recent_years: int = Field(5, ge=0, le=20, description="years since completion under which a "
                              "dwelling counts as new or recent (RGA: under five years)")
    indemnity_t1_t2: NonNegFloat = Field(1500.0, le=50_000.0, description="EUR per rehousing in a T1 or T2 (RGA "
                                         "NPNRU 2015 schedule; zoned since the 2021 amendment)")
    indemnity_t3_t4: NonNegFloat = Field(4000.0, le=50_000.0, description="EUR per rehousing in a T3 or T4 (same)")
    indemnity_t5: NonNegFloat = Field(5000.0, le=50_000.0, description="EUR per rehousing in a T5 or larger (same)")
    max_indemnities: int | None = Field(None, ge=0, le=1_000_000, description="number of lump sums "
                                        "in the renewal agreement (scaled with the territory); none = "
                                        "as many as rehousings qualify")


class RehousingSpec(Strict):
    """Rehousing strategy for tenants of residences to be demolished (landlord's duty to rehouse,
    CCH L353-15 and L442-6; ANRU RGA NPNRU)."""

    vacancy_share: Share = Field(0.5, description="share of the vacancy flow reserved for rehousing "
                                 "while households remain to be rehoused (assumption)")
    offers_max: int = Field(3, ge=1, le=10, description="suitable offers (fitting needs and means) a "
                            "household may refuse before losing its right to stay (loi 1948 art. 13 "
                            "bis via CCH L353-15 and L442-6: three)")
    after_refusals: Literal["keep_offering", "eviction"] = Field(
        "keep_offering", description="what follows the last refused suitable offer: keep_offering = "
        "the team keeps making offers and the demolition waits (usual practice); eviction = the "
        "household loses its right to stay and leaves social housing after the notice")
    eviction_notice_months: int = Field(6, ge=0, le=36, description="months between the last refused "
                                        "offer and the end of the right to stay (eviction only)")
    target_outside_qpv: Share = Field(0.0, description="share of rehousings to aim outside QPV")
    target_new_dwellings: Share = Field(0.0, description="share to aim in dwellings under 5 years old")
    target_other_landlord: Share = Field(0.0, description="share to aim with another landlord")
    target_tolerance: Share = Field(0.03, description="points a share may exceed its target by: a "
                                    "dwelling that would overshoot more is not offered (the team "
                                    "offers another one or waits for another vacancy)")
    rent_reduction: RentReductionSpec | None = Field(None, description="ANRU rent-reduction "
                                                     "indemnity for rehousing in new or recent "
                                                     "dwellings; none = no reduction")
    right_to_return_share: Share = Field(0.1, description="share of rehoused wishing to return to "
                                         "the renewed site (served first on new units there)")
    attachment_mean: Share = Field(0.6, description="mean attachment to the neighbourhood (assumption)")
    accept_intercept: Logit = Field(1.0, description="acceptance logit intercept")
    accept_attachment: Logit = Field(1.5, description="x attachment, when the offer is in another "
                                     "neighbourhood (subtracted)")
    accept_cost: float = Field(0.02, ge=-1.0, le=1.0, json_schema_extra=plausible(0, 0.1),
                               description="x increase of remaining cost in EUR/month (subtracted)")
    accept_new: Logit = Field(0.8, description="added for a dwelling under 5 years old")
    accept_pressure: NonNegFloat = Field(0.5, le=5.0, description="added per offer beyond offers_max "
                                         "under keep_offering: the household knows it has lost its "
                                         "right to stay (assumption)")


# ---------------------------------------------------------------------------------------- observation


class ObservationSpec(Strict):
    residence_scale: bool = Field(True, description="collect indicators per residence too")
    poverty_line_uc: PosFloat = Field(
        15000.0, ge=5000.0, le=40000.0, description="EUR/UC/year at start-year prices, poverty line "
        "(60 % of the median living standard; INSEE, 1,216 EUR/month in 2022, brought to 2025 with "
        "income growth); indexed on incomes (economy.income_growth)")
    fine_medians_every_months: int = Field(1, ge=1, le=12, description="medians per neighbourhood "
                                           "and residence every N months (12: each December), to save "
                                           "time on large territories; other indicators stay monthly")
    fragile_threshold: PosFloat = Field(1.25, le=10.0, json_schema_extra=plausible(1.0, 2.0),
                                        description="composite fragility score >= this: fragile")
    balanced_threshold: PosFloat = Field(0.85, le=10.0, json_schema_extra=plausible(0.5, 1.0),
                                         description="composite <= this: balanced")


# ------------------------------------------------------------------------------------------- scenario


def _not_in_territory(kind: str, name: str, valid) -> str:
    """'residence X is not in the territory', with the closest names and the list of valid ones."""
    import difflib

    valid = sorted(valid)
    close = difflib.get_close_matches(name, valid, n=1, cutoff=0.6)
    hint = tr(f" ; vouliez-vous dire '{close[0]}' ?", f"; did you mean '{close[0]}'?") if close else ""
    shown = ", ".join(valid[:40]) + (", …" if len(valid) > 40 else "")
    kind_fr = {"residence": "la résidence", "neighbourhood": "le quartier"}.get(kind, kind)
    return tr(f"{kind_fr} '{name}' n'existe pas dans le territoire{hint} (noms valides : {shown})",
              f"{kind} '{name}' is not in the territory{hint} (valid names: {shown})")


class Scenario(Strict):
    """A whole scenario file (after `extends:` has been merged)."""

    name: Name = "scenario"
    description: str = Field("", max_length=5000)
    run: RunSettings = RunSettings()
    territory: TerritorySpec
    population: PopulationSpec = PopulationSpec()
    behaviour: BehaviourSpec = BehaviourSpec()
    economy: EconomySpec = EconomySpec()
    rents: RentsSpec = RentsSpec()
    allocation: AllocationSpec = AllocationSpec()
    works: list[WorkSpec] = Field(default_factory=list, max_length=1000)
    rehousing: RehousingSpec = RehousingSpec()
    observation: ObservationSpec = ObservationSpec()
    local_figures: LocalFiguresSpec | None = Field(
        None, description="the territory's own aggregate figures (Q1 threshold, Q1 shares of tenants, "
        "applicants, allocations, priority share, vacancy) from which households are synthesised; "
        "none = national defaults")

    @model_validator(mode="after")
    def _local_figures(self):
        """Figures given in local_figures replace the parameters they determine (docs/rpls.md)."""
        if self.local_figures is not None:
            from .local_figures import apply_local_figures
            apply_local_figures(self)
        return self

    @model_validator(mode="after")
    def _references(self):
        nb = {n.name: n for n in self.territory.neighbourhoods}
        res = {r.name for n in self.territory.neighbourhoods for r in n.residences}
        landlords = {l.name for l in self.territory.landlords}
        for i, w in enumerate(self.works):
            where = f"works[{i}] ({w.type})"
            if getattr(w, "residence", None) is not None and w.residence not in res:
                raise ValueError(f"{where}: {_not_in_territory('residence', w.residence, res)}")
            if getattr(w, "neighbourhood", None) is not None and w.neighbourhood not in nb:
                raise ValueError(f"{where}: " + tr(
                    f"le quartier '{w.neighbourhood}' n'est pas dans le territoire ({', '.join(nb)})",
                    f"neighbourhood '{w.neighbourhood}' is not in the territory ({', '.join(nb)})"))
            if getattr(w, "landlord", None) is not None and w.landlord not in landlords:
                raise ValueError(f"{where}: " + tr(f"le bailleur '{w.landlord}' n'est pas dans territory.landlords",
                                                     f"landlord '{w.landlord}' is not in territory.landlords"))
            if isinstance(w, DemolitionSpec):
                if date_to_month(w.demolish, 2000) < date_to_month(w.announce, 2000):
                    raise ValueError(f"{where}: " + tr(f"demolish ({w.demolish}) est avant announce ({w.announce})",
                                                         f"demolish ({w.demolish}) is before announce ({w.announce})"))
            y0 = self.run.start_year
            when = w.demolish if isinstance(w, DemolitionSpec) else w.date
            if date_to_month(when, y0) < 1:
                raise ValueError(f"{where}: " + tr(
                    f"daté de {when}, avant le début de la simulation ({y0}-01) ; datez-le de {y0}-01 "
                    "ou après, ou avancez run.start_year",
                    f"dated {when}, before the start of the run ({y0}-01); date it {y0}-01 or later, "
                    "or set run.start_year earlier"))
        size = {r.name: r.dwellings for n in self.territory.neighbourhoods for r in n.residences}
        taken: dict[str, int] = {}
        for i, w in enumerate(self.works):
            if isinstance(w, (DemolitionSpec, SaleSpec)):
                k = size[w.residence] if w.dwellings is None else w.dwellings
                taken[w.residence] = taken.get(w.residence, 0) + k
                if taken[w.residence] > size[w.residence]:
                    raise ValueError(f"works[{i}] ({w.type}): " + tr(
                        f"la résidence '{w.residence}' a {size[w.residence]} logements, ses démolitions "
                        f"et ventes en prennent {taken[w.residence]} ; réduisez leurs dwellings",
                        f"residence '{w.residence}' has {size[w.residence]} dwellings, its demolitions "
                        f"and sales take {taken[w.residence]}; lower their dwellings"))
        for i, c in enumerate(self.allocation.choice_based_letting):
            for n in c.neighbourhoods:
                if n not in nb:
                    raise ValueError(f"allocation.choice_based_letting[{i}]: " + tr(
                        f"le quartier '{n}' n'est pas dans le territoire ({', '.join(nb)})",
                        f"neighbourhood '{n}' is not in the territory ({', '.join(nb)})"))
        for r in self.allocation.mix_rules.target_residences:
            if r not in res:
                raise ValueError("allocation.mix_rules.target_residences: "
                                 + _not_in_territory("residence", r, res))
        for r in (self.allocation.scoring.mix_target_residences if self.allocation.scoring else []):
            if r not in res:
                raise ValueError("allocation.scoring.mix_target_residences: "
                                 + _not_in_territory("residence", r, res))
        return self
