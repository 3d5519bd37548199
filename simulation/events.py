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
_SCALAR = (int, np.integer)
MOVES_IN = (ALLOCATED, TRANSFERRED, REHOUSED, RETURNED)
LEAVES = (EXIT, DEATH, LAPSE, FORCED_EXIT)


class EventLog:
    def __init__(self, model):
        self.model = model
        self._m, self._e, self._h, self._d, self._r, self._o = [], [], [], [], [], []
        self._single: list[tuple] = []
        self.tenants_at_start = np.empty(0, np.int64)
        self.applicants_at_start = np.empty(0, np.int64)

    def clear(self) -> None:
        """Forget every event (the spin-up's), keeping who is present now as the start."""
        self._m, self._e, self._h, self._d, self._r, self._o = [], [], [], [], [], []
        self._single = []
        hh = self.model.households
        self.tenants_at_start = np.flatnonzero(hh.state == 1).astype(np.int64)
        self.applicants_at_start = np.flatnonzero(hh.state == 0).astype(np.int64)

    def add(self, event: int, h, d=-1, r=-1, other=-1) -> None:
        """Record one event for one household or a batch (arrays broadcast together)."""
        if isinstance(h, _SCALAR) and isinstance(d, _SCALAR) and isinstance(r, _SCALAR):
            # the common single-move case, kept cheap
            self._single.append((self.model.month, event, int(h), int(d), int(r), int(other)))
            return
        h, d, r, other = (np.asarray(x, np.int64) for x in np.broadcast_arrays(h, d, r, other))
        h, d, r, other = (np.atleast_1d(x) for x in (h, d, r, other))
        n = h.size
        if n == 0:
            return
        self._flush()
        self._m.append(np.full(n, self.model.month, np.int32))
        self._e.append(np.full(n, event, np.int8))
        self._h.append(h)
        self._d.append(d)
        self._r.append(r)
        self._o.append(other)

    def _flush(self) -> None:
        """Move buffered single events into the chunks, keeping the order of recording."""
        if not self._single:
            return
        a = np.array(self._single, dtype=np.int64)
        self._single = []
        self._m.append(a[:, 0].astype(np.int32))
        self._e.append(a[:, 1].astype(np.int8))
        self._h.append(a[:, 2])
        self._d.append(a[:, 3])
        self._r.append(a[:, 4])
        self._o.append(a[:, 5])

    def frame(self) -> pd.DataFrame:
        self._flush()
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
