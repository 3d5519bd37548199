"""Loading scenario files: YAML, `extends:` with deep merge, validation, one-line errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from .schema import Scenario, ScoringGrid

SCENARIO_DIR = Path(__file__).resolve().parent.parent / "scenarios"


class ScenarioError(Exception):
    """A problem a user can fix in a scenario file; str() is one line naming file, field and fix."""


def deep_merge(base: dict, override: dict) -> dict:
    """Merge override into base: mappings merge key by key, anything else (lists too) replaces."""
    out = dict(base)
    for k, v in override.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = v
    return out


def _read_yaml(path: Path, what: str = "scenario") -> dict:
    if not path.is_file():
        raise ScenarioError(f"{path}: {what} file not found; check the path "
                            f"(built-in scenarios are in {SCENARIO_DIR})")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise ScenarioError(f"{path}:{where}: not valid YAML ({problem}); fix the indentation or "
                            "quoting there") from None
    except UnicodeDecodeError:
        raise ScenarioError(f"{path}: not a UTF-8 text file; save it as UTF-8") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ScenarioError(f"{path}: the top level must be a mapping of fields (name:, territory:, ...)")
    return data


def resolve_raw(path: Path, _chain: tuple[Path, ...] = ()) -> dict:
    """The raw mapping of a scenario after following its `extends:` chain."""
    path = path.resolve()
    if path in _chain:
        raise ScenarioError(f"{path}: extends itself through {' -> '.join(p.name for p in _chain)}; "
                            "remove the cycle")
    data = _read_yaml(path)
    parent = data.pop("extends", None)
    _absolutise(data, path.parent)
    if parent is None:
        return data
    if not isinstance(parent, str):
        raise ScenarioError(f"{path}: extends: must be a file name such as 'baseline.yaml'")
    ppath = path.parent / parent
    if not ppath.is_file():   # a built-in scenario, named with or without .yaml
        for cand in (SCENARIO_DIR / parent, builtin(parent)):
            if cand.is_file():
                ppath = cand
                break
    if not ppath.is_file():
        raise ScenarioError(f"{path}: extends: file '{parent}' not found next to it nor in {SCENARIO_DIR}")
    return deep_merge(resolve_raw(ppath, _chain + (path,)), data)


def _absolutise(data: dict, folder: Path) -> None:
    """File references are relative to the file that names them; make them absolute before merging."""
    alloc = data.get("allocation")
    if isinstance(alloc, dict) and isinstance(alloc.get("scoring_file"), str):
        alloc["scoring_file"] = str((folder / alloc["scoring_file"]).resolve())


def load_scenario(path: str | Path, overrides: dict | None = None) -> Scenario:
    """Load, merge and validate a scenario file; raises ScenarioError with a one-line message."""
    path = Path(path)
    raw = resolve_raw(path)
    if overrides:
        raw = deep_merge(raw, overrides)
    return validate_raw(raw, path)


def validate_raw(raw: dict, path: Path | str = "<scenario>") -> Scenario:
    """Validate a merged raw mapping. A scoring_file is read and inlined as allocation.scoring, so the
    resolved scenario written beside a run is self-contained."""
    alloc = raw.get("allocation")
    if isinstance(alloc, dict) and alloc.get("scoring_file"):
        if alloc.get("scoring") is not None:
            raise ScenarioError(f"{path}: allocation: give either scoring or scoring_file, not both")
        gpath = Path(alloc["scoring_file"])
        if not gpath.is_file():
            raise ScenarioError(f"{path}: allocation.scoring_file: grid file '{gpath}' not found; give a "
                                "path relative to the scenario file that names it (shipped grids are in "
                                f"{SCENARIO_DIR / 'scoring'})")
        grid = _read_yaml(gpath, "scoring grid")
        try:
            ScoringGrid.model_validate(grid)
        except ValidationError as e:
            raise ScenarioError(format_validation_error(e, gpath, ScoringGrid)) from None
        raw = deep_merge(raw, {"allocation": {"scoring": grid, "scoring_file": None}})
    try:
        return Scenario.model_validate(raw)
    except ValidationError as e:
        raise ScenarioError(format_validation_error(e, path, Scenario)) from None


def _model_at(model: type[BaseModel], loc: tuple) -> type[BaseModel] | None:
    """The pydantic model class found by walking `loc` down from `model` (for listing allowed keys)."""
    import typing

    cur: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(cur, type) and issubclass(cur, BaseModel)):
            return None
        field = cur.model_fields.get(part)
        if field is None:
            # a tagged-union member named by its tag, such as 'rehabilitation'
            tagged = _tag_models().get(part)
            if tagged is None:
                return cur
            cur = tagged
            continue
        ann = field.annotation
        cur = _unwrap(ann, typing)
    return cur if isinstance(cur, type) and issubclass(cur, BaseModel) else None


def _unwrap(ann, typing):
    args = typing.get_args(ann)
    origin = typing.get_origin(ann)
    if origin is None:
        return ann
    for a in args:
        a = _unwrap(a, typing)
        if isinstance(a, type) and issubclass(a, BaseModel):
            return a
    return args[0] if args else ann


def format_validation_error(e: ValidationError, path, root: type[BaseModel]) -> str:
    """One line: file, dotted field, what is wrong and what is allowed."""
    err = e.errors()[0]
    loc = tuple(err.get("loc", ()))
    # tagged-union members appear in loc by their tag; drop them from the user's view
    shown = [p for p in loc if not (isinstance(p, str) and p in _UNION_TAGS)]
    field = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in shown).lstrip(".") or "(top level)"
    typ = err.get("type", "")
    given = err.get("input")
    if typ == "extra_forbidden":
        parent = _model_at(root, loc[:-1])
        allowed = ", ".join(parent.model_fields) if parent else "see docs/parameters.md"
        msg = f"unknown field '{loc[-1]}'; allowed here: {allowed}"
    elif typ == "missing":
        msg = "is required but missing; add it"
    elif typ == "literal_error":
        msg = f"'{given}' is not allowed; {err['msg'].replace('Input should be', 'use')}"
    elif typ == "union_tag_invalid":
        msg = f"unknown type '{given.get('type') if isinstance(given, dict) else given}'; use one of " \
              f"{', '.join(sorted(_UNION_TAGS))}"
    elif typ == "union_tag_not_found":
        msg = f"needs a 'type:' field, one of {', '.join(sorted(_UNION_TAGS))}"
    elif typ == "value_error":
        msg = str(err["msg"]).removeprefix("Value error, ")
    else:
        m = err["msg"].replace("Input should be", "must be")
        msg = f"{m} (got {given!r})" if given is not None and not isinstance(given, (dict, list)) else m
    extra = f" (and {len(e.errors()) - 1} more problem{'s' if len(e.errors()) > 2 else ''})" \
        if len(e.errors()) > 1 else ""
    return f"{path}: {field}: {msg}{extra}"


def _tag_models() -> dict[str, type[BaseModel]]:
    """Works entries by their `type:` tag."""
    import typing

    from .schema import WorkSpec
    union = typing.get_args(WorkSpec)[0]
    return {typing.get_args(m.model_fields["type"].annotation)[0]: m for m in typing.get_args(union)}


_UNION_TAGS = {"demolition", "reconstitution", "rehabilitation", "diversification", "sale"}


def scenario_to_yaml(sc: Scenario) -> str:
    """The fully resolved scenario, every default written out, for the run folder."""
    return yaml.safe_dump(sc.model_dump(mode="json"), sort_keys=False, allow_unicode=True)


def builtin(name: str) -> Path:
    """Path of a scenario shipped under scenarios/ ('baseline' or 'baseline.yaml')."""
    p = SCENARIO_DIR / (name if name.endswith(".yaml") else f"{name}.yaml")
    return p
