"""peuplement: agent-based simulation of residential trajectories in French social housing.

    from simulation import load_scenario, HousingModel
    model = HousingModel(load_scenario("baseline", {"run.years": 10}), rng=3)
    model.run(); df = model.indicators()

or `run_scenario("baseline", seed=3)`. Scenarios are files or built-in names (`builtin_names()`);
overrides are nested mappings or dotted keys. HousingModel (and Mesa behind it) is imported on
first use, so that the command line and scenario tools start fast.
"""

from __future__ import annotations

from pathlib import Path

# Imported on first use (PEP 562), so that `peuplement --help` loads neither pydantic nor Mesa.
_LAZY = {"HousingModel": ".model", "load_scenario": ".scenario", "ScenarioError": ".scenario",
         "find_scenario": ".scenario", "builtin": ".scenario", "builtin_names": ".scenario",
         "SCENARIO_DIR": ".scenario"}


def _version() -> str:
    from importlib import metadata

    try:
        return metadata.version("peuplement")
    except metadata.PackageNotFoundError:  # running from a source tree without installing
        return "0+unknown"


def run_scenario(path_or_name: str | Path, seed: int | None = None, years: int | None = None):
    """Load a scenario (path or built-in name), build the model and run its whole horizon."""
    from .model import HousingModel
    from .scenario import load_scenario

    run = {}
    if seed is not None:
        run["seed"] = int(seed)
    if years is not None:
        run["years"] = int(years)
    sc = load_scenario(path_or_name, {"run": run} if run else None)
    model = HousingModel(sc)
    model.run()
    return model


def __getattr__(name: str):
    if name == "__version__":
        globals()["__version__"] = v = _version()
        return v
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'simulation' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY) | {"__version__"})


__all__ = ["load_scenario", "ScenarioError", "HousingModel", "run_scenario", "find_scenario", "builtin_names",
           "__version__"]
