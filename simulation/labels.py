"""French and English labels for every name users read in outputs (docs/glossaire.md: labels live here).

One dict per kind of name, each mapping the canonical (code) name to {"fr": ..., "en": ...}:
indicators, scales, allocation kinds, events, household states, spell kinds and reasons, area types
of the transition matrices, fragility classes and periods. `label(name)` looks a name up in all of
them; pass `kind=` when a name exists in several (e.g. "rehoused" is an indicator and an event).
"""

from __future__ import annotations

LANGS = ("fr", "en")


def _L(fr: str, en: str) -> dict[str, str]:
    return {"fr": fr, "en": en}


_QUARTILE_FR = {1: "1er quartile", 2: "2e quartile", 3: "3e quartile", 4: "4e quartile"}
_QUARTILE_EN = {1: "Q1", 2: "Q2", 3: "Q3", 4: "Q4"}

# --------------------------------------------------------------------------------- indicators
INDICATORS: dict[str, dict[str, str]] = {
    # occupancy
    "q1_share_tenants": _L("Part des locataires du 1er quartile (Q1)",
                           "Share of tenant households in Q1"),
    "q1_share_tenants_qpv": _L("Part des locataires du 1er quartile (Q1) en QPV",
                               "Share of Q1 tenant households in QPV"),
    "q1_share_tenants_outside_qpv": _L("Part des locataires du 1er quartile (Q1) hors QPV",
                                       "Share of Q1 tenant households outside QPV"),
    "median_income_uc": _L("Revenu médian par UC des locataires (€/an)",
                           "Median income per consumption unit of tenants (EUR/year)"),
    "priority_share_tenants": _L("Part des ménages prioritaires parmi les locataires",
                                 "Share of priority households among tenants"),
    "fragility_class": _L("Classe de fragilité de la résidence", "Residence fragility class"),
    "fragility_score": _L("Indice composite de fragilité de la résidence",
                          "Residence composite fragility score"),
    # legal allocation indicators
    "q1_share_allocations_outside_qpv": _L(
        "Attributions hors QPV aux demandeurs du 1er quartile ou ménages relogés (objectif 25 %)",
        "Allocations outside QPV to Q1 applicants or rehoused households (objective 25%)"),
    "q2q4_share_allocations_in_qpv": _L(
        "Attributions en QPV aux demandeurs des quartiles 2 à 4 (objectif ≥ 50 %)",
        "Allocations in QPV to Q2–Q4 applicants (objective >= 50%)"),
    "priority_share_allocations": _L("Attributions aux publics prioritaires (objectif 25 %)",
                                     "Allocations to priority households (objective 25%)"),
    "q1_share_allocations": _L("Part des attributions aux demandeurs du 1er quartile",
                               "Share of allocations to Q1 applicants"),
    # segregation
    "dissimilarity_q1": _L("Indice de dissimilarité (Duncan) des ménages du 1er quartile",
                           "Dissimilarity index (Duncan) of Q1 households"),
    "isolation_q1": _L("Indice d'isolement des ménages du 1er quartile", "Isolation index of Q1 households"),
    "theil_q1": _L("Indice d'entropie de Theil (H) des ménages du 1er quartile",
                   "Theil entropy index (H) of Q1 households"),
    "qpv_gap_q1": _L("Écart de part de Q1 entre les QPV et l'ensemble du territoire",
                     "Q1 share in QPV minus Q1 share of the territory"),
    # flows
    "allocations": _L("Attributions", "Allocations"),
    "exits": _L("Sorties du parc social", "Exits from social housing"),
    "transfers": _L("Mutations", "Transfers"),
    "turnover_rate": _L("Taux de rotation", "Turnover rate"),
    "vacancy_rate": _L("Taux de vacance", "Vacancy rate"),
    "vacancy_months_median": _L("Durée médiane de vacance (mois)", "Median vacancy duration (months)"),
    "refusal_rate": _L("Taux de refus (refus par proposition)", "Refusal rate (refusals per offer)"),
    "applications_per_allocation": _L("Demandes en attente par attribution (tension)",
                                      "Pending applications per allocation (tension)"),
    "pending_applications": _L("Demandes en attente", "Pending applications"),
    "pending_applicants_external": _L("Demandes en attente hors mutation (demandeurs externes)",
                                      "Pending applications from external applicants"),
    "pending_transfer_requests": _L("Demandes de mutation en attente", "Pending transfer requests"),
    "pending_applicants_priority": _L("Demandes en attente de ménages prioritaires",
                                      "Pending applications from priority households"),
    "wait_months_median": _L("Délai médian d'attente avant attribution (mois)",
                             "Median wait from application to allocation (months)"),
    "wait_months_median_priority": _L("Délai médian d'attente des publics prioritaires (mois)",
                                      "Median wait of priority households (months)"),
    "wait_months_median_external": _L("Délai médian d'attente des demandeurs externes (mois)",
                                      "Median wait of external applicants (months)"),
    "wait_months_median_transfer": _L("Délai médian d'attente des demandes de mutation (mois)",
                                      "Median wait of transfer requests (months)"),
    "wait_months_median_dalo": _L("Délai médian d'attente des ménages DALO (mois)",
                                  "Median wait of DALO households (months)"),
    # priority publics per reservation holder (CCH L441-1)
    "dalo_share_allocations": _L("Part des attributions aux ménages DALO",
                                 "Share of allocations to DALO households"),
    "share_of_allocations": _L("Part du réservataire dans les attributions",
                               "Holder's share of allocations"),
    "dalo_pending": _L("Ménages DALO en attente", "DALO households waiting"),
    "dalo_backlog": _L("Ménages DALO en attente au-delà du délai", "DALO households waiting past the deadline"),
    # ceilings, SLS, RLS
    "over_ceiling_share_applicants": _L("Part des demandeurs au-dessus du plafond PLUS",
                                        "Share of applicants over the PLUS ceiling"),
    "over_ceiling_share_tenants": _L("Part des locataires au-dessus du plafond de leur logement",
                                     "Share of tenants over their dwelling's ceiling"),
    "sls_payers_share_tenants": _L("Part des locataires payant le SLS", "Share of tenants paying the SLS"),
    "sls_mean": _L("SLS moyen des ménages qui le paient (EUR/mois)", "Mean SLS of payers (EUR/month)"),
    "sls_total": _L("SLS perçu (EUR/mois)", "SLS collected (EUR/month)"),
    "rls_beneficiaries_share_tenants": _L("Part des locataires bénéficiant de la RLS",
                                          "Share of tenants with the RLS"),
    "rls_total": _L("RLS supportée par les bailleurs (EUR/mois)", "RLS borne by landlords (EUR/month)"),
    # renewal rehousing
    "rehoused": _L("Ménages relogés (cumul)", "Rehoused households (cumulative)"),
    "rehoused_outside_qpv_share": _L("Part des relogements hors QPV", "Share of rehousings outside QPV"),
    "rehoused_new_dwelling_share": _L("Part des relogements dans le neuf ou récent (moins de 5 ans)",
                                      "Share of rehousings in new or recent dwellings (under 5 years)"),
    "rehoused_other_landlord_share": _L("Part des relogements chez un autre bailleur (inter-bailleurs)",
                                        "Share of rehousings with another landlord"),
    "rehoused_remaining_cost_change": _L("Évolution médiane du reste à charge des relogés (€/mois)",
                                         "Median change in remaining cost of rehoused households (EUR/month)"),
    "rehousing_indemnities_eur": _L("Indemnités ANRU pour minoration de loyer versées (cumul, €)",
                                    "ANRU rent-reduction indemnities paid (cumulative, EUR)"),
    "demolition_slippage_months": _L("Retard de démolition le plus long (mois)",
                                     "Longest demolition delay (months)"),
    "rehousing_evicted": _L("Ménages sortis après refus des offres de relogement (cumul)",
                            "Households evicted after refusing rehousing offers (cumulative)"),
    # affordability
    "rent_burden_median": _L("Taux d'effort médian des locataires", "Median rent burden of tenants"),
    "residual_income_median": _L("Reste à vivre médian des locataires (€/UC/mois)",
                                 "Median residual income of tenants (EUR/CU/month)"),
    "rent_revenue": _L("Produit locatif mensuel des bailleurs (€)", "Landlords' monthly rent revenue (EUR)"),
}
for _k in range(1, 5):
    INDICATORS[f"wait_months_median_q{_k}"] = _L(
        f"Délai médian d'attente des demandeurs du {_QUARTILE_FR[_k]} (mois)",
        f"Median wait of {_QUARTILE_EN[_k]} applicants (months)")
    INDICATORS[f"rent_burden_median_q{_k}"] = _L(
        f"Taux d'effort médian des locataires du {_QUARTILE_FR[_k]}",
        f"Median rent burden of {_QUARTILE_EN[_k]} tenants")
    INDICATORS[f"residual_income_median_q{_k}"] = _L(
        f"Reste à vivre médian des locataires du {_QUARTILE_FR[_k]} (€/UC/mois)",
        f"Median residual income of {_QUARTILE_EN[_k]} tenants (EUR/CU/month)")

