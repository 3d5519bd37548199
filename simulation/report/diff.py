"""What a variant changes compared with the baseline, in plain words, from the two resolved scenarios.

Works are described one by one as a practitioner would ("Démolition de Tilleuls - Tour A, annoncée
en janvier 2027, démolie en janvier 2030"); every other changed field is named by its path and its
description in the schema, with the baseline's and the variant's values. Dates found on the way are
returned too, so that figures can mark when each lever starts.
"""

from __future__ import annotations

from functools import lru_cache

_MONTHS = {
    "fr": ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
           "octobre", "novembre", "décembre"],
    "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"],
}
_DATE_KEYS = ("start", "date", "announce", "demolish")
_SKIP = {"name", "description", "run"}
# the lever fields a practitioner reads most, in words; other fields fall back to their section
FIELD_WORDS = {
    "rents.single_rent.start": ("Loyer unique au m² à la relocation — début", "Single rent per m² at re-letting — start"),
    "rents.single_rent.end": ("Loyer unique au m² — fin", "Single rent per m² — end"),
    "rents.single_rent.by_financing": ("Loyer unique distinct par type de financement", "Single rent per financing type"),
    "rents.rebalancing.start": ("Remise en ordre des loyers — début", "Rent rebalancing — start"),
    "rents.ceiling_waiver_qpv.start": ("Dérogation aux plafonds de ressources en QPV — début", "Income-ceiling waiver in QPV — start"),
    "allocation.legal_quotas.start": ("Poursuite des objectifs légaux d'attribution — début", "Legal allocation objectives pursued — start"),
    "allocation.legal_quotas.q1_outside_qpv": ("Objectif d'attributions hors QPV au 1er quartile", "Objective of allocations outside QPV to Q1"),
    "allocation.legal_quotas.q2q4_in_qpv": ("Objectif d'attributions en QPV aux quartiles 2 à 4", "Objective of allocations in QPV to Q2-Q4"),
    "allocation.occupancy_review": ("Examen de l'occupation des logements (CCH L442-5-2)", "Occupancy review (CCH L442-5-2)"),
    "allocation.occupancy_review.start": ("Examen de l'occupation des logements — début", "Occupancy review — start"),
    "allocation.occupancy_review.qpv_first": ("Examen de l'occupation : locataires en QPV d'abord (option locale)", "Occupancy review: QPV tenants first (local option)"),
    "allocation.mix_rules.steering": ("Orientation des plus modestes vers les QPV par les commissions", "Commissions steer the poorest to QPV"),
    "allocation.mix_rules.strength": ("Application des règles de mixité par les commissions", "Mix rules applied by commissions"),
    "allocation.mix_rules.fragile_prefer_non_q1": ("Résidences fragiles : ménages hors 1er quartile d'abord", "Fragile residences: non-Q1 households first"),
    "behaviour.refusals.enabled": ("Refus des propositions par les ménages", "Households may refuse offers"),
    "rehousing.target_outside_qpv": ("Cible de relogements hors QPV", "Target of rehousings outside QPV"),
    "rehousing.target_new_dwellings": ("Cible de relogements dans un logement neuf ou récent", "Target of rehousings in new dwellings"),
    "rehousing.target_other_landlord": ("Cible de relogements chez un autre bailleur", "Target of rehousings with another landlord"),
    "rehousing.rent_reduction": ("Minoration de loyer ANRU pour les relogés dans le neuf ou le récent", "ANRU rent reduction for the rehoused in new or recent dwellings"),
    "rehousing.rent_reduction.max_indemnities": ("Nombre d'indemnités de minoration de loyer prévues", "Number of rent-reduction indemnities agreed"),
    "rehousing.after_refusals": ("Après les refus d'offres des relogés", "After the rehoused's refusals"),
}
SECTION_WORDS = {
    "rents": ("Loyers", "Rents"), "allocation": ("Attributions", "Allocation"),
    "rehousing": ("Relogement", "Rehousing"), "population": ("Population (hypothèse)", "Population (assumption)"),
    "behaviour": ("Comportements (hypothèse)", "Behaviour (assumption)"),
    "observation": ("Observation", "Observation"),
}
_SHARE_WORDS = ("target_", "q1_outside_qpv", "q2q4_in_qpv", "share", "steering", "strength")


