"""Ensemble results as tables: every run's yearly headline series, and per scenario, indicator and
horizon the mean, the 90 % band across seeds and the paired difference to the baseline with a
Student confidence interval.

Why Student: the runs of a variant and of the baseline share their seeds, so the per-seed differences
are paired; with the handful of seeds a policy team can afford, a normal interval is too narrow, while
Student's t with n-1 degrees of freedom stays honest (it widens quickly below 5 seeds, and there is no
interval at all with one seed). The band across seeds (5th-95th percentile of the run values) says how
much one run can vary; the interval says how sure we are of the mean effect.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .ensemble import MANIFEST, RunSpec, run_dir

HORIZONS = (5, 10, 20)          # years after the start; the period mean is added as "period"
CONFIDENCE = 0.90
FEW_SEEDS = 5                   # under this many seeds, summaries carry a warning


@dataclass(frozen=True)
class Series:
    """A headline series: one indicator at one scale (and area), yearly."""

    key: str
    indicator: str
    scale: str
    area: str | None = None      # None: the scale's only area; "site": the renewal-site neighbourhoods
    unit: str = "share"          # share | months | eur | index | count


SERIES: tuple[Series, ...] = (
    Series("q1_tenants_qpv", "q1_share_tenants", "qpv"),
    Series("q1_tenants_outside_qpv", "q1_share_tenants", "outside_qpv"),
    Series("q1_tenants_site", "q1_share_tenants", "neighbourhood", "site"),
    Series("q1_tenants_territory", "q1_share_tenants", "territory"),
    Series("legal_q1_outside_qpv", "q1_share_allocations_outside_qpv", "territory"),
    Series("legal_q2q4_in_qpv", "q2q4_share_allocations_in_qpv", "territory"),
    Series("legal_priority", "priority_share_allocations", "territory"),
    Series("dissimilarity_q1", "dissimilarity_q1", "neighbourhood", unit="index"),
    Series("theil_q1", "theil_q1", "neighbourhood", unit="index"),
    Series("wait_median", "wait_months_median", "territory", unit="months"),
    Series("wait_median_q1", "wait_months_median_q1", "territory", unit="months"),
    Series("wait_median_q2", "wait_months_median_q2", "territory", unit="months"),
    Series("wait_median_q3", "wait_months_median_q3", "territory", unit="months"),
    Series("wait_median_q4", "wait_months_median_q4", "territory", unit="months"),
    Series("wait_median_priority", "wait_months_median_priority", "territory", unit="months"),
    Series("rehoused_outside_qpv", "rehoused_outside_qpv_share", "territory"),
    Series("rehoused_new_dwelling", "rehoused_new_dwelling_share", "territory"),
    Series("rehoused_other_landlord", "rehoused_other_landlord_share", "territory"),
    Series("rehoused_cost_change", "rehoused_remaining_cost_change", "territory", unit="eur"),
    Series("rent_revenue", "rent_revenue", "territory", unit="eur"),
    Series("turnover", "turnover_rate", "territory"),
    Series("refusals", "refusal_rate", "territory"),
    Series("vacancy", "vacancy_rate", "territory"),
)
SERIES_BY_KEY = {s.key: s for s in SERIES}
HOLDER_INDICATORS = ("priority_share_allocations",)   # legal indicator (c) is per holder (CCH L441-1)


def run_info(root: Path, spec: RunSpec) -> dict:
    return json.loads((run_dir(root, spec) / MANIFEST).read_text(encoding="utf-8"))


_WANTED = {se.indicator for se in SERIES} | {"q1_share_tenants", *HOLDER_INDICATORS}


def _yearly(ind: pd.DataFrame) -> pd.DataFrame:
    """Yearly values of the report's indicators: yearly rows as they are, monthly rows averaged over
    the year's months (residence scale left out: too fine for a comparison)."""
    ind = ind[(ind["month"] >= 1) & (ind["scale"] != "residence") & ind["indicator"].isin(_WANTED)]
    yr = ind[ind["period"] == "year"][["year", "scale", "area", "indicator", "value"]]
    mo = ind[ind["period"] == "month"]
    mo = mo.groupby(["year", "scale", "area", "indicator"], observed=True, sort=True)["value"] \
        .mean().reset_index()
    out = pd.concat([yr, mo], ignore_index=True)
    for c in ("scale", "area", "indicator"):
        out[c] = out[c].astype(str)
    return out


