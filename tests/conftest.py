"""Shared helpers for the test suite.

Models are cheap to build (~0.05 s for the 3,000-dwelling baseline town) and a simulated year costs
~0.2-0.3 s, so tests build fresh tiny models freely and share the longer runs through module-scoped
fixtures in their own files.
"""

from __future__ import annotations

import resource
from pathlib import Path

import pytest

from simulation.fmt import set_lang
from simulation.model import HousingModel
from simulation.scenario import deep_merge, load_scenario

# In-process tests read messages in English (stable wording to assert on); the French default of
# messages and numbers is tested through the command line (tests/test_cli.py, tests/test_lang.py).
set_lang("en")

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
BASELINE = SCENARIOS / "baseline.yaml"
DATA = Path(__file__).resolve().parent / "data"


def baseline_scenario(years: int = 1, overrides: dict | None = None):
    """The baseline town with a short horizon (and optional extra overrides)."""
    return load_scenario(BASELINE, overrides=deep_merge({"run": {"years": years}}, overrides or {}))


def make_model(years: int = 1, seed: int | None = None, overrides: dict | None = None) -> HousingModel:
    """A freshly initialised (not yet stepped) model of the baseline town."""
    sc = baseline_scenario(years, overrides)
    return HousingModel(sc) if seed is None else HousingModel(sc, seed=seed)   # seed=None: fresh entropy


def run_model(years: int, seed: int | None = None, overrides: dict | None = None) -> HousingModel:
    """A model of the baseline town run to its horizon."""
    m = make_model(years, seed, overrides)
    m.run()
    return m


@pytest.fixture
def tiny_model() -> HousingModel:
    """A fresh month-0 baseline model each test may mutate at will."""
    return make_model(years=1)


def children_cpu() -> float:
    """CPU seconds used so far by this process's finished child processes. Tests that a command
    fails fast or starts fast compare this before and after it: unlike wall time, it does not grow
    when the machine is loaded by other work (a 2-core CI box running the suite on both cores)."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Tests that use a module-scoped fixture of their module run on one pytest-xdist worker
    (`--dist loadgroup`, pyproject.toml), so the fixture is built once, not once per worker: two
    workers each building the same 6-run ensemble at once doubled that part of the suite. A test
    that already names its group keeps it."""
    for item in items:
        info = getattr(item, "_fixtureinfo", None)
        if info is None or item.get_closest_marker("xdist_group"):
            continue
        # a parametrised fixture (one model per scenario) is left spread: its instances differ
        if any(defs and defs[-1].scope == "module" and not defs[-1].params
               for defs in info.name2fixturedefs.values()):
            item.add_marker(pytest.mark.xdist_group(f"module-fixtures:{item.module.__name__}"))
