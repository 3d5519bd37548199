"""Ensembles of runs (scenarios x seeds) on Dask: a local cluster or an existing scheduler.

Each run is independent and fully determined by its resolved scenario and seed (named random
streams), so the results do not depend on the number or kind of workers. Every run writes its own
folder under `<out>/runs/<scenario>-seed<NNN>/`, first into a hidden temporary folder that is renamed
into place when complete (manifest last): a run folder is complete or absent. A later call with the
same runs finds the finished folders (same scenario content, same seed) and skips them, so an
interrupted comparison resumes where it stopped. A run that fails is reported with its scenario,
seed and error while the others go on.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import threading
import time
import traceback
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

MANIFEST = "manifest.json"


@dataclass(frozen=True)
class RunSpec:
    """One run of an ensemble: a resolved scenario (as a plain mapping) and a seed."""

    scenario: str                    # the scenario's name (unique within an ensemble)
    seed: int
    raw: dict = field(hash=False, compare=False)   # the validated scenario, JSON-able, seed and years set

    @property
    def key(self) -> str:
        return f"{self.scenario}-seed{self.seed:03d}"

    @property
    def digest(self) -> str:
        """Fingerprint of the run's inputs: a finished folder is reused only if it matches."""
        blob = json.dumps(self.raw, sort_keys=True, ensure_ascii=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


@dataclass
class Failure:
    scenario: str
    seed: int
    error: str


@dataclass
class EnsembleResult:
    root: Path
    specs: list[RunSpec]
    reused: int = 0
    ran: int = 0
    failures: list[Failure] = field(default_factory=list)
    seconds: float = 0.0
    results: dict = field(default_factory=dict)      # key -> what the runner returned

    @property
    def finished(self) -> list[RunSpec]:
        return [s for s in self.specs if is_finished(self.root, s)]


def make_specs(scenarios, seeds: list[int], years: int | None = None) -> list[RunSpec]:
    """Run specifications for each (loaded) scenario and seed; `years` overrides the horizon."""
    specs = []
    for sc in scenarios:
        for seed in seeds:
            upd = {"seed": int(seed)}
            if years is not None:
                upd["years"] = int(years)
            run = sc.run.model_copy(update=upd)
            s2 = sc.model_copy(update={"run": run})
            specs.append(RunSpec(sc.name, int(seed), s2.model_dump(mode="json")))
    return specs


def run_dir(root: Path, spec: RunSpec) -> Path:
    return Path(root) / "runs" / spec.key


def is_finished(root: Path, spec: RunSpec) -> bool:
    """A run folder that is complete (manifest present) and made from the same inputs."""
    m = run_dir(root, spec) / MANIFEST
    if not m.is_file():
        return False
    try:
        return json.loads(m.read_text(encoding="utf-8")).get("digest") == spec.digest
    except (OSError, ValueError):
        return False


def run_one(spec: RunSpec, root: str) -> dict:
    """Run one simulation and publish its folder atomically; returns a small record.

    The folder holds what ensemble summaries and reports read: the tidy indicator table, the yearly
    transitions by income quartile, the rehousing log, the headline metrics and the resolved
    scenario; the manifest is written last, then the folder is renamed into place.
    """
    from .compare import metrics
    from .model import HousingModel
    from .outputs import rehousing_frame, write_parquet
    from .scenario import scenario_to_yaml
    from .schema import Scenario
    from . import trajectories

    t0 = time.perf_counter()
    sc = Scenario.model_validate(spec.raw)
    model = HousingModel(sc)
    model.run()
    t_run = time.perf_counter() - t0

    final = run_dir(Path(root), spec)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.parent / f".tmp-{spec.key}-{os.getpid()}-{time.monotonic_ns()}"
    tmp.mkdir()
    try:
        (tmp / "scenario.yaml").write_text(scenario_to_yaml(sc), encoding="utf-8")
        ind = model.indicators()
        write_parquet(ind, tmp / "indicators.parquet")
        write_parquet(trajectories.transitions(model), tmp / "transitions.parquet")
        write_parquet(rehousing_frame(model), tmp / "rehousing.parquet")
        met = metrics(model)
        (tmp / "metrics.json").write_text(json.dumps(met, sort_keys=True, indent=1) + "\n",
                                          encoding="utf-8")
        manifest = {"scenario": spec.scenario, "seed": spec.seed, "digest": spec.digest,
                    "years": int(sc.run.years), "start_year": int(sc.run.start_year),
                    "seconds": round(t_run, 3),
                    "neighbourhoods": [{"name": str(n), "qpv": bool(q), "renewal": bool(r)} for n, q, r
                                       in zip(model.territory.nb_names, model.territory.nb_qpv,
                                              model.territory.nb_renewal)]}
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
        if final.exists():                      # a stale folder from other inputs: replace it
            shutil.rmtree(final)
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return {"key": spec.key, "seconds": t_run}


def _safe_run(runner: Callable, spec: RunSpec, root: str) -> dict:
    """Run and catch: a failing run becomes a record, so the other runs are unaffected."""
    try:
        return runner(spec, root)
    except Exception as e:  # noqa: BLE001 - reported to the user with scenario and seed
        last = traceback.extract_tb(e.__traceback__)[-1:] or [None]
        where = f" ({Path(last[0].filename).name}:{last[0].lineno})" if last[0] else ""
        return {"key": spec.key, "error": f"{type(e).__name__}: {e}{where}"}


def _progress(total: int, enabled: bool, label: str):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    disable=not enabled, transient=False)


