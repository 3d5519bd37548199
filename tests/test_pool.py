"""The allocation pool's incremental ordering must equal a full sort every month."""

import numpy as np

import simulation.allocation as allocation
from simulation.model import HousingModel
from simulation.scenario import SCENARIO_DIR, load_scenario


def test_incremental_pool_order_equals_full_sort(monkeypatch):
    """Reusing last month's order (merging only re-keyed households) gives exactly the order a
    full sort by key (ties by household id) gives, through a run with works, rehousing, a new
    scoring grid and an occupancy review."""
    original = allocation.Pool.order
    seen = {"checks": 0, "incremental": 0}

    def checked(model, previous):
        saved = list(model.rekeyed)
        inc = original(model, previous)
        model.rekeyed = saved
        full = original(model, None)
        assert np.array_equal(inc, full), f"pool order differs in month {model.month}"
        seen["checks"] += 1
        seen["incremental"] += previous is not None
        return inc

    monkeypatch.setattr(allocation.Pool, "order", staticmethod(checked))
    sc = load_scenario(SCENARIO_DIR / "renewal_strategy.yaml", {
        "run": {"years": 4},
        "allocation": {"scoring_file": str(SCENARIO_DIR / "scoring" / "need_first.yaml"), "scoring_from": "2026-07",
                       "occupancy_review": {"start": "2026-01"}}})
    HousingModel(sc).run()
    assert seen["checks"] >= 40 and seen["incremental"] >= 40
