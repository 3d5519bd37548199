"""Renewal rehousing: tenants of residences to be demolished receive offers that fit their needs and
means, in order, on a share of the vacancy flow taken out of ordinary allocation, steered towards the
strategy's targets (outside QPV, new dwellings, another landlord); rehousing in a new or recent
dwelling may carry ANRU's rent-reduction indemnity; households may return to the renewed site.

The landlord must rehouse before demolishing (CCH L353-15, L442-6): nobody is put out at the
demolition date, which slips while households remain. A household that refuses `offers_max` suitable
offers (loi 1948 art. 13 bis) either keeps receiving offers or, under `after_refusals: eviction`,
loses its right to stay after the notice. Rules and sources: docs/rules-renewal.md.
"""

from __future__ import annotations

import math

import numpy as np

from . import events as ev
from . import moves, rents
from .state import TENANT, VACANT
from .territory import NEW_DWELLING_YEARS

RELEASE_AFTER_MONTHS = 2   # a reserved vacancy no rehousing household took returns to the ordinary flow
TARGET_WEIGHT = 10.0       # a target outweighs the household's own preferences in the choice of offer


def apl_rent_ceiling(model, h: int) -> float:
    """Household h's APL rent ceiling (EUR/month, loyer plafond) under the schedule of the year."""
    a = model.sc.rents.apl
    hh = model.households
    dep = max(int(hh.size_of(h)) - int(hh.adults[h]), 0)
    if dep > 0:
        ceil = a.rent_ceiling_family + a.rent_ceiling_per_extra * (dep - 1)
    else:
        ceil = a.rent_ceiling_couple if int(hh.adults[h]) > 1 else a.rent_ceiling_single
    return ceil * model.ceiling_growth


