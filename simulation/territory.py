"""The territory: neighbourhoods, residences and their dwellings, built from the scenario's description.

The generator keeps the described proportions at any size: with `scale_to_dwellings` the described
town is replicated as many times as needed (copies are numbered: "Les Tilleuls 2", ...) and each
residence's size is scaled so the total matches.
"""

from __future__ import annotations

import math

import numpy as np

from .schema import FINANCINGS, TYPOLOGIES, RentsSpec, Scenario
from .state import VACANT, Dwellings

NEW_DWELLING_YEARS = 5  # "new/recent dwelling" for rehousing targets: built in the last 5 years


def era_value(table: dict, year: int):
    """Value of the era (keyed by first year) that `year` falls in."""
    keys = sorted(table, key=int)
    chosen = keys[0]
    for k in keys:
        if year >= int(k):
            chosen = k
    return table[chosen]


class Territory:
    """Neighbourhood and residence tables (small arrays) plus name lookups."""

    def __init__(self, sc: Scenario):
        spec = sc.territory
        self.name = spec.name
        self.landlord_names = [l.name for l in spec.landlords]
        self.landlord_kinds = [l.kind for l in spec.landlords]
        base_total = sum(r.dwellings for n in spec.neighbourhoods for r in n.residences)
        target = spec.scale_to_dwellings or base_total
        copies = max(1, math.ceil(target / base_total - 1e-9)) if target > base_total else 1
        factor = target / (base_total * copies)
        self.copies, self.scale_factor = copies, factor

        nb_names, nb_qpv, nb_renewal, nb_attr, nb_base = [], [], [], [], []
        r_names, r_nbhd, r_landlord, r_year, r_fin, r_rent, r_delta, r_count, r_typ = ([] for _ in range(9))
        self.base_residence: list[str] = []   # name in the scenario file of each (copied) residence
        for c in range(copies):
            suffix = "" if copies == 1 else f" {c + 1}"
            for n in spec.neighbourhoods:
                ni = len(nb_names)
                nb_names.append(n.name + suffix)
                nb_base.append(n.name)
                nb_qpv.append(n.is_qpv)
                nb_renewal.append(n.is_renewal_site)
                nb_attr.append(n.attractiveness)
                for r in n.residences:
                    r_names.append(r.name + suffix)
                    self.base_residence.append(r.name)
                    r_nbhd.append(ni)
                    r_landlord.append(self.landlord_names.index(r.landlord))
                    r_year.append(r.year_built)
                    r_fin.append(FINANCINGS.index(r.financing))
                    r_rent.append(r.rent_m2 or default_rent_m2(sc.rents, r.year_built, r.financing))
                    r_delta.append(r.attractiveness_delta)
                    r_count.append(max(1, round(r.dwellings * factor)))
                    typ = r.typology or era_value(sc.rents.typology_by_era, r.year_built)
                    r_typ.append(np.array([typ.get(t, 0.0) for t in TYPOLOGIES], float))
        self.nb_names = nb_names
        self.nb_base = nb_base
        self.nb_qpv = np.array(nb_qpv, bool)
        self.nb_renewal = np.array(nb_renewal, bool)
        self.nb_attr = np.array(nb_attr, float)
        self.res_names = r_names
        self.res_nbhd = np.array(r_nbhd, np.int32)
        self.res_landlord = np.array(r_landlord, np.int16)
        self.res_year = np.array(r_year, np.int16)
        self.res_financing = np.array(r_fin, np.int8)
        self.res_rent_m2 = np.array(r_rent, float)         # rent schedule, indexed yearly
        self.res_attr_delta = np.array(r_delta, float)
        self.res_count = np.array(r_count, np.int64)
        self.res_typology = r_typ
        self.res_fragility = np.ones(len(r_names), np.int8)             # 0 fragile 1 inter 2 balanced
        self.res_to_sell = np.zeros(len(r_names), np.int64)

    # ------------------------------------------------------------------ growth (works)
    def add_residence(self, name, nbhd, landlord, year, financing, rent_m2, typology) -> int:
        self.res_names.append(name)
        self.base_residence.append(name)
        self.res_nbhd = np.append(self.res_nbhd, np.int32(nbhd))
        self.res_landlord = np.append(self.res_landlord, np.int16(landlord))
        self.res_year = np.append(self.res_year, np.int16(year))
        self.res_financing = np.append(self.res_financing, np.int8(financing))
        self.res_rent_m2 = np.append(self.res_rent_m2, float(rent_m2))
        self.res_attr_delta = np.append(self.res_attr_delta, 0.0)
        self.res_count = np.append(self.res_count, 0)
        self.res_typology.append(typology)
        self.res_fragility = np.append(self.res_fragility, np.int8(1))
        self.res_to_sell = np.append(self.res_to_sell, 0)
        return len(self.res_names) - 1

    # ------------------------------------------------------------------ lookups
    @property
    def n_nbhd(self) -> int:
        return len(self.nb_names)

    @property
    def n_res(self) -> int:
        return len(self.res_names)

    def residence_attractiveness(self) -> np.ndarray:
        return np.clip(self.nb_attr[self.res_nbhd] + self.res_attr_delta, 0.0, 1.0)

    def residences_named(self, name: str) -> list[int]:
        """All residences (copies included) built from the scenario residence `name`."""
        return [i for i, b in enumerate(self.base_residence) if b == name]

    def neighbourhoods_named(self, name: str) -> list[int]:
        return [i for i, b in enumerate(self.nb_base) if b == name]


def default_rent_m2(rents: RentsSpec, year_built: int, financing: str) -> float:
    return float(era_value(rents.base_rent_m2_by_era, year_built)) * rents.financing_factor[financing]


def build_dwellings(terr: Territory, rents: RentsSpec, rng: np.random.Generator) -> Dwellings:
    """Create every dwelling of every residence: typology drawn from the residence's mix (largest
    remainder, so shares are exact), surface from typology and era, rent from the schedule."""
    total = int(terr.res_count.sum())
    dw = Dwellings(capacity=int(total * 1.3) + 64)
    for r in range(terr.n_res):
        add_dwellings(dw, terr, rents, r, int(terr.res_count[r]), rng, status=VACANT, month=0)
    return dw


def add_dwellings(dw: Dwellings, terr: Territory, rents: RentsSpec, r: int, k: int,
                  rng: np.random.Generator, status: int, month: int) -> np.ndarray:
    shares = terr.res_typology[r]
    shares = shares / shares.sum()
    counts = np.floor(shares * k).astype(int)
    rest = k - counts.sum()
    if rest:
        order = np.argsort(-(shares * k - counts), kind="stable")
        counts[order[:rest]] += 1
    typ = np.repeat(np.arange(1, 6), counts)
    rng.shuffle(typ)
    idx = dw.add(k)
    year = int(terr.res_year[r])
    surf_table = np.array([rents.surface_by_typology[t] for t in TYPOLOGIES])
    surface = surf_table[typ - 1] * (rents.old_estate_surface_factor if year < 1977 else 1.0)
    surface = surface * rng.uniform(0.92, 1.08, k)
    dw.residence[idx] = r
    dw.nbhd[idx] = terr.res_nbhd[r]
    dw.landlord[idx] = terr.res_landlord[r]
    dw.financing[idx] = terr.res_financing[r]
    dw.built[idx] = year
    dw.typology[idx] = typ
    dw.surface[idx] = np.round(surface, 1)
    dw.rent_m2[idx] = terr.res_rent_m2[r]
    dw.status[idx] = status
    dw.vacant_since[idx] = month
    dw.listed_since[idx] = month
    return idx
