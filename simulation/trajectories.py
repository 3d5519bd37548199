"""Residential trajectories: every household's sequence of spells, rebuilt from the event
log at the end of a run, and yearly transition matrices between area types by income quartile.

Spell kinds:
  applicant  external application pending (from `applied`, `formed`, or present at the start);
  tenant     in a social dwelling (residence, neighbourhood, in_qpv); starts `initial`, `allocated`,
             `transferred`, `rehoused` or `returned`; ends `transferred`, `rehoused`, `returned`,
             `exit`, `death`, `forced_exit` or `still_there`;
  left       outside social housing after an `exit` or `forced_exit` (open: the model no longer
             follows the household).
Applicant spells end `allocated`, `lapse`, `death` or `still_there`. Months follow the model's
convention: an event of month m is the state after step m, so a spell covers the months
start_month <= m < end_month; end_month is -1 for spells still open at the end of the run.

Initial dwellings of the tenants present at the start are reconstructed from the log without any
model hook: only `moves.move_in` and `moves.leave` change a household's dwelling, and both record
the dwelling left (`from_dwelling` of a move-in, `dwelling` of a leave). So the initial dwelling is
the one recorded by a household's first move or leave event, or its current dwelling if it never
moved.

Everything is vectorised (one stable sort of the log by household); no loop over households.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import events as ev

SPELL_KINDS = ("applicant", "tenant", "left")
APPLICANT_SPELL, TENANT_SPELL, LEFT_SPELL = range(3)
AREA_TYPES = ("qpv", "outside_qpv", "outside_social_housing", "died")
QPV, OUTSIDE_QPV, OUTSIDE_SH, DIED = range(4)

# synthetic codes for the state at the start of the run (after the real event codes)
_INIT_TENANT = len(ev.EVENT_NAMES)
_INIT_APPLICANT = _INIT_TENANT + 1
_STILL_THERE = _INIT_TENANT + 2
# reason names indexed by code: the event names, then "initial" (twice) and "still_there"
_REASONS = tuple(ev.EVENT_NAMES) + ("initial", "initial", "still_there")
_REASON_CATEGORIES = ("initial", "applied", "formed", "allocated", "transferred", "rehoused",
                      "returned", "exit", "death", "lapse", "forced_exit", "still_there")

# reason code -> index in _REASON_CATEGORIES (-1 for codes that never end or start a spell)
_REASON_INDEX = np.array([_REASON_CATEGORIES.index(r) if r in _REASON_CATEGORIES else -1 for r in _REASONS])

_STARTS_APPLICANT = (ev.APPLIED, ev.FORMED, _INIT_APPLICANT)
_STARTS_TENANT = ev.MOVES_IN + (_INIT_TENANT,)
_RELEVANT = (ev.APPLIED, ev.FORMED) + ev.MOVES_IN + ev.LEAVES


def _event_columns(model, events: pd.DataFrame | dict | None) -> dict[str, np.ndarray]:
    """event code, household, month, dwelling and from_dwelling of every event as numpy arrays:
    from the log itself (no pandas frame) unless the caller passes the event frame."""
    if events is None:
        events = model.log.columns()
    if isinstance(events, pd.DataFrame):
        return {"event": events["event"].cat.codes.to_numpy(), "household": events["household"].to_numpy(),
                "month": events["month"].to_numpy(), "dwelling": events["dwelling"].to_numpy(),
                "from_dwelling": events["from_dwelling"].to_numpy()}
    return events


def initial_dwellings(model, events: pd.DataFrame | dict | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(households, dwellings) of the tenants present at month 0, reconstructed from the log.
    `events`: the event frame or the log's columns (model.log.columns()); by default the log's."""
    t0 = np.asarray(model.log.tenants_at_start, np.int64)
    if t0.size == 0:
        return t0, t0.copy()
    e = _event_columns(model, events)
    code = e["event"]
    h = e["household"]
    is_move = np.isin(code, ev.MOVES_IN)
    is_leave = np.isin(code, ev.LEAVES)
    sel = np.flatnonzero((is_move | is_leave) & (h >= 0))
    left_dwelling = np.where(is_move[sel], e["from_dwelling"][sel], e["dwelling"][sel])
    # first move/leave event of each household (log order is chronological)
    hs, first = np.unique(h[sel], return_index=True)
    d0 = model.households.dwelling[t0].astype(np.int64)
    pos = np.searchsorted(hs, t0)
    pos_ok = pos < hs.size
    found = np.zeros(t0.size, bool)
    found[pos_ok] = hs[pos[pos_ok]] == t0[pos_ok]
    d0[found] = left_dwelling[first[pos[found]]]
    return t0, d0


