"""Allocation of vacant dwellings, one vacancy after another in a defined order.

For each vacancy: the landlord's flow goes to a reservation holder (credit counters keep each holder
at its flow share); the holder proposes up to 3 eligible candidates of its public, best score first;
the landlord's commission orders them under the mix rules; candidates accept or refuse in turn. A
dwelling nobody takes stays vacant and, after `advertise_after_months`, is advertised; in
choice-based-letting areas every vacancy is advertised and the best-scored applicant among those who
apply gets it.

Speed: the pool is sorted by a time-invariant key once a month; for each kind of proposal the rows
that fit are listed from its top as deep as needed (Pool.fitting), once a month, and the housed are
skipped from the front of the list, so the cost per vacancy does not grow with the pool. The walk
down that list (compiled.candidate_walk) runs compiled in a pool of 40,000+ applicants and in plain
Python on lists below (a few entries a proposal): the same function, the same results.
"""

from __future__ import annotations

import math

import numpy as np

from . import events as ev
from . import compiled, economy, moves, population, rents
from .schema import date_to_month
from .state import TENANT, VACANT

def month_of_year(month: int) -> int:
    return (month - 1) % 12 + 1


MAX_BUCKET = 6           # households of 6+ persons share the last bucket
FIRST_CHUNK = 1024        # first slice of the sorted pool scanned for a vacancy
BATCH = 64                # eligible candidates whose affordability is evaluated at once

# allocation kinds in the allocation log
KIND_NAMES = ("external", "transfer", "rehousing", "return")


def _sorted_unique(a: np.ndarray) -> np.ndarray:
    """np.unique of an integer array, by sort and dedupe: the same result, several times faster than
    np.unique on numpy 2 for the month's few thousand re-keyed households."""
    if a.size < 2:
        return a.copy()
    a = np.sort(a)
    keep = np.empty(a.size, bool)
    keep[0] = True
    np.not_equal(a[1:], a[:-1], out=keep[1:])
    return a[keep]


# the allocation and offer logs: field -> type of its values
ALLOC_LOG = {"month": np.int64, "dwelling": np.int64, "residence": np.int64, "neighbourhood": np.int64,
             "in_qpv": bool, "household": np.int64, "holder": np.int64, "kind": np.int64,
             "quartile": np.int64, "priority": bool, "dalo": bool, "dalo_overdue": bool, "social": bool,
             "wait_months": np.int64, "rank": np.int64, "candidates": np.int64, "advertised": bool,
             "remaining_cost": np.float64, "rent_burden": np.float64}
OFFER_LOG = {"month": np.int64, "dwelling": np.int64, "household": np.int64, "holder": np.int64,
             "rank": np.int64, "p_refuse": np.float64, "accepted": bool, "advertised": bool}


def _apl_pieces(a, g: float, size: np.ndarray, adults: np.ndarray):
    """The APL terms an applicant's benefit is built from in a vacancy's affordability test, by
    composition: the schedule's rent ceiling, participation rate (monthly) and income floor
    (rents.apl_schedule), and a fixed part, flat charges less the minimum participation."""
    ceil, _, rate, floor = rents.apl_schedule(a, g, size, adults)
    dep = np.maximum(size - adults, 0)
    fixed = g * (a.flat_charges + a.flat_charges_per_dependent * dep - a.min_participation)
    return ceil, fixed, rate / 12.0, floor


