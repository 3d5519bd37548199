"""Observation (DESIGN §3.9, §4): indicators with their canonical names, at the scales territory,
qpv, outside_qpv, neighbourhood and residence, monthly; legal indicators, flows and fragility classes
yearly. Rows go to one tidy long table: month, year, period, scale, area, indicator, value.

Segregation indices are territory-wide; their `scale` says which units they are computed across
(`neighbourhood` or `residence`) and their area is the territory's name.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import rents
from .state import FROZEN, OCCUPIED, VACANT

SCALES = ("territory", "qpv", "outside_qpv", "neighbourhood", "residence", "reservation_holder")


# ------------------------------------------------------------------------------- pure formulas
def dissimilarity(x: np.ndarray, t: np.ndarray) -> float:
    """Duncan index: half the sum over units of |share of Q1 - share of others|."""
    x = np.asarray(x, float)
    y = np.asarray(t, float) - x
    X, Y = x.sum(), y.sum()
    if X == 0 or Y == 0:
        return float("nan")
    return float(0.5 * np.abs(x / X - y / Y).sum())


def isolation(x: np.ndarray, t: np.ndarray) -> float:
    """Isolation index xPx: probability that a Q1 household's unit-mate is Q1."""
    x, t = np.asarray(x, float), np.asarray(t, float)
    X = x.sum()
    if X == 0:
        return float("nan")
    keep = t > 0
    return float(((x[keep] / X) * (x[keep] / t[keep])).sum())


