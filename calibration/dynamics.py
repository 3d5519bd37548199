"""Measures of the model's dynamics on the stylised town: start-up transient, drift of incomes
against rents, speed of allocation, where the QPV gap comes from, tension reached.

    python calibration/dynamics.py [--seeds 3] [--years 20] [--only NAME ...]

Prints one line per figure: name, mean over seeds (min-max). Used for docs/validation.md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BASELINE = ROOT / "scenarios" / "baseline.yaml"


def _model(path, seed, years, overrides=None):
    from simulation.model import HousingModel
    from simulation.scenario import deep_merge, load_scenario
    sc = load_scenario(path, deep_merge({"run": {"seed": seed, "years": years}}, overrides or {}))
    return HousingModel(sc)


def _series(df, indicator, scale="territory", period="month"):
    s = df[(df.indicator == indicator) & (df.scale == scale) & (df.period == period)]
    if period == "year":
        s = s[s.month > 0]      # the yearly rows of month 0 describe the initial state only
    return s.set_index("month")["value"]


def _apl_share(m) -> float:
    """Share of tenants receiving housing benefit."""
    from simulation import rents
    from simulation.state import OCCUPIED
    dw, hh = m.dwellings, m.households
    occ = np.flatnonzero(dw.status == OCCUPIED)
    t = dw.tenant[occ]
    size = hh.size_of(t)
    b = rents.apl(m, hh.income[t], size, hh.adults[t], dw.rent_m2[occ] * dw.surface[occ])
    return float((b > 0).mean())


def baseline(seed, years):
    m = _model(BASELINE, seed, years)
    apl0 = _apl_share(m)
    m.run()
    df = m.indicators()
    q1 = _series(df, "q1_share_tenants")
    dis = _series(df, "dissimilarity_q1", "neighbourhood")
    tr = _series(df, "turnover_rate", period="year")
    apa = _series(df, "applications_per_allocation", period="year")
    A = m.allocations()
    ext = A[A.kind == "external"]
    return {
        "turnover, year 1": tr.iloc[0],
        "turnover, years 3+": tr.iloc[2:].mean(),
        "applications per allocation, year 1": apa.iloc[0],
        "applications per allocation, years 3+": apa.iloc[2:].mean(),
        "Q1 share of tenants, Dec year 1": q1.loc[12],
        "Q1 share of tenants, Jan year 2": q1.loc[13],
        "Q1 share of tenants, month 0": q1.loc[0],
        "Q1 share of tenants, end": q1.loc[m.month],
        "dissimilarity Q1 (neighbourhoods), month 0": dis.loc[0],
        "dissimilarity Q1 (neighbourhoods), end": dis.loc[m.month],
        "APL recipients among tenants, start": apl0,
        "APL recipients among tenants, end": _apl_share(m),
        "external applicants housed within a month": float((ext.wait_months <= 1).mean()),
        "median wait, default grid (months)": float(A[A.kind.isin(["external", "transfer"])].wait_months.median()),
    }


def need_first(seed, years):
    m = _model(ROOT / "scenarios" / "scoring_need_first.yaml", seed, years)
    m.run()
    A = m.allocations()
    A = A[(A.month > 36) & A.kind.isin(["external", "transfer"])]
    return {"median wait, need-first grid (months)": float(A.wait_months.median())}


def _gap(m) -> float:
    df = m.indicators()
    y = df[(df.period == "year") & (df.indicator == "q1_share_allocations")]
    y = y[y.year >= m.sc.run.start_year + 2]
    q = y[y.scale == "qpv"].value.mean()
    o = y[y.scale == "outside_qpv"].value.mean()
    return float(q - o)


def structure(seed, years):
    """The decomposition scenarios: gap in the Q1 share of allocations (QPV - outside), Q1 share
    of allocations outside QPV, and the yearly allocation rates by quartile and priority."""
    out = {}
    for name in ("structure_rents_only", "structure_plus_choices", "structure_plus_practices"):
        m = _model(ROOT / "scenarios" / f"{name}.yaml", seed, years)
        m.run()
        out[f"{name}: QPV - outside gap in Q1 share of allocations"] = _gap(m)
        df = m.indicators()
        y = df[(df.period == "year") & (df.scale == "territory") & (df.month > 0)]
        for ind in ("q1_share_allocations_outside_qpv", "allocation_rate_q1", "allocation_rate_q2",
                    "allocation_rate_q3", "allocation_rate_q4", "allocation_rate_priority",
                    "allocation_rate_non_priority", "refusal_rate"):
            out[f"{name}: {ind}"] = float(y[y.indicator == ind].value.mean())
    return out


def tension(seed, years):
    out = {}
    for t in (1.5, 2.0, 4.4, 10.0, 15.0):
        m = _model(BASELINE, seed, years, {"behaviour": {"demand": {"market_tension": t}}})
        m.run()
        apa = _series(m.indicators(), "applications_per_allocation", period="year")
        out[f"applications per allocation reached, setting {t:g}"] = apa.iloc[2:].mean()
    return out


GROUPS = {"baseline": baseline, "need_first": need_first, "structure": structure, "tension": tension}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--years", type=int, default=20)
    ap.add_argument("--only", nargs="*", default=list(GROUPS))
    a = ap.parse_args()
    for g in a.only:
        res = [GROUPS[g](s, a.years) for s in range(1, a.seeds + 1)]
        for k in res[0]:
            v = np.array([r[k] for r in res], float)
            print(f"{k}: {v.mean():.3f} ({v.min():.3f}-{v.max():.3f})", flush=True)


if __name__ == "__main__":
    main()
