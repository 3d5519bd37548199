"""Event log: every move, entry and exit of every household, stored as numpy chunks.

Trajectories (spells) are rebuilt from it at the end of a run (see trajectories.py). Each event also
records who the household was at that moment (income quartile of the year, priority status), so an
analyst can split any event by the same groups as the legal allocation indicators."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .population import dalo_recognised, dalo_recognised_one
from .state import APPLICANT, TENANT

# event codes
APPLIED, TRANSFER_REQUEST, ALLOCATED, TRANSFERRED, REHOUSED, RETURNED, EXIT, DEATH, LAPSE, \
    TRANSFER_LAPSE, FORMED, FORCED_EXIT, DEMOLISHED, SOLD_DWELLING, TO_REHOUSE, \
    ENTERED_DIVERSIFICATION, LOST_RIGHT_TO_STAY = range(17)
EVENT_NAMES = ("applied", "transfer_request", "allocated", "transferred", "rehoused", "returned",
               "exit", "death", "lapse", "transfer_lapse", "formed", "forced_exit", "demolished",
               "sold", "to_rehouse", "entered_diversification", "lost_right_to_stay")
_SCALAR = (int, np.integer)
ID = np.int32       # household, dwelling and residence identifiers in the log (as in the state)
MOVES_IN = (ALLOCATED, TRANSFERRED, REHOUSED, RETURNED)
LEAVES = (EXIT, DEATH, LAPSE, FORCED_EXIT, LOST_RIGHT_TO_STAY)


def _repeated(c: np.ndarray, n: int) -> np.ndarray:
    """A 0-d array seen as n values without a copy (stride 0, read-only), as
    np.broadcast_to gives it at several times the cost: a batch's constant columns (no dwelling,
    no residence) take no memory until the log is merged."""
    v = np.ndarray((n,), c.dtype, c, 0, (0,))
    v.flags.writeable = False
    return v


class LogColumn:
    """One column of a log that grows all run long (allocations, offers): appended to as a list
    is, and as cheaply (`append` and `extend` are the buffer list's own), then `seal`ed each year
    (HousingModel._seal_logs) into a typed numpy chunk, so that a run keeps 1 to 8 bytes a value
    instead of a list's pointer and object (24 to 32 bytes: ~60 MB of a metropolis's 20 years).
    Reads as the list did: len, [i], [a:b], np.asarray (int64, float64 or bool as numpy reads
    such a list; read-only, not a copy); [a:] within the rows since the last seal reads only
    those (the indicators read the month's allocations so)."""

    __slots__ = ("dtype", "_chunks", "_n_sealed", "_buf", "append", "extend")

    def __init__(self, dtype):
        self.dtype = np.dtype(dtype)
        self._chunks: list[np.ndarray] = []
        self._n_sealed = 0
        self._buf: list = []
        self.append, self.extend = self._buf.append, self._buf.extend

    def seal(self) -> None:
        """Move the appended values into a numpy chunk."""
        if self._buf:
            self._chunks.append(np.array(self._buf, self.dtype))
            self._n_sealed += len(self._buf)
            self._buf.clear()

    def clear(self) -> None:
        self._chunks, self._n_sealed = [], 0
        self._buf.clear()

    def _merged(self) -> np.ndarray:
        self.seal()
        if len(self._chunks) != 1:
            self._chunks = [np.concatenate(self._chunks) if self._chunks else np.empty(0, self.dtype)]
        v = self._chunks[0].view()
        v.flags.writeable = False
        return v

    def __len__(self) -> int:
        return self._n_sealed + len(self._buf)

    def __getitem__(self, i):
        if type(i) is slice and i.start is not None and i.start >= self._n_sealed \
                and i.stop is None and i.step is None:     # the rows since the last seal
            return np.array(self._buf[i.start - self._n_sealed:], self.dtype)
        return self._merged()[i]

    def __iter__(self):
        return iter(self._merged().tolist())

    def __array__(self, dtype=None, copy=None):
        a = self._merged()
        if dtype is not None and a.dtype != dtype:
            return a.astype(dtype)
        return a.copy() if copy else a

    def __getstate__(self):
        return {"dtype": self.dtype, "values": self._merged()}

    def __setstate__(self, state) -> None:
        self.__init__(state["dtype"])
        self._chunks, self._n_sealed = [np.array(state["values"])], len(state["values"])


class EventLog:
    def __init__(self, model):
        self.model = model
        self._m, self._e, self._h, self._d, self._r, self._o = [], [], [], [], [], []
        self._q, self._p = [], []   # quartile code (0 none, 1..4); priority 0 / 1 / 2 (DALO recognised)
        self._single: list[tuple] = []
        self.offer_who = LogColumn(np.int8)   # quartile, priority of each offer's household, in pairs
        self.tenants_at_start = np.empty(0, np.int64)
        self.applicants_at_start = np.empty(0, np.int64)

    def clear(self) -> None:
        """Forget every event (the spin-up's), keeping who is present now as the start."""
        self._m, self._e, self._h, self._d, self._r, self._o = [], [], [], [], [], []
        self._q, self._p = [], []
        self._single = []
        self.offer_who.clear()
        hh = self.model.households
        self.tenants_at_start = np.flatnonzero(hh.state == TENANT).astype(np.int64)
        self.applicants_at_start = np.flatnonzero(hh.state == APPLICANT).astype(np.int64)

    def add(self, event: int, h, d=-1, r=-1, other=-1) -> None:
        """Record one event for one household or a batch (arrays broadcast together). Nothing is
        recorded during the spin-up: its events are forgotten (see clear)."""
        if self.model.spinning_up:
            return
        if isinstance(h, _SCALAR) and isinstance(d, _SCALAR) and isinstance(r, _SCALAR):
            # the common single-move case, kept cheap
            self._single.append((self.model.month, event, int(h), int(d), int(r), int(other),
                                 *self._who_one(int(h))))
            return
        cols = [np.asarray(x, ID) for x in (h, d, r, other)]
        shapes = {c.shape for c in cols if c.ndim}
        if len(shapes) == 1 and len(shape := shapes.pop()) == 1:
            # the usual batch: 1-D arrays of one length and scalars (np.broadcast_arrays and
            # np.atleast_1d cost more than the rest of a small batch)
            h, d, r, other = (c if c.ndim else _repeated(c, shape[0]) for c in cols)
        else:
            h, d, r, other = (np.atleast_1d(x) for x in np.broadcast_arrays(*cols))
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
        q, p = self._who(h)
        self._q.append(q)
        self._p.append(p)

    # -------------------------------------------------------- who the household is at the event
    def _who_one(self, h: int) -> tuple[int, int]:
        """(quartile 1..4 of income per UC with the thresholds in force, priority 0 none / 1 priority
        / 2 DALO recognised) of one household; (0, 0) for events without a household (demolition,
        sale). Plain Python: this runs for every single move."""
        if h < 0:
            return 0, 0
        m = self.model
        hh = m.households
        a, k14, ku = int(hh._adults[h]), int(hh._kids_14p[h]), int(hh._kids_u14[h])
        x = float(hh._income[h]) / (1.0 + 0.5 * (a - 1 + k14) + 0.3 * ku)
        t0, t1, t2 = m.quartile_limits
        p = int(hh._priority[h])
        if p and dalo_recognised_one(m, h):
            p = 2
        return 4 - (x < t0) - (x < t1) - (x < t2), p

    def note_offer(self, h: int) -> None:
        """Record who the household of an offer is, in the order of the allocator's offer log."""
        if self.model.spinning_up:
            return
        self.offer_who.extend(self._who_one(h))

    def _who(self, h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The same for a batch of households (rows with h = -1 get 0, 0)."""
        ok = h >= 0
        m = self.model
        hh = m.households
        q = np.zeros(h.size, np.int8)
        p = np.zeros(h.size, np.int8)
        if ok.any():
            g = h[ok]
            q[ok] = m.quartile(hh.income_uc_of(g)) + 1
            p[ok] = hh.priority[g] * (1 + dalo_recognised(m, g))
        return q, p

    def _flush(self) -> None:
        """Move buffered single events into the chunks, keeping the order of recording."""
        if not self._single:
            return
        a = np.array(self._single, dtype=np.int64)
        self._single = []
        self._m.append(a[:, 0].astype(np.int32))
        self._e.append(a[:, 1].astype(np.int8))
        self._h.append(a[:, 2].astype(ID))     # copies: views would keep the whole of `a`
        self._d.append(a[:, 3].astype(ID))
        self._r.append(a[:, 4].astype(ID))
        self._o.append(a[:, 5].astype(ID))
        self._q.append(a[:, 6].astype(np.int8))
        self._p.append(a[:, 7].astype(np.int8))

    def count(self) -> int:
        """Number of events recorded."""
        return sum(a.size for a in self._m) + len(self._single)

    def columns(self) -> dict[str, np.ndarray]:
        """The log as one numpy array per field (month, event, household, dwelling, residence,
        from_dwelling, quartile, priority code), in recording order; identifiers as int32 (the
        state's own width: half the memory of int64 for the largest arrays a run keeps). The
        chunks are merged into these arrays and kept as the only chunk, so the log is not held
        twice (the writer and the trajectories read these columns instead of a whole frame)."""
        self._flush()
        fields = (("month", "_m", np.int32), ("event", "_e", np.int8), ("household", "_h", ID),
                  ("dwelling", "_d", ID), ("residence", "_r", ID),
                  ("from_dwelling", "_o", ID), ("quartile", "_q", np.int8),
                  ("priority", "_p", np.int8))
        out = {}
        for name, attr, dt in fields:
            parts = getattr(self, attr)
            if len(parts) != 1 or parts[0].dtype != dt:
                a = np.concatenate(parts).astype(dt, copy=False) if parts else np.empty(0, dt)
                parts[:] = [a]
            out[name] = parts[0]
        return out

    def frame(self, start: int = 0, stop: int | None = None) -> pd.DataFrame:
        """One row per event: month and its calendar date, event name, household and the dwelling
        concerned, where it is (residence and neighbourhood names, QPV flag; missing for events
        outside social housing), who the household was (quartile 1..4, 0 if no household;
        priority and DALO status), the dwelling left by a move, and the residence index.
        `start`, `stop`: only the events of that range of rows (the writer builds the table one
        row group at a time)."""
        c = {k: v[start:stop] for k, v in self.columns().items()}
        for k in ("household", "dwelling", "from_dwelling", "residence"):   # the table's int64
            c[k] = c[k].astype(np.int64)
        month, r, p = c["month"], c["residence"], c["priority"]
        return pd.DataFrame({
            "month": month,
            "date": month_dates(month, self.model.sc.run.start_year),
            "event": pd.Categorical.from_codes(c["event"], categories=list(EVENT_NAMES)),
            "household": c["household"],
            "dwelling": c["dwelling"],
            **place_columns(self.model.territory, r),
            "quartile": c["quartile"],
            "priority": p > 0,
            "dalo": p == 2,
            "from_dwelling": c["from_dwelling"],
            "residence_id": r,
        })


def month_dates(month, start_year: int) -> np.ndarray:
    """Calendar date of model months: the last day of the month, the state after its step (month
    0, the initial state, is 31 December of the year before the first year)."""
    m = np.asarray(month, np.int64)
    first_of_next = np.datetime64(f"{start_year:04d}-01", "M") + m    # month m ends before this
    return (first_of_next.astype("datetime64[D]") - np.timedelta64(1, "D")).astype("datetime64[ns]")


def place_columns(territory, residence) -> dict[str, object]:
    """Residence and neighbourhood names and QPV flag for residence indices (-1: none, missing)."""
    r = np.asarray(residence, np.int64)
    ok = r >= 0
    nb = np.full(r.size, -1, np.int64)
    nb[ok] = territory.res_nbhd[r[ok]]
    qpv = pd.array(np.where(ok, territory.nb_qpv[np.maximum(nb, 0)] if len(territory.nb_qpv) else False,
                            False), dtype="boolean")
    qpv[~ok] = pd.NA
    return {
        "residence": pd.Categorical.from_codes(np.where(ok, r, -1), categories=list(territory.res_names)),
        "neighbourhood": pd.Categorical.from_codes(nb, categories=list(territory.nb_names)),
        "in_qpv": qpv,
    }
