"""Closing figures of the legal allocation rules on a scenario over several seeds: indicator (c) per
reservation holder, the prefect's share of allocations, DALO median wait and backlog, SLS payers and
mean SLS, applicants and tenants over the ceiling, RLS. Yearly indicators averaged over the years of
the run, then over seeds (min-max across seeds in brackets).

    python calibration/legal_rules.py [scenario.yaml] [--seeds 5] [--years 20]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from simulation.model import HousingModel
from simulation.scenario import deep_merge, load_scenario

ROOT = Path(__file__).resolve().parent.parent


def one_run(path, seed: int, years: int) -> dict[str, float]:
    sc = load_scenario(path, overrides=deep_merge({"run": {"years": years}}, {}))
    m = HousingModel(sc, seed=seed)
    m.run()
    I = m.indicators()
    y = I[I.period == "year"]
    out: dict[str, float] = {}
    hold = y[y.scale == "reservation_holder"]
    for (area, ind), v in hold.groupby(["area", "indicator"], observed=True).value:
        if ind in ("priority_share_allocations", "dalo_share_allocations", "share_of_allocations"):
            out[f"{ind} [{area}]"] = float(v.mean())
    terr = y[y.scale == "territory"]
    for ind in ("priority_share_allocations", "sls_payers_share_tenants", "sls_mean",
                "over_ceiling_share_applicants", "over_ceiling_share_tenants",
                "rls_beneficiaries_share_tenants", "rls_total", "dalo_backlog", "wait_months_median_external",
                "wait_months_median_transfer", "wait_months_median_priority", "exits"):
        v = terr[terr.indicator == ind].value
        out[ind] = float(v.mean()) if len(v) else float("nan")
    A = m.allocations()
    d = A[(A.dalo) & (A.kind.isin(["external", "transfer"]))]
    out["dalo_wait_median (all years)"] = float(np.median(d.wait_months)) if len(d) else float("nan")
    out["dalo_overdue_share_of_dalo_allocations"] = float(d.dalo_overdue.mean()) if len(d) else float("nan")
    out["lost_right_to_stay (events)"] = float((m.events().event == "lost_right_to_stay").sum())
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("scenario", nargs="?", default=str(ROOT / "scenarios" / "baseline.yaml"))
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--years", type=int, default=20)
    a = ap.parse_args()
    runs = [one_run(a.scenario, s, a.years) for s in range(1, a.seeds + 1)]
    print(f"{Path(a.scenario).name}: {a.seeds} seeds x {a.years} years")
    for k in runs[0]:
        v = np.array([r[k] for r in runs])
        print(f"  {k:55s} {np.nanmean(v):10.3f}  [{np.nanmin(v):.3f} - {np.nanmax(v):.3f}]")


if __name__ == "__main__":
    main()
