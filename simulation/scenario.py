"""Loading scenario files: YAML, `extends:` with deep merge, validation, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from .fmt import num, tr
from .schema import Scenario, ScoringGrid

def _scenario_dir() -> Path:
    """Folder of the built-in scenarios: the package data `simulation.scenarios`, which is the
    top-level scenarios/ folder of a checkout and ships inside the wheel."""
    try:
        from importlib.resources import files
        return Path(str(files("simulation.scenarios")))
    except ModuleNotFoundError:     # a bare source tree on sys.path, not installed
        return Path(__file__).resolve().parent.parent / "scenarios"


SCENARIO_DIR = _scenario_dir()

# Limits on what a scenario file may ask the loader to read (one-line errors beyond them).
SUFFIXES = (".yaml", ".yml")     # only scenario and grid files are read, never other files
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_DEPTH = 20                   # nesting of mappings and lists (a scenario needs about 6)
MAX_NODES = 200_000              # values in one file, counted through YAML aliases
MAX_EXTENDS = 20                 # length of an extends: chain


class ScenarioError(Exception):
    """A problem a user can fix in a scenario file; str() is one line naming file, field and fix.
    `problems` lists every problem found (one line each), for `peuplement validate`."""

    def __init__(self, message: str, problems: list[str] | None = None):
        super().__init__(message)
        self.problems = problems or [message]


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
        if getattr(e, "errno", None) == 36:
            reason = tr("nom trop long pour le système de fichiers", "name too long for the file system")
        else:
            reason = getattr(e, "strerror", None) or tr("nom de fichier invalide", "not a valid file name")
        raise ScenarioError(f"{_short(path)}: {reason}; " + tr("donnez un chemin plus court ou valide",
                                                               "give a shorter or valid path")) from None


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
            raise ScenarioError(f"{_short(path)}: " + tr(
                f"plus de {num(MAX_NODES)} valeurs (par des alias YAML ?) ; un scénario en a bien moins ; "
                "écrivez-le en clair",
                f"more than {MAX_NODES:,} values (through YAML aliases?); a scenario needs far fewer; "
                "write it out plainly"))
        if isinstance(node, (dict, list)):
            if depth > MAX_DEPTH:
                raise ScenarioError(f"{_short(path)}: " + tr(
                    f"plus de {MAX_DEPTH} niveaux d'imbrication ; un scénario en a environ 6 ; "
                    "vérifiez l'indentation",
                    f"nested more than {MAX_DEPTH} levels deep; a scenario needs about 6; "
                    "check the indentation"))
            items = node.values() if isinstance(node, dict) else node
            stack.extend((x, depth + 1) for x in items)


_WHAT_FR = {"scenario": "de scénario", "scoring grid": "de grille de cotation"}


def _read_yaml(path: Path, what: str = "scenario") -> dict:
    """The mapping of a YAML file, or a one-line ScenarioError saying what to fix."""
    fr = _WHAT_FR.get(what, what)
    if path.suffix.lower() not in SUFFIXES:
        raise ScenarioError(f"{_short(path)}: " + tr(
            f"un fichier {fr} se termine par .yaml ou .yml ; les autres fichiers ne sont pas lus",
            f"a {what} file must end in .yaml or .yml; other files are not read"))
    if not _is_file(path):
        raise ScenarioError(f"{_short(path)}: " + tr(
            f"fichier {fr} introuvable ; vérifiez le chemin (scénarios intégrés : {SCENARIO_DIR})",
            f"{what} file not found; check the path (built-in scenarios are in {SCENARIO_DIR})"))
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ScenarioError(f"{_short(path)}: " + tr(
                f"{num(size / 1e6, 1)} Mo, plus que les {MAX_FILE_BYTES // 2**20} Mo permis pour un "
                f"fichier {fr} ; est-ce le bon fichier ?",
                f"{size / 1e6:.1f} MB, more than the {MAX_FILE_BYTES // 2**20} MB a {what} file may "
                "hold; is it the right file?"))
        with path.open("rb") as f:
            raw = f.read(MAX_FILE_BYTES + 1)
        data = yaml.safe_load(raw.decode("utf-8"))
    except OSError as e:
        raise ScenarioError(f"{_short(path)}: " + tr(f"impossible de lire le fichier {fr} ({e.strerror or e})",
                                                     f"cannot read the {what} file ({e.strerror or e})")) from None
    except RecursionError:
        raise ScenarioError(f"{_short(path)}: " + tr(
            "imbrication trop profonde ; un scénario a environ 6 niveaux ; vérifiez l'indentation",
            "nested too deeply; a scenario needs about 6 levels; check the indentation")) from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = (tr(f" ligne {mark.line + 1}, colonne {mark.column + 1}",
                    f" line {mark.line + 1}, column {mark.column + 1}") if mark else "")
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        problem = _short(problem, 120)
        raise ScenarioError(f"{_short(path)}:{where}: " + tr(
            f"YAML invalide ({problem}) ; corrigez l'indentation ou les guillemets à cet endroit",
            f"not valid YAML ({problem}); fix the indentation or quoting there")) from None
    except UnicodeDecodeError:
        raise ScenarioError(f"{_short(path)}: " + tr(
            "pas un fichier texte UTF-8 ; enregistrez-le en UTF-8",
            "not a UTF-8 text file; save it as UTF-8")) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ScenarioError(f"{_short(path)}: " + tr(
            "le premier niveau doit être une liste de champs (name:, territory:, ...)",
            "the top level must be a mapping of fields (name:, territory:, ...)"))
    _depth_ok(data, path)
    return data


def _looks_like(data: dict, model: type[BaseModel], path: Path, what: str) -> None:
    """A file read on another file's behalf (extends:, scoring_file:) must have the top-level keys of
    a scenario or grid; otherwise it is refused without echoing any of its content."""
    allowed = set(model.model_fields) | ({"extends"} if model is Scenario else set())
    if any(not isinstance(k, str) or k not in allowed for k in data):
        raise ScenarioError(f"{_short(path)}: " + tr(
            f"n'est pas un fichier {_WHAT_FR.get(what, what)} (ses champs de premier niveau n'en sont "
            "pas) ; vérifiez le nom donné",
            f"is not a {what} file (its top-level fields are not {what} fields); check the name given"))


def resolve_raw(path: Path, _chain: tuple[Path, ...] = ()) -> dict:
    """The raw mapping of a scenario after following its `extends:` chain."""
    path = path.resolve()
    if path in _chain:
        cycle = _short(' -> '.join(p.name for p in _chain))
        raise ScenarioError(f"{_short(path)}: " + tr(f"s'étend lui-même par {cycle} ; supprimez le cycle",
                                                     f"extends itself through {cycle}; remove the cycle"))
    if len(_chain) >= MAX_EXTENDS:
        raise ScenarioError(f"{_short(_chain[0])}: extends: " + tr(
            f"chaîne de plus de {MAX_EXTENDS} fichiers ; partez d'un scénario plus proche du baseline",
            f"chain longer than {MAX_EXTENDS} files; extend a scenario closer to the baseline"))
    data = _read_yaml(path)
    if _chain:
        _looks_like(data, Scenario, path, "scenario")
    parent = data.pop("extends", None)
    _absolutise(data, path.parent)
    if parent is None:
        return data
    if not isinstance(parent, str) or not parent.strip():
        raise ScenarioError(f"{_short(path)}: extends: " + tr(
            "doit être un nom de fichier, par exemple 'baseline.yaml'",
            "must be a file name such as 'baseline.yaml'"))
    ppath = path.parent / parent
    if not _is_file(ppath):   # a built-in scenario, named with or without .yaml
        for cand in (SCENARIO_DIR / parent, builtin(parent)):
            if _is_file(cand):
                ppath = cand
                break
    if ppath.suffix.lower() not in SUFFIXES:
        raise ScenarioError(f"{_short(path)}: extends: '{_short(parent, 80)}' " + tr(
            "n'est pas un fichier .yaml ou .yml ; seul un fichier de scénario peut être étendu",
            "is not a .yaml or .yml file; only scenario files can be extended"))
    if not _is_file(ppath):
        raise ScenarioError(f"{_short(path)}: extends: " + tr(
            f"fichier '{_short(parent, 80)}' introuvable à côté de ce fichier ni dans {SCENARIO_DIR}",
            f"file '{_short(parent, 80)}' not found next to it nor in {SCENARIO_DIR}"))
    return deep_merge(resolve_raw(ppath, _chain + (path,)), data)


def _absolutise(data: dict, folder: Path) -> None:
    """File references are relative to the file that names them; make them absolute before merging."""
    alloc = data.get("allocation")
    if isinstance(alloc, dict) and isinstance(alloc.get("scoring_file"), str):
        alloc["scoring_file"] = str((folder / alloc["scoring_file"]).resolve())


def load_scenario(path: str | Path, overrides: dict | None = None, *,
                  overrides_label: str = "overrides") -> Scenario:
    """Load, merge and validate a scenario: a file path or the name of a built-in scenario
    ('baseline'). `overrides` are merged last, as nested mappings or dotted keys
    ({"rents.single_rent.start": "2027-01"}; a list item by its index: "works.0.demolish"), and
    validated like the file; a bad override is reported as `<overrides_label> key=value: ...`.
    Raises ScenarioError with a one-line message."""
    path = find_scenario(path)
    raw = resolve_raw(path)
    if overrides:
        raw = apply_overrides(raw, overrides, overrides_label)
    try:
        return validate_raw(raw, path)
    except ScenarioError as e:
        raise _blame_overrides(e, path, overrides or {}, overrides_label) from None


def find_scenario(path_or_name: str | Path) -> Path:
    """A scenario file: an existing path, else a built-in scenario by name ('baseline' or
    'baseline.yaml'). Raises ScenarioError (one line, listing the built-in names) if neither."""
    p = Path(path_or_name)
    if _is_file(p):      # a name the file system refuses (too long, ...) is a one-line error
        return p
    if p.exists():
        raise ScenarioError(tr(f"{p} : n'est pas un fichier ; donnez un fichier de scénario YAML",
                               f"{p}: is not a file; give a scenario YAML file"))
    name = str(path_or_name)
    if "/" not in name and "\\" not in name:
        b = builtin(name)
        if b.is_file():
            return b
    available = ", ".join(builtin_names()) or tr("aucun", "none")
    raise ScenarioError(tr(f"{name} : fichier de scénario introuvable, et pas un scénario intégré "
                           f"(intégrés : {available})",
                           f"{name}: scenario file not found, and not a built-in scenario "
                           f"(built-in: {available})"))


def builtin_names() -> list[str]:
    """Names of the built-in scenarios, sorted."""
    return sorted(f.stem for f in SCENARIO_DIR.glob("*.yaml"))


# ------------------------------------------------------------------------------------- overrides
def _split_key(key: str) -> list[str | int]:
    """'works.0.demolish' or 'works[0].demolish' -> ['works', 0, 'demolish']."""
    parts: list[str | int] = []
    for part in key.replace("[", ".").replace("]", "").split("."):
        if part == "":
            raise ValueError(key)
        parts.append(int(part) if part.isdigit() else part)
    return parts


def apply_overrides(raw: dict, overrides: dict, label: str = "overrides") -> dict:
    """The raw scenario with overrides applied: nested mappings merge as in `extends:`, dotted keys
    set one field (creating the mappings on the way; an integer part indexes an existing list)."""
    out = dict(raw)
    for key, value in overrides.items():
        if not isinstance(key, str):
            raise ScenarioError(f"{label} {key!r}: " + tr("un nom de champ est un texte",
                                                         "a field name is a text"))
        try:
            parts = _split_key(key)
        except ValueError:
            raise ScenarioError(f"{label} {key}: " + tr(
                "nom de champ mal formé ; écrivez par ex. rents.single_rent.start",
                "malformed field name; write e.g. rents.single_rent.start")) from None
        if len(parts) == 1 and isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
            continue
        out = _set_path(out, parts, value, key, label)
    return out


def _set_path(node, parts: list, value, key: str, label: str):
    """A copy of node with the value at parts (copies along the path; the rest is shared)."""
    head, rest = parts[0], parts[1:]
    if isinstance(head, int):
        if not isinstance(node, list) or not -len(node) <= head < len(node):
            n = len(node) if isinstance(node, list) else 0
            raise ScenarioError(f"{label} {key}: " + tr(
                f"pas d'élément {head} ici (la liste en a {n})",
                f"no item {head} here (the list has {n})"))
        out = list(node)
    else:
        if node is None:
            node = {}
        if not isinstance(node, dict):
            raise ScenarioError(f"{label} {key}: " + tr(
                f"'{head}' : le champ au-dessus n'est pas un ensemble de champs",
                f"'{head}': the field above is not a mapping of fields"))
        out = dict(node)
    if rest:
        child = out[head] if (isinstance(head, int) or head in out) else None
        out[head] = _set_path(child, rest, value, key, label)
    elif isinstance(value, dict) and isinstance(out.get(head) if isinstance(out, dict) else out[head], dict):
        out[head] = deep_merge(out[head], value)
    else:
        out[head] = value
    return out


def _dotted(parts) -> str:
    return ".".join(str(p) for p in parts)


def _blame_overrides(e: ScenarioError, path: Path, overrides: dict, label: str) -> ScenarioError:
    """Problems on an overridden field name the override (`--set key=value`), not the file."""
    keys = [(k, _dotted(_split_key(k)) if isinstance(k, str) else str(k), v) for k, v in overrides.items()]
    prefix = f"{path}: "

    def blame(line: str) -> str:
        if not line.startswith(prefix):
            return line
        rest = line[len(prefix):]
        field = rest.split(":", 1)[0].replace("[", ".").replace("]", "")
        for k, dk, v in keys:
            if field == dk or dk.startswith(field + ".") or field.startswith(dk + "."):
                shown = v if isinstance(v, str) else json.dumps(v, ensure_ascii=False, default=str)
                return f"{path} ({label} {k}={shown}): {rest}"
        return line

    problems = [blame(p) for p in e.problems]
    first = blame(str(e))
    return ScenarioError(first, problems)


def validate_raw(raw: dict, path: Path | str = "<scenario>") -> Scenario:
    """Validate a merged raw mapping. A scoring_file is read and inlined as allocation.scoring, so the
    resolved scenario written beside a run is self-contained."""
    alloc = raw.get("allocation")
    if isinstance(alloc, dict) and alloc.get("scoring_file") is not None:
        if not isinstance(alloc["scoring_file"], str) or not alloc["scoring_file"].strip():
            raise ScenarioError(f"{_short(path)}: allocation.scoring_file: must be a file name such as "
                                "'scoring/need_first.yaml'")
        if alloc.get("scoring") is not None:
            raise ScenarioError(f"{_short(path)}: allocation: " + tr("donnez scoring ou scoring_file, pas les deux",
                                                                     "give either scoring or scoring_file, not both"))
        gpath = Path(alloc["scoring_file"])
        if gpath.suffix.lower() not in SUFFIXES:
            raise ScenarioError(f"{_short(path)}: allocation.scoring_file: '{_short(gpath.name, 80)}' " + tr(
                "n'est pas un fichier .yaml ou .yml ; seules les grilles sont lues",
                "is not a .yaml or .yml file; only grid files are read"))
        if not _is_file(gpath):
            raise ScenarioError(f"{_short(path)}: allocation.scoring_file: " + tr(
                f"grille '{_short(gpath)}' introuvable ; donnez un chemin relatif au fichier de scénario qui la "
                f"nomme (grilles fournies dans {SCENARIO_DIR / 'scoring'})",
                f"grid file '{_short(gpath)}' not found; give a path relative to the scenario file that names it "
                f"(shipped grids are in {SCENARIO_DIR / 'scoring'})"))
        grid = _read_yaml(gpath, "scoring grid")
        _looks_like(grid, ScoringGrid, gpath, "scoring grid")
        try:
            ScoringGrid.model_validate(grid)
        except ValidationError as e:
            raise ScenarioError(format_validation_error(e, gpath, ScoringGrid),
                                validation_problems(e, gpath, ScoringGrid)) from None
        raw = deep_merge(raw, {"allocation": {"scoring": grid, "scoring_file": None}})
    try:
        return Scenario.model_validate(raw)
    except ValidationError as e:
        raise ScenarioError(format_validation_error(e, path, Scenario),
                            validation_problems(e, path, Scenario)) from None


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
    """One line: file, dotted field, what is wrong and what is allowed (the first problem, and how
    many more there are)."""
    lines = validation_problems(e, path, root)
    n = len(lines) - 1
    extra = tr(f" (et {n} autre{'s' if n > 1 else ''} problème{'s' if n > 1 else ''})",
               f" (and {n} more problem{'s' if n > 1 else ''})") if n else ""
    return lines[0] + extra


def validation_problems(e: ValidationError, path, root: type[BaseModel]) -> list[str]:
    """Every problem of a validation error, one line each: file, dotted field, what is wrong."""
    return [_problem(err, path, root) for err in e.errors()]


def _problem(err: dict, path, root: type[BaseModel]) -> str:
    loc = tuple(err.get("loc", ()))
    # tagged-union members appear in loc by their tag; drop them from the user's view
    shown = [p for p in loc if not (isinstance(p, str) and p in _UNION_TAGS)]
    field = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in shown).lstrip(".") \
        or tr("(premier niveau)", "(top level)")
    typ = err.get("type", "")
    given = err.get("input")
    ctx = err.get("ctx") or {}
    tags = ", ".join(sorted(_UNION_TAGS))
    got = f" ({tr('reçu', 'got')} {_short(repr(given), 60)})" if given is not None and not isinstance(given, (dict, list)) \
        else ""
    if typ == "extra_forbidden":
        parent = _model_at(root, loc[:-1])
        allowed = ", ".join(parent.model_fields) if parent else "docs/parameters.md"
        msg = tr(f"champ inconnu '{loc[-1]}' ; champs permis ici : {allowed}",
                 f"unknown field '{loc[-1]}'; allowed here: {allowed}")
    elif typ == "missing":
        msg = tr("obligatoire mais absent ; ajoutez-le", "is required but missing; add it")
    elif typ == "literal_error":
        msg = tr(f"'{given}' n'est pas permis ; valeurs possibles : {ctx.get('expected', '')}",
                 f"'{given}' is not allowed; use {ctx.get('expected', '')}")
    elif typ == "union_tag_invalid":
        t = given.get("type") if isinstance(given, dict) else given
        msg = tr(f"type inconnu '{t}' ; valeurs possibles : {tags}", f"unknown type '{t}'; use one of {tags}")
    elif typ == "union_tag_not_found":
        msg = tr(f"il faut un champ 'type:', parmi {tags}", f"needs a 'type:' field, one of {tags}")
    elif typ == "value_error":
        msg = str(err["msg"]).removeprefix("Value error, ")
        msg = tr(_VALUE_ERRORS_FR.get(msg, msg), msg)
    elif typ in _BOUNDS and _allowed_range(root, loc):
        rng = _allowed_range(root, loc)
        msg = tr(f"{given!r} est hors de l'intervalle permis {rng}", f"{given!r} is outside the allowed range {rng}")
    elif typ in _BOUNDS:
        op, key = _BOUNDS[typ]
        msg = tr(f"doit être {op} {ctx.get(key)}", err["msg"].replace("Input should be", "must be")) + got
    elif typ in _TYPES:
        msg = tr(_TYPES[typ], err["msg"].replace("Input should be", "must be")) + got
    else:
        msg = err["msg"].replace("Input should be", "must be") + got
    if not shown and typ == "value_error":     # a whole-scenario rule: its message names the field
        return f"{_short(path)}: {msg}"
    return f"{_short(path)}: {field}: {msg}"


_VALUE_ERRORS_FR = {   # French wording of the schema's common rule messages
    "a date is written 'YYYY-MM' or as a year, e.g. '2028-01' or 2028":
        "une date s'écrit 'AAAA-MM' ou comme une année, par ex. '2028-01' ou 2028",
    "the month of a date must be 01 to 12": "le mois d'une date va de 01 à 12",
    "at least one reservation holder is needed": "il faut au moins un réservataire",
    "one holder must be of kind 'landlord' (it takes what others cannot fill)":
        "un réservataire doit être de type 'landlord' (il prend ce que les autres ne pourvoient pas)",
    "give either scoring or scoring_file, not both": "donnez scoring ou scoring_file, pas les deux",
}
_BOUNDS = {"greater_than_equal": ("≥", "ge"), "greater_than": (">", "gt"),
           "less_than_equal": ("≤", "le"), "less_than": ("<", "lt")}
_TYPES = {   # French wording of pydantic's type errors (English keeps pydantic's own)
    "int_parsing": "doit être un nombre entier", "int_type": "doit être un nombre entier",
    "int_from_float": "doit être un nombre entier", "float_parsing": "doit être un nombre",
    "float_type": "doit être un nombre", "bool_parsing": "doit être true ou false",
    "bool_type": "doit être true ou false", "string_type": "doit être un texte",
    "list_type": "doit être une liste", "dict_type": "doit être un ensemble de champs",
    "model_type": "doit être un ensemble de champs", "model_attributes_type": "doit être un ensemble de champs",
    "finite_number": "doit être un nombre fini",
}


def _allowed_range(root: type[BaseModel], loc: tuple) -> str:
    """'[0, 1]'-style range of the field at loc (its own bounds, or its items'), or ''."""
    import typing

    from .schema_doc import _bounds, constraints

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
    b = _bounds(constraints(meta))
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
