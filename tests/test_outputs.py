"""The tables of a run folder as an analyst reads them: names rather than codes, calendar dates,
column descriptions in the Parquet metadata (the same as docs/outputs.md), who the household was on
every event and offer, pending applicants and refusal rates at every scale, and French CSVs.

One `peuplement run --format csv` of the stylised town with renewal works (3 years) serves all tests.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.cli import main
from simulation.tables import TABLES, render

ROOT = Path(__file__).resolve().parent.parent
PARQUETS = [n for n in TABLES if n != "quartiles"]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("run") / "tour_a"
    assert main(["run", "renewal_tour_a", "--years", "3", "--seed", "3", "--out", str(out), "--quiet",
                 "--format", "csv"]) == 0
    return out


@pytest.fixture(scope="module")
def t(run_dir) -> dict[str, pd.DataFrame]:
    return {n: pd.read_parquet(run_dir / f"{n}.parquet") for n in PARQUETS}


def test_outputs_md_is_current():
    text = (ROOT / "docs" / "outputs.md").read_text(encoding="utf-8")
    assert text == render(), "docs/outputs.md is stale: python -m simulation.tables > docs/outputs.md"


@pytest.mark.parametrize("name", PARQUETS)
def test_every_column_is_described_in_the_parquet_file(run_dir, name):
    schema = pq.read_schema(run_dir / f"{name}.parquet")
    assert schema.metadata[b"peuplement.description"].decode() == TABLES[name][0]
    cols = TABLES[name][1]
    for f in schema:
        meta = f.metadata or {}
        assert meta.get(b"description", b"").decode() == cols[f.name][0], f"{name}.{f.name}"
        assert meta.get(b"unit", b"").decode() == cols[f.name][1], f"{name}.{f.name}"
    # nothing documented that the table does not have
    assert set(cols) == set(schema.names), f"{name}: documented {sorted(set(cols) - set(schema.names))}"


def test_every_indicator_is_listed_with_its_label(t):
    """docs/outputs.md lists the indicator names from the labels: none may be missing there."""
    from simulation.labels import INDICATORS
    missing = sorted(set(t["indicators"]["indicator"].astype(str)) - set(INDICATORS))
    assert not missing, f"indicators without a French label in simulation/labels.py: {missing}"


def test_places_and_holders_are_names(t):
    res_names = set(t["allocations"]["residence"])
    for name in ("events", "offers", "allocations", "rehousing"):
        df = t[name]
        vals = df["residence"].dropna()
        assert len(vals) and all(isinstance(v, str) for v in vals), f"{name}.residence is not a name"
        assert set(vals) <= set(t["trajectories"]["residence"].dropna()) | res_names
    holders = set(t["offers"]["holder"])
    assert all(isinstance(h, str) for h in holders)
    assert {"Préfet", "Action Logement"} <= holders
    assert "relogement" in holders, "renewal rehousing offers should be named"
    assert set(t["rehousing"]["from_residence"]) == {"Tilleuls - Tour A"}


def test_dates_match_months(t):
    for name in ("indicators", "allocations", "offers", "events", "rehousing"):
        df = t[name]
        m, d = df["month"].to_numpy(), pd.DatetimeIndex(df["date"])
        # month m >= 1 is the m-th month from January of the first year (2025): its last day
        assert d.is_month_end.all(), name
        sel = m >= 1
        assert ((d.year[sel] - 2025) * 12 + d.month[sel] == m[sel]).all(), name
    ind = t["indicators"]
    d0 = pd.DatetimeIndex(ind.loc[ind["month"] == 0, "date"])
    assert (d0 == pd.Timestamp("2024-12-31")).all()
    sp = t["trajectories"]
    assert sp["end_date"].isna().sum() == (sp["end_month"] < 0).sum()


def test_events_and_offers_say_who_and_where(t):
    ev, off, al = t["events"], t["offers"], t["allocations"]
    for df in (ev, off):
        for col in ("quartile", "priority", "residence", "neighbourhood", "in_qpv"):
            assert col in df
    moves = ev[ev["event"].isin(["allocated", "transferred", "rehoused"])]
    assert moves["quartile"].between(1, 4).all() and moves["residence"].notna().all()
    assert (ev.loc[ev["event"].isin(["demolished", "sold"]), "quartile"] == 0).all()
    # an allocation, its move-in event and its accepted offer tell the same story
    acc = off[off["accepted"]]
    j = al.merge(acc, on=["month", "household", "dwelling"], suffixes=("", "_offer"))
    assert len(j) == len(al)
    assert (j["residence"] == j["residence_offer"]).all()
    assert (j["in_qpv"] == j["in_qpv_offer"]).all()
    assert (j["quartile"] == j["quartile_offer"]).all()
    assert (j["priority"] == j["priority_offer"]).all()
    je = al.merge(moves, on=["month", "household", "dwelling"], suffixes=("", "_event"))
    assert len(je) == len(al)
    assert (je["neighbourhood"] == je["neighbourhood_event"]).all()
    # the QPV flag is the neighbourhood's
    qpv_nb = set(al.loc[al["in_qpv"], "neighbourhood"])
    e = ev.dropna(subset=["neighbourhood"])
    assert (e["in_qpv"].astype(bool) == e["neighbourhood"].isin(qpv_nb)).all()


def test_pending_applicants_each_month(t):
    ind = t["indicators"]
    p = ind[ind["indicator"].astype(str).str.startswith("pending")].pivot_table(
        index="month", columns="indicator", values="value", observed=True)
    assert len(p) == 37, "one stock per month, 0..36"
    assert (p["pending_applicants_external"] + p["pending_transfer_requests"]
            == p["pending_applications"]).all()
    assert (p["pending_applicants_priority"] > 0).all()
    assert (p["pending_applicants_priority"] < p["pending_applications"]).all()


def test_refusal_rates_at_every_scale(t):
    ind, off = t["indicators"], t["offers"]
    rr = ind[(ind["indicator"] == "refusal_rate") & (ind["period"] == "year")]
    assert set(rr["scale"]) == {"territory", "qpv", "outside_qpv", "neighbourhood", "residence"}
    for year, g in off.groupby(pd.DatetimeIndex(off["date"]).year):
        r = rr[rr["year"] == year].set_index(["scale", "area"])["value"]
        refused = ~g["accepted"]
        assert r[("qpv", "qpv")] == pytest.approx(refused[g["in_qpv"]].mean())
        assert r[("outside_qpv", "outside_qpv")] == pytest.approx(refused[~g["in_qpv"]].mean())
        by_nb = refused.groupby(g["neighbourhood"], observed=True).mean()
        for nb, v in by_nb.items():
            assert r[("neighbourhood", nb)] == pytest.approx(v)
        by_res = refused.groupby(g["residence"], observed=True).mean()
        for res, v in by_res.items():
            assert r[("residence", res)] == pytest.approx(v)
    # QPV dwellings are refused more often than the others (stigma, solvency terms)
    q = rr[rr["scale"] == "qpv"]["value"].mean()
    o = rr[rr["scale"] == "outside_qpv"]["value"].mean()
    assert q > o


def test_french_csv_reads_back(run_dir, t):
    raw = (run_dir / "csv" / "indicators.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "no UTF-8 BOM: Excel would misread accents"
    assert b"0," in raw and b";" in raw.splitlines()[0]
    for name in PARQUETS:
        back = pd.read_csv(run_dir / "csv" / f"{name}.csv", sep=";", decimal=",", encoding="utf-8-sig")
        pq_df = t[name]
        assert list(back.columns) == list(pq_df.columns), name
        assert len(back) == len(pq_df), name
        for c in pq_df.columns:
            if pd.api.types.is_float_dtype(pq_df[c]):
                np.testing.assert_allclose(back[c].to_numpy(float), pq_df[c].to_numpy(float),
                                           rtol=1e-9, equal_nan=True, err_msg=f"{name}.{c}")
    ind = pd.read_csv(run_dir / "csv" / "indicators.csv", sep=";", decimal=",", encoding="utf-8-sig")
    assert ind["value"].dtype == float
    assert ind["date"].iloc[0] == "2024-12-31"
    ev = pd.read_csv(run_dir / "csv" / "events.csv", sep=";", decimal=",", encoding="utf-8-sig")
    assert set(ev["priority"].unique()) <= {True, False}
    assert "Les Tilleuls" in set(ev["neighbourhood"].dropna())


def test_same_seed_same_csv_and_parquet_files(run_dir, tmp_path):
    """The CSVs and the annotated Parquet files are byte-identical for the same seed."""
    import filecmp
    again = tmp_path / "again"
    assert main(["run", "renewal_tour_a", "--years", "3", "--seed", "3", "--out", str(again), "--quiet",
                 "--format", "csv"]) == 0
    for sub, pattern in (("csv", "*.csv"), (".", "*.parquet")):
        names = sorted(p.name for p in (run_dir / sub).glob(pattern))
        assert len(names) >= 7
        _, mismatch, errors = filecmp.cmpfiles(run_dir / sub, again / sub, names, shallow=False)
        assert not mismatch and not errors, f"differ between two runs with the same seed: {mismatch}"
    manifest = (again / "manifest.json").read_text(encoding="utf-8")
    assert '"csv/events.csv"' in manifest


def test_row_group_writer_writes_the_bytes_of_one_write(tmp_path, monkeypatch):
    """Large tables (the metropolis's events) are written row group by row group, each converted
    in pieces, to bound memory: the file must be the one a single write_table gives."""
    import pyarrow as pa
    from simulation import outputs as out_mod

    rng = np.random.default_rng(1)
    n = 5000
    df = pd.DataFrame({"month": np.arange(n, dtype=np.int32) // 7, "value": rng.random(n),
                       "event": pd.Categorical.from_codes(rng.integers(0, 3, n), ["applied", "exit", "death"])})
    monkeypatch.setattr(out_mod, "ROW_GROUP", 2048)
    out_mod.write_row_groups(n, lambda a, b: df.iloc[a:b], tmp_path / "pieces.parquet", piece=1024)
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), tmp_path / "whole.parquet",
                   row_group_size=2048, **out_mod.PARQUET_OPTIONS)
    assert pq.ParquetFile(tmp_path / "pieces.parquet").metadata.num_row_groups == 3
    assert (tmp_path / "pieces.parquet").read_bytes() == (tmp_path / "whole.parquet").read_bytes()


def test_writing_sets_the_heap_aside_and_gives_it_back():
    """While a run folder is written the objects alive before are frozen out of the cycle collector
    (each collection between tables then costs little), garbage made meanwhile is still collected,
    and the outermost exit unfreezes, also after an error: a worker that runs model after model
    must collect each one (a model holds reference cycles) once written."""
    import gc
    import weakref

    from simulation.outputs import release_memory, settled_heap

    class Node:
        pass

    model = Node()
    model.me = model                          # a finished model: a cycle alive before writing
    before = weakref.ref(model)
    with settled_heap():
        frozen = gc.get_freeze_count()
        assert frozen > 0
        with settled_heap():                  # re-entrant: the inner exit keeps the freeze
            pass
        assert gc.get_freeze_count() == frozen
        a, b = Node(), Node()
        a.other, b.other = b, a               # a cycle made while writing
        gone = weakref.ref(a)
        del a, b
        release_memory()
        assert gone() is None
        del model
        release_memory()
        assert before() is not None           # frozen: not collected while writing
    assert gc.get_freeze_count() == 0
    gc.collect()
    assert before() is None                   # collected once the writing is over
    with pytest.raises(RuntimeError):
        with settled_heap():
            raise RuntimeError("a table failed")
    assert gc.get_freeze_count() == 0


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["int", "float", "flag"]), st.integers(0, 40), st.booleans()),
                min_size=1, max_size=6), st.integers(-2**40, 2**40), st.floats(allow_nan=False))
def test_a_log_column_reads_as_the_list_it_replaces(batches, big, x):
    """The allocation and offer logs keep their columns as LogColumn (typed chunks, sealed each
    month): whatever the appends and seals, a column reads as the list of the same values would,
    and what a reader took earlier stays as it was while the log grows (a list can always grow;
    an exported array.array could not)."""
    from simulation.events import LogColumn
    for kind in ("int", "float", "flag"):
        value = {"int": big, "float": x, "flag": True}[kind]
        dtype = {"int": np.int64, "float": np.float64, "flag": bool}[kind]
        col, ref, taken = LogColumn(dtype), [], []
        for _, n, seal in batches:
            for i in range(n):
                v = value if kind != "int" else value + i
                v = (not v) if kind == "flag" and i % 2 else v
                col.append(v)
                ref.append(v)
            if seal:
                col.seal()
            a = np.asarray(col)
            taken.append((a, len(ref)))
            assert len(col) == len(ref) and a.dtype == (np.asarray(ref).dtype if ref else dtype)
            assert a.tolist() == ref and list(col) == ref
            if ref:
                assert col[len(ref) - 1] == ref[-1] and np.asarray(col[1:]).tolist() == ref[1:]
            with pytest.raises(ValueError):
                a[:1] = 0                      # a reader cannot change the log
        for a, n in taken:                     # earlier reads are unchanged
            assert a.tolist() == ref[:n]
        assert pickle.loads(pickle.dumps(col))[:].tolist() == ref
        col.clear()
        assert len(col) == 0 and np.asarray(col).size == 0


def test_indicator_table_categories_as_built_from_the_text():
    """The indicator table's text columns are built from codes: the same table as the
    categoricals made from the text (categories sorted, every area of each emitted row)."""
    from conftest import run_model
    from simulation.indicators import SCALES
    m = run_model(years=2, seed=4)
    rows = m.observer._rows
    sizes = np.array([r[5].size for r in rows])
    rep = lambda j: np.repeat(np.array([r[j] for r in rows], dtype=object), sizes)
    expected = pd.DataFrame({
        "period": pd.Categorical(rep(1), categories=["month", "year"]),
        "scale": pd.Categorical(rep(2), categories=list(SCALES)),
        "area": pd.Categorical([a for r in rows for a in r[3][: r[5].size]]),
        "indicator": pd.Categorical(rep(4)),
    })
    got = m.observer.frame()
    assert len(got) > 5_000 and got["area"].cat.categories.size > 20
    pd.testing.assert_frame_equal(got[expected.columns], expected)
