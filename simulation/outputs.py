"""Writing a run's folder (resolved scenario, manifest, tidy Parquet tables, figures) and the headline
summary.

Reproducibility: for the same seed every file is byte-identical except manifest.json, the only file
holding a timestamp and timings. Parquet files are written with pyarrow, without the pandas index,
each column carrying its description and unit (simulation/tables.py, listed in docs/outputs.md).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import datetime as _dt
import gc
import json
import platform
import threading
import time
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from . import fmt, trajectories
from . import tables as _tables
from .fmt import tr
from .labels import label
from .scenario import scenario_to_yaml

PARQUET_OPTIONS = dict(compression="zstd", use_dictionary=True, write_statistics=True)

_REHOUSING_DTYPES = {
    "month": np.int32, "household": np.int64, "from_residence": np.int64, "dwelling": np.int64,
    "residence": np.int64, "outside_qpv": bool, "new_dwelling": bool, "other_landlord": bool,
    "remaining_cost_before": np.float64, "remaining_cost_after": np.float64, "reduction": np.float64,
    "quartile": np.int8, "forced": bool, "offers": np.int16, "indemnity": np.float64,
}


def _libc_trim():
    """glibc's malloc_trim, or None elsewhere (macOS, musl, Windows)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError, TypeError):
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


_MALLOC_TRIM = _libc_trim()


def release_memory() -> None:
    """Give freed memory back to the system: collect cycles, then ask glibc to return its free
    pages. Between the tables of a run folder, the freed frames otherwise stay resident in the
    allocator's heap and every table's peak adds up; a no-op where malloc_trim does not exist.
    Cheap inside `settled_heap` (the collection then reads only the objects made since)."""
    gc.collect()
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)
    pa.default_memory_pool().release_unused()


_settled = [0]      # nesting depth of settled_heap
_settled_lock = threading.Lock()


@contextmanager
def settled_heap():
    """While a finished run's tables are written: release memory once (release_memory), then set
    every object alive now (the model, the imported libraries) aside from the cycle collector
    (gc.freeze), so that each release_memory() between tables reads only what was made since.
    A full collection costs ~60 ms on a town run and ~110 ms on a metropolis, and a run folder
    calls it 10 to 15 times.
    Re-entrant and thread-safe. The outermost exit unfreezes, so that a worker running model
    after model collects each one (a model holds reference cycles) once written; gc.unfreeze
    returns every frozen object, those frozen before too, which only costs them later scans."""
    with _settled_lock:
        if _settled[0] == 0:
            release_memory()
            gc.freeze()
        _settled[0] += 1
    try:
        yield
    finally:
        with _settled_lock:
            _settled[0] -= 1
            if _settled[0] == 0:
                gc.unfreeze()


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "unknown"


# pyarrow's default row group length: writing row group by row group gives the same file as one
# write_table, while only one row group's Arrow copy is in memory at a time
ROW_GROUP = 1024 * 1024


def write_parquet(df: pd.DataFrame, path: Path, table: str | None = None) -> Path:
    """Write a DataFrame deterministically (pyarrow, no index); with `table`, the columns carry
    their descriptions and units from simulation/tables.py."""
    return write_row_groups(len(df), lambda a, b: df.iloc[a:b], path, table)


def write_row_groups(n: int, rows, path: Path, table: str | None = None, piece: int | None = None) -> Path:
    """Write a table of `n` rows given by `rows(start, stop)` (a DataFrame of those rows), one row
    group at a time: the same bytes as pyarrow.parquet.write_table of the whole table, but only one
    row group is converted to Arrow at a time, and the whole frame need never exist (events).
    With `piece` (a multiple of 1024 rows, the writer's batch, so the pages do not move), each row
    group's frame is built and converted `piece` rows at a time: only its Arrow copy is whole."""
    def arrow(a, b):
        if piece and b - a > piece:
            return pa.concat_tables([arrow(c, min(c + piece, b)) for c in range(a, b, piece)])
        df = rows(a, b)
        return _tables.to_arrow(table, df) if table else pa.Table.from_pandas(df, preserve_index=False)

    if n <= min(piece or ROW_GROUP, ROW_GROUP):   # one piece: write it as it is
        pq.write_table(arrow(0, n), path, **PARQUET_OPTIONS)
        return path
    writer = None
    try:
        for a in range(0, n, ROW_GROUP):
            t = arrow(a, min(a + ROW_GROUP, n))
            if writer is None:
                writer = pq.ParquetWriter(path, t.schema, **PARQUET_OPTIONS)
            writer.write_table(t, row_group_size=ROW_GROUP)
            del t
            release_memory()
    finally:
        if writer is not None:
            writer.close()
    return path


