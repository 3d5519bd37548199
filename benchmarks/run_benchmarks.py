"""Speed and memory of the model, beside the reference allocation kernel, on this machine.

    python benchmarks/run_benchmarks.py            # town and metropolis, 20 years, + reference kernel
    python benchmarks/run_benchmarks.py --quick    # town only, and the kernel's town

Each case runs in its own process (one core) so that peak memory (max RSS) is the case's own. The
reference kernel (benchmarks/reference_kernel.py: 1 % of dwellings fall vacant each month, each goes
to the best of 3 eligible applicants) runs at the same sizes, so the ratio says what the model's
richness costs over a bare allocation loop on the same machine at the same moment.
Speed goals: stylised town under 1 s; metropolis under 20 s and 1 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KERNEL = Path(__file__).resolve().parent / "reference_kernel.py"

CHILD = r"""
import json, resource, sys, time
from simulation.scenario import load_scenario
from simulation.model import HousingModel
t0 = time.perf_counter()
sc = load_scenario(sys.argv[1], {"run": {"years": int(sys.argv[2]), "seed": 1}})
m = HousingModel(sc)
t1 = time.perf_counter()
hh_months = 0
for _ in range(sc.run.years * 12):
    m.step()
    hh_months += m.households_present()
t2 = time.perf_counter()
print(json.dumps({"build_s": t1 - t0, "run_s": t2 - t1, "household_months": hh_months,
                  "dwellings": int(m.dwellings.n), "households": int(m.households.n),
                  "pending_end": int(m.households.applying.sum()),
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run_model(scenario: str, years: int) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, scenario, str(years)], cwd=ROOT,
                         capture_output=True, text=True, check=True,
                         env={**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"})
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_kernel(scale: str, months: int) -> dict:
    t = time.perf_counter()
    out = subprocess.run([sys.executable, str(KERNEL), scale, str(months)], cwd=KERNEL.parent,
                         capture_output=True, text=True, check=True,
                         env={**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"})
    wall = time.perf_counter() - t
    res = json.loads(out.stdout.strip().splitlines()[-1])
    res["wall_s"] = wall
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="town only")
    ap.add_argument("--years", type=int, default=20)
    args = ap.parse_args()
    cases = [("town", "scenarios/baseline.yaml", "town")]
    if not args.quick:
        cases.append(("metropolis", "scenarios/metropolis.yaml", "metro"))
    rows = []
    for label, path, kscale in cases:
        r = run_model(path, args.years)
        k = run_kernel(kscale, args.years * 12)
        total = r["build_s"] + r["run_s"]
        rows.append((label, r["dwellings"], r["pending_end"], total, r["rss_mb"],
                     r["household_months"] / r["run_s"],
                     k["init_s"] + k["run_s"], total / (k["init_s"] + k["run_s"])))
    head = ("case", "dwellings", "applicants (end)", f"model {args.years} y (s)", "peak RSS (MB)",
            "household-months/s", "kernel (s)", "ratio model/kernel")
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for r in rows:
        print(f"| {r[0]} | {r[1]:,} | {r[2]:,} | {r[3]:.2f} | {r[4]:.0f} | {r[5]:,.0f} | {r[6]:.2f} | {r[7]:.1f} |")
    print(f"\nPython {sys.version.split()[0]}, {os.cpu_count()} cores; one process per case.")


if __name__ == "__main__":
    main()