def month_name(date: str, lang: str = "fr") -> str:
    """'2027-01' -> 'janvier 2027' (or 'January 2027')."""
    s = str(date)
    y, _, m = s.partition("-")
    return f"{_MONTHS[lang][int(m or 1) - 1]} {y}"


def _flatten(d, prefix=""):
    out = {}
    if isinstance(d, dict):
        for k, v in d.items():
            p = f"{prefix}.{k}" if prefix else k
            if isinstance(v, dict):
                out.update(_flatten(v, p))
            else:
                out[p] = v
    return out


def _at(d, path: str):
    """The value at a dotted path of nested dicts (None where absent)."""
    for k in path.split("."):
        if not isinstance(d, dict):
            return None
        d = d.get(k)
    return d


@lru_cache(maxsize=1)
def _descriptions() -> dict[str, str]:
    """Dotted field path (without list markers) -> description from the schema."""
    from ..schema_doc import iter_fields

    out = {}
    for sec, name, f in iter_fields():
        path = sec.path.replace("[]", "")
        if " (type:" in path:
            continue
        out[f"{path}.{name}" if path else name] = f.description or ""
    return out


def _value(v, lang: str) -> str:
    if v is None:
        return "aucun" if lang == "fr" else "none"
    if isinstance(v, bool):
        return ("oui" if v else "non") if lang == "fr" else ("yes" if v else "no")
    if isinstance(v, float):
        s = f"{v:g}"
        return s.replace(".", ",") if lang == "fr" else s
    if isinstance(v, list):
        return ", ".join(_value(x, lang) for x in v) if v else ("aucun" if lang == "fr" else "none")
    return str(v)


def describe_work(w: dict, lang: str = "fr") -> str:
    """One work (demolition, reconstitution, ...) in one sentence."""
    t = w.get("type")
    fr = lang == "fr"
    M = lambda d: month_name(d, lang)  # noqa: E731
    if t == "demolition":
        part = (f"{w['dwellings']} logements de " if fr else f"{w['dwellings']} dwellings of ") \
            if w.get("dwellings") else ""
        return (f"Démolition de {part}{w['residence']}, annoncée en {M(w['announce'])}, démolition en "
                f"{M(w['demolish'])}" if fr else
                f"Demolition of {part}{w['residence']}, announced {M(w['announce'])}, demolished "
                f"{M(w['demolish'])}")
    if t == "reconstitution":
        return (f"Reconstitution de {w['dwellings']} logements {w.get('financing', '')} à "
                f"{w['neighbourhood']} ({w['landlord']}), livrés en {M(w['date'])}" if fr else
                f"Reconstitution of {w['dwellings']} {w.get('financing', '')} dwellings in "
                f"{w['neighbourhood']} ({w['landlord']}), delivered {M(w['date'])}")
    if t == "rehabilitation":
        rc = w.get("rent_change", 0) or 0
        return (f"Réhabilitation de {w['residence']} en {M(w['date'])} (loyers "
                f"{'+' if rc >= 0 else ''}{_value(round(100 * rc, 1), lang)} %)" if fr else
                f"Rehabilitation of {w['residence']} in {M(w['date'])} (rents "
                f"{'+' if rc >= 0 else ''}{round(100 * rc, 1)} %)")
    if t == "diversification":
        return (f"Diversification : {w['dwellings']} logements {w.get('financing', '')} à "
                f"{w['neighbourhood']}, livrés en {M(w['date'])}" if fr else
                f"Diversification: {w['dwellings']} {w.get('financing', '')} dwellings in "
                f"{w['neighbourhood']}, delivered {M(w['date'])}")
    if t == "sale":
        return (f"Vente de {w['dwellings']} logements de {w['residence']} à partir de {M(w['date'])}"
                if fr else f"Sale of {w['dwellings']} dwellings of {w['residence']} from {M(w['date'])}")
    return str(w)


