"""Comparing scenarios over several seeds: the headline effects of a lever against a baseline, with
the spread across seeds. Runs go to worker processes (one per core by default)."""

from __future__ import annotations

import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from . import events as ev
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


def _one(args):
    path, seed, years, from_year = args
    overrides = {"run": {"seed": seed}}
    if years:
        overrides["run"]["years"] = years
    sc = load_scenario(path, overrides)
    m = HousingModel(sc)
    m.run()
    return sc.name, seed, metrics(m, from_year)


def compare(paths: list[str | Path], seeds: list[int], years: int | None = None,
            from_year: int | None = None, workers: int | None = None) -> pd.DataFrame:
    """Headline metrics for each scenario and seed (long table: scenario, seed, metric, value)."""
    jobs = [(str(p), s, years, from_year) for p in paths for s in seeds]
    workers = workers or min(len(jobs), os.cpu_count() or 1)
    if workers > 1:
        # fork is the cheapest and works from any script; a multi-threaded parent (a test runner,
        # some notebooks) must not fork, so it goes through a fork server
        method = "forkserver" if threading.active_count() > 1 else "fork"
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(method)) as ex:
            results = list(ex.map(_one, jobs))
    else:
        results = [_one(j) for j in jobs]
    rows = [(name, seed, k, v) for name, seed, mets in results for k, v in mets.items()]
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
