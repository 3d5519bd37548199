"""Render the scenario schema (simulation/schema.py) as Markdown: docs/parameters.md.

One section per pydantic model, named by its dotted path in a scenario file (`behaviour.exits`,
`territory.neighbourhoods[].residences[]`, `works[] (type: demolition)`, ...), each with a table of its
fields: name, type (with the schema's bounds), default and description (unit and source are written in
the descriptions). Regenerate the doc with

    python -m simulation.schema_doc > docs/parameters.md

tests/test_docs.py checks that docs/parameters.md equals `render()`, so the doc cannot go stale.
"""

from __future__ import annotations

import sys
import types
import typing
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, Union

import annotated_types as at
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from . import schema

# ------------------------------------------------------------------------------------------ walking


@dataclass
class Section:
    """One model of the schema at one place in a scenario file."""

    path: str            # as shown: "behaviour.exits", "works[] (type: demolition)"
    anchor: str          # HTML id: "behaviour.exits", "works.demolition"
    model: type[BaseModel]
    depth: int
    children: dict[str, "Section | list[Section]"] = field(default_factory=dict)


def _strip_annotated(t):
    while typing.get_origin(t) is Annotated:
        t = typing.get_args(t)[0]
    return t


def _is_model(t) -> bool:
    return isinstance(t, type) and issubclass(t, BaseModel)


def _union_args(t) -> tuple | None:
    if typing.get_origin(t) in (Union, types.UnionType):
        return typing.get_args(t)
    return None


def _hints(model: type[BaseModel]) -> dict[str, Any]:
    """Field annotations with their Annotated extras (aliases such as Share, Date stay recognisable)."""
    try:
        return typing.get_type_hints(model, include_extras=True)
    except Exception:  # pragma: no cover - unresolvable forward reference: fall back to pydantic's
        return {k: f.annotation for k, f in model.model_fields.items()}


def _nested(t) -> tuple[str, list[type[BaseModel]]] | None:
    """If annotation t holds models: ('one' | 'list', [models]) — 'one' for X or X | None, 'list'
    for list[X] (X possibly a union of models, as works)."""
    t = _strip_annotated(t)
    args = _union_args(t)
    if args is not None:
        models = [_strip_annotated(a) for a in args if a is not type(None)]
        if models and all(_is_model(m) for m in models):
            return "one", models
        return None
    if _is_model(t):
        return "one", [t]
    if typing.get_origin(t) is list:
        inner = _strip_annotated(typing.get_args(t)[0])
        args = _union_args(inner)
        models = [_strip_annotated(a) for a in args] if args is not None else [inner]
        if models and all(_is_model(m) for m in models):
            return "list", models
    return None


def _tag(model: type[BaseModel]) -> str | None:
    """The discriminator value of a tagged-union member (its `type` Literal)."""
    f = model.model_fields.get("type")
    if f is not None and typing.get_origin(f.annotation) is Literal:
        return str(typing.get_args(f.annotation)[0])
    return None


def walk(root: type[BaseModel] = schema.Scenario) -> list[Section]:
    """Every model reachable from root, depth first in field order (root first)."""
    out: list[Section] = []

    def visit(model, path, anchor, depth):
        sec = Section(path, anchor, model, depth)
        out.append(sec)
        hints = _hints(model)
        for name in model.model_fields:
            nest = _nested(hints.get(name, model.model_fields[name].annotation))
            if nest is None:
                continue
            how, models = nest
            base = f"{path}.{name}" if path else name
            banchor = f"{anchor}.{name}" if anchor != "scenario" else name
            if how == "list":
                base += "[]"
            if len(models) == 1:
                sec.children[name] = visit(models[0], base, banchor, depth + 1)
            else:
                kids = []
                for m in models:
                    tag = _tag(m) or m.__name__
                    kids.append(visit(m, f"{base} (type: {tag})", f"{banchor}.{tag}", depth + 1))
                sec.children[name] = kids
        return sec

    visit(root, "", "scenario", 0)
    return out


