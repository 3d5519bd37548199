"""Speed and memory of the model, beside the reference allocation kernel, on this machine.

    python benchmarks/run_benchmarks.py              # town and metropolis, 20 years, + reference kernel
    python benchmarks/run_benchmarks.py --quick      # town only
    python benchmarks/run_benchmarks.py --scaling    # time per dwelling-month from 3k to 1M dwellings
    python benchmarks/run_benchmarks.py --full-run   # the whole `peuplement run`, town and metropolis
    python benchmarks/run_benchmarks.py --where      # where the town's time goes: processes, draws

Each measurement runs in its own process (one core), so that its peak memory (max RSS) is its own.
The reference kernel (benchmarks/reference_kernel.py: 1 % of dwellings fall vacant each month, each
goes to the best of 3 eligible applicants) runs at the same sizes. On a loaded machine the wall
time means little: the model and the kernel are timed in CPU seconds, interleaved (kernel, model,
kernel, model, ...) and the minimum of the repeats is kept for each, so that both see the same
machine at the same moments and the ratio model / kernel stays meaningful. The load average is
printed with the table. Speed goals: town under 1 s of model time; metropolis within 1.3x the
kernel; the full metropolis run under 700 MB; time per dwelling-month at 1M within 1.2x of 100k.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KERNEL = Path(__file__).resolve().parent / "reference_kernel.py"
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}

# The model in a child process: CPU seconds of building (spin-up included) and of the run, peak RSS,
# and with `breakdown` ("1") the CPU seconds of each monthly process (by wrapping them with timers);
# "2" also times every call to the random streams (the same draws, read through a timing proxy).
MODEL_CHILD = r"""
import json, resource, sys, time
from simulation.scenario import load_scenario
from simulation.model import HousingModel
from simulation import demand, exits, life_events, rents, scoring, transfers
path, years, seed, breakdown = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] != "0"
over = json.loads(sys.argv[5])
over.setdefault("run", {}).update({"years": years, "seed": seed})
sc = load_scenario(path, over)
t0 = time.process_time()
m = HousingModel(sc)
t1 = time.process_time()
spent = {}
def timed(name, f):
    def g(*a, **k):
        t = time.process_time()
        try:
            return f(*a, **k)
        finally:
            spent[name] = spent.get(name, 0.0) + time.process_time() - t
    return g
if breakdown:
    for mod, name in ((life_events, "life events"), (exits, "exits"), (demand, "demand"),
                      (scoring, "scoring"), (rents, "rents"), (transfers, "occupancy review")):
        attr = "refresh" if mod is scoring else "step"
        setattr(mod, attr, timed(name, getattr(mod, attr)))
    m.works.step = timed("works", m.works.step)
    m.allocator.step = timed("allocation", m.allocator.step)
    m.rehousing.step = timed("rehousing", m.rehousing.step)
    m.observer.step = timed("indicators", m.observer.step)
    m.datacollector.collect = timed("Mesa data collector", m.datacollector.collect)
draws = {"cpu": 0.0, "calls": 0}
class Timed:
    def __init__(self, g):
        self.g = g
    def __getattr__(self, name):
        f = getattr(self.g, name)
        if not callable(f):
            return f
        def call(*a, **k):
            t = time.process_time()
            try:
                return f(*a, **k)
            finally:
                draws["cpu"] += time.process_time() - t
                draws["calls"] += 1
        return call
if sys.argv[4] == "2":      # every process reads m.streams[name] when it draws
    m.streams = {k: Timed(g) for k, g in m.streams.items()}
for _ in range(years * 12):
    m.step()
