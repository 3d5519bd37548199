"""Command line: `peuplement [--lang fr|en] run|demo|compare|validate|territory|calibrate|sensitivity`.

    peuplement run SCENARIO [--seed N] [--years N] [--set FIELD=VALUE]... [--out DIR [--force]] [--quiet]
    peuplement demo [--out DIR] [--quiet]
    peuplement validate FILE...
    peuplement compare BASELINE VARIANT... [--seeds N] [--years N] [--set FIELD=VALUE]...
                       [--workers N] [--scheduler ADDRESS] [--out DIR] [--quiet]
    peuplement territory from-rpls FILE.csv --epci CODE [--out NAME.yaml]
    peuplement calibrate CONFIG.yaml [--workers N] [--scheduler ADDRESS] [--out DIR] [--quiet]
    peuplement sensitivity CONFIG.yaml [--workers N] [--scheduler ADDRESS] [--out DIR] [--quiet]
    peuplement app [--host H] [--port N] [--preset NAME] [--no-browser]

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

from .fmt import LANGS, get_lang, num, set_lang, tr

PROG = "peuplement"
DEMO_SEEDS = 4          # the demo's ensemble: enough for a band, about a minute on two cores


class UserError(Exception):
    """A problem the user can fix; reported as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (no usage dump) and exit status 2."""

    def error(self, message: str):
        _fail(message)


def _fail(message: str, status: int = 2):
    from .rundir import printable
    print(f"{PROG}: {tr('erreur :', 'error:')} {printable(message, 2000)}", file=sys.stderr)
    raise SystemExit(status)


def _warn(message: str) -> None:
    from .rundir import printable
    print(f"{PROG}: {tr('avertissement :', 'warning:')} {printable(message, 2000)}", file=sys.stderr)


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


def _add_dask(p: argparse.ArgumentParser) -> None:
    """--workers and --scheduler: where the runs of an ensemble, a calibration or an analysis go."""
    p.add_argument("--workers", type=_int_at_least(1), metavar="N", help=tr(
        "processus du cluster Dask local (défaut : un par cœur ; 1 : dans ce processus)",
        "worker processes of the local Dask cluster (default: one per core; 1: run here)"))
    p.add_argument("--scheduler", metavar=tr("ADRESSE", "ADDRESS"), help=tr(
        "un ordonnanceur Dask existant, par ex. tcp://10.0.0.5:8786, au lieu d'un cluster local",
        "an existing Dask scheduler, e.g. tcp://10.0.0.5:8786, instead of a local cluster"))


def _add_quiet(p: argparse.ArgumentParser) -> None:
    p.add_argument("--quiet", action="store_true", help=tr("ni barre de progression ni tableau",
                                                           "no progress bar nor table"))


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, its help in the current language (see simulation.fmt.set_lang)."""
    T = tr
    out_help = T("dossier de sortie (par défaut outputs/<nom>-seed<N>-<date>-<empreinte>)",
                 "output folder (default outputs/<name>-seed<N>-<date>-<digest>)")
    cmp_out = T("dossier de la comparaison (défaut outputs/compare-<noms>-<N>graines) ; relancer la même "
                "commande dans ce dossier reprend et saute les simulations finies",
                "comparison folder (default outputs/compare-<names>-<N>graines); rerunning the same command "
                "into it resumes and skips finished runs")
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
    r.add_argument("--force", action="store_true", help=T(
        "remplace le dossier --out s'il contient déjà des fichiers",
        "replace --out if it already holds files"))
    r.add_argument("--quiet", action="store_true", help=T(
        "ni barre de progression ni résumé (le dossier de sortie est toujours affiché)",
        "no progress bar nor summary table (the output folder is still printed)"))
    r.add_argument("--format", choices=("parquet", "csv"), default="parquet", help=T(
        "csv : écrit aussi chaque table en CSV pour tableur français (; et virgule décimale) dans csv/",
        "csv: also write every table as a French-spreadsheet CSV (; and decimal comma) in csv/"))

    d = sub.add_parser("demo", help=T(
        f"compare la ville stylisée de référence et la stratégie de renouvellement combinée sur "
        f"{DEMO_SEEDS} graines et écrit le rapport",
        f"compare the stylised town's baseline with the combined renewal strategy over {DEMO_SEEDS} "
        "seeds and write the report"))
    d.add_argument("--out", metavar="DIR", help=cmp_out)
    _add_quiet(d)

    c = sub.add_parser("compare", help=T(
        "simule une référence et des variantes sur plusieurs graines (sur Dask), affiche l'effet de "
        "chaque variante avec un intervalle de confiance à 90 %% et écrit un rapport",
        "run a baseline and variants over several seeds (on Dask), print each variant's effect with a "
        "90 %% confidence interval and write a report"))
    c.add_argument("scenarios", metavar="SCENARIO", nargs="+", help=T(
        "la référence d'abord, puis les variantes (fichiers ou noms intégrés)",
        "the baseline first, then the variants (files or built-in names)"))
    c.add_argument("--seeds", type=_int_at_least(1), default=5, metavar="N",
                   help=T("nombre de graines (1..N), 5 par défaut", "number of seeds (1..N), default 5"))
    c.add_argument("--years", type=_int_at_least(1), metavar="N", help=T("horizon en années (remplace run.years)",
                                                            "horizon in years (overrides run.years)"))
    _add_set(c)
    _add_dask(c)
    c.add_argument("--out", metavar="DIR", help=cmp_out)
    _add_quiet(c)

    cal = sub.add_parser("calibrate", help=T(
        "calibre des paramètres sur des chiffres observés (ABC-SMC, docs/calibration.md)",
        "calibrate parameters on observed figures (ABC-SMC, docs/calibration.md)"))
    cal.add_argument("config", metavar="CONFIG", help=T(
        "fichier de calibration YAML (scénario de base, priors, cibles, budget)",
        "calibration YAML file (base scenario, priors, targets, budget)"))
    _add_dask(cal)
    cal.add_argument("--out", metavar="DIR", help=T(
        "dossier de la calibration (défaut outputs/calibration-<nom>) ; relancer la même commande "
        "reprend après la dernière génération finie",
        "calibration folder (default outputs/calibration-<name>); rerunning the same command resumes "
        "after the last finished generation"))
    _add_quiet(cal)

    sa = sub.add_parser("sensitivity", help=T(
        "analyse de sensibilité (Morris ou Sobol) des paramètres choisis dans un fichier de "
        "configuration ; sur Dask, reprend là où elle s'est arrêtée (docs/sensitivity.md)",
        "sensitivity analysis (Morris or Sobol) of the parameters chosen in a config file; on Dask, "
        "resumes where it stopped (docs/sensitivity.md)"))
    sa.add_argument("config", metavar="CONFIG.yaml", help=T(
        "fichier de configuration de l'analyse (par ex. calibration/france_sensitivity.yaml)",
        "the analysis' config file (e.g. calibration/france_sensitivity.yaml)"))
    _add_dask(sa)
    sa.add_argument("--out", metavar="DIR", help=T(
        "dossier de l'analyse (défaut outputs/sensitivity-<nom>-<méthode>) ; relancer la même commande "
        "reprend et saute les points déjà simulés",
        "analysis folder (default outputs/sensitivity-<name>-<method>); rerunning the same command "
        "resumes and skips the points already run"))
    _add_quiet(sa)

    v = sub.add_parser("validate", help=T("vérifie des fichiers de scénario sans les simuler",
                                          "check scenario files without running them"))
    v.add_argument("files", metavar=T("FICHIER", "FILE"), nargs="+", help=T(
        "fichiers de scénario ou noms intégrés ; chaque problème est listé sur sa ligne",
        "scenario files or built-in names; every problem is listed on its own line"))

    t = sub.add_parser("territory", help=T("construit un territoire à partir de données ouvertes (docs/rpls.md)",
                                           "build a territory from open data (see docs/rpls.md)"))
    tsub = t.add_subparsers(dest="source", metavar="SOURCE", parser_class=_Parser)
    tsub.required = True
    rp = tsub.add_parser("from-rpls", help=T("un fichier de scénario à partir des logements d'un EPCI dans RPLS",
                                             "a scenario file from an EPCI's dwellings in an RPLS file"))
    rp.add_argument("file", metavar=T("FICHIER", "FILE"), help=T(
        "fichier RPLS au logement (.csv ou .zip)", "RPLS dwelling-level file (.csv or .zip)"))
    rp.add_argument("--epci", required=True, help=T("code SIREN de l'EPCI (9 chiffres)",
                                                    "SIREN code of the EPCI (9 digits)"))
    rp.add_argument("--out", metavar=T("FICHIER", "FILE"), help=T(
        "fichier de scénario à écrire (défaut rpls-<EPCI>.yaml)", "scenario file to write (default rpls-<EPCI>.yaml)"))
    rp.add_argument("--name", help=T("nom du territoire (défaut 'EPCI <code>')", "territory name (default 'EPCI <code>')"))
    rp.add_argument("--renewal-qpv", action="append", default=[], metavar="CODE", help=T(
        "code du QPV d'un site de renouvellement (NPNRU) ; répétable",
        "QPV code of an urban renewal (NPNRU) site; repeat for several"))
    rp.add_argument("--financing", action="append", default=[], metavar="CODE=TYPE", help=T(
        "associe un code de financement RPLS à PLAI, PLUS, PLS ou PLI ; répétable",
        "map an RPLS financing code to PLAI, PLUS, PLS or PLI; repeat for several"))
    rp.add_argument("--min-residence", type=_int_at_least(1), default=5, metavar="N", help=T(
        "les adresses de moins de N logements sont regroupées par quartier (défaut 5)",
        "addresses with fewer dwellings are pooled per neighbourhood (default 5)"))

    a = sub.add_parser("app", help=T(
        "ouvre la vue en direct dans le navigateur (préréglages, la ville, courbes, rejeu de commission)",
        "open the live web view (presets, the town, charts, commission replay)"))
    a.add_argument("--host", default="127.0.0.1", help=T(
        "adresse d'écoute (défaut 127.0.0.1 : cette machine seulement ; 0.0.0.0 la partage sur le "
        "réseau de la salle)",
        "address to listen on (default 127.0.0.1: this machine only; 0.0.0.0 shares it on the "
        "room's network)"))
    a.add_argument("--port", type=_int_at_least(1), default=8765, metavar="N",
                   help=T("port (défaut 8765)", "port (default 8765)"))
    a.add_argument("--preset", metavar=T("NOM", "NAME"), help=T(
        "préréglage affiché d'abord : un nom de scénario intégré (défaut baseline)",
        "preset shown first: a built-in scenario name (default baseline)"))
    a.add_argument("--no-browser", action="store_true", dest="no_browser",
                   help=T("n'ouvre pas de navigateur", "do not open a browser"))
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
    """Load a scenario with `--set` overrides, then --seed and --years; errors name `--set`."""
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


