"""Allocation of vacant dwellings (DESIGN §3.6), one vacancy after another in a defined order.

For each vacancy: the landlord's flow goes to a reservation holder (credit counters keep each holder
at its flow share); the holder proposes up to 3 eligible candidates of its public, best score first;
the landlord's commission orders them under the mix rules; candidates accept or refuse in turn. A
dwelling nobody takes stays vacant and, after `advertise_after_months`, is advertised; in
choice-based-letting areas every vacancy is advertised and the best-scored applicant among those who
apply gets it.

Speed (DESIGN §7): the pool is bucketed by household size and sorted by a time-invariant key once a
month; a vacancy only scans the top of the compatible buckets in growing chunks, so the cost per
vacancy does not grow with the pool.
"""

from __future__ import annotations

import math

import numpy as np

from . import events as ev
from . import moves, rents
from .schema import date_to_month
from .state import TENANT, VACANT

MAX_BUCKET = 6           # households of 6+ persons share the last bucket
FIRST_CHUNK = 64

# allocation kinds in the allocation log
KIND_NAMES = ("external", "transfer", "rehousing", "return")


class Pool:
    """This month's applicants, bucketed by household size, each bucket sorted best key first.

    Columns are gathered once per month so that a vacancy reads contiguous slices."""

    def __init__(self, model):
        hh = model.households
        app = np.flatnonzero(hh.applying)
        order = app[np.argsort(-hh.key[app], kind="stable")]
        size = hh.size[order]
        a = model.sc.rents.apl
        g = model.ceiling_growth
        self.buckets: dict[int, dict] = {}
        bucket_of = np.minimum(size, MAX_BUCKET)
        for s in range(1, MAX_BUCKET + 1):
            ids = order[bucket_of == s]
            sz = hh.size[ids].astype(np.int64)
            adults = hh.adults[ids].astype(np.int64)
            dep = np.maximum(sz - adults, 0)
            inc = hh.income[ids]
            tenant = hh.state[ids] == TENANT
            cur = hh.dwelling[ids]
            b = {
                "ids": ids,
                "key": hh.key[ids],
                "size": sz,
                "inc": inc,
                "incm": inc / 12.0,
                "uc": 1.0 + 0.5 * (adults - 1 + hh.kids_14p[ids]) + 0.3 * hh.kids_u14[ids],
                "priority": hh.priority[ids],
                "al": hh.al_employee[ids],
                "local": hh.local[ids],
                "quart": model.quartile(inc / (1.0 + 0.5 * (adults - 1 + hh.kids_14p[ids])
                                               + 0.3 * hh.kids_u14[ids])),
                "tenant": tenant,
                "cur_nbhd": np.where(tenant, model.dwellings.nbhd[np.maximum(cur, 0)], -1),
                "rehouse": hh.rehouse[ids],
                "wish": hh.wish_nbhd[ids],
                "alive": np.ones(len(ids), bool),
                # APL schedule pieces (see rents.apl), per household
                "lc_cap": g * np.where(dep > 0, a.rent_ceiling_family + a.rent_ceiling_per_extra
                                       * np.maximum(dep - 1, 0),
                                       np.where(adults > 1, a.rent_ceiling_couple, a.rent_ceiling_single)),
                "fc": g * (a.flat_charges + a.flat_charges_per_dependent * dep - a.min_participation),
                "rate_m": a.participation_rate / (1.0 + a.participation_rate_size_decline * (sz - 1)) / 12.0,
                "floor": g * (a.income_floor + a.income_floor_per_person * (sz - 1)),
            }
            b["q1"] = b["quart"] == 0
            self.buckets[s] = b
        self.size = len(order)