def run_ensemble(specs: list[RunSpec], root: str | Path, workers: int | None = None,
                 scheduler: str | None = None, progress: bool = False,
                 runner: Callable = run_one, label: str = "Simulations") -> EnsembleResult:
    """Run every spec not already finished under `root`, on Dask (or in this process when
    `workers == 1` and no scheduler is given). Failures are collected, not raised;
    KeyboardInterrupt stops the workers and propagates (finished runs stay on disk)."""
    root = Path(root)
    (root / "runs").mkdir(parents=True, exist_ok=True)
    keys = [s.key for s in specs]
    if len(set(keys)) != len(keys):
        raise ValueError("two runs of the ensemble have the same scenario name and seed")
    todo = [s for s in specs if not is_finished(root, s)]
    res = EnsembleResult(root, list(specs), reused=len(specs) - len(todo))
    t0 = time.perf_counter()
    by_key = {s.key: s for s in todo}

    def record(out: dict) -> None:
        if "error" in out:
            s = by_key[out["key"]]
            res.failures.append(Failure(s.scenario, s.seed, out["error"]))
        else:
            res.ran += 1
            res.results[out["key"]] = out

    with _progress(len(specs), progress, label) as bar:
        task = bar.add_task("runs", total=len(specs), completed=res.reused)
        if todo and scheduler is None and workers == 1:
            for s in todo:
                record(_safe_run(runner, s, str(root)))
                bar.advance(task)
        elif todo:
            _run_dask(todo, root, workers, scheduler, runner, record, lambda: bar.advance(task))
    res.failures.sort(key=lambda f: (keys.index(f"{f.scenario}-seed{f.seed:03d}")))
    res.seconds = time.perf_counter() - t0
    return res


def _run_dask(todo, root, workers, scheduler, runner, record, advance) -> None:
    import logging

    import dask
    from dask.distributed import Client, LocalCluster, as_completed

    for name in ("distributed", "distributed.worker", "distributed.scheduler", "distributed.nanny"):
        logging.getLogger(name).setLevel(logging.ERROR)
    # a Ctrl-C during one of distributed's blocking calls makes its event loop log a NameError
    # from its own cancel callback (distributed's bug, harmless): keep the user's one line clean
    logging.getLogger("tornado.application").setLevel(logging.CRITICAL)
    # the scheduler's HTTP server falls back to a free port when another cluster holds 8787
    warnings.filterwarnings("ignore", message="Port .* is already in use", category=UserWarning)
    cluster = None
    if scheduler is None:
        n = workers or os.cpu_count() or 1
        # Ctrl-C reaches every process of the terminal's group: the worker processes start with
        # SIGINT ignored (a disposition children inherit), so only this process reacts, stops the
        # cluster and prints one line, instead of each worker printing a traceback.
        main_thread = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if main_thread else None
        # The workers are started with 'spawn' whatever the user's Dask configuration says: this
        # process runs threads (Dask's event loop, BLAS), and fork() of a multi-threaded process can
        # leave a child holding a lock no thread will release (a hang, e.g. in CI).
        try:
            with dask.config.set({"distributed.worker.multiprocessing-method": "spawn"}):
                cluster = LocalCluster(n_workers=min(n, len(todo)), threads_per_worker=1,
                                       processes=True, dashboard_address=None,
                                       silence_logs=logging.ERROR)
        finally:
            if main_thread:
                signal.signal(signal.SIGINT, previous)
        client = Client(cluster)
    else:
        client = Client(scheduler, timeout="20s")
    futures = []
    try:
        futures = [client.submit(_safe_run, runner, s, str(root), key=f"run-{s.key}-{s.digest}",
                                 pure=False) for s in todo]
        spec_of = {f.key: s for f, s in zip(futures, todo)}
        for fut in as_completed(futures):
            try:
                record(fut.result())
            except Exception as e:  # noqa: BLE001 - a worker lost mid-run: report, go on
                record({"key": spec_of[fut.key].key, "error": f"{type(e).__name__}: {e}"})
            advance()
    finally:
        for f in futures:
            f.cancel()
        client.close()
        if cluster is not None:
            cluster.close()
