"""Renewal rehousing (DESIGN §3.7): tenants of residences to be demolished receive offers, in order,
on a share of the vacancy flow taken out of ordinary allocation, under the strategy's targets
(outside QPV, new dwellings, another landlord), with a cap on the increase of remaining cost met by a
rent reduction, and a right to return to the renewed site.
"""

from __future__ import annotations

import math

import numpy as np

from . import events as ev
from . import moves, rents
from .state import OCCUPIED, TENANT, VACANT
from .territory import NEW_DWELLING_YEARS

RELEASE_AFTER_MONTHS = 2   # a reserved vacancy no rehousing household took returns to the ordinary flow


class Rehousing:
    def __init__(self, model):
        self.model = model
        self.spec = model.sc.rehousing
        self.credit = 0.0
        self.pending = 0
        self.pending_landlords = np.empty(0, np.int16)
        self.flag_quartile: dict[int, int] = {}   # household -> income quartile (0 = Q1) when flagged
        self.log: dict[str, list] = {k: [] for k in (
            "month", "household", "from_residence", "dwelling", "residence", "outside_qpv",
            "new_dwelling", "other_landlord", "remaining_cost_before", "remaining_cost_after",
            "reduction", "quartile", "forced")}

    # --------------------------------------------------------------------------- flow reservation
    def reserve(self, d: np.ndarray) -> np.ndarray:
        """Which of the new vacancies d are reserved for rehousing: a deterministic share of the flow,
        taken from the stock of the landlords that demolish unless the strategy aims at rehousing
        with other landlords too (inter-landlord rehousing)."""
        n = d.size
        if self.pending == 0 or n == 0 or self.spec.vacancy_share == 0:
            return np.zeros(n, bool)
        dw, terr = self.model.dwellings, self.model.territory
        if self.spec.target_other_landlord > 0:
            inside = np.ones(n, bool)
        else:
            inside = np.isin(dw.landlord[d], self.pending_landlords)
        if self.spec.target_outside_qpv > 0:
            # a strategy aiming off the site leaves the site's own vacancies to ordinary allocation
            inside &= ~terr.nb_renewal[dw.nbhd[d]]
        k = int(inside.sum())
        take = np.zeros(n, bool)
        if k:
            s = self.spec.vacancy_share
            c = self.credit + s * np.arange(1, k + 1)
            prev = np.concatenate(([self.credit], c[:-1]))
            take[np.flatnonzero(inside)] = np.floor(c) > np.floor(prev)
            self.credit = float(c[-1] % 1.0)
        return take

    def _update_pending(self) -> None:
        hh, dw = self.model.households, self.model.dwellings
        todo = np.flatnonzero(hh.rehouse)
        self.pending = int(todo.size)
        self.pending_landlords = np.unique(dw.landlord[np.maximum(hh.dwelling[todo], 0)]) \
            if todo.size else np.empty(0, np.int16)

    # ---------------------------------------------------------------------------------- flagging
    def flag(self, h: np.ndarray) -> None:
        """Tenants of a residence announced for demolition become to-be-rehoused."""
        m = self.model
        hh, dw = m.households, m.dwellings
        h = np.asarray(h, np.int64)
        if h.size == 0:
            return
        hh.rehouse[h] = True
        hh.rehouse_res[h] = dw.residence[hh.dwelling[h]]
        self.flag_quartile.update(zip(h.tolist(), m.quartile(hh.income_uc_of(h)).tolist()))
        hh.rehouse_offers[h] = 0
        rc, _, _ = rents.costs(m, h, hh.dwelling[h])
        hh.rc_before[h] = rc
        m.log.add(ev.TO_REHOUSE, h, hh.dwelling[h], dw.residence[hh.dwelling[h]])
        if m.sc.allocation.rehousing_precedence:
            from .population import start_application
            from .scoring import compute_keys
            start_application(m, h, m.streams["works"])
            hh.app_expiry[h] = 10**9
            compute_keys(m, h)
        else:
            hh.applying[h] = False   # a pending transfer request is superseded by the rehousing
        self._update_pending()

    def capped(self, h: int, rc: float) -> tuple[float, float]:
        """(remaining cost, rent reduction) once the strategy's cap on the increase is applied."""
        cap = self.spec.remaining_cost_cap
        if cap is None:
            return rc, 0.0
        red = max(0.0, rc - float(self.model.households.rc_before[h]) - cap)
        return rc - red, red

    def accept_prob(self, h: int, d: int, rc_new: float) -> float:
        """Probability that a to-be-rehoused household accepts dwelling d at remaining cost rc_new."""
        m = self.model
        hh, dw = m.households, m.dwellings
        sp = self.spec
        cur = int(hh.dwelling[h])
        other_nb = cur < 0 or dw.nbhd[d] != dw.nbhd[cur]
        new = dw.built[d] >= m.current_year - NEW_DWELLING_YEARS
        z = (sp.accept_intercept - sp.accept_attachment * float(hh.attachment[h]) * other_nb
             - sp.accept_cost * max(0.0, rc_new - float(hh.rc_before[h])) + sp.accept_new * new)
        return 1.0 / (1.0 + math.exp(-min(max(z, -50.0), 50.0)))   # no overflow at extreme values

    # --------------------------------------------------------------------------------- the month
    def step(self) -> None:
        """One offer per to-be-rehoused household this month, on the reserved vacancies."""
        m = self.model
        hh, dw, terr = m.households, m.dwellings, m.territory
        self._update_pending()
        reserved = np.flatnonzero((dw.status == VACANT) & dw.reserved)
        if self.pending == 0:
            dw.reserved[reserved] = False
            return
        stale = reserved[m.month - dw.vacant_since[reserved] >= RELEASE_AFTER_MONTHS]
        todo = np.flatnonzero(hh.rehouse & (hh.state == TENANT))
        if self.spec.target_outside_qpv > 0:
            # a strategy aiming outside QPV serves the poorest first: they are the ones whose move
            # changes the site's mix, and the cost cap makes the offers affordable to them
            todo = todo[np.lexsort((todo, hh.income_uc_of(todo)))]
        else:
            todo = todo[np.lexsort((todo, hh.rehouse_res[todo]))]
        avail = list(reserved)
        rng = m.streams["rehousing"]
        for h in todo.tolist():
            if not avail:
                break
            d, rc, red = self._best_offer(h, np.array(avail))
            if d < 0:
                continue
            hh.rehouse_offers[h] += 1
            last = hh.rehouse_offers[h] >= self.spec.offers_max
            accepted = last or rng.random() < self.accept_prob(h, d, rc)
            self._log_offer(h, d, accepted)
            if accepted:
                avail.remove(d)
                self._rehouse(h, d, rc, red, forced=False)
        still = np.array([d for d in stale if d in set(avail)], np.int64)
        dw.reserved[still] = False
        dw.listed_since[still] = m.month   # back in the ordinary flow, not yet advertised
        self._update_pending()

    def _log_offer(self, h, d, accepted) -> None:
        a = self.model.allocator
        a._log_offer(self.model.month, d, h, -1, 0, float("nan"), accepted, False)
        if not accepted:
            a.month_refusals += 1

    def _best_offer(self, h: int, cands: np.ndarray, impose: bool = False):
        """The dwelling the rehousing team offers household h among cands, with its remaining cost
        and the rent reduction funding the cap. Returns (-1, 0, 0) when none fits."""
        m = self.model
        hh, dw, terr = m.households, m.dwellings, m.territory
        sp = self.spec
        gap = m.sc.allocation.max_size_gap
        size = int(hh.size_of(h))
        fit = np.abs(dw.typology[cands].astype(int) - min(size, 6)) <= gap
        if size >= 6:     # as in allocation: households of 6+ persons also fit the largest type (T5)
            fit |= dw.typology[cands] == 5
        c = cands[fit]
        if c.size == 0:
            return -1, 0.0, 0.0
        hv = np.full(c.size, h)
        rent_m2 = rents.reletting_rent_m2(m, c)
        dw_red = dw.reduction[c].copy()
        dw.reduction[c] = 0.0
        rc, burden, residual = rents.costs(m, hv, c, rent_m2)
        dw.reduction[c] = dw_red
        before = float(hh.rc_before[h])
        red = np.zeros(c.size)
        if sp.remaining_cost_cap is not None:   # vectorised form of `capped`
            red = np.maximum(rc - before - sp.remaining_cost_cap, 0.0)
            rc = rc - red
            burden = rc / max(float(hh.income[h]) / 12.0, 1.0)
        ok = burden <= max(m.sc.allocation.rent_burden_max, 0.5 if impose else 0.0)
        if not ok.any():
            if not impose:
                return -1, 0.0, 0.0
            ok[:] = True
        c, rc, red = c[ok], rc[ok], red[ok]
        st = self.stats()
        n = st["n"] + 1
        out = ~terr.nb_qpv[dw.nbhd[c]]
        new = dw.built[c] >= m.current_year - NEW_DWELLING_YEARS
        cur = int(hh.dwelling[h])
        other_ll = dw.landlord[c] != (dw.landlord[cur] if cur >= 0 else -1)
        same_nb = dw.nbhd[c] == (dw.nbhd[cur] if cur >= 0 else -1)
        score = (3.0 * max(0.0, sp.target_outside_qpv - st["out"] / n) * out
                 + 2.0 * max(0.0, sp.target_new_dwellings - st["new"] / n) * new
                 + 2.0 * max(0.0, sp.target_other_landlord - st["ol"] / n) * other_ll
                 + float(hh.attachment[h]) * same_nb
                 # without a target, the usual practice: close by, in the landlord's QPV stock
                 + 0.5 * terr.nb_qpv[dw.nbhd[c]] * (sp.target_outside_qpv == 0)
                 - 0.004 * np.maximum(rc - before, 0.0))
        j = int(np.argmax(score))
        return int(c[j]), float(rc[j]), float(red[j])

    def stats(self) -> dict:
        L = self.log
        return {"n": len(L["household"]), "out": sum(L["outside_qpv"]), "new": sum(L["new_dwelling"]),
                "ol": sum(L["other_landlord"])}

    def _rehouse(self, h: int, d: int, rc: float, red: float, forced: bool) -> None:
        m = self.model
        hh, dw = m.households, m.dwellings
        cur = int(hh.dwelling[h])
        rent_m2 = float(rents.reletting_rent_m2(m, d)[0])
        from_res = int(hh.rehouse_res[h])
        quart = int(m.quartile(np.array([hh.income_uc_of(h)]))[0])
        nb, res = int(dw.nbhd[d]), int(dw.residence[d])
        in_qpv = bool(m.territory.nb_qpv[nb])
        moves.move_in(m, h, d, rent_m2, ev.REHOUSED)
        dw.reduction[d] = red
        self.record_rehousing(h, d, rc, cur=cur, from_res=from_res, forced=forced, red=red, quart=quart)
        a = m.allocator
        a.log_allocation(d, h, -1, 2, quart, bool(hh.priority[h]), 0, 1, 1, False, rc,
                         rc / max(float(hh.income[h]) / 12.0, 1.0), in_qpv, nb, res)
        m.commissions[int(dw.landlord[d])].record(in_qpv, True)

    def record_rehousing(self, h: int, d: int, rc: float, cur: int | None = None, from_res=None,
                         forced=False, red=0.0, quart=None) -> None:
        """Bookkeeping shared by rehousing offers and rehousing through the ordinary flow."""
        m = self.model
        hh, dw, terr = m.households, m.dwellings, m.territory
        if cur is None:  # called before the move by the ordinary allocation
            cur = int(hh.dwelling[h])
        if quart is None:
            quart = int(m.quartile(np.array([hh.income_uc_of(h)]))[0])
        L = self.log
        old_ll = int(dw.landlord[cur]) if cur >= 0 else -1
        for k, v in (("month", m.month), ("household", h),
                     ("from_residence", int(hh.rehouse_res[h]) if from_res is None else from_res),
                     ("dwelling", d), ("residence", int(dw.residence[d])),
                     ("outside_qpv", bool(~terr.nb_qpv[dw.nbhd[d]])),
                     ("new_dwelling", bool(dw.built[d] >= m.current_year - NEW_DWELLING_YEARS)),
                     ("other_landlord", int(dw.landlord[d]) != old_ll),
                     ("remaining_cost_before", float(hh.rc_before[h])), ("remaining_cost_after", rc),
                     ("reduction", red), ("quartile", quart + 1), ("forced", forced)):
            L[k].append(v)
        hh.rehouse[h] = False
        hh.was_rehoused[h] = True
        hh.return_wish[h] = m.streams["rehousing"].random() < self.spec.right_to_return_share
        self.pending = max(0, self.pending - 1)

    # ------------------------------------------------------------------------ demolition date
    def force(self, h: np.ndarray) -> None:
        """At the demolition date: remaining tenants get an imposed offer among all vacancies;
        those nothing fits leave social housing."""
        m = self.model
        dw = m.dwellings
        for hid in np.asarray(h, np.int64).tolist():
            avail = np.flatnonzero(dw.status == VACANT)
            d, rc, red = self._best_offer(hid, avail, impose=True) if avail.size else (-1, 0.0, 0.0)
            if d >= 0:
                self._rehouse(hid, d, rc, red, forced=True)
            else:
                moves.leave(m, np.array([hid]), ev.FORCED_EXIT)

    # ---------------------------------------------------------------------------- right to return
    def on_delivery(self, d: np.ndarray) -> None:
        """New dwellings: on a renewal site they are offered first to rehoused households wishing to
        return; while households remain to be rehoused under a new-dwelling target, the rest are
        reserved for rehousing (released to the ordinary flow if unused)."""
        m = self.model
        hh, dw, terr = m.households, m.dwellings, m.territory
        nb = int(dw.nbhd[d[0]])
        if terr.nb_renewal[nb]:
            self._returns(d, nb)
        if self.pending and self.spec.target_new_dwellings > 0:
            free = d[dw.status[d] == VACANT]
            dw.reserved[free] = True

    def _returns(self, d: np.ndarray, nb: int) -> None:
        m = self.model
        hh, dw, terr = m.households, m.dwellings, m.territory
        want = np.flatnonzero(hh.return_wish & (hh.state == TENANT) & (hh.rehouse_res >= 0))
        want = want[terr.res_nbhd[hh.rehouse_res[want]] == nb]
        free = list(d.tolist())
        for h in want.tolist():
            if not free:
                break
            dd, rc, red = self._best_offer(h, np.array(free))
            if dd < 0:
                continue
            moves.move_in(m, h, dd, float(rents.reletting_rent_m2(m, dd)[0]), ev.RETURNED)
            dw.reduction[dd] = red
            hh.return_wish[h] = False
            free.remove(dd)
            q = int(m.quartile(np.array([hh.income_uc_of(h)]))[0])
            m.allocator.log_allocation(dd, h, -1, 3, q, bool(hh.priority[h]), 0, 1, 1, False, rc,
                                       rc / max(float(hh.income[h]) / 12.0, 1.0), bool(terr.nb_qpv[nb]), nb,
                                       int(dw.residence[dd]))
