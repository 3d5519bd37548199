"""Summary statistics of a finished run, the model side of calibration targets.

`statistics(model, last_years)` turns one run into a flat dict of named numbers, each averaged over
the last `last_years` calendar years of the run (the first years after the spin-up are the most
exposed to the initial draw). Every name a target file may use is a key of `STATISTICS`, with what
it measures and the national figure it is meant to be compared with; docs/calibration.md lists them.

Yearly indicators are read from the tidy indicator table (`model.indicators()`); monthly stocks are
averaged over the months of those years; the mean wait and the DALO share, which the table does not
hold, are read from the allocation log.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

# name -> (French description, English description). The order is the order of tables.
STATISTICS: dict[str, tuple[str, str]] = {
    "turnover_rate": (
        "taux de rotation : attributions (mutations comprises) de l'année / logements occupés "
        "(le « taux de mobilité » de RPLS)",
        "turnover: allocations of the year (transfers included) / occupied dwellings (RPLS 'taux de "
        "mobilité')"),
    "exit_rate": (
        "taux de sortie du parc social : ménages locataires sortis dans l'année (départ ou décès) / "
        "logements occupés",
        "exit rate: tenant households leaving social housing in the year (moving out or death) / "
        "occupied dwellings"),
    "applications_per_allocation": (
        "demandes en attente (externes et mutations) par attribution annuelle, au 31 décembre",
        "pending applications (external and transfer) per yearly allocation, on 31 December"),
    "transfer_share_allocations": (
        "part des mutations (locataires HLM relogés dans le parc) dans les attributions",
        "share of transfers (social tenants moving within the stock) among allocations"),
    "transfer_share_applications": (
        "part des demandes de mutation dans les demandes en attente (moyenne des mois)",
        "share of transfer requests among pending applications (mean over months)"),
    "refusal_rate": (
        "part des propositions refusées par les candidats",
        "share of offers refused by candidates"),
    "q1_share_allocations_outside_qpv": (
        "part des attributions hors QPV faites à des demandeurs du 1er quartile (objectif légal 25 %)",
        "share of allocations outside QPV made to first-quartile applicants (legal objective 25 %)"),
    "q2q4_share_allocations_in_qpv": (
        "part des attributions en QPV faites à des demandeurs des quartiles 2 à 4 (objectif légal 50 %)",
        "share of allocations in QPV made to applicants of quartiles 2-4 (legal objective 50 %)"),
    "priority_share_allocations": (
        "part des attributions aux ménages prioritaires (objectif légal 25 %)",
        "share of allocations to priority households (legal objective 25 %)"),
    "wait_months_mean": (
        "ancienneté moyenne de la demande des ménages logés dans l'année (mois ; externes et mutations, "
        "hors relogements)",
        "mean wait of the households housed in the year (months; external and transfers, not renewal "
        "rehousing)"),
    "dalo_share_allocations": (
        "part des attributions aux ménages reconnus prioritaires DALO",
        "share of allocations to households with a recognised right to housing (DALO)"),
    "wait_months_median": (
        "ancienneté médiane de la demande des ménages logés dans l'année (mois)",
        "median wait of the households housed in the year (months)"),
    "vacancy_rate": (
        "taux de vacance : logements vacants / logements proposables (moyenne des mois)",
        "vacancy rate: vacant dwellings / lettable dwellings (mean over months)"),
    "allocation_rate": (
        "part des demandes en attente au 31 décembre satisfaites dans l'année",
        "share of the applications pending on 31 December that are housed during the year"),
    "allocation_rate_q1_vs_q2": (
        "taux d'attribution du 1er quartile / taux d'attribution du 2e quartile",
        "allocation rate of the first quartile / allocation rate of the second quartile"),
    "q1_share_tenants_qpv": (
        "part des locataires du 1er quartile en QPV (moyenne des mois)",
        "share of first-quartile tenants in QPV (mean over months)"),
    "dissimilarity_q1": (
        "indice de dissimilarité du 1er quartile entre quartiers (moyenne des mois)",
        "dissimilarity index of the first quartile across neighbourhoods (mean over months)"),
}

# yearly territory indicators taken as they are (mean over the years)
_YEARLY = ("turnover_rate", "applications_per_allocation", "refusal_rate",
           "q1_share_allocations_outside_qpv", "q2q4_share_allocations_in_qpv",
           "priority_share_allocations", "wait_months_median", "allocation_rate")
# monthly indicators (scale, indicator) averaged over the months of those years
_MONTHLY = {"vacancy_rate": ("territory", "vacancy_rate"),
            "q1_share_tenants_qpv": ("qpv", "q1_share_tenants"),
            "dissimilarity_q1": ("neighbourhood", "dissimilarity_q1")}


def describe(name: str, lang: str | None = None) -> str:
    """What a statistic measures, in the user's language."""
    from ..fmt import tr

    fr, en = STATISTICS[name]
    return tr(fr, en, lang)


