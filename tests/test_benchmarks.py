"""The benchmark's reference allocation kernel is the project's own and always gives a number."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _kernel():
    spec = importlib.util.spec_from_file_location("reference_kernel", ROOT / "benchmarks" / "reference_kernel.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_reference_kernel_allocates_about_one_percent_a_month():
    k = _kernel()
    r = k.run("town", 12)
    assert math.isfinite(r["init_s"]) and math.isfinite(r["run_s"]) and r["run_s"] > 0
    # 1 % of 3,000 dwellings a month, nearly all re-let from a pool of 1,300 applicants
    assert 0.8 * 360 <= r["allocations"] <= 1.2 * 360, r
    assert r["pool_end"] == 1300, "inflow keeps the pool at its starting size"
    assert k.run("town", 12)["allocations"] == r["allocations"], "same seed, same result"


def test_benchmark_script_uses_the_project_kernel():
    text = (ROOT / "benchmarks" / "run_benchmarks.py").read_text(encoding="utf-8")
    assert "reference_kernel.py" in text and "shared" not in text


def test_benchmark_model_child_times_build_run_and_processes():
    """The model's child process reports CPU seconds of build and run, peak memory and where the
    run's time goes (every monthly process timed), on a one-year town."""
    spec = importlib.util.spec_from_file_location("run_benchmarks", ROOT / "benchmarks" / "run_benchmarks.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    r = bench.run_model("scenarios/baseline.yaml", 1, breakdown=True)
    assert r["build_cpu"] > 0 and r["run_cpu"] > 0 and r["rss_mb"] > 0
    assert {"allocation", "indicators", "life events", "rents"} <= set(r["spent"]), r["spent"]
    assert sum(r["spent"].values()) <= r["run_cpu"] * 1.05


def test_benchmark_times_the_random_draws_without_changing_them():
    """--where's timing of the random streams counts every draw of the reported months and leaves
    the run as it is: the same households and pending applications at the end as an untimed run."""
    spec = importlib.util.spec_from_file_location("run_benchmarks", ROOT / "benchmarks" / "run_benchmarks.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    plain = bench.run_model("scenarios/baseline.yaml", 1, breakdown=1)
    timed = bench.run_model("scenarios/baseline.yaml", 1, breakdown=2)
    assert plain["draws"]["calls"] == 0 and timed["draws"]["calls"] > 12 * 50
    assert 0 < timed["draws"]["cpu"] < timed["run_cpu"]
    assert (timed["households"], timed["pending_end"], timed["present"]) == \
        (plain["households"], plain["pending_end"], plain["present"])
