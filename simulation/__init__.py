"""peuplement: agent-based simulation of residential trajectories in French social housing.

    from simulation import load_scenario, HousingModel
    model = HousingModel(load_scenario("scenarios/baseline.yaml"), seed=3)
    model.run(); df = model.indicators()

or `run_scenario("baseline", seed=3)`. HousingModel (and Mesa behind it) is imported on first use,
so that `peuplement validate` and scenario tools start fast.
"""

from __future__ import annotations

from importlib import metadata as _metadata
from pathlib import Path

from .scenario import SCENARIO_DIR, ScenarioError, builtin, load_scenario

try:
    __version__ = _metadata.version("peuplement")
except _metadata.PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0+unknown"


def find_scenario(path_or_name: str | Path) -> Path:
    """A scenario file: an existing path, else a built-in scenario under scenarios/ by name
    ('baseline' or 'baseline.yaml'). Raises ScenarioError (one line) if neither exists."""
    from .scenario import _is_file

    p = Path(path_or_name)
    if _is_file(p):      # a name the file system refuses (too long, ...) is a one-line error
        return p
    if p.exists():
        raise ScenarioError(f"{p}: is not a file; give a scenario YAML file")
    name = str(path_or_name)
    if "/" not in name and "\\" not in name:
        b = builtin(name)
        if b.is_file():
            return b
    available = ", ".join(sorted(f.stem for f in SCENARIO_DIR.glob("*.yaml"))) or "none"
    raise ScenarioError(f"{name}: scenario file not found, and not a built-in scenario "
                        f"(built-in: {available})")


def run_scenario(path_or_name: str | Path, seed: int | None = None, years: int | None = None):
    """Load a scenario (path or built-in name), build the model and run its whole horizon."""
    from .model import HousingModel

    run = {}
    if seed is not None:
        run["seed"] = int(seed)
    if years is not None:
        run["years"] = int(years)
    sc = load_scenario(find_scenario(path_or_name), {"run": run} if run else None)
    model = HousingModel(sc)
    model.run()
    return model


def __getattr__(name: str):
    if name == "HousingModel":
        from .model import HousingModel
        return HousingModel
    raise AttributeError(f"module 'simulation' has no attribute {name!r}")


__all__ = ["load_scenario", "ScenarioError", "HousingModel", "run_scenario", "find_scenario", "__version__"]
