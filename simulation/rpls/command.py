"""`peuplement territory from-rpls`: import, write, check that the written file loads, summarise."""

from __future__ import annotations

import time
from pathlib import Path

import yaml

from ..scenario import ScenarioError, builtin, deep_merge, resolve_raw, validate_raw
from . import RplsError, import_rpls, parse_financing_overrides, write_scenario


def from_rpls(args, user_error: type[Exception]) -> int:
    """Run the command; problems become `user_error` (one line, exit status 2)."""
    t0 = time.perf_counter()
    try:
        scenario = import_rpls(Path(args.file), args.epci, name=args.name,
                               renewal_qpv=tuple(args.renewal_qpv),
                               financing=parse_financing_overrides(args.financing),
                               min_residence=args.min_residence)
        out = Path(args.out or f"rpls-{args.epci.strip()}.yaml")
        write_scenario(scenario, out)
    except RplsError as e:
        raise user_error(str(e)) from None
    try:
        _check_loads(out)
    except ScenarioError as e:                      # a bug of the import, not of the user's file
        raise user_error(f"the territory written to {out} does not load ({e}); please report it") from None
    src = scenario["territory"]["source"]
    nbs = scenario["territory"]["neighbourhoods"]
    print(f"{_n(src['dwellings'])} logements de l'EPCI {src['epci']} "
          f"({_n(src['rows_in_epci'])} lignes sur {_n(src['rows_read'])} lues, format "
          f"{'récent' if src['layout'] == 'recent' else 'ancien'}) : {len(nbs)} quartiers dont "
          f"{sum(n['is_qpv'] for n in nbs)} QPV, {sum(len(n['residences']) for n in nbs)} résidences.")
    for reason, k in src["rows_dropped"].items():
        print(f"  écartés : {_n(k)} ligne{'s' if k > 1 else ''} ({reason})")
    for note in src["notes"]:
        if "sans code EPCI" in note:
            print(f"  {note}")
    for what, k in src["imputed"].items():
        print(f"  imputés : {_n(k)} logement{'s' if k > 1 else ''} ({what})")
    print(f"Territoire écrit dans {out} ({time.perf_counter() - t0:.1f} s).")
    return 0


def _check_loads(out: Path) -> None:
    """The written file, read back, merged with its parent and validated as `run` would."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    data = yaml.load(out.read_text(encoding="utf-8"), Loader=loader)
    parent = data.pop("extends")
    validate_raw(deep_merge(resolve_raw(builtin(parent)), data), out)


def _n(v: int) -> str:
    """1 234 (French thousands separator)."""
    return f"{v:,}".replace(",", "\u202f")