# threshold-free occupancy (they do not move when the quartile thresholds move) and who gets housed
for _p in (20, 40, 60):
    INDICATORS[f"share_tenants_under_{_p}pct_plus_ceiling"] = _L(
        f"Part des locataires sous {_p} % du plafond PLUS",
        f"Share of tenants under {_p}% of the PLUS ceiling")
INDICATORS["share_tenants_under_poverty_line"] = _L(
    "Part des locataires sous le seuil de pauvreté (60 % du niveau de vie médian)",
    "Share of tenants under the poverty line (60% of median living standard)")
INDICATORS["allocation_rate"] = _L(
    "Taux d'attribution annuel des demandeurs", "Yearly allocation rate of applicants")
for _k in range(1, 5):
    INDICATORS[f"allocation_rate_q{_k}"] = _L(
        f"Taux d'attribution annuel des demandeurs du {_QUARTILE_FR[_k]}",
        f"Yearly allocation rate of {_QUARTILE_EN[_k]} applicants")
INDICATORS["allocation_rate_priority"] = _L(
    "Taux d'attribution annuel des demandeurs prioritaires", "Yearly allocation rate of priority applicants")
INDICATORS["allocation_rate_non_priority"] = _L(
    "Taux d'attribution annuel des demandeurs non prioritaires",
    "Yearly allocation rate of non-priority applicants")