def run_table(root: str | Path, specs: list[RunSpec]) -> pd.DataFrame:
    """Tidy table of every finished run: scenario, seed, year, series, scale, area, value."""
    root = Path(root)
    frames = []
    for s in specs:
        d = run_dir(root, s)
        if not (d / MANIFEST).is_file():
            continue
        info = run_info(root, s)
        site = [n["name"] for n in info.get("neighbourhoods", []) if n.get("renewal")]
        y = _yearly(pd.read_parquet(d / "indicators.parquet"))
        parts = []
        for se in SERIES:
            sel = y[(y["indicator"] == se.indicator) & (y["scale"] == se.scale)]
            if se.area == "site":
                sel = sel[sel["area"].isin(site)].groupby("year", as_index=False)["value"].mean()
                sel["area"] = " + ".join(site)
            if sel.empty:
                continue
            sel = sel[["year", "area", "value"]].copy()
            sel["series"], sel["indicator"], sel["scale"] = se.key, se.indicator, se.scale
            parts.append(sel)
        nb = y[(y["scale"] == "neighbourhood") & (y["indicator"] == "q1_share_tenants")]
        if len(nb):
            nb = nb[["year", "area", "value", "indicator", "scale"]].copy()
            nb["series"] = "neighbourhood:q1_share_tenants:" + nb["area"]
            parts.append(nb)
        h = y[(y["scale"] == "reservation_holder") & y["indicator"].isin(HOLDER_INDICATORS)]
        if len(h):
            h = h[["year", "area", "value", "indicator", "scale"]].copy()
            h["series"] = "holder:" + h["indicator"] + ":" + h["area"]
            parts.append(h)
        if not parts:
            continue
        t = pd.concat(parts, ignore_index=True)
        t.insert(0, "seed", s.seed)
        t.insert(0, "scenario", s.scenario)
        frames.append(t)
    cols = ["scenario", "seed", "year", "series", "indicator", "scale", "area", "value"]
    if not frames:
        return pd.DataFrame(columns=cols)
    out = pd.concat(frames, ignore_index=True)[cols]
    return out.sort_values(["scenario", "seed", "series", "year"], kind="stable").reset_index(drop=True)


def horizon_values(table: pd.DataFrame, start_year: int, years: int) -> pd.DataFrame:
    """One value per run, series and horizon: the value of year 5, 10, 20 (those within the horizon)
    and the mean over the whole period."""
    parts = []
    for h in HORIZONS:
        if h <= years:
            t = table[table["year"] == start_year + h - 1]
            parts.append(t.assign(horizon=f"year{h}"))
    per = table.groupby(["scenario", "seed", "series", "indicator", "scale", "area"], observed=True,
                        as_index=False)["value"].mean()
    parts.append(per.assign(horizon="period"))
    out = pd.concat(parts, ignore_index=True)
    return out[["scenario", "seed", "series", "indicator", "scale", "area", "horizon", "value"]]


def _t_quantile(q: float, df: np.ndarray) -> np.ndarray:
    """Student's t quantile (scipy.special, much lighter to import than scipy.stats)."""
    from scipy.special import stdtrit

    return stdtrit(np.asarray(df, float), q)


def student_interval(d: np.ndarray, confidence: float = CONFIDENCE) -> tuple[float, float, float]:
    """Mean of paired differences and its Student confidence interval (NaN bounds under 2 values)."""
    d = np.asarray(d, float)
    d = d[np.isfinite(d)]
    n = len(d)
    if n == 0:
        return math.nan, math.nan, math.nan
    m = float(d.mean())
    if n < 2:
        return m, math.nan, math.nan
    half = float(_t_quantile(0.5 + confidence / 2, n - 1) * d.std(ddof=1) / math.sqrt(n))
    return m, m - half, m + half


KEYS = ["series", "indicator", "scale", "area", "horizon"]


def summarise(values: pd.DataFrame, baseline: str, confidence: float = CONFIDENCE) -> pd.DataFrame:
    """Per scenario, series and horizon: n seeds, mean, 5-95 % band, and the paired difference to
    the baseline (mean and Student interval at `confidence`, NaN under two pairs)."""
    v = values[np.isfinite(values["value"].to_numpy(float))]
    g = v.groupby(["scenario", *KEYS], observed=True, sort=False)["value"]
    stats = pd.DataFrame({"n": g.count(), "mean": g.mean(), "p05": g.quantile(0.05),
                          "p95": g.quantile(0.95)}).reset_index()
    base = v[v["scenario"] == baseline].drop(columns="scenario").rename(columns={"value": "base"})
    paired = v.merge(base, on=["seed", *KEYS], how="inner")
    paired["d"] = paired["value"] - paired["base"]
    gd = paired.groupby(["scenario", *KEYS], observed=True, sort=False)["d"]
    diffs = pd.DataFrame({"n_pairs": gd.count(), "diff": gd.mean(), "sd": gd.std(ddof=1)}).reset_index()
    n = diffs["n_pairs"].to_numpy(float)
    half = np.full(len(diffs), np.nan)
    ok = n >= 2
    half[ok] = _t_quantile(0.5 + confidence / 2, n[ok] - 1) * diffs["sd"].to_numpy(float)[ok] / np.sqrt(n[ok])
    diffs["diff_lo"] = diffs["diff"] - half
    diffs["diff_hi"] = diffs["diff"] + half
    is_base = diffs["scenario"] == baseline
    diffs.loc[is_base, ["diff_lo", "diff_hi"]] = np.nan
    out = stats.merge(diffs.drop(columns="sd"), on=["scenario", *KEYS], how="left")
    out["n_pairs"] = out["n_pairs"].fillna(0).astype(int)
    order = {s: i for i, s in enumerate(values["scenario"].drop_duplicates())}
    out["_o"] = out["scenario"].map(order)
    cols = ["scenario", *KEYS, "n", "mean", "p05", "p95", "n_pairs", "diff", "diff_lo", "diff_hi"]
    return out.sort_values(["_o", "series", "horizon"], kind="stable")[cols].reset_index(drop=True)


def band_over_seeds(table: pd.DataFrame, series: str) -> pd.DataFrame:
    """Yearly mean and 5-95 % band across seeds of one series, per scenario (for figures)."""
    t = table[table["series"] == series]
    g = t.groupby(["scenario", "year"], sort=False)["value"]
    return pd.DataFrame({"mean": g.mean(), "p05": g.quantile(0.05), "p95": g.quantile(0.95)}) \
        .reset_index()
