"""Bayesian calibration by ABC-SMC (pyabc) on Dask: `peuplement calibrate CONFIG.yaml`.

A configuration file names a base scenario, priors over some of its parameters (dotted paths, as
with `--set`; the schema's bounds are the outer limits), a target file, and the budget (population
size, generations, seeds per particle, run length). Each particle's parameters are written into
the base scenario, simulated over `seeds_per_particle` seeds on Dask, and summarised by the
statistics of `stats`, averaged over the last `last_years` years; the distance to the observed
figures is the sum of squared standardised differences over the fitted targets,
sum(((simulated - observed) / sd)^2).

Determinism: pyabc draws proposals from numpy's global generator. The sampler here seeds it from
(configuration seed, generation), draws a batch of proposals without simulating them, runs the batch
on Dask (results in proposal order), then rewinds the generator and replays the same proposals with
the results. The sequence of proposals, their simulation seeds (from the configuration seed, the
generation and the proposal's rank) and the acceptances therefore depend only on the
configuration: not on the number of workers, the batch sizes or the order in which runs finish.

Resume: pyabc's SQLite history (`abc.db`) is kept in the output folder; running the same command
again continues after the last finished generation (a configuration whose priors, targets, base or
run settings changed is refused; `generations` and `min_epsilon` may be raised to go on).

Outputs (docs/calibration.md): the posterior (`posterior.csv`/`.parquet`), diagnostics per
generation (epsilon, simulations, acceptance rate, effective sample size), figures (marginals,
pairs), the posterior median and a posterior sample as scenario files that `extends:` the base
scenario, and the posterior predictive fit of every target (fitted and held out).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import signal
import threading
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..fmt import num, pct, tr
from ..scenario import (ScenarioError, _read_yaml, _short, apply_overrides, find_scenario,
                        resolve_raw, validate_raw, validation_problems, SCENARIO_DIR)
from . import stats
from .targets import TargetSet, load_targets

BIG = 1e12                 # distance of a run whose statistic is missing (never accepted)
DB = "abc.db"
STATE = "calibration.json"


# ------------------------------------------------------------------------------ configuration
class Prior(BaseModel):
    """A prior over one parameter: uniform between two values."""

    model_config = ConfigDict(extra="forbid")

    uniform: tuple[float, float]

    @field_validator("uniform")
    @classmethod
    def _ordered(cls, v):
        if not (math.isfinite(v[0]) and math.isfinite(v[1]) and v[0] < v[1]):
            raise ValueError("uniform must be [low, high] with low < high")
        return v


class CalibrationConfig(BaseModel):
    """The calibration file (docs/calibration.md)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=80)
    description: str = ""
    base: str = Field("baseline", description="scenario calibrated: a file relative to this one, or a built-in name")
    targets: str = Field("france", description="target file relative to this one, or a shipped target set")
    set: dict[str, Any] = Field(default_factory=dict, description="fixed changes to the base scenario (as --set)")
    priors: dict[str, Prior] = Field(min_length=1, max_length=30)
    years: int = Field(10, ge=1, le=100, description="years simulated per run (after the spin-up)")
    last_years: int = Field(5, ge=1, le=100, description="statistics averaged over the last years")
    seed: int = Field(1, ge=0, le=2**31 - 1)
    seeds_per_particle: int = Field(1, ge=1, le=50)
    population: int = Field(100, ge=5, le=100_000)
    generations: int = Field(4, ge=1, le=100)
    min_epsilon: float = Field(0.0, ge=0.0)
    posterior_samples: int = Field(10, ge=1, le=1000, description="posterior scenario files written")
    predictive_runs: int = Field(20, ge=0, le=10_000, description="runs of the posterior predictive fit")

    @field_validator("priors")
    @classmethod
    def _no_run(cls, v):
        for k in v:
            if k.split(".")[0] in ("run", "name", "description", "territory", "observation"):
                raise ValueError(f"'{k}' is not a model parameter to calibrate (run settings, names, the "
                                 "territory and observation are not); give behavioural or practice "
                                 "parameters such as behaviour.exits.base_rate")
        return v


