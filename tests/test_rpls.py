"""Importing a territory from an RPLS file: the legal and documented answers on hand-made files,
both column layouts, bad files in one line, and the shipped SYNTHETIC extracts end to end."""

from __future__ import annotations

import csv
import subprocess
import sys
import zipfile
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import yaml

from simulation.model import HousingModel
from simulation.rpls import RplsError, import_rpls, parse_financing_overrides, write_scenario
from simulation.scenario import load_scenario
from simulation.state import TENANT

DATA = Path(__file__).resolve().parent / "data" / "rpls"
RECENT = DATA / "synthetique_recent.csv"
OLD = DATA / "synthetique_ancien.csv"
EPCI = "200099999"

OLD_COLS = ["DEPCOM", "LIBCOM", "EPCI", "QPV", "PLG_IRIS", "NUMVOIE", "TYPVOIE", "NOMVOIE",
            "CONSTRUCT", "NBPIECE", "SURFHAB", "FINAN", "TYPECONST", "LOYERPRINC"]


def write_csv(path: Path, rows: list[dict], cols=OLD_COLS, encoding="utf-8", delimiter=";") -> Path:
    with open(path, "w", newline="", encoding=encoding) as f:
        w = csv.writer(f, delimiter=delimiter)
        w.writerow(cols)
        for r in rows:
            w.writerow([r.get(c, "") for c in cols])
    return path


def dwelling(**kw) -> dict:
    base = {"DEPCOM": "99001", "LIBCOM": "Villefictive", "EPCI": EPCI, "QPV": "", "PLG_IRIS": "0001",
            "NUMVOIE": "1", "TYPVOIE": "RUE", "NOMVOIE": "DES LILAS", "CONSTRUCT": "1990",
            "NBPIECE": "3", "SURFHAB": "65", "FINAN": "12", "TYPECONST": "C", "LOYERPRINC": ""}
    base.update({k: str(v) for k, v in kw.items()})
    return base


def residences(sc: dict) -> dict[str, dict]:
    return {r["name"]: {**r, "nbhd": n["name"], "is_qpv": n["is_qpv"]}
            for n in sc["territory"]["neighbourhoods"] for r in n["residences"]}


def cli(*args, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "simulation.cli", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, timeout=600)


# ------------------------------------------------------------------------------ financing table
def test_financing_codes_map_to_the_documented_types(tmp_path):
    codes = {"10": "PLAI", "11": "PLAI", "12": "PLUS", "13": "PLUS", "14": "PLS", "15": "PLS",
             "16": "PLI", "17": "PLS", "50": "PLUS", "51": "PLUS", "52": "PLUS", "53": "PLUS",
             "49": "PLUS", "99": "PLUS"}
    rows = [dwelling(NOMVOIE=f"RUE {c}", FINAN=c) for c in codes for _ in range(5)]
    sc = import_rpls(write_csv(tmp_path / "f.csv", rows), EPCI)
    got = {r["name"].split(",")[0].split()[-1]: r["financing"] for r in residences(sc).values()}
    assert got == codes
    src = sc["territory"]["source"]
    # 49 and 99 have no equivalent in the model: PLUS, counted as imputed (5 dwellings each)
    assert src["imputed"]["financement (code sans équivalent dans le modèle -> PLUS)"] == 10
    assert src["financing_codes"]["16 -> PLI"] == 5


def test_unknown_financing_code_is_one_line_and_can_be_mapped(tmp_path):
    rows = [dwelling(), dwelling(FINAN="77"), dwelling(FINAN="77")]
    f = write_csv(tmp_path / "f.csv", rows)
    with pytest.raises(RplsError) as e:
        import_rpls(f, EPCI)
    msg = str(e.value)
    assert "'77' (2 rows)" in msg and "--financing" in msg and "\n" not in msg
    sc = import_rpls(f, EPCI, financing=parse_financing_overrides(["77=PLS"]), min_residence=1)
    assert sorted(r["financing"] for r in residences(sc).values()) == ["PLS", "PLUS"]
    with pytest.raises(RplsError, match="CODE=TYPE"):
        parse_financing_overrides(["77=HLM"])


