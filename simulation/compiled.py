"""Three loops compiled for large territories (numba).

In a territory of a hundred thousand dwellings three parts of the month cost numpy calls rather
than arithmetic:
- a vacancy's proposal reads the applicants who fit it in score order and keeps the first K who
  can afford it (allocation.Allocator._scan); that walk runs hundreds of times a month over short
  stretches of a list, so numpy's cost per call is what it costs. Compiled, one call walks as far
  as it needs to (`candidate_walk`). A small pool runs the same function in plain Python, on lists.
- the pool's columns, what a vacancy reads about each applicant (allocation.Pool._columns): some
  sixty numpy calls and their temporaries over tens of thousands of applicants a month, one
  compiled pass (`pool_columns`).
- life events draw at most one event per household among six competing risks
  (life_events.competing_risks): some thirty passes over a quarter of a million households a month
  in numpy, one compiled (`competing_risks`).

Each compiled kernel computes exactly what its plain reading does (the same function run by Python
for the walk, the numpy reading for the two others): the same operations in the same order on the
same doubles (no fast-math), so outputs stay byte-identical (tests/test_pool.py and
tests/test_compiled.py check both readings). numba is imported only when a pool reaches
`MIN_POOL` applicants or the territory `MIN_HOUSEHOLDS` households: importing it and loading the
compiled code costs a process ~0.55 s and ~95 MB once (0.9 s the first time on a machine, when it
compiles; the code is then cached on disk by numba's `cache=True`). The walk saves ~20 µs per
proposal (metropolis, 2026-12-03): below some 25,000 applicants a 20-year run would lose. Where
numba cannot be imported or is disabled (NUMBA_DISABLE_JIT), the plain readings serve.
"""

from __future__ import annotations

import numpy as np

MIN_POOL = 40_000          # applicants from which a pool's proposals use the compiled walk
MIN_HOUSEHOLDS = 100_000   # households in the territory from which life events use the compiled draw
_compiled: dict = {}


def kernel(fn):
    """`fn` compiled, or None where numba cannot serve (not importable, or NUMBA_DISABLE_JIT set,
    which would run the loop in plain Python): the caller then takes its plain reading, which
    gives the same results. numba is imported, and the code compiled or loaded from its disk
    cache, on the first call for that function in a process."""
    if fn in _compiled:
        return _compiled[fn]
    try:
        import numba
    except ImportError:
        k = None
    else:
        if numba.config.DISABLE_JIT:
            k = None
        else:
            try:
                k = numba.njit(cache=True, nogil=True)(fn)
            except RuntimeError:      # no writable cache location: compile in memory each process
                k = numba.njit(nogil=True)(fn)
    _compiled[fn] = k
    return k


def candidate_walk(fit, c, alive, lc_cap, pm, cap, incm1, rent, charges, minpay, K,
                   out_p, out_rc, out_b, n):
    """From entry c of `fit` (pool rows that fit the proposal, in score order), add to out_* the
    rows still in the pool (`alive`) whose remaining cost, rent + charges - APL, is under their cap,
    until n == K. Returns (n, entry after the last one read, first live entry read or -1).

    The APL is min(rent, lc_cap) + pm, nothing under `minpay` (see rents.apl). Compiled for a large
    pool (on arrays); a small pool's walk, a few entries, runs this same function in plain Python
    on lists of Python numbers (allocation.Pool.walk_cols), where it costs less than numpy's calls."""
    front = -1
    j = c
    end = len(fit)
    while j < end and n < K:
        p = fit[j]
        j += 1
        if not alive[p]:
            continue
        if front < 0:
            front = j - 1
        x = lc_cap[p]
        if rent < x:                 # np.minimum(rent, x), NaN included
            b = rent
        elif x <= rent:
            b = x
        else:
            b = np.nan
        ben = b + pm[p]
        if ben < minpay:
            ben = 0.0
        rc = rent + charges - ben
        if rc <= cap[p]:
            out_p[n] = p
            out_rc[n] = rc
            out_b[n] = rc / incm1[p]
            n += 1
    return n, j, front


