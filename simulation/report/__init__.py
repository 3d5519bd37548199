"""The comparison report: one self-contained HTML file (figures embedded), in French by default,
that a policy team can hand to elected officials, with the same figures as PNG and the tables as
CSV files that French spreadsheet software opens as they are (`;`, decimal comma, UTF-8 with BOM).

Built from an ensemble folder (`simulation.ensemble`): every run's tables are read back, summarised
(`simulation.summary`) and rendered with a Jinja2 template. The report is written into a temporary
folder and renamed into place, so a report folder is complete or absent.
"""

from __future__ import annotations

import base64
import os
import shutil
import time
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

from ..ensemble import RunSpec, run_dir
from ..labels import LEGAL_OBJECTIVES
from ..outputs import write_parquet
from ..tables import write_csv_fr as french_csv
from ..summary import (FEW_SEEDS, HORIZONS, SERIES_BY_KEY, horizon_values, run_info, run_table,
                       summarise)
from . import figures as F
from .diff import differences, month_name
from .text import SERIES_LABELS, T, fmt_diff, fmt_value

TEMPLATE = "report.html.j2"


def _question(spec_raw: dict, source: Path | None, lang: str) -> str:
    """The question a variant answers: in French its `description:` (scenario files describe
    themselves in French), in English its file's opening '# Question:' comment."""
    if lang == "fr" and spec_raw.get("description"):
        return spec_raw["description"]
    if source is not None and Path(source).is_file():
        lines = []
        for line in Path(source).read_text(encoding="utf-8").splitlines():
            if not line.startswith("#"):
                break
            lines.append(line.lstrip("#").strip())
        text = " ".join(lines).strip()
        for lead in ("Question:", "Question :"):
            if text.startswith(lead):
                text = text[len(lead):].strip()
        if text:
            return text
    return spec_raw.get("description") or ""


def _img(path: Path | None) -> str | None:
    if path is None:
        return None
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _aggregate_transitions(root: Path, specs: list[RunSpec]) -> pd.DataFrame:
    """Transitions QPV / outside QPV / left, by income quartile, pooled over years and seeds."""
    frames = []
    for s in specs:
        p = run_dir(root, s) / "transitions.parquet"
        if p.is_file():
            frames.append(pd.read_parquet(p).assign(scenario=s.scenario))
    if not frames:
        return pd.DataFrame()
    t = pd.concat(frames, ignore_index=True)
    g = t.groupby(["scenario", "quartile", "from_area", "to_area"], sort=False, observed=True)[
        "households"].sum().reset_index()
    tot = g.groupby(["scenario", "quartile", "from_area"], observed=True)["households"].transform("sum")
    g["share"] = np.where(tot > 0, g["households"] / tot.where(tot > 0, 1), np.nan)
    return g


