"""Plausibility of the default parameters: the stylised town's figures against national references
(cited by publisher and year; docs/sources.md) and the plausible ranges of docs/validation.md.

    python calibration/plausibility.py [--seeds 5] [--years 20] [--scenario scenarios/baseline.yaml]

Prints a Markdown table: figure, mean over seeds (min-max), target range, source, verdict. Yearly
figures are averaged over the years after the first two.
"""

from __future__ import annotations

import argparse
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# figure -> (indicator, period, scale, low, high, source)
TARGETS = {
    "turnover rate": ("turnover_rate", "year", "territory", 0.06, 0.13,
                      "ANCOLS, mobilité dans le parc social (2018): 9.3 % (6-13 %)"),
    "vacancy rate": ("vacancy_rate", "month", "territory", 0.0, 0.05,
                     "SDES, parc locatif social 2021: 2.9 % vacant"),
    "applications per allocation": ("applications_per_allocation", "year", "territory", 2.0, 10.0,
                                    "Observatoire des territoires 2019-2020: 4.4 (2.2-9.5)"),
    "refusals per offer": ("refusal_rate", "year", "territory", 0.20, 0.50,
                           "Banque des Territoires 2017: 46 % of offered applicants refuse one"),
    "Q1 share of allocations outside QPV": ("q1_share_allocations_outside_qpv", "year", "territory",
                                            0.0, 0.25, "ANCOLS: 14-18 % in 2017-2021, objective 25 %"),
    "Q2-Q4 share of allocations in QPV": ("q2q4_share_allocations_in_qpv", "year", "territory", 0.5, 1.0,
                                          "objective >= 50 %, generally met (CIA reviews)"),
    "priority share of allocations": ("priority_share_allocations", "year", "territory", 0.15, 0.40,
                                      "legal objective 25 % (CCH L. 441-1)"),
    "median wait (months)": ("wait_months_median", "year", "territory", 6.0, 30.0,
                             "SNE 2022: 520 days (17 months) for households housed"),
    "transfers / allocations": (None, "year", "territory", 0.15, 0.40,
                                "USH, bilan 2021: 28 % of allocations are transfers"),
}


def one(args):
    path, seed, years = args
    from simulation.model import HousingModel
    from simulation.scenario import load_scenario
    m = HousingModel(load_scenario(path, {"run": {"seed": seed, "years": years}}))
    m.run()
    df = m.indicators()
    start = m.sc.run.start_year + 2
    out = {}
    for name, (ind, period, scale, *_rest) in TARGETS.items():
        if ind is None:
            continue
        s = df[(df["indicator"] == ind) & (df["period"] == period) & (df["scale"] == scale)
               & (df["year"] >= start)]
        out[name] = float(s["value"].mean())
    y = df[(df["period"] == "year") & (df["scale"] == "territory") & (df["year"] >= start)]
    tr = y[y["indicator"] == "transfers"]["value"].sum()
    al = y[y["indicator"] == "allocations"]["value"].sum()
    out["transfers / allocations"] = float(tr / al) if al else float("nan")
    mo = df[(df["period"] == "month") & (df["indicator"] == "q1_share_tenants")]
    for scale in ("qpv", "outside_qpv"):
        s = mo[mo["scale"] == scale]
        out[f"Q1 share of tenants {scale}, start"] = float(s[s["month"] == 0]["value"].iloc[0])
        out[f"Q1 share of tenants {scale}, end"] = float(s[s["month"] == m.month]["value"].iloc[0])
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--years", type=int, default=20)
    ap.add_argument("--scenario", default=str(ROOT / "scenarios" / "baseline.yaml"))
    a = ap.parse_args()
    jobs = [(a.scenario, s, a.years) for s in range(1, a.seeds + 1)]
    with ProcessPoolExecutor() as ex:
        res = list(ex.map(one, jobs))
    print(f"{Path(a.scenario).name}, {a.seeds} seeds, {a.years} years\n")
    print("| figure | mean (min-max) | target | source | |")
    print("|---|---|---|---|---|")
    for name in res[0]:
        v = np.array([r[name] for r in res])
        t = TARGETS.get(name)
        if t:
            ok = "ok" if t[3] <= v.mean() <= t[4] else "OUT"
            print(f"| {name} | {v.mean():.3f} ({v.min():.3f}-{v.max():.3f}) | {t[3]:g}-{t[4]:g} | {t[5]} | {ok} |")
        else:
            print(f"| {name} | {v.mean():.3f} ({v.min():.3f}-{v.max():.3f}) | | | |")


if __name__ == "__main__":
    main()
