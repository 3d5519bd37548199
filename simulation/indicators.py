"""Observation: indicators with their canonical names, at the scales territory,
qpv, outside_qpv, neighbourhood and residence, monthly; legal indicators, flows and fragility classes
yearly. Rows go to one tidy long table: month, year, period, scale, area, indicator, value.

Segregation indices are territory-wide; their `scale` says which units they are computed across
(`neighbourhood` or `residence`) and their area is the territory's name.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import economy, population, rents
from .state import OCCUPIED, VACANT

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
    p = np.minimum(np.maximum(p, 0.0), 1.0)   # np.clip(p, 0, 1), with less overhead
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


def _row_medians(V: np.ndarray) -> np.ndarray:
    """Median of each row of V by partial sort (linear time); NaN when V has no column. One
    partition at the upper middle (numpy's fast single-kth selection); for an even count the lower
    middle is the largest value below it."""
    n = V.shape[1]
    if n == 0:
        return np.full(V.shape[0], np.nan)
    hi = n // 2
    part = np.partition(V, hi, axis=1)
    b = part[:, hi]
    a = part[:, :hi].max(axis=1) if n % 2 == 0 else b
    return 0.5 * (a + b)


def _tqo_medians(V: np.ndarray, k: int) -> np.ndarray:
    """Medians of each row of V over all its columns, the first k (QPV) and the others: (rows, 3)."""
    out = np.empty((V.shape[0], 3))
    out[:, 0] = _row_medians(V)
    out[:, 1] = _row_medians(V[:, :k])
    out[:, 2] = _row_medians(V[:, k:])
    return out


def _group_medians(V: np.ndarray, order: np.ndarray, groups: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """group_median of each row of V (rows, n) at once, given `order`, the argsort of V along its
    rows, and the group sizes (exact counts, possibly as floats): (rows, groups); the same values,
    with only the two middle values of each group gathered."""
    counts = counts.astype(np.intp)
    rows, n = V.shape
    out = np.empty((rows, counts.size))
    out.fill(np.nan)
    if n == 0:
        return out
    dtype = np.uint8 if counts.size <= 256 else np.int16 if counts.size < 32_000 else np.int32
    by_group = groups.astype(dtype)[order].argsort(axis=1, kind="stable")  # radix sort: values
    ends = counts.cumsum()                                                  # stay sorted in groups
    starts = ends - counts
    has = counts > 0
    row_start = np.arange(0, rows * n, n)[:, None]
    mid = by_group.take(np.concatenate(((starts + (counts - 1) // 2)[has], (starts + counts // 2)[has])),
                        axis=1) + row_start           # the two middle positions of each group
    v = V.take(order.take(mid) + row_start)
    h = v.shape[1] // 2
    out[:, has] = 0.5 * (v[:, :h] + v[:, h:])
    return out


def _medians(V: np.ndarray, k: int, *groupings):
    """Medians of each row of V over all its columns, its first k (QPV) and the others (rows, 3),
    then for each grouping (group of each column, group sizes), or None, the medians per group
    (rows, groups) from one argsort of V, and that argsort (None without groupings)."""
    tqo = _tqo_medians(V, k)
    if not any(g is not None for g in groupings):
        return tqo, *[None] * len(groupings), None
    order = V.argsort(axis=1)
    return tqo, *[None if g is None else _group_medians(V, order, *g) for g in groupings], order


def _few_medians(values: list, k: int, *groupings):
    """_medians of a single row (without the argsort) in plain Python, for a few values free of
    NaN and -0 (e.g. whole months), where numpy's per-call cost dominates: the same order
    statistics, the same arithmetic. groupings: (group of each value, number of groups) or None."""
    def med(s):
        c = len(s)
        return 0.5 * (s[(c - 1) // 2] + s[c // 2]) if c else float("nan")

    out = [np.array([[med(sorted(values)), med(sorted(values[:k])), med(sorted(values[k:]))]])]
    for grouping in groupings:
        if grouping is None:
            out.append(None)
            continue
        groups, n_groups = grouping
        members = [[] for _ in range(n_groups)]
        for v, g in zip(values, groups):
            members[g].append(v)
        out.append(np.array([[med(sorted(s)) for s in members]]))
    return out


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


def holder_indicators(A: dict, n_holders: int) -> dict[str, list]:
    """Per reservation holder, over a year's allocations of social dwellings in `A` (the
    allocation log's columns as arrays): legal indicator (c), the share of its allocations to
    DALO then other priority households (objective 25 % for every holder but the State, CCH
    L441-1), the DALO share alone, its allocations and its share of all of them."""
    soc = np.asarray(A["social"], bool)
    hk = np.asarray(A["holder"])[soc]
    pr = np.asarray(A["priority"], bool)[soc]
    dalo = np.asarray(A["dalo"], bool)[soc]
    n = np.bincount(hk[hk >= 0], minlength=n_holders)[:n_holders].astype(float)
    total = max(int(soc.sum()), 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = lambda f: np.where(n > 0, np.bincount(hk[hk >= 0], weights=f[hk >= 0].astype(float),
                                                      minlength=n_holders)[:n_holders] / n, np.nan)
        return {"priority_share_allocations": share(pr).tolist(),
                "dalo_share_allocations": share(dalo).tolist(),
                "allocations": n.astype(int).tolist(),
                "share_of_allocations": (n / total).tolist()}


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
        """The tidy long table, one row per value. The text columns are categoricals built from
        codes, one per emitted row repeated over its values: making categories of the text itself
        (1.5 million strings on a metropolis) held ~150 MB of temporary strings at the peak of a
        run's write."""
        cols = ["month", "year", "period", "scale", "area", "indicator", "value"]
        rows = self._rows
        if not rows:
            return pd.DataFrame(columns=cols)
        sizes = np.array([r[5].size for r in rows])
        month = np.repeat(np.array([r[0] for r in rows], np.int32), sizes)

        def coded(j, categories):     # the same categorical as pd.Categorical(values, categories)
            index = {c: i for i, c in enumerate(categories)}
            codes = np.array([index.get(r[j], -1) for r in rows], np.int32)
            return pd.Categorical.from_codes(np.repeat(codes, sizes), categories=categories)

        # area lists (the territory's name lists) only ever grow: keep the prefix present at emit
        # time; the categories are every name, sorted (as pd.Categorical sorts them)
        prefixes = {}
        for r in rows:
            prefixes.setdefault((id(r[3]), r[5].size), r[3][: r[5].size])
        area_names = sorted({a for names in prefixes.values() for a in names})
        index = {a: i for i, a in enumerate(area_names)}
        area_codes = {k: np.array([index[a] for a in names], np.int32) for k, names in prefixes.items()}
        areas = np.concatenate([area_codes[id(r[3]), r[5].size] for r in rows])
        return pd.DataFrame({
            "month": month,
            "year": (self.model.sc.run.start_year + (np.maximum(month, 1) - 1) // 12).astype(np.int32),
            "period": coded(1, ["month", "year"]),
            "scale": coded(2, list(SCALES)),
            "area": pd.Categorical.from_codes(areas, categories=area_names),
            "indicator": coded(4, sorted({r[4] for r in rows})),
            "value": np.concatenate([r[5] for r in rows]),
        })

    # --------------------------------------------------------------------------- the month
    # Rows of the per-residence table built each month (step): counts are exact in float64, so the
    # shares are the same whichever way they are summed; rent revenue keeps its summation order.
    _TENANTS, _Q1, _PRIORITY, _REVENUE, _LETTABLE, _VACANT, _ALLOCS, _TRANSFERS, _EXITS = range(9)
    # tenants, Q1 and priority tenants per residence from the counts of (Q1, priority) codes 0..3
    _CODE_TO_ROWS = np.array([[1.0, 0.0, 0.0], [1.0, 1.0, 0.0], [1.0, 0.0, 1.0], [1.0, 1.0, 1.0]])

    _FEW = 256   # vacancy medians of up to this many dwellings are computed in plain Python

    def step(self) -> None:
        """The month's indicators. Shares and sums come from one small table (indicator x residence)
        aggregated to neighbourhoods in one bincount; medians take one partition each. Occupied
        dwellings are listed QPV first, so the QPV and outside-QPV tenants are two slices; within a
        residence they keep their order, so per-residence sums are the same to the bit."""
        m = self.model
        if m.spinning_up:
            return self._spin_up_step()
        dw, hh, terr = m.dwellings, m.households, m.territory
        month, name = m.month, terr.name
        obs = m.sc.observation
        res_scale = obs.residence_scale
        fine = not month % obs.fine_medians_every_months
        n_res, n_nb = terr.n_res, terr.n_nbhd
        res_nbhd = terr.res_nbhd
        qr = terr.nb_qpv[res_nbhd]                      # QPV residences
        status = dw.status
        dw_qpv = terr.nb_qpv.take(dw.nbhd)
        occ, nq, t = self._tenants(dw_qpv)
        res = dw.residence[occ]
        adults, size, uc = hh.composition_of(t)     # read once from the household table
        income = hh.income[t]
        inc_uc = income / uc
        q, q1, q_ends = self._quartiles(inc_uc)
        rc, burden, residual = rents.costs(m, t, occ, rls=rents.month_rls(m, t, occ),
                                           household=(adults, size, uc, income))
        m.cache_tenant_costs(t, burden)

        # the per-residence table S and its neighbourhood (N) and territory / qpv / outside sums
        code = np.multiply(res, 4, dtype=np.intp)
        code += q1
        prio = hh.priority[t]
        code += prio
        code += prio
        vd = np.flatnonzero(status == VACANT)
        a_res, a_kind, exits = self._month_flows()
        S = np.empty((9, n_res))
        S[:3] = (np.bincount(code, minlength=4 * n_res).reshape(n_res, 4) @ self._CODE_TO_ROWS).T
        S[3] = np.bincount(res, weights=dw.rent_m2[occ] * dw.surface[occ] - dw.reduction[occ]
                           + m.sls[occ] - m.rls[occ],
                           minlength=n_res)
        S[5] = np.bincount(dw.residence[vd], minlength=n_res)
        S[4] = S[0] + S[5]
        S[6] = np.bincount(a_res, minlength=n_res)
        S[7] = np.bincount(a_res[a_kind == 1], minlength=n_res)
        S[8] = np.bincount(exits, minlength=n_res)
        nb_bins = (res_nbhd + n_nb * np.arange(9)[:, None]).ravel()
        N = np.bincount(nb_bins, weights=S.ravel(), minlength=9 * n_nb).reshape(9, n_nb)
        T, Q, O = S.sum(axis=1).tolist(), S[:, qr].sum(axis=1).tolist(), S[:, ~qr].sum(axis=1).tolist()
        rev = S[self._REVENUE]     # not exact integers: summed as 1-d arrays (a 2-d sum may reorder)
        T[self._REVENUE], Q[self._REVENUE], O[self._REVENUE] = rev.sum(), rev[qr].sum(), rev[~qr].sum()
        num, den = [self._Q1, self._PRIORITY, self._VACANT], [self._TENANTS, self._TENANTS, self._LETTABLE]
        with np.errstate(invalid="ignore", divide="ignore"):
            share_res, share_nb = S[num] / S[den], N[num] / N[den]
        nan = np.nan
        # territory / qpv / outside values: the three shares, then the four sums
        tqo = np.array([[T[i] / T[j] if T[j] else nan, Q[i] / Q[j] if Q[j] else nan,
                         O[i] / O[j] if O[j] else nan] for i, j in zip(num, den)]
                       + [[T[i], Q[i], O[i]] for i in (self._REVENUE, self._ALLOCS, self._TRANSFERS, self._EXITS)])

        rows = self._rows
        areas_t, areas_nb, areas_res = [name], terr.nb_names, terr.res_names

        def put(scale, areas, indicator, values):
            rows.append((month, "month", scale, areas, indicator, values))

        def all_scales(indicator, v3, nb_v, res_v):
            put("territory", areas_t, indicator, v3[0:1])
            put("qpv", ["qpv"], indicator, v3[1:2])
            put("outside_qpv", ["outside_qpv"], indicator, v3[2:3])
            if nb_v is not None:
                put("neighbourhood", areas_nb, indicator, nb_v)
                if res_scale:
                    put("residence", areas_res, indicator, res_v)

        def row(a, i):
            return None if a is None else a[i]

        # medians: income per UC, rent burden and residual income (rows), tenants QPV first
        V = np.stack((inc_uc, burden, residual))
        med, med_nb, med_res, order = _medians(V, nq, *((res_nbhd[res], N[self._TENANTS]),
                                                        (res, S[self._TENANTS]) if res_scale else None)
                                               if fine else (None, None))
        all_scales("q1_share_tenants", tqo[0], share_nb[0], share_res[0])
        all_scales("median_income_uc", med[0], row(med_nb, 0), row(med_res, 0))
        all_scales("priority_share_tenants", tqo[1], share_nb[1], share_res[1])
        all_scales("rent_burden_median", med[1], row(med_nb, 1), row(med_res, 1))
        all_scales("residual_income_median", med[2], row(med_nb, 2), row(med_res, 2))
        all_scales("rent_revenue", tqo[3], N[3], S[3])
        # threshold-free indicators (they do not move when the applicants' quartiles move):
        # tenants under 20 / 40 / 60 % of the PLUS ceiling for their size (as the OPS survey
        # reports) and under the poverty line (60 % of the median living standard, INSEE)
        ceil = rents.ceiling(m, size, np.ones(t.size, np.int64))
        ratio = income / ceil
        poor = inc_uc < m.sc.observation.poverty_line_uc * economy.index(m, "income")
        for flag, ind in ((ratio < 0.2, "share_tenants_under_20pct_plus_ceiling"),
                          (ratio < 0.4, "share_tenants_under_40pct_plus_ceiling"),
                          (ratio < 0.6, "share_tenants_under_60pct_plus_ceiling"),
                          (poor, "share_tenants_under_poverty_line")):
            c = np.count_nonzero(flag)
            cq = np.count_nonzero(flag[:nq])
            n_all = t.size
            put("territory", areas_t, ind, np.array([c / n_all if n_all else nan]))
            put("qpv", ["qpv"], ind, np.array([cq / nq if nq else nan]))
            put("outside_qpv", ["outside_qpv"], ind,
                np.array([(c - cq) / (n_all - nq) if n_all - nq else nan]))
        # burden and residual medians by quartile: from the sort on fine months, else partitions
        q_starts = [0] + q_ends[:3]
        if fine:
            med_q = _group_medians(V[1:], order[1:], q, np.subtract(q_ends, q_starts)).T.copy()
        else:
            # quartile codes as int8: numpy's stable argsort is then a radix sort (same order)
            BR = V[1:].take(np.argsort(q.astype(np.int8), kind="stable"), axis=1)
            med_q = np.array([_row_medians(BR[:, a:b]) for a, b in zip(q_starts, q_ends)])
        for k in range(4):     # med_q: (quartile, burden / residual)
            put("territory", areas_t, f"rent_burden_median_q{k + 1}", med_q[k, 0:1])
            put("territory", areas_t, f"residual_income_median_q{k + 1}", med_q[k, 1:2])

        # segregation and QPV gap
        seg = []
        for scale, x, tt in (("neighbourhood", N[self._Q1], N[self._TENANTS]),
                             ("residence", S[self._Q1], S[self._TENANTS])):
            seg += [(scale, "dissimilarity_q1", dissimilarity(x, tt)), (scale, "isolation_q1", isolation(x, tt)),
                    (scale, "theil_q1", theil(x, tt))]
        n_occ, x_q1 = occ.size, T[self._Q1]
        share_all = x_q1 / n_occ if n_occ else nan
        share_qpv = Q[self._Q1] / nq if nq else nan
        share_out = O[self._Q1] / (n_occ - nq) if n_occ - nq else nan
        vals = np.array([v for _, _, v in seg] + [share_qpv - share_all])
        for i, (scale, ind, _) in enumerate(seg):
            put(scale, areas_t, ind, vals[i:i + 1])
        put("territory", areas_t, "qpv_gap_q1", vals[6:7])

        # vacancy
        all_scales("vacancy_rate", tqo[2], share_nb[2], share_res[2])
        vq = dw_qpv[vd]
        vd = np.concatenate((vd[vq], vd[~vq]))
        vres = dw.residence[vd]
        months, k = (month - dw.vacant_since[vd]).astype(float), int(vq.sum())
        if vd.size <= self._FEW:    # whole months: exact in Python, much cheaper for few values
            med, med_nb, med_res = _few_medians(
                months.tolist(), k, *((res_nbhd[vres].tolist(), n_nb), (vres.tolist(), n_res) if res_scale else None)
                if fine else (None, None))
        else:
            med, med_nb, med_res, _ = _medians(
                months[None, :], k, *((res_nbhd[vres], N[self._VACANT]), (vres, S[self._VACANT]) if res_scale else None)
                if fine else (None, None))
        all_scales("vacancy_months_median", med[0], row(med_nb, 0), row(med_res, 0))

        # flows of the month
        all_scales("allocations", tqo[4], N[self._ALLOCS], S[self._ALLOCS])
        all_scales("transfers", tqo[5], N[self._TRANSFERS], S[self._TRANSFERS])
        all_scales("exits", tqo[6], N[self._EXITS], S[self._EXITS])
        self._roll_year(a_res)
        year_res = np.concatenate(self._alloc_res_months)
        n_year = year_res.size
        occ_nb = N[self._TENANTS]
        alloc_nb = np.bincount(res_nbhd[year_res], minlength=n_nb)
        scale_year = 12.0 / len(self._alloc_res_months)
        pending = int(np.count_nonzero(hh.applying))
        offers = m.allocator.month_offers
        with np.errstate(invalid="ignore", divide="ignore"):
            turnover_nb = np.where(occ_nb > 0, alloc_nb * scale_year / np.maximum(occ_nb, 1), np.nan)
        vals = np.array([n_year * scale_year / n_occ if n_occ else nan,   # no stock occupied: no rate
                         pending / (n_year * scale_year) if n_year else nan, pending,
                         m.allocator.month_refusals / offers if offers else nan])
        put("territory", areas_t, "turnover_rate", vals[0:1])
        put("neighbourhood", areas_nb, "turnover_rate", turnover_nb)
        put("territory", areas_t, "applications_per_allocation", vals[1:2])
        put("territory", areas_t, "pending_applications", vals[2:3])
        put("territory", areas_t, "refusal_rate", vals[3:4])
        pending_by_kind(self)

        n_lettable = T[self._LETTABLE]
        self.latest = {
            "q1_share_tenants": float(share_all),
            "q1_share_tenants_qpv": float(share_qpv),
            "q1_share_tenants_outside_qpv": float(share_out),
            "vacancy_rate": T[self._VACANT] / n_lettable if n_lettable else nan,
            "dissimilarity_q1": seg[0][2],
            "pending_applications": pending,
            "allocations": int(a_res.size),
        }
        if month % 12 == 0 and month > 0:      # month 0 closes no year of the run
            self.yearly((occ, t, res, q1))

    def _spin_up_step(self) -> None:
        """A spin-up month: its indicators are forgotten, so only what the processes read of the
        observer is kept up to date (the tenants' rent burden, the rolling year of allocations that
        steers the inflow, the month's flows), about a fifth of a full step."""
        m = self.model
        occ, _, t = self._tenants(m.territory.nb_qpv.take(m.dwellings.nbhd))
        m.cache_tenant_costs(t, rents.costs(m, t, occ, rls=rents.month_rls(m, t, occ))[1])
        self._roll_year(self._month_flows()[0])

    def _tenants(self, dw_qpv: np.ndarray) -> tuple[np.ndarray, int, np.ndarray]:
        """(occupied dwellings, QPV ones first; how many are in a QPV; their tenants)."""
        dw = self.model.dwellings
        is_occ = dw.status == OCCUPIED
        occ_q = np.flatnonzero(is_occ & dw_qpv)
        occ = np.concatenate((occ_q, np.flatnonzero(is_occ & ~dw_qpv)))
        return occ, occ_q.size, dw.tenant[occ].astype(np.intp)

    def _month_flows(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The month's allocations (residence, kind) and exits (residence), read once."""
        A = self.model.allocator.alloc_log
        a_res = np.asarray(A["residence"][self._month_alloc_start:], np.int64) if A["residence"] else np.empty(0, np.int64)
        a_kind = np.asarray(A["kind"][self._month_alloc_start:], np.int64) if A["kind"] else np.empty(0, np.int64)
        self._month_alloc_start = len(A["residence"])
        exits = np.asarray(self.flows["exits"], np.int64)
        self.flows["exits"] = []
        return a_res, a_kind, exits

    def _roll_year(self, a_res: np.ndarray) -> None:
        """Keep the residences allocated in each of the last 12 months."""
        self._alloc_res_months.append(a_res)
        if len(self._alloc_res_months) > 12:
            self._alloc_res_months.pop(0)

    def _quartiles(self, income_uc: np.ndarray):
        """(quartile 0..3, Q1 flag, cumulated counts of Q1..Q4) of incomes per UC."""
        q = self.model.quartile(income_uc)
        return q, q == 0, np.cumsum(np.bincount(q, minlength=4)).tolist()

    _month_alloc_start = 0

    # ---------------------------------------------------------------------------- the year
    def yearly(self, tenants=None) -> None:
        """Legal indicators, flows and fragility classes of the calendar year just ended
        (`tenants`: see fragility)."""
        m = self.model
        name = m.territory.name
        A = {k: np.asarray(v[self.yearly_allocs_start:]) for k, v in m.allocator.alloc_log.items()}
        self.yearly_allocs_start = len(m.allocator.alloc_log["month"])
        O = {k: np.asarray(v[self.offers_start:]) for k, v in m.allocator.offer_log.items()}
        self.offers_start = len(m.allocator.offer_log["month"])
        n = A["month"].size
        y = "year"
        if n:
            # the legal indicators cover social rental dwellings only (not PLI / diversification)
            soc = A["social"].astype(bool)
            legal = legal_indicators(A["quartile"][soc], A["in_qpv"][soc], A["kind"][soc],
                                     A["priority"][soc])
            for k, v in legal.items():
                self.emit("territory", name, k, v, y)
            inq = A["in_qpv"].astype(bool)
            out = ~inq
            for k, v in holder_indicators(A, len(m.holders)).items():
                self.emit("reservation_holder", [h.name for h in m.holders], k, v, y)
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
            for label, sel in (("external", A["kind"] == 0), ("transfer", A["kind"] == 1),
                               ("dalo", ordinary & A["dalo"].astype(bool))):
                w = A["wait_months"][sel]
                self.emit("territory", name, f"wait_months_median_{label}",
                          np.median(w) if w.size else np.nan, y)
        self.emit("territory", name, "allocations", n, y)
        self.emit("territory", name, "transfers", int((A["kind"] == 1).sum()) if n else 0, y)
        occ_n = int(np.count_nonzero(m.dwellings.status == OCCUPIED))
        self.emit("territory", name, "turnover_rate", n / occ_n if occ_n else np.nan, y)  # no stock: no rate
        self.emit("territory", name, "exits", m.year_exits, y)
        m.year_exits = 0
        if O["month"].size:
            self.emit("territory", name, "refusal_rate", 1.0 - O["accepted"].astype(bool).mean(), y)
        refusal_rates_by_area(self, O, y)
        pending = int(np.count_nonzero(m.households.applying))
        self.emit("territory", name, "applications_per_allocation", pending / n if n else np.nan, y)
        self.allocation_rates(A)
        self.fragility(tenants)
        self.rehousing(y)
        self.rent_rules(y)

    def rent_rules(self, period: str) -> None:
        """Ceilings, SLS, RLS and DALO backlog at the end of the year: shares of applicants and
        tenants over the ceiling (tax reference income; applicants: PLUS ceiling, tenants: their
        dwelling's), SLS payers among tenants of social dwellings and their mean SLS, RLS
        beneficiaries and the RLS total (EUR/month), DALO households waiting past their deadline."""
        m = self.model
        hh, dw, name = m.households, m.dwellings, m.territory.name
        app = np.flatnonzero(hh.applying & (hh.dwelling < 0))
        occ = np.flatnonzero(dw.status == OCCUPIED)
        t = dw.tenant[occ]
        plus = np.ones(app.size, np.int64)
        vals = {
            "over_ceiling_share_applicants": (rents.reference_income(m, app)
                                              > rents.household_ceiling(m, app, plus)).mean()
            if app.size else np.nan,
            "over_ceiling_share_tenants": (rents.reference_income(m, t)
                                           > rents.household_ceiling(m, t, dw.financing[occ])).mean()
            if t.size else np.nan,
        }
        soc = rents.is_social(m, occ)
        sls = m.sls[occ]
        vals["sls_payers_share_tenants"] = (sls[soc] > 0).mean() if soc.any() else np.nan
        vals["sls_mean"] = sls[sls > 0].mean() if (sls > 0).any() else np.nan
        vals["rls_beneficiaries_share_tenants"] = (m.rls[occ] > 0).mean() if occ.size else np.nan
        vals["rls_total"] = m.rls[occ].sum()
        vals["sls_total"] = sls.sum()
        pending_dalo = np.flatnonzero(hh.applying & hh.dalo & (hh.dwelling < 0))
        pending_dalo = pending_dalo[population.dalo_recognised(m, pending_dalo)]
        vals["dalo_pending"] = pending_dalo.size
        vals["dalo_backlog"] = int((hh.dalo_deadline[pending_dalo] < m.month).sum())
        for k, v in vals.items():
            self.emit("territory", name, k, v, period)

    def allocation_rates(self, A) -> None:
        """Yearly allocation rate of applicants: among the applications pending on 31 December of
        the previous year (the quartile pool), the share housed during the year (allocation or
        transfer), by income quartile (that year's thresholds), by priority status and overall."""
        m = self.model
        pool = getattr(m, "rate_pool_year", None)
        if pool is None:
            return
        ids, quart, prio = pool
        m.rate_pool_year = None
        name = m.territory.name
        housed = np.zeros(m.households.n, bool)
        if A["month"].size:
            h = A["household"][A["kind"] <= 1].astype(np.int64)
            housed[h] = True
        got = housed[ids]
        nan = float("nan")
        rate = lambda sel: float(got[sel].mean()) if sel.any() else nan
        self.emit("territory", name, "allocation_rate", rate(np.ones(ids.size, bool)), "year")
        for k in range(4):
            self.emit("territory", name, f"allocation_rate_q{k + 1}", rate(quart == k), "year")
        self.emit("territory", name, "allocation_rate_priority", rate(prio), "year")
        self.emit("territory", name, "allocation_rate_non_priority", rate(~prio), "year")

    # bit j of codes 0..15: flag j of the fragility composite
    _FLAG_BITS = (np.arange(16)[:, None] >> np.arange(4) & 1).astype(float)

    def fragility(self, tenants=None) -> None:
        """Residence fragility class from a composite of occupancy shares (Q1, not in work, single
        parents, housing-benefit recipients), each relative to the territory: 0 fragile,
        1 intermediate, 2 balanced. `tenants`: (occupied dwellings, their tenants, residences, Q1
        flags), in any order, when the month's observation has them."""
        m = self.model
        dw, hh, terr = m.dwellings, m.households, m.territory
        if tenants is None:
            occ = np.flatnonzero(dw.status == OCCUPIED)
            t = dw.tenant[occ].astype(np.intp)
            res = dw.residence[occ]
            q1 = m.quartile(hh.income_uc_of(t)) == 0
        else:
            occ, t, res, q1 = tenants
        size = hh.size_of(t)
        adults = hh.adults[t]
        rent = dw.rent_m2[occ] * dw.surface[occ]
        flags = [q1, ~hh.employed[t], (adults == 1) & (size > 1), rents.apl(m, hh.income[t], size, adults, rent) > 0]
        # households and flagged households per residence, all counted in one bincount (exact:
        # integers); a share is as shares() computes it
        code = np.multiply(res, 16, dtype=np.intp)
        for j, f in enumerate(flags):
            code += f * (1 << j)
        counts = np.bincount(code, minlength=16 * terr.n_res).reshape(terr.n_res, 16)
        tot = counts.sum(axis=1)
        num = (counts @ self._FLAG_BITS).T
        n = q1.size
        overall_shares = num.sum(axis=1) / n if n else np.zeros(4)   # = f.mean() (exact counts)
        comp = np.zeros(terr.n_res)
        k = 0
        for j, overall in enumerate(overall_shares):
            if overall > 0:
                comp += np.where(tot > 0, num[j] / np.maximum(tot, 1), np.nan) / overall
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
        slip = [s["slippage_months"] for s in self.model.works.slippage()]
        if slip:
            self.emit("territory", name, "demolition_slippage_months", float(max(slip)), period)
            self.emit("territory", name, "rehousing_evicted", self.model.rehousing.evicted, period)
        if n == 0:
            return
        self.emit("territory", name, "rehoused_outside_qpv_share", np.mean(L["outside_qpv"]), period)
        self.emit("territory", name, "rehoused_new_dwelling_share", np.mean(L["new_dwelling"]), period)
        self.emit("territory", name, "rehoused_other_landlord_share", np.mean(L["other_landlord"]), period)
        change = np.asarray(L["remaining_cost_after"]) - np.asarray(L["remaining_cost_before"])
        self.emit("territory", name, "rehoused_remaining_cost_change", float(np.median(change)), period)
        self.emit("territory", name, "rehousing_indemnities_eur", float(np.sum(L["indemnity"])), period)


# ------------------------------------------------------------- demand stock and refusals by area
def pending_by_kind(obs: Observer) -> None:
    """Pending applicants at the end of the month (a stock; their total is pending_applications),
    split by kind: external applicants, sitting tenants asking for a transfer, and priority
    households among all of them."""
    hh = obs.model.households
    app = np.flatnonzero(hh.applying)
    tenant = hh.dwelling[app] >= 0
    vals = np.array([np.count_nonzero(~tenant), np.count_nonzero(tenant),
                     np.count_nonzero(hh.priority[app])], float)
    name = obs.model.territory.name
    for i, ind in enumerate(("pending_applicants_external", "pending_transfer_requests",
                             "pending_applicants_priority")):
        obs.emit("territory", name, ind, vals[i:i + 1])


def refusal_rates_by_area(obs: Observer, offers: dict[str, np.ndarray], period: str) -> None:
    """Share of offers refused over the period, by where the dwelling offered is: QPV, outside QPV,
    each neighbourhood and (when residences are observed) each residence; NaN where no offer was
    made. Same definition as the territory's refusal_rate (and, like it, absent without offers)."""
    m = obs.model
    terr = m.territory
    d = np.asarray(offers["dwelling"], np.int64)
    if d.size == 0:
        return
    refused = ~np.asarray(offers["accepted"], bool)
    res = m.dwellings.residence[d].astype(np.intp)
    nb = terr.res_nbhd[res].astype(np.intp)
    qpv = terr.nb_qpv[nb]

    def rate(groups, n):
        made = np.bincount(groups, minlength=n)
        ref = np.bincount(groups, weights=refused, minlength=n)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(made > 0, ref / np.maximum(made, 1), np.nan)

    both = rate(qpv.astype(np.intp), 2)
    obs.emit("qpv", "qpv", "refusal_rate", both[1], period)
    obs.emit("outside_qpv", "outside_qpv", "refusal_rate", both[0], period)
    obs.emit("neighbourhood", terr.nb_names, "refusal_rate", rate(nb, terr.n_nbhd), period)
    if m.sc.observation.residence_scale:
        obs.emit("residence", terr.res_names, "refusal_rate", rate(res, terr.n_res), period)