def _prepare_out(out: str | None, sc, inputs: list, force: bool) -> tuple[Path, bool]:
    """(target folder, unique?): --out checked before the run starts (see simulation.rundir), or a
    default name under outputs/ that also carries a digest of the resolved scenario, made unique
    when the folder is published."""
    from .rundir import OutputError, check_target

    if out is not None:
        try:
            return check_target(out, force=force, inputs=inputs), False
        except OutputError as e:
            raise UserError(str(e)) from None
    import hashlib

    from .scenario import scenario_to_yaml

    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in sc.name)[:60].strip(".") or "scenario"
    digest = hashlib.sha256(scenario_to_yaml(sc).encode("utf-8")).hexdigest()[:6]
    return Path("outputs") / f"{safe}-seed{sc.run.seed}-{stamp}-{digest}", True


def _run(scenario: str | Path, seed: int | None, years: int | None, out: str | None, quiet: bool,
         sets: dict | None = None, force: bool = False, csv: bool = False) -> int:
    from rich.console import Console

    from .rundir import OutputError, publish_dir
    from .scenario import find_scenario

    console = Console()
    path = find_scenario(scenario)
    run = {k: v for k, v in (("seed", seed), ("years", years)) if v is not None}
    sc = _load(path, sets or {}, run)
    _print_warnings(sc)
    target, unique = _prepare_out(out, sc, [path], force)
    try:
        with publish_dir(target, force=force, unique=unique) as rd:
            model, indicators, timings = _simulate(sc, path, rd.tmp, quiet, console, csv)
    except OutputError as e:
        raise UserError(str(e)) from None
    except OSError as e:
        raise UserError(tr(f"impossible d'écrire les résultats dans {target} : {e.strerror or e}",
                           f"cannot write outputs to {target}: {e.strerror or e}")) from None
    out_dir = rd.final

    if not quiet:
        from rich.table import Table

        from .outputs import summary

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


