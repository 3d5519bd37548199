"""Event log: every move, entry and exit of every household, stored as numpy chunks.

Trajectories (spells) are rebuilt from it at the end of a run (see trajectories.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd

# event codes
APPLIED, TRANSFER_REQUEST, ALLOCATED, TRANSFERRED, REHOUSED, RETURNED, EXIT, DEATH, LAPSE, \
    TRANSFER_LAPSE, FORMED, FORCED_EXIT, DEMOLISHED, SOLD_DWELLING, TO_REHOUSE = range(15)
EVENT_NAMES = ("applied", "transfer_request", "allocated", "transferred", "rehoused", "returned",
               "exit", "death", "lapse", "transfer_lapse", "formed", "forced_exit", "demolished",
               "sold", "to_rehouse")
MOVES_IN = (ALLOCATED, TRANSFERRED, REHOUSED, RETURNED)
LEAVES = (EXIT, DEATH, LAPSE, FORCED_EXIT)


class EventLog:
    def __init__(self, model):
        self.model = model
        self._m, self._e, self._h, self._d, self._r, self._o = [], [], [], [], [], []
        self.tenants_at_start = np.empty(0, np.int64)

    def add(self, event: int, h, d=-1, r=-1, other=-1) -> None:
        """Record one event for one household or a batch (arrays broadcast together)."""
        h = np.atleast_1d(np.asarray(h, dtype=np.int64))
        n = h.size
        if n == 0:
            return
        self._m.append(np.full(n, self.model.month, np.int32))
        self._e.append(np.full(n, event, np.int8))
        self._h.append(h)
        self._d.append(np.broadcast_to(np.asarray(d, np.int64), (n,)))
        self._r.append(np.broadcast_to(np.asarray(r, np.int64), (n,)))
        self._o.append(np.broadcast_to(np.asarray(other, np.int64), (n,)))

    def frame(self) -> pd.DataFrame:
        cat = lambda parts, dt: np.concatenate(parts).astype(dt) if parts else np.empty(0, dt)
        e = cat(self._e, np.int8)
        return pd.DataFrame({
            "month": cat(self._m, np.int32),
            "event": pd.Categorical.from_codes(e, categories=list(EVENT_NAMES)),
            "household": cat(self._h, np.int64),
            "dwelling": cat(self._d, np.int64),
            "residence": cat(self._r, np.int64),
            "from_dwelling": cat(self._o, np.int64),
        })