# Short labels for tables (summary of a run); label(name, short=True) falls back to INDICATORS.
INDICATORS_SHORT: dict[str, dict[str, str]] = {
    "q1_share_tenants": _L("Locataires du 1er quartile", "Q1 tenants"),
    "q1_share_allocations_outside_qpv": _L("Attributions hors QPV au Q1 ou relogés (obj. 25 %)",
                                           "Allocations outside QPV to Q1 or rehoused (obj. 25%)"),
    "q2q4_share_allocations_in_qpv": _L("Attributions en QPV aux Q2–Q4 (obj. ≥ 50 %)",
                                        "Allocations in QPV to Q2–Q4 (obj. >= 50%)"),
    "priority_share_allocations": _L("Attributions aux DALO et prioritaires (obj. 25 % par réservataire)",
                                     "Allocations to DALO and priority households (obj. 25% per holder)"),
    "dissimilarity_q1": _L("Indice de dissimilarité du Q1 entre quartiers",
                           "Q1 dissimilarity index across neighbourhoods"),
    "applications_per_allocation": _L("Tension (demandes par attribution)",
                                      "Tension (applications per allocation)"),
    "refusal_rate": _L("Taux de refus", "Refusal rate"),
    "rehoused": _L("Ménages relogés (cumul)", "Rehoused households (cumulative)"),
}

