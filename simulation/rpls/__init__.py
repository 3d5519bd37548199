"""A real territory from the RPLS open data: `peuplement territory from-rpls FILE --epci CODE`.

`import_rpls` reads an RPLS dwelling-level file (old or recent column layout, CSV or zip, UTF-8 or
Latin-1), keeps one EPCI's dwellings and returns a scenario mapping (`extends: baseline` with the
imported territory and a record of what was imputed); `write_scenario` writes it as YAML with a
French header. The user guide is docs/rpls.md.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from ..fmt import tr
from .build import build_territory
from .reader import RplsError, read_epci

__all__ = ["RplsError", "import_rpls", "write_scenario", "parse_financing_overrides"]

FINANCING_TYPES = ("PLAI", "PLUS", "PLS", "PLI")


def parse_financing_overrides(items: list[str] | None) -> dict[str, str]:
    """['49=PLUS', '99=PLAI'] -> {'49': 'PLUS', '99': 'PLAI'}; one-line error otherwise."""
    out = {}
    for it in items or []:
        m = re.fullmatch(r"\s*([^=\s]+)\s*=\s*(\w+)\s*", it)
        if not m or m.group(2).upper() not in FINANCING_TYPES:
            raise RplsError(f"--financing {it}: " + tr(
                f"écrivez CODE=TYPE avec TYPE parmi {', '.join(FINANCING_TYPES)}, par exemple "
                "--financing 49=PLUS",
                f"write CODE=TYPE with TYPE one of {', '.join(FINANCING_TYPES)}, e.g. --financing 49=PLUS"))
        code = m.group(1).upper()
        out[str(int(code)) if code.isdigit() else code] = m.group(2).upper()
    return out


def import_rpls(path: str | Path, epci: str, *, name: str | None = None,
                renewal_qpv: tuple[str, ...] = (), financing: dict[str, str] | None = None,
                min_residence: int = 5) -> dict:
    """The scenario mapping of EPCI `epci`'s social housing stock read from RPLS file `path`."""
    epci = str(epci).strip()
    if not epci:
        raise RplsError("--epci: " + tr("donnez le code SIREN de l'EPCI (9 chiffres, par exemple 243500139)",
                                   "give the EPCI's SIREN code (9 digits, e.g. 243500139)"))
    ex = read_epci(path, epci)
    where = ex.source_name
    territory, _ = build_territory(ex, epci=epci, where=where, name=name, renewal_qpv=renewal_qpv,
                                   financing=financing, min_residence=min_residence)
    slug = re.sub(r"[^A-Za-z0-9]+", "_", territory["name"]).strip("_").lower() or f"epci_{epci}"
    return {
        "extends": "baseline",
        "name": slug,
        "description": f"Parc social de {territory['name']} importé du RPLS ({where}).",
        "territory": territory,
    }


class _Flow(dict):
    """A mapping written on one line (a residence), as in the shipped scenarios."""


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):    # libyaml: ~3x faster on large EPCIs
    pass


_Dumper.add_representer(_Flow, lambda d, data: d.represent_mapping("tag:yaml.org,2002:map", data,
                                                                   flow_style=True))


def _flow_residences(scenario: dict) -> dict:
    out = dict(scenario)
    t = dict(out["territory"])
    t["neighbourhoods"] = [{**n, "residences": [_Flow(r) for r in n["residences"]]}
                           for n in t["neighbourhoods"]]
    t["landlords"] = [_Flow(lo) for lo in t["landlords"]]
    out["territory"] = t
    return out


HEADER = """\
# Territoire importé du répertoire des logements locatifs des bailleurs sociaux (RPLS, SDES)
# par `peuplement territory from-rpls` : {file}, EPCI {epci}.
# {dwellings} logements en {nbhd} quartiers et {res} résidences. Ce qui a été imputé (loyers,
# bailleurs, financements sans équivalent) et les lignes écartées sont dans territory.source ;
# la méthode est décrite dans docs/rpls.md. Tout ce qui n'est pas écrit ici vient du scénario
# de référence (baseline) et des valeurs par défaut du modèle (docs/parameters.md).
#
# Ménages : sans chiffres locaux, locataires et demandeurs sont tirés avec les valeurs nationales
# par défaut. Si vous connaissez les chiffres de votre territoire, décommentez et renseignez :
#
# local_figures:
#   q1_threshold_eur_uc: 9243          # seuil du 1er quartile des demandeurs (EUR/UC/an, arrêté annuel)
#   q1_share_tenants_qpv: 0.40         # part des locataires du 1er quartile en QPV (enquête OPS)
#   q1_share_tenants_outside_qpv: 0.20 # idem hors QPV
#   applicants: 5000                   # demandes en cours hors mutations (SNE)
#   allocations_per_year: 1200         # attributions par an hors mutations (SNE)
#   priority_share: 0.20               # part des demandeurs prioritaires (DALO, PDALHPD)
#   vacancy_rate: 0.03                 # part des logements vacants au départ (RPLS)
#
# Une variante (démolition d'une résidence de QPV, par exemple) s'écrit dans un autre fichier :
#   extends: {out}
#   name: demolition
#   works:
#     - {{type: demolition, residence: "<nom d'une résidence ci-dessous>", announce: 2027-01, demolish: 2029-01}}
"""


def write_scenario(scenario: dict, out: str | Path) -> Path:
    """Write the scenario mapping as YAML, with a French header explaining it."""
    out = Path(out)
    t = scenario["territory"]
    s = t["source"]
    head = HEADER.format(file=s["file"], epci=s["epci"], dwellings=s["dwellings"],
                         nbhd=len(t["neighbourhoods"]),
                         res=sum(len(n["residences"]) for n in t["neighbourhoods"]), out=out.name)
    body = yaml.dump(_flow_residences(scenario), Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                     width=1000)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(head + "\n" + body, encoding="utf-8")
    except OSError as e:
        raise RplsError(f"--out {out}: " + tr(f"impossible d'écrire le fichier ({e.strerror or e})",
                                             f"cannot write the file ({e.strerror or e})")) from None
    return out
