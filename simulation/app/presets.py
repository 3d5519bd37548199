"""Teaching presets of the web view: a scenario file of `scenarios/` each, with a short text on
what to watch. Presets are loaded by file name, so an edited scenario file is what the view plays."""

from __future__ import annotations

from dataclasses import dataclass

from ..scenario import SCENARIO_DIR


@dataclass(frozen=True)
class Preset:
    key: str            # the scenario file is scenarios/<key>.yaml
    title: dict         # {"fr": ..., "en": ...}
    watch: dict         # what to watch, {"fr": ..., "en": ...}

    @property
    def path(self):
        return SCENARIO_DIR / f"{self.key}.yaml"


PRESETS: tuple[Preset, ...] = (
    Preset("baseline",
           {"fr": "Situation de référence", "en": "Baseline"},
           {"fr": "Les pratiques actuelles pendant 20 ans : regardez la part des ménages du 1er quartile "
                  "(rouge) monter dans les grands ensembles des Tilleuls et du Val Fleuri, et la "
                  "courbe QPV s'écarter de la courbe hors QPV.",
            "en": "Today's practices over 20 years: watch the share of first-quartile households (red) "
                  "rise in the large estates of Les Tilleuls and Val Fleuri, and the QPV curve move "
                  "away from the outside-QPV curve."}),
    Preset("structure_rents_only",
           {"fr": "Effet de structure 1/3 : les loyers seuls", "en": "Structure effect 1/3: rents only"},
           {"fr": "Aucun refus lié à l'adresse, aucune orientation par les commissions : seuls les loyers "
                  "et l'APL trient les ménages. Les logements anciens et bon marché des QPV reçoivent "
                  "déjà plus de ménages pauvres : c'est l'effet de structure.",
            "en": "No refusals because of the address, no steering by commissions: only rents and "
                  "housing benefit sort households. The old, cheap QPV estates already take more poor "
                  "households: this is the structure effect."}),
    Preset("structure_plus_choices",
           {"fr": "Effet de structure 2/3 : + choix des ménages", "en": "Structure effect 2/3: + households' choices"},
           {"fr": "Les ménages mieux dotés refusent davantage les QPV et en partent plus vite. Comparez "
                  "l'écart QPV / hors QPV et l'indice de dissimilarité avec l'étape 1.",
            "en": "Better-off households refuse QPV offers more and leave sooner. Compare the QPV / "
                  "outside gap and the dissimilarity index with step 1."}),
    Preset("structure_plus_practices",
           {"fr": "Effet de structure 3/3 : + pratiques d'attribution", "en": "Structure effect 3/3: + allocation practices"},
           {"fr": "Les commissions proposent d'abord les plus modestes en QPV et les autres hors QPV. "
                  "Ouvrez un rejeu de commission en QPV : l'ordre n'est plus celui de la cotation.",
            "en": "Commissions put the poorest first in QPV and the others first outside. Open a "
                  "commission replay in a QPV: the order is no longer the scoring order."}),
    Preset("single_rent",
           {"fr": "Loyer unique au m²", "en": "Single rent per m²"},
           {"fr": "À partir de 2027, chaque relocation se fait au même loyer au m² (à recette constante). "
                  "Regardez les étiquettes €/m² converger et la part du 1er quartile hors QPV monter ; "
                  "l'effet est lent, il suit la rotation.",
            "en": "From 2027 every re-letting is at the same rent per m² (revenue-neutral). Watch the "
                  "€/m² labels converge and the first-quartile share outside QPV rise; the effect is "
                  "slow, it follows turnover."}),
    Preset("rehousing_outside_qpv",
           {"fr": "Démolition, relogement hors QPV, loyer minoré dans le neuf",
            "en": "Demolition, rehousing outside QPV, reduced rent in new dwellings"},
           {"fr": "La Tour A se vide (violet) puis est démolie (noir) une fois le dernier ménage relogé. "
                  "La moitié des relogements vise l'extérieur des QPV ; dans le neuf, le loyer est "
                  "ramené au plafond APL (minoration ANRU). Où vont les ménages relogés, et qui les "
                  "remplace ?",
            "en": "Tour A empties (purple), then is demolished (black) once its last household is "
                  "rehoused. Half the rehousings aim outside QPV; in new dwellings the rent is brought "
                  "down to the APL ceiling (ANRU reduction). Where do rehoused households go, and who "
                  "replaces them?"}),
    Preset("scoring_need_first",
           {"fr": "Cotation « besoin d'abord »", "en": "Need-first scoring"},
           {"fr": "La cotation classe par besoin et priorité. Les délais d'attente du 1er quartile "
                  "baissent, mais la part du 1er quartile attribuée en QPV monte et l'objectif "
                  "« 50 % hors Q1 en QPV » s'éloigne.",
            "en": "Scoring ranks by need and priority. First-quartile waiting times fall, but more "
                  "first-quartile households are housed in QPV and the '50 % non-Q1 in QPV' objective "
                  "moves away."}),
    Preset("scoring_mix_targets",
           {"fr": "Cotation « besoin d'abord » + résidences cibles de mixité",
            "en": "Need-first scoring + mix target residences"},
           {"fr": "Même cotation, mais dans la Tour A, les Barres B et le Grand Ensemble seuls des "
                  "ménages hors 1er quartile sont proposés. L'objectif « 50 % hors Q1 en QPV » "
                  "remonte ; regardez ce que deviennent les délais du 1er quartile et la part du "
                  "1er quartile dans les autres résidences.",
            "en": "Same scoring, but in Tour A, Barres B and Grand Ensemble only non-first-quartile "
                  "households are proposed. The '50 % non-Q1 in QPV' objective recovers; watch the "
                  "first quartile's waiting times and its share in the other residences."}),
    Preset("mix_rules_strong",
           {"fr": "Règles de mixité systématiques", "en": "Mix rules always applied"},
           {"fr": "À comparer avec la cotation « besoin d'abord » : les commissions appliquent toujours "
                  "leurs règles de mixité. Les objectifs légaux se rapprochent, mais les plus modestes "
                  "attendent plus longtemps.",
            "en": "Compare with need-first scoring: commissions always apply their mix rules. The legal "
                  "objectives get closer, but the poorest wait longer."}),
    Preset("choice_based_letting_qpv",
           {"fr": "Location choisie en QPV", "en": "Choice-based letting in QPV"},
           {"fr": "Dès 2027, les logements des deux QPV sont publiés et les demandeurs candidatent. "
                  "Dans le rejeu, le logement est « publié » : pas d'ordre de commission, le mieux "
                  "classé des candidats volontaires l'obtient ; les refus baissent.",
            "en": "From 2027 the dwellings of both QPV are advertised and applicants apply. In the "
                  "replay the dwelling is 'advertised': no commission order, the best-scored volunteer "
                  "gets it; refusals fall."}),
)

BY_KEY = {p.key: p for p in PRESETS}