def _mean(s: pd.Series) -> float:
    v = pd.to_numeric(s, errors="coerce").to_numpy(float)
    v = v[np.isfinite(v)]
    return float(v.mean()) if v.size else math.nan


def from_table(ind: pd.DataFrame, last_years: int, alloc_log: dict | None = None) -> dict[str, float]:
    """The statistics from a run's tidy indicator table (and, for the mean wait and the DALO share, its
    allocation log: a mapping with `month`, `kind`, `dalo` and `wait_months` arrays; without it
    those two are NaN)."""
    years_all = sorted(ind.loc[ind["period"] == "year", "year"].unique())
    years = years_all[-int(last_years):] if last_years > 0 else years_all
    yr = ind[(ind["period"] == "year") & (ind["year"].isin(years))]
    terr = yr[yr["scale"] == "territory"]
    by = {k: g["value"] for k, g in terr.groupby("indicator")}
    out: dict[str, float] = {}
    nan = math.nan
    for name in _YEARLY:
        out[name] = _mean(by[name]) if name in by else nan

    def total(name: str) -> float:
        return float(pd.to_numeric(by[name], errors="coerce").sum()) if name in by else nan

    alloc, transfers, exits = total("allocations"), total("transfers"), total("exits")
    out["transfer_share_allocations"] = transfers / alloc if alloc else nan
    # occupied dwellings of each year = allocations / turnover rate (the table's own denominator)
    if "turnover_rate" in by and "allocations" in by:
        a = pd.to_numeric(by["allocations"], errors="coerce").to_numpy(float)
        t = pd.to_numeric(by["turnover_rate"], errors="coerce").to_numpy(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            occupied = np.nansum(np.where(t > 0, a / t, np.nan))
        out["exit_rate"] = exits / occupied if occupied > 0 else nan
    else:
        out["exit_rate"] = nan
    r = {k: _mean(by[k]) for k in ("allocation_rate_q1", "allocation_rate_q2") if k in by}
    q1, q2 = r.get("allocation_rate_q1", nan), r.get("allocation_rate_q2", nan)
    out["allocation_rate_q1_vs_q2"] = q1 / q2 if q2 and np.isfinite(q2) else nan

    mo = ind[(ind["period"] == "month") & (ind["year"].isin(years)) & (ind["month"] > 0)]
    for name, (scale, indicator) in _MONTHLY.items():
        s = mo[(mo["scale"] == scale) & (mo["indicator"] == indicator)]["value"]
        out[name] = _mean(s)
    tm = mo[mo["scale"] == "territory"]
    pend = tm[tm["indicator"] == "pending_applications"].set_index("month")["value"]
    trans = tm[tm["indicator"] == "pending_transfer_requests"].set_index("month")["value"]
    both = pd.concat([trans, pend], axis=1, keys=["t", "p"]).dropna()
    both = both[both["p"] > 0]
    out["transfer_share_applications"] = float((both["t"] / both["p"]).mean()) if len(both) else nan

    out["wait_months_mean"] = out["dalo_share_allocations"] = nan
    if alloc_log is not None and years:
        month = np.asarray(alloc_log["month"])
        kind = np.asarray(alloc_log["kind"])
        wait = np.asarray(alloc_log["wait_months"], float)
        first_year = int(min(years))
        start_year = int(ind["year"].min())
        first_month = 12 * (first_year - start_year) + 1      # months are 1.. within the run
        sel = (month >= first_month) & (kind <= 1)
        out["wait_months_mean"] = float(wait[sel].mean()) if sel.any() else nan
        dalo = np.asarray(alloc_log["dalo"], bool)[month >= first_month]
        out["dalo_share_allocations"] = float(dalo.mean()) if dalo.size else nan
    return {k: out[k] for k in STATISTICS}


def statistics(model, last_years: int = 5) -> dict[str, float]:
    """Every statistic of `STATISTICS` for a finished model, averaged over its last `last_years`
    calendar years (all years if the run is shorter)."""
    return from_table(model.indicators(), last_years, model.allocator.alloc_log)


def simulate(raw: dict, seed: int, last_years: int) -> dict[str, float]:
    """Run one validated scenario mapping with a seed and return its statistics (what a Dask worker
    does for one particle and seed)."""
    from ..model import HousingModel
    from ..schema import Scenario

    sc = Scenario.model_validate(raw)
    sc = sc.model_copy(update={"run": sc.run.model_copy(update={"seed": int(seed)})})
    model = HousingModel(sc)
    model.run()
    return statistics(model, last_years)
