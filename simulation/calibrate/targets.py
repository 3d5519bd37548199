"""Calibration targets as data: observed figures in a YAML file, validated, with one-line errors.

A target file lists figures observed on a territory (national figures for the shipped
set `france`, an EPCI's own figures for a local calibration), each compared with one model
statistic of `simulation.calibrate.stats.STATISTICS`:

    name: france
    description: ...
    targets:
      - statistic: turnover_rate        # a name of stats.STATISTICS
        value: 0.093                    # the observed figure ...
        sd: 0.01                        # ... and its uncertainty (standard deviation, same unit)
        # or: interval: [0.14, 0.18]    # a 90 % range; sd defaults to its width / 3.29
        scale: territory                # territory, qpv or outside_qpv
        area: France
        period: "2016"                  # a year or a period "2017-2021"
        source: ANCOLS, La mobilité dans le parc social (2018)
        role: fit                       # fit (in the distance) or hold_out (checked after the fit)

Errors name the file, the field and the fix, in one line (French by default).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..fmt import tr
from ..scenario import ScenarioError, _read_yaml, _short, validation_problems
from .stats import STATISTICS

Z90 = 1.6448536269514722          # a 90 % interval is centre +- 1.645 sd


def _targets_dir() -> Path:
    """Folder of the shipped target sets: the package data `simulation.calibrate.targets_data`,
    which is the top-level calibration/targets/ folder of a checkout."""
    try:
        from importlib.resources import files
        return Path(str(files("simulation.calibrate.targets_data")))
    except ModuleNotFoundError:
        return Path(__file__).resolve().parents[2] / "calibration" / "targets"


TARGETS_DIR = _targets_dir()


class Target(BaseModel):
    """One observed figure and the model statistic it is compared with."""

    model_config = ConfigDict(extra="forbid")

    statistic: str = Field(description="name of the model statistic (simulation.calibrate.stats.STATISTICS)")
    value: float | None = Field(None, description="observed value")
    interval: tuple[float, float] | None = Field(None, description="observed 90 % range [low, high]")
    sd: float | None = Field(None, gt=0, description="uncertainty of the figure (standard deviation)")
    scale: Literal["territory", "qpv", "outside_qpv"] = "territory"
    area: str = Field("France", min_length=1, max_length=200)
    period: str = Field(min_length=4, max_length=40, description="year or period, e.g. 2022 or 2017-2021")
    source: str = Field(min_length=3, max_length=500, description="publisher, title and year")
    role: Literal["fit", "hold_out"] = "fit"
    note: str | None = Field(None, max_length=2000)

    @field_validator("period", mode="before")
    @classmethod
    def _period_text(cls, v):
        return str(v) if isinstance(v, int) else v

    @field_validator("statistic")
    @classmethod
    def _known(cls, v):
        if v not in STATISTICS:
            raise ValueError(f"unknown statistic '{v}'; use one of {', '.join(STATISTICS)}")
        return v

    @field_validator("value")
    @classmethod
    def _finite(cls, v):
        if v is not None and not math.isfinite(v):
            raise ValueError("must be a finite number")
        return v

    @field_validator("interval")
    @classmethod
    def _ordered(cls, v):
        if v is not None and not (math.isfinite(v[0]) and math.isfinite(v[1]) and v[0] < v[1]):
            raise ValueError("interval must be [low, high] with low < high")
        return v

    @model_validator(mode="after")
    def _one_of(self):
        if (self.value is None) == (self.interval is None):
            raise ValueError("give either value (with sd) or interval, not both and not neither")
        if self.value is not None and self.sd is None:
            raise ValueError("a value needs its sd (the uncertainty of the figure, same unit)")
        return self

    @property
    def observed(self) -> float:
        """The figure the model is compared with: the value, or the interval's middle."""
        return self.value if self.value is not None else 0.5 * (self.interval[0] + self.interval[1])

    @property
    def uncertainty(self) -> float:
        """Standard deviation used in the distance: sd, or the 90 % interval's half-width / 1.645."""
        if self.sd is not None:
            return self.sd
        return (self.interval[1] - self.interval[0]) / (2 * Z90)


class TargetSet(BaseModel):
    """A target file: a name, a description and its targets."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=120)
    description: str = ""
    targets: list[Target] = Field(min_length=1, max_length=200)

    @model_validator(mode="after")
    def _unique(self):
        seen = set()
        for t in self.targets:
            if t.statistic in seen:
                raise ValueError(f"statistic '{t.statistic}' appears twice; keep one target per statistic")
            seen.add(t.statistic)
        return self

    @property
    def fitted(self) -> list[Target]:
        return [t for t in self.targets if t.role == "fit"]

    @property
    def held_out(self) -> list[Target]:
        return [t for t in self.targets if t.role == "hold_out"]


_FR = {
    "give either value (with sd) or interval, not both and not neither":
        "donnez soit value (avec sd), soit interval, pas les deux ni aucun",
    "a value needs its sd (the uncertainty of the figure, same unit)":
        "une value demande son sd (l'incertitude du chiffre, même unité) ; ajoutez sd:",
    "interval must be [low, high] with low < high": "interval s'écrit [bas, haut] avec bas < haut",
    "must be a finite number": "doit être un nombre fini",
}


def _french(line: str) -> str:
    for en, fr in _FR.items():
        line = line.replace(en, fr)
    if "unknown statistic" in line:
        line = line.replace("unknown statistic", "statistique inconnue").replace("; use one of",
                                                                               " ; valeurs possibles :")
    if "appears twice; keep one target per statistic" in line:
        line = line.replace("statistic", "la statistique", 1).replace(
            "appears twice; keep one target per statistic", "apparaît deux fois ; gardez une cible par statistique")
    return line


def find_targets(path_or_name: str | Path, relative_to: Path | None = None) -> Path:
    """A target file: a path (relative to `relative_to`, the folder of the file naming it, if given),
    else a shipped target set by name ('france')."""
    p = Path(path_or_name)
    cands = [p] if p.is_absolute() or relative_to is None else [relative_to / p, p]
    for c in cands:
        if c.is_file():
            return c
    name = str(path_or_name)
    shipped = TARGETS_DIR / (name if name.endswith((".yaml", ".yml")) else f"{name}.yaml")
    if "/" not in name and shipped.is_file():
        return shipped
    avail = ", ".join(sorted(f.stem for f in TARGETS_DIR.glob("*.yaml"))) or tr("aucun", "none")
    raise ScenarioError(tr(f"{_short(cands[0])} : fichier de cibles introuvable, et pas un jeu de cibles "
                           f"fourni (fournis : {avail})",
                           f"{_short(cands[0])}: target file not found, and not a shipped target set "
                           f"(shipped: {avail})"))


def load_targets(path_or_name: str | Path, relative_to: Path | None = None) -> TargetSet:
    """Read and validate a target file; raises ScenarioError with one line naming file, field and fix."""
    path = find_targets(path_or_name, relative_to)
    data = _read_yaml(path, "targets")
    try:
        return TargetSet.model_validate(data)
    except ValidationError as e:
        lines = validation_problems(e, path, TargetSet)
        lines = [_french(x) if tr("fr", "en") == "fr" else x for x in lines]
        raise ScenarioError(lines[0], lines) from None