t2 = time.process_time()
print(json.dumps({"build_cpu": t1 - t0, "run_cpu": t2 - t1, "dwellings": int(m.dwellings.n),
                  "households": int(m.households.n), "present": m.households_present(),
                  "pending_end": int(m.households.applying.sum()), "spent": spent, "draws": draws,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

# The reference kernel in a child process, timed the same way (CPU seconds).
KERNEL_CHILD = r"""
import importlib.util, json, resource, sys, time
spec = importlib.util.spec_from_file_location("reference_kernel", sys.argv[1])
k = importlib.util.module_from_spec(spec); spec.loader.exec_module(k)
t = time.process_time()
r = k.run(sys.argv[2], int(sys.argv[3]))
r["cpu"] = time.process_time() - t
r["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(r))
"""


def _child(code: str, *args: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True, text=True,
                         env=ENV)
    if out.returncode:
        raise RuntimeError(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_model(scenario: str, years: int, seed: int = 1, breakdown: bool | int = False,
              overrides: dict | None = None) -> dict:
    return _child(MODEL_CHILD, scenario, str(years), str(seed), str(int(breakdown)),
                  json.dumps(overrides or {}))


def run_kernel(scale: str, months: int) -> dict:
    return _child(KERNEL_CHILD, str(KERNEL), scale, str(months))


def load() -> str:
    return " / ".join(f"{x:.1f}" for x in os.getloadavg())


def benchmark(quick: bool, years: int, repeats: int) -> None:
    cases = [("stylised town", "scenarios/baseline.yaml", "town", repeats)]
    if not quick:
        cases.append(("metropolis", "scenarios/metropolis.yaml", "metro", max(1, repeats - 1)))
    load0 = load()
    rows = []
    for label, path, kscale, reps in cases:
        models, kernels = [], []
        for _ in range(reps):                      # interleaved: both see the same machine
            kernels.append(run_kernel(kscale, years * 12))
            models.append(run_model(path, years))
        k = min(r["cpu"] for r in kernels)
        best = min(models, key=lambda r: r["build_cpu"] + r["run_cpu"])
        model = best["build_cpu"] + best["run_cpu"]
        rows.append((label, best["dwellings"], best["pending_end"], k, model, model / k,
                     max(r["rss_mb"] for r in models), reps))
    head = ("case", "dwellings", "applicants (end)", "kernel CPU (s)", f"model CPU {years} y (s)",
            "ratio model/kernel", "peak RSS (MB)", "repeats")
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for r in rows:
        print(f"| {r[0]} | {r[1]:,} | {r[2]:,} | {r[3]:.2f} | {r[4]:.2f} | {r[5]:.2f}x | {r[6]:.0f} | {r[7]} |")
    print(f"\nPython {sys.version.split()[0]}, {os.cpu_count()} cores; CPU seconds, minimum of the "
          f"repeats, kernel and model interleaved; model time includes building (spin-up). "
          f"Load average (1/5/15 min) before: {load0}, after: {load()}.")


def scaling(sizes: list[int], years: int, years_large: int, spin_up: int | None) -> None:
    """Time per dwelling-month (run only, spin-up excluded) and where it goes, by size."""
    print("| dwellings | years | build CPU (s) | run CPU (s) | µs per dwelling-month | peak RSS (MB) | "
          "where the run's time goes |")
    print("|---|---|---|---|---|---|---|")
    for n in sizes:
        y = years if n <= 100_000 else years_large
        r = run_model("scenarios/metropolis.yaml", y, breakdown=True,
                      overrides={"territory": {"scale_to_dwellings": n},
                                 **({"run": {"spin_up_years": spin_up}} if spin_up is not None else {})})
        per = 1e6 * r["run_cpu"] / (r["dwellings"] * 12 * y)
        tot = sum(r["spent"].values()) or 1.0
        top = sorted(r["spent"].items(), key=lambda kv: -kv[1])[:4]
        where = ", ".join(f"{k} {100 * v / tot:.0f} %" for k, v in top)
        print(f"| {r['dwellings']:,} | {y} | {r['build_cpu']:.1f} | {r['run_cpu']:.1f} | {per:.2f} | "
              f"{r['rss_mb']:.0f} | {where} |", flush=True)
    print(f"\nLoad average (1/5/15 min) at the end: {load()}.")


def where(scenario: str, years: int, repeats: int) -> None:
    """Where a run's CPU time goes (the run with the smallest total of `repeats`): building with its
    spin-up, each monthly process of the reported months, and the random draws of every stream
    (their timer's own cost counted in: an upper bound). The last column is what the run would
    still cost if that process took no time at all, spin-up included (the process's share of the
    reported months applied to the spin-up too): what no speed-up of that process alone can beat."""
    r = min((run_model(scenario, years, breakdown=2) for _ in range(repeats)),
            key=lambda r: r["build_cpu"] + r["run_cpu"])
    total, run = r["build_cpu"] + r["run_cpu"], r["run_cpu"]
    print(f"{scenario}, {years} years, {r['dwellings']:,} dwellings: {total:.2f} CPU s in all, of which "
          f"building with the spin-up {r['build_cpu']:.2f} s and the reported months {run:.2f} s "
          f"(timers included; minimum of {repeats}).\n")
    print("| part of the reported months | CPU (s) | share | the whole run if it cost nothing (s) |")
    print("|---|---|---|---|")
    parts = sorted(r["spent"].items(), key=lambda kv: -kv[1])
    parts.append(("random draws, all streams (in the processes above)", r["draws"]["cpu"]))
    for name, cpu in parts:
        print(f"| {name} | {cpu:.2f} | {100 * cpu / run:.0f} % | {total * (1 - cpu / run):.2f} |")
    print(f"\n{r['draws']['calls']:,} calls to the random streams in the reported months "
          f"({r['draws']['calls'] / (12 * years):,.0f} a month). Load average at the end: {load()}.")


def _cli_run(scenario: str, out: Path) -> dict:
    """`peuplement run <scenario> --out <out>` in a child process: wall and CPU seconds, peak RSS."""
    t = time.perf_counter()
    p = subprocess.Popen([sys.executable, "-m", "simulation.cli", "run", scenario, "--quiet",
                          "--out", str(out)], cwd=ROOT, env=ENV,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode:
        raise RuntimeError(p.stderr.read().decode()[-2000:])
    return {"wall": time.perf_counter() - t, "cpu": usage.ru_utime + usage.ru_stime,
            "rss_mb": usage.ru_maxrss / 1024}


def full_run(repeats: int = 3) -> None:
    """What a user waits for: the whole `peuplement run` of the town (minimum of `repeats`) and of
    the metropolis (once), 20 years, interpreter start-up, imports and every output written; the
    metropolis's peak memory is the goal's figure."""
    with tempfile.TemporaryDirectory() as tmp:
        for scenario, n in (("baseline", repeats), ("metropolis", 1)):
            runs = [_cli_run(scenario, Path(tmp) / f"{scenario}-{i}") for i in range(n)]
            print(f"peuplement run {scenario} (20 years, outputs written): wall "
                  f"{min(r['wall'] for r in runs):.1f} s, CPU {min(r['cpu'] for r in runs):.1f} s, "
                  f"peak RSS {max(r['rss_mb'] for r in runs):.0f} MB (minimum of {n}); "
                  f"load average {load()}.", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="town only")
    ap.add_argument("--years", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=3, help="town repeats (metropolis: one fewer)")
    ap.add_argument("--scaling", action="store_true", help="time per dwelling-month by size")
    ap.add_argument("--sizes", default="3000,10000,30000,100000,300000,1000000")
    ap.add_argument("--years-large", type=int, default=2, help="years simulated above 100k dwellings")
    ap.add_argument("--spin-up", type=int, default=None,
                    help="spin-up years for --scaling (default: the scenario's, 6)")
    ap.add_argument("--full-run", action="store_true",
                    help="the whole `peuplement run` of the town and the metropolis (time, peak memory)")
    ap.add_argument("--where", action="store_true",
                    help="where a run's time goes: spin-up, each process, the random draws")
    ap.add_argument("--scenario", default="scenarios/baseline.yaml", help="scenario of --where")
    args = ap.parse_args()
    if args.scaling:
        scaling([int(s) for s in args.sizes.split(",")], args.years, args.years_large, args.spin_up)
    elif args.full_run:
        full_run()
    elif args.where:
        where(args.scenario, args.years, args.repeats)
    else:
        benchmark(args.quick, args.years, args.repeats)


if __name__ == "__main__":
    main()
