"""Checks that every dated lever falls within the simulated horizon.

A lever whose start (or a works date) comes after the last simulated month never acts: the run is
valid but silently identical to the scenario without it. `validate` and `run` say so, naming the
field, the date and the horizon (run.years, which `--years` overrides).
"""

from __future__ import annotations

from pydantic import BaseModel

from .checks import check
from .fmt import tr
from .schema import _DATE_RE, date_to_month

# fields holding the date a lever or an operation takes effect (an `end` after the horizon is fine)
EFFECT_DATES = ("start", "date", "announce", "demolish", "scoring_from")

def dated_fields(node, where: str = ""):
    """(dotted field, 'YYYY-MM') of every effect date in a validated scenario."""
    if isinstance(node, BaseModel):
        for name in type(node).model_fields:
            value = getattr(node, name)
            path = f"{where}.{name}" if where else name
            if name in EFFECT_DATES and isinstance(value, str) and _DATE_RE.match(value):
                yield path, value
            else:
                yield from dated_fields(value, path)
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from dated_fields(item, f"{where}[{i}]")


@check
def levers_within_horizon(sc) -> list[str]:
    """A lever dated after the last simulated month never applies."""
    last = sc.run.years * 12
    end_year = sc.run.start_year + sc.run.years - 1
    out = []
    for field, date in dated_fields(sc):
        m = date_to_month(date, sc.run.start_year)
        if m > last:
            years = (m + 11) // 12
            out.append(tr(
                f"{field}: {date} tombe après la fin de la simulation (décembre {end_year}, "
                f"run.years = {sc.run.years}) : ce levier ne s'applique jamais ; portez run.years "
                f"(ou --years) à {years} au moins, ou avancez la date",
                f"{field}: {date} is after the end of the run (December {end_year}, run.years = "
                f"{sc.run.years}): this lever never applies; set run.years (or --years) to at least "
                f"{years}, or bring the date forward"))
    return out

