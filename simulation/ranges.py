"""Warnings for legal but unusual values, and for dates and quantities that a file can hold but a run
cannot honour as written.

Hard bounds live in the schema (pydantic ge/le: outside them the file is refused). A field may also
declare a narrower plausible range with `schema.plausible(lo, hi)`; `plausible_ranges` warns, one
line per value, when a scenario sets a value outside it. `dates_before_start` warns about works and
levers that fall outside the simulated years (they would never apply, or apply from month 1).
"""

from __future__ import annotations

from pydantic import BaseModel

from .checks import check
from .fmt import tr
from .schema import DemolitionSpec, Dated, date_to_month


def _fmt(v: float) -> str:
    """A value as the user wrote it, with a decimal comma in French."""
    return tr(f"{v:g}".replace(".", ","), f"{v:g}")


def _extra_range(info) -> tuple | None:
    extra = getattr(info, "json_schema_extra", None)
    if isinstance(extra, dict) and "plausible" in extra:
        return tuple(extra["plausible"])
    for m in getattr(info, "metadata", ()):
        r = _extra_range(m)
        if r:
            return r
    return None


def _item_range(annotation) -> tuple | None:
    """The plausible range declared on the items of a list/dict (or on an Optional's type)."""
    import typing

    for a in typing.get_args(annotation):
        if typing.get_origin(a) is typing.Annotated:
            for m in typing.get_args(a)[1:]:
                r = _extra_range(m)
                if r:
                    return r
        r = _item_range(a)
        if r:
            return r
    return None


def _outside(v, rng) -> bool:
    lo, hi = rng
    return isinstance(v, (int, float)) and not isinstance(v, bool) and \
        ((lo is not None and v < lo) or (hi is not None and v > hi))


def _say(rng) -> str:
    lo, hi = rng
    if lo is not None and hi is not None:
        return tr(f"de {_fmt(lo)} à {_fmt(hi)}", f"{_fmt(lo)} to {_fmt(hi)}")
    if lo is not None:
        return tr(f"au moins {_fmt(lo)}", f"at least {_fmt(lo)}")
    return tr(f"au plus {_fmt(hi)}", f"at most {_fmt(hi)}")


def _unusual(where: str, v, rng) -> str:
    return tr(f"{where} = {_fmt(v)} sort de l'intervalle usuel ({_say(rng)}) ; vérifiez la valeur",
              f"{where} = {_fmt(v)} is outside the usual range ({_say(rng)}); check the value")


def _walk(model: BaseModel, path: str, out: list[str]) -> None:
    for name, info in type(model).model_fields.items():
        v = getattr(model, name)
        where = f"{path}.{name}" if path else name
        rng = _extra_range(info) or _item_range(info.annotation)
        if isinstance(v, BaseModel):
            _walk(v, where, out)
        elif isinstance(v, list):
            for i, x in enumerate(v):
                if isinstance(x, BaseModel):
                    _walk(x, f"{where}[{i}]", out)
                elif rng and _outside(x, rng):
                    out.append(_unusual(f"{where}[{i}]", x, rng))
        elif isinstance(v, dict):
            for k, x in v.items():
                if rng and _outside(x, rng):
                    out.append(_unusual(f"{where}.{k}", x, rng))
        elif rng and _outside(v, rng):
            out.append(_unusual(where, v, rng))


@check
def plausible_ranges(sc) -> list[str]:
    """One warning per value outside its field's plausible range."""
    out: list[str] = []
    _walk(sc, "", out)
    return out


@check
def ceilings_increase(sc) -> list[str]:
    """Income ceilings that decrease with household size are a typing error more often than a rule."""
    out = []
    for name in ("ceilings_plus", "ceilings_plai"):
        c = getattr(sc.rents, name)
        if c and any(b < a for a, b in zip(c, c[1:])):
            out.append(f"rents.{name}: " + tr(
                "les plafonds baissent d'une catégorie de ménage à la suivante ; écrivez-les pour les "
                "catégories 1 à 6 dans l'ordre croissant",
                "the ceilings decrease with household category; write them for categories 1 to 6 in "
                "increasing order"))
    return out


def _levers(sc):
    """(field path, Dated lever) for every dated lever of the scenario."""
    a, r = sc.allocation, sc.rents
    for path, lev in (("rents.single_rent", r.single_rent), ("rents.rebalancing", r.rebalancing),
                      ("rents.ceiling_waiver_qpv", r.ceiling_waiver_qpv),
                      ("allocation.legal_quotas", a.legal_quotas),
                      ("allocation.occupancy_review", a.occupancy_review)):
        if isinstance(lev, Dated):
            yield path, lev
    for i, c in enumerate(a.choice_based_letting):
        yield f"allocation.choice_based_letting[{i}]", c


@check
def dates_before_start(sc) -> list[str]:
    """Levers that end before the start never apply; a demolition announced before the start is
    announced in month 1. (Dates after the horizon: simulation.lever_dates.)"""
    y0 = sc.run.start_year
    out: list[str] = []
    for i, w in enumerate(sc.works):
        if isinstance(w, DemolitionSpec) and date_to_month(w.announce, y0) < 1:
            out.append(f"works[{i}] (demolition): " + tr(
                f"annoncée en {w.announce}, avant le début de la simulation ; les locataires sont signalés "
                f"au premier mois ({y0}-01)",
                f"announced {w.announce}, before the start of the run; tenants are flagged in month 1 "
                f"({y0}-01)"))
    for path, lev in _levers(sc):
        if lev.end is not None and date_to_month(lev.end, y0) < 1:
            out.append(f"{path}: " + tr(
                f"finit en {lev.end}, avant le début de la simulation ({y0}-01) ; il ne s'applique jamais",
                f"ends {lev.end}, before the start of the run ({y0}-01); it never applies"))
    return out
