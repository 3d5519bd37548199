"""Warnings on a scenario that validates but may not mean what its author wants.

A check is a function `(scenario) -> list[str]`, each string one line that names the field and says
what to change. Checks live beside the rule they guard (renewal rules, lever dates, parameter
ranges) and are registered with `@check`; `scenario_warnings` runs them all. `validate` prints the
warnings and still accepts the file; `run` prints them before starting.
"""

from __future__ import annotations

from typing import Callable

CHECKS: list[Callable] = []


def check(fn: Callable) -> Callable:
    """Register a scenario check (a function returning a list of one-line warnings)."""
    CHECKS.append(fn)
    return fn


def _load_checks() -> None:
    """Import the modules that register checks (kept here so there is one list to read)."""
    # each module below registers its checks with @check when imported
    from . import local_figures  # noqa: F401  (local figures; imported RPLS territories)
    from . import ranges  # noqa: F401  plausible ranges, dates outside the run
    from . import lever_dates  # noqa: F401  (levers dated after the horizon)
    from . import renewal_checks  # noqa: F401  (renewal works, occupancy review)
    from . import legal_checks  # noqa: F401
    from . import economy  # noqa: F401


def scenario_warnings(scenario) -> list[str]:
    """Every warning of every registered check, in registration order."""
    _load_checks()
    out: list[str] = []
    for fn in CHECKS:
        out.extend(fn(scenario))
    return out