# ------------------------------------------------------------------------------ grouping
def test_neighbourhoods_are_qpv_then_iris_then_commune(tmp_path):
    rows = ([dwelling(QPV="QN99901X", NOMVOIE="TOUR A") for _ in range(6)]
            + [dwelling(PLG_IRIS="0002", NOMVOIE="RUE B") for _ in range(6)]
            + [dwelling(PLG_IRIS="", DEPCOM="99002", LIBCOM="Saint-Imaginé", NOMVOIE="RUE C") for _ in range(6)])
    sc = import_rpls(write_csv(tmp_path / "f.csv", rows), EPCI)
    nb = {n["name"]: n["is_qpv"] for n in sc["territory"]["neighbourhoods"]}
    assert nb == {"QPV QN99901X": True, "Villefictive - IRIS 990010002": False, "Saint-Imaginé": False}


def test_residences_split_by_financing_and_small_addresses_pooled(tmp_path):
    rows = ([dwelling(NBPIECE=k % 5 + 1) for k in range(10)]                 # 10 PLUS at 1 rue des Lilas
            + [dwelling(FINAN="10") for _ in range(6)]                       # 6 PLAI at the same address
            + [dwelling(NOMVOIE=f"IMPASSE {k}", CONSTRUCT=1960) for k in range(3)])   # 3 scattered
    sc = import_rpls(write_csv(tmp_path / "f.csv", rows), EPCI)
    res = residences(sc)
    assert res["1 Rue Des Lilas, Villefictive (PLUS)"]["dwellings"] == 10
    assert res["1 Rue Des Lilas, Villefictive (PLUS)"]["typology"] == {f"T{i}": 0.2 for i in range(1, 6)}
    assert res["1 Rue Des Lilas, Villefictive (PLAI)"]["dwellings"] == 6
    diffuse = [r for n, r in res.items() if "diffus" in n]
    assert len(diffuse) == 1 and diffuse[0]["dwellings"] == 3 and diffuse[0]["year_built"] == 1960


# ------------------------------------------------------------------------------ rents
def test_rent_from_the_file_is_rent_over_surface(tmp_path):
    rows = [dwelling(SURFHAB="50", LOYERPRINC="300"), dwelling(SURFHAB="70", LOYERPRINC="480"),
            dwelling(SURFHAB="60", LOYERPRINC="")] + [dwelling(NOMVOIE="NEUVE") for _ in range(3)]
    sc = import_rpls(write_csv(tmp_path / "f.csv", rows), EPCI, min_residence=1)
    res = residences(sc)
    # (300 + 480) / (50 + 70) = 6.50 EUR/m2; the third dwelling takes the residence's mean
    assert res["1 Rue Des Lilas, Villefictive"]["rent_m2"] == 6.5
    imputed = sc["territory"]["source"]["imputed"]
    assert imputed["loyer (moyenne des autres logements de la résidence)"] == 1
    # no rent at all in rue Neuve: the schedule, PLUS built 1990 = 6.3 EUR/m2 (rents defaults)
    assert res["1 Rue Neuve, Villefictive"]["rent_m2"] == 6.3
    assert imputed["loyer (barème par financement et époque)"] == 3


def test_imputed_rents_scale_in_ile_de_france_and_with_known_local_rents(tmp_path):
    rows = [dwelling(DEPCOM="93001", FINAN="10", CONSTRUCT=1965) for _ in range(5)]
    sc = import_rpls(write_csv(tmp_path / "f.csv", rows), EPCI)
    # PLAI 1965: 5.0 x 0.88 = 4.40, x 7.68/6.15 in Ile-de-France
    assert list(residences(sc).values())[0]["rent_m2"] == round(4.40 * round(7.68 / 6.15, 3), 2)
    # 40 dwellings let at 7.56 = 1.2 x the schedule (PLUS 1990: 6.3): imputed rents follow, x 1.2
    rows = ([dwelling(NOMVOIE="CHERE", SURFHAB="50", LOYERPRINC="378") for _ in range(40)]
            + [dwelling(NOMVOIE="SANS LOYER", CONSTRUCT=1965) for _ in range(5)])
    res = residences(import_rpls(write_csv(tmp_path / "g.csv", rows), EPCI))
    assert res["1 Rue Chere, Villefictive"]["rent_m2"] == 7.56
    assert res["1 Rue Sans Loyer, Villefictive"]["rent_m2"] == round(5.0 * 1.2, 2)


