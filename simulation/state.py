"""Bulk state as typed numpy columns (struct of arrays), declared in one place with labels.

Households and dwellings are far too many to be Mesa Agents (one Agent per household was measured at
~4x the whole time budget at metropolis scale); whole-population processes update these columns at
once. `HouseholdView` / `DwellingView` give a light per-row view for inspection, tests and the web view.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# household states
APPLICANT, TENANT, GONE = 0, 1, 2
# dwelling statuses
OCCUPIED, VACANT, FROZEN, DEMOLISHED, SOLD = 0, 1, 2, 3, 4
DWELLING_STATUS = ("occupied", "vacant", "frozen", "demolished", "sold")
HOUSEHOLD_STATE = ("applicant", "tenant", "gone")

# name: (dtype, fill, label)
HOUSEHOLD_COLUMNS: dict[str, tuple[type, object, str]] = {
    "state": (np.int8, GONE, "applicant / tenant / gone"),
    "adults": (np.int8, 1, "adults (1 or 2)"),
    "kids_u14": (np.int8, 0, "children under 14"),
    "kids_14p": (np.int8, 0, "children 14 and over"),
    "age": (np.float32, 40.0, "age of the reference person, years"),
    "income": (np.float64, 0.0, "household income, EUR/year"),
    "income_dev": (np.float64, 0.0, "transitory log deviation of income (AR(1))"),
    "employed": (np.bool_, True, "reference person in work"),
    "priority": (np.bool_, False, "priority public (DALO / PDALHPD)"),
    "dalo": (np.bool_, False, "right to housing recognised (DALO); always a priority household too"),
    "dalo_deadline": (np.int32, 0, "month by which the prefect must house the DALO household"),
    "state_employee": (np.bool_, False, "employed by the State (prefect's civil-servant quota)"),
    "income_n1": (np.float64, np.nan, "income at the last January, EUR/year (NaN: not yet seen)"),
    "income_n2": (np.float64, np.nan, "income at the January before, EUR/year: year N-2's income, "
                  "the tax reference income ceilings and SLS are tested on (NaN: not yet seen)"),
    "over150_years": (np.int8, 0, "consecutive yearly surveys with resources over 150 % of the ceiling"),
    "stay_until": (np.int32, -1, "month the right to stay ends (CCH L442-3-3), -1 if it does not"),
    "al_employee": (np.bool_, False, "employee of a firm contributing to Action Logement"),
    "local": (np.bool_, True, "lives or works in the territory"),
    "hosted": (np.bool_, False, "hosted or homeless before applying"),
    "dwelling": (np.int32, -1, "current social dwelling, -1 if none"),
    "applying": (np.bool_, False, "has a pending application (external or transfer)"),
    "app_date": (np.int32, 0, "month the pending application was registered"),
    "app_expiry": (np.int32, 0, "pre-drawn month the application lapses"),
    "key": (np.float64, 0.0, "time-invariant ranking key: score = key + points_per_month * t"),
    "review_points": (np.float32, 0.0, "occupancy-review precedence points"),
    "wish_nbhd": (np.int16, -1, "wished neighbourhood, -1 if none"),
    "refusals": (np.int16, 0, "offers refused so far"),
    "entry_month": (np.int32, 0, "month of entry in the current dwelling"),
    "created": (np.int32, 0, "month the household entered the model"),
    "rehouse": (np.bool_, False, "to be rehoused (renewal site)"),
    "rehouse_res": (np.int32, -1, "residence the household is rehoused from"),
    "rehouse_offers": (np.int8, 0, "rehousing offers made so far"),
    "rc_before": (np.float32, 0.0, "remaining cost before rehousing, EUR/month"),
    "return_wish": (np.bool_, False, "wishes to return to the renewed site"),
    "was_rehoused": (np.bool_, False, "has been rehoused by a renewal project"),
    "attachment": (np.float32, 0.5, "attachment to the current neighbourhood, 0-1"),
    "refusal_points": (np.float32, 0.0, "score points lost by refusing offers (refusal consequences)"),
}

DWELLING_COLUMNS: dict[str, tuple[type, object, str]] = {
    "residence": (np.int32, -1, "residence index"),
    "nbhd": (np.int32, -1, "neighbourhood index"),
    "landlord": (np.int16, -1, "landlord index"),
    "financing": (np.int8, 1, "0 PLAI, 1 PLUS, 2 PLS, 3 PLI"),
    "built": (np.int16, 1970, "year built"),
    "typology": (np.int8, 3, "rooms, 1..5 for T1..T5"),
    "surface": (np.float64, 65.0, "m2"),
    "rent_m2": (np.float64, 6.0, "rent of the current or next lease, EUR/m2/month"),
    "reduction": (np.float64, 0.0, "rent reduction for a rehoused tenant, EUR/month"),
    "status": (np.int8, VACANT, "occupied / vacant / frozen / demolished / sold"),
    "tenant": (np.int32, -1, "household index of the tenant, -1 if none"),
    "vacant_since": (np.int32, 0, "month the dwelling fell vacant"),
    "listed_since": (np.int32, 0, "month it entered the ordinary flow (after a rehousing reservation)"),
    "reserved": (np.bool_, False, "taken out of the ordinary flow for renewal rehousing"),
    "refused": (np.int16, 0, "offers refused since it fell vacant"),
    "doomed": (np.bool_, False, "planned for demolition: no longer re-let (planned vacancy)"),
    "social": (np.bool_, True, "social housing let through the commission; false for renewal "
               "diversification (intermediate, Foncière Logement, home ownership)"),
    "adapted": (np.bool_, False, "adapted to disability or loss of autonomy (occupancy review)"),
}


class Columns:
    """A growable struct of arrays. `n` rows are in use; capacity grows by half when needed.

    Each column `name` is an attribute holding the live view of the n rows in use (of the array
    `_name`), refreshed when rows are added: the processes read columns hundreds of thousands of
    times a run, and a plain attribute is several times cheaper than a property slicing on each
    read. Write through the view (`hh.income[i] = x`), never rebind it."""

    SPEC: dict[str, tuple[type, object, str]] = {}

    def __init__(self, capacity: int = 1024):
        self.n = 0
        self._cap = max(16, capacity)
        for name, (dt, fill, _) in self.SPEC.items():
            setattr(self, "_" + name, np.full(self._cap, fill, dtype=dt))
        self._views()

    def _views(self) -> None:
        d, n = self.__dict__, self.n
        for name in self.SPEC:
            d[name] = d["_" + name][:n]

    def __getstate__(self):
        """Pickle the arrays only: views would come back as copies, no longer aliasing them."""
        return {k: v for k, v in self.__dict__.items() if k not in self.SPEC}

    def __setstate__(self, state) -> None:
        self.__dict__.update(state)
        self._views()

    def add(self, k: int) -> np.ndarray:
        """Append k rows with default values; return their indices."""
        if self.n + k > self._cap:
            cap = self._cap
            while self.n + k > cap:    # 1.5x, not 2x: the household table only grows, and a
                cap += cap // 2        # metropolis run would otherwise end up half empty
            for name, (dt, fill, _) in self.SPEC.items():
                old = self.__dict__["_" + name]
                new = np.full(cap, fill, dtype=dt)
                new[: self.n] = old[: self.n]
                self.__dict__["_" + name] = new
            self._cap = cap
        idx = np.arange(self.n, self.n + k)
        self.n += k
        self._views()
        return idx

    def nbytes(self) -> int:
        return sum(self.__dict__["_" + n].nbytes for n in self.SPEC)


def household_size(adults, kids_u14, kids_14p) -> np.ndarray:
    """Persons in the household."""
    return (adults + kids_u14 + kids_14p).astype(np.int16)


def consumption_units(adults, kids_u14, kids_14p):
    """OECD-modified consumption units: 1 + 0.5 per other person 14+ + 0.3 per child under 14."""
    return 1.0 + 0.5 * (adults - 1 + kids_14p) + 0.3 * kids_u14


class Households(Columns):
    SPEC = HOUSEHOLD_COLUMNS

    @property
    def size(self) -> np.ndarray:
        return household_size(self.adults, self.kids_u14, self.kids_14p)

    @property
    def uc(self) -> np.ndarray:
        return consumption_units(self.adults, self.kids_u14, self.kids_14p)

    @property
    def income_uc(self) -> np.ndarray:
        return self.income / self.uc

    # the same for chosen rows only: whole-column properties cost O(all households ever created)
    def _read(self, h, *names) -> tuple:
        """Columns `names` at rows h. An integer index array is gathered as intp with `take`:
        numpy converts any other index type on every gather, and `take` skips fancy indexing's
        general machinery (reading a tenant's household from a dwelling column, int32, cost twice
        as much). A number, a mask or a slice reads as given."""
        d = self.__dict__
        if isinstance(h, np.ndarray) and h.dtype.kind in "iu":
            h = h.astype(np.intp, copy=False)
            return tuple(d["_" + n].take(h) for n in names)
        return tuple(d["_" + n][h] for n in names)

    def size_of(self, h) -> np.ndarray:
        return household_size(*self._read(h, "adults", "kids_u14", "kids_14p"))

    def uc_of(self, h) -> np.ndarray:
        return consumption_units(*self._read(h, "adults", "kids_u14", "kids_14p"))

    def composition_of(self, h) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(adults, size, consumption units) of households h, each column read once."""
        a, ku, k14 = self._read(h, "adults", "kids_u14", "kids_14p")
        return a, household_size(a, ku, k14), consumption_units(a, ku, k14)

    def income_uc_of(self, h) -> np.ndarray:
        inc, a, ku, k14 = self._read(h, "income", "adults", "kids_u14", "kids_14p")
        return inc / consumption_units(a, ku, k14)