def _aggregate_rehousing(root: Path, specs: list[RunSpec], nb_of_res: dict[str, str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rehousing outcomes per scenario (means over seeds) and destinations by neighbourhood."""
    rows, dest = [], []
    for s in specs:
        p = run_dir(root, s) / "rehousing.parquet"
        if not p.is_file():
            continue
        r = pd.read_parquet(p)
        if r.empty:
            continue
        rows.append({"scenario": s.scenario, "seed": s.seed, "rehoused": len(r),
                     "outside_qpv": r["outside_qpv"].mean(), "new_dwelling": r["new_dwelling"].mean(),
                     "other_landlord": r["other_landlord"].mean(),
                     "cost_change": (r["remaining_cost_after"] - r["remaining_cost_before"]).mean()})
        nb = r["residence"].astype(str).map(lambda x: nb_of_res.get(x, x))
        d = nb.value_counts(normalize=True).reset_index()
        d.columns = ["neighbourhood", "share"]
        dest.append(d.assign(scenario=s.scenario, seed=s.seed))
    out = pd.DataFrame(rows)
    if not out.empty:
        out = out.groupby("scenario", sort=False).mean(numeric_only=True).drop(columns="seed").reset_index()
    dd = pd.DataFrame()
    if dest:
        dd = pd.concat(dest, ignore_index=True)
        n_seeds = dd.groupby("scenario")["seed"].nunique()
        dd = dd.groupby(["scenario", "neighbourhood"], sort=False)["share"].sum().reset_index()
        dd["share"] = dd["share"] / dd["scenario"].map(n_seeds)
    return out, dd


def build_report(root: str | Path, specs: list[RunSpec], sources: dict[str, Path | None] | None = None,
                 lang: str = "fr", failures: list | None = None, title: str | None = None) -> Path:
    """Write `<root>/report/` (report.html, figures/*.png, tables/*.csv) and return report.html."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    root = Path(root)
    tx = T[lang]
    scenarios = list(dict.fromkeys(s.scenario for s in specs))
    baseline = scenarios[0]
    raw = {s.scenario: s.raw for s in specs}
    seeds = sorted({s.seed for s in specs})
    done = [s for s in specs if (run_dir(root, s) / "manifest.json").is_file()]
    if not done:
        raise ValueError("no finished run to report on")
    info = run_info(root, done[0])
    start_year, years = int(info["start_year"]), int(info["years"])
    nbs = info.get("neighbourhoods", [])
    qpv = {n["name"] for n in nbs if n["qpv"]}
    site = {n["name"] for n in nbs if n["renewal"]}

    final = root / "report"
    tmp = root / f".tmp-report-{os.getpid()}-{time.monotonic_ns()}"
    (tmp / "figures").mkdir(parents=True)
    (tmp / "tables").mkdir()
    try:
        table = run_table(root, done)
        values = horizon_values(table, start_year, years)
        summary = summarise(values, baseline)
        within = [h for h in HORIZONS if h <= years]
        horizon = f"year{max(within)}" if within else "period"
        french_csv(table, tmp / "tables" / "runs.csv")
        french_csv(summary, tmp / "tables" / "summary.csv")
        write_parquet(table, tmp / "tables" / "runs.parquet")          # full precision, for analysts
        write_parquet(summary, tmp / "tables" / "summary.parquet")

        # --- variants in plain words, lever dates
        variants, lever_dates = [], {}
        for sc in scenarios[1:]:
            sentences, dates = differences(raw[baseline], raw[sc], lang)
            lever_dates[sc] = dates
            variants.append({"name": sc, "description": raw[sc].get("description", ""),
                             "question": _question(raw[sc], (sources or {}).get(sc), lang),
                             "changes": sentences,
                             "dates": [f"{month_name(d, lang)} : {w}" for d, w in dates]})

        # --- headline table
        def cell(series, sc, hz):
            r = summary[(summary["series"] == series) & (summary["scenario"] == sc) &
                        (summary["horizon"] == hz)]
            return r.iloc[0] if len(r) else None

        def rows_for(keys, hz):
            out = []
            for key in keys:
                se = SERIES_BY_KEY.get(key)
                unit = se.unit if se else "share"
                b = cell(key, baseline, hz)
                if b is None or not np.isfinite(b["mean"]):
                    continue
                objective = LEGAL_OBJECTIVES.get(se.indicator) if se else None
                if key.startswith("holder:"):
                    objective = LEGAL_OBJECTIVES.get(key.split(":")[1])
                r = {"label": SERIES_LABELS[lang].get(key) or _holder_label(key, lang),
                     "objective": fmt_value(objective, "share", lang) if objective is not None else "",
                     "base": fmt_value(b["mean"], unit, lang),
                     "base_band": _band(b, unit, lang), "variants": []}
                for sc in scenarios[1:]:
                    v = cell(key, sc, hz)
                    if v is None:
                        r["variants"].append({"value": "–", "diff": "", "sure": False})
                        continue
                    sure = np.isfinite(v["diff_lo"]) and (v["diff_lo"] > 0 or v["diff_hi"] < 0)
                    r["variants"].append({"value": fmt_value(v["mean"], unit, lang),
                                          "diff": fmt_diff(v["diff"], v["diff_lo"], v["diff_hi"], unit, lang),
                                          "sure": bool(sure)})
                out.append(r)
            return out

        groups = []
        holder_keys = sorted(k for k in summary["series"].unique() if k.startswith("holder:"))
        for gname, keys in (
            ("occupancy", ["q1_tenants_qpv", "q1_tenants_outside_qpv", "q1_tenants_site", "q1_tenants_territory"]),
            ("legal", ["legal_q1_outside_qpv", "legal_q2q4_in_qpv", "legal_priority", *holder_keys]),
            ("segregation", ["dissimilarity_q1", "theil_q1"]),
            ("waits", ["wait_median", "wait_median_q1", "wait_median_q2", "wait_median_q3",
                       "wait_median_q4", "wait_median_priority"]),
            ("rehousing", ["rehoused_outside_qpv", "rehoused_new_dwelling", "rehoused_other_landlord",
                           "rehoused_cost_change"]),
            ("landlords", ["rent_revenue", "turnover", "refusals", "vacancy"]),
        ):
            hz = "period" if gname in ("legal", "waits", "rehousing") else horizon
            rows = rows_for(keys, hz)
            if rows:
                groups.append({"title": tx["group_" + gname], "horizon": tx["hz_" + hz.rstrip("0123456789")]
                               .format(n=hz[4:], y=start_year + int(hz[4:]) - 1 if hz.startswith("year") else ""),
                               "rows": rows})

        # --- figures
        figs = []
        for key, unit in (("q1_tenants_qpv", "share"), ("q1_tenants_outside_qpv", "share"),
                          ("q1_tenants_site", "share"), ("legal_q1_outside_qpv", "share"),
                          ("legal_q2q4_in_qpv", "share"), ("legal_priority", "share"),
                          ("dissimilarity_q1", "index"), ("wait_median", "months"),
                          ("rent_revenue", "eur")):
            se = SERIES_BY_KEY[key]
            p = F.series_figure(table, key, SERIES_LABELS[lang][key], unit, scenarios,
                                tmp / "figures" / f"{key}.png", lang,
                                objective=LEGAL_OBJECTIVES.get(se.indicator), lever_dates=lever_dates,
                                objective_label=tx["objective"])
            if p is not None:
                figs.append({"title": SERIES_LABELS[lang][key], "src": _img(p), "file": p.name})
        nbv = values[values["series"].str.startswith("neighbourhood:") & (values["horizon"] == horizon)]
        nbv = nbv.groupby(["scenario", "area"], sort=False)["value"].mean().rename("mean").reset_index()
        p = F.neighbourhood_figure(nbv, scenarios, qpv, site, tx["fig_neighbourhoods"].format(
            y=_horizon_year(horizon, start_year, years)), tmp / "figures" / "q1_by_neighbourhood.png", lang)
        nb_fig = {"title": tx["fig_neighbourhoods"].format(y=_horizon_year(horizon, start_year, years)),
                  "src": _img(p), "file": p.name} if p else None

        # --- transitions and rehousing
        trans = _aggregate_transitions(root, done)
        if len(trans):
            french_csv(trans, tmp / "tables" / "transitions.csv")
        transitions = _transition_tables(trans, scenarios, lang)
        nb_of_res = {r["name"]: n["name"] for n in raw[baseline]["territory"]["neighbourhoods"]
                     for r in n["residences"]}
        for sc in scenarios[1:]:
            for w in raw[sc].get("works", []):
                if w.get("name") and w.get("neighbourhood"):
                    nb_of_res[w["name"]] = w["neighbourhood"]
        reh, dest = _aggregate_rehousing(root, done, nb_of_res)
        if len(reh):
            french_csv(reh, tmp / "tables" / "rehousing.csv")
        rehousing = _rehousing_rows(reh, dest, raw, lang)

        n_seeds = len(seeds)
        env = Environment(loader=PackageLoader("simulation.report", "templates"),
                          autoescape=select_autoescape(["html", "j2"]), trim_blocks=True,
                          lstrip_blocks=True)
        html = env.get_template(TEMPLATE).render(
            lang=lang, t=tx, title=title or tx["title"].format(base=baseline),
            baseline=baseline, scenarios=scenarios, colours=[F.scenario_colour(s) for s in scenarios],
            variants=variants, groups=groups, figures=figs, nb_figure=nb_fig,
            transitions=transitions, rehousing=rehousing,
            few_seeds=n_seeds < FEW_SEEDS, n_seeds=n_seeds, seeds=seeds,
            period=f"{start_year}–{start_year + years - 1}", years=years,
            version=_version(), failures=failures or [],
            missing=len(specs) - len(done), territory=raw[baseline]["territory"].get("name", ""),
        )
        (tmp / "report.html").write_text(html, encoding="utf-8")
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final / "report.html"


def _version() -> str:
    try:
        return metadata.version("peuplement")
    except metadata.PackageNotFoundError:
        return "dev"


def _horizon_year(h: str, start_year: int, years: int) -> int:
    return start_year + int(h[4:]) - 1 if h.startswith("year") else start_year + years - 1


def _band(r, unit, lang) -> str:
    if not (np.isfinite(r["p05"]) and np.isfinite(r["p95"])) or r["n"] < 2:
        return ""
    return f"{fmt_value(r['p05'], unit, lang)} – {fmt_value(r['p95'], unit, lang)}"


def _holder_label(key: str, lang: str) -> str:
    _, ind, holder = key.split(":", 2)
    return (f"Attributions aux publics prioritaires — {holder} (objectif 25 %)" if lang == "fr" else
            f"Allocations to priority households — {holder} (objective 25%)")


_AREAS = {"fr": {"qpv": "QPV", "outside_qpv": "Hors QPV", "left": "Sorti du parc social",
                 "outside_social": "Sorti du parc social"},
          "en": {"qpv": "QPV", "outside_qpv": "Outside QPV", "left": "Left social housing",
                 "outside_social": "Left social housing"}}


def _transition_tables(trans: pd.DataFrame, scenarios: list[str], lang: str) -> list[dict]:
    if trans.empty:
        return []
    out = []
    areas = _AREAS[lang]
    to_order = [a for a in ("qpv", "outside_qpv", "left", "outside_social") if a in set(trans["to_area"])]
    to_order += [a for a in trans["to_area"].unique() if a not in to_order]
    for sc in scenarios:
        t = trans[trans["scenario"] == sc]
        rows = []
        for (q, fa), g in t.groupby(["quartile", "from_area"], sort=True, observed=True):
            if str(fa) not in ("qpv", "outside_qpv"):
                continue
            s = g.set_index("to_area")["share"]
            rows.append({"quartile": f"Q{int(q)}", "from": areas.get(str(fa), str(fa)),
                         "cells": [fmt_value(s.get(a, np.nan), "share", lang) for a in to_order]})
        out.append({"scenario": sc, "columns": [areas.get(str(a), str(a)) for a in to_order], "rows": rows})
    return out


def _rehousing_rows(reh: pd.DataFrame, dest: pd.DataFrame, raw: dict, lang: str) -> list[dict]:
    out = []
    for _, r in reh.iterrows():
        sc = r["scenario"]
        tg = raw[sc].get("rehousing", {})
        d = dest[dest["scenario"] == sc].sort_values("share", ascending=False) if len(dest) else dest
        out.append({
            "scenario": sc,
            "rehoused": fmt_value(r["rehoused"], "count", lang),
            "items": [
                (T[lang]["reh_outside"], fmt_value(r["outside_qpv"], "share", lang),
                 fmt_value(tg.get("target_outside_qpv"), "share", lang) if tg.get("target_outside_qpv") else "–"),
                (T[lang]["reh_new"], fmt_value(r["new_dwelling"], "share", lang),
                 fmt_value(tg.get("target_new_dwellings"), "share", lang) if tg.get("target_new_dwellings") else "–"),
                (T[lang]["reh_other"], fmt_value(r["other_landlord"], "share", lang),
                 fmt_value(tg.get("target_other_landlord"), "share", lang) if tg.get("target_other_landlord") else "–"),
                (T[lang]["reh_cost"], fmt_value(r["cost_change"], "eur", lang),
                 ("minoration de loyer ANRU" if lang == "fr" else "ANRU rent reduction")
                 if tg.get("rent_reduction") is not None else "–"),
            ],
            "destinations": [(n, fmt_value(s, "share", lang)) for n, s in
                             zip(d.get("neighbourhood", []), d.get("share", []))],
        })
    return out


__all__ = ["build_report", "french_csv"]