_FR = {
    "uniform must be [low, high] with low < high": "uniform s'écrit [bas, haut] avec bas < haut",
    "is not a model parameter to calibrate (run settings, names, the territory and observation are not); "
    "give behavioural or practice parameters such as behaviour.exits.base_rate":
        "n'est pas un paramètre du modèle à calibrer (ni run, ni les noms, ni le territoire, ni "
        "l'observation) ; donnez des paramètres de comportement ou de pratique comme behaviour.exits.base_rate",
}


@dataclass
class Calibration:
    """A loaded, checked configuration with its base scenario and targets."""

    config: CalibrationConfig
    path: Path
    base_path: Path
    base_raw: dict                     # resolved base scenario with `set` and run settings applied
    targets: TargetSet
    names: list[str] = field(default_factory=list)

    @property
    def fit_names(self) -> list[str]:
        return [t.statistic for t in self.targets.fitted]

    def scenario_raw(self, theta: dict[str, float]) -> dict:
        """The validated scenario (JSON-able mapping) of one particle."""
        raw = apply_overrides(self.base_raw, dict(theta), "priors")
        return validate_raw(raw, self.base_path).model_dump(mode="json")

    def digest(self) -> str:
        """What a resumed calibration must share with the one it continues."""
        c = self.config.model_dump(mode="json", exclude={"generations", "min_epsilon", "posterior_samples",
                                                         "predictive_runs", "description"})
        blob = json.dumps({"config": c, "base": self.base_raw, "targets": self.targets.model_dump(mode="json")},
                          sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _lang_line(line: str) -> str:
    if tr("fr", "en") == "fr":
        for en, fr in _FR.items():
            line = line.replace(en, fr)
    return line


def load_config(path: str | Path) -> Calibration:
    """Read and check a calibration file: its base scenario and targets load, every prior names a
    numeric parameter of the scenario and lies within the schema's bounds. Raises ScenarioError
    with one line naming the file, the field and the fix."""
    path = Path(path)
    data = _read_yaml(path, "calibration")
    try:
        cfg = CalibrationConfig.model_validate(data)
    except ValidationError as e:
        lines = [_lang_line(x) for x in validation_problems(e, path, CalibrationConfig)]
        raise ScenarioError(lines[0], lines) from None
    if cfg.last_years > cfg.years:
        raise ScenarioError(f"{_short(path)}: last_years: " + tr(
            f"{cfg.last_years} dépasse years ({cfg.years}) ; prenez au plus years",
            f"{cfg.last_years} is more than years ({cfg.years}); take at most years"))
    folder = path.parent
    base = folder / cfg.base
    if not base.is_file():
        try:
            base = find_scenario(cfg.base)
        except ScenarioError as e:
            raise ScenarioError(f"{_short(path)}: base: {e}") from None
    raw = resolve_raw(base)
    sets = dict(cfg.set)
    sets["run.years"] = cfg.years
    try:
        raw = apply_overrides(raw, sets, "set")
        validate_raw(raw, base)
    except ScenarioError as e:
        raise ScenarioError(f"{_short(path)}: set: {e}") from None
    try:
        targets = load_targets(cfg.targets, folder)
    except ScenarioError as e:
        raise ScenarioError(f"{_short(path)}: targets: {e}") from None
    if not targets.fitted:
        raise ScenarioError(f"{_short(path)}: targets: " + tr(
            "aucune cible avec role: fit ; il en faut au moins une pour la distance",
            "no target with role: fit; the distance needs at least one"))
    cal = Calibration(cfg, path, base, raw, targets, list(cfg.priors))
    for name, prior in cfg.priors.items():
        _check_prior(cal, name, prior)
    return cal


def _check_prior(cal: Calibration, name: str, prior: Prior) -> None:
    """A prior names a numeric parameter and both its ends are allowed by the schema."""
    where = f"{_short(cal.path)}: priors.{name}"
    node: Any = validate_raw(cal.base_raw, cal.base_path).model_dump(mode="python")
    for part in name.replace("[", ".").replace("]", "").split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            raise ScenarioError(f"{where}: " + tr(
                f"pas de paramètre '{part}' à cet endroit du scénario ; donnez un chemin de "
                "docs/parameters.md, par ex. behaviour.exits.base_rate",
                f"no parameter '{part}' at this place of the scenario; give a path from "
                "docs/parameters.md, e.g. behaviour.exits.base_rate"))
    for end in prior.uniform:
        try:
            raw = apply_overrides(cal.base_raw, {name: end}, "priors")
            sc = validate_raw(raw, cal.base_path)
        except ScenarioError as e:
            msg = str(e)
            core = msg.split(": ", 2)[-1] if msg.count(": ") >= 2 else msg
            raise ScenarioError(f"{where}: " + tr(
                f"la borne {num(end, 6).rstrip('0').rstrip(',')} sort des limites du schéma ({core}) ; "
                "resserrez le prior dans ces limites",
                f"the end {end:g} is outside the schema's limits ({core}); narrow the prior to them")) from None
        value = sc.model_dump(mode="python")
        for part in name.replace("[", ".").replace("]", "").split("."):
            value = value[int(part)] if part.isdigit() else value.get(part) if isinstance(value, dict) else None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ScenarioError(f"{where}: " + tr(
                "n'est pas un paramètre numérique ; un prior porte sur un nombre (docs/parameters.md)",
                "is not a numeric parameter; a prior is over a number (docs/parameters.md)"))
        if isinstance(value, int):
            raise ScenarioError(f"{where}: " + tr(
                "est un nombre entier ; seuls les paramètres réels se calibrent ici",
                "is an integer; only real-valued parameters are calibrated here"))


# --------------------------------------------------------------------------------- Dask pool
def _job(raw: dict, seed: int, last_years: int) -> dict:
    """One simulation on a worker; a failing run gives NaN statistics (never accepted)."""
    try:
        return stats.simulate(raw, seed, last_years)
    except Exception as e:  # noqa: BLE001 - reported as a count, the calibration goes on
        out = {k: math.nan for k in stats.STATISTICS}
        out["_error"] = f"{type(e).__name__}: {e}"
        return out


class Pool:
    """Runs jobs in order on a local Dask cluster (`workers` processes), an existing scheduler,
    or in this process (`workers == 1`, no scheduler)."""

    def __init__(self, workers: int | None = None, scheduler: str | None = None):
        self.workers, self.scheduler = workers, scheduler
        self.client = self.cluster = None

    def __enter__(self):
        if self.scheduler is None and self.workers == 1:
            return self
        import dask
        from dask.distributed import Client, LocalCluster

        for name in ("distributed", "distributed.worker", "distributed.scheduler", "distributed.nanny"):
            logging.getLogger(name).setLevel(logging.ERROR)
        logging.getLogger("tornado.application").setLevel(logging.CRITICAL)
        # a Ctrl-C during gather leaves distributed's own wait tasks failed ("Task exception was
        # never retrieved", AllExit): harmless, kept off the user's one-line message
        logging.getLogger("asyncio").setLevel(logging.CRITICAL)
        warnings.filterwarnings("ignore", message="Port .* is already in use", category=UserWarning)
        if self.scheduler is None:
            n = self.workers or os.cpu_count() or 1
            main = threading.current_thread() is threading.main_thread()
            previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None
            try:   # the workers inherit SIGINT ignored: Ctrl-C is handled here only; spawned,
                # never forked, whatever the user's Dask configuration (see ensemble.run_ensemble)
                with dask.config.set({"distributed.worker.multiprocessing-method": "spawn"}):
                    self.cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                                dashboard_address=None, silence_logs=logging.ERROR)
            finally:
                if main:
                    signal.signal(signal.SIGINT, previous)
            self.client = Client(self.cluster)
        else:
            self.client = Client(self.scheduler, timeout="20s")
        return self

    def __exit__(self, *exc):
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()

    def map(self, jobs: list[tuple]) -> list[dict]:
        """Results of `_job(*args)` for every job, in the jobs' order."""
        if self.client is None:
            return [_job(*j) for j in jobs]
        futures = self.client.map(_job, *zip(*jobs), pure=False) if jobs else []
        try:
            return self.client.gather(futures)
        finally:
            for f in futures:
                f.cancel()


