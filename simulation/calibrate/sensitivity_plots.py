"""Plots of a sensitivity analysis (PNG, Agg backend, byte-stable): Morris μ* against σ, Sobol bars
with their confidence intervals; one panel per output, labels in the current language, each
parameter in the same colour in every panel and every analysis of the same parameters."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from ..fmt import num, tr  # noqa: E402
from ..palette import QUALITATIVE  # noqa: E402

DPI = 110
_METADATA = {"Software": None}
_MARKERS = {"assumption": "o", "lever": "s"}


def parameter_colours(fields) -> dict[str, str]:
    """A colour per parameter field: its stable hash's colour, or on a clash within the analysis the
    next free one (fields taken in sorted order), so the same parameters get the same colours in
    every figure and run, and no two share one."""
    import zlib
    out: dict[str, str] = {}
    for f in sorted(set(fields)):
        k = zlib.crc32(f.encode("utf-8")) % len(QUALITATIVE)
        for step in range(len(QUALITATIVE)):
            c = QUALITATIVE[(k + step) % len(QUALITATIVE)]
            if c not in out.values():
                break
        out[f] = c
    return out


def _grid(n: int):
    cols = min(n, 2)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(6.2 * cols, 4.4 * rows), squeeze=False)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, list(axes.flat[:n])


def _fmt_axis(ax, lang, y: bool = True):
    """Numbers of the axes in the language's form (the y axis only if it holds numbers)."""
    from matplotlib.ticker import FuncFormatter
    f = FuncFormatter(lambda v, _: num(v, 3, lang).rstrip("0").rstrip(",.") or "0")
    ax.xaxis.set_major_formatter(f)
    if y:
        ax.yaxis.set_major_formatter(f)


def _legend(fig, table: pd.DataFrame, lang: str) -> None:
    from matplotlib.lines import Line2D
    kind = {"assumption": tr("hypothèse", "assumption", lang), "lever": tr("levier", "lever", lang)}
    seen = table.drop_duplicates("parameter")
    colour = parameter_colours(table["parameter"])
    handles = [Line2D([], [], marker=_MARKERS[r.kind], ls="", color=colour[r.parameter],
                      label=f"{r.label} ({kind[r.kind]})") for r in seen.itertuples()]
    fig.legend(handles=handles, loc="lower center", ncol=min(3, len(handles)), frameon=False,
               fontsize=8, bbox_to_anchor=(0.5, 0.0))


def plot_morris(table: pd.DataFrame, labels: dict, path: Path, lang: str, conf: float) -> Path:
    """μ* (x, with its bootstrap interval) against σ (y), one panel per output: far right matters,
    high up means interactions or non-linearity."""
    outputs = list(dict.fromkeys(table["output"]))
    colour = parameter_colours(table["parameter"])
    fig, axes = _grid(len(outputs))
    for ax, o in zip(axes, outputs):
        sub = table[table["output"] == o]
        for r in sub.itertuples():
            if not np.isfinite(r.mu_star):
                continue
            c = colour[r.parameter]
            ax.errorbar(r.mu_star, r.sigma, xerr=r.mu_star_conf, fmt=_MARKERS[r.kind], color=c,
                        ecolor=c, elinewidth=1, capsize=3, ms=7)
        noise = sub["mu_star_noise"].iloc[0] if "mu_star_noise" in sub and len(sub) else np.nan
        if np.isfinite(noise):
            ax.axvspan(0, noise, color="#dddddd", alpha=0.6, lw=0,
                       label=tr("bruit des graines", "seed noise", lang))
        top = np.nanmax(np.r_[sub["mu_star"] + sub["mu_star_conf"], sub["sigma"], [1e-12]])
        ax.plot([0, top], [0, top], ls=":", color="#999999", lw=1)
        ax.set_xlim(left=0)
        ax.set_ylim(bottom=0)
        ax.set_title(labels[o], fontsize=10)
        ax.set_xlabel(tr("μ* (effet moyen absolu)", "μ* (mean absolute effect)", lang))
        ax.set_ylabel(tr("σ (interactions, non-linéarité)", "σ (interactions, non-linearity)", lang))
        _fmt_axis(ax, lang)
        ax.grid(alpha=0.3)
    fig.suptitle(tr(f"Criblage de Morris (barres : IC à {num(100 * conf, 0, lang)} % de μ* ; zone grise : "
                    "μ* que donnerait le seul bruit des graines ; pointillé : σ = μ*)",
                    f"Morris screening (bars: {num(100 * conf, 0, lang)}% CI of μ*; grey band: μ* from "
                    "seed noise alone; dotted: σ = μ*)", lang), fontsize=10)
    _legend(fig, table, lang)
    fig.tight_layout(rect=(0, 0.08, 1, 0.96))
    fig.savefig(path, dpi=DPI, metadata=_METADATA)
    plt.close(fig)
    return path


def plot_sobol(table: pd.DataFrame, labels: dict, path: Path, lang: str, conf: float) -> Path:
    """S1 (light) and ST (full colour) per parameter with their bootstrap intervals, one panel per
    output, parameters in the table's order (most influential first)."""
    outputs = list(dict.fromkeys(table["output"]))
    colour = parameter_colours(table["parameter"])
    fig, axes = _grid(len(outputs))
    for ax, o in zip(axes, outputs):
        sub = table[table["output"] == o].reset_index(drop=True)
        y = np.arange(len(sub))
        cols = [colour[p] for p in sub["parameter"]]
        ax.barh(y - 0.2, sub["S1"].fillna(0), height=0.38, xerr=sub["S1_conf"].fillna(0), color=cols,
                alpha=0.45, capsize=3, label="S1")
        ax.barh(y + 0.2, sub["ST"].fillna(0), height=0.38, xerr=sub["ST_conf"].fillna(0), color=cols,
                capsize=3, label="ST")
        ax.set_yticks(y, sub["label"], fontsize=8)
        ax.invert_yaxis()
        ax.axvline(0, color="#555555", lw=0.8)
        ax.set_title(labels[o], fontsize=10)
        ax.set_xlabel(tr("indice de Sobol (S1 clair, ST foncé)", "Sobol index (S1 light, ST dark)", lang))
        _fmt_axis(ax, lang, y=False)
        ax.grid(axis="x", alpha=0.3)
    fig.suptitle(tr(f"Indices de Sobol (barres : IC à {num(100 * conf, 0, lang)} %)",
                    f"Sobol indices (bars: {num(100 * conf, 0, lang)}% CI)", lang))
    _legend(fig, table, lang)
    fig.tight_layout(rect=(0, 0.08, 1, 0.96))
    fig.savefig(path, dpi=DPI, metadata=_METADATA)
    plt.close(fig)
    return path
