"""Ensembles and the comparison report, as a policy team uses them: runs on a real 2-worker Dask
cluster give the same numbers as one process, an interrupted comparison resumes, a failing run is
reported while the others finish, the report's numbers are those of the run tables, and the HTML
opens in a real browser."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import children_cpu
from simulation.ensemble import make_specs, run_dir, run_ensemble
from simulation.report import build_report
from simulation.scenario import load_scenario
from simulation.summary import horizon_values, run_table, student_interval, summarise

ROOT = Path(__file__).resolve().parent.parent
SC = ROOT / "scenarios"
# the console script of this interpreter's environment (activated or not), else one on PATH
_HERE = Path(sys.executable).with_name("peuplement")
EXE = str(_HERE) if _HERE.is_file() else shutil.which("peuplement")
YEARS = 2


def _specs(names=("baseline", "single_rent"), seeds=(1, 2), years=YEARS):
    return make_specs([load_scenario(SC / f"{n}.yaml") for n in names], list(seeds), years)


def _files(root: Path) -> dict[str, bytes]:
    """Every deterministic file of the run folders (manifests hold timings)."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted((root / "runs").rglob("*"))
            if p.is_file() and p.name != "manifest.json"}


def test_student_interval_worked_out():
    # d = 1, 2, 3: mean 2, sd 1, t(0.95; 2 df) = 2.919986 -> half-width 2.919986 / sqrt(3) = 1.68585
    m, lo, hi = student_interval(np.array([1.0, 2.0, 3.0]))
    assert m == pytest.approx(2.0)
    assert lo == pytest.approx(2 - 1.68585, abs=1e-4) and hi == pytest.approx(2 + 1.68585, abs=1e-4)
    m, lo, hi = student_interval(np.array([4.0]))          # one seed: no interval at all
    assert m == 4.0 and np.isnan(lo) and np.isnan(hi)


def test_two_worker_cluster_equals_one_process(tmp_path):
    specs = _specs()
    one = run_ensemble(specs, tmp_path / "one", workers=1)
    two = run_ensemble(specs, tmp_path / "two", workers=2)
    assert one.ran == two.ran == 4 and not one.failures and not two.failures
    a, b = _files(tmp_path / "one"), _files(tmp_path / "two")
    assert a.keys() == b.keys() and len(a) >= 4 * 5
    assert all(a[k] == b[k] for k in a), [k for k in a if a[k] != b[k]]
    # a second call finds every run finished and redoes none
    again = run_ensemble(specs, tmp_path / "two", workers=2)
    assert again.ran == 0 and again.reused == 4


def test_changed_inputs_are_not_reused(tmp_path):
    specs = _specs(("baseline",), (1,))
    run_ensemble(specs, tmp_path, workers=1)
    longer = _specs(("baseline",), (1,), years=YEARS + 1)
    res = run_ensemble(longer, tmp_path, workers=1)
    assert res.ran == 1 and res.reused == 0
    assert json.loads((run_dir(tmp_path, longer[0]) / "manifest.json").read_text())["years"] == YEARS + 1


def _fails_on_seed_2(spec, root):
    from simulation.ensemble import run_one

    if spec.seed == 2:
        raise ValueError("boom in a worker")
    return run_one(spec, root)


@pytest.mark.parametrize("workers", [1, 2])
def test_failing_run_is_reported_and_others_finish(tmp_path, workers):
    if workers > 1:                     # the cluster's workers must unpickle this test's function
        import cloudpickle
        cloudpickle.register_pickle_by_value(sys.modules[__name__])
    specs = _specs(seeds=(1, 2))
    res = run_ensemble(specs, tmp_path, workers=workers, runner=_fails_on_seed_2)
    assert [(f.scenario, f.seed) for f in res.failures] == [("baseline", 2), ("single_rent", 2)]
    assert all("boom in a worker" in f.error for f in res.failures)
    assert res.ran == 2 and {s.key for s in res.finished} == {"baseline-seed001", "single_rent-seed001"}
    # nothing half-written is left for the failed runs
    assert not run_dir(tmp_path, specs[1]).exists()
    assert not [p for p in (tmp_path / "runs").iterdir() if p.name.startswith(".tmp")]
    # the report still builds from the finished runs and lists the failures
    html = build_report(tmp_path, specs, failures=res.failures).read_text(encoding="utf-8")
    assert "boom in a worker" in html and "graine 2" in html