def _simulate(sc, path, out_dir: Path, quiet: bool, console, csv: bool = False):
    """Build and run the model, write its files into out_dir; (model, the indicator rows the
    summary reads, timings)."""
    from .model import HousingModel
    from .outputs import settled_heap, summary_indicators, write_run

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

    with settled_heap():   # collects the run's freed temporaries, before the indicator table's peak
        box = [model.indicators()]
        indicators = summary_indicators(box[0])   # all the summary needs; write_run drops the table
        write_run(model, out_dir, timings, str(path), indicators=box.pop(), atomic=False, csv=csv)
    return model, indicators, timings


def _compare(scenarios: list[str], seeds: int, years: int | None, workers: int | None,
             scheduler: str | None, out: str | None, quiet: bool = False, sets: dict | None = None) -> int:
    from rich.console import Console

    from .compare import ComparisonError, run_comparison
    from .scenario import find_scenario

    if len(scenarios) < 2:
        raise UserError(tr("compare attend une référence et au moins une variante",
                           "compare needs a baseline and at least one variant"))
    paths = [find_scenario(s) for s in scenarios]
    run = {"years": years} if years else None
    loaded = [_load(p, sets or {}, run) for p in paths]   # validates every file before running anything
    names = [sc.name for sc in loaded]
    for sc in loaded:
        _print_warnings(sc)
    same = {"name", "description"}
    for sc in loaded[1:]:
        if sc.name != names[0] and sc.model_dump(exclude=same) == loaded[0].model_dump(exclude=same):
            _warn(tr(f"« {sc.name} » ne diffère de « {names[0]} » que par son nom : son effet sera nul ; "
                     "vérifiez le fichier de la variante",
                     f"'{sc.name}' differs from '{names[0]}' only by its name: its effect will be nil; "
                     "check the variant's file"))
    console = Console()
    lang = get_lang()
    out_path = Path(out) if out else None
    try:
        res, summary, report = run_comparison(paths, seeds, years=years, workers=workers,
                                              scheduler=scheduler, out=out_path, lang=lang,
                                              overrides=sets or None,
                                              progress=not quiet and console.is_terminal)
    except ComparisonError as e:
        raise UserError(str(e)) from None
    except KeyboardInterrupt:
        where = out_path or tr("le dossier de sortie", "the output folder")
        _fail(tr(f"interrompu ; les simulations terminées sont gardées dans {where} : relancez la même "
                 "commande pour reprendre",
                 f"interrupted; finished runs are kept in {where}: run the same command again to resume"), 130)
    console.print(tr(f"{res.ran} simulation(s) faite(s), {res.reused} reprise(s) d'un calcul précédent",
                     f"{res.ran} run(s) done, {res.reused} reused from an earlier call")
                  + f" ({num(res.seconds, 0)} s)")
    for f in res.failures:
        console.print(f"[red]{tr('échec', 'failed')} : {f.scenario}, {tr('graine', 'seed')} {f.seed} : "
                      f"{f.error}[/red]", highlight=False)
    if summary is not None and not quiet:
        _print_effects(console, summary, list(dict.fromkeys(summary["scenario"])), seeds, lang)
    if report is not None:
        print(tr("Rapport écrit dans ", "Report written to ") + str(report))
    return 1 if res.failures else 0


