"""Reference allocation kernel: a yardstick for the model's speed, not part of the model.

It does only this, month after month: 1 % of the occupied dwellings fall vacant; each vacancy goes
to the best of the first 3 eligible applicants (household size fits the dwelling's rooms, income under
the ceiling) in ranking order; applicants arrive so that the pool stays near its starting size, and
some withdraw. No reservation holders, commissions, refusals, rents, life events or indicators.

    python benchmarks/reference_kernel.py town 240        # 3,000 dwellings, ~1,300 applicants
    python benchmarks/reference_kernel.py metro 240       # 100,000 dwellings, ~140,000 applicants

The last line printed is JSON: init_s, run_s, allocations, pool_end. The algorithm is the one the
model's allocation uses (simulation/allocation.py), reduced to its bones: applicants are bucketed by
household size, each bucket sorted once by a ranking key that does not change with time (priority
first, then application date), and a vacancy only scans the top of the compatible buckets. Never
scanning the whole pool per vacancy is what keeps a metropolis month cheap.
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np

SIZES = {"town": (3_000, 1_300), "metro": (100_000, 140_000)}   # dwellings, applicants at start
VACANCY_RATE = 0.01          # per month
CANDIDATES = 3
MAX_SIZE = 6                 # household sizes 1..6
WITHDRAW = 0.02              # monthly probability that an application lapses
CHUNK = 64                   # applicants looked at per bucket per step of the scan


class Pool:
    """Applicants bucketed by household size; each bucket is an array of ids in ranking order."""

    def __init__(self, key, size):
        self.key, self.size = key, size
        self.alive = np.zeros(key.size, bool)
        self.buckets = [np.empty(0, np.int64) for _ in range(MAX_SIZE + 1)]
        self.head = [0] * (MAX_SIZE + 1)     # everything before head is known to be gone

    def add(self, ids):
        self.alive[ids] = True
        for s in np.unique(self.size[ids]):
            new = ids[self.size[ids] == s]
            b = np.concatenate((self.buckets[s][self.alive[self.buckets[s]]], new))
            self.buckets[s] = b[np.argsort(self.key[b], kind="stable")]
            self.head[s] = 0

    def best(self, sizes, income, ceiling):
        """The first CANDIDATES alive applicants of the given sizes under the income ceiling, in
        ranking order across buckets."""
        found = []
        for s in sizes:
            b = self.buckets[s]
            start = self.head[s]
            got, chunk = 0, CHUNK
            while start < b.size and got < CANDIDATES:
                ids = b[start:start + chunk]
                alive = self.alive[ids]
                if start == self.head[s]:             # skip the gone ones at the top next time
                    self.head[s] += int(alive.argmax()) if alive.any() else ids.size
                ok = ids[alive & (income[ids] <= ceiling)]
                found.extend(ok[:CANDIDATES - got].tolist())
                got += min(ok.size, CANDIDATES - got)
                start += chunk
                chunk *= 4
        if len(found) > CANDIDATES:
            found.sort(key=self.key.__getitem__)
        return found[:CANDIDATES]


def run(scale: str, months: int, seed: int = 1) -> dict:
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    n_dw, n_app = SIZES[scale]
    capacity = n_app + months * (int(n_app * WITHDRAW * 1.5) + int(n_dw * VACANCY_RATE * 1.5) + 10)
    rooms = rng.integers(1, 6, n_dw)                      # T1..T5
    ceiling = rng.choice([18_000.0, 24_000.0, 33_000.0], n_dw, p=[0.2, 0.6, 0.2]) * (1 + 0.15 * rooms)
    size = np.zeros(capacity, np.int8)
    income = np.zeros(capacity)
    key = np.zeros(capacity)
    n = 0

    def new_applicants(k, month):
        nonlocal n
        ids = np.arange(n, n + k)
        n += k
        size[ids] = np.minimum(rng.geometric(0.45, k), MAX_SIZE)
        income[ids] = rng.lognormal(np.log(16_000), 0.6, k) * (1 + 0.3 * (size[ids] - 1))
        priority = rng.random(k) < 0.2
        key[ids] = month - 24.0 * priority              # earlier is better; priority gains 2 years
        return ids

    pool = Pool(key, size)
    pool.add(new_applicants(n_app, -rng.integers(0, 36, 1)[0]))
    occupied = np.ones(n_dw, bool)
    t1 = time.perf_counter()

    allocations = 0
    for month in range(1, months + 1):
        lapse = np.flatnonzero(pool.alive[:n] & (rng.random(n) < WITHDRAW))
        pool.alive[lapse] = False
        vac = np.flatnonzero(occupied & (rng.random(n_dw) < VACANCY_RATE))
        occupied[vac] = False
        for d in vac.tolist():
            r = int(rooms[d])
            cands = pool.best(range(max(1, r - 1), min(MAX_SIZE, r + 1) + 1), income, ceiling[d])
            if cands:
                pool.alive[cands[0]] = False
                occupied[d] = True
                allocations += 1
        # inflow keeps the pool near its starting size
        gap = n_app - int(pool.alive[:n].sum())
        if gap > 0:
            pool.add(new_applicants(gap, month))
    t2 = time.perf_counter()
    return {"scale": scale, "months": months, "dwellings": n_dw, "init_s": t1 - t0, "run_s": t2 - t1,
            "allocations": allocations, "pool_end": int(pool.alive[:n].sum())}


if __name__ == "__main__":
    scale = sys.argv[1] if len(sys.argv) > 1 else "town"
    months = int(sys.argv[2]) if len(sys.argv) > 2 else 240
    print(json.dumps(run(scale, months)))