def _how_started(spec, root):
    """A runner that only says how its worker process was started (its command line)."""
    with open("/proc/self/cmdline", "rb") as fh:
        return {"key": spec.key, "cmdline": fh.read().replace(b"\0", b" ").decode()}


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="needs Linux /proc")
def test_local_cluster_workers_are_spawned_not_forked(tmp_path):
    """Even where fork is the configured default (Dask's setting, or multiprocessing's on Linux),
    the local cluster starts its workers with spawn: fork() of this multi-threaded process could hang."""
    import cloudpickle
    import dask
    import distributed  # noqa: F401 -- loads distributed's config defaults before config.set below
    import multiprocessing

    # dask.config.set removes on exit the top-level keys it created: were "distributed" not yet in
    # the config, leaving the block would drop all of distributed's defaults for later tests
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    assert multiprocessing.get_context().get_start_method() in ("fork", "forkserver", "spawn")
    with dask.config.set({"distributed.worker.multiprocessing-method": "fork"}):
        res = run_ensemble(_specs(seeds=(1,)), tmp_path, workers=2, runner=_how_started)
    assert not res.failures and len(res.results) == 2
    for r in res.results.values():      # a spawned process runs multiprocessing's spawn_main
        assert "spawn_main" in r["cmdline"], r["cmdline"]


@pytest.fixture(scope="module")
def ensemble(tmp_path_factory):
    """Baseline and the combined renewal strategy, 3 seeds, 6 years (year 5 is a horizon)."""
    root = tmp_path_factory.mktemp("ens")
    specs = _specs(("baseline", "renewal_strategy"), (1, 2, 3), years=6)
    res = run_ensemble(specs, root, workers=1)
    assert not res.failures
    report = build_report(root, specs, sources={"renewal_strategy": SC / "renewal_strategy.yaml"})
    return root, specs, report


def test_report_numbers_are_those_of_the_run_tables(ensemble):
    root, specs, report = ensemble
    summary = pd.read_parquet(report.parent / "tables" / "summary.parquet")
    # recompute the Q1 share of tenants in QPV in year 5 straight from each run's indicator table
    per_seed = {}
    for s in specs:
        ind = pd.read_parquet(run_dir(root, s) / "indicators.parquet")
        sel = ind[(ind["indicator"] == "q1_share_tenants") & (ind["scale"] == "qpv") &
                  (ind["period"] == "month") & (ind["year"] == 2025 + 5 - 1) & (ind["month"] >= 1)]
        per_seed[(s.scenario, s.seed)] = sel["value"].mean()
    base = np.array([per_seed[("baseline", k)] for k in (1, 2, 3)])
    var = np.array([per_seed[("renewal_strategy", k)] for k in (1, 2, 3)])
    row = summary[(summary["series"] == "q1_tenants_qpv") & (summary["horizon"] == "year5")] \
        .set_index("scenario")
    assert row.loc["baseline", "mean"] == pytest.approx(base.mean(), rel=1e-9)
    m, lo, hi = student_interval(var - base)
    assert row.loc["renewal_strategy", "diff"] == pytest.approx(m, rel=1e-9)
    assert row.loc["renewal_strategy", "diff_lo"] == pytest.approx(lo, rel=1e-9)
    # ... and the report shows it, French-formatted
    html = report.read_text(encoding="utf-8")
    assert f"{100 * base.mean():.1f}".replace(".", ",") + "\u202f%" in html
    assert "Attention : 3 graine(s) seulement" in html          # fewer than 5 seeds: warned
    assert "Démolition de Tilleuls - Tour A" in html             # the variant in plain words
    assert "Student" in html                                     # the methods section


def test_same_inputs_same_report_numbers(ensemble, tmp_path):
    root, specs, report = ensemble
    first = [(report.parent / "tables" / f).read_bytes() for f in ("summary.csv", "summary.parquet")]
    again = build_report(root, specs)
    assert [(again.parent / "tables" / f).read_bytes() for f in ("summary.csv", "summary.parquet")] == first