def _calibrate(config: str, workers: int | None, scheduler: str | None, out: str | None,
               quiet: bool = False) -> int:
    """`peuplement calibrate`: run or resume an ABC-SMC calibration, print the fit table."""
    from rich.console import Console
    from rich.table import Table

    from .calibrate.abc import fit_rows, run_calibration

    console = Console()
    if not Path(config).is_file():
        raise UserError(tr(f"{config} : fichier de calibration introuvable", f"{config}: calibration file not found"))
    try:
        res = run_calibration(config, out=out, workers=workers, scheduler=scheduler,
                              progress=not quiet and console.is_terminal,
                              log=lambda s: console.print(s, highlight=False))
    except KeyboardInterrupt:
        where = out or tr("le dossier de sortie", "the output folder")
        _fail(tr(f"interrompu ; les générations finies sont gardées dans {where} : relancez la même "
                 "commande pour reprendre",
                 f"interrupted; finished generations are kept in {where}: run the same command again to "
                 "resume"), 130)
    d = res.diagnostics
    console.print(tr(f"{res.generations} génération(s) ({res.generations - res.resumed_from} calculée(s) ici), "
                     f"{res.simulations} simulation(s), {num(res.seconds, 0)} s ; ε final {num(d['epsilon'].iloc[-1], 2)}, "
                     f"taux d'acceptation {num(100 * d['acceptance_rate'].iloc[-1], 0)} %, "
                     f"taille effective {num(d['ess'].iloc[-1], 0)}",
                     f"{res.generations} generation(s) ({res.generations - res.resumed_from} computed here), "
                     f"{res.simulations} run(s), {num(res.seconds, 0)} s; final ε {num(d['epsilon'].iloc[-1], 2)}, "
                     f"acceptance rate {num(100 * d['acceptance_rate'].iloc[-1], 0)} %, "
                     f"effective sample size {num(d['ess'].iloc[-1], 0)}"), highlight=False)
    if res.failures:
        _warn(tr(f"{res.failures} simulation(s) en échec (comptées comme rejetées)",
                 f"{res.failures} run(s) failed (counted as rejected)"))
    if res.fit is not None and not quiet:
        from rich.markup import escape
        t = Table(title=escape(tr("Ajustement : observé et prédictive a posteriori (médiane [bande à 90 %])",
                                  "Fit: observed and posterior predictive (median [90 % band])")))
        t.add_column(tr("statistique", "statistic"), no_wrap=True)      # names are read whole
        for col in (tr("rôle", "role"), tr("observé (± écart-type)", "observed (± sd)"),
                    tr("prédit", "predicted"), tr("dans la bande", "in band")):
            t.add_column(col)
        for row in fit_rows(res.fit):
            t.add_row(*(escape(c) for c in row))
        console.print(t)
    print(tr(f"Résultats écrits dans {res.out} (posterior, diagnostics, fit, posterior_median.yaml, posterior/)",
             f"Results written to {res.out} (posterior, diagnostics, fit, posterior_median.yaml, posterior/)"))
    return 0