# ------------------------------------------------------------------------------ pyabc pieces
def _seed(*parts: int) -> int:
    return int(np.random.SeedSequence([int(p) for p in parts]).generate_state(1)[0])


def make_distance(cal: Calibration) -> Callable[[dict, dict], float]:
    """Sum over the fitted targets of ((simulated - observed) / sd)^2; a missing statistic counts
    as a huge distance."""
    sd = {t.statistic: t.uncertainty for t in cal.targets.fitted}

    def distance(x: dict, x0: dict) -> float:
        d = 0.0
        for k, s in sd.items():
            v = x.get(k, math.nan)
            if v is None or not math.isfinite(float(v)):
                return BIG
            d += ((float(v) - float(x0[k])) / s) ** 2
        return d

    return distance


def _pyabc():
    import pyabc
    for name in ("ABC", "Sampler", "History", "Epsilon", "Distance", "Acceptor", "Transitions",
                 "ABC.History", "ABC.Sampler", "ABC.Epsilon", "ABC.Distance", "ABC.Acceptor",
                 "ABC.Transition", "ABC.Population", "ABC.Adaptation", "ABC.Predictor"):
        logging.getLogger(name).setLevel(logging.WARNING)
    return pyabc


class _ReplayModel:
    """The pyabc model: in 'record' mode it notes the proposed parameters and returns missing
    statistics; in 'replay' mode it returns the statistics computed for those proposals."""

    def __init__(self, names: list[str]):
        self.names = names
        self.mode = "record"
        self.recorded: list[dict] = []
        self.results: list[dict] = []
        self.pos = 0

    def __call__(self, pars) -> dict:
        theta = {k: float(pars[k]) for k in self.names}
        if self.mode == "record":
            self.recorded.append(theta)
            return {k: math.nan for k in stats.STATISTICS}
        if self.pos >= len(self.results) or self.recorded[self.pos] != theta:
            raise RuntimeError("replayed proposal differs from the recorded one (non-deterministic sampling)")
        out = self.results[self.pos]
        self.pos += 1
        return out