class Pool:
    """This month's applicants in one array sorted best key first (`ids`). The columns a vacancy
    reads, and the cached masks of who fits what, are computed lazily for a growing prefix of that
    order: vacancies are filled from the top of the pool, so most of it is never read."""

    FIRST_ROWS = 4096

    def __init__(self, model, previous: np.ndarray | None = None):
        self.ids = self.order(model, previous)
        self.n = self.ids.size
        self.m = 0                      # rows materialised: ids[:m]
        self._model = model
        self._gap = model.sc.allocation.max_size_gap
        self._fits: dict[int, np.ndarray] = {}
        self._under: dict[tuple, np.ndarray] = {}
        self._base: dict[tuple, np.ndarray] = {}
        self._masks: dict[tuple, np.ndarray] = {}
        self._fitting: dict[tuple, list] = {}
        self._bufs: dict = {}
        # a proposal's walk (compiled.candidate_walk): compiled for a large pool, else in plain
        # Python on copies of the columns it reads as Python lists (`_lists`, kept by ensure)
        self.walk = compiled.kernel(compiled.candidate_walk) if self.n >= compiled.MIN_POOL else None
        self._lists = {name: [] for name in self.WALK} if self.walk is None else None
        self.ensure(self.FIRST_ROWS)

    @staticmethod
    def order(model, previous: np.ndarray | None) -> np.ndarray:
        """Pending applicants, best key first, ties by household id. Last month's order is reused:
        households still applying whose key did not change keep their order, and those (re)keyed
        since are merged in; a full sort happens when many keys moved (January, a new grid)."""
        hh = model.households
        rekeyed = _sorted_unique(np.concatenate(model.rekeyed)) if model.rekeyed else np.empty(0, np.int64)
        model.rekeyed = []
        sort_key = lambda ids: -hh.key[ids] + 1e-9 * ids    # ascending = best first; ids unique
        if previous is None or rekeyed.size > 0.3 * max(previous.size, 1):
            app = np.flatnonzero(hh.applying)
            return app[np.argsort(sort_key(app))]      # keys are unique: any sort gives one order
        moved = np.zeros(hh.n, bool)
        moved[rekeyed] = True
        kept = previous[hh.applying[previous] & ~moved[previous]]
        new = rekeyed[hh.applying[rekeyed]]
        if new.size == 0:
            return kept
        new = new[np.argsort(sort_key(new))]
        pos = np.searchsorted(sort_key(kept), sort_key(new), side="left")
        return np.insert(kept, pos, new)

    def _columns(self, ids: np.ndarray) -> dict[str, np.ndarray]:
        """What a vacancy reads about each applicant, for the applicants `ids`."""
        if self.n >= compiled.MIN_POOL:
            k = compiled.kernel(compiled.pool_columns)
            cols = self._columns_compiled(k, ids) if k is not None else None
            if cols is not None:
                return cols
        model = self._model
        hh = model.households
        a = model.sc.rents.apl
        al = model.sc.allocation
        g = model.apl_growth
        adults, sz, uc = hh.composition_of(ids)
        sz, adults = sz.astype(np.int64), adults.astype(np.int64)
        inc = hh.income[ids]
        incm = inc / 12.0
        quart = model.quartile(inc / uc)
        q1 = quart == 0
        rehouse = hh.rehouse[ids]
        lc_cap, pm_fixed, rate_m, floor = rents.by_composition(
            lambda s, ad: _apl_pieces(a, g, s, ad), sz, adults)
        return {
            "size": sz, "bucket": np.minimum(sz, MAX_BUCKET), "inc": inc, "incm1": np.maximum(incm, 1.0),
            "quart": quart, "q1": q1,
            # ceilings are tested on year N-2's tax income, by household category (the column of
            # the ceiling table: categories beyond it take its last column)
            "ref": rents.reference_income(model, ids),
            "cat_col": np.minimum(rents.category(model, ids, (adults, sz)), model.ceiling_table.shape[1]) - 1,
            "priority": hh.priority[ids], "dalo": population.dalo_recognised(model, ids),
            "se": hh.state_employee[ids],
            "al": hh.al_employee[ids], "local": hh.local[ids],
            "tenant": hh.state[ids] == TENANT, "rehouse": rehouse, "q1_or_rehouse": q1 | rehouse,
            "not_q1": ~q1, "wish": hh.wish_nbhd[ids],
            # an application can be proposed once processed (instruction, visit, commission date)
            "alive": rehouse | (hh.app_date[ids] <= model.month - al.processing_months),
            # APL pieces (see rents.apl): benefit = min(rent, lc_cap) + pm, paid if >= min_payment
            "lc_cap": lc_cap, "pm": pm_fixed - rate_m * np.maximum(inc - floor, 0.0),
            # most a household can pay: rent burden cap and residual-income floor together
            "cap": np.minimum(al.rent_burden_max * incm, incm - al.residual_income_min * model.price_index * uc),
        }

    # the columns of _columns in the order compiled.pool_columns writes them, with their types
    COLUMNS = (("size", np.int64), ("bucket", np.int64), ("inc", np.float64), ("incm1", np.float64),
               ("quart", np.intp), ("q1", np.bool_), ("ref", np.float64), ("cat_col", np.int64),
               ("priority", np.bool_), ("dalo", np.bool_), ("se", np.bool_), ("al", np.bool_),
               ("local", np.bool_), ("tenant", np.bool_), ("rehouse", np.bool_),
               ("q1_or_rehouse", np.bool_), ("not_q1", np.bool_), ("wish", np.int16),
               ("alive", np.bool_), ("lc_cap", np.float64), ("pm", np.float64), ("cap", np.float64))
    GRID = (32, 3)     # household sizes x numbers of adults of the compiled reading's APL tables
    WALK = ("alive", "lc_cap", "pm", "cap", "incm1")    # the columns a proposal's walk reads

    def _columns_compiled(self, k, ids: np.ndarray) -> dict[str, np.ndarray] | None:
        """_columns in one compiled pass (compiled.pool_columns): the same columns to the bit; None
        for a composition off its grid."""
        model = self._model
        hh = model.households
        al = model.sc.allocation
        ns, na = self.GRID
        grid_s = np.tile(np.arange(ns, dtype=np.int64), na)
        grid_a = np.repeat(np.arange(na, dtype=np.int64), ns)
        tables = tuple(np.ascontiguousarray(t, np.float64)
                       for t in _apl_pieces(model.sc.rents.apl, model.apl_growth, grid_s, grid_a))
        g = 1.0 + economy.rate(model.sc, "income")      # rents.reference_income's fallbacks
        t0, t1, t2 = model.quartile_limits
        terms = (g, g ** 2, model.sc.rents.reference_income_ratio, t0, t1, t2,
                 model.ceiling_table.shape[1], model.month, model.sc.population.dalo_deadline_months,
                 model.month - al.processing_months, TENANT, al.rent_burden_max,
                 al.residual_income_min * model.price_index, MAX_BUCKET)
        cols = (hh.adults, hh.kids_u14, hh.kids_14p, hh.income, hh.income_n1, hh.income_n2, hh.age,
                hh.rehouse, hh.priority, hh.dalo, hh.dalo_deadline, hh.state_employee, hh.al_employee,
                hh.local, hh.state, hh.wish_nbhd, hh.app_date)
        out = tuple(np.empty(ids.size, t) for _, t in self.COLUMNS)
        if not k(np.asarray(ids, np.int64), cols, terms, tables, ns, out):
            return None
        return {name: col for (name, _), col in zip(self.COLUMNS, out)}

    def ensure(self, end: int) -> None:
        """Materialise the columns and cached masks for the first `end` rows (at least doubling)."""
        if self.m and (end <= self.m or self.m >= self.n):
            return
        if self.n == 0 and hasattr(self, "size"):   # an empty pool: its empty columns are set
            return
        old = self.m
        new = min(self.n, max(end, 2 * old, self.FIRST_ROWS))
        part = self._columns(self.ids[old:new])
        for name, col in part.items():
            setattr(self, name, self._put(name, col, old, new))
        self.m = new
        if self.walk is not None:
            self.walk_cols = tuple(getattr(self, name) for name in self.WALK)
        else:
            for name, rows in self._lists.items():
                rows.extend(part[name].tolist())
            self.walk_cols = tuple(self._lists.values())
        self.targets = {"prefect": self.priority, "action_logement": self.al,
                        "municipality": self.local, "landlord": None}
        sl = slice(old, new)
        for k in self._fits:
            self._fits[k] = self._put(("fits", k), self._fits_rows(k, sl), old, new)
        for k in self._under:
            self._under[k] = self._put(("under", k), self._under_rows(*k, sl), old, new)
        for k in self._base:
            self._base[k] = self._put(("base", k), self._base_rows(*k, sl), old, new)
        for k in self._masks:
            self._masks[k] = self._put(("mask", k), self._mask_rows(k, sl), old, new)

    def _put(self, key, rows: np.ndarray, start: int, end: int) -> np.ndarray:
        """Write rows start:end of a column or cached mask into its buffer, sized for the whole pool,
        and return the rows materialised so far as a view: growing the prefix copies nothing. A
        pool read whole at once (a small one) needs no buffer."""
        if start == 0:
            if end == self.n:
                return rows
            self._bufs[key] = np.empty(self.n, rows.dtype)
        buf = self._bufs[key]
        buf[start:end] = rows
        return buf[:end]

    def _base_rows(self, fin: int, typ: int, waiver: float | None, sl: slice) -> np.ndarray:
        """Fits a dwelling of this financing and typology: size within the gap, income under the
        ceiling (rehousing households are exempt). Each half is cached on its own (a month's
        vacancies come in a few typologies and a few financings, but many pairs of them)."""
        return self.fits_size(typ)[sl] & self.under_ceiling(fin, waiver)[sl]

    def _fits_rows(self, typ: int, sl: slice) -> np.ndarray:
        buckets = np.arange(MAX_BUCKET + 1)
        fits = np.abs(buckets - typ) <= self._gap       # by size bucket (household size, 6+)
        if typ == 5:
            fits |= buckets == MAX_BUCKET
        return fits[self.bucket[sl]]

    def _under_rows(self, fin: int, waiver: float | None, sl: slice) -> np.ndarray:
        m = self._model
        ceil = m.ceiling_table[fin] * m.ceiling_growth * (waiver or 1.0)
        return (self.ref[sl] <= ceil[self.cat_col[sl]]) | self.rehouse[sl]

    def fits_size(self, typ: int) -> np.ndarray:
        """Household size within the gap of a dwelling of typology `typ`, over the materialised rows."""
        f = self._fits.get(typ)
        if f is None:
            f = self._fits[typ] = self._put(("fits", typ), self._fits_rows(typ, slice(0, self.m)), 0, self.m)
        return f

    def under_ceiling(self, fin: int, waiver: float | None) -> np.ndarray:
        """Income under the ceiling of financing `fin` (waived by `waiver`), or to be rehoused,
        over the materialised rows."""
        k = (fin, waiver)
        u = self._under.get(k)
        if u is None:
            u = self._under[k] = self._put(("under", k), self._under_rows(fin, waiver, slice(0, self.m)),
                                           0, self.m)
        return u

    def _mask_rows(self, k: tuple, sl: slice) -> np.ndarray:
        fin, typ, waiver, kind, need = k
        mk = self.base(fin, typ, waiver)[sl] & self.alive[sl]
        t = self.target(kind, sl)
        if t is not None:
            mk &= t
        if need == 1:
            mk &= self.q1_or_rehouse[sl]
        elif need == -1:
            mk &= self.not_q1[sl]
        return mk

    def target(self, kind: str | None, sl: slice) -> np.ndarray | None:
        """A holder's public over rows sl (None = everyone). `kind` is a holder kind, or
        "state_employee", or "dalo+<kind>" / "priority+<kind>": the DALO (priority) households of
        that holder's public."""
        if not kind:
            return None
        if kind == "state_employee":
            return self.se[sl]
        if "+" in kind:
            status, holder = kind.split("+", 1)
            t = self.targets.get(holder)
            s = (self.dalo if status == "dalo" else self.priority)[sl]
            return s if t is None else s & t[sl]
        t = self.targets.get(kind)
        return None if t is None else t[sl]

    def base(self, fin: int, typ: int, waiver: float | None) -> np.ndarray:
        k = (fin, typ, waiver)
        b = self._base.get(k)
        if b is None:
            b = self._base[k] = self._put(("base", k), self._base_rows(fin, typ, waiver, slice(0, self.m)),
                                          0, self.m)
        return b

    def mask(self, fin: int, typ: int, waiver: float | None, kind: str | None, need: int) -> np.ndarray:
        """Who was in the pool when the mask was made, fits the dwelling (base), belongs to the
        holder's public (kind) and meets the quota (need), over the materialised rows; read it with
        `alive` (households housed since are only cleared there, see `remove`)."""
        k = (fin, typ, waiver, kind, need)
        mk = self._masks.get(k)
        if mk is None:
            mk = self._masks[k] = self._put(("mask", k), self._mask_rows(k, slice(0, self.m)), 0, self.m)
        return mk

    def fitting(self, key: tuple) -> list:
        """The rows of `mask(*key)` listed so far, as [positions in pool order, rows covered, first
        entry that may still be in the pool]; the list starts with the top FIRST_CHUNK rows and is
        extended on demand (extend_fitting), so each row is tested against a key once a month."""
        ent = self._fitting.get(key)
        if ent is None:
            end = min(self.m, FIRST_CHUNK)
            rows = self.mask(*key)[:end].nonzero()[0]
            ent = self._fitting[key] = [rows if self.walk is not None else rows.tolist(), end, 0]
        return ent

    def extend_fitting(self, key: tuple) -> bool:
        """List the next rows for `key` (eight times those listed so far); False at the pool's end."""
        ent = self._fitting[key]
        covered = ent[1]
        if covered >= self.n:
            return False
        end = min(self.n, 8 * covered)
        self.ensure(end)
        rows = self.mask(*key)[covered:end].nonzero()[0] + covered
        if self.walk is not None:
            ent[0] = np.concatenate([ent[0], rows])
        else:
            ent[0].extend(rows.tolist())
        ent[1] = end
        return True

    def remove(self, p: int) -> None:
        """Household at position p was housed: out of the pool. Only the `alive` flag changes; a
        scan reads a cached mask and `alive` together (cheaper than updating every cached mask)."""
        self.alive[p] = False
        if self.walk is None:
            self._lists["alive"][p] = False


