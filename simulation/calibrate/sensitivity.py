"""Global sensitivity analysis of the model (Morris screening, Sobol indices) with SALib.

Which parameters move which outputs? A YAML config names a base scenario, the parameters to vary
(dotted paths, as `peuplement run --set`, each with bounds inside the schema's and labelled as a
behavioural `assumption` or a policy `lever`), the outputs (indicators averaged over the last years
of each run and over several seeds) and the design (Morris trajectories, or Sobol base samples).

Every design point x seed is one run of the Dask ensemble runner (simulation.ensemble): the same
seeds at every point (common random numbers), each run published atomically under
`<out>/runs/pNNNNN-seedSSS/` and reused when the analysis is started again, so an interrupted
analysis resumes. The indices depend only on the config (SALib's sampling and bootstrap are seeded,
outputs are gathered in design order), so the same config gives the same table byte for byte
whatever the number of workers. The results (table, plots, design and raw outputs) are published
together into `<out>/results/`: complete or absent.

Levers and behavioural assumptions answer different questions (what a policy does vs what we do not
know about behaviour), so one analysis holds one kind unless the config sets `mix_kinds: true`;
the table groups them apart either way.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import shutil
import time
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field, ValidationError

from ..fmt import num, pct, tr
from ..rundir import prepare_resumable
from ..schema import Strict

MARKER = "sensitivity.json"         # marks an output folder as a sensitivity analysis (resumable)
POINT_FILE = "outputs.json"         # one run's yearly output values
KINDS = ("assumption", "lever")


class SensitivityError(Exception):
    """A problem the user can fix in a sensitivity config; str() is one line (file, field, fix)."""


# --------------------------------------------------------------------------------------- outputs
@dataclass(frozen=True)
class Output:
    """A model output: an indicator of the tidy table at one scale, yearly or monthly."""

    indicator: str
    scale: str
    period: str          # "year" (yearly rows) or "month" (monthly rows, averaged per year)
    fr: str
    en: str

    def label(self, lang: str | None = None) -> str:
        return tr(self.fr, self.en, lang)


OUTPUTS: dict[str, Output] = {
    "q1_share_allocations_outside_qpv": Output(
        "q1_share_allocations_outside_qpv", "territory", "year",
        "Attributions hors QPV au Q1 ou relogés", "Allocations outside QPV to Q1 or rehoused"),
    "q2q4_share_allocations_in_qpv": Output(
        "q2q4_share_allocations_in_qpv", "territory", "year",
        "Attributions en QPV aux Q2-Q4", "Allocations in QPV to Q2-Q4"),
    "priority_share_allocations": Output(
        "priority_share_allocations", "territory", "year",
        "Attributions aux ménages prioritaires", "Allocations to priority households"),
    "q1_share_allocations_qpv": Output(
        "q1_share_allocations", "qpv", "year",
        "Part du Q1 dans les attributions en QPV", "Q1 share of allocations in QPV"),
    "q1_share_tenants_qpv": Output(
        "q1_share_tenants", "qpv", "month",
        "Part du Q1 parmi les locataires en QPV", "Q1 share of tenants in QPV"),
    "q1_share_tenants_outside_qpv": Output(
        "q1_share_tenants", "outside_qpv", "month",
        "Part du Q1 parmi les locataires hors QPV", "Q1 share of tenants outside QPV"),
    "dissimilarity_q1": Output(
        "dissimilarity_q1", "neighbourhood", "month",
        "Dissimilarité du Q1 entre quartiers", "Q1 dissimilarity across neighbourhoods"),
    "wait_months_median": Output(
        "wait_months_median", "territory", "year",
        "Délai médian d'attente (mois)", "Median wait (months)"),
    "refusal_rate": Output("refusal_rate", "territory", "year", "Taux de refus des propositions",
                           "Offer refusal rate"),
    "turnover_rate": Output("turnover_rate", "territory", "year", "Taux de rotation", "Turnover rate"),
    "vacancy_rate": Output("vacancy_rate", "territory", "month", "Taux de vacance", "Vacancy rate"),
}


# ---------------------------------------------------------------------------------------- config
class ParameterConfig(Strict):
    field: str = Field(min_length=1, max_length=300, description="dotted path, as `run --set`")
    low: float
    high: float
    kind: Literal["assumption", "lever"] = Field(description="behavioural assumption or policy lever")
    label: str | None = Field(None, max_length=120, description="short name for tables and plots")


class MorrisConfig(Strict):
    trajectories: int = Field(10, ge=2, le=1000)
    levels: int = Field(4, ge=2, le=20)


class SobolConfig(Strict):
    n: int = Field(64, ge=2, le=65536, description="base samples (a power of two)")
    second_order: bool = False


class SensitivityFile(Strict):
    """The YAML config of `peuplement sensitivity`."""

    name: str = Field("sensitivity", min_length=1, max_length=120)
    scenario: str = Field(min_length=1, max_length=4096,
                          description="base scenario: a path relative to this file, or a built-in name")
    set: dict[str, typing.Any] = Field(default_factory=dict,
                                       description="fixed overrides of the base scenario (as --set)")
    method: Literal["morris", "sobol"] = "morris"
    morris: MorrisConfig = MorrisConfig()
    sobol: SobolConfig = SobolConfig()
    years: int | None = Field(None, ge=1, le=100, description="horizon of each run (run.years)")
    last_years: int = Field(5, ge=1, le=100, description="outputs averaged over the last N years")
    seeds: int = Field(2, ge=1, le=100, description="seeds per design point, the same at every point")
    seed: int = Field(1, ge=0, le=2**31 - 1, description="first seed; also seeds SALib's sampling")
    mix_kinds: bool = Field(False, description="allow levers and assumptions in one analysis")
    resamples: int = Field(200, ge=10, le=10000, description="bootstrap resamples for the intervals")
    conf_level: float = Field(0.95, gt=0.5, lt=1.0)
    parameters: list[ParameterConfig] = Field(min_length=1, max_length=50)
    outputs: list[str] = Field(min_length=1, max_length=len(OUTPUTS))


@dataclass(frozen=True)
class Parameter:
    field: str
    low: float
    high: float
    kind: str
    label: str
    integer: bool


@dataclass
class Config:
    """A checked sensitivity config, its base scenario resolved."""

    path: Path
    name: str
    method: str
    trajectories: int
    levels: int
    n: int
    second_order: bool
    last_years: int
    seeds: list[int]
    seed: int
    resamples: int
    conf_level: float
    parameters: list[Parameter]
    outputs: list[str]
    base_raw: dict               # the validated base scenario, JSON-able, years set
    scenario_path: Path
    years: int

    @property
    def problem(self) -> dict:
        """SALib's problem: names and bounds."""
        return {"num_vars": len(self.parameters), "names": [p.field for p in self.parameters],
                "bounds": [[p.low, p.high] for p in self.parameters]}

    def digest(self) -> str:
        blob = json.dumps({k: v for k, v in self.__dict__.items() if k not in ("path", "scenario_path")},
                          sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _where(path: Path, field: str) -> str:
    return f"{path}: {field}"


def load_config(path: str | Path) -> Config:
    """Read and check a sensitivity config; SensitivityError (one line) on any problem."""
    from ..scenario import (ScenarioError, _read_yaml, find_scenario, format_validation_error,
                            load_scenario)

    path = Path(path)
    if not path.is_file():
        raise SensitivityError(f"{path}: " + tr(
            "fichier de configuration introuvable ; vérifiez le chemin (exemple fourni : "
            "calibration/france_sensitivity.yaml)",
            "config file not found; check the path (shipped example: calibration/france_sensitivity.yaml)"))
    try:
        raw = _read_yaml(path, "sensitivity")
    except ScenarioError as e:
        raise SensitivityError(str(e)) from None
    try:
        f = SensitivityFile.model_validate(raw)
    except ValidationError as e:
        raise SensitivityError(format_validation_error(e, path, SensitivityFile)) from None

    for i, o in enumerate(f.outputs):
        if o not in OUTPUTS:
            raise SensitivityError(_where(path, f"outputs[{i}]") + ": " + tr(
                f"sortie inconnue '{o}' ; sorties possibles : {', '.join(OUTPUTS)}",
                f"unknown output '{o}'; use one of {', '.join(OUTPUTS)}"))
    if len(set(f.outputs)) != len(f.outputs):
        raise SensitivityError(_where(path, "outputs") + ": " + tr(
            "une sortie est nommée deux fois ; gardez-la une fois", "an output is named twice; keep it once"))
    fields = [p.field for p in f.parameters]
    for i, p in enumerate(f.parameters):
        if fields.index(p.field) != i:
            raise SensitivityError(_where(path, f"parameters[{i}].field") + ": " + tr(
                f"{p.field} est déjà dans parameters ; gardez-le une fois",
                f"{p.field} is already in parameters; keep it once"))
    kinds = {p.kind for p in f.parameters}
    if len(kinds) > 1 and not f.mix_kinds:
        levers = ", ".join(p.field for p in f.parameters if p.kind == "lever")
        raise SensitivityError(_where(path, "parameters") + ": " + tr(
            f"mélange des leviers ({levers}) et des hypothèses de comportement ; faites deux analyses, "
            "ou ajoutez mix_kinds: true pour les garder ensemble",
            f"mixes levers ({levers}) and behavioural assumptions; run two analyses, or add "
            "mix_kinds: true to keep them together"))
    if f.method == "sobol" and f.sobol.n & (f.sobol.n - 1):
        p2 = 2 ** round(math.log2(f.sobol.n))
        raise SensitivityError(_where(path, "sobol.n") + ": " + tr(
            f"{f.sobol.n} n'est pas une puissance de deux (la suite de Sobol' l'exige) ; mettez par ex. {p2}",
            f"{f.sobol.n} is not a power of two (Sobol' sequences need one); use e.g. {p2}"))

    try:
        sc_path = path.parent / f.scenario
        sc_path = sc_path if sc_path.is_file() else find_scenario(f.scenario)
        overrides = dict(f.set)
        if f.years is not None:
            overrides["run.years"] = f.years
        base = load_scenario(sc_path, overrides or None, overrides_label=f"{path}: set")
    except ScenarioError as e:
        raise SensitivityError(_where(path, "scenario") + ": " + str(e)) from None
    years = int(base.run.years)
    if f.last_years > years:
        raise SensitivityError(_where(path, "last_years") + ": " + tr(
            f"{f.last_years} ans, plus que la durée des simulations ({years} ans) ; mettez au plus {years}",
            f"{f.last_years} years, more than the runs' horizon ({years} years); use at most {years}"))

    params = [_check_parameter(path, i, p, base) for i, p in enumerate(f.parameters)]
    base_raw = base.model_dump(mode="json")
    return Config(path=path, name=f.name, method=f.method, trajectories=f.morris.trajectories,
                  levels=f.morris.levels, n=f.sobol.n, second_order=f.sobol.second_order,
                  last_years=f.last_years, seeds=[f.seed + k for k in range(f.seeds)], seed=f.seed,
                  resamples=f.resamples, conf_level=f.conf_level, parameters=params,
                  outputs=list(f.outputs), base_raw=base_raw, scenario_path=Path(sc_path), years=years)


def _split(field: str) -> list:
    from ..scenario import _split_key
    return _split_key(field)


def schema_bounds(scenario, field: str) -> tuple[float | None, bool, float | None, bool, bool]:
    """(low, low included, high, high included, integer) of a numeric field of `scenario` (a
    validated Scenario), read from the schema's constraints; ValueError with a French/English reason
    when the path names no numeric field or an inactive lever."""
    from pydantic.fields import FieldInfo

    from ..schema_doc import constraints, tightest_bounds

    parts = _split(field)
    node, parent_model, fname, item_of = scenario, None, None, None
    for k, part in enumerate(parts):
        here = ".".join(str(p) for p in parts[:k + 1])
        if isinstance(part, int):
            if not isinstance(node, list) or not -len(node) <= part < len(node):
                raise ValueError(tr(f"{here} : pas d'élément {part} ici", f"{here}: no item {part} here"))
            item_of, node = (parent_model, fname), node[part]
            continue
        if node is None:
            prev = ".".join(str(p) for p in parts[:k])
            raise ValueError(tr(f"le levier {prev} n'est pas actif dans le scénario de base ; activez-le "
                                "dans le scénario (ou par set:) avant d'en faire varier un champ",
                                f"lever {prev} is not active in the base scenario; switch it on in the "
                                "scenario (or with set:) before varying one of its fields"))
        if not isinstance(node, BaseModel) or part not in type(node).model_fields:
            allowed = ", ".join(type(node).model_fields) if isinstance(node, BaseModel) else ""
            raise ValueError(tr(f"champ inconnu '{part}' dans {here}" + (f" ; champs permis ici : {allowed}" if allowed else ""),
                                f"unknown field '{part}' in {here}" + (f"; allowed here: {allowed}" if allowed else "")))
        parent_model, fname, item_of = type(node), part, None
        node = getattr(node, part)
    if isinstance(node, bool) or not isinstance(node, (int, float)):
        raise ValueError(tr(f"{field} n'est pas un nombre ({type(node).__name__}) ; seuls les champs "
                            "numériques peuvent varier",
                            f"{field} is not a number ({type(node).__name__}); only numeric fields can vary"))
    info: FieldInfo = (item_of or (parent_model, fname))[0].model_fields[(item_of or (parent_model, fname))[1]]
    meta = list(info.metadata)
    if item_of is not None:          # an item of a list: the item type's own constraints
        meta = []

        def gather(t):
            if typing.get_origin(t) is typing.Annotated:
                for m in typing.get_args(t)[1:]:
                    meta.extend(m.metadata if isinstance(m, FieldInfo) else [m])
            for a in typing.get_args(t):
                gather(a)
        for a in typing.get_args(info.annotation):
            gather(a)
    return (*tightest_bounds(constraints(meta)), isinstance(node, int))


def _range_text(lo, lo_in, hi, hi_in) -> str:
    a = "[" if lo_in else "]"
    b = "]" if hi_in else "["
    return f"{a}{'-∞' if lo is None else num(lo, 6).rstrip('0').rstrip(',.')}, " \
           f"{'+∞' if hi is None else num(hi, 6).rstrip('0').rstrip(',.')}{b}"


def _check_parameter(path: Path, i: int, p: ParameterConfig, base) -> Parameter:
    where = _where(path, f"parameters[{i}]") + f" ({p.field})"
    try:
        lo, lo_in, hi, hi_in, integer = schema_bounds(base, p.field)
    except ValueError as e:
        raise SensitivityError(f"{where}: {e}") from None
    if not p.low < p.high:
        raise SensitivityError(f"{where}: " + tr(
            f"low ({num(p.low, 4)}) doit être inférieur à high ({num(p.high, 4)}) ; échangez-les ou élargissez",
            f"low ({p.low}) must be below high ({p.high}); swap or widen them"))
    rng = _range_text(lo, lo_in, hi, hi_in)
    for side, v in (("low", p.low), ("high", p.high)):
        below = lo is not None and (v < lo or (v == lo and not lo_in))
        above = hi is not None and (v > hi or (v == hi and not hi_in))
        if below or above:
            raise SensitivityError(f"{where}: " + tr(
                f"{side} = {num(v, 6).rstrip('0').rstrip(',')} est hors des bornes du schéma {rng} ; "
                f"choisissez {side} dans {rng}",
                f"{side} = {v} is outside the schema's bounds {rng}; choose {side} within {rng}"))
    return Parameter(p.field, float(p.low), float(p.high), p.kind, p.label or p.field, integer)


# ---------------------------------------------------------------------------------------- design
def sample(cfg: Config) -> np.ndarray:
    """The design (points x parameters), seeded by the config: the same config, the same design."""
    if cfg.method == "morris":
        from SALib.sample import morris as morris_sample
        return morris_sample.sample(cfg.problem, N=cfg.trajectories, num_levels=cfg.levels, seed=cfg.seed)
    from SALib.sample import sobol as sobol_sample
    return sobol_sample.sample(cfg.problem, cfg.n, calc_second_order=cfg.second_order, scramble=True,
                               seed=cfg.seed)


def applied_values(cfg: Config, x: np.ndarray) -> list:
    """The values set in the scenario for one design row (integer fields rounded)."""
    return [int(round(v)) if p.integer else float(v) for p, v in zip(cfg.parameters, x)]


def point_specs(cfg: Config, X: np.ndarray):
    """One RunSpec per design point and seed; key `pNNNNN-seedSSS`, raw = the base scenario with the
    point's values (its name unchanged: runs depend on values and seed only)."""
    from ..ensemble import RunSpec
    from ..scenario import apply_overrides

    specs = []
    for i, x in enumerate(X):
        raw = apply_overrides(cfg.base_raw, dict(zip((p.field for p in cfg.parameters), applied_values(cfg, x))),
                              "parameters")
        for s in cfg.seeds:
            r = dict(raw)
            r["run"] = {**raw["run"], "seed": int(s)}
            specs.append(RunSpec(f"p{i:05d}", int(s), r))
    return specs


# ----------------------------------------------------------------------------------------- runs
def publish_point(root: str | Path, spec, values: dict, seconds: float = 0.0) -> None:
    """Write one run's output values atomically into `<root>/runs/<key>/` (manifest last)."""
    from ..ensemble import MANIFEST, run_dir
    from ..rundir import publish_dir

    # force: a stale folder of the same key from other inputs is replaced
    with publish_dir(run_dir(Path(root), spec), force=True) as rd:
        (rd.tmp / POINT_FILE).write_text(json.dumps(values, sort_keys=True) + "\n", encoding="utf-8")
        (rd.tmp / MANIFEST).write_text(json.dumps({"scenario": spec.scenario, "seed": spec.seed,
                                                   "digest": spec.digest,
                                                   "seconds": round(seconds, 3)}) + "\n", encoding="utf-8")


def yearly_outputs(ind: pd.DataFrame) -> dict:
    """Every known output by calendar year: {output: {year: value}} (monthly ones averaged per year)."""
    out = {}
    for name, o in OUTPUTS.items():
        s = ind[(ind["indicator"] == o.indicator) & (ind["scale"] == o.scale) & (ind["period"] == o.period)]
        by = s.groupby("year")["value"].mean()
        out[name] = {str(int(y)): (float(v) if np.isfinite(v) else None) for y, v in by.items()}
    return out


def run_point(spec, root: str) -> dict:
    """Run the model for one design point and seed; publish its yearly outputs."""
    from ..model import HousingModel
    from ..schema import Scenario

    t0 = time.perf_counter()
    model = HousingModel(Scenario.model_validate(spec.raw))
    model.run()
    values = yearly_outputs(model.indicators())
    secs = time.perf_counter() - t0
    publish_point(root, spec, values, secs)
    return {"key": spec.key, "seconds": secs}


def analytic_point(spec, root: str, fields: tuple, lows: tuple, highs: tuple, weights: dict) -> dict:
    """A cheap stand-in for the model, to check the pipeline against known indices: each output is
    sum_i w_i * u_i (u_i the parameter rescaled to [0, 1]), the same every year; Morris mu* is then
    w_i and Sobol's S1 = ST = w_i^2 / sum w_j^2."""
    from ..scenario import _split_key

    u = []
    for f, lo, hi in zip(fields, lows, highs):
        node = spec.raw
        for part in _split_key(f):
            node = node[part]
        u.append((float(node) - lo) / (hi - lo))
    values = {o: {"2025": float(sum(w * x for w, x in zip(ws, u)))} for o, ws in weights.items()}
    publish_point(root, spec, values)
    return {"key": spec.key, "seconds": 0.0}


def read_point(root: Path, spec) -> dict:
    from ..ensemble import run_dir
    return json.loads((run_dir(root, spec) / POINT_FILE).read_text(encoding="utf-8"))


def model_outputs(cfg: Config, specs, root: Path) -> tuple[np.ndarray, pd.DataFrame]:
    """(Y: points x outputs, mean over seeds of each output's mean over the last years; the raw
    per-run table). Read in design order, so the result does not depend on completion order."""
    rows = []
    for s in specs:
        vals = read_point(root, s)
        row = {"point": int(s.scenario[1:]), "seed": s.seed}
        for o in cfg.outputs:
            by_year = vals.get(o, {})
            years = sorted(by_year, key=int)[-cfg.last_years:]
            v = [by_year[y] for y in years if by_year[y] is not None]
            row[o] = float(np.mean(v)) if v else float("nan")
        rows.append(row)
    raw = pd.DataFrame(rows)
    Y = raw.groupby("point", sort=True)[cfg.outputs].mean().to_numpy(float)
    return Y, raw


# -------------------------------------------------------------------------------------- analysis
def seed_noise(cfg: Config, raw: pd.DataFrame | None) -> dict[str, float]:
    """Per output, the standard deviation of a point's mean over seeds that is seed noise alone
    (pooled within-point spread / sqrt(seeds)); NaN with one seed."""
    if raw is None or len(cfg.seeds) < 2:
        return {o: float("nan") for o in cfg.outputs}
    var = raw.groupby("point")[cfg.outputs].var(ddof=1).mean()
    return {o: float(np.sqrt(var[o] / len(cfg.seeds))) for o in cfg.outputs}


def analyse(cfg: Config, X: np.ndarray, Y: np.ndarray, raw: pd.DataFrame | None = None) -> pd.DataFrame:
    """The indices per output x parameter, ranked within each output and kind (rank 1 = most
    influential). Morris: mu_star, mu_star_conf, mu, sigma; Sobol: S1, S1_conf, ST, ST_conf. An
    output with missing values at some point gets NaN indices (it is named, not dropped).

    With several seeds, two noise columns say what seed noise alone would give: `noise_var_share`,
    the share of the output's variance over the design that is seed noise, and for Morris
    `mu_star_noise`, the μ* of a parameter that changes nothing but the random path (the mean
    absolute difference of two noisy point means over one grid step): a μ* near it is noise."""
    noise = seed_noise(cfg, raw)
    step = cfg.levels / (2 * (cfg.levels - 1))          # SALib's Morris grid step, in unit range
    rows, pairs = [], []
    for j, o in enumerate(cfg.outputs):
        y = Y[:, j]
        ok = bool(np.all(np.isfinite(y)))
        res = None
        if ok:
            if cfg.method == "morris":
                from SALib.analyze import morris
                res = morris.analyze(cfg.problem, X, y, num_resamples=cfg.resamples,
                                     conf_level=cfg.conf_level, num_levels=cfg.levels, seed=cfg.seed)
            else:
                from SALib.analyze import sobol
                res = sobol.analyze(cfg.problem, y, calc_second_order=cfg.second_order,
                                    num_resamples=cfg.resamples, conf_level=cfg.conf_level, seed=cfg.seed)
        keys = ("mu_star", "mu_star_conf", "mu", "sigma") if cfg.method == "morris" else \
            ("S1", "S1_conf", "ST", "ST_conf")
        for i, p in enumerate(cfg.parameters):
            r = {"output": o, "parameter": p.field, "label": p.label, "kind": p.kind}
            for k in keys:
                r[k] = float(np.asarray(res[k])[i]) if res is not None else float("nan")
            if cfg.method == "morris":
                r["mu_star_noise"] = 2 / math.sqrt(math.pi) * noise[o] / step
            var = float(np.var(y, ddof=1)) if ok and len(y) > 1 else float("nan")
            r["noise_var_share"] = noise[o] ** 2 / var if var > 0 else float("nan")
            rows.append(r)
        if cfg.method == "sobol" and cfg.second_order:
            k = len(cfg.parameters)
            for a in range(k):
                for b in range(a + 1, k):
                    pairs.append({"output": o, "parameter_a": cfg.parameters[a].field,
                                  "parameter_b": cfg.parameters[b].field,
                                  "S2": float(res["S2"][a, b]) if res is not None else float("nan"),
                                  "S2_conf": float(res["S2_conf"][a, b]) if res is not None else float("nan")})
    df = pd.DataFrame(rows)
    key = "mu_star" if cfg.method == "morris" else "ST"
    df["rank"] = (df.groupby(["output", "kind"])[key].rank(ascending=False, method="first")
                  .fillna(0).astype(int))
    order = {o: i for i, o in enumerate(cfg.outputs)}
    df = df.assign(_o=df["output"].map(order), _k=df["kind"].map({"assumption": 0, "lever": 1}),
                   _v=-df[key].fillna(-np.inf))
    df = df.sort_values(["_o", "_k", "_v", "parameter"], kind="mergesort").drop(columns=["_o", "_k", "_v"])
    df = df.reset_index(drop=True)
    if pairs:
        df.attrs["second_order"] = pd.DataFrame(pairs)     # Sobol S2 per pair of parameters
    return df


# ---------------------------------------------------------------------------------------- writing
def _csv(df: pd.DataFrame, path: Path) -> None:
    """A table as CSV readable by a French spreadsheet (';', decimal comma, UTF-8 with BOM), and
    a plain one (',' and '.') for scripts, both byte-stable."""
    df.to_csv(path, sep=";", decimal=",", index=False, encoding="utf-8-sig", float_format="%.10g")
    df.to_csv(path.with_name(path.stem + ".plain.csv"), index=False, float_format="%.17g")


def write_results(cfg: Config, X: np.ndarray, Y: np.ndarray, raw: pd.DataFrame, table: pd.DataFrame,
                  folder: Path, lang: str) -> None:
    """Table, design, raw outputs, config and plots into `folder`."""
    from .sensitivity_plots import plot_morris, plot_sobol

    _csv(table, folder / "indices.csv")
    if "second_order" in table.attrs:
        _csv(table.attrs["second_order"], folder / "indices_second_order.csv")
    design = pd.DataFrame(X, columns=[p.field for p in cfg.parameters])
    design.insert(0, "point", range(len(X)))
    applied = pd.DataFrame([applied_values(cfg, x) for x in X],
                           columns=[f"{p.field} (applied)" for p in cfg.parameters])
    pd.concat([design, applied], axis=1).to_csv(folder / "design.csv", index=False, float_format="%.17g")
    raw.to_csv(folder / "outputs_by_run.csv", index=False, float_format="%.17g")
    means = pd.DataFrame(Y, columns=cfg.outputs)
    means.insert(0, "point", range(len(Y)))
    means.to_csv(folder / "outputs_by_point.csv", index=False, float_format="%.17g")
    (folder / "problem.json").write_text(json.dumps(
        {"method": cfg.method, "problem": cfg.problem, "kinds": [p.kind for p in cfg.parameters],
         "seeds": cfg.seeds, "last_years": cfg.last_years, "years": cfg.years,
         "levels": cfg.levels if cfg.method == "morris" else None,
         "trajectories": cfg.trajectories if cfg.method == "morris" else None,
         "n": cfg.n if cfg.method == "sobol" else None,
         "second_order": cfg.second_order if cfg.method == "sobol" else None,
         "salib_seed": cfg.seed, "resamples": cfg.resamples, "conf_level": cfg.conf_level,
         "scenario": cfg.base_raw.get("name")}, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    shutil.copyfile(cfg.path, folder / "config.yaml")
    from ..scenario import scenario_to_yaml
    from ..schema import Scenario
    (folder / "base_scenario.yaml").write_text(scenario_to_yaml(Scenario.model_validate(cfg.base_raw)),
                                               encoding="utf-8")
    labels = {o: OUTPUTS[o].label(lang) for o in cfg.outputs}
    if cfg.method == "morris":
        plot_morris(table, labels, folder / "morris.png", lang, cfg.conf_level)
    else:
        plot_sobol(table, labels, folder / "sobol.png", lang, cfg.conf_level)


# ----------------------------------------------------------------------------------------- runner
@dataclass
class SensitivityResult:
    out: Path
    results: Path
    table: pd.DataFrame
    runs: int
    ran: int
    reused: int
    seconds: float
    failures: list


def prepare_out(out: Path) -> None:
    """The output folder is new, empty, or an earlier sensitivity analysis (then resumed)."""
    prepare_resumable(out, MARKER, ("une analyse de sensibilité antérieure",
                                    "an earlier sensitivity analysis"), SensitivityError)


def default_out(cfg: Config) -> Path:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in cfg.name)[:60].strip(".") or "sensitivity"
    return Path("outputs") / f"sensitivity-{safe}-{cfg.method}"


def run_sensitivity(cfg: Config, out: Path | None = None, workers: int | None = None,
                    scheduler: str | None = None, progress: bool = False, lang: str = "fr",
                    runner: Callable | None = None) -> SensitivityResult:
    """Sample, run every point x seed not already done under `out` (on Dask), analyse, publish
    `<out>/results/`. A failed run is reported and no indices are written; rerunning resumes."""
    from ..ensemble import run_ensemble
    from ..rundir import publish_dir, publish_file

    out = Path(out) if out is not None else default_out(cfg)
    prepare_out(out)
    X = sample(cfg)
    specs = point_specs(cfg, X)
    marker = {"config": str(cfg.path), "digest": cfg.digest(), "method": cfg.method,
              "points": int(len(X)), "runs": len(specs)}
    publish_file(out / MARKER, lambda f: f.write_text(json.dumps(marker, indent=1) + "\n", encoding="utf-8"))
    res = run_ensemble(specs, out, workers=workers, scheduler=scheduler, progress=progress,
                       runner=runner or run_point,
                       label=tr("Analyse de sensibilité", "Sensitivity analysis"))
    table = pd.DataFrame()
    results = out / "results"
    if not res.failures:
        Y, raw = model_outputs(cfg, specs, out)
        table = analyse(cfg, X, Y, raw)
        with publish_dir(results, force=True) as rd:
            write_results(cfg, X, Y, raw, table, rd.tmp, lang)
    return SensitivityResult(out, results, table, len(specs), res.ran, res.reused, res.seconds,
                             res.failures)


def analytic_runner(cfg: Config, weights: dict) -> Callable:
    """The analytic stand-in bound to a config's parameters (picklable, for Dask workers)."""
    return functools.partial(analytic_point, fields=tuple(p.field for p in cfg.parameters),
                             lows=tuple(p.low for p in cfg.parameters),
                             highs=tuple(p.high for p in cfg.parameters), weights=weights)


# ----------------------------------------------------------------------------------------- display
def print_table(console, cfg: Config, table: pd.DataFrame, lang: str) -> None:
    """The ranked indices as rich tables, one per output, levers apart from assumptions."""
    from rich.table import Table

    kind_word = {"assumption": tr("hypothèse", "assumption", lang), "lever": tr("levier", "lever", lang)}
    for o in cfg.outputs:
        sub = table[table["output"] == o]
        t = Table(title=f"{OUTPUTS[o].label(lang)} — " + (
            tr("Morris : effet moyen absolu μ* et dispersion σ", "Morris: mean absolute effect μ* and spread σ", lang)
            if cfg.method == "morris" else
            tr("Sobol : indices du premier ordre S1 et totaux ST", "Sobol: first-order S1 and total ST indices", lang)),
            title_justify="left")
        t.add_column(tr("Rang", "Rank", lang), justify="right")
        t.add_column(tr("Paramètre", "Parameter", lang))
        t.add_column(tr("Nature", "Kind", lang))
        ci = num(100 * cfg.conf_level, 0, lang)
        if cfg.method == "morris":
            t.add_column("μ*", justify="right")
            t.add_column(tr(f"± IC {ci} %", f"± {ci}% CI", lang), justify="right")
            t.add_column("σ", justify="right")
        else:
            t.add_column("S1", justify="right")
            t.add_column(tr(f"± IC {ci} %", f"± {ci}% CI", lang), justify="right")
            t.add_column("ST", justify="right")
            t.add_column(tr(f"± IC {ci} %", f"± {ci}% CI", lang), justify="right")
        for _, r in sub.iterrows():
            if cfg.method == "morris":
                cells = [num(r["mu_star"], 4, lang), num(r["mu_star_conf"], 4, lang), num(r["sigma"], 4, lang)]
            else:
                cells = [num(r["S1"], 3, lang), num(r["S1_conf"], 3, lang), num(r["ST"], 3, lang),
                         num(r["ST_conf"], 3, lang)]
            t.add_row(str(r["rank"]), str(r["label"]), kind_word[r["kind"]], *cells)
        console.print(t)
        if len(sub) and np.isfinite(sub["noise_var_share"].iloc[0]):
            share = pct(sub["noise_var_share"].iloc[0], 0, lang)
            if cfg.method == "morris":
                floor = num(sub["mu_star_noise"].iloc[0], 4, lang)
                console.print(tr(f"Bruit des graines : μ* ≈ {floor} pour un paramètre qui ne ferait que changer "
                                 f"le tirage ; {share} de la variance entre points", f"Seed noise: μ* ≈ {floor} "
                                 f"for a parameter that only changed the random path; {share} of the variance "
                                 "across points", lang), highlight=False)
            else:
                console.print(tr(f"Bruit des graines : {share} de la variance entre points",
                                 f"Seed noise: {share} of the variance across points", lang), highlight=False)
