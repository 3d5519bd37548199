"""Words of the web view in French (default) and English, and French number formatting."""

from __future__ import annotations

import math

LANGS = ("fr", "en")

MONTHS = {
    "fr": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
           "octobre", "novembre", "décembre"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"),
}

TEXT: dict[str, tuple[str, str]] = {
    # title and controls
    "title": ("peuplement — la ville en direct", "peuplement — the town, live"),
    "preset": ("Préréglage", "Preset"),
    "watch": ("À regarder", "What to watch"),
    "simulation": ("Simulation", "Simulation"),
    "play": ("▶ Lecture", "▶ Play"),
    "pause": ("❚❚ Pause", "❚❚ Pause"),
    "step": ("+1 mois", "+1 month"),
    "reset": ("Réinitialiser", "Reset"),
    "seed": ("Graine", "Seed"),
    "bad_seed": ("Graine : donnez un nombre entier positif ou nul, puis Réinitialiser.",
                 "Seed: give a whole number, zero or more, then Reset."),
    "months_per_frame": ("Mois par image", "Months per frame"),
    "speed": ("Pause entre deux images (ms)", "Pause between frames (ms)"),
    "levers": ("Leviers", "Levers"),
    "levers_note": ("Les leviers et la graine s'appliquent à la réinitialisation ; le reste du "
                    "préréglage est conservé.",
                    "Levers and seed apply on reset; the rest of the preset is kept."),
    "pending": ("Modifié : cliquez sur Réinitialiser pour l'appliquer.",
                "Changed: click Reset to apply."),
    "finished": ("Fin de l'horizon de simulation.", "End of the simulation horizon."),
    "month_n": ("mois", "month"),
    "no_cap": ("sans plafond", "no cap"),
    "language": ("English", "English"),
    # picture
    "town": ("La ville", "The town"),
    "q1": ("Q1 (les plus modestes)", "Q1 (poorest)"),
    "q2": ("Q2", "Q2"), "q3": ("Q3", "Q3"), "q4": ("Q4 (les plus aisés)", "Q4 (best-off)"),
    "vacant": ("Vacant", "Vacant"),
    "frozen": ("Gelé pour démolition", "Frozen for demolition"),
    "demolished": ("Démoli", "Demolished"),
    # charts
    "charts": ("Indicateurs", "Indicators"),
    "c_q1": ("Part des locataires du 1er quartile", "Share of first-quartile tenants"),
    "in_qpv": ("en QPV", "in QPV"), "outside_qpv": ("hors QPV", "outside QPV"),
    "c_legal": ("Indicateurs légaux (année) et objectifs", "Legal indicators (year) and objectives"),
    "legal_a": ("Q1 ou relogés, attributions hors QPV (obj. 25 %)",
                "Q1 or rehoused, allocations outside QPV (obj. 25 %)"),
    "legal_b": ("Q2-Q4, attributions en QPV (obj. 50 %)", "Q2-Q4, allocations in QPV (obj. 50 %)"),
    "legal_c": ("Publics prioritaires (obj. 25 %)", "Priority households (obj. 25 %)"),
    "c_dis": ("Indice de dissimilarité du 1er quartile (quartiers)",
              "Dissimilarity index of the first quartile (neighbourhoods)"),
    "c_wait": ("Délai médian d'attente par quartile (mois, année)",
               "Median waiting time by quartile (months, year)"),
    "no_data": ("(après la première année)", "(after the first year)"),
    # replay
    "replay": ("Rejeu de commission", "Commission replay"),
    "replay_pause": ("Mettez en pause pour ouvrir l'attribution d'un logement du mois.",
                     "Pause to open the allocation of one of the month's vacancies."),
    "replay_none": ("Aucun logement attribué ce mois-ci : avancez d'un mois.",
                    "No vacancy allocated this month: step one month."),
    "vacancy": ("Logement vacant du mois", "Vacancy of the month"),
    "dwelling": ("Logement", "Dwelling"),
    "rent": ("Loyer", "Rent"),
    "charges": ("charges", "service charges"),
    "holder": ("Réservataire", "Reservation holder"),
    "advertised": ("Publié (location choisie ou logement resté vacant) : pas d'ordre de commission, "
                   "le mieux classé des candidats volontaires l'obtient.",
                   "Advertised (choice-based letting or long vacancy): no commission order, the "
                   "best-scored of the volunteers gets it."),
    "candidates": ("Candidats proposés, dans l'ordre de la cotation", "Candidates, in scoring order"),
    "score": ("Cotation", "Score"), "income": ("Revenu (€/an)", "Income (€/year)"),
    "quartile": ("Quartile", "Quartile"), "remaining": ("Reste à charge (€/mois)", "Remaining cost (€/month)"),
    "burden": ("Taux d'effort", "Rent burden"), "household": ("Ménage", "Household"),
    "order_col": ("Ordre CAL", "CAL order"), "outcome": ("Réponse", "Answer"),
    "accepted": ("accepte", "accepts"), "refused": ("refuse", "refuses"),
    "not_offered": ("— (logement déjà attribué)", "— (already let)"),
    "p_refuse": ("probabilité de refus", "probability of refusal"),
    "priority": ("prioritaire", "priority"), "rehousing": ("relogement", "rehousing"),
    "why": ("Pourquoi cet ordre", "Why this order"),
    "why_score": ("La commission suit l'ordre de la cotation.", "The commission follows the scoring order."),
    "why_target": ("Résidence ciblée par une règle de mixité : les candidats hors 1er quartile passent "
                   "d'abord.", "Residence targeted by a mix rule: non-first-quartile candidates first."),
    "why_fragile": ("Règle de mixité appliquée à une résidence fragile : les candidats hors 1er "
                    "quartile passent d'abord.", "Mix rule in a fragile residence: non-first-quartile "
                    "candidates first."),
    "why_out_q1": ("Règle de mixité hors QPV (objectif de 25 % d'attributions au 1er quartile non "
                   "atteint) : les candidats du 1er quartile passent d'abord.",
                   "Mix rule outside QPV (25 % first-quartile objective not met): first-quartile "
                   "candidates first."),
    "why_steer_qpv": ("Pratique d'orientation : en QPV, les plus modestes (1er quartile) passent "
                      "d'abord.", "Steering practice: in QPV, the poorest (first quartile) first."),
    "why_steer_out": ("Pratique d'orientation : hors QPV, les candidats hors 1er quartile passent "
                      "d'abord.", "Steering practice: outside QPV, non-first-quartile candidates first."),
    "why_quota_q1": ("Le réservataire doit proposer des ménages du 1er quartile ou relogés "
                     "(objectif légal de 25 % hors QPV).",
                     "The holder must propose first-quartile or rehoused households (25 % legal "
                     "objective outside QPV)."),
    "why_quota_q2": ("Le réservataire doit proposer des ménages hors 1er quartile (objectif légal de "
                     "50 % en QPV).", "The holder must propose non-first-quartile households (50 % "
                     "legal objective in QPV)."),
    "why_unchanged": ("Ici, cela ne change pas l'ordre de la cotation.",
                      "Here this leaves the scoring order unchanged."),
    "why_grid_target": ("Résidence cible de mixité de la grille de cotation : seuls des ménages hors "
                        "1er quartile sont proposés.", "Mix target residence of the scoring grid: only "
                        "non-first-quartile households are proposed."),
    "why_one": ("Un seul candidat : pas d'ordre à décider.", "One candidate only: no order to decide."),
}


def t(key: str, lang: str = "fr") -> str:
    fr, en = TEXT[key]
    return en if lang == "en" else fr


def fmt_number(x: float, decimals: int = 0, lang: str = "fr") -> str:
    """1234.5 -> '1 234,5' in French, '1,234.5' in English; '–' for NaN."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    s = f"{x:,.{decimals}f}"
    if lang == "en":
        return s
    return s.replace(",", "\u202f").replace(".", ",")


def fmt_pct(x: float, decimals: int = 1, lang: str = "fr") -> str:
    """0.309 -> '30,9 %' (French) / '30.9 %'."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{fmt_number(100 * x, decimals, lang)} %"


def month_date(model, month: int | None = None) -> tuple[int, int]:
    """(year, month 1..12) of the model's month (month 1 is January of the start year; month 0,
    the initial state, is shown as that January too)."""
    m = model.month if month is None else month
    m = max(m, 1) - 1
    return model.sc.run.start_year + m // 12, m % 12 + 1


def month_label(model, lang: str = "fr", month: int | None = None) -> str:
    y, mo = month_date(model, month)
    return f"{MONTHS[lang][mo - 1]} {y}"
