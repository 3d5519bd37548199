"""Live charts of the web view, with the date on the axis: first-quartile share in QPV and
outside, the legal allocation indicators against their objectives, the dissimilarity index and
the median waiting time by quartile.

Charts are ECharts options (drawn in the browser by the ECharts copy Solara serves locally), so a
frame costs Python only the series. Monthly series come from the model's DataCollector, yearly
ones from the indicator rows the observer emits each December.
"""

from __future__ import annotations

import math

import numpy as np

from .. import palette
from ..labels import LEGAL_OBJECTIVES
from .text import t

LEGAL = (("q1_share_allocations_outside_qpv", "legal_a", "#0072b2"),
         ("q2q4_share_allocations_in_qpv", "legal_b", "#e69f00"),
         ("priority_share_allocations", "legal_c", "#009e73"))


def axis_dates(model) -> list[str]:
    """Labels of the date axis, one per observation: the state observed at the end of month m is
    dated the first of the next month (m = 0, the initial state, is January of the start year)."""
    y0 = model.sc.run.start_year
    return [f"{m % 12 + 1:02d}/{y0 + m // 12}" for m in range(model.sc.run.years * 12 + 1)]


def monthly(model) -> dict[str, np.ndarray]:
    """Monthly series collected so far (month 0 = the initial state)."""
    mv = model.datacollector.model_vars
    n = len(mv["q1_share_tenants_qpv"])
    return {"month": np.arange(n), **{k: np.asarray(v, float) for k, v in mv.items()}}


def yearly(model, indicators) -> dict[str, tuple[list, list]]:
    """Territory-wide yearly values of `indicators`: name -> (months, values)."""
    out = {k: ([], []) for k in indicators}
    for month, period, scale, _areas, ind, values in model.observer._rows:
        if period == "year" and scale == "territory" and ind in out:
            out[ind][0].append(month)
            out[ind][1].append(float(values[0]))
    return out


def _series(model, months, values, scale=1.0, digits=1) -> list:
    """Values on the monthly date axis (a flat list, cheap to send; None where there is none)."""
    out = [None] * (int(months[-1]) + 1 if len(months) else 0)
    for m, v in zip(months, values):
        out[int(m)] = None if math.isnan(v) else round(v * scale, digits)
    return out


def _base(model, title: str, unit: str = "", ymax=None) -> dict:
    years = model.sc.run.years
    return {
        "animation": False,
        "title": {"text": title, "left": "center", "textStyle": {"fontSize": 13, "fontWeight": "normal"}},
        "grid": {"left": 46, "right": 30, "top": 52, "bottom": 28},
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 24, "textStyle": {"fontSize": 11}, "itemWidth": 14},
        "xAxis": {"type": "category", "data": axis_dates(model), "boundaryGap": False,
                  "axisLabel": {"interval": 12 * max(2, years // 5) - 1, "hideOverlap": True},
                  "axisTick": {"interval": 11}},
        "yAxis": {"type": "value", "min": 0, **({"max": ymax} if ymax is not None else {}),
                  "axisLabel": {"formatter": "{value}" + unit}},
    }


def _line(name, colour, data, dashed=False, symbol=False) -> dict:
    return {"name": name, "type": "line", "data": data, "showSymbol": symbol, "showAllSymbol": symbol,
            "symbolSize": 6,
            "connectNulls": True,
            "lineStyle": {"color": colour, "width": 1.2 if dashed else 2, "type": "dashed" if dashed else "solid"},
            "itemStyle": {"color": colour}}


def chart_options(model, lang: str = "fr") -> dict[str, dict]:
    """The four charts as ECharts options, keyed q1, legal, dissimilarity, wait. Shares in %."""
    s = monthly(model)
    yl = yearly(model, [k for k, _, _ in LEGAL] + [f"wait_months_median_q{q}" for q in range(1, 5)])
    out = {}

    o = _base(model, t("c_q1", lang), " %")
    o["series"] = [_line(t("in_qpv", lang), palette.QPV_OUTLINE, _series(model, s["month"], s["q1_share_tenants_qpv"], 100)),
                   _line(t("outside_qpv", lang), palette.QUARTILE[3],
                         _series(model, s["month"], s["q1_share_tenants_outside_qpv"], 100))]
    out["q1"] = o

    o = _base(model, t("c_legal", lang), " %", ymax=100)
    o["legend"]["textStyle"]["fontSize"] = 9
    series = []
    for key, lab, colour in LEGAL:
        months, vals = yl[key]
        line = _line(t(lab, lang), colour, _series(model, months, vals, 100), symbol=True)
        line["markLine"] = {"silent": True, "symbol": "none", "label": {"show": False},
                            "lineStyle": {"color": colour, "type": "dashed", "width": 1.2},
                            "data": [{"yAxis": 100 * LEGAL_OBJECTIVES[key]}]}
        series.append(line)
    o["series"] = series
    o["legend"]["data"] = [t(lab, lang) for _, lab, _ in LEGAL]
    o["grid"]["top"] = 78
    o["legend"]["top"] = 22
    o["legend"]["orient"] = "vertical"
    out["legal"] = o

    o = _base(model, t("c_dis", lang), " %")      # in %, as usually reported (and no decimal point)
    o["legend"]["show"] = False
    o["series"] = [_line(t("c_dis", lang), palette.TEXT, _series(model, s["month"], s["dissimilarity_q1"], 100, 1))]
    out["dissimilarity"] = o

    o = _base(model, t("c_wait", lang))
    o["series"] = [_line(f"Q{q}", palette.QUARTILE[q - 1],
                         _series(model, *yl[f"wait_months_median_q{q}"], 1, 1), symbol=True) for q in range(1, 5)]
    out["wait"] = o
    return out
