"""The town as a picture: every dwelling a small cell, grouped by residence and neighbourhood,
coloured by its occupant's income quartile (vacant, frozen for demolition, demolished and sold
dwellings in their own colours), QPV outlined, residences labelled with their era and rent per m².

The layout (where each dwelling's cell is) is computed once per territory and only recomputed
when works add dwellings; a frame is one numpy gather into an image plus a few labels.
"""

from __future__ import annotations

import base64
import html
import io
import math
from dataclasses import dataclass

import numpy as np
from PIL import Image

from .. import palette
from ..state import DEMOLISHED, FROZEN, OCCUPIED, SOLD, VACANT
from .text import fmt_number, month_label, t

ROW = 25            # cells per row of a residence block
PANEL_W = ROW + 3   # a neighbourhood column, with its margin
LABEL_H = 2.2       # room above a residence block for its label
TITLE_H = 2.6       # room above a neighbourhood for its name
COLUMNS = 3         # neighbourhood columns
PX = 4              # pixels per cell side, one of them the white gap

# colour codes: 0..3 quartiles, then the states without a tenant
_VACANT, _FROZEN, _DEMOLISHED, _SOLD, _EMPTY = 4, 5, 6, 7, 8
_RGB = np.array([palette.hex_to_rgb(c) for c in (*palette.QUARTILE, palette.VACANT, palette.FROZEN,
                                                  palette.DEMOLISHED, palette.SOLD, palette.BACKGROUND)],
                np.uint8)


@dataclass
class Layout:
    n_dwellings: int
    n_res: int
    grid: np.ndarray               # (rows, cols) dwelling id of each cell, -1 for none
    res_boxes: list                # (residence, x, y, w, h) in cell units, y downwards
    nb_boxes: list                 # (neighbourhood, x, y, w, h)