def spells(model, events: pd.DataFrame | dict | None = None) -> pd.DataFrame:
    """Every household's spells: household, spell (0-based rank), kind, start_month, end_month
    (-1 if open), dwelling (-1 unless tenant), residence, neighbourhood, in_qpv (NA unless tenant),
    start_reason, end_reason. Sorted by household then spell. `events`: the event frame if the
    caller already has it, else read from the log's numpy columns (no frame of the whole log)."""
    e = _event_columns(model, events)
    hh, dw, terr = model.households, model.dwellings, model.territory
    code_all = e["event"]
    h_all = e["household"]
    keep = (h_all >= 0) & np.isin(code_all, _RELEVANT)   # a mask: smaller than its indices

    t0, d0 = initial_dwellings(model, e)
    # initial applicants: households neither tenants at the start nor entered through an event
    entered = np.zeros(hh.n, bool)
    entered[t0] = True
    entered[h_all[keep][np.isin(code_all[keep], (ev.APPLIED, ev.FORMED))]] = True
    a0 = np.flatnonzero(~entered)
    del entered
    a0 = a0[np.isin(a0, model.log.applicants_at_start)]   # not those gone during the spin-up

    # one row per synthetic start and relevant event, sorted by household (synthetic start rows
    # first, then the log's order); narrow dtypes and one column at a time keep the peak low
    # household and dwelling identifiers fit in int32 (the state's columns are int32)
    H = np.concatenate([t0.astype(np.int32), a0.astype(np.int32), h_all[keep].astype(np.int32)])
    order = np.argsort(H, kind="stable")
    H = H[order]

    def by_household(parts, dtype):
        return np.concatenate([np.asarray(x, dtype) for x in parts])[order]

    M = by_household([np.zeros(t0.size), np.maximum(hh.created[a0], 0), e["month"][keep]], np.int32)
    C = by_household([np.full(t0.size, _INIT_TENANT), np.full(a0.size, _INIT_APPLICANT), code_all[keep]],
                     np.int8)
    D = by_household([d0, np.full(a0.size, -1), e["dwelling"][keep]], np.int32)
    del order, keep

    n = H.size
    is_app = np.isin(C, _STARTS_APPLICANT)
    is_ten = np.isin(C, _STARTS_TENANT)
    is_left = np.isin(C, (ev.EXIT, ev.FORCED_EXIT, ev.LOST_RIGHT_TO_STAY)) & (D >= 0)
    starts = np.flatnonzero(is_app | is_ten | is_left)
    kind = np.where(is_ten[starts], TENANT_SPELL, np.where(is_app[starts], APPLICANT_SPELL, LEFT_SPELL))
    del is_app, is_ten, is_left
    # a spell ends at the household's next row, or is still open after its last row
    nxt = np.minimum(starts + 1, max(n - 1, 0))
    last = (starts == n - 1) | (H[nxt] != H[starts])
    end_month = np.where(last, -1, M[nxt])
    end_code = np.where(last, _STILL_THERE, C[nxt])
    del nxt, last

    Hs, start_month, start_code, Ds = H[starts], M[starts], C[starts], D[starts]
    del H, M, C, D
    first = np.ones(starts.size, bool)
    if starts.size > 1:
        first[1:] = Hs[1:] != Hs[:-1]
    idx = np.arange(starts.size)
    spell_no = idx - np.maximum.accumulate(np.where(first, idx, 0))

    tenant = kind == TENANT_SPELL
    dwelling = np.where(tenant, Ds, -1)
    res = np.full(starts.size, -1, np.int64)
    res[tenant] = dw.residence[dwelling[tenant]]
    nb = np.full(starts.size, -1, np.int64)
    nb[tenant] = np.asarray(terr.res_nbhd)[res[tenant]]
    in_qpv = pd.array(np.where(tenant, np.asarray(terr.nb_qpv)[np.maximum(nb, 0)], False), dtype="boolean")
    in_qpv[~tenant] = pd.NA

    return pd.DataFrame(copy=False, data={
        "household": Hs.astype(np.int64),
        "spell": spell_no.astype(np.int32),
        "kind": pd.Categorical.from_codes(kind, categories=list(SPELL_KINDS)),
        "start_month": start_month.astype(np.int32),
        "end_month": end_month.astype(np.int32),
        "dwelling": dwelling.astype(np.int64),
        "residence": pd.Categorical.from_codes(res, categories=list(terr.res_names)),
        "neighbourhood": pd.Categorical.from_codes(nb, categories=list(terr.nb_names)),
        "in_qpv": in_qpv,
        "start_reason": pd.Categorical.from_codes(_REASON_INDEX[start_code], categories=list(_REASON_CATEGORIES)),
        "end_reason": pd.Categorical.from_codes(_REASON_INDEX[end_code],
                                                categories=list(_REASON_CATEGORIES)),
    })