def _make_sampler(cal: Calibration, model: _ReplayModel, pool: Pool, report: Callable):
    pyabc = _pyabc()

    class BatchSampler(pyabc.sampler.Sampler):
        """Deterministic batches of proposals run on Dask (see the module's docstring)."""

        def __init__(self):
            super().__init__()
            self.failures = 0
            self.simulations = 0
            self.last_rate = 0.5

        def sample_until_n_accepted(self, n, simulate_one, t, *, max_eval=np.inf, all_accepted=False,
                                    ana_vars=None):
            cfg = cal.config
            np.random.seed(_seed(cfg.seed, 7919, t) % (2**32))
            sample = self._create_empty_sample()
            evals = 0
            rank = 0
            while sample.n_accepted < n and evals < max_eval:
                # batch size: enough proposals for the acceptances still needed at the current (or
                # last generation's) acceptance rate; it changes how many runs are wasted, never
                # which proposals are drawn nor their results
                need = n - sample.n_accepted
                rate = sample.n_accepted / evals if evals else 1.0 if t == 0 else self.last_rate
                margin = 1.0 if rate >= 1.0 else 1.15
                size = int(min(max(math.ceil(margin * need / max(rate, 0.02)), min(8, need)), 20 * n))
                state = np.random.get_state()
                model.mode, model.recorded, model.pos = "record", [], 0
                for _ in range(size):
                    simulate_one()
                thetas = model.recorded
                jobs = [(cal.scenario_raw(th), _seed(cfg.seed, t, rank + i, r) % (2**32 - 1), cfg.last_years)
                        for i, th in enumerate(thetas) for r in range(cfg.seeds_per_particle)]
                res = pool.map(jobs)
                self.simulations += len(jobs)
                k = cfg.seeds_per_particle
                merged = []
                for i in range(len(thetas)):
                    chunk = res[i * k:(i + 1) * k]
                    self.failures += sum("_error" in c for c in chunk)
                    merged.append({s: float(np.nanmean([c[s] for c in chunk]))
                                   if any(math.isfinite(c[s]) for c in chunk) else math.nan
                                   for s in stats.STATISTICS})
                np.random.set_state(state)
                model.mode, model.results, model.pos = "replay", merged, 0
                for _ in range(size):
                    particle = simulate_one()
                    sample.append(particle)
                    evals += 1
                    rank += 1
                    report(t, sample.n_accepted, n, evals)
                    if sample.n_accepted >= n or evals >= max_eval:
                        break
            self.nr_evaluations_ = evals
            self.last_rate = sample.n_accepted / evals if evals else 0.5
            if sample.n_accepted < n:
                sample.ok = False
            return sample

    return BatchSampler()