def build_layout(model) -> Layout:
    """Place residences (in their order) inside neighbourhood panels, panels in the shortest of
    three columns; dwellings of a residence fill its block row by row in id order."""
    dw, terr = model.dwellings, model.territory
    res = dw.residence
    order = np.argsort(res, kind="stable")
    counts = np.bincount(res, minlength=terr.n_res)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    col_h = [0.0] * COLUMNS
    placed_res, placed_nb = [], []
    cells = []                     # (dwelling ids, x0, y0) per residence
    for nb in range(terr.n_nbhd):
        members = [r for r in range(terr.n_res) if terr.res_nbhd[r] == nb and counts[r] > 0]
        if not members:
            continue
        height = TITLE_H + sum(LABEL_H + math.ceil(counts[r] / ROW) + 0.6 for r in members)
        c = int(np.argmin(col_h))
        x0, y0 = c * PANEL_W, col_h[c]
        placed_nb.append((nb, x0, y0, ROW + 1, height))
        y = y0 + TITLE_H
        for r in members:
            rows = math.ceil(counts[r] / ROW)
            y += LABEL_H
            ids = order[starts[r]: starts[r] + counts[r]]
            cells.append((ids, x0 + 0.5, y))
            placed_res.append((r, x0 + 0.5, y, ROW, rows))
            y += rows + 0.6
        col_h[c] = y0 + height + 1.0
    # snap to whole cells for the image
    H = int(math.ceil(max(col_h))) + 1
    W = COLUMNS * PANEL_W
    grid = np.full((H, W), -1, np.int64)
    snapped = []
    for (ids, x0, y0), (r, _, _, w, rows) in zip(cells, placed_res):
        xi, yi = int(round(x0)), int(round(y0))
        k = np.arange(ids.size)
        grid[yi + k // ROW, xi + k % ROW] = ids
        snapped.append((r, xi, yi, w, rows))
    return Layout(dw.n, terr.n_res, grid, snapped, placed_nb)


def layout_of(model) -> Layout:
    """The model's layout, rebuilt when works changed the stock."""
    lay = getattr(model, "_town_layout", None)
    if lay is None or lay.n_dwellings != model.dwellings.n or lay.n_res != model.territory.n_res:
        lay = build_layout(model)
        model._town_layout = lay
    return lay


def colour_codes(model) -> np.ndarray:
    """Colour code of each dwelling: occupant's quartile 0..3, else its state."""
    dw, hh = model.dwellings, model.households
    st = dw.status
    code = np.full(dw.n, _VACANT, np.int64)
    occ = np.flatnonzero(st == OCCUPIED)
    code[occ] = model.quartile(hh.income_uc_of(dw.tenant[occ]))
    code[st == FROZEN] = _FROZEN
    code[(st == VACANT) & dw.doomed] = _FROZEN
    code[st == DEMOLISHED] = _DEMOLISHED
    code[st == SOLD] = _SOLD
    return code


def town_image(model, lay: Layout | None = None) -> np.ndarray:
    """RGB image of the town (rows, cols, 3), PX pixels per cell with a white gap."""
    lay = lay or layout_of(model)
    codes = np.append(colour_codes(model), _EMPTY)          # index -1 -> empty
    cell = _RGB[codes[lay.grid]]                             # (H, W, 3)
    img = np.repeat(np.repeat(cell, PX, axis=0), PX, axis=1)
    img[PX - 1::PX, :, :] = 255
    img[:, PX - 1::PX, :] = 255
    return img


def residence_rents(model) -> np.ndarray:
    """Mean rent per m² (current or next lease) of each residence's standing dwellings."""
    dw = model.dwellings
    keep = (dw.status != DEMOLISHED) & (dw.status != SOLD)
    n = model.territory.n_res
    tot = np.bincount(dw.residence[keep], weights=dw.rent_m2[keep], minlength=n)
    cnt = np.bincount(dw.residence[keep], minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(cnt > 0, tot / np.maximum(cnt, 1), np.nan)


def short_name(residence: str, neighbourhood: str) -> str:
    """'Tilleuls - Tour A' -> 'Tour A' (the neighbourhood is written above it)."""
    head, sep, tail = residence.partition(" - ")
    return tail if sep else residence


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def town_png(model, lay: Layout | None = None) -> bytes:
    """The cells as a PNG (Pillow, which matplotlib already brings): a few milliseconds."""
    buf = io.BytesIO()
    Image.fromarray(town_image(model, lay)).save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def town_svg(model, lang: str = "fr") -> str:
    """The picture as one SVG: the cells as an embedded PNG, names, labels, QPV outlines and the
    legend as SVG text on top (sharp at any size; nothing to lay out in Python)."""
    lay = layout_of(model)
    terr = model.territory
    H, W = lay.grid.shape
    top, bottom = 3.0, 4.0
    data = base64.b64encode(town_png(model, lay)).decode("ascii")
    rents = residence_rents(model)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 {-top} {W} {H + top + bottom}" '
           f'width="100%" font-family="DejaVu Sans, Arial, sans-serif" data-month="{model.month}" '
           f'class="town">',
           f'<rect x="0" y="{-top}" width="{W}" height="{H + top + bottom}" fill="{palette.BACKGROUND}"/>',
           f'<text x="{W / 2}" y="{-1.0}" font-size="1.9" text-anchor="middle" fill="{palette.TEXT}">'
           f'{_esc(terr.name)} — {_esc(month_label(model, lang))}</text>',
           f'<image x="0" y="0" width="{W}" height="{H}" preserveAspectRatio="none" '
           f'style="image-rendering:pixelated" href="data:image/png;base64,{data}"/>']
    for nb, x, y, w, h in lay.nb_boxes:
        qpv = bool(terr.nb_qpv[nb])
        colour = palette.neighbourhood_colour(terr.nb_names[nb], nb)
        out.append(f'<rect x="{x + 0.5}" y="{y + 0.5}" width="2" height="1.3" fill="{colour}"/>')
        name = terr.nb_names[nb] + (" · QPV" if qpv else "")
        out.append(f'<text x="{x + 3.0}" y="{y + 1.65}" font-size="1.45" font-weight="bold" '
                   f'fill="{palette.QPV_OUTLINE if qpv else palette.TEXT}">{_esc(name)}</text>')
        if qpv:
            out.append(f'<rect x="{x}" y="{y}" width="{w}" height="{h}" fill="none" '
                       f'stroke="{palette.QPV_OUTLINE}" stroke-width="0.35"/>')
    for r, x, y, w, rows in lay.res_boxes:
        name = short_name(terr.res_names[r], terr.nb_names[terr.res_nbhd[r]])
        label = f"{name} · {int(terr.res_year[r])} · {fmt_number(rents[r], 1, lang)} €/m²"
        out.append(f'<text x="{x}" y="{y - 0.45}" font-size="1.1" fill="{palette.TEXT}">{_esc(label)}</text>')
    items = [(palette.QUARTILE[q], t(f"q{q + 1}", lang)) for q in range(4)] + [
        (palette.VACANT, t("vacant", lang)), (palette.FROZEN, t("frozen", lang)),
        (palette.DEMOLISHED, t("demolished", lang)), (None, "QPV")]
    x, y = 0.5, H + 1.2
    for colour, text in items:
        if colour is None:
            out.append(f'<rect x="{x}" y="{y}" width="1.3" height="1.3" fill="none" '
                       f'stroke="{palette.QPV_OUTLINE}" stroke-width="0.3"/>')
        else:
            out.append(f'<rect x="{x}" y="{y}" width="1.3" height="1.3" fill="{colour}"/>')
        out.append(f'<text x="{x + 1.8}" y="{y + 1.1}" font-size="1.15" fill="{palette.TEXT}">{_esc(text)}</text>')
        x += 3.4 + 0.66 * len(text)
    out.append("</svg>")
    return "".join(out)
