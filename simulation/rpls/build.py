"""From the dwellings of one EPCI to a territory: neighbourhoods (QPV, then IRIS, then commune),
residences (programme, else address and building, split by financing type), typology, year,
financing and rent of each residence, landlords; with a record of what was imputed."""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
import pandas as pd

from ..fmt import tr
from ..schema import FINANCINGS, RentsSpec
from ..territory import default_rent_m2
from .reader import Extract, RplsError
from .tables import (FINANCING, FINANCING_BY_LABEL, IDF_DEPARTMENTS, IDF_RENT_FACTOR,
                     LOCAL_CALIBRATION_MIN, NOT_QPV, STUDENT_TYPECONST, UNMAPPED, YES_QPV)

QPV_ATTRACTIVENESS = 0.25      # assumption, as the stylised town's QPV (0.15-0.3)
OTHER_ATTRACTIVENESS = 0.55    # assumption, mid-range outside QPV (0.5-0.8 in the stylised town)
UNKNOWN_LANDLORD = "Bailleurs de l'EPCI (non identifiés)"


def _num(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s.str.strip().str.replace(",", ".", regex=False), errors="coerce")


def _col(df: pd.DataFrame, key: str) -> pd.Series:
    if key in df:
        return df[key].fillna("").astype(str).str.strip()
    return pd.Series("", index=df.index)


def _code(s: pd.Series) -> pd.Series:
    """'012' and '12.0' -> '12'; other text kept, upper-cased."""
    s = s.str.upper().str.strip()
    num = pd.to_numeric(s, errors="coerce")
    out = s.copy()
    ok = num.notna() & (num == num.round())
    out[ok] = num[ok].astype("int64").astype(str)
    return out


def financing_of(codes: pd.Series, labels: pd.Series, overrides: dict[str, str], where: str):
    """Financing type of each dwelling, and the mask of codes with no model equivalent (PLUS)."""
    fin = pd.Series("", index=codes.index, dtype=object)
    table = {c: t for c, (t, _) in FINANCING.items()} | overrides
    for c, t in table.items():
        fin[codes == c] = t
    unmapped = codes.isin(UNMAPPED) & ~codes.isin(list(overrides))
    left = fin == ""
    if left.any():
        up = labels[left].str.upper()
        for word, t in FINANCING_BY_LABEL:
            hit = (fin[left] == "") & up.str.contains(word, regex=False)
            fin.loc[hit[hit].index] = t
    left = fin == ""
    if left.any():
        bad = Counter(codes[left])
        shown = ", ".join(f"'{c}' ({n} rows)" for c, n in bad.most_common(5))
        raise RplsError(f"{where}: " + tr(
            f"code(s) de financement {shown} absents de la table RPLS (docs/rpls.md) ; associez-les avec "
            "--financing CODE=PLUS (ou PLAI, PLS, PLI)",
            f"financing code(s) {shown} are not in the RPLS table (docs/rpls.md); map them with "
            "--financing CODE=PLUS (or PLAI, PLS, PLI)"))
    return fin, unmapped


