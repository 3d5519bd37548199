"""Comparing scenarios over several seeds: the headline metrics of each run, and the comparison a
policy team runs from the command line (ensemble on Dask, tables, French report).

`compare()` is the light Python API (a table of headline metrics per scenario and seed);
`run_comparison()` is what `peuplement compare` and `peuplement demo` do: every run written under
an output folder that a second call resumes, a summary per indicator and horizon with paired
differences, and the HTML report."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .fmt import tr
from .rundir import prepare_resumable
from .model import HousingModel
from .scenario import load_scenario

# headline metrics: name -> French label
HEADLINES = {
    "q1_share_tenants_qpv_end": "Part Q1 des locataires en QPV (fin)",
    "q1_share_tenants_outside_qpv_end": "Part Q1 des locataires hors QPV (fin)",
    "q1_share_tenants_site_end": "Part Q1 des locataires du site en renouvellement (fin)",
    "q1_share_tenants_qpv_mean": "Part Q1 des locataires en QPV (moyenne de la période)",
    "q1_share_tenants_outside_qpv_mean": "Part Q1 des locataires hors QPV (moyenne de la période)",
    "q1_share_tenants_site_mean": "Part Q1 des locataires du site (moyenne de la période)",
    "q1_share_allocations_outside_qpv": "Attributions hors QPV aux Q1 ou relogés (moyenne annuelle)",
    "q2q4_share_allocations_in_qpv": "Attributions en QPV aux Q2-Q4 (moyenne annuelle)",
    "q1_share_allocations_qpv": "Part Q1 des attributions en QPV",
    "priority_share_allocations": "Part des ménages prioritaires dans les attributions",
    "refusal_rate": "Taux de refus des propositions",
    "refusal_rate_qpv": "Taux de refus des propositions en QPV",
    "wait_months_median": "Délai d'attente médian (mois)",
    "turnover_rate": "Taux de rotation",
    "vacancy_rate_end": "Taux de vacance (fin)",
    "rent_revenue_end": "Loyers quittancés mensuels (fin, EUR)",
    "rehoused": "Ménages relogés",
    "rehoused_outside_qpv_share": "Relogés hors QPV",
    "rehoused_new_dwelling_share": "Relogés dans le neuf ou récent",
    "rehoused_other_landlord_share": "Relogés chez un autre bailleur",
    "demolition_slippage_months": "Retard de démolition le plus long (mois)",
    "to_rehouse_q34_left_share": "Ménages Q3-Q4 à reloger partis du parc",
    "to_rehouse_q1_left_share": "Ménages Q1 à reloger partis du parc",
}


def metrics(model: HousingModel, from_year: int | None = None) -> dict[str, float]:
    """Headline figures of one finished run; yearly figures averaged from `from_year` on."""
    df = model.indicators()
    end = model.month
    mo = df[(df["period"] == "month") & (df["month"] == end)]
    yr = df[df["period"] == "year"]
    if from_year is not None:
        yr = yr[yr["year"] >= from_year]

    def at(frame, ind, scale, area=None):
        s = frame[(frame["indicator"] == ind) & (frame["scale"] == scale)]
        if area is not None:
            s = s[s["area"].isin(area if isinstance(area, list) else [area])]
        return float(s["value"].mean()) if len(s) else float("nan")

    terr = model.territory
    site = [n for n, r in zip(terr.nb_names, terr.nb_renewal) if r]
    out = {
        "q1_share_tenants_qpv_end": at(mo, "q1_share_tenants", "qpv"),
        "q1_share_tenants_outside_qpv_end": at(mo, "q1_share_tenants", "outside_qpv"),
        "q1_share_tenants_site_end": at(mo, "q1_share_tenants", "neighbourhood", site),
        "q1_share_allocations_outside_qpv": at(yr, "q1_share_allocations_outside_qpv", "territory"),
        "q2q4_share_allocations_in_qpv": at(yr, "q2q4_share_allocations_in_qpv", "territory"),
        "q1_share_allocations_qpv": at(yr, "q1_share_allocations", "qpv"),
        "priority_share_allocations": at(yr, "priority_share_allocations", "territory"),
        "refusal_rate": at(yr, "refusal_rate", "territory"),
        "wait_months_median": at(yr, "wait_months_median", "territory"),
        "turnover_rate": at(yr, "turnover_rate", "territory"),
        "vacancy_rate_end": at(mo, "vacancy_rate", "territory"),
        "rent_revenue_end": at(mo, "rent_revenue", "territory"),
    }
    # the same shares averaged over every month from `from_year` on: less noisy than one month
    mm = df[(df["period"] == "month")]
    if from_year is not None:
        mm = mm[mm["year"] >= from_year]
    out["q1_share_tenants_qpv_mean"] = at(mm, "q1_share_tenants", "qpv")
    out["q1_share_tenants_outside_qpv_mean"] = at(mm, "q1_share_tenants", "outside_qpv")
    out["q1_share_tenants_site_mean"] = at(mm, "q1_share_tenants", "neighbourhood", site)
    offers = model.offers()
    if from_year is not None and len(offers):
        offers = offers[offers["month"] > (from_year - model.sc.run.start_year) * 12]
    if len(offers):
        in_qpv = terr.nb_qpv[model.dwellings.nbhd[offers["dwelling"].to_numpy()]]
        acc = offers["accepted"].to_numpy(bool)
        out["refusal_rate_qpv"] = float(1 - acc[in_qpv].mean()) if in_qpv.any() else float("nan")
    L = model.rehousing.log
    out["rehoused"] = float(len(L["household"]))
    out["rehoused_outside_qpv_share"] = float(np.mean(L["outside_qpv"])) if L["household"] else float("nan")
    out["rehoused_new_dwelling_share"] = float(np.mean(L["new_dwelling"])) if L["household"] else float("nan")
    out["rehoused_other_landlord_share"] = float(np.mean(L["other_landlord"])) if L["household"] else float("nan")
    slip = [s["slippage_months"] for s in model.works.slippage()]
    out["demolition_slippage_months"] = float(max(slip)) if slip else float("nan")
    out.update(_rehousing_fates(model))
    return out


def _rehousing_fates(model) -> dict[str, float]:
    """Of the households flagged to be rehoused, the share who left social housing instead of
    being rehoused, by income quartile when flagged (in a relaxed market the solvent leave)."""
    e = model.events()
    flagged = e[e["event"] == "to_rehouse"]
    if flagged.empty:
        return {"to_rehouse_q34_left_share": float("nan"), "to_rehouse_q1_left_share": float("nan")}
    h = flagged["household"].to_numpy()
    q = np.array([model.rehousing.flag_quartile[int(x)] for x in h])
    # left instead of being rehoused: an exit (or forced exit) and no rehousing
    rehoused = set(e[e["event"] == "rehoused"]["household"])
    left = set(e[(e["event"].isin(["exit", "forced_exit"])) & e["household"].isin(h)]["household"])
    gone = np.array([x in left and x not in rehoused for x in h])
    res = {}
    for name, sel in (("to_rehouse_q34_left_share", q >= 2), ("to_rehouse_q1_left_share", q == 0)):
        res[name] = float(gone[sel].mean()) if sel.any() else float("nan")
    return res


def _metrics_runner(spec, root, from_year=None) -> dict:
    """Run one spec and return its headline metrics (no folder written)."""
    from .schema import Scenario

    m = HousingModel(Scenario.model_validate(spec.raw))
    m.run()
    return {"key": spec.key, "scenario": spec.scenario, "seed": spec.seed,
            "metrics": metrics(m, from_year)}


def compare(paths: list[str | Path], seeds: list[int], years: int | None = None,
            from_year: int | None = None, workers: int | None = None,
            scheduler: str | None = None) -> pd.DataFrame:
    """Headline metrics for each scenario and seed (long table: scenario, seed, metric, value).

    Runs go to Dask (`simulation.ensemble`): a local cluster of `workers` processes (one per core by
    default), an existing scheduler, or this process when `workers == 1`. Failed runs raise."""
    import functools
    import tempfile

    from .ensemble import make_specs, run_ensemble

    specs = make_specs([load_scenario(p) for p in paths], list(seeds), years)
    with tempfile.TemporaryDirectory(prefix="peuplement-compare-") as tmp:
        res = run_ensemble(specs, tmp, workers=workers, scheduler=scheduler,
                           runner=functools.partial(_metrics_runner, from_year=from_year))
    if res.failures:
        f = res.failures[0]
        raise RuntimeError(tr(f"{len(res.failures)} simulation(s) en échec, la première : {f.scenario} graine "
                                f"{f.seed} : {f.error}",
                                f"{len(res.failures)} run(s) failed, first: {f.scenario} seed {f.seed}: {f.error}"))
    rows = [(r["scenario"], r["seed"], k, v) for s in specs for r in [res.results[s.key]]
            for k, v in r["metrics"].items()]
    return pd.DataFrame(rows, columns=["scenario", "seed", "metric", "value"])


def effects(table: pd.DataFrame, baseline: str) -> pd.DataFrame:
    """Mean over seeds per scenario, and each variant's difference to the baseline with a 90 % band
    of the paired differences (same seeds)."""
    wide = table.pivot_table(index=["metric", "seed"], columns="scenario", values="value")
    rows = []
    for metric in wide.index.get_level_values(0).unique():
        w = wide.loc[metric]
        for sc in w.columns:
            d = (w[sc] - w[baseline]).dropna()
            rows.append({"metric": metric, "scenario": sc, "mean": w[sc].mean(),
                         "effect": d.mean() if sc != baseline else 0.0,
                         "effect_p05": d.quantile(0.05) if sc != baseline and len(d) else np.nan,
                         "effect_p95": d.quantile(0.95) if sc != baseline and len(d) else np.nan})
    return pd.DataFrame(rows)


# ------------------------------------------------------------------- the command-line comparison
MARKER = "ensemble.json"


class ComparisonError(Exception):
    """A user-fixable problem with a comparison (one line)."""


def default_out(names: list[str], seeds: int, years: int | None) -> Path:
    """A folder name fixed by the comparison's inputs, so that rerunning the same command resumes."""
    safe = ["".join(c if c.isalnum() or c in "-_." else "_" for c in n) for n in names]
    stem = f"compare-{safe[0]}-vs-{'-'.join(safe[1:])}"[:120]
    return Path("outputs") / (f"{stem}-{seeds}graines" + (f"-{years}ans" if years else ""))