class EventRows:
    """The event table without building it whole: `n` rows, `frame(start, stop)` a range of them with
    their dates (written row group by row group)."""

    def __init__(self, model):
        self.model = model
        self.n = model.log.count()

    def frame(self, start: int, stop: int) -> pd.DataFrame:
        return _tables.with_dates("events", self.model.log.frame(start, stop), self.model.sc.run.start_year)


def rehousing_frame(model) -> pd.DataFrame:
    """The renewal rehousing log with typed columns, residences by name (indices kept as *_id)."""
    log = model.rehousing.log
    df = pd.DataFrame({k: np.asarray(log.get(k, []), dtype=t) for k, t in _REHOUSING_DTYPES.items()})
    names = list(model.territory.res_names)
    for col in ("from_residence", "residence"):
        df[col + "_id"] = df[col]
        df[col] = pd.Categorical.from_codes(df[col].to_numpy(), categories=names) \
            if len(df) else pd.Categorical([], categories=names)
    return df


def quartile_frame(model) -> pd.DataFrame:
    """Applicant income-per-UC quartile thresholds each time they were computed (EUR/year)."""
    h = np.asarray(model.quartile_history, dtype=float).reshape(-1, 4)
    month = h[:, 0].astype(np.int64)
    return pd.DataFrame({
        "month": month,
        "year": model.sc.run.start_year + (np.maximum(month, 1) - 1) // 12,
        "q1": h[:, 1], "median": h[:, 2], "q3": h[:, 3],
    })


def iter_output_tables(model, indicators: pd.DataFrame | None = None, lazy_events: bool = False):
    """(name, table) for every table of a run as written, with names and calendar dates (see
    docs/outputs.md), built one at a time: a writer that drops each table before asking for the next
    holds one table (and what it is built from) at a time, not all of them. The trajectories are
    rebuilt from the log's numpy columns, the transitions from the spells. With `lazy_events` the
    events come as an EventRows (for a writer that builds them a row group at a time)."""
    sy = model.sc.run.start_year
    ind = model.indicators() if indicators is None else indicators
    indicators = None
    yield "indicators", _tables.with_dates("indicators", ind, sy)
    del ind
    yield "allocations", _tables.with_dates("allocations", model.allocations(), sy)
    yield "offers", _tables.with_dates("offers", model.offers(), sy)
    if lazy_events:
        yield "events", EventRows(model)
    else:
        yield "events", _tables.with_dates("events", model.events(), sy)
    sp = trajectories.spells(model)
    yield "trajectories", _tables.with_dates("trajectories", sp, sy)
    tr_ = trajectories.transitions(model, sp)
    del sp
    yield "transitions", _tables.with_dates("transitions", tr_, sy)
    del tr_
    yield "rehousing", _tables.with_dates("rehousing", rehousing_frame(model), sy)
    yield "quartiles", _tables.with_dates("quartiles", quartile_frame(model), sy)