def _spell_arrays(sp: pd.DataFrame) -> dict[str, np.ndarray]:
    kind = sp["kind"].cat.codes.to_numpy()
    qpv = sp["in_qpv"].to_numpy(dtype=bool, na_value=False)
    return {"start": sp["start_month"].to_numpy(), "end": sp["end_month"].to_numpy(),
            "household": sp["household"].to_numpy(), "kind": kind,
            "area": np.where(kind == TENANT_SPELL, np.where(qpv, QPV, OUTSIDE_QPV), OUTSIDE_SH)}


def area_at(sp: pd.DataFrame | dict, month: int, n_households: int) -> tuple[np.ndarray, np.ndarray]:
    """(area code, spell kind) of every household at the end of `month` (-1 where no spell covers
    it: not yet entered, dead or lapsed). Area codes index AREA_TYPES."""
    a_out, k_out = _area_at(_spell_arrays(sp) if isinstance(sp, pd.DataFrame) else sp, month, n_households)
    return a_out.astype(np.int64), k_out.astype(np.int64)


def _area_at(a: dict, month: int, n_households: int) -> tuple[np.ndarray, np.ndarray]:
    """area_at as int8 codes: transitions keeps two years of them for every household."""
    start, end = a["start"], a["end"]
    cover = np.flatnonzero((start <= month) & ((end > month) | (end < 0)))
    h = a["household"][cover]
    a_out = np.full(n_households, -1, np.int8)
    k_out = np.full(n_households, -1, np.int8)
    a_out[h] = a["area"][cover]
    k_out[h] = a["kind"][cover]
    return a_out, k_out


