"""The Mesa model: one step is one month, and it reads like the list of processes (docs/model.md)."""

from __future__ import annotations

import numpy as np
import mesa

from . import demand, exits, life_events, population, rents, scoring, transfers
from .agents import AllocationCommission, Landlord, ReservationHolder
from .allocation import Allocator
from .events import EventLog
from .indicators import Observer
from .rehousing import Rehousing
from .schema import Scenario
from .state import GONE, Households, HouseholdView, DwellingView
from .territory import Territory, build_dwellings
from .transfers import OccupancyReview
from .works import Works

# Named random streams, spawned in this order from the model's generator. A policy change then does
# not shift unrelated draws, so a baseline and its variant stay identical until the policy's date.
# Append new names at the end only.
STREAMS = ("territory", "population", "life_events", "exits", "demand", "works", "allocation",
           "refusals", "rehousing", "transfers")


_SCENARIO_SEED = object()   # default of `seed`: use the scenario's run.seed


def _resolve_seed(scenario: Scenario, seed, rng) -> int:
    """The integer master seed from the constructor's `seed` / `rng` (see HousingModel)."""
    if seed is not _SCENARIO_SEED and seed is not None and rng is not None:
        raise ValueError("give either seed or rng, not both")
    if rng is not None:
        if isinstance(rng, np.random.Generator):
            return int(rng.integers(2**32))
        if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
            return int(rng)
        raise TypeError(f"rng must be an integer or a numpy Generator, not {type(rng).__name__}")
    if seed is _SCENARIO_SEED:
        return scenario.run.seed
    if seed is None:
        return int(np.random.SeedSequence().generate_state(1)[0])
    return int(seed)


