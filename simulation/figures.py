"""Figures of a run (PNG, matplotlib Agg backend), with French labels from labels.py.

`write_figures(indicators_df, out_dir, scenario_name)` draws, from the tidy indicator table
(month, year, period, scale, area, indicator, value):
  (a) the share of Q1 tenants in QPV vs outside QPV over time;
  (b) the three legal allocation indicators per year against their objectives;
  (c) the share of Q1 tenants per neighbourhood over time.
Output is deterministic for the same table (no timestamp in the PNG metadata).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import MaxNLocator, PercentFormatter  # noqa: E402

from .labels import LEGAL_OBJECTIVES, label  # noqa: E402

DPI = 110
_METADATA = {"Software": None}   # keep PNGs free of version strings: byte-identical across setups
MAX_NEIGHBOURHOOD_LINES = 10     # above this, only the 5 highest and 5 lowest are named


def _select(df: pd.DataFrame, indicator: str, period: str, scales: tuple[str, ...]) -> pd.DataFrame:
    sel = (df["indicator"] == indicator) & (df["period"] == period) & df["scale"].isin(scales)
    return df.loc[sel]


def _time_axis(d: pd.DataFrame, start_year: int) -> np.ndarray:
    """Months since the start as fractional calendar years (month 0 = 1 January of start_year)."""
    return start_year + d["month"].to_numpy() / 12.0


def _start_year(df: pd.DataFrame) -> int:
    m1 = df.loc[df["month"] >= 1]
    return int(m1["year"].min()) if len(m1) else int(df["year"].min())


def _finish(fig, ax, path: Path, percent: bool = True) -> Path:
    if percent:
        ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=0, symbol="\u202f%"))
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI, metadata=_METADATA)
    plt.close(fig)
    return path


def fig_q1_qpv(df: pd.DataFrame, path: Path, scenario_name: str) -> Path | None:
    """(a) Share of Q1 tenants in QPV, outside QPV and in the whole territory, monthly."""
    d = _select(df, "q1_share_tenants", "month", ("qpv", "outside_qpv", "territory"))
    if d.empty:
        return None
    sy = _start_year(df)
    fig, ax = plt.subplots(figsize=(9, 5))
    styles = {"qpv": dict(color="#c0392b", lw=2.2), "outside_qpv": dict(color="#2471a3", lw=2.2),
              "territory": dict(color="#555555", lw=1.3, ls="--")}
    for scale in ("qpv", "outside_qpv", "territory"):
        s = d.loc[d["scale"] == scale].sort_values("month")
        if s.empty:
            continue
        name = label(scale, kind="scale") if scale != "territory" else "Ensemble du territoire"
        ax.plot(_time_axis(s, sy), s["value"].to_numpy(), label=name, **styles[scale])
    ax.set_title(f"Part des locataires du 1er quartile (Q1) — QPV et hors QPV\nScénario : {scenario_name}")
    ax.set_xlabel("Année")
    ax.set_ylabel("Part des ménages locataires du 1er quartile")
    ax.set_ylim(bottom=0)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(loc="best")
    return _finish(fig, ax, path)


def fig_legal(df: pd.DataFrame, path: Path, scenario_name: str) -> Path | None:
    """(b) The three legal allocation indicators per year (territory) against their objectives."""
    names = list(LEGAL_OBJECTIVES)
    d = _select(df, names[0], "year", ("territory",))
    if d.empty and _select(df, names[2], "year", ("territory",)).empty:
        return None
    fig, axes = plt.subplots(1, 3, figsize=(15, 5), sharey=True)
    colours = ("#2471a3", "#c0392b", "#7d3c98")
    short = {"q1_share_allocations_outside_qpv": "(a) Attributions hors QPV\naux ménages du 1er quartile ou relogés",
             "q2q4_share_allocations_in_qpv": "(b) Attributions en QPV\naux ménages des quartiles 2 à 4",
             "priority_share_allocations": "(c) Attributions\naux publics prioritaires"}
    for ax, name, colour in zip(axes, names, colours):
        s = _select(df, name, "year", ("territory",)).sort_values("year")
        years = s["year"].to_numpy()
        ax.bar(years, s["value"].to_numpy(), color=colour, alpha=0.8, width=0.7, label="Valeur simulée")
        goal = LEGAL_OBJECTIVES[name]
        sign = "≥ " if name == "q2q4_share_allocations_in_qpv" else ""
        ax.axhline(goal, color="black", ls="--", lw=1.5, label=f"Objectif {sign}{goal:.0%}".replace("%", " %"))
        ax.set_title(short[name], fontsize=11)
        ax.set_xlabel("Année")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=0, symbol="\u202f%"))
        ax.grid(True, axis="y", alpha=0.3)
        ax.legend(loc="upper right", fontsize=9)
    axes[0].set_ylabel("Part des attributions de l'année")
    axes[0].set_ylim(0, 1)
    fig.suptitle(f"Indicateurs légaux d'attribution par année — territoire\nScénario : {scenario_name}")
    fig.tight_layout()
    fig.savefig(path, dpi=DPI, metadata=_METADATA)
    plt.close(fig)
    return path


def fig_q1_neighbourhoods(df: pd.DataFrame, path: Path, scenario_name: str,
                          qpv_neighbourhoods: set[str] | None = None) -> Path | None:
    """(c) Share of Q1 tenants per neighbourhood, monthly; QPV neighbourhoods drawn solid, the others
    dashed (when `qpv_neighbourhoods` is given). With many neighbourhoods only the 5 highest and 5
    lowest at the end are named, the others drawn thin and grey."""
    d = _select(df, "q1_share_tenants", "month", ("neighbourhood",))
    if d.empty:
        return None
    d = d.assign(area=d["area"].astype(str)).sort_values(["area", "month"], kind="stable")
    sy = _start_year(df)
    last = d.loc[d["month"] == d["month"].max()].set_index("area")["value"].sort_values(ascending=False)
    areas = list(last.index)
    named = areas if len(areas) <= MAX_NEIGHBOURHOOD_LINES else areas[:5] + areas[-5:]
    fig, ax = plt.subplots(figsize=(10, 5.5))
    cmap = plt.get_cmap("tab10")
    by_area = {a: s for a, s in d.groupby("area", sort=True)}
    for area in areas:
        if area not in named:
            s = by_area[area]
            ax.plot(_time_axis(s, sy), s["value"].to_numpy(), color="#bbbbbb", lw=0.6, zorder=1)
    for i, area in enumerate(named):
        s = by_area[area]
        x, y = _time_axis(s, sy), s["value"].to_numpy()
        qpv = qpv_neighbourhoods is not None and area in qpv_neighbourhoods
        ls = "-" if qpv_neighbourhoods is None or qpv else "--"
        lab = f"{area} (QPV)" if qpv else area
        ax.plot(x, y, color=cmap(i % 10), lw=2.0 if qpv else 1.6, ls=ls, label=lab, zorder=2)
    ax.set_title(f"Part des locataires du 1er quartile (Q1) par quartier\nScénario : {scenario_name}")
    ax.set_xlabel("Année")
    ax.set_ylabel("Part des ménages locataires du 1er quartile")
    ax.set_ylim(bottom=0)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    # legend in the order of the final values, outside the plot area
    handles, labels_ = ax.get_legend_handles_labels()
    ax.legend(handles, labels_, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9,
              title="Quartier (valeur finale décroissante)" if len(named) == len(areas)
              else "5 plus hautes et 5 plus basses en fin de période\n(autres quartiers en gris)",
              title_fontsize=9)
    return _finish(fig, ax, path)


def write_figures(indicators_df: pd.DataFrame, out_dir: Path | str, scenario_name: str,
                  qpv_neighbourhoods: set[str] | None = None) -> list[Path]:
    """Write the run's figures as PNG into out_dir; returns the paths written."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    df = indicators_df
    written = [
        fig_q1_qpv(df, out / "fig_q1_share_tenants_qpv.png", scenario_name),
        fig_legal(df, out / "fig_legal_indicators.png", scenario_name),
        fig_q1_neighbourhoods(df, out / "fig_q1_share_tenants_neighbourhoods.png", scenario_name,
                              qpv_neighbourhoods),
    ]
    return [p for p in written if p is not None]


__all__ = ["write_figures", "fig_q1_qpv", "fig_legal", "fig_q1_neighbourhoods"]
