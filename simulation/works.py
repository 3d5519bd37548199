"""Works and supply from the scenario's timeline: demolition with planned vacancy, reconstitution,
rehabilitation, diversification, sale.

A residence is demolished once it is empty: at its date the landlord must have rehoused every tenant
(CCH L353-15, L442-6), so the date slips while households remain (`Works.slippage`).

An operation on a named residence or neighbourhood applies to every copy of it when the territory is
scaled up, with dwelling counts scaled by the same factor.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import economy
from . import events as ev
from .schema import FINANCINGS, date_to_month
from .state import DEMOLISHED, FROZEN, OCCUPIED, VACANT
from .diversification import Diversification
from .territory import add_dwellings, default_rent_m2, era_value


@dataclass
class Demolition:
    spec: object
    announce: int
    demolish: int
    dwellings: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    done: bool = False
    demolished_month: int = -1


class Works:
    def __init__(self, model):
        self.model = model
        sy = model.sc.run.start_year
        self.demolitions: list[Demolition] = []
        self.dated: list[tuple[int, object]] = []
        for w in model.sc.works:
            if w.type == "demolition":
                self.demolitions.append(Demolition(w, date_to_month(w.announce, sy),
                                                   date_to_month(w.demolish, sy)))
            else:
                self.dated.append((date_to_month(w.date, sy), w))
        self.demolished = 0
        self.delivered = 0
        self.diversification = Diversification(model)

    def _scaled(self, k: int) -> int:
        return max(1, round(k * self.model.territory.scale_factor))

    def step(self) -> None:
        m = self.model
        month = m.month
        for op in self.demolitions:
            if op.done:
                continue
            if month == op.announce or (month > op.announce and op.dwellings.size == 0 and month == 1):
                self._announce(op)
            if month >= op.announce:
                self._maybe_demolish(op)
        for when, w in self.dated:
            if when == month or (when < 1 and month == 1):
                getattr(self, "_" + w.type)(w)
        self.diversification.step()

    def slippage(self) -> list[dict]:
        """Per announced demolition: planned and actual month and the delay in months (0 when
        demolished on time or early; for one still waiting past its date, the delay so far)."""
        out = []
        for op in self.demolitions:
            if self.model.month < op.announce:
                continue
            if op.done:
                delay = max(0, op.demolished_month - op.demolish)
            elif self.model.month > op.demolish and op.dwellings.size:
                delay = self.model.month - op.demolish
            else:
                delay = 0
            out.append({"residence": op.spec.residence, "planned_month": op.demolish,
                        "demolished_month": op.demolished_month, "slippage_months": delay})
        return out

    # -------------------------------------------------------------------------------- demolition
    def _announce(self, op: Demolition) -> None:
        """Planned vacancy starts: dwellings are no longer re-let, tenants are to be rehoused."""
        m = self.model
        dw, terr = m.dwellings, m.territory
        picked = []
        for r in terr.residences_named(op.spec.residence):
            d = np.flatnonzero((dw.residence == r) & (dw.status <= FROZEN))
            if op.spec.dwellings is not None:
                d = d[: self._scaled(op.spec.dwellings)]
            picked.append(d)
        op.dwellings = np.concatenate(picked) if picked else np.empty(0, np.int64)
        dw.doomed[op.dwellings] = True
        vac = op.dwellings[dw.status[op.dwellings] == VACANT]
        dw.status[vac] = FROZEN
        dw.reserved[vac] = False
        tenants = dw.tenant[op.dwellings[dw.status[op.dwellings] == OCCUPIED]]
        m.rehousing.flag(tenants)

    def _maybe_demolish(self, op: Demolition) -> None:
        m = self.model
        dw = m.dwellings
        occ = dw.status[op.dwellings] == OCCUPIED
        if occ.any() and m.month >= op.demolish:
            m.rehousing.demolition_due(dw.tenant[op.dwellings[occ]])
        if not occ.any():
            dw.status[op.dwellings] = DEMOLISHED
            dw.tenant[op.dwellings] = -1
            dw.doomed[op.dwellings] = False
            self.demolished += op.dwellings.size
            m.log.add(ev.DEMOLISHED, -1, op.dwellings, dw.residence[op.dwellings])
            op.done = True
            op.demolished_month = m.month

    # ---------------------------------------------------------------------------- new residences
    def _new_residence(self, name, nbhd, landlord, financing, rent_m2, k, social=True) -> np.ndarray:
        m = self.model
        terr, dw = m.territory, m.dwellings
        base, n = name, 2
        while name in terr.res_names:      # two deliveries in one neighbourhood: names stay unique
            name, n = f"{base} ({n})", n + 1
        year = m.sc.run.start_year + (m.month - 1) // 12
        rent = (rent_m2 if rent_m2 else default_rent_m2(m.sc.rents, year, financing)) \
            * economy.index(m, "rents")
        typ = era_value(m.sc.rents.typology_by_era, year)
        shares = np.array([typ.get(t, 0.0) for t in ("T1", "T2", "T3", "T4", "T5")], float)
        r = terr.add_residence(name, nbhd, landlord, year, FINANCINGS.index(financing), rent, shares)
        d = add_dwellings(dw, terr, m.sc.rents, r, k, m.streams["works"], status=VACANT, month=m.month)
        dw.social[d] = social
        terr.res_count[r] = k
        self.delivered += k
        if social:
            m.rehousing.on_delivery(d)
        return d

    def _reconstitution(self, w) -> None:
        terr = self.model.territory
        ll = terr.landlord_names.index(w.landlord)
        for c, nb in enumerate(terr.neighbourhoods_named(w.neighbourhood)):
            name = (w.name or f"Reconstitution {w.neighbourhood}") + ("" if terr.copies == 1 else f" {c + 1}")
            self._new_residence(name, nb, ll, w.financing, w.rent_m2, self._scaled(w.dwellings))

    def _diversification(self, w) -> None:
        """Dwellings outside social housing on the site: occupied by households from outside the
        social pool (diversification.py), never by the commission."""
        terr = self.model.territory
        ll = terr.landlord_names.index(w.landlord) if w.landlord else 0
        for c, nb in enumerate(terr.neighbourhoods_named(w.neighbourhood)):
            name = (w.name or f"Diversification {w.neighbourhood}") + ("" if terr.copies == 1 else f" {c + 1}")
            d = self._new_residence(name, nb, ll, w.financing, w.rent_m2, self._scaled(w.dwellings),
                                    social=False)
            self.diversification.add(d, w)
            terr.nb_attr[nb] = min(1.0, terr.nb_attr[nb] + w.attractiveness_gain)
        self.diversification.step()

    # ------------------------------------------------------------------------- kept residences
    def _rehabilitation(self, w) -> None:
        m = self.model
        terr, dw = m.territory, m.dwellings
        for r in terr.residences_named(w.residence):
            terr.res_attr_delta[r] += w.attractiveness_gain
            terr.res_rent_m2[r] *= 1.0 + w.rent_change
            dw.rent_m2[dw.residence == r] *= 1.0 + w.rent_change

    def _sale(self, w) -> None:
        terr = self.model.territory
        for r in terr.residences_named(w.residence):
            terr.res_to_sell[r] += self._scaled(w.dwellings)