def iter_fields(root: type[BaseModel] = schema.Scenario):
    """(section, field name, FieldInfo) for every field of every model reachable from root."""
    for sec in walk(root):
        for name, f in sec.model.model_fields.items():
            yield sec, name, f


# ------------------------------------------------------------------------------------- formatting


def _num(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if v == int(v) and abs(v) < 1e15:
            return f"{v:.1f}"
        return f"{v:.6g}"
    return str(v)


def _bound(v) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def _join(s: str, b: str) -> str:
    """Type and bounds: 'integer in [1, 100]', 'text, non-empty', 'number or null, > 0'."""
    if not b:
        return s
    if " " not in s and b.startswith(("in ", "≥", ">", "≤", "<")):
        return f"{s} {b}"
    return f"{s}, {b}"


def constraints(meta) -> list:
    """The numeric and length constraints (annotated-types) of a field's metadata, nested included."""
    out = []
    for m in meta:
        if isinstance(m, FieldInfo):
            out.extend(constraints(m.metadata))
        elif isinstance(m, (at.Ge, at.Gt, at.Le, at.Lt, at.MinLen, at.MaxLen)):
            out.append(m)
    return out


def _plausible(meta) -> str:
    """' (usually a to b)' from a field's declared plausible range (schema.plausible), or ''."""
    for m in meta:
        extra = getattr(m, "json_schema_extra", None) if isinstance(m, FieldInfo) else None
        if isinstance(extra, dict) and "plausible" in extra:
            lo, hi = extra["plausible"]
            if lo is not None and hi is not None:
                return f" (usually {_bound(lo)} to {_bound(hi)})"
            return f" (usually ≥ {_bound(lo)})" if lo is not None else f" (usually ≤ {_bound(hi)})"
    return ""


def tightest_bounds(cons) -> tuple[float | None, bool, float | None, bool]:
    """(low, low included, high, high included) from annotated-types constraints (None: unbounded).
    With several bounds on one side (an alias's and the field's) the tightest holds; at equal values
    the strict one."""
    lo = hi = None
    lo_in = hi_in = True
    for c in cons:
        if isinstance(c, (at.Ge, at.Gt)):
            v, inc = (c.ge, True) if isinstance(c, at.Ge) else (c.gt, False)
            if lo is None or v > lo or (v == lo and not inc):
                lo, lo_in = v, inc
        elif isinstance(c, (at.Le, at.Lt)):
            v, inc = (c.le, True) if isinstance(c, at.Le) else (c.lt, False)
            if hi is None or v < hi or (v == hi and not inc):
                hi, hi_in = v, inc
    return lo, lo_in, hi, hi_in


def _bounds(cons: list, is_text: bool = False, is_list: bool = False) -> str:
    extra = []
    mins = [c.min_length for c in cons if isinstance(c, at.MinLen)]
    maxs = [c.max_length for c in cons if isinstance(c, at.MaxLen)]
    if mins and maxs and mins[0] == maxs[0]:   # a fixed length: 'exactly 4 items'
        unit = "item" if is_list else "character"
        extra.append(f"exactly {mins[0]} {unit}{'s' if mins[0] != 1 else ''}")
        cons = [c for c in cons if not isinstance(c, (at.MinLen, at.MaxLen))]
    lo_v, lo_in, hi_v, hi_in = tightest_bounds(cons)
    lo = None if lo_v is None else ("[" if lo_in else "(", lo_v)
    hi = None if hi_v is None else ("]" if hi_in else ")", hi_v)
    for c in cons:
        if isinstance(c, at.MinLen):
            if is_text and c.min_length == 1:
                extra.append("non-empty")
            else:
                unit = "item" if is_list else "character"
                extra.append(f"at least {c.min_length} {unit}{'s' if c.min_length != 1 else ''}")
        elif isinstance(c, at.MaxLen):
            unit = "item" if is_list else "character"
            extra.append(f"at most {c.max_length} {unit}{'s' if c.max_length != 1 else ''}")
    parts = []
    if lo and hi:
        parts.append(f"in {lo[0]}{_bound(lo[1])}, {_bound(hi[1])}{hi[0]}")
    elif lo:
        parts.append(("≥ " if lo[0] == "[" else "> ") + _bound(lo[1]))
    elif hi:
        parts.append(("≤ " if hi[0] == "]" else "< ") + _bound(hi[1]))
    parts.extend(extra)
    return ", ".join(parts)


class _Fmt:
    """Type formatter; links nested models to their sections."""

    def __init__(self, links: dict[type, str]):
        self.links = links

    def link(self, model) -> str:
        a = self.links.get(model)
        return f"[{model.__name__}](#{a})" if a else model.__name__

    def top(self, hint, f: FieldInfo) -> str:
        """A field's type: the outer Annotated's bounds are in f.metadata (pydantic flattens them)."""
        if hint == schema.Date:
            return "date 'YYYY-MM'"
        base = _strip_annotated(hint)
        s = self.type(base)
        b = _bounds(constraints(f.metadata), is_text=base is str,
                    is_list=typing.get_origin(base) in (list, dict))
        if s.endswith(("or null",)) or typing.get_origin(base) in (list, dict):
            return _join(s, b)
        return _join(s, b) + _plausible([f])

    def type(self, t) -> str:
        if t == schema.Date:
            return "date 'YYYY-MM'"
        if typing.get_origin(t) is Annotated:
            base, *meta = typing.get_args(t)
            s = self.type(base)
            return _join(s, _bounds(constraints(meta), is_text=base is str,
                                    is_list=typing.get_origin(base) in (list, dict))) + _plausible(meta)
        args = _union_args(t)
        if args is not None:
            rest = [a for a in args if a is not type(None)]
            s = " or ".join(self.type(a) for a in rest)
            return f"{s} or null" if len(rest) < len(args) else s
        origin = typing.get_origin(t)
        if origin is Literal:
            vals = typing.get_args(t)
            if len(vals) == 1:
                return f"`{vals[0]}`"
            return "one of " + ", ".join(f"`{v}`" for v in vals)
        if origin is list:
            inner = typing.get_args(t)[0]
            inner_s = _strip_annotated(inner)
            iu = _union_args(inner_s)
            if iu is not None and all(_is_model(_strip_annotated(a)) for a in iu):
                return "list of " + " / ".join(self.link(_strip_annotated(a)) for a in iu)
            return f"list of ({self.type(inner)})" if " " in self.type(inner) else f"list of {self.type(inner)}"
        if origin is dict:
            k, v = typing.get_args(t)
            return f"mapping {self.type(k)} → {self.type(v)}"
        if _is_model(t):
            return self.link(t)
        return {str: "text", int: "integer", float: "number", bool: "boolean"}.get(t, getattr(t, "__name__", str(t)))


def _flow(v) -> str:
    """A default value in YAML flow style."""
    if isinstance(v, BaseModel):
        v = v.model_dump(mode="json")
    if v is None:
        return "null"
    if isinstance(v, (bool, int, float)):
        return _num(v)
    if isinstance(v, str):
        return f"'{v}'" if (v == "" or any(c in v for c in ":,[]{}#'\"") or v.strip() != v) else v
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_flow(k)}: {_flow(x)}" for k, x in v.items()) + "}"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_flow(x) for x in v) + "]"
    return str(v)