def build_territory(ex: Extract, *, epci: str, where: str, name: str | None = None,
                    renewal_qpv: tuple[str, ...] = (), financing: dict[str, str] | None = None,
                    min_residence: int = 5, rents: RentsSpec | None = None) -> tuple[dict, dict]:
    """(territory mapping for the scenario file, source record)."""
    rents = rents or RentsSpec()
    df = ex.table.to_pandas()
    n0 = len(df)
    dropped: Counter = Counter()
    imputed: Counter = Counter()
    notes: list[str] = []

    # --- student housing is out of the ordinary allocation
    tc = _col(df, "typeconst").str.upper()
    student = tc.isin(STUDENT_TYPECONST)
    dropped["logement étudiant (TYPECONST E), hors attributions de droit commun"] += int(student.sum())
    df = df[~student]

    # --- rooms (typology), imputed from the surface when missing
    rooms = _num(_col(df, "nbpiece"))
    surface = _num(_col(df, "surfhab"))
    surface = surface.where((surface >= 8) & (surface <= 400))
    bad_rooms = ~((rooms >= 1) & (rooms <= 30))
    from_surface = bad_rooms & surface.notna()
    if from_surface.any():
        edges = np.array([39.0, 56.0, 72.0, 86.5])      # mid-points of rents.surface_by_typology
        rooms[from_surface] = 1 + np.searchsorted(edges, surface[from_surface].to_numpy())
        imputed["typologie (déduite de la surface SURFHAB)"] += int(from_surface.sum())
    no_rooms = bad_rooms & ~from_surface
    dropped["nombre de pièces absent (NBPIECE) et surface absente"] += int(no_rooms.sum())

    # --- construction year, else first letting year
    year = _num(_col(df, "construct"))
    year = year.where((year >= 1700) & (year <= 2100))
    locat = _num(_col(df, "locat"))
    locat = locat.where((locat >= 1700) & (locat <= 2100))
    from_locat = year.isna() & locat.notna()
    year[from_locat] = locat[from_locat]
    if from_locat.any():
        imputed["année de construction (année de première location LOCAT)"] += int(from_locat.sum())
    no_year = year.isna() & ~no_rooms
    dropped["année de construction absente (CONSTRUCT, LOCAT)"] += int(no_year.sum())
    keep = ~no_rooms & ~no_year
    df, rooms, surface, year = df[keep], rooms[keep], surface[keep], year[keep]
    if df.empty:
        raise RplsError(f"{where}: " + tr(f"aucun des {n0} logements de l'EPCI {epci} n'est utilisable",
                                         f"none of the {n0} dwellings of EPCI {epci} is usable")
                        + f" ({'; '.join(f'{k}: {v}' for k, v in dropped.items() if v)})")
    old = year < 1900
    if old.any():
        notes.append(f"{int(old.sum())} logements construits avant 1900 comptés en 1900 (borne du modèle).")
        year = year.clip(lower=1900)

    # --- financing
    codes = _code(_col(df, "finan"))
    fin, unmapped = financing_of(codes, _col(df, "finan_label"), financing or {}, where)
    if unmapped.any():
        imputed["financement (code sans équivalent dans le modèle -> PLUS)"] += int(unmapped.sum())
    vc = pd.DataFrame({"c": codes.to_numpy(object), "t": fin.to_numpy(object)}).value_counts()
    fin_counts = {f"{c or 'vide'} -> {t}": int(k) for (c, t), k in vc.items()}

    # --- neighbourhoods: QPV, else IRIS, else commune
    depcom = _col(df, "depcom").str.upper().str.zfill(5)
    libcom = _col(df, "libcom")
    libcom = libcom.where(libcom != "", "Commune " + depcom)
    q = _col(df, "qpv").str.upper()
    in_qpv = ~q.isin(NOT_QPV)
    qcode = q.where(~q.isin(YES_QPV), "QPV-" + depcom)
    qlabel = _col(df, "qpv_label")
    iris = _col(df, "iris").str.upper()
    iris_ok = (iris != "") & ~iris.str.fullmatch(r"Z+|0+|X+")
    iris_full = iris.where(iris.str.len() > 4, depcom + iris)
    nb_key = np.where(in_qpv, "Q:" + qcode, np.where(iris_ok, "I:" + iris_full, "C:" + depcom))
    nb_names: dict[str, str] = {}
    nb_is_qpv: dict[str, bool] = {}
    first = pd.DataFrame({"k": nb_key, "lib": libcom, "ql": qlabel, "qc": qcode,
                          "iris": iris_full}).drop_duplicates("k")
    for k, lib, ql, qc, ir in first.itertuples(index=False):
        if k.startswith("Q:"):
            nb_names[k] = f"QPV {ql} ({qc})" if ql else f"QPV {qc}"
        elif k.startswith("I:"):
            nb_names[k] = f"{lib} - IRIS {ir}"
        else:
            nb_names[k] = lib
        nb_is_qpv[k] = k.startswith("Q:")
    _dedupe(nb_names)
    renewal = {c.strip().upper() for c in renewal_qpv}
    qpv_codes = {k[2:] for k in nb_names if k.startswith("Q:")}
    unknown = sorted(renewal - qpv_codes)
    if unknown:
        raise RplsError("--renewal-qpv: " + tr(
            f"{', '.join(unknown)} absent(s) des QPV de l'EPCI {epci} "
            f"({', '.join(sorted(qpv_codes)) or 'aucun'})",
            f"{', '.join(unknown)} not among the QPV of EPCI {epci} ({', '.join(sorted(qpv_codes)) or 'none'})"))

    # --- residences: programme, else address + building; split by financing type
    prog = _col(df, "programme")
    addr = (_col(df, "numvoie") + " " + _col(df, "indrep") + " " + _col(df, "typvoie") + " "
            + _col(df, "nomvoie")).str.replace(r"\s+", " ", regex=True).str.strip().str.upper()
    bat = _col(df, "building").str.upper()
    res_key = np.where(prog != "", "P:" + prog,
                       np.where(addr != "", "A:" + depcom + "|" + addr + np.where(bat != "", "|" + bat, ""),
                                ""))
    era = np.where(year < 1977, "avant 1977", np.where(year < 2000, "1977-1999", "depuis 2000"))
    d = pd.DataFrame({"nb": nb_key, "res": res_key, "fin": fin.to_numpy(), "rooms": rooms.clip(1, 5).astype(int),
                      "year": year.astype(int), "surface": surface, "lib": libcom, "addr": addr,
                      "bat": bat, "prog": prog, "era": era, "dep": depcom.str[:2]})
    size = d.groupby(["nb", "res", "fin"])["rooms"].transform("size")
    diffuse = (d["res"] == "") | (size < min_residence)
    d.loc[diffuse, "res"] = "D:" + d.loc[diffuse, "era"]
    if diffuse.any():
        notes.append(f"{int(diffuse.sum())} logements d'adresses de moins de {min_residence} logements "
                     "(ou sans adresse) regroupés par quartier, financement et époque (« diffus »).")

    # --- rents: from the file where known, else the schedule (x IdF, x local calibration)
    rent = _num(_col(df, "rent")).to_numpy()
    rent_ok = (rent > 0) & d["surface"].notna().to_numpy()
    d["rent_m2"] = np.where(rent_ok, rent / d["surface"].to_numpy(), np.nan)
    d.loc[(d["rent_m2"] < 1) | (d["rent_m2"] > 40), "rent_m2"] = np.nan
    pairs = {(int(y), f) for y, f in zip(d["year"].to_numpy(), d["fin"].to_numpy(object))}
    by_pair = {p: default_rent_m2(rents, *p) for p in pairs}
    sched = np.array([by_pair[(int(y), f)] for y, f in zip(d["year"].to_numpy(), d["fin"].to_numpy(object))])
    sched = sched * np.where(d["dep"].isin(IDF_DEPARTMENTS), IDF_RENT_FACTOR, 1.0)
    d["sched"] = sched
    known = d["rent_m2"].notna()
    local = 1.0
    if known.sum() >= LOCAL_CALIBRATION_MIN:
        local = float(d.loc[known, "rent_m2"].sum() / d.loc[known, "sched"].sum())
        local = min(max(local, 0.5), 2.0)

    # --- landlords
    lcol = _col(df, "landlord")
    has_landlord = lcol != ""
    d["landlord"] = np.where(has_landlord, lcol, UNKNOWN_LANDLORD)
    if (~has_landlord).any():
        imputed["bailleur (absent du fichier public)"] += int((~has_landlord).sum())

    # --- assemble, one vectorised pass per quantity (tens of thousands of dwellings)
    grouped = d.groupby(["nb", "res", "fin"], sort=True)
    gid = grouped.ngroup().to_numpy()
    n_g = int(gid.max()) + 1
    counts = np.bincount(gid * 5 + d["rooms"].to_numpy() - 1, minlength=n_g * 5).reshape(n_g, 5)
    size_g = counts.sum(axis=1)
    year_g = d.groupby(gid)["year"].median().to_numpy()
    kr = d["rent_m2"].notna().to_numpy()
    surf = d["surface"].fillna(0.0).to_numpy()
    rent_sum = np.bincount(gid[kr], weights=(d["rent_m2"].to_numpy() * surf)[kr], minlength=n_g)
    surf_sum = np.bincount(gid[kr], weights=surf[kr], minlength=n_g)
    known_g = np.bincount(gid[kr], minlength=n_g)
    sched_g = np.bincount(gid, weights=d["sched"].to_numpy(), minlength=n_g) / size_g
    rent_g = np.where(known_g > 0, rent_sum / np.maximum(surf_sum, 1e-9), sched_g * local)
    imputed_rent = int(size_g[known_g == 0].sum())
    partial_rent = int((size_g - known_g)[known_g > 0].sum())
    lm = pd.DataFrame({"g": gid, "l": d["landlord"].to_numpy(object)}).value_counts().reset_index()
    landlord_g = lm.drop_duplicates("g").set_index("g")["l"].reindex(range(n_g)).to_numpy(object)
    firsts = np.unique(gid, return_index=True)[1]
    cols = {c: d[c].to_numpy(object)[firsts] for c in ("nb", "res", "fin", "lib", "addr", "bat", "prog")}

    neighbourhoods: dict[str, dict] = {}
    res_names: dict[tuple, str] = {}
    for g in range(n_g):
        nb, res, f = cols["nb"][g], cols["res"][g], cols["fin"][g]
        n = int(size_g[g])
        typology = {f"T{i + 1}": round(float(c) / n, 4) for i, c in enumerate(counts[g]) if c}
        if res.startswith("P:"):
            base = f"{cols['lib'][g]} - programme {cols['prog'][g]}"
        elif res.startswith("A:"):
            base = f"{cols['addr'][g].title()}, {cols['lib'][g]}" + (f" - bât. {cols['bat'][g]}"
                                                                      if cols["bat"][g] else "")
        else:
            base = f"{nb_names[nb]} - diffus {res[2:]}"
        res_names[(nb, res, f)] = base
        neighbourhoods.setdefault(nb, {"residences": []})["residences"].append({
            "key": (nb, res, f), "landlord": landlord_g[g], "year_built": int(year_g[g]),
            "financing": f, "dwellings": n, "typology": typology, "rent_m2": round(float(rent_g[g]), 2)})
    # same address with several financing types: name each part by its financing
    bases = Counter(res_names.values())
    for key, base in res_names.items():
        if bases[base] > 1:
            res_names[key] = f"{base} ({key[2]})"
    _dedupe(res_names)

    landlord_names = sorted(d["landlord"].unique())
    landlords = [{"name": n, "kind": _kind(n)} for n in landlord_names]
    nbs = []
    for nb in sorted(neighbourhoods, key=lambda k: nb_names[k]):
        item = {"name": nb_names[nb], "is_qpv": nb_is_qpv[nb]}
        if nb_is_qpv[nb] and nb[2:] in renewal:
            item["is_renewal_site"] = True
        item["attractiveness"] = QPV_ATTRACTIVENESS if nb_is_qpv[nb] else OTHER_ATTRACTIVENESS
        item["residences"] = []
        for r in neighbourhoods[nb]["residences"]:
            key = r.pop("key")
            item["residences"].append({"name": res_names[key], **r})
        nbs.append(item)

    if imputed_rent:
        imputed["loyer (barème par financement et époque)"] += imputed_rent
        notes.append("Loyers imputés : barème du modèle par financement et époque (rents.base_rent_m2_by_era "
                     "x rents.financing_factor, SDES RPLS 2024)"
                     + (f", x {IDF_RENT_FACTOR} en Île-de-France" if d["dep"].isin(IDF_DEPARTMENTS).any() else "")
                     + (f", x {local:.3f} (calage sur les {int(known.sum())} loyers connus du fichier)"
                        if local != 1.0 else "") + ".")
    if partial_rent:
        imputed["loyer (moyenne des autres logements de la résidence)"] += partial_rent
    if (~has_landlord).any():
        notes.append("Bailleur absent du fichier public : un bailleur unique « " + UNKNOWN_LANDLORD
                     + " » (OPH) ; remplacez-le par les vrais bailleurs si vous les connaissez.")
    notes.append("Attractivité des quartiers : 0,25 en QPV, 0,55 ailleurs (hypothèse à ajuster).")
    n_kept = int(len(d))
    n_qpv = int(sum(r["dwellings"] for nb in nbs if nb["is_qpv"] for r in nb["residences"]))
    share = f"{100 * n_qpv / n_kept:.1f}".replace(".", ",")
    notes.append(f"{n_kept} logements, dont {n_qpv} en QPV ({share} %), "
                 f"{len(nbs)} quartiers, {sum(len(nb['residences']) for nb in nbs)} résidences.")
    source = {
        "file": where, "layout": ex.layout, "epci": epci, "rows_read": ex.rows_read,
        "rows_in_epci": n0, "dwellings": n_kept,
        "rows_dropped": {k: int(v) for k, v in dropped.items() if v},
        "imputed": {k: int(v) for k, v in imputed.items() if v},
        "financing_codes": dict(sorted(fin_counts.items())),
        "notes": notes,
    }
    if ex.malformed_rows:
        source["rows_dropped"]["ligne mal formée (nombre de colonnes)"] = ex.malformed_rows
    if ex.rows_empty_epci:
        notes.append(f"{ex.rows_empty_epci} lignes du fichier sans code EPCI (non retenues : elles "
                     "peuvent appartenir à l'EPCI ; complétez la colonne si c'est le cas).")
    territory = {"name": name or f"EPCI {epci}", "landlords": landlords, "neighbourhoods": nbs,
                 "source": source}
    return territory, source


def _kind(name: str) -> str:
    up = name.upper()
    if re.search(r"\b(SEM|SAEM|SPL|SEML)\b", up):
        return "SEM"
    if re.search(r"\bOPH\b|OFFICE|NON IDENTIFI", up):
        return "OPH"
    return "ESH"


def _dedupe(names: dict) -> None:
    """Make the values of `names` unique by numbering repeats."""
    seen: Counter = Counter()
    for k, v in names.items():
        seen[v] += 1
        if seen[v] > 1:
            names[k] = f"{v} ({seen[v]})"


assert set(FINANCINGS) >= {t for t, _ in FINANCING.values()}
