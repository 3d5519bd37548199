"""Moving households in and out of dwellings: the only code that changes who lives where, so the
invariants (one household per dwelling, no household in two places) hold by construction."""

from __future__ import annotations

import numpy as np

from . import events as ev
from .state import FROZEN, GONE, OCCUPIED, SOLD, TENANT, VACANT


def _no_tenant(dw, d, month: int) -> None:
    """What vacating writes for dwelling(s) d whatever follows: no tenant, no rent reduction, no
    refusals, vacant and listed since this month."""
    dw.tenant[d] = -1
    dw.reduction[d] = 0.0
    dw.refused[d] = 0
    dw.vacant_since[d] = month
    dw.listed_since[d] = month


def vacate(model, d: np.ndarray) -> None:
    """Dwellings d lose their tenant: vacant, frozen (planned vacancy) or sold; some are reserved
    for renewal rehousing (a share of the flow, while households remain to be rehoused)."""
    d = np.atleast_1d(np.asarray(d, dtype=np.int64))
    if d.size == 0:
        return
    dw, terr = model.dwellings, model.territory
    _no_tenant(dw, d, model.month)
    res = dw.residence[d]
    frozen = dw.doomed[d]
    status = np.where(frozen, FROZEN, VACANT).astype(np.int8)
    # sales: vacant dwellings of residences on sale are sold until the quota is met
    for i in np.flatnonzero(~frozen & (terr.res_to_sell[res] > 0)):
        r = res[i]
        if terr.res_to_sell[r] > 0:
            terr.res_to_sell[r] -= 1
            status[i] = SOLD
            model.log.add(ev.SOLD_DWELLING, -1, d[i], r)
    dw.status[d] = status
    free = d[status == VACANT]
    dw.reserved[free] = model.rehousing.reserve(free)


def vacate_one(model, d: int) -> None:
    """vacate() of a single dwelling (the former home of a household who moves within the stock),
    with the same writes in plain Python: a dozen array calls on one row cost more than the rest
    of the move."""
    dw, terr = model.dwellings, model.territory
    _no_tenant(dw, d, model.month)
    if dw.doomed[d]:
        dw.status[d] = FROZEN
        return
    r = int(dw.residence[d])
    if terr.res_to_sell[r] > 0:
        terr.res_to_sell[r] -= 1
        dw.status[d] = SOLD
        model.log.add(ev.SOLD_DWELLING, -1, d, r)
        return
    dw.status[d] = VACANT
    dw.reserved[d] = model.rehousing.reserve(np.array([d]))[0]


def move_in(model, h: int, d: int, rent_m2: float, kind: int) -> None:
    """Household h takes dwelling d on a new lease at rent_m2; its former dwelling (transfer,
    rehousing) falls vacant. `kind` is the event code (allocated, transferred, rehoused, returned)."""
    hh, dw = model.households, model.dwellings
    old = int(hh.dwelling[h])
    if old >= 0:
        vacate_one(model, old)
    hh.state[h] = TENANT
    hh.dwelling[h] = d
    hh.applying[h] = False
    hh.entry_month[h] = model.month
    hh.refusals[h] = 0
    hh.review_points[h] = 0.0     # occupancy-review precedence is spent on this move
    dw.status[d] = OCCUPIED
    dw.tenant[d] = h
    dw.rent_m2[d] = rent_m2
    dw.reserved[d] = False
    dw.refused[d] = 0
    model.log.add(kind, h, d, int(dw.residence[d]), old)


def leave(model, h: np.ndarray, event: int) -> None:
    """Households h leave social housing and the model (exit, death, lapse of an external
    application, forced exit). Their dwellings fall vacant."""
    h = np.atleast_1d(np.asarray(h, dtype=np.int64))
    if h.size == 0:
        return
    hh = model.households
    d = hh.dwelling[h]
    had = d >= 0
    model.log.add(event, h, d, np.where(had, model.dwellings.residence[np.maximum(d, 0)], -1))
    if had.any():
        vacate(model, d[had])
        model.observer.flows["exits"].extend(model.dwellings.residence[d[had]].tolist())
        model.year_exits += int(had.sum())
    hh.state[h] = GONE
    hh.dwelling[h] = -1
    hh.applying[h] = False
    hh.rehouse[h] = False
    model.ledger["left"] += int(h.size)