def _sensitivity(config: str, workers: int | None, scheduler: str | None, out: str | None,
                 quiet: bool) -> int:
    """Run a sensitivity analysis; print the ranked indices and where the results are."""
    from rich.console import Console

    from .calibrate.sensitivity import SensitivityError, load_config, print_table, run_sensitivity

    console = Console()
    lang = get_lang()
    try:
        cfg = load_config(config)
        if not quiet:
            n_pts = (cfg.trajectories * (len(cfg.parameters) + 1) if cfg.method == "morris" else
                     cfg.n * (2 * len(cfg.parameters) + 2 if cfg.second_order else len(cfg.parameters) + 2))
            console.print(tr(
                f"Analyse « {cfg.name} » ({cfg.method}) : {len(cfg.parameters)} paramètres, {n_pts} points "
                f"× {len(cfg.seeds)} graine(s) = {num(n_pts * len(cfg.seeds))} simulations de {cfg.years} ans",
                f"Analysis '{cfg.name}' ({cfg.method}): {len(cfg.parameters)} parameters, {n_pts} points "
                f"× {len(cfg.seeds)} seed(s) = {num(n_pts * len(cfg.seeds))} runs of {cfg.years} years"),
                highlight=False)
        res = run_sensitivity(cfg, Path(out) if out else None, workers=workers, scheduler=scheduler,
                              progress=not quiet and console.is_terminal, lang=lang)
    except SensitivityError as e:
        raise UserError(str(e)) from None
    except KeyboardInterrupt:
        where = out or tr("le dossier de sortie", "the output folder")
        _fail(tr(f"interrompu ; les simulations terminées sont gardées dans {where} : relancez la même "
                 "commande pour reprendre",
                 f"interrupted; finished runs are kept in {where}: run the same command again to resume"), 130)
    console.print(tr(f"{res.ran} simulation(s) faite(s), {res.reused} reprise(s) d'un calcul précédent",
                     f"{res.ran} run(s) done, {res.reused} reused from an earlier call")
                  + f" ({num(res.seconds, 0)} s)", highlight=False)
    for f in res.failures:
        console.print(f"[red]{tr('échec', 'failed')} : {f.scenario}, {tr('graine', 'seed')} {f.seed} : "
                      f"{f.error}[/red]", highlight=False)
    if res.failures:
        console.print(tr("Pas d'indices tant que des simulations échouent ; relancez la commande pour "
                         "reprendre", "No indices while runs fail; run the command again to resume"))
        return 1
    if not quiet:
        print_table(console, cfg, res.table, lang)
    print(tr("Résultats écrits dans ", "Results written to ") + str(res.results))
    return 0