# ------------------------------------------------------------------------------------ running
@dataclass
class Result:
    out: Path
    generations: int
    resumed_from: int
    seconds: float
    simulations: int
    failures: int
    posterior: pd.DataFrame
    diagnostics: pd.DataFrame
    fit: pd.DataFrame | None
    files: list[Path]


def _progress(enabled: bool):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("{task.fields[extra]}"), TimeElapsedColumn(), disable=not enabled)


def run_calibration(config: str | Path, out: str | Path | None = None, workers: int | None = None,
                    scheduler: str | None = None, progress: bool = False,
                    log: Callable[[str], None] = lambda s: None) -> Result:
    """Run (or resume) a calibration and write its outputs; returns what was done."""
    cal = load_config(config)
    cfg = cal.config
    out = Path(out) if out else Path("outputs") / f"calibration-{cfg.name}"
    out.mkdir(parents=True, exist_ok=True)
    state_path, db = out / STATE, out / DB
    digest = cal.digest()
    if db.exists():
        try:
            old = json.loads(state_path.read_text(encoding="utf-8")).get("digest")
        except (OSError, ValueError):
            old = None
        if old != digest:
            raise ScenarioError(tr(
                f"{out} contient une calibration d'une autre configuration (priors, cibles, scénario ou "
                "réglages changés) ; donnez un autre --out ou supprimez ce dossier",
                f"{out} holds a calibration of another configuration (priors, targets, scenario or "
                "settings changed); give another --out or delete that folder"))
    state_path.write_text(json.dumps({"digest": digest, "config": str(Path(config).resolve())}, indent=1) + "\n",
                          encoding="utf-8")
    pyabc = _pyabc()
    observed = {t.statistic: t.observed for t in cal.targets.fitted}
    prior = pyabc.Distribution(**{k: pyabc.RV("uniform", p.uniform[0], p.uniform[1] - p.uniform[0])
                                  for k, p in cfg.priors.items()})
    model = _ReplayModel(cal.names)
    t0 = time.perf_counter()
    with _progress(progress) as bar, Pool(workers, scheduler) as pool:
        tasks: dict[int, Any] = {}

        def report(t, acc, n, evals):
            if t not in tasks:
                tasks[t] = bar.add_task(tr(f"génération {t + 1}/{cfg.generations}",
                                           f"generation {t + 1}/{cfg.generations}"), total=n, extra="")
            bar.update(tasks[t], completed=acc,
                       extra=tr(f"{evals} simulations", f"{evals} simulations"))

        sampler = _make_sampler(cal, model, pool, report)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            abc = pyabc.ABCSMC(pyabc.model.FunctionModel(model, name="peuplement"),
                               prior, make_distance(cal), population_size=cfg.population,
                               sampler=sampler,
                               # a fresh start accepts the whole prior sample (no calibration
                               # sample); a resumed one takes the median distance of the last
                               # generation stored, as an uninterrupted run would
                               eps=pyabc.QuantileEpsilon(initial_epsilon="from_sample" if db.exists()
                                                         else np.inf, alpha=0.5),
                               transitions=pyabc.MultivariateNormalTransition())
            url = "sqlite:///" + str(db.resolve())
            done = 0
            if db.exists():
                abc.load(url, 1)
                done = int(abc.history.max_t) + 1
            else:
                abc.new(url, observed)
            if done:
                log(tr(f"reprise après la génération {done} (base {db})",
                       f"resuming after generation {done} ({db})"))
            remaining = cfg.generations - done
            last_eps = _last_epsilon(abc.history) if done else math.inf
            if remaining > 0 and not (done and last_eps <= cfg.min_epsilon):
                abc.run(minimum_epsilon=cfg.min_epsilon, max_nr_populations=remaining)
        history = abc.history
        posterior, diagnostics = _posterior(history, cal), _diagnostics(history)
        files = _write_tables(out, posterior, diagnostics)
        files += _write_scenarios(out, cal, posterior)
        fit = None
        if cfg.predictive_runs:
            fit = _predictive(cal, posterior, pool)
            files += _write_fit(out, fit)
        files += _plots(out, cal, posterior)
    return Result(out, int(history.max_t) + 1, done, time.perf_counter() - t0, sampler.simulations,
                  sampler.failures, posterior, diagnostics, fit, files)