def _default(f: FieldInfo):
    """(value, present): the field's default, evaluating a default_factory."""
    if f.default_factory is not None:
        return f.default_factory(), True
    if f.default is PydanticUndefined:
        return None, False
    return f.default, True


def _cell(s: str) -> str:
    return " ".join(str(s).split()).replace("|", "\\|")


def _doc(model) -> str:
    d = model.__dict__.get("__doc__")
    return " ".join(d.split()) if d else ""


# ------------------------------------------------------------------------------------------ render

HEADER = """\
<!-- GENERATED FILE, do not edit by hand. It is rendered from simulation/schema.py by
     simulation/schema_doc.py; regenerate it with
         python -m simulation.schema_doc > docs/parameters.md
     (tests/test_docs.py fails when this file and the schema disagree). -->

# Scenario parameters

Every parameter a scenario file can set, as declared in `simulation/schema.py` — the single place
where parameters are named, typed, defaulted and documented. A scenario file is YAML; a field not
written takes the default shown here; unknown keys are rejected with a one-line error naming the field.
Scenarios usually `extends: baseline.yaml` and override only what changes. The policy levers (works,
rehousing, rent policies, allocation policies) are explained, with their sources and the scenario that
demonstrates each, in [levers.md](levers.md).

How to read the descriptions:

- A **named source** (SDES RPLS 2024, ANCOLS, SNE, USH, OPS, a CCH article, ...) means the default is
  set from, or calibrated to, that observed figure; [sources.md](sources.md) gives the full references
  and [validation.md](validation.md) how the defaults compare with them.
- **assumption** means a modelling choice with no direct observed counterpart: a behavioural
  parameter or rule of thumb that is to be calibrated against observed indicators.
- Units are written in the description: `/year` is a yearly rate (hazards are converted to monthly
  probabilities inside the model), `EUR/m2/month` a rent per square metre, `EUR/UC/year` an income per
  consumption unit, a *share* is between 0 and 1.
- Dates are written `'YYYY-MM'` (or a bare year, meaning January) and converted to model months
  against `run.start_year` (month 1 = January of that year). Levers with `start`/`end` apply from
  `start` to `end` inclusive; no `end` means until the end of the run.
- Places (residences, neighbourhoods, landlords) are referred to by their names in `territory`.
- Section names are the dotted path of the block in a scenario file; `[]` marks a list whose items
  have the fields shown; `works[] (type: ...)` are the kinds of works items, told apart by `type:`.
  Types show the schema's bounds: `in [0, 1]` includes both ends, `(0, 50]` excludes 0. A value
  outside them is refused with a one-line error naming the file, the field and the allowed range.
  Where the usual values are narrower, the type says so (`(usually 3 to 15)`): a value outside that
  plausible range is accepted, with a one-line warning from `peuplement validate` and `run`.
- A territory holds at most 2,000,000 dwellings (described, or set by `scale_to_dwellings`): the
  simulator keeps every dwelling and household in memory.
"""


