"""Diversification on a renewal site: intermediate rental, Foncière Logement rental and home
ownership built on the site (ANRU RGA NPNRU) are not social housing. They are flagged
`dwellings.social = False` (financing PLI), never let by the commission nor counted in the holders'
flow, and are taken, as soon as they are vacant, by households from outside the social pool whose
incomes lie in the operation's band (a multiple of the PLUS ceiling for their size).
"""

from __future__ import annotations

import numpy as np

from . import events as ev
from . import moves, rents
from .population import draw_households
from .schema import FINANCINGS
from .state import OCCUPIED, VACANT

PLUS = FINANCINGS.index("PLUS")


class Diversification:
    def __init__(self, model):
        self.model = model
        self.dwellings = np.empty(0, np.int64)
        self.band = np.empty((0, 2))        # income band per dwelling, x PLUS ceiling
        self.entered = 0

    def add(self, d: np.ndarray, spec) -> None:
        """Register the dwellings of a diversification operation with its income band."""
        self.dwellings = np.concatenate((self.dwellings, d))
        band = np.tile([spec.income_min_ratio, spec.income_max_ratio], (d.size, 1))
        self.band = np.concatenate((self.band, band))

    def step(self) -> None:
        """Occupants do not apply for social housing; vacant dwellings are taken at once by new
        households from outside the pool (event entered_diversification)."""
        if self.dwellings.size == 0:
            return
        m = self.model
        dw, hh = m.dwellings, m.households
        st = dw.status[self.dwellings]
        occupants = dw.tenant[self.dwellings[st == OCCUPIED]]
        hh.applying[occupants] = False
        free = st == VACANT
        if not free.any():
            return
        d = self.dwellings[free]
        lo, hi = self.band[free, 0], self.band[free, 1]
        rng = m.streams["works"]
        k = d.size
        rooms = dw.typology[d].astype(np.int64)
        size = np.clip(rooms - 1 + rng.choice([-1, 0, 0, 1], k), 1, 6)
        size = np.where(rooms == 1, 1, size)
        p = m.sc.population
        h = draw_households(m, k, rng, size=size, income_uc_median=p.tenant_income_uc_median,
                            income_uc_sigma=p.tenant_income_uc_sigma, age_mean=p.adult_age_mean)
        ratio = lo + (hi - lo) * rng.random(k)
        hh.income[h] = ratio * rents.ceiling(m, size, np.full(k, PLUS))
        hh.priority[h] = False
        rent = rents.reletting_rent_m2(m, d)
        for hid, did, r in zip(h.tolist(), d.tolist(), rent.tolist()):
            moves.move_in(m, hid, did, r, ev.ENTERED_DIVERSIFICATION)
        m.ledger["entered"] += k
        self.entered += k