def _entropy(p):
    p = np.clip(p, 0.0, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        e = -(np.where(p > 0, p * np.log(p), 0.0) + np.where(p < 1, (1 - p) * np.log(1 - p), 0.0))
    return e


def theil(x: np.ndarray, t: np.ndarray) -> float:
    """Theil's information theory index H: 1 - weighted mean unit entropy / territory entropy."""
    x, t = np.asarray(x, float), np.asarray(t, float)
    T = t.sum()
    if T == 0:
        return float("nan")
    E = float(_entropy(x.sum() / T))
    if E == 0:
        return float("nan")
    keep = t > 0
    Ei = _entropy(x[keep] / t[keep])
    return float((t[keep] * (E - Ei)).sum() / (T * E))


def group_median(values: np.ndarray, groups: np.ndarray, n_groups: int,
                 order: np.ndarray | None = None) -> np.ndarray:
    """Median of values within each group 0..n_groups-1 (NaN for empty groups). `order`, the
    argsort of values, can be passed to share one sort between several groupings."""
    out = np.full(n_groups, np.nan)
    if values.size == 0:
        return out
    if order is None:
        order = np.argsort(values)
    g = groups[order].astype(np.int16 if n_groups < 32_000 else np.int32)
    by_group = order[np.argsort(g, kind="stable")]   # radix sort: values stay sorted within groups
    v = values[by_group]
    counts = np.bincount(groups, minlength=n_groups)
    ends = np.cumsum(counts)
    starts = ends - counts
    has = counts > 0
    lo = starts + (counts - 1) // 2
    hi = starts + counts // 2
    out[has] = 0.5 * (v[lo[has]] + v[hi[has]])
    return out


def _median(values: np.ndarray) -> float:
    """Median by partial sort (linear time); NaN when empty. One partition at the upper middle
    (numpy's fast single-kth selection); for an even count the lower middle is the largest value
    below it."""
    n = values.size
    if n == 0:
        return float("nan")
    hi = n // 2
    part = np.partition(values, hi)
    b = part[hi]
    a = part[:hi].max() if n % 2 == 0 else b
    return float(0.5 * (a + b))


def shares(flag: np.ndarray, groups: np.ndarray, n_groups: int) -> np.ndarray:
    tot = np.bincount(groups, minlength=n_groups)
    num = np.bincount(groups, weights=flag.astype(float), minlength=n_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(tot > 0, num / np.maximum(tot, 1), np.nan)


def legal_indicators(quartile, in_qpv, kind, priority) -> dict[str, float]:
    """The three legal allocation indicators over a set of allocations.

    quartile: 1..4 (applicants' quartile of the year); in_qpv: dwelling in a QPV; kind: 0 external,
    1 transfer, 2 renewal rehousing, 3 return to the site; priority: priority household.
    (a) q1_share_allocations_outside_qpv counts Q1 applicants and renewal-rehoused households
    (objective 25 %); (b) q2q4_share_allocations_in_qpv (objective >= 50 %); (c) priority share (25 %).
    """
    q = np.asarray(quartile)
    inq = np.asarray(in_qpv, bool)
    rehoused = np.isin(np.asarray(kind), (2, 3))
    pr = np.asarray(priority, bool)
    out = ~inq
    nan = float("nan")
    return {
        "q1_share_allocations_outside_qpv": float(((q == 1) | rehoused)[out].mean()) if out.any() else nan,
        "q2q4_share_allocations_in_qpv": float((q[inq] > 1).mean()) if inq.any() else nan,
        "priority_share_allocations": float(pr.mean()) if pr.size else nan,
        "q1_share_allocations": float((q == 1).mean()) if q.size else nan,
    }


# ----------------------------------------------------------------------------------- observer
class Observer:
    """Computes and stores the indicators each month."""

    def __init__(self, model):
        self.model = model
        self._rows: list[tuple] = []
        self.latest: dict[str, float] = {}
        self.flows = {"allocations": [], "exits": [], "transfers": []}  # residence per event, this month
        self.yearly_allocs_start = 0
        self.offers_start = 0
        self._alloc_counts: list[int] = []   # allocations per month (rolling year)
        self._alloc_res_months: list[np.ndarray] = []

    # ------------------------------------------------------------------------- storage
    def emit(self, scale: str, areas, indicator: str, values, period: str = "month") -> None:
        values = np.atleast_1d(np.asarray(values, float))
        areas = [areas] if isinstance(areas, str) else areas
        self._rows.append((self.model.month, period, scale, areas, indicator, values))

    def frame(self) -> pd.DataFrame:
        cols = ["month", "year", "period", "scale", "area", "indicator", "value"]
        if not self._rows:
            return pd.DataFrame(columns=cols)
        sizes = np.array([r[5].size for r in self._rows])
        rep = lambda j: np.repeat(np.array([r[j] for r in self._rows], dtype=object), sizes)
        month = np.repeat(np.array([r[0] for r in self._rows], np.int32), sizes)
        # area lists (the territory's name lists) only ever grow: keep the prefix present at emit time
        areas = [a for r in self._rows for a in r[3][: r[5].size]]
        return pd.DataFrame({
            "month": month,
            "year": (self.model.sc.run.start_year + (np.maximum(month, 1) - 1) // 12).astype(np.int32),
            "period": pd.Categorical(rep(1), categories=["month", "year"]),
            "scale": pd.Categorical(rep(2), categories=list(SCALES)),
            "area": pd.Categorical(areas),
            "indicator": pd.Categorical(rep(4)),
            "value": np.concatenate([r[5] for r in self._rows]),
        })

    def _context(self, nb: np.ndarray, res: np.ndarray) -> dict:
        """Grouping arrays shared by every indicator over one population (tenants, lettable dwellings)."""
        terr = self.model.territory
        res_n = np.bincount(res, minlength=terr.n_res).astype(float)
        return {"nb": nb, "res": res, "qpv": terr.nb_qpv[nb], "res_n": res_n,
                "nb_of_res": terr.res_nbhd.astype(np.int64), "qpv_of_res": terr.nb_qpv[terr.res_nbhd],
                "nb_n": np.bincount(terr.res_nbhd, weights=res_n, minlength=terr.n_nbhd)}

    def _all_scales(self, name: str, v: np.ndarray, kind: str, ctx: dict, period="month") -> None:
        """Emit an indicator at every scale: kind 'share' (mean of a flag or value), 'sum', 'median'.
        Shares and sums are computed per residence and aggregated upwards; medians share one sort."""
        terr = self.model.territory
        if kind in ("share", "sum"):
            num = np.bincount(ctx["res"], weights=v, minlength=terr.n_res)
            num_nb = np.bincount(ctx["nb_of_res"], weights=num, minlength=terr.n_nbhd)
            q = ctx["qpv_of_res"]
            num_t, num_q, num_o = num.sum(), num[q].sum(), num[~q].sum()
            if kind == "share":
                den, den_nb = ctx["res_n"], ctx["nb_n"]
                with np.errstate(invalid="ignore", divide="ignore"):
                    res_v, nb_v = num / den, num_nb / den_nb
                dq, do = den[q].sum(), den[~q].sum()
                t_v = num_t / (dq + do) if dq + do else np.nan
                q_v, o_v = (num_q / dq if dq else np.nan), (num_o / do if do else np.nan)
            else:
                res_v, nb_v, t_v, q_v, o_v = num, num_nb, num_t, num_q, num_o
        else:
            qs = ctx["qpv"]
            t_v, q_v, o_v = _median(v), _median(v[qs]), _median(v[~qs])
            if self.model.month % self.model.sc.observation.fine_medians_every_months:
                self.emit("territory", terr.name, name, t_v, period)
                self.emit("qpv", "qpv", name, q_v, period)
                self.emit("outside_qpv", "outside_qpv", name, o_v, period)
                return
            order = np.argsort(v)
            nb_v = group_median(v, ctx["nb"], terr.n_nbhd, order)
            res_v = group_median(v, ctx["res"], terr.n_res, order) \
                if self.model.sc.observation.residence_scale else None
        self.emit("territory", terr.name, name, t_v, period)
        self.emit("qpv", "qpv", name, q_v, period)
        self.emit("outside_qpv", "outside_qpv", name, o_v, period)
        self.emit("neighbourhood", terr.nb_names, name, nb_v, period)
        if self.model.sc.observation.residence_scale:
            self.emit("residence", terr.res_names, name, res_v, period)

    # --------------------------------------------------------------------------- the month
    def step(self) -> None:
        m = self.model
        dw, hh, terr = m.dwellings, m.households, m.territory
        occ = np.flatnonzero(dw.status == OCCUPIED)
        t = dw.tenant[occ]
        nb = dw.nbhd[occ].astype(np.int64)
        res = dw.residence[occ].astype(np.int64)
        ctx = self._context(nb, res)
        qpv = ctx["qpv"]
        inc_uc = hh.income_uc_of(t)
        q = m.quartile(inc_uc)
        q1 = q == 0
        rc, burden, residual = rents.costs(m, t, occ)
        m.cache_tenant_costs(t, burden)
        name = terr.name

        self._all_scales("q1_share_tenants", q1.astype(float), "share", ctx)
        self._all_scales("median_income_uc", inc_uc, "median", ctx)
        self._all_scales("priority_share_tenants", hh.priority[t].astype(float), "share", ctx)
        self._all_scales("rent_burden_median", burden, "median", ctx)
        self._all_scales("residual_income_median", residual, "median", ctx)
        revenue = dw.rent_m2[occ] * dw.surface[occ] + m.sls[occ]
        self._all_scales("rent_revenue", revenue, "sum", ctx)
        med_b = [_median(burden[q == k]) for k in range(4)]
        med_r = [_median(residual[q == k]) for k in range(4)]
        for k in range(4):
            self.emit("territory", name, f"rent_burden_median_q{k + 1}", med_b[k])
            self.emit("territory", name, f"residual_income_median_q{k + 1}", med_r[k])

        # segregation and QPV gap
        x_nb = np.bincount(nb, weights=q1.astype(float), minlength=terr.n_nbhd)
        t_nb = np.bincount(nb, minlength=terr.n_nbhd).astype(float)
        x_res = np.bincount(res, weights=q1.astype(float), minlength=terr.n_res)
        t_res = np.bincount(res, minlength=terr.n_res).astype(float)
        for scale, x, tt in (("neighbourhood", x_nb, t_nb), ("residence", x_res, t_res)):
            self.emit(scale, name, "dissimilarity_q1", dissimilarity(x, tt))
            self.emit(scale, name, "isolation_q1", isolation(x, tt))
            self.emit(scale, name, "theil_q1", theil(x, tt))
        share_all = q1.mean() if q1.size else np.nan
        share_qpv = q1[qpv].mean() if qpv.any() else np.nan
        self.emit("territory", name, "qpv_gap_q1", share_qpv - share_all)

        # vacancy
        lettable = np.flatnonzero((dw.status == OCCUPIED) | (dw.status == VACANT))
        vac = dw.status[lettable] == VACANT
        lctx = self._context(dw.nbhd[lettable].astype(np.int64), dw.residence[lettable].astype(np.int64))
        self._all_scales("vacancy_rate", vac.astype(float), "share", lctx)
        vd = lettable[vac]
        vctx = self._context(dw.nbhd[vd].astype(np.int64), dw.residence[vd].astype(np.int64))
        self._all_scales("vacancy_months_median", (m.month - dw.vacant_since[vd]).astype(float), "median", vctx)

        # flows of the month
        A = m.allocator.alloc_log
        start = self.yearly_allocs_start
        a_res = np.asarray(A["residence"][self._month_alloc_start:], np.int64) if A["residence"] else np.empty(0, np.int64)
        a_kind = np.asarray(A["kind"][self._month_alloc_start:], np.int64) if A["kind"] else np.empty(0, np.int64)
        self._month_alloc_start = len(A["residence"])
        for nm, r in (("allocations", a_res), ("transfers", a_res[a_kind == 1]),
                      ("exits", np.asarray(self.flows["exits"], np.int64))):
            fctx = self._context(terr.res_nbhd[r].astype(np.int64), r)
            self._all_scales(nm, np.ones(r.size), "sum", fctx)
        self.flows["exits"] = []
        self._alloc_res_months.append(a_res)
        if len(self._alloc_res_months) > 12:
            self._alloc_res_months.pop(0)
        year_res = np.concatenate(self._alloc_res_months)
        n_year = year_res.size
        occ_nb = np.bincount(nb, minlength=terr.n_nbhd)
        alloc_nb = np.bincount(terr.res_nbhd[year_res], minlength=terr.n_nbhd)
        scale_year = 12.0 / len(self._alloc_res_months)
        self.emit("territory", name, "turnover_rate", n_year * scale_year / max(occ.size, 1))
        with np.errstate(invalid="ignore", divide="ignore"):
            self.emit("neighbourhood", terr.nb_names, "turnover_rate",
                      np.where(occ_nb > 0, alloc_nb * scale_year / np.maximum(occ_nb, 1), np.nan))
        pending = int(hh.applying.sum())
        self.emit("territory", name, "applications_per_allocation",
                  pending / (n_year * scale_year) if n_year else np.nan)
        self.emit("territory", name, "pending_applications", pending)
        offers = m.allocator.month_offers
        self.emit("territory", name, "refusal_rate", m.allocator.month_refusals / offers if offers else np.nan)

        self.latest = {
            "q1_share_tenants": float(q1.mean()) if q1.size else np.nan,
            "q1_share_tenants_qpv": float(share_qpv),
            "q1_share_tenants_outside_qpv": float(q1[~qpv].mean()) if (~qpv).any() else np.nan,
            "vacancy_rate": float(vac.mean()) if vac.size else np.nan,
            "dissimilarity_q1": dissimilarity(x_nb, t_nb),
            "pending_applications": pending,
            "allocations": int(a_res.size),
        }
        if m.month % 12 == 0:
            self.yearly()

    _month_alloc_start = 0

    # ---------------------------------------------------------------------------- the year
    def yearly(self) -> None:
        """Legal indicators, flows and fragility classes of the calendar year just ended."""
        m = self.model
        terr, name = m.territory, m.territory.name
        A = {k: np.asarray(v[self.yearly_allocs_start:]) for k, v in m.allocator.alloc_log.items()}
        self.yearly_allocs_start = len(m.allocator.alloc_log["month"])
        O = {k: np.asarray(v[self.offers_start:]) for k, v in m.allocator.offer_log.items()}
        self.offers_start = len(m.allocator.offer_log["month"])
        n = A["month"].size
        y = "year"
        if n:
            legal = legal_indicators(A["quartile"], A["in_qpv"], A["kind"], A["priority"])
            for k, v in legal.items():
                self.emit("territory", name, k, v, y)
            inq = A["in_qpv"].astype(bool)
            out = ~inq
            holders = [h.name for h in m.holders]
            hk = A["holder"]
            vals = [A["priority"][hk == k].astype(bool).mean() if (hk == k).any() else np.nan
                    for k in range(len(holders))]
            self.emit("reservation_holder", holders, "priority_share_allocations", vals, y)
            self.emit("reservation_holder", holders, "allocations",
                      [int((hk == k).sum()) for k in range(len(holders))], y)
            for lab, sel in (("qpv", inq), ("outside_qpv", out)):
                self.emit(lab, lab, "q1_share_allocations",
                          (A["quartile"][sel] == 1).mean() if sel.any() else np.nan, y)
            wait = A["wait_months"][A["kind"] <= 1].astype(float)
            ordinary = A["kind"] <= 1
            self.emit("territory", name, "wait_months_median", np.median(wait) if wait.size else np.nan, y)
            for k in range(1, 5):
                w = A["wait_months"][ordinary & (A["quartile"] == k)]
                self.emit("territory", name, f"wait_months_median_q{k}", np.median(w) if w.size else np.nan, y)
            w = A["wait_months"][ordinary & A["priority"].astype(bool)]
            self.emit("territory", name, "wait_months_median_priority", np.median(w) if w.size else np.nan, y)
        self.emit("territory", name, "allocations", n, y)
        self.emit("territory", name, "transfers", int((A["kind"] == 1).sum()) if n else 0, y)
        occ_n = int((m.dwellings.status == OCCUPIED).sum())
        self.emit("territory", name, "turnover_rate", n / max(occ_n, 1), y)
        self.emit("territory", name, "exits", m.year_exits, y)
        m.year_exits = 0
        if O["month"].size:
            self.emit("territory", name, "refusal_rate", 1.0 - O["accepted"].astype(bool).mean(), y)
        pending = int(m.households.applying.sum())
        self.emit("territory", name, "applications_per_allocation", pending / n if n else np.nan, y)
        self.fragility()
        self.rehousing(y)

    def fragility(self) -> None:
        """Residence fragility class from a composite of occupancy shares (Q1, not in work, single
        parents, housing-benefit recipients), each relative to the territory: 0 fragile,
        1 intermediate, 2 balanced."""
        m = self.model
        dw, hh, terr = m.dwellings, m.households, m.territory
        occ = np.flatnonzero(dw.status == OCCUPIED)
        t = dw.tenant[occ]
        res = dw.residence[occ].astype(np.int64)
        size = hh.size_of(t)
        rent = dw.rent_m2[occ] * dw.surface[occ]
        flags = [m.quartile(hh.income_uc_of(t)) == 0, ~hh.employed[t], (hh.adults[t] == 1) & (size > 1),
                 rents.apl(m, hh.income[t], size, hh.adults[t], rent) > 0]
        comp = np.zeros(terr.n_res)
        k = 0
        for f in flags:
            overall = f.mean() if f.size else 0.0
            if overall > 0:
                comp += shares(f, res, terr.n_res) / overall
                k += 1
        comp = comp / max(k, 1)
        o = m.sc.observation
        cls = np.where(comp >= o.fragile_threshold, 0, np.where(comp <= o.balanced_threshold, 2, 1))
        cls = np.where(np.isnan(comp), 1, cls)
        terr.res_fragility = cls.astype(np.int8)
        self.emit("residence", terr.res_names, "fragility_score", comp, "year")
        self.emit("residence", terr.res_names, "fragility_class", cls, "year")

    def rehousing(self, period: str) -> None:
        """Rehousing outcomes, cumulative since the start of the run."""
        L = self.model.rehousing.log
        name = self.model.territory.name
        n = len(L["household"])
        self.emit("territory", name, "rehoused", n, period)
        if n == 0:
            return
        self.emit("territory", name, "rehoused_outside_qpv_share", np.mean(L["outside_qpv"]), period)
        self.emit("territory", name, "rehoused_new_dwelling_share", np.mean(L["new_dwelling"]), period)
        self.emit("territory", name, "rehoused_other_landlord_share", np.mean(L["other_landlord"]), period)
        change = np.asarray(L["remaining_cost_after"]) - np.asarray(L["remaining_cost_before"])
        self.emit("territory", name, "rehoused_remaining_cost_change", float(np.median(change)), period)