class Rehousing:
    def __init__(self, model):
        self.model = model
        self.spec = model.sc.rehousing
        self.credit = 0.0
        self.pending = 0
        self.pending_landlords = np.empty(0, np.int16)
        self.flag_quartile: dict[int, int] = {}   # household -> income quartile (0 = Q1) when flagged
        self.overdue = False            # a demolition date has passed with households left to rehouse
        self.late = np.empty(0, np.int64)    # households whose demolition date has passed
        self._counts = {"n": 0, "out": 0, "new": 0, "ol": 0}
        self.evict_at: dict[int, int] = {}   # household -> month its right to stay ends (eviction)
        self.evicted = 0
        rr = self.spec.rent_reduction
        self.indemnities_left = None if rr is None or rr.max_indemnities is None else \
            round(rr.max_indemnities * model.territory.scale_factor)
        self.log: dict[str, list] = {k: [] for k in (
            "month", "household", "from_residence", "dwelling", "residence", "outside_qpv",
            "new_dwelling", "other_landlord", "remaining_cost_before", "remaining_cost_after",
            "reduction", "quartile", "forced", "offers", "indemnity")}

    # --------------------------------------------------------------------------- flow reservation
    def reserve(self, d: np.ndarray) -> np.ndarray:
        """Which of the new vacancies d are reserved for rehousing: a deterministic share of the
        social flow, taken from the stock of the landlords that demolish unless the strategy aims at
        rehousing with other landlords too (inter-landlord rehousing). Once a demolition date has
        passed with households still to rehouse, the whole social flow of every landlord is taken
        until they are rehoused."""
        n = d.size
        if self.pending == 0 or n == 0 or (self.spec.vacancy_share == 0 and not self.overdue):
            return np.zeros(n, bool)
        dw = self.model.dwellings
        if self.spec.target_other_landlord > 0 or self.overdue:
            # inter-landlord rehousing, or every landlord's help once a demolition is overdue
            inside = dw.social[d].copy()
        else:
            inside = np.isin(dw.landlord[d], self.pending_landlords) & dw.social[d]
        k = int(inside.sum())
        take = np.zeros(n, bool)
        if k:
            s = 1.0 if self.overdue else self.spec.vacancy_share
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

    def capped(self, h: int, rc: float, d: int | None = None) -> tuple[float, float]:
        """(remaining cost, rent reduction) of household h rehoused through the ordinary flow in
        dwelling d at remaining cost rc: the rent-reduction indemnity applies in a new or recent
        dwelling (lease rent brought down to the APL rent ceiling)."""
        if d is None or self.spec.rent_reduction is None:
            return rc, 0.0
        m = self.model
        d_arr = np.array([d])
        rent_m2 = rents.reletting_rent_m2(m, d_arr)
        red = self.reductions(h, d_arr, rent_m2)
        if red[0] <= 0.0:
            return rc, 0.0
        keep = float(m.dwellings.reduction[d])
        m.dwellings.reduction[d] = red[0]
        rc2, _, _ = rents.costs(m, np.array([h]), d_arr, rent_m2)
        m.dwellings.reduction[d] = keep
        return float(rc2[0]), float(red[0])

    def recent(self, d: np.ndarray) -> np.ndarray:
        """Dwellings d that qualify for the indemnity: completed under `recent_years` ago."""
        rr = self.spec.rent_reduction
        return self.model.dwellings.built[d] >= self.model.current_year - rr.recent_years

    def reductions(self, h: int, d: np.ndarray, rent_m2: np.ndarray) -> np.ndarray:
        """Monthly rent reduction household h would get in each dwelling d under the rent-reduction
        indemnity: the lease rent above the household's APL rent ceiling, in new or recent dwellings
        while lump sums remain; 0 elsewhere."""
        rr = self.spec.rent_reduction
        if rr is None or (self.indemnities_left is not None and self.indemnities_left <= 0):
            return np.zeros(d.size)
        rent = rent_m2 * self.model.dwellings.surface[d]
        return np.where(self.recent(d), np.maximum(rent - apl_rent_ceiling(self.model, h), 0.0), 0.0)

    def indemnity(self, d: int) -> float:
        """ANRU lump sum (EUR) for a rehousing in dwelling d, by its typology; 0 when not eligible."""
        rr = self.spec.rent_reduction
        if rr is None or not bool(self.recent(np.array([d]))[0]):
            return 0.0
        if self.indemnities_left is not None:
            if self.indemnities_left <= 0:
                return 0.0
            self.indemnities_left -= 1
        t = int(self.model.dwellings.typology[d])
        return rr.indemnity_t1_t2 if t <= 2 else rr.indemnity_t3_t4 if t <= 4 else rr.indemnity_t5

    def accept_prob(self, h: int, d: int, rc_new: float) -> float:
        """Probability that a to-be-rehoused household accepts dwelling d at remaining cost rc_new."""
        m = self.model
        hh, dw = m.households, m.dwellings
        sp = self.spec
        cur = int(hh.dwelling[h])
        other_nb = cur < 0 or dw.nbhd[d] != dw.nbhd[cur]
        new = dw.built[d] >= m.current_year - NEW_DWELLING_YEARS
        z = (sp.accept_intercept - sp.accept_attachment * float(hh.attachment[h]) * other_nb
             - sp.accept_cost * max(0.0, rc_new - float(hh.rc_before[h])) + sp.accept_new * new
             + sp.accept_pressure * max(0, int(hh.rehouse_offers[h]) - sp.offers_max))
        return 1.0 / (1.0 + math.exp(-min(max(z, -50.0), 50.0)))   # no overflow at extreme values

    # --------------------------------------------------------------------------------- the month
    def step(self) -> None:
        """One offer per to-be-rehoused household this month, on the reserved vacancies; then the
        evictions whose notice has run out."""
        m = self.model
        hh, dw = m.households, m.dwellings
        self._update_pending()
        reserved = np.flatnonzero((dw.status == VACANT) & dw.reserved)
        if self.pending == 0:
            dw.reserved[reserved] = False
            self.overdue = False
            self.late = np.empty(0, np.int64)
            return
        if self.late.size:   # late households rehoused or gone: no longer overdue
            self.late = self.late[hh.rehouse[self.late] & (hh.state[self.late] == TENANT)]
            self.overdue = self.late.size > 0
        stale = reserved[m.month - dw.vacant_since[reserved] >= RELEASE_AFTER_MONTHS]
        todo = np.flatnonzero(hh.rehouse & (hh.state == TENANT))
        if self.evict_at:
            todo = todo[~np.isin(todo, np.fromiter(self.evict_at, np.int64))]
        late = np.isin(todo, self.late) if self.late.size else np.zeros(todo.size, bool)
        if self.spec.target_outside_qpv > 0:
            # a strategy aiming outside QPV serves the poorest first: they are the ones whose move
            # changes the site's mix; households past their demolition date come before all
            todo = todo[np.lexsort((todo, hh.income_uc_of(todo), ~late))]
        else:
            todo = todo[np.lexsort((todo, hh.rehouse_res[todo], ~late))]
        avail = list(reserved)
        rng = m.streams["rehousing"]
        for h in todo.tolist():
            if not avail:
                break
            d, rc, red = self._best_offer(h, np.array(avail))
            if d < 0:
                continue
            hh.rehouse_offers[h] = min(int(hh.rehouse_offers[h]) + 1, 100)
            accepted = rng.random() < self.accept_prob(h, d, rc)
            self._log_offer(h, d, accepted)
            if accepted:
                avail.remove(d)
                self._rehouse(h, d, rc, red, forced=False)
            elif hh.rehouse_offers[h] >= self.spec.offers_max and self.spec.after_refusals == "eviction":
                # the last suitable offer refused: the right to stay ends after the notice
                self.evict_at[h] = m.month + self.spec.eviction_notice_months
        still = np.array([d for d in stale if d in set(avail)], np.int64)
        dw.reserved[still] = False
        dw.listed_since[still] = m.month   # back in the ordinary flow, not yet advertised
        self._evict()
        self._update_pending()

    def _evict(self) -> None:
        """Households whose right to stay has ended leave social housing (event forced_exit)."""
        m = self.model
        hh = m.households
        due = [h for h, t in self.evict_at.items() if t <= m.month]
        for h in due:
            del self.evict_at[h]
            if hh.rehouse[h] and hh.state[h] == TENANT:
                moves.leave(m, np.array([h]), ev.FORCED_EXIT)
                self.evicted += 1

    def _log_offer(self, h, d, accepted) -> None:
        a = self.model.allocator
        a._log_offer(self.model.month, d, h, -1, 0, float("nan"), accepted, False)
        if not accepted:
            a.month_refusals += 1

    def _best_offer(self, h: int, cands: np.ndarray):
        """The suitable dwelling the rehousing team offers household h among cands, with its
        remaining cost and rent reduction. Suitable: social, fits the household's size, rent burden
        under the commission's cap (needs and means, loi 1948 art. 13 bis). Each target the strategy
        sets steers the choice: towards dwellings that have the attribute while the share of
        rehousings with it would be closer to the target with one more, away from them otherwise;
        a dwelling that would overshoot a target by more than the tolerance is not offered.
        Returns (-1, 0, 0) when none fits."""
        m = self.model
        hh, dw, terr = m.households, m.dwellings, m.territory
        sp = self.spec
        gap = m.sc.allocation.max_size_gap
        size = int(hh.size_of(h))
        fit = (np.abs(dw.typology[cands].astype(int) - min(size, 6)) <= gap) & dw.social[cands]
        if size >= 6:     # as in allocation: households of 6+ persons also fit the largest type (T5)
            fit |= (dw.typology[cands] == 5) & dw.social[cands]
        c = cands[fit]
        if c.size == 0:
            return -1, 0.0, 0.0
        hv = np.full(c.size, h)
        rent_m2 = rents.reletting_rent_m2(m, c)
        red = self.reductions(h, c, rent_m2)
        dw_red = dw.reduction[c].copy()
        dw.reduction[c] = red
        rc, burden, residual = rents.costs(m, hv, c, rent_m2)
        dw.reduction[c] = dw_red
        ok = burden <= m.sc.allocation.rent_burden_max
        if not ok.any():
            return -1, 0.0, 0.0
        c, rc, red = c[ok], rc[ok], red[ok]
        before = float(hh.rc_before[h])
        st = self.stats()
        n = st["n"] + 1
        out = ~terr.nb_qpv[dw.nbhd[c]]
        new = dw.built[c] >= m.current_year - NEW_DWELLING_YEARS
        cur = int(hh.dwelling[h])
        other_ll = dw.landlord[c] != (dw.landlord[cur] if cur >= 0 else -1)
        same_nb = dw.nbhd[c] == (dw.nbhd[cur] if cur >= 0 else -1)
        score = (float(hh.attachment[h]) * same_nb
                 # without a target, the usual practice: close by, in the landlord's QPV stock
                 + 0.5 * terr.nb_qpv[dw.nbhd[c]] * (sp.target_outside_qpv == 0)
                 - 0.004 * np.maximum(rc - before, 0.0))
        for share, has, done in ((sp.target_outside_qpv, out, st["out"]),
                                 (sp.target_new_dwellings, new, st["new"]),
                                 (sp.target_other_landlord, other_ll, st["ol"])):
            if share > 0:
                # one more rehousing with the attribute brings the share nearer the target?
                want = share * n - done >= 0.5
                score = score + TARGET_WEIGHT * np.where(has == want, 1.0, 0.0)
        # a target is a target, not a floor: rather wait for another vacancy than overshoot it
        over = np.zeros(c.size, bool)
        for share, has, done in ((sp.target_outside_qpv, out, st["out"]),
                                 (sp.target_new_dwellings, new, st["new"]),
                                 (sp.target_other_landlord, other_ll, st["ol"])):
            if share > 0 and done + 1 - share * n > max(1.0, sp.target_tolerance * n):
                over |= has
        if over.all():
            return -1, 0.0, 0.0
        j = int(np.argmax(np.where(over, -np.inf, score)))
        return int(c[j]), float(rc[j]), float(red[j])

    def stats(self) -> dict:
        """Rehousings so far, and how many were outside QPV, in new dwellings, with another landlord."""
        return dict(self._counts)

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
        indemnity = self.indemnity(d)
        c = self._counts
        c["n"] += 1
        c["out"] += int(not terr.nb_qpv[dw.nbhd[d]])
        c["new"] += int(dw.built[d] >= m.current_year - NEW_DWELLING_YEARS)
        c["ol"] += int(int(dw.landlord[d]) != old_ll)
        for k, v in (("month", m.month), ("household", h),
                     ("from_residence", int(hh.rehouse_res[h]) if from_res is None else from_res),
                     ("dwelling", d), ("residence", int(dw.residence[d])),
                     ("outside_qpv", bool(~terr.nb_qpv[dw.nbhd[d]])),
                     ("new_dwelling", bool(dw.built[d] >= m.current_year - NEW_DWELLING_YEARS)),
                     ("other_landlord", int(dw.landlord[d]) != old_ll),
                     ("remaining_cost_before", float(hh.rc_before[h])), ("remaining_cost_after", rc),
                     ("reduction", red), ("quartile", quart + 1), ("forced", forced),
                     ("offers", int(hh.rehouse_offers[h])), ("indemnity", indemnity)):
            L[k].append(v)
        hh.rehouse[h] = False
        hh.was_rehoused[h] = True
        hh.return_wish[h] = m.streams["rehousing"].random() < self.spec.right_to_return_share
        self.pending = max(0, self.pending - 1)

    # ------------------------------------------------------------------------ demolition date
    def demolition_due(self, h: np.ndarray) -> None:
        """A demolition date has come with tenants h still in place: nobody is put out; the
        landlords take their whole flow for rehousing until the residence is empty (the demolition
        slips, see Works.slippage)."""
        h = np.asarray(h, np.int64)
        if h.size:
            self.overdue = True
            self.late = np.union1d(self.late, h)

    # ---------------------------------------------------------------------------- right to return
    def on_delivery(self, d: np.ndarray) -> None:
        """New dwellings: on a renewal site they are offered first to rehoused households wishing to
        return; while households remain to be rehoused under a new-dwelling target, the rest are
        reserved for rehousing (released to the ordinary flow if unused)."""
        m = self.model
        dw, terr = m.dwellings, m.territory
        nb = int(dw.nbhd[d[0]])
        if terr.nb_renewal[nb] and dw.social[d].all():
            self._returns(d, nb)
        if self.pending and self.spec.target_new_dwellings > 0:
            free = d[(dw.status[d] == VACANT) & dw.social[d]]
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
            if red > 0:   # a return is not a rehousing: no indemnity, the lease pays the full rent
                rc = float(rents.costs(m, np.array([h]), np.array([dd]))[0][0])
            hh.return_wish[h] = False
            free.remove(dd)
            q = int(m.quartile(np.array([hh.income_uc_of(h)]))[0])
            m.allocator.log_allocation(dd, h, -1, 3, q, bool(hh.priority[h]), 0, 1, 1, False, rc,
                                       rc / max(float(hh.income[h]) / 12.0, 1.0), bool(terr.nb_qpv[nb]), nb,
                                       int(dw.residence[dd]))