def _last_epsilon(history) -> float:
    pops = history.get_all_populations()
    pops = pops[pops["t"] >= 0]
    return float(pops["epsilon"].iloc[-1]) if len(pops) else math.inf


# ------------------------------------------------------------------------------------ outputs
def _posterior(history, cal: Calibration) -> pd.DataFrame:
    """The last generation: one row per particle, its parameters, normalised weight and distance
    (read from one list of particles, so each row's values belong together)."""
    pop = history.get_population(t=history.max_t)
    rows = [{**{k: float(p.parameter[k]) for k in cal.names}, "weight": float(p.weight),
             "distance": float(p.distance)} for p in pop.particles]
    df = pd.DataFrame(rows, columns=[*cal.names, "weight", "distance"])
    df["weight"] = df["weight"] / df["weight"].sum()
    return df


def _ess(w) -> float:
    w = np.asarray(w, float)
    w = w / w.sum()
    return float(1.0 / np.sum(w ** 2))


def _diagnostics(history) -> pd.DataFrame:
    pops = history.get_all_populations()
    pops = pops[pops["t"] >= 0].reset_index(drop=True)
    rows = []
    for _, r in pops.iterrows():
        t = int(r["t"])
        _, w = history.get_distribution(m=0, t=t)
        n = len(w)
        sims = int(r["samples"])
        rows.append({"generation": t + 1, "epsilon": float(r["epsilon"]), "particles": n,
                     "simulations": sims, "acceptance_rate": n / sims if sims else math.nan,
                     "ess": _ess(w)})
    return pd.DataFrame(rows)


def _write_tables(out: Path, posterior: pd.DataFrame, diagnostics: pd.DataFrame) -> list[Path]:
    from ..outputs import write_parquet
    from ..tables import write_csv_fr

    files = []
    for name, df in (("posterior", posterior), ("diagnostics", diagnostics)):
        files.append(write_csv_fr(df, out / f"{name}.csv"))
        files.append(write_parquet(df, out / f"{name}.parquet"))
    return files


def _weighted_quantile(x, w, q) -> float:
    o = np.argsort(x)
    x, w = np.asarray(x, float)[o], np.asarray(w, float)[o]
    c = np.cumsum(w) / np.sum(w)
    return float(np.interp(q, c - w / (2 * np.sum(w)), x))