def test_french_csv_reads_back(ensemble):
    root, specs, report = ensemble
    raw = (report.parent / "tables" / "summary.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b";" in raw.splitlines()[0]
    t = pd.read_csv(report.parent / "tables" / "summary.csv", sep=";", decimal=",", encoding="utf-8-sig")
    assert t["mean"].dtype == float and {"scenario", "series", "horizon", "diff_lo"} <= set(t.columns)
    assert set(t["horizon"]) == {"year5", "period"}


def test_english_report(ensemble):
    root, specs, _ = ensemble
    html = build_report(root, specs, lang="en").read_text(encoding="utf-8")
    assert "Scenario comparison against" in html and "Demolition of Tilleuls - Tour A" in html


def test_report_colours_are_the_scenarios_own(ensemble):
    """A scenario keeps its colour from one report (or web view) to the next, whatever its rank."""
    from simulation import palette

    _, specs, report = ensemble
    html = report.read_text(encoding="utf-8")
    for name in {s.scenario for s in specs}:
        assert f"background: {palette.scenario_colour(name)}" in html, name
    assert palette.scenario_colour("baseline") == palette.SCENARIO["baseline"]


def test_summary_paired_on_seeds():
    vals = pd.DataFrame({"scenario": ["a"] * 3 + ["b"] * 3, "seed": [1, 2, 3] * 2,
                         "series": "x", "indicator": "x", "scale": "territory", "area": "t",
                         "horizon": "period", "value": [1.0, 2.0, 3.0, 2.0, 4.0, 6.0]})
    s = summarise(vals, "a").set_index("scenario")
    assert s.loc["b", "diff"] == pytest.approx(2.0) and s.loc["b", "n_pairs"] == 3
    assert s.loc["b", "mean"] == pytest.approx(4.0) and np.isnan(s.loc["a", "diff_lo"])


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)")
def test_report_renders_in_headless_chromium(ensemble, tmp_path):
    from PIL import Image

    _, _, report = ensemble
    shot = tmp_path / "report.png"
    subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1280,2400",
                    f"--screenshot={shot}", report.as_uri()], capture_output=True, timeout=120)
    assert shot.is_file()
    im = np.asarray(Image.open(shot).convert("RGB"), dtype=np.int16)
    non_white = (np.abs(im - 255).sum(axis=2) > 60).mean()
    colours = len(np.unique(im.reshape(-1, 3)[::7], axis=0))
    assert non_white > 0.05, f"mostly blank page ({non_white:.1%} non-white)"
    assert colours > 50                      # text, tables and embedded figures, not a flat page


@pytest.mark.skipif(EXE is None, reason="the peuplement script is not installed")
def test_interrupted_compare_resumes(tmp_path):
    """Ctrl-C mid-way keeps the finished runs; the same command again skips them and ends with the
    same numbers as an uninterrupted comparison."""
    out = tmp_path / "cmp"
    cmd = [EXE, "compare", "baseline", "single_rent", "--seeds", "3", "--years", str(YEARS),
           "--workers", "1", "--out", str(out), "--quiet"]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    deadline = time.time() + 240
    while time.time() < deadline and len(list((out / "runs").glob("*/manifest.json"))) < 2 \
            if out.exists() else time.time() < deadline:
        time.sleep(0.1)
        if p.poll() is not None:
            break
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=120)
    done_before = len(list((out / "runs").glob("*/manifest.json")))
    if p.returncode == 130:
        assert "relancez la même commande pour reprendre" in err and "Traceback" not in err
        assert 1 <= done_before < 6
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert r.returncode == 0, r.stderr
    assert f"{done_before} reprise(s)" in r.stdout
    assert len(list((out / "runs").glob("*/manifest.json"))) == 6
    ref = tmp_path / "ref"
    r2 = subprocess.run([*cmd[:-3], "--out", str(ref), "--quiet"], capture_output=True, text=True, cwd=tmp_path,
                        timeout=600)
    assert r2.returncode == 0, r2.stderr
    a = (out / "report" / "tables" / "summary.csv").read_bytes()
    assert a == (ref / "report" / "tables" / "summary.csv").read_bytes()


@pytest.mark.skipif(EXE is None, reason="the peuplement script is not installed")
def test_compare_refuses_a_foreign_out_folder_before_running(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("précieux")
    cpu = children_cpu()       # CPU seconds, not wall time: the machine may be loaded
    r = subprocess.run([EXE, "compare", "baseline", "single_rent", "--out", str(tmp_path / "mine")],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.strip().count("\n") == 0 and "pas une comparaison antérieure" in r.stderr
    assert (tmp_path / "mine" / "notes.txt").read_text() == "précieux"
    assert children_cpu() - cpu < 30, "CPU seconds spent before refusing: it ran something"


def test_variant_differences_read_as_sentences():
    """The report says what a variant changes in words: a lever block switched on is one sentence,
    not one line per default sub-field; practice parameters read as percentages."""
    from simulation.report.diff import differences

    base = load_scenario(SC / "baseline.yaml").model_dump(mode="json")
    s, _ = differences(base, load_scenario(SC / "rehousing_outside_qpv.yaml").model_dump(mode="json"))
    assert "Minoration de loyer ANRU pour les relogés dans le neuf ou le récent : aucune → activée" in s
    assert not any("rent_reduction." in x for x in s)
    s, _ = differences(base, load_scenario(SC / "structure_rents_only.yaml").model_dump(mode="json"))
    assert "Orientation des plus modestes vers les QPV par les commissions : 60\u202f% → 0\u202f%" in s
