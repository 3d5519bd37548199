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

from simulation.rundir import PARTIAL, OutputError, check_target, publish_dir

ROOT = Path(__file__).resolve().parent.parent
CMD = [sys.executable, "-c", "import sys; from simulation.cli import main; sys.exit(main())"]


def cli(*args, cwd=None, timeout=300):
    return subprocess.run([*CMD, *args], capture_output=True, text=True, cwd=cwd or ROOT, timeout=timeout)


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
                n = sum(1 for _ in tmps[0].iterdir()) if tmps else 0
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


def test_compare_out_onto_a_folder_fails_before_compute(tmp_path):
    t0 = time.time()
    r = cli("compare", "baseline", "single_rent", "--seeds", "2", "--years", "20", "--out", str(tmp_path))
    one_line_error(r, "is a folder")
    assert time.time() - t0 < 30