def _nested(cal: Calibration, theta: dict[str, float]) -> dict:
    """The changes a particle makes to the base, as a nested mapping that `extends:` merges: a
    list (exits.quartile_multipliers.0) is written whole, since lists replace."""
    full = apply_overrides(cal.base_raw, dict(theta), "priors")
    out: dict = {}
    for key in list(cal.config.set) + list(theta):
        if key.split(".")[0] == "run":
            continue
        parts = key.replace("[", ".").replace("]", "").split(".")
        stop = next((i for i, p in enumerate(parts) if p.isdigit()), len(parts))
        parts = parts[:stop]
        src, node = full, out
        for p in parts[:-1]:
            src = src[p]
            node = node.setdefault(p, {})
        v = src[parts[-1]]
        node[parts[-1]] = float(v) if isinstance(v, float) else v
    return out


def _scenario_text(cal: Calibration, folder: Path, name: str, description: str, theta: dict) -> str:
    base = cal.base_path.resolve()
    if base.parent == SCENARIO_DIR.resolve():
        ext = base.stem                                    # a built-in scenario, by name
    else:
        ext = os.path.relpath(base, folder.resolve())
    body = {"extends": ext, "name": name, "description": description}
    body.update(_nested(cal, theta))
    head = tr(f"# Calibré par `peuplement calibrate` ({cal.config.name}) : reprend {ext} et change\n"
              "# les paramètres calibrés (et les réglages fixés par la configuration).\n",
              f"# Calibrated by `peuplement calibrate` ({cal.config.name}): extends {ext} and changes\n"
              "# the calibrated parameters (and the settings fixed by the configuration).\n")
    return head + yaml.safe_dump(body, sort_keys=False, allow_unicode=True)


def _write_scenarios(out: Path, cal: Calibration, posterior: pd.DataFrame) -> list[Path]:
    """The posterior median and a weighted sample of particles, as scenarios extending the base."""
    cfg = cal.config
    w = posterior["weight"].to_numpy()
    med = {k: _weighted_quantile(posterior[k].to_numpy(), w, 0.5) for k in cal.names}
    files = []
    base_name = validate_raw(cal.base_raw, cal.base_path).name
    p = out / "posterior_median.yaml"
    p.write_text(_scenario_text(cal, out, f"{base_name}_calibre_{cfg.name}",
                                tr("médiane a posteriori de la calibration", "posterior median of the calibration")
                                + f" {cfg.name}", med), encoding="utf-8")
    files.append(p)
    folder = out / "posterior"
    folder.mkdir(exist_ok=True)
    for old in folder.glob("sample_*.yaml"):
        old.unlink()
    rng = np.random.default_rng(_seed(cfg.seed, 424242))
    idx = rng.choice(len(posterior), size=cfg.posterior_samples, replace=True, p=w / w.sum())
    for i, j in enumerate(idx, 1):
        theta = {k: float(posterior[k].iloc[j]) for k in cal.names}
        p = folder / f"sample_{i:03d}.yaml"
        p.write_text(_scenario_text(cal, folder, f"{base_name}_calibre_{cfg.name}_{i:03d}",
                                    tr(f"tirage {i} de la loi a posteriori", f"posterior draw {i}")
                                    + f" ({cfg.name})", theta), encoding="utf-8")
        files.append(p)
    return files


def _predictive(cal: Calibration, posterior: pd.DataFrame, pool: Pool) -> pd.DataFrame:
    """Each target against the posterior predictive: statistics of runs with parameters drawn from
    the posterior and fresh seeds; median and 90 % band."""
    cfg = cal.config
    w = posterior["weight"].to_numpy()
    rng = np.random.default_rng(_seed(cfg.seed, 31337))
    idx = rng.choice(len(posterior), size=cfg.predictive_runs, replace=True, p=w / w.sum())
    jobs = [(cal.scenario_raw({k: float(posterior[k].iloc[j]) for k in cal.names}),
             _seed(cfg.seed, 271828, i) % (2**32 - 1), cfg.last_years) for i, j in enumerate(idx)]
    res = pool.map(jobs)
    rows = []
    for t in cal.targets.targets:
        v = np.array([r[t.statistic] for r in res], float)
        v = v[np.isfinite(v)]
        lo, med, hi = (np.quantile(v, [0.05, 0.5, 0.95]) if v.size else (math.nan,) * 3)
        rows.append({"statistic": t.statistic, "role": t.role, "observed": t.observed, "sd": t.uncertainty,
                     "predictive_median": float(med), "predictive_q05": float(lo),
                     "predictive_q95": float(hi),
                     "z": (float(med) - t.observed) / t.uncertainty,
                     "observed_in_band": bool(lo <= t.observed <= hi),
                     "runs": int(v.size), "source": t.source})
    return pd.DataFrame(rows)


