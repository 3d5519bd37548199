"""Warnings on renewal works that break the ANRU general regulation (RGA NPNRU) or on an occupancy
review that cannot apply (CCH L442-5-2). The file stays valid: a local programme may have an ANRU
derogation, so `validate` says what the file breaks and goes on. Rules and sources:
docs/rules-renewal.md."""

from __future__ import annotations

import math

from .checks import check
from .fmt import tr
from .schema import DemolitionSpec, DiversificationSpec, ReconstitutionSpec

PLAI_MIN_SHARE = 0.60   # RGA NPNRU: at least 60 % of the rebuilt social dwellings in PLAI


def _demolished(sc) -> int:
    """Dwellings the scenario demolishes (whole residences at their described size)."""
    size = {r.name: r.dwellings for n in sc.territory.neighbourhoods for r in n.residences}
    return sum(w.dwellings or size.get(w.residence, 0) for w in sc.works if isinstance(w, DemolitionSpec))


def _reconstitutions(sc):
    return [(i, w) for i, w in enumerate(sc.works) if isinstance(w, ReconstitutionSpec)]


@check
def one_for_one(sc) -> list[str]:
    """RGA NPNRU: every demolished social dwelling is rebuilt (one for one)."""
    gone = _demolished(sc)
    rebuilt = sum(w.dwellings for _, w in _reconstitutions(sc))
    if gone and rebuilt < gone:
        return [tr(f"works : {rebuilt} logements reconstitués pour {gone} démolis ; le règlement général "
                   f"de l'ANRU (NPNRU) demande une reconstitution un pour un (ajouter {gone - rebuilt} "
                   "logements en éléments `reconstitution`, ou dire en commentaire pourquoi)",
                   f"works: {rebuilt} dwellings rebuilt for {gone} demolished; ANRU's general regulation "
                   f"(NPNRU) asks for one-for-one reconstitution (add {gone - rebuilt} dwellings as "
                   "`reconstitution` items, or say why in a comment)")]
    return []


@check
def plai_share(sc) -> list[str]:
    """RGA NPNRU: at least 60 % of the rebuilt dwellings in PLAI."""
    items = _reconstitutions(sc)
    total = sum(w.dwellings for _, w in items)
    plai = sum(w.dwellings for _, w in items if w.financing == "PLAI")
    if total and plai < PLAI_MIN_SHARE * total - 1e-9:
        need = math.ceil(PLAI_MIN_SHARE * total - 1e-9)
        return [tr(f"works (reconstitution) : {plai} PLAI sur {total} logements reconstitués "
                   f"({100 * plai / total:.0f} %) ; le règlement général de l'ANRU "
                   f"en demande au moins 60 % (au moins {need} en `financing: PLAI`)",
                   f"works (reconstitution): {plai} PLAI of {total} rebuilt dwellings "
                   f"({100 * plai / total:.0f} %); ANRU's general regulation asks for at least 60 % "
                   f"(at least {need} with `financing: PLAI`)")]
    return []


@check
def reconstitution_financing(sc) -> list[str]:
    """RGA NPNRU: the rebuilt social dwellings are financed in PLAI or PLUS."""
    return [tr(f"works[{i}] (reconstitution) : financing {w.financing} ; l'ANRU ne finance la "
               "reconstitution qu'en PLAI ou PLUS (mettre `financing: PLAI` ou `PLUS`)",
               f"works[{i}] (reconstitution): financing {w.financing}; ANRU funds reconstitution in "
               "PLAI or PLUS only (set `financing: PLAI` or `PLUS`)")
            for i, w in _reconstitutions(sc) if w.financing not in ("PLAI", "PLUS")]


@check
def reconstitution_outside_qpv(sc) -> list[str]:
    """RGA NPNRU: reconstitution outside QPV as a principle (exceptions by ANRU derogation)."""
    qpv = {n.name for n in sc.territory.neighbourhoods if n.is_qpv}
    return [tr(f"works[{i}] (reconstitution) : neighbourhood '{w.neighbourhood}' est un QPV ; le "
               "règlement général de l'ANRU demande de reconstituer hors QPV sauf dérogation (choisir un "
               "quartier hors QPV, ou dire la dérogation en commentaire)",
               f"works[{i}] (reconstitution): neighbourhood '{w.neighbourhood}' is a QPV; ANRU's general "
               "regulation asks to rebuild outside QPV save by derogation (choose a neighbourhood "
               "outside QPV, or state the derogation in a comment)")
            for i, w in _reconstitutions(sc) if w.neighbourhood in qpv]


@check
def diversification_on_site(sc) -> list[str]:
    """Diversification is an ANRU operation on a renewal site."""
    sites = {n.name for n in sc.territory.neighbourhoods if n.is_renewal_site}
    return [tr(f"works[{i}] (diversification) : neighbourhood '{w.neighbourhood}' n'est pas un site en "
               "renouvellement urbain (is_renewal_site) ; la diversification du NPNRU se fait sur le site",
               f"works[{i}] (diversification): neighbourhood '{w.neighbourhood}' is not an urban-renewal "
               "site (is_renewal_site); NPNRU diversification happens on the site")
            for i, w in enumerate(sc.works) if isinstance(w, DiversificationSpec) and w.neighbourhood not in sites]


@check
def review_needs_tense_area(sc) -> list[str]:
    """CCH L442-5-2 applies in tense areas only: a review outside them does nothing."""
    r = sc.allocation.occupancy_review
    if r is not None and not r.tense_area:
        return [tr("allocation.occupancy_review.tense_area : false, l'examen de l'occupation (CCH "
                   "L442-5-2) ne s'applique qu'en zone tendue et ne sera pas fait (mettre true ou retirer "
                   "occupancy_review)",
                   "allocation.occupancy_review.tense_area: false; the occupancy review (CCH L442-5-2) "
                   "applies in tense areas only and will not be done (set true or remove "
                   "occupancy_review)")]
    return []
