"""Demand: new applicants arrive, tenants ask for transfers, applications lapse, and the applicants'
income quartile thresholds are set every January from the applicants registered at 31 December of
the previous year (as the yearly arrêté does), so "Q1" is endogenous.

Who counts for the thresholds (CCH L. 441-1, as amended by the loi Égalité et citoyenneté of
27 January 2017, art. 70; yearly arrêté "fixant le seuil de ressources des demandeurs de logement
social du premier quartile"): every application pending on 31 December in the territory -
external applicants and social tenants asking for a transfer alike, since both are "demandeurs"
in the national register (SNE) - on income per consumption unit (monthly resources declared x 12 /
consumption units). Households to be rehoused by a renewal project count only if they have an
ordinary application too. The thresholds apply to the whole next calendar year."""

from __future__ import annotations

import numpy as np

from . import events as ev
from . import moves
from .hazard import drawn, monthly
from .population import expected_external_allocations, new_applicants, start_application
from .scoring import compute_keys
from .state import APPLICANT, OCCUPIED, TENANT


def setup(model) -> None:
    """Inflow rate that keeps the external pool near market_tension x yearly allocations."""
    d = model.sc.behaviour.demand
    alloc_y = expected_external_allocations(model)
    model.inflow_per_month = d.market_tension * alloc_y / d.application_lifetime_months + alloc_y / 12.0
    update_quartiles(model)


def threshold_pool(model) -> np.ndarray:
    """The applicants the quartile thresholds are computed on: every pending application (external
    and transfer) at the time of the call."""
    return np.flatnonzero(model.households.applying)


def quartile_thresholds(model) -> np.ndarray | None:
    """Q1 / median / Q3 thresholds of income per UC among the threshold pool (None if < 4)."""
    inc = model.households.income_uc_of(threshold_pool(model))
    return np.quantile(inc, [0.25, 0.5, 0.75]) if inc.size >= 4 else None


def update_quartiles(model) -> None:
    """Apply thresholds computed now (set-up: the initial pool)."""
    t = quartile_thresholds(model)
    if t is not None:
        model.quartile_thresholds = t
    model.quartile_history.append((model.month, *map(float, model.quartile_thresholds)))


def year_end(model) -> None:
    """31 December: register the pool's thresholds; they apply from January. The pool itself,
    classified by them, is kept to measure next year's allocation rates (indicators)."""
    t = quartile_thresholds(model)
    model.next_quartile_thresholds = t
    ids = threshold_pool(model)
    if t is not None:
        q = np.searchsorted(t, model.households.income_uc_of(ids), side="right")
        model.rate_pool = (ids, q, model.households.priority[ids].copy())


def new_year(model) -> None:
    """January: the thresholds registered at 31 December apply (at the very first January without
    a registered year end, the pool of the day)."""
    t = getattr(model, "next_quartile_thresholds", None)
    if t is None:
        t = quartile_thresholds(model)
    if t is not None:
        model.quartile_thresholds = t
    model.next_quartile_thresholds = None
    model.rate_pool_year = getattr(model, "rate_pool", None)    # this year's allocation-rate pool
    model.rate_pool = None
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
    steer_inflow(model)
    k = int(rng.poisson(model.inflow_per_month))
    a = new_applicants(model, k, rng)
    compute_keys(model, a)
    model.log.add(ev.APPLIED, a)
    model.ledger["entered"] += k
    # transfer requests
    request_transfers(model, rng)


def steer_inflow(model) -> None:
    """Inflow of new external applicants this month, steered so that pending applications
    (external and transfer) are `market_tension` x the yearly allocations of the last three years:
    the inflow replaces lapses and external allocations (less the households formed in the
    territory, who apply on their own) and closes a sixth of the gap each month. This runs during
    the spin-up and, with `hold_tension` (default), during the run too: demand then adapts to the
    flow of allocations over about three years (applicants discouraged or drawn in), as observed
    tension is a property of the local market. With `hold_tension: false` the external pool keeps
    the size reached at the end of the spin-up, so a policy that changes the flow of allocations
    moves applications per allocation for good. Without a spin-up nothing is steered."""
    hh = model.households
    d = model.sc.behaviour.demand
    life = d.application_lifetime_months
    hist = model.alloc_history
    a = model.observer._alloc_res_months
    if model.month > model.first_month:
        hist.append(a[-1].size if a else 0)
    formed = model.month_formed
    model.month_formed = 0
    if not (model.spinning_up or model.external_pool_target is not None):
        return
    external = int(np.count_nonzero(hh.applying & (hh.state == APPLICANT)))
    if model.spinning_up or d.hold_tension:
        recent = hist[-36:]
        prior = expected_external_allocations(model) / 0.8     # transfers are ~20 % of the flow
        w = max(24 - len(hist), 0)                          # the prior fades over two years
        alloc_y = 12.0 * (sum(recent) + prior / 12.0 * w) / max(len(recent) + w, 1)
        pending = int(np.count_nonzero(hh.applying))
        target = max(d.market_tension * alloc_y - (pending - external), 0.0)
    else:
        target = model.external_pool_target
    net = model.allocator.month_external - formed
    model.net_outflow = 0.9 * getattr(model, "net_outflow", net) + 0.1 * net
    model.inflow_per_month = max(target / life + model.net_outflow + (target - external) / 6.0, 0.0)


def request_transfers(model, rng) -> None:
    d = model.sc.behaviour.demand
    hh, dw, terr = model.households, model.dwellings, model.territory
    occ = np.flatnonzero(dw.status == OCCUPIED)
    h = dw.tenant[occ].astype(np.intp)         # household rows as numpy gathers them fastest
    cand = ~hh.applying[h] & ~hh.rehouse[h]
    occ, h = occ[cand], h[cand]
    u = rng.random(h.size)
    # Each term of the rate is its coefficient times a flag or a share (attractiveness is in
    # [0, 1]), so no rate exceeds the coefficients' sum, added in the same order: only the tenants
    # whose draw falls under that sum's monthly probability (plus a margin of rounding) can ask,
    # and their rates alone are computed (about 6 % of tenants with the defaults).
    top = (d.transfer_base_rate + d.transfer_overcrowded_rate + d.transfer_underoccupied_rate
           + d.transfer_burden_rate + d.transfer_leave_qpv_rate)
    i = np.flatnonzero(u < monthly(min(top, 0.95)) + 1e-12)
    occ, h, u = occ[i], h[i], u[i]
    size = hh.size_of(h)
    rooms = dw.typology[occ]
    burden = model.burden_of(h)
    qpv = terr.nb_qpv[dw.nbhd[occ]]
    attr = terr.residence_attractiveness()[dw.residence[occ]]
    rate = (d.transfer_base_rate + d.transfer_overcrowded_rate * (size > rooms + 1)
            + d.transfer_underoccupied_rate * (rooms > size + 1)
            + d.transfer_burden_rate * (burden > 0.35)
            + d.transfer_leave_qpv_rate * qpv * (1.0 - attr))
    ask = h[drawn(u, np.minimum(rate, 0.95))]
    if ask.size:
        start_application(model, ask, rng)
        compute_keys(model, ask)
        model.log.add(ev.TRANSFER_REQUEST, ask, hh.dwelling[ask])

