"""Transfers. Sitting tenants with a transfer request are candidates like other
applicants (allocation.py); this module runs the occupancy review (CALEOL) that, once a year, finds
tenants in the chosen situations, prompts a share of them to ask a transfer and gives those requests
precedence points."""

from __future__ import annotations

import numpy as np

from . import events as ev
from . import rents
from .population import start_application
from .schema import date_to_month
from .scoring import compute_keys
from .state import OCCUPIED


class OccupancyReview:
    def __init__(self, model):
        self.model = model
        spec = model.sc.allocation.occupancy_review
        sy = model.sc.run.start_year
        self.spec = spec
        self.window = (date_to_month(spec.start, sy), date_to_month(spec.end, sy) if spec.end else 10**9) \
            if spec else None
        self.reviewed = 0

    def situations(self, h: np.ndarray, d: np.ndarray) -> np.ndarray:
        """Tenants h (in dwellings d) in one of the review's situations."""
        m = self.model
        hh, dw, terr = m.households, m.dwellings, m.territory
        size, rooms = hh.size_of(h), dw.typology[d]
        out = np.zeros(h.size, bool)
        for s in self.spec.situations:
            if s == "overcrowded":
                out |= size > rooms + 1
            elif s == "underoccupied":
                out |= rooms > size + 1
            elif s == "leaving_qpv":
                out |= terr.nb_qpv[dw.nbhd[d]]
            elif s == "over_ceiling":
                out |= hh.income[h] > rents.ceiling(m, size, dw.financing[d])
        return out

    def step(self) -> None:
        m = self.model
        if self.window is None or not (self.window[0] <= m.month <= self.window[1]):
            return
        if (m.month - self.window[0]) % 12 != 0:
            return
        hh, dw = m.households, m.dwellings
        occ = np.flatnonzero(dw.status == OCCUPIED)
        h = dw.tenant[occ]
        flagged = self.situations(h, occ) & ~hh.rehouse[h]
        h = h[flagged]
        rng = m.streams["transfers"]
        ask = h[~hh.applying[h] & (rng.random(h.size) < self.spec.uptake)]
        if ask.size:
            start_application(m, ask, rng)
            m.log.add(ev.TRANSFER_REQUEST, ask, hh.dwelling[ask])
        hh.review_points[h[hh.applying[h] | np.isin(h, ask)]] = self.spec.points
        compute_keys(m, h[hh.applying[h]])
        self.reviewed += int(h.size)


def step(model) -> None:
    model.occupancy_review.step()
