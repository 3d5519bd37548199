"""One palette for every picture of the project (web view, figures, report): the same quartile,
dwelling status, neighbourhood and scenario always get the same colour.

Quartiles run from warm (Q1, the poorest) to cool (Q4), a colour-blind-safe diverging ramp; dwelling
states without a tenant are greys or muted tones; neighbourhoods and scenarios take fixed
qualitative colours by name, so a colour does not change when another item is added.
"""

from __future__ import annotations

import zlib

# income quartile of the occupant (applicants' quartiles of the year), Q1 .. Q4
QUARTILE = ("#d7301f", "#fc8d59", "#91bfdb", "#4575b4")
# dwellings without a tenant
VACANT = "#e3e3e3"
FROZEN = "#9e8cbf"        # emptied for demolition (planned vacancy) or reserved for rehousing
DEMOLISHED = "#3a3a3a"
SOLD = "#c9b48a"
QPV_OUTLINE = "#b2182b"
BACKGROUND = "#ffffff"
TEXT = "#222222"
OBJECTIVE = "#555555"     # legal objectives drawn as dashed lines

# qualitative colours (Okabe-Ito, then Tableau) for neighbourhoods and scenarios
QUALITATIVE = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442",
               "#000000", "#8c564b", "#7f7f7f", "#bcbd22", "#17becf")

# scenarios shipped with the project keep a fixed colour in every figure
SCENARIO = {
    "baseline": "#4d4d4d",
    "structure_rents_only": "#009e73",
    "structure_plus_choices": "#e69f00",
    "structure_plus_practices": "#d55e00",
    "single_rent": "#0072b2",
    "rehousing_outside_qpv": "#cc79a7",
    "renewal_tour_a": "#9e8cbf",
    "scoring_need_first": "#56b4e9",
    "scoring_mix_targets": "#8c564b",
    "mix_rules_strong": "#bcbd22",
    "choice_based_letting_qpv": "#17becf",
    "renewal_strategy": "#e7298a",
    "renewal_demolition": "#7570b3",
    "demolition_year3_single_rent": "#66a61e",
    "occupancy_review": "#a6761d",
    "ceiling_waiver_qpv": "#1f78b4",
    "flow_shares": "#b15928",
    "legal_quotas": "#6a3d9a",
    "rent_rebalancing": "#33a02c",
    "sale": "#fb9a99",
    "scoring_seniority_first": "#a6cee3",
    "surcharge_doubled": "#ff7f00",
}


def _by_name(name: str) -> str:
    """A qualitative colour chosen by a stable hash of the name (the same in every run)."""
    return QUALITATIVE[zlib.crc32(name.encode("utf-8")) % len(QUALITATIVE)]


def quartile_colour(q: int) -> str:
    """Colour of quartile q, 1 (Q1) .. 4 (Q4)."""
    return QUARTILE[q - 1]


def neighbourhood_colour(name: str, index: int | None = None) -> str:
    """Colour of a neighbourhood: by its position in the territory when given (distinct colours
    for the first twelve), else by a stable hash of its name."""
    if index is not None:
        return QUALITATIVE[index % len(QUALITATIVE)]
    return _by_name(name)


def scenario_colour(name: str) -> str:
    """Colour of a scenario: fixed for the shipped ones, a stable hash of the name otherwise."""
    return SCENARIO.get(name) or _by_name(name)


def hex_to_rgb(colour: str) -> tuple[int, int, int]:
    c = colour.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)
