"""Command line: `peuplement run|demo|validate`.

    peuplement run SCENARIO [--seed N] [--years N] [--out DIR] [--quiet]
    peuplement demo [--out DIR] [--quiet]
    peuplement validate FILE...
    peuplement compare BASELINE VARIANT... [--seeds N] [--years N] [--from-year Y] [--out FILE]
    peuplement app [--host H] [--port N] [--preset NAME] [--no-browser]

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

    d = sub.add_parser("demo", help="run the built-in baseline scenario")
    d.add_argument("--out", metavar="DIR", help="output folder (default outputs/<name>-seed<N>-<date>)")
    d.add_argument("--quiet", action="store_true", help="no progress bar nor summary table")

    c = sub.add_parser("compare", help="run a baseline and variants over several seeds and print "
                       "each variant's effect with a 90 % band")
    c.add_argument("scenarios", metavar="SCENARIO", nargs="+",
                   help="the baseline first, then the variants (files or built-in names)")
    c.add_argument("--seeds", type=_int_at_least(1), default=5, help="number of seeds (1..N), default 5")
    c.add_argument("--years", type=_int_at_least(1), help="horizon in years (overrides run.years)")
    c.add_argument("--from-year", type=_int_at_least(1900), dest="from_year",
                   help="average yearly figures from this year on (default: all years)")
    c.add_argument("--workers", type=_int_at_least(1), help="processes (default: one per core)")
    c.add_argument("--out", metavar="FILE", help="also write the long table (scenario, seed, metric, "
                   "value) to this CSV file")

    v = sub.add_parser("validate", help="check scenario files without running them")
    v.add_argument("files", metavar="FILE", nargs="+")

    a = sub.add_parser("app", help="open the live web view (presets, the town, charts, commission replay)")
    a.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this "
                   "machine only; 0.0.0.0 shares it on the room's network)")
    a.add_argument("--port", type=_int_at_least(1), default=8765, help="port (default 8765)")
    a.add_argument("--preset", help="preset shown first: a scenario name of scenarios/ (default baseline)")
    a.add_argument("--no-browser", action="store_true", dest="no_browser", help="do not open a browser")
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


def _compare(scenarios: list[str], seeds: int, years: int | None, from_year: int | None,
             workers: int | None, out: str | None) -> int:
    from rich.console import Console
    from rich.table import Table

    from .compare import HEADLINES, compare, effects

    if len(scenarios) < 2:
        raise UserError("compare needs a baseline and at least one variant")
    paths = [find_scenario(s) for s in scenarios]
    names = [load_scenario(p).name for p in paths]   # validates every file before running anything
    if len(set(names)) < len(names):
        raise UserError("two scenarios have the same name; give each variant its own name: field")
    console = Console()
    if out is not None:
        _prepare_out(str(Path(out).parent or "."), "compare", 0)
    console.print(f"{len(paths)} scénarios x {seeds} graines…")
    table = compare(paths, list(range(1, seeds + 1)), years=years, from_year=from_year, workers=workers)
    if out is not None:
        table.to_csv(out, index=False)
    eff = effects(table, names[0])
    t = Table(title=f"Effets par rapport à « {names[0]} » (moyenne sur {seeds} graines, "
                    "bande à 90 % des écarts appariés)", title_justify="left")
    t.add_column("Indicateur")
    t.add_column(names[0], justify="right")
    for n in names[1:]:
        t.add_column(n, justify="right")
    for metric, label in HEADLINES.items():
        rows = eff[eff["metric"] == metric].set_index("scenario")
        if rows.empty:
            continue
        cells = [_fmt(rows.loc[names[0], "mean"])]
        for n in names[1:]:
            r = rows.loc[n]
            if r["effect"] != r["effect"]:      # no baseline value (e.g. no rehousing): show the level
                cells.append(f"{_fmt(r['mean'])} (niveau)")
                continue
            cells.append(f"{_fmt(r['effect'], sign=True)} [{_fmt(r['effect_p05'], sign=True)} ; "
                         f"{_fmt(r['effect_p95'], sign=True)}]")
        t.add_row(label, *cells)
    console.print(t)
    if out is not None:
        print(f"Table écrite dans {out}")
    return 0


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


def _app(host: str, port: int, preset: str | None, open_browser: bool) -> int:
    from .app import serve
    from .app.presets import BY_KEY

    if preset is not None:
        preset = preset.removesuffix(".yaml")
        if preset not in BY_KEY:
            raise UserError(f"--preset {preset}: not a preset; use one of {', '.join(BY_KEY)}")
    import socket

    try:
        with socket.create_server((host, port)):
            pass
    except OSError as e:
        raise UserError(f"--host {host} --port {port}: cannot listen there ({e.strerror or e}); "
                        "choose another port with --port") from None
    print(f"Vue en direct : http://{host}:{port}  (Ctrl+C pour arrêter)")
    return serve(host, port, open_browser, preset)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `peuplement` console script; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        if args.command == "run":
            return _run(args.scenario, args.seed, args.years, args.out, args.quiet)
        if args.command == "demo":
            return _run(builtin("baseline"), None, None, args.out, args.quiet)
        if args.command == "validate":
            return _validate(args.files)
        if args.command == "compare":
            return _compare(args.scenarios, args.seeds, args.years, args.from_year, args.workers, args.out)
        if args.command == "app":
            return _app(args.host, args.port, args.preset, not args.no_browser)
    except (ScenarioError, UserError) as e:
        _fail(str(e))
    except KeyboardInterrupt:
        _fail("interrupted", 130)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