class HousingModel(mesa.Model):
    """Residential trajectories in a territory's social housing, month by month."""

    def __init__(self, scenario: Scenario | str, seed: int | None = _SCENARIO_SEED,
                 rng: int | np.random.Generator | None = None):
        """`scenario`: a validated Scenario, or a file path or built-in name. The seed is, in order:
        `seed` or Mesa's `rng` (an integer, or a Generator an integer seed is drawn from); else
        `scenario.run.seed`. An explicit `seed=None` (as `mesa.batch_run` passes for each
        iteration) draws a fresh seed from the OS, so replicates differ; `model.seed` records the
        seed used, which reproduces the run."""
        if not isinstance(scenario, Scenario):
            from .scenario import load_scenario
            scenario = load_scenario(scenario)
        seed = _resolve_seed(scenario, seed, rng)
        super().__init__(rng=seed)
        self.sc = scenario
        self.seed = seed
        # the spin-up years are months -12 S + 1 .. 0; month 1 is January of the start year
        self.month = -12 * scenario.run.spin_up_years
        self.spinning_up = self.month < 0
        self.first_month = self.month
        self.external_pool_target: float | None = None   # set at the end of the spin-up
        self.alloc_history: list[int] = []               # allocations per month (inflow steering)
        self.month_formed = 0                            # households formed this month
        self.streams = dict(zip(STREAMS, self.rng.spawn(len(STREAMS))))
        self.ledger = {"start": 0, "entered": 0, "left": 0}
        self.year_exits = 0
        self.rekeyed: list[np.ndarray] = []   # households whose ranking key was set since the last pool
        self.quartile_thresholds = np.array([0.0, 0.0, 0.0])
        self.quartile_history: list[tuple] = []

        self.territory = Territory(scenario)
        self.dwellings = build_dwellings(self.territory, scenario.rents, self.streams["territory"])
        self.households = Households(capacity=int(self.dwellings.n * 4))
        self.log = EventLog(self)
        rents.setup(self)
        self.sls = np.zeros(self.dwellings.n)
        self.landlords = [Landlord(self, i, n, k) for i, (n, k) in
                          enumerate(zip(self.territory.landlord_names, self.territory.landlord_kinds))]
        self.holders = [ReservationHolder(self, i, h.name, h.kind, h.flow_share, h.priority_strength)
                        for i, h in enumerate(scenario.allocation.holders)]
        self.commissions = [AllocationCommission(self, l, scenario.allocation.mix_rules)
                            for l in self.landlords]
        targets = {r for name in scenario.allocation.mix_rules.target_residences
                   for r in self.territory.residences_named(name)}
        for c in self.commissions:
            c.target_residences = targets
        self.rehousing = Rehousing(self)
        self.works = Works(self)
        self.occupancy_review = OccupancyReview(self)
        self.observer = Observer(self)
        self._tenant_burden = np.zeros(0)
        self._burden_tenants = np.zeros(0, np.int64)

        population.populate(self, self.streams["population"])
        demand.setup(self)
        scoring.compute_keys(self, np.flatnonzero(self.households.applying))
        self.allocator = Allocator(self)
        if self.spinning_up:
            self._spin_up()
        rents.step(self)            # SLS of the initial tenants
        month0 = self.observer._alloc_res_months[-1:]
        self.observer.step()        # month 0: the initial state
        if month0:                  # the rolling year keeps month 0's allocations
            self.observer._alloc_res_months[-1] = month0[0]
        self.ledger["start"] = self.households_present()
        self.datacollector = mesa.DataCollector(model_reporters={
            "seed": lambda m: m.seed,
            "q1_share_tenants": lambda m: m.observer.latest["q1_share_tenants"],
            "q1_share_tenants_qpv": lambda m: m.observer.latest["q1_share_tenants_qpv"],
            "q1_share_tenants_outside_qpv": lambda m: m.observer.latest["q1_share_tenants_outside_qpv"],
            "vacancy_rate": lambda m: m.observer.latest["vacancy_rate"],
            "dissimilarity_q1": lambda m: m.observer.latest["dissimilarity_q1"],
            "pending_applications": lambda m: m.observer.latest["pending_applications"],
            "allocations": lambda m: m.observer.latest["allocations"],
        })
        self.datacollector.collect(self)

    # --------------------------------------------------------------------------------- spin-up
    def _spin_up(self) -> None:
        """Simulate the spin-up years (months <= 0) and forget them: the reported run starts from the
        state the model's own processes produce (who lives where, the applicant pool, the quartile
        thresholds), not from the drawn one. Meanwhile the inflow of applicants is steered so that
        applications per allocation reach `market_tension` (see demand.steer_inflow)."""
        tail = []
        while self.month < -1:
            self._processes()
            if self.month > -12:
                tail.append(int(np.count_nonzero(self.households.applying & (self.households.state == 0))))
        self.external_pool_target = float(np.mean(tail)) if tail else 0.0
        self._processes()                      # month 0: December before the start
        self.spinning_up = False
        # forget the spin-up: logs, indicator rows and counters start at month 0
        for log in (self.allocator.alloc_log, self.allocator.offer_log):
            for v in log.values():
                v.clear()
        self.log.clear()
        obs = self.observer
        obs._rows.clear()
        obs.yearly_allocs_start = obs.offers_start = obs._month_alloc_start = 0
        self.quartile_history = []
        self.year_exits = 0
        self.ledger = {"start": 0, "entered": 0, "left": 0}

    # --------------------------------------------------------------------------------- the month
    def step(self) -> None:
        self._processes()
        self.datacollector.collect(self)
        if self.month >= self.sc.run.years * 12:
            self.running = False

    def _processes(self) -> None:
        """One month: the processes in their order."""
        self.month += 1
        if self.month % 12 == 1:
            demand.new_year(self)     # 0. January: quartile thresholds registered at 31 December
        life_events.step(self)        # 1. incomes, births, children, separations, deaths
        exits.step(self)              # 2. exits from social housing
        demand.step(self)             # 3. inflow, transfer requests, lapses
        scoring.refresh(self)         #    scores move with criteria every January
        self.works.step()             # 4. demolition, reconstitution, rehabilitation, sale
        rents.step(self)              # 5. indexation, rent policy, surcharge
        self.allocator.step()         # 6. allocation of the ordinary flow (transfers included)
        self.rehousing.step()         # 7. renewal rehousing on the reserved flow
        transfers.step(self)          # 8. occupancy review (CALEOL)
        if self.month % 12 == 0:
            demand.year_end(self)     # 9. 31 December: applicants registered for next year's quartiles
        self.observer.step()          # 10. indicators
        if self.month % 12 == 0:
            self._seal_logs()         # 11. the year's log rows into compact columns

    def _seal_logs(self) -> None:
        for log in (self.allocator.alloc_log, self.allocator.offer_log):
            for col in log.values():
                col.seal()
        self.log.offer_who.seal()

    def run(self, months: int | None = None, progress=None) -> None:
        """Run the scenario's horizon (or `months` more months)."""
        n = self.sc.run.years * 12 - self.month if months is None else months
        for _ in range(n):
            self.step()
            if progress is not None:
                progress(self.month)

    # ------------------------------------------------------------------------------- shared helpers
    @property
    def current_year(self) -> int:
        return self.sc.run.start_year + max(self.month - 1, 0) // 12

    @property
    def quartile_thresholds(self) -> np.ndarray:
        """Q1 / median / Q3 of applicants' income per UC in force this year (demand.new_year)."""
        return self._quartile_thresholds

    @quartile_thresholds.setter
    def quartile_thresholds(self, t) -> None:
        self._quartile_thresholds = np.asarray(t, float)
        self.quartile_limits = tuple(self._quartile_thresholds.tolist())   # as floats, read per move

    def quartile(self, income_uc: np.ndarray) -> np.ndarray:
        """Applicant income quartile of the year (0 = Q1 .. 3 = Q4) for incomes per UC: the number of
        (sorted) thresholds at or below the income; a NaN income is Q4. Three comparisons are
        cheaper than a binary search per value on large arrays."""
        x = np.asarray(income_uc)
        t0, t1, t2 = self.quartile_limits
        return 3 - ((x < t0).view(np.int8) + (x < t1).view(np.int8) + (x < t2).view(np.int8)).astype(np.intp)

    def cache_tenant_costs(self, tenants: np.ndarray, burden: np.ndarray) -> None:
        """Keep this month's tenants' rent burden for burden_of. One array sized to the household
        table's capacity is kept: only last month's tenants are reset, not a million-row array
        allocated each month. Ids beyond those known at caching were never tenants: they read 0."""
        b = self._tenant_burden
        if b.size < self.households.n:
            b = self._tenant_burden = np.zeros(self.households._cap)
        else:
            b[self._burden_tenants] = 0.0
        b[tenants] = burden
        self._burden_tenants = tenants

    def burden_of(self, h: np.ndarray) -> np.ndarray:
        """Last observed rent burden of households h (0 for those not known as tenants)."""
        b = self._tenant_burden
        h = np.asarray(h)
        if h.ndim == 1 and b.size >= self.households.n:    # every id is in the cache's array
            return b[h]
        out = np.zeros(h.size)
        known = h < b.size
        out[known] = b[h[known]]
        return out

    def households_present(self) -> int:
        return int((self.households.state != GONE).sum())

    def household(self, i: int) -> HouseholdView:
        return HouseholdView(self, i)

    def dwelling(self, i: int) -> DwellingView:
        return DwellingView(self, i)

    # ----------------------------------------------------------------------------------- results
    def indicators(self):
        """The tidy long indicator table (month, year, period, scale, area, indicator, value)."""
        return self.observer.frame()

    def allocations(self):
        import pandas as pd
        from .allocation import KIND_NAMES
        df = pd.DataFrame({k: np.array(v) for k, v in self.allocator.alloc_log.items()})
        names = [h.name for h in self.holders]
        df["holder"] = [names[k] if k >= 0 else "relogement" for k in df["holder"]] if len(df) else []
        df["kind"] = pd.Categorical.from_codes(df["kind"].astype(int), list(KIND_NAMES)) if len(df) else []
        if len(df):
            df["residence"] = [self.territory.res_names[r] for r in df["residence"]]
            df["neighbourhood"] = [self.territory.nb_names[r] for r in df["neighbourhood"]]
        return df

    def offers(self):
        from .tables import offers_frame
        return offers_frame(self)

    def events(self):
        return self.log.frame()