def transitions(model, sp: pd.DataFrame | None = None) -> pd.DataFrame:
    """Yearly transition counts between area types by income quartile.

    Columns: year (calendar), quartile (1..4), from_area, to_area, households, share (of the row:
    households / all households of that year, quartile and from_area). For each full year k of the
    run, the area at month 12(k-1) is compared with the area at month 12k. Areas: `qpv` /
    `outside_qpv` (social tenant there), `outside_social_housing` (external applicant, or out of
    social housing after an exit or a lapsed application) and, as destination only, `died`.
    Counted each year: households in social housing or applying at the start of the year, plus
    households that entered during it (counted from `outside_social_housing`, where they were
    before applying). Households already out of social housing at the start of a year (after an
    exit or a lapse) are no longer followed.

    Approximation: the quartile is the household's income quartile at the END of the run
    (`model.quartile(model.households.income_uc)`, the last year's applicant thresholds), because
    yearly incomes are not kept; quartile changes over the run are therefore ignored.
    """
    if sp is None:
        sp = spells(model)
    n = model.households.n
    quart = (model.quartile(model.households.income_uc) + 1).astype(np.int8)
    years = model.month // 12
    hh = sp["household"].to_numpy()
    first = sp["spell"].to_numpy() == 0
    first_month = np.full(n, np.iinfo(np.int32).max, np.int32)
    first_month[hh[first]] = sp["start_month"].to_numpy()[first]
    # households that stop being followed: death or lapse of an application (once each at most)
    end_reason = sp["end_reason"].cat.codes.to_numpy()
    death, lapse = _REASON_CATEGORIES.index("death"), _REASON_CATEGORIES.index("lapse")
    term = (end_reason == death) | (end_reason == lapse)
    term_month = np.full(n, np.iinfo(np.int32).max, np.int32)
    term_month[hh[term]] = sp["end_month"].to_numpy()[term]
    term_area = np.full(n, -1, np.int8)
    term_area[hh[term]] = np.where(end_reason[term] == death, DIED, OUTSIDE_SH)
    arrays = _spell_arrays(sp)

    n_from, n_to = 3, 4
    rows = []
    a_prev, k_prev = _area_at(arrays, 0, n)
    for k in range(1, years + 1):
        b0, b1 = 12 * (k - 1), 12 * k
        a_next, k_next = _area_at(arrays, b1, n)
        followed = np.isin(k_prev, (APPLICANT_SPELL, TENANT_SPELL))
        entrant = (first_month > b0) & (first_month <= b1)
        sel = np.flatnonzero(followed | entrant)
        frm = np.where(followed[sel], a_prev[sel], OUTSIDE_SH)
        to = a_next[sel]
        gone = (to < 0) & (term_month[sel] <= b1)
        to = np.where(gone, term_area[sel], to)
        if (to < 0).any():   # cannot happen if spells are consistent; keep the table honest
            raise RuntimeError(f"transitions: {int((to < 0).sum())} households without an area at month {b1}")
        cell = ((quart[sel] - 1) * n_from + frm) * n_to + to
        counts = np.bincount(cell, minlength=4 * n_from * n_to)
        rows.append(counts)
        a_prev, k_prev = a_next, k_next

    grid = np.array(np.meshgrid(np.arange(4), np.arange(n_from), np.arange(n_to), indexing="ij")).reshape(3, -1)
    ny = len(rows)
    counts = np.concatenate(rows) if rows else np.empty(0, np.int64)
    q = np.tile(grid[0], ny)
    f = np.tile(grid[1], ny)
    t = np.tile(grid[2], ny)
    df = pd.DataFrame({
        "year": np.repeat(model.sc.run.start_year + np.arange(ny), grid.shape[1]).astype(np.int32),
        "quartile": (q + 1).astype(np.int8),
        "from_area": pd.Categorical.from_codes(f, categories=list(AREA_TYPES)),
        "to_area": pd.Categorical.from_codes(t, categories=list(AREA_TYPES)),
        "households": counts.astype(np.int64),
    })
    tot = df.groupby(["year", "quartile", "from_area"], observed=True)["households"].transform("sum")
    df["share"] = np.where(tot > 0, df["households"] / tot.where(tot > 0, 1), np.nan)
    return df


__all__ = ["spells", "transitions", "initial_dwellings", "area_at", "SPELL_KINDS", "AREA_TYPES"]
