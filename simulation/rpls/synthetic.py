"""SYNTHETIC RPLS-like files, made up for tests and benchmarks (no real dwelling, commune or QPV).

    python -m simulation.rpls.synthetic OUT.csv --rows 500000 [--layout recent|old] [--seed 1]

Rows are grouped in buildings of an invented EPCI (code 200099999, communes 99001-99004, a QPV
QN99901X) and of filler EPCIs, with financing codes, eras, rooms and surfaces in plausible
proportions. Old-layout files are written in Latin-1 like the historical RPLS files; recent ones
in UTF-8.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np

EPCI = "200099999"
COMMUNES = [("99001", "Villefictive"), ("99002", "Saint-Imaginé"), ("99003", "Bourg-Inventé"),
            ("99004", "Val-Supposé")]
QPV = ("QN99901X", "Les Hauts Fictifs")
STREETS = ["RUE DES ÉRABLES", "AVENUE JEAN JAURÈS", "ALLÉE DES CÈDRES", "BOULEVARD DE LA PAIX",
           "RUE DU MOULIN", "PLACE DU MARCHÉ", "RUE DES ÉCOLES", "CHEMIN DES VIGNES"]
OLD = ["DEPCOM", "LIBCOM", "EPCI", "QPV", "PLG_IRIS", "NUMVOIE", "TYPVOIE", "NOMVOIE", "BAT",
       "CONSTRUCT", "LOCAT", "NBPIECE", "SURFHAB", "FINAN", "TYPECONST", "NEWLOGT", "LOYERPRINC"]
RECENT = ["DEP_CODE", "DEPCOM_CODE", "DEPCOM_LIBELLE", "EPCI_CODE", "EPCI_LIBELLE", "PLG_QP24",
          "PLG_QP24_LIBELLE", "PLG_IRIS2024_CODE", "NUMVOIE", "TYPVOIE", "NOMVOIE", "CONSTRUCT",
          "LOCAT", "NBPIECE", "SURFHAB", "FINAN_CODE", "FINAN_LIBELLE", "TYPECONST_CODE",
          "TYPECONST_LIBELLE", "DPEENERGIE"]
FIN_LABEL = {"10": "PLAI", "11": "PLA-TS", "12": "PLUS", "13": "PLA ordinaire", "14": "PLS",
             "16": "PLI", "17": "PCL", "50": "HLM/O", "52": "ILM", "99": "Inconnu"}
SURF = {1: 31.0, 2: 47.0, 3: 65.0, 4: 79.0, 5: 94.0}


def buildings(n_rows: int, rng: np.random.Generator, in_epci_share: float = 1.0):
    """Yield (epci, commune, qpv, iris, num, street, bat, year, financing, typeconst, size)."""
    made = 0
    b = 0
    while made < n_rows:
        b += 1
        ours = rng.random() < in_epci_share
        c = rng.integers(len(COMMUNES)) if ours else rng.integers(1, 400)
        commune = COMMUNES[c] if ours else (f"{98000 + int(c):05d}", f"Commune fictive {c}")
        epci = EPCI if ours else f"2000{int(c) % 50:05d}"
        qpv = ours and c == 0 and rng.random() < 0.55
        era = rng.choice(["old", "mid", "new"], p=[0.45, 0.3, 0.25] if not qpv else [0.85, 0.15, 0.0])
        year = int({"old": rng.integers(1955, 1977), "mid": rng.integers(1977, 2000),
                    "new": rng.integers(2000, 2024)}[era])
        if era == "old":
            fin = rng.choice(["50", "52", "12"], p=[0.8, 0.1, 0.1])
        elif era == "mid":
            fin = rng.choice(["13", "12", "11", "17"], p=[0.5, 0.3, 0.1, 0.1])
        else:
            fin = rng.choice(["12", "10", "14", "16", "99"], p=[0.55, 0.25, 0.12, 0.05, 0.03])
        size = int(rng.integers(20, 70)) if qpv else int(rng.integers(3, 35))
        size = min(size, n_rows - made)
        typeconst = "E" if rng.random() < 0.02 else ("I" if size < 6 else "C")
        iris = f"{commune[0]}{int(rng.integers(1, 4)):04d}"
        yield (epci, commune, QPV if qpv else None, iris, int(rng.integers(1, 120)),
               STREETS[b % len(STREETS)], f"{b % 7 + 1}", year, fin, typeconst, size)
        made += size


def write(path: str | Path, rows: int, layout: str = "recent", seed: int = 1,
          in_epci_share: float = 1.0, with_rents: bool | None = None, messy: bool = False) -> Path:
    """Write a synthetic RPLS-like file of about `rows` dwellings; `messy` appends rows a real file
    has: no room count nor surface, no construction year but a first letting year, no EPCI."""
    rng = np.random.default_rng(seed)
    path = Path(path)
    with_rents = (layout == "old") if with_rents is None else with_rents
    enc = "latin-1" if layout == "old" else "utf-8"
    with open(path, "w", newline="", encoding=enc) as f:
        w = csv.writer(f, delimiter=";")
        w.writerow(OLD if layout == "old" else RECENT)
        for epci, (dep, lib), qpv, iris, num, street, bat, year, fin, tc, size in buildings(rows, rng, in_epci_share):
            p = np.array([0.07, 0.2, 0.37, 0.28, 0.08]) if year < 1977 else np.array([0.1, 0.3, 0.36, 0.19, 0.05])
            rooms = rng.choice(np.arange(1, 6), size=size, p=p)
            surf = np.array([SURF[r] for r in rooms]) * rng.uniform(0.9, 1.1, size)
            m2 = {"10": 5.4, "11": 5.2, "12": 6.3, "13": 5.9, "14": 8.1, "16": 9.5, "17": 8.0,
                  "50": 5.0, "52": 5.6, "99": 6.0}[fin] * rng.uniform(0.9, 1.1, size)
            for k in range(size):
                s = f"{surf[k]:.1f}".replace(".", ",")
                rent = f"{m2[k] * surf[k]:.2f}".replace(".", ",") if with_rents else ""
                if layout == "old":
                    w.writerow([dep, lib, epci, qpv[0] if qpv else "", iris[-4:], num, "", street,
                                bat, year, year + 1, rooms[k], s, fin, tc, 0, rent])
                else:
                    w.writerow([dep[:2], dep, lib, epci, "EPCI fictif" if epci == EPCI else "Autre EPCI",
                                qpv[0] if qpv else "HORS QPV", qpv[1] if qpv else "", iris, num, "",
                                street, year, year + 1, rooms[k], s, fin, FIN_LABEL[fin], tc,
                                {"C": "Collectif", "I": "Individuel", "E": "Etudiant"}[tc],
                                "D" if year > 2000 else "E"])
        if messy:
            for rooms_, surf_, year_, epci_ in (("", "", 1990, EPCI), ("", "", 1991, EPCI),
                                                (3, "64,0", "", EPCI), (2, "45,0", "", ""),
                                                (4, "80,5", 1985, ""), (1, "20,0", 2015, EPCI)):
                if layout == "old":
                    w.writerow(["99001", "Villefictive", epci_, "", "0001", 9, "", "RUE DU MOULIN", "",
                                year_, 1992, rooms_, surf_, "12", "E" if rooms_ == 1 else "C", 0, ""])
                else:
                    w.writerow(["99", "99001", "Villefictive", epci_, "", "HORS QPV", "", "990010001", 9,
                                "", "RUE DU MOULIN", year_, 1992, rooms_, surf_, "12", "PLUS",
                                "E" if rooms_ == 1 else "C", "Collectif", "C"])
    return path


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description="Write a SYNTHETIC RPLS-like file (made up, for tests).")
    p.add_argument("out")
    p.add_argument("--rows", type=int, default=300)
    p.add_argument("--layout", choices=["old", "recent"], default="recent")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--in-epci-share", type=float, default=1.0,
                   help="share of buildings in the invented EPCI (the rest are filler EPCIs)")
    p.add_argument("--messy", action="store_true", help="append incomplete rows")
    a = p.parse_args(argv)
    write(a.out, a.rows, a.layout, a.seed, a.in_epci_share, messy=a.messy)


if __name__ == "__main__":
    main()
