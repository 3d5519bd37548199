"""Warnings on scenarios that depart from the legal allocation rules (see docs/rules-allocation.md):
valid files, but the user should know the law says otherwise."""

from __future__ import annotations

from .checks import check
from .fmt import num, tr


@check
def prefect_quota_within_the_law(sc) -> list[str]:
    """The State's reservation is at most 30 % of the flow (CCH L441-1, R441-5)."""
    share = sum(h.flow_share for h in sc.allocation.holders if h.kind == "prefect")
    if share > 0.30 + 1e-9:
        return ["allocation.holders: " + tr(
            f"les flow_share du préfet font {num(share, 2)}, au-delà des 30 % que la loi permet "
            "(CCH R441-5) ; ramenez-les à 0,30 ou moins",
            f"the prefect's flow_share adds up to {share:.2f}, above the 30 % the law allows "
            "(CCH R441-5); lower it to 0.30 or less")]
    return []


@check
def priority_objective_within_the_law(sc) -> list[str]:
    """Each holder other than the State owes at least 25 % to DALO then priority households."""
    if sc.allocation.priority_objective < 0.25:
        v = sc.allocation.priority_objective
        return [tr(f"allocation.priority_objective vaut {num(v, 2)} : la loi fixe au moins 25 % "
                   "(CCH L441-1) ; en dessous, le scénario modélise un manquement",
                   f"allocation.priority_objective is {v:.2f}: the law sets at least 25 % (CCH L441-1); "
                   "below it the scenario models a breach")]
    return []


@check
def sls_threshold_within_the_law(sc) -> list[str]:
    """The SLS threshold is 20 % over the ceiling; a PLH may raise it to 35 % at most."""
    t = sc.rents.surcharge.threshold
    if sc.rents.surcharge.enabled and not 1.2 - 1e-9 <= t <= 1.35 + 1e-9:
        return [tr(f"rents.surcharge.threshold vaut {num(t, 2)} : la loi fixe 1,2 (CCH L441-3), qu'un "
                   "programme local de l'habitat peut porter à 1,35 au plus",
                   f"rents.surcharge.threshold is {t:.2f}: the law sets 1.2 (CCH L441-3), which a local "
                   "housing programme may raise to 1.35 at most")]
    return []
