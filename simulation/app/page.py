"""The web view's page (Solara): presets, controls, the town, live charts, commission replay.

Built on Mesa's visualisation protocol (mesa.visualization): components take the model and
re-render when `update_counter` moves; stepping follows SolaraViz's controller (a thread steps the
model and calls `force_update`). The page draws its own French/English controls instead of
SolaraViz's English sidebar. State lives in `solara.reactive` values, which Solara keeps per
browser tab.
"""

from __future__ import annotations

import html
import os
import time

import solara
from mesa.visualization.utils import force_update, update_counter

from .charts import chart_options
from .levers import LEVERS, build_model, preset_lever_values
from .presets import BY_KEY, PRESETS
from .replay import details, vacancies, vacancy_title
from .text import month_label, t
from .town import town_svg

DEFAULT_PRESET = os.environ.get("PEUPLEMENT_APP_PRESET", "baseline")

lang = solara.reactive("fr")
preset = solara.reactive(DEFAULT_PRESET if DEFAULT_PRESET in BY_KEY else "baseline")
seed = solara.reactive(1)
changed = solara.reactive({})            # lever key -> value the user set (applied on reset)
model = solara.reactive(None)
playing = solara.reactive(False)
months_per_frame = solara.reactive(1)
interval_ms = solara.reactive(100)
vacancy = solara.reactive(0)
error = solara.reactive("")

CSS = """
.town svg { width: 100%; height: auto; display: block; }
.replay table { border-collapse: collapse; font-size: 13px; width: 100%; }
.replay th, .replay td { border-bottom: 1px solid #ddd; padding: 3px 6px; text-align: left; }
.replay td.num { text-align: right; }
.replay tr.accepted td { background: #e8f4ea; font-weight: 600; }
.watch { font-size: 13.5px; line-height: 1.35; }
.status { font-size: 14px; font-weight: 600; }
.lever-label { font-size: 13.5px; display: block; margin-top: 6px; }
"""


def reset(new_preset: str | None = None) -> None:
    """(Re)build the model from the preset file, the changed levers and the seed."""
    playing.value = False
    if new_preset is not None and new_preset != preset.value:
        preset.value = new_preset
        changed.value = {}
    if seed.value is None or seed.value < 0:
        error.value = t("bad_seed", lang.value)
        return
    try:
        m = build_model(preset.value, seed=seed.value, changed=changed.value)
    except Exception as e:        # a lever combination the schema refuses: say so, keep the old model
        error.value = str(e).splitlines()[0]
        return
    m.built_with = (preset.value, seed.value, dict(changed.value))
    error.value = ""
    vacancy.value = 0
    model.value = m
    force_update()


def step_months(n: int) -> None:
    m = model.value
    for _ in range(n):
        if not m.running:
            playing.value = False
            break
        m.step()
    force_update()


@solara.component
def Town(m):
    update_counter.get()
    solara.HTML(tag="div", unsafe_innerHTML=town_svg(m, lang.value), classes=["town"])


@solara.component
def Charts(m):
    update_counter.get()
    opts = chart_options(m, lang.value)
    with solara.Columns([1, 1]):
        for key in ("q1", "legal"):
            with solara.Column(classes=[f"chart-{key}"]):
                solara.FigureEcharts(option=opts[key], attributes={"style": "height: 290px; width: 100%"})
    with solara.Columns([1, 1]):
        for key in ("dissimilarity", "wait"):
            with solara.Column(classes=[f"chart-{key}"]):
                solara.FigureEcharts(option=opts[key], attributes={"style": "height: 290px; width: 100%"})


def replay_html(info: dict, L: str) -> str:
    _h = html
    head = "".join(f"<th>{_h.escape(t(k, L))}</th>" for k in
                   ("household", "score", "income", "quartile", "remaining", "burden", "order_col", "outcome"))
    body = []
    for r in info["rows"]:
        cls = ' class="accepted"' if r["accepted"] else ""
        body.append(f"<tr{cls}><td>{r['rank']}. {_h.escape(r['household'])}</td><td class='num'>{r['score']}</td>"
                    f"<td class='num'>{r['income']}</td><td>{r['quartile']}</td><td class='num'>{r['remaining']}</td>"
                    f"<td class='num'>{r['burden']}</td><td class='num'>{r['order']}</td>"
                    f"<td>{_h.escape(r['outcome'])}</td></tr>")
    return (f"<p><b>{_h.escape(t('dwelling', L))}</b> : {_h.escape(info['dwelling'])}<br>"
            f"<b>{_h.escape(t('rent', L))}</b> : {_h.escape(info['rent'])}<br>"
            f"<b>{_h.escape(t('holder', L))}</b> : {_h.escape(info['holder'])}</p>"
            f"<p><b>{_h.escape(t('candidates', L))}</b></p>"
            f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
            f"<p><b>{_h.escape(t('why', L))}</b> : {_h.escape(info['why'])}</p>")


