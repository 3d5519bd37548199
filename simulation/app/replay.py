"""Commission replay: one vacancy's allocation as trainers role-play it — the dwelling and its rent,
the reservation holder, the candidates with their scores, incomes and remaining cost, the
commission's order and why, each candidate's answer.

Reads the records the allocator keeps when `allocator.replay` is a deque (the web view turns it on;
batch runs leave it off) and the offers of the offer log.
"""

from __future__ import annotations

from ..scoring import active_grid
from .text import fmt_number, fmt_pct, month_label, t


def vacancies(model, month: int | None = None) -> list[dict]:
    """Records of the vacancies of `month` (default: the latest month that has some)."""
    rec = getattr(model.allocator, "replay", None)
    if not rec:
        return []
    if month is None:
        month = rec[-1]["month"]
    return [r for r in rec if r["month"] == month]


def vacancy_title(model, r: dict, lang: str = "fr") -> str:
    terr, dw = model.territory, model.dwellings
    d = r["dwelling"]
    res = terr.res_names[int(dw.residence[d])]
    qpv = " (QPV)" if terr.nb_qpv[int(dw.nbhd[d])] else ""
    return f"{res}{qpv} — T{int(dw.typology[d])}, {fmt_number(r['rent'], 0, lang)} €"


def why(model, r: dict, lang: str = "fr") -> str:
    """The reason for the commission's order, following AllocationCommission.order's rules with the
    draw recorded for this vacancy."""
    if r["advertised"]:
        return t("advertised", lang)
    notes = []
    grid_targets = {i for n in active_grid(model).mix_target_residences
                    for i in model.territory.residences_named(n)}
    if r["need"] == 1:
        notes.append(t("why_quota_q1", lang))
    elif r["need"] == -1 and int(model.dwellings.residence[r["dwelling"]]) in grid_targets:
        notes.append(t("why_grid_target", lang))
    elif r["need"] == -1:
        notes.append(t("why_quota_q2", lang))
    if len(r["shortlist"]) < 2:
        return " ".join(notes + [t("why_one", lang)])
    dw, terr = model.dwellings, model.territory
    d = r["dwelling"]
    res = int(dw.residence[d])
    in_qpv = bool(terr.nb_qpv[int(dw.nbhd[d])])
    comm = model.commissions[int(dw.landlord[d])]
    rules = comm.rules
    u = r["u"]
    if res in comm.target_residences:
        reason = "why_target"
    elif u < rules.strength and terr.res_fragility[res] == 0 and rules.fragile_prefer_non_q1:
        reason = "why_fragile"
    elif u < rules.strength and not in_qpv and rules.outside_qpv_prefer_q1 and r["order"] != sorted(r["order"]):
        reason = "why_out_q1"
    elif u >= 1.0 - rules.steering and u >= rules.strength:
        reason = "why_steer_qpv" if in_qpv else "why_steer_out"
    else:
        reason = "why_score"
    notes.append(t(reason, lang))
    if reason != "why_score" and r["order"] == sorted(r["order"]):
        notes.append(t("why_unchanged", lang))
    return " ".join(notes)


def details(model, r: dict, lang: str = "fr") -> dict:
    """Everything the replay card shows, formatted for `lang`."""
    terr, dw = model.territory, model.dwellings
    d = r["dwelling"]
    nb = int(dw.nbhd[d])
    res = int(dw.residence[d])
    surface = float(dw.surface[d])
    holder = model.holders[r["holder"]].name if r["holder"] >= 0 else t("rehousing", lang)
    ppm = active_grid(model).points_per_month
    O = model.allocator.offer_log
    answers = {}
    for j in range(r["offers"], len(O["month"])):
        if O["dwelling"][j] != d or O["month"][j] != r["month"]:
            break
        answers[O["household"][j]] = (O["p_refuse"][j], O["accepted"][j])
    rows = []
    order_pos = {pos: k + 1 for k, pos in enumerate(r["order"])}
    for i, (h, key, inc, quart, prio, rehouse, rc, burden) in enumerate(r["shortlist"]):
        tags = [t("priority", lang)] if prio else []
        if rehouse:
            tags.append(t("rehousing", lang))
        if h in answers:
            p, ok = answers[h]
            outcome = f"{t('accepted' if ok else 'refused', lang)} ({t('p_refuse', lang)} {fmt_pct(p, 0, lang)})"
        else:
            outcome = t("not_offered", lang)
        rows.append({
            "rank": i + 1, "household": f"n° {h}" + (f" ({', '.join(tags)})" if tags else ""),
            "score": fmt_number(key + ppm * r["month"], 0, lang),
            "income": fmt_number(inc, 0, lang), "quartile": f"Q{quart + 1}",
            "remaining": fmt_number(rc, 0, lang), "burden": fmt_pct(burden, 0, lang),
            "order": order_pos[i], "outcome": outcome, "accepted": bool(h in answers and answers[h][1]),
        })
    return {
        "month": month_label(model, lang, r["month"]),
        "dwelling": f"{terr.res_names[res]}, {terr.nb_names[nb]}" + (" (QPV)" if terr.nb_qpv[nb] else "")
                    + f" — T{int(dw.typology[d])}, {fmt_number(surface, 0, lang)} m², "
                      f"{t('month_n', lang)} {r['month']}",
        "rent": f"{fmt_number(r['rent'], 0, lang)} €/{t('month_n', lang)} ({fmt_number(r['rent'] / surface, 2, lang)} €/m²)"
                f" + {fmt_number(r['charges'], 0, lang)} € {t('charges', lang)}",
        "holder": holder,
        "why": why(model, r, lang),
        "rows": rows,
    }
