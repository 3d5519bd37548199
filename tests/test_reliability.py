"""Nothing lost, nothing wrong: run folders complete or absent, unique default names, refused
targets, and one-line errors for every malformed input a careful user (or an attacker) may give."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from conftest import children_cpu
from simulation.rundir import PARTIAL, OutputError, check_target, publish_dir

ROOT = Path(__file__).resolve().parent.parent
CMD = [sys.executable, "-c", "import sys; from simulation.cli import main; sys.exit(main())"]


def cli(*args, cwd=None, timeout=300):
    """The command line in English: these tests check the English wording (test_cli the French)."""
    env = {**os.environ, "PEUPLEMENT_LANG": "en"}
    return subprocess.run([*CMD, *args], capture_output=True, text=True, cwd=cwd or ROOT, timeout=timeout,
                          env=env)


def one_line_error(r, *needles):
    """The command failed with exactly one `peuplement: error:` line holding every needle."""
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    assert r.returncode == 2, (r.returncode, r.stderr[-2000:])
    assert len(lines) == 1 and lines[0].startswith("peuplement: error:"), r.stderr[-2000:]
    for n in needles:
        assert n in lines[0], (n, lines[0])
    return lines[0]


@pytest.fixture
def small(tmp_path) -> Path:
    """A small town (400 dwellings) extending the baseline: quick runs."""
    p = tmp_path / "small.yaml"
    p.write_text("extends: baseline\nname: petite\nterritory:\n  scale_to_dwellings: 400\n", encoding="utf-8")
    return p


def complete(folder: Path) -> bool:
    """A finished run folder: a manifest listing files that are all there and readable."""
    man = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    for name in man["files"]:
        assert (folder / name).is_file(), name
    assert sorted(p.name for p in folder.iterdir()) == sorted(man["files"])
    pd.read_parquet(folder / "indicators.parquet")
    return True


# ----------------------------------------------------------------------------- complete or absent
def test_killed_run_leaves_target_complete_or_absent(tmp_path, small):
    """SIGKILL at several moments of the writing: the target folder is absent or complete, never
    partial; what is left is a hidden temporary folder."""
    seen = []
    for k, wait_for in enumerate((1, 3, 6, 10, 13, None)):
        out = tmp_path / f"run{k}"
        proc = subprocess.Popen([*CMD, "run", str(small), "--years", "1", "--quiet", "--out", str(out)],
                                cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        t0 = time.time()
        try:
            while time.time() - t0 < 120 and proc.poll() is None:
                tmps = [p for p in tmp_path.iterdir() if p.name.startswith(f".run{k}{PARTIAL}")]
                try:
                    n = sum(1 for _ in tmps[0].iterdir()) if tmps else 0
                except FileNotFoundError:    # published between the two listings
                    n = 0
                if (wait_for is None and out.exists()) or (wait_for is not None and n >= wait_for):
                    break
                time.sleep(0.005)
            proc.send_signal(signal.SIGKILL)
        finally:
            proc.wait()
        if out.exists():
            assert complete(out)
            seen.append("complete")
        else:
            seen.append("absent")
    assert "absent" in seen and seen[-1] == "complete", seen


def test_failing_run_leaves_nothing(tmp_path):
    """An exception while writing removes the temporary folder; the target is not created."""
    target = tmp_path / "out"
    with pytest.raises(RuntimeError):
        with publish_dir(target) as rd:
            (rd.tmp / "a.txt").write_text("x")
            raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_replacing_a_folder_never_mixes_two_runs(tmp_path):
    """With force, the old folder's files are all gone once the new one is published."""
    target = tmp_path / "out"
    target.mkdir()
    (target / "manifest.json").write_text("old")
    (target / "old_table.parquet").write_text("old")
    with publish_dir(target, force=True) as rd:
        (rd.tmp / "manifest.json").write_text("new")
    assert sorted(p.name for p in target.iterdir()) == ["manifest.json"]
    assert (target / "manifest.json").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_two_concurrent_runs_get_two_folders(tmp_path, small):
    """Two runs of the same scenario started together without --out: two complete folders."""
    procs = [subprocess.Popen([*CMD, "run", str(small), "--years", "1", "--quiet"], cwd=tmp_path,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    folders = sorted((tmp_path / "outputs").iterdir())
    assert len(folders) == 2, folders
    assert all(complete(f) for f in folders)
    assert folders[0].name.startswith("petite-seed1-")
    said = sorted(o.strip().splitlines()[-1].split(" dans ")[-1] for o, _ in outs)
    assert said == sorted(str(f.relative_to(tmp_path)) for f in folders)


def test_default_names_are_reserved_atomically(tmp_path):
    """unique=True: the second folder with the same name gets '-2', even while the first is open."""
    with publish_dir(tmp_path / "x", unique=True) as a, publish_dir(tmp_path / "x", unique=True) as b:
        assert a.final.name == "x" and b.final.name == "x-2"
    with publish_dir(tmp_path / "x", unique=True) as c:
        pass
    assert c.final.name == "x-3"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x", "x-2", "x-3"]


# -------------------------------------------------------------------------------- refused targets
def test_non_empty_out_refused_unless_force(tmp_path, small):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    r = cli("run", str(small), "--years", "1", "--quiet", "--out", str(out), cwd=tmp_path)
    one_line_error(r, "not empty", "--force")
    assert (out / "notes.txt").read_text() == "mine"
    r = cli("run", str(small), "--years", "1", "--quiet", "--out", str(out), "--force", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert complete(out) and not (out / "notes.txt").exists()


def test_out_never_replaces_an_input_file(tmp_path, small):
    """`--out .` and a folder holding the scenario are refused, even with --force."""
    one_line_error(cli("run", str(small), "--out", ".", "--force", cwd=tmp_path), "current folder")
    one_line_error(cli("run", str(small), "--out", str(tmp_path), "--force", cwd=ROOT), "input file")
    assert small.is_file()


def test_check_target_refusals(tmp_path):
    f = tmp_path / "file.txt"
    f.write_text("x")
    with pytest.raises(OutputError, match="not a folder"):
        check_target(f)
    with pytest.raises(OutputError, match="too long"):
        check_target(tmp_path / ("x" * 300))
    assert check_target(tmp_path / "new") == tmp_path / "new"


def test_over_long_out_is_one_line(tmp_path):
    one_line_error(cli("run", "baseline", "--out", "x" * 300, cwd=tmp_path), "too long")


def test_control_characters_are_not_echoed(tmp_path):
    name = "evil\x1b[2J\x07.yaml"
    r = cli("run", name, cwd=tmp_path)
    line = one_line_error(r, "not found")
    assert "\x1b" not in r.stderr and "\x07" not in r.stderr, line


def test_compare_out_onto_a_foreign_folder_fails_before_compute(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    cpu = children_cpu()
    r = cli("compare", "baseline", "single_rent", "--seeds", "2", "--years", "20", "--out", str(tmp_path))
    one_line_error(r, "not an earlier comparison")
    assert children_cpu() - cpu < 30, "CPU seconds spent before refusing: it ran something"


# ------------------------------------------------------------- validate accepts => run completes
BASE = ROOT / "scenarios" / "baseline.yaml"
TINY_TOWN = """territory:
  landlords: [{name: L}]
  neighbourhoods:
  - name: A
    residences:
    - {name: r, landlord: L, year_built: 1970, dwellings: 40%s}
"""


def scenario_file(tmp_path, body: str, name: str = "s.yaml") -> Path:
    p = tmp_path / name
    p.write_text(f"extends: {BASE}\n{body}\n", encoding="utf-8")
    return p


@pytest.mark.parametrize("body", [
    "rents:\n  financing_factor: {PLS: 1.4}",
    "rents:\n  surface_by_typology: {T1: 30}",
    "rents:\n  ceiling_factor: {PLS: 1.2}",
    "behaviour:\n  demand:\n    application_lifetime_months: 1",
    "population:\n  household_size_shares: [0.5, 0.5]",
    TINY_TOWN % "" + "run: {spin_up_years: 0}\nbehaviour:\n  demand:\n    market_tension: 1",
], ids=["financing_factor", "surface_by_typology", "ceiling_factor", "lifetime_1", "two_sizes",
        "empty_pool"])
def test_accepted_files_run_to_the_end(tmp_path, body):
    """Cases where validate said OK and run ended in a traceback: now they run (2 years)."""
    from simulation.model import HousingModel
    from simulation.scenario import load_scenario

    sc = load_scenario(scenario_file(tmp_path, body), {"run": {"years": 2}})
    m = HousingModel(sc)
    m.run()
    assert m.month == 24
    if "financing_factor" in body:       # a partial mapping changes only what it names
        assert sc.rents.financing_factor == {"PLAI": 0.88, "PLUS": 1.0, "PLS": 1.4, "PLI": 1.55}


def test_empty_pool_runs_in_compare_too(tmp_path):
    from simulation.compare import compare

    a = scenario_file(tmp_path, TINY_TOWN % "" + "name: a\nrun: {spin_up_years: 0}\nbehaviour:\n  demand:\n    market_tension: 1",
                      "a.yaml")
    b = scenario_file(tmp_path, TINY_TOWN % "" + "name: b\nrun: {spin_up_years: 0}\nbehaviour:\n  demand:\n    market_tension: 1.5",
                      "b.yaml")
    table = compare([a, b], [1], years=1, workers=1)
    assert set(table["scenario"]) == {"a", "b"}


def _validate_error(tmp_path, body, *needles, raw: str | None = None):
    p = tmp_path / "s.yaml"
    p.write_text(raw if raw is not None else f"extends: {BASE}\n{body}\n", encoding="utf-8")
    r = cli("validate", str(p), cwd=tmp_path)
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    # validate lists every problem on its own line; the first names the field
    assert r.returncode == 1 and lines and all(l.startswith("ERROR ") for l in lines), r.stderr[-1500:]
    assert "Traceback" not in r.stderr
    for n in needles:
        assert n in lines[0], (n, lines[0])
    return lines[0]


@pytest.mark.parametrize("body, needles", [
    ("population:\n  household_size_shares: [0, 0, 0, 0, 0, 0]", ["household_size_shares", "above 0"]),
    ("population:\n  household_size_shares: []", ["household_size_shares", "at least 1"]),
    (TINY_TOWN % ", typology: {T1: 0, T2: 0}", ["residences[0].typology", "above 0"]),
    ("allocation:\n  scoring_file: 12", ["allocation.scoring_file", "file name"]),
    ("behaviour:\n  life_events:\n    income_shock_sd: 1000", ["income_shock_sd", "allowed range [0, 1]"]),
    ("population:\n  applicant_income_uc_median: 1.0e+300", ["applicant_income_uc_median", "[1000, 100000]"]),
    ("behaviour:\n  life_events:\n    mortality_gompertz_a: -2", ["mortality_gompertz_a", "[-14, -7]"]),
    ("rents:\n  ceilings_plus: [1, 1, 1, 1, 1, 1]", ["ceilings_plus[0]", "[1000, 500000]"]),
    ("rents:\n  financing_factor: {PLS: 9}", ["financing_factor.PLS", "(0, 5]"]),
    ("rents:\n  single_rent: {start: 2027-01, end: 2026-01}", ["single_rent", "before start"]),
    ("works:\n- {type: sale, residence: Centre - Halles, date: 2020-01, dwellings: 5}",
     ["works[0] (sale)", "before the start"]),
    ("works:\n- {type: sale, residence: Centre - Halles, date: 2026-01, dwellings: 5000}",
     ["works[0] (sale)", "has 90 dwellings"]),
    ("works:\n- {type: demolition, residence: Centre - Halles, announce: 2026-01, demolish: 2027-01}\n"
     "- {type: sale, residence: Centre - Halles, date: 2026-01, dwellings: 1}",
     ["works[1] (sale)", "has 90 dwellings"]),
    ("name: \"a\\x1b[2Jb\"", ["name", "control characters"]),
], ids=["sizes_zero", "sizes_empty", "typology_zero", "scoring_file_int", "shock_sd", "income_1e300",
        "mortality", "ceilings_1_eur", "partial_dict_out_of_range", "lever_end_before_start",
        "work_before_start", "sale_too_many", "demolish_and_sell_too_many", "control_chars_in_name"])
def test_refused_with_one_line(tmp_path, body, needles):
    _validate_error(tmp_path, body, "s.yaml", *needles)


def test_huge_territory_fails_fast(tmp_path):
    """~10^9 dwellings over many residences: a one-line error naming the documented maximum, at once."""
    res = "\n".join(f"    - {{name: r{i}, landlord: L, year_built: 1970, dwellings: 100000}}" for i in range(1000))
    body = ("territory:\n  landlords: [{name: L}]\n  neighbourhoods:\n  - name: A\n    residences:\n"
            + res + "\n  - name: B\n    residences:\n" + res.replace("name: r", "name: s"))
    cpu = children_cpu()
    _validate_error(tmp_path, body, "200,000,000 dwellings", "2,000,000")
    assert children_cpu() - cpu < 30, "CPU seconds spent before refusing"


def test_plausible_edge_warns_but_accepts(tmp_path):
    p = scenario_file(tmp_path, "population:\n  adult_age_mean: 70\nworks:\n"
                      "- {type: sale, residence: Centre - Halles, date: 2090-01, dwellings: 5}")
    r = cli("validate", str(p), cwd=tmp_path)
    assert r.returncode == 0 and r.stdout.startswith("OK"), r.stderr
    warn = [l for l in r.stdout.splitlines() if l.startswith("WARNING")]
    assert len(warn) == 2 and "2 warning(s)" in r.stdout.splitlines()[0], r.stdout
    assert "population.adult_age_mean = 70" in warn[0] and "30 to 60" in warn[0]
    assert "works[0].date" in warn[1] and "never applies" in warn[1]


def test_shipped_scenarios_have_no_warning():
    from simulation.checks import scenario_warnings
    from simulation.scenario import load_scenario

    for p in sorted((ROOT / "scenarios").glob("*.yaml")):
        assert scenario_warnings(load_scenario(p)) == [], p.name


def test_every_number_in_the_schema_is_bounded():
    """Each numeric field (or each item of a numeric list/mapping) has a lower and an upper bound."""
    import typing

    from simulation.schema_doc import iter_fields

    def bounded(meta) -> tuple[bool, bool]:
        lo = any(hasattr(m, "ge") or hasattr(m, "gt") for m in meta)
        hi = any(hasattr(m, "le") or hasattr(m, "lt") for m in meta)
        return lo, hi

    def numeric_parts(ann, meta):
        """(metadata list) for each numeric leaf of an annotation."""
        if typing.get_origin(ann) is typing.Annotated:
            base, *m = typing.get_args(ann)
            flat = []
            for x in m:
                flat.extend(getattr(x, "metadata", [x]))
            yield from numeric_parts(base, list(meta) + flat)
        elif ann in (int, float):
            yield meta
        else:
            for a in typing.get_args(ann):
                if a is not type(None) and not isinstance(a, str):
                    yield from numeric_parts(a, [] if typing.get_origin(ann) in (list, dict) else meta)

    missing = []
    for sec, name, f in iter_fields():
        hints = typing.get_type_hints(sec.model, include_extras=True)
        for meta in numeric_parts(hints[name], list(f.metadata)):
            if bounded(meta) != (True, True):
                missing.append(f"{sec.path}.{name}")
    assert not missing, missing


# ------------------------------------------------------------------------------ files can't leak
def test_extends_reads_only_yaml_and_never_echoes_other_files(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("password: hunter2\n")
    line = _validate_error(tmp_path, "", "not a .yaml", raw=f"extends: {secret}\n")
    assert "hunter2" not in line and "password" not in line
    other = tmp_path / "config.yaml"
    other.write_text("password: hunter2\ntoken: abc\n")
    line = _validate_error(tmp_path, "", "not a scenario file", raw=f"extends: {other}\n")
    assert "hunter2" not in line and "password" not in line and "token" not in line
    line = _validate_error(tmp_path, "allocation:\n  scoring_file: /etc/passwd", "not a .yaml")
    assert "root:" not in line and "/bin/" not in line
    grid = tmp_path / "grid.yaml"
    grid.write_text("password: hunter2\n")
    line = _validate_error(tmp_path, f"allocation:\n  scoring_file: {grid}", "not a scoring grid file")
    assert "hunter2" not in line and "password" not in line


def test_size_depth_and_chain_limits(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_text("#" * (5 * 1024 * 1024 + 10))
    r = cli("validate", str(big), cwd=tmp_path)
    assert r.returncode == 1 and "more than the 5 MB" in r.stderr and len(r.stderr.splitlines()) == 1
    _validate_error(tmp_path, "", "nested too deeply", raw="name: " + "[" * 3000 + "]" * 3000 + "\n")
    laughs = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [{', '.join([f'*{p}'] * 9)}]\n" for p, c in zip("abcdefg", "bcdefgh"))
    _validate_error(tmp_path, "", "more than 200,000 values", raw=laughs)
    for i in range(30):
        (tmp_path / f"c{i}.yaml").write_text(f"extends: c{i + 1}.yaml\n")
    (tmp_path / "c30.yaml").write_text(f"extends: {BASE}\n")
    r = cli("validate", str(tmp_path / "c0.yaml"), cwd=tmp_path)
    assert r.returncode == 1 and "chain longer than 20" in r.stderr and "Traceback" not in r.stderr


def test_over_long_names_are_one_line(tmp_path):
    _validate_error(tmp_path, "", "too long", raw=f"extends: {'x' * 300}.yaml\n")
    one_line_error(cli("run", "y" * 300, cwd=tmp_path), "too long")