def _work_dates(w: dict) -> list[str]:
    return [str(w[k]) for k in _DATE_KEYS if w.get(k)]


def differences(base: dict, variant: dict, lang: str = "fr") -> tuple[list[str], list[tuple[str, str]]]:
    """(sentences, [(date 'YYYY-MM', short label)]) describing what `variant` changes."""
    sentences: list[str] = []
    dates: list[tuple[str, str]] = []
    bw = [w for w in base.get("works", [])]
    for w in variant.get("works", []):
        if w not in bw:
            sentences.append(describe_work(w, lang))
            for d in _work_dates(w):
                dates.append((d, f"{w['type']} {w.get('residence') or w.get('neighbourhood', '')}".strip()))
    for w in bw:
        if w not in variant.get("works", []):
            sentences.append(("Supprimé par rapport à la référence : " if lang == "fr" else
                              "Removed from the baseline: ") + describe_work(w, lang))
    fb = _flatten({k: v for k, v in base.items() if k not in _SKIP and k != "works"})
    fv = _flatten({k: v for k, v in variant.items() if k not in _SKIP and k != "works"})
    desc = _descriptions()
    # a named block switched on or off (e.g. the ANRU rent reduction) is one sentence, not one per
    # default sub-field; sub-fields with their own words are still listed when set
    toggled = []
    for path in FIELD_WORDS:
        a, b = _at(base, path), _at(variant, path)
        if (a is None) != (b is None) and isinstance(a if a is not None else b, dict):
            toggled.append(path)
            on, off = ("activée", "aucune") if lang == "fr" else ("on", "none")
            what = FIELD_WORDS[path][0 if lang == "fr" else 1]
            va, vb = (off, on) if a is None else (on, off)
            sentences.append(f"{what} : {va} → {vb}" if lang == "fr" else f"{what}: {va} → {vb}")
    for path in sorted(set(fb) | set(fv)):
        if path.startswith("territory."):
            continue
        if any(path.startswith(t + ".") for t in toggled) and path not in FIELD_WORDS:
            continue
        a, b = fb.get(path), fv.get(path)
        if a == b:
            continue
        words = FIELD_WORDS.get(path)
        if words:
            what = words[0 if lang == "fr" else 1]
        else:
            sec = SECTION_WORDS.get(path.split(".", 1)[0])
            what = f"{sec[0 if lang == 'fr' else 1]} — {path}" if sec else path
            if lang == "en" and desc.get(path):
                what += f" ({desc[path]})"
        key = path.rsplit(".", 1)[-1]
        if key in _DATE_KEYS:
            va, vb = (month_name(x, lang) if x else _value(x, lang) for x in (a, b))
        elif any(w in key for w in _SHARE_WORDS) and all(isinstance(x, (int, float, type(None))) and
                                                          not isinstance(x, bool) for x in (a, b)):
            va, vb = (_value(x, lang) if x is None else _value(round(100 * x, 1), lang) + "\u202f%"
                      for x in (a, b))
        else:
            va, vb = _value(a, lang), _value(b, lang)
        sentences.append(f"{what} : {va} → {vb}" if lang == "fr" else f"{what}: {va} → {vb}")
        if path.rsplit(".", 1)[-1] in _DATE_KEYS and b:
            dates.append((str(b), path.rsplit(".", 2)[-2] if "." in path else path))
    if base.get("territory") != variant.get("territory"):
        sentences.append("Le territoire (parc, quartiers) diffère de celui de la référence."
                         if lang == "fr" else "The territory (stock, neighbourhoods) differs from the baseline's.")
    return sentences, sorted(set(dates))