def competing_risks(u, employed, adults, age, kids_u14, kids_14p, mortality, p_loss, p_find,
                    p_birth_couple, p_birth_single, r_ageing, r_leaving, p_separation):
    """life_events.competing_risks, one household at a time: the event (0 job, 1 death, 2 birth,
    3 child turns 14, 4 child leaves, 5 separation, 6 none) in whose slice of [0, 1) u falls."""
    n = u.size
    which = np.full(n, 6, np.int8)
    for i in range(n):
        a = adults[i]
        p0 = p_loss if employed[i] else p_find
        p1 = mortality[min(int(age[i]), 120)] * a
        p2 = (p_birth_couple if a > 1 else p_birth_single) if age[i] < 42 else 0.0
        p3 = kids_u14[i] * r_ageing
        p4 = kids_14p[i] * r_leaving
        p5 = p_separation if a > 1 else 0.0
        x = u[i]
        if not x < p0 + p1 + p2 + p3 + p4 + p5:
            continue
        edge = p0                     # the slices' upper edges, summed in the numpy order
        k = int(x >= edge)
        edge = edge + p1
        k += int(x >= edge)
        edge = edge + p2
        k += int(x >= edge)
        edge = edge + p3
        k += int(x >= edge)
        edge = edge + p4
        k += int(x >= edge)
        edge = edge + p5
        k += int(x >= edge)
        which[i] = k
    return which


def pool_columns(ids, hh, terms, tables, ns, out):
    """allocation.Pool._columns, one applicant at a time: the columns a vacancy reads about the
    applicants `ids`, written into `out` (arrays of len(ids), in the order of Pool.COLUMNS).
    `hh`: the household table's columns (adults, children under 14, children 14+, income, income
    of N-1 and N-2, age, to be rehoused, priority, DALO, DALO deadline, State employee, Action
    Logement employee, local, state, wished neighbourhood, application month); `terms`: this
    month's scalars (see Pool._columns_compiled); `tables`: the APL pieces by composition, on a grid
    of `ns` sizes per number of adults. Returns False, leaving the work to numpy, for a composition
    off the grid."""
    (adults, kids_u14, kids_14p, income, income_n1, income_n2, age, rehouse, priority, dalo,
     dalo_deadline, state_employee, al_employee, local, state, wish_nbhd, app_date) = hh
    (g, g2, ratio, t0, t1, t2, n_cat, month, dalo_months, processed_by, tenant_code, burden_max,
     residual_min, max_bucket) = terms
    lc_tab, fixed_tab, rate_tab, floor_tab = tables
    (o_size, o_bucket, o_inc, o_incm1, o_quart, o_q1, o_ref, o_cat_col, o_priority, o_dalo, o_se,
     o_al, o_local, o_tenant, o_rehouse, o_q1_or_rehouse, o_not_q1, o_wish, o_alive, o_lc_cap, o_pm,
     o_cap) = out
    na = lc_tab.size // ns
    for i in range(ids.size):
        h = ids[i]
        a = np.int64(adults[h])
        sz = a + kids_u14[h] + kids_14p[h]
        if sz >= ns or a >= na:
            return False
        uc = 1.0 + 0.5 * (a - 1 + kids_14p[h]) + 0.3 * kids_u14[h]
        inc = income[h]
        incm = inc / 12.0
        x = inc / uc
        q = 3 - (int(x < t0) + int(x < t1) + int(x < t2))
        rh = rehouse[h]
        cell = a * ns + sz
        o_size[i] = sz
        o_bucket[i] = min(sz, max_bucket)
        o_inc[i] = inc
        o_incm1[i] = incm if not incm < 1.0 else 1.0          # np.maximum(incm, 1.0), NaN kept
        o_quart[i] = q
        o_q1[i] = q == 0
        ref = income_n2[h]                                     # rents.reference_income
        if np.isnan(ref):
            n1 = income_n1[h]
            ref = inc / g2 if np.isnan(n1) else n1 / g
        o_ref[i] = ref * ratio
        dep = sz - a                                           # rents.category
        cat = sz + 1 if a == 1 and dep > 0 else sz
        if a == 2 and dep == 0 and 2.0 * age[h] <= 55.0:
            cat = 3
        o_cat_col[i] = min(cat, n_cat) - 1
        o_priority[i] = priority[h]
        o_dalo[i] = dalo[h] and month >= dalo_deadline[h] - dalo_months
        o_se[i] = state_employee[h]
        o_al[i] = al_employee[h]
        o_local[i] = local[h]
        o_tenant[i] = state[h] == tenant_code
        o_rehouse[i] = rh
        o_q1_or_rehouse[i] = q == 0 or rh
        o_not_q1[i] = q != 0
        o_wish[i] = wish_nbhd[h]
        o_alive[i] = rh or app_date[h] <= processed_by
        o_lc_cap[i] = lc_tab[cell]
        over = inc - floor_tab[cell]
        o_pm[i] = fixed_tab[cell] - rate_tab[cell] * (over if not over < 0.0 else 0.0)
        by_burden = burden_max * incm
        by_residual = incm - residual_min * uc
        if by_burden < by_residual:                            # np.minimum, NaN included
            o_cap[i] = by_burden
        elif by_residual <= by_burden:
            o_cap[i] = by_residual
        else:
            o_cap[i] = np.nan
    return True