def _print_effects(console, summary, names, seeds, lang) -> None:
    """The headline rows of the summary: baseline level, each variant's paired difference [CI]."""
    from rich.table import Table

    from .report.text import SERIES_LABELS, fmt_diff, fmt_value
    from .summary import SERIES_BY_KEY

    fr = lang == "fr"
    horizons = [h for h in ("year20", "year10", "year5") if h in set(summary["horizon"])]
    last = horizons[0] if horizons else "period"
    t = Table(title=(f"Écarts à « {names[0]} » : moyenne appariée sur {seeds} graine(s) et intervalle "
                     "de confiance à 90 %" if fr else
                     f"Differences from “{names[0]}”: paired mean over {seeds} seed(s), 90% CI"),
              title_justify="left")
    t.add_column("Indicateur" if fr else "Indicator")
    t.add_column(names[0], justify="right")
    for n in names[1:]:
        t.add_column(n, justify="right")
    for key in ("q1_tenants_qpv", "q1_tenants_outside_qpv", "q1_tenants_site", "legal_q1_outside_qpv",
                "legal_q2q4_in_qpv", "legal_priority", "dissimilarity_q1", "wait_median",
                "rehoused_outside_qpv", "rent_revenue"):
        hz = "period" if key.startswith(("legal", "wait", "rehoused")) else last
        rows = summary[(summary["series"] == key) & (summary["horizon"] == hz)].set_index("scenario")
        if rows.empty:
            continue
        unit = SERIES_BY_KEY[key].unit
        hz_word = ("moyenne" if fr else "mean") if hz == "period" else (f"an {hz[4:]}" if fr else f"year {hz[4:]}")
        has_base = names[0] in rows.index
        cells = [fmt_value(rows.loc[names[0], "mean"], unit, lang) if has_base else "–"]
        for n in names[1:]:
            if n not in rows.index:
                cells.append("–")
                continue
            r = rows.loc[n]
            cells.append(fmt_diff(r["diff"], r["diff_lo"], r["diff_hi"], unit, lang) if has_base else
                         fmt_value(r["mean"], unit, lang) + (" (niveau)" if fr else " (level)"))
        t.add_row(f"{SERIES_LABELS[lang][key]} ({hz_word})", *cells)
    console.print(t)