def output_tables(model, indicators: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """Every table of a run as written, with names and calendar dates (see docs/outputs.md)."""
    return dict(iter_output_tables(model, indicators))


def write_run(model, out_dir: Path | str, timings: dict, scenario_path: str | Path | None,
              indicators: pd.DataFrame | None = None, atomic: bool = True, csv: bool = False) -> dict:
    """Write every output of a finished run into out_dir; return the manifest (with `files`).
    `indicators`, if given, is model.indicators() already computed (saves recomputing it); `csv`
    also writes every table as a French-spreadsheet CSV under csv/.
    With `atomic` (default) the files are written into a temporary folder that then replaces out_dir
    as a whole (simulation.rundir): out_dir is the previous folder or the complete new one, never a
    mix; atomic=False writes straight into out_dir (for a caller that already publishes it).
    The indicator table is dropped once written with its figures: a caller that passes it without
    keeping a reference (`indicators=box.pop()`) lets it go before the larger tables are built."""
    if atomic:
        from .rundir import publish_dir
        box = [indicators]
        del indicators
        with publish_dir(out_dir, force=True) as rd:
            return write_run(model, rd.tmp, timings, scenario_path, box.pop(), atomic=False, csv=csv)
    box = [indicators]
    del indicators
    with settled_heap():
        return _write_run(model, Path(out_dir), timings, scenario_path, box, csv)


def _write_run(model, out: Path, timings: dict, scenario_path, box: list, csv: bool) -> dict:
    """write_run into out, inside settled_heap; box: [the indicator table or None], emptied here so
    that no frame keeps the table once written."""
    t0 = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    sc = model.sc
    files: list[Path] = []
    csv_files: list[Path] = []

    p = out / "scenario.yaml"
    p.write_text(scenario_to_yaml(sc), encoding="utf-8")
    files.append(p)

    figures: list[Path] = []
    release_memory()
    # one table in memory at a time; without CSV copies the events are never a whole frame
    tables = iter_output_tables(model, box.pop(), lazy_events=not csv)
    for name, df in tables:
        release_memory()        # what building the table freed, before Arrow allocates its copy
        if isinstance(df, EventRows):
            p = write_row_groups(df.n, df.frame, out / f"{name}.parquet", table=name, piece=128 * 1024)
        elif name == "quartiles":
            p = out / "quartiles.csv"
            df.to_csv(p, index=False, float_format="%.2f", lineterminator="\n", date_format="%Y-%m-%d")
        else:
            p = write_parquet(df, out / f"{name}.parquet", table=name)
        files.append(p)
        if csv:
            (out / "csv").mkdir(exist_ok=True)
            csv_files.append(_tables.write_csv_fr(df, out / "csv" / f"{name}.csv"))
        if name == "indicators":   # the figures now, so the indicator table need not be kept
            from .figures import write_figures   # matplotlib only when writing
            terr = model.territory
            qpv_nb = {n for n, q in zip(terr.nb_names, terr.nb_qpv) if q}
            figures = write_figures(df, out, sc.name, qpv_neighbourhoods=qpv_nb)
        del df
        release_memory()
    files.extend(csv_files)
    files.extend(figures)

    timings = dict(timings)
    timings["write"] = round(time.perf_counter() - t0, 3)
    manifest = {
        "package": "peuplement",
        "version": _version("peuplement"),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "mesa": _version("mesa"),
        "pyarrow": pa.__version__,
        "seed": int(model.seed),
        "scenario": sc.name,
        "scenario_source": str(Path(scenario_path).resolve()) if scenario_path else None,
        "years": int(sc.run.years),
        "start_year": int(sc.run.start_year),
        "months_run": int(model.month),
        "dwellings": int(model.dwellings.n),
        "households": int(model.households.n),
        "timings_seconds": {k: round(float(v), 3) for k, v in timings.items()},
        "created_utc": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "files": sorted([str(f.relative_to(out)) for f in files] + ["manifest.json"]),
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n",
                                       encoding="utf-8")
    return manifest


# ------------------------------------------------------------------------------------- summary
def _pct(v: float) -> str:
    return fmt.pct(v)


def _num(v: float, decimals: int = 0) -> str:
    return fmt.num(v, decimals)


def summary_indicators(df: pd.DataFrame) -> pd.DataFrame:
    """The rows of the indicator table that summary() reads: a small table a caller can keep instead
    of the whole one while the run folder is written; summary() gives the same lines from it."""
    needed = ("allocations", "turnover_rate", "vacancy_rate", "applications_per_allocation", "refusal_rate",
              "q1_share_allocations_outside_qpv", "q2q4_share_allocations_in_qpv",
              "priority_share_allocations", "q1_share_tenants", "dissimilarity_q1")
    return df.loc[df["indicator"].isin(needed) & df["scale"].isin(("territory", "qpv", "outside_qpv"))
                  | ((df["indicator"] == "dissimilarity_q1") & (df["scale"] == "neighbourhood"))
                  | ((df["indicator"] == "priority_share_allocations") & (df["scale"] == "reservation_holder"))]


def summary(model, indicators: pd.DataFrame | None = None) -> list[tuple[str, str]]:
    """Headline figures of a run as (label, formatted value), in the current language (simulation.fmt):
    the last full year's flows, vacancy, tension, refusals and legal indicators; Q1 shares of tenants
    in and outside QPV and the dissimilarity index at the start (month 0, 1 January of the first
    year) and at the end. `indicators` may be the whole table or summary_indicators() of it."""
    df = summary_indicators(model.indicators() if indicators is None else indicators)
    terr = model.territory.name
    rows: list[tuple[str, str]] = []

    def pick(ind, period, scale, month=None, area=None):
        sel = (df["indicator"] == ind) & (df["period"] == period) & (df["scale"] == scale)
        if area is not None:
            sel &= df["area"] == area
        if month is not None:
            sel &= df["month"] == month
        return df.loc[sel]

    def one(ind, period, scale, month, area=None) -> float:
        s = pick(ind, period, scale, month, area)
        return float(s["value"].iloc[0]) if len(s) else float("nan")

    years = df.loc[df["period"] == "year", "month"]
    if len(years):
        ym = int(years.max())
        y = model.sc.run.start_year + ym // 12 - 1
        rows.append((tr(f"Attributions en {y}", f"Allocations in {y}"),
                     _num(one("allocations", "year", "territory", ym))))
        rows.append((tr(f"Taux de rotation {y}", f"Turnover rate {y}"),
                     _pct(one("turnover_rate", "year", "territory", ym))))
        vac = pick("vacancy_rate", "month", "territory")
        vac = vac.loc[(vac["month"] > ym - 12) & (vac["month"] <= ym), "value"]
        rows.append((tr(f"Taux de vacance {y} (moyenne mensuelle)", f"Vacancy rate {y} (monthly mean)"),
                     _pct(float(vac.mean()) if len(vac) else float("nan"))))
        for ind, show in (("applications_per_allocation", lambda v: _num(v, 1)), ("refusal_rate", _pct),
                         ("q1_share_allocations_outside_qpv", _pct), ("q2q4_share_allocations_in_qpv", _pct),
                         ("priority_share_allocations", _pct)):
            rows.append((f"{label(ind, fmt.get_lang(), short=True)} {y}",
                         show(one(ind, "year", "territory", ym))))
        # legal indicator (c) is per reservation holder (CCH L441-1): one line each
        for h in model.holders:
            rows.append((tr(f"  réservataire {h.name} {y}", f"  reservation holder {h.name} {y}"),
                         _pct(one("priority_share_allocations", "year", "reservation_holder", ym, h.name))))
    last = int(df["month"].max()) if len(df) else 0
    y0 = model.sc.run.start_year
    when = tr(f"début {y0} → fin {y0 + last // 12 - 1}", f"start {y0} → end {y0 + last // 12 - 1}") \
        if last and last % 12 == 0 else tr(f"mois 0 → {last}", f"month 0 → {last}")
    for scale, name in (("qpv", tr("en QPV", "in QPV")), ("outside_qpv", tr("hors QPV", "outside QPV"))):
        v0 = one("q1_share_tenants", "month", scale, 0)
        v1 = one("q1_share_tenants", "month", scale, last)
        rows.append((f"{label('q1_share_tenants', fmt.get_lang(), short=True)} {name}, {when}",
                     f"{_pct(v0)} → {_pct(v1)}"))
    d0 = one("dissimilarity_q1", "month", "neighbourhood", 0, terr)
    d1 = one("dissimilarity_q1", "month", "neighbourhood", last, terr)
    rows.append((f"{label('dissimilarity_q1', fmt.get_lang(), short=True)}, {when}",
                 f"{_num(d0, 3)} → {_num(d1, 3)}"))
    n_re = len(model.rehousing.log.get("household", []))
    if n_re:
        rows.append((label("rehoused", fmt.get_lang(), short=True), _num(n_re)))
    return rows


__all__ = ["write_run", "write_parquet", "summary", "rehousing_frame", "quartile_frame", "output_tables",
           "iter_output_tables", "write_row_groups", "release_memory", "settled_heap", "summary_indicators"]
