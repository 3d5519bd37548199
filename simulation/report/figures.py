"""Figures of a comparison report (PNG, matplotlib Agg): series with bands across seeds, one colour per
scenario in every figure, lever dates marked; the Q1 share per neighbourhood at the horizon.
Sized and lettered to stay readable when projected."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator  # noqa: E402

from .. import palette  # noqa: E402
from ..summary import band_over_seeds  # noqa: E402

DPI = 100
_META = {"Software": None}
def scenario_colour(name: str) -> str:
    """The scenario's colour in every picture of the project (simulation.palette), by name."""
    return palette.scenario_colour(name)


def _pct_formatter(lang: str):
    def f(v, _pos):
        s = f"{100 * v:.0f}"
        return f"{s}\u202f%"
    return FuncFormatter(f)


def _num_formatter(lang: str, decimals: int = 0):
    def f(v, _pos):
        s = f"{v:,.{decimals}f}"
        if lang == "fr":
            s = s.replace(",", "\u202f").replace(".", ",")
        return s
    return FuncFormatter(f)


def _style(ax, unit: str, lang: str):
    if unit == "share":
        ax.yaxis.set_major_formatter(_pct_formatter(lang))
    elif unit == "index":
        ax.yaxis.set_major_formatter(_num_formatter(lang, 2))
    else:
        ax.yaxis.set_major_formatter(_num_formatter(lang, 0))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(True, alpha=0.3)
    ax.tick_params(labelsize=12)


def series_figure(table: pd.DataFrame, series: str, title: str, unit: str, scenarios: list[str],
                  path: Path, lang: str = "fr", objective: float | None = None,
                  lever_dates: dict[str, list[tuple[str, str]]] | None = None,
                  objective_label: str = "objectif légal") -> Path | None:
    """One series: per scenario the yearly mean across seeds and the 5-95 % band."""
    b = band_over_seeds(table, series)
    if b.empty or b["mean"].notna().sum() == 0:
        return None
    fig, ax = plt.subplots(figsize=(10, 5.2))
    for sc in scenarios:
        d = b[b["scenario"] == sc].sort_values("year")
        if d.empty:
            continue
        c = scenario_colour(sc)
        ax.plot(d["year"], d["mean"], color=c, lw=2.6, label=sc, marker="o", ms=4)
        ax.fill_between(d["year"], d["p05"], d["p95"], color=c, alpha=0.18, lw=0)
    if objective is not None:
        ax.axhline(objective, color="#b2182b", ls="--", lw=1.6, label=objective_label)
    for sc in scenarios:
        for date, _what in (lever_dates or {}).get(sc, []):
            y, _, m = date.partition("-")
            x = int(y) + (int(m or 1) - 1) / 12
            ax.axvline(x, color=scenario_colour(sc), ls=":", lw=1.4, alpha=0.8)
    ax.set_title(title, fontsize=15, loc="left")
    _style(ax, unit, lang)
    ax.legend(fontsize=11, frameon=False, loc="best")
    fig.tight_layout()
    fig.savefig(path, dpi=DPI, metadata=_META)
    plt.close(fig)
    return path


def neighbourhood_figure(values: pd.DataFrame, scenarios: list[str], qpv: set[str], site: set[str],
                         title: str, path: Path, lang: str = "fr") -> Path | None:
    """Q1 share of tenants per neighbourhood at the horizon, scenarios side by side (QPV marked)."""
    if values.empty:
        return None
    nbs = list(dict.fromkeys(values["area"]))
    fig, ax = plt.subplots(figsize=(10, 0.55 * len(nbs) * max(1, len(scenarios)) / 1.6 + 1.8))
    h = 0.8 / max(1, len(scenarios))
    y = np.arange(len(nbs))
    for i, sc in enumerate(scenarios):
        d = values[values["scenario"] == sc].set_index("area")
        v = [d["mean"].get(n, np.nan) for n in nbs]
        ax.barh(y + i * h, v, height=h, color=scenario_colour(sc), label=sc)
    names = [n + (" (QPV, site)" if n in site else " (QPV)" if n in qpv else "") for n in nbs]
    ax.set_yticks(y + h * (len(scenarios) - 1) / 2, names, fontsize=12)
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(_pct_formatter(lang))
    ax.grid(True, axis="x", alpha=0.3)
    ax.set_title(title, fontsize=15, loc="left")
    ax.legend(fontsize=11, frameon=False, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=DPI, metadata=_META)
    plt.close(fig)
    return path