class Dwellings(Columns):
    SPEC = DWELLING_COLUMNS


@dataclass
class HouseholdView:
    """Read-only view of one household, for inspection and tests."""

    model: object
    id: int

    def __getattr__(self, name):
        hh = self.model.households
        if name in HOUSEHOLD_COLUMNS:
            return getattr(hh, name)[self.id].item()
        if name in ("size", "uc", "income_uc"):
            return getattr(hh, name)[self.id].item()
        raise AttributeError(name)

    def __repr__(self):
        hh = self.model.households
        return (f"Household({self.id}, {HOUSEHOLD_STATE[hh.state[self.id]]}, size={hh.size[self.id]}, "
                f"income_uc={hh.income_uc[self.id]:.0f}, dwelling={hh.dwelling[self.id]})")


@dataclass
class DwellingView:
    model: object
    id: int

    def __getattr__(self, name):
        if name in DWELLING_COLUMNS:
            return getattr(self.model.dwellings, name)[self.id].item()
        raise AttributeError(name)

    def __repr__(self):
        d = self.model.dwellings
        res = self.model.territory.res_names[d.residence[self.id]]
        return (f"Dwelling({self.id}, {res}, T{d.typology[self.id]}, {d.surface[self.id]:.0f} m2, "
                f"{DWELLING_STATUS[d.status[self.id]]}, tenant={d.tenant[self.id]})")