def prepare_out(out: Path) -> None:
    """An output folder is new, empty, or an earlier comparison (which is then resumed)."""
    prepare_resumable(out, MARKER, ("une comparaison antérieure", "an earlier comparison"), ComparisonError)


def run_comparison(paths: list[Path], seeds: int, years: int | None = None, workers: int | None = None,
                   scheduler: str | None = None, out: Path | None = None, lang: str = "fr",
                   overrides: dict | None = None, progress: bool = False):
    """Run a baseline and variants over seeds 1..`seeds` into `out` (resuming finished runs), then
    write the summary tables and the report. Returns (EnsembleResult, summary table, report path)."""
    import json
    import os

    from .ensemble import make_specs, run_ensemble
    from .report import build_report

    scenarios = [load_scenario(p, overrides) for p in paths]      # validates every file first
    names = [sc.name for sc in scenarios]
    if len(set(names)) < len(names):
        raise ComparisonError(tr("deux scénarios portent le même nom ; donnez à chaque variante son propre "
                                 "champ name:",
                                 "two scenarios have the same name; give each variant its own name: field"))
    out = Path(out) if out is not None else default_out(names, seeds, years)
    prepare_out(out)
    specs = make_specs(scenarios, list(range(1, seeds + 1)), years)
    marker = {"scenarios": names, "sources": [str(Path(p).resolve()) for p in paths],
              "seeds": seeds, "years": years, "runs": [s.key for s in specs]}
    tmp = out / f".{MARKER}.tmp"
    tmp.write_text(json.dumps(marker, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, out / MARKER)
    res = run_ensemble(specs, out, workers=workers, scheduler=scheduler, progress=progress,
                       label="Simulations" if lang == "fr" else "Runs")
    report = build_report(out, specs, sources=dict(zip(names, paths)), lang=lang, failures=res.failures) \
        if res.finished else None
    summary = None
    if report is not None:
        summary = pd.read_csv(report.parent / "tables" / "summary.csv", sep=";", decimal=",",
                              encoding="utf-8-sig")
    return res, summary, report
