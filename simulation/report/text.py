"""Words and number formats of the comparison report, in French (default) and English."""

from __future__ import annotations

import math

NBSP = "\u202f"   # narrow no-break space: French thousands separator and before % and €

SERIES_LABELS = {
    "fr": {
        "q1_tenants_qpv": "Part des locataires du 1er quartile en QPV",
        "q1_tenants_outside_qpv": "Part des locataires du 1er quartile hors QPV",
        "q1_tenants_site": "Part des locataires du 1er quartile sur le site en renouvellement",
        "q1_tenants_territory": "Part des locataires du 1er quartile (territoire)",
        "legal_q1_outside_qpv": "Attributions hors QPV au 1er quartile ou à des relogés (objectif 25 %)",
        "legal_q2q4_in_qpv": "Attributions en QPV aux quartiles 2 à 4 (objectif 50 %)",
        "legal_priority": "Attributions aux publics prioritaires, tous réservataires (objectif 25 %)",
        "dissimilarity_q1": "Indice de dissimilarité des ménages du 1er quartile",
        "theil_q1": "Indice d'entropie de Theil des ménages du 1er quartile",
        "wait_median": "Délai d'attente médian des ménages logés (mois)",
        "wait_median_q1": "Délai médian — 1er quartile (mois)",
        "wait_median_q2": "Délai médian — 2e quartile (mois)",
        "wait_median_q3": "Délai médian — 3e quartile (mois)",
        "wait_median_q4": "Délai médian — 4e quartile (mois)",
        "wait_median_priority": "Délai médian — ménages prioritaires (mois)",
        "rehoused_outside_qpv": "Relogements hors QPV",
        "rehoused_new_dwelling": "Relogements dans un logement neuf ou récent",
        "rehoused_other_landlord": "Relogements chez un autre bailleur",
        "rehoused_cost_change": "Variation du reste à charge des relogés (€/mois)",
        "rent_revenue": "Loyers quittancés par les bailleurs (€/mois)",
        "turnover": "Taux de rotation",
        "refusals": "Taux de refus des propositions",
        "vacancy": "Taux de vacance",
    },
    "en": {
        "q1_tenants_qpv": "Share of first-quartile tenants in QPV",
        "q1_tenants_outside_qpv": "Share of first-quartile tenants outside QPV",
        "q1_tenants_site": "Share of first-quartile tenants on the renewal site",
        "q1_tenants_territory": "Share of first-quartile tenants (territory)",
        "legal_q1_outside_qpv": "Allocations outside QPV to Q1 or rehoused households (objective 25%)",
        "legal_q2q4_in_qpv": "Allocations in QPV to quartiles 2-4 (objective 50%)",
        "legal_priority": "Allocations to priority households, all holders (objective 25%)",
        "dissimilarity_q1": "Dissimilarity index of first-quartile households",
        "theil_q1": "Theil entropy index of first-quartile households",
        "wait_median": "Median wait of housed households (months)",
        "wait_median_q1": "Median wait — first quartile (months)",
        "wait_median_q2": "Median wait — second quartile (months)",
        "wait_median_q3": "Median wait — third quartile (months)",
        "wait_median_q4": "Median wait — fourth quartile (months)",
        "wait_median_priority": "Median wait — priority households (months)",
        "rehoused_outside_qpv": "Rehousings outside QPV",
        "rehoused_new_dwelling": "Rehousings into a new or recent dwelling",
        "rehoused_other_landlord": "Rehousings with another landlord",
        "rehoused_cost_change": "Change in rehoused households' remaining cost (EUR/month)",
        "rent_revenue": "Landlords' rent roll (EUR/month)",
        "turnover": "Turnover rate",
        "refusals": "Refusal rate of offers",
        "vacancy": "Vacancy rate",
    },
}

