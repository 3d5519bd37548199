"""Demand scoring (cotation): points per criterion plus seniority points per month.

Seniority is linear, so an applicant's score at month t is `key + points_per_month * t` with a
time-invariant `key = static points - points_per_month * application month`; ranking by `key` is
ranking by score. Keys are recomputed when an application starts, every January (criteria
such as overcrowding or income quartile move) and when a grid comes into force.
"""

from __future__ import annotations

import numpy as np

from .schema import ScoringCriterion, ScoringGrid, date_to_month
from .state import TENANT

# the default when no grid is active: seniority plus priority
DEFAULT_GRID = ScoringGrid(name="ancienneté et priorité", points_per_month=1.0,
                           criteria=[ScoringCriterion(criterion="priority", points=24.0)])
REHOUSING_PRECEDENCE_POINTS = 10_000.0


def active_grid(model) -> ScoringGrid:
    a = model.sc.allocation
    if a.scoring is None:
        return DEFAULT_GRID
    if a.scoring_from is not None and model.month < date_to_month(a.scoring_from, model.sc.run.start_year):
        return DEFAULT_GRID
    return a.scoring


def criterion_mask(model, name: str, h: np.ndarray) -> np.ndarray:
    """Whether each household in h meets a scoring criterion (vectorised). Each criterion reads
    only what it needs: this runs for every criterion of the grid each time keys are set."""
    hh, dw, terr = model.households, model.dwellings, model.territory
    if name == "priority":
        return hh.priority[h]
    if name == "not_in_work":
        return ~hh.employed[h]
    if name == "action_logement":
        return hh.al_employee[h]
    if name == "renewal_rehousing":
        return hh.rehouse[h]
    if name == "local":
        return hh.local[h]
    if name == "rent_burden_high":
        return model.burden_of(h) > 0.35
    if name in ("q1", "q2"):
        q = model.quartile(hh.income_uc_of(h))
        return q == (0 if name == "q1" else 1)
    size = hh.size_of(h)
    if name == "single_parent":
        return (hh.adults[h] == 1) & (size > 1)
    tenant = hh.state[h] == TENANT
    if name == "transfer":
        return tenant
    if name == "hosted_or_homeless":
        return hh.hosted[h] & ~tenant
    d = np.where(tenant, hh.dwelling[h], 0)
    if name == "transfer_leaving_qpv":
        return tenant & terr.nb_qpv[dw.nbhd[d]]
    rooms = np.where(tenant, dw.typology[d], 0)
    if name == "overcrowded":
        return (tenant & (size > rooms + 1)) | (~tenant & hh.hosted[h] & (size >= 3))
    if name == "underoccupied":
        return tenant & (rooms > size + 1)
    raise ValueError(name)


def compute_keys(model, h: np.ndarray) -> None:
    """Set the ranking key of households h under the grid in force."""
    if len(h) == 0:
        return
    grid = active_grid(model)
    hh = model.households
    static = np.zeros(len(h))
    for c in grid.criteria:
        static += c.points * criterion_mask(model, c.criterion, h)
    static += hh.review_points[h] + hh.refusal_points[h]
    if model.sc.allocation.rehousing_precedence:
        static += REHOUSING_PRECEDENCE_POINTS * hh.rehouse[h]
    hh.key[h] = static - grid.points_per_month * hh.app_date[h]
    model.rekeyed.append(np.asarray(h, np.int64))


def refresh(model) -> None:
    """Every January and when a grid starts: recompute every pending applicant's key."""
    a = model.sc.allocation
    starts = a.scoring is not None and a.scoring_from is not None and \
        model.month == date_to_month(a.scoring_from, model.sc.run.start_year)
    if model.month % 12 == 1 or starts:
        compute_keys(model, np.flatnonzero(model.households.applying))