# ------------------------------------------------------------------------------ rows not used
def test_every_row_of_the_epci_is_used_or_counted(tmp_path):
    rows = ([dwelling() for _ in range(5)]
            + [dwelling(TYPECONST="E")]                              # student housing
            + [dwelling(NBPIECE="", SURFHAB="")]                     # no typology at all
            + [dwelling(NBPIECE="", SURFHAB="80")]                   # T4 from its surface
            + [dwelling(CONSTRUCT="")]                               # no year: dropped (no LOCAT column)
            + [dwelling(EPCI="")]                                    # no EPCI: not in, reported
            + [dwelling(EPCI="200000001")])                          # another EPCI
    sc = import_rpls(write_csv(tmp_path / "f.csv", rows), EPCI, min_residence=1)
    src = sc["territory"]["source"]
    assert src["rows_read"] == 11 and src["rows_in_epci"] == 9 and src["dwellings"] == 6
    assert sum(src["rows_dropped"].values()) == src["rows_in_epci"] - src["dwellings"]
    assert src["imputed"]["typologie (déduite de la surface SURFHAB)"] == 1
    assert any("1 lignes du fichier sans code EPCI" in n for n in src["notes"])
    assert residences(sc)["1 Rue Des Lilas, Villefictive"]["typology"]["T4"] == round(1 / 6, 4)


# ------------------------------------------------------------------------------ bad files
@pytest.mark.parametrize("case, expect", [
    ("missing_column", "colonne(s) manquante(s) pour finan"),
    ("utf16", "UTF-16"),
    ("empty_epci", "est vide sur toutes les lignes"),
    ("other_epci", "aucun logement avec le code EPCI '200099999'"),
    ("no_file", "fichier introuvable"),
    ("two_csv_zip", "plusieurs fichiers CSV"),
    ("header_only", "aucune ligne de données"),
])
def test_bad_files_end_in_one_line(tmp_path, case, expect):
    """A bad RPLS file ends in one French line saying what is wrong (French is the default)."""
    f = tmp_path / "rpls.csv"
    if case == "missing_column":
        write_csv(f, [dwelling()], cols=[c for c in OLD_COLS if c != "FINAN"])
    elif case == "utf16":
        write_csv(f, [dwelling()], encoding="utf-16")
    elif case == "empty_epci":
        write_csv(f, [dwelling(EPCI="") for _ in range(3)])
    elif case == "other_epci":
        write_csv(f, [dwelling(EPCI="200000001") for _ in range(3)])
    elif case == "two_csv_zip":
        f = tmp_path / "rpls.zip"
        with zipfile.ZipFile(f, "w") as z:
            z.writestr("a.csv", "x;y\n")
            z.writestr("b.csv", "x;y\n")
    elif case == "header_only":
        write_csv(f, [])
    r = cli("territory", "from-rpls", f, "--epci", EPCI, "--out", tmp_path / "t.yaml")
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    assert lines[0].startswith("peuplement: erreur : ") and expect in lines[0], lines[0]


def test_unknown_renewal_qpv_is_named(tmp_path):
    f = write_csv(tmp_path / "f.csv", [dwelling(QPV="QN99901X") for _ in range(5)])
    with pytest.raises(RplsError, match="QN00000 not among the QPV of EPCI 200099999 \\(QN99901X\\)"):
        import_rpls(f, EPCI, renewal_qpv=("QN00000",))


