"""Demand: new applicants arrive, tenants ask for transfers, applications lapse, and the
applicants' income quartile thresholds are recomputed every January from the pool (as the law does),
so "Q1" is endogenous."""

from __future__ import annotations

import numpy as np

from . import events as ev
from . import moves
from .population import expected_external_allocations, new_applicants, start_application
from .scoring import compute_keys
from .state import APPLICANT, OCCUPIED, TENANT


def setup(model) -> None:
    """Inflow rate that keeps the external pool near market_tension x yearly allocations."""
    d = model.sc.behaviour.demand
    alloc_y = expected_external_allocations(model)
    model.inflow_per_month = d.market_tension * alloc_y / d.application_lifetime_months + alloc_y / 12.0
    update_quartiles(model)


def update_quartiles(model) -> None:
    """Quartile thresholds of income per UC among pending applicants (Q1 = poorest 25 %)."""
    hh = model.households
    inc = hh.income_uc_of(np.flatnonzero(hh.applying))
    if inc.size >= 4:
        model.quartile_thresholds = np.quantile(inc, [0.25, 0.5, 0.75])
    model.quartile_history.append((model.month, *map(float, model.quartile_thresholds)))


def step(model) -> None:
    hh = model.households
    rng = model.streams["demand"]
    month = model.month
    # lapses: applications not renewed
    lapsing = np.flatnonzero(hh.applying & (hh.app_expiry <= month) & ~hh.rehouse)
    ext = lapsing[hh.state[lapsing] == APPLICANT]
    moves.leave(model, ext, ev.LAPSE)
    ten = lapsing[hh.state[lapsing] == TENANT]
    hh.applying[ten] = False
    model.log.add(ev.TRANSFER_LAPSE, ten, hh.dwelling[ten])
    # inflow
    k = int(rng.poisson(model.inflow_per_month))
    a = new_applicants(model, k, rng)
    compute_keys(model, a)
    model.log.add(ev.APPLIED, a)
    model.ledger["entered"] += k
    # transfer requests
    request_transfers(model, rng)
    if month % 12 == 1 and month > 1:
        update_quartiles(model)


def request_transfers(model, rng) -> None:
    d = model.sc.behaviour.demand
    hh, dw, terr = model.households, model.dwellings, model.territory
    occ = np.flatnonzero(dw.status == OCCUPIED)
    h = dw.tenant[occ]
    cand = ~hh.applying[h] & ~hh.rehouse[h]
    occ, h = occ[cand], h[cand]
    size = hh.size_of(h)
    rooms = dw.typology[occ]
    burden = model.burden_of(h)
    qpv = terr.nb_qpv[dw.nbhd[occ]]
    attr = terr.residence_attractiveness()[dw.residence[occ]]
    rate = (d.transfer_base_rate + d.transfer_overcrowded_rate * (size > rooms + 1)
            + d.transfer_underoccupied_rate * (rooms > size + 1)
            + d.transfer_burden_rate * (burden > 0.35)
            + d.transfer_leave_qpv_rate * qpv * (1.0 - attr))
    p = 1.0 - (1.0 - np.minimum(rate, 0.95)) ** (1.0 / 12.0)
    ask = h[rng.random(h.size) < p]
    if ask.size:
        start_application(model, ask, rng)
        compute_keys(model, ask)
        model.log.add(ev.TRANSFER_REQUEST, ask, hh.dwelling[ask])

