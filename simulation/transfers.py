"""Transfers. Sitting tenants with a transfer request are candidates like other applicants
(allocation.py); this module runs the occupancy review of CCH L442-5-2: in tense areas, each lease is
reviewed every three years from its signature; tenants found in one of the legal situations
(over- or under-occupation, an adapted dwelling no longer needed, income over the ceiling) are sent
to the commission (CALEOL), a share of them then ask a transfer, and their requests get precedence
points. Giving QPV tenants precedence is a local option (`qpv_first`), not a situation of the law.
Rules and sources: docs/rules-renewal.md."""

from __future__ import annotations

import numpy as np

from . import events as ev
from . import rents
from .population import start_application
from .schema import date_to_month
from .scoring import compute_keys
from .state import OCCUPIED


def overcrowded(size: np.ndarray, surface: np.ndarray) -> np.ndarray:
    """Over-occupation in the housing-benefit sense (CCH R822-25): under 9 m2 for one person, 16 m2
    for two, 9 m2 more per extra person, 70 m2 from eight persons."""
    size = np.asarray(size)
    need = np.where(size <= 1, 9.0, np.minimum(16.0 + 9.0 * (size - 2), 70.0))
    return np.asarray(surface) < need


def underoccupied(size: np.ndarray, rooms: np.ndarray) -> np.ndarray:
    """Under-occupation (CCH L621-2): more rooms than persons plus one."""
    return np.asarray(rooms) > np.asarray(size) + 1


class OccupancyReview:
    def __init__(self, model):
        self.model = model
        spec = model.sc.allocation.occupancy_review
        sy = model.sc.run.start_year
        self.spec = spec
        self.window = (date_to_month(spec.start, sy), date_to_month(spec.end, sy) if spec.end else 10**9) \
            if spec and spec.tense_area else None
        self.reviewed = 0     # leases reviewed
        self.found = 0        # of which in a legal situation
        self.prompted = 0     # of which in a situation a transfer answers
        self.need_lapsed = np.zeros(0, bool)   # per household: occupants no longer need the adaptation
        if self.window is not None and "adapted_not_needed" in spec.situations:
            dw = model.dwellings
            dw.adapted[:] = model.streams["transfers"].random(dw.n) < spec.adapted_share

    def due(self, h: np.ndarray) -> np.ndarray:
        """Tenants h whose lease reaches a multiple of `every_years` this month."""
        age = self.model.month - self.model.households.entry_month[h]
        period = 12 * self.spec.every_years
        return (age > 0) & (age % period == 0)

    def situations(self, h: np.ndarray, d: np.ndarray, transfer_only: bool = False) -> np.ndarray:
        """Tenants h (in dwellings d) in one of the review's legal situations (with transfer_only,
        in one a transfer answers: all but the income over the ceiling)."""
        m = self.model
        hh, dw = m.households, m.dwellings
        size = hh.size_of(h)
        out = np.zeros(h.size, bool)
        for s in self.spec.situations:
            if transfer_only and s == "over_ceiling":
                continue
            if s == "overcrowded":
                out |= overcrowded(size, dw.surface[d])
            elif s == "underoccupied":
                out |= underoccupied(size, dw.typology[d])
            elif s == "adapted_not_needed":
                out |= dw.adapted[d] & self._lapsed(h)
            elif s == "over_ceiling":
                out |= hh.income[h] > rents.ceiling(m, size, dw.financing[d])
        return out

    def _lapsed(self, h: np.ndarray) -> np.ndarray:
        """Whether the occupants of an adapted dwelling no longer need it, drawn at each review with
        the chance accumulated since the previous one (kept once true)."""
        m = self.model
        n = m.households.n
        if self.need_lapsed.size < n:
            self.need_lapsed = np.concatenate((self.need_lapsed, np.zeros(n - self.need_lapsed.size, bool)))
        p = 1.0 - (1.0 - self.spec.adapted_need_lapse_rate) ** self.spec.every_years
        adapted = m.dwellings.adapted[m.households.dwelling[h]]
        draw = m.streams["transfers"].random(h.size) < p
        self.need_lapsed[h] |= adapted & draw
        return self.need_lapsed[h]

    def step(self) -> None:
        m = self.model
        if self.window is None or not (self.window[0] <= m.month <= self.window[1]):
            return
        hh, dw, terr = m.households, m.dwellings, m.territory
        occ = np.flatnonzero((dw.status == OCCUPIED) & dw.social)
        h = dw.tenant[occ]
        due = self.due(h) & ~hh.rehouse[h]
        h, d = h[due], occ[due]
        if h.size == 0:
            return
        self.reviewed += int(h.size)
        found = self.situations(h, d)
        h, d = h[found], d[found]
        self.found += int(h.size)
        # an income over the ceiling is answered by advice on home ownership, not by a transfer to
        # another social dwelling: those tenants are counted, not prompted (their response is the SLS)
        movers = self.situations(h, d, transfer_only=True) if "over_ceiling" in self.spec.situations \
            else np.ones(h.size, bool)
        h, d = h[movers], d[movers]
        self.prompted += int(h.size)
        rng = m.streams["transfers"]
        ask = h[~hh.applying[h] & (rng.random(h.size) < self.spec.uptake)]
        if ask.size:
            start_application(m, ask, rng)
            m.log.add(ev.TRANSFER_REQUEST, ask, hh.dwelling[ask])
        points = np.full(h.size, self.spec.points, np.float32)
        if self.spec.qpv_first:
            points += np.float32(self.spec.qpv_points) * terr.nb_qpv[dw.nbhd[d]]
        applying = hh.applying[h]
        hh.review_points[h[applying]] = points[applying]
        compute_keys(m, h[applying])


def step(model) -> None:
    model.occupancy_review.step()
