"""Command line: `peuplement run|demo|validate|compare`.

    peuplement run SCENARIO [--seed N] [--years N] [--out DIR] [--quiet]
    peuplement demo [--out DIR] [--quiet]
    peuplement validate FILE...
    peuplement compare BASELINE VARIANT... [--seeds N] [--years N] [--workers N]
                       [--scheduler ADDRESS] [--out DIR] [--lang fr|en]
    peuplement territory from-rpls FILE.csv --epci CODE [--out NAME.yaml]

User errors (bad scenario, missing file, unwritable --out, bad option value) print one line
`peuplement: error: <message>` on stderr and exit with status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import sys
import time
from pathlib import Path

from . import __version__, find_scenario
from .scenario import ScenarioError, builtin, load_scenario

PROG = "peuplement"
DEMO_SEEDS = 4          # the demo's ensemble: enough for a band, under a minute on two cores


class UserError(Exception):
    """A problem the user can fix; reported as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (no usage dump) and exit status 2."""

    def error(self, message: str):
        _fail(message)


def _fail(message: str, status: int = 2):
    print(f"{PROG}: error: {message}", file=sys.stderr)
    raise SystemExit(status)


def _int_at_least(low: int):
    def parse(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a whole number, not '{text}'") from None
        if v < low:
            raise argparse.ArgumentTypeError(f"must be at least {low}, not {v}")
        return v
    return parse


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog=PROG, description="Simulation des trajectoires résidentielles dans le parc social.")
    p.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    r = sub.add_parser("run", help="run a scenario and write its outputs")
    r.add_argument("scenario", metavar="SCENARIO", help="scenario file, or name of a built-in scenario")
    r.add_argument("--seed", type=_int_at_least(0), help="master seed (overrides run.seed)")
    r.add_argument("--years", type=_int_at_least(1), help="horizon in years (overrides run.years)")
    r.add_argument("--out", metavar="DIR", help="output folder (default outputs/<name>-seed<N>-<date>)")
    r.add_argument("--quiet", action="store_true",
                   help="no progress bar nor summary table (the output folder is still printed)")

    d = sub.add_parser("demo", help="compare the stylised town's baseline with the combined renewal "
                       "strategy over a few seeds and write the report")
    d.add_argument("--out", metavar="DIR", help="output folder (default outputs/<name>-seed<N>-<date>)")
    d.add_argument("--quiet", action="store_true", help="no progress bar nor summary table")

    c = sub.add_parser("compare", help="run a baseline and variants over several seeds (on Dask), "
                       "print each variant's effect with a 90 %% confidence interval and write a report")
    c.add_argument("scenarios", metavar="SCENARIO", nargs="+",
                   help="the baseline first, then the variants (files or built-in names)")
    c.add_argument("--seeds", type=_int_at_least(1), default=5, help="number of seeds (1..N), default 5")
    c.add_argument("--years", type=_int_at_least(1), help="horizon in years (overrides run.years)")
    c.add_argument("--workers", type=_int_at_least(1),
                   help="worker processes of the local Dask cluster (default: one per core; 1: run here)")
    c.add_argument("--scheduler", metavar="ADDRESS",
                   help="an existing Dask scheduler, e.g. tcp://10.0.0.5:8786, instead of a local cluster")
    c.add_argument("--out", metavar="DIR", help="output folder (default outputs/compare-<names>-<N>graines); "
                   "rerunning the same command into it resumes and skips finished runs")
    c.add_argument("--lang", choices=("fr", "en"), default="fr", help="language of the report (default fr)")
    c.add_argument("--quiet", action="store_true", help="no progress bar nor table")

    v = sub.add_parser("validate", help="check scenario files without running them")
    v.add_argument("files", metavar="FILE", nargs="+")

    t = sub.add_parser("territory", help="build a territory from open data (see docs/rpls.md)")
    tsub = t.add_subparsers(dest="source", metavar="SOURCE", parser_class=_Parser)
    tsub.required = True
    tr = tsub.add_parser("from-rpls", help="a scenario file from an EPCI's dwellings in an RPLS file")
    tr.add_argument("file", metavar="FILE", help="RPLS dwelling-level file (.csv or .zip)")
    tr.add_argument("--epci", required=True, help="SIREN code of the EPCI (9 digits)")
    tr.add_argument("--out", metavar="FILE", help="scenario file to write (default rpls-<EPCI>.yaml)")
    tr.add_argument("--name", help="territory name (default 'EPCI <code>')")
    tr.add_argument("--renewal-qpv", action="append", default=[], metavar="CODE",
                    help="QPV code of an urban renewal (NPNRU) site; repeat for several")
    tr.add_argument("--financing", action="append", default=[], metavar="CODE=TYPE",
                    help="map an RPLS financing code to PLAI, PLUS, PLS or PLI; repeat for several")
    tr.add_argument("--min-residence", type=_int_at_least(1), default=5, metavar="N",
                    help="addresses with fewer dwellings are pooled per neighbourhood (default 5)")
    return p


# ------------------------------------------------------------------------------------ helpers
def _prepare_out(out: str | None, name: str, seed: int) -> Path:
    """The output folder, created and checked writable before the run starts."""
    if out is None:
        stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name) or "scenario"
        path = Path("outputs") / f"{safe}-seed{seed}-{stamp}"
    else:
        path = Path(out)
    if path.exists() and not path.is_dir():
        raise UserError(f"--out {path}: exists and is not a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".peuplement-write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as e:
        raise UserError(f"cannot write to output folder {path}: {e.strerror or e}") from None
    return path


def _run(scenario: str | Path, seed: int | None, years: int | None, out: str | None, quiet: bool) -> int:
    from rich.console import Console

    console = Console()
    path = find_scenario(scenario)
    run = {k: v for k, v in (("seed", seed), ("years", years)) if v is not None}
    sc = load_scenario(path, {"run": run} if run else None)
    out_dir = _prepare_out(out, sc.name, sc.run.seed)

    from .model import HousingModel
    from .outputs import summary, write_run

    timings = {}
    t = time.perf_counter()
    model = HousingModel(sc)
    timings["build"] = time.perf_counter() - t
    months = sc.run.years * 12 - model.month

    t = time.perf_counter()
    if not quiet and console.is_terminal:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TextColumn("mois"), TimeElapsedColumn(), console=console, transient=True) as bar:
            task = bar.add_task(f"{sc.name} (graine {model.seed})", total=months)
            model.run(progress=lambda month: bar.update(task, completed=month))
    else:
        if not quiet:
            console.print(f"Simulation de « {sc.name} » (graine {model.seed}, {sc.run.years} ans)…")
        model.run()
    timings["run"] = time.perf_counter() - t

    indicators = model.indicators()
    try:
        write_run(model, out_dir, timings, str(path), indicators=indicators)
    except OSError as e:
        raise UserError(f"cannot write outputs to {out_dir}: {e.strerror or e}") from None

    if not quiet:
        from rich.table import Table

        table = Table(title=f"Résumé — {sc.name} (graine {model.seed}, {sc.run.start_year}–"
                            f"{sc.run.start_year + sc.run.years - 1})", title_justify="left")
        table.add_column("Indicateur")
        table.add_column("Valeur", justify="right")
        for k, v in summary(model, indicators):
            table.add_row(k, v)
        console.print(table)
        console.print(f"Temps : construction {timings['build']:.1f} s, simulation {timings['run']:.1f} s")
    print(f"Résultats écrits dans {out_dir}")
    return 0


def _compare(scenarios: list[str], seeds: int, years: int | None, workers: int | None,
             scheduler: str | None, out: str | None, lang: str = "fr", quiet: bool = False) -> int:
    from rich.console import Console

    from .compare import ComparisonError, run_comparison

    if len(scenarios) < 2:
        raise UserError("compare needs a baseline and at least one variant")
    paths = [find_scenario(s) for s in scenarios]
    console = Console()
    out_path = Path(out) if out else None
    try:
        res, summary, report = run_comparison(paths, seeds, years=years, workers=workers,
                                              scheduler=scheduler, out=out_path, lang=lang,
                                              progress=not quiet and console.is_terminal)
    except ComparisonError as e:
        raise UserError(str(e)) from None
    except KeyboardInterrupt:
        where = out_path or "le dossier de sortie"
        _fail(f"interrompu ; les simulations terminées sont gardées dans {where} : relancez la même "
              "commande pour reprendre", 130)
    fr = lang == "fr"
    console.print((f"{res.ran} simulation(s) faite(s), {res.reused} reprise(s) d'un calcul précédent"
                   if fr else f"{res.ran} run(s) done, {res.reused} reused from an earlier call")
                  + f" ({res.seconds:.0f} s)")
    for f in res.failures:
        console.print(f"[red]{'échec' if fr else 'failed'} : {f.scenario}, "
                      f"{'graine' if fr else 'seed'} {f.seed} : {f.error}[/red]", highlight=False)
    if summary is not None and not quiet:
        _print_effects(console, summary, [s for s in dict.fromkeys(summary["scenario"])], seeds, lang)
    if report is not None:
        print(("Rapport écrit dans " if fr else "Report written to ") + str(report))
    return 1 if res.failures else 0


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


def _fmt(v, sign=False) -> str:
    import math
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    if abs(v) >= 100:
        return f"{v:+,.0f}" if sign else f"{v:,.0f}"
    return f"{v:+.3f}" if sign else f"{v:.3f}"


def _validate(files: list[str]) -> int:
    failed = 0
    for f in files:
        try:
            sc = load_scenario(find_scenario(f))
        except ScenarioError as e:
            print(f"ERROR {e}", file=sys.stderr)
            failed += 1
            continue
        t = sc.territory
        n_res = sum(len(n.residences) for n in t.neighbourhoods)
        print(f"OK {f}: {sc.name}, {len(t.neighbourhoods)} neighbourhoods, {n_res} residences, "
              f"{len(sc.works)} works")
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `peuplement` console script; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        if args.command == "run":
            return _run(args.scenario, args.seed, args.years, args.out, args.quiet)
        if args.command == "demo":
            return _compare([str(builtin("baseline")), str(builtin("renewal_strategy"))], DEMO_SEEDS,
                            None, None, None, args.out, "fr", args.quiet)
        if args.command == "validate":
            return _validate(args.files)
        if args.command == "compare":
            return _compare(args.scenarios, args.seeds, args.years, args.workers, args.scheduler,
                            args.out, args.lang, args.quiet)
        if args.command == "territory":
            from .rpls.command import from_rpls
            return from_rpls(args, UserError)
    except (ScenarioError, UserError) as e:
        _fail(str(e))
    except KeyboardInterrupt:
        _fail("interrupted", 130)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
