"""A plain (non-editable) install finds its built-in scenarios and scoring grids: a wheel built from
the project's files, installed in a fresh virtual environment, runs `peuplement run baseline` from
another folder. The dependencies are borrowed from the test environment (a .pth file) to keep the
test fast; .ci/run also installs the wheel with its dependencies resolved by pip."""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _pip(*args, cwd=None):
    r = subprocess.run([sys.executable, "-m", "pip", *args], capture_output=True, text=True, cwd=cwd,
                       timeout=600)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    return r


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(bin folder, python) of a fresh venv where only the project's wheel is installed."""
    base = tmp_path_factory.mktemp("wheel")
    src = base / "src"            # build from a copy: no build/ nor egg-info left in the checkout
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    for name in ("simulation", "scenarios", "calibration"):
        shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__"))
    dist = base / "dist"
    try:
        import setuptools  # noqa: F401
        isolation = ["--no-build-isolation"]
    except ImportError:
        isolation = []
    _pip("wheel", "--no-deps", *isolation, "-w", str(dist), str(src))
    wheel = next(dist.glob("peuplement-*.whl"))

    env = base / "venv"
    venv.create(env, with_pip=False)
    py = env / "bin" / "python"
    site = Path(subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                               capture_output=True, text=True, check=True).stdout.strip())
    # the dependencies: every site-packages folder of the test environment (not the checkout)
    deps = [p for p in sys.path if p.endswith("site-packages")] or [sysconfig.get_path("purelib")]
    (site / "_test_deps.pth").write_text("\n".join(deps) + "\n", encoding="utf-8")
    _pip("--python", str(py), "install", "--no-deps", "--no-index", "--quiet", str(wheel))
    return env / "bin", py


def test_wheel_ships_scenarios_and_grids(installed):
    bin_dir, py = installed
    r = subprocess.run([str(py), "-c", "import simulation, simulation.scenario as s; "
                        "print(simulation.__file__); print(s.SCENARIO_DIR); print(len(s.builtin_names()))"],
                       capture_output=True, text=True, cwd=bin_dir.parent.parent)
    assert r.returncode == 0, r.stderr
    module, folder, count = r.stdout.split("\n")[:3]
    venv_dir = str(bin_dir.parent)
    assert module.startswith(venv_dir) and folder.startswith(venv_dir), r.stdout   # not the checkout
    assert int(count) >= 10
    assert (Path(folder) / "scoring" / "need_first.yaml").is_file()


def test_wheel_ships_the_calibration_targets(installed):
    bin_dir, py = installed
    r = subprocess.run([str(py), "-c", "from simulation.calibrate.targets import TARGETS_DIR, load_targets; "
                        "print(TARGETS_DIR); print(len(load_targets('france').targets))"],
                       capture_output=True, text=True, cwd=bin_dir.parent.parent)
    assert r.returncode == 0, r.stderr
    folder, count = r.stdout.split("\n")[:2]
    assert folder.startswith(str(bin_dir.parent)), r.stdout     # the installed copy, not the checkout
    assert int(count) >= 7


def test_installed_command_runs_a_builtin_scenario_from_elsewhere(installed, tmp_path):
    bin_dir, _ = installed
    exe = str(bin_dir / "peuplement")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    r = subprocess.run([exe, "validate", "baseline", "scoring_need_first", "renewal_strategy"],
                       capture_output=True, text=True, cwd=elsewhere, timeout=300)
    assert r.returncode == 0 and r.stdout.count("OK ") == 3, r.stdout + r.stderr
    r = subprocess.run([exe, "run", "baseline", "--years", "1", "--quiet", "--out", "res"],
                       capture_output=True, text=True, cwd=elsewhere, timeout=600)
    assert r.returncode == 0, r.stderr
    assert (elsewhere / "res" / "indicators.parquet").is_file()
    assert (elsewhere / "res" / "scenario.yaml").is_file()