class Allocator:
    """Runs the monthly allocation; holds the credit counters and the allocation/offer logs."""

    def __init__(self, model):
        self.model = model
        a = model.sc.allocation
        self.holders = model.holders
        self.commissions = model.commissions
        # each landlord's credit per holder, in Python lists: a vacancy reads and writes one row
        self.credit = [[0.0] * len(self.holders) for _ in model.territory.landlord_names]
        self.shares = [float(h.flow_share) for h in self.holders]
        self.landlord_holder = next(i for i, h in enumerate(self.holders) if h.kind == "landlord")
        sy = model.sc.run.start_year
        self.cbl = [(date_to_month(c.start, sy), date_to_month(c.end, sy) if c.end else 10**9, c)
                    for c in a.choice_based_letting]
        self.quotas = a.legal_quotas
        self.quota_months = (date_to_month(a.legal_quotas.start, sy),
                             date_to_month(a.legal_quotas.end, sy) if a.legal_quotas.end else 10**9) \
            if a.legal_quotas else None
        # one column per field, appended to for each allocation and offer (see events.LogColumn)
        self.alloc_log = {k: ev.LogColumn(t) for k, t in ALLOC_LOG.items()}
        self.offer_log = {k: ev.LogColumn(t) for k, t in OFFER_LOG.items()}
        self.month_offers = 0
        self.month_external = 0       # allocations to external applicants this month
        self.month_refusals = 0
        self.pool: Pool | None = None
        self.replay = None     # a collections.deque(maxlen=N) to record shortlists (web view); off by default

    # ------------------------------------------------------------------------------------ helpers
    def _cbl_nbhds(self, month: int) -> tuple[set[int] | None, tuple[float, float]]:
        """Neighbourhoods under choice-based letting this month (None = all) and the applying
        behaviour (apply rate, selectivity) of the lever in force (defaults for stale vacancies)."""
        terr = self.model.territory
        out: set[int] = set()
        behaviour = (0.15, 3.0)
        for start, end, c in self.cbl:
            if start <= month <= end:
                behaviour = (c.apply_rate, c.selectivity)
                if not c.neighbourhoods:
                    return None, behaviour
                for name in c.neighbourhoods:
                    out.update(terr.neighbourhoods_named(name))
        return out, behaviour

    def _mix_targets(self) -> set[int]:
        """Residences where only non-Q1 candidates are proposed, under the grid in force."""
        from .scoring import active_grid
        names = active_grid(self.model).mix_target_residences
        return {r for n in names for r in self.model.territory.residences_named(n)}

    def _pick_holder(self, landlord: int) -> int:
        """The reservation holder of the landlord's next vacancy: each holder's credit grows by
        its flow share, the largest (the first of equals) takes the dwelling and pays 1."""
        c = self.credit[landlord]
        for j, share in enumerate(self.shares):
            c[j] += share
        k = max(range(len(c)), key=c.__getitem__)
        c[k] -= 1.0
        return k

    # --------------------------------------------------------------------------------------- step
    def step(self) -> None:
        m = self.model
        dw, terr, hh = m.dwellings, m.territory, m.households
        self.month_offers = self.month_refusals = self.month_external = 0
        vac = np.flatnonzero((dw.status == VACANT) & ~dw.reserved & dw.social
                             & (dw.vacant_since <= m.month - m.sc.allocation.relet_delay_months))
        if vac.size == 0:
            return
        vac = vac[np.lexsort((vac, dw.vacant_since[vac]))]
        if month_of_year(m.month) == 1:       # the legal objectives are yearly
            for h in self.holders:
                h.outside_qpv = h.outside_qpv_q1 = h.in_qpv = h.in_qpv_q2q4 = 0
                h.year_allocs = h.year_priority = h.year_state_employees = 0
            for c in self.commissions:
                c.outside_qpv = c.outside_qpv_q1 = 0
        pool = Pool(m, self.pool.ids if self.pool is not None else None)
        self.pool = pool
        mix_targets = self._mix_targets()
        rng_commission = m.streams["allocation"]
        rng_refusal = m.streams["refusals"]
        a = m.sc.allocation
        rf = m.sc.behaviour.refusals
        month = m.month
        cbl_set, apply_rate = self._cbl_nbhds(month)
        quotas = self.quotas if self.quota_months and \
            self.quota_months[0] <= month <= self.quota_months[1] else None
        new_rent = rents.reletting_rent_m2(m, vac).tolist()
        attr_res = terr.residence_attractiveness().tolist()
        waiver = rents.lever_active(m, "ceiling_waiver_qpv")
        waiver_f = waiver.factor if waiver is not None else None
        charges_m2 = m.sc.rents.charges_m2 * m.price_index
        K = a.candidates_per_dwelling
        prefect_share = sum(h.flow_share for h in self.holders if h.kind == "prefect")
        se_share = a.prefect_state_employees / prefect_share if prefect_share > 0 else 0.0
        minpay = m.sc.rents.apl.min_payment * m.apl_growth
        fragile = (terr.res_fragility == 0).tolist()
        L = lambda arr: arr[vac].tolist()
        v_typ, v_fin, v_res, v_nb, v_ll, v_surf, v_since = (
            L(dw.typology), L(dw.financing), L(dw.residence), L(dw.nbhd), L(dw.landlord),
            L(dw.surface), L(dw.listed_since))
        qpv_l = terr.nb_qpv.tolist()
        status = dw.status
        for i, d in enumerate(vac.tolist()):
            if status[d] != VACANT:
                continue
            nb = v_nb[i]
            in_qpv = qpv_l[nb]
            res = v_res[i]
            rent_m2 = new_rent[i]
            rent = rent_m2 * v_surf[i]
            charges = charges_m2 * v_surf[i]
            advertised = (month - v_since[i] >= a.advertise_after_months) or \
                (cbl_set is None) or (nb in cbl_set)
            k = self._pick_holder(v_ll[i])
            holder = self.holders[k]
            need = -1 if res in mix_targets else holder.quota_need(in_qpv, quotas)
            u_comm = rng_commission.random()
            wf = waiver_f if in_qpv else None
            attr = attr_res[res]
            if advertised:
                kind = "prefect" if holder.kind == "prefect" else None
                cands = self._scan(pool, (v_fin[i], v_typ[i], wf, kind, need), K, rent, charges,
                                   minpay, (nb, in_qpv, attr, rf, apply_rate, rng_commission))
            else:
                cands = []
                for public in holder.publics(a.priority_objective, se_share, rng_commission.random()):
                    cands = self._scan(pool, (v_fin[i], v_typ[i], wf, public, need), K, rent,
                                       charges, minpay)
                    if cands:
                        break
                if not cands and holder.kind != "landlord":
                    k = self.landlord_holder
                    holder = self.holders[k]
                    cands = self._scan(pool, (v_fin[i], v_typ[i], wf, None, 0), K, rent, charges,
                                       minpay)
            if not cands:
                continue
            shortlist = cands
            if not advertised and len(cands) > 1:
                comm = self.commissions[v_ll[i]]
                order = comm.order([bool(pool.q1[p]) for p, _, _ in cands], res, fragile[res], in_qpv,
                                   u_comm)
                cands = [cands[j] for j in order]
            if self.replay is not None:
                self.replay.append(self._replay_record(d, k, advertised, need, u_comm, rent, charges,
                                                       pool, shortlist, cands))
            for rank, (p, rc, burden) in enumerate(cands):
                h = int(pool.ids[p])
                if pool.rehouse[p]:
                    p_ref = 1.0 - m.rehousing.accept_prob(h, d, rc)
                else:
                    # Python numbers: numpy scalars would make each operation below several
                    # times dearer (the same doubles either way)
                    w = int(pool.wish[p])
                    z = (rf.intercept + rf.qpv * in_qpv + rf.unattractive * (1.0 - attr)
                         + rf.qpv_solvency * in_qpv * (int(pool.quart[p]) / 3.0) + rf.burden * burden
                         + rf.off_wish * (w >= 0 and w != nb) + (rf.after_application if advertised else 0.0))
                    # no overflow at extreme coefficients
                    p_ref = 1.0 / (1.0 + math.exp(-min(max(z, -50.0), 50.0))) if rf.enabled else 0.0
                accepted = rng_refusal.random() >= p_ref
                self._log_offer(month, d, h, k, rank, p_ref, accepted, advertised)
                if not accepted:
                    if rf.penalty_months > 0 and not pool.rehouse[p]:
                        self._penalise(h, rf.penalty_months)
                    hh.refusals[h] += 1
                    dw.refused[d] += 1
                    self.month_refusals += 1
                    continue
                pool.remove(p)
                self._allocate(h, d, pool, p, rent_m2, rc, burden, k, rank, len(cands), advertised,
                               in_qpv, nb, res)
                break

    def _penalise(self, h: int, months: float) -> None:
        """A refusal costs the application `months` of seniority points (next month's order)."""
        from .scoring import active_grid, compute_keys
        hh = self.model.households
        hh.refusal_points[h] -= months * active_grid(self.model).points_per_month
        compute_keys(self.model, np.array([h]))
    def _replay_record(self, d, k, advertised, need, u_comm, rent, charges, pool, shortlist, cands):
        """What the commission replay shows of one vacancy: the shortlist in score order, the
        order of the offers, the commission's draw; the offers follow in offer_log from `offers`."""
        hh = self.model.households
        who = lambda c: (int(pool.ids[c[0]]), float(hh.key[pool.ids[c[0]]]), float(pool.inc[c[0]]),
                         int(pool.quart[c[0]]), bool(pool.priority[c[0]]), bool(pool.rehouse[c[0]]),
                         c[1], c[2])
        return {"month": self.model.month, "dwelling": d, "holder": k, "advertised": advertised,
                "need": need, "u": u_comm, "rent": rent, "charges": charges,
                "shortlist": [who(c) for c in shortlist], "order": [shortlist.index(c) for c in cands],
                "offers": len(self.offer_log["month"])}

    def _log_offer(self, month, d, h, k, rank, p_ref, accepted, advertised) -> None:
        self.month_offers += 1
        o = self.offer_log
        o["month"].append(month); o["dwelling"].append(d); o["household"].append(h)
        o["holder"].append(k); o["rank"].append(rank + 1); o["p_refuse"].append(p_ref)
        o["accepted"].append(accepted); o["advertised"].append(advertised)
        self.model.log.note_offer(h)

    def _allocate(self, h, d, pool, p, rent_m2, rc, burden, k, rank, n_cands, advertised, in_qpv, nb, res):
        m = self.model
        hh = m.households
        quart = int(pool.quart[p])
        rehouse = bool(pool.rehouse[p])
        wait = m.month - int(hh.app_date[h])
        red = 0.0
        if rehouse:
            kind_code, kind = ev.REHOUSED, 2
            rc, red = m.rehousing.capped(h, rc, d)
            burden = rc / max(float(hh.income[h]) / 12.0, 1.0)
            m.rehousing.record_rehousing(h, d, rc, red=red)
        elif pool.tenant[p]:
            kind_code, kind = ev.TRANSFERRED, 1
        else:
            kind_code, kind = ev.ALLOCATED, 0
            self.month_external += 1
        moves.move_in(m, h, d, rent_m2, kind_code)
        m.dwellings.reduction[d] = red
        q1_or_re = quart == 0 or rehouse
        self.holders[k].record(in_qpv, q1_or_re, quart > 0)
        self.holders[k].record_public(bool(pool.priority[p]), bool(pool.se[p]))
        self.commissions[int(m.dwellings.landlord[d])].record(in_qpv, q1_or_re)
        self.log_allocation(d, h, k, kind, quart, bool(pool.priority[p]), wait, rank + 1, n_cands,
                            advertised, rc, burden, in_qpv, nb, res)
        hh.dalo[h] = False           # housed: the right to housing is met

    def log_allocation(self, d, h, k, kind, quart, priority, wait, rank, n_cands, advertised, rc,
                       burden, in_qpv, nb, res) -> None:
        """One row of the allocation log (one append per column: this runs for every allocation)."""
        L = self.alloc_log
        m = self.model
        dalo = population.dalo_recognised_one(m, h)
        overdue = dalo and m.month > int(m.households._dalo_deadline[h])
        L["month"].append(m.month); L["dwelling"].append(d); L["residence"].append(res)
        L["neighbourhood"].append(nb); L["in_qpv"].append(bool(in_qpv)); L["household"].append(h)
        L["holder"].append(k); L["kind"].append(kind); L["quartile"].append(quart + 1)
        L["priority"].append(priority); L["dalo"].append(dalo); L["dalo_overdue"].append(overdue)
        L["social"].append(rents.is_social(m, d))
        L["wait_months"].append(wait); L["rank"].append(rank); L["candidates"].append(n_cands)
        L["advertised"].append(advertised); L["remaining_cost"].append(float(rc))
        L["rent_burden"].append(float(burden))

    # ------------------------------------------------------------------------------- candidates
    @staticmethod
    def _scan(pool, key, K, rent, charges, minpay, advert=None):
        """The first K candidates in score order among `mask` (see Pool.mask) who can afford the
        dwelling: remaining cost (rent + charges - APL) under their cap; under choice-based letting
        (advert given) only those who apply (see _scan_advertised). Returns [(position, remaining
        cost, burden)].

        A proposal reads the key's list of fitting rows (Pool.fitting), skipping for good the
        applicants housed since from its front: narrow publics (the DALO households of the
        prefect's quota) and the top of the pool, emptied as the month goes on, are then not read
        again for each vacancy. Reading the pool itself in chunks, as the advertised scan does,
        made a metropolis's allocation cost grow faster than its size."""
        if advert is not None:
            return Allocator._scan_advertised(pool, key, K, rent, charges, minpay, advert)
        ent = pool.fitting(key)
        if pool.walk is not None:
            walk, out = pool.walk, (np.empty(K, np.int64), np.empty(K), np.empty(K))
        else:     # Python numbers throughout (the same doubles as numpy's)
            walk, out = compiled.candidate_walk, ([0] * K, [0.0] * K, [0.0] * K)
            rent, charges, minpay = float(rent), float(charges), float(minpay)
        c, n = ent[2], 0
        while n < K:
            if c >= len(ent[0]):
                if not pool.extend_fitting(key):
                    break
                continue
            n, end, front = walk(ent[0], c, *pool.walk_cols, rent, charges, minpay, K, *out, n)
            if c == ent[2]:                   # the housed at the front: skipped from now on
                ent[2] = front if front >= 0 else end
            c = end
        out_p, out_rc, out_b = (col[:n] for col in out)
        if pool.walk is not None:
            out_p, out_rc, out_b = out_p.tolist(), out_rc.tolist(), out_b.tolist()
        return list(zip(out_p, out_rc, out_b))

    @staticmethod
    def _affordable(pool, idx, rent, charges, minpay):
        """(rows, remaining cost, burden) of the pool rows idx whose remaining cost (rent + charges -
        APL, see rents.apl) is under their cap."""
        ben = np.minimum(rent, pool.lc_cap[idx]) + pool.pm[idx]
        ben[ben < minpay] = 0.0
        rc = rent + charges - ben
        ok = rc <= pool.cap[idx]
        idx, rc = idx[ok], rc[ok]       # most reads drop someone: no test of ok.all() first
        return idx, rc, rc / pool.incm1[idx]

    @staticmethod
    def _scan_advertised(pool, key, K, rent, charges, minpay, advert):
        """_scan of an advertised vacancy: an eligible applicant who can afford it applies with
        probability apply_rate x P(would not refuse). The pool is read in chunks from its top, and
        the applicants of a chunk draw in one batch, so the draws follow the pool's order."""
        found = []
        n = pool.n
        start, chunk, batch = 0, FIRST_CHUNK, BATCH
        mask = pool.mask(*key)
        while start < n and len(found) < K:
            end = min(n, start + chunk)
            if end > pool.m:
                pool.ensure(end)
                mask = pool.mask(*key)
            idx = (mask[start:end] & pool.alive[start:end]).nonzero()[0]
            if idx.size > batch:      # evaluate a few at a time: only K are needed
                idx = idx[:batch]
                end = start + int(idx[-1]) + 1
                batch *= 4
            else:
                chunk *= 8
            if idx.size:
                idx, rc, burden = Allocator._affordable(pool, idx + start, rent, charges, minpay)
                if idx.size:
                    nb, in_qpv, attr, rf, (apply_rate, selectivity), rng = advert
                    w = pool.wish[idx]
                    z = (rf.intercept + rf.qpv * in_qpv + rf.unattractive * (1.0 - attr)
                         + rf.qpv_solvency * in_qpv * (pool.quart[idx] / 3.0) + rf.burden * burden
                         + rf.off_wish * ((w >= 0) & (w != nb)))
                    applied = rng.random(idx.size) < apply_rate * (1.0 + np.exp(z)) ** -selectivity
                    idx, rc, burden = idx[applied], rc[applied], burden[applied]
                take = min(K - len(found), idx.size)
                if take:
                    found.extend(zip(idx[:take].tolist(), rc[:take].tolist(), burden[:take].tolist()))
            start = end
        return found
