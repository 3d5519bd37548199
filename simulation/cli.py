"""Command line: `peuplement [--lang fr|en] run|demo|compare|validate`.

    peuplement run SCENARIO [--seed N] [--years N] [--set FIELD=VALUE]... [--out DIR] [--quiet]
    peuplement demo [--out DIR] [--quiet]
    peuplement validate FILE...
    peuplement compare BASELINE VARIANT... [--seeds N] [--years N] [--from-year Y] [--set FIELD=VALUE]...

Messages, help and summaries are in French unless `--lang en` (or PEUPLEMENT_LANG=en). User
errors (bad scenario, missing file, unwritable --out, bad option value) print one line
`peuplement: erreur : <message>` (`peuplement: error: ...` in English) on stderr and exit with
status 2, never a traceback. Mesa and the model are imported only by the commands that run one,
so `--help` and `validate` start fast.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import sys
import time
from pathlib import Path

from .fmt import LANGS, get_lang, num, pct, set_lang, signed, tr

PROG = "peuplement"


class UserError(Exception):
    """A problem the user can fix; reported as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (no usage dump) and exit status 2."""

    def error(self, message: str):
        _fail(message)


def _fail(message: str, status: int = 2):
    print(f"{PROG}: {tr('erreur :', 'error:')} {message}", file=sys.stderr)
    raise SystemExit(status)


def _warn(message: str) -> None:
    print(f"{PROG}: {tr('avertissement :', 'warning:')} {message}", file=sys.stderr)


# argparse's own words (it translates them through gettext, which has no French catalogue here)
_ARGPARSE_FR = {
    "usage: ": "utilisation : ",
    "positional arguments": "arguments",
    "options": "options",
    "show this help message and exit": "affiche cette aide et quitte",
    "show program's version number and exit": "affiche la version et quitte",
    "invalid choice: %(value)r (choose from %(choices)s)": "choix invalide : %(value)r (possibles : %(choices)s)",
    "the following arguments are required: %s": "arguments obligatoires manquants : %s",
    "unrecognized arguments: %s": "arguments non reconnus : %s",
    "argument %(argument_name)s: %(message)s": "%(argument_name)s : %(message)s",
    "expected one argument": "une valeur est attendue",
    "expected at least one argument": "au moins une valeur est attendue",
    "expected at most one argument": "au plus une valeur est attendue",
    "invalid %(type)s value: %(value)r": "valeur invalide : %(value)r",
    "ambiguous option: %(option)s could match %(matches)s": "option ambiguë : %(option)s (%(matches)s)",
    "%(prog)s: error: %(message)s\n": "%(prog)s: erreur : %(message)s\n",
}


def _argparse_words(text: str) -> str:
    return _ARGPARSE_FR.get(text, text) if get_lang() == "fr" else text


class _Version(argparse.Action):
    """--version: the installed package's version, looked up only when asked."""

    def __init__(self, option_strings, dest, help=None):
        super().__init__(option_strings, dest, nargs=0, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        from . import __version__
        print(f"{PROG} {__version__}")
        parser.exit()


def _int_at_least(low: int):
    def parse(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(tr(f"doit être un nombre entier, pas '{text}'",
                                                f"must be a whole number, not '{text}'")) from None
        if v < low:
            raise argparse.ArgumentTypeError(tr(f"doit valoir au moins {low}, pas {v}",
                                                f"must be at least {low}, not {v}"))
        return v
    return parse


def _lang_arg(text: str) -> str:
    if text not in LANGS:
        raise argparse.ArgumentTypeError(tr(f"langue '{text}' inconnue ; possibles : fr, en",
                                            f"unknown language '{text}'; use fr or en"))
    return text


def _add_set(p: argparse.ArgumentParser) -> None:
    p.add_argument("--set", action="append", default=[], metavar=tr("CHAMP=VALEUR", "FIELD=VALUE"),
                   dest="sets", help=tr(
                       "change un paramètre sans écrire de fichier, par ex. --set rents.single_rent.start="
                       "2027-01 ; répétable ; la valeur est lue en YAML et validée comme le fichier",
                       "change one parameter without writing a file, e.g. --set rents.single_rent.start="
                       "2027-01; repeatable; the value is read as YAML and validated like the file"))


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, its help in the current language (see simulation.fmt.set_lang)."""
    T = tr
    out_help = T("dossier de sortie (par défaut outputs/<nom>-seed<N>-<date>)",
                 "output folder (default outputs/<name>-seed<N>-<date>)")
    p = _Parser(prog=PROG, description=T(
        "Simulation des trajectoires résidentielles dans le parc social (modèle multi-agents).",
        "Simulation of residential trajectories in social housing (agent-based model)."))
    p.add_argument("--version", action=_Version,
                   help=T("affiche la version et quitte", "show the version and exit"))
    p.add_argument("--lang", type=_lang_arg, default=get_lang(), metavar="{fr,en}",
                   help=T("langue des messages, de l'aide et des résumés (défaut : fr)",
                          "language of messages, help and summaries (default: fr)"))
    sub = p.add_subparsers(dest="command", metavar="COMMANDE" if get_lang() == "fr" else "COMMAND",
                           parser_class=_Parser)
    sub.required = True

    r = sub.add_parser("run", help=T("simule un scénario et écrit ses résultats",
                                     "run a scenario and write its outputs"))
    r.add_argument("scenario", metavar="SCENARIO", help=T("fichier de scénario, ou nom d'un scénario intégré",
                                                          "scenario file, or name of a built-in scenario"))
    r.add_argument("--seed", type=_int_at_least(0), metavar="N", help=T("graine (remplace run.seed)",
                                                           "master seed (overrides run.seed)"))
    r.add_argument("--years", type=_int_at_least(1), metavar="N", help=T("horizon en années (remplace run.years)",
                                                            "horizon in years (overrides run.years)"))
    _add_set(r)
    r.add_argument("--out", metavar="DIR", help=out_help)
    r.add_argument("--quiet", action="store_true", help=T(
        "ni barre de progression ni résumé (le dossier de sortie est toujours affiché)",
        "no progress bar nor summary table (the output folder is still printed)"))

    d = sub.add_parser("demo", help=T("simule le scénario intégré baseline",
                                      "run the built-in baseline scenario"))
    d.add_argument("--out", metavar="DIR", help=out_help)
    d.add_argument("--quiet", action="store_true", help=T("ni barre de progression ni résumé",
                                                          "no progress bar nor summary table"))

    c = sub.add_parser("compare", help=T(
        "simule une référence et des variantes sur plusieurs graines et affiche l'effet de chaque "
        "variante avec une bande à 90 %%",
        "run a baseline and variants over several seeds and print each variant's effect with a 90 %% band"))
    c.add_argument("scenarios", metavar="SCENARIO", nargs="+", help=T(
        "la référence d'abord, puis les variantes (fichiers ou noms intégrés)",
        "the baseline first, then the variants (files or built-in names)"))
    c.add_argument("--seeds", type=_int_at_least(1), default=5, metavar="N",
                   help=T("nombre de graines (1..N), 5 par défaut", "number of seeds (1..N), default 5"))
    c.add_argument("--years", type=_int_at_least(1), metavar="N", help=T("horizon en années (remplace run.years)",
                                                            "horizon in years (overrides run.years)"))
    c.add_argument("--from-year", type=_int_at_least(1900), dest="from_year", metavar=T("ANNÉE", "YEAR"), help=T(
        "moyenne des chiffres annuels à partir de cette année (défaut : toutes)",
        "average yearly figures from this year on (default: all years)"))
    c.add_argument("--workers", type=_int_at_least(1), metavar="N", help=T("processus (défaut : un par cœur)",
                                                              "processes (default: one per core)"))
    _add_set(c)
    c.add_argument("--out", metavar=T("FICHIER", "FILE"), help=T(
        "écrit aussi la table longue (scenario, seed, metric, value) dans ce fichier CSV",
        "also write the long table (scenario, seed, metric, value) to this CSV file"))

    v = sub.add_parser("validate", help=T("vérifie des fichiers de scénario sans les simuler",
                                          "check scenario files without running them"))
    v.add_argument("files", metavar=T("FICHIER", "FILE"), nargs="+", help=T(
        "fichiers de scénario ou noms intégrés ; chaque problème est listé sur sa ligne",
        "scenario files or built-in names; every problem is listed on its own line"))
    return p


# ------------------------------------------------------------------------------------ helpers
def parse_sets(items: list[str]) -> dict:
    """`--set FIELD=VALUE` options as dotted overrides, each value read as YAML (2027-01 stays a
    date text, 0.5 a number, true a boolean, null removes a lever)."""
    import yaml

    out: dict = {}
    for item in items:
        key, eq, text = item.partition("=")
        key = key.strip()
        if not eq or not key:
            raise UserError(tr(f"--set {item} : écrivez CHAMP=VALEUR, par ex. --set rents.single_rent.start=2027-01",
                               f"--set {item}: write FIELD=VALUE, e.g. --set rents.single_rent.start=2027-01"))
        try:
            out[key] = yaml.safe_load(text) if text.strip() else None
        except yaml.YAMLError:
            raise UserError(tr(f"--set {item} : la valeur n'est pas du YAML valide ; mettez-la entre guillemets",
                               f"--set {item}: the value is not valid YAML; quote it")) from None
    return out


def _load(scenario: str | Path, sets: dict, run: dict | None = None):
    """Load a scenario with `--set` overrides then --seed/--years; errors name `--set`."""
    from .scenario import load_scenario

    overrides = dict(sets)
    for k, v in (run or {}).items():
        overrides[f"run.{k}"] = v
    return load_scenario(scenario, overrides or None, overrides_label="--set")


def _print_warnings(sc) -> list[str]:
    from .checks import scenario_warnings

    warnings = scenario_warnings(sc)
    for w in warnings:
        _warn(w)
    return warnings


def _prepare_out(out: str | None, name: str, seed: int) -> Path:
    """The output folder, created and checked writable before the run starts."""
    if out is None:
        stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name) or "scenario"
        path = Path("outputs") / f"{safe}-seed{seed}-{stamp}"
    else:
        path = Path(out)
    if path.exists() and not path.is_dir():
        raise UserError(tr(f"--out {path} : existe et n'est pas un dossier",
                           f"--out {path}: exists and is not a folder"))
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".peuplement-write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as e:
        raise UserError(tr(f"impossible d'écrire dans le dossier de sortie {path} : {e.strerror or e}",
                           f"cannot write to output folder {path}: {e.strerror or e}")) from None
    return path


def _run(scenario: str | Path, seed: int | None, years: int | None, out: str | None, quiet: bool,
         sets: dict | None = None) -> int:
    from rich.console import Console

    from .scenario import find_scenario

    console = Console()
    path = find_scenario(scenario)
    run = {k: v for k, v in (("seed", seed), ("years", years)) if v is not None}
    sc = _load(path, sets or {}, run)
    _print_warnings(sc)
    out_dir = _prepare_out(out, sc.name, sc.run.seed)

    from .model import HousingModel
    from .outputs import summary, write_run

    timings = {}
    t = time.perf_counter()
    model = HousingModel(sc)
    timings["build"] = time.perf_counter() - t
    months = sc.run.years * 12 - model.month

    t = time.perf_counter()
    title = tr(f"{sc.name} (graine {model.seed})", f"{sc.name} (seed {model.seed})")
    if not quiet and console.is_terminal:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TextColumn(tr("mois", "months")), TimeElapsedColumn(), console=console,
                      transient=True) as bar:
            task = bar.add_task(title, total=months)
            model.run(progress=lambda month: bar.update(task, completed=month))
    else:
        if not quiet:
            n = sc.run.years
            console.print(tr(f"Simulation de « {sc.name} » (graine {model.seed}, {n} an{'s' if n > 1 else ''})…",
                             f"Running '{sc.name}' (seed {model.seed}, {n} year{'s' if n > 1 else ''})…"))
        model.run()
    timings["run"] = time.perf_counter() - t

    indicators = model.indicators()
    try:
        write_run(model, out_dir, timings, str(path), indicators=indicators)
    except OSError as e:
        raise UserError(tr(f"impossible d'écrire les résultats dans {out_dir} : {e.strerror or e}",
                           f"cannot write outputs to {out_dir}: {e.strerror or e}")) from None

    if not quiet:
        from rich.table import Table

        span = f"{sc.run.start_year}–{sc.run.start_year + sc.run.years - 1}"
        table = Table(title=tr(f"Résumé — {sc.name} (graine {model.seed}, {span})",
                               f"Summary — {sc.name} (seed {model.seed}, {span})"), title_justify="left")
        table.add_column(tr("Indicateur", "Indicator"))
        table.add_column(tr("Valeur", "Value"), justify="right")
        for k, v in summary(model, indicators):
            table.add_row(k, v)
        console.print(table)
        console.print(tr(f"Temps : construction {num(timings['build'], 1)} s, "
                         f"simulation {num(timings['run'], 1)} s",
                         f"Time: build {num(timings['build'], 1)} s, run {num(timings['run'], 1)} s"))
    print(tr(f"Résultats écrits dans {out_dir}", f"Outputs written to {out_dir}"))
    return 0


# English labels of the compare headlines (the French ones are simulation.compare.HEADLINES)
HEADLINES_EN = {
    "q1_share_tenants_qpv_end": "Q1 share of tenants in QPV (end)",
    "q1_share_tenants_outside_qpv_end": "Q1 share of tenants outside QPV (end)",
    "q1_share_tenants_site_end": "Q1 share of tenants of the renewal site (end)",
    "q1_share_tenants_qpv_mean": "Q1 share of tenants in QPV (mean over the period)",
    "q1_share_tenants_outside_qpv_mean": "Q1 share of tenants outside QPV (mean over the period)",
    "q1_share_tenants_site_mean": "Q1 share of tenants of the site (mean over the period)",
    "q1_share_allocations_outside_qpv": "Allocations outside QPV to Q1 or rehoused (yearly mean)",
    "q2q4_share_allocations_in_qpv": "Allocations in QPV to Q2-Q4 (yearly mean)",
    "q1_share_allocations_qpv": "Q1 share of allocations in QPV",
    "priority_share_allocations": "Share of priority households in allocations",
    "refusal_rate": "Offer refusal rate",
    "refusal_rate_qpv": "Offer refusal rate in QPV",
    "wait_months_median": "Median waiting time (months)",
    "turnover_rate": "Turnover rate",
    "vacancy_rate_end": "Vacancy rate (end)",
    "rent_revenue_end": "Monthly rents charged (end, EUR)",
    "rehoused": "Households rehoused",
    "rehoused_outside_qpv_share": "Rehoused outside QPV",
    "to_rehouse_q34_left_share": "Q3-Q4 households to rehouse who left social housing",
    "to_rehouse_q1_left_share": "Q1 households to rehouse who left social housing",
}


def _metric_cells(metric: str):
    """(level, effect, band bound) formatters of a compare metric: shares in % and differences in
    points, other metrics as numbers."""
    if "share" in metric or "rate" in metric:
        return pct, (lambda v: signed(v, pct=True)), (lambda v: signed(100 * v, 1))
    d = 1 if metric == "wait_months_median" else 0
    return (lambda v: num(v, d)), (lambda v: signed(v, d)), (lambda v: signed(v, d))


def _compare(scenarios: list[str], seeds: int, years: int | None, from_year: int | None,
             workers: int | None, out: str | None, sets: dict | None = None) -> int:
    import tempfile

    from rich.console import Console
    from rich.table import Table

    from .scenario import find_scenario

    if len(scenarios) < 2:
        raise UserError(tr("compare attend une référence et au moins une variante",
                           "compare needs a baseline and at least one variant"))
    paths = [find_scenario(s) for s in scenarios]
    run = {"years": years} if years else None
    loaded = [_load(p, sets or {}, run) for p in paths]   # validates every file before running anything
    names = [sc.name for sc in loaded]
    if len(set(names)) < len(names):
        raise UserError(tr("deux scénarios portent le même nom ; donnez à chaque variante son propre champ name:",
                           "two scenarios have the same name; give each variant its own name: field"))
    for sc in loaded:
        _print_warnings(sc)
    same = {"name", "description"}
    for sc in loaded[1:]:
        if sc.model_dump(exclude=same) == loaded[0].model_dump(exclude=same):
            _warn(tr(f"« {sc.name} » ne diffère de « {names[0]} » que par son nom : son effet sera nul ; "
                     "vérifiez le fichier de la variante",
                     f"'{sc.name}' differs from '{names[0]}' only by its name: its effect will be nil; "
                     "check the variant's file"))
    from .compare import HEADLINES, compare, effects

    console = Console()
    if out is not None:
        _prepare_out(str(Path(out).parent or "."), "compare", 0)
    console.print(tr(f"{len(paths)} scénarios × {seeds} graines…", f"{len(paths)} scenarios × {seeds} seeds…"))
    with tempfile.TemporaryDirectory(prefix="peuplement-") as tmp:
        if sets:    # the workers load files: give them each scenario resolved with its --set values
            from .scenario import scenario_to_yaml
            paths = []
            for i, sc in enumerate(loaded):
                f = Path(tmp) / f"{i}-{sc.name}.yaml"
                f.write_text(scenario_to_yaml(sc), encoding="utf-8")
                paths.append(f)
        table = compare(paths, list(range(1, seeds + 1)), years=years, from_year=from_year, workers=workers)
    if out is not None:
        table.to_csv(out, index=False)
    eff = effects(table, names[0])
    t = Table(title=tr(f"Effets par rapport à « {names[0]} » (moyenne sur {seeds} graines, "
                       "bande à 90 % des écarts appariés ; écarts de parts en points)",
                       f"Effects against '{names[0]}' (mean over {seeds} seeds, 90 % band of the "
                       "paired differences; differences of shares in points)"), title_justify="left")
    t.add_column(tr("Indicateur", "Indicator"))
    t.add_column(names[0], justify="right")
    for n in names[1:]:
        t.add_column(n, justify="right")
    for metric, label in HEADLINES.items():
        rows = eff[eff["metric"] == metric].set_index("scenario")
        if rows.empty:
            continue
        level, effect, bound = _metric_cells(metric)
        cells = [level(rows.loc[names[0], "mean"])]
        for n in names[1:]:
            r = rows.loc[n]
            if r["effect"] != r["effect"]:      # no baseline value (e.g. no rehousing): show the level
                cells.append(f"{level(r['mean'])} {tr('(niveau)', '(level)')}")
                continue
            cells.append(f"{effect(r['effect'])} [{bound(r['effect_p05'])} ; {bound(r['effect_p95'])}]")
        t.add_row(tr(label, HEADLINES_EN.get(metric, metric)), *cells)
    console.print(t)
    if out is not None:
        print(tr(f"Table écrite dans {out}", f"Table written to {out}"))
    return 0


def _validate(files: list[str]) -> int:
    """Every problem of every file, one line each; warnings do not fail the file."""
    from .checks import scenario_warnings
    from .scenario import ScenarioError, load_scenario

    failed = 0
    for f in files:
        try:
            sc = load_scenario(f)
        except ScenarioError as e:
            for problem in e.problems:
                print(f"{tr('ERREUR', 'ERROR')} {problem}", file=sys.stderr)
            failed += 1
            continue
        warnings = scenario_warnings(sc)
        t = sc.territory
        n_res = sum(len(n.residences) for n in t.neighbourhoods)
        n_nb, n_w = len(t.neighbourhoods), len(sc.works)
        print(tr(f"OK {f} : {sc.name}, {n_nb} quartiers, {n_res} résidences, {n_w} opérations"
                 f"{f', {len(warnings)} avertissement(s)' if warnings else ''}",
                 f"OK {f}: {sc.name}, {n_nb} neighbourhoods, {n_res} residences, {n_w} works"
                 f"{f', {len(warnings)} warning(s)' if warnings else ''}"))
        for w in warnings:
            print(f"{tr('ATTENTION', 'WARNING')} {f}: {w}")
    return 1 if failed else 0


def _pre_lang(argv: list[str]) -> str | None:
    """The --lang value, read before the parser is built so that its help is in that language."""
    for i, a in enumerate(argv):
        if a == "--":
            break
        if a == "--lang" and i + 1 < len(argv):
            return argv[i + 1]
        if a.startswith("--lang="):
            return a.split("=", 1)[1]
    return None


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `peuplement` console script; returns the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    lang = _pre_lang(argv)
    previous = get_lang()
    if lang in LANGS:
        set_lang(lang)
    saved = argparse._
    argparse._ = _argparse_words     # argparse looks its words up through this module global
    try:
        return _dispatch(build_parser().parse_args(argv))
    finally:
        argparse._ = saved
        set_lang(previous)


def _dispatch(args: argparse.Namespace) -> int:
    from .scenario import ScenarioError, builtin

    try:
        if args.command == "run":
            return _run(args.scenario, args.seed, args.years, args.out, args.quiet, parse_sets(args.sets))
        if args.command == "demo":
            return _run(builtin("baseline"), None, None, args.out, args.quiet)
        if args.command == "validate":
            return _validate(args.files)
        if args.command == "compare":
            return _compare(args.scenarios, args.seeds, args.years, args.from_year, args.workers, args.out,
                            parse_sets(args.sets))
    except (ScenarioError, UserError) as e:
        _fail(str(e))
    except KeyboardInterrupt:
        _fail(tr("interrompu", "interrupted"), 130)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
