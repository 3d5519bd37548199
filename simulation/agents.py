"""The few decision-makers, as Mesa Agents: landlords, reservation holders, allocation commissions.

Households and dwellings are columns (see state.py); these agents hold the rules and the running
tallies that their decisions depend on.
"""

from __future__ import annotations

import mesa
import numpy as np


class Landlord(mesa.Agent):
    """A social landlord (OPH / ESH / SEM): owns residences and keeps the rent roll."""

    def __init__(self, model, index: int, name: str, kind: str):
        super().__init__(model)
        self.index, self.name, self.kind = index, name, kind


class ReservationHolder(mesa.Agent):
    """Holds a share of every landlord's flow of vacancies and proposes candidates from its public.

    prefect -> priority households; action_logement -> employees of contributing firms;
    municipality -> households living or working in the territory; landlord -> anyone.
    """

    # how well each kind honours the DALO / priority obligation by default (assumption, see schema)
    DEFAULT_STRENGTH = {"prefect": 1.0, "action_logement": 0.5, "municipality": 0.4, "landlord": 0.6}

    def __init__(self, model, index: int, name: str, kind: str, flow_share: float,
                 priority_strength: float | None = None):
        super().__init__(model)
        self.index, self.name, self.kind, self.flow_share = index, name, kind, flow_share
        self.priority_strength = self.DEFAULT_STRENGTH[kind] if priority_strength is None \
            else priority_strength
        # this year's allocations, to priority households, to State employees (CCH L441-1 objectives)
        self.year_allocs = 0
        self.year_priority = 0
        self.year_state_employees = 0
        # running tallies for the legal-objective quotas
        self.outside_qpv = 0
        self.outside_qpv_q1 = 0
        self.in_qpv = 0
        self.in_qpv_q2q4 = 0

    def target(self, pool_bucket: dict, sl: slice) -> np.ndarray | None:
        """Mask of the holder's public over a slice of a pool bucket (None = everyone)."""
        if self.kind == "prefect":
            return pool_bucket["priority"][sl]
        if self.kind == "action_logement":
            return pool_bucket["al"][sl]
        if self.kind == "municipality":
            return pool_bucket["local"][sl]
        return None

    def record(self, in_qpv: bool, q1_or_rehoused: bool, q2q4: bool) -> None:
        if in_qpv:
            self.in_qpv += 1
            self.in_qpv_q2q4 += q2q4
        else:
            self.outside_qpv += 1
            self.outside_qpv_q1 += q1_or_rehoused

    def record_public(self, priority: bool, state_employee: bool) -> None:
        self.year_allocs += 1
        self.year_priority += priority
        self.year_state_employees += state_employee

    def publics(self, objective: float, state_employees: float, u: float) -> list[str]:
        """The publics the holder looks in for this vacancy, in order (see allocation.Pool.target).

        The prefect gives its quota to priority households, DALO first, keeping up to
        `state_employees` of its allocations (a share of its own flow) for State employees. Another
        holder below the objective (DALO then priority households, CCH L441-1) reserves the
        vacancy for them with probability `priority_strength` (u: one uniform draw), DALO first."""
        if self.kind == "prefect":
            first = ["state_employee"] if self.year_state_employees < state_employees * (self.year_allocs + 1) \
                else []
            return first + ["dalo+prefect", "prefect"]
        if self.year_priority < objective * (self.year_allocs + 1) and u < self.priority_strength:
            return ["dalo+" + self.kind, "priority+" + self.kind, self.kind]
        return [self.kind]

    def quota_need(self, in_qpv: bool, quotas) -> int:
        """+1: must propose Q1 (outside QPV, under the 25 % objective); -1: must propose Q2-Q4 (in QPV,
        under the floor); 0: no constraint."""
        if quotas is None:
            return 0
        if not in_qpv and self.outside_qpv_q1 < quotas.q1_outside_qpv * (self.outside_qpv + 1):
            return 1
        if in_qpv and self.in_qpv_q2q4 < quotas.q2q4_in_qpv * (self.in_qpv + 1):
            return -1
        return 0


class AllocationCommission(mesa.Agent):
    """A landlord's CAL: orders the shortlist under the territory's mix rules, with a strength."""

    def __init__(self, model, landlord: Landlord, rules):
        super().__init__(model)
        self.landlord = landlord
        self.rules = rules
        self.outside_qpv = 0
        self.outside_qpv_q1 = 0
        self.target_residences: set[int] = set()

    def order(self, q1: list[bool], residence: int, fragile: bool, in_qpv: bool, u: float) -> list[int]:
        """Positions of the shortlist in the order the commission offers the dwelling.

        `q1` flags Q1 candidates (in score order); `u` is one uniform draw for this dwelling: the mix
        rules apply when u < strength, the usual steering practice when u >= 1 - steering."""
        n = len(q1)
        base = list(range(n))
        if n < 2:
            return base
        prefer = None  # True: Q1 first; False: non-Q1 first
        if residence in self.target_residences:
            prefer = False
        elif u < self.rules.strength:
            if fragile and self.rules.fragile_prefer_non_q1:
                prefer = False
            elif (not in_qpv and self.rules.outside_qpv_prefer_q1
                  and self.outside_qpv_q1 < 0.25 * (self.outside_qpv + 1)):
                prefer = True
        elif u >= 1.0 - self.rules.steering:
            prefer = in_qpv
        if prefer is None:
            return base
        return sorted(base, key=lambda i: (q1[i] != prefer, i))

    def record(self, in_qpv: bool, q1_or_rehoused: bool) -> None:
        if not in_qpv:
            self.outside_qpv += 1
            self.outside_qpv_q1 += q1_or_rehoused
