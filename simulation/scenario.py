"""Loading scenario files: YAML, `extends:` with deep merge, validation, one-line errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from .schema import Scenario, ScoringGrid

SCENARIO_DIR = Path(__file__).resolve().parent.parent / "scenarios"

# Limits on what a scenario file may ask the loader to read (one-line errors beyond them).
SUFFIXES = (".yaml", ".yml")     # only scenario and grid files are read, never other files
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_DEPTH = 20                   # nesting of mappings and lists (a scenario needs about 6)
MAX_NODES = 200_000              # values in one file, counted through YAML aliases
MAX_EXTENDS = 20                 # length of an extends: chain


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


def _is_file(path: Path) -> bool:
    """Path.is_file, with a one-line error for names the file system refuses (too long, ...)."""
    try:
        return path.is_file()
    except (OSError, ValueError) as e:
        reason = "name too long for the file system" if getattr(e, "errno", None) == 36 else \
            (getattr(e, "strerror", None) or "not a valid file name")
        raise ScenarioError(f"{_short(path)}: {reason}; give a shorter or valid path") from None


def _short(path, limit: int = 160) -> str:
    """A path shown in an error: control characters replaced, long names cut."""
    text = "".join(c if c.isprintable() else "?" for c in str(path))
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _depth_ok(data, path: Path) -> None:
    """Refuse data nested deeper than MAX_DEPTH or holding more than MAX_NODES values (YAML aliases
    can make a small file expand to billions of values)."""
    stack, seen = [(data, 1)], 0
    while stack:
        node, depth = stack.pop()
        seen += 1
        if seen > MAX_NODES:
            raise ScenarioError(f"{_short(path)}: more than {MAX_NODES:,} values (through YAML aliases?); "
                                "a scenario needs far fewer; write it out plainly")
        if isinstance(node, (dict, list)):
            if depth > MAX_DEPTH:
                raise ScenarioError(f"{_short(path)}: nested more than {MAX_DEPTH} levels deep; a scenario "
                                    "needs about 6; check the indentation")
            items = node.values() if isinstance(node, dict) else node
            stack.extend((x, depth + 1) for x in items)


def _read_yaml(path: Path, what: str = "scenario") -> dict:
    if path.suffix.lower() not in SUFFIXES:
        raise ScenarioError(f"{_short(path)}: a {what} file must end in .yaml or .yml; "
                            "other files are not read")
    if not _is_file(path):
        raise ScenarioError(f"{_short(path)}: {what} file not found; check the path "
                            f"(built-in scenarios are in {SCENARIO_DIR})")
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ScenarioError(f"{_short(path)}: {size / 1e6:.1f} MB, more than the "
                                f"{MAX_FILE_BYTES // 2**20} MB a {what} file may hold; "
                                "is it the right file?")
        with path.open("rb") as f:
            raw = f.read(MAX_FILE_BYTES + 1)
        data = yaml.safe_load(raw.decode("utf-8"))
    except OSError as e:
        raise ScenarioError(f"{_short(path)}: cannot read the {what} file ({e.strerror or e})") from None
    except RecursionError:
        raise ScenarioError(f"{_short(path)}: nested too deeply; a scenario needs about 6 levels; "
                            "check the indentation") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        problem = _short(problem, 120)
        raise ScenarioError(f"{_short(path)}:{where}: not valid YAML ({problem}); fix the indentation or "
                            "quoting there") from None
    except UnicodeDecodeError:
        raise ScenarioError(f"{_short(path)}: not a UTF-8 text file; save it as UTF-8") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ScenarioError(f"{_short(path)}: the top level must be a mapping of fields "
                            "(name:, territory:, ...)")
    _depth_ok(data, path)
    return data


def _looks_like(data: dict, model: type[BaseModel], path: Path, what: str) -> None:
    """A file read on another file's behalf (extends:, scoring_file:) must have the top-level keys of
    a scenario or grid; otherwise it is refused without echoing any of its content."""
    allowed = set(model.model_fields) | ({"extends"} if model is Scenario else set())
    if any(not isinstance(k, str) or k not in allowed for k in data):
        raise ScenarioError(f"{_short(path)}: is not a {what} file (its top-level fields are not "
                            f"{what} fields); check the name given")


def resolve_raw(path: Path, _chain: tuple[Path, ...] = ()) -> dict:
    """The raw mapping of a scenario after following its `extends:` chain."""
    path = path.resolve()
    if path in _chain:
        raise ScenarioError(f"{_short(path)}: extends itself through "
                            f"{_short(' -> '.join(p.name for p in _chain))}; remove the cycle")
    if len(_chain) >= MAX_EXTENDS:
        raise ScenarioError(f"{_short(_chain[0])}: extends: chain longer than {MAX_EXTENDS} files; "
                            "extend a scenario closer to the baseline")
    data = _read_yaml(path)
    if _chain:
        _looks_like(data, Scenario, path, "scenario")
    parent = data.pop("extends", None)
    _absolutise(data, path.parent)
    if parent is None:
        return data
    if not isinstance(parent, str) or not parent.strip():
        raise ScenarioError(f"{_short(path)}: extends: must be a file name such as 'baseline.yaml'")
    ppath = path.parent / parent
    if not _is_file(ppath):   # a built-in scenario, named with or without .yaml
        for cand in (SCENARIO_DIR / parent, builtin(parent)):
            if _is_file(cand):
                ppath = cand
                break
    if ppath.suffix.lower() not in SUFFIXES:
        raise ScenarioError(f"{_short(path)}: extends: '{_short(parent, 80)}' is not a .yaml or .yml file; "
                            "only scenario files can be extended")
    if not _is_file(ppath):
        raise ScenarioError(f"{_short(path)}: extends: file '{_short(parent, 80)}' not found next to it "
                            f"nor in {SCENARIO_DIR}")
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
    if isinstance(alloc, dict) and alloc.get("scoring_file") is not None:
        if not isinstance(alloc["scoring_file"], str) or not alloc["scoring_file"].strip():
            raise ScenarioError(f"{_short(path)}: allocation.scoring_file: must be a file name such as "
                                "'scoring/need_first.yaml'")
        if alloc.get("scoring") is not None:
            raise ScenarioError(f"{_short(path)}: allocation: give either scoring or scoring_file, not both")
        gpath = Path(alloc["scoring_file"])
        if gpath.suffix.lower() not in SUFFIXES:
            raise ScenarioError(f"{_short(path)}: allocation.scoring_file: '{_short(gpath.name, 80)}' is "
                                "not a .yaml or .yml file; only grid files are read")
        if not _is_file(gpath):
            raise ScenarioError(f"{_short(path)}: allocation.scoring_file: grid file '{_short(gpath)}' not "
                                "found; give a path relative to the scenario file that names it (shipped "
                                f"grids are in {SCENARIO_DIR / 'scoring'})")
        grid = _read_yaml(gpath, "scoring grid")
        _looks_like(grid, ScoringGrid, gpath, "scoring grid")
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
    elif typ in ("greater_than", "greater_than_equal", "less_than", "less_than_equal") and \
            _allowed_range(root, loc):
        msg = f"{given!r} is outside the allowed range {_allowed_range(root, loc)}"
    else:
        m = err["msg"].replace("Input should be", "must be")
        msg = f"{m} (got {_short(repr(given), 60)})" if given is not None and \
            not isinstance(given, (dict, list)) else m
    extra = f" (and {len(e.errors()) - 1} more problem{'s' if len(e.errors()) > 2 else ''})" \
        if len(e.errors()) > 1 else ""
    return f"{_short(path)}: {field}: {msg}{extra}"


def _allowed_range(root: type[BaseModel], loc: tuple) -> str:
    """'[0, 1]'-style range of the field at loc (its own bounds, or its items'), or ''."""
    import typing

    from .schema_doc import _bounds, _constraints

    cur: Any = root
    field = None
    item = False                      # loc goes on past the field: an item of a list or mapping
    for p in loc:
        if isinstance(cur, type) and issubclass(cur, BaseModel) and isinstance(p, str):
            if p in cur.model_fields:
                field, item = cur.model_fields[p], False
                cur = _unwrap(field.annotation, typing)
                continue
            if p in _UNION_TAGS:
                cur = _tag_models()[p]
                continue
        if not isinstance(p, int) or not (isinstance(cur, type) and issubclass(cur, BaseModel)):
            item = True
    if field is None:
        return ""
    if not item:
        meta = list(field.metadata)
    else:
        meta = []

        def gather(t):
            if typing.get_origin(t) is typing.Annotated:
                meta.extend(typing.get_args(t)[1:])
            for a in typing.get_args(t):
                gather(a)
        gather(field.annotation)
    b = _bounds(_constraints(meta))
    return b.removeprefix("in ") if b else ""


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