@solara.component
def Replay(m):
    update_counter.get()
    L = lang.value
    with solara.Card(t("replay", L), classes=["replay"]):
        if playing.value:
            solara.Text(t("replay_pause", L))
            return
        recs = vacancies(m)
        if not recs or recs[0]["month"] != m.month:
            solara.Text(t("replay_none", L))
            if not recs:
                return
        titles = [f"{i + 1}. {vacancy_title(m, r, L)}" for i, r in enumerate(recs)]
        i = min(vacancy.value, len(recs) - 1)
        solara.Select(label=f"{t('vacancy', L)} ({month_label(m, L, recs[0]['month'])})", value=titles[i],
                      values=titles, on_value=lambda v: vacancy.set(titles.index(v)))
        solara.HTML(tag="div", unsafe_innerHTML=replay_html(details(m, recs[i], L), L))


@solara.component
def Status(m):
    update_counter.get()
    L = lang.value
    solara.Text(f"{month_label(m, L)} · {t('month_n', L)} {m.month} / {m.sc.run.years * 12} · "
                f"{t('seed', L).lower()} {m.seed}", classes=["status"])
    with solara.Row():
        solara.Button(t("pause", L) if playing.value else t("play", L), color="primary",
                      on_click=lambda: playing.set(not playing.value), disabled=not m.running)
        solara.Button(t("step", L), on_click=lambda: step_months(1), disabled=playing.value or not m.running)
        solara.Button(t("reset", L), on_click=lambda: reset())
    if not m.running:
        solara.Info(t("finished", L))


@solara.component
def Controls(m):
    L = lang.value
    with solara.Card(t("preset", L)):
        for p in PRESETS:
            solara.Button(p.title[L], text=p.key != preset.value, color="primary", block=True,
                          style="justify-content: flex-start; text-transform: none; margin-bottom: 2px",
                          on_click=lambda key=p.key: reset(key), classes=[f"preset-{p.key}"])
        # plain HTML, not Markdown: Solara's Markdown pulls KaTeX styles that no local asset provides
        solara.HTML(tag="p", unsafe_innerHTML=f"<b>{html.escape(t('watch', L))}</b> — "
                    f"{html.escape(BY_KEY[preset.value].watch[L])}", classes=["watch"],
                    style="margin-top: 8px")
    with solara.Card(t("simulation", L)):
        Status(m)
        solara.Text(f"{t('months_per_frame', L)} : {months_per_frame.value}", classes=["lever-label"])
        solara.SliderInt("", value=months_per_frame, min=1, max=12)
        solara.Text(f"{t('speed', L)} : {interval_ms.value}", classes=["lever-label"])
        solara.SliderInt("", value=interval_ms, min=0, max=1000, step=50)
        solara.InputInt(t("seed", L), value=seed, continuous_update=False)
    base = preset_lever_values(preset.value)
    with solara.Card(t("levers", L)):
        for lv in LEVERS:
            v = changed.value.get(lv.key, base[lv.key])

            def set_lever(value, key=lv.key, pct=lv.unit == "%"):
                value = value / 100 if pct else value
                changed.value = {**changed.value, key: value}

            if lv.kind == "switch":
                solara.Switch(label=lv.label[L], value=bool(v), on_value=set_lever)
            elif lv.unit == "%":
                solara.Text(f"{lv.label[L]} : {int(round(100 * v))} %", classes=["lever-label"])
                solara.SliderInt("", value=int(round(100 * v)), min=0, max=100, step=5, on_value=set_lever)
            else:
                shown = int(v)      # the remaining-cost cap, EUR/month; the top of the scale is "no cap"
                txt = t("no_cap", L) if shown >= lv.hi else f"{shown} €/{t('month_n', L)}"
                solara.Text(f"{lv.label[L]} : {txt}", classes=["lever-label"])
                solara.SliderInt("", value=shown, min=int(lv.lo), max=int(lv.hi), step=int(lv.step),
                                 on_value=set_lever)
        solara.Text(t("levers_note", L), style="font-size: 12px; color: #555")
        if getattr(m, "built_with", None) != (preset.value, seed.value, dict(changed.value)):
            solara.Warning(t("pending", L), classes=["pending"])
        if error.value:
            solara.Error(error.value)


@solara.component
def Page():
    if model.value is None:
        reset()

    def play_loop():
        while playing.value:
            started = time.perf_counter()
            step_months(months_per_frame.value)
            wait = interval_ms.value / 1000 - (time.perf_counter() - started)
            if wait > 0:
                time.sleep(wait)

    solara.use_thread(play_loop, dependencies=[playing.value, model.value])
    m = model.value
    L = lang.value
    solara.Title(t("title", L))
    solara.Style(CSS)
    with solara.AppBar():
        solara.AppBarTitle(t("title", L))
        solara.Switch(label=t("language", L), value=L == "en", on_value=lambda v: lang.set("en" if v else "fr"),
                      classes=["lang-switch"])
    with solara.Sidebar():
        Controls(m)
    with solara.Column(style="padding: 4px 12px"):
        with solara.Card(t("town", L)):
            Town(m)
        with solara.Card(t("charts", L)):
            Charts(m)
        Replay(m)
