"""The walk down a proposal's list of fitting applicants, compiled for large pools.

A vacancy's proposal reads the applicants who fit it in score order and keeps the first K who can
afford it (allocation.Allocator._scan). In a pool of a hundred thousand applicants that walk runs
hundreds of times a month over short stretches of the list, so numpy's cost per call, not the
arithmetic, is what it costs. Compiled with numba, one call walks as far as it needs to.

The compiled walk computes exactly what the numpy reading does: the same operations in the same
order on the same doubles (no fast-math), so outputs stay byte-identical (tests/test_pool.py checks
both readings). numba is imported only when a pool reaches `MIN_POOL` applicants: importing it and
loading the compiled code costs a process ~0.55 s once (0.9 s the first time on a machine, when it
compiles; the code is then cached on disk by numba's `cache=True`), and the walk saves ~20 µs per
proposal (metropolis, 2026-12-03), so below some 25,000 applicants a 20-year run would lose.
"""

from __future__ import annotations

import numpy as np

MIN_POOL = 40_000          # applicants from which a pool's proposals use the compiled walk
_compiled = None


def walk_py(fit, c, alive, lc_cap, pm, cap, incm1, rent, charges, minpay, K, out_p, out_rc, out_b, n):
    """From entry c of `fit` (pool rows that fit the proposal, in score order), add to out_* the
    rows still in the pool (`alive`) whose remaining cost, rent + charges - APL, is under their cap,
    until n == K. Returns (n, entry after the last one read, first live entry read or -1).

    The APL is min(rent, lc_cap) + pm, nothing under `minpay` (see rents.apl)."""
    front = -1
    j = c
    end = fit.size
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


def walk():
    """The compiled walk (numba imported and the code compiled, or loaded from cache, once)."""
    global _compiled
    if _compiled is None:
        from numba import njit
        _compiled = njit(cache=True, nogil=True)(walk_py)
    return _compiled