def _validate(files: list[str]) -> int:
    """Every problem of every file, one line each; warnings do not fail the file."""
    from .checks import scenario_warnings
    from .rundir import printable
    from .scenario import ScenarioError, load_scenario

    failed = 0
    for f in files:
        try:
            sc = load_scenario(f)
        except ScenarioError as e:
            for problem in e.problems:
                print(f"{tr('ERREUR', 'ERROR')} {printable(problem, 2000)}", file=sys.stderr)
            failed += 1
            continue
        warnings = scenario_warnings(sc)
        t = sc.territory
        n_res = sum(len(n.residences) for n in t.neighbourhoods)
        n_nb, n_w = len(t.neighbourhoods), len(sc.works)
        f = printable(f)
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


def _app(host: str, port: int, preset: str | None, open_browser: bool) -> int:
    """Serve the web view until interrupted; a bad preset or a busy port is a one-line error."""
    import socket

    from .app import serve
    from .app.presets import BY_KEY

    if preset is not None:
        preset = preset.removesuffix(".yaml")
        if preset not in BY_KEY:
            raise UserError(tr(f"--preset {preset} : ce n'est pas un préréglage ; choisir parmi {', '.join(BY_KEY)}",
                               f"--preset {preset}: not a preset; use one of {', '.join(BY_KEY)}"))
    try:
        with socket.create_server((host, port)):
            pass
    except OSError as e:
        raise UserError(tr(f"--host {host} --port {port} : impossible d'écouter là ({e.strerror or e}) ; "
                           "choisir un autre port avec --port",
                           f"--host {host} --port {port}: cannot listen there ({e.strerror or e}); "
                           "choose another port with --port")) from None
    print(tr(f"Vue en direct : http://{host}:{port}  (Ctrl+C pour arrêter)",
             f"Live view: http://{host}:{port}  (Ctrl+C to stop)"))
    return serve(host, port, open_browser, preset)


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
            return _run(args.scenario, args.seed, args.years, args.out, args.quiet, parse_sets(args.sets),
                        args.force, csv=args.format == "csv")
        if args.command == "demo":
            return _compare([str(builtin("baseline")), str(builtin("renewal_strategy"))], DEMO_SEEDS,
                            None, None, None, args.out, args.quiet)
        if args.command == "validate":
            return _validate(args.files)
        if args.command == "compare":
            return _compare(args.scenarios, args.seeds, args.years, args.workers, args.scheduler,
                            args.out, args.quiet, parse_sets(args.sets))
        if args.command == "calibrate":
            return _calibrate(args.config, args.workers, args.scheduler, args.out, args.quiet)
        if args.command == "sensitivity":
            return _sensitivity(args.config, args.workers, args.scheduler, args.out, args.quiet)
        if args.command == "territory":
            from .rpls.command import from_rpls
            return from_rpls(args, UserError)
        if args.command == "app":
            return _app(args.host, args.port, args.preset, not args.no_browser)
    except (ScenarioError, UserError) as e:
        _fail(str(e))
    except KeyboardInterrupt:
        _fail(tr("interrompu", "interrupted"), 130)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
