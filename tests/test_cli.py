"""The `peuplement` command end to end, as a user runs it (a subprocess, the installed script)."""

import filecmp
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from conftest import children_cpu

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
    out = tmp_path / "cmp"
    r = cli("compare", "baseline", "single_rent", "--seeds", "2", "--years", "3", "--workers", "1",
            "--set", "economy.irl=0.02", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert "Écarts à « baseline »" in r.stdout and "single_rent" in r.stdout
    # French numbers: decimal comma, differences of shares in points
    assert re.search(r"[+−-]\d+,\d pts?", r.stdout), r.stdout
    assert not re.search(r"\d\.\d", r.stdout), r.stdout
    assert "avertissement" not in r.stderr     # the single rent starts within the 3 years
    assert (out / "report" / "report.html").is_file()
    table = pd.read_parquet(out / "report" / "tables" / "runs.parquet")
    assert set(table["scenario"]) == {"baseline", "single_rent"} and set(table["seed"]) == {1, 2}


def test_compare_set_applies_to_every_scenario_and_warns_of_late_levers(tmp_path):
    """--set is validated before any run, like the files; a lever after the horizon, or a variant
    that does not differ from the baseline, is reported."""
    r = cli("compare", "baseline", "single_rent", "--years", "1", "--set", "economy.irl=high")
    assert r.returncode == 2 and "--set economy.irl=high" in r.stderr and "Traceback" not in r.stderr
    same = tmp_path / "same.yaml"
    same.write_text("extends: baseline\nname: same\n", encoding="utf-8")
    r = cli("compare", "baseline", "single_rent", str(same), "--seeds", "1", "--years", "1", "--workers", "1",
            "--set", "economy.irl=0.02")
    assert r.returncode == 0, r.stderr
    warn = [l for l in r.stderr.splitlines() if l.startswith("peuplement: avertissement :")]
    assert len(warn) == 2, r.stderr
    assert "rents.single_rent.start: 2027-01" in warn[0] and "« same »" in warn[1], r.stderr


# ------------------------------------------------------------------------------- help, language
def _subcommands():
    from simulation.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    return sorted(sub.choices)


@pytest.mark.parametrize("lang, usage", [("fr", "utilisation :"), ("en", "usage:")])
def test_help_of_every_command(lang, usage, capsys):
    """`--help` of the program and of every command prints its usage in the chosen language and
    exits 0 (a stray % in a help text used to crash argparse)."""
    from simulation.cli import main

    commands = _subcommands()
    assert {"run", "demo", "compare", "validate"} <= set(commands)
    for cmd in [[], *[[c] for c in commands]]:
        with pytest.raises(SystemExit) as info:
            main(["--lang", lang, *cmd, "--help"])
        out = capsys.readouterr().out
        assert info.value.code == 0, cmd
        assert out.startswith(usage), (cmd, out[:80])
        assert ("options:" in out) and ("show this help message" in out) == (lang == "en"), cmd


def test_console_script_help_is_fast():
    """The installed `peuplement --help` works and does not import Mesa or the model (fast start)."""
    import time

    cpu = children_cpu()
    r = cli("--help")
    elapsed = children_cpu() - cpu          # CPU seconds: wall time grows with the machine's load
    assert r.returncode == 0 and "utilisation : peuplement" in r.stdout and "Traceback" not in r.stderr
    probe = subprocess.run([sys.executable, "-c", "import sys, simulation.cli; "
                            "print(sorted(m for m in ('mesa', 'simulation.model', 'pandas', 'pydantic') if m in sys.modules))"],
                           capture_output=True, text=True, cwd=ROOT)
    assert probe.stdout.strip() == "[]", probe.stdout + probe.stderr
    assert elapsed < 5, f"peuplement --help took {elapsed:.1f} CPU s"   # ~0.15 s on an idle machine
    r = cli("--version")
    assert r.returncode == 0 and re.fullmatch(r"peuplement \S+\n", r.stdout), r.stdout


def test_french_numbers_in_the_run_summary(two_runs):
    _, r = two_runs[0]
    summary = r.stdout.split("Résumé", 1)[1]
    assert re.search(r"\d,\d\u202f%", summary), summary          # 30,9 %
    assert not re.search(r"\d\.\d", summary), summary            # no decimal point anywhere


def test_english_run_with_set(tmp_path):
    """--lang en gives English messages and numbers; --set changes the scenario that is run and
    written beside the outputs."""
    out = tmp_path / "en"
    r = cli("--lang", "en", "run", "baseline", "--years", "1", "--set", "run.seed=9",
            "--set", "rents.single_rent.start=2025-06", "--set", "rents.single_rent.by_financing=false",
            "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert "Summary — baseline (seed 9" in r.stdout and f"Outputs written to {out}" in r.stdout
    summary = r.stdout.split("Summary", 1)[1]
    assert re.search(r"\d\.\d%", summary) and not re.search(r"\d,\d", summary), summary
    written = yaml.safe_load((out / "scenario.yaml").read_text(encoding="utf-8"))
    assert written["run"]["seed"] == 9
    assert written["rents"]["single_rent"]["start"] == "2025-06"
    assert written["rents"]["single_rent"]["by_financing"] is False
    r = cli("--lang", "en", "run", "no_such_scenario")
    assert r.returncode == 2 and r.stderr.startswith("peuplement: error: no_such_scenario: scenario file "
                                                     "not found") and "baseline" in r.stderr


@pytest.mark.parametrize("setting, field", [
    ("rents.single_rent.start=2027-13", "rents.single_rent.start"),
    ("run.years=0", "run.years"),
    ("allocation.candidates_per_dwelling=abc", "allocation.candidates_per_dwelling"),
    ("rents.single_rnt.start=2027-01", "single_rnt"),
    ("works.3.date=2030-01", "works.3.date"),
])
def test_set_bad_value_is_one_line_naming_set_and_field(setting, field):
    r = cli("run", "baseline", "--set", setting)
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    assert r.returncode == 2 and len(lines) == 1, r.stderr
    assert lines[0].startswith("peuplement: erreur :") and "--set" in lines[0] and field in lines[0], lines[0]
    assert "Traceback" not in r.stderr


def test_set_needs_field_equals_value():
    r = cli("run", "baseline", "--set", "rents.single_rent.start")
    assert r.returncode == 2 and "CHAMP=VALEUR" in r.stderr and len(r.stderr.strip().splitlines()) == 1


# ------------------------------------------------------------------------------- validate
def test_validate_lists_every_problem_at_once(tmp_path):
    bad = tmp_path / "many.yaml"
    bad.write_text("extends: baseline\nrun: {years: 500}\nrents: {indexation: abc}\n"
                   "allocation:\n  mix_rules: {strenght: 1}\n  candidates_per_dwelling: 0\n", encoding="utf-8")
    r = cli("validate", str(bad), "baseline")
    assert r.returncode == 1
    errors = [l for l in r.stderr.splitlines() if l.startswith("ERREUR")]
    assert len(errors) == 4, r.stderr
    for field in ("run.years", "rents.indexation", "allocation.mix_rules.strenght",
                  "allocation.candidates_per_dwelling"):
        assert sum(field in l for l in errors) == 1, (field, errors)
    assert "OK baseline" in r.stdout                 # the other file is still checked


def test_validate_and_run_warn_of_a_lever_after_the_horizon(tmp_path):
    late = tmp_path / "late.yaml"
    late.write_text("extends: single_rent\nname: late\nrun: {years: 1}\n", encoding="utf-8")
    r = cli("validate", str(late))
    assert r.returncode == 0, r.stderr
    warn = [l for l in r.stdout.splitlines() if l.startswith("ATTENTION")]
    assert len(warn) == 1 and "rents.single_rent.start" in warn[0] and "2027-01" in warn[0], r.stdout
    r = cli("validate", "single_rent")
    assert r.returncode == 0 and "ATTENTION" not in r.stdout
    # --years shorter than a lever's start: the run says so (and still runs)
    r = cli("run", "single_rent", "--years", "1", "--quiet", "--out", str(tmp_path / "out"))
    assert r.returncode == 0, r.stderr
    warn = [l for l in r.stderr.splitlines() if l.startswith("peuplement: avertissement :")]
    assert len(warn) == 1 and "rents.single_rent.start" in warn[0] and "--years" in warn[0], r.stderr


def test_unknown_residence_lists_the_valid_names(tmp_path):
    bad = tmp_path / "tour_b.yaml"
    bad.write_text("extends: baseline\nworks:\n  - {type: demolition, residence: Tilleuls - Tour B, "
                   "announce: 2027-01, demolish: 2029-01}\n", encoding="utf-8")
    r = cli("validate", str(bad))
    assert r.returncode == 1
    line = r.stderr.strip()
    assert "works[0]" in line and "Tilleuls - Tour B" in line and "'Tilleuls - Tour A'" in line
    assert "Val Fleuri - Les Jardins" in line and "noms valides" in line