class Allocator:
    """Runs the monthly allocation; holds the credit counters and the allocation/offer logs."""

    def __init__(self, model):
        self.model = model
        a = model.sc.allocation
        self.holders = model.holders
        self.commissions = model.commissions
        self.credit = np.zeros((len(model.territory.landlord_names), len(self.holders)))
        self.shares = np.array([h.flow_share for h in self.holders])
        self.landlord_holder = next(i for i, h in enumerate(self.holders) if h.kind == "landlord")
        sy = model.sc.run.start_year
        self.cbl = [(date_to_month(c.start, sy), date_to_month(c.end, sy) if c.end else 10**9, c)
                    for c in a.choice_based_letting]
        self.quotas = a.legal_quotas
        self.quota_months = (date_to_month(a.legal_quotas.start, sy),
                             date_to_month(a.legal_quotas.end, sy) if a.legal_quotas.end else 10**9) \
            if a.legal_quotas else None
        self.alloc_log: dict[str, list] = {k: [] for k in (
            "month", "dwelling", "residence", "neighbourhood", "in_qpv", "household", "holder", "kind",
            "quartile", "priority", "wait_months", "rank", "candidates", "advertised",
            "remaining_cost", "rent_burden")}
        self.offer_log: dict[str, list] = {k: [] for k in (
            "month", "dwelling", "household", "holder", "rank", "p_refuse", "accepted", "advertised")}
        self.month_offers = 0
        self.month_refusals = 0

    # ------------------------------------------------------------------------------------ helpers
    def _cbl_nbhds(self, month: int) -> tuple[set[int] | None, float]:
        """Neighbourhoods under choice-based letting this month (None = all) and the apply rate."""
        terr = self.model.territory
        out: set[int] = set()
        rate = 0.15
        for start, end, c in self.cbl:
            if start <= month <= end:
                rate = c.apply_rate
                if not c.neighbourhoods:
                    return None, rate
                for name in c.neighbourhoods:
                    out.update(terr.neighbourhoods_named(name))
        return out, rate

    def _pick_holder(self, landlord: int) -> int:
        c = self.credit[landlord]
        c += self.shares
        k = int(np.argmax(c))
        c[k] -= 1.0
        return k

    # --------------------------------------------------------------------------------------- step
    def step(self) -> None:
        m = self.model
        dw, terr, hh = m.dwellings, m.territory, m.households
        self.month_offers = self.month_refusals = 0
        vac = np.flatnonzero((dw.status == VACANT) & ~dw.reserved)
        if vac.size == 0:
            return
        vac = vac[np.lexsort((vac, dw.vacant_since[vac]))]
        pool = Pool(m)
        rng_commission = m.streams["allocation"]
        rng_refusal = m.streams["refusals"]
        a = m.sc.allocation
        rf = m.sc.behaviour.refusals
        month = m.month
        cbl_set, apply_rate = self._cbl_nbhds(month)
        quotas = self.quotas if self.quota_months and \
            self.quota_months[0] <= month <= self.quota_months[1] else None
        new_rent = rents.reletting_rent_m2(m, vac)
        attr_res = terr.residence_attractiveness()
        waiver = rents.lever_active(m, "ceiling_waiver_qpv")
        ceil_tab = m.ceiling_table * m.ceiling_growth
        charges_m2 = m.sc.rents.charges_m2 * m.ceiling_growth
        K = a.candidates_per_dwelling
        gap = a.max_size_gap
        minpay = m.sc.rents.apl.min_payment * m.ceiling_growth
        bmax, rmin = a.rent_burden_max, a.residual_income_min * m.ceiling_growth
        fragility = terr.res_fragility
        # per-vacancy scalars as Python lists: cheaper than numpy scalars in the loop below
        L = lambda arr: arr[vac].tolist()
        v_typ, v_fin, v_res, v_nb, v_ll, v_surf, v_since = (
            L(dw.typology), L(dw.financing), L(dw.residence), L(dw.nbhd), L(dw.landlord),
            L(dw.surface), L(dw.vacant_since))
        qpv_l = terr.nb_qpv.tolist()
        for i, d in enumerate(vac.tolist()):
            if dw.status[d] != VACANT:
                continue
            nb = v_nb[i]
            in_qpv = qpv_l[nb]
            res = v_res[i]
            rent_m2 = float(new_rent[i])
            rent = rent_m2 * v_surf[i]
            charges = charges_m2 * v_surf[i]
            advertised = (month - v_since[i] >= a.advertise_after_months) or \
                (cbl_set is None) or (nb in cbl_set)
            k = self._pick_holder(v_ll[i])
            holder = self.holders[k]
            need = holder.quota_need(in_qpv, quotas)
            u_comm = rng_commission.random()
            ctx = (v_fin[i], in_qpv, rent, charges, ceil_tab, waiver, minpay, bmax, rmin)
            sizes = [s for s in range(max(1, v_typ[i] - gap), min(MAX_BUCKET, v_typ[i] + gap) + 1)]
            if advertised:
                cands = self._advertised_shortlist(pool, sizes, ctx, holder, need, K, nb, attr_res[res],
                                                   rf, apply_rate, rng_commission)
            else:
                cands = self._shortlist(pool, sizes, ctx, holder, need, K)
                if not cands and holder.kind != "landlord":
                    k = self.landlord_holder
                    holder = self.holders[k]
                    cands = self._shortlist(pool, sizes, ctx, holder, 0, K)
            if not cands:
                continue
            comm = self.commissions[v_ll[i]]
            if not advertised:
                order = comm.order([pool.buckets[s]["q1"][p] for _, s, p, _, _ in cands], res,
                                   fragility[res] == 0, in_qpv, u_comm)
                cands = [cands[j] for j in order]
            attr = attr_res[res]
            for rank, (key, s, p, rc, burden) in enumerate(cands):
                b = pool.buckets[s]
                h = int(b["ids"][p])
                if b["rehouse"][p]:
                    p_ref = 1.0 - m.rehousing.accept_prob(h, d, rc)
                else:
                    off_wish = b["wish"][p] >= 0 and b["wish"][p] != nb
                    z = (rf.intercept + rf.qpv * in_qpv + rf.unattractive * (1.0 - attr)
                         + rf.qpv_solvency * in_qpv * (b["quart"][p] / 3.0) + rf.burden * burden
                         + rf.off_wish * off_wish + (rf.after_application if advertised else 0.0))
                    p_ref = 1.0 / (1.0 + math.exp(-z))
                accepted = rng_refusal.random() >= p_ref
                self._log_offer(month, d, h, k, rank, p_ref, accepted, advertised)
                if not accepted:
                    hh.refusals[h] += 1
                    dw.refused[d] += 1
                    self.month_refusals += 1
                    continue
                b["alive"][p] = False
                self._allocate(h, d, b, p, rent_m2, rc, burden, k, rank, len(cands), advertised,
                               in_qpv, nb, res)
                break

    def _log_offer(self, month, d, h, k, rank, p_ref, accepted, advertised) -> None:
        self.month_offers += 1
        o = self.offer_log
        o["month"].append(month); o["dwelling"].append(d); o["household"].append(h)
        o["holder"].append(k); o["rank"].append(rank + 1); o["p_refuse"].append(p_ref)
        o["accepted"].append(accepted); o["advertised"].append(advertised)

    def _allocate(self, h, d, b, p, rent_m2, rc, burden, k, rank, n_cands, advertised, in_qpv, nb, res):
        m = self.model
        hh = m.households
        quart = int(b["quart"][p])
        rehouse = bool(b["rehouse"][p])
        wait = m.month - int(hh.app_date[h])
        if rehouse:
            kind_code, kind = ev.REHOUSED, 2
            m.rehousing.record_rehousing(h, d, rc)
        elif b["tenant"][p]:
            kind_code, kind = ev.TRANSFERRED, 1
        else:
            kind_code, kind = ev.ALLOCATED, 0
        moves.move_in(m, h, d, rent_m2, kind_code)
        q1_or_re = quart == 0 or rehouse
        self.holders[k].record(in_qpv, q1_or_re, quart > 0)
        self.commissions[int(m.dwellings.landlord[d])].record(in_qpv, q1_or_re)
        self.log_allocation(d, h, k, kind, quart, bool(b["priority"][p]), wait, rank + 1, n_cands,
                            advertised, rc, burden, in_qpv, nb, res)

    def log_allocation(self, d, h, k, kind, quart, priority, wait, rank, n_cands, advertised, rc,
                       burden, in_qpv, nb, res) -> None:
        L = self.alloc_log
        for name, v in (("month", self.model.month), ("dwelling", d), ("residence", res),
                        ("neighbourhood", nb), ("in_qpv", bool(in_qpv)), ("household", h),
                        ("holder", k), ("kind", kind), ("quartile", quart + 1),
                        ("priority", priority), ("wait_months", wait), ("rank", rank),
                        ("candidates", n_cands), ("advertised", advertised),
                        ("remaining_cost", float(rc)), ("rent_burden", float(burden))):
            L[name].append(v)

    # ------------------------------------------------------------------------------- candidates
    @staticmethod
    def _eligible(b, sl: slice, s: int, ctx, holder, need) -> np.ndarray:
        """Indices (in the bucket) of eligible candidates in slice sl: alive, under the income
        ceiling, of the holder's public, meeting the quota, and able to afford the dwelling."""
        fin, in_qpv, rent, charges, ceil_tab, waiver, minpay, bmax, rmin = ctx
        if s < MAX_BUCKET:
            ceil = ceil_tab[fin, s - 1]
        else:
            ceil = ceil_tab[fin, np.minimum(b["size"][sl], ceil_tab.shape[1]) - 1]
        if waiver is not None and in_qpv:
            ceil = ceil * waiver.factor
        mask = b["alive"][sl] & ((b["inc"][sl] <= ceil) | b["rehouse"][sl])
        t = holder.target(b, sl)
        if t is not None:
            mask &= t
        if need == 1:
            mask &= b["q1"][sl] | b["rehouse"][sl]
        elif need == -1:
            mask &= ~b["q1"][sl]
        idx = np.flatnonzero(mask)
        if idx.size == 0:
            return idx, None, None
        idx += sl.start
        inc = b["inc"][idx]
        incm = b["incm"][idx]
        ben = np.minimum(rent, b["lc_cap"][idx]) + b["fc"][idx] - b["rate_m"][idx] * np.maximum(
            inc - b["floor"][idx], 0.0)
        ben = np.where(ben >= minpay, ben, 0.0)
        rc = rent + charges - ben
        burden = rc / np.maximum(incm, 1.0)
        ok = (burden <= bmax) & ((incm - rc) >= rmin * b["uc"][idx])
        return idx[ok], rc[ok], burden[ok]

    def _shortlist(self, pool, sizes, ctx, holder, need, K):
        found = []
        for s in sizes:
            b = pool.buckets[s]
            n = len(b["ids"])
            start, chunk, got = 0, FIRST_CHUNK, 0
            while start < n and got < K:
                sl = slice(start, min(n, start + chunk))
                idx, rc, burden = self._eligible(b, sl, s, ctx, holder, need)
                if idx.size:
                    take = min(K - got, idx.size)
                    keys = b["key"][idx[:take]].tolist()
                    for j in range(take):
                        found.append((-keys[j], s, int(idx[j]), float(rc[j]), float(burden[j])))
                    got += take
                start += chunk
                chunk *= 4
        found.sort(key=lambda c: (c[0], int(pool.buckets[c[1]]["ids"][c[2]])))
        return found[:K]

    def _advertised_shortlist(self, pool, sizes, ctx, holder, need, K, nb, attr, rf, apply_rate, rng):
        """Choice-based letting: eligible applicants apply with a probability that falls with their
        refusal propensity; the best-scored applicants among those who applied are shortlisted."""
        in_qpv = ctx[1]
        found = []
        for s in sizes:
            b = pool.buckets[s]
            n = len(b["ids"])
            start, chunk, got = 0, FIRST_CHUNK, 0
            while start < n and got < K:
                sl = slice(start, min(n, start + chunk))
                idx, rc, burden = self._eligible(b, sl, s, ctx, holder if holder.kind == "prefect" else
                                                 _ANYONE, need)
                if idx.size:
                    off = (b["wish"][idx] >= 0) & (b["wish"][idx] != nb)
                    z = (rf.intercept + rf.qpv * in_qpv + rf.unattractive * (1.0 - attr)
                         + rf.qpv_solvency * in_qpv * (b["quart"][idx] / 3.0) + rf.burden * burden
                         + rf.off_wish * off)
                    p_apply = apply_rate / (1.0 + np.exp(z))
                    applied = rng.random(idx.size) < p_apply
                    sel = np.flatnonzero(applied)[: K - got]
                    keys = b["key"][idx[sel]].tolist()
                    for j, q in enumerate(sel.tolist()):
                        found.append((-keys[j], s, int(idx[q]), float(rc[q]), float(burden[q])))
                    got += len(sel)
                start += chunk
                chunk *= 4
        found.sort(key=lambda c: (c[0], int(pool.buckets[c[1]]["ids"][c[2]])))
        return found[:K]


class _Anyone:
    kind = "landlord"

    @staticmethod
    def target(b, sl):
        return None


_ANYONE = _Anyone()
