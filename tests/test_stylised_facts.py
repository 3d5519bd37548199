"""Direction of the structure effect and of the legal-objectives stylised facts (docs/model.md) on the baseline town with default parameters.

Only the direction of each effect is pinned, not its size, over a few seeds and 10 years (the
model is being calibrated; if a test fails, the message gives the numbers seen).
"""

from __future__ import annotations

import numpy as np
import pytest

from conftest import run_model
from simulation.schema import MixRulesSpec

SEEDS = (1, 2, 3)
YEARS = 10

# Under pytest-xdist the tests of each fixture form one group (tests/conftest.py), so each set of
# runs is built once, by one worker, and the two sets can be built by two workers at once.


class Run:
    """A finished model and its indicator table (built once: it is the slow part of reading results)."""

    def __init__(self, model):
        self.model = model
        self.month = model.month
        self.territory = model.territory
        self.df = model.indicators()


@pytest.fixture(scope="module")
def default_runs():
    """The baseline town, default parameters, 10 years, seeds 1-3: {seed: Run}."""
    return {s: Run(run_model(years=YEARS, seed=s)) for s in SEEDS}


def _neutral() -> dict:
    """Neutral allocation (no mix rules, no steering of the poorest to the cheapest estates) and a
    neutral start (initial tenants' incomes independent of rent and QPV, reported from the drawn
    state: no spin-up, which would let the structure effect form before month 0)."""
    rules = {"strength": 0.0}
    if "steering" in MixRulesSpec.model_fields:
        rules["steering"] = 0.0
    return {"run": {"spin_up_years": 0}, "allocation": {"mix_rules": rules},
            "population": {"tenant_income_rent_elasticity": 0.0, "qpv_income_factor": 1.0}}


@pytest.fixture(scope="module")
def neutral_runs():
    """The baseline town with neutral allocation rules and a neutral start, 10 years, seeds 1-2."""
    return {s: Run(run_model(years=YEARS, seed=s, overrides=_neutral())) for s in SEEDS[:2]}


def _last(m, indicator, scale):
    df = m.df
    sel = (df.month == m.month) & (df.indicator == indicator) & (df.scale == scale) & (df.period == "month")
    return df[sel]


def _first(m, indicator, scale):
    df = m.df
    sel = (df.month == 0) & (df.indicator == indicator) & (df.scale == scale)
    return df[sel].value.item()


def _q1_by_rent_third(m):
    """Mean Q1 share of tenants at the end over the cheapest and the dearest third of residences
    (by rent per m2)."""
    res = _last(m, "q1_share_tenants", "residence")
    share = dict(zip(res.area.astype(str), res.value))
    terr = m.territory
    vals = np.array([share[n] for n in terr.res_names])
    order = np.argsort(terr.res_rent_m2, kind="stable")
    k = len(order) // 3
    return float(np.nanmean(vals[order[:k]])), float(np.nanmean(vals[order[-k:]]))


def _yearly(m, indicator):
    df = m.df
    sel = (df.period == "year") & (df.scale == "territory") & (df.indicator == indicator)
    return df[sel].value.to_numpy()


def _structure_effect(runs):
    rows = {}
    for s, m in runs.items():
        qpv = _last(m, "q1_share_tenants", "qpv").value.item()
        out = _last(m, "q1_share_tenants", "outside_qpv").value.item()
        cheap, dear = _q1_by_rent_third(m)
        rows[s] = (qpv, out, cheap, dear)
    return rows


# ---------------------------------------------------------------------- structure effect
def test_q1_share_higher_in_qpv(default_runs):
    """Structure effect: at the end the Q1 share of tenants is higher in QPV than outside."""
    rows = _structure_effect(default_runs)
    seen = {s: f"qpv {q:.3f} vs outside {o:.3f}" for s, (q, o, _, _) in rows.items()}
    assert all(q > o for q, o, _, _ in rows.values()), f"structure effect (QPV vs outside) not reproduced: {seen}"


def test_cheapest_residences_have_most_q1(default_runs):
    """Structure effect: the cheapest third of residences (rent per m2) ends with a higher mean Q1
    share than the dearest third."""
    rows = _structure_effect(default_runs)
    seen = {s: f"cheapest {c:.3f} vs dearest {d:.3f}" for s, (_, _, c, d) in rows.items()}
    assert all(c > d for _, _, c, d in rows.values()), f"structure effect (rent thirds) not reproduced: {seen}"


def test_emerges_under_neutral_rules(neutral_runs):
    """With neutral allocation rules and initial tenants' incomes unrelated to rent or QPV, the
    structure effect appears by itself (the structure-effect fact holds "with neutral allocation rules")."""
    rows = _structure_effect(neutral_runs)
    qpv, out, cheap, dear = np.mean(list(rows.values()), axis=0)
    seen = {s: tuple(round(v, 3) for v in r) for s, r in rows.items()}
    assert qpv > out and cheap > dear, \
        f"the structure effect does not emerge under neutral rules (qpv, outside, cheapest, dearest per seed): {seen}"
    for s, m in neutral_runs.items():
        start_gap = _first(m, "q1_share_tenants", "qpv") - _first(m, "q1_share_tenants", "outside_qpv")
        assert abs(start_gap) < 0.03, f"seed {s}: the neutral start is not neutral ({start_gap:.3f})"


# ---------------------------------------------------------------------- legal objectives
def test_q1_outside_qpv_objective_not_met(default_runs):
    """Under default practices the yearly share of allocations outside QPV to Q1 (or rehoused)
    households stays below the 25 % objective on average."""
    means = {s: float(np.mean(_yearly(m, "q1_share_allocations_outside_qpv"))) for s, m in default_runs.items()}
    for s, m in default_runs.items():
        assert _yearly(m, "q1_share_allocations_outside_qpv").size == YEARS
    assert all(v < 0.25 for v in means.values()), \
        f"legal objectives: mean yearly q1_share_allocations_outside_qpv should be < 0.25, got {means}"


def test_q2q4_in_qpv_objective_met(default_runs):
    """Under default practices the yearly share of allocations in QPV to Q2-Q4 households is at or
    above the 50 % objective on average."""
    means = {s: float(np.mean(_yearly(m, "q2q4_share_allocations_in_qpv"))) for s, m in default_runs.items()}
    assert all(v >= 0.5 for v in means.values()), \
        f"legal objectives: mean yearly q2q4_share_allocations_in_qpv should be >= 0.5, got {means}"


def test_qpv_q1_share_barely_moves(default_runs):
    """... yet the QPV Q1 share barely moves: over 10 years (mean over seeds) it neither falls by more
    than 2 points nor rises by more than 10."""
    changes = {s: _last(m, "q1_share_tenants", "qpv").value.item() - _first(m, "q1_share_tenants", "qpv")
               for s, m in default_runs.items()}
    mean = float(np.mean(list(changes.values())))
    assert -0.02 <= mean <= 0.10, f"legal objectives: QPV Q1 share change over {YEARS} years per seed: " \
                                  f"{ {s: round(c, 3) for s, c in changes.items()} }"
