"""Exits from social housing: to private renting or ownership. The hazard rises with
income quartile, is higher in relaxed markets and unattractive neighbourhoods, for tenants paying the
solidarity surcharge (in proportion to its amount), and for the better-off tenants of a residence
announced for demolition (they leave rather than wait to be rehoused, as practitioners observe in
relaxed markets). Tenants who lost the right to stay leave at the end of their notice. Deaths are
handled with life events."""

from __future__ import annotations

import numpy as np

from . import events as ev
from . import moves
from .hazard import SCREEN_FLOOR, drawn
from .state import OCCUPIED, TENANT


def hazard(model, h: np.ndarray, d: np.ndarray, bound: bool = False) -> np.ndarray:
    """Yearly exit rate of tenants h living in dwellings d. With `bound`, each tenant's rate with
    the largest quartile multiplier and the top quartile's share of the demolition push, without
    reading incomes: every factor is non-negative (attractiveness_effect <= 2, attractiveness in
    [0, 1]) and the products run in the same order, so no tenant's rate exceeds it."""
    e = model.sc.behaviour.exits
    hh, terr = model.households, model.territory
    if bound:
        mult, top = max(e.quartile_multipliers), 1.0
    else:
        q = model.quartile(hh.income_uc_of(h))
        mult, top = np.asarray(e.quartile_multipliers)[q], q / 3.0
    tension = (model.sc.behaviour.demand.market_tension / e.reference_tension) ** (-e.tension_elasticity)
    attr = terr.residence_attractiveness()[model.dwellings.residence[d]]
    rate = e.base_rate * mult * tension * (1.0 + e.attractiveness_effect * (0.5 - attr))
    rate = rate * (1.0 + e.surcharge_effect * model.sls[d] / 100.0)
    rate = rate * (1.0 + e.announced_demolition_effect * tension * top * hh.rehouse[h])
    return np.clip(rate, 0.0, 0.95)


def step(model) -> None:
    dw = model.dwellings
    occ = np.flatnonzero(dw.status == OCCUPIED)
    h = dw.tenant[occ].astype(np.intp)         # household rows as numpy gathers them fastest
    u = model.streams["exits"].random(h.size)
    # the monthly probability is below the yearly rate: only tenants whose draw falls under their
    # rate's bound can leave, and their incomes alone are read
    i = np.flatnonzero(u < hazard(model, h, occ, bound=True) + SCREEN_FLOOR)
    hi = h[i]
    leaving = hi[drawn(u[i], hazard(model, hi, occ[i]))]
    moves.leave(model, leaving, ev.EXIT)
    # tenants whose right to stay has ended (CCH L442-3-3, see rents.yearly_survey) leave
    hh = model.households
    until = hh.stay_until[h]
    ended = h[(until >= 0) & (until <= model.month) & (hh.state[h] == TENANT)]
    moves.leave(model, ended, ev.LOST_RIGHT_TO_STAY)

