"""The main levers as controls of the web view, and building a model from a preset.

A control shows the preset's value; touching it records an override for that field only, and the
model is rebuilt from the preset file plus those overrides (deep-merged, like `extends:`), so a
reset never loses the rest of the scenario.
"""

from __future__ import annotations

import collections
import functools
from dataclasses import dataclass
from typing import Any, Callable

from ..scenario import SCENARIO_DIR, load_scenario
from ..schema import Scenario
from .presets import BY_KEY

REPLAY_VACANCIES = 400     # recent vacancies kept for the commission replay (about a year here)


@dataclass(frozen=True)
class Lever:
    key: str
    kind: str                       # "switch" or "slider"
    label: dict                     # {"fr": ..., "en": ...}
    read: Callable[[Scenario], Any]  # the scenario's value
    write: Callable[[Scenario, Any], dict]   # the override for a new value
    lo: float = 0.0
    hi: float = 1.0
    step: float = 0.05
    unit: str = ""                  # "%" shows 0..1 as a percentage


def _lever_start(sc: Scenario) -> str:
    """Levers switched on in the view start two years into the run, as in the shipped scenarios."""
    return f"{sc.run.start_year + 2}-01"


def _qpv_names(sc: Scenario) -> list[str]:
    return [n.name for n in sc.territory.neighbourhoods if n.is_qpv]


LEVERS: tuple[Lever, ...] = (
    Lever("single_rent", "switch",
          {"fr": "Loyer unique au m² à la relocation", "en": "Single rent per m² at re-letting"},
          lambda sc: sc.rents.single_rent is not None,
          lambda sc, v: {"rents": {"single_rent": {"start": _lever_start(sc)} if v else None}}),
    Lever("choice_based_letting", "switch",
          {"fr": "Location choisie en QPV", "en": "Choice-based letting in QPV"},
          lambda sc: bool(sc.allocation.choice_based_letting),
          lambda sc, v: {"allocation": {"choice_based_letting": [
              {"start": _lever_start(sc), "neighbourhoods": _qpv_names(sc)}] if v else []}}),
    Lever("need_first", "switch",
          {"fr": "Cotation « besoin d'abord »", "en": "Need-first scoring"},
          lambda sc: sc.allocation.scoring is not None,
          lambda sc, v: {"allocation": {"scoring": None, "scoring_file": str(SCENARIO_DIR / "scoring" / "need_first.yaml"),
                                        "scoring_from": _lever_start(sc)} if v else {"scoring": None, "scoring_file": None}}),
    Lever("steering", "slider",
          {"fr": "Orientation des plus modestes vers les QPV par les commissions",
           "en": "Commissions steer the poorest to QPV"},
          lambda sc: sc.allocation.mix_rules.steering,
          lambda sc, v: {"allocation": {"mix_rules": {"steering": float(v)}}}, unit="%"),
    Lever("mix_strength", "slider",
          {"fr": "Application des règles de mixité", "en": "Mix rules applied"},
          lambda sc: sc.allocation.mix_rules.strength,
          lambda sc, v: {"allocation": {"mix_rules": {"strength": float(v)}}}, unit="%"),
    Lever("target_outside_qpv", "slider",
          {"fr": "Relogement : cible hors QPV", "en": "Rehousing: target outside QPV"},
          lambda sc: sc.rehousing.target_outside_qpv,
          lambda sc, v: {"rehousing": {"target_outside_qpv": float(v)}}, unit="%"),
    Lever("rent_reduction", "switch",
          {"fr": "Relogement : minoration de loyer ANRU dans le neuf ou le récent",
           "en": "Rehousing: ANRU rent reduction in new or recent dwellings"},
          lambda sc: sc.rehousing.rent_reduction is not None,
          lambda sc, v: {"rehousing": {"rent_reduction": {} if v else None}}),
)
BY_LEVER = {lv.key: lv for lv in LEVERS}


def deep_merge(a: dict, b: dict) -> dict:
    out = dict(a)
    for k, v in b.items():
        out[k] = deep_merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def preset_scenario(preset: str) -> Scenario:
    return load_scenario(BY_KEY[preset].path)


@functools.lru_cache(maxsize=32)
def _preset_values(preset: str, stamp: float) -> dict[str, Any]:
    return lever_values(preset_scenario(preset))


def preset_lever_values(preset: str) -> dict[str, Any]:
    """The preset's lever values, read once per version of its file (the page asks every frame)."""
    return dict(_preset_values(preset, BY_KEY[preset].path.stat().st_mtime))


def scenario_for(preset: str, changed: dict[str, Any]) -> Scenario:
    """The preset's scenario with the levers the user changed (and only those) overridden."""
    base = preset_scenario(preset)
    over: dict = {}
    for key, value in changed.items():
        over = deep_merge(over, BY_LEVER[key].write(base, value))
    return load_scenario(BY_KEY[preset].path, over) if over else base


def lever_values(sc: Scenario) -> dict[str, Any]:
    return {lv.key: lv.read(sc) for lv in LEVERS}


def build_model(preset: str, seed: int | None = None, changed: dict | None = None, replay: bool = True):
    """A model of the preset (with the changed levers) ready for the view: replay recording on."""
    from ..model import HousingModel

    model = HousingModel(scenario_for(preset, changed or {}), seed=seed)
    model.preset = preset
    if replay:
        model.allocator.replay = collections.deque(maxlen=REPLAY_VACANCIES)
    return model