def render() -> str:
    """The Markdown of docs/parameters.md."""
    sections = walk()
    links = {s.model: s.anchor for s in sections}
    fmt = _Fmt(links)
    lines = [HEADER, "## Contents", ""]
    for s in sections:
        title = s.path or "(top level)"
        lines.append(f"{'  ' * s.depth}- [`{title}`](#{s.anchor}) — {s.model.__name__}")
    lines.append("")
    for s in sections:
        title = s.path or "(top level)"
        lines += [f'<a id="{s.anchor}"></a>', "", f"## `{title}`", ""]
        intro = _doc(s.model)
        where = f"Model `{s.model.__name__}`."
        lines += [f"{where} {intro}".rstrip(), ""]
        lines += ["| field | type | default | description |", "|---|---|---|---|"]
        hints = _hints(s.model)
        for name, f in s.model.model_fields.items():
            hint = hints.get(name, f.annotation)
            typ = fmt.top(hint, f)
            child = s.children.get(name)
            desc = f.description or ""
            val, present = _default(f)
            if isinstance(child, Section):
                see = f"see [`{child.path}`](#{child.anchor})"
                desc = f"{desc}; {see}" if desc else see
                if isinstance(val, BaseModel) or val is None:
                    dflt = "`null`" if present and val is None else ("section defaults" if present else "*required*")
                else:
                    dflt = f"`{_flow(val)}`"
            elif isinstance(child, list):
                see = "items are " + ", ".join(f"[`{c.path}`](#{c.anchor})" for c in child)
                desc = f"{desc}; {see}" if desc else see
                dflt = f"`{_flow(val)}`" if present else "*required*"
            else:
                dflt = f"`{_flow(val)}`" if present else "*required*"
            if not desc:
                desc = "—"
            lines.append(f"| `{name}` | {_cell(typ)} | {_cell(dflt)} | {_cell(desc)} |")
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def main() -> None:
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(encoding="utf-8")
    sys.stdout.write(render())


if __name__ == "__main__":
    main()