# Indicators whose values are shares (0-1): shown as percentages.
SHARE_INDICATORS = frozenset(
    n for n in INDICATORS
    if n.endswith("_share") or "_share_" in n or n.endswith("_rate") or n.startswith("rent_burden")
    or n == "qpv_gap_q1" or n.startswith("share_") or n.startswith("allocation_rate"))

# Objectives of the legal indicators (CIA / loi Égalité et Citoyenneté): (value, "min" or "max").
LEGAL_OBJECTIVES: dict[str, float] = {
    "q1_share_allocations_outside_qpv": 0.25,
    "q2q4_share_allocations_in_qpv": 0.50,
    "priority_share_allocations": 0.25,
}

# ------------------------------------------------------------------------------------- scales
SCALES: dict[str, dict[str, str]] = {
    "territory": _L("Territoire (EPCI)", "Territory (EPCI)"),
    "qpv": _L("QPV", "QPV (priority neighbourhoods)"),
    "outside_qpv": _L("Hors QPV", "Outside QPV"),
    "neighbourhood": _L("Quartier", "Neighbourhood"),
    "residence": _L("Résidence", "Residence"),
    "reservation_holder": _L("Réservataire", "Reservation holder"),
    "municipality": _L("Commune", "Municipality"),
}

# ---------------------------------------------------------------------------- allocation kinds
ALLOCATION_KINDS: dict[str, dict[str, str]] = {
    "external": _L("Attribution à un demandeur externe", "Allocation to an external applicant"),
    "transfer": _L("Mutation", "Transfer"),
    "rehousing": _L("Relogement (renouvellement urbain)", "Renewal rehousing"),
    "return": _L("Retour sur site (droit au retour)", "Return to the site (right to return)"),
}

# ------------------------------------------------------------------------------------- events
EVENTS: dict[str, dict[str, str]] = {
    "applied": _L("Dépôt d'une demande de logement social", "Application registered"),
    "transfer_request": _L("Demande de mutation", "Transfer request"),
    "allocated": _L("Attribution (entrée dans le parc)", "Allocated (entry into social housing)"),
    "transferred": _L("Mutation", "Transferred"),
    "rehoused": _L("Relogé (renouvellement urbain)", "Rehoused (renewal)"),
    "returned": _L("Retour sur le site rénové", "Returned to the renewed site"),
    "exit": _L("Sortie du parc social", "Exit from social housing"),
    "death": _L("Décès", "Death"),
    "lapse": _L("Demande non renouvelée (radiation)", "Application lapsed"),
    "transfer_lapse": _L("Demande de mutation non renouvelée", "Transfer request lapsed"),
    "formed": _L("Nouveau ménage (décohabitation, séparation)", "New household formed"),
    "forced_exit": _L("Sortie sans relogement (droit au maintien perdu après trois refus)",
                      "Left without rehousing (right to stay lost after three refusals)"),
    "demolished": _L("Logement démoli", "Dwelling demolished"),
    "sold": _L("Logement vendu", "Dwelling sold"),
    "to_rehouse": _L("Ménage à reloger (démolition annoncée)", "To be rehoused (demolition announced)"),
    "entered_diversification": _L("Entrée dans un logement de diversification (hors parc social)",
                                  "Moved into a diversification dwelling (not social housing)"),
}

# --------------------------------------------------------------------------- household states
HOUSEHOLD_STATES: dict[str, dict[str, str]] = {
    "applicant": _L("Demandeur", "Applicant"),
    "tenant": _L("Locataire du parc social", "Social tenant"),
    "gone": _L("Sorti du modèle", "Gone"),
}

