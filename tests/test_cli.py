"""The `peuplement` command end to end, as a user runs it (a subprocess, the installed script)."""

import filecmp
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
EXE = shutil.which("peuplement") or None


def cli(*args, cwd=None):
    cmd = [EXE] if EXE else [sys.executable, "-c", "import sys; from simulation.cli import main; "
                             "sys.exit(main())"]
    return subprocess.run([*cmd, *args], capture_output=True, text=True, cwd=cwd or ROOT, timeout=300)


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("runs")
    outs = []
    for k in (1, 2):
        out = base / f"run{k}"
        r = cli("run", "baseline", "--years", "2", "--seed", "4", "--out", str(out))
        assert r.returncode == 0, r.stderr
        outs.append((out, r))
    return outs


def test_run_writes_the_documented_folder(two_runs):
    out, r = two_runs[0]
    assert f"Résultats écrits dans {out}" in r.stdout
    assert "Résumé" in r.stdout                      # the summary table
    for name in ("scenario.yaml", "manifest.json", "indicators.parquet", "allocations.parquet",
                 "offers.parquet", "events.parquet", "trajectories.parquet", "transitions.parquet",
                 "rehousing.parquet", "quartiles.csv"):
        assert (out / name).is_file(), name
    assert len(list(out.glob("*.png"))) >= 3
    ind = pd.read_parquet(out / "indicators.parquet")
    assert list(ind.columns)[:7] == ["month", "year", "period", "scale", "area", "indicator", "value"]
    assert {"territory", "qpv", "outside_qpv", "neighbourhood", "residence"} <= set(ind["scale"].astype(str))
    assert {"q1_share_tenants", "q1_share_allocations_outside_qpv", "dissimilarity_q1"} <= \
        set(ind["indicator"].astype(str))
    assert ind["month"].max() == 24
    man = json.loads((out / "manifest.json").read_text())
    assert man["seed"] == 4 and man["years"] == 2
    alloc = pd.read_parquet(out / "allocations.parquet")
    assert len(alloc) > 100 and {"household", "dwelling", "kind", "quartile"} <= set(alloc.columns)


def test_same_seed_same_files(two_runs):
    (a, _), (b, _) = two_runs
    names = sorted(p.name for p in a.iterdir() if p.name != "manifest.json")
    match, mismatch, errors = filecmp.cmpfiles(a, b, names, shallow=False)
    assert not mismatch and not errors, f"files differ between two runs with the same seed: {mismatch}"


def test_validate_ok_and_errors(tmp_path):
    r = cli("validate", "scenarios/baseline.yaml", "single_rent")
    assert r.returncode == 0 and r.stdout.count("OK ") == 2
    bad = tmp_path / "bad.yaml"
    bad.write_text("extends: baseline\nallocation:\n  mix_rules: {strenght: 1}\n", encoding="utf-8")
    r = cli("validate", str(bad))
    assert r.returncode == 1
    assert "strenght" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize("args, needle", [
    (("run", "no_such_scenario"), "introuvable"),
    (("run", "baseline", "--years", "0"), "--years"),
    (("run", "baseline", "--seed", "abc"), "--seed"),
    (("frobnicate",), "choix invalide"),
])
def test_user_errors_are_one_line_exit_2(args, needle):
    r = cli(*args)
    assert r.returncode == 2
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    assert len(lines) == 1 and lines[0].startswith("peuplement: erreur :") and needle in lines[0]
    assert "Traceback" not in r.stderr


def test_compare_prints_effects(tmp_path):
    out = tmp_path / "cmp.csv"
    r = cli("compare", "baseline", "single_rent", "--seeds", "2", "--years", "3", "--workers", "1",
            "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert "Effets par rapport à « baseline »" in r.stdout and "single_rent" in r.stdout
    table = pd.read_csv(out)
    assert set(table["scenario"]) == {"baseline", "single_rent"} and set(table["seed"]) == {1, 2}