T = {
    "fr": {
        "title": "Comparaison de scénarios par rapport à « {base} »",
        "question": "La question posée", "variants": "Ce que change chaque variante",
        "lever_dates": "Dates des leviers", "headline": "Tableau de synthèse",
        "baseline": "Référence", "objective": "objectif légal", "objective_col": "Objectif",
        "band": "bande 5–95 % des graines", "diff": "écart à la référence [IC 90 %]",
        "sure": "écart net : l'intervalle de confiance exclut zéro",
        "headline_note": "Sous chaque valeur de la référence : la bande 5–95 % des graines. Sous chaque "
                         "variante : l'écart à la référence et son intervalle de confiance à 90 % "
                         "(en points de pourcentage pour les parts). En gras : écart net, "
                         "l'intervalle exclut zéro.",
        "group_occupancy": "Occupation du parc", "group_legal": "Indicateurs légaux d'attribution",
        "group_segregation": "Ségrégation", "group_waits": "Délais d'attente",
        "group_rehousing": "Relogement (renouvellement urbain)",
        "group_landlords": "Bailleurs et fonctionnement du parc",
        "hz_year": "en année {n} ({y})", "hz_period": "moyenne de la période",
        "series": "Évolutions (moyenne des graines et bande 5–95 %, leviers en pointillés)",
        "fig_neighbourhoods": "Part des locataires du 1er quartile par quartier en {y}",
        "transitions": "Trajectoires des ménages d'une année sur l'autre, par quartile de revenu",
        "transitions_note": "Part des ménages, selon où ils logeaient au 1er janvier, qui se trouvent "
                            "l'année suivante en QPV, hors QPV ou hors du parc social (toutes années et graines).",
        "quartile": "Quartile", "from": "Au départ", "rehousing": "Relogement des ménages du site",
        "rehoused": "Ménages relogés (moyenne par graine)", "outcome": "Résultat", "target": "Cible",
        "reh_outside": "Relogés hors QPV", "reh_new": "Relogés dans un logement neuf ou récent",
        "reh_other": "Relogés chez un autre bailleur", "reh_cost": "Variation moyenne du reste à charge",
        "destinations": "Où sont allés les relogés (quartier d'arrivée)",
        "methods": "Méthode", "few_seeds": "Attention : {n} graine(s) seulement. Avec moins de 5 "
        "graines, les intervalles de confiance sont larges et les écarts fragiles ; relancez avec "
        "--seeds 10 ou plus avant de conclure.",
        "failures": "Simulations en échec (exclues des résultats)",
        "missing": "{n} simulation(s) manquent : les résultats portent sur les simulations terminées.",
        "figures_note": "Les figures sont aussi fournies en PNG dans le dossier figures/, les tableaux "
                        "en CSV (séparateur ;, virgule décimale) dans le dossier tables/.",
    },
    "en": {
        "title": "Scenario comparison against “{base}”",
        "question": "The question", "variants": "What each variant changes",
        "lever_dates": "Lever dates", "headline": "Headline table",
        "baseline": "Baseline", "objective": "legal objective", "objective_col": "Objective",
        "band": "5–95% band over seeds", "diff": "difference to baseline [90% CI]",
        "sure": "clear difference: the confidence interval excludes zero",
        "headline_note": "Under each baseline value: the 5–95% band over seeds. Under each variant: "
                         "the difference to the baseline and its 90% confidence interval (percentage "
                         "points for shares). In bold: clear difference, the interval excludes zero.",
        "group_occupancy": "Occupancy", "group_legal": "Legal allocation indicators",
        "group_segregation": "Segregation", "group_waits": "Waiting times",
        "group_rehousing": "Rehousing (urban renewal)", "group_landlords": "Landlords and stock",
        "hz_year": "in year {n} ({y})", "hz_period": "period mean",
        "series": "Over time (mean over seeds and 5–95% band, levers dotted)",
        "fig_neighbourhoods": "Share of first-quartile tenants by neighbourhood in {y}",
        "transitions": "Households' year-to-year trajectories by income quartile",
        "transitions_note": "Share of households, by where they lived on 1 January, found the next "
                            "year in QPV, outside QPV or out of social housing (all years and seeds).",
        "quartile": "Quartile", "from": "From", "rehousing": "Rehousing of the site's households",
        "rehoused": "Households rehoused (mean per seed)", "outcome": "Outcome", "target": "Target",
        "reh_outside": "Rehoused outside QPV", "reh_new": "Rehoused in a new or recent dwelling",
        "reh_other": "Rehoused with another landlord", "reh_cost": "Mean change of remaining cost",
        "destinations": "Where rehoused households went (neighbourhood)",
        "methods": "Methods", "few_seeds": "Warning: only {n} seed(s). With fewer than 5 seeds the "
        "confidence intervals are wide and differences fragile; rerun with --seeds 10 or more "
        "before concluding.",
        "failures": "Failed runs (left out of the results)",
        "missing": "{n} run(s) missing: results cover the finished runs.",
        "figures_note": "Figures are also given as PNG in figures/, tables as CSV in tables/.",
    },
}


def _num(v: float, decimals: int, lang: str) -> str:
    s = f"{v:,.{decimals}f}"
    if s.lstrip("-").strip("0.,") == "":          # -0.0 -> 0.0
        s = s.lstrip("-")
    if lang == "fr":
        s = s.replace(",", NBSP).replace(".", ",")
    return s


def fmt_value(v, unit: str, lang: str = "fr") -> str:
    """A level: 30,9 % / 14,0 mois / 1 234 567 € / 0,27 (index) / 96."""
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "n.d." if lang == "fr" else "n/a"
    v = float(v)
    if unit == "share":
        return f"{_num(100 * v, 1, lang)}{NBSP}%" if lang == "fr" else f"{100 * v:.1f}%"
    if unit == "months":
        return f"{_num(v, 1, lang)} mois" if lang == "fr" else f"{v:.1f} months"
    if unit == "eur":
        return f"{_num(v, 0, lang)}{NBSP}€" if lang == "fr" else f"EUR {v:,.0f}"
    if unit == "index":
        return _num(v, 3, lang)
    return _num(v, 0 if abs(v - round(v)) < 1e-9 else 1, lang)


def fmt_diff(d, lo, hi, unit: str, lang: str = "fr") -> str:
    """A paired difference with its interval: +2,3 pts [+1,1 ; +3,5] (shares in percentage points)."""
    if d is None or not math.isfinite(d):
        return "n.d." if lang == "fr" else "n/a"

    def one(x):
        if unit == "share":
            s = _num(100 * x, 1, lang)
        elif unit == "index":
            s = _num(x, 3, lang)
        elif unit == "months":
            s = _num(x, 1, lang)
        else:
            s = _num(x, 0, lang)
        return ("+" if x > 0 else "") + s.replace("-", "−")

    suffix = {"share": " pt" if lang == "fr" else " pt", "months": " mois" if lang == "fr" else " months",
              "eur": f"{NBSP}€" if lang == "fr" else " EUR"}.get(unit, "")
    body = one(d) + suffix
    if lo is not None and math.isfinite(lo) and math.isfinite(hi):
        sep = " ; " if lang == "fr" else ", "
        body += f" [{one(lo)}{sep}{one(hi)}]"
    return body
