"""Shared helpers for the test suite.

Models are cheap to build (~0.05 s for the 3,000-dwelling baseline town) and a simulated year costs
~0.2-0.3 s, so tests build fresh tiny models freely and share the longer runs through module-scoped
fixtures in their own files.
"""

from __future__ import annotations

import os
import re
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


# ------------------------------------------------------------------ shared fixtures under pytest-xdist
#
# A module- or session-scoped fixture of this suite (a set of long runs, an installed wheel...) is
# built by each pytest-xdist worker that runs a test using it, and again by one worker that leaves its
# module and comes back. So every test using such a fixture is put, by the hook below, in one
# xdist_group (`--dist loadgroup`, pyproject.toml): one worker runs them all, one after the other,
# and builds the fixture once while the other worker runs the rest of the suite. The groups are
# derived from what each test requests (directly or through other fixtures), not from marks written
# by hand on each test: a test added later that reads the fixture, or one that reaches it through
# another fixture, joins the group by itself. Tests sharing no fixture stay spread over the workers,
# and so do tests of a parametrised fixture (one model per scenario: its instances differ).
#
# The guard after it fails the suite loudly when such a fixture is built a second time in one run
# anyway (on another worker, or twice on one), instead of silently doubling its minutes.

_SHARED = pytest.StashKey[set]()      # the FixtureDefs grouped and guarded in this session
_BUILT = pytest.StashKey[dict]()      # without xdist: key -> first build, in this process


def _is_shared(fd, name2fixturedefs, seen: frozenset = frozenset()) -> bool:
    """A fixture of this suite (not of a plugin), module or session scope, neither parametrised
    itself nor depending on a parametrised fixture: one instance per module (or session) is enough."""
    if fd.scope not in ("module", "session") or fd.params or not fd.baseid:
        return False
    for arg in fd.argnames:
        dep = (name2fixturedefs.get(arg) or [None])[-1]
        if dep is None or dep is fd or dep in seen:
            continue
        if dep.params or (dep.baseid and not _is_shared(dep, name2fixturedefs, seen | {fd})):
            return False
    return True


def _xdist_group(item) -> str | None:
    """The group pytest-xdist reads from the item's marks (it joins several with '_')."""
    names = {str(m.args[0] if m.args else m.kwargs.get("name", "default"))
             for m in item.iter_markers("xdist_group")}
    return "_".join(sorted(names)) if names else None


@pytest.hookimpl(tryfirst=True)   # before pytest-xdist's own hook, which reads the marks
def pytest_collection_modifyitems(config, items):
    """Put the tests sharing a fixture instance (transitively: two tests sharing nothing but both
    sharing something with a third) in one xdist group. A test that already names its group keeps
    it, and the others of its set join that group; two different hand-written groups in one set are
    an error (the fixture would be built on two workers)."""
    shared = config.stash.setdefault(_SHARED, set())
    parent: dict = {}

    def find(k):
        while parent.setdefault(k, k) != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    keys_of = {}
    for item in items:
        info = getattr(item, "_fixtureinfo", None)
        if info is None:
            continue
        keys = []
        for name in info.names_closure:
            defs = info.name2fixturedefs.get(name)
            if defs and _is_shared(defs[-1], info.name2fixturedefs):
                shared.add(defs[-1])
                # a module fixture has one instance per module; a session fixture one in all
                keys.append(f"{item.getparent(pytest.Module).nodeid}::{name}" if defs[-1].scope == "module"
                            else f"session::{name}")
        if keys:
            keys_of[item] = keys
            for k in keys[1:]:
                parent[find(k)] = find(keys[0])
    sets: dict = {}
    for item, keys in keys_of.items():
        sets.setdefault(find(keys[0]), []).append(item)
    for root, members in sets.items():
        named = {g for g in map(_xdist_group, members) if g}
        if len(named) > 1:
            raise pytest.UsageError(
                f"tests sharing the fixture {root} carry different xdist_group marks {sorted(named)}: "
                "each group would build it on its own worker; give them one group, or none")
        group = named.pop() if named else f"shared:{root}"
        for item in members:
            if _xdist_group(item) is None:
                item.add_marker(pytest.mark.xdist_group(group))


class _GroupSuffix:
    """Make `--dist loadgroup` group again under pytest >= 9.2 (pytest-xdist <= 3.8).

    pytest-xdist tells its scheduler an item's group by appending "@group" to the item's node id,
    which it does by writing `item._nodeid`. pytest 9.2 keeps node ids in `item._id` (a structured
    NodeId) and no longer reads `_nodeid`: the suffix is silently lost, every test becomes its own
    unit, and tests sharing a module fixture are spread over the workers, each building the
    fixture (the 267-CPU-second lever fact table was built on both workers). Upstream:
    pytest-dev/pytest-xdist issue 1386, pull request 1388 (open). After xdist's hook, this puts the
    suffix where pytest reads it, for the items that should have it and do not: a no-op wherever
    xdist's own suffix works."""

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config, items):
        if not getattr(config.option, "loadgroup", False):   # set on xdist workers only
            return
        for item in items:
            group = _xdist_group(item)
            if group is None or item.nodeid.endswith(f"@{group}"):
                continue
            node_id = getattr(item, "_id", None)
            if node_id is None or not hasattr(type(node_id), "parse"):
                raise pytest.UsageError(f"cannot give {item.nodeid} its xdist group {group}: "
                                        "this pytest stores node ids in a way tests/conftest.py does not know")
            item._id = type(node_id).parse(f"{item.nodeid}@{group}")


def pytest_configure(config):
    # a plugin object: this conftest already has its (tryfirst) pytest_collection_modifyitems
    config.pluginmanager.register(_GroupSuffix(), "shared-fixture-group-suffix")


def _build_dir(config) -> Path | None:
    """Under pytest-xdist, a folder all workers of this run share: the run's base temporary folder
    (each worker's is a subfolder of it), one subfolder per test run id. None without xdist."""
    uid = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    if not os.environ.get("PYTEST_XDIST_WORKER") or not uid or not config.option.basetemp:
        return None
    d = Path(config.option.basetemp).parent / f"shared-fixture-builds-{uid}"
    d.mkdir(exist_ok=True)
    return d


@pytest.hookimpl(tryfirst=True)
def pytest_fixture_setup(fixturedef, request):
    """Fail, before building it, a shared fixture that this test run has already built once."""
    if fixturedef not in request.config.stash.get(_SHARED, ()):
        return None
    where = request.node.nodeid if fixturedef.scope == "module" else "session"
    key = f"{where}::{fixturedef.argname}"
    me = f"worker {os.environ.get('PYTEST_XDIST_WORKER', 'main')} (pid {os.getpid()}) for {request._pyfuncitem.nodeid}"
    d = _build_dir(request.config)
    if d is None:
        first = request.config.stash.setdefault(_BUILT, {}).setdefault(key, me)
        if first is me:
            return None
    else:
        marker = d / re.sub(r"[^\w.-]+", "_", key)
        try:
            with open(marker, "x") as f:
                f.write(me)
            return None
        except FileExistsError:
            first = marker.read_text()
    try:
        pytest.fail(f"shared fixture {key} built a second time in this test run, by {me}; first built by "
                    f"{first}. Its tests are meant to run in one xdist group (tests/conftest.py): "
                    "something split them", pytrace=False)
    except pytest.fail.Exception as e:   # cached as pytest caches a fixture's own error: each test says why
        fixturedef.cached_result = (None, fixturedef.cache_key(request), (e, e.__traceback__))
        raise