# ------------------------------------------------------------------------------ layouts, encodings
def test_both_layouts_of_the_synthetic_extracts_agree_with_the_file():
    """Every EPCI row of the shipped SYNTHETIC files is a dwelling or a counted drop; QPV stock and
    typology totals are those of the file."""
    for path, epci_col, qpv_col, enc in ((RECENT, "EPCI_CODE", "PLG_QP24", "utf-8"),
                                         (OLD, "EPCI", "QPV", "latin-1")):
        with open(path, encoding=enc, newline="") as f:
            rows = [r for r in csv.DictReader(f, delimiter=";") if r[epci_col] == EPCI]
        sc = import_rpls(path, EPCI)
        src = sc["territory"]["source"]
        assert src["layout"] == ("recent" if path == RECENT else "old")
        assert src["rows_in_epci"] == len(rows)
        assert src["dwellings"] + sum(src["rows_dropped"].values()) == len(rows)
        kept = [r for r in rows if r["NBPIECE"] and r[("TYPECONST_CODE" if path == RECENT else "TYPECONST")] != "E"]
        assert src["dwellings"] == len(kept)
        res = residences(sc).values()
        qpv_file = sum(1 for r in kept if r[qpv_col] not in ("", "HORS QPV"))
        assert sum(r["dwellings"] for r in res if r["is_qpv"]) == qpv_file > 0
        rooms = Counter(min(int(r["NBPIECE"]), 5) for r in kept)
        got = Counter()
        for r in res:
            for t, s in r["typology"].items():
                got[int(t[1])] += round(s * r["dwellings"])
        assert got == rooms


def test_latin1_file_keeps_its_accents_and_zip_gives_the_same_territory(tmp_path):
    assert "Saint-Imaginé".encode("latin-1") in OLD.read_bytes()     # the old file is Latin-1
    sc = import_rpls(OLD, EPCI)
    names = " ".join(n["name"] for n in sc["territory"]["neighbourhoods"])
    assert "Saint-Imaginé" in names or "Val-Supposé" in names
    z = tmp_path / "rpls.zip"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(RECENT, RECENT.name)
    a, b = import_rpls(RECENT, EPCI), import_rpls(z, EPCI)
    assert b["territory"]["source"]["file"] == "rpls.zip:synthetique_recent.csv"
    assert a["territory"]["neighbourhoods"] == b["territory"]["neighbourhoods"]
    assert a["territory"]["source"]["imputed"] == b["territory"]["source"]["imputed"]


# ------------------------------------------------------------------------------ end to end
@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    d = tmp_path_factory.mktemp("rpls")
    r = cli("territory", "from-rpls", RECENT, "--epci", EPCI, "--out", d / "territoire.yaml",
            "--renewal-qpv", "QN99901X", "--name", "Agglo fictive")
    assert r.returncode == 0, r.stderr
    assert "logements de l'EPCI 200099999" in r.stdout and "imputés" in r.stdout
    return d / "territoire.yaml"


def test_import_is_deterministic(imported, tmp_path):
    r = cli("territory", "from-rpls", RECENT, "--epci", EPCI, "--out", tmp_path / "again.yaml",
            "--renewal-qpv", "QN99901X", "--name", "Agglo fictive")
    assert r.returncode == 0
    assert (tmp_path / "again.yaml").read_text(encoding="utf-8").replace("again.yaml", "territoire.yaml") \
        == imported.read_text(encoding="utf-8")


def test_import_validate_run_and_compare_a_demolition(imported):
    data = yaml.safe_load(imported.read_text(encoding="utf-8"))
    assert data["extends"] == "baseline"
    qpv = next(n for n in data["territory"]["neighbourhoods"] if n["is_qpv"])
    assert qpv["is_renewal_site"] is True
    target = max(qpv["residences"], key=lambda r: r["dwellings"])
    variant = imported.parent / "demolition.yaml"
    variant.write_text(f"extends: {imported.name}\nname: demolition\nworks:\n"
                       f"  - {{type: demolition, residence: \"{target['name']}\", announce: 2025-03, "
                       f"demolish: 2026-06}}\n", encoding="utf-8")
    r = cli("validate", imported, variant)
    assert r.returncode == 0 and r.stdout.count("OK ") == 2, r.stderr
    r = cli("run", imported, "--years", "2", "--out", imported.parent / "run", "--quiet")
    assert r.returncode == 0, r.stderr
    assert (imported.parent / "run" / "indicators.parquet").is_file()
    out = imported.parent / "compare"
    r = cli("compare", imported, variant, "--seeds", "2", "--years", "3", "--workers", "1", "--out", out)
    assert r.returncode == 0, r.stderr
    import json
    met = {p.parent.name: json.loads(p.read_text()) for p in (out / "runs").glob("*/metrics.json")}
    assert len(met) == 4 and (out / "report" / "report.html").is_file()
    rehoused = [m["rehoused"] for k, m in met.items() if k.startswith("demolition-")]
    assert len(rehoused) == 2 and all(x > 0 for x in rehoused)
    assert all(m["rehoused"] == 0 for k, m in met.items() if not k.startswith("demolition-"))