def _write_fit(out: Path, fit: pd.DataFrame) -> list[Path]:
    from ..outputs import write_parquet
    from ..tables import write_csv_fr

    return [write_csv_fr(fit, out / "fit.csv"), write_parquet(fit, out / "fit.parquet")]


def _plots(out: Path, cal: Calibration, posterior: pd.DataFrame) -> list[Path]:
    """Weighted marginal histograms over the prior range, and pairwise scatter plots."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = cal.names
    w = posterior["weight"].to_numpy()
    k = len(names)
    files = []
    fig, axes = plt.subplots(1, k, figsize=(3.2 * k, 2.8), squeeze=False)
    for ax, name in zip(axes[0], names):
        lo, hi = cal.config.priors[name].uniform
        ax.hist(posterior[name], bins=20, range=(lo, hi), weights=w, color="#3b6ea5")
        ax.set_xlim(lo, hi)
        ax.set_title(name, fontsize=8)
        ax.set_yticks([])
    fig.suptitle(tr("Lois a posteriori (axe = intervalle du prior)", "Posterior marginals (axis = prior range)"),
                 fontsize=9)
    fig.tight_layout()
    p = out / "marginals.png"
    fig.savefig(p, dpi=110)
    plt.close(fig)
    files.append(p)
    if k >= 2:
        fig, axes = plt.subplots(k, k, figsize=(2.4 * k, 2.4 * k), squeeze=False)
        size = 4 + 60 * w / w.max()
        for i, a in enumerate(names):
            for j, b in enumerate(names):
                ax = axes[i][j]
                if i == j:
                    lo, hi = cal.config.priors[a].uniform
                    ax.hist(posterior[a], bins=15, range=(lo, hi), weights=w, color="#3b6ea5")
                    ax.set_xlim(lo, hi)
                else:
                    ax.scatter(posterior[b], posterior[a], s=size, alpha=0.5, color="#3b6ea5")
                    ax.set_xlim(*cal.config.priors[b].uniform)
                    ax.set_ylim(*cal.config.priors[a].uniform)
                if i == k - 1:
                    ax.set_xlabel(b, fontsize=7)
                if j == 0:
                    ax.set_ylabel(a, fontsize=7)
                ax.tick_params(labelsize=6)
        fig.tight_layout()
        p = out / "pairs.png"
        fig.savefig(p, dpi=100)
        plt.close(fig)
        files.append(p)
    return files


def fit_rows(fit: pd.DataFrame, lang: str | None = None) -> list[list[str]]:
    """The fit table as text cells (French number formatting): statistic, role, observed (sd),
    posterior predictive median [90 % band], in the band?"""
    rows = []
    for _, r in fit.iterrows():
        share = r["statistic"] not in ("applications_per_allocation", "wait_months_mean", "wait_months_median",
                                       "allocation_rate_q1_vs_q2")

        def f(v):
            return pct(v, 1, lang) if share else num(v, 2, lang)

        sd = f"{num(100 * r['sd'], 1, lang)} pt" if share else num(r["sd"], 2, lang)
        role = tr("ajustée", "fitted", lang) if r["role"] == "fit" else tr("hors ajustement", "held out", lang)
        rows.append([r["statistic"], role, f"{f(r['observed'])} (± {sd})",
                     f"{f(r['predictive_median'])} [{f(r['predictive_q05'])} ; {f(r['predictive_q95'])}]",
                     tr("oui", "yes", lang) if r["observed_in_band"] else tr("non", "no", lang)])
    return rows