# ----------------------------------------------------------------------- trajectories (spells)
SPELL_KINDS: dict[str, dict[str, str]] = {
    "applicant": _L("Demandeur externe en attente", "External applicant (pending)"),
    "tenant": _L("Locataire", "Tenant"),
    "left": _L("Hors parc social après une sortie", "Outside social housing after an exit"),
}

SPELL_REASONS: dict[str, dict[str, str]] = {
    "initial": _L("Présent au début de la simulation", "Present at the start"),
    "applied": _L("Dépôt de demande", "Application"),
    "formed": _L("Nouveau ménage", "New household"),
    "allocated": _L("Attribution", "Allocation"),
    "transferred": _L("Mutation", "Transfer"),
    "rehoused": _L("Relogement", "Rehousing"),
    "returned": _L("Retour sur site", "Return to the site"),
    "exit": _L("Sortie du parc social", "Exit"),
    "death": _L("Décès", "Death"),
    "lapse": _L("Demande non renouvelée", "Lapse"),
    "forced_exit": _L("Sortie après refus des offres de relogement", "Left after refusing rehousing offers"),
    "still_there": _L("En cours à la fin de la simulation", "Still there at the end"),
}

AREA_TYPES: dict[str, dict[str, str]] = {
    "qpv": _L("Parc social en QPV", "Social housing in QPV"),
    "outside_qpv": _L("Parc social hors QPV", "Social housing outside QPV"),
    "outside_social_housing": _L("Hors parc social", "Outside social housing"),
    "died": _L("Décédé", "Died"),
}

FRAGILITY_CLASSES: dict[str, dict[str, str]] = {
    "fragile": _L("Fragile", "Fragile"),
    "intermediate": _L("Intermédiaire", "Intermediate"),
    "balanced": _L("Équilibrée", "Balanced"),
}
FRAGILITY_CODES = ("fragile", "intermediate", "balanced")   # fragility_class values 0, 1, 2

PERIODS: dict[str, dict[str, str]] = {
    "month": _L("Mois", "Month"),
    "year": _L("Année", "Year"),
}

KINDS: dict[str, dict[str, dict[str, str]]] = {
    "indicator": INDICATORS,
    "scale": SCALES,
    "allocation_kind": ALLOCATION_KINDS,
    "event": EVENTS,
    "household_state": HOUSEHOLD_STATES,
    "spell_kind": SPELL_KINDS,
    "spell_reason": SPELL_REASONS,
    "area_type": AREA_TYPES,
    "fragility_class": FRAGILITY_CLASSES,
    "period": PERIODS,
}


def label(name: str, lang: str = "fr", kind: str | None = None, short: bool = False) -> str:
    """Label of a canonical name in `lang` ("fr" or "en"); the name itself if unknown.

    Without `kind`, dicts are searched in the order of KINDS (indicators first). `short=True` gives
    the short label of an indicator when there is one (for tables)."""
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {', '.join(LANGS)}, not {lang!r}")
    if short and kind in (None, "indicator") and name in INDICATORS_SHORT:
        return INDICATORS_SHORT[name][lang]
    tables = [KINDS[kind]] if kind is not None else KINDS.values()
    for table in tables:
        entry = table.get(name)
        if entry is not None:
            return entry[lang]
    return name


def is_share(indicator: str) -> bool:
    """True when an indicator is a share or rate (0-1), to be shown as a percentage."""
    return indicator in SHARE_INDICATORS


__all__ = ["INDICATORS", "INDICATORS_SHORT", "SCALES", "ALLOCATION_KINDS", "EVENTS", "HOUSEHOLD_STATES", "SPELL_KINDS",
           "SPELL_REASONS", "AREA_TYPES", "FRAGILITY_CLASSES", "FRAGILITY_CODES", "PERIODS", "KINDS",
           "LEGAL_OBJECTIVES", "SHARE_INDICATORS", "label", "is_share"]