def test_model_on_the_imported_stock_has_its_dwellings(imported):
    sc = load_scenario(imported, {"run": {"years": 1}})
    m = HousingModel(sc)
    src = sc.territory.source
    assert m.dwellings.n == src.dwellings
    qpv_dw = sum(r.dwellings for n in sc.territory.neighbourhoods if n.is_qpv for r in n.residences)
    assert int(m.territory.nb_qpv[m.dwellings.nbhd[: m.dwellings.n]].sum()) == qpv_dw


# ------------------------------------------------------------------------------ households
def test_local_figures_set_the_initial_tenants_and_applicants(imported):
    figures = {"q1_threshold_eur_uc": 8300, "q1_share_tenants_qpv": 0.45,
               "q1_share_tenants_outside_qpv": 0.18, "applicants": 3000, "priority_share": 0.3,
               "vacancy_rate": 0.04}
    # the stock replicated to 6,000 dwellings, so that shares are measured on enough households
    # the drawn state is the start only without spin-up (the spin-up moves it to the model's own)
    sc = load_scenario(imported, {"run": {"years": 1, "spin_up_years": 0}, "local_figures": figures,
                                  "territory": {"scale_to_dwellings": 6000}})
    assert sc.population.priority_share == 0.3 and sc.population.initial_occupancy == pytest.approx(0.96)
    qpv_share, out_share, thresholds = [], [], []
    for seed in (1, 2, 3):
        m = HousingModel(sc, seed=seed)
        hh = m.households
        assert int(hh.applying.sum()) == 3000
        assert hh.priority[hh.applying].mean() == pytest.approx(0.3, abs=0.03)
        thresholds.append(m.quartile_thresholds[0])
        t = np.flatnonzero(hh.state == TENANT)
        assert len(t) / m.dwellings.n == pytest.approx(0.96, abs=0.02)
        poor = hh.income_uc_of(t) < 8300
        in_qpv = m.territory.nb_qpv[m.dwellings.nbhd[hh.dwelling[t]]]
        qpv_share.append(poor[in_qpv].mean())
        out_share.append(poor[~in_qpv].mean())
    # the applicants' first quartile is the given threshold, and the tenants' shares under it too
    assert np.mean(thresholds) == pytest.approx(8300, rel=0.03)
    assert np.mean(qpv_share) == pytest.approx(0.45, abs=0.025)
    assert np.mean(out_share) == pytest.approx(0.18, abs=0.02)
    # without local figures the national defaults apply
    plain = load_scenario(imported, {"run": {"years": 1}})
    assert plain.population.priority_share == 0.20 and plain.local_figures is None


def test_local_figures_for_allocations_set_the_exit_rate(imported):
    base = load_scenario(imported)
    n = base.territory.source.dwellings
    sc = load_scenario(imported, {"local_figures": {"allocations_per_year": 40, "applicants": 200}})
    occ, ex = sc.population.initial_occupancy, sc.behaviour.exits
    assert sc.behaviour.demand.market_tension == pytest.approx(200 / 40)
    # exits fall with tension: the expected allocations (population.expected_external_allocations)
    # are the 40 given
    damp = (5.0 / ex.reference_tension) ** -ex.tension_elasticity
    assert n * occ * ex.base_rate * 1.25 * damp == pytest.approx(40)


def test_write_scenario_reports_an_unwritable_path(tmp_path):
    sc = import_rpls(RECENT, EPCI)
    (tmp_path / "file").write_text("x")
    with pytest.raises(RplsError, match="cannot write"):
        write_scenario(sc, tmp_path / "file" / "sub.yaml")


def test_warnings_on_an_imported_territory(imported):
    from simulation.checks import scenario_warnings
    sc = load_scenario(imported, {"rehousing": {"target_other_landlord": 0.3}})
    assert any(w.startswith("rehousing.target_other_landlord: the imported territory has a single")
               for w in scenario_warnings(sc))
    assert scenario_warnings(load_scenario(imported)) == []
